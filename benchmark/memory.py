"""Peak memory of one whole-clip prediction, measured in a fresh process.

    python -m benchmark.memory CLIP [--weights DIR] [--warmup CLIP]

Loads the Predictor (networks + face detector), optionally predicts a warm-up
clip, then predicts CLIP and prints one JSON line:

    rss_before_mib        resident memory just before the prediction
    rss_peak_mib          the process's peak resident memory (VmHWM), at the end
    peak_before_mib       the peak just before the prediction (loading can peak higher than it settles)
    growth_mib            rss_peak_mib - max(rss_before_mib, peak_before_mib): a lower bound on
                          what the prediction added at its peak (0 when loading peaked higher)
    tracemalloc_peak_mib  peak of the Python / numpy allocations made during the prediction
                          (TensorFlow's own allocator is not traced)
    seconds               wall time of the prediction; clip_seconds: the clip's duration
"""

import argparse
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

MIB = 2**20


def rss_mib(field="VmRSS"):
    """Current resident set size (or another /proc/self/status field) in MiB (Linux /proc), or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024 / MIB
    except OSError:
        return None
    return None


def peak_mib():
    """This process's peak resident memory in MiB: VmHWM, the high-water mark of its own address space.

    Not ru_maxrss where /proc has VmHWM: Linux carries ru_maxrss across fork and exec, so a process
    started by a large one (the benchmark's pytest, TensorFlow loaded) reports its parent's size."""
    peak = rss_mib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MIB


def measure(clip, weights=None, warmup=None):
    from benchmark.pipeline import make_predictor

    predictor, origin = make_predictor(weights)
    if warmup:
        predictor.predict(warmup)
    before, peak_before = rss_mib(), peak_mib()
    tracemalloc.start()
    started = time.perf_counter()
    result = predictor.predict(clip)
    seconds = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = peak_mib()
    return {
        "clip": str(clip),
        "clip_seconds": result["found"]["duration_s"],
        "found": result["found"],
        "weights": origin,
        "warmup": str(warmup) if warmup else None,
        "rss_before_mib": round(before, 1) if before is not None else None,
        "peak_before_mib": round(peak_before, 1),
        "rss_peak_mib": round(peak, 1),
        "growth_mib": round(max(0.0, peak - max(before or 0.0, peak_before)), 1),
        "tracemalloc_peak_mib": round(traced_peak / MIB, 1),
        "seconds": round(seconds, 2),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmark.memory", description=__doc__.splitlines()[0])
    parser.add_argument("clip")
    parser.add_argument("--weights", default=None, help="trained weights folder (default: random full-size networks)")
    parser.add_argument("--warmup", default=None, help="a clip predicted first, outside the measurement")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.clip, args.weights, args.warmup)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
