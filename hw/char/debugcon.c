/* Debug console port ("isa-debugcon"): bytes written to one port go to a chardev. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "chardev/char.h"
#include "hw/isa/isa.h"
#include "hw/qdev.h"
#include "migration/vmstate.h"
#include "system/memory.h"

/*
 * Bochs' port 0xe9 hack: the guest writes characters to a port.  SeaBIOS
 * writes its log to 0x402 (QEMU's -debugcon default on the pc board).
 * Reading the port returns "readback" so guests can detect the device.
 */
typedef struct DebugconState {
    ISADevice parent;
    MemoryRegion io;
    CharBackend chr;
    uint32_t iobase;
    uint32_t readback;
} DebugconState;

static void debugcon_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    DebugconState *s = opaque;
    uint8_t ch = val;

    /*
     * Blocking write, as QEMU: a debug log must not lose bytes, and the
     * port has no status register to report a busy backend.
     */
    chr_fe_write_all(&s->chr, &ch, 1);
}

static uint64_t debugcon_read(void *opaque, hwaddr addr, unsigned size)
{
    DebugconState *s = opaque;

    return s->readback;
}

static const MemoryRegionOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void debugcon_realize(DeviceState *dev, Error **errp)
{
    DebugconState *s = (DebugconState *)dev;

    if (s->iobase > 0xffff) {
        error_setg(errp, "isa-debugcon: iobase 0x%x out of range", s->iobase);
        return;
    }
    memory_region_init_io(&s->io, dev, &debugcon_ops, s, "debugcon", 1);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, s->iobase);
}

static void debugcon_unrealize(DeviceState *dev)
{
    DebugconState *s = (DebugconState *)dev;

    memory_region_finalize(&s->io);
}

static void debugcon_reset(DeviceState *dev)
{
    /* no guest-visible state: the readback value is a property */
}

/* Nothing guest-controlled to save; an empty section keeps the tree whole */
static const VMStateField debugcon_vmstate_fields[] = {
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription debugcon_vmstate = {
    .name = "isa-debugcon",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = debugcon_vmstate_fields,
};

static const Property debugcon_props[] = {
    DEFINE_PROP_UINT32("iobase", DebugconState, iobase, 0xe9),
    DEFINE_PROP_CHR("chardev", DebugconState, chr),
    DEFINE_PROP_UINT32("readback", DebugconState, readback, 0xe9),
    DEFINE_PROP_END_OF_LIST(),
};

static const DeviceInfo debugcon_info = {
    .name = "isa-debugcon",
    .bus_type = BUS_TYPE_ISA,
    .category = "Misc devices",
    .instance_size = sizeof(DebugconState),
    .props = debugcon_props,
    .vmsd = &debugcon_vmstate,
    .user_creatable = true,
    .realize = debugcon_realize,
    .unrealize = debugcon_unrealize,
    .reset = debugcon_reset,
};
DEVICE_REGISTER(debugcon_info)
