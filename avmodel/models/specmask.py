"""SpecAugment-style masking (Park et al. 2019) of a normalised log-mel spectrogram.

During training, each example gets ``count`` bands of consecutive frames and
``count`` bands of consecutive mel bins set to 0, the per-bin mean after the
front end's normalisation; band widths are uniform in [0, max width]. Outside
training the layer is the identity, so a saved network predicts exactly as
without it. It is the usual regulariser for small speech-emotion corpora,
where a network otherwise memorises the training speakers.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="avmodel")
class SpecMask(keras.layers.Layer):
    """(batch, frames, mels) -> the same with random frame and mel bands zeroed (training only).

    Args:
        max_frames: widest band of masked frames (0 = no time masking).
        max_mels: widest band of masked mel bins (0 = no frequency masking).
        count: bands of each kind per example.
        seed: for the random bands.
    """

    def __init__(self, max_frames, max_mels, count=2, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.max_frames, self.max_mels, self.count, self.seed = max_frames, max_mels, count, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        bands = [(axis, width) for axis, width in ((1, self.max_frames), (2, self.max_mels)) if width]
        for _ in range(self.count):
            for axis, max_width in bands:
                inputs = inputs * self._band_keep(inputs, axis, max_width)
        return inputs

    def _band_keep(self, inputs, axis, max_width):
        """0 inside one random band along ``axis`` per example, 1 elsewhere:
        (batch, frames, 1) for axis 1, (batch, 1, mels) for axis 2."""
        batch, size = ops.shape(inputs)[0], inputs.shape[axis]
        width = ops.floor(keras.random.uniform((batch, 1), 0, max_width + 1, seed=self.seed_generator))
        start = ops.floor(keras.random.uniform((batch, 1), 0, 1, seed=self.seed_generator) * (size - width + 1))
        position = ops.cast(ops.arange(size), inputs.dtype)[None, :]  # (1, size)
        outside = ops.cast((position < start) | (position >= start + width), inputs.dtype)  # (batch, size)
        return ops.expand_dims(outside, 3 - axis)  # broadcast over the other axis

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_frames": self.max_frames, "max_mels": self.max_mels,
                "count": self.count, "seed": self.seed}  # fmt: skip
