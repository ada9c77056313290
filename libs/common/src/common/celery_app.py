"""The one Celery application; each service's tasks module registers its tasks on it."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from common import cache, db
from common.logging import configure_logging
from common.settings import SERVICES, get_settings
from common.stages import REAP_EVERY_S

# Longer than the longest task, so a task is never redelivered while it still runs (acks late).
VISIBILITY_TIMEOUT_S = 7200


def make_celery() -> Celery:
    """Configure Celery for safe scale-in: acks late, prefetch 1, re-queue on worker loss."""
    settings = get_settings()
    app = Celery("smartretail", broker=settings.redis_url or "redis://127.0.0.1:6379/0")
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_routes={f"{name}.*": {"queue": name} for name in SERVICES},
        task_default_queue="ingest",
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        enable_utc=True,
        include=["common.reaper"],
        beat_schedule={"reap-stalled-jobs": {"task": "ingest.reap_stalled", "schedule": REAP_EVERY_S}},
    )
    return app


celery_app = make_celery()


@worker_process_init.connect
def _fresh_connections_after_fork(**_: Any) -> None:
    # Never share a database pool or Redis connection across forked processes.
    db.reset_sync_engine()
    cache.reset_clients()
    configure_logging("worker", get_settings().log_level)


def enqueue(task_name: str, *args: Any) -> None:
    """Send a task by name (services never import each other's code)."""
    celery_app.send_task(task_name, args=list(args))
