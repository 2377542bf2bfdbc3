"""What staff are warned about, in both languages."""

from __future__ import annotations

from datetime import date

import pytest
from support import make_roster

from bramka.config import KioskSettings
from kiosk.warnings import kiosk_warnings
from sync import token as tokens

EVENT = make_roster(tokens.generate_key()).event.model_copy(
    update={"starts_on": date(2026, 6, 16), "ends_on": date(2026, 6, 18)})
SAFE = KioskSettings(staff_pin="975310")


def codes(**kw):
    args = {"settings": SAFE, "event": EVENT, "local_today": date(2026, 6, 16),
            "printer": None, "camera": None, **kw}
    return [w.code for w in kiosk_warnings(**args)]


def test_a_healthy_kiosk_has_no_warnings():
    assert codes(printer={"status": "ready"}, camera={"status": "running"}) == []


def test_default_pin_and_missing_roster():
    assert codes(settings=KioskSettings(), event=None) == ["default_pin", "no_roster"]


def test_clock_outside_the_event_dates():
    assert codes(local_today=date(2026, 6, 19)) == ["clock_outside_event"]
    (w,) = kiosk_warnings(SAFE, EVENT, date(2025, 6, 16), None, None)
    assert "16.06.2025" in w.pl and "Check the clock" in w.en


def test_camera_and_printer_problems():
    assert codes(camera={"status": "unavailable"}) == ["camera_unavailable"]
    assert codes(printer={"status": "paper_out"}) == ["printer_paper_out"]
    (w,) = kiosk_warnings(SAFE, EVENT, date(2026, 6, 16),
                          {"status": "ready", "code": "queue_error",
                           "pl": "Błąd kolejki wydruku.", "en": "Print queue error."}, None)
    assert w.code == "printer_queue_error" and "Błąd kolejki wydruku" in w.pl
    (failed,) = kiosk_warnings(SAFE, EVENT, date(2026, 6, 16), {"status": "failed"}, None)
    assert "nie są drukowane" in failed.pl and "not printed" in failed.en


def test_planned_mode_on_the_admin_that_the_settings_contradict():
    assert codes(planned="entrance:") == []
    assert codes(planned="room:Sala 101") == ["mode_mismatch"]
    room = KioskSettings(staff_pin="975310", mode="room", room="Sala 101")
    assert codes(settings=room, planned="room:Sala 101") == []
    (w,) = kiosk_warnings(room, EVENT, date(2026, 6, 16), None, None, planned="room:Aula")
    assert "sala Aula" in w.pl and "room Aula" in w.en


def test_sync_trouble_is_told_in_words():
    assert codes(sync={"status": "ok"}) == []
    assert codes(sync={"status": "revoked"}) == ["sync_revoked"]
    assert codes(sync={"status": "rejected"}) == ["sync_rejected"]
    (w,) = kiosk_warnings(SAFE, EVENT, date(2026, 6, 16), None, None,
                          sync={"status": "offline"}, unsent=12)
    assert w.code == "sync_offline" and "(12)" in w.pl and "safely stored" in w.en


@pytest.mark.parametrize(("code", "pl", "en"), [
    ("protocol_unsupported", "zaktualizować", "needs an update"),
    ("chain_broken", "wysyłanie wstrzymane", "uploads are on hold"),
    ("", "przestarzałe oprogramowanie", "outdated software"),  # no code: the usual cause
])
def test_a_refusal_says_why_in_both_languages(code: str, pl: str, en: str) -> None:
    (w,) = kiosk_warnings(SAFE, EVENT, date(2026, 6, 16), None, None,
                          sync={"status": "rejected", "code": code})
    assert w.code == "sync_rejected" and pl in w.pl and en in w.en
