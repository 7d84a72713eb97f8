# Coverage-guided fuzzing (tests/fuzz/): libFuzzer targets built with
# Debian's clang under ASan and UBSan. Included by the top-level Makefile
# after tests/tests.mk: the code under test, the include paths and the
# fakes are the unit tests' (tests/unit/unit.mk), so both stay in step.
#
#   make fuzz                    every target for FUZZ_SECONDS (300) each;
#                                corpora kept in build/fuzz/corpus/<target>
#   make fuzz FUZZ_TARGETS=rsp   only some targets
#   make fuzz-build              the binaries and seed corpora only
#
# `make test` runs each target for a short smoke budget (tests/fuzz/run.sh,
# FUZZ_SMOKE_SECONDS each) from its seeds. One target runs on its own too:
#   build/fuzz/bin/fuzz_config build/fuzz/seeds/config
# and a crash it saved replays with: build/fuzz/bin/fuzz_config FILE

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_NAMES := rsp config guest_dt image walk
FUZZ_TARGETS ?= $(FUZZ_NAMES)

FUZZ_OUT := $(BUILD)/fuzz
FUZZ_OBJ := $(FUZZ_OUT)/obj
FUZZ_BIN := $(FUZZ_OUT)/bin
FUZZ_SEEDS := $(FUZZ_OUT)/seeds
FUZZ_Q := $(if $(V),,@)

# -fsanitize=fuzzer instruments for coverage and links libFuzzer's main
# (libclang-rt-14-dev); every object gets the coverage, only the link the
# runtime.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	-fno-omit-frame-pointer -MMD -MP
FUZZ_INC := $(UNIT_INC) -Itests/unit -Idebug
FUZZ_WARN := -Wall -Wextra -Werror

# The code under test of each target: the unit test's list for the same
# code (unit.mk), plus the fakes every unit test links.
FUZZ_COMMON := tests/fuzz/fuzz_support.c tests/unit/fake/arch_fake.c \
	tests/unit/fake/hv_fake.c
fuzz_src_rsp := $(unit_src_test_gdb)
fuzz_src_config := $(unit_src_test_config)
fuzz_src_guest_dt := $(unit_src_test_guest_dt)
fuzz_src_image := $(unit_src_test_image)
fuzz_src_walk := $(unit_src_test_walk)
fuzz_fdt_guest_dt := yes

FUZZ_FDT_OBJS := $(addprefix $(FUZZ_OBJ)/libfdt/,$(addsuffix .o,$(UNIT_FDT_NAMES)))
fuzz_objs = $(addprefix $(FUZZ_OBJ)/,$(patsubst %.c,%.o,$(1)))
FUZZ_OWN_OBJS := $(sort $(foreach t,$(FUZZ_NAMES),$(call fuzz_objs,\
	$(FUZZ_COMMON) tests/fuzz/fuzz_$(t).c $(fuzz_src_$(t)))))
FUZZ_BINS := $(addprefix $(FUZZ_BIN)/fuzz_,$(FUZZ_NAMES))
FUZZ_SEED_STAMPS := $(addprefix $(FUZZ_SEEDS)/,$(addsuffix /.stamp,$(FUZZ_NAMES)))

define fuzz_binary
$(FUZZ_BIN)/fuzz_$(1): $(call fuzz_objs,$(FUZZ_COMMON) tests/fuzz/fuzz_$(1).c $(fuzz_src_$(1))) $(if $(fuzz_fdt_$(1)),$(FUZZ_FDT_OBJS))
	@mkdir -p $$(@D)
	@echo "  FUZZLD  $$@"
	$$(FUZZ_Q)$$(FUZZ_CC) -fsanitize=fuzzer $$(FUZZ_SAN) $$^ -o $$@
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call fuzz_binary,$(t))))

# clang and its libFuzzer runtime come from the set-up's package list; the
# flags are this file's.
$(FUZZ_OWN_OBJS) $(FUZZ_FDT_OBJS): tests/fuzz/fuzz.mk | $(DEPS_STAMP)

$(FUZZ_OWN_OBJS): $(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	$(FUZZ_Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) $(FUZZ_INC) -c $< -o $@

# libfdt is third-party: no warning flags, but coverage and sanitizers.
$(FUZZ_FDT_OBJS): $(FUZZ_OBJ)/libfdt/%.o:
	@mkdir -p $(@D)
	@echo "  FUZZCC  libfdt/$*.c"
	$(FUZZ_Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(UNIT_FDT_SRC) -c $(UNIT_FDT_SRC)/$*.c -o $@

# Seed corpora, from tests/fuzz/corpus/<target>/ (and QEMU's own device
# tree for guest_dt), remade when a seed file changes.
define fuzz_seeds
$(FUZZ_SEEDS)/$(1)/.stamp: tests/fuzz/seeds.sh $(wildcard tests/fuzz/corpus/$(1)/*) | $(DEPS_STAMP)
	@echo "  SEEDS   $$(@D)"
	$$(FUZZ_Q)tests/fuzz/seeds.sh $(1) tests/fuzz/corpus/$(1) $$(@D)
	@touch $$@
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call fuzz_seeds,$(t))))

.PHONY: fuzz fuzz-build fuzz-clean
fuzz-build: $(FUZZ_BINS) $(FUZZ_SEED_STAMPS)
fuzz: fuzz-build
	$(FUZZ_Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(BUILD) long $(FUZZ_TARGETS)

# The smoke run is a suite of tests/run-all.sh.
test: fuzz-build

# The kept corpora (build/fuzz/corpus) and saved crashes
# (build/fuzz/artifacts) survive a clean.
clean: fuzz-clean
fuzz-clean:
	rm -rf $(FUZZ_OBJ) $(FUZZ_BIN) $(FUZZ_SEEDS)

-include $(wildcard $(FUZZ_OWN_OBJS:.o=.d) $(FUZZ_FDT_OBJS:.o=.d))
