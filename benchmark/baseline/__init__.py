"""The Avots et al. (2019) baseline, reproduced: hand-crafted audio features + SVM,
a small AlexNet on faces, decision-level fusion.

    clip -> (audio windows, face crops)                          [avmodel.clip / prepare]
         -> 400 ms segments -> 21 statistics + 13 MFCCs          [segments, descriptors, features]
         -> standardise -> RBF SVM -> majority vote per clip     [audio_svm]
         -> 30x30 faces -> FaceAlexNet -> majority vote per clip [face_net, face_classifier]
         -> highest of the 2 x classes probabilities             [voting.fuse_max]

``AvotsBaseline`` (avots.py) ties them together over a ``ClipSet`` (clipset.py),
the per-clip inputs of a prepared folder or of ``load_clip`` results. The
Adhikari & Joshi paper reports 44.5% for this system on eNTERFACE'05.
"""

from benchmark.baseline.audio_svm import AudioSVM
from benchmark.baseline.avots import MODALITIES, AvotsBaseline
from benchmark.baseline.clipset import ClipSet
from benchmark.baseline.face_classifier import FaceClassifier, FaceTraining
from benchmark.baseline.features import FEATURE_NAMES, N_FEATURES, segment_features
from benchmark.baseline.segments import SEGMENT_SAMPLES, segments_from_waveform, segments_from_windows
from benchmark.baseline.voting import fuse_max, majority_vote

__all__ = [
    "FEATURE_NAMES",
    "MODALITIES",
    "N_FEATURES",
    "SEGMENT_SAMPLES",
    "AudioSVM",
    "AvotsBaseline",
    "ClipSet",
    "FaceClassifier",
    "FaceTraining",
    "fuse_max",
    "majority_vote",
    "segment_features",
    "segments_from_waveform",
    "segments_from_windows",
]
