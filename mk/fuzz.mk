# SPDX-License-Identifier: GPL-2.0-only
#
# libFuzzer targets: fuzz/NAME.c defines LLVMFuzzerTestOneInput over one
# reader of the library; fuzz/corpus/NAME/ holds its committed seeds and
# regression inputs, fuzz/NAME.dict (when present) its words.  The
# library is built again with clang and the fuzzer's instrumentation into
# $(BUILD)/fuzz/, apart from the ordinary objects.
#
#   make fuzz [FUZZ_TIME=30]   run every target FUZZ_TIME seconds; a crash fails
#   make fuzz-NAME             run one
#
# New inputs go to $(BUILD)/fuzz/NAME.corpus/, never to the committed
# seeds; a crash leaves $(BUILD)/fuzz/NAME-crash-* to replay with
# "$(BUILD)/fuzz/NAME FILE".

FUZZ_TIME	?= 30
FUZZ_CC		?= $(CLANG)
FUZZ_FLAGS	:= -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SAN	:= -fsanitize=address,undefined
FUZZ_TARGETS	:= $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))
FUZZ_BINS	:= $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_LIB_OBJS	:= $(patsubst user/lib/%.c,$(BUILD)/fuzz/lib/%.o,$(wildcard user/lib/*.c))
FUZZ_LIB	:= $(BUILD)/fuzz/libsluice.a

.PHONY: fuzz fuzz-build $(addprefix fuzz-,$(FUZZ_TARGETS))

fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))

fuzz-build: $(FUZZ_BINS)

$(BUILD)/fuzz/lib/%.o: user/lib/%.c $(wildcard user/lib/*.h) $(BPF_HDRS) $(SKELS) | $(DEPS_STAMP)
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) $(FUZZ_SAN),fuzzer-no-link \
		$(PKG_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_LIB)
	$(call msg,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) $(FUZZ_SAN),fuzzer $(PKG_CFLAGS) \
		$< -o $@ $(FUZZ_LIB) $(PKG_LIBS)

# The committed inputs first, each once (-runs=0), so that a regression
# input fails by name; then FUZZ_TIME seconds of new ones.
$(addprefix fuzz-,$(FUZZ_TARGETS)): fuzz-%: $(BUILD)/fuzz/%
	$(Q)mkdir -p $(BUILD)/fuzz/$*.corpus
	$(Q)$< -runs=0 fuzz/corpus/$* 2>$(BUILD)/fuzz/$*.log || \
		{ cat $(BUILD)/fuzz/$*.log; exit 1; }
	$(Q)$< -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/$*- \
		$(if $(wildcard fuzz/$*.dict),-dict=fuzz/$*.dict) \
		$(BUILD)/fuzz/$*.corpus fuzz/corpus/$* >$(BUILD)/fuzz/$*.log 2>&1 || \
		{ tail -n 60 $(BUILD)/fuzz/$*.log; exit 1; }
	$(Q)grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' \
		$(BUILD)/fuzz/$*.log | sed 's/^/  $* /'
