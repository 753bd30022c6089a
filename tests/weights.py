"""Untrained weights folders for tests and smoke runs: the real classes, saved as a release is.

    make_weights(folder)              tiny networks (seconds to build, for the fast tests)
    make_weights(folder, tiny=False)  the full "paper" networks, random weights (smoke runs, timings)

    python -m tests.weights FOLDER [--full]
"""

import json
import sys
from pathlib import Path

from avmodel.constants import EMOTIONS
from avmodel.hub import INFO_FILE, MODEL_FILES

TINY_AUDIO = {"filters": (2, 2, 2), "lstm_units": 4, "dropout": 0.0}  # 3 blocks keep the LSTM at 125 steps
TINY_VISUAL = {"filters": (4,), "convs_per_block": 1, "feature_units": 4, "dropout": 0.0}
TINY_FUSION = {"hidden_units": (4,), "frozen_blocks": (0, 0)}


def make_weights(folder, tiny=True, seed=0):
    """Save random AudioNet, VisualNet, FusionNet and a model_info.json into ``folder``; returns it."""
    import keras

    from avmodel.models import AudioNet, FusionNet, VisualNet

    keras.utils.set_random_seed(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    audio = AudioNet.from_preset("paper", **TINY_AUDIO) if tiny else AudioNet.from_preset("paper")
    visual = VisualNet.from_preset("paper", **TINY_VISUAL) if tiny else VisualNet.from_preset("paper")
    fusion = FusionNet.from_branches(audio, visual, **(TINY_FUSION if tiny else {}))
    for role, network in (("audio", audio), ("visual", visual), ("fusion", fusion)):
        network.save(folder / MODEL_FILES[role])
    info = {
        "labels": list(EMOTIONS),
        "config": {"weights": "random, untrained", "tiny": tiny, "seed": seed},
        "metrics": {},
    }
    (folder / INFO_FILE).write_text(json.dumps(info, indent=2))
    return folder


if __name__ == "__main__":
    make_weights(sys.argv[1], tiny="--full" not in sys.argv[2:])
