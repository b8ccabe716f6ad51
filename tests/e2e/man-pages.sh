#!/usr/bin/env bash
# Renders each man page given with man(1) at 80 columns and fails on any
# warning groff or man prints (the pages must render cleanly).
set -euo pipefail
if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
  echo "man-pages: skipped: man or groff is not installed (scripts/deps installs man-db and groff-base)"
  exit 77
fi
status=0
for page in "$@"; do
  [ -s "$page" ] || { echo "man-pages: '$page' is missing or empty"; status=1; continue; }
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || {
    echo "man-pages: man failed on '$page'"; status=1; }
  if [ -n "$warnings" ]; then
    echo "man-pages: '$page' renders with warnings:"
    echo "$warnings"
    status=1
  fi
  # The page's name line, as whatis and apropos read it.
  MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^NAME' || {
    echo "man-pages: '$page' has no NAME section"; status=1; }
done
[ $status -eq 0 ] && echo "man-pages: $# pages render without warnings"
exit $status
