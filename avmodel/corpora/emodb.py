"""Berlin Database of Emotional Speech, emoDB (Burkhardt et al. 2005).

535 utterances of 10 speakers, named like ``03a01Fa.wav``:

    chars 1-2  speaker ("03")       -> Item.speaker
    chars 3-5  text code ("a01")    -> Item.sentence
    char 6     emotion letter ("F") -> Item.label via EMOTION_CODES
    char 7     version ("a", "b", ...)

clip_id is the file stem. ``source`` is the folder of wavs (searched
recursively) or a zip of it.

Boredom ("L") is not one of our seven labels. Decision: by default it is
excluded (``boredom="exclude"``, 81 files listed in ``result.skipped``);
``boredom="neutral"`` maps it to neutral instead, for those who want all 535
files. Anxiety/fear ("A") is our "fear".
"""

import re

from avmodel.corpora.record import Item
from avmodel.corpora.result import read_listed, require_suffix, SkipFile

CORPUS = "emodb"

# emoDB emotion letter (6th character of the name) -> our label
EMOTION_CODES = {
    "W": "angry",  # Wut / Ärger
    "E": "disgust",  # Ekel
    "A": "fear",  # Angst
    "F": "happy",  # Freude
    "N": "neutral",
    "T": "sad",  # Trauer
}
BOREDOM_CODE = "L"  # Langeweile: not among EMOTIONS, see BOREDOM_OPTIONS
BOREDOM_OPTIONS = {"exclude": None, "neutral": "neutral"}  # boredom= value -> label (None: skip)
AUDIO_SUFFIXES = (".wav", ".flac")

NAME = re.compile(r"^(\d{2})([a-z]\d{2})([A-Z])([a-z])$")  # speaker, text, emotion, version


def read_emodb(source, boredom="exclude"):
    """All emoDB utterances under ``source`` (folder or zip).

    boredom: "exclude" (default) leaves boredom out; "neutral" labels it neutral
    Returns a ReadResult (a sorted list of Items, plus ``.skipped``).
    """
    if boredom not in BOREDOM_OPTIONS:
        raise ValueError(f"boredom={boredom!r}: use one of {sorted(BOREDOM_OPTIONS)}")
    return read_listed(CORPUS, source, lambda file: _item(file, BOREDOM_OPTIONS[boredom]))


def _item(file, boredom_label):
    require_suffix(file, AUDIO_SUFFIXES, f"not audio ({', '.join(AUDIO_SUFFIXES)})")
    match = NAME.match(file.relpath.stem)
    if not match:
        raise SkipFile("name is not <speaker 2 digits><text 3><emotion letter><version>")
    speaker, text, code, _version = match.groups()
    label = _label(code, boredom_label)
    return Item(
        path=file.path,
        label=label,
        speaker=speaker,
        clip_id=file.relpath.stem,
        corpus=CORPUS,
        sentence=text,
    )


def _label(code, boredom_label):
    if code == BOREDOM_CODE:
        if boredom_label is None:
            raise SkipFile("boredom excluded (boredom='exclude')")
        return boredom_label
    if code not in EMOTION_CODES:
        raise SkipFile(f"unknown emotion letter {code!r}")
    return EMOTION_CODES[code]
