/* fw_cfg: QEMU's firmware configuration device ("fw_cfg_io"), I/O ports and DMA. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/qdev.h"
#include "migration/vmstate.h"
#include "system/memory.h"
#include <endian.h>

#define FW_CFG_MAX_ENTRY (FW_CFG_FILE_FIRST + FW_CFG_FILE_SLOTS)
#define FW_CFG_DMA_ACCESS_SIZE 16

typedef struct FWCfgEntry {
    uint8_t *data;
    uint32_t len;
} FWCfgEntry;

struct FWCfgState {
    SysBusDevice parent;
    MemoryRegion comb_io;
    MemoryRegion dma_io;
    AddressSpace *dma_as;
    /* properties */
    uint32_t iobase;
    uint32_t dma_iobase;
    bool dma_enabled;
    /* items: [0] generic keys, [1] arch-local keys */
    FWCfgEntry entries[2][FW_CFG_MAX_ENTRY];
    /* file directory, sorted by name; files[i] has key FILE_FIRST + i */
    FWCfgFile files[FW_CFG_FILE_SLOTS];
    uint32_t nb_files;
    /* guest-visible state */
    uint16_t cur_entry;
    uint32_t cur_offset;
    uint64_t dma_addr;
};

static FWCfgState *fw_cfg_singleton;

static FWCfgEntry *fw_cfg_entry(FWCfgState *s, uint16_t key)
{
    unsigned arch = !!(key & FW_CFG_ARCH_LOCAL);
    unsigned idx = key & FW_CFG_ENTRY_MASK;

    if (key == FW_CFG_INVALID || idx >= FW_CFG_MAX_ENTRY) {
        return NULL;
    }
    return &s->entries[arch][idx];
}

static bool fw_cfg_key_valid(uint16_t key)
{
    return (key & FW_CFG_ENTRY_MASK) < FW_CFG_MAX_ENTRY &&
           !(key & FW_CFG_WRITE_CHANNEL);
}

/* ---- Host side: building the items ---- */

static void fw_cfg_set_entry(FWCfgState *s, uint16_t key, void *data,
                             size_t len, bool replace)
{
    FWCfgEntry *e;

    if (!fw_cfg_key_valid(key) || len > UINT32_MAX) {
        warn_report("fw_cfg: invalid key 0x%x or length %zu", key, len);
        free(data);
        return;
    }
    e = fw_cfg_entry(s, key);
    if (e->data && !replace) {
        warn_report("fw_cfg: key 0x%x added twice; keeping the last", key);
    }
    free(e->data);
    e->data = data;
    e->len = data ? (uint32_t)len : 0;
}

void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, void *data, size_t len)
{
    fw_cfg_set_entry(s, key, data, len, false);
}

void fw_cfg_modify_bytes(FWCfgState *s, uint16_t key, void *data, size_t len)
{
    fw_cfg_set_entry(s, key, data, len, true);
}

void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *value)
{
    fw_cfg_add_bytes(s, key, emu_strdup(value), strlen(value) + 1);
}

static void *fw_cfg_le(uint64_t v, size_t n)
{
    uint8_t *p = emu_malloc(n);
    for (size_t i = 0; i < n; i++) {
        p[i] = v >> (8 * i);
    }
    return p;
}

void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value)
{
    fw_cfg_add_bytes(s, key, fw_cfg_le(value, 2), 2);
}

void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value)
{
    fw_cfg_add_bytes(s, key, fw_cfg_le(value, 4), 4);
}

void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value)
{
    fw_cfg_add_bytes(s, key, fw_cfg_le(value, 8), 8);
}

void fw_cfg_modify_i16(FWCfgState *s, uint16_t key, uint16_t value)
{
    fw_cfg_modify_bytes(s, key, fw_cfg_le(value, 2), 2);
}

void fw_cfg_modify_i32(FWCfgState *s, uint16_t key, uint32_t value)
{
    fw_cfg_modify_bytes(s, key, fw_cfg_le(value, 4), 4);
}

void fw_cfg_modify_i64(FWCfgState *s, uint16_t key, uint64_t value)
{
    fw_cfg_modify_bytes(s, key, fw_cfg_le(value, 8), 8);
}

/* Rebuild FW_CFG_FILE_DIR from files[] (count and entries big-endian) */
static void fw_cfg_update_dir(FWCfgState *s)
{
    size_t len = 4 + s->nb_files * sizeof(FWCfgFile);
    uint8_t *dir = emu_malloc0(len);
    uint32_t count = htobe32(s->nb_files);

    memcpy(dir, &count, 4);
    for (uint32_t i = 0; i < s->nb_files; i++) {
        FWCfgFile f = s->files[i];
        f.size = htobe32(f.size);
        f.select = htobe16(f.select);
        memcpy(dir + 4 + i * sizeof(FWCfgFile), &f, sizeof(f));
    }
    fw_cfg_set_entry(s, FW_CFG_FILE_DIR, dir, len, true);
}

static int fw_cfg_file_index(FWCfgState *s, const char *name)
{
    for (uint32_t i = 0; i < s->nb_files; i++) {
        if (!strcmp(s->files[i].name, name)) {
            return i;
        }
    }
    return -1;
}

bool fw_cfg_add_file(FWCfgState *s, const char *name, void *data, size_t len,
                     Error **errp)
{
    uint32_t pos;

    if (strlen(name) >= FW_CFG_MAX_FILE_PATH || !*name) {
        error_setg(errp, "fw_cfg: bad file name '%s'", name);
        goto fail;
    }
    if (len > UINT32_MAX) {
        error_setg(errp, "fw_cfg: file '%s' is too large", name);
        goto fail;
    }
    if (fw_cfg_file_index(s, name) >= 0) {
        error_setg(errp, "fw_cfg: file '%s' already exists", name);
        goto fail;
    }
    if (s->nb_files >= FW_CFG_FILE_SLOTS) {
        error_setg(errp, "fw_cfg: no free file slot for '%s'", name);
        goto fail;
    }
    /*
     * Keep the directory sorted by name and the keys in the same order
     * (as QEMU does), moving the items that sort after the new one.
     */
    for (pos = 0; pos < s->nb_files; pos++) {
        if (strcmp(name, s->files[pos].name) < 0) {
            break;
        }
    }
    for (uint32_t i = s->nb_files; i > pos; i--) {
        s->files[i] = s->files[i - 1];
        s->files[i].select = FW_CFG_FILE_FIRST + i;
        s->entries[0][FW_CFG_FILE_FIRST + i] =
            s->entries[0][FW_CFG_FILE_FIRST + i - 1];
    }
    memset(&s->files[pos], 0, sizeof(s->files[pos]));
    snprintf(s->files[pos].name, sizeof(s->files[pos].name), "%s", name);
    s->files[pos].size = len;
    s->files[pos].select = FW_CFG_FILE_FIRST + pos;
    s->entries[0][FW_CFG_FILE_FIRST + pos].data = data;
    s->entries[0][FW_CFG_FILE_FIRST + pos].len = data ? len : 0;
    s->nb_files++;
    fw_cfg_update_dir(s);
    return true;

fail:
    free(data);
    return false;
}

bool fw_cfg_modify_file(FWCfgState *s, const char *name, void *data,
                        size_t len, Error **errp)
{
    int i = fw_cfg_file_index(s, name);

    if (i < 0) {
        return fw_cfg_add_file(s, name, data, len, errp);
    }
    if (len > UINT32_MAX) {
        error_setg(errp, "fw_cfg: file '%s' is too large", name);
        free(data);
        return false;
    }
    fw_cfg_set_entry(s, FW_CFG_FILE_FIRST + i, data, len, true);
    s->files[i].size = len;
    fw_cfg_update_dir(s);
    return true;
}

const void *fw_cfg_get_item(FWCfgState *s, uint16_t key, size_t *len)
{
    FWCfgEntry *e = fw_cfg_entry(s, key);

    if (!e || !e->data) {
        return NULL;
    }
    if (len) {
        *len = e->len;
    }
    return e->data;
}

const void *fw_cfg_get_file(FWCfgState *s, const char *name, size_t *len)
{
    int i = fw_cfg_file_index(s, name);

    return i < 0 ? NULL : fw_cfg_get_item(s, FW_CFG_FILE_FIRST + i, len);
}

FWCfgState *fw_cfg_find(void)
{
    return fw_cfg_singleton;
}

DeviceState *fw_cfg_device(FWCfgState *s)
{
    return DEVICE(s);
}

/* ---- Guest side ---- */

static void fw_cfg_select(FWCfgState *s, uint16_t key)
{
    s->cur_offset = 0;
    if (!fw_cfg_key_valid(key)) {
        s->cur_entry = FW_CFG_INVALID;
    } else {
        s->cur_entry = key;
    }
}

static FWCfgEntry *fw_cfg_cur(FWCfgState *s)
{
    return s->cur_entry == FW_CFG_INVALID ? NULL
                                          : fw_cfg_entry(s, s->cur_entry);
}

/* Next data byte; 0 past the end of the item or with no item selected */
static uint8_t fw_cfg_read_byte(FWCfgState *s)
{
    FWCfgEntry *e = fw_cfg_cur(s);

    if (!e || !e->data || s->cur_offset >= e->len) {
        return 0;
    }
    return e->data[s->cur_offset++];
}

static uint64_t fw_cfg_comb_read(void *opaque, hwaddr addr, unsigned size)
{
    FWCfgState *s = opaque;
    uint64_t v = 0;

    /* Wider reads return consecutive bytes, the first one most significant */
    for (unsigned i = 0; i < size; i++) {
        v = (v << 8) | fw_cfg_read_byte(s);
    }
    return v;
}

static void fw_cfg_comb_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    FWCfgState *s = opaque;

    if (size == 2) {
        fw_cfg_select(s, val);
    } else {
        /* The data port has been read-only since QEMU 2.4 */
        emu_log_mask(LOG_GUEST_ERROR, "fw_cfg: write to the data port "
                     "ignored\n");
    }
}

static bool fw_cfg_comb_accepts(void *opaque, hwaddr addr, unsigned size,
                                bool is_write)
{
    return size == 1 || (is_write && size == 2 && addr == 0);
}

static const MemoryRegionOps fw_cfg_comb_ops = {
    .read = fw_cfg_comb_read,
    .write = fw_cfg_comb_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 2,
        .accepts = fw_cfg_comb_accepts,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 2,
    },
};

static bool fw_cfg_dma_rw_be32(FWCfgState *s, hwaddr addr, uint32_t *v,
                               bool is_write)
{
    uint32_t be;

    if (is_write) {
        be = htobe32(*v);
        return dma_memory_write(s->dma_as, addr, &be, 4) == MEMTX_OK;
    }
    if (dma_memory_read(s->dma_as, addr, &be, 4) != MEMTX_OK) {
        return false;
    }
    *v = be32toh(be);
    return true;
}

/* Run the FWCfgDmaAccess at s->dma_addr (docs/specs/fw_cfg.rst) */
static void fw_cfg_dma_transfer(FWCfgState *s)
{
    uint8_t raw[FW_CFG_DMA_ACCESS_SIZE];
    hwaddr desc = s->dma_addr;
    uint32_t control, length;
    uint64_t address;
    bool read = false, write = false;
    FWCfgEntry *e;

    s->dma_addr = 0;
    if (dma_memory_read(s->dma_as, desc, raw, sizeof(raw)) != MEMTX_OK) {
        emu_log_mask(LOG_GUEST_ERROR, "fw_cfg: DMA descriptor at 0x%"
                     HWADDR_PRIx " unreadable\n", desc);
        control = FW_CFG_DMA_CTL_ERROR;
        fw_cfg_dma_rw_be32(s, desc, &control, true);
        return;
    }
    memcpy(&control, raw, 4);
    memcpy(&length, raw + 4, 4);
    memcpy(&address, raw + 8, 8);
    control = be32toh(control);
    length = be32toh(length);
    address = be64toh(address);

    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, control >> 16);
    }
    if (control & FW_CFG_DMA_CTL_READ) {
        read = true;
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        write = true;
    } else if (!(control & FW_CFG_DMA_CTL_SKIP)) {
        length = 0;
    }

    e = fw_cfg_cur(s);
    control = 0;
    while (length > 0 && !(control & FW_CFG_DMA_CTL_ERROR)) {
        uint32_t len;

        if (!e || !e->data || s->cur_offset >= e->len) {
            /* Past the item: reads give zeros, writes fail */
            len = length;
            if (read && dma_memory_set(s->dma_as, address, 0, len) !=
                MEMTX_OK) {
                control |= FW_CFG_DMA_CTL_ERROR;
            }
            if (write) {
                control |= FW_CFG_DMA_CTL_ERROR;
            }
        } else {
            len = MIN(length, e->len - s->cur_offset);
            if (read && dma_memory_write(s->dma_as, address,
                                         e->data + s->cur_offset, len) !=
                MEMTX_OK) {
                control |= FW_CFG_DMA_CTL_ERROR;
            }
            if (write) {
                /* No item is writable by the guest in emu */
                control |= FW_CFG_DMA_CTL_ERROR;
            }
            s->cur_offset += len;
        }
        if (control & FW_CFG_DMA_CTL_ERROR) {
            emu_log_mask(LOG_GUEST_ERROR, "fw_cfg: DMA %s of %u bytes at 0x%"
                         PRIx64 " failed\n", write ? "write" : "read",
                         len, address);
        }
        address += len;
        length -= len;
    }
    fw_cfg_dma_rw_be32(s, desc, &control, true);
}

static uint64_t fw_cfg_dma_read(void *opaque, hwaddr addr, unsigned size)
{
    /* The register reads as "QEMU CFG", big-endian, at any width */
    unsigned shift = 64 - 8 * (addr + size);

    if (addr + size > 8) {
        return 0;
    }
    return size == 8 ? FW_CFG_DMA_SIGNATURE
                     : (FW_CFG_DMA_SIGNATURE >> shift) &
                       ((1ULL << (8 * size)) - 1);
}

static void fw_cfg_dma_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    FWCfgState *s = opaque;

    if (size == 4 && addr == 0) {
        s->dma_addr = (val << 32) | (uint32_t)s->dma_addr;
    } else if (size == 4 && addr == 4) {
        s->dma_addr = (s->dma_addr & 0xffffffff00000000ULL) | (uint32_t)val;
        fw_cfg_dma_transfer(s);
    } else if (size == 8 && addr == 0) {
        s->dma_addr = val;
        fw_cfg_dma_transfer(s);
    }
}

static bool fw_cfg_dma_accepts(void *opaque, hwaddr addr, unsigned size,
                               bool is_write)
{
    if (!is_write) {
        return addr + size <= 8;
    }
    return (size == 4 && (addr == 0 || addr == 4)) || (size == 8 && !addr);
}

static const MemoryRegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read,
    .write = fw_cfg_dma_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
        .accepts = fw_cfg_dma_accepts,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

/* ---- Device ---- */

static void fw_cfg_instance_init(DeviceState *dev)
{
    FWCfgState *s = (FWCfgState *)dev;

    s->dma_as = &address_space_memory;
    s->cur_entry = FW_CFG_INVALID;
}

static void fw_cfg_realize(DeviceState *dev, Error **errp)
{
    FWCfgState *s = (FWCfgState *)dev;
    uint32_t id = FW_CFG_VERSION;

    if (fw_cfg_singleton) {
        error_setg(errp, "only one fw_cfg device is supported");
        return;
    }
    if (s->iobase > 0xfffe ||
        (s->dma_enabled && (!s->dma_iobase || s->dma_iobase > 0xfff8))) {
        error_setg(errp, "fw_cfg: I/O ports out of range");
        return;
    }
    memory_region_init_io(&s->comb_io, dev, &fw_cfg_comb_ops, s, "fwcfg", 2);
    sysbus_add_io(SYS_BUS_DEVICE(dev), s->iobase, &s->comb_io);
    if (s->dma_enabled) {
        memory_region_init_io(&s->dma_io, dev, &fw_cfg_dma_ops, s,
                              "fwcfg.dma", 8);
        sysbus_add_io(SYS_BUS_DEVICE(dev), s->dma_iobase, &s->dma_io);
        id |= FW_CFG_VERSION_DMA;
    }
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, emu_strndup("QEMU", 4), 4);
    fw_cfg_add_i32(s, FW_CFG_ID, id);
    fw_cfg_update_dir(s);
    fw_cfg_singleton = s;
}

static void fw_cfg_unrealize(DeviceState *dev)
{
    FWCfgState *s = (FWCfgState *)dev;

    memory_region_del_subregion(get_system_io(), &s->comb_io);
    if (s->dma_enabled) {
        memory_region_del_subregion(get_system_io(), &s->dma_io);
    }
    if (fw_cfg_singleton == s) {
        fw_cfg_singleton = NULL;
    }
}

static void fw_cfg_instance_finalize(DeviceState *dev)
{
    FWCfgState *s = (FWCfgState *)dev;

    for (int a = 0; a < 2; a++) {
        for (int i = 0; i < FW_CFG_MAX_ENTRY; i++) {
            free(s->entries[a][i].data);
        }
    }
    if (fw_cfg_singleton == s) {
        fw_cfg_singleton = NULL;
    }
}

static void fw_cfg_reset(DeviceState *dev)
{
    FWCfgState *s = (FWCfgState *)dev;

    fw_cfg_select(s, FW_CFG_SIGNATURE);
    s->dma_addr = 0;
}

static int fw_cfg_post_load(void *opaque, int version_id)
{
    FWCfgState *s = opaque;
    FWCfgEntry *e;

    if (s->cur_entry == FW_CFG_INVALID) {
        return 0;
    }
    if (!fw_cfg_key_valid(s->cur_entry)) {
        return -EINVAL;
    }
    e = fw_cfg_cur(s);
    if (s->cur_offset > e->len) {
        return -EINVAL;
    }
    return 0;
}

static const VMStateField fw_cfg_vmstate_fields[] = {
    VMSTATE_UINT16(cur_entry, FWCfgState),
    VMSTATE_UINT32(cur_offset, FWCfgState),
    VMSTATE_UINT64(dma_addr, FWCfgState),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription fw_cfg_vmstate = {
    .name = "fw_cfg",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = fw_cfg_post_load,
    .fields = fw_cfg_vmstate_fields,
};

static const Property fw_cfg_props[] = {
    DEFINE_PROP_UINT32("iobase", FWCfgState, iobase, 0x510),
    DEFINE_PROP_UINT32("dma_iobase", FWCfgState, dma_iobase, 0x514),
    DEFINE_PROP_BOOL("dma_enabled", FWCfgState, dma_enabled, true),
    DEFINE_PROP_END_OF_LIST()
};

static const DeviceInfo fw_cfg_info = {
    .name = TYPE_FW_CFG_IO,
    .desc = "QEMU firmware configuration interface (I/O ports)",
    .bus_type = BUS_TYPE_SYSTEM,
    .category = "Misc devices",
    .instance_size = sizeof(FWCfgState),
    .props = fw_cfg_props,
    .vmsd = &fw_cfg_vmstate,
    .user_creatable = false,
    .instance_init = fw_cfg_instance_init,
    .instance_finalize = fw_cfg_instance_finalize,
    .realize = fw_cfg_realize,
    .unrealize = fw_cfg_unrealize,
    .reset = fw_cfg_reset,
};

DEVICE_REGISTER(fw_cfg_info)

FWCfgState *fw_cfg_init_io_dma(uint16_t iobase, uint16_t dma_iobase,
                               AddressSpace *dma_as, Error **errp)
{
    DeviceState *dev = device_new(TYPE_FW_CFG_IO, errp);
    FWCfgState *s;

    if (!dev) {
        return NULL;
    }
    s = (FWCfgState *)dev;
    s->dma_as = dma_as ? dma_as : &address_space_memory;
    if (!device_prop_set_uint(dev, "iobase", iobase, errp) ||
        !device_prop_set_uint(dev, "dma_iobase", dma_iobase, errp) ||
        !device_prop_set_bool(dev, "dma_enabled", dma_iobase != 0, errp) ||
        !device_realize(dev, NULL, errp)) {
        device_destroy(dev);
        return NULL;
    }
    return s;
}
