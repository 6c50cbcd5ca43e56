"""The guest machine: everything between a test and a booted guest's shell.

host (daemons, tools, directories qemu can reach), images (base images from guest-os/
recipes), initramfs (packed per boot init), pvh (the kernel's ELF for a PVH boot), accel
(KVM or TCG), domain (libvirt XML and lifetime), session (the shell on the
control port), guest (all of it put together, cleaned up always), boottime (where a
boot's seconds go),
guest_result (the JSON line a script run in the guest answers with),
console_watch (a panic behind a running command) and infra (boot retries, guests kept
for debugging). Nothing here knows a filesystem or a check.
"""
