"""``avmodel train --data-parallel``: Keras DataParallel on the JAX backend, checked on the CPU
with two virtual devices. A few steps on real emoDB voices give the losses of one device."""

import csv
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_training import real_voices  # noqa: F401  (the fixture: four real emoDB clips per speaker)

pytest.importorskip("jax", reason="data-parallel training runs on the JAX backend")
TWO_CPU_DEVICES = "--xla_force_host_platform_device_count=2"
LOSS_TOLERANCE = 1e-4  # relative: the two halves of a batch are summed in another order
TRAIN = """
import json, sys
import keras
from avmodel.training.config import TrainConfig
from avmodel.training.run import train
for out, data_parallel in (("one", False), ("two", True)):  # one device first: DataParallel stays set after
    config = TrainConfig(task="audio", data=(sys.argv[1],), out=f"{sys.argv[2]}/{out}", preset="logmel", epochs=2,
                         batch_size=4, learning_rate=0.001, augment=False, data_parallel=data_parallel)
    metrics = train(config)
    print(json.dumps({"devices": metrics["training"]["devices"], "backend": keras.backend.backend()}))
"""


def train_on_jax(prepared, out):
    """One fresh process on JAX with two CPU devices trains on one, then on both: (summaries, log rows) of each."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": TWO_CPU_DEVICES, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", TRAIN, str(prepared), str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    summaries = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    logs = []
    for run in ("one", "two"):
        with open(out / run / "log.csv") as file:
            logs.append(list(csv.DictReader(file)))
    return summaries, logs


def test_two_devices_train_with_the_losses_of_one(real_voices, tmp_path):  # noqa: F811
    summaries, (one_log, two_log) = train_on_jax(real_voices, tmp_path)
    assert summaries == [{"devices": 1, "backend": "jax"}, {"devices": 2, "backend": "jax"}]
    for single, split in zip(one_log, two_log, strict=True):
        assert float(split["loss"]) == pytest.approx(float(single["loss"]), rel=LOSS_TOLERANCE)


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "tensorflow") == "jax", reason="the test suite's backend is JAX")
def test_data_parallel_on_another_backend_says_it_needs_jax():
    from avmodel.training.run import use_all_devices

    with pytest.raises(ValueError, match="needs KERAS_BACKEND=jax"):
        use_all_devices(4)
