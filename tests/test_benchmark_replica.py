"""The benchmark end to end on a small eNTERFACE'05 replica: prepare -> both systems -> report.

The replica is built from the real layout (``layout.txt``; the same folder
convention when it is absent), limited to a few subjects and one sentence,
with tiny generated clips: a real face and a tone whose pitch depends on the
emotion, so the baseline's audio branch has something to learn. Its figures are a pipeline check and are reported as
"enterface05-replica", never as eNTERFACE'05.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests import media
from tests.conftest import DATA
from tests.enterface_replica import build_replica

SUBJECTS = ("1", "2", "3", "4", "5")  # subject folds need five speakers
SENTENCE = "1"
CLIP_SECONDS = 1.2
FPS = 10  # one key frame per clip: keeps MTCNN time small
TONES = {"anger": 220, "disgust": 330, "fear": 495, "happiness": 660, "sadness": 880, "surprise": 1320}  # Hz


def small_layout(dest):
    """The real layout's lines of SUBJECTS, sentence SENTENCE only (written from the folder
    convention when shared/data/enterface05/layout.txt is absent).
    """
    layout = DATA / "enterface05" / "layout.txt"
    if layout.is_file():
        lines = layout.read_text().splitlines()
    else:
        lines = [f"subject {s}/{emotion}/sentence {SENTENCE}/s{s}_{emotion[:2]}_{SENTENCE}.avi"
                 for s in SUBJECTS for emotion in TONES]  # fmt: skip
    keep = [line for line in lines
            if line.split("/")[0] in {f"subject {s}" for s in SUBJECTS} and f"/sentence {SENTENCE}/" in line]  # fmt: skip
    dest.write_text("\n".join(keep) + "\n")
    return dest


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replica")
    face = media.astronaut_png(folder)
    made = {emotion: media.make_clip(folder / f"{emotion}.avi", face, seconds=CLIP_SECONDS, fps=FPS, tone_hz=hz)
            for emotion, hz in TONES.items()}  # fmt: skip

    def make_clip(path):
        shutil.copyfile(made[path.parts[-3]], path)  # .../<emotion>/sentence N/<file>.avi

    return build_replica(small_layout(folder / "layout.txt"), folder / "tree", make_clip=make_clip)


@pytest.fixture(scope="module")
def report(replica, tmp_path_factory):
    from benchmark.cli import main

    out = tmp_path_factory.mktemp("report")
    main(["--enterface-replica", str(replica), "--out", str(out / "replica"), "--cache", str(out / "cache"),
          "--workers", "1", "--epochs", "0", "--baseline-epochs", "2"])  # fmt: skip
    return out / "replica"


def rows_of(results, corpus):
    return {(r["protocol"], r["system"], r["modality"]): r for r in results["rows"] if r["corpus"] == corpus}


def test_replica_rows_are_measured_and_labelled_replica(report):
    results = json.loads((report / "results.json").read_text())
    replica = rows_of(results, "enterface05-replica")
    assert len(replica) == 2 * 2 * 3  # 2 protocols x 2 systems x 3 modalities
    audio = replica["paper_80_20", "avots_baseline", "audio"]
    assert audio["status"] == "measured" and audio["samples"] == 6  # 20% of 30 clips
    assert audio["classes"] == ["angry", "disgust", "fear", "happy", "sad", "surprise"]  # no neutral
    assert audio["accuracy"] >= 0.8  # one tone per emotion: the SVM separates them
    folds = replica["subject_folds", "avots_baseline", "fused"]
    assert len(folds["splits"]) == 5 and folds["accuracy_std"] is not None
    assert replica["paper_80_20", "avmodel", "fused"]["status"] == "not measured"  # no weights, --epochs 0
    assert all((report / r["figure"]).is_file() for r in replica.values() if r["status"] == "measured")


def test_real_enterface_rows_stay_not_measured(report):
    results = json.loads((report / "results.json").read_text())
    enterface = [r for r in results["rows"] if r["corpus"] == "enterface05" and r["status"] != "published"]
    assert len(enterface) == 12 and all(r["accuracy"] is None and r["reason"] == "corpus not provided" for r in enterface)
    text = (report / "report.md").read_text()
    assert "enterface05-replica" in text and "not eNTERFACE'05 figures" in text


def tiny_network(role, weights):
    from avmodel.models import AudioBackbone, AudioNet, FusionNet, VisualBackbone, VisualNet

    tiny_audio = dict(filters=(4, 4, 4), lstm_units=8)
    tiny_visual = dict(filters=(4,), feature_units=8)
    if role == "audio":
        return AudioNet.from_preset("paper", **tiny_audio), "tiny"
    if role == "visual":
        return VisualNet.from_preset("paper", **tiny_visual), "tiny"
    fusion = FusionNet(AudioBackbone(**tiny_audio), VisualBackbone(**tiny_visual), hidden_units=(8,), frozen_blocks=(0, 0))
    return fusion, "tiny"


def replica_folder(report):
    return next((report.parent / "cache" / "replica").iterdir())


def test_networks_path_with_tiny_networks(replica, report, tmp_path):
    """avmodel's rows: build -> avmodel train on the manifest's train side -> avmodel.predict on the test clips."""
    from avmodel.prepare import read_clips
    from avmodel.training import run
    from avmodel.training.config import TrainConfig
    from benchmark import data
    from benchmark.finetune import FineTune
    from benchmark.protocols import Settings, evaluate_protocol

    prepared = replica_folder(report)
    clips = data.load_clips(prepared)
    splits = data.read_splits(prepared, data.PAPER_SPLIT)
    settings = Settings(build_network=tiny_network, finetune=FineTune(epochs=1, batch_size=8), run_baseline=False,
                        runs=tmp_path)  # fmt: skip
    modalities = ("audio", "visual", "fused")
    found = evaluate_protocol("replica", data.PAPER_SPLIT, prepared, splits, clips, clips, modalities, settings,
                              log=lambda *_: None)  # fmt: skip
    measured = {r["modality"]: r for r in found if r["system"] == "avmodel"}
    assert all(r["status"] == "measured" and 0 <= r["accuracy"] <= 1 for r in measured.values())
    assert np.sum(measured["fused"]["confusion"]) == 6
    # each network is an `avmodel train` run on the manifest's train side, from the built network
    train_ids, test_ids = data.split_sides(prepared, splits[0])
    clip_id = [row["clip_id"] for row in read_clips(prepared)]
    configs = {c.task: c for c in (TrainConfig.from_json((d / "config.json").read_text()) for d in tmp_path.iterdir())}
    assert set(configs) == {"audio", "visual", "fusion"}
    for task, config in configs.items():
        assert (config.split_manifest, config.fold, config.epochs) == ("splits/paper_80_20.csv", -1, 1)
        assert config.init_model == str(Path(config.out) / "start.keras") and not config.face_data
        trained = run.load_splits(config)  # fusion: each clip's own (window, face) pairs
        assert len(trained["val"]) == 0 and len(trained["train"]) > 0
        assert {clip_id[c] for c in trained["train"].clip} == set(train_ids), task
        assert {clip_id[c] for c in trained["test"].clip} == set(test_ids), task


def test_benchmark_scores_a_clip_as_avmodel_predict_does(replica, report, predictor):
    """networks.clip_results on a prepared clip's windows and faces == Predictor.predict on its file."""
    from avmodel.prepare import read_clips
    from benchmark import data, networks

    prepared = replica_folder(report)
    clips = data.load_clips(prepared)
    path = {row["clip_id"]: row["path"] for row in read_clips(prepared)}[clips.clip_ids[0]]
    direct = predictor.predict(path)
    (scored,) = networks.clip_results(predictor.networks, clips.subset([0]), ("audio", "visual", "fused"))
    assert scored["answer"] == direct["answer"] == "audio+visual"
    for key in ("audio", "visual", "fused"):
        assert scored[key] == pytest.approx(direct[key], abs=2e-3)  # windows are stored as float16
    (audio_only,) = networks.clip_results({"audio": predictor.networks["audio"]}, clips.subset([0]), ("audio",))
    assert audio_only["answer"] == "audio only" and audio_only["audio"] == pytest.approx(direct["audio"], abs=2e-3)
