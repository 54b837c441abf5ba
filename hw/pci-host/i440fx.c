/* The i440FX host bridge: PCI configuration mechanism #1, the 82441FX function with PAM shadow RAM, and the chipset wiring (i440fx_init). */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/pci-host/i440fx.h"
#include "migration/vmstate.h"
#include "system/runstate.h"

/* ------------------------------------------------------------------ */
/* "i440FX-pcihost": config address/data ports                         */
/* ------------------------------------------------------------------ */

#define CONFIG_ADDR_ENABLE  0x80000000u
/* Bits 30:24 and 1:0 of CONFADD are reserved and read as 0 */
#define CONFIG_ADDR_MASK    0x80fffffcu

#define RCR_SYS_RST         0x02
#define RCR_RST_CPU         0x04

typedef struct I440FXHostState {
    SysBusDevice parent_obj;
    MemoryRegion conf_mem;      /* 0xcf8-0xcfb, with the RCR at 0xcf9 */
    MemoryRegion data_mem;      /* 0xcfc-0xcff */
    uint32_t config_reg;
    uint8_t rcr;
    PCIBus *bus;
    /* set by i440fx_init before realize; defaults: system memory/io */
    MemoryRegion *pci_memory;
    MemoryRegion *sysio;
} I440FXHostState;

static uint64_t i440fx_conf_read(void *opaque, hwaddr addr, unsigned size)
{
    I440FXHostState *s = opaque;

    if (addr == 0 && size == 4) {
        return s->config_reg;
    }
    if (addr == 1 && size == 1) {
        return s->rcr;
    }
    /* Anything else is not decoded by the PMC or PIIX3: bus floats */
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void i440fx_conf_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    I440FXHostState *s = opaque;

    if (addr == 0 && size == 4) {
        s->config_reg = val & CONFIG_ADDR_MASK;
        return;
    }
    if (addr == 1 && size == 1) {
        /* PIIX3 reset control: RST_CPU asks for a reset */
        if (val & RCR_RST_CPU) {
            system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
            return;
        }
        s->rcr = val & RCR_SYS_RST;
        return;
    }
    emu_log_mask(LOG_GUEST_ERROR, "i440FX: %u-byte write of 0x%" PRIx64
                 " to port 0x%" PRIx64 " ignored\n", size, val,
                 (uint64_t)(0xcf8 + addr));
}

/*
 * One region covers 0xcf8-0xcfb: a dword at 0xcf8 is CONFADD, a byte at
 * 0xcf9 is the RCR.  Two regions would split a dword access.
 */
static const MemoryRegionOps i440fx_conf_ops = {
    .read = i440fx_conf_read,
    .write = i440fx_conf_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 4,
              .unaligned = true },
};

/* Bus-relative config address of the current cycle, or -1 */
static int64_t i440fx_cycle_addr(I440FXHostState *s, hwaddr port_off)
{
    uint32_t ca = s->config_reg;

    if (!(ca & CONFIG_ADDR_ENABLE)) {
        return -1;
    }
    /* No PCI-PCI bridges: only bus 0 answers */
    if ((ca >> 16) & 0xff) {
        return -1;
    }
    return (ca & 0xff00) | (ca & 0xfc) | port_off;
}

static uint64_t i440fx_data_read(void *opaque, hwaddr addr, unsigned size)
{
    I440FXHostState *s = opaque;
    int64_t ca = i440fx_cycle_addr(s, addr);

    size = MIN(size, 4 - addr);
    if (ca < 0) {
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    return pci_host_config_read(s->bus, ca, size);
}

static void i440fx_data_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    I440FXHostState *s = opaque;
    int64_t ca = i440fx_cycle_addr(s, addr);

    size = MIN(size, 4 - addr);
    if (ca >= 0) {
        pci_host_config_write(s->bus, ca, val, size);
    }
}

static const MemoryRegionOps i440fx_data_ops = {
    .read = i440fx_data_read,
    .write = i440fx_data_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 4,
              .unaligned = true },
};

static void i440fx_host_realize(DeviceState *dev, Error **errp)
{
    I440FXHostState *s = (I440FXHostState *)dev;
    SysBusDevice *sbd = SYS_BUS_DEVICE(dev);

    if (!s->sysio) {
        s->sysio = get_system_io();
    }
    if (!s->pci_memory) {
        s->pci_memory = get_system_memory();
    }
    memory_region_init_io(&s->conf_mem, dev, &i440fx_conf_ops, s,
                          "pci-conf-idx", 4);
    memory_region_init_io(&s->data_mem, dev, &i440fx_data_ops, s,
                          "pci-conf-data", 4);
    memory_region_add_subregion(s->sysio, 0xcf8, &s->conf_mem);
    memory_region_add_subregion(s->sysio, 0xcfc, &s->data_mem);
    if (sbd->num_pio + 2 <= SYSBUS_MAX_MMIO) {
        sbd->pio[sbd->num_pio++] = 0xcf8;
        sbd->pio[sbd->num_pio++] = 0xcfc;
    }
    s->bus = pci_root_bus_new(dev, "pci.0", s->pci_memory, s->sysio);
}

static void i440fx_host_unrealize(DeviceState *dev)
{
    I440FXHostState *s = (I440FXHostState *)dev;

    memory_region_finalize(&s->conf_mem);
    memory_region_finalize(&s->data_mem);
}

static void i440fx_host_reset(DeviceState *dev)
{
    I440FXHostState *s = (I440FXHostState *)dev;

    s->config_reg = 0;
    s->rcr = 0;
}

static int i440fx_host_post_load(void *opaque, int version_id)
{
    I440FXHostState *s = opaque;

    s->config_reg &= CONFIG_ADDR_MASK;
    s->rcr &= RCR_SYS_RST;
    return 0;
}

static const VMStateField i440fx_host_fields[] = {
    VMSTATE_UINT32(config_reg, I440FXHostState),
    VMSTATE_UINT8(rcr, I440FXHostState),
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription vmstate_i440fx_host = {
    .name = "i440FX-pcihost",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = i440fx_host_post_load,
    .fields = i440fx_host_fields,
};

static const DeviceInfo i440fx_host_info = {
    .name = TYPE_I440FX_PCI_HOST_BRIDGE,
    .desc = "i440FX PCI host bridge",
    .bus_type = BUS_TYPE_SYSTEM,
    .category = "Bridge devices",
    .instance_size = sizeof(I440FXHostState),
    .vmsd = &vmstate_i440fx_host,
    .realize = i440fx_host_realize,
    .unrealize = i440fx_host_unrealize,
    .reset = i440fx_host_reset,
};
DEVICE_REGISTER(i440fx_host_info);

/* ------------------------------------------------------------------ */
/* "i440FX": the 82441FX PCI function, PAM and SMRAM                   */
/* ------------------------------------------------------------------ */

/* PAM attribute values (82441FX datasheet, 3.2.18) */
enum {
    PAM_DISABLED = 0,   /* reads and writes go to PCI */
    PAM_READ_ONLY = 1,  /* reads from DRAM, writes to PCI */
    PAM_WRITE_ONLY = 2, /* reads from PCI, writes to DRAM */
    PAM_READ_WRITE = 3,
};

#define PAM_REGIONS 13  /* 0xf0000 (64K) + twelve 16K blocks 0xc0000-.. */

typedef struct PAMRegion {
    MemoryRegion mem[4];        /* one per attribute, one enabled */
    struct I440FXState *owner;
    uint32_t base;
    uint32_t size;
    uint8_t mode;
} PAMRegion;

typedef struct I440FXState {
    PCIDevice parent_obj;
    bool pam_ready;
    MemoryRegion *sysmem;
    MemoryRegion *ram;
    MemoryRegion *pci_memory;
    AddressSpace pci_as;        /* reads of write-only PAM blocks */
    AddressSpace ram_as;        /* writes of write-only PAM blocks */
    PAMRegion pam[PAM_REGIONS];
    MemoryRegion smram_region;
} I440FXState;

static uint8_t pam_mode_of(const uint8_t *config, int i)
{
    if (i == 0) {
        return (config[I440FX_PAM] >> 4) & 3;
    }
    i--;
    return (config[I440FX_PAM + 1 + i / 2] >> ((i & 1) ? 4 : 0)) & 3;
}

static uint64_t pam_wo_read(void *opaque, hwaddr addr, unsigned size)
{
    PAMRegion *p = opaque;
    uint8_t buf[8] = { 0 };
    uint64_t v = 0;
    unsigned i;

    address_space_read(&p->owner->pci_as, p->base + addr, buf, size);
    for (i = 0; i < size; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

static void pam_wo_write(void *opaque, hwaddr addr, uint64_t val,
                         unsigned size)
{
    PAMRegion *p = opaque;
    uint8_t buf[8];
    unsigned i;

    for (i = 0; i < size; i++) {
        buf[i] = val >> (8 * i);
    }
    address_space_write(&p->owner->ram_as, p->base + addr, buf, size);
}

static const MemoryRegionOps pam_wo_ops = {
    .read = pam_wo_read,
    .write = pam_wo_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

static void i440fx_update_memory_mappings(I440FXState *s)
{
    uint8_t smram = s->parent_obj.config[I440FX_SMRAM];
    int i, m;

    if (!s->pam_ready) {
        return;
    }
    memory_region_transaction_begin();
    for (i = 0; i < PAM_REGIONS; i++) {
        PAMRegion *p = &s->pam[i];
        p->mode = pam_mode_of(s->parent_obj.config, i);
        for (m = 0; m < 4; m++) {
            memory_region_set_enabled(&p->mem[m], m == p->mode);
        }
    }
    memory_region_transaction_commit();
    /* D_OPEN / G_SMRAME would map SMRAM DRAM at 0xa0000: not modelled */
    if (smram & 0x48) {
        emu_log_mask(LOG_UNIMP, "i440FX: SMRAM control 0x%02x (SMRAM not "
                     "emulated; 0xa0000-0xbffff stays on PCI)\n", smram);
    }
}

static void i440fx_pam_setup(I440FXState *s, MemoryRegion *sysmem,
                             MemoryRegion *ram, MemoryRegion *pci_memory)
{
    static const char *const names[4] = {
        "pam-pci", "pam-rom", "pam-wo", "pam-ram",
    };
    DeviceState *owner = &s->parent_obj.qdev;
    int i;

    s->sysmem = sysmem;
    s->ram = ram;
    s->pci_memory = pci_memory;
    address_space_init(&s->pci_as, pci_memory, "i440fx-pam-pci");
    address_space_init(&s->ram_as, ram, "i440fx-pam-ram");

    /* Legacy video window: PCI (VGA) unless SMRAM is open */
    memory_region_init_alias(&s->smram_region, owner, "smram-region",
                             pci_memory, 0xa0000, 0x20000);
    memory_region_add_subregion_overlap(sysmem, 0xa0000, &s->smram_region, 1);

    for (i = 0; i < PAM_REGIONS; i++) {
        PAMRegion *p = &s->pam[i];
        p->owner = s;
        p->base = i == 0 ? 0xf0000 : 0xc0000 + (i - 1) * 0x4000;
        p->size = i == 0 ? 0x10000 : 0x4000;
        memory_region_init_alias(&p->mem[PAM_DISABLED], owner,
                                 names[PAM_DISABLED], pci_memory, p->base,
                                 p->size);
        memory_region_init_alias(&p->mem[PAM_READ_ONLY], owner,
                                 names[PAM_READ_ONLY], ram, p->base, p->size);
        memory_region_set_readonly(&p->mem[PAM_READ_ONLY], true);
        memory_region_init_io(&p->mem[PAM_WRITE_ONLY], owner, &pam_wo_ops, p,
                              names[PAM_WRITE_ONLY], p->size);
        memory_region_init_alias(&p->mem[PAM_READ_WRITE], owner,
                                 names[PAM_READ_WRITE], ram, p->base,
                                 p->size);
        for (int m = 0; m < 4; m++) {
            memory_region_set_enabled(&p->mem[m], false);
            memory_region_add_subregion_overlap(sysmem, p->base, &p->mem[m],
                                                1);
        }
    }
    s->pam_ready = true;
    i440fx_update_memory_mappings(s);
}

static void i440fx_config_write(PCIDevice *dev, uint32_t addr, uint32_t val,
                                int len)
{
    pci_default_write_config(dev, addr, val, len);
    if ((addr < I440FX_PAM + I440FX_PAM_SIZE && addr + len > I440FX_PAM) ||
        (addr <= I440FX_SMRAM && addr + len > I440FX_SMRAM)) {
        i440fx_update_memory_mappings((I440FXState *)dev);
    }
}

static void i440fx_realize(PCIDevice *dev, Error **errp)
{
    int i;

    /* PAM0 has only its high field; the others two fields each */
    dev->wmask[I440FX_PAM] = 0x30;
    for (i = 1; i < I440FX_PAM_SIZE; i++) {
        dev->wmask[I440FX_PAM + i] = 0x33;
    }
    /* C_BASE_SEG (bits 2:0) is fixed at 010: SMRAM at 0xa0000 */
    dev->config[I440FX_SMRAM] = 0x02;
    dev->wmask[I440FX_SMRAM] = 0x78;
}

static void i440fx_exit(PCIDevice *dev)
{
    I440FXState *s = (I440FXState *)dev;
    int i, m;

    if (!s->pam_ready) {
        return;
    }
    memory_region_transaction_begin();
    for (i = 0; i < PAM_REGIONS; i++) {
        for (m = 0; m < 4; m++) {
            memory_region_finalize(&s->pam[i].mem[m]);
        }
    }
    memory_region_finalize(&s->smram_region);
    memory_region_transaction_commit();
    address_space_destroy(&s->pci_as);
    address_space_destroy(&s->ram_as);
    s->pam_ready = false;
}

static void i440fx_reset(PCIDevice *dev)
{
    memset(dev->config + I440FX_PAM, 0, I440FX_PAM_SIZE);
    dev->config[I440FX_SMRAM] = 0x02;
    i440fx_update_memory_mappings((I440FXState *)dev);
}

static int i440fx_post_load(void *opaque, int version_id)
{
    I440FXState *s = opaque;

    i440fx_update_memory_mappings(s);
    return 0;
}

static const VMStateField i440fx_fields[] = {
    VMSTATE_STRUCT(parent_obj, I440FXState, vmstate_pci_device),
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription vmstate_i440fx = {
    .name = "I440FX",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = i440fx_post_load,
    .fields = i440fx_fields,
};

static const PCIDeviceInfo i440fx_pci_info = {
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = PCI_DEVICE_ID_INTEL_82441,
    .revision = 0x02,
    .class_id = PCI_CLASS_BRIDGE_HOST,
    .realize = i440fx_realize,
    .exit = i440fx_exit,
    .reset = i440fx_reset,
    .config_write = i440fx_config_write,
};

static const DeviceInfo i440fx_info = {
    .name = TYPE_I440FX_PCI_DEVICE,
    .desc = "Host bridge",
    .bus_type = BUS_TYPE_PCI,
    .category = "Bridge devices",
    .instance_size = sizeof(I440FXState),
    .parent_props = pci_device_props,
    .vmsd = &vmstate_i440fx,
    .reset = pci_device_reset,
    .class_data = &i440fx_pci_info,
};
DEVICE_REGISTER(i440fx_info);

/* ------------------------------------------------------------------ */
/* Wiring                                                              */
/* ------------------------------------------------------------------ */

PCIBus *i440fx_init(MemoryRegion *sysmem, MemoryRegion *sysio,
                    MemoryRegion *ram, uint64_t below_4g_mem_size,
                    uint64_t above_4g_mem_size, MemoryRegion *pci_memory,
                    ISABus **isa_bus_out, DeviceState **piix3_out,
                    Error **errp)
{
    I440FXHostState *host;
    DeviceState *dev;
    PCIDevice *func, *piix3;
    BusState *isa;

    if (below_4g_mem_size < 1 * MiB ||
        memory_region_size(ram) < below_4g_mem_size + above_4g_mem_size) {
        error_setg(errp, "i440FX: RAM layout below 4G 0x%" PRIx64 ", above "
                   "0x%" PRIx64 " does not fit RAM of 0x%" PRIx64 " bytes "
                   "(at least 1 MiB below 4G needed)", below_4g_mem_size,
                   above_4g_mem_size, memory_region_size(ram));
        return NULL;
    }
    dev = device_new(TYPE_I440FX_PCI_HOST_BRIDGE, errp);
    if (!dev) {
        return NULL;
    }
    host = (I440FXHostState *)dev;
    host->pci_memory = pci_memory;
    host->sysio = sysio;
    if (!device_realize(dev, main_system_bus(), errp)) {
        device_destroy(dev);
        return NULL;
    }
    /* PCI memory sits under RAM and everything else in the system map */
    memory_region_add_subregion_overlap(sysmem, 0, pci_memory, -1);

    func = pci_create_simple(host->bus, PCI_DEVFN(0, 0),
                             TYPE_I440FX_PCI_DEVICE, errp);
    if (!func) {
        goto fail;
    }
    i440fx_pam_setup((I440FXState *)func, sysmem, ram, pci_memory);

    piix3 = pci_create_simple_multifunction(host->bus, PCI_DEVFN(1, 0), true,
                                            TYPE_PIIX3_DEVICE, errp);
    if (!piix3) {
        goto fail;
    }
    if (isa_bus_out) {
        isa = TAILQ_FIRST(&piix3->qdev.child_buses);
        *isa_bus_out = (ISABus *)isa;
    }
    if (piix3_out) {
        *piix3_out = &piix3->qdev;
    }
    return host->bus;

fail:
    memory_region_del_subregion(sysmem, pci_memory);
    device_destroy(dev);
    return NULL;
}
