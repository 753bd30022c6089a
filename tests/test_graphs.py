"""The networks as ONNX graphs (avmodel.graphs): same answers as Keras, made once per weights, checked."""

import json
import shutil

import numpy as np
import pytest

from avmodel import graphs
from avmodel.predict import Predictor, load_networks, run_model


def test_the_onnx_engine_gives_the_keras_answers(tiny_weights, predictor, astronaut_clip, media_dir):
    from tests import media

    keras_predictor = Predictor(tiny_weights, detector=predictor.detector, engine="keras")
    assert (predictor.engine, keras_predictor.engine) == ("onnx", "keras")
    for path in (astronaut_clip, media.make_wav(media_dir / "voice-graphs.wav", 3.0)):
        ours, theirs = predictor.predict(path), keras_predictor.predict(path)
        assert ours["emotion"] == theirs["emotion"] and ours["answer"] == theirs["answer"]
        for key in ("fused", "audio", "visual"):
            if theirs[key] is None:
                assert ours[key] is None
            else:
                np.testing.assert_allclose(list(ours[key].values()), list(theirs[key].values()), atol=1e-5)


def test_each_graph_gives_its_keras_outputs(tiny_weights):
    networks = load_networks(tiny_weights)
    made, _ = graphs.load_graphs(tiny_weights)
    windows = graphs.test_batch((networks["audio"].backbone.input.shape[-1],), rows=3, seed=5)
    faces = graphs.test_batch(tuple(networks["visual"].backbone.input.shape[1:]), rows=3, seed=6)
    for role, inputs in (("audio", windows), ("visual", faces)):
        features = run_model(networks[role].backbone, inputs, compiled=False)
        np.testing.assert_allclose(run_model(made[role].backbone, inputs), features, atol=1e-5)
        np.testing.assert_allclose(run_model(made[role].head, features), run_model(networks[role].head, features),
                                   atol=1e-5)  # fmt: skip
        assert made[role].temperature == pytest.approx(networks[role].temperature)
        assert made[role].labels == networks[role].labels


def test_graphs_are_made_once_per_weights_and_named_by_their_digest(tiny_weights, tmp_path, monkeypatch):
    monkeypatch.setenv("AVMODEL_CACHE", str(tmp_path / "cache"))
    folder = graphs.export_graphs(tiny_weights)
    assert folder == graphs.graph_dir(tiny_weights) and folder.parent == tmp_path / "cache" / "graphs"
    info = json.loads((folder / graphs.GRAPH_INFO).read_text())
    assert all(error <= graphs.GRAPH_TOLERANCE for entry in info["networks"].values()
               for error in entry["max_error"].values())  # fmt: skip
    made = (folder / "audio_backbone.onnx").stat().st_mtime_ns
    graphs.load_graphs(tiny_weights)  # found, not made again
    assert (folder / "audio_backbone.onnx").stat().st_mtime_ns == made
    changed = tmp_path / "changed"
    shutil.copytree(tiny_weights, changed)
    info_file = changed / "model_info.json"
    info_file.write_text(info_file.read_text().replace("{", '{"note": "changed", ', 1))
    assert graphs.graph_dir(changed) != folder  # other bytes, other graphs
    with pytest.raises(graphs.GraphsUnavailable, match="are not made yet"):
        graphs.load_graphs(changed, build=False)
    assert [path.name for path in folder.parent.iterdir()] == [folder.name]  # no temporary folder left


def test_without_onnxruntime_auto_runs_keras_and_onnx_says_why(tiny_weights, predictor, monkeypatch):
    from avmodel.errors import WeightsError

    monkeypatch.setattr(graphs, "available", lambda: False)
    assert Predictor(tiny_weights, detector=predictor.detector).engine == "keras"
    with pytest.raises(WeightsError, match="onnxruntime is not installed"):
        Predictor(tiny_weights, detector=predictor.detector, engine="onnx")


def test_a_graph_that_disagrees_with_keras_is_refused(tiny_weights, tmp_path, monkeypatch):
    monkeypatch.setenv("AVMODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(graphs, "GRAPH_TOLERANCE", -1.0)  # no graph can meet it
    with pytest.raises(graphs.GraphsUnavailable, match="differs from Keras"):
        graphs.export_graphs(tiny_weights)
    assert not list((tmp_path / "cache" / "graphs").iterdir())  # nothing half-made left behind


def test_predict_from_the_shell_never_imports_tensorflow(tiny_weights, predictor, astronaut_clip):
    """With the graphs made (here by the session's predictor), ``avmodel predict`` runs on onnxruntime alone."""
    import subprocess
    import sys

    predictor.predict(astronaut_clip)  # the networks' and the face detector's graphs are in the cache now
    script = ("import json, sys\nfrom avmodel.cli import main\n"
              f"code = main(['predict', {str(astronaut_clip)!r}, '--json', '--weights', {str(tiny_weights)!r}])\n"
              "print(json.dumps([name for name in ('tensorflow', 'keras') if name in sys.modules]), file=sys.stderr)\n"
              "sys.exit(code)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
    (result,) = json.loads(done.stdout)
    assert result["answer"] == "audio+visual" and result["emotion"] == predictor.predict(astronaut_clip)["emotion"]


def test_compile_makes_the_graphs_and_names_bad_weights(tiny_weights, tmp_path, monkeypatch, capsys):
    from avmodel.cli import main

    monkeypatch.setenv("AVMODEL_CACHE", str(tmp_path / "cache"))
    assert main(["compile", "--weights", str(tiny_weights)]) == 0
    printed = capsys.readouterr().out
    assert str(graphs.graph_dir(tiny_weights)) in printed and "mtcnn-" in printed
    assert (graphs.graph_dir(tiny_weights) / graphs.GRAPH_INFO).is_file()
    assert main(["compile", "--weights", str(tmp_path / "nothing")]) == 2
    assert "no weights folder here" in capsys.readouterr().err


def test_a_damaged_graph_folder_is_made_again(tiny_weights, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("AVMODEL_CACHE", str(tmp_path / "cache"))
    folder = graphs.export_graphs(tiny_weights)
    graph = folder / "visual_backbone.onnx"
    graph.write_bytes(graph.read_bytes()[:1000])  # cut short, as by a full disk
    with pytest.raises(graphs.GraphsUnavailable, match="do not load"):
        graphs.load_graphs(tiny_weights, build=False)
    networks, _ = graphs.load_graphs(tiny_weights)  # made again, with a warning
    assert "making them again" in caplog.text
    assert networks["visual"].backbone(graphs.test_batch(graphs.INPUT_SHAPES["visual"], rows=1)).shape[0] == 1


def test_an_unwritable_cache_falls_back_to_keras(tiny_weights, predictor, tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("AVMODEL_CACHE", str(blocked / "cache"))
    with pytest.raises(graphs.GraphsUnavailable, match="cannot write the cache"):
        graphs.export_graphs(tiny_weights)
    assert Predictor(tiny_weights, detector=predictor.detector).engine == "keras"
