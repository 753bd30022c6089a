"""avmodel in the browser: emotion from voice and face.

    python demo/app.py [--weights DIR_OR_HUB_ID] [--revision REV] [--host HOST] [--port 7860]

Upload a clip or record one with the webcam (an audio file or a face image
works too): the page shows the fused answer, voice and face alone, the face
crops used, a timeline per 2 s window and a JSON download of everything. The
same prediction is the API endpoint "/predict":

    Client(url).predict(handle_file("clip.mp4"), api_name="/predict")  # -> the result dict

Importing this file builds the page but loads no model: the Predictor is
made once, in ``main()`` or on the first request.

A file that cannot be used gets a sentence on the page (and an ``error`` in
the API's answer); an unexpected exception gets a readable sentence too, and
its traceback goes to the server log only (logger "avmodel.demo").
"""

import argparse
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData

from avmodel.errors import ClipError, WeightsError
from avmodel.predict import INTERNAL, NonFiniteOutputError, error_entry
from avmodel.display import status_markdown, timeline_figure

MAX_UPLOAD_MB = 50  # per file, enforced by Gradio (launch's max_file_size)
MAX_SECONDS = 60  # longer clips are refused (load_clip's max_seconds)
KEEP_DOWNLOADS = 32  # JSON downloads kept on disk; older ones are deleted (Gradio has copied them by then)
DOWNLOADS = Path(tempfile.gettempdir()) / f"avmodel-demo-{os.getpid()}"  # this server's JSON downloads
FILE_TYPES = [".avi", ".mp4", ".flv", ".webm", ".mov", ".mkv", ".wav", ".flac", ".mp3", ".jpg", ".jpeg", ".png"]
HERE = Path(__file__).resolve().parent
CREMA_D = Path(os.environ.get("AVMODEL_CREMAD", HERE.parents[1] / "shared" / "data" / "crema-d"))
CREMA_D_EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
FFMPEG_BIN = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "avmodel" / "bin"

INTRO = f"""# avmodel: emotion from voice and face
Upload a **video clip** (avi, mp4, flv, webm, mov, mkv) or record one with your **webcam**;
an **audio file** (wav, flac, mp3) or a **face image** (jpg, png) works too. You get the
emotion from voice and face together, from each alone, the face crops used and, for clips
longer than 2 s, the probabilities per 2 s window.
Limits: files up to {MAX_UPLOAD_MB} MB, clips up to {MAX_SECONDS} s."""

_predictor = None  # made once: by main() or on the first request
# One prediction at a time, page and API together (the networks and the face detector are shared):
# every event that predicts joins this Gradio concurrency group, which runs one event at a time.
ONE_AT_A_TIME = {"concurrency_id": "predictor", "concurrency_limit": 1}
log = logging.getLogger("avmodel.demo")
UNUSABLE = (ClipError, NonFiniteOutputError)  # the file's fault, or no trustworthy answer: a sentence, no log


def get_predictor():
    """The Predictor; the first call loads it (weights from AVMODEL_WEIGHTS / AVMODEL_REVISION, else bundled)."""
    global _predictor
    if _predictor is None:  # no race: every caller runs in the ONE_AT_A_TIME group
        from avmodel.predict import Predictor

        weights, revision = os.environ.get("AVMODEL_WEIGHTS"), os.environ.get("AVMODEL_REVISION")
        _predictor = Predictor(weights, revision, max_seconds=MAX_SECONDS)
    return _predictor


def use_predictor(predictor):
    """Serve with this Predictor (main() and tests)."""
    global _predictor
    _predictor = predictor


def _analyse(path):
    return get_predictor().analyse(path)


def analyse(path):
    """One file -> the page: status, fused, voice and face labels, face gallery, timeline, JSON download."""
    if not path:
        return _page("Upload a clip, an audio file or an image first.")
    try:
        result, clip = _analyse(path)
        faces = [(face, f"{time:.2f} s") for face, time in zip(clip.face_crops, clip.face_times)]
        return _page(status_markdown(result), result, faces)
    except UNUSABLE as error:
        return _page(status_markdown({"error": _message(error, path)}))
    except Exception as error:  # the page gets a sentence, the server log the traceback
        return _page(f"**{_internal(error, path)}**")


def _internal(error, path):
    """Log an unexpected exception with its traceback; returns the sentence for the user (no server details)."""
    if isinstance(error, WeightsError):
        log.error("the model weights cannot be loaded: %s", error)
        return "The server cannot load its model weights, so nothing can be analysed; this is logged on the server."
    log.exception("prediction failed for %s", path)
    return (f"Something went wrong on the server while analysing this file ({type(error).__name__}). "
            "It is logged there; please try again or try another file.")  # fmt: skip


def _message(error, path, name=None):
    """A ClipError's sentence with the upload's name instead of the server's temporary path."""
    return str(error).replace(str(path), name or Path(path).name)


def _page(status, result=None, faces=()):
    """The outputs in ``build_demo``'s order; labels say when their modality is missing."""
    result = result or {}
    figure = timeline_figure(result) if result else None
    audio, visual = result.get("audio"), result.get("visual")
    no_face = "no face found" if result.get("found", {}).get("video_track") else "no picture"
    return (
        status,
        gr.Label(result.get("probabilities"), label=f"Emotion ({result['answer']})" if result else "Emotion"),
        gr.Label(audio, label="Voice alone" if audio or not result else "Voice alone: no audio"),
        gr.Label(visual, label="Face alone" if visual or not result else f"Face alone: {no_face}"),
        list(faces),
        gr.Plot(figure, visible=figure is not None),
        _json_file(result) if result else None,
    )


def _json_file(result):
    """Write the result where Gradio can offer it for download; returns the path.

    Each download gets its own folder under DOWNLOADS; only the newest
    KEEP_DOWNLOADS are kept, so the disk (often memory, for /tmp) does not fill up.
    """
    DOWNLOADS.mkdir(exist_ok=True)
    for old in sorted(DOWNLOADS.iterdir(), key=lambda folder: folder.stat().st_mtime)[:-KEEP_DOWNLOADS]:
        shutil.rmtree(old, ignore_errors=True)
    name = Path(result["path"]).stem + ".emotions.json"
    folder = Path(tempfile.mkdtemp(dir=DOWNLOADS))
    (folder / name).write_text(json.dumps(result, indent=2, allow_nan=False))
    return str(folder / name)


def predict(file: FileData) -> dict:
    """Emotion probabilities of one video, audio file or face image, as `avmodel predict --json` prints them.

    The file's name is under "file", not "path": gradio_client would take any
    dict with a "path" for a file to download.
    """
    path = file["path"] if isinstance(file, dict) else file.path
    name = (file.get("orig_name") if isinstance(file, dict) else file.orig_name) or Path(path).name
    try:
        result = _analyse(path)[0]
    except UNUSABLE as error:
        result = error_entry(path, _message(error, path, name), error.reason)
    except Exception as error:
        result = error_entry(path, _internal(error, path), INTERNAL)
    return {"file": name, **{key: value for key, value in result.items() if key != "path"}}


def examples():
    """(file, label) pairs: our own generated examples, then the CREMA-D clips when present."""
    own = [(HERE / "examples" / "astronaut.mp4", "astronaut + tone (clip)"),
           (HERE / "examples" / "tone.flac", "tone (audio only)"),
           (HERE / "examples" / "astronaut_face_48.png", "48x48 face crop (image)")]  # fmt: skip
    cremad = [(path, f"CREMA-D 1001: {CREMA_D_EMOTIONS.get(path.stem.split('_')[2], '?')}")
              for path in sorted(CREMA_D.glob("*.flv"))]  # fmt: skip
    return [(str(path), label) for path, label in own + cremad if path.is_file()]


def build_demo():
    """The page; nothing is loaded until the first prediction."""
    listed = examples()
    with gr.Blocks(title="avmodel: emotion from voice and face", analytics_enabled=False,
                   delete_cache=(3600, 3600)) as page:  # fmt: skip
        gr.Markdown(INTRO)
        outputs = [
            gr.Markdown(render=False, elem_id="status"),
            gr.Label(num_top_classes=7, label="Emotion", render=False, elem_id="fused"),
            gr.Label(num_top_classes=3, label="Voice alone", render=False, elem_id="voice"),
            gr.Label(num_top_classes=3, label="Face alone", render=False, elem_id="face"),
            gr.Gallery(label="Face crops used (96x96 grayscale, key-frame time)", columns=8, render=False),
            gr.Plot(label="Probabilities per 2 s window", visible=False, render=False),
            gr.File(label="Everything, as JSON", render=False),
        ]
        status, fused, voice, face, gallery, timeline, download = outputs
        with gr.Row():
            with gr.Column():
                with gr.Tab("Video clip or webcam"):
                    video = gr.Video(sources=["upload", "webcam"], include_audio=True, label="Clip")
                with gr.Tab("Any file: clip, audio or image"):
                    upload = gr.File(file_types=FILE_TYPES, label="Clip, audio file or image", elem_id="upload")
                    shown = gr.Examples([[path] for path, _ in listed], inputs=upload,
                                        example_labels=[label for _, label in listed])  # fmt: skip
                status.render()
            with gr.Column():
                fused.render()
                with gr.Row():
                    voice.render()
                    face.render()
        gallery.render()
        timeline.render()
        download.render()
        if any(label.startswith("CREMA-D") for _, label in listed):
            gr.Markdown("Example clips from CREMA-D (Cao et al. 2014), ODbL 1.0.")
        shown.load_input_event.then(analyse, upload, outputs, api_visibility="undocumented", **ONE_AT_A_TIME)
        video.upload(analyse, video, outputs, api_visibility="private", **ONE_AT_A_TIME)
        video.stop_recording(analyse, video, outputs, api_visibility="private", **ONE_AT_A_TIME)
        upload.upload(analyse, upload, outputs, api_visibility="private", **ONE_AT_A_TIME)
        gr.api(predict, api_name="predict", **ONE_AT_A_TIME)
    return page.queue(default_concurrency_limit=1)


def ensure_ffmpeg(bin_dir=FFMPEG_BIN):
    """Gradio runs ``ffmpeg`` by name: without a system one, put imageio-ffmpeg's on PATH (a link in bin_dir)."""
    from avmodel.decode import link_ffmpeg

    if shutil.which("ffmpeg"):
        return shutil.which("ffmpeg")
    Path(bin_dir).mkdir(parents=True, exist_ok=True)
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return link_ffmpeg(bin_dir)


demo = build_demo()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=os.environ.get("AVMODEL_WEIGHTS"), help="folder or Hub id ORG/NAME")
    parser.add_argument("--revision", default=os.environ.get("AVMODEL_REVISION"), help="Hub branch, tag or commit")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    ensure_ffmpeg()
    from avmodel.predict import Predictor

    try:
        use_predictor(Predictor(args.weights, args.revision, max_seconds=MAX_SECONDS))
    except WeightsError as error:  # no weights yet, a damaged file, networks that do not fit or disagree
        raise SystemExit(f"demo/app.py: cannot load the weights: {error}") from None
    demo.launch(server_name=args.host, server_port=args.port, max_file_size=f"{MAX_UPLOAD_MB}mb")


if __name__ == "__main__":
    main()
