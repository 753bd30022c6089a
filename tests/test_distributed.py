"""``avmodel predict --ray``: a local Ray with 2 CPUs gives the rows of the single-process run.

A bad file becomes an error row and the job goes on; a killed job, run again, ends with every
file once. Needs the ``avmodel[ray]`` extra (installed by ``make test``); skipped without it.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from avmodel.cli import main
from tests import media
from tests.conftest import DATA, ROOT

pytest.importorskip("ray", reason="Ray is the optional extra avmodel[ray]")
REAL_CLIPS = sorted(DATA.glob("crema-d/1001_DFA_*_XX.flv"))[:2]  # real voices and faces, when present
KILLED_JOB_WAVS = 16  # more files, so that the job is killed half-way
KILL_WAIT_SECONDS = 900  # for the first two rows: Ray and two TensorFlow workers start on a busy 2-core machine
TOLERANCE = 1e-6  # probabilities: a worker's TensorFlow has one thread, so sums run in another order


@pytest.fixture(scope="module")
def job(astronaut_clip, media_dir, tmp_path_factory):
    """Files of every kind, one of them broken, and the rows of the single-process run."""
    folder = tmp_path_factory.mktemp("ray_job")
    broken = folder / "broken.mp4"
    broken.write_bytes(b"\x00" * 100)
    wav = media.make_wav(media_dir / "ray_tone.wav", 2.0)
    return [str(astronaut_clip), str(broken), str(wav), *map(str, REAL_CLIPS)]


def rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def assert_same_rows(ours, theirs):
    assert [row["path"] for row in ours] == [row["path"] for row in theirs]
    assert flat(ours).keys() == flat(theirs).keys()
    for key, value in flat(ours).items():
        other = flat(theirs)[key]
        assert other == (pytest.approx(value, abs=TOLERANCE) if isinstance(value, float) else value), key


def flat(value, prefix=""):
    """Nested dicts and lists -> {"0/windows/1/fused/happy": leaf}."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {prefix: value}
    return {key: leaf for name, item in items for key, leaf in flat(item, f"{prefix}/{name}").items()}


def test_ray_workers_give_the_rows_of_one_process_and_a_bad_file_an_error_row(job, tiny_weights, tmp_path):
    local, distributed = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert main(["predict", *job, "--out", str(local), "--weights", str(tiny_weights)]) == 0
    command = ["predict", *job, "--out", str(distributed), "--weights", str(tiny_weights), "--ray", "--num-workers", "2"]
    assert main(command) == 0
    assert_same_rows(rows(local), rows(distributed))
    assert rows(distributed)[1]["reason"] == "not an audio or video file" and "error" not in rows(distributed)[0]


def test_missing_or_damaged_weights_stop_a_ray_job_before_any_worker_starts(job, tiny_weights, tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    assert main(["predict", *job, "--ray", "--weights", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "cannot load the weights" in capsys.readouterr().err
    damaged = shutil.copytree(tiny_weights, tmp_path / "damaged")
    (damaged / "audio.keras").write_bytes(b"not a keras file")
    assert main(["predict", *job, "--ray", "--weights", str(damaged), "--out", str(out)]) == 2
    assert "audio.keras" in capsys.readouterr().err and (not out.exists() or out.read_text() == "")


@pytest.mark.slow
def test_a_killed_ray_job_run_again_finishes_with_every_file_once(job, tiny_weights, tmp_path):
    out = tmp_path / "results.jsonl"
    files = job + [str(media.make_wav(tmp_path / f"tone{i}.wav", 2.0)) for i in range(KILLED_JOB_WAVS)]
    command = [sys.executable, "-m", "avmodel.cli", "predict", *files, "--out", str(out),
               "--weights", str(tiny_weights), "--ray", "--num-workers", "2"]  # fmt: skip
    log = (tmp_path / "first.log").open("w")
    first = subprocess.Popen(command, cwd=ROOT, stderr=log, start_new_session=True)
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while not (out.exists() and len(out.read_text().splitlines()) >= 2) and time.monotonic() < deadline:
        assert first.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)  # the driver, its local Ray and the workers, at once
    first.wait()
    assert 2 <= len(rows(out)) < len(files)
    subprocess.run(command, cwd=ROOT, stderr=subprocess.DEVNULL, check=True, timeout=600)
    assert [row["path"] for row in rows(out)] == files[:len(rows(out))] and len(rows(out)) == len(files)
