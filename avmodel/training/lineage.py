"""Where a network came from: the chain of training runs behind a run folder, for model_info.json.

    run folder: config.json, metrics.json (its training figures), log.csv (one row per epoch)
      -> {"config", "training": {..., "epochs_logged", "started_from": {"config", "training"}}, "data"}

A run warm-started from ``init_model`` carries the record of what those weights came from under
``training["started_from"]``, and so on back. ``avmodel train`` writes that record into the new
run's STARTED_FROM file as it starts, so it stays true after the weights it started from are
replaced (a release written into the folder a run started from).
"""

import json
from dataclasses import asdict
from pathlib import Path

from avmodel.hub import INFO_FILE, chain_epochs

STARTED_FROM = "started_from.json"  # in a run folder: the record of its init_model, frozen at the start


def run_record(run, seen=()):
    """What a training run folder says about itself: config, data, training figures and where it started.
    ``seen``: the run folders already on the chain (a run that starts from its own folder's weights
    ends the chain instead of leading back to itself)."""
    run = Path(run)
    config = json.loads((run / "config.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text()) if (run / "metrics.json").is_file() else {}
    record = {"config": config, "training": dict(metrics.get("training", {}))}
    if (run / "log.csv").is_file():  # every epoch, also of a run stopped before it wrote metrics.json
        record["training"]["epochs_logged"] = len((run / "log.csv").read_text().splitlines()[1:])
    frozen = run / STARTED_FROM
    earlier = json.loads(frozen.read_text()) if frozen.is_file() else started_from(config, (*seen, _key(run)))
    if earlier:
        record["training"]["started_from"] = earlier
    if (run / "data.json").is_file():
        record["data"] = json.loads((run / "data.json").read_text())
    return record


def started_from(config, seen=()):
    """{"config", "training"} of what ``config.init_model`` came from: the run folder it is in, or a
    released weights folder (the run it was released from while that folder is here, else its
    model_info.json's record of the network); None without init_model or any record."""
    seen = {*seen, _key(config.get("out") or "")}
    folder = Path(config.get("init_model") or "").parent
    if not config.get("init_model") or _key(folder) in seen:
        return None
    if (folder / "config.json").is_file():
        return _as_earlier(run_record(folder, seen))
    if not (folder / INFO_FILE).is_file():
        return None
    info = json.loads((folder / INFO_FILE).read_text())
    released = info.get("config", {}).get(config["task"], {})
    source = Path(released.get("out") or "")
    if released.get("out") and _key(source) in seen:
        return None  # these weights were released from a run on this chain: no record of before is left
    if released.get("out") and (source / "config.json").is_file():
        return _as_earlier(run_record(source, seen))
    if config["task"] in info.get("training", {}):
        return {"config": released, "training": info["training"][config["task"]]}
    return None


def write_started_from(config, out):
    """Freeze the record of ``config.init_model``'s origin (config: a TrainConfig) into ``out``/STARTED_FROM,
    once per run (a resumed run keeps the record of its first start)."""
    frozen = Path(out) / STARTED_FROM
    earlier = None if frozen.is_file() else started_from(asdict(config))
    if earlier:
        frozen.write_text(json.dumps(earlier, indent=2))


def epochs_behind(out):
    """How many epochs trained the weights the run in ``out`` started from (0: a new network): every run
    on the chain frozen in ``out``/STARTED_FROM, so a resumed run counts the same as at its start."""
    frozen = Path(out) / STARTED_FROM
    earlier = json.loads(frozen.read_text())["training"] if frozen.is_file() else None
    return chain_epochs(earlier)


def _key(folder):
    return str(Path(folder).resolve())


def _as_earlier(record):
    return {"config": record["config"], "training": record["training"]}
