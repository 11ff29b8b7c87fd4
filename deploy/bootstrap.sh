#!/usr/bin/env bash
# One command from a fresh Debian/Ubuntu checkout to a running product or a test run.
#
#   bash deploy/bootstrap.sh demo   # install, then run the daemon on its embedded default (sim camera),
#                                   # printing decisions as they are published (Ctrl-C stops it)
#   bash deploy/bootstrap.sh test   # install with training and test extras, then run the test suite
#
# It installs the system packages it needs (apt, as root or through sudo), creates ./.venv and
# installs the product into it in editable mode. Extra arguments go to the command it runs.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
shift || true
case "$mode" in
  demo) extras="realsense,systemd" ;;
  test) extras="realsense,systemd,train,dev" ;;
  *) echo "usage: bash deploy/bootstrap.sh demo|test [args...]" >&2; exit 64 ;;
esac

# python3-venv/-dev and gcc build systemd-python; libusb/libudev are pyrealsense2's runtime
# libraries; libsystemd-dev + pkg-config for systemd-python; gcc also builds the test stand-in of
# the DCAM710 vendor library; systemd provides systemd-analyze for the unit checks.
packages=(python3 python3-venv python3-dev gcc pkg-config libsystemd-dev libusb-1.0-0 libudev1 systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[${extras}]"

case "$mode" in
  demo) exec .venv/bin/edge-daemon run --foreground "$@" ;;
  test) exec .venv/bin/python -m pytest -m "not slow" "$@" ;;
esac
