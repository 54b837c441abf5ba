/* SMBIOS 2.8 structure table and entry point for the pc machine. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "smbios.h"

#define SMBIOS_MAJOR            2
#define SMBIOS_MINOR            8
/* QEMU's split of RAM into DIMMs for type 17: at most 16 GiB each */
#define SMBIOS_DIMM_MAX         (16 * GiB)
#define SMBIOS_MAX_DIMMS        0x200   /* handles 0x1100-0x12ff */
#define SMBIOS_HANDLE_UNKNOWN   0xfffe
#define SMBIOS_HANDLE_NONE      0xffff

typedef struct SmbiosBlob {
    uint8_t *data;
    size_t len, cap;
    unsigned count;             /* structures */
    size_t max_size;            /* largest structure with its strings */
} SmbiosBlob;

/* One structure under construction: formatted area, then strings */
typedef struct SmbiosStruct {
    SmbiosBlob *b;
    size_t start;
    uint8_t nstrings;
    char strings[512];
    size_t strings_len;
} SmbiosStruct;

static void blob_grow(SmbiosBlob *b, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = MAX(b->cap * 2, b->len + n + 256);
        b->data = emu_realloc(b->data, b->cap);
    }
}

static void put8(SmbiosStruct *s, uint8_t v)
{
    blob_grow(s->b, 1);
    s->b->data[s->b->len++] = v;
}

static void put_le(SmbiosStruct *s, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        put8(s, v >> (8 * i));
    }
}

static void struct_begin(SmbiosStruct *s, SmbiosBlob *b, uint8_t type,
                         uint16_t handle)
{
    memset(s, 0, sizeof(*s));
    s->b = b;
    s->start = b->len;
    put8(s, type);
    put8(s, 0);                 /* length, set by struct_end */
    put_le(s, handle, 2);
}

/* A string field: its number in the set, 0 for an absent string */
static void put_str(SmbiosStruct *s, const char *str)
{
    size_t n = str ? strlen(str) : 0;

    if (!n || s->nstrings == 255 ||
        s->strings_len + n + 1 > sizeof(s->strings)) {
        put8(s, 0);
        return;
    }
    memcpy(s->strings + s->strings_len, str, n + 1);
    s->strings_len += n + 1;
    put8(s, ++s->nstrings);
}

static void struct_end(SmbiosStruct *s)
{
    SmbiosBlob *b = s->b;
    size_t formatted = b->len - s->start;

    b->data[s->start + 1] = formatted;
    if (s->strings_len) {
        blob_grow(b, s->strings_len + 1);
        memcpy(b->data + b->len, s->strings, s->strings_len);
        b->len += s->strings_len;
        b->data[b->len++] = 0;
    } else {
        blob_grow(b, 2);        /* an empty string set is two NULs */
        b->data[b->len++] = 0;
        b->data[b->len++] = 0;
    }
    b->count++;
    b->max_size = MAX(b->max_size, b->len - s->start);
}

/* Type 1: system information */
static void build_type1(SmbiosBlob *b, const SmbiosConfig *cfg)
{
    SmbiosStruct s;
    const uint8_t *u = cfg->uuid;

    struct_begin(&s, b, 1, 0x100);
    put_str(&s, cfg->manufacturer);
    put_str(&s, cfg->product);
    put_str(&s, cfg->version);
    put_str(&s, cfg->serial);
    /* SMBIOS 2.6+: time_low, time_mid, time_hi little-endian */
    put8(&s, u[3]); put8(&s, u[2]); put8(&s, u[1]); put8(&s, u[0]);
    put8(&s, u[5]); put8(&s, u[4]);
    put8(&s, u[7]); put8(&s, u[6]);
    for (int i = 8; i < 16; i++) {
        put8(&s, u[i]);
    }
    put8(&s, 0x06);             /* wake-up type: power switch */
    put_str(&s, NULL);          /* SKU */
    put_str(&s, NULL);          /* family */
    struct_end(&s);
}

/* Type 3: system enclosure */
static void build_type3(SmbiosBlob *b, const SmbiosConfig *cfg)
{
    SmbiosStruct s;

    struct_begin(&s, b, 3, 0x300);
    put_str(&s, cfg->manufacturer);
    put8(&s, 0x01);             /* type: other */
    put_str(&s, cfg->version);
    put_str(&s, NULL);          /* serial */
    put_str(&s, NULL);          /* asset tag */
    put8(&s, 0x03);             /* boot-up state: safe */
    put8(&s, 0x03);             /* power supply state: safe */
    put8(&s, 0x03);             /* thermal state: safe */
    put8(&s, 0x02);             /* security status: unknown */
    put_le(&s, 0, 4);           /* OEM-defined */
    put8(&s, 0);                /* height: unspecified */
    put8(&s, 0);                /* power cords: unspecified */
    put8(&s, 0);                /* contained elements */
    put8(&s, 0);                /* contained element record length */
    put_str(&s, NULL);          /* SKU */
    struct_end(&s);
}

/* Type 4: one processor per socket (one core, one thread each) */
static void build_type4(SmbiosBlob *b, const SmbiosConfig *cfg, unsigned i)
{
    SmbiosStruct s;
    char socket[16];

    snprintf(socket, sizeof(socket), "CPU %u", i);
    struct_begin(&s, b, 4, 0x400 + i);
    put_str(&s, socket);
    put8(&s, 0x03);             /* central processor */
    put8(&s, 0xfe);             /* family: see family 2 */
    put_str(&s, cfg->manufacturer);
    put_le(&s, cfg->cpuid_signature, 4);
    put_le(&s, cfg->cpuid_features, 4);
    put_str(&s, cfg->version);
    put8(&s, 0);                /* voltage: unknown */
    put_le(&s, 0, 2);           /* external clock: unknown */
    put_le(&s, 2000, 2);        /* max speed, MHz */
    put_le(&s, 2000, 2);        /* current speed, MHz */
    put8(&s, i < cfg->cpus ? 0x41 : 0x00);  /* populated+enabled / empty */
    put8(&s, 0x01);             /* upgrade: other */
    put_le(&s, SMBIOS_HANDLE_NONE, 2);      /* L1, L2, L3 cache */
    put_le(&s, SMBIOS_HANDLE_NONE, 2);
    put_le(&s, SMBIOS_HANDLE_NONE, 2);
    put_str(&s, NULL);          /* serial */
    put_str(&s, NULL);          /* asset tag */
    put_str(&s, NULL);          /* part number */
    put8(&s, 1);                /* cores */
    put8(&s, 1);                /* cores enabled */
    put8(&s, 1);                /* threads */
    put_le(&s, 0x02, 2);        /* characteristics: unknown */
    put_le(&s, 0x01, 2);        /* family 2: other */
    struct_end(&s);
}

/* Type 16: the physical memory array */
static void build_type16(SmbiosBlob *b, uint64_t ram, unsigned ndimms)
{
    SmbiosStruct s;
    uint64_t kib = ram / KiB;

    struct_begin(&s, b, 16, 0x1000);
    put8(&s, 0x01);             /* location: other */
    put8(&s, 0x03);             /* use: system memory */
    put8(&s, 0x06);             /* error correction: multi-bit ECC */
    /* capacity in KiB, or "see extended" from 2 TiB up */
    put_le(&s, kib < 0x80000000u ? kib : 0x80000000u, 4);
    put_le(&s, SMBIOS_HANDLE_UNKNOWN, 2);   /* error information */
    put_le(&s, ndimms, 2);
    put_le(&s, kib < 0x80000000u ? 0 : ram, 8);
    struct_end(&s);
}

/* Type 17: one memory device of size bytes */
static void build_type17(SmbiosBlob *b, const SmbiosConfig *cfg,
                         unsigned i, uint64_t size)
{
    SmbiosStruct s;
    char locator[16];
    uint64_t mib = size / MiB;

    snprintf(locator, sizeof(locator), "DIMM %u", i);
    struct_begin(&s, b, 17, 0x1100 + i);
    put_le(&s, 0x1000, 2);      /* memory array */
    put_le(&s, SMBIOS_HANDLE_UNKNOWN, 2);
    put_le(&s, 0xffff, 2);      /* total width: unknown */
    put_le(&s, 0xffff, 2);      /* data width: unknown */
    /* size in MiB, or 0x7fff and the extended size */
    put_le(&s, mib < 0x7fff ? mib : 0x7fff, 2);
    put8(&s, 0x09);             /* form factor: DIMM */
    put8(&s, 0);                /* device set: none */
    put_str(&s, locator);
    put_str(&s, NULL);          /* bank locator */
    put8(&s, 0x07);             /* memory type: RAM */
    put_le(&s, 0x0002, 2);      /* type detail: other */
    put_le(&s, 0, 2);           /* speed: unknown */
    put_str(&s, cfg->manufacturer);
    put_str(&s, NULL);          /* serial */
    put_str(&s, NULL);          /* asset tag */
    put_str(&s, NULL);          /* part number */
    put8(&s, 0);                /* attributes: rank unknown */
    put_le(&s, mib < 0x7fff ? 0 : mib, 4);
    put_le(&s, 0, 2);           /* configured speed: unknown */
    put_le(&s, 0, 2);           /* minimum voltage */
    put_le(&s, 0, 2);           /* maximum voltage */
    put_le(&s, 0, 2);           /* configured voltage */
    struct_end(&s);
}

/* Type 19: where a range of the array appears in the address space */
static void build_type19(SmbiosBlob *b, unsigned i, uint64_t start,
                         uint64_t size)
{
    SmbiosStruct s;
    uint64_t end = start + size - 1;
    bool ext = end / KiB >= 0xffffffffu;

    struct_begin(&s, b, 19, 0x1300 + i);
    put_le(&s, ext ? 0xffffffffu : start / KiB, 4);
    put_le(&s, ext ? 0xffffffffu : end / KiB, 4);
    put_le(&s, 0x1000, 2);
    put8(&s, 1);                /* partition width */
    put_le(&s, ext ? start : 0, 8);
    put_le(&s, ext ? end : 0, 8);
    struct_end(&s);
}

/* Type 32: system boot information */
static void build_type32(SmbiosBlob *b)
{
    SmbiosStruct s;

    struct_begin(&s, b, 32, 0x2000);
    put_le(&s, 0, 6);           /* reserved */
    put8(&s, 0);                /* no errors detected */
    struct_end(&s);
}

static void build_type127(SmbiosBlob *b)
{
    SmbiosStruct s;

    struct_begin(&s, b, 127, 0x7f00);
    struct_end(&s);
}

static uint8_t smbios_checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;

    while (n--) {
        sum += *p++;
    }
    return -sum;
}

void smbios_build(const SmbiosConfig *cfg, uint8_t **tables,
                  size_t *tables_len, uint8_t **anchor, size_t *anchor_len)
{
    SmbiosBlob b = { 0 };
    uint64_t ram = cfg->below_4g_mem + cfg->above_4g_mem;
    /* at most SMBIOS_MAX_DIMMS, so type 17 handles stay below type 19's */
    uint64_t dimm_size = MAX(SMBIOS_DIMM_MAX,
                             ROUND_UP(DIV_ROUND_UP(ram, SMBIOS_MAX_DIMMS),
                                      GiB));
    unsigned ndimms = MAX(1, DIV_ROUND_UP(ram, dimm_size));
    unsigned ncpus = MAX(cfg->cpus, cfg->max_cpus);
    uint8_t *ep;

    /* No type 0: SeaBIOS adds its own BIOS information */
    build_type1(&b, cfg);
    build_type3(&b, cfg);
    for (unsigned i = 0; i < ncpus; i++) {
        build_type4(&b, cfg, i);
    }
    build_type16(&b, ram, ndimms);
    for (unsigned i = 0; i < ndimms; i++) {
        uint64_t size = MIN(dimm_size, ram - i * dimm_size);
        build_type17(&b, cfg, i, size);
    }
    build_type19(&b, 0, 0, cfg->below_4g_mem);
    if (cfg->above_4g_mem) {
        build_type19(&b, 1, 4 * GiB, cfg->above_4g_mem);
    }
    build_type32(&b);
    build_type127(&b);

    /* 2.1 entry point; SeaBIOS fills in the table address */
    ep = emu_malloc0(SMBIOS_ANCHOR_SIZE);
    memcpy(ep, "_SM_", 4);
    ep[5] = SMBIOS_ANCHOR_SIZE;
    ep[6] = SMBIOS_MAJOR;
    ep[7] = SMBIOS_MINOR;
    ep[8] = b.max_size;
    ep[9] = b.max_size >> 8;
    memcpy(ep + 16, "_DMI_", 5);
    ep[22] = b.len;
    ep[23] = b.len >> 8;
    ep[28] = b.count;
    ep[29] = b.count >> 8;
    ep[30] = SMBIOS_MAJOR << 4 | SMBIOS_MINOR;
    ep[21] = smbios_checksum(ep + 16, SMBIOS_ANCHOR_SIZE - 16);
    ep[4] = smbios_checksum(ep, SMBIOS_ANCHOR_SIZE);

    *tables = b.data;
    *tables_len = b.len;
    *anchor = ep;
    *anchor_len = SMBIOS_ANCHOR_SIZE;
}

bool pc_smbios_setup(FWCfgState *fw, const SmbiosConfig *cfg, Error **errp)
{
    uint8_t *tables, *anchor;
    size_t tables_len, anchor_len;

    smbios_build(cfg, &tables, &tables_len, &anchor, &anchor_len);
    /* the 2.1 entry point holds the table length in 16 bits */
    if (tables_len > 0xffff) {
        error_setg(errp, "SMBIOS tables too large (%zu bytes)", tables_len);
        free(tables);
        free(anchor);
        return false;
    }
    if (!fw_cfg_add_file(fw, "etc/smbios/smbios-tables", tables, tables_len,
                         errp)) {
        free(anchor);
        return false;
    }
    return fw_cfg_add_file(fw, "etc/smbios/smbios-anchor", anchor,
                           anchor_len, errp);
}
