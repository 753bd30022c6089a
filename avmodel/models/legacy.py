"""Reading ``.keras`` files saved before the backbone / head split (releases 1-3, and their runs).

    old file: one flat graph per network (encoder layers, head layers, a temperature
    Rescaling and a Softmax, all in one Functional) and a flat config
      -> that graph rebuilt here from the config, its weights loaded from the file
      -> the same network in today's structure (backbones + head, logits out), weights copied
         layer by layer (the layer names did not change), temperature kept in the config

So a user's old run or Hub cache loads as before, and ``avmodel convert`` re-saves it.
The probabilities are the same (tests/test_models.py checks the round trip on random
weights; tests/test_release_weights.py on the released files against recorded outputs).
"""

import json
import tempfile
import zipfile
from pathlib import Path

import keras

from avmodel.models import audio_net, visual_net
from avmodel.models.audio_net import AudioBackbone, AudioNet
from avmodel.models.fusion import FusionNet
from avmodel.models.visual_net import VisualBackbone, VisualNet

BRANCHES = {"AudioNet": ("audio", AudioBackbone, AudioNet), "VisualNet": ("visual", VisualBackbone, VisualNet)}


def is_legacy(config):
    """True for the saved config of a network from before the split (a flat config, no backbone)."""
    inner = config.get("config", {})
    return config.get("class_name") in (*BRANCHES, "FusionNet") and "backbone" not in inner and \
        "audio_backbone" not in inner  # fmt: skip


def load_legacy(path, config):
    """The network in ``path`` (an old-structure .keras file whose config.json is ``config``) in today's
    structure."""
    name, args = config["class_name"], dict(config["config"])
    if name == "FusionNet":
        old, new = _fusion_graphs(args)
    else:
        old, new = _branch_graphs(name, args)
    _load_flat_weights(old, path)
    for layer in old.layers:
        if layer.weights:
            _target(new, layer.name).set_weights(layer.get_weights())
    return new


def _branch_graphs(name, args):
    """(the old flat graph, the new network) of an AudioNet / VisualNet config."""
    branch, backbone_class, network_class = BRANCHES[name]
    backbone_args = {key: value for key, value in args.items() if key in backbone_class.ARGS}
    labels, dropout, temperature = args.get("labels"), args.get("dropout", 0.25), args.get("temperature", 1.0)
    encoder = audio_net.audio_encoder if branch == "audio" else visual_net.visual_encoder
    inputs, features = encoder(**backbone_args)
    x = keras.layers.Dropout(dropout, name=f"{branch}_dropout")(features)
    old = keras.Model(inputs, _flat_head(x, len(labels), branch, temperature))
    new = network_class(backbone=backbone_class(**backbone_args), labels=labels, dropout=dropout,
                        temperature=temperature)  # fmt: skip
    return old, new


def _fusion_graphs(args):
    """(the old flat graph, the new network) of a FusionNet config."""
    audio_args = {key: value for key, value in args["audio_config"].items() if key in AudioBackbone.ARGS}
    visual_args = {key: value for key, value in args["visual_config"].items() if key in VisualBackbone.ARGS}
    labels, hidden, dropout = args["labels"], args.get("hidden_units", (256, 256)), args.get("dropout", 0.25)
    temperature = args.get("temperature", 1.0)
    waveform, audio_features = audio_net.audio_encoder(**audio_args)
    face, visual_features = visual_net.visual_encoder(**visual_args)
    x = keras.layers.Concatenate(name="fusion_concat")([audio_features, visual_features])
    for i, units in enumerate(hidden, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"fusion_dense{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"fusion_dropout{i}")(x)
    old = keras.Model({"audio": waveform, "face": face}, _flat_head(x, len(labels), "fusion", temperature))
    frozen = args.get("frozen_blocks", (2, 2))
    new = FusionNet(AudioBackbone(**audio_args), VisualBackbone(**visual_args), labels=labels, hidden_units=hidden,
                    dropout=dropout, frozen_blocks=frozen, temperature=temperature)
    return old, new


def _flat_head(x, num_classes, branch, temperature):
    """The old networks' last layers: logits -> temperature -> softmax."""
    logits = keras.layers.Dense(num_classes, name=f"{branch}_logits")(x)
    scaled = keras.layers.Rescaling(1.0 / temperature, name=f"{branch}_temperature")(logits)
    return keras.layers.Softmax(dtype="float32", name=f"{branch}_probabilities")(scaled)


def _load_flat_weights(model, path):
    """Load the weights file inside an old .keras archive into the rebuilt flat graph (same layer order)."""
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as folder:
        weights = Path(folder) / "model.weights.h5"
        weights.write_bytes(archive.read("model.weights.h5"))
        model.load_weights(weights, skip_mismatch=False)


def _target(network, layer_name):
    """The layer of that name in the new network: in a backbone or in the head."""
    parts = getattr(network, "backbones", None) or (network.backbone,)
    for part in (*parts, network.head):
        if any(layer.name == layer_name for layer in part.layers):
            return part.get_layer(layer_name)
    raise ValueError(f"no layer {layer_name!r} in the new {type(network).__name__}")


def read_config(path):
    """The config.json of a .keras archive."""
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))
