"""demo/app.py: the page's function, its API through gradio_client against a launched app, ffmpeg on PATH."""

import importlib.util
import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from avmodel.constants import EMOTIONS
from tests import media

APP = Path(__file__).resolve().parents[1] / "demo" / "app.py"


def load_app(predictor, name="avmodel_demo_app"):
    """demo/app.py imported as a module, serving ``predictor``."""
    spec = importlib.util.spec_from_file_location(name, APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module._predictor is None  # importing loaded nothing
    module.use_predictor(predictor)
    return module


@pytest.fixture(scope="module")
def app(predictor):
    return load_app(predictor)


def test_page_for_a_clip(app, astronaut_clip):
    status, fused, voice, face, gallery, timeline, download = app.analyse(str(astronaut_clip))
    assert "astronaut.mp4" in status and "voice and face" in status
    assert fused.label == "Emotion (audio+visual)"
    assert {c["label"] for c in fused.value["confidences"]} == set(EMOTIONS)
    assert voice.label == "Voice alone" and face.label == "Face alone"
    assert len(gallery) == json.loads(Path(download).read_text())["found"]["key_frames_with_face"]
    assert timeline.visible  # 3 s: two windows
    assert json.loads(Path(download).read_text())["answer"] == "audio+visual"


def test_page_for_audio_only_names_the_missing_face(app, media_dir):
    status, fused, _, face, gallery, _, _ = app.analyse(str(media.make_wav(media_dir / "page.wav", 3)))
    assert fused.label == "Emotion (audio only)" and face.label == "Face alone: no picture" and not face.value
    assert "the voice only" in status and gallery == []


def test_bad_file_gets_a_sentence(app, media_dir):
    bad = media_dir / "page_bad.webm"
    bad.write_text("<html>not a video</html>")
    status, fused, *_, download = app.analyse(str(bad))
    assert status.startswith("**Could not use this file.** not an audio or video file: page_bad.webm")
    assert "Traceback" not in status and not fused.value and download is None
    assert "Upload" in app.analyse(None)[0]


def test_examples_include_our_own(app):
    names = [Path(path).name for path, _ in app.examples()]
    assert names[:3] == ["astronaut.mp4", "tone.flac", "astronaut_face_48.png"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gradio_client_round_trip(app, astronaut_clip, media_dir):
    from gradio_client import Client, handle_file

    bad = media_dir / "api_bad.mp4"
    bad.write_text("nope")
    port = free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                    max_file_size=f"{app.MAX_UPLOAD_MB}mb")  # fmt: skip
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        result = client.predict(handle_file(str(astronaut_clip)), api_name="/predict")
        failed = client.predict(handle_file(str(bad)), api_name="/predict")
    finally:
        app.demo.close()
    assert result["file"] == "astronaut.mp4" and result["answer"] == "audio+visual"
    assert tuple(result["probabilities"]) == EMOTIONS and len(result["windows"]) == 2
    assert failed["file"] == "api_bad.mp4" and failed["reason"] == "not an audio or video file"


def test_ffmpeg_linked_onto_path_when_the_system_has_none(app, tmp_path, monkeypatch):
    system = shutil.which("ffmpeg")
    monkeypatch.setenv("PATH", os.environ["PATH"])  # restored after the test
    monkeypatch.setattr(shutil, "which", lambda name: None)
    linked = Path(app.ensure_ffmpeg(tmp_path / "bin"))
    assert linked == tmp_path / "bin" / "ffmpeg" and linked.is_symlink()
    assert os.environ["PATH"].startswith(str(tmp_path / "bin"))
    monkeypatch.undo()
    assert app.ensure_ffmpeg(tmp_path / "other") == system or system is None
