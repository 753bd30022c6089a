"""What the two branch classifiers share: presets by name, backbone + head, logits and probabilities.

    input -> backbone (features) -> head (logits);  probabilities = softmax(logits / temperature)
"""

import keras
import numpy as np
from keras import ops

from avmodel.constants import EMOTIONS
from avmodel.calibration import probabilities
from avmodel.models.head import classifier_head, nested

PREDICT_BATCH = 256


class Classifier(keras.Model):
    """A backbone with a classifier head (keras-hub's Backbone / Task split); AudioNet and VisualNet.

    Call: the backbone's input -> (batch, len(labels)) logits, in the order of ``labels``.
    ``backbone``: input -> (batch, features); ``head``: features -> logits (dropout, dense).

    Args:
        backbone: the feature network (the class's BACKBONE), or its serialized config; None = "paper".
        labels: class names, in output order (kept in the saved config).
        dropout: dropout between features and the logits.
        temperature: calibration, applied by ``probabilities`` (1 = none; fitted on validation data by
            ``avmodel.calibration`` for the released weights).
    """

    BACKBONE = None  # the backbone class
    BRANCH = ""  # "audio" | "visual": layer-name prefix

    def __init__(self, backbone=None, labels=EMOTIONS, dropout=0.25, temperature=1.0, **kwargs):
        backbone = nested(backbone, self.BACKBONE)
        labels = tuple(labels)
        head = classifier_head(backbone.output.shape[-1], len(labels), dropout, self.BRANCH)
        inputs = keras.Input(backbone.input.shape[1:], name=backbone.input.name)
        kwargs.setdefault("name", f"{self.BRANCH}_net")
        super().__init__(inputs=inputs, outputs=head(backbone(inputs)), **kwargs)
        self.backbone, self.head = backbone, head
        self.labels, self.dropout, self.temperature = labels, dropout, temperature

    HEAD_ARGS = ("labels", "dropout", "temperature", "name")

    @classmethod
    def from_preset(cls, preset="paper", **kwargs):
        """A new (untrained) network whose backbone is the named configuration.

        ``kwargs``: the head's arguments (HEAD_ARGS) and any backbone argument, which overrides the
        preset's: ``AudioNet.from_preset("logmel", lstm_units=128, dropout=0.5)``.
        """
        head = {key: kwargs.pop(key) for key in cls.HEAD_ARGS if key in kwargs}
        return cls(backbone=cls.BACKBONE.from_preset(preset, **kwargs), **head)

    @property
    def num_classes(self):
        return len(self.labels)

    @property
    def feature_extractor(self):
        """The backbone: the network's input -> (batch, features)."""
        return self.backbone

    def features(self, inputs):
        """The network's input -> (batch, features), inference mode, as numpy."""
        return ops.convert_to_numpy(self.backbone(inputs, training=False))

    def probabilities(self, inputs, batch_size=PREDICT_BATCH):
        """Calibrated probabilities (n, classes) float64 of a batch of inputs."""
        logits = self.predict(inputs, batch_size=batch_size, verbose=0)
        return probabilities(logits, self.temperature)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "labels": list(self.labels),
            "dropout": self.dropout,
            "temperature": self.temperature,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Backbone(keras.Model):
    """A functional feature network whose constructor arguments (ARGS) are its config.

    Subclasses set PRESETS (name -> arguments) and ARGS, and store each argument as an attribute.
    """

    PRESETS = {}
    ARGS = ()

    @classmethod
    def from_preset(cls, preset="paper", **overrides):
        """A new (untrained) backbone from a named configuration in ``PRESETS``."""
        if preset not in cls.PRESETS:
            raise ValueError(f"unknown {cls.__name__} preset {preset!r}; choose from {sorted(cls.PRESETS)}")
        return cls(**{**cls.PRESETS[preset], **overrides})

    @property
    def num_blocks(self):
        return len(self.filters)

    def get_config(self):
        arguments = {key: getattr(self, key) for key in self.ARGS}
        plain = {key: list(value) if isinstance(value, tuple) else value for key, value in arguments.items()}
        return {"name": self.name, "trainable": self.trainable, **plain}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def same_weights(first, second):
    """True when two models hold exactly the same weights (e.g. a fusion backbone and its branch's)."""
    a, b = first.get_weights(), second.get_weights()
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))
