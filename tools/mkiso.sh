#!/usr/bin/env bash
# mkiso.sh: make a bootable Keel ISO with GRUB (multiboot2, serial console, no menu delay).
#
#   mkiso.sh -o out.iso -k keel.elf [-c "kernel command line"] [-m file[=name]]... [-M list]...
#
# Each -m adds a boot module (name defaults to the file's base name); -M adds the modules of a
# list file, one file[=name] per line (build/image/modules.txt: the modules of keel.iso). Used
# by the build for keel.iso, by tools/keel run and by the QEMU tests for variants with other
# command lines and modules.
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
stage=$work/iso log=$work/mkrescue.log
mkdir -p "$stage/boot/grub" "$stage/boot/modules"
cp "$kernel" "$stage/boot/keel.elf"
module_lines=""
for m in "${modules[@]+"${modules[@]}"}"; do
  file=${m%%=*}
  name=$(basename "$file")
  [ "$m" != "$file" ] && name=${m#*=}
  [ -f "$file" ] || { echo "mkiso: module '$file' not found" >&2; exit 1; }
  case $name in *[!A-Za-z0-9@._+-]*|"") echo "mkiso: bad module name '$name'" >&2; exit 1 ;; esac
  cp "$file" "$stage/boot/modules/$name"
  module_lines+="    module2 /boot/modules/$name $name"$'\n'
done
cat > "$stage/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry "Keel" {
    multiboot2 /boot/keel.elf $cmdline
$module_lines    boot
}
CFG
tmp="$out.tmp.$$"
if ! grub-mkrescue -o "$tmp" "$stage" >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$tmp"
  echo "mkiso: grub-mkrescue failed" >&2
  exit 1
fi
mv "$tmp" "$out"
