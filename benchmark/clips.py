"""The clips the speed figures are measured on.

    CREMA-D actor 1001's six video clips (480x360, 30 fps, voice and face), looped with
    ffmpeg's concat demuxer and cut to 3 s and 30 s (h264 + AAC in .mp4)
    -> without the corpus: tests/media.py's still face (scikit-image's astronaut) with a tone

Real talking faces are what the fast face detector is built for (it tracks the face
between key frames), so the real clips come first; the fallback keeps the benchmark
running on a machine without the corpus, and the report names the clip it used.
"""

import os
import subprocess
import sys
from pathlib import Path

from benchmark.environment import ROOT

DATA = Path(os.environ.get("AVMODEL_DATA", ROOT.parent / "shared" / "data"))
CREMA_D_VIDEO = DATA / "crema-d"
SPEED_SECONDS = (3, 30)  # s: the clips of the real-time factors (issue: a 3 s and a 30 s clip)
COLD_START_SECONDS = 2  # s: the clip `avmodel predict` is timed on from the shell


def speed_clip(folder, seconds):
    """A clip of ``seconds`` in ``folder``: (path, description)."""
    from avmodel.decode import ffmpeg_exe

    folder = Path(folder)
    sources = sorted(CREMA_D_VIDEO.glob("*.flv"))
    if not sources:
        return _synthetic(folder, seconds), f"a still face + tone (no CREMA-D video in {CREMA_D_VIDEO})"
    listing = folder / "concat.txt"
    loops = int(seconds // 10) + 1  # the six clips last about 15 s together
    listing.write_text("".join(f"file '{source}'\n" for _ in range(loops) for source in sources))
    path = folder / f"cremad_1001_{seconds}s.mp4"
    command = [ffmpeg_exe(), "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
               "-t", str(seconds), "-c:v", "libx264", "-c:a", "aac", str(path)]  # fmt: skip
    subprocess.run(command, check=True)
    return path, "CREMA-D actor 1001's six clips looped and cut (480x360, 30 fps, voice and face)"


def _synthetic(folder, seconds):
    sys.path.insert(0, str(ROOT))
    from tests import media

    return media.make_clip(folder / f"still_{seconds}s.mp4", media.astronaut_png(folder), seconds=float(seconds))
