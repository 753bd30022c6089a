"""Training: prepared arrays -> fitted AudioNet / VisualNet / FusionNet.

    config.py   TrainConfig, one frozen dataclass, saved beside the weights
    data.py     prepared folders -> (inputs, one-hot labels) for train / val / test
    augment.py  face augmentation (rotation, zoom, flip, brightness)
    run.py      seed -> data -> model -> compile -> fit (checkpoints, resume) -> evaluate -> save
"""
