#!/bin/sh
# Build the service image with podman, without a Docker engine or an image registry:
#   1. install podman, buildah and debootstrap when missing (apt, as root);
#   2. make an offline base image once: a minimal Debian bookworm root with python3 and
#      python3-venv, from the Debian mirror apt already uses here, imported into podman;
#   3. podman build --isolation=chroot on that base, with the host's CA bundle mounted for
#      the HTTPS downloads of pip and npm (build stage only).
# Environment: IMAGE (tag to build), BASE_IMAGE (offline base tag), CA_BUNDLE (host CA file),
# DEBIAN_MIRROR (overrides the mirror read from /etc/apt/sources.list*).
set -eu
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/portfolio-rt:latest}
BASE_IMAGE=${BASE_IMAGE:-localhost/bookworm-python:min}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
SUITE=bookworm

say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
    echo "build_image.sh: run as root (apt-get, debootstrap and rootful podman need it)" >&2
    exit 1
fi

missing=""
for tool in podman buildah debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    say "installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi

if podman image exists "$BASE_IMAGE"; then
    say "offline base $BASE_IMAGE already exists"
else
    mirror=$(scripts/debian_mirror.sh)
    rootfs=$(mktemp -d "${TMPDIR:-/tmp}/portfolio-rt-rootfs.XXXXXX")
    trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT
    say "debootstrap $SUITE (minbase + python3) from $mirror"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        "$SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
        tail -n 30 "$rootfs.log" >&2
        exit 1
    }
    rm -f "$rootfs.log"
    # Keep the base lean, as the public slim images are: no apt lists, docs or caches.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/doc/* \
        "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
    say "importing $BASE_IMAGE"
    tar -C "$rootfs" -c . | podman import --change 'CMD ["python3"]' - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
    trap - EXIT
fi

# The host's CA bundle, for pip and npm behind an intercepting proxy (build stages only).
set --
if [ -f "$CA_BUNDLE" ]; then
    set -- --volume "$CA_BUNDLE:/etc/host-ca.crt:ro" \
        --build-arg PIP_CERT=/etc/host-ca.crt \
        --build-arg NODE_EXTRA_CA_CERTS=/etc/host-ca.crt
fi
say "building $IMAGE on $BASE_IMAGE"
# docker format: the OCI image format has no HEALTHCHECK.
podman build --isolation=chroot --format docker "$@" \
    --build-arg "BASE=$BASE_IMAGE" \
    --tag "$IMAGE" \
    --file Dockerfile \
    .
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
say "built $IMAGE: $((size / 1000000)) MB"
