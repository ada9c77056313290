"""What the dashboard's browser tests share: Chromium's flags, the signed-in account, pages that
record console errors, screenshots that check the width, and Python mirrors of web/src/lib/format.ts
to compare what a page shows with the API's numbers."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"desktop": 1440, "phone": 375}
JOB_TIMEOUT_S = float(os.environ.get("E2E_JOB_TIMEOUT_S", "900"))
UI_TIMEOUT_MS = 30_000


# Python mirrors of web/src/lib/format.ts, to compare what the page shows with the API's numbers.
DASH = "—"


def fmt_number(value: float | None) -> str:
    """Like formatNumber: "12,346" (rounds half away from zero, as Intl does)."""
    if value is None:
        return DASH
    return f"{int(abs(value) + 0.5) * (1 if value >= 0 else -1):,}"


# A new account's currency (organisation settings): every amount on the pages is in it.
CURRENCY_SYMBOL = {"USD": "$", "EUR": "€"}


def fmt_money(value: float | None, currency: str = "USD") -> str:
    """Like formatMoney in the organisation's currency: "$1,234.50", "-$3.20" (Intl, en-US)."""
    if value is None:
        return DASH
    text = f"{CURRENCY_SYMBOL[currency]}{abs(value):,.2f}"
    return f"-{text}" if value < 0 and round(value, 2) != 0 else text


def fmt_signed_money(value: float | None, currency: str = "USD") -> str:
    """Like formatSignedMoney: "+$1.50" / "−$1.50"."""
    if value is None:
        return DASH
    text = fmt_money(abs(value), currency)
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def fmt_percent(value: float | None, digits: int = 1) -> str:
    """Like formatPercent: "12.3%"."""
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def forecast_sum(points: list[dict[str, Any]], key: str, days: int = 28) -> float:
    """Sum of a quantile over the first `days` days, as forecastTotal in web/src/lib/series.ts."""
    ordered = sorted(points, key=lambda p: p["date"])
    if not ordered:
        return 0.0
    start = date.fromisoformat(ordered[0]["date"][:10])
    cutoff = start + timedelta(days=days)
    return sum(p[key] for p in ordered if date.fromisoformat(p["date"][:10]) < cutoff)


@dataclass
class Session:
    """What the sign-up test leaves for the page tests: the account, its tokens and its job."""

    base_url: str
    email: str
    password: str
    job_id: str | None = None
    console_errors: list[str] = field(default_factory=list)

    def login(self) -> dict[str, str]:
        """A fresh token pair for the account (tokens may rotate or expire during a long job)."""
        response = httpx.post(
            f"{self.base_url}/auth/login", json={"email": self.email, "password": self.password}, timeout=60
        )
        response.raise_for_status()
        return dict(response.json())

    def storage(self) -> dict[str, str]:
        """localStorage that signs the dashboard in, in the shape web/src/api/tokens.ts keeps."""
        pair = self.login()
        return {
            "smartretail.tokens": json.dumps(
                {"access": pair["access_token"], "refresh": pair["refresh_token"]}
            )
        }

    def api(self) -> httpx.Client:
        """An API client signed in as the same account."""
        token = self.login()["access_token"]
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def new_page(
    browser: Any, width: int, sink: list[str], storage: dict[str, str] | None = None, base_url: str = ""
) -> Any:
    """A page at the given width that records console errors and uncaught exceptions into `sink`."""
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        base_url=base_url,
        device_scale_factor=1,
        accept_downloads=True,
    )
    if storage:
        # Planted once per tab: later navigations keep whatever the app stored (refreshed tokens).
        script = "".join(
            f"localStorage.setItem({json.dumps(k)}, {json.dumps(v)});" for k, v in storage.items()
        )
        context.add_init_script(
            f"if (location.origin === {json.dumps(base_url)} && !sessionStorage.getItem('e2e-planted')) "
            f"{{ {script} sessionStorage.setItem('e2e-planted', '1'); }}"
        )
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            location = msg.location.get("url", "") if isinstance(msg.location, dict) else ""
            sink.append(f"[{width}px {page.url}] {msg.text} {location}")

    page.on("console", on_console)
    page.on("pageerror", lambda err: sink.append(f"[{width}px {page.url}] uncaught: {err}"))
    return page


def screenshot(page: Any, artifacts: Path, name: str, width: int) -> None:
    """Full-page screenshot test-artifacts/dashboard/<name>-<width>.png, after checking the page fits."""
    page.evaluate("window.scrollTo(0, 0)")  # a sticky header would otherwise sit mid-picture
    page.wait_for_timeout(300)  # let the last layout and chart paint settle before the picture
    # Wide tables scroll inside their own box; the page itself must never scroll sideways.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{name} is {scroll_width}px wide at a {width}px viewport"
    page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)


def wait_for_text(page: Any, testid: str, expected: str) -> None:
    """Wait until the element shows `expected` (figures settle once every query of the page answered)."""
    element = page.get_by_test_id(testid)
    element.wait_for()
    try:
        page.wait_for_function(
            "([el, v]) => el.innerText.replace(/\\s+/g, ' ').trim() === v",
            arg=[element.element_handle(), expected],
        )
    except Exception as exc:
        raise AssertionError(f"{testid} shows {element.inner_text()!r}, expected {expected!r}") from exc


def assert_chart_drawn(page: Any, testid: str) -> None:
    """The chart's SVG has at least one path with real drawing commands."""
    selector = f"[data-testid={testid}] svg path[d]"
    page.wait_for_selector(selector, state="attached")
    drawn = page.eval_on_selector_all(
        selector, "els => els.filter(e => (e.getAttribute('d') || '').length > 20).length"
    )
    assert drawn > 0, f"{testid}: no drawn SVG path"


def text(page: Any, selector: str) -> str:
    """Visible text of the first match, whitespace-collapsed."""
    return re.sub(r"\s+", " ", page.locator(selector).first.inner_text()).strip()


def wait_for_job(api: httpx.Client, job_id: str, timeout_s: float = JOB_TIMEOUT_S) -> dict[str, Any]:
    """Poll a job until it has finished (succeeded or failed); fail the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while (job := api.get(f"/jobs/{job_id}").json())["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"job {job_id} not finished after {timeout_s:.0f}s: {job}"
        time.sleep(2)
    return dict(job)


def fresh_folder(path: Path) -> Path:
    """An empty screenshot folder (git-ignored) for a reviewer."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def analysed_account(base_url: str, prefix: str, name: str, sales_csv: Path) -> Session:
    """A new account, registered through the API, whose sales file is uploaded and analysed."""
    session = Session(base_url, f"{prefix}-{uuid.uuid4().hex[:10]}@example.com", "correct-horse-battery-9")
    registered = httpx.post(
        f"{base_url}/auth/register",
        json={"email": session.email, "password": session.password, "name": name},
        timeout=60,
    )
    assert registered.status_code == 201, registered.text
    with session.api() as api:
        accepted = api.post(
            "/upload-sales", files={"file": ("sales.csv", sales_csv.read_bytes(), "text/csv")}
        )
        assert accepted.status_code == 202, accepted.text
        job = wait_for_job(api, accepted.json()["job_id"])
    assert job["status"] == "succeeded", job
    return session
