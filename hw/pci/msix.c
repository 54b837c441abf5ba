/* MSI-X capability of PCI devices: vector table and pending-bit array in a memory BAR, vector and function masking. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/pci/msi.h"

#define MSIX_MAX_ENTRIES 2048

static uint16_t msix_flags(const PCIDevice *dev)
{
    return pci_get_word(dev->config + dev->msix_cap + PCI_MSIX_FLAGS);
}

bool msix_enabled(const PCIDevice *dev)
{
    return dev->msix_cap && (msix_flags(dev) & PCI_MSIX_FLAGS_ENABLE);
}

static bool msix_function_masked(const PCIDevice *dev)
{
    return msix_flags(dev) & PCI_MSIX_FLAGS_MASKALL;
}

static bool msix_vector_masked(const PCIDevice *dev, unsigned v)
{
    return dev->msix_table[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

bool msix_is_masked(const PCIDevice *dev, unsigned vector)
{
    if (!dev->msix_cap || vector >= dev->msix_entries) {
        return true;
    }
    return !msix_enabled(dev) || msix_function_masked(dev) ||
           msix_vector_masked(dev, vector);
}

static bool msix_pending(const PCIDevice *dev, unsigned v)
{
    return dev->msix_pba[v / 8] & (1u << (v % 8));
}

static void msix_set_pending(PCIDevice *dev, unsigned v, bool on)
{
    if (on) {
        dev->msix_pba[v / 8] |= 1u << (v % 8);
    } else {
        dev->msix_pba[v / 8] &= ~(1u << (v % 8));
    }
}

static void msix_send(PCIDevice *dev, unsigned v)
{
    const PCIMSIXVector *e = &dev->msix_table[v];

    pci_send_msi(dev, ((uint64_t)e->addr_hi << 32) | e->addr_lo, e->data);
}

void msix_notify(PCIDevice *dev, unsigned vector)
{
    if (!dev->msix_cap || vector >= dev->msix_entries ||
        !msix_enabled(dev)) {
        return;
    }
    if (msix_is_masked(dev, vector)) {
        msix_set_pending(dev, vector, true);
        return;
    }
    msix_send(dev, vector);
}

/* A vector may have become unmasked: send what it has pending */
static void msix_check_pending(PCIDevice *dev, unsigned v)
{
    if (msix_pending(dev, v) && !msix_is_masked(dev, v)) {
        msix_set_pending(dev, v, false);
        msix_send(dev, v);
    }
}

void msix_write_config(PCIDevice *dev, uint32_t addr, int len,
                       uint16_t old_flags)
{
    unsigned flags_off = dev->msix_cap + PCI_MSIX_FLAGS, v;
    uint16_t flags = msix_flags(dev);
    bool was_live, live;

    if (addr + len <= flags_off || addr >= flags_off + 2) {
        return;
    }
    was_live = (old_flags & PCI_MSIX_FLAGS_ENABLE) &&
               !(old_flags & PCI_MSIX_FLAGS_MASKALL);
    live = (flags & PCI_MSIX_FLAGS_ENABLE) &&
           !(flags & PCI_MSIX_FLAGS_MASKALL);
    if (live && !was_live) {
        for (v = 0; v < dev->msix_entries; v++) {
            msix_check_pending(dev, v);
        }
    }
}

static uint64_t msix_table_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIDevice *dev = opaque;
    unsigned v = addr / PCI_MSIX_ENTRY_SIZE;
    const PCIMSIXVector *e;

    if (v >= dev->msix_entries) {
        return 0;
    }
    e = &dev->msix_table[v];
    switch (addr % PCI_MSIX_ENTRY_SIZE) {
    case PCI_MSIX_ENTRY_LOWER_ADDR:
        return e->addr_lo;
    case PCI_MSIX_ENTRY_UPPER_ADDR:
        return e->addr_hi;
    case PCI_MSIX_ENTRY_DATA:
        return e->data;
    default:
        return e->ctrl;
    }
}

static void msix_table_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    PCIDevice *dev = opaque;
    unsigned v = addr / PCI_MSIX_ENTRY_SIZE;
    PCIMSIXVector *e;

    if (v >= dev->msix_entries) {
        emu_log_mask(LOG_GUEST_ERROR, "%s: MSI-X table write beyond the "
                     "table at 0x%" PRIx64 "\n", dev->qdev.info->name,
                     (uint64_t)addr);
        return;
    }
    e = &dev->msix_table[v];
    switch (addr % PCI_MSIX_ENTRY_SIZE) {
    case PCI_MSIX_ENTRY_LOWER_ADDR:
        e->addr_lo = val & ~3u;
        break;
    case PCI_MSIX_ENTRY_UPPER_ADDR:
        e->addr_hi = val;
        break;
    case PCI_MSIX_ENTRY_DATA:
        e->data = val;
        break;
    default:
        /* Bits 31:1 are reserved */
        e->ctrl = val & PCI_MSIX_ENTRY_CTRL_MASKBIT;
        msix_check_pending(dev, v);
        break;
    }
}

static const MemoryRegionOps msix_table_ops = {
    .read = msix_table_read,
    .write = msix_table_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static uint64_t msix_pba_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIDevice *dev = opaque;
    unsigned pba_bytes = DIV_ROUND_UP(dev->msix_entries, 64) * 8;
    uint64_t val = 0;
    unsigned i;

    for (i = 0; i < size && addr + i < pba_bytes; i++) {
        val |= (uint64_t)dev->msix_pba[addr + i] << (8 * i);
    }
    return val;
}

static void msix_pba_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    PCIDevice *dev = opaque;

    emu_log_mask(LOG_GUEST_ERROR, "%s: write to the read-only MSI-X PBA at "
                 "0x%" PRIx64 "\n", dev->qdev.info->name, (uint64_t)addr);
}

static const MemoryRegionOps msix_pba_ops = {
    .read = msix_pba_read,
    .write = msix_pba_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 8 },
};

static uint64_t pow2_ceil(uint64_t v)
{
    uint64_t p = 1;

    while (p < v) {
        p <<= 1;
    }
    return p;
}

uint8_t pci_msix_init(PCIDevice *dev, unsigned nentries, uint8_t bar_nr,
                      MemoryRegion *bar, uint32_t table_offset,
                      uint32_t pba_offset, uint8_t cap_pos, Error **errp)
{
    uint64_t table_size = (uint64_t)nentries * PCI_MSIX_ENTRY_SIZE;
    uint64_t pba_size = DIV_ROUND_UP(nentries, 64) * 8;
    uint64_t bar_size;
    uint8_t cap;
    unsigned v;

    if (nentries < 1 || nentries > MSIX_MAX_ENTRIES || bar_nr > 5 ||
        (table_offset & 7) || (pba_offset & 7)) {
        error_setg(errp, "%s: bad MSI-X layout (%u entries, BAR %u)",
                   dev->qdev.info->name, nentries, bar_nr);
        return 0;
    }
    if (table_offset < pba_offset + pba_size &&
        pba_offset < table_offset + table_size) {
        error_setg(errp, "%s: MSI-X table and PBA overlap",
                   dev->qdev.info->name);
        return 0;
    }
    bar_size = MAX(table_offset + table_size, pba_offset + pba_size);
    if (bar && bar_size > memory_region_size(bar)) {
        error_setg(errp, "%s: MSI-X table/PBA do not fit BAR %u",
                   dev->qdev.info->name, bar_nr);
        return 0;
    }
    if (!bar && dev->io_regions[bar_nr].size) {
        error_setg(errp, "%s: BAR %u already in use", dev->qdev.info->name,
                   bar_nr);
        return 0;
    }
    cap = pci_add_capability(dev, PCI_CAP_ID_MSIX, cap_pos,
                             PCI_CAP_MSIX_SIZEOF, errp);
    if (!cap) {
        return 0;
    }
    dev->msix_cap = cap;
    dev->msix_entries = nentries;
    dev->msix_bar_nr = bar_nr;
    dev->msix_table_offset = table_offset;
    dev->msix_pba_offset = pba_offset;
    dev->msix_table = emu_new0(PCIMSIXVector, nentries);
    dev->msix_pba = emu_malloc0(pba_size);
    for (v = 0; v < nentries; v++) {
        dev->msix_table[v].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
    }
    pci_set_word(dev->config + cap + PCI_MSIX_FLAGS, nentries - 1);
    pci_set_long(dev->config + cap + PCI_MSIX_TABLE, table_offset | bar_nr);
    pci_set_long(dev->config + cap + PCI_MSIX_PBA, pba_offset | bar_nr);
    pci_set_word(dev->wmask + cap + PCI_MSIX_FLAGS,
                 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);

    memory_region_init_io(&dev->msix_table_mmio, dev, &msix_table_ops, dev,
                          "msix-table", table_size);
    memory_region_init_io(&dev->msix_pba_mmio, dev, &msix_pba_ops, dev,
                          "msix-pba", pba_size);
    if (!bar) {
        bar_size = MAX(pow2_ceil(bar_size), 4 * KiB);
        memory_region_init(&dev->msix_exclusive_bar, dev, "msix", bar_size);
        bar = &dev->msix_exclusive_bar;
        pci_register_bar(dev, bar_nr, PCI_BASE_ADDRESS_SPACE_MEMORY, bar);
    }
    dev->msix_container = bar;
    memory_region_add_subregion(bar, table_offset, &dev->msix_table_mmio);
    memory_region_add_subregion(bar, pba_offset, &dev->msix_pba_mmio);
    return cap;
}

void pci_msix_uninit(PCIDevice *dev)
{
    if (!dev->msix_cap) {
        return;
    }
    memory_region_finalize(&dev->msix_table_mmio);
    memory_region_finalize(&dev->msix_pba_mmio);
    if (dev->msix_container == &dev->msix_exclusive_bar) {
        PCIIORegion *r = &dev->io_regions[dev->msix_bar_nr];
        if (r->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(r->address_space, r->memory);
        }
        memset(r, 0, sizeof(*r));
        memory_region_finalize(&dev->msix_exclusive_bar);
    }
    pci_del_capability(dev, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);
    free(dev->msix_table);
    free(dev->msix_pba);
    dev->msix_table = NULL;
    dev->msix_pba = NULL;
    dev->msix_container = NULL;
    dev->msix_cap = 0;
    dev->msix_entries = 0;
}

void msix_reset(PCIDevice *dev)
{
    unsigned v;

    pci_set_word(dev->config + dev->msix_cap + PCI_MSIX_FLAGS,
                 msix_flags(dev) &
                 ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
    memset(dev->msix_pba, 0, DIV_ROUND_UP(dev->msix_entries, 64) * 8);
    for (v = 0; v < dev->msix_entries; v++) {
        dev->msix_table[v] = (PCIMSIXVector) {
            .ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT,
        };
    }
}
