"""Corpora for the benchmark: a source -> a prepared folder -> ClipSets and the split manifests.

    --enterface PATH   the zip / extracted tree (prepared into --cache), or an already prepared folder
    -> prepared folder (clips.csv, windows.npy, faces.npy, ..., splits/*.csv)
    -> ClipSet of the usable clips + Splits read from the manifests that ``avmodel prepare`` wrote

Every system is trained and tested on exactly these manifests, so the
baseline and avmodel see the same clips on the same side of every split.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avmodel.baseline import ClipSet
from avmodel.prepare import OK, load_arrays, read_clips

PAPER_SPLIT = "paper_80_20"  # random stratified 80/20 clip split (the paper's protocol)
SUBJECT_FOLDS = "subject_folds"  # speaker-independent k-fold cross-validation
CORPUS_SPLIT = "corpus_split"  # the corpus's own split (FER2013: train / publictest)
HELD_OUT_SPEAKERS = "held_out_speakers"  # avmodel.training's speaker split: train speakers / test speakers
MANIFESTS = {PAPER_SPLIT: "paper_80_20.csv", SUBJECT_FOLDS: "subject_folds.csv", CORPUS_SPLIT: "corpus_split.csv"}
CORPUS_TEST_SPLIT = {"fer2013": "publictest"}  # corpus split used as the test side (PrivateTest is withheld)


@dataclass(frozen=True)
class Split:
    """One train/test partition of a protocol.

    protocol: PAPER_SPLIT | SUBJECT_FOLDS | CORPUS_SPLIT
    name:     "80/20", "fold 3", "train/publictest"
    train, test: clip ids
    """

    protocol: str
    name: str
    train: tuple
    test: tuple


def is_prepared(path):
    return (Path(path) / "clips.csv").is_file()


def prepared_folder(corpus, source, cache, workers=None, limit=None):
    """A prepared folder for ``source``: itself when already prepared, else ``cache/<corpus>``
    (prepared now, or resumed; ``limit`` keeps the first N clips, in ``cache/<corpus>-first<N>``).
    """
    if is_prepared(source):
        return Path(source)
    from avmodel.prepare import prepare

    out = Path(cache) / (corpus if limit is None else f"{corpus}-first{limit}")
    prepare(corpus, source, out, workers=workers, limit=limit)
    return out


def load_clips(prepared):
    """ClipSet of the usable ("ok") clips of a prepared folder."""
    rows = [row for row in read_clips(prepared) if row["status"] == OK]
    return ClipSet.from_prepared(rows, load_arrays(prepared))


def read_splits(prepared, protocol, corpus=""):
    """The Splits of one protocol from the folder's manifest; [] when it has none."""
    from avmodel.splits import read_manifest

    if protocol == HELD_OUT_SPEAKERS:
        return held_out_split(prepared, corpus)
    path = Path(prepared) / "splits" / MANIFESTS[protocol]
    if not path.is_file():
        return []
    _, assignments = read_manifest(path)
    if protocol == SUBJECT_FOLDS:
        folds = sorted(set(assignments.values()))
        return [_split(protocol, f"fold {k}", assignments, lambda v, k=k: v != k, lambda v, k=k: v == k)
                for k in folds]  # fmt: skip
    test_side = CORPUS_TEST_SPLIT.get(corpus, "test")
    name = "80/20" if protocol == PAPER_SPLIT else f"train/{test_side}"
    return [_split(protocol, name, assignments, lambda v: v == "train", lambda v: v == test_side)]


def held_out_split(prepared, corpus):
    """The released networks' own speaker split: training speakers / test speakers.

    The split of ``avmodel.training.data.HELD_OUT``: the one partition on which
    weights trained by ``avmodel train`` can be measured as given (epochs 0)
    without having heard the test speakers. Validation speakers sit on neither side.
    """
    from avmodel.training.data import speaker_split

    sides = {row["clip_id"]: speaker_split(corpus, row["speaker"]) for row in read_clips(prepared) if row["status"] == OK}
    split = _split(HELD_OUT_SPEAKERS, "train/test speakers", sides, lambda v: v == "train", lambda v: v == "test")
    return [split] if split.test else []


def _split(protocol, name, assignments, is_train, is_test):
    train = tuple(clip for clip, value in assignments.items() if is_train(value))
    test = tuple(clip for clip, value in assignments.items() if is_test(value))
    return Split(protocol, name, train, test)


def labels_present(clips):
    """Sorted class indices that occur in the clips: the classes decisions are restricted to."""
    return sorted(np.unique(clips.labels).tolist())


def has_faces(clips, minimum_fraction=0.5):
    """True when at least ``minimum_fraction`` of the clips hold a face (visual rows are meaningful)."""
    return len(clips) > 0 and np.mean([len(f) > 0 for f in clips.faces]) >= minimum_fraction


def has_audio(clips, minimum_fraction=0.5):
    return len(clips) > 0 and np.mean([len(w) > 0 for w in clips.windows]) >= minimum_fraction
