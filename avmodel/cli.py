"""The ``avmodel`` command line: the parser, and one function per subcommand that calls the library.

    avmodel prepare CORPUS SOURCE --out CACHE    corpus -> training arrays + split manifests (avmodel.prepare)
    avmodel train visual|audio|fusion ...        prepared folders -> a run folder (avmodel.training.run)
    avmodel evaluate [--weights ...]             weights -> test figures, checked against model_info.json
    avmodel release --audio-run ... --out DIR    three runs -> a calibrated, measured weights folder
    avmodel predict FILE...                      clips, audio, images -> emotion probabilities (avmodel.batch)
    avmodel compile [--weights ...]              weights -> ONNX graphs in the cache (avmodel.graphs)
    avmodel publish --repo-id ORG/NAME           a weights folder -> the Hugging Face Hub

Only argparse and the standard library are imported to build the parser: each command
imports what it needs when it runs, so ``avmodel --help`` is instant. Exit codes: 0 done,
1 a result that failed (see each command), 2 bad inputs or weights, 130 Ctrl-C, 143 SIGTERM.
"""

import argparse
import json
import sys
from dataclasses import MISSING, fields
from pathlib import Path

from avmodel.constants import SEED, SHARD_SIZE  # plain numbers: nothing heavy is imported

EXIT_FAILED, EXIT_INPUTS, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 2, 130, 143
CORPUS_NAMES = ("cremad", "emodb", "enterface05", "fer2013", "ravdess", "savee", "tess")  # = sorted(CORPORA), tested
EXTRAS = {"pyarrow": "parquet", "ray": "ray"}  # an optional module -> the pip extra that installs it
RAW = argparse.RawDescriptionHelpFormatter
TRAIN_EXAMPLES = """examples:
  avmodel train visual --data cache/fer2013 --out runs/visual
  avmodel train audio --data cache/emodb cache/ravdess --out runs/audio --preset logmel
  avmodel train fusion --data cache/emodb cache/ravdess --face-data cache/fer2013 \\
      --audio-model runs/audio/best.keras --visual-model runs/visual/best.keras --out runs/fusion"""
EVALUATE_EXAMPLE = ("examples:\n  avmodel evaluate --fer cache/fer2013 --audio-data cache/emodb cache/ravdess\n"
                    "  avmodel evaluate --network runs/audio3/best.keras --audio-data cache/emodb   # one run's network")
PREDICT_EPILOG = """FILE may be a file, a folder (its media files, recursively), a glob pattern or a manifest
CSV with a 'path' column. --out appends to RESULTS (JSON Lines, or a folder of Parquet parts
with --format parquet) and skips the files it already holds: run the same command again to
resume an interrupted job. A file that fails gets an error row and the others go on.
Exit codes: 0 when a file gave an answer (or none was left to do), 1 when every file failed,
2 when the weights cannot be loaded or an input names no file, 130 Ctrl-C, 143 SIGTERM.
examples:
  avmodel predict clip.mp4
  avmodel predict recordings/ --out results.jsonl
  avmodel predict 'recordings/**/*.mp4' --format parquet --out results.parquet --ray auto --num-workers 8"""


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args) or 0


def build_parser():
    parser = argparse.ArgumentParser(prog="avmodel", description="Audio-visual emotion recognition.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_prepare, add_train, add_evaluate, add_release, add_predict, add_compile, add_publish):
        add(commands)
    return parser


def fail(command, message, code=EXIT_INPUTS):
    print(f"avmodel {command}: {message}", file=sys.stderr)
    return code


# === prepare ===


def add_prepare(commands):
    parser = commands.add_parser("prepare", help="turn a corpus into compact training arrays + manifests")
    parser.add_argument("corpus", choices=CORPUS_NAMES)
    parser.add_argument("source", help="the corpus folder or archive (e.g. project2_database.zip)")
    parser.add_argument("--out", required=True,
                        help="output folder; run again to resume (redoes only new or changed clips)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=None, help="processes (default: up to 2)")
    parser.add_argument("--shard-size", type=int, default=SHARD_SIZE, help="clips per shard at most")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of key-frame offsets and splits")
    parser.add_argument("--limit", type=int, default=None, help="only the first N clips (a quick look)")
    parser.set_defaults(run=prepare_command)


def prepare_command(args):
    from avmodel.prepare import FolderBusyError, prepare

    try:
        summary = prepare(args.corpus, args.source, args.out, workers=args.workers,
                          shard_size=args.shard_size, seed=args.seed, limit=args.limit)  # fmt: skip
    except (FolderBusyError, FileNotFoundError, ValueError) as error:  # another run in --out, no source, no clips
        return fail("prepare", error)
    except KeyboardInterrupt:
        message = f"interrupted; finished clips are kept in {args.out}, run the same command to go on"
        return fail("prepare", message, EXIT_INTERRUPTED)
    json.dump(summary, sys.stdout, indent=2)
    print()


# === train ===


def add_train(commands):
    """Every ``TrainConfig`` field is an option; the full configuration is saved as RUN/config.json."""
    from avmodel.training.config import TASKS, TrainConfig, field_comments  # standard library only

    parser = commands.add_parser("train", help="train a network on prepared folders (resume: run it again)",
                                 epilog=TRAIN_EXAMPLES, formatter_class=RAW)  # fmt: skip
    parser.add_argument("task", choices=TASKS)
    comments = field_comments()
    for field in fields(TrainConfig):
        if field.name != "task":
            add_config_option(parser, field, comments.get(field.name, ""))
    parser.set_defaults(run=train_command)


def add_config_option(parser, field, comment):
    """One ``TrainConfig`` field -> ``--its-name`` of its type (a tuple takes several values), its
    ``comment`` in config.py as the help."""
    option = "--" + field.name.replace("_", "-")
    required = field.default is MISSING
    default = None if required else field.default
    text = {"help": comment.replace("%", "%%") + ("" if required else " (default: %(default)s)")}
    if field.type is bool:
        parser.add_argument(option, action=argparse.BooleanOptionalAction, default=field.default, **text)
    elif field.type is tuple:
        kind = int if field.name == "frozen_blocks" else str
        parser.add_argument(option, nargs="+", type=kind, required=required, default=default, **text)
    else:
        parser.add_argument(option, type=field.type, required=required, default=default, **text)


def train_command(args):
    from avmodel.training.config import TrainConfig
    from avmodel.training.run import train

    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    metrics = train(TrainConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}))
    print(json.dumps({k: v["accuracy"] for k, v in metrics.items() if isinstance(v, dict) and "accuracy" in v}))
    for level in ("sample", "clip"):
        if level in metrics:
            m = metrics[level]
            print(f"test {level}-level accuracy: {m['accuracy']:.4f} "
                  f"(chance {m['chance_uniform']:.3f} uniform, {m['chance_majority']:.3f} majority)")  # fmt: skip


# === evaluate ===


def add_evaluate(commands):
    parser = commands.add_parser("evaluate", help="measure weights on prepared corpora, check the recorded metrics",
                                 epilog=EVALUATE_EXAMPLE, formatter_class=RAW)  # fmt: skip
    add_weights_options(parser)
    parser.add_argument("--fer", default=None, help="prepared FER2013 folder: visual test metrics")
    parser.add_argument("--audio-data", nargs="+", default=(), help="prepared speech corpus folders: audio metrics")
    parser.add_argument("--json", default=None, help="also write every metric (confusion matrices too) here")
    parser.add_argument("--network", default=None, metavar="FILE",
                        help="measure this one audio or visual network (.keras, e.g. a run's best.keras) instead of "
                             "a weights folder; nothing is recorded for it, so nothing is compared")  # fmt: skip
    parser.set_defaults(run=evaluate_command)


def evaluate_command(args):
    """Print each figure beside the one in model_info.json; exit 1 when one does not reproduce."""
    from avmodel.errors import WeightsError
    from avmodel.hub import read_info, resolve_weights
    from avmodel.reproduce import compare, measure_network, measure_weights

    if not (args.fer or args.audio_data):
        return fail("evaluate", "give --fer and/or --audio-data (prepared folders)")
    try:
        if args.network:
            weights, measured = None, measure_network(args.network, args.fer, args.audio_data)
        else:
            weights = resolve_weights(args.weights, args.revision)
            measured = measure_weights(weights, args.fer, args.audio_data)
    except (FileNotFoundError, ConnectionError, WeightsError, ValueError) as error:
        return fail("evaluate", error)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(measured, file, indent=2)
    rows = compare(measured, read_info(weights).get("metrics", {}) if weights else {})
    for name, accuracy, recorded, same in rows:
        chance = measured[name]["chance_uniform"]
        verdict = "not recorded" if recorded is None else ("reproduced" if same else f"DIFFERS from {recorded:.4f}")
        macro_f1 = measured[name]["macro_f1"]
        print(f"{name}: accuracy {accuracy:.4f}, macro-F1 {macro_f1:.3f} (n={measured[name]['samples']}, "
              f"chance {chance:.3f}) - {verdict}")
    return EXIT_FAILED if any(recorded is not None and not same for _, _, recorded, same in rows) else 0


# === release ===


def add_release(commands):
    parser = commands.add_parser("release", help="assemble a weights folder from training runs, with its metrics")
    for role in ("audio", "visual", "fusion"):
        parser.add_argument(f"--{role}-run", required=True, help=f"the {role} training run folder")
    parser.add_argument("--fer", required=True, help="prepared FER2013 folder (visual and fusion metrics)")
    parser.add_argument("--audio-data", nargs="+", required=True, help="prepared speech corpus folders")
    parser.add_argument("--out", default="avmodel/weights", help="weights folder to write (default: %(default)s)")
    parser.add_argument("--figures", default="docs/figures", help="folder for the reliability diagrams")
    parser.set_defaults(run=release_command)


def release_command(args):
    """Copy each run's best.keras, calibrate, measure and write model_info.json and the card."""
    from avmodel.release import build_release

    runs = {"audio": args.audio_run, "visual": args.visual_run, "fusion": args.fusion_run}
    info = build_release(runs, args.out, args.fer, args.audio_data, args.figures)
    for role, report in info["calibration"].items():
        test = report["test"]
        print(f"{role}: temperature {report['temperature']:.3f}; test ECE {test['ece_before']:.4f} -> "
              f"{test['ece_after']:.4f}, NLL {test['nll_before']:.4f} -> {test['nll_after']:.4f}")  # fmt: skip
    for name, m in info["metrics"].items():
        print(f"{name}: accuracy {m['accuracy']:.4f} (n={m['samples']}, chance {m['chance_uniform']:.3f})")


# === predict ===


def add_predict(commands):
    parser = commands.add_parser("predict", help="emotion probabilities of clips, audio files or face images",
                                 epilog=PREDICT_EPILOG, formatter_class=RAW)  # fmt: skip
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="video (avi mp4 flv webm mov mkv), audio or image; a folder, glob or manifest .csv")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_const", const="json", dest="format", help="print one JSON array")
    form.add_argument("--jsonl", action="store_const", const="jsonl", dest="format", help="print JSON Lines")
    form.add_argument("--format", choices=("text", "json", "jsonl", "parquet"), default=None,
                      help="text (default on a terminal), json, jsonl (default with --out) or parquet (needs --out)")
    parser.add_argument("--out", metavar="RESULTS",
                        help="append to this file (JSON Lines) or folder (Parquet), skipping what it holds")
    add_weights_options(parser)
    add_engine_option(parser)
    cluster = parser.add_argument_group("Ray (pip install 'avmodel[ray]')")
    cluster.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                         help="run on Ray workers: a cluster address ('auto', 'ray://host:10001') or none for a "
                              "local Ray on this machine")  # fmt: skip
    cluster.add_argument("--num-workers", type=int, default=2, help="Ray workers, each with its own Predictor")
    cluster.add_argument("--cpus-per-worker", type=float, default=1, help="CPU cores each Ray worker takes")
    cluster.add_argument("--gpus-per-worker", type=float, default=0, help="GPUs each Ray worker takes")
    parser.set_defaults(run=predict_command)


def predict_command(args):
    from avmodel.batch import InputError, Terminated, expand_inputs, remaining, sigterm_as_interrupt, write_all
    from avmodel.errors import WeightsError
    from avmodel.writers import open_writer

    form = args.format or ("jsonl" if args.out else "text")
    if form == "parquet" and not args.out:
        return fail("predict", "--format parquet writes a folder: give --out RESULTS.parquet")
    if args.out and Path(args.out).exists() and Path(args.out).is_dir() != (form == "parquet"):
        kind = "a folder (Parquet parts: --format parquet)" if Path(args.out).is_dir() else "a file"
        return fail("predict", f"{args.out} is {kind}; --format {form} cannot append to it")
    try:
        todo, done = remaining(expand_inputs(args.files), args.out)
    except InputError as error:
        return fail("predict", error)
    if done:
        print(f"avmodel predict: {done} of {done + len(todo)} files already in {args.out}; {len(todo)} to go",
              file=sys.stderr)  # fmt: skip
    writer = None
    try:
        writer = open_writer(form, args.out, sys.stdout)
        with writer, sigterm_as_interrupt():
            write_all(predict_results(todo, args), writer, len(todo), progress=bool(args.out))
    except ImportError as error:
        extra = EXTRAS.get((error.name or "").split(".")[0])
        if extra is None:
            raise
        return fail("predict", f"{error}; install the optional extra: pip install 'avmodel[{extra}]'")
    except WeightsError as error:
        return fail("predict", f"cannot load the weights: {error}")
    except KeyboardInterrupt as stop:
        count = writer.count if writer else 0
        print(f"avmodel predict: interrupted after {count} of {len(todo)} files; the finished results are written",
              file=sys.stderr)  # fmt: skip
        return EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED
    return EXIT_FAILED if writer.count and writer.failed == writer.count else 0


def predict_results(todo, args):
    """The results of ``todo``, in order: from one Predictor here, or from Ray workers with ``--ray``."""
    if not todo:
        return iter(())
    if args.ray is None:
        from avmodel.batch import local_results

        return local_results(todo, args.weights, args.revision, engine=args.engine)
    from avmodel.distributed import ray_results

    address = None if args.ray == "local" else args.ray
    return ray_results(todo, address, args.num_workers, args.gpus_per_worker, args.weights, args.revision,
                       cpus_per_worker=args.cpus_per_worker, engine=args.engine)  # fmt: skip


# === compile ===


def add_compile(commands):
    parser = commands.add_parser("compile", help="make the ONNX graphs of a weights folder now (predict makes "
                                 "them on first use): later runs start without TensorFlow")  # fmt: skip
    add_weights_options(parser)
    parser.set_defaults(run=compile_command)


def compile_command(args):
    """Make (or find) the graphs of the networks and of the face detector; print where they are."""
    from avmodel import graphs, mtcnn_graphs
    from avmodel.errors import WeightsError
    from avmodel.hub import resolve_weights
    from avmodel.predict import ONNX, load_engine

    try:
        weights = resolve_weights(args.weights, args.revision)
        load_engine(weights, ONNX)  # made (or found, a damaged folder made again) and read, as predict reads them
        mtcnn_graphs.load_mtcnn_graphs()
    except (WeightsError, graphs.GraphsUnavailable) as error:
        return fail("compile", error)
    folder = graphs.graph_dir(weights)
    info = json.loads((folder / graphs.GRAPH_INFO).read_text())
    errors = {f"{role} {name}": error for role, entry in info["networks"].items()
              for name, error in entry["max_error"].items()}  # fmt: skip
    print(f"networks: {folder} (largest |ONNX - Keras| {max(errors.values()):.2g})")
    print(f"face detector: {mtcnn_graphs.mtcnn_graph_dir()}")


# === publish ===


def add_publish(commands):
    parser = commands.add_parser("publish", help="upload weights and a model card to the Hugging Face Hub")
    parser.add_argument("--repo-id", required=True, help="the Hub model repo, ORG/NAME (made if missing)")
    parser.add_argument("--weights", default=None, help="weights folder (default: the bundled avmodel/weights)")
    parser.add_argument("--revision", default=None, help="branch to upload to (default: main)")
    parser.add_argument("--private", action="store_true", help="make a new repo private")
    parser.set_defaults(run=publish_command)


def publish_command(args):
    """Upload the three networks, model_info.json and the model card; log in first (HF_TOKEN)."""
    from huggingface_hub.errors import HfHubHTTPError

    from avmodel.hub import BUNDLED_WEIGHTS, publish

    try:
        url = publish(args.weights or BUNDLED_WEIGHTS, args.repo_id, revision=args.revision, private=args.private)
    except FileNotFoundError as error:
        return fail("publish", error)
    except HfHubHTTPError as error:  # not logged in, no write access, ...
        return fail("publish", f"the Hub refused: {error}", EXIT_FAILED)
    print(f"published: {url}")


def add_engine_option(parser):
    parser.add_argument("--engine", choices=("auto", "onnx", "keras"), default="auto",
                        help="onnx: ONNX graphs on onnxruntime (no TensorFlow; made on first use, see "
                             "avmodel compile); keras: the .keras networks; auto (default): onnx where it can")  # fmt: skip


def add_weights_options(parser):
    parser.add_argument("--weights", default=None, help="weights folder or Hub id ORG/NAME (default: bundled)")
    parser.add_argument("--revision", default=None, help="Hub branch, tag or commit (with a Hub id)")


if __name__ == "__main__":
    sys.exit(main())
