"""Customer segmentation engine: RFM features, K-Means segments with names, CLV and migration.

Pure: sales lines (a DataFrame) and parameters in, DataFrames and dataclasses out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.engine.clustering import cluster_customers, scale_features
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
from segmentation.engine.features import customer_features, default_as_of
from segmentation.engine.naming import SEGMENT_ORDER, action_for, assign_names, describe, rfm_scores

__all__ = [
    "BGNBDParams",
    "GammaGammaParams",
    "SegmentationResult",
    "bgnbd_expected_purchases",
    "bgnbd_p_alive",
    "customer_features",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_expected_spend",
    "segment_customers",
    "segment_migration",
]

NEW_SEGMENT = "(new)"
GONE_SEGMENT = "(gone)"
# CLV time unit: weeks, as in Fader, Hardie & Lee (2005); it keeps alpha in a well-scaled range.
_WEEK_DAYS = 7.0
# Above this many customers the BG/NBD and Gamma-Gamma fits use a seeded sample of them: the
# estimates' sampling error there is far below the 2% the published check allows.
_CLV_FIT_ROWS = 300_000
# Weak N(0, 1/sqrt(2*strength)) prior on the log-parameters, as a total (not per-customer)
# penalty: it keeps tiny samples from running to the bounds and vanishes on real-sized data.
_CLV_PRIOR_STRENGTH = 1.0
_MIN_GAMMA_GAMMA_CUSTOMERS = 10


@dataclass
class SegmentationResult:
    """Customers with features, segment, CLV; one row per segment; chosen k and its silhouette.

    ``customers``: one row per customer with a purchase before ``as_of``, sorted by customer_id:
    customer_id, segment, recency_days, frequency (distinct purchase occasions), monetary (net
    spend), tenure_days, avg_basket, inter_purchase_days, return_rate, clv, p_alive,
    expected_purchases, then the other features of ``customer_features``, the percentile scores
    r/f/m/t_score, expected_spend and the K-Means cluster. BG/NBD counts same-day orders as one
    purchase, so expected_purchases are purchase days within ``clv_horizon_days``; clv is
    expected_purchases x expected_spend (Gamma-Gamma, net of the customer's return rate).

    ``segments``: one row per segment in a fixed order (Champions first, Lost last): name,
    customers, revenue_share (share of positive net spend), recency_days, frequency and monetary
    as segment MEDIANS, clv_mean, p_alive_mean, description, action, monetary_total, clv_total.
    """

    customers: pd.DataFrame
    segments: pd.DataFrame
    k: int
    silhouette: float
    bgnbd: BGNBDParams | None = None
    gamma_gamma: GammaGammaParams | None = None
    silhouette_by_k: dict[int, float] = field(default_factory=dict)
    as_of: pd.Timestamp | None = None
    # Customers with sales lines but no purchase before as_of (only returns): not segmented.
    excluded_customers: int = 0


def _clv_columns(
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


def _segment_table(customers: pd.DataFrame) -> pd.DataFrame:
    """One row per segment: sizes, revenue share, MEDIAN recency/frequency/monetary, mean CLV and P(alive)."""
    columns = [
        "name",
        "customers",
        "revenue_share",
        "recency_days",
        "frequency",
        "monetary",
        "clv_mean",
        "p_alive_mean",
        "description",
        "action",
        "monetary_total",
        "clv_total",
    ]
    if customers.empty:
        return pd.DataFrame(columns=columns)
    # Shares use positive net spend only, so a segment of net returners cannot push them below 0.
    revenue = customers["monetary"].clip(lower=0.0)
    total_revenue = float(revenue.sum())
    grouped = customers.assign(_revenue=revenue).groupby("segment", sort=False)
    table = grouped.agg(
        customers=("customer_id", "size"),
        revenue=("_revenue", "sum"),
        recency_days=("recency_days", "median"),
        frequency=("frequency", "median"),
        monetary=("monetary", "median"),
        clv_mean=("clv", "mean"),
        p_alive_mean=("p_alive", "mean"),
        monetary_total=("monetary", "sum"),
        clv_total=("clv", "sum"),
    )
    table["revenue_share"] = table["revenue"] / total_revenue if total_revenue > 0 else 0.0
    table["name"] = table.index.astype(str)
    table["description"] = [
        describe(name, row.recency_days, row.frequency, row.monetary) for name, row in table.iterrows()
    ]
    table["action"] = [action_for(name) for name in table.index]
    order = {name: i for i, name in enumerate(SEGMENT_ORDER)}
    table = table.sort_values("name", key=lambda s: s.map(order))
    table["customers"] = table["customers"].astype(np.int64)
    return table[columns].reset_index(drop=True)


def segment_customers(
    lines: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    seed: int = 0,
    clv_horizon_days: int = 365,
    *,
    k: int | None = None,
    discount_rate: float = 0.0,
) -> SegmentationResult:
    """Segment customers from sales lines: features, named K-Means segments, CLV and P(alive)."""
    if as_of is None:
        as_of = default_as_of(lines) if len(lines) else pd.Timestamp.now().normalize()
    as_of = pd.Timestamp(as_of).normalize()
    if as_of.tzinfo is not None:
        as_of = as_of.tz_localize(None)
    features = customer_features(lines, as_of)
    all_customers = lines["customer_id"].dropna().nunique() if "customer_id" in lines.columns else 0
    excluded = int(all_customers) - len(features)

    clustering = cluster_customers(scale_features(features), seed=seed, k=k)
    scores = rfm_scores(features)
    clv, bgnbd, gamma_gamma = _clv_columns(features, clv_horizon_days, seed, discount_rate)
    customers = pd.concat([features, scores, clv], axis=1)
    customers["cluster"] = clustering.labels

    if len(customers):
        profiles = customers.groupby("cluster").agg(
            r_score=("r_score", "mean"),
            f_score=("f_score", "mean"),
            m_score=("m_score", "mean"),
            t_score=("t_score", "mean"),
            recency_days=("recency_days", "median"),
        )
        names = assign_names(profiles)
        customers["segment"] = customers["cluster"].map(names).astype(str)
    else:
        customers["segment"] = pd.Series([], dtype=str)

    leading = [
        "customer_id",
        "segment",
        "recency_days",
        "frequency",
        "monetary",
        "tenure_days",
        "avg_basket",
        "inter_purchase_days",
        "return_rate",
        "clv",
        "p_alive",
        "expected_purchases",
    ]
    customers = customers[leading + [c for c in customers.columns if c not in leading]]
    return SegmentationResult(
        customers=customers.reset_index(drop=True),
        segments=_segment_table(customers),
        k=clustering.k,
        silhouette=clustering.silhouette,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        silhouette_by_k=clustering.silhouette_by_k,
        as_of=as_of,
        excluded_customers=excluded,
    )


def segment_migration(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Count customers per (from_segment, to_segment) between two runs' customer_id/segment frames.

    Customers only in ``current`` come from "(new)", customers only in ``previous`` go to
    "(gone)"; customers who stayed put appear with from_segment == to_segment.
    """
    before = previous[["customer_id", "segment"]].drop_duplicates("customer_id", keep="last")
    after = current[["customer_id", "segment"]].drop_duplicates("customer_id", keep="last")
    merged = before.astype({"customer_id": str}).merge(
        after.astype({"customer_id": str}), on="customer_id", how="outer", suffixes=("_from", "_to")
    )
    merged["from_segment"] = (
        merged["segment_from"].astype(object).where(merged["segment_from"].notna(), NEW_SEGMENT)
    )
    merged["to_segment"] = (
        merged["segment_to"].astype(object).where(merged["segment_to"].notna(), GONE_SEGMENT)
    )
    counts = merged.groupby(["from_segment", "to_segment"]).size().rename("customers").reset_index()
    counts["from_segment"] = counts["from_segment"].astype(str)
    counts["to_segment"] = counts["to_segment"].astype(str)
    counts["customers"] = counts["customers"].astype(np.int64)
    return counts.sort_values(
        ["customers", "from_segment", "to_segment"], ascending=[False, True, True]
    ).reset_index(drop=True)
