"""avmodel's networks trained on the train side of a split by ``avmodel train`` itself.

    start network (``Settings.build_network``: --weights, or random)
      -> RUNS/<role>-<key>/start.keras
      -> TrainConfig(task=role, data, split_manifest, fold, init_model=start.keras, preset="")
      -> avmodel.training.run.train -> best.keras: the network the split's test clips are scored with

``finetuned(role, model, origin, where, settings, runs)`` is the one call the benchmark
makes. The split manifest says which clips train (``avmodel.training.data``): the paper's
protocols (80/20, subject folds, FER2013's own split) have no validation side, so those
runs train for exactly ``epochs`` and nothing looks at the test clips; the held-out
speaker manifest has one (its validation speakers), and there the learning-rate plateau
and early stopping watch it, as in ``avmodel train``. Each run folder is ``avmodel
train``'s (config.json, data.json, log.csv, best.keras, metrics.json), keyed by its
configuration and start: the same run asked for twice (the label-matched pairs' audio
network is the voice corpus's own) is trained once.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from avmodel.constants import SEED

START = "start.keras"  # the start network, saved in the run folder (the run's init_model)


@dataclass(frozen=True)
class FineTune:
    """How each network is trained on a split's train side (saved with the results)."""

    epochs: int = 30  # passes over the train side; 0 = evaluate the weights as given
    batch_size: int = 32  # examples per step
    learning_rate: float = 1e-3  # Adam (the paper's final rate)
    augment: bool = True  # avmodel.training's augmentation (faces; light audio noise)
    seed: int = SEED

    def describe(self):
        return asdict(self)


def train_config(role, where, settings, out="", **fields):
    """The TrainConfig of one run: ``settings`` (a FineTune), the data ``where`` names
    (TrainConfig fields: data, split_manifest, fold; fusion: face_data) and ``fields``."""
    from avmodel.training.config import TrainConfig

    return TrainConfig(task=role, out=str(out), preset="", init_model=str(Path(out) / START), epochs=settings.epochs,
                       batch_size=settings.batch_size, learning_rate=settings.learning_rate,
                       augment=settings.augment, seed=settings.seed, **where, **fields)  # fmt: skip


def finetuned(role, model, origin, where, settings, runs):
    """``model`` trained on the train side ``where`` names; returns the trained network (the run's best.keras).

    origin: where ``model`` came from (``networks.build_network``), part of the run's key
    runs:   the folder the run folders go in
    """
    from avmodel.models import load_model
    from avmodel.training.run import train

    fields = {"frozen_blocks": tuple(model.frozen_blocks)} if role == "fusion" else {}
    key = run_key(train_config(role, where, settings, **fields), origin)
    out = Path(runs) / f"{role}-{key}"
    if not (out / "metrics.json").is_file():  # not trained yet (or interrupted: train resumes)
        out.mkdir(parents=True, exist_ok=True)
        model.save(out / START)
        train(train_config(role, where, settings, out, **fields))
    return load_model(out / "best.keras")


def run_key(config, origin):
    """12 hex digits naming a run by its configuration (less its folder) and start network."""
    described = {**asdict(replace(config, out="", init_model=START)), "start": origin}
    return hashlib.sha1(json.dumps(described, sort_keys=True).encode()).hexdigest()[:12]
