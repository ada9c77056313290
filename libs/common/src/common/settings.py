"""Platform settings, read from the environment (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[4]
_DEV_SECRET = "development-only-secret-change-me-0000000000"
SERVICES = ("ingest", "forecasting", "segmentation", "pricing", "inventory")
SERVICE_PORTS = {
    "gateway": 8000,
    "ingest": 8001,
    "forecasting": 8002,
    "segmentation": 8003,
    "pricing": 8004,
    "inventory": 8005,
}


class Settings(BaseSettings):
    """Every tunable of the platform; one instance per process."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: Literal["development", "test", "production"] = "development"
    database_url: str = ""
    redis_url: str = ""
    data_dir: Path = REPO_ROOT / ".data"

    jwt_secret: str = _DEV_SECRET
    service_token_secret: str = _DEV_SECRET + "-svc"
    pii_key: str = _DEV_SECRET + "-pii"
    jwt_issuer: str = "smartretail-gateway"
    jwt_audience: str = "smartretail-api"
    service_audience: str = "smartretail-services"
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 14 * 24 * 3600
    service_token_ttl_s: int = 60

    gateway_port: int = SERVICE_PORTS["gateway"]
    ingest_url: str = f"http://127.0.0.1:{SERVICE_PORTS['ingest']}"
    forecasting_url: str = f"http://127.0.0.1:{SERVICE_PORTS['forecasting']}"
    segmentation_url: str = f"http://127.0.0.1:{SERVICE_PORTS['segmentation']}"
    pricing_url: str = f"http://127.0.0.1:{SERVICE_PORTS['pricing']}"
    inventory_url: str = f"http://127.0.0.1:{SERVICE_PORTS['inventory']}"
    upstream_timeout_s: float = 300.0
    dashboard_dir: Path = REPO_ROOT / "web" / "dist"
    cors_origins: list[str] = Field(default_factory=list)

    max_upload_bytes: int = 6 * 1024**3
    # What a compressed upload (gzip, XLSX, Parquet) may inflate to; reading stops at the limit.
    max_upload_decompressed_bytes: int = 40 * 1024**3
    # An upload's COPY or commit that makes no progress for this long (a database restart the
    # driver did not notice) is abandoned: 503, nothing stored, the client uploads again.
    ingest_database_stall_timeout_s: float = 60.0
    future_date_tolerance_days: int = 2
    default_horizon_days: int = 28
    cache_ttl_s: int = 600
    # Series per forecasting chunk task (a store's series stay together; big stores split by sku).
    # Each chunk trains its own global model, which learns a little less from fewer series (the
    # chunked accuracy is in bench/RESULTS.md), so the default keeps a typical retailer in one chunk
    # and spreads only large catalogues across workers.
    forecast_chunk_series: int = 4000
    # A stored forecast older than this is re-fitted even when its data did not change.
    forecast_max_age_days: int = 7
    # Let Prophet compete in every series' backtest (it wins where its yearly/weekly seasonality fits
    # best). Off by default: it costs many times the rest of the engine per series and is less
    # accurate on the benchmark data (bench/RESULTS.md). Changing it re-fits every forecast.
    forecast_include_prophet: bool = False
    log_level: str = "INFO"
    # Which process of the platform this is (e.g. "ingest-worker"): PostgreSQL shows it as the
    # connections' application_name in pg_stat_activity, so a slow query points at its process.
    process_name: str = "smartretail"

    rate_limit_per_minute: int = 1200  # per token or API key
    rate_limit_per_address_per_minute: int = 2400
    upload_rate_limit_per_minute: int = 30
    login_failures_per_account: int = 5  # per 15 minutes
    login_failures_per_address: int = 30

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.app_env == "production":
            for name in ("jwt_secret", "service_token_secret", "pii_key"):
                value = getattr(self, name)
                if value.startswith(_DEV_SECRET) or len(value) < 32:
                    raise ValueError(
                        f"{name.upper()} must be set to a secret of 32+ characters in production"
                    )
        return self

    def service_url(self, service: str) -> str:
        """Base URL of a domain service as the gateway sees it."""
        return str(getattr(self, f"{service}_url"))

    @property
    def sync_database_url(self) -> str:
        """SQLAlchemy URL for the synchronous psycopg driver (workers, migrations)."""
        return _with_driver(self.database_url, "postgresql+psycopg")

    @property
    def async_database_url(self) -> str:
        """SQLAlchemy URL for the asyncpg driver (HTTP services)."""
        return _with_driver(self.database_url, "postgresql+asyncpg")


def _with_driver(url: str, driver: str) -> str:
    if not url:
        raise RuntimeError("DATABASE_URL is not set (make run and the test fixtures set it for you)")
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        return f"{driver}://{rest}"
    raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got scheme {scheme!r}")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached)."""
    return Settings()
