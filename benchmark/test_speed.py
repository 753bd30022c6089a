"""Speed on real clips, with pytest-benchmark: what a user waits for.

    pytest benchmark/test_speed.py --benchmark-json=reports/speed.json

- whole clips (file -> probabilities, ``Predictor.predict``, warm) of 3 s and 30 s;
- each stage of the 30 s clip: decode (audio, key frames), face detection (the fast
  cascade and the full MTCNN of releases 1-3), the two backbones, heads and pairing;
- cold start: ``avmodel predict`` on a 2 s clip from the shell (a fresh process);
- the same 30 s clip through the ``fer`` package (Haar cascade + mini-Xception on every
  10th frame, faces only), when it is installed (``pip install --no-deps fer==25.10.3
  opencv-python-headless==4.12.0.88``: its own pins would downgrade moviepy).

Each test stores ``clip_seconds`` in ``extra_info``: benchmark.throughput turns the
median into a real-time factor (seconds of clip per second of wall time).
"""

import json
import shutil
import subprocess
import sys

import pytest

from benchmark.clips import COLD_START_SECONDS, SPEED_SECONDS, speed_clip

ROUNDS = 3  # median of 3, as the issue measured
SLOW_ROUNDS = 1  # the full-size MTCNN on every key frame takes about 25 s


@pytest.fixture(scope="session")
def speed_clips(tmp_path_factory):
    """{seconds: (path, description)} for the whole-clip runs, the stages and the cold start."""
    from benchmark.conftest import ffmpeg_available

    if not ffmpeg_available():
        pytest.skip("no ffmpeg: the speed clips are made and decoded with it")
    folder = tmp_path_factory.mktemp("speed")
    return {seconds: speed_clip(folder, seconds) for seconds in (*SPEED_SECONDS, COLD_START_SECONDS)}


@pytest.fixture(scope="session")
def long_clip(predictor, speed_clips):
    """The 30 s clip decoded (with its faces) by the predictor's own path."""
    from avmodel.clip import load_clip

    model, _ = predictor
    return load_clip(speed_clips[30][0], detector=model.detector)


def _info(benchmark, stage, seconds, about, **more):
    benchmark.extra_info.update(stage=stage, unit="clips", items_per_call=1, items_per_clip=1, clip_seconds=seconds,
                                clip=about, speed=True, **more)  # fmt: skip


@pytest.mark.parametrize("seconds", SPEED_SECONDS)
def test_whole_clip_real_time(benchmark, predictor, speed_clips, seconds):
    """File -> probabilities, warm: decode, detection, backbones, heads (``Predictor.predict``)."""
    model, origin = predictor
    path, about = speed_clips[seconds]
    result = benchmark.pedantic(model.predict, args=(path,), rounds=ROUNDS, warmup_rounds=1)
    assert result["answer"] == "audio+visual" and abs(sum(result["probabilities"].values()) - 1) < 1e-6
    _info(benchmark, f"whole clip, {seconds} s", seconds, about, weights=origin, found=result["found"])


def test_whole_clip_keras_engine(benchmark, predictor, speed_clips):
    """The 30 s clip as above, the networks run by Keras (TensorFlow) instead of onnxruntime."""
    import os

    from benchmark.conftest import WEIGHTS_VARIABLE
    from benchmark.pipeline import make_predictor

    model, origin = make_predictor(os.environ.get(WEIGHTS_VARIABLE), predictor[0].detector, engine="keras")
    path, about = speed_clips[30]
    result = benchmark.pedantic(model.predict, args=(path,), rounds=ROUNDS, warmup_rounds=1)
    assert result["answer"] == "audio+visual"
    _info(benchmark, "whole clip, 30 s, Keras engine", 30, about, weights=origin)


def test_stage_decode_audio(benchmark, speed_clips):
    from avmodel import decode

    path, about = speed_clips[30]
    waveform = benchmark.pedantic(decode.read_audio, args=(path,), rounds=ROUNDS, warmup_rounds=1)
    assert len(waveform) > 0
    _info(benchmark, "stage: decode audio (ffmpeg pipe)", 30, about)


def test_stage_decode_key_frames(benchmark, speed_clips):
    from avmodel import decode

    path, about = speed_clips[30]
    frames = benchmark.pedantic(lambda: list(decode.iter_key_frames(path)), rounds=ROUNDS, warmup_rounds=1)
    assert frames
    _info(benchmark, "stage: decode key frames (ffmpeg select)", 30, about, key_frames=len(frames))


@pytest.mark.parametrize("mode", ["fast", "full"])
def test_stage_face_detection(benchmark, speed_clips, mode):
    pytest.importorskip("mtcnn")
    from avmodel import decode
    from avmodel.faces import FaceDetector, detect_and_crop

    path, about = speed_clips[30]
    frames = [frame.image for frame in decode.iter_key_frames(path)]
    detector = FaceDetector(mode=mode)
    rounds = ROUNDS if mode == "fast" else SLOW_ROUNDS
    _, found = benchmark.pedantic(detect_and_crop, args=(frames, detector), rounds=rounds, warmup_rounds=1)
    what = "fast cascade, the default" if mode == "fast" else "full MTCNN on every key frame, releases 1-3"
    _info(benchmark, f"stage: face detection ({what})", 30, about, key_frames=len(frames),
          faces_found=int(found.sum()))  # fmt: skip


def test_stage_load_clip(benchmark, predictor, speed_clips):
    """Decode and detection together, as ``load_clip`` runs them (the audio on a thread beside the video)."""
    from avmodel.clip import load_clip

    model, _ = predictor
    path, about = speed_clips[30]
    clip = benchmark.pedantic(load_clip, args=(path,), kwargs={"detector": model.detector}, rounds=ROUNDS,
                              warmup_rounds=1)  # fmt: skip
    assert clip.has_audio and clip.has_face
    _info(benchmark, "stage: decode + detection (load_clip)", 30, about)


@pytest.mark.parametrize("role", ["audio", "visual"])
def test_stage_backbone(benchmark, predictor, long_clip, speed_clips, role):
    from avmodel.predict import run_model

    model, _ = predictor
    inputs = long_clip.windows if role == "audio" else long_clip.face_crops[..., None]
    benchmark.pedantic(run_model, args=(model.networks[role].backbone, inputs), rounds=ROUNDS, warmup_rounds=1)
    unit = "windows" if role == "audio" else "faces"
    _info(benchmark, f"stage: {role} backbone ({len(inputs)} {unit})", 30, speed_clips[30][1], items=len(inputs))


def test_stage_heads_and_pairing(benchmark, predictor, long_clip, speed_clips):
    """Everything in ``predict_clip`` after the backbones: pairing, the three heads, softmax, the result dict."""
    model, _ = predictor
    features = model.features(long_clip)
    model_features = model.features
    model.features = lambda clip: features  # the backbones' work is timed above
    try:
        result = benchmark.pedantic(model.predict_clip, args=(long_clip,), rounds=ROUNDS, warmup_rounds=1)
    finally:
        model.features = model_features
    assert result["fused"] is not None
    _info(benchmark, "stage: pairing + heads + result (predict_clip less the backbones)", 30, speed_clips[30][1])


@pytest.mark.parametrize("engine", ["auto", "keras"])
def test_cold_start(benchmark, speed_clips, engine):
    """``avmodel predict`` on a 2 s clip from the shell: a fresh process, imports and loading included.

    "auto" (the default) runs the ONNX graphs, made by the untimed warm-up run if the cache had none
    (``avmodel compile`` makes them at set-up); "keras" imports TensorFlow and loads the .keras files.
    """
    import os

    from benchmark.conftest import WEIGHTS_VARIABLE

    path, about = speed_clips[COLD_START_SECONDS]
    command = [shutil.which("avmodel") or sys.executable, *([] if shutil.which("avmodel") else ["-m", "avmodel.cli"]),
               "predict", str(path), "--json", "--engine", engine]  # fmt: skip
    if os.environ.get(WEIGHTS_VARIABLE):
        command += ["--weights", os.environ[WEIGHTS_VARIABLE]]
    done = benchmark.pedantic(subprocess.run, args=(command,), kwargs={"check": True, "capture_output": True},
                              rounds=ROUNDS, warmup_rounds=1)  # fmt: skip
    assert json.loads(done.stdout)[0]["emotion"]
    what = "" if engine == "auto" else f" --engine {engine}"
    _info(benchmark, f"cold start: avmodel predict{what}, {COLD_START_SECONDS} s clip", COLD_START_SECONDS, about)


def test_fer_package(benchmark, speed_clips):
    """The fer package on the same 30 s clip: every 10th frame (our key frames) -> Haar cascade + mini-Xception."""
    fer = pytest.importorskip("fer.fer", reason="pip install --no-deps fer==25.10.3 opencv-python-headless==4.12.0.88")
    from avmodel import decode

    detector = fer.FER(mtcnn=False)
    path, about = speed_clips[30]

    def run():
        return [detector.detect_emotions(frame.image) for frame in decode.iter_key_frames(path)]

    faces = benchmark.pedantic(run, rounds=ROUNDS, warmup_rounds=1)
    from importlib.metadata import version

    _info(benchmark, f"fer {version('fer')} package (faces only), 30 s", 30, about,
          key_frames=len(faces), faces_found=sum(bool(found) for found in faces))  # fmt: skip
