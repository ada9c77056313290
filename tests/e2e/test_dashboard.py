"""The dashboard in a real browser (Debian's Chromium) against the real platform.

Signs up, uploads a generated sales file (preview first), watches the job finish, then opens every
page at phone (375 px) and desktop (1440 px) widths and checks that it shows what the API returns,
that charts drew, and that the console stayed clean. Screenshots land in test-artifacts/dashboard/.

Runs against the `platform` fixture (common.testing), or against an already running stack when
E2E_BASE_URL is set (e.g. `make run` then `E2E_BASE_URL=http://127.0.0.1:8000 pytest -m e2e ...`).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from dashboard_browser import (
    DASH,
    JOB_TIMEOUT_S,
    REPO_ROOT,
    WIDTHS,
    Session,
    assert_chart_drawn,
    fmt_money,
    fmt_number,
    fmt_percent,
    fmt_signed_money,
    forecast_sum,
    fresh_folder,
    new_page,
    screenshot,
    text,
    wait_for_text,
)

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboard"


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Fresh screenshot folder (git-ignored) for a reviewer."""
    return fresh_folder(ARTIFACTS)


@pytest.fixture(scope="module")
def session(base_url: str) -> Session:
    """A new account for this run (tests below share it, in file order)."""
    return Session(base_url, f"e2e-{uuid.uuid4().hex[:10]}@example.com", "correct-horse-battery-9")


def at_risk_shown(summary: dict[str, Any], items: list[dict[str, Any]]) -> str:
    """What "Items at risk" shows: the API's count, or a dash when no item's stock on hand is known."""
    return fmt_number(summary["items_at_risk"]) if any(i["on_hand"] is not None for i in items) else DASH


def test_sign_up_preview_upload_and_watch_the_job(
    browser: Any, session: Session, artifacts: Path, tmp_path: Path
) -> None:
    """Sign up, preview the file's columns, upload it, and follow the job to the end."""
    from common.demo import write_sales_csv

    csv_path = write_sales_csv(
        tmp_path / "sample_sales.csv", n_stores=2, n_skus=20, days=300, n_customers=150, seed=11
    )
    # Two broken rows, as real exports have: the preview lists them and the job's error report has them.
    first_day = csv_path.read_text().splitlines()[1].split(",")[0]
    with csv_path.open("a") as handle:
        handle.write(f"{first_day},S01,SKU001,abc,2.50,10001,T-bad-1,Product 001,bakery,0\n")
        handle.write("not-a-date,S01,SKU002,3,2.50,10002,T-bad-2,Product 002,bakery,0\n")
    for label, width in WIDTHS.items():
        page = new_page(browser, width, session.console_errors, base_url=session.base_url)
        page.goto("/app/signup")
        page.get_by_label("Your name").wait_for()
        screenshot(page, artifacts, "signup", width)
        page.goto("/app/signin")
        page.get_by_label("Password").wait_for()
        screenshot(page, artifacts, "signin", width)
        page.context.close()
        assert label in WIDTHS

    page = new_page(browser, WIDTHS["desktop"], session.console_errors, base_url=session.base_url)
    page.goto("/app/overview")
    page.wait_for_url("**/app/signin*")  # signed-out visitors are sent to sign in
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name").fill("E2E Grocer")
    page.get_by_label("Work email").fill(session.email)
    page.get_by_label("Password").fill(session.password)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/app/upload")
    assert page.evaluate("localStorage.getItem('smartretail.tokens')"), "tokens kept across reloads"

    # A new account sees an empty state that says what to do.
    page.goto("/app/overview")
    page.get_by_test_id("empty-state").wait_for()
    assert "Upload your sales history" in text(page, "[data-testid=empty-state]")
    screenshot(page, artifacts, "overview-empty", WIDTHS["desktop"])

    page.goto("/app/upload")
    page.set_input_files("#sales-file", str(csv_path))
    page.get_by_test_id("preview-rows-total").wait_for()
    with session.api() as api:
        dry = api.post(
            "/upload-sales",
            params={"dry_run": "true"},
            files={"file": (csv_path.name, csv_path.read_bytes(), "text/csv")},
        )
    assert dry.status_code == 200, dry.text
    preview = dry.json()
    assert text(page, "[data-testid=preview-rows-total]") == fmt_number(preview["rows_total"])
    assert text(page, "[data-testid=preview-rows-valid]") == fmt_number(preview["rows_valid"])
    assert page.locator("#map-date").input_value() == preview["mapping"]["date"]
    assert page.locator("#map-sku").input_value() == preview["mapping"]["sku"]
    assert preview["rows_rejected"] == 2, preview
    assert text(page, "[data-testid=preview-rows-rejected]") == "2"
    shown_errors = page.locator("[data-testid=preview-errors] [data-testid=error-table] tbody tr")
    assert shown_errors.count() == min(20, len(preview["errors"]))
    assert preview["errors"][0]["message"] in text(page, "[data-testid=preview-errors]")
    screenshot(page, artifacts, "upload-preview", WIDTHS["desktop"])

    page.get_by_test_id("submit-upload").click()
    page.wait_for_url(re.compile(r".*/app/jobs/[^/]+$"))
    session.job_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.get_by_test_id("job-stages").wait_for()
    screenshot(page, artifacts, "job-running", WIDTHS["desktop"])

    deadline = time.monotonic() + JOB_TIMEOUT_S
    status = page.get_by_test_id("job-status")
    while status.get_attribute("data-settled") != "true":
        assert time.monotonic() < deadline, f"job not finished after {JOB_TIMEOUT_S:.0f}s"
        page.wait_for_timeout(2000)
    with session.api() as api:
        job = api.get(f"/jobs/{session.job_id}").json()
    assert job["status"] == "succeeded", job
    assert status.get_attribute("data-status") == "succeeded"
    assert text(page, "[data-testid=job-rows-accepted]") == fmt_number(job["rows_accepted"])
    assert text(page, "[data-testid=job-rows-rejected]") == fmt_number(job["rows_rejected"]) == "2"
    for stage, info in job["stages"].items():
        if page.get_by_test_id(f"stage-{stage}").count():
            assert page.get_by_test_id(f"stage-{stage}").get_attribute("data-status") == info["status"]
    # The error report downloads with the signed-in token and is the API's file.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download errors (CSV)").click()
    downloaded = Path(download_info.value.path()).read_bytes()
    with session.api() as api:
        assert downloaded == api.get(f"/jobs/{session.job_id}/errors.csv").content
    assert downloaded.count(b"\n") >= 3  # a header and the two broken rows
    screenshot(page, artifacts, "job-with-errors", WIDTHS["desktop"])
    page.context.close()


def check_overview(page: Any, api: httpx.Client) -> None:
    """Totals, forecast band, stock at risk and customers match the API; charts drew."""
    page.goto("/app/overview")
    page.get_by_test_id("overview-revenue").wait_for()
    points = api.get("/sales/timeseries", params={"freq": "D"}).json()["points"]
    assert text(page, "[data-testid=overview-revenue]") == fmt_money(sum(p["revenue"] for p in points))
    assert text(page, "[data-testid=overview-units]") == fmt_number(sum(p["units"] for p in points))
    assert_chart_drawn(page, "sales-chart")

    # The job finished on a dataset with sales, customers and prices: every engine has results, and
    # an empty answer is a failure here, never a reason to skip a check.
    total = api.get("/forecast", params={"level": "total"}).json()["items"]
    assert total and total[0]["points"], "no total forecast after the job finished"
    page.get_by_test_id("overview-forecast-p50").wait_for()
    assert text(page, "[data-testid=overview-forecast-p50]") == fmt_number(
        forecast_sum(total[0]["points"], "p50")
    )
    assert text(page, "[data-testid=overview-forecast-p10]") == fmt_number(
        forecast_sum(total[0]["points"], "p10")
    )
    assert text(page, "[data-testid=overview-forecast-p90]") == fmt_number(
        forecast_sum(total[0]["points"], "p90")
    )
    assert_chart_drawn(page, "card-forecast")
    summary = api.get("/inventory-recommendations/summary").json()
    items = api.get("/inventory-recommendations", params={"limit": 500}).json()["items"]
    wait_for_text(page, "overview-items-at-risk", at_risk_shown(summary, items))
    segments = api.get("/customer-segments").json()
    assert segments["segments"] and segments["total_customers"] > 0, "no customer segments"
    page.get_by_test_id("overview-customers").wait_for()
    assert text(page, "[data-testid=overview-customers]") == fmt_number(segments["total_customers"])
    suggestions = api.get("/pricing-suggestions", params={"limit": 500}).json()["items"]
    assert suggestions, "no pricing suggestions after the job finished"
    gains = [s["expected_profit_change"] for s in suggestions if (s["expected_profit_change"] or 0) > 0]
    if not gains:  # a legitimate answer: then the card says so instead of listing opportunities
        page.get_by_text("No price change is expected to raise profit right now.").wait_for()
    else:
        best = max(gains)
        page.get_by_test_id("overview-top-pricing").wait_for()
        shown = page.locator("[data-testid=overview-top-pricing] [data-value]").first.inner_text()
        assert shown.strip() == fmt_signed_money(best)
    for card in ("card-forecast", "card-inventory", "card-pricing", "card-segments"):
        assert page.locator(f"[data-testid={card}] a[href^='/app/']").count() == 1, (
            f"{card} links to its page"
        )


def check_forecast(page: Any, api: httpx.Client) -> None:
    """The first series shows its model, accuracy and 4-week total; history and band drew."""
    page.goto("/app/forecast")
    first = api.get("/forecast", params={"limit": 20}).json()
    assert first["total"] > 0, "no forecasts after the job finished"
    item = first["items"][0]
    assert item["points"], "the first series has no forecast points"
    page.get_by_test_id("forecast-model").wait_for()
    assert text(page, "[data-testid=forecast-model]") == item["model"]
    assert text(page, "[data-testid=acc-wape]") == fmt_percent(item["accuracy"]["wape"])
    assert text(page, "[data-testid=forecast-total-p50]") == fmt_number(forecast_sum(item["points"], "p50"))
    assert page.locator("[data-testid=forecast-list] li").count() == len(first["items"])
    assert_chart_drawn(page, "forecast-chart")
    page.wait_for_selector("[data-testid=forecast-chart] .recharts-area-area", state="attached")
    check_drivers(page, api, item)


DRIVER_LABELS = {
    "base": "Base",
    "seasonality": "Seasonality",
    "price": "Price",
    "promotion": "Promotion",
    "events": "Events",
    "substitutes": "Substitutes",
}


def shown_number(value: str) -> float:
    """A number as formatDecimal shows it ("1,234.5", "-0.25") back as a float."""
    return float(value.replace(",", "").replace("−", "-"))


def check_drivers(page: Any, api: httpx.Client, item: dict[str, Any]) -> None:
    """Under the forecast, the drivers chart names the six families and shows the API's drivers,
    which add up to each date's p50."""
    served = api.get(
        "/forecast", params={"store": item["store"], "sku": item["sku"], "limit": 1, "drivers": "true"}
    ).json()["items"]
    assert [(s["store"], s["sku"]) for s in served] == [(item["store"], item["sku"])]
    points = sorted((p for p in served[0]["points"] if p.get("drivers")), key=lambda p: p["date"])
    assert points, "the API served no drivers for the first series"
    for point in points:
        total = sum(point["drivers"][key] for key in DRIVER_LABELS)
        assert abs(total - point["p50"]) <= 1e-6 * max(1.0, abs(point["p50"])), point
    assert_chart_drawn(page, "drivers-chart")
    legend = page.locator("[data-testid=drivers-chart] .recharts-legend-item-text").all_inner_texts()
    assert legend == [*DRIVER_LABELS.values(), "Forecast (p50)"]
    assert "do not add up" not in text(page, "[data-testid=drivers]")
    page.get_by_text("Show the numbers").click()
    rows = page.locator("[data-testid=drivers-table] tbody tr")
    rows.first.wait_for()
    assert rows.count() == len(points)
    for index in (0, len(points) - 1):
        point, row = points[index], rows.nth(index)
        assert row.get_attribute("data-date") == point["date"][:10]
        # The chart's own sum of the six drivers for this date is the API's p50.
        assert abs(float(row.get_attribute("data-sum") or "nan") - point["p50"]) <= 1e-6 * max(
            1.0, abs(point["p50"])
        )
        for key in DRIVER_LABELS:
            cell = row.locator(f"[data-family={key}]").inner_text()
            assert abs(shown_number(cell) - point["drivers"][key]) <= 0.005 + 1e-9, (key, cell, point)
        assert (
            abs(shown_number(row.get_by_test_id("drivers-p50").inner_text()) - point["p50"]) <= 0.005 + 1e-9
        )


def check_inventory(page: Any, api: httpx.Client) -> None:
    """Summary figures and each row's order quantity, cover and risk match the API."""
    page.goto("/app/inventory")
    summary = api.get("/inventory-recommendations/summary").json()
    listing = api.get("/inventory-recommendations", params={"sort": "urgency", "limit": 500}).json()
    wait_for_text(page, "inv-items-at-risk", at_risk_shown(summary, listing["items"]))
    assert text(page, "[data-testid=inv-items]") == fmt_number(summary["items"])
    assert listing["total"] > 0, "no inventory recommendations after the job finished"
    page.get_by_test_id("inventory-table").wait_for()
    assert page.get_by_test_id("inventory-row").count() == len(listing["items"])
    for item in listing["items"][:8]:
        row = page.locator(
            f"[data-testid=inventory-row][data-store='{item['store']}'][data-sku='{item['sku']}']"
        )
        assert row.locator("[data-col=order_quantity]").inner_text() == fmt_number(item["order_quantity"])
        assert row.locator("[data-col=stockout_risk]").inner_text() == fmt_percent(item["stockout_risk"], 0)
    check_priority_without_stock_levels(page, listing["items"])
    first = listing["items"][0]
    row = page.locator(
        f"[data-testid=inventory-row][data-store='{first['store']}'][data-sku='{first['sku']}']"
    )
    row.get_by_role("button", name="Why?").click()
    assert (
        text(page, "[data-testid=inventory-explanation]") == re.sub(r"\s+", " ", first["explanation"]).strip()
    )
    source = {"history": "its own sales history", "forecast": "the forecast"}[first["demand_source"]]
    kind = f" ({first['demand_class']} demand)" if first["demand_class"] else ""
    assert text(page, "[data-testid=inventory-demand-source]") == source + kind
    # Sorting by item puts the first SKU (in natural order, as the page compares text) on top.
    page.get_by_role("button", name=re.compile("^Item")).click()
    natural = sorted(
        listing["items"], key=lambda i: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", i["sku"])]
    )
    top = page.get_by_test_id("inventory-row").first
    assert top.get_attribute("data-sku") == natural[0]["sku"]


def check_priority_without_stock_levels(page: Any, items: list[dict[str, Any]]) -> None:
    """The upload has no stock on hand: no item shows a priority rank, the page says how it ranks."""
    assert all(i["on_hand"] is None for i in items), "this dataset has no stock levels"
    page.get_by_test_id("no-priority").wait_for()
    assert "listed by reorder point" in text(page, "[data-testid=no-priority]")
    if page.viewport_size["width"] >= 640:  # the Priority column shows from the sm breakpoint
        shown = page.locator("[data-testid=inventory-row] [data-col=urgency]").all_inner_texts()
        assert shown and set(shown) == {DASH}, f"priorities shown without stock levels: {set(shown)}"
    largest = max(i["reorder_point"] or 0 for i in items)
    top = page.get_by_test_id("inventory-row").first.locator("[data-col=reorder_point]")
    assert top.text_content() == fmt_number(largest)  # ranked by what is known


def assert_sidebar_spans_the_page(page: Any) -> None:
    """Desktop: the sidebar runs down the whole (long) page and its links stay in view when scrolled."""
    sidebar, document, viewport = page.evaluate(
        "() => [document.querySelector('[data-testid=sidebar]').getBoundingClientRect().height,"
        " document.documentElement.scrollHeight, window.innerHeight]"
    )
    assert document > viewport * 1.5, f"the page is {document}px high: too short to check the sidebar"
    assert sidebar == document, f"sidebar {sidebar}px high on a {document}px page"
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    link = page.locator("[data-testid=sidebar]").get_by_role("link", name="Overview")
    page.wait_for_function(
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }",
        arg=link.element_handle(),
    )
    page.evaluate("window.scrollTo(0, 0)")


def check_pricing(page: Any, api: httpx.Client) -> None:
    """Rows show the API's prices and profit change; the what-if slider calls simulate."""
    page.goto("/app/pricing")
    listing = api.get("/pricing-suggestions", params={"limit": 50}).json()
    assert listing["total"] > 0 and listing["items"], "no pricing suggestions after the job finished"
    page.get_by_test_id("pricing-table").wait_for()
    assert page.get_by_test_id("pricing-row").count() == len(listing["items"])
    for item in listing["items"][:8]:
        row = page.locator(
            f"[data-testid=pricing-row][data-store='{item['store']}'][data-sku='{item['sku']}']"
        )
        shown = row.locator("[data-col=suggested_price]").inner_text()
        if item["suggested_price"] is None or item["suggested_price"] == item["current_price"]:
            assert shown == f"{fmt_money(item['current_price'])} keep"  # no move: the price stays
        else:
            assert shown == f"{fmt_money(item['current_price'])} → {fmt_money(item['suggested_price'])}"
        assert row.locator("[data-col=expected_profit_change]").inner_text() == fmt_signed_money(
            item["expected_profit_change"]
        )
    priced = [
        i for i in listing["items"] if i["current_price"] is not None and i["suggested_price"] is not None
    ]
    assert priced, "no suggestion with prices to simulate"
    item = priced[0]
    row = page.locator(f"[data-testid=pricing-row][data-store='{item['store']}'][data-sku='{item['sku']}']")
    row.get_by_role("button", name="What if?").click()
    simulated = api.get(
        "/pricing-suggestions/simulate",
        params={"store": item["store"], "sku": item["sku"], "price": item["suggested_price"]},
    ).json()
    profit = page.get_by_test_id("whatif-expected_profit")
    page.wait_for_function("el => el.dataset.value !== undefined", arg=profit.element_handle())
    assert profit.inner_text() == fmt_money(simulated["expected_profit"])
    # Moving the slider asks the simulate endpoint again and shows its new answer.
    page.locator("[data-testid=whatif] input[type=range]").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    shown_price = float(text(page, "[data-testid=whatif-price]").replace(",", "").removeprefix("$"))
    again = api.get(
        "/pricing-suggestions/simulate",
        params={"store": item["store"], "sku": item["sku"], "price": shown_price},
    ).json()
    page.wait_for_function(
        "([el, v]) => el.innerText === v", arg=[profit.element_handle(), fmt_money(again["expected_profit"])]
    )


def check_customers(page: Any, api: httpx.Client) -> None:
    """Segment cards, the RFM scatter and the customer list match the API."""
    page.goto("/app/customers")
    summary = api.get("/customer-segments").json()
    assert summary["segments"] and summary["total_customers"] > 0, "no customer segments"
    page.get_by_test_id("total-customers").wait_for()
    assert text(page, "[data-testid=total-customers]") == fmt_number(summary["total_customers"])
    cards = page.get_by_test_id("segment-card")
    assert cards.count() == len(summary["segments"])
    for i, segment in enumerate(summary["segments"]):
        assert (
            text(page, f"[data-testid=segment-card] >> nth={i} >> [data-testid=segment-name]")
            == segment["name"]
        )
        assert cards.nth(i).get_by_test_id("segment-customers").inner_text() == fmt_number(
            segment["customers"]
        )
    page.wait_for_selector("[data-testid=rfm-chart] .recharts-scatter-symbol", state="attached")
    listing = api.get("/customer-segments/customers", params={"limit": 25}).json()
    assert listing["items"], "no customers in the latest segmentation run"
    page.get_by_test_id("customer-table").wait_for()
    assert page.get_by_test_id("customer-row").count() == len(listing["items"])
    first = page.get_by_test_id("customer-row").first
    assert first.locator("td").first.inner_text() == str(listing["items"][0]["customer_id"])
    assert first.locator("[data-col=monetary]").inner_text() == fmt_money(listing["items"][0]["monetary"])


def check_jobs(page: Any, api: httpx.Client, job_id: str) -> None:
    """The history lists the upload with the API's status."""
    page.goto("/app/jobs")
    listing = api.get("/jobs", params={"limit": 20}).json()
    page.get_by_test_id("jobs-list").wait_for()
    assert page.get_by_test_id("job-row").count() == len(listing["items"])
    row = page.locator(f"[data-testid=job-row][data-job-id='{job_id}']")
    assert row.get_attribute("data-status") == api.get(f"/jobs/{job_id}").json()["status"]


def check_settings(page: Any, api: httpx.Client, manage_keys: bool) -> None:
    """The account shown is the signed-in one; an API key can be created and revoked."""
    page.goto("/app/settings")
    me = api.get("/auth/me").json()
    page.wait_for_function("() => document.querySelector('[data-testid=me-email]')?.innerText.includes('@')")
    assert text(page, "[data-testid=me-email]") == me["email"]
    page.get_by_test_id("api-keys").wait_for()
    if not manage_keys:
        return
    page.get_by_label("Key name").fill("E2E till")
    page.get_by_role("button", name="Create key").click()
    page.get_by_test_id("new-api-key").wait_for()
    # The list reloads after the key appears and shifts the layout: click only once it has settled.
    page.wait_for_load_state("networkidle")
    listed = api.get("/api-keys").json()["items"]
    created = next(k for k in listed if k["name"] == "E2E till")
    assert text(page, "[data-testid=new-api-key]").startswith(created["prefix"])
    assert sorted(created["scopes"]) == sorted(
        s for s in api.get("/api-keys").json()["scopes"] if s.endswith(":read")
    )
    page.get_by_role("button", name="Revoke key E2E till").click()
    page.get_by_role("button", name="Revoke key E2E till").wait_for(state="detached")
    assert all(k["id"] != created["id"] for k in api.get("/api-keys").json()["items"])


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_every_page_shows_the_api_numbers(
    browser: Any, session: Session, artifacts: Path, width_name: str
) -> None:
    """Each page at this width matches the API, draws its charts and logs no console error."""
    if session.job_id is None:
        pytest.skip("the upload test did not finish")
    width = WIDTHS[width_name]
    errors: list[str] = []
    page = new_page(browser, width, errors, storage=session.storage(), base_url=session.base_url)
    try:
        with session.api() as api:
            check_overview(page, api)
            screenshot(page, artifacts, "overview", width)
            check_forecast(page, api)
            screenshot(page, artifacts, "forecast", width)
            check_inventory(page, api)
            screenshot(page, artifacts, "inventory", width)
            if width >= 1024:
                assert_sidebar_spans_the_page(page)
            check_pricing(page, api)
            screenshot(page, artifacts, "pricing", width)
            if width >= 1024:
                assert_sidebar_spans_the_page(page)
            check_customers(page, api)
            screenshot(page, artifacts, "customers", width)
            check_jobs(page, api, session.job_id)
            screenshot(page, artifacts, "jobs", width)
            page.goto(f"/app/jobs/{session.job_id}")
            page.get_by_test_id("job-rows-accepted").wait_for()
            screenshot(page, artifacts, "job", width)
            page.goto("/app/upload")
            page.get_by_test_id("dropzone").wait_for()
            screenshot(page, artifacts, "upload", width)
            check_settings(page, api, manage_keys=width_name == "desktop")
            screenshot(page, artifacts, "settings", width)
    except Exception:
        # What the page showed when a check failed, for whoever reads the CI log.
        page.screenshot(path=str(artifacts / f"FAILED-{width}.png"), full_page=True)
        raise
    if width < 1024:
        # On a phone the navigation sits behind the menu button and still reaches every page.
        page.get_by_role("button", name="Open menu").click()
        page.locator("#mobile-menu").get_by_role("link", name="Inventory").click()
        page.wait_for_url("**/app/inventory")
    page.context.close()
    assert errors == [], "console errors:\n" + "\n".join(errors)
    assert session.console_errors == [], "console errors:\n" + "\n".join(session.console_errors)


def test_token_refresh_keeps_the_page_and_sign_out_returns_to_sign_in(browser: Any, session: Session) -> None:
    """An expired access token is refreshed in place; a dead session goes to sign-in and comes back."""
    if session.job_id is None:
        pytest.skip("the upload test did not finish")
    fresh = session.login()
    errors: list[str] = []
    stale = {
        "smartretail.tokens": json.dumps({"access": "expired-or-garbage", "refresh": fresh["refresh_token"]})
    }
    page = new_page(browser, WIDTHS["desktop"], errors, storage=stale, base_url=session.base_url)
    page.goto("/app/inventory")
    page.get_by_test_id("inventory-table").wait_for()
    assert page.url.endswith("/app/inventory")
    refreshed = json.loads(page.evaluate("localStorage.getItem('smartretail.tokens')"))
    assert refreshed["access"] != "expired-or-garbage"
    page.context.close()

    dead = {"smartretail.tokens": json.dumps({"access": "garbage", "refresh": "also-garbage"})}
    page = new_page(browser, WIDTHS["desktop"], errors, storage=dead, base_url=session.base_url)
    page.goto("/app/pricing")
    page.wait_for_url("**/app/signin?next=%2Fapp%2Fpricing")
    page.get_by_label("Email").fill(session.email)
    page.get_by_label("Password").fill(session.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/app/pricing")

    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/app/signin")
    assert page.evaluate("localStorage.getItem('smartretail.tokens')") is None
    page.context.close()
    # Only the expected 401s of the stale tokens may appear in the console here.
    unexpected = [e for e in errors if "401" not in e]
    assert unexpected == [], "console errors:\n" + "\n".join(unexpected)


def test_the_organisation_currency_formats_amounts_and_names_the_exports(
    browser: Any, session: Session
) -> None:
    """The owner switches the currency to EUR: amounts show in euros, exports say EUR, engines re-run."""
    if session.job_id is None:
        pytest.skip("the upload test did not finish")
    errors: list[str] = []
    page = new_page(browser, WIDTHS["desktop"], errors, storage=session.storage(), base_url=session.base_url)
    with session.api() as api:
        assert api.get("/settings").json()["currency"] == "USD"  # the default
        page.goto("/app/settings")
        page.get_by_test_id("org-currency").wait_for()
        assert page.get_by_test_id("org-currency").input_value() == "USD"
        page.get_by_test_id("org-currency").select_option("EUR")
        page.get_by_test_id("org-settings").get_by_role("button", name="Save").click()
        page.get_by_test_id("settings-saved").wait_for()
        assert api.get("/settings").json()["currency"] == "EUR"
        settings_job = page.get_by_test_id("settings-saved").get_by_role("link").get_attribute("href")
        assert settings_job and settings_job.startswith("/app/jobs/")

        page.goto("/app/overview")
        page.get_by_test_id("overview-revenue").wait_for()
        points = api.get("/sales/timeseries", params={"freq": "D"}).json()["points"]
        assert text(page, "[data-testid=overview-revenue]") == fmt_money(
            sum(p["revenue"] for p in points), "EUR"
        )
        export = api.get("/customer-segments/export.csv").text.splitlines()
        assert export[0].endswith('"currency"') and len(export) > 1
        assert all(line.endswith('"EUR"') for line in export[1:])

        # The change re-ran pricing and inventory: let that job finish before the platform stops.
        job_id = settings_job.rsplit("/", 1)[-1]
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while (job := api.get(f"/jobs/{job_id}").json())["status"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, f"settings job not finished after {JOB_TIMEOUT_S:.0f}s"
            time.sleep(2)
        assert job["status"] == "succeeded", job
    page.context.close()
    assert errors == [], "console errors:\n" + "\n".join(errors)
