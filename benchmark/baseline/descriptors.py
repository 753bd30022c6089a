"""Frame-level audio descriptors and the statistics that summarise them.

    segments (n, SEGMENT_SAMPLES) -> frames (n, FRAMES, FRAME_SAMPLES)
      -> descriptor tracks (n, FRAMES) -> statistics (n,)

Frames are 25 ms with a 10 ms hop (38 frames in a 400 ms segment, no
centring); spectra are the magnitude of a Hann-windowed N_FFT-point FFT of
those frames. librosa computes every descriptor it provides, on the same
frames and spectra; the others are written out below. Per frame:

==================== =============================================================
short_time_energy    mean of the squared samples (librosa rms, squared)
zero_crossing_rate   fraction of samples whose sign differs from the previous one
                     (librosa; the frame's first sample counts as no crossing)
energy_entropy       Shannon entropy (bits) of the energies of ENTROPY_SUBFRAMES
                     equal sub-frames, normalised to sum 1 (pyAudioAnalysis)
spectral_centroid    magnitude-weighted mean frequency, Hz (librosa)
spectral_spread      magnitude-weighted standard deviation around the centroid, Hz
                     (librosa spectral_bandwidth, p=2)
spectral_rolloff     frequency below which ROLLOFF_FRACTION of the power lies, Hz
                     (librosa, given the power spectrum)
spectral_flux        RMS change of the magnitude spectrum from the previous frame
                     (one value fewer than frames)
spectral_flatness    geometric over arithmetic mean of the power spectrum, floored
                     at EPS (librosa)
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

WINDOW = np.hanning(FRAME_SAMPLES).astype(np.float32)  # (FRAME_SAMPLES,)
DESCRIPTORS = ("short_time_energy", "zero_crossing_rate", "energy_entropy",  # time domain
               "spectral_centroid", "spectral_spread", "spectral_rolloff", "spectral_flux", "spectral_flatness",
               "spectral_crest", "tonal_power_ratio")  # fmt: skip

assert FRAME_SAMPLES % ENTROPY_SUBFRAMES == 0, "sub-frames must tile a frame"


def frames_of(segments):
    """(n, samples) -> (n, frames, FRAME_SAMPLES) view, frames = 1 + (samples - FRAME_SAMPLES) // HOP_SAMPLES."""
    windows = np.lib.stride_tricks.sliding_window_view(segments, FRAME_SAMPLES, axis=-1)
    return windows[:, ::HOP_SAMPLES, :]


def magnitude_spectra(frames):
    """(n, frames, FRAME_SAMPLES) -> (n, frames, bins) magnitude of the Hann-windowed FFT."""
    return np.abs(np.fft.rfft(frames * WINDOW, n=N_FFT, axis=-1)).astype(np.float32)


def librosa_tracks(segments, magnitude):
    """The descriptors librosa provides, on the frames of ``frames_of`` and their spectra.

    segments: (n, SEGMENT_SAMPLES) float32; magnitude: (n, frames, bins) of ``magnitude_spectra``
    Returns {descriptor name: (n, frames) track}.
    """
    import librosa  # slow to import; only the audio baseline needs it

    framing = dict(frame_length=FRAME_SAMPLES, hop_length=HOP_SAMPLES, center=False)
    spectrogram = magnitude.swapaxes(1, 2)  # (n, bins, frames): librosa's axis order
    rate = dict(sr=SAMPLE_RATE, n_fft=N_FFT)
    centroid = librosa.feature.spectral_centroid(S=spectrogram, **rate)
    tracks = {
        "short_time_energy": librosa.feature.rms(y=segments, **framing) ** 2,
        "zero_crossing_rate": librosa.feature.zero_crossing_rate(segments, **framing),
        "spectral_centroid": centroid,
        "spectral_spread": librosa.feature.spectral_bandwidth(S=spectrogram, centroid=centroid, p=2, **rate),
        "spectral_rolloff": librosa.feature.spectral_rolloff(S=spectrogram**2, roll_percent=ROLLOFF_FRACTION, **rate),
        "spectral_flatness": librosa.feature.spectral_flatness(S=spectrogram, power=2.0, amin=EPS),
    }  # each (n, 1, frames)
    return {name: track[:, 0, :] for name, track in tracks.items()}


# --- what librosa does not provide: (n, frames, FRAME_SAMPLES) or (n, frames, bins) -> (n, frames)


def energy_entropy(frames):
    sub = frames.reshape(*frames.shape[:-1], ENTROPY_SUBFRAMES, -1)
    energy = np.sum(sub**2, axis=-1)  # (n, frames, subframes)
    share = energy / (energy.sum(axis=-1, keepdims=True) + EPS)
    return -np.sum(share * np.log2(share + EPS), axis=-1)


def spectral_flux(magnitude):
    """(n, frames, bins) -> (n, frames - 1)."""
    return np.sqrt(np.mean(np.diff(magnitude, axis=1) ** 2, axis=-1))


def spectral_crest(magnitude):
    return magnitude.max(axis=-1) / (magnitude.sum(axis=-1) + EPS)


def tonal_power_ratio(magnitude):
    power = magnitude**2
    inner = power[..., 1:-1]
    local_max = (inner > power[..., :-2]) & (inner >= power[..., 2:])
    floor = np.median(power, axis=-1, keepdims=True) * 10 ** (TONAL_PEAK_DB / 10)
    tonal = np.where(local_max & (inner > floor), inner, 0.0).sum(axis=-1)
    return tonal / (power.sum(axis=-1) + EPS)


def descriptor_tracks(segments):
    """(n, SEGMENT_SAMPLES) -> {descriptor name: (n, frames) float64 track}, in DESCRIPTORS order."""
    segments = np.asarray(segments, np.float32)
    frames = frames_of(segments)
    magnitude = magnitude_spectra(frames)
    tracks = librosa_tracks(segments, magnitude)
    tracks.update(energy_entropy=energy_entropy(frames), spectral_flux=spectral_flux(magnitude),
                  spectral_crest=spectral_crest(magnitude), tonal_power_ratio=tonal_power_ratio(magnitude))  # fmt: skip
    return {name: np.asarray(tracks[name], np.float64) for name in DESCRIPTORS}


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
