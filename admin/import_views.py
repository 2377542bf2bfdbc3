"""Import pages: upload, dry-run preview with the column mapping, apply with a progress bar."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from admin import db
from admin.auth import requires
from admin.i18n import current_language, tr
from admin.import_capacity import CHOICES
from admin.importer import FIELD_LABELS, FIELDS, ImportFileError
from admin.jobs import Job, event_job, jobs
from admin.jobs import job_status as event_job_status
from admin.queries import events as q_events
from admin.queries.importing import ImportResult, run_import

bp = Blueprint("importing", __name__)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _upload_dir() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _prune_uploads(max_age_seconds: float = 24 * 3600) -> None:
    """Uploaded files hold personal data: drop the ones never imported after a day."""
    cutoff = time.time() - max_age_seconds
    for path in _upload_dir().iterdir():
        if path.suffix in (".bin", ".json") and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _load_upload(token: str) -> tuple[bytes, str]:
    if not _TOKEN.match(token):
        abort(404)
    data_path = _upload_dir() / f"{token}.bin"
    meta_path = _upload_dir() / f"{token}.json"
    if not data_path.exists() or not meta_path.exists():
        abort(404)
    return data_path.read_bytes(), json.loads(meta_path.read_text())["filename"]


def _mapping_from_form() -> dict[str, str] | None:
    spec = {f: request.form.get(f"map_{f}", "") for f in FIELDS}
    if not any(spec.values()):
        return None
    return {f: v for f, v in spec.items() if v}


def _program_from_form() -> dict[int, int | None] | None:
    """The preview's choice per yes/no column (``prog_<column>``: a session id or empty)."""
    columns = [c for c in request.form.get("program_columns", "").split(",") if c.isdigit()]
    if not columns:
        return None
    spec: dict[int, int | None] = {}
    for col in columns:
        value = request.form.get(f"prog_{col}", "")
        spec[int(col)] = int(value) if value.isdigit() else None
    return spec


def _capacity_from_form() -> dict[int, str]:
    """The preview's choice per full session (``cap_<session id>``: waitlist or accept)."""
    return {int(k[4:]): v for k, v in request.form.items()
            if k.startswith("cap_") and k[4:].isdigit() and v in CHOICES}


def _preview(event: dict[str, Any], token: str, filename: str, result: ImportResult) -> str:
    return render_template(
        "import/preview.html", event=event, token=token, filename=filename, result=result,
        fields=FIELDS, labels=FIELD_LABELS, summary=result.summary(),
        capacity=_capacity_from_form())


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@requires("organizer")
def upload(event_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    if request.method == "GET":
        return render_template("import/upload.html", event=event)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(tr("Wybierz plik.", "Choose a file."), "error")
        return redirect(url_for("importing.upload", event_id=event_id))
    data = file.read()
    _prune_uploads()
    token = uuid4().hex
    (_upload_dir() / f"{token}.bin").write_bytes(data)
    (_upload_dir() / f"{token}.json").write_text(json.dumps({"filename": file.filename,
                                                             "event_id": event_id}))
    return _dry_run(event, token, data, file.filename, None, None)


def _dry_run(event: dict[str, Any], token: str, data: bytes, filename: str,
             spec: dict[str, str] | None, program: dict[int, int | None] | None) -> Any:
    try:
        with db.read() as conn:
            result = run_import(conn, event["id"], data, filename, mapping_spec=spec,
                                program_spec=program, dry_run=True)
    except ImportFileError as exc:
        flash(exc.message(current_language()), "error")
        return render_template("import/upload.html", event=event, token=token,
                               headers=_headers_or_empty(data, filename),
                               fields=FIELDS, labels=FIELD_LABELS), 422
    return _preview(event, token, filename, result)


def _headers_or_empty(data: bytes, filename: str) -> list[str]:
    from admin.importer import read_table

    try:
        return read_table(data, filename).headers
    except ImportFileError:
        return []


@bp.route("/events/<int:event_id>/import/<token>", methods=["POST"])
@requires("organizer")
def confirm(event_id: int, token: str) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    data, filename = _load_upload(token)
    spec = _mapping_from_form()
    program = _program_from_form()
    capacity = _capacity_from_form()
    if request.form.get("action") != "import":
        return _dry_run(event, token, data, filename, spec, program)
    username = g.user["username"]
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work(job: Job) -> dict[str, Any]:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        with db.write() as conn:
            result = run_import(conn, event_id, data, filename, mapping_spec=spec,
                                program_spec=program, username=username, progress=progress,
                                capacity=capacity)
        (_upload_dir() / f"{token}.bin").unlink(missing_ok=True)
        (_upload_dir() / f"{token}.json").unlink(missing_ok=True)
        return result.summary()

    job = jobs(app).start(app, "import", event_id, work)
    return redirect(url_for("importing.job_page", event_id=event_id, job_id=job.id))


@bp.route("/events/<int:event_id>/import/jobs/<job_id>")
@requires("organizer")
def job_page(event_id: int, job_id: str) -> Any:
    job = event_job(event_id, job_id)
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    return render_template("import/job.html", event=event, job=job)


@bp.route("/events/<int:event_id>/import/jobs/<job_id>.json")
@requires("organizer")
def job_status(event_id: int, job_id: str) -> Any:
    return event_job_status(event_id, job_id)
