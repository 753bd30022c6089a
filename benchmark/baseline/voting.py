"""From per-segment / per-frame probabilities to clip decisions, and the decision fusion.

    segment or frame probabilities (k, classes) -> majority vote -> class
                                                -> mean          -> (classes,)
    audio (n, classes), visual (n, classes)     -> fuse_max      -> (n,) classes

Avots et al. (2019) decide each modality by majority vote over its segments
(audio) or key frames (visual), and fuse the two by taking, for each clip, the
class of the highest of the 2 x classes probabilities (12 values for 6
classes). The probability of a modality for a clip is the mean of its segment
(or frame) probabilities. ``allowed`` restricts every decision to a subset of
classes (eNTERFACE'05: the six without neutral).
"""

import numpy as np


def allowed_mask(num_classes, allowed=None):
    """(num_classes,) bool: True for the class indices in ``allowed`` (all when None)."""
    mask = np.zeros(num_classes, bool)
    mask[list(range(num_classes)) if allowed is None else list(allowed)] = True
    return mask


def majority_vote(probabilities, allowed=None):
    """The class most segments / frames vote for.

    probabilities: (k, classes), k >= 1; each row votes for its argmax among ``allowed``
    Ties go to the tied class with the highest mean probability, then the lowest index.
    Returns an int class index.
    """
    probabilities = np.asarray(probabilities, np.float64)
    if probabilities.ndim != 2 or len(probabilities) == 0:
        raise ValueError(f"probabilities must have shape (k >= 1, classes), got {probabilities.shape}")
    mask = allowed_mask(probabilities.shape[1], allowed)
    masked = np.where(mask, probabilities, -np.inf)
    votes = np.bincount(masked.argmax(axis=1), minlength=probabilities.shape[1])
    tied = votes == votes.max()
    return int(np.argmax(np.where(tied, masked.mean(axis=0), -np.inf)))


def vote_shares(probabilities, allowed=None):
    """(k, classes) -> (classes,) fraction of the k rows voting for each class."""
    probabilities = np.asarray(probabilities, np.float64)
    masked = np.where(allowed_mask(probabilities.shape[1], allowed), probabilities, -np.inf)
    return np.bincount(masked.argmax(axis=1), minlength=probabilities.shape[1]) / len(probabilities)


def clip_means(per_item, num_classes):
    """Per-clip mean probabilities.

    per_item: list of n arrays (k_i, classes); an empty one (no segment / no face) gives a NaN row
    Returns (n, num_classes) float64.
    """
    rows = [p.mean(axis=0) if len(p) else np.full(num_classes, np.nan) for p in per_item]
    return np.asarray(rows, np.float64).reshape(len(per_item), num_classes)


def clip_votes(per_item, fallback, allowed=None):
    """Per-clip majority votes: (n,) int; clips with no segment / frame get ``fallback``."""
    return np.asarray([majority_vote(p, allowed) if len(p) else fallback for p in per_item], np.int64)


def fused_scores(audio, visual):
    """Elementwise maximum of the two modalities' clip probabilities.

    audio, visual: (n, classes), NaN rows where a modality had no input
    Returns (n, classes); the argmax of a row is the class of the highest of its
    2 x classes probabilities. A row NaN in one modality takes the other's; NaN
    in both stays NaN.
    """
    audio, visual = np.asarray(audio, np.float64), np.asarray(visual, np.float64)
    if audio.shape != visual.shape:
        raise ValueError(f"audio {audio.shape} and visual {visual.shape} must have the same shape")
    with np.errstate(invalid="ignore"):
        return np.fmax(audio, visual)


def decide(scores, allowed=None, fallback=0):
    """(n, classes) scores -> (n,) argmax among ``allowed``; all-NaN rows get ``fallback``."""
    scores = np.asarray(scores, np.float64)
    mask = allowed_mask(scores.shape[1], allowed)
    masked = np.where(mask & ~np.isnan(scores), scores, -np.inf)
    missing = np.all(np.isneginf(masked), axis=1)
    return np.where(missing, fallback, masked.argmax(axis=1)).astype(np.int64)


def fuse_max(audio, visual, allowed=None, fallback=0):
    """Avots et al.'s decision fusion: (n, classes) x 2 -> (n,) the class of the highest of the 2 x classes values."""
    return decide(fused_scores(audio, visual), allowed, fallback)
