"""Vega-Lite specs written as plain dicts, for the charts a rerun of the main page draws.

Building a chart as Altair objects and converting it (``to_dict``) cost about four times
the simulation on every cold rerun (copies of every layer, pandas sanitising, schema
look-ups; ``python -m bench.app``). The main page's builders in ``ui/charts.py`` write
the same Vega-Lite here directly from lists. :class:`Spec` keeps Altair's ``to_dict``, so
callers and tests read a spec as they read a chart, validated against the same schema.

Datasets are named after their chart and role (``fan-band``), not after a hash of their
rows: when only the numbers change, the spec Streamlit sends is the same text and the
browser refills the chart's data instead of embedding a new chart.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
"""The schema the installed Altair writes and validates against (``alt.SCHEMA_URL``)."""


@functools.cache
def _schema() -> dict[str, Any]:
    from altair.vegalite.v6.schema import core

    return core.load_schema()


@functools.cache
def _entry() -> dict[str, Any]:
    """The root schema without its definitions: what a spec is checked against, with
    the root schema resolving its references. Altair deep-copies the schema it is given
    on every check; the whole Vega-Lite schema made that 80% of a check."""
    return {key: value for key, value in _schema().items() if key != "definitions"}


class Spec(dict):
    """A finished Vega-Lite spec: a dict, with Altair's ``to_dict`` for its readers."""

    def to_dict(self, *, validate: bool = True) -> dict[str, Any]:
        """A fresh copy of the spec, validated against the Vega-Lite schema unless told
        not to (the app's own path: the builders' tests validate it)."""
        if not validate:
            return dict(self)  # Streamlit and the report change top-level keys only
        spec = json.loads(json.dumps(self))
        from altair.utils.schemapi import validate_jsonschema

        validate_jsonschema(spec, _entry(), rootschema=_schema())
        return spec


def finite(value: Any) -> Any:
    """A float for JSON: NaN and infinities become null, as Altair writes them."""
    value = float(value)
    return value if math.isfinite(value) else None


def finite_list(values: Any) -> list[Any]:
    """``[finite(v) for v in values]`` of a float array: the array's own floats when all
    are finite (the usual case), read in one ``tolist`` rather than one call a value."""
    out = values.tolist()
    if values.dtype.kind == "f" and np.isfinite(values).all():
        return out  # Python floats already, as ``finite`` would return them
    return [finite(v) for v in out]


def month_iso(year_month: str) -> str:
    """'2013-01' as the timestamp text Altair writes for a date column."""
    return f"{year_month}-01T00:00:00"


def records(columns: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows (one dict per row) from equally long columns, in the columns' order."""
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def field(name: str, kind: str, **props: Any) -> dict[str, Any]:
    """An encoding channel on a field; ``kind`` is Vega-Lite's type ('quantitative', ...)."""
    out: dict[str, Any] = {"field": name, "type": kind}
    out.update(props)
    return out


def tooltip(items: Iterable[tuple[str, str]], *, kind: str = "nominal") -> list[dict[str, Any]]:
    """Tooltip fields from (field, title) pairs."""
    return [{"field": name, "title": title, "type": kind} for name, title in items]


def layer_chart(
    layers: list[dict[str, Any]],
    *,
    datasets: Mapping[str, list[dict[str, Any]]],
    **props: Any,
) -> dict[str, Any]:
    """A layered spec whose layers read the named ``datasets``."""
    out: dict[str, Any] = {"layer": layers}
    out.update(props)
    out["datasets"] = dict(datasets)
    return out


def named(name: str) -> dict[str, str]:
    return {"name": name}


def arrow_table(rows: Sequence[Mapping[str, Any]]) -> Any:
    """A dataset's rows as an Arrow table, columns in the order they first appear."""
    import pyarrow as pa

    columns = _same_key_columns(rows)
    if columns is not None:
        return pa.table(columns)
    names = dict.fromkeys(name for row in rows for name in row)
    return pa.table({name: [row.get(name) for row in rows] for name in names})


def _same_key_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]] | None:
    """The rows' columns when every row is a dict with the same keys in the same order
    (every dataset the builders write), else None.

    A speed trick: the columns are the rows' values transposed by ``zip``, the same
    objects as one ``row.get`` a row and column gives, in a third of the time (0.6 ms
    of a cold rerun's 1.5 ms of Arrow encoding on the default preset).
    """
    if not rows or type(rows[0]) is not dict:
        return None
    names = list(rows[0])
    if not all(type(row) is dict and list(row) == names for row in rows):
        return None
    values = zip(*(row.values() for row in rows), strict=True)
    return {name: list(column) for name, column in zip(names, values, strict=True)}


@functools.cache
def _ipc_options() -> Any:
    """pyarrow's default stream options, made once: without them each writer read two
    environment variables for the pre-1.0 formats (a tenth of the datasets' encoding)."""
    import pyarrow as pa

    return pa.ipc.IpcWriteOptions()


def with_arrow_data(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with its datasets as Arrow IPC bytes, the form Streamlit sends them in.

    ``st.vega_lite_chart`` would turn each list of rows into a pandas frame and then into
    Arrow on every rerun (about a tenth of a cold rerun); done once here, the bytes are
    cached with the spec and passed through as they are.
    """
    import pyarrow as pa

    out = dict(spec)
    encoded = {}
    for name, rows in spec.get("datasets", {}).items():
        table = arrow_table(rows)
        sink = pa.BufferOutputStream()
        with pa.RecordBatchStreamWriter(sink, table.schema, options=_ipc_options()) as writer:
            writer.write_table(table)
        encoded[name] = sink.getvalue().to_pybytes()
    if encoded:
        out["datasets"] = encoded
    return out
