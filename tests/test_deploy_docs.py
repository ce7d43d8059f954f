"""docs/deploy.md describes what ``make serve`` really does (figures read from the code)."""

from __future__ import annotations

import re
from pathlib import Path

import serve

ROOT = Path(__file__).resolve().parents[1]
DOC = " ".join((ROOT / "docs" / "deploy.md").read_text().split())  # lines unwrapped


def test_the_doc_states_the_proxys_settings_as_the_code_has_them():
    assert f"`{serve.COOKIE}=w1`" in DOC
    assert f"`{serve.HEALTH_PATH}`" in DOC
    assert f"at most {serve.MAX_CONNECTIONS:,} connections" in DOC
    assert f"up to {serve.RESTARTS} times" in DOC
    assert f"after {serve.STOP_SECONDS:g} s is killed" in DOC
    assert f"`{serve.WORKER_HEADER}`" in DOC


def test_the_make_targets_the_doc_names_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"`make ([a-z-]+)", DOC)):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_the_doc_states_the_simulation_processes_as_the_code_has_them():
    from ui import workers

    assert f"`{workers.PROCESSES_VARIABLE}`" in DOC
    assert f"(default {workers.DEFAULT_PROCESSES}, at most {workers.MAX_PROCESSES};" in DOC
    assert f"a whole number from 0 to {workers.MAX_PROCESSES}" in DOC
