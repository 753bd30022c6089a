"""TESS and SAVEE readers: explicit label maps, name parsing, and the real files when present."""

from collections import Counter

from avmodel.corpora import read_corpus
from avmodel.corpora.savee import read_savee
from avmodel.corpora.tess import read_tess
from tests.corpus_fixtures import data_path, touch


def test_real_tess():
    items = read_corpus("tess", data_path("tess"))
    assert len(items) == 2800 and not items.skipped
    assert Counter(item.label for item in items) == {label: 400 for label in
                                                     ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")}  # fmt: skip
    assert Counter(item.speaker for item in items) == {"OAF": 1400, "YAF": 1400}  # OA_bite_neutral counted as OAF
    surprised = [item for item in items if "pleasant_surprised" in item.path]
    assert len(surprised) == 400 and {item.label for item in surprised} == {"surprise"}


def test_tess_label_from_folder_checked_against_name(tmp_path):
    touch(tmp_path, "pleasant_surprised/YAF_back_ps.opus", "angry/OA_bite_angry.wav", "angry/YAF_dog_sad.opus",
          "calm/YAF_dog_calm.opus", "sad/XYZ_dog_sad.opus", "sad/notes.txt")  # fmt: skip
    items = read_tess(tmp_path)
    assert [(i.clip_id, i.label, i.speaker, i.sentence) for i in items] == [
        ("OAF_bite_angry", "angry", "OAF", "bite"),
        ("YAF_back_pleasant_surprised", "surprise", "YAF", "back"),
    ]
    reasons = sorted(s.reason.split(" (")[0] for s in items.skipped)
    assert reasons == ["name says 'sad' but the folder says 'angry'", "not audio", "not in an emotion folder",
                       "unknown speaker 'XYZ'"]  # fmt: skip


def test_real_savee():
    items = read_corpus("savee", data_path("savee"))
    assert len(items) == 480 and not items.skipped
    assert Counter(item.speaker for item in items) == {"DC": 120, "JE": 120, "JK": 120, "KL": 120}
    assert Counter(item.label for item in items)["neutral"] == 120
    assert {item.label for item in items if item.sentence.startswith("sa")} == {"sad"}
    assert {item.label for item in items if item.sentence.startswith("su")} == {"surprise"}


def test_savee_prefixes_are_matched_whole(tmp_path):
    touch(tmp_path, "KL/sa01.opus", "KL/su01.opus", "KL/a01.opus", "KL/s01.opus", "KL/n30.wav", "XX/a01.opus")
    items = read_savee(tmp_path)
    assert [(i.clip_id, i.label, i.speaker) for i in items] == [
        ("KL_a01", "angry", "KL"), ("KL_n30", "neutral", "KL"),
        ("KL_sa01", "sad", "KL"), ("KL_su01", "surprise", "KL"),
    ]  # fmt: skip
    assert sorted(s.reason.split(" (")[0] for s in items.skipped) == ["not in a speaker folder",
                                                                       "unknown emotion prefix 's'"]  # fmt: skip


def test_prepare_command_lists_every_reader():
    from avmodel.cli import CORPUS_NAMES
    from avmodel.corpora import CORPORA

    assert CORPUS_NAMES == tuple(sorted(CORPORA))
