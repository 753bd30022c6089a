"""The inference-time blur that makes sharp faces look like FER2013's blurred training faces."""

import keras
import numpy as np
import pytest

from avmodel.models import VisualNet, load_model
from avmodel.models.lowpass import GaussianLowPass, gaussian_kernel

SIDE = 24


def faces(seed=0):
    """(2, SIDE, SIDE, 1) float32 noise: all detail, the worst case for a blur."""
    return np.random.default_rng(seed).uniform(0, 1, (2, SIDE, SIDE, 1)).astype("float32")


def step_size(images):
    """Mean absolute horizontal pixel step: the sharpness measure used on the corpus."""
    return float(np.abs(np.diff(images, axis=2)).mean())


def test_kernel_is_normalised_and_symmetric():
    kernel = gaussian_kernel(2.0)[:, :, 0, 0]
    assert kernel.shape == (13, 13)  # 2 * ceil(3 sigma) + 1
    assert kernel.sum() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(kernel, kernel.T)
    np.testing.assert_allclose(kernel, kernel[::-1, ::-1])


def test_blur_keeps_shape_and_brightness_and_removes_detail():
    x = faces()
    y = keras.ops.convert_to_numpy(GaussianLowPass(2.0)(x, training=False))
    assert y.shape == x.shape
    assert y.mean() == pytest.approx(x.mean(), abs=0.01)  # reflect padding: no dark border
    assert step_size(y) < 0.25 * step_size(x)


def test_a_flat_image_is_unchanged():
    flat = np.full((1, SIDE, SIDE, 1), 0.5, "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(GaussianLowPass(3.0)(flat)), flat, atol=1e-6)


def test_inference_only_passes_training_batches_through():
    x = faces()
    layer = GaussianLowPass(2.0, inference_only=True)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=True)), x)
    assert not np.allclose(keras.ops.convert_to_numpy(layer(x, training=False)), x)
    always = GaussianLowPass(2.0, inference_only=False)
    assert not np.allclose(keras.ops.convert_to_numpy(always(x, training=True)), x)


def test_zero_sigma_is_the_identity():
    x = faces()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(GaussianLowPass(0)(x)), x)


def test_visual_net_blurs_at_inference_only_and_survives_a_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    model = VisualNet.from_preset("paper", face_size=SIDE, lowpass_sigma=2.0, input_pool=2, filters=(4, 8), feature_units=8, dropout=0)
    assert model.backbone.get_layer("visual_lowpass").inference_only
    x = (faces() * 255).astype("uint8")
    flat = np.full_like(x, int(x.mean()))
    # At inference the blur removes the noise, so noise and its flat mean look almost alike.
    infer = keras.ops.convert_to_numpy(model.features(x))
    infer_flat = keras.ops.convert_to_numpy(model.features(flat))
    assert np.abs(infer - infer_flat).mean() < 0.2 * np.abs(infer_flat).mean() + 1e-3
    model.save(tmp_path / "visual.keras")
    loaded = load_model(tmp_path / "visual.keras")
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_compact_preset_pools_to_24_pixels_and_is_small():
    model = VisualNet.from_preset("compact")
    assert model.backbone.get_layer("visual_input_pool").output.shape[1:3] == (24, 24)
    assert model.backbone.get_layer("visual_lowpass").sigma > 0
    assert model.count_params() < 2e6  # ~5 MB as float32
