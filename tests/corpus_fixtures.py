"""Fixtures and helpers for the corpus-reader and split tests.

Imported by the test modules themselves (``from tests.corpus_fixtures import ...``),
so conftest.py stays untouched. Real data is looked up in $AVMODEL_DATA, else
in ``../shared/data`` next to the project; tests that need it skip with the
reason when it is absent.
"""

from pathlib import Path

import pytest

from tests.conftest import DATA as DATA_DIR, data_path  # noqa: F401  (re-exported to the corpus tests)
from tests.enterface_replica import build_replica, zip_replica

ENTERFACE_CLIPS = 1293  # lines of layout.txt = .avi files of project2_database.zip
STRAY_FILES = ("subject 2/Thumbs.db", "subject 2/anger/sentence 1/notes.txt", "subject 3/.DS_Store")
EMPTY_FOLDER = "subject 5/neutral"


@pytest.fixture(scope="session")
def enterface_layout():
    return data_path("enterface05", "layout.txt")


@pytest.fixture(scope="session")
def enterface_tree(tmp_path_factory, enterface_layout):
    """Replica of the eNTERFACE'05 tree with an empty neutral/ folder and stray
    non-.avi files added. Returns the ``enterface database`` top folder.
    """
    top = build_replica(enterface_layout, tmp_path_factory.mktemp("enterface"))
    (top / EMPTY_FOLDER).mkdir()
    for stray in STRAY_FILES:
        (top / stray).write_bytes(b"stray")
    return top


@pytest.fixture(scope="session")
def enterface_zip(tmp_path_factory, enterface_tree):
    """The replica zipped like project2_database.zip."""
    return zip_replica(enterface_tree, tmp_path_factory.mktemp("enterface_zip") / "project2_database.zip")


def touch(root, *relpaths, content=b"x"):
    """Create small files below ``root``; returns root."""
    for relpath in relpaths:
        path = Path(root) / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return Path(root)
