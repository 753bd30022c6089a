"""One training run, top to bottom: seed -> data -> model -> compile -> fit -> evaluate -> save.

Resumable: Keras' BackupAndRestore keeps the model, optimizer and epoch in
``out/backup/`` and picks up there when the same command runs again.
Runs on any Keras backend (TensorFlow here; JAX or PyTorch on a GPU machine).
"""

import csv
import json
import time
from pathlib import Path

import keras

from avmodel.calibration import probabilities, with_temperature
from avmodel.corpora.ferplus import read_ferplus_votes
from avmodel.metrics import evaluate_probabilities
from avmodel.models import AudioNet, FusionNet, VisualNet, load_model
from avmodel.training import data
from avmodel.training.augment import AugmentedBatches, audio_augmentation
from avmodel.training.lineage import epochs_behind, write_started_from

PREDICT_BATCH = 256
BACKUP = "backup"  # in a run folder: BackupAndRestore's model, optimizer and epoch


def train(config):
    """Train per ``config`` (a TrainConfig); returns the test metrics (also in out/metrics.json)."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(config.to_json())
    write_started_from(config, out)  # before any release can replace the weights it starts from
    seed = stream_seed(config, out)
    keras.utils.set_random_seed(seed)
    if config.data_parallel:
        use_all_devices(config.batch_size)
    if config.task == "fusion" and config.head_only:  # encoders once per window and face: fusion_head.py
        from avmodel.training.fusion_head import train_head

        return train_head(config, build_model(config), out)
    splits = load_splits(config)
    (out / "data.json").write_text(json.dumps(data.describe(splits), indent=2))
    model = build_model(config)
    trainer = with_augmentation(model, config, seed)
    trainer.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                    loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["accuracy"])  # fmt: skip
    validation = (splits["val"].x, splits["val"].onehot) if len(splits["val"]) else None  # None: fixed epochs
    started = time.monotonic()
    history = trainer.fit(
        **training_data(splits["train"], config, seed),
        validation_data=validation,
        epochs=config.epochs, callbacks=callbacks(config, out, validate=validation is not None, network=model),
        verbose=2,
    )  # fmt: skip
    seconds = time.monotonic() - started
    model = kept_network(model, out / "best.keras", validated=validation is not None)
    metrics = split_metrics(model, splits["test"])
    metrics["training"] = {"epochs_run": len(history.history["loss"]), "seconds": round(seconds, 1),
                           "seconds_per_epoch": round(seconds / max(1, len(history.history["loss"])), 1),
                           "backend": keras.backend.backend(), "seed": seed,
                           "devices": len(keras.distribution.list_devices()) if config.data_parallel else 1}  # fmt: skip
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def kept_network(model, best, validated):
    """The network a run keeps, saved as ``best``: with a validation side, SaveBest's best epoch over every
    stretch of the run (early stopping restores only the best of the last stretch, which a resumed run's
    earlier stretch may beat); without one, the last epoch's."""
    if validated and best.is_file():
        return load_model(best)
    model.save(best)
    return model


def stream_seed(config, out):
    """The seed of this run's shuffling, augmentation and dropout: ``config.seed`` plus every epoch trained
    before this one starts (behind its warm start, and before an interruption it resumes from), so no two
    stretches of a chain of runs share a stream. With one seed for all, a warm start replayed the batch order
    and the augmentation draws of the first epochs of the network it continued, and a resumed run its own."""
    return config.seed + epochs_behind(out) + resumed_epoch(out)


def resumed_epoch(out):
    """The epoch BackupAndRestore resumes ``out`` at (0: a fresh start), from its backup's metadata."""
    metadata = Path(out) / BACKUP / "training_metadata.json"
    return json.loads(metadata.read_text())["epoch"] if metadata.is_file() else 0


def use_all_devices(batch_size):
    """Replicate the model on every visible device and split each batch across them (Keras DataParallel).

    The distribution API shards along the batch axis on the JAX backend: ``batch_size`` is the
    global batch, each of n devices computes ``batch_size / n`` rows and the gradients are summed,
    so the same run on one device or several takes the same steps. Returns the device list.
    """
    if keras.backend.backend() != "jax":
        raise ValueError(f"data_parallel needs KERAS_BACKEND=jax (this is {keras.backend.backend()})")
    devices = keras.distribution.list_devices()
    if batch_size % len(devices):
        raise ValueError(f"batch_size {batch_size} does not split evenly across {len(devices)} devices")
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return devices


def load_splits(config):
    """{"train"|"val"|"test": data.Samples} of the task, split by ``config.split_manifest`` (and ``fold``)."""
    side = {"manifest": config.split_manifest, "fold": config.fold}
    if config.task == "visual":
        splits = data.visual_splits(config.data, **side)
        if config.soft_labels:  # FER+ votes: soft targets for training only; val and test keep their labels
            votes = read_ferplus_votes(config.soft_labels)
            splits["train"], _ = data.with_soft_targets(splits["train"], config.data, votes, config.soft_label_weight)
        return splits
    if config.task == "audio":
        return data.audio_splits(config.data, config.repeats(), **side)
    if not config.face_data:  # an audio-visual corpus: each clip's own windows and faces
        return data.clip_pair_splits(config.data, config.repeats(), **side)
    return data.pair_splits(config.data, config.face_data, config.pairs_per_window, config.seed, config.repeats(),
                            **side)  # fmt: skip


def build_model(config):
    """A new network for the task (or ``init_model``'s); a new fusion starts from the two trained branches."""
    branch = {"visual": VisualNet, "audio": AudioNet, "fusion": FusionNet}[config.task]
    if config.init_model:  # warm start: a finished run continued, e.g. at a lower learning rate
        return checked_warm_start(load_model(config.init_model), branch, config)
    if branch is not FusionNet:
        return branch.from_preset(config.preset)
    audio_model, visual_model = load_model(config.audio_model), load_model(config.visual_model)
    return FusionNet.from_branches(audio_model, visual_model, frozen_blocks=tuple(config.frozen_blocks))


def checked_warm_start(model, branch, config):
    """``model`` if it is the task's network as ``config`` names it (so config.json tells the truth):
    a branch in ``config.preset`` (preset "": as it is), a fusion with ``config.frozen_blocks``."""
    if not isinstance(model, branch):
        raise ValueError(f"init_model {config.init_model} holds a {type(model).__name__}; "
                         f"{config.task} needs a {branch.__name__}")  # fmt: skip
    if branch is FusionNet and tuple(model.frozen_blocks) != tuple(config.frozen_blocks):
        raise ValueError(f"init_model {config.init_model} freezes blocks {tuple(model.frozen_blocks)}; "
                         "pass the --frozen-blocks it was built with")  # fmt: skip
    if model.temperature != 1.0:  # a calibration belongs to the weights it was fitted on: trained again, it is gone
        model = with_temperature(model, 1.0)
    if branch is FusionNet or not config.preset:
        return model
    fresh = branch.BACKBONE.from_preset(config.preset).get_config()
    ignored = ("name", "trainable")
    if any(model.backbone.get_config().get(key) != value for key, value in fresh.items() if key not in ignored):
        raise ValueError(f"init_model {config.init_model} is not a {config.preset!r} {branch.__name__}; "
                         "pass the --preset it was trained with")  # fmt: skip
    return model


def with_augmentation(model, config, seed):
    """The model behind training-only audio noise, speed perturbation with ``config.speed_augment`` and codec
    colouring with ``config.codec_augment`` (the saved model has none of them), drawn from ``seed``."""
    if not config.augment or config.task == "visual":
        return model
    augmented = audio_augmentation(seed, codec=config.codec_augment, speed=config.speed_augment)
    if config.task == "audio":
        inputs = keras.Input(model.input.shape[1:], name="audio")
        return keras.Model(inputs, model(augmented(inputs)), name="audio_trainer")
    audio = keras.Input(model.input["audio"].shape[1:], name="audio")
    face = keras.Input(model.input["face"].shape[1:], name="face")
    noisy = augmented(audio)
    return keras.Model({"audio": audio, "face": face}, model({"audio": noisy, "face": face}), name="fusion_trainer")


def training_data(train, config, seed):
    """fit() arguments: augmented face batches (a PyDataset, drawn from ``seed``) or plain shuffled arrays."""
    if config.augment and config.task in ("visual", "fusion"):
        return {"x": AugmentedBatches(train.x, train.targets, config.batch_size, seed, workers=4)}
    return {"x": train.x, "y": train.targets, "batch_size": config.batch_size, "shuffle": True}


def callbacks(config, out, validate=True, network=None):
    """Backup, checkpoint, log, time limit; with a validation side (``validate``) also plateau, early stopping
    and, given the ``network`` being trained (not the training wrapper around it), best.keras written
    whenever validation accuracy improves, so a run stopped mid-epoch keeps its best epoch."""
    watch_val = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=config.plateau_factor,
                                          patience=config.plateau_patience,
                                          min_lr=config.min_learning_rate),  # fmt: skip
        keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=config.early_stopping_patience,
                                      restore_best_weights=True),  # fmt: skip
    ]
    if network is not None:
        watch_val.append(SaveBest(network, out / "best.keras", best_logged(out)))
    return [
        keras.callbacks.BackupAndRestore(str(out / BACKUP)),  # resume after interruption
        keras.callbacks.ModelCheckpoint(str(out / "last.keras")),  # every epoch
        *(watch_val if validate else []),
        keras.callbacks.CSVLogger(str(out / "log.csv"), append=True),
        TimeLimit(config.time_limit_minutes),
    ]


def best_logged(out, metric="val_accuracy"):
    """The best ``metric`` in the run's log.csv (an earlier, interrupted part of it), or None: a resumed run
    replaces best.keras only with a better epoch."""
    log = Path(out) / "log.csv"
    if not log.is_file():
        return None
    with log.open(newline="") as file:
        values = [float(row[metric]) for row in csv.DictReader(file) if row.get(metric)]
    return max(values, default=None)


class SaveBest(keras.callbacks.Callback):
    """Save ``network`` to ``path`` after every epoch whose ``monitor`` beats ``best`` (None: any value)."""

    def __init__(self, network, path, best=None, monitor="val_accuracy"):
        super().__init__()
        self.network, self.path, self.best, self.monitor = network, path, best, monitor

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and (self.best is None or value > self.best):
            self.best = float(value)
            self.network.save(self.path)


class TimeLimit(keras.callbacks.Callback):
    """Stop training after the epoch during which ``minutes`` have passed (0: never)."""

    def __init__(self, minutes):
        super().__init__()
        self.seconds = minutes * 60
        self.started = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        if self.seconds and time.monotonic() - self.started > self.seconds:
            self.model.stop_training = True


def split_metrics(model, split):
    """Test metrics of a trained model on Samples (clip-level too where clips have several samples)."""
    logits = model.predict(split.x, batch_size=PREDICT_BATCH, verbose=0)
    return evaluate_probabilities(probabilities(logits), split.y, split.clip)
