"""The ``avmodel`` command line: thin wrappers that parse arguments and call the library.

Each subcommand lives in ``avmodel/commands/<name>.py`` with a ``register(commands)``
function that adds its parser and sets ``run``; heavy imports happen inside ``run``.
"""

import argparse
import importlib
import sys

SUBCOMMANDS = ("prepare", "train", "evaluate", "release", "predict", "publish")  # modules of avmodel.commands, in help order


def build_parser():
    parser = argparse.ArgumentParser(prog="avmodel", description="Audio-visual emotion recognition.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"avmodel.commands.{name}").register(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
