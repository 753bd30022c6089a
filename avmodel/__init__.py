"""avmodel: emotion in short video clips, from the voice and the face together.

    import avmodel
    predictor = avmodel.load()                  # bundled weights; or a folder, or a Hub id "org/name"
    result = predictor.predict("clip.mp4")      # {"emotion", "probabilities", "fused", "audio", "visual", ...}

The data path, one module per arrow:

    file --decode--> 16 kHz mono waveform + key frames (one every 10 frames)      decode.py, clip.py
         --audio--> z-normalised 2 s windows (n, 32000)                           audio.py
         --faces--> MTCNN face per key frame -> 96x96 grayscale crops (k, 96, 96)  faces.py, detector.py
         --models--> AudioBackbone (n, 256), VisualBackbone (k, 256)              models/
                     -> heads: audio, visual and fusion (window, face pairs) logits
         --calibration--> temperature-scaled softmax over the 7 EMOTIONS         calibration.py
         --predict--> per window and per clip {label: probability}               predict.py

Training reads what ``avmodel prepare`` wrote (prepare.py, corpora/, splits.py) through
training/; ``avmodel release`` calibrates and measures the runs into weights/ (release.py,
reproduce.py); hub.py finds weights locally or in the Hugging Face cache. The command line
is cli.py; batch jobs are batch.py, writers.py and, on Ray, distributed.py.

Nothing heavy is imported here: ``load`` and ``Predictor`` import Keras when first used.
"""

from avmodel.constants import EMOTIONS

__all__ = ["EMOTIONS", "Predictor", "load"]
__version__ = "0.1.0"  # the package's version (pyproject.toml reads it from here)


def load(weights=None, revision=None, **options):
    """A ``Predictor`` with the three networks of ``weights`` (None: the bundled release).

    weights:  a weights folder, a Hub id "org/name" (from the local cache when offline) or None
    revision: Hub branch, tag or commit (Hub ids only)
    options:  ``Predictor``'s keyword arguments (detector, seed, max_seconds)
    """
    from avmodel.predict import Predictor

    return Predictor(weights, revision, **options)


def __getattr__(name):
    if name == "Predictor":
        from avmodel.predict import Predictor

        return Predictor
    raise AttributeError(f"module 'avmodel' has no attribute {name!r}")
