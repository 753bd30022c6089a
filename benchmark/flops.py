"""Floating-point operations of one forward pass, counted from the layer shapes.

One multiply-add counts as 2 FLOPs. Per example (batch dimension dropped):

=====================  ==================================================================
Conv1D / Conv2D        2 * output elements * (kernel elements * input channels / groups)
                       + output elements if the layer has a bias
Dense                  2 * input units * units * leading positions (+ bias)
LSTM                   per step: 2 * 4u(d + u) (the four gates' matrix products) + 4u bias
                       + 10u element-wise (3 sigmoids, 2 tanh, 3 products, 2 sums);
                       u = units, d = input features
BatchNormalization     2 per element (inference: one scale, one shift)
ReLU / Activation      1 per output element
Rescaling              2 per element
MaxPooling             pool elements per output element (comparisons)
GlobalAveragePooling   1 per input element
Softmax                3 per element (exp, sum, divide)
MelSpectrogram         per frame: 5 N log2 N (radix-2 FFT, N = fft_length) + N (window)
                       + 3 * bins (power) + 2 * mels * bins (mel matrix)
LogCompression         2 per element
Concatenate, Dropout, Reshape, Flatten, Identity, Permute, InputLayer: 0
=====================  ==================================================================

Layers of any other type are listed as ``uncounted`` (never silently zero).
"""

import math

import numpy as np

FREE_LAYERS = ("InputLayer", "Dropout", "Reshape", "Flatten", "Identity", "Permute", "Concatenate", "GaussianNoise")


def _elements(shape):
    """Elements per example of a shape whose first axis is the batch."""
    return int(np.prod([d for d in shape[1:]]))


def _conv(layer):
    out = layer.output.shape
    kernel_elements = int(np.prod(layer.kernel_size))
    in_channels = layer.input.shape[-1] // getattr(layer, "groups", 1)
    flops = 2 * _elements(out) * kernel_elements * in_channels
    return flops + (_elements(out) if layer.use_bias else 0)


def _dense(layer):
    positions = int(np.prod(layer.input.shape[1:-1])) if len(layer.input.shape) > 2 else 1
    flops = 2 * layer.input.shape[-1] * layer.units * positions
    return flops + (layer.units * positions if layer.use_bias else 0)


def _lstm(layer):
    steps, features = layer.input.shape[1], layer.input.shape[2]
    units = layer.units
    return steps * (2 * 4 * units * (features + units) + 4 * units + 10 * units)


def _pool(layer):
    return _elements(layer.output.shape) * int(np.prod(layer.pool_size))


def _mel(layer):
    frames = layer.output.shape[-1]
    n = layer.fft_length
    bins = n // 2 + 1
    return frames * (5 * n * math.log2(n) + n + 3 * bins + 2 * layer.num_mel_bins * bins)


COUNTERS = {
    "Conv1D": _conv,
    "Conv2D": _conv,
    "Dense": _dense,
    "LSTM": _lstm,
    "MaxPooling1D": _pool,
    "MaxPooling2D": _pool,
    "BatchNormalization": lambda layer: 2 * _elements(layer.output.shape),
    "ReLU": lambda layer: _elements(layer.output.shape),
    "Activation": lambda layer: _elements(layer.output.shape),
    "Rescaling": lambda layer: 2 * _elements(layer.output.shape),
    "GlobalAveragePooling2D": lambda layer: _elements(layer.input.shape),
    "GlobalAveragePooling1D": lambda layer: _elements(layer.input.shape),
    "Softmax": lambda layer: 3 * _elements(layer.output.shape),
    "LogCompression": lambda layer: 2 * _elements(layer.output.shape),
    "MelSpectrogram": _mel,
}


def model_flops(model):
    """FLOPs of one example through ``model``: {"total", "by_layer": {name: flops}, "uncounted": [names]}."""
    by_layer, uncounted = {}, []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in FREE_LAYERS:
            continue
        if hasattr(layer, "layers") and kind not in COUNTERS:  # a nested model
            inner = model_flops(layer)
            by_layer.update({f"{layer.name}/{k}": v for k, v in inner["by_layer"].items()})
            uncounted += inner["uncounted"]
        elif kind in COUNTERS:
            by_layer[layer.name] = int(COUNTERS[kind](layer))
        else:
            uncounted.append(f"{layer.name} ({kind})")
    return {"total": int(sum(by_layer.values())), "by_layer": by_layer, "uncounted": uncounted}
