"""Training: a config round trip, one real run on prepared voices, resume after an interruption,
and training on one side of a split manifest (real emoDB voices: no test speaker is ever trained on)."""

import csv
import json
import shutil

import keras
import pytest

from avmodel.prepare import prepare, read_clips
from avmodel.training import run
from avmodel.training.config import TrainConfig
from avmodel.training.data import manifest_sides
from tests import media
from tests.conftest import data_path

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
    with pytest.raises(ValueError, match="fold 2 needs a subject_folds split_manifest"):
        config(prepared, tmp_path, fold=2)
    with pytest.raises(ValueError, match="needs init_model"):
        config(prepared, tmp_path, preset="")
    with pytest.raises(ValueError, match="codec_augment"):
        config(prepared, tmp_path, codec_augment=True)  # augment off: nothing would colour the windows
    with pytest.raises(ValueError, match="speed_augment changes"):
        config(prepared, tmp_path, task="visual", augment=True, speed_augment=0.1)
    with pytest.raises(ValueError, match="relative change"):
        config(prepared, tmp_path, augment=True, speed_augment=0.6)


def test_every_training_option_is_explained_in_the_help(capsys):
    """`avmodel train --help` gives each TrainConfig field's comment in config.py as its help."""
    from dataclasses import fields

    from avmodel.cli import main
    from avmodel.training.config import field_comments

    comments = field_comments()
    assert set(comments) == {field.name for field in fields(TrainConfig)}  # a new field needs its comment
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--speed-augment SPEED_AUGMENT audio/fusion, with augment: each window played" in shown
    assert "(default: 1234)" in shown


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
    seeds = [json.loads((tmp_path / side / "metrics.json").read_text())["training"]["seed"]
             for side in ("first", "second")]  # fmt: skip
    assert seeds == [continued.seed, continued.seed + 2]  # the warm start does not replay the first run's 2 epochs
    with pytest.raises(ValueError, match="not a 'paper' AudioNet"):  # config.json would misname the network
        run.build_model(config(prepared, tmp_path / "third", preset="paper", init_model=continued.init_model))
    with pytest.raises(ValueError, match="holds a AudioNet; visual needs a VisualNet"):
        run.build_model(config(prepared, tmp_path / "third", task="visual", init_model=continued.init_model))
    assert json.loads((tmp_path / "second" / "config.json").read_text())["init_model"].endswith("best.keras")
    as_it_is = config(prepared, tmp_path / "fourth", preset="", init_model=continued.init_model)
    assert run.build_model(as_it_is).get_config() == start.get_config()  # preset "": the network's own
    with pytest.raises(ValueError, match="fusion starts from init_model or from audio_model and visual_model"):
        TrainConfig(task="fusion", data=("x",), out="y", audio_model="a", visual_model="v", face_data=("f",),
                    init_model="m")  # fmt: skip


def test_interrupted_run_resumes_where_it_stopped(prepared, tmp_path, monkeypatch):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("power cut")

    original = run.callbacks
    monkeypatch.setattr(run, "callbacks", lambda *args, **kwargs: original(*args, **kwargs) + [Interrupt()])
    with pytest.raises(RuntimeError, match="power cut"):
        run.train(config(prepared, tmp_path, epochs=3))
    monkeypatch.setattr(run, "callbacks", original)
    run.train(config(prepared, tmp_path, epochs=3))
    with open(tmp_path / "log.csv") as file:
        epochs = [row["epoch"] for row in csv.DictReader(file)]
    assert epochs == ["0", "1", "2"]  # epoch 0 is not trained twice
    seed = json.loads((tmp_path / "metrics.json").read_text())["training"]["seed"]
    assert seed == config(prepared, tmp_path).seed + 1  # epochs 1 and 2 do not replay epoch 0's stream


def test_a_run_killed_mid_way_keeps_its_best_epoch_as_the_network(prepared, tmp_path, monkeypatch):
    """best.keras is written as each epoch improves on validation: the network, not its training wrapper."""
    from avmodel.models import AudioNet, load_model

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("killed")

    original = run.callbacks
    monkeypatch.setattr(run, "callbacks", lambda *args, **kwargs: original(*args, **kwargs) + [Interrupt()])
    with pytest.raises(RuntimeError, match="killed"):
        run.train(config(prepared, tmp_path, epochs=3, augment=True))  # augment: fit() runs a wrapper
    assert isinstance(load_model(tmp_path / "best.keras"), AudioNet)
    with open(tmp_path / "log.csv") as file:
        logged = [float(row["val_accuracy"]) for row in csv.DictReader(file)]
    assert run.best_logged(tmp_path) == max(logged)  # a resumed run saves only a better epoch


def test_a_resumed_run_keeps_a_better_epoch_of_its_earlier_stretch(prepared, tmp_path, monkeypatch):
    """Early stopping restores the best epoch of the stretch it saw; the earlier stretch's best.keras,
    better than any epoch after the resumption, is what the run keeps and is tested on."""
    import numpy as np

    from avmodel.models import load_model

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("killed")

    original = run.callbacks
    monkeypatch.setattr(run, "callbacks", lambda *args, **kwargs: original(*args, **kwargs) + [Interrupt()])
    with pytest.raises(RuntimeError, match="killed"):
        run.train(config(prepared, tmp_path, epochs=3))
    monkeypatch.setattr(run, "callbacks", original)
    log = tmp_path / "log.csv"
    rows = list(csv.DictReader(log.open()))
    rows[0]["val_accuracy"] = "1.01"  # no later epoch can beat it
    with log.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    earlier = load_model(tmp_path / "best.keras").get_weights()
    metrics = run.train(config(prepared, tmp_path, epochs=3))
    for kept, before in zip(load_model(tmp_path / "best.keras").get_weights(), earlier):
        np.testing.assert_array_equal(kept, before)
    assert metrics["training"]["epochs_run"] == 2  # epochs 1 and 2 ran, and were not kept


def test_a_manifest_without_validation_trains_its_fixed_epochs(prepared, tmp_path):
    """paper_80_20.csv has no "val" rows: no early stopping or plateau, every epoch runs, test is its 20%."""
    import numpy as np

    sides = manifest_sides(prepared, "splits/paper_80_20.csv")
    assert set(sides.values()) == {"train", "test"}
    splits = run.load_splits(config(prepared, tmp_path, split_manifest="splits/paper_80_20.csv"))
    assert len(splits["val"]) == 0 and len(splits["test"]) == sum(side == "test" for side in sides.values())
    kinds = {type(c).__name__ for c in run.callbacks(config(prepared, tmp_path), tmp_path, validate=False)}
    assert not kinds & {"EarlyStopping", "ReduceLROnPlateau"} and "ModelCheckpoint" in kinds
    metrics = run.train(config(prepared, tmp_path, epochs=3, early_stopping_patience=0,
                               split_manifest=str(prepared / "splits" / "paper_80_20.csv")))  # an absolute path too
    with open(tmp_path / "log.csv") as file:
        log = list(csv.DictReader(file))
    assert [row["epoch"] for row in log] == ["0", "1", "2"] and log[0].get("val_accuracy", "NA") == "NA"
    assert metrics["sample"]["samples"] == len(splits["test"]) and metrics["training"]["epochs_run"] == 3
    assert np.isin(splits["train"].clip, splits["test"].clip).sum() == 0


def test_manifest_and_fold_must_agree(prepared):
    with pytest.raises(ValueError, match="has no folds"):
        manifest_sides(prepared, "splits/paper_80_20.csv", fold=1)
    with pytest.raises(FileNotFoundError, match="no split manifest"):
        manifest_sides(prepared, "splits/nothing.csv")


REAL_EMODB_SPEAKERS = ("03", "08", "09", "10", "11", "12", "13", "14", "15", "16")  # all ten


@pytest.fixture(scope="module")
def real_voices(tmp_path_factory):
    """Four real emoDB clips per speaker (two angry, two sad), prepared as `avmodel prepare` does."""
    source = data_path("emodb", "wav")
    wavs, out = tmp_path_factory.mktemp("emodb-wav"), tmp_path_factory.mktemp("emodb-prepared")
    for speaker in REAL_EMODB_SPEAKERS:
        for letter in "WT":  # emoDB's anger and sadness codes
            for wav in sorted(source.glob(f"{speaker}???{letter}?.wav"))[:2]:
                shutil.copy(wav, wavs / wav.name)
    prepare("emodb", wavs, out, workers=1)
    return out


@pytest.mark.parametrize("manifest, fold", [("splits/speakers.csv", -1), ("splits/subject_folds.csv", 2)])
def test_manifest_training_on_real_voices_never_sees_a_test_speaker(real_voices, tmp_path, monkeypatch, manifest, fold):
    """What fit() is given holds the manifest's train speakers only: every one of them, no test
    (or validation) speaker; the test metrics count the test side's windows only."""
    rows = read_clips(real_voices)
    speaker_of, side_of = [row["speaker"] for row in rows], manifest_sides(real_voices, manifest, fold)
    by_side = {name: {row["speaker"] for row in rows if side_of[row["clip_id"]] == name}
               for name in ("train", "val", "test")}  # fmt: skip
    assert by_side["test"] and by_side["train"] and not by_side["train"] & (by_side["test"] | by_side["val"])
    fitted = []
    original = run.training_data
    monkeypatch.setattr(run, "training_data", lambda train, *rest: fitted.append(train.clip) or original(train, *rest))
    metrics = run.train(config(real_voices, tmp_path, split_manifest=manifest, fold=fold))
    assert {speaker_of[clip] for clip in fitted[0]} == by_side["train"]
    test = run.load_splits(config(real_voices, tmp_path, split_manifest=manifest, fold=fold))["test"]
    assert {speaker_of[clip] for clip in test.clip} == by_side["test"] and metrics["sample"]["samples"] == len(test)
    with open(tmp_path / "log.csv") as file:
        validated = next(csv.DictReader(file)).get("val_accuracy", "NA") != "NA"  # Keras writes NA without val
    assert validated == bool(by_side["val"])  # speakers.csv: 09 and 10 validate; a fold: none


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


def test_codec_colouring_keeps_windows_normalised_and_padding_silent():
    """Each window's spectrum is coloured within its bounds, then z-normalised again as inference
    normalises windows; the padding of a short clip stays exact zeros; inference is untouched."""
    import numpy as np

    from avmodel.constants import SAMPLE_RATE
    from avmodel.training.augment import COLOUR_DB, CodecColouring

    signal = 20000
    window = np.zeros((64, 32000), "float32")
    window[:, :signal] = np.random.default_rng(0).standard_normal((64, signal))
    layer = CodecColouring(seed=0)
    coloured = keras.ops.convert_to_numpy(layer(window, training=True))
    assert np.all(coloured[:, signal:] == 0)
    np.testing.assert_allclose(coloured[:, :signal].mean(1), 0, atol=1e-5)
    np.testing.assert_allclose(coloured[:, :signal].std(1), 1, rtol=1e-4)
    hz = np.fft.rfftfreq(signal, 1 / SAMPLE_RATE)

    def band_db(x, low, high):
        power = np.abs(np.fft.rfft(x[:, :signal].astype(np.float64))) ** 2
        return 10 * np.log10(power[:, (hz >= low) & (hz < high)].sum(1))

    low_band = band_db(coloured, 0, 1000) - band_db(window, 0, 1000)  # no low-pass reaches below 3.4 kHz
    # gains differ from window to window; the renormalisation shifts all of a window's bands alike
    assert np.ptp(low_band) > 2 and np.all(np.abs(low_band - np.median(low_band)) < 2 * COLOUR_DB + 1)
    top_band = band_db(coloured, 7500, 8000) - band_db(window, 7500, 8000)
    assert (top_band < low_band - 20).any() and (top_band > low_band - 20).any()  # some windows low-passed, not all
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(window, training=False)), window)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(np.zeros_like(window), training=True)), 0)


def test_speed_perturbation_moves_pitch_and_keeps_windows_normalised():
    """A window played at speed s: a tone of f Hz comes out at s x f within 1 +- max_change, the zero
    padding grows or shrinks with it and stays silent, the signal is z-normalised; inference untouched."""
    import numpy as np

    from avmodel.constants import SAMPLE_RATE
    from avmodel.training.augment import SpeedPerturbation

    signal, tone = 20000, 1000.0
    window = np.zeros((64, 32000), "float32")
    window[:, :signal] = np.sqrt(2) * np.sin(2 * np.pi * tone * np.arange(signal) / SAMPLE_RATE + 0.3)  # no exact 0
    played = keras.ops.convert_to_numpy(SpeedPerturbation(0.1, seed=0)(window, training=True))
    heard = (played != 0).sum(1)  # signal length / speed
    speed = signal / heard
    assert np.all((speed > 0.9 - 1e-3) & (speed < 1.1 + 1e-3)) and np.ptp(speed) > 0.1
    assert all(np.all(row[n:] == 0) for row, n in zip(played, heard))
    peaks = [np.argmax(np.abs(np.fft.rfft(row[:n]))) * SAMPLE_RATE / n for row, n in zip(played, heard)]
    np.testing.assert_allclose(peaks, tone * speed, rtol=0.01)
    np.testing.assert_allclose([row[:n].std() for row, n in zip(played, heard)], 1, rtol=1e-3)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(SpeedPerturbation()(window, training=False)), window)


def test_codec_augmented_training_saves_the_plain_network(prepared, tmp_path):
    augmented = dict(augment=True, codec_augment=True, speed_augment=0.1)
    run.train(config(prepared, tmp_path, epochs=1, **augmented))
    saved = keras.saving.load_model(tmp_path / "best.keras")
    names = ("augmentation", "colouring", "speed")
    assert not any(name in layer.name for layer in saved._flatten_layers() for name in names)
    trainer = run.with_augmentation(saved, config(prepared, tmp_path, **augmented), seed=1)
    assert {"audio_codec_colouring", "audio_speed"} <= {layer.name for layer in trainer._flatten_layers()}
