"""Batch jobs: what to predict, what an earlier run already wrote, and the run itself.

    FILE... (files, folders, glob patterns, manifest .csv files)
      -> expand_inputs -> every media file once, in a stable order
      -> remaining(files, --out) -> less the ones an interrupted run already wrote (writers.done_paths)
      -> results: one Predictor here (local_results) or Ray workers (avmodel.distributed.ray_results)
      -> write_all -> a writer (avmodel.writers), with a progress bar when results go to a file

A folder gives the media files under it (by suffix, recursively, sorted); a pattern
with * ? or [ that is no existing file is expanded as a recursive glob; a ``.csv``
is a manifest with a ``path`` column (relative paths are taken from the CSV's
folder). Nothing given is dropped in silence:
a folder or pattern that matches no media file, a manifest without a ``path``
column and a name that does not exist are errors, raised before any work.
"""

import csv
import glob
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from avmodel.writers import done_paths

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


def remaining(files, out):
    """(files not yet in ``out``, how many were), in order; all of them when there is no ``out``."""
    done = done_paths(out) if out else set()
    todo = [path for path in files if path not in done]
    return todo, len(files) - len(todo)


def local_results(paths, weights=None, revision=None, engine="auto"):
    """Result dicts of ``paths`` from one Predictor in this process, in order, as each finishes."""
    from avmodel.predict import Predictor

    yield from Predictor(weights, revision, engine=engine).iter_predict(paths)


def write_all(results, writer, total, progress=False):
    """Write every result as it comes; a tqdm bar on stderr (files, rate, errors so far) if ``progress``."""
    from tqdm import tqdm

    with tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True, disable=not progress) as bar:
        for result in results:
            writer.write(result)
            bar.set_postfix(errors=writer.failed, refresh=False)
            bar.update()
    return writer


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the batch stops the same way (exit 143)."""


@contextmanager
def sigterm_as_interrupt():
    """Inside the block SIGTERM raises ``Terminated`` (main thread only; elsewhere nothing changes)."""

    def stop(signum, frame):
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
