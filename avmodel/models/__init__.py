"""The paper's three networks, and loading them back.

    audio window (batch, samples)      -> AudioBackbone  -> (batch, 256) -> AudioNet head  -> (batch, classes)
    face crop (batch, side, side, 1)   -> VisualBackbone -> (batch, 256) -> VisualNet head -> (batch, classes)
    (audio features, visual features)  -> concat (batch, 512)            -> FusionNet head -> (batch, classes)

Each network is a backbone (features) and a head (logits), keras-hub style:
``network.backbone`` (FusionNet: ``audio_backbone``, ``visual_backbone``) and
``network.head``. Networks output logits in the order of their ``labels``
config; ``probabilities(logits, network.temperature)`` (``avmodel.calibration``) is the one softmax, at
the edge, with the calibration temperature. Each saves to a single ``.keras``
file that carries its configuration and label order; files of the older flat
structure load too (``legacy.py``).
"""

import json
import re
import zipfile
from pathlib import Path

import keras

from avmodel.errors import MissingWeightsError, WeightsError, short_message
from avmodel.models.audio_net import AudioBackbone, AudioNet
from avmodel.models.fusion import FusionNet
from avmodel.models import legacy
from avmodel.calibration import probabilities
from avmodel.models.visual_net import VisualBackbone, VisualNet

__all__ = ["AudioBackbone", "AudioNet", "FusionNet", "VisualBackbone", "VisualNet", "load_model", "probabilities"]


def load_model(path, compile=False):
    """Load a ``.keras`` file saved from any of the three networks.

    The classes are registered with Keras on import of this package, so the
    file rebuilds as the right class; ``compile`` restores the optimizer state
    too (off by default: inference needs no optimizer). Loading runs in Keras's
    safe mode (no Python code such as a Lambda layer is ever run). Raises
    ``MissingWeightsError`` (a FileNotFoundError) when there is no file, and
    ``WeightsError`` naming the file and the problem for anything else that
    stops it loading: not a zip archive (truncated, or another format), no
    config.json, a class other than the three networks, weights that do not
    fit the config.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingWeightsError(path, "no model file here")
    config = _check_archive(path)
    try:
        if legacy.is_legacy(config):
            return legacy.load_legacy(path, config)
        return keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as error:  # Keras raises ValueError, TypeError, OSError, KeyError ... for a bad file
        raise WeightsError(path, _keras_problem(error)) from error


NETWORK_CLASSES = ("AudioNet", "VisualNet", "FusionNet")  # the only top-level classes load_model accepts


def _check_archive(path):
    """Refuse what is no .keras file of ours before Keras reads any of it (a .keras file is a zip)."""
    if not zipfile.is_zipfile(path):
        with path.open("rb") as file:
            head = file.read(4)
        kind = "truncated or damaged zip archive" if head == b"PK\x03\x04" else "not a Keras file (no zip archive)"
        raise WeightsError(path, f"{kind}, {path.stat().st_size} bytes: replace it with the released file")
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()  # the first member whose checksum fails, or None
            names = set(archive.namelist())
            if damaged or not {"config.json", "model.weights.h5"} <= names:
                what = f"damaged member {damaged}" if damaged else "no config.json and model.weights.h5 inside"
                raise WeightsError(path, f"not a complete Keras file ({what})")
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:  # ValueError: bad JSON or compression
        raise WeightsError(path, f"damaged Keras file ({type(error).__name__}: {short_message(error)})") from error
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in NETWORK_CLASSES:
        module = f" from {config.get('module')}" if isinstance(config, dict) and config.get("module") else ""
        raise WeightsError(path, f"holds class {name!r}{module}, not one of avmodel's {', '.join(NETWORK_CLASSES)}")
    return config


def _keras_problem(error):
    """A Keras loading error in one line: what is wrong with the file."""
    text = short_message(error)
    if "Lambda" in text or "safe_mode" in text:
        return "refused in safe mode: it holds Python code (a Lambda layer or function), which is never run"
    unknown = re.search(r"Could not locate (?:class|function) '([^']+)'", text)
    if unknown:
        return f"unknown class {unknown.group(1)!r} inside the network (not a Keras or avmodel layer)"
    if "could not be loaded" in text:  # the weights file does not fit the config's layers
        layer = re.search(r"<\w+ name=(\w+)", str(error))
        shapes = re.search(r"variable\.shape=(\([^)]*\)), Received: value\.shape=(\([^)]*\))", str(error))
        detail = [f"layer {layer.group(1)}"] if layer else []
        detail += [f"config {shapes.group(1)}, file {shapes.group(2)}"] if shapes else []
        return "its weights do not fit its config" + (f" ({': '.join(detail)})" if detail else "")
    if "could not be deserialized" in text:  # the network's constructor refused its saved config
        cause = error.__cause__ or error.__context__
        return f"its config does not build the network ({short_message(cause) if cause else text})"
    return f"Keras could not rebuild it ({type(error).__name__}: {text})"

