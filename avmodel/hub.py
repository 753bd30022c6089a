"""Weights on the Hugging Face Hub: where a weights spec points, and publishing with a model card.

    spec -> resolve_weights -> local folder (audio.keras, visual.keras, fusion.keras, model_info.json)
    weights folder -> build_upload_folder (+ README.md: a huggingface_hub.ModelCard from MODEL_CARD.md)
                   -> publish -> ORG/NAME

A spec is None (the weights bundled in ``avmodel/weights/``), a local folder,
or a Hub id. Hub ids go through ``huggingface_hub.snapshot_download``, which
reads the local cache (``HF_HUB_CACHE``) when offline or ``HF_HUB_OFFLINE=1``.

``model_info.json`` is the configuration beside the weights. The keys read here:

    labels   the class names in output order (required by ``Predictor``)
    config   training settings, any JSON (shown in the model card)
    data     what each network was trained on: {"audio": "...", ...} or text
    splits   how train/validation/test were made: text or {name: text}
    metrics  {"what was measured": {"accuracy": 0.61, ..., "command": "the command that measured it"}}
"""

import json
import re
import shutil
from pathlib import Path

from avmodel.errors import MissingWeightsError, WeightsError, short_message

BUNDLED_WEIGHTS = Path(__file__).resolve().parent / "weights"  # the release weights shipped with the package
MODEL_FILES = {"audio": "audio.keras", "visual": "visual.keras", "fusion": "fusion.keras"}
INFO_FILE = "model_info.json"
CARD_TEMPLATE = Path(__file__).resolve().parent / "MODEL_CARD.md"  # Jinja2, rendered by ModelCard.from_template
UPLOAD_FILES = (*MODEL_FILES.values(), INFO_FILE)  # + README.md, generated
REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")  # "org/name"

CORPUS_LICENCES = (  # (corpus, licence), shown in every model card
    ("FER2013 (Goodfellow et al. 2013)", "research use"),
    ("Berlin Database of Emotional Speech, emoDB (Burkhardt et al. 2005)", "free for research"),
    ("RAVDESS (Livingstone & Russo 2018)", "CC BY-NC-SA 4.0"),
    ("CREMA-D (Cao et al. 2014)", "ODbL 1.0 (attribution required)"),
    ("eNTERFACE'05 (Martin et al. 2006)", "per its site (enterface.net), research use"),
)
CARD_DATA = {  # the model card's YAML metadata (huggingface_hub.ModelCardData), besides its eval results
    "library_name": "keras",
    "license": "other",  # no one licence: the training corpora's terms apply (CORPUS_LICENCES)
    "license_name": "research-corpora",
    "pipeline_tag": "audio-classification",
    "tags": ["emotion-recognition", "audio-visual", "speech-emotion-recognition", "facial-expression-recognition",
             "keras"],
}  # fmt: skip
TASK_NAME = "Emotion recognition"  # the task of every eval result in the card
EVAL_METRICS = (  # (summarise key, Hub metric id, more EvalResult fields): the card's eval results per measurement
    ("accuracy", "accuracy", {}),
    ("macro_f1", "f1", {"metric_name": "macro-F1", "metric_args": {"average": "macro"}}),
)
EVAL_DIGITS = 4  # eval result values are rounded to this many decimals


# --- reading -----------------------------------------------------------------


def resolve_weights(spec=None, revision=None):
    """A weights spec -> a local folder (Path).

    spec:     None (bundled weights), a local folder, or a Hub id "org/name"
    revision: branch, tag or commit hash of a Hub id
    Raises MissingWeightsError (a FileNotFoundError) when the spec is neither
    an existing folder nor a Hub id that can be downloaded or found in the
    cache, and WeightsError when the Hub refuses or the download fails.
    """
    if spec is None:
        return BUNDLED_WEIGHTS
    local = Path(spec).expanduser()
    if local.is_dir():
        return local
    if not REPO_ID.match(str(spec)):
        raise MissingWeightsError(spec, "no weights folder here (and it is not a Hub id like org/name)")
    return Path(_snapshot(str(spec), revision))


def _snapshot(repo_id, revision):
    """Download (or find in the cache) the files a Predictor needs from a Hub model repo."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import (
            GatedRepoError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )
    except ImportError as error:  # pragma: no cover - a dependency of the package
        raise ImportError("weights from the Hub need `pip install huggingface_hub`") from error
    spec = f"{repo_id}{'@' + revision if revision else ''}"
    try:
        return snapshot_download(repo_id, revision=revision, allow_patterns=[*UPLOAD_FILES, "README.md"])
    except LocalEntryNotFoundError as error:  # offline, and not in the cache
        raise MissingWeightsError(spec, "is no local folder, is not in the Hub cache and the Hub cannot be "
                                  "reached: connect once, or point --weights at a local folder") from error  # fmt: skip
    except GatedRepoError as error:
        raise WeightsError(spec, "a gated model repo: accept its conditions on the Hub and log in") from error
    except RepositoryNotFoundError as error:
        problem = "is no local folder and no model repo on the Hub (or a private one: log in)"
        raise MissingWeightsError(spec, problem) from error
    except RevisionNotFoundError as error:
        raise MissingWeightsError(spec, f"the model repo has no revision {revision!r}") from error
    except (OSError, ValueError) as error:  # HTTP errors, a full disk, an invalid name or revision
        raise WeightsError(spec, f"the Hub download failed ({type(error).__name__}: {short_message(error)})") from error


def read_info(weights_dir):
    """model_info.json of a weights folder as a dict ({} when there is none).

    Raises WeightsError when it is no JSON object or its labels are not a list of names.
    """
    path = Path(weights_dir) / INFO_FILE
    if not path.is_file():
        return {}
    try:
        info = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise WeightsError(path, f"not readable JSON ({type(error).__name__}: {short_message(error)})") from error
    if not isinstance(info, dict):
        raise WeightsError(path, f"holds a JSON {type(info).__name__}, not an object")
    labels = info.get("labels")
    if labels is not None and not (isinstance(labels, list) and all(isinstance(label, str) for label in labels)):
        raise WeightsError(path, f"its labels are {labels!r}, not a list of names")
    return info


# --- publishing ----------------------------------------------------------------


def build_upload_folder(weights_dir, dest, repo_id="ORG/NAME"):
    """Write exactly what ``publish`` uploads into ``dest``; returns dest (Path).

    dest gets the three .keras files, model_info.json and README.md (the
    model card). Raises FileNotFoundError when one of the inputs is missing.
    """
    weights_dir, dest = Path(weights_dir), Path(dest)
    missing = [name for name in UPLOAD_FILES if not (weights_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{weights_dir} lacks {', '.join(missing)}: nothing to publish")
    dest.mkdir(parents=True, exist_ok=True)
    for name in UPLOAD_FILES:
        shutil.copy2(weights_dir / name, dest / name)
    (dest / "README.md").write_text(model_card(read_info(weights_dir), repo_id))
    return dest


def publish(weights_dir, repo_id, revision=None, token=None, private=False):
    """Upload a weights folder with its model card to the Hub model repo ``repo_id``.

    revision: a branch to upload to (made when missing); None = main
    token:    a Hub token; None = the logged-in user (``hf auth login``) or HF_TOKEN
    Returns the URL of the new commit.
    """
    import tempfile

    from huggingface_hub import HfApi

    with tempfile.TemporaryDirectory() as tmp:
        folder = build_upload_folder(weights_dir, Path(tmp) / "upload", repo_id)  # checks before any upload
        api = HfApi(token=token)
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        commit = api.upload_folder(repo_id=repo_id, folder_path=folder, revision=revision,
                                   commit_message="Upload avmodel weights and model card")  # fmt: skip
    return commit.commit_url


# --- the model card -----------------------------------------------------------------


def model_card(info, repo_id="ORG/NAME"):
    """The model card (Markdown with Hub front matter) from ``MODEL_CARD.md`` and model_info.json.

    The front matter is CARD_DATA, plus the accuracy and macro-F1 of every
    measurement as Hub eval results (``model-index``); ``ModelCard.load`` reads it back.
    """
    from huggingface_hub import ModelCard, ModelCardData

    results = eval_results(info.get("metrics") or {})
    measured = {"metrics": [metric for _, metric, _ in EVAL_METRICS], "eval_results": results, "model_name": repo_id}
    data = ModelCardData(**CARD_DATA, **(measured if results else {}))
    return str(ModelCard.from_template(data, template_path=str(CARD_TEMPLATE), **card_fields(info, repo_id)))


def card_fields(info, repo_id):
    """The Markdown that fills each ``{{ name }}`` of MODEL_CARD.md, from model_info.json."""
    from avmodel.constants import EMOTIONS

    labels = info.get("labels") or list(EMOTIONS)
    return {
        "repo_id": repo_id,
        "labels": ", ".join(f"`{label}`" for label in labels),
        "num_labels": len(labels),
        "data": _text_block(info.get("data"), "not recorded in model_info.json"),
        "splits": _text_block(info.get("splits"), "not recorded in model_info.json"),
        "metrics_table": metrics_table(info.get("metrics") or {}),
        "calibration_table": calibration_table(info.get("calibration") or {}),
        "training": training_summary(info.get("training") or {}),
        "config": json.dumps(info.get("config") or {}, indent=2),
        "licences": "\n".join(f"| {corpus} | {licence} |" for corpus, licence in CORPUS_LICENCES),
    }


def eval_results(metrics):
    """{what: values} -> [huggingface_hub.EvalResult]: EVAL_METRICS of every entry in
    ``avmodel.metrics.summarise`` form (other entries, like throughput, are no eval results)."""
    from huggingface_hub import EvalResult

    return [EvalResult(task_type=CARD_DATA["pipeline_tag"], task_name=TASK_NAME, dataset_name=what,
                       dataset_type=re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-"),  # a slug, no Hub dataset id
                       metric_type=metric, metric_value=round(values[key], EVAL_DIGITS), **more)
            for what, values in metrics.items() if _summarised(values)
            for key, metric, more in EVAL_METRICS]  # fmt: skip


def metrics_table(metrics):
    """{what: {name: value, ..., "command": str}} -> Markdown: a table, then each confusion matrix.

    Entries in ``avmodel.metrics.summarise`` form get accuracy, macro-F1, chance and
    per-class recall columns; anything else is listed as name/value pairs.
    """
    if not metrics:
        return "No measurements are recorded in model_info.json yet, so none are claimed here."
    rows = ["| measured | n | accuracy | chance (uniform / majority) | macro-F1 | recall per class | command |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    matrices = []
    for what, values in metrics.items():
        values = values if isinstance(values, dict) else {"value": values}
        command = f"`{values['command']}`" if values.get("command") else "not recorded"
        if _summarised(values):
            recall = ", ".join(f"{name} {v['recall']:.2f}" for name, v in values["per_class"].items())
            rows.append(f"| {what} | {values['samples']} | **{values['accuracy']:.4f}** | "
                        f"{values['chance_uniform']:.3f} / {values['chance_majority']:.3f} | "
                        f"{values['macro_f1']:.3f} | {recall} | {command} |")  # fmt: skip
            matrices.append(confusion_block(what, values["classes"], values["confusion"]))
        else:
            shown = ", ".join(f"{name} {_number(value)}" for name, value in values.items() if name != "command")
            rows.append(f"| {what} | | {shown} | | | | {command} |")
    return "\n".join(rows + matrices)


def training_summary(training):
    """{network: training record} -> a bullet per network (nested under the card's limitation): its epochs
    and hours over the chain of runs it was warm-started through (``started_from``), on which backend."""
    if not training:
        return "not recorded in model_info.json"
    lines = []
    for network, record in training.items():
        runs = list(run_chain(record))
        epochs = chain_epochs(record)
        timed = [run["seconds"] for run in runs if "seconds" in run]
        hours = f"{sum(timed) / 3600:.1f} h" if len(timed) == len(runs) else "time not recorded for every run"
        backends = ", ".join(sorted({run["backend"] for run in runs if run.get("backend")})) or "not recorded"
        lines.append(f"  - **{network}**: {epochs} epochs in {len(runs)} run{'s' * (len(runs) > 1)}, {hours}, "
                     f"on {backends}")  # fmt: skip
    return "\n".join(lines)


def chain_epochs(record):
    """Every epoch trained over a training record's chain of runs (None: 0), stopped runs too (``epochs_logged``)."""
    return sum(run.get("epochs_logged", run.get("epochs_run", 0)) for run in run_chain(record))


def run_chain(record):
    """A release's training record, then each run it started from (``started_from``), newest first."""
    while record:
        yield record
        record = (record.get("started_from") or {}).get("training")


def calibration_table(calibration):
    """{network: {"temperature", "validation": report, "test": report}} -> a Markdown table
    of each temperature with the expected calibration error and NLL before and after it."""
    if not calibration:
        return "No calibration is recorded in model_info.json: these probabilities are the raw softmax."
    rows = ["| network | temperature | side | n | ECE before | ECE after | NLL before | NLL after |",
            "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for network, entry in calibration.items():
        for side in ("validation", "test"):
            report = entry[side]
            rows.append(f"| {network} | {entry['temperature']:.3f} | {side} | {report['samples']} | "
                        f"{100 * report['ece_before']:.1f}% | **{100 * report['ece_after']:.1f}%** | "
                        f"{report['nll_before']:.3f} | {report['nll_after']:.3f} |")  # fmt: skip
    return "\n".join(rows)


def confusion_block(what, classes, confusion):
    """A confusion matrix as a Markdown table (rows: true class, columns: predicted)."""
    header = ["", f"Confusion, {what} (rows true, columns predicted):", "",
              "| | " + " | ".join(classes) + " |", "|---" * (len(classes) + 1) + "|"]  # fmt: skip
    return "\n".join(header + [f"| {name} | " + " | ".join(map(str, row)) + " |" for name, row in zip(classes, confusion)])


def _summarised(values):
    """Whether a metrics entry is in ``avmodel.metrics.summarise`` form."""
    return isinstance(values, dict) and "per_class" in values


def _number(value):
    return f"{value:.4f}" if isinstance(value, float) else json.dumps(value)


def _text_block(value, missing):
    """Text, or {name: text} as a bullet list."""
    if not value:
        return missing
    if isinstance(value, dict):
        return "\n".join(f"- **{name}**: {text}" for name, text in value.items())
    return str(value)
