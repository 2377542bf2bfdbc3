"""Invitations: each registrant's QR code by e-mail, with a state per person kept in the
database, so a mailing shows its progress and continues after a crash.

A person's ``invitation_status`` moves ``none`` (or ``failed``) -> ``sending`` -> ``sent``
or ``failed``. ``sending`` is committed *before* the message is handed to the SMTP server,
``sent``/``failed`` right after the server's answer. The claim is one conditional UPDATE,
so two mailings (two clicks, two admin processes, a run resumed while another still
goes) never take the same person. The reads and the two writes are in
``admin.queries.invitations``.

At most once, by choice: a crash (or a connection lost in the middle of a message) leaves
``sending`` behind, and such a person is *not* mailed again on its own: the server may
have accepted the message. The invitations page lists them as uncertain; sending to them
again is an explicit choice (then at least once: some may get two). The alternative,
retrying them automatically, would send a second copy to every person whose message the
server had accepted just before the crash; for an invitation carrying a personal code a
rare missing e-mail (which the person can ask the help desk for) beats doubles.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from admin.i18n import ROLE_LABELS
from admin.invitation_letter import Invitation, Letter, Registration
from admin.mailer import Outgoing, SendError, SendUncertain, SmtpPool, compose_invitation
from admin.queries import events as q_events
from admin.queries import self_service as q_self_service
from admin.queries.invitations import Writes, load_letter, load_registrations
from bramka.config import AdminSettings
from printers.invitation import invitation_pdf, invitation_png
from printers.layout import BadgeData
from sync import token as tokens
from sync.self_service import code_for_id, format_code


@dataclass(frozen=True)
class Outcome:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # not waiting any more (sent meanwhile, no e-mail, cancelled)
    uncertain: int = 0  # the connection broke while the message was handed over

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped + self.uncertain

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "skipped": self.skipped,
                "uncertain": self.uncertain}


Progress = Callable[[int, int, Outcome], None]


# -- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EventParts:
    event_id: int
    letter: Letter
    key: Ed25519PrivateKey
    registrations: dict[int, tuple[Registration, ...]]
    code_secret: bytes | None = None  # the personal codes' key, when the event offers them


def build_invitation(parts: _EventParts, row: Any, settings: AdminSettings) -> Invitation:
    name = f"{row.first_name} {row.last_name}"
    token = tokens.issue(parts.key, parts.event_id, row.id, row.badge_revision)
    badge = BadgeData(name=name, institution=row.institution,
                      role=ROLE_LABELS.get(row.role, (row.role,))[0], token=token,
                      event_name=parts.letter.event_name, event_dates=parts.letter.dates)
    code = (format_code(code_for_id(parts.code_secret, row.id, row.badge_revision))
            if parts.code_secret is not None else "")
    return Invitation(to_name=name, to_email=row.email, institution=row.institution,
                      png=invitation_png(badge, personal_code=code),
                      pdf=invitation_pdf(badge, personal_code=code)
                      if settings.invitation_pdf else None,
                      registrations=parts.registrations.get(row.id, ()), personal_code=code)


class _Run:
    """One mailing's shared state: the people still to take, the counts, the first error."""

    def __init__(self, person_ids: Iterable[int], total: int, progress: Progress | None):
        self._ids: Iterator[int] = iter(person_ids)
        self._lock = threading.Lock()
        self.total = total
        self.outcome = Outcome()
        self.progress = progress
        self.error: BaseException | None = None

    def next_id(self) -> int | None:
        with self._lock:
            if self.error is not None:
                return None
            return next(self._ids, None)

    def count(self, status: str) -> None:
        with self._lock:
            o = self.outcome
            self.outcome = Outcome(o.sent + (status == "sent"), o.failed + (status == "failed"),
                                   o.skipped + (status == "skipped"),
                                   o.uncertain + (status == "sending"))
            if self.progress:  # under the lock: callers need not be thread-safe
                self.progress(self.outcome.done, self.total, self.outcome)

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            if self.error is None:
                self.error = exc


def send_invitations(engine: Engine, settings: AdminSettings, event_id: int,
                     person_ids: list[int], progress: Progress | None = None, *,
                     pool: SmtpPool | None = None, retry_uncertain: bool = False,
                     resend: bool = False) -> Outcome:
    """Send to each person who is still waiting, over ``pool`` (one per call if not given):
    as many messages at once as the pool has connections. Each person's state is committed
    before and after their message (see the module's docstring).

    ``retry_uncertain``: also those a stopped mailing left uncertain (they may get two).
    ``resend``: also those already sent (the help desk's "send again" for one person).
    """
    with engine.begin() as conn:  # a write: the codes' secret is made on first use
        event = q_events.get_event(conn, event_id)
        parts = _EventParts(event_id, load_letter(conn, event),
                            q_events.signing_key(conn, event_id),
                            load_registrations(conn, event),
                            q_self_service.secret(conn, event_id)
                            if event["self_service_enabled"]
                            and event["self_service_factor"] == "code" else None)
    statuses = ("none", "failed", "sent") if resend else ("none", "failed")
    writes = Writes(event_id, statuses, retry_uncertain or resend)

    def compose(row: Any) -> Outgoing:
        return compose_invitation(parts.letter, build_invitation(parts, row, settings),
                                  settings.smtp_sender)

    return send_each(engine, settings, person_ids, writes, compose, progress, pool=pool)


Compose = Callable[[Any], Outgoing]


def send_each(engine: Engine, settings: AdminSettings, person_ids: list[int], writes: Writes,
              compose: Compose, progress: Progress | None = None, *,
              pool: SmtpPool | None = None) -> Outcome:
    """One message per person still waiting (as ``writes`` claims them), made by
    ``compose(row)``, over ``pool``: as many at once as it has connections. Invitations
    and certificates alike (see the module's docstring for the states)."""
    own_pool = pool is None
    smtp = pool or SmtpPool(settings)
    try:
        try:  # an unreachable server fails everyone at once, with its reason
            with smtp.connection():
                pass
        except SendError as exc:
            failed = 0
            with engine.begin() as conn:
                for pid in person_ids:
                    if writes.take(conn, pid) is not None:
                        writes.record(conn, pid, "failed", str(exc))
                        failed += 1
            return Outcome(failed=failed, skipped=len(person_ids) - failed)
        run = _Run(person_ids, len(person_ids), progress)
        workers = [threading.Thread(target=_worker, args=(engine, writes, compose, smtp, run),
                                    name=f"bramka-mail-{n}", daemon=True)
                   for n in range(min(smtp.size, max(1, len(person_ids))))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        if run.error is not None:
            raise run.error
        return run.outcome
    finally:
        if own_pool:
            smtp.close()


def _worker(engine: Engine, writes: Writes, compose: Compose, pool: SmtpPool,
            run: _Run) -> None:
    """Take a person, compose, send, record; the record of one message and the claim of
    the next share a transaction (one commit per message, no later than before)."""
    done: tuple[int, str, str] | None = None  # sent but not yet recorded
    try:
        while True:
            pid = run.next_id()
            with engine.begin() as conn:
                if done is not None:
                    writes.record(conn, *done)
                row = writes.take(conn, pid) if pid is not None else None
            if done is not None:
                run.count(done[1])
                done = None
            if pid is None:
                return
            if row is None:
                run.count("skipped")
                continue
            try:
                msg = compose(row)
            except Exception as exc:  # nothing was sent: say why, and stop the mailing
                with engine.begin() as conn:
                    writes.record(conn, pid, "failed", f"cannot compose the message: {exc}")
                raise
            try:
                with pool.connection() as smtp:
                    smtp.send(msg)
                done = (pid, "sent", "")
            except SendError as exc:
                done = (pid, "failed", str(exc))
            except SendUncertain as exc:  # stays "sending": never resent on its own
                done = (pid, "sending", str(exc))
    except BaseException as exc:  # a database error: the others stop after their message
        run.fail(exc)
