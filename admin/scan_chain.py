"""Verifying each kiosk's scan chain (``sync.chain``) on arrival and again later.

On arrival (:func:`verify_chain`): every scan past the kiosk's verified head must come
next in the kiosk's record, point at the link before it and match its own link, and the
upload's head signature must verify with the key the kiosk enrolled with. A gap, an edit
or a reorder refuses the whole upload (409 ``chain_broken``) and is kept on the kiosk's
row until a good upload mends it; nothing of it is merged. Retried scans at or before
the head were verified when they first came and are stored once, as always.

Later (:func:`audit`, ``bramka admin audit verify``): the stored scans of each kiosk,
facts and quarantined alike, are walked in seq order and every link recomputed, and each
kept head signature is checked against the link it names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, select, update

from admin.schema import kiosk_chain_heads, kiosks, scan_quarantine, scans
from sync.chain import GENESIS, Break, head_valid, link, verify_run
from sync.scans import ScanRecord


class ChainBroken(Exception):
    def __init__(self, kiosk_id: str, brk: Break) -> None:
        super().__init__(brk.describe())
        self.kiosk_id, self.brk = kiosk_id, brk


def verify_chain(conn: Connection, kiosk: Mapping[str, Any], records: Sequence[ScanRecord],
                 signature: str, received_at: datetime) -> None:
    """Check the batch against the kiosk's verified head and move the head on; raises
    :class:`ChainBroken`. A kiosk enrolled without a key (protocol 1) is not checked."""
    if not kiosk["public_key"]:
        return
    head_seq, head = kiosk["chain_seq"] or 0, kiosk["chain_head"] or GENESIS
    new = [r for r in records if r.seq is None or r.seq > head_seq]
    if not new:
        return
    brk = verify_run(new, head_seq, head)
    if brk is not None:
        raise ChainBroken(kiosk["id"], brk)
    last = new[-1]
    assert last.seq is not None and last.chain is not None
    if not head_valid(kiosk["public_key"], kiosk["id"], last.seq, last.chain, signature):
        raise ChainBroken(kiosk["id"], Break(last.seq, last.id, "signature"))
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk["id"]).values(
        chain_seq=last.seq, chain_head=last.chain, chain_problem=""))
    conn.execute(kiosk_chain_heads.insert().values(
        kiosk_id=kiosk["id"], seq=last.seq, chain=last.chain, signature=signature,
        public_key=kiosk["public_key"], received_at=received_at))


@dataclass
class KioskAudit:
    kiosk_id: str
    name: str
    scans: int = 0
    heads: int = 0
    unchained: int = 0
    broken: list[str] = field(default_factory=list)


def _links(conn: Connection, kiosk_id: str) -> list[tuple[int, str, str, Any]]:
    """(seq, prev, chain, record) of every stored chained scan of the kiosk."""
    out: list[tuple[int, str, str, Any]] = []
    cols = [c for c in scans.c if c.name not in ("scan_time", "received_at",
                                                   "time_estimated", "override_reason")]
    for row in conn.execute(select(*cols).where(scans.c.kiosk_id == kiosk_id,
                                                scans.c.chain_seq.is_not(None))).mappings():
        # Read back as stored, not validated again: the link covers what is there.
        record = SimpleNamespace(**row, seq=row["chain_seq"])
        out.append((row["chain_seq"], row["chain_prev"], row["chain"], record))
    for text in conn.execute(select(scan_quarantine.c.record).where(
            scan_quarantine.c.kiosk_id == kiosk_id)).scalars():
        held = ScanRecord.model_validate(json.loads(text))
        if held.seq is not None and held.chain and held.prev:
            out.append((held.seq, held.prev, held.chain, held))
    out.sort(key=lambda t: t[0])
    return out


def audit(conn: Connection, event_id: int | None = None) -> list[KioskAudit]:
    """Re-verify every stored chain (of one event's kiosks, or all)."""
    stmt = select(kiosks.c.id, kiosks.c.name).order_by(kiosks.c.id)
    if event_id is not None:
        stmt = stmt.where(kiosks.c.event_id == event_id)
    reports = []
    for kiosk_id, name in conn.execute(stmt).all():
        report = KioskAudit(kiosk_id, name)
        links = _links(conn, kiosk_id)
        report.scans = len(links)
        report.unchained = conn.execute(select(scans.c.id).where(
            scans.c.kiosk_id == kiosk_id, scans.c.chain_seq.is_(None))).all().__len__()
        by_seq: dict[int, str] = {}
        previous: tuple[int, str] | None = None
        for seq, prev, chain, record in links:
            if seq in by_seq:
                report.broken.append(f"seq {seq}: stored twice")
                continue
            if previous is not None and seq != previous[0] + 1:
                report.broken.append(f"seq {previous[0] + 1}–{seq - 1}: missing")
            elif previous is not None and prev != previous[1]:
                report.broken.append(f"seq {seq} (scan {record.id if record else '?'}): "
                                     "does not follow the link before it")
            if record is not None and link(prev, record) != chain:
                report.broken.append(f"seq {seq} (scan {record.id}): changed after upload")
            by_seq[seq] = chain
            previous = (seq, chain)
        for head in conn.execute(select(kiosk_chain_heads).where(
                kiosk_chain_heads.c.kiosk_id == kiosk_id)).mappings():
            report.heads += 1
            if by_seq.get(head["seq"]) != head["chain"]:
                report.broken.append(f"signed head at seq {head['seq']}: no such link stored")
            elif not head_valid(head["public_key"], kiosk_id, head["seq"], head["chain"],
                                head["signature"]):
                report.broken.append(f"signed head at seq {head['seq']}: bad signature")
        reports.append(report)
    return reports
