"""One call from a file to model inputs: ``load_clip(path) -> ClipInputs``.

    clip -> decode (waveform, key frames) -> audio windows + face crops

The audio and the key frames stream from two ffmpeg processes at once: the audio is
read on a worker thread while the key frames are decoded and their faces detected.

Videos give both; audio files (wav, flac, mp3) give windows only; still
images give one face (used whole when the image is already a tight face crop
such as FER2013's 48x48, where the detector finds no box). What was found is
recorded, never guessed: ``has_audio``, ``found`` per key frame, ``face_source``.

Input that cannot carry an answer is refused with a ClipError saying why: longer
than ``max_seconds`` (by the header, or counted while decoding when the header
gives no duration), a stream that decodes to far less than its header declares
(truncated), NaN or Inf audio, an image too small to hold a face.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from avmodel import audio, decode, faces
from avmodel.constants import (
    FACE_SIZE,
    KEYFRAME_STRIDE,
    MAX_CLIP_SECONDS,
    MIN_CLIP_SECONDS,
    SAMPLE_RATE,
    SEED,
    WINDOW_SAMPLES,
    WINDOW_SECONDS,
)
from avmodel.errors import (
    ClipTooLongError,
    ClipTooShortError,
    ImageTooSmallError,
    NoAudioTrackError,
    NoFaceError,
    TruncatedStreamError,
)

FACE_FROM_DETECTOR = "detector"
FACE_FROM_WHOLE_IMAGE = "whole image (already a face crop)"
# A stream that decodes to less than this share of the duration its header declares is truncated
# (a download or copy cut short, which loses any share). Honest files fall short by far less:
# encoder priming and tracks of one recording ending a few frames apart cost tens of milliseconds,
# so even a 1 s clip keeps well over half. Durations ffmpeg only estimates from the bit rate
# (an mp3 without a Xing header) are not checked.
MIN_DECODED_FRACTION = 0.5


@dataclass
class ClipInputs:
    """The model inputs of one clip, with what was found.

    windows:        (n_windows, WINDOW_SAMPLES) float32, z-normalised per window
    window_starts:  (n_windows,) float32 seconds
    faces:          (n_key_frames, FACE_SIZE, FACE_SIZE) uint8 grayscale, zeros where no face
    found:          (n_key_frames,) bool, a face was found in that key frame
    key_frame_times:(n_key_frames,) float32 seconds
    """

    path: str
    duration: float
    has_audio_track: bool
    has_video_track: bool
    windows: np.ndarray = field(default_factory=lambda: np.zeros((0, WINDOW_SAMPLES), np.float32))
    window_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    faces: np.ndarray = field(default_factory=lambda: np.zeros((0, FACE_SIZE, FACE_SIZE), np.uint8))
    found: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    key_frame_times: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    face_source: str = ""

    @property
    def has_audio(self):
        return len(self.windows) > 0

    @property
    def has_face(self):
        return bool(self.found.any())

    @property
    def face_crops(self):
        """Only the key frames with a face: (n_found, FACE_SIZE, FACE_SIZE) uint8."""
        return self.faces[self.found]

    @property
    def face_times(self):
        return self.key_frame_times[self.found]

    def summary(self):
        """What was found, as plain JSON-ready values."""
        return {
            "path": self.path,
            "duration_s": round(self.duration, 3),
            "audio_track": self.has_audio_track,
            "video_track": self.has_video_track,
            "audio_windows": len(self.windows),
            "key_frames": len(self.found),
            "key_frames_with_face": int(self.found.sum()),
            "face_source": self.face_source,
        }


def load_clip(path, *, detector=None, seed=SEED, need_audio=False, need_face=False,
              max_seconds=MAX_CLIP_SECONDS):  # fmt: skip
    """Decode a file into model inputs.

    detector:   a faces.FaceDetector to reuse across clips (one is made if None)
    seed:       seeds the key-frame offset
    need_audio: raise NoAudioTrackError instead of returning a clip without audio
    need_face:  raise NoFaceError instead of returning a clip without any face
    max_seconds: longer clips raise ClipTooLongError, by the header's duration or by the audio
                 and key frames counted while decoding (the demo sets 60 s)
    Raises the ClipError subclasses of ``avmodel.errors`` for bad input.
    """
    info = decode.probe(path)
    if info.is_image:
        return _load_image(info, detector or faces.FaceDetector(), need_face)
    _check_duration(info, max_seconds)
    clip = ClipInputs(str(path), info.duration, info.has_audio, info.has_video)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the audio decodes while the key frames are detected
        audio = pool.submit(_add_audio, clip, info, max_seconds) if info.has_audio else None
        try:
            if info.has_video:
                _add_faces(clip, info, detector or faces.FaceDetector(), seed, max_seconds)
        finally:
            if audio is not None:
                audio.result()  # an audio error is raised first, as when the audio decoded first
    return _require(clip, need_audio, need_face)


def _check_duration(info, max_seconds):
    if info.duration and info.duration < MIN_CLIP_SECONDS:
        raise ClipTooShortError(info.path, f"{info.duration:.2f} s; at least {MIN_CLIP_SECONDS:g} s needed")
    if info.duration > max_seconds:
        raise ClipTooLongError(info.path, f"{info.duration:.1f} s; at most {max_seconds:g} s accepted")


def _check_complete(info, seconds, stream):
    """Raise TruncatedStreamError when a stream decoded to far less than the header declares."""
    if info.duration and not info.duration_is_estimate and seconds < MIN_DECODED_FRACTION * info.duration:
        raise TruncatedStreamError(info.path, f"decoded {seconds:.2f} s of {stream} of the {info.duration:.1f} s declared")


def _add_audio(clip, info, max_seconds):
    """Windows from the streamed waveform; the decoded length also checks the container's duration."""
    decoded = [0]  # samples, counted as they stream past
    chunks = _counted(decode.iter_audio(clip.path, WINDOW_SAMPLES, info, max_seconds), decoded)
    expected = int(info.duration // WINDOW_SECONDS) + 1  # windows the container's duration promises
    clip.windows, clip.window_starts = audio.windows_from_chunks(chunks, expected)
    seconds = decoded[0] / SAMPLE_RATE
    _check_complete(info, seconds, "audio")
    clip.duration = max(clip.duration, seconds)
    if not info.has_video and seconds < MIN_CLIP_SECONDS:
        raise ClipTooShortError(clip.path, f"{seconds:.2f} s of audio; at least {MIN_CLIP_SECONDS:g} s needed")


def _counted(chunks, counter):
    for chunk in chunks:
        counter[0] += len(chunk)
        yield chunk


def _add_faces(clip, info, detector, seed, max_seconds):
    frames = decode.iter_key_frames(clip.path, info, seed=seed, max_seconds=max_seconds)
    times = []
    clip.faces, clip.found = faces.detect_and_crop(_record_times(frames, times), detector)
    clip.key_frame_times = np.asarray(times, np.float32)
    clip.face_source = FACE_FROM_DETECTOR if clip.has_face else ""
    if not info.has_audio:  # with audio, the audio track has already been checked
        _check_complete(info, _video_seconds(times, info), "video")


def _video_seconds(times, info):
    """Seconds of video the decoded key frames vouch for: up to one stride past the last one."""
    return times[-1] + KEYFRAME_STRIDE / info.fps if times else 0.0


def _record_times(key_frames, times):
    for key_frame in key_frames:
        times.append(key_frame.time)
        yield key_frame.image


def _load_image(info, detector, need_face):
    """A still image: the detected face, or the whole image when it is already a face crop."""
    side = faces.MIN_FACE_IMAGE_SIDE
    if min(info.width, info.height) < side:
        raise ImageTooSmallError(info.path, f"{info.width}x{info.height} px; a face needs at least {side}x{side} px")
    image = next(decode.iter_key_frames(info.path, info)).image
    clip = ClipInputs(info.path, 0.0, False, True, key_frame_times=np.zeros(1, np.float32))
    clip.faces, clip.found = faces.detect_and_crop([image], detector)
    clip.face_source = FACE_FROM_DETECTOR if clip.has_face else ""
    if not clip.has_face and faces.is_tight_crop(image):
        clip.faces = faces.whole_image_face(image)[None]
        clip.found = np.ones(1, bool)
        clip.face_source = FACE_FROM_WHOLE_IMAGE
    return _require(clip, False, need_face)


def _require(clip, need_audio, need_face):
    if need_audio and not clip.has_audio:
        raise NoAudioTrackError(clip.path, "the clip has no audio" if clip.has_audio_track else "")
    if need_face and not clip.has_face:
        frames = len(clip.found)
        raise NoFaceError(clip.path, f"in none of {frames} key frame{'s' * (frames != 1)}")
    return clip
