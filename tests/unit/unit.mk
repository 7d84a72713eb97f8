# Host unit tests (tests/unit/): pure logic built natively against a fake
# architecture, under ASan and UBSan. Included by the top-level Makefile, so
# paths are relative to the repository root.
#
#   make unit        build every test binary and run them all
#   make unit V=1    show the commands
#
# A binary runs on its own too: build/unit/bin/test_config [SUBSTRING].

BUILD ?= build
HOSTCC ?= gcc

UNIT_OUT := $(BUILD)/unit
UNIT_OBJ := $(UNIT_OUT)/obj
UNIT_BIN := $(UNIT_OUT)/bin
UNIT_FDT_SRC := $(DEPS)/libfdt
UNIT_Q := $(if $(V),,@)

UNIT_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
UNIT_CFLAGS := -std=gnu11 -g -O1 $(UNIT_SAN) -fno-omit-frame-pointer \
	-Wall -Wextra -Werror -MMD -MP
UNIT_INC := -Ihv/include -Itests/unit/fake/include -Iboot -Iarch/arm64 \
	-I$(UNIT_FDT_SRC)
# libfdt is third-party: no warning flags, but sanitizers all the same.
UNIT_FDT_CFLAGS := -std=gnu11 -g -O1 $(UNIT_SAN) -fno-omit-frame-pointer \
	-MMD -MP -I$(UNIT_FDT_SRC)

# Test binaries and the code under test each one links.
UNIT_NAMES := test_config test_image test_pgtable test_psci test_mmio \
	test_guest_dt test_net test_virtio test_walk test_rsp test_gdb \
	test_vtime test_console
UNIT_TESTS := $(addprefix $(UNIT_BIN)/,$(UNIT_NAMES))

UNIT_COMMON := tests/unit/test_main.c tests/unit/fake/arch_fake.c \
	tests/unit/fake/hv_fake.c
unit_src_test_config := hv/config.c
unit_src_test_image := boot/image.c
unit_src_test_pgtable := arch/arm64/pgtable.c
unit_src_test_psci := hv/psci.c hv/vm.c hv/idle.c
unit_src_test_mmio := hv/mmio.c
unit_src_test_virtio := drivers/virtio.c hv/pool.c
unit_src_test_guest_dt := hv/guest_dt.c hv/platform.c
unit_fdt_test_guest_dt := yes
unit_src_test_net := drivers/net.c hv/idle.c hv/config.c
unit_lwip_test_net := yes
unit_src_test_walk := debug/walk.c
unit_src_test_rsp := debug/rsp.c
unit_src_test_vtime := hv/vtime.c
unit_src_test_console := hv/console_mark.c
unit_src_test_gdb := debug/gdb.c debug/rsp.c debug/regs.c debug/xfer.c \
	tests/unit/fake/target_fake.c

UNIT_FDT_NAMES := fdt fdt_ro fdt_wip fdt_sw fdt_rw fdt_strerror \
	fdt_empty_tree fdt_addresses fdt_overlay
UNIT_FDT_OBJS := $(addprefix $(UNIT_OBJ)/libfdt/,$(addsuffix .o,$(UNIT_FDT_NAMES)))

# lwIP's core (the list is the top-level Makefile's), with our lwipopts.h,
# assertions on (a failed one fails the test: test_lwip_assert), and a
# routing hook that lets test_net.c run a second interface in the same
# stack as the peer (tests/unit/lwip_test_hooks.h).
UNIT_LWIP_SRC := $(DEPS)/lwip/src
UNIT_LWIP_OBJS := $(addprefix $(UNIT_OBJ)/lwip/,$(addsuffix .o,$(LWIP_NAMES)))
UNIT_LWIP_DEFS := -DVIGIL_LWIP_ASSERT \
	-DLWIP_HOOK_FILENAME='"lwip_test_hooks.h"' \
	'-DLWIP_HOOK_IP4_ROUTE_SRC(src,dest)=test_net_route_src(src,dest)'
UNIT_LWIP_INC := -I$(UNIT_LWIP_SRC)/include -Idrivers/lwip -Itests/unit \
	$(UNIT_LWIP_DEFS)
UNIT_LWIP_CFLAGS := -std=gnu11 -g -O1 $(UNIT_SAN) -fno-omit-frame-pointer \
	-MMD -MP $(UNIT_LWIP_INC) -Dvigil_lwip_assert=test_lwip_assert

unit_objs = $(addprefix $(UNIT_OBJ)/,$(patsubst %.c,%.o,$(1)))

UNIT_OWN_OBJS := $(sort $(foreach t,$(UNIT_NAMES),$(call unit_objs,\
	$(UNIT_COMMON) tests/unit/$(t).c $(unit_src_$(t)))))
UNIT_ALL_OBJS := $(UNIT_OWN_OBJS) $(UNIT_FDT_OBJS) $(UNIT_LWIP_OBJS)
# The lwIP glue and its test see lwIP's headers, configured as above.
$(call unit_objs,drivers/net.c tests/unit/test_net.c): UNIT_INC += $(UNIT_LWIP_INC)
# The GDB stub's tests reach debug/'s own headers.
$(call unit_objs,tests/unit/test_rsp.c tests/unit/test_gdb.c \
	tests/unit/fake/target_fake.c): UNIT_INC += -Idebug

define unit_binary
$(UNIT_BIN)/$(1): $(call unit_objs,$(UNIT_COMMON) tests/unit/$(1).c $(unit_src_$(1))) $(if $(unit_fdt_$(1)),$(UNIT_FDT_OBJS)) $(if $(unit_lwip_$(1)),$(UNIT_LWIP_OBJS))
	@mkdir -p $$(@D)
	@echo "  HOSTLD  $$@"
	$$(UNIT_Q)$$(HOSTCC) $$(UNIT_SAN) $$^ -o $$@
endef
$(foreach t,$(UNIT_NAMES),$(eval $(call unit_binary,$(t))))

# The host compiler with its sanitizer runtimes, libfdt and lwIP all come
# from the set-up: `make unit` may be the first command on a new machine.
$(UNIT_ALL_OBJS): | $(DEPS_STAMP)

# Our code and the code under test: every warning is an error.
$(UNIT_OWN_OBJS): $(UNIT_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(UNIT_Q)$(HOSTCC) $(UNIT_CFLAGS) $(UNIT_INC) -c $< -o $@

# libfdt's sources come from the dependency set-up (tools/setup-deps.sh),
# not from this fragment: say so plainly when they are not there.
$(UNIT_FDT_OBJS): $(UNIT_OBJ)/libfdt/%.o:
	@test -f $(UNIT_FDT_SRC)/$*.c || { echo "unit: $(UNIT_FDT_SRC)/$*.c is missing: libfdt is set up into $(UNIT_FDT_SRC) by 'make deps' (or plain 'make'); run that first" >&2; exit 1; }
	@mkdir -p $(@D)
	@echo "  HOSTCC  libfdt/$*.c"
	$(UNIT_Q)$(HOSTCC) $(UNIT_FDT_CFLAGS) -c $(UNIT_FDT_SRC)/$*.c -o $@

.PHONY: unit unit-build
unit-build: $(UNIT_TESTS)
unit: unit-build
	$(UNIT_Q)tests/unit/run.sh $(BUILD)

$(UNIT_LWIP_OBJS): $(UNIT_OBJ)/lwip/%.o:
	@test -f $(UNIT_LWIP_SRC)/$*.c || { echo "unit: $(UNIT_LWIP_SRC)/$*.c is missing: lwIP is set up into $(UNIT_LWIP_SRC) by 'make deps' (or plain 'make'); run that first" >&2; exit 1; }
	@mkdir -p $(@D)
	@echo "  HOSTCC  lwip/$*.c"
	$(UNIT_Q)$(HOSTCC) $(UNIT_LWIP_CFLAGS) -c $(UNIT_LWIP_SRC)/$*.c -o $@

# Dependency files: included when present, never remade by a rule.
-include $(wildcard $(UNIT_ALL_OBJS:.o=.d))
$(UNIT_ALL_OBJS:.o=.d): ;
