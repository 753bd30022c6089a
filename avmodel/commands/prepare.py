"""avmodel prepare <corpus> <source> --out <cache>"""

import json
import sys

from avmodel.constants import SEED
from avmodel.prepare import SHARD_SIZE

CORPUS_NAMES = ("cremad", "emodb", "enterface05", "fer2013", "ravdess")


def register(commands):
    parser = commands.add_parser("prepare", help="turn a corpus into compact training arrays + manifests")
    parser.add_argument("corpus", choices=CORPUS_NAMES)
    parser.add_argument("source", help="the corpus folder or archive (e.g. project2_database.zip)")
    parser.add_argument("--out", required=True, help="output folder; run the same command again to resume")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: up to 2)")
    parser.add_argument("--shard-size", type=int, default=SHARD_SIZE, help="clips per resumable shard")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of key-frame offsets and splits")
    parser.add_argument("--limit", type=int, default=None, help="only the first N clips (a quick look)")
    parser.set_defaults(run=run)


def run(args):
    from avmodel.prepare import prepare

    summary = prepare(args.corpus, args.source, args.out, workers=args.workers,
                      shard_size=args.shard_size, seed=args.seed, limit=args.limit)  # fmt: skip
    json.dump(summary, sys.stdout, indent=2)
    print()
