"""Where a figure was measured: code version, command, time, machine, backend, threads.

Everything here is stamped into results.json beside the numbers it explains.
"""

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository
PACKAGES = ("avmodel", "keras", "tensorflow", "jax", "torch", "numpy", "scikit-learn", "librosa", "mtcnn",
            "pytest-benchmark")  # fmt: skip
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS", "XLA_FLAGS")  # fmt: skip


def code_version():
    """``git describe --always --dirty`` of the repository, or "unknown" outside git."""
    try:
        result = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                                capture_output=True, text=True, timeout=30)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return result.stdout.strip() or "unknown"


def command_line(argv=None):
    """The command as typed: ``python -m benchmark ...``."""
    argv = sys.argv[1:] if argv is None else argv
    return " ".join(["python -m benchmark", *argv])


def timestamp():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def versions():
    """{package: version} of what is installed (absent packages left out)."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib():
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * size / 2**30, 1)


def threads():
    """Thread settings that bound the CPU work: environment, BLAS pools, the backend's own."""
    found = {name: os.environ[name] for name in THREAD_VARIABLES if name in os.environ}
    try:
        from threadpoolctl import threadpool_info

        found["blas"] = [{"library": p["internal_api"], "threads": p["num_threads"]} for p in threadpool_info()]
    except ImportError:
        pass
    found.update(_backend_threads())
    return found


def _backend_threads():
    if "tensorflow" not in sys.modules:  # only report what is already loaded
        return {}
    import tensorflow as tf

    intra, inter = tf.config.threading.get_intra_op_parallelism_threads(), tf.config.threading.get_inter_op_parallelism_threads()
    return {"tensorflow_intra_op": intra or "default (all cores)", "tensorflow_inter_op": inter or "default"}


def accelerator():
    """The device the Keras backend computes on: {"backend", "device", "gpus"}."""
    import keras

    backend = keras.backend.backend()
    gpus = _gpus(backend)
    return {"backend": backend, "device": gpus[0] if gpus else "CPU", "gpus": gpus}


def _gpus(backend):
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return [d.name for d in tf.config.list_physical_devices("GPU")]
        if backend == "jax":
            import jax

            return [str(d.device_kind) for d in jax.devices() if d.platform == "gpu"]
        if backend == "torch":
            import torch

            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # a broken driver must not stop a CPU benchmark
        return []
    return []


def machine(with_backend=True):
    """The machine, as plain JSON-ready values."""
    info = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": memory_gib(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "versions": versions(),
    }
    if with_backend:
        info.update(accelerator())
        info["threads"] = threads()
    return info


def stamp(argv=None):
    """The header of results.json: command, code version, time, machine."""
    return {"command": command_line(argv), "code_version": code_version(), "timestamp": timestamp(),
            "machine": machine()}  # fmt: skip
