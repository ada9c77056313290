"""Segmentation on the real UCI Online Retail data (slow; skipped when ../shared/data is absent)."""

from __future__ import annotations

import pandas as pd
import pytest

from common.testing.datasets import load_online_retail, online_retail_path
from segmentation.engine import SegmentationResult, segment_customers

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not online_retail_path().is_file(), reason=f"{online_retail_path()} not found"),
]


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    return load_online_retail()


@pytest.fixture(scope="module")
def result(lines: pd.DataFrame) -> SegmentationResult:
    return segment_customers(lines)


def test_online_retail_customers_and_segments(lines: pd.DataFrame, result: SegmentationResult) -> None:
    # The data's README: about 4,338 customers remain after the usual cleaning; 34 more only
    # ever cancelled and have no purchase to segment.
    assert len(result.customers) == 4338
    assert result.excluded_customers == 34
    assert 3 <= result.k <= 8
    assert result.silhouette > 0.25
    segments = result.segments
    assert segments["name"].is_unique and len(segments) == result.k
    assert segments["customers"].sum() == 4338
    assert segments["revenue_share"].sum() == pytest.approx(1.0)
    # Net spend (returns netted) adds up to the segmented customers' quantity x price in the raw data.
    own = lines[lines["customer_id"].isin(result.customers["customer_id"])]
    assert result.customers["monetary"].sum() == pytest.approx((own["quantity"] * own["unit_price"]).sum())
    assert result.customers["monetary"].sum() == pytest.approx(8_310_477.05, abs=0.01)


def test_online_retail_best_segment_is_recent_frequent_and_valuable(result: SegmentationResult) -> None:
    segments = result.segments.set_index("name")
    best = segments["revenue_share"].idxmax()
    assert best in {"Champions", "Loyal"}
    assert segments.loc[best, "recency_days"] == segments["recency_days"].min()
    assert segments.loc[best, "frequency"] == segments["frequency"].max()
    assert segments.loc[best, "clv_mean"] == segments["clv_mean"].max()
    assert result.bgnbd is not None and result.bgnbd.converged


def test_online_retail_names_survive_a_one_percent_change(
    lines: pd.DataFrame, result: SegmentationResult
) -> None:
    changed = lines.drop(lines.sample(frac=0.01, random_state=3).index)
    after = segment_customers(changed, as_of=result.as_of)
    joined = result.customers.merge(after.customers, on="customer_id", suffixes=("_before", "_after"))
    assert after.k == result.k
    assert set(after.segments["name"]) == set(result.segments["name"])
    assert (joined["segment_before"] == joined["segment_after"]).mean() >= 0.9
