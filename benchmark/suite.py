"""The accuracy suite: every corpus the user has, both systems, the paper's protocols.

    sources {corpus: path} -> prepared folders -> ClipSets + split manifests
      eNTERFACE'05  paper 80/20 and subject folds; audio, visual, fused (six classes)
      emoDB         subject folds, held-out test speakers; audio
      RAVDESS       the same; audio (+ visual, fused when its clips have faces)
      FER2013       train / PublicTest; visual
      pairs         emoDB / RAVDESS voices x FER2013 faces of the same label; subject folds
    -> rows (benchmark.rows) + what each corpus held

Without eNTERFACE'05 its rows say "not measured: corpus not provided".
"""

import numpy as np

from avmodel.constants import EMOTIONS, SEED
from benchmark import data, protocols, rows

ENTERFACE, FER2013, EMODB, RAVDESS = "enterface05", "fer2013", "emodb", "ravdess"
CORPORA = (ENTERFACE, FER2013, EMODB, RAVDESS)
PROTOCOLS = {ENTERFACE: (data.PAPER_SPLIT, data.SUBJECT_FOLDS),
             EMODB: (data.SUBJECT_FOLDS, data.HELD_OUT_SPEAKERS), RAVDESS: (data.SUBJECT_FOLDS, data.HELD_OUT_SPEAKERS),
             FER2013: (data.CORPUS_SPLIT,)}  # fmt: skip
PAIR_FACE_SIDES = ("train", "test")  # FER2013 faces (train, PublicTest) of the train / test side of the pairs


def run_suite(sources, settings, cache, workers=None, limit=None, log=print):
    """Rows and corpus descriptions for every corpus in ``sources`` ({corpus: path or None})."""
    given = {corpus: path for corpus, path in sources.items() if path}
    prepared = {corpus: data.prepared_folder(corpus, path, cache, workers, limit) for corpus, path in given.items()}
    clips = {corpus: data.load_clips(folder) for corpus, folder in prepared.items()}
    if FER2013 in clips and settings.run_baseline:
        fer_train = _fer_side(clips[FER2013], prepared[FER2013], "train")
        settings.pretrained_faces = protocols.pretrain_faces(fer_train, settings, log)
    found = []
    if ENTERFACE not in clips:
        found += _enterface_not_measured()
    for corpus in CORPORA:
        if corpus in clips:
            found += evaluate_corpus(corpus, clips[corpus], prepared[corpus], settings, log)
    found += rows.published_rows()
    for voice in (EMODB, RAVDESS):
        if voice in clips and FER2013 in clips:
            found += _evaluate_pairs(voice, clips, prepared, settings, log)
    corpora = {corpus: _describe(corpus, given.get(corpus), prepared.get(corpus), clips.get(corpus)) for corpus in CORPORA}
    return found, corpora


def _enterface_not_measured():
    return [rows.not_measured(ENTERFACE, protocol, system, modality, rows.NO_CORPUS)
            for protocol in PROTOCOLS[ENTERFACE] for system in rows.SYSTEMS for modality in protocols.MODALITIES]  # fmt: skip


def modalities_of(corpus, clips):
    if corpus == ENTERFACE:
        return protocols.MODALITIES
    if corpus == FER2013:
        return ("visual",)
    return protocols.MODALITIES if data.has_faces(clips) and data.has_audio(clips) else ("audio",)


def evaluate_corpus(corpus, clips, prepared, settings, log):
    found = []
    for protocol in PROTOCOLS[corpus]:
        splits = data.read_splits(prepared, protocol)
        if not splits:
            found += [rows.not_measured(corpus, protocol, system, m, f"no {data.MANIFESTS[protocol]} in {prepared}/splits")
                      for system in rows.SYSTEMS for m in modalities_of(corpus, clips)]  # fmt: skip
            continue
        found += protocols.evaluate_protocol(corpus, protocol, prepared, splits, clips, clips,
                                             modalities_of(corpus, clips), settings, log)  # fmt: skip
    return found


def _fer_side(fer_clips, prepared, side):
    """The FER2013 clips of one side ("train" or "test": PublicTest) of its own split."""
    split = data.read_splits(prepared, data.CORPUS_SPLIT)[0]
    ids = dict(zip(("train", "test"), data.split_sides(prepared, split)))[side]
    known = set(fer_clips.clip_ids)
    return fer_clips.select([clip_id for clip_id in ids if clip_id in known])


def _evaluate_pairs(voice, clips, prepared, settings, log):
    """Label-matched pairs: each voice clip with one FER2013 face of its label; the voice corpus's subject folds.

    avmodel's networks train as ``avmodel train`` does on such pairs: the audio network on the
    fold's training voices, the visual one on FER2013's train faces (no validation side), the
    fusion on label-matched pairs of the two (``face_data``).
    """
    splits = data.read_splits(prepared[voice], data.SUBJECT_FOLDS)
    train_faces, test_faces = (_fer_side(clips[FER2013], prepared[FER2013], side) for side in PAIR_FACE_SIDES)
    train_pool = pair_voices_with_faces(clips[voice], train_faces, SEED)
    test_pool = pair_voices_with_faces(clips[voice], test_faces, SEED + 1)
    faces = str(prepared[FER2013])
    own_split = f"splits/{data.MANIFESTS[data.CORPUS_SPLIT]}"  # named: no validation side
    training = {"visual": {"data": (faces,), "split_manifest": own_split, "fold": -1}, "fusion": {"face_data": (faces,)}}
    corpus = f"{voice}+{FER2013}"
    return protocols.evaluate_protocol(corpus, data.SUBJECT_FOLDS, prepared[voice], splits, train_pool, test_pool,
                                       protocols.MODALITIES, settings, log, training)  # fmt: skip


def pair_voices_with_faces(voices, faces, seed):
    """A ClipSet of the voice clips, each given one face of the same label drawn from ``faces`` (seeded).

    The face is shown at the clip's start, so every window pairs with it. Voice clips whose
    label has no face are left out.
    """
    rng = np.random.default_rng(seed)
    pool = {label: [i for i, y in enumerate(faces.labels) if y == label and len(faces.faces[i])]
            for label in np.unique(voices.labels)}  # fmt: skip
    keep = [i for i, label in enumerate(voices.labels) if pool[label]]
    paired = voices.subset(keep)
    chosen = [faces.faces[rng.choice(pool[label])][:1] for label in paired.labels]
    paired.faces = [np.asarray(face) for face in chosen]
    paired.face_times = [np.zeros(1, np.float32) for _ in chosen]
    return paired


def _describe(corpus, source, prepared, clips):
    if source is None:
        return {"status": rows.NO_CORPUS}
    labels = {EMOTIONS[k]: int(n) for k, n in enumerate(np.bincount(clips.labels, minlength=len(EMOTIONS))) if n}
    return {"status": "provided", "source": str(source), "prepared": str(prepared), "clips": len(clips),
            "labels": labels, "speakers": len(set(clips.speakers) - {""}),
            "clips_without_audio": sum(len(w) == 0 for w in clips.windows),
            "clips_without_face": sum(len(f) == 0 for f in clips.faces)}  # fmt: skip
