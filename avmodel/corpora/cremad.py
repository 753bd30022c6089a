"""CREMA-D (Cao et al. 2014): 91 actors, 12 sentences, 6 emotions.

Files are named ``<actor>_<sentence>_<EMO>_<level>.<ext>``, e.g.
``1001_DFA_ANG_XX.flv``: actor 1001-1091 (Item.speaker), sentence code such
as "DFA" (Item.sentence), emotion code (EMOTION_CODES), level LO, MD, HI or
XX (unspecified). clip_id is the file stem. Accepted: the VideoFlash .flv,
.mp4 video and .wav/.mp3 audio releases, and the 16 kHz Ogg Opus audio copy
(``.opus``, ../shared/data/cremad-audio), as a folder tree or a zip. A source
holding two releases of one clip (AudioWAV/ and VideoFlash/) keeps the first
in path order and reports the other as a duplicate clip id.
"""

import re

from avmodel.corpora.record import Item
from avmodel.corpora.result import read_listed, require_suffix, SkipFile

CORPUS = "cremad"

# CREMA-D emotion code (3rd field) -> our label
EMOTION_CODES = {
    "ANG": "angry",
    "DIS": "disgust",
    "FEA": "fear",
    "HAP": "happy",
    "NEU": "neutral",
    "SAD": "sad",
}
MEDIA_SUFFIXES = (".flv", ".mp4", ".wav", ".mp3", ".opus")

LEVELS = ("LO", "MD", "HI", "XX")
LEVEL_ALIASES = {"X": "XX"}  # 1040_ITH_SAD_X: a typo in the distribution

NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{1,2})$")  # actor, sentence, emotion, level


def read_cremad(source):
    """All CREMA-D clips under ``source`` (folder or zip).

    Returns a ReadResult (a sorted list of Items, plus ``.skipped``).
    """
    return read_listed(CORPUS, source, _item)


def _item(file):
    require_suffix(file, MEDIA_SUFFIXES, f"not a media file ({', '.join(MEDIA_SUFFIXES)})")
    match = NAME.match(file.relpath.stem)
    if not match:
        raise SkipFile("name is not <actor>_<sentence>_<EMO>_<level>")
    actor, sentence, emotion, level = match.groups()
    if LEVEL_ALIASES.get(level, level) not in LEVELS:
        raise SkipFile(f"unknown intensity level {level!r}")
    if emotion not in EMOTION_CODES:
        raise SkipFile(f"unknown emotion code {emotion!r}")
    return Item(
        path=file.path,
        label=EMOTION_CODES[emotion],
        speaker=actor,
        clip_id=file.relpath.stem,
        corpus=CORPUS,
        sentence=sentence,
    )
