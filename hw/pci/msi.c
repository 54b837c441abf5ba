/* MSI capability of PCI devices: message address/data, multiple vectors, per-vector masking. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/pci/msi.h"

static uint16_t msi_flags(const PCIDevice *dev)
{
    return pci_get_word(dev->config + dev->msi_cap + PCI_MSI_FLAGS);
}

static bool msi_64bit(const PCIDevice *dev)
{
    return msi_flags(dev) & PCI_MSI_FLAGS_64BIT;
}

static bool msi_maskbit(const PCIDevice *dev)
{
    return msi_flags(dev) & PCI_MSI_FLAGS_MASKBIT;
}

static unsigned msi_data_off(const PCIDevice *dev)
{
    return dev->msi_cap + (msi_64bit(dev) ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);
}

static unsigned msi_mask_off(const PCIDevice *dev)
{
    return dev->msi_cap + (msi_64bit(dev) ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
}

static unsigned msi_pending_off(const PCIDevice *dev)
{
    return dev->msi_cap + (msi_64bit(dev) ? PCI_MSI_PENDING_64
                                          : PCI_MSI_PENDING_32);
}

static unsigned msi_cap_size(bool msi64bit, bool per_vector_mask)
{
    if (per_vector_mask) {
        return msi64bit ? 0x18 : 0x14;
    }
    return msi64bit ? 0x0e : 0x0a;
}

uint8_t pci_msi_init(PCIDevice *dev, uint8_t offset, unsigned nr_vectors,
                     bool msi64bit, bool per_vector_mask, Error **errp)
{
    unsigned log2 = 0, size = msi_cap_size(msi64bit, per_vector_mask);
    uint16_t flags;
    uint8_t cap;

    if (nr_vectors == 0 || nr_vectors > 32 ||
        (nr_vectors & (nr_vectors - 1))) {
        error_setg(errp, "%s: MSI vector count %u is not a power of two "
                   "up to 32", dev->qdev.info->name, nr_vectors);
        return 0;
    }
    while ((1u << log2) < nr_vectors) {
        log2++;
    }
    cap = pci_add_capability(dev, PCI_CAP_ID_MSI, offset, size, errp);
    if (!cap) {
        return 0;
    }
    dev->msi_cap = cap;
    dev->msi_nr_vectors = nr_vectors;
    flags = log2 << 1;
    if (msi64bit) {
        flags |= PCI_MSI_FLAGS_64BIT;
    }
    if (per_vector_mask) {
        flags |= PCI_MSI_FLAGS_MASKBIT;
    }
    pci_set_word(dev->config + cap + PCI_MSI_FLAGS, flags);
    pci_set_word(dev->wmask + cap + PCI_MSI_FLAGS,
                 PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
    /* The message address is dword aligned */
    pci_set_long(dev->wmask + cap + PCI_MSI_ADDRESS_LO, 0xfffffffc);
    if (msi64bit) {
        pci_set_long(dev->wmask + cap + PCI_MSI_ADDRESS_HI, 0xffffffff);
    }
    pci_set_word(dev->wmask + msi_data_off(dev), 0xffff);
    if (per_vector_mask) {
        pci_set_long(dev->wmask + msi_mask_off(dev),
                     nr_vectors == 32 ? 0xffffffffu
                                      : (1u << nr_vectors) - 1);
    }
    return cap;
}

bool msi_enabled(const PCIDevice *dev)
{
    return dev->msi_cap && (msi_flags(dev) & PCI_MSI_FLAGS_ENABLE);
}

unsigned msi_nr_vectors_allocated(const PCIDevice *dev)
{
    if (!dev->msi_cap) {
        return 0;
    }
    return 1u << ((msi_flags(dev) & PCI_MSI_FLAGS_QSIZE) >> 4);
}

bool msi_is_masked(const PCIDevice *dev, unsigned vector)
{
    if (!dev->msi_cap || vector >= 32 || !msi_maskbit(dev)) {
        return false;
    }
    return pci_get_long(dev->config + msi_mask_off(dev)) & (1u << vector);
}

static void msi_send(PCIDevice *dev, unsigned vector)
{
    uint64_t addr = pci_get_long(dev->config + dev->msi_cap +
                                 PCI_MSI_ADDRESS_LO);
    unsigned nvec = msi_nr_vectors_allocated(dev);
    uint32_t data = pci_get_word(dev->config + msi_data_off(dev));

    if (msi_64bit(dev)) {
        addr |= (uint64_t)pci_get_long(dev->config + dev->msi_cap +
                                       PCI_MSI_ADDRESS_HI) << 32;
    }
    /* With several vectors enabled, the low bits of data carry the vector */
    data = (data & ~(nvec - 1)) | vector;
    pci_send_msi(dev, addr, data);
}

void msi_notify(PCIDevice *dev, unsigned vector)
{
    if (!msi_enabled(dev)) {
        return;
    }
    if (vector >= msi_nr_vectors_allocated(dev)) {
        /* The guest enabled fewer vectors than the device wants to use */
        emu_log_mask(LOG_GUEST_ERROR, "%s: MSI vector %u not enabled "
                     "(%u allocated)\n", dev->qdev.info->name, vector,
                     msi_nr_vectors_allocated(dev));
        return;
    }
    if (msi_is_masked(dev, vector)) {
        uint32_t off = msi_pending_off(dev);
        pci_set_long(dev->config + off,
                     pci_get_long(dev->config + off) | (1u << vector));
        return;
    }
    msi_send(dev, vector);
}

void msi_write_config(PCIDevice *dev, uint32_t addr, int len)
{
    unsigned cap = dev->msi_cap, size, mmc, mme, nvec, v;
    uint16_t flags;
    uint32_t pending;

    size = msi_cap_size(msi_64bit(dev), msi_maskbit(dev));
    if (addr + len <= cap || addr >= cap + size) {
        return;
    }
    flags = msi_flags(dev);
    mmc = (flags & PCI_MSI_FLAGS_QMASK) >> 1;
    mme = (flags & PCI_MSI_FLAGS_QSIZE) >> 4;
    if (mme > mmc) {
        /* More than the device can do: it uses what it has (6.8.1.3) */
        emu_log_mask(LOG_GUEST_ERROR, "%s: MSI enable of %u vectors, device "
                     "has %u\n", dev->qdev.info->name, 1u << mme, 1u << mmc);
        flags = (flags & ~PCI_MSI_FLAGS_QSIZE) | (mmc << 4);
        pci_set_word(dev->config + cap + PCI_MSI_FLAGS, flags);
    }
    if (!msi_enabled(dev) || !msi_maskbit(dev)) {
        return;
    }
    /* Vectors unmasked with a message pending are sent now */
    nvec = msi_nr_vectors_allocated(dev);
    pending = pci_get_long(dev->config + msi_pending_off(dev));
    for (v = 0; v < nvec; v++) {
        if ((pending & (1u << v)) && !msi_is_masked(dev, v)) {
            pending &= ~(1u << v);
            pci_set_long(dev->config + msi_pending_off(dev), pending);
            msi_send(dev, v);
        }
    }
}

void msi_reset(PCIDevice *dev)
{
    unsigned cap = dev->msi_cap;
    uint16_t flags = msi_flags(dev);

    pci_set_word(dev->config + cap + PCI_MSI_FLAGS,
                 flags & ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE));
    pci_set_long(dev->config + cap + PCI_MSI_ADDRESS_LO, 0);
    if (flags & PCI_MSI_FLAGS_64BIT) {
        pci_set_long(dev->config + cap + PCI_MSI_ADDRESS_HI, 0);
    }
    pci_set_word(dev->config + msi_data_off(dev), 0);
    if (flags & PCI_MSI_FLAGS_MASKBIT) {
        pci_set_long(dev->config + msi_mask_off(dev), 0);
        pci_set_long(dev->config + msi_pending_off(dev), 0);
    }
}
