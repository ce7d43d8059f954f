"""Shared formatting for the benchmarks' markdown tables."""

from __future__ import annotations

import statistics


def timing_table(times: dict[str, list[float]], *, case: str = "Case", count: str = "Reps") -> str:
    """A markdown table of median, min and max milliseconds per case (a case with no
    measurement, such as presses that all missed, reads "none")."""
    lines = [
        f"| {case} | Median (ms) | Min (ms) | Max (ms) | {count} |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in times.items():
        if not values:
            lines.append(f"| {name} | none | none | none | 0 |")
            continue
        lines.append(
            f"| {name} | {statistics.median(values):.0f} | {min(values):.0f} | "
            f"{max(values):.0f} | {len(values)} |"
        )
    return "\n".join(lines)
