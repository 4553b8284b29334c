#!/usr/bin/env bash
# Debian's Chromium and CJK fonts for the browser tests (playwright-core drives it; it never downloads a browser),
# poppler-utils, whose pdftotext and pdfinfo the contact-card PDF tests read the PDF back with, and espeak-ng, sox
# and libsox-fmt-base (sox's AMR-NB encoder): the offline speech provider (src/speech) and its tests.
# A no-op when all are there; used by .ci/run and by the test setup, so `npm test` on a fresh Debian needs no
# manual step.
set -euo pipefail
# Speech: espeak-ng, and a sox that can write AMR-NB (without libsox-fmt-base it cannot). grep without -q reads all of
# sox's help, so that sox never dies of a closed pipe (pipefail).
sox_writes_amr() { command -v sox >/dev/null 2>&1 && sox -h 2>/dev/null | grep -w amr-nb >/dev/null; }
# Everything but Chromium and its fonts (whose checks follow).
HAVE_TOOLS=0
if command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 && command -v espeak-ng >/dev/null 2>&1 \
  && sox_writes_amr; then HAVE_TOOLS=1; fi
if [ "$HAVE_TOOLS" = 1 ] && [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
if [ "$HAVE_TOOLS" = 1 ] && command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium, pdftotext, espeak-ng or sox is missing and there is no apt-get: install chromium, fonts-noto-cjk," \
    "poppler-utils, espeak-ng, sox and libsox-fmt-base (or set CHROMIUM_PATH)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian's chromium, fonts-noto-cjk, poppler-utils, espeak-ng and sox for the browser, PDF and speech tests (once)…" >&2
$SUDO apt-get update -qq >&2
# With its recommended packages: Chromium was tried here (headless, driven by playwright-core) installed that way.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk poppler-utils \
  espeak-ng sox libsox-fmt-base >&2
if ! command -v pdftotext >/dev/null 2>&1; then
  echo "pdftotext is still missing after installing poppler-utils" >&2
  exit 1
fi
if ! command -v espeak-ng >/dev/null 2>&1 || ! sox_writes_amr; then
  echo "espeak-ng or sox's AMR-NB support is still missing after installing espeak-ng, sox and libsox-fmt-base" >&2
  exit 1
fi
