"""How much do two decodings of the same utterance differ, band by band? A table.

    python scripts/codec_gap.py [--video DIR] [--opus DIR]

The six CREMA-D clips in ``../shared/data/crema-d`` (44.1 kHz mp3 soundtracks) and the
24 kb/s Opus copies of the same utterances in ``../shared/data/cremad-audio/1001``, each read
by ``load_clip`` (the project's own path: ffmpeg, 16 kHz, z-normalised 2 s windows). Printed
(markdown): the energy of the first window of the video's soundtrack over the Opus copy's,
in dB per frequency band (``BAND_EDGES_HZ``), per clip, then the mean, least and most.
"""

import argparse
from pathlib import Path

import numpy as np

from avmodel.clip import load_clip
from avmodel.constants import SAMPLE_RATE

BAND_EDGES_HZ = (0, 500, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000)
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def band_energies(window):
    """(bands,) energy of a (samples,) window in each BAND_EDGES_HZ band."""
    power = np.abs(np.fft.rfft(window.astype(np.float64))) ** 2
    hz = np.fft.rfftfreq(len(window), 1 / SAMPLE_RATE)
    return np.array([power[(hz >= low) & (hz < high)].sum() for low, high in zip(BAND_EDGES_HZ, BAND_EDGES_HZ[1:])])


def gap_db(video, opus):
    """(bands,) dB: the video soundtrack's first window over the Opus copy's."""
    first = [load_clip(path, need_audio=True).windows[0] for path in (video, opus)]
    return 10 * np.log10(band_energies(first[0]) / band_energies(first[1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DATA / "crema-d")
    parser.add_argument("--opus", type=Path, default=DATA / "cremad-audio" / "1001")
    args = parser.parse_args()
    rows = {video.stem: gap_db(video, args.opus / f"{video.stem}.opus") for video in sorted(args.video.glob("*.flv"))}
    bands = [f"{low}-{high} Hz" for low, high in zip(BAND_EDGES_HZ, BAND_EDGES_HZ[1:])]
    print("| clip | " + " | ".join(bands) + " |\n|---" * 1 + "|---" * len(bands) + "|")
    table = np.stack(list(rows.values()))
    for name, values in [*rows.items(), ("mean", table.mean(0)), ("least", table.min(0)), ("most", table.max(0))]:
        print(f"| {name} | " + " | ".join(f"{value:+.1f}" for value in values) + " |")


if __name__ == "__main__":
    main()
