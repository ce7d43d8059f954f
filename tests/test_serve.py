"""``make serve``'s proxy configuration and its refusals (no process is started here;
tests/e2e/test_serve_browser.py runs two workers behind the real proxy)."""

from __future__ import annotations

import socket
import subprocess

import pytest

import serve
from serve import COOKIE, HEALTH_PATH, ServeError, cluster, haproxy_config
from serve.__main__ import main


def config(tmp_path, workers=(40001, 40002)) -> str:
    return haproxy_config(
        address="127.0.0.1", port=8501, workers=list(workers), stats_socket=tmp_path / "s.sock"
    )


def test_every_worker_is_a_health_checked_server_with_its_own_cookie(tmp_path):
    text = config(tmp_path, workers=(40001, 40002, 40003))
    for i, port in enumerate((40001, 40002, 40003), start=1):
        assert f"server w{i} 127.0.0.1:{port} cookie w{i}" in text
    assert f"cookie {COOKIE} insert" in text
    assert f"option httpchk GET {HEALTH_PATH}" in text
    assert "default-server check" in text
    assert "bind 127.0.0.1:8501" in text


def test_a_forwarded_address_sent_by_the_client_is_dropped(tmp_path):
    text = config(tmp_path)
    assert "http-request del-header X-Forwarded-For" in text
    assert "option forwardfor" in text


def test_haproxy_accepts_the_configuration(tmp_path):
    try:
        haproxy = serve.find_haproxy()
    except ServeError:
        pytest.skip("haproxy is not installed (`make proxy`)")
    path = tmp_path / "haproxy.cfg"
    path.write_text(config(tmp_path))
    checked = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_worker_count_out_of_range_is_refused(tmp_path):
    with (
        pytest.raises(ServeError, match="workers: 1 to 16"),
        cluster(workers=0, port=8501, run_dir=tmp_path),
    ):
        pass


def test_a_busy_port_is_refused_before_anything_starts(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(serve, "find_haproxy", lambda: "haproxy")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port), "--run-dir", str(tmp_path)]) == 1
    assert f"port {port} on 127.0.0.1 is in use" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # no configuration, no log: nothing started


def test_a_store_that_cannot_open_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(serve, "find_haproxy", lambda: "haproxy")
    env = {"WHIPLASH_DATABASE_URL": "sqlite:///:memory:"}
    with (
        pytest.raises(ServeError, match=r"room store could not open: .*SQLite file") as caught,
        cluster(workers=1, port=serve.free_port(), run_dir=tmp_path, env=env),
    ):
        pass
    assert "\n" not in str(caught.value)
