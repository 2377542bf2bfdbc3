#!/usr/bin/env bash
# Does the kiosk install and run on a 64-bit Raspberry Pi OS? Checked without a Pi: a
# Debian arm64 root made with debootstrap, run through qemu-user-static (a Raspberry Pi
# CPU model), the kiosk installed into it by deploy/install-pi.sh exactly as on a Pi, then
# a smoke test inside: a token issued and verified, a badge rendered and its QR decoded,
# and `bramka kiosk serve` with the demo camera answering /status.json.
#
#   sudo deploy/check-arm64.sh [--suite trixie|bookworm] [--cpu cortex-a72|cortex-a76]
#                              [--dir DIR] [--fresh]
#     --suite   Debian release: trixie (Raspberry Pi OS today, the default) or bookworm
#               (Raspberry Pi OS "Legacy")
#     --cpu     the CPU qemu emulates: cortex-a72 (Pi 4, the default) or cortex-a76 (Pi 5)
#     --dir     where the root is made (default /var/tmp/bramka-arm64-SUITE); kept after
#               the run, so a second run skips debootstrap; --fresh makes it anew
#
# Needs root, network access to the Debian mirror and PyPI, and on the host:
#   apt install debootstrap qemu-user-static binfmt-support
# It takes a while (emulated CPU): see "Checked on arm64" in the README for the times.
# Not part of ./run test. Each step prints its time; the exit code is 0 only when all passed.
set -euo pipefail
# All in one block: bash reads it whole before it runs, so editing this file during a
# (long) run does not change the run.
{

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite=trixie
cpu=cortex-a72
dir=""
fresh=no
mirror="${BRAMKA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

die() { printf 'check-arm64.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --suite) [ $# -ge 2 ] || die "--suite needs a value"; suite="$2"; shift 2 ;;
    --cpu) [ $# -ge 2 ] || die "--cpu needs a value"; cpu="$2"; shift 2 ;;
    --dir) [ $# -ge 2 ] || die "--dir needs a value"; dir="$2"; shift 2 ;;
    --fresh) fresh=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
case "$suite" in trixie|bookworm) ;; *) die "--suite must be trixie or bookworm" ;; esac
case "$cpu" in cortex-a72|cortex-a76) ;; *) die "--cpu must be cortex-a72 or cortex-a76" ;; esac
dir="${dir:-/var/tmp/bramka-arm64-$suite}"

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and chroot need it)"
command -v debootstrap >/dev/null || die "debootstrap is missing: apt install debootstrap"
command -v qemu-aarch64-static >/dev/null \
  || die "qemu-aarch64-static is missing: apt install qemu-user-static binfmt-support"
if [ "$(dpkg --print-architecture)" != arm64 ]; then
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    mountpoint -q /proc/sys/fs/binfmt_misc \
      || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
    || die "arm64 programs cannot run here: no binfmt_misc entry qemu-aarch64 (binfmt-support)"
fi

# qemu-user reads QEMU_CPU: every arm64 program in the root runs as on that CPU.
export QEMU_CPU="$cpu"
started=$SECONDS
step_started=$SECONDS
step() {
  printf '\n== [%4ds] %s\n' $((SECONDS - started)) "$*" >&2
  step_started=$SECONDS
}
step_done() { printf '   (%ds)\n' $((SECONDS - step_started)) >&2; }

mounted=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() {  # SOURCE TARGET-IN-ROOT
  mkdir -p "$dir$2"
  mount --bind "$1" "$dir$2"
  mounted+=("$dir$2")
}

# -- 1. the root --------------------------------------------------------------------------------

if [ "$fresh" = yes ]; then rm -rf "$dir"; fi
if [ ! -e "$dir/.bramka-bootstrapped" ]; then
  step "debootstrap $suite arm64 into $dir (qemu $cpu)"
  rm -rf "$dir"
  mkdir -p "$dir"
  # What Raspberry Pi OS Lite has and the installer expects to find: apt, python3, sudo.
  debootstrap --arch=arm64 --variant=minbase --include=ca-certificates,python3,sudo,procps,systemd,udev \
    "$suite" "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 \
    || { tail -20 "$dir.debootstrap.log" >&2; die "debootstrap failed (log: $dir.debootstrap.log)"; }
  touch "$dir/.bramka-bootstrapped"
  step_done
fi
cp /etc/resolv.conf "$dir/etc/resolv.conf"
# The host's certificate authorities for pip in the root (PIP_CERT below): behind a
# TLS-inspecting proxy pip trusts what the host trusts (otherwise the same public CAs).
pip_cert=/etc/ssl/certs/ca-certificates.crt
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/check-arm64-host-ca.crt"
  pip_cert=/etc/check-arm64-host-ca.crt
fi
bind /proc /proc
bind /sys /sys
bind /dev /dev
bind /dev/pts /dev/pts
inside() { chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  LANG=C.UTF-8 QEMU_CPU="$cpu" PIP_CERT="$pip_cert" "$@"; }
# shellcheck disable=SC2016  # $PRETTY_NAME is expanded inside the root
step "inside: $(inside uname -m), $(inside sh -c '. /etc/os-release; echo "$PRETTY_NAME"'), $(inside python3 --version)"

# -- 2. the kiosk, installed as on a Pi -----------------------------------------------------------

# Roots made before systemd was in --include above get it now (Raspberry Pi OS has it).
inside sh -c 'command -v systemctl >/dev/null || { apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd udev; }' \
  >/dev/null

step "this checkout as it is (tracked and new files) into /home/pi/bramka, a git clone of pi's"
inside sh -c 'id pi >/dev/null 2>&1 || useradd --create-home --uid 1000 --shell /bin/bash pi'
clone="$dir/home/pi/bramka"
rm -rf "$clone"
mkdir -p "$clone"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$SRC" ls-files -z --cached --others --exclude-standard \
    | tar -C "$SRC" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -x -C "$clone"
else
  tar -C "$SRC" --exclude=./.git --exclude=./.venv --exclude=./build --exclude='*.egg-info' \
    -cf - . | tar -x -C "$clone"
fi
# A clone as pi would have it, so that the installer builds from its git archive.
git -C "$clone" init -q
git -C "$clone" add -A
git -C "$clone" -c user.name=check-arm64 -c user.email=check-arm64@localhost \
  commit -q -m "check-arm64.sh snapshot"
inside chown -R pi:pi /home/pi/bramka
step_done

step "sudo deploy/install-pi.sh --no-screen (as user pi), into a root without a kiosk"
# A kept root gets the kiosk anew each time: the time is that of a first install.
rm -rf "$dir/opt/bramka" "$dir/etc/bramka" "$dir/var/lib/bramka" \
  "$dir/etc/systemd/system/bramka-"* "$dir/etc/systemd/system/multi-user.target.wants/bramka-"*
inside sh -c 'cd /home/pi/bramka && SUDO_USER=pi deploy/install-pi.sh --no-screen' \
  2>&1 | tee "$dir.install.log" >&2
[ "${PIPESTATUS[0]}" -eq 0 ] || die "install-pi.sh failed (log: $dir.install.log)"
if grep -Ei 'deprecat' "$dir.install.log" >&2; then
  die "the install printed a deprecation warning (above)"
fi
# The user's clone is left as it was: nothing built in it, nothing owned by root.
if inside find /home/pi/bramka \( -name build -o -name '*.egg-info' -o ! -user pi \) -print \
    | grep . >&2; then
  die "the installer left files in the user's clone (above)"
fi
step_done
inside /opt/bramka/.venv/bin/python -c 'from importlib.metadata import version as v
import cv2, numpy, PIL, zxingcpp  # each imports on this CPU
print(*(f"{name} {v(name)}" for name in ("numpy", "opencv-python-headless", "zxing-cpp",
                                          "pillow", "cryptography")), sep=", ")' >&2

# -- 3. the smoke test ----------------------------------------------------------------------------

cat >"$dir/tmp/bramka-smoke.sh" <<'SMOKE'
#!/bin/bash
set -euo pipefail
B=/opt/bramka/.venv/bin/bramka
work=/var/lib/bramka/smoke
rm -rf "$work"; mkdir -p "$work"; chown bramka:bramka "$work"; cd "$work"
as_bramka() { runuser -u bramka -- "$@"; }
t0=$SECONDS
echo "-- token: keygen, issue, verify"
as_bramka $B token keygen --out key.pem > public.txt
token="$(as_bramka $B token issue --key key.pem --event 1 --attendee 42)"
as_bramka $B token verify --public-key public.txt "$token" | tee verify.json
grep -q '"attendee": 42' verify.json
echo "   ($((SECONDS - t0))s)"; t0=$SECONDS
echo "-- badge render, then decode its QR"
as_bramka $B badge render --name "Anna Kowalska" --institution "MOPS Kraków" --role speaker \
  --token "$token" --out badge.png
as_bramka $B decode badge.png | tee decode.json
grep -qF "$token" decode.json
echo "   ($((SECONDS - t0))s)"; t0=$SECONDS
echo "-- bramka kiosk serve, demo camera, /status.json"
# The root shares the host's network: a free port, and a kiosk id of this run, so that
# the answer comes from this kiosk and no other.
port="$(/opt/bramka/.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
kiosk_id="arm64-smoke-$$"
sed -e 's/^source = .*/source = "demo"/' -e 's/^backend = .*/backend = "none"/' \
  -e "s/^port = .*/port = $port/" -e "s#^data_dir = .*#data_dir = \"$work/data\"#" \
  -e "s/^id = .*/id = \"$kiosk_id\"/" /etc/bramka/kiosk.toml > kiosk.toml
chown bramka kiosk.toml
# setpriv execs (runuser would stay as the parent, and outlive a kill of it).
setpriv --reuid=bramka --regid=bramka --init-groups \
  env BRAMKA_KIOSK__STAFF_PIN=482913 $B kiosk --config kiosk.toml serve > serve.log 2>&1 &
server=$!
export port kiosk_id
/opt/bramka/.venv/bin/python - <<'PY' || { kill "$server"; cat serve.log; exit 1; }
import json, os, time, urllib.request
url = f"http://127.0.0.1:{os.environ['port']}/status.json"
deadline = time.monotonic() + 300  # an emulated CPU starts Python slowly
status: dict = {}
while True:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            status = json.load(r)
        assert status["kiosk"]["id"] == os.environ["kiosk_id"], status["kiosk"]
        camera = status["camera"]
        if camera.get("status") == "running" and camera.get("frames", 0) > 0:
            break
    except OSError:
        pass
    if time.monotonic() > deadline:
        raise SystemExit(f"no running demo camera on /status.json: {status}")
    time.sleep(1)
print(json.dumps({"kiosk": status["kiosk"], "camera": status["camera"]}, ensure_ascii=False))
PY
kill "$server"; wait "$server" 2>/dev/null || true
if kill -0 "$server" 2>/dev/null; then echo "the kiosk did not stop" >&2; exit 1; fi
echo "   ($((SECONDS - t0))s)"
echo "SMOKE OK"
SMOKE
chmod 0755 "$dir/tmp/bramka-smoke.sh"
step "smoke test inside"
inside /tmp/bramka-smoke.sh >&2
step_done
printf '\ncheck-arm64.sh: %s arm64 (qemu %s): all passed in %ds\n' \
  "$suite" "$cpu" $((SECONDS - started)) >&2
exit 0
}
