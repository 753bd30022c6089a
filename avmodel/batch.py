"""Batch jobs: what to predict, and what an earlier run of the same job already wrote.

    FILE... (files, folders, glob patterns, manifest .csv files)
      -> expand_inputs -> every media file once, in a stable order
      -> done_paths(--out results.jsonl) -> the ones an interrupted run already wrote
      -> what is left to predict

A folder gives the media files under it (by suffix, recursively, sorted); a pattern
with * ? or [ that is no existing file is expanded as a recursive glob; a ``.csv``
is a manifest with a ``path`` column (relative paths are taken from the CSV's
folder). Nothing given is dropped in silence:
a folder or pattern that matches no media file, a manifest without a ``path``
column and a name that does not exist are errors, raised before any work.
"""

import csv
import glob
import json
from pathlib import Path

MEDIA_SUFFIXES = frozenset(".avi .mp4 .flv .webm .mov .mkv .m4v .mpg .mpeg .wmv .3gp .wav .flac .mp3 .ogg .opus "
                           ".m4a .aac .jpg .jpeg .png .bmp .webp .tif .tiff".split())  # fmt: skip
GLOB_CHARACTERS = "*?["


class InputError(ValueError):
    """A name on the command line that gives no file to predict."""


def expand_inputs(names):
    """Command-line names -> file paths (str), in the order given (folders and patterns sorted).

    A file named twice is kept twice, as given (nothing a user names is dropped); with ``--out``
    a rerun skips it once it is written."""
    paths = []
    for name in names:
        paths += _expand(str(name))
    return paths


def _expand(name):
    path = Path(name)
    if path.is_dir():
        found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)
        return found or _none(f"{name}: a folder with no media file in it ({', '.join(sorted(MEDIA_SUFFIXES))})")
    if path.suffix.lower() == ".csv" and path.is_file():
        return read_manifest(path)
    if not path.exists() and any(character in name for character in GLOB_CHARACTERS):
        found = sorted(p for p in glob.glob(name, recursive=True) if Path(p).is_file())
        return found or _none(f"{name}: no file matches this pattern")
    return [name]  # a file, or a missing one: predict reports it as unreadable, like any bad input


def read_manifest(path):
    """The ``path`` column of a manifest CSV, relative paths taken from its folder."""
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        if "path" not in (reader.fieldnames or []):
            raise InputError(f"{path}: a manifest needs a 'path' column (it has {reader.fieldnames or 'none'})")
        rows = [row["path"].strip() for row in reader if row.get("path", "").strip()]
    return [str(Path(path).parent / row) if not Path(row).is_absolute() else row for row in rows]


def _none(message):
    raise InputError(message)


def done_paths(out):
    """Paths an earlier run wrote to the JSON Lines file ``out`` (answers and error rows alike).

    A last line cut short (the run was killed while writing it) is removed from the
    file, so that the rerun appends whole lines only; its file is predicted again.
    """
    out = Path(out)
    if not out.is_file():
        return set()
    data = out.read_bytes()
    lines = data.split(b"\n")
    done, kept = set(), 0
    for line in lines:
        try:
            done.add(json.loads(line)["path"])
        except (ValueError, KeyError, TypeError):
            break  # a torn line: only the last can be (rows are appended whole, and flushed)
        kept += len(line) + 1
    if kept < len(data):
        with out.open("r+b") as file:
            file.truncate(min(kept, len(data)))
    return done
