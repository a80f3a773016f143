"""Test-time voice normalisation trial (issue 21): does reading a clip through mel filters
stretched by a vocal-tract factor alpha, and keeping what the model says under the best
factor, hear children's and women's voices better without losing men's?

    python benchmarks/warp_search.py --model digits
    python benchmarks/warp_search.py --model commands --out benchmarks/results/warp_search.md

Classic VTLN (Lee & Rose 1996) picks alpha per utterance by likelihood; here the rules are
(a) the factor whose top class probability is highest, (b) the mean of the log
probabilities over the factors, (c) the mean probability. The factor set is fixed in
advance (a child's formants lie about 1.1-1.35x an adult man's; 0.9 for the other side),
not tuned on any set reported here. Sets: the espeak-ng panel of ``voices.py``, the
learners' correct words (``--learners-part``: the speaker ids the model did not train on),
FSDD's test split and, for ``commands``, Speech Commands' test split.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import voices  # noqa: E402

ALPHAS = (0.9, 1.0, 1.1, 1.2, 1.3)


def warped_frontends(rec, alphas):
    from space.audio.features import LogMel
    from space.audio.mel import mel_filterbank

    cfg = rec.feature_cfg
    out = {}
    for a in alphas:
        m = mel_filterbank(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels,
                           fmin=cfg.fmin * a, fmax=min(cfg.fmax * a, cfg.sample_rate / 2))
        n_bins = int(np.nonzero(m.any(axis=0))[0].max()) + 1
        out[a] = LogMel(cfg, mel=torch.tensor(m[:, :n_bins])).eval()
    return out


def log_probs(rec, fronts, windows: np.ndarray) -> np.ndarray:
    """[alphas, n, classes] log-probabilities."""
    cnn = rec.model.cnn
    res = []
    with torch.no_grad():
        x = torch.as_tensor(windows, dtype=torch.float32)
        for fe in fronts.values():
            outs = [torch.log_softmax(cnn(fe(x[i:i + 256])), dim=1) for i in range(0, len(x), 256)]
            res.append(torch.cat(outs).numpy())
    return np.stack(res)


def rules(lp: np.ndarray, alphas) -> dict[str, np.ndarray]:
    i1 = alphas.index(1.0)
    best = lp.max(axis=2).argmax(axis=0)  # [n] factor with the most confident answer
    return {
        "alpha 1 (today)": lp[i1].argmax(1),
        "max confidence": lp[best, np.arange(lp.shape[1])].argmax(1),
        "mean log p": lp.mean(0).argmax(1),
        "mean p": np.exp(lp).mean(0).argmax(1),
        **{f"alpha {a}": lp[k].argmax(1) for k, a in enumerate(alphas) if a != 1.0},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="digits")
    ap.add_argument("--learners-part", default="all", choices=["all", "even", "odd"])
    ap.add_argument("--alphas", default=",".join(map(str, ALPHAS)))
    ap.add_argument("--cache", default=str(voices.ROOT.parent / "cache-12"))
    ap.add_argument("--out", help="also append the markdown table to this file")
    args = ap.parse_args()
    from space.data import Example
    from space.recognize import load_model

    torch.set_num_threads(1)
    rec = load_model(args.model)
    words = voices.DIGIT_WORDS if "0" in rec.labels else voices.COMMANDS
    alphas = tuple(float(a) for a in args.alphas.split(","))
    fronts = warped_frontends(rec, alphas)
    sets = {f"espeak {kind}": voices.panel_clips(Path(args.cache), words, kind)
            for kind in ("male", "female", "child-like")}
    clips = voices.correct_learner_clips(voices.SHARED / "speechocean762_words", words,
                                         args.learners_part)
    sets[f"learners ({args.learners_part})"] = ([c["path"] for c in clips],
                                                [voices.word_label(c["word"]) for c in clips])
    if words == voices.DIGIT_WORDS:
        from space.data import fsdd_splits

        test = fsdd_splits(voices.SHARED / "fsdd").test
    else:
        from space.data.commands import command_splits

        test = [e for e in command_splits(voices.SHARED / "speech_commands").test
                if e.label in words]
    sets["test split"] = ([e.path for e in test], [e.label for e in test])
    table: dict[str, dict[str, str]] = {}
    for name, (paths, truth) in sets.items():
        batches = voices.window_batches(rec, [Example(str(p), "x") for p in paths])
        lp = log_probs(rec, fronts, np.concatenate(list(batches)))
        t = np.array(truth)
        for rule, pred in rules(lp, alphas).items():
            ok = int((np.array(rec.labels)[pred] == t).sum())
            table.setdefault(rule, {})[name] = f"{ok / len(t):.1%} ({ok}/{len(t)})"
        print(name, "done", file=sys.stderr)
    names = list(sets)
    lines = [f"### `{args.model}`, factors {', '.join(map(str, alphas))}", "",
             "| rule | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines += [f"| {rule} | " + " | ".join(row[n] for n in names) + " |"
              for rule, row in table.items()]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(f"\n{text}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
