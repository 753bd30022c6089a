"""Training: a config round trip, one real run on prepared voices, resume after an interruption."""

import csv
import json

import keras
import pytest

from avmodel.prepare import prepare
from avmodel.training import run
from avmodel.training.config import TrainConfig
from tests import media

# speakers: 03 test, 09 validation (HELD_OUT["emodb"]), 11 and 12 train
VOICES = {f"{speaker}a0{k}{letter}a": tone for speaker in ("03", "09", "11", "12")
          for k, (letter, tone) in enumerate((("W", 300), ("T", 700)), start=1)}  # fmt: skip


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    source, out = tmp_path_factory.mktemp("voices"), tmp_path_factory.mktemp("prepared")
    for stem, tone in VOICES.items():
        media.make_wav(source / f"{stem}.wav", 2.0, tone_hz=tone)
    prepare("emodb", source, out, workers=1)
    return out


def config(prepared, out, **changes):
    values = dict(task="audio", data=(str(prepared),), out=str(out), preset="logmel", epochs=2,
                  batch_size=4, learning_rate=0.001, augment=False)  # fmt: skip
    return TrainConfig(**{**values, **changes})


def test_config_json_round_trip(prepared, tmp_path):
    original = config(prepared, tmp_path, frozen_blocks=(1, 2))
    assert TrainConfig.from_json(original.to_json()) == original
    with pytest.raises(ValueError, match="fusion needs"):
        TrainConfig(task="fusion", data=("x",), out="y")


def test_training_run_writes_model_log_and_metrics(prepared, tmp_path):
    metrics = run.train(config(prepared, tmp_path))
    assert (tmp_path / "best.keras").exists() and (tmp_path / "last.keras").exists()
    assert json.loads((tmp_path / "config.json").read_text())["preset"] == "logmel"
    assert metrics["sample"]["samples"] == 2  # speaker 03's two windows only
    assert set(metrics["sample"]["classes"]) == {"angry", "sad"}
    with open(tmp_path / "log.csv") as file:
        assert [row["epoch"] for row in csv.DictReader(file)] == ["0", "1"]


def test_warm_start_continues_from_a_finished_run(prepared, tmp_path):
    """init_model: a finished run's network trained further (BackupAndRestore keeps no backup)."""
    import numpy as np

    run.train(config(prepared, tmp_path / "first"))
    first = keras.saving.load_model(tmp_path / "first" / "best.keras")
    continued = config(prepared, tmp_path / "second", init_model=str(tmp_path / "first" / "best.keras"))
    start = run.build_model(continued)
    for before, after in zip(first.get_weights(), start.get_weights()):
        np.testing.assert_array_equal(before, after)
    run.train(continued)
    with pytest.raises(ValueError, match="not a 'paper' AudioNet"):  # config.json would misname the network
        run.build_model(config(prepared, tmp_path / "third", preset="paper", init_model=continued.init_model))
    with pytest.raises(ValueError, match="holds a AudioNet; visual needs a VisualNet"):
        run.build_model(config(prepared, tmp_path / "third", task="visual", init_model=continued.init_model))
    assert json.loads((tmp_path / "second" / "config.json").read_text())["init_model"].endswith("best.keras")
    with pytest.raises(ValueError, match="init_model is for visual and audio"):
        TrainConfig(task="fusion", data=("x",), out="y", audio_model="a", visual_model="v", face_data=("f",),
                    init_model="m")  # fmt: skip


def test_interrupted_run_resumes_where_it_stopped(prepared, tmp_path, monkeypatch):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("power cut")

    original = run.callbacks
    monkeypatch.setattr(run, "callbacks", lambda c, out: original(c, out) + [Interrupt()])
    with pytest.raises(RuntimeError, match="power cut"):
        run.train(config(prepared, tmp_path, epochs=3))
    monkeypatch.setattr(run, "callbacks", original)
    run.train(config(prepared, tmp_path, epochs=3))
    with open(tmp_path / "log.csv") as file:
        epochs = [row["epoch"] for row in csv.DictReader(file)]
    assert epochs == ["0", "1", "2"]  # epoch 0 is not trained twice


def test_audio_noise_leaves_padding_silent_and_inference_untouched():
    """Noise in the zero padding made batch norm learn a silence level inference never sees."""
    import numpy as np

    from avmodel.training.augment import AUDIO_NOISE, audio_augmentation

    window = np.zeros((4, 2000), "float32")
    window[:, :1000] = np.random.default_rng(0).standard_normal((4, 1000))  # a short clip, zero-padded
    layer = audio_augmentation(seed=0)
    noisy = keras.ops.convert_to_numpy(layer(window, training=True))
    assert np.all(noisy[:, 1000:] == 0)
    assert np.std(noisy[:, :1000] - window[:, :1000]) == pytest.approx(AUDIO_NOISE, rel=0.1)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(window, training=False)), window)
