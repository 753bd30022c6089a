"""One benchmark run, top to bottom: stamp -> settings -> accuracy suite -> throughput -> report."""

import tempfile
from pathlib import Path

from benchmark import environment, report, rows, suite
from benchmark.cli import settings_from

REPLICA = "enterface05-replica"  # corpus name of replica rows: never eNTERFACE'05 figures
BASELINE_NOTES = (
    "Avots et al. baseline as reproduced here: audio = 400 ms segments, 21 named statistics of frame "
    "descriptors + 13 MFCC means (benchmark/baseline/features.py), standardised, RBF SVM with Platt "
    "probabilities, majority vote per clip; visual = an AlexNet-style CNN on 30x30 grayscale faces "
    "trained from scratch (no pretrained AlexNet offline; pre-trained on FER2013 when --fer2013 is given), "
    "majority vote per clip; fused = the class of the highest of the 2 x classes clip probabilities "
    "(mean segment / face probabilities). Key frames are avmodel's (every 10th frame), not Avots et al.'s "
    "frame-difference selection.",
)


def run(args, argv):
    """Run what the arguments ask for; returns the report.md Path."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = environment.stamp(argv)
    settings = settings_from(args)
    sources = {suite.ENTERFACE: args.enterface, suite.FER2013: args.fer2013, suite.EMODB: args.emodb,
               suite.RAVDESS: args.ravdess}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="avmodel-benchmark-runs-") as scratch:
        settings.runs = settings.runs or Path(scratch)  # the training runs, unless --runs keeps them
        found, corpora = suite.run_suite(sources, settings, args.cache, args.workers, args.limit)
        if args.enterface_replica:
            found += replica_rows(args.enterface_replica, settings, args)
            corpora[REPLICA] = {"status": "provided (replica: a pipeline test, not eNTERFACE'05)",
                                "source": args.enterface_replica}  # fmt: skip
    results.update(settings=_settings(args, settings), corpora=corpora, rows=found, notes=notes(args, settings, found))
    results["throughput"] = _throughput(args, out)
    return report.write_report(results, out)


def replica_rows(source, settings, args):
    """eNTERFACE'05 protocols on a replica tree, rows renamed REPLICA."""
    from benchmark import data

    prepared = data.prepared_folder(suite.ENTERFACE, source, Path(args.cache) / "replica", args.workers, args.limit)
    clips = data.load_clips(prepared)
    found = suite.evaluate_corpus(suite.ENTERFACE, clips, prepared, settings, print)
    return [rename(row, REPLICA) for row in found]


def rename(row, corpus):
    row = dict(row, corpus=corpus)
    row["id"] = rows.row_id(corpus, row["protocol"], row["system"], row["modality"])
    return row


def _settings(args, settings):
    return {"weights": str(settings.weights) if settings.weights else None, "finetune": settings.finetune.describe(),
            "baseline_face_training": settings.face_training.__dict__, "run_baseline": settings.run_baseline,
            "run_networks": settings.run_networks, "limit": args.limit, "cache": args.cache, "runs": args.runs,
            "baseline_face_pretrained_on_fer2013": settings.pretrained_faces is not None}  # fmt: skip


def notes(args, settings, found):
    said = list(BASELINE_NOTES)
    measured_networks = any(r["system"] == "avmodel" and r["status"] == rows.MEASURED for r in found)
    if measured_networks and settings.weights is None:
        said.append("avmodel rows started from random weights (no --weights): the networks were trained only "
                    f"on each split's train side, {settings.finetune.epochs} epochs.")  # fmt: skip
    if measured_networks and settings.finetune.epochs > 0:
        said.append("avmodel's networks are trained on each split's train side by avmodel.training.run.train "
                    "(benchmark/finetune.py: a TrainConfig naming the split's manifest and fold, starting from the "
                    "given weights); the paper's protocols have no validation side, so those runs train for fixed "
                    "epochs, while the held-out speaker split early-stops on its validation speakers. "
                    "The paper retrains its fusion on eNTERFACE'05 the same way.")  # fmt: skip
    if measured_networks and settings.weights and any(r["corpus"] != "enterface05" for r in found
                                                      if r["system"] == "avmodel" and r["status"] == rows.MEASURED):
        said.append("For corpora the given weights were trained on (FER2013, emoDB, RAVDESS), the test side of a "
                    "split may hold clips the weights have seen; such rows are optimistic.")  # fmt: skip
    if args.enterface_replica:
        said.append(f"Rows of '{REPLICA}' come from a generated replica of the eNTERFACE'05 tree (a still face and "
                    "a tone per emotion): they test the pipeline and are not eNTERFACE'05 figures.")  # fmt: skip
    if args.limit:
        said.append(f"--limit {args.limit}: only the first {args.limit} clips of each corpus were used.")
    return said


def _throughput(args, out):
    if not (args.throughput or args.throughput_json):
        return None
    from benchmark import throughput

    return throughput.measure(out, args.weights, args.throughput_json, args.long_clip_seconds,
                              memory=not args.no_memory)  # fmt: skip
