"""Audio: waveform -> 2-second z-normalised windows with their start times.

A clip is cut into consecutive WINDOW_SAMPLES windows. The last, shorter
remainder is kept (zero-padded) when it holds at least MIN_WINDOW_FRACTION of
a window, so a 1.5 s clip gives one padded window and a 4.3 s clip two.
Each window is z-normalised over its real (unpadded) samples; padding is
zero, i.e. the window's mean after normalisation.
"""

import numpy as np

from avmodel.constants import MIN_WINDOW_FRACTION, SAMPLE_RATE, WINDOW_SAMPLES

SILENCE_STD = 1e-5  # a window quieter than this is left as zeros, not divided by ~0
MIN_REMAINDER_SAMPLES = int(WINDOW_SAMPLES * MIN_WINDOW_FRACTION)  # 16000


def zscore(segment):
    """Zero mean, unit variance; a silent segment becomes zeros.

    segment: (samples,) float -> (samples,) float32. The statistics are taken in float64, so
    even samples near float32's largest value give finite output.
    """
    segment = np.asarray(segment, dtype=np.float32)
    std = float(segment.std(dtype=np.float64)) if segment.size else 0.0
    if std < SILENCE_STD:
        return np.zeros_like(segment)
    return ((segment - segment.mean(dtype=np.float64)) / std).astype(np.float32)


def to_window(segment):
    """One model input: z-normalise, then zero-pad to WINDOW_SAMPLES.

    segment: (n,) with n <= WINDOW_SAMPLES -> (WINDOW_SAMPLES,) float32
    """
    if len(segment) > WINDOW_SAMPLES:
        raise ValueError(f"segment has {len(segment)} samples, more than one window ({WINDOW_SAMPLES})")
    if not np.isfinite(segment).all():
        raise ValueError("segment has NaN or Inf samples (decode.iter_audio refuses such files)")
    window = np.zeros(WINDOW_SAMPLES, np.float32)
    window[: len(segment)] = zscore(segment)
    return window


def windows_from_chunks(chunks, expected=0):
    """Stream of WINDOW_SAMPLES-long waveform chunks -> model windows.

    chunks: iterable of (WINDOW_SAMPLES,) arrays, the last possibly shorter
    (as ``decode.iter_audio(path, WINDOW_SAMPLES)`` yields them).
    expected: how many windows to allocate at once (e.g. from the container's duration), so
        that a long clip's windows are written in place rather than stacked from a list (half
        the memory); more are still taken (the array grows), fewer leave a shorter array.
    Returns windows (n, WINDOW_SAMPLES) float32 and starts (n,) float32 seconds.
    """
    windows = np.zeros((max(0, int(expected)), WINDOW_SAMPLES), np.float32)
    starts, offset = [], 0
    for chunk in chunks:
        if len(chunk) and (offset == 0 or len(chunk) >= MIN_REMAINDER_SAMPLES):
            if len(starts) == len(windows):  # more audio than expected: double the room
                windows = np.concatenate([windows, np.zeros((max(1, len(windows)), WINDOW_SAMPLES), np.float32)])
            windows[len(starts)] = to_window(chunk)
            starts.append(offset / SAMPLE_RATE)
        offset += len(chunk)
    used = windows[: len(starts)]
    if len(used) < len(windows) // 2:  # far fewer than expected: do not keep the unused room alive
        used = used.copy()
    return used, np.asarray(starts, np.float32)


def make_windows(waveform):
    """Whole waveform (samples,) -> windows (n, WINDOW_SAMPLES), starts (n,) seconds."""
    waveform = np.asarray(waveform, np.float32)
    if waveform.ndim != 1:
        raise ValueError(f"waveform must have shape (samples,), got {waveform.shape}")
    chunks = (waveform[i : i + WINDOW_SAMPLES] for i in range(0, len(waveform), WINDOW_SAMPLES))
    return windows_from_chunks(chunks)
