"""Clips per second of a batch job: one process against Ray with 1 and 2 local workers.

    python -m benchmark.batch_rate [--copies 4] [--weights DIR] [--out reports/batch-rate]

The six real CREMA-D clips (``benchmark.clips.CREMA_D_VIDEO``), each linked ``--copies`` times
under its own name, go through ``avmodel predict FILES --out results.jsonl`` from the shell,
as a user runs it: once in one process, then with ``--ray --num-workers 1`` and ``2``. Each
run is timed from the command's start to its end (start-up, Ray and worker loading included)
and from its first written row to its last (the steady rate). Writes batch_rate.json and
batch_rate.md; checks that every run wrote the same paths, in order.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmark.clips import CREMA_D_VIDEO

RUNS = {
    "one process": [],
    "Ray, 1 worker": ["--ray", "--num-workers", "1"],
    "Ray, 2 workers": ["--ray", "--num-workers", "2"],
}
POLL_SECONDS = 0.05  # how often the results file is looked at for the first and last rows


def linked_clips(folder, copies):
    """``copies`` links to each real CREMA-D clip, each with its own name (so none is skipped as done)."""
    sources = sorted(CREMA_D_VIDEO.glob("*.flv"))
    if not sources:
        raise FileNotFoundError(f"no CREMA-D clips in {CREMA_D_VIDEO}")
    paths = []
    for copy in range(copies):
        for source in sources:
            path = Path(folder) / f"{copy}_{source.name}"
            path.symlink_to(source.resolve())
            paths.append(str(path))
    return paths


def timed_job(files, extra, out, weights=None):
    """Run one ``avmodel predict`` job; returns its timings and the paths it wrote, in order."""
    command = [sys.executable, "-m", "avmodel.cli", "predict", *files, "--out", str(out), *extra]
    command += ["--weights", str(weights)] if weights else []
    started = time.perf_counter()
    job = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = None
    while job.poll() is None:
        if first is None and out.exists() and out.stat().st_size:
            first = time.perf_counter()
        time.sleep(POLL_SECONDS)
    ended = time.perf_counter()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    steady = ended - (first or ended)
    return {
        "exit_code": job.returncode,
        "files": len(rows),
        "errors": sum("error" in row for row in rows),
        "seconds": round(ended - started, 2),
        "clips_per_second": round(len(rows) / (ended - started), 3),
        "first_row_after_s": round((first or ended) - started, 2),
        "steady_clips_per_second": round((len(rows) - 1) / steady, 3) if steady > 0 and len(rows) > 1 else None,
    }, [row["path"] for row in rows]


def measure(copies=4, weights=None):
    with tempfile.TemporaryDirectory() as folder:
        files = linked_clips(folder, copies)
        results, written = {}, {}
        for name, extra in RUNS.items():
            results[name], written[name] = timed_job(files, extra, Path(folder) / f"{len(results)}.jsonl", weights)
    same = all(paths == files for paths in written.values())
    return {"files": len(files), "same_rows_in_order": same, "runs": results}


def markdown(figures, command):
    lines = [f"Batch job of {figures['files']} real CREMA-D clips (`{command}`); every run wrote the same paths in "
             f"order: {figures['same_rows_in_order']}.", "",
             "| run | seconds | clips/s | first row after | clips/s after the first row | errors |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for name, run in figures["runs"].items():
        lines.append(f"| {name} | {run['seconds']} | {run['clips_per_second']} | {run['first_row_after_s']} s | "
                     f"{run['steady_clips_per_second']} | {run['errors']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmark.batch_rate", description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="links to each of the six clips")
    parser.add_argument("--weights", default=None, help="weights folder (default: the bundled release)")
    parser.add_argument("--out", default="reports/batch-rate", help="folder for batch_rate.json and .md")
    args = parser.parse_args(argv)
    figures = measure(args.copies, args.weights)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "batch_rate.json").write_text(json.dumps(figures, indent=2))
    command = " ".join(["python -m benchmark.batch_rate", *(argv if argv is not None else sys.argv[1:])])
    (out / "batch_rate.md").write_text(markdown(figures, command))
    print(markdown(figures, command))
    return 0 if figures["same_rows_in_order"] else 1


if __name__ == "__main__":
    sys.exit(main())
