"""FER2013 reader and image loader: the real zip, plus tiny csv and folder fixtures."""

import csv
import io
import zipfile
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from avmodel.constants import EMOTIONS
from avmodel.corpora import read_corpus
from avmodel.corpora.fer2013 import CSV_LABELS, IMAGE_SIZE, load_fer2013_images, read_fer2013
from tests.corpus_fixtures import data_path, touch

TRAIN_PER_CLASS = {"angry": 3995, "disgust": 436, "fear": 4097, "happy": 7215, "neutral": 4965, "sad": 4830, "surprise": 3171}
TEST_PER_CLASS = {"angry": 467, "disgust": 56, "fear": 496, "happy": 895, "neutral": 607, "sad": 653, "surprise": 415}


@pytest.fixture(scope="module")
def fer_zip():
    return data_path("fer2013", "fer2013.zip")


@pytest.fixture(scope="module")
def fer_decoded(fer_zip):
    """(images, labels, items) of the whole real zip: one decode pass, about 3 s."""
    return load_fer2013_images(fer_zip)


def test_real_zip_counts_per_split_and_class(fer_decoded):
    _, _, items = fer_decoded
    assert Counter(item.split for item in items) == {"train": 28709, "publictest": 3589}
    assert Counter(i.label for i in items if i.split == "train") == TRAIN_PER_CLASS
    assert Counter(i.label for i in items if i.split == "publictest") == TEST_PER_CLASS
    assert items.skipped == [] and all(item.speaker == "" for item in items)


def test_real_zip_decodes_to_aligned_arrays(fer_decoded, fer_zip):
    images, labels, items = fer_decoded
    assert images.shape == (32298, IMAGE_SIZE, IMAGE_SIZE) and images.dtype == np.uint8
    assert labels.shape == (32298,) and labels.dtype == np.int64
    assert [EMOTIONS[k] for k in labels[::997]] == [item.label for item in items[::997]]
    sample = images[::50].astype(np.float32)
    assert 100 < sample.mean() < 160 and sample.std() > 40  # real faces, not blank arrays
    with zipfile.ZipFile(fer_zip) as archive:
        for index in (0, 12345, len(items) - 1):
            member = items[index].path.split("::")[1]
            assert member.split("/")[1] == items[index].label  # class folder
            with Image.open(io.BytesIO(archive.read(member))) as image:
                np.testing.assert_array_equal(images[index], np.asarray(image.convert("L")))


def test_real_zip_split_filter(fer_zip):
    images, labels, items = load_fer2013_images(fer_zip, split="publictest")
    assert len(images) == len(labels) == len(items) == 3589
    assert {item.split for item in items} == {"publictest"}
    with pytest.raises(ValueError):
        load_fer2013_images(fer_zip, split="validation")


def _write_csv(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["emotion", "pixels", "Usage"])
        writer.writerows(rows)
    return path


def _pixels(value):
    return " ".join([str(value)] * IMAGE_SIZE * IMAGE_SIZE)


def test_csv_labels_are_mapped_explicitly():
    # the csv's order (..., 4 Sad, 5 Surprise, 6 Neutral) is not EMOTIONS' order
    assert CSV_LABELS[4] == "sad" and CSV_LABELS[6] == "neutral" and EMOTIONS[4] == "neutral"
    assert sorted(CSV_LABELS.values()) == sorted(EMOTIONS)


def test_csv_form(tmp_path):
    rows = [
        (6, _pixels(10), "Training"),
        (4, _pixels(20), "PublicTest"),
        (0, _pixels(30), "PrivateTest"),
        (9, _pixels(40), "Training"),  # unknown emotion
        (3, "1 2 3", "Training"),  # wrong pixel count
        (5, _pixels(50), "Validation"),  # unknown usage
    ]
    path = _write_csv(tmp_path / "fer2013.csv", rows)
    items = read_corpus("fer2013", path)
    assert [(i.clip_id, i.label, i.split) for i in items] == [
        ("row0", "neutral", "train"),
        ("row1", "sad", "publictest"),
        ("row2", "angry", "privatetest"),
    ]
    assert items[1].path == f"{path}::row1"
    assert len(items.skipped) == 3 and items.skipped[0].path == f"{path}::row3"
    images, labels, loaded = load_fer2013_images(path)
    assert images.shape == (3, IMAGE_SIZE, IMAGE_SIZE) and images.dtype == np.uint8
    assert images[:, 0, 0].tolist() == [10, 20, 30]
    assert [EMOTIONS[k] for k in labels] == ["neutral", "sad", "angry"]
    private, _, _ = load_fer2013_images(path, split="privatetest")
    assert private.shape == (1, IMAGE_SIZE, IMAGE_SIZE) and private[0, 5, 5] == 30


def _jpeg(path, value, size=(IMAGE_SIZE, IMAGE_SIZE), mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value,) * 3).save(path)


@pytest.mark.parametrize("zipped", [False, True])
def test_folder_form_tiny(tmp_path, zipped):
    root = tmp_path / "fer"
    _jpeg(root / "train" / "happy" / "Training_1.jpg", 200)
    _jpeg(root / "train" / "Sad" / "Training_2.jpg", 50, size=(96, 96), mode="RGB")  # resized, grayed
    _jpeg(root / "test" / "fear" / "PublicTest_3.jpg", 120)
    touch(root, "train/happy/Thumbs.db", "val/happy/x.jpg", "train/contempt/y.jpg")
    touch(root, "test/angry/PublicTest_4.jpg", content=b"not a jpeg")
    source = root
    if zipped:
        source = tmp_path / "fer.zip"
        with zipfile.ZipFile(source, "w") as archive:
            for path in sorted(root.rglob("*")):
                archive.write(path, path.relative_to(root).as_posix())
    items = read_fer2013(source)
    assert [(i.clip_id, i.label, i.split) for i in items] == [
        ("test/angry/PublicTest_4", "angry", "publictest"),
        ("test/fear/PublicTest_3", "fear", "publictest"),
        ("train/Sad/Training_2", "sad", "train"),  # "S" sorts before "h"
        ("train/happy/Training_1", "happy", "train"),
    ]
    assert len(items.skipped) == 3
    images, labels, loaded = load_fer2013_images(source)
    assert [i.clip_id for i in loaded] == [i.clip_id for i in items][1:]  # the broken jpeg is left out
    assert loaded.skipped[-1].reason.startswith("image does not decode")
    assert images.shape == (3, IMAGE_SIZE, IMAGE_SIZE)
    assert np.abs(images[:, 10, 10].astype(int) - [120, 50, 200]).max() <= 2  # jpeg rounding
