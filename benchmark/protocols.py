"""Accuracy of both systems on one corpus, split by split, under the same manifests.

    for each protocol, for each split (a manifest of the prepared folder, and a fold):
        train / test ids: the manifest's sides as avmodel.training.data reads them
        Avots baseline: fit on train -> majority votes / max-of-12 fusion on test
        avmodel:        each network from --weights (or random), trained on the train side
                        by avmodel.training.run.train for --epochs (0: as given; finetune.py)
                        -> avmodel.predict's answer for every test clip (networks.py)
        -> decisions restricted to the corpus's classes -> (y_true, y_pred)
    -> one row per (system, modality): mean (± std) over splits, pooled per-class report

A test clip without the input a modality needs (no face found, no audio) is
predicted as the most frequent training class of the split, and counted in
the row's notes.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from avmodel.constants import NUM_CLASSES
from benchmark import networks, rows
from benchmark.baseline import AvotsBaseline, FaceClassifier, FaceTraining
from benchmark.baseline.voting import decide
from benchmark.data import HELD_OUT_SPEAKERS, labels_present, split_sides
from benchmark.finetune import FineTune, finetuned

MODALITIES = ("audio", "visual", "fused")
NO_INPUT_NOTE = {"audio": "test clips without audio", "visual": "test clips without a face",
                 "fused": "test clips without audio or face"}  # fmt: skip
FALLBACK_NOTE = " (predicted as the split's most frequent training class)"
ONE_MODALITY_NOTE = "test clips without a face or without audio (fused answer from the other modality, as avmodel.predict does)"
FINETUNED = ("trained on each split's train side by avmodel.training.run.train (validation: the manifest's "
             "val side where it has one, else none and fixed epochs)")  # fmt: skip
HEARD_CAVEAT = "not speaker-independent: the weights were trained on this corpus's speakers, test speakers included"


@dataclass
class Settings:
    """What runs and how (one object for the whole benchmark)."""

    weights: Path | None = None  # folder with audio.keras / visual.keras / fusion.keras
    finetune: FineTune = field(default_factory=FineTune)  # avmodel networks on each split's train side
    face_training: FaceTraining = field(default_factory=FaceTraining)  # the baseline's face network
    run_baseline: bool = True
    run_networks: bool = True
    build_network: object = networks.build_network  # (role, weights) -> (model, origin); tests use tiny ones
    runs: Path | None = None  # folder of the training runs (benchmark.run: --runs, or a temporary one)
    pretrained_faces: list | None = None  # FaceAlexNet weights pre-trained on FER2013 (baseline)

    def networks_unavailable(self):
        """Why the avmodel rows cannot be measured, or None."""
        if not self.run_networks:
            return "networks not run (--no-networks)"
        if self.finetune.epochs == 0 and not networks.has_weights(self.weights):
            return "no trained weights (--weights) and no fine-tuning (--epochs 0)"
        return None


def evaluate_protocol(corpus, protocol, prepared, splits, train_pool, test_pool, modalities, settings, log=print,
                      training_data=None):  # fmt: skip
    """Rows of both systems for one protocol.

    prepared: the folder whose manifests the splits name; splits: ``data.read_splits``;
    train_pool / test_pool: ClipSets the train / test ids are taken from (the same ClipSet,
    except for label-matched pairs). training_data: {role: TrainConfig fields} where a network
    trains on other data than ``prepared`` split by the split (the pairs' faces).
    """
    classes = labels_present(test_pool)
    outcomes = {(system, m): [] for system in rows.SYSTEMS for m in modalities}
    seconds = {system: 0.0 for system in rows.SYSTEMS}
    training = {"avots_baseline": _baseline_training(settings), "avmodel": _network_training(settings)}
    if protocol != HELD_OUT_SPEAKERS and corpus.split("+")[0] in trained_corpora(settings.weights):
        training["avmodel"]["caveat"] = HEARD_CAVEAT
    networks_reason = settings.networks_unavailable()
    for split in splits:
        train_ids, test_ids = split_sides(prepared, split)
        train, test = _side(train_pool, train_ids), _side(test_pool, test_ids)
        log(f"{corpus} {protocol} {split['name']}: {len(train)} train / {len(test)} test clips")
        if settings.run_baseline:
            started = time.monotonic()
            decisions = run_baseline(train, test, classes, modalities, settings)
            _collect(outcomes, "avots_baseline", split["name"], test, decisions)
            seconds["avots_baseline"] += time.monotonic() - started
        if networks_reason is None:
            started = time.monotonic()
            where = train_sides(prepared, split, training_data)
            decisions = run_networks(train, test, classes, modalities, settings, where)
            _collect(outcomes, "avmodel", split["name"], test, decisions)
            seconds["avmodel"] += time.monotonic() - started
    reasons = {"avots_baseline": None if settings.run_baseline else "baseline not run (--no-baseline)",
               "avmodel": networks_reason}  # fmt: skip
    return [_row(corpus, protocol, system, modality, outcomes[system, modality], classes, training[system],
                 seconds[system], reasons[system]) for system in rows.SYSTEMS for modality in modalities]  # fmt: skip


def train_sides(prepared, split, training_data=None):
    """{role: the TrainConfig fields of its train side}: ``prepared`` split by ``split``,
    with ``training_data``'s fields where it has any for a role."""
    own = {"data": (str(prepared),), "split_manifest": split["split_manifest"], "fold": split["fold"]}
    return {role: {**own, **(training_data or {}).get(role, {})} for role in networks.ROLES}


def _side(pool, ids):
    known = set(pool.clip_ids)
    return pool.select([clip_id for clip_id in ids if clip_id in known])


def _collect(outcomes, system, split_name, test, decisions):
    for modality, (y_pred, notes) in decisions.items():
        if (system, modality) in outcomes:
            outcomes[system, modality].append((split_name, test.labels, y_pred, notes))


def _row(corpus, protocol, system, modality, outcomes, classes, training, seconds, reason):
    if reason is not None:
        return rows.not_measured(corpus, protocol, system, modality, reason)
    if not outcomes:
        return rows.not_measured(corpus, protocol, system, modality, "no split with clips for this protocol")
    return rows.measured(corpus, protocol, system, modality, outcomes, classes, training, round(seconds, 1))


def _fallback(train, classes):
    counts = np.bincount(train.labels, minlength=NUM_CLASSES)
    return int(classes[int(np.argmax(counts[classes]))])


def run_baseline(train, test, classes, modalities, settings):
    """{modality: (y_pred (n,), clips without input)} of the Avots baseline fitted on ``train``."""
    use_audio, use_visual = "audio" in modalities, "visual" in modalities
    faces = FaceClassifier(settings.face_training, model=_pretrained_face_network(settings)) if use_visual else None
    baseline = AvotsBaseline(visual=faces, use_audio=use_audio, use_visual=use_visual).fit(train)
    decisions, proba = baseline.predict_with_proba(test, allowed=classes)
    return {m: (decisions[m], _missing_note(m, proba[m])) for m in modalities if m in decisions}


def _missing_note(modality, proba):
    """{note: number of test clips with no probabilities for ``modality``}."""
    return {NO_INPUT_NOTE[modality] + FALLBACK_NOTE: int(np.isnan(proba).all(axis=1).sum())}


def _pretrained_face_network(settings):
    """A FaceAlexNet copy of the FER2013-pretrained weights, or None (from scratch)."""
    if settings.pretrained_faces is None:
        return None
    from benchmark.baseline.face_net import FaceAlexNet

    model = FaceAlexNet()
    model.set_weights(settings.pretrained_faces)
    return model


def run_networks(train, test, classes, modalities, settings, where):
    """{modality: (y_pred (n,), notes)} of avmodel's networks on the test clips, as ``avmodel.predict`` answers.

    where: {role: TrainConfig fields naming its train side}. A clip without a face (or
    without audio) gets its fused answer from the modality it has, as ``avmodel.predict``
    gives it; with neither it gets the split's most frequent training class.
    """
    from avmodel.predict import AUDIO_VISUAL

    roles = sorted({role for m in modalities for role in networks.ROLES_OF[m]})
    results = networks.clip_results({role: network(role, where[role], settings) for role in roles}, test, modalities)
    fallback = _fallback(train, classes)
    decisions = {}
    for modality in modalities:
        proba = networks.probabilities(results, modality)
        notes = _missing_note(modality, proba)
        if modality == "fused":
            one_modality = sum(r is not None and r["answer"] != AUDIO_VISUAL for r in results)
            notes = {ONE_MODALITY_NOTE: one_modality, **notes}
        decisions[modality] = (decide(proba, classes, fallback), notes)
    return decisions


def network(role, where, settings):
    """A ``role`` network from ``settings.build_network``, trained on the train side ``where`` names
    (``finetune.finetuned``) unless --epochs is 0."""
    import keras

    keras.utils.set_random_seed(settings.finetune.seed)  # the same random start for every split
    model, origin = settings.build_network(role, settings.weights)
    if settings.finetune.epochs == 0:
        return model
    if settings.runs is None:
        raise ValueError("Settings.runs: a folder for the training runs is needed to train (--epochs > 0)")
    return finetuned(role, model, origin, where, settings.finetune, settings.runs)


def pretrain_faces(fer_train, settings, log=print):
    """Pre-train the baseline's face network on FER2013's train faces; returns its weights."""
    log(f"baseline: pre-training the face network on {sum(len(f) for f in fer_train.faces)} FER2013 faces")
    from benchmark.baseline.face_classifier import labelled_faces

    classifier = FaceClassifier(settings.face_training).pretrain(*labelled_faces(fer_train))
    return classifier.model.get_weights()


def trained_corpora(weights):
    """Names of the prepared folders the weights' audio network was trained on (model_info.json)."""
    if weights is None:
        return set()
    from avmodel.hub import read_info

    config = read_info(weights).get("config", {})
    audio = config.get("audio", {}) if isinstance(config.get("audio"), dict) else {}
    return {Path(folder).name for folder in audio.get("data", [])}


def _baseline_training(settings):
    return {"audio": "StandardScaler + RBF SVC (C=1, gamma='scale'), Platt probabilities, fitted per split",
            "visual": dict(settings.face_training.__dict__,
                           init="FER2013-pretrained" if settings.pretrained_faces is not None else "from scratch")}  # fmt: skip


def _network_training(settings):
    origins = {role: _origin(role, settings.weights) for role in networks.ROLES}
    how = "evaluated as given" if settings.finetune.epochs == 0 else FINETUNED
    return {"weights": origins, "procedure": how, "finetune": settings.finetune.describe()}


def _origin(role, weights):
    path = networks.weight_file(weights, role)
    return str(path) if path else "no file: built from the paper preset with random weights (fusion: branches if present)"
