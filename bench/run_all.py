"""Run every benchmark and print one table (Markdown), optionally into the README.

    .venv/bin/python bench/run_all.py            # run all, print the table
    .venv/bin/python bench/run_all.py --table    # only print the table from saved results
    .venv/bin/python bench/run_all.py --readme   # also write the table into README.md
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE.parent / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

Row = tuple[str, str, str, str]  # measure, result, target, verdict


def _ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def _decode(d: dict[str, Any]) -> list[Row]:
    rows = []
    for r in d["results"]:
        if r["decoder"] == "zxing":
            rows.append(("Decode 640×480, zxing (default): code / empty, median",
                          f"{r['code_median_ms']} / {r['empty_median_ms']} ms",
                          "≤ 1.5 / ≤ 1 ms",
                          _ok(r["code_median_ms"] <= 1.5 and r["empty_median_ms"] <= 1)))
        elif r["decoder"] == "zbar":
            rows.append(("Decode 640×480, zbar: code / empty, median",
                         f"{r['code_median_ms']} / {r['empty_median_ms']} ms", "report", ""))
    return rows


def _latency(d: dict[str, Any]) -> list[Row]:
    return [(
        f"Badge in view → result on the event stream, {d['clips']} replayed clips, p95",
        f"{d['p95_ms']} ms from the first readable frame ({d['from_first_appearance']['p95_ms']}"
        f" ms from first appearance); misreads {d['misreads']}, missed {d['missed']}",
        "≤ 300 ms, 0 misreads",
        _ok(d["p95_ms"] <= 300 and d["misreads"] == 0 and d["missed"] == 0),
    )]


def _checkin(d: dict[str, Any]) -> list[Row]:
    e, r = d["results"]["entrance"], d["results"]["room"]
    worst = max(e["p99_ms"], r["p99_ms"])
    return [("Decide + durable record (fsync), p99: entrance / room",
             f"{e['p99_ms']} / {r['p99_ms']} ms", "≤ 5 ms", _ok(worst <= 5))]


def _scan_cpu(d: dict[str, Any]) -> list[Row]:
    share = d["scan"]["cpu_share"] * 100
    return [("Kiosk scanning 30 fps 640×480: CPU of one core / peak RSS",
             f"{share:.1f} % / {d['peak_rss_mb']} MB", "≤ 15 % / ≤ 150 MB",
             _ok(share <= 15 and d["peak_rss_mb"] <= 150))]


def _badge(d: dict[str, Any]) -> list[Row]:
    r, q = d["render_encode_576"], d["enqueue_to_last_byte_576"]
    return [
        ("Badge render + ESC/POS encode (576 dots), median", f"{r['median_ms']} ms", "≤ 50 ms",
         _ok(r["median_ms"] <= 50)),
        ("Print job queued → last byte at the virtual printer, p95", f"{q['p95_ms']} ms",
         "≤ 150 ms", _ok(q["p95_ms"] <= 150)),
    ]


def _sheets(d: dict[str, Any]) -> list[Row]:
    return [(f"A4 badge sheets PDF, {d['attendees']} attendees",
             f"{d['seconds']} s ({d['pages']} pages)", "≤ 10 s", _ok(d["seconds"] <= 10))]


def _admin(d: dict[str, Any]) -> list[Row]:
    t = d["targets"]
    rows = []
    for db, r in d["results"].items():
        rows += [
            (f"Admin ({db}): import of {d['people']} people from a sheet", f"{r['import_s']} s",
             f"≤ {t['import_s']:g} s", _ok(r["import_s"] <= t["import_s"])),
            (f"Admin ({db}): storing {d['scans']} uploaded scans (batches of 500)",
             f"{r['record_200k_scans_s']} s", "report", ""),
            (f"Admin ({db}): dashboard data, p95", f"{r['dashboard_p95_ms']} ms",
             f"≤ {t['dashboard_p95_ms']:g} ms",
             _ok(r["dashboard_p95_ms"] <= t["dashboard_p95_ms"])),
            (f"Admin ({db}): help-desk search, p95", f"{r['search_p95_ms']} ms",
             f"≤ {t['search_p95_ms']:g} ms", _ok(r["search_p95_ms"] <= t["search_p95_ms"])),
            (f"Admin ({db}): attendance PDF, 500-person session", f"{r['pdf_s']} s",
             f"≤ {t['pdf_s']:g} s", _ok(r["pdf_s"] <= t["pdf_s"])),
        ]
    return rows


def _sync(d: dict[str, Any]) -> list[Row]:
    t = d["targets"]
    rows = []
    for db, r in d["results"].items():
        b, ro, f = r["backlog"], r["roster"], r["fleet"]
        rows += [
            (f"Sync ({db}): {b['scans']} offline scans, outbox → admin commit → marked sent",
             f"{b['scans_per_s']} scans/s ({b['seconds']} s)",
             f"≥ {t['backlog_scans_per_s']} scans/s (pretix: 12/s)",
             _ok(b["scans_per_s"] >= t["backlog_scans_per_s"])),
            (f"Sync ({db}): first roster download, {ro['attendees']} attendees, applied",
             f"{ro['first_download_cold_s']} s ({ro['first_download_warm_s']} s with the "
             f"admin's snapshot cached)", f"≤ {t['roster_first_s']:g} s (pretix: 5 000 in 19 s)",
             _ok(ro["first_download_cold_s"] <= t["roster_first_s"])),
            (f"Sync ({db}): first roster download on the wire (gzip), per attendee",
             f"{ro['bytes_per_attendee']} B ({ro['gzip_bytes'] // 1024} KiB in all)",
             f"≤ {t['roster_bytes_per_attendee']} B",
             _ok(ro["bytes_per_attendee"] <= t["roster_bytes_per_attendee"])),
            (f"Sync ({db}): idle roster poll (cursor unchanged), median of 50",
             f"{ro['idle_poll']['median_ms']} ms", f"≤ {t['idle_poll_median_ms']:g} ms",
             _ok(ro["idle_poll"]["median_ms"] <= t["idle_poll_median_ms"])),
            (f"Sync ({db}): {f['kiosks']} kiosks every {f['interval_s']:g} s "
             f"({f['contacts_per_s']} contacts/s): admin CPU of one core / contact p95",
             f"{f['admin_cpu_share'] * 100:.1f} % / {f['latency']['p95_ms']} ms "
             f"({f['errors']} errors)", "report", ""),
        ]
    return rows


def _audit(d: dict[str, Any]) -> list[Row]:
    t = d["targets"]["audit_verify_s"]
    return [(f"Audit ({db}): `bramka admin audit verify` of {r['scans']} stored scans "
             f"({r['heads']} signed heads)", f"{r['seconds']} s", f"≤ {t:g} s",
             _ok(r["seconds"] <= t)) for db, r in d["results"].items()]


def _documents(d: dict[str, Any]) -> list[Row]:
    t, r = d["targets"], d["results"]
    return [("Documents (sqlite): minutes present for a 20 000-person attendance list",
             f"{r['minutes_20k_s']} s", f"≤ {t['minutes_20k_s']:g} s",
             _ok(r["minutes_20k_s"] <= t["minutes_20k_s"])),
            ("Documents (sqlite): 500 certificates as one ZIP (HTTP route)",
             f"{r['certificates_500_s']} s", f"≤ {t['certificates_500_s']:g} s",
             _ok(r["certificates_500_s"] <= t["certificates_500_s"]))]


def _fleet_processes(d: dict[str, Any]) -> list[Row]:
    lat = d["latency"]
    return [(f"Admin as {d['processes']} processes (PostgreSQL): {d['kiosks']} kiosks every "
             f"{d['interval_s']:g} s ({d['contacts_per_s']} contacts/s), contact p95",
             f"{lat['p95_ms']:.0f} ms (median {lat['median_ms']:.0f}); admins' CPU "
             f"{d['admin_cpu_share'] * 100:.0f} % of a core; errors {d['errors']}",
             "≤ 50 ms", _ok(lat["p95_ms"] <= d["target_p95_ms"] and d["errors"] == 0))]


def _mail(d: dict[str, Any]) -> list[Row]:
    t = d["targets"]
    rows = []
    for db, r in d["results"].items():
        twice = r["server"]["most_per_recipient"] > 1
        rows.append((
            f"Mail ({db}): {r['invitations']} invitations to a local SMTP server, "
            f"{r['connections']} reused connections",
            f"{r['seconds']} s ({r['per_s']}/s, {r['mean_message_kib']} KiB each, "
            f"{r['connections_opened']} connections opened"
            + (", some mailed twice" if twice else ", nobody twice") + ")",
            f"≤ {t['mail_s']:g} s", _ok(r["seconds"] <= t["mail_s"] and not twice)))
    return rows


def _on_serial(name: str) -> bool:
    """A ZPL printer or ESC/POS at half density (what a serial backend gets): the 2 s
    target applies; full-density ESC/POS goes by network or USB, a QL or CUPS has no
    serial port."""
    return name.startswith("zpl") or name.endswith("@half")


def _label_printers(d: dict[str, Any]) -> list[Row]:
    t = d["targets"]
    rows = []
    for name, r in d["render_encode"].items():
        rows.append((f"Label badge render + encode, {name}, median", f"{r['median_ms']} ms",
                     f"≤ {t['render_encode_median_ms']} ms",
                     _ok(r["median_ms"] <= t["render_encode_median_ms"])))
    for name, r in d["scan_to_last_byte"].items():
        rows.append((f"Label badge scan → last byte at the virtual printer, {name}, p95",
                     f"{r['p95_ms']} ms", f"≤ {t['scan_to_last_byte_p95_ms']} ms",
                     _ok(r["p95_ms"] <= t["scan_to_last_byte_p95_ms"])))
    for name, pair in d.get("render_encode_template", {}).items():
        r = pair["template"]
        rows.append((f"Badge with a template (logo, funding strip, role colours), {name}: "
                     "render + encode, median", f"{r['median_ms']} ms (default badge "
                     f"{pair['default']['median_ms']} ms)", f"≤ {t['render_encode_median_ms']} ms",
                     _ok(r["median_ms"] <= t["render_encode_median_ms"])))
    for name, r in d["render_encode"].items():
        serial = _on_serial(name)
        rows.append((f"Label badge bytes on the wire, {name}, largest",
                     f"{r['max_bytes']} B ({r['serial_115200_s']} s at 115 200 baud)",
                     f"< {t['serial_s']} s at 115 200 baud" if serial
                     else "report (network / USB)",
                     _ok(r["serial_115200_s"] < t["serial_s"]) if serial else ""))
    return rows
def _print_queue(d: dict[str, Any]) -> list[Row]:
    t, r = d["targets"], d["results"]
    e, p, c = r["enqueue"], r["enqueue_while_printing"], r["checkin_paper_out"]
    return [
        ("Print job queued and committed (fsync), median / p99", f"{e['median_ms']} / "
         f"{e['p99_ms']} ms", f"≤ {t['enqueue_median_ms']:g} ms median",
         _ok(e["median_ms"] <= t["enqueue_median_ms"])),
        ("Print job queued while the worker prints a slow badge, max", f"{p['max_ms']} ms",
         f"≤ {t['enqueue_while_printing_max_ms']:g} ms",
         _ok(p["max_ms"] <= t["enqueue_while_printing_max_ms"])),
        (f"Entrance check-in with the printer out of paper, {c['n']} scans, p99",
         f"{c['p99_ms']} ms", f"≤ {t['checkin_paper_out_p99_ms']:g} ms",
         _ok(c["p99_ms"] <= t["checkin_paper_out_p99_ms"])),
    ]


def _import_plan(d: dict[str, Any]) -> list[Row]:
    return [(f"Admin import preview: plan of {d['rows']} CSV rows, median of {d['runs']}",
             f"{d['median_s']} s", f"≤ {d['target_s']:g} s", _ok(d["median_s"] <= d["target_s"]))]


def _self_service(d: dict[str, Any]) -> list[Row]:
    k = d["keystroke"]
    return [(f"Self-service lookup on a kiosk, {d['people']} people: keystroke → results "
             f"over HTTP, {d['keystrokes']} keystrokes, p95",
             f"{k['p95_ms']} ms (median {k['median_ms']}; first lookup, building the index, "
             f"{d['first_lookup_s']} s)", f"≤ {d['target_p95_ms']:g} ms",
             _ok(k["p95_ms"] <= d["target_p95_ms"]))]


SCRIPTS: list[tuple[str, str, Callable[[dict[str, Any]], list[Row]]]] = [
    ("bench_decode.py", "decode.json", _decode),
    ("bench_latency.py", "latency_zxing.json", _latency),
    ("bench_checkin.py", "checkin.json", _checkin),
    ("bench_scan_cpu.py", "scan_cpu.json", _scan_cpu),
    ("bench_badge.py", "badge.json", _badge),
    ("bench_label_printers.py", "label_printers.json", _label_printers),
    ("bench_sheets.py", "sheets.json", _sheets),
    ("bench_admin.py", "admin.json", _admin),  # SQLite only here; --pg URL adds PostgreSQL
    ("bench_sync.py", "sync.json", _sync),  # SQLite here; --database-url for PostgreSQL
    ("bench_audit.py", "audit.json", _audit),  # SQLite here; --database-url adds PostgreSQL
    ("bench_documents.py", "documents.json", _documents),
    ("bench_mail.py", "mail.json", _mail),  # SQLite here; --database-url for PostgreSQL
    ("bench_fleet_processes.py", "fleet_processes.json", _fleet_processes),  # PostgreSQL
    ("bench_print_queue.py", "print_queue.json", _print_queue),
    ("bench_import_plan.py", "import_plan.json", _import_plan),
    ("bench_self_service.py", "self_service.json", _self_service),
]


def table() -> str:
    rows: list[Row] = []
    machine = ""
    for _, result, extract in SCRIPTS:
        path = RESULTS / result
        if not path.exists():
            rows.append((result, "not run", "", ""))
            continue
        data = json.loads(path.read_text())
        machine = data.get("machine", machine)
        rows.extend(extract(data))
    lines = [f"Machine: {machine}.", "", "| measure | result | target | |",
             "|---|---|---|---|"]
    lines += [f"| {m} | {r} | {t} | {v} |" for m, r, t, v in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", action="store_true", help="do not run, only print the table")
    ap.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = ap.parse_args()
    if not args.table:
        for script, _, _ in SCRIPTS:
            print(f"== {script}", file=sys.stderr, flush=True)
            done = subprocess.run([sys.executable, str(HERE / script)], stdout=sys.stderr)
            if done.returncode != 0:  # a missed target or a failure: say so, run the rest
                print(f"!! {script} exited {done.returncode}", file=sys.stderr, flush=True)
    text = table()
    print(text)
    if args.readme:
        readme = README.read_text()
        start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
        README.write_text(readme[:start] + "\n" + text + "\n" + readme[end:])


if __name__ == "__main__":
    main()
