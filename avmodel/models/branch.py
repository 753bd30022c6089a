"""What the two branch networks share: presets by name, label count, the feature sub-model."""

import keras
from keras import ops


class BranchMixin:
    """Mixed into AudioNet and VisualNet (before keras.Model).

    The class sets PRESETS (name -> constructor arguments) and FEATURE_LAYER
    (the name of its feature layer, e.g. "audio_features").
    """

    PRESETS = {}
    FEATURE_LAYER = ""

    @classmethod
    def from_preset(cls, preset="paper", **overrides):
        """A new (untrained) network from a named configuration in ``PRESETS``."""
        if preset not in cls.PRESETS:
            raise ValueError(f"unknown {cls.__name__} preset {preset!r}; choose from {sorted(cls.PRESETS)}")
        return cls(**{**cls.PRESETS[preset], **overrides})

    @property
    def num_classes(self):
        return len(self.labels)

    @property
    def num_blocks(self):
        return len(self.filters)

    @property
    def feature_extractor(self):
        """Sub-model sharing this model's layers: the model's input -> (batch, features)."""
        branch = self.FEATURE_LAYER.removesuffix("_features")
        return keras.Model(self.input, self.get_layer(self.FEATURE_LAYER).output, name=f"{branch}_feature_extractor")

    def features(self, inputs):
        """The model's input -> (batch, features), inference mode, as numpy."""
        return ops.convert_to_numpy(self.feature_extractor(inputs, training=False))
