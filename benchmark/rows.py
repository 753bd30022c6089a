"""Result rows: one per (corpus, protocol, system, modality), measured, not measured, or published.

A row is a plain dict (it goes to results.json as is). Every row has
ROW_KEYS; a measured row adds MEASURED_KEYS. A row that was not measured
carries ``accuracy: None`` and its reason, never a number.
"""

import numpy as np

from avmodel.constants import EMOTIONS
from avmodel.metrics import summarise

MEASURED, NOT_MEASURED, PUBLISHED = "measured", "not measured", "published"
NO_CORPUS = "corpus not provided"
ROW_KEYS = ("id", "corpus", "protocol", "system", "modality", "status", "reason", "accuracy")
MEASURED_KEYS = ("accuracy_std", "splits", "samples", "classes", "chance_uniform", "chance_majority",
                 "per_class", "macro_f1", "confusion", "training", "seconds", "notes")  # fmt: skip

SYSTEMS = {  # system key -> how the report names it
    "avmodel": "avmodel (feature-level fusion networks)",
    "avots_baseline": "Avots et al. baseline, reproduced",
}
PUBLISHED_FIGURES = (  # eNTERFACE'05, six classes, as printed in Adhikari & Joshi's Table 2
    {"system": "Avots et al. (2019)", "accuracy": 0.445, "protocol": "Avots et al.'s own evaluation",
     "source": "Adhikari & Joshi, Table 2 (decision-level fusion, hand-crafted features)"},
    {"system": "Adhikari & Joshi", "accuracy": 0.715, "protocol": "paper_80_20",
     "source": "Adhikari & Joshi, Table 2 (feature-level fusion, 20% of eNTERFACE'05 held out)"},
)  # fmt: skip


def row_id(corpus, protocol, system, modality):
    return f"{corpus}/{protocol}/{system}/{modality}"


def not_measured(corpus, protocol, system, modality, reason):
    """A row that holds no figure, only why."""
    return {"id": row_id(corpus, protocol, system, modality), "corpus": corpus, "protocol": protocol,
            "system": system, "modality": modality, "status": NOT_MEASURED, "reason": reason, "accuracy": None}  # fmt: skip


def published_rows(corpus="enterface05"):
    """The published eNTERFACE'05 figures, labelled as such."""
    return [{"id": row_id(corpus, f["protocol"], f["system"], "fused"), "corpus": corpus, "protocol": f["protocol"],
             "system": f["system"], "modality": "fused", "status": PUBLISHED, "reason": f["source"],
             "accuracy": f["accuracy"]} for f in PUBLISHED_FIGURES]  # fmt: skip


def measured(corpus, protocol, system, modality, outcomes, classes, training, seconds):
    """A measured row from per-split outcomes.

    outcomes: list of (split name, y_true (n,), y_pred (n,), notes {what happened: number of clips})
    classes:  class indices decisions were restricted to
    accuracy is the mean over splits, accuracy_std their sample standard deviation
    (ddof 1; None for one split); per_class, confusion and chance use all splits' test clips pooled.
    """
    per_split = [(name, summarise(y_true, y_pred, classes)) for name, y_true, y_pred, _ in outcomes]
    pooled = summarise(np.concatenate([o[1] for o in outcomes]), np.concatenate([o[2] for o in outcomes]), classes)
    accuracies = [s["accuracy"] for _, s in per_split]
    row = not_measured(corpus, protocol, system, modality, "")
    row.update(
        status=MEASURED,
        accuracy=float(np.mean(accuracies)),
        accuracy_std=float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else None,
        splits=[{"name": name, "accuracy": s["accuracy"], "samples": s["samples"]} for name, s in per_split],
        samples=pooled["samples"],
        classes=[EMOTIONS[k] for k in classes],
        chance_uniform=pooled["chance_uniform"],
        chance_majority=pooled["chance_majority"],
        per_class=pooled["per_class"],
        macro_f1=pooled["macro_f1"],
        confusion=pooled["confusion"],
        training=training,
        seconds=seconds,
        notes=_sum_notes(o[3] for o in outcomes),
    )
    return row


def _sum_notes(notes):
    """[{note: count}] -> {note: total count}, zero counts dropped."""
    total = {}
    for note in notes:
        for text, count in note.items():
            total[text] = total.get(text, 0) + int(count)
    return {text: count for text, count in total.items() if count}
