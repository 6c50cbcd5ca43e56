#!/bin/sh
# Install the Debian packages the host needs, only those missing: a second run is a no-op.
# The next-to-last line builds the guest kernel flavours (avocado_vexfs/kernel/build.py),
# the last two build fstests (avocado_vexfs/fstests/build.py HOST_PACKAGES).
set -eu
PKGS="qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients libvirt-dev
pkg-config gcc python3-dev python3-venv mmdebstrap e2fsprogs socat tcpdump make git
chromium zstd lz4
flex bison bc libelf-dev libssl-dev cpio xz-utils
autoconf automake libtool libtool-bin xfslibs-dev uuid-dev libattr1-dev libacl1-dev
libaio-dev liburing-dev libgdbm-dev libgdbm-compat-dev libcap-dev gawk"
missing=""
for p in $PKGS; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "avocado-vexfs: error: missing Debian packages:$missing (expected root to apt-get install them)" >&2
        exit 2
    fi
    echo "avocado-vexfs: installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
