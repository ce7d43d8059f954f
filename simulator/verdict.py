"""The verdict on a revenue series, in separate answers: whiplash, trend, season, luck.

Whiplash is booms followed by busts and falls within a year, measured against the
series' own steady decline and its own season, so a company that shrinks 3% every
quarter or peaks every fourth quarter is told so (trend, season) instead of being called
whiplashed. For simulated plans a third answer says how much of the swing is the luck of
few, lumpy deals, and the whiplash bars rise by that luck. Every rule looks at most a
year ahead of a quarter, so a plan's verdict does not drift by simulating longer.

Pure numpy: every function takes quarterly revenue shaped (runs, quarters), or one
series (quarters,), and judges every run at once. docs/model.md ("Verdict: whiplash,
trend, season and luck") defines each answer; its thresholds are the constants below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sorted_stats import column_median

# --- Whiplash.
WINDOW_QUARTERS = 4
"""A fall is measured from a quarter to any of the next four (within a year)."""
MILD_FALL = 0.10
"""A fall of 10% below an established level within a year, beyond the steady decline."""
SEVERE_FALL = 0.25
"""A quarter of revenue gone within a year, beyond the steady decline."""
BOOM_BUST_QUARTERS = 2
"""A boom is a rise over at most two quarters; its bust a fall within the two after it."""
SWING = 0.08
"""A boom-bust: a rise of at least 8% followed by a fall of at least 8%."""
SEVERE_SWING = 0.20
"""Boom-busts with both the rise and the fall at least 20% ..."""
SEVERE_SWING_REPEATS = 2
"""... at least twice ..."""
REPEAT_WINDOW_QUARTERS = 8
"""... within two years make the whiplash severe."""
FLOOR_SHARE = 0.01
"""A quarter below 1% of the series' average counts as 1% (a fall to zero is a 99% fall)."""

# --- Trend.
TREND_BAND = 0.05
"""Growing above +5% a year, declining below -5% a year, flat in between."""

# --- Season.
SEASON_MIN_QUARTERS = 8
"""Two years: a season is a pattern that repeats, so it needs two of them to be seen."""
SEASON_EXPLAINED = 0.5
"""The within-year pattern must explain at least half the swings it is tested on."""
SEASON_MIN_SWING = 0.05
"""Its best quarter must be at least 5% above its worst."""
SEASON_YEARLY_SHARE = 0.5
"""At least half of the pattern must repeat once a year; up-down-up-down every other
quarter is a boom-bust cycle, not a season."""

# --- Luck of few, lumpy deals (simulated plans).
NOISE_Z = 3.0
"""Luck is allowed three standard deviations before a fall counts as whiplash."""
LUMPY_SWING = 0.05
"""Deal luck that moves revenue by at least 5% a quarter is worth saying ..."""
LUMPY_SHARE = 0.5
"""... when it is at least half of the quarter-to-quarter swing."""
JUDGE_LIMIT = 0.90
"""When luck alone can take 90% of a quarter away, whiplash cannot be told from luck:
the series is not judged (verdict none, ``judged`` false)."""

# --- Risk across runs.
RISK_WINDOW_QUARTERS = 12
"""Risk is counted over three years at a time, and the worst three years of the horizon
count: simulating longer gives luck more time, not the plan more risk."""
MAJORITY = 0.5
"""The scenario's verdict is the middle future's: severe, or mild, in at least half the runs."""
SEVERE_RISK_SHARE = 0.20
"""Severe whiplash in one run in five is a material risk, even when the middle run is calm."""

SEVERITIES = ("none", "mild", "severe")
NONE, MILD, SEVERE = range(3)
TRENDS = ("declining", "flat", "growing")
DECLINING, FLAT, GROWING = range(3)
QUARTER_NAMES = ("Q1", "Q2", "Q3", "Q4")


def _fall_log(share: float) -> float:
    return -float(np.log1p(-share))


def _rise_log(share: float) -> float:
    return float(np.log1p(share))


@dataclass(frozen=True)
class DealNoise:
    """How much revenue moves by the luck of how many deals close (a plan's property)."""

    deals_per_quarter: float
    """Expected new deals won a quarter, all lines."""
    swing: float
    """Expected quarter-to-quarter swing from that luck alone: one standard deviation,
    as a share of an average quarter."""
    fall_sd: float
    """Standard deviation (log) of the change over a year's window from that luck: the
    allowance a fall gets is NOISE_Z times this."""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


NO_NOISE = DealNoise(deals_per_quarter=0.0, swing=0.0, fall_sd=0.0)
"""A series with no known deal counts (an actual history): no luck allowance."""


def deal_noise(
    *,
    wins_per_quarter: np.ndarray,
    deal_size: np.ndarray,
    size_cv: np.ndarray,
    recurring: np.ndarray,
    average_quarter: float,
) -> DealNoise:
    """The luck in revenue from Poisson deal counts, per line summed (docs/model.md).

    A one-off line's quarter is N deals of its size: variance n × size² × (1 + cv²).
    A recurring deal adds a quarter of its annual value to every later quarter, so a
    quarter's luck moves the level by (size / 4)² × n × (1 + cv²), and that luck adds up
    over the quarters of the window.
    """
    n = np.asarray(wins_per_quarter, dtype=float)
    size = np.asarray(deal_size, dtype=float)
    spread = 1.0 + np.asarray(size_cv, dtype=float) ** 2
    rec = np.asarray(recurring, dtype=bool)
    scale = float(average_quarter) ** 2  # 0 for a quarter too small to square (subnormal)
    if not scale > 0 or n.sum() <= 0:
        return DealNoise(deals_per_quarter=float(max(n.sum(), 0.0)), swing=0.0, fall_sd=0.0)
    one_off = float(np.sum(np.where(rec, 0.0, n * size**2 * spread))) / scale
    recur = float(np.sum(np.where(rec, n * (size / 4.0) ** 2 * spread, 0.0))) / scale
    return DealNoise(
        deals_per_quarter=float(n.sum()),
        swing=float(np.sqrt(2.0 * one_off + recur)),
        fall_sd=float(np.sqrt(2.0 * one_off + WINDOW_QUARTERS * recur)),
    )


def _as_runs(quarterly: np.ndarray) -> np.ndarray:
    values = np.asarray(quarterly, dtype=float)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError("quarterly revenue must be one series or runs x quarters")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError("quarterly revenue must be finite and not negative")
    return values


def _log_levels(values: np.ndarray) -> np.ndarray:
    """Log revenue, each quarter at least FLOOR_SHARE of its run's average."""
    if values.shape[1] == 0:
        return values.copy()
    mean = values.mean(axis=1, keepdims=True)
    floor = np.where(mean > 0, FLOOR_SHARE * mean, 1.0)
    return np.log(np.maximum(values, floor))


def _median_step(x: np.ndarray, lag: int) -> np.ndarray:
    """Median change over ``lag`` quarters, per quarter (0 when the series is too short)."""
    if x.shape[1] <= lag:
        return np.zeros(x.shape[0])
    # np.median(..., axis=1) bit for bit (simulator.sorted_stats), from one sort of each
    # run's few changes: a third of numpy's time on 1,000 runs.
    return column_median((x[:, lag:] - x[:, :-lag]).T) / lag


def _steady_step(x: np.ndarray) -> np.ndarray:
    """The steady change a quarter: the median change over two quarters, halved (an
    up-down cycle, one cliff or one boom does not set it); over one quarter when the
    series has only two."""
    return _median_step(x, 2) if x.shape[1] >= 3 else _median_step(x, 1)


def _season(x: np.ndarray, first_position: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(seasonal, profile (runs, 4) in log, explained) of each run (docs/model.md).

    The series is detrended by its median year-over-year change (a season-neutral
    trend). Each quarter is then predicted two ways, leaving it out: from the average of
    the other quarters, and from the other quarters in the same quarter of the year. The
    pattern explains the swings when the second prediction's error is at most half the
    first's.
    """
    runs, n = x.shape
    profile = np.zeros((runs, 4))
    if n < SEASON_MIN_QUARTERS:
        return np.zeros(runs, dtype=bool), profile, np.zeros(runs)
    t = np.arange(n)
    r = x - _median_step(x, 4)[:, None] * t[None, :]
    position = (first_position + t) % 4
    level_error = r - (r.sum(axis=1, keepdims=True) - r) / (n - 1)
    season_error = np.empty_like(r)
    means = np.empty((runs, 4))
    for p in range(4):  # the four quarters of the year
        cols = position == p
        block = r[:, cols]
        season_error[:, cols] = block - (block.sum(axis=1, keepdims=True) - block) / (
            cols.sum() - 1
        )
        means[:, p] = block.mean(axis=1)
    total = (level_error**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        explained = np.where(total > 0, 1.0 - (season_error**2).sum(axis=1) / total, 0.0)
    profile = means - means.mean(axis=1, keepdims=True)
    power = (profile**2).sum(axis=1)
    half_year = (profile * np.array([1.0, -1.0, 1.0, -1.0])).sum(axis=1) ** 2 / 4.0
    with np.errstate(divide="ignore", invalid="ignore"):
        yearly = np.where(power > 0, 1.0 - half_year / power, 0.0)
    swing = profile.max(axis=1) - profile.min(axis=1)
    seasonal = (
        (explained >= SEASON_EXPLAINED)
        & (swing >= _rise_log(SEASON_MIN_SWING))
        & (yearly >= SEASON_YEARLY_SHARE)
    )
    return seasonal, profile, np.clip(explained, -1.0, 1.0)


def _falls(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per quarter, the largest fall (log) from its established level, the quarter that
    level was set and the quarter the fall reaches, of ``a`` laid out quarters first,
    (quarters, runs) in and out (:func:`judge` says why).

    A fall runs from an established level to a held level at most WINDOW_QUARTERS
    later. A quarter's established level is the lower of it and the quarter before,
    and the level a fall reaches is the higher of that quarter and the one after (the
    last quarter stands alone): a single boom quarter's return to normal is a boom-bust,
    and a single bad quarter that recovers at once is not a fall, while a cliff, a slide
    over several quarters and a fall in the last quarter are. Each fall is kept at the
    quarter it starts from (the last one before revenue turns down), so it is counted
    once.
    """
    n, runs = a.shape
    fall_at = np.zeros((n, runs))
    end_at = np.full((n, runs), -1)
    origin = np.broadcast_to(np.arange(n)[:, None], (n, runs)).copy()
    if n < 2:
        return fall_at, origin, end_at
    level = a.copy()
    level[1:] = np.minimum(a[1:], a[:-1])
    origin[1:] -= a[:-1] < a[1:]  # the established level is the quarter before
    held = a.copy()
    held[:-1] = np.maximum(a[:-1], a[1:])
    ends = np.arange(n)[:, None]
    turns = np.zeros((n, runs), dtype=bool)
    turns[:-1] = a[1:] < level[:-1]  # the fall starts here, not before a flat stretch
    for lag in range(1, min(WINDOW_QUARTERS, n - 1) + 1):
        fall = np.where(turns[:-lag], level[:-lag] - held[lag:], 0.0)
        better = fall > fall_at[:-lag]
        fall_at[:-lag] = np.where(better, fall, fall_at[:-lag])
        end_at[:-lag] = np.where(better, ends[lag:], end_at[:-lag])
    return fall_at, origin, end_at


def _boom_busts(a: np.ndarray, rise: float, fall: float) -> tuple[np.ndarray, np.ndarray]:
    """Boom-bust peaks per quarter and each peak's swing (log, the smaller of its rise
    and its fall), of ``a`` laid out quarters first, (quarters, runs) in and out."""
    n, runs = a.shape
    up = np.zeros((n, runs))
    down = np.zeros((n, runs))
    for lag in range(1, min(BOOM_BUST_QUARTERS, n - 1) + 1):
        up[lag:] = np.maximum(up[lag:], a[lag:] - a[:-lag])
        down[:-lag] = np.maximum(down[:-lag], a[:-lag] - a[lag:])
    peak = np.zeros((n, runs), dtype=bool)
    if n >= 3:
        peak[1:-1] = (a[1:-1] > a[:-2]) & (a[1:-1] >= a[2:])
    events = peak & (up >= rise) & (down >= fall)
    return events, np.where(events, np.minimum(up, down), 0.0)


def _first_landing(
    a: np.ndarray,
    *,
    fall_bar: float,
    rise_bar: float,
    drop_bar: float,
    events: np.ndarray | None = None,
) -> np.ndarray:
    """Per run, the first quarter whiplash shows in, or -1: the first quarter a fall
    reaches ``fall_bar`` below its established level (as :func:`_falls` measures it),
    or the first quarter of a boom's bust (as :func:`_boom_busts` finds it; ``events``:
    its peaks with these bars, if the caller has them, so they are not found twice).
    ``a`` and ``events`` are laid out quarters first, (quarters, runs)."""
    n, runs = a.shape
    first = np.full(runs, n)
    if n < 2:
        return np.full(runs, -1)
    level = a.copy()
    level[1:] = np.minimum(a[1:], a[:-1])
    held = a.copy()
    held[:-1] = np.maximum(a[:-1], a[1:])
    turns = np.zeros((n, runs), dtype=bool)
    turns[:-1] = a[1:] < level[:-1]
    if events is None:
        events, _ = _boom_busts(a, rise_bar, drop_bar)
    ends = np.arange(n)[:, None]
    for lag in range(1, min(WINDOW_QUARTERS, n - 1) + 1):
        reached = turns[:-lag] & (level[:-lag] - held[lag:] >= fall_bar)
        if lag <= BOOM_BUST_QUARTERS:
            reached |= events[:-lag] & (a[:-lag] - a[lag:] >= drop_bar)
        first = np.minimum(first, np.where(reached, ends[lag:], n).min(axis=0))
    return np.where(first < n, first, -1)


def _repeated(big: np.ndarray) -> np.ndarray:
    """Per quarter: a marked quarter with SEVERE_SWING_REPEATS - 1 more marked in the
    REPEAT_WINDOW_QUARTERS ending there (quarters first, (quarters, runs))."""
    counts = np.cumsum(big.astype(int), axis=0)
    earlier = np.zeros_like(counts)
    earlier[REPEAT_WINDOW_QUARTERS:] = counts[:-REPEAT_WINDOW_QUARTERS]
    return big & (counts - earlier >= SEVERE_SWING_REPEATS)


def risk_windows(quarters: int) -> list[tuple[int, int]]:
    """The three-year stretches risk is counted over: one starting each year, the last
    ending with the series (the whole series when it is shorter)."""
    if quarters <= RISK_WINDOW_QUARTERS:
        return [(0, quarters)]
    last = quarters - RISK_WINDOW_QUARTERS
    starts = sorted({*range(0, last, 4), last})
    return [(lo, lo + RISK_WINDOW_QUARTERS) for lo in starts]


@dataclass(frozen=True)
class Judgement:
    """Every answer for every run (arrays over runs), before summarising across runs."""

    grade_at: np.ndarray  # (runs, quarters) NONE / MILD / SEVERE of what starts there
    fall_at: np.ndarray  # (runs, quarters) largest fall from there, share
    events_at: np.ndarray  # (runs, quarters) bool: a boom-bust peak there
    severity: np.ndarray  # (runs,) the worst grade
    largest_fall: np.ndarray  # (runs,) share lost below an established level, beyond the trend
    fall_start: np.ndarray  # (runs,) quarter the largest fall runs from, -1 if below MILD_FALL
    fall_end: np.ndarray  # (runs,) quarter it reaches, -1 if below MILD_FALL
    trend_rate: np.ndarray  # (runs,) steady change a year (0.05 = +5% a year)
    trend: np.ndarray  # (runs,) DECLINING / FLAT / GROWING
    seasonal: np.ndarray  # (runs,) bool
    season: np.ndarray  # (runs, 4) each quarter of the year against the year's average
    season_explained: np.ndarray  # (runs,) share of swings the pattern explains (<= 1)
    qoq_swing: np.ndarray  # (runs,) std of the QoQ change once trend and season are out
    quarters: int
    first_position: int
    """Quarter of the year of the first quarter (0 = Q1): labels the season."""
    allowance: float
    """Log shift every whiplash bar got for deal luck (0 without it)."""
    judged: bool
    """False when deal luck is too large to tell whiplash from it (JUDGE_LIMIT)."""
    first_whiplash: np.ndarray | None = None
    """(runs,) the first quarter whiplash shows in (a fall reaching the whiplash bar, or
    a boom's bust), -1 where none: what the workshop's quarter question asks."""

    @property
    def boom_bust_events(self) -> np.ndarray:
        """(runs,) boom-bust peaks over the whole series."""
        return self.events_at.sum(axis=1)


def judge(
    quarterly: np.ndarray,
    *,
    first_position: int = 0,
    noise: DealNoise = NO_NOISE,
    season: np.ndarray | None = None,
) -> Judgement:
    """Judge every run's quarterly revenue: whiplash, trend, season (docs/model.md).

    ``first_position`` is the quarter of the year of the first quarter (0 = Q1), so
    the season can be named. ``noise`` is the plan's deal luck (a history has none):
    when NOISE_Z standard deviations of it exceed the mild fall, every whiplash bar
    rises by the difference, so a fall counts only where luck alone cannot explain it.
    ``season`` (four shares, Q1 first) is a season known for every run, e.g. the
    plan's typical path's; without it each run's own is looked for.
    """
    values = _as_runs(quarterly)
    runs, n = values.shape
    x = _log_levels(values)
    if season is None:
        seasonal, profile, explained = _season(x, first_position % 4)
    else:
        seasonal = np.ones(runs, dtype=bool)
        profile = np.broadcast_to(np.log1p(np.asarray(season, dtype=float)), (runs, 4))
        explained = np.ones(runs)
    position = (first_position + np.arange(n)) % 4
    adjusted = x - np.where(seasonal[:, None], profile[:, position], 0.0)
    step = _steady_step(adjusted)
    rate = np.expm1(4.0 * step)
    trend = np.where(rate >= TREND_BAND, GROWING, np.where(rate <= -TREND_BAND, DECLINING, FLAT))
    a = adjusted - np.minimum(step, 0.0)[:, None] * np.arange(n)[None, :]

    allowance = max(0.0, NOISE_Z * noise.fall_sd - _fall_log(MILD_FALL))
    judged = _fall_log(MILD_FALL) + allowance <= _fall_log(JUDGE_LIMIT)
    mild_fall = _fall_log(MILD_FALL) + allowance
    # Falls and boom-busts are judged quarters first, (quarters, runs): comparing a
    # quarter with the next few is then one long row of runs per operation, where a run
    # at a time numpy loops over a dozen quarters with a loop set up per run (a third of
    # this judgement's time on 1,000 runs). Element by element the same operations;
    # the arrays go back runs first (as transposed views) for the Judgement.
    by_quarter = np.ascontiguousarray(a.T)
    fall_at, origin, end_at = _falls(by_quarter)
    events, swing = _boom_busts(
        by_quarter, _rise_log(SWING) + allowance, _fall_log(SWING) + allowance
    )
    peaks = events  # kept for _first_landing: ``events`` is cleared below when not judged
    big = swing >= max(_rise_log(SEVERE_SWING), _fall_log(SEVERE_SWING)) + allowance
    severe = (fall_at >= _fall_log(SEVERE_FALL) + allowance) | _repeated(big)
    grade = np.where(severe, SEVERE, np.where((fall_at >= mild_fall) | events, MILD, NONE))
    if not judged:
        grade = np.zeros_like(grade)
        events = np.zeros_like(events)
    rows = np.arange(runs)
    at = fall_at.argmax(axis=0) if n else np.zeros(runs, dtype=int)
    largest = fall_at[at, rows] if n else np.zeros(runs)
    counted = judged & (largest >= mild_fall)
    changes = np.diff(a, axis=1)
    first = _first_landing(
        by_quarter,
        fall_bar=mild_fall,
        rise_bar=_rise_log(SWING) + allowance,
        drop_bar=_fall_log(SWING) + allowance,
        events=peaks,
    )
    return Judgement(
        grade_at=grade.T,
        fall_at=-np.expm1(-fall_at).T,
        events_at=events.T,
        severity=grade.max(axis=0) if n else np.zeros(runs, dtype=int),
        largest_fall=-np.expm1(-largest),
        fall_start=np.where(counted, origin[at, rows] if n else -1, -1),
        fall_end=np.where(counted, end_at[at, rows] if n else -1, -1),
        trend_rate=rate,
        trend=trend,
        seasonal=seasonal,
        season=np.expm1(profile),
        season_explained=explained,
        qoq_swing=changes.std(axis=1) if n >= 3 else np.zeros(runs),
        quarters=n,
        first_position=first_position % 4,
        allowance=allowance,
        judged=judged,
        first_whiplash=first if judged else np.full(runs, -1),
    )


@dataclass(frozen=True)
class Verdict:
    """The answers for a plan (over its runs) or a history (one run), one meaning each."""

    verdict: str
    """The middle future's whiplash: severe, or mild, in at least half the runs."""
    probability: float
    """Share of runs with whiplash (mild or severe) in the worst three years."""
    severe_probability: float
    """Share of runs with severe whiplash in the worst three years."""
    mild_probability: float
    """probability - severe_probability: whiplash, but not severe."""
    severe_risk: bool
    """Severe whiplash in at least SEVERE_RISK_SHARE of runs, whatever the verdict."""
    largest_fall: float
    """Median over runs of the largest fall within a year (share, beyond the steady
    decline), in the worst three years."""
    largest_fall_p90: float
    """One run in ten falls at least this much (worst three years)."""
    boom_bust_events: float
    """Mean boom-bust peaks per run in the worst three years."""
    boom_bust_per_year: float
    """Mean boom-bust peaks per run and year over the whole horizon."""
    trend: str
    """growing, flat or declining: the typical path's steady change a year."""
    trend_rate: float
    """That change a year (0.05 = +5% a year)."""
    seasonal: bool
    """A stable within-year pattern explains the typical path's swings."""
    season: dict[str, float]
    """How far each calendar quarter sits above (+) or below (-) a typical quarter;
    empty when the series is not seasonal."""
    quarters: int
    deals_per_quarter: float
    luck_swing: float
    """Quarter-to-quarter swing (one standard deviation) from deal luck alone."""
    luck_share: float
    """Share of the quarter-to-quarter swing that deal luck alone explains (0..1)."""
    lumpy: bool
    """Most of the swing is the luck of few, lumpy deals, and it is material."""
    judged: bool
    """False when deal luck alone can take JUDGE_LIMIT of a quarter away: then the
    verdict is none because whiplash cannot be told from luck, not because it is calm."""
    mild_bar: float = MILD_FALL
    """The fall within a year that counts as whiplash here: MILD_FALL, raised by the
    deal-luck allowance (equal to MILD_FALL without luck)."""
    severe_bar: float = SEVERE_FALL
    """The fall within a year that counts as severe here (SEVERE_FALL, raised alike)."""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def summarise(
    judgement: Judgement, *, typical: Judgement | None = None, noise: DealNoise = NO_NOISE
) -> Verdict:
    """The plan's answers from every run's: risk as shares of runs in the worst three
    years of the horizon (:func:`risk_windows`), trend and season from ``typical`` (the
    judgement of the typical path; by default the first run's)."""
    j = judgement
    t = typical if typical is not None else j
    runs = j.severity.shape[0]
    probability = severe_share = fall = fall_p90 = events = 0.0
    for lo, hi in risk_windows(j.quarters) if j.quarters else []:
        grade = j.grade_at[:, lo:hi].max(axis=1)
        largest = j.fall_at[:, lo:hi].max(axis=1)
        probability = max(probability, float((grade >= MILD).mean()))
        severe_share = max(severe_share, float((grade == SEVERE).mean()))
        fall = max(fall, float(np.median(largest)))
        fall_p90 = max(fall_p90, float(np.percentile(largest, 90)))
        events = max(events, float(j.events_at[:, lo:hi].sum(axis=1).mean()))
    if severe_share >= MAJORITY:
        verdict = "severe"
    elif probability >= MAJORITY:
        verdict = "mild"
    else:
        verdict = "none"
    seasonal = bool(t.seasonal[0])
    season = {QUARTER_NAMES[p]: float(t.season[0, p]) for p in range(4)} if seasonal else {}
    observed = float(np.median(j.qoq_swing))
    luck_share = min(1.0, noise.swing**2 / observed**2) if observed > 0 else 0.0
    years = j.quarters / 4.0
    return Verdict(
        verdict=verdict,
        probability=probability,
        severe_probability=severe_share,
        mild_probability=probability - severe_share,
        severe_risk=bool(severe_share >= SEVERE_RISK_SHARE),
        largest_fall=fall,
        largest_fall_p90=fall_p90,
        boom_bust_events=events,
        boom_bust_per_year=float(j.boom_bust_events.mean()) / years if runs and years else 0.0,
        trend=TRENDS[int(t.trend[0])],
        trend_rate=float(t.trend_rate[0]),
        seasonal=seasonal,
        season=season,
        quarters=j.quarters,
        deals_per_quarter=noise.deals_per_quarter,
        luck_swing=noise.swing,
        luck_share=luck_share,
        lumpy=bool(noise.swing >= LUMPY_SWING and (luck_share >= LUMPY_SHARE or not j.judged)),
        judged=j.judged,
        mild_bar=float(-np.expm1(-(_fall_log(MILD_FALL) + j.allowance))),
        severe_bar=float(-np.expm1(-(_fall_log(SEVERE_FALL) + j.allowance))),
    )


def typical_path(quarterly: np.ndarray) -> np.ndarray:
    """The average quarter by quarter over runs (one series: itself): where luck cancels
    out, so its trend and season are the plan's. The average, not the median: a median
    of few deals jumps between whole numbers of deals."""
    return _as_runs(quarterly).mean(axis=0)


def judge_plan(
    quarterly: np.ndarray, *, first_position: int = 0, noise: DealNoise = NO_NOISE
) -> tuple[Judgement, Judgement]:
    """(every run's judgement, the typical path's): the typical path's trend and season
    (:func:`typical_path`), then every run judged against that season with the luck
    allowance."""
    typical = judge(typical_path(quarterly)[None, :], first_position=first_position)
    season = typical.season[0] if typical.seasonal[0] else None
    runs = judge(quarterly, first_position=first_position, noise=noise, season=season)
    return runs, typical


def verdict_of(
    quarterly: np.ndarray, *, first_position: int = 0, noise: DealNoise = NO_NOISE
) -> Verdict:
    """The answers for a plan's runs or one series (:func:`judge_plan`), summarised
    (:func:`summarise`)."""
    runs, typical = judge_plan(quarterly, first_position=first_position, noise=noise)
    return summarise(runs, typical=typical, noise=noise)
