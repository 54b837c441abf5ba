/*
 * QEMU's firmware configuration interface ("fw_cfg_io"), the channel
 * through which SeaBIOS (and the Linux option ROM) learn the machine's
 * RAM size, CPU count, e820 map, boot order, ACPI tables and -kernel
 * images.  The protocol follows QEMU's docs/specs/fw_cfg.rst; see
 * docs/user/pc.md for what emu puts in it.
 *
 * On the PC: a 16-bit selector at port 0x510, a data byte at 0x511 and
 * the DMA address register at 0x514 (64-bit, big-endian; writing the low
 * 32 bits at 0x518 starts the transfer).
 *
 *   FWCfgState *fw = fw_cfg_init_io_dma(0x510, 0x514, &address_space_memory,
 *                                       errp);
 *   fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, ram_size);
 *   fw_cfg_add_file(fw, "etc/e820", buf, len);     // takes ownership of buf
 *
 * Items are read-only for the guest.  Numeric items (fw_cfg_add_i16/32/64)
 * are stored little-endian as QEMU does; the file directory is big-endian.
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include "hw/qdev.h"

typedef struct AddressSpace AddressSpace;
typedef struct FWCfgState FWCfgState;

#define TYPE_FW_CFG_IO "fw_cfg_io"

/* Standard selector keys (docs/specs/fw_cfg.rst) */
#define FW_CFG_SIGNATURE        0x00
#define FW_CFG_ID               0x01
#define FW_CFG_UUID             0x02
#define FW_CFG_RAM_SIZE         0x03
#define FW_CFG_NOGRAPHIC        0x04
#define FW_CFG_NB_CPUS          0x05
#define FW_CFG_MACHINE_ID       0x06
#define FW_CFG_KERNEL_ADDR      0x07
#define FW_CFG_KERNEL_SIZE      0x08
#define FW_CFG_KERNEL_CMDLINE   0x09
#define FW_CFG_INITRD_ADDR      0x0a
#define FW_CFG_INITRD_SIZE      0x0b
#define FW_CFG_BOOT_DEVICE      0x0c
#define FW_CFG_NUMA             0x0d
#define FW_CFG_BOOT_MENU        0x0e
#define FW_CFG_MAX_CPUS         0x0f
#define FW_CFG_KERNEL_ENTRY     0x10
#define FW_CFG_KERNEL_DATA      0x11
#define FW_CFG_INITRD_DATA      0x12
#define FW_CFG_CMDLINE_ADDR     0x13
#define FW_CFG_CMDLINE_SIZE     0x14
#define FW_CFG_CMDLINE_DATA     0x15
#define FW_CFG_SETUP_ADDR       0x16
#define FW_CFG_SETUP_SIZE       0x17
#define FW_CFG_SETUP_DATA       0x18
#define FW_CFG_FILE_DIR         0x19
#define FW_CFG_FILE_FIRST       0x20
#define FW_CFG_FILE_SLOTS       0x20    /* QEMU's default since 2.x */
#define FW_CFG_WRITE_CHANNEL    0x4000
#define FW_CFG_ARCH_LOCAL       0x8000
#define FW_CFG_ENTRY_MASK       0x3fff
#define FW_CFG_INVALID          0xffff

/* x86 arch-local keys */
#define FW_CFG_ACPI_TABLES      (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES   (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE    (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE       (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET             (FW_CFG_ARCH_LOCAL + 4)

/* FW_CFG_ID feature bits */
#define FW_CFG_VERSION          0x01
#define FW_CFG_VERSION_DMA      0x02

/* FWCfgDmaAccess.control bits */
#define FW_CFG_DMA_CTL_ERROR    0x01
#define FW_CFG_DMA_CTL_READ     0x02
#define FW_CFG_DMA_CTL_SKIP     0x04
#define FW_CFG_DMA_CTL_SELECT   0x08
#define FW_CFG_DMA_CTL_WRITE    0x10

/* "QEMU CFG", what a read of the DMA register returns */
#define FW_CFG_DMA_SIGNATURE    0x51454d5520434647ULL

#define FW_CFG_MAX_FILE_PATH    56

/* One entry of the FW_CFG_FILE_DIR item (all fields big-endian) */
typedef struct FWCfgFile {
    uint32_t size;
    uint16_t select;
    uint16_t reserved;
    char name[FW_CFG_MAX_FILE_PATH];
} FWCfgFile;

/*
 * Create and realize a fw_cfg_io device with the selector/data pair at
 * iobase and, when dma_iobase is non-zero, the DMA register there; DMA
 * transfers go to dma_as.  The device sits on the main system bus.
 */
FWCfgState *fw_cfg_init_io_dma(uint16_t iobase, uint16_t dma_iobase,
                               AddressSpace *dma_as, Error **errp);
/* The fw_cfg device of the machine (NULL when there is none) */
FWCfgState *fw_cfg_find(void);
DeviceState *fw_cfg_device(FWCfgState *s);

/*
 * Add (or, for the modify variants, replace) an item.  fw_cfg takes
 * ownership of data, which must come from malloc (or be NULL when len is
 * 0).  Keys outside the standard/arch-local ranges are refused with a
 * warning on stderr: they are programming errors, not guest input.
 */
void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, void *data, size_t len);
void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *value);
void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value);
void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value);
void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value);
void fw_cfg_modify_bytes(FWCfgState *s, uint16_t key, void *data,
                         size_t len);
void fw_cfg_modify_i16(FWCfgState *s, uint16_t key, uint16_t value);
void fw_cfg_modify_i32(FWCfgState *s, uint16_t key, uint32_t value);
void fw_cfg_modify_i64(FWCfgState *s, uint16_t key, uint64_t value);
/*
 * Add a named file (listed in FW_CFG_FILE_DIR, sorted by name as QEMU
 * does).  false with errp set if the name is too long, already exists or
 * the file slots are used up.
 */
bool fw_cfg_add_file(FWCfgState *s, const char *name, void *data, size_t len,
                     Error **errp);
/* Replace the contents of a file (or add it) */
bool fw_cfg_modify_file(FWCfgState *s, const char *name, void *data,
                        size_t len, Error **errp);
/* Look an item up (tests, loaders): data pointer and length, or NULL */
const void *fw_cfg_get_item(FWCfgState *s, uint16_t key, size_t *len);
const void *fw_cfg_get_file(FWCfgState *s, const char *name, size_t *len);

#endif
