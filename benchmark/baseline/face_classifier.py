"""Visual branch of the baseline: key-frame faces -> 30x30 -> FaceAlexNet -> vote per clip.

    clip faces (k, FACE_SIZE, FACE_SIZE) uint8 -> (k, 30, 30, 1) -> FaceAlexNet
      -> (k, classes) -> majority vote (class) and mean (probabilities) per clip

Every face is labelled with its clip's label for training. The network is
trained from scratch, or first on FER2013 (``pretrain``: 48x48 faces resized
to 30x30, all seven labels) and then on the clips. Avots et al. choose key
frames by frame difference; here they are avmodel's key frames (one every
KEYFRAME_STRIDE frames), so both systems see the same frames.
"""

from dataclasses import asdict, dataclass

import numpy as np

from avmodel.constants import NUM_CLASSES, SEED
from avmodel.faces import resize_square
from benchmark.baseline import voting

FACE_SIDE = 30  # px: Avots et al.'s face size
PREDICT_BATCH = 256  # faces per inference batch


@dataclass(frozen=True)
class FaceTraining:
    """How the face network is trained (saved with the results)."""

    epochs: int = 10  # passes over the clips' faces (Avots et al.: 10)
    pretrain_epochs: int = 10  # passes over FER2013 in ``pretrain``
    batch_size: int = 64  # faces per step
    learning_rate: float = 1e-3  # Adam; from scratch (Avots et al. fine-tuned at 1e-4)
    flip: bool = True  # add a horizontally mirrored copy of every training face
    seed: int = SEED  # weights initialisation and shuffling


def to_face_side(faces, side=FACE_SIDE):
    """(k, h, w) uint8 grayscale faces -> (k, side, side, 1) uint8 (area-averaged resize)."""
    faces = np.asarray(faces, np.uint8)
    if faces.ndim != 3:
        raise ValueError(f"faces must have shape (k, height, width), got {faces.shape}")
    out = np.zeros((len(faces), side, side, 1), np.uint8)
    for i, face in enumerate(faces):
        out[i, ..., 0] = resize_square(face, side)
    return out


class FaceClassifier:
    """Avots et al.'s visual classifier: FaceAlexNet per key frame, majority vote per clip."""

    def __init__(self, training=FaceTraining(), model=None):
        self.training = training
        self.model = model
        self.prior = np.full(NUM_CLASSES, 1 / NUM_CLASSES)  # training class frequencies, set by fit

    def _network(self):
        if self.model is None:
            import keras

            from benchmark.baseline.face_net import FaceAlexNet

            keras.utils.set_random_seed(self.training.seed)
            self.model = FaceAlexNet()
        return self.model

    def _train(self, faces, labels, epochs):
        """faces (k, 30, 30, 1) uint8, labels (k,) -> Keras History."""
        import keras

        if self.training.flip:
            faces, labels = np.concatenate([faces, faces[:, :, ::-1]]), np.concatenate([labels, labels])
        model = self._network()
        model.compile(optimizer=keras.optimizers.Adam(self.training.learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
        keras.utils.set_random_seed(self.training.seed)
        return model.fit(faces, labels, epochs=epochs, batch_size=self.training.batch_size, shuffle=True, verbose=0)

    def pretrain(self, images, labels):
        """Train on face images (FER2013: (n, 48, 48) uint8, labels (n,) EMOTIONS indices); returns self."""
        self._train(to_face_side(images), np.asarray(labels, np.int64), self.training.pretrain_epochs)
        return self

    def fit(self, clips):
        """Train on every face of every clip (clips without a face add nothing); returns self."""
        faces, labels = labelled_faces(clips)
        if len(faces) == 0:
            raise ValueError("no faces to train the visual baseline on")
        self._train(to_face_side(faces), labels, self.training.epochs)
        self.prior = np.bincount(clips.labels, minlength=NUM_CLASSES) / len(clips)
        return self

    def frame_probabilities(self, clips):
        """Per-clip face probabilities: list of len(clips) arrays (k_i, NUM_CLASSES)."""
        counts = [len(f) for f in clips.faces]
        if sum(counts) == 0:
            return [np.zeros((0, NUM_CLASSES)) for _ in counts]
        faces = to_face_side(np.concatenate([f for f in clips.faces if len(f)]))
        proba = self._network().predict(faces, batch_size=PREDICT_BATCH, verbose=0)
        return np.split(np.asarray(proba, np.float64), np.cumsum(counts)[:-1])

    def predict_proba(self, clips):
        """(n, NUM_CLASSES) mean face probabilities; NaN rows for clips with no face."""
        return voting.clip_means(self.frame_probabilities(clips), NUM_CLASSES)

    def predict(self, clips, allowed=None):
        """(n,) majority vote over each clip's faces; clips with no face get the most frequent training class."""
        fallback = int(np.argmax(np.where(voting.allowed_mask(NUM_CLASSES, allowed), self.prior, -1)))
        return voting.clip_votes(self.frame_probabilities(clips), fallback, allowed)

    def settings(self):
        return asdict(self.training)


def labelled_faces(clips):
    """Every face of the clips with its clip's label: (k, h, w) uint8, (k,) int64."""
    faces = [np.asarray(f) for f in clips.faces if len(f)]
    labels = [np.full(len(f), label) for f, label in zip(clips.faces, clips.labels) if len(f)]
    if not faces:
        return np.zeros((0, 1, 1), np.uint8), np.zeros(0, np.int64)
    return np.concatenate(faces), np.concatenate(labels).astype(np.int64)
