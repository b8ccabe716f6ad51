#!/usr/bin/env bash
# relman@.service: systemd-analyze verifies it (with the built program in
# ExecStart); where systemd is PID 1 and this runs as root, the unit starts
# a node on the counter's release 1, which answers, and stops it.
# usage: systemd-unit.sh UNIT RELMAN COUNTER_DIR
# Exit status 77 (skipped) without systemd-analyze.
set -euo pipefail
unit=$1 relman=$2 counter=$3
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "skipped: no systemd-analyze to verify $unit"
  exit 77
fi
tmp=$(mktemp -d)
name=relman-test-$$
cleanup() {
  if [ -n "${started:-}" ]; then
    systemctl stop "relman@$name" || true
    rm -f "/run/systemd/system/relman@.service"
    systemctl daemon-reload || true
    rm -rf "/var/lib/relman/$name"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
sed "s|^ExecStart=[^ ]*/relman |ExecStart=$relman |" "$unit" >"$tmp/relman@.service"
grep -q "^ExecStart=$relman node start --supervised" "$tmp/relman@.service"
# The instance name is what systemd-analyze checks; the man page may not be
# installed yet.
cp "$tmp/relman@.service" "$tmp/relman@check.service"
systemd-analyze verify --man=no "$tmp/relman@check.service"
echo "ok: systemd-analyze verify"

if [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ] || [ "$(id -u)" -ne 0 ]; then
  echo "skipped starting the unit: systemd is not PID 1 here, or not root (PID 1 is '$(cat /proc/1/comm 2>/dev/null)')"
  exit 0
fi
# A real systemd: the unit in /run (gone at reboot), a root of its own.
if [ -e /run/systemd/system/relman@.service ]; then
  echo "skipped starting the unit: /run/systemd/system/relman@.service exists already"
  exit 0
fi
started=1
cp "$tmp/relman@.service" /run/systemd/system/relman@.service
systemctl daemon-reload
"$relman" unpack "$counter/counter-1.tar.gz" --root "/var/lib/relman/$name" >/dev/null
systemctl start "relman@$name"  # returns once READY=1 came (Type=notify)
[ "$(systemctl is-active "relman@$name")" = active ]
[ "$("$relman" call z boom --root "/var/lib/relman/$name")" = 0 ]
systemctl stop "relman@$name"
echo "ok: relman@$name started (READY=1), answered and stopped under systemd"
