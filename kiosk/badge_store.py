"""The event's badge template on the kiosk: kept in its SQLite store, printed from offline.

Tables ``badge_template`` (one row: the template's JSON and hash) and ``badge_images``
(bytes by SHA-256) come from store migration m7. The roster applies the template in its
own transaction, and only once every image it names is here (:func:`missing`), so a
kiosk never holds a template it cannot print. Without a row the kiosk prints the
default badge. Functions take any SQLite connection: the store's writer inside the
roster's transaction, or the print worker's own.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import sqlite_utils

from sync.badge_template import BadgeTemplate, ImageRef, parse_template, template_hash
from sync.roster import RosterError

Conn = sqlite3.Connection | sqlite_utils.Database


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    sha256: str
    template: BadgeTemplate
    images: dict[str, bytes]  # by SHA-256


def m7_tables(db: sqlite_utils.Database) -> None:
    """Store migration m7: the badge template and its images."""
    db.execute("CREATE TABLE badge_template (id INTEGER PRIMARY KEY CHECK (id = 1), "
               "sha256 TEXT NOT NULL, body TEXT NOT NULL, applied_at TEXT NOT NULL)")
    db.execute("CREATE TABLE badge_images (sha256 TEXT PRIMARY KEY, media_type TEXT NOT NULL, "
               "data BLOB NOT NULL) WITHOUT ROWID")


def current_hash(conn: Conn) -> str | None:
    """The stored template's hash (None: the default badge). Cheap: read per print job."""
    try:
        row = conn.execute("SELECT sha256 FROM badge_template WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # a database from before m7 (tests' bare queues)
        return None
    return row[0] if row else None


def load(conn: Conn) -> StoredTemplate | None:
    row = conn.execute("SELECT sha256, body FROM badge_template WHERE id = 1").fetchone()
    if row is None:
        return None
    template = parse_template(row[1])
    names = [ref.sha256 for ref in template.image_refs().values()]
    images: dict[str, bytes] = {}
    for name in names:
        found = conn.execute("SELECT data FROM badge_images WHERE sha256 = ?", [name]).fetchone()
        if found is not None:
            images[name] = bytes(found[0])
    return StoredTemplate(row[0], template, images)


def missing(conn: Conn, template: BadgeTemplate) -> list[ImageRef]:
    """The images ``template`` prints that this kiosk does not hold yet."""
    return [ref for ref in template.image_refs().values()
            if conn.execute("SELECT 1 FROM badge_images WHERE sha256 = ?",
                            [ref.sha256]).fetchone() is None]


def put_image(db: sqlite_utils.Database, ref: ImageRef, data: bytes) -> None:
    """Keep one downloaded image (the caller checked its hash)."""
    db.execute("INSERT INTO badge_images (sha256, media_type, data) VALUES (?, ?, ?) "
               "ON CONFLICT (sha256) DO NOTHING", [ref.sha256, ref.media_type, data])


def apply(db: sqlite_utils.Database, template: BadgeTemplate | None, now: str) -> None:
    """Inside the roster's transaction: hold ``template`` (None: the default badge) and
    forget images it does not name."""
    if template is None:
        db.execute("DELETE FROM badge_template")
        db.execute("DELETE FROM badge_images")
        return
    lacking = missing(db, template)
    if lacking:
        raise RosterError(f"badge template images not on this kiosk: "
                          f"{', '.join(ref.sha256[:12] for ref in lacking)}")
    db.execute("INSERT INTO badge_template (id, sha256, body, applied_at) VALUES (1, ?, ?, ?) "
               "ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, body = excluded.body, "
               "applied_at = excluded.applied_at",
               [template_hash(template), template.model_dump_json(), now])
    keep = [ref.sha256 for ref in template.image_refs().values()]
    db.execute(f"DELETE FROM badge_images WHERE sha256 NOT IN ({', '.join('?' * len(keep))})"
               if keep else "DELETE FROM badge_images", keep)
