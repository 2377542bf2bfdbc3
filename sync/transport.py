"""HTTP for the sync protocol: JSON, gzip both ways, typed errors, no dependencies.

Two kinds of failure: :class:`TransportError` (the network: no answer, cut connection,
garbage) is always worth retrying; :class:`SyncRejected` is the admin's considered
answer (a :class:`~sync.wire.WireError` with a code) and is retried only when 5xx.
"""

from __future__ import annotations

import gzip
import http.client
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .wire import BASE_PATH, WireError, parse

M = TypeVar("M", bound=BaseModel)


class TransportError(Exception):
    """The admin could not be reached or answered nonsense: retry later."""

    code = "offline"


class SyncRejected(Exception):
    """The admin refused the request, saying why."""

    def __init__(self, status: int, error: WireError) -> None:
        super().__init__(f"{status} {error.error}: {error.message.en}")
        self.status = status
        self.code = error.error
        self.error = error

    @property
    def retryable(self) -> bool:
        return self.status >= 500


def _url(base_url: str, path: str, query: dict[str, str] | None = None) -> str:
    url = base_url.rstrip("/") + BASE_PATH + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    return url


def _read(resp: Any) -> bytes:
    body = resp.read()
    if resp.headers.get("Content-Encoding", "").lower() == "gzip":
        body = gzip.decompress(body)
    return body


def request(base_url: str, method: str, path: str, *, body: BaseModel | None = None,
            token: str | None = None, query: dict[str, str] | None = None,
            timeout: float = 10.0) -> bytes:
    """Send one request; return the (decompressed) response body of a 2xx answer."""
    data = None
    headers = {"Accept": "application/json", "Accept-Encoding": "gzip",
               "User-Agent": "bramka-kiosk"}
    if body is not None:
        data = gzip.compress(body.model_dump_json().encode("utf-8"), compresslevel=6)
        headers.update({"Content-Type": "application/json", "Content-Encoding": "gzip"})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(_url(base_url, path, query), data=data, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return _read(resp)
    except urllib.error.HTTPError as exc:
        try:
            raw = _read(exc)
            error = WireError.model_validate_json(raw)
        except (ValidationError, OSError, EOFError, gzip.BadGzipFile, ValueError):
            raise TransportError(f"HTTP {exc.code} without a Bramka error body") from None
        finally:
            exc.close()
        raise SyncRejected(exc.code, error) from None
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError,
            EOFError, gzip.BadGzipFile) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}") from None


def call(base_url: str, method: str, path: str, reply: type[M], **kwargs: Any) -> M:
    raw = request(base_url, method, path, **kwargs)
    try:
        return parse(reply, raw)
    except ValidationError as exc:
        raise TransportError(f"unexpected answer from the admin: {exc.errors()[:1]}") from None
