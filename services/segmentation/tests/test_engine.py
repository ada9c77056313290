"""Segmentation engine: features, planted clusters, stability, naming, returns, tiny inputs, migration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from segmentation.engine import SegmentationResult, customer_features, segment_customers, segment_migration

AS_OF = pd.Timestamp("2024-01-01")

# Planted behaviour groups: (purchases, first purchase days ago range, last purchase days ago
# range, basket value). Each is a clear-cut RFM profile.
GROUPS: dict[str, tuple[tuple[int, int], tuple[int, int], tuple[int, int], float]] = {
    "champion": ((20, 30), (330, 360), (1, 4), 150.0),
    "new": ((1, 1), (2, 12), (2, 12), 40.0),
    "at_risk": ((10, 15), (340, 360), (200, 240), 120.0),
    "lost": ((1, 1), (300, 360), (300, 360), 15.0),
}


def make_lines(per_group: int = 60, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    """Sales lines for planted groups, and the true group per customer_id."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    truth: dict[str, str] = {}
    for group, ((f_lo, f_hi), (first_lo, first_hi), (last_lo, last_hi), basket) in GROUPS.items():
        for i in range(per_group):
            customer = f"{group}-{i:03d}"
            truth[customer] = group
            n = int(rng.integers(f_lo, f_hi + 1))
            first = int(rng.integers(first_lo, first_hi + 1))
            last = int(rng.integers(last_lo, min(last_hi, first) + 1))
            days = np.unique(np.r_[first, last, rng.integers(last, first + 1, size=max(n - 2, 0))])
            if n == 1:
                days = np.array([first])
            for j, ago in enumerate(sorted(days, reverse=True)):
                for line in range(2):
                    rows.append(
                        {
                            "customer_id": customer,
                            "date": AS_OF - pd.Timedelta(days=int(ago)),
                            "quantity": float(rng.integers(1, 4)),
                            "unit_price": basket / 4.0 * float(rng.uniform(0.8, 1.2)),
                            "transaction_id": f"{customer}-T{j}",
                            "sku": f"SKU{line + j % 5}",
                            "category": "toys" if line == 0 else "books",
                        }
                    )
    return pd.DataFrame(rows), pd.Series(truth, name="group")


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, pd.Series, SegmentationResult]:
    lines, truth = make_lines()
    return lines, truth, segment_customers(lines, as_of=AS_OF, seed=0)


def test_planted_clusters_are_recovered(planted: tuple[pd.DataFrame, pd.Series, SegmentationResult]) -> None:
    _, truth, result = planted
    customers = result.customers.set_index("customer_id")
    assert result.k == 4
    assert adjusted_rand_score(truth.loc[customers.index], customers["segment"]) > 0.95
    assert result.silhouette > 0.5


def test_outliers_do_not_own_a_cluster() -> None:
    lines, truth = make_lines(per_group=60, seed=8)
    # Three whales: hundreds of orders worth a thousand times the others' baskets.
    whales = []
    for w in range(3):
        for day in range(1, 301):
            whales.append(
                {
                    "customer_id": f"whale-{w}",
                    "date": AS_OF - pd.Timedelta(days=day),
                    "quantity": 50.0,
                    "unit_price": 1000.0,
                    "transaction_id": f"whale-{w}-{day}",
                    "sku": "SKU1",
                    "category": "toys",
                }
            )
    result = segment_customers(pd.concat([lines, pd.DataFrame(whales)], ignore_index=True), as_of=AS_OF)
    customers = result.customers.set_index("customer_id")
    assert result.k == 4
    whale_segments = set(customers.loc[[f"whale-{w}" for w in range(3)], "segment"])
    assert whale_segments == {"Champions"}
    assert customers["segment"].value_counts().min() >= 50
    assert adjusted_rand_score(truth, customers.loc[truth.index, "segment"]) > 0.95


def test_clear_cut_profiles_get_fitting_names(
    planted: tuple[pd.DataFrame, pd.Series, SegmentationResult],
) -> None:
    _, truth, result = planted
    customers = result.customers.set_index("customer_id")
    majority = customers.groupby(truth.loc[customers.index])["segment"].agg(lambda s: s.mode()[0])
    assert majority["champion"] == "Champions"
    assert majority["new"] == "New"
    assert majority["at_risk"] in {"At risk", "Can't lose them"}
    assert majority["lost"] in {"Lost", "Hibernating"}
    # The headline case: somebody who bought in the last few days, 20+ times, is never "Lost".
    frequent_recent = customers[(customers["recency_days"] <= 4) & (customers["frequency"] >= 20)]
    assert len(frequent_recent) > 0
    assert not frequent_recent["segment"].isin(["Lost", "Hibernating", "At risk"]).any()


def test_segment_table_is_complete_and_consistent(
    planted: tuple[pd.DataFrame, pd.Series, SegmentationResult],
) -> None:
    _, _, result = planted
    segments = result.segments
    for column in (
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
    ):
        assert column in segments.columns
    assert segments["name"].is_unique
    assert segments["customers"].sum() == len(result.customers) == 240
    assert segments["revenue_share"].sum() == pytest.approx(1.0)
    assert segments["revenue_share"].between(0, 1).all()
    assert (segments["description"].str.len() > 20).all()
    assert segments["description"].str.endswith(".").all()
    assert (segments["action"].str.len() > 10).all()
    champions = segments.set_index("name").loc["Champions"]
    # 60 of 240 customers, with by far the largest baskets x purchases.
    assert champions["customers"] == 60
    assert champions["revenue_share"] > 0.6
    # Recency median of the champions group lies in its planted range 1..4 days.
    assert 1 <= champions["recency_days"] <= 4


def test_clv_orders_customers_sensibly(planted: tuple[pd.DataFrame, pd.Series, SegmentationResult]) -> None:
    _, _, result = planted
    by_segment = result.segments.set_index("name")
    lost_name = "Lost" if "Lost" in by_segment.index else "Hibernating"
    assert by_segment.loc["Champions", "clv_mean"] > 5 * by_segment.loc[lost_name, "clv_mean"]
    at_risk_name = "At risk" if "At risk" in by_segment.index else "Can't lose them"
    # Frequent buyers who stopped 200+ days ago are probably gone; recent frequent ones are not.
    assert by_segment.loc[at_risk_name, "p_alive_mean"] < 0.5
    assert by_segment.loc["Champions", "p_alive_mean"] > 0.9
    customers = result.customers
    assert (customers["clv"] >= 0).all()
    assert customers["p_alive"].between(0, 1).all()
    assert result.bgnbd is not None and result.bgnbd.converged


def test_same_data_gives_the_same_segments_in_any_line_order() -> None:
    lines, _ = make_lines(per_group=30, seed=3)
    first = segment_customers(lines, as_of=AS_OF, seed=0)
    shuffled = lines.sample(frac=1.0, random_state=7).reset_index(drop=True)
    second = segment_customers(shuffled, as_of=AS_OF, seed=0)
    pd.testing.assert_frame_equal(
        first.customers[["customer_id", "segment"]], second.customers[["customer_id", "segment"]]
    )
    assert first.k == second.k
    assert first.silhouette == pytest.approx(second.silhouette)


def test_a_one_percent_change_in_data_does_not_reshuffle_names() -> None:
    lines, _ = make_lines(per_group=60, seed=5)
    before = segment_customers(lines, as_of=AS_OF, seed=0)
    # Drop 1% of the lines at random: a few purchases vanish, a few customers change profile.
    changed = lines.drop(lines.sample(frac=0.01, random_state=11).index)
    after = segment_customers(changed, as_of=AS_OF, seed=0)
    joined = before.customers.merge(after.customers, on="customer_id", suffixes=("_before", "_after"))
    assert after.k == before.k
    assert set(after.segments["name"]) == set(before.segments["name"])
    assert (joined["segment_before"] == joined["segment_after"]).mean() >= 0.97


def test_returns_are_netted_and_not_counted_as_purchases() -> None:
    day = pd.Timestamp("2024-03-01")
    lines = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "B"],
            "date": [day, day, day + pd.Timedelta(days=3), day + pd.Timedelta(days=10), day],
            "quantity": [2.0, 1.0, -1.0, 1.0, 1.0],
            "unit_price": [30.0, 40.0, 40.0, 20.0, 10.0],
            "transaction_id": ["T1", "T1", "C1", "T2", "T3"],
            "sku": ["x", "y", "y", "x", "x"],
            "category": ["c1", "c2", "c2", "c1", None],
        }
    )
    features = customer_features(lines, as_of=pd.Timestamp("2024-03-21")).set_index("customer_id")
    a = features.loc["A"]
    assert a["frequency"] == 2  # T1 and T2; the return C1 is not a purchase occasion
    assert a["gross_spend"] == pytest.approx(120.0)
    assert a["returned_value"] == pytest.approx(40.0)
    assert a["monetary"] == pytest.approx(80.0)
    assert a["return_rate"] == pytest.approx(40.0 / 120.0)
    assert a["avg_basket"] == pytest.approx(60.0)
    assert a["recency_days"] == 10
    assert a["tenure_days"] == 20
    assert a["inter_purchase_days"] == pytest.approx(10.0)
    assert a["n_skus"] == 2
    assert a["n_categories"] == 2
    assert a["top_category"] == "c1"
    assert a["top_category_share"] == pytest.approx(80.0 / 120.0)
    assert features.loc["B", "monetary"] == pytest.approx(10.0)
    assert features.loc["B", "n_categories"] == 0


def test_occasion_is_customer_day_without_transaction_ids() -> None:
    day = pd.Timestamp("2024-03-01 09:00")
    lines = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A"],
            # Two lines the same morning and one that afternoon are one occasion; next day another.
            "date": [day, day, day + pd.Timedelta(hours=6), day + pd.Timedelta(days=1)],
            "quantity": [1.0, 1.0, 1.0, 1.0],
            "unit_price": [5.0, 5.0, 5.0, 5.0],
            "sku": ["x", "y", "z", "x"],
        }
    )
    features = customer_features(lines)
    assert features.loc[0, "frequency"] == 2
    with_ids = lines.assign(transaction_id=pd.Series(["T1", "T1", "T2", None], dtype=object))
    # Given ids win; the line without one falls back to its customer-day.
    assert customer_features(with_ids).loc[0, "frequency"] == 3


def test_arrow_backed_input_gives_the_same_result() -> None:
    # The service reads sales lines from Postgres as pyarrow-backed columns.
    lines, _ = make_lines(per_group=15, seed=6)
    plain = segment_customers(lines, as_of=AS_OF)
    arrow = segment_customers(lines.convert_dtypes(dtype_backend="pyarrow"), as_of=AS_OF)
    pd.testing.assert_frame_equal(
        plain.customers[["customer_id", "segment", "monetary", "clv"]].astype({"customer_id": str}),
        arrow.customers[["customer_id", "segment", "monetary", "clv"]].astype({"customer_id": str}),
    )


def test_time_zone_aware_dates_count_local_days() -> None:
    lines, _ = make_lines(per_group=10, seed=9)
    plain = customer_features(lines, as_of=AS_OF)
    aware = lines.assign(date=lines["date"].dt.tz_localize("Europe/London"))
    pd.testing.assert_frame_equal(plain, customer_features(aware, as_of=AS_OF.tz_localize("Europe/London")))
    assert segment_customers(aware).as_of == segment_customers(lines).as_of


def test_lines_on_or_after_as_of_and_without_customer_are_ignored() -> None:
    lines = pd.DataFrame(
        {
            "customer_id": ["A", "A", None, "B"],
            "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-05", "2024-02-10"]),
            "quantity": [1.0, 1.0, 1.0, 1.0],
            "unit_price": [10.0, 99.0, 5.0, 7.0],
        }
    )
    features = customer_features(lines, as_of=pd.Timestamp("2024-02-01"))
    assert features["customer_id"].tolist() == ["A"]
    assert features.loc[0, "monetary"] == pytest.approx(10.0)
    assert features.loc[0, "recency_days"] == 31


def test_tiny_input_gets_fewer_clusters_and_still_named() -> None:
    lines, _ = make_lines(per_group=2, seed=2)
    lines = lines[lines["customer_id"].isin(lines["customer_id"].unique()[:5])]
    result = segment_customers(lines, as_of=AS_OF)
    assert len(result.customers) == 5
    assert 1 <= result.k <= 4
    assert result.customers["segment"].notna().all()
    assert result.customers["segment"].str.len().gt(0).all()
    assert result.segments["customers"].sum() == 5
    assert np.isfinite(result.customers["clv"]).all()


@pytest.mark.parametrize("n_customers", [1, 2, 3])
def test_one_to_three_customers_do_not_fail(n_customers: int) -> None:
    lines = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n_customers)],
            "date": [AS_OF - pd.Timedelta(days=10 * (i + 1)) for i in range(n_customers)],
            "quantity": [1.0] * n_customers,
            "unit_price": [10.0] * n_customers,
        }
    )
    result = segment_customers(lines, as_of=AS_OF)
    assert len(result.customers) == n_customers
    assert result.customers["segment"].str.len().gt(0).all()
    assert result.k == min(n_customers, 2)


def test_empty_input_gives_empty_result() -> None:
    lines = pd.DataFrame(
        {
            "customer_id": pd.Series([], dtype=str),
            "date": pd.Series([], dtype="datetime64[ns]"),
            "quantity": pd.Series([], dtype=float),
            "unit_price": pd.Series([], dtype=float),
        }
    )
    result = segment_customers(lines, as_of=AS_OF)
    assert result.customers.empty and result.segments.empty and result.k == 0


def test_missing_required_column_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unit_price"):
        segment_customers(pd.DataFrame({"customer_id": ["a"], "date": [AS_OF], "quantity": [1.0]}))


def test_customers_frame_has_the_contract_columns(
    planted: tuple[pd.DataFrame, pd.Series, SegmentationResult],
) -> None:
    _, _, result = planted
    expected = [
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
    assert list(result.customers.columns[: len(expected)]) == expected
    assert result.customers["customer_id"].is_unique
    assert result.customers["customer_id"].is_monotonic_increasing


def test_discounting_lowers_clv() -> None:
    lines, _ = make_lines(per_group=20, seed=4)
    plain = segment_customers(lines, as_of=AS_OF)
    discounted = segment_customers(lines, as_of=AS_OF, discount_rate=0.01)
    assert (discounted.customers["clv"] <= plain.customers["clv"] + 1e-9).all()
    assert discounted.customers["clv"].sum() < plain.customers["clv"].sum()


def test_migration_counts_on_two_crafted_runs() -> None:
    previous = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "segment": ["Champions", "Champions", "At risk", "New", "Lost"],
        }
    )
    current = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "f", "g"],
            "segment": ["Champions", "At risk", "Lost", "Potential loyalists", "New", "New"],
        }
    )
    migration = segment_migration(previous, current)
    counts = {(r.from_segment, r.to_segment): r.customers for r in migration.itertuples()}
    assert counts == {
        ("Champions", "Champions"): 1,
        ("Champions", "At risk"): 1,
        ("At risk", "Lost"): 1,
        ("New", "Potential loyalists"): 1,
        ("Lost", "(gone)"): 1,
        ("(new)", "New"): 2,
    }
    assert list(migration.columns) == ["from_segment", "to_segment", "customers"]
    assert migration["customers"].sum() == 7
    assert migration.iloc[0]["customers"] == 2
