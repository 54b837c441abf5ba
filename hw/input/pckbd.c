/* The PC keyboard controller ("i8042") with its PS/2 keyboard and mouse. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "hw/input/i8042.h"
#include "hw/input/ps2.h"
#include "hw/irq.h"
#include "hw/isa/isa.h"
#include "hw/qdev.h"
#include "migration/vmstate.h"
#include "system/memory.h"
#include "system/runstate.h"

#define I8042_DATA_PORT     0x60
#define I8042_CMD_PORT      0x64
#define I8042_KBD_IRQ       1
#define I8042_MOUSE_IRQ     12

/* Status register (read from 0x64) */
#define STAT_OBF            0x01    /* output buffer full */
#define STAT_IBF            0x02    /* input buffer full (never: we are fast) */
#define STAT_SYS            0x04    /* system flag (self test passed) */
#define STAT_CMD            0x08    /* last write went to 0x64 */
#define STAT_UNLOCKED       0x10    /* keyboard not inhibited by the lock */
#define STAT_AUX_OBF        0x20    /* the output buffer holds mouse data */

/* Command byte ("controller configuration", RAM byte 0) */
#define CMD_KBD_INT         0x01
#define CMD_AUX_INT         0x02
#define CMD_SYS             0x04
#define CMD_DISABLE_KBD     0x10
#define CMD_DISABLE_AUX     0x20
#define CMD_XLATE           0x40

/* Output port (commands 0xd0/0xd1) */
#define OUT_RESET           0x01    /* 0: CPU held in reset */
#define OUT_A20             0x02
#define OUT_OBF             0x10
#define OUT_AUX_OBF         0x20
#define OUT_ONES            0xcc    /* keyboard clock/data lines idle high */

/* Controller commands (written to 0x64) */
#define CCMD_READ_RAM       0x20    /* 0x20-0x3f */
#define CCMD_WRITE_RAM      0x60    /* 0x60-0x7f */
#define CCMD_VERSION        0xa1
#define CCMD_AUX_DISABLE    0xa7
#define CCMD_AUX_ENABLE     0xa8
#define CCMD_AUX_TEST       0xa9
#define CCMD_SELF_TEST      0xaa
#define CCMD_KBD_TEST       0xab
#define CCMD_KBD_DISABLE    0xad
#define CCMD_KBD_ENABLE     0xae
#define CCMD_READ_INPORT    0xc0
#define CCMD_READ_OUTPORT   0xd0
#define CCMD_WRITE_OUTPORT  0xd1
#define CCMD_WRITE_KBD_OBUF 0xd2
#define CCMD_WRITE_AUX_OBUF 0xd3
#define CCMD_WRITE_AUX      0xd4
#define CCMD_DISABLE_A20    0xdd    /* HP Vectra */
#define CCMD_ENABLE_A20     0xdf
#define CCMD_READ_TEST      0xe0
#define CCMD_PULSE_FIRST    0xf0    /* 0xf0-0xff: pulse output bits 0-3 */

#define I8042_RAM_SIZE      32
#define I8042_REPLY_MAX     4

typedef struct I8042State {
    ISADevice parent;
    MemoryRegion io_data;
    MemoryRegion io_cmd;
    IRQLine irq_kbd;
    IRQLine irq_mouse;
    IRQLine a20_out;
    PS2KbdState kbd;
    PS2MouseState mouse;

    uint8_t status;
    uint8_t outport;
    uint8_t write_cmd;          /* command awaiting its data byte, 0 none */
    uint8_t obuf;
    uint8_t ram[I8042_RAM_SIZE];    /* ram[0] is the command byte */
    /* the controller's own replies, sent before device data */
    uint8_t reply[I8042_REPLY_MAX];
    uint8_t reply_rptr;
    uint8_t reply_count;
    uint8_t reply_aux;          /* bit i: reply[i] is shown as mouse data */
    bool xlate_break;           /* translating: a set 2 0xf0 was seen */
    /*
     * Taking a byte from the mouse may make it queue its next packet,
     * which calls back into i8042_update(): not state, not migrated.
     */
    bool updating;
} I8042State;

static uint8_t i8042_cmd_byte(I8042State *s)
{
    return s->ram[0];
}

static void i8042_update_irq(I8042State *s)
{
    bool full = s->status & STAT_OBF;
    bool aux = s->status & STAT_AUX_OBF;

    irq_set(&s->irq_kbd, full && !aux && (i8042_cmd_byte(s) & CMD_KBD_INT));
    irq_set(&s->irq_mouse, full && aux && (i8042_cmd_byte(s) & CMD_AUX_INT));
}

static void i8042_fill_obuf(I8042State *s, uint8_t val, bool aux)
{
    s->obuf = val;
    s->status |= STAT_OBF;
    if (aux) {
        s->status |= STAT_AUX_OBF;
    } else {
        s->status &= ~STAT_AUX_OBF;
    }
}

/*
 * Move the next byte into an empty output buffer: controller replies
 * first, then the keyboard (translated to set 1 when the command byte
 * asks), then the mouse.
 */
static void i8042_update(I8042State *s)
{
    uint8_t cmd = i8042_cmd_byte(s);

    if (s->updating) {
        return;
    }
    s->updating = true;
    if (!(s->status & STAT_OBF)) {
        if (s->reply_count) {
            i8042_fill_obuf(s, s->reply[s->reply_rptr],
                            s->reply_aux & (1u << s->reply_rptr));
            s->reply_rptr = (s->reply_rptr + 1) % I8042_REPLY_MAX;
            s->reply_count--;
        } else {
            while (!(cmd & CMD_DISABLE_KBD) &&
                   ps2_data_pending(&s->kbd.common)) {
                uint8_t b = ps2_read_data(&s->kbd.common);
                if (!(cmd & CMD_XLATE)) {
                    i8042_fill_obuf(s, b, false);
                    break;
                }
                if (b == 0xf0) {
                    /* a set 2 break prefix becomes bit 7 of the next code */
                    s->xlate_break = true;
                    continue;
                }
                b = ps2_translate_set2(b);
                if (s->xlate_break) {
                    b |= 0x80;
                    s->xlate_break = false;
                }
                i8042_fill_obuf(s, b, false);
                break;
            }
            if (!(s->status & STAT_OBF) && !(cmd & CMD_DISABLE_AUX) &&
                ps2_data_pending(&s->mouse.common)) {
                i8042_fill_obuf(s, ps2_read_data(&s->mouse.common), true);
            }
        }
    }
    s->updating = false;
    i8042_update_irq(s);
}

/* PS/2 devices call this when they queued data */
static void i8042_ps2_update(void *opaque)
{
    i8042_update(opaque);
}

/*
 * A byte the controller itself puts in its output buffer, ahead of device
 * data: a command's reply, or (aux) a byte the host asked it to present as
 * coming from the mouse (command 0xd3), whatever the port's disable bit.
 */
static void i8042_queue_output(I8042State *s, uint8_t val, bool aux)
{
    unsigned slot = (s->reply_rptr + s->reply_count) % I8042_REPLY_MAX;

    if (s->reply_count >= I8042_REPLY_MAX) {
        emu_log_mask(LOG_GUEST_ERROR, "i8042: reply 0x%02x lost, output "
                     "not read\n", val);
        return;
    }
    s->reply[slot] = val;
    s->reply_aux = (s->reply_aux & ~(1u << slot)) | ((unsigned)aux << slot);
    s->reply_count++;
    i8042_update(s);
}

static void i8042_reply(I8042State *s, uint8_t val)
{
    i8042_queue_output(s, val, false);
}

static void i8042_set_outport(I8042State *s, uint8_t val)
{
    s->outport = val;
    irq_set(&s->a20_out, !!(val & OUT_A20));
    if (!(val & OUT_RESET)) {
        system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

static uint8_t i8042_read_outport(I8042State *s)
{
    uint8_t val = s->outport & ~(OUT_OBF | OUT_AUX_OBF);

    if (s->status & STAT_OBF) {
        val |= (s->status & STAT_AUX_OBF) ? OUT_AUX_OBF : OUT_OBF;
    }
    return val;
}

static void i8042_write_command(I8042State *s, uint8_t val)
{
    s->status |= STAT_CMD;
    s->write_cmd = 0;

    if (val >= CCMD_READ_RAM && val < CCMD_READ_RAM + I8042_RAM_SIZE) {
        i8042_reply(s, s->ram[val - CCMD_READ_RAM]);
        return;
    }
    if (val >= CCMD_WRITE_RAM && val < CCMD_WRITE_RAM + I8042_RAM_SIZE) {
        s->write_cmd = val;
        return;
    }
    if (val >= CCMD_PULSE_FIRST) {
        /* bits 0-3 low pulse the output lines; line 0 is CPU reset */
        if (!(val & 0x01)) {
            system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        }
        return;
    }

    switch (val) {
    case CCMD_AUX_DISABLE:
        s->ram[0] |= CMD_DISABLE_AUX;
        break;
    case CCMD_AUX_ENABLE:
        s->ram[0] &= ~CMD_DISABLE_AUX;
        break;
    case CCMD_AUX_TEST:
    case CCMD_KBD_TEST:
        i8042_reply(s, 0x00);           /* interface OK */
        break;
    case CCMD_SELF_TEST:
        s->status |= STAT_SYS;
        i8042_reply(s, 0x55);
        break;
    case CCMD_KBD_DISABLE:
        s->ram[0] |= CMD_DISABLE_KBD;
        break;
    case CCMD_KBD_ENABLE:
        s->ram[0] &= ~CMD_DISABLE_KBD;
        break;
    case CCMD_READ_INPORT:
        i8042_reply(s, 0x80);           /* keyboard not inhibited */
        break;
    case CCMD_READ_OUTPORT:
        i8042_reply(s, i8042_read_outport(s));
        break;
    case CCMD_WRITE_OUTPORT:
    case CCMD_WRITE_KBD_OBUF:
    case CCMD_WRITE_AUX_OBUF:
    case CCMD_WRITE_AUX:
        s->write_cmd = val;
        break;
    case CCMD_DISABLE_A20:
        i8042_set_outport(s, s->outport & ~OUT_A20);
        break;
    case CCMD_ENABLE_A20:
        i8042_set_outport(s, s->outport | OUT_A20);
        break;
    case CCMD_READ_TEST:
        i8042_reply(s, 0x00);
        break;
    case CCMD_VERSION:
        emu_log_mask(LOG_UNIMP, "i8042: version command 0x%02x\n", val);
        break;
    default:
        emu_log_mask(LOG_GUEST_ERROR, "i8042: unknown command 0x%02x\n", val);
        break;
    }
    i8042_update(s);
}

static void i8042_write_data(I8042State *s, uint8_t val)
{
    uint8_t cmd = s->write_cmd;

    s->status &= ~STAT_CMD;
    s->write_cmd = 0;

    if (cmd >= CCMD_WRITE_RAM && cmd < CCMD_WRITE_RAM + I8042_RAM_SIZE) {
        s->ram[cmd - CCMD_WRITE_RAM] = val;
        if (cmd == CCMD_WRITE_RAM) {
            /* the system flag mirrors command byte bit 2 */
            s->status = (s->status & ~STAT_SYS) | (val & CMD_SYS);
        }
        i8042_update(s);
        return;
    }
    switch (cmd) {
    case 0:
        ps2_write_keyboard(&s->kbd, val);
        /* sending to the keyboard re-enables its interface */
        s->ram[0] &= ~CMD_DISABLE_KBD;
        break;
    case CCMD_WRITE_OUTPORT:
        i8042_set_outport(s, val);
        break;
    case CCMD_WRITE_KBD_OBUF:
        i8042_queue_output(s, val, false);
        break;
    case CCMD_WRITE_AUX_OBUF:
        /*
         * Linux's AUX loopback probe sends this with the mouse port
         * disabled and waits for the byte: queued behind the mouse it
         * never came, and each probe waited out its timeout (0.75 s).
         */
        i8042_queue_output(s, val, true);
        break;
    case CCMD_WRITE_AUX:
        ps2_write_mouse(&s->mouse, val);
        break;
    default:
        break;
    }
    i8042_update(s);
}

static uint64_t i8042_data_read(void *opaque, hwaddr addr, unsigned size)
{
    I8042State *s = opaque;
    uint8_t val = s->obuf;

    /* reading an empty buffer returns the previous byte again */
    s->status &= ~(STAT_OBF | STAT_AUX_OBF);
    i8042_update_irq(s);
    i8042_update(s);
    return val;
}

static void i8042_data_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    i8042_write_data(opaque, val);
}

static uint64_t i8042_cmd_read(void *opaque, hwaddr addr, unsigned size)
{
    I8042State *s = opaque;

    return s->status;
}

static void i8042_cmd_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    i8042_write_command(opaque, val);
}

static const MemoryRegionOps i8042_data_ops = {
    .read = i8042_data_read,
    .write = i8042_data_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static const MemoryRegionOps i8042_cmd_ops = {
    .read = i8042_cmd_read,
    .write = i8042_cmd_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void i8042_reset(DeviceState *dev)
{
    I8042State *s = (I8042State *)dev;

    memset(s->ram, 0, sizeof(s->ram));
    /* as QEMU: interrupts on, no translation until the firmware asks */
    s->ram[0] = CMD_KBD_INT | CMD_AUX_INT;
    s->status = STAT_CMD | STAT_UNLOCKED;
    s->write_cmd = 0;
    s->obuf = 0;
    s->reply_rptr = 0;
    s->reply_count = 0;
    s->reply_aux = 0;
    s->xlate_break = false;
    ps2_kbd_reset(&s->kbd);
    ps2_mouse_reset(&s->mouse);
    s->outport = OUT_RESET | OUT_A20 | OUT_ONES;
    irq_set(&s->a20_out, 1);
    i8042_update_irq(s);
}

static void i8042_instance_init(DeviceState *dev)
{
    I8042State *s = (I8042State *)dev;

    qdev_init_gpio_out_named(dev, &s->a20_out, I8042_A20_LINE, 1);
    ps2_kbd_init(&s->kbd, i8042_ps2_update, s);
    ps2_mouse_init(&s->mouse, i8042_ps2_update, s);
}

static void i8042_realize(DeviceState *dev, Error **errp)
{
    I8042State *s = (I8042State *)dev;
    ISADevice *isa = ISA_DEVICE(dev);

    s->irq_kbd = isa_get_irq(isa, I8042_KBD_IRQ);
    s->irq_mouse = isa_get_irq(isa, I8042_MOUSE_IRQ);
    memory_region_init_io(&s->io_data, dev, &i8042_data_ops, s, "i8042-data",
                          1);
    memory_region_init_io(&s->io_cmd, dev, &i8042_cmd_ops, s, "i8042-cmd", 1);
    isa_register_ioport(isa, &s->io_data, I8042_DATA_PORT);
    isa_register_ioport(isa, &s->io_cmd, I8042_CMD_PORT);
}

static void i8042_unrealize(DeviceState *dev)
{
    I8042State *s = (I8042State *)dev;

    memory_region_finalize(&s->io_data);
    memory_region_finalize(&s->io_cmd);
}

static int i8042_post_load(void *opaque, int version_id)
{
    I8042State *s = opaque;

    if (s->reply_rptr >= I8042_REPLY_MAX ||
        s->reply_count > I8042_REPLY_MAX) {
        return -EINVAL;
    }
    irq_set(&s->a20_out, !!(s->outport & OUT_A20));
    i8042_update_irq(s);
    return 0;
}

static const VMStateField i8042_vmstate_fields[] = {
    VMSTATE_UINT8(status, I8042State),
    VMSTATE_UINT8(outport, I8042State),
    VMSTATE_UINT8(write_cmd, I8042State),
    VMSTATE_UINT8(obuf, I8042State),
    VMSTATE_BUFFER(ram, I8042State),
    VMSTATE_BUFFER(reply, I8042State),
    VMSTATE_UINT8(reply_rptr, I8042State),
    VMSTATE_UINT8(reply_count, I8042State),
    VMSTATE_UINT8(reply_aux, I8042State),
    VMSTATE_BOOL(xlate_break, I8042State),
    VMSTATE_STRUCT(kbd, I8042State, ps2_kbd_vmstate),
    VMSTATE_STRUCT(mouse, I8042State, ps2_mouse_vmstate),
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription i8042_vmstate = {
    .name = "pckbd",
    .version_id = 2,
    .minimum_version_id = 2,
    .post_load = i8042_post_load,
    .fields = i8042_vmstate_fields,
};

static const DeviceInfo i8042_info = {
    .name = TYPE_I8042,
    .bus_type = BUS_TYPE_ISA,
    .category = "Input devices",
    .instance_size = sizeof(I8042State),
    .vmsd = &i8042_vmstate,
    .user_creatable = false,
    .instance_init = i8042_instance_init,
    .realize = i8042_realize,
    .unrealize = i8042_unrealize,
    .reset = i8042_reset,
};
DEVICE_REGISTER(i8042_info)

PS2KbdState *i8042_keyboard(DeviceState *dev)
{
    if (!dev || dev->info != &i8042_info) {
        return NULL;
    }
    return &((I8042State *)dev)->kbd;
}

PS2MouseState *i8042_mouse(DeviceState *dev)
{
    if (!dev || dev->info != &i8042_info) {
        return NULL;
    }
    return &((I8042State *)dev)->mouse;
}
