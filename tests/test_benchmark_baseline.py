"""The baseline's classes on synthetic clips: AudioSVM, FaceAlexNet, AvotsBaseline."""

import numpy as np
import pytest

from avmodel.audio import make_windows
from avmodel.constants import EMOTIONS, FACE_SIZE, SAMPLE_RATE
from benchmark.baseline import AudioSVM, AvotsBaseline, ClipSet, FaceClassifier, FaceTraining

TONES = {"angry": 250, "happy": 700, "sad": 1500}  # Hz: one pitch per class


def synthetic_clips(per_class=6, seed=0, faces=True):
    """Clips of a noisy tone per class; faces: a bright square whose position depends on the class."""
    rng = np.random.default_rng(seed)
    ids, labels, windows, crops = [], [], [], []
    for k, (label, hz) in enumerate(TONES.items()):
        for i in range(per_class):
            t = np.arange(int(1.6 * SAMPLE_RATE)) / SAMPLE_RATE
            wave = np.sin(2 * np.pi * hz * (1 + 0.02 * rng.standard_normal()) * t) + 0.3 * rng.standard_normal(len(t))
            windows.append(make_windows(wave.astype(np.float32))[0])
            face = rng.integers(0, 40, (2, FACE_SIZE, FACE_SIZE)).astype(np.uint8)
            face[:, 30 * k : 30 * k + 30, 20:70] = 220
            crops.append(face if faces else face[:0])
            ids.append(f"{label}-{i}")
            labels.append(EMOTIONS.index(label))
    n = len(ids)
    return ClipSet(ids, np.array(labels), windows, crops, [""] * n,
                   [np.zeros(1, np.float32)] * n, [np.zeros(len(c), np.float32) for c in crops])  # fmt: skip


def test_audio_svm_learns_tones_and_returns_every_class_column():
    train, test = synthetic_clips(seed=0), synthetic_clips(per_class=3, seed=1)
    svm = AudioSVM().fit(train)
    proba = svm.predict_proba(test)
    assert proba.shape == (len(test), len(EMOTIONS))
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-6)
    assert proba[:, EMOTIONS.index("neutral")].max() == 0  # never seen in training
    assert np.mean(svm.predict(test) == test.labels) >= 0.8


def test_clipset_subset_keeps_cached_features():
    clips = synthetic_clips(per_class=2)
    AudioSVM().fit(clips)
    part = clips.subset([0, 3])
    assert part.clip_ids == [clips.clip_ids[0], clips.clip_ids[3]]
    assert len(part.cache["audio_features"]) == 2


def test_baseline_fuses_and_falls_back_without_faces():
    training = FaceTraining(epochs=3, batch_size=16)
    baseline = AvotsBaseline(visual=FaceClassifier(training)).fit(synthetic_clips())
    test = synthetic_clips(per_class=2, seed=2, faces=False)
    decisions, proba = baseline.predict_with_proba(test, allowed=[EMOTIONS.index(x) for x in TONES])
    assert set(decisions) == {"audio", "visual", "fused"}
    assert np.isnan(proba["visual"]).all()  # no faces: visual probabilities are missing ...
    np.testing.assert_array_equal(proba["fused"], proba["audio"])  # ... and the fusion rests on the audio
    assert np.mean(decisions["fused"] == test.labels) >= 0.8


def test_face_alexnet_shapes_and_config_round_trip():
    from benchmark.baseline.face_net import FACE_SIDE, FaceAlexNet

    model = FaceAlexNet(dense_units=(16, 16))
    out = np.asarray(model(np.zeros((2, FACE_SIDE, FACE_SIDE, 1), np.float32)))
    assert out.shape == (2, len(EMOTIONS))
    np.testing.assert_allclose(out.sum(axis=1), 1, atol=1e-5)
    assert model.get_layer("alex_block5_pool").output.shape[1:] == (2, 2, 128)
    assert FaceAlexNet.from_config(model.get_config()).get_config() == model.get_config()
    with pytest.raises(ValueError, match="five convolutions"):
        FaceAlexNet(filters=(8, 8))
