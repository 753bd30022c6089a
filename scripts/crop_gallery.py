"""Do load_clip's face crops of real video look like FER2013's faces? A picture and a table.

    python scripts/crop_gallery.py [--cremad ../shared/data/crema-d] [--fer ../shared/data/fer2013/fer2013.zip]

Picture (OUTPUT): one row per emotion, CROPS_PER_ROW key-frame crops of the CREMA-D
clip (load_clip, the project's own path) beside FER_PER_ROW FER2013 train faces
of the same emotion, as the network sees them (48 px -> FACE_SIZE). Dashed lines
mark FER2013's median eye and mouth heights.

Table (printed, markdown): MTCNN (the project's FaceDetector) is run again on
MEASURE_FER_FACES random FER2013 train faces and on the CREMA-D crops
of MEASURE_SEEDS key-frame offsets, both treated alike (upscaled to MEASURE_SIDE,
MEASURE_BORDER mean-grey border so boxes are not clipped), and the keypoints are
given as fractions of the image side (0 = top/left edge). Then the crop scale
that would make the CREMA-D face as large as FER2013's, and the FACE_MARGIN that
gives it, are printed. About a minute on 2 CPU cores.
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from avmodel import faces
from avmodel.clip import load_clip
from avmodel.constants import EMOTIONS, FACE_MARGIN, FACE_SIZE, SEED
from avmodel.corpora.cremad import read_cremad
from avmodel.corpora.fer2013 import load_fer2013_images

OUTPUT = Path("docs/figures/crops_vs_fer2013.png")
CROPS_PER_ROW = 4  # CREMA-D key-frame crops shown per emotion
FER_PER_ROW = 4  # FER2013 train faces shown per emotion
# FER2013 train faces measured, drawn at random from all seven classes: the framing the network
# learnt. (Per class it differs: disgust and fear faces are framed about 10% tighter than happy ones.)
MEASURE_FER_FACES = 600
MEASURE_SEEDS = range(5)  # key-frame offsets whose CREMA-D crops are measured
MEASURE_SIDE = 144  # px: both kinds of face are upscaled to this before MTCNN runs again
MEASURE_BORDER = 0.25  # mean-grey border on each side, as a fraction of MEASURE_SIDE
COLUMNS = ("eyes_y", "mouth_y", "eyes_x", "eye_distance", "eyes_to_mouth", "box_height")


def keypoint_geometry(images, detector):
    """(n, side, side) uint8 gray faces -> {column: (n_found,) fractions of the side}, n_found."""
    border = round(MEASURE_BORDER * MEASURE_SIDE)
    framed = [
        np.repeat(np.pad(faces.resize_square(image, MEASURE_SIDE), border, constant_values=int(image.mean()))[..., None], 3, -1)
        for image in images
    ]  # (side + 2 border, side + 2 border, 3) each
    boxes = [box for start in range(0, len(framed), faces.DETECT_BATCH)
             for box in detector.detect(framed[start : start + faces.DETECT_BATCH])]  # fmt: skip
    rows = []
    for box in filter(None, boxes):
        point = {name: (np.asarray(xy, float) - border) / MEASURE_SIDE for name, xy in box.keypoints.items()}
        eyes, mouth = (point["left_eye"] + point["right_eye"]) / 2, (point["mouth_left"] + point["mouth_right"]) / 2
        eye_distance = np.hypot(*(point["right_eye"] - point["left_eye"]))
        rows.append((eyes[1], mouth[1], eyes[0], eye_distance, mouth[1] - eyes[1], box.height / MEASURE_SIDE))
    return dict(zip(COLUMNS, np.asarray(rows).T)), len(rows)


def cremad_crops(paths, detector, seeds):
    """(n, FACE_SIZE, FACE_SIZE) uint8: the distinct found crops of the clips over the key-frame seeds."""
    found = [load_clip(path, detector=detector, seed=seed).face_crops for path in paths for seed in seeds]
    return np.unique(np.concatenate(found), axis=0)


def fer_faces(images, index):
    """FER2013 faces as the network sees them: (n, 48, 48) uint8 -> (len(index), FACE_SIZE, FACE_SIZE) uint8."""
    return np.stack([faces.whole_image_face(images[i]) for i in index])


def table_row(name, geometry, found, total):
    return f"| {name} | {found}/{total} | " + " | ".join(f"{np.median(geometry[c]):.3f}" for c in COLUMNS) + " |"


def face_scale(geometry):
    """One face size per set: geometric mean of the median eye distance and eyes-to-mouth height."""
    return np.sqrt(np.median(geometry["eye_distance"]) * np.median(geometry["eyes_to_mouth"]))


def draw(crops, fer, fer_geometry, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    emotions = list(crops)
    columns = CROPS_PER_ROW + 1 + FER_PER_ROW  # one empty spacer column
    figure, axes = plt.subplots(len(emotions), columns, figsize=(columns * 1.1, len(emotions) * 1.15))
    lines = [np.median(fer_geometry[c]) * FACE_SIZE for c in ("eyes_y", "mouth_y")]
    for row, emotion in enumerate(emotions):
        shown = crops[emotion][np.linspace(0, len(crops[emotion]) - 1, CROPS_PER_ROW).round().astype(int)]
        for column, image in enumerate([*shown, None, *fer[emotion][:FER_PER_ROW]]):
            axis = axes[row, column]
            axis.axis("off")
            if image is None:
                continue
            axis.imshow(image, cmap="gray", vmin=0, vmax=255)
            for y in lines:
                axis.axhline(y, color="tab:orange", linewidth=0.6, linestyle="--")
        axes[row, 0].text(-8, FACE_SIZE / 2, emotion, ha="right", va="center", fontsize=9)
    axes[0, CROPS_PER_ROW // 2].set_title(f"CREMA-D 1001, load_clip crops (FACE_MARGIN {FACE_MARGIN:g})", fontsize=9, x=0)
    axes[0, CROPS_PER_ROW + 1 + FER_PER_ROW // 2].set_title("FER2013 train, same emotion", fontsize=9, x=0)
    figure.subplots_adjust(left=0.09, right=0.99, top=0.93, bottom=0.01, wspace=0.05, hspace=0.05)
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
    shown = {emotion: load_clip(path, detector=detector).face_crops for emotion, path in clips.items()}
    images, labels, _ = load_fer2013_images(args.fer, split="train")  # (n, 48, 48), (n,)
    rng = np.random.default_rng(SEED)
    fer = {e: fer_faces(images, rng.choice(np.flatnonzero(labels == EMOTIONS.index(e)), FER_PER_ROW)) for e in clips}
    all_fer = fer_faces(images, rng.choice(len(images), MEASURE_FER_FACES, replace=False))
    all_crops = cremad_crops(clips.values(), detector, MEASURE_SEEDS)
    crop_geometry, crops_found = keypoint_geometry(all_crops, detector)
    fer_geometry, fer_found = keypoint_geometry(all_fer, detector)

    print("| faces | MTCNN found | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    print(table_row(f"CREMA-D crops (FACE_MARGIN {FACE_MARGIN:g})", crop_geometry, crops_found, len(all_crops)))
    print(table_row("FER2013 train", fer_geometry, fer_found, len(all_fer)))
    scale = face_scale(crop_geometry) / face_scale(fer_geometry)  # crop side / side that matches FER2013
    print(f"\nCREMA-D face / FER2013 face size: {scale:.3f}; "
          f"matching FACE_MARGIN = ((1 + 2 * {FACE_MARGIN:g}) * {scale:.3f} - 1) / 2 = {((1 + 2 * FACE_MARGIN) * scale - 1) / 2:+.3f}")  # fmt: skip
    for column in ("eyes_y", "mouth_y"):  # the crop scales about its centre (0.5)
        rescaled = 0.5 + (np.median(crop_geometry[column]) - 0.5) / scale
        print(f"{column} after that rescale {rescaled:.3f} (FER2013 {np.median(fer_geometry[column]):.3f})")

    draw(shown, fer, fer_geometry, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
