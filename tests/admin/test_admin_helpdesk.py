"""The help desk through its pages, as a volunteer."""

from __future__ import annotations

from datetime import timedelta

from admin_fixtures import add_person, make_event, span_today
from admin_testkit import Client
from sqlalchemy import Engine, select

from admin.queries import kiosks as q_kiosks
from admin.queries import people as q_people
from admin.schema import audit_log, badge_revisions, people
from sync.token import parse_public_key, verify
from sync.wire import Command


def _setup(engine: Engine) -> tuple[dict, int]:
    ev = make_event(engine)
    span_today(engine, ev["id"])  # the help desk admits only on the event's days
    lw = add_person(engine, ev["id"], "Łukasz", "Wójcik", "MOPS Kraków",
                    "lukasz.wojcik@mops.krakow.pl")
    add_person(engine, ev["id"], "Łucja", "Wójtowicz", "GOPS Gdów")
    with engine.begin() as conn:
        q_kiosks.ensure_kiosk(conn, "wejscie-1", ev["id"], "Wejście główne 1")
        q_kiosks.record_status(conn, "wejscie-1", printer_state="ready")
    return ev, lw


def test_search_json_without_polish_letters(volunteer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    data = volunteer.get(f"/events/{ev['id']}/helpdesk/search.json?q=lukasz+wojc").get_json()
    assert data["results"][0]["id"] == lw
    assert data["results"][0]["name"] == "Łukasz Wójcik"
    assert data["results"][0]["checked_in"] is False
    # The index follows changes: a walk-in is findable at once.
    volunteer.post(f"/events/{ev['id']}/walk-in", {"first_name": "Zofia",
                                                   "last_name": "Wiśniewska", "check_in": "1"})
    data = volunteer.get(f"/events/{ev['id']}/helpdesk/search.json?q=wisniew").get_json()
    assert data["results"][0]["name"] == "Zofia Wiśniewska"
    assert data["results"][0]["checked_in"] is True


def test_search_page_works_without_javascript(volunteer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    page = volunteer.get(f"/events/{ev['id']}/helpdesk?q=wojcik").get_data(as_text=True)
    assert f"/people/{lw}" in page and "Łukasz Wójcik" in page
    assert volunteer.get("/helpdesk").headers["Location"].endswith(f"/events/{ev['id']}/helpdesk")


def test_replace_badge_and_send_reprint_to_a_kiosk(volunteer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    resp = volunteer.post(f"/people/{lw}/badge", {"reason": "zgubiony", "kiosk_id": "wejscie-1"})
    assert resp.status_code == 302
    page = volunteer.get(f"/people/{lw}").get_data(as_text=True)
    assert 'id="badge-revision">2<' in page
    assert "Wydruk wysłany do kiosku „Wejście główne 1”" in page  # its name, not its id
    assert "flash warn" not in page
    with engine.connect() as conn:
        revs = conn.execute(select(badge_revisions).where(badge_revisions.c.person_id == lw)
                            .order_by(badge_revisions.c.revision)).mappings().all()
        commands = q_kiosks.pending_commands(conn, "wejscie-1")
    assert [r["revision"] for r in revs] == [1, 2]
    assert revs[0]["revoked_at"] is not None and revs[1]["revoked_at"] is None
    assert len(commands) == 1 and commands[0]["kind"] == "reprint"
    # What the sync layer hands the kiosk: a wire Command, as it is.
    command = Command(id=str(commands[0]["id"]), kind=commands[0]["kind"],
                      **commands[0]["payload"])
    assert command.attendee_id == lw and command.badge.name == "Łukasz Wójcik"
    payload = command.badge.model_dump()
    from admin.queries.events import public_keys

    with engine.connect() as conn:
        keys = [parse_public_key(k) for k in public_keys(conn, ev["id"])]
    assert verify(payload["token"], keys, ev["id"]).revision == 2


def test_qr_png_of_the_current_badge(volunteer: Client, engine: Engine) -> None:
    import io

    import zxingcpp
    from PIL import Image

    ev, lw = _setup(engine)
    resp = volunteer.get(f"/people/{lw}/qr.png")
    assert resp.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(resp.data)))
    assert len(decoded) == 1 and len(decoded[0].text) == 120


def test_fix_a_typo_in_a_name(volunteer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    volunteer.post(f"/people/{lw}/edit", {"first_name": "Łukasz", "last_name": "Wójcick",
                                          "institution": "MOPS Kraków", "role": "participant",
                                          "email": "lukasz.wojcik@mops.krakow.pl"})
    with engine.connect() as conn:
        assert q_people.get_person(conn, lw)["last_name"] == "Wójcick"
        log = conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "edit"))
        assert "Wójcick" in log.scalar_one()
    resp = volunteer.post(f"/people/{lw}/edit", {"first_name": "", "last_name": "X"})
    page = volunteer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Podaj imię i nazwisko" in page


def test_check_in_by_hand_shows_on_the_person_page(volunteer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    panel = _session_now(engine, ev)
    volunteer.post(f"/people/{lw}/checkin", {"session_id": ""})
    volunteer.post(f"/people/{lw}/checkin", {"session_id": str(panel)})
    page = volunteer.get(f"/people/{lw}").get_data(as_text=True)
    presence = page.split("<tbody>")[1].split("</tbody>")[0]
    assert "wejście główne" in presence and "Panel: usługi społeczne" in presence
    resp = volunteer.post(f"/people/{lw}/checkin", {"session_id": ""})
    page = volunteer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "już wpuszczona" in page


def test_cancelled_person_cannot_be_checked_in(volunteer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    volunteer.post(f"/people/{lw}/edit", {"first_name": "Łukasz", "last_name": "Wójcik",
                                          "status": "cancelled", "role": "participant"})
    resp = volunteer.post(f"/people/{lw}/checkin", {"session_id": ""})
    assert "anulowana" in volunteer.get(resp.headers["Location"]).get_data(as_text=True)


def test_walk_in_with_badge_print(volunteer: Client, engine: Engine) -> None:
    ev, _ = _setup(engine)
    resp = volunteer.post(f"/events/{ev['id']}/walk-in", {
        "first_name": "Paweł", "last_name": "Dąbrowski", "institution": "PCPR Limanowa",
        "email": "pd@pcpr.pl", "role": "press", "kiosk_id": "wejscie-1", "check_in": "1"})
    assert resp.status_code == 302
    with engine.connect() as conn:
        p = conn.execute(select(people).where(people.c.email == "pd@pcpr.pl")).mappings().one()
        commands = q_kiosks.pending_commands(conn, "wejscie-1")
    assert p["source"] == "walk_in" and p["role"] == "press"
    assert commands[0]["payload"]["attendee_id"] == p["id"]
    # The same e-mail again is not registered: the page points at the existing person.
    resp = volunteer.post(f"/events/{ev['id']}/walk-in", {
        "first_name": "Paweł", "last_name": "Dąbrowski", "email": "PD@pcpr.pl"})
    assert resp.status_code == 200
    assert f'href="/people/{p["id"]}"' in resp.get_data(as_text=True)


def test_walk_in_to_unknown_kiosk_changes_nothing(volunteer: Client, engine: Engine) -> None:
    ev, _ = _setup(engine)
    volunteer.post(f"/events/{ev['id']}/walk-in", {
        "first_name": "Ewa", "last_name": "Mazur", "kiosk_id": "no-such-kiosk"})
    with engine.connect() as conn:
        assert conn.execute(select(people.c.id).where(people.c.last_name == "Mazur")).first() \
            is None


def test_register_for_a_workshop_at_the_desk(volunteer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    others = [add_person(engine, ev["id"], f"Osoba{i}", "X") for i in range(2)]
    url = f"/people/{lw}/registrations"
    volunteer.post(f"/people/{others[0]}/registrations", {"session_id": str(ev["workshop"])})
    volunteer.post(url, {"session_id": str(ev["workshop"])})
    page = volunteer.get(f"/people/{lw}").get_data(as_text=True)
    assert "Warsztat: piecza zastępcza" in page.split('id="registrations"')[1].split("</ul>")[0]
    # Capacity 2 is now full: the third person is refused.
    resp = volunteer.post(f"/people/{others[1]}/registrations",
                          {"session_id": str(ev["workshop"])})
    assert "Brak wolnych miejsc (2/2)" in volunteer.get(resp.headers["Location"]).get_data(
        as_text=True)
    volunteer.post(url, {"session_id": str(ev["workshop"]), "action": "remove"})
    page = volunteer.get(f"/people/{lw}").get_data(as_text=True)
    assert "Brak zapisów" in page
    other_event = make_event(engine)
    resp = volunteer.post(url, {"session_id": str(other_event["workshop"])})
    assert "Nie ma takiej sesji" in volunteer.get(resp.headers["Location"]).get_data(
        as_text=True)


def _session_now(engine: Engine, ev: dict, **extra: object) -> int:
    from datetime import UTC, datetime, timedelta

    from admin.queries import program as q_program

    now = datetime.now(UTC)
    with engine.begin() as conn:
        return q_program.add_session(conn, ev["id"], {
            "title": extra.pop("title", "Panel: usługi społeczne"), "kind": "session",
            "room_id": ev["sala"], "starts_at": now - timedelta(minutes=10),
            "ends_at": now + timedelta(hours=1), "capacity": None, **extra})


def _session_scans(engine: Engine, session_id: int) -> list[dict]:
    from admin.schema import scans

    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(scans).where(scans.c.session_id == session_id)).mappings()]


def test_help_desk_entry_into_a_session_that_has_not_started_is_refused(
        volunteer: Client, engine: Engine) -> None:
    """The side event is tomorrow: the desk may not put anyone on its list today."""
    ev, lw = _setup(engine)
    resp = volunteer.post(f"/people/{lw}/checkin", {"session_id": str(ev["walk"])})
    page = volunteer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Nie wpuszczono" in page and "nie przyjmuje teraz wejść" in page
    assert "Zapisano wejście" not in page
    assert 'id="override-hint"' in page and 'id="override"' not in page
    assert _session_scans(engine, ev["walk"]) == []
    # A volunteer cannot go past the rules by sending a reason.
    resp = volunteer.post(f"/people/{lw}/checkin", {"session_id": str(ev["walk"]),
                                                    "override_reason": "bo tak trzeba"})
    assert "Tylko organizator" in volunteer.get(resp.headers["Location"]).get_data(as_text=True)
    assert _session_scans(engine, ev["walk"]) == []


def test_help_desk_follows_registration_and_capacity_like_a_kiosk(
        volunteer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    closed = _session_now(engine, ev, title="Warsztat z zapisami", registration_required=True)
    resp = volunteer.post(f"/people/{lw}/checkin", {"session_id": str(closed)})
    assert "nie jest zapisana" in volunteer.get(resp.headers["Location"]).get_data(as_text=True)
    assert _session_scans(engine, closed) == []
    small = _session_now(engine, ev, title="Mała sala", capacity=1)
    other = add_person(engine, ev["id"], "Anna", "Nowak")
    volunteer.post(f"/people/{other}/checkin", {"session_id": str(small)})
    resp = volunteer.post(f"/people/{lw}/checkin", {"session_id": str(small)})
    assert "pełna" in volunteer.get(resp.headers["Location"]).get_data(as_text=True)
    assert [s["attendee_id"] for s in _session_scans(engine, small)] == [other]
    open_now = _session_now(engine, ev, title="Sesja otwarta")
    resp = volunteer.post(f"/people/{lw}/checkin", {"session_id": str(open_now)})
    assert "Zapisano wejście" in volunteer.get(resp.headers["Location"]).get_data(as_text=True)
    assert [s["attendee_id"] for s in _session_scans(engine, open_now)] == [lw]


def test_organizer_override_asks_for_a_reason_and_the_list_shows_it(
        organizer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    resp = organizer.post(f"/people/{lw}/checkin", {"session_id": str(ev["walk"])})
    page = organizer.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="override"' in page and 'name="override_reason"' in page
    resp = organizer.post(f"/people/{lw}/checkin", {"session_id": str(ev["walk"]),
                                                    "override_reason": "  "})
    assert _session_scans(engine, ev["walk"]) == []
    resp = organizer.post(f"/people/{lw}/checkin", {
        "session_id": str(ev["walk"]), "override_reason": "przyjechała wcześniej autobusem"})
    assert "Zapisano wejście" in organizer.get(resp.headers["Location"]).get_data(as_text=True)
    [row] = _session_scans(engine, ev["walk"])
    assert row["override_reason"] == "przyjechała wcześniej autobusem"
    csv = organizer.get(f"/sessions/{ev['walk']}/attendance.csv").get_data(as_text=True)
    line = next(x for x in csv.splitlines() if "Wójcik" in x)
    assert "wpis ręczny: przyjechała wcześniej autobusem" in line
    with engine.connect() as conn:
        details = list(conn.execute(select(audit_log.c.detail).where(
            audit_log.c.action == "check_in")).scalars())
    assert any("override: przyjechała" in d for d in details)


def _kiosk(engine: Engine, kiosk_id: str, event_id: int, name: str, printer: str,
           contact_ago: timedelta = timedelta(0)) -> None:
    from admin.schema import utcnow

    with engine.begin() as conn:
        q_kiosks.ensure_kiosk(conn, kiosk_id, event_id, name)
        q_kiosks.record_status(conn, kiosk_id, printer_state=printer,
                               at=utcnow() - contact_ago)


def _commands(engine: Engine, kiosk_id: str) -> list[dict]:
    with engine.connect() as conn:
        return q_kiosks.pending_commands(conn, kiosk_id)


def test_a_kiosk_without_a_printer_is_refused_and_the_working_ones_named(
        volunteer: Client, engine: Engine) -> None:
    """Nothing is sent where it can never print, and the lost badge is not revoked for it."""
    ev, lw = _setup(engine)
    _kiosk(engine, "sala-1", ev["id"], "Sala 101", "off")
    resp = volunteer.post(f"/people/{lw}/badge", {"reason": "zgubiony", "kiosk_id": "sala-1"})
    assert resp.status_code == 302
    page = volunteer.get(f"/people/{lw}").get_data(as_text=True)
    assert "Kiosk „Sala 101” nie ma drukarki: nic nie wysłano." in page
    assert "Drukarki działają w: Wejście główne 1." in page
    assert 'id="badge-revision">1<' in page  # the old badge still works
    assert _commands(engine, "sala-1") == []
    volunteer.post(f"/people/{lw}/print", {"kiosk_id": "sala-1"})
    assert _commands(engine, "sala-1") == []


def test_a_printer_fault_queues_the_print_with_a_warning(volunteer: Client,
                                                         engine: Engine) -> None:
    ev, lw = _setup(engine)
    _kiosk(engine, "wejscie-2", ev["id"], "Wejście boczne", "paper_out")
    volunteer.post(f"/people/{lw}/print", {"kiosk_id": "wejscie-2"})
    page = volunteer.get(f"/people/{lw}").get_data(as_text=True)
    assert "Uwaga: kiosk „Wejście boczne”: brak papieru." in page
    assert "Drukarki działają w: Wejście główne 1." in page
    assert "Wydruk wysłany do kiosku „Wejście boczne”" in page
    assert len(_commands(engine, "wejscie-2")) == 1  # it prints once paper is in
    # A kiosk silent for a while is warned about too, whatever its last word was.
    _kiosk(engine, "wejscie-3", ev["id"], "Wejście C", "ready", timedelta(minutes=30))
    volunteer.post(f"/people/{lw}/print", {"kiosk_id": "wejscie-3"})
    assert "kiosk „Wejście C”: brak kontaktu z kioskiem" in volunteer.get(
        f"/people/{lw}").get_data(as_text=True)


def test_print_choices_put_working_printers_first_and_choose_one(
        volunteer: Client, engine: Engine) -> None:
    import re

    ev, lw = _setup(engine)
    _kiosk(engine, "a-sala", ev["id"], "A sala bez drukarki", "off")
    _kiosk(engine, "b-papier", ev["id"], "B wejście", "paper_out")
    for url in (f"/people/{lw}", f"/events/{ev['id']}/walk-in"):
        page = volunteer.get(url).get_data(as_text=True)
        select = page[page.index('name="kiosk_id"'):]
        select = select[:select.index("</select>")]
        options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)<', select)
        kiosks = [(value, bool(chosen)) for value, chosen, _ in options if value]
        assert kiosks == [("wejscie-1", True), ("a-sala", False), ("b-papier", False)], url
        words = {value: text for value, _, text in options}
        assert "bez drukarki · nie drukuje" in words["a-sala"]
        assert "brak papieru · nie drukuje" in words["b-papier"]
        assert "drukarka gotowa" in words["wejscie-1"]


def test_each_print_shows_its_state_and_the_kiosks_words(volunteer: Client,
                                                         engine: Engine) -> None:
    from admin.queries import sync as q_sync
    from sync.wire import CommandResult

    ev, lw = _setup(engine)
    volunteer.post(f"/people/{lw}/print", {"kiosk_id": "wejscie-1"})
    [line] = volunteer.get(f"/people/{lw}/prints.json").get_json()["prints"]
    assert line["open"] and "„Wejście główne 1”: czeka, aż kiosk się połączy" in line["text"]
    with engine.begin() as conn:
        [command] = q_sync.deliver_commands(conn, "wejscie-1")
    assert "wysłany do kiosku" in volunteer.get(
        f"/people/{lw}/prints.json").get_json()["prints"][0]["text"]
    with engine.begin() as conn:
        q_sync.record_results(conn, "wejscie-1", [CommandResult(
            id=command.id, ok=False, error="printer out of paper")])
    [line] = volunteer.get(f"/people/{lw}/prints.json").get_json()["prints"]
    assert (line["status"], line["open"]) == ("failed", False)
    assert "kiosk nie wydrukował (printer out of paper)" in line["text"]
    page = volunteer.get(f"/people/{lw}").get_data(as_text=True)
    assert "kiosk nie wydrukował (printer out of paper)" in page


def test_a_walk_in_who_is_registered_already_is_offered_not_doubled(
        volunteer: Client, engine: Engine) -> None:
    """"Anna Kowalska, MOPS Kraków", registered and checked in, comes to the desk again."""
    from sqlalchemy import func

    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska", "MOPS Kraków", "anna@mops.pl")
    add_person(engine, ev["id"], "Anna", "Kowalska", "GOPS Gdów")  # a namesake elsewhere

    def count() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(people)).scalar_one()

    form = {"first_name": "anna", "last_name": "KOWALSKA", "institution": "MOPS Krakow",
            "role": "participant"}
    page = volunteer.post(f"/events/{ev['id']}/walk-in", form).get_data(as_text=True)
    assert count() == 2  # nothing created yet
    matches = page[page.index('id="walk-in-matches"'):page.index("</section>")]
    assert f'href="/people/{anna}"' in matches and "MOPS Kraków" in matches
    assert matches.index("MOPS Kraków") < matches.index("GOPS Gdów")  # the likelier first
    assert "to samo imię, nazwisko i instytucja" in matches
    assert 'name="confirm_new" value="1"' in page and 'value="KOWALSKA"' in page
    # Someone else after all: registered when the volunteer says so.
    resp = volunteer.post(f"/events/{ev['id']}/walk-in", {**form, "confirm_new": "1"})
    assert resp.status_code == 302 and count() == 3
    # The same e-mail is the same person: no "register anyway" at all.
    page = volunteer.post(f"/events/{ev['id']}/walk-in", {
        "first_name": "Ania", "last_name": "Nowak", "email": "ANNA@mops.pl"}).get_data(
        as_text=True)
    assert "ten sam e-mail" in page and "confirm_new" not in page and count() == 3


def test_a_new_badge_asks_for_its_reason(volunteer: Client, engine: Engine) -> None:
    ev, lw = _setup(engine)
    page = volunteer.get(f"/people/{lw}").get_data(as_text=True)
    reason = page[page.index('name="reason"'):].split(">", 1)[0]
    assert "required" in reason and "value=" not in reason  # nothing pre-filled


def test_the_help_desk_admits_nobody_on_a_day_without_the_event(volunteer: Client,
                                                                  engine: Engine) -> None:
    """As the kiosk's entrance and the upload judge: a check-in in December into a June
    congress is refused, nothing is recorded."""
    from admin.schema import scans

    ev = make_event(engine)  # 15-17 June 2026; the test runs on another day
    lw = add_person(engine, ev["id"], "Łukasz", "Wójcik")
    volunteer.post(f"/people/{lw}/checkin", {"session_id": ""})
    page = volunteer.get(f"/people/{lw}").get_data(as_text=True)
    assert "Dziś nie ma tego wydarzenia" in page
    with engine.connect() as conn:
        assert conn.execute(select(scans.c.id)).first() is None
