"""Keras's mel spectrogram with its STFT as one strided convolution, so that it exports to ONNX.

    (batch, samples) -> reflect-pad fft_length / 2 each side -> (batch, samples + fft_length, 1)
      -> Conv1D by the windowed DFT basis, stride = hop -> (batch, frames, 2 * bins) real and imaginary parts
      -> power (batch, frames, bins) -> mel matrix -> (batch, mels, frames)

``keras.layers.MelSpectrogram`` computes the same STFT (a centred, periodic Hann window of
``sequence_length`` padded to ``fft_length``) with an FFT. tf2onnx converts an FFT only when its one
consumer takes the complex magnitude, and Keras takes the real and imaginary parts, so an ONNX export
of the audio backbone fails there. The convolution is the DFT written out: it gives the FFT's
spectrogram within float32 rounding (tests/test_melspec.py) on every backend, and the layer has no
weights, so saved networks load with either.
"""

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="avmodel")
class ConvMelSpectrogram(keras.layers.MelSpectrogram):
    """``keras.layers.MelSpectrogram`` (same arguments and output) whose STFT is a strided Conv1D."""

    def build(self, input_shape):
        super().build(input_shape)
        self._basis = dft_basis(self.sequence_length, self.fft_length, self.window)  # numpy: a constant when traced

    def _spectrogram(self, inputs):
        """(batch, samples) -> (batch, frames, fft_length // 2 + 1) magnitude ** mag_exp."""
        half = self.fft_length // 2
        padded = ops.pad(inputs, ((0, 0), (half, half)), mode="reflect")[..., None]  # (batch, samples + fft, 1)
        parts = ops.conv(padded, ops.convert_to_tensor(self._basis), strides=self.sequence_stride, padding="valid")  # (batch, frames, 2 * bins)
        real, imag = parts[..., : half + 1], parts[..., half + 1 :]
        power = ops.square(real) + ops.square(imag)
        return power if self.mag_exp == 2 else ops.power(ops.sqrt(power), self.mag_exp)


def dft_basis(sequence_length, fft_length, window="hann"):
    """The windowed real DFT as a Conv1D kernel: (fft_length, 1, 2 * (fft_length // 2 + 1)) float32,
    cosines then sines, for frequency bins 0 .. fft_length / 2.

    The window is Keras's: periodic Hann or Hamming (or none) of ``sequence_length`` samples,
    centred in ``fft_length`` by zeros.
    """
    samples = np.arange(sequence_length)
    shapes = {"hann": 0.5 - 0.5 * np.cos(2 * np.pi * samples / sequence_length),
              "hamming": 0.54 - 0.46 * np.cos(2 * np.pi * samples / sequence_length), None: np.ones(sequence_length)}  # fmt: skip
    left = (fft_length - sequence_length) // 2
    padded = np.zeros(fft_length)
    padded[left : left + sequence_length] = shapes[window]
    angle = 2 * np.pi * np.outer(np.arange(fft_length), np.arange(fft_length // 2 + 1)) / fft_length  # (fft, bins)
    basis = np.concatenate([np.cos(angle), -np.sin(angle)], axis=1) * padded[:, None]
    return basis[:, None, :].astype(np.float32)
