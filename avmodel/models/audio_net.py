"""Audio network: waveform -> conv blocks -> LSTM -> features -> classifier.

    (batch, samples) -> [front end] -> 3 x (conv, batch norm, ReLU, max-pool)
      -> (batch, steps, channels) -> LSTM -> (batch, 256) "audio_features"    AudioBackbone
      -> dropout -> (batch, classes) logits                                  the head (head.py)

Two front ends, picked by name (``AudioNet.from_preset`` / ``AudioBackbone.from_preset``):

``"paper"`` (front end ``"waveform"``, the paper's section 3.1)
    The z-normalised 2 s waveform is convolved directly: 1-D kernels of 5 ms
    (``KERNEL_SAMPLES``), 32 filters, in all three blocks. The first conv has
    stride 4 and every block pools by 4, so the LSTM sees
    ``WINDOW_SAMPLES / (4 * 4 * 4 * 4)`` = 125 steps of 16 ms.

``"logmel"`` (front end ``"logmel"``, our alternative)
    A 64-bin log-mel spectrogram (25 ms frames, 10 ms hop: 201 frames for a
    2 s window), normalised per mel bin, then three 3x3 Conv2D blocks
    (32/64/128 filters, 2x2 pools) -> (batch, 25, 8, 128) -> the 8 mel rows x
    128 channels flattened per step -> LSTM over 25 steps of 80 ms.

Both end in the same LSTM feature layer, so the fusion network takes either.
"""

import keras
from keras import ops

from avmodel.constants import EMOTIONS, KERNEL_SAMPLES, SAMPLE_RATE, WINDOW_SAMPLES
from avmodel.models.branch import Backbone, Classifier
from avmodel.models.melspec import ConvMelSpectrogram
from avmodel.models.specmask import SpecMask

# Log-mel framing (front end "logmel" only).
MEL_FRAME_SAMPLES = round(0.025 * SAMPLE_RATE)  # 400 samples = 25 ms analysis window
MEL_HOP_SAMPLES = round(0.010 * SAMPLE_RATE)  # 160 samples = 10 ms hop (100 frames/s)
MEL_FFT_LENGTH = 512  # next power of two >= MEL_FRAME_SAMPLES
MEL_LOG_FLOOR = 1e-6  # mel power floor before log (z-normalised input, so ~-60 dB)

FRONTENDS = ("waveform", "logmel")

# AudioBackbone's constructor arguments: its config.
ENCODER_ARGS = (
    "window_samples",
    "frontend",
    "filters",
    "kernel_size",
    "conv_strides",
    "pool_sizes",
    "num_mel_bins",
    "spec_masks",
    "block_dropout",
    "lstm_units",
)

# Log-mel CRNN: the usual stronger choice for small speech-emotion corpora.
LOGMEL_PRESET = dict(
    frontend="logmel",
    filters=(32, 64, 128),
    kernel_size=3,
    conv_strides=(1, 1, 1),
    pool_sizes=(2, 2, 2),
    num_mel_bins=64,
    block_dropout=0.2,
    lstm_units=256,
)
SPEC_MASKS = (20, 8)  # widest masked bands: 20 frames (0.2 s), 8 of the 64 mel bins

PRESETS = {
    # The paper (3.1): raw waveform, 5 ms kernels, 32 filters, 3 blocks, LSTM.
    "paper": dict(
        frontend="waveform",
        filters=(32, 32, 32),
        kernel_size=KERNEL_SAMPLES,
        conv_strides=(4, 1, 1),
        pool_sizes=(4, 4, 4),
        block_dropout=0.0,
        lstm_units=256,
    ),
    "logmel": LOGMEL_PRESET,
    # "logmel" with SpecAugment masking while training (specmask.py): two bands of
    # frames and two of mel bins per window, at most SPEC_MASKS wide.
    "logmel-masked": {**LOGMEL_PRESET, "spec_masks": SPEC_MASKS},
}


@keras.saving.register_keras_serializable(package="avmodel")
class LogCompression(keras.layers.Layer):
    """``log(max(x, floor))``, elementwise; per example (no batch statistics)."""

    def __init__(self, floor=MEL_LOG_FLOOR, **kwargs):
        super().__init__(**kwargs)
        self.floor = floor

    def call(self, inputs):
        return ops.log(ops.maximum(inputs, self.floor))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "floor": self.floor}


def apply_audio_block(x, filters, kernel_size, strides, pool_size, dropout, name, rank=1):
    """Conv -> batch norm -> ReLU -> max-pool (-> dropout): the paper's Figure 1.

    ``rank`` 1: x (batch, samples, channels) -> (batch, samples / (strides * pool), filters).
    ``rank`` 2: x (batch, frames, mels, channels) -> each spatial axis / (strides * pool).
    """
    conv = keras.layers.Conv1D if rank == 1 else keras.layers.Conv2D
    pool = keras.layers.MaxPooling1D if rank == 1 else keras.layers.MaxPooling2D
    x = conv(filters, kernel_size, strides=strides, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.ReLU(name=f"{name}_relu")(x)
    x = pool(pool_size, name=f"{name}_pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def apply_logmel_frontend(waveform, num_mel_bins, spec_masks=(0, 0)):
    """(batch, samples) -> (batch, frames, num_mel_bins, 1) normalised log-mel power.

    spec_masks: (widest frame band, widest mel band) masked while training; (0, 0) = none.
    """
    x = ConvMelSpectrogram(  # keras.layers.MelSpectrogram, exportable to ONNX (melspec.py)
        fft_length=MEL_FFT_LENGTH,
        sequence_stride=MEL_HOP_SAMPLES,
        sequence_length=MEL_FRAME_SAMPLES,
        sampling_rate=SAMPLE_RATE,
        num_mel_bins=num_mel_bins,
        power_to_db=False,  # its dB step clips against the batch maximum; we log per example
        name="audio_frontend_mel",
    )(waveform)  # (batch, mels, frames)
    x = LogCompression(name="audio_frontend_log")(x)
    x = keras.layers.Permute((2, 1), name="audio_frontend_transpose")(x)  # (batch, frames, mels)
    x = keras.layers.BatchNormalization(name="audio_frontend_norm")(x)  # per mel bin
    if any(spec_masks):
        x = SpecMask(*spec_masks, name="audio_frontend_specmask")(x)
    return keras.layers.Reshape((-1, num_mel_bins, 1), name="audio_frontend_reshape")(x)


def audio_encoder(
    window_samples=WINDOW_SAMPLES,
    frontend="waveform",
    filters=(32, 32, 32),
    kernel_size=KERNEL_SAMPLES,
    conv_strides=(4, 1, 1),
    pool_sizes=(4, 4, 4),
    num_mel_bins=64,
    spec_masks=(0, 0),
    block_dropout=0.0,
    lstm_units=256,
):
    """Build the feature extractor; returns ``(waveform_input, features)``.

    waveform_input: (batch, window_samples), named "audio".
    features: (batch, lstm_units), the output of layer "audio_features".
    """
    if frontend not in FRONTENDS:
        raise ValueError(f"frontend must be one of {FRONTENDS}, got {frontend!r}")
    if not len(filters) == len(conv_strides) == len(pool_sizes):
        raise ValueError(
            "filters, conv_strides and pool_sizes need one entry per block, got "
            f"{filters}, {conv_strides}, {pool_sizes}"
        )
    waveform = keras.Input((window_samples,), name="audio")  # (batch, samples)
    if frontend == "waveform":
        x = keras.layers.Reshape((window_samples, 1), name="audio_frontend_reshape")(waveform)
        rank = 1
    else:
        x = apply_logmel_frontend(waveform, num_mel_bins, tuple(spec_masks))
        rank = 2
    blocks = zip(filters, conv_strides, pool_sizes)
    for i, (block_filters, strides, pool_size) in enumerate(blocks, start=1):
        x = apply_audio_block(
            x, block_filters, kernel_size, strides, pool_size, block_dropout, name=f"audio_block{i}", rank=rank
        )
    if rank == 2:  # (batch, frames, mels, channels) -> (batch, frames, mels * channels)
        _, frames, mels, channels = x.shape
        x = keras.layers.Reshape((frames, mels * channels), name="audio_to_sequence")(x)
    x = keras.layers.LSTM(lstm_units, name="audio_lstm")(x)  # (batch, steps, ch) -> (batch, units)
    features = keras.layers.Identity(name="audio_features")(x)
    return waveform, features


@keras.saving.register_keras_serializable(package="avmodel")
class AudioBackbone(Backbone):
    """The audio feature network: (batch, window_samples) z-normalised waveform -> (batch, lstm_units).

    Args:
        window_samples: input length; ``WINDOW_SAMPLES`` (2 s at 16 kHz).
        frontend: "waveform" (1-D convs on samples) or "logmel".
        filters: conv filters, one entry per block.
        kernel_size: conv kernel; samples for "waveform", (k x k) for "logmel".
        conv_strides: conv stride per block.
        pool_sizes: max-pool size per block (k x k for "logmel").
        num_mel_bins: mel bands ("logmel" only).
        spec_masks: (frames, mel bins): widest bands masked while training ("logmel" only).
        block_dropout: dropout after each block (0 = none).
        lstm_units: LSTM width = feature size.
    Defaults are the "paper" preset.
    """

    PRESETS = PRESETS
    ARGS = ENCODER_ARGS

    def __init__(
        self,
        window_samples=WINDOW_SAMPLES,
        frontend="waveform",
        filters=(32, 32, 32),
        kernel_size=KERNEL_SAMPLES,
        conv_strides=(4, 1, 1),
        pool_sizes=(4, 4, 4),
        num_mel_bins=64,
        spec_masks=(0, 0),
        block_dropout=0.0,
        lstm_units=256,
        **kwargs,
    ):
        filters, conv_strides, pool_sizes, spec_masks = map(tuple, (filters, conv_strides, pool_sizes, spec_masks))
        # === Functional graph ===
        waveform, features = audio_encoder(
            window_samples=window_samples,
            frontend=frontend,
            filters=filters,
            kernel_size=kernel_size,
            conv_strides=conv_strides,
            pool_sizes=pool_sizes,
            num_mel_bins=num_mel_bins,
            spec_masks=spec_masks,
            block_dropout=block_dropout,
            lstm_units=lstm_units,
        )
        kwargs.setdefault("name", "audio_backbone")
        super().__init__(inputs=waveform, outputs=features, **kwargs)
        # === Config ===
        self.window_samples = window_samples
        self.frontend = frontend
        self.filters = filters
        self.kernel_size = kernel_size
        self.conv_strides = conv_strides
        self.pool_sizes = pool_sizes
        self.num_mel_bins = num_mel_bins
        self.spec_masks = spec_masks
        self.block_dropout = block_dropout
        self.lstm_units = lstm_units


@keras.saving.register_keras_serializable(package="avmodel")
class AudioNet(Classifier):
    """CNN-LSTM speech-emotion classifier over one 2 s window: ``AudioBackbone`` + head.

    Call: (batch, window_samples) float z-normalised waveform -> (batch, len(labels)) logits;
    ``probabilities(x)``: calibrated softmax; ``features(x)`` / ``backbone``: -> (batch, lstm_units).
    ``AudioNet.from_preset("logmel")``: a new network with that backbone (see ``Classifier`` for the args).
    """

    BACKBONE = AudioBackbone
    PRESETS = PRESETS  # the backbone's, by name
    BRANCH = "audio"
