"""Surrey Audio-Visual Expressed Emotion, SAVEE (Haq & Jackson 2009), audio.

480 British English sentences of four male speakers (DC, JE, JK, KL), 15 per
emotion and 30 neutral. Layout::

    <speaker>/<emotion prefix><number>.<ext>   e.g. JK/sa07.opus, DC/su15.opus

The prefix is one or two letters (EMOTION_PREFIXES: a anger, d disgust, f fear,
h happiness, n neutral, sa sadness, su surprise); "s" alone is not a code, so a
name is matched as the whole prefix, never by its first letter. Speaker from
the folder; clip_id ``<speaker>_<prefix><number>``; Item.sentence is the
prefix and number (the sentence lists differ per emotion).
"""

import re

from avmodel.corpora.record import Item
from avmodel.corpora.result import read_listed, require_suffix, SkipFile

CORPUS = "savee"

# SAVEE file-name prefix -> our label
EMOTION_PREFIXES = {
    "a": "angry",
    "d": "disgust",
    "f": "fear",
    "h": "happy",
    "n": "neutral",
    "sa": "sad",
    "su": "surprise",
}
SPEAKERS = ("DC", "JE", "JK", "KL")
AUDIO_SUFFIXES = (".wav", ".flac", ".opus", ".ogg")

NAME = re.compile(r"^([a-z]{1,2})(\d{2})$")  # emotion prefix, sentence number


def read_savee(source):
    """All SAVEE sentences under ``source`` (folder or zip). Returns a ReadResult."""
    return read_listed(CORPUS, source, _item)


def _item(file):
    require_suffix(file, AUDIO_SUFFIXES, f"not audio ({', '.join(AUDIO_SUFFIXES)})")
    speaker = file.relpath.parent.name.upper()
    if speaker not in SPEAKERS:
        raise SkipFile(f"not in a speaker folder ({', '.join(SPEAKERS)})")
    match = NAME.match(file.relpath.stem.lower())
    if not match:
        raise SkipFile("name is not <emotion prefix><two-digit number>")
    prefix, number = match.groups()
    if prefix not in EMOTION_PREFIXES:
        raise SkipFile(f"unknown emotion prefix {prefix!r}")
    return Item(
        path=file.path,
        label=EMOTION_PREFIXES[prefix],
        speaker=speaker,
        clip_id=f"{speaker}_{prefix}{number}",
        corpus=CORPUS,
        sentence=f"{prefix}{number}",
    )
