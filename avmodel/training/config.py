"""The training configuration: one frozen dataclass, a comment per field, saved as JSON."""

import inspect
import json
import re
from dataclasses import asdict, dataclass, fields

from avmodel.constants import SEED

TASKS = ("visual", "audio", "fusion")


@dataclass(frozen=True)
class TrainConfig:
    task: str  # "visual" | "audio" | "fusion"
    data: tuple  # prepared folders (`avmodel prepare`); fusion: the audio folders
    out: str  # run folder: config.json, log.csv, last.keras, best.keras, backup/
    preset: str = "paper"  # model configuration by name (the models' PRESETS); "" with init_model: that network's own
    epochs: int = 60  # upper bound; early stopping usually ends sooner
    batch_size: int = 64  # samples per training step (with data_parallel: across all devices)
    learning_rate: float = 0.01  # paper: Adam starting at 0.01 ...
    min_learning_rate: float = 0.001  # ... reduced on plateau towards 0.001
    plateau_factor: float = 0.5  # learning rate x this after `plateau_patience` flat epochs
    plateau_patience: int = 3  # epochs without a lower val loss before the learning rate is cut
    early_stopping_patience: int = 10  # epochs without a better val accuracy
    augment: bool = True  # faces: rotation, zoom, flip, brightness; audio: light noise
    codec_augment: bool = False  # audio/fusion, with augment: each window's spectrum coloured at random (augment.CodecColouring)
    speed_augment: float = 0.0  # audio/fusion, with augment: each window played at 1 +- up to this speed (augment.SpeedPerturbation); 0: off
    seed: int = SEED  # shuffling, augmentation, dropout; a run adds the epochs trained before it (run.stream_seed)
    face_data: tuple = ()  # fusion: prepared face folders for label-matched pairs; () = each clip's own faces
    audio_model: str = ""  # fusion: trained AudioNet (.keras)
    visual_model: str = ""  # fusion: trained VisualNet (.keras)
    pairs_per_window: int = 3  # fusion: faces drawn per training audio window
    frozen_blocks: tuple = (2, 2)  # fusion: leading (audio, visual) conv blocks kept frozen
    time_limit_minutes: float = 0  # stop after the epoch that passes this budget (0: no limit)
    init_model: str = ""  # start from this trained network (.keras) instead of new weights (fusion: or the branches)
    head_only: bool = False  # fusion: fit only the head, on encoder features computed once (fusion_head.py)
    corpus_repeats: tuple = ()  # audio/fusion: "corpus=n" takes that corpus's training windows n times
    split_manifest: str = ""  # splits/*.csv of each data folder (relative to it, or absolute); "": the default one
    fold: int = -1  # with a subject_folds manifest: this fold is test, the others train (-1: not a fold manifest)
    soft_labels: str = ""  # visual: FER+ votes csv (ferplus/fer2013_ferplus_votes.csv) for soft training targets
    soft_label_weight: float = 0.4  # visual: target = (1 - w) one-hot label + w vote distribution (w < 0.5 keeps the label first)
    data_parallel: bool = False  # keras.distribution.DataParallel over all devices (JAX); batch_size is the global batch

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        branches = bool(self.audio_model or self.visual_model)
        if self.task == "fusion" and not (self.init_model or (self.audio_model and self.visual_model)):
            raise ValueError("fusion needs audio_model and visual_model (or init_model)")
        if self.task == "fusion" and self.init_model and branches:
            raise ValueError("fusion starts from init_model or from audio_model and visual_model, not both")
        if not self.preset and not self.init_model:
            raise ValueError("preset \"\" (the network's own) needs init_model")
        if self.fold < -1 or (self.fold >= 0 and not self.split_manifest):
            raise ValueError(f"fold {self.fold} needs a subject_folds split_manifest (fold -1: none)")
        audio_trained = self.task != "visual" and not self.head_only and self.augment
        for name in ("codec_augment", "speed_augment"):
            if getattr(self, name) and not audio_trained:
                raise ValueError(f"{name} changes the audio windows a network trains on: it needs an audio or "
                                 "end-to-end fusion task with augment on")  # fmt: skip
        if not 0 <= self.speed_augment < 0.5:
            raise ValueError(f"speed_augment is a relative change in [0, 0.5), got {self.speed_augment}")
        if self.soft_labels and self.task != "visual":
            raise ValueError(f"soft_labels (FER+ votes) are for the visual task, not {self.task!r}")
        if not 0 < self.soft_label_weight <= 1:
            raise ValueError(f"soft_label_weight must be in (0, 1], got {self.soft_label_weight}")
        self.repeats()  # raises on a malformed entry

    def repeats(self):
        """{corpus: n} from ``corpus_repeats`` ("emodb=3" -> {"emodb": 3})."""
        pairs = [entry.partition("=") for entry in self.corpus_repeats]
        if any(not sep or not name or not count.isdigit() or int(count) < 1 for name, sep, count in pairs):
            raise ValueError(f"corpus_repeats entries are corpus=n with n >= 1, got {self.corpus_repeats}")
        return {name: int(count) for name, _, count in pairs}

    def to_json(self):
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text):
        values = json.loads(text)
        tuples = {f.name for f in fields(cls) if f.type is tuple}
        return cls(**{k: tuple(v) if k in tuples else v for k, v in values.items()})


def field_comments():
    """{field name: the comment beside it in TrainConfig}: each option's help in ``avmodel train --help``."""
    lines = inspect.getsource(TrainConfig).splitlines()
    found = (re.match(r"\s+(\w+): \w+(?: = .*?)?  # (.*)$", line) for line in lines)
    return {match[1]: match[2] for match in found if match}
