"""`avmodel predict` and `avmodel publish` through avmodel.cli.main (tiny untrained networks)."""

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from avmodel.cli import main
from avmodel.constants import EMOTIONS
from avmodel.predict import Predictor
from tests import media
from tests.test_predict import BROKEN_WEIGHTS


def strict_json(text):
    """json.loads that refuses NaN and Infinity (what allow_nan=False promises)."""
    def refuse(constant):
        raise AssertionError(f"{constant} in the output: not valid JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def bad_file(media_dir):
    path = media_dir / "broken.mp4"
    path.write_bytes(b"\x00" * 100)
    return path


def test_json_array_one_object_per_file(capsys, tiny_weights, astronaut_clip, bad_file, media_dir):
    wav = media.make_wav(media_dir / "cli_tone.flac", 2.0)
    code = main(["predict", str(astronaut_clip), str(bad_file), str(wav), "--json", "--weights", str(tiny_weights)])
    results = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [r["path"] for r in results] == [str(astronaut_clip), str(bad_file), str(wav)]
    assert tuple(results[0]["probabilities"]) == EMOTIONS and results[0]["answer"] == "audio+visual"
    assert "error" in results[1] and "error" not in results[2]


def test_jsonl_one_object_per_line(capsys, tiny_weights, astronaut_clip, bad_file):
    assert main(["predict", str(astronaut_clip), str(bad_file), "--jsonl", "--weights", str(tiny_weights)]) == 0
    lines = capsys.readouterr().out.splitlines()
    results = [strict_json(line) for line in lines]
    assert [r["path"] for r in results] == [str(astronaut_clip), str(bad_file)]
    assert results[0]["answer"] == "audio+visual" and "error" in results[1]


@pytest.fixture
def scripted(monkeypatch):
    """Predictor.predict misbehaves on files named for it: interrupt.*, terminate.*, boom.*, nan.*."""
    original = Predictor.predict

    def predict(self, path):
        stem = Path(path).stem
        if stem == "interrupt":
            raise KeyboardInterrupt
        if stem == "terminate":
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises first
        if stem == "boom":
            raise RuntimeError("fusion head got 512 features, expected 256\nmore lines of a long message")
        if stem == "nan":
            return {**original(self, path), "probabilities": {"angry": float("nan")}}
        return original(self, path)

    monkeypatch.setattr(Predictor, "predict", predict)


@pytest.mark.parametrize("form", ["--json", "--jsonl"])
def test_ctrl_c_keeps_the_finished_results_as_valid_json(form, scripted, capsys, tiny_weights, bad_file, media_dir):
    wav = media.make_wav(media_dir / "cli_tone.wav", 2.0)
    files = [str(wav), str(bad_file), "interrupt.wav", str(wav)]
    assert main(["predict", *files, form, "--weights", str(tiny_weights)]) == 130
    out, err = capsys.readouterr()
    results = strict_json(out) if form == "--json" else [strict_json(line) for line in out.splitlines()]
    assert [r["path"] for r in results] == files[:2] and "error" not in results[0]
    assert "interrupted after 2 of 4 files" in err and "Traceback" not in err


def test_sigterm_exits_143_with_the_array_closed(scripted, capsys, tiny_weights, media_dir):
    wav = media.make_wav(media_dir / "cli_tone.wav", 2.0)
    assert main(["predict", str(wav), "terminate.wav", str(wav), "--json", "--weights", str(tiny_weights)]) == 143
    assert [r["path"] for r in strict_json(capsys.readouterr().out)] == [str(wav)]
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back


def test_an_unexpected_exception_is_one_files_error(scripted, capsys, tiny_weights, media_dir):
    wav = media.make_wav(media_dir / "cli_tone.wav", 2.0)
    nan = shutil.copy(wav, media_dir / "nan.wav")
    assert main(["predict", "boom.wav", str(nan), str(wav), "--json", "--weights", str(tiny_weights)]) == 0
    out, err = capsys.readouterr()
    boom, not_a_number, fine = strict_json(out)
    assert boom == {"path": "boom.wav", "reason": "internal",
                    "error": "internal error: RuntimeError: fusion head got 512 features, expected 256"}  # fmt: skip
    assert not_a_number["reason"] == "internal" and "could not be written" in not_a_number["error"]
    assert "error" not in fine and "Traceback" not in out + err
    assert main(["predict", "boom.wav", "--weights", str(tiny_weights)]) == 1  # every file failed
    assert "error: internal error: RuntimeError" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["truncated fusion.keras", "another window size", "unknown class", "NaN weights"])
def test_weights_that_do_not_load_exit_2_with_one_line(case, capsys, tiny_weights, tmp_path, astronaut_clip):
    name, breaking, message = BROKEN_WEIGHTS[case]
    folder = shutil.copytree(tiny_weights, tmp_path / "weights")
    breaking(folder / name)
    assert main(["predict", str(astronaut_clip), "--json", "--weights", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert strict_json(out) == []  # stdout is still valid JSON
    assert err.startswith(f"avmodel predict: cannot load the weights: {folder / name}: ")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_human_output(capsys, tiny_weights, astronaut_clip):
    assert main(["predict", str(astronaut_clip), "--weights", str(tiny_weights)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(str(astronaut_clip)) and "fused:" in out and "0.00 to 2.00 s" in out


def test_exit_code_1_when_every_file_fails(capsys, tiny_weights, bad_file):
    assert main(["predict", str(bad_file), "--weights", str(tiny_weights)]) == 1
    assert "error:" in capsys.readouterr().out


def test_exit_code_2_without_weights(capsys, tmp_path, astronaut_clip):
    assert main(["predict", str(astronaut_clip), "--weights", str(tmp_path)]) == 2
    assert "no trained weights" in capsys.readouterr().err


def test_publish_uploads_the_built_folder(monkeypatch, capsys, tiny_weights):
    """No network: HfApi is replaced by a recorder that lists what would be uploaded."""
    calls = {}

    class FakeApi:
        def __init__(self, token=None):
            calls["token"] = token

        def create_repo(self, repo_id, private=False, exist_ok=False):
            calls["repo"] = (repo_id, private)

        def create_branch(self, repo_id, branch, exist_ok=False):
            calls["branch"] = branch

        def upload_folder(self, repo_id, folder_path, revision=None, commit_message=""):
            calls["files"] = sorted(path.name for path in folder_path.iterdir())
            calls["revision"] = revision

            class Commit:
                commit_url = f"https://huggingface.co/{repo_id}/commit/0123"

            return Commit()

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    args = ["publish", "--repo-id", "org/name", "--weights", str(tiny_weights), "--revision", "v1", "--private"]
    assert main(args) == 0
    assert calls["repo"] == ("org/name", True) and calls["branch"] == calls["revision"] == "v1"
    assert calls["files"] == ["README.md", "audio.keras", "fusion.keras", "model_info.json", "visual.keras"]
    assert "https://huggingface.co/org/name/commit/0123" in capsys.readouterr().out


def test_publish_refuses_an_incomplete_folder_before_any_upload(capsys, tmp_path):
    assert main(["publish", "--repo-id", "org/name", "--weights", str(tmp_path)]) == 2
    assert "nothing to publish" in capsys.readouterr().err
