# Fetches Debian's generic 6.1 kernel package, unpacks it once into the cache
# and extracts the uncompressed vmlinux that qemu boots through its PVH entry.
# Sourced by vmtest/run; sets VM_KVER, VM_VMLINUX and VM_MODROOT.

# The package that Debian's linux-image-amd64 points to now (the ABI number in
# the name moves with security updates), unless DW_VMTEST_KERNEL_PKG names one.
vm_resolve_kernel_pkg() {
  if [ -n "${DW_VMTEST_KERNEL_PKG:-}" ]; then
    echo "$DW_VMTEST_KERNEL_PKG"
    return
  fi
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9.]+-[0-9]+-amd64$/ { print $2; exit }')
  if [ -z "$pkg" ]; then
    # Offline or no index: the newest kernel already in the cache will do.
    pkg=$(ls -1 "$VM_CACHE" 2>/dev/null | sed -n 's/^\(linux-image-[0-9.]*-[0-9]*-amd64\)_.*/\1/p' | sort -V | tail -n1)
  fi
  [ -n "$pkg" ] || vm_die "cannot resolve Debian's kernel package (apt-cache depends linux-image-amd64 found none)" \
                          "run apt-get update, or name one: DW_VMTEST_KERNEL_PKG=linux-image-6.1.0-NN-amd64"
  case "$pkg" in
    *-cloud-amd64|*-rt-amd64)
      vm_die "$pkg is not the generic flavour (the cloud kernel has no 9p)" "use linux-image-6.1.0-NN-amd64" ;;
  esac
  echo "$pkg"
}

# Writes the ELF vmlinux inside a bzImage to $2: the payload is the first
# stream of a known compression that decompresses to an ELF file.
vm_extract_vmlinux() {
  local bz=$1 out=$2 entry magic tool off
  for entry in '\xfd\x37\x7a\x58\x5a\x00:xz -dcq' '\x1f\x8b\x08:gzip -dcq' \
               '\x28\xb5\x2f\xfd:zstd -dcq' '\x5d\x00\x00\x00:xz -dcq --format=lzma'; do
    magic=${entry%%:*}
    tool=${entry#*:}
    command -v "${tool%% *}" >/dev/null || continue
    for off in $(LC_ALL=C grep -obUaP "$magic" "$bz" | cut -d: -f1); do
      tail -c +$((off + 1)) "$bz" | $tool > "$out.part" 2>/dev/null
      if [ "$(head -c 4 "$out.part" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        mv "$out.part" "$out"
        return 0
      fi
    done
  done
  rm -f "$out.part"
  return 1
}

# Download, unpack, depmod, extract: once per package version, under $VM_CACHE.
vm_prepare_kernel() {
  local pkg ver dir
  pkg=$(vm_resolve_kernel_pkg) || exit 1
  ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
  if [ -z "$ver" ]; then
    dir=$(ls -1d "$VM_CACHE/${pkg}_"* 2>/dev/null | sort -V | tail -n1)
    [ -n "$dir" ] || vm_die "apt knows no package $pkg and the cache has none" "run apt-get update"
  else
    dir="$VM_CACHE/${pkg}_$ver"
  fi
  if [ ! -e "$dir/ready" ]; then
    vm_say "fetching $pkg $ver into $dir"
    rm -rf "$dir"
    mkdir -p "$dir/deb"
    (cd "$dir/deb" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null) ||
      vm_die "apt-get download $pkg=$ver failed" "check the network and the apt sources"
    dpkg -x "$dir"/deb/*.deb "$dir/root"
    local kver
    kver=$(ls -1 "$dir/root/lib/modules" | head -n1)
    depmod -b "$dir/root" "$kver"
    vm_extract_vmlinux "$dir/root/boot/vmlinuz-$kver" "$dir/vmlinux" ||
      vm_die "no ELF vmlinux found inside $dir/root/boot/vmlinuz-$kver" "install xz-utils, gzip and zstd"
    rm -rf "$dir/deb"
    echo "$pkg $ver $kver" > "$dir/ready"
  fi
  read -r _ _ VM_KVER < "$dir/ready"
  VM_VMLINUX="$dir/vmlinux"
  VM_MODROOT="$dir/root"
}
