/*
 * The i440FX host bridge (Intel 82441FX PMC) and the PC chipset built
 * around it: "i440FX-pcihost" (system bus: PCI configuration mechanism #1
 * at 0xcf8/0xcfc, and the PIIX3 reset control register at 0xcf9 that
 * shares that port window), "i440FX" (PCI 00.0, 8086:1237 rev 02, PAM
 * shadow-RAM control, SMRAM register) and "PIIX3" (PCI 01.0, 8086:7000,
 * ISA bridge with the PIRQ router).
 */
#ifndef HW_PCI_HOST_I440FX_H
#define HW_PCI_HOST_I440FX_H

#include "hw/pci/pci.h"
#include "hw/isa/isa.h"

#define TYPE_I440FX_PCI_HOST_BRIDGE "i440FX-pcihost"
#define TYPE_I440FX_PCI_DEVICE      "i440FX"
#define TYPE_PIIX3_DEVICE           "PIIX3"

/* i440FX config registers */
#define I440FX_PAM          0x59    /* PAM0..PAM6: 0x59-0x5f */
#define I440FX_PAM_SIZE     7
#define I440FX_SMRAM        0x72

/* PIIX3 config registers */
#define PIIX_PIRQCA         0x60    /* PIRQ route A..D: 0x60-0x63 */
#define PIIX_NUM_PIRQS      4

/* The PIIX3 reset control register, decoded inside the 0xcf8 window */
#define PIIX_RCR_IOPORT     0xcf9

/*
 * Build the chipset, as QEMU's pc machine does:
 *   - maps pci_memory (a container the caller created, normally 2^64
 *     bytes named "pci") into sysmem at priority -1, under RAM;
 *   - creates "i440FX-pcihost" with bus "pci.0" (memory: pci_memory,
 *     I/O: sysio), config ports 0xcf8-0xcff in sysio;
 *   - "i440FX" at 00.0 with the PAM regions (0xc0000-0xfffff, priority 1
 *     in sysmem) over ram and "smram-region" (0xa0000-0xbffff routed to
 *     pci_memory, for the VGA window);
 *   - "PIIX3" at 01.0 (multifunction) with ISA bus "isa.0" on sysio.  It
 *     drives the ISA bus IRQ lines (set them with isa_bus_set_irqs) from
 *     PCI INTA-D through its PIRQ route registers.
 * It does not map RAM itself: the board maps "ram-below-4g" (and
 * "ram-above-4g") aliases of ram as QEMU does; below_4g_mem_size must be
 * at least 1 MiB so that the PAM regions have RAM behind them.  The BIOS
 * and option ROMs go into pci_memory (isa-bios at 0xe0000, pc.rom at
 * 0xc0000) so that PAM "disabled" reads reach them.
 * Returns the PCI bus or NULL with errp set.
 */
PCIBus *i440fx_init(MemoryRegion *sysmem, MemoryRegion *sysio,
                    MemoryRegion *ram, uint64_t below_4g_mem_size,
                    uint64_t above_4g_mem_size, MemoryRegion *pci_memory,
                    ISABus **isa_bus_out, DeviceState **piix3_out,
                    Error **errp);

#endif
