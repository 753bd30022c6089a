"""`avmodel train fusion --head-only`: the head fitted on encoder features computed once per window and face."""

import json

import numpy as np

from avmodel.reproduce import predict
from avmodel.metrics import evaluate_probabilities
from avmodel.models import AudioNet, VisualNet, load_model
from avmodel.training import data
from avmodel.training.config import TrainConfig
from avmodel.training.run import train
from tests.test_evaluate import corpora  # noqa: F401  (the tiny emoDB-like voices and FER-like faces)
from tests.weights import TINY_AUDIO, TINY_VISUAL


def test_head_only_fusion_keeps_the_encoders_and_scores_as_the_saved_network(corpora, tmp_path):  # noqa: F811
    import keras

    keras.utils.set_random_seed(0)
    audio, visual = AudioNet.from_preset("paper", **TINY_AUDIO), VisualNet.from_preset("paper", **TINY_VISUAL)
    audio.save(tmp_path / "audio.keras")
    visual.save(tmp_path / "visual.keras")
    config = TrainConfig(task="fusion", data=(str(corpora["audio"]),), face_data=(str(corpora["fer"]),),
                         audio_model=str(tmp_path / "audio.keras"), visual_model=str(tmp_path / "visual.keras"),
                         out=str(tmp_path / "run"), head_only=True, epochs=3, batch_size=4, pairs_per_window=2,
                         learning_rate=0.01, frozen_blocks=(0, 0))  # fmt: skip
    metrics = train(config)
    fusion = load_model(tmp_path / "run" / "best.keras")
    for layer in fusion.layers:  # every encoder weight is the branch's, untouched
        if layer.weights and not layer.name.startswith("fusion_"):
            branch = audio if layer.name.startswith("audio_") else visual
            for got, want in zip(layer.get_weights(), branch.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(got, want)
    test = data.pair_splits(config.data, config.face_data, 2, config.seed)["test"]  # the same pairs, as arrays
    accuracy = evaluate_probabilities(predict(fusion, test.x), test.y)["sample"]["accuracy"]
    assert metrics["sample"]["samples"] == len(test) > 0
    assert abs(metrics["sample"]["accuracy"] - accuracy) < 1e-9  # cached features == the saved network's
    recorded = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert recorded["training"]["head_only"] and recorded["training"]["epochs_run"] == 3
