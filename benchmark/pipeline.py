"""The whole pipeline for timing and memory: file -> ``avmodel.predict.Predictor`` -> probabilities.

Trained weights come from a folder (``--weights``); without one, full-size
networks of the paper presets with random weights are saved to a temporary
folder and used instead (same shapes, same cost, meaningless outputs).
"""

import json
import tempfile
from pathlib import Path

from avmodel.constants import EMOTIONS, SAMPLE_RATE, SEED, WINDOW_SAMPLES
from avmodel.decode import FALLBACK_FPS, key_frame_offset
from avmodel.constants import KEYFRAME_STRIDE

REFERENCE_SECONDS = 3.0  # s: the clip every per-clip figure refers to (about an eNTERFACE'05 sentence)
RANDOM_WEIGHTS = "random weights (full-size paper presets; no trained weights given)"


def reference_clip(seconds=REFERENCE_SECONDS, fps=FALLBACK_FPS):
    """What one clip of ``seconds`` at ``fps`` gives the networks (a face in every key frame assumed).

    Returns {"seconds", "windows", "key_frames", "fusion_pairs"}: windows per avmodel.audio's rule
    (a remainder of at least half a window counts), key frames one every KEYFRAME_STRIDE from the
    seeded offset, and one fusion pair per face (each face falls inside one window).
    """
    samples = round(seconds * SAMPLE_RATE)
    full, remainder = divmod(samples, WINDOW_SAMPLES)
    windows = full + (remainder >= WINDOW_SAMPLES // 2)
    frames = round(seconds * fps)
    key_frames = len(range(key_frame_offset(SEED), frames, KEYFRAME_STRIDE))
    return {"seconds": seconds, "windows": int(windows), "key_frames": key_frames, "fusion_pairs": key_frames}


def save_random_weights(folder):
    """Write full-size random-weight networks + model_info.json (as ``avmodel.hub`` expects) to ``folder``."""
    from avmodel.hub import INFO_FILE, MODEL_FILES
    from avmodel.models import AudioNet, FusionNet, VisualNet

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    models = {"audio": AudioNet.from_preset("paper"), "visual": VisualNet.from_preset("paper"), "fusion": FusionNet()}
    for role, model in models.items():
        model.save(folder / MODEL_FILES[role])
    (folder / INFO_FILE).write_text(json.dumps({"labels": list(EMOTIONS), "note": RANDOM_WEIGHTS}))
    return folder


def weights_folder(weights=None):
    """(folder, origin): the trained weights given, or a temporary folder of random ones."""
    from avmodel.hub import INFO_FILE, MODEL_FILES

    if weights is not None:
        folder = Path(weights)
        if all((folder / name).is_file() for name in (*MODEL_FILES.values(), INFO_FILE)):
            return folder, f"trained weights {folder}"
    folder = save_random_weights(Path(tempfile.mkdtemp(prefix="avmodel-random-weights-")))
    return folder, RANDOM_WEIGHTS


def load_networks(weights=None):
    """({"audio", "visual", "fusion"}: model, origin) for the throughput tests."""
    from avmodel.predict import load_networks as load

    folder, origin = weights_folder(weights)
    return load(folder), origin


def make_predictor(weights=None, detector=None, engine="auto"):
    """(Predictor, origin): the whole file -> probabilities pipeline (``engine``: see ``Predictor``)."""
    from avmodel.predict import Predictor

    folder, origin = weights_folder(weights)
    return Predictor(str(folder), detector=detector, engine=engine), origin
