"""Training runs -> a release weights folder, with the metrics measured on it.

    runs/{audio,visual,fusion}/best.keras   -> WEIGHTS/{audio,visual,fusion}.keras (no optimizer state)
    runs/*/config.json, data.json, metrics.json, log.csv -> WEIGHTS/model_info.json:
        labels, config (per network), data, splits, training (epochs, seconds, backend),
        pairing (how the fusion pairs were drawn), code version, and the metrics that
        ``avmodel evaluate`` measures on the copied weights, with that command beside them.
"""

import json
import subprocess
from pathlib import Path

from avmodel.constants import EMOTIONS
from avmodel.evaluate import evaluate_weights
from avmodel.hub import INFO_FILE, MODEL_FILES
from avmodel.models import load_model
from avmodel.training.data import HELD_OUT

SPLITS = {
    "visual": "FER2013 train (28,709 faces) for training; PublicTest (3,589) for validation and test; "
              "PrivateTest withheld",
    "audio": "speaker-independent: "
             + "; ".join(f"{corpus} speakers {', '.join(val)} validation and {', '.join(test)} test"
                         for corpus, (val, test) in HELD_OUT.items())
             + "; all other speakers train; RAVDESS actors 21-24 withheld",
    "fusion": "label-matched pairs: training speakers' windows x FER2013 train faces; validation and test: "
              "the held-out speakers' windows x the two halves of PublicTest (a face and a voice of the same "
              "emotion from different corpora, never a real audio-visual clip)",
}  # fmt: skip


def code_version():
    """`git describe` of the working tree, or "unknown" outside a git checkout."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_record(run):
    """What a training run folder says about itself: config, data, training figures.

    A run warm-started from another run's weights (``init_model``) carries that run's
    config and training figures under ``training["started_from"]``, and so on back.
    """
    run = Path(run)
    config = json.loads((run / "config.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text()) if (run / "metrics.json").is_file() else {}
    record = {"config": config, "training": dict(metrics.get("training", {}))}
    init_model = config.get("init_model")
    if init_model and (Path(init_model).parent / "config.json").is_file():
        earlier = run_record(Path(init_model).parent)
        record["training"]["started_from"] = {"config": earlier["config"], "training": earlier["training"]}
    if (run / "data.json").is_file():
        record["data"] = json.loads((run / "data.json").read_text())
    return record


def evaluate_command(fer_folder, audio_folders):
    return " ".join(["avmodel evaluate", f"--fer {fer_folder}", "--audio-data", *map(str, audio_folders)])


def build_release(runs, out, fer_folder, audio_folders):
    """Copy the three runs' best weights into ``out`` and write model_info.json; returns the info dict."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    version = code_version()  # before the weights below change tracked files (which reads "-dirty")
    records = {role: run_record(runs[role]) for role in MODEL_FILES}
    for role, name in MODEL_FILES.items():  # re-saved uncompiled: no optimizer state (a third of the bytes)
        load_model(Path(runs[role]) / "best.keras").save(out / name)
    fusion_config = records["fusion"]["config"]
    info = {
        "labels": list(EMOTIONS),
        "code_version": version,
        "config": {role: record["config"] for role, record in records.items()},
        "training": {role: record["training"] for role, record in records.items()},
        "data": {role: ", ".join(Path(f).name for f in record["config"]["data"]) for role, record in records.items()},
        "samples": {role: record.get("data", {}) for role, record in records.items()},
        "splits": SPLITS,
        "pairing": {"pairs_per_window": fusion_config["pairs_per_window"], "seed": fusion_config["seed"]},
    }
    (out / INFO_FILE).write_text(json.dumps(info, indent=2))
    command = evaluate_command(fer_folder, audio_folders)
    measured = evaluate_weights(out, fer_folder, audio_folders)
    info["metrics"] = {name: {**metrics, "command": command} for name, metrics in measured.items()}
    (out / INFO_FILE).write_text(json.dumps(info, indent=2))
    return info
