"""Faces: MTCNN finds the astronaut, crops are square, grey, 96x96 and centred on her face."""

import numpy as np
from PIL import Image

from avmodel import faces
from avmodel.constants import FACE_SIZE
from tests import media


def test_astronaut_face_is_found_and_cropped(media_dir, detector):
    image = np.asarray(Image.open(media.astronaut_png(media_dir)))
    (box,) = detector.detect([image])
    assert box is not None and box.confidence > 0.95
    assert 80 < box.x + box.width / 2 < 160 and 20 < box.y + box.height / 2 < 110  # her face, upper middle
    crop = faces.crop_face(image, box)
    assert crop.shape == (FACE_SIZE, FACE_SIZE) and crop.dtype == np.uint8
    assert crop.std() > 20  # a face, not a flat patch


def test_no_face_in_noise(media_dir, detector):
    noise = np.asarray(Image.open(media.noise_png(media_dir)))
    assert detector.detect([noise]) == [None]


def test_largest_confident_face_wins():
    detector = faces.FaceDetector(min_confidence=0.9)
    found = [
        {"box": [0, 0, 10, 10], "confidence": 0.99},
        {"box": [50, 50, 40, 40], "confidence": 0.95},
        {"box": [0, 0, 200, 200], "confidence": 0.5},
    ]
    assert detector.best_box(found).width == 40
    assert detector.best_box([]) is None


def test_crop_at_the_frame_edge_repeats_edge_pixels():
    image = np.full((100, 100, 3), 200, np.uint8)
    crop = faces.crop_face(image, faces.Box(-20, -20, 60, 60, 1.0))
    assert crop.shape == (FACE_SIZE, FACE_SIZE) and (crop == 200).all()


def test_batches_keep_frame_order(media_dir, detector):
    face = np.asarray(Image.open(media.astronaut_png(media_dir)))
    noise = np.asarray(Image.open(media.noise_png(media_dir)).resize((256, 256)))
    crops, found = faces.detect_and_crop([face, noise, face, noise, face], detector, batch_size=2)
    assert found.tolist() == [True, False, True, False, True]
    assert crops.shape == (5, FACE_SIZE, FACE_SIZE) and not crops[1].any()


def test_tight_crop_is_recognised():
    assert faces.is_tight_crop(np.zeros((48, 48), np.uint8))
    assert not faces.is_tight_crop(np.zeros((480, 640, 3), np.uint8))
    assert faces.whole_image_face(np.zeros((48, 48, 3), np.uint8)).shape == (FACE_SIZE, FACE_SIZE)
