"""``python -m bench.load`` on a machine that cannot run its set-up says so in one line."""

from __future__ import annotations

import pytest

import serve
from bench import load


def test_missing_haproxy_is_a_short_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_haproxy() -> str:
        raise serve.ServeError("haproxy is not installed: `make proxy` installs Debian's package")

    monkeypatch.setattr(serve, "find_haproxy", no_haproxy)
    code = load.main(["--pattern", "explore", "--workers", "2", "--seconds", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "error: haproxy is not installed: `make proxy` installs Debian's package"
    assert "Traceback" not in err
