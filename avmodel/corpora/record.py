"""The one record every corpus reader yields."""

from dataclasses import dataclass

from avmodel.constants import EMOTIONS


@dataclass(frozen=True)
class Item:
    """One labelled clip (or image) of a corpus.

    path:     file on disk, or ``archive.zip::member`` for zip members
    label:    one of ``EMOTIONS``
    speaker:  speaker/subject id as a string, "" when the corpus has none
    clip_id:  unique within the corpus, stable across runs
    corpus:   corpus name, e.g. "enterface05"
    sentence: sentence/text id when the corpus has one, else ""
    split:    the corpus's own split ("train", "test", ...) when it has one, else ""
    """

    path: str
    label: str
    speaker: str
    clip_id: str
    corpus: str
    sentence: str = ""
    split: str = ""

    def __post_init__(self):
        if self.label not in EMOTIONS:
            raise ValueError(f"label {self.label!r} of {self.clip_id} is not one of {EMOTIONS}")

    @property
    def label_index(self):
        return EMOTIONS.index(self.label)
