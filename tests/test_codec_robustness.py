"""scripts/codec_robustness.py: windows through a lossy codec and back come out aligned, each in
its own place, with its padding silent (or the table it prints would compare unrelated sounds)."""

import importlib.util

import numpy as np
import pytest

from avmodel.audio import to_window
from avmodel.constants import SAMPLE_RATE, WINDOW_SAMPLES
from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("codec_robustness", ROOT / "scripts" / "codec_robustness.py")
codec_robustness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(codec_robustness)


def sweep_windows():
    """(4, WINDOW_SAMPLES): four different rising tones, two of them short clips (zero-padded)."""
    lengths, low_hz = (WINDOW_SAMPLES, 20000, WINDOW_SAMPLES, 24000), (200, 500, 900, 1500)
    windows = []
    for length, hz in zip(lengths, low_hz):
        t = np.arange(length) / SAMPLE_RATE
        windows.append(to_window(np.sin(2 * np.pi * (hz + 400 * t) * t)))
    return np.stack(windows)


@pytest.mark.parametrize("codec", list(codec_robustness.CODECS))
def test_round_trip_keeps_each_window_in_place(codec):
    windows = sweep_windows()
    decoded = codec_robustness.round_trip(windows, *codec_robustness.CODECS[codec])
    assert decoded.shape == windows.shape
    lengths = codec_robustness.signal_lengths(windows)
    np.testing.assert_array_equal(lengths, [WINDOW_SAMPLES, 20000, WINDOW_SAMPLES, 24000])
    for window, back, length in zip(windows, decoded, lengths):
        assert np.all(back[length:] == 0)
        inner = slice(800, length - 800)  # the codec smears the joins between windows
        assert np.corrcoef(window[inner], back[inner])[0, 1] > 0.9
    assert np.corrcoef(windows[0][800:-800], decoded[2][800:-800])[0, 1] < 0.5  # another window's tone
