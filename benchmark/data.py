"""Corpora for the benchmark: a source -> a prepared folder -> ClipSets and the split manifests.

    --enterface PATH   the zip / extracted tree (prepared into --cache), or an already prepared folder
    -> prepared folder (clips.csv, windows.npy, faces.npy, ..., splits/*.csv)
    -> ClipSet of the usable clips + splits: a manifest of that folder (and a fold), which
       ``avmodel.training.data.manifest_sides`` reads into train / val / test clips

A split is the two ``TrainConfig`` fields that name it, with a name for the report:
{"name": "fold 3", "split_manifest": "splits/subject_folds.csv", "fold": 3}. Every system
is trained and tested on exactly these manifests, read by avmodel.training's code, so
the baseline and avmodel see the same clips on the same side of every split.
"""

from pathlib import Path

import numpy as np

from avmodel.prepare import CORPUS_MANIFEST, OK, SPEAKER_MANIFEST, load_arrays, read_clips
from benchmark.baseline import ClipSet

PAPER_SPLIT = "paper_80_20"  # random stratified 80/20 clip split (the paper's protocol)
SUBJECT_FOLDS = "subject_folds"  # speaker-independent k-fold cross-validation
CORPUS_SPLIT = "corpus_split"  # the corpus's own split (FER2013: train / publictest)
HELD_OUT_SPEAKERS = "held_out_speakers"  # avmodel.splits.HELD_OUT: train / validation / test speakers
MANIFESTS = {PAPER_SPLIT: "paper_80_20.csv", SUBJECT_FOLDS: "subject_folds.csv", CORPUS_SPLIT: CORPUS_MANIFEST,
             HELD_OUT_SPEAKERS: SPEAKER_MANIFEST}  # fmt: skip
SPLIT_NAMES = {PAPER_SPLIT: "80/20", CORPUS_SPLIT: "train/publictest", HELD_OUT_SPEAKERS: "train/test speakers"}


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


def read_splits(prepared, protocol):
    """The splits of one protocol from the folder's manifest; [] when it has none (or no test clips)."""
    from avmodel.splits import read_manifest

    path = Path(prepared) / "splits" / MANIFESTS[protocol]
    if not path.is_file():
        return []
    manifest = f"splits/{MANIFESTS[protocol]}"
    if protocol == SUBJECT_FOLDS:
        folds = sorted(set(read_manifest(path)[1].values()))
        return [{"name": f"fold {k}", "split_manifest": manifest, "fold": k} for k in folds]
    split = {"name": SPLIT_NAMES[protocol], "split_manifest": manifest, "fold": -1}
    return [split] if split_sides(prepared, split)[1] else []


def split_sides(prepared, split):
    """(train clip ids, test clip ids) of a split, as ``avmodel train`` reads its manifest.

    Clips on neither side (the held-out validation speakers, FER2013's PrivateTest) are left out.
    """
    from avmodel.training.data import manifest_sides

    sides = manifest_sides(prepared, split["split_manifest"], split["fold"])
    return ([clip for clip, side in sides.items() if side == "train"],
            [clip for clip, side in sides.items() if side == "test"])  # fmt: skip


def labels_present(clips):
    """Sorted class indices that occur in the clips: the classes decisions are restricted to."""
    return sorted(np.unique(clips.labels).tolist())


def has_faces(clips, minimum_fraction=0.5):
    """True when at least ``minimum_fraction`` of the clips hold a face (visual rows are meaningful)."""
    return len(clips) > 0 and np.mean([len(f) > 0 for f in clips.faces]) >= minimum_fraction


def has_audio(clips, minimum_fraction=0.5):
    return len(clips) > 0 and np.mean([len(w) > 0 for w in clips.windows]) >= minimum_fraction
