"""space serve: the local practice web app (and its JSON API)."""

from __future__ import annotations

import argparse
import ipaddress
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
                   help="your references folder, where the page adds recordings (default: "
                   "$SPACE_REFERENCES_DIR or ~/.local/share/space/references)")
    p.add_argument("--no-add-references", action="store_true",
                   help="do not let the page add recordings to your references")
    p.add_argument("--png-workers", type=int, default=0,
                   help="processes that draw plot=true pictures (default 0: in the request "
                   "threads; workers help on an idle multi-core machine, not on a busy one)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads per request (default 1: requests run side by side)")
    return p


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError

    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a valid port")
    try:
        import uvicorn

        from ..web import create_app
    except ImportError as e:
        raise UsageError(f"the web app needs its extra: pip install 'space-speech[web]' ({e})"
                       ) from None
    import torch

    from ..recognize import resolve_model
    from ..recognize.checkpoint import load as load_checkpoint

    # A missing or damaged model stops the server here, in one line, rather than a server
    # that says it is ready and answers 503 to every request.
    load_checkpoint(resolve_model(args.model))
    # Several requests at once on a small machine: one thread each beats threads that fight.
    torch.set_num_threads(max(1, args.threads))
    app = create_app(model=args.model, max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
                     max_duration_s=args.max_duration_s,
                     allow_add_references=not args.no_add_references,
                     references_dir=args.references_dir,
                     png_workers=max(0, args.png_workers))
    try:
        local = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        local = args.host == "localhost"
    if not local:
        print(f"space serve: warning: listening on {args.host}: other machines can reach "
              "this app (it has no login)", file=sys.stderr)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"SPACE practice app: http://{shown}:{args.port}/  (API docs: /docs; Ctrl-C stops)",
          file=sys.stderr, flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except SystemExit as e:  # uvicorn exits when it cannot bind the port
        raise UsageError(f"cannot listen on {args.host}:{args.port} (in use?)") from e
    return 0
