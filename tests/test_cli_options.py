"""One spelling per concept across sub-commands, help with defaults, --json that parses,
no files written unasked, progress bars only on a terminal."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.cli import build_parser, main
from space.cli._common import HelpFormatter, show_progress

from .conftest import ROOT, word_like

EXAMPLE = ROOT / "examples" / "3_three_espeak_female.wav"
# train's options belong to the training rework (issue 9b); every other command is checked.
CHECKED = ["predict", "evaluate", "export", "data", "listen", "score", "references", "serve"]


def _leaf_parsers(parser: argparse.ArgumentParser, name: str = "space"):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield name, parser
    for s in subs:
        for child, p in s.choices.items():
            yield from _leaf_parsers(p, f"{name} {child}")


def _commands():
    parser = build_parser()
    return [(n, p) for n, p in _leaf_parsers(parser) if n.split()[1] in CHECKED]


def test_every_option_has_help_and_states_its_default():
    seen = 0
    for name, p in _commands():
        assert p.formatter_class is HelpFormatter, name
        text = p.format_help()
        for a in p._actions:
            if a.help == argparse.SUPPRESS or isinstance(a, argparse._HelpAction):
                continue
            assert a.help, f"{name} {a.option_strings or a.dest}: no help text"
            if a.option_strings and a.default not in (None, False, ""):
                seen += 1
                assert "default" in p._get_formatter()._get_help_string(a).lower(), (name, a.dest)
                assert str(a.default) in text or "default" in a.help, (name, a.dest)
    assert seen >= 15


def test_one_name_per_concept():
    by_cmd = {n: {s for a in p._actions for s in a.option_strings} for n, p in _commands()}
    # the model: --model/-m everywhere a model is used
    for cmd in ("space predict", "space evaluate", "space export", "space listen",
                "space score", "space serve"):
        assert {"--model", "-m"} <= by_cmd[cmd], cmd
    # output files and folders: --out/-o (data's --to and build's --k still parse, unshown)
    for cmd in ("space export", "space data download", "space references build"):
        assert {"--out", "-o"} <= by_cmd[cmd], cmd
    # -k is predict's top-k only; references per word is --per-word
    assert "--per-word" in by_cmd["space references build"]
    assert [c for c, opts in by_cmd.items() if "-k" in opts] == ["space predict"]
    # --json wherever a command reports something
    for cmd in ("space predict", "space evaluate", "space export", "space data download",
                "space listen", "space score", "space references build",
                "space references add", "space references list"):
        assert "--json" in by_cmd[cmd], cmd
    help_text = build_parser()._subparsers._group_actions[0].choices["data"].format_help()
    assert "--to" not in help_text


def test_old_spellings_still_parse():
    p = build_parser()
    a = p.parse_args(["data", "download", "fsdd", "--to", "x"])
    assert a.out == "x"
    a = p.parse_args(["references", "build", "--data", "d", "--out", "o", "--k", "3"])
    assert a.per_word == 3
    a = p.parse_args(["evaluate", "commands", "--data", "d"])
    assert a.model_positional == "commands" and a.model is None


def test_two_different_models_is_a_usage_error(tmp_path, capsys):
    rc = main(["export", "digits", "--model", "commands", "--out", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert rc == 2 and "two models given" in err and err.count("\n") == 1


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys\nfrom space.cli import build_parser\nbuild_parser().format_help()\n"
            "import space.cli.references as r\nr.list_rows()\n"
            "print(sorted({k.split('.')[0] for k in sys.modules} & "
            "{'torch', 'numba', 'librosa', 'scipy', 'matplotlib', 'sklearn'}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_references_list_header_relative_paths_and_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    assert main(["references", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    from space.pronounce.references.folders import bundled_dir

    assert lines[0] == f"# bundled references: {bundled_dir()}"
    assert lines[1].startswith("# user references:") and str(tmp_path / "refs") in lines[1]
    assert lines[2] == "word\tclips\tsource\tfolder\tnote"
    rows = [ln.split("\t") for ln in lines[3:]]
    assert rows[0] == ["0", "5", "bundled", "0"]
    assert all(not Path(r[3]).is_absolute() for r in rows)
    assert main(["references", "list", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["folders"] == {"bundled": str(bundled_dir()), "user": str(tmp_path / "refs")}
    assert d["words"][0] == {"word": "0", "clips": 5, "source": "bundled", "folder": "0",
                             "replaces_bundled": False}
    assert len(d["words"]) == len(rows)


def test_references_add_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    assert main(["references", "add", "Seven", str(EXAMPLE), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["word"] == "7" and len(d["files"]) == 1
    assert Path(d["files"][0]).parent == tmp_path / "refs" / "7"
    assert main(["references", "list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("7\t"))
    assert line.startswith("7\t1\tuser\t7\treplaces the bundled set")


def test_export_json(tmp_path, tiny_model, capsys):
    out = tmp_path / "m.pt"
    assert main(["export", "--model", str(tiny_model), "-f", "torchscript", "-o", str(out),
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d == {"file": str(out), "format": "torchscript", "metadata": f"{out}.json"}
    assert out.is_file() and Path(d["metadata"]).is_file()


def test_evaluate_writes_no_file_unasked(tiny_model, synthetic_dataset, tmp_path, monkeypatch,
                                         capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "-m", str(tiny_model), "--data", str(synthetic_dataset),
                 "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["confusion_png"] is None and rep["accuracy"] >= 0.9
    assert list(tmp_path.iterdir()) == []


def test_progress_only_on_a_terminal(monkeypatch):
    class Stream:
        def __init__(self, tty: bool) -> None:
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    args = argparse.Namespace(quiet=False)
    monkeypatch.setattr(sys, "stderr", Stream(True))
    assert show_progress(args) is True
    assert show_progress(argparse.Namespace(quiet=True)) is False
    monkeypatch.setattr(sys, "stderr", Stream(False))
    assert show_progress(args) is False


def test_no_progress_bar_in_a_log(tmp_path, tiny_model):
    files = []
    for i in range(3):
        p = tmp_path / f"c{i}.wav"
        sf.write(p, word_like(i, 16000, np.random.default_rng(i)), 16000)
        files.append(str(p))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-m", "space", "predict", "-m", str(tiny_model), *files],
                       capture_output=True, text=True, env=env, check=True)
    assert r.stderr == ""  # no tqdm bar (it would write "\r  0%|..." here)
    assert len(r.stdout.splitlines()) == 3


def test_score_missing_file_checked_before_loading(tmp_path):
    code = ("import sys\nfrom space.cli import main\n"
            f"rc = main(['score', '--word', '3', {str(tmp_path / 'missing.wav')!r}])\n"
            "print(rc, sorted({k.split('.')[0] for k in sys.modules} & {'torch', 'numba'}))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "2 []"
    assert r.stderr.strip() == f"space score: error: {tmp_path / 'missing.wav'}: file not found"


@pytest.mark.parametrize("args", [["--word", "3", "--model", "digits"], ["--word", "3"]])
def test_score_model_option(args, capsys):
    assert main(["score", *args, "--json", str(EXAMPLE)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["recognized"]["label"] == "3" and d["recognized"]["matches_word"] is True


def test_score_model_that_does_not_know_the_word(capsys):
    assert main(["score", "--word", "3", "--model", "commands", "--json", str(EXAMPLE)]) == 0
    assert json.loads(capsys.readouterr().out)["recognized"] is None


def test_no_true_or_false_defaults_in_help():
    """A boolean option's default reads 'on'/'off', never argparse's '(default: True)'."""
    for name, p in _leaf_parsers(build_parser()):
        text = p.format_help()
        for bad in ("(default: True)", "(default: False)", "(default: None)"):
            assert bad not in text, (name, bad)


def test_train_writes_no_progress_bar_into_a_log(tmp_path, synthetic_dataset):
    """README: bars only on a terminal. stderr here is a file, as in `space train 2>log`."""
    log = tmp_path / "log"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    with open(log, "w") as fh:
        subprocess.run([sys.executable, "-m", "space", "train", "--data", str(synthetic_dataset),
                        "--out", str(tmp_path / "m.pt"), "--epochs", "1", "--batch-size", "32",
                        "--channels", "4,8"], stderr=fh, stdout=subprocess.DEVNULL, env=env,
                       check=True, timeout=600)
    text = log.read_text()
    assert "\r" not in text and "epoch 1/1: loss" in text  # the epoch lines stay


def test_references_list_takes_references_dir_after_the_action(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    for argv in (["references", "list", "--references-dir", str(mine), "--json"],
                 ["references", "--references-dir", str(mine), "list", "--json"]):
        assert main(argv) == 0
        assert json.loads(capsys.readouterr().out)["folders"]["user"] == str(mine)


@pytest.mark.parametrize("argv, message", [
    (["--max-upload-mb", "0"], "--max-upload-mb must be at least 0.001 (1 KB), not 0"),
    (["--max-duration-s", "-1"], "--max-duration-s must be more than 0, not -1"),
    (["--png-workers", "-1"], "--png-workers must be 0 or more, not -1"),
])
def test_serve_bad_limits_name_the_flags(capsys, argv, message):
    assert main(["serve", "--port", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"space serve: error: {message}"


def test_serve_busy_port_fails_before_the_banner():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        r = subprocess.run([sys.executable, "-m", "space", "serve", "--port", str(port)],
                           capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "practice app" not in r.stderr
    assert r.stderr.strip() == (f"space serve: error: cannot listen on 127.0.0.1:{port}: the "
                                "port is in use (another server? try --port)")


def test_serve_answers_kept_alive_connections_without_nagle():
    """The socket `space serve` binds gets TCP_NODELAY on every connection it accepts, as a
    socket uvicorn binds does: with Nagle on, each answer after the first on a kept-alive
    connection (a browser's next attempt) waited 40 ms for the client's delayed ACK."""
    import asyncio
    import socket

    from space.cli.serve import bind

    async def nodelay_of_an_accepted_connection() -> int:
        got: asyncio.Future = asyncio.get_running_loop().create_future()

        def on_connect(reader, writer) -> None:  # noqa: ANN001
            sock = writer.get_extra_info("socket")
            got.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=bind("127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(got, 10)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(nodelay_of_an_accepted_connection()) != 0


def test_serve_help_does_not_promise_a_page_that_adds_references():
    serve = next(p for n, p in _leaf_parsers(build_parser()) if n == "space serve")
    text = " ".join(serve.format_help().split())
    assert "where the page adds" not in text and "the page itself has no way to add" in text


def test_predict_top_k_help_and_line_agree(capsys):
    predict = next(p for n, p in _leaf_parsers(build_parser()) if n == "space predict")
    assert "the answer and K-1 alternatives" in " ".join(predict.format_help().split())
    for k in (1, 3):
        assert main(["predict", "-k", str(k), str(EXAMPLE)]) == 0
        fields = capsys.readouterr().out.strip().split("\t")
        alts = fields[3].strip("()").split("  ") if len(fields) > 3 else []
        assert 1 + len(alts) == k


def test_word_outside_the_lexicon_is_named(capsys):
    assert main(["score", "--word", "xqzzt", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("space score: error: not in the pronunciation lexicon (CMUdict): 'xqzzt'; "
                   "check the spelling, or write the word as it sounds")


def test_unknown_reference_word_lists_the_digits_by_name_too(capsys):
    assert main(["references", "list", "banana"]) == 2
    assert "known words: 0-9 (or zero-nine), backward, bed," in capsys.readouterr().err


def test_score_plot_names_never_collide(tmp_path, capsys):
    """Two attempts called right.wav in two folders: two pictures, named by their folders."""
    from space.cli.score import plot_paths

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = tmp_path / "a" / "right.wav", tmp_path / "b" / "right.wav"
    y, sr = sf.read(EXAMPLE)
    sf.write(a, y, sr)
    sf.write(b, y, sr)
    out = tmp_path / "fb.png"
    assert main(["score", "--word", "3", "--plot", str(out), str(a), str(b)]) == 0
    assert sorted(p.name for p in tmp_path.glob("fb*.png")) == ["fb-a_right.png", "fb-b_right.png"]
    assert "fb-a_right.png" in capsys.readouterr().err
    # the same file twice, and names that only differ by their folders' folders
    assert [p.name for p in plot_paths("o.png", ["x.wav", "x.wav", "p/a/x.wav", "q/a/x.wav"])] == [
        "o-x.png", "o-x-2.png", "o-p_a_x.png", "o-q_a_x.png"]
