"""benchmark.batch_rate: each real clip linked under its own name; the table says what was measured."""

from pathlib import Path

import pytest

from benchmark import batch_rate
from tests.conftest import data_path


def test_every_clip_is_linked_under_its_own_name(tmp_path, monkeypatch):
    monkeypatch.setattr(batch_rate, "CREMA_D_VIDEO", data_path("crema-d"))
    paths = batch_rate.linked_clips(tmp_path, copies=2)
    assert len(paths) == len(set(paths)) == 2 * len(list(data_path("crema-d").glob("*.flv")))
    assert all(Path(path).resolve().parent == data_path("crema-d").resolve() for path in paths)


def test_no_clips_is_an_error_naming_the_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(batch_rate, "CREMA_D_VIDEO", tmp_path / "none")
    with pytest.raises(FileNotFoundError, match="no CREMA-D clips"):
        batch_rate.linked_clips(tmp_path, copies=1)


def test_the_table_has_a_row_per_run_with_its_figures():
    run = {"seconds": 30.2, "clips_per_second": 0.8, "first_row_after_s": 13.0, "steady_clips_per_second": 1.3,
           "errors": 1}  # fmt: skip
    text = batch_rate.markdown({"files": 24, "same_rows_in_order": True, "runs": {"one process": run}}, "cmd")
    assert "24 real CREMA-D clips (`cmd`)" in text and "| one process | 30.2 | 0.8 | 13.0 s | 1.3 | 1 |" in text
