"""avmodel predict FILE... [--json | --jsonl | --out RESULTS.jsonl] [--weights PATH_OR_HUB_ID] [--revision R]

FILE may be a file, a folder (its media files, recursively), a glob pattern or a
manifest CSV with a ``path`` column (``avmodel.batch``). ``--out`` appends JSON Lines
to a file and skips the files it already holds, so an interrupted job of thousands
of files is resumed by running the same command again; a progress bar on stderr
shows files, rate and errors so far.

The networks load once for all files, and each result is written (and
flushed) as soon as its file is done, so an interruption keeps what was
finished. A file that fails gets an ``error`` and ``reason`` (its ClipError's,
or "internal" for any other exception, with no traceback) and the others still
run. ``--json`` writes one JSON array, completed whatever stops the run;
``--jsonl`` one JSON object per line. Values are always valid JSON (no NaN).

Exit codes: 0 when at least one file gave an answer (or none was left to do),
1 when every file failed, 2 when the weights cannot be loaded or an input names
no file, 130 on Ctrl-C and 143 on SIGTERM (the results finished before it are
written).
"""

import json
import signal
import sys
from contextlib import contextmanager
from textwrap import indent

EXIT_ALL_FAILED, EXIT_WEIGHTS, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 2, 130, 143
EXIT_INPUTS = 2  # a folder, pattern or manifest that names no file: nothing was started


def register(commands):
    parser = commands.add_parser("predict", help="emotion probabilities of clips, audio files or face images")
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="video (avi mp4 flv webm mov mkv), audio or image; a folder, glob or manifest .csv")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print one JSON array, one object per file")
    form.add_argument("--jsonl", action="store_true", help="print JSON Lines: one object per file, per line")
    form.add_argument("--out", metavar="RESULTS.jsonl",
                      help="append JSON Lines to this file, skipping the files it already holds (resumable)")
    parser.add_argument("--weights", default=None, help="weights folder or Hub id ORG/NAME (default: bundled)")
    parser.add_argument("--revision", default=None, help="Hub branch, tag or commit (with a Hub id)")
    parser.set_defaults(run=run)


def run(args):
    from avmodel.batch import InputError, done_paths, expand_inputs
    from avmodel.errors import WeightsError
    from avmodel.predict import Predictor

    try:
        files = expand_inputs(args.files)
    except InputError as error:
        print(f"avmodel predict: {error}", file=sys.stderr)
        return EXIT_INPUTS
    done = done_paths(args.out) if args.out else set()
    todo = [path for path in files if path not in done]
    if args.out and done:
        print(f"avmodel predict: {len(files) - len(todo)} of {len(files)} files already in {args.out}; "
              f"{len(todo)} to go", file=sys.stderr)  # fmt: skip
    stream = open(args.out, "a") if args.out else sys.stdout
    writer = ResultWriter(stream, "json" if args.json else "jsonl" if args.jsonl or args.out else "text")
    try:
        with writer, sigterm_as_interrupt(), _progress(todo, args.out) as progress:
            predictor = Predictor(args.weights, args.revision)
            for result in predictor.iter_predict(todo):
                writer.write(result)
                progress.update(writer.failed)
    except WeightsError as error:
        print(f"avmodel predict: cannot load the weights: {error}", file=sys.stderr)
        return EXIT_WEIGHTS
    except KeyboardInterrupt as stop:
        print(f"avmodel predict: interrupted after {writer.count} of {len(todo)} files; "
              "the finished results are written", file=sys.stderr)  # fmt: skip
        return EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED
    finally:
        if args.out:
            stream.close()
    return EXIT_ALL_FAILED if writer.count and writer.failed == writer.count else 0


class _Progress:
    """A tqdm bar on stderr (files, rate, errors so far) when results go to a file; silent otherwise."""

    def __init__(self, total, show):
        self.bar = None
        if show:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True)

    def update(self, errors):
        if self.bar is not None:
            self.bar.set_postfix(errors=errors, refresh=False)
            self.bar.update()

    def close(self):
        if self.bar is not None:
            self.bar.close()


@contextmanager
def _progress(todo, out):
    progress = _Progress(len(todo), bool(out))
    try:
        yield progress
    finally:
        progress.close()


class ResultWriter:
    """Results to a stream as they come: "text" (for people), "json" (one array) or "jsonl".

    The array's brackets are written on entering and leaving the ``with``
    block, whatever ends it, so the stream always holds valid JSON. A result
    that cannot be serialised strictly (NaN, infinity, a foreign type) is
    replaced by its file's error entry.
    """

    def __init__(self, stream, form):
        self.stream, self.form = stream, form
        self.count = self.failed = 0

    def __enter__(self):
        if self.form == "json":
            self._put("[")
        return self

    def __exit__(self, *exc_info):
        if self.form == "json":
            self._put("\n]\n" if self.count else "]\n")
        return False

    def write(self, result):
        """Write one result dict (flushed); returns what was written."""
        result, text = self._serialise(result)
        if self.form == "json":
            text = ("\n" if not self.count else ",\n") + indent(text, "  ")
        elif self.form == "jsonl":
            text += "\n"
        else:
            text = ("\n" if self.count else "") + text + "\n"
        self._put(text)
        self.count += 1
        self.failed += "error" in result
        return result

    def _serialise(self, result):
        from avmodel.predict import INTERNAL, error_entry
        from avmodel.report import format_result

        def render(value):
            if self.form == "text":
                return format_result(value)
            return json.dumps(value, allow_nan=False, indent=2 if self.form == "json" else None)

        try:
            return result, render(result)
        except Exception as error:  # ValueError for NaN, TypeError for numpy scalars, or a report bug
            entry = error_entry(result.get("path", "?"), f"internal error: the result could not be written "
                                f"({type(error).__name__}: {error})", INTERNAL)  # fmt: skip
            return entry, render(entry)

    def _put(self, text):
        self.stream.write(text)
        self.stream.flush()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the batch stops the same way (exit 143)."""


@contextmanager
def sigterm_as_interrupt():
    """Inside the block SIGTERM raises ``Terminated`` (main thread only; elsewhere nothing changes)."""
    def stop(signum, frame):
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
