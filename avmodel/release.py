"""Training runs -> a release weights folder, with the metrics measured on it.

    runs/{audio,visual,fusion}/best.keras   -> temperature fitted on validation data (calibration.py)
                                            -> WEIGHTS/{audio,visual,fusion}.keras (no optimizer state)
    runs/*/config.json, data.json, metrics.json, log.csv -> WEIGHTS/model_info.json:
        labels, config (per network), data, splits, training (epochs, seconds, backend),
        pairing (how the fusion pairs were drawn), code version, calibration (each
        temperature, ECE and NLL before and after, on validation and test data), and the
        metrics that ``avmodel evaluate`` measures on the copied weights, with that command.
    FIGURES/reliability_{audio,visual,fusion}.png: reliability diagrams before and after.

Where each temperature is fitted (never on test data): visual on the validation
half of PublicTest (the half the fusion pairs validate on), audio on the
validation speakers' windows, fusion on the validation pairs; each is checked on
the matching test side.
"""

import json
import subprocess
from pathlib import Path

import numpy as np

from avmodel import calibration
from avmodel.constants import EMOTIONS
from avmodel.reproduce import DEFAULT_PAIRING, measure_weights
from avmodel.hub import INFO_FILE, MODEL_FILES
from avmodel.models import load_model
from avmodel.splits import HELD_OUT
from avmodel.training import data
from avmodel.training.lineage import run_record

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


def evaluate_command(fer_folder, audio_folders):
    return " ".join(["avmodel evaluate", f"--fer {fer_folder}", "--audio-data", *map(str, audio_folders)])


def calibration_sides(role, fer_folder, audio_folders, pairing):
    """(validation Samples, test Samples) of one network: where its temperature is fitted, and checked."""
    if role == "visual":
        faces = data.visual_splits([fer_folder])["test"]
        return data.publictest_halves(faces, np.random.default_rng(pairing["seed"]))
    if role == "audio":
        sides = data.audio_splits(audio_folders)
    else:
        sides = data.pair_splits(audio_folders, [fer_folder], pairing["pairs_per_window"], pairing["seed"])
    return sides["val"], sides["test"]


def calibrate(model, validation, test):
    """(``model`` with its temperature fitted on ``validation``, report on both sides)."""
    temperature = calibration.fit_temperature(calibration.predict_logits(model, validation.x), validation.y)
    reports = {name: calibration.calibration_report(calibration.predict_logits(model, side.x), side.y, temperature)
               for name, side in (("validation", validation), ("test", test))}  # fmt: skip
    return calibration.with_temperature(model, temperature), {"temperature": temperature, **reports}


def plot_calibration(role, model, calibrated, test, figures):
    """Reliability diagram of one network on its test side, before and after calibration."""
    logits = calibration.predict_logits(model, test.x)
    after = calibration.probabilities(logits, calibrated.temperature)
    curves = [("T = 1", calibration.probabilities(logits), test.y), (f"T = {calibrated.temperature:.2f}", after, test.y)]
    Path(figures).mkdir(parents=True, exist_ok=True)
    return calibration.plot_reliability(curves, Path(figures) / f"reliability_{role}.png", f"{role} network, test side")


def build_release(runs, out, fer_folder, audio_folders, figures=None):
    """Calibrate the three runs' best weights, save them into ``out`` and write model_info.json;
    reliability diagrams go to ``figures`` when given. Returns the info dict."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    version = code_version()  # before the weights below change tracked files (which reads "-dirty")
    records = {role: run_record(runs[role]) for role in MODEL_FILES}
    fusion_config = records["fusion"]["config"]
    pairing = {key: fusion_config.get(key, DEFAULT_PAIRING[key]) for key in DEFAULT_PAIRING}
    calibrations = {}
    for role, name in MODEL_FILES.items():  # re-saved uncompiled: no optimizer state (a third of the bytes)
        model = load_model(Path(runs[role]) / "best.keras")
        validation, test = calibration_sides(role, fer_folder, audio_folders, pairing)
        calibrated, calibrations[role] = calibrate(model, validation, test)
        calibrated.save(out / name)
        if figures:
            plot_calibration(role, model, calibrated, test, figures)
    info = {
        "labels": list(EMOTIONS),
        "code_version": version,
        "config": {role: record["config"] for role, record in records.items()},
        "training": {role: record["training"] for role, record in records.items()},
        "data": {role: ", ".join(Path(f).name for f in record["config"]["data"]) for role, record in records.items()},
        "samples": {role: record.get("data", {}) for role, record in records.items()},
        "splits": SPLITS,
        "pairing": pairing,
        "calibration": calibrations,
    }
    (out / INFO_FILE).write_text(json.dumps(info, indent=2))
    command = evaluate_command(fer_folder, audio_folders)
    measured = measure_weights(out, fer_folder, audio_folders)
    info["metrics"] = {name: {**metrics, "command": command} for name, metrics in measured.items()}
    (out / INFO_FILE).write_text(json.dumps(info, indent=2))
    return info
