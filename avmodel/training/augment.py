"""Training-time augmentation.

Faces (paper 5.1): rotation, zoom, shift, horizontal flip and brightness, done
per image on the CPU with one PIL affine warp, batch by batch in a
``keras.utils.PyDataset``: Keras' own RandomRotation/RandomZoom layers cost
437 ms per 128-face step on the JAX GPU backend against 13 ms without them
(measured on an H100, scripts/gpu_step_timing.py). The paper's colour
saturation does not apply to grayscale faces.
Audio: light Gaussian noise on the z-normalised waveform, never on the zero
padding of a short clip (a Keras layer). Noise in the padding taught the log-mel
front end's batch norm a silence level that inference never sees (padding is
exact zeros there): measured, the same weights scored 51% on training windows in
training mode and 26% in inference mode.
"""

import math

import keras
import numpy as np
from keras import ops
from PIL import Image

ROTATION_DEGREES = 10  # +-
ZOOM = 0.1  # +-10 %
SHIFT = 0.08  # +-8 % of the side
BRIGHTNESS = 0.2  # +-20 % of the 0..255 range, added
AUDIO_NOISE = 0.05  # noise std relative to the unit-variance waveform


def augment_face(face, rng):
    """(side, side) uint8 -> the same face randomly rotated, zoomed, shifted, flipped and brightened."""
    side = face.shape[0]
    angle = math.radians(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES))
    scale = 1 / rng.uniform(1 - ZOOM, 1 + ZOOM)
    shift_x, shift_y = rng.uniform(-SHIFT, SHIFT, 2) * side
    cos, sin, centre = math.cos(angle) * scale, math.sin(angle) * scale, (side - 1) / 2
    # output pixel (x, y) samples input (a x + b y + c, d x + e y + f): rotation and zoom about the centre
    matrix = (cos, sin, centre - cos * centre - sin * centre + shift_x,
              -sin, cos, centre + sin * centre - cos * centre + shift_y)  # fmt: skip
    warped = np.asarray(Image.fromarray(face).transform((side, side), Image.AFFINE, matrix, Image.BILINEAR, fillcolor=int(face.mean())))
    if rng.random() < 0.5:
        warped = warped[:, ::-1]
    shifted = warped.astype(np.int16) + int(rng.uniform(-BRIGHTNESS, BRIGHTNESS) * 255)
    return np.clip(shifted, 0, 255).astype(np.uint8)


class AugmentedBatches(keras.utils.PyDataset):
    """Shuffled training batches with the faces augmented afresh every epoch.

    x: (n, side, side, 1) uint8 faces, or {"audio": (n, samples), "face": (n, side, side, 1)}
    y: (n, classes) one-hot
    """

    def __init__(self, x, y, batch_size, seed, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(y))

    def __len__(self):
        return math.ceil(len(self.y) / self.batch_size)

    def __getitem__(self, index):
        rows = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        rng = np.random.default_rng(self.rng.integers(2**63))
        if isinstance(self.x, dict):
            faces = self._faces(self.x["face"][rows], rng)
            return {"audio": self.x["audio"][rows], "face": faces}, self.y[rows]
        return self._faces(self.x[rows], rng), self.y[rows]

    @staticmethod
    def _faces(faces, rng):
        return np.stack([augment_face(face[..., 0], rng) for face in faces])[..., None]

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.y))


@keras.saving.register_keras_serializable(package="avmodel")
class SignalNoise(keras.layers.Layer):
    """(batch, samples) -> the same plus Gaussian noise of ``stddev`` where the signal is not
    exactly zero (padding stays silent); identity outside training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev, self.seed = stddev, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        noise = keras.random.normal(ops.shape(inputs), stddev=self.stddev, dtype=inputs.dtype, seed=self.seed_generator)
        return inputs + noise * ops.cast(ops.not_equal(inputs, 0), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


def audio_augmentation(seed):
    """(batch, samples) -> the same plus light noise on the signal (training only)."""
    return SignalNoise(AUDIO_NOISE, seed=seed, name="audio_augmentation")
