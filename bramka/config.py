"""Typed settings read once from ``config.toml``.

Every setting has a default (the demo runs on embedded defaults); ``config.toml``
in the repository documents each one with that default value. A key that is
unknown, of the wrong type or out of range stops start-up with a message naming
it. ``BRAMKA_<SECTION>__<KEY>`` environment variables override the file, for
secrets such as the staff PIN.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bramka.printer_profiles import UnknownProfile, get_profile


class ConfigError(Exception):
    """The configuration cannot be used. The message names the key."""

    code = "config_invalid"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class KioskSettings(_Section):
    id: str = Field("kiosk-1", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    mode: Literal["entrance", "room"] = "entrance"
    room: str = ""
    direction: Literal["toggle", "in", "out"] = "toggle"
    data_dir: Path = Path("var/kiosk")
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    staff_pin: str = Field("2468", pattern=r"^[0-9]{4,12}$")
    language: Literal["pl", "en"] = "pl"
    admit_unknown: bool = False
    open_before_minutes: int = Field(30, ge=0, le=24 * 60)
    result_seconds: float = Field(4.0, gt=0, le=60)

    @model_validator(mode="after")
    def _room_needs_name(self) -> KioskSettings:
        if self.mode == "room" and not self.room.strip():
            raise ValueError("room: a kiosk in room mode needs the room's name")
        return self


class CameraSettings(_Section):
    source: Literal["demo", "device", "picamera", "url", "video", "images"] = "demo"
    # "device": an index (0 is /dev/video0) or a device path, best the stable one by id
    # (/dev/v4l/by-id/usb-...-video-index0: USB numbering changes between boots);
    # "picamera": libcamera's camera number.
    device: int | str = 0
    url: str = ""
    path: Path | None = None
    width: int = Field(640, ge=160, le=3840)
    height: int = Field(480, ge=120, le=2160)
    fps: float = Field(30.0, gt=0, le=120)
    loop: bool = False
    retry_seconds: float = Field(2.0, gt=0, le=600)
    # "picamera" with an autofocus camera (Camera Module 3): "continuous" refocuses on
    # what is shown; "fixed" holds the lens at focus_cm (a badge at 20-30 cm); "off"
    # leaves the lens as libcamera starts it. Cameras without autofocus ignore this.
    autofocus: Literal["continuous", "fixed", "off"] = "continuous"
    focus_cm: float = Field(25.0, ge=5, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _device_before(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "device" in data:
            data = {**data, "device": cls._device_index_or_path(data["device"])}
        return data

    @staticmethod
    def _device_index_or_path(value: Any) -> int | str:
        if isinstance(value, bool):
            raise ValueError("a device index (0, 1, ...) or a path under /dev/")
        if isinstance(value, int):
            if value < 0:
                raise ValueError("a device index is 0 or more")
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit():  # from the environment: BRAMKA_CAMERA__DEVICE=1
                return int(text)
            if text.startswith("/dev/"):
                return text
        raise ValueError(f"a device index (0, 1, ...) or a path under /dev/ such as "
                         f"/dev/v4l/by-id/usb-...-video-index0, not {value!r}")

    @model_validator(mode="after")
    def _source_needs(self) -> CameraSettings:
        if self.source == "picamera" and not isinstance(self.device, int):
            raise ValueError("device: source 'picamera' takes a camera number (0, 1), not a "
                             "path (/dev/video* of a camera module are raw nodes: no frames)")
        if self.source in ("video", "images") and not self.path:
            raise ValueError(f"path: camera source '{self.source}' needs a path")
        if self.source == "url" and not self.url:
            raise ValueError("url: camera source 'url' needs a stream URL")
        return self


class ScannerSettings(_Section):
    decoder: Literal["zxing", "zbar"] = "zxing"
    debounce_seconds: float = Field(3.0, ge=0, le=600)


class PrinterSettings(_Section):
    backend: Literal["none", "usb", "serial", "network", "file", "virtual"] = "virtual"
    host: str = "127.0.0.1"
    port: int = Field(9100, ge=1, le=65535)
    usb_vendor: int = Field(0x0416, ge=0, le=0xFFFF)
    usb_product: int = Field(0x5011, ge=0, le=0xFFFF)
    serial_device: str = "/dev/ttyUSB0"
    baudrate: int = Field(115200, ge=1200)
    file_path: Path = Path("/dev/usb/lp0")
    paper_width: Literal[384, 576] = 576
    timeout_seconds: float = Field(5.0, gt=0, le=120)
    retry_max_seconds: float = Field(30.0, gt=0, le=3600)
    # A built-in printer profile (`bramka printer profiles`); empty: ESC/POS at paper_width.
    profile: str = ""
    # CUPS profiles: the queue's name and the cupsd to send it to (host:port).
    cups_printer: str = ""
    cups_server: str = "127.0.0.1:631"
    # ESC/POS raster: "full" (every head dot), "half" (half the resolution, every dot
    # printed 2 x 2: a quarter of the bytes), "auto" (half on a serial backend, where a
    # full badge takes about 5 s at 115 200 baud; full otherwise).
    raster_density: Literal["auto", "full", "half"] = "auto"

    @model_validator(mode="after")
    def _profile_fits(self) -> PrinterSettings:
        if not self.profile:
            return self
        try:
            protocol = get_profile(self.profile).protocol
        except UnknownProfile as exc:
            raise ValueError(f"profile: {exc}") from None
        if protocol == "cups" and not self.cups_printer.strip():
            raise ValueError(f"cups_printer: profile '{self.profile}' needs a CUPS queue name")
        if protocol in ("ql", "zpl") and self.backend == "serial":
            raise ValueError(
                f"backend: profile '{self.profile}' prints over usb, network or file, not serial"
            )
        return self


class BadgeSettings(_Section):
    """Badge layout (printers/). Sizes are in printer dots (203 dpi)."""

    fields: list[Literal["name", "institution", "role", "event", "qr"]] = [
        "name", "institution", "role", "event", "qr",
    ]
    qr_module_dots: int = Field(6, ge=4, le=12)
    name_size: int = Field(64, ge=16, le=160)
    text_size: int = Field(30, ge=12, le=96)
    font_path: Path | None = None


class AdminSettings(_Section):
    """The central admin (admin/)."""

    database_url: str = "sqlite:///var/admin/bramka.db"
    data_dir: Path = Path("var/admin")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # Empty: a random key is generated once and kept in data_dir/secret_key.
    secret_key: str = ""
    language: Literal["pl", "en"] = "pl"
    # The browser reaches the admin over HTTPS (directly or through a reverse proxy):
    # cookies are sent only over HTTPS.
    secure_cookies: bool = False
    # How many reverse proxies stand in front of the admin (0: none). Their
    # X-Forwarded-For/-Proto/-Host/-Port/-Prefix are believed; without one they are not.
    behind_proxy: int = Field(0, ge=0, le=5)
    login_max_attempts: int = Field(5, ge=1, le=1000)
    login_window_seconds: int = Field(300, ge=1, le=86400)
    # Personal data of an event is deleted this many days after the event ends.
    retention_days: int = Field(1825, ge=0, le=36500)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_sender: str = "bramka@localhost"
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=300)
    smtp_connections: int = Field(4, ge=1, le=32)
    smtp_messages_per_connection: int = Field(500, ge=1, le=100_000)
    invitation_pdf: bool = False


class SyncSettings(_Section):
    """How a kiosk talks to the admin (sync/)."""

    admin_url: str = ""
    interval_seconds: float = Field(5.0, gt=0, le=3600)
    batch_size: int = Field(500, ge=1, le=500)
    timeout_seconds: float = Field(10.0, gt=0, le=300)
    max_backoff_seconds: float = Field(60.0, gt=0, le=3600)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kiosk: KioskSettings = KioskSettings()
    camera: CameraSettings = CameraSettings()
    scanner: ScannerSettings = ScannerSettings()
    printer: PrinterSettings = PrinterSettings()
    badge: BadgeSettings = BadgeSettings()
    admin: AdminSettings = AdminSettings()
    sync: SyncSettings = SyncSettings()


SECTIONS: dict[str, type[BaseModel]] = {
    name: field.annotation  # type: ignore[misc]
    for name, field in Settings.model_fields.items()
}


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_unknown(data: Mapping[str, Any], source: str) -> None:
    for section, values in data.items():
        if section not in SECTIONS:
            raise ConfigError(
                f"{source}: unknown section [{section}]{_suggest(section, list(SECTIONS))}"
            )
        if not isinstance(values, Mapping):
            raise ConfigError(f"{source}: [{section}] must be a table of settings")
        known = list(SECTIONS[section].model_fields)
        for key in values:
            if key not in known:
                raise ConfigError(
                    f"{source}: unknown key '{key}' in [{section}]{_suggest(key, known)}"
                )


def _env_overrides(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        if not name.startswith("BRAMKA_") or "__" not in name:
            continue
        section, _, key = name[len("BRAMKA_"):].lower().partition("__")
        out.setdefault(section, {})[key] = value
    return out


def _explain(exc: ValidationError, source: str) -> ConfigError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    msg = err["msg"].removeprefix("Value error, ")
    if len(loc) >= 2:
        where = f"'{loc[1]}' in [{loc[0]}]"
    elif loc:
        where = f"[{loc[0]}]"
    else:
        where = "settings"
    return ConfigError(f"{source}: {where}: {msg}")


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings; raise :class:`ConfigError` naming the bad key.

    ``path=None`` means embedded defaults (plus environment overrides).
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{source}: file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    _check_unknown(data, source)
    overrides = _env_overrides(env)
    _check_unknown(overrides, "environment (BRAMKA_SECTION__KEY)")
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, source) from None


def default_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """``$BRAMKA_CONFIG``, else ``./config.toml`` when present, else embedded defaults."""
    env = os.environ if env is None else env
    if env.get("BRAMKA_CONFIG"):
        return Path(env["BRAMKA_CONFIG"])
    here = Path("config.toml")
    return here if here.exists() else None
