"""``python -m benchmark``: parse the arguments, run the suite, write the report folder."""

import argparse
import os
import sys
from importlib.util import find_spec
from pathlib import Path

from avmodel.constants import SEED

DESCRIPTION = "Accuracy (against the paper and the Avots et al. baseline) and throughput."
DEFAULT_CACHE = "cache/benchmark"  # prepared folders of raw corpus sources (git-ignored)
EXAMPLE = """examples:
  python -m benchmark --emodb ../shared/data/emodb/wav --out reports/emodb --epochs 0
  python -m benchmark --enterface project2_database.zip --fer2013 fer2013.zip --weights avmodel/weights \\
      --epochs 30 --out reports/enterface
  python -m benchmark --throughput --out reports/throughput-cpu"""


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m benchmark", epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description=DESCRIPTION)  # fmt: skip
    corpora = parser.add_argument_group("corpora (each optional: a raw source, or a folder made by `avmodel prepare`)")
    corpora.add_argument("--enterface", help="eNTERFACE'05: project2_database.zip or its tree")
    corpora.add_argument("--enterface-replica", help="a replica tree of eNTERFACE'05 (pipeline check; rows say 'replica')")
    corpora.add_argument("--fer2013", help="FER2013: fer2013.csv, the image-folder zip or tree")
    corpora.add_argument("--emodb", help="emoDB: the folder of wavs")
    corpora.add_argument("--ravdess", help="RAVDESS: the Actor_NN folders")
    parser.add_argument("--out", required=True, help="report folder (report.md, results.json, PNGs)")
    parser.add_argument("--weights", help="folder with audio.keras / visual.keras / fusion.keras (default: random init)")
    training = parser.add_argument_group("training")
    training.add_argument("--epochs", type=int, default=30,
                          help="fine-tune avmodel's networks on each split's train side (0: evaluate as given)")  # fmt: skip
    training.add_argument("--batch-size", type=int, default=32)
    training.add_argument("--learning-rate", type=float, default=1e-3)
    training.add_argument("--no-augment", action="store_true", help="fine-tune without avmodel.training's augmentation")
    training.add_argument("--baseline-epochs", type=int, default=10, help="the baseline face network, per split")
    training.add_argument("--pretrain-epochs", type=int, default=10, help="the baseline face network on FER2013")
    training.add_argument("--seed", type=int, default=SEED)
    training.add_argument("--runs", help="keep each network's training run here (avmodel train's run folder: "
                                         "config.json, log.csv, best.keras); default: a temporary folder")  # fmt: skip
    parser.add_argument("--no-baseline", action="store_true", help="skip the Avots et al. baseline")
    parser.add_argument("--no-networks", action="store_true", help="skip avmodel's networks")
    parser.add_argument("--cache", default=DEFAULT_CACHE, help="where raw sources are prepared (resumable)")
    parser.add_argument("--workers", type=int, default=None, help="prepare processes")
    parser.add_argument("--limit", type=int, default=None, help="first N clips of each corpus (a quick look)")
    speed = parser.add_argument_group("throughput")
    speed.add_argument("--throughput", action="store_true", help="run pytest benchmark/, FLOPs, peak FLOP/s and memory")
    speed.add_argument("--throughput-json", help="summarise this pytest-benchmark JSON instead of running the tests")
    speed.add_argument("--long-clip-seconds", type=int, default=600, help="duration of the long memory clip")
    speed.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurements")
    return parser


def choose_backend():
    """Keras on JAX where TensorFlow is absent (a GPU machine with JAX only); otherwise leave the choice alone."""
    if "KERAS_BACKEND" not in os.environ and find_spec("tensorflow") is None and find_spec("jax") is not None:
        os.environ["KERAS_BACKEND"] = "jax"


def settings_from(args):
    from benchmark.baseline import FaceTraining
    from benchmark.finetune import FineTune
    from benchmark.protocols import Settings

    return Settings(
        weights=Path(args.weights) if args.weights else None,
        finetune=FineTune(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                          augment=not args.no_augment, seed=args.seed),  # fmt: skip
        face_training=FaceTraining(epochs=args.baseline_epochs, pretrain_epochs=args.pretrain_epochs, seed=args.seed),
        run_baseline=not args.no_baseline,
        run_networks=not args.no_networks,
        runs=Path(args.runs) if args.runs else None,
    )


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    choose_backend()
    from benchmark.run import run

    path = run(args, argv)
    print(f"report: {path}")
    return 0
