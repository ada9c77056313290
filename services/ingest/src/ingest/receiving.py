"""Receiving an upload: the multipart body streamed straight to one temporary file while hashing.

Starlette's form parsing would spool the file once and the service would copy it again; here the
request stream is parsed as it arrives (python-multipart's push parser) and the file part written
to disk once, hashed on the way, with the size limit enforced as bytes arrive.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from common.errors import AppError, Unprocessable

FILE_FIELD = "file"
MAX_FIELD_BYTES = 64 * 1024
PROGRESS_EVERY_BYTES = 8 * 1024 * 1024
# Called with (bytes received so far, declared body size or None).
ReceiveProgress = Callable[[int, int | None], Awaitable[None]]


@dataclass
class ReceivedFile:
    """An upload written to a temporary file, with its hash and the form's other fields."""

    path: Path
    size: int
    sha256: str
    filename: str | None
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        """Delete the temporary file."""
        self.path.unlink(missing_ok=True)


class _Parts:
    """python-multipart callbacks: the file part to disk (hashed), small fields to memory."""

    def __init__(self, out_fd: int, max_bytes: int) -> None:
        self.out_fd, self.max_bytes = out_fd, max_bytes
        self.digest = hashlib.sha256()
        self.size = 0
        self.filename: str | None = None
        self.file_seen = False
        self.fields: dict[str, str] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._name: str | None = None
        self._is_file = False
        self._value = bytearray()

    def callbacks(self) -> dict[str, Callable[..., None]]:
        """The parser's callback table."""
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers, self._name, self._is_file = {}, None, False
        self._value = bytearray()

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).decode("latin-1").lower()] = bytes(self._header_value)
        self._header_name, self._header_value = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", b""))
        name = params.get(b"name")
        self._name = name.decode("utf-8", "replace") if name is not None else None
        self._is_file = self._name == FILE_FIELD
        if self._is_file:
            if self.file_seen:
                raise Unprocessable("send one file per upload (the form has two 'file' fields)")
            self.file_seen = True
            filename = params.get(b"filename")
            self.filename = filename.decode("utf-8", "replace") if filename is not None else None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            chunk = data[start:end]
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise AppError(f"the file is larger than the upload limit of {self.max_bytes:,} bytes", 413)
            self.digest.update(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(self.out_fd, view) :]
        else:
            self._value.extend(data[start:end])
            if len(self._value) > MAX_FIELD_BYTES:
                raise Unprocessable(f"form field '{self._name}' is longer than {MAX_FIELD_BYTES:,} bytes")

    def _part_end(self) -> None:
        if not self._is_file and self._name:
            self.fields[self._name] = self._value.decode("utf-8", "replace")


async def receive_file(
    request: Request, max_bytes: int, progress: ReceiveProgress | None = None
) -> ReceivedFile:
    """Stream a multipart/form-data body's `file` part to a temporary file; 413 over `max_bytes`."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise Unprocessable("send the file as multipart/form-data with the file in a field named 'file'")
    declared = request.headers.get("content-length")
    total = int(declared) if declared and declared.isdigit() else None
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".bin")
    path = Path(name)
    try:
        parts = _Parts(fd, max_bytes)
        try:
            parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
        except ValueError as exc:
            raise Unprocessable(f"the multipart body is malformed ({exc})") from exc
        received = reported = 0
        async for chunk in request.stream():
            received += len(chunk)
            try:
                parser.write(chunk)
            except (AppError, OSError):
                raise
            except Exception as exc:  # the parser's own errors: a malformed body, not a server fault
                raise Unprocessable(f"the multipart body is malformed ({exc})") from exc
            if progress is not None and received - reported >= PROGRESS_EVERY_BYTES:
                reported = received
                await progress(received, total)
        parser.finalize()
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    if not parts.file_seen:
        path.unlink(missing_ok=True)
        raise Unprocessable("no file: send it as multipart/form-data in a field named 'file'")
    if parts.size == 0:
        path.unlink(missing_ok=True)
        raise Unprocessable("the file is empty")
    return ReceivedFile(path, parts.size, parts.digest.hexdigest(), parts.filename, parts.fields)
