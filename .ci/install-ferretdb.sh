#!/usr/bin/env bash
# Installs FerretDB 1.24.2 into $(go env GOPATH)/bin when it is missing or broken.
# A plain `go install ...@v1.24.2` builds a binary that panics at start ("Invalid build/version/version.txt"):
# the module omits the generated version file. So after go install fetched the sources, we rebuild from a
# copy of the module with that file written, exactly as FerretDB's own build task would.
set -euo pipefail
VERSION=v1.24.2
BIN="$(go env GOPATH)/bin/ferretdb"
if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
  echo "ferretdb: $("$BIN" --version 2>&1 | grep -m1 -i version || true) already installed at $BIN"
  exit 0
fi
for attempt in 1 2; do
  if go install "github.com/FerretDB/FerretDB/cmd/ferretdb@$VERSION"; then break; fi
  [ "$attempt" = 2 ] && { echo "go install of FerretDB failed twice" >&2; exit 1; }
done
if "$BIN" --version >/dev/null 2>&1; then exit 0; fi
SRC="$(go mod download -json "github.com/FerretDB/FerretDB@$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
WORK="$(mktemp -d)"
cp -r "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
echo "$VERSION" > "$WORK/build/version/version.txt"
(cd "$WORK" && go build -o "$BIN" ./cmd/ferretdb)
rm -rf "$WORK"
"$BIN" --version >/dev/null
echo "ferretdb $VERSION installed at $BIN"
