"""Onboarding is per cohort: a month's new clients that nobody onboards churn at their
first renewal, one term later, and nobody else does; account care stays book-wide.
Each comparison uses the same seed (common random numbers), so everything the lever
does not touch is equal to the last digit."""

import numpy as np

from simulator import apply_overrides, scenario_from_dict, simulate
from simulator.models import Scenario

RUNS = 400
SEED = 11


def company(*, term: int = 12, engage: float, retain: float) -> Scenario:
    """A warm default company whose account care and onboarding are cheap, so that moving
    effort between onboarding and account care changes onboarding only."""
    return scenario_from_dict(
        {
            "simulation": {"months": 30, "runs": RUNS},
            "effort": {
                "attract": 0.25,
                "close": 0.25,
                "engage": engage,
                "retain": retain,
                "leverage": 0.15,
            },
            "product_lines": {"core": {"name": "Core", "term_months": term}},
            "engagement": {"care_effort_per_account": 0.001, "onboarding_effort_per_client": 0.1},
        }
    )


def kept_share(out, months: slice) -> float:
    return out.renewals_kept[:, months].sum() / out.renewals_due[:, months].sum()


def test_an_onboarding_shortfall_churns_at_the_cohorts_first_renewal_not_before():
    onboarded = simulate(company(engage=0.15, retain=0.20), seed=SEED).output
    skipped = simulate(company(engage=0.0, retain=0.35), seed=SEED).output
    assert np.all(onboarded.onboarding == 1.0)
    won = skipped.wins.sum(axis=2) > 0
    assert np.all(skipped.onboarding[won] == 0.0) and np.all(skipped.onboarding[~won] == 1.0)
    # The first year: only the starting book renews, and exactly as before.
    np.testing.assert_array_equal(skipped.renewals_kept[:, :12], onboarded.renewals_kept[:, :12])
    np.testing.assert_array_equal(skipped.revenue[:, :12], onboarded.revenue[:, :12])
    np.testing.assert_array_equal(skipped.care_index, onboarded.care_index)
    # Month 12: the clients won in month 0 come up for their first renewal.
    np.testing.assert_array_equal(skipped.renewals_due[:, 12], onboarded.renewals_due[:, 12])
    assert skipped.renewals_kept[:, 12].sum() < onboarded.renewals_kept[:, 12].sum()
    assert kept_share(skipped, slice(12, 24)) < kept_share(onboarded, slice(12, 24)) - 0.01


def test_the_echo_comes_one_term_after_the_shortfall():
    for term in (6, 9):
        onboarded = simulate(company(term=term, engage=0.15, retain=0.20), seed=SEED).output
        skipped = simulate(company(term=term, engage=0.0, retain=0.35), seed=SEED).output
        before = slice(0, term)
        np.testing.assert_array_equal(
            skipped.renewals_kept[:, before], onboarded.renewals_kept[:, before]
        )
        assert skipped.renewals_kept[:, term].sum() < onboarded.renewals_kept[:, term].sum()


def test_the_starting_book_does_not_pay_for_a_few_clients_not_onboarded():
    """The artefact the per-cohort onboarding removes: not onboarding a couple of new
    clients a month used to cut the renewals of the whole book at once."""
    base = Scenario()
    skipped = apply_overrides(base, ["effort.engage=0", "effort.retain=0.35"])
    a = simulate(base, runs=RUNS, seed=SEED).output
    b = simulate(skipped, runs=RUNS, seed=SEED).output
    assert abs(kept_share(b, slice(0, 12)) - kept_share(a, slice(0, 12))) < 0.005


def test_account_care_is_book_wide_and_shows_within_months():
    cared = simulate(company(engage=0.15, retain=0.20), seed=SEED)
    neglected = apply_overrides(
        cared.scenario,
        ["effort.retain=0", "effort.attract=0.45", "engagement.care_effort_per_account=0.01"],
    )
    out = simulate(neglected, seed=SEED).output
    assert out.care_index[:, 5].max() < 0.5
    # The starting book renews less already in the first year.
    assert kept_share(out, slice(3, 12)) < kept_share(cared.output, slice(3, 12)) - 0.1
