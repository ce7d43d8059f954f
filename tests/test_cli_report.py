"""``whiplash report``: the app's board report from the shell, read back from the PDF
(pages, words) and the PNG (a picture); a plan bundle joins as the comparison; a bad
option is one line naming it; the other commands never load the app's chart code."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from simulator import load_preset
from simulator.bundle import Plan, dump_bundle
from simulator.cli import main
from tests.test_layers import violations

ROOT = Path(__file__).resolve().parent.parent


def pdf_text(path: Path) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_report_reads_back_with_the_plan_and_its_verdict(tmp_path, capsys) -> None:
    target = tmp_path / "board.pdf"
    code, out, err = run(capsys, "report", "team_a_team_b", "-o", str(target), "--runs", "150")
    assert code == 0, err
    pages, text = pdf_text(target)
    assert 1 <= pages <= 2
    assert "The 2012 client: Team A and Team B" in text
    assert "whiplash" in text.lower() and "Warning lead" in text
    assert "Team A: enterprise contracts" in text  # the settings, line by line
    assert f"written to {target}" in out and "150 futures" in out
    assert not (tmp_path / "board.png").exists()  # a PNG only when asked


def test_png_and_a_bundle_of_plans_to_compare(tmp_path, capsys) -> None:
    plans = [
        Plan("Base", load_preset("team_a_team_b")),
        Plan("Best case: staggered renewals", load_preset("balanced")),
    ]
    bundle = tmp_path / "plans.toml"
    bundle.write_text(dump_bundle(plans), encoding="utf-8")
    target = tmp_path / "board.pdf"
    code, out, err = run(
        capsys, "report", "scenarios/team_a_team_b.toml", "-o", str(target), "--png",
        "--compare", str(bundle), "--runs", "120",
    )  # fmt: skip
    assert code == 0, err
    _, text = pdf_text(target)
    assert "Plans compared" in text and "Best case: staggered renewals" in text
    picture = Image.open(tmp_path / "board.png")
    assert picture.format == "PNG" and picture.size[1] > picture.size[0] > 1000
    assert "compared with Base, Best case: staggered renewals" in out


def test_scenario_files_compare_under_their_file_names(tmp_path, capsys) -> None:
    target = tmp_path / "board.pdf"
    code, out, err = run(
        capsys, "report", "team_a_team_b", "-o", str(target), "--runs", "100",
        "--compare", "scenarios/balanced.toml", "scenarios/close_close_close.toml",
    )  # fmt: skip
    assert code == 0, err
    _, text = pdf_text(target)
    assert "balanced" in text and "close_close_close" in text
    assert "100 futures, compared with balanced, close_close_close" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", "{tmp}/report.txt"], "-o {tmp}/report.txt: name a .pdf file"),
        (["-o", "{tmp}/no/such/r.pdf"], "-o {tmp}/no/such/r.pdf: cannot write the file"),
        (["-o", "{tmp}"], None),
        (["-o", "{tmp}/r.pdf", "--compare", "{tmp}/x.toml"], "--compare {tmp}/x.toml: no such"),
        (["-o", "{tmp}/r.pdf", "--compare", "{tmp}"], "is a folder, not a plan bundle"),
        (["-o", "{tmp}/r.pdf", "--compare", "README.md"], "README.md: not valid TOML"),
        (["-o", "{tmp}/r.pdf", "--compare", *["scenarios/balanced.toml"] * 5], "at most 4"),
    ],
)  # fmt: skip
def test_a_bad_option_is_one_line_naming_it(tmp_path, capsys, argv, message) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = run(capsys, "report", "balanced", *args, "--runs", "20")
    assert code == 2 and not out
    assert err.startswith("whiplash: error: ") and err.count("\n") == 1
    if message is not None:
        assert message.replace("{tmp}", str(tmp_path)) in err
    assert "Traceback" not in err
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "balanced", "-o", "{tmp}/no/such/r.pdf"],
        ["report", "balanced", "-o", "{tmp}/r.pdf", "--png"],
        ["run", "scenarios/balanced.toml", "--csv", "{tmp}/no/such/q.csv"],
        ["run", "scenarios/balanced.toml", "--csv", "{tmp}"],
    ],
)
def test_a_file_that_cannot_be_written_is_refused_before_the_work(
    tmp_path, capsys, monkeypatch, argv
) -> None:
    """The error comes at once, not after the simulations and the report's charts."""
    (tmp_path / "r.png").mkdir()  # --png beside r.pdf would have to replace a folder
    monkeypatch.setattr("simulator.cli.simulate", lambda *a, **k: pytest.fail("simulated"))
    code, out, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2 and not out
    assert err.startswith("whiplash: error: ") and err.count("\n") == 1
    assert "cannot write the file" in err or "is a folder; give a file name" in err
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob("*.csv"))


def test_only_the_report_command_loads_the_charts() -> None:
    probe = (
        "import sys; from simulator.cli import main; "
        "main(['run', 'scenarios/balanced.toml', '--runs', '20', '--json']); "
        "print(sorted(m for m in ('altair', 'ui', 'streamlit', 'vl_convert') if m in sys.modules))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert shown.stdout.splitlines()[-1] == "[]"


def test_the_layers_allow_the_report_and_nothing_else_of_ui(tmp_path) -> None:
    for rel, text in {
        "simulator/__init__.py": "",
        "simulator/cli.py": "def report():\n    from ui import report\n    from ui import charts\n",
        "ui/__init__.py": "",
        "ui/report.py": "",
        "ui/charts.py": "",
        "app.py": "",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = "\n".join(violations(tmp_path))
    assert "simulator/cli.py:3: `from ui import charts`" in found
    assert "simulator/cli.py:2" not in found
