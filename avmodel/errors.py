"""Exceptions for bad input: each names the problem and the file.

All derive from ``ClipError`` so a batch can catch one type, count the
reason (``error.reason``) and go on with the next clip.
"""


class ClipError(Exception):
    """A clip that cannot be turned into model inputs."""

    reason = "bad clip"  # short machine-readable tag, used in skip counts

    def __init__(self, path, detail=""):
        self.path = str(path)
        self.detail = detail
        message = f"{self.reason}: {self.path}"
        super().__init__(f"{message} ({detail})" if detail else message)


class UnreadableFileError(ClipError):
    reason = "unreadable file"


class EmptyFileError(UnreadableFileError):
    reason = "empty file (0 bytes)"


class NotAMediaFileError(UnreadableFileError):
    reason = "not an audio or video file"


class TruncatedStreamError(UnreadableFileError):
    """The stream decodes to far less than its header declares (e.g. a download cut short)."""

    reason = "truncated"


class NonFiniteAudioError(ClipError):
    """The waveform holds NaN or Inf samples: no window of it can be normalised."""

    reason = "non-finite audio"


class ImageTooSmallError(ClipError):
    """A still image too small to hold a face the detector or the face network could use."""

    reason = "image too small"


class NoAudioTrackError(ClipError):
    reason = "no audio track"


class NoVideoTrackError(ClipError):
    reason = "no video track"


class NoFaceError(ClipError):
    reason = "no face found"


class ClipTooShortError(ClipError):
    reason = "clip too short"


class ClipTooLongError(ClipError):
    """Longer than allowed, by the header's duration or by what was counted while decoding."""

    reason = "clip too long"


class WeightsError(Exception):
    """Weights that cannot be used: the message names the file (or folder) and the problem.

    Raised at load time, before any clip is read: a damaged or foreign file, an
    unknown class, a network that does not fit the data path in
    ``avmodel.constants`` (window length, face size, label set) or three
    networks that disagree.
    """

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class MissingWeightsError(WeightsError, FileNotFoundError):
    """No weights where they were asked for (also a FileNotFoundError)."""


def short_message(error, limit=240):
    """An exception's first line, at most ``limit`` characters (Keras appends whole configs to its messages)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    line = lines[0] if lines else type(error).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."
