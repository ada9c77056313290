"""Each customer's lifetime value: BG/NBD and Gamma-Gamma fitted on the customers, then applied."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.engine.clv import (
    BGNBDParams,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)

# CLV time unit: weeks, as in Fader, Hardie & Lee (2005); it keeps alpha in a well-scaled range.
_WEEK_DAYS = 7.0
# Above this many customers the BG/NBD and Gamma-Gamma fits use a seeded sample of them: the
# estimates' sampling error there is far below the 2% the published check allows.
_CLV_FIT_ROWS = 300_000
# Weak N(0, 1/sqrt(2*strength)) prior on the log-parameters, as a total (not per-customer)
# penalty: it keeps tiny samples from running to the bounds and vanishes on real-sized data.
_CLV_PRIOR_STRENGTH = 1.0
_MIN_GAMMA_GAMMA_CUSTOMERS = 10


def clv_columns(
    features: pd.DataFrame, horizon_days: int, seed: int, discount_rate: float
) -> tuple[pd.DataFrame, BGNBDParams | None, GammaGammaParams | None]:
    """Fit BG/NBD and Gamma-Gamma on the customers and return clv, p_alive, expected purchases."""
    x = (features["purchase_days"].to_numpy(dtype=np.float64) - 1.0).clip(0.0)
    t_x = (features["last_purchase_date"] - features["first_purchase_date"]).dt.days.to_numpy(
        dtype=np.float64
    ) / _WEEK_DAYS
    age = features["tenure_days"].to_numpy(dtype=np.float64) / _WEEK_DAYS
    n = len(features)
    empty = pd.DataFrame(
        {
            "clv": np.zeros(n),
            "p_alive": np.ones(n),
            "expected_purchases": np.zeros(n),
            "expected_spend": np.zeros(n),
        },
        index=features.index,
    )
    if n == 0:
        return empty, None, None

    # Identical (x, t_x, T) rows share one likelihood term: fit on unique rows with counts.
    rows = np.column_stack([x, t_x, age])
    if len(rows) > _CLV_FIT_ROWS:
        rng = np.random.default_rng(seed)
        rows = rows[rng.choice(len(rows), _CLV_FIT_ROWS, replace=False)]
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    bgnbd = fit_bgnbd(
        unique[:, 0],
        unique[:, 1],
        unique[:, 2],
        weights=counts,
        penalizer=_CLV_PRIOR_STRENGTH / float(counts.sum()),
    )
    horizon = horizon_days / _WEEK_DAYS
    expected = bgnbd_expected_purchases(bgnbd, horizon, x, t_x, age)
    p_alive = bgnbd_p_alive(bgnbd, x, t_x, age)

    # Spend per repeat purchase day, net of the customer's return rate (returns are rarely tied
    # to a single purchase day, so they are spread proportionally).
    repeat_gross = features["gross_spend"].to_numpy() - features["first_day_spend"].to_numpy()
    net_share = 1.0 - features["return_rate"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        m_x = np.where(x > 0, repeat_gross / np.maximum(x, 1.0) * net_share, 0.0)
    usable = (x > 0) & (m_x > 0)
    gamma_gamma: GammaGammaParams | None = None
    if usable.sum() >= _MIN_GAMMA_GAMMA_CUSTOMERS:
        fit_x, fit_m = x[usable], m_x[usable]
        if len(fit_x) > _CLV_FIT_ROWS:
            pick = np.random.default_rng(seed).choice(len(fit_x), _CLV_FIT_ROWS, replace=False)
            fit_x, fit_m = fit_x[pick], fit_m[pick]
        gamma_gamma = fit_gamma_gamma(fit_x, fit_m, penalizer=_CLV_PRIOR_STRENGTH / float(len(fit_x)))
    if gamma_gamma is not None and gamma_gamma.q > 1.0:
        spend = gamma_gamma_expected_spend(gamma_gamma, np.where(usable, x, 0.0), np.where(usable, m_x, 0.0))
    else:
        # Too few repeat buyers to fit (or an infinite population mean): use each customer's
        # own net basket, which is what Gamma-Gamma shrinks towards anyway.
        own = features["avg_basket"].to_numpy() * net_share
        spend = np.where(usable, m_x, own)
    clv = customer_lifetime_value(bgnbd, spend, x, t_x, age, horizon, discount_rate=discount_rate)
    out = pd.DataFrame(
        {"clv": clv, "p_alive": p_alive, "expected_purchases": expected, "expected_spend": spend},
        index=features.index,
    )
    return out, bgnbd, gamma_gamma
