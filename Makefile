# vfio-pci-bpf: one entry point for build, deps, demo, check and install.
# All build output goes to $(BUILD).

BUILD ?= $(CURDIR)/build
# Test kernel: the newest installed Debian 6.12 with image and headers.
KVER ?= $(shell ls -d /lib/modules/6.12.*+deb12-amd64/build 2>/dev/null | \
	  sed 's|/lib/modules/||; s|/build||' | \
	  while read v; do [ -e /boot/vmlinuz-$$v ] && echo $$v; done | sort -V | tail -n1)
# Trixie's kernels (+deb13) build in the trixie build root that make deps
# makes (tools/buildroot.sh); KDIR is then a path inside it.
KROOT := $(if $(filter %+deb13-amd64,$(KVER)),$(BUILD)/roots/trixie)
KBUILD_IN := $(if $(KROOT),tools/buildroot.sh $(KROOT) run)
# Module BTF split on the vmlinux built against, not on a distilled base
# (kernel/compat.h says why); kernel/dkms.conf passes the same.
KBUILD_BTF := MODULE_PAHOLE_FLAGS= RESOLVE_BTFIDS_FLAGS=
# Module build tree: the running kernel's headers, or a trixie KVER's tree
# in the build root.  Without either and without KDIR the module is not
# built (make install would put a module for another kernel under that
# kernel's /lib/modules); check, demo and bench name the test kernel's
# themselves (test-build).
RUNNING_KDIR ?= /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(KROOT),/lib/modules/$(KVER)/build,$(wildcard $(RUNNING_KDIR)))
# The module targets' first step: a clear refusal when there is no KDIR.
need_kdir = @test -n "$(KDIR)" || { echo "make: no headers of the running kernel \
	($(RUNNING_KDIR)) and no KDIR: install linux-headers-$$(uname -r), or build for another \
	kernel with KDIR=/lib/modules/VERSION/build (make check and make demo build for the test \
	kernel, $(KVER), themselves)" >&2; exit 1; }
CLANG ?= $(shell command -v clang-19 || command -v clang)
CC ?= gcc
PREFIX ?= /usr/local
# The DKMS package's version: /usr/src/vfio-pci-bpf-$(VERSION).
VERSION ?= 0.4
DESTDIR ?=

CFLAGS ?= -O2 -g
# include/uapi: the kernel uapi headers the project uses, never the host's
# (tools/update-uapi.sh refreshes them).
CFLAGS += -Wall -Wextra -Werror=implicit-function-declaration -std=gnu11 -Iinclude -Iinclude/uapi
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Iinclude -Iinclude/uapi \
	-I/usr/include/$(shell $(CC) -dumpmachine 2>/dev/null) -Wall

# A line per target, as Kbuild prints; V=1 shows the commands instead.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' '$(1)' '$(patsubst $(BUILD)/%,%,$(2))'
endif

TOOLS := vfio-client vfio-bpfctl vfio-bench
# The policy daemon (loader/vfio-bpfd).
BPFD := $(BUILD)/loader/vfio-bpfd
# bpftool with the fix for module struct_ops types, built by 'make deps'.
BPFTOOL := $(BUILD)/tools/bpftool
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
TEST_BPF_SRCS := $(wildcard tests/bpf/*.bpf.c)
TEST_BPF_OBJS := $(patsubst tests/bpf/%.bpf.c,$(BUILD)/tests/bpf/%.bpf.o,$(TEST_BPF_SRCS))
# tests/bpf/forged_arg.bpf.c once per kfunc and forgery: KFUNC.FORGE.bpf.o.
FORGED_KFUNCS := config_read config_write bar_read bar_write bar_poll trap_bar untrap_bar \
	mig_write mig_read
FORGED_KINDS := genuine stack map_value ringbuf arena map_scalar kptr obj_new
FORGED_OBJS := $(foreach k,$(FORGED_KFUNCS),$(foreach f,$(FORGED_KINDS),$(BUILD)/tests/bpf/forged/$(k).$(f).bpf.o)) \
	$(foreach k,config_read config_write bar_read bar_write bar_poll,$(BUILD)/tests/bpf/forged/$(k).walked.bpf.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
KERNEL_SRCS := $(wildcard kernel/*.c kernel/*.h kernel/*.mk kernel/Kbuild) include/vfio_pci_bpf.h

.PHONY: all module native bpf loader tools unit deps build-deps check check-run check-fresh check-kernels \
	test-build demo demo-run install install-userspace install-dkms clean vm-shell bench help
all: module native bpf loader tools

help:
	@echo "make            build module, BPF objects, daemon and tools into $(BUILD)"
	@echo "make deps       install what the project needs from Debian (tests included)"
	@echo "make build-deps only what make and make install need (a production host)"
	@echo "make check      run unit tests and the VM suite (TESTS=\"hooks ...\": those VM tests)"
	@echo "make test-build what make check builds: all and the unit tests, the module for KVER"
	@echo "make check-fresh    make deps, make test-build and the unit tests in a fresh Debian 12 root"
	@echo "make check-kernels  the suite on every kernel tools/kernels.sh lists, as a table"
	@echo "make demo       boot the test VM and show the driver at work"
	@echo "make vm-shell   interactive shell in the test VM"
	@echo "make bench      per-operation cost, vfio-pci vs vfio-pci-bpf"
	@echo "make install    install the module, policies and tools"

# --- kernel module -------------------------------------------------------
# Kbuild of 6.12 builds external modules in their source folder, so the
# sources are linked into the build folder to keep the checkout clean.
# The kernel tree the module was last built against: a different KDIR
# (another KVER) rebuilds it even when no source changed.
KDIR_STAMP := $(BUILD)/kernel/.kdir
$(shell mkdir -p $(BUILD)/kernel && [ -e $(KDIR_STAMP) ] && \
	[ "$$(cat $(KDIR_STAMP))" = "$(KDIR)" ] || echo "$(KDIR)" >$(KDIR_STAMP))

module: $(BUILD)/kernel/vfio_pci_bpf.ko
$(BUILD)/kernel/vfio_pci_bpf.ko: $(KERNEL_SRCS) $(KDIR_STAMP)
	$(need_kdir)
	@test -d "$(KROOT)$(KDIR)" || { echo "no kernel build tree at KDIR=$(KROOT)$(KDIR) (run 'make deps')"; exit 1; }
	@mkdir -p $(BUILD)/kernel
	@for f in kernel/*.c kernel/*.h kernel/*.mk kernel/Kbuild; do ln -sf $(CURDIR)/$$f $(BUILD)/kernel/; done
	$(Q)$(KBUILD_IN) $(MAKE) --no-print-directory -C $(KDIR) M=$(BUILD)/kernel VPB_INCLUDE=$(CURDIR)/include \
		$(KBUILD_BTF) $(if $(V),V=$(V)) modules

# The benchmark's C peer of the trace and bar_trap policies (never installed).
NATIVE_KO := $(BUILD)/tests/native/vfio_pci_native.ko
native: $(NATIVE_KO)
$(NATIVE_KO): tests/native/vfio_pci_native.c tests/native/Kbuild kernel/compat.h kernel/compat.mk $(KDIR_STAMP)
	$(need_kdir)
	@mkdir -p $(@D)
	@ln -sf $(CURDIR)/tests/native/vfio_pci_native.c $(CURDIR)/tests/native/Kbuild $(@D)/
	$(Q)$(KBUILD_IN) $(MAKE) --no-print-directory -C $(KDIR) M=$(@D) VPB_KERNEL=$(CURDIR)/kernel \
		$(KBUILD_BTF) $(if $(V),V=$(V)) modules

# --- BPF policies --------------------------------------------------------
bpf: $(BPF_OBJS) $(TEST_BPF_OBJS) $(FORGED_OBJS)
UAPI_HDRS := $(wildcard include/uapi/linux/*.h)
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c include/vfio_pci_bpf.h $(UAPI_HDRS)
	@mkdir -p $(@D)
	$(call say,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c include/vfio_pci_bpf.h $(UAPI_HDRS)
	@mkdir -p $(@D)
	$(call say,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/tests/bpf/forged/%.bpf.o: tests/bpf/forged_arg.bpf.c include/vfio_pci_bpf.h $(UAPI_HDRS)
	@mkdir -p $(@D)
	$(call say,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DKFUNC=$(basename $*) \
		-DFORGE=$(shell echo '$(subst .,,$(suffix $*))' | tr a-z A-Z) -c $< -o $@
$(BUILD)/tests/bpf/trivial_edu.bpf.o: tests/bpf/trivial.bpf.c

# --- the loader daemon ---------------------------------------------------
LOADER_SRCS := $(wildcard loader/lib/*.c)
# What every program built on the loader depends on besides its own source.
LOADER_DEPS := $(LOADER_SRCS) $(wildcard loader/lib/*.h) include/vfio_pci_bpf.h
loader: $(BPFD)
$(BPFD): $(wildcard loader/vfio-bpfd/*.c loader/vfio-bpfd/*.h) $(LOADER_DEPS)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iloader/lib -o $@ $(filter %.c,$^) -lbpf -lelf -lz -linih -lsystemd -ludev -lmicrohttpd -ljson-c

# --- userspace tools -----------------------------------------------------
tools: $(patsubst %,$(BUILD)/tools/%,$(TOOLS)) $(BPFTOOL)
# Optional: the tests need it, an install puts it aside when it is there.
$(BPFTOOL): tools/bpftool/build.sh $(wildcard tools/bpftool/*.patch)
	$(call say,CP,$@)
	$(Q)tools/bpftool/build.sh --cached $@ || echo "  (no patched bpftool: the tests need it)"
$(BUILD)/tools/vfio-client: $(wildcard tools/vfio-client/*.c tools/vfio-client/*.h) loader/lib/bdf.c loader/lib/bdf.h
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iloader/lib -o $@ $(filter %.c,$^)

# The benchmark shares the client's VFIO plumbing.
VFIO_LIB_SRCS := tools/vfio-client/vfio.c loader/lib/bdf.c tools/vfio-client/errname.c
$(BUILD)/tools/vfio-bench: tools/vfio-bench/main.c $(VFIO_LIB_SRCS) $(wildcard tools/vfio-client/*.h)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itools/vfio-client -Iloader/lib -o $@ $(filter %.c,$^)

$(BUILD)/tools/vfio-bpfctl: $(wildcard tools/vfio-bpfctl/*.c) $(LOADER_DEPS)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iloader/lib -DVPB_VERSION='"$(VERSION)"' -o $@ $(filter %.c,$^) -lbpf -lelf -lz -ljson-c

# --- tests ---------------------------------------------------------------
# Sources a unit test links besides itself: test_X.c uses UNIT_DEPS_X.
VC := tools/vfio-client
UNIT_DEPS_bdf := loader/lib/bdf.c
UNIT_DEPS_errname := $(VC)/errname.c
UNIT_DEPS_caps := $(VC)/caps.c
UNIT_DEPS_format := $(VC)/format.c $(VC)/errname.c
UNIT_DEPS_pci := $(VC)/pci.c
UNIT_DEPS_params := loader/lib/params.c loader/lib/bdf.c
UNIT_DEPS_config := loader/vfio-bpfd/config.c loader/vfio-bpfd/object.c loader/vfio-bpfd/request.c loader/lib/params.c loader/lib/bdf.c
UNIT_LIBS_config := -linih -ljson-c
UNIT_DEPS_state := loader/vfio-bpfd/state.c loader/vfio-bpfd/dirs.c loader/vfio-bpfd/config.c \
	loader/vfio-bpfd/object.c loader/lib/params.c loader/lib/bdf.c
UNIT_LIBS_state := -linih
UNIT_DEPS_sysfs_json := loader/lib/sysfs_json.c
UNIT_LIBS_sysfs_json := -ljson-c
UNIT_DEPS_control := loader/vfio-bpfd/control.c loader/vfio-bpfd/dirs.c loader/vfio-bpfd/log.c
UNIT_LIBS_control := -ljson-c

# The VFIO client's code without its main, for test programs that drive devices.
VFIO_CLIENT_LIB := $(filter-out tools/vfio-client/main.c,$(wildcard tools/vfio-client/*.c)) loader/lib/bdf.c

TEST_HELPERS := $(BUILD)/tests/link-misuse $(BUILD)/tests/vfio-race $(BUILD)/tests/vfio-fuzz \
	$(BUILD)/tests/vfio-stall $(BUILD)/tests/vpb-scale $(BUILD)/tests/fail-obj-get.so
$(BUILD)/tests/vpb-scale: tests/helpers/vpb_scale.c $(LOADER_DEPS)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iloader/lib -o $@ $(filter %.c,$^) -lbpf -lelf -lz -ljson-c
$(BUILD)/tests/vfio-%: tests/helpers/vfio_%.c $(VFIO_CLIENT_LIB) $(wildcard tools/vfio-client/*.h)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itools/vfio-client -Iloader/lib -o $@ $(filter %.c,$^) -lpthread
$(BUILD)/tests/fail-obj-get.so: tests/helpers/fail_obj_get.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) -shared -fPIC -o $@ $< -ldl
$(BUILD)/tests/link-misuse: tests/helpers/link_misuse.c $(LOADER_DEPS)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iloader/lib -o $@ $(filter %.c,$^) -lbpf -lelf -lz -ljson-c

unit: $(UNIT_BINS) $(TEST_HELPERS)
$(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(wildcard tools/vfio-client/*.h tools/vfio-client/*.c loader/lib/*.h loader/lib/*.c loader/vfio-bpfd/*.h loader/vfio-bpfd/*.c)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itools/vfio-client -Iloader/lib -Iloader/vfio-bpfd -o $@ $< $(UNIT_DEPS_$*) \
		-lcmocka $(UNIT_LIBS_$*)

# Only a KVER the user gave is passed on: otherwise deps picks the newest.
deps:
	@KVER=$(if $(filter command line environment,$(origin KVER)),$(KVER),) BUILD=$(BUILD) \
		tools/deps.sh >/dev/null
# What make and make install need on a host that only runs the driver: no
# QEMU, no test kernel, no patched bpftool.
build-deps:
	@tools/deps.sh --build

# check and demo install deps first, then rebuild against the test kernel.
check: deps
	@$(MAKE) --no-print-directory check-run
# Everything, the module built for the test kernel (KVER) whatever runs here.
test-build:
	@$(MAKE) --no-print-directory all unit KDIR=/lib/modules/$(KVER)/build BUILD=$(BUILD)
	@echo $(KVER) >$(BUILD)/kver
check-run:
	@$(MAKE) --no-print-directory test-build
	@BUILD=$(BUILD) KVER=$(KVER) tests/run-all.sh $(TESTS)

# A fresh Debian 12 machine (debootstrap): make deps, make, unit tests.
check-fresh:
	@BUILD=$(BUILD) tests/fresh-machine.sh

# The suite on each kernel of tools/kernels.sh (or KERNELS="KVER ..").
check-kernels:
	@BUILD=$(BUILD) tools/check-kernels.sh $(KERNELS)

demo: deps
	@$(MAKE) --no-print-directory demo-run
demo-run:
	@$(MAKE) --no-print-directory test-build
	@BUILD=$(BUILD) KVER=$(KVER) tests/vm/run.sh -- tests/vm/demo.sh

# Per-operation cost of every configuration, then 64 devices; in guest
# instructions (QEMU -icount, one vCPU) unless BENCH_CLOCK=wall.  See
# docs/performance.md.
BENCH_CLOCK ?= icount
BENCH_VM = BUILD=$(BUILD) KVER=$(KVER) VM_DEBUG=0 BENCH_CLOCK=$(BENCH_CLOCK) \
	VM_ENV="BENCH_CLOCK BENCH_BATCHES BENCH_OPS" \
	$(if $(filter icount,$(BENCH_CLOCK)),VM_SMP=1 VM_TIMEOUT=1500)
ICOUNT_ARGS = $(if $(filter icount,$(BENCH_CLOCK)),-icount shift=0$(,)sleep=off)
, := ,
bench: deps
	@$(MAKE) --no-print-directory test-build
	@$(BENCH_VM) VM_QEMU_ARGS="$(ICOUNT_ARGS)" tests/vm/run.sh -- tools/bench.sh
	@$(BENCH_VM) VM_QEMU_ARGS="$(ICOUNT_ARGS) $$(tools/bench-scale.sh --qemu-args)" \
		tests/vm/run.sh -- tools/bench-scale.sh

vm-shell:
	@$(MAKE) --no-print-directory test-build
	@BUILD=$(BUILD) KVER=$(KVER) tests/vm/run.sh --shell

# --- install -------------------------------------------------------------
install: all install-userspace install-dkms
	$(MAKE) -C $(KDIR) M=$(BUILD)/kernel INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install

print-version:
	@echo $(VERSION)

# The module's sources for DKMS, which rebuilds it for every installed kernel:
# dkms add/build/install -m vfio-pci-bpf -v $(VERSION).
DKMS_SRC := $(DESTDIR)/usr/src/vfio-pci-bpf-$(VERSION)
install-dkms:
	install -d $(DKMS_SRC)/kernel $(DKMS_SRC)/include
	install -m 0644 kernel/*.c kernel/*.h kernel/*.mk kernel/Kbuild $(DKMS_SRC)/kernel/
	install -m 0644 include/vfio_pci_bpf.h $(DKMS_SRC)/include/
	sed 's|@VERSION@|$(VERSION)|g' kernel/dkms.conf >$(DKMS_SRC)/dkms.conf

# Everything but the module: tools, daemon and its unit, policies, header, docs.
install-userspace: bpf loader tools
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/vfio-pci-bpf \
		$(DESTDIR)$(PREFIX)/include
	install -m 0755 $(patsubst %,$(BUILD)/tools/%,$(TOOLS)) $(BPFD) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(PREFIX)/lib/vfio-pci-bpf/
	install -m 0644 include/vfio_pci_bpf.h $(DESTDIR)$(PREFIX)/include/
	if [ -x $(BPFTOOL) ]; then \
		install -D -m 0755 $(BPFTOOL) $(DESTDIR)$(PREFIX)/lib/vfio-pci-bpf/bin/bpftool; fi
	install -d $(DESTDIR)/etc/vfio-pci-bpf/policies.d $(DESTDIR)/etc/systemd/system \
		$(DESTDIR)$(PREFIX)/share/doc/vfio-pci-bpf/examples
	sed 's|@PREFIX@|$(PREFIX)|g' loader/vfio-bpfd/vfio-bpfd.service \
		>$(DESTDIR)/etc/systemd/system/vfio-bpfd.service
	install -m 0644 loader/vfio-bpfd/examples/*.conf $(DESTDIR)$(PREFIX)/share/doc/vfio-pci-bpf/examples/
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/vfio-pci-bpf/
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/man/man8 tools/vfio-bpfctl/vfio-bpfctl.8 \
		loader/vfio-bpfd/vfio-bpfd.8
	install -D -m 0644 tools/vfio-bpfctl/vfio-bpfctl.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/vfio-bpfctl

clean:
	rm -rf $(BUILD)
