"""Where a corpus lives: a folder tree or a zip archive, listed the same way.

Zip members are never extracted up front. An Item of a zipped corpus points at
its member with the path convention (the one ``record.Item`` documents)::

    "<archive path>::<member name>"   e.g. "/data/project2_database.zip::enterface database/subject 1/anger/sentence 1/s1_an_1.avi"

``ZIP_SEPARATOR`` is that "::". ``open_item`` reads either kind of path as a
binary file; ``materialise`` gives a real file on disk (extracting a member to
a temporary folder) for tools such as ffmpeg that need one.

CSV-backed items (FER2013's ``fer2013.csv``) use ``"<csv path>::row<N>"``; they
are read by ``fer2013.load_fer2013_images``, not by ``open_item``.
"""

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ZIP_SEPARATOR = "::"  # between an archive's path and a member's name in Item.path
HIDDEN_FOLDERS = ("__MACOSX",)  # macOS resource-fork folders inside zips


@dataclass(frozen=True)
class SourceFile:
    """One file of a corpus source.

    relpath: path inside the source (zip member name, or path below the folder)
    path:    what Item.path should hold: a file path or "<zip>::<member>"
    """

    relpath: PurePosixPath
    path: str


def member_path(archive, member):
    """Item.path of a zip member: ``"<archive>::<member>"``."""
    return f"{archive}{ZIP_SEPARATOR}{member}"


def split_member(path):
    """``"<archive>::<member>"`` -> (archive, member); a plain path -> (path, None)."""
    path = str(path)
    archive, sep, member = path.partition(ZIP_SEPARATOR)
    if not sep:
        return path, None
    return archive, member


def is_hidden(relpath):
    """True for dot-files (".DS_Store", "._x.avi") and files under ``__MACOSX/``."""
    parts = PurePosixPath(relpath).parts
    return parts[-1].startswith(".") or any(part in HIDDEN_FOLDERS for part in parts)


def is_zip(source):
    return Path(source).is_file() and zipfile.is_zipfile(source)


def list_source(source):
    """Every file of a folder tree or a zip archive, sorted by relpath.

    Returns list[SourceFile]. Folders (and zip directory entries) are not listed.
    Raises FileNotFoundError when ``source`` does not exist.
    """
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"corpus source not found: {source}")
    if source.is_dir():
        files = [
            SourceFile(PurePosixPath(p.relative_to(source).as_posix()), str(p))
            for p in source.rglob("*")
            if p.is_file()
        ]
    elif is_zip(source):
        with zipfile.ZipFile(source) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
        files = [SourceFile(PurePosixPath(name), member_path(source, name)) for name in names]
    else:
        raise ValueError(f"corpus source is neither a folder nor a zip archive: {source}")
    return sorted(files, key=lambda f: f.relpath.as_posix())


def open_item(item_or_path):
    """Open an Item (or its path) for binary reading; zip members included.

    The caller closes the returned file (use ``with``).
    """
    path = getattr(item_or_path, "path", item_or_path)
    archive, member = split_member(path)
    if member is None:
        return open(archive, "rb")
    # The member keeps the archive's file open after the ZipFile is closed.
    with zipfile.ZipFile(archive) as zip_file:
        try:
            return zip_file.open(member)
        except KeyError:
            raise FileNotFoundError(f"{member!r} is not in {archive}") from None


def materialise(item_or_path, tmpdir):
    """A real file for an Item (or path): the file itself, or its zip member
    extracted into ``tmpdir`` (same base name). Returns a Path.
    """
    path = getattr(item_or_path, "path", item_or_path)
    archive, member = split_member(path)
    if member is None:
        return Path(archive)
    target = Path(tmpdir) / PurePosixPath(member).name
    with open_item(path) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return target
