"""`make models` re-trains every shipped model, each stage after the stages whose files it
reads (so `make -j2 models` is safe), and `make model-<name>` re-trains just that one.
Checked with `make -n` (nothing runs)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# an outer `make test` must not hand its flags (-j, jobserver) to the dry runs
ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def dry_run(*args: str) -> list[str]:
    """The commands `make -n ARGS` would run (continuation lines joined), setup's left out."""
    out = subprocess.run(["make", "-n", "--no-print-directory", *args], cwd=ROOT, env=ENV,
                         capture_output=True, text=True, check=True).stdout
    lines = out.replace("\\\n", " ").splitlines()
    return [ln for ln in lines if re.search(r"space|phone_labels|learner_labels|scorer", ln)
            and "pip install" not in ln]


def test_models_rebuilds_every_shipped_model_file() -> None:
    text = "\n".join(dry_run("models"))
    shipped = sorted(p.name for p in (ROOT / "src" / "space" / "models").iterdir()
                     if p.suffix in (".pt", ".json") and not p.name.endswith(".last.pt"))
    assert len(shipped) >= 7
    missing = [n for n in shipped if f"src/space/models/{n}" not in text]
    assert not missing, f"make models writes none of {missing}"


def prerequisites(*goals: str) -> dict[str, set[str]]:
    """Each target's prerequisites as make reads them for ``goals`` (``make -pn``'s database)."""
    db = subprocess.run(["make", "-pn", "--no-print-directory", *goals], cwd=ROOT, env=ENV,
                        capture_output=True, text=True, check=True).stdout
    deps: dict[str, set[str]] = {}
    for m in re.finditer(r"^(model-[a-z]+|build/[\w/.]+|models):([^=\n]*)$", db, re.M):
        deps.setdefault(m[1], set()).update(m[2].replace("|", " ").split())  # order-only too
    return deps


def after(deps: dict[str, set[str]], target: str, stage: str) -> bool:
    """Does ``target`` wait for ``stage`` (directly or through other targets)?"""
    todo, seen = [target], set()
    while todo:
        t = todo.pop()
        for d in deps.get(t, ()):
            if d == stage:
                return True
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return False


def test_each_stage_waits_for_what_it_reads() -> None:
    deps = prerequisites("models")  # what make -j2 models may not run side by side
    for target, stage in [("model-references", "model-frames"),
                          ("model-digitseq", "model-frames"),
                          ("build/phone_labels.json", "model-references"),
                          ("model-phones", "build/phone_labels.json"),
                          ("build/so762/align.json", "model-phones"),
                          ("build/phones_half0.pt", "build/so762/align.json"),
                          ("build/phones_half1.pt", "model-phones"),
                          ("model-scorer", "build/phones_half0.pt"),
                          ("model-scorer", "build/phones_half1.pt")]:
        assert after(deps, target, stage), f"{target} does not wait for {stage}"
    # two lanes: the recognisers and the learner fine-tuning of half 1 beside the frames chain
    assert after(deps, "model-commands", "model-digits")
    assert after(deps, "build/phones_half1.pt", "model-commands")
    assert after(deps, "model-digitseq", "build/phones_half0.pt")
    assert not after(deps, "model-commands", "model-frames")
    assert not after(deps, "model-frames", "model-digits")
    assert not after(deps, "model-digits", "model-frames")
    alone = prerequisites("model-digitseq")  # one model: uses the frames.pt that is there
    assert not after(alone, "model-digitseq", "model-frames")
    scorer = prerequisites("model-scorer")  # ... but a newer phones.pt re-makes what it feeds
    assert after(scorer, "model-scorer", "src/space/models/phones.pt")
    assert not after(scorer, "model-scorer", "model-phones")


def test_parallel_run_gives_each_training_one_thread() -> None:
    trainings = [ln for ln in dry_run("-j2", "models") if re.search(r"space train", ln)]
    assert len(trainings) == 7  # digits, commands, frames, digitseq, phones, two fine-tunings
    assert all(ln.rstrip().endswith("--threads 1") for ln in trainings), trainings
    serial = [ln for ln in dry_run("models") if re.search(r"space train", ln)]
    assert not any("--threads" in ln for ln in serial)  # alone, a training uses every core
    assert dry_run("-j2", "models", "MODEL_THREADS=3")[0].rstrip().endswith("--threads 3")


def test_one_model_alone_does_not_retrain_what_it_starts_from() -> None:
    seq = dry_run("model-digitseq")
    assert any("space train-sequence" in ln for ln in seq)
    assert not any("train-frames" in ln or "references build" in ln for ln in seq)
    cmd = [ln for ln in dry_run("model-commands") if not ln.startswith("rm ")]
    assert len(cmd) == 1 and "--task 12" in cmd[0] and "src/space/models/commands.pt" in cmd[0]
