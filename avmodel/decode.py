"""Decode: media file -> (mono 16 kHz waveform, key frames), through ffmpeg pipes.

Everything is streamed: audio arrives in fixed-size chunks and only the key
frames (one every ``KEYFRAME_STRIDE`` frames, selected inside ffmpeg) cross the
pipe, so a 10-minute clip is never held in memory whole.

What is decoded is also counted as it streams, whatever the header says: past
``max_seconds`` of audio samples or of key frames ffmpeg is stopped and
ClipTooLongError raised, so a file whose header gives no duration (a browser
recording, a pipe) is refused as soon as it passes the limit. Audio with NaN or
Inf samples is refused at the first such chunk.

Audio is read through ffmpeg (``-ac 1 -ar 16000 -f f32le``), not through
moviepy, whose ``to_soundarray(fps=16000)`` resampler returns garbage, and not
through librosa, which cannot open .mp4.
"""

import os
import re
import shutil
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from avmodel.constants import DETECT_MAX_SIDE, KEYFRAME_STRIDE, MAX_CLIP_SECONDS, SAMPLE_RATE, SEED
from avmodel.errors import (
    ClipTooLongError,
    EmptyFileError,
    NoAudioTrackError,
    NonFiniteAudioError,
    NotAMediaFileError,
    NoVideoTrackError,
    UnreadableFileError,
)

FALLBACK_FPS = 25.0  # frame rate assumed when a container reports none or a bogus one
MAX_PLAUSIBLE_FPS = 120.0  # above this the reported rate is a timebase, not a frame rate
IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "bmp_pipe", "webp_pipe", "gif", "tiff_pipe")
BYTES_PER_SAMPLE = 4  # float32 little-endian from ffmpeg's f32le
# s: how far a decoded stream may run past max_seconds before it is counted as too long. Decoders
# add a little to what the header says (mp3 and AAC padding, the last frame's length: 20-50 ms
# on CREMA-D's flv), so a clip the header check accepts is not refused for its own padding.
STREAM_SLACK_SECONDS = 0.5

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_INPUT_FORMAT = re.compile(r"Input #0, ([\w,]+), from")
_VIDEO_STREAM = re.compile(r"Stream #0:\d+.*?: Video: (.*)")
_AUDIO_STREAM = re.compile(r"Stream #0:\d+.*?: Audio: (.*)")
_SIZE = re.compile(r"\b([1-9]\d{0,4})x([1-9]\d{0,4})\b")  # 1x1 up to 99999x99999, not hex "0x0001"
_FPS = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
_ESTIMATED = "Estimating duration from bitrate"  # ffmpeg's warning for e.g. an mp3 without a Xing header


@dataclass(frozen=True)
class MediaInfo:
    """What ffmpeg reports about a file, before decoding it.

    duration: seconds (0.0 for a still image or when the container does not say)
    duration_is_estimate: ffmpeg guessed the duration from the bit rate (not a declared length)
    fps:      frames per second of the video stream (FALLBACK_FPS when unknown)
    fps_is_guess: the stream reported no plausible frame rate, so ``fps`` is FALLBACK_FPS
    width, height: display size of the video stream in pixels (rotation applied)
    """

    path: str
    duration: float
    has_audio: bool
    has_video: bool
    is_image: bool
    fps: float
    width: int
    height: int
    duration_is_estimate: bool = False
    fps_is_guess: bool = False

    @property
    def frame_count(self):
        """Estimated number of video frames."""
        return max(1, round(self.duration * self.fps)) if self.has_video else 0


@lru_cache(maxsize=1)
def ffmpeg_exe():
    """The system ffmpeg if there is one, else the binary bundled by imageio-ffmpeg."""
    system = shutil.which("ffmpeg")
    if system:
        return system
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def probe(path):
    """Read a file's streams and duration without decoding it.

    Raises UnreadableFileError (missing or unreadable), EmptyFileError (0 bytes)
    or NotAMediaFileError (ffmpeg finds no audio or video stream in it).
    """
    path = str(path)
    _check_readable(path)
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path],
        capture_output=True,
        text=True,
        errors="replace",
    )
    return _parse_probe(path, result.stderr)


def _check_readable(path):
    if not os.path.isfile(path):
        raise UnreadableFileError(path, "no such file")
    if not os.access(path, os.R_OK):
        raise UnreadableFileError(path, "permission denied")
    if os.path.getsize(path) == 0:
        raise EmptyFileError(path)


def _parse_probe(path, text):
    video = _VIDEO_STREAM.search(text)
    audio = _AUDIO_STREAM.search(text)
    if not video and not audio:
        last_line = text.strip().splitlines()[-1] if text.strip() else "ffmpeg said nothing"
        raise NotAMediaFileError(path, last_line)
    input_format = _INPUT_FORMAT.search(text)
    is_image = bool(input_format) and input_format.group(1).split(",")[0] in IMAGE_FORMATS
    width, height = _video_size(video.group(1), text) if video else (0, 0)
    fps = _fps(video.group(1)) if video else None
    return MediaInfo(
        path=path,
        duration=0.0 if is_image else _duration(text),
        has_audio=bool(audio),
        has_video=bool(video),
        is_image=is_image,
        fps=fps or FALLBACK_FPS,
        width=width,
        height=height,
        duration_is_estimate=_ESTIMATED in text,
        fps_is_guess=bool(video) and fps is None,
    )


def _duration(text):
    match = _DURATION.search(text)
    if not match:
        return 0.0
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _video_size(stream_line, text):
    match = _SIZE.search(stream_line)
    width, height = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    rotation = _ROTATION.search(text)
    if rotation and round(abs(float(rotation.group(1)))) % 180 == 90:
        width, height = height, width
    return width, height


def _fps(stream_line):
    """The first plausible frame rate in a stream line (its fps, else its tbr), or None."""
    for value, kilo in _FPS.findall(stream_line):
        fps = float(value) * (1000 if kilo else 1)
        if 0 < fps <= MAX_PLAUSIBLE_FPS:
            return fps
    return None


# --- audio -----------------------------------------------------------------


def iter_audio(path, chunk_samples, info=None, max_seconds=MAX_CLIP_SECONDS):
    """Yield the mono 16 kHz waveform in chunks.

    Yields float32 arrays of shape (chunk_samples,); the last one may be
    shorter. Samples are counted as they stream: once they pass
    ``max_seconds`` (+ STREAM_SLACK_SECONDS; None for no limit) ffmpeg is
    stopped and ClipTooLongError raised, whatever the header says.
    Raises NoAudioTrackError when the file has no audio stream and
    NonFiniteAudioError at the first chunk holding NaN or Inf.
    """
    info = info or probe(path)
    if not info.has_audio:
        raise NoAudioTrackError(path)
    command = [
        ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path),
        "-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-",
    ]  # fmt: skip
    max_samples = _limit_seconds(max_seconds) * SAMPLE_RATE
    decoded = 0  # samples so far
    with closing(_stream(command, chunk_samples * BYTES_PER_SAMPLE, path)) as chunks:
        for raw in chunks:
            samples = np.frombuffer(raw, dtype="<f4").astype(np.float32)
            _check_finite(samples, decoded, path)
            decoded += len(samples)
            if decoded > max_samples:
                raise _counted_too_long(path, info, "audio", max_seconds)
            yield samples


def read_audio(path, info=None, max_seconds=MAX_CLIP_SECONDS):
    """The whole mono 16 kHz waveform, shape (samples,), float32 in [-1, 1] (see ``iter_audio``)."""
    chunks = list(iter_audio(path, SAMPLE_RATE * 10, info, max_seconds))
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


# --- video -----------------------------------------------------------------


@dataclass(frozen=True)
class KeyFrame:
    """One key frame: its index in the video, its time, and its pixels.

    image: (height, width, 3) uint8 RGB, scaled so its longer side is at most
    DETECT_MAX_SIDE pixels.
    """

    index: int
    time: float
    image: np.ndarray


def key_frame_offset(seed=SEED, stride=KEYFRAME_STRIDE):
    """The seeded random offset of the first key frame, in [0, stride)."""
    return int(np.random.default_rng(seed).integers(stride))


def iter_key_frames(path, info=None, stride=KEYFRAME_STRIDE, seed=SEED, max_seconds=MAX_CLIP_SECONDS):
    """Yield one KeyFrame every ``stride`` frames, from a seeded random offset.

    The selection happens inside ffmpeg (``select`` filter), so only key
    frames cross the pipe. Variable or unknown frame rates are first
    resampled to FALLBACK_FPS so the stride means the same everywhere.
    Key frames are counted as they stream: one past ``max_seconds``
    (+ STREAM_SLACK_SECONDS; None for no limit) stops ffmpeg and raises
    ClipTooLongError, whatever the header says (still images have no limit).
    Raises NoVideoTrackError when the file has no video stream.
    """
    info = info or probe(path)
    if not info.has_video:
        raise NoVideoTrackError(path)
    offset = 0 if info.is_image else min(key_frame_offset(seed, stride), info.frame_count - 1)
    width, height = _detection_size(info.width, info.height)
    filters = f"select='not(mod(n+{stride - offset}\\,{stride}))',scale={width}:{height}"
    command = [
        ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0",
        "-vf", filters, "-fps_mode", "passthrough",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
    ]  # fmt: skip
    frame_bytes = width * height * 3
    # Frames are counted at the reported rate; at an unknown one, at the highest plausible rate, so
    # that a guess of FALLBACK_FPS below the real rate never refuses a clip within the limit.
    counting_fps = MAX_PLAUSIBLE_FPS if info.fps_is_guess else info.fps
    last_index = float("inf") if info.is_image else _limit_seconds(max_seconds) * counting_fps
    with closing(_stream(command, frame_bytes, path)) as chunks:
        for k, raw in enumerate(chunks):
            if len(raw) < frame_bytes:
                break
            index = offset + k * stride
            if index > last_index:
                raise _counted_too_long(path, info, "video", max_seconds)
            image = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
            yield KeyFrame(index=index, time=index / info.fps, image=image)


def _detection_size(width, height):
    """Frame size for detection: longer side at most DETECT_MAX_SIDE, even numbers."""
    scale = min(1.0, DETECT_MAX_SIDE / max(width, height, 1))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


# --- limits and checks while streaming -----------------------------------------


def _limit_seconds(max_seconds):
    """Seconds a stream may reach before it is too long (infinite for no limit)."""
    return float("inf") if max_seconds is None else max_seconds + STREAM_SLACK_SECONDS


def _counted_too_long(path, info, stream, max_seconds):
    header = f"the header says {info.duration:.1f} s" if info.duration else "the header gives no duration"
    counted = f"more than {max_seconds:g} s of {stream} counted while decoding, {header}"
    return ClipTooLongError(path, f"{counted}; at most {max_seconds:g} s accepted")


def _check_finite(samples, start, path):
    """Raise NonFiniteAudioError when a chunk holds NaN or Inf; start: its first sample's index."""
    if np.isfinite(samples).all():
        return
    first = start + int(np.flatnonzero(~np.isfinite(samples))[0])
    raise NonFiniteAudioError(path, f"NaN or Inf samples from {first / SAMPLE_RATE:.2f} s")


# --- ffmpeg plumbing ---------------------------------------------------------


def _stream(command, chunk_bytes, path):
    """Run ffmpeg and yield its stdout in chunks of ``chunk_bytes`` (the last may be short).

    ffmpeg's messages go to a temporary file (not a pipe, which could fill up
    and stall it); a non-zero exit with nothing decoded raises UnreadableFileError.
    """
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
        produced = False
        try:
            while chunk := _read_exactly(process.stdout, chunk_bytes):
                produced = True
                yield chunk
        finally:
            process.stdout.close()
            process.kill() if process.poll() is None else None
            returncode = process.wait()
        if returncode != 0 and not produced:
            log.seek(0)
            message = log.read().decode(errors="replace").strip().splitlines()
            raise UnreadableFileError(path, message[-1] if message else f"ffmpeg exit {returncode}")


def _read_exactly(stream, size):
    """Read ``size`` bytes unless the stream ends first."""
    parts, remaining = [], size
    while remaining:
        part = stream.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def describe(path):
    """A one-line human summary of what a file holds, for messages."""
    info = probe(path)
    kinds = [name for name, present in (("video", info.has_video), ("audio", info.has_audio)) if present]
    return f"{Path(path).name}: {' + '.join(kinds)}, {info.duration:.2f} s"


def link_ffmpeg(bin_dir):
    """Make ``ffmpeg`` callable from ``bin_dir`` when the system has none (Gradio calls it by name).

    Links imageio-ffmpeg's bundled binary as ``bin_dir/ffmpeg``; returns the ffmpeg in use.
    """
    system = shutil.which("ffmpeg")
    if system:
        return system
    link = Path(bin_dir) / "ffmpeg"
    if not link.exists():
        link.symlink_to(ffmpeg_exe())
    return str(link)
