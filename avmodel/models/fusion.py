"""Fusion network: the two backbones -> concatenation -> fusion head.

    {"audio": (batch, samples), "face": (batch, side, side, 1)}
      -> AudioBackbone  -> (batch, 256) \\
      -> VisualBackbone -> (batch, 256) -> concat (batch, 512) "fusion_concat"
      -> fusion head: dense 256 + ReLU + dropout -> dense 256 + ReLU + dropout
      -> (batch, classes) logits

The paper (3.3, 5.3): the two branches' classifiers are discarded, their
feature layers concatenated, two 256-unit dense layers and a softmax added.
``FusionNet.from_branches(audio_net, visual_net)`` is built on the branches'
own backbones (shared, not copied: training the fusion network trains them),
the fusion head starts random, and "some initial layers" of each backbone are
frozen: ``frozen_blocks=(a, v)`` freezes the front end and the first ``a``
audio conv blocks and the first ``v`` visual VGG blocks (frozen batch norms
run in inference mode, so their statistics stay put too). The rest is
trained end to end.

At inference (``avmodel.predict``) each backbone runs once per window or face
and the head once per (window, face) pair, on their features.
"""

import keras
from keras import ops

from avmodel.calibration import probabilities
from avmodel.constants import EMOTIONS
from avmodel.models.audio_net import AudioBackbone
from avmodel.models.head import fusion_head, nested
from avmodel.models.visual_net import VisualBackbone

FEATURES_LAYER = "fusion_concat"  # (batch, audio features + visual features)


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
        -> (batch, len(labels)) logits, in the order of ``labels``.
    ``head``: (batch, audio + visual features) -> logits; ``features(x)``: -> (batch, audio + visual
    features), audio first; ``probabilities(x)``: calibrated softmax.

    Args:
        audio_backbone: an ``AudioBackbone`` (or its serialized config); None = the "paper" preset.
        visual_backbone: a ``VisualBackbone`` (or its serialized config); None = the "paper" preset.
        labels: class names, in output order.
        hidden_units: widths of the dense layers after the concatenation.
        dropout: dropout after each of those dense layers.
        frozen_blocks: (audio, visual) number of leading conv blocks (with the
            front end) set non-trainable. (0, 0) trains everything.
        temperature: calibration, applied by ``probabilities`` (1 = none); see ``avmodel.calibration``.
    """

    def __init__(
        self,
        audio_backbone=None,
        visual_backbone=None,
        labels=EMOTIONS,
        hidden_units=(256, 256),
        dropout=0.25,
        frozen_blocks=(2, 2),
        temperature=1.0,
        **kwargs,
    ):
        audio_backbone, visual_backbone = nested(audio_backbone, AudioBackbone), nested(visual_backbone, VisualBackbone)
        labels, hidden_units, frozen_blocks = tuple(labels), tuple(hidden_units), tuple(frozen_blocks)
        # === Functional graph ===
        audio = keras.Input(audio_backbone.input.shape[1:], name="audio")  # (batch, samples)
        face = keras.Input(visual_backbone.input.shape[1:], name="face")  # (batch, side, side, 1)
        features = keras.layers.Concatenate(name=FEATURES_LAYER)([audio_backbone(audio), visual_backbone(face)])
        head = fusion_head(features.shape[-1], hidden_units, dropout, len(labels))
        kwargs.setdefault("name", "fusion_net")
        super().__init__(inputs={"audio": audio, "face": face}, outputs=head(features), **kwargs)
        # === Config ===
        self.audio_backbone, self.visual_backbone, self.head = audio_backbone, visual_backbone, head
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
        for branch, backbone, frozen in zip(("audio", "visual"), self.backbones, frozen_blocks):
            if not 0 <= frozen <= backbone.num_blocks:
                raise ValueError(f"frozen_blocks for {branch} must be in 0..{backbone.num_blocks}, got {frozen}")
            prefixes = _frozen_prefixes(branch, frozen)
            for layer in backbone.layers:
                if prefixes and layer.name.startswith(prefixes):
                    layer.trainable = False

    @classmethod
    def from_branches(cls, audio_model, visual_model, frozen_blocks=(2, 2), **kwargs):
        """Fusion network on the backbones of a trained ``AudioNet`` and ``VisualNet`` (shared:
        their weights, batch-norm statistics included, are where fusion training starts); their
        heads are dropped and the fusion head starts random. ``kwargs`` go to the constructor."""
        return cls(audio_model.backbone, visual_model.backbone, frozen_blocks=frozen_blocks, **kwargs)

    @property
    def backbones(self):
        return self.audio_backbone, self.visual_backbone

    @property
    def num_classes(self):
        return len(self.labels)

    def features(self, inputs):
        """{"audio": ..., "face": ...} -> (batch, audio + visual features), inference mode, numpy."""
        parts = [self.audio_backbone(inputs["audio"], training=False),
                 self.visual_backbone(inputs["face"], training=False)]
        return ops.convert_to_numpy(ops.concatenate(parts, axis=-1))

    def probabilities(self, inputs, batch_size=256):
        """Calibrated probabilities (n, classes) float64 of a batch of inputs."""
        return probabilities(self.predict(inputs, batch_size=batch_size, verbose=0), self.temperature)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "audio_backbone": keras.saving.serialize_keras_object(self.audio_backbone),
            "visual_backbone": keras.saving.serialize_keras_object(self.visual_backbone),
            "labels": list(self.labels),
            "hidden_units": list(self.hidden_units),
            "dropout": self.dropout,
            "frozen_blocks": list(self.frozen_blocks),
            "temperature": self.temperature,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
