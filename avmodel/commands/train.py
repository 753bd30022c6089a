"""avmodel train visual|audio|fusion --data FOLDER... --out RUN [options]

Every TrainConfig field is an option; the full configuration is saved as
RUN/config.json. Run the same command again to resume an interrupted run.
"""

from dataclasses import MISSING, fields

from avmodel.training.config import TASKS, TrainConfig

EXAMPLES = """examples:
  avmodel train visual --data cache/fer2013 --out runs/visual
  avmodel train audio --data cache/emodb cache/ravdess --out runs/audio --preset logmel
  avmodel train fusion --data cache/emodb cache/ravdess --face-data cache/fer2013 \\
      --audio-model runs/audio/best.keras --visual-model runs/visual/best.keras --out runs/fusion"""


def register(commands):
    parser = commands.add_parser("train", help="train a network on prepared folders", epilog=EXAMPLES,
                                 formatter_class=__import__("argparse").RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("task", choices=TASKS)
    for field in fields(TrainConfig):
        if field.name == "task":
            continue
        option = "--" + field.name.replace("_", "-")
        required = field.default is MISSING
        if field.type is tuple:
            kind = int if field.name == "frozen_blocks" else str
            parser.add_argument(option, nargs="+", type=kind, required=required,
                                default=None if required else field.default)  # fmt: skip
        elif field.type is bool:
            parser.add_argument(option, action=__import__("argparse").BooleanOptionalAction, default=field.default)
        else:
            parser.add_argument(option, type=field.type, required=required,
                                default=None if required else field.default)  # fmt: skip
    parser.set_defaults(run=run)


def run(args):
    import json

    from avmodel.training.run import train

    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    metrics = train(TrainConfig(**values))
    print(json.dumps({k: v["accuracy"] for k, v in metrics.items() if isinstance(v, dict) and "accuracy" in v}))
    for level in ("sample", "clip"):
        if level in metrics:
            print(f"test {level}-level accuracy: {metrics[level]['accuracy']:.4f} "
                  f"(chance {metrics[level]['chance_uniform']:.3f} uniform, "
                  f"{metrics[level]['chance_majority']:.3f} majority)")  # fmt: skip
