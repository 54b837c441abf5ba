/* Test exit port ("isa-debug-exit"): a guest write ends emu with a chosen status. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "hw/isa/isa.h"
#include "hw/qdev.h"
#include "migration/vmstate.h"
#include "system/memory.h"
#include "system/runstate.h"

/*
 * Writing V exits with status (V << 1) | 1, as QEMU: the status is always
 * odd, so a test harness can tell a guest-chosen exit from emu's own 0.
 */
typedef struct DebugExitState {
    ISADevice parent;
    MemoryRegion io;
    uint32_t iobase;
    uint32_t iosize;
} DebugExitState;

static uint64_t debug_exit_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void debug_exit_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    system_exit_request((int)(((uint32_t)val << 1) | 1));
}

static const MemoryRegionOps debug_exit_ops = {
    .read = debug_exit_read,
    .write = debug_exit_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static void debug_exit_realize(DeviceState *dev, Error **errp)
{
    DebugExitState *s = (DebugExitState *)dev;

    if (s->iosize == 0 || s->iosize > 0x10000 ||
        s->iobase > 0x10000 - s->iosize) {
        error_setg(errp, "isa-debug-exit: iobase 0x%x iosize 0x%x out of "
                   "range", s->iobase, s->iosize);
        return;
    }
    memory_region_init_io(&s->io, dev, &debug_exit_ops, s,
                          "isa-debug-exit", s->iosize);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, s->iobase);
}

static void debug_exit_unrealize(DeviceState *dev)
{
    DebugExitState *s = (DebugExitState *)dev;

    memory_region_finalize(&s->io);
}

static void debug_exit_reset(DeviceState *dev)
{
    /* stateless */
}

static const VMStateField debug_exit_vmstate_fields[] = {
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription debug_exit_vmstate = {
    .name = "isa-debug-exit",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = debug_exit_vmstate_fields,
};

static const Property debug_exit_props[] = {
    DEFINE_PROP_UINT32("iobase", DebugExitState, iobase, 0x501),
    DEFINE_PROP_UINT32("iosize", DebugExitState, iosize, 0x02),
    DEFINE_PROP_END_OF_LIST(),
};

static const DeviceInfo debug_exit_info = {
    .name = "isa-debug-exit",
    .bus_type = BUS_TYPE_ISA,
    .category = "Misc devices",
    .instance_size = sizeof(DebugExitState),
    .props = debug_exit_props,
    .vmsd = &debug_exit_vmstate,
    .user_creatable = true,
    .realize = debug_exit_realize,
    .unrealize = debug_exit_unrealize,
    .reset = debug_exit_reset,
};
DEVICE_REGISTER(debug_exit_info)
