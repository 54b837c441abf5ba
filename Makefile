# emu: one non-recursive Makefile.  Builds out of tree into build/.
#
#   make            configure (if needed) and build build/emu
#   make run        build, prepare the demo guest and boot it
#   make check      install missing build deps, build, run all tests
#   make bench      emu vs Debian's QEMU on the demo guest
#   make install    install into PREFIX (see ./configure --prefix)
#   make clean      remove build/
#
# Sources are found by folder: a new .c file in a listed folder is built
# without editing this file.

BUILD ?= build
SRC := $(CURDIR)

ifeq ($(filter clean distclean deps help,$(MAKECMDGOALS)),)
-include $(BUILD)/config.mk
endif

.DEFAULT_GOAL := all
# keep test objects (they are intermediates of pattern rules)
.SECONDARY:
.PHONY: all check check-unit check-qtest check-functional install clean \
        distclean deps help

$(BUILD)/config.mk: configure VERSION
	@sh scripts/install-deps.sh
	./configure --builddir=$(BUILD) $(CONFIGURE_FLAGS)

# Folders whose .c files form the emulator library (everything but main)
HOST_ARCH := $(shell uname -m)
LIB_DIRS := util system hw/core hw/virtio hw/misc hw/isa hw/intc hw/timer hw/rtc hw/char \
            hw/input hw/pci hw/pci-host hw/acpi hw/nvram hw/i386 \
            chardev monitor accel accel/qtest accel/kvm target/i386 \
            migration tcg tcg/tci accel/tcg target/i386/tcg block hw/ide
# the native code generator exists for x86-64 hosts; others interpret
ifeq ($(HOST_ARCH),x86_64)
LIB_DIRS += tcg/x86_64
endif
LIB_SRCS := $(filter-out system/main.c,$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/system/main.o

UNIT_SRCS := $(wildcard tests/unit/test-*.c)
# helpers shared by the unit tests (tests/unit/support/), linked into each
UNIT_SUPPORT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/unit/support/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

QTEST_LIB_SRCS := tests/qtest/libqtest.c
# the client library shares the string helpers of util/osdep.c
QTEST_LIB_OBJS := $(QTEST_LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/util/osdep.o
QTEST_SRCS := $(wildcard tests/qtest/*-test.c)
QTEST_BINS := $(QTEST_SRCS:tests/qtest/%.c=$(BUILD)/tests/qtest/%)

INCLUDES := -I$(BUILD) -Iinclude -I.

# "make V=1" shows full command lines
ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-6s %s\n' $(1) $(2)
endif

# command-line tools (tools/NAME.c -> build/NAME), linked like emu
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tools/%.c=$(BUILD)/%)

all: $(BUILD)/emu $(TOOL_BINS)

$(BUILD)/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -MMD -MP -c -o $@ $<

$(BUILD)/emu: $(MAIN_OBJ) $(LIB_OBJS)
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(TOOL_BINS): $(BUILD)/%: $(BUILD)/tools/%.o $(LIB_OBJS)
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c $(BUILD)/config.mk
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(CMOCKA_CFLAGS) $(INCLUDES) -MMD -MP -c -o $@ $<

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(UNIT_SUPPORT_OBJS) $(LIB_OBJS)
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/qtest/%: $(BUILD)/tests/qtest/%.o $(QTEST_LIB_OBJS)
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

tests-build: $(BUILD)/emu $(TOOL_BINS) $(UNIT_BINS) $(QTEST_BINS)
.PHONY: tests-build

# Installs missing Debian packages first (idempotent), so that a fresh
# machine needs nothing but "make check".
# The Linux test guest (Debian's kernel and busybox, fetched with apt-get)
# is built too; without it (no package mirror) the Linux boot tests skip.
check:
	@sh scripts/install-deps.sh
	@$(MAKE) --no-print-directory -j2 tests-build
	@sh tests/guest/build-guest.sh $(BUILD)/guest || \
	    echo "make check: no test guest: the Linux boot tests will skip"
	@sh tests/guest/build-disk.sh $(BUILD)/guest || \
	    echo "make check: no disk images: the disk boot tests will skip"
	@sh tests/run.sh $(BUILD)

check-unit: $(UNIT_BINS)
	@sh tests/run.sh $(BUILD) unit
check-qtest: $(BUILD)/emu $(QTEST_BINS)
	@sh tests/run.sh $(BUILD) qtest
check-functional: $(BUILD)/emu
	@sh tests/run.sh $(BUILD) functional

deps:
	sh scripts/install-deps.sh

# The demo guest (Debian kernel + busybox initramfs, built from Debian's
# packages) on the terminal: KVM where the CPU has VT-x/AMD-V, else the
# translator.  "poweroff" in the guest or Ctrl-a x returns.
run: $(BUILD)/emu
	@sh scripts/install-deps.sh
	sh tests/guest/build-guest.sh $(BUILD)/guest
	$(BUILD)/emu -accel hw -m 512 -nographic -no-reboot \
	    -kernel $(BUILD)/guest/vmlinuz -initrd $(BUILD)/guest/initrd.gz \
	    -append console=ttyS0
.PHONY: run

# emu vs Debian's QEMU on the same guest and work (tests/bench/run.sh)
bench: $(BUILD)/emu
	sh tests/bench/run.sh $(BUILD)
.PHONY: bench

install: $(BUILD)/emu
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/emu $(DESTDIR)$(PREFIX)/bin/emu
	install -d $(DESTDIR)$(PREFIX)/share/doc/emu
	install -m 644 README.md docs/user/*.md $(DESTDIR)$(PREFIX)/share/doc/emu/

clean distclean:
	rm -rf $(BUILD)

help:
	@sed -n '3,8p' Makefile | sed 's/^# *//'

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
