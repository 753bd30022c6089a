"""ClipSet: the model inputs of n clips, grouped per clip, with their labels.

Built from a prepared folder (``avmodel prepare``: clips.csv rows + the
windows/faces arrays) or from ``load_clip`` results, so the baseline and the
benchmark read both the same way::

    rows = read_clips(out); arrays = load_arrays(out)
    clips = ClipSet.from_prepared([r for r in rows if r["status"] == "ok"], arrays)
"""

from dataclasses import dataclass, field

import numpy as np

from avmodel.constants import EMOTIONS

UNLABELLED = -1  # label of a clip whose emotion is unknown (prediction only)


@dataclass
class ClipSet:
    """n clips' inputs.

    clip_ids: list of n str
    labels:   (n,) int64 indices into EMOTIONS, UNLABELLED when unknown
    windows:  list of n arrays (n_windows_i, WINDOW_SAMPLES), z-normalised audio windows
    faces:    list of n arrays (n_faces_i, FACE_SIZE, FACE_SIZE) uint8 face crops
    speakers: list of n str ("" when unknown)
    window_starts, face_times: list of n (k_i,) float32 seconds (empty when unknown)
    """

    clip_ids: list
    labels: np.ndarray
    windows: list
    faces: list
    speakers: list
    window_starts: list
    face_times: list
    cache: dict = field(default_factory=dict, repr=False)  # per-clip derived data, e.g. "audio_features"

    def __len__(self):
        return len(self.clip_ids)

    @classmethod
    def from_prepared(cls, rows, arrays):
        """Clips of a prepared folder.

        rows:   clips.csv rows (``read_clips``), each with its "index" into the arrays
        arrays: ``load_arrays(out)`` (window_clip / face_clip must be sorted, as prepare writes them)
        """
        window_bounds = _bounds(arrays["window_clip"], rows)
        face_bounds = _bounds(arrays["face_clip"], rows)
        return cls(
            clip_ids=[r["clip_id"] for r in rows],
            labels=np.asarray([EMOTIONS.index(r["label"]) for r in rows], np.int64),
            windows=[arrays["windows"][a:b] for a, b in window_bounds],
            faces=[arrays["faces"][a:b] for a, b in face_bounds],
            speakers=[r.get("speaker", "") for r in rows],
            window_starts=[arrays["window_start"][a:b] for a, b in window_bounds],
            face_times=[arrays["face_time"][a:b] for a, b in face_bounds],
        )

    @classmethod
    def from_inputs(cls, inputs, labels=None):
        """Clips from ``avmodel.clip.load_clip`` results (ClipInputs); labels: names or None."""
        labels = [UNLABELLED if name is None else EMOTIONS.index(name) for name in (labels or [None] * len(inputs))]
        return cls(
            clip_ids=[clip.path for clip in inputs],
            labels=np.asarray(labels, np.int64),
            windows=[clip.windows for clip in inputs],
            faces=[clip.face_crops for clip in inputs],
            speakers=[""] * len(inputs),
            window_starts=[clip.window_starts for clip in inputs],
            face_times=[clip.face_times for clip in inputs],
        )

    def subset(self, indices):
        """The clips at ``indices`` (cached per-clip data comes along)."""
        indices = list(indices)
        pick = lambda values: [values[i] for i in indices]  # noqa: E731
        return ClipSet(
            clip_ids=pick(self.clip_ids),
            labels=self.labels[indices],
            windows=pick(self.windows),
            faces=pick(self.faces),
            speakers=pick(self.speakers),
            window_starts=pick(self.window_starts),
            face_times=pick(self.face_times),
            cache={key: pick(values) for key, values in self.cache.items()},
        )

    def select(self, clip_ids):
        """The clips with these ids, in the order given; raises KeyError for an unknown id."""
        position = {clip_id: i for i, clip_id in enumerate(self.clip_ids)}
        return self.subset([position[clip_id] for clip_id in clip_ids])


def _bounds(owner, rows):
    """[(start, stop)] of each row's block in a sorted owner array (window_clip / face_clip)."""
    owner = np.asarray(owner)
    index = np.asarray([r["index"] for r in rows], np.int64)
    return list(zip(np.searchsorted(owner, index, "left"), np.searchsorted(owner, index, "right")))
