#!/bin/bash
# Builds the VM pod image (Containerfile) as localhost/vm-launcher:dev, making the Debian base image
# first when it is absent (scripts/container-base-image.sh: debootstrap, no registry needed).
#
#   sudo scripts/container-build.sh [EXTRA podman build ARGS...]
#
# Env: IMAGE (default localhost/vm-launcher:dev), BASE_IMAGE (default docker.io/library/debian:trixie-slim),
#      CONTAINERS_CONF (default test/container/containers.conf: runc, cgroupfs, ulimits root may set).
# Prints the image size and the build time.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/test/container/containers.conf}
IMAGE=${IMAGE:-localhost/vm-launcher:dev}
BASE_IMAGE=${BASE_IMAGE:-docker.io/library/debian:trixie-slim}

BASE_IMAGE=$BASE_IMAGE "$ROOT/scripts/container-base-image.sh"

# A TLS-intercepting proxy (npm's registry over HTTPS) needs its CA inside the build stage: the CA bundle
# node trusts here (BUILD_CA_FILE, else NODE_EXTRA_CA_CERTS, else npm's cafile) is bind-mounted for RUN steps.
ca=${BUILD_CA_FILE:-${NODE_EXTRA_CA_CERTS:-}}
if [[ -z $ca ]] && command -v npm >/dev/null; then
  ca=$(npm config get cafile 2>/dev/null || true)
  [[ $ca == null || $ca == undefined ]] && ca=
fi
ca_args=()
[[ -n $ca && -s $ca ]] && ca_args=(--volume "$(realpath "$ca"):/run/build-ca.crt:ro")

start=$(date +%s.%N)
# --jobs 2: the runtime stage's apt install runs while the build stage runs npm and tsc.
podman build --jobs 2 --build-arg "BASE=$BASE_IMAGE" "${ca_args[@]}" -t "$IMAGE" -f "$ROOT/Containerfile" "$@" "$ROOT"
end=$(date +%s.%N)

bytes=$(podman image inspect --format '{{.Size}}' "$IMAGE")
awk -v b="$bytes" -v s="$start" -v e="$end" -v i="$IMAGE" \
  'BEGIN { printf "image %s: %.0f MiB (%d bytes), built in %.1f s\n", i, b / 1048576, b, e - s }'
