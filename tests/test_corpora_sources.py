"""Corpus registry, ReadResult and the zip path convention."""

import zipfile

import pytest

from avmodel.constants import EMOTIONS
from avmodel.corpora import CORPORA, ReadResult, read_corpus
from avmodel.corpora.record import Item
from avmodel.corpora.result import natural_key
from avmodel.corpora.sources import ZIP_SEPARATOR, list_source, materialise, member_path, open_item, split_member
from tests.corpus_fixtures import touch


def test_registry_names_every_reader():
    assert set(CORPORA) == {"enterface05", "fer2013", "emodb", "ravdess", "cremad", "tess", "savee"}
    with pytest.raises(ValueError, match="unknown corpus"):
        read_corpus("iemocap", ".")


def test_read_corpus_passes_options(tmp_path):
    touch(tmp_path, "03a01Lb.wav")
    assert read_corpus("emodb", tmp_path) == []
    assert [i.label for i in read_corpus("emodb", tmp_path, boredom="neutral")] == ["neutral"]


def test_every_reader_returns_a_read_result(tmp_path):
    touch(tmp_path, "junk.bin")
    for name, reader in CORPORA.items():
        result = reader(tmp_path)
        assert isinstance(result, ReadResult) and isinstance(result, list) and result == []
        assert [s.path for s in result.skipped] == [str(tmp_path / "junk.bin")], name


def test_every_label_map_targets_emotions():
    from avmodel.corpora import cremad, emodb, enterface, fer2013, ravdess

    maps = [cremad.EMOTION_CODES, emodb.EMOTION_CODES, enterface.EMOTION_FOLDERS, fer2013.CSV_LABELS,
            fer2013.FOLDER_LABELS, ravdess.EMOTION_CODES]  # fmt: skip
    for mapping in maps:
        assert set(mapping.values()) <= set(EMOTIONS)


def test_zip_and_folder_list_the_same_files(tmp_path):
    touch(tmp_path / "tree", "a/b 1/c.avi", "a/d.txt", "__MACOSX/a/._c.avi")
    archive = tmp_path / "tree.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted((tmp_path / "tree").rglob("*")):
            z.write(path, path.relative_to(tmp_path / "tree").as_posix())
    assert [f.relpath for f in list_source(archive)] == [f.relpath for f in list_source(tmp_path / "tree")]
    assert list_source(archive)[1].path == f"{archive}::a/b 1/c.avi"


def test_open_item_and_materialise(tmp_path):
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("dir/clip one.avi", b"payload")
    path = member_path(archive, "dir/clip one.avi")
    assert ZIP_SEPARATOR == "::" and split_member(path) == (str(archive), "dir/clip one.avi")
    assert split_member("/plain/file.avi") == ("/plain/file.avi", None)
    item = Item(path=path, label="sad", speaker="1", clip_id="c", corpus="test")
    with open_item(item) as handle:
        assert handle.read() == b"payload"
    (tmp_path / "out").mkdir()
    extracted = materialise(item, tmp_path / "out")
    assert extracted == tmp_path / "out" / "clip one.avi" and extracted.read_bytes() == b"payload"
    assert materialise(str(extracted), tmp_path) == extracted  # a plain file is returned as is
    with pytest.raises(FileNotFoundError):
        open_item(member_path(archive, "dir/missing.avi"))


def test_natural_key_orders_numbers():
    ids = ["s10-anger-1", "s2-anger-10", "s2-anger-2", "s1-fear-1"]
    assert sorted(ids, key=natural_key) == ["s1-fear-1", "s2-anger-2", "s2-anger-10", "s10-anger-1"]
