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
"""

import numpy as np

from avmodel.clip import FACE_FROM_WHOLE_IMAGE, load_clip
from avmodel.constants import EMOTIONS, MAX_CLIP_SECONDS, SEED, WINDOW_SECONDS
from avmodel.errors import ClipError, NoFaceError
from avmodel.hub import INFO_FILE, MODEL_FILES, read_info, resolve_weights

BATCH_SIZE = 32  # examples per network call: bounds memory on long clips
AUDIO_VISUAL, AUDIO_ONLY, VISUAL_ONLY = "audio+visual", "audio only", "visual only"


class Predictor:
    """The three trained networks and a face detector, loaded once.

    weights:     a local weights folder, a Hub id ("org/name") or None for the bundled weights
    revision:    Hub branch, tag or commit (Hub ids only)
    detector:    a ``faces.FaceDetector`` to share; one is made if None
    max_seconds: longer clips are refused with ClipTooLongError
    """

    def __init__(self, weights=None, revision=None, *, detector=None, seed=SEED, max_seconds=MAX_CLIP_SECONDS):
        from avmodel.faces import FaceDetector

        self.weights_dir = resolve_weights(weights, revision)
        self.networks = load_networks(self.weights_dir)
        self.info = read_info(self.weights_dir)
        self.labels = check_labels(self.networks, self.info)
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
        """Files -> result dicts, in order; a bad file gets ``error`` and ``reason`` and the rest go on."""
        results = []
        for path in paths:
            try:
                results.append(self.predict(path))
            except ClipError as error:
                results.append({"path": str(path), "error": str(error), "reason": error.reason})
        return results

    def predict_clip(self, clip):
        """A loaded ``ClipInputs`` -> result dict."""
        if not clip.has_audio and not clip.has_face:
            frames = len(clip.found)
            raise NoFaceError(clip.path, f"in none of {frames} key frame{'s' * (frames != 1)}, and no audio")
        starts, ends = time_windows(clip)
        pairs = pair_faces(starts, ends, clip.face_times)
        scores = self._score(clip, pairs)
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
        """Every network on what the clip holds.

        pairs: one face-index array per window (``pair_faces``).
        Returns audio (n_windows, classes), visual (n_faces, classes) and
        fused (n_windows, classes): each None when its inputs are missing.
        """
        faces = clip.face_crops[..., None]  # (n_faces, side, side, 1) uint8
        audio = run_network(self.networks["audio"], clip.windows) if clip.has_audio else None
        visual = run_network(self.networks["visual"], faces) if clip.has_face else None
        fused = None
        if clip.has_audio and clip.has_face:
            window_of_pair = np.concatenate([np.full(len(faces_of), w) for w, faces_of in enumerate(pairs)])
            inputs = {"audio": clip.windows[window_of_pair], "face": faces[np.concatenate(pairs)]}
            fused_pairs = run_network(self.networks["fusion"], inputs)  # (n_pairs, classes)
            fused = np.stack([fused_pairs[window_of_pair == w].mean(0) for w in range(len(pairs))])
        return {"audio": audio, "visual": visual, "fused": fused}

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


# --- loading -------------------------------------------------------------------


def load_networks(weights_dir):
    """{"audio": AudioNet, "visual": VisualNet, "fusion": FusionNet} from a weights folder."""
    from avmodel.models import load_model

    missing = [name for name in (*MODEL_FILES.values(), INFO_FILE) if not (weights_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"no trained weights in {weights_dir} (missing {', '.join(missing)}): "
            "train them (see the README) or pass a weights folder or Hub id (--weights)"
        )
    return {role: load_model(weights_dir / name) for role, name in MODEL_FILES.items()}


def check_labels(networks, info):
    """The one label order all three networks and model_info.json agree on."""
    labels = tuple(info.get("labels") or EMOTIONS)
    for role, network in networks.items():
        own = tuple(getattr(network, "labels", labels))
        if own != labels:
            raise ValueError(f"the {role} network predicts {own} but model_info.json lists {labels}")
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


def run_network(network, inputs, batch_size=BATCH_SIZE):
    """Probabilities in inference mode, BATCH_SIZE examples at a time.

    inputs: (n, ...) array, or {"audio": (n, samples), "face": (n, side, side, 1)}
    Returns (n, classes) float64 numpy.
    """
    from keras import ops

    count = len(next(iter(inputs.values()))) if isinstance(inputs, dict) else len(inputs)
    outputs = []
    for first in range(0, count, batch_size):
        part = _slice(inputs, slice(first, first + batch_size))
        outputs.append(ops.convert_to_numpy(network(part, training=False)).astype(np.float64))
    return np.concatenate(outputs)


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
