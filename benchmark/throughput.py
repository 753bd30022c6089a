"""Throughput, memory and FLOPs: run the pytest-benchmark suite, summarise it per clip.

    pytest benchmark/ --benchmark-json=J   ->  summarise(J)  ->  stages: ms/clip, clips/s, real-time factor
    networks' FLOPs per clip (benchmark.flops) / measured peak FLOP/s (benchmark.peak)
    peak memory of a whole-clip prediction, 3 s and 10 min clips, each in a fresh process (benchmark.memory)

Per-clip figures refer to one reference clip (``pipeline.reference_clip``: 3 s,
2 audio windows, its key frames, one fusion pair per face). The real-time
factor is seconds of video processed per second of wall time.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmark.environment import ROOT

LONG_CLIP_SECONDS = 600  # s: the 10-minute clip of the memory measurement
WEIGHTS_VARIABLE = "AVMODEL_BENCH_WEIGHTS"  # as benchmark/conftest.py reads it


def run_pytest(json_path, weights=None):
    """Run ``pytest benchmark/`` into ``json_path``; returns its exit code."""
    env = dict(os.environ, **({WEIGHTS_VARIABLE: str(weights)} if weights else {}))
    command = [sys.executable, "-m", "pytest", "benchmark/", "-q", "-p", "no:cacheprovider", f"--benchmark-json={json_path}"]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def summarise(bench, speed=False):
    """pytest-benchmark JSON (dict) -> one row per test, in per-clip units: the reference-clip stages,
    or (``speed``) the rows of test_speed.py (real clips, cold start, the fer package)."""
    entries = [e for e in bench.get("benchmarks", []) if e.get("extra_info", {}).get("stage") not in (None, "peak_matmul")]
    return [_stage(entry) for entry in entries if bool(entry["extra_info"].get("speed")) == speed]


def run_environment(bench):
    """Where the run was: pytest-benchmark's own machine_info and commit_info, and what it does not record
    (the Keras backend and device, thread settings, the load average while it ran)."""
    from benchmark import environment

    return {"machine_info": bench.get("machine_info", {}), "commit_info": bench.get("commit_info", {}),
            **environment.accelerator(), "threads": environment.threads(),
            "load_average": [round(x, 2) for x in os.getloadavg()], "versions": environment.versions()}  # fmt: skip


def _stage(entry):
    info, median = entry["extra_info"], entry["stats"]["median"]
    per_item = median / info["items_per_call"]
    per_clip = per_item * info["items_per_clip"]
    row = {
        "clip": info.get("clip", ""),
        "test": entry["name"], "stage": info["stage"], "mode": info.get("mode", ""), "batch": info.get("batch_size"),
        "unit": info["unit"], "items_per_call": info["items_per_call"], "items_per_clip": info["items_per_clip"],
        "median_ms_per_call": 1000 * median, "ms_per_item": 1000 * per_item, "ms_per_clip": 1000 * per_clip,
        "clips_per_s": 1 / per_clip, "real_time_factor": info["clip_seconds"] / per_clip,
        "rounds": entry["stats"]["rounds"], "backend": info.get("backend"), "device": info.get("device"),
    }  # fmt: skip
    if info.get("flops_per_item"):
        row["flops_per_item"] = info["flops_per_item"]
        row["achieved_flops_per_s"] = info["flops_per_item"] / per_item
    return row


def _session_peak(bench):
    """The peak matmul measured inside the pytest session (best round), or None."""
    for entry in bench.get("benchmarks", []):
        info = entry.get("extra_info", {})
        if info.get("stage") == "peak_matmul":
            how = "keras.ops.matmul float32 in the pytest session, best round"
            return {"flops_per_s": info["flops_per_item"] / entry["stats"]["min"], "size": info["size"],
                    "device": info.get("device"), "how": how}  # fmt: skip
    return None


def flops_per_clip(weights=None):
    """FLOPs of each network stage for the reference clip (and of the baseline's face network)."""
    from benchmark.baseline.face_net import FaceAlexNet
    from benchmark.flops import model_flops
    from benchmark.pipeline import load_networks, reference_clip

    clip = reference_clip()
    models, origin = load_networks(weights)
    per_item = {role: model_flops(model.head if role == "fusion" else model) for role, model in models.items()}
    per_item["baseline_face_alexnet"] = model_flops(FaceAlexNet())
    counts = {"audio": clip["windows"], "visual": clip["key_frames"], "fusion": clip["fusion_pairs"],
              "baseline_face_alexnet": clip["key_frames"]}  # fmt: skip
    return {stage: {"per_item": f["total"], "items_per_clip": counts[stage], "per_clip": f["total"] * counts[stage],
                    "uncounted_layers": f["uncounted"]} for stage, f in per_item.items()}  # fmt: skip


def measure_memory(clip, weights=None, warmup=None):
    """benchmark.memory in a fresh process: its JSON dict (or {"error": ...})."""
    command = [sys.executable, "-m", "benchmark.memory", str(clip)]
    command += ["--weights", str(weights)] if weights else []
    command += ["--warmup", str(warmup)] if warmup else []
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def make_clips(folder, long_seconds=LONG_CLIP_SECONDS):
    """The 3 s reference clip and a long clip of the same face + tone (ffmpeg lavfi): (short, long) paths."""
    sys.path.insert(0, str(ROOT))
    from tests import media

    face = media.astronaut_png(folder)
    short = media.make_clip(Path(folder) / "clip_3s.mp4", face, seconds=3.0)
    long = media.make_clip(Path(folder) / f"clip_{long_seconds}s.mp4", face, seconds=long_seconds)
    return short, long


def memory_figures(weights=None, long_seconds=LONG_CLIP_SECONDS, log=print):
    with tempfile.TemporaryDirectory() as folder:
        short, long = make_clips(folder, long_seconds)
        log("throughput: peak memory of a 3 s clip")
        short_figures = measure_memory(short, weights)
        log(f"throughput: peak memory of a {long_seconds} s clip (slow: every key frame goes through MTCNN)")
        long_figures = measure_memory(long, weights, warmup=short)
    return {"clip_3s": short_figures, f"clip_{long_seconds}s": long_figures}


def measure(out, weights=None, bench_json=None, long_seconds=LONG_CLIP_SECONDS, memory=True, log=print):
    """Everything for results.json's "throughput": stages, FLOPs, peak FLOP/s, memory, environment."""
    from benchmark import environment, peak
    from benchmark.pipeline import reference_clip, weights_folder

    if bench_json is None:
        bench_json = Path(out) / "throughput_pytest_benchmark.json"
        log(f"throughput: pytest benchmark/ -> {bench_json}")
        run_pytest(bench_json, weights)
    bench = json.loads(Path(bench_json).read_text())
    stages, speed = summarise(bench), summarise(bench, speed=True)
    peaks = peak.measure()
    peaks["pytest"] = _session_peak(bench)
    denominator = (peaks["pytest"] or peaks["backend"])["flops_per_s"]
    for row in stages:
        if "achieved_flops_per_s" in row:
            row["fraction_of_peak"] = row["achieved_flops_per_s"] / denominator
    return {
        "pytest_benchmark_json": str(bench_json),
        "weights": weights_folder(weights)[1] if weights else "random weights (full-size paper presets)",
        "reference_clip": reference_clip(),
        "environment": run_environment(bench),
        "stages": stages,
        "speed": speed,
        "flops_per_clip": flops_per_clip(weights),
        "peak_flops": peaks,
        "memory": memory_figures(weights, long_seconds, log) if memory else None,
    }


# --- markdown -------------------------------------------------------------------


def render_markdown(throughput):
    env = throughput["environment"]
    threads = env.get("threads", {})
    versions = ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items())
    machine, commit = env.get("machine_info", {}), env.get("commit_info", {})
    cpu = machine.get("cpu", {})
    cores = f"{cpu.get('count', machine.get('cpu_count', '?'))} cores"
    where = (f"{env.get('device')} ({env.get('backend')}; {cpu.get('brand_raw', machine.get('processor', ''))}, {cores}; "
             f"load average {env.get('load_average')}); commit {commit.get('id', '?')[:10]}"
             f"{' (dirty)' if commit.get('dirty') else ''}")  # fmt: skip
    lines = ["## Throughput", "",
             f"- where: {where}", f"- versions: {versions}", f"- threads: {json.dumps(threads)}",
             f"- networks: {throughput['weights']}",
             f"- per-clip figures: reference clip {json.dumps(throughput['reference_clip'])}; "
             "real-time factor = seconds of video per second of processing", "",
             "| stage | mode | batch | ms/call | ms/clip | clips/s | real-time factor "
             "| FLOP/s reached (fraction of measured peak) | device (backend, threads / cores) |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    device = f"{env.get('device')} ({env.get('backend')}, {_thread_count(threads, env)} / {cores})"
    for row in throughput["stages"]:
        reached = ""
        if "achieved_flops_per_s" in row:
            reached = f"{row['achieved_flops_per_s'] / 1e9:.1f} GFLOP/s ({100 * row['fraction_of_peak']:.1f}%)"
        lines.append(f"| {row['stage']} | {row['mode']} | {row['batch'] or ''} | {row['median_ms_per_call']:.1f} | "
                     f"{row['ms_per_clip']:.1f} | {row['clips_per_s']:.2f} | {row['real_time_factor']:.1f} | "
                     f"{reached} | {device} |")  # fmt: skip
    lines += ["", _speed_table(throughput.get("speed", [])), "", _flops_table(throughput), "",
              _peak_text(throughput["peak_flops"]), "", _memory_table(throughput.get("memory"))]  # fmt: skip
    return "\n".join(lines)


def _thread_count(threads, env):
    intra = threads.get("tensorflow_intra_op")
    return intra if isinstance(intra, int) else "default threads"


def _speed_table(rows):
    """Real clips: seconds and real-time factor per row, and avmodel against the fer package on the 30 s clip."""
    if not rows:
        return "Speed on real clips: not measured in this run (benchmark/test_speed.py)."
    lines = [f"Speed on real clips (`benchmark/test_speed.py`; median of the rounds; clips: {rows[0]['clip']}, "
             "to the length in each row):", "",
             "| what | seconds (median) | rounds | real-time factor |", "|---|---|---|---|"]  # fmt: skip
    for row in rows:
        lines.append(f"| {row['stage']} | {row['median_ms_per_call'] / 1000:.3f} | {row['rounds']} | "
                     f"{row['real_time_factor']:.1f}x |")  # fmt: skip
    ours = next((r for r in rows if r["stage"] == "whole clip, 30 s"), None)
    fer = next((r for r in rows if r["stage"].startswith("fer ")), None)
    if ours and fer:
        lines += ["", f"avmodel (voice + face + fusion) on the 30 s clip: {ours['real_time_factor']:.1f}x real time; "
                      f"{fer['stage'].removesuffix(', 30 s')}: {fer['real_time_factor']:.1f}x; ratio "
                      f"{ours['real_time_factor'] / fer['real_time_factor']:.2f}."]  # fmt: skip
    return "\n".join(lines)


def _flops_table(throughput):
    lines = ["FLOPs per reference clip (counted from layer shapes, `benchmark/flops.py`):", "",
             "| stage | FLOPs per item | items per clip | GFLOPs per clip |", "|---|---|---|---|"]  # fmt: skip
    for stage, f in throughput["flops_per_clip"].items():
        lines.append(f"| {stage} | {f['per_item'] / 1e6:.1f} M | {f['items_per_clip']} | {f['per_clip'] / 1e9:.2f} |")
    return "\n".join(lines)


def _peak_text(peaks):
    lines = ["Peak FLOP/s (measured here, not a datasheet figure; the first line is the denominator of the "
             "fractions above; a fraction over 100% means the machine was busier during one of the two timings):"]
    for key in ("pytest", "backend", "numpy"):
        if peaks.get(key):
            p = peaks[key]
            lines.append(f"- {p['how']} ({p['size']}^3){' on ' + str(p['device']) if p.get('device') else ''}: "
                         f"{p['flops_per_s'] / 1e9:.1f} GFLOP/s")
    return "\n".join(lines)


def _memory_table(memory):
    if not memory:
        return "Peak memory: not measured in this run."
    lines = ["Peak memory of a whole-clip prediction (fresh process each; `benchmark/memory.py`):", "",
             "| clip | duration | peak RSS (MiB) | RSS before (MiB) | growth (MiB) | Python/numpy peak (MiB) "
             "| seconds | real-time factor |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, m in memory.items():
        if "error" in m:
            lines.append(f"| {name} | not measured: {m['error']} | | | | | | |")
            continue
        rtf = m["clip_seconds"] / m["seconds"] if m["seconds"] else float("nan")
        lines.append(f"| {name} | {m['clip_seconds']} s | {m['rss_peak_mib']} | {m['rss_before_mib']} | {m['growth_mib']} | "
                     f"{m['tracemalloc_peak_mib']} | {m['seconds']} | {rtf:.1f} |")  # fmt: skip
    return "\n".join(lines)
