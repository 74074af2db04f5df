#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Writes the seed corpora of the fuzz harnesses, one directory per harness,
# from the fixtures (make fixtures), small Go-like ELF files (goseed.c), the
# record generator (gen_records.c) and the texts below. Nothing here is
# committed: the build makes it.
#
#   seeds.sh OUT FIXTURE_DIR GEN_RECORDS
set -eu

out=$1 fix=$2 gen=$3
src=$(dirname "$0")
CC=${CC:-cc}

rm -rf "$out"
mkdir -p "$out"
for t in elfsym gobin pclntab records opts procmaps ksyms disasm; do
	mkdir -p "$out/$t"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- ELF: small Go-like executables (see goseed.c) ----------------------------
small="-O1 -nostdlib -static -no-pie -fcf-protection=none -fno-asynchronous-unwind-tables
       -Wl,--build-id=none -Wl,-z,noseparate-code -Wl,-z,max-page-size=16"
for v in INLINE POINTERS SCAN; do
	# shellcheck disable=SC2086
	$CC $small -D$v "$src/goseed.c" -o "$tmp/goseed_$v"
	strip --strip-all -R .comment "$tmp/goseed_$v"
done
# DWARF's compile unit takes the source's name: Go's runtime types live in "runtime"
cp "$src/goseed.c" "$tmp/runtime"
# shellcheck disable=SC2086
(cd "$tmp" && $CC $small -g -DINLINE -DDWARF -x c runtime -o goseed_DWARF)
python3 -c 'import sys; p = sys.argv[1]; d = open(p, "rb").read();
assert b"runtimeXg" in d; open(p, "wb").write(d.replace(b"runtimeXg", b"runtime.g"))' \
	"$tmp/goseed_DWARF"

for f in fx_pie fx_nopie libfx.so fx_pie_stripped libfx_stripped.so fx_notelf; do
	cp "$fix/$f" "$out/elfsym/"
done
cp "$tmp"/goseed_INLINE "$tmp"/goseed_POINTERS "$tmp"/goseed_SCAN "$out/elfsym/"
# a partial .symtab beside .gopclntab: one symbol objcopy added
objcopy --add-symbol seed_fn=.text:0,global,function "$tmp/goseed_INLINE" "$out/elfsym/goseed_FEWSYMS"

# Not the Go fixtures: over a megabyte, which libFuzzer cuts to 1 MiB (losing
# the section headers) and mutates at a few hundred inputs a second.
cp "$tmp"/goseed_* "$fix/fx_pie" "$out/gobin/"
objcopy -O binary --only-section=.gopclntab "$tmp/goseed_INLINE" "$out/pclntab/goseed"

# --- disassembly: a flag byte (even C, odd Go), then code ----------------------
objcopy -O binary --only-section=.text "$fix/fx_pie" "$tmp/c.text"
objcopy -O binary --only-section=.text "$fix/fx_go" "$tmp/go.text"
{ printf '\000'; head -c 1024 "$tmp/c.text"; } > "$out/disasm/c"
{ printf '\001'; head -c 1024 "$tmp/go.text"; } > "$out/disasm/go"
# endbr64; push %rbp; mov %rsp,%rbp; ... ret, and a Go stack check
printf '\000\363\017\036\372\125\110\211\345\135\303' > "$out/disasm/cet"
printf '\001\111\073\146\020\166\012\125\110\211\345\135\303' > "$out/disasm/gocheck"

# --- records ------------------------------------------------------------------
"$gen" "$out/records"

# --- command lines: arguments separated by NUL --------------------------------
n=0
args() {
	n=$((n + 1))
	printf '%s\0' "$@" > "$out/opts/cmdline$n"
}
args -p 1234
args -p 1234 -u 'ht_*' -u 'libsqlite3:sqlite3_step'
args -u 'demo_*' -o demo.json -- ./demo
args --span 'span_begin:name=arg0=span_end' -- ./server
args --span 'main.WithSpan:name=arg2=main.WithSpan.func1' -- ./goserver
args -u 'ns::f*' -u '/usr/lib/libfoo.so:::g' -d 2.5 --min-wait 0.5 --stall 3 -v -- cmd -x
args --ringbuf-size 64k --probe-at entry --save-records r.bin -p 1
args -vx -o -- --bogus=1 -u 'f:name=arg9'
args --list 'main.*' -x 'main.init*' ./goserver
args --list 'libc:malloc*' --format json -u f --span b=e -p 1234
args -l f --format=text -o x -- cmd

# --- /proc/PID/maps: the executable's path, NUL, the text ---------------------
{
	printf '/usr/bin/target\0'
	cat <<'MAPS'
55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1048602                    /usr/bin/target
55d0c0a02000-55d0c0a07000 r-xp 00002000 08:01 1048602                    /usr/bin/target
55d0c0c08000-55d0c0c29000 rw-p 00000000 00:00 0                          [heap]
7f1a2b400000-7f1a2b428000 r--p 00000000 08:01 1054842                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f1a2b428000-7f1a2b5bd000 r-xp 00028000 08:01 1054842                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f1a2b600000-7f1a2b601000 r-xp 00000000 00:2a 77                         /tmp/my lib (1).so
7f1a2b700000-7f1a2b701000 r-xp 00000000 08:01 99                         /opt/old.so (deleted)
7ffd6a5f0000-7ffd6a611000 rw-p 00000000 00:00 0                          [stack]
7ffd6a7e6000-7ffd6a7e8000 r-xp 00000000 00:00 0                          [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
MAPS
} > "$out/procmaps/process"
printf '400000-401000 r-xp 00000000 fd:00 12 /bin/a\n400000-401000 r-xp 00000000 fd:00 12 /bin/a' \
	> "$out/procmaps/nopath"

# --- kallsyms text ----------------------------------------------------------------
cat > "$out/ksyms/kernel" <<'KSYMS'
ffffffff81000000 T _stext
ffffffff81000100 t local_fn
ffffffff81000200 T schedule
ffffffff81000300 D some_data
ffffffff81000400 W weak_fn
ffffffff81000600 T anon_pipe_write
ffffffff81000700 t alias_local
ffffffff81000700 T alias_global
ffffffff81000900 t same_name
ffffffff81000a00 T same_name
ffffffffc0001000 t mod_fn	[my_mod]
ffffffffc0003000 d mod_data	[my_mod]
ffffffffc0004000 t last_fn
KSYMS
printf '0000000000000000 T _stext\n0000000000000000 T schedule\n' > "$out/ksyms/hidden"
