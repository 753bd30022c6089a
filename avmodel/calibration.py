"""Calibrated probabilities: temperature scaling (Guo et al. 2017) and how to measure it.

    network logits (n, classes) on validation data -> T minimising the negative
    log-likelihood of softmax(logits / T) -> the network re-saved with
    ``temperature=T`` in its config -> ``probabilities(logits, T)``, the one
    softmax, applied at the edge (``avmodel.predict``, evaluate, the demo)

Temperature scaling changes no argmax: accuracy stays exactly what it was; only
the confidence moves. Measured with the expected calibration error (ECE): the
confidence of the top class against how often it is right, over equal-width
confidence bins, weighted by the bin's share of the samples.
"""

import numpy as np

ECE_BINS = 15  # equal-width confidence bins (Guo et al. 2017)
TEMPERATURE_RANGE = (0.05, 20.0)  # searched on a log scale; outside it a network is broken, not miscalibrated
PREDICT_BATCH = 256


def probabilities(logits, temperature=1.0):
    """softmax(logits / temperature) over the last axis: (..., classes) -> (..., classes) float64, rows sum to 1."""
    scaled = np.asarray(logits, np.float64) / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)  # exp never overflows
    exponentials = np.exp(scaled)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def log_probabilities(logits, temperature=1.0):
    """log softmax(logits / temperature) over the last axis, float64."""
    scaled = np.asarray(logits, np.float64) / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    return scaled - np.log(np.exp(scaled).sum(axis=-1, keepdims=True))


def predict_logits(model, x):
    """The network's inputs -> (n, classes) logits (what every network outputs), inference mode."""
    return np.asarray(model.predict(x, batch_size=PREDICT_BATCH, verbose=0), np.float64)


def negative_log_likelihood(logits, y, temperature):
    """Mean -log p(true class) of softmax(logits / temperature); logits (n, C), y (n,) int."""
    return float(-log_probabilities(logits, temperature)[np.arange(len(y)), y].mean())


def fit_temperature(logits, y):
    """The T in TEMPERATURE_RANGE that minimises the NLL of ``y`` (n,) under softmax(logits / T)."""
    from scipy.optimize import minimize_scalar

    low, high = np.log(TEMPERATURE_RANGE)
    best = minimize_scalar(lambda log_t: negative_log_likelihood(logits, y, np.exp(log_t)),
                           bounds=(low, high), method="bounded")  # fmt: skip
    return float(np.exp(best.x))


def reliability(probabilities, y, bins=ECE_BINS):
    """Per confidence bin: (mean confidence, accuracy, samples); empty bins have samples 0.

    probabilities: (n, C); y: (n,) int. Returns three (bins,) arrays.
    """
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == y
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, confidence, bins) / counts
        accuracy = np.bincount(which, correct, bins) / counts
    return mean_confidence, accuracy, counts


def expected_calibration_error(probabilities, y, bins=ECE_BINS):
    """sum over bins of (share of samples) x |accuracy - mean confidence|, in 0..1."""
    mean_confidence, accuracy, counts = reliability(probabilities, y, bins)
    used = counts > 0
    return float(np.sum(counts[used] / counts.sum() * np.abs(accuracy[used] - mean_confidence[used])))


def calibration_report(logits, y, temperature):
    """ECE and NLL before (T = 1) and after (T = ``temperature``) on one labelled set."""
    before, after = probabilities(logits), probabilities(logits, temperature)
    return {
        "samples": int(len(y)),
        "ece_before": expected_calibration_error(before, y),
        "ece_after": expected_calibration_error(after, y),
        "nll_before": negative_log_likelihood(logits, y, 1.0),
        "nll_after": negative_log_likelihood(logits, y, temperature),
        "accuracy": float(np.mean(before.argmax(axis=1) == y)),  # the same at any temperature
    }


def with_temperature(model, temperature):
    """A copy of ``model`` (any of the three networks) whose config holds ``temperature``."""
    config = {**model.get_config(), "temperature": float(temperature)}
    calibrated = type(model).from_config(config)
    calibrated.set_weights(model.get_weights())
    return calibrated


def plot_reliability(curves, path, title):
    """Reliability diagram: accuracy against confidence per bin, one line per (label, probabilities, y)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(4.2, 4.2), dpi=120)
    axis.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfectly calibrated")
    for label, probabilities, y in curves:
        mean_confidence, accuracy, counts = reliability(probabilities, y)
        used = counts > 0
        ece = expected_calibration_error(probabilities, y)
        axis.plot(mean_confidence[used], accuracy[used], marker="o", markersize=3,
                  label=f"{label} (ECE {100 * ece:.1f}%)")  # fmt: skip
    axis.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (top class)", ylabel="accuracy", title=title)
    axis.legend(loc="upper left", fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
