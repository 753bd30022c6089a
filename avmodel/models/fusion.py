"""Fusion network: audio and visual features -> concatenation -> classifier.

    {"audio": (batch, samples), "face": (batch, side, side, 1)}
      -> audio encoder  -> (batch, 256) "audio_features"  \\
      -> visual encoder -> (batch, 256) "visual_features" -> concat (batch, 512)
      -> dense 256 + ReLU + dropout -> dense 256 + ReLU + dropout
      -> (batch, classes) logits -> softmax

The paper (3.3, 5.3): the two branches' classifiers are discarded, their
feature layers concatenated, two 256-unit dense layers and a softmax added.
Branch weights start from the trained uni-modal networks
(``FusionNet.from_branches``), the fusion head is random, and "some initial
layers" of each branch are frozen: ``frozen_blocks=(a, v)`` freezes the front
end and the first ``a`` audio conv blocks and the first ``v`` visual VGG
blocks (frozen batch norms run in inference mode, so their statistics stay
put too). The rest is trained end to end.

The encoders are rebuilt here from the branch configurations with the same
layer names, so ``summary()`` lists every layer of Figure 3 and weights copy
across by name.
"""

import keras
from keras import ops

from avmodel.constants import EMOTIONS
from avmodel.models import audio_net, visual_net


def apply_fusion_head(features, hidden_units, dropout, num_classes):
    """(batch, features) -> dense layers -> (batch, num_classes) logits."""
    x = features
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"fusion_dense{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"fusion_dropout{i}")(x)
    return keras.layers.Dense(num_classes, name="fusion_logits")(x)


def _encoder_config(config, encoder_args):
    """Keep only the encoder arguments of a branch config (drops labels, classifier, name)."""
    return {key: value for key, value in dict(config).items() if key in encoder_args}


def _frozen_prefixes(branch, num_blocks):
    """Layer-name prefixes frozen when the first ``num_blocks`` blocks of ``branch`` are."""
    if not num_blocks:
        return ()
    return (f"{branch}_frontend",) + tuple(f"{branch}_block{i}_" for i in range(1, num_blocks + 1))


@keras.saving.register_keras_serializable(package="avmodel")
class FusionNet(keras.Model):
    """Feature-level audio-visual fusion classifier.

    Call: {"audio": (batch, window_samples) z-normalised waveform,
           "face": (batch, face_size, face_size, 1) raw 0..255 grayscale}
        -> (batch, len(labels)) probabilities, in the order of ``labels``.
    ``features(x)`` / ``feature_extractor``: -> (batch, audio + visual features),
    audio features first (the "fusion_concat" layer).

    Args:
        audio_config: an ``AudioNet`` config (``get_config()``) or just its encoder
            arguments; None = the "paper" preset. Classifier keys are ignored.
        visual_config: the same for ``VisualNet``.
        labels: class names, in output order.
        hidden_units: widths of the dense layers after the concatenation.
        dropout: dropout after each of those dense layers.
        frozen_blocks: (audio, visual) number of leading conv blocks (with the
            front end) set non-trainable. (0, 0) trains everything.
        temperature: logits are divided by this before the softmax (1 = none); see
            ``avmodel.calibration``.
    """

    def __init__(
        self,
        audio_config=None,
        visual_config=None,
        labels=EMOTIONS,
        hidden_units=(256, 256),
        dropout=0.25,
        frozen_blocks=(2, 2),
        temperature=1.0,
        **kwargs,
    ):
        audio_config = _encoder_config(audio_config or audio_net.PRESETS["paper"], audio_net.ENCODER_ARGS)
        visual_config = _encoder_config(visual_config or visual_net.PRESETS["paper"], visual_net.ENCODER_ARGS)
        labels, hidden_units, frozen_blocks = tuple(labels), tuple(hidden_units), tuple(frozen_blocks)
        # === Functional graph ===
        waveform, audio_features = audio_net.audio_encoder(**audio_config)  # (batch, audio features)
        face, visual_features = visual_net.visual_encoder(**visual_config)  # (batch, visual features)
        features = keras.layers.Concatenate(name="fusion_concat")([audio_features, visual_features])
        logits = apply_fusion_head(features, hidden_units, dropout, len(labels))  # (batch, classes)
        scaled = keras.layers.Rescaling(1.0 / temperature, name="fusion_temperature")(logits)  # calibration.py
        probabilities = keras.layers.Softmax(dtype="float32", name="fusion_probabilities")(scaled)
        kwargs.setdefault("name", "fusion_net")
        super().__init__(inputs={"audio": waveform, "face": face}, outputs=probabilities, **kwargs)
        # === Config ===
        self.audio_config = audio_config
        self.visual_config = visual_config
        self.labels = labels
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.frozen_blocks = frozen_blocks
        self.temperature = temperature
        # === Freezing ===
        self._freeze(frozen_blocks)

    def _freeze(self, frozen_blocks):
        if len(frozen_blocks) != 2:
            raise ValueError(f"frozen_blocks must be (audio, visual), got {frozen_blocks}")
        blocks = (
            len(self.audio_config.get("filters", audio_net.PRESETS["paper"]["filters"])),
            len(self.visual_config.get("filters", visual_net.PRESETS["paper"]["filters"])),
        )
        for branch, frozen, available in zip(("audio", "visual"), frozen_blocks, blocks):
            if not 0 <= frozen <= available:
                raise ValueError(f"frozen_blocks for {branch} must be in 0..{available}, got {frozen}")
        prefixes = _frozen_prefixes("audio", frozen_blocks[0]) + _frozen_prefixes("visual", frozen_blocks[1])
        for layer in self.layers:
            if prefixes and layer.name.startswith(prefixes):
                layer.trainable = False

    @classmethod
    def from_branches(cls, audio_model, visual_model, frozen_blocks=(2, 2), **kwargs):
        """Fusion network whose encoders start from trained uni-modal networks.

        audio_model: an ``AudioNet``; visual_model: a ``VisualNet``. Their encoder
        weights (batch-norm statistics included) are copied; their classifiers are
        dropped; the fusion head starts random. ``kwargs`` go to the constructor.
        """
        fusion = cls(
            audio_config=audio_model.get_config(),
            visual_config=visual_model.get_config(),
            frozen_blocks=frozen_blocks,
            **kwargs,
        )
        fusion.load_branch_weights(audio_model, visual_model)
        return fusion

    def load_branch_weights(self, audio_model, visual_model):
        """Copy every encoder layer's weights from the branch layer of the same name."""
        for layer in self.layers:
            if not layer.weights or layer.name.startswith("fusion_"):
                continue
            source = audio_model if layer.name.startswith("audio_") else visual_model
            layer.set_weights(source.get_layer(layer.name).get_weights())

    @property
    def num_classes(self):
        return len(self.labels)

    @property
    def feature_extractor(self):
        """Sub-model sharing this model's layers: inputs dict -> (batch, 512) concatenated features."""
        return keras.Model(self.input, self.get_layer("fusion_concat").output, name="fusion_feature_extractor")

    def features(self, inputs):
        """{"audio": ..., "face": ...} -> (batch, 512) features (audio first), inference mode, numpy."""
        return ops.convert_to_numpy(self.feature_extractor(inputs, training=False))

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "audio_config": _plain(self.audio_config),
            "visual_config": _plain(self.visual_config),
            "labels": list(self.labels),
            "hidden_units": list(self.hidden_units),
            "dropout": self.dropout,
            "frozen_blocks": list(self.frozen_blocks),
            "temperature": self.temperature,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _plain(config):
    """A JSON-ready copy of a branch config (tuples as lists)."""
    return {key: list(value) if isinstance(value, tuple | list) else value for key, value in config.items()}
