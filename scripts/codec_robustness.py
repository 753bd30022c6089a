"""Does the voice network give the same answers after a lossy codec? A table per network.

    python scripts/codec_robustness.py --network avmodel/weights/audio.keras runs/audio3d/best.keras \
        --audio-data cache/emodb cache/ravdess cache/cremad-audio cache/savee

The test speakers' windows of each prepared corpus (``training.data.audio_splits``, as
``avmodel evaluate`` scores them) are written one after another as one 16 kHz stream, encoded by
ffmpeg with each of ``CODECS`` and read back through the project's own decoder
(``decode.read_audio``: ffmpeg, mono 16 kHz), cut into the same windows and z-normalised again as
``audio.to_window`` does. Printed (markdown), per network and codec: accuracy per clip on the
original windows and on the decoded ones, and the share of windows whose answer is unchanged.
"""

import argparse
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from avmodel.audio import to_window
from avmodel.constants import SAMPLE_RATE, WINDOW_SAMPLES
from avmodel.decode import ffmpeg_exe, read_audio
from avmodel.metrics import evaluate_probabilities
from avmodel.models import load_model
from avmodel.reproduce import predict
from avmodel.training import data

# name: (file suffix, ffmpeg output options); the mp3 one is a 44.1 kHz soundtrack like CREMA-D's videos
CODECS = {
    "mp3 44.1 kHz 64 kb/s": (".mp3", ["-ar", "44100", "-c:a", "libmp3lame", "-b:a", "64k"]),
    "AAC 32 kb/s": (".m4a", ["-c:a", "aac", "-b:a", "32k"]),
    "Opus 12 kb/s": (".opus", ["-c:a", "libopus", "-b:a", "12k"]),
}
STREAM_PEAK = 0.5  # the stream is scaled to this peak before encoding (no clipping)
ALIGN_SECONDS = 10  # the codec's delay is found by cross-correlating this much of the stream


def signal_lengths(windows):
    """(n,) samples of each (n, WINDOW_SAMPLES) window before its zero padding."""
    nonzero = windows != 0
    return np.where(nonzero.any(1), WINDOW_SAMPLES - np.argmax(nonzero[:, ::-1], axis=1), 0)


def round_trip(windows, suffix, options):
    """(n, WINDOW_SAMPLES) windows -> the same windows after encoding with ``options`` and decoding."""
    lengths = signal_lengths(windows)
    stream = np.concatenate([window[:length] for window, length in zip(windows, lengths)])
    scale = STREAM_PEAK / max(float(np.abs(stream).max()), 1e-9)
    with tempfile.TemporaryDirectory() as folder:
        encoded = Path(folder) / f"stream{suffix}"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-nostdin", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1",
                        "-i", "-", *options, str(encoded)], input=(stream * scale).astype("<f4").tobytes(),
                       check=True)  # fmt: skip
        decoded = read_audio(encoded, max_seconds=None)
    decoded = np.pad(decoded[codec_delay(stream, decoded):], (0, len(stream)))[: len(stream)]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.stack([to_window(decoded[start : start + length]) for start, length in zip(starts, lengths)])


def codec_delay(original, decoded):
    """Samples by which ``decoded`` lags ``original`` (the codec's delay), by cross-correlation."""
    span = min(len(original), len(decoded), ALIGN_SECONDS * SAMPLE_RATE)
    size = 2 * span
    spectrum = np.fft.rfft(decoded[:span], size) * np.conj(np.fft.rfft(original[:span], size))
    correlation = np.fft.irfft(spectrum, size)
    return int(np.argmax(correlation[: span // 2]))  # a delay, never an advance, of under half the span


def rows(network, folders):
    """(corpus, codec, clip accuracy before, after, share of unchanged window answers) per corpus and codec."""
    for folder in folders:
        test = data.audio_splits([folder])["test"]
        before = predict(network, test.x)
        accuracy = evaluate_probabilities(before, test.y, test.clip)["clip"]["accuracy"]
        for codec, (suffix, options) in CODECS.items():
            after = predict(network, round_trip(test.x, suffix, options))
            decoded = evaluate_probabilities(after, test.y, test.clip)["clip"]["accuracy"]
            same = float(np.mean(before.argmax(1) == after.argmax(1)))
            yield Path(folder).name, codec, accuracy, decoded, same


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", nargs="+", required=True, help="AudioNet files (.keras)")
    parser.add_argument("--audio-data", nargs="+", required=True, help="prepared audio folders")
    args = parser.parse_args()
    print("| network | corpus | codec | per clip, original | per clip, decoded | window answers unchanged |")
    print("|---|---|---|---|---|---|")
    for path in args.network:
        network = load_model(path)
        for corpus, codec, before, after, same in rows(network, args.audio_data):
            print(f"| {path} | {corpus} | {codec} | {before:.1%} | {after:.1%} | {same:.1%} |", flush=True)


if __name__ == "__main__":
    main()
