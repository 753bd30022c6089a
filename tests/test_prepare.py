"""avmodel prepare: arrays + manifests, bad clips skipped and counted, resumable, two workers."""

import json

import numpy as np
import pytest

from avmodel.cli import main
from avmodel.constants import FACE_SIZE, WINDOW_SAMPLES
from avmodel.prepare import load_arrays, prepare, read_clips
from tests import media

# emoDB-style names: speaker (2) + text (3) + emotion letter + version; W anger, T sadness
VOICES = {"03a01Wa": (3.1, 300), "03a01Ta": (2.5, 500), "11a01Wa": (4.5, 300), "11a01Ta": (1.5, 500),
          "12a02Wa": (2.2, 300), "12a02Ta": (2.0, 500), "09a01Wa": (2.0, 300), "09a01Ta": (2.0, 500)}  # fmt: skip


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    folder = tmp_path_factory.mktemp("emodb")
    for stem, (seconds, tone) in VOICES.items():
        media.make_wav(folder / f"{stem}.wav", seconds, tone_hz=tone)
    (folder / "12a05Wb.wav").touch()  # a zero-byte clip: skipped, never fatal
    media.make_wav(folder / "12a07Tc.wav", 0.4)  # too short
    return folder


def test_prepare_writes_arrays_manifest_and_counts(voices, tmp_path):
    summary = prepare("emodb", voices, tmp_path, workers=2, shard_size=3)
    assert summary["clips"] == 10 and summary["prepared"] == 8 and summary["skipped"] == 2
    assert summary["skipped_by_reason"] == {"empty file (0 bytes)": 1, "clip too short": 1}
    arrays, rows = load_arrays(tmp_path), read_clips(tmp_path)
    assert arrays["windows"].shape == (10, WINDOW_SAMPLES) and arrays["windows"].dtype == np.float16
    assert arrays["faces"].shape == (0, FACE_SIZE, FACE_SIZE)
    per_clip = np.bincount(arrays["window_clip"], minlength=len(rows))
    assert per_clip.tolist() == [row["windows"] for row in rows]
    assert {row["clip_id"]: row["windows"] for row in rows}["11a01Wa"] == 2  # 4.5 s -> 2 windows
    assert (tmp_path / "splits" / "paper_80_20.csv").exists()
    assert json.loads((tmp_path / "summary.json").read_text())["prepared"] == 8


def test_prepare_resumes_from_written_shards(voices, tmp_path):
    first = prepare("emodb", voices, tmp_path, workers=1, shard_size=4)
    shards = sorted((tmp_path / "shards").glob("shard_*.npz"))
    assert len(shards) == 3  # 4 + 4 + 2 clips
    lost = max(shards, key=lambda path: path.stat().st_size)  # a 4-clip shard (names are fingerprints, not order)
    lost.unlink()  # as if interrupted before that shard was written
    again = prepare("emodb", voices, tmp_path, workers=1, shard_size=4)
    assert again["reused_clips"] == 6 and again["prepared_now"] == 4 and lost.exists()
    assert {k: again[k] for k in ("clips", "prepared", "windows")} == {k: first[k] for k in ("clips", "prepared", "windows")}


def test_prepare_command_prints_the_summary(voices, tmp_path, capsys):
    assert main(["prepare", "emodb", str(voices), "--out", str(tmp_path), "--workers", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 2


def test_prepare_video_corpus_keeps_faces(media_dir, tmp_path):
    folder = media_dir / "cremad"
    folder.mkdir(exist_ok=True)
    media.make_clip(folder / "1001_DFA_HAP_XX.mp4", media.astronaut_png(media_dir), seconds=2.0)
    media.make_clip(folder / "1002_DFA_SAD_XX.mp4", media.noise_png(media_dir), seconds=2.0)
    summary = prepare("cremad", folder, tmp_path, workers=1)
    assert summary["prepared"] == 2 and summary["prepared_with_notes"] == {"no face in any key frame": 1}
    arrays = load_arrays(tmp_path)
    assert len(arrays["faces"]) == 5 and set(arrays["face_clip"].tolist()) == {0}
