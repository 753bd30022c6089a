"""demo/app.py: the page's function, its API through gradio_client against a launched app, ffmpeg on PATH."""

import copy
import gc
import importlib.util
import json
import logging
import os
import shutil
import socket
from concurrent.futures import ThreadPoolExecutor
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


def broken(predictor, error):
    """A copy of ``predictor`` whose every analysis raises ``error``."""
    failing = copy.copy(predictor)

    def analyse(path):
        raise error

    failing.analyse = analyse
    return failing


def test_an_unexpected_exception_is_a_sentence_and_a_logged_traceback(app, predictor, monkeypatch, caplog,
                                                                     astronaut_clip):  # fmt: skip
    monkeypatch.setattr(app, "_predictor", broken(predictor, RuntimeError("shapes (1,512) and (256,7) at /srv/x")))
    with caplog.at_level(logging.ERROR, logger="avmodel.demo"):
        status, fused, *_, download = app.analyse(str(astronaut_clip))
        answer = app.predict({"path": str(astronaut_clip), "orig_name": "mine.mp4"})
    assert status.startswith("**Something went wrong on the server while analysing this file (RuntimeError).")
    assert "/srv/x" not in status and "Traceback" not in status and not fused.value and download is None
    assert answer["file"] == "mine.mp4" and answer["reason"] == "internal" and "/srv/x" not in answer["error"]
    logged = [record for record in caplog.records if record.name == "avmodel.demo"]
    assert len(logged) == 2 and all(record.exc_info for record in logged)  # the traceback: server log only
    assert "Traceback" in caplog.text and "shapes (1,512)" in caplog.text


def test_weights_that_do_not_load_are_said_on_the_page(app, monkeypatch, caplog, tmp_path, astronaut_clip):
    monkeypatch.setattr(app, "_predictor", None)  # loaded on the first request, from AVMODEL_WEIGHTS
    monkeypatch.setenv("AVMODEL_WEIGHTS", str(tmp_path))
    with caplog.at_level(logging.ERROR, logger="avmodel.demo"):
        status = app.analyse(str(astronaut_clip))[0]
    assert "The server cannot load its model weights" in status and str(tmp_path) not in status
    assert "no trained weights here" in caplog.text


def test_the_demo_refuses_clips_over_its_limit(app, monkeypatch, tiny_weights, detector, media_dir):
    import avmodel.faces

    monkeypatch.setattr(app, "_predictor", None)
    monkeypatch.setenv("AVMODEL_WEIGHTS", str(tiny_weights))
    monkeypatch.setattr(avmodel.faces, "FaceDetector", lambda: detector)
    assert app.get_predictor().max_seconds == app.MAX_SECONDS == 60
    long_clip = media.make_long_clip(media_dir / "long.mp4", app.MAX_SECONDS + 1)
    status = app.analyse(str(long_clip))[0]
    assert status.startswith("**Could not use this file.** clip too long: long.mp4") and "at most 60 s" in status


def test_json_downloads_do_not_pile_up(app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "DOWNLOADS", tmp_path / "downloads")
    monkeypatch.setattr(app, "KEEP_DOWNLOADS", 3)
    paths = [Path(app._json_file({"path": f"/uploads/clip{i}.mp4", "answer": "audio only"})) for i in range(6)]
    assert paths[-1].name == "clip5.emotions.json" and json.loads(paths[-1].read_text())["answer"] == "audio only"
    assert len(list((tmp_path / "downloads").iterdir())) == 4  # the 3 kept, and the new one
    with pytest.raises(ValueError):  # NaN is refused, never written as invalid JSON
        app._json_file({"path": "x.mp4", "fused": {"angry": float("nan")}})


def test_predictions_run_one_at_a_time(app):
    """Page and API share one Gradio concurrency group of one: the networks and the face detector are shared."""
    predicting = [fn for fn in app.demo.fns.values() if fn.fn in (app.analyse, app.predict)]
    assert len(predicting) == 5  # an example clicked, a clip uploaded, a clip recorded, a file uploaded, the API
    assert {(fn.concurrency_id, fn.concurrency_limit, fn.queue) for fn in predicting} == {("predictor", 1, True)}


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


def rss_mib():
    """This process's resident memory, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status")


@pytest.fixture(scope="module")
def short_clip(media_dir):
    return media.make_clip(media_dir / "short.mp4", media.astronaut_png(media_dir), seconds=1.5)


@pytest.mark.slow
def test_memory_does_not_creep_over_100_requests(app, short_clip, capsys):
    def requests(count):
        for _ in range(count):
            status = app.analyse(str(short_clip))[0]
            assert "short.mp4" in status and "Answer" in status
        gc.collect()
        return rss_mib(), len(os.listdir("/proc/self/fd"))

    requests(10)  # warm up: first calls build graphs and caches
    (before, fds_before), (after, fds_after) = requests(10), requests(100)
    with capsys.disabled():
        print(f"\ndemo RSS over 100 requests of a 1.5 s clip: {before:.0f} -> {after:.0f} MiB "
              f"({after - before:+.1f} MiB); open files {fds_before} -> {fds_after}")
    assert after - before < 40 and fds_after <= fds_before + 2


@pytest.mark.slow
def test_80_concurrent_api_requests_all_succeed(app, short_clip):
    from gradio_client import Client, handle_file

    port = free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                    max_file_size=f"{app.MAX_UPLOAD_MB}mb")  # fmt: skip
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        jobs = [client.submit(handle_file(str(short_clip)), api_name="/predict") for _ in range(80)]
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda job: job.result(timeout=900), jobs))
    finally:
        app.demo.close()
    assert len(results) == 80 and all(r["file"] == "short.mp4" and r["answer"] == "audio+visual" for r in results)
