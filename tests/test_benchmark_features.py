"""The baseline's audio features: 400 ms segments, 21 named statistics + 13 MFCCs."""

import numpy as np
import pytest

from avmodel.audio import make_windows
from avmodel.constants import SAMPLE_RATE
from benchmark.baseline import descriptors
from benchmark.baseline.features import FEATURE_NAMES, N_FEATURES, STATISTICAL_NAMES, segment_features
from benchmark.baseline.segments import SEGMENT_SAMPLES, segments_from_waveform, segments_from_windows

PAPER_NAMED = ("energy_entropy_mean", "tonal_power_ratio_mean", "short_time_energy_spread",
               "zero_crossing_rate_slope", "spectral_rolloff_skewness", "spectral_centroid_mean")  # fmt: skip


def tone(seconds, hz=440.0, amplitude=0.3):
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_34_named_features_21_statistics_and_13_mfcc():
    assert N_FEATURES == 34 and len(FEATURE_NAMES) == len(set(FEATURE_NAMES)) == 34
    assert len(STATISTICAL_NAMES) == 21
    assert FEATURE_NAMES[21:] == tuple(f"mfcc{k}_mean" for k in range(1, 14))
    assert set(PAPER_NAMED) <= set(STATISTICAL_NAMES)


def test_a_2_second_clip_gives_5_segments_of_34_features():
    segments = segments_from_waveform(tone(2.0))
    assert segments.shape == (5, SEGMENT_SAMPLES)
    features = segment_features(segments)
    assert features.shape == (5, 34) and features.dtype == np.float32
    assert np.isfinite(features).all()


def test_padding_is_never_a_segment():
    assert len(segments_from_waveform(tone(1.2))) == 3  # 1.2 s = 3 whole segments, then padding
    assert len(segments_from_waveform(tone(1.0), normalise=False)) == 3  # 2.5 segments: the half counts
    windows, _ = make_windows(tone(4.3))
    assert len(segments_from_windows(windows)) == 10  # 4.3 s: the last window (0.3 s) is dropped


def test_windows_and_waveform_paths_agree():
    waveform = tone(3.0)
    windows, _ = make_windows(waveform)
    np.testing.assert_array_equal(segments_from_windows(windows.astype(np.float16)),
                                  segments_from_windows(windows.astype(np.float16).astype(np.float32)))  # fmt: skip
    assert segments_from_waveform(waveform).shape == segments_from_windows(windows).shape


def test_silence_gives_no_segments_and_no_features():
    assert len(segments_from_waveform(np.zeros(SAMPLE_RATE * 2, np.float32))) == 0
    assert segment_features(np.zeros((0, SEGMENT_SAMPLES))).shape == (0, 34)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="shape"):
        segment_features(np.zeros((2, 100)))
    with pytest.raises(ValueError, match="shape"):
        segments_from_windows(np.zeros((1, 100)))
    with pytest.raises(ValueError, match="shape"):
        segments_from_waveform(np.zeros((2, 100)))


def test_descriptors_of_a_pure_tone():
    features = dict(zip(FEATURE_NAMES, segment_features(segments_from_waveform(tone(0.4, hz=1000), normalise=False))[0]))
    assert features["spectral_centroid_mean"] == pytest.approx(1000, rel=0.02)
    assert features["zero_crossing_rate_mean"] == pytest.approx(2 * 1000 / SAMPLE_RATE, rel=0.05)
    assert features["short_time_energy_mean"] == pytest.approx(0.3**2 / 2, rel=0.05)
    assert features["tonal_power_ratio_mean"] > 0.4  # a tone is tonal
    assert features["spectral_flatness_mean"] < 1e-3


def test_every_descriptor_tracks_the_same_38_frames():
    tracks = descriptors.descriptor_tracks(segments_from_waveform(tone(0.8, hz=1000), normalise=False))
    assert tuple(tracks) == descriptors.DESCRIPTORS
    assert {name: track.shape for name, track in tracks.items()} == {
        name: (2, 37 if name == "spectral_flux" else 38) for name in descriptors.DESCRIPTORS}  # 25 ms frames, 10 ms hop
    bin_hz = SAMPLE_RATE / descriptors.N_FFT  # 31.25 Hz
    assert tracks["spectral_spread"].max() < 2 * bin_hz  # a tone's power sits in a few bins around it
    assert 1000 <= tracks["spectral_rolloff"].min() <= tracks["spectral_rolloff"].max() <= 1000 + bin_hz


def test_noise_is_flatter_and_less_tonal_than_a_tone():
    noise = np.random.default_rng(0).standard_normal((1, SEGMENT_SAMPLES)).astype(np.float32)
    named = lambda x: dict(zip(FEATURE_NAMES, segment_features(x)[0]))  # noqa: E731
    tonal, noisy = named(tone(0.4)[None]), named(noise)
    assert noisy["spectral_flatness_mean"] > 100 * tonal["spectral_flatness_mean"]
    assert noisy["tonal_power_ratio_mean"] < tonal["tonal_power_ratio_mean"]


def test_statistics():
    ramp = np.arange(38, dtype=float)[None] * descriptors.HOP_SECONDS * 2.0  # rises 2 units per second
    assert descriptors.slope(ramp)[0] == pytest.approx(2.0)
    assert descriptors.skewness(np.ones((1, 10)))[0] == 0.0
    assert descriptors.skewness(np.array([[0, 0, 0, 0, 10.0]]))[0] > 1
    assert descriptors.spread(np.array([[1.0, 3.0]]))[0] == pytest.approx(1.0)
