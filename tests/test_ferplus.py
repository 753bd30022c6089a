"""FER+ crowd votes as soft training targets: the reader's label map, the join to a prepared
FER2013 folder by clip_id, the target mix, a visual run that trains on them, and the real votes file."""

import csv
import json

import numpy as np
import pytest

from avmodel.constants import EMOTIONS
from avmodel.corpora.fer2013 import read_fer2013
from avmodel.corpora.ferplus import FERPLUS_LABELS, read_ferplus_votes
from avmodel.prepare import prepare
from avmodel.training import data, run
from avmodel.training.config import TrainConfig
from tests.conftest import data_path
from tests.test_prepare_reuse import make_faces

COLUMNS = ["kaggle_path", "kaggle_class", "neutral", "happiness", "surprise", "sadness", "anger", "disgust",
           "fear", "contempt", "unknown", "NF"]  # fmt: skip
# clip_id -> votes in COLUMNS[2:] order (the file's own order, not EMOTIONS')
VOTES = {
    "train/happy/a": (2, 8, 0, 0, 0, 0, 0, 0, 0, 0),  # 8 happiness, 2 neutral
    "train/sad/b": (0, 0, 0, 5, 0, 0, 0, 3, 2, 0),  # contempt and unknown votes are dropped
    "train/angry/c": (0, 0, 0, 0, 0, 0, 0, 6, 2, 2),  # no vote for one of our emotions: left out
    "test/happy/d": (0, 10, 0, 0, 0, 0, 0, 0, 0, 0),
}
# "test/fear/e" has an empty row: the join found no FER+ image


def write_votes(path, votes=VOTES):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for clip_id, counts in votes.items():
            writer.writerow([f"{clip_id}.png", clip_id.split("/")[1], *counts])
        writer.writerow(["test/fear/e.png", "fear", *[""] * 10])
    return path


def onehot(label):
    return np.eye(len(EMOTIONS), dtype=np.float32)[EMOTIONS.index(label)]


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    """(prepared FER2013-style folder, votes csv) of five one-grey faces."""
    root = tmp_path_factory.mktemp("ferplus")
    out = root / "prepared"
    prepare("fer2013", make_faces(root / "faces"), out, workers=1)
    return out, write_votes(root / "votes.csv")


def test_votes_are_mapped_to_our_labels_and_rows_without_emotion_votes_left_out(faces):
    votes = read_ferplus_votes(faces[1])
    assert set(votes) == {"train/happy/a", "train/sad/b", "test/happy/d"}
    np.testing.assert_array_equal(votes["train/happy/a"], 8 * onehot("happy") + 2 * onehot("neutral"))
    np.testing.assert_array_equal(votes["train/sad/b"], 5 * onehot("sad"))
    assert set(FERPLUS_LABELS.values()) == set(EMOTIONS)


def test_a_file_without_vote_columns_is_refused(tmp_path):
    (tmp_path / "other.csv").write_text("path,label\na.png,happy\n")
    with pytest.raises(ValueError, match="not a FER\\+ votes file"):
        read_ferplus_votes(tmp_path / "other.csv")


def test_soft_targets_mix_the_label_with_the_votes_by_clip_id(faces):
    folder, votes_csv = faces
    train = data.visual_splits([folder])["train"]
    soft, voted = data.with_soft_targets(train, [folder], read_ferplus_votes(votes_csv), weight=0.4)
    assert voted == 2  # a and b; c has no emotion votes
    targets = dict(zip(data.clip_names([folder])[soft.clip], soft.targets))
    np.testing.assert_allclose(targets["train/happy/a"], 0.6 * onehot("happy") + 0.4 * (0.8 * onehot("happy") + 0.2 * onehot("neutral")))
    np.testing.assert_allclose(targets["train/sad/b"], onehot("sad"))  # all five kept votes agree
    np.testing.assert_array_equal(targets["train/angry/c"], onehot("angry"))
    np.testing.assert_allclose(soft.targets.sum(axis=1), 1, atol=1e-6)
    assert (soft.targets.argmax(axis=1) == soft.y).all()  # weight < 0.5: the given label stays first
    assert train.soft is None and np.array_equal(train.targets, train.onehot)


def test_a_visual_run_trains_on_soft_targets_and_validates_on_the_labels(faces, tmp_path):
    folder, votes_csv = faces
    config = TrainConfig(task="visual", data=(str(folder),), out=str(tmp_path), preset="compact", epochs=1,
                         batch_size=2, learning_rate=0.001, augment=False, soft_labels=str(votes_csv))  # fmt: skip
    run.train(config)
    described = json.loads((tmp_path / "data.json").read_text())
    assert described["train"]["soft_targets"] == 1  # a; b's votes all agree with its label
    assert "soft_targets" not in described["val"]
    assert json.loads((tmp_path / "config.json").read_text())["soft_labels"] == str(votes_csv)
    with pytest.raises(ValueError, match="for the visual task"):
        TrainConfig(task="audio", data=("x",), out="y", soft_labels=str(votes_csv))
    with pytest.raises(ValueError, match="soft_label_weight"):
        TrainConfig(task="visual", data=("x",), out="y", soft_label_weight=0)


def test_the_real_votes_join_the_real_fer2013_zip():
    votes = read_ferplus_votes(data_path("ferplus", "fer2013_ferplus_votes.csv"))
    clip_ids = {item.clip_id for item in read_fer2013(data_path("fer2013", "fer2013.zip"))}
    assert len(votes) == 32135 and set(votes) <= clip_ids  # 163 rows: no match or no emotion vote
    totals = np.stack(list(votes.values())).sum(axis=1)
    assert totals.min() >= 1 and totals.max() <= 10
