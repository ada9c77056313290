"""The dashboard's Calendar in a real browser (Debian's Chromium) against the real platform.

A retailer with two stores: the Calendar lists the events GET /events returns (per store, per
source), moves a store to Bavaria, adds an own event through its form and deletes it, shows the
month, uploads an events file (a broken one first, its rejected rows listed like the API's), and
Settings changes the default country. Phone (375 px) and desktop (1440 px) screenshots land in
test-artifacts/dashboard-calendar/.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dashboard_browser import (
    REPO_ROOT,
    WIDTHS,
    Session,
    analysed_account,
    fmt_number,
    fresh_folder,
    new_page,
    screenshot,
    text,
    wait_for_job,
    wait_for_text,
)

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboard-calendar"
TODAY = date.today()
CAMPAIGN = {"name": "Spring campaign", "start": TODAY + timedelta(days=7), "end": TODAY + timedelta(days=10)}


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Fresh screenshot folder (git-ignored) for a reviewer."""
    return fresh_folder(ARTIFACTS)


@pytest.fixture(scope="module")
def shop(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Session:
    """A new account with two stores' sales, analysed."""
    from common.demo import write_sales_csv

    path = Path(tmp_path_factory.mktemp("calendar")) / "sales.csv"
    write_sales_csv(path, n_stores=2, n_skus=3, days=150, n_customers=40, seed=21)
    return analysed_account(base_url, "cal", "Calendar Grocer", path)


def all_events(api: httpx.Client, **params: str) -> list[dict[str, Any]]:
    """Every event GET /events returns for `params` (its default window), page by page."""
    first = api.get("/events", params={**params, "limit": 500}).json()
    items = list(first["items"])
    while len(items) < first["total"]:
        items += api.get("/events", params={**params, "limit": 500, "offset": len(items)}).json()["items"]
    return items


def wait_for_shown(page: Any, expected: set[str]) -> None:
    """Wait until the list shows exactly `expected` (it reloads after every change)."""
    page.wait_for_function(
        "ids => { const shown = [...document.querySelectorAll('[data-testid=event-row]')]"
        ".map(e => e.dataset.eventId).sort(); return JSON.stringify(shown) === JSON.stringify(ids); }",
        arg=sorted(expected),
    )


def settle_jobs(api: httpx.Client) -> None:
    """Every job of the account finished (uploads and edits re-run the engines): the platform may stop."""
    for job in api.get("/jobs", params={"limit": 50}).json()["items"]:
        assert wait_for_job(api, job["id"])["status"] == "succeeded", job


def test_stores_move_country_and_the_list_follows_the_api(
    browser: Any, shop: Session, artifacts: Path
) -> None:
    """A store moved to Bavaria gets its holidays; every store and source filter shows the API's events."""
    errors: list[str] = []
    page = new_page(browser, WIDTHS["desktop"], errors, storage=shop.storage(), base_url=shop.base_url)
    with shop.api() as api:
        stores = api.get("/stores").json()
        assert [s["store"] for s in stores["items"]] == ["S01", "S02"], stores
        page.goto("/app/calendar")
        page.get_by_test_id("store-list").wait_for()
        assert page.get_by_test_id("store-row").count() == stores["total"]
        row = page.locator("[data-testid=store-row][data-store=S02]")
        row.get_by_test_id("store-country").select_option("DE")
        row.get_by_test_id("store-subdivision").select_option("BY")
        page.get_by_role("button", name="Save store S02").click()
        page.get_by_test_id("store-saved").wait_for()
        saved = next(s for s in api.get("/stores").json()["items"] if s["store"] == "S02")
        assert (saved["country"], saved["subdivision"]) == ("DE", "BY")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=store-row][data-store=S02] select').value === 'DE'"
        )

        organisation = all_events(api)
        assert {e["source"] for e in organisation} >= {"holiday", "retail"}, organisation
        wait_for_shown(page, {e["id"] for e in organisation})  # the list reloads after the store moved
        page.locator("#cal-store").select_option("S02")
        bavaria = all_events(api, store="S02")
        assert any(e["country"] == "DE" and e["subdivision"] in (None, "BY") for e in bavaria), bavaria
        wait_for_shown(page, {e["id"] for e in bavaria})
        page.get_by_test_id("source-holiday").uncheck()
        wait_for_shown(page, {e["id"] for e in bavaria if e["source"] != "holiday"})
        page.get_by_test_id("source-holiday").check()
        # Only own events can be deleted: none yet, so no delete button.
        assert page.get_by_role("button", name="Delete event").count() == 0
        screenshot(page, artifacts, "calendar-list", WIDTHS["desktop"])
    page.context.close()
    assert errors == [], "console errors:\n" + "\n".join(errors)


def test_an_own_event_is_added_shown_in_its_month_and_deleted(
    browser: Any, shop: Session, artifacts: Path
) -> None:
    """The form's event reaches GET /events, sits on its days in the month view, and deletes."""
    errors: list[str] = []
    page = new_page(browser, WIDTHS["desktop"], errors, storage=shop.storage(), base_url=shop.base_url)
    with shop.api() as api:
        page.goto("/app/calendar")
        page.get_by_test_id("events").wait_for()
        page.get_by_label("Name", exact=True).fill(CAMPAIGN["name"])
        page.get_by_label("Starts").fill(CAMPAIGN["start"].isoformat())
        page.get_by_label("Ends").fill(CAMPAIGN["end"].isoformat())
        page.locator("#event-store").select_option("S01")
        page.get_by_label("Kind", exact=True).fill("campaign")
        page.get_by_test_id("add-event").click()
        page.get_by_test_id("calendar-notice").wait_for()
        own = all_events(api, source="own")
        assert [(e["name"], e["start"], e["end"], e["store"], e["kind"]) for e in own] == [
            (CAMPAIGN["name"], CAMPAIGN["start"].isoformat(), CAMPAIGN["end"].isoformat(), "S01", "campaign")
        ]
        event_id = own[0]["id"]
        row = page.locator(f"[data-testid=event-row][data-event-id='{event_id}']")
        row.wait_for()
        assert row.get_attribute("data-source") == "own"
        assert (
            text(page, f"[data-testid=event-row][data-event-id='{event_id}'] [data-col=name]")
            == CAMPAIGN["name"]
        )

        page.get_by_role("button", name="Month", exact=True).click()
        month = CAMPAIGN["start"].strftime("%B %Y")
        if text(page, "[data-testid=month-label]") != month:
            page.get_by_role("button", name="Next month").click()
        wait_for_text(page, "month-label", month)
        day = page.locator(f"[data-testid=month-day][data-date='{CAMPAIGN['start'].isoformat()}']")
        day.wait_for()
        assert CAMPAIGN["name"] in day.inner_text()
        in_month = all_events(
            api,
            since=CAMPAIGN["start"].replace(day=1).isoformat(),
            until=(CAMPAIGN["start"].replace(day=28) + timedelta(days=4)).replace(day=1).isoformat(),
        )
        assert sum(e["start"] <= CAMPAIGN["start"].isoformat() <= e["end"] for e in in_month) == int(
            day.get_attribute("data-events") or -1
        )
        screenshot(page, artifacts, "calendar-month", WIDTHS["desktop"])

        page.get_by_role("button", name=f"Delete event {CAMPAIGN['name']}").click()
        row.wait_for(state="detached")
        assert all_events(api, source="own") == []
        assert api.delete(f"/events/{event_id}").status_code == 404  # gone
        builtin = next(e for e in all_events(api) if e["source"] != "own")
        assert api.delete(f"/events/{builtin['id']}").status_code == 409  # not the retailer's to delete
        settle_jobs(api)
    page.context.close()
    assert errors == [], "console errors:\n" + "\n".join(errors)


def test_an_events_file_lists_its_rejected_rows_then_uploads(
    browser: Any, shop: Session, artifacts: Path, tmp_path: Path
) -> None:
    """A broken events file shows the API's rejected rows; the good one adds its events."""
    start = TODAY + timedelta(days=3)
    good = tmp_path / "events.csv"
    good.write_text(
        "name,start,end,store,kind\n"
        f"Street festival,{start},{start + timedelta(days=2)},S02,festival\n"
        f"Store works,{start + timedelta(days=5)},{start + timedelta(days=6)},,closure\n"
    )
    bad = tmp_path / "events-bad.csv"
    bad.write_text(good.read_text() + f"Backwards,{start + timedelta(days=4)},{start},S01,campaign\n")
    errors: list[str] = []
    page = new_page(browser, WIDTHS["desktop"], errors, storage=shop.storage(), base_url=shop.base_url)
    with shop.api() as api:
        dry = api.post(
            "/upload-events",
            params={"dry_run": "true"},
            files={"file": (bad.name, bad.read_bytes(), "text/csv")},
        )
        assert dry.status_code == 200, dry.text
        preview = dry.json()
        assert preview["rows_rejected"] == 1, preview
        page.goto("/app/calendar")
        card = page.get_by_test_id("upload-events-card")
        card.wait_for()
        page.set_input_files("#events-file", str(bad))
        wait_for_text(page, "events-rows-total", fmt_number(preview["rows_total"]))
        assert text(page, "[data-testid=events-rows-rejected]") == "1"
        assert preview["errors"][0]["message"] in text(page, "[data-testid=events-preview-errors]")
        assert page.get_by_test_id("submit-events").is_disabled()

        page.set_input_files("#events-file", str(good))
        wait_for_text(page, "events-rows-rejected", "0")
        page.get_by_test_id("submit-events").click()
        page.get_by_test_id("events-accepted").wait_for()
        own = all_events(api, source="own")
        assert sorted(e["name"] for e in own) == ["Store works", "Street festival"]
        wait_for_shown(page, {e["id"] for e in all_events(api)})
        settle_jobs(api)
    page.context.close()
    assert errors == [], "console errors:\n" + "\n".join(errors)


def test_the_calendar_fits_a_phone_and_settings_change_the_default_country(
    browser: Any, shop: Session, artifacts: Path
) -> None:
    """At 375 px the list and month fit; Settings saves the default country the API validates."""
    errors: list[str] = []
    phone = new_page(browser, WIDTHS["phone"], errors, storage=shop.storage(), base_url=shop.base_url)
    phone.goto("/app/calendar")
    phone.get_by_test_id("store-list").wait_for()
    phone.get_by_test_id("events").wait_for()
    screenshot(phone, artifacts, "calendar-list", WIDTHS["phone"])
    phone.get_by_role("button", name="Month", exact=True).click()
    phone.get_by_test_id("month-view").wait_for()
    screenshot(phone, artifacts, "calendar-month", WIDTHS["phone"])
    phone.goto("/app/upload?kind=events")
    phone.get_by_test_id("dropzone-events").wait_for()
    screenshot(phone, artifacts, "upload-events", WIDTHS["phone"])
    phone.context.close()

    page = new_page(browser, WIDTHS["desktop"], errors, storage=shop.storage(), base_url=shop.base_url)
    with shop.api() as api:
        assert api.get("/settings").json()["country"] == "US"  # the default
        page.goto("/app/settings")
        page.wait_for_selector("[data-testid=org-country]:enabled")  # the stored settings have loaded
        assert page.get_by_test_id("org-country").input_value() == "US"
        page.get_by_test_id("org-country").select_option("GB")
        page.get_by_test_id("org-settings").get_by_role("button", name="Save").click()
        page.get_by_test_id("settings-saved").wait_for()
        assert api.get("/settings").json()["country"] == "GB"
        screenshot(page, artifacts, "settings", WIDTHS["desktop"])
        settle_jobs(api)
    page.context.close()
    assert errors == [], "console errors:\n" + "\n".join(errors)
