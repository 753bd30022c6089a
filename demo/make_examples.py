"""Write the demo's own example files (committed in demo/examples/; rerun to remake them).

    python demo/make_examples.py

Made from scikit-image's astronaut photograph (Eileen Collins, NASA: public
domain) and a generated tone, so the page always has examples that come from
no corpus: a 3 s clip (face + 440 Hz tone), a 48x48 face crop and a 3 s tone.
"""

import subprocess
from pathlib import Path

from PIL import Image

from avmodel.decode import ffmpeg_exe

EXAMPLES = Path(__file__).resolve().parent / "examples"
CLIP_SECONDS = 3  # longer than one 2 s window, so the page draws a timeline
FACE_BOX = (95, 30, 165, 100)  # the astronaut's face in the 256x256 picture (left, top, right, bottom)


def main():
    from skimage import data

    EXAMPLES.mkdir(exist_ok=True)
    picture = Image.fromarray(data.astronaut()).resize((256, 256))
    still = EXAMPLES / "astronaut_still.png"
    picture.save(still)
    tone = f"sine=frequency=440:sample_rate=16000:duration={CLIP_SECONDS}"
    ffmpeg = [ffmpeg_exe(), "-v", "error", "-y"]
    subprocess.run(ffmpeg + ["-loop", "1", "-framerate", "25", "-i", str(still), "-f", "lavfi", "-i", tone,
                             "-t", str(CLIP_SECONDS), "-c:v", "libx264", "-crf", "30", "-pix_fmt", "yuv420p",
                             "-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart",
                             str(EXAMPLES / "astronaut.mp4")], check=True)  # fmt: skip
    subprocess.run(ffmpeg + ["-f", "lavfi", "-i", tone, str(EXAMPLES / "tone.flac")], check=True)
    picture.crop(FACE_BOX).convert("L").resize((48, 48)).save(EXAMPLES / "astronaut_face_48.png")
    still.unlink()


if __name__ == "__main__":
    main()
