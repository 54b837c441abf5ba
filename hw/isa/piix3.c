/* PIIX3 (82371SB function 0): PCI-to-ISA bridge, owner of the ISA bus, and the PIRQ router from PCI INTA-D to ISA IRQs. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/pci-host/i440fx.h"
#include "migration/vmstate.h"

#define PIRQ_DISABLE    0x80    /* IRQEN#: routing off */
#define PIRQ_IRQ_MASK   0x0f

typedef struct PIIX3State {
    PCIDevice parent_obj;
    ISABus *isa_bus;
    uint8_t pirq_level[PIIX_NUM_PIRQS];
    uint16_t isa_levels;        /* ISA lines we currently drive high */
} PIIX3State;

/* ISA IRQs a PIRQ may be steered to (82371SB datasheet, PIRQRC) */
static bool piix3_irq_routable(unsigned irq)
{
    return irq >= 3 && irq != 8 && irq != 13 && irq < ISA_NUM_IRQS;
}

static int piix3_pirq_target(PIIX3State *s, int pirq)
{
    uint8_t route = s->parent_obj.config[PIIX_PIRQCA + pirq];

    if (route & PIRQ_DISABLE) {
        return -1;
    }
    if (!piix3_irq_routable(route & PIRQ_IRQ_MASK)) {
        emu_log_mask(LOG_GUEST_ERROR, "PIIX3: PIRQ%c routed to reserved "
                     "IRQ %d\n", 'A' + pirq, route & PIRQ_IRQ_MASK);
        return -1;
    }
    return route & PIRQ_IRQ_MASK;
}

/* Recompute which ISA lines the PIRQs pull high; drive the changes */
static void piix3_update_isa_irqs(PIIX3State *s)
{
    uint16_t want = 0, changed;
    int pirq, irq;

    for (pirq = 0; pirq < PIIX_NUM_PIRQS; pirq++) {
        irq = piix3_pirq_target(s, pirq);
        if (irq >= 0 && s->pirq_level[pirq]) {
            want |= 1u << irq;
        }
    }
    changed = want ^ s->isa_levels;
    s->isa_levels = want;
    for (irq = 0; irq < ISA_NUM_IRQS; irq++) {
        if ((changed & (1u << irq)) && s->isa_bus) {
            irq_set(&s->isa_bus->irqs[irq], (want >> irq) & 1);
        }
    }
}

static void piix3_set_irq(void *opaque, int pirq, int level)
{
    PIIX3State *s = opaque;

    if (pirq < 0 || pirq >= PIIX_NUM_PIRQS) {
        return;
    }
    s->pirq_level[pirq] = !!level;
    piix3_update_isa_irqs(s);
}

/* i440FX board wiring: INTA of slot 1 is PIRQA, rotating by slot */
static int piix3_map_irq(PCIDevice *dev, int pin)
{
    return (pin + PCI_SLOT(dev->devfn) - 1) & 3;
}

static void piix3_config_write(PCIDevice *dev, uint32_t addr, uint32_t val,
                               int len)
{
    pci_default_write_config(dev, addr, val, len);
    if (addr < PIIX_PIRQCA + PIIX_NUM_PIRQS && addr + len > PIIX_PIRQCA) {
        piix3_update_isa_irqs((PIIX3State *)dev);
    }
}

static void piix3_reset(PCIDevice *dev);

static void piix3_realize(PCIDevice *dev, Error **errp)
{
    PIIX3State *s = (PIIX3State *)dev;

    s->isa_bus = isa_bus_new(&dev->qdev, dev->bus->address_space_io, errp);
    if (!s->isa_bus) {
        return;
    }
    pci_bus_irqs(dev->bus, piix3_set_irq, piix3_map_irq, s, PIIX_NUM_PIRQS);
    /* Power-on register values before the first machine reset */
    piix3_reset(dev);
}

static void piix3_exit(PCIDevice *dev)
{
    PIIX3State *s = (PIIX3State *)dev;

    if (dev->bus->irq_opaque == s) {
        pci_bus_irqs(dev->bus, NULL, NULL, NULL, 0);
    }
    s->isa_bus = NULL;
}

static void piix3_reset(PCIDevice *dev)
{
    PIIX3State *s = (PIIX3State *)dev;
    uint8_t *c = dev->config;

    /* Power-on values of the 82371SB function 0 registers */
    pci_set_word(c + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                 PCI_COMMAND_MASTER);
    pci_set_word(c + PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM);
    c[0x4c] = 0x4d;     /* IORT */
    c[0x4e] = 0x03;     /* XBCS */
    c[0x4f] = 0x00;
    memset(c + PIIX_PIRQCA, PIRQ_DISABLE, PIIX_NUM_PIRQS);
    c[0x69] = 0x02;     /* TOM */
    c[0x70] = 0x80;     /* MBIRQ0 */
    c[0x76] = 0x0c;     /* MBDMA0/1 */
    c[0x77] = 0x0c;
    c[0x78] = 0x02;     /* PCSC */
    c[0x79] = 0x00;
    c[0x80] = 0x00;     /* APICBASE */
    c[0x82] = 0x00;     /* DLC */
    c[0xa0] = 0x08;     /* SMICNTL */
    memset(c + 0xa2, 0, 6);
    c[0xa8] = 0x0f;
    c[0xaa] = 0x00;
    c[0xab] = 0x00;
    c[0xac] = 0x00;
    c[0xae] = 0x00;
    memset(s->pirq_level, 0, sizeof(s->pirq_level));
    piix3_update_isa_irqs(s);
}

static int piix3_post_load(void *opaque, int version_id)
{
    PIIX3State *s = opaque;
    uint16_t want = 0;
    int pirq, irq;

    for (pirq = 0; pirq < PIIX_NUM_PIRQS; pirq++) {
        s->pirq_level[pirq] = !!s->pirq_level[pirq];
        irq = piix3_pirq_target(s, pirq);
        if (irq >= 0 && s->pirq_level[pirq]) {
            want |= 1u << irq;
        }
    }
    /*
     * The interrupt controllers restore their own input levels; only our
     * bookkeeping must agree with the routing just loaded.
     */
    s->isa_levels = want;
    return 0;
}

static const VMStateField piix3_fields[] = {
    VMSTATE_STRUCT(parent_obj, PIIX3State, vmstate_pci_device),
    VMSTATE_UINT8_ARRAY(pirq_level, PIIX3State, PIIX_NUM_PIRQS),
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription vmstate_piix3 = {
    .name = "PIIX3",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = piix3_post_load,
    .fields = piix3_fields,
};

static const PCIDeviceInfo piix3_pci_info = {
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = PCI_DEVICE_ID_INTEL_82371SB_0,
    .class_id = PCI_CLASS_BRIDGE_ISA,
    .realize = piix3_realize,
    .exit = piix3_exit,
    .reset = piix3_reset,
    .config_write = piix3_config_write,
};

static const DeviceInfo piix3_info = {
    .name = TYPE_PIIX3_DEVICE,
    .desc = "ISA bridge",
    .bus_type = BUS_TYPE_PCI,
    .category = "Bridge devices",
    .instance_size = sizeof(PIIX3State),
    .parent_props = pci_device_props,
    .vmsd = &vmstate_piix3,
    .reset = pci_device_reset,
    .class_data = &piix3_pci_info,
};
DEVICE_REGISTER(piix3_info);
