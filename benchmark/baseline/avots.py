"""The Avots et al. (2019) audio-visual baseline: two classifiers, fused at the decision.

    audio:  windows -> 400 ms segments -> 34 features -> SVM -> vote per clip   (AudioSVM)
    visual: faces -> 30x30 -> FaceAlexNet -> vote per clip                      (FaceClassifier)
    fused:  the class of the highest of the 2 x classes clip probabilities     (voting.fuse_max)

    baseline = AvotsBaseline().fit(train_clips)      # ClipSet: prepared arrays or load_clip results
    baseline.predict(test_clips, allowed=SIX)        # {"audio", "visual", "fused"}: (n,) class indices
    baseline.predict_proba(test_clips)               # {"audio", "visual", "fused"}: (n, NUM_CLASSES)
"""

import numpy as np

from avmodel.constants import NUM_CLASSES
from benchmark.baseline import voting
from benchmark.baseline.audio_svm import AudioSVM
from benchmark.baseline.face_classifier import FaceClassifier

MODALITIES = ("audio", "visual", "fused")


class AvotsBaseline:
    """Decision-level fusion of AudioSVM and FaceClassifier (either may be left out)."""

    def __init__(self, audio=None, visual=None, use_audio=True, use_visual=True):
        self.audio = (audio or AudioSVM()) if use_audio else None
        self.visual = (visual or FaceClassifier()) if use_visual else None
        self.prior = np.full(NUM_CLASSES, 1 / NUM_CLASSES)  # training class frequencies, set by fit

    def pretrain_faces(self, images, labels):
        """Pre-train the face network on FER2013 faces ((n, h, w) uint8, (n,) labels); returns self."""
        if self.visual is not None:
            self.visual.pretrain(images, labels)
        return self

    def fit(self, clips):
        """Train both branches on the clips (a ClipSet); returns self."""
        for branch in (self.audio, self.visual):
            if branch is not None:
                branch.fit(clips)
        self.prior = np.bincount(clips.labels, minlength=NUM_CLASSES) / len(clips)
        return self

    def predict_proba(self, clips):
        """{"audio", "visual", "fused"} -> (n, NUM_CLASSES): mean segment / face probabilities
        (NaN rows where a clip has no audio / no face, or the branch is left out) and their
        elementwise maximum, whose argmax is the fused decision.
        """
        return self.predict_with_proba(clips)[1]

    def predict(self, clips, allowed=None):
        """{"audio", "visual", "fused"} -> (n,) class indices among ``allowed``.

        audio / visual: majority votes; fused: the highest of the 2 x classes
        probabilities. A clip with no input for a decision gets the most frequent training class.
        """
        return self.predict_with_proba(clips, allowed)[0]

    def predict_with_proba(self, clips, allowed=None):
        """(decisions, probabilities) of ``predict`` and ``predict_proba``, each branch run once."""
        fallback = int(np.argmax(np.where(voting.allowed_mask(NUM_CLASSES, allowed), self.prior, -1)))
        per_item = {
            "audio": self.audio.segment_probabilities(clips) if self.audio is not None else None,
            "visual": self.visual.frame_probabilities(clips) if self.visual is not None else None,
        }
        missing = np.full((len(clips), NUM_CLASSES), np.nan)
        proba = {m: missing if p is None else voting.clip_means(p, NUM_CLASSES) for m, p in per_item.items()}
        proba["fused"] = voting.fused_scores(proba["audio"], proba["visual"])
        decisions = {m: voting.clip_votes(p, fallback, allowed) for m, p in per_item.items() if p is not None}
        decisions["fused"] = voting.decide(proba["fused"], allowed, fallback)
        return decisions, proba
