#!/bin/bash
# Mutation testing of the pure core (domain/ and the pure parts of hooks/) with StrykerJS: instrument once
# (mutant switching), build once with tsc in Stryker's sandbox, then run the domain unit tests in one ava worker
# per mutant with the active mutant in __STRYKER_ACTIVE_MUTANT__. Report: reports/mutation/mutation.json
# (and .html with `-- --reporters html`). Extra arguments go to `stryker run`, e.g. `--mutate domain/manifest/quantity.ts`.
# Concurrency 1 by default (a shared 2-core machine); raise it with `-- --concurrency 2` on an idle one.
set -euo pipefail
cd "$(dirname "$0")/.."
# The sandbox is .stryker-tmp/sandbox-*: the tests find ../shared/kubevirt-examples beside the checkout through
# this link (they skip those cases when ../shared is absent, as in a clone without it).
mkdir -p .stryker-tmp
ln -sfn ../../shared .stryker-tmp/shared
exec npx stryker run "$@"
