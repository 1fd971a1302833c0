#!/usr/bin/env bash
# mkiso.sh: make a bootable Keel ISO with GRUB (multiboot2, serial console, no menu).
#
#   mkiso.sh -o out.iso -k keel.elf [-c "kernel command line"] [-m file[=name]]... [-M list]...
#
# Each -m adds a boot module (name defaults to the file's base name); -M adds the modules of a
# list file, one file[=name] per line (build/image/modules.txt: the modules of keel.iso). Used
# by the build for keel.iso, by tools/keel run and by the QEMU tests for variants with other
# command lines and modules.
#
# The boot is made for speed under emulation (docs/boot-and-memory.md, "Boot timeline"): GRUB's
# El Torito core image carries the few GRUB modules it needs and the boot commands themselves
# (grub-mkimage -c), so GRUB loads no module files, no normal mode and no grub.cfg from the ISO;
# the ISO's kernel is keel.elf without debug information (GRUB reads the whole file).
set -euo pipefail
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
out="" kernel="" cmdline="" modules=()
while getopts "o:k:c:m:M:h" opt; do
  case $opt in
    o) out=$OPTARG ;;
    k) kernel=$OPTARG ;;
    c) cmdline=$OPTARG ;;
    m) modules+=("$OPTARG") ;;
    M) [ -f "$OPTARG" ] || { echo "mkiso: module list '$OPTARG' not found" >&2; exit 1; }
       while IFS= read -r line || [ -n "$line" ]; do
         [ -n "$line" ] && modules+=("$line")
       done <"$OPTARG" ;;
    *) usage ;;
  esac
done
[ -n "$out" ] && [ -n "$kernel" ] || usage
[ -f "$kernel" ] || { echo "mkiso: kernel '$kernel' not found" >&2; exit 1; }
case $cmdline in *[\"\\\;\$\{\}]*) echo "mkiso: the command line may not contain \" \\ ; \$ { }" >&2; exit 1 ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/iso log=$work/mkiso.log cfg=$work/boot.cfg
mkdir -p "$stage/boot/grub" "$stage/boot/modules"
objcopy=$(command -v llvm-objcopy || command -v llvm-objcopy-14 || command -v objcopy || true)
if [ -n "$objcopy" ]; then
  "$objcopy" --strip-debug "$kernel" "$stage/boot/keel.elf"
else
  cp "$kernel" "$stage/boot/keel.elf"
fi
module_lines=""
for m in "${modules[@]+"${modules[@]}"}"; do
  file=${m%%=*}
  name=$(basename "$file")
  [ "$m" != "$file" ] && name=${m#*=}
  [ -f "$file" ] || { echo "mkiso: module '$file' not found" >&2; exit 1; }
  case $name in *[!A-Za-z0-9@._+-]*|"") echo "mkiso: bad module name '$name'" >&2; exit 1 ;; esac
  cp "$file" "$stage/boot/modules/$name"
  module_lines+="module2 /boot/modules/$name $name"$'\n'
done
# GRUB runs these in its rescue mode, one command a line, from the core image: the root device
# is the CD it booted from. A failing command prints its error on COM1 and VGA.
cat > "$cfg" <<CFG
serial --unit=0 --speed=115200
terminal_output serial console
multiboot2 /boot/keel.elf $cmdline
${module_lines}boot
CFG
if ! grub-mkimage -O i386-pc-eltorito -p /boot/grub -c "$cfg" -o "$stage/boot/grub/core.img" \
     biosdisk iso9660 multiboot2 serial terminal >"$log" 2>&1; then
  cat "$log" >&2
  echo "mkiso: grub-mkimage failed" >&2
  exit 1
fi
tmp="$out.tmp.$$"
if ! xorriso -as mkisofs -quiet -R -o "$tmp" -b boot/grub/core.img -no-emul-boot \
     -boot-load-size 4 -boot-info-table "$stage" >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$tmp"
  echo "mkiso: xorriso failed" >&2
  exit 1
fi
mv "$tmp" "$out"
