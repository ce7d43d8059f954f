"""The code's layers, lowest first, and the imports each may make (read with ``ast``).

1. the simulator domain: ``simulator/*.py`` except the command line;
2. the command line: ``simulator/cli.py`` (and ``simulator/__main__.py``);
3. the room store: ``rooms/*.py`` (the simulator and SQLAlchemy; no UI, no CLI);
4. ui pure helpers: ``ui/*.py`` that never import Streamlit;
5. Streamlit-calling ui modules: :data:`STREAMLIT_UI`, listed by hand;
6. the pages: ``app.py`` and ``pages/*.py``.

A module may import its own layer and the layers below it, never one above. Besides:
the simulator imports no Streamlit, Altair or ui (and pandas only where it is listed);
argparse lives in the command line only; nothing but ``bench`` imports ``bench``; the
product imports nothing from ``tests``, and ``bench`` only ``tests.support``; nothing in
the simulator keeps a process-wide memory budget. Each failure names the file and line,
the import and the rule it breaks.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import ResultSummary, SimulationResult, load_preset, simulate

ROOT = Path(__file__).resolve().parent.parent

STREAMLIT_UI = {
    "ui/assumptions.py",
    "ui/chart_warmup.py",
    "ui/compare_view.py",
    "ui/diagnosis.py",
    "ui/first_paint.py",
    "ui/nav.py",
    "ui/page_cache.py",
    "ui/presenter.py",
    "ui/push_widgets.py",
    "ui/room.py",
    "ui/streamlit_runtime.py",
    "ui/uploads.py",
    "ui/workshop.py",
}
"""The ui modules that call Streamlit; every other ui module is a pure helper."""
CLI = {"simulator/cli.py", "simulator/__main__.py"}
CLI_MAY_IMPORT = {"ui.report"}
"""The one ui module the command line imports: ``whiplash report`` draws the app's own
charts into the board report (a pure helper: no Streamlit, imported when it runs)."""
PANDAS_IN_DOMAIN = {"simulator/results.py"}
"""Simulator modules that may import pandas (the percentile tables are DataFrames)."""
LAYERS = (
    "the simulator domain",
    "the command line",
    "the room store",
    "ui pure helpers",
    "Streamlit-calling ui modules",
    "the pages",
)


def layer_of_file(rel: str) -> int | None:
    """The layer of a source file (a path relative to the root), or None if outside."""
    if rel in CLI:
        return 1
    if rel.startswith("simulator/"):
        return 0
    if rel.startswith("rooms/"):
        return 2
    if rel.startswith("ui/"):
        return 4 if rel in STREAMLIT_UI else 3
    if rel == "app.py" or rel.startswith("pages/"):
        return 5
    return None


def module_file(module: str, root: Path) -> str | None:
    """The source file (relative) of a dotted module name, if it is one of ours."""
    parts = module.split(".")
    for candidate in (Path(*parts).with_suffix(".py"), Path(*parts, "__init__.py")):
        if (root / candidate).is_file():
            return candidate.as_posix()
    return None


def _module_name(rel: str) -> str:
    path = Path(rel).with_suffix("")
    parts = path.parts[:-1] if path.name == "__init__" else path.parts
    return ".".join(parts)


@dataclasses.dataclass(frozen=True)
class Import:
    file: str
    line: int
    module: str
    """The imported module, resolved to its full name (``from . import x`` -> ``pkg.x``)."""
    source: str
    as_script: bool
    """Inside a top-level ``if __name__ == "__main__":`` block (runs only as a script)."""


def _is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        and any(
            isinstance(c, ast.Constant) and c.value == "__main__" for c in node.test.comparators
        )
    )


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every import in a file, at any depth (a function's lazy import counts too)."""
    rel = path.relative_to(root).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    script = {id(n) for guard in tree.body if _is_main_guard(guard) for n in ast.walk(guard)}
    name = _module_name(rel)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: level 1 is this package, 2 its parent, ...
                base = package[: len(package) - node.level + 1]
                prefix = ".".join([*base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            # ``from pkg import name`` imports the submodule pkg.name when there is one.
            names = [
                f"{prefix}.{a.name}" if module_file(f"{prefix}.{a.name}", root) else prefix
                for a in node.names
            ]
        else:
            continue
        for module in dict.fromkeys(names):
            yield Import(rel, node.lineno, module, ast.unparse(node), id(node) in script)


def product_files(root: Path) -> list[Path]:
    return sorted(
        [
            *(root / "simulator").glob("*.py"),
            *(root / "rooms").glob("*.py"),
            *(root / "ui").glob("*.py"),
            root / "app.py",
            *(root / "pages").glob("*.py"),
        ]
    )


def _top(module: str) -> str:
    return module.split(".")[0]


def violations(root: Path) -> list[str]:
    """Every import that breaks a rule, as 'file:line: `import` ...: the rule'."""
    found: list[str] = []

    def fail(imp: Import, rule: str) -> None:
        found.append(f"{imp.file}:{imp.line}: `{imp.source}` imports {imp.module}: {rule}")

    for path in product_files(root):
        rel = path.relative_to(root).as_posix()
        here = layer_of_file(rel)
        assert here is not None, rel
        imports = list(imports_of(path, root))
        streamlit = [i for i in imports if _top(i.module) == "streamlit"]
        for imp in imports:
            target = module_file(imp.module, root)
            there = layer_of_file(target) if target else None
            if here == 1 and imp.module in CLI_MAY_IMPORT:
                continue
            if there is not None and there > here and not (imp.as_script and there == 1):
                fail(
                    imp,
                    f"{LAYERS[here]} must not import {LAYERS[there]} (a lower layer imports "
                    "a higher one; move the code down or the import up)",
                )
            top = _top(imp.module)
            if here <= 1 and top in {"streamlit", "altair", "ui"}:
                fail(imp, f"the simulator is pure Python + numpy + pydantic: no {top}")
            if here == 2 and (top in {"streamlit", "altair", "ui"} or there == 1):
                fail(imp, f"the room store holds no UI and no command line: no {imp.module}")
            if here <= 1 and top == "pandas" and rel not in PANDAS_IN_DOMAIN:
                fail(imp, f"pandas is allowed in the simulator only in {sorted(PANDAS_IN_DOMAIN)}")
            if top == "argparse" and here != 1:
                fail(imp, "argparse belongs to the command line (simulator/cli.py) only")
            if top == "bench":
                fail(imp, "nothing outside bench/ imports bench")
            if top == "tests":
                fail(imp, "the product imports nothing from tests/ (tests.support is for tests)")
        if here == 3 and streamlit:
            fail(
                streamlit[0],
                "a ui pure helper imports no streamlit (if it must call Streamlit, add it to "
                "STREAMLIT_UI in tests/test_layers.py)",
            )
        if here == 4 and not streamlit:
            found.append(
                f"{rel}: is listed in STREAMLIT_UI but imports no streamlit: "
                "take it off the list (it is a ui pure helper)"
            )
    for path in sorted((root / "simulator").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("MemoryBudget"):
                found.append(
                    f"{path.relative_to(root).as_posix()}:{node.lineno}: makes a MemoryBudget: "
                    "the simulator holds no process-wide state (the app's budget is "
                    "ui/runtime.py)"
                )
    for folder in ("tests", "bench"):
        for path in sorted((root / folder).rglob("*.py")):
            for imp in imports_of(path, root):
                if folder == "tests" and _top(imp.module) == "bench":
                    fail(imp, "nothing outside bench/ imports bench")
                if (
                    folder == "bench"
                    and _top(imp.module) == "tests"
                    and not (imp.module.startswith("tests.support"))
                ):
                    fail(imp, "bench imports only tests.support from tests/")
    return found


def test_every_import_respects_the_layers() -> None:
    found = violations(ROOT)
    assert not found, "\n".join(found)


def test_every_product_file_has_a_layer() -> None:
    for path in product_files(ROOT):
        assert layer_of_file(path.relative_to(ROOT).as_posix()) is not None, path


# --- The checker itself: each rule fails on a file that breaks it.
BAD_TREE = {
    "simulator/__init__.py": "",
    "simulator/cli.py": "import argparse\nfrom .engine import run\n",
    "simulator/engine.py": "from .cli import main\n\ndef run():\n    from . import cli\n",
    "simulator/plot.py": "import altair\nimport pandas\nimport streamlit as st\n",
    "simulator/budget.py": "SHARED = MemoryBudget(10)\n",
    "simulator/tool.py": 'if __name__ == "__main__":\n    from .cli import main\n',
    "rooms/__init__.py": "",
    "rooms/store.py": "import streamlit as st\nfrom simulator import cli\nfrom ui import text\n",
    "rooms/plans.py": "from simulator import engine\n",
    "ui/__init__.py": "",
    "ui/format.py": "import streamlit as st\nfrom . import nav\n",
    "ui/nav.py": "import argparse\n",
    "app.py": "from tests.support import server\nimport bench.report\n",
    "pages/1_Page.py": "from ui import format\n",
    "tests/__init__.py": "",
    "tests/support/__init__.py": "",
    "tests/test_x.py": "from bench import app\n",
    "bench/__init__.py": "",
    "bench/report.py": "from tests.test_x import thing\nfrom tests.support import server\n",
}


@pytest.fixture
def bad_tree(tmp_path: Path) -> Path:
    for rel, text in BAD_TREE.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_checker_names_the_file_the_import_and_the_rule(bad_tree: Path) -> None:
    found = "\n".join(violations(bad_tree))
    expected = [
        "simulator/engine.py:1: `from .cli import main` imports simulator.cli: the simulator "
        "domain must not import the command line",
        "simulator/engine.py:4: `from . import cli` imports simulator.cli",
        "simulator/plot.py:1: `import altair` imports altair: the simulator is pure",
        "simulator/plot.py:2: `import pandas` imports pandas: pandas is allowed",
        "simulator/plot.py:3: `import streamlit as st` imports streamlit: the simulator is pure",
        "simulator/budget.py:1: makes a MemoryBudget",
        "rooms/store.py:1: `import streamlit as st` imports streamlit: the room store holds no "
        "UI and no command line",
        "rooms/store.py:2: `from simulator import cli` imports simulator.cli: the room store",
        "rooms/store.py:3: `from ui import text` imports ui: the room store must not import "
        "ui pure helpers",
        "ui/format.py:1: `import streamlit as st` imports streamlit: a ui pure helper imports "
        "no streamlit",
        "ui/format.py:2: `from . import nav` imports ui.nav: ui pure helpers must not import "
        "Streamlit-calling ui modules",
        "ui/nav.py: is listed in STREAMLIT_UI but imports no streamlit",
        "ui/nav.py:1: `import argparse` imports argparse: argparse belongs to the command line",
        "app.py:1: `from tests.support import server` imports tests.support: the product "
        "imports nothing from tests/",
        "app.py:2: `import bench.report` imports bench.report: nothing outside bench/",
        "tests/test_x.py:1: `from bench import app` imports bench",
        "bench/report.py:1: `from tests.test_x import thing` imports tests.test_x: bench imports "
        "only tests.support",
    ]
    for line in expected:
        assert line in found, f"missing: {line}\n--- found:\n{found}"
    flagged = {line.split(":")[0] for line in found.splitlines()}
    assert "simulator/tool.py" not in flagged  # a script's entry point may call the CLI
    assert "simulator/cli.py" not in flagged  # the CLI imports the domain and argparse
    assert "pages/1_Page.py" not in flagged
    assert "rooms/plans.py" not in flagged  # the room store builds on the simulator
    assert "bench/report.py:2" not in found


# --- One result type for every page: a summary reads like the full result.
def test_a_summary_holds_the_same_values_as_the_full_result() -> None:
    result = simulate(load_preset("team_a_team_b"), runs=200, seed=3)
    summary = result.summary_only()
    assert isinstance(summary, ResultSummary)
    for f in dataclasses.fields(ResultSummary):
        kept, full = getattr(summary, f.name), getattr(result, f.name)
        if isinstance(kept, pd.DataFrame):
            pd.testing.assert_frame_equal(kept, full)
        elif isinstance(kept, np.ndarray):
            np.testing.assert_array_equal(kept, full)
        else:
            assert kept == full, f.name
    assert not hasattr(summary, "output")  # no per-run engine arrays in a cache
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.runs = 1  # type: ignore[misc]


def _cached_functions() -> Iterator[tuple[str, ast.FunctionDef]]:
    for path in product_files(ROOT):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                ast.unparse(d.func if isinstance(d, ast.Call) else d).startswith(
                    ("st.cache_data", "st.cache_resource")
                )
                for d in node.decorator_list
            ):
                yield f"{path.relative_to(ROOT).as_posix()}:{node.name}", node


def test_the_caches_keep_summaries_never_full_results() -> None:
    returns = {
        name: ast.unparse(node.returns or ast.Constant(None)) for name, node in _cached_functions()
    }
    full = {name: r for name, r in returns.items() if SimulationResult.__name__ in r}
    assert not full, f"cached functions returning full results (use ResultSummary): {full}"
    summaries = {name for name, r in returns.items() if ResultSummary.__name__ in r}
    assert {"ui/page_cache.py:simulate_cached", "ui/workshop.py:simulate_scenario"} <= summaries
