/*
 * SMBIOS tables of the pc machine (DMTF DSP0134, version 2.8), handed to
 * SeaBIOS as the fw_cfg files etc/smbios/smbios-tables and
 * etc/smbios/smbios-anchor.  SeaBIOS adds its own BIOS information
 * (type 0), relocates the tables and fixes the entry point's checksums.
 */
#ifndef HW_I386_SMBIOS_H
#define HW_I386_SMBIOS_H

#include "emu/osdep.h"
#include "hw/nvram/fw_cfg.h"

typedef struct SmbiosConfig {
    const char *manufacturer;   /* type 1/3/4/17 manufacturer */
    const char *product;        /* type 1 product name */
    const char *version;        /* type 1/3/4 version: the machine type */
    const char *serial;         /* type 1 serial number, NULL: none */
    uint8_t uuid[16];           /* RFC 4122 byte order (as -uuid parses) */
    unsigned cpus;              /* type 4 structures (present CPUs) */
    unsigned max_cpus;          /* type 4 structures in all */
    uint32_t cpuid_signature;   /* CPUID.1:EAX */
    uint32_t cpuid_features;    /* CPUID.1:EDX */
    uint64_t below_4g_mem;
    uint64_t above_4g_mem;
} SmbiosConfig;

#define SMBIOS_ANCHOR_SIZE 31   /* 2.1 (32-bit) entry point */

/* Build the structure table and its entry point; the caller frees both */
void smbios_build(const SmbiosConfig *cfg, uint8_t **tables,
                  size_t *tables_len, uint8_t **anchor, size_t *anchor_len);
/* Build them and add them to fw_cfg */
bool pc_smbios_setup(FWCfgState *fw, const SmbiosConfig *cfg, Error **errp);

#endif
