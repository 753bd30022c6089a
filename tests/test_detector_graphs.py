"""The face detector on ONNX graphs (avmodel.mtcnn_graphs): the same faces as on TensorFlow, numpy
pre-processing equal to tf.image's, and detection that never imports TensorFlow.

The graphs are made once per test session, into a temporary cache (AVMODEL_CACHE)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from avmodel import decode, faces, graphs, mtcnn_graphs
from avmodel.detector import MTCNNCascade
from tests import media
from tests.conftest import ROOT, data_path

# Measured on the six CREMA-D clips (36 key frames): cascade rows differ by at most 0.0036 px (boxes),
# 0.0019 px (keypoints) and 1.3e-6 (confidence); the JSON boxes (whole pixels) not at all.
ROW_TOLERANCE_PX = 0.05
CONFIDENCE_TOLERANCE = 1e-4
BOX_TOLERANCE_PX = 1  # whole-pixel boxes: a coordinate near .5 may round either way
IMAGE_OP_TOLERANCE = 1e-5  # numpy against tf.image, on [-1, 1] images (measured: 5e-6 at most)


@pytest.fixture(scope="session")
def graph_cache(tmp_path_factory):
    """A cache folder holding the MTCNN graphs, made once per session."""
    root = tmp_path_factory.mktemp("mtcnn_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AVMODEL_CACHE", str(root))
        mtcnn_graphs.export_mtcnn_graphs()
    return root


@pytest.fixture
def cache(graph_cache, monkeypatch):
    monkeypatch.setenv("AVMODEL_CACHE", str(graph_cache))
    return graph_cache


@pytest.fixture(scope="session")
def engines(graph_cache):
    """{engine: FaceDetector} for "onnx" and "tensorflow", loaded (the ONNX one from graph_cache)."""
    detectors = {engine: faces.FaceDetector(engine=engine) for engine in ("onnx", "tensorflow")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AVMODEL_CACHE", str(graph_cache))
        for detector in detectors.values():
            detector.detect([np.zeros((64, 64, 3), np.uint8)])  # loads the engine
    return detectors


@pytest.fixture(scope="session")
def cremad_key_frames():
    """{clip name: list of (height, width, 3) uint8 key frames} of the six real CREMA-D clips."""
    clips = sorted(data_path("crema-d").glob("*.flv"))
    if not clips:
        pytest.skip("no CREMA-D clips")
    return {path.name: [key_frame.image for key_frame in decode.iter_key_frames(path)] for path in clips}


def test_the_graphs_agree_with_keras_and_are_made_atomically(graph_cache):
    folder = graph_cache / "graphs" / f"mtcnn-{mtcnn_graphs.mtcnn_version()}-{mtcnn_graphs.MTCNN_FORMAT}"
    info = json.loads((folder / graphs.GRAPH_INFO).read_text())
    assert sorted(path.name for path in folder.glob("*.onnx")) == ["onet.onnx", "pnet.onnx", "rnet.onnx"]
    assert all(error <= mtcnn_graphs.MTCNN_TOLERANCE for error in info["max_error"].values())
    assert [path.name for path in folder.parent.iterdir()] == [folder.name]  # no temporary folder left


def test_a_graph_that_disagrees_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("AVMODEL_CACHE", str(tmp_path))
    monkeypatch.setattr(mtcnn_graphs, "MTCNN_TOLERANCE", -1.0)  # no graph can agree this well
    with pytest.raises(graphs.GraphsUnavailable, match="differs from Keras"):
        mtcnn_graphs.export_mtcnn_graphs()
    assert list((tmp_path / "graphs").iterdir()) == []


@pytest.mark.parametrize(
    ("shape", "size"),
    [((2, 240, 320, 3), (120, 160)), ((1, 57, 83, 3), (40.4, 58.9)), ((1, 37, 50, 3), (26.2, 35.5)),
     ((1, 20, 30, 3), (45, 61))],
)  # fmt: skip
def test_resize_area_is_tensorflows(shape, size):
    """Halving, the pyramid's fractional sizes (truncated as TensorFlow does) and enlarging."""
    tf = pytest.importorskip("tensorflow")
    images = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    expected = tf.image.resize(images, np.asarray(size), method="area").numpy()
    resized = mtcnn_graphs.resize_area(images, size)
    assert resized.shape == expected.shape and resized.dtype == np.float32
    np.testing.assert_allclose(resized, expected, atol=IMAGE_OP_TOLERANCE, rtol=0)


@pytest.mark.parametrize("crop_size", [(24, 24), (48, 48), (1, 5)])
def test_crop_and_resize_is_tensorflows(crop_size):
    """Boxes partly outside the image (extrapolated with 0), flipped boxes, and a 1-px axis (the centre)."""
    tf = pytest.importorskip("tensorflow")
    random = np.random.default_rng(1)
    images = random.uniform(-1, 1, (3, 120, 160, 3)).astype(np.float32)
    boxes, indices = random.uniform(-0.2, 1.2, (50, 4)), random.integers(0, 3, 50)
    expected = tf.image.crop_and_resize(images, boxes, indices, crop_size).numpy()
    crops = mtcnn_graphs.crop_and_resize(images, boxes, indices, crop_size)
    assert crops.shape == expected.shape
    np.testing.assert_allclose(crops, expected, atol=IMAGE_OP_TOLERANCE, rtol=0)


def test_the_engines_find_the_same_faces_on_real_clips(engines, cremad_key_frames):
    """Every key frame of the six CREMA-D clips through the whole fast path (search, tracking, batches)."""
    found, box_error, confidence_error = {"onnx": [], "tensorflow": []}, 0.0, 0.0
    for frames in cremad_key_frames.values():
        boxes = {engine: detector.detect(frames) for engine, detector in engines.items()}
        for engine, found_boxes in boxes.items():
            found[engine] += [box is not None for box in found_boxes]
        for first, second in zip(boxes["onnx"], boxes["tensorflow"]):
            if first and second:
                box_error = max(box_error, *np.abs(np.subtract(_sides(first), _sides(second))))
                confidence_error = max(confidence_error, abs(first.confidence - second.confidence))
    assert found["onnx"] == found["tensorflow"] and len(found["onnx"]) >= 30 and all(found["onnx"])
    assert box_error <= BOX_TOLERANCE_PX and confidence_error <= CONFIDENCE_TOLERANCE


def test_the_engines_give_the_same_cascade_rows(cache, cremad_key_frames):
    """The rows before rounding: boxes, confidences and keypoints of the cascade and of tracking."""
    cascades = {engine: MTCNNCascade(engine=engine) for engine in ("onnx", "tensorflow")}
    for frames in cremad_key_frames.values():
        images = (np.stack(frames).astype(np.float32) - 127.5) / 128
        for run in (MTCNNCascade._cascade, MTCNNCascade._first_then_tracked):
            onnx_rows, tf_rows = (np.asarray(run(cascade, images)) for cascade in cascades.values())
            assert onnx_rows.shape == tf_rows.shape and len(onnx_rows) >= len(frames)
            np.testing.assert_array_equal(onnx_rows[:, 0], tf_rows[:, 0])
            np.testing.assert_allclose(onnx_rows[:, 1:5], tf_rows[:, 1:5], atol=ROW_TOLERANCE_PX, rtol=0)
            np.testing.assert_allclose(onnx_rows[:, 5], tf_rows[:, 5], atol=CONFIDENCE_TOLERANCE, rtol=0)
            np.testing.assert_allclose(onnx_rows[:, 6:], tf_rows[:, 6:], atol=ROW_TOLERANCE_PX, rtol=0)


def test_onnx_detection_does_not_import_tensorflow(cache, media_dir):
    """In a fresh process, with the graphs made: the default detector finds the astronaut on ONNX."""
    code = (
        "import sys, numpy as np\n"
        "from PIL import Image\n"
        "from avmodel.faces import FaceDetector\n"
        "detector = FaceDetector()\n"
        f"(box,) = detector.detect([np.asarray(Image.open({str(media.astronaut_png(media_dir))!r}))])\n"
        "print(detector.engine_used, box is not None and box.confidence > 0.95,"
        " 'tensorflow' in sys.modules, 'mtcnn' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["onnx", "True", "False", "False"]


def test_a_frame_without_a_face_gives_no_face(engines, media_dir):
    noise = np.asarray(Image.open(media.noise_png(media_dir)).convert("RGB"))
    blank = np.full((360, 480, 3), 128, np.uint8)
    detector = engines["onnx"]
    assert detector.detect([noise]) == [None] and detector.detect([blank, blank, blank]) == [None] * 3
    assert detector.detect([np.full((10, 10, 3), 128, np.uint8)]) == [None]  # too small for P-Net's pyramid
    cascade = detector._model()
    assert cascade.engine == "onnx" and cascade.detect([blank], anchor=(10, 10, 60, 60)) == [[]]


def test_auto_falls_back_to_tensorflow_when_the_graphs_cannot_be_made(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("AVMODEL_CACHE", str(tmp_path))  # an empty cache: the graphs would be made

    def refuse():
        raise graphs.GraphsUnavailable("no tf2onnx here")

    monkeypatch.setattr(mtcnn_graphs, "export_mtcnn_graphs", refuse)
    detector = faces.FaceDetector()
    with caplog.at_level("WARNING", logger="avmodel.faces"):
        assert detector._model().engine == "tensorflow"
    assert detector.engine_used == "tensorflow" and "no tf2onnx here" in caplog.text
    with pytest.raises(graphs.GraphsUnavailable):
        faces.FaceDetector(engine="onnx")._model()  # asked for explicitly: no fallback


def test_engine_arguments_are_checked():
    with pytest.raises(ValueError, match="engine must be one of"):
        faces.FaceDetector(engine="torch")
    with pytest.raises(ValueError, match="TensorFlow only"):
        faces.FaceDetector(mode="full", engine="onnx")
    with pytest.raises(ValueError, match="engine must be one of"):
        MTCNNCascade(engine="auto")
    assert faces.FaceDetector().engine_used is None  # nothing loaded before the first detection


def _sides(box):
    """(left, top, right, bottom) px of a Box."""
    return box.x, box.y, box.x + box.width, box.y + box.height
