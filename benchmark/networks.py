"""avmodel's three networks for the benchmark: built from a weights folder (or random),
and run over a ClipSet to clip-level probabilities, exactly as ``avmodel.predict`` does.

    audio:  every window -> AudioNet -> mean over the clip's windows
    visual: every face   -> VisualNet -> mean over the clip's faces
    fusion: every (window, face) pair of ``predict.pair_faces`` -> FusionNet
            -> mean per window -> mean over the clip's windows

A clip without the input a network needs gets a NaN row (the caller decides
what that clip is predicted as, and says so).
"""

from pathlib import Path

import numpy as np

from avmodel.constants import NUM_CLASSES, WINDOW_SECONDS

ROLES = ("audio", "visual", "fusion")  # network roles, as in avmodel.hub.MODEL_FILES
MODALITY_OF_ROLE = {"audio": "audio", "visual": "visual", "fusion": "fused"}
EVAL_BATCH = 256  # examples per inference call during evaluation
RANDOM_INIT = "random init (paper preset)"


def weight_file(weights_dir, role):
    """The .keras file of ``role`` in a weights folder, or None."""
    from avmodel.hub import MODEL_FILES

    if weights_dir is None:
        return None
    path = Path(weights_dir) / MODEL_FILES[role]
    return path if path.is_file() else None


def build_network(role, weights_dir=None):
    """A fresh network of ``role``: (model, origin text).

    From ``weights_dir`` when its file is there; a fusion without its own file
    starts from the two branch files when both are there; else random weights.
    """
    from avmodel.models import AudioNet, FusionNet, VisualNet, load_model

    path = weight_file(weights_dir, role)
    if path is not None:
        return load_model(path), f"weights {path}"
    if role == "fusion":
        audio, visual = weight_file(weights_dir, "audio"), weight_file(weights_dir, "visual")
        if audio and visual:
            fusion = FusionNet.from_branches(load_model(audio), load_model(visual))
            return fusion, f"branches {audio.name} + {visual.name}, random fusion head"
    if role == "fusion":
        return FusionNet(), RANDOM_INIT
    return {"audio": AudioNet, "visual": VisualNet}[role].from_preset("paper"), RANDOM_INIT


def has_weights(weights_dir):
    """True when the folder holds at least one network file."""
    return any(weight_file(weights_dir, role) for role in ROLES)


def window_pairs(clips):
    """Fusion inputs of every clip: per clip, the list of face-index arrays of its windows.

    Windows span [start, start + WINDOW_SECONDS); faces are paired by ``avmodel.predict.pair_faces``.
    """
    from avmodel.predict import pair_faces

    pairs = []
    for starts, times in zip(clips.window_starts, clips.face_times):
        starts = np.asarray(starts, float)
        pairs.append(pair_faces(starts, starts + WINDOW_SECONDS, np.asarray(times, float)))
    return pairs


def examples(role, clips):
    """Every training/inference example of ``role`` in the clips.

    Returns (x, clip_index, window_index):
        audio:  x (k, WINDOW_SAMPLES) float32
        visual: x (k, FACE_SIZE, FACE_SIZE, 1) uint8
        fusion: x {"audio": (k, WINDOW_SAMPLES), "face": (k, FACE_SIZE, FACE_SIZE, 1)}
        clip_index, window_index: (k,) int (window_index -1 for visual)
    """
    if role == "audio":
        return _stack([np.asarray(w, np.float32) for w in clips.windows], clips, per_window=True)
    if role == "visual":
        return _stack([np.asarray(f, np.uint8)[..., None] for f in clips.faces], clips, per_window=False)
    return _fusion_examples(clips)


def _stack(blocks, clips, per_window):
    clip_index = np.concatenate([np.full(len(b), i) for i, b in enumerate(blocks)] or [np.zeros(0)]).astype(int)
    window_index = np.concatenate([np.arange(len(b)) if per_window else np.full(len(b), -1) for b in blocks]
                                  or [np.zeros(0)]).astype(int)  # fmt: skip
    nonempty = [b for b in blocks if len(b)]
    x = np.concatenate(nonempty) if nonempty else np.zeros((0, *blocks[0].shape[1:]) if blocks else (0,))
    return x, clip_index, window_index


def _fusion_examples(clips):
    audio, face, clip_index, window_index = [], [], [], []
    for i, faces_of_windows in enumerate(window_pairs(clips)):
        if not len(clips.faces[i]):
            continue
        for w, faces_of in enumerate(faces_of_windows):
            audio.append(np.repeat(np.asarray(clips.windows[i][w : w + 1], np.float32), len(faces_of), axis=0))
            face.append(np.asarray(clips.faces[i])[faces_of][..., None])
            clip_index += [i] * len(faces_of)
            window_index += [w] * len(faces_of)
    if not audio:
        from avmodel.constants import FACE_SIZE, WINDOW_SAMPLES

        audio, face = [np.zeros((0, WINDOW_SAMPLES), np.float32)], [np.zeros((0, FACE_SIZE, FACE_SIZE, 1), np.uint8)]
    x = {"audio": np.concatenate(audio), "face": np.concatenate(face)}
    return x, np.asarray(clip_index, int), np.asarray(window_index, int)


def clip_probabilities(role, model, clips):
    """(len(clips), NUM_CLASSES) clip probabilities of one network; NaN rows where a clip lacks its input."""
    from avmodel.predict import run_network

    x, clip_index, window_index = examples(role, clips)
    out = np.full((len(clips), NUM_CLASSES), np.nan)
    if len(clip_index) == 0:
        return out
    proba = run_network(model, x, batch_size=EVAL_BATCH)  # (k, classes)
    if role == "fusion":  # mean over a window's pairs first, as Predictor does
        keys = clip_index * (1 + window_index.max()) + window_index
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        proba, clip_index = _group_mean(proba, inverse), clip_index[first]
    _, first, inverse = np.unique(clip_index, return_index=True, return_inverse=True)
    out[clip_index[first]] = _group_mean(proba, inverse)
    return out


def _group_mean(values, groups):
    sums = np.zeros((groups.max() + 1, values.shape[1]))
    np.add.at(sums, groups, values)
    return sums / np.bincount(groups)[:, None]
