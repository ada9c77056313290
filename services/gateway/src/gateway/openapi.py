"""The gateway's OpenAPI document: its own routes plus the public routes of each service."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from common.errors import correct_error_schema
from common.settings import SERVICES, get_settings
from gateway.proxy import owning_service

log = logging.getLogger("smartretail.gateway.openapi")


async def merged_openapi(app: FastAPI) -> tuple[dict[str, Any], bool]:
    """The gateway's schema with every service's exposed paths; and whether every service answered."""
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema.setdefault("components", {}).setdefault("schemas", {})
    schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    settings = get_settings()
    complete = True
    async with httpx.AsyncClient(timeout=5) as client:
        for service in SERVICES:
            try:
                upstream = (await client.get(settings.service_url(service) + "/openapi.json")).json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("no OpenAPI from %s: %s", service, exc)
                complete = False
                continue
            for path, item in upstream.get("paths", {}).items():
                if owning_service(path) == service:
                    for operation in item.values():
                        operation["security"] = [{"bearer": []}]
                    schema["paths"][path] = item
            for name, component in upstream.get("components", {}).get("schemas", {}).items():
                schema["components"]["schemas"].setdefault(name, component)
    return correct_error_schema(schema), complete
