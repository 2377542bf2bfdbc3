"""``bramka token``: make keys, issue and verify badge tokens."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from . import token as tokens


def _read_public_key(value: str):
    path = Path(value)
    text = path.read_text().strip() if len(value) < 4096 and path.is_file() else value
    try:
        return tokens.parse_public_key(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--public-key") from None


@click.group("token")
def token_group() -> None:
    """Event signing keys and badge QR tokens."""


@token_group.command("keygen")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the private key (PEM). Keep it on the admin only.")
@click.option("--force", is_flag=True, help="Overwrite an existing key file.")
def keygen(out: Path, force: bool) -> None:
    """Create an event signing key; print its public key (for kiosks)."""
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; use --force to replace it (old badges "
                                   "signed with it will stop verifying)")
    key = tokens.generate_key()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(tokens.private_key_to_pem(key))
    click.echo(tokens.public_key_text(key))


@token_group.command("issue")
@click.option("--key", "key_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="The event's private key (PEM).")
@click.option("--event", "event_id", type=click.IntRange(0, tokens.MAX_U32), required=True)
@click.option("--attendee", "attendee_id", type=click.IntRange(0, tokens.MAX_U32),
              required=True)
@click.option("--revision", type=click.IntRange(1, tokens.MAX_U16), default=1, show_default=True)
def issue(key_path: Path, event_id: int, attendee_id: int, revision: int) -> None:
    """Print a signed badge token."""
    try:
        key = tokens.load_private_key(key_path)
    except ValueError as exc:
        raise click.ClickException(f"{key_path}: {exc}") from None
    click.echo(tokens.issue(key, event_id, attendee_id, revision))


@token_group.command("verify")
@click.option("--public-key", "public_key", required=True,
              help="The event's public key (base64 text or a file holding it).")
@click.option("--event", "event_id", type=int, default=None,
              help="Also require the token to be for this event.")
@click.argument("token_text")
def verify(public_key: str, event_id: int | None, token_text: str) -> None:
    """Check a token. Exit 0 and print its claim, or exit 1 and print why not."""
    key = _read_public_key(public_key)
    try:
        claim = tokens.verify(token_text, key, event_id)
    except tokens.TokenError as exc:
        click.echo(json.dumps({"valid": False, "code": exc.code, "reason": exc.reason}))
        raise SystemExit(1) from None
    click.echo(json.dumps({"valid": True, **claim.to_dict()}))


@click.group("audit")
def audit_group() -> None:
    """Offline checks of exported attendance lists (no admin needed)."""


@audit_group.command("verify-export")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", "public_key", default=None,
              help="The event's public key (base64, or a file holding it). Without it the "
                   "key in the file is used: compare it with the organizer's.")
def verify_export(file: Path, public_key: str | None) -> None:
    """Check that a sealed CSV, XLSX or PDF attendance export was not changed."""
    from .seal import SealError, verify

    key_text = None
    if public_key:
        path = Path(public_key)
        key_text = (path.read_text().strip() if len(public_key) < 4096 and path.is_file()
                    else public_key.strip())
    try:
        result = verify(file.read_bytes(), key_text)
    except SealError as exc:
        click.echo(f"NOT VALID / NIEWAŻNY: {exc.en} / {exc.pl}", err=True)
        raise SystemExit(1) from None
    seal = result.seal
    click.echo(f"OK: {file.name}: {seal.get('rows')} rows of session {seal.get('session_id')}"
               f" of event {seal.get('event_id')}, generated {seal.get('generated_at')}, "
               f"resting on {len(seal.get('heads', []))} kiosk chain heads")
    click.echo(f"    signed by {seal.get('public_key')}"
               + ("" if result.key_given else " (the key in the file: compare it with the "
                  "organizer's published key / klucz z pliku: porównaj z kluczem organizatora)"))
