"""Batch jobs: folders, patterns and manifests expand to each file once; ``--out`` resumes a job."""

import json

import pytest

from avmodel.batch import InputError, expand_inputs
from avmodel.cli import main
from avmodel.constants import EMOTIONS
from avmodel.writers import PARQUET_PART_ROWS, done_paths, parquet_row
from tests import media


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/one.mp4", "a/b/two.WAV", "a/b/three.png", "a/notes.txt", "four.flac"):
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def test_folders_patterns_and_manifests_give_their_media_files(tree):
    folder = [str(tree / "a" / "b" / "three.png"), str(tree / "a" / "b" / "two.WAV"), str(tree / "a" / "one.mp4")]
    assert expand_inputs([tree / "a"]) == sorted(folder)  # notes.txt is no media file
    pattern = f"{tree}/**/*.mp4"
    assert expand_inputs([pattern, tree / "four.flac"]) == [str(tree / "a" / "one.mp4"), str(tree / "four.flac")]
    manifest = tree / "list.csv"
    manifest.write_text("path,label\na/one.mp4,happy\nfour.flac,sad\n")
    assert expand_inputs([manifest]) == [str(tree / "a" / "one.mp4"), str(tree / "four.flac")]
    assert expand_inputs([tree / "missing.mp4"]) == [str(tree / "missing.mp4")]  # reported as unreadable later


@pytest.mark.parametrize("name, message", [("empty", "no media file"), ("*.nothing", "no file matches"),
                                           ("bad.csv", "needs a 'path' column")])  # fmt: skip
def test_an_input_that_names_no_file_is_an_error_before_any_work(tmp_path, name, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.csv").write_text("file\nx.mp4\n")
    with pytest.raises(InputError, match=message):
        expand_inputs([str(tmp_path / name)])


def test_a_line_cut_short_by_a_kill_is_removed_and_its_file_done_again(tmp_path):
    out = tmp_path / "results.jsonl"
    out.write_text(json.dumps({"path": "a.mp4", "emotion": "happy"}) + "\n" + '{"path": "b.mp4", "emo')
    assert done_paths(out) == {"a.mp4"}
    assert out.read_text() == json.dumps({"path": "a.mp4", "emotion": "happy"}) + "\n"
    assert done_paths(tmp_path / "none.jsonl") == set()


def test_out_resumes_a_job_and_every_file_is_written_once(tiny_weights, astronaut_clip, media_dir, tmp_path, capsys):
    wav = media.make_wav(media_dir / "batch_tone.wav", 2.0)
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 100)
    out = tmp_path / "results.jsonl"
    files = [str(astronaut_clip), str(bad), str(wav)]
    assert main(["predict", *files[:2], "--out", str(out), "--weights", str(tiny_weights)]) == 0
    with out.open("a") as file:  # a kill while the next row was being written
        file.write('{"path": "' + str(wav))
    assert main(["predict", *files, "--out", str(out), "--weights", str(tiny_weights)]) == 0
    assert "2 of 3 files already in" in capsys.readouterr().err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["path"] for row in rows] == files  # each once, in order
    assert "error" in rows[1] and rows[0]["answer"] == "audio+visual" and rows[2]["answer"] == "audio only"
    assert main(["predict", *files, "--out", str(out), "--weights", str(tiny_weights)]) == 0  # nothing left
    assert len(out.read_text().splitlines()) == 3


def test_parquet_holds_the_rows_of_json_lines_and_resumes(tiny_weights, astronaut_clip, media_dir, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    wav = media.make_wav(media_dir / "batch_tone.wav", 2.0)
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 100)
    files, out, jsonl = [str(astronaut_clip), str(bad), str(wav)], tmp_path / "results.parquet", tmp_path / "r.jsonl"
    weights = ["--weights", str(tiny_weights)]
    assert main(["predict", *files[:2], "--format", "parquet", "--out", str(out), *weights]) == 0
    assert main(["predict", *files, "--format", "parquet", "--out", str(out), *weights]) == 0  # resumes: 1 to go
    assert sorted(p.name for p in out.iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert main(["predict", *files, "--out", str(jsonl), *weights]) == 0
    table = [maps_as_dicts(row) for row in pq.read_table(out).to_pylist()]  # arrow maps read back as pairs
    assert table == [parquet_row(json.loads(line)) for line in jsonl.read_text().splitlines()]
    assert table[1]["reason"] == "not an audio or video file" and table[1]["fused"] is None
    assert table[0]["fused"].keys() == table[0]["windows"][0]["audio"].keys() == set(EMOTIONS)
    assert done_paths(out) == set(files)


def maps_as_dicts(value):
    """A Parquet row with its label -> probability maps (lists of pairs) as dicts again."""
    if isinstance(value, dict):
        return {key: maps_as_dicts(item) for key, item in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], tuple):
        return dict(value)
    return [maps_as_dicts(item) for item in value] if isinstance(value, list) else value


def test_parquet_writes_a_part_every_few_rows_so_a_kill_loses_little(tmp_path):
    pytest.importorskip("pyarrow")
    from avmodel.writers import open_writer

    with open_writer("parquet", tmp_path / "out") as writer:
        for i in range(PARQUET_PART_ROWS + 1):
            writer.write({"path": f"{i}.wav", "error": "unreadable: x", "reason": "unreadable"})
        assert done_paths(tmp_path / "out") == {f"{i}.wav" for i in range(PARQUET_PART_ROWS)}  # one part so far
    assert len(done_paths(tmp_path / "out")) == PARQUET_PART_ROWS + 1  # the rest on leaving
    bad = {"path": "nan.wav", "emotion": "happy", "fused": {"happy": float("nan")}}
    with open_writer("parquet", tmp_path / "out") as writer:
        assert writer.write(bad)["reason"] == "internal"  # NaN is refused as in JSON Lines


def test_parquet_needs_an_out_folder(capsys):
    assert main(["predict", "x.mp4", "--format", "parquet"]) == 2
    assert "give --out" in capsys.readouterr().err


def test_out_of_the_other_kind_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "results.parquet").mkdir()
    (tmp_path / "results.jsonl").write_text("")
    assert main(["predict", "x.mp4", "--out", str(tmp_path / "results.parquet")]) == 2
    assert "is a folder (Parquet parts" in capsys.readouterr().err
    assert main(["predict", "x.mp4", "--format", "parquet", "--out", str(tmp_path / "results.jsonl")]) == 2
    assert "is a file; --format parquet cannot append" in capsys.readouterr().err
