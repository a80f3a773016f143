"""space export: write a model as ONNX or TorchScript, log-mel front end included."""

from __future__ import annotations

import argparse
import json
import sys

from ._common import add_json, add_model, resolve_model


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "export",
        help="export a model to ONNX or TorchScript for deployment",
        description="Write a model as an ONNX or TorchScript file that includes the log-mel "
        "front end. Input 'wave': float32 [batch, n_samples] mono audio at the model rate "
        "(16000 samples at 16 kHz for the bundled models), prepared as space.audio.prepare "
        "does (speech centred, peak 0.9). Output 'logits': float32 [batch, n_classes]. "
        "The labels and feature settings are stored in the file and in FILE.json beside it.",
    )
    add_model(p, positional=True)
    p.add_argument("--format", "-f", dest="fmt", default="onnx", choices=["onnx", "torchscript"],
                   help="file format")
    p.add_argument("--out", "-o", required=True, metavar="FILE",
                   help="file to write (e.g. commands.onnx or commands.pt)")
    add_json(p, "print what was written as JSON on stdout")
    return p


def run(args: argparse.Namespace) -> int:
    from ..recognize.engines.export import export_model

    path = export_model(resolve_model(args), args.out, fmt=args.fmt)
    if args.json:
        print(json.dumps({"file": str(path), "format": args.fmt, "metadata": f"{path}.json"},
                         indent=2))
    else:
        print(f"wrote {path} ({args.fmt}) and {path}.json", file=sys.stderr)
    return 0
