"""Visual network: face crop -> VGG blocks -> features -> classifier.

    (batch, 96, 96, 1) raw 0..255 grayscale -> rescale to 0..1
      [-> Gaussian low-pass at inference -> 4x4 average pool]   ("compact" preset)
      -> 3 x VGG block (2 x (3x3 conv, batch norm, ReLU), 2x2 max-pool, dropout)
      -> (batch, 12, 12, 256) -> global average pool -> (batch, 256)
      -> dense 256, batch norm, ReLU -> (batch, 256) "visual_features"    VisualBackbone
      -> dropout -> (batch, classes) logits                               the head (head.py)

The paper (3.2) uses "VGG16 with only 3 blocks" of stacked convolutions on the
raw pixel intensities of a 96x96 face; filters 64/128/256 with batch norm and
dropout are the usual small-VGG choices for FER2013. The "deep" preset adds a
fourth block (512 filters): a receptive field that covers the whole 96 px face.
"""

import keras

from avmodel.constants import EMOTIONS, FACE_SIZE
from avmodel.models.branch import Backbone, Classifier
from avmodel.models.lowpass import GaussianLowPass

LOWPASS_SIGMA = 6.4  # pixels at FACE_SIZE: the measured blur of FER2013's train faces; see lowpass.py

# VisualBackbone's constructor arguments: its config.
ENCODER_ARGS = ("face_size", "lowpass_sigma", "lowpass_inference_only", "input_pool", "filters", "convs_per_block",
                "block_dropout", "feature_units")  # fmt: skip

PRESETS = {
    # The paper (3.2): VGG16-like, 3 blocks of stacked 3x3 convs.
    "paper": dict(
        filters=(64, 128, 256),
        convs_per_block=2,
        block_dropout=0.25,
        feature_units=256,
    ),
    # Four blocks: 6 px final map, receptive field over the whole face.
    "deep": dict(
        filters=(64, 128, 256, 512),
        convs_per_block=2,
        block_dropout=0.25,
        feature_units=256,
    ),
    # The release network: faces blurred at inference to match the blurred FER2013
    # training faces (lowpass.py), then pooled to 24 px, which keeps all the detail
    # left after that blur; the paper's three blocks on top (3 px final map).
    # 1/16 of the paper preset's arithmetic per face, so it trains on a CPU.
    "compact": dict(
        lowpass_sigma=LOWPASS_SIGMA,
        lowpass_inference_only=True,
        input_pool=4,
        filters=(64, 128, 256),
        convs_per_block=2,
        block_dropout=0.25,
        feature_units=256,
    ),
    # Release 3, for the sharp FER2013 faces: no blur; 2x2 average pool to 48 px
    # (FER2013's own resolution, so nothing is lost) and four VGG blocks of
    # 32/64/128/256 filters (3 px final map, receptive field over the whole face).
    # 0.58 s per training step of 64 faces on 2 CPU cores, against 1.58 s for the
    # paper's three 64/128/256 blocks at 48 px.
    "fer48": dict(
        input_pool=2,
        filters=(32, 64, 128, 256),
        convs_per_block=2,
        block_dropout=0.25,
        feature_units=256,
    ),
}


def apply_vgg_block(x, num_convs, filters, dropout, name):
    """num_convs x (3x3 conv, batch norm, ReLU) -> 2x2 max-pool (-> dropout): Figure 2.

    x: (batch, height, width, channels) -> (batch, height / 2, width / 2, filters).
    """
    for i in range(1, num_convs + 1):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = keras.layers.ReLU(name=f"{name}_relu{i}")(x)
    x = keras.layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def visual_encoder(
    face_size=FACE_SIZE,
    lowpass_sigma=0.0,
    lowpass_inference_only=True,
    input_pool=1,
    filters=(64, 128, 256),
    convs_per_block=2,
    block_dropout=0.25,
    feature_units=256,
):
    """Build the feature extractor; returns ``(face_input, features)``.

    face_input: (batch, face_size, face_size, 1) raw 0..255 grayscale, named "face".
    features: (batch, feature_units), the output of layer "visual_features".
    """
    face = keras.Input((face_size, face_size, 1), name="face")  # (batch, height, width, 1)
    x = keras.layers.Rescaling(1.0 / 255, name="visual_rescale")(face)
    if lowpass_sigma:
        x = GaussianLowPass(lowpass_sigma, lowpass_inference_only, name="visual_lowpass")(x)
    if input_pool > 1:  # (batch, face_size / input_pool, face_size / input_pool, 1)
        x = keras.layers.AveragePooling2D(input_pool, name="visual_input_pool")(x)
    for i, block_filters in enumerate(filters, start=1):
        x = apply_vgg_block(x, convs_per_block, block_filters, block_dropout, name=f"visual_block{i}")
    x = keras.layers.GlobalAveragePooling2D(name="visual_gap")(x)  # (batch, filters[-1])
    x = keras.layers.Dense(feature_units, use_bias=False, name="visual_fc")(x)
    x = keras.layers.BatchNormalization(name="visual_fc_bn")(x)
    x = keras.layers.ReLU(name="visual_fc_relu")(x)
    features = keras.layers.Identity(name="visual_features")(x)  # (batch, feature_units)
    return face, features


@keras.saving.register_keras_serializable(package="avmodel")
class VisualBackbone(Backbone):
    """The visual feature network: (batch, face_size, face_size, 1) raw 0..255 grayscale (any numeric dtype)
    -> (batch, feature_units).

    Args:
        face_size: input side in pixels; ``FACE_SIZE``.
        lowpass_sigma: fixed Gaussian blur in pixels before the convolutions (0 = none).
        lowpass_inference_only: blur only outside training (the training faces are
            already blurred; see lowpass.py).
        input_pool: average-pool factor applied after the blur (1 = none).
        filters: conv filters, one entry per VGG block (each block halves the side).
        convs_per_block: stacked 3x3 convs per block.
        block_dropout: dropout after each block's pool (0 = none).
        feature_units: width of the feature layer.
    Defaults are the "paper" preset.
    """

    PRESETS = PRESETS
    ARGS = ENCODER_ARGS

    def __init__(
        self,
        face_size=FACE_SIZE,
        lowpass_sigma=0.0,
        lowpass_inference_only=True,
        input_pool=1,
        filters=(64, 128, 256),
        convs_per_block=2,
        block_dropout=0.25,
        feature_units=256,
        **kwargs,
    ):
        filters = tuple(filters)
        # === Functional graph ===
        face, features = visual_encoder(
            face_size=face_size,
            lowpass_sigma=lowpass_sigma,
            lowpass_inference_only=lowpass_inference_only,
            input_pool=input_pool,
            filters=filters,
            convs_per_block=convs_per_block,
            block_dropout=block_dropout,
            feature_units=feature_units,
        )
        kwargs.setdefault("name", "visual_backbone")
        super().__init__(inputs=face, outputs=features, **kwargs)
        # === Config ===
        self.face_size = face_size
        self.lowpass_sigma = lowpass_sigma
        self.lowpass_inference_only = lowpass_inference_only
        self.input_pool = input_pool
        self.filters = filters
        self.convs_per_block = convs_per_block
        self.block_dropout = block_dropout
        self.feature_units = feature_units


@keras.saving.register_keras_serializable(package="avmodel")
class VisualNet(Classifier):
    """VGG-style facial-expression classifier over one grayscale face crop: ``VisualBackbone`` + head.

    Call: (batch, face_size, face_size, 1) raw 0..255 pixels -> (batch, len(labels)) logits;
    ``probabilities(x)``: calibrated softmax; ``features(x)`` / ``backbone``: -> (batch, feature_units).
    ``VisualNet.from_preset("fer48")``: a new network with that backbone (see ``Classifier`` for the args).
    """

    BACKBONE = VisualBackbone
    PRESETS = PRESETS  # the backbone's, by name
    BRANCH = "visual"
