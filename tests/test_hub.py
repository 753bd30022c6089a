"""Hub: the upload folder and model card, and resolving weights from a real (fake-filled) offline cache."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from avmodel.errors import MissingWeightsError, WeightsError
from avmodel.metrics import summarise
from avmodel.hub import (BUNDLED_WEIGHTS, CARD_DATA, CARD_TEMPLATE, CORPUS_LICENCES, build_upload_folder, card_fields,
                         model_card, read_info, resolve_weights)  # fmt: skip
from avmodel.predict import load_networks

COMMIT = "0123456789abcdef0123456789abcdef01234567"  # a commit hash, as the Hub names snapshots


def measured_weights(tmp_path, tiny_weights):
    """A copy of the tiny weights whose model_info.json records a measurement (avmodel.metrics form),
    a throughput and the training data; returns (folder, the measurement)."""
    weights = Path(shutil.copytree(tiny_weights, tmp_path / "weights"))
    info = json.loads((weights / "model_info.json").read_text())
    summary = summarise(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), [0, 1])
    info["metrics"] = {"visual: FER2013 PublicTest faces": {**summary, "command": "avmodel evaluate --fer cache/fer2013"},
                       "throughput": {"clips_per_second": 2.5}}  # fmt: skip
    info["data"] = {"visual": "FER2013 train"}
    (weights / "model_info.json").write_text(json.dumps(info))
    return weights, summary


def test_upload_folder_holds_weights_config_and_card(tmp_path, tiny_weights):
    weights, _ = measured_weights(tmp_path, tiny_weights)
    folder = build_upload_folder(weights, tmp_path / "upload", repo_id="org/name")
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "audio.keras", "fusion.keras", "model_info.json", "visual.keras"]  # fmt: skip
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: keras\n")
    assert "angry`, `disgust`" in card and 'Predictor("org/name")' in card
    assert ("| visual: FER2013 PublicTest faces | 4 | **0.7500** | 0.500 / 0.500 | 0.733 | angry 0.50, disgust 1.00 "
            "| `avmodel evaluate --fer cache/fer2013` |") in card  # fmt: skip
    assert "| angry | 1 | 1 |\n| disgust | 0 | 2 |" in card  # the confusion matrix, rows true
    assert "| throughput | | clips_per_second 2.5000 | | | | not recorded |" in card
    assert "label-matched pairs" in card and "- **visual**: FER2013 train" in card
    for corpus, licence in CORPUS_LICENCES:
        assert f"| {corpus} | {licence} |" in card
    assert "CC BY-NC-SA 4.0" in card and "ODbL 1.0" in card and "$" not in card.replace("$$", "")
    assert "{{" not in card and "{%" not in card


def test_card_metadata_reads_back_with_model_card_load(tmp_path, tiny_weights):
    from huggingface_hub import ModelCard

    weights, summary = measured_weights(tmp_path, tiny_weights)
    readme = build_upload_folder(weights, tmp_path / "upload", repo_id="org/name") / "README.md"
    card = ModelCard.load(readme)  # a local file: no network
    assert {key: card.data.get(key) for key in CARD_DATA} == CARD_DATA
    assert card.data.metrics == ["accuracy", "f1"] and card.data.model_name == "org/name"
    results = [(r.task_type, r.dataset_name, r.metric_type, r.metric_value) for r in card.data.eval_results]
    assert results == [("audio-classification", "visual: FER2013 PublicTest faces", "accuracy", 0.75),
                       ("audio-classification", "visual: FER2013 PublicTest faces", "f1",
                        round(summary["macro_f1"], 4))]  # throughput is no eval result  # fmt: skip
    assert card.text.lstrip().startswith("# avmodel: emotion from voice and face") and card.text in readme.read_text()


def test_card_claims_nothing_without_metrics():
    from huggingface_hub import ModelCard

    card = model_card({"labels": ["a", "b"]})
    assert "none are claimed" in card
    data = ModelCard(card).data
    assert data.library_name == "keras" and data.eval_results is None and data.metrics is None
    assert "model-index" not in card and "model_name" not in card


def test_card_counts_every_epoch_over_the_runs_a_network_was_warm_started_through():
    first = {"epochs_run": 3, "epochs_logged": 6, "seconds": 3600.0, "backend": "tensorflow"}  # resumed once
    stopped = {"epochs_logged": 7, "started_from": {"config": {}, "training": first}}  # stopped by hand: no seconds
    training = {"visual": stopped, "fusion": {"epochs_run": 9, "seconds": 1800.0, "backend": "jax"}}
    card = model_card({"labels": ["a", "b"], "training": training})
    assert "- **visual**: 13 epochs in 2 runs, time not recorded for every run, on tensorflow" in card
    assert "- **fusion**: 9 epochs in 1 run, 0.5 h, on jax" in card


def test_every_template_field_is_filled():
    """Jinja2 renders a missing field as nothing: the template names exactly the fields card_fields fills."""
    import jinja2.meta

    names = jinja2.meta.find_undeclared_variables(jinja2.Environment().parse(CARD_TEMPLATE.read_text()))
    assert names == {"card_data", *card_fields({}, "org/name")}


def test_upload_folder_refuses_an_incomplete_folder(tmp_path):
    (tmp_path / "audio.keras").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match="visual.keras, fusion.keras, model_info.json"):
        build_upload_folder(tmp_path, tmp_path / "upload")


def test_local_specs(tmp_path):
    assert resolve_weights(None) == BUNDLED_WEIGHTS
    assert resolve_weights(str(tmp_path)) == tmp_path
    with pytest.raises(FileNotFoundError, match="not a Hub id"):
        resolve_weights(str(tmp_path / "no" / "such" / "folder"))


def fake_hub_cache(cache, weights, repo="models--org--name"):
    """The layout huggingface_hub writes: snapshots/<commit>/files and refs/main -> commit."""
    snapshot = cache / repo / "snapshots" / COMMIT
    shutil.copytree(weights, snapshot)
    (cache / repo / "refs").mkdir()
    (cache / repo / "refs" / "main").write_text(COMMIT)
    return snapshot


def resolve_offline(tmp_path, *args):
    """resolve_weights in a fresh interpreter with HF_HUB_OFFLINE=1 and the cache under tmp_path."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "home"),
           "HF_HUB_CACHE": str(tmp_path / "hub")}  # fmt: skip
    code = f"from avmodel.hub import resolve_weights; print(resolve_weights(*{args!r}))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)


def test_hub_id_resolves_offline_from_the_cache(tmp_path, tiny_weights):
    snapshot = fake_hub_cache(tmp_path / "hub", tiny_weights)
    latest = resolve_offline(tmp_path, "org/name")
    pinned = resolve_offline(tmp_path, "org/name", COMMIT)
    assert latest.returncode == 0, latest.stderr
    assert Path(latest.stdout.strip()) == snapshot and Path(pinned.stdout.strip()) == snapshot
    assert set(load_networks(snapshot)) == {"audio", "visual", "fusion"}


def test_hub_id_missing_offline_says_so(tmp_path):
    (tmp_path / "hub").mkdir()
    result = resolve_offline(tmp_path, "org/absent")
    assert result.returncode == 1 and "is not in the Hub cache" in result.stderr


def test_a_snapshot_missing_a_file_names_it(tmp_path, tiny_weights):
    snapshot = fake_hub_cache(tmp_path / "hub", tiny_weights)
    (snapshot / "fusion.keras").unlink()
    with pytest.raises(MissingWeightsError, match=r"missing fusion.keras\)"):
        load_networks(snapshot)


def hub_failing_with(monkeypatch, error):
    import huggingface_hub

    def snapshot_download(*args, **kwargs):
        raise error

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)


def http_error(kind, status):
    httpx = pytest.importorskip("httpx2")  # huggingface_hub's HTTP client: its errors carry a response
    request = httpx.Request("GET", "https://huggingface.co/api/models/org/name")
    return kind(f"{status} from the Hub", response=httpx.Response(status, request=request))


def test_hub_failures_are_weights_errors(monkeypatch):
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RevisionNotFoundError

    cases = [
        (http_error(RevisionNotFoundError, 404), MissingWeightsError, "org/name@v9: the model repo has no revision"),
        (http_error(GatedRepoError, 403), WeightsError, "org/name@v9: a gated model repo"),
        (http_error(HfHubHTTPError, 500), WeightsError, r"the Hub download failed \(HfHubHTTPError: 500 from the Hub"),
        (OSError("[Errno 28] No space left on device"), WeightsError, "download failed .*No space left on device"),
    ]  # fmt: skip
    for error, kind, message in cases:
        hub_failing_with(monkeypatch, error)
        with pytest.raises(kind, match=message):
            resolve_weights("org/name", "v9")


@pytest.mark.parametrize("text, message", [("{labels:", "not readable JSON"), ("[1, 2]", "holds a JSON list"),
                                           ('{"labels": "angry"}', "its labels are 'angry', not a list")])  # fmt: skip
def test_a_bad_model_info_is_a_weights_error(tmp_path, text, message):
    (tmp_path / "model_info.json").write_text(text)
    with pytest.raises(WeightsError, match=f"model_info.json: {message}"):
        read_info(tmp_path)


@pytest.mark.network
def test_publish_and_download_round_trip(tmp_path, tiny_weights):
    """Needs HF_TOKEN and AVMODEL_HUB_TEST_REPO (a model repo you may write to)."""
    repo = os.environ.get("AVMODEL_HUB_TEST_REPO")
    if not (repo and os.environ.get("HF_TOKEN")):
        pytest.skip("set HF_TOKEN and AVMODEL_HUB_TEST_REPO to test publishing")
    from avmodel.hub import publish

    publish(tiny_weights, repo, private=True)
    folder = resolve_weights(repo)
    assert (folder / "README.md").is_file() and set(load_networks(folder)) == {"audio", "visual", "fusion"}
