"""FER2013 faces (Goodfellow et al. 2013): 48x48 grayscale images, 7 labels.

Two forms of the release are read:

- the original ``fer2013.csv`` (columns emotion, pixels, Usage): one Item per
  row, Item.path = "<csv>::row<N>" (N counts data rows from 0, header
  excluded), clip_id "row<N>", split from Usage (``CSV_SPLITS``). Rows whose
  emotion, Usage or pixel count does not parse are skipped and reported.
- the image-folder form ``train/<class>/*.jpg`` and ``test/<class>/*.jpg``,
  as a folder or a zip (Item.path "<zip>::<member>" or the file path),
  clip_id "<split folder>/<class folder>/<stem>"; "test" is the PublicTest
  set (``FOLDER_SPLITS``). Other folders, non-image and hidden files are
  skipped and reported.

FER2013 has no speakers: Item.speaker is "". ``load_fer2013_images`` decodes
the pixels of either form into one uint8 array.
"""

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from avmodel.constants import EMOTIONS
from avmodel.corpora.record import Item
from avmodel.corpora.result import read_listed, require_suffix, ReadResult, SkipFile, Skipped, finish
from avmodel.corpora.sources import split_member

CORPUS = "fer2013"
IMAGE_SIZE = 48  # px: every FER2013 image is 48x48 grayscale
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE  # 2304 numbers in a csv 'pixels' cell
ROW_MARK = "row"  # Item.path of a csv row: "<csv>::row<N>"

# fer2013.csv 'emotion' integer -> our label (the csv order is not EMOTIONS' order)
CSV_LABELS = {0: "angry", 1: "disgust", 2: "fear", 3: "happy", 4: "sad", 5: "surprise", 6: "neutral"}
# image-folder class folder -> our label
FOLDER_LABELS = {
    "angry": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happy",
    "neutral": "neutral",
    "sad": "sad",
    "surprise": "surprise",
}
# fer2013.csv 'Usage' -> Item.split
CSV_SPLITS = {"Training": "train", "PublicTest": "publictest", "PrivateTest": "privatetest"}
# image-folder split folder -> Item.split (the folder form's "test" is PublicTest)
FOLDER_SPLITS = {"train": "train", "test": "publictest"}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def read_fer2013(source):
    """Items of ``fer2013.csv``, or of the image-folder form (folder or zip).

    Returns a ReadResult (a sorted list of Items, plus ``.skipped``).
    """
    if Path(source).suffix.lower() == ".csv":
        return _read_csv(source)
    return _read_folders(source)


def _read_csv(csv_path):
    items, skipped = [], []
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row_number, row in enumerate(csv.DictReader(handle)):
            path = f"{csv_path}::{ROW_MARK}{row_number}"
            try:
                items.append(_csv_item(row, row_number, path))
            except SkipFile as why:
                skipped.append(Skipped(path, str(why)))
    return finish(CORPUS, items, skipped)


def _csv_item(row, row_number, path):
    emotion = (row.get("emotion") or "").strip()
    if not emotion.isdigit() or int(emotion) not in CSV_LABELS:
        raise SkipFile(f"emotion not one of {sorted(CSV_LABELS)}: {emotion!r}")
    pixels = (row.get("pixels") or "").split()
    if len(pixels) != IMAGE_PIXELS:
        raise SkipFile(f"{len(pixels)} pixel values, expected {IMAGE_PIXELS}")
    usage = (row.get("Usage") or "").strip()
    if usage and usage not in CSV_SPLITS:
        raise SkipFile(f"Usage not one of {sorted(CSV_SPLITS)}: {usage!r}")
    return Item(
        path=path,
        label=CSV_LABELS[int(emotion)],
        speaker="",
        clip_id=f"{ROW_MARK}{row_number}",
        corpus=CORPUS,
        split=CSV_SPLITS.get(usage, ""),
    )


def _read_folders(source):
    return read_listed(CORPUS, source, _image_item)


def _image_item(file):
    require_suffix(file, IMAGE_SUFFIXES, f"not an image ({', '.join(IMAGE_SUFFIXES)})")
    parts = file.relpath.parts
    if len(parts) < 3:
        raise SkipFile("not at <split>/<class>/<image>")
    split_folder, class_folder = parts[-3].strip().lower(), parts[-2].strip().lower()
    if split_folder not in FOLDER_SPLITS:
        raise SkipFile(f"not a split folder {sorted(FOLDER_SPLITS)}: {parts[-3]!r}")
    if class_folder not in FOLDER_LABELS:
        raise SkipFile(f"not a class folder: {parts[-2]!r}")
    return Item(
        path=file.path,
        label=FOLDER_LABELS[class_folder],
        speaker="",
        clip_id=f"{parts[-3]}/{parts[-2]}/{file.relpath.stem}",
        corpus=CORPUS,
        split=FOLDER_SPLITS[split_folder],
    )


def load_fer2013_images(source, split=None):
    """Decode FER2013 (csv or image-folder form) into arrays, in one pass.

    split: keep only this Item.split ("train", "publictest", "privatetest"); None keeps all
    Returns (images, labels, items):
        images: uint8 array, shape = (n, 48, 48)
        labels: int64 array, shape = (n,), indices into EMOTIONS
        items:  ReadResult of the n Items, in array order; images that fail to
                decode are left out and listed in ``items.skipped``
    """
    known = set(CSV_SPLITS.values()) | set(FOLDER_SPLITS.values())
    if split is not None and split not in known:
        raise ValueError(f"split {split!r} is not one of {sorted(known)}")
    found = read_fer2013(source)
    wanted = [item for item in found if split is None or item.split == split]
    decode = _csv_pixels if Path(source).suffix.lower() == ".csv" else _image_pixels
    pixels, failed = decode(source, wanted)
    kept = [item for item in wanted if item.path in pixels]
    images = np.zeros((len(kept), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)  # (n, height, width)
    for index, item in enumerate(kept):
        images[index] = pixels[item.path]
    labels = np.array([EMOTIONS.index(item.label) for item in kept], dtype=np.int64)  # (n,)
    return images, labels, ReadResult(kept, found.skipped + failed)


def _csv_pixels(csv_path, items):
    """{item.path: (48, 48) uint8 array} for the wanted csv rows, plus Skipped."""
    wanted = {item.path for item in items}
    pixels, failed = {}, []
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row_number, row in enumerate(csv.DictReader(handle)):
            path = f"{csv_path}::{ROW_MARK}{row_number}"
            if path not in wanted:
                continue
            try:
                values = np.array(row["pixels"].split(), dtype=np.int64)
            except ValueError:
                failed.append(Skipped(path, "pixel values are not integers"))
                continue
            if values.min() < 0 or values.max() > 255:
                failed.append(Skipped(path, "pixel values outside 0..255"))
                continue
            pixels[path] = values.astype(np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)
    return pixels, failed


def _image_pixels(source, items):
    """{item.path: (48, 48) uint8 array} for image files or zip members, plus
    Skipped for those that do not decode. A zip is opened once.
    """
    if Path(source).is_dir() or not zipfile.is_zipfile(source):
        return _decode_all(items, lambda path: Path(path).read_bytes())
    with zipfile.ZipFile(source) as archive:
        return _decode_all(items, lambda path: archive.read(split_member(path)[1]))


def _decode_all(items, read_bytes):
    pixels, failed = {}, []
    for item in items:
        try:
            pixels[item.path] = _decode(read_bytes(item.path))
        except Exception as error:  # PIL raises many types for a broken image
            failed.append(Skipped(item.path, f"image does not decode ({type(error).__name__})"))
    return pixels, failed


def _decode(data):
    """Image file bytes -> (48, 48) uint8 grayscale; other sizes are resized."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        gray = image if image.mode == "L" else image.convert("L")
    if gray.size != (IMAGE_SIZE, IMAGE_SIZE):
        gray = gray.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
    return np.asarray(gray, dtype=np.uint8)
