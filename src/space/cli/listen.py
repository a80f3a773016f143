"""space listen: recognise words live from the microphone (or a recording, as if live)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from typing import Any


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "listen",
        help="recognise words live from the microphone",
        description="Listen to the default microphone (or --device) and print each word "
        "heard, with its time and probability; with --word, each word found as an attempt "
        "at that word: its pronunciation score, band, what to work on and, where a bundled "
        "model knows the word, which word it heard (or 'not sure'). --input FILE streams a "
        "recording through exactly the same path, at real-time pace (or as fast as possible "
        "with --fast). Stop with Ctrl-C.",
    )
    p.add_argument("--model", "-m",
                   help="bundled model (digits, commands) or a checkpoint path (default: "
                   "digits; not with --grammar, which decodes with its own connected-digits "
                   "model)")
    p.add_argument("--word", "-w", help="score each word heard as an attempt at this word "
                   "(any word of the pronunciation lexicon; isolated words only: not with "
                   "--grammar, whose digits are each a different word)")
    p.add_argument("--input", "-i", metavar="FILE",
                   help="stream this recording instead of the microphone")
    p.add_argument("--fast", action="store_true",
                   help="with --input: as fast as possible instead of real-time pace")
    p.add_argument("--json", action="store_true", help="one JSON object per word on stdout")
    p.add_argument("--noise-reduce", action="store_true",
                   help="suppress stationary background noise (hum, fan) before recognising "
                   "each isolated word (not with --grammar)")
    p.add_argument("--min-probability", type=float,
                   help="report a word only when the model is at least this sure (default 0.4; "
                   "with --word 0: every attempt is scored, however unsure the recogniser, "
                   "and one that does not sound like the word says so)")
    p.add_argument("--grammar", metavar="G",
                   help="connected words: decode every stretch of speech into digits, said "
                   "with or without pauses; 'any' (any number) or 'digitsN' (exactly N, e.g. "
                   "digits4 for a PIN). --json then also prints a 'sequence' object per stretch")
    p.add_argument("--device", help="microphone: PortAudio device index or name")
    p.add_argument("--list-devices", action="store_true", help="list input devices and exit")
    p.add_argument("--chunk-ms", type=float, default=20.0, help=argparse.SUPPRESS)
    return p


def paced(chunks: Iterator[Any], sr: int) -> Iterator[Any]:
    """Deliver chunks no faster than real time (what a microphone would do)."""
    t0 = time.monotonic()
    n = 0
    for c in chunks:
        n += len(c)
        delay = t0 + n / sr - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield c


def _list_devices() -> int:
    from .. import mic

    devices = mic.input_devices()
    for d in devices:
        print(f"{d['index']}\t{d['name']}\t{d['channels']} ch\t{d['sr']} Hz")
    if not devices:
        print("no input devices found", file=sys.stderr)
    return 0


def _check_args(args: argparse.Namespace) -> None:
    """The flags' combinations and values, before a model loads or the microphone opens."""
    from .. import api
    from ..errors import UsageError

    if args.fast and not args.input:
        raise UsageError("--fast needs --input FILE (a microphone is always real time)")
    if args.input and args.device is not None:
        raise UsageError("--device picks a microphone; with --input the audio comes from "
                         "the file: leave out one of them")
    if args.min_probability is not None and not 0 <= args.min_probability <= 1:
        raise UsageError("--min-probability must lie within 0..1")
    # Refused rather than ignored: a user who names a word or a model expects it to be used.
    if args.grammar is not None and args.word:
        raise UsageError("--word scores isolated words; it cannot be combined with --grammar "
                         "(each digit of a sequence is a different word): leave out one of them")
    if args.grammar is not None and args.model is not None:
        raise UsageError("--grammar decodes with the bundled connected-digits model (digitseq); "
                         "--model applies to isolated words only: leave it out")
    if args.word:
        api.check_text(word=args.word)  # fail now, not at the first word
    if args.grammar is not None:
        api.check_grammar(args.grammar)  # a UsageError (bad usage) before the microphone opens


def run(args: argparse.Namespace) -> int:
    from .. import api, mic

    if args.list_devices:
        return _list_devices()
    _check_args(args)
    word = args.word or None
    if args.grammar is not None:
        rec = None  # sequence mode has its own connected-digits model
    else:
        rec = api.load_model(args.model or "digits")
    chunk_s = args.chunk_ms / 1000
    # Practising a word, every attempt the detector finds is scored: the recogniser is least
    # sure of the learners who need the feedback most (benchmarks/results/practice_stream.md)
    min_p = 0.0 if word and args.min_probability is None else args.min_probability
    gate = {} if min_p is None else {"min_probability": min_p}  # None: the stream's default

    def open_stream(sr: int) -> Any:
        return api.open_stream(rec, sr=sr, noise_reduce=args.noise_reduce,
                               grammar=args.grammar, **gate)

    microphone = None
    if args.input:
        sr, chunks = api.stream_file(args.input, chunk_s=chunk_s)
        stream = open_stream(sr)
        if not args.fast:
            chunks = paced(chunks, sr)
        source = args.input
    else:
        device: int | str | None = args.device
        if isinstance(device, str) and device.isdigit():
            device = int(device)
        microphone = mic.Microphone(device=device, chunk_s=chunk_s)
        # the stream first (noise suppression's import takes seconds): the banner means the
        # words said from then on are heard as they end, and a missing package is named
        # before the microphone opens
        stream = open_stream(microphone.sr)
        microphone.start()
        sr, chunks, source = microphone.sr, microphone.chunks(), microphone.name
        print(f"listening on {source!r} at {sr} Hz; Ctrl-C to stop", file=sys.stderr)
    n = 0
    heard = [0]  # samples streamed, for the summary line

    def counted(chunks: Iterator[Any]) -> Iterator[Any]:
        for c in chunks:
            heard[0] += len(c)
            yield c

    done = [0]  # sequences (--grammar) printed so far

    def report(events: list[Any]) -> int:
        for ev in events:
            _report(ev, word, args.json)
        # An utterance's sequence comes after its last word's event (the same call or a
        # later one, once the pause that ends it has been heard).
        for seq in stream.sequences[done[0]:]:
            _report_sequence(seq, args.json)
        done[0] = len(stream.sequences)
        return len(events)

    try:
        # chunk by chunk rather than stream.feed(): a sequence can end in a call that
        # yields no word event (its pause), and is printed then
        for chunk in counted(chunks):
            n += report(stream.accept(chunk))
        n += report(stream.flush())
    except KeyboardInterrupt:  # the normal way to stop listening
        n += report(stream.flush())
        print(file=sys.stderr)
    finally:
        if microphone is not None:
            microphone.close()
    if not args.json:
        found = f"{n} word(s)" if n else "no word found" if stream.n_unsure else "no speech found"
        unsure = "" if n or not stream.n_unsure else (
            f": {stream.n_unsure} sound(s) the model was less than "
            f"{stream.cfg.min_probability:.0%} sure of (--min-probability 0 shows every one)")
        print(f"{found} in {heard[0] / sr:.1f} s of audio from {source}{unsure}", file=sys.stderr)
    return 0


def _report_sequence(seq: dict[str, Any], as_json: bool) -> None:
    """The words of one stretch of connected speech, after its last word's line."""
    if as_json:
        print(json.dumps(seq), flush=True)
    else:
        print(f"{seq['start_s']:7.2f}-{seq['end_s']:.2f} s\tsequence\t"
              f"{' '.join(seq['sequence'])}", flush=True)


def _report(ev: Any, word: str | None, as_json: bool) -> None:
    from .. import api

    d = ev.to_dict()
    when = f"{ev.start_s:7.2f}-{ev.end_s:.2f} s"
    line = f"{when}\t{ev.label}\t{ev.probability:.2f}"
    if word is not None:
        scored = api.score_event(ev, word)
        d.update(scored)
        if scored["score"] is None:
            line += f"\tnot scored: {scored['score_error']}"
        else:
            # one judgement: the verdict's line on which word was heard, not the stream's
            # raw label (a doubtful '7' beside an 'excellent' 'three' said two things)
            line = (f"{when}\t{word}\tscore {scored['score']:.0f} ({scored['band']})\t"
                    f"{scored['sentence']}"
                    + (f"\theard: {scored['heard']}" if scored["heard"] else ""))
    print(json.dumps(d) if as_json else line, flush=True)

