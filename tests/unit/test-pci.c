/* Unit tests for PCI and the PC chipset: config mechanism #1, BARs, INTx through PIIX3, MSI/MSI-X, PAM, PIIX4 PM, info pci. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "hw/acpi/piix4.h"
#include "hw/isa/isa.h"
#include "hw/pci-host/i440fx.h"
#include "hw/pci/msi.h"
#include "migration/vmstate.h"
#include "monitor/monitor.h"
#include "system/memory.h"
#include "system/runstate.h"

#include <setjmp.h>
#include <cmocka.h>

#define RAM_SIZE        (16 * MiB)
#define TEST_SLOT       3
#define TEST_DEVFN      PCI_DEVFN(TEST_SLOT, 0)
#define PM_BASE         0x600

/* ---- test-pci-dev: an I/O BAR, a memory BAR, a 64-bit BAR, MSI, MSI-X */

typedef struct TestPCIDev {
    PCIDevice parent_obj;
    MemoryRegion io;
    MemoryRegion mmio;
    MemoryRegion mmio64;
    uint64_t last_write_addr;
    uint64_t last_write_val;
    unsigned writes;
} TestPCIDev;

static uint64_t tdev_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0xa5000000u | addr;
}

static void tdev_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    TestPCIDev *s = opaque;

    s->last_write_addr = addr;
    s->last_write_val = val;
    s->writes++;
}

static const MemoryRegionOps tdev_ops = {
    .read = tdev_read,
    .write = tdev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static void tdev_realize(PCIDevice *dev, Error **errp)
{
    TestPCIDev *s = (TestPCIDev *)dev;

    dev->config[PCI_INTERRUPT_PIN] = 1;
    memory_region_init_io(&s->io, dev, &tdev_ops, s, "tdev-io", 0x20);
    memory_region_init_io(&s->mmio, dev, &tdev_ops, s, "tdev-mmio", 0x1000);
    memory_region_init_io(&s->mmio64, dev, &tdev_ops, s, "tdev-mmio64",
                          0x4000);
    pci_register_bar(dev, 0, PCI_BASE_ADDRESS_SPACE_IO, &s->io);
    pci_register_bar(dev, 1, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);
    pci_register_bar(dev, 2, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->mmio64);
    if (!pci_msi_init(dev, 0, 4, true, true, errp)) {
        return;
    }
    pci_msix_init(dev, 4, 4, NULL, 0, 0x800, 0, errp);
}

static void tdev_exit(PCIDevice *dev)
{
    TestPCIDev *s = (TestPCIDev *)dev;

    memory_region_finalize(&s->io);
    memory_region_finalize(&s->mmio);
    memory_region_finalize(&s->mmio64);
}

static const PCIDeviceInfo tdev_pci_info = {
    .vendor_id = 0x1234,
    .device_id = 0x5678,
    .revision = 0x01,
    .class_id = PCI_CLASS_OTHERS,
    .realize = tdev_realize,
    .exit = tdev_exit,
};

static const DeviceInfo tdev_info = {
    .name = "test-pci-dev",
    .bus_type = BUS_TYPE_PCI,
    .instance_size = sizeof(TestPCIDev),
    .parent_props = pci_device_props,
    .reset = pci_device_reset,
    .class_data = &tdev_pci_info,
    .user_creatable = true,
};
DEVICE_REGISTER(tdev_info);

/* ---- The machine under test ---- */

static MemoryRegion ram, ram_below_4g, pci_memory, bios, vga;
static PCIBus *pci_bus;
static ISABus *isa_bus;
static TestPCIDev *tdev;
static int isa_level[ISA_NUM_IRQS];
static IRQLine isa_irqs[ISA_NUM_IRQS];
static uint64_t msi_addr;
static uint32_t msi_data;
static unsigned msi_count;

static void isa_irq_handler(void *opaque, int n, int level)
{
    isa_level[n] = level;
}

static void msi_handler(void *opaque, uint64_t addr, uint32_t data)
{
    msi_addr = addr;
    msi_data = data;
    msi_count++;
}

static void cfg_addr(int devfn, int reg)
{
    address_space_stl_le(&address_space_io, 0xcf8,
                         0x80000000u | (devfn << 8) | (reg & 0xfc), NULL);
}

static uint32_t cfg_read(int devfn, int reg, int len)
{
    cfg_addr(devfn, reg);
    switch (len) {
    case 1:
        return address_space_ldub(&address_space_io, 0xcfc + (reg & 3), NULL);
    case 2:
        return address_space_lduw_le(&address_space_io, 0xcfc + (reg & 3),
                                     NULL);
    default:
        return address_space_ldl_le(&address_space_io, 0xcfc, NULL);
    }
}

static void cfg_write(int devfn, int reg, uint32_t val, int len)
{
    cfg_addr(devfn, reg);
    switch (len) {
    case 1:
        address_space_stb(&address_space_io, 0xcfc + (reg & 3), val, NULL);
        break;
    case 2:
        address_space_stw_le(&address_space_io, 0xcfc + (reg & 3), val, NULL);
        break;
    default:
        address_space_stl_le(&address_space_io, 0xcfc, val, NULL);
        break;
    }
}

static int setup(void **state)
{
    devices_reset_all();
    memset(isa_level, 0, sizeof(isa_level));
    msi_count = 0;
    return 0;
}

static void test_ids(void **state)
{
    assert_int_equal(cfg_read(PCI_DEVFN(0, 0), 0, 4), 0x12378086);
    assert_int_equal(cfg_read(PCI_DEVFN(0, 0), PCI_REVISION_ID, 1), 0x02);
    assert_int_equal(cfg_read(PCI_DEVFN(0, 0), PCI_CLASS_DEVICE, 2), 0x0600);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 0), 0, 4), 0x70008086);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 0), PCI_CLASS_DEVICE, 2), 0x0601);
    /* PIIX3 is multifunction, so the OS looks at 01.1-01.7 */
    assert_int_equal(cfg_read(PCI_DEVFN(1, 0), PCI_HEADER_TYPE, 1), 0x80);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 3), 0, 4), 0x71138086);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 3), PCI_REVISION_ID, 1), 0x03);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 3), PCI_SUBSYSTEM_VENDOR_ID, 4),
                     0x11001af4);
    /* Empty slot and function: master abort */
    assert_int_equal(cfg_read(PCI_DEVFN(5, 0), 0, 4), 0xffffffffu);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 5), 0, 2), 0xffff);
    /* Config address register reads back; disabled cycles float */
    cfg_addr(PCI_DEVFN(0, 0), 0);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xcf8, NULL),
                     0x80000000u);
    address_space_stl_le(&address_space_io, 0xcf8, 0, NULL);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xcfc, NULL),
                     0xffffffffu);
    /* Read-only IDs stay */
    cfg_write(PCI_DEVFN(0, 0), 0, 0, 4);
    assert_int_equal(cfg_read(PCI_DEVFN(0, 0), 0, 4), 0x12378086);
}

static void test_bar_sizing(void **state)
{
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    assert_int_equal(cfg_read(TEST_DEVFN, PCI_BASE_ADDRESS_0, 4),
                     0xffffffe1u);
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 4, 0xffffffff, 4);
    assert_int_equal(cfg_read(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 4, 4),
                     0xfffff000u);
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 8, 0xffffffff, 4);
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 12, 0xffffffff, 4);
    assert_int_equal(cfg_read(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 8, 4),
                     0xffffc00cu);
    assert_int_equal(cfg_read(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 12, 4),
                     0xffffffffu);
    /* BAR 4: the 4 KiB exclusive MSI-X BAR; BAR 5 unimplemented */
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 16, 0xffffffff, 4);
    assert_int_equal(cfg_read(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 16, 4),
                     0xfffff000u);
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_5, 0xffffffff, 4);
    assert_int_equal(cfg_read(TEST_DEVFN, PCI_BASE_ADDRESS_5, 4), 0);
    /* Sized but with decoding on: all-ones is not an address */
    cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    assert_true(pci_get_bar_addr(&tdev->parent_obj, 0) == PCI_BAR_UNMAPPED);
    assert_true(pci_get_bar_addr(&tdev->parent_obj, 1) == PCI_BAR_UNMAPPED);
    assert_true(pci_get_bar_addr(&tdev->parent_obj, 2) == PCI_BAR_UNMAPPED);
}

static void test_bar_mapping(void **state)
{
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0, 0xc000, 4);
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 4, 0xfebf0000, 4);
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 8, 0, 4);
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 12, 0x1, 4);   /* 4 GiB */

    /* COMMAND off: nothing decodes */
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xc004, NULL),
                     0xffffffffu);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xfebf0010,
                                          NULL), 0xffffffffu);

    cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xc004, NULL),
                     0xa5000004u);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xfebf0010,
                                          NULL), 0xffffffffu);

    cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xfebf0010,
                                          NULL), 0xa5000010u);
    address_space_stl_le(&address_space_memory, 0xfebf0020, 0xdeadbeef, NULL);
    assert_int_equal(tdev->last_write_addr, 0x20);
    assert_int_equal(tdev->last_write_val, 0xdeadbeef);
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          0x100000008ull, NULL), 0xa5000008u);
    assert_true(pci_get_bar_addr(&tdev->parent_obj, 2) == 0x100000000ull);

    /* Move BAR1 */
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 4, 0xfeb00000, 4);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xfebf0010,
                                          NULL), 0xffffffffu);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xfeb00010,
                                          NULL), 0xa5000010u);

    /* Reset unmaps and clears the BARs */
    devices_reset_all();
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xc004, NULL),
                     0xffffffffu);
    assert_int_equal(cfg_read(TEST_DEVFN, PCI_BASE_ADDRESS_0, 4), 0x1);
    assert_int_equal(cfg_read(TEST_DEVFN, PCI_COMMAND, 2), 0);
}

static void test_intx_routing(void **state)
{
    PCIDevice *dev = &tdev->parent_obj;

    /* Slot 3 INTA -> PIRQC on the i440FX board */
    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA + 2, 11, 1);
    pci_set_irq(dev, 1);
    assert_int_equal(isa_level[11], 1);
    assert_true(cfg_read(TEST_DEVFN, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    pci_set_irq(dev, 0);
    assert_int_equal(isa_level[11], 0);
    assert_false(cfg_read(TEST_DEVFN, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);

    /* Rerouting moves an asserted line */
    pci_set_irq(dev, 1);
    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA + 2, 10, 1);
    assert_int_equal(isa_level[11], 0);
    assert_int_equal(isa_level[10], 1);

    /* INTx disable masks it, enable restores it */
    cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    assert_int_equal(isa_level[10], 0);
    cfg_write(TEST_DEVFN, PCI_COMMAND, 0, 2);
    assert_int_equal(isa_level[10], 1);

    /* IRQEN# disables the route */
    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA + 2, 0x8a, 1);
    assert_int_equal(isa_level[10], 0);
    /* A reserved IRQ number routes nowhere */
    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA + 2, 0x02, 1);
    assert_int_equal(isa_level[2], 0);
    pci_set_irq(dev, 0);

    /* Two devices on one PIRQ share the line (level counting) */
    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA + 2, 11, 1);
    pci_set_irq(dev, 1);
    pci_bus->irq_count[2]++;    /* a second device holds PIRQC */
    pci_set_irq(dev, 0);
    assert_int_equal(isa_level[11], 1);
    pci_bus->irq_count[2]--;
    pci_bus->set_irq(pci_bus->irq_opaque, 2, 0);
    assert_int_equal(isa_level[11], 0);
    assert_int_equal(pci_swizzle_map_irq(dev, 0), 3);
}

static void test_msi(void **state)
{
    PCIDevice *dev = &tdev->parent_obj;
    uint8_t cap = pci_find_capability(dev, PCI_CAP_ID_MSI);
    uint16_t flags;

    assert_int_not_equal(cap, 0);
    assert_true(cfg_read(TEST_DEVFN, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    flags = cfg_read(TEST_DEVFN, cap + PCI_MSI_FLAGS, 2);
    assert_int_equal(flags & PCI_MSI_FLAGS_QMASK, 2 << 1);  /* 4 vectors */
    assert_true(flags & PCI_MSI_FLAGS_64BIT);
    assert_true(flags & PCI_MSI_FLAGS_MASKBIT);

    /* Disabled: nothing */
    msi_notify(dev, 0);
    assert_int_equal(msi_count, 0);

    cfg_write(TEST_DEVFN, cap + PCI_MSI_ADDRESS_LO, 0xfee01000, 4);
    cfg_write(TEST_DEVFN, cap + PCI_MSI_ADDRESS_HI, 0, 4);
    cfg_write(TEST_DEVFN, cap + PCI_MSI_DATA_64, 0x4040, 2);
    /* Enable with 4 vectors (MME = 2) */
    cfg_write(TEST_DEVFN, cap + PCI_MSI_FLAGS,
              flags | PCI_MSI_FLAGS_ENABLE | (2 << 4), 2);
    assert_true(msi_enabled(dev));
    msi_notify(dev, 3);
    assert_int_equal(msi_count, 1);
    assert_true(msi_addr == 0xfee01000);
    assert_int_equal(msi_data, 0x4043);

    /* Mask vector 1: latched as pending, sent on unmask */
    cfg_write(TEST_DEVFN, cap + PCI_MSI_MASK_64, 0x2, 4);
    msi_notify(dev, 1);
    assert_int_equal(msi_count, 1);
    assert_int_equal(cfg_read(TEST_DEVFN, cap + PCI_MSI_PENDING_64, 4), 0x2);
    cfg_write(TEST_DEVFN, cap + PCI_MSI_MASK_64, 0, 4);
    assert_int_equal(msi_count, 2);
    assert_int_equal(msi_data, 0x4041);
    assert_int_equal(cfg_read(TEST_DEVFN, cap + PCI_MSI_PENDING_64, 4), 0);

    /* A vector beyond what the guest enabled is dropped */
    msi_notify(dev, 7);
    assert_int_equal(msi_count, 2);

    /* Asking for more vectors than exist: clamped */
    cfg_write(TEST_DEVFN, cap + PCI_MSI_FLAGS,
              flags | PCI_MSI_FLAGS_ENABLE | (5 << 4), 2);
    assert_int_equal(msi_nr_vectors_allocated(dev), 4);

    devices_reset_all();
    assert_false(msi_enabled(dev));
}

static void test_msix(void **state)
{
    PCIDevice *dev = &tdev->parent_obj;
    uint8_t cap = pci_find_capability(dev, PCI_CAP_ID_MSIX);
    const hwaddr bar = 0xfea00000;
    uint16_t flags;

    assert_int_not_equal(cap, 0);
    flags = cfg_read(TEST_DEVFN, cap + PCI_MSIX_FLAGS, 2);
    assert_int_equal(flags & PCI_MSIX_FLAGS_QSIZE, 3);
    assert_int_equal(cfg_read(TEST_DEVFN, cap + PCI_MSIX_TABLE, 4), 4);
    assert_int_equal(cfg_read(TEST_DEVFN, cap + PCI_MSIX_PBA, 4), 0x804);

    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0 + 16, bar, 4);
    cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    /* Entries start masked */
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          bar + 16 + 12, NULL), 1);
    address_space_stl_le(&address_space_memory, bar + 16, 0xfee02000, NULL);
    address_space_stl_le(&address_space_memory, bar + 16 + 4, 0, NULL);
    address_space_stl_le(&address_space_memory, bar + 16 + 8, 0x55, NULL);
    address_space_stl_le(&address_space_memory, bar + 16 + 12, 0, NULL);
    assert_int_equal(address_space_ldl_le(&address_space_memory, bar + 16,
                                          NULL), 0xfee02000);

    /* Disabled: dropped */
    msix_notify(dev, 1);
    assert_int_equal(msi_count, 0);

    /* Enabled but function-masked: pending */
    cfg_write(TEST_DEVFN, cap + PCI_MSIX_FLAGS,
              PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
    msix_notify(dev, 1);
    assert_int_equal(msi_count, 0);
    assert_int_equal(address_space_ldl_le(&address_space_memory, bar + 0x800,
                                          NULL), 0x2);
    cfg_write(TEST_DEVFN, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    assert_int_equal(msi_count, 1);
    assert_true(msi_addr == 0xfee02000);
    assert_int_equal(msi_data, 0x55);
    assert_int_equal(address_space_ldl_le(&address_space_memory, bar + 0x800,
                                          NULL), 0);

    /* Vector-masked: pending until the entry is unmasked */
    address_space_stl_le(&address_space_memory, bar + 16 + 12, 1, NULL);
    msix_notify(dev, 1);
    assert_int_equal(msi_count, 1);
    address_space_stl_le(&address_space_memory, bar + 16 + 12, 0, NULL);
    assert_int_equal(msi_count, 2);

    /* Unmasked: straight through; out-of-range vectors are ignored */
    msix_notify(dev, 1);
    assert_int_equal(msi_count, 3);
    msix_notify(dev, 4);
    assert_int_equal(msi_count, 3);
    /* Writes past the table are dropped */
    address_space_stl_le(&address_space_memory, bar + 0x7f0, 1, NULL);
}

static void test_pam(void **state)
{
    uint8_t *ram_ptr = memory_region_get_ram_ptr(&ram);
    uint8_t *bios_ptr = memory_region_get_ram_ptr(&bios);

    memset(bios_ptr, 0xb1, memory_region_size(&bios));
    memset(ram_ptr + 0xc0000, 0x00, 0x40000);

    /* At reset everything goes to PCI: reads see the BIOS ROM */
    assert_int_equal(address_space_ldub(&address_space_memory, 0xf0000, NULL),
                     0xb1);
    address_space_stb(&address_space_memory, 0xe0000, 0x42, NULL);
    assert_int_equal(ram_ptr[0xe0000], 0);
    assert_int_equal(address_space_ldub(&address_space_memory, 0xe0000, NULL),
                     0xb1);

    /* Write-only for 0xf0000: read ROM, write shadow RAM (BIOS copy) */
    cfg_write(PCI_DEVFN(0, 0), I440FX_PAM, 0x20, 1);
    assert_int_equal(address_space_ldub(&address_space_memory, 0xf0010, NULL),
                     0xb1);
    address_space_stb(&address_space_memory, 0xf0010, 0x77, NULL);
    assert_int_equal(ram_ptr[0xf0010], 0x77);
    assert_int_equal(address_space_ldub(&address_space_memory, 0xf0010, NULL),
                     0xb1);

    /* Read/write everywhere (SeaBIOS make_bios_writable) */
    cfg_write(PCI_DEVFN(0, 0), I440FX_PAM, 0x30, 1);
    for (int i = 1; i < I440FX_PAM_SIZE; i++) {
        cfg_write(PCI_DEVFN(0, 0), I440FX_PAM + i, 0x33, 1);
    }
    address_space_stb(&address_space_memory, 0xc0000, 0x42, NULL);
    address_space_stl_le(&address_space_memory, 0xefffc, 0x11223344, NULL);
    assert_int_equal(ram_ptr[0xc0000], 0x42);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xefffc,
                                          NULL), 0x11223344);
    assert_int_equal(address_space_ldub(&address_space_memory, 0xf0010, NULL),
                     0x77);

    /* Read-only: reads RAM, writes dropped (make_bios_readonly) */
    cfg_write(PCI_DEVFN(0, 0), I440FX_PAM + 1, 0x11, 1);
    address_space_stb(&address_space_memory, 0xc0000, 0x99, NULL);
    assert_int_equal(ram_ptr[0xc0000], 0x42);
    assert_int_equal(address_space_ldub(&address_space_memory, 0xc0000, NULL),
                     0x42);
    /* Reserved bits don't stick */
    cfg_write(PCI_DEVFN(0, 0), I440FX_PAM, 0xff, 1);
    assert_int_equal(cfg_read(PCI_DEVFN(0, 0), I440FX_PAM, 1), 0x30);

    /* Reset: back to PCI */
    devices_reset_all();
    assert_int_equal(cfg_read(PCI_DEVFN(0, 0), I440FX_PAM + 1, 1), 0);
    assert_int_equal(address_space_ldub(&address_space_memory, 0xf0010, NULL),
                     0xb1);
    /* The VGA window goes to PCI (where VGA maps vga-lowmem), not RAM */
    ram_ptr[0xa0000] = 0x5a;
    memset(memory_region_get_ram_ptr(&vga), 0x3c, memory_region_size(&vga));
    assert_int_equal(address_space_ldub(&address_space_memory, 0xa0000, NULL),
                     0x3c);
}

static void pm_enable(void)
{
    /* What SeaBIOS does: PMBA = 0x600 | 1, PMREGMISC = 1 */
    cfg_write(PCI_DEVFN(1, 3), PIIX4_PMBA, PM_BASE | 1, 4);
    cfg_write(PCI_DEVFN(1, 3), PIIX4_PMREGMISC, 1, 1);
}

static void test_pm_timer(void **state)
{
    uint32_t t0, t1;
    uint16_t sts;

    /* Not decoded before PMREGMISC.PMIOSE */
    assert_int_equal(address_space_ldl_le(&address_space_io,
                                          PM_BASE + ACPI_PM_TMR, NULL),
                     0xffffffffu);
    pm_enable();
    assert_int_equal(cfg_read(PCI_DEVFN(1, 3), PIIX4_PMBA, 4), PM_BASE | 1);

    t0 = address_space_ldl_le(&address_space_io, PM_BASE + ACPI_PM_TMR, NULL);
    clock_virtual_step(NANOSECONDS_PER_SECOND);
    t1 = address_space_ldl_le(&address_space_io, PM_BASE + ACPI_PM_TMR, NULL);
    assert_true(t0 < (1u << 24) && t1 < (1u << 24));
    assert_in_range((t1 - t0) & 0xffffff, ACPI_PM_TIMER_FREQUENCY - 1,
                    ACPI_PM_TIMER_FREQUENCY + 1);

    /* Overflow (bit 23 toggle) with TMR_EN: status and SCI */
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_STS, 0xffff,
                         NULL);
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_EN,
                         ACPI_BITMASK_TIMER_ENABLE, NULL);
    assert_int_equal(isa_level[PIIX4_SCI_IRQ], 0);
    /* 2^23 ticks is about 2.34 s */
    clock_virtual_step(2400 * (int64_t)SCALE_MS);
    sts = address_space_lduw_le(&address_space_io, PM_BASE + ACPI_PM1_STS,
                                NULL);
    assert_true(sts & ACPI_BITMASK_TIMER_STATUS);
    assert_int_equal(isa_level[PIIX4_SCI_IRQ], 1);
    /* Write 1 to clear; SCI drops */
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_STS,
                         ACPI_BITMASK_TIMER_STATUS, NULL);
    assert_int_equal(isa_level[PIIX4_SCI_IRQ], 0);
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_EN, 0, NULL);
}

static void test_pm_power(void **state)
{
    int status = -1;
    uint16_t sts;

    pm_enable();
    /* SCI_EN reads as set: always in ACPI mode */
    assert_true(address_space_lduw_le(&address_space_io,
                                      PM_BASE + ACPI_PM1_CNT, NULL) &
                ACPI_BITMASK_SCI_ENABLE);

    /* Power button, not enabled: status only */
    system_powerdown_request();
    assert_false(main_loop_should_exit(&status));
    sts = address_space_lduw_le(&address_space_io, PM_BASE + ACPI_PM1_STS,
                                NULL);
    assert_true(sts & ACPI_BITMASK_POWER_BUTTON_STATUS);
    assert_int_equal(isa_level[PIIX4_SCI_IRQ], 0);
    /* Enabling it raises the SCI */
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_EN,
                         ACPI_BITMASK_POWER_BUTTON_ENABLE, NULL);
    assert_int_equal(isa_level[PIIX4_SCI_IRQ], 1);
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_STS,
                         ACPI_BITMASK_POWER_BUTTON_STATUS, NULL);
    assert_int_equal(isa_level[PIIX4_SCI_IRQ], 0);
    system_powerdown_request();
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(isa_level[PIIX4_SCI_IRQ], 1);
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_STS,
                         ACPI_BITMASK_POWER_BUTTON_STATUS, NULL);

    /* SLP_TYP without SLP_EN: nothing */
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_CNT,
                         ACPI_BITMASK_SCI_ENABLE, NULL);
    assert_false(main_loop_should_exit(&status));
    /* S3 is not supported: no shutdown */
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_CNT,
                         ACPI_BITMASK_SLEEP_ENABLE | (1 << 10), NULL);
    assert_false(main_loop_should_exit(&status));
    /* S5: SLP_TYP 0 | SLP_EN */
    address_space_stw_le(&address_space_io, PM_BASE + ACPI_PM1_CNT,
                         ACPI_BITMASK_SLEEP_ENABLE | ACPI_BITMASK_SCI_ENABLE,
                         NULL);
    assert_true(main_loop_should_exit(&status));
    assert_int_equal(status, 0);
    /* SLP_EN is write-only */
    assert_false(address_space_lduw_le(&address_space_io,
                                       PM_BASE + ACPI_PM1_CNT, NULL) &
                 ACPI_BITMASK_SLEEP_ENABLE);
}

static void test_reset_control(void **state)
{
    int status = -1;

    /* A dword at 0xcf8 is CONFADD, a byte at 0xcf9 the reset register */
    address_space_stb(&address_space_io, PIIX_RCR_IOPORT, 0x02, NULL);
    assert_int_equal(address_space_ldub(&address_space_io, PIIX_RCR_IOPORT,
                                        NULL), 0x02);
    assert_false(main_loop_should_exit(&status));
    cfg_addr(PCI_DEVFN(1, 0), 0);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xcfc, NULL),
                     0x70008086);
    address_space_stb(&address_space_io, PIIX_RCR_IOPORT, 0x06, NULL);
    /* The reset request is served (devices reset), emu keeps running */
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(address_space_ldub(&address_space_io, PIIX_RCR_IOPORT,
                                        NULL), 0);
}

static void test_addr_property(void **state)
{
    Error *err = NULL;
    DeviceState *d;

    d = device_new("test-pci-dev", &err);
    assert_non_null(d);
    assert_true(device_set_prop(d, "addr", "1f.7", &err));
    assert_int_equal(PCI_DEVICE(d)->devfn, PCI_DEVFN(0x1f, 7));
    assert_true(device_set_prop(d, "addr", "06", &err));
    assert_int_equal(PCI_DEVICE(d)->devfn, PCI_DEVFN(6, 0));
    assert_false(device_set_prop(d, "addr", "20.0", &err));
    error_free(err);
    err = NULL;
    assert_false(device_set_prop(d, "addr", "1.8", &err));
    error_free(err);
    err = NULL;
    assert_false(device_set_prop(d, "addr", "x", &err));
    error_free(err);
    err = NULL;

    /* Occupied slot */
    assert_true(device_set_prop(d, "addr", "01.0", &err));
    assert_false(device_realize(d, &pci_bus->qbus, &err));
    assert_non_null(strstr(error_get_pretty(err), "in use by PIIX3"));
    error_free(err);
    err = NULL;
    /* Function 1 of a single-function device */
    assert_true(device_set_prop(d, "addr", "03.1", &err));
    assert_false(device_realize(d, &pci_bus->qbus, &err));
    assert_non_null(strstr(error_get_pretty(err), "single function"));
    error_free(err);
    err = NULL;
    /* Automatic placement: first free slot (2) */
    PCI_DEVICE(d)->devfn = -1;
    assert_true(device_realize(d, &pci_bus->qbus, &err));
    assert_int_equal(PCI_DEVICE(d)->devfn, PCI_DEVFN(2, 0));
    assert_int_equal(cfg_read(PCI_DEVFN(2, 0), 0, 4), 0x56781234);
    device_destroy(d);
    assert_int_equal(cfg_read(PCI_DEVFN(2, 0), 0, 4), 0xffffffffu);
}

static void test_info_pci(void **state)
{
    char *out;

    pm_enable();
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0, 0xc000, 4);
    cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
    cfg_write(TEST_DEVFN, PCI_INTERRUPT_LINE, 11, 1);
    out = hmp_execute("info pci", NULL);
    assert_non_null(out);
    /* The monitor ends lines with CR LF */
    for (char *r = out, *w = out;; r++) {
        if (*r != '\r') {
            *w++ = *r;
        }
        if (!*r) {
            break;
        }
    }
    assert_non_null(strstr(out, "  Bus  0, device   0, function 0:\n"
                                "    Host bridge: PCI device 8086:1237\n"
                                "      PCI subsystem 1af4:1100\n"
                                "      id \"\"\n"));
    assert_non_null(strstr(out, "ISA bridge: PCI device 8086:7000"));
    assert_non_null(strstr(out, "  Bus  0, device   1, function 3:\n"
                                "    Bridge: PCI device 8086:7113\n"));
    assert_non_null(strstr(out, "      IRQ 11, pin A\n"
                                "      BAR0: I/O at 0xc000 [0xc01f].\n"
                                "      BAR1: 32 bit memory at "
                                "0xffffffffffffffff [0x00000ffe].\n"
                                "      BAR2: 64 bit prefetchable memory at "
                                "0xffffffffffffffff [0x00003ffe].\n"));
    assert_non_null(strstr(out, "Class 65280: PCI device 1234:5678"));
    free(out);

    out = hmp_execute("info qtree", NULL);
    assert_non_null(out);
    assert_non_null(strstr(out, "bus: pci.0"));
    assert_non_null(strstr(out, "class Host bridge, addr 00:00.0, pci id "
                                "8086:1237 (sub 1af4:1100)"));
    assert_non_null(strstr(out, "addr = 01.3"));
    assert_non_null(strstr(out, "bus: isa.0"));
    free(out);
}

static void test_vmstate(void **state)
{
    PCIDevice *piix3 = pci_find_device(pci_bus, 0, PCI_DEVFN(1, 0));
    PCIDevice *dev = &tdev->parent_obj;
    VMStream st;
    Error *err = NULL;

    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA + 2, 11, 1);
    cfg_write(TEST_DEVFN, PCI_BASE_ADDRESS_0, 0xc000, 4);
    cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
    pci_set_irq(dev, 1);
    vmstream_init(&st);
    assert_int_equal(vmstate_save(&st, &vmstate_pci_device, dev), 0);
    pci_set_irq(dev, 0);
    devices_reset_all();
    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA + 2, 11, 1);
    assert_int_equal(isa_level[11], 0);
    {
        VMStream rd;
        vmstream_init_read(&rd, st.buf, st.len);
        assert_int_equal(vmstate_load(&rd, &vmstate_pci_device, dev, &err),
                         0);
    }
    /* BAR mapping and the asserted pin came back */
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xc004, NULL),
                     0xa5000004u);
    assert_int_equal(isa_level[11], 1);
    pci_set_irq(dev, 0);
    assert_int_equal(isa_level[11], 0);
    vmstream_free(&st);
    assert_non_null(piix3);
}

int main(void)
{
    Error *err = NULL;
    int i;

    main_loop_init();
    memory_system_init();
    clock_virtual_set_manual(true);

    if (!memory_region_init_ram(&ram, NULL, "pc.ram", RAM_SIZE, &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        return 1;
    }
    memory_region_init_alias(&ram_below_4g, NULL, "ram-below-4g", &ram, 0,
                             RAM_SIZE);
    memory_region_add_subregion(get_system_memory(), 0, &ram_below_4g);
    memory_region_init(&pci_memory, NULL, "pci", UINT64_MAX);
    /* A stand-in BIOS in PCI space, as the board maps isa-bios */
    if (!memory_region_init_rom(&bios, NULL, "isa-bios", 128 * KiB, &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        return 1;
    }
    memory_region_add_subregion_overlap(&pci_memory, 0xe0000, &bios, 1);
    /* and a stand-in for the VGA window */
    if (!memory_region_init_rom(&vga, NULL, "vga-lowmem", 64 * KiB, &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        return 1;
    }
    memory_region_add_subregion_overlap(&pci_memory, 0xa0000, &vga, 1);

    pci_bus = i440fx_init(get_system_memory(), get_system_io(), &ram,
                          RAM_SIZE, 0, &pci_memory, &isa_bus, NULL, &err);
    if (!pci_bus) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        return 1;
    }
    for (i = 0; i < ISA_NUM_IRQS; i++) {
        isa_irqs[i] = irq_line(isa_irq_handler, NULL, i);
    }
    isa_bus_set_irqs(isa_bus, isa_irqs);
    if (!piix4_pm_init(pci_bus, PCI_DEVFN(1, 3), &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        return 1;
    }
    tdev = (TestPCIDev *)pci_create_simple(pci_bus, TEST_DEVFN,
                                           "test-pci-dev", &err);
    if (!tdev) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        return 1;
    }
    pci_set_msi_handler(pci_bus, msi_handler, NULL);
    qdev_machine_creation_done();

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ids, setup),
        cmocka_unit_test_setup(test_bar_sizing, setup),
        cmocka_unit_test_setup(test_bar_mapping, setup),
        cmocka_unit_test_setup(test_intx_routing, setup),
        cmocka_unit_test_setup(test_msi, setup),
        cmocka_unit_test_setup(test_msix, setup),
        cmocka_unit_test_setup(test_pam, setup),
        cmocka_unit_test_setup(test_pm_timer, setup),
        cmocka_unit_test_setup(test_pm_power, setup),
        cmocka_unit_test_setup(test_reset_control, setup),
        cmocka_unit_test_setup(test_addr_property, setup),
        cmocka_unit_test_setup(test_info_pci, setup),
        cmocka_unit_test_setup(test_vmstate, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
