"""Decode: every container to a correct 16 kHz waveform and seeded key frames."""

import subprocess
import time

import numpy as np
import pytest

from avmodel import decode
from avmodel.constants import KEYFRAME_STRIDE, SAMPLE_RATE
from avmodel.errors import ClipTooLongError, NonFiniteAudioError
from tests import media


def dominant_hz(waveform):
    spectrum = np.abs(np.fft.rfft(waveform))
    return np.fft.rfftfreq(len(waveform), 1 / SAMPLE_RATE)[spectrum.argmax()]


def test_probe_reports_streams_and_duration(astronaut_clip):
    info = decode.probe(astronaut_clip)
    assert info.has_audio and info.has_video and not info.is_image
    assert info.duration == pytest.approx(3.0, abs=0.1)
    assert (info.width, info.height, info.fps) == (256, 256, 25)


def test_audio_is_16k_mono_with_the_right_pitch(astronaut_clip):
    """48 kHz stereo in, 16 kHz mono out, the tone still at 440 Hz (moviepy's resampler fails this)."""
    waveform = decode.read_audio(astronaut_clip)
    assert waveform.dtype == np.float32 and waveform.ndim == 1
    assert len(waveform) / SAMPLE_RATE == pytest.approx(3.0, abs=0.05)
    assert dominant_hz(waveform) == pytest.approx(media.TONE_HZ, abs=2)
    assert 0.1 < np.abs(waveform).max() <= 1.0


def test_audio_streams_in_chunks(astronaut_clip):
    chunks = list(decode.iter_audio(astronaut_clip, 8000))
    assert all(len(c) == 8000 for c in chunks[:-1]) and 0 < len(chunks[-1]) <= 8000
    np.testing.assert_array_equal(np.concatenate(chunks), decode.read_audio(astronaut_clip))


@pytest.mark.parametrize("suffix", sorted(media.CODECS))
def test_every_container_decodes(media_dir, suffix):
    clip = media.make_clip(media_dir / f"short{suffix}", media.astronaut_png(media_dir), seconds=1.6)
    waveform = decode.read_audio(clip)
    assert len(waveform) / SAMPLE_RATE == pytest.approx(1.6, abs=0.1)
    assert dominant_hz(waveform) == pytest.approx(media.TONE_HZ, abs=3)
    frames = list(decode.iter_key_frames(clip))
    assert len(frames) in (4, 5) and frames[0].image.shape == (256, 256, 3)


def test_key_frames_every_tenth_from_a_seeded_offset(astronaut_clip):
    frames = list(decode.iter_key_frames(astronaut_clip, seed=7))
    offset = decode.key_frame_offset(7)
    assert [f.index for f in frames] == list(range(offset, 75, KEYFRAME_STRIDE))
    assert [f.time for f in frames] == pytest.approx([i / 25 for i in range(offset, 75, KEYFRAME_STRIDE)])
    again = list(decode.iter_key_frames(astronaut_clip, seed=7))
    assert [f.index for f in again] == [f.index for f in frames]
    offsets = {decode.key_frame_offset(seed) for seed in range(20)}
    assert len(offsets) > 3 and offsets <= set(range(KEYFRAME_STRIDE))


def test_key_frames_are_streamed(media_dir):
    """Taking one frame of a 16-minute clip does not decode the rest."""
    long_clip = media.make_long_clip(media_dir / "long.mp4", 960)
    frames = decode.iter_key_frames(long_clip)
    first = next(frames)
    frames.close()  # stops ffmpeg
    assert first.image.shape == (64, 64, 3)


def test_large_frames_are_scaled_for_detection(media_dir):
    from PIL import Image

    big = media_dir / "big.png"
    Image.open(media.astronaut_png(media_dir)).resize((1280, 720)).save(big)
    clip = media.make_clip(media_dir / "big.mp4", big, seconds=1.2)
    frame = next(decode.iter_key_frames(clip))
    assert frame.image.shape == (360, 640, 3)


def test_audio_only_file(media_dir):
    info = decode.probe(media.make_wav(media_dir / "tone.wav", 2.5))
    assert info.has_audio and not info.has_video
    assert info.duration == pytest.approx(2.5, abs=0.05)


def test_sizes_of_tiny_images_are_read(media_dir):
    """1x1 and 8x8 were read as 0x0 (the size pattern wanted two digits)."""
    for side in (1, 8):
        info = decode.probe(media.gray_png(media_dir, side))
        assert info.is_image and (info.width, info.height) == (side, side)


def test_estimated_duration_is_flagged(media_dir):
    """An mp3 without a Xing header has only a bit-rate guess of its length."""
    guessed = media_dir / "noxing.mp3"
    subprocess.run([decode.ffmpeg_exe(), "-v", "error", "-y", "-i", str(media.make_wav(media_dir / "x.wav", 2.0)),
                    "-c:a", "libmp3lame", "-write_xing", "0", str(guessed)], check=True)  # fmt: skip
    assert decode.probe(guessed).duration_is_estimate
    assert not decode.probe(media.make_wav(media_dir / "x.mp3", 2.0)).duration_is_estimate


@pytest.fixture
def ffmpeg_processes(monkeypatch):
    """Every process started while the test runs, to check none is left running."""
    started, popen = [], subprocess.Popen

    def recording(*args, **kwargs):
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", recording)
    return started


def decode_all(path, info, stream, max_seconds):
    if stream == "audio":
        return decode.read_audio(path, info, max_seconds)
    return list(decode.iter_key_frames(path, info, max_seconds=max_seconds))


@pytest.mark.parametrize("stream", ["audio", "video"])
def test_headerless_stream_is_counted_while_decoding(media_dir, ffmpeg_processes, stream):
    """A 2-minute file whose header gives no duration stops at a 5 s limit within seconds, ffmpeg stopped."""
    live = media.make_headerless(media_dir / f"live_{stream}.mkv", 120, audio=stream == "audio")
    info = decode.probe(live)
    assert info.duration == 0.0
    start = time.monotonic()
    with pytest.raises(ClipTooLongError, match=f"more than 5 s of {stream} counted while decoding, the header gives no"):
        decode_all(live, info, stream, max_seconds=5)
    assert time.monotonic() - start < 10  # decoding all 120 s is not needed to say so
    streaming = ffmpeg_processes[-1]
    assert streaming.poll() is not None and streaming.returncode != 0  # stopped, not run to the end


@pytest.mark.parametrize("stream", ["audio", "video"])
def test_limit_leaves_room_for_padding(astronaut_clip, stream):
    """A 3 s clip under a 3 s limit: decoders' padding past the header's length is not counted against it."""
    assert len(decode_all(astronaut_clip, decode.probe(astronaut_clip), stream, max_seconds=3))
    assert len(decode_all(astronaut_clip, None, stream, max_seconds=None))


@pytest.mark.parametrize("bad, rate", [(np.nan, 16_000), (np.inf, 44_100)])
def test_non_finite_samples_are_refused(media_dir, bad, rate):
    """NaN or Inf in a float wav (at 0.5 s) is refused at the chunk that holds it, even after resampling."""
    samples = 0.3 * np.sin(2 * np.pi * media.TONE_HZ * np.arange(2 * rate) / rate)
    samples[rate // 2 : rate // 2 + 10] = bad
    wav = media.make_float_wav(media_dir / f"bad_{rate}.wav", samples, rate)
    with pytest.raises(NonFiniteAudioError, match=f"non-finite audio: .* \\(NaN or Inf samples from 0.(49|50) s"):
        decode.read_audio(wav)
