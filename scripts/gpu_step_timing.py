"""Time training steps of VisualNet with and without each augmentation layer (device diagnostic)."""

import time

import keras
import numpy as np

from avmodel.models import VisualNet
from avmodel.training.augment import face_augmentation

x = np.random.randint(0, 255, (128 * 20, 96, 96, 1)).astype("uint8")
y = np.eye(7, dtype="float32")[np.random.randint(0, 7, len(x))]
layers = face_augmentation(0).layers
for name, aug in [("none", []), ("flip+brightness", [layers[0], layers[4]]), ("all", layers)]:
    net = VisualNet()
    inputs = keras.Input((96, 96, 1))
    z = inputs
    for layer in aug:
        z = layer(z)
    model = keras.Model(inputs, net(z))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    model.fit(x[:256], y[:256], batch_size=128, verbose=0)
    start = time.time()
    model.fit(x, y, batch_size=128, verbose=0)
    print(f"{name}: {(time.time() - start) / 20 * 1000:.0f} ms/step", flush=True)
