"""space evaluate: accuracy, per-class report, confusion matrix."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._common import add_json, add_model, add_quiet, resolve_model, show_progress


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "evaluate",
        help="measure a model on a labelled data set",
        description="Accuracy, per-class precision/recall/F1 and the misclassified files of "
        "a model on a split of a data set folder; with --plot, the confusion matrix as a PNG.",
    )
    add_model(p, positional=True)
    p.add_argument("--data", required=True, help="data set folder")
    p.add_argument("--layout", default="auto", choices=["auto", "fsdd", "speech_commands", "folder"],
                   help="how the folder is organised; auto detects it")
    p.add_argument("--split", default="test", choices=["train", "val", "test", "all"],
                   help="which split to measure on")
    p.add_argument("--holdout-speaker", help="FSDD: evaluate on this speaker's clips")
    p.add_argument("--task", choices=["12", "all"],
                   help="Speech Commands task set-up (default: the one the model was trained on)")
    p.add_argument("--det", nargs="?", const="det.png", default=None, metavar="PNG",
                   help="also run a detection-error sweep (false rejects vs false alarms per "
                   "hour) over a long stream made from the split; writes PNG (default det.png) "
                   "and the numbers beside it as .json")
    p.add_argument("--plot", metavar="PNG", help="write the confusion matrix picture to PNG")
    add_json(p, "JSON report on stdout")
    add_quiet(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..api import det_model, evaluate_model
    from ..errors import UsageError
    from ..io import check_output_path

    model = resolve_model(args)
    progress = show_progress(args)
    if args.det is not None and args.holdout_speaker:
        raise UsageError("--det and --holdout-speaker cannot be combined")
    if args.det:  # the sweep runs after the evaluation: refuse its paths first
        check_output_path(args.det, what="--det")
        check_output_path(Path(args.det).with_suffix(".json"), what="--det")
    report, plot_path = evaluate_model(
        model, args.data, layout=args.layout, split=args.split,
        holdout_speaker=args.holdout_speaker, plot=args.plot or None, progress=progress,
        task=args.task,
    )
    det = None
    if args.det is not None:
        det = det_model(model, args.data, layout=args.layout, split=args.split,
                        task=args.task, plot=args.det or None, progress=progress)
    if args.json:
        d = report.to_dict()
        d["confusion_png"] = str(plot_path) if plot_path else None
        if det is not None:
            d["det"] = det.to_dict()
            d["det_png"] = args.det or None
        print(json.dumps(d, indent=2))
    else:
        print(report.text())
        for m in report.misclassified[:20]:
            print(f"  {m['file']}: {m['true']} -> {m['predicted']} ({m['probability']:.2f})")
        if len(report.misclassified) > 20:
            print(f"  ... {len(report.misclassified) - 20} more (see --json)")
        for s in report.skipped[:20]:  # named here too, not only in --json
            print(f"space evaluate: skipped: {s['error']}", file=sys.stderr)
        if len(report.skipped) > 20:
            print(f"space evaluate: ... {len(report.skipped) - 20} more skipped (see --json)",
                  file=sys.stderr)
        if plot_path:
            print(f"confusion matrix: {plot_path}", file=sys.stderr)
        if det is not None:
            print(det.text())
            if args.det:
                numbers = Path(args.det).with_suffix(".json")
                print(f"DET plot: {args.det} (numbers: {numbers})", file=sys.stderr)
    return 0
