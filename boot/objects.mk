# boot/: the UEFI application entry; the only folder that sees gnu-efi.
boot-objs := efi_main.o image.o
OBJS_boot := $(addprefix $(BUILD)/boot/,$(boot-objs))
$(OBJS_boot): CFLAGS_DIR := $(INC_CORE) $(INC_EFI)
