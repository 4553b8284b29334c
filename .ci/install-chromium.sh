#!/usr/bin/env bash
# Debian's Chromium and CJK fonts for the browser tests (playwright-core drives it; it never downloads a browser).
# A no-op when both are there; used by .ci/run and by the test setup, so `npm test` on a fresh Debian needs no
# manual step.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing and there is no apt-get: install chromium and fonts-noto-cjk, or set CHROMIUM_PATH" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian's chromium and fonts-noto-cjk for the browser tests (once)…" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >&2
