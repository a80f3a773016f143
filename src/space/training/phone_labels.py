"""Phone labels for training the phone encoder: forced alignments of clips whose word is known.

    python -m space.training.phone_labels [--shared ../shared/data] [--out cache/phone_labels.json]

Aligns (PocketSphinx, CMUdict; :func:`space.pronounce.lexicon.pocketsphinx.align`) every clip of the
Speech Commands subset (all splits: the split is recorded so training can keep to its
training speakers), ``sc_v1_words``, FSDD and the bundled reference clips, and writes one
JSON file: ``{"clips": {path: {"word", "source", "split", "speaker", "sr", "phones":
[[phone, start_s, end_s], ...]}}, "failed": {path: reason}}``. Resumable: clips already in
the output are kept. The learners' data (speechocean762) is deliberately left out: it is
what the scorer is measured on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import audio
from ..errors import SpaceError
from ..pronounce.lexicon.phones import pronunciation, spoken_word
from ..pronounce.lexicon.pocketsphinx import align

DEFAULT_OUT = Path("cache") / "phone_labels.json"


def _sources(shared: Path, references: Path) -> list[tuple[str, str, str, str, str]]:
    """(path, word, source, split, speaker) of every clip to label."""
    from ..data import fsdd_splits, speech_commands_splits

    out = []
    sc = shared / "speech_commands"
    if sc.is_dir():
        s = speech_commands_splits(sc)
        for split in ("train", "val", "test"):
            for e in s.get(split):
                if e.label.startswith("_"):
                    continue
                out.append((e.path, e.label, "speech_commands", split, e.speaker or ""))
    v1 = shared / "sc_v1_words"
    if v1.is_dir():
        for p in sorted(v1.glob("*/*.wav")):
            out.append((str(p), p.parent.name, "sc_v1_words", "train", p.name.split("_")[0]))
    fsdd = shared / "fsdd"
    if fsdd.is_dir():
        f = fsdd_splits(fsdd)
        for split in ("train", "val", "test"):
            for e in f.get(split):
                out.append((e.path, e.label, "fsdd", split, e.speaker or ""))
    for d in sorted(p for p in references.iterdir() if p.is_dir()):
        for p in sorted(d.iterdir()):
            if p.suffix in (".flac", ".wav"):
                out.append((str(p), d.name, "references", "reference", p.stem))
    return out


def build(out: Path, shared: Path, references: Path, *,
          log: Callable[[str], None] = print, save_every: int = 500) -> dict[str, Any]:
    """Label every clip (see the module doc) into ``out``; returns the JSON object."""
    data: dict[str, Any] = {"clips": {}, "failed": {}}
    if out.is_file():
        data = json.loads(out.read_text())
    todo = [s for s in _sources(shared, references)
            if s[0] not in data["clips"] and s[0] not in data["failed"]]
    log(f"{len(todo)} clips to align ({len(data['clips'])} done before)")
    t0 = time.time()

    def save() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, out)

    for k, (path, word, source, split, speaker) in enumerate(todo):
        if pronunciation(word) is None:
            data["failed"][path] = f"no pronunciation for {word!r}"
            continue
        try:
            y, sr = audio.load(path, max_duration_s=None)
            spans = align(y, sr, word)
        except SpaceError as e:
            data["failed"][path] = str(e)[:200]
            continue
        data["clips"][path] = {"word": spoken_word(word), "source": source, "split": split,
                               "speaker": speaker, "sr": int(sr),
                               "phones": [[s.phone, round(s.start_s, 3), round(s.end_s, 3)]
                                          for s in spans]}
        if (k + 1) % save_every == 0:
            save()
            log(f"{k + 1}/{len(todo)} ({time.time() - t0:.0f} s)")
    save()
    log(f"done: {len(data['clips'])} labelled, {len(data['failed'])} failed "
        f"({time.time() - t0:.0f} s)")
    return data


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m space.training.phone_labels",
                                description=__doc__.split("\n\n")[0])
    here = Path(__file__).resolve()
    p.add_argument("--shared", default=str(here.parents[4] / "shared" / "data"))
    p.add_argument("--references", default=str(here.parents[1] / "references"))
    p.add_argument("--out", default=str(DEFAULT_OUT))
    a = p.parse_args(argv)
    build(Path(a.out), Path(a.shared), Path(a.references),
          log=lambda m: print(m, file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
