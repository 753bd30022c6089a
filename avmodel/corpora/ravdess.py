"""RAVDESS (Livingstone & Russo 2018): 24 actors, speech and song.

Every file is named ``MM-VC-EE-II-SS-RR-AA.<ext>`` (7 two-digit fields):

    MM modality   01 full audio-visual, 02 video-only, 03 audio-only
    VC channel    01 speech, 02 song
    EE emotion    01 neutral, 02 calm, 03 happy, 04 sad, 05 angry,
                  06 fearful, 07 disgust, 08 surprised (EMOTION_CODES)
    II intensity  01 normal, 02 strong
    SS statement  01 "Kids are talking by the door", 02 "Dogs are sitting by the door"
    RR repetition 01, 02
    AA actor      01-24 (odd male, even female)

Item.speaker = AA ("01"), Item.sentence = SS, clip_id = the file stem (unique,
it encodes every field). Accepted files: .wav, .flac (audio-only) and .mp4
(audio-visual and video-only), in a folder tree (``Actor_NN/``) or a zip.

Decisions:
- calm (02) is not one of our seven labels: excluded by default
  (``calm="exclude"``); ``calm="neutral"`` labels it neutral.
- video-only files (02) have no audio track, and each is a silent copy of a
  full audio-visual file, so they are excluded by default
  (``video_only="exclude"``); ``video_only="keep"`` is for face-only use.
- both channels are read; ``channels=("speech",)`` keeps speech only.
Everything left out is listed in ``result.skipped`` with the reason.
"""

import re

from avmodel.corpora.record import Item
from avmodel.corpora.result import read_listed, require_suffix, SkipFile

CORPUS = "ravdess"

# RAVDESS emotion code (3rd field) -> our label
EMOTION_CODES = {
    "01": "neutral",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fear",  # "fearful"
    "07": "disgust",
    "08": "surprise",  # "surprised"
}
CALM_CODE = "02"  # not among EMOTIONS, see CALM_OPTIONS
CALM_OPTIONS = {"exclude": None, "neutral": "neutral"}  # calm= value -> label (None: skip)
MODALITIES = {"01": "audio-visual", "02": "video-only", "03": "audio-only"}
VIDEO_ONLY = "02"
VIDEO_ONLY_OPTIONS = ("exclude", "keep")
CHANNELS = {"01": "speech", "02": "song"}
MEDIA_SUFFIXES = (".wav", ".flac", ".mp4")

NAME = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(0[12])-(0[12])-(0[12])-(\d{2})$")


def read_ravdess(source, calm="exclude", video_only="exclude", channels=("speech", "song")):
    """All RAVDESS files under ``source`` (folder or zip).

    calm:       "exclude" (default) or "neutral"
    video_only: "exclude" (default: no audio, duplicates the AV files) or "keep"
    channels:   which of "speech", "song" to keep
    Returns a ReadResult (a sorted list of Items, plus ``.skipped``).
    """
    if calm not in CALM_OPTIONS:
        raise ValueError(f"calm={calm!r}: use one of {sorted(CALM_OPTIONS)}")
    if video_only not in VIDEO_ONLY_OPTIONS:
        raise ValueError(f"video_only={video_only!r}: use one of {VIDEO_ONLY_OPTIONS}")
    unknown = set(channels) - set(CHANNELS.values())
    if unknown:
        raise ValueError(f"channels {sorted(unknown)}: use {sorted(CHANNELS.values())}")
    options = {"calm": CALM_OPTIONS[calm], "video_only": video_only, "channels": tuple(channels)}
    return read_listed(CORPUS, source, lambda file: _item(file, **options))


def _item(file, calm, video_only, channels):
    require_suffix(file, MEDIA_SUFFIXES, f"not a media file ({', '.join(MEDIA_SUFFIXES)})")
    match = NAME.match(file.relpath.stem)
    if not match:
        raise SkipFile("name is not MM-VC-EE-II-SS-RR-AA")
    modality, channel, emotion, _intensity, statement, _repetition, actor = match.groups()
    if modality not in MODALITIES or channel not in CHANNELS:
        raise SkipFile(f"unknown modality {modality} or channel {channel}")
    if modality == VIDEO_ONLY and video_only == "exclude":
        raise SkipFile("video-only, no audio (video_only='exclude')")
    if CHANNELS[channel] not in channels:
        raise SkipFile(f"{CHANNELS[channel]} not in channels={channels}")
    return Item(
        path=file.path,
        label=_label(emotion, calm),
        speaker=actor,
        clip_id=file.relpath.stem,
        corpus=CORPUS,
        sentence=statement,
    )


def _label(code, calm_label):
    if code == CALM_CODE:
        if calm_label is None:
            raise SkipFile("calm excluded (calm='exclude')")
        return calm_label
    if code not in EMOTION_CODES:
        raise SkipFile(f"unknown emotion code {code!r}")
    return EMOTION_CODES[code]
