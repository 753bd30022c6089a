"""Train/test assignments of corpus Items, and their CSV manifests.

Three protocols:

- ``paper_split``: the paper's, a random 80/20 split of clips stratified by
  label ("evaluated on 20 percentage of total data"). Speakers appear on both
  sides, so it measures speaker-dependent accuracy.
- ``subject_folds``: speaker-independent k-fold cross-validation; no speaker
  is in the train and test part of any fold.
- ``speaker_split``: the released networks' protocol, fixed per corpus
  (``HELD_OUT``): named validation and test speakers, every other speaker
  trains. Validation picks the epoch and fits the calibration; test speakers
  are measured only.

An assignment maps clip_id -> "train"/"test" (paper_split) or clip_id -> the
number of the fold whose test part holds the clip (subject_folds). Items
are ordered by clip id before splitting, so the result depends only on the
items and the seed, not on their order; clip ids must be unique.

A manifest is a CSV file, one row per item in natural clip-id order, columns
``MANIFEST_COLUMNS`` plus "split" or "fold". Same items and seed -> same bytes.
"""

import csv
from numbers import Integral
from pathlib import Path

from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from avmodel.constants import SEED
from avmodel.corpora.record import Item
from avmodel.corpora.result import natural_key

TEST_FRACTION = 0.2  # paper, section 5: evaluated on 20 % of the clips
N_FOLDS = 5  # default number of speaker-independent folds
TRAIN, VAL, TEST = "train", "val", "test"
MANIFEST_COLUMNS = ("clip_id", "path", "label", "speaker", "sentence", "corpus")
SPLIT_COLUMN = "split"  # manifest column of a paper_split assignment
FOLD_COLUMN = "fold"  # manifest column of a subject_folds assignment

HELD_OUT = {  # corpus -> (validation speakers, test speakers): never trained on
    "emodb": (("09", "10"), ("03", "08")),  # 09 f, 10 m | 03 m, 08 f
    "ravdess": (("17", "18"), ("19", "20")),  # odd actors male, even female
    # 1001 (the six audio-visual clips) is a test actor; the other 15 drawn by
    # numpy.random.default_rng(1234).permutation of 1002..1081: val the first 8, test the next 7
    "cremad": (("1024", "1026", "1027", "1035", "1045", "1051", "1068", "1076"),
               ("1001", "1012", "1017", "1020", "1032", "1043", "1074", "1077")),  # fmt: skip
    "savee": ((), ("KL",)),  # 4 speakers: one measured, three trained on
    "tess": ((), ()),  # 2 speakers: both trained on (no speaker-independent TESS figure)
}


def paper_split(items, test_fraction=TEST_FRACTION, seed=SEED):
    """Random clip-level split, stratified by label.

    Returns {clip_id: "train" | "test"} in natural clip-id order.
    Raises ValueError when a label has fewer than two clips.
    """
    ordered = _ordered(items)
    labels = [item.label for item in ordered]
    _, test = train_test_split(
        list(range(len(ordered))), test_size=test_fraction, stratify=labels, random_state=seed
    )
    test = set(test)
    return {item.clip_id: TEST if index in test else TRAIN for index, item in enumerate(ordered)}


def subject_folds(items, k=N_FOLDS, seed=SEED):
    """Speaker-independent folds, label-stratified as far as speakers allow.

    k: number of folds (at most the number of speakers); None gives
       leave-one-speaker-out (one fold per speaker)
    Every speaker (and so every item) is in the test part of exactly one fold.
    Returns {clip_id: fold number 0..k-1} in natural clip-id order.
    """
    ordered = _ordered(items)
    missing = [item.clip_id for item in ordered if not item.speaker]
    if missing:
        raise ValueError(f"{len(missing)} items have no speaker (e.g. {missing[0]}); use paper_split")
    groups = [f"{item.corpus}:{item.speaker}" for item in ordered]  # speaker ids are per corpus
    n_speakers = len(set(groups))
    k = n_speakers if k is None else k
    if not 2 <= k <= n_speakers:
        raise ValueError(f"k={k} folds need 2 <= k <= {n_speakers} (the number of speakers)")
    folds = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    labels = [item.label for item in ordered]
    fold_of = {}
    for fold, (_, test) in enumerate(folds.split(ordered, labels, groups)):
        if len(test) == 0:
            raise ValueError(f"fold {fold} of {k} is empty")
        fold_of.update({ordered[index].clip_id: fold for index in test})
    return {item.clip_id: fold_of[item.clip_id] for item in ordered}


def speaker_split(items):
    """The corpus's fixed HELD_OUT speakers: {clip_id: "train" | "val" | "test"}.

    Raises ValueError for a corpus with no entry in HELD_OUT.
    """
    ordered = _ordered(items)
    unknown = sorted({item.corpus for item in ordered} - set(HELD_OUT))
    if unknown:
        raise ValueError(f"no held-out speakers chosen for {unknown}: add them to HELD_OUT")
    return {item.clip_id: side_of(item.corpus, item.speaker) for item in ordered}


def side_of(corpus, speaker):
    """"val", "test" or "train" for one speaker of ``corpus`` under HELD_OUT."""
    val, test = HELD_OUT.get(corpus, ((), ()))
    return VAL if speaker in val else TEST if speaker in test else TRAIN


def select(items, assignments, value):
    """The items whose assignment is ``value`` ("train", "test" or a fold number)."""
    return [item for item in items if assignments[item.clip_id] == value]


def fold_parts(items, folds, fold):
    """(train items, test items) of one fold of a subject_folds assignment."""
    return [i for i in items if folds[i.clip_id] != fold], [i for i in items if folds[i.clip_id] == fold]


def write_manifest(items, assignments, path):
    """Write one CSV row per item: MANIFEST_COLUMNS, then "split" (str
    assignments) or "fold" (int assignments). Returns the Path written.
    """
    ordered = _ordered(items)
    if set(assignments) != {item.clip_id for item in ordered}:
        raise ValueError("assignments must name exactly the clip ids of the items")
    column = _assignment_column(assignments.values())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow((*MANIFEST_COLUMNS, column))
        for item in ordered:
            writer.writerow((*(getattr(item, name) for name in MANIFEST_COLUMNS), assignments[item.clip_id]))
    return path


def read_manifest(path):
    """Read a manifest back: (items, assignments).

    Items of a "split" manifest carry the assignment in Item.split; those of a
    "fold" manifest have split "". Fold numbers come back as int.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = tuple(reader.fieldnames or ())
        rows = list(reader)
    if header[:-1] != MANIFEST_COLUMNS or header[-1] not in (SPLIT_COLUMN, FOLD_COLUMN):
        raise ValueError(f"{path}: columns {header} are not {MANIFEST_COLUMNS} + split|fold")
    column = header[-1]
    items, assignments = [], {}
    for row in rows:
        value = row[column] if column == SPLIT_COLUMN else int(row[column])
        fields = {name: row[name] for name in MANIFEST_COLUMNS}
        items.append(Item(**fields, split=value if column == SPLIT_COLUMN else ""))
        assignments[row["clip_id"]] = value
    return items, assignments


def _ordered(items):
    """Items in natural clip-id order; raises ValueError on duplicate clip ids."""
    ordered = sorted(items, key=lambda item: natural_key(item.clip_id))
    ids = [item.clip_id for item in ordered]
    if len(set(ids)) != len(ids):
        duplicate = next(a for a, b in zip(ids, ids[1:]) if a == b)
        raise ValueError(f"clip ids must be unique; {duplicate!r} repeats")
    return ordered


def _assignment_column(values):
    values = list(values)
    if all(isinstance(v, str) for v in values):
        return SPLIT_COLUMN
    if all(isinstance(v, Integral) and not isinstance(v, bool) for v in values):
        return FOLD_COLUMN
    raise ValueError("assignments must be all str (split) or all int (fold)")
