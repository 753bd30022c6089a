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
    shards/           the work as it finished (what a later run reuses)

Reuse is by content, never by position. Every clip gets a fingerprint: a hash of
its Item (path, clip_id, label, ...), its file's size and mtime (a zip member's
size and CRC; an image's pixels), the seed, SHARD_FORMAT and every constant of
``avmodel.constants``. A shard stores the fingerprints of the clips it holds next
to their arrays; a run reuses a clip only when its fingerprint is found in a
shard, and prepares the rest. So adding, removing or changing a file, or
``--limit`` then the full run, redoes only what changed. A shard is written every
``shard_size`` clips, every FLUSH_SECONDS, and with whatever is finished when the
run is interrupted. Every file is written to a private temporary name and renamed
into place; a lock file keeps a second run out of the same folder.
A clip that fails (any ClipError) is recorded with its reason and skipped.
"""

import csv
import hashlib
import json
import os
import signal
import tempfile
import threading
import time
import zipfile
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from avmodel.constants import FACE_SIZE, SEED, SHARD_SIZE, WINDOW_SAMPLES
from avmodel.errors import ClipError

FLUSH_SECONDS = 30  # a shard is also written after this long: an interrupt loses at most this much work
SHARD_FORMAT = 3  # part of every fingerprint: bump it when a clip's arrays change for the same inputs
# (3: video faces found by the fast MTCNN cascade, avmodel/detector.py)
LOCK_FILE = ".prepare.lock"  # in the output folder; holds the pid of the run writing there
TEMP_SUFFIX = ".tmp"  # private names of files being written (".<name>.<random>.tmp")
IMAGE_CORPORA = ("fer2013",)  # corpora of face images (no detection, no audio)
CLIP_COLUMNS = ("index", "clip_id", "label", "speaker", "sentence", "corpus", "split", "path",
                "status", "detail", "windows", "key_frames", "faces")  # fmt: skip
OK = "ok"
UNEXPECTED = "unexpected error"  # status of a clip that raised something other than a ClipError: retried next run
CORPUS_MANIFEST = "corpus_split.csv"  # the corpus's own split (FER2013: train / publictest)
SPEAKER_MANIFEST = "speakers.csv"  # splits.speaker_split: train / val / test speakers

_worker_detector = None  # one MTCNN per worker process, made on first use


class FolderBusyError(RuntimeError):
    """Another ``prepare`` is writing the same output folder."""


class Stored(NamedTuple):
    """Where one prepared clip lies in a shard, and what became of it."""

    shard: Path
    window: int  # first row of its windows in the shard's windows array
    n_windows: int
    face: int  # first row of its faces in the shard's faces array
    n_faces: int
    key_frames: int
    status: str
    detail: str


def prepare(corpus, source, out, workers=None, shard_size=SHARD_SIZE, seed=SEED, limit=None, **options):
    """Prepare a corpus into ``out``; returns the summary dict (also written to summary.json).

    Raises FolderBusyError when another run is writing ``out``.
    """
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, not {shard_size}")
    started = time.monotonic()
    out = Path(out)
    (out / "shards").mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        _remove_leftovers(out)
        items, inputs, reader_skipped = _read(corpus, source, limit, options)
        keys = _fingerprints(items, inputs, seed)
        stored = _index_shards(out / "shards")
        todo = [i for i, key in enumerate(keys) if key not in stored or stored[key].status == UNEXPECTED]
        workers = workers or min(2, os.cpu_count() or 1)
        jobs = [(corpus, items[i], seed, inputs[i]) for i in todo]
        stored.update(_run_jobs(corpus, jobs, [keys[i] for i in todo], len(items), out / "shards", workers, shard_size))
        rows = _merge(out, items, [stored[key] for key in keys])
        manifests = _write_splits(rows, out, seed)
        summary = _summary(corpus, source, rows, time.monotonic() - started, workers, len(items) - len(todo))
        summary.update(not_read=reader_skipped, splits=manifests)
        _write_text(out / "summary.json", json.dumps(summary, indent=2))
    return summary


@contextmanager
def _exclusive(out):
    """Hold the folder's lock file for the whole run; refuse when another process holds it.

    ``flock`` locks go with the process: a run that is killed leaves no stale lock.
    """
    import fcntl

    with open(out / LOCK_FILE, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            owner = lock.read().strip() or "unknown"
            raise FolderBusyError(
                f"{out} is being written by another `avmodel prepare` (pid {owner}); "
                "wait for it to finish, or give another --out"
            ) from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield


def _remove_leftovers(out):
    """Temporary files of runs that were killed mid-write (only ever one run holds the lock)."""
    for folder in (out, out / "shards", out / "splits"):
        for path in folder.glob(f".*{TEMP_SUFFIX}"):
            path.unlink(missing_ok=True)


@contextmanager
def _temporary(path):
    """A private temporary name next to ``path``, renamed to ``path`` when the block ends without error."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    os.close(fd)
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 would make the outputs private to this user
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@cache
def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_text(path, text):
    with _temporary(path) as temporary:
        Path(temporary).write_text(text)


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


def _fingerprints(items, inputs, seed):
    """One hex key per clip, of everything its arrays depend on (see the module docstring)."""
    from avmodel import constants

    recipe = {"format": SHARD_FORMAT, "seed": seed,
              "constants": {name: getattr(constants, name) for name in dir(constants) if name.isupper()}}  # fmt: skip
    recipe = _digest(json.dumps(recipe, sort_keys=True))
    with ExitStack() as archives:
        zips = {}  # archive path -> open ZipFile, each opened once
        identities = [_identity(item, image, zips, archives) for item, image in zip(items, inputs)]
    return [_digest(json.dumps([vars(item), identity, recipe], sort_keys=True))
            for item, identity in zip(items, identities)]  # fmt: skip


def _identity(item, image, zips, archives):
    """What stands for a clip's content: an image's pixels, a zip member's size and CRC, a file's size and mtime."""
    from avmodel.corpora.sources import split_member

    if image is not None:
        image = np.ascontiguousarray(image)
        return ["pixels", image.shape, str(image.dtype), _digest(image.tobytes())]
    archive, member = split_member(item.path)
    try:
        if member is None:
            stat = os.stat(archive)
            return ["file", stat.st_size, stat.st_mtime_ns]
        if archive not in zips:
            zips[archive] = archives.enter_context(zipfile.ZipFile(archive))
        info = zips[archive].getinfo(member)
        return ["member", info.file_size, info.CRC]
    except (OSError, KeyError, zipfile.BadZipFile) as error:  # prepared as a failed clip, fingerprinted as such
        return ["unreadable", type(error).__name__]


def _digest(data):
    return hashlib.blake2b(data.encode() if isinstance(data, str) else data, digest_size=16).hexdigest()


def _index_shards(folder):
    """{fingerprint: Stored} of every shard in ``folder``; one that does not read back whole is deleted.

    A clip held twice (it failed unexpectedly once, and was redone) is taken from where it did not fail.
    """
    stored = {}
    for path in sorted(folder.glob("shard_*.npz")):
        try:
            index = _read_index(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            path.unlink(missing_ok=True)
            continue
        for key, clip in index.items():
            if key not in stored or stored[key].status == UNEXPECTED:
                stored[key] = clip
    return stored


def _read_index(path):
    """{fingerprint: Stored} of one shard, after checking that its records agree with each other."""
    with np.load(path) as shard:
        if int(shard["format"]) != SHARD_FORMAT:
            raise ValueError(f"{path}: shard format {int(shard['format'])}, not {SHARD_FORMAT}")
        keys, n_windows, n_faces = shard["fingerprints"], shard["n_windows"], shard["n_faces"]
        records = keys, n_windows, n_faces, shard["key_frames"], shard["status"], shard["detail"]
        totals = n_windows.sum(), n_faces.sum()
        if len({len(r) for r in records}) != 1 or totals != (shard["windows_total"], shard["faces_total"]):
            raise ValueError(f"{path}: the shard's records disagree")
    window = np.concatenate([[0], np.cumsum(n_windows)])
    face = np.concatenate([[0], np.cumsum(n_faces)])
    return {str(key): Stored(path, int(window[i]), int(n_windows[i]), int(face[i]), int(n_faces[i]),
                             int(frames), str(status), str(detail))
            for i, (key, _, _, frames, status, detail) in enumerate(zip(*records))}  # fmt: skip


def _run_jobs(corpus, jobs, keys, total, folder, workers, shard_size):
    """Prepare the clips no shard holds, on ``workers`` processes; returns {fingerprint: Stored}.

    A shard is written every ``shard_size`` clips or FLUSH_SECONDS, and, when the run
    stops for any reason (Ctrl-C included), with the clips finished so far.
    """
    if not jobs:
        return {}
    stored, done, flushed = {}, [], time.monotonic()
    desc = f"prepare {corpus}"
    with _mapper(workers) as map_, tqdm(total=total, initial=total - len(jobs), unit="clip", desc=desc) as bar:
        try:
            for key, result in zip(keys, map_(_prepare_one, jobs)):
                done.append((key, result))
                bar.update()
                if len(done) >= shard_size or time.monotonic() - flushed >= FLUSH_SECONDS:
                    batch, done, flushed = done, [], time.monotonic()
                    stored.update(_save_shard(folder, batch))
        finally:
            if done:
                stored.update(_save_shard(folder, done))
    return stored


@contextmanager
def _mapper(workers):
    """An ordered, lazy map over ``workers`` processes (the built-in map for one)."""
    if workers == 1:
        yield map
        return
    with get_context("spawn").Pool(workers, initializer=_ignore_interrupts) as pool:
        yield lambda function, jobs: pool.imap(function, jobs, chunksize=8)


def _ignore_interrupts():
    """Workers leave Ctrl-C to the main process, which saves the finished clips and then stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
        return _empty(UNEXPECTED, f"{type(error).__name__}: {error}")


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


def _save_shard(folder, done):
    """Write [(fingerprint, result)] as one shard, named by its fingerprints; returns its index."""
    keys, shard = [key for key, _ in done], [result for _, result in done]
    arrays = {key: np.concatenate([r[key] for r in shard]) for key in ("windows", "window_start", "faces", "face_time")}
    arrays["n_windows"] = np.array([len(r["windows"]) for r in shard], np.int32)
    arrays["n_faces"] = np.array([len(r["faces"]) for r in shard], np.int32)
    arrays["key_frames"] = np.array([r["key_frames"] for r in shard], np.int32)
    arrays["status"] = np.array([r["status"] for r in shard])
    arrays["detail"] = np.array([r["detail"] for r in shard])
    arrays["fingerprints"] = np.array(keys)
    arrays["format"] = np.array(SHARD_FORMAT)
    arrays["windows_total"], arrays["faces_total"] = np.array(len(arrays["windows"])), np.array(len(arrays["faces"]))
    path = folder / f"shard_{_digest(''.join(keys))}.npz"
    with _interrupts_held(), _temporary(path) as temporary, open(temporary, "wb") as file:
        np.savez(file, **arrays)
    return _read_index(path)


@contextmanager
def _interrupts_held():
    """A Ctrl-C during the block takes effect when it ends, so finished work is never lost to it.

    Python handles signals in the main thread only; in any other thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _merge(out, items, clips):
    """Write the final arrays and clips.csv, clip by clip in item order, from the shards
    that hold them (``clips``: one Stored per item); returns the clip rows.
    """
    n_windows, n_faces = [c.n_windows for c in clips], [c.n_faces for c in clips]
    window_at, face_at = np.cumsum([0] + n_windows), np.cumsum([0] + n_faces)
    windows, faces = int(window_at[-1]), int(face_at[-1])  # totals (python ints: they go into .npy headers)
    shapes = {"windows": ((windows, WINDOW_SAMPLES), np.float16), "window_start": ((windows,), np.float32),
              "faces": ((faces, FACE_SIZE, FACE_SIZE), np.uint8), "face_time": ((faces,), np.float32),
              "window_clip": ((windows,), np.int32), "face_clip": ((faces,), np.int32)}  # fmt: skip
    with ExitStack() as stack:
        arrays = {key: np.lib.format.open_memmap(stack.enter_context(_temporary(out / _ARRAY_FILES[key])), mode="w+",
                                                 dtype=dtype, shape=shape)
                  for key, (shape, dtype) in shapes.items()}  # fmt: skip
        for path, numbers in _by_shard(clips).items():
            with np.load(path) as shard:
                data = {key: shard[key] for key in ("windows", "window_start", "faces", "face_time")}
            for i in numbers:
                c = clips[i]
                for key, at, first, n in (("windows", window_at, c.window, c.n_windows),
                                          ("window_start", window_at, c.window, c.n_windows),
                                          ("faces", face_at, c.face, c.n_faces),
                                          ("face_time", face_at, c.face, c.n_faces)):  # fmt: skip
                    arrays[key][at[i] : at[i] + n] = data[key][first : first + n]
        arrays["window_clip"][:] = np.repeat(np.arange(len(clips), dtype=np.int32), n_windows)
        arrays["face_clip"][:] = np.repeat(np.arange(len(clips), dtype=np.int32), n_faces)
        for key in list(arrays):
            arrays.pop(key).flush()  # each memmap is closed before its file is renamed into place
    rows = [_row(i, item, c.status, c.detail, c.n_windows, c.key_frames, c.n_faces)
            for i, (item, c) in enumerate(zip(items, clips))]  # fmt: skip
    _write_csv(out / "clips.csv", rows)
    return rows


def _by_shard(clips):
    """{shard path: [clip numbers it holds]}, so each shard is read once."""
    numbers = defaultdict(list)
    for i, clip in enumerate(clips):
        numbers[clip.shard].append(i)
    return numbers


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
    with _temporary(path) as temporary, open(temporary, "w", newline="") as file:
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
    """Split manifests of the usable clips: the corpus's own split, else the held-out
    speakers (what training reads), the paper's 80/20 and subject folds.
    Returns {manifest: "written" | why not}.
    """
    from avmodel import splits
    from avmodel.corpora.record import Item

    items = [Item(**{k: r[k] for k in ("path", "label", "speaker", "clip_id", "corpus", "sentence", "split")})
             for r in rows if r["status"] == OK]  # fmt: skip
    folder = out / "splits"
    folder.mkdir(exist_ok=True)
    if any(item.split for item in items):
        own = {item.clip_id: item.split for item in items}
        return {CORPUS_MANIFEST: _try_write(splits, items, lambda: own, folder / CORPUS_MANIFEST)}
    return {
        SPEAKER_MANIFEST: _try_write(splits, items, lambda: splits.speaker_split(items), folder / SPEAKER_MANIFEST),
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


def _summary(corpus, source, rows, seconds, workers, reused):
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
        "reused_clips": reused,  # found in shards/ with the same fingerprint
        "prepared_now": len(rows) - reused,
    }
