"""The three networks on tiny configurations: shapes, round trips, training, freezing.

Tiny = 1600-sample windows, 16 px faces, a few filters; the full-size networks
are only built (parameter counts), never run.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from avmodel.constants import EMOTIONS, NUM_CLASSES
from avmodel.calibration import probabilities
from avmodel.models import AudioBackbone, AudioNet, FusionNet, VisualBackbone, VisualNet, load_model

WINDOW = 1600  # samples: 0.1 s, enough for 4 * 4 * 4 * 4 = 256x downsampling
SIDE = 16  # px
BATCH = 4

TINY_AUDIO = {
    "waveform": dict(window_samples=WINDOW, filters=(4, 4, 4), lstm_units=8),
    "logmel": dict(
        AudioNet.PRESETS["logmel"], window_samples=WINDOW, filters=(4, 4, 4), num_mel_bins=16, lstm_units=8
    ),
    "logmel-masked": dict(
        AudioNet.PRESETS["logmel-masked"], window_samples=WINDOW, filters=(4, 4, 4), num_mel_bins=16,
        spec_masks=(3, 4), lstm_units=8,
    ),
}
TINY_VISUAL = dict(face_size=SIDE, filters=(4, 4, 8), feature_units=8)


def tiny_audio(frontend="waveform", **overrides):
    return AudioNet.from_preset("paper", **{**TINY_AUDIO[frontend], **overrides})


def tiny_visual(**overrides):
    return VisualNet.from_preset("paper", **{**TINY_VISUAL, **overrides})


def tiny_fusion(**overrides):
    return FusionNet.from_branches(tiny_audio(), tiny_visual(), hidden_units=(8, 8), **overrides)


def audio_batch(seed=0):
    return np.random.default_rng(seed).standard_normal((BATCH, WINDOW)).astype("float32")


def face_batch(seed=0):
    return np.random.default_rng(seed).integers(0, 256, (BATCH, SIDE, SIDE, 1)).astype("uint8")


def fusion_batch(seed=0):
    return {"audio": audio_batch(seed), "face": face_batch(seed)}


def one_hot_labels(seed=0):
    return keras.utils.to_categorical(np.random.default_rng(seed).integers(0, NUM_CLASSES, BATCH), NUM_CLASSES)


CASES = {  # name -> (build, inputs)
    "audio_waveform": (lambda **kw: tiny_audio("waveform", **kw), audio_batch),
    "audio_logmel": (lambda **kw: tiny_audio("logmel", **kw), audio_batch),
    "audio_logmel_masked": (lambda **kw: tiny_audio("logmel-masked", **kw), audio_batch),
    "visual": (tiny_visual, face_batch),
    "fusion": (tiny_fusion, fusion_batch),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    keras.utils.set_random_seed(0)
    build, inputs = CASES[request.param]
    return build, inputs


def layer(model, name):
    """A layer by name anywhere inside a network (its backbones and head included)."""
    return next(found for found in model._flatten_layers(include_self=False) if found.name == name)


def layer_names(model):
    return {found.name for found in model._flatten_layers(include_self=False)}


def test_networks_output_logits_and_probabilities_are_their_calibrated_softmax(case):
    build, inputs = case
    model = build(temperature=2.0)
    logits = keras.ops.convert_to_numpy(model(inputs()))
    assert logits.shape == (BATCH, NUM_CLASSES)
    given = model.probabilities(inputs())
    assert np.all(given >= 0)
    np.testing.assert_allclose(given.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(given, probabilities(logits, 2.0), atol=1e-6)
    assert not np.allclose(given, probabilities(logits), atol=1e-6)  # the temperature is applied


def test_a_network_is_its_head_on_its_backbone(case):
    build, inputs = case
    model, x = build(), inputs()
    if isinstance(model, FusionNet):
        features = np.concatenate([model.audio_backbone(x["audio"]), model.visual_backbone(x["face"])], axis=1)
        np.testing.assert_allclose(features, model.features(x), atol=1e-6)
    else:
        features = keras.ops.convert_to_numpy(model.backbone(x))
        np.testing.assert_allclose(features, model.features(x), atol=1e-6)
    np.testing.assert_allclose(model.head(features), model(x), atol=1e-5)


def test_features_shape():
    assert tiny_audio().features(audio_batch()).shape == (BATCH, 8)
    assert tiny_visual().features(face_batch()).shape == (BATCH, 8)
    assert tiny_fusion().features(fusion_batch()).shape == (BATCH, 16)


def test_config_round_trip(case):
    build, _ = case
    model = build()
    rebuilt = type(model).from_config(model.get_config())
    assert rebuilt.get_config() == model.get_config()
    assert rebuilt.count_params() == model.count_params()


def test_save_load_same_outputs_and_label_order(case, tmp_path):
    build, inputs = case
    labels = tuple(reversed(EMOTIONS))
    model = build(labels=labels)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert loaded.labels == labels
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(inputs())), keras.ops.convert_to_numpy(model(inputs())), atol=1e-6
    )


def train_steps(model, x, steps=8):
    """Adam + categorical cross-entropy (on the logits) on one fixed batch; returns the losses."""
    loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss, jit_compile=False)
    y = one_hot_labels()
    return [float(model.train_on_batch(x, y)) for _ in range(steps)]


@pytest.mark.parametrize("name", ["audio_waveform", "audio_logmel", "visual"])  # fusion: below
def test_training_steps_lower_the_loss(name):
    keras.utils.set_random_seed(0)
    build, inputs = CASES[name]
    losses = train_steps(build(dropout=0.0), inputs())
    assert losses[-1] < losses[0]


def test_fusion_starts_from_branch_features():
    audio, visual = tiny_audio(), tiny_visual()
    fusion = FusionNet.from_branches(audio, visual, hidden_units=(8, 8))
    assert fusion.audio_backbone is audio.backbone and fusion.visual_backbone is visual.backbone
    x = fusion_batch()
    fused = fusion.features(x)  # (batch, 8 audio + 8 visual)
    np.testing.assert_allclose(fused[:, :8], audio.features(x["audio"]), atol=1e-6)
    np.testing.assert_allclose(fused[:, 8:], visual.features(x["face"]), atol=1e-6)


def test_fusion_training_lowers_the_loss_and_leaves_frozen_blocks_unchanged():
    keras.utils.set_random_seed(0)
    fusion = tiny_fusion(frozen_blocks=(2, 1), dropout=0.0)
    names = {
        "frozen": ["audio_block1_conv", "audio_block2_bn", "visual_block1_conv2", "visual_block1_bn1"],
        "trained": ["audio_block3_conv", "audio_lstm", "visual_block2_conv1", "visual_fc", "fusion_dense1"],
    }
    before = {name: [w.copy() for w in layer(fusion, name).get_weights()] for name in sum(names.values(), [])}
    losses = train_steps(fusion, fusion_batch())
    assert losses[-1] < losses[0]
    for name in names["frozen"]:
        assert not layer(fusion, name).trainable
        for old, new in zip(before[name], layer(fusion, name).get_weights()):
            np.testing.assert_array_equal(old, new, err_msg=name)  # batch-norm statistics included
    for name in names["trained"]:
        assert layer(fusion, name).trainable
        old, new = before[name][0], layer(fusion, name).get_weights()[0]
        assert not np.array_equal(old, new), name


def test_frozen_blocks_are_checked():
    with pytest.raises(ValueError, match="frozen_blocks"):
        FusionNet(AudioBackbone(**TINY_AUDIO["waveform"]), VisualBackbone(**TINY_VISUAL), frozen_blocks=(4, 0))
    with pytest.raises(ValueError, match="frozen_blocks"):
        FusionNet(AudioBackbone(**TINY_AUDIO["waveform"]), VisualBackbone(**TINY_VISUAL), frozen_blocks=(1,))


def test_layer_names_read_like_the_paper():
    audio, visual, fusion = layer_names(tiny_audio()), layer_names(tiny_visual()), layer_names(tiny_fusion())
    assert {"audio_block1_conv", "audio_block1_bn", "audio_block3_pool", "audio_lstm", "audio_features"} <= audio
    assert {"visual_block1_conv1", "visual_block1_conv2", "visual_block3_pool", "visual_gap"} <= visual
    assert {"visual_backbone", "visual_features", "visual_head", "visual_logits"} <= visual
    assert {"audio_features", "visual_features", "fusion_concat", "fusion_dense2", "fusion_logits"} <= fusion
    assert "audio_logits" not in fusion and "visual_logits" not in fusion  # branch classifiers dropped


def test_bad_shapes_and_arguments_raise():
    with pytest.raises(ValueError):
        tiny_audio()(np.zeros((BATCH, WINDOW + 1), "float32"))
    with pytest.raises(ValueError):
        tiny_visual()(np.zeros((BATCH, SIDE, SIDE, 3), "float32"))
    with pytest.raises(ValueError, match="frontend"):
        AudioNet.from_preset("paper", frontend="mfcc")
    with pytest.raises(ValueError, match="one entry per block"):
        AudioNet.from_preset("paper", filters=(32, 32), conv_strides=(4, 1, 1))
    with pytest.raises(ValueError, match="preset"):
        VisualNet.from_preset("huge")
    with pytest.raises(FileNotFoundError):
        load_model("no/such/model.keras")


def test_defaults_are_the_paper_presets():
    def args(config):
        return {key: value for key, value in config.items() if key != "name"}

    assert args(AudioNet().get_config()) == args(AudioNet.from_preset("paper").get_config())
    assert args(VisualNet().get_config()) == args(VisualNet.from_preset("paper").get_config())


def test_full_size_parameter_counts():
    counts = {
        "audio_paper": AudioNet.from_preset("paper").count_params(),
        "audio_logmel": AudioNet.from_preset("logmel").count_params(),
        "visual_paper": VisualNet.from_preset("paper").count_params(),
        "fusion_paper": FusionNet().count_params(),
    }
    print(counts)
    assert 3e5 < counts["audio_paper"] < 1e6  # LSTM(256) over 32 channels dominates
    assert 1e6 < counts["audio_logmel"] < 3e6
    assert 1e6 < counts["visual_paper"] < 3e6  # 3 VGG blocks 64-128-256
    # The fusion = both encoders + 512*256 + 256*256 + 256*7 head (+ biases).
    head = (512 * 256 + 256) + (256 * 256 + 256) + (256 * NUM_CLASSES + NUM_CLASSES)
    encoders = counts["audio_paper"] + counts["visual_paper"] - 2 * (256 * NUM_CLASSES + NUM_CLASSES)
    assert counts["fusion_paper"] == encoders + head


BACKEND_SCRIPT = textwrap.dedent(
    """
    import keras, numpy as np
    from avmodel.models import AudioNet, FusionNet, VisualNet
    assert keras.backend.backend() == {backend!r}, keras.backend.backend()
    audio = AudioNet.from_preset("paper", window_samples=1600, filters=(4, 4, 4), lstm_units=8)
    logmel = AudioNet.from_preset("logmel", window_samples=1600, filters=(4, 4, 4), num_mel_bins=16, lstm_units=8)
    masked = AudioNet.from_preset("logmel-masked", window_samples=1600, filters=(4, 4, 4), num_mel_bins=16,
                                  spec_masks=(3, 4), lstm_units=8)
    visual = VisualNet.from_preset("paper", face_size=16, filters=(4, 4, 8), feature_units=8)
    fusion = FusionNet.from_branches(audio, visual, hidden_units=(8, 8))
    wave = np.random.default_rng(0).standard_normal((2, 1600)).astype("float32")
    face = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 1)).astype("uint8")
    for model, x in [(audio, wave), (logmel, wave), (visual, face), (fusion, {{"audio": wave, "face": face}})]:
        p = model.probabilities(x)
        assert p.shape == (2, 7) and np.allclose(p.sum(axis=1), 1, atol=1e-5), (model.name, p)
    p = keras.ops.convert_to_numpy(masked(wave, training=True))  # SpecMask draws its bands: logits
    p = np.exp(p) / np.exp(p).sum(axis=1, keepdims=True)
    assert p.shape == (2, 7) and np.allclose(p.sum(axis=1), 1, atol=1e-5), p
    print("ok")
    """
)


BACKENDS = {"jax": "jax", "torch": "torch"}  # Keras backend -> module it needs


@pytest.fixture(scope="module")
def backend_runs():
    """Start one subprocess per installed backend, all at once (they take seconds to import)."""
    runs = {}
    for backend, module in BACKENDS.items():
        if importlib.util.find_spec(module) is not None:
            env = {**os.environ, "KERAS_BACKEND": backend, "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
            script = BACKEND_SCRIPT.format(backend=backend)
            runs[backend] = subprocess.Popen(
                [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
    yield runs
    for run in runs.values():
        run.kill()


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_other_backends_forward_pass(backend, backend_runs):
    if backend not in backend_runs:
        pytest.skip(f"{BACKENDS[backend]} is not installed, so the {backend} backend cannot be checked")
    stdout, stderr = backend_runs[backend].communicate(timeout=300)
    assert backend_runs[backend].returncode == 0, stderr[-3000:]
    assert stdout.strip().endswith("ok")


LEGACY = __import__("pathlib").Path(__file__).parent / "data" / "legacy"  # written by the release-3 code


@pytest.mark.parametrize("role", ["audio", "visual", "fusion"])
def test_files_of_the_old_flat_structure_load_with_the_same_probabilities(role, tmp_path):
    """Files saved before the backbone/head split (releases 1-3, users' runs) load as today's networks,
    give the probabilities the old code recorded, and re-save in the new structure."""
    import json

    recorded = json.loads((LEGACY / "outputs.json").read_text())["probabilities"][role]
    rng = np.random.default_rng(123)
    audio = rng.standard_normal((3, 32000)).astype("float32")
    face = rng.integers(0, 256, (3, 96, 96, 1)).astype("float32")
    x = {"audio": audio, "visual": face, "fusion": {"audio": audio, "face": face}}[role]
    network = load_model(LEGACY / f"{role}.keras")
    assert type(network).__name__ == {"audio": "AudioNet", "visual": "VisualNet", "fusion": "FusionNet"}[role]
    np.testing.assert_allclose(network.probabilities(x), recorded, atol=1e-5)
    network.save(tmp_path / "resaved.keras")
    np.testing.assert_allclose(load_model(tmp_path / "resaved.keras").probabilities(x), recorded, atol=1e-5)
