"""Audio branch of the baseline: 400 ms segments -> 34 features -> standardise -> RBF SVM.

    clip windows -> segments (k, SEGMENT_SAMPLES) -> features (k, 34)
      -> StandardScaler -> SVC(rbf) with Platt-scaled probabilities -> (k, classes)
      -> majority vote (class) and mean (probabilities) per clip

Every segment is labelled with its clip's label for training. Probabilities
come from Platt scaling fitted by internal cross-validation: scikit-learn 1.9
deprecates ``SVC(probability=True)`` and names
``CalibratedClassifierCV(SVC(), ensemble=False)`` as its replacement, which
is what is used here. Output columns follow EMOTIONS (classes never seen in
training get probability 0).
"""

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from avmodel.constants import NUM_CLASSES, SEED
from benchmark.baseline import voting
from benchmark.baseline.features import segment_features
from benchmark.baseline.segments import segments_from_windows

FEATURES_KEY = "audio_features"  # ClipSet.cache key of the per-clip (k, 34) feature matrices
CALIBRATION_FOLDS = 5  # cross-validation folds of the Platt scaling (as SVC(probability=True))


def clip_features(clips):
    """Per-clip segment features, computed once per ClipSet (kept in ``clips.cache``).

    Returns a list of len(clips) arrays (k_i, N_FEATURES) float32.
    """
    if FEATURES_KEY not in clips.cache:
        clips.cache[FEATURES_KEY] = [segment_features(segments_from_windows(w)) for w in clips.windows]
    return clips.cache[FEATURES_KEY]


class AudioSVM:
    """Avots et al.'s speech classifier on 400 ms segments.

    C, gamma: the RBF SVM's parameters (scikit-learn defaults)
    seed:     seeds the calibration folds and the SVM
    """

    def __init__(self, C=1.0, gamma="scale", seed=SEED):
        self.C = C
        self.gamma = gamma
        self.seed = seed
        self.pipeline = None
        self.prior = np.full(NUM_CLASSES, 1 / NUM_CLASSES)  # training class frequencies, set by fit

    def fit(self, clips):
        """Train on every segment of every clip; returns self."""
        features = clip_features(clips)
        x = np.concatenate(features)  # (segments, N_FEATURES)
        y = np.concatenate([np.full(len(f), label) for f, label in zip(features, clips.labels)]).astype(np.int64)
        if len(np.unique(y)) < 2:
            raise ValueError("the audio SVM needs segments of at least two classes")
        folds = min(CALIBRATION_FOLDS, int(np.bincount(y)[np.unique(y)].min()))
        svm = SVC(kernel="rbf", C=self.C, gamma=self.gamma, random_state=self.seed)
        calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=max(folds, 2), ensemble=False)
        self.pipeline = make_pipeline(StandardScaler(), calibrated).fit(x, y)
        self.prior = np.bincount(clips.labels, minlength=NUM_CLASSES) / len(clips)
        return self

    def segment_probabilities(self, clips):
        """Per-clip segment probabilities: list of len(clips) arrays (k_i, NUM_CLASSES)."""
        if self.pipeline is None:
            raise RuntimeError("AudioSVM.fit must be called first")
        features = clip_features(clips)
        if not any(len(f) for f in features):
            return [np.zeros((0, NUM_CLASSES)) for _ in features]
        proba = np.zeros((sum(len(f) for f in features), NUM_CLASSES))
        proba[:, self.pipeline.classes_] = self.pipeline.predict_proba(np.concatenate(features))
        return np.split(proba, np.cumsum([len(f) for f in features])[:-1])

    def predict_proba(self, clips):
        """(n, NUM_CLASSES) mean segment probabilities; NaN rows for clips with no audio segment."""
        return voting.clip_means(self.segment_probabilities(clips), NUM_CLASSES)

    def predict(self, clips, allowed=None):
        """(n,) majority vote over each clip's segments; clips with no segment get the most frequent training class."""
        fallback = int(np.argmax(np.where(voting.allowed_mask(NUM_CLASSES, allowed), self.prior, -1)))
        return voting.clip_votes(self.segment_probabilities(clips), fallback, allowed)
