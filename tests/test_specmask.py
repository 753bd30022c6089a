"""SpecAugment masking: bands of frames and mel bins zeroed while training, nothing at inference."""

import numpy as np
import pytest

from avmodel.models import AudioNet, load_model
from avmodel.models.specmask import SpecMask

FRAMES, MELS = 50, 16


def spectrograms(batch=64):
    """(batch, FRAMES, MELS) of ones: a zero marks a masked cell."""
    return np.ones((batch, FRAMES, MELS), "float32")


def test_inference_is_the_identity():
    x = np.random.default_rng(0).standard_normal((4, FRAMES, MELS)).astype("float32")
    np.testing.assert_array_equal(np.asarray(SpecMask(10, 4, seed=0)(x)), x)


def test_training_masks_whole_bands_no_wider_than_the_limits():
    masked = np.asarray(SpecMask(10, 4, count=1, seed=0)(spectrograms(), training=True)) == 0
    frames = masked.all(axis=2)  # (batch, FRAMES): frame fully masked
    mels = masked.all(axis=1)  # (batch, MELS): mel bin fully masked
    assert (frames.sum(axis=1) <= 10).all() and (mels.sum(axis=1) <= 4).all()
    assert frames.any() and mels.any()  # some bands drawn in 64 examples
    # every zero lies in a masked frame or a masked mel bin: bands, not scattered cells
    np.testing.assert_array_equal(masked, frames[:, :, None] | mels[:, None, :])
    for row in frames:  # one contiguous band per example
        positions = np.flatnonzero(row)
        assert len(positions) == 0 or positions[-1] - positions[0] + 1 == len(positions)


def test_examples_get_different_bands():
    masked = np.asarray(SpecMask(10, 4, seed=0)(spectrograms(), training=True)) == 0
    assert len({row.tobytes() for row in masked}) > 32


def test_zero_widths_mask_nothing():
    x = spectrograms(4)
    np.testing.assert_array_equal(np.asarray(SpecMask(0, 0)(x, training=True)), x)


@pytest.mark.parametrize("preset", ["logmel", "logmel-masked"])
def test_masked_preset_saves_and_predicts_like_its_unmasked_twin(preset, tmp_path):
    """The mask is training-only, so a saved masked network predicts from the plain front end."""
    small = dict(window_samples=1600, filters=(4, 4, 4), num_mel_bins=16, lstm_units=8)
    model = AudioNet.from_preset(preset, **small)
    assert (model.backbone.spec_masks != (0, 0)) == (preset == "logmel-masked")
    model.save(tmp_path / "audio.keras")
    loaded = load_model(tmp_path / "audio.keras")
    wave = np.random.default_rng(1).standard_normal((3, 1600)).astype("float32")
    np.testing.assert_allclose(loaded.predict(wave, verbose=0), model.predict(wave, verbose=0), atol=1e-6)
    assert loaded.backbone.spec_masks == model.backbone.spec_masks
