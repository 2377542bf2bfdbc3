"""The kiosk's side of sync: upload scans, download roster changes, report health.

Runs in its own thread and never holds the store's writer lock for long, so check-ins
go on whatever the network does. Each contact: scans up first (in batches, marked sent
only once the admin confirmed them, so any upload can be retried blindly), then the
roster since the admin's cursor (applied all or nothing), then a heartbeat that reports
health and fetches commands (badge reprints). Failures back off exponentially with
jitter; a revoked kiosk wipes its roster.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bramka import __version__
from bramka.config import Settings
from sync import transport
from sync.badge_template import BadgeTemplate, image_digest
from sync.chain import public_key_text, sign_head
from sync.plan import KioskPlan
from sync.roster import RosterError, parse_snapshot
from sync.scans import ScanRecord
from sync.transport import SyncRejected, TransportError
from sync.wire import (
    ENROLL_PREFIX,
    ENROLL_RETRY_MINUTES,
    ClockSample,
    CommandResult,
    EnrollRequest,
    EnrollResponse,
    Health,
    Heartbeat,
    HeartbeatReply,
    ScanBatch,
    ScanReceipt,
)
from sync.words import BilingualError

from . import badge_store
from . import plan as kiosk_plan
from .checkin import CheckinService, boot_id
from .events import EventBus
from .store import Store

log = logging.getLogger(__name__)

TOKEN_KEY, URL_KEY, KIOSK_KEY = "sync_token", "sync_url", "sync_kiosk_id"
CHAIN_KEY = "chain_key"  # the kiosk's Ed25519 private key (raw, base64), made at enrollment
CHAIN_PENDING_KEY = "chain_key_pending"  # the key of an enrollment not yet stored
REVOKED_KEY = "sync_revoked"  # why the admin refused this kiosk, until it enrolls again
DONE_KEY = "sync_commands_done"  # ids of commands run here, so a resent one runs once
MODE_KEY = "sync_planned_mode"  # "mode:room" as planned on the admin, to warn on a mismatch
PUSH_WINDOW = 2  # scan batches in flight at once
PENDING_KEY = "sync_enrollment"  # a PendingEnrollment as JSON, until the admin confirms it
ENROLL_ATTEMPTS, ENROLL_RETRY_SECONDS = 3, 1.0  # network tries of one code exchange
ENROLL_EXCHANGES = 4  # code exchanges of one enrollment, when the admin forgets our token
SyncStatus = Literal["off", "not_enrolled", "ok", "offline", "revoked", "rejected"]


class EnrollmentError(BilingualError):
    """Why enrollment failed: ``str()`` in English, :attr:`pl` in Polish (for the screen)."""

    code = "enrollment_invalid"

    def __init__(self, en: str, pl: str) -> None:
        super().__init__(pl, en)


class EnrollmentUnconfirmed(EnrollmentError):
    """The token is stored, but the admin has not accepted it yet (the network failed
    right after the exchange). The sync thread confirms it, or exchanges the code again
    within :data:`~sync.wire.ENROLL_RETRY_MINUTES`."""

    code = "enrollment_unconfirmed"


class EnrollmentUnreachable(EnrollmentError):
    """No answer from the admin to any try of the code exchange."""

    code = "admin_unreachable"


@dataclass(frozen=True)
class PendingEnrollment:
    """An enrollment begun and not yet confirmed by the admin (``meta.sync_enrollment``)."""

    url: str
    code: str
    request_id: str
    started_at: str  # ISO time by the kiosk's clock (may be off: it only ends retries)

    def expired(self, now: datetime) -> bool:
        """Past the admin's window for retries (or the clock jumped): give up on it."""
        try:
            started = datetime.fromisoformat(self.started_at)
        except ValueError:
            return True
        age = (now - started).total_seconds()
        return not 0 <= age <= ENROLL_RETRY_MINUTES * 60 + 60


@dataclass(frozen=True)
class SyncState:
    status: SyncStatus = "off"
    message: str = ""
    code: str = ""  # the admin's refusal (``sync.wire.ErrorCode``) while one stands
    last_contact_at: str | None = None
    last_error_at: str | None = None
    pushed_total: int = 0


@dataclass
class ContactReport:
    pushed: int = 0
    roster_applied: bool = False
    commands: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def parse_enrollment_qr(text: str) -> tuple[str, str]:
    """``BRAMKA-ENROLL:<admin url>#<code>`` -> (url, code)."""
    if not text.startswith(ENROLL_PREFIX) or "#" not in text:
        raise EnrollmentError("not an enrollment code", "to nie jest kod rejestracji kiosku")
    url, _, code = text[len(ENROLL_PREFIX):].rpartition("#")
    if not url.startswith(("http://", "https://")) or not code:
        raise EnrollmentError("enrollment code without an admin address",
                              "w kodzie rejestracji brakuje adresu panelu")
    return url, code


def _numeric(command_id: str) -> tuple[int, str]:
    return (int(command_id) if command_id.isdigit() else 0, command_id)


def _is_gap(exc: SyncRejected) -> bool:
    detail = exc.error.detail
    return isinstance(detail, dict) and detail.get("problem") == "gap"


def clock_sample(wall: datetime | None = None) -> ClockSample:
    """The kiosk's clocks now; ``wall`` is the same wall clock its scans are stamped with."""
    return ClockSample(boot_id=boot_id(), monotonic_ns=time.monotonic_ns(),
                       wall_time=wall or datetime.now(UTC))


class SyncClient:
    def __init__(self, store: Store, settings: Settings, *, checkin: CheckinService,
                 bus: EventBus | None = None,
                 health: Callable[[], dict[str, Any]] | None = None,
                 on_command: Callable[[Any], None] | None = None,
                 on_plan: Callable[[KioskPlan], Any] | None = None) -> None:
        self.store = store
        self.settings = settings.sync
        self.checkin = checkin
        self.bus = bus or checkin.bus
        self._health = health or (lambda: {})
        self._on_command = on_command
        # Without a runtime (the CLI), a plan is only kept: `serve` follows it.
        self._on_plan = on_plan or (lambda plan: kiosk_plan.save(store, plan))
        self._results: list[CommandResult] = []
        self._state = SyncState()
        self._state_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0

    # -- configuration ---------------------------------------------------------------------------

    @property
    def admin_url(self) -> str:
        return self.store.reader.get_meta(URL_KEY) or self.settings.admin_url

    @property
    def token(self) -> str | None:
        return self.store.reader.get_meta(TOKEN_KEY)

    def enroll(self, url: str, code: str) -> EnrollResponse:
        """Trade a single-use enrollment code for this kiosk's own token, store it, and
        have the admin accept it (a heartbeat with it). Raises
        :class:`EnrollmentError`; :class:`EnrollmentUnconfirmed` when the token is stored
        but the admin could not be asked yet (the sync thread finishes the enrollment)."""
        pending = self._pending()
        if (pending is None or (pending.url, pending.code) != (url, code)
                or pending.expired(datetime.now(UTC))):
            # One request id for every try of this enrollment, kept on disk: when only the
            # replies were lost, a retry (even by a new `bramka kiosk enroll` with the same
            # code) within ENROLL_RETRY_MINUTES gets a fresh token instead of "code used".
            pending = PendingEnrollment(url, code, uuid.uuid4().hex,
                                        datetime.now(UTC).isoformat())
            self.store.set_meta(CHAIN_PENDING_KEY, None)  # a new enrollment, a new key
            self.store.set_meta(PENDING_KEY, json.dumps(asdict(pending)))
        reply = self._complete(pending, exchange_first=True)
        assert reply is not None
        return reply

    def _pending(self) -> PendingEnrollment | None:
        text = self.store.reader.get_meta(PENDING_KEY)
        if not text:
            return None
        try:
            return PendingEnrollment(**json.loads(text))
        except (ValueError, TypeError):
            self.store.set_meta(PENDING_KEY, None)
            return None

    def _complete(self, pending: PendingEnrollment, *,
                  exchange_first: bool) -> EnrollResponse | None:
        """Exchange the code (unless a token of this enrollment is stored and
        ``exchange_first`` is false), store the token, confirm it with a heartbeat.

        A token the admin no longer knows is exchanged again: a copy of our request that
        reached the admin after its answer (a network that duplicates requests) made the
        admin replace the token it had just given us."""
        reply = None
        token = None if exchange_first else self._token_for(pending.url)
        dead_token = False  # the stored token is one the admin refused
        for _ in range(ENROLL_EXCHANGES):
            if token is None:
                try:
                    reply = self._exchange(pending)
                except EnrollmentError:
                    if dead_token:
                        self._enrollment_failed(forget_token=True, keep_pending=True)
                    raise
                self._store_enrollment(pending.url, reply)
                token, dead_token = reply.token, False
            try:
                self._heartbeat(pending.url, token)
            except SyncRejected as exc:
                if exc.code != "unauthenticated":
                    self._enrollment_failed(forget_token=False)
                    raise EnrollmentError(exc.error.message.en, exc.error.message.pl) from None
                log.info("the admin does not know this enrollment's token: exchanging again")
                token, dead_token = None, True
                continue
            except TransportError as exc:
                raise EnrollmentUnconfirmed(
                    f"the kiosk holds a token from {pending.url}, but the admin could not "
                    f"confirm it yet ({exc}); the kiosk service finishes the enrollment",
                    f"kiosk ma token z panelu {pending.url}, ale panel jeszcze go nie "
                    "potwierdził (sieć); usługa kiosku dokończy rejestrację") from None
            break
        else:
            self._enrollment_failed(forget_token=True)
            raise EnrollmentError(
                "the admin kept replacing this kiosk's token (duplicated requests on the "
                "network?): try again with a new code",
                "panel wciąż wymieniał token kiosku (sieć powiela zapytania?): spróbuj "
                "ponownie z nowym kodem")
        self.store.set_meta(PENDING_KEY, None)
        self._set_state(status="ok", message=f"enrolled as {self.store.reader.get_meta(KIOSK_KEY)}")
        self._wake.set()
        return reply

    def _token_for(self, url: str) -> str | None:
        return self.token if self.store.reader.get_meta(URL_KEY) == url else None

    def _exchange(self, pending: PendingEnrollment) -> EnrollResponse:
        # A key of its own for this enrollment: it signs the head of the scan chain with
        # every upload (sync.chain); the admin keeps only the public half.
        seq, head = self.store.reader.chain_head()
        request = EnrollRequest(code=pending.code, software=__version__,
                                request_id=pending.request_id,
                                public_key=public_key_text(self._enrollment_key()),
                                chain_seq=seq, chain_head=head)
        for attempt in range(ENROLL_ATTEMPTS):
            try:
                return transport.call(pending.url, "POST", "/enroll", EnrollResponse,
                                      body=request, timeout=self.settings.timeout_seconds)
            except SyncRejected as exc:
                if exc.code in ("enrollment_invalid", "bad_request"):
                    self._enrollment_failed(forget_token=False)
                raise EnrollmentError(exc.error.message.en, exc.error.message.pl) from None
            except TransportError as exc:
                if attempt == ENROLL_ATTEMPTS - 1:
                    raise EnrollmentUnreachable(
                        f"the admin at {pending.url} cannot be reached: {exc}",
                        f"panel pod adresem {pending.url} nie odpowiada; sprawdź sieć",
                    ) from None
                log.info("enrollment attempt %d failed (%s); trying again", attempt + 1, exc)
                self._stop.wait(ENROLL_RETRY_SECONDS * (attempt + 1))
        raise AssertionError("unreachable")

    def _store_enrollment(self, url: str, reply: EnrollResponse) -> None:
        """All of it in one transaction: a kiosk never holds half an enrollment."""
        with self.store.write():
            # A new enrollment starts clean: another admin's (or event's) roster, cursor
            # and finished command ids mean nothing there. Scans stay, as facts.
            self.store.wipe_roster()
            for key in (DONE_KEY, REVOKED_KEY):
                self.store.set_meta(key, None)
            self.store.set_meta(URL_KEY, url)
            self.store.set_meta(TOKEN_KEY, reply.token)
            self.store.set_meta(CHAIN_KEY, self.store.reader.get_meta(CHAIN_PENDING_KEY))
            self.store.set_meta(KIOSK_KEY, reply.kiosk_id)
            self.store.set_meta(MODE_KEY, f"{reply.mode}:{reply.room}")
        if self.token != reply.token:
            raise EnrollmentError("the kiosk could not store its token",
                                  "kiosk nie zdołał zapisać swojego tokenu")

    def _enrollment_key(self) -> Ed25519PrivateKey:
        """The key this enrollment's requests name, kept on disk with the pending
        enrollment so that every retry (and the token it yields) goes with one key."""
        text = self.store.reader.get_meta(CHAIN_PENDING_KEY)
        if text:
            return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))
        key = Ed25519PrivateKey.generate()
        self.store.set_meta(CHAIN_PENDING_KEY,
                            base64.b64encode(key.private_bytes_raw()).decode())
        return key

    def _enrollment_failed(self, *, forget_token: bool, keep_pending: bool = False) -> None:
        """Forget an enrollment the admin will not finish (unless a later try may), and
        a token the admin refuses: the kiosk then says "not enrolled", which is true."""
        with self.store.write():
            if not keep_pending:
                self.store.set_meta(PENDING_KEY, None)
            if forget_token:
                self.store.set_meta(TOKEN_KEY, None)

    # -- state -----------------------------------------------------------------------------------

    @property
    def state(self) -> SyncState:
        with self._state_lock:
            return self._state

    def _set_state(self, **changes: Any) -> None:
        with self._state_lock:
            new = replace(self._state, **changes)
            changed, self._state = new != self._state, new
        if changed:
            self.bus.publish("sync", {k: v for k, v in new.__dict__.items()}, sticky=True)

    # -- one contact -----------------------------------------------------------------------------

    def contact(self) -> ContactReport:
        """Push, pull, heartbeat. Raises TransportError / SyncRejected."""
        pending = self._pending()
        if pending is not None:
            try:
                self._resume(pending)
            except TransportError:
                if not self.token or self.store.reader.get_meta(URL_KEY) == pending.url:
                    raise
                # Still enrolled with another admin: keep syncing there meanwhile.
        url, token = self.admin_url, self.token
        if not url or not token:
            revoked = self.store.reader.get_meta(REVOKED_KEY)
            if revoked:
                self._set_state(status="revoked", message=revoked)
            else:
                self._set_state(status="not_enrolled", message="run 'bramka kiosk enroll'")
            return ContactReport()
        report = ContactReport(pushed=self._push(url, token))
        try:
            report.roster_applied = self._pull(url, token)
        except (TransportError, SyncRejected, RosterError) as exc:
            # Health and commands still go through; the pull is tried again next time.
            if isinstance(exc, SyncRejected) and exc.code == "kiosk_revoked":
                raise
            report.commands = self._heartbeat(url, token)
            raise
        report.commands = self._heartbeat(url, token)
        now = datetime.now(UTC).isoformat()
        self._set_state(status="ok", message="", code="", last_contact_at=now,
                        pushed_total=self.state.pushed_total + report.pushed)
        return report

    def _resume(self, pending: PendingEnrollment) -> None:
        """Finish an enrollment the CLI (or a QR) began over a failing network: confirm
        the stored token, or exchange the code again with the same request id. Network
        failures propagate (the thread backs off and tries again)."""
        if pending.expired(datetime.now(UTC)):
            log.warning("the enrollment with %s was not finished in time: dropped", pending.url)
            self.store.set_meta(PENDING_KEY, None)
            return
        log.info("finishing the enrollment with %s", pending.url)
        try:
            self._complete(pending, exchange_first=False)
        except (EnrollmentUnconfirmed, EnrollmentUnreachable) as exc:
            raise TransportError(str(exc)) from None
        except EnrollmentError as exc:
            log.warning("enrollment with %s not finished: %s", pending.url, exc)
            self._set_state(status="not_enrolled", message=str(exc))

    def _push(self, url: str, token: str) -> int:
        """Upload the outbox, oldest first, with up to :data:`PUSH_WINDOW` batches in
        flight: the next batch is read and sent while the admin commits the previous one.
        Scans are marked sent only as the admin confirms them; a failed batch stays in
        the outbox (the admin stores every scan once, so resending is harmless)."""
        pushed, after, more = 0, 0, True
        in_flight: deque[tuple[set[str], Future[ScanReceipt], Any]] = deque()
        with ThreadPoolExecutor(PUSH_WINDOW, thread_name_prefix="sync-push") as pool:
            try:
                while True:
                    while more and len(in_flight) < PUSH_WINDOW and not self._stop.is_set():
                        batch, after = self.store.reader.outbox_page(
                            self.settings.batch_size, after)
                        if not batch:
                            more = False
                            break
                        body = ScanBatch(clock=clock_sample(self.checkin.clock()), scans=batch,
                                         head_signature=self._sign_head(batch))
                        call = (transport.call, url, "POST", "/scans", ScanReceipt)
                        kw = {"token": token, "body": body,
                              "timeout": self.settings.timeout_seconds}
                        in_flight.append(({s.id for s in batch}, pool.submit(*call, **kw),
                                          (call, kw)))
                    if not in_flight:
                        return pushed
                    sent, future, (call, kw) = in_flight.popleft()
                    try:
                        receipt = future.result()
                    except SyncRejected as exc:
                        # The batch overtook the one before it (both in flight) and the
                        # admin saw a gap in the chain: now that one is in, send it again.
                        if exc.code != "chain_broken" or not _is_gap(exc):
                            raise
                        receipt = call[0](*call[1:], **kw)
                    held = {q.id: q.reason for q in receipt.quarantined if q.id in sent}
                    confirmed = [i for i in receipt.stored if i in sent] + list(held)
                    pushed += self.store.mark_sent(confirmed, quarantined=held)
                    if held:
                        log.warning("admin holds %d scans in quarantine: %s", len(held),
                                    ", ".join(sorted(set(held.values()))))
                    if len(confirmed) < len(sent):
                        log.warning("admin confirmed %d of %d scans; the rest stay queued",
                                    len(confirmed), len(sent))
                        more = False
            finally:
                for _, future, _ in in_flight:  # after a failure: what is still out is resent
                    future.cancel()

    def _sign_head(self, batch: list[ScanRecord]) -> str:
        """The signature over the batch's last link (empty when it has none)."""
        linked = [s for s in batch if s.chain is not None]
        key_text = self.store.reader.get_meta(CHAIN_KEY)
        if not linked or not key_text:
            return ""
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key_text))
        last = linked[-1]
        assert last.seq is not None and last.chain is not None
        return sign_head(key, self.store.reader.get_meta(KIOSK_KEY) or last.kiosk_id, last.seq,
                         last.chain)

    def _pull(self, url: str, token: str) -> bool:
        cursor = self.store.reader.get_meta("cursor") or ""
        raw = transport.request(url, "GET", "/roster", token=token, query={"cursor": cursor},
                                timeout=max(self.settings.timeout_seconds, 30))
        try:
            snapshot = parse_snapshot(raw)
        except RosterError as exc:
            raise TransportError(f"roster from the admin not usable: {exc}") from None
        if not snapshot.full and snapshot.cursor == cursor:
            return False  # the admin's cursor did not move: nothing changed
        if snapshot.badge_template is not None:
            self._fetch_badge_images(url, token, snapshot.badge_template)
        self.checkin.apply_roster(snapshot)
        return True

    def _fetch_badge_images(self, url: str, token: str, template: BadgeTemplate) -> None:
        """Download the images of a new badge template that this kiosk lacks, each once:
        they are kept by hash before the roster applies (a failure leaves the cursor, so
        the next contact asks again)."""
        for ref in badge_store.missing(self.store.reader.db, template):
            try:
                data = transport.request(url, "GET", f"/badge-images/{ref.sha256}",
                                         token=token,
                                         timeout=max(self.settings.timeout_seconds, 30))
            except SyncRejected as exc:
                if exc.status != 404:
                    raise
                # replaced meanwhile by a newer template: the next roster names its images
                raise TransportError(f"badge image {ref.sha256[:12]}: {exc}") from None
            if image_digest(data) != ref.sha256:
                raise TransportError(f"badge image {ref.sha256[:12]} arrived damaged")
            with self.store.write() as db:
                badge_store.put_image(db, ref, data)

    def _heartbeat(self, url: str, token: str) -> int:
        saved = kiosk_plan.saved(self.store)
        health = Health(software=__version__, unsent_scans=self.store.reader.outbox_size(),
                        last_scan_at=self.store.reader.last_scan_at(),
                        roster_cursor=self.store.reader.get_meta("cursor") or "",
                        **{"plan_revision": saved.revision if saved else 0, **self._health()})
        results, self._results = self._results, []
        try:
            body = Heartbeat(clock=clock_sample(self.checkin.clock()), health=health,
                             results=results)
            reply = transport.call(url, "POST", "/heartbeat", HeartbeatReply, token=token,
                                   body=body, timeout=self.settings.timeout_seconds)
        except (TransportError, SyncRejected):
            self._results = results + self._results  # report them next time
            raise
        if reply.plan is not None:
            self._on_plan(reply.plan)
        done = set(json.loads(self.store.reader.get_meta(DONE_KEY) or "[]"))
        for command in reply.commands:
            if command.id in done:  # the admin did not hear our result yet: say it again
                self._results.append(CommandResult(id=command.id, ok=True))
                continue
            try:
                if self._on_command is None:
                    raise RuntimeError("this kiosk has no printer")
                self._on_command(command)
                self._results.append(CommandResult(id=command.id, ok=True))
            except Exception as exc:  # a command that fails is reported, never fatal
                log.warning("command %s failed: %s", command.id, exc)
                self._results.append(CommandResult(id=command.id, ok=False,
                                                   error=str(exc)[:500]))
            done.add(command.id)
            self.store.set_meta(DONE_KEY, json.dumps(sorted(done, key=_numeric)[-200:]))
        return len(reply.commands)

    # -- the thread ------------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Contact the admin now (a scan was made, or staff asked)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            delay = self.settings.interval_seconds
            try:
                self.contact()
                self._failures = 0
            except SyncRejected as exc:
                delay = self._rejected(exc)
            except TransportError as exc:
                delay = self._backoff(f"admin unreachable: {exc}", "offline")
            except Exception as exc:  # the sync thread must survive anything
                log.exception("sync failed")
                delay = self._backoff(f"sync error: {exc}", "offline")
            self._wake.wait(delay)
            self._wake.clear()

    def _backoff(self, message: str, status: SyncStatus, code: str = "") -> float:
        self._failures += 1
        cap = self.settings.max_backoff_seconds
        delay = min(cap, self.settings.interval_seconds * 2 ** min(self._failures - 1, 10))
        delay = random.uniform(delay / 2, delay)  # jitter: kiosks do not return in lockstep
        self._set_state(status=status, message=message, code=code,
                        last_error_at=datetime.now(UTC).isoformat())
        log.info("%s; next attempt in %.1f s", message, delay)
        return delay

    def _rejected(self, exc: SyncRejected) -> float:
        if exc.code == "kiosk_revoked":
            log.warning("this kiosk was revoked by the admin: wiping the roster")
            self.store.wipe_roster()
            self.store.set_meta(REVOKED_KEY, exc.error.message.en)
            self.bus.publish("roster", {"size": 0}, sticky=True)
            self._set_state(status="revoked", message=exc.error.message.en, code=exc.code)
            return self.settings.max_backoff_seconds
        if exc.code == "protocol_unsupported":
            # Worded here, not taken from the admin: a newer admin may say anything.
            detail = exc.error.detail if isinstance(exc.error.detail, dict) else {}
            supported = ", ".join(str(p) for p in detail.get("supported") or []) or "?"
            ours = detail.get("requested", "?")
            log.warning("the admin does not speak this kiosk's sync protocol %s (it speaks %s)",
                        ours, supported)
            return self._backoff(
                f"Update the kiosk software: the admin speaks sync protocol {supported}, "
                f"this kiosk {ours}.", "rejected", exc.code)
        if exc.retryable:
            return self._backoff(f"admin error: {exc}", "offline", exc.code)
        return self._backoff(exc.error.message.en, "rejected", exc.code)
