"""Signal facts and the label set, defined once.

Every other module imports these; no literal sample rate, window length,
key-frame stride or face size appears anywhere else.
"""

# --- audio ---------------------------------------------------------------
SAMPLE_RATE = 16_000  # Hz: every waveform is resampled to this (paper, 3.1)
WINDOW_SECONDS = 2  # s: one audio-network input (paper, 3.1)
WINDOW_SAMPLES = WINDOW_SECONDS * SAMPLE_RATE  # 32000 samples in a 2-second window
MIN_WINDOW_FRACTION = 0.5  # a trailing remainder shorter than half a window is dropped
MIN_CLIP_SECONDS = WINDOW_SECONDS * MIN_WINDOW_FRACTION  # 1 s: shorter clips are refused
MAX_CLIP_SECONDS = 15 * 60  # s: longer clips are refused (a 10-minute clip is accepted)
KERNEL_SECONDS = 0.005  # s: 5 ms first-layer kernels (paper, 3.1)
KERNEL_SAMPLES = round(KERNEL_SECONDS * SAMPLE_RATE)  # 80 samples

# --- video ---------------------------------------------------------------
KEYFRAME_STRIDE = 10  # one key frame every 10 frames, random offset (paper, 5.1)
DETECT_MAX_SIDE = 640  # px: frames are scaled down to this before face detection
FACE_SIZE = 96  # px: square grayscale face crop (paper, 5.1)
# Border on each side of the square crop, as a fraction of the box's longer side; negative
# cuts inside the box. Measured by scripts/crop_gallery.py (MTCNN keypoints on the CREMA-D crops
# and on 600 FER2013 train faces, as fractions of the side): with 0 the CREMA-D face is 0.885x
# FER2013's (eye distance 0.326 vs 0.370, eyes-to-mouth 0.351 vs 0.396; 0.883, 95% CI
# 0.877-0.887, on 2000 faces), so the side must shrink to about 0.885 of the box:
# (0.885 - 1) / 2 = -0.058. Measured again, -0.06 overshoots (1.02x) and -0.05 gives 0.993x with
# eyes and mouth at FER2013's heights (0.389 vs 0.385, 0.778 vs 0.778): -0.05.
FACE_MARGIN = -0.05
FACE_MIN_CONFIDENCE = 0.9  # MTCNN detections below this are ignored

# --- labels --------------------------------------------------------------
EMOTIONS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
NUM_CLASSES = len(EMOTIONS)  # 7
NEUTRAL = EMOTIONS.index("neutral")

# --- prepared data -------------------------------------------------------
SHARD_SIZE = 256  # clips per shard of a prepared folder at most (avmodel prepare --shard-size)

# --- reproducibility -----------------------------------------------------
SEED = 1234  # default seed for key-frame offsets, splits and training
