"""Throughput of every stage and of the whole clip, with pytest-benchmark.

    pytest benchmark/ --benchmark-json=reports/bench.json

Not part of the default ``pytest`` run (testpaths is tests/). Stages:
decode, face detection, the audio and visual networks and the fusion head at batch 1 and
32 (compiled ``predict_on_batch`` and the eager call ``avmodel.predict`` makes),
and file -> probabilities through ``Predictor``. Each test stores in
``extra_info`` what one call covers (items, unit) and what one reference clip
holds, so ``benchmark.throughput`` can turn times into clips/s, ms/clip and
the real-time factor. Stages that need what the machine lacks (ffmpeg, MTCNN)
skip; nothing needs a GPU.
"""

import numpy as np
import pytest

from avmodel.constants import FACE_SIZE, WINDOW_SAMPLES
from benchmark.pipeline import REFERENCE_SECONDS, reference_clip

BATCHES = (1, 32)
MODES = ("compiled", "eager")  # predict_on_batch | model(x, training=False) as avmodel.predict calls it
ROUNDS = {"decode": 5, "face_detection": 5, "network": 10, "whole_clip": 3}
UNITS = {"audio": ("windows", "windows"), "visual": ("faces", "key_frames"), "fusion": ("pairs", "fusion_pairs")}
FUSION_FEATURES = 512  # audio + visual features of one (window, face) pair: what the fusion head sees


def _info(benchmark, stage, unit, items_per_call, items_per_clip, **more):
    import keras

    from benchmark.environment import accelerator

    device = accelerator()
    benchmark.extra_info.update(stage=stage, unit=unit, items_per_call=items_per_call, items_per_clip=items_per_clip,
                                clip_seconds=REFERENCE_SECONDS, backend=keras.backend.backend(),
                                device=device["device"], **more)  # fmt: skip


def _inputs(role, batch, seed=0):
    rng = np.random.default_rng(seed)
    audio = rng.standard_normal((batch, WINDOW_SAMPLES)).astype(np.float32)
    face = rng.integers(0, 256, (batch, FACE_SIZE, FACE_SIZE, 1)).astype(np.float32)
    pair_features = rng.standard_normal((batch, FUSION_FEATURES)).astype(np.float32)
    return {"audio": audio, "visual": face, "fusion": pair_features}[role]


def test_decode(benchmark, bench_clip):
    """File -> waveform + key frames (ffmpeg), no detection."""
    from avmodel import decode

    def run():
        info = decode.probe(bench_clip)
        waveform = decode.read_audio(bench_clip, info)
        return waveform, list(decode.iter_key_frames(bench_clip, info))

    waveform, frames = benchmark.pedantic(run, rounds=ROUNDS["decode"], warmup_rounds=1)
    assert len(waveform) > 0 and frames
    _info(benchmark, "decode", "clips", 1, 1)


def test_face_detection(benchmark, detector, key_frames):
    """MTCNN on one clip's key frames + crops (faces.detect_and_crop)."""
    from avmodel.faces import detect_and_crop

    crops, found = benchmark.pedantic(detect_and_crop, args=(key_frames, detector), rounds=ROUNDS["face_detection"],
                                      warmup_rounds=1)  # fmt: skip
    assert found.any()
    _info(benchmark, "face_detection", "key_frames", len(key_frames), len(key_frames))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("role", ("audio", "visual", "fusion"))
def test_network(benchmark, networks, role, batch, mode):
    """One network on a batch of random inputs of the real shape."""
    from keras import ops

    models, origin = networks
    # What avmodel.predict runs per item: a backbone per window or face, and per pair only the fusion head.
    model = models[role].head if role == "fusion" else models[role]
    x = _inputs(role, batch)
    if mode == "compiled":
        run = lambda: model.predict_on_batch(x)  # noqa: E731
    else:
        run = lambda: ops.convert_to_numpy(model(x, training=False))  # noqa: E731
    out = benchmark.pedantic(run, rounds=ROUNDS["network"], warmup_rounds=2)
    assert np.asarray(out).shape[0] == batch
    from benchmark.flops import model_flops

    unit, clip_key = UNITS[role]
    _info(benchmark, f"{role}_network", unit, batch, reference_clip()[clip_key], batch_size=batch, mode=mode,
          flops_per_item=model_flops(model)["total"], weights=origin)  # fmt: skip


def test_peak_matmul(benchmark):
    """The measured peak: a large float32 matmul through the Keras backend, in this same session."""
    from benchmark.peak import backend_matmul

    run, size = backend_matmul()
    benchmark.pedantic(run, rounds=ROUNDS["network"], warmup_rounds=1)
    _info(benchmark, "peak_matmul", "matmuls", 1, 1, flops_per_item=2 * size**3, size=size)


def test_whole_clip(benchmark, predictor, bench_clip):
    """File -> probabilities: decode, detect, three networks (avmodel.predict.Predictor)."""
    model, origin = predictor
    result = benchmark.pedantic(model.predict, args=(bench_clip,), rounds=ROUNDS["whole_clip"], warmup_rounds=1)
    assert abs(sum(result["probabilities"].values()) - 1) < 1e-3
    _info(benchmark, "whole_clip", "clips", 1, 1, weights=origin, found=result["found"])
