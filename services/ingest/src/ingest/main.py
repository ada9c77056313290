"""Ingest service: takes retailers' files, validates every row, stores them whole or not at all."""

from common.app import create_app
from ingest.endpoints import router

app = create_app(
    "ingest",
    [router],
    title="SmartRetail AI — ingest",
    description="Sales uploads, upload jobs and their progress, and sales history.",
)
