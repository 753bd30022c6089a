"""avmodel release --audio-run RUN --visual-run RUN --fusion-run RUN --fer FOLDER --audio-data FOLDER... --out DIR

Copies each run's best.keras into a weights folder and writes model_info.json
(labels, configs, data, splits, training times, code version) with the metrics
`avmodel evaluate` measures on the copied weights.
"""


def register(commands):
    parser = commands.add_parser("release", help="assemble a weights folder from training runs, with its metrics")
    for role in ("audio", "visual", "fusion"):
        parser.add_argument(f"--{role}-run", required=True, help=f"the {role} training run folder")
    parser.add_argument("--fer", required=True, help="prepared FER2013 folder (visual and fusion metrics)")
    parser.add_argument("--audio-data", nargs="+", required=True, help="prepared speech corpus folders")
    parser.add_argument("--out", default="avmodel/weights", help="weights folder to write (default: %(default)s)")
    parser.add_argument("--figures", default="docs/figures",
                        help="folder for the reliability diagrams (default: %(default)s)")  # fmt: skip
    parser.set_defaults(run=run)


def run(args):
    from avmodel.release import build_release

    runs = {"audio": args.audio_run, "visual": args.visual_run, "fusion": args.fusion_run}
    info = build_release(runs, args.out, args.fer, args.audio_data, args.figures)
    for role, report in info["calibration"].items():
        test = report["test"]
        print(f"{role}: temperature {report['temperature']:.3f}; test ECE {test['ece_before']:.4f} -> "
              f"{test['ece_after']:.4f}, NLL {test['nll_before']:.4f} -> {test['nll_after']:.4f}")
    for name, metrics in info["metrics"].items():
        print(f"{name}: accuracy {metrics['accuracy']:.4f} (n={metrics['samples']}, chance {metrics['chance_uniform']:.3f})")
