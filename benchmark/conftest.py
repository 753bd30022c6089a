"""Fixtures of the throughput tests (benchmark/test_throughput.py).

``pytest benchmark/`` runs the benchmarks although the project's addopts say
``--benchmark-skip`` (that flag keeps them out of the default test run; here
they are the point). Pass ``--benchmark-skip`` yourself to skip them anyway.
Trained weights: set AVMODEL_BENCH_WEIGHTS to a weights folder; without it the
networks are full-size with random weights.
"""

import os
import shutil
import subprocess

import pytest

WEIGHTS_VARIABLE = "AVMODEL_BENCH_WEIGHTS"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    session = getattr(config, "_benchmarksession", None)
    if session is not None and "--benchmark-skip" not in config.invocation_params.args:
        session.skip = False


def ffmpeg_available():
    from avmodel.decode import ffmpeg_exe

    try:
        return bool(shutil.which(ffmpeg_exe()) or os.path.isfile(ffmpeg_exe()))
    except (ImportError, RuntimeError, OSError, subprocess.SubprocessError):
        return False


@pytest.fixture(scope="session")
def bench_clip(tmp_path_factory):
    """A 3 s clip of a real face (scikit-image's astronaut) with a tone: tests/media.py's clip."""
    if not ffmpeg_available():
        pytest.skip("no ffmpeg: decode and whole-clip stages need it")
    pytest.importorskip("skimage")
    from tests import media

    folder = tmp_path_factory.mktemp("bench")
    return media.make_clip(folder / "clip.mp4", media.astronaut_png(folder), seconds=3.0)


@pytest.fixture(scope="session")
def detector():
    pytest.importorskip("mtcnn", reason="face detection needs mtcnn (and TensorFlow)")
    pytest.importorskip("tensorflow", reason="MTCNN runs on TensorFlow")
    from avmodel.faces import FaceDetector

    return FaceDetector()


@pytest.fixture(scope="session")
def key_frames(bench_clip):
    from avmodel.decode import iter_key_frames

    return [frame.image for frame in iter_key_frames(bench_clip)]


@pytest.fixture(scope="session")
def networks():
    """({"audio", "visual", "fusion"}: model, origin)."""
    from benchmark.pipeline import load_networks

    return load_networks(os.environ.get(WEIGHTS_VARIABLE))


@pytest.fixture(scope="session")
def predictor(detector):
    from benchmark.pipeline import make_predictor

    return make_predictor(os.environ.get(WEIGHTS_VARIABLE), detector=detector)
