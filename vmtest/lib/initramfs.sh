# Builds the guest's initramfs: static busybox, the init script, and the few
# modules needed to mount the host's root over 9p (virtio PCI, 9p), in the
# order modprobe resolves them. Sourced by vmtest/run.

VM_BOOT_MODULES="virtio_pci 9pnet_virtio 9p"

# vm_build_initramfs OUT: needs VM_MODROOT and VM_KVER from vm_prepare_kernel.
vm_build_initramfs() {
  local out=$1 tree busybox
  busybox=/bin/busybox
  # busybox-static's binary has no program interpreter; the dynamic busybox
  # package's would need a libc that the initramfs does not have.
  if [ ! -x "$busybox" ] || LC_ALL=C readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter'; then
    vm_die "no static busybox at $busybox" "apt-get install busybox-static"
  fi
  tree=$(mktemp -d "${TMPDIR:-/tmp}/dw-vmtest-initramfs.XXXXXX")
  mkdir -p "$tree/bin" "$tree/modules" "$tree/proc" "$tree/sys" "$tree/dev" "$tree/newroot"
  cp "$busybox" "$tree/bin/busybox"
  ln -s busybox "$tree/bin/sh"
  install -m 755 "$VM_HERE/guest/init" "$tree/init"
  # "insmod /path/x.ko " lines, each module once, dependencies first.
  modprobe -d "$VM_MODROOT" -S "$VM_KVER" -a --show-depends $VM_BOOT_MODULES |
    awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
      cp "$ko" "$tree/modules/"
      basename "$ko" >> "$tree/modules/order"
    done
  [ -s "$tree/modules/order" ] || vm_die "modprobe found none of $VM_BOOT_MODULES for $VM_KVER in $VM_MODROOT"
  echo "$VM_MODROOT" > "$tree/modules/tree"
  (cd "$tree" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$out"
  rm -rf "$tree"
}
