"""space serve: the local practice web app (and its JSON API)."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import socket
import sys


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "serve",
        help="start the local practice web app",
        description="Start the web app: pick a word, record it in the browser (or upload a "
        "file), and see what the model heard, the pronunciation score, the feedback picture "
        "and the worst segments, with playback. The JSON API is documented at /docs. "
        "Listens on 127.0.0.1 (this machine only) unless --host says otherwise.",
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--model", "-m", default="digits",
                   help="default model for /api/predict: digits, commands or a checkpoint path")
    p.add_argument("--max-upload-mb", type=float, default=10.0,
                   help="larger uploads get 413 (default 10)")
    p.add_argument("--max-duration-s", type=float, default=10.0,
                   help="longer recordings get 413 (default 10)")
    p.add_argument("--references-dir", metavar="DIR",
                   help="your references folder, scored against and where POST "
                   "/api/references/WORD adds recordings (default: $SPACE_REFERENCES_DIR or "
                   "~/.local/share/space/references)")
    p.add_argument("--no-add-references", action="store_true",
                   help="refuse POST /api/references/WORD (the JSON API; the page itself "
                   "has no way to add references: use `space references add`)")
    p.add_argument("--png-workers", type=int, default=0,
                   help="processes that draw plot=true pictures (default 0: in the request "
                   "threads; workers help on an idle multi-core machine, not on a busy one)")
    p.add_argument("--threads", type=int, dest="threads_per_call", metavar="N",
                   help="threads per request's network calls (default: $SPACE_THREADS, else "
                   "2 or the cores there are, if fewer: space.threads)")
    return p


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError

    if not 0 <= args.port < 65536:
        raise UsageError(f"--port {args.port} is not a valid port")
    # The flags' own names and units (create_app's checks name its parameters).
    if not args.max_upload_mb * 1024 * 1024 >= 1024:
        raise UsageError(f"--max-upload-mb must be at least 0.001 (1 KB), not {args.max_upload_mb:g}")
    if not args.max_duration_s > 0:
        raise UsageError(f"--max-duration-s must be more than 0, not {args.max_duration_s:g}")
    if args.png_workers < 0:
        raise UsageError(f"--png-workers must be 0 or more, not {args.png_workers}")
    # The port first: a busy one is reported in one line at once, before any banner or load.
    sock = bind(args.host, args.port)
    try:
        import uvicorn

        from ..web import create_app
    except ImportError as e:
        sock.close()
        raise UsageError(f"the web app needs its extra: pip install 'space-speech[web]' ({e})"
                       ) from None
    from ..recognize import resolve_model
    from ..recognize.checkpoint import load as load_checkpoint

    # A missing or damaged model stops the server here, in one line, rather than a server
    # that says it is ready and answers 503 to every request.
    load_checkpoint(resolve_model(args.model))
    try:
        app = create_app(model=args.model,
                         max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
                         max_duration_s=args.max_duration_s,
                         allow_add_references=not args.no_add_references,
                         references_dir=args.references_dir,
                         png_workers=args.png_workers)
    except BaseException:
        sock.close()
        raise
    try:
        local = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        local = args.host == "localhost"
    if not local:
        print(f"space serve: warning: listening on {args.host}: other machines can reach "
              "this app (it has no login)", file=sys.stderr)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    port = sock.getsockname()[1]
    print(f"SPACE practice app: http://{shown}:{port}/  (API docs: /docs; Ctrl-C stops)",
          file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=port, log_level="warning"))
    server.run(sockets=[sock])
    return 0


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` for the server to listen on (as uvicorn binds it).

    Raises
    ------
    UsageError
        The port is taken or the address is not this machine's.
    """
    from ..errors import UsageError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, as getaddrinfo gives it when uvicorn binds: asyncio sets TCP_NODELAY
    # only on sockets whose proto says TCP, and without it every answer on a kept-alive
    # connection waited 40 ms for the client's delayed ACK (Nagle)
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        why = "the port is in use (another server? try --port)" if e.errno == errno.EADDRINUSE \
            else (e.strerror or str(e))
        raise UsageError(f"cannot listen on {host}:{port}: {why}") from None
    sock.set_inheritable(True)
    return sock
