#!/bin/bash
# Installs what vm-launcher's demo and tests need on a fresh Debian machine: Debian packages
# through apt (as root; otherwise prints the exact command), the VM user (uid 107) and npm packages.
# As an ordinary user: nothing outside the checkout is written but npm's own cache (~/.npm); no global installs.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/host-tools.sh
STEP_REPRO="cd $(printf '%q' "$PWD") && ./scripts/setup.sh"
trap 'on_failure_report $? $LINENO "$BASH_COMMAND"' ERR

PKGS=(
  # the launcher's private stack and image checks
  qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients libvirt-dbus dbus libxml2-utils util-linux procps
  # EFI guests (firmware.bootloader.efi), a TPM (devices.tpm)
  ovmf swtpm swtpm-tools
  # the test guest's disk builder
  linux-image-amd64 busybox-static syslinux syslinux-common mtools dosfstools fdisk cpio kmod
  # container tests (uidmap and slirp4netns: rootless podman, for a non-root npm test)
  podman runc catatonit debootstrap tini uidmap slirp4netns
  # the Debian cloud guest (test/fixtures/build-debian-guest.sh, also needs debootstrap), its seeds, SSH, networking
  e2fsprogs xorriso openssh-client passt
)
[ "${VM_LAUNCHER_SKIP_CONTAINER:-}" = 1 ] && PKGS=("${PKGS[@]/podman}") && PKGS=("${PKGS[@]/debootstrap}")

missing=()
for p in "${PKGS[@]}"; do
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages; as root run:"
    echo "  apt-get install -y --no-install-recommends ${missing[*]}"
    echo "setup: continuing; tests that need them are skipped with the reason"
  fi
fi

# QEMU never runs as root: a root launcher runs the stack as uid 107 (KubeVirt's), which needs a passwd entry.
if [ "$(id -u)" = 0 ] && ! getent passwd 107 >/dev/null; then
  getent group 107 >/dev/null || groupadd --system --gid 107 vm-launcher
  useradd --system --uid 107 --gid 107 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin vm-launcher
  echo "setup: created user vm-launcher (uid 107)"
fi

# npm packages: install when absent or when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --no-update-notifier --loglevel=error
fi
# The build, unless nothing it reads changed since the last one (a re-run of the demo then starts at once).
# A deleted or renamed file changes its directory's mtime, so -newer sees that too.
stamp=dist/.build-stamp
if [ -f "$stamp" ] && [ -z "$(find launcher domain hooks common harness test bench tsconfig.json package.json package-lock.json -newer "$stamp" -print -quit)" ]; then
  echo "setup: the build is up to date (dist/)"
else
  npm run --silent build
  touch "$stamp"
fi
