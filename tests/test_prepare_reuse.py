"""`avmodel prepare` run again on a changed corpus, interrupted, or twice at once (issue 14).

Every test ends by comparing the folder with a fresh, uninterrupted run of the
corpus as it is then, clip by clip and by content: each clip's windows must hold
its own tone (every test voice has a different one) and each FER2013 face its
own grey level, under its own clip_id and label.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import avmodel.prepare as prepare_module
from avmodel.cli import main
from avmodel.constants import SAMPLE_RATE
from avmodel.prepare import LOCK_FILE, FolderBusyError, load_arrays, prepare, read_clips
from tests import media

ROOT = Path(__file__).resolve().parents[1]
# emoDB-style names (speaker, text, emotion letter W/T/F/N, version) -> (seconds, tone in Hz); no two tones alike
VOICES = {"03a01Wa": (3.1, 300), "03a01Ta": (2.5, 500), "08a01Fa": (1.5, 700), "09a01Na": (2.2, 900),
          "11a01Wa": (4.5, 1100), "12a01Ta": (2.0, 1300)}  # fmt: skip
ADDED = {"10a01Fa": (2.6, 1500)}  # sorts into the middle: every later clip moves up one row
GREYS = {"train/happy/a": 20, "train/sad/b": 60, "train/angry/c": 100, "test/happy/d": 140, "test/fear/e": 180}


def make_voices(folder, voices=VOICES):
    folder.mkdir(parents=True, exist_ok=True)
    for stem, (seconds, tone) in voices.items():
        media.make_wav(folder / f"{stem}.wav", seconds, tone_hz=tone)
    return folder


def make_faces(folder, greys=GREYS):
    for clip_id, grey in greys.items():
        (folder / clip_id).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((48, 48), grey, np.uint8)).save(folder / f"{clip_id}.png")
    return folder


def peak_hz(window):
    return np.argmax(np.abs(np.fft.rfft(window.astype(np.float32)))) * SAMPLE_RATE / len(window)


def assert_like_fresh_run(out, corpus, source, tmp_path, tones=None, greys=None, **settings):
    """``out`` equals a fresh run of ``source`` clip by clip, and every clip holds its own content."""
    reference = tmp_path / "fresh"
    prepare(corpus, source, reference, workers=1, **settings)
    rows, fresh_rows = read_clips(out), read_clips(reference)
    assert rows == fresh_rows
    arrays, fresh = load_arrays(out, mmap=False), load_arrays(reference, mmap=False)
    for row in rows:
        windows = arrays["windows"][arrays["window_clip"] == row["index"]]
        faces = arrays["faces"][arrays["face_clip"] == row["index"]]
        np.testing.assert_array_equal(windows, fresh["windows"][fresh["window_clip"] == row["index"]])
        np.testing.assert_array_equal(faces, fresh["faces"][fresh["face_clip"] == row["index"]])
        if tones:
            assert len(windows) and all(abs(peak_hz(w) - tones[row["clip_id"]]) < 5 for w in windows), row["clip_id"]
        if greys:
            assert len(faces) == 1 and np.all(faces == greys[row["clip_id"]]), row["clip_id"]
    for key in arrays:
        np.testing.assert_array_equal(arrays[key], fresh[key])
    assert list(out.rglob("*.tmp")) == []  # no temporary file left behind


def tones_of(*voices):
    return {stem: tone for group in voices for stem, (_, tone) in group.items()}


def test_added_file_prepares_only_that_clip(tmp_path):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    prepare("emodb", source, out, workers=1, shard_size=2)
    make_voices(source, ADDED)
    again = prepare("emodb", source, out, workers=1, shard_size=2)
    assert again["clips"] == 7 and again["reused_clips"] == 6 and again["prepared_now"] == 1
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES, ADDED))


def test_removed_file_reuses_the_rest(tmp_path):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    prepare("emodb", source, out, workers=1, shard_size=4)
    (source / "08a01Fa.wav").unlink()  # the third clip, inside the first shard
    again = prepare("emodb", source, out, workers=1, shard_size=4)
    assert again["clips"] == 5 and again["reused_clips"] == 5 and again["prepared_now"] == 0
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES))


def test_changed_file_is_prepared_again(tmp_path):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    prepare("emodb", source, out, workers=1)
    media.make_wav(source / "09a01Na.wav", 3.0, tone_hz=1700)  # same name, new sound
    again = prepare("emodb", source, out, workers=1)
    assert again["reused_clips"] == 5 and again["prepared_now"] == 1
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES) | {"09a01Na": 1700})


def test_other_seed_reuses_nothing(tmp_path):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    prepare("emodb", source, out, workers=1)
    again = prepare("emodb", source, out, workers=1, seed=7)
    assert again["reused_clips"] == 0 and again["prepared_now"] == 6
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES), seed=7)


def test_limit_then_the_full_run(tmp_path):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    assert main(["prepare", "emodb", str(source), "--out", str(out), "--workers", "1", "--limit", "3"]) == 0
    assert main(["prepare", "emodb", str(source), "--out", str(out), "--workers", "1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["clips"] == 6 and summary["reused_clips"] == 3 and summary["prepared_now"] == 3
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES))


def test_face_images_added_and_removed(tmp_path):
    source = make_faces(tmp_path / "fer")
    out = tmp_path / "out"
    prepare("fer2013", source, out, workers=1, shard_size=2)
    make_faces(source, {"train/happy/aa": 220})  # sorts second
    (source / "train/sad/b.png").unlink()
    again = prepare("fer2013", source, out, workers=1, shard_size=2)
    assert again["clips"] == 5 and again["reused_clips"] == 4 and again["prepared_now"] == 1
    greys = {k: v for k, v in GREYS.items() if k != "train/sad/b"} | {"train/happy/aa": 220}
    assert_like_fresh_run(out, "fer2013", source, tmp_path, greys=greys, shard_size=2)


def test_interrupt_keeps_finished_clips_of_a_small_corpus(tmp_path, monkeypatch):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    real, calls = prepare_module._prepare_one, []

    def interrupted_after_three(job):
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C during the fourth clip
        calls.append(job[1].clip_id)
        return real(job)

    monkeypatch.setattr(prepare_module, "_prepare_one", interrupted_after_three)
    with pytest.raises(KeyboardInterrupt):
        prepare("emodb", source, out, workers=1)  # 6 clips: far fewer than one shard of SHARD_SIZE
    assert len(list((out / "shards").glob("shard_*.npz"))) == 1

    def counted(job):
        calls.append(job[1].clip_id)
        return real(job)

    calls.clear()
    monkeypatch.setattr(prepare_module, "_prepare_one", counted)
    again = prepare("emodb", source, out, workers=1)
    assert len(calls) == 3 and again["reused_clips"] == 3
    monkeypatch.setattr(prepare_module, "_prepare_one", real)
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES))


@pytest.mark.slow  # about half a minute: a real Ctrl-C to a run on two worker processes
def test_ctrl_c_on_two_workers_then_the_same_command(tmp_path):
    voices = {f"{10 + k:02d}a01Wa": (2.5, 300 + 50 * k) for k in range(48)}
    source = make_voices(tmp_path / "emodb", voices)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "avmodel.cli", "prepare", "emodb", str(source), "--out", str(out),
               "--workers", "2"]  # fmt: skip
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    progress, done = b"", 0
    while done < 3:  # wait until a few clips are done (about half of them are still to do)
        chunk = os.read(run.stderr.fileno(), 4096)
        assert chunk, progress
        progress += chunk
        done = max([int(n) for n in re.findall(rb" (\d+)/48 ", progress)] + [0])
    assert done < 48, progress
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    _, error = run.communicate(timeout=120)
    assert run.returncode == 130 and b"interrupted; finished clips are kept" in error, error
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    summary = json.loads(again.stdout)
    assert again.returncode == 0 and done <= summary["reused_clips"] < 48, (summary, progress)  # none lost
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(voices))


def test_second_run_into_the_same_folder_is_refused(tmp_path, monkeypatch, capsys):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    real, inside, release = prepare_module._prepare_one, threading.Event(), threading.Event()

    def held(job):
        inside.set()
        assert release.wait(60)
        return real(job)

    monkeypatch.setattr(prepare_module, "_prepare_one", held)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(prepare, "emodb", source, out, workers=1, shard_size=1)
        try:
            assert inside.wait(60)  # the first run holds the folder, inside its first clip
            with pytest.raises(FolderBusyError, match="another `avmodel prepare`"):
                prepare("emodb", source, out, workers=1)
            assert main(["prepare", "emodb", str(source), "--out", str(out), "--workers", "1"]) == 2
        finally:
            release.set()
        first.result()
    error = capsys.readouterr().err
    assert f"avmodel prepare: {out} is being written by another" in error and "Traceback" not in error
    monkeypatch.setattr(prepare_module, "_prepare_one", real)
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES))


def test_two_processes_into_one_folder(tmp_path):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "avmodel.cli", "prepare", "emodb", str(source), "--out", str(out),
               "--workers", "1", "--shard-size", "1"]  # fmt: skip
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]  # fmt: skip
    ended = [(run.wait(timeout=300), run.communicate()[1]) for run in runs]
    assert sorted(code for code, _ in ended) in ([0, 0], [0, 2]), ended
    assert all("being written by another" in err for code, err in ended if code == 2)
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES))


def test_broken_shard_and_leftovers_are_cleared(tmp_path):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    prepare("emodb", source, out, workers=1, shard_size=2)
    shard = sorted((out / "shards").glob("shard_*.npz"))[1]
    shard.write_bytes(shard.read_bytes()[:100])  # a shard cut short (e.g. a full disk outside this code)
    leftover = out / "shards" / ".shard_x.npz.abc123.tmp"  # what a run killed mid-write leaves
    leftover.write_bytes(b"partial")
    again = prepare("emodb", source, out, workers=1, shard_size=2)
    assert again["reused_clips"] == 4 and again["prepared_now"] == 2 and not leftover.exists()
    assert (out / LOCK_FILE).exists()
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES), shard_size=2)


def test_unexpected_failure_is_retried_next_run(tmp_path, monkeypatch):
    source = make_voices(tmp_path / "emodb")
    out = tmp_path / "out"
    real = prepare_module._prepare_clip

    def flaky(item, seed):
        if item.clip_id == "09a01Na":
            raise MemoryError("a passing shortage")  # not a ClipError: nothing wrong with the file
        return real(item, seed)

    monkeypatch.setattr(prepare_module, "_prepare_clip", flaky)
    first = prepare("emodb", source, out, workers=1, shard_size=2)
    assert first["skipped_by_reason"] == {"unexpected error": 1}
    monkeypatch.setattr(prepare_module, "_prepare_clip", real)
    again = prepare("emodb", source, out, workers=1, shard_size=2)
    assert again["skipped"] == 0 and again["reused_clips"] == 5 and again["prepared_now"] == 1
    assert_like_fresh_run(out, "emodb", source, tmp_path, tones=tones_of(VOICES), shard_size=2)
