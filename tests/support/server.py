"""Start the real app with ``streamlit run`` on a free loopback port, for tests and tools
(``bench.browser`` and ``bench.load`` use it too), and how Chromium is launched."""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BROWSER_TIMEOUT_MS = 30_000
"""Playwright's wait for any page state or expectation: generous, for a busy machine."""
HEALTH_POLL_SECONDS = 0.2
"""Pause between health checks, spent waiting for the server process to exit."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """CPU seconds of ``processes`` and their living children (the app's simulation
    processes, ui/workers.py), so a server's cores include its workers'."""
    total = 0.0
    for top in processes:
        for each in (top, *top.children(recursive=True)):
            try:
                times = each.cpu_times()
            except psutil.Error:  # a child that ended between the listing and the read
                continue
            total += times.user + times.system
    return total


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def streamlit_server(
    script: str | Path = "app.py", *, timeout: float = 60.0, extra_args: list[str] | None = None
) -> Iterator[Server]:
    """Run ``streamlit run script`` headless on a free port until the block ends."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        *(extra_args or []),
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(url=f"http://127.0.0.1:{port}", port=port, process=proc, log_path=log)
    try:
        _wait_until_healthy(server, tries=max(1, math.ceil(timeout / HEALTH_POLL_SECONDS)))
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_until_healthy(server: Server, *, tries: int) -> None:
    """Ask ``/_stcore/health`` up to ``tries`` times; between tries, wait for the process
    to exit (it only does if it failed to start), so no time is slept."""
    for _ in range(tries):
        if _healthy(server.url):
            return
        try:
            server.process.wait(timeout=HEALTH_POLL_SECONDS)
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"streamlit exited early:\n{server.log()}")
    raise RuntimeError(f"streamlit did not become healthy:\n{server.log()}")
