#!/usr/bin/env bash
# Installs FerretDB 1.24.2 into $(go env GOPATH)/bin when it is missing or broken (needs Go and `npm ci` first).
# The logic lives in src/models/ferretdbBuild.ts, which `npm start` also runs when it finds no FerretDB: a plain
# `go install ...@v1.24.2` builds a binary that panics at start (the module lacks build/version/version.txt), so it
# rebuilds from a copy of the module with that file written; it waits for a build already running instead of
# starting a second one.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node_modules/.bin/tsx src/models/ferretdbBuild.ts
