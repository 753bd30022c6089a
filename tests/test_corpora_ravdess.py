"""RAVDESS reader: the real 1200 speech files, calm handling, audio-visual names."""

from collections import Counter

import pytest

from avmodel.corpora import read_corpus
from avmodel.corpora.ravdess import read_ravdess
from tests.corpus_fixtures import data_path, touch

ACTORS = {f"{n:02d}" for n in range(1, 21)}


@pytest.fixture(scope="module")
def ravdess_speech():
    return data_path("ravdess-speech")


def test_real_corpus_calm_excluded_by_default(ravdess_speech):
    items = read_corpus("ravdess", ravdess_speech)
    assert len(items) == 1040 and items.skip_counts() == {"calm excluded (calm='exclude')": 160}
    assert {item.speaker for item in items} == ACTORS
    # 20 actors x (8 neutral or 16 of each other emotion)
    assert Counter(item.label for item in items) == {
        "neutral": 80, "happy": 160, "sad": 160, "angry": 160, "fear": 160, "disgust": 160, "surprise": 160,
    }  # fmt: skip
    for item in items:
        assert item.path.endswith(".flac")
        assert f"Actor_{item.speaker}" in item.path  # speaker from AA agrees with the folder


def test_real_corpus_calm_as_neutral(ravdess_speech):
    items = read_ravdess(ravdess_speech, calm="neutral")
    assert len(items) == 1200 and not items.skipped
    assert Counter(item.label for item in items)["neutral"] == 80 + 160


AV_NAMES = [
    "Actor_21/01-01-03-02-01-02-21.mp4",  # full AV, speech, happy, strong
    "Actor_21/02-01-03-02-01-02-21.mp4",  # the same clip, video-only
    "Actor_22/01-02-06-01-02-01-22.mp4",  # full AV, song, fearful
    "Actor_22/01-02-02-01-01-01-22.mp4",  # song, calm
    "Actor_22/03-01-08-01-01-01-22.wav",  # audio-only, surprised
    "Actor_22/04-01-08-01-01-01-22.wav",  # modality 04 does not exist
    "Actor_22/03-01-09-01-01-01-22.wav",  # emotion 09 does not exist
    "Actor_22/03-01-08-01-01-01.wav",  # too few fields
    "Actor_22/notes.txt",
]


def test_audio_visual_names(tmp_path):
    touch(tmp_path, *AV_NAMES)
    items = read_ravdess(tmp_path)
    assert [(i.clip_id, i.label, i.speaker, i.sentence) for i in items] == [
        ("01-01-03-02-01-02-21", "happy", "21", "01"),
        ("01-02-06-01-02-01-22", "fear", "22", "02"),
        ("03-01-08-01-01-01-22", "surprise", "22", "01"),
    ]
    reasons = Counter(s.reason for s in items.skipped)
    assert reasons["video-only, no audio (video_only='exclude')"] == 1
    assert reasons["calm excluded (calm='exclude')"] == 1
    assert len(items.skipped) == 6


def test_video_only_and_channel_options(tmp_path):
    touch(tmp_path, *AV_NAMES)
    kept = read_ravdess(tmp_path, video_only="keep", calm="neutral")
    assert "02-01-03-02-01-02-21" in {i.clip_id for i in kept}
    assert {i.label for i in kept if i.clip_id == "01-02-02-01-01-01-22"} == {"neutral"}
    speech = read_ravdess(tmp_path, channels=("speech",))
    assert [i.clip_id for i in speech] == ["01-01-03-02-01-02-21", "03-01-08-01-01-01-22"]


@pytest.mark.parametrize("option", [{"calm": "happy"}, {"video_only": "yes"}, {"channels": ("opera",)}])
def test_bad_options_raise(tmp_path, option):
    with pytest.raises(ValueError):
        read_ravdess(tmp_path, **option)
