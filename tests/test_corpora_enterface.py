"""eNTERFACE'05 reader on a replica of the official tree (and its zip)."""

from collections import Counter
from pathlib import Path

import pytest
from tests.corpus_fixtures import (  # noqa: F401  (fixtures)
    EMPTY_FOLDER,
    ENTERFACE_CLIPS,
    STRAY_FILES,
    enterface_layout,
    enterface_tree,
    enterface_zip,
    touch,
)

from avmodel.corpora import read_corpus
from avmodel.corpora.enterface import EMOTION_FOLDERS, UNSEGMENTED_SUBJECTS, is_unsegmented, read_enterface
from avmodel.corpora.sources import materialise, open_item
from tests.enterface_replica import STAND_IN, TOP_FOLDER, build_replica, read_layout

PER_EMOTION = {"angry": 216, "disgust": 216, "fear": 216, "happy": 213, "sad": 216, "surprise": 216}


def _key(item):
    """An item without its path, to compare the tree and zip forms."""
    return (item.clip_id, item.label, item.speaker, item.sentence, item.corpus)


@pytest.fixture(scope="module")
def all_clips(enterface_tree):
    return read_enterface(enterface_tree, exclude_subjects=())


def test_every_listed_clip_is_found_and_placed(all_clips, enterface_tree, enterface_layout):
    assert len(all_clips) == ENTERFACE_CLIPS
    found = {Path(item.path).relative_to(enterface_tree).as_posix() for item in all_clips}
    assert found == set(read_layout(enterface_layout))
    for item in all_clips:
        subject_folder, emotion_folder = Path(item.path).relative_to(enterface_tree).parts[:2]
        assert item.speaker == subject_folder.split()[1]
        assert item.label == EMOTION_FOLDERS[emotion_folder]
        assert item.corpus == "enterface05"


def test_counts_per_emotion_and_subject(all_clips):
    assert Counter(item.label for item in all_clips) == PER_EMOTION
    per_subject = Counter(item.speaker for item in all_clips)
    assert len(per_subject) == 44
    assert per_subject["6"] == 6
    assert per_subject["23"] == 27
    assert {count for subject, count in per_subject.items() if subject not in ("6", "23")} == {30}


def test_speaker_comes_from_the_folder_not_the_file_name(all_clips):
    subject_11 = [item for item in all_clips if item.speaker == "11"]
    assert len(subject_11) == 30
    assert all(Path(item.path).name.startswith("s12_") for item in subject_11)
    assert Counter(item.speaker for item in all_clips)["12"] == 30
    subject_3 = [item for item in all_clips if item.speaker == "3"]
    assert len(subject_3) == 30 and all(Path(item.path).name.startswith("s_3_") for item in subject_3)


def test_clip_ids_from_folders(all_clips):
    by_id = {item.clip_id: item for item in all_clips}
    assert len(by_id) == ENTERFACE_CLIPS
    odd = by_id["s16-surprise-3"]
    assert Path(odd.path).name == "s16_su_3avi.avi" and odd.label == "surprise" and odd.sentence == "3"
    assert by_id["s11-anger-3"].path.endswith("subject 11/anger/sentence 3/s12_an_3.avi")
    assert {i.sentence for i in all_clips if i.speaker == "23" and i.label == "happy"} == {"4", "5"}


def test_subject_6_is_unsegmented_and_excluded_by_default(all_clips, enterface_tree):
    subject_6 = [item for item in all_clips if item.speaker == "6"]
    assert len(subject_6) == 6 and all(is_unsegmented(item) for item in subject_6)
    assert not any(is_unsegmented(item) for item in all_clips if item.speaker != "6")
    assert sorted(item.label for item in subject_6) == sorted(PER_EMOTION)
    default = read_enterface(enterface_tree)
    assert UNSEGMENTED_SUBJECTS == ("6",)
    assert len(default) == ENTERFACE_CLIPS - 6 and "6" not in {item.speaker for item in default}
    assert default.skip_counts()["excluded subject 6"] == 6


def test_exclude_subjects_accepts_ints(enterface_tree):
    items = read_enterface(enterface_tree, exclude_subjects=(6, 23))
    assert len(items) == ENTERFACE_CLIPS - 6 - 27


def test_stray_files_and_empty_neutral_are_ignored_and_reported(all_clips, enterface_tree):
    assert (enterface_tree / EMPTY_FOLDER).is_dir()
    assert "neutral" not in {item.label for item in all_clips}
    skipped = {Path(s.path).relative_to(enterface_tree).as_posix(): s.reason for s in all_clips.skipped}
    assert set(skipped) == set(STRAY_FILES)
    assert skipped["subject 2/Thumbs.db"] == "not a .avi file"
    assert skipped["subject 3/.DS_Store"] == "hidden or metadata file"


@pytest.mark.parametrize("where", ["top", "parent", "zip"])
def test_tree_parent_and_zip_give_the_same_items(all_clips, enterface_tree, enterface_zip, where):
    source = {"top": enterface_tree, "parent": enterface_tree.parent, "zip": enterface_zip}[where]
    items = read_enterface(source, exclude_subjects=())
    assert [_key(item) for item in items] == [_key(item) for item in all_clips]


def test_zip_members_use_the_zip_path_convention(enterface_zip, tmp_path):
    item = next(i for i in read_corpus("enterface05", enterface_zip) if i.clip_id == "s11-anger-3")
    assert item.path == f"{enterface_zip}::{TOP_FOLDER}/subject 11/anger/sentence 3/s12_an_3.avi"
    with open_item(item) as handle:
        assert handle.read() == STAND_IN
    real_file = materialise(item, tmp_path)
    assert real_file.name == "s12_an_3.avi" and real_file.read_bytes() == STAND_IN


def test_folder_names_are_read_tolerantly(tmp_path):
    touch(
        tmp_path,
        "Subject 07 /Anger /Sentence 2/odd name.avi",
        "SUBJECT12/happiness/sentence5/s12_ha_5.AVI",
        "subject 8/boredom/sentence 1/s8_bo_1.avi",
        "subject 8/anger/take 1/s8_an_1.avi",
        "subject 8/anger/sentence 1/deeper/s8_an_1.avi",
        "misc/s9_an_1.avi",
    )
    result = read_enterface(tmp_path)
    assert [(i.clip_id, i.speaker, i.label, i.sentence) for i in result] == [
        ("s7-anger-2", "7", "angry", "2"),
        ("s12-happiness-5", "12", "happy", "5"),
    ]
    reasons = sorted(s.reason for s in result.skipped)
    assert reasons == [
        "not a sentence folder: 'take 1'",
        "not an emotion folder: 'boredom'",
        "not at <subject>/<emotion>[/<sentence>]/<file>",
        "not below a 'subject N' folder",
    ]


def test_duplicate_clip_in_one_sentence_folder_is_reported(tmp_path):
    touch(tmp_path, "subject 1/fear/sentence 1/s1_fe_1.avi", "subject 1/fear/sentence 1/s1_fe_1 (copy).avi")
    result = read_enterface(tmp_path)
    # the first in path order is kept (" " sorts before ".")
    assert [Path(item.path).name for item in result] == ["s1_fe_1 (copy).avi"]
    assert [Path(s.path).name for s in result.skipped] == ["s1_fe_1.avi"]
    assert result.skipped[0].reason.startswith("duplicate clip id s1-fear-1")


def test_build_replica_calls_make_clip_per_path(enterface_layout, tmp_path):
    written = []
    top = build_replica(enterface_layout, tmp_path, make_clip=lambda path: (written.append(path), path.touch()))
    assert top == tmp_path / TOP_FOLDER
    assert len(written) == ENTERFACE_CLIPS and all(path.parent.is_dir() for path in written)
    assert len(read_enterface(top, exclude_subjects=())) == ENTERFACE_CLIPS


def test_layout_comments_are_stripped(tmp_path):
    layout = tmp_path / "layout.txt"
    layout.write_text("subject 1/anger/sentence 1/s1_an_1.avi\n\nsubject 6/fear/s6_fe.avi #? unsure name\n")
    assert read_layout(layout) == ["subject 1/anger/sentence 1/s1_an_1.avi", "subject 6/fear/s6_fe.avi"]
    layout.write_text("../outside.avi\n")
    with pytest.raises(ValueError):
        read_layout(layout)
