"""Corpus readers: each maps its corpus's own labels onto EMOTIONS explicitly.

    read_corpus("emodb", "../shared/data/emodb/wav")  -> ReadResult of Items

Every ``read_<corpus>(source, **options)`` returns a ``ReadResult``: the
sorted list of ``Item``s (``record.py``), with ``.skipped`` listing every file
seen but not used and why (``result.py``). Zipped corpora are read in place;
their Item.path is ``"<zip>::<member>"`` (``sources.py``: ``open_item``,
``materialise``).
"""

from avmodel.corpora.cremad import read_cremad
from avmodel.corpora.emodb import read_emodb
from avmodel.corpora.enterface import read_enterface
from avmodel.corpora.fer2013 import load_fer2013_images, read_fer2013
from avmodel.corpora.ravdess import read_ravdess
from avmodel.corpora.record import Item
from avmodel.corpora.result import ReadResult, Skipped
from avmodel.corpora.savee import read_savee
from avmodel.corpora.sources import ZIP_SEPARATOR, materialise, open_item
from avmodel.corpora.tess import read_tess

# corpus name -> reader; the name is also each Item's ``corpus``
CORPORA = {
    "enterface05": read_enterface,
    "fer2013": read_fer2013,
    "emodb": read_emodb,
    "ravdess": read_ravdess,
    "cremad": read_cremad,
    "tess": read_tess,
    "savee": read_savee,
}

__all__ = [
    "CORPORA",
    "Item",
    "ReadResult",
    "Skipped",
    "ZIP_SEPARATOR",
    "load_fer2013_images",
    "materialise",
    "open_item",
    "read_corpus",
    "read_cremad",
    "read_emodb",
    "read_enterface",
    "read_fer2013",
    "read_ravdess",
    "read_savee",
    "read_tess",
]


def read_corpus(name, source, **options):
    """Items of corpus ``name`` (a key of CORPORA) at ``source``; ``options``
    go to its reader (e.g. ``boredom="neutral"`` for emodb).
    """
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}: use one of {sorted(CORPORA)}")
    return CORPORA[name](source, **options)
