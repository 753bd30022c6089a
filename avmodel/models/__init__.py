"""The paper's three networks, and loading them back.

    audio window (batch, samples)        -> AudioNet  -> (batch, classes)
    face crop (batch, side, side, 1)     -> VisualNet -> (batch, classes)
    {"audio": ..., "face": ...}          -> FusionNet -> (batch, classes)

Every model outputs probabilities in the order of its ``labels`` config, offers
``features(x)`` / ``feature_extractor`` for its feature layer, and saves to a
single ``.keras`` file that carries its configuration and label order.
"""

from pathlib import Path

import keras

from avmodel.models.audio_net import AudioNet
from avmodel.models.fusion import FusionNet
from avmodel.models.visual_net import VisualNet

__all__ = ["AudioNet", "FusionNet", "VisualNet", "load_model"]


def load_model(path, compile=False):
    """Load a ``.keras`` file saved from any of the three networks.

    The classes are registered with Keras on import of this package, so the
    file rebuilds as the right class; ``compile`` restores the optimizer state
    too (off by default: inference needs no optimizer).
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"no model file at {path}")
    return keras.saving.load_model(path, compile=compile)
