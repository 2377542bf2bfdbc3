"""Sealed attendance exports: a file an auditor can check offline with the event's key.

Every attendance export carries a *seal*: a JSON object (:data:`FORMAT`) with the SHA-256
of the file's content, the scan-chain heads of the event's kiosks it rests on
(``sync.chain``), and an Ed25519 signature by the event's key over all of that. Where
the seal lives, and what "content" is, depends on the format:

- CSV and PDF: the seal is the file's last line, ``# bramka-seal: {...}`` for CSV and
  ``%bramka-seal: {...}`` for PDF (a comment after ``%%EOF``, which readers ignore); the
  content is every byte before that line.
- XLSX: the seal is the ZIP archive's comment; the content is every member of the
  archive, by name, as ``name NUL sha256(bytes)`` lines.

Changing one cell changes the content, so the digest no longer matches; changing the
seal breaks its signature. :func:`verify` needs only the file and the event's public key.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .token import parse_public_key, public_key_text
from .words import BilingualError

FORMAT = "bramka.seal/1"
CSV_MARK = b"# bramka-seal: "
PDF_MARK = b"%bramka-seal: "


class SealError(BilingualError):
    """The file has no seal, or it does not hold; ``words`` say why (English first here)."""

    def __init__(self, en: str, pl: str) -> None:
        super().__init__(pl, en)


def _signed_bytes(seal: dict[str, Any]) -> bytes:
    body = {k: v for k, v in seal.items() if k != "signature"}
    return b"bramka-seal/1:" + json.dumps(body, sort_keys=True, ensure_ascii=False,
                                          separators=(",", ":")).encode()


def _zip_content(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        lines = [f"{info.filename}\0{hashlib.sha256(zf.read(info)).hexdigest()}"
                 for info in sorted(zf.infolist(), key=lambda i: i.filename)]
    return "\n".join(lines).encode()


def _make(content: bytes, key: Ed25519PrivateKey, meta: dict[str, Any]) -> dict[str, Any]:
    seal = {"format": FORMAT, **meta, "public_key": public_key_text(key),
            "content_sha256": hashlib.sha256(content).hexdigest()}
    seal["signature"] = base64.b64encode(key.sign(_signed_bytes(seal))).decode()
    return seal


def _text(seal: dict[str, Any]) -> bytes:
    return json.dumps(seal, ensure_ascii=True, separators=(",", ":")).encode()


def seal_file(data: bytes, kind: str, key: Ed25519PrivateKey, meta: dict[str, Any]) -> bytes:
    """``data`` (an export of ``kind`` csv, pdf or xlsx) with its seal added.

    ``meta``: what the export is (event id, session, generated at, the chain heads as
    ``[{"kiosk_id", "seq", "chain"}]``); it is signed with the content digest."""
    if kind in ("csv", "pdf"):
        mark = CSV_MARK if kind == "csv" else PDF_MARK
        if not data.endswith(b"\n"):
            data += b"\r\n" if kind == "csv" else b"\n"
        return data + mark + _text(_make(data, key, meta)) + b"\n"
    if kind == "xlsx":
        seal = _text(_make(_zip_content(data), key, meta))
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                dst.writestr(info, src.read(info))
            dst.comment = seal
        return out.getvalue()
    raise ValueError(f"no seal for {kind!r} files")


@dataclass(frozen=True)
class Verified:
    seal: dict[str, Any]
    key_given: bool  # checked against a key the auditor gave, not only the file's own


def verify(data: bytes, public_key: str | None = None) -> Verified:
    """Check a sealed export; raises :class:`SealError` saying what does not hold."""
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                raw = zf.comment
        except zipfile.BadZipFile:
            raise SealError("not a readable XLSX file", "plik XLSX jest uszkodzony") from None
        content = _zip_content(data)
    else:
        cut = max(data.rfind(b"\n" + CSV_MARK), data.rfind(b"\n" + PDF_MARK))
        if cut < 0:
            raise SealError("the file carries no Bramka seal", "plik nie ma pieczęci Bramki")
        content, raw = data[:cut + 1], data[cut + 1:].split(b": ", 1)[-1].strip()
    try:
        seal = json.loads(raw)
        assert isinstance(seal, dict) and seal.get("format") == FORMAT
    except (ValueError, AssertionError):
        raise SealError("the file carries no Bramka seal", "plik nie ma pieczęci Bramki"
                        ) from None
    key_text = public_key or seal.get("public_key", "")
    if public_key and public_key.strip() != seal.get("public_key"):
        raise SealError("the seal was made with another key than the one given",
                        "pieczęć złożono innym kluczem niż podany")
    try:
        key = parse_public_key(key_text)
        key.verify(base64.b64decode(seal.get("signature", ""), validate=True),
                   _signed_bytes(seal))
    except (ValueError, InvalidSignature):
        raise SealError("the seal's signature does not hold: the seal was changed",
                        "podpis pieczęci się nie zgadza: pieczęć zmieniono") from None
    if hashlib.sha256(content).hexdigest() != seal.get("content_sha256"):
        raise SealError("the content does not match its seal: the file was changed after "
                        "export", "treść nie zgadza się z pieczęcią: plik zmieniono po "
                        "wygenerowaniu")
    return Verified(seal, key_given=bool(public_key))
