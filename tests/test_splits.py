"""Paper 80/20 split, subject-independent folds and manifests."""

import random
from collections import Counter

import pytest

from avmodel.corpora import read_corpus
from avmodel.corpora.record import Item
from avmodel.splits import (
    FOLD_COLUMN,
    MANIFEST_COLUMNS,
    SPLIT_COLUMN,
    fold_parts,
    paper_split,
    read_manifest,
    select,
    subject_folds,
    write_manifest,
)
from tests.corpus_fixtures import data_path

EMOTION_FOLDERS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")
LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise")


def enterface_like(subjects=44, sentences=5):
    """Items shaped like eNTERFACE'05: subject x emotion x sentence."""
    return [
        Item(path=f"/e/subject {s}/{folder}/sentence {m}/s{s}.avi", label=label, speaker=str(s),
             clip_id=f"s{s}-{folder}-{m}", corpus="enterface05", sentence=str(m))  # fmt: skip
        for s in range(1, subjects + 1)
        for folder, label in zip(EMOTION_FOLDERS, LABELS)
        for m in range(1, sentences + 1)
    ]


def test_paper_split_is_stratified():
    items = enterface_like()  # 220 clips per label
    split = paper_split(items)
    assert set(split) == {item.clip_id for item in items}
    test = select(items, split, "test")
    assert len(test) == round(0.2 * len(items))
    for label, count in Counter(item.label for item in test).items():
        assert abs(count - 0.2 * 220) <= 1, label


def test_paper_split_proportions_on_unbalanced_labels():
    items = [Item(f"/x/{n}", LABELS[n % 3] if n < 900 else "fear", "", f"c{n}", "x") for n in range(1000)]
    test = select(items, paper_split(items, test_fraction=0.25), "test")
    counts = Counter(item.label for item in test)
    assert counts == {"angry": 75, "disgust": 75, "fear": 100}  # 25 % of 300, 300 and 400


def test_paper_split_is_deterministic_and_order_free(tmp_path):
    items = enterface_like()
    shuffled = random.Random(0).sample(items, len(items))
    first = write_manifest(items, paper_split(items), tmp_path / "a.csv")
    second = write_manifest(shuffled, paper_split(shuffled), tmp_path / "b.csv")
    assert first.read_bytes() == second.read_bytes()
    other = write_manifest(items, paper_split(items, seed=7), tmp_path / "c.csv")
    assert other.read_bytes() != first.read_bytes()


def test_subject_folds_never_leak_a_speaker():
    items = enterface_like()
    folds = subject_folds(items)
    assert sorted(Counter(folds.values())) == [0, 1, 2, 3, 4]
    fold_of_speaker = {}
    for fold in range(5):
        train, test = fold_parts(items, folds, fold)
        assert len(train) + len(test) == len(items)
        assert not {i.speaker for i in train} & {i.speaker for i in test}
        for speaker in {i.speaker for i in test}:
            assert speaker not in fold_of_speaker  # each subject in exactly one test fold
            fold_of_speaker[speaker] = fold
    assert len(fold_of_speaker) == 44
    assert 8 <= min(Counter(fold_of_speaker.values()).values())  # 44 subjects over 5 folds: 8 or 9 each


def test_subject_folds_deterministic_and_seeded():
    items = enterface_like()
    assert subject_folds(items) == subject_folds(list(reversed(items)))
    assert subject_folds(items) != subject_folds(items, seed=99)


def test_leave_one_speaker_out():
    items = enterface_like(subjects=6)
    folds = subject_folds(items, k=None)
    assert len(set(folds.values())) == 6
    assert all(len({i.speaker for i in fold_parts(items, folds, f)[1]}) == 1 for f in range(6))


def test_same_speaker_id_in_two_corpora_is_two_speakers():
    a = [Item(f"/a/{n}", LABELS[n % 2], "01", f"a{n}", "emodb") for n in range(10)]
    b = [Item(f"/b/{n}", LABELS[n % 2], "01", f"b{n}", "ravdess") for n in range(10)]
    folds = subject_folds(a + b, k=2)
    assert {folds[i.clip_id] for i in a} != {folds[i.clip_id] for i in b}


@pytest.mark.parametrize(
    "items, k, message",
    [
        ([Item(f"/x/{n}", "sad", "", f"c{n}", "fer2013") for n in range(10)], 5, "no speaker"),
        (enterface_like(subjects=3), 5, "number of speakers"),
        (enterface_like(subjects=3) * 2, 2, "unique"),
    ],
)
def test_subject_folds_refuse_bad_input(items, k, message):
    with pytest.raises(ValueError, match=message):
        subject_folds(items, k=k)


def test_manifest_round_trip(tmp_path):
    items = enterface_like(subjects=5)
    split = paper_split(items)
    path = write_manifest(items, split, tmp_path / "sub" / "paper.csv")
    header = path.read_text().splitlines()[0]
    assert header == ",".join((*MANIFEST_COLUMNS, SPLIT_COLUMN))
    read_items, read_split = read_manifest(path)
    assert read_split == split
    assert read_items == [Item(**{**vars(i), "split": split[i.clip_id]}) for i in items]
    folds = subject_folds(items)
    path = write_manifest(items, folds, tmp_path / "folds.csv")
    assert path.read_text().splitlines()[0].endswith("," + FOLD_COLUMN)
    read_items, read_folds = read_manifest(path)
    assert read_folds == folds and all(isinstance(v, int) for v in read_folds.values())
    assert read_items == items


def test_manifest_rejects_mismatched_assignments(tmp_path):
    items = enterface_like(subjects=2)
    split = paper_split(items)
    with pytest.raises(ValueError, match="exactly"):
        write_manifest(items[1:], split, tmp_path / "m.csv")
    with pytest.raises(ValueError, match="all str"):
        write_manifest(items, {**split, items[0].clip_id: 3}, tmp_path / "m.csv")
    (tmp_path / "bad.csv").write_text("clip_id,label\n")
    with pytest.raises(ValueError, match="columns"):
        read_manifest(tmp_path / "bad.csv")


def test_real_emodb_folds():
    items = read_corpus("emodb", data_path("emodb", "wav"))
    folds = subject_folds(items)
    for fold in range(5):
        train, test = fold_parts(items, folds, fold)
        assert len({i.speaker for i in test}) == 2  # 10 speakers over 5 folds
        assert not {i.speaker for i in train} & {i.speaker for i in test}


def test_held_out_speakers_are_on_one_side_only():
    from avmodel.splits import HELD_OUT

    for corpus, (val, test) in HELD_OUT.items():
        assert not set(val) & set(test), corpus
    assert "1001" in HELD_OUT["cremad"][1]  # the actor of the six audio-visual clips is never trained on


def test_speaker_split_manifest_round_trips_and_keeps_each_speaker_on_one_side(tmp_path):
    from avmodel.corpora.record import Item
    from avmodel.splits import read_manifest, speaker_split, write_manifest

    items = [Item(path=f"{s}_{k}.wav", label="sad", speaker=s, clip_id=f"{s}_{k}", corpus="cremad")
             for s in ("1001", "1024", "1002", "1003") for k in range(3)]  # fmt: skip
    sides = speaker_split(items)
    assert {sides[f"1001_{k}"] for k in range(3)} == {"test"} and sides["1024_0"] == "val"
    assert sides["1002_0"] == sides["1003_2"] == "train"
    write_manifest(items, sides, tmp_path / "speakers.csv")
    assert read_manifest(tmp_path / "speakers.csv")[1] == sides
    by_speaker = {}
    for item in items:
        by_speaker.setdefault(item.speaker, set()).add(sides[item.clip_id])
    assert all(len(seen) == 1 for seen in by_speaker.values())


def test_speaker_split_refuses_a_corpus_without_chosen_speakers():
    from avmodel.corpora.record import Item
    from avmodel.splits import speaker_split

    with pytest.raises(ValueError, match="no held-out speakers chosen"):
        speaker_split([Item(path="a.avi", label="sad", speaker="1", clip_id="a", corpus="enterface05")])
