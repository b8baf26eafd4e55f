#!/bin/bash
# The demo: builds the small test guest's disk, puts it on a filesystem volume and runs
# vm-launcher in the foreground with the guest's console in the log. Ctrl-C shuts the guest
# down through ACPI; run it again and the guest's boot counter (GUEST-BOOT-COUNT) goes up.
# package.json runs it with `exec`: npm's `sh -c` would otherwise outlive the launcher, die of the terminal's
# SIGINT after it exited 0, and npm would report that as 130. The launcher takes npm's forwarded copy of the
# Ctrl-C (within 0.5 s of the first) for the same press.
# Runs as root (QEMU then runs as uid 107) or as an ordinary user (QEMU runs as that user).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/host-tools.sh
STEP_REPRO="cd $(printf '%q' "$PWD") && ./scripts/demo.sh"
trap 'on_failure_report $? $LINENO "$BASH_COMMAND"' ERR
./scripts/setup.sh

# Outside the checkout: QEMU runs as uid 107 when the demo runs as root, and must reach the volume.
DEMO=${VM_LAUNCHER_DEMO_DIR:-/var/tmp/vm-launcher-demo-$(id -u)}
VOL=$DEMO/volumes/rootdisk
mkdir -p "$VOL"
chmod 755 "$DEMO" "$DEMO/volumes"
if [ ! -f "$VOL/disk.img" ]; then
  # Built aside, then moved: a build that fails half-way never leaves a broken disk.img for the next run.
  MODE=wait test/fixtures/build-test-disk.sh "$VOL/disk.img.part" 32
  mv "$VOL/disk.img.part" "$VOL/disk.img"
fi
[ "$(id -u)" = 0 ] && chown -R 107:107 "$VOL"

# This machine's /dev/kvm does not work (see README): TCG unless told otherwise.
export VM_LAUNCHER_ACCEL=${VM_LAUNCHER_ACCEL:-tcg}
# The demo shows the guest booting: its console in the log even when stdout is not a terminal.
export VM_LAUNCHER_LOG_GUEST_CONSOLE=${VM_LAUNCHER_LOG_GUEST_CONSOLE:-yes}
echo "demo: volume $VOL (boot counter: mtype -i $VOL/disk.img@@1M ::BOOTS.TXT); Ctrl-C to shut the guest down"
exec dist/vm-launcher.mjs run \
  --vmi examples/vmi/vmi-filesystem-pvc.yaml \
  --volumes-dir "$DEMO/volumes" \
  --runtime-dir "$DEMO/run" \
  --cache-dir "$DEMO/cache" \
  "$@"
