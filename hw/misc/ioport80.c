/* Port 0x80: the POST-code / I/O-delay port, a sink that reads as all-ones. */
#include "emu/osdep.h"
#include "hw/misc/ioport80.h"

/*
 * Nothing decodes a read of port 0x80 on a PC, so it floats high; QEMU
 * returns all-ones as well.  Writes (POST codes, outb_p delays) vanish.
 */
static uint64_t ioport80_read(void *opaque, hwaddr addr, unsigned size)
{
    return UINT64_MAX;
}

static void ioport80_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
}

static const MemoryRegionOps ioport80_ops = {
    .read = ioport80_read,
    .write = ioport80_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

void ioport80_init(MemoryRegion *io)
{
    /* lives as long as the machine: never unmapped */
    MemoryRegion *mr = emu_new0(MemoryRegion, 1);

    memory_region_init_io(mr, NULL, &ioport80_ops, NULL, "ioport80", 1);
    memory_region_add_subregion(io, 0x80, mr);
}
