"""Just enough IPP/1.1 (RFC 8010/8011) over HTTP to print through cupsd and follow the job.

Bramka talks to CUPS in IPP itself rather than through ``lp``/``lpstat`` or pycups:
job and printer states come back as the protocol's enums and keywords (``lpstat``
prints them as translated text that changes with the locale and the CUPS
version), nothing needs compiling (pycups builds against libcups2-dev), and the
kiosk needs only the network path to cupsd, not the CUPS client tools.
Operations used: Print-Job, Get-Job-Attributes, Cancel-Job,
Get-Printer-Attributes.
"""

from __future__ import annotations

import http.client
import itertools
import struct
from dataclasses import dataclass, field
from typing import Any

PRINT_JOB, CANCEL_JOB, GET_JOB_ATTRIBUTES, GET_PRINTER_ATTRIBUTES = 0x0002, 0x0008, 0x0009, 0x000B
OPERATION_GROUP, JOB_GROUP, END = 0x01, 0x02, 0x03
INTEGER, BOOLEAN, ENUM = 0x21, 0x22, 0x23
TEXT, NAME, KEYWORD, URI, CHARSET, LANGUAGE, MIME = 0x41, 0x42, 0x44, 0x45, 0x47, 0x48, 0x49
_NUMERIC = (INTEGER, ENUM)
# job-state (RFC 8011 5.3.7)
JOB_PENDING, JOB_HELD, JOB_PROCESSING, JOB_STOPPED = 3, 4, 5, 6
JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 7, 8, 9
# printer-state
PRINTER_IDLE, PRINTER_PROCESSING, PRINTER_STOPPED = 3, 4, 5

_request_ids = itertools.count(1)


class IppError(Exception):
    """cupsd answered, but not with success (``status`` is the IPP status code)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


Value = int | bool | str
Attribute = tuple[int, str, Value | list[Value]]


@dataclass
class IppResponse:
    status: int
    groups: list[tuple[int, dict[str, list[Value]]]] = field(default_factory=list)

    def first(self, name: str, default: Any = None) -> Any:
        for _, attributes in self.groups:
            if name in attributes:
                return attributes[name][0]
        return default

    def all(self, name: str) -> list[Value]:
        for _, attributes in self.groups:
            if name in attributes:
                return attributes[name]
        return []


def _attribute(tag: int, name: str, value: Value) -> bytes:
    if tag in _NUMERIC:
        raw = struct.pack(">i", int(value))
    elif tag == BOOLEAN:
        raw = b"\x01" if value else b"\x00"
    else:
        raw = str(value).encode("utf-8")
    encoded = name.encode("ascii")
    return struct.pack(">BH", tag, len(encoded)) + encoded + struct.pack(">H", len(raw)) + raw


def encode_request(
    operation: int,
    attributes: list[Attribute],
    job_attributes: list[tuple[int, str, Value]] | None = None,
) -> bytes:
    """An IPP/1.1 request: charset and language first, then ``attributes``."""
    out = bytearray(struct.pack(">BBHI", 1, 1, operation, next(_request_ids)))
    out.append(OPERATION_GROUP)
    out += _attribute(CHARSET, "attributes-charset", "utf-8")
    out += _attribute(LANGUAGE, "attributes-natural-language", "en")
    for tag, name, value in attributes:
        values = value if isinstance(value, list) else [value]
        out += _attribute(tag, name, values[0])
        for extra in values[1:]:  # additional values: an empty name
            out += _attribute(tag, "", extra)
    if job_attributes:
        out.append(JOB_GROUP)
        for tag, name, value in job_attributes:
            out += _attribute(tag, name, value)
    out.append(END)
    return bytes(out)


def decode_response(data: bytes) -> IppResponse:
    if len(data) < 9:
        raise IppError(-1, f"short IPP response ({len(data)} bytes)")
    status = struct.unpack(">H", data[2:4])[0]
    response = IppResponse(status)
    pos, name = 8, ""
    current: dict[str, list[Value]] | None = None
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag == END:
            break
        if tag < 0x10:  # a new attribute group
            current = {}
            response.groups.append((tag, current))
            continue
        name_length = struct.unpack(">H", data[pos : pos + 2])[0]
        pos += 2
        if name_length:
            name = data[pos : pos + name_length].decode("ascii", "replace")
        pos += name_length
        value_length = struct.unpack(">H", data[pos : pos + 2])[0]
        pos += 2
        raw = data[pos : pos + value_length]
        pos += value_length
        value: Value
        if tag in _NUMERIC and value_length == 4:
            value = struct.unpack(">i", raw)[0]
        elif tag == BOOLEAN:
            value = raw != b"\x00"
        else:
            value = raw.decode("utf-8", "replace")
        if current is None:
            current = {}
            response.groups.append((0, current))
        current.setdefault(name, []).append(value)
    return response


class IppClient:
    """Requests to one cupsd (``host:port``), one HTTP connection each."""

    def __init__(self, server: str, timeout: float) -> None:
        host, _, port = server.rpartition(":")
        self.host = host or server
        self.port = int(port) if host and port.isdigit() else 631
        self.timeout = timeout

    def printer_uri(self, queue: str) -> str:
        return f"ipp://{self.host}:{self.port}/printers/{queue}"

    def call(self, path: str, body: bytes) -> IppResponse:
        """POST one request; :class:`OSError` when cupsd cannot be reached."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request("POST", path, body, {"Content-Type": "application/ipp"})
            reply = connection.getresponse()
            data = reply.read()
            if reply.status != 200:
                raise IppError(-reply.status, f"HTTP {reply.status} {reply.reason}")
        except http.client.HTTPException as exc:
            raise OSError(f"cupsd at {self.host}:{self.port}: {exc}") from None
        finally:
            connection.close()
        response = decode_response(data)
        if response.status >= 0x0100:  # 0x0000-0x00ff: successful
            message = response.first("status-message", "")
            raise IppError(response.status, f"IPP status 0x{response.status:04x} {message}")
        return response
