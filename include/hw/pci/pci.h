/*
 * The PCI bus and PCI devices (conventional PCI, 256-byte configuration
 * space).
 *
 * A PCI device is a C struct starting with a PCIDevice plus a DeviceInfo
 * with .bus_type = BUS_TYPE_PCI, .parent_props = pci_device_props,
 * .reset = pci_device_reset and .class_data pointing at a PCIDeviceInfo
 * (IDs, realize/exit/reset and optional config-space hooks):
 *
 *   static const PCIDeviceInfo mydev_pci = {
 *       .vendor_id = 0x8086, .device_id = 0x100e,
 *       .class_id = PCI_CLASS_NETWORK_ETHERNET,
 *       .realize = mydev_realize,
 *   };
 *   static const DeviceInfo mydev_info = {
 *       .name = "mydev", .bus_type = BUS_TYPE_PCI,
 *       .instance_size = sizeof(MyDev), .parent_props = pci_device_props,
 *       .reset = pci_device_reset, .vmsd = &vmstate_mydev,
 *       .class_data = &mydev_pci, .user_creatable = true,
 *   };
 *
 * The bus fills the standard header before PCIDeviceInfo.realize runs;
 * realize then registers BARs (pci_register_bar), capabilities, MSI/MSI-X.
 * DeviceInfo.realize is not needed (it runs after the PCI one if set).
 * A device's vmsd embeds the PCI part with
 *   VMSTATE_STRUCT(parent_obj, MyDev, vmstate_pci_device).
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include "hw/qdev.h"
#include "system/memory.h"
#include "hw/pci/pci_regs.h"

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;
typedef struct VMStateDescription VMStateDescription;

#define PCI_SLOT_MAX        32
#define PCI_FUNC_MAX        8
#define PCI_DEVFN_MAX       256
#define PCI_DEVFN(slot, fn) ((((slot) & 0x1f) << 3) | ((fn) & 0x07))
#define PCI_SLOT(devfn)     (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)     ((devfn) & 0x07)

#define PCI_NUM_PINS        4           /* INTA#..INTD# */
#define PCI_NUM_REGIONS     7           /* 6 BARs + expansion ROM */
#define PCI_ROM_SLOT        6
#define PCI_CONFIG_SPACE_SIZE 0x100

/* Address of an unmapped BAR, as QEMU reports it in query-pci */
#define PCI_BAR_UNMAPPED    (~(uint64_t)0)

/* Default subsystem IDs of QEMU's devices (Red Hat/Qumranet, QEMU) */
#define PCI_SUBVENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_SUBDEVICE_ID_QEMU            0x1100

typedef struct PCIIORegion {
    uint64_t addr;          /* current guest address, PCI_BAR_UNMAPPED */
    uint64_t size;          /* 0: BAR not implemented */
    uint8_t type;           /* PCI_BASE_ADDRESS_* space/mem type bits */
    MemoryRegion *memory;
    MemoryRegion *address_space;    /* bus I/O or memory container */
} PCIIORegion;

typedef struct PCIDeviceInfo {
    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint16_t class_id;      /* base class << 8 | subclass */
    uint8_t prog_if;
    /* 0 and 0: QEMU's default 1af4:1100 */
    uint16_t subsystem_vendor_id;
    uint16_t subsystem_id;
    uint8_t header_type;    /* PCI_HEADER_TYPE_NORMAL unless a bridge */
    /* Device set-up after the header is filled; may fail */
    void (*realize)(PCIDevice *dev, Error **errp);
    /* Undo realize (BARs are unmapped by the bus afterwards) */
    void (*exit)(PCIDevice *dev);
    /* Device reset after the generic header reset */
    void (*reset)(PCIDevice *dev);
    /*
     * Config-space hooks; NULL means pci_default_read_config /
     * pci_default_write_config.  A write hook normally calls the default
     * first, then reacts to the registers it cares about.  addr + len is
     * always within the 256 bytes; len is 1, 2 or 4.
     */
    uint32_t (*config_read)(PCIDevice *dev, uint32_t addr, int len);
    void (*config_write)(PCIDevice *dev, uint32_t addr, uint32_t val,
                         int len);
} PCIDeviceInfo;

typedef struct PCIMSIXVector {
    uint32_t addr_lo;
    uint32_t addr_hi;
    uint32_t data;
    uint32_t ctrl;
} PCIMSIXVector;

struct PCIDevice {
    DeviceState qdev;
    const PCIDeviceInfo *pci_info;
    PCIBus *bus;
    int32_t devfn;          /* "addr" property; -1: first free slot */
    bool multifunction;     /* "multifunction" property */

    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];     /* guest-writable bits */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE];   /* write-1-to-clear bits */
    uint8_t used[PCI_CONFIG_SPACE_SIZE];      /* taken by capabilities */

    PCIIORegion io_regions[PCI_NUM_REGIONS];

    /* INTx: bit n set while the device asserts pin n */
    uint8_t irq_state;
    uint8_t irq_state_loaded;   /* scratch for migration */

    /* MSI (hw/pci/msi.c) */
    uint8_t msi_cap;        /* offset of the capability, 0: none */
    uint8_t msi_nr_vectors;

    /* MSI-X (hw/pci/msix.c) */
    uint8_t msix_cap;
    uint16_t msix_entries;
    uint8_t msix_bar_nr;
    uint32_t msix_table_offset;
    uint32_t msix_pba_offset;
    PCIMSIXVector *msix_table;
    uint8_t *msix_pba;
    MemoryRegion msix_table_mmio;
    MemoryRegion msix_pba_mmio;
    MemoryRegion msix_exclusive_bar;    /* when msix owns its BAR */
    MemoryRegion *msix_container;       /* where table/pba are mapped */
};

#define PCI_DEVICE(obj) ((PCIDevice *)(obj))

typedef void PCISetIRQFunc(void *opaque, int irq_num, int level);
typedef int PCIMapIRQFunc(PCIDevice *dev, int pin);
typedef void PCIMSIHandler(void *opaque, uint64_t addr, uint32_t data);

struct PCIBus {
    BusState qbus;
    MemoryRegion *address_space_mem;
    MemoryRegion *address_space_io;
    PCIDevice *devices[PCI_DEVFN_MAX];
    /* INTx routing: device pin -> bus line via map_irq -> set_irq */
    PCISetIRQFunc *set_irq;
    PCIMapIRQFunc *map_irq;
    void *irq_opaque;
    int nirq;
    int *irq_count;         /* asserting devices per bus line */
    /* MSI delivery, installed by the board */
    PCIMSIHandler *msi_handler;
    void *msi_opaque;
    uint8_t bus_num;
};

extern const Property pci_device_props[];
extern const VMStateDescription vmstate_pci_device;

/* ---- Bus ---- */
/* Create a root bus (host bridge's); name NULL gives "pci.N" */
PCIBus *pci_root_bus_new(DeviceState *host, const char *name,
                         MemoryRegion *mem, MemoryRegion *io);
void pci_bus_irqs(PCIBus *bus, PCISetIRQFunc *set_irq,
                  PCIMapIRQFunc *map_irq, void *opaque, int nirq);
void pci_set_msi_handler(PCIBus *bus, PCIMSIHandler *fn, void *opaque);
/* Device at devfn, or NULL */
PCIDevice *pci_find_device(PCIBus *bus, int bus_num, int devfn);
/*
 * Create and realize a PCI device at devfn (-1: first free slot).
 * multifunction as the property of that name.
 */
PCIDevice *pci_create_simple(PCIBus *bus, int devfn, const char *type,
                             Error **errp);
PCIDevice *pci_create_simple_multifunction(PCIBus *bus, int devfn,
                                           bool multifunction,
                                           const char *type, Error **errp);

/* ---- Configuration space ---- */
/* Host bridge config access, bus-relative address (devfn << 8 | reg) */
uint32_t pci_host_config_read(PCIBus *bus, uint32_t addr, int len);
void pci_host_config_write(PCIBus *bus, uint32_t addr, uint32_t val,
                           int len);
/* Through the device's hooks (what a config cycle does) */
uint32_t pci_config_read(PCIDevice *dev, uint32_t addr, int len);
void pci_config_write(PCIDevice *dev, uint32_t addr, uint32_t val, int len);
uint32_t pci_default_read_config(PCIDevice *dev, uint32_t addr, int len);
void pci_default_write_config(PCIDevice *dev, uint32_t addr, uint32_t val,
                              int len);

static inline void pci_set_byte(uint8_t *p, uint8_t v) { p[0] = v; }
static inline uint8_t pci_get_byte(const uint8_t *p) { return p[0]; }
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline uint16_t pci_get_word(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    pci_set_word(p, v);
    pci_set_word(p + 2, v >> 16);
}
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return pci_get_word(p) | ((uint32_t)pci_get_word(p + 2) << 16);
}
static inline void pci_set_quad(uint8_t *p, uint64_t v)
{
    pci_set_long(p, v);
    pci_set_long(p + 4, v >> 32);
}
static inline uint64_t pci_get_quad(const uint8_t *p)
{
    return pci_get_long(p) | ((uint64_t)pci_get_long(p + 4) << 32);
}

/* ---- BARs ---- */
/*
 * Register BAR n (0-5, or PCI_ROM_SLOT) of type
 * PCI_BASE_ADDRESS_SPACE_IO or _SPACE_MEMORY [| _MEM_TYPE_64 |
 * _MEM_PREFETCH], backed by mr whose size must be a power of two (at least
 * 4 bytes for I/O, 16 for memory; ROM: 2 KiB).  A 64-bit BAR also uses
 * n + 1.  Mapped while the BAR holds a valid address and the matching
 * COMMAND enable bit is set.
 */
void pci_register_bar(PCIDevice *dev, int n, uint8_t type, MemoryRegion *mr);
/* Current address of BAR n, PCI_BAR_UNMAPPED when not mapped */
uint64_t pci_get_bar_addr(PCIDevice *dev, int n);

/* ---- INTx ---- */
/* Level of the device's interrupt pin (config INTERRUPT_PIN) */
void pci_set_irq(PCIDevice *dev, int level);
static inline void pci_irq_assert(PCIDevice *dev) { pci_set_irq(dev, 1); }
static inline void pci_irq_deassert(PCIDevice *dev) { pci_set_irq(dev, 0); }
/* Swizzle of the conventional PCI slot: (pin + slot) mod 4 */
int pci_swizzle_map_irq(PCIDevice *dev, int pin);

/* ---- Capabilities ---- */
/*
 * Add a capability of size bytes at offset (0: the first free dword-
 * aligned space from 0x40).  Returns the offset, or 0 with errp set.
 */
uint8_t pci_add_capability(PCIDevice *dev, uint8_t cap_id, uint8_t offset,
                           uint8_t size, Error **errp);
void pci_del_capability(PCIDevice *dev, uint8_t cap_id, uint8_t size);
/* Offset of the first capability with that id, 0 if none */
uint8_t pci_find_capability(PCIDevice *dev, uint8_t cap_id);

/* ---- MSI delivery (used by msi.c/msix.c) ---- */
void pci_send_msi(PCIDevice *dev, uint64_t addr, uint32_t data);

/* ---- DMA: bus-master accesses, refused while BUS MASTER is off ---- */
MemTxResult pci_dma_read(PCIDevice *dev, hwaddr addr, void *buf,
                         hwaddr len);
MemTxResult pci_dma_write(PCIDevice *dev, hwaddr addr, const void *buf,
                          hwaddr len);

/* ---- Reset ---- */
/* DeviceInfo.reset of every PCI device: header, BARs, INTx, MSI(-X) */
void pci_device_reset(DeviceState *dev);

#endif
