"""One error family for expected failures, and the handlers that render every error."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from common.logging import request_id_var

log = logging.getLogger("smartretail.errors")


class AppError(Exception):
    """An expected failure with a message a person can act on."""

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra
        self.headers: dict[str, str] | None = None


class NotFound(AppError):
    """The resource does not exist in the caller's organization."""

    status_code = 404


class Unauthorized(AppError):
    """Missing, bad or expired credentials."""

    status_code = 401


class Forbidden(AppError):
    """Authenticated, but not allowed to do this."""

    status_code = 403


class Unprocessable(AppError):
    """The request is well-formed but its content is invalid."""

    status_code = 422


def install_error_handlers(app: FastAPI) -> None:
    """Render AppError as {"detail": message, ...}; log unexpected errors and hide internals."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 401:
            headers.setdefault("WWW-Authenticate", "Bearer")
        return JSONResponse(
            {"detail": exc.message, **exc.extra}, status_code=exc.status_code, headers=headers or None
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg')}")
        return JSONResponse(
            {
                "detail": "; ".join(problems) or "invalid request",
                "errors": [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()],
            },
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request_id_var.get()
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error (request id {request_id})"}, status_code=500)


# Every error body is {"detail": "<message>", ...}; FastAPI's generated schema for 422 says
# `detail` is a list, so the published schema is corrected to what the handlers really send.
ERROR_BODY_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "title": "Detail"},
        "errors": {"type": "array", "items": {"type": "object"}, "title": "Errors"},
    },
    "required": ["detail"],
}


def correct_error_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Make an OpenAPI document describe the error bodies the handlers send."""
    schemas = schema.get("components", {}).get("schemas", {})
    if "HTTPValidationError" in schemas:
        schemas["HTTPValidationError"] = ERROR_BODY_SCHEMA
    return schema
