/* PC speaker / system control port B ("isa-pcspk", port 0x61); no audio output. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "hw/timer/i8254.h"
#include "migration/vmstate.h"
#include "system/memory.h"

/*
 * Port 0x61 as the PIIX sees it:
 *   bit 0  R/W  PIT channel 2 gate
 *   bit 1  R/W  speaker data enable (ANDed with OUT2 to drive the speaker)
 *   bit 2  R/W  parity check enable (stored only)
 *   bit 3  R/W  I/O channel check enable (stored only)
 *   bit 4  R    refresh request: toggles every 15.085 us
 *   bit 5  R    PIT channel 2 OUT
 *   bit 6-7 R   channel check / parity error: never set here
 * BIOSes and old DOS programs time short delays by counting bit 4 toggles,
 * so it follows the virtual clock rather than toggling on every read.
 */
#define PCSPK_REFRESH_PERIOD_NS 15085
#define PCSPK_RW_BITS 0x0f

typedef struct PCSpkState {
    ISADevice parent;
    MemoryRegion io;
    bool io_mapped;
    DeviceState *pit;           /* link "pit" or pcspk_set_pit() */

    uint32_t iobase;

    uint8_t ctrl;               /* bits 0-3 as last written */
} PCSpkState;

void pcspk_set_pit(DeviceState *dev, DeviceState *pit)
{
    PCSpkState *s = (PCSpkState *)dev;

    s->pit = pit;
    if (pit) {
        pit_set_gate(pit, 2, s->ctrl & 1);
    }
}

static uint64_t pcspk_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PCSpkState *s = opaque;
    int64_t now = clock_get_ns(EMU_CLOCK_VIRTUAL);
    uint8_t val = s->ctrl & PCSPK_RW_BITS;

    if ((now / PCSPK_REFRESH_PERIOD_NS) & 1) {
        val |= 0x10;
    }
    if (s->pit && pit_get_out(s->pit, 2, now)) {
        val |= 0x20;
    }
    return val;
}

static void pcspk_ioport_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    PCSpkState *s = opaque;

    s->ctrl = val & PCSPK_RW_BITS;
    if (s->pit) {
        pit_set_gate(s->pit, 2, val & 1);
    }
}

static const MemoryRegionOps pcspk_io_ops = {
    .read = pcspk_ioport_read,
    .write = pcspk_ioport_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void pcspk_realize(DeviceState *dev, Error **errp)
{
    PCSpkState *s = (PCSpkState *)dev;

    if (s->iobase > 0xffff) {
        error_setg(errp, "iobase 0x%" PRIx32 " out of range", s->iobase);
        return;
    }
    if (s->pit && (!s->pit->info || strcmp(s->pit->info->name, TYPE_I8254))) {
        error_setg(errp, "pit link must name an %s device", TYPE_I8254);
        return;
    }
    memory_region_init_io(&s->io, dev, &pcspk_io_ops, s, "pcspk", 1);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, s->iobase);
    s->io_mapped = true;
}

static void pcspk_unrealize(DeviceState *dev)
{
    PCSpkState *s = (PCSpkState *)dev;

    if (s->io_mapped) {
        memory_region_del_subregion(isa_bus_of(ISA_DEVICE(dev))->
                                    address_space_io, &s->io);
        s->io_mapped = false;
    }
}

static void pcspk_reset(DeviceState *dev)
{
    PCSpkState *s = (PCSpkState *)dev;

    s->ctrl = 0;
    /* The PIT's own reset already drops gate 2; nothing else to tell it */
}

static int pcspk_post_load(void *opaque, int version_id)
{
    PCSpkState *s = opaque;

    s->ctrl &= PCSPK_RW_BITS;
    return 0;
}

static const VMStateField pcspk_vmstate_fields[] = {
    VMSTATE_UINT8(ctrl, PCSpkState),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription pcspk_vmstate = {
    .name = "pcspk",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = pcspk_post_load,
    .fields = pcspk_vmstate_fields,
};

static const Property pcspk_props[] = {
    DEFINE_PROP_UINT32("iobase", PCSpkState, iobase, 0x61),
    { .name = "pit", .type = PROP_LINK, .offset = offsetof(PCSpkState, pit),
      .type_name = "link<" TYPE_I8254 ">" },
    DEFINE_PROP_END_OF_LIST()
};

static const DeviceInfo pcspk_info = {
    .name = TYPE_PCSPK,
    .desc = "PC speaker",
    .bus_type = BUS_TYPE_ISA,
    .category = "Sound devices",
    .instance_size = sizeof(PCSpkState),
    .props = pcspk_props,
    .vmsd = &pcspk_vmstate,
    .user_creatable = false,
    .realize = pcspk_realize,
    .unrealize = pcspk_unrealize,
    .reset = pcspk_reset,
};

DEVICE_REGISTER(pcspk_info)
