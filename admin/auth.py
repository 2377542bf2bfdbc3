"""Log in and out, roles, CSRF on every form, and the accounts page.

Every view is wrapped by :func:`requires` (or marked :func:`public`); a test walks the
URL map and fails for a route that is neither.
"""

from __future__ import annotations

import functools
import math
import secrets
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from admin import db
from admin.errors import AdminError
from admin.i18n import LANGUAGES, tr
from admin.queries import users as q_users
from admin.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    AttemptLimiter,
    burn_time,
    csrf_valid,
    verify_password,
)
from bramka.web_guard import json_error, wants_json

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])
RANK = {"volunteer": 1, "organizer": 2}
LIMITER = "bramka_login_limiter"
LOGIN_SCOPE = "login"
MAX_USERNAME_LENGTH = 64
SESSION_VERSION = "sv"
# A browser that logged in to an account gets its own attempt count for that account.
DEVICE_COOKIE, SECURE_DEVICE_COOKIE = "bramka_device", "__Host-bramka_device"
DEVICE_MAX_AGE = 90 * 24 * 3600
CSRF_WORDS = ("Formularz wygasł, spróbuj ponownie.", "The form expired, please try again.")
FORBIDDEN_WORDS = ("Brak uprawnień do tej strony.", "You are not allowed to open this page.")


def requires(role: str) -> Callable[[F], F]:
    """Only users with ``role`` or a higher one (organizer > volunteer) may call the view."""
    if role not in RANK:
        raise ValueError(role)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = g.get("user")
            if user is None:
                if wants_json():
                    return json_error(401, "login_required", "Zaloguj się.", "Please log in.")
                return redirect(url_for("auth.login", next=request.full_path))
            if RANK[user["role"]] < RANK[role]:
                if wants_json():
                    return json_error(403, "forbidden", *FORBIDDEN_WORDS)
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    view.required_role = None  # type: ignore[attr-defined]
    return view


def csrf_exempt(view: F) -> F:
    """For machine endpoints that authenticate otherwise (kiosk tokens)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    with db.read() as conn:
        user = q_users.get_user(conn, int(user_id))
    if user and user["active"] and session.get(SESSION_VERSION) == user["session_version"]:
        g.user = user
    else:
        session.clear()


def check_csrf() -> Response | None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "csrf_exempt", False):
        return None
    token = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)
    if csrf_valid(token):
        return None
    if wants_json():
        return json_error(400, "csrf", *CSRF_WORDS)
    flash(tr(*CSRF_WORDS), "error")
    back = urlsplit(request.referrer or "")
    same_site = back.netloc == request.host and back.path.startswith("/")
    return redirect(back.path + (f"?{back.query}" if back.query else "") if same_site
                    else url_for("auth.login"))


def _limiter() -> AttemptLimiter:
    return current_app.extensions[LIMITER]


MAX_NEXT_LENGTH = 2000


def same_origin_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site (with an optional query), else None.

    Browsers forgive a lot in a ``Location``: they drop tabs and newlines, read ``\\`` as
    ``/`` and ``//host`` as another site. So the target is parsed, not pattern-matched, and
    refused whole when it holds anything a browser might rewrite: control, format or
    whitespace characters, backslashes, a scheme, a host, a fragment, or a path that does
    not start with exactly one ``/``.
    """
    if not target or len(target) > MAX_NEXT_LENGTH or "\\" in target:
        return None
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unbalanced "[" read as an IPv6 host
        return None
    if parts.scheme or parts.netloc or parts.fragment:
        return None
    # "///host" parses as an empty host and the path "/host"; browsers go to host.
    if not target.startswith("/") or target.startswith("//") or parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _safe_next(target: str | None) -> str:
    return same_origin_path(target) or url_for("events.index")


def _attempt_key(username: str) -> tuple[str, ...]:
    """What a login attempt is counted under: this browser, when it logged in to this
    account before (an attacker elsewhere, even behind the same router, cannot slow it
    down), else the account and the address together (not the account alone: anyone could
    slow the organizer down; not the address alone: a venue's router is one address)."""
    device = _device_of(username)
    if device:
        return ("device", device)
    return ("account", username.lower(), request.remote_addr or "")


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="bramka-login-device")


def _device_cookie() -> str:
    return SECURE_DEVICE_COOKIE if current_app.config.get("SESSION_COOKIE_SECURE") else (
        DEVICE_COOKIE)


def _device_of(username: str) -> str | None:
    raw = request.cookies.get(_device_cookie())
    if not raw:
        return None
    try:
        data = _device_serializer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != username.lower():
        return None
    nonce = data.get("n")
    return nonce if isinstance(nonce, str) else None


def _remember_device(resp: Response, username: str) -> None:
    nonce = _device_of(username) or secrets.token_urlsafe(18)
    value = _device_serializer().dumps({"u": username.lower(), "n": nonce})
    resp.set_cookie(_device_cookie(), value, max_age=DEVICE_MAX_AGE, httponly=True,
                    samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()[:MAX_USERNAME_LENGTH]
    password = request.form.get("password", "")
    limiter = _limiter()
    key = _attempt_key(username)
    wait = limiter.attempt(*key)  # counted now, before the check: no race past the limit
    if wait > 0:
        seconds = math.ceil(wait)
        flash(tr(f"Zbyt wiele nieudanych prób. Spróbuj za {seconds} s.",
                 f"Too many failed attempts. Try again in {seconds} s."), "error")
        page = render_template("auth/login.html", next=request.form.get("next", ""))
        return page, 429, {"Retry-After": str(seconds)}
    with db.read() as conn:
        user = q_users.find_by_username(conn, username)
    if user is None:
        burn_time(password)
    if user is None or not user["active"] or not verify_password(user["password_hash"], password):
        flash(tr("Błędny login lub hasło.", "Wrong user name or password."), "error")
        return render_template("auth/login.html", next=request.form.get("next", "")), 401
    limiter.succeeded(*key)
    with db.write() as conn:
        q_users.touch_login(conn, user["id"])
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session["user_id"] = user["id"]
    session[SESSION_VERSION] = user["session_version"]  # see users.session_version
    session.permanent = True
    if user["role"] == "volunteer":
        resp = redirect(url_for("helpdesk.index"))
    else:
        resp = redirect(_safe_next(request.form.get("next")))
    _remember_device(resp, user["username"])
    return resp


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Any:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/users", methods=["GET", "POST"])
@requires("organizer")
def users_page() -> Any:
    if request.method == "POST":
        try:
            with db.write() as conn:
                q_users.create_user(
                    conn,
                    request.form.get("username", ""),
                    request.form.get("password", ""),
                    request.form.get("role", ""),
                    request.form.get("display_name", ""),
                    fast_hash=current_app.config.get("FAST_PASSWORD_HASH", False),
                )
            flash(tr("Konto utworzone.", "Account created."), "ok")
        except AdminError as exc:
            flash(exc.message(g.lang), "error")
        return redirect(url_for("auth.users_page"))
    with db.read() as conn:
        rows = q_users.list_users(conn)
    return render_template("auth/users.html", users=rows)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@requires("organizer")
def user_role(user_id: int) -> Any:
    if user_id == g.user["id"]:
        flash(tr("Nie możesz zmienić własnej roli.", "You cannot change your own role."),
              "error")
        return redirect(url_for("auth.users_page"))
    try:
        with db.write() as conn:
            q_users.set_role(conn, user_id, request.form.get("role", ""))
        flash(tr("Rola zmieniona; konto musi zalogować się ponownie.",
                 "Role changed; the account has to log in again."), "ok")
    except AdminError as exc:
        flash(exc.message(g.lang), "error")
    return redirect(url_for("auth.users_page"))


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@requires("organizer")
def user_end_sessions(user_id: int) -> Any:
    """Log the account out on every device (a lost phone, a shared computer)."""
    with db.write() as conn:
        q_users.end_sessions(conn, user_id)
    flash(tr("Konto wylogowane na wszystkich urządzeniach.",
             "The account is logged out on every device."), "ok")
    return redirect(url_for("auth.users_page"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("organizer")
def user_active(user_id: int) -> Any:
    if user_id == g.user["id"]:
        flash(tr("Nie możesz wyłączyć własnego konta.", "You cannot disable your own account."),
              "error")
    else:
        with db.write() as conn:
            q_users.set_active(conn, user_id, request.form.get("active") == "1")
    return redirect(url_for("auth.users_page"))
