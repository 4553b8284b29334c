#!/usr/bin/env bash
# Debian's Chromium and CJK fonts for the browser tests (playwright-core drives it; it never downloads a browser),
# and poppler-utils, whose pdftotext and pdfinfo the contact-card PDF tests read the PDF back with.
# A no-op when all are there; used by .ci/run and by the test setup, so `npm test` on a fresh Debian needs no
# manual step.
set -euo pipefail
HAVE_PDFTOTEXT=0
if command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; then HAVE_PDFTOTEXT=1; fi
if [ "$HAVE_PDFTOTEXT" = 1 ] && [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
if [ "$HAVE_PDFTOTEXT" = 1 ] && command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium or pdftotext is missing and there is no apt-get: install chromium, fonts-noto-cjk and poppler-utils" \
    "(or set CHROMIUM_PATH)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian's chromium, fonts-noto-cjk and poppler-utils for the browser and PDF tests (once)…" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk poppler-utils >&2
if ! command -v pdftotext >/dev/null 2>&1; then
  echo "pdftotext is still missing after installing poppler-utils" >&2
  exit 1
fi
