"""Benchmark of the 12-class Speech Commands model: accuracy, 48 kHz path, speed, DET.

    .venv/bin/python benchmarks/commands.py [--model commands] [--data DIR]

Prints the tables and writes them to benchmarks/results/commands.md (and the DET plot
beside it). Speed is one thread, median after warm-up, PyTorch and ONNX Runtime side by
side in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import timed_ms

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "speech_commands"


def accuracy_section(rec, splits) -> tuple[list[str], object]:
    from space.data.readers import SC_COMMANDS
    from space.recognize.words.evaluate import evaluate

    report = evaluate(rec, splits.test)
    cmd = [e for e in splits.test if e.label in SC_COMMANDS]
    cmd_acc = evaluate(rec, cmd).accuracy
    n_ok = int(round(report.accuracy * report.n))
    lines = ["## Accuracy on the subset's testing split (unseen speakers, 12 classes)", "",
             f"- all 12 classes: **{report.accuracy:.2%}** ({n_ok}/{report.n})",
             f"- the 10 command words only: {cmd_acc:.2%} ({len(cmd)} clips)", "",
             "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for lab in report.labels:
        c = report.per_class[lab]
        lines.append(f"| {lab} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | "
                     f"{c['support']} |")
    conf = {}
    for m in report.misclassified:
        key = f"{m['true']} -> {m['predicted']}"
        conf[key] = conf.get(key, 0) + 1
    top = sorted(conf.items(), key=lambda kv: -kv[1])[:8]
    lines += ["", "Most frequent confusions: " + ", ".join(f"{k} ({v})" for k, v in top), ""]
    return lines, report


def resample_section(rec, splits) -> list[str]:
    import soundfile as sf
    import soxr

    from space import audio

    yes = [e for e in splits.test if e.label == "yes"]
    same_array, same_file, right16 = 0, 0, 0
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        for e in yes:
            y16, sr = audio.load(e.path)
            y48 = soxr.resample(y16, sr, 48000).astype(np.float32)  # as a browser would send
            p16 = rec.predict(y16, sr=sr).label
            p48 = rec.predict(y48, sr=48000).label
            f48 = Path(tmp) / "yes48.wav"
            sf.write(f48, y48, 48000, subtype="PCM_16")
            pf = rec.predict(f48).label
            same_array += p48 == p16
            same_file += pf == p16
            right16 += p16 == "yes"
            if first is None:
                first = (Path(e.path).name, p16, p48, pf)
    n = len(yes)
    return ["## The same 'yes' through a 48 kHz path", "",
            f"First 'yes' test clip ({first[0]}): 16 kHz original -> '{first[1]}', "
            f"resampled to 48 kHz (array) -> '{first[2]}', as a 48 kHz 16-bit WAV -> "
            f"'{first[3]}'.", "",
            "| all 'yes' test clips | count |", "|---|---|",
            f"| clips | {n} |",
            f"| 16 kHz prediction is 'yes' | {right16} |",
            f"| 48 kHz array gets the 16 kHz label | {same_array} |",
            f"| 48 kHz 16-bit WAV gets the 16 kHz label | {same_file} |", ""]


def speed_section(rec, model_path: Path, clip: Path, n: int) -> list[str]:
    import onnxruntime as ort
    import torch

    from space import threads as space_threads
    from space.recognize.engines.export import export_model

    space_threads.apply(1)  # the package's policy: engines follow it
    x1 = rec.prepare(clip)[None]
    x64 = np.repeat(x1, 64, axis=0)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_model(model_path, Path(tmp) / "m.onnx", fmt="onnx")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    model = rec.model.eval()

    def pt(x):
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    def onnx(x):
        return sess.run(["logits"], {"wave": x})[0]

    diff = float(np.abs(pt(x64) - onnx(x64)).max())
    rows = []
    for name, fn in (("PyTorch", pt), ("ONNX Runtime", onnx)):
        model_ms = timed_ms(lambda fn=fn: fn(x1), n=n)
        file_ms = timed_ms(lambda fn=fn: fn(rec.prepare(clip)[None]), n=n)
        batch_ms = timed_ms(lambda fn=fn: fn(x64), n=max(5, n // 20), warmup=3)
        rows.append((name, model_ms, file_ms, batch_ms))
    lines = ["## Inference speed (1 thread, after warm-up; median / fastest run)", "",
             "| runtime | model only, 1 clip (ms) | from file: load + prepare + model (ms) | "
             "batch of 64 (clips/s) |", "|---|---|---|---|"]
    for name, a, b, c in rows:
        lines.append(f"| {name} | {a[0]:.2f} / {a[1]:.2f} | {b[0]:.2f} / {b[1]:.2f} | "
                     f"{64000 / c[0]:.0f} / {64000 / c[1]:.0f} |")
    lines += ["", f"ONNX Runtime / PyTorch, model only: {rows[1][1][0] / rows[0][1][0]:.2f}x "
              f"(median), {rows[1][1][1] / rows[0][1][1]:.2f}x (fastest). Largest logit "
              f"difference over the batch: {diff:.2e}. The machine is shared (see the load "
              "above): medians include waiting for a core.", ""]
    return lines


def det_section(rec, splits, data: Path, out_png: Path) -> list[str]:
    from space.recognize.words import det

    r = det.run_det(rec, splits.test, noise_dir=str(data / "_background_noise_"), hop_s=0.1)
    det.save_plot(r, out_png, title=f"commands model, {r.hours * 60:.0f}-min test stream")
    lines = ["## Detection errors over a long stream (`space evaluate --det`)", "",
             f"Stream: the {r.n_clips} test clips in random order with 0.3-1.2 s noise gaps "
             f"and the silence spans as noise stretches, {r.hours * 60:.1f} min; "
             f"{r.n_occurrences} keyword occurrences; 1-s windows every 100 ms.", "",
             "| threshold | false-reject rate | false alarms per hour |", "|---|---|---|"]
    for t, f, a in zip(r.thresholds, r.frr, r.fa_per_hour, strict=True):
        if t in (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999):
            lines.append(f"| {t:g} | {f:.1%} | {a:.1f} |")
    lines += ["", "False-reject rate at " + ", ".join(
        f"{a:g} FA/h: {r.frr_at(a):.1%}" for a in (1, 5, 10, 20)) + f". Plot: {out_png.name}", ""]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="commands")
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--runs", type=int, default=200, help="timed runs per speed figure")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "commands.md"))
    ap.add_argument("--no-det", action="store_true")
    args = ap.parse_args()

    from space.data.commands import command_splits
    from space.recognize.bundled import resolve_model
    from space.recognize.words.recognizer import load_model

    data = Path(args.data)
    if not (data / "testing_list.txt").is_file():
        print(f"Speech Commands data not found at {data}", file=sys.stderr)
        return 2
    model_path = resolve_model(args.model)
    rec = load_model(model_path)
    splits = command_splits(data)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    meta = rec.ckpt.meta
    lines = ["# Speech Commands `commands` model benchmark", "",
             f"Model: `{args.model}` ({model_path.stat().st_size / 1e6:.1f} MB, labels "
             f"{', '.join(rec.labels)}); trained {meta.train_s or '?'} s, best epoch "
             f"{meta.best_epoch or '?'}. Data: {data.name} subset, testing split "
             f"({splits.info['test_counts']}). Machine: {platform.machine()}, "
             f"{os.cpu_count()} CPUs (shared), load average {os.getloadavg()[0]:.1f} at start.",
             "", "Reproduce: `.venv/bin/python benchmarks/commands.py`", ""]
    acc_lines, _ = accuracy_section(rec, splits)
    lines += acc_lines
    lines += resample_section(rec, splits)
    yes_clip = next(Path(e.path) for e in splits.test if e.label == "yes")
    lines += speed_section(rec, model_path, yes_clip, args.runs)
    if not args.no_det:
        lines += det_section(rec, splits, data, out.with_name("commands_det.png"))
    lines.append(f"(benchmark ran {time.time() - t0:.0f} s)")
    text = "\n".join(lines) + "\n"
    print(text)
    out.write_text(text)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
