"""The real CREMA-D clips from ../shared/data: real durations, real voices, real faces."""

import numpy as np
import pytest

from avmodel import decode
from avmodel.clip import load_clip
from tests.conftest import data_path

CLIPS = ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"]


@pytest.mark.parametrize("emotion", CLIPS)
def test_crema_d_clip(emotion, detector):
    path = data_path("crema-d", f"1001_DFA_{emotion}_XX.flv")
    info = decode.probe(path)
    waveform = decode.read_audio(path, info)
    assert len(waveform) / 16_000 == pytest.approx(info.duration, abs=0.1)
    assert 1.5 < info.duration < 3.0  # "about 2 s"
    assert np.sqrt(np.mean(waveform**2)) > 0.005  # a voice, not silence
    clip = load_clip(path, detector=detector)
    assert clip.has_audio and len(clip.windows) == 1
    assert clip.found.mean() >= 0.8  # a face in most key frames
