"""avmodel's three networks for the benchmark: built from a weights folder (or random),
and run over a ClipSet by ``avmodel.predict`` itself (``Predictor.predict_clip`` on each
clip's prepared windows and faces, ``predict.prepared_clip``), so every figure is what
``avmodel predict`` answers for that clip:

    audio:  mean over the clip's windows       visual: mean over the clip's faces
    fused:  the clip's answer: the fusion's (mean over its (window, face) pairs), else the
            one modality the clip has

A clip without the input a modality needs gets a NaN row (the caller decides
what that clip is predicted as, and says so).
"""

from pathlib import Path

import numpy as np

from avmodel.constants import EMOTIONS, NUM_CLASSES

ROLES = ("audio", "visual", "fusion")  # network roles, as in avmodel.hub.MODEL_FILES
ROLES_OF = {"audio": ("audio",), "visual": ("visual",), "fused": ROLES}  # modality -> the networks its answer uses
RESULT_KEY = {"audio": "audio", "visual": "visual", "fused": "probabilities"}  # modality -> key of predict's dict
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


def clip_results(networks, clips, modalities):
    """``avmodel.predict``'s result dict of every clip, or None for a clip with no input ``modalities`` use.

    networks: {role: network} of the roles the modalities need (``ROLES_OF``); inputs
    that no requested modality uses are left out, so an audio-only row never runs a face network.
    """
    from avmodel.predict import Predictor, prepared_clip

    predictor = Predictor.from_networks(networks)
    audio, faces = bool({"audio", "fused"} & set(modalities)), bool({"visual", "fused"} & set(modalities))
    results = []
    for i, clip_id in enumerate(clips.clip_ids):
        kept = slice(None) if audio else slice(0)
        windows, starts = clips.windows[i][kept], clips.window_starts[i][kept]
        kept = slice(None) if faces else slice(0)
        crops, times = clips.faces[i][kept], clips.face_times[i][kept]
        clip = prepared_clip(windows, starts, crops, times, path=clip_id) if len(windows) or len(crops) else None
        results.append(None if clip is None else predictor.predict_clip(clip))
    return results


def probabilities(results, modality):
    """(len(results), NUM_CLASSES) clip probabilities of one modality (``RESULT_KEY``); NaN rows for none."""
    out = np.full((len(results), NUM_CLASSES), np.nan)
    for i, result in enumerate(results):
        answer = None if result is None else result[RESULT_KEY[modality]]
        if answer is not None:
            out[i] = [answer[label] for label in EMOTIONS]
    return out
