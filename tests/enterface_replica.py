"""A replica of the eNTERFACE'05 distribution's file tree, for tests.

The media cannot be downloaded here; ``shared/data/enterface05/layout.txt``
lists the relative path of every clip of ``project2_database.zip`` (one per
line; an uncertain line ends in `` #? <reason>``). ``build_replica`` writes that
tree under ``<dest>/enterface database/`` with a tiny stand-in file per clip,
or whatever ``make_clip(path)`` writes; ``zip_replica`` zips it like the
official archive.
"""

import zipfile
from pathlib import Path, PurePosixPath

TOP_FOLDER = "enterface database"  # the archive's probable top folder (NOTES.md section 6)
COMMENT = " #?"  # starts an "uncertain" remark at the end of a layout line
STAND_IN = b"avmodel eNTERFACE'05 replica stand-in, not a video\n"


def read_layout(layout_txt):
    """Relative clip paths of layout.txt, comments stripped, in file order."""
    paths = []
    for line in Path(layout_txt).read_text(encoding="utf-8").splitlines():
        path = line.split(COMMENT, 1)[0].rstrip()
        if not path:
            continue
        relpath = PurePosixPath(path)
        if relpath.is_absolute() or ".." in relpath.parts:
            raise ValueError(f"layout path escapes the tree: {path!r}")
        paths.append(path)
    return paths


def build_replica(layout_txt, dest, make_clip=None):
    """Write the layout's tree under ``dest/enterface database/``.

    make_clip: called as ``make_clip(path)`` to write each clip file (the
               folders exist already); default writes ``STAND_IN`` bytes
    Returns the Path of the top folder.
    """
    top = Path(dest) / TOP_FOLDER
    for relpath in read_layout(layout_txt):
        path = top / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if make_clip is None:
            path.write_bytes(STAND_IN)
        else:
            make_clip(path)
    return top


def zip_replica(top, zip_path):
    """Zip a replica tree (folders included, even empty ones) with members
    named "<top folder name>/...", as in project2_database.zip. Returns zip_path.
    """
    top, zip_path = Path(top), Path(zip_path)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(top.rglob("*")):
            name = path.relative_to(top.parent).as_posix()
            archive.write(path, name + "/" if path.is_dir() else name)
    return zip_path
