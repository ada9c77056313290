"""Ingest service: takes retailers' files, validates every row, stores them whole or not at all."""

from common.app import create_app
from ingest.calendar.endpoints import router as calendar_router
from ingest.endpoints import router

app = create_app(
    "ingest",
    [router, calendar_router],
    title="SmartRetail AI — ingest",
    description="Sales uploads, upload jobs and their progress, sales history, and the calendar "
    "(stores and events).",
)
