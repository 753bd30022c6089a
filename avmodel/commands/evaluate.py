"""avmodel evaluate [--weights DIR|ORG/NAME] [--fer FOLDER] [--audio-data FOLDER...] [--json FILE]

Measures a weights folder (default: the bundled weights) on prepared corpora
(`avmodel prepare`) under the training splits, prints accuracy with its chance
level beside the figure recorded in model_info.json, and says whether each
reproduces. Exit code 1 when a recorded figure does not reproduce, 2 when the
inputs are missing.
"""

import json
import sys

EXAMPLE = "example:\n  avmodel evaluate --fer cache/fer2013 --audio-data cache/emodb cache/ravdess"


def register(commands):
    parser = commands.add_parser("evaluate", help="measure weights on prepared corpora, check the recorded metrics",
                                 epilog=EXAMPLE, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--weights", default=None, help="weights folder or Hub id (default: the bundled weights)")
    parser.add_argument("--revision", default=None, help="Hub revision (with a Hub id)")
    parser.add_argument("--fer", default=None, help="prepared FER2013 folder: visual test metrics")
    parser.add_argument("--audio-data", nargs="+", default=(), help="prepared emoDB / RAVDESS folders: audio metrics")
    parser.add_argument("--json", default=None, help="also write every metric (confusion matrices too) here")
    parser.set_defaults(run=run)


def run(args):
    from avmodel.errors import WeightsError
    from avmodel.evaluate import compare, evaluate_weights
    from avmodel.hub import read_info, resolve_weights

    if not (args.fer or args.audio_data):
        print("avmodel evaluate: give --fer and/or --audio-data (prepared folders)", file=sys.stderr)
        return 2
    try:
        weights = resolve_weights(args.weights, args.revision)
        measured = evaluate_weights(weights, args.fer, args.audio_data)
    except (FileNotFoundError, ConnectionError, WeightsError) as error:
        print(f"avmodel evaluate: {error}", file=sys.stderr)
        return 2
    if args.json:
        with open(args.json, "w") as file:
            json.dump(measured, file, indent=2)
    rows = compare(measured, read_info(weights).get("metrics", {}))
    for name, accuracy, recorded, same in rows:
        chance = measured[name]["chance_uniform"]
        verdict = "not recorded" if recorded is None else ("reproduced" if same else f"DIFFERS from {recorded:.4f}")
        print(f"{name}: accuracy {accuracy:.4f} (n={measured[name]['samples']}, chance {chance:.3f}) - {verdict}")
    return 1 if any(recorded is not None and not same for _, _, recorded, same in rows) else 0
