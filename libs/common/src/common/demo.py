"""Demo retail data the project generates itself, and `python -m common.demo` to load it.

The data has what real retail data has: weekly and yearly seasonality, trends, promotions with
lifts, price changes that move demand (known elasticities), repeat customers and some returns.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CATEGORIES = ("bakery", "dairy", "snacks", "beverages", "household")


def generate_sales(
    n_stores: int = 2,
    n_skus: int = 20,
    days: int = 365,
    n_customers: int = 300,
    end: str | None = None,
    seed: int = 7,
) -> pd.DataFrame:
    """Daily sales lines per store x sku with transactions and customers (canonical columns)."""
    rng = np.random.default_rng(seed)
    end_date = pd.Timestamp(end) if end else pd.Timestamp.today().normalize() - pd.Timedelta(days=1)
    dates = pd.date_range(end=end_date, periods=days, freq="D")
    dow = np.array([0.8, 0.85, 0.9, 1.0, 1.2, 1.4, 1.0])[dates.day_of_week]
    yearly = 1 + 0.2 * np.sin(2 * np.pi * dates.day_of_year / 365.25)
    # Customers differ in how often they shop: a few loyal ones buy most (realistic RFM spread).
    loyalty = rng.pareto(1.5, n_customers) + 0.2
    loyalty /= loyalty.sum()
    frames = []
    for store in range(1, n_stores + 1):
        store_scale = 1.0 + 0.3 * (store - 1)
        for sku in range(1, n_skus + 1):
            base_price = float(np.round(rng.uniform(1.5, 12.0), 2))
            elasticity = -rng.uniform(0.8, 2.5)
            level = rng.uniform(3, 25) * store_scale
            trend = 1 + rng.uniform(-0.15, 0.25) * np.arange(days) / days
            # Shelf price steps (regular price changes) and promotions (temporary discounts).
            steps = np.cumsum(rng.random(days) < 0.01)
            regular = base_price * (1 + 0.05 * ((steps % 3) - 1))
            promo = (rng.random(days) < 0.08).astype(float)
            price = np.round(regular * (1 - 0.2 * promo), 2)
            mean = level * dow * yearly * trend * (price / base_price) ** elasticity * (1 + 0.3 * promo)
            units = rng.poisson(mean)
            frame = pd.DataFrame(
                {
                    "date": dates,
                    "store": f"S{store:02d}",
                    "sku": f"SKU{sku:03d}",
                    "quantity": units,
                    "unit_price": price,
                    "promotion": promo.astype(int),
                    "product_name": f"Product {sku:03d}",
                    "category": CATEGORIES[(sku - 1) % len(CATEGORIES)],
                }
            )
            frames.append(frame[frame["quantity"] > 0])
    sales = pd.concat(frames, ignore_index=True)
    sales["customer_id"] = rng.choice(np.arange(10001, 10001 + n_customers), size=len(sales), p=loyalty)
    sales["transaction_id"] = (
        "T"
        + sales["date"].dt.strftime("%Y%m%d")
        + "-"
        + sales["store"]
        + "-"
        + sales["customer_id"].astype(str)
    )
    returns = rng.random(len(sales)) < 0.01
    sales.loc[returns, "quantity"] = -np.minimum(sales.loc[returns, "quantity"], 2)
    sales["date"] = sales["date"].dt.strftime("%Y-%m-%d")
    return sales[
        [
            "date",
            "store",
            "sku",
            "quantity",
            "unit_price",
            "customer_id",
            "transaction_id",
            "product_name",
            "category",
            "promotion",
        ]
    ]


def write_sales_csv(path: Path, **kwargs: int | str) -> Path:
    """Write generated sales to a CSV file."""
    generate_sales(**kwargs).to_csv(path, index=False)  # type: ignore[arg-type]
    return path


def main() -> int:
    """Create the demo account, upload the demo data through the gateway, wait for the results."""
    import httpx

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", default="demo@smartretail.example")
    parser.add_argument("--password", default="demo-password-123")
    args = parser.parse_args()
    with httpx.Client(base_url=args.url, timeout=120) as client:
        for _ in range(120):
            try:
                if client.get("/ready").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        client.post(
            "/auth/register", json={"email": args.email, "password": args.password, "name": "Demo Grocer"}
        )
        login = client.post("/auth/login", json={"email": args.email, "password": args.password})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        csv = generate_sales(n_stores=3, n_skus=30, days=730, n_customers=800).to_csv(index=False).encode()
        upload = client.post(
            "/upload-sales", headers=headers, files={"file": ("demo_sales.csv", csv, "text/csv")}
        )
        if upload.status_code not in (200, 202):
            print(f"upload failed: {upload.status_code} {upload.text}", file=sys.stderr)
            return 1
        job_id = upload.json()["job_id"]
        print(f"uploaded {len(csv):,} bytes as job {job_id}; waiting for the engines...")
        while True:
            job = client.get(f"/jobs/{job_id}", headers=headers).json()
            stages = ", ".join(f"{k} {v['status']} {v['progress']:.0%}" for k, v in job["stages"].items())
            print(f"  {job['status']}: {stages}", flush=True)
            if job["status"] in ("succeeded", "failed"):
                break
            time.sleep(2)
        print(f"\nSign in at {args.url} as {args.email} / {args.password}")
        return 0 if job["status"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
