"""Frame-level audio descriptors and the statistics that summarise them.

    segments (n, SEGMENT_SAMPLES) -> frames (n, FRAMES, FRAME_SAMPLES)
      -> descriptor tracks (n, FRAMES) -> statistics (n,)

Frames are 25 ms with a 10 ms hop (38 frames in a 400 ms segment); spectra
are the magnitude of a Hann-windowed N_FFT-point FFT. Every descriptor is
defined on one frame, vectorised over segments and frames:

==================== =============================================================
short_time_energy    mean of the squared samples
zero_crossing_rate   fraction of neighbouring samples whose sign differs
energy_entropy       Shannon entropy (bits) of the energies of ENTROPY_SUBFRAMES
                     equal sub-frames, normalised to sum 1 (pyAudioAnalysis)
spectral_centroid    magnitude-weighted mean frequency, Hz
spectral_spread      magnitude-weighted standard deviation around the centroid, Hz
spectral_rolloff     frequency below which ROLLOFF_FRACTION of the power lies, Hz
spectral_flux        RMS change of the magnitude spectrum from the previous frame
                     (one value fewer than frames)
spectral_flatness    geometric over arithmetic mean of the power spectrum
spectral_crest       largest magnitude over the summed magnitudes (Lerch)
tonal_power_ratio    power in tonal peaks over total power; a tonal peak is a
                     local maximum at least TONAL_PEAK_DB above the frame's
                     median bin power (Lerch's ratio, threshold made scale-free)
==================== =============================================================

Statistics over a segment's frames: ``mean``; ``spread`` (standard deviation);
``skewness`` (third standardised moment, 0 for a constant track); ``slope``
(least-squares slope against frame time, units per second).
"""

import numpy as np

from avmodel.constants import SAMPLE_RATE

FRAME_SECONDS = 0.025  # s: analysis frame
HOP_SECONDS = 0.010  # s: frame hop
FRAME_SAMPLES = round(FRAME_SECONDS * SAMPLE_RATE)  # 400 samples
HOP_SAMPLES = round(HOP_SECONDS * SAMPLE_RATE)  # 160 samples
N_FFT = 512  # next power of two >= FRAME_SAMPLES: 257 frequency bins
ENTROPY_SUBFRAMES = 10  # sub-frames of the energy entropy (40 samples each)
ROLLOFF_FRACTION = 0.85  # spectral roll-off point
TONAL_PEAK_DB = 10.0  # a tonal peak stands this far above the frame's median bin power
EPS = 1e-10  # guards every division and logarithm (silent frames give 0, not NaN)

FREQUENCIES = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)  # (bins,) Hz
WINDOW = np.hanning(FRAME_SAMPLES).astype(np.float32)  # (FRAME_SAMPLES,)

assert FRAME_SAMPLES % ENTROPY_SUBFRAMES == 0, "sub-frames must tile a frame"


def frames_of(segments):
    """(n, samples) -> (n, frames, FRAME_SAMPLES) view, frames = 1 + (samples - FRAME_SAMPLES) // HOP_SAMPLES."""
    windows = np.lib.stride_tricks.sliding_window_view(segments, FRAME_SAMPLES, axis=-1)
    return windows[:, ::HOP_SAMPLES, :]


def magnitude_spectra(frames):
    """(n, frames, FRAME_SAMPLES) -> (n, frames, bins) magnitude of the Hann-windowed FFT."""
    return np.abs(np.fft.rfft(frames * WINDOW, n=N_FFT, axis=-1)).astype(np.float32)


# --- time-domain descriptors: (n, frames, FRAME_SAMPLES) -> (n, frames) -----------


def short_time_energy(frames):
    return np.mean(frames**2, axis=-1)


def zero_crossing_rate(frames):
    signs = np.signbit(frames)
    return np.mean(signs[..., 1:] != signs[..., :-1], axis=-1)


def energy_entropy(frames):
    sub = frames.reshape(*frames.shape[:-1], ENTROPY_SUBFRAMES, -1)
    energy = np.sum(sub**2, axis=-1)  # (n, frames, subframes)
    share = energy / (energy.sum(axis=-1, keepdims=True) + EPS)
    return -np.sum(share * np.log2(share + EPS), axis=-1)


# --- spectral descriptors: (n, frames, bins) magnitudes -> (n, frames) ------------


def spectral_centroid(magnitude):
    return (magnitude @ FREQUENCIES) / (magnitude.sum(axis=-1) + EPS)


def spectral_spread(magnitude):
    centroid = spectral_centroid(magnitude)[..., None]
    variance = np.sum(magnitude * (FREQUENCIES - centroid) ** 2, axis=-1) / (magnitude.sum(axis=-1) + EPS)
    return np.sqrt(variance)


def spectral_rolloff(magnitude):
    cumulative = np.cumsum(magnitude**2, axis=-1)
    reached = cumulative >= ROLLOFF_FRACTION * cumulative[..., -1:]
    return FREQUENCIES[np.argmax(reached, axis=-1)]


def spectral_flux(magnitude):
    """(n, frames, bins) -> (n, frames - 1)."""
    return np.sqrt(np.mean(np.diff(magnitude, axis=1) ** 2, axis=-1))


def spectral_flatness(magnitude):
    power = magnitude**2 + EPS
    return np.exp(np.mean(np.log(power), axis=-1)) / np.mean(power, axis=-1)


def spectral_crest(magnitude):
    return magnitude.max(axis=-1) / (magnitude.sum(axis=-1) + EPS)


def tonal_power_ratio(magnitude):
    power = magnitude**2
    inner = power[..., 1:-1]
    local_max = (inner > power[..., :-2]) & (inner >= power[..., 2:])
    floor = np.median(power, axis=-1, keepdims=True) * 10 ** (TONAL_PEAK_DB / 10)
    tonal = np.where(local_max & (inner > floor), inner, 0.0).sum(axis=-1)
    return tonal / (power.sum(axis=-1) + EPS)


TIME_DESCRIPTORS = {
    "short_time_energy": short_time_energy,
    "zero_crossing_rate": zero_crossing_rate,
    "energy_entropy": energy_entropy,
}
SPECTRAL_DESCRIPTORS = {
    "spectral_centroid": spectral_centroid,
    "spectral_spread": spectral_spread,
    "spectral_rolloff": spectral_rolloff,
    "spectral_flux": spectral_flux,
    "spectral_flatness": spectral_flatness,
    "spectral_crest": spectral_crest,
    "tonal_power_ratio": tonal_power_ratio,
}


def descriptor_tracks(segments):
    """(n, SEGMENT_SAMPLES) -> {descriptor name: (n, frames) float64 track}."""
    frames = frames_of(np.asarray(segments, np.float32))
    magnitude = magnitude_spectra(frames)
    tracks = {name: f(frames) for name, f in TIME_DESCRIPTORS.items()}
    tracks.update({name: f(magnitude) for name, f in SPECTRAL_DESCRIPTORS.items()})
    return {name: np.asarray(track, np.float64) for name, track in tracks.items()}


# --- statistics: (n, frames) -> (n,) ------------------------------------------------


def mean(track):
    return track.mean(axis=1)


def spread(track):
    return track.std(axis=1)


def skewness(track):
    centred = track - track.mean(axis=1, keepdims=True)
    std = centred.std(axis=1)
    third = np.mean(centred**3, axis=1)
    return np.where(std > EPS, third / np.maximum(std, EPS) ** 3, 0.0)


def slope(track):
    """Least-squares slope against frame time (HOP_SECONDS apart), per second."""
    times = np.arange(track.shape[1]) * HOP_SECONDS
    times = times - times.mean()
    centred = track - track.mean(axis=1, keepdims=True)
    return centred @ times / np.sum(times**2)


STATISTICS = {"mean": mean, "spread": spread, "skewness": skewness, "slope": slope}
