"""Real test media made on the fly: a real face (scikit-image's astronaut) as a clip with a tone.

Everything is generated with the same ffmpeg the package decodes with, so the
tests need no files from outside the repository.
"""

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from avmodel.decode import ffmpeg_exe

TONE_HZ = 440  # test tone, well inside every resampler's pass band
CODECS = {  # container -> (video codec, audio codec)
    ".mp4": ("libx264", "aac"),
    ".avi": ("mpeg4", "pcm_s16le"),
    ".flv": ("flv", "libmp3lame"),
    ".webm": ("libvpx", "libopus"),
    ".mov": ("libx264", "aac"),
    ".mkv": ("libx264", "libopus"),
}


def astronaut_png(folder):
    """scikit-image's astronaut photograph (a real face), 256x256, as a PNG file."""
    from skimage import data

    path = Path(folder) / "astronaut.png"
    if not path.exists():
        Image.fromarray(data.astronaut()).resize((256, 256)).save(path)
    return path


def noise_png(folder, seed=0):
    """A picture with no face in it."""
    path = Path(folder) / "noise.png"
    pixels = np.random.default_rng(seed).integers(0, 255, (128, 160, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def make_clip(path, image, seconds=3.0, fps=25, audio_rate=48_000, channels=2,
              tone_hz=TONE_HZ, audio=True, video=True):  # fmt: skip
    """Write a clip of a still image with a sine tone; returns its path."""
    path = Path(path)
    video_codec, audio_codec = CODECS[path.suffix]
    command = [ffmpeg_exe(), "-v", "error", "-y"]
    if video:
        command += ["-loop", "1", "-framerate", str(fps), "-i", str(image)]
    if audio:
        tone = f"sine=frequency={tone_hz}:sample_rate={audio_rate},pan={'stereo|c0=c0|c1=c0' if channels == 2 else 'mono|c0=c0'}"
        command += ["-f", "lavfi", "-i", tone]
    command += ["-t", str(seconds)]
    if video:
        command += ["-c:v", video_codec, "-pix_fmt", "yuv420p", "-r", str(fps)]
    if audio:
        command += ["-c:a", audio_codec]
    subprocess.run(command + [str(path)], check=True)
    return path


def make_wav(path, seconds, rate=44_100, tone_hz=TONE_HZ, silent=False):
    """Write an audio-only file (the format follows the suffix: .wav, .flac, .mp3)."""
    source = "anullsrc" if silent else f"sine=frequency={tone_hz}"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"{source}:sample_rate={rate}",
         "-t", str(seconds), "-ac", "1", str(path)],
        check=True,
    )  # fmt: skip
    return Path(path)


def make_long_clip(path, seconds):
    """A long, cheap clip (tiny grey video at 1 fps, silent audio) for duration limits."""
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=64x64:r=1",
         "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    return Path(path)


def make_headerless(path, seconds, audio=True, video=True):
    """A Matroska file written to a pipe (``-live 1``), as browsers and pipes write them: no duration in its header.

    Cheap content (64x64 grey at 25 fps, a tone) so a long one takes about a second to make.
    """
    command = [ffmpeg_exe(), "-v", "error"]
    if video:
        command += ["-f", "lavfi", "-i", "color=c=gray:s=64x64:r=25"]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency={TONE_HZ}:sample_rate=48000"]
    command += ["-t", str(seconds)]
    command += ["-c:v", "libx264", "-preset", "ultrafast"] if video else []
    command += ["-c:a", "libopus"] if audio else []
    with open(path, "wb") as out:
        subprocess.run(command + ["-live", "1", "-f", "matroska", "pipe:"], stdout=out, check=True)
    return Path(path)


def make_float_wav(path, samples, rate=16_000):
    """A float32 wav of exactly these samples (NaN and Inf kept): f32le raw through ffmpeg."""
    raw = np.asarray(samples, "<f4").tobytes()
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:",
         "-c:a", "pcm_f32le", str(path)],
        input=raw, check=True,
    )  # fmt: skip
    return Path(path)


def truncate_after_index(source, path, keep):
    """An mp4 with its index (moov) first and its media data cut: only ``keep`` (0..1) of the mdat bytes remain.

    The header still declares the whole duration, as in a download cut short.
    """
    faststart = Path(path).with_suffix(".whole.mp4")
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-c", "copy", "-movflags", "+faststart", str(faststart)],
        check=True,
    )  # fmt: skip
    data = faststart.read_bytes()
    offset = 0
    while data[offset + 4 : offset + 8] != b"mdat":  # top-level boxes: 4-byte size, 4-byte type
        offset += int.from_bytes(data[offset : offset + 4], "big")
    mdat_size = int.from_bytes(data[offset : offset + 4], "big")
    Path(path).write_bytes(data[: offset + 8 + int(keep * (mdat_size - 8))])
    return Path(path)


def gray_png(folder, width, height=None):
    """A plain grey image of the given size (e.g. 1x1, 8x8: too small to hold a face)."""
    height = height or width
    path = Path(folder) / f"gray_{width}x{height}.png"
    Image.fromarray(np.full((height, width), 128, np.uint8)).save(path)
    return path
