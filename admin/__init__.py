"""The central admin: organizers' and volunteers' web application.

``create_app(settings, test_config)`` builds the Flask app; the database engine, the
login limiter and the search index hang off ``app.extensions``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from bramka.config import AdminSettings, default_config_path, load_settings
from bramka.web_guard import json_error

NOT_FOUND_WORDS = ("Nie ma takiej strony.", "No such page.")


def _settings_config(settings: AdminSettings) -> dict[str, Any]:
    return {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "SECRET_KEY": settings.secret_key,
        "LANGUAGE": settings.language,
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        "BEHIND_PROXY": settings.behind_proxy,
        "LOGIN_MAX_ATTEMPTS": settings.login_max_attempts,
        "LOGIN_WINDOW_SECONDS": settings.login_window_seconds,
        "RETENTION_DAYS": settings.retention_days,
        "BRAMKA_ADMIN_SETTINGS": settings,
    }


def create_app(
    settings: AdminSettings | None = None, test_config: dict[str, Any] | None = None
) -> Flask:
    """Build the admin app. ``test_config`` overrides Flask config keys after ``settings``."""
    from admin import (
        auth,
        badge_views,
        certificate_views,
        dashboard,
        db,
        events,
        exports,
        helpdesk,
        import_views,
        invitation_views,
        kiosk_views,
        program,
        sync_api,
    )
    from admin.errors import AdminError
    from admin.i18n import current_language, local_filter, local_input_filter, role_label, tr
    from admin.queries import kiosks as q_kiosks
    from admin.search import SearchCache
    from admin.security import (
        AttemptLimiter,
        add_security_headers,
        csrf_token,
        load_or_create_secret,
        login_policy,
    )

    if settings is None:
        settings = load_settings(default_config_path()).admin
    app = Flask(__name__)
    app.config.update(_settings_config(settings))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=14),
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    if app.config["SESSION_COOKIE_SECURE"]:
        # __Host-: the browser keeps it only if Secure, for this host and path "/".
        app.config["SESSION_COOKIE_NAME"] = "__Host-bramka_session"
    hops = int(app.config.get("BEHIND_PROXY") or 0)
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret(Path(app.config["DATA_DIR"]))
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    app.extensions[auth.LIMITER] = AttemptLimiter(auth.LOGIN_SCOPE, login_policy(
        app.config["LOGIN_MAX_ATTEMPTS"], app.config["LOGIN_WINDOW_SECONDS"]))
    app.extensions["bramka_search"] = SearchCache()

    for module in (auth, events, program, import_views, invitation_views, helpdesk, dashboard,
                   exports, certificate_views, kiosk_views, badge_views, sync_api):
        app.register_blueprint(module.bp)
    app.register_blueprint(sync_api.other_versions)
    sync_api.init_app(app)

    @app.before_request
    def _before() -> Response | None:
        current_language()
        auth.load_user()
        return auth.check_csrf()

    app.after_request(add_security_headers)

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {"tr": tr, "csrf_token": csrf_token, "lang": g.get("lang", "pl")}

    app.jinja_env.filters["local"] = local_filter
    app.jinja_env.filters["local_input"] = local_input_filter
    app.jinja_env.filters["role"] = role_label
    # A kiosk's printer and camera as its heartbeat left them, in the page's language.
    app.jinja_env.filters["printer"] = lambda k: tr(*q_kiosks.printer_words(k))
    app.jinja_env.filters["camera"] = lambda k: tr(*q_kiosks.camera_words(k))

    @app.errorhandler(AdminError)
    def _admin_error(exc: AdminError) -> Any:
        if auth.wants_json():
            return json_error(exc.status, exc.code, exc.pl, exc.en)
        return render_template("error.html", message=exc.message(current_language()),
                               status=exc.status), exc.status

    @app.errorhandler(403)
    def _forbidden(_exc: Exception) -> Any:
        if auth.wants_json():
            return json_error(403, "forbidden", *auth.FORBIDDEN_WORDS)
        return render_template("error.html", status=403, message=tr(*auth.FORBIDDEN_WORDS)), 403

    @app.errorhandler(404)
    def _not_found(_exc: Exception) -> Any:
        if request.path.startswith("/static/"):
            return "not found", 404
        if auth.wants_json():
            return json_error(404, "not_found", *NOT_FOUND_WORDS)
        return render_template("error.html", status=404, message=tr(*NOT_FOUND_WORDS)), 404

    @app.route("/")
    @auth.requires("volunteer")
    def index() -> Any:
        from flask import redirect, url_for

        if g.user["role"] == "volunteer":
            return redirect(url_for("helpdesk.index"))
        return redirect(url_for("events.index"))

    return app
