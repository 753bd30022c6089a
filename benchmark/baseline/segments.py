"""Audio for the baseline: waveform or model windows -> 400 ms segments.

Avots et al. (2019) cut each clip's audio into 400 ms segments and classify
every segment. Segments come from avmodel's 2 s windows, so the baseline sees
exactly the audio the networks see (the same z-normalisation per window):

    waveform (samples,) -> avmodel.audio.make_windows -> (n_windows, WINDOW_SAMPLES)
      -> (n_windows * SEGMENTS_PER_WINDOW, SEGMENT_SAMPLES), padding segments dropped

A window's zero padding (the end of a clip) is never a segment: a segment is
kept when at least MIN_SEGMENT_FRACTION of its samples are real (non-zero), so
a 2 s clip gives 5 segments and a 1.2 s clip 3.
"""

import numpy as np

from avmodel.audio import make_windows
from avmodel.constants import SAMPLE_RATE, WINDOW_SAMPLES

SEGMENT_SECONDS = 0.4  # s: Avots et al.'s audio segment
SEGMENT_SAMPLES = round(SEGMENT_SECONDS * SAMPLE_RATE)  # 6400 samples at 16 kHz
SEGMENTS_PER_WINDOW = WINDOW_SAMPLES // SEGMENT_SAMPLES  # 5 segments in a 2 s window
MIN_SEGMENT_FRACTION = 0.5  # a segment with fewer real samples than this fraction is padding

assert SEGMENTS_PER_WINDOW * SEGMENT_SAMPLES == WINDOW_SAMPLES, "a window must hold whole segments"


def segments_from_windows(windows):
    """Model windows -> the 400 ms segments they hold.

    windows: (n_windows, WINDOW_SAMPLES), any float dtype (prepared arrays are float16)
    Returns (n_segments, SEGMENT_SAMPLES) float32, padding-only segments dropped.
    """
    windows = np.asarray(windows)
    if windows.ndim != 2 or windows.shape[1] != WINDOW_SAMPLES:
        raise ValueError(f"windows must have shape (n, {WINDOW_SAMPLES}), got {windows.shape}")
    segments = windows.astype(np.float32).reshape(-1, SEGMENT_SAMPLES)
    real = np.count_nonzero(segments, axis=1) >= MIN_SEGMENT_FRACTION * SEGMENT_SAMPLES
    return segments[real]


def segments_from_waveform(waveform, normalise=True):
    """A whole waveform -> its 400 ms segments.

    waveform:  (samples,) float at SAMPLE_RATE, e.g. ``avmodel.decode.read_audio(path)``
    normalise: True z-normalises per 2 s window first, as the prepared arrays are
               (use the same setting for training and prediction); False keeps
               the raw amplitude (a trailing remainder of at least
               MIN_SEGMENT_FRACTION of a segment is zero-padded)
    Returns (n_segments, SEGMENT_SAMPLES) float32.
    """
    waveform = np.asarray(waveform, np.float32)
    if waveform.ndim != 1:
        raise ValueError(f"waveform must have shape (samples,), got {waveform.shape}")
    if normalise:
        windows, _ = make_windows(waveform)
        return segments_from_windows(windows)
    n_full, remainder = divmod(len(waveform), SEGMENT_SAMPLES)
    keep = n_full + (remainder >= MIN_SEGMENT_FRACTION * SEGMENT_SAMPLES)
    padded = np.zeros(keep * SEGMENT_SAMPLES, np.float32)
    padded[: min(len(waveform), len(padded))] = waveform[: len(padded)]
    return padded.reshape(keep, SEGMENT_SAMPLES)
