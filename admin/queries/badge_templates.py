"""An event's badge template and its images (``sync.badge_template``).

Saving a template bumps the event's ``people_version``: the roster's cursor moves, and a
kiosk's next download carries the template (only when its hash changed, see
``admin.sync_roster.delta``). Images are stored once per event by SHA-256 and never
changed, so the kiosk fetches each one at most once.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from admin.queries.events import bump_people_version
from admin.schema import badge_images, badge_templates, utcnow
from sync.badge_template import BadgeTemplate, ImageRef, parse_template, template_hash


def get_template(conn: Connection, event_id: int) -> BadgeTemplate | None:
    """The event's saved template, or None (kiosks print the default badge)."""
    body = conn.execute(select(badge_templates.c.body)
                        .where(badge_templates.c.event_id == event_id)).scalar()
    return parse_template(body) if body else None


def save_template(conn: Connection, event_id: int, template: BadgeTemplate, by: str = ""
                  ) -> bool:
    """Keep ``template`` for the event; return whether it changed (then kiosks get it).
    Every image it names must have been stored (:func:`put_image`) first."""
    for ref in (template.logo, template.funding):
        if ref is not None and not has_image(conn, event_id, ref.sha256):
            raise ValueError(f"image {ref.sha256} is not stored for event {event_id}")
    digest = template_hash(template)
    old = conn.execute(select(badge_templates.c.sha256)
                       .where(badge_templates.c.event_id == event_id)).scalar()
    if old == digest:
        return False
    values = {"body": template.model_dump_json(), "sha256": digest, "updated_at": utcnow(),
              "updated_by": by[:100]}
    if old is None:
        conn.execute(insert(badge_templates).values(event_id=event_id, **values))
    else:
        conn.execute(update(badge_templates).where(badge_templates.c.event_id == event_id)
                     .values(**values))
    _drop_unused(conn, event_id, template)
    bump_people_version(conn, event_id)
    return True


def has_image(conn: Connection, event_id: int, sha256: str) -> bool:
    return conn.execute(select(badge_images.c.sha256).where(
        badge_images.c.event_id == event_id, badge_images.c.sha256 == sha256)).first() is not None


def put_image(conn: Connection, event_id: int, ref: ImageRef, data: bytes) -> None:
    """Store a checked image (``sync.badge_template.check_image``) unless it is stored."""
    if not has_image(conn, event_id, ref.sha256):
        conn.execute(insert(badge_images).values(
            event_id=event_id, sha256=ref.sha256, media_type=ref.media_type, data=data,
            created_at=utcnow()))


def get_image(conn: Connection, event_id: int, sha256: str) -> tuple[str, bytes] | None:
    """``(media_type, bytes)`` of one of the event's images, or None."""
    row = conn.execute(select(badge_images.c.media_type, badge_images.c.data).where(
        badge_images.c.event_id == event_id, badge_images.c.sha256 == sha256)).first()
    return (row.media_type, bytes(row.data)) if row else None


def images_of(conn: Connection, event_id: int, template: BadgeTemplate | None
              ) -> dict[str, bytes]:
    """SHA-256 -> bytes of every image ``template`` names (for rendering it here)."""
    found: dict[str, bytes] = {}
    for ref in (template.logo, template.funding) if template else ():
        if ref is not None and (image := get_image(conn, event_id, ref.sha256)):
            found[ref.sha256] = image[1]
    return found


def _drop_unused(conn: Connection, event_id: int, keep: BadgeTemplate) -> None:
    """Forget images no longer named by the saved template (uploads of refused forms
    and replaced logos). A kiosk that still needs one gets a newer roster anyway."""
    names = [ref.sha256 for ref in (keep.logo, keep.funding) if ref is not None]
    conn.execute(delete(badge_images).where(badge_images.c.event_id == event_id,
                                            badge_images.c.sha256.not_in(names or [""])))
