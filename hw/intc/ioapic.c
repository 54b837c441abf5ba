/* I/O APIC ("ioapic"): 24 pins, redirection table, remote IRR and EOI. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "hw/intc/ioapic.h"
#include "migration/vmstate.h"
#include "system/memory.h"

/* MMIO window: register select, data window, EOI (version 0x20 only) */
#define IOAPIC_REG_SELECT   0x00
#define IOAPIC_REG_WINDOW   0x10
#define IOAPIC_REG_EOI      0x40
#define IOAPIC_MMIO_SIZE    0x1000

/* Indirect registers */
#define IOAPIC_IND_ID       0x00
#define IOAPIC_IND_VERSION  0x01
#define IOAPIC_IND_ARB      0x02
#define IOAPIC_IND_REDTBL   0x10    /* 2 dwords per pin */

/* Redirection entry bits */
#define RTE_VECTOR_MASK     0xffULL
#define RTE_DELMODE_SHIFT   8
#define RTE_DESTMODE        (1ULL << 11)
#define RTE_DELIVS          (1ULL << 12)   /* read-only */
#define RTE_POLARITY        (1ULL << 13)
#define RTE_REMOTE_IRR      (1ULL << 14)   /* read-only */
#define RTE_TRIGGER         (1ULL << 15)   /* 1 = level */
#define RTE_MASKED          (1ULL << 16)
#define RTE_DEST_SHIFT      56
/* Bits the guest may set: everything but delivery status and remote IRR */
#define RTE_WRITABLE        (0xff00000000000000ULL | \
                             (0x1ffffULL & ~(RTE_DELIVS | RTE_REMOTE_IRR)))

typedef struct IOAPICState {
    SysBusDevice parent;
    MemoryRegion mmio;
    IOAPICDeliverFn *deliver;
    void *deliver_opaque;
    struct IOAPICState *next;   /* all I/O APICs, for EOI broadcast */

    /* properties */
    uint8_t version;

    /* guest-visible state */
    uint8_t id;
    uint8_t ioregsel;
    uint32_t pin_level;         /* input levels, bit per pin */
    uint64_t ioredtbl[IOAPIC_NUM_PINS];
} IOAPICState;

static IOAPICState *ioapic_list;

/*
 * Only fixed and lowest-priority entries can be level-triggered; the
 * others (SMI, NMI, INIT, ExtINT) are delivered as edges whatever the
 * trigger bit says, as the 82093AA datasheet asks them to be programmed,
 * so that no EOI is ever awaited for them.
 */
static bool rte_is_level(uint64_t entry)
{
    return (entry & RTE_TRIGGER) &&
           ((entry >> RTE_DELMODE_SHIFT) & 7) <= IOAPIC_DM_LOWPRI;
}

static void ioapic_deliver(IOAPICState *s, int pin)
{
    uint64_t entry = s->ioredtbl[pin];

    if (!s->deliver) {
        emu_log_mask(LOG_UNIMP, "ioapic: pin %d fired with no local APIC "
                     "to deliver to\n", pin);
        return;
    }
    s->deliver(s->deliver_opaque, entry >> RTE_DEST_SHIFT,
               (entry & RTE_DESTMODE) ? 1 : 0,
               (entry >> RTE_DELMODE_SHIFT) & 7, entry & RTE_VECTOR_MASK,
               true, rte_is_level(entry) ? 1 : 0);
}

/*
 * Deliver every level-triggered pin that is asserted, unmasked and not
 * waiting for an EOI.  Edge-triggered pins deliver on their rising edge
 * in ioapic_set_irq instead.
 */
static void ioapic_service(IOAPICState *s)
{
    int pin;
    uint64_t entry;

    for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        entry = s->ioredtbl[pin];
        if (!(s->pin_level & (1u << pin)) || (entry & RTE_MASKED) ||
            !rte_is_level(entry) || (entry & RTE_REMOTE_IRR)) {
            continue;
        }
        if (!s->deliver) {
            continue;
        }
        s->ioredtbl[pin] |= RTE_REMOTE_IRR;
        ioapic_deliver(s, pin);
    }
}

static void ioapic_set_irq(void *opaque, int pin, int level)
{
    IOAPICState *s = opaque;
    uint32_t mask;
    bool was;

    if (pin < 0 || pin >= IOAPIC_NUM_PINS) {
        return;
    }
    mask = 1u << pin;
    was = s->pin_level & mask;
    if (level) {
        s->pin_level |= mask;
    } else {
        s->pin_level &= ~mask;
    }
    if (rte_is_level(s->ioredtbl[pin])) {
        if (level) {
            ioapic_service(s);
        }
    } else if (level && !was && !(s->ioredtbl[pin] & RTE_MASKED)) {
        /* A masked edge is lost, as the 82093AA datasheet says */
        ioapic_deliver(s, pin);
    }
}

static void ioapic_eoi(IOAPICState *s, int vector)
{
    int pin;
    bool any = false;

    for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t entry = s->ioredtbl[pin];
        if ((entry & RTE_REMOTE_IRR) &&
            (entry & RTE_VECTOR_MASK) == (uint64_t)(vector & 0xff)) {
            s->ioredtbl[pin] &= ~RTE_REMOTE_IRR;
            any = true;
        }
    }
    if (any) {
        ioapic_service(s);
    }
}

void ioapic_eoi_broadcast(int vector)
{
    IOAPICState *s;

    for (s = ioapic_list; s; s = s->next) {
        ioapic_eoi(s, vector);
    }
}

void ioapic_set_deliver(DeviceState *dev, IOAPICDeliverFn *fn, void *opaque)
{
    IOAPICState *s = (IOAPICState *)dev;

    s->deliver = fn;
    s->deliver_opaque = opaque;
    ioapic_service(s);
}

static uint32_t ioapic_read_indirect(IOAPICState *s)
{
    unsigned index = s->ioregsel;
    unsigned pin;

    switch (index) {
    case IOAPIC_IND_ID:
    case IOAPIC_IND_ARB:
        return (uint32_t)(s->id & 0xf) << 24;
    case IOAPIC_IND_VERSION:
        return ((IOAPIC_NUM_PINS - 1) << 16) | s->version;
    default:
        if (index >= IOAPIC_IND_REDTBL &&
            index < IOAPIC_IND_REDTBL + 2 * IOAPIC_NUM_PINS) {
            pin = (index - IOAPIC_IND_REDTBL) >> 1;
            if (index & 1) {
                return s->ioredtbl[pin] >> 32;
            }
            return (uint32_t)s->ioredtbl[pin];
        }
        emu_log_mask(LOG_GUEST_ERROR, "ioapic: read of unknown register "
                     "0x%x\n", index);
        return 0;
    }
}

static void ioapic_write_indirect(IOAPICState *s, uint32_t val)
{
    unsigned index = s->ioregsel;
    unsigned pin;
    uint64_t old, entry;

    switch (index) {
    case IOAPIC_IND_ID:
        s->id = (val >> 24) & 0xf;
        return;
    case IOAPIC_IND_VERSION:
    case IOAPIC_IND_ARB:
        emu_log_mask(LOG_GUEST_ERROR, "ioapic: write to read-only register "
                     "0x%x\n", index);
        return;
    default:
        break;
    }
    if (index < IOAPIC_IND_REDTBL ||
        index >= IOAPIC_IND_REDTBL + 2 * IOAPIC_NUM_PINS) {
        emu_log_mask(LOG_GUEST_ERROR, "ioapic: write of unknown register "
                     "0x%x\n", index);
        return;
    }
    pin = (index - IOAPIC_IND_REDTBL) >> 1;
    old = s->ioredtbl[pin];
    if (index & 1) {
        entry = (old & 0xffffffffULL) | ((uint64_t)val << 32);
    } else {
        entry = (old & ~0xffffffffULL) | val;
    }
    entry = (entry & RTE_WRITABLE) | (old & (RTE_DELIVS | RTE_REMOTE_IRR));
    /* Remote IRR means nothing for an edge-triggered entry */
    if (!rte_is_level(entry)) {
        entry &= ~RTE_REMOTE_IRR;
    }
    s->ioredtbl[pin] = entry;
    ioapic_service(s);
}

static uint64_t ioapic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IOAPICState *s = opaque;

    switch (addr & 0xff) {
    case IOAPIC_REG_SELECT:
        return s->ioregsel;
    case IOAPIC_REG_WINDOW:
        return ioapic_read_indirect(s);
    default:
        emu_log_mask(LOG_GUEST_ERROR, "ioapic: read at offset 0x%"
                     HWADDR_PRIx "\n", addr);
        return 0;
    }
}

static void ioapic_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    IOAPICState *s = opaque;

    switch (addr & 0xff) {
    case IOAPIC_REG_SELECT:
        s->ioregsel = val;
        break;
    case IOAPIC_REG_WINDOW:
        ioapic_write_indirect(s, val);
        break;
    case IOAPIC_REG_EOI:
        if (s->version >= 0x20) {
            ioapic_eoi(s, val & 0xff);
            break;
        }
        /* no EOI register before version 0x20 */
        emu_log_mask(LOG_GUEST_ERROR, "ioapic: EOI register write on "
                     "version 0x%x\n", s->version);
        break;
    default:
        emu_log_mask(LOG_GUEST_ERROR, "ioapic: write at offset 0x%"
                     HWADDR_PRIx "\n", addr);
        break;
    }
}

static const MemoryRegionOps ioapic_mmio_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static void ioapic_realize(DeviceState *dev, Error **errp)
{
    IOAPICState *s = (IOAPICState *)dev;

    if (s->version != 0x11 && s->version != 0x20) {
        error_setg(errp, "ioapic version 0x%x not supported (0x11 or 0x20)",
                   s->version);
        return;
    }
    memory_region_init_io(&s->mmio, dev, &ioapic_mmio_ops, s, "ioapic",
                          IOAPIC_MMIO_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(dev), &s->mmio);
    qdev_init_gpio_in(dev, ioapic_set_irq, IOAPIC_NUM_PINS);
    s->next = ioapic_list;
    ioapic_list = s;
}

static void ioapic_unrealize(DeviceState *dev)
{
    IOAPICState *s = (IOAPICState *)dev;
    IOAPICState **p;
    SysBusDevice *sbd = SYS_BUS_DEVICE(dev);

    for (p = &ioapic_list; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    if (sbd->num_mmio > 0 && sbd->mmio[0].addr != (hwaddr)-1) {
        memory_region_del_subregion(get_system_memory(), &s->mmio);
    }
}

static void ioapic_reset(DeviceState *dev)
{
    IOAPICState *s = (IOAPICState *)dev;
    int i;

    s->id = 0;
    s->ioregsel = 0;
    for (i = 0; i < IOAPIC_NUM_PINS; i++) {
        s->ioredtbl[i] = RTE_MASKED;
    }
}

static int ioapic_post_load(void *opaque, int version_id)
{
    IOAPICState *s = opaque;
    int i;

    if (s->id > 0xf) {
        return -EINVAL;
    }
    for (i = 0; i < IOAPIC_NUM_PINS; i++) {
        s->ioredtbl[i] &= RTE_WRITABLE | RTE_DELIVS | RTE_REMOTE_IRR;
    }
    s->pin_level &= (1u << IOAPIC_NUM_PINS) - 1;
    return 0;
}

static const VMStateField ioapic_vmstate_fields[] = {
    VMSTATE_UINT8(id, IOAPICState),
    VMSTATE_UINT8(ioregsel, IOAPICState),
    VMSTATE_UINT32(pin_level, IOAPICState),
    VMSTATE_UINT64_ARRAY(ioredtbl, IOAPICState, IOAPIC_NUM_PINS),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription ioapic_vmstate = {
    .name = "ioapic",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = ioapic_post_load,
    .fields = ioapic_vmstate_fields,
};

static const Property ioapic_props[] = {
    DEFINE_PROP_UINT8("version", IOAPICState, version, IOAPIC_VERSION),
    DEFINE_PROP_END_OF_LIST()
};

static const DeviceInfo ioapic_info = {
    .name = TYPE_IOAPIC,
    .desc = "I/O APIC",
    .bus_type = BUS_TYPE_SYSTEM,
    .category = "Misc devices",
    .instance_size = sizeof(IOAPICState),
    .props = ioapic_props,
    .vmsd = &ioapic_vmstate,
    .user_creatable = false,
    .realize = ioapic_realize,
    .unrealize = ioapic_unrealize,
    .reset = ioapic_reset,
};

DEVICE_REGISTER(ioapic_info)
