/* System control port A (0x92, "port92"): fast A20 gate and fast reset. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/irq.h"
#include "hw/isa/isa.h"
#include "hw/misc/port92.h"
#include "hw/qdev.h"
#include "migration/vmstate.h"
#include "system/memory.h"
#include "system/runstate.h"

#define PORT92_IOBASE       0x92
#define PORT92_RESET        0x01
#define PORT92_A20          0x02

typedef struct Port92State {
    ISADevice parent;
    MemoryRegion io;
    IRQLine a20_out;
    uint8_t outport;
} Port92State;

static uint64_t port92_read(void *opaque, hwaddr addr, unsigned size)
{
    Port92State *s = opaque;

    return s->outport;
}

static void port92_write(void *opaque, hwaddr addr, uint64_t val,
                         unsigned size)
{
    Port92State *s = opaque;
    uint8_t old = s->outport;

    s->outport = val;
    irq_set(&s->a20_out, !!(val & PORT92_A20));
    /* the reset fires on the 0 -> 1 transition of bit 0 */
    if ((val & PORT92_RESET) && !(old & PORT92_RESET)) {
        system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

static const MemoryRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void port92_reset(DeviceState *dev)
{
    Port92State *s = (Port92State *)dev;

    /*
     * A reset through bit 0 must not leave the bit set, or the next
     * write of 1 would not be a transition.  A20 keeps its state, as in
     * QEMU: the chipset latch is not part of the CPU reset.
     */
    s->outport &= ~PORT92_RESET;
}

static void port92_realize(DeviceState *dev, Error **errp)
{
    Port92State *s = (Port92State *)dev;

    memory_region_init_io(&s->io, dev, &port92_ops, s, "port92", 1);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, PORT92_IOBASE);
}

static void port92_unrealize(DeviceState *dev)
{
    Port92State *s = (Port92State *)dev;

    memory_region_finalize(&s->io);
}

static void port92_instance_init(DeviceState *dev)
{
    Port92State *s = (Port92State *)dev;

    qdev_init_gpio_out_named(dev, &s->a20_out, PORT92_A20_LINE, 1);
}

static int port92_post_load(void *opaque, int version_id)
{
    Port92State *s = opaque;

    irq_set(&s->a20_out, !!(s->outport & PORT92_A20));
    return 0;
}

static const VMStateField port92_vmstate_fields[] = {
    VMSTATE_UINT8(outport, Port92State),
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription port92_vmstate = {
    .name = "port92",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = port92_post_load,
    .fields = port92_vmstate_fields,
};

static const DeviceInfo port92_info = {
    .name = TYPE_PORT92,
    .bus_type = BUS_TYPE_ISA,
    .category = "Misc devices",
    .instance_size = sizeof(Port92State),
    .vmsd = &port92_vmstate,
    .user_creatable = false,
    .instance_init = port92_instance_init,
    .realize = port92_realize,
    .unrealize = port92_unrealize,
    .reset = port92_reset,
};
DEVICE_REGISTER(port92_info)
