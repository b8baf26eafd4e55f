#!/bin/bash
# Makes the container base image docker.io/library/debian:trixie-slim locally when it is absent.
# No container registry is needed: the root filesystem comes from Debian's apt mirror with debootstrap.
#
#   sudo scripts/container-base-image.sh            # no-op when the image exists
#   FORCE=1 sudo scripts/container-base-image.sh    # rebuild it
#
# Env: BASE_IMAGE (default docker.io/library/debian:trixie-slim), SUITE (default trixie),
#      MIRROR (default: the first URIs line of /etc/apt/sources.list.d/debian.sources, else deb.debian.org),
#      CONTAINERS_CONF (default: test/container/containers.conf of this project).
# Needs root, podman, debootstrap.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/test/container/containers.conf}
BASE_IMAGE=${BASE_IMAGE:-docker.io/library/debian:trixie-slim}
SUITE=${SUITE:-trixie}

if [[ -z ${FORCE:-} ]] && podman image exists "$BASE_IMAGE"; then
  echo "base image $BASE_IMAGE exists"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "debootstrap needs root" >&2; exit 1; }

if [[ -z ${MIRROR:-} ]]; then
  MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi

W=$(mktemp -d /var/tmp/vm-launcher-base.XXXXXX)
trap 'rm -rf "$W"' EXIT
R=$W/rootfs
start=$(date +%s)
echo "debootstrap --variant=minbase $SUITE from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$R" "$MIRROR" >"$W/debootstrap.log" 2>&1 || {
  tail -30 "$W/debootstrap.log" >&2; exit 1; }

# apt inside the image: deb822 sources for the suite and its updates, same mirror.
rm -f "$R/etc/apt/sources.list"
cat >"$R/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# Keep the base small like the official slim image: no apt cache, no package lists.
apt_clean() { rm -rf "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*; }
apt_clean
# Like Debian's official slim images: dpkg never unpacks docs, man pages, info or translations
# (copyright files stay), and the ones debootstrap already unpacked go.
cat >"$R/etc/dpkg/dpkg.cfg.d/01-slim" <<'EOF2'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF2
find "$R/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$R/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$R"/usr/share/man/* "$R"/usr/share/info/* "$R"/usr/share/groff/* "$R"/usr/share/lintian/*
find "$R/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
rm -rf "$R"/var/log/* "$R"/tmp/* "$R"/var/tmp/* "$R"/var/cache/debconf/*-old

tar -C "$R" --numeric-owner -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MiB", $1/1048576}')
echo "imported $BASE_IMAGE in $(( $(date +%s) - start )) s ($size)"
