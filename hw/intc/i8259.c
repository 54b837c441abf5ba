/* Intel 8259A programmable interrupt controller ("isa-i8259"), master/slave pair. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "hw/intc/i8259.h"
#include "migration/vmstate.h"
#include "monitor/monitor.h"
#include "system/memory.h"

/*
 * One chip.  Priorities rotate: the input with the highest priority is
 * priority_add (0 after initialization, so IR0 wins); ISR/IRR/IMR are bit
 * masks indexed by input number.
 */
typedef struct PICState {
    ISADevice parent;
    MemoryRegion io;
    MemoryRegion elcr_io;
    bool io_mapped;
    bool elcr_mapped;
    IRQLine int_out;
    struct PICState *slave;     /* master only: the chip on IR2 */

    /* properties */
    uint32_t iobase;
    uint32_t elcr_addr;
    uint8_t elcr_mask;
    bool master;

    /* guest-visible state */
    uint8_t last_irr;           /* input levels, for edge detection */
    uint8_t irr;
    uint8_t imr;
    uint8_t isr;
    uint8_t priority_add;
    uint8_t irq_base;
    uint8_t read_reg_select;    /* OCW3 RIS: 0 IRR, 1 ISR */
    uint8_t poll;
    uint8_t special_mask;
    uint8_t init_state;         /* next byte at +1: 0 OCW1, 1-3 ICW2-4 */
    uint8_t auto_eoi;
    uint8_t rotate_on_auto_eoi;
    uint8_t special_fully_nested_mode;
    uint8_t init4;              /* ICW1 IC4: ICW4 follows */
    uint8_t single_mode;        /* ICW1 SNGL: no ICW3 */
    uint8_t ltim;               /* ICW1 LTIM: all inputs level-triggered */
    uint8_t icw3;
    uint8_t elcr;               /* edge/level control, 1 = level */
    uint8_t int_level;          /* current level of INT */
} PICState;

#define PIC_NO_PORT 0xffffffffu

static inline bool pic_is_level(PICState *s, int irq)
{
    return s->ltim || (s->elcr >> irq) & 1;
}

/* Lowest priority number (0 highest) among the bits of mask, 8 if none */
static int pic_get_priority(PICState *s, uint8_t mask)
{
    int priority;

    if (mask == 0) {
        return 8;
    }
    priority = 0;
    while (!(mask & (1 << ((priority + s->priority_add) & 7)))) {
        priority++;
    }
    return priority;
}

/* The input that would be acknowledged now, or -1 */
static int pic_get_irq(PICState *s)
{
    int priority, cur_priority;
    uint8_t mask;

    priority = pic_get_priority(s, s->irr & ~s->imr);
    if (priority == 8) {
        return -1;
    }
    /*
     * In-service inputs block equal and lower priorities.  Special mask
     * mode lets masked in-service levels not block; in special fully
     * nested mode the master does not let the slave's in-service bit
     * block further requests from the slave, which has its own ISR.
     */
    mask = s->isr;
    if (s->special_mask) {
        mask &= ~s->imr;
    }
    if (s->special_fully_nested_mode && s->master) {
        mask &= ~(1 << 2);
    }
    cur_priority = pic_get_priority(s, mask);
    if (priority < cur_priority) {
        return (priority + s->priority_add) & 7;
    }
    return -1;
}

static void pic_update_irq(PICState *s)
{
    int level = pic_get_irq(s) >= 0;

    s->int_level = level;
    irq_set(&s->int_out, level);
}

static void pic_set_irq(void *opaque, int n, int level)
{
    PICState *s = opaque;
    uint8_t mask;

    if (n < 0 || n > 7) {
        return;
    }
    mask = 1 << n;
    if (pic_is_level(s, n)) {
        if (level) {
            s->irr |= mask;
            s->last_irr |= mask;
        } else {
            s->irr &= ~mask;
            s->last_irr &= ~mask;
        }
    } else {
        if (level) {
            if (!(s->last_irr & mask)) {
                s->irr |= mask;     /* rising edge */
            }
            s->last_irr |= mask;
        } else {
            s->last_irr &= ~mask;
        }
    }
    pic_update_irq(s);
}

/* The chip acknowledges irq (INTA or poll) */
static void pic_intack(PICState *s, int irq)
{
    if (s->auto_eoi) {
        if (s->rotate_on_auto_eoi) {
            s->priority_add = (irq + 1) & 7;
        }
    } else {
        s->isr |= 1 << irq;
    }
    /* A level-sensitive request stays in IRR for as long as it is high */
    if (!pic_is_level(s, irq)) {
        s->irr &= ~(1 << irq);
    }
    pic_update_irq(s);
}

int pic_read_irq(DeviceState *dev)
{
    PICState *s = (PICState *)dev;
    PICState *slave = s->slave;
    int irq, irq2, intno;

    irq = pic_get_irq(s);
    if (irq >= 0) {
        if (irq == 2 && slave) {
            irq2 = pic_get_irq(slave);
            if (irq2 >= 0) {
                pic_intack(slave, irq2);
            } else {
                /* The request went away before INTA: spurious IRQ 15 */
                irq2 = 7;
            }
            intno = slave->irq_base + irq2;
        } else {
            intno = s->irq_base + irq;
        }
        pic_intack(s, irq);
    } else {
        /* Spurious IRQ 7: vector of IR7, nothing set in ISR */
        intno = s->irq_base + 7;
    }
    return intno;
}

bool pic_get_output(DeviceState *dev)
{
    return ((PICState *)dev)->int_level;
}

/* ICW1: the state the datasheet says initialization leaves behind */
static void pic_init_reset(PICState *s)
{
    s->last_irr = 0;
    s->irr &= s->elcr;
    s->imr = 0;
    s->isr = 0;
    s->priority_add = 0;
    s->irq_base = 0;
    s->read_reg_select = 0;
    s->poll = 0;
    s->special_mask = 0;
    s->init_state = 0;
    s->auto_eoi = 0;
    s->rotate_on_auto_eoi = 0;
    s->special_fully_nested_mode = 0;
    s->init4 = 0;
    s->single_mode = 0;
    s->ltim = 0;
    s->icw3 = 0;
    pic_update_irq(s);
}

static void pic_ioport_write(void *opaque, hwaddr addr, uint64_t val64,
                             unsigned size)
{
    PICState *s = opaque;
    uint8_t val = val64;
    int priority, cmd, irq;

    if (addr == 0) {
        if (val & 0x10) {
            /* ICW1 */
            pic_init_reset(s);
            s->init_state = 1;
            s->init4 = val & 1;
            s->single_mode = (val >> 1) & 1;
            s->ltim = (val >> 3) & 1;
            if (val & 0x04) {
                emu_log_mask(LOG_UNIMP, "i8259: call address interval 4 "
                             "(8080 mode) not supported\n");
            }
        } else if (val & 0x08) {
            /* OCW3 */
            if (val & 0x04) {
                s->poll = 1;
            }
            if (val & 0x02) {
                s->read_reg_select = val & 1;
            }
            if (val & 0x40) {
                s->special_mask = (val >> 5) & 1;
            }
            pic_update_irq(s);
        } else {
            /* OCW2 */
            cmd = val >> 5;
            switch (cmd) {
            case 0:     /* clear rotate in automatic EOI mode */
            case 4:     /* set rotate in automatic EOI mode */
                s->rotate_on_auto_eoi = cmd >> 2;
                break;
            case 1:     /* non-specific EOI */
            case 5:     /* rotate on non-specific EOI */
                priority = pic_get_priority(s, s->isr);
                if (priority != 8) {
                    irq = (priority + s->priority_add) & 7;
                    s->isr &= ~(1 << irq);
                    if (cmd == 5) {
                        s->priority_add = (irq + 1) & 7;
                    }
                    pic_update_irq(s);
                }
                break;
            case 3:     /* specific EOI */
                irq = val & 7;
                s->isr &= ~(1 << irq);
                pic_update_irq(s);
                break;
            case 6:     /* set priority: IRn becomes the lowest */
                s->priority_add = (val + 1) & 7;
                pic_update_irq(s);
                break;
            case 7:     /* rotate on specific EOI */
                irq = val & 7;
                s->isr &= ~(1 << irq);
                s->priority_add = (irq + 1) & 7;
                pic_update_irq(s);
                break;
            default:    /* 2: no operation */
                break;
            }
        }
        return;
    }

    switch (s->init_state) {
    case 0:
        /* OCW1 */
        s->imr = val;
        pic_update_irq(s);
        break;
    case 1:
        /* ICW2: T7-T3 of the vectors */
        s->irq_base = val & 0xf8;
        if (s->single_mode) {
            s->init_state = s->init4 ? 3 : 0;
        } else {
            s->init_state = 2;
        }
        break;
    case 2:
        /* ICW3: cascade wiring, fixed on the PC */
        s->icw3 = val;
        s->init_state = s->init4 ? 3 : 0;
        break;
    case 3:
        /* ICW4 */
        s->special_fully_nested_mode = (val >> 4) & 1;
        s->auto_eoi = (val >> 1) & 1;
        if (!(val & 1)) {
            emu_log_mask(LOG_UNIMP, "i8259: 8080/8085 mode not supported\n");
        }
        s->init_state = 0;
        break;
    default:
        /* unreachable: post_load checks the range */
        s->init_state = 0;
        break;
    }
}

static uint64_t pic_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PICState *s = opaque;
    int irq;

    if (s->poll) {
        /*
         * Poll command: this read is the acknowledge.  Bit 7 says whether
         * an interrupt was pending, bits 2-0 which one.
         */
        s->poll = 0;
        irq = pic_get_irq(s);
        if (irq < 0) {
            return 0;
        }
        pic_intack(s, irq);
        return 0x80 | irq;
    }
    if (addr == 0) {
        return s->read_reg_select ? s->isr : s->irr;
    }
    return s->imr;
}

static const MemoryRegionOps pic_io_ops = {
    .read = pic_ioport_read,
    .write = pic_ioport_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static uint64_t elcr_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PICState *s = opaque;

    return s->elcr;
}

static void elcr_ioport_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    PICState *s = opaque;

    s->elcr = val & s->elcr_mask;
}

static const MemoryRegionOps elcr_io_ops = {
    .read = elcr_ioport_read,
    .write = elcr_ioport_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void pic_realize(DeviceState *dev, Error **errp)
{
    PICState *s = (PICState *)dev;
    ISADevice *isa = ISA_DEVICE(dev);

    if (s->iobase != PIC_NO_PORT && s->iobase > 0xfffe) {
        error_setg(errp, "iobase 0x%" PRIx32 " out of range", s->iobase);
        return;
    }
    if (s->elcr_addr != PIC_NO_PORT && s->elcr_addr > 0xffff) {
        error_setg(errp, "elcr_addr 0x%" PRIx32 " out of range",
                   s->elcr_addr);
        return;
    }
    memory_region_init_io(&s->io, dev, &pic_io_ops, s, "pic", 2);
    memory_region_init_io(&s->elcr_io, dev, &elcr_io_ops, s, "elcr", 1);
    if (s->iobase != PIC_NO_PORT) {
        isa_register_ioport(isa, &s->io, s->iobase);
        s->io_mapped = true;
    }
    if (s->elcr_addr != PIC_NO_PORT) {
        isa_register_ioport(isa, &s->elcr_io, s->elcr_addr);
        s->elcr_mapped = true;
    }
    qdev_init_gpio_out(dev, &s->int_out, 1);
    qdev_init_gpio_in(dev, pic_set_irq, 8);
}

static void pic_unrealize(DeviceState *dev)
{
    PICState *s = (PICState *)dev;
    ISABus *bus = isa_bus_of(ISA_DEVICE(dev));

    if (s->io_mapped) {
        memory_region_del_subregion(bus->address_space_io, &s->io);
        s->io_mapped = false;
    }
    if (s->elcr_mapped) {
        memory_region_del_subregion(bus->address_space_io, &s->elcr_io);
        s->elcr_mapped = false;
    }
}

static void pic_reset(DeviceState *dev)
{
    PICState *s = (PICState *)dev;

    s->elcr = 0;
    pic_init_reset(s);
}

static int pic_post_load(void *opaque, int version_id)
{
    PICState *s = opaque;

    if (s->priority_add > 7 || s->init_state > 3 || s->read_reg_select > 1) {
        return -EINVAL;
    }
    s->elcr &= s->elcr_mask;
    pic_update_irq(s);
    return 0;
}

static const VMStateField pic_vmstate_fields[] = {
    VMSTATE_UINT8(last_irr, PICState),
    VMSTATE_UINT8(irr, PICState),
    VMSTATE_UINT8(imr, PICState),
    VMSTATE_UINT8(isr, PICState),
    VMSTATE_UINT8(priority_add, PICState),
    VMSTATE_UINT8(irq_base, PICState),
    VMSTATE_UINT8(read_reg_select, PICState),
    VMSTATE_UINT8(poll, PICState),
    VMSTATE_UINT8(special_mask, PICState),
    VMSTATE_UINT8(init_state, PICState),
    VMSTATE_UINT8(auto_eoi, PICState),
    VMSTATE_UINT8(rotate_on_auto_eoi, PICState),
    VMSTATE_UINT8(special_fully_nested_mode, PICState),
    VMSTATE_UINT8(init4, PICState),
    VMSTATE_UINT8(single_mode, PICState),
    VMSTATE_UINT8(ltim, PICState),
    VMSTATE_UINT8(icw3, PICState),
    VMSTATE_UINT8(elcr, PICState),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription pic_vmstate = {
    .name = "i8259",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = pic_post_load,
    .fields = pic_vmstate_fields,
};

static const Property pic_props[] = {
    DEFINE_PROP_UINT32("iobase", PICState, iobase, PIC_NO_PORT),
    DEFINE_PROP_UINT32("elcr_addr", PICState, elcr_addr, PIC_NO_PORT),
    DEFINE_PROP_UINT8("elcr_mask", PICState, elcr_mask, 0xff),
    DEFINE_PROP_BOOL("master", PICState, master, false),
    DEFINE_PROP_END_OF_LIST()
};

static const DeviceInfo pic_info = {
    .name = TYPE_I8259,
    .desc = "Intel 8259A programmable interrupt controller",
    .bus_type = BUS_TYPE_ISA,
    .category = "Misc devices",
    .instance_size = sizeof(PICState),
    .props = pic_props,
    .vmsd = &pic_vmstate,
    .user_creatable = false,
    .realize = pic_realize,
    .unrealize = pic_unrealize,
    .reset = pic_reset,
};

DEVICE_REGISTER(pic_info)

void i8259_set_slave(DeviceState *master, DeviceState *slave)
{
    ((PICState *)master)->slave = (PICState *)slave;
}

static DeviceState *pic_create(ISABus *bus, uint32_t iobase,
                               uint32_t elcr_addr, uint8_t elcr_mask,
                               bool master, Error **errp)
{
    DeviceState *dev = device_new(TYPE_I8259, errp);

    if (!dev) {
        return NULL;
    }
    if (!device_prop_set_uint(dev, "iobase", iobase, errp) ||
        !device_prop_set_uint(dev, "elcr_addr", elcr_addr, errp) ||
        !device_prop_set_uint(dev, "elcr_mask", elcr_mask, errp) ||
        !device_prop_set_bool(dev, "master", master, errp) ||
        !device_realize(dev, bus ? &bus->bus : NULL, errp)) {
        device_destroy(dev);
        return NULL;
    }
    return dev;
}

DeviceState *i8259_init(ISABus *bus, IRQLine parent_irq, IRQLine *irqs,
                        Error **errp)
{
    DeviceState *master, *slave;
    int i;

    /* ELCR masks: IRQ 0, 1, 2, 8 and 13 are always edge-triggered */
    master = pic_create(bus, 0x20, 0x4d0, 0xf8, true, errp);
    if (!master) {
        return NULL;
    }
    slave = pic_create(bus, 0xa0, 0x4d1, 0xde, false, errp);
    if (!slave) {
        device_destroy(master);
        return NULL;
    }
    qdev_connect_gpio_out(master, 0, parent_irq);
    qdev_connect_gpio_out(slave, 0, qdev_get_gpio_in(master, 2));
    i8259_set_slave(master, slave);
    for (i = 0; i < 8; i++) {
        irqs[i] = qdev_get_gpio_in(master, i);
        irqs[i + 8] = qdev_get_gpio_in(slave, i);
    }
    return master;
}

/* ---- info pic ---- */

static int pic_print_one(DeviceState *dev, void *opaque)
{
    Monitor *mon = opaque;
    PICState *s = (PICState *)dev;

    if (dev->info != &pic_info) {
        return 0;
    }
    monitor_printf(mon, "pic%d: irr=%02x imr=%02x isr=%02x hprio=%d "
                   "irq_base=%02x rr_sel=%d elcr=%02x fnm=%d\n",
                   s->master ? 0 : 1, s->irr, s->imr, s->isr,
                   s->priority_add, s->irq_base, s->read_reg_select,
                   s->elcr, s->special_fully_nested_mode);
    return 0;
}

static json_object *hmp_info_pic(Monitor *mon, json_object *args,
                                 Error **errp)
{
    device_walk(pic_print_one, mon);
    return NULL;
}

static const MonitorCommand pic_monitor_commands[] = {
    {
        .hmp_name = "info pic",
        .help = "show PIC state",
        .handler = hmp_info_pic,
    },
    { .handler = NULL }
};

MONITOR_REGISTER_COMMANDS(pic_monitor_commands)
