# SPDX-License-Identifier: GPL-2.0-only
#
# The sanitizer build.  SANITIZE=1 builds everything (into build-san/
# unless BUILD says otherwise) with AddressSanitizer and UBSan, both
# fatal, so "make test SANITIZE=1" runs the whole suite under them.
# "make sanitize" is the short run CI makes: the unit tests that need no
# attached data plane, then a daemon session (selftests/sanitize/daemon.sh).

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer

ifeq ($(SANITIZE),1)
override CFLAGS += $(SAN_FLAGS)
# A report ends the process with an error: nothing is reported and lost.
export ASAN_OPTIONS ?= abort_on_error=0:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
endif

SAN_TESTS ?= $(notdir $(TEST_BINS))

.PHONY: sanitize sanitize-run
sanitize:
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 sanitize-run

sanitize-run: all
	$(Q)set -e; for t in $(SAN_TESTS); do \
		echo "# === $$t (sanitized)"; \
		SLUICE_BUILD=$(abspath $(BUILD)) CMOCKA_MESSAGE_OUTPUT=TAP \
			$(BUILD)/selftests/$$t; \
	done
	$(Q)SLUICE_BUILD=$(abspath $(BUILD)) sh selftests/sanitize/daemon.sh
