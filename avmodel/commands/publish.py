"""avmodel publish --repo-id ORG/NAME [--weights DIR] [--revision BRANCH] [--private]

Uploads the three networks, model_info.json and a generated model card
(README.md) to a Hugging Face model repo. Log in first (``hf auth login``) or
set HF_TOKEN. Exit code 2 when the weights folder is incomplete, 1 when the Hub refuses.
"""

import sys


def register(commands):
    parser = commands.add_parser("publish", help="upload weights and a model card to the Hugging Face Hub")
    parser.add_argument("--repo-id", required=True, help="the Hub model repo, ORG/NAME (made if missing)")
    parser.add_argument("--weights", default=None, help="weights folder (default: the bundled avmodel/weights)")
    parser.add_argument("--revision", default=None, help="branch to upload to (default: main)")
    parser.add_argument("--private", action="store_true", help="make a new repo private")
    parser.set_defaults(run=run)


def run(args):
    from huggingface_hub.errors import HfHubHTTPError

    from avmodel.hub import BUNDLED_WEIGHTS, publish

    try:
        url = publish(args.weights or BUNDLED_WEIGHTS, args.repo_id, revision=args.revision, private=args.private)
    except FileNotFoundError as error:
        print(f"avmodel publish: {error}", file=sys.stderr)
        return 2
    except HfHubHTTPError as error:  # not logged in, no write access, ...
        print(f"avmodel publish: the Hub refused: {error}", file=sys.stderr)
        return 1
    print(f"published: {url}")
