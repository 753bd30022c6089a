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
Audio, optionally (``TrainConfig.codec_augment``): a random colouring of the spectrum
before the noise, as one recording chain or codec differs from another
(scripts/codec_gap.py: the same utterance as an mp3 soundtrack and as 24 kb/s Opus differs
by up to 6 dB per band above 3 kHz), then z-normalised again as inference does.
Audio, optionally (``TrainConfig.speed_augment``): each window played faster or slower by a random
factor, which moves pitch, formants and tempo together (Kaldi's speed perturbation, Ko et al. 2015):
a new speaker's voice, as far as a network that has met 100 speakers can tell.
"""

import math

import keras
import numpy as np
from keras import ops
from PIL import Image

from avmodel.constants import SAMPLE_RATE

ROTATION_DEGREES = 10  # +-
ZOOM = 0.1  # +-10 %
SHIFT = 0.08  # +-8 % of the side
BRIGHTNESS = 0.2  # +-20 % of the 0..255 range, added
AUDIO_NOISE = 0.05  # noise std relative to the unit-variance waveform
COLOUR_KNOTS_HZ = (0, 500, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000)  # gains drawn here, linear between
COLOUR_DB = 6.0  # +- dB per knot
LOWPASS_PROBABILITY = 0.3  # of a window also being low-passed ...
LOWPASS_CUTOFF_HZ = (3400, 7000)  # ... at a cutoff drawn from this range (telephone band to wide band)
LOWPASS_DB_PER_KHZ = 30.0  # attenuation above the cutoff
SPEED = 0.1  # +-10 % playback speed (so pitch), the usual speed-perturbation range (0.9, 1.1)
SILENCE_VARIANCE = 1e-10  # a silent window stays zeros when normalised again


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


@keras.saving.register_keras_serializable(package="avmodel")
class CodecColouring(keras.layers.Layer):
    """(batch, samples) z-normalised 16 kHz windows -> the same, each with its spectrum coloured at random:
    a gain of +-``max_db`` drawn at each of ``COLOUR_KNOTS_HZ`` (linear between them) and, with
    probability ``lowpass_probability``, a roll-off above a cutoff drawn from ``LOWPASS_CUTOFF_HZ``.
    Then z-normalised again over the signal, whose zero padding stays silent; identity outside training.
    """

    def __init__(self, max_db=COLOUR_DB, lowpass_probability=LOWPASS_PROBABILITY, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.max_db, self.lowpass_probability, self.seed = max_db, lowpass_probability, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.samples = int(input_shape[-1])
        self.hz = np.fft.rfftfreq(self.samples, 1 / SAMPLE_RATE).astype(np.float32)  # (bins,)
        knots = np.eye(len(COLOUR_KNOTS_HZ), dtype=np.float32)
        spread = [np.interp(self.hz, COLOUR_KNOTS_HZ, row) for row in knots]  # each knot's share of each bin
        self.spread = np.stack(spread).astype(np.float32)  # (knots, bins)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        batch, hz, spread = ops.shape(inputs)[0], ops.convert_to_tensor(self.hz), ops.convert_to_tensor(self.spread)
        gain_db = ops.matmul(self._uniform((batch, len(COLOUR_KNOTS_HZ)), -self.max_db, self.max_db), spread)
        lowpassed = ops.cast(self._uniform((batch, 1), 0, 1) < self.lowpass_probability, inputs.dtype)
        cutoff = self._uniform((batch, 1), *LOWPASS_CUTOFF_HZ)
        gain_db -= lowpassed * LOWPASS_DB_PER_KHZ * ops.relu(hz[None] - cutoff) / 1000
        gain = ops.power(10.0, gain_db / 20)  # (batch, bins) amplitude
        real, imag = ops.rfft(inputs)
        coloured = ops.irfft((real * gain, imag * gain), fft_length=self.samples)
        return renormalised(coloured, ops.cast(ops.not_equal(inputs, 0), inputs.dtype))

    def _uniform(self, shape, low, high):
        return keras.random.uniform(shape, low, high, seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_db": self.max_db,
                "lowpass_probability": self.lowpass_probability, "seed": self.seed}  # fmt: skip


@keras.saving.register_keras_serializable(package="avmodel")
class SpeedPerturbation(keras.layers.Layer):
    """(batch, samples) z-normalised windows -> each played at a random speed in 1 +- ``max_change``: sample n
    of the output is the input at n x speed, linearly interpolated. Faster windows end in zero padding;
    slower ones leave their end unheard. Then z-normalised again over the signal (padding stays silent);
    identity outside training."""

    def __init__(self, max_change=SPEED, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.max_change, self.seed = max_change, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        samples = ops.shape(inputs)[-1]
        speed = keras.random.uniform((ops.shape(inputs)[0], 1), 1 - self.max_change, 1 + self.max_change,
                                     seed=self.seed_generator)  # fmt: skip
        position = ops.arange(samples, dtype="float32")[None] * speed  # (batch, samples) source positions
        left = ops.cast(ops.floor(position), "int32")
        inside = ops.cast(left < samples - 1, inputs.dtype)  # past the end: padding
        left = ops.minimum(left, samples - 2)
        share = ops.cast(position - ops.cast(left, "float32"), inputs.dtype)  # of the right neighbour

        def played(x):  # (batch, samples) -> the same read at ``position``
            return (ops.take_along_axis(x, left, axis=1) * (1 - share)
                    + ops.take_along_axis(x, left + 1, axis=1) * share) * inside  # fmt: skip

        signal = ops.cast(ops.not_equal(inputs, 0), inputs.dtype)
        heard = ops.cast(ops.greater(played(signal), 1 - 1e-6), inputs.dtype)  # both neighbours signal
        return renormalised(played(inputs), heard)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_change": self.max_change, "seed": self.seed}


def renormalised(windows, signal):
    """(batch, samples) windows, (batch, samples) 1 on the signal and 0 on the padding -> each window
    zero-mean and unit-variance over its signal, zero on its padding (as ``audio.zscore`` makes them)."""
    count = ops.maximum(ops.sum(signal, axis=-1, keepdims=True), 1)
    mean = ops.sum(windows * signal, axis=-1, keepdims=True) / count
    centred = (windows - mean) * signal
    variance = ops.sum(ops.square(centred), axis=-1, keepdims=True) / count
    return centred * ops.rsqrt(variance + SILENCE_VARIANCE) * ops.cast(variance > SILENCE_VARIANCE, windows.dtype)


def audio_augmentation(seed, codec=False, speed=0.0):
    """(batch, samples) -> the same plus light noise on the signal (training only); with ``speed``, played
    first at a random speed within 1 +- speed (``SpeedPerturbation``); with ``codec``, then coloured by
    ``CodecColouring``."""
    noise = SignalNoise(AUDIO_NOISE, seed=seed, name="audio_augmentation")
    if not (codec or speed):
        return noise
    steps = [SpeedPerturbation(speed, seed=seed, name="audio_speed")] if speed else []
    steps += [CodecColouring(seed=seed, name="audio_codec_colouring")] if codec else []
    return keras.Sequential([*steps, noise], name="audio_augmentation_chain")
