"""Release and evaluate: runs -> weights folder with measured metrics -> the same metrics again."""

import json

import numpy as np
import pytest
from PIL import Image

from avmodel import cli
from avmodel.hub import INFO_FILE, MODEL_FILES
from avmodel.prepare import prepare
from avmodel.release import build_release
from avmodel.training.config import TrainConfig
from tests import media
from tests.weights import TINY_AUDIO, TINY_FUSION, TINY_VISUAL

# speakers: 03 test, 09 validation (HELD_OUT["emodb"]), 11 and 12 train; W angry, T sad
VOICES = {f"{speaker}a0{k}{letter}a": tone for speaker in ("03", "09", "11", "12")
          for k, (letter, tone) in enumerate((("W", 300), ("T", 700)), start=1)}  # fmt: skip
FACES = {"train": {"angry": 3, "sad": 3}, "test": {"angry": 4, "sad": 4}}  # folder -> label -> count


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    voices, faces = tmp_path_factory.mktemp("voices"), tmp_path_factory.mktemp("faces")
    for stem, tone in VOICES.items():
        media.make_wav(voices / f"{stem}.wav", 2.0, tone_hz=tone)
    rng = np.random.default_rng(0)
    for side, labels in FACES.items():
        prefix = "Training" if side == "train" else "PublicTest"
        for label, count in labels.items():
            (faces / side / label).mkdir(parents=True)
            for k in range(count):
                pixels = rng.integers(0, 256, (48, 48), dtype=np.uint8)
                Image.fromarray(pixels).save(faces / side / label / f"{prefix}_{label}{k}.jpg")
    audio, fer = tmp_path_factory.mktemp("emodb"), tmp_path_factory.mktemp("fer2013")
    prepare("emodb", voices, audio, workers=1)
    prepare("fer2013", faces, fer, workers=1)
    return {"audio": audio, "fer": fer}


def make_run(folder, task, network, data, **config):
    folder.mkdir(parents=True)
    network.compile(optimizer="adam", loss="categorical_crossentropy")
    network.optimizer.build(network.trainable_variables)  # a run's best.keras carries Adam's moments
    network.save(folder / "best.keras")
    (folder / "config.json").write_text(TrainConfig(task=task, data=data, out=str(folder), **config).to_json())
    (folder / "metrics.json").write_text(json.dumps({"training": {"epochs_run": 1, "seconds": 1.0}}))
    return folder


@pytest.fixture(scope="module")
def release(corpora, tmp_path_factory):
    import keras

    from avmodel.models import AudioNet, FusionNet, VisualNet

    keras.utils.set_random_seed(0)
    root = tmp_path_factory.mktemp("runs")
    audio, visual = AudioNet.from_preset("paper", **TINY_AUDIO), VisualNet.from_preset("paper", **TINY_VISUAL)
    fusion = FusionNet.from_branches(audio, visual, **TINY_FUSION)
    data = (str(corpora["audio"]),)
    first = make_run(root / "visual-first", "visual", visual, (str(corpora["fer"]),), epochs=5)
    runs = {
        "audio": make_run(root / "audio", "audio", audio, data),
        "visual": make_run(root / "visual", "visual", visual, (str(corpora["fer"]),),
                           init_model=str(first / "best.keras")),  # fmt: skip
        "fusion": make_run(root / "fusion", "fusion", fusion, data, face_data=(str(corpora["fer"]),),
                           audio_model="a.keras", visual_model="v.keras", pairs_per_window=2, seed=7),
    }  # fmt: skip
    out = root / "weights"
    info = build_release(runs, out, str(corpora["fer"]), [str(corpora["audio"])], figures=root / "figures")
    return out, info


def test_release_folder_holds_weights_and_measured_metrics(release, corpora):
    out, info = release
    assert all((out / name).is_file() for name in (*MODEL_FILES.values(), INFO_FILE))
    assert json.loads((out / INFO_FILE).read_text()) == info
    assert info["pairing"] == {"pairs_per_window": 2, "seed": 7}
    assert info["config"]["visual"]["task"] == "visual" and info["code_version"]
    earlier = info["training"]["visual"]["started_from"]  # the warm start's first run, recorded
    assert earlier["config"]["epochs"] == 5 and earlier["training"]["epochs_run"] == 1
    assert "started_from" not in info["training"]["audio"]
    metrics = info["metrics"]
    assert metrics["visual: FER2013 PublicTest faces"]["samples"] == 8
    audio = metrics[f"audio: {corpora['audio'].name} test speakers, per clip"]
    assert audio["samples"] == 2 and set(audio["classes"]) == {"angry", "sad"}  # speaker 03's two clips
    fused = metrics["fusion: label-matched test pairs"]
    assert fused["samples"] == metrics["audio alone: label-matched test pairs"]["samples"] > 0
    for entry in metrics.values():
        assert entry["command"].startswith("avmodel evaluate --fer ")
        assert 0 <= entry["accuracy"] <= 1 and len(entry["confusion"]) == len(entry["classes"])


def test_release_calibrates_each_network_on_validation_data(release):
    from scipy.special import softmax

    from avmodel.calibration import predict_logits
    from avmodel.models import load_model

    out, info = release
    for role, name in MODEL_FILES.items():
        report = info["calibration"][role]
        network = load_model(out / name)
        assert report["temperature"] > 0
        assert network.get_config()["temperature"] == pytest.approx(report["temperature"])
        assert report["validation"]["samples"] > 0 and report["test"]["samples"] > 0
        assert (out.parent / "figures" / f"reliability_{role}.png").stat().st_size > 0
    faces = np.random.default_rng(0).integers(0, 256, (3, 96, 96, 1)).astype("uint8")
    visual = load_model(out / MODEL_FILES["visual"])
    expected = softmax(predict_logits(visual, faces) / info["calibration"]["visual"]["temperature"], axis=1)
    np.testing.assert_allclose(visual.probabilities(faces), expected, atol=1e-5)  # applied at the edge


def evaluate(out, corpora, *extra):
    argv = ["evaluate", "--weights", str(out), "--fer", str(corpora["fer"]), "--audio-data", str(corpora["audio"])]
    return cli.main([*argv, *extra])


def test_evaluate_reproduces_the_recorded_metrics(release, corpora, capsys, tmp_path):
    out, info = release
    assert evaluate(out, corpora, "--json", str(tmp_path / "m.json")) == 0
    printed = capsys.readouterr().out
    assert printed.count("reproduced") == len(info["metrics"]) and "DIFFERS" not in printed
    measured = json.loads((tmp_path / "m.json").read_text())
    assert {k: v["accuracy"] for k, v in measured.items()} == {k: v["accuracy"] for k, v in info["metrics"].items()}


def test_evaluate_flags_a_recorded_figure_that_does_not_reproduce(release, corpora, capsys, tmp_path):
    out, info = release
    tampered = tmp_path / "weights"
    tampered.mkdir()
    for name in MODEL_FILES.values():
        (tampered / name).write_bytes((out / name).read_bytes())
    changed = json.loads(json.dumps(info))
    entry = changed["metrics"]["visual: FER2013 PublicTest faces"]
    entry["accuracy"] = 1.0 - entry["accuracy"] if entry["accuracy"] != 0.5 else 0.9
    (tampered / INFO_FILE).write_text(json.dumps(changed))
    assert evaluate(tampered, corpora) == 1
    assert "visual: FER2013 PublicTest faces" in capsys.readouterr().out.split("DIFFERS")[0]


def test_evaluate_without_inputs_or_weights_says_so(tmp_path, capsys):
    assert cli.main(["evaluate"]) == 2
    assert "--fer" in capsys.readouterr().err
    assert cli.main(["evaluate", "--weights", str(tmp_path / "none"), "--fer", str(tmp_path)]) == 2
    assert "no weights folder" in capsys.readouterr().err


def test_benchmark_held_out_split_is_the_training_speaker_split(corpora):
    """The benchmark's held-out split is the manifest avmodel train reads, through the same code."""
    from avmodel.training import data
    from benchmark.data import CORPUS_SPLIT, HELD_OUT_SPEAKERS, read_splits, split_sides
    from benchmark.protocols import train_sides

    (split,) = read_splits(corpora["audio"], HELD_OUT_SPEAKERS)
    assert split == {"name": "train/test speakers", "split_manifest": "splits/speakers.csv", "fold": -1}
    train, test = split_sides(corpora["audio"], split)
    assert sorted(c[:2] for c in train) == ["11", "11", "12", "12"]  # validation speaker 09 on neither side
    assert sorted(c[:2] for c in test) == ["03", "03"]
    where = train_sides(corpora["audio"], split)["audio"]
    trained = data.audio_splits(where["data"], manifest=where["split_manifest"], fold=where["fold"])
    assert trained["test"].clip.tolist() == data.audio_splits([corpora["audio"]])["test"].clip.tolist()
    assert read_splits(corpora["fer"], HELD_OUT_SPEAKERS) == []  # FER2013 has no speakers.csv
    (fer,) = read_splits(corpora["fer"], CORPUS_SPLIT)
    faces = data.visual_splits([corpora["fer"]], fer["split_manifest"])
    assert len(faces["val"]) == 0 and len(faces["test"]) == 8  # named explicitly: PublicTest never validates
    assert len(data.visual_splits([corpora["fer"]])["val"]) == 8  # avmodel train's default: FER2013's convention


def test_released_files_carry_no_optimizer_state(release):
    import zipfile

    import h5py

    out, _ = release
    for name in MODEL_FILES.values():
        with zipfile.ZipFile(out / name) as archive:
            archive.extract("model.weights.h5", out / "unzipped" / name)
        with h5py.File(out / "unzipped" / name / "model.weights.h5") as weights:
            assert "optimizer" not in weights, name


def test_benchmark_flags_rows_whose_weights_heard_the_test_speakers(tmp_path):
    from benchmark.protocols import HEARD_CAVEAT, trained_corpora
    from benchmark.report import _training_text

    (tmp_path / INFO_FILE).write_text(json.dumps({"config": {"audio": {"data": ["cache/emodb", "cache/ravdess"]}}}))
    assert trained_corpora(tmp_path) == {"emodb", "ravdess"}
    assert trained_corpora(None) == set()
    row = {"system": "avmodel", "splits": [1, 2], "training": {"procedure": "evaluated as given", "caveat": HEARD_CAVEAT}}
    assert _training_text(row) == f"evaluated as given; 2 split(s); **{HEARD_CAVEAT}**"


def test_evaluate_measures_one_run_network_as_a_release_measures_it(release, corpora, capsys):
    """--network: a run's best.keras per corpus, the figures a release of it would record."""
    out, info = release
    runs = out.parent
    assert cli.main(["evaluate", "--network", str(runs / "audio" / "best.keras"),
                     "--audio-data", str(corpora["audio"])]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    name = f"audio: {corpora['audio'].name} test speakers, per clip"
    accuracy = info["metrics"][name]["accuracy"]  # temperature scaling never changes an answer
    assert f"{name}: accuracy {accuracy:.4f}, macro-F1" in printed and "not recorded" in printed
    assert cli.main(["evaluate", "--network", str(out / MODEL_FILES["fusion"]), "--fer", str(corpora["fer"])]) == 2
    assert "only an audio or a visual network" in capsys.readouterr().err
    assert cli.main(["evaluate", "--network", str(runs / "visual" / "best.keras"),
                     "--audio-data", str(corpora["audio"])]) == 2  # fmt: skip
    assert "give --fer" in capsys.readouterr().err


def test_a_run_started_from_released_weights_keeps_their_record_after_they_are_replaced(release, tmp_path):
    import shutil

    from avmodel.training.lineage import STARTED_FROM, run_record, write_started_from

    out, info = release
    weights = shutil.copytree(out, tmp_path / "weights")
    run = tmp_path / "visual-more"
    run.mkdir()
    config = TrainConfig(task="visual", data=("x",), out=str(run), init_model=str(weights / MODEL_FILES["visual"]))
    (run / "config.json").write_text(config.to_json())
    write_started_from(config, run)  # as `avmodel train` does when it starts
    (run / "log.csv").write_text("epoch,accuracy\n0,0.5\n1,0.6\n")  # stopped by hand: no metrics.json
    (weights / INFO_FILE).write_text(json.dumps({"config": {"visual": {"out": str(run)}}}))  # released from it
    record = run_record(run)
    assert (run / STARTED_FROM).is_file() and record["training"]["epochs_logged"] == 2
    assert record["training"]["started_from"] == {"config": info["config"]["visual"], "training": info["training"]["visual"]}
