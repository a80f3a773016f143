"""How long `make models` takes, stage by stage: re-trains every bundled model in a clean clone.

    python benchmarks/make_models.py [--jobs 2] [--goal models] [--workdir DIR] [--out FILE]
    python benchmarks/make_models.py --log LOG      # only tabulate a finished run's log

Clones this repository's HEAD into ``--workdir`` (the tree you work in is never touched:
`make models` rewrites ``src/space/models``), links ``../shared`` beside it, runs
``make setup`` (not timed), then ``make -j<jobs> models`` with a shell that logs each
recipe line's end time, duration and exit status (``<workdir>/times.log``). Prints, per stage
(digits, commands, frames, references, digitseq, phone labels, phones, learner labels,
the two learner fine-tunings, scorer), its minutes and when it started and ended (minutes
from the start), then the wall time and the sum of the stages' minutes, with the CPU and
load average before and after (``_common.describe()``). The clone's models are left in
``--workdir`` to be compared with the shipped ones.

Each stage's time depends on what runs beside it: with ``--jobs 2`` on a 2-core machine two
one-thread trainings share the memory bus. The wall time is the figure the README quotes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from _common import describe

from space.errors import SpaceError
from space.io import atomic_write, check_output_path

ROOT = Path(__file__).resolve().parents[1]

# recipe line (a regex on the command) -> stage; lines that match none (rm, mkdir, the
# recursive `make references`, setup's checksum) are not stages.
STAGES = [
    (r"space train --data \S*fsdd", "digits"),
    (r"space train --data \S*speech_commands --task 12", "commands"),
    (r"space train-frames", "frames"),
    (r"space references build|find src/space/references", "references"),
    (r"space train-sequence", "digitseq (connected digits)"),
    (r"space\.training\.phone_labels", "phone labels (PocketSphinx)"),
    (r"space train-phones --labels", "phones"),
    (r"space\.training\.learner_labels", "learner labels (decode, align)"),
    (r"--hold-out-half 0", "phones fine-tuned on learners, half 0 held out"),
    (r"--hold-out-half 1", "phones fine-tuned on learners, half 1 held out"),
    (r"space\.training\.scorer", "scorer fit"),
]

# The logging shell make runs each recipe line with: "<end HH:MM:SS> <seconds>s rc=<rc> :: <cmd>".
SHELL = """#!/bin/bash
s=$(date +%s); /bin/bash "$@"; rc=$?; e=$(date +%s)
echo "$(date +%T) $((e-s))s rc=$rc :: $(echo "${@: -1}" | tr '\\n' ' ' | cut -c1-200)" >> LOG
exit $rc
"""
LINE = re.compile(r"^(\d\d:\d\d:\d\d) (\d+)s rc=(-?\d+) :: (.*)$")


def parse(log: Path) -> list[tuple[str, float, float, int]]:
    """``(stage, start s, end s, rc)`` per stage (its lines joined), times from the first start."""
    spans: dict[str, list[float]] = {}
    rcs: dict[str, int] = {}
    day = dt.date(2000, 1, 1)
    last = None
    for raw in log.read_text().splitlines():
        m = LINE.match(raw)
        if not m:
            continue
        end = dt.datetime.combine(day, dt.time.fromisoformat(m[1]))
        if last is not None and end < last - dt.timedelta(hours=1):  # past midnight
            day += dt.timedelta(days=1)
            end += dt.timedelta(days=1)
        last = end
        stage = next((name for pat, name in STAGES if re.search(pat, m[4])), None)
        if stage is None:
            continue
        e = end.timestamp()
        s = e - int(m[2])
        lo, hi = spans.get(stage, [s, e])
        spans[stage] = [min(lo, s), max(hi, e)]
        rcs[stage] = rcs.get(stage, 0) or int(m[3])
    if not spans:
        raise SystemExit(f"error: no stage found in {log}")
    t0 = min(s for s, _ in spans.values())
    order = [name for _, name in STAGES]
    return sorted(((k, s - t0, e - t0, rcs[k]) for k, (s, e) in spans.items()),
                  key=lambda r: (r[1], order.index(r[0])))


def table(rows: list[tuple[str, float, float, int]], jobs: int | None, goal: str = "models") -> str:
    wall = max(e for _, _, e, _ in rows) - min(s for _, s, _, _ in rows)
    out = ["| stage | minutes | started / ended (min from start) | exit |",
           "|---|---|---|---|"]
    for name, s, e, rc in rows:
        out.append(f"| {name} | {(e - s) / 60:.1f} | {s / 60:.1f} / {e / 60:.1f} | {rc} |")
    total = sum(e - s for _, s, e, _ in rows)
    how = f"`make -j{jobs} {goal}`" if jobs else f"`make {goal}`"
    out.append(f"| **wall time, {how}** | **{wall / 60:.1f}** | sum of the stages {total / 60:.1f} | |")
    return "\n".join(out)


def run(workdir: Path, jobs: int, goal: str) -> tuple[Path, str, str]:
    if workdir.exists() and any(workdir.iterdir()):
        raise SystemExit(f"error: {workdir} is not empty; give an empty or new --workdir")
    repo = workdir / "main"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    (workdir / "shared").symlink_to((ROOT.parent / "shared").resolve())
    log = workdir / "times.log"
    shell = workdir / "timesh"
    shell.write_text(SHELL.replace("LOG", shlex.quote(str(log))))
    shell.chmod(0o755)
    subprocess.run(["make", "setup"], cwd=repo, check=True, stdout=subprocess.DEVNULL)
    before = describe()
    t = time.time()
    with open(workdir / "make.log", "w") as f:
        rc = subprocess.run(["make", f"-j{jobs}", goal, f"SHELL={shell}"], cwd=repo,
                            stdout=f, stderr=subprocess.STDOUT).returncode
    print(f"make -j{jobs} {goal}: exit {rc}, {(time.time() - t) / 60:.1f} min "
          f"(output: {workdir / 'make.log'})", file=sys.stderr)
    return log, before, describe()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=2,
                    help="make -j (default 2: this machine's cores); with --log, the run's")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/space-make-models"))
    ap.add_argument("--goal", default="models",
                    help="make target (default models; model-references is a 1-min check)")
    ap.add_argument("--log", type=Path, help="tabulate this finished run's times.log only")
    ap.add_argument("--out", help="also write the markdown here")
    a = ap.parse_args()
    try:  # before the hour of training, not after it
        if a.out:
            check_output_path(a.out, what="--out")
    except SpaceError as e:
        raise SystemExit(f"error: {e}") from None
    if a.log:
        text = table(parse(a.log), a.jobs, a.goal) + f"\n\n(from {a.log})"
    else:
        log, before, after = run(a.workdir, a.jobs, a.goal)
        text = f"{table(parse(log), a.jobs, a.goal)}\n\n- before: {before}\n- after: {after}"
    print(text)
    if a.out:
        atomic_write(a.out, lambda tmp: Path(tmp).write_text(text + "\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
