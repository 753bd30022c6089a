"""emoDB reader: the real 535 wavs, boredom handling, name parsing."""

from collections import Counter

import pytest

from avmodel.corpora import read_corpus
from avmodel.corpora.emodb import read_emodb
from tests.corpus_fixtures import data_path, touch

# emoDB letter counts of the 535 files: W 127, E 46, A 69, F 71, N 79, T 62, L 81 (boredom)
PER_LABEL = {"angry": 127, "disgust": 46, "fear": 69, "happy": 71, "neutral": 79, "sad": 62}
BOREDOM = 81
SPEAKERS = {"03", "08", "09", "10", "11", "12", "13", "14", "15", "16"}


@pytest.fixture(scope="module")
def emodb_wav():
    return data_path("emodb", "wav")


def test_real_corpus_boredom_excluded_by_default(emodb_wav):
    items = read_corpus("emodb", emodb_wav)
    assert len(items) + len(items.skipped) == 535
    assert Counter(item.label for item in items) == PER_LABEL
    assert items.skip_counts() == {"boredom excluded (boredom='exclude')": BOREDOM}
    assert all(s.path.endswith(".wav") and s.path[-6] == "L" for s in items.skipped)
    assert {item.speaker for item in items} == SPEAKERS


def test_real_corpus_boredom_as_neutral(emodb_wav):
    items = read_emodb(emodb_wav, boredom="neutral")
    assert len(items) == 535 and not items.skipped
    assert Counter(item.label for item in items)["neutral"] == PER_LABEL["neutral"] + BOREDOM


def test_fields_come_from_the_name(emodb_wav):
    item = next(i for i in read_emodb(emodb_wav) if i.clip_id == "03a01Fa")
    assert (item.speaker, item.sentence, item.label, item.corpus) == ("03", "a01", "happy", "emodb")
    assert item.path.endswith("03a01Fa.wav")


def test_odd_files_are_skipped_not_raised(tmp_path):
    touch(tmp_path, "16b10Wb.wav", "12a05Ac.flac", "readme.txt", "16b10Xb.wav", "6b10Wb.wav", "._16b10Tb.wav")
    items = read_emodb(tmp_path)
    assert [(i.clip_id, i.label, i.speaker, i.sentence) for i in items] == [
        ("12a05Ac", "fear", "12", "a05"),
        ("16b10Wb", "angry", "16", "b10"),
    ]
    assert len(items.skipped) == 4


def test_bad_option_raises(tmp_path):
    with pytest.raises(ValueError, match="boredom"):
        read_emodb(tmp_path, boredom="sad")
