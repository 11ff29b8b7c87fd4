#!/usr/bin/env bash
# Remove what install.sh installed. Configuration, keys and the service user stay unless --purge.
#
#   sudo deploy/uninstall.sh [--purge]
#   deploy/uninstall.sh --root /tmp/stage [--purge]
#
# Options: --root DIR, --prefix DIR, --confdir DIR as for install.sh; --purge also deletes the
# configuration, the keys, /var/lib/edge, /var/cache/edge-fas, and (without --root) the edge user
# and the edge-camera group.
set -euo pipefail

root="/"
prefix="/opt/edge-fas"
confdir="/etc/edge"
purge=0
die() { echo "uninstall.sh: $*" >&2; exit 64; }
while (($#)); do
  case "$1" in
    --root) root="${2:?--root needs a value}"; shift ;;
    --root=*) root="${1#*=}" ;;
    --prefix) prefix="${2:?--prefix needs a value}"; shift ;;
    --prefix=*) prefix="${1#*=}" ;;
    --confdir) confdir="${2:?--confdir needs a value}"; shift ;;
    --confdir=*) confdir="${1#*=}" ;;
    --purge) purge=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[ -d "$root" ] || die "--root $root is not a directory"
root="$(cd "$root" && pwd)"
stage() { echo "${root%/}$1"; }
live=0
[ "$root" = "/" ] && live=1

if ((live)) && command -v systemctl >/dev/null; then
  for unit in $(systemctl list-units --all --plain --no-legend 'edge-fas*' | awk '{print $1}'); do
    systemctl disable --now "$unit" || true
  done
  systemctl disable edge-fas.service 2>/dev/null || true
fi
rm -f "$(stage /etc/systemd/system)/edge-fas.service" "$(stage /etc/systemd/system)/edge-fas@.service" \
      "$(stage /etc/udev/rules.d)/99-edge-cameras.rules"
rm -rf "$(stage "$prefix")"
if ((purge)); then
  rm -rf "$(stage "$confdir")" "$(stage /var/lib/edge)" "$(stage /var/cache/edge-fas)"
  if ((live)); then
    getent passwd edge >/dev/null && userdel edge
    getent group edge-camera >/dev/null && groupdel edge-camera
  fi
fi
if ((live)) && command -v systemctl >/dev/null; then
  systemctl daemon-reload
  udevadm control --reload-rules || true
fi
echo "uninstall.sh: removed edge-fas$( ((purge)) && echo ", its configuration and keys" || echo "; kept $confdir (use --purge to delete it)")"
