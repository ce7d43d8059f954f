"""Hostile text at every boundary: share links, uploads and files, --set and the CLI.

Each attack is a regression test at the boundary where it enters. Where memory is the
attack, the test measures the peak (tracemalloc in a child process whose address space
is capped, so a regression fails the test instead of taking the machine down).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from simulator import ScenarioError, apply_overrides, load_preset, load_scenario, parse_scenario
from simulator import scenario_io as sio
from simulator.cli import main, printable
from simulator.models import YEAR_MONTH, Simulation
from ui import controls, links, presets

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BALANCED = "scenarios/balanced.toml"
TEAM_AB = "scenarios/team_a_team_b.toml"
KEY_BOMB = "a" + ".a" * 130_999 + " = 1"
"""The reported bomb: tomllib builds every prefix of this key (6 GB, then MemoryError)."""


def _link(text: str) -> str:
    packed = zlib.compress(text.encode(), 9)
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def _peak_mb(statement: str) -> tuple[float, str]:
    """Peak traced memory (MB) of ``statement`` run in a child limited to 2 GB of address
    space, and what it printed (the ScenarioError's message)."""
    code = textwrap.dedent(
        f"""
        import resource, tracemalloc
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        import simulator
        from simulator import ScenarioError, parse_scenario
        from ui import book, controls, links, presets
        tracemalloc.start()
        try:
            {statement}
            message = "accepted"
        except ScenarioError as exc:
            message = str(exc)
        print(tracemalloc.get_traced_memory()[1] / 1e6)
        print(message)
        """
    )
    done = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak, message = done.stdout.split("\n", 1)
    return float(peak), message.strip()


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _usage_error(capsys, *args: str) -> str:
    """The CLI's stderr for a refused command: status 2, one line, no traceback."""
    code, out, err = run(capsys, *args)
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("whiplash: error: ")
    return err


# --- 1. TOML key bombs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        (f"links.decode_scenario({_link(KEY_BOMB)!r})", "more than 65,536 bytes of TOML"),
        (f"links.decode_scenario({_link('a' + '.a' * 16_000 + '=1')!r})", "8 dotted parts"),
        ("parse_scenario(('a' + '.a' * 20_000 + ' = 1').encode(), source='up')", "32,768"),
        ("parse_scenario(('a' + '.a' * 16_000 + ' = 1').encode(), source='up')", "8 dotted parts"),
        ("parse_scenario('a' + '.a' * 60_000 + ' = 1')", "the limit is 32,768"),
        ("parse_scenario('[' + 'a.' * 10_000 + 'a]')", "8 dotted parts"),
        ("parse_scenario('x = {' + 'a.' * 10_000 + 'a = 1}')", "8 dotted parts"),
    ],
    ids=[
        "link",
        "link within the inflate limit",
        "upload",
        "short upload",
        "file",
        "header",
        "inline table",
    ],
)
def test_key_bombs_cost_a_few_mb_and_get_a_clear_message(statement, refusal):
    peak, message = _peak_mb(statement)
    assert peak < 5, f"peak {peak:.1f} MB"
    assert refusal in message


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("a.b.c.d.e.f.g.h.i = 1", "more than 8 dotted parts"),
        ('"' + "k" * 300 + '" = 1', "characters long; the limit is 200"),
        ("x = " + "[" * 40 + "]" * 40, "TOML is nested more than 16 levels"),
        ("x = " + "{a = " * 40 + "1" + "}" * 40, "TOML is nested more than 16 levels"),
        ("".join(f"k{i} = 1\n" for i in range(sio.MAX_KEYS + 1)), "at most 5,000"),
        ("[[contracts]]\n" * (sio.MAX_TABLES + 1), "at most 1,000"),
        ("x = 1" + " " * sio.MAX_LINE_CHARS, "characters long; the limit is 32,768"),
    ],
    ids=["parts", "key length", "arrays", "inline tables", "keys", "tables", "line"],
)
def test_the_shape_limits_name_the_line_and_the_limit(text, limit):
    with pytest.raises(ScenarioError, match=limit) as caught:
        parse_scenario(text, source="up.toml")
    assert str(caught.value).startswith("up.toml: line ")


def test_strings_and_comments_do_not_count_as_structure():
    """Brackets, dots and '=' inside strings and comments are text, not TOML."""
    tricky = "[{." * 600
    text = (
        f"[meta]  # {'[' * 40} a.b.c.d.e.f.g.h.i.j = 1\n"
        f'title = "{tricky[:190]}"\n'
        f"description = '{tricky}'\n"
        f'lesson = """\n{tricky}\n""\n"a.b.c.d.e.f.g.h.i.j=[[[[""""\n'
        f"question = '''{tricky}'''''\n"
    )
    scenario = parse_scenario(text)
    assert scenario.meta.description == tricky
    assert scenario.meta.lesson.endswith('a.b.c.d.e.f.g.h.i.j=[[[["')
    assert scenario.meta.question == tricky + "''"


def test_every_preset_and_workshop_passes_the_shape_check():
    for path in [*ROOT.glob("scenarios/*.toml"), *ROOT.glob("scenarios/workshops/*.toml")]:
        sio.check_toml_shape(path.read_text(encoding="utf-8"), source=path.name)


def test_a_full_book_round_trips_through_a_link():
    """A scenario at the limits (200 contracts) still fits the link and the shape check."""
    base = load_preset("team_a_team_b")
    data = sio.scenario_to_dict(base)
    contract = data["contracts"][0]
    data["contracts"] = [dict(contract, name=f"Client {i}") for i in range(200)]
    big = sio.scenario_from_dict(data)
    assert links.decode_scenario(links.encode_scenario(big)) == big


def test_memory_and_recursion_errors_become_scenario_errors(monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(sio.tomllib, "loads", exhausted)
    with pytest.raises(ScenarioError, match=r"up.toml: cannot be read \(it needs more memory"):
        parse_scenario("a = 1", source="up.toml")
    with pytest.raises(ScenarioError, match="more memory"):
        links.decode_scenario(links.encode_scenario(load_preset("balanced")))
    monkeypatch.undo()
    monkeypatch.setattr(sio.Scenario, "model_validate", exhausted)
    with pytest.raises(ScenarioError, match="scenario: cannot be checked"):
        sio.scenario_from_dict({})


def test_the_cli_turns_a_memory_error_into_one_line(capsys, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("simulator.cli.simulate", exhausted)
    err = _usage_error(capsys, "run", BALANCED)
    assert "more memory than this machine has" in err


def test_the_cli_refuses_a_key_bomb_file(tmp_path, capsys):
    path = tmp_path / "bomb.toml"
    path.write_text("a" + ".a" * 1_000 + " = 1\n")  # small: a regression must not eat memory
    err = _usage_error(capsys, "run", str(path))
    assert "the key 'a.a.a.a.a.a.a.a.a' has more than 8 dotted parts" in err


def test_a_set_value_cannot_smuggle_a_key_bomb():
    with pytest.raises(
        ScenarioError, match=r"--set team\.reps: line 1: the key .a\.a\.a.* has more than 8"
    ):
        apply_overrides(load_preset("balanced"), ["team.reps={" + "a." * 1_000 + "a = 1}"])


# --- 2. Special files ------------------------------------------------------------------


def test_the_cli_refuses_a_device_without_reading_it():
    done = subprocess.run(
        [PYTHON, "-m", "simulator", "run", "/dev/zero"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "whiplash: error: /dev/zero: is not a regular file (a device, pipe or socket)\n"
    )


def test_a_fifo_is_refused_at_once(tmp_path, capsys):
    fifo = tmp_path / "scenario.toml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="is not a regular file"):
        load_scenario(fifo)  # without O_NONBLOCK this open would wait for a writer forever
    assert "is not a regular file" in _usage_error(capsys, "run", str(fifo))


def test_a_file_that_grows_is_read_only_up_to_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.toml"
    path.write_bytes(b"# x\n" * (sio.MAX_FILE_BYTES // 2))
    reads = []
    real_read = os.read

    def spy(fd, n):
        reads.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(sio.os, "read", spy)
    with pytest.raises(ScenarioError, match="the file is 524,288 bytes; the limit is 262,144"):
        load_scenario(path)
    assert sum(reads) <= sio.MAX_FILE_BYTES + 1 + len(reads)


# --- 3. ASCII digits in indexes and numbers ---------------------------------------------


@pytest.mark.parametrize("index", ["²", "١", "０", "9" * 150, "-1", "1_0"])
def test_a_list_index_in_set_must_be_ascii_digits(capsys, index):
    err = _usage_error(capsys, "run", TEAM_AB, "--set", f"contracts.{index}.ends=2013-06")
    assert "is not an existing list entry" in err
    assert len(err) < 200


@pytest.mark.parametrize("path", ["contracts." + "9" * 5_000 + ".ends", "a" + ".a" * 100_000])
def test_a_set_path_is_bounded(capsys, path):
    err = _usage_error(capsys, "run", TEAM_AB, "--set", f"{path}=1")
    assert "a field path has at most 8 parts and 200 characters" in err
    assert len(err) < 200


@pytest.mark.parametrize("text", ["١٢", "1_000", "²", "9" * 5_000])
def test_link_numbers_are_ascii_digits(text):
    scenario, notes = links.apply_params(load_preset("balanced"), {"runs": text, "turnover": text})
    assert scenario == load_preset("balanced")
    assert len(notes) == 2 and all(len(note) < 200 for note in notes)


@pytest.mark.parametrize("option", ["--runs", "--seed"])
@pytest.mark.parametrize("text", ["١٢", "1_000", "²", "9" * 5_000, " "])
def test_cli_numbers_are_ascii_digits(capsys, option, text):
    err = _usage_error(capsys, "run", BALANCED, option, text)
    assert "is not a whole number" in err and len(err) < 200


# --- 4. Terminal output -------------------------------------------------------------------

EVIL_TITLE = "Evil\x1b[2J\x1b]52;c;aGk=\x07\rVerdict: NONE\nVerdict: NONE\u202e\x9b"


def _evil_file(tmp_path: Path) -> Path:
    path = tmp_path / "evil.toml"
    path.write_text(
        f"[meta]\ntitle = {json.dumps(EVIL_TITLE)}\n"
        "[simulation]\nruns = 40\n"
        '[product_lines.core]\nname = "Core\\u001b[31m"\n'
        '[[contracts]]\nname = "Big\\u001b[5m"\nproduct_line = "core"\n'
        'annual_value = 1_000_000\nends = "2013-01"\n',
        encoding="utf-8",
    )
    return path


def test_printable_shows_every_control_and_bidi_character():
    controls = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))
    bidi = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
    shown = printable(controls + bidi)
    assert shown.isprintable() and shown.isascii()
    assert printable("\x1b[2J") == "^[[2J" and printable("a\nb") == "a^Jb"
    assert printable("Café, 2013Q1 → 90%") == "Café, 2013Q1 → 90%"


@pytest.mark.parametrize("command", ["run", "compare", "diagnose"])
def test_user_text_cannot_fake_lines_or_send_escapes(tmp_path, capsys, command):
    path = str(_evil_file(tmp_path))
    args = [path, path] if command == "compare" else [path]
    code, out, err = run(capsys, command, *args, "--runs", "40")
    assert code == 0, err
    assert "\x1b" not in out + err and "\r" not in out and "\u202e" not in out
    assert "Evil^[[2J^[]52;c;aGk=^G^MVerdict: NONE^JVerdict: NONE<U+202E><U+009B>" in out
    verdicts = sum(line.startswith("Verdict:") for line in out.splitlines())
    assert verdicts == (0 if command == "diagnose" else 1)


def test_json_output_escapes_user_text(tmp_path, capsys):
    code, out, _ = run(capsys, "run", str(_evil_file(tmp_path)), "--json")
    assert code == 0 and out.isascii() and "\x1b" not in out
    assert json.loads(out)["scenario"] == EVIL_TITLE


def test_error_messages_are_printable(tmp_path, capsys):
    path = tmp_path / "bad\x1b[31m.toml"
    path.write_text("[meta]\ntitle = \n")
    err = _usage_error(capsys, "run", str(path))
    assert "\x1b" not in err and "bad^[[31m.toml: not valid TOML" in err
    err = _usage_error(capsys, "run", BALANCED, "--set", "simulation.months=\x1b]52;c;aGk=\x07")
    assert "\x1b" not in err and "\x07" not in err


def test_usage_errors_are_printable(capsys):
    err = _usage_error(capsys, "run", BALANCED, "\x1b[2Jextra")
    assert "\x1b" not in err and "^[[2Jextra" in err


# --- 5. Bounded error text --------------------------------------------------------------


def test_a_link_with_thousands_of_bad_contracts_gives_a_short_note():
    text = "".join("[[contracts]]\nname = 1\n" for _ in range(900))
    link = _link(text)
    assert len(link) < 1_000
    _, preset, notes = links.scenario_from_params({"scenario": link})
    assert preset == presets.DEFAULT_PRESET
    assert len(notes) == 1 and len(notes[0]) <= sio.MAX_MESSAGE_CHARS + 100
    assert "more problems" in notes[0]


def test_thousands_of_unknown_keys_give_one_short_line(tmp_path, capsys):
    path = tmp_path / "unknown.toml"
    path.write_text("".join(f"unknown_{i} = 1\n" for i in range(4_000)))
    err = _usage_error(capsys, "run", str(path))
    assert len(err) <= sio.MAX_MESSAGE_CHARS + 20
    assert "unknown_0: is not a known field" in err
    assert "... and 3,995 more problems" in err


def test_every_scenario_error_is_bounded():
    assert len(str(ScenarioError("x" * 100_000))) == sio.MAX_MESSAGE_CHARS
    assert str(ScenarioError("short")) == "short"


# --- 6. Month pattern and line ids ------------------------------------------------------


@pytest.mark.parametrize("month", ["٢٠١٣-01", "２０１３-01", "2013-01\n", "2013-1", " 2013-01"])
def test_months_are_ascii_and_nothing_more(month):
    text = (ROOT / TEAM_AB).read_text().replace('ends = "2013-01"', f"ends = {json.dumps(month)}")
    with pytest.raises(ScenarioError, match=r"contracts\.0\.ends: .* is not a month in the form"):
        parse_scenario(text)


def test_the_month_pattern_is_still_one_the_browser_can_use():
    """app.py passes YEAR_MONTH.pattern to the table editor (a JavaScript RegExp)."""
    assert YEAR_MONTH.pattern.startswith("^") and YEAR_MONTH.pattern.endswith("$")
    assert "\\d" not in YEAR_MONTH.pattern and "\\Z" not in YEAR_MONTH.pattern
    assert YEAR_MONTH.fullmatch("2013-01") and not YEAR_MONTH.fullmatch("2013-01\n")


def test_a_line_id_with_a_trailing_newline_is_refused():
    with pytest.raises(ScenarioError, match="product line id 'core\\\\n' must start"):
        parse_scenario('[product_lines."core\\n"]\nname = "Core"\n')


# --- 7. Diagnosis and stagger near the end of the calendar ------------------------------


def _late_scenario(tmp_path: Path) -> Path:
    text = (ROOT / TEAM_AB).read_text()
    text = text.replace('start = "2012-01"', 'start = "2200-10"')
    text = text.replace('ends = "2013-01"', 'ends = "2200-12"')
    path = tmp_path / "late.toml"
    path.write_text(text)
    return path


def test_diagnose_works_for_a_scenario_starting_in_2200(tmp_path, capsys):
    code, out, err = run(capsys, "diagnose", str(_late_scenario(tmp_path)), "--runs", "40")
    assert code == 0, err
    assert "Renewal dates:" in out and "contracts.0.ends" not in out + err


def test_stagger_renewals_keeps_ends_within_the_calendar(tmp_path):
    scenario = load_scenario(_late_scenario(tmp_path))
    staggered = controls.stagger_renewals(scenario)
    assert [c.ends for c in staggered.contracts] == ["2200-11", "2200-12"]


# --- 8. Strict types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('[simulation]\nmonths = "36"', "simulation.months: Input should be a valid integer"),
        ("[simulation]\nruns = true", "simulation.runs: Input should be a valid integer"),
        ("[simulation]\nmonths = 36.0", "simulation.months: Input should be a valid integer"),
        ('[team]\nreps = "12"', "team.reps: Input should be a valid number"),
        ("[pipeline]\nwarm_start = 1", "pipeline.warm_start: Input should be a valid boolean"),
        ('[pipeline]\nwarm_start = "yes"', "pipeline.warm_start: Input should be a valid"),
        ("[meta]\ntitle = 5", "meta.title: Input should be a valid string"),
    ],
)
def test_files_must_use_the_right_types(line, field):
    with pytest.raises(ScenarioError, match=field):
        parse_scenario(line)


def test_a_whole_number_is_still_a_decimal():
    scenario = parse_scenario("[team]\nreps = 12\n[targets]\nquarterly_revenue = 2000000\n")
    assert scenario.team.reps == 12.0 and isinstance(scenario.team.reps, float)


# --- 9. --seed and --runs read the model's range ----------------------------------------


def test_seed_and_runs_accept_exactly_the_models_range(capsys):
    fields = Simulation.model_fields
    top_seed = next(m.le for m in fields["seed"].metadata if getattr(m, "le", None))
    top_runs = next(m.le for m in fields["runs"].metadata if getattr(m, "le", None))
    assert "is outside 0..9223372036854775807" in _usage_error(
        capsys, "run", BALANCED, "--seed", str(top_seed + 1)
    )
    assert f"is outside 1..{top_runs}" in _usage_error(
        capsys, "run", BALANCED, "--runs", str(top_runs + 1)
    )
    code, out, err = run(capsys, "run", BALANCED, "--seed", str(top_seed), "--runs", "20")
    assert code == 0, err
    assert f"seed: {top_seed}" in out


# --- 10. Output paths ----------------------------------------------------------------------


def test_csv_to_a_missing_folder_says_so(tmp_path, capsys):
    target = tmp_path / "nonexist" / "x.csv"
    err = _usage_error(capsys, "run", BALANCED, "--runs", "20", "--csv", str(target))
    assert f"--csv {target}: cannot write the file (the folder " in err
    assert "does not exist" in err and "None" not in err


def test_csv_to_a_folder_says_so(tmp_path, capsys):
    err = _usage_error(capsys, "run", BALANCED, "--runs", "20", "--csv", str(tmp_path))
    assert f"--csv {tmp_path}: is a folder; give a file name" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_csv_without_permission_says_so(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    err = _usage_error(capsys, "run", BALANCED, "--runs", "20", "--csv", str(locked / "x.csv"))
    assert "permission denied" in err


def test_csv_to_a_full_device_says_why(capsys):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    err = _usage_error(capsys, "run", BALANCED, "--runs", "20", "--csv", "/dev/full")
    assert "--csv /dev/full: cannot write the file (No space left on device)" in err


# --- 11. Unknown and too many link parameters -----------------------------------------


def test_unknown_link_parameters_get_one_note():
    params = {"preset": "balanced", "foo": "1", "bar": "2", "baz": "3", "qux": "4"}
    scenario, preset, notes = links.scenario_from_params(params)
    assert preset == "balanced" and scenario == load_preset("balanced")
    assert notes == [
        "The link has 4 unknown parameters that were ignored ('foo', 'bar', 'baz', ...)."
    ]


def test_a_link_with_a_huge_number_of_parameters_gives_one_short_note():
    params = {f"p{i}\x1b" * 10: "x" for i in range(100_000)}
    params["runs"] = "500"
    scenario, _, notes = links.scenario_from_params(params)
    assert scenario.simulation.runs == 500
    assert len(notes) == 1 and len(notes[0]) < 200
    assert "The link has 100,000 unknown parameters" in notes[0]


def test_security_md_lists_every_new_limit_with_its_value():
    text = (ROOT / "SECURITY.md").read_text()
    limits = {n: getattr(sio, n) for n in dir(sio) if n.startswith("MAX_")}
    limits["MAX_LINK_BYTES"] = links.MAX_LINK_BYTES
    for name, value in limits.items():
        row = re.search(rf"`{name}` \| ([\d,]+) \|", text)
        assert row, f"SECURITY.md does not list {name}"
        assert int(row.group(1).replace(",", "")) == value, name


def test_a_hex_number_too_long_to_show_is_a_clear_error(capsys, tmp_path):
    """TOML reads hex without Python's 4,300-digit limit; quoting it raised ValueError."""
    text = "[simulation]\nseed = 0x" + "f" * 5_000 + "\n"
    with pytest.raises(ScenarioError, match=r"simulation\.seed: .*got a number too long to show"):
        parse_scenario(text, source="up.toml")
    path = tmp_path / "hex.toml"
    path.write_text(text)
    assert "simulation.seed" in _usage_error(capsys, "run", str(path))
    _, preset, notes = links.scenario_from_params({"scenario": _link(text)})
    assert preset == presets.DEFAULT_PRESET
    assert len(notes) == 1 and "simulation.seed" in notes[0]


def test_a_link_with_bytes_after_its_scenario_is_refused() -> None:
    """A zlib stream followed by junk or a second stream is not a link the app wrote."""
    packed = zlib.compress(b'[meta]\ntitle = "x"\n[team]\nreps = 3\n', 9)
    for tail in (b"junk", zlib.compress(b"[team]\nreps = 9\n")):
        text = base64.urlsafe_b64encode(packed + tail).decode("ascii").rstrip("=")
        with pytest.raises(ScenarioError, match="damaged"):
            links.decode_scenario(text)


@pytest.mark.parametrize("text", ["1_0", "\u0661\u0662", "\uff13", "1" * 5_000])
def test_optimize_whole_number_options_take_ascii_digits_only(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["optimize", "scenarios/balanced.toml", "--max-contacts", text])
    err = capsys.readouterr().err
    assert code == 2 and "--max-contacts" in err
    assert "is not a whole number" in err or "(cut short)" in err  # a long value is cut
    assert len(err.strip().splitlines()) == 1 and len(err) < 700 and "Traceback" not in err
