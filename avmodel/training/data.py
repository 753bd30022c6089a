"""Prepared folders -> training arrays, split by the manifests ``avmodel prepare`` wrote.

visual  FER2013: its own split (splits/corpus_split.csv), train -> "train",
        publictest -> "val" and "test" (the FER2013 convention of validating on
        PublicTest; PrivateTest is withheld). ``with_soft_targets`` mixes the FER+
        crowd votes into the training targets (``TrainConfig.soft_labels``).
audio   speech corpora (emoDB, RAVDESS, CREMA-D, TESS, SAVEE) windows, split by
        splits/speakers.csv (``avmodel.splits.HELD_OUT``): held-out speakers are
        never trained on; early stopping watches the validation speakers, figures
        are measured on the test speakers, clip-level by averaging a clip's
        window probabilities. ``repeats`` repeats a corpus's training windows.
fusion  label-matched pairs: each audio window paired with faces of the same
        emotion drawn from another corpus (no real audio-visual clips here);
        validation/test pairs use held-out speakers and PublicTest faces only.
        Without face folders: each clip's own windows and faces, paired by time
        as ``avmodel.predict`` pairs them (audio-visual corpora such as eNTERFACE'05).

Any other manifest of the folders can be named instead (``TrainConfig.split_manifest``):
paper_80_20.csv (train / test), subject_folds.csv with a ``fold`` (that fold test, the
rest train) or speakers.csv; a manifest's "val" rows are the validation side, and
without any there is none (training then runs its fixed number of epochs).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avmodel.constants import EMOTIONS, NUM_CLASSES, WINDOW_SECONDS
from avmodel.prepare import CORPUS_MANIFEST, OK, SPEAKER_MANIFEST, load_arrays, read_clips
from avmodel.splits import read_manifest

SIDES = {"train": "train", "val": "val", "test": "test", "publictest": "test"}  # manifest value -> our side
# (FER2013's own split: PublicTest is its test side; PrivateTest and unknown values are on no side)


@dataclass
class Samples:
    """Model inputs of one split.

    x:     (n, WINDOW_SAMPLES) float32 windows, (n, FACE_SIZE, FACE_SIZE, 1) uint8 faces,
           or {"audio": ..., "face": ...} for pairs
    y:     (n,) int label indices into EMOTIONS
    clip:  (n,) int clip ids, for clip-level averaging (unique across folders)
    soft:  (n, classes) float32 training targets instead of the one-hot labels, or None
    """

    x: object
    y: np.ndarray
    clip: np.ndarray
    soft: np.ndarray | None = None

    @property
    def onehot(self):
        return np.eye(NUM_CLASSES, dtype=np.float32)[self.y]

    @property
    def targets(self):
        """(n, classes) float32: what training fits, the soft targets where given, else the one-hot labels."""
        return self.onehot if self.soft is None else self.soft

    def __len__(self):
        return len(self.y)


def manifest_sides(folder, manifest="", fold=-1):
    """{clip_id: "train" | "val" | "test" | ""} from a split manifest of a prepared folder ("": no side).

    manifest: a splits/*.csv, relative to ``folder`` or absolute; "" = the default,
              splits/speakers.csv, else splits/corpus_split.csv.
    fold:     with a subject_folds manifest: that fold is "test", every other "train".
    Raises FileNotFoundError when the manifest is missing (the default one: the folder
    was prepared by an older avmodel, run `avmodel prepare` again) and ValueError
    when ``fold`` does not fit the manifest.
    """
    path = Path(folder) / manifest if manifest else _default_manifest(folder)
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no split manifest {path}")
    assignments = read_manifest(path)[1]
    folds = sorted({value for value in assignments.values() if isinstance(value, int)})
    if folds and fold not in folds:
        raise ValueError(f"{path} is a fold manifest: fold must be one of {folds}, got {fold}")
    if not folds and fold != -1:
        raise ValueError(f"{path} has no folds: fold must be -1, got {fold}")
    if folds:
        return {clip: "test" if value == fold else "train" for clip, value in assignments.items()}
    return {clip: SIDES.get(value, "") for clip, value in assignments.items()}


def _default_manifest(folder):
    splits = Path(folder) / "splits"
    for name in (SPEAKER_MANIFEST, CORPUS_MANIFEST):
        if (splits / name).exists():
            return splits / name
    raise FileNotFoundError(f"{folder}: no splits/{SPEAKER_MANIFEST} or splits/{CORPUS_MANIFEST}; "
                            "prepare the corpus again with `avmodel prepare`")  # fmt: skip


def _folder_table(folder, offset, manifest="", fold=-1):
    """Per clip of a prepared folder: usable, label index, our split, global clip id."""
    rows = read_clips(folder)
    sides = manifest_sides(folder, manifest, fold)
    usable = np.array([r["status"] == OK for r in rows])
    labels = np.array([EMOTIONS.index(r["label"]) for r in rows])
    splits = np.array([sides.get(r["clip_id"], "") for r in rows])
    return usable, labels, splits, np.arange(len(rows)) + offset


def audio_splits(folders, repeats=None, manifest="", fold=-1):
    """{"train"|"val"|"test": Samples of audio windows} over the prepared folders.

    repeats: {corpus: n}, that corpus's training windows taken n times (a corpus
             weight; validation and test windows are never repeated).
    manifest, fold: the split manifest of every folder (``manifest_sides``).
    """
    parts = {name: ([], [], []) for name in ("train", "val", "test")}
    offset = 0
    for folder in folders:
        usable, labels, splits, clip_ids = _folder_table(folder, offset, manifest, fold)
        arrays = load_arrays(folder)
        owner = np.asarray(arrays["window_clip"])
        keep = usable[owner]
        for name, (xs, ys, cs) in parts.items():
            rows = np.flatnonzero(keep & (splits[owner] == name))
            if name == "train":
                rows = np.repeat(rows, (repeats or {}).get(folder_corpus(folder), 1))
            xs.append(np.asarray(arrays["windows"][rows], np.float32))
            ys.append(labels[owner[rows]])
            cs.append(clip_ids[owner[rows]])
        offset += len(usable)
    return {name: Samples(np.concatenate(xs), np.concatenate(ys), np.concatenate(cs))
            for name, (xs, ys, cs) in parts.items()}  # fmt: skip


def with_soft_targets(split, folders, votes, weight):
    """``split`` with soft training targets: (1 - weight) x its one-hot label + weight x the crowd's vote
    distribution, for every sample whose clip has votes (``votes``: {clip_id: (classes,) counts}, e.g.
    ``corpora.ferplus.read_ferplus_votes``); the one-hot label where it has none. With weight < 0.5 the
    given label stays the most likely class of every target. Returns (Samples, samples with votes).
    """
    names = clip_names(folders)[split.clip]
    soft = split.onehot.copy()
    voted = np.array([name in votes for name in names], bool)
    if voted.any():
        counts = np.stack([votes[name] for name in names[voted]]).astype(np.float32)
        soft[voted] = (1 - weight) * soft[voted] + weight * counts / counts.sum(axis=1, keepdims=True)
    return Samples(split.x, split.y, split.clip, soft), int(voted.sum())


def clip_names(folders):
    """(clips,) str: the clip_id of every global clip id (the numbering of ``_folder_table``)."""
    return np.array([row["clip_id"] for folder in folders for row in read_clips(folder)], dtype=object)


def folder_corpus(folder):
    """The corpus name of a prepared folder (its clips.csv's first row)."""
    rows = read_clips(folder)
    return rows[0]["corpus"] if rows else ""


def visual_splits(folders, manifest="", fold=-1):
    """{"train"|"val"|"test": Samples of faces (n, side, side, 1) uint8}.

    With the default manifest and no "val" rows (FER2013's own split) val is the test side.
    """
    parts = {name: ([], [], []) for name in ("train", "val", "test")}
    offset = 0
    for folder in folders:
        usable, labels, splits, clip_ids = _folder_table(folder, offset, manifest, fold)
        arrays = load_arrays(folder)
        owner = np.asarray(arrays["face_clip"])
        for name, (xs, ys, cs) in parts.items():
            mask = usable[owner] & (splits[owner] == name)
            xs.append(np.asarray(arrays["faces"][mask])[..., None])
            ys.append(labels[owner[mask]])
            cs.append(clip_ids[owner[mask]])
        offset += len(usable)
    result = {name: Samples(np.concatenate(xs), np.concatenate(ys), np.concatenate(cs))
              for name, (xs, ys, cs) in parts.items()}  # fmt: skip
    if not manifest and not len(result["val"]):
        result["val"] = result["test"]
    return result


def pair_sides(audio_folders, face_folders, pairs_per_window, seed, repeats=None, manifest="", fold=-1):
    """Label-matched pairs as indices: {"train"|"val"|"test": (voices, faces, window rows, face rows)}.

    voices / faces: the side's audio-window and face Splits; pair k is
    (voices row ``window_rows[k]``, faces row ``face_rows[k]``), both of one label.
    Train: training-speaker windows x training faces (``pairs_per_window`` faces per
    window). Val and test: the held-out speakers' windows x the two halves of the
    FER2013 PublicTest faces. Only emotions present on both sides are paired.
    ``manifest`` and ``fold`` split the audio folders; the face folders keep their own split.
    """
    rng = np.random.default_rng(seed)
    voices, faces = audio_splits(audio_folders, repeats, manifest, fold), visual_splits(face_folders)
    val_faces, test_faces = publictest_halves(faces["test"], rng)
    face_sides = {"train": faces["train"], "val": val_faces, "test": test_faces}
    draws = {"train": pairs_per_window, "val": 1, "test": 1}  # faces drawn per window
    return {name: (voices[name], face_sides[name], *pair_indices(voices[name], face_sides[name], draws[name], rng))
            for name in draws}  # fmt: skip


def pair_splits(audio_folders, face_folders, pairs_per_window, seed, repeats=None, manifest="", fold=-1):
    """The pairs of ``pair_sides`` as arrays: {"train"|"val"|"test": Samples with x={"audio", "face"}}."""
    sides = pair_sides(audio_folders, face_folders, pairs_per_window, seed, repeats, manifest, fold)
    return {name: _pair_split(*side) for name, side in sides.items()}


def publictest_halves(faces, rng):
    """(validation half, test half) of the PublicTest faces Samples, drawn with ``rng``
    (``numpy.random.default_rng(seed)``, its first draw): fusion pairs and calibration use the same halves."""
    half = rng.permutation(len(faces)) % 2
    return _subset(faces, half == 0), _subset(faces, half == 1)


def clip_pair_splits(folders, repeats=None, manifest="", fold=-1):
    """Each clip's own (window, face) pairs {"train"|"val"|"test": Samples with x={"audio", "face"}}.

    A window goes with the faces whose key frame falls inside it, else the nearest
    face (``avmodel.predict.pair_faces``, the pairs ``Predictor`` scores); clips
    without audio or without a face give none. ``repeats`` as in ``audio_splits``.
    """
    parts = {name: ([], [], [], []) for name in ("train", "val", "test")}
    offset = 0
    for folder in folders:
        usable, labels, splits, clip_ids = _folder_table(folder, offset, manifest, fold)
        arrays = load_arrays(folder)
        for name, (audio, face, ys, cs) in parts.items():
            rows = _clip_pair_rows(arrays, np.flatnonzero(usable & (splits == name)))  # (pairs, 3)
            if name == "train":
                rows = np.repeat(rows, (repeats or {}).get(folder_corpus(folder), 1), axis=0)
            audio.append(np.asarray(arrays["windows"][rows[:, 0]], np.float32))
            face.append(np.asarray(arrays["faces"][rows[:, 1]])[..., None])
            ys.append(labels[rows[:, 2]])
            cs.append(clip_ids[rows[:, 2]])
        offset += len(usable)
    return {name: Samples({"audio": np.concatenate(audio), "face": np.concatenate(face)}, np.concatenate(ys),
                        np.concatenate(cs)) for name, (audio, face, ys, cs) in parts.items()}  # fmt: skip


def _clip_pair_rows(arrays, clips):
    """(pairs, 3) int rows (window index, face index, clip index) of the clips' own pairs."""
    from avmodel.predict import pair_faces

    clip_at = np.arange(int(max(clips, default=-1)) + 2)
    window_at, face_at = np.searchsorted(arrays["window_clip"], clip_at), np.searchsorted(arrays["face_clip"], clip_at)
    rows = []
    for clip in clips:
        starts = np.asarray(arrays["window_start"][window_at[clip] : window_at[clip + 1]], float)
        times = np.asarray(arrays["face_time"][face_at[clip] : face_at[clip + 1]], float)
        for w, faces_of in enumerate(pair_faces(starts, starts + WINDOW_SECONDS, times)):
            rows += [(window_at[clip] + w, face_at[clip] + f, clip) for f in faces_of]
    return np.array(rows, dtype=int).reshape(-1, 3)


def _subset(split, mask):
    return Samples(split.x[mask], split.y[mask], split.clip[mask])


def pair_indices(voices, faces, draws, rng):
    """(window rows, face rows): every window of a label the faces have, ``draws`` times,
    each with a face of its label drawn by ``rng``."""
    by_label = {label: np.flatnonzero(faces.y == label) for label in np.unique(faces.y)}
    windows = np.repeat(np.flatnonzero(np.isin(voices.y, list(by_label))), draws)
    chosen = np.array([rng.choice(by_label[voices.y[i]]) for i in windows], dtype=int)
    return windows, chosen


def _pair_split(voices, faces, windows, chosen):
    x = {"audio": voices.x[windows], "face": faces.x[chosen]}
    return Samples(x, voices.y[windows], voices.clip[windows])


def describe(splits):
    """{split: {"samples": n, "per_label": {label: n}[, "soft_targets": n]}} for the run log
    (soft_targets: samples whose training target is not their one-hot label)."""
    return {name: {"samples": len(split), "per_label": {EMOTIONS[k]: int((split.y == k).sum())
                                                         for k in np.unique(split.y)},
                   **({} if split.soft is None else {"soft_targets": int((split.soft != split.onehot).any(axis=1).sum())})}
            for name, split in splits.items()}  # fmt: skip


def folder_names(folders):
    return [Path(f).name for f in folders]
