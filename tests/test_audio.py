"""Audio windows: 2 s, z-normalised, padded, timestamped; silence is safe."""

import numpy as np
import pytest

from avmodel import audio
from avmodel.constants import SAMPLE_RATE, WINDOW_SAMPLES


def tone(seconds, amplitude=0.3):
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t) + 0.1).astype(np.float32)


def test_window_is_z_normalised():
    windows, starts = audio.make_windows(tone(2.0))
    assert windows.shape == (1, WINDOW_SAMPLES) and windows.dtype == np.float32
    assert windows.mean() == pytest.approx(0, abs=1e-4)
    assert windows.std() == pytest.approx(1, abs=1e-3)
    assert starts.tolist() == [0.0]


def test_silence_does_not_divide_by_zero():
    windows, _ = audio.make_windows(np.zeros(WINDOW_SAMPLES, np.float32))
    assert np.isfinite(windows).all() and not windows.any()


def test_short_clip_is_padded_after_normalising():
    windows, _ = audio.make_windows(tone(1.5))
    real = int(1.5 * SAMPLE_RATE)
    assert windows.shape == (1, WINDOW_SAMPLES)
    assert windows[0, :real].std() == pytest.approx(1, abs=1e-3)
    assert not windows[0, real:].any()


@pytest.mark.parametrize(
    "seconds, expected_starts",
    [(4.0, [0, 2]), (4.3, [0, 2]), (5.2, [0, 2, 4]), (0.6, [0]), (60.9, list(range(0, 60, 2))), (61.0, list(range(0, 61, 2)))],
)
def test_long_clip_gives_consecutive_windows(seconds, expected_starts):
    windows, starts = audio.make_windows(tone(seconds))
    assert starts.tolist() == expected_starts
    assert windows.shape == (len(expected_starts), WINDOW_SAMPLES)


def test_streamed_chunks_equal_whole_waveform():
    waveform = tone(7.3)
    chunks = [waveform[i : i + WINDOW_SAMPLES] for i in range(0, len(waveform), WINDOW_SAMPLES)]
    streamed, _ = audio.windows_from_chunks(iter(chunks))
    whole, _ = audio.make_windows(waveform)
    np.testing.assert_array_equal(streamed, whole)


def test_shape_is_checked():
    with pytest.raises(ValueError, match="samples"):
        audio.make_windows(np.zeros((2, 100)))
    with pytest.raises(ValueError, match="more than one window"):
        audio.to_window(np.zeros(WINDOW_SAMPLES + 1))


def test_non_finite_samples_are_refused():
    """decode refuses such files (NonFiniteAudioError); an array passed in directly raises too."""
    for bad in (np.nan, np.inf):
        waveform = tone(2.0)
        waveform[100] = bad
        with pytest.raises(ValueError, match="NaN or Inf"):
            audio.make_windows(waveform)


def test_huge_samples_stay_finite():
    """Statistics in float64: samples near float32's largest value do not overflow to NaN."""
    windows, _ = audio.make_windows(tone(2.0, amplitude=1.0) * np.float32(3e38))
    assert np.isfinite(windows).all() and windows.std() == pytest.approx(1, abs=1e-3)


@pytest.mark.parametrize("expected", [0, 2, 3, 40])
def test_windows_are_the_same_whatever_room_was_expected(expected):
    waveform = np.random.default_rng(1).standard_normal(int(2.6 * WINDOW_SAMPLES)).astype(np.float32)
    chunks = [waveform[i : i + WINDOW_SAMPLES] for i in range(0, len(waveform), WINDOW_SAMPLES)]
    windows, starts = audio.windows_from_chunks(chunks, expected)
    reference = np.stack([audio.to_window(chunk) for chunk in chunks])  # 2 + a remainder of 0.6 window: all kept
    np.testing.assert_array_equal(windows, reference)
    assert starts.tolist() == [0.0, 2.0, 4.0] and windows.dtype == np.float32
