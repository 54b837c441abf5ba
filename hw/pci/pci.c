/* The PCI bus: devices, configuration space, BARs, INTx routing, capabilities, info pci / query-pci. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/pci/pci.h"
#include "hw/pci/msi.h"
#include "migration/vmstate.h"
#include "monitor/monitor.h"
#include <ctype.h>

static bool ranges_overlap(uint32_t a, uint32_t alen, uint32_t b,
                           uint32_t blen)
{
    return a < b + blen && b < a + alen;
}

static const PCIDeviceInfo *pci_info_of(DeviceState *dev)
{
    return dev->info->class_data;
}

/* ------------------------------------------------------------------ */
/* "addr" property: "SLOT[.FN]" in hex, stored as devfn                */
/* ------------------------------------------------------------------ */

static bool pci_devfn_parse(DeviceState *dev, const Property *prop,
                            const char *str, Error **errp)
{
    int32_t *ptr = (int32_t *)((uint8_t *)dev + prop->offset);
    unsigned long slot, fn = 0;
    char *end;

    if (!*str || !isxdigit((unsigned char)*str)) {
        goto bad;
    }
    errno = 0;
    slot = strtoul(str, &end, 16);
    if (errno || slot >= PCI_SLOT_MAX) {
        goto bad;
    }
    if (*end == '.') {
        const char *p = end + 1;
        if (!isxdigit((unsigned char)*p)) {
            goto bad;
        }
        fn = strtoul(p, &end, 16);
        if (fn >= PCI_FUNC_MAX) {
            goto bad;
        }
    }
    if (*end) {
        goto bad;
    }
    *ptr = PCI_DEVFN(slot, fn);
    return true;

bad:
    error_setg(errp, "Property '%s.%s' doesn't take value '%s'",
               dev->info->name, prop->name, str);
    return false;
}

static char *pci_devfn_print(DeviceState *dev, const Property *prop)
{
    int32_t devfn = *(int32_t *)((uint8_t *)dev + prop->offset);

    if (devfn < 0) {
        return emu_strdup("<unset>");
    }
    return emu_asprintf("%02x.%x", PCI_SLOT(devfn), PCI_FUNC(devfn));
}

const Property pci_device_props[] = {
    { .name = "addr", .type = PROP_INT32,
      .offset = offsetof(PCIDevice, devfn), .defval_u = (uint64_t)-1,
      .set_default = true, .parse = pci_devfn_parse,
      .print = pci_devfn_print, .type_name = "int32",
      .description = "Slot and optional function number, example: 06.0 "
                     "or 06" },
    DEFINE_PROP_BOOL("multifunction", PCIDevice, multifunction, false),
    DEFINE_PROP_END_OF_LIST(),
};

/* ------------------------------------------------------------------ */
/* BAR mapping                                                         */
/* ------------------------------------------------------------------ */

static uint32_t pci_bar_offset(int n)
{
    return n == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * n;
}

/* Where BAR n decodes now, from the config space and COMMAND */
static uint64_t pci_bar_address(PCIDevice *dev, int n)
{
    PCIIORegion *r = &dev->io_regions[n];
    uint16_t cmd = pci_get_word(dev->config + PCI_COMMAND);
    uint32_t off = pci_bar_offset(n);
    uint64_t addr, last;

    if (r->type & PCI_BASE_ADDRESS_SPACE_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = pci_get_long(dev->config + off) & ~(r->size - 1);
        last = addr + r->size - 1;
        /* Nothing decodes above the bus's I/O space (64 KiB on a PC) */
        if (addr == 0 || last <= addr ||
            last >= memory_region_size(r->address_space)) {
            return PCI_BAR_UNMAPPED;
        }
        return addr;
    }
    if (!(cmd & PCI_COMMAND_MEMORY)) {
        return PCI_BAR_UNMAPPED;
    }
    if (n == PCI_ROM_SLOT) {
        uint32_t v = pci_get_long(dev->config + off);
        if (!(v & PCI_ROM_ADDRESS_ENABLE)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = v & ~(r->size - 1) & PCI_ROM_ADDRESS_MASK;
    } else if (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        addr = pci_get_quad(dev->config + off) & ~(r->size - 1);
    } else {
        addr = pci_get_long(dev->config + off) & ~(r->size - 1);
    }
    last = addr + r->size - 1;
    /*
     * 0 is "not assigned"; all-ones after sizing wraps or ends at the top:
     * neither is a usable address.
     */
    if (addr == 0 || last <= addr || last == PCI_BAR_UNMAPPED) {
        return PCI_BAR_UNMAPPED;
    }
    if (!(r->type & PCI_BASE_ADDRESS_MEM_TYPE_64) && last >= UINT32_MAX) {
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

static void pci_update_mappings(PCIDevice *dev)
{
    int i;

    memory_region_transaction_begin();
    for (i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];
        uint64_t addr;

        if (!r->size) {
            continue;
        }
        addr = pci_bar_address(dev, i);
        if (addr == r->addr) {
            continue;
        }
        if (r->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(r->address_space, r->memory);
        }
        r->addr = addr;
        if (addr != PCI_BAR_UNMAPPED) {
            /* Above the bus's default (-1 for nothing): BARs win */
            memory_region_add_subregion_overlap(r->address_space, addr,
                                                r->memory, 1);
        }
    }
    memory_region_transaction_commit();
}

static void pci_unmap_all(PCIDevice *dev)
{
    int i;

    memory_region_transaction_begin();
    for (i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];
        if (r->size && r->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(r->address_space, r->memory);
            r->addr = PCI_BAR_UNMAPPED;
        }
    }
    memory_region_transaction_commit();
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

void pci_register_bar(PCIDevice *dev, int n, uint8_t type, MemoryRegion *mr)
{
    PCIIORegion *r;
    uint64_t size = memory_region_size(mr);
    uint64_t wmask;
    uint32_t off;

    /* Programming errors of a device model, not guest input */
    assert(n >= 0 && n < PCI_NUM_REGIONS);
    assert(is_pow2(size));
    assert(!(type & PCI_BASE_ADDRESS_MEM_TYPE_64) || n < 5);
    r = &dev->io_regions[n];
    assert(!r->size);

    if (n == PCI_ROM_SLOT) {
        type = PCI_BASE_ADDRESS_SPACE_MEMORY;
        if (size < 2 * KiB) {
            size = 2 * KiB;     /* the ROM BAR decodes at least 2 KiB */
        }
    } else if (type & PCI_BASE_ADDRESS_SPACE_IO) {
        type = PCI_BASE_ADDRESS_SPACE_IO;
        if (size < 4) {
            size = 4;
        }
    } else if (size < 16) {
        size = 16;
    }
    r->size = size;
    r->type = type;
    r->memory = mr;
    r->addr = PCI_BAR_UNMAPPED;
    r->address_space = (type & PCI_BASE_ADDRESS_SPACE_IO)
        ? dev->bus->address_space_io : dev->bus->address_space_mem;

    off = pci_bar_offset(n);
    wmask = ~(size - 1);
    if (n == PCI_ROM_SLOT) {
        pci_set_long(dev->config + off, 0);
        pci_set_long(dev->wmask + off,
                     (uint32_t)wmask | PCI_ROM_ADDRESS_ENABLE);
    } else {
        pci_set_long(dev->config + off, type);
        pci_set_long(dev->wmask + off, (uint32_t)wmask &
                     ((type & PCI_BASE_ADDRESS_SPACE_IO) ? ~3u : ~0xfu));
        if (type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            pci_set_long(dev->config + off + 4, 0);
            pci_set_long(dev->wmask + off + 4, (uint32_t)(wmask >> 32));
        }
    }
}

uint64_t pci_get_bar_addr(PCIDevice *dev, int n)
{
    if (n < 0 || n >= PCI_NUM_REGIONS) {
        return PCI_BAR_UNMAPPED;
    }
    return dev->io_regions[n].addr;
}

/* ------------------------------------------------------------------ */
/* INTx                                                                */
/* ------------------------------------------------------------------ */

int pci_swizzle_map_irq(PCIDevice *dev, int pin)
{
    return (pin + PCI_SLOT(dev->devfn)) % PCI_NUM_PINS;
}

static bool pci_intx_disabled(PCIDevice *dev)
{
    return pci_get_word(dev->config + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
}

static void pci_change_irq_level(PCIDevice *dev, int pin, int change)
{
    PCIBus *bus = dev->bus;
    int irq;

    if (!bus || !bus->map_irq || !bus->set_irq) {
        return;
    }
    irq = bus->map_irq(dev, pin);
    if (irq < 0 || irq >= bus->nirq) {
        emu_log_mask(LOG_GUEST_ERROR, "pci: %s pin %d maps to bad line %d\n",
                     dev->qdev.info->name, pin, irq);
        return;
    }
    bus->irq_count[irq] += change;
    bus->set_irq(bus->irq_opaque, irq, bus->irq_count[irq] != 0);
}

static void pci_update_status_intx(PCIDevice *dev)
{
    uint16_t st = pci_get_word(dev->config + PCI_STATUS);

    if (dev->irq_state) {
        st |= PCI_STATUS_INTERRUPT;
    } else {
        st &= ~PCI_STATUS_INTERRUPT;
    }
    pci_set_word(dev->config + PCI_STATUS, st);
}

void pci_set_irq(PCIDevice *dev, int level)
{
    int pin = dev->config[PCI_INTERRUPT_PIN] - 1;

    if (pin < 0 || pin >= PCI_NUM_PINS) {
        return;
    }
    level = !!level;
    if (((dev->irq_state >> pin) & 1) == level) {
        return;
    }
    dev->irq_state ^= 1u << pin;
    pci_update_status_intx(dev);
    if (!pci_intx_disabled(dev)) {
        pci_change_irq_level(dev, pin, level ? 1 : -1);
    }
}

/* Take every asserted pin off (or back onto) the bus lines */
static void pci_intx_propagate(PCIDevice *dev, int change)
{
    int pin;

    for (pin = 0; pin < PCI_NUM_PINS; pin++) {
        if (dev->irq_state & (1u << pin)) {
            pci_change_irq_level(dev, pin, change);
        }
    }
}

static void pci_deassert_intx(PCIDevice *dev)
{
    if (!pci_intx_disabled(dev)) {
        pci_intx_propagate(dev, -1);
    }
    dev->irq_state = 0;
    pci_update_status_intx(dev);
}

/* ------------------------------------------------------------------ */
/* Configuration space                                                 */
/* ------------------------------------------------------------------ */

uint32_t pci_default_read_config(PCIDevice *dev, uint32_t addr, int len)
{
    uint32_t val = 0;
    int i;

    for (i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++) {
        val |= (uint32_t)dev->config[addr + i] << (8 * i);
    }
    return val;
}

void pci_default_write_config(PCIDevice *dev, uint32_t addr, uint32_t val,
                              int len)
{
    uint16_t old_cmd = pci_get_word(dev->config + PCI_COMMAND);
    uint16_t msix_old = dev->msix_cap
        ? pci_get_word(dev->config + dev->msix_cap + PCI_MSIX_FLAGS) : 0;
    int i;

    for (i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++) {
        uint8_t b = val >> (8 * i);
        uint8_t wm = dev->wmask[addr + i];
        uint8_t w1c = dev->w1cmask[addr + i];
        uint8_t *p = &dev->config[addr + i];

        *p = (*p & ~wm) | (b & wm);
        *p &= ~(b & w1c);
    }
    if (ranges_overlap(addr, len, PCI_BASE_ADDRESS_0, 24) ||
        ranges_overlap(addr, len, PCI_ROM_ADDRESS, 4) ||
        ranges_overlap(addr, len, PCI_COMMAND, 2)) {
        pci_update_mappings(dev);
    }
    if (ranges_overlap(addr, len, PCI_COMMAND, 2)) {
        uint16_t cmd = pci_get_word(dev->config + PCI_COMMAND);
        if ((cmd ^ old_cmd) & PCI_COMMAND_INTX_DISABLE) {
            pci_intx_propagate(dev, (cmd & PCI_COMMAND_INTX_DISABLE) ? -1
                                                                     : 1);
        }
    }
    if (dev->msi_cap) {
        msi_write_config(dev, addr, len);
    }
    if (dev->msix_cap) {
        msix_write_config(dev, addr, len, msix_old);
    }
}

uint32_t pci_config_read(PCIDevice *dev, uint32_t addr, int len)
{
    const PCIDeviceInfo *pi = dev->pci_info;

    if (addr >= PCI_CONFIG_SPACE_SIZE || len < 1 || len > 4) {
        return ~0u;
    }
    len = MIN(len, (int)(PCI_CONFIG_SPACE_SIZE - addr));
    return pi && pi->config_read ? pi->config_read(dev, addr, len)
                                 : pci_default_read_config(dev, addr, len);
}

void pci_config_write(PCIDevice *dev, uint32_t addr, uint32_t val, int len)
{
    const PCIDeviceInfo *pi = dev->pci_info;

    if (addr >= PCI_CONFIG_SPACE_SIZE || len < 1 || len > 4) {
        return;
    }
    len = MIN(len, (int)(PCI_CONFIG_SPACE_SIZE - addr));
    if (pi && pi->config_write) {
        pi->config_write(dev, addr, val, len);
    } else {
        pci_default_write_config(dev, addr, val, len);
    }
}

PCIDevice *pci_find_device(PCIBus *bus, int bus_num, int devfn)
{
    if (!bus || bus_num != bus->bus_num || devfn < 0 ||
        devfn >= PCI_DEVFN_MAX) {
        return NULL;
    }
    return bus->devices[devfn];
}

uint32_t pci_host_config_read(PCIBus *bus, uint32_t addr, int len)
{
    PCIDevice *dev = bus->devices[(addr >> 8) & 0xff];
    uint32_t reg = addr & 0xff;

    if (!dev) {
        /* Master abort: nothing claims the cycle, the bus floats high */
        return len >= 4 ? ~0u : (1u << (8 * len)) - 1;
    }
    return pci_config_read(dev, reg, len);
}

void pci_host_config_write(PCIBus *bus, uint32_t addr, uint32_t val,
                           int len)
{
    PCIDevice *dev = bus->devices[(addr >> 8) & 0xff];

    if (dev) {
        pci_config_write(dev, addr & 0xff, val, len);
    }
}

/* ------------------------------------------------------------------ */
/* Capabilities                                                        */
/* ------------------------------------------------------------------ */

static int pci_find_space(PCIDevice *dev, unsigned size)
{
    unsigned off, i;

    for (off = PCI_CONFIG_HEADER_SIZE; off + size <= PCI_CONFIG_SPACE_SIZE;
         off += 4) {
        for (i = 0; i < size && !dev->used[off + i]; i++) {
        }
        if (i == size) {
            return off;
        }
    }
    return 0;
}

uint8_t pci_add_capability(PCIDevice *dev, uint8_t cap_id, uint8_t offset,
                           uint8_t size, Error **errp)
{
    unsigned i;

    if (size < 2) {
        error_setg(errp, "%s: capability 0x%x too small", dev->qdev.info->name,
                   cap_id);
        return 0;
    }
    if (!offset) {
        offset = pci_find_space(dev, size);
        if (!offset) {
            error_setg(errp, "%s: no room in config space for capability "
                       "0x%x", dev->qdev.info->name, cap_id);
            return 0;
        }
    } else {
        if (offset < PCI_CONFIG_HEADER_SIZE ||
            offset + (unsigned)size > PCI_CONFIG_SPACE_SIZE) {
            error_setg(errp, "%s: capability 0x%x at 0x%x out of range",
                       dev->qdev.info->name, cap_id, offset);
            return 0;
        }
        for (i = 0; i < size; i++) {
            if (dev->used[offset + i]) {
                error_setg(errp, "%s: capability 0x%x at 0x%x overlaps "
                           "another one", dev->qdev.info->name, cap_id,
                           offset);
                return 0;
            }
        }
    }
    dev->config[offset + PCI_CAP_LIST_ID] = cap_id;
    dev->config[offset + PCI_CAP_LIST_NEXT] = dev->config[PCI_CAPABILITY_LIST];
    dev->config[PCI_CAPABILITY_LIST] = offset;
    pci_set_word(dev->config + PCI_STATUS,
                 pci_get_word(dev->config + PCI_STATUS) | PCI_STATUS_CAP_LIST);
    memset(dev->used + offset, 1, size);
    memset(dev->wmask + offset, 0, size);
    memset(dev->w1cmask + offset, 0, size);
    return offset;
}

uint8_t pci_find_capability(PCIDevice *dev, uint8_t cap_id)
{
    uint8_t off;
    int guard = 0;

    if (!(pci_get_word(dev->config + PCI_STATUS) & PCI_STATUS_CAP_LIST)) {
        return 0;
    }
    /* The list lives in the device's own config: bound the walk anyway */
    for (off = dev->config[PCI_CAPABILITY_LIST] & ~3;
         off >= PCI_CONFIG_HEADER_SIZE && guard < 48;
         off = dev->config[off + PCI_CAP_LIST_NEXT] & ~3, guard++) {
        if (dev->config[off + PCI_CAP_LIST_ID] == cap_id) {
            return off;
        }
    }
    return 0;
}

void pci_del_capability(PCIDevice *dev, uint8_t cap_id, uint8_t size)
{
    uint8_t off = pci_find_capability(dev, cap_id);
    uint8_t *prev = &dev->config[PCI_CAPABILITY_LIST];
    int guard = 0;

    if (!off) {
        return;
    }
    while ((*prev & ~3) != off && guard++ < 48) {
        prev = &dev->config[(*prev & ~3) + PCI_CAP_LIST_NEXT];
    }
    *prev = dev->config[off + PCI_CAP_LIST_NEXT];
    memset(dev->config + off, 0, size);
    memset(dev->used + off, 0, size);
    memset(dev->wmask + off, 0, size);
    memset(dev->w1cmask + off, 0, size);
    if (!dev->config[PCI_CAPABILITY_LIST]) {
        pci_set_word(dev->config + PCI_STATUS,
                     pci_get_word(dev->config + PCI_STATUS) &
                     ~PCI_STATUS_CAP_LIST);
    }
}

/* ------------------------------------------------------------------ */
/* MSI delivery and DMA                                                */
/* ------------------------------------------------------------------ */

void pci_set_msi_handler(PCIBus *bus, PCIMSIHandler *fn, void *opaque)
{
    bus->msi_handler = fn;
    bus->msi_opaque = opaque;
}

void pci_send_msi(PCIDevice *dev, uint64_t addr, uint32_t data)
{
    PCIBus *bus = dev->bus;

    if (!bus || !bus->msi_handler) {
        emu_log_mask(LOG_UNIMP, "pci: %s sent MSI 0x%" PRIx64 "/0x%x with "
                     "no MSI handler on the bus\n", dev->qdev.info->name,
                     addr, data);
        return;
    }
    bus->msi_handler(bus->msi_opaque, addr, data);
}

static bool pci_bus_master(PCIDevice *dev, hwaddr addr)
{
    if (!(pci_get_word(dev->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        emu_log_mask(LOG_GUEST_ERROR, "pci: %s DMA at 0x%" PRIx64 " with bus "
                     "mastering disabled\n", dev->qdev.info->name,
                     (uint64_t)addr);
        return false;
    }
    return true;
}

MemTxResult pci_dma_read(PCIDevice *dev, hwaddr addr, void *buf, hwaddr len)
{
    if (!pci_bus_master(dev, addr)) {
        return MEMTX_ACCESS_ERROR;
    }
    return dma_memory_read(&address_space_memory, addr, buf, len);
}

MemTxResult pci_dma_write(PCIDevice *dev, hwaddr addr, const void *buf,
                          hwaddr len)
{
    if (!pci_bus_master(dev, addr)) {
        return MEMTX_ACCESS_ERROR;
    }
    return dma_memory_write(&address_space_memory, addr, buf, len);
}

/* ------------------------------------------------------------------ */
/* Reset and migration                                                 */
/* ------------------------------------------------------------------ */

void pci_device_reset(DeviceState *qdev)
{
    PCIDevice *dev = PCI_DEVICE(qdev);
    uint16_t cmd_bits;
    int i;

    pci_deassert_intx(dev);
    cmd_bits = pci_get_word(dev->wmask + PCI_COMMAND) |
               pci_get_word(dev->w1cmask + PCI_COMMAND);
    pci_set_word(dev->config + PCI_COMMAND,
                 pci_get_word(dev->config + PCI_COMMAND) & ~cmd_bits);
    pci_set_word(dev->config + PCI_STATUS,
                 pci_get_word(dev->config + PCI_STATUS) &
                 ~pci_get_word(dev->w1cmask + PCI_STATUS));
    dev->config[PCI_CACHE_LINE_SIZE] = 0;
    dev->config[PCI_LATENCY_TIMER] = 0;
    dev->config[PCI_INTERRUPT_LINE] = 0;
    for (i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];
        uint32_t off = pci_bar_offset(i);

        if (!r->size) {
            continue;
        }
        if (i == PCI_ROM_SLOT) {
            pci_set_long(dev->config + off, 0);
        } else {
            pci_set_long(dev->config + off, r->type);
            if (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
                pci_set_long(dev->config + off + 4, 0);
            }
        }
    }
    pci_update_mappings(dev);
    if (dev->msi_cap) {
        msi_reset(dev);
    }
    if (dev->msix_cap) {
        msix_reset(dev);
    }
    if (dev->pci_info && dev->pci_info->reset) {
        dev->pci_info->reset(dev);
    }
}

static int pci_device_pre_save(void *opaque)
{
    PCIDevice *dev = opaque;

    dev->irq_state_loaded = dev->irq_state;
    return 0;
}

static int pci_device_post_load(void *opaque, int version_id)
{
    PCIDevice *dev = opaque;
    uint8_t want = dev->irq_state_loaded & 0xf;
    int pin;

    /* The IDs must not change under a running guest driver */
    if (dev->pci_info &&
        (pci_get_word(dev->config + PCI_VENDOR_ID) !=
             dev->pci_info->vendor_id ||
         pci_get_word(dev->config + PCI_DEVICE_ID) !=
             dev->pci_info->device_id)) {
        return -EINVAL;
    }
    pci_update_mappings(dev);
    /* Bring the bus line counts in line with the restored pin levels */
    for (pin = 0; pin < PCI_NUM_PINS; pin++) {
        bool now = dev->irq_state & (1u << pin);
        bool then = want & (1u << pin);

        if (now != then) {
            dev->irq_state ^= 1u << pin;
            if (!pci_intx_disabled(dev)) {
                pci_change_irq_level(dev, pin, then ? 1 : -1);
            }
        }
    }
    pci_update_status_intx(dev);
    return 0;
}

static const VMStateField vmstate_pci_device_fields[] = {
    VMSTATE_BUFFER(config, PCIDevice),
    VMSTATE_UINT8(irq_state_loaded, PCIDevice),
    VMSTATE_END_OF_LIST(),
};

const VMStateDescription vmstate_pci_device = {
    .name = "PCIDevice",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = pci_device_pre_save,
    .post_load = pci_device_post_load,
    .fields = vmstate_pci_device_fields,
};

/* ------------------------------------------------------------------ */
/* The bus type                                                        */
/* ------------------------------------------------------------------ */

static bool pci_bus_check_child(BusState *qbus, DeviceState *qdev,
                                Error **errp)
{
    PCIBus *bus = (PCIBus *)qbus;
    PCIDevice *dev = PCI_DEVICE(qdev);
    int devfn = dev->devfn, slot, fn;

    if (!pci_info_of(qdev)) {
        error_setg(errp, "Device '%s' has no PCI description",
                   qdev->info->name);
        return false;
    }
    if (devfn < 0) {
        for (devfn = 0; devfn < PCI_DEVFN_MAX; devfn += PCI_FUNC_MAX) {
            if (!bus->devices[devfn]) {
                break;
            }
        }
        if (devfn >= PCI_DEVFN_MAX) {
            error_setg(errp, "PCI: no slot/function available for %s, all "
                       "in use", qdev->info->name);
            return false;
        }
    } else if (devfn >= PCI_DEVFN_MAX) {
        error_setg(errp, "PCI: bad address for %s", qdev->info->name);
        return false;
    } else if (bus->devices[devfn]) {
        error_setg(errp, "PCI: slot %d function %d not available for %s, in "
                   "use by %s", PCI_SLOT(devfn), PCI_FUNC(devfn),
                   qdev->info->name, bus->devices[devfn]->qdev.info->name);
        return false;
    }
    slot = PCI_SLOT(devfn);
    fn = PCI_FUNC(devfn);
    if (fn) {
        PCIDevice *f0 = bus->devices[PCI_DEVFN(slot, 0)];
        if (f0 && !f0->multifunction) {
            error_setg(errp, "PCI: single function device can't be populated "
                       "in function %x.%x", slot, fn);
            return false;
        }
    } else if (!dev->multifunction) {
        for (fn = 1; fn < PCI_FUNC_MAX; fn++) {
            if (bus->devices[PCI_DEVFN(slot, fn)]) {
                error_setg(errp, "PCI: %x.0 indicates single function, but "
                           "%x.%x is already populated.", slot, slot, fn);
                return false;
            }
        }
    }
    dev->devfn = devfn;
    return true;
}

static void pci_init_header(PCIDevice *dev, const PCIDeviceInfo *pi)
{
    uint8_t *c = dev->config;

    memset(dev->config, 0, sizeof(dev->config));
    memset(dev->wmask, 0, sizeof(dev->wmask));
    memset(dev->w1cmask, 0, sizeof(dev->w1cmask));
    memset(dev->used, 0, sizeof(dev->used));
    memset(dev->io_regions, 0, sizeof(dev->io_regions));
    memset(dev->used, 1, PCI_CONFIG_HEADER_SIZE);

    pci_set_word(c + PCI_VENDOR_ID, pi->vendor_id);
    pci_set_word(c + PCI_DEVICE_ID, pi->device_id);
    c[PCI_REVISION_ID] = pi->revision;
    c[PCI_CLASS_PROG] = pi->prog_if;
    pci_set_word(c + PCI_CLASS_DEVICE, pi->class_id);
    c[PCI_HEADER_TYPE] = pi->header_type;
    if (dev->multifunction) {
        c[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FUNCTION;
    }
    if (pi->subsystem_vendor_id || pi->subsystem_id) {
        pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID, pi->subsystem_vendor_id);
        pci_set_word(c + PCI_SUBSYSTEM_ID, pi->subsystem_id);
    } else if (pi->header_type == PCI_HEADER_TYPE_NORMAL) {
        pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID,
                     PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
        pci_set_word(c + PCI_SUBSYSTEM_ID, PCI_SUBDEVICE_ID_QEMU);
    }
    pci_set_word(dev->wmask + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                 PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                 PCI_COMMAND_INTX_DISABLE);
    pci_set_word(dev->w1cmask + PCI_STATUS,
                 PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
                 PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
                 PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
    /*
     * Device-specific registers are writable unless the device says
     * otherwise (as in QEMU); capabilities set their own masks.
     */
    memset(dev->wmask + PCI_CONFIG_HEADER_SIZE, 0xff,
           PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
    dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    dev->wmask[PCI_LATENCY_TIMER] = 0xff;
    dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

static void pci_free_msix(PCIDevice *dev)
{
    if (dev->msix_cap) {
        pci_msix_uninit(dev);
    }
}

static bool pci_bus_child_realize(BusState *qbus, DeviceState *qdev,
                                  Error **errp)
{
    PCIBus *bus = (PCIBus *)qbus;
    PCIDevice *dev = PCI_DEVICE(qdev);
    const PCIDeviceInfo *pi = pci_info_of(qdev);
    Error *local_err = NULL;

    dev->bus = bus;
    dev->pci_info = pi;
    dev->irq_state = 0;
    dev->msi_cap = 0;
    dev->msix_cap = 0;
    pci_init_header(dev, pi);
    bus->devices[dev->devfn] = dev;
    if (pi->realize) {
        pi->realize(dev, &local_err);
        if (local_err) {
            error_propagate(errp, local_err);
            pci_unmap_all(dev);
            pci_free_msix(dev);
            bus->devices[dev->devfn] = NULL;
            dev->bus = NULL;
            return false;
        }
    }
    return true;
}

static void pci_bus_child_unrealize(BusState *qbus, DeviceState *qdev)
{
    PCIBus *bus = (PCIBus *)qbus;
    PCIDevice *dev = PCI_DEVICE(qdev);

    pci_deassert_intx(dev);
    if (dev->pci_info && dev->pci_info->exit) {
        dev->pci_info->exit(dev);
    }
    pci_unmap_all(dev);
    pci_free_msix(dev);
    if (dev->devfn >= 0 && dev->devfn < PCI_DEVFN_MAX &&
        bus->devices[dev->devfn] == dev) {
        bus->devices[dev->devfn] = NULL;
    }
}

/* QEMU's class descriptions, used by info pci, query-pci and info qtree */
static const struct {
    uint16_t class_id;
    const char *desc;
} pci_class_desc[] = {
    { 0x0001, "VGA" },
    { 0x0100, "SCSI controller" },
    { 0x0101, "IDE controller" },
    { 0x0102, "Floppy controller" },
    { 0x0103, "IPI controller" },
    { 0x0104, "RAID controller" },
    { 0x0106, "SATA controller" },
    { 0x0107, "SAS controller" },
    { 0x0180, "Storage controller" },
    { 0x0200, "Ethernet controller" },
    { 0x0201, "Token Ring controller" },
    { 0x0202, "FDDI controller" },
    { 0x0203, "ATM controller" },
    { 0x0280, "Network controller" },
    { 0x0300, "VGA controller" },
    { 0x0301, "XGA controller" },
    { 0x0302, "3D controller" },
    { 0x0380, "Display controller" },
    { 0x0400, "Video controller" },
    { 0x0401, "Audio controller" },
    { 0x0402, "Phone" },
    { 0x0403, "Audio controller" },
    { 0x0480, "Multimedia controller" },
    { 0x0500, "RAM controller" },
    { 0x0501, "Flash controller" },
    { 0x0580, "Memory controller" },
    { 0x0600, "Host bridge" },
    { 0x0601, "ISA bridge" },
    { 0x0602, "EISA bridge" },
    { 0x0603, "MC bridge" },
    { 0x0604, "PCI bridge" },
    { 0x0605, "PCMCIA bridge" },
    { 0x0606, "NUBUS bridge" },
    { 0x0607, "CARDBUS bridge" },
    { 0x0608, "RACEWAY bridge" },
    { 0x0680, "Bridge" },
    { 0x0700, "Serial port" },
    { 0x0701, "Parallel port" },
    { 0x0800, "Interrupt controller" },
    { 0x0801, "DMA controller" },
    { 0x0802, "Timer" },
    { 0x0803, "RTC" },
    { 0x0900, "Keyboard" },
    { 0x0901, "Pen" },
    { 0x0902, "Mouse" },
    { 0x0a00, "Dock station" },
    { 0x0b00, "i386 cpu" },
    { 0x0c00, "Fireware contorller" },
    { 0x0c01, "Access bus controller" },
    { 0x0c02, "SSA controller" },
    { 0x0c03, "USB controller" },
    { 0x0c04, "Fibre channel controller" },
    { 0x0c05, "SMBus" },
};

static const char *pci_class_name(uint16_t class_id)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(pci_class_desc); i++) {
        if (pci_class_desc[i].class_id == class_id) {
            return pci_class_desc[i].desc;
        }
    }
    return NULL;
}

static void pci_bus_print_dev(BusState *qbus, DeviceState *qdev, int indent,
                              void (*pr)(void *o, const char *fmt, ...),
                              void *o)
{
    PCIDevice *dev = PCI_DEVICE(qdev);
    uint16_t cls = pci_get_word(dev->config + PCI_CLASS_DEVICE);
    const char *desc = pci_class_name(cls);
    int i;

    if (desc) {
        pr(o, "%*sclass %s, addr %02x:%02x.%x, pci id %04x:%04x "
           "(sub %04x:%04x)\n", indent, "", desc, dev->bus->bus_num,
           PCI_SLOT(dev->devfn), PCI_FUNC(dev->devfn),
           pci_get_word(dev->config + PCI_VENDOR_ID),
           pci_get_word(dev->config + PCI_DEVICE_ID),
           pci_get_word(dev->config + PCI_SUBSYSTEM_VENDOR_ID),
           pci_get_word(dev->config + PCI_SUBSYSTEM_ID));
    } else {
        pr(o, "%*sclass Class %04x, addr %02x:%02x.%x, pci id %04x:%04x "
           "(sub %04x:%04x)\n", indent, "", cls, dev->bus->bus_num,
           PCI_SLOT(dev->devfn), PCI_FUNC(dev->devfn),
           pci_get_word(dev->config + PCI_VENDOR_ID),
           pci_get_word(dev->config + PCI_DEVICE_ID),
           pci_get_word(dev->config + PCI_SUBSYSTEM_VENDOR_ID),
           pci_get_word(dev->config + PCI_SUBSYSTEM_ID));
    }
    for (i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];
        if (!r->size) {
            continue;
        }
        pr(o, "%*sbar %d: %s at 0x%" PRIx64 " [0x%" PRIx64 "]\n", indent, "",
           i, (r->type & PCI_BASE_ADDRESS_SPACE_IO) ? "i/o" : "mem",
           r->addr, r->addr + r->size - 1);
    }
}

static const BusInfo pci_bus_info = {
    .type = BUS_TYPE_PCI,
    .instance_size = sizeof(PCIBus),
    .check_child = pci_bus_check_child,
    .child_realize = pci_bus_child_realize,
    .child_unrealize = pci_bus_child_unrealize,
    .print_dev = pci_bus_print_dev,
};

static void __attribute__((constructor)) pci_bus_register(void)
{
    bus_register_type(&pci_bus_info);
}

PCIBus *pci_root_bus_new(DeviceState *host, const char *name,
                         MemoryRegion *mem, MemoryRegion *io)
{
    PCIBus *bus = (PCIBus *)bus_new(BUS_TYPE_PCI, host, name);

    bus->address_space_mem = mem;
    bus->address_space_io = io;
    bus->bus_num = 0;
    return bus;
}

void pci_bus_irqs(PCIBus *bus, PCISetIRQFunc *set_irq,
                  PCIMapIRQFunc *map_irq, void *opaque, int nirq)
{
    bus->set_irq = set_irq;
    bus->map_irq = map_irq;
    bus->irq_opaque = opaque;
    bus->nirq = nirq;
    free(bus->irq_count);
    bus->irq_count = emu_new0(int, nirq);
}

PCIDevice *pci_create_simple_multifunction(PCIBus *bus, int devfn,
                                           bool multifunction,
                                           const char *type, Error **errp)
{
    DeviceState *qdev = device_new(type, errp);
    PCIDevice *dev;

    if (!qdev) {
        return NULL;
    }
    if (!qdev->info->bus_type ||
        strcmp(qdev->info->bus_type, BUS_TYPE_PCI) != 0) {
        error_setg(errp, "'%s' is not a PCI device", type);
        device_destroy(qdev);
        return NULL;
    }
    dev = PCI_DEVICE(qdev);
    dev->devfn = devfn;
    dev->multifunction = multifunction;
    if (!device_realize(qdev, &bus->qbus, errp)) {
        device_destroy(qdev);
        return NULL;
    }
    return dev;
}

PCIDevice *pci_create_simple(PCIBus *bus, int devfn, const char *type,
                             Error **errp)
{
    return pci_create_simple_multifunction(bus, devfn, false, type, errp);
}

/* ------------------------------------------------------------------ */
/* info pci / query-pci                                                */
/* ------------------------------------------------------------------ */

static json_object *pci_region_json(PCIDevice *dev, int n)
{
    PCIIORegion *r = &dev->io_regions[n];
    json_object *o = json_object_new_object();
    bool io = r->type & PCI_BASE_ADDRESS_SPACE_IO;

    json_object_object_add(o, "bar", json_object_new_int(n));
    json_object_object_add(o, "type", json_object_new_string(io ? "io"
                                                                : "memory"));
    json_object_object_add(o, "address", json_object_new_uint64(r->addr));
    json_object_object_add(o, "size", json_object_new_uint64(r->size));
    if (!io) {
        json_object_object_add(o, "prefetch", json_object_new_boolean(
                               !!(r->type & PCI_BASE_ADDRESS_MEM_PREFETCH)));
        json_object_object_add(o, "mem_type_64", json_object_new_boolean(
                               !!(r->type & PCI_BASE_ADDRESS_MEM_TYPE_64)));
    }
    return o;
}

static json_object *pci_device_json(PCIDevice *dev)
{
    json_object *o = json_object_new_object();
    json_object *ci = json_object_new_object();
    json_object *id = json_object_new_object();
    json_object *regions = json_object_new_array();
    uint16_t cls = pci_get_word(dev->config + PCI_CLASS_DEVICE);
    const char *desc = pci_class_name(cls);
    uint8_t pin = dev->config[PCI_INTERRUPT_PIN];
    int i;

    json_object_object_add(o, "bus", json_object_new_int(dev->bus->bus_num));
    json_object_object_add(o, "slot", json_object_new_int(PCI_SLOT(dev->devfn)));
    json_object_object_add(o, "function",
                           json_object_new_int(PCI_FUNC(dev->devfn)));
    if (desc) {
        json_object_object_add(ci, "desc", json_object_new_string(desc));
    }
    json_object_object_add(ci, "class", json_object_new_int(cls));
    json_object_object_add(o, "class_info", ci);
    json_object_object_add(id, "vendor", json_object_new_int(
                           pci_get_word(dev->config + PCI_VENDOR_ID)));
    json_object_object_add(id, "device", json_object_new_int(
                           pci_get_word(dev->config + PCI_DEVICE_ID)));
    if ((dev->config[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_NORMAL) {
        json_object_object_add(id, "subsystem-vendor", json_object_new_int(
                               pci_get_word(dev->config +
                                            PCI_SUBSYSTEM_VENDOR_ID)));
        json_object_object_add(id, "subsystem", json_object_new_int(
                               pci_get_word(dev->config + PCI_SUBSYSTEM_ID)));
    }
    json_object_object_add(o, "id", id);
    if (pin) {
        json_object_object_add(o, "irq", json_object_new_int(
                               dev->config[PCI_INTERRUPT_LINE]));
        json_object_object_add(o, "irq_pin", json_object_new_int(pin));
    }
    json_object_object_add(o, "qdev_id", json_object_new_string(
                           dev->qdev.id ? dev->qdev.id : ""));
    for (i = 0; i < PCI_NUM_REGIONS; i++) {
        if (dev->io_regions[i].size) {
            json_object_array_add(regions, pci_region_json(dev, i));
        }
    }
    json_object_object_add(o, "regions", regions);
    return o;
}

static int pci_collect_buses(DeviceState *dev, void *opaque)
{
    json_object *list = opaque;
    BusState *child;

    TAILQ_FOREACH(child, &dev->child_buses, sibling) {
        PCIBus *bus = (PCIBus *)child;
        json_object *b, *devs;
        int devfn;

        if (strcmp(child->info->type, BUS_TYPE_PCI) != 0 ||
            (dev->parent_bus &&
             strcmp(dev->parent_bus->info->type, BUS_TYPE_PCI) == 0)) {
            continue;   /* only root buses: bridges are listed inside */
        }
        b = json_object_new_object();
        devs = json_object_new_array();
        json_object_object_add(b, "bus", json_object_new_int(bus->bus_num));
        for (devfn = 0; devfn < PCI_DEVFN_MAX; devfn++) {
            if (bus->devices[devfn]) {
                json_object_array_add(devs,
                                      pci_device_json(bus->devices[devfn]));
            }
        }
        json_object_object_add(b, "devices", devs);
        json_object_array_add(list, b);
    }
    return 0;
}

static json_object *cmd_query_pci(Monitor *mon, json_object *args,
                                  Error **errp)
{
    json_object *list = json_object_new_array();

    device_walk(pci_collect_buses, list);
    return list;
}

static int64_t jint(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v)
                                                 : 0;
}

static void print_pci_device(Monitor *mon, json_object *d)
{
    json_object *ci, *id, *desc, *regions, *v;
    size_t i, n;

    monitor_printf(mon, "  Bus %2" PRId64 ", ", jint(d, "bus"));
    monitor_printf(mon, "device %3" PRId64 ", function %" PRId64 ":\n",
                   jint(d, "slot"), jint(d, "function"));
    monitor_printf(mon, "    ");
    json_object_object_get_ex(d, "class_info", &ci);
    if (ci && json_object_object_get_ex(ci, "desc", &desc)) {
        monitor_printf(mon, "%s", json_object_get_string(desc));
    } else {
        /* QEMU prints the class number in decimal here */
        monitor_printf(mon, "Class %04" PRId64, ci ? jint(ci, "class") : 0);
    }
    json_object_object_get_ex(d, "id", &id);
    monitor_printf(mon, ": PCI device %04" PRIx64 ":%04" PRIx64 "\n",
                   jint(id, "vendor"), jint(id, "device"));
    if (json_object_object_get_ex(id, "subsystem-vendor", &v)) {
        monitor_printf(mon, "      PCI subsystem %04" PRIx64 ":%04" PRIx64
                       "\n", jint(id, "subsystem-vendor"),
                       jint(id, "subsystem"));
    }
    if (json_object_object_get_ex(d, "irq", &v)) {
        monitor_printf(mon, "      IRQ %" PRId64 ", pin %c\n", jint(d, "irq"),
                       (char)('A' + jint(d, "irq_pin") - 1));
    }
    if (json_object_object_get_ex(d, "regions", &regions)) {
        n = json_object_array_length(regions);
        for (i = 0; i < n; i++) {
            json_object *r = json_object_array_get_idx(regions, i);
            uint64_t addr, size;
            json_object *t;

            json_object_object_get_ex(r, "address", &v);
            addr = json_object_get_uint64(v);
            json_object_object_get_ex(r, "size", &v);
            size = json_object_get_uint64(v);
            monitor_printf(mon, "      BAR%" PRId64 ": ", jint(r, "bar"));
            json_object_object_get_ex(r, "type", &t);
            if (!strcmp(json_object_get_string(t), "io")) {
                monitor_printf(mon, "I/O at 0x%04" PRIx64 " [0x%04" PRIx64
                               "].\n", addr, addr + size - 1);
            } else {
                monitor_printf(mon, "%d bit%s memory at 0x%08" PRIx64
                               " [0x%08" PRIx64 "].\n",
                               jint(r, "mem_type_64") ? 64 : 32,
                               jint(r, "prefetch") ? " prefetchable" : "",
                               addr, addr + size - 1);
            }
        }
    }
    json_object_object_get_ex(d, "qdev_id", &v);
    monitor_printf(mon, "      id \"%s\"\n", v ? json_object_get_string(v)
                                              : "");
}

static void print_pci(Monitor *mon, json_object *result)
{
    size_t i, j;

    for (i = 0; i < json_object_array_length(result); i++) {
        json_object *bus = json_object_array_get_idx(result, i), *devs;

        if (!json_object_object_get_ex(bus, "devices", &devs)) {
            continue;
        }
        for (j = 0; j < json_object_array_length(devs); j++) {
            print_pci_device(mon, json_object_array_get_idx(devs, j));
        }
    }
}

static const MonitorCommand pci_commands[] = {
    {
        .qmp_name = "query-pci",
        .hmp_name = "info pci",
        .help = "show PCI info",
        .handler = cmd_query_pci,
        .hmp_print = print_pci,
    },
    { .handler = NULL },
};
MONITOR_REGISTER_COMMANDS(pci_commands);
