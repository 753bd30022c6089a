"""Faces: key frames -> MTCNN boxes -> square grayscale FACE_SIZE crops.

Per frame the detector's faces below FACE_MIN_CONFIDENCE are dropped and the
largest remaining one is kept (in a talking-head clip, the speaker). Its box
becomes a square centred on it, of side (1 + 2 * FACE_MARGIN) times its longer
side (0.9: FACE_MARGIN is -0.05, measured so that the eyes and mouth sit where
they do in FER2013's faces; scripts/crop_gallery.py), is cut out (edge pixels
repeat where the square leaves the frame), converted to grayscale and resized
to FACE_SIZE x FACE_SIZE.

The detector runs on one of two engines (``detector.ENGINES``): "onnx" (MTCNN's networks as ONNX graphs,
no TensorFlow import: what lets a clip be predicted from the shell in seconds) or "tensorflow" (the mtcnn
package's tf.keras stages). ``FaceDetector(engine="auto")`` takes "onnx" where onnxruntime is installed
and the graphs load (made once, into the cache, by ``mtcnn_graphs``), else "tensorflow".
"""

import logging
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from avmodel.constants import FACE_MARGIN, FACE_MIN_CONFIDENCE, FACE_SIZE

log = logging.getLogger(__name__)

# Key frames per detector call. The fast cascade tracks the face from batch to batch, so this bounds
# memory, not how often it searches: on the 30 s CREMA-D clip (89 key frames) 8, 16 and 32 took
# 1.03, 0.73 and 0.92 s (median of 3); a float32 batch of 16 frames of 640x480 is 59 MB.
DETECT_BATCH = 16
# Key frames the fast cascade may track a face through before it searches the whole frame again
# (a larger face that came into view is found then): about 32 s at 30 fps.
SEARCH_EVERY = 96
MIN_FACE_PIXELS = 20  # MTCNN's smallest detectable face side, px
TIGHT_CROP_MAX_SIDE = 2 * FACE_SIZE  # images up to this size may already be a face crop
# px: a still image with a shorter side cannot hold a face. MTCNN finds none smaller than
# MIN_FACE_PIXELS, and used whole such an image would be blown up more than 4.8x to FACE_SIZE
# (FER2013's 48 px faces, the smallest the face network learnt from, are blown up 2x).
MIN_FACE_IMAGE_SIDE = MIN_FACE_PIXELS


@dataclass(frozen=True)
class Box:
    """A face box in pixels: top-left corner, width, height, detector confidence,
    and MTCNN's five keypoints {name: (x, y) pixels} (left_eye, right_eye, nose,
    mouth_left, mouth_right; empty when not known).
    """

    x: float
    y: float
    width: float
    height: float
    confidence: float
    keypoints: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def area(self):
        return self.width * self.height


class FaceDetector:
    """MTCNN on batches of same-sized RGB frames; the engine (and TensorFlow, if it is used) loads on first use.

    mode: "fast" (the default: ``detector.MTCNNCascade``, proposals at a small size, refinement at full
          size, tracking between key frames) or "full" (``mtcnn.MTCNN.detect_faces`` on every frame at
          full size, as releases 1-3 did; always on TensorFlow).
    engine: what runs the fast mode: "auto" (the default: "onnx" where onnxruntime is installed and the
          graphs load or can be made, else "tensorflow", with a warning when making them failed), "onnx"
          or "tensorflow". ``engine_used`` says which, once the detector has run.
    """

    MODES = ("fast", "full")
    ENGINES = ("auto", "onnx", "tensorflow")

    def __init__(self, min_confidence=FACE_MIN_CONFIDENCE, min_face_size=MIN_FACE_PIXELS, mode="fast", engine="auto"):
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}")
        if engine not in self.ENGINES:
            raise ValueError(f"engine must be one of {self.ENGINES}, got {engine!r}")
        if mode == "full" and engine == "onnx":
            raise ValueError('mode "full" runs on TensorFlow only: use engine "auto" or "tensorflow"')
        self.min_confidence = min_confidence
        self.min_face_size = min_face_size
        self.mode = mode
        self.engine = engine
        self._mtcnn = None

    @property
    def engine_used(self):
        """"onnx" or "tensorflow" once the detector is loaded, else None."""
        if self._mtcnn is None:
            return None
        return getattr(self._mtcnn, "engine", "tensorflow")

    def _model(self):
        if self._mtcnn is None:
            from importlib.util import find_spec

            if find_spec("mtcnn") is None:  # pragma: no cover - depends on the install
                raise ImportError("face detection needs `pip install mtcnn tensorflow`")
            if self.mode == "fast":
                self._mtcnn = self._cascade()
            else:
                import mtcnn

                self._mtcnn = mtcnn.MTCNN(device="CPU:0")
        return self._mtcnn

    def _cascade(self):
        """The fast mode's MTCNNCascade on the engine ``engine`` asks for, its backend loaded."""
        from avmodel import graphs
        from avmodel.detector import MTCNNCascade

        engine = self.engine
        if engine == "auto":
            engine = "onnx" if graphs.available() else "tensorflow"
        cascade = MTCNNCascade(min_face_size=self.min_face_size, engine=engine)
        try:
            cascade.backend()  # "onnx": loads the graphs, making them first if missing
        except graphs.GraphsUnavailable as error:
            if self.engine != "auto":
                raise
            log.warning("face detection runs on TensorFlow: the MTCNN graphs are not available (%s)", error)
            cascade = MTCNNCascade(min_face_size=self.min_face_size, engine="tensorflow")
        return cascade

    def detect(self, frames, previous=None):
        """Best face box of each frame, or None where there is no face.

        frames: list of (height, width, 3) uint8 RGB arrays, all the same size.
        previous: the Box of the key frame just before these; the fast mode tracks it into
            them (and searches where it is lost) instead of searching the first frame.
        """
        if not frames:
            return []
        if self.mode == "fast":
            anchor = None if previous is None else (previous.x, previous.y, previous.x + previous.width,
                                                    previous.y + previous.height)  # fmt: skip
            found = self._model().detect(list(frames), anchor)
        else:
            found = self._model().detect_faces(list(frames), min_face_size=self.min_face_size)
        return [self.best_box(faces) for faces in found]

    def best_box(self, faces):
        """The largest face at or above the confidence threshold, else None."""
        boxes = [
            Box(*face["box"], confidence=float(face["confidence"]), keypoints=_keypoints(face))
            for face in faces
            if face["confidence"] >= self.min_confidence
        ]
        return max(boxes, key=lambda box: box.area, default=None)


def _keypoints(face):
    """MTCNN's {name: [x, y]} -> {name: (x, y)} float pixels."""
    return {name: (float(x), float(y)) for name, (x, y) in face.get("keypoints", {}).items()}


def to_gray(image):
    """(height, width, 3) RGB or (height, width) gray uint8 -> (height, width) uint8 (ITU-R 601 luma)."""
    if image.ndim == 2:
        return image
    return np.asarray(Image.fromarray(image[..., :3]).convert("L"))


def square_around(box, margin=FACE_MARGIN):
    """Square (left, top, side) in pixels centred on the box, of side (1 + 2 * margin) times
    the box's longer side (a negative margin cuts inside the box)."""
    side = max(box.width, box.height) * (1 + 2 * margin)
    centre_x, centre_y = box.x + box.width / 2, box.y + box.height / 2
    return round(centre_x - side / 2), round(centre_y - side / 2), max(1, round(side))


def crop_face(image, box, size=FACE_SIZE, margin=FACE_MARGIN):
    """Cut the face out of a frame.

    image: (height, width, 3) uint8 RGB -> (size, size) uint8 grayscale
    """
    gray = to_gray(image)
    left, top, side = square_around(box, margin)
    pad = max(0, -left, -top, left + side - gray.shape[1], top + side - gray.shape[0])
    if pad:
        gray = np.pad(gray, pad, mode="edge")
    patch = gray[top + pad : top + pad + side, left + pad : left + pad + side]
    return resize_square(patch, size)


def resize_square(gray, size=FACE_SIZE):
    """(h, w) uint8 -> (size, size) uint8, area-averaging when shrinking."""
    return np.asarray(Image.fromarray(gray).resize((size, size), Image.BILINEAR, reducing_gap=2.0))


def detect_and_crop(frames, detector, batch_size=None):
    """Key frames -> crops and a found-mask, detecting in batches of ``batch_size`` (DETECT_BATCH).

    frames: iterable of (height, width, 3) uint8 RGB arrays, all the same size
    Returns crops (n, FACE_SIZE, FACE_SIZE) uint8 (zeros where no face) and
    found (n,) bool.
    """
    batch_size = batch_size or DETECT_BATCH
    crops, found, batch = [], [], []
    previous, unsearched = None, 0  # the last face found, and key frames tracked since the last search
    for frame in frames:
        batch.append(frame)
        if len(batch) == batch_size:
            previous, unsearched = _crop_batch(batch, detector, crops, found, previous, unsearched)
            batch = []
    _crop_batch(batch, detector, crops, found, previous, unsearched)
    if not crops:
        return np.zeros((0, FACE_SIZE, FACE_SIZE), np.uint8), np.zeros(0, bool)
    return np.stack(crops), np.asarray(found, bool)


def _crop_batch(batch, detector, crops, found, previous, unsearched):
    """Detect and crop one batch, tracking from ``previous`` (the face of the key frame before it)
    unless SEARCH_EVERY key frames have been tracked since the last search. Returns the next
    (previous, unsearched)."""
    track_from = previous if previous is not None and unsearched < SEARCH_EVERY else None
    boxes = detector.detect(batch, previous=track_from) if batch else []
    for frame, box in zip(batch, boxes):
        found.append(box is not None)
        crops.append(crop_face(frame, box) if box else np.zeros((FACE_SIZE, FACE_SIZE), np.uint8))
    last = next((box for box in reversed(boxes) if box is not None), None)
    if track_from is None:  # this batch searched its first frame and tracked the rest
        return last, len(batch) - 1
    return last, unsearched + len(batch)


def is_tight_crop(image):
    """True for a small, roughly square image that can only be a face crop (e.g. FER2013's 48x48).

    Images with a side under MIN_FACE_IMAGE_SIDE hold no face at all, so they are never one.
    """
    height, width = image.shape[:2]
    if min(height, width) < MIN_FACE_IMAGE_SIDE:
        return False
    return max(height, width) <= TIGHT_CROP_MAX_SIDE and 0.8 <= width / height <= 1.25


def whole_image_face(image, size=FACE_SIZE):
    """An image used whole as the face: (h, w[, 3]) uint8 -> (size, size) uint8 grayscale."""
    return resize_square(to_gray(image), size)
