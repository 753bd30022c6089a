"""The weights shipped in avmodel/weights: what users load by default, offline."""

import json

import numpy as np
import pytest

from avmodel.constants import EMOTIONS
from avmodel.hub import BUNDLED_WEIGHTS, INFO_FILE, MODEL_FILES
from tests.conftest import data_path

MAX_BYTES = 25 * 2**20  # the release budget: at most 25 MB together
REQUIRED_METRICS = (
    "visual: FER2013 PublicTest faces",
    "audio: emodb test speakers, per clip",
    "audio: ravdess test speakers, per clip",
    "fusion: label-matched test pairs",
    "audio alone: label-matched test pairs",
    "visual alone: label-matched test pairs",
)


@pytest.fixture(scope="module")
def info():
    if not (BUNDLED_WEIGHTS / INFO_FILE).is_file():
        pytest.fail(f"no released weights in {BUNDLED_WEIGHTS}")
    return json.loads((BUNDLED_WEIGHTS / INFO_FILE).read_text())


def test_release_is_complete_and_small(info):
    files = [BUNDLED_WEIGHTS / name for name in (*MODEL_FILES.values(), INFO_FILE)]
    assert all(path.is_file() for path in files)
    assert sum(path.stat().st_size for path in files) <= MAX_BYTES
    assert info["labels"] == list(EMOTIONS)
    assert info["code_version"] and info["splits"] and info["data"]


def test_recorded_metrics_carry_their_command_and_chance(info):
    metrics = info["metrics"]
    assert set(REQUIRED_METRICS) <= set(metrics)
    for name in REQUIRED_METRICS:
        entry = metrics[name]
        assert entry["command"].startswith("avmodel evaluate")
        assert entry["accuracy"] > entry["chance_majority"], name  # every network beats guessing
        assert len(entry["confusion"]) == len(entry["classes"]) == len(entry["per_class"])


def test_fusion_beats_the_better_branch_on_the_same_pairs(info):
    metrics = info["metrics"]
    fused = metrics["fusion: label-matched test pairs"]["accuracy"]
    branches = [metrics[f"{branch} alone: label-matched test pairs"]["accuracy"] for branch in ("audio", "visual")]
    assert fused > max(branches)


def test_released_networks_fit_the_data_path():
    """Every load-time check (class per role, window length, face size, label set, finite test output) passes."""
    from avmodel.predict import check_labels, load_networks

    networks = load_networks(BUNDLED_WEIGHTS)
    assert check_labels(networks, json.loads((BUNDLED_WEIGHTS / INFO_FILE).read_text()), BUNDLED_WEIGHTS) == EMOTIONS


def test_default_predictor_reads_a_real_clip(detector):
    from avmodel.predict import Predictor

    clip = data_path("crema-d", "1001_DFA_ANG_XX.flv")
    result = Predictor(detector=detector).predict(clip)
    assert result["answer"] == "audio+visual"
    probabilities = np.array(list(result["probabilities"].values()))
    assert list(result["probabilities"]) == list(EMOTIONS)
    assert probabilities.sum() == pytest.approx(1, abs=1e-4) and probabilities.max() < 1
