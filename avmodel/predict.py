"""Prediction: a file -> emotion probabilities from voice, face and both.

    file -> load_clip -> audio windows (n, samples) + face crops (k, side, side)
         -> AudioNet / VisualNet / FusionNet -> {label: probability} per window and per clip

``Predictor`` loads the three networks once (from a weights folder or a Hub id,
see ``avmodel.hub.resolve_weights``) and makes one face detector, reused for
every file. ``predict(path)`` returns a JSON-ready dict:

    path, emotion (the top label), answer ("audio+visual" | "audio only" | "visual only"),
    probabilities (the dict to show: fused, else the one modality there is),
    fused, audio, visual ({label: probability} or None),
    windows (per window: start, end, face_times, fused, audio, visual),
    found (what the clip held: ``ClipInputs.summary()`` less its path), notes (sentences for people).

Windows and faces are paired by time: a 2 s window takes the faces whose key
frame falls inside it, or the nearest face when none does. The fusion network
scores every (window, face) pair and a window's fused answer is their mean.
The clip's answer is the mean over windows (fused, audio) or over all faces
(visual). A video without audio gets the same 2 s grid of windows, face only.

Weights are checked when they load, not mid-batch: each file must be the
network of its role, take the window length and face size of
``avmodel.constants``, predict its label set, agree with the other two and
give finite probabilities on a test input; anything else is a ``WeightsError``.
In a batch (``iter_predict``) no exception of one file stops the others.
"""

import logging
from pathlib import Path

import numpy as np

from avmodel.clip import FACE_FROM_WHOLE_IMAGE, load_clip
from avmodel.constants import EMOTIONS, FACE_SIZE, MAX_CLIP_SECONDS, SEED, WINDOW_SAMPLES, WINDOW_SECONDS
from avmodel.errors import ClipError, MissingWeightsError, NoFaceError, WeightsError, short_message
from avmodel import graphs
from avmodel.hub import INFO_FILE, MODEL_FILES, read_info, resolve_weights
from avmodel.calibration import probabilities

BATCH_SIZE = 8  # windows or faces per backbone call: bounds memory (32: +110 MiB at the peak of a 10-minute clip)
HEAD_BATCH_SIZE = 1024  # feature rows per head call (a head is a few dense layers: always eager)
# Rows from which a backbone call is compiled (run_model). Measured on the 2-core CPU: 15 windows
# through the audio backbone 1.54 s eager, 0.47 s compiled; 32 faces through the visual one 0.71 s
# eager, 0.42 s compiled; the trace costs 1-2 s once, more than a 2 s clip's 1 window and 6 faces.
COMPILE_MIN_ROWS = 8
AUTO, ONNX, KERAS = "auto", "onnx", "keras"  # Predictor engines
ENGINES = (AUTO, ONNX, KERAS)
AUDIO_VISUAL, AUDIO_ONLY, VISUAL_ONLY = "audio+visual", "audio only", "visual only"
INTERNAL = "internal"  # the reason of a file that failed for any reason other than its input
ROLE_CLASSES = {"audio": "AudioNet", "visual": "VisualNet", "fusion": "FusionNet"}
INPUT_SHAPES = {  # what the data path feeds each network, per input, without the batch axis
    "audio": {"audio": (WINDOW_SAMPLES,)},
    "visual": {"face": (FACE_SIZE, FACE_SIZE, 1)},
    "fusion": {"audio": (WINDOW_SAMPLES,), "face": (FACE_SIZE, FACE_SIZE, 1)},
}
log = logging.getLogger(__name__)


class NonFiniteOutputError(Exception):
    """A network gave NaN or infinite probabilities for a file: no answer is given for it."""

    reason = "non-finite output"

    def __init__(self, path, detail):
        self.path = str(path)
        super().__init__(f"{self.reason}: {self.path} ({detail})")


class Predictor:
    """The three trained networks and a face detector, loaded once.

    weights:     a local weights folder, a Hub id ("org/name") or None for the bundled weights
    revision:    Hub branch, tag or commit (Hub ids only)
    detector:    a ``faces.FaceDetector`` to share; one is made if None
    max_seconds: longer clips are refused with ClipTooLongError
    engine:      "onnx" (the networks as ONNX graphs on onnxruntime, ``avmodel.graphs``: no TensorFlow),
                 "keras" (the .keras networks), or "auto" (the default: "onnx" where onnxruntime is
                 installed and the graphs can be made, else "keras"); ``self.engine`` says which runs
    Raises WeightsError (MissingWeightsError when there are none) when the weights cannot be used.
    """

    def __init__(self, weights=None, revision=None, *, detector=None, seed=SEED, max_seconds=MAX_CLIP_SECONDS,
                 engine=AUTO):  # fmt: skip
        from avmodel.faces import FaceDetector

        self.weights_dir = resolve_weights(weights, revision)
        self.info = read_info(self.weights_dir)
        self.networks, self.shared, self.engine = load_engine(self.weights_dir, engine)
        self.labels = check_labels(self.networks, self.info, self.weights_dir)
        self.detector = detector or FaceDetector()
        self.seed = seed
        self.max_seconds = max_seconds

    def predict(self, path):
        """One file -> result dict (see the module docstring). Raises ClipError for bad input."""
        return self.analyse(path)[0]

    def analyse(self, path):
        """Like ``predict``, but also returns the ``ClipInputs`` (for showing the face crops)."""
        clip = load_clip(path, detector=self.detector, seed=self.seed, max_seconds=self.max_seconds)
        return self.predict_clip(clip), clip

    def predict_many(self, paths):
        """Files -> result dicts, in order (``iter_predict``, collected)."""
        return list(self.iter_predict(paths))

    def iter_predict(self, paths):
        """Yield one result dict per file, in order, as each one finishes.

        A file that fails gets ``{"path", "error", "reason"}`` and the rest go on:
        the ClipError's reason for bad input, "non-finite output", or "internal"
        for any other exception (its type and message; the traceback goes to
        this module's logger at DEBUG level only). Ctrl-C (KeyboardInterrupt)
        stops the batch; what was yielded before stays with the caller.
        """
        for path in paths:
            yield self.predict_or_error(path)

    def predict_or_error(self, path):
        """``predict(path)``, or the file's error entry: never raises an Exception."""
        try:
            return self.predict(path)
        except (ClipError, NonFiniteOutputError) as error:
            return error_entry(path, str(error), error.reason)
        except Exception as error:  # one file's bug, or a resource running out: the batch goes on
            log.debug("internal error on %s", path, exc_info=True)
            return error_entry(path, f"internal error: {type(error).__name__}: {short_message(error)}", INTERNAL)

    def predict_clip(self, clip):
        """A loaded ``ClipInputs`` -> result dict."""
        if not clip.has_audio and not clip.has_face:
            frames = len(clip.found)
            raise NoFaceError(clip.path, f"in none of {frames} key frame{'s' * (frames != 1)}, and no audio")
        starts, ends = time_windows(clip)
        pairs = pair_faces(starts, ends, clip.face_times)
        scores = self._score(clip, pairs)
        for name, rows in scores.items():
            if rows is not None and not np.isfinite(rows).all():
                raise NonFiniteOutputError(clip.path, f"the {name} network gave NaN or infinite probabilities")
        fused, audio, visual = (_mean(scores[name]) for name in ("fused", "audio", "visual"))
        answer = AUDIO_VISUAL if fused is not None else AUDIO_ONLY if audio is not None else VISUAL_ONLY
        probabilities = {AUDIO_VISUAL: fused, AUDIO_ONLY: audio, VISUAL_ONLY: visual}[answer]
        return {
            "path": clip.path,
            "emotion": self.labels[int(np.argmax(probabilities))],
            "answer": answer,
            "probabilities": self.as_dict(probabilities),
            "fused": self.as_dict(fused),
            "audio": self.as_dict(audio),
            "visual": self.as_dict(visual),
            "windows": [self._window(clip, scores, w, starts[w], ends[w], pairs[w]) for w in range(len(starts))],
            "found": {key: value for key, value in clip.summary().items() if key != "path"},
            "notes": notes(clip, starts, ends, pairs),
        }

    def _score(self, clip, pairs):
        """Every network on what the clip holds: each backbone once per window or face
        (``features``), each head on those features, the fusion head once per (window, face) pair.

        pairs: one face-index array per window (``pair_faces``).
        Returns calibrated probabilities: audio (n_windows, classes), visual (n_faces, classes)
        and fused (n_windows, classes, the mean over each window's pairs): each None when its
        inputs are missing.
        """
        features = self.features(clip)
        fused = self._fused(features, pairs) if features["fusion_audio"] is not None else None
        return {"audio": self._head("audio", features["audio"]), "visual": self._head("visual", features["visual"]),
                "fused": fused}  # fmt: skip

    def features(self, clip):
        """Backbone features of a clip: {"audio": (n_windows, 256), "visual": (n_faces, 256),
        "fusion_audio", "fusion_visual": what the fusion head pairs (the branches' own features when the
        fusion shares their backbones, as released; else its backbones' own)}; None where an input is missing."""
        faces = clip.face_crops[..., None]  # (n_faces, side, side, 1) uint8
        audio = run_model(self.networks["audio"].backbone, clip.windows) if clip.has_audio else None
        visual = run_model(self.networks["visual"].backbone, faces) if clip.has_face else None
        features = {"audio": audio, "visual": visual, "fusion_audio": None, "fusion_visual": None}
        if clip.has_audio and clip.has_face:
            fusion = self.networks["fusion"]
            features["fusion_audio"] = audio if self.shared["audio"] else run_model(fusion.audio_backbone, clip.windows)
            features["fusion_visual"] = visual if self.shared["visual"] else run_model(fusion.visual_backbone, faces)
        return features

    def _fused(self, features, pairs):
        """The fusion head on every (window, face) pair: (n_windows, classes), each window's pairs averaged."""
        fusion = self.networks["fusion"]
        window_of_pair = np.concatenate([np.full(len(faces_of), w) for w, faces_of in enumerate(pairs)])
        pair_features = np.concatenate([features["fusion_audio"][window_of_pair],
                                        features["fusion_visual"][np.concatenate(pairs)]], axis=1)  # fmt: skip
        logits = run_model(fusion.head, pair_features, HEAD_BATCH_SIZE, compiled=False)  # (n_pairs, classes)
        fused_pairs = probabilities(logits, fusion.temperature)
        return np.stack([fused_pairs[window_of_pair == w].mean(0) for w in range(len(pairs))])

    def _head(self, role, features):
        """(n, features) -> (n, classes) calibrated probabilities by that branch's head; None stays None."""
        if features is None:
            return None
        network = self.networks[role]
        return probabilities(run_model(network.head, features, HEAD_BATCH_SIZE, compiled=False), network.temperature)

    def _window(self, clip, scores, index, start, end, faces_of):
        """Window ``index``: its span, the face times used and each modality's probabilities."""
        audio, fused = (None if scores[name] is None else scores[name][index] for name in ("audio", "fused"))
        visual = None if scores["visual"] is None else scores["visual"][faces_of].mean(0)
        return {
            "start": round(float(start), 3),
            "end": round(float(end), 3),
            "face_times": [round(float(t), 3) for t in clip.face_times[faces_of]],
            "fused": self.as_dict(fused),
            "audio": self.as_dict(audio),
            "visual": self.as_dict(visual),
        }

    def as_dict(self, probabilities):
        """(classes,) array -> {label: probability} in label order (what ``gr.Label`` shows); None stays None."""
        if probabilities is None:
            return None
        return {label: float(p) for label, p in zip(self.labels, probabilities)}

    @classmethod
    def from_networks(cls, networks, labels=EMOTIONS, *, seed=SEED, max_seconds=MAX_CLIP_SECONDS):
        """A Predictor of networks already in memory, for ``predict_clip`` on inputs decoded
        elsewhere (``prepared_clip``): no weights folder, no face detector.

        networks: {"audio", "visual", "fusion"}: Keras networks; a role may be left out when
                  no clip holds its inputs (clips without faces never call visual or fusion).
        """
        predictor = cls.__new__(cls)
        predictor.weights_dir, predictor.info, predictor.detector = None, {"labels": list(labels)}, None
        predictor.engine = KERAS
        predictor.networks = dict(networks)
        predictor.labels = check_labels(predictor.networks, predictor.info)
        predictor.shared = shared_backbones(predictor.networks)
        predictor.seed, predictor.max_seconds = seed, max_seconds
        return predictor


def prepared_clip(windows, window_starts, faces, face_times, path=""):
    """``ClipInputs`` of one clip from what ``avmodel prepare`` stores of it, for ``predict_clip``.

    windows: (n_windows, WINDOW_SAMPLES), window_starts: (n_windows,) s,
    faces: (n_faces, FACE_SIZE, FACE_SIZE) uint8 (the key frames with a face), face_times: (n_faces,) s.
    The clip's duration is not stored: it is taken as far as its windows and faces reach.
    """
    from avmodel.clip import ClipInputs

    windows, window_starts = np.asarray(windows, np.float32), np.asarray(window_starts, np.float32)
    faces, face_times = np.asarray(faces, np.uint8), np.asarray(face_times, np.float32)
    duration = float(max([*(window_starts + WINDOW_SECONDS), *face_times], default=0.0))
    return ClipInputs(str(path), duration, len(windows) > 0, len(faces) > 0, windows=windows,
                      window_starts=window_starts, faces=faces, found=np.ones(len(faces), bool),
                      key_frame_times=face_times)  # fmt: skip


# --- loading -------------------------------------------------------------------


def error_entry(path, message, reason):
    """What a batch gives a file that failed: its path, a sentence and a short tag to count."""
    return {"path": str(path), "error": message, "reason": reason}


def load_networks(weights_dir):
    """{"audio": AudioNet, "visual": VisualNet, "fusion": FusionNet} from a weights folder, each checked."""
    return load_checked(weights_dir)[0]


def load_engine(weights_dir, engine=AUTO):
    """(networks, shared backbones, the engine that runs them) for ``Predictor`` (see its ``engine``).

    "onnx" and "auto" read the weights folder's graphs (``avmodel.graphs.load_graphs``), making them
    first when there are none yet: the Keras networks are then loaded and checked (``load_checked``)
    and each graph is checked against its network, so bad weights raise the same WeightsError on
    every engine. Graphs already made for the same weights files (by digest) were checked when they
    were made. "auto" falls back to the Keras networks, with a warning, where graphs cannot be made
    or run here; "onnx" raises WeightsError then.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine != KERAS:
        check_present(weights_dir)
        try:
            return (*graphs.load_graphs(weights_dir), ONNX)
        except graphs.GraphsUnavailable as error:
            if engine == ONNX:
                raise WeightsError(weights_dir, f"no ONNX graphs: {error}") from error
            log.warning("running the Keras networks: %s", error)
    return (*load_checked(weights_dir), KERAS)


def check_present(weights_dir):
    """Raise MissingWeightsError (a FileNotFoundError) when a weights file is missing."""
    weights_dir = Path(weights_dir)
    missing = [name for name in (*MODEL_FILES.values(), INFO_FILE) if not (weights_dir / name).is_file()]
    if missing:
        raise MissingWeightsError(weights_dir, f"no trained weights here (missing {', '.join(missing)}): train them "
                                  "(see the README) or pass a weights folder or Hub id (--weights)")  # fmt: skip


def load_checked(weights_dir):
    """(networks as ``load_networks`` gives them, ``shared_backbones`` of them), each worked out once.

    Raises MissingWeightsError (a FileNotFoundError) when a file is missing and
    WeightsError, naming the file and the problem, for any file that does not
    load or does not fit the data path (``check_network``).
    """
    from avmodel.models import load_model

    weights_dir = Path(weights_dir)
    check_present(weights_dir)
    networks = {role: load_model(weights_dir / name) for role, name in MODEL_FILES.items()}
    shared = shared_backbones(networks)
    for role, name in MODEL_FILES.items():  # a fusion on its branches' backbones runs only its head
        check_network(role, networks[role], weights_dir / name, head_only=role == "fusion" and all(shared.values()))
    return networks, shared


def check_network(role, network, path, head_only=False):
    """Refuse a network the data path cannot feed or read; returns it.

    Its class must be the role's, its inputs the shapes in INPUT_SHAPES
    (``avmodel.constants``: WINDOW_SAMPLES, FACE_SIZE), its labels the set
    EMOTIONS, one output per label, and one test example (a silent window,
    a black face) must give finite probabilities; ``head_only``: the example
    is zero features through its head (a fusion whose backbones are its
    branches', already checked, which ``Predictor`` never runs twice).
    """
    if type(network).__name__ != ROLE_CLASSES[role]:
        raise WeightsError(path, f"holds a {type(network).__name__}, not the {role} network ({ROLE_CLASSES[role]})")
    inputs = network.input if isinstance(network.input, dict) else {next(iter(INPUT_SHAPES[role])): network.input}
    for name, expected in INPUT_SHAPES[role].items():
        shape = tuple(inputs[name].shape[1:]) if name in inputs else None
        if shape != expected:
            raise WeightsError(path, _shape_problem(name, shape, expected))
    labels = tuple(getattr(network, "labels", ()))
    if sorted(labels) != sorted(EMOTIONS):
        raise WeightsError(path, f"predicts the labels {', '.join(labels) or 'none'}, but avmodel's label set is "
                                 f"{', '.join(EMOTIONS)} (avmodel.constants.EMOTIONS)")  # fmt: skip
    example = {name: np.zeros((1, *shape), np.float32) for name, shape in INPUT_SHAPES[role].items()}
    example = example if role == "fusion" else next(iter(example.values()))
    try:
        if head_only:
            zeros = np.zeros((1, network.head.input.shape[-1]), np.float32)
            given = probabilities(run_model(network.head, zeros, compiled=False), network.temperature)
        else:
            given = run_network(network, example)
    except Exception as error:
        raise WeightsError(path, f"fails on a test input ({type(error).__name__}: {short_message(error)})") from error
    if given.shape != (1, len(labels)):
        outputs = given.shape[-1]
        raise WeightsError(path, f"gives {outputs} outputs per example, not one per label ({len(labels)})")
    if not np.isfinite(given).all():
        raise WeightsError(path, "gives NaN or infinite probabilities on a test input (a silent window, a black face)")
    return network


def _shape_problem(name, shape, expected):
    """The sentence for an input that does not fit the data path."""
    if name == "audio" and shape and len(shape) == 1:
        return (f"takes audio windows of {shape[0]} samples, but the data path cuts windows of {WINDOW_SAMPLES} "
                f"({WINDOW_SECONDS} s, avmodel.constants.WINDOW_SAMPLES)")  # fmt: skip
    if name == "face" and shape and len(shape) == 3:
        return (f"takes {'x'.join(map(str, shape))} faces, but the data path crops {FACE_SIZE}x{FACE_SIZE}x1 "
                "grayscale faces (avmodel.constants.FACE_SIZE)")  # fmt: skip
    return f"its {name!r} input is {shape}, but the data path gives (batch, {', '.join(map(str, expected))})"


def check_labels(networks, info, weights_dir=""):
    """The one label order all three networks and model_info.json agree on; WeightsError where they do not."""
    labels = tuple(info.get("labels") or EMOTIONS)
    for role, network in networks.items():
        own = tuple(getattr(network, "labels", labels))
        if own != labels:
            problem = f"the {role} network predicts ({', '.join(own)}) but {INFO_FILE} lists ({', '.join(labels)})"
            raise WeightsError(Path(weights_dir, MODEL_FILES[role]), f"{problem}: all must share one label order")
    return labels


# --- windows, faces and networks --------------------------------------------------


def time_windows(clip):
    """Spans of the clip's windows: starts, ends (n_windows,) float seconds.

    The audio windows when there is audio; for a video without audio the same
    2 s grid over its duration; none for a still image. Ends stop at the clip's end.
    """
    if clip.has_audio:
        starts = clip.window_starts.astype(float)
    else:
        starts = np.arange(0.0, clip.duration, WINDOW_SECONDS)  # empty for an image (duration 0)
    ends = starts + WINDOW_SECONDS
    return starts, np.minimum(ends, clip.duration) if clip.duration > 0 else ends


def pair_faces(starts, ends, face_times):
    """The faces that go with each window.

    starts, ends: (n_windows,) seconds; face_times: (n_faces,) seconds.
    Returns n_windows int arrays of face indices: those with start <= time < end,
    else the one nearest face; empty when there are no faces at all.
    """
    face_times = np.asarray(face_times, float)
    pairs = []
    for start, end in zip(starts, ends):
        inside = np.flatnonzero((face_times >= start) & (face_times < end))
        if not len(inside) and len(face_times):
            distance = np.maximum(start - face_times, face_times - end)
            inside = np.array([int(np.argmin(distance))])
        pairs.append(inside.astype(int))
    return pairs


def run_model(model, inputs, batch_size=BATCH_SIZE, compiled=True):
    """A model's outputs (features or logits) in inference mode, ``batch_size`` examples at a time.

    inputs: (n, ...) array, or {"audio": (n, samples), "face": (n, side, side, 1)}
    compiled: with COMPILE_MIN_ROWS rows or more, every batch (the last one padded to ``batch_size``)
        goes through Keras's compiled predict function (traced once per process, then 2-3x faster
        than the eager call on the CPU); fewer rows go through the eager call, which costs no
        tracing (a 2 s clip from the shell starts sooner).
    An ONNX ``Graph`` (``avmodel.graphs``) runs every batch as it is (onnxruntime traces nothing).
    Returns (n, outputs) float32 numpy.
    """
    count = len(next(iter(inputs.values()))) if isinstance(inputs, dict) else len(inputs)
    outputs = []
    for first in range(0, count, batch_size):
        part = _slice(inputs, slice(first, first + batch_size))
        rows = min(batch_size, count - first)
        if isinstance(model, graphs.Graph):
            outputs.append(model(part))
        elif compiled and count >= COMPILE_MIN_ROWS:  # a short last batch is padded: one trace, no eager tail
            outputs.append(np.asarray(model.predict_on_batch(_padded(part, batch_size)))[:rows])
        else:
            from keras import ops

            outputs.append(ops.convert_to_numpy(model(part, training=False)))
    return np.concatenate(outputs)


def _padded(inputs, rows):
    """Inputs with zero rows appended up to ``rows`` (rows are independent in inference: batch norm
    uses its moving statistics), so every compiled call has one shape."""
    if isinstance(inputs, dict):
        return {key: _padded(value, rows) for key, value in inputs.items()}
    missing = rows - len(inputs)
    return inputs if missing <= 0 else np.concatenate([inputs, np.zeros((missing, *inputs.shape[1:]), inputs.dtype)])


def run_network(network, inputs, batch_size=BATCH_SIZE):
    """A whole network's calibrated probabilities (n, classes) float64 (its logits through
    ``probabilities`` with its temperature); what the checks and evaluations use."""
    return probabilities(run_model(network, inputs, batch_size), network.temperature)


def shared_backbones(networks):
    """{"audio": bool, "visual": bool}: the fusion network's backbone holds exactly the weights of that
    branch's (a head-only fusion, as released), so the branch's features are reused for the pairs."""
    fusion = networks.get("fusion")
    if isinstance(fusion, graphs.GraphNetwork):  # graphs hold a fusion backbone only where it is not shared
        return {role: not hasattr(fusion, f"{role}_backbone") for role in ("audio", "visual")}
    shared = {}
    for role, attribute in (("audio", "audio_backbone"), ("visual", "visual_backbone")):
        branch = networks.get(role)
        ours, theirs = getattr(fusion, attribute, None), getattr(branch, "backbone", None)  # None: not yet checked
        shared[role] = ours is not None and theirs is not None and _same_backbone(ours, theirs)
    return shared


def _same_backbone(first, second):
    from avmodel.models.branch import same_weights

    def config(model):
        return {key: value for key, value in model.get_config().items() if key not in ("name", "trainable")}

    return config(first) == config(second) and same_weights(first, second)


def _slice(inputs, rows):
    if isinstance(inputs, dict):
        return {name: np.asarray(value[rows], np.float32) for name, value in inputs.items()}
    return np.asarray(inputs[rows], np.float32)


def _mean(rows):
    """(n, classes) -> (classes,) mean; None or empty -> None."""
    return None if rows is None or not len(rows) else np.asarray(rows).mean(0)


# --- notes for people ----------------------------------------------------------------


def notes(clip, starts, ends, pairs):
    """Plain sentences on what was found and what the answer rests on."""
    frames = len(clip.found)
    said = []
    if not clip.has_video_track:
        said.append("no picture (an audio file): the answer rests on the audio alone")
    elif not clip.has_face and clip.has_audio:
        said.append(f"no face found in any of {frames} key frame{'s' * (frames != 1)}: "
                    "the answer rests on the audio alone")  # fmt: skip
    elif clip.duration == 0:
        said.append("a still image, no audio: the answer rests on the face alone")
    elif not clip.has_audio:
        said.append("no audio track: the answer rests on the face alone")
    if clip.face_source == FACE_FROM_WHOLE_IMAGE:
        said.append("image used whole as the face: it is already a tight crop")
    if clip.has_face and frames > 1 and not clip.found.all():
        said.append(f"a face was found in {int(clip.found.sum())} of {frames} key frames")
    borrowed = sum(_borrowed(clip.face_times[faces], start, end) for start, end, faces in zip(starts, ends, pairs))
    if borrowed:
        said.append(f"{borrowed} window{'s' * (borrowed != 1)} had no face inside: the nearest face was used")
    if clip.has_audio and not np.any(clip.windows):
        said.append("the audio is silent: its probabilities say little")
    return said


def _borrowed(face_times, start, end):
    """True when a window's face comes from outside it (the nearest-face rule)."""
    return bool(len(face_times)) and not np.all((face_times >= start) & (face_times < end))
