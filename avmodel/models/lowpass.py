"""A fixed Gaussian low-pass over images, applied at inference only by default.

Why it exists: the FER2013 training faces shipped in ``../shared/data`` are
strongly blurred, while PublicTest faces and faces cropped from video are
sharp. Measured on the corpus files (mean absolute horizontal pixel step at
48 px): train median 3.7, PublicTest median 11.0, in every class; PublicTest
blurred by a Gaussian of sigma 3.2 px at 48 px (6.4 px at 96) has the train
faces' radial power spectrum (ratio ~1.0 at every radius). A network trained on
the blurred faces meets detail at test time that it never saw: its PublicTest
accuracy falls while its training accuracy rises.

The cure here: blur every face the network sees at inference by the measured
amount, so a sharp face looks like the training faces; training faces, already
blurred, pass unchanged (``inference_only``). Keras' ``training`` flag picks
the mode, so validation inside ``fit`` is blurred too.
"""

import math

import keras
import numpy as np
from keras import ops

KERNEL_SIGMAS = 3  # kernel half-width in sigmas


def gaussian_kernel(sigma):
    """(k, k, 1, 1) float32 normalised 2-D Gaussian, k = 2 * ceil(3 sigma) + 1."""
    radius = max(1, math.ceil(KERNEL_SIGMAS * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel = np.outer(taps, taps)
    return (kernel / kernel.sum()).astype("float32")[:, :, None, None]


@keras.saving.register_keras_serializable(package="avmodel")
class GaussianLowPass(keras.layers.Layer):
    """(batch, height, width, 1) -> the same, blurred by a Gaussian of ``sigma`` pixels.

    Borders are reflected so a face's edge is not darkened; the kernel's radius
    must stay below the image side. ``sigma`` 0 passes the input through.
    ``inference_only``: pass the input through when called with training=True.
    Not trainable.
    """

    def __init__(self, sigma, inference_only=True, **kwargs):
        super().__init__(**kwargs)
        self.sigma = float(sigma)
        self.inference_only = bool(inference_only)
        self.kernel = gaussian_kernel(self.sigma) if self.sigma > 0 else None

    def call(self, inputs, training=None):
        if self.kernel is None or (self.inference_only and training):
            return inputs
        radius = self.kernel.shape[0] // 2
        padded = ops.pad(inputs, [(0, 0), (radius, radius), (radius, radius), (0, 0)], mode="reflect")
        kernel = ops.convert_to_tensor(self.kernel, dtype=inputs.dtype)
        return ops.conv(padded, kernel, strides=1, padding="valid")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sigma": self.sigma, "inference_only": self.inference_only}
