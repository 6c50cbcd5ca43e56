#!/usr/bin/env bash
# The floor for level 1: the same steps (boot, uname, then boot, mkfs.ext4, mount, write,
# checksum, remount, verify, umount) with virsh, socat and shell only, no Avocado and no
# library. bench_level1.py compares level 1's wall time against this script's. The guest
# is the library's: the same kernel, initramfs, command line, memory backing and control
# port (the guest init waits 5 s for that port before falling back to a console).
set -euo pipefail
image_dir=$1    # the guest image (its base.raw)
kernel=$2       # what the library boots: the PVH ELF or the bzImage
initrd=$3
release=$4
cmdline=$5      # the library's kernel command line: the same boot
run=$(mktemp -d /var/lib/avocado-vexfs/run/avocado-vexfs-$$-plain-XXXX)
chmod 755 "$run"
trap '[ -n "${G_PID:-}" ] && kill "$G_PID" 2>/dev/null; virsh -q destroy "avocado-vexfs-$$-plain" >/dev/null 2>&1 || true; rm -rf "$run"' EXIT

guest() {  # send one command on the control console, wait for its end marker
    local cmd=$1 id=$RANDOM line
    printf '%s; echo "END-%s $?"\n' "$cmd" "$id" >&"${G[1]}"
    while IFS= read -r -t 120 line <&"${G[0]}"; do
        case $line in *"END-$id "[0-9]*) [[ $line == *"END-$id 0"* ]]; return ;; esac
    done
    return 1
}

boot() {
    rm -f "$run/root.qcow2" "$run/scratch.raw" "$run/console.log"
    qemu-img create -q -f qcow2 -F raw -b "$image_dir/base.raw" "$run/root.qcow2"
    truncate -s 512M "$run/scratch.raw"
    cat > "$run/dom.xml" <<XML
<domain type='qemu'><name>avocado-vexfs-$$-plain</name><memory unit='MiB'>2048</memory>
<vcpu>2</vcpu><memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking><os><type arch='x86_64' machine='q35'>hvm</type>
<kernel>$kernel</kernel><initrd>$initrd</initrd>
<cmdline>$cmdline</cmdline></os>
<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='unsafe'/>
<source file='$run/root.qcow2'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='disk'><driver name='qemu' type='raw' cache='unsafe'/>
<source file='$run/scratch.raw'/><target dev='vdb' bus='virtio'/></disk>
<serial type='file'><source path='$run/console.log'/></serial>
<channel type='unix'><source mode='bind' path='$run/control.sock'/>
<target type='virtio' name='org.avocado-vexfs.control'/></channel>
</devices></domain>
XML
    virsh -q create "$run/dom.xml" >/dev/null
    until grep -q "guest ready" "$run/console.log" 2>/dev/null; do sleep 0.2; done
    coproc G { socat - UNIX-CONNECT:"$run/control.sock"; }
}

boot
guest "uname -r | grep -qx '$release'"
kill "$G_PID"; wait "$G_PID" 2>/dev/null || true
virsh -q destroy "avocado-vexfs-$$-plain" >/dev/null
boot
guest "mkfs.ext4 -F -q /dev/vdb && mkdir -p /mnt/t && mount /dev/vdb /mnt/t"
guest "mkdir -p /tmp/s /mnt/t/s && for k in 4 40 100 1000; do head -c \$((k*1024)) /dev/urandom > /tmp/s/f\$k; done && (cd /tmp/s && sha256sum f* > /tmp/sums) && cp /tmp/s/f* /mnt/t/s/ && sync && umount /mnt/t"
guest "mount /dev/vdb /mnt/t && (cd /mnt/t/s && sha256sum -c --quiet /tmp/sums) && umount /mnt/t"
virsh -q destroy "avocado-vexfs-$$-plain" >/dev/null
