/*
 * The pc machine ("pc-i440fx-7.2", alias "pc"): the pieces hw/i386 shares
 * with tests and with the x86 CPU/KVM code -- the e820 map, the ACPI
 * tables emu builds for the firmware, and -kernel loading through fw_cfg.
 * docs/user/pc.md describes the machine.
 */
#ifndef HW_I386_PC_H
#define HW_I386_PC_H

#include "emu/osdep.h"
#include "emu/error.h"

typedef struct FWCfgState FWCfgState;

/* ---- Memory layout ---- */
/* RAM above this stays below 4G only up to here (QEMU's default for pc) */
#define PC_MAX_RAM_BELOW_4G     0xe0000000ULL
#define PC_BIOS_MAX_SIZE        (16 * MiB)
#define PC_ISA_BIOS_SIZE        (128 * KiB)
#define PC_ACPI_PM_BASE         0x600    /* where SeaBIOS puts PIIX4 PMBA */
#define PC_ACPI_SCI_IRQ         9
#define PC_FW_CFG_IOBASE        0x510
#define PC_FW_CFG_DMA_IOBASE    0x514

/* ---- e820 (hw/i386/e820.c) ---- */
#define E820_RAM        1
#define E820_RESERVED   2
#define E820_ACPI       3
#define E820_NVS        4
#define E820_UNUSABLE   5
#define E820_MAX_ENTRIES 128

/*
 * Add a range to the e820 map the firmware receives as "etc/e820"
 * (entries of le64 address, le64 length, le32 type, as QEMU).  Returns
 * the new number of entries, or -1 when the table is full.  KVM code
 * reserves its identity-map/TSS pages here.
 */
int e820_add_entry(uint64_t address, uint64_t length, uint32_t type);
int e820_get_num_entries(void);
/* The idx-th entry if it has the given type */
bool e820_get_entry(int idx, uint32_t type, uint64_t *address,
                    uint64_t *length);
/* Malloc'd copy of the map in etc/e820 format; *len in bytes */
void *e820_table_blob(size_t *len);
/* Forget all entries (tests, machine re-creation) */
void e820_reset_table(void);

/* ---- ACPI tables (hw/i386/acpi-build.c) ---- */
typedef struct PCAcpiConfig {
    unsigned cpus;                  /* APIC ids 0..cpus-1 */
    unsigned max_cpus;
    uint64_t below_4g_mem;          /* RAM below 4G */
    uint64_t above_4g_mem;
    uint16_t pm_base;               /* PIIX4 PM I/O base (PM1a event) */
    uint16_t gpe0_base;             /* 0: no GPE block */
    uint16_t smi_cmd;               /* 0: ACPI always enabled */
    bool serial_present[4];         /* COM1..COM4 in the DSDT */
} PCAcpiConfig;

/* What SeaBIOS gets: three fw_cfg files */
typedef struct AcpiBuildTables {
    uint8_t *tables;                /* "etc/acpi/tables" */
    size_t tables_len;
    uint8_t *rsdp;                  /* "etc/acpi/rsdp" */
    size_t rsdp_len;
    uint8_t *loader;                /* "etc/table-loader" */
    size_t loader_len;
    /* where each table starts in 'tables' (for tests) */
    size_t facs_offset, dsdt_offset, fadt_offset, madt_offset, rsdt_offset;
} AcpiBuildTables;

/* BIOS linker/loader commands (QEMU's etc/table-loader), 128 bytes each */
#define BIOS_LINKER_LOADER_COMMAND_SIZE     128
#define BIOS_LINKER_LOADER_FILESZ           56
#define BIOS_LINKER_LOADER_COMMAND_ALLOCATE     1
#define BIOS_LINKER_LOADER_COMMAND_ADD_POINTER  2
#define BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM 3
#define BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH  1
#define BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG  2

void acpi_build_tables(const PCAcpiConfig *cfg, AcpiBuildTables *out);
void acpi_build_tables_free(AcpiBuildTables *t);
/* Build and hand the three files to fw_cfg */
bool pc_acpi_setup(FWCfgState *fw, const PCAcpiConfig *cfg, Error **errp);
/* The ACPI table checksum rule: bytes sum to 0 */
uint8_t acpi_checksum(const uint8_t *data, size_t len);

/* ---- -kernel (hw/i386/x86-boot.c) ---- */
/*
 * Load a bzImage (boot protocol >= 2.02), an optional initrd and the
 * command line into fw_cfg for SeaBIOS's linuxboot_dma.bin option ROM
 * (added as "genroms/linuxboot_dma.bin"), as QEMU does.  below_4g_mem
 * bounds the initrd.
 */
bool x86_load_linux(FWCfgState *fw, const char *kernel_filename,
                    const char *initrd_filename, const char *kernel_cmdline,
                    uint64_t below_4g_mem, Error **errp);
/* Same from memory (tests): kernel bytes are copied */
bool x86_load_linux_image(FWCfgState *fw, const char *name,
                          const uint8_t *kernel, size_t kernel_size,
                          const uint8_t *initrd, size_t initrd_size,
                          const char *kernel_cmdline, uint64_t below_4g_mem,
                          Error **errp);

#endif
