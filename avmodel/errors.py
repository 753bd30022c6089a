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


class NoAudioTrackError(ClipError):
    reason = "no audio track"


class NoVideoTrackError(ClipError):
    reason = "no video track"


class NoFaceError(ClipError):
    reason = "no face found"


class ClipTooShortError(ClipError):
    reason = "clip too short"


class ClipTooLongError(ClipError):
    reason = "clip too long"
