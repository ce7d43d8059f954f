"""Several app processes behind one reverse proxy, sharing one room store (``make serve``).

One Streamlit process uses about one core whatever the machine has (every session's
script shares its interpreter), so a room larger than one process can carry runs
several: ``WORKERS`` ``streamlit run app.py`` processes on free loopback ports, and
Debian's HAProxy on one port in front of them.

- **Sticky sessions by cookie.** A Streamlit session lives in the memory of the process
  that served its page (its widgets, its downloads, its reconnects), so every request
  of one browser must reach the same worker. HAProxy inserts a cookie naming the worker
  on the first response and routes by it afterwards (``cookie ... insert``); a new
  browser goes to the worker with the fewest open connections (``balance leastconn``:
  a session is one long websocket). Hashing the client's address instead would send a
  whole classroom behind one NAT address, or every client of a proxy, to one worker.
- **Health checks.** HAProxy asks each worker's ``/_stcore/health`` every few seconds
  and sends no new session to one that fails; a session whose worker went down starts
  again on another (``option redispatch``) with its room (the store) intact.
- **One room store.** Every worker gets the same ``WHIPLASH_DATABASE_URL``: the SQLite
  file (WAL mode: readers never wait, writers take turns) unless the variable names a
  PostgreSQL server, the choice for more than one machine. The schema is migrated once
  here, before any worker starts.
- **The client's address** reaches the workers in ``X-Forwarded-For`` (one the client
  sent is dropped first, so it cannot pose as another address); Streamlit trusts that
  header from loopback, so the room store's wrong-code limits still count per address.

The proxy's configuration, the workers' logs and the proxy's log are written to a run
folder (``.data/serve`` by default); nothing outside the working folder is touched.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = Path(".data") / "serve"
"""Where a run writes its proxy configuration and logs (under the working folder)."""
COOKIE = "whiplash_worker"
"""The cookie naming the worker that holds a browser's session."""
WORKER_HEADER = "X-Whiplash-Worker"
"""Response header naming the worker that answered (for tests and troubleshooting)."""
HEALTH_PATH = "/_stcore/health"
MAX_WORKERS = 16
MAX_CONNECTIONS = 4000
"""Connections the proxy holds at once: a participant holds one websocket, plus a few
short requests while a page loads."""
STOP_SECONDS = 10.0
"""How long a stopped process may take before it is killed."""
RESTARTS = 3
"""Times a worker that exits by itself is started again."""


COMPRESSED_TYPES = (
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
)
"""What the proxy compresses: text, not the websocket's protobuf or images already packed."""


class ServeError(RuntimeError):
    """A cluster could not start: the message says what to do."""


def haproxy_config(
    *,
    address: str,
    port: int,
    workers: Sequence[int],
    stats_socket: Path,
    max_connections: int = MAX_CONNECTIONS,
) -> str:
    """HAProxy's configuration: one frontend on ``address:port``, one backend server per
    loopback port in ``workers`` (named w1, w2, ...), cookie stickiness, health checks,
    and a statistics socket (``show stat``) only its owner can open."""
    servers = "\n".join(
        f"    server w{i} 127.0.0.1:{p} cookie w{i}" for i, p in enumerate(workers, start=1)
    )
    return f"""\
# Written by `python -m serve` for one run: {len(workers)} Streamlit workers behind HAProxy.
global
    maxconn {max_connections}
    stats socket {stats_socket} mode 600 level user

defaults
    mode http
    option forwardfor
    option redispatch
    retries 2
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    # An open session is one websocket; Streamlit pings it, so it is never idle this long.
    timeout tunnel 1h
    timeout client-fin 5s
    timeout check 5s

frontend whiplash
    bind {address}:{port}
    http-request del-header X-Forwarded-For
    # Streamlit sends its scripts and styles (about 4 MB a first visit) uncompressed; a
    # room's phones share one Wi-Fi. libslz compresses at a few hundred MB/s.
    compression algo gzip
    compression type {" ".join(COMPRESSED_TYPES)}
    default_backend streamlit

backend streamlit
    balance leastconn
    cookie {COOKIE} insert indirect nocache httponly attr SameSite=Lax
    option httpchk GET {HEALTH_PATH}
    http-check expect status 200
    default-server check inter 3s fall 3 rise 2
    http-response set-header {WORKER_HEADER} %[srv_name]
{servers}
"""


def find_haproxy() -> str:
    """The haproxy executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise ServeError("haproxy is not installed: `make proxy` installs Debian's package")
    return found


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def port_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def healthy(url: str, *, timeout: float = 2.0, header: str | None = None) -> bool:
    """``url`` answers its health check (through the proxy when ``header`` is given:
    the answer must carry it, so another server on the port does not count)."""
    try:
        with urllib.request.urlopen(f"{url}{HEALTH_PATH}", timeout=timeout) as response:
            return response.status == 200 and (header is None or header in response.headers)
    except OSError:
        return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if this supervisor dies without stopping it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Process:
    """One child: a worker (``name`` w1, w2, ...) or the proxy."""

    name: str
    command: list[str]
    log_path: Path
    env: Mapping[str, str]
    port: int
    popen: subprocess.Popen | None = None
    restarts: int = 0

    def start(self) -> None:
        with self.log_path.open("a") as out:
            self.popen = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl+C reaches the supervisor only; it stops us
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Cluster:
    """A running proxy and its workers."""

    url: str
    port: int
    proxy: Process
    workers: list[Process]
    run_dir: Path
    database: str
    notes: list[str] = field(default_factory=list)

    @property
    def processes(self) -> list[Process]:
        return [self.proxy, *self.workers]

    def connections(self) -> dict[str, int]:
        """Open connections the proxy holds to each worker now (its ``show stat``)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.run_dir / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        lines = b"".join(chunks).decode().lstrip("# ").splitlines()
        rows = list(csv.DictReader(lines))
        return {
            row["svname"]: int(row["scur"] or 0)
            for row in rows
            if row["pxname"] == "streamlit" and row["svname"] not in {"FRONTEND", "BACKEND"}
        }

    def check(self, *, say=print) -> None:
        """Start again a worker that exited by itself (up to :data:`RESTARTS` times);
        raise :class:`ServeError` when the proxy or every worker is gone for good."""
        if not self.proxy.running:
            raise ServeError(f"the proxy stopped:\n{self.proxy.log_tail()}")
        for worker in self.workers:
            if worker.running or worker.popen is None:
                continue
            code = worker.popen.returncode
            if worker.restarts >= RESTARTS:
                continue
            worker.restarts += 1
            say(
                f"worker {worker.name} exited ({code}); starting it again "
                f"({worker.restarts} of {RESTARTS}); log: {worker.log_path}"
            )
            worker.start()
        if not any(w.running for w in self.workers):
            raise ServeError("every worker has stopped; see the logs in " + str(self.run_dir))


def worker_command(port: int, *, app: str = "app.py") -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        app,
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]


def prepare_store(url: str) -> str:
    """Create (SQLite) and migrate the store once; its URL as shown (no password)."""
    from sqlalchemy.engine import make_url

    from rooms import RoomError, RoomStore

    try:
        store = RoomStore(url)
    except ModuleNotFoundError as exc:
        raise ServeError(
            f"{exc.name} is missing for this database: pip install -e '.[postgres]'"
        ) from None
    except (RoomError, OSError) as exc:
        raise ServeError(f"the room store could not open: {exc}") from None
    except Exception as exc:  # a driver's connection error: say it in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServeError(f"the room store could not open: {first}") from None
    store.dispose()
    return make_url(url).render_as_string(hide_password=True)


@contextlib.contextmanager
def cluster(
    *,
    workers: int,
    port: int,
    address: str = "127.0.0.1",
    run_dir: Path = RUN_DIR,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
    app: str = "app.py",
) -> Iterator[Cluster]:
    """Start ``workers`` app processes and the proxy; stop them all when the block ends.

    ``env`` replaces the environment the workers get (default: this process's);
    its ``WHIPLASH_DATABASE_URL``, or the default SQLite file, is the shared store.
    """
    from rooms import database_url

    if not 1 <= workers <= MAX_WORKERS:
        raise ServeError(f"workers: 1 to {MAX_WORKERS}, not {workers}")
    haproxy = find_haproxy()
    if not port_free(address, port):
        raise ServeError(f"port {port} on {address} is in use: choose another (PORT=...)")
    base = dict(os.environ if env is None else env)
    url = database_url(base)
    shown = prepare_store(url)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    worker_env = base | {
        "WHIPLASH_DATABASE_URL": url,  # one absolute URL: every worker opens the same store
        # Signed cookies stay valid when a session moves to another worker.
        "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32),
        "PYTHONUNBUFFERED": "1",
    }
    pool = []
    for i in range(1, workers + 1):
        worker_port = free_port()
        log = run_dir / f"worker-{i}.log"
        log.write_text("")
        pool.append(
            Process(f"w{i}", worker_command(worker_port, app=app), log, worker_env, worker_port)
        )
    config = run_dir / "haproxy.cfg"
    config.write_text(
        haproxy_config(
            address=address,
            port=port,
            workers=[w.port for w in pool],
            stats_socket=(run_dir / "haproxy.sock").resolve(),
        )
    )
    checked = subprocess.run(
        [haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True, check=False
    )
    if checked.returncode != 0:
        raise ServeError(f"haproxy refused {config}:\n{checked.stdout}{checked.stderr}")
    proxy_log = run_dir / "haproxy.log"
    proxy_log.write_text("")
    proxy = Process("proxy", [haproxy, "-db", "-f", str(config)], proxy_log, base, port)
    running = Cluster(
        url=f"http://{address}:{port}",
        port=port,
        proxy=proxy,
        workers=pool,
        run_dir=run_dir,
        database=shown,
    )
    try:
        for worker in pool:
            worker.start()
        _wait(pool, timeout=timeout)
        proxy.start()
        _wait([proxy], timeout=timeout, url=running.url, header=WORKER_HEADER)
        yield running
    finally:
        stop(running.processes)


def _wait(
    processes: Sequence[Process],
    *,
    timeout: float,
    url: str | None = None,
    header: str | None = None,
) -> None:
    """Until each process answers its health check; between tries, wait on the process
    (it returns only if the process exits, which is a failed start)."""
    deadline = time.monotonic() + timeout
    for proc in processes:
        while not healthy(url or proc.url, header=header):
            if time.monotonic() > deadline:
                raise ServeError(f"{proc.name} did not become healthy:\n{proc.log_tail()}")
            assert proc.popen is not None
            try:
                proc.popen.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            raise ServeError(f"{proc.name} exited at start:\n{proc.log_tail()}")


def stop(processes: Sequence[Process], *, grace: float = STOP_SECONDS) -> None:
    """SIGTERM every process (the proxy first: no new requests), then wait; whatever is
    still running after ``grace`` seconds is killed."""
    live = [p for p in processes if p.running]
    for proc in live:
        with contextlib.suppress(ProcessLookupError):
            proc.popen.terminate()  # type: ignore[union-attr]
    deadline = time.monotonic() + grace
    for proc in live:
        try:
            proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            proc.popen.kill()  # type: ignore[union-attr]
            proc.popen.wait()  # type: ignore[union-attr]
