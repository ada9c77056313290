"""Human names, descriptions and recommended actions for clusters, from their RFM profile.

Each cluster's profile is the mean percentile score of its customers on recency (higher = more
recent), frequency, monetary value and tenure. Clusters are matched one-to-one to named RFM
prototypes by minimum total distance (Hungarian algorithm), so names are unique, follow the
behaviour rather than the arbitrary K-Means label, and stay put when the data moves a little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import linear_sum_assignment

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SegmentProfile:
    """A named RFM prototype: scores in 0..1 for recency (1 = most recent), frequency, monetary, tenure."""

    name: str
    recency: float
    frequency: float
    monetary: float
    tenure: float
    # Whether the name describes customers who are still buying; guards the clear-cut cases.
    active: bool
    meaning: str
    action: str


# The classic RFM segment map (Champions ... Lost), placed on percentile scores.
# Ref: https://www.putler.com/rfm-analysis/ (11 RFM segments and their suggested actions).
PROFILES: tuple[SegmentProfile, ...] = (
    SegmentProfile(
        "Champions",
        0.85,
        0.88,
        0.88,
        0.75,
        True,
        "Bought recently, buy often and spend the most",
        "Reward them: early access, loyalty perks and referral asks, no discounts needed",
    ),
    SegmentProfile(
        "Loyal",
        0.65,
        0.75,
        0.72,
        0.75,
        True,
        "Buy regularly and spend well, though not always very recently",
        "Upsell higher-value products and enrol them in the loyalty programme",
    ),
    SegmentProfile(
        "Potential loyalists",
        0.8,
        0.55,
        0.55,
        0.5,
        True,
        "Recent customers with a few purchases and average spend",
        "Offer a membership or a next-order incentive to turn repeat buying into a habit",
    ),
    SegmentProfile(
        "New",
        0.8,
        0.2,
        0.3,
        0.1,
        True,
        "Made their first purchase only recently",
        "Send an onboarding series with a welcome offer on the second order within 30 days",
    ),
    SegmentProfile(
        "Promising",
        0.65,
        0.3,
        0.4,
        0.4,
        True,
        "Fairly recent shoppers who have not bought much yet",
        "Recommend products from their first basket and offer a free-shipping trial",
    ),
    SegmentProfile(
        "Need attention",
        0.5,
        0.5,
        0.5,
        0.55,
        True,
        "Middle of the road on recency, frequency and spend",
        "Send a limited-time personalised offer based on their past purchases",
    ),
    SegmentProfile(
        "About to sleep",
        0.4,
        0.3,
        0.3,
        0.45,
        False,
        "Below-average recency and frequency: they are drifting away",
        "Re-engage now with popular products and a modest discount before they lapse",
    ),
    SegmentProfile(
        "At risk",
        0.25,
        0.65,
        0.65,
        0.7,
        False,
        "Used to buy often and spend well but have not come back for a long time",
        "Send a personalised win-back offer within 2 weeks",
    ),
    SegmentProfile(
        "Can't lose them",
        0.15,
        0.88,
        0.88,
        0.85,
        False,
        "Were among the best customers but have been gone for a long time",
        "Contact them personally with a strong win-back offer within 1 week",
    ),
    SegmentProfile(
        "Hibernating",
        0.3,
        0.2,
        0.25,
        0.45,
        False,
        "Last bought long ago, rarely, and spent little",
        "Include them in low-cost reactivation campaigns with relevant products on offer",
    ),
    SegmentProfile(
        "Lost",
        0.1,
        0.15,
        0.2,
        0.6,
        False,
        "Lowest recency, frequency and spend: most likely gone for good",
        "Try one low-cost win-back email, then stop spending on them",
    ),
)
PROFILE_BY_NAME: dict[str, SegmentProfile] = {p.name: p for p in PROFILES}
SEGMENT_ORDER: tuple[str, ...] = tuple(p.name for p in PROFILES)

# Recency carries the most weight in RFM practice: it is the best single predictor of the next order.
# Tenure weighs as much as frequency because it alone tells newcomers from lapsing one-timers.
_WEIGHTS = np.array([1.5, 1.0, 1.0, 1.0])
# Absolute guards: a cluster whose median customer bought within RECENT_DAYS is never given an
# inactive name, and one whose median customer has been away DORMANT_DAYS or more never an active
# one. The penalty is finite, so a set of clusters that cannot satisfy it still gets names.
RECENT_DAYS = 30
DORMANT_DAYS = 365
_GUARD_PENALTY = 100.0


def rfm_scores(features: pd.DataFrame) -> pd.DataFrame:
    """Percentile scores in 0..1 (ties share their mean rank): r_score (1 = most recent), f, m, tenure."""

    def pct(values: pd.Series) -> pd.Series:
        if len(values) <= 1:
            return pd.Series(0.5, index=values.index)
        return (values.rank(method="average") - 1.0) / (len(values) - 1.0)

    return pd.DataFrame(
        {
            "r_score": 1.0 - pct(features["recency_days"].astype(float)),
            "f_score": pct(features["frequency"].astype(float)),
            "m_score": pct(features["monetary"].astype(float)),
            "t_score": pct(features["tenure_days"].astype(float)),
        },
        index=features.index,
    )


def assign_names(profiles: pd.DataFrame) -> dict[int, str]:
    """Map cluster label -> unique name; ``profiles``: per label r/f/m/t_score and recency_days."""
    labels = list(profiles.index)
    points = profiles[["r_score", "f_score", "m_score", "t_score"]].to_numpy(dtype=np.float64)
    prototypes = np.array([[p.recency, p.frequency, p.monetary, p.tenure] for p in PROFILES])
    cost = (((points[:, None, :] - prototypes[None, :, :]) ** 2) * _WEIGHTS).sum(axis=2)
    median_recency = profiles["recency_days"].to_numpy(dtype=np.float64)
    active = np.array([p.active for p in PROFILES])
    cost += _GUARD_PENALTY * ((median_recency[:, None] <= RECENT_DAYS) & ~active[None, :])
    cost += _GUARD_PENALTY * ((median_recency[:, None] >= DORMANT_DAYS) & active[None, :])
    rows, cols = linear_sum_assignment(cost)
    return {labels[r]: PROFILES[c].name for r, c in zip(rows, cols, strict=True)}


def describe(name: str, recency_days: float, frequency: float, monetary: float) -> str:
    """One sentence for a segment: what its customers do, with the segment's median figures."""
    meaning = PROFILE_BY_NAME[name].meaning
    purchases = "purchase" if round(frequency) == 1 else "purchases"
    return (
        f"{meaning}: median {recency_days:,.0f} days since the last order, "
        f"{frequency:,.0f} {purchases} and {monetary:,.2f} net spend."
    )


def action_for(name: str) -> str:
    """Recommended marketing action for a named segment."""
    return PROFILE_BY_NAME[name].action + "."
