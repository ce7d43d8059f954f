"""The main page's charts as Vega-Lite dicts (ui/vega.py): validated like Altair's, the
same spec text when only the numbers change (the browser refills the data), and data
encoded once as Arrow that decodes to the rows the chart was built from."""

from __future__ import annotations

import json
from functools import cache

import jsonschema
import numpy as np
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from simulator import load_preset, simulate
from simulator.results import ResultSummary
from ui import charts, vega, verdict_charts


@cache
def result(seed: int = 1, *, preset: str = "team_a_team_b") -> ResultSummary:
    return simulate(load_preset(preset), runs=80, seed=seed).summary_only()


BUILDERS = {
    "fan": lambda r: charts.revenue_fan_chart(r),
    "fan+baseline": lambda r: charts.revenue_fan_chart(r, baseline=result(7, preset="balanced")),
    "quarters": charts.quarterly_bars,
    "attainment": verdict_charts.attainment_chart,
    "warning": verdict_charts.warning_chart,
    "by source": lambda r: charts.breakdown_chart(r, by="source"),
    "by line": lambda r: charts.breakdown_chart(r, by="line"),
    "team": charts.capacity_chart,
    "calendar": lambda r: charts.renewal_calendar(r.scenario),
    "effort": lambda r: charts.effort_split_bar(r.scenario.effort),
}


def without_data(spec: dict) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)


def test_an_invalid_spec_is_refused_as_altair_would() -> None:
    with pytest.raises(jsonschema.ValidationError):
        vega.Spec({"mark": {"type": "no such mark"}}).to_dict()
    with pytest.raises(jsonschema.ValidationError):
        vega.Spec({"mark": "line", "encoding": {"x": {"field": "a", "type": "odd"}}}).to_dict()


@pytest.mark.parametrize("name", BUILDERS)
def test_other_numbers_keep_the_spec_text_so_the_browser_only_refills_the_data(
    name: str,
) -> None:
    first, second = (BUILDERS[name](result(seed)).to_dict() for seed in (1, 2))
    assert without_data(first) == without_data(second)
    # The calendar and the effort bar draw the plan; this team has no leavers or hires.
    if name not in ("calendar", "effort", "team"):
        assert first["datasets"] != second["datasets"]


@pytest.mark.parametrize("name", BUILDERS)
def test_the_data_sent_as_arrow_decodes_to_the_charts_rows(name: str) -> None:
    spec = BUILDERS[name](result()).to_dict()
    sent = vega.with_arrow_data(spec)
    assert without_data(sent) == without_data(spec)
    for key, rows in spec["datasets"].items():
        frame = convert_arrow_bytes_to_pandas_df(sent["datasets"][key])
        decoded = [
            {k: (None if v != v else v) for k, v in row.items()}  # NaN back to null
            for row in frame.to_dict("records")
        ]
        assert decoded == rows, (name, key)


def test_the_report_pages_charts_keep_their_data_apart() -> None:
    """The PNG report pools its charts' datasets by name: no two charts share one."""
    r = result()
    names = [
        set(spec.to_dict(validate=False)["datasets"])
        for spec in (
            charts.revenue_fan_chart(r),
            charts.quarterly_bars(r),
            charts.renewal_calendar(r.scenario),
        )
    ]
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])


@pytest.mark.parametrize(
    "values",
    [
        np.array([1.5, -2.0, 0.0, 3e12]),
        np.array([1.5, np.nan, np.inf, -np.inf]),
        np.array([1, 2, 3]),  # ints: finite() writes them as floats
        np.array([], dtype=float),
    ],
)
def test_finite_list_is_finite_of_each_value(values: np.ndarray) -> None:
    got = vega.finite_list(values)
    want = [vega.finite(v) for v in values]
    assert got == want
    assert [type(v) for v in got] == [type(v) for v in want]


def test_monthly_arrays_are_the_tables_columns_read_once_per_table() -> None:
    monthly = result().monthly
    arrays = charts._monthly_arrays(monthly)
    for name in charts.MONTHLY_COLUMNS:
        assert np.array_equal(arrays[name], monthly[name].to_numpy())
    assert charts._monthly_arrays(monthly) is arrays
    other = result(2).monthly
    assert not np.array_equal(charts._monthly_arrays(other)["p50"], arrays["p50"])


def test_the_arrow_bytes_are_pyarrows_default_stream() -> None:
    import pyarrow as pa

    rows = [{"a": 1.5, "b": "x"}, {"a": None, "b": "y"}]
    sink = pa.BufferOutputStream()
    table = vega.arrow_table(rows)
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    sent = vega.with_arrow_data({"datasets": {"d": rows}})
    assert sent["datasets"]["d"] == sink.getvalue().to_pybytes()


@pytest.mark.parametrize(
    "rows",
    [
        [
            {"a": 1.5, "b": "x", "c": True},
            {"a": None, "b": "y", "c": False},
            {"a": 2, "b": None, "c": None},
        ],
        [{"a": 1.5, "b": "x"}, {"b": "y", "a": 2.5}],  # another key order
        [{"a": 1.5}, {"a": 2.5, "b": "y"}],  # a key the first row lacks
        [{"a": 1}],
        [],
    ],
)
def test_arrow_tables_from_the_transposed_rows_are_the_row_by_row_ones(rows: list) -> None:
    import pyarrow as pa

    names = dict.fromkeys(name for row in rows for name in row)
    expected = pa.table({name: [row.get(name) for row in rows] for name in names})
    got = vega.arrow_table(rows)
    assert got.schema == expected.schema
    assert got.equals(expected)


def test_a_remembered_wrap_hands_out_its_own_lines() -> None:
    text = "A title long enough to take two lines in the narrowest chart of the page"
    first = charts.wrap(text)
    assert len(first) > 1
    first.append("changed by its reader")
    assert charts.wrap(text) == first[:-1]
