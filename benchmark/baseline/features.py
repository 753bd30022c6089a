"""The baseline's 34 features per 400 ms audio segment: 21 statistics + 13 MFCCs.

    segments (n, SEGMENT_SAMPLES) -> (n, N_FEATURES) float32, columns FEATURE_NAMES

Avots et al. (2019) name some of their 21 statistical features (energy
entropy, tonal power ratio, short-time energy spread, zero-crossing rate
slope, spectral roll-off skewness, spectral centroid); the full list is not
published, so ours is the explicit list STATISTICAL_FEATURES below: each entry
is a (descriptor, statistic) pair of ``descriptors.py``, named
"<descriptor>_<statistic>". It contains every feature the paper names. The
13 MFCCs are the per-segment means of librosa's MFCCs over the same 25 ms /
10 ms frames (N_MELS mel bands).
"""

import numpy as np

from avmodel.constants import SAMPLE_RATE
from benchmark.baseline import descriptors
from benchmark.baseline.segments import SEGMENT_SAMPLES

# (descriptor, statistic): the 21 statistical features, in column order.
STATISTICAL_FEATURES = (
    ("short_time_energy", "mean"),
    ("short_time_energy", "spread"),  # named by Avots et al.
    ("short_time_energy", "slope"),
    ("zero_crossing_rate", "mean"),
    ("zero_crossing_rate", "spread"),
    ("zero_crossing_rate", "slope"),  # named
    ("energy_entropy", "mean"),  # named ("energy entropy")
    ("energy_entropy", "spread"),
    ("tonal_power_ratio", "mean"),  # named ("tonal power ratio")
    ("tonal_power_ratio", "spread"),
    ("spectral_centroid", "mean"),  # named ("spectral centroid")
    ("spectral_centroid", "spread"),
    ("spectral_centroid", "slope"),
    ("spectral_spread", "mean"),
    ("spectral_rolloff", "mean"),
    ("spectral_rolloff", "spread"),
    ("spectral_rolloff", "skewness"),  # named
    ("spectral_flux", "mean"),
    ("spectral_flux", "spread"),
    ("spectral_flatness", "mean"),
    ("spectral_crest", "mean"),
)
N_STATISTICAL = len(STATISTICAL_FEATURES)  # 21
N_MFCC = 13  # cepstral coefficients, averaged over the segment's frames
N_MELS = 40  # mel bands under the MFCCs
STATISTICAL_NAMES = tuple(f"{descriptor}_{statistic}" for descriptor, statistic in STATISTICAL_FEATURES)
MFCC_NAMES = tuple(f"mfcc{k}_mean" for k in range(1, N_MFCC + 1))
FEATURE_NAMES = STATISTICAL_NAMES + MFCC_NAMES
N_FEATURES = len(FEATURE_NAMES)  # 34

assert N_STATISTICAL == 21 and N_FEATURES == 34


def statistical_features(segments):
    """(n, SEGMENT_SAMPLES) -> (n, 21) float64, columns STATISTICAL_NAMES."""
    tracks = descriptors.descriptor_tracks(segments)
    columns = [descriptors.STATISTICS[statistic](tracks[descriptor]) for descriptor, statistic in STATISTICAL_FEATURES]
    return np.stack(columns, axis=1)


def mfcc_means(segments):
    """(n, SEGMENT_SAMPLES) -> (n, N_MFCC) float32: MFCCs averaged over each segment's frames."""
    import librosa  # slow to import; only the audio baseline needs it

    mfcc = librosa.feature.mfcc(
        y=np.asarray(segments, np.float32),
        sr=SAMPLE_RATE,
        n_mfcc=N_MFCC,
        n_fft=descriptors.N_FFT,
        win_length=descriptors.FRAME_SAMPLES,
        hop_length=descriptors.HOP_SAMPLES,
        n_mels=N_MELS,
        center=False,
    )  # (n, N_MFCC, frames)
    return mfcc.mean(axis=-1)


def segment_features(segments):
    """The baseline's feature matrix.

    segments: (n, SEGMENT_SAMPLES) float
    Returns (n, N_FEATURES) float32, columns FEATURE_NAMES (21 statistics, then 13 MFCC means).
    """
    segments = np.asarray(segments, np.float32)
    if segments.ndim != 2 or segments.shape[1] != SEGMENT_SAMPLES:
        raise ValueError(f"segments must have shape (n, {SEGMENT_SAMPLES}), got {segments.shape}")
    if len(segments) == 0:
        return np.zeros((0, N_FEATURES), np.float32)
    features = np.concatenate([statistical_features(segments), mfcc_means(segments)], axis=1)
    return np.nan_to_num(features).astype(np.float32)
