"""load_clip: one call from a file to model inputs, saying what it found."""

import numpy as np
import pytest
from PIL import Image

from avmodel.clip import FACE_FROM_DETECTOR, FACE_FROM_WHOLE_IMAGE, load_clip
from avmodel.constants import FACE_SIZE, WINDOW_SAMPLES
from tests import media


def test_clip_gives_windows_faces_and_times(astronaut_clip, detector):
    clip = load_clip(astronaut_clip, detector=detector)
    assert clip.windows.shape == (2, WINDOW_SAMPLES)  # 3 s -> one full window + a padded 1 s one
    assert clip.window_starts.tolist() == [0.0, 2.0]
    assert clip.faces.shape == (len(clip.key_frame_times), FACE_SIZE, FACE_SIZE)
    assert clip.found.all() and len(clip.found) in (7, 8)
    assert clip.face_source == FACE_FROM_DETECTOR
    assert np.all(np.diff(clip.key_frame_times) == pytest.approx(0.4))
    assert clip.summary()["key_frames_with_face"] == len(clip.found)


def test_same_seed_same_inputs(astronaut_clip, detector):
    first = load_clip(astronaut_clip, detector=detector, seed=3)
    again = load_clip(astronaut_clip, detector=detector, seed=3)
    np.testing.assert_array_equal(first.faces, again.faces)
    np.testing.assert_array_equal(first.key_frame_times, again.key_frame_times)


def test_video_without_audio_is_flagged(media_dir, detector):
    silent_film = media.make_clip(media_dir / "mute.mp4", media.astronaut_png(media_dir), audio=False)
    clip = load_clip(silent_film, detector=detector)
    assert not clip.has_audio_track and not clip.has_audio and clip.has_face


def test_video_without_face_is_flagged(media_dir, detector):
    clip = load_clip(media.make_clip(media_dir / "noise.mp4", media.noise_png(media_dir)), detector=detector)
    assert clip.has_audio and not clip.has_face and not clip.found.any()


def test_audio_file_gives_windows_only(media_dir, detector):
    clip = load_clip(media.make_wav(media_dir / "tone.flac", 4.5), detector=detector)
    assert clip.windows.shape == (2, WINDOW_SAMPLES) and not clip.has_video_track
    assert clip.duration == pytest.approx(4.5, abs=0.05)


def test_image_with_a_face(media_dir, detector):
    clip = load_clip(media.astronaut_png(media_dir), detector=detector)
    assert clip.has_face and clip.face_source == FACE_FROM_DETECTOR and not clip.has_audio


def test_tight_face_crop_is_used_whole(media_dir, detector):
    """A 48x48 face (FER2013 style) is too tight for MTCNN: it is used whole, and the clip says so."""
    tight = media_dir / "tight.png"
    image = Image.open(media.astronaut_png(media_dir)).crop((95, 30, 165, 100)).convert("L").resize((48, 48))
    image.save(tight)
    clip = load_clip(tight, detector=detector)
    assert clip.has_face and clip.faces.shape == (1, FACE_SIZE, FACE_SIZE)
    assert clip.face_source in (FACE_FROM_WHOLE_IMAGE, FACE_FROM_DETECTOR)


def test_smallest_image_used_whole(media_dir, detector):
    """At faces.MIN_FACE_IMAGE_SIDE (20 px) a face crop is still used whole; one pixel less is refused."""
    from avmodel import faces

    side = faces.MIN_FACE_IMAGE_SIDE
    small = media_dir / "small_face.png"
    Image.open(media.astronaut_png(media_dir)).crop((95, 30, 165, 100)).resize((side, side)).save(small)
    clip = load_clip(small, detector=detector)
    assert clip.has_face and clip.faces.shape == (1, FACE_SIZE, FACE_SIZE)
    assert faces.is_tight_crop(np.zeros((side, side), np.uint8))
    assert not faces.is_tight_crop(np.zeros((side - 1, side - 1), np.uint8))
    assert not faces.is_tight_crop(np.zeros((1, 1, 3), np.uint8))


def test_headerless_clip_takes_its_duration_from_the_decoded_audio(media_dir, detector):
    live = media.make_headerless(media_dir / "live4.mkv", 4.0)
    clip = load_clip(live, detector=detector)
    assert clip.duration == pytest.approx(4.0, abs=0.1) and clip.window_starts.tolist() == [0.0, 2.0]
    assert len(clip.found) == 10  # 100 frames, one key frame in 10


def test_clip_at_the_limit_is_accepted(astronaut_clip, detector):
    """3 s under max_seconds=3: the header check and the streamed count agree (padding allowed)."""
    clip = load_clip(astronaut_clip, detector=detector, max_seconds=3)
    assert clip.has_audio and clip.has_face
