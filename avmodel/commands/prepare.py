"""avmodel prepare <corpus> <source> --out <cache>"""

import json
import sys

from avmodel.constants import SEED
from avmodel.prepare import SHARD_SIZE

CORPUS_NAMES = ("cremad", "emodb", "enterface05", "fer2013", "ravdess", "savee", "tess")  # = sorted(corpora.CORPORA), tested


def register(commands):
    parser = commands.add_parser("prepare", help="turn a corpus into compact training arrays + manifests")
    parser.add_argument("corpus", choices=CORPUS_NAMES)
    parser.add_argument("source", help="the corpus folder or archive (e.g. project2_database.zip)")
    parser.add_argument("--out", required=True,
                        help="output folder; run again to resume (redoes only new or changed clips)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=None, help="processes (default: up to 2)")
    parser.add_argument("--shard-size", type=int, default=SHARD_SIZE, help="clips per shard at most")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of key-frame offsets and splits")
    parser.add_argument("--limit", type=int, default=None, help="only the first N clips (a quick look)")
    parser.set_defaults(run=run)


def run(args):
    from avmodel.prepare import FolderBusyError, prepare

    try:
        summary = prepare(args.corpus, args.source, args.out, workers=args.workers,
                          shard_size=args.shard_size, seed=args.seed, limit=args.limit)  # fmt: skip
    except (FolderBusyError, FileNotFoundError, ValueError) as error:  # another run in --out, no source, no clips
        print(f"avmodel prepare: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\navmodel prepare: interrupted; finished clips are kept in {args.out}, "
              "run the same command to go on", file=sys.stderr)  # fmt: skip
        return 130
    json.dump(summary, sys.stdout, indent=2)
    print()
