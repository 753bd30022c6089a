"""A prediction for people: result dict -> text (command line), Markdown (demo) and a timeline plot.

The result dicts are ``Predictor.predict``'s; nothing here computes a probability.
"""

MODALITIES = (("fused", "fused"), ("audio", "voice"), ("visual", "face"))  # (result key, name for people)
TIMELINE_SIZE = (8, 3)  # inches: wide and short, one line per emotion
ANSWER_WORDS = {"audio+visual": "voice and face", "audio only": "the voice only", "visual only": "the face only"}


def ranked(probabilities, top=None):
    """{label: p} -> "happy 0.41  neutral 0.20  ...", most probable first."""
    order = sorted(probabilities.items(), key=lambda item: -item[1])[:top]
    return "  ".join(f"{label} {p:.2f}" for label, p in order)


def describe_found(found):
    """What a clip held, in a phrase: "3.00 s, 2 audio windows, a face in 8 of 8 key frames"."""
    parts = [f"{found['duration_s']:.2f} s"] if found["duration_s"] else ["still image"]
    if found["audio_track"]:
        parts.append(f"{found['audio_windows']} audio window{'s' * (found['audio_windows'] != 1)}")
    else:
        parts.append("no audio")
    if found["video_track"]:
        parts.append(f"a face in {found['key_frames_with_face']} of {found['key_frames']} key frames")
    else:
        parts.append("no picture")
    return ", ".join(parts)


def format_result(result):
    """One file's result as indented text lines for a terminal."""
    if "error" in result:
        return f"{result['path']}\n  error: {result['error']}"
    lines = [result["path"], f"  found:  {describe_found(result['found'])}",
             f"  answer: {result['emotion']} ({result['answer']})"]  # fmt: skip
    for key, name in MODALITIES:
        shown = ranked(result[key]) if result[key] else "-"
        lines.append(f"  {name + ':':7} {shown}")
    for window in result["windows"] if len(result["windows"]) > 1 else ():
        tops = [f"{name} {top_label(window[key])}" for key, name in MODALITIES if window[key]]
        lines.append(f"  {window['start']:6.2f} to {window['end']:.2f} s  {', '.join(tops)}")
    lines += [f"  note: {note}" for note in result["notes"]]
    return "\n".join(lines)


def top_label(probabilities):
    return max(probabilities, key=probabilities.get)


def status_markdown(result):
    """The demo's status line: what was found, what the answer rests on, the notes."""
    if "error" in result:
        return f"**Could not use this file.** {result['error']}"
    name = result["path"].replace("\\", "/").rsplit("/", 1)[-1]
    text = [(f"**{name}**: {describe_found(result['found'])}. "
             f"Answer: **{result['emotion']}**, from {ANSWER_WORDS[result['answer']]}.")]  # fmt: skip
    text += [f"- {note[0].upper()}{note[1:]}." for note in result["notes"]]
    return "\n".join(text)


def timeline_figure(result):
    """Probabilities per window over time (matplotlib Figure), or None for fewer than two windows.

    Plots the modality the answer rests on: fused, else audio, else visual.
    """
    windows = result.get("windows") or []
    if len(windows) < 2:
        return None
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in server threads

    key = {"audio+visual": "fused", "audio only": "audio", "visual only": "visual"}[result["answer"]]
    centres = [(window["start"] + window["end"]) / 2 for window in windows]
    figure = Figure(figsize=TIMELINE_SIZE, layout="constrained")
    axes = figure.add_subplot()
    for label in result["probabilities"]:
        axes.plot(centres, [window[key][label] if window[key] else None for window in windows],
                  marker="o", label=label)  # fmt: skip
    axes.set(xlabel="time (s, window centre)", ylabel=f"probability ({result['answer']})", ylim=(0, 1))
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return figure
