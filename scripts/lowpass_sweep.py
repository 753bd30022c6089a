"""PublicTest accuracy of a trained VisualNet with its inference-time blur set to other sigmas.

    python scripts/lowpass_sweep.py runs/visual/best.keras [--fer cache/fer2013]

A diagnostic of the FER2013 blur (avmodel/models/lowpass.py): the sigma is fixed
by the measured spectrum of the training faces, not chosen by this sweep.
"""

import argparse
import json

from avmodel.models import VisualBackbone, VisualNet, load_model
from avmodel.training.data import visual_splits

SIGMAS = (0.0, 3.2, 4.8, 6.4, 8.0)  # pixels at 96 px; 6.4 is the measured training blur


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--fer", default="cache/fer2013", help="prepared FER2013 folder")
    args = parser.parse_args()
    model, test = load_model(args.model), visual_splits([args.fer])["test"]
    accuracy = {}
    for sigma in SIGMAS:
        backbone = VisualBackbone(**{**model.backbone.get_config(), "lowpass_sigma": sigma})
        variant = VisualNet(backbone, labels=model.labels, dropout=model.dropout)
        variant.set_weights(model.get_weights())
        predicted = variant.predict(test.x, batch_size=256, verbose=0).argmax(axis=1)
        accuracy[sigma] = round(float((predicted == test.y).mean()), 4)
        print(f"sigma {sigma:.1f} px: PublicTest accuracy {accuracy[sigma]:.4f}", flush=True)
    print(json.dumps(accuracy))


if __name__ == "__main__":
    main()
