/*
 * MSI and MSI-X for PCI devices (PCI Local Bus Specification 3.0, 6.8).
 * Messages are delivered through the bus's handler (pci_set_msi_handler).
 */
#ifndef HW_PCI_MSI_H
#define HW_PCI_MSI_H

#include "hw/pci/pci.h"

/* ---- MSI ---- */
/*
 * Add an MSI capability at offset (0: anywhere) for nr_vectors (1, 2, 4,
 * 8, 16 or 32) vectors, 64-bit addresses if msi64bit, per-vector masking
 * if per_vector_mask.  Returns the capability offset or 0 with errp set.
 */
uint8_t pci_msi_init(PCIDevice *dev, uint8_t offset, unsigned nr_vectors,
                     bool msi64bit, bool per_vector_mask, Error **errp);
bool msi_enabled(const PCIDevice *dev);
/* Number of vectors the guest enabled (1 << MME) */
unsigned msi_nr_vectors_allocated(const PCIDevice *dev);
/* Send vector (or latch it pending while masked) */
void msi_notify(PCIDevice *dev, unsigned vector);
bool msi_is_masked(const PCIDevice *dev, unsigned vector);
/* Internal to hw/pci: config write hook and reset */
void msi_write_config(PCIDevice *dev, uint32_t addr, int len);
void msi_reset(PCIDevice *dev);

/* ---- MSI-X ---- */
/*
 * Add an MSI-X capability (at cap_pos, 0: anywhere) with nentries
 * (1-2048) vectors whose table and PBA live in BAR bar_nr at
 * table_offset and pba_offset (8-byte aligned, not overlapping).
 *   bar != NULL: the device's own BAR container; the table and PBA are
 *     mapped into it (the device registers the BAR itself).
 *   bar == NULL: MSI-X creates an exclusive 32-bit memory BAR bar_nr
 *     sized to hold both, and registers it.
 * Returns the capability offset or 0 with errp set.
 */
uint8_t pci_msix_init(PCIDevice *dev, unsigned nentries, uint8_t bar_nr,
                      MemoryRegion *bar, uint32_t table_offset,
                      uint32_t pba_offset, uint8_t cap_pos, Error **errp);
/* Undo pci_msix_init (unrealize paths) */
void pci_msix_uninit(PCIDevice *dev);
bool msix_enabled(const PCIDevice *dev);
bool msix_is_masked(const PCIDevice *dev, unsigned vector);
void msix_notify(PCIDevice *dev, unsigned vector);
/* Internal to hw/pci */
void msix_write_config(PCIDevice *dev, uint32_t addr, int len,
                       uint16_t old_flags);
void msix_reset(PCIDevice *dev);

#endif
