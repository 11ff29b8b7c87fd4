#!/usr/bin/env bash
# Install edge-fas as a systemd service: its own virtual environment, the default configuration,
# CURVE server keys, the units and the udev rules (deploy/README.md).
#
#   sudo deploy/install.sh                         # this box: users, /opt/edge-fas, /etc/edge, units
#   deploy/install.sh --root /tmp/stage --no-users # a staging tree (nothing outside it is touched)
#
# Options:
#   --root DIR        install below DIR instead of / (implies --no-users and --no-systemctl)
#   --prefix DIR      where the venv and docs go (default /opt/edge-fas)
#   --confdir DIR     configuration, keys and allowed clients (default /etc/edge)
#   --extras LIST     pip extras of the product (default: systemd; add realsense, tensorrt)
#   --python PY       interpreter for the venv (default python3)
#   --wheel FILE      install this built wheel of the product instead of building this checkout
#   --pip-option OPT  passed to pip install (repeatable), e.g. --pip-option=--no-index
#   --no-users        do not create the edge user and the edge-camera group
#   --no-systemctl    do not reload systemd and udev
# An existing edge.toml is never overwritten: the new default is written beside it as edge.toml.new.
set -euo pipefail

source_dir="$(cd "$(dirname "$0")/.." && pwd)"
root="/"
prefix="/opt/edge-fas"
confdir="/etc/edge"
extras="systemd"
python="python3"
pip_options=()
wheel=""
make_users=1
run_systemctl=1

die() { echo "install.sh: $*" >&2; exit 64; }
value() { [ -n "${2:-}" ] || die "$1 needs a value"; echo "$2"; }
while (($#)); do
  case "$1" in
    --root) root="$(value "$1" "${2:-}")"; make_users=0; run_systemctl=0; shift ;;
    --root=*) root="${1#*=}"; make_users=0; run_systemctl=0 ;;
    --prefix) prefix="$(value "$1" "${2:-}")"; shift ;;
    --prefix=*) prefix="${1#*=}" ;;
    --confdir) confdir="$(value "$1" "${2:-}")"; shift ;;
    --confdir=*) confdir="${1#*=}" ;;
    --extras) extras="$(value "$1" "${2:-}")"; shift ;;
    --extras=*) extras="${1#*=}" ;;
    --python) python="$(value "$1" "${2:-}")"; shift ;;
    --python=*) python="${1#*=}" ;;
    --wheel) wheel="$(value "$1" "${2:-}")"; shift ;;
    --wheel=*) wheel="${1#*=}" ;;
    --pip-option) pip_options+=("$(value "$1" "${2:-}")"); shift ;;
    --pip-option=*) pip_options+=("${1#*=}") ;;
    --no-users) make_users=0 ;;
    --no-systemctl) run_systemctl=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
case "$prefix$confdir" in /*/*) ;; *) die "--prefix and --confdir must be absolute paths" ;; esac
[ -d "$root" ] || die "--root $root is not a directory"
root="$(cd "$root" && pwd)"
stage() { echo "${root%/}$1"; }   # a path of the target system, inside the root

if ((make_users)); then
  [ "$(id -u)" -eq 0 ] || die "creating the service user needs root; run with sudo, or pass --no-users"
  getent group edge-camera >/dev/null || groupadd --system edge-camera
  getent passwd edge >/dev/null || useradd --system --user-group --home-dir /var/lib/edge \
      --shell /usr/sbin/nologin --comment "edge anti-spoofing daemon" edge
  for group in edge-camera video render; do
    getent group "$group" >/dev/null && usermod -aG "$group" edge
  done
fi

echo "install.sh: virtual environment $(stage "$prefix")/venv"
mkdir -p "$(stage "$prefix")"
[ -x "$(stage "$prefix")/venv/bin/python" ] || "$python" -m venv "$(stage "$prefix")/venv"
product="${wheel:-$source_dir}"
[ -e "$product" ] || die "--wheel $wheel: no such file"
"$(stage "$prefix")/venv/bin/python" -m pip install -q "${pip_options[@]}" "$product[$extras]"

echo "install.sh: configuration $(stage "$confdir")"
install -d -m 0755 "$(stage "$confdir")" "$(stage "$confdir")/clients"
install -d -m 0700 "$(stage "$confdir")/keys"
substitute() { sed -e "s|@PREFIX@|$prefix|g" -e "s|@CONFDIR@|$confdir|g" "$1"; }
config="$(stage "$confdir")/edge.toml"
[ -e "$config" ] && config="$config.new"
substitute "$source_dir/deploy/config/edge.toml" > "$config"
chmod 0640 "$config"
if [ ! -e "$(stage "$confdir")/keys/server.key_secret" ]; then
  (cd / && "$(stage "$prefix")/venv/bin/python" -m edge.cli.keys generate server --dir "$(stage "$confdir")/keys" >/dev/null)
  echo "install.sh: new CURVE server key pair; give subscribers $confdir/keys/server.key"
fi

echo "install.sh: units, udev rules, documentation"
install -d "$(stage /etc/systemd/system)" "$(stage /etc/udev/rules.d)" "$(stage "$prefix")/share/doc/edge-fas"
for unit in edge-fas.service edge-fas@.service; do
  substitute "$source_dir/deploy/systemd/$unit" > "$(stage /etc/systemd/system)/$unit"
  chmod 0644 "$(stage /etc/systemd/system)/$unit"
done
install -m 0644 "$source_dir/deploy/udev/99-edge-cameras.rules" "$(stage /etc/udev/rules.d)/"
install -m 0644 "$source_dir/deploy/README.md" "$source_dir/deploy/edge.example.toml" \
    "$(stage "$prefix")/share/doc/edge-fas/"

if ((make_users)); then
  chown -R root:edge "$(stage "$confdir")"
  chown root:root "$(stage "$confdir")/keys" "$(stage "$confdir")/keys/server.key_secret"
fi
if ((run_systemctl)); then
  systemctl daemon-reload
  udevadm control --reload-rules && udevadm trigger --subsystem-match=usb --subsystem-match=video4linux
fi
echo "install.sh: done. Next: edit $confdir/edge.toml, allow subscribers (edge-keys allow), then"
echo "  systemctl enable --now edge-fas     (or edge-fas@<camera> per camera)"
