"""Scenarios of a chosen shape, for the cost model's tests and its benchmark."""

from __future__ import annotations

from simulator import scenario_from_dict
from simulator.models import Scenario


def shape(
    *, runs: int, months: int, lines: int = 1, cycle: int = 3, contracts: int = 0, look: int = 6
) -> Scenario:
    """A default company of ``lines`` lines with ``contracts`` renewing every month."""
    return scenario_from_dict(
        {
            "simulation": {"runs": runs, "months": months, "start": "2012-01"},
            "product_lines": {
                f"l{i}": {"name": f"Line {i}", "sales_cycle_months": cycle} for i in range(lines)
            },
            "contracts": [
                {
                    "name": f"C{i}",
                    "product_line": "l0",
                    "annual_value": 100_000,
                    "ends": "2012-06",
                    "renewal_term_months": 1,
                }
                for i in range(contracts)
            ],
            "thresholds": {"coverage_lookahead_months": look},
        }
    )
