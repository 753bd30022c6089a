"""ONNX graphs of the networks, run by onnxruntime: prediction that never imports TensorFlow.

    weights folder (audio.keras, visual.keras, fusion.keras, model_info.json)
      -> export_graphs (Keras + tf2onnx, once per weights: ~20 s) -> graph folder in the cache:
           audio_backbone.onnx   (batch, WINDOW_SAMPLES)          -> (batch, 256) features
           audio_head.onnx       (batch, 256)                     -> (batch, classes) logits
           visual_backbone.onnx  (batch, FACE_SIZE, FACE_SIZE, 1) -> (batch, 256)
           visual_head.onnx      (batch, 256)                     -> (batch, classes)
           fusion_head.onnx      (batch, 512)                     -> (batch, classes)
           [fusion_audio_backbone.onnx, fusion_visual_backbone.onnx: only for a fusion with its own]
           graphs.json           the weights' digest, labels, temperatures, the error measured against Keras
      -> load_graphs -> {"audio", "visual", "fusion": GraphNetwork}: what ``Predictor`` runs

Importing TensorFlow takes about 8 s on the 2-core machine and onnxruntime 0.4 s, so a clip predicted
from the shell starts in seconds (benchmark: cold start). The graphs are checked against the Keras
networks when they are made: on a test batch each output must agree within GRAPH_TOLERANCE, else
no graph folder is written. A graph folder is named by the digest of the weights files it was made
from, so changed weights never meet stale graphs. The cache is ``$AVMODEL_CACHE`` (default
``$XDG_CACHE_HOME/avmodel``, else ``~/.cache/avmodel``).
"""

import hashlib
import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from avmodel import __version__
from avmodel.constants import FACE_SIZE, WINDOW_SAMPLES
from avmodel.hub import INFO_FILE, MODEL_FILES

GRAPH_FORMAT = 1  # bump when what export_graphs writes changes: old graph folders are then not used
GRAPH_INFO = "graphs.json"
GRAPH_TOLERANCE = 1e-3  # largest |ONNX - Keras| allowed on any feature or logit of the test batch
TEST_ROWS = 4  # test batch: random windows (unit variance) and random 0..255 faces
INPUT_SHAPES = {"audio": (WINDOW_SAMPLES,), "visual": (FACE_SIZE, FACE_SIZE, 1)}
log = logging.getLogger(__name__)


class GraphsUnavailable(RuntimeError):
    """The graphs cannot be made or read here (no onnxruntime or tf2onnx, or a graph that disagrees with
    Keras); the Keras networks serve instead."""


def cache_root():
    """The folder avmodel caches derived files in (graph folders, the face detector's graphs)."""
    if os.environ.get("AVMODEL_CACHE"):
        return Path(os.environ["AVMODEL_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "avmodel"


def available():
    """True when onnxruntime can be imported (checked without importing it)."""
    from importlib.util import find_spec

    return find_spec("onnxruntime") is not None


# --- running ---------------------------------------------------------------------


class Graph:
    """One ONNX graph with one input and its first output, run by onnxruntime on the CPU.

    ``graph(x)``: (batch, ...) float32 numpy -> (batch, outputs) float32 numpy.
    """

    def __init__(self, path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only
        options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", 0))  # 0: one per core
        # Idle threads sleep instead of spinning: ffmpeg decodes beside the networks (30 s clip: 1.10 s
        # against 1.17-1.31 s spinning, median of 3, 2 cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = Path(path)
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [output.name for output in self.session.get_outputs()]

    def __call__(self, inputs):
        return self.run(inputs)[0]

    def run(self, inputs):
        """All outputs, in the graph's order (the MTCNN stages have two or three)."""
        return self.session.run(self.output_names, {self.input_name: np.asarray(inputs, np.float32)})


class GraphNetwork:
    """What ``Predictor`` reads of a network, as graphs: ``backbone``, ``head`` (Graph), ``temperature``,
    ``labels``; a fusion with backbones of its own also has ``audio_backbone`` and ``visual_backbone``."""

    def __init__(self, labels, temperature, **graphs):
        self.labels, self.temperature = tuple(labels), float(temperature)
        for name, graph in graphs.items():
            setattr(self, name, graph)


def load_graphs(weights_dir, build=True):
    """({"audio", "visual", "fusion": GraphNetwork}, {"audio": bool, "visual": bool} shared backbones)
    for a weights folder, from its graph folder; made first when ``build`` and there is none.

    Raises GraphsUnavailable when onnxruntime is missing or the graphs cannot be made.
    """
    if not available():
        raise GraphsUnavailable("onnxruntime is not installed")
    what = f"the graphs of {weights_dir}"
    return cached(graph_dir(weights_dir), lambda: export_graphs(weights_dir), read_graphs, what, build)


def read_graphs(folder):
    """(networks, shared) from a graph folder: its graphs.json and one onnxruntime session per graph."""
    info = json.loads((folder / GRAPH_INFO).read_text())
    networks = {}
    for role, entry in info["networks"].items():
        graphs = {name: Graph(folder / file) for name, file in entry["graphs"].items()}
        networks[role] = GraphNetwork(entry["labels"], entry["temperature"], **graphs)
    return networks, info["shared"]


def cached(folder, make, read, what, build=True):
    """``read(folder)`` of a cache folder; ``make()`` makes it first when it is missing (if ``build``).

    A folder that does not read (a graph cut short, graphs.json edited by hand, a file removed) is
    made again once, with a warning; without ``build``, or when it still does not read, it raises
    GraphsUnavailable naming the problem.
    """
    if not (folder / GRAPH_INFO).is_file():
        if not build:
            raise GraphsUnavailable(f"{what} are not made yet ({folder}; avmodel compile makes them)")
        make()
    try:
        return read(folder)
    except Exception as error:  # onnxruntime's load errors, JSON errors, a missing file: the cache is damaged
        problem = f"{what} in {folder} do not load ({type(error).__name__}: {str(error)[:200]})"
        if not build:
            raise GraphsUnavailable(problem) from error
        log.warning("%s: making them again", problem)
    shutil.rmtree(folder, ignore_errors=True)
    make()
    try:
        return read(folder)
    except Exception as error:
        raise GraphsUnavailable(f"{what} in {folder} do not load, even made again ({error})") from error


# --- making ----------------------------------------------------------------------


def graph_dir(weights_dir):
    """The cache folder of a weights folder's graphs: named by their digest."""
    return cache_root() / "graphs" / weights_digest(weights_dir)[:20]


def weights_digest(weights_dir):
    """sha256 of the weights files, the avmodel version and GRAPH_FORMAT (hex)."""
    digest = hashlib.sha256(f"avmodel {__version__} graphs {GRAPH_FORMAT}".encode())
    for name in (*MODEL_FILES.values(), INFO_FILE):
        digest.update(name.encode())
        digest.update(Path(weights_dir, name).read_bytes())
    return digest.hexdigest()


def export_graphs(weights_dir):
    """Make the graph folder of a weights folder (see the module docstring); returns it.

    Needs Keras (TensorFlow backend) and tf2onnx. The graphs are written to a temporary folder
    beside the final one and renamed into place only once all agree with Keras, so a crash
    leaves no half-made folder and two processes making the same one both end with a whole one.
    """
    try:
        import tf2onnx  # noqa: F401  (what keras.Model.export(format="onnx") uses on TensorFlow)
    except ImportError as error:
        raise GraphsUnavailable("making the graphs needs `pip install tf2onnx onnxruntime`") from error
    from avmodel.predict import load_checked

    networks, shared = load_checked(weights_dir)
    final = graph_dir(weights_dir)
    with building(final) as work:
        info = {"format": GRAPH_FORMAT, "avmodel": __version__, "weights": str(Path(weights_dir).resolve()),
                "shared": shared, "networks": {}}  # fmt: skip
        for role, parts in graph_parts(networks, shared).items():
            entry = {"labels": list(networks[role].labels), "temperature": float(networks[role].temperature),
                     "graphs": {}, "max_error": {}}  # fmt: skip
            for name, (model, shape) in parts.items():
                file = f"{role}_{name}.onnx"
                entry["max_error"][name] = export_checked(model, shape, work / file)
                entry["graphs"][name] = file
            info["networks"][role] = entry
        (work / GRAPH_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return final


def graph_parts(networks, shared):
    """{role: {part name: (Keras model, input shape without the batch axis)}} of what is exported."""
    fusion = networks["fusion"]
    features = fusion.head.input.shape[-1]
    parts = {
        "audio": {"backbone": (networks["audio"].backbone, INPUT_SHAPES["audio"]),
                  "head": (networks["audio"].head, (networks["audio"].head.input.shape[-1],))},
        "visual": {"backbone": (networks["visual"].backbone, INPUT_SHAPES["visual"]),
                   "head": (networks["visual"].head, (networks["visual"].head.input.shape[-1],))},
        "fusion": {"head": (fusion.head, (features,))},
    }  # fmt: skip
    for role in ("audio", "visual"):
        if not shared[role]:
            parts["fusion"][f"{role}_backbone"] = (getattr(fusion, f"{role}_backbone"), INPUT_SHAPES[role])
    return parts


def export_checked(model, shape, path):
    """Export ``model`` (one input of ``shape`` plus a batch axis) to ``path`` and return the largest
    |ONNX - Keras| on a test batch; raises GraphsUnavailable above GRAPH_TOLERANCE."""
    import keras

    spec = [keras.InputSpec(shape=(None, *shape), dtype="float32")]
    model.export(str(path), format="onnx", input_signature=spec, verbose=False)
    example = test_batch(shape)
    expected = keras.ops.convert_to_numpy(model(example, training=False))
    error = float(np.max(np.abs(Graph(path)(example) - expected)))
    if not error <= GRAPH_TOLERANCE:  # also catches NaN
        raise GraphsUnavailable(f"the ONNX graph of {model.name} differs from Keras by {error:.2g}")
    return error


def test_batch(shape, rows=TEST_ROWS, seed=0):
    """(rows, *shape) float32: unit-variance noise for windows and features, 0..255 pixels for faces."""
    random = np.random.default_rng(seed)
    if len(shape) == 3:
        return random.integers(0, 256, (rows, *shape)).astype(np.float32)
    return random.standard_normal((rows, *shape)).astype(np.float32)


@contextmanager
def building(final):
    """A new empty folder beside the cache folder ``final`` to make it in: renamed to ``final`` when the
    block ends without an error, removed in any case (a crash leaves no half-made folder).
    GraphsUnavailable when the cache is not writable."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{final.name}.", dir=final.parent))
    except OSError as error:
        raise GraphsUnavailable(f"cannot write the cache {final.parent} ({error}; set AVMODEL_CACHE)") from error
    try:
        yield work
        move_into_place(work, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def move_into_place(work, final):
    """Rename the finished folder to its final name; another process's finished one is kept."""
    try:
        work.rename(final)
    except OSError:
        if not (final / GRAPH_INFO).is_file():
            raise
