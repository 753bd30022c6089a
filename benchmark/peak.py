"""Measured peak FLOP/s of the machine: a large float32 matrix product, timed.

Not a datasheet number: the best of REPEATS timed products after a warm-up,
through numpy (its BLAS, all its threads) and through the Keras backend on the
device the models run on. The networks' achieved FLOP/s are reported as a
fraction of the backend figure.
"""

import time

import numpy as np

CPU_SIZE = 2048  # n of the n x n x n product on a CPU (2 n^3 FLOPs = 17 GFLOP)
GPU_SIZE = 8192  # on a GPU (1.1 TFLOP)
REPEATS = 5


def _best_seconds(run, repeats=REPEATS):
    run()  # warm-up: library load, compilation, thread pools
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def numpy_peak(size=CPU_SIZE):
    """{"flops_per_s", "size", "how"} of a float32 numpy matmul."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size), np.float32), rng.standard_normal((size, size), np.float32)
    seconds = _best_seconds(lambda: a @ b)
    return {"flops_per_s": 2 * size**3 / seconds, "size": size, "how": "numpy float32 matmul, best of 5"}


def backend_matmul(size=None):
    """(run, size): ``run()`` does one float32 size^3 matmul through keras.ops on the backend's
    device and waits for it (reading one number back: device work is asynchronous).
    """
    from keras import ops

    from benchmark.environment import accelerator

    size = size or (GPU_SIZE if accelerator()["gpus"] else CPU_SIZE)
    rng = np.random.default_rng(0)
    a = ops.convert_to_tensor(rng.standard_normal((size, size), np.float32))
    b = ops.convert_to_tensor(rng.standard_normal((size, size), np.float32))
    return (lambda: float(ops.convert_to_numpy(ops.matmul(a, b)[0, 0]))), size


def backend_peak(size=None):
    """{"flops_per_s", "size", "how", "device"} of a float32 matmul through keras.ops on the backend's device."""
    import keras

    from benchmark.environment import accelerator

    device = accelerator()
    run, size = backend_matmul(size)
    seconds = _best_seconds(run)
    return {"flops_per_s": 2 * size**3 / seconds, "size": size, "device": device["device"],
            "how": f"keras.ops.matmul float32 on the {keras.backend.backend()} backend, best of 5"}  # fmt: skip


def measure():
    """Both peaks: {"numpy": ..., "backend": ...}."""
    return {"numpy": numpy_peak(), "backend": backend_peak()}
