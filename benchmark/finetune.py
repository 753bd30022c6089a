"""Fine-tuning a network on the train side of a split (the paper retrains on eNTERFACE'05).

``finetune(role, model, clips, settings)`` is the one call the benchmark makes.
It fits on every example of the train clips (audio: windows; visual: faces;
fusion: the (window, face) pairs ``avmodel.predict`` scores) for a fixed
number of epochs: the paper's protocol has no validation side, so nothing
here looks at the test clips. Compile settings and augmentation follow
``avmodel.training.run`` (Adam, categorical cross-entropy, its audio noise and
augmented face batches); ``avmodel train`` itself reads whole prepared folders with its own
held-out speakers and cannot train on a manifest's train side, so this
function is where a split-aware entry point of ``avmodel.training`` is to be
wired when it exists.
"""

from dataclasses import asdict, dataclass
from types import SimpleNamespace

import numpy as np

from avmodel.constants import NUM_CLASSES, SEED
from benchmark.networks import examples


@dataclass(frozen=True)
class FineTune:
    """How each network is fitted on a split's train side (saved with the results)."""

    epochs: int = 30  # passes over the train side; 0 = evaluate the weights as given
    batch_size: int = 32  # examples per step
    learning_rate: float = 1e-3  # Adam (the paper's final rate)
    augment: bool = True  # avmodel.training's augmentation layers (faces; light audio noise)
    seed: int = SEED

    def describe(self):
        return asdict(self)


def finetune(role, model, clips, settings):
    """Fit ``model`` (role "audio" | "visual" | "fusion") on every example of ``clips``; returns the model."""
    import keras

    x, clip_index, _ = examples(role, clips)
    if len(clip_index) == 0:
        raise ValueError(f"no {role} examples in the train clips")
    y = np.eye(NUM_CLASSES, dtype=np.float32)[clips.labels[clip_index]]
    keras.utils.set_random_seed(settings.seed)
    trainer, data = _training_setup(model, role, x, y, settings)
    trainer.compile(optimizer=keras.optimizers.Adam(settings.learning_rate),
                    loss="categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    trainer.fit(**data, epochs=settings.epochs, verbose=0)
    return model


def _training_setup(model, role, x, y, settings):
    """(model to fit, fit() data arguments): avmodel.training's augmentation (audio noise layer,
    augmented face batches) when it is there and wanted, else plain shuffled arrays.
    """
    plain = {"x": x, "y": y, "batch_size": settings.batch_size, "shuffle": True}
    if not settings.augment:
        return model, plain
    try:
        from avmodel.training.run import training_data, with_augmentation
    except ImportError:  # training code absent: fit without augmentation
        return model, plain
    config = SimpleNamespace(augment=True, task=role, seed=settings.seed, batch_size=settings.batch_size)
    return with_augmentation(model, config), training_data(SimpleNamespace(x=x, onehot=y), config)
