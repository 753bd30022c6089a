"""Predictor: files -> probabilities per modality, per window and per clip (tiny untrained networks).

Also what the weights loading refuses (damaged files, networks that do not fit the data path), and
that one file's unexpected exception never stops a batch.
"""

import copy
import json
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

from avmodel.clip import FACE_FROM_WHOLE_IMAGE, ClipInputs
from avmodel.constants import EMOTIONS, FACE_SIZE, WINDOW_SAMPLES
from avmodel.errors import ClipError, MissingWeightsError, NoFaceError, NotAMediaFileError, WeightsError
from avmodel.predict import (
    AUDIO_ONLY,
    AUDIO_VISUAL,
    INTERNAL,
    VISUAL_ONLY,
    NonFiniteOutputError,
    Predictor,
    check_labels,
    load_networks,
    pair_faces,
    run_network,
)
from avmodel.display import format_result, status_markdown, timeline_figure
from tests import media


def assert_distribution(probabilities):
    assert tuple(probabilities) == EMOTIONS
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert all(0.0 <= p <= 1.0 for p in probabilities.values())


def test_clip_gives_every_modality_per_window_and_overall(predictor, astronaut_clip):
    result = predictor.predict(astronaut_clip)
    assert result["path"] == str(astronaut_clip) and result["answer"] == AUDIO_VISUAL
    for key in ("probabilities", "fused", "audio", "visual"):
        assert_distribution(result[key])
    assert result["probabilities"] == result["fused"]
    assert result["emotion"] == max(result["fused"], key=result["fused"].get)
    assert [(w["start"], w["end"]) for w in result["windows"]] == [(0.0, 2.0), (2.0, pytest.approx(3.0, abs=0.05))]
    for window in result["windows"]:
        assert window["face_times"] and all(window["start"] <= t < window["end"] for t in window["face_times"])
        for key in ("fused", "audio", "visual"):
            assert_distribution(window[key])
    assert result["found"]["key_frames_with_face"] == result["found"]["key_frames"] > 0
    assert result["notes"] == []


def test_fused_answer_is_the_mean_over_window_face_pairs(predictor, astronaut_clip, tiny_weights):
    result, clip = predictor.analyse(astronaut_clip)
    assert predictor.engine == "onnx"
    fusion = load_networks(tiny_weights)["fusion"]  # the whole Keras network, not the ONNX graphs run
    faces = clip.face_crops[..., None]
    for w, window in enumerate(result["windows"]):
        used = np.isin(clip.face_times, np.float32(window["face_times"]))
        inputs = {"audio": np.repeat(clip.windows[w : w + 1], used.sum(), 0), "face": faces[used]}
        expected = run_network(fusion, inputs).mean(0)
        np.testing.assert_allclose(list(window["fused"].values()), expected, atol=1e-5)
    overall = np.mean([list(w["fused"].values()) for w in result["windows"]], 0)
    np.testing.assert_allclose(list(result["fused"].values()), overall, atol=1e-6)


def test_audio_file_rests_on_the_audio(predictor, media_dir):
    result = predictor.predict(media.make_wav(media_dir / "voice.wav", 3.0))
    assert result["answer"] == AUDIO_ONLY and result["fused"] is None and result["visual"] is None
    assert result["probabilities"] == result["audio"]
    assert_distribution(result["audio"])
    assert [w["visual"] for w in result["windows"]] == [None, None]
    assert "the answer rests on the audio alone" in result["notes"][0]


def test_video_without_a_face_says_so(predictor, media_dir):
    clip = media.make_clip(media_dir / "noface.mp4", media.noise_png(media_dir))
    result = predictor.predict(clip)
    frames = result["found"]["key_frames"]
    assert result["answer"] == AUDIO_ONLY and result["visual"] is None
    assert result["notes"] == [f"no face found in any of {frames} key frames: the answer rests on the audio alone"]


def test_video_without_audio_gets_face_windows(predictor, media_dir):
    clip = media.make_clip(media_dir / "silent_film.mp4", media.astronaut_png(media_dir), seconds=4.5, audio=False)
    result = predictor.predict(clip)
    assert result["answer"] == VISUAL_ONLY and result["audio"] is None and result["fused"] is None
    assert [w["start"] for w in result["windows"]] == [0.0, 2.0, 4.0]
    assert all(w["visual"] and w["audio"] is None for w in result["windows"])
    assert result["notes"] == ["no audio track: the answer rests on the face alone"]


def test_small_face_image(predictor, media_dir):
    tight = media_dir / "face48.png"
    Image.open(media.astronaut_png(media_dir)).crop((95, 30, 165, 100)).convert("L").resize((48, 48)).save(tight)
    result = predictor.predict(tight)
    assert result["answer"] == VISUAL_ONLY and result["windows"] == []
    assert_distribution(result["probabilities"])
    assert "the answer rests on the face alone" in result["notes"][0]


def test_whole_image_face_is_noted(predictor):
    clip = ClipInputs("face.png", 0.0, False, True, faces=np.zeros((1, FACE_SIZE, FACE_SIZE), np.uint8),
                      found=np.ones(1, bool), key_frame_times=np.zeros(1, np.float32),
                      face_source=FACE_FROM_WHOLE_IMAGE)  # fmt: skip
    assert "image used whole as the face: it is already a tight crop" in predictor.predict_clip(clip)["notes"]


def test_window_without_a_face_borrows_the_nearest(predictor):
    """Faces only in the first 2 s of a 4 s clip: the second window uses the last of them, and says so."""
    rng = np.random.default_rng(0)
    clip = ClipInputs("clip.mp4", 4.0, True, True,
                      windows=rng.standard_normal((2, WINDOW_SAMPLES)).astype(np.float32),
                      window_starts=np.array([0.0, 2.0], np.float32),
                      faces=rng.integers(0, 255, (3, FACE_SIZE, FACE_SIZE), dtype=np.uint8),
                      found=np.array([True, True, False]),
                      key_frame_times=np.array([0.4, 1.2, 2.8], np.float32))  # fmt: skip
    result = predictor.predict_clip(clip)
    assert [w["face_times"] for w in result["windows"]] == [[0.4, 1.2], [1.2]]
    assert "1 window had no face inside: the nearest face was used" in result["notes"]
    assert "a face was found in 2 of 3 key frames" in result["notes"]


def test_pair_faces():
    starts, ends = np.array([0.0, 2.0, 4.0]), np.array([2.0, 4.0, 5.0])
    pairs = pair_faces(starts, ends, np.array([0.1, 1.9, 2.0, 6.0]))
    assert [p.tolist() for p in pairs] == [[0, 1], [2], [3]]  # 4-5 s holds no face: the one at 6 s is nearest
    assert [p.tolist() for p in pair_faces(starts, ends, np.zeros(0))] == [[], [], []]


def test_nothing_to_recognise_raises(predictor, media_dir):
    picture = media_dir / "big_noise.png"  # too large to be taken for a face crop
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(picture)
    with pytest.raises(NoFaceError, match="no audio"):
        predictor.predict(picture)


def test_predict_raises_but_predict_many_goes_on(predictor, astronaut_clip, media_dir):
    bad = media_dir / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(NotAMediaFileError):
        predictor.predict(bad)
    wav = media.make_wav(media_dir / "tone.wav", 2.0)
    results = predictor.predict_many([astronaut_clip, bad, wav])
    assert [r["path"] for r in results] == [str(astronaut_clip), str(bad), str(wav)]
    assert "error" not in results[0] and "error" not in results[2]
    assert results[1]["reason"] == "not an audio or video file" and str(bad) in results[1]["error"]


def test_missing_weights_are_named(tmp_path):
    with pytest.raises(MissingWeightsError, match="audio.keras, visual.keras, fusion.keras, model_info.json"):
        Predictor(tmp_path)
    assert issubclass(MissingWeightsError, FileNotFoundError) and issubclass(MissingWeightsError, WeightsError)


def test_labels_must_agree(predictor):
    with pytest.raises(WeightsError, match="audio.keras: the audio network predicts .* but model_info.json lists"):
        check_labels(predictor.networks, {"labels": list(reversed(EMOTIONS))})


# --- weights that must not load ------------------------------------------------------------


def edit_config(path, change):
    """Rewrite the config.json inside a .keras file (a zip): ``change(config)`` edits the dict in place."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    change(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def lambda_model(path):
    """A Keras model holding a Python lambda: the classic code payload of a .keras file."""
    import keras

    model = keras.Sequential([keras.Input((WINDOW_SAMPLES,)), keras.layers.Lambda(lambda x: x * 2)])
    model.save(path)


def nan_weights(path):
    """The same network with NaN in its classifier's kernel: it loads, but every answer is NaN."""
    from avmodel.models import load_model

    network = load_model(path)
    layer = next(layer for layer in network.head.layers if layer.name.endswith("_logits"))
    kernel, bias = layer.get_weights()
    layer.set_weights([np.full_like(kernel, np.nan), bias])
    network.save(path)


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def config_change(**changes):
    return lambda path: edit_config(path, lambda config: config["config"].update(changes))


def top_level(**changes):
    return lambda path: edit_config(path, lambda config: config.update(changes))


def backbone_change(**changes):
    return lambda path: edit_config(path, lambda config: config["config"]["backbone"]["config"].update(changes))


def fusion_audio(**changes):
    return lambda path: edit_config(path, lambda config: config["config"]["audio_backbone"]["config"].update(changes))


BROKEN_WEIGHTS = {  # id: (file, how it is broken, what the message says)
    "truncated fusion.keras": ("fusion.keras", truncate, "truncated or damaged zip archive"),
    "text in a .keras file": ("audio.keras", lambda p: p.write_text("not a model"), "not a Keras file"),
    "empty file": ("visual.keras", lambda p: p.write_bytes(b""), r"not a Keras file \(no zip archive\), 0 bytes"),
    "unknown class": ("audio.keras", top_level(class_name="NoSuchNet", registered_name="avmodel>NoSuchNet"),
                      "holds class 'NoSuchNet'"),
    "os.system as the class": ("audio.keras", top_level(module="os", class_name="system", registered_name=None),
                               "holds class 'system' from os"),
    "Lambda payload": ("audio.keras", lambda_model, "holds class 'Sequential' from keras"),
    "bad config value": ("audio.keras", backbone_change(filters="abc"), "its config does not build the network"),
    "another window size": ("audio.keras", backbone_change(window_samples=16000),
                            "takes audio windows of 16000 samples, but the data path cuts windows of 32000"),
    "another face size": ("visual.keras", backbone_change(face_size=48),
                          "takes 48x48x1 faces, but the data path crops 96x96x1"),
    "fusion with another window size": ("fusion.keras", fusion_audio(window_samples=16000),
                                        "takes audio windows of 16000 samples"),
    "another label set": ("audio.keras", config_change(labels=list("abcdefg")), "predicts the labels a, b, c"),
    "six labels for seven outputs": ("audio.keras", config_change(labels=list(EMOTIONS[:6])),
                                     r"its weights do not fit its config \(layer audio_logits"),
    "labels in another order": ("visual.keras", config_change(labels=list(reversed(EMOTIONS))),
                                r"the visual network predicts \(surprise, .* all must share one label order"),
    "networks swapped": ("audio.keras", lambda p: shutil.copy(p.with_name("visual.keras"), p),
                         "holds a VisualNet, not the audio network"),
    "NaN weights": ("audio.keras", nan_weights, "gives NaN or infinite probabilities on a test input"),
    "model_info.json not JSON": ("model_info.json", lambda p: p.write_text("{labels:"), "not readable JSON"),
}


@pytest.mark.parametrize("case", BROKEN_WEIGHTS, ids=list(BROKEN_WEIGHTS))
def test_broken_weights_are_one_weights_error_at_load_time(case, tiny_weights, tmp_path, detector):
    name, breaking, message = BROKEN_WEIGHTS[case]
    folder = shutil.copytree(tiny_weights, tmp_path / "weights")
    breaking(folder / name)
    with pytest.raises(WeightsError, match=message) as caught:
        Predictor(folder, detector=detector)
    assert str(caught.value).startswith(f"{folder / name}: ")  # the file, then the problem
    assert len(str(caught.value).splitlines()) == 1 and len(str(caught.value)) < 400


def test_safe_mode_refuses_a_lambda_even_past_the_class_check(tmp_path, monkeypatch):
    """The class check stops foreign models first; Keras's safe mode is still on behind it."""
    import avmodel.models
    from avmodel.models import load_model

    lambda_model(tmp_path / "lambda.keras")
    monkeypatch.setattr(avmodel.models, "NETWORK_CLASSES", (*avmodel.models.NETWORK_CLASSES, "Sequential"))
    with pytest.raises(WeightsError, match="refused in safe mode: it holds Python code"):
        load_model(tmp_path / "lambda.keras")


def test_the_tiny_weights_pass_every_check(tiny_weights):
    assert set(load_networks(tiny_weights)) == {"audio", "visual", "fusion"}


# --- one file never stops the batch ---------------------------------------------------------


def failing_on(predictor, bad_path, error):
    """A copy of ``predictor`` whose ``analyse`` raises ``error`` for one path."""
    broken = copy.copy(predictor)
    original = predictor.analyse

    def analyse(path):
        if str(path) == str(bad_path):
            raise error
        return original(path)

    broken.analyse = analyse
    return broken


def test_an_unexpected_exception_is_that_files_error_and_the_batch_goes_on(predictor, media_dir):
    wav = media.make_wav(media_dir / "batch_tone.wav", 2.0)
    boom = media_dir / "boom.wav"
    shutil.copy(wav, boom)
    broken = failing_on(predictor, boom, RuntimeError("weights and config disagree\nTraceback (most recent call last)"))
    results = broken.predict_many([wav, boom, wav])
    assert "error" not in results[0] and "error" not in results[2]
    assert results[1] == {"path": str(boom), "reason": INTERNAL,
                          "error": "internal error: RuntimeError: weights and config disagree"}  # fmt: skip


def test_ctrl_c_stops_the_batch_but_keeps_what_was_yielded(predictor, media_dir):
    wav = media.make_wav(media_dir / "batch_tone.wav", 2.0)
    stop = media_dir / "stop.wav"
    broken = failing_on(predictor, stop, KeyboardInterrupt())
    finished = []
    with pytest.raises(KeyboardInterrupt):
        for result in broken.iter_predict([wav, wav, stop, wav]):
            finished.append(result)
    assert len(finished) == 2 and all("error" not in result for result in finished)


def test_non_finite_probabilities_are_refused_not_returned(predictor, media_dir):
    class NaNNetwork:  # a backbone that works and a head that gives NaN
        temperature = 1.0

        def backbone(self, inputs, training=False):
            return np.zeros((len(inputs), 4), np.float32)

        def head(self, features, training=False):
            return np.full((len(features), len(EMOTIONS)), np.nan, np.float32)

    broken = copy.copy(predictor)
    broken.networks = {**predictor.networks, "audio": NaNNetwork()}
    wav = media.make_wav(media_dir / "nan_tone.wav", 2.0)
    with pytest.raises(NonFiniteOutputError, match="the audio network gave NaN or infinite probabilities"):
        broken.predict(wav)
    (entry,) = broken.predict_many([wav])
    assert entry["reason"] == "non-finite output" and str(wav) in entry["error"]


def test_clip_error_is_the_one_exception_of_bad_input():
    assert issubclass(NotAMediaFileError, ClipError) and issubclass(NoFaceError, ClipError)


def test_report_text_markdown_and_timeline(predictor, astronaut_clip):
    result = predictor.predict(astronaut_clip)
    text = format_result(result)
    assert text.startswith(str(astronaut_clip)) and "0.00 to 2.00 s" in text and "answer:" in text
    assert "voice and face" in status_markdown(result)
    assert timeline_figure(result) is not None
    assert timeline_figure({**result, "windows": result["windows"][:1]}) is None
    assert format_result({"path": "x.mp4", "error": "no face found"}).endswith("error: no face found")


def test_import_loads_nothing_heavy():
    heavy = {"keras", "tensorflow", "mtcnn", "huggingface_hub", "matplotlib"}
    modules = "avmodel, avmodel.predict, avmodel.hub, avmodel.display, avmodel.cli, avmodel.batch, avmodel.writers"
    code = f"import sys, {modules}; avmodel.cli.build_parser(); print(sorted({heavy!r} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_package_front_loads_a_predictor(tiny_weights, astronaut_clip, predictor):
    import avmodel

    assert avmodel.Predictor is Predictor and avmodel.EMOTIONS == EMOTIONS and avmodel.__version__
    loaded = avmodel.load(tiny_weights, detector=predictor.detector)
    assert isinstance(loaded, Predictor) and loaded.predict(astronaut_clip) == predictor.predict(astronaut_clip)


def test_compiled_batches_with_a_padded_tail_give_the_eager_outputs(tiny_weights):
    from avmodel.predict import run_model

    backbone = load_networks(tiny_weights)["audio"].backbone
    windows = np.random.default_rng(0).standard_normal((11, WINDOW_SAMPLES)).astype(np.float32)  # 8 + 3 rows
    compiled, eager = run_model(backbone, windows, 8), run_model(backbone, windows, 8, compiled=False)
    assert compiled.shape == eager.shape == (11, backbone.output.shape[-1])
    np.testing.assert_allclose(compiled, eager, atol=1e-5)
