"""Input validation and weekly aggregation of sales history for the pricing engine."""

from __future__ import annotations

import numpy as np
import pandas as pd

REQUIRED_SALES_COLUMNS = ("store", "sku", "date", "quantity", "unit_price")
PROMOTION_FLAGS = ("feature", "display", "tpr_only", "promotion")
DEFAULT_CATEGORY = "all"


def _require_columns(frame: pd.DataFrame, required: tuple[str, ...], name: str) -> None:
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {', '.join(missing)}; got {', '.join(map(str, frame.columns))}"
        )


def _week_start(dates: pd.Series) -> pd.Series:
    days = dates.dt.normalize()
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def to_weekly(sales: pd.DataFrame) -> pd.DataFrame:
    """Aggregate daily or weekly sales rows to one row per store x sku x Monday-starting week."""
    _require_columns(sales, REQUIRED_SALES_COLUMNS, "sales")
    flags = [flag for flag in PROMOTION_FLAGS if flag in sales.columns]
    extra = [column for column in ("regular_price", "category") if column in sales.columns]
    frame = sales[[*REQUIRED_SALES_COLUMNS, *flags, *extra]].copy()
    frame["store"] = frame["store"].astype(str)
    frame["sku"] = frame["sku"].astype(str)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["quantity"] = pd.to_numeric(frame["quantity"], errors="coerce").astype(float)
    frame["unit_price"] = pd.to_numeric(frame["unit_price"], errors="coerce").astype(float)
    for flag in flags:
        frame[flag] = pd.to_numeric(frame[flag], errors="coerce").fillna(0.0).astype(float).clip(0.0, 1.0)
    if "regular_price" in frame.columns:
        frame["regular_price"] = pd.to_numeric(frame["regular_price"], errors="coerce").astype(float)
    # A row without a usable price or quantity says nothing about the demand curve.
    usable = frame["date"].notna() & frame["quantity"].notna() & (frame["unit_price"] > 0)
    frame = frame.loc[usable]
    if frame.empty:
        return _empty_weekly(flags)

    frame["week"] = _week_start(frame["date"])
    frame = _drop_partial_edge_weeks(frame)
    # Price of the week = unit-weighted price, so a promoted day with many sales counts for more.
    weight = frame["quantity"].clip(lower=0.0)
    frame["_weight"] = weight
    frame["_weighted_price"] = weight * frame["unit_price"]
    aggregations: dict[str, tuple[str, str]] = {
        "quantity": ("quantity", "sum"),
        "_weight": ("_weight", "sum"),
        "_weighted_price": ("_weighted_price", "sum"),
        "mean_price": ("unit_price", "mean"),
    }
    for flag in flags:
        # Share of the week's rows on promotion: 0/1 for weekly input, a fraction for daily input.
        aggregations[flag] = (flag, "mean")
    if "regular_price" in frame.columns:
        aggregations["regular_price"] = ("regular_price", "max")
    if "category" in frame.columns:
        aggregations["category"] = ("category", "first")
    weekly = frame.groupby(["store", "sku", "week"], sort=True).agg(**aggregations).reset_index()
    weighted = weekly["_weighted_price"] / weekly["_weight"].where(weekly["_weight"] > 0)
    weekly["unit_price"] = weighted.fillna(weekly["mean_price"])
    return weekly.drop(columns=["_weight", "_weighted_price", "mean_price"])


def _empty_weekly(flags: list[str]) -> pd.DataFrame:
    columns = ["store", "sku", "week", "quantity", *flags, "unit_price"]
    return pd.DataFrame({column: pd.Series(dtype=float) for column in columns})


def _drop_partial_edge_weeks(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the first and last calendar week of daily data when they are cut by the data's edges."""
    dates = frame["date"].drop_duplicates().sort_values()
    if len(dates) < 2 or dates.diff().dt.days.median() >= 7:
        return frame  # weekly input: each row already is a whole week
    first_day, last_day = dates.iloc[0].normalize(), dates.iloc[-1].normalize()
    first_full_week = (
        first_day if first_day.day_of_week == 0 else first_day + pd.Timedelta(days=7 - first_day.day_of_week)
    )
    last_full_week = last_day - pd.Timedelta(days=last_day.day_of_week)
    if last_day.day_of_week != 6:
        last_full_week -= pd.Timedelta(days=7)
    keep = (frame["week"] >= first_full_week) & (frame["week"] <= last_full_week)
    # Less than two whole weeks: keep everything rather than nothing.
    return frame.loc[keep] if keep.any() else frame


def product_info(weekly: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """One row per store x sku with category, unit_cost and list price (NaN where unknown)."""
    series = weekly[["store", "sku"]].drop_duplicates().reset_index(drop=True)
    series["category"] = np.nan
    series["unit_cost"] = np.nan
    series["list_price"] = np.nan
    series = series.astype({"category": object})
    if "category" in weekly.columns:
        sales_category = weekly.dropna(subset=["category"]).groupby(["store", "sku"])["category"].first()
        series["category"] = _lookup(series, sales_category.reset_index(), "category")
    if products is not None and not products.empty:
        _require_columns(products, ("sku",), "products")
        table = products.copy()
        table["sku"] = table["sku"].astype(str)
        has_store = "store" in table.columns
        if has_store:
            table["store"] = table["store"].where(table["store"].isna(), table["store"].astype(str))
        for source, target in (("category", "category"), ("unit_cost", "unit_cost"), ("price", "list_price")):
            if source not in table.columns:
                continue
            values = table[["sku", *(["store"] if has_store else []), source]].dropna(subset=[source])
            if source != "category":
                values[source] = pd.to_numeric(values[source], errors="coerce")
                values = values.loc[values[source] > 0]
            found = pd.Series(np.nan, index=series.index, dtype=object)
            if has_store:
                per_store = values.dropna(subset=["store"]).drop_duplicates(["store", "sku"], keep="last")
                found = _lookup(series, per_store.rename(columns={source: "value"}), "value")
                # A products row without a store applies to the sku in every store.
                values = values.loc[values["store"].isna()]
            per_sku = values.drop_duplicates("sku", keep="last").set_index("sku")[source]
            found = found.fillna(series["sku"].map(per_sku))
            series[target] = found.where(found.notna(), series[target])
    series["category"] = series["category"].fillna(DEFAULT_CATEGORY).astype(str)
    series["unit_cost"] = pd.to_numeric(series["unit_cost"], errors="coerce").astype(float)
    series["list_price"] = pd.to_numeric(series["list_price"], errors="coerce").astype(float)
    return series


def _lookup(series: pd.DataFrame, table: pd.DataFrame, column: str) -> pd.Series:
    merged = series[["store", "sku"]].merge(table[["store", "sku", column]], on=["store", "sku"], how="left")
    return pd.Series(merged[column].to_numpy(), index=series.index, dtype=object)


def drop_censored_weeks(sales: pd.DataFrame, stockouts: pd.DataFrame | None) -> pd.DataFrame:
    """The sales rows outside every week a stock-out (store, sku, start, end) touched.

    A censored week's units are what the shelf allowed, a lower bound on demand at its price, so
    the regression must not read them; the whole Monday-starting week goes, as to_weekly sums it.
    """
    if stockouts is None or stockouts.empty or sales.empty:
        return sales
    start = pd.to_datetime(stockouts["start"]).dt.normalize()
    days = ((pd.to_datetime(stockouts["end"]).dt.normalize() - start).dt.days.to_numpy() + 1).clip(1)
    run = np.repeat(np.arange(len(stockouts)), days)
    offset = np.arange(int(days.sum())) - np.repeat(np.cumsum(days) - days, days)
    censored = pd.DataFrame(
        {
            "store": stockouts["store"].astype(str).to_numpy()[run],
            "sku": stockouts["sku"].astype(str).to_numpy()[run],
            "date": start.to_numpy()[run] + pd.to_timedelta(offset, unit="D"),
            "_censored": True,
        }
    ).drop_duplicates(["store", "sku", "date"])
    keys = pd.DataFrame(
        {
            "store": sales["store"].astype(str).to_numpy(),
            "sku": sales["sku"].astype(str).to_numpy(),
            "date": pd.to_datetime(sales["date"]).dt.normalize().to_numpy(),
        }
    )
    hit = keys.merge(censored, on=["store", "sku", "date"], how="left")["_censored"].notna().to_numpy()
    keys["week"] = _week_start(keys["date"])
    weeks = keys.loc[hit, ["store", "sku", "week"]].drop_duplicates().assign(_censored=True)
    drop = keys.merge(weeks, on=["store", "sku", "week"], how="left")["_censored"].notna().to_numpy()
    return sales.loc[~drop]
