"""The speed tricks of the engine's steps after the monthly loop give the plain
computation's numbers, bit for bit (simulator/engine.py: ``_contracts_seen``,
``_lines_with_candidates``), or to the last digits where the order of a sum differs
(``_known_by_ahead``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simulator import engine, load_preset, scenario_from_dict, scenario_to_dict
from simulator.small_axes import sum_last_axis


@pytest.mark.parametrize("count", [1, 2, 4, 8])
@pytest.mark.parametrize("runs", [1, 3, 300])
def test_contracts_seen_by_alive_set_is_the_einsum(count: int, runs: int) -> None:
    rng = np.random.default_rng(count * 1000 + runs)
    months, ahead = 13, 12
    values = rng.random((months, count, ahead)) * 10.0 ** rng.integers(-3, 12, (months, count, 1))
    values[rng.random(values.shape) < 0.2] = 0.0
    alive = rng.random((months, count, runs)) < 0.6
    table = engine._sums_by_alive_set(values, runs=max(runs, 1 << count))
    assert table is not None
    base = dict.fromkeys(f.name for f in dataclasses.fields(engine._CoverageTerms))
    terms = engine._CoverageTerms(**{**base, "contract_values": values, "by_alive_set": table})
    plain = dataclasses.replace(terms, by_alive_set=None)
    looked_up = engine._contracts_seen(terms, alive)
    expected = engine._contracts_seen(plain, alive)
    np.testing.assert_array_equal(looked_up, expected)
    assert looked_up.shape == (ahead, months, runs)


@pytest.mark.parametrize("terms", [(36, 12), (2, 36, 5), (1, 3, 4, 7, 12, 24, 36, 3)])
def test_known_by_ahead_is_the_running_sum_of_each_months_own_weights(terms: tuple) -> None:
    """Entry [h - 1, t, r]: the sum over k = 1 .. h of x[r, t + k] . w[:, k - 1], where a
    line's weight is 0 from the month ahead its term has already passed (one column per
    month ahead, several of them different when terms are shorter than the look-ahead)."""
    rng = np.random.default_rng(len(terms))
    runs, months, look = 5, 7, 6
    n_lines = len(terms)
    x = rng.random((runs, months + look, n_lines)) * 10.0 ** rng.integers(0, 9, (1, 1, n_lines))
    known = np.arange(1, look + 1)[None, :] <= np.array(terms)[:, None]
    weights = known / 12.0
    got = engine._known_by_ahead(x, weights, months)
    want = np.zeros((look, months, runs))
    for r in range(runs):
        for t in range(months):
            total = 0.0
            for h in range(1, look + 1):
                total += float(x[r, t + h] @ weights[:, h - 1])
                want[h - 1, t, r] = total
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0.0)
    assert got.shape == (look, months, runs)


def test_no_alive_set_table_for_many_contracts_or_few_runs() -> None:
    values = np.ones((3, 9, 4))
    assert engine._sums_by_alive_set(values, runs=10_000) is None  # 512 sets
    assert engine._sums_by_alive_set(values[:, :4], runs=10) is None  # 16 sets, 10 runs
    assert engine._sums_by_alive_set(values[:, :0], runs=10) is None


@pytest.mark.parametrize("preset", ["balanced", "team_a_team_b", "new_product_splash"])
def test_concentration_without_the_empty_lines_is_the_same(
    preset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = scenario_to_dict(load_preset(preset))
    data["simulation"]["runs"] = 200
    scenario = scenario_from_dict(data)
    skipped = engine.run_engine(scenario, runs=200, rng=np.random.default_rng(5))
    monkeypatch.setattr(
        engine, "_lines_with_candidates", lambda count, mean, *, explicit: list(range(len(count)))
    )
    every_line = engine.run_engine(scenario, runs=200, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(skipped.top_accounts_share, every_line.top_accounts_share)


def test_largest_tables_kept_over_blocks_give_each_blocks_own() -> None:
    """_LargestTables: a table kept from block to block (and grown) has each block's rows."""
    rng = np.random.default_rng(7)
    cv = np.array([0.8, 0.0, 0.3])
    tables = engine._LargestTables()
    for most, runs in [(40, 50), (300, 50), (120, 50), (5000, 1), (900, 2)]:
        count = rng.integers(0, most + 1, (3, 12, runs))
        mean = rng.random((3, 12, runs)) * 1e5
        kept = np.empty((3 * engine.TOP_ACCOUNTS, 12, runs))
        fresh = np.empty_like(kept)
        engine._largest_pooled(count, mean, cv, out=kept, tables=tables)
        engine._largest_pooled(count, mean, cv, out=fresh)
        assert kept.tobytes() == fresh.tobytes()
    assert len(tables.tables[0.8]) > 300  # grown, then kept


@pytest.mark.parametrize("runs_of", [[10], [10, 10], [10, 10, 10], []])
@pytest.mark.parametrize("others", [0, 1, 4, 10])
def test_sum_of_largest_merged_is_the_partitioned_sum(runs_of: list[int], others: int) -> None:
    """_sum_of_largest: descending runs and loose rows merged give _largest + its sum."""
    if sum(runs_of) + others <= engine.TOP_ACCOUNTS:
        pytest.skip("no partition below TOP_ACCOUNTS + 1 candidates")
    rng = np.random.default_rng(len(runs_of) * 100 + others)
    shape = (13, 40)
    runs = [
        -np.sort(-rng.random((n, *shape)) * rng.choice([0.0, 1.0, 1e6], (1, *shape)), axis=0)
        for n in runs_of
    ]
    loose = rng.random((others, *shape)) * 10.0 ** rng.integers(-3, 8, (others, *shape))
    loose[rng.random(loose.shape) < 0.3] = 0.0
    rows = np.concatenate([*runs, loose]) if runs else loose
    rows[:, 0, 0] = 0.0  # ties of zeros
    rows[-1, 0, 1] = -0.0
    rows[-1, 1, 0] = np.inf
    if others:
        rows[-1, 2, 0] = np.nan
    candidates = np.ascontiguousarray(rows.transpose(1, 2, 0))
    with np.errstate(invalid="ignore"):
        expected = sum_last_axis(engine._largest(candidates, engine.TOP_ACCOUNTS))
        got = engine._sum_of_largest(list(rows.copy()), runs_of=runs_of)
    assert got.tobytes() == expected.tobytes()


def test_merge_plan_keeps_the_largest_in_order() -> None:
    """_merge_plan on every 0/1 input (the 0-1 principle) of up to 12 + 4 values."""
    for a, b in [(1, 1), (2, 2), (10, 1), (10, 4), (10, 10), (3, 7)]:
        steps, top = engine._merge_plan(a, b, engine.TOP_ACCOUNTS)
        for ones_a in range(a + 1):
            for ones_b in range(b + 1):
                values = [0] * (a - ones_a) + [1] * ones_a + [0] * (b - ones_b) + [1] * ones_b
                for x, y in steps:
                    values[x], values[y] = min(values[x], values[y]), max(values[x], values[y])
                want = sorted([0] * (a + b - ones_a - ones_b) + [1] * (ones_a + ones_b))
                assert [values[i] for i in top] == want[-engine.TOP_ACCOUNTS :]


@pytest.mark.parametrize("preset", ["balanced", "team_a_team_b"])
def test_explicit_units_by_set_are_the_contract_by_contract_sums(
    preset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_explicit_units_by_set: retention the same as with the loop over contracts."""
    scenario = load_preset(preset)
    by_set = engine.run_engine(scenario, runs=150, rng=np.random.default_rng(3))
    monkeypatch.setattr(engine, "_EXPLICIT_SETS_FROM", 0)
    looped = engine.run_engine(scenario, runs=150, rng=np.random.default_rng(3))
    assert by_set.nrr.tobytes() == looped.nrr.tobytes()
    assert by_set.grr.tobytes() == looped.grr.tobytes()


@pytest.mark.parametrize("preset", ["balanced", "team_a_team_b", "new_product_splash"])
def test_outputs_do_not_depend_on_the_blocks_of_runs(
    preset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_blocks_of_runs: one run per block and one block of every run give the default's
    outputs bit for bit (the steps after the loop use _BLOCK and _BOOK_BLOCK)."""
    scenario = load_preset(preset)
    runs = 37  # not a multiple of the blocks' sizes

    def outputs() -> list[bytes]:
        out = engine.run_engine(scenario, runs=runs, rng=np.random.default_rng(9))
        return [
            np.ascontiguousarray(getattr(out, f.name)).tobytes() for f in dataclasses.fields(out)
        ]

    default = outputs()
    for size in (1, 1 << 30):
        monkeypatch.setattr(engine, "_BLOCK", size)
        monkeypatch.setattr(engine, "_BOOK_BLOCK", size)
        assert outputs() == default, size
