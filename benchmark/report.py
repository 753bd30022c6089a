"""The report folder: results.json (every figure), report.md (for people), confusion-matrix PNGs.

    results = {"command", "code_version", "timestamp", "machine", "settings",
               "corpora", "rows", "throughput", "notes"}
"""

import json
from pathlib import Path

from benchmark import rows as row_kinds

RESULT_KEYS = ("command", "code_version", "timestamp", "machine", "settings", "corpora", "rows", "throughput", "notes")
PROTOCOL_NAMES = {
    "paper_80_20": "paper protocol: random stratified 80/20 clip split",
    "subject_folds": "subject-independent folds (mean ± std)",
    "corpus_split": "corpus split (FER2013 train / PublicTest)",
    "held_out_speakers": "held-out test speakers of avmodel's training (emoDB 03, 08; RAVDESS 19, 20)",
}
CORPUS_NAMES = {
    "enterface05": "eNTERFACE'05",
    "enterface05-replica": "eNTERFACE'05 replica (generated clips: a pipeline test, not eNTERFACE'05)",
    "fer2013": "FER2013 PublicTest",
    "emodb": "emoDB (speaker-independent)",
    "ravdess": "RAVDESS speech (speaker-independent)",
    "emodb+fer2013": "label-matched pairs: emoDB voice + FER2013 face",
    "ravdess+fer2013": "label-matched pairs: RAVDESS voice + FER2013 face",
}
STANDING_NOTES = (
    "eNTERFACE'05 has six classes (no neutral clips): every eNTERFACE'05 decision is the argmax over "
    "those six, the networks' neutral output excluded. Likewise every corpus's decisions are restricted "
    "to the classes present in it.",
    "Published figures are quoted from the papers, not measured here; measured rows say how they were measured.",
    "A row that was not measured holds no number, only the reason.",
    "Weights trained by `avmodel train` have heard every emoDB / RAVDESS speaker except the held-out ones; "
    "evaluated as given (--epochs 0), only their held-out-speaker rows are speaker-independent. Subject-fold "
    "rows are speaker-independent when the networks start from random weights or weights that never heard "
    "these corpora.",
)


def write_report(results, out):
    """Write results.json, the confusion PNGs and report.md into ``out``; returns the report.md Path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    missing = [key for key in RESULT_KEYS if key not in results]
    if missing:
        raise ValueError(f"results lack {missing}")
    for row in results["rows"]:
        if row["status"] == row_kinds.MEASURED:
            row["figure"] = confusion_png(row, out)
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    path = out / "report.md"
    path.write_text(render(results))
    return path


def confusion_png(row, out):
    """Save the row's confusion matrix as a PNG (rows true, columns predicted); returns its file name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import ConfusionMatrixDisplay

    name = row["id"].replace("/", "__").replace("+", "_") + ".png"
    classes = row["classes"]
    figure, axes = plt.subplots(figsize=(1.0 + 0.7 * len(classes), 0.8 + 0.7 * len(classes)))
    ConfusionMatrixDisplay(np.asarray(row["confusion"]), display_labels=classes).plot(
        ax=axes, cmap="Blues", colorbar=False, values_format="d", xticks_rotation=45, text_kw={"fontsize": 8})
    axes.set(xlabel="predicted", ylabel="true", title=f"{row['id']}\naccuracy {_percent(row['accuracy'])}")
    axes.title.set_fontsize(8)
    figure.tight_layout()
    figure.savefig(out / name, dpi=110)
    plt.close(figure)
    return name


# --- markdown --------------------------------------------------------------------


def render(results):
    """report.md text."""
    parts = [_header(results), _enterface_summary(results["rows"]), _accuracy_tables(results["rows"]),
             _per_class(results["rows"]), _throughput(results.get("throughput")), _notes(results)]  # fmt: skip
    return "\n\n".join(part for part in parts if part) + "\n"


def _header(results):
    machine = results["machine"]
    return "\n".join([
        "# avmodel benchmark report", "",
        f"- command: `{results['command']}`",
        f"- code version: `{results['code_version']}`",
        f"- time: {results['timestamp']}",
        f"- machine: {machine.get('cpu')} ({machine.get('cpu_cores')} cores), {machine.get('memory_gib')} GiB; "
        f"Keras backend {machine.get('backend')} on {machine.get('device')}",
        "- corpora: " + ", ".join(f"{name}: {info['status']}" for name, info in results["corpora"].items()),
    ])  # fmt: skip


def _percent(value, std=None):
    if value is None:
        return ""
    text = f"{100 * value:.1f}%"
    return f"{text} ± {100 * std:.1f}" if std is not None else text


def _accuracy_cell(row):
    if row["status"] == row_kinds.NOT_MEASURED:
        return f"not measured: {row['reason']}"
    text = _percent(row["accuracy"], row.get("accuracy_std"))
    return f"{text} (published)" if row["status"] == row_kinds.PUBLISHED else text


def _system_name(row):
    return row_kinds.SYSTEMS.get(row["system"], row["system"])


def _enterface_summary(all_rows):
    """The paper's comparison: published figures beside what was measured, fused rows."""
    lines = ["## eNTERFACE'05: the paper's comparison (six classes, fused)", "",
             "| system | 80/20 clip split | subject-independent folds |", "|---|---|---|"]  # fmt: skip
    for row in all_rows:
        if row["corpus"] == "enterface05" and row["status"] == row_kinds.PUBLISHED:
            split = _accuracy_cell(row) if row["protocol"] == "paper_80_20" else f"{_accuracy_cell(row)}, {row['protocol']}"
            lines.append(f"| {row['system']} | {split} | – |")
    for system in row_kinds.SYSTEMS:
        cells = [_find_cell(all_rows, "enterface05", protocol, system, "fused") for protocol in ("paper_80_20", "subject_folds")]
        lines.append(f"| {row_kinds.SYSTEMS[system]} (measured here) | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def _find_cell(all_rows, corpus, protocol, system, modality):
    for row in all_rows:
        if (row["corpus"], row["protocol"], row["system"], row["modality"]) == (corpus, protocol, system, modality):
            return _accuracy_cell(row)
    return "–"


def _accuracy_tables(all_rows):
    parts = ["## Accuracy, all rows"]
    corpora = list(dict.fromkeys(row["corpus"] for row in all_rows))
    for corpus in corpora:
        lines = [f"### {CORPUS_NAMES.get(corpus, corpus)}", "",
                 "| protocol | system | modality | accuracy | chance (uniform / majority) | macro F1 | test clips | training |",
                 "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for row in (r for r in all_rows if r["corpus"] == corpus):
            lines.append(_table_line(row))
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _table_line(row):
    protocol = PROTOCOL_NAMES.get(row["protocol"], row["protocol"])
    if row["status"] != row_kinds.MEASURED:
        source = row["reason"] if row["status"] == row_kinds.PUBLISHED else ""
        return f"| {protocol} | {_system_name(row)} | {row['modality']} | {_accuracy_cell(row)} | | | | {source} |"
    chance = f"{_percent(row['chance_uniform'])} / {_percent(row['chance_majority'])}"
    return (f"| {protocol} | {_system_name(row)} | {row['modality']} | {_accuracy_cell(row)} | {chance} | "
            f"{row['macro_f1']:.3f} | {row['samples']} | {_training_text(row)} |")  # fmt: skip


def _training_text(row):
    training = row.get("training") or {}
    if row["system"] == "avmodel":
        caveat = f"; **{training['caveat']}**" if training.get("caveat") else ""
        return f"{training.get('procedure', '')}; {len(row['splits'])} split(s){caveat}"
    return f"fitted per split; {len(row['splits'])} split(s)"


def _per_class(all_rows):
    measured = [row for row in all_rows if row["status"] == row_kinds.MEASURED]
    if not measured:
        return ""
    parts = ["## Per-class precision / recall / F1 (test clips of all splits pooled)"]
    for row in measured:
        lines = [f"### {row['id']}", "", f"accuracy {_accuracy_cell(row)}; chance {_percent(row['chance_uniform'])} "
                 f"uniform, {_percent(row['chance_majority'])} majority class; {row['samples']} test clips; "
                 f"{row['seconds']} s train + test", "", "| class | precision | recall | F1 |", "|---|---|---|---|"]  # fmt: skip
        lines += [f"| {name} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1-score']:.3f} |"
                  for name, v in row["per_class"].items()]  # fmt: skip
        lines += [f"- {text}: {count}" for text, count in row.get("notes", {}).items()]
        lines += ["", f"![confusion matrix]({row['figure']})"] if row.get("figure") else []
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _throughput(throughput):
    if not throughput:
        return "## Throughput\n\nnot measured in this run (add `--throughput`)."
    from benchmark.throughput import render_markdown

    return render_markdown(throughput)


def _notes(results):
    notes = list(STANDING_NOTES) + list(results.get("notes", []))
    return "## Notes\n\n" + "\n".join(f"- {note}" for note in notes)
