"""The dashboard's stock-out pages in a real browser (Debian's Chromium) against the real platform.

A retailer's sales where one item sold nothing for ten days, and a stock file that says it was out
of stock then: the Upload page's Stock tab checks a broken file and uploads the good one, then the
Overview's "lost to stock-outs", the forecast chart's shaded periods and estimated demand, the
Inventory's stock-outs per item and the Settings' stock-out choice show what the API says, at phone
(375 px) and desktop (1440 px) widths. Screenshots land in test-artifacts/dashboard-stockouts/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from dashboard_browser import (
    REPO_ROOT,
    WIDTHS,
    Session,
    analysed_account,
    assert_chart_drawn,
    fmt_money,
    fmt_number,
    fresh_folder,
    new_page,
    screenshot,
    text,
    wait_for_job,
    wait_for_text,
)

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboard-stockouts"
ITEM = {"store": "S01", "sku": "SKU001"}
SALES_END = date.today() - timedelta(days=1)
# The ten days the item's shelf was empty: no sales, and 0 on hand in the stock file.
OUT_START, OUT_END = SALES_END - timedelta(days=30), SALES_END - timedelta(days=21)
STOCK_DAYS = 90


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Fresh screenshot folder (git-ignored) for a reviewer."""
    return fresh_folder(ARTIFACTS)


def stock_file(path: Path) -> Path:
    """End-of-day stock of two items over the last STOCK_DAYS days: SKU001 at 0 while it was out."""
    rows = ["date,store,sku,on_hand"]
    for offset in range(STOCK_DAYS):
        day = SALES_END - timedelta(days=offset)
        out = OUT_START <= day <= OUT_END
        rows.append(f"{day.isoformat()},S01,SKU001,{0 if out else 30}")
        rows.append(f"{day.isoformat()},S01,SKU002,25")
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def shop(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Session:
    """A new account whose sales are analysed, SKU001 selling nothing while it was out of stock."""
    from common.demo import generate_sales

    sales = generate_sales(n_stores=2, n_skus=6, days=240, n_customers=80, end=SALES_END.isoformat(), seed=3)
    day = pd.to_datetime(sales["date"]).dt.date
    out = (sales["store"] == ITEM["store"]) & (sales["sku"] == ITEM["sku"])
    out &= (day >= OUT_START) & (day <= OUT_END)
    path = Path(tmp_path_factory.mktemp("stockouts")) / "sales.csv"
    sales[~out].to_csv(path, index=False)
    return analysed_account(base_url, "stock", "Stock Grocer", path)


def test_the_stock_tab_shows_rejected_rows_then_uploads_the_file(
    browser: Any, shop: Session, artifacts: Path, tmp_path: Path
) -> None:
    """A broken stock file lists its rejected rows as the API does; the good one uploads and re-runs."""
    good = stock_file(tmp_path / "stock.csv")
    bad = tmp_path / "stock-bad.csv"
    future = (date.today() + timedelta(days=30)).isoformat()
    bad.write_text(good.read_text() + f"{SALES_END.isoformat()},S01,SKU003,-4\n{future},S01,SKU003,5\n")
    errors: list[str] = []
    page = new_page(browser, WIDTHS["desktop"], errors, storage=shop.storage(), base_url=shop.base_url)
    page.goto("/app/upload")
    page.get_by_role("tab", name="Stock").click()
    page.wait_for_url("**/app/upload?kind=stock")
    with shop.api() as api:
        dry = api.post(
            "/upload-stock",
            params={"dry_run": "true"},
            files={"file": (bad.name, bad.read_bytes(), "text/csv")},
        )
        assert dry.status_code == 200, dry.text
        preview = dry.json()
        assert preview["rows_rejected"] == 2, preview
        page.set_input_files("#stock-file", str(bad))
        wait_for_text(page, "stock-rows-total", fmt_number(preview["rows_total"]))
        assert text(page, "[data-testid=stock-rows-valid]") == fmt_number(preview["rows_valid"])
        assert text(page, "[data-testid=stock-rows-rejected]") == "2"
        shown = page.locator("[data-testid=stock-preview-errors] [data-testid=error-table] tbody tr")
        assert shown.count() == len(preview["errors"]) == 2
        for error in preview["errors"]:
            assert error["message"] in text(page, "[data-testid=stock-preview-errors]")
        # A file is stored whole or not at all: with rejected rows there is nothing to upload.
        assert page.get_by_test_id("submit-stock").is_disabled()
        screenshot(page, artifacts, "upload-stock-rejected", WIDTHS["desktop"])

        page.set_input_files("#stock-file", str(good))
        wait_for_text(page, "stock-rows-total", fmt_number(2 * STOCK_DAYS))
        assert text(page, "[data-testid=stock-rows-rejected]") == "0"
        page.get_by_test_id("submit-stock").click()
        accepted = page.get_by_test_id("stock-accepted")
        accepted.wait_for()
        href = accepted.get_by_role("link", name="Follow the job").get_attribute("href")
        assert href and href.startswith("/app/jobs/")
        job = wait_for_job(api, href.rsplit("/", 1)[-1])
        assert job["status"] == "succeeded", job
        assert job["rows_accepted"] == 2 * STOCK_DAYS
    page.context.close()
    assert errors == [], "console errors:\n" + "\n".join(errors)


def all_stockouts(api: httpx.Client, **params: str) -> dict[str, Any]:
    """Every stock-out matching `params`, page by page, with the API's totals."""
    first = api.get("/stockouts", params={**params, "limit": 500}).json()
    items = list(first["items"])
    while len(items) < first["total"]:
        items += api.get("/stockouts", params={**params, "limit": 500, "offset": len(items)}).json()["items"]
    return {**first, "items": items}


def top_losses(periods: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    """Items by lost revenue, then units (as lossByItem in web/src/lib/stockouts.ts)."""
    totals: dict[tuple[str, str], list[float]] = {}
    for p in periods:
        entry = totals.setdefault((p["store"], p["sku"]), [0.0, 0.0])
        entry[0] += p["lost_revenue"]
        entry[1] += p["lost_units"]
    ranked = sorted(
        (k for k, v in totals.items() if v[0] > 0 or v[1] > 0),
        key=lambda k: (-totals[k][0], -totals[k][1], k[1]),
    )
    return [(store, sku, totals[(store, sku)][0]) for store, sku in ranked]


def item_stockout_text(stockouts: dict[str, Any] | None) -> str:
    """Like itemStockoutText: "3× · $120.00", "none", or a dash when not counted."""
    if not stockouts:
        return "—"
    if stockouts["count"] <= 0:
        return "none"
    return f"{fmt_number(stockouts['count'])}× · {fmt_money(stockouts['lost_revenue'])}"


def check_overview(page: Any, api: httpx.Client) -> None:
    """The card sums the last 90 days of sales' stock-outs and ranks the items that lost most."""
    points = api.get("/sales/timeseries", params={"freq": "D"}).json()["points"]
    last = max(date.fromisoformat(p["date"][:10]) for p in points)
    since = (last - timedelta(days=89)).isoformat()
    lost = all_stockouts(api, since=since)
    assert any(p["sku"] == ITEM["sku"] and p["source"] == "stock" for p in lost["items"]), lost
    page.goto("/app/overview")
    wait_for_text(page, "overview-lost-units", fmt_number(lost["lost_units_total"]))
    assert text(page, "[data-testid=overview-lost-revenue]") == fmt_money(lost["lost_revenue_total"])
    top = top_losses(lost["items"])
    assert top, "no item lost anything to the stock-out"
    rows = page.locator("[data-testid=overview-top-stockouts] li")
    assert rows.count() == min(5, len(top))
    store, sku, revenue = top[0]
    assert (rows.first.get_attribute("data-store"), rows.first.get_attribute("data-sku")) == (store, sku)
    assert rows.first.locator("[data-value]").inner_text() == fmt_money(revenue)


def check_forecast(page: Any, api: httpx.Client) -> None:
    """The item's chart shades its censored days and draws estimated demand beside the sales."""
    item = api.get("/stockouts", params={**ITEM, "limit": 500}).json()
    assert item["total"] > 0, item
    page.goto(f"/app/forecast?store={ITEM['store']}&sku={ITEM['sku']}")
    notes = page.get_by_test_id("forecast-stockouts")
    notes.wait_for()
    assert notes.get_attribute("data-total") == str(item["total"])
    assert f"{fmt_number(item['lost_units_total'])} units" in notes.inner_text()
    assert fmt_money(item["lost_revenue_total"]) in notes.inner_text()
    chart = page.get_by_test_id("forecast-chart")
    page.wait_for_function("el => Number(el.dataset.censoredRows) > 0", arg=chart.element_handle())
    assert_chart_drawn(page, "forecast-chart")
    legend = page.locator("[data-testid=forecast-chart] .recharts-legend-item-text").all_inner_texts()
    assert legend[:4] == ["Units sold", "Estimated demand", "Forecast (p50)", "p10–p90 range"], legend
    assert "Out of stock (sales censored)" in legend
    # The shaded days: one bar per censored row of the chart.
    bars = page.locator("[data-testid=forecast-chart] .recharts-bar-rectangle")
    assert bars.count() == int(chart.get_attribute("data-censored-rows") or 0)


def check_inventory(page: Any, api: httpx.Client, width: int) -> None:
    """Each item says how often it ran out in the last year and what that cost."""
    items = api.get("/inventory-recommendations", params={"sort": "urgency", "limit": 500}).json()["items"]
    counted = [i for i in items if i.get("stockouts") and i["stockouts"]["count"] > 0]
    assert any(i["store"] == ITEM["store"] and i["sku"] == ITEM["sku"] for i in counted), counted
    page.goto("/app/inventory")
    page.get_by_test_id("inventory-table").wait_for()
    for item in items[:10]:
        row = page.locator(
            f"[data-testid=inventory-row][data-store='{item['store']}'][data-sku='{item['sku']}']"
        )
        if width >= 640:  # the column shows from the sm breakpoint; phones get a line under the item
            assert row.locator("[data-col=stockouts]").inner_text() == item_stockout_text(item["stockouts"])
    row = page.locator(f"[data-testid=inventory-row][data-store='{ITEM['store']}'][data-sku='{ITEM['sku']}']")
    expected = item_stockout_text(next(i for i in counted if i["sku"] == ITEM["sku"])["stockouts"])
    if width < 640:
        assert row.locator("[data-col=stockouts-phone]").inner_text() == f"Ran out {expected}"
    row.get_by_role("button", name="Why?").click()
    assert text(page, "[data-testid=inventory-stockouts]").startswith("ran out ")


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_lost_to_stockouts_shows_the_api_numbers(
    browser: Any, shop: Session, artifacts: Path, width_name: str
) -> None:
    """Overview, forecast chart and inventory match GET /stockouts and the items' stock-outs."""
    width = WIDTHS[width_name]
    errors: list[str] = []
    page = new_page(browser, width, errors, storage=shop.storage(), base_url=shop.base_url)
    try:
        with shop.api() as api:
            check_overview(page, api)
            screenshot(page, artifacts, "overview", width)
            check_forecast(page, api)
            screenshot(page, artifacts, "forecast", width)
            check_inventory(page, api, width)
            screenshot(page, artifacts, "inventory", width)
    except Exception:
        page.screenshot(path=str(artifacts / f"FAILED-{width}.png"), full_page=True)
        raise
    page.context.close()
    assert errors == [], "console errors:\n" + "\n".join(errors)


def test_the_stockouts_setting_is_explained_and_saved(browser: Any, shop: Session, artifacts: Path) -> None:
    """Settings explains flag and correct; choosing correct saves it and re-runs the engines."""
    errors: list[str] = []
    page = new_page(browser, WIDTHS["desktop"], errors, storage=shop.storage(), base_url=shop.base_url)
    with shop.api() as api:
        assert api.get("/settings").json()["stockouts"] == "flag"  # the default
        page.goto("/app/settings")
        choices = page.get_by_test_id("org-stockouts")
        # The choices are enabled once the stored settings have loaded (a default shows before).
        page.wait_for_selector("[data-testid=org-stockouts] input[value=flag]:enabled")
        assert choices.get_by_role("radio", name=re.compile("^Flag them")).is_checked()
        assert "still learns from the sales" in text(page, "[data-testid=stockouts-flag-explanation]")
        assert "demand customers had" in text(page, "[data-testid=stockouts-correct-explanation]")
        choices.get_by_role("radio", name=re.compile("^Correct for them")).check()
        page.get_by_test_id("org-settings").get_by_role("button", name="Save").click()
        page.get_by_test_id("settings-saved").wait_for()
        assert api.get("/settings").json()["stockouts"] == "correct"
        screenshot(page, artifacts, "settings", WIDTHS["desktop"])
        href = page.get_by_test_id("settings-saved").get_by_role("link").get_attribute("href")
        assert href and href.startswith("/app/jobs/")
        # The change re-runs forecasting, pricing and inventory: let it finish before the platform stops.
        job = wait_for_job(api, href.rsplit("/", 1)[-1])
        assert job["status"] == "succeeded", job
        page.reload()
        page.wait_for_selector("[data-testid=org-stockouts] input[value=correct]:enabled")
        assert choices.get_by_role("radio", name=re.compile("^Correct for them")).is_checked()
        assert not choices.get_by_role("radio", name=re.compile("^Flag them")).is_checked()
    page.context.close()
    assert errors == [], "console errors:\n" + "\n".join(errors)
