"""Segment customers: features, named K-Means segments, CLV and P(alive), one row per segment."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.engine.clustering import cluster_customers, scale_features
from segmentation.engine.clv import BGNBDParams, GammaGammaParams
from segmentation.engine.customer_value import clv_columns
from segmentation.engine.features import customer_features, default_as_of
from segmentation.engine.naming import SEGMENT_ORDER, action_for, assign_names, describe, rfm_scores


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
    clv, bgnbd, gamma_gamma = clv_columns(features, clv_horizon_days, seed, discount_rate)
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
        segments=segment_table(customers),
        k=clustering.k,
        silhouette=clustering.silhouette,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        silhouette_by_k=clustering.silhouette_by_k,
        as_of=as_of,
        excluded_customers=excluded,
    )


def segment_table(customers: pd.DataFrame) -> pd.DataFrame:
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
