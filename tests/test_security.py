"""Security and limits: what the app trusts, what it refuses, and the named limits.

See SECURITY.md. Static checks read the app's source (AST, not regexes over comments);
behaviour checks drive the loader, the CLI and the real page (AppTest).
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator import (
    ScenarioError,
    apply_overrides,
    dump_scenario,
    list_presets,
    load_preset,
    load_scenario,
    models,
    parse_scenario,
    scenario_from_dict,
    scenario_io,
    scenario_to_dict,
)
from simulator.cli import main as cli_main
from ui import controls, links, presets
from ui import session as app_session
from ui.text import shown_text

ROOT = Path(__file__).resolve().parent.parent
APP_SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")])
PRODUCT_SOURCES = APP_SOURCES + sorted(
    [*(ROOT / "simulator").glob("*.py"), *(ROOT / "rooms").glob("*.py")]
)


def _calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _name(node: ast.AST) -> str:
    """Dotted name of a called function: 'st.markdown', 'eval', 'pickle.loads'."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _is_literal_text(node: ast.AST) -> bool:
    """A string written in the source (or literals joined with +): no user data in it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_literal_text(node.left) and _is_literal_text(node.right)
    return False


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{node.lineno}"


# --- No HTML or code from users.
def test_raw_html_is_only_ever_a_literal_from_the_source() -> None:
    """unsafe_allow_html / st.html / components only with text written in the code."""
    offenders, seen = [], 0
    for path in APP_SOURCES:
        for call in _calls(path):
            name = _name(call.func)
            flags = {
                k.arg: k.value
                for k in call.keywords
                if k.arg in ("unsafe_allow_html", "unsafe_allow_javascript")
            }
            raw = any(
                not (isinstance(v, ast.Constant) and v.value is False) for v in flags.values()
            )
            raw |= name.endswith((".html", "components.iframe")) and name != "st.download_button"
            if not raw:
                continue
            seen += 1
            body = (
                call.args[0]
                if call.args
                else next((k.value for k in call.keywords if k.arg in ("body", "html")), None)
            )
            if body is None or not _is_literal_text(body):
                offenders.append(_where(path, call))
    assert not offenders, f"raw HTML built from data at {offenders}"
    # The presenter view's and the room page's CSS, the workshop's CSS and its script,
    # the CSS of a file box with a limit of its own (ui/uploads.py) and the room page's
    # return to its top when a round opens, closes or is revealed (ui/presenter.py), and
    # the page menu's rule that hides keyboard hints on a touch screen (ui/nav.py).
    assert seen <= 7, "raw HTML is rare here; review new uses and update this bound"


def test_the_checker_catches_html_built_from_data(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('st.markdown(f"<b>{title}</b>", unsafe_allow_html=True)\n')
    call = next(_calls(bad))
    assert not _is_literal_text(call.args[0])
    assert _is_literal_text(ast.parse('"<style>" + "x"', mode="eval").body)


FORBIDDEN_CALLS = {
    "eval",
    "exec",
    "compile",
    "__import__",
    "pickle.load",
    "pickle.loads",
    "marshal.load",
    "marshal.loads",
    "yaml.load",
    "yaml.unsafe_load",
    "shelve.open",
    "os.system",
    "os.popen",
    "importlib.import_module",
}
FORBIDDEN_IMPORTS = {"pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib", "yaml"}
ALLOWED: set[tuple[str, str]] = set()
"""(file, call) pairs allowed a forbidden call: none (the CLI imports its subcommands)."""


def test_no_pickle_eval_exec_or_shell_on_anything() -> None:
    offenders = []
    for path in PRODUCT_SOURCES:
        rel = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _name(node.func)
                if name in FORBIDDEN_CALLS and (rel, name) not in ALLOWED:
                    offenders.append(f"{_where(path, node)} calls {name}")
                if any(k.arg == "shell" for k in node.keywords):
                    offenders.append(f"{_where(path, node)} uses a shell")
            elif isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    modules.append(node.module)
                for module in modules:
                    if module.split(".")[0] in FORBIDDEN_IMPORTS:
                        offenders.append(f"{_where(path, node)} imports {module}")
    assert not offenders, offenders


def test_every_app_cache_has_a_size_limit() -> None:
    """Thirty sessions moving sliders must not grow the server's memory without bound."""
    decorators = []
    for path in APP_SOURCES:
        for call in _calls(path):
            if _name(call.func) in ("st.cache_data", "st.cache_resource"):
                keywords = {k.arg for k in call.keywords}
                decorators.append((_where(path, call), bool(keywords & {"max_entries", "ttl"})))
    assert decorators, "the app caches its simulations"
    assert all(limited for _, limited in decorators), [w for w, ok in decorators if not ok]


# --- Presets: only files inside scenarios/.
TRAVERSALS = [
    "../pyproject",
    "../../etc/passwd",
    "/etc/passwd",
    str(ROOT / "scenarios" / "balanced"),
    str(ROOT / "scenarios" / "balanced.toml"),
    "..\\..\\windows\\win.ini",
    "scenarios/balanced",
    "./balanced",
    "balanced.toml",
    "balanced/../balanced",
    "%2e%2e%2fpyproject",
    "balanced\x00",
    "",
    " balanced",
    "workshops/four_causes",
    "~/balanced",
]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_load_preset_refuses_paths_and_unknown_names(name: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_preset(name)
    message = str(err.value)
    assert "does not exist" in message and "available: " in message
    assert "balanced" in message  # the names that do exist


def test_presets_are_exactly_the_files_in_scenarios() -> None:
    listed = list_presets()
    assert set(listed) == {p.stem for p in (ROOT / "scenarios").glob("*.toml")}
    for path in listed.values():
        assert path.resolve().parent == (ROOT / "scenarios").resolve()


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..\\pyproject"])
def test_a_link_with_a_path_for_a_preset_opens_the_default_with_a_note(name: str) -> None:
    scenario, preset, notes = links.scenario_from_params({"preset": name})
    assert preset == presets.DEFAULT_PRESET
    assert scenario == load_preset(presets.DEFAULT_PRESET)
    assert len(notes) == 1 and "does not exist" in notes[0]


def test_choosing_a_path_as_preset_keeps_the_scenario() -> None:
    session: dict = {}
    app_session.start_session(session, {"preset": "balanced"})
    before = session[app_session.SCENARIO]
    app_session.load_preset_into(session, "../../etc/passwd")
    assert session[app_session.SCENARIO] == before
    assert "does not exist" in session[app_session.ERROR]


# --- Server configuration.
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_xsrf_protection_stays_on_and_cors_is_not_opened() -> None:
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["server"].get("enableCORS", True) is True


def test_upload_limit_is_small_but_lets_the_loader_name_the_problem() -> None:
    """Streamlit cuts uploads at maxUploadSize (MB); the loader's own limit is below it,
    so a too-large scenario gets the loader's clear message, and nothing big gets in."""
    limit_mb = CONFIG["server"]["maxUploadSize"]
    assert scenario_io.MAX_FILE_BYTES <= limit_mb * 1024 * 1024 <= 10 * 1024 * 1024


def test_no_tracebacks_in_the_browser() -> None:
    assert CONFIG["client"]["showErrorDetails"] == "none"


def test_the_server_binds_to_loopback_unless_told_otherwise() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^ADDRESS \?= 127\.0\.0\.1$", makefile, re.M)
    assert "--server.address $(ADDRESS)" in makefile
    assert "listens on `127.0.0.1` only" in (ROOT / "README.md").read_text()


# --- What a user supplies is shown as text.
HOSTILE = "<script>alert(1)</script>"


def test_hostile_text_in_an_uploaded_file_is_shown_as_text() -> None:
    data = scenario_to_dict(load_preset("team_a_team_b"))
    data["meta"]["title"] = HOSTILE
    data["meta"]["lesson"] = '<img src=x onerror="alert(1)"> [click](javascript:alert(1))'
    data["product_lines"]["enterprise"]["name"] = "<b>Enterprise</b> :red[loud]"
    data["contracts"][0]["name"] = f"{HOSTILE} Corp"
    data["simulation"]["runs"] = 200
    upload = dump_scenario(scenario_from_dict(data)).encode()

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["runs"] = "200"
    at.run()
    at.session_state["lesson_expander"] = True  # "About this scenario" is drawn while open
    at.file_uploader(key=app_session.W_UPLOAD).upload("hostile.toml", upload, "application/toml")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[app_session.SCENARIO].meta.title == HOSTILE

    assert not any(m.proto.allow_html for m in at.markdown)
    # The only raw HTML is stylesheets from the code: the page's own (ui/presenter.py)
    # and its file boxes' (ui/uploads.py).
    styles = [h.proto.body for h in at.get("html")]
    assert 1 <= len(styles) <= 3, styles
    for style in styles:
        assert style.startswith("<style>") and style.endswith("</style>")
        assert "<" not in style.removeprefix("<style>").removesuffix("</style>")
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    labels = [w.label for w in (*at.slider, *at.select_slider)]
    for text in (*shown, *labels):  # Markdown everywhere: every < is escaped
        assert not re.search(r"(?<!\\)<(script|img|b)\b", text), text
    assert f"### {HOSTILE}" in [shown_text(v) for v in shown]  # the title, literally
    assert any(shown_text(label) == f"{HOSTILE} Corp: ends" for label in labels)
    assert any(t.value == data["meta"]["lesson"] for t in at.text)  # st.text: never parsed


# --- Limits: every named limit is enforced with a message naming the field and the limit.
def _base() -> dict:
    return scenario_to_dict(load_preset("team_a_team_b"))


def _rejects(data: dict, *fragments: str) -> str:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_max_months() -> None:
    data = _base()
    data["simulation"].update(months=models.MAX_MONTHS, runs=10)
    assert scenario_from_dict(data).simulation.months == models.MAX_MONTHS
    data["simulation"]["months"] = models.MAX_MONTHS + 1
    _rejects(data, "simulation.months", str(models.MAX_MONTHS), f"got {models.MAX_MONTHS + 1}")


def test_max_runs() -> None:
    data = _base()
    data["simulation"].update(runs=models.MAX_RUNS, months=12)
    assert scenario_from_dict(data).simulation.runs == models.MAX_RUNS
    data["simulation"]["runs"] = models.MAX_RUNS + 1
    _rejects(data, "simulation.runs", "20000", "got 20001")


def test_max_runs_on_the_command_line(capsys: pytest.CaptureFixture) -> None:
    code = cli_main(["run", "scenarios/balanced.toml", "--runs", str(models.MAX_RUNS + 1)])
    err = capsys.readouterr().err
    assert code == 2
    assert "--runs" in err and f"1..{models.MAX_RUNS}" in err


def test_max_product_lines() -> None:
    data = _base()
    lines = {f"line{i}": {"name": f"Line {i}"} for i in range(models.MAX_PRODUCT_LINES)}
    data["product_lines"] = lines
    data["contracts"] = []
    data["simulation"]["runs"] = 10
    assert len(scenario_from_dict(data).product_lines) == models.MAX_PRODUCT_LINES
    lines["one_more"] = {"name": "One more"}
    _rejects(data, "product_lines", f"at most {models.MAX_PRODUCT_LINES}")


def test_max_contracts() -> None:
    data = _base()
    row = data["contracts"][0]
    data["contracts"] = [dict(row, name=f"C{i}") for i in range(models.MAX_CONTRACTS)]
    assert len(scenario_from_dict(data).contracts) == models.MAX_CONTRACTS
    data["contracts"].append(dict(row, name="one more"))
    _rejects(data, "contracts", f"at most {models.MAX_CONTRACTS}")


def _lines(count: int) -> dict:
    data = _base()
    data["product_lines"] = {f"line{i}": {"name": f"Line {i}"} for i in range(count)}
    data["contracts"] = []
    return data


def test_max_cells() -> None:
    """runs x months x lines: the most runs within the limit are allowed, one more is not
    (8 lines, so the per-request cost bound of simulator/budget.py is not the one hit)."""
    data = _lines(8)
    months = models.MAX_MONTHS
    runs = models.MAX_CELLS // (months * 8)
    data["simulation"].update(months=months, runs=runs)
    assert scenario_from_dict(data).simulation.runs == runs
    data["simulation"]["runs"] = runs + 1
    _rejects(data, "simulation.runs x simulation.months x product lines", "5,000,000")


def test_max_cells_through_overrides_and_the_app_controls() -> None:
    scenario = scenario_from_dict(_lines(3))
    with pytest.raises(ScenarioError, match="above the limit of 5,000,000"):
        apply_overrides(scenario, ["simulation.runs=20000", "simulation.months=120"])
    session: dict = {}
    app_session.start_session(session, {})
    app_session.set_scenario(session, scenario)
    session.update({controls.W_RUNS: models.MAX_RUNS, controls.W_MONTHS: models.MAX_MONTHS})
    app_session.on_control_change(session, "simulation")
    assert session[app_session.SCENARIO] == scenario
    assert "5,000,000" in session[app_session.ERROR]


def test_max_reps_and_max_text() -> None:
    data = _base()
    data["team"]["reps"] = models.MAX_REPS + 1
    _rejects(data, "team.reps", "10000")
    data = _base()
    data["meta"]["lesson"] = "x" * (models.MAX_TEXT + 1)
    _rejects(data, "meta.lesson", f"at most {models.MAX_TEXT} characters")


def test_max_file_bytes(tmp_path: Path) -> None:
    text = dump_scenario(load_preset("balanced"))
    pad = scenario_io.MAX_FILE_BYTES - len(text.encode()) - 1  # in lines within MAX_LINE_CHARS
    lines = ["#" * 99] * (pad // 100) + ["#" * (pad % 100)]
    exactly = text + "\n".join(lines) + "\n"
    assert len(exactly.encode()) == scenario_io.MAX_FILE_BYTES
    assert parse_scenario(exactly.encode()) == load_preset("balanced")
    too_big = exactly + "\n"
    with pytest.raises(ScenarioError, match=r"upload\.toml: the file is 262,145 bytes"):
        parse_scenario(too_big.encode(), source="upload.toml")
    with pytest.raises(ScenarioError, match="longer than 262,144 characters"):
        parse_scenario(too_big + "x" * 10)
    path = tmp_path / "big.toml"
    path.write_text(too_big)
    with pytest.raises(ScenarioError, match="the limit is 262,144"):
        load_scenario(path)


def test_max_depth() -> None:
    nested: object = 1
    for _ in range(scenario_io.MAX_DEPTH + 1):
        nested = [nested]
    _rejects({"meta": {"title": nested}}, "meta.title", f"nested more than {scenario_io.MAX_DEPTH}")


def test_an_upload_above_the_limit_keeps_everything_in_the_app() -> None:
    session: dict = {}
    app_session.start_session(session, {"preset": "balanced"})
    app_session.pin_baseline(session)
    before = dict(session)
    big = b"# " + b"x" * scenario_io.MAX_FILE_BYTES
    assert not app_session.load_upload(session, name="big.toml", data=big)
    assert "the limit is 262,144" in session[app_session.ERROR]
    assert session[app_session.SCENARIO] == before[app_session.SCENARIO]
    assert session[app_session.BASELINE] == before[app_session.BASELINE]


def test_documented_limits_match_the_code() -> None:
    """README and SECURITY.md state the same limits as the code (the scenario-format
    doc is checked in tests/test_docs.py)."""
    figures = {
        "MAX_MONTHS": models.MAX_MONTHS,
        "MAX_RUNS": models.MAX_RUNS,
        "MAX_PRODUCT_LINES": models.MAX_PRODUCT_LINES,
        "MAX_CONTRACTS": models.MAX_CONTRACTS,
        "MAX_CELLS": models.MAX_CELLS,
        "MAX_FILE_BYTES": scenario_io.MAX_FILE_BYTES,
        "MAX_DEPTH": scenario_io.MAX_DEPTH,
    }
    for doc in ("README.md", "SECURITY.md"):
        text = (ROOT / doc).read_text()
        for name, value in figures.items():
            row = re.search(rf"`{name}`[^\n]*?\|\s*([\d,]+)\s*\|", text)
            assert row, f"{doc} does not list {name}"
            assert int(row.group(1).replace(",", "")) == value, f"{doc}: {name}"
    upload = CONFIG["server"]["maxUploadSize"]
    assert f"maxUploadSize = {upload}" in (ROOT / "SECURITY.md").read_text()
