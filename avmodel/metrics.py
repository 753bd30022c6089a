"""Metrics of a model on a labelled split: accuracy, per-class recall, confusion, chance, ECE.

Predictions are restricted to the classes the split can contain (``classes``):
eNTERFACE'05 has no neutral, so its accuracy is six-class, argmax over six.
"""

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix

from avmodel.calibration import expected_calibration_error
from avmodel.constants import EMOTIONS


def restricted_argmax(probabilities, classes):
    """(n, NUM_CLASSES) probabilities -> (n,) label indices, argmax over ``classes`` only."""
    classes = np.asarray(classes)
    return classes[np.asarray(probabilities)[:, classes].argmax(axis=1)]


def clip_average(probabilities, clip):
    """Average the rows of each clip: (n, C), (n,) -> (n_clips, C), (n_clips,) clip ids."""
    clips, inverse = np.unique(clip, return_inverse=True)
    sums = np.zeros((len(clips), probabilities.shape[1]))
    np.add.at(sums, inverse, probabilities)
    return sums / np.bincount(inverse)[:, None], clips


def summarise(y_true, y_pred, classes):
    """Accuracy, chance levels, per-class precision/recall/F1 and the confusion matrix (JSON-ready)."""
    classes = list(classes)
    names = [EMOTIONS[k] for k in classes]
    report = classification_report(y_true, y_pred, labels=classes, target_names=names,
                                   output_dict=True, zero_division=0)  # fmt: skip
    counts = np.bincount(y_true, minlength=len(EMOTIONS))[classes]
    return {
        "samples": int(len(y_true)),
        "accuracy": float(np.mean(y_true == y_pred)),
        "classes": names,
        "chance_uniform": 1 / len(classes),
        "chance_majority": float(counts.max() / counts.sum()),
        "per_class": {name: {k: round(float(report[name][k]), 4) for k in ("precision", "recall", "f1-score")}
                      for name in names},  # fmt: skip
        "macro_f1": float(report["macro avg"]["f1-score"]),
        "confusion": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }


def evaluate_probabilities(probabilities, y, clip=None, classes=None):
    """Sample-level (and clip-level when ``clip`` is given) metrics of predicted probabilities."""
    classes = sorted(set(np.unique(y).tolist())) if classes is None else list(classes)
    probabilities = np.asarray(probabilities)
    result = {"sample": summarise(y, restricted_argmax(probabilities, classes), classes)}
    result["sample"]["ece"] = expected_calibration_error(probabilities, y)
    if clip is not None and len(np.unique(clip)) < len(clip):
        averaged, clips = clip_average(probabilities, clip)
        clip_labels = np.array([y[np.flatnonzero(clip == c)[0]] for c in clips])
        result["clip"] = summarise(clip_labels, restricted_argmax(averaged, classes), classes)
        result["clip"]["ece"] = expected_calibration_error(averaged, clip_labels)
    return result
