# SPDX-License-Identifier: GPL-2.0-only
#
# sluice: the one entry point.  "make help" lists the targets.

BUILD		?= $(if $(filter 1,$(SANITIZE)),build-san,build)
CLANG		?= clang
BPFTOOL		?= bpftool
CC		?= gcc
CLANG_FORMAT	?= clang-format
PREFIX		?= /usr/local
DESTDIR		?=

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
PKGS := libbpf libxdp libelf zlib libmnl libpcap json-c libmicrohttpd

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# The dependency step runs once per build tree; "make deps" re-runs it.
# Plain "make" only checks; "make test" and "make demo" install what is
# missing, so they alone set up a fresh machine.
DEPS_STAMP := $(BUILD)/.deps
DEPS_MODE  := $(if $(filter test demo,$(MAKECMDGOALS)),--test,--check)

# "make CFLAGS=..." replaces -O2 -g and adds to the project's flags.
CFLAGS	?= -O2 -g
override CFLAGS += $(if $(filter 1,$(WERROR)),-Werror)
override CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	   -D_GNU_SOURCE -Iheaders -Iuser/lib -I$(BUILD)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# BPF_DEFS: set by "make nocap" alone (see there).
BPF_DEFS   ?=
BPF_CFLAGS := -g -O2 --target=bpf -D__TARGET_ARCH_$(ARCH) -Wall -Iheaders -I$(BUILD) \
	      -mcpu=v3 $(BPF_DEFS)

BPF_SRCS   := $(wildcard bpf/*.bpf.c tools/*/*.bpf.c)
BPF_HDRS   := $(wildcard bpf/*.h) $(wildcard headers/sluice/*.h)
SKELS      := $(patsubst %.bpf.c,$(BUILD)/%.skel.h,$(notdir $(BPF_SRCS)))
# user/lib is the library; user/NAME/ is program NAME, linked with it.
LIB        := $(BUILD)/libsluice.a
LIB_OBJS   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/lib/*.c))
PROGS      := $(BUILD)/sluice $(BUILD)/sluiced
PROG_OBJS   = $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/$(notdir $@)/*.c))
USER_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/*/*.c))
TEST_SRCS  := $(wildcard selftests/test_*.c)
TEST_BINS  := $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(TEST_SRCS))
TEST_LIB   := $(patsubst selftests/lib/%.c,$(BUILD)/selftests/lib/%.o,$(wildcard selftests/lib/*.c))
TOOL_BINS  := $(BUILD)/bench $(if $(wildcard tools/pktgen/pktgen.c),$(BUILD)/pktgen)

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps test bench nocap demo install uninstall check format help clean

all: $(PROGS) $(TEST_BINS) $(TOOL_BINS)

include mk/sanitize.mk
include mk/fuzz.mk

help:
	@echo 'make            build sluice, sluiced, the selftests and tools into $(BUILD)/'
	@echo 'make deps       install from Debian what the build and tests need'
	@echo 'make test       build and run every test; ends with "N passed, N failed"'
	@echo 'make bench      bpf_prog_test_run ns/packet against a bare XDP_DROP'
	@echo 'make nocap      sluiced without the capture hook, make bench'"'"'s baseline, in $(BUILD)/nocap/'
	@echo 'make demo       the lab: namespaces, sluiced, traffic, stats, teardown'
	@echo 'make install    install binaries, unit, man pages, completion (PREFIX, DESTDIR)'
	@echo 'make uninstall  remove what make install put (the configuration stays)'
	@echo 'make check      clang-format check of every C file'
	@echo 'make sanitize   ASan+UBSan build in build-san/: unit tests, a daemon session'
	@echo 'make fuzz       libFuzzer targets in fuzz/, FUZZ_TIME seconds each'
	@echo 'make format     reformat every C file in place'
	@echo 'make clean      remove $(BUILD)/'
	@echo 'V=1             show the commands; WERROR=1 warnings are errors'

deps:
	$(Q)sh tools/deps.sh --test
	$(Q)mkdir -p $(BUILD) && touch $(DEPS_STAMP)

$(DEPS_STAMP):
	$(Q)sh tools/deps.sh $(DEPS_MODE)
	$(Q)mkdir -p $(BUILD) && touch $@

$(BUILD)/vmlinux.h: | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/bpf/%.bpf.o: tools/*/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# -MMD: each object depends on the headers it really includes (its
# skeleton among them), as the compiler found them; the skeletons must
# exist before the first compile, hence the order-only prerequisite.
$(BUILD)/user/%.o: user/%.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

-include $(USER_OBJS:.o=.d)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

.SECONDEXPANSION:
$(PROGS): $$(PROG_OBJS) $(LIB)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) -o $@ $(LIB) $(PKG_LIBS)

# A tool is tools/NAME/*.c, linked with the library.
$(BUILD)/bench: $(filter-out %.bpf.c,$(wildcard tools/bench/*.c)) $(LIB) $(SKELS)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(filter %.c,$^) -o $@ $(LIB) $(PKG_LIBS)

$(BUILD)/pktgen: $(filter-out %.bpf.c,$(wildcard tools/pktgen/*.c)) $(LIB) $(SKELS)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(filter %.c,$^) -o $@ $(LIB) $(PKG_LIBS)

$(BUILD)/selftests/lib/%.o: selftests/lib/%.c $(wildcard selftests/lib/*.h) $(SKELS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Iselftests/lib $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/selftests/%: selftests/%.c $(TEST_LIB) $(LIB) $(wildcard selftests/lib/*.h)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Iselftests/lib $(PKG_CFLAGS) $< -o $@ $(TEST_LIB) $(LIB) \
		$(PKG_LIBS) -lcmocka

test: all nocap
	$(Q)sh tools/deps.sh --test
	$(Q)BUILD=$(BUILD) sh selftests/run.sh

# bpf_prog_test_run costs first, then live traffic through veths, both
# with issue 8's everyday mix from tools/bench/mix.py.  MIX_OPTS narrows
# the mix (e.g. "--lengths 16,24,32 --exact-ports") for a classifier that
# cannot load all of it; the default is the real mix.
MIX_OPTS ?=
bench: all nocap
	$(Q)/usr/bin/python3 tools/bench/mix.py gen --out $(BUILD)/mix \
		--rules 10000 --subset 10 --set 1M --set6 1M $(MIX_OPTS)
	$(Q)$(BUILD)/bench $(BUILD)/mix
	$(Q)if [ -f tools/bench/live.sh ]; then sh tools/deps.sh --test && \
		BUILD=$(BUILD) MIX_OPTS="$(MIX_OPTS)" sh tools/bench/live.sh; fi
	$(Q)BUILD=$(BUILD) sh tools/bench/scrape_daemon.sh
	$(Q)BUILD=$(BUILD) sh tools/bench/synflood.sh

# make bench's baseline for the capture's cost (tools/bench/live.sh, row
# sl_drop_nocap): sluiced with the capture hook compiled out
# (bpf/capture.h), in a build tree of its own so that nothing else is.
nocap:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/nocap \
		BPF_DEFS=-DSLUICE_NO_CAPTURE $(BUILD)/nocap/sluiced

demo: all
	$(Q)sh tools/deps.sh --test
	$(Q)BUILD=$(BUILD) sh tools/demo/offline.sh
	$(Q)BUILD=$(BUILD) sh tools/demo/lab.sh

check:
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $$(git ls-files '*.c' '*.h')
	$(Q)echo "check: clang-format clean"

format:
	$(Q)$(CLANG_FORMAT) -i $$(git ls-files '*.c' '*.h')

# Where "make install" puts things; DESTDIR is prepended to every one.
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
UNITDIR		?= $(PREFIX)/lib/systemd/system
SYSCONFDIR	?= /etc

# The unit names /usr/local/sbin/sluiced and /etc/sluice/sluice.conf;
# they become $(SBINDIR) and $(SYSCONFDIR).  An existing sluice.conf is
# never overwritten.  Nothing is started, stopped, attached or detached.
install: $(PROGS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/sluice
	install -m 0755 $(BUILD)/sluiced $(BUILD)/sluice $(DESTDIR)$(SBINDIR)/
	install -m 0644 user/man/sluice.8 user/man/sluiced.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 user/sluice.bash-completion $(DESTDIR)$(BASHCOMPDIR)/sluice
	sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/etc/sluice/|$(SYSCONFDIR)/sluice/|g' \
		user/sluiced.service > $(DESTDIR)$(UNITDIR)/sluiced.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sluiced.service
	test -e $(DESTDIR)$(SYSCONFDIR)/sluice/sluice.conf || \
		install -m 0644 user/sluice.conf.example $(DESTDIR)$(SYSCONFDIR)/sluice/sluice.conf

# Leaves $(SYSCONFDIR)/sluice/sluice.conf, and whatever sluiced left in
# the kernel (attachments, /sys/fs/bpf/sluice): see sluiced(8), STATE.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/sluiced $(DESTDIR)$(SBINDIR)/sluice
	rm -f $(DESTDIR)$(MANDIR)/man8/sluice.8 $(DESTDIR)$(MANDIR)/man8/sluiced.8
	rm -f $(DESTDIR)$(BASHCOMPDIR)/sluice
	rm -f $(DESTDIR)$(UNITDIR)/sluiced.service

clean:
	rm -rf $(BUILD)
