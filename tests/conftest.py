"""Shared fixtures: generated media (tests/media.py) and the real corpora when present."""

import os
from pathlib import Path

import pytest

from tests import media

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("AVMODEL_DATA", ROOT.parent / "shared" / "data"))


def pytest_configure(config):
    """One fresh cache (ONNX graphs, avmodel.graphs) per test run, shared with the CLI subprocesses."""
    if "AVMODEL_CACHE" not in os.environ:
        import tempfile

        os.environ["AVMODEL_CACHE"] = tempfile.mkdtemp(prefix="avmodel-test-cache-")


def data_path(*parts):
    """A path under the shared corpora, or skip the test saying what is missing."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real corpus not available: {path} (set AVMODEL_DATA)")
    return path


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def astronaut_clip(media_dir):
    """3 s of a real face at 25 fps with a 440 Hz tone in 48 kHz stereo (as eNTERFACE'05's audio)."""
    return media.make_clip(media_dir / "astronaut.mp4", media.astronaut_png(media_dir))


@pytest.fixture(scope="session")
def detector():
    from avmodel.faces import FaceDetector

    return FaceDetector()


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    """A weights folder of tiny untrained networks (tests/weights.py), built once per run."""
    from tests.weights import make_weights

    return make_weights(tmp_path_factory.mktemp("tiny_weights"))


@pytest.fixture(scope="session")
def predictor(tiny_weights, detector):
    from avmodel.predict import Predictor

    return Predictor(tiny_weights, detector=detector)
