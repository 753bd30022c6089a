"""Prepared folders -> training arrays, split by each task's protocol.

visual  FER2013: its own split, train -> "train", publictest -> "val" and "test"
        (the FER2013 convention of validating on PublicTest; PrivateTest is withheld).
audio   emoDB + RAVDESS windows; speakers in HELD_OUT are never trained on:
        early stopping watches the validation speakers, figures are measured on
        the test speakers, clip-level by averaging a clip's window probabilities.
fusion  label-matched pairs: each audio window paired with faces of the same
        emotion drawn from another corpus (no real audio-visual clips here);
        validation/test pairs use held-out speakers and PublicTest faces only.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avmodel.constants import EMOTIONS, NUM_CLASSES
from avmodel.prepare import OK, load_arrays, read_clips

HELD_OUT = {  # corpus -> (validation speakers, test speakers): never seen in training
    "emodb": (("09", "10"), ("03", "08")),  # 09 f, 10 m | 03 m, 08 f
    "ravdess": (("17", "18"), ("19", "20")),  # odd actors male, even female
}
FER_SPLITS = {"train": "train", "publictest": "test"}  # corpus split -> our split


@dataclass
class Split:
    """Model inputs of one split.

    x:     (n, WINDOW_SAMPLES) float32 windows, (n, FACE_SIZE, FACE_SIZE, 1) uint8 faces,
           or {"audio": ..., "face": ...} for pairs
    y:     (n,) int label indices into EMOTIONS
    clip:  (n,) int clip ids, for clip-level averaging (unique across folders)
    """

    x: object
    y: np.ndarray
    clip: np.ndarray

    @property
    def onehot(self):
        return np.eye(NUM_CLASSES, dtype=np.float32)[self.y]

    def __len__(self):
        return len(self.y)


def speaker_split(corpus, speaker):
    val, test = HELD_OUT.get(corpus, ((), ()))
    return "val" if speaker in val else "test" if speaker in test else "train"


def _folder_table(folder, offset):
    """Per clip of a prepared folder: label index, our split, global clip id."""
    rows = read_clips(folder)
    usable = np.array([r["status"] == OK for r in rows])
    labels = np.array([EMOTIONS.index(r["label"]) for r in rows])
    splits = np.array([FER_SPLITS.get(r["split"], "") if r["split"] else speaker_split(r["corpus"], r["speaker"])
                       for r in rows])  # fmt: skip
    return usable, labels, splits, np.arange(len(rows)) + offset


def audio_splits(folders):
    """{"train"|"val"|"test": Split of audio windows} over the prepared folders."""
    parts = {name: ([], [], []) for name in ("train", "val", "test")}
    offset = 0
    for folder in folders:
        usable, labels, splits, clip_ids = _folder_table(folder, offset)
        arrays = load_arrays(folder)
        owner = np.asarray(arrays["window_clip"])
        keep = usable[owner]
        for name, (xs, ys, cs) in parts.items():
            mask = keep & (splits[owner] == name)
            xs.append(np.asarray(arrays["windows"][mask], np.float32))
            ys.append(labels[owner[mask]])
            cs.append(clip_ids[owner[mask]])
        offset += len(usable)
    return {name: Split(np.concatenate(xs), np.concatenate(ys), np.concatenate(cs))
            for name, (xs, ys, cs) in parts.items()}  # fmt: skip


def visual_splits(folders):
    """{"train"|"val"|"test": Split of faces (n, side, side, 1) uint8}; val is the test side."""
    parts = {"train": ([], [], []), "test": ([], [], [])}
    offset = 0
    for folder in folders:
        usable, labels, splits, clip_ids = _folder_table(folder, offset)
        arrays = load_arrays(folder)
        owner = np.asarray(arrays["face_clip"])
        for name, (xs, ys, cs) in parts.items():
            mask = usable[owner] & (splits[owner] == name)
            xs.append(np.asarray(arrays["faces"][mask])[..., None])
            ys.append(labels[owner[mask]])
            cs.append(clip_ids[owner[mask]])
        offset += len(usable)
    result = {name: Split(np.concatenate(xs), np.concatenate(ys), np.concatenate(cs))
              for name, (xs, ys, cs) in parts.items()}  # fmt: skip
    result["val"] = result["test"]
    return result


def pair_splits(audio_folders, face_folders, pairs_per_window, seed):
    """Label-matched pairs {"train"|"val"|"test": Split with x={"audio", "face"}}.

    Train: training-speaker windows x training faces. Val and test: the held-out
    speakers' windows x the two halves of the FER2013 PublicTest faces.
    Only emotions present on both sides are paired.
    """
    rng = np.random.default_rng(seed)
    voices, faces = audio_splits(audio_folders), visual_splits(face_folders)
    test_half = rng.permutation(len(faces["test"])) % 2
    face_sides = {"train": faces["train"], "val": _subset(faces["test"], test_half == 0),
                  "test": _subset(faces["test"], test_half == 1)}  # fmt: skip
    repeats = {"train": pairs_per_window, "val": 1, "test": 1}
    return {name: _pairs(voices[name], face_sides[name], repeats[name], rng) for name in repeats}


def _subset(split, mask):
    return Split(split.x[mask], split.y[mask], split.clip[mask])


def _pairs(voices, faces, repeats, rng):
    by_label = {label: np.flatnonzero(faces.y == label) for label in np.unique(faces.y)}
    windows = np.flatnonzero(np.isin(voices.y, list(by_label)))
    windows = np.repeat(windows, repeats)
    chosen = np.array([rng.choice(by_label[voices.y[i]]) for i in windows], dtype=int)
    x = {"audio": voices.x[windows], "face": faces.x[chosen]}
    return Split(x, voices.y[windows], voices.clip[windows])


def describe(splits):
    """{split: {"samples": n, "per_label": {label: n}}} for the run log."""
    return {name: {"samples": len(split), "per_label": {EMOTIONS[k]: int((split.y == k).sum())
                                                         for k in np.unique(split.y)}}
            for name, split in splits.items()}  # fmt: skip


def folder_names(folders):
    return [Path(f).name for f in folders]
