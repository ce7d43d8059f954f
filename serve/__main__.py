"""``python -m serve``: run the app as several workers behind HAProxy until Ctrl+C."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

from . import MAX_WORKERS, RUN_DIR, ServeError, cluster

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop_on(signum: int, _frame) -> None:
    """The first Ctrl+C (or SIGTERM, SIGHUP) stops everything; more do not cut that short."""
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serve", description=__doc__)
    parser.add_argument("--workers", type=int, default=2, help=f"app processes (1-{MAX_WORKERS})")
    parser.add_argument("--port", type=int, default=8501, help="the proxy's port")
    parser.add_argument("--address", default="127.0.0.1", help="the proxy's address")
    parser.add_argument(
        "--run-dir", type=Path, default=RUN_DIR, help="proxy configuration and logs"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error("--port: 1 to 65535")
    previous = {signum: signal.signal(signum, _stop_on) for signum in STOP_SIGNALS}
    try:
        with cluster(
            workers=args.workers, port=args.port, address=args.address, run_dir=args.run_dir
        ) as running:
            ports = ", ".join(f"{w.name} on {w.port}" for w in running.workers)
            print(
                f"Open {running.url} in your browser: {len(running.workers)} workers "
                f"({ports}) behind HAProxy, sticky by cookie.\n"
                f"Rooms: {running.database}\n"
                f"Proxy configuration and logs: {running.run_dir}\n"
                "Ctrl+C stops the proxy and every worker.",
                flush=True,
            )
            while True:
                running.check()
                try:
                    running.proxy.popen.wait(timeout=1.0)  # type: ignore[union-attr]
                except subprocess.TimeoutExpired:
                    continue
    except KeyboardInterrupt:
        print("\nStopped the proxy and every worker.")
        return 0
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
