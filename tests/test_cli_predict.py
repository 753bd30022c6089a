"""`avmodel predict` and `avmodel publish` through avmodel.cli.main (tiny untrained networks)."""

import json

import pytest

from avmodel.cli import main
from avmodel.constants import EMOTIONS
from tests import media


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
