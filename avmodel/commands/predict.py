"""avmodel predict FILE... [--json] [--weights PATH_OR_HUB_ID] [--revision REV]

The networks load once for all files. A file that cannot be used gets an
``error`` and the others still run; the exit code is 0 unless every file
failed (1), or 2 when the weights cannot be loaded.
"""

import json
import sys


def register(commands):
    parser = commands.add_parser("predict", help="emotion probabilities of clips, audio files or face images")
    parser.add_argument("files", nargs="+", metavar="FILE", help="video (avi mp4 flv webm mov mkv), audio or image")
    parser.add_argument("--json", action="store_true", help="print one JSON array, one object per file")
    parser.add_argument("--weights", default=None, help="weights folder or Hub id ORG/NAME (default: bundled)")
    parser.add_argument("--revision", default=None, help="Hub branch, tag or commit (with a Hub id)")
    parser.set_defaults(run=run)


def run(args):
    from avmodel.predict import Predictor
    from avmodel.report import format_result

    try:
        predictor = Predictor(args.weights, args.revision)
    except (FileNotFoundError, ValueError) as error:
        print(f"avmodel predict: {error}", file=sys.stderr)
        return 2
    results = predictor.predict_many(args.files)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        print("\n\n".join(format_result(result) for result in results))
    return 1 if all("error" in result for result in results) else 0
