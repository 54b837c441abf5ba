/* Intel 8254 programmable interval timer ("isa-pit"). */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "hw/timer/i8254.h"
#include "migration/vmstate.h"
#include "system/memory.h"

/*
 * The counters are not stepped: each channel remembers when its count was
 * loaded (virtual ns) and derives the counter value and OUT level from the
 * number of 1.193182 MHz ticks since then.  Only channel 0 has an IRQ
 * line; its timer is armed for the next OUT transition, and only while
 * the line is connected.
 */

enum {
    RW_STATE_LSB = 1,
    RW_STATE_MSB = 2,
    RW_STATE_WORD0 = 3,     /* LSB next, then MSB */
    RW_STATE_WORD1 = 4,     /* MSB next */
};

#define PIT_NUM_CHANNELS 3
#define PIT_NO_TRANSITION INT64_MAX

typedef struct PITChannel {
    uint32_t count;             /* 1..0x10000 (binary), 1..10000 (BCD) */
    uint16_t latched_count;
    uint8_t count_latched;      /* 0, or the RW_STATE to read it with */
    uint8_t status_latched;
    uint8_t status;
    uint8_t read_state;
    uint8_t write_state;
    uint8_t write_latch;
    uint8_t rw_mode;
    uint8_t mode;
    uint8_t bcd;
    uint8_t gate;
    uint8_t null_count;
    uint8_t waiting;            /* control word written, no count yet */
    uint8_t triggered;          /* modes 1 and 5: gate edge seen */
    int64_t count_load_time;
} PITChannel;

typedef struct PITState {
    ISADevice parent;
    MemoryRegion io;
    bool io_mapped;
    IRQLine irq;                /* channel 0 OUT */
    EmuTimer *irq_timer;
    int64_t next_transition;    /* virtual ns, or PIT_NO_TRANSITION */

    uint32_t iobase;

    PITChannel channels[PIT_NUM_CHANNELS];
} PITState;

/* Ticks elapsed since the count was loaded */
static uint64_t pit_ticks(PITChannel *c, int64_t now)
{
    if (now <= c->count_load_time) {
        return 0;
    }
    return (unsigned __int128)(uint64_t)(now - c->count_load_time) *
           PIT_FREQ / NANOSECONDS_PER_SECOND;
}

/* First virtual ns at which pit_ticks() reaches ticks */
static int64_t pit_tick_time(PITChannel *c, uint64_t ticks)
{
    unsigned __int128 ns = ((unsigned __int128)ticks * NANOSECONDS_PER_SECOND +
                            PIT_FREQ - 1) / PIT_FREQ;

    if (ns > (unsigned __int128)(INT64_MAX - c->count_load_time)) {
        return PIT_NO_TRANSITION;
    }
    return c->count_load_time + (int64_t)ns;
}

static bool pit_counting(PITChannel *c)
{
    if (c->waiting) {
        return false;
    }
    if (c->mode == 1 || c->mode == 5) {
        return c->triggered;
    }
    return true;
}

/* Current counter value, in binary */
static uint32_t pit_get_count(PITChannel *c, int64_t now)
{
    uint64_t d;
    uint32_t modulus = c->bcd ? 10000 : 0x10000;

    if (!pit_counting(c)) {
        return c->count % modulus;
    }
    d = pit_ticks(c, now);
    switch (c->mode) {
    case 2:
        return c->count - d % c->count;
    case 3:
        /* decrements by two, twice per period */
        return c->count - (2 * d) % c->count;
    default:
        return (c->count + modulus - d % modulus) % modulus;
    }
}

static int pit_out(PITChannel *c, int64_t now)
{
    uint64_t d;

    if (c->waiting) {
        /* After the control word: mode 0 starts low, the others high */
        return c->mode != 0;
    }
    if (!pit_counting(c)) {
        return 1;
    }
    d = pit_ticks(c, now);
    switch (c->mode) {
    case 0:
    case 1:
        return d >= c->count;
    case 2:
        /* low for one clock when the counter reaches 1 */
        if (!c->gate || c->count < 2) {
            return 1;
        }
        return d % c->count != c->count - 1;
    case 3:
        /* high for the first (count + 1) / 2 clocks of each period */
        if (!c->gate || c->count < 2) {
            return 1;
        }
        return d % c->count < (c->count + 1) / 2;
    default:
        /* modes 4, 5: a one-clock low strobe at terminal count */
        return d != c->count;
    }
}

/* Next OUT transition after now, in virtual ns */
static int64_t pit_next_transition(PITChannel *c, int64_t now)
{
    uint64_t d, base, next;

    if (!pit_counting(c)) {
        return PIT_NO_TRANSITION;
    }
    d = pit_ticks(c, now);
    switch (c->mode) {
    case 0:
    case 1:
        if (d >= c->count) {
            return PIT_NO_TRANSITION;
        }
        next = c->count;
        break;
    case 2:
        if (!c->gate || c->count < 2) {
            return PIT_NO_TRANSITION;
        }
        base = d - d % c->count;
        next = (d - base < c->count - 1) ? base + c->count - 1
                                          : base + c->count;
        break;
    case 3:
        if (!c->gate || c->count < 2) {
            return PIT_NO_TRANSITION;
        }
        base = d - d % c->count;
        next = (d - base < (c->count + 1) / 2) ? base + (c->count + 1) / 2
                                                : base + c->count;
        break;
    default:
        if (d < c->count) {
            next = c->count;
        } else if (d == c->count) {
            next = c->count + 1;
        } else {
            return PIT_NO_TRANSITION;
        }
        break;
    }
    return pit_tick_time(c, next);
}

static void pit_irq_timer_update(PITState *s, int64_t now)
{
    PITChannel *c = &s->channels[0];

    if (!s->irq_timer) {
        return;
    }
    if (!irq_is_connected(&s->irq)) {
        /* Nobody listens: no timer */
        timer_del(s->irq_timer);
        s->next_transition = PIT_NO_TRANSITION;
        return;
    }
    irq_set(&s->irq, pit_out(c, now));
    s->next_transition = pit_next_transition(c, now);
    if (s->next_transition == PIT_NO_TRANSITION) {
        timer_del(s->irq_timer);
    } else {
        timer_mod(s->irq_timer, s->next_transition);
    }
}

static void pit_irq_timer_cb(void *opaque)
{
    PITState *s = opaque;

    /* The scheduled time, not "now", so that late runs keep the phase */
    pit_irq_timer_update(s, s->next_transition);
}

static void pit_channel_changed(PITState *s, int channel, int64_t now)
{
    if (channel == 0) {
        pit_irq_timer_update(s, now);
    }
}

static uint32_t bcd_to_bin16(uint32_t v)
{
    return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 +
           ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

static uint32_t bin_to_bcd16(uint32_t v)
{
    return ((v / 1000) % 10) << 12 | ((v / 100) % 10) << 8 |
           ((v / 10) % 10) << 4 | (v % 10);
}

static void pit_load_count(PITState *s, int channel, uint32_t val)
{
    PITChannel *c = &s->channels[channel];
    int64_t now = clock_get_ns(EMU_CLOCK_VIRTUAL);

    if (c->bcd) {
        val = bcd_to_bin16(val);
        if (val > 9999) {
            emu_log_mask(LOG_GUEST_ERROR, "i8254: invalid BCD count on "
                         "channel %d\n", channel);
            val %= 10000;
        }
        if (val == 0) {
            val = 10000;
        }
    } else if (val == 0) {
        val = 0x10000;
    }
    if (val == 1 && (c->mode == 2 || c->mode == 3)) {
        emu_log_mask(LOG_GUEST_ERROR, "i8254: count 1 is illegal in mode %d "
                     "(channel %d)\n", c->mode, channel);
    }
    c->count = val;
    c->count_load_time = now;
    c->waiting = 0;
    c->null_count = 0;
    /* modes 1 and 5 start on the next rising edge of the gate */
    c->triggered = !(c->mode == 1 || c->mode == 5);
    pit_channel_changed(s, channel, now);
}

static void pit_latch_count(PITChannel *c, int64_t now)
{
    uint32_t v;

    if (c->count_latched) {
        return;     /* the first latch holds until it is read */
    }
    v = pit_get_count(c, now);
    if (c->bcd) {
        v = bin_to_bcd16(v);
    }
    c->latched_count = v;
    c->count_latched = c->rw_mode;
}

static void pit_latch_status(PITChannel *c, int64_t now)
{
    if (c->status_latched) {
        return;
    }
    c->status = pit_out(c, now) << 7 | c->null_count << 6 |
                c->rw_mode << 4 | c->mode << 1 | c->bcd;
    c->status_latched = 1;
}

static void pit_ioport_write(void *opaque, hwaddr addr, uint64_t val64,
                             unsigned size)
{
    PITState *s = opaque;
    uint8_t val = val64;
    int64_t now = clock_get_ns(EMU_CLOCK_VIRTUAL);
    PITChannel *c;
    int channel, access, i;

    addr &= 3;
    if (addr == 3) {
        channel = val >> 6;
        if (channel == 3) {
            /* Read-back: bits 3-1 select channels; active-low latches */
            for (i = 0; i < PIT_NUM_CHANNELS; i++) {
                if (!(val & (2 << i))) {
                    continue;
                }
                c = &s->channels[i];
                if (!(val & 0x20)) {
                    pit_latch_count(c, now);
                }
                if (!(val & 0x10)) {
                    pit_latch_status(c, now);
                }
            }
            return;
        }
        c = &s->channels[channel];
        access = (val >> 4) & 3;
        if (access == 0) {
            pit_latch_count(c, now);
            return;
        }
        c->rw_mode = access;
        c->read_state = access;
        c->write_state = access;
        c->mode = (val >> 1) & 7;
        if (c->mode > 5) {
            c->mode -= 4;       /* 6 and 7 are aliases of 2 and 3 */
        }
        c->bcd = val & 1;
        c->null_count = 1;
        c->waiting = 1;
        c->count_latched = 0;
        pit_channel_changed(s, channel, now);
        return;
    }

    c = &s->channels[addr];
    switch (c->write_state) {
    case RW_STATE_LSB:
        pit_load_count(s, addr, val);
        break;
    case RW_STATE_MSB:
        pit_load_count(s, addr, val << 8);
        break;
    case RW_STATE_WORD0:
        c->write_latch = val;
        c->write_state = RW_STATE_WORD1;
        if (c->mode == 0 && !c->waiting) {
            /* mode 0: the first byte stops the count, OUT goes low */
            c->waiting = 1;
            c->null_count = 1;
            pit_channel_changed(s, addr, now);
        }
        break;
    default:
        pit_load_count(s, addr, c->write_latch | (val << 8));
        c->write_state = RW_STATE_WORD0;
        break;
    }
}

static uint64_t pit_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PITState *s = opaque;
    int64_t now;
    PITChannel *c;
    uint32_t count;
    int ret;

    addr &= 3;
    if (addr == 3) {
        /* The control word register cannot be read */
        return 0xff;
    }
    c = &s->channels[addr];
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    if (c->count_latched) {
        switch (c->count_latched) {
        case RW_STATE_LSB:
            c->count_latched = 0;
            return c->latched_count & 0xff;
        case RW_STATE_MSB:
            c->count_latched = 0;
            return c->latched_count >> 8;
        case RW_STATE_WORD0:
            c->count_latched = RW_STATE_MSB;
            return c->latched_count & 0xff;
        default:
            c->count_latched = 0;
            return c->latched_count >> 8;
        }
    }
    now = clock_get_ns(EMU_CLOCK_VIRTUAL);
    count = pit_get_count(c, now);
    if (c->bcd) {
        count = bin_to_bcd16(count);
    }
    switch (c->read_state) {
    case RW_STATE_LSB:
        ret = count & 0xff;
        break;
    case RW_STATE_MSB:
        ret = (count >> 8) & 0xff;
        break;
    case RW_STATE_WORD0:
        ret = count & 0xff;
        c->read_state = RW_STATE_WORD1;
        break;
    default:
        ret = (count >> 8) & 0xff;
        c->read_state = RW_STATE_WORD0;
        break;
    }
    return ret;
}

static const MemoryRegionOps pit_io_ops = {
    .read = pit_ioport_read,
    .write = pit_ioport_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void pit_set_gate(DeviceState *dev, int channel, int level)
{
    PITState *s = (PITState *)dev;
    int64_t now = clock_get_ns(EMU_CLOCK_VIRTUAL);
    PITChannel *c;

    if (channel < 0 || channel >= PIT_NUM_CHANNELS) {
        return;
    }
    c = &s->channels[channel];
    level = level != 0;
    if (level == c->gate) {
        return;
    }
    switch (c->mode) {
    case 0:
    case 4:
        emu_log_mask(LOG_UNIMP, "i8254: gate does not pause counting in "
                     "mode %d\n", c->mode);
        break;
    case 1:
    case 5:
    case 2:
    case 3:
        /* A rising edge (re)starts the count */
        if (level && !c->waiting) {
            c->count_load_time = now;
            c->triggered = 1;
        }
        break;
    }
    c->gate = level;
    pit_channel_changed(s, channel, now);
}

int pit_get_gate(DeviceState *dev, int channel)
{
    PITState *s = (PITState *)dev;

    if (channel < 0 || channel >= PIT_NUM_CHANNELS) {
        return 0;
    }
    return s->channels[channel].gate;
}

int pit_get_out(DeviceState *dev, int channel, int64_t now)
{
    PITState *s = (PITState *)dev;

    if (channel < 0 || channel >= PIT_NUM_CHANNELS) {
        return 0;
    }
    return pit_out(&s->channels[channel], now);
}

static void pit_reset(DeviceState *dev)
{
    PITState *s = (PITState *)dev;
    int64_t now = clock_get_ns(EMU_CLOCK_VIRTUAL);
    int i;

    /* As QEMU: mode 3 with count 65536 on every channel, gate 2 low */
    for (i = 0; i < PIT_NUM_CHANNELS; i++) {
        PITChannel *c = &s->channels[i];
        memset(c, 0, sizeof(*c));
        c->mode = 3;
        c->rw_mode = RW_STATE_WORD0;
        c->read_state = RW_STATE_WORD0;
        c->write_state = RW_STATE_WORD0;
        c->gate = (i != 2);
        c->count = 0x10000;
        c->count_load_time = now;
        c->triggered = 1;
    }
    pit_irq_timer_update(s, now);
}

static void pit_realize(DeviceState *dev, Error **errp)
{
    PITState *s = (PITState *)dev;

    if (s->iobase > 0xfffc) {
        error_setg(errp, "iobase 0x%" PRIx32 " out of range", s->iobase);
        return;
    }
    memory_region_init_io(&s->io, dev, &pit_io_ops, s, "pit", 4);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, s->iobase);
    s->io_mapped = true;
    qdev_init_gpio_out(dev, &s->irq, 1);
    s->irq_timer = timer_new_ns(EMU_CLOCK_VIRTUAL, pit_irq_timer_cb, s);
    s->next_transition = PIT_NO_TRANSITION;
    pit_reset(dev);
}

static void pit_unrealize(DeviceState *dev)
{
    PITState *s = (PITState *)dev;

    timer_free(s->irq_timer);
    s->irq_timer = NULL;
    if (s->io_mapped) {
        memory_region_del_subregion(isa_bus_of(ISA_DEVICE(dev))->
                                    address_space_io, &s->io);
        s->io_mapped = false;
    }
}

static int pit_post_load(void *opaque, int version_id)
{
    PITState *s = opaque;
    int i;

    for (i = 0; i < PIT_NUM_CHANNELS; i++) {
        PITChannel *c = &s->channels[i];
        if (c->count < 1 || c->count > 0x10000 || c->mode > 5 ||
            c->rw_mode < 1 || c->rw_mode > 3 ||
            c->read_state < 1 || c->read_state > 4 ||
            c->write_state < 1 || c->write_state > 4 ||
            c->count_latched > 4 || c->gate > 1 || c->bcd > 1) {
            return -EINVAL;
        }
    }
    pit_irq_timer_update(s, clock_get_ns(EMU_CLOCK_VIRTUAL));
    return 0;
}

static const VMStateField pit_channel_fields[] = {
    VMSTATE_UINT32(count, PITChannel),
    VMSTATE_UINT16(latched_count, PITChannel),
    VMSTATE_UINT8(count_latched, PITChannel),
    VMSTATE_UINT8(status_latched, PITChannel),
    VMSTATE_UINT8(status, PITChannel),
    VMSTATE_UINT8(read_state, PITChannel),
    VMSTATE_UINT8(write_state, PITChannel),
    VMSTATE_UINT8(write_latch, PITChannel),
    VMSTATE_UINT8(rw_mode, PITChannel),
    VMSTATE_UINT8(mode, PITChannel),
    VMSTATE_UINT8(bcd, PITChannel),
    VMSTATE_UINT8(gate, PITChannel),
    VMSTATE_UINT8(null_count, PITChannel),
    VMSTATE_UINT8(waiting, PITChannel),
    VMSTATE_UINT8(triggered, PITChannel),
    VMSTATE_INT64(count_load_time, PITChannel),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription pit_channel_vmstate = {
    .name = "pit-channel",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = pit_channel_fields,
};

static const VMStateField pit_vmstate_fields[] = {
    VMSTATE_STRUCT_ARRAY(channels, PITState, PIT_NUM_CHANNELS,
                         pit_channel_vmstate),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription pit_vmstate = {
    .name = "i8254",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = pit_post_load,
    .fields = pit_vmstate_fields,
};

static const Property pit_props[] = {
    DEFINE_PROP_UINT32("iobase", PITState, iobase, 0x40),
    DEFINE_PROP_END_OF_LIST()
};

static const DeviceInfo pit_info = {
    .name = TYPE_I8254,
    .desc = "Intel 8254 programmable interval timer",
    .bus_type = BUS_TYPE_ISA,
    .category = "Misc devices",
    .instance_size = sizeof(PITState),
    .props = pit_props,
    .vmsd = &pit_vmstate,
    .user_creatable = false,
    .realize = pit_realize,
    .unrealize = pit_unrealize,
    .reset = pit_reset,
};

DEVICE_REGISTER(pit_info)

DeviceState *i8254_pit_init(ISABus *bus, int base, int isairq, Error **errp)
{
    DeviceState *dev = device_new(TYPE_I8254, errp);

    if (!dev) {
        return NULL;
    }
    if (isairq < 0 || isairq >= ISA_NUM_IRQS) {
        error_setg(errp, "isa-pit: IRQ %d out of range", isairq);
        device_destroy(dev);
        return NULL;
    }
    if (!device_prop_set_uint(dev, "iobase", base, errp) ||
        !device_realize(dev, bus ? &bus->bus : NULL, errp)) {
        device_destroy(dev);
        return NULL;
    }
    qdev_connect_gpio_out(dev, 0, isa_get_irq(ISA_DEVICE(dev), isairq));
    pit_irq_timer_update((PITState *)dev, clock_get_ns(EMU_CLOCK_VIRTUAL));
    return dev;
}
