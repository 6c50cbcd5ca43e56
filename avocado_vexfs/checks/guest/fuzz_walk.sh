#!/bin/sh
# fuzz_walk.sh FSTYPE DEVICE MOUNTPOINT SECONDS
# Mount a fuzzed image and do what a user would do to a disk they were handed: list,
# stat and read everything, then write, rename and unlink, statfs, umount. Refused mounts
# and I/O errors are the filesystem doing its job; the kernel console is the verdict.
# Exit: 0 walked and unmounted, 10 mount refused, 11 umount failed, 124 walk over time.
fstype=$1 dev=$2 mnt=$3 limit=${4:-20}
blockdev --flushbufs "$dev" 2>/dev/null
mkdir -p "$mnt"
mount -t "$fstype" "$dev" "$mnt" 2>/dev/null || exit 10
timeout -s KILL "$limit" sh -c '
    m=$1
    ls -laR "$m" >/dev/null 2>&1
    find "$m" -xdev -exec stat {} + >/dev/null 2>&1
    find "$m" -xdev -type f -exec cat {} + >/dev/null 2>&1
    stat -f "$m" >/dev/null 2>&1
    echo fuzz > "$m/fuzz-new" 2>/dev/null
    mkdir "$m/fuzz-dir" 2>/dev/null && echo x > "$m/fuzz-dir/f" 2>/dev/null
    find "$m" -xdev -maxdepth 2 -type f 2>/dev/null | head -4 | while read -r f; do
        mv "$f" "$f.moved" 2>/dev/null
    done
    find "$m" -xdev -maxdepth 2 -name "*.moved" 2>/dev/null | head -2 | while read -r f; do
        rm -f "$f" 2>/dev/null
    done
    rm -rf "$m/fuzz-dir" 2>/dev/null
    sync
' walk "$mnt"
walked=$?
umount "$mnt" 2>/dev/null || { umount -l "$mnt" 2>/dev/null; exit 11; }
[ "$walked" -eq 137 ] && exit 124
exit 0
