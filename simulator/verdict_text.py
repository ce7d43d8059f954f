"""The verdict in plain sales words: one sentence per answer, for the app and the CLI.

Every page and the CLI word a :class:`~simulator.verdict.Verdict` through these
functions, so a figure reads the same everywhere: "whiplash in 60% of futures, severe in
31%" on the headline, the key figures, the workshop and ``whiplash run``. A *future* is
one simulated run (same plan, other luck); "1 future in 10" is the 90th percentile.
Wording only: every number comes from the verdict (docs/model.md, section 12).
"""

from __future__ import annotations

from .early_warning import EarlyWarning
from .history_csv import HistoryAssessment
from .plan_verdict import BookingsLens
from .verdict import (
    JUDGE_LIMIT,
    MILD_FALL,
    SEASON_MIN_QUARTERS,
    SEVERE_FALL,
    SEVERE_RISK_SHARE,
    SWING,
    Verdict,
)

__all__ = [
    "bookings_sentence",
    "context_sentences",
    "fall_sentence",
    "headline",
    "history_details",
    "history_headline",
    "lead",
    "luck_sentence",
    "odds",
    "percent",
    "risk_sentence",
    "season_sentence",
    "signed",
    "tone",
    "trend_sentence",
    "warning_sentence",
]

LEADS = {"severe": "Severe whiplash", "mild": "Mild whiplash", "none": "No whiplash"}


def percent(value: float) -> str:
    """A share as a whole percent, rounded as ``ui.format.percent`` rounds it (so a
    sentence and a key figure never differ by one point): 0.615 -> '62%'."""
    return f"{round(float(value) * 100):d}%"


_pct = percent


def _rate(value: float) -> str:
    """A change a year without its sign, '40%'."""
    return _pct(abs(value))


def signed(value: float) -> str:
    """A change as a signed whole percent, '+12%', '-40%', '0%'."""
    points = round(float(value) * 100)
    return "0%" if points == 0 else f"{points:+d}%"


def lead(v: Verdict) -> str:
    """The verdict's name: 'Severe whiplash', 'Mild whiplash', 'No whiplash' or, when
    whiplash is common but not the middle future's, 'No whiplash in most futures'."""
    if not v.judged:
        return "Cannot tell whiplash from deal luck"
    if v.verdict == "none" and v.probability >= SEVERE_RISK_SHARE:
        return "No whiplash in most futures"
    return LEADS[v.verdict]


def odds(v: Verdict, *, noun: str = "futures") -> str:
    """How likely whiplash and severe whiplash are: 'whiplash in 60% of futures, severe
    in 31%'."""
    return f"whiplash in {_pct(v.probability)} of {noun}, severe in {_pct(v.severe_probability)}"


def headline(v: Verdict, *, subject: str = "revenue") -> str:
    """The verdict in one sentence, a fast decline said beside it:
    'No whiplash, but revenue declines 40% a year: whiplash in 32% of futures, severe in 2%'."""
    words = lead(v)
    if v.trend == "declining":
        joint = "but" if v.verdict == "none" else "and"
        words += f", {joint} {subject} declines {_rate(v.trend_rate)} a year"
    if not v.judged:
        return f"{words}: too few, too lumpy deals to judge"
    return f"{words}: {odds(v)}"


def tone(v: Verdict) -> str:
    """``bad`` (severe, or a material share of severe futures), ``warn`` (mild, a
    decline, or whiplash in one future in five or more) or ``good``."""
    if v.verdict == "severe" or v.severe_risk:
        return "bad"
    if v.verdict == "mild" or v.trend == "declining" or v.probability >= SEVERE_RISK_SHARE:
        return "warn"
    if not v.judged:
        return "warn"
    return "good"


def risk_sentence(v: Verdict) -> str:
    """The severe-whiplash flag when the middle future is milder, else ''."""
    if not v.severe_risk or v.verdict == "severe":
        return ""
    return (
        f"Severe-whiplash risk: {_pct(v.severe_probability)} of futures lose "
        f"{_pct(SEVERE_FALL)} or more within a year or swing hard twice, though the middle "
        f"future is {'milder' if v.verdict == 'mild' else 'calm'} (one future in "
        f"{round(1 / SEVERE_RISK_SHARE)} or more counts as a material risk)."
    )


def fall_sentence(v: Verdict, *, subject: str = "revenue") -> str:
    """The largest fall within a year in the middle future and in the worst 1 in 10."""
    if v.quarters < 2:
        return ""
    beyond = " beyond its steady decline" if v.trend == "declining" else ""
    if v.mild_bar > MILD_FALL + 0.005:
        bars = (
            f"with this deal luck a fall of {_pct(v.mild_bar)} is whiplash and "
            f"{_pct(v.severe_bar)} severe, not the usual {_pct(MILD_FALL)} and "
            f"{_pct(SEVERE_FALL)}"
        )
    else:
        bars = f"a fall of {_pct(MILD_FALL)} is whiplash, {_pct(SEVERE_FALL)} severe"
    return (
        f"Largest fall of {subject} within a year{beyond}: {_pct(v.largest_fall)} in the "
        f"middle future, {_pct(v.largest_fall_p90)} or more in 1 future in 10 ({bars})."
    )


def trend_sentence(v: Verdict, *, subject: str = "Revenue") -> str:
    """Growing, flat or declining, with its rate a year."""
    if v.quarters < 2:
        return ""
    if v.trend == "growing":
        return f"{subject} grows {_rate(v.trend_rate)} a year."
    if v.trend == "flat":
        return f"{subject} is flat ({signed(v.trend_rate)} a year)."
    return (
        f"{subject} declines {_rate(v.trend_rate)} a year: a steady decline, told apart "
        "from whiplash (only falls beyond it count)."
    )


def season_sentence(v: Verdict) -> str:
    """The within-year pattern when it explains the swings, else ''."""
    if not v.seasonal:
        return ""
    pattern = ", ".join(f"{q} {signed(share)}" for q, share in v.season.items())
    return (
        f"Seasonal: a stable pattern through the year ({pattern} against a typical "
        "quarter), not counted as whiplash."
    )


def luck_sentence(v: Verdict) -> str:
    """Deal luck ('deal lumpiness') when it is most of the swing, else ''."""
    if not v.judged:
        return (
            f"Deal luck: about {v.deals_per_quarter:.1f} new deals a quarter, so luck alone "
            f"could take {_pct(JUDGE_LIMIT)} of a quarter away; whiplash cannot be told from "
            "deal lumpiness here."
        )
    if not v.lumpy:
        return ""
    return (
        f"Deal luck: about {v.deals_per_quarter:.1f} new deals a quarter, so the luck of "
        f"few, lumpy deals alone swings revenue about {_pct(v.luck_swing)} a quarter "
        f"({_pct(v.luck_share)} of the swing); only falls beyond that luck count."
    )


def context_sentences(v: Verdict) -> list[str]:
    """What else the verdict says, in order: the risk flag, the trend, the season, deal
    luck and the largest fall (empty ones left out)."""
    parts = [
        risk_sentence(v),
        trend_sentence(v),
        season_sentence(v),
        luck_sentence(v),
        fall_sentence(v),
    ]
    return [p for p in parts if p]


BASIS_WORDS = {
    "quota": "the new-business quota",
    "steady state": "the bookings the plan starts from (no quota set)",
    "quota and steady state": "the quota where one is set, else the bookings the plan starts from",
}


def bookings_sentence(lens: BookingsLens) -> str:
    """The bookings lens in one sentence: the verdict on quota attainment, its trend and
    the middle future's lowest quarter when it is short of target."""
    v = lens.verdict
    words = f"Bookings against {BASIS_WORDS[lens.basis]}: "
    if not v.judged:
        words += (
            f"about {v.deals_per_quarter:.1f} new deals a quarter, too few and too lumpy to "
            "judge quota attainment"
        )
    else:
        words += f"{lead(v).lower()} in quota attainment ({odds(v)})"
    if v.trend == "declining":
        words += f"; attainment declines {_rate(v.trend_rate)} a year"
    elif v.trend == "growing":
        words += f"; attainment grows {_rate(v.trend_rate)} a year"
    if lens.attainment_p50:
        low = min(range(len(lens.attainment_p50)), key=lens.attainment_p50.__getitem__)
        if lens.attainment_p50[low] < 1.0:
            words += (
                f"; lowest quarter {lens.quarters[low]} at {_pct(lens.attainment_p50[low])} "
                "of target in the middle future"
            )
    return words + "."


def history_headline(assessment: HistoryAssessment) -> str:
    """The verdict on an actual history in one sentence: 'Severe whiplash: revenue fell
    32% within a year, 2023Q4 to 2024Q1'."""
    v = assessment.verdict
    words = LEADS[v.verdict]
    if v.trend == "declining":
        joint = "but" if v.verdict == "none" else "and"
        words += f", {joint} revenue declines {_rate(v.trend_rate)} a year"
    if assessment.fall_from and assessment.fall_to:
        words += (
            f": revenue fell {_pct(v.largest_fall)} within a year, {assessment.fall_from} "
            f"to {assessment.fall_to}"
        )
    else:
        beyond = [
            w
            for w, on in (
                ("its season", v.seasonal),
                ("its steady decline", v.trend == "declining"),
            )
            if on
        ]
        measured = " beyond " + " and ".join(beyond) if beyond else ""
        words += f": its largest fall within a year{measured} is {_pct(v.largest_fall)}"
    peaks = assessment.boom_bust_quarters
    if peaks:
        words += f"; {len(peaks)} boom-bust{'s' if len(peaks) != 1 else ''}"
    return words


def history_details(assessment: HistoryAssessment) -> list[str]:
    """What else the history's verdict says: trend, season (or why it cannot tell) and
    the boom-bust peaks."""
    v, h = assessment.verdict, assessment.history
    parts = [trend_sentence(v)]
    if v.seasonal:
        parts.append(season_sentence(v))
    elif len(h.quarters) < SEASON_MIN_QUARTERS:
        parts.append("Seasonal: cannot tell yet; a season needs two years of quarters.")
    else:
        parts.append("Seasonal: no stable pattern through the year.")
    if assessment.boom_bust_quarters:
        parts.append(
            f"Boom-bust peaks (a rise of {_pct(SWING)} or more, then a fall of {_pct(SWING)} "
            "or more): " + ", ".join(assessment.boom_bust_quarters) + "."
        )
    return [p for p in parts if p]


SIGNAL_WORDS = {
    "pipeline_coverage": "pipeline coverage",
    "renewal_exposure": "renewals at risk",
    "revenue_in_sight": "revenue in sight",
}


def warning_sentence(warning: EarlyWarning) -> str:
    """The early warning in one sentence: how long before the first bust a sales signal
    warned, or that there is no bust to warn of (never a negative lead)."""
    if warning.lead_months is None:
        if warning.first_warning is None:
            return "No bust to warn of: pipeline, renewals and revenue in sight stay healthy."
        return f"No bust to warn of, though a signal warns from {warning.first_warning}."
    if warning.lead_months == 0:
        return (
            "No early warning: no signal was on just before the first bust in "
            f"{warning.bust_quarter}."
        )
    unit = "month" if warning.lead_months == 1 else "months"
    signals = " and ".join(SIGNAL_WORDS[name] for name in warning.warning_signals)
    return (
        f"Early warning {warning.lead_months} {unit} before the first bust in "
        f"{warning.bust_quarter}: {signals} warned from {warning.warned_from}."
    )
