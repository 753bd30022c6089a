"""The report folder's schema, the "not measured" rows, throughput arithmetic, FLOP counts."""

import json

import numpy as np
import pytest

from benchmark import report, rows
from benchmark.environment import stamp
from benchmark.suite import CORPORA, _enterface_not_measured
from benchmark.throughput import render_markdown, summarise


def minimal_results(extra_rows=()):
    results = stamp(["--out", "x"])
    results.update(settings={}, corpora={c: {"status": rows.NO_CORPUS} for c in CORPORA},
                   rows=_enterface_not_measured() + rows.published_rows() + list(extra_rows),
                   throughput=None, notes=[])  # fmt: skip
    return results


def a_measured_row():
    outcomes = [("fold 0", np.array([0, 1, 1]), np.array([0, 1, 0]), {"test clips without a face": 1}),
                ("fold 1", np.array([0, 0, 1]), np.array([0, 0, 1]), {"test clips without a face": 0})]
    return rows.measured("emodb", "subject_folds", "avots_baseline", "audio", outcomes, [0, 1], {}, 1.0)


def test_results_json_has_every_key_and_the_command(tmp_path):
    report.write_report(minimal_results(), tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(report.RESULT_KEYS) <= set(results)
    assert results["command"] == "python -m benchmark --out x"
    assert results["code_version"] and results["timestamp"] and results["machine"]["cpu_cores"]


def test_without_enterface_its_rows_hold_no_number(tmp_path):
    report.write_report(minimal_results(), tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    enterface = [r for r in results["rows"] if r["corpus"] == "enterface05" and r["status"] != rows.PUBLISHED]
    assert len(enterface) == 2 * 2 * 3  # protocols x systems x modalities
    assert all(r["status"] == "not measured" and r["accuracy"] is None and r["reason"] == "corpus not provided"
               for r in enterface)  # fmt: skip
    text = (tmp_path / "report.md").read_text()
    assert "not measured: corpus not provided" in text
    summary = text.split("## Accuracy")[0]
    assert "44.5% (published)" in summary and "71.5% (published)" in summary
    measured_lines = [line for line in summary.splitlines() if "(measured here)" in line]
    assert measured_lines and all("%" not in line for line in measured_lines)


def test_published_rows_are_labelled():
    published = rows.published_rows()
    assert {r["accuracy"] for r in published} == {0.445, 0.715}
    assert all(r["status"] == rows.PUBLISHED for r in published)


def test_a_measured_row_has_its_figures_and_a_png(tmp_path):
    row = a_measured_row()
    assert set(rows.ROW_KEYS + rows.MEASURED_KEYS) <= set(row)
    assert row["accuracy"] == pytest.approx((2 / 3 + 1) / 2)
    assert row["accuracy_std"] == pytest.approx(np.std([2 / 3, 1], ddof=1))
    assert row["chance_uniform"] == 0.5 and row["samples"] == 6 and row["notes"] == {"test clips without a face": 1}
    report.write_report(minimal_results([row]), tmp_path)
    assert (tmp_path / row["figure"]).is_file()
    assert "| angry | " in (tmp_path / "report.md").read_text()


def test_throughput_summary_per_clip():
    bench = {"benchmarks": [{"name": "test_network[audio-32-compiled]", "stats": {"median": 0.064, "min": 0.06, "rounds": 5},
                             "extra_info": {"stage": "audio_network", "unit": "windows", "items_per_call": 32,
                                            "items_per_clip": 2, "clip_seconds": 3.0, "flops_per_item": 1e9,
                                            "batch_size": 32, "mode": "compiled"}}]}  # fmt: skip
    (stage,) = summarise(bench)
    assert stage["ms_per_item"] == pytest.approx(2.0) and stage["ms_per_clip"] == pytest.approx(4.0)
    assert stage["clips_per_s"] == pytest.approx(250) and stage["real_time_factor"] == pytest.approx(750)
    assert stage["achieved_flops_per_s"] == pytest.approx(5e11)
    stage["fraction_of_peak"] = 0.5
    text = render_markdown({"environment": {"device": "CPU", "backend": "tensorflow", "cpu_cores": 2},
                            "weights": "random", "reference_clip": {"seconds": 3.0}, "stages": [stage],
                            "flops_per_clip": {}, "peak_flops": {"numpy": {"how": "numpy", "size": 8, "flops_per_s": 1e9}},
                            "memory": None})  # fmt: skip
    assert "| audio_network | compiled | 32 |" in text and "50.0%" in text


def test_flops_of_known_layers():
    import keras

    from benchmark.flops import model_flops

    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", use_bias=False, name="conv")(inputs)  # 2*8*8*4*9
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, name="dense")(x)  # 2*256*10 + 10
    counted = model_flops(keras.Model(inputs, outputs))
    assert counted["by_layer"] == {"conv": 2 * 8 * 8 * 4 * 9, "dense": 2 * 256 * 10 + 10}
    assert counted["uncounted"] == []
