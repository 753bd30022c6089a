"""The training configuration: one frozen dataclass, a comment per field, saved as JSON."""

import json
from dataclasses import asdict, dataclass, fields

from avmodel.constants import SEED

TASKS = ("visual", "audio", "fusion")


@dataclass(frozen=True)
class TrainConfig:
    task: str  # "visual" | "audio" | "fusion"
    data: tuple  # prepared folders (`avmodel prepare`); fusion: the audio folders
    out: str  # run folder: config.json, log.csv, last.keras, best.keras, backup/
    preset: str = "paper"  # model configuration by name (the models' PRESETS)
    epochs: int = 60  # upper bound; early stopping usually ends sooner
    batch_size: int = 64
    learning_rate: float = 0.01  # paper: Adam starting at 0.01 ...
    min_learning_rate: float = 0.001  # ... reduced on plateau towards 0.001
    plateau_factor: float = 0.5  # learning rate x this after `plateau_patience` flat epochs
    plateau_patience: int = 3
    early_stopping_patience: int = 10  # epochs without a better val accuracy
    augment: bool = True  # faces: rotation, zoom, flip, brightness; audio: light noise
    seed: int = SEED
    face_data: tuple = ()  # fusion: prepared face folders for the label-matched pairs
    audio_model: str = ""  # fusion: trained AudioNet (.keras)
    visual_model: str = ""  # fusion: trained VisualNet (.keras)
    pairs_per_window: int = 3  # fusion: faces drawn per training audio window
    frozen_blocks: tuple = (2, 2)  # fusion: leading (audio, visual) conv blocks kept frozen
    time_limit_minutes: float = 0  # stop after the epoch that passes this budget (0: no limit)
    init_model: str = ""  # visual/audio: start from this trained network (.keras) instead of new weights

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.task == "fusion" and not (self.audio_model and self.visual_model and self.face_data):
            raise ValueError("fusion needs audio_model, visual_model and face_data")
        if self.task == "fusion" and self.init_model:
            raise ValueError("init_model is for visual and audio; fusion starts from audio_model and visual_model")

    def to_json(self):
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text):
        values = json.loads(text)
        tuples = {f.name for f in fields(cls) if f.type is tuple}
        return cls(**{k: tuple(v) if k in tuples else v for k, v in values.items()})
