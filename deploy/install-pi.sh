#!/usr/bin/env bash
# Install (or update) Bramka as a kiosk on Raspberry Pi OS Bookworm; plain Debian 12 works
# too. Safe to run again: after `git pull` it updates the code and the units, and it never
# overwrites /etc/bramka/kiosk.toml or the PIN. See docs/raspberry-pi.md.
#
#   sudo deploy/install-pi.sh [options]
#     --camera device|libcamerify|picamera
#                          device       a USB webcam through OpenCV (the default)
#                          libcamerify  the Pi camera module through libcamera's V4L2
#                                       compatibility layer (OpenCV, source = "device")
#                          picamera     the Pi camera module through picamera2
#     --screen-user USER   the desktop user Chromium runs as (default: the user that ran
#                          sudo, else the user with uid 1000)
#     --no-screen          no Chromium on this machine (a kiosk without a display)
#     --admin              also install the admin service (the organizers' machine)
#     --no-enable          install only: do not enable or (re)start services
#
# Options given once are remembered in /etc/bramka/install.conf for the next run.
# BRAMKA_ROOT=DIR installs into a staging root instead of / (tests, packaging): no
# packages, users, udev or running services are touched then.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${BRAMKA_ROOT:-}"
ROOT="${ROOT%/}"
OPT="$ROOT/opt/bramka"
VENV="$OPT/.venv"
ETC="$ROOT/etc/bramka"
STATE="$ROOT/var/lib/bramka"
UNITS="$ROOT/etc/systemd/system"
RULES="$ROOT/etc/udev/rules.d"
SERVICE_USER=bramka

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'install-pi.sh: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

# -- options (remembered choices first, then the command line) ------------------------------

camera=device
screen=yes
screen_user=""
admin=no
enable=yes
if [ -f "$ETC/install.conf" ]; then
  # shellcheck source=/dev/null
  . "$ETC/install.conf"
fi

while [ $# -gt 0 ]; do
  case "$1" in
    --camera) [ $# -ge 2 ] || die "--camera needs a value"; camera="$2"; shift 2 ;;
    --camera=*) camera="${1#*=}"; shift ;;
    --screen-user) [ $# -ge 2 ] || die "--screen-user needs a value"; screen_user="$2"; shift 2 ;;
    --screen-user=*) screen_user="${1#*=}"; shift ;;
    --no-screen) screen=no; shift ;;
    --screen) screen=yes; shift ;;
    --admin) admin=yes; shift ;;
    --no-admin) admin=no; shift ;;
    --no-enable) enable=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
case "$camera" in
  device|libcamerify|picamera) ;;
  *) die "--camera must be device, libcamerify or picamera, not '$camera'" ;;
esac

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root: sudo $0"
fi

if [ "$screen" = yes ] && [ -z "$screen_user" ]; then
  if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    screen_user="$SUDO_USER"
  else
    screen_user="$(getent passwd 1000 | cut -d: -f1 || true)"
  fi
  [ -n "$screen_user" ] || die "no desktop user found: give --screen-user USER or --no-screen"
fi

# -- Debian packages ---------------------------------------------------------------------------

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
available() { apt-cache show --no-all-versions "$1" 2>/dev/null | grep -q '^Package:'; }

packages=(python3 python3-venv python3-dev libzbar0 fonts-dejavu-core fonts-dejavu-extra v4l-utils usbutils)
if [ "$camera" = picamera ]; then packages+=(python3-picamera2); fi
if [ "$camera" = libcamerify ]; then packages+=(libcamera-v4l2); fi

install_packages() {
  local missing=() pkg updated=no
  for pkg in "$@"; do
    installed "$pkg" || missing+=("$pkg")
  done
  # Chromium is "chromium" on Debian and current Raspberry Pi OS, "chromium-browser" on
  # older Raspberry Pi OS images: whichever is installed, else whichever apt offers.
  if [ "$screen" = yes ] && ! installed chromium && ! installed chromium-browser; then
    apt-get update -qq
    updated=yes
    if available chromium; then missing+=(chromium); else missing+=(chromium-browser); fi
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    if [ "$updated" = no ]; then apt-get update -qq; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

if [ -z "$ROOT" ]; then
  install_packages "${packages[@]}"
fi

# -- the service user and its folders ---------------------------------------------------------

if [ -z "$ROOT" ]; then
  if ! getent passwd "$SERVICE_USER" >/dev/null; then
    log "creating the system user $SERVICE_USER"
    useradd --system --user-group --home-dir /var/lib/bramka --no-create-home \
      --shell /usr/sbin/nologin --comment "Bramka check-in" "$SERVICE_USER"
  fi
  # video: cameras; lp: USB printers (see 60-bramka-printer.rules).
  usermod -a -G video,lp "$SERVICE_USER"
fi

# install -d with an owner only on a real install (a staging root has no such user).
make_dir() {  # MODE OWNER:GROUP DIR
  if [ -z "$ROOT" ]; then
    install -d -m "$1" -o "${2%%:*}" -g "${2##*:}" "$3"
  else
    install -d -m "$1" "$3"
  fi
}
put_file() {  # MODE OWNER:GROUP SOURCE DEST
  if [ -z "$ROOT" ]; then
    install -m "$1" -o "${2%%:*}" -g "${2##*:}" "$3" "$4"
  else
    install -m "$1" "$3" "$4"
  fi
}

make_dir 0755 root:root "$OPT"
make_dir 0755 root:root "$OPT/bin"
make_dir 0755 root:root "$OPT/share/doc"
make_dir 0750 root:"$SERVICE_USER" "$ETC"
make_dir 0750 "$SERVICE_USER:$SERVICE_USER" "$STATE"
make_dir 0750 "$SERVICE_USER:$SERVICE_USER" "$STATE/kiosk"
if [ "$admin" = yes ]; then make_dir 0750 "$SERVICE_USER:$SERVICE_USER" "$STATE/admin"; fi

# -- the code: a virtual environment in /opt/bramka ---------------------------------------

extras="printers"
if [ "$admin" = yes ]; then extras="printers,admin"; fi
venv_args=()
constraints=()
if [ "$camera" = picamera ]; then
  # picamera2 comes from Raspberry Pi OS, built against its numpy 1.x: let the venv see
  # the system's packages, and keep numpy below 2 so both agree.
  venv_args+=(--system-site-packages)
  printf 'numpy<2\n' > "$OPT/constraints.txt"
  constraints=(-c "$OPT/constraints.txt")
else
  rm -f "$OPT/constraints.txt"
fi
log "installing Bramka into $VENV ($extras)"
# Rewrites pyvenv.cfg (system site packages on or off), keeps what is installed.
python3 -m venv "${venv_args[@]}" "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade \
  "${constraints[@]}" "${SRC}[${extras}]"

put_file 0755 root:root "$SRC/deploy/bin/bramka-screen" "$OPT/bin/bramka-screen"
# `bramka ...` for people: as user bramka, with the services' settings and secrets.
make_dir 0755 root:root "$ROOT/usr/local/bin"
put_file 0755 root:root "$SRC/deploy/bin/bramka" "$ROOT/usr/local/bin/bramka"
put_file 0644 root:root "$SRC/config.toml" "$OPT/share/config.toml"
put_file 0644 root:root "$SRC/docs/raspberry-pi.md" "$OPT/share/doc/raspberry-pi.md"

# -- settings: copied once, never overwritten ------------------------------------------------

random_digits() { od -An -N4 -tu4 /dev/urandom | tr -d ' \n'; }

new_pin=""
if [ ! -e "$ETC/kiosk.toml" ]; then
  log "writing $ETC/kiosk.toml"
  put_file 0640 root:"$SERVICE_USER" "$SRC/deploy/kiosk.toml" "$ETC/kiosk.toml"
  if [ "$camera" = picamera ]; then
    sed -i 's/^source = "device"$/source = "picamera"/' "$ETC/kiosk.toml"
  fi
fi
want_source=device
if [ "$camera" = picamera ]; then want_source=picamera; fi
if ! grep -q "^source = \"$want_source\"" "$ETC/kiosk.toml"; then
  log "NOTE: --camera $camera needs [camera] source = \"$want_source\" in $ETC/kiosk.toml" \
    "(the file is yours: this script does not change it)"
fi
if [ ! -e "$ETC/kiosk.env" ]; then
  new_pin="$(printf '%06d' $(( $(random_digits) % 1000000 )))"
  log "writing $ETC/kiosk.env with a new staff PIN"
  umask 077
  printf '# Secrets of the kiosk service (bramka-kiosk.service).\nBRAMKA_KIOSK__STAFF_PIN=%s\n' \
    "$new_pin" > "$ETC/kiosk.env"
  umask 022
  if [ -z "$ROOT" ]; then chown root:"$SERVICE_USER" "$ETC/kiosk.env"; fi
  chmod 0640 "$ETC/kiosk.env"
fi
if [ "$admin" = yes ]; then
  if [ ! -e "$ETC/admin.toml" ]; then
    log "writing $ETC/admin.toml"
    put_file 0640 root:"$SERVICE_USER" "$SRC/deploy/admin.toml" "$ETC/admin.toml"
  fi
  if [ ! -e "$ETC/admin.env" ]; then
    log "writing $ETC/admin.env with a new session key"
    umask 077
    printf '# Secrets of the admin service (bramka-admin.service).\nBRAMKA_ADMIN__SECRET_KEY=%s\n# BRAMKA_ADMIN__SMTP_PASSWORD=\n' \
      "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" > "$ETC/admin.env"
    umask 022
    if [ -z "$ROOT" ]; then chown root:"$SERVICE_USER" "$ETC/admin.env"; fi
    chmod 0640 "$ETC/admin.env"
  fi
fi

# -- systemd units and the udev rule --------------------------------------------------------

make_dir 0755 root:root "$UNITS"
put_file 0644 root:root "$SRC/deploy/systemd/bramka-kiosk.service" "$UNITS/bramka-kiosk.service"
kiosk_dropins="$UNITS/bramka-kiosk.service.d"
if [ "$camera" = libcamerify ]; then
  make_dir 0755 root:root "$kiosk_dropins"
  cat > "$kiosk_dropins/20-libcamerify.conf" <<'CONF'
# Written by install-pi.sh --camera libcamerify: the Pi camera module through libcamera's
# V4L2 compatibility layer, so that OpenCV's [camera] source = "device" can open it.
[Service]
ExecStart=
ExecStart=/usr/bin/libcamerify /opt/bramka/.venv/bin/bramka kiosk --config /etc/bramka/kiosk.toml serve
CONF
else
  rm -f "$kiosk_dropins/20-libcamerify.conf"
fi

browser_dropins="$UNITS/bramka-kiosk-browser.service.d"
if [ "$screen" = yes ]; then
  put_file 0644 root:root "$SRC/deploy/systemd/bramka-kiosk-browser.service" \
    "$UNITS/bramka-kiosk-browser.service"
  make_dir 0755 root:root "$browser_dropins"
  printf '# Written by install-pi.sh: the desktop user that Chromium runs as.\n[Service]\nUser=%s\n' \
    "$screen_user" > "$browser_dropins/10-user.conf"
fi
if [ "$admin" = yes ]; then
  put_file 0644 root:root "$SRC/deploy/systemd/bramka-admin.service" "$UNITS/bramka-admin.service"
fi

make_dir 0755 root:root "$RULES"
put_file 0644 root:root "$SRC/deploy/udev/60-bramka-printer.rules" "$RULES/60-bramka-printer.rules"

# Remember the choices for the next run.
cat > "$ETC/install.conf" <<CONF
# deploy/install-pi.sh remembers its options here; the command line wins.
camera=$camera
screen=$screen
screen_user=$screen_user
admin=$admin
CONF

# -- apply -----------------------------------------------------------------------------------

services=(bramka-kiosk.service)
if [ "$screen" = yes ]; then services+=(bramka-kiosk-browser.service); fi
if [ "$admin" = yes ]; then services+=(bramka-admin.service); fi

# A part switched off (--no-screen, --no-admin): its service goes; its data stays.
remove_unit() {
  local unit="$1"
  [ -e "$UNITS/$unit" ] || return 0
  log "removing $unit"
  if [ -n "$ROOT" ]; then
    systemctl --root="$ROOT" disable "$unit" || true
  else
    systemctl disable --now "$unit" || true
  fi
  rm -rf "${UNITS:?}/$unit" "${UNITS:?}/$unit.d"
}
if [ "$screen" = no ]; then remove_unit bramka-kiosk-browser.service; fi
if [ "$admin" = no ]; then remove_unit bramka-admin.service; fi

if [ -n "$ROOT" ]; then
  if [ "$enable" = yes ]; then systemctl --root="$ROOT" enable "${services[@]}"; fi
else
  udevadm control --reload-rules || true
  udevadm trigger --subsystem-match=usb --action=change || true
  systemctl daemon-reload
  if [ "$screen" = yes ] && command -v raspi-config >/dev/null; then
    log "Raspberry Pi OS: desktop with automatic login, no screen blanking"
    raspi-config nonint do_boot_behaviour B4
    raspi-config nonint do_blanking 1
  fi
  if [ "$enable" = yes ]; then
    systemctl enable "${services[@]}"
    systemctl restart bramka-kiosk.service
    if [ "$admin" = yes ]; then systemctl restart bramka-admin.service; fi
    # The screen starts with the desktop; restarted here only if it is already running.
    if [ "$screen" = yes ]; then systemctl try-restart bramka-kiosk-browser.service; fi
  fi
fi

log "done."
if [ -n "$new_pin" ]; then
  log "staff PIN for the kiosk screen: $new_pin (in $ETC/kiosk.env)"
fi
log "next: edit $ETC/kiosk.toml, then enroll the kiosk (docs/raspberry-pi.md)."
