#!/bin/bash
# The demo: builds the small test guest's disk, puts it on a filesystem volume and runs
# vm-launcher in the foreground with the guest's console in the log. Ctrl-C shuts the guest
# down through ACPI; run it again and the guest's boot counter (GUEST-BOOT-COUNT) goes up.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# Outside the checkout: QEMU runs as uid 107 when the demo runs as root, and must reach the volume.
DEMO=${VM_LAUNCHER_DEMO_DIR:-/var/tmp/vm-launcher-demo-$(id -u)}
VOL=$DEMO/volumes/rootdisk
mkdir -p "$VOL"
chmod 755 "$DEMO" "$DEMO/volumes"
if [ ! -f "$VOL/disk.img" ]; then
  MODE=wait test/fixtures/build-test-disk.sh "$VOL/disk.img" 32
fi
[ "$(id -u)" = 0 ] && chown -R 107:107 "$VOL"

# This machine's /dev/kvm does not work (see README): TCG unless told otherwise.
export VM_LAUNCHER_ACCEL=${VM_LAUNCHER_ACCEL:-tcg}
echo "demo: volume $VOL (boot counter: mtype -i $VOL/disk.img@@1M ::BOOTS.TXT); Ctrl-C to shut the guest down"
exec dist/vm-launcher.mjs run \
  --vmi examples/vmi/vmi-filesystem-pvc.yaml \
  --volumes-dir "$DEMO/volumes" \
  --runtime-dir "$DEMO/run" \
  --cache-dir "$DEMO/cache" \
  "$@"
