"""What every corpus reader returns: the Items, plus the files it did not use.

``read_<corpus>(source)`` returns a ``ReadResult``. It *is* a list of Items
(sorted by clip id in natural order: s2 before s10), so callers can treat it
as one. Its ``skipped`` attribute lists every file the reader saw but did not
turn into an Item, each as ``Skipped(path, reason)``: stray files, names that
do not parse, labels outside EMOTIONS, options that exclude a file (boredom,
calm, subject 6, ...), duplicate clip ids. No odd file raises. The reader also
logs one INFO line per reason on the "avmodel.corpora" logger.
"""

import logging
import re
from collections import Counter
from dataclasses import dataclass

from avmodel.corpora.sources import is_hidden, list_source

logger = logging.getLogger("avmodel.corpora")

_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Skipped:
    """A file a reader saw and did not use, and why."""

    path: str
    reason: str


class ReadResult(list):
    """A list of Items with ``.skipped``: list[Skipped] (see the module docstring)."""

    def __init__(self, items=(), skipped=()):
        super().__init__(items)
        self.skipped = list(skipped)

    def skip_counts(self):
        """{reason: number of files} of the skipped files."""
        return dict(Counter(s.reason for s in self.skipped))


class SkipFile(Exception):
    """Raised by a reader's name parser: the file is skipped with this reason."""


def natural_key(text):
    """Sort key that orders embedded numbers numerically ("s2" < "s10")."""
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(text)]


def finish(corpus, items, skipped):
    """Sort the items, skip duplicate clip ids (the first in path order wins),
    log a summary, and return the ReadResult.
    """
    kept, seen, skipped = [], {}, list(skipped)
    for item in sorted(items, key=lambda i: natural_key(i.path)):
        if item.clip_id in seen:
            skipped.append(Skipped(item.path, f"duplicate clip id {item.clip_id} (kept {seen[item.clip_id]})"))
            continue
        seen[item.clip_id] = item.path
        kept.append(item)
    kept.sort(key=lambda i: natural_key(i.clip_id))
    skipped.sort(key=lambda s: natural_key(s.path))
    result = ReadResult(kept, skipped)
    logger.info("%s: %d items, %d files skipped", corpus, len(result), len(skipped))
    for reason, count in sorted(result.skip_counts().items()):
        logger.info("%s: skipped %d: %s", corpus, count, reason)
    return result


def read_listed(corpus, source, parse):
    """Every file of ``source`` (folder or zip) through ``parse(file) -> Item``.

    A file whose parse raises SkipFile is skipped with that reason; returns ``finish``'s ReadResult.
    """
    items, skipped = [], []
    for file in list_source(source):
        try:
            items.append(parse(file))
        except SkipFile as why:
            skipped.append(Skipped(file.path, str(why)))
    return finish(corpus, items, skipped)


def require_suffix(file, suffixes, reason):
    """Raise SkipFile for hidden files, and with ``reason`` for a suffix not in ``suffixes``."""
    if is_hidden(file.relpath):
        raise SkipFile("hidden or metadata file")
    if file.relpath.suffix.lower() not in suffixes:
        raise SkipFile(reason)
