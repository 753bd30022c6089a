"""MTCNN made cheaper for video: small proposals, full-size refinement, tracking between key frames.

    a batch of key frames (n, height, width, 3) uint8 RGB, all one size, normalised once (16 at a time)
      frame 0:   P-Net on a copy at most PROPOSAL_MAX_SIDE px  -> boxes x (1 / scale)
                 -> R-Net and O-Net on the full-size frame       -> faces
      frames 1+: O-Net alone on frame 0's largest face box (tracking: the face of a
                 talking head barely moves in a few seconds); a frame where O-Net
                 finds no face there goes through the whole cascade, as frame 0
      the next batch: tracked from the last face of this one (no search), up to
                 ``faces.SEARCH_EVERY`` key frames after the last search
      -> per frame: faces as MTCNN's own JSON (box x, y, width, height, confidence, keypoints)

The stages are the ``mtcnn`` package's own networks and weights (Zhang et al. 2016),
called one by one instead of through ``MTCNN.detect_faces``. Most of MTCNN's time is
P-Net over the image pyramid: at PROPOSAL_MAX_SIDE it costs a fraction of the full
size, and only once per batch of key frames; R-Net and O-Net see 24 and 48 px
patches, so refining at full size costs little and keeps the boxes as sharp as
full-size detection. On the real CREMA-D clips the same faces are found in the same
key frames (docs and test_faces.py).

Two engines run the stages (``ENGINES``):
  "onnx":       ``mtcnn_graphs``' stages: the networks as ONNX graphs run by onnxruntime,
                pre-processing in numpy; TensorFlow is never imported (it costs ~8 s).
                On the CREMA-D clips it finds the faces the "tensorflow" engine finds, in
                the same key frames, within 0.004 px and 1.3e-6 of confidence
                (test_detector_graphs.py), about 4x faster.
  "tensorflow": the mtcnn package's StagePNet, StageRNet, StageONet (tf.keras).

Limits: faces smaller than MIN_FACE_PIXELS at the proposal size (about 40 px in a
640 px frame) are not proposed; while a face is tracked, a larger face appearing
elsewhere is found at the next search (``faces.SEARCH_EVERY`` = 96 key frames, about
32 s at 30 fps).
"""

import contextlib
from typing import NamedTuple

import numpy as np

PROPOSAL_MAX_SIDE = 320  # px: longer side of the copy P-Net searches (faces from 40 px at 640 px)
MIN_FACE_PIXELS = 20  # MTCNN's smallest face, px, at the proposal size (its P-Net window is 12 px)
TRACK_MIN_IOU = 0.5  # a tracked face must overlap the box it was tracked from this much
ENGINES = ("onnx", "tensorflow")  # what runs the stages: see the module docstring


class Backend(NamedTuple):
    """What the cascade needs of an engine."""

    stages: tuple  # (pnet, rnet, onet): called as mtcnn's StagePNet, StageRNet, StageONet
    resize_area: object  # (images (n, h, w, 3), (new h, new w)) -> (n, new h, new w, 3), as tf.image.resize "area"
    no_box_errors: tuple  # exceptions a stage raises when left with no box ("onnx": (), empty rows instead)
    device: object  # () -> the context the stages run in


def tensorflow_backend():
    """The mtcnn package's tf.keras stages, on the CPU."""
    import tensorflow as tf
    from mtcnn.stages import StageONet, StagePNet, StageRNet

    def resize_area(images, size):
        return tf.image.resize(images, size, method="area")

    return Backend((StagePNet(), StageRNet(), StageONet()), resize_area, (tf.errors.InvalidArgumentError,),
                   lambda: tf.device("CPU:0"))  # fmt: skip


def onnx_backend():
    """mtcnn_graphs' stages on ONNX graphs (made first if missing: raises graphs.GraphsUnavailable if they
    cannot be); their empty arrays need no exception."""
    from avmodel import mtcnn_graphs

    return Backend(mtcnn_graphs.load_stages(), mtcnn_graphs.resize_area, (), contextlib.nullcontext)


class MTCNNCascade:
    """The three MTCNN stages, run as the module docstring says by ``engine`` (one of ENGINES).
    The engine loads on first use (``backend()``)."""

    def __init__(self, proposal_side=PROPOSAL_MAX_SIDE, track=True, min_face_size=MIN_FACE_PIXELS,
                 engine="tensorflow"):  # fmt: skip
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        self.proposal_side = proposal_side
        self.track = track
        self.min_face_size = min_face_size
        self.engine = engine
        self._backend = None

    def backend(self):
        """The engine's Backend, loaded on first use ("onnx": the graphs, made first if missing)."""
        if self._backend is None:
            self._backend = onnx_backend() if self.engine == "onnx" else tensorflow_backend()
        return self._backend

    def stages(self):
        """(pnet, rnet, onet) of the engine."""
        return self.backend().stages

    def detect(self, frames, anchor=None):
        """frames: list of (height, width, 3) uint8 RGB, all one size -> per frame a list of MTCNN face dicts.

        anchor: (x1, y1, x2, y2) pixels of the face in the key frame before these (from the previous
            batch): every frame is tracked from it. None: frame 0 is searched, the others tracked from it.
        """
        if not frames:
            return []
        with self.backend().device():
            images = (np.stack(frames).astype(np.float32) - 127.5) / 128  # MTCNN's normalisation, to [-1, 1]
            if not self.track:
                rows = self._cascade(images)
            elif anchor is not None:
                rows = self._tracked(images, np.array([0, *anchor, 1.0]))
            else:
                rows = self._first_then_tracked(images)
        return _to_json(rows, images.shape)

    def _first_then_tracked(self, images):
        """Rows of frame 0 by the cascade, of the others tracked from its largest face."""
        first = self._cascade(images[:1])
        if len(images) == 1:
            return first
        if not len(first):  # no face to track from: search every frame
            return self._cascade(images)
        rest = self._tracked(images[1:], first[np.argmax(_areas(first))])
        rest[:, 0] += 1  # frame index within the batch
        return np.concatenate([first, rest])

    def _tracked(self, images, anchor):
        """Rows of every frame by O-Net on the ``anchor`` row's box (a face there that still overlaps it by
        TRACK_MIN_IOU), and by the whole cascade in the frames where it is lost."""
        candidates = np.tile(_square(anchor[:6]), (len(images), 1))  # one per frame
        candidates[:, 0] = np.arange(len(images))
        tracked = self._onet(images, candidates)
        tracked = tracked[_iou(tracked[:, 1:5], anchor[1:5]) >= TRACK_MIN_IOU]
        lost = np.setdiff1d(np.arange(len(images)), tracked[:, 0].astype(int))
        again = self._cascade(images[lost]) if len(lost) else tracked[:0]
        again[:, 0] = lost[again[:, 0].astype(int)] if len(again) else again[:, 0]
        return np.concatenate([tracked, again])

    def _cascade(self, images):
        """P-Net at the proposal size, R-Net and O-Net at full size: (n_faces, 16) rows
        [frame, x1, y1, x2, y2, confidence, 10 keypoint coordinates] in full-size pixels."""
        backend = self.backend()
        pnet, rnet, _ = backend.stages
        count, height, width = images.shape[:3]
        scale = min(1.0, self.proposal_side / max(height, width))
        small = images
        if scale < 1:  # the copy P-Net searches
            small = backend.resize_area(images, (round(height * scale), round(width * scale)))
        shapes = np.array([[small.shape[1], small.shape[2], 3]] * count)
        try:
            boxes = pnet(images_normalized=small, images_oshapes=shapes, min_face_size=self.min_face_size)
            if not len(boxes):
                return _empty()
            boxes[:, 1:5] /= scale
            boxes = rnet(images_normalized=images, bboxes_batch=boxes)
            return self._onet(images, boxes) if len(boxes) else _empty()
        except backend.no_box_errors:  # what mtcnn's stages raise when one is left with no box
            return _empty()

    def _onet(self, images, boxes):
        """O-Net on square candidate ``boxes`` (rows as above; column 0 indexes ``images``), limited to the frame."""
        backend = self.backend()
        try:
            rows = backend.stages[2](images_normalized=images, bboxes_batch=boxes.copy())
        except backend.no_box_errors:
            return _empty()
        shapes = np.array([images.shape[1:]] * len(images))
        return _bboxes().limit_bboxes(rows, images_shapes=shapes, limit_landmarks=False) if len(rows) else _empty()


def _bboxes():
    """mtcnn.utils.bboxes, without importing TensorFlow (mtcnn_graphs.mtcnn_module)."""
    from avmodel.mtcnn_graphs import mtcnn_module

    return mtcnn_module("bboxes")


def _to_json(rows, shape):
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    return _bboxes().to_json(rows, images_count=shape[0], input_as_width_height=False, output_as_width_height=True)


def _empty():
    return np.zeros((0, 16))


def _areas(rows):
    return (rows[:, 3] - rows[:, 1]) * (rows[:, 4] - rows[:, 2])


def _square(row):
    """A face row's box as the square around its centre (what O-Net expects), same row layout."""
    return _bboxes().resize_to_square(row[None, :].copy())[0]


def _iou(boxes, box):
    """Intersection over union of (n, 4) boxes [x1, y1, x2, y2] with one box."""
    left, top = np.maximum(boxes[:, 0], box[0]), np.maximum(boxes[:, 1], box[1])
    right, bottom = np.minimum(boxes[:, 2], box[2]), np.minimum(boxes[:, 3], box[3])
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    union = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) + (box[2] - box[0]) * (box[3] - box[1]) - inter
    return inter / np.maximum(union, 1e-9)
