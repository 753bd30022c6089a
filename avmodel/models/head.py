"""Heads: features -> logits, and the one softmax at the edge.

    branch head:  (batch, features) -> dropout -> dense -> (batch, classes) logits
    fusion head:  (batch, audio + visual features) -> 2 x (dense 256, ReLU, dropout) -> dense -> logits

Every network outputs logits. Probabilities are made once, where they leave the
library (``avmodel.calibration.probabilities``): softmax(logits / temperature), in
float64 numpy, the temperature being the network's calibration.
"""

import keras

from avmodel.calibration import probabilities  # noqa: F401 (the edge softmax, re-exported)


def classifier_head(feature_units, num_classes, dropout, branch):
    """The branch classifier as a model of its own: (batch, feature_units) -> (batch, num_classes) logits.

    Layers "<branch>_dropout" and "<branch>_logits"; the model is named "<branch>_head".
    """
    features = keras.Input((feature_units,), name=f"{branch}_features")
    x = keras.layers.Dropout(dropout, name=f"{branch}_dropout")(features)
    logits = keras.layers.Dense(num_classes, name=f"{branch}_logits")(x)
    return keras.Model(features, logits, name=f"{branch}_head")


def fusion_head(feature_units, hidden_units, dropout, num_classes):
    """The paper's fusion head (3.3): (batch, feature_units) -> dense layers -> (batch, num_classes) logits."""
    features = keras.Input((feature_units,), name="fusion_features")
    x = features
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"fusion_dense{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"fusion_dropout{i}")(x)
    logits = keras.layers.Dense(num_classes, name="fusion_logits")(x)
    return keras.Model(features, logits, name="fusion_head")


def nested(model_or_config, cls):
    """A sub-model argument as given (a model), rebuilt from its serialized form (from a saved config),
    or ``cls()`` for None."""
    if model_or_config is None:
        return cls()
    if isinstance(model_or_config, dict):
        return keras.saving.deserialize_keras_object(model_or_config)
    return model_or_config
