#!/bin/bash
# The whole test suite: setup, typecheck, lint, then every ava test (unit, integration with
# real daemons and a real guest, container tests with podman). Tests that need something this
# machine lacks are skipped with the reason printed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
echo "== lint"; npx eslint .
echo "== tests"
npx ava "$@"
