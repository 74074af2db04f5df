# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# make            build build/spantrace (BPF object embedded via a bpftool skeleton)
# make demo       install what is missing, build, trace the demo program
# make test       install what is missing, build, run every test
# make unit       cmocka unit tests, plain and under ASan+UBSan (no root, no BPF)
# make fuzz       libFuzzer harnesses, FUZZ_SECONDS (default 60) each
# make integration  tracer against real targets (root)
# V=1             show the commands

BUILD      := build
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
PYTHON     ?= /usr/bin/python3
ARCH       := x86

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Wno-unused-parameter -Wmissing-prototypes -Wstrict-prototypes \
	      -Werror=implicit-function-declaration
DEPFLAGS    = -MMD -MP
LIBS       := -lbpf -ldw -lelf -lz -lcapstone -liberty

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Ivmlinux -Ibpf

# user/ is three rooms. Each compiles with its own headers and those of the
# rooms below it, so the build itself keeps the core from the live system:
#   core     the data path, records to trace: pure C on memory and the streams
#            it is given (no skeleton, no /proc: scripts/check-core.sh checks
#            what its objects call);
#   symbols  binaries and the kernel's symbols: ELF, Go, maps, SPECs, probe sites;
#   live     what talks to the kernel and the target, the loop, main; the only
#            room that sees the BPF skeleton ($(BUILD)).
CORE_SRCS    := $(wildcard user/core/*.c)
SYMBOLS_SRCS := $(wildcard user/symbols/*.c)
LIVE_SRCS    := $(wildcard user/live/*.c)
INC_core     := -Iuser/core -Ibpf
INC_symbols  := -Iuser/symbols $(INC_core)
INC_live     := -Iuser/live $(INC_symbols) -I$(BUILD)
# the include paths of the room of the source being compiled (% = ROOM/NAME)
ROOM_INC      = $(INC_$(firstword $(subst /, ,$*)))
# tests, replay and the fuzzers see every room's headers, never the skeleton
TEST_CPPFLAGS := -D_GNU_SOURCE -Iuser/live $(INC_symbols)

# The live room's files that drive the kernel or the target: only spantrace
# links them. Everything else links into unit tests, replay and fuzzers.
LIVE_SYSTEM  := $(addprefix user/live/,main.c loader.c target.c uplan.c list.c kfeatures.c tracefs.c umulti.c \
		  calib.c guard.c kevents.c uprobes.c ringread.c live.c procscan.c mapsweep.c)
ALL_SRCS     := $(CORE_SRCS) $(SYMBOLS_SRCS) $(LIVE_SRCS)
TESTABLE_SRCS := $(filter-out $(LIVE_SYSTEM),$(ALL_SRCS))
objs_in       = $(patsubst user/%.c,$(BUILD)/$(1)/%.o,$(2))
ALL_OBJS     := $(call objs_in,obj,$(ALL_SRCS))
CORE_OBJS    := $(call objs_in,obj,$(CORE_SRCS))
SYMBOLS_OBJS := $(call objs_in,obj,$(SYMBOLS_SRCS))
SKEL_OBJS    := $(call objs_in,obj,$(LIVE_SRCS))
TESTABLE_OBJS := $(call objs_in,obj,$(TESTABLE_SRCS))
ASAN_OBJS    := $(call objs_in,asan,$(TESTABLE_SRCS))

UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
UNIT_ASAN   := $(patsubst tests/unit/%.c,$(BUILD)/unit-asan/%,$(UNIT_SRCS))
SAN         := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

TARGET_SRCS := $(wildcard tests/targets/*.c)
TARGETS     := $(patsubst tests/targets/%.c,$(BUILD)/targets/%,$(TARGET_SRCS))

FIX         := $(BUILD)/fixtures
FIXTURES    := $(FIX)/fx_pie $(FIX)/fx_nopie $(FIX)/libfx.so $(FIX)/fx_pie_stripped \
	       $(FIX)/libfx_stripped.so $(FIX)/fx_notelf $(FIX)/libfx_asm.so

.DELETE_ON_ERROR:
.SECONDARY: $(ASAN_OBJS)
.PHONY: all deps demo test unit integration targets fixtures clean

all: $(BUILD)/spantrace

deps:
	$(Q)./scripts/install-deps.sh

# --- BPF object and skeleton ---------------------------------------------
# One .bpf.c per concern, compiled alone and linked into one object (bpftool's
# static linker), of which one skeleton is made. common.bpf.o goes first: it
# defines every map the others declare extern (see bpf/common.bpf.h for why).
BPF_SRCS := bpf/common.bpf.c $(filter-out bpf/common.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/spantrace.bpf.o: $(BPF_OBJS)
	$(call msg,BPF-LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/spantrace.skel.h: $(BUILD)/spantrace.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name spantrace_bpf > $@

# --- spantrace: the three rooms -------------------------------------------
$(BUILD)/obj/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -D_GNU_SOURCE $(ROOM_INC) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(SKEL_OBJS): $(BUILD)/spantrace.skel.h

# The core calls nothing but memory, strings and the streams it is given.
$(BUILD)/core.checked: scripts/check-core.sh scripts/core-calls.txt $(CORE_OBJS)
	$(call msg,CHECK,core)
	$(Q)scripts/check-core.sh scripts/core-calls.txt $(CORE_OBJS)
	$(Q)touch $@

$(BUILD)/spantrace: $(ALL_OBJS) | $(BUILD)/core.checked
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(ALL_OBJS) $(LIBS) -o $@

# --- unit tests (cmocka) -----------------------------------------------------
$(BUILD)/asan/%.o: user/%.c
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -D_GNU_SOURCE $(ROOM_INC) -O1 -g $(SAN) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/unit/%: tests/unit/%.c $(TESTABLE_OBJS) | $(BUILD)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CPPFLAGS) $(CFLAGS) $(WARN) -DFIXTURE_DIR='"$(abspath $(FIX))"' \
		$(DEPFLAGS) $< $(TESTABLE_OBJS) -lcmocka $(LIBS) -o $@

$(BUILD)/unit-asan/%: tests/unit/%.c $(ASAN_OBJS) | $(BUILD)/unit-asan
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(TEST_CPPFLAGS) -O1 -g $(SAN) $(WARN) -DFIXTURE_DIR='"$(abspath $(FIX))"' \
		$(DEPFLAGS) $< $(ASAN_OBJS) -lcmocka $(LIBS) -o $@

# ELF files the symbol-resolution tests read: PIE, non-PIE, shared library,
# and stripped copies that keep only .dynsym.
fixtures: $(FIXTURES)
$(FIX)/fx_pie: tests/fixtures/fx_main.c | $(FIX)
	$(Q)$(CC) -O1 -g -fPIE -pie -rdynamic $< -o $@
$(FIX)/fx_nopie: tests/fixtures/fx_main.c | $(FIX)
	$(Q)$(CC) -O1 -g -fno-PIE -no-pie $< -o $@
$(FIX)/libfx.so: tests/fixtures/fx_lib.c | $(FIX)
	$(Q)$(CC) -O1 -g -fPIC -shared $< -o $@
$(FIX)/fx_pie_stripped: $(FIX)/fx_pie
	$(Q)strip --strip-all $< -o $@
$(FIX)/libfx_stripped.so: $(FIX)/libfx.so
	$(Q)strip --strip-all $< -o $@
$(FIX)/libfx_asm.so: tests/fixtures/fx_asm.S | $(FIX)
	$(Q)$(CC) -shared -nostdlib $< -o $@
$(FIX)/fx_notelf: | $(FIX)
	$(Q)printf 'not an ELF file\n' > $@

# >>> Go fixtures (gobin, elfsym's .gopclntab) >>>
# fx_go with DWARF and .symtab; stripped (only .gopclntab names its functions);
# -ldflags=-w (no DWARF, keeps .symtab); and stripped copies whose version
# strings claim a Go before 1.17 and one after the version table.
GO         ?= go
GO_FX_ENV   = GOCACHE=$(abspath $(BUILD))/gocache GOFLAGS=-buildvcs=false
# argv: in out new-minor; rewrites every "go1.MINOR.PATCH" of the toolchain that
# built it in place, same length.
GO_RETAG    = import re, sys; \
	old = sys.argv[4].encode(); new = re.sub(rb"^go1\.[0-9]+", b"go1." + sys.argv[3].encode(), old); \
	assert len(new) == len(old), (old, new); \
	d = open(sys.argv[1], "rb").read(); assert old in d, old; \
	open(sys.argv[2], "wb").write(d.replace(old, new))
FIXTURES   += $(FIX)/fx_go $(FIX)/fx_go_stripped $(FIX)/fx_go_nodwarf $(FIX)/fx_go_old \
	      $(FIX)/fx_go_unknown
$(FIX)/fx_go: tests/fixtures/fx_go.go | $(FIX)
	$(Q)$(GO_FX_ENV) $(GO) build -o $@ $<
$(FIX)/fx_go_nodwarf: tests/fixtures/fx_go.go | $(FIX)
	$(Q)$(GO_FX_ENV) $(GO) build -ldflags=-w -o $@ $<
$(FIX)/fx_go_stripped: $(FIX)/fx_go
	$(Q)strip --strip-all $< -o $@
$(FIX)/fx_go_old: $(FIX)/fx_go_stripped
	$(Q)$(PYTHON) -c '$(GO_RETAG)' $< $@ 16 "$$($(GO_FX_ENV) $(GO) env GOVERSION)"
$(FIX)/fx_go_unknown: $(FIX)/fx_go_stripped
	$(Q)$(PYTHON) -c '$(GO_RETAG)' $< $@ 99 "$$($(GO_FX_ENV) $(GO) env GOVERSION)"
# Partial .symtab: a stripped copy given back one symbol by objcopy, inside .text
# (fewsyms), or two at absolute addresses (abssym): one aliases main.alpha, the
# other is main.beta without its size; and one whose .symtab keeps main.* only,
# without the runtime's functions (mainsyms).
# argv of GO_SYMADDR: binary, symbol; prints its address in hex.
GO_SYMADDR  = nm $(1) | awk '$$3 == "$(2)" { print "0x" $$1; found = 1 } END { exit !found }'
FIXTURES   += $(FIX)/fx_go_fewsyms $(FIX)/fx_go_abssym $(FIX)/fx_go_mainsyms
$(FIX)/fx_go_fewsyms: $(FIX)/fx_go_stripped
	$(Q)objcopy --add-symbol added_fn=.text:0x10,global,function $< $@
$(FIX)/fx_go_abssym: $(FIX)/fx_go_stripped $(FIX)/fx_go
	$(Q)alpha=$$($(call GO_SYMADDR,$(FIX)/fx_go,main.alpha)) && \
		beta=$$($(call GO_SYMADDR,$(FIX)/fx_go,main.beta)) && \
		objcopy --add-symbol alpha_alias=$$alpha,global,function \
			--add-symbol main.beta=$$beta,global,function $< $@
$(FIX)/fx_go_mainsyms: $(FIX)/fx_go
	$(Q)strip --strip-all --wildcard --keep-symbol='main.*' $< -o $@
# <<< Go fixtures <<<

unit: $(UNIT_BINS) $(UNIT_ASAN) $(FIXTURES)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
	$(Q)set -e; for t in $(UNIT_ASAN); do echo "== $$t (ASan+UBSan)"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

# --- integration tests (root, real kernel) ----------------------------------
$(BUILD)/targets/%: tests/targets/%.c | $(BUILD)/targets
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -pthread -fno-omit-frame-pointer $(DEPFLAGS) $< -o $@

# C++ targets (exceptions through traced frames).
CXX ?= g++
TARGETS += $(patsubst tests/targets/%.cpp,$(BUILD)/targets/%,$(wildcard tests/targets/*.cpp))
$(BUILD)/targets/%: tests/targets/%.cpp | $(BUILD)/targets
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O1 -g $(DEPFLAGS) $< -o $@

# Rust targets, by Debian's rustc (by its path: a rustup toolchain may come first in
# PATH): v0 and legacy (the default) symbol mangling.
RUSTC ?= /usr/bin/rustc
TARGETS += $(BUILD)/targets/wc_v0 $(BUILD)/targets/wc_legacy
$(BUILD)/targets/wc_v0: tests/targets/rust/wc.rs | $(BUILD)/targets
	$(call msg,RUSTC,$@)
	$(Q)$(RUSTC) -O -g -C symbol-mangling-version=v0 $< -o $@
$(BUILD)/targets/wc_legacy: tests/targets/rust/wc.rs | $(BUILD)/targets
	$(call msg,RUSTC,$@)
	$(Q)$(RUSTC) -O -g $< -o $@

# Variants of the threads target: non-PIE, and stripped to .dynsym only.
TARGETS += $(BUILD)/targets/threads_nopie $(BUILD)/targets/threads_stripped
$(BUILD)/targets/threads_nopie: tests/targets/threads.c | $(BUILD)/targets
	$(Q)$(CC) -O1 -g -pthread -fno-PIE -no-pie $< -o $@
$(BUILD)/targets/threads_stripped: tests/targets/threads.c | $(BUILD)/targets
	$(Q)$(CC) -O1 -pthread -rdynamic $< -o $@.tmp && strip --strip-all $@.tmp -o $@ && rm -f $@.tmp

# Static, so it runs alone in a chroot (tests/integration/test_target_objects.py).
TARGETS += $(BUILD)/targets/threads_static
$(BUILD)/targets/threads_static: tests/targets/threads.c | $(BUILD)/targets
	$(Q)$(CC) -O1 -g -pthread -fno-omit-frame-pointer -static $< -o $@

# The Go target: built with DWARF, stripped (functions only in .gopclntab), and
# copies whose version strings claim a Go before the register ABI, and one
# spantrace does not know (with and without DWARF to read runtime.g from).
GT := $(BUILD)/targets
TARGETS += $(GT)/gotasks $(GT)/gotasks_stripped $(GT)/gotasks_old $(GT)/gotasks_unknown \
	   $(GT)/gotasks_unknown_dwarf
$(GT)/gotasks: tests/targets/go/gotasks.go | $(GT)
	$(call msg,GO,$@)
	$(Q)$(GO_FX_ENV) $(GO) build -o $@ $<
# The Go runtime under probes: the GC's write barriers and sha256's assembly.
TARGETS += $(GT)/gowork
$(GT)/gowork: tests/targets/go/gowork.go | $(GT)
	$(call msg,GO,$@)
	$(Q)$(GO_FX_ENV) $(GO) build -o $@ $<
$(GT)/gotasks_stripped: $(GT)/gotasks
	$(Q)strip --strip-all $< -o $@
$(GT)/gotasks_old: $(GT)/gotasks_stripped
	$(Q)$(PYTHON) -c '$(GO_RETAG)' $< $@ 16 "$$($(GO_FX_ENV) $(GO) env GOVERSION)" && chmod +x $@
$(GT)/gotasks_unknown: $(GT)/gotasks_stripped
	$(Q)$(PYTHON) -c '$(GO_RETAG)' $< $@ 99 "$$($(GO_FX_ENV) $(GO) env GOVERSION)" && chmod +x $@
$(GT)/gotasks_unknown_dwarf: $(GT)/gotasks
	$(Q)$(PYTHON) -c '$(GO_RETAG)' $< $@ 99 "$$($(GO_FX_ENV) $(GO) env GOVERSION)" && chmod +x $@
# Partial .symtab, as for the fixtures above: .gopclntab must name what it lacks.
TARGETS += $(GT)/gotasks_fewsyms $(GT)/gotasks_abssym $(GT)/gotasks_mainsyms
$(GT)/gotasks_fewsyms: $(GT)/gotasks_stripped
	$(Q)objcopy --add-symbol added_fn=.text:0x10,global,function $< $@
$(GT)/gotasks_abssym: $(GT)/gotasks_stripped $(GT)/gotasks
	$(Q)addr=$$($(call GO_SYMADDR,$(GT)/gotasks,main.worker)) && \
		objcopy --add-symbol worker_alias=$$addr,global,function $< $@
$(GT)/gotasks_mainsyms: $(GT)/gotasks
	$(Q)strip --strip-all --wildcard --keep-symbol='main.*' $< -o $@

# The span API built as distributions build packages (CET: every function starts with
# endbr64) and with frame pointers as Fedora does (every function then pushes rbp):
# the entry probe moves past endbr64 to the push.
TARGETS += $(BUILD)/targets/spanapi_cet
$(BUILD)/targets/spanapi_cet: tests/targets/spanapi.c | $(BUILD)/targets
	$(Q)$(CC) -O1 -g -pthread -fcf-protection -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
		$< -o $@

targets: $(TARGETS)

integration: $(BUILD)/spantrace $(TARGETS) $(BUILD)/qemu/initramfs.cpio.gz
	$(Q)$(PYTHON) -m pytest -q -rs tests/integration

# --- the kprobe path under qemu ----------------------------------------------
# This kernel has no kprobes: Debian's own 6.1 kernel, booted under qemu (TCG)
# from a minimal initramfs, runs them (tests/integration/test_kprobes_qemu.py).
# Everything in the initramfs is static: busybox-static, spantrace, guestprog.
STATIC_LIBS := -l:libbpf.a -l:libdw.a -l:libelf.a -l:libz.a -l:liblzma.a -l:libbz2.a \
	       -l:libcapstone.a -l:libiberty.a

$(BUILD)/spantrace-static: $(ALL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -static $^ $(STATIC_LIBS) -o $@

$(BUILD)/qemu/guestprog: tests/qemu/guestprog.c | $(BUILD)/qemu
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -static $< -o $@

$(BUILD)/qemu/initramfs.cpio.gz: tests/qemu/mkinitramfs.sh tests/qemu/init.sh \
		$(BUILD)/spantrace-static $(BUILD)/qemu/guestprog $(GT)/gotasks_stripped | $(BUILD)/qemu
	$(call msg,CPIO,$@)
	$(Q)tests/qemu/mkinitramfs.sh $@ $(BUILD)/spantrace-static $(BUILD)/qemu/guestprog \
		tests/qemu/init.sh $(GT)/gotasks_stripped

$(BUILD)/qemu:
	$(Q)mkdir -p $@

# >>> bench (make bench: bench/bench.py writes bench/RESULTS.md) >>>
# Cost per traced call, bpftrace against spantrace, on the same targets and
# functions (root), the event loop under load (bench/loopbench.py; only that part:
# make bench BENCH_ARGS="--only loop"), spantrace against empty programs on its own
# sites, its BPF-side work per call (only that part: BENCH_ARGS="--only floor"), and the
# tax on untraced processes (bench/taxbench.py; only that part: make bench BENCH_ONLY=tax,
# the same as BENCH_ARGS="--only tax"). callloop.c is built with CET (bench_cet starts with endbr64),
# callloop_nocet.c without (bench_push starts with push, bench_leaf is lea; ret).
# make bench builds everything it runs.
BENCH_DIR   := $(BUILD)/bench
BENCH_BINS  := $(BENCH_DIR)/callloop $(BENCH_DIR)/callloop_cxx $(BENCH_DIR)/goloop \
	       $(BENCH_DIR)/taxloop
.PHONY: bench bench-targets
# the loop targets, and the overhead guard's (bench/guardbench.py)
bench-targets: $(BENCH_BINS) $(BUILD)/targets/hotloop
$(BENCH_DIR)/callloop_cet.o: bench/targets/callloop.c | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fcf-protection -fno-omit-frame-pointer $(DEPFLAGS) -c $< -o $@
$(BENCH_DIR)/callloop_nocet.o: bench/targets/callloop_nocet.c | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fcf-protection=none -fno-omit-frame-pointer -momit-leaf-frame-pointer \
		$(DEPFLAGS) -c $< -o $@
$(BENCH_DIR)/callloop: $(BENCH_DIR)/callloop_cet.o $(BENCH_DIR)/callloop_nocet.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $^ -o $@
# The same loop in a C++ process: libstdc++ mapped, so exceptions could unwind.
$(BENCH_DIR)/callloop_cxx: $(BENCH_DIR)/callloop_cet.o $(BENCH_DIR)/callloop_nocet.o
	$(call msg,LINK,$@)
	$(Q)$(CXX) $^ -Wl,--no-as-needed -lstdc++ -o $@
$(BENCH_DIR)/goloop: bench/targets/goloop.go | $(BENCH_DIR)
	$(call msg,GO,$@)
	$(Q)$(GO_FX_ENV) $(GO) build -o $@ $<
# An untraced process's syscall loop and pipe ping-pong (bench/taxbench.py).
$(BENCH_DIR)/taxloop: bench/targets/taxloop.c | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g $(WARN) $(DEPFLAGS) $< -o $@
$(BENCH_DIR):
	$(Q)mkdir -p $@
# The memory run's records (bench/churn.c), through replay --stream. Alone, without
# root: make bench BENCH_ARGS='--only churn'.
$(BENCH_DIR)/churn: bench/churn.c $(CORE_OBJS) | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CPPFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) $< $(CORE_OBJS) \
		$(filter-out -lbpf,$(LIBS)) -o $@
BENCH_ARGS ?=
bench: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/spantrace bench-targets $(BUILD)/bench/replay \
		$(BENCH_DIR)/churn $(BUILD)/targets/pipefarm
	$(Q)$(PYTHON) bench/bench.py --build $(BUILD) $(if $(BENCH_ONLY),--only $(BENCH_ONLY)) \
		$(BENCH_ARGS)
# <<< bench <<<

# >>> replay (record files of --save-records through the span path: decoder, span
# tree, Chrome writer, on one core; links the core and symbols (kallsyms), no
# libbpf, no root) >>>
$(BUILD)/bench/replay: bench/replay.c $(CORE_OBJS) $(SYMBOLS_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CPPFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) $< $(CORE_OBJS) $(SYMBOLS_OBJS) \
		$(filter-out -lbpf,$(LIBS)) -o $@
# tests/integration/test_save_records.py replays a record file with it
integration: $(BUILD)/bench/replay
# <<< replay <<<

# >>> fuzz (make fuzz: libFuzzer harnesses tests/fuzz/fuzz_*.c against the core, ASan+UBSan) >>>
# Each harness runs FUZZ_SECONDS over its corpus, build/fuzz/corpus/NAME (kept
# between runs), and its seeds, build/fuzz/seeds/NAME (made here from the
# fixtures, tests/fuzz/gen_records.c and tests/fuzz/seeds.sh). A crash, leak,
# timeout or broken promise fails the build and names the reproducer, saved
# in build/fuzz/crashes/. `make test` runs each for FUZZ_TEST_SECONDS from
# its seeds alone (fuzz-short).
FUZZ_DIR          := $(BUILD)/fuzz
FUZZ_NAMES        := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS         := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
FUZZ_OBJS         := $(patsubst user/%.c,$(FUZZ_DIR)/obj/%.o,$(TESTABLE_SRCS))
FUZZ_SAN          := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS      ?= 60
FUZZ_TEST_SECONDS ?= 5
.PHONY: fuzz fuzz-short fuzz-build
.SECONDARY: $(FUZZ_OBJS)

# The core with coverage instrumentation for libFuzzer; no main, no libbpf.
$(FUZZ_DIR)/obj/%.o: user/%.c
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -D_GNU_SOURCE $(ROOM_INC) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(WARN) \
		$(DEPFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) | $(FUZZ_DIR)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(TEST_CPPFLAGS) -Itests/fuzz -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer $(WARN) \
		$(DEPFLAGS) $< $(FUZZ_OBJS) $(filter-out -lbpf,$(LIBS)) -o $@

# Writes seed records with the decoder's own record-file writer (plain build).
$(FUZZ_DIR)/gen_records: tests/fuzz/gen_records.c $(CORE_OBJS) | $(FUZZ_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CPPFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) $< $(CORE_OBJS) \
		$(filter-out -lbpf,$(LIBS)) -o $@

$(FUZZ_DIR)/seeds/.made: tests/fuzz/seeds.sh tests/fuzz/goseed.c $(FUZZ_DIR)/gen_records \
		$(FIXTURES) | $(FUZZ_DIR)
	$(call msg,SEEDS,$(FUZZ_DIR)/seeds)
	$(Q)CC="$(CC)" tests/fuzz/seeds.sh $(FUZZ_DIR)/seeds $(FIX) $(FUZZ_DIR)/gen_records
	$(Q)touch $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_DIR)/seeds/.made

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) corpus $(FUZZ_NAMES)

fuzz-short: fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_TEST_SECONDS) seeds $(FUZZ_NAMES)

$(FUZZ_DIR):
	$(Q)mkdir -p $@

-include $(wildcard $(FUZZ_DIR)/obj/*/*.d)
# <<< fuzz <<<

# --- golden traces: recorded runs replayed to the same bytes -----------------
.PHONY: golden golden-update
golden: $(BUILD)/bench/replay
	$(Q)tests/golden/check.sh $(BUILD)/bench/replay $(BUILD)/golden
golden-update: $(BUILD)/bench/replay
	$(Q)tests/golden/check.sh $(BUILD)/bench/replay $(BUILD)/golden --update

# >>> coverage (make coverage: line coverage per room and per file; not in make test) >>>
# An instrumented copy of spantrace, the unit tests, replay, the targets and the
# fixtures in build-cov/ (coverage-build with BUILD=build-cov and --coverage; the
# BPF object is not instrumented); scripts/coverage.sh runs the unit tests, the
# golden replays and the integration tests (as root) against it and reports with
# lcov, pages in build-cov/html.
COV_BUILD  := build-cov
COV_CFLAGS := -O0 -g --coverage
.PHONY: coverage coverage-build clean-coverage
coverage-build: $(BUILD)/spantrace $(BUILD)/bench/replay $(UNIT_BINS) $(FIXTURES) $(TARGETS)
coverage: deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(COV_BUILD) CFLAGS='$(COV_CFLAGS)' coverage-build
	$(Q)PYTHON=$(PYTHON) scripts/coverage.sh $(COV_BUILD)
clean-coverage:
	rm -rf $(COV_BUILD)
clean: clean-coverage
# <<< coverage <<<

# --- the two README commands ------------------------------------------------
test: deps
	$(Q)$(MAKE) --no-print-directory all unit golden fuzz-short integration

DEMO_OUT ?= demo-trace.json
demo: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/targets/demo
	$(Q)$(BUILD)/spantrace -u 'demo_*' -o $(DEMO_OUT) -- $(BUILD)/targets/demo
	@echo "demo: wrote $(DEMO_OUT): open it in https://ui.perfetto.dev, chrome://tracing or speedscope"

$(BUILD) $(BUILD)/unit $(BUILD)/unit-asan $(BUILD)/targets $(FIX):
	$(Q)mkdir -p $@

clean:
	rm -rf $(BUILD)

# (not spantrace.bpf.d: a build from before the BPF files were split left it,
# naming a source that is gone)
-include $(filter-out $(BUILD)/spantrace.bpf.d,$(wildcard $(BUILD)/*.d $(BUILD)/*/*.d $(BUILD)/*/*/*.d))
