"""A weights folder -> its test metrics, measured on the prepared corpora.

    visual  FER2013 PublicTest faces              -> VisualNet -> 7-class metrics
    audio   each corpus's test speakers' windows  -> AudioNet  -> clip-level metrics
    fusion  label-matched test pairs              -> FusionNet -> pair-level metrics
            (held-out speakers' windows x the held-out half of PublicTest,
             drawn with the seed and pairing the fusion run used)

The splits are those of training (``avmodel.training.data``), so these are the
figures recorded in ``model_info.json``; ``compare`` checks that they reproduce.
"""

from pathlib import Path

from avmodel.hub import read_info
from avmodel.metrics import evaluate_probabilities
from avmodel.models import AudioNet, VisualNet, load_model
from avmodel.predict import load_networks
from avmodel.training import data
from avmodel.training.config import TrainConfig

PREDICT_BATCH = 256
DEFAULT_PAIRING = {key: TrainConfig.__dataclass_fields__[key].default for key in ("pairs_per_window", "seed")}
TOLERANCE = 0.0005  # accuracy difference still counted as reproduced (float round-off)


def predict(model, x):
    """A network's calibrated probabilities (n, classes) of its inputs."""
    return model.probabilities(x, batch_size=PREDICT_BATCH)


def measure_visual(model, fer_folder):
    split = data.visual_splits([fer_folder])["test"]
    return {"visual: FER2013 PublicTest faces": evaluate_probabilities(predict(model, split.x), split.y)["sample"]}


def measure_audio(model, audio_folders):
    """Clip-level metrics per corpus (a clip's window probabilities averaged)."""
    results = {}
    for folder in audio_folders:
        split = data.audio_splits([folder])["test"]
        metrics = evaluate_probabilities(predict(model, split.x), split.y, split.clip)
        name = Path(folder).name
        results[f"audio: {name} test speakers, per clip"] = metrics.get("clip", metrics["sample"])
    return results


def measure_pairs(networks, audio_folders, fer_folder, pairing):
    """The fusion on the label-matched test pairs, and each branch alone on the same pairs:
    the bar the fusion must clear."""
    split = data.pair_splits(audio_folders, [fer_folder], pairing["pairs_per_window"], pairing["seed"])["test"]
    inputs = (("fusion", "fusion", split.x), ("audio alone", "audio", split.x["audio"]),
              ("visual alone", "visual", split.x["face"]))  # (name, network, its input)
    return {f"{name}: label-matched test pairs": evaluate_probabilities(predict(networks[role], x), split.y)["sample"]
            for name, role, x in inputs}  # fmt: skip


def measure_weights(weights_dir, fer_folder=None, audio_folders=()):
    """{what was measured: metrics} for every network the given corpora allow."""
    networks = load_networks(Path(weights_dir))
    pairing = read_info(weights_dir).get("pairing", DEFAULT_PAIRING)
    results = {}
    if fer_folder:
        results.update(measure_visual(networks["visual"], fer_folder))
    if audio_folders:
        results.update(measure_audio(networks["audio"], audio_folders))
    if fer_folder and audio_folders:
        results.update(measure_pairs(networks, audio_folders, fer_folder, pairing))
    return results


def measure_network(path, fer_folder=None, audio_folders=()):
    """{what was measured: metrics} of one trained network file (an AudioNet or a VisualNet, e.g. a run's
    best.keras) on the test sides its corpora give: the same figures ``measure_weights`` takes of a release."""
    model = load_model(path)
    if isinstance(model, AudioNet) and audio_folders:
        return measure_audio(model, audio_folders)
    if isinstance(model, VisualNet) and fer_folder:
        return measure_visual(model, fer_folder)
    wanted = "--audio-data" if isinstance(model, AudioNet) else "--fer" if isinstance(model, VisualNet) else None
    raise ValueError(f"{path}: a {type(model).__name__}; " +
                     (f"give {wanted} to measure it" if wanted else "only an audio or a visual network is measured alone"))


def compare(measured, recorded):
    """[(name, measured accuracy, recorded accuracy or None, reproduced?)] per measured metric."""
    rows = []
    for name, metrics in measured.items():
        before = recorded.get(name, {}).get("accuracy")
        same = before is not None and abs(metrics["accuracy"] - before) <= TOLERANCE
        rows.append((name, metrics["accuracy"], before, same))
    return rows
