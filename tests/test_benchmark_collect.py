"""The throughput tests exist and collect, and stay out of the default test run."""

import subprocess
import sys
import tomllib

from benchmark.environment import ROOT

STAGES = ("test_decode", "test_face_detection", "test_network[audio-1-compiled]", "test_network[visual-32-eager]",
          "test_network[fusion-32-compiled]", "test_peak_matmul", "test_whole_clip")  # fmt: skip


def test_throughput_tests_collect():
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "benchmark/"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    for stage in STAGES:
        assert f"benchmark/test_throughput.py::{stage}" in done.stdout


def test_default_run_does_not_collect_them():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert options["testpaths"] == ["tests"]
