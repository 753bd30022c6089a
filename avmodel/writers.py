"""Result writers: prediction dicts -> a stream or a folder, written as they come.

    "text"     for people (``avmodel.display.format_result``), one block per file
    "json"     one JSON array; its brackets are written whatever ends the run
    "jsonl"    JSON Lines, one object per file, flushed per line
    "parquet"  a folder of Parquet part files (``part-00000.parquet`` ...), one row per file,
               a part written (atomically) every ``PARQUET_PART_ROWS`` rows and when the run ends

Every writer has ``count`` and ``failed`` (results with an ``error``) and ``done_paths(out)``
tells what an earlier run of the same job already wrote, for resuming. A result that cannot
be written strictly (NaN, infinity, a foreign type) is replaced by its file's error row.

Parquet columns (``parquet_schema``): path, emotion, answer, error, reason (strings);
probabilities, fused, audio, visual (map label -> probability); windows (list of start, end,
face_times, fused, audio, visual); found (JSON text: its keys depend on the kind of file);
notes (list of strings). A missing value is null. Needs pyarrow (``pip install "avmodel[parquet]"``).
"""

import json
import os
from functools import cache
from pathlib import Path
from textwrap import indent

FORMATS = ("text", "json", "jsonl", "parquet")
PARQUET_PART_ROWS = 50  # rows per part file: a kill loses at most this many finished rows (redone on resume)
PARQUET_PART = "part-{:05d}.parquet"


def open_writer(form, out=None, stream=None):
    """A writer of ``form`` to the file or folder ``out`` (appended, resumable) or to ``stream``."""
    if form not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {form!r}")
    if form == "parquet":
        if out is None:
            raise ValueError("--format parquet writes a folder: give --out RESULTS.parquet")
        return ParquetWriter(out)
    return StreamWriter(open(out, "a") if out else stream, form, close=bool(out))


def done_paths(out):
    """Paths an earlier run wrote to ``out`` (answers and error rows alike); empty if none."""
    out = Path(out)
    if out.is_dir():
        return _parquet_paths(out)
    return _jsonl_paths(out) if out.is_file() else set()


def unwritable(result, error):
    """The error row that replaces a result that could not be written (or sent, on Ray)."""
    from avmodel.predict import INTERNAL, error_entry

    message = f"internal error: the result could not be written ({type(error).__name__}: {error})"
    return error_entry(result.get("path", "?"), message, INTERNAL)


class StreamWriter:
    """Results to a text stream: "text", "json" (one array) or "jsonl"."""

    def __init__(self, stream, form, close=False):
        self.stream, self.form, self._close = stream, form, close
        self.count = self.failed = 0

    def __enter__(self):
        if self.form == "json":
            self._put("[")
        return self

    def __exit__(self, *exc_info):
        if self.form == "json":
            self._put("\n]\n" if self.count else "]\n")
        if self._close:
            self.stream.close()
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
        try:
            return result, self._render(result)
        except Exception as error:  # ValueError for NaN, TypeError for numpy scalars, or a display bug
            entry = unwritable(result, error)
            return entry, self._render(entry)

    def _render(self, value):
        if self.form == "text":
            from avmodel.display import format_result

            return format_result(value)
        return json.dumps(value, allow_nan=False, indent=2 if self.form == "json" else None)

    def _put(self, text):
        self.stream.write(text)
        self.stream.flush()


def _jsonl_paths(out):
    """Paths in a JSON Lines file; a last line cut short by a kill is removed (its file is redone)."""
    data = out.read_bytes()
    done, kept = set(), 0
    for line in data.split(b"\n"):
        try:
            done.add(json.loads(line)["path"])
        except (ValueError, KeyError, TypeError):
            break  # a torn line: only the last can be (rows are appended whole, and flushed)
        kept += len(line) + 1
    if kept < len(data):
        with out.open("r+b") as file:
            file.truncate(min(kept, len(data)))
    return done


@cache
def parquet_schema():
    """The arrow schema of a results folder (probabilities are label -> value maps, for any label set)."""
    import pyarrow as pa

    probabilities = pa.map_(pa.string(), pa.float64())
    window = pa.struct([("start", pa.float64()), ("end", pa.float64()), ("face_times", pa.list_(pa.float64())),
                        ("fused", probabilities), ("audio", probabilities), ("visual", probabilities)])  # fmt: skip
    text = [(name, pa.string()) for name in ("path", "emotion", "answer", "error", "reason")]
    maps = [(name, probabilities) for name in ("probabilities", "fused", "audio", "visual")]
    return pa.schema([*text, *maps, ("windows", pa.list_(window)), ("found", pa.string()),
                      ("notes", pa.list_(pa.string()))])  # fmt: skip


def parquet_row(result):
    """A result dict -> a row of ``parquet_schema`` (strict: raises on NaN or a value of the wrong type)."""
    json.dumps(result, allow_nan=False)  # the same strictness as JSON Lines
    row = {name: result.get(name) for name in parquet_schema().names}
    row["found"] = None if result.get("found") is None else json.dumps(result["found"])
    return row


class ParquetWriter:
    """Results to a folder of Parquet parts; each part is written to a temporary name, then renamed."""

    def __init__(self, folder):
        import pyarrow  # noqa: F401  (fail before any work when it is not installed)

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows, self.count, self.failed = [], 0, 0
        self.part = 0  # the next free part number is found when a part is written

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.flush()
        return False

    def write(self, result):
        try:
            row = parquet_row(result)
        except Exception as error:
            result = unwritable(result, error)
            row = parquet_row(result)
        self.rows.append(row)
        self.count += 1
        self.failed += "error" in result
        if len(self.rows) >= PARQUET_PART_ROWS:
            self.flush()
        return result

    def flush(self):
        """Write the rows held so far as the next part file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.rows:
            return
        while (self.folder / PARQUET_PART.format(self.part)).exists():
            self.part += 1
        final = self.folder / PARQUET_PART.format(self.part)
        temporary = final.with_suffix(".tmp")
        pq.write_table(pa.Table.from_pylist(self.rows, schema=parquet_schema()), temporary)
        os.replace(temporary, final)
        self.rows, self.part = [], self.part + 1


def _parquet_paths(folder):
    import pyarrow.parquet as pq

    parts = sorted(folder.glob("part-*.parquet"))
    return {path for part in parts for path in pq.read_table(part, columns=["path"]).column("path").to_pylist()}
