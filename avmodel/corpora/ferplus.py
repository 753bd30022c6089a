"""FER+ crowd votes (Barsoum et al. 2016) for the FER2013 images: soft labels.

``ferplus/fer2013_ferplus_votes.csv`` has one row per FER2013 zip entry: its
``kaggle_path`` ("train/angry/Training_10118481.jpg") and 10 crowd votes over
neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown
and NF (not a face). Rows the join to the zip could not match have empty vote
cells. The seven emotions we share are mapped explicitly (``FERPLUS_LABELS``);
contempt, unknown and NF are not among our labels and their votes are dropped.

``read_ferplus_votes`` keys each row by the clip_id the FER2013 reader gives the
same image (the zip path without its suffix), so votes join a prepared folder's
clips.csv by name.
"""

import csv
from pathlib import PurePosixPath

import numpy as np

from avmodel.constants import EMOTIONS

# FER+ vote column -> our label; the other vote columns (contempt, unknown, NF) are dropped
FERPLUS_LABELS = {
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happiness": "happy",
    "neutral": "neutral",
    "sadness": "sad",
    "surprise": "surprise",
}
PATH_COLUMN = "kaggle_path"


def read_ferplus_votes(csv_path):
    """{FER2013 clip_id: (7,) float32 vote counts in EMOTIONS order} for every row with at least
    one vote for one of our seven emotions (rows without votes, or with only contempt, unknown
    or NF votes, are left out)."""
    votes = {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {PATH_COLUMN, *FERPLUS_LABELS} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{csv_path}: not a FER+ votes file, it has no column {sorted(missing)}")
        for row in reader:
            counts = _emotion_votes(row)
            if counts is not None:
                votes[str(PurePosixPath(row[PATH_COLUMN]).with_suffix(""))] = counts
    return votes


def _emotion_votes(row):
    """(7,) float32 votes of one row in EMOTIONS order, or None without any."""
    cells = {ours: (row[column] or "").strip() for column, ours in FERPLUS_LABELS.items()}
    if not all(cell.isdigit() for cell in cells.values()):
        return None
    counts = np.array([int(cells[label]) for label in EMOTIONS], np.float32)
    return counts if counts.sum() > 0 else None
