"""Toronto Emotional Speech Set, TESS (Dupuis & Pichora-Fuller 2010).

2,800 words spoken in the carrier phrase "Say the word ...", by two female
speakers, OAF (aged 64) and YAF (aged 26), in seven emotions. Layout::

    <emotion folder>/<speaker>_<word>_<emotion>.<ext>   e.g. angry/OAF_back_angry.opus

The label comes from the **folder** (EMOTION_FOLDERS), checked against the
name's last field (NAME_CODES); "pleasant_surprised" (name code "ps") is our
"surprise". Speaker and word come from the name (Item.speaker, Item.sentence).
One file of the distribution is named ``OA_bite_neutral``: SPEAKER_ALIASES maps
that typo to OAF. clip_id is ``<speaker>_<word>_<emotion folder>`` (a word is
unique per speaker and emotion).
"""

import re

from avmodel.corpora.record import Item
from avmodel.corpora.result import read_listed, require_suffix, SkipFile

CORPUS = "tess"

# TESS emotion folder -> our label
EMOTION_FOLDERS = {
    "angry": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happy",
    "neutral": "neutral",
    "pleasant_surprised": "surprise",
    "sad": "sad",
}
NAME_CODES = {"angry": "angry", "disgust": "disgust", "fear": "fear", "happy": "happy",
              "neutral": "neutral", "ps": "pleasant_surprised", "sad": "sad"}  # fmt: skip
SPEAKERS = ("OAF", "YAF")
SPEAKER_ALIASES = {"OA": "OAF"}  # OA_bite_neutral: a typo in the distribution
AUDIO_SUFFIXES = (".wav", ".flac", ".opus", ".ogg")

NAME = re.compile(r"^([A-Z]+)_([A-Za-z]+)_([a-z]+)$")  # speaker, word, emotion code


def read_tess(source):
    """All TESS words under ``source`` (folder or zip). Returns a ReadResult."""
    return read_listed(CORPUS, source, _item)


def _item(file):
    require_suffix(file, AUDIO_SUFFIXES, f"not audio ({', '.join(AUDIO_SUFFIXES)})")
    folder = file.relpath.parent.name.lower()
    if folder not in EMOTION_FOLDERS:
        raise SkipFile(f"not in an emotion folder ({', '.join(EMOTION_FOLDERS)})")
    match = NAME.match(file.relpath.stem)
    if not match:
        raise SkipFile("name is not <speaker>_<word>_<emotion>")
    speaker, word, code = match.groups()
    speaker = SPEAKER_ALIASES.get(speaker, speaker)
    if speaker not in SPEAKERS:
        raise SkipFile(f"unknown speaker {speaker!r}")
    if NAME_CODES.get(code) != folder:
        raise SkipFile(f"name says {code!r} but the folder says {folder!r}")
    return Item(
        path=file.path,
        label=EMOTION_FOLDERS[folder],
        speaker=speaker,
        clip_id=f"{speaker}_{word.lower()}_{folder}",
        corpus=CORPUS,
        sentence=word.lower(),
    )
