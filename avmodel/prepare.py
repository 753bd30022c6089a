"""Prepare: a corpus -> compact training arrays + a manifest, resumably, on every core.

    avmodel prepare <corpus> <source> --out <cache>

Output folder (all arrays ``np.load(..., mmap_mode="r")``-able):

    clips.csv         one row per clip: index, clip_id, label, speaker, ..., status, detail
    windows.npy       (n_windows, WINDOW_SAMPLES) float16, z-normalised audio windows
    window_clip.npy   (n_windows,) int32, row of clips.csv each window belongs to
    window_start.npy  (n_windows,) float32 seconds
    faces.npy         (n_faces, FACE_SIZE, FACE_SIZE) uint8 grayscale face crops
    face_clip.npy     (n_faces,) int32
    face_time.npy     (n_faces,) float32 seconds
    splits/           the split manifests (paper 80/20, subject folds, or the corpus's own)
    summary.json      counts, skipped clips by reason, seconds taken

Work is cut into shards of ``shard_size`` clips written to ``shards/`` as they
finish; an interrupted run started again skips the shards already written.
A clip that fails (any ClipError) is recorded with its reason and skipped.
"""

import csv
import json
import os
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm import tqdm

from avmodel.constants import FACE_SIZE, SEED, WINDOW_SAMPLES
from avmodel.errors import ClipError

SHARD_SIZE = 256  # clips per shard: the unit of resumption
IMAGE_CORPORA = ("fer2013",)  # corpora of face images (no detection, no audio)
CLIP_COLUMNS = ("index", "clip_id", "label", "speaker", "sentence", "corpus", "split", "path",
                "status", "detail", "windows", "key_frames", "faces")  # fmt: skip
OK = "ok"

_worker_detector = None  # one MTCNN per worker process, made on first use


def prepare(corpus, source, out, workers=None, shard_size=SHARD_SIZE, seed=SEED, limit=None, **options):
    """Prepare a corpus into ``out``; returns the summary dict (also written to summary.json)."""
    started = time.monotonic()
    out = Path(out)
    (out / "shards").mkdir(parents=True, exist_ok=True)
    items, inputs, reader_skipped = _read(corpus, source, limit, options)
    workers = workers or min(2, os.cpu_count() or 1)
    jobs = [(corpus, item, seed, image) for item, image in zip(items, inputs)]
    shards = [jobs[i : i + shard_size] for i in range(0, len(jobs), shard_size)]
    todo = [k for k in range(len(shards)) if not _shard_path(out, k).exists()]
    _run_shards(corpus, shards, todo, out, workers)
    rows = _merge(out, len(shards), items)
    manifests = _write_splits(rows, out, seed)
    summary = _summary(corpus, source, rows, time.monotonic() - started, workers, len(shards) - len(todo))
    summary.update(not_read=reader_skipped, splits=manifests)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _read(corpus, source, limit, options):
    """Items, per-item inputs (decoded images for image corpora, else None), and the reader's skips."""
    from avmodel.corpora import read_corpus
    from avmodel.corpora.fer2013 import load_fer2013_images

    if corpus in IMAGE_CORPORA:
        images, _, items = load_fer2013_images(source)
        items, inputs, skipped = list(items)[:limit], list(images[:limit]), {}
    else:
        result = read_corpus(corpus, source, **options)
        items, inputs, skipped = list(result)[:limit], [None] * len(result[:limit]), result.skip_counts()
    if not items:
        raise ValueError(f"no {corpus} clips found in {source}")
    return items, inputs, skipped


def _shard_path(out, k):
    return out / "shards" / f"shard_{k:05d}.npz"


def _run_shards(corpus, shards, todo, out, workers):
    """Process the shards not yet on disk, clip by clip on ``workers`` processes."""
    done = sum(len(shards[k]) for k in range(len(shards)) if k not in todo)
    total = sum(len(s) for s in shards)
    jobs = [job for k in todo for job in shards[k]]
    with _mapper(workers) as map_, tqdm(total=total, initial=done, unit="clip", desc=f"prepare {corpus}") as bar:
        results = map_(_prepare_one, jobs)
        for k in todo:
            shard = [next(results) for _ in shards[k]]
            bar.update(len(shard))
            _save_shard(_shard_path(out, k), shard)


@contextmanager
def _mapper(workers):
    """An ordered, lazy map over ``workers`` processes (the built-in map for one)."""
    if workers == 1:
        yield map
        return
    with get_context("spawn").Pool(workers) as pool:
        yield lambda function, jobs: pool.imap(function, jobs, chunksize=8)


def _prepare_one(job):
    """One clip -> dict of arrays and status; never raises for bad input."""
    corpus, item, seed, image = job
    try:
        if image is not None:
            return _prepare_image(image)
        return _prepare_clip(item, seed)
    except ClipError as error:
        return _empty(error.reason, error.detail)
    except Exception as error:  # a clip must never stop the batch
        return _empty("unexpected error", f"{type(error).__name__}: {error}")


def _prepare_clip(item, seed):
    from avmodel.clip import load_clip
    from avmodel.corpora.sources import materialise
    from avmodel.faces import FaceDetector

    global _worker_detector
    _worker_detector = _worker_detector or FaceDetector()
    with tempfile.TemporaryDirectory() as tmp:
        clip = load_clip(materialise(item, tmp), detector=_worker_detector, seed=seed)
    detail = "" if clip.has_face or not clip.has_video_track else "no face in any key frame"
    return {
        "windows": clip.windows.astype(np.float16),
        "window_start": clip.window_starts,
        "faces": clip.face_crops,
        "face_time": clip.face_times,
        "key_frames": len(clip.found),
        "status": OK,
        "detail": detail,
    }


def _prepare_image(image):
    """A face image (already cropped, as FER2013's): used whole, resized to FACE_SIZE."""
    from avmodel.faces import whole_image_face

    result = _empty(OK, "")
    result.update(faces=whole_image_face(image)[None], face_time=np.zeros(1, np.float32), key_frames=1)
    return result


def _empty(status, detail):
    return {
        "windows": np.zeros((0, WINDOW_SAMPLES), np.float16),
        "window_start": np.zeros(0, np.float32),
        "faces": np.zeros((0, FACE_SIZE, FACE_SIZE), np.uint8),
        "face_time": np.zeros(0, np.float32),
        "key_frames": 0,
        "status": status,
        "detail": detail,
    }


def _save_shard(path, shard):
    """Concatenate a shard's clips and write it atomically (rename after write)."""
    arrays = {key: np.concatenate([r[key] for r in shard]) for key in ("windows", "window_start", "faces", "face_time")}
    arrays["n_windows"] = np.array([len(r["windows"]) for r in shard], np.int32)
    arrays["n_faces"] = np.array([len(r["faces"]) for r in shard], np.int32)
    arrays["key_frames"] = np.array([r["key_frames"] for r in shard], np.int32)
    arrays["status"] = np.array([r["status"] for r in shard])
    arrays["detail"] = np.array([r["detail"] for r in shard])
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, **arrays)
    os.replace(partial, path)


def _merge(out, n_shards, items):
    """Join the shards into the final arrays and clips.csv; returns the clip rows."""
    parts = {key: [] for key in ("windows", "window_start", "faces", "face_time", "window_clip", "face_clip")}
    rows, index = [], 0
    for k in range(n_shards):
        with np.load(_shard_path(out, k)) as shard:
            for key in ("windows", "window_start", "faces", "face_time"):
                parts[key].append(shard[key])
            counts = zip(shard["n_windows"], shard["n_faces"], shard["key_frames"], shard["status"], shard["detail"])
            for n_windows, n_faces, key_frames, status, detail in counts:
                rows.append(_row(index, items[index], status, detail, n_windows, key_frames, n_faces))
                parts["window_clip"].append(np.full(n_windows, index, np.int32))
                parts["face_clip"].append(np.full(n_faces, index, np.int32))
                index += 1
    for key, chunks in parts.items():
        np.save(out / _ARRAY_FILES[key], np.concatenate(chunks))
    _write_csv(out / "clips.csv", rows)
    return rows


_ARRAY_FILES = {
    "windows": "windows.npy",
    "window_start": "window_start.npy",
    "faces": "faces.npy",
    "face_time": "face_time.npy",
    "window_clip": "window_clip.npy",
    "face_clip": "face_clip.npy",
}


def _row(index, item, status, detail, n_windows, key_frames, n_faces):
    return {
        "index": index,
        "clip_id": item.clip_id,
        "label": item.label,
        "speaker": item.speaker,
        "sentence": item.sentence,
        "corpus": item.corpus,
        "split": item.split,
        "path": item.path,
        "status": str(status),
        "detail": str(detail),
        "windows": int(n_windows),
        "key_frames": int(key_frames),
        "faces": int(n_faces),
    }


def _write_csv(path, rows):
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=CLIP_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def read_clips(out):
    """clips.csv of a prepared folder as a list of dicts (numbers as ints)."""
    with open(Path(out) / "clips.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        for key in ("index", "windows", "key_frames", "faces"):
            row[key] = int(row[key])
    return rows


def load_arrays(out, mmap=True):
    """The prepared arrays of a folder, as a dict of (memory-mapped) numpy arrays."""
    mode = "r" if mmap else None
    return {key: np.load(Path(out) / name, mmap_mode=mode) for key, name in _ARRAY_FILES.items()}


def _write_splits(rows, out, seed):
    """Split manifests of the usable clips: the corpus's own split, else the paper's 80/20
    and subject folds. Returns {manifest: "written" | why not}.
    """
    from avmodel import splits
    from avmodel.corpora.record import Item

    items = [Item(**{k: r[k] for k in ("path", "label", "speaker", "clip_id", "corpus", "sentence", "split")})
             for r in rows if r["status"] == OK]  # fmt: skip
    folder = out / "splits"
    folder.mkdir(exist_ok=True)
    if any(item.split for item in items):
        own = {item.clip_id: item.split for item in items}
        return {"corpus_split.csv": _try_write(splits, items, lambda: own, folder / "corpus_split.csv")}
    return {
        "paper_80_20.csv": _try_write(splits, items, lambda: splits.paper_split(items, seed=seed),
                                      folder / "paper_80_20.csv"),
        "subject_folds.csv": _try_write(splits, items, lambda: splits.subject_folds(items, seed=seed),
                                        folder / "subject_folds.csv"),
    }  # fmt: skip


def _try_write(splits, items, assign, path):
    """Write one manifest; a corpus too small for it gets the reason instead."""
    try:
        splits.write_manifest(items, assign(), path)
    except ValueError as error:
        return f"not written: {error}"
    return "written"


def _summary(corpus, source, rows, seconds, workers, resumed_shards):
    reasons = Counter(r["status"] for r in rows if r["status"] != OK)
    notes = Counter(r["detail"] for r in rows if r["status"] == OK and r["detail"])
    return {
        "corpus": corpus,
        "source": str(source),
        "clips": len(rows),
        "prepared": sum(r["status"] == OK for r in rows),
        "skipped": sum(reasons.values()),
        "skipped_by_reason": dict(reasons),
        "prepared_with_notes": dict(notes),
        "windows": sum(r["windows"] for r in rows),
        "faces": sum(r["faces"] for r in rows),
        "labels": dict(Counter(r["label"] for r in rows if r["status"] == OK)),
        "speakers": len({r["speaker"] for r in rows if r["status"] == OK}),
        "seconds": round(seconds, 1),
        "workers": workers,
        "resumed_shards": resumed_shards,
    }
