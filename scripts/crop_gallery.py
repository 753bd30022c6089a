"""Do load_clip's face crops of real video look like FER2013's faces? A picture and a table.

    python scripts/crop_gallery.py [--cremad DIR] [--fer ZIP] [--output PNG]

Picture (OUTPUT): one row per emotion, CROPS_PER_ROW key-frame crops of the CREMA-D
clip (load_clip: the project's own path) beside FER_PER_ROW FER2013 train faces of
the same emotion as the network sees them (48 px -> FACE_SIZE). Dashed lines mark
FER2013's median eye and mouth heights.

Table (printed, markdown): MTCNN (the project's FaceDetector) runs again on
MEASURE_FER_FACES random FER2013 train faces and on the CREMA-D crops of
MEASURE_SEEDS key-frame offsets, both treated alike (upscaled to MEASURE_SIDE with
a MEASURE_BORDER mean-grey border, so that boxes are not clipped); its keypoints
are given as fractions of the face image's side (0: top or left edge). Then the
CREMA-D / FER2013 face-size ratio and the FACE_MARGIN that would make it 1.
About 3 minutes on 2 busy CPU cores.
"""

import argparse
from pathlib import Path

import numpy as np

from avmodel import faces
from avmodel.clip import load_clip
from avmodel.constants import EMOTIONS, FACE_MARGIN, FACE_SIZE, SEED
from avmodel.corpora.cremad import read_cremad
from avmodel.corpora.fer2013 import load_fer2013_images

OUTPUT = Path("docs/figures/crops_vs_fer2013.png")
CROPS_PER_ROW = 4  # CREMA-D key-frame crops shown per emotion
FER_PER_ROW = 4  # FER2013 train faces shown per emotion
# FER2013 train faces measured, at random over all seven classes: the framing the network learnt.
# (Per class it differs: disgust and fear faces are framed about 10% tighter than happy ones.)
MEASURE_FER_FACES = 600
MEASURE_SEEDS = range(5)  # key-frame offsets whose CREMA-D crops are measured (about 110 crops)
MEASURE_SIDE = 144  # px: both kinds of face are upscaled to this before MTCNN runs again
MEASURE_BORDER = 0.25  # mean-grey border on each side, as a fraction of MEASURE_SIDE
COLUMNS = ("eyes_y", "mouth_y", "eyes_x", "eye_distance", "eyes_to_mouth", "box_height")


def keypoint_geometry(images, detector):
    """(n, side, side) uint8 gray faces -> ({column: (n_found,) fractions of the side}, n_found)."""
    border = round(MEASURE_BORDER * MEASURE_SIDE)
    framed = []  # (MEASURE_SIDE + 2 * border, same, 3) uint8 RGB each
    for image in images:
        big = np.pad(faces.resize_square(image, MEASURE_SIDE), border, constant_values=round(image.mean()))
        framed.append(np.repeat(big[..., None], 3, axis=-1))
    boxes = []
    for start in range(0, len(framed), faces.DETECT_BATCH):
        boxes += detector.detect(framed[start : start + faces.DETECT_BATCH])
    rows = []
    for box in filter(None, boxes):
        point = {name: (np.asarray(xy) - border) / MEASURE_SIDE for name, xy in box.keypoints.items()}
        eyes = (point["left_eye"] + point["right_eye"]) / 2
        mouth = (point["mouth_left"] + point["mouth_right"]) / 2
        eye_distance = np.hypot(*(point["right_eye"] - point["left_eye"]))
        rows.append((eyes[1], mouth[1], eyes[0], eye_distance, mouth[1] - eyes[1], box.height / MEASURE_SIDE))
    return dict(zip(COLUMNS, np.asarray(rows).T)), len(rows)


def face_scale(geometry):
    """One face size per set: geometric mean of the median eye distance and eyes-to-mouth height."""
    return np.sqrt(np.median(geometry["eye_distance"]) * np.median(geometry["eyes_to_mouth"]))


def cremad_crops(paths, detector, seeds):
    """(n, FACE_SIZE, FACE_SIZE) uint8: the distinct found crops of the clips over the key-frame seeds."""
    found = [load_clip(path, detector=detector, seed=seed).face_crops for path in paths for seed in seeds]
    return np.unique(np.concatenate(found), axis=0)


def fer_faces(images, index):
    """FER2013 faces as the network sees them: (n, 48, 48) uint8 -> (len(index), FACE_SIZE, FACE_SIZE)."""
    return np.stack([faces.whole_image_face(images[i]) for i in index])


def print_table(crop_geometry, crops, fer_geometry, fer):
    print("| faces | MTCNN found | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for name, geometry, found, total in (
        (f"CREMA-D crops (FACE_MARGIN {FACE_MARGIN:g})", *crop_geometry, len(crops)),
        ("FER2013 train", *fer_geometry, len(fer)),
    ):
        print(f"| {name} | {found}/{total} | " + " | ".join(f"{np.median(geometry[c]):.3f}" for c in COLUMNS) + " |")
    crop_geometry, fer_geometry = crop_geometry[0], fer_geometry[0]
    scale = face_scale(crop_geometry) / face_scale(fer_geometry)  # 1 when the faces are framed alike
    margin = ((1 + 2 * FACE_MARGIN) * scale - 1) / 2  # the crop side times `scale`, about the box centre
    print(f"\nCREMA-D / FER2013 face size {scale:.3f}; FACE_MARGIN for 1: "
          f"((1 + 2 * {FACE_MARGIN:g}) * {scale:.3f} - 1) / 2 = {margin:+.3f}")  # fmt: skip
    for column in ("eyes_y", "mouth_y"):  # where that rescale would put them
        rescaled = 0.5 + (np.median(crop_geometry[column]) - 0.5) / scale
        print(f"{column} with it {rescaled:.3f} (FER2013 {np.median(fer_geometry[column]):.3f})")


def draw(crops, fer, fer_geometry, path):
    """crops, fer: {emotion: (n, FACE_SIZE, FACE_SIZE) uint8} -> PNG at path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    widths = [1] * CROPS_PER_ROW + [0.3] + [1] * FER_PER_ROW  # a narrow spacer column between the sets
    figure, axes = plt.subplots(len(crops), len(widths), gridspec_kw={"width_ratios": widths},
                                figsize=(sum(widths) * 1.1 + 0.7, len(crops) * 1.15))  # fmt: skip
    lines = [np.median(fer_geometry[c]) * FACE_SIZE for c in ("eyes_y", "mouth_y")]
    for row, emotion in enumerate(crops):
        shown = crops[emotion][np.linspace(0, len(crops[emotion]) - 1, CROPS_PER_ROW).round().astype(int)]
        for axis, image in zip(axes[row], [*shown, None, *fer[emotion][:FER_PER_ROW]]):
            axis.axis("off")
            if image is not None:
                axis.imshow(image, cmap="gray", vmin=0, vmax=255)
                for y in lines:
                    axis.axhline(y, color="tab:orange", linewidth=0.6, linestyle="--")
        axes[row, 0].text(-8, FACE_SIZE / 2, emotion, ha="right", va="center", fontsize=9)
    title = f"CREMA-D 1001, load_clip crops (FACE_MARGIN {FACE_MARGIN:g})"
    axes[0, CROPS_PER_ROW // 2].set_title(title, fontsize=9, x=0)
    axes[0, CROPS_PER_ROW + 1 + FER_PER_ROW // 2].set_title("FER2013 train, same emotion", fontsize=9, x=0)
    figure.subplots_adjust(left=0.08, right=0.99, top=0.93, bottom=0.01, wspace=0.05, hspace=0.05)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cremad", default="../shared/data/crema-d", help="folder of CREMA-D video clips")
    parser.add_argument("--fer", default="../shared/data/fer2013/fer2013.zip", help="FER2013 image-folder zip")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    detector = faces.FaceDetector()
    clips = {item.label: item.path for item in read_cremad(args.cremad)}  # {emotion: path}
    images, labels, _ = load_fer2013_images(args.fer, split="train")  # (n, 48, 48), (n,)
    rng = np.random.default_rng(SEED)

    crops = cremad_crops(clips.values(), detector, MEASURE_SEEDS)
    fer = fer_faces(images, rng.choice(len(images), MEASURE_FER_FACES, replace=False))
    fer_geometry = keypoint_geometry(fer, detector)
    print_table(keypoint_geometry(crops, detector), crops, fer_geometry, fer)

    shown = {emotion: load_clip(path, detector=detector).face_crops for emotion, path in clips.items()}
    same_emotion = {
        emotion: fer_faces(images, rng.choice(np.flatnonzero(labels == EMOTIONS.index(emotion)), FER_PER_ROW, False))
        for emotion in clips
    }
    draw(shown, same_emotion, fer_geometry[0], args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
