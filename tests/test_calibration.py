"""Temperature scaling: fitted where it should be, saved with the weights, applied at inference."""

import numpy as np
import pytest
from scipy.special import softmax

from avmodel import calibration
from avmodel.models import AudioNet, FusionNet, VisualNet, load_model
from tests.weights import TINY_AUDIO, TINY_FUSION, TINY_VISUAL


def sampled(temperature, n=20000, classes=7, seed=0):
    """Logits and labels drawn from softmax(logits / temperature): calibrated at exactly that T."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (n, classes))
    cumulative = softmax(logits / temperature, axis=1).cumsum(axis=1)
    y = (rng.random((n, 1)) > cumulative).sum(axis=1)
    return logits, np.minimum(y, classes - 1)


def test_fit_temperature_recovers_the_temperature_the_labels_were_drawn_at():
    for true in (0.5, 1.0, 2.5):
        logits, y = sampled(true)
        assert calibration.fit_temperature(logits, y) == pytest.approx(true, rel=0.08)


def test_ece_is_near_zero_when_calibrated_and_large_when_overconfident():
    logits, y = sampled(2.5)
    assert calibration.expected_calibration_error(softmax(logits / 2.5, axis=1), y) < 0.02
    assert calibration.expected_calibration_error(softmax(logits, axis=1), y) > 0.1
    report = calibration.calibration_report(logits, y, calibration.fit_temperature(logits, y))
    assert report["ece_after"] < report["ece_before"] and report["nll_after"] < report["nll_before"]


def test_reliability_bins_count_every_sample_once():
    probabilities = softmax(np.random.default_rng(1).normal(size=(500, 7)), axis=1)
    y = np.random.default_rng(2).integers(0, 7, 500)
    _, _, counts = calibration.reliability(probabilities, y)
    assert counts.sum() == 500 and len(counts) == calibration.ECE_BINS


NETWORKS = {
    "visual": (lambda: VisualNet.from_preset("paper", **TINY_VISUAL), lambda rng: rng.integers(0, 256, (5, 96, 96, 1)).astype("uint8")),
    "audio": (lambda: AudioNet.from_preset("paper", **TINY_AUDIO), lambda rng: rng.normal(size=(5, 32000)).astype("float32")),
    "fusion": (lambda: FusionNet.from_branches(AudioNet.from_preset("paper", **TINY_AUDIO), VisualNet.from_preset("paper", **TINY_VISUAL), **TINY_FUSION),
               lambda rng: {"audio": rng.normal(size=(5, 32000)).astype("float32"),
                            "face": rng.integers(0, 256, (5, 96, 96, 1)).astype("uint8")}),
}  # fmt: skip


@pytest.mark.parametrize("role", NETWORKS)
def test_temperature_round_trip_saved_loaded_and_applied(role, tmp_path):
    build, inputs = NETWORKS[role]
    model, x = build(), inputs(np.random.default_rng(0))
    logits = calibration.predict_logits(model, x)
    calibrated = calibration.with_temperature(model, 3.0)
    calibrated.save(tmp_path / "net.keras")
    loaded = load_model(tmp_path / "net.keras")
    assert loaded.get_config()["temperature"] == 3.0
    probabilities = loaded.probabilities(x)
    np.testing.assert_allclose(probabilities, softmax(logits / 3.0, axis=1), atol=1e-5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities.argmax(1) == logits.argmax(1)).all()  # calibration never changes the answer
