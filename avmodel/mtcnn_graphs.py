"""MTCNN's three networks as ONNX graphs, and its stages around them in numpy: face detection without TensorFlow.

    the mtcnn package's PNet, RNet, ONet (tf.keras, weights pnet/rnet/onet.lz4)
      -> export_mtcnn_graphs (Keras + tf2onnx, once per mtcnn version: ~10 s) -> graph folder in the cache:
           pnet.onnx  (batch, height, width, 3) -> (batch, h', w', 4) box offsets, (batch, h', w', 2) face scores
           rnet.onnx  (batch, 24, 24, 3)        -> (batch, 4) box offsets, (batch, 2) face scores
           onet.onnx  (batch, 48, 48, 3)        -> (batch, 4) box offsets, (batch, 10) keypoints, (batch, 2) scores
           graphs.json  the mtcnn version and the error measured against Keras
      -> load_stages -> (GraphPNet, GraphRNet, GraphONet): called as mtcnn's StagePNet, StageRNet, StageONet
         (same arguments, same rows), what ``detector.MTCNNCascade(engine="onnx")`` runs

Images are MTCNN-normalised, (pixel - 127.5) / 128, float32 (batch, height, width, 3). The stages are
mtcnn 1.0.0's ``__call__`` line for line; what they took from TensorFlow is here in numpy: ``resize_area``
(tf.image.resize, method "area", for the scale pyramid and the proposal copy) and ``crop_and_resize``
(tf.image.crop_and_resize, bilinear, extrapolation 0, for the R-Net and O-Net patches). The box
arithmetic is mtcnn's own: ``mtcnn_module("bboxes")`` and ``("landmarks")`` are loaded from the package's
files (pure numpy) without running ``mtcnn/__init__.py``, which imports TensorFlow (see ``mtcnn_module``).

The graphs are checked against the Keras networks when they are made: on random normalised images each
output must agree within MTCNN_TOLERANCE, else no graph folder is written (GraphsUnavailable).
"""

import importlib.util
import json
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from avmodel.graphs import GRAPH_INFO, Graph, GraphsUnavailable, available, building, cache_root, cached

MTCNN_FORMAT = 1  # bump when what export_mtcnn_graphs writes changes: old folders are then not used
MTCNN_TOLERANCE = 1e-4  # largest |ONNX - Keras| allowed on any output of the test batch
# network name -> (weights file in mtcnn/assets/weights, input shape without the batch axis)
NETWORKS = {"pnet": ("pnet.lz4", (None, None, 3)), "rnet": ("rnet.lz4", (24, 24, 3)),
            "onet": ("onet.lz4", (48, 48, 3))}  # fmt: skip
TEST_ROWS = 4  # test batch: random normalised images, uniform in [-1, 1]
PNET_TEST_SIDE = (57, 83)  # px (height, width) of the P-Net test images: odd sizes, as pyramid levels are
RNET_SIZE, ONET_SIZE = (24, 24), (48, 48)  # px (height, width) of the R-Net and O-Net patches


# --- mtcnn's numpy helpers, without TensorFlow ------------------------------------


@cache
def mtcnn_module(name):
    """mtcnn.utils.<name> ("bboxes" or "landmarks") loaded from the installed package's file, not imported.

    ``import mtcnn.utils.bboxes`` would run ``mtcnn/__init__.py``, which imports TensorFlow (8 s). The two
    files are pure numpy, so each is executed from its path as a private module (not put in sys.modules, so
    a later ``import mtcnn`` gets the real package). bboxes.py's one import of the package,
    ``from mtcnn.utils.landmarks import parse_landmarks``, is answered with the landmarks module loaded the
    same way, through an ``__import__`` of that module's own builtins (nothing global changes).
    """
    spec = importlib.util.find_spec("mtcnn")  # finds the package's folder without importing it
    if spec is None:
        raise ImportError("face detection needs `pip install mtcnn`")
    path = Path(spec.submodule_search_locations[0], "utils", f"{name}.py")
    module_spec = importlib.util.spec_from_file_location(f"avmodel._mtcnn_{name}", path)
    module = importlib.util.module_from_spec(module_spec)
    module.__dict__["__builtins__"] = _builtins_importing({"mtcnn.utils.landmarks": "landmarks"})
    module_spec.loader.exec_module(module)
    return module


def _builtins_importing(aliases):
    """A builtins dict whose ``__import__`` answers {module name: mtcnn_module name} from mtcnn_module."""
    import builtins

    def importer(name, globals=None, locals=None, fromlist=(), level=0):
        if name in aliases and level == 0:
            return mtcnn_module(aliases[name])
        return builtins.__import__(name, globals, locals, fromlist, level)

    return {**vars(builtins), "__import__": importer}


class _Eager:
    """A numpy array seen as an eager tf.Tensor: what mtcnn's generate_bounding_box and adjust_landmarks read
    of the network outputs is ``.numpy()``."""

    def __init__(self, array):
        self.array = array

    def numpy(self):
        return self.array


# --- tf.image in numpy --------------------------------------------------------------


def resize_area(images, size):
    """tf.image.resize(images, size, method="area") in numpy (TensorFlow's ResizeArea, no corner alignment).

    images: (batch, height, width, channels) float32; size: (new height, new width), floats truncated as
    TensorFlow does -> (batch, new height, new width, channels) float32. Each output pixel is the mean of the
    input area it covers, partly covered pixels weighted by the part.
    """
    images = np.asarray(images, np.float32)
    new_height, new_width = (int(side) for side in size)
    rows, row_weights = _area_weights(images.shape[1], new_height)
    columns, column_weights = _area_weights(images.shape[2], new_width)
    tall = np.einsum("nokwc,ok->nowc", images[:, rows], row_weights)  # (batch, new height, width, channels)
    return np.einsum("nhokc,ok->nhoc", tall[:, :, columns], column_weights).astype(np.float32)


def _area_weights(size, new_size):
    """Input indices and weights of each output cell along one axis: (new_size, span) int, (new_size, span)
    float32 that sum to 1 per row (span: the most input cells one output cell touches; unused ones weigh 0)."""
    scale = np.float32(size / new_size)  # TensorFlow's CalculateResizeScale, in float32
    starts = np.arange(new_size, dtype=np.float32) * scale  # (new_size,) input coordinate of each cell's start
    ends = np.arange(1, new_size + 1, dtype=np.float32) * scale
    first = np.floor(starts).astype(int)
    span = int((np.ceil(ends).astype(int) - first).max())
    index = first[:, None] + np.arange(span)  # (new_size, span)
    low = np.maximum(index, starts[:, None])
    high = np.minimum(index + 1, ends[:, None])
    weights = np.clip(high - low, 0, None) / scale  # the covered part of each input cell, over the cell's size
    return np.clip(index, 0, size - 1), weights.astype(np.float32)


def crop_and_resize(images, boxes, box_indices, crop_size):
    """tf.image.crop_and_resize(images, boxes, box_indices, crop_size) in numpy (bilinear, extrapolation 0).

    images: (batch, height, width, channels) float32
    boxes: (n, 4) [y1, x1, y2, x2] normalised: 0 and 1 are the first and last pixel centres (times height - 1)
    box_indices: (n,) int, the image of each box; crop_size: (crop height, crop width)
    -> (n, crop height, crop width, channels) float32; samples outside the image are 0
    """
    images = np.asarray(images, np.float32)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    height, width = images.shape[1:3]
    in_y = _sample_points(boxes[:, 0], boxes[:, 2], height, crop_size[0])  # (n, crop height)
    in_x = _sample_points(boxes[:, 1], boxes[:, 3], width, crop_size[1])  # (n, crop width)
    top, bottom, y_lerp = _neighbours(in_y, height)
    left, right, x_lerp = _neighbours(in_x, width)
    image = np.asarray(box_indices, int)
    y_lerp, x_lerp = y_lerp[:, :, None, None], x_lerp[:, None, :, None]
    upper = _lerp(_pixels(images, image, top, left), _pixels(images, image, top, right), x_lerp)
    lower = _lerp(_pixels(images, image, bottom, left), _pixels(images, image, bottom, right), x_lerp)
    crops = _lerp(upper, lower, y_lerp)  # (n, crop height, crop width, channels)
    inside = ((in_y >= 0) & (in_y <= height - 1))[:, :, None] & ((in_x >= 0) & (in_x <= width - 1))[:, None, :]
    return np.where(inside[..., None], crops, np.float32(0))


def _pixels(images, image, rows, columns):
    """images (batch, h, w, c) at (n,) image indices, (n, rows) and (n, columns) -> (n, rows, columns, c)."""
    return images[image[:, None, None], rows[:, :, None], columns[:, None, :]]


def _sample_points(start, end, size, count):
    """(n,) normalised box edges along an axis of ``size`` px -> (n, count) float32 sample coordinates (px)."""
    if count == 1:  # TensorFlow samples the box centre
        return (0.5 * (start + end) * (size - 1))[:, None].astype(np.float32)
    last = np.float32(size - 1)  # px: the last pixel centre
    step = (end - start) * last / np.float32(count - 1)  # (n,) px between samples
    return (start[:, None] * last + np.arange(count, dtype=np.float32) * step[:, None]).astype(np.float32)


def _neighbours(coordinates, size):
    """Sample coordinates -> the pixel index below and above each (clipped into the image) and the fraction."""
    low = np.floor(coordinates)
    high = np.ceil(coordinates)
    fraction = (coordinates - low).astype(np.float32)
    return np.clip(low, 0, size - 1).astype(int), np.clip(high, 0, size - 1).astype(int), fraction


def _lerp(first, second, fraction):
    return first + (second - first) * fraction


# --- the stages -------------------------------------------------------------------


def build_scale_pyramid(width, height, min_face_size, scale_factor, min_size=12):
    """mtcnn.utils.images.build_scale_pyramid (pure numpy, but in a module that imports TensorFlow):
    (levels,) scales of the P-Net pyramid, the first making a min_face_size face min_size px."""
    min_dim = min(width, height)
    scales_count = round(-((np.log(min_dim / min_size) / np.log(scale_factor)) + 1))
    return min_size / min_face_size * scale_factor ** np.arange(scales_count)


def apply_scales(images_normalized, scales_groups):
    """mtcnn.utils.images.apply_scales with resize_area: the images at each scale of the longest group.

    images_normalized: (batch, height, width, 3) -> ([(batch, height * scale, width * scale, 3)], (levels,))
    """
    largest = scales_groups[int(np.argmax([scales.shape[0] for scales in scales_groups]))]
    shape = np.asarray(images_normalized.shape[-3:-1])
    return [resize_area(images_normalized, shape * scale) for scale in largest], largest


def extract_patches(images_normalized, bboxes_batch, expected_size):
    """mtcnn.utils.images.extract_patches with crop_and_resize: (n, 5+) rows [image, x1, y1, x2, y2, ...]
    in pixels -> (n, *expected_size, 3) float32 patches of images_normalized (batch, height, width, 3)."""
    height, width = images_normalized.shape[1:3]
    boxes = bboxes_batch[:, [2, 1, 4, 3]] / np.asarray([[height, width, height, width]])
    return crop_and_resize(images_normalized, boxes, bboxes_batch[:, 0].astype(int), expected_size)


class GraphPNet:
    """mtcnn's StagePNet.__call__ with P-Net as a Graph: (batch, height, width, 3) normalised images ->
    (n, 6) square proposal rows [image, x1, y1, x2, y2, confidence] in pixels."""

    def __init__(self, graph):
        self.graph = graph

    def __call__(self, images_normalized, images_oshapes, min_face_size=20, min_size=12, scale_factor=0.709,
                 threshold_pnet=0.6, nms_pnet1=0.5, nms_pnet2=0.7, **kwargs):  # fmt: skip
        bboxes = mtcnn_module("bboxes")
        scales_groups = [build_scale_pyramid(shape[1], shape[0], min_face_size=min_face_size,
                                             scale_factor=scale_factor) for shape in images_oshapes]  # fmt: skip
        scales_result, scales_index = apply_scales(np.asarray(images_normalized, np.float32), scales_groups)
        batch_size = images_normalized.shape[0]
        results = [self.graph.run(scaled) for scaled in scales_result]
        proposals = [bboxes.generate_bounding_box(_Eager(offsets), _Eager(scores), threshold_pnet)
                     for offsets, scores in results]  # fmt: skip
        upscaled = [bboxes.upscale_bboxes(box, np.asarray([scale] * batch_size))
                    for box, scale in zip(proposals, scales_index)]  # fmt: skip
        kept = [bboxes.smart_nms_from_bboxes(box, threshold=nms_pnet1, method="union", initial_sort=False)
                for box in upscaled]  # fmt: skip
        rows = np.concatenate(kept, axis=0) if len(kept) > 0 else np.empty((0, 6))
        rows = bboxes.smart_nms_from_bboxes(rows, threshold=nms_pnet2, method="union", initial_sort=True)
        return bboxes.resize_to_square(rows)


class GraphRNet:
    """mtcnn's StageRNet.__call__ with R-Net as a Graph: proposal rows (n, 6) -> refined square rows (m, 6)."""

    def __init__(self, graph):
        self.graph = graph

    def __call__(self, images_normalized, bboxes_batch, threshold_rnet=0.7, nms_rnet=0.7, **kwargs):
        bboxes = mtcnn_module("bboxes")
        if not len(bboxes_batch):
            return np.empty((0, 6))
        patches = extract_patches(images_normalized, bboxes_batch, expected_size=RNET_SIZE)
        offsets, scores = self.graph.run(patches)
        rows = bboxes.replace_confidence(bboxes_batch, scores)
        rows = bboxes.adjust_bboxes(rows, offsets)
        rows = bboxes.pick_matches(rows, score_threshold=threshold_rnet)
        rows = bboxes.smart_nms_from_bboxes(rows, threshold=nms_rnet, method="union", initial_sort=True)
        return bboxes.resize_to_square(rows)


class GraphONet:
    """mtcnn's StageONet.__call__ with O-Net as a Graph: square rows (n, 6) -> face rows (m, 16)
    [image, x1, y1, x2, y2, confidence, 5 keypoint x, 5 keypoint y] in pixels."""

    def __init__(self, graph):
        self.graph = graph

    def __call__(self, images_normalized, bboxes_batch, threshold_onet=0.8, nms_onet=0.7, **kwargs):
        bboxes, landmarks = mtcnn_module("bboxes"), mtcnn_module("landmarks")
        if not len(bboxes_batch):
            return np.empty((0, 16))
        patches = extract_patches(images_normalized, bboxes_batch, expected_size=ONET_SIZE)
        offsets, keypoints, scores = self.graph.run(patches)
        keypoints = landmarks.adjust_landmarks(_Eager(keypoints), bboxes_batch)
        rows = bboxes.replace_confidence(bboxes_batch, scores)
        rows = bboxes.adjust_bboxes(rows, offsets)
        rows = np.concatenate([rows, keypoints], axis=-1)
        rows = bboxes.pick_matches(rows, scores_column=5, score_threshold=threshold_onet)
        return bboxes.smart_nms_from_bboxes(rows, threshold=nms_onet, method="min", initial_sort=True)


def load_stages(build=True):
    """(GraphPNet, GraphRNet, GraphONet) on the cached graphs, made first when ``build`` and missing."""
    pnet, rnet, onet = load_mtcnn_graphs(build)
    return GraphPNet(pnet), GraphRNet(rnet), GraphONet(onet)


# --- making the graphs -------------------------------------------------------------


def mtcnn_version():
    """The installed mtcnn package's version (read from its metadata, not by importing it)."""
    try:
        return metadata.version("mtcnn")
    except metadata.PackageNotFoundError as error:
        raise ImportError("face detection needs `pip install mtcnn`") from error


def mtcnn_graph_dir():
    """The cache folder of the MTCNN graphs: cache_root()/graphs/mtcnn-<mtcnn version>-<MTCNN_FORMAT>."""
    return cache_root() / "graphs" / f"mtcnn-{mtcnn_version()}-{MTCNN_FORMAT}"


def load_mtcnn_graphs(build=True):
    """(pnet, rnet, onet) Graphs from the cache, made first when ``build`` and missing.

    Raises GraphsUnavailable when onnxruntime is missing or the graphs cannot be made.
    """
    if not available():
        raise GraphsUnavailable("onnxruntime is not installed")
    return cached(mtcnn_graph_dir(), export_mtcnn_graphs, read_mtcnn_graphs, "the MTCNN graphs", build)


def read_mtcnn_graphs(folder):
    """(pnet, rnet, onet) Graphs of a made folder."""
    return tuple(Graph(folder / f"{name}.onnx") for name in NETWORKS)


def export_mtcnn_graphs():
    """Make the MTCNN graph folder (see the module docstring); returns it.

    Needs TensorFlow, Keras and tf2onnx. Written to a temporary folder beside the final one and renamed into
    place only once every graph agrees with Keras (avmodel.graphs' pattern: a crash leaves no half-made folder).
    """
    try:
        import tf2onnx  # noqa: F401  (what keras.Model.export(format="onnx") uses on TensorFlow)
    except ImportError as error:
        raise GraphsUnavailable("making the MTCNN graphs needs `pip install tf2onnx onnxruntime`") from error
    final = mtcnn_graph_dir()
    with building(final) as work:
        info = {"format": MTCNN_FORMAT, "mtcnn": mtcnn_version(), "max_error": {}}
        for name in NETWORKS:
            info["max_error"][name] = export_network_checked(name, work / f"{name}.onnx")
        (work / GRAPH_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return final


def keras_network(name):
    """The mtcnn package's network ``name`` ("pnet", "rnet", "onet") with its weights, built as its stage does."""
    from mtcnn.network.onet import ONet
    from mtcnn.network.pnet import PNet
    from mtcnn.network.rnet import RNet
    from mtcnn.utils.tensorflow import load_weights

    model = {"pnet": PNet, "rnet": RNet, "onet": ONet}[name]()
    model.build()
    model.set_weights(load_weights(NETWORKS[name][0]))
    return model


def export_network_checked(name, path):
    """Export network ``name`` to ``path`` and return the largest |ONNX - Keras| over its outputs on a test
    batch; raises GraphsUnavailable above MTCNN_TOLERANCE (or when the outputs differ in number or shape)."""
    import keras

    model = keras_network(name)
    shape = NETWORKS[name][1]
    spec = [keras.InputSpec(shape=(None, *shape), dtype="float32")]
    model.export(str(path), format="onnx", input_signature=spec, verbose=False)
    example = test_images(shape)
    expected = [keras.ops.convert_to_numpy(output) for output in model(example, training=False)]
    actual = Graph(path).run(example)
    if [output.shape for output in actual] != [output.shape for output in expected]:
        raise GraphsUnavailable(f"the ONNX graph of {name} has other outputs than Keras")
    error = max(float(np.max(np.abs(got - want))) for got, want in zip(actual, expected))
    if not error <= MTCNN_TOLERANCE:  # also catches NaN
        raise GraphsUnavailable(f"the ONNX graph of {name} differs from Keras by {error:.2g}")
    return error


def test_images(shape, rows=TEST_ROWS, seed=0):
    """(rows, height, width, 3) float32 normalised images, uniform in [-1, 1]; None sides get PNET_TEST_SIDE."""
    height, width = (side or default for side, default in zip(shape[:2], PNET_TEST_SIDE))
    return np.random.default_rng(seed).uniform(-1, 1, (rows, height, width, shape[2])).astype(np.float32)
