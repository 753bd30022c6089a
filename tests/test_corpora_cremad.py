"""CREMA-D reader: the 6 real clips and name parsing."""

import pytest

from avmodel.corpora import read_corpus
from avmodel.corpora.cremad import read_cremad
from tests.corpus_fixtures import data_path, touch


def test_real_clips():
    items = read_corpus("cremad", data_path("crema-d"))
    assert [(i.clip_id, i.label, i.speaker, i.sentence) for i in items] == [
        ("1001_DFA_ANG_XX", "angry", "1001", "DFA"),
        ("1001_DFA_DIS_XX", "disgust", "1001", "DFA"),
        ("1001_DFA_FEA_XX", "fear", "1001", "DFA"),
        ("1001_DFA_HAP_XX", "happy", "1001", "DFA"),
        ("1001_DFA_NEU_XX", "neutral", "1001", "DFA"),
        ("1001_DFA_SAD_XX", "sad", "1001", "DFA"),
    ]
    assert not items.skipped and all(item.path.endswith(".flv") for item in items)


def test_names_releases_and_duplicates(tmp_path):
    touch(
        tmp_path,
        "AudioWAV/1091_WSI_SAD_LO.wav",
        "VideoFlash/1091_WSI_SAD_LO.flv",  # same clip, other release
        "VideoMP4/1002_IEO_HAP_HI.mp4",
        "AudioWAV/1002_IEO_CAL_HI.wav",  # no such emotion
        "AudioWAV/1002-IEO-HAP-HI.wav",
        "AudioWAV/1002_IEO_HAP_HI.txt",
    )
    items = read_cremad(tmp_path)
    assert [(i.clip_id, i.label, i.speaker, i.sentence) for i in items] == [
        ("1002_IEO_HAP_HI", "happy", "1002", "IEO"),
        ("1091_WSI_SAD_LO", "sad", "1091", "WSI"),
    ]
    assert items[1].path.endswith("AudioWAV/1091_WSI_SAD_LO.wav")
    reasons = sorted(s.reason.split(" (")[0] for s in items.skipped)
    assert reasons == [
        "duplicate clip id 1091_WSI_SAD_LO",
        "name is not <actor>_<sentence>_<EMO>_<level>",
        "not a media file",
        "unknown emotion code 'CAL'",
    ]


def test_missing_source_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_cremad(tmp_path / "nowhere")


def test_real_audio_copy_of_81_actors():
    items = read_cremad(data_path("cremad-audio"))
    assert len(items) == 6622 and not items.skipped
    assert len({item.speaker for item in items}) == 81
    assert {item.label for item in items} == {"angry", "disgust", "fear", "happy", "neutral", "sad"}
    typo = next(item for item in items if item.clip_id == "1040_ITH_SAD_X")  # level "X" in the distribution
    assert typo.label == "sad" and typo.path.endswith(".opus")


def test_opus_and_level_typo(tmp_path):
    touch(tmp_path, "1040/1040_ITH_SAD_X.opus", "1001/1001_DFA_ANG_XX.opus", "1001/1001_DFA_ANG_ZZ.opus")
    items = read_cremad(tmp_path)
    assert [(i.clip_id, i.label) for i in items] == [("1001_DFA_ANG_XX", "angry"), ("1040_ITH_SAD_X", "sad")]
    assert [s.reason for s in items.skipped] == ["unknown intensity level 'ZZ'"]
