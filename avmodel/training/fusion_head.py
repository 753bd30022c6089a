"""Fusion head only, on features computed once: ``avmodel train fusion --head-only``.

    label-matched pairs as indices (data.pair_sides)
      -> audio encoder once per window, visual encoder once per face -> features
      -> (audio features, visual features) of each pair, concatenated (n_pairs, 512)
      -> the FusionNet's own head (``fusion.head``) fitted on them -> best.keras (the whole FusionNet)

Both encoders stay as the branches trained them (every layer frozen, batch norms
in inference mode), so a pair's features are exactly what FusionNet computes for
it at inference, and each encoder runs once per window or face instead of once
per pair and epoch: on the 2-core CPU the head trains in minutes where the
end-to-end fine-tuning takes hours. Faces are not augmented (their features are
fixed); the head's dropout is its regulariser.
"""

import json
import time

import keras
import numpy as np

from avmodel.training import data

PREDICT_BATCH = 256


def train_head(config, fusion, out):
    """Fit the head of ``fusion`` (a FusionNet) on cached features; returns the test metrics."""
    from avmodel.training.run import callbacks, split_metrics

    sides = data.pair_sides(config.data, config.face_data, config.pairs_per_window, config.seed, config.repeats(),
                            config.split_manifest, config.fold)  # fmt: skip
    splits = {name: pair_features(fusion, *side) for name, side in sides.items()}
    (out / "data.json").write_text(json.dumps(data.describe(splits), indent=2))
    head = fusion.head
    head.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                 loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["accuracy"])  # fmt: skip
    started = time.monotonic()
    history = head.fit(splits["train"].x, splits["train"].onehot, batch_size=config.batch_size, shuffle=True,
                       validation_data=(splits["val"].x, splits["val"].onehot), epochs=config.epochs,
                       callbacks=callbacks(config, out), verbose=2)  # fmt: skip
    seconds = time.monotonic() - started
    fusion.save(out / "best.keras")  # the head's layers are the fusion's: early stopping restored the best
    metrics = split_metrics(head, splits["test"])
    epochs = len(history.history["loss"])
    metrics["training"] = {"epochs_run": epochs, "seconds": round(seconds, 1), "head_only": True,
                           "seconds_per_epoch": round(seconds / max(1, epochs), 1),
                           "backend": keras.backend.backend()}  # fmt: skip
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def pair_features(fusion, voices, faces, window_rows, face_rows):
    """A Samples of concatenated (n_pairs, 512) features, audio first, for the pairs given as rows."""
    audio = encode(fusion.audio_backbone, voices.x, np.unique(window_rows))
    visual = encode(fusion.visual_backbone, faces.x, np.unique(face_rows))
    x = np.concatenate([audio[window_rows], visual[face_rows]], axis=1).astype(np.float32)
    return data.Samples(x, voices.y[window_rows], voices.clip[window_rows])


def encode(backbone, x, rows):
    """Features of ``x[rows]`` by a backbone; (len(x), features), zeros elsewhere."""
    features = np.zeros((len(x), backbone.output.shape[-1]), np.float32)
    if len(rows):
        features[rows] = backbone.predict(x[rows], batch_size=PREDICT_BATCH, verbose=0)
    return features
