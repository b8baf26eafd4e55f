#!/bin/bash
# The whole test suite: setup, typecheck, lint, then every ava test (unit, integration with
# real daemons and a real guest, container tests with podman). Tests that need something this
# machine lacks are skipped with the reason printed, and listed again at the end of each pass.
#
# Run as root (as CI does), a second pass follows as an ordinary account (VM_LAUNCHER_NONROOT_USER, default
# vml-nonroot, created when absent), with an ordinary user's PATH (no /usr/sbin), from a copy of the built tree
# that account can read (the checkout may sit in a 0700 directory): the unit and integration tests, so that what
# a non-root user runs cannot silently break. VM_LAUNCHER_NONROOT_PASS=0 leaves it out; it is also left out when
# ava gets arguments (`npm test -- FILES`), unless VM_LAUNCHER_NONROOT_PASS=1.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/host-tools.sh
STEP_REPRO="cd $(printf '%q' "$PWD") && ./scripts/test.sh${*:+ $(printf '%q ' "$@")}"
trap 'on_failure_report $? $LINENO "$BASH_COMMAND"' ERR

./scripts/setup.sh
echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
echo "== lint"; npx eslint .

LOGS=$(mktemp -d)
NONROOT_DIR=
trap 'rm -rf "$LOGS" ${NONROOT_DIR:+"$NONROOT_DIR"}' EXIT

# Every skipped test of a pass with its reason, from ava's verbose output: "ℹ skipped: why" under a test, and
# "- [skip] file › title" for tests skipped as a group (their file's placeholder test logs the reason).
skip_summary() {
  echo "== skipped in $1:"
  awk '
    /^  ✔ /            { title = $0; sub(/^  ✔ /, "", title); sub(/ \([0-9.]+m?s\)$/, "", title) }
    /^    ℹ .*[Ss][Kk][Ii][Pp][Pp][Ee][Dd]/ { r = $0; sub(/^ +ℹ /, "", r); print "  " title ": " r; n++ }
    /^  - \[skip\] /   { k = split(substr($0, 12), part, / › /); f = part[1]
                         for (i = 2; i < k; i++) f = f " › " part[i]
                         group[f]++; n++ }
    END {
      for (f in group) print "  " f ": " group[f] " tests not run (the reason is logged above, under its placeholder test)"
      if (!n) print "  nothing"
    }' "$2"
}

# pass NAME LOG CMD...: runs one pass, its output shown and kept for the summary.
pass() {
  local name=$1 log=$2 status=0
  shift 2
  echo "== tests, $name"
  "$@" 2>&1 | tee "$log" || status=$?
  skip_summary "$name" "$log"
  if [ "$status" != 0 ]; then
    echo "== $name FAILED (exit $status); reproduce with: $STEP_REPRO" >&2
    exit "$status"
  fi
}

# The unprivileged pass: an account of its own, a copy of the built tree (and of ../shared's KubeVirt examples,
# which unit tests read) that it owns, a clean environment with an ordinary user's PATH.
nonroot_pass() {
  local user=${VM_LAUNCHER_NONROOT_USER:-vml-nonroot} w
  if ! getent passwd "$user" >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
    echo "test: created the unprivileged account $user for the non-root pass"
  fi
  w=$(mktemp -d /var/tmp/vm-launcher-nonroot.XXXXXX)
  NONROOT_DIR=$w
  mkdir "$w/repo" "$w/home"
  tar -C . --exclude=./.git -cf - . | tar -C "$w/repo" -xf -
  if [ -d ../shared/kubevirt-examples ]; then mkdir "$w/shared" && cp -a ../shared/kubevirt-examples "$w/shared/"; fi
  chown -R "$user:" "$w"
  chmod 755 "$w"
  # Everything but the real-guest lifecycle tests, then the lifecycle essentials (boot, SIGTERM and Ctrl-C give an
  # ACPI shutdown and the guest's write survives, the grace deadline, power-off): about a minute of TCG boots
  # instead of twelve.
  local script='
    node_modules/.bin/ava "dist/test/unit/**/*.test.js" "dist/test/integration/**/*.test.js" \
      "!dist/test/integration/run.test.js" &&
    node_modules/.bin/ava dist/test/integration/run.test.js --match "boots from a filesystem volume*" \
      --match "SIGINT to the whole process group*" --match "a guest that ignores ACPI*" \
      --match "a guest that powers off by itself*" --match "run: *"'
  pass "pass 2: as $user (uid $(id -u "$user")), unit and integration tests, an ordinary user's PATH" "$LOGS/nonroot.log" \
    runuser -u "$user" -- env -i HOME="$w/home" PATH=/usr/local/bin:/usr/bin:/bin LANG="${LANG:-C.UTF-8}" \
    ${CI:+CI="$CI"} ${TERM:+TERM="$TERM"} bash -c "cd \"\$1\" && $script" bash "$w/repo"
}

pass "pass 1: as $(id -un) (uid $(id -u))${*:+, $*}" "$LOGS/first.log" npx ava "$@"

want_nonroot=${VM_LAUNCHER_NONROOT_PASS:-}
[ -z "$want_nonroot" ] && { [ $# -eq 0 ] && want_nonroot=1 || want_nonroot=0; }
if [ "$want_nonroot" = 1 ]; then
  if [ "$(id -u)" = 0 ]; then
    nonroot_pass
  else
    echo "== (no second pass: it runs only as root, as an unprivileged account; this pass already ran as $(id -un))"
  fi
fi
