"""The README's walk from the sample CRM export to a board report is true today: the
page's sentences it quotes are what the wizard shows for the sample, every command of
its shell block runs, the three plans' figures are what ``whiplash run`` prints, and
the report command writes a PDF that compares the plans."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pypdf
import pytest

from simulator import Scenario, load_scenario
from simulator.bundle import Plan, dump_bundle
from simulator.cli import main
from simulator.money import using_currency
from simulator.scenario_io import apply_overrides
from ui import crm_import as crm
from ui.controls import EffortControls, effort_from_controls

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## From your CRM export") : README.index("### `whiplash calibrate`")]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", SECTION, re.S)


def commands() -> list[list[str]]:
    [shell] = blocks("sh")
    return [shlex.split(line)[1:] for line in shell.splitlines() if line.strip()]


def test_the_sliders_of_step_4_are_the_commands_effort() -> None:
    """The app's plans of step 4 (slider positions as the README gives them) are the
    shell's ``--set effort.*`` plans, so the figures hold for both."""
    base = Scenario()  # the effort split a calibrated scenario has
    sliders = [
        EffortControls(new_business=50, closing=90, engage=30, retain=40, leverage=30),
        EffortControls(new_business=80, closing=40, engage=90, retain=5, leverage=5),
    ]
    for controls, step in zip(sliders, commands()[2:4], strict=True):
        sets = [step[i + 1] for i, arg in enumerate(step) if arg == "--set"]
        assert effort_from_controls(controls) == apply_overrides(base, sets).effort
    assert "*…of which closing* to 90%" in SECTION and "*Account care* 5" in SECTION


def test_the_quoted_page_sentences_are_what_the_wizard_shows() -> None:
    data = (ROOT / "examples" / "crm_opportunities.csv").read_bytes()
    header = crm.read_file_header("crm_opportunities.csv", data)
    outcome = crm.fit(crm.FitRequest(crm.Upload("crm_opportunities.csv", data, header.detected)))
    assert outcome.calibration is not None
    with using_currency(outcome.calibration.scenario.currency):
        shown = [crm.summary(outcome.calibration), crm.backtest_sentence(outcome.calibration)]
    quoted = [line.strip() for line in blocks("text")[0].splitlines() if line.strip()]
    assert quoted == shown


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "crm_opportunities.csv").write_bytes(
        (ROOT / "examples" / "crm_opportunities.csv").read_bytes()
    )
    return tmp_path


def test_every_command_runs_and_the_figures_are_what_run_prints(in_tmp, capsys) -> None:
    steps = commands()
    assert [s[0] for s in steps] == ["calibrate", "run", "run", "run", "report"]
    assert main(steps[0]) == 0
    capsys.readouterr()
    printed, plans = [], []
    for step, name in zip(steps[1:4], ("Base", "Close, close, close", "Hand off"), strict=True):
        assert main(step) == 0
        out = capsys.readouterr().out
        printed += [line for line in out.splitlines() if line.startswith(("Verdict:", "Totals"))]
        sets = [step[i + 1] for i, arg in enumerate(step) if arg == "--set"]
        plans.append(Plan(name, apply_overrides(load_scenario("mine.toml"), sets)))
    assert "\n".join(printed) + "\n" == blocks("text")[1]
    (in_tmp / "plans.toml").write_text(dump_bundle(plans), encoding="utf-8")  # "Save plans"
    assert main([*steps[4], "--runs", "200"]) == 0
    reader = pypdf.PdfReader(io.BytesIO((in_tmp / "board.pdf").read_bytes()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert 1 <= len(reader.pages) <= 2
    assert "Calibrated from crm_opportunities.csv" in text
    assert "Close, close, close" in text and "Hand off" in text
    assert (in_tmp / "board.png").read_bytes().startswith(b"\x89PNG")
