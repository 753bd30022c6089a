"""Visual branch network of the baseline: a small AlexNet on 30x30 grayscale faces.

    (batch, 30, 30, 1) raw 0..255 grayscale -> rescale to 0..1
      -> conv1 5x5/64  -> BN, ReLU -> max-pool 3/2   (batch, 14, 14, 64)
      -> conv2 5x5/128 -> BN, ReLU -> max-pool 3/2   (batch, 6, 6, 128)
      -> conv3 3x3/192 -> conv4 3x3/192 -> conv5 3x3/128 (BN, ReLU each)
      -> max-pool 3/2 -> (batch, 2, 2, 128) -> flatten (batch, 512)
      -> 2 x (dense 512, ReLU, dropout) -> (batch, classes) logits -> softmax

Avots et al. (2019) fine-tuned an ImageNet AlexNet on 30x30 grayscale faces.
No pretrained AlexNet is available offline, so this is AlexNet's layout (five
convolutions, overlapping 3/2 max-pools after the 1st, 2nd and 5th, two
dropout-regularised dense layers) scaled to a 30 px input and trained from
scratch (optionally pre-trained on FER2013, ``FaceClassifier.pretrain``).
Batch normalisation replaces AlexNet's local response normalisation; the
dropout rate 0.2 is Avots et al.'s (the paper's Table 1). Only ``keras``
APIs: runs on the TensorFlow, JAX and PyTorch backends.
"""

import keras

from avmodel.constants import EMOTIONS
from benchmark.baseline.face_classifier import FACE_SIDE


def apply_alex_conv(x, filters, kernel_size, name, pool):
    """Conv -> batch norm -> ReLU (-> 3/2 max-pool): (batch, h, w, c) -> (batch, h', w', filters)."""
    x = keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.ReLU(name=f"{name}_relu")(x)
    if pool:
        x = keras.layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")(x)
    return x


@keras.saving.register_keras_serializable(package="avmodel")
class FaceAlexNet(keras.Model):
    """AlexNet-style classifier of one small grayscale face.

    Call: (batch, face_side, face_side, 1) raw 0..255 pixels -> (batch, len(labels)) probabilities.

    Args:
        labels: class names, in output order.
        face_side: input side in pixels (FACE_SIDE).
        filters: filters of the five convolutions.
        kernel_sizes: kernel side of the five convolutions.
        dense_units: widths of the dense layers.
        dropout: dropout after each dense layer.
    """

    def __init__(
        self,
        labels=EMOTIONS,
        face_side=FACE_SIDE,
        filters=(64, 128, 192, 192, 128),
        kernel_sizes=(5, 5, 3, 3, 3),
        dense_units=(512, 512),
        dropout=0.2,
        **kwargs,
    ):
        labels, filters, kernel_sizes, dense_units = tuple(labels), tuple(filters), tuple(kernel_sizes), tuple(dense_units)
        if len(filters) != 5 or len(kernel_sizes) != 5:
            raise ValueError(f"AlexNet has five convolutions: got filters {filters}, kernel sizes {kernel_sizes}")
        # === Functional graph ===
        face = keras.Input((face_side, face_side, 1), name="face")  # (batch, height, width, 1)
        x = keras.layers.Rescaling(1.0 / 255, name="alex_rescale")(face)
        for i, (block_filters, kernel) in enumerate(zip(filters, kernel_sizes), start=1):
            x = apply_alex_conv(x, block_filters, kernel, name=f"alex_block{i}", pool=i in (1, 2, 5))
        x = keras.layers.Flatten(name="alex_flatten")(x)  # (batch, features)
        for i, units in enumerate(dense_units, start=1):
            x = keras.layers.Dense(units, activation="relu", name=f"alex_fc{i}")(x)
            x = keras.layers.Dropout(dropout, name=f"alex_dropout{i}")(x)
        logits = keras.layers.Dense(len(labels), name="alex_logits")(x)  # (batch, classes)
        probabilities = keras.layers.Softmax(dtype="float32", name="alex_probabilities")(logits)
        kwargs.setdefault("name", "face_alexnet")
        super().__init__(inputs=face, outputs=probabilities, **kwargs)
        # === Config ===
        self.labels = labels
        self.face_side = face_side
        self.filters = filters
        self.kernel_sizes = kernel_sizes
        self.dense_units = dense_units
        self.dropout = dropout

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "labels": list(self.labels),
            "face_side": self.face_side,
            "filters": list(self.filters),
            "kernel_sizes": list(self.kernel_sizes),
            "dense_units": list(self.dense_units),
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
