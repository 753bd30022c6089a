"""Bad input: each problem raises its own ClipError subclass with a message naming it and the file."""

import shutil
import time

import numpy as np
import pytest

from avmodel import errors
from avmodel.clip import load_clip
from tests import media


def check(path, error, words, detector, **options):
    with pytest.raises(error) as caught:
        load_clip(path, detector=detector, **options)
    message = str(caught.value)
    assert words in message and str(path) in message
    assert isinstance(caught.value, errors.ClipError)
    return caught.value


def test_missing_file(tmp_path, detector):
    check(tmp_path / "nope.mp4", errors.UnreadableFileError, "no such file", detector)


def test_zero_byte_file(tmp_path, detector):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    check(empty, errors.EmptyFileError, "0 bytes", detector)


def test_text_file_that_is_not_a_video(tmp_path, detector):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    check(fake, errors.NotAMediaFileError, "not an audio or video file", detector)


def test_truncated_video(astronaut_clip, tmp_path, detector):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(astronaut_clip.read_bytes()[:600])
    with pytest.raises(errors.UnreadableFileError):
        load_clip(broken, detector=detector)


def test_no_audio_track(media_dir, detector):
    mute = media.make_clip(media_dir / "mute2.mp4", media.astronaut_png(media_dir), audio=False)
    check(mute, errors.NoAudioTrackError, "no audio track", detector, need_audio=True)


def test_no_video_track(media_dir):
    from avmodel.decode import iter_key_frames

    with pytest.raises(errors.NoVideoTrackError, match="no video track"):
        next(iter_key_frames(media.make_wav(media_dir / "voice.wav", 2.0)))


def test_no_face(media_dir, detector):
    clip = media.make_clip(media_dir / "noface.mp4", media.noise_png(media_dir))
    error = check(clip, errors.NoFaceError, "no face found", detector, need_face=True)
    assert "key frames" in str(error)


def test_clip_shorter_than_the_minimum(media_dir, detector):
    short = media.make_clip(media_dir / "blink.mp4", media.astronaut_png(media_dir), seconds=0.4)
    check(short, errors.ClipTooShortError, "too short", detector)
    check(media.make_wav(media_dir / "blip.wav", 0.5), errors.ClipTooShortError, "at least 1 s", detector)


def test_very_long_clip(media_dir, detector):
    long_clip = media.make_long_clip(media_dir / "sixteen_minutes.mp4", 16 * 60)
    check(long_clip, errors.ClipTooLongError, "at most 900 s", detector)


def test_headerless_upload_is_refused_within_seconds(media_dir, detector):
    """A browser-style mkv with no duration in its header, twice the demo's 60 s: counted while decoding."""
    live = media.make_headerless(media_dir / "two_minutes_live.mkv", 120)
    start = time.monotonic()
    check(live, errors.ClipTooLongError, "more than 60 s of audio counted while decoding", detector, max_seconds=60)
    assert time.monotonic() - start < 10


def test_headerless_video_without_audio_is_refused(media_dir, detector):
    live = media.make_headerless(media_dir / "live_video.mkv", 60, audio=False)
    check(live, errors.ClipTooLongError, "more than 5 s of video counted while decoding", detector, max_seconds=5)


def test_headerless_clip_within_the_limit_is_accepted(media_dir, detector):
    clip = load_clip(media.make_headerless(media_dir / "live_short.mkv", 3), detector=detector, max_seconds=5)
    assert clip.duration == pytest.approx(3.0, abs=0.1) and len(clip.windows) == 2


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_audio(media_dir, detector, bad):
    """NaN or Inf samples were answered "angry" (and broke --json); now they are refused."""
    samples = np.zeros(32_000)
    samples[8_000] = bad
    wav = media.make_float_wav(media_dir / f"non_finite_{bad}.wav", samples)
    error = check(wav, errors.NonFiniteAudioError, "NaN or Inf samples from 0.50 s", detector)
    assert error.reason == "non-finite audio"


def test_mp4_truncated_after_its_index(astronaut_clip, tmp_path, detector):
    """The header declares 3 s, the data left holds a fraction of a second: refused, not answered."""
    cut = media.truncate_after_index(astronaut_clip, tmp_path / "cut.mp4", keep=0.4)
    error = check(cut, errors.TruncatedStreamError, "s of audio of the 3.0 s declared", detector)
    assert isinstance(error, errors.UnreadableFileError) and error.reason == "truncated"


def test_video_only_mp4_truncated_after_its_index(media_dir, tmp_path, detector):
    mute = media.make_clip(media_dir / "mute4.avi", media.noise_png(media_dir), seconds=4.0, audio=False)
    cut = media.truncate_after_index(mute, tmp_path / "cut_video.mp4", keep=0.1)
    check(cut, errors.TruncatedStreamError, "s of video of the 4.0 s declared", detector)


@pytest.mark.parametrize("side", [1, 8, 19])
def test_image_too_small_to_hold_a_face(media_dir, detector, side):
    """1x1 and 8x8 images were "used whole as the face"."""
    check(media.gray_png(media_dir, side), errors.ImageTooSmallError, f"{side}x{side} px; a face needs at least 20x20 px", detector)


def test_every_error_has_a_reason_tag():
    for cls in (errors.UnreadableFileError, errors.EmptyFileError, errors.NotAMediaFileError,
                errors.NoAudioTrackError, errors.NoVideoTrackError, errors.NoFaceError,
                errors.ClipTooShortError, errors.ClipTooLongError, errors.TruncatedStreamError,
                errors.NonFiniteAudioError, errors.ImageTooSmallError):  # fmt: skip
        assert cls("x.mp4").reason and cls("x.mp4").reason in str(cls("x.mp4"))


def test_file_without_read_permission(media_dir, tmp_path, detector):
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    locked = tmp_path / "locked.mp4"
    shutil.copy(media.make_wav(media_dir / "lock.wav", 2.0), locked)
    locked.chmod(0)
    check(locked, errors.UnreadableFileError, "permission denied", detector)
