/* emu-testdev: a small MMIO/PIO device with IRQ, timer and DMA, for qtest. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "hw/irq.h"
#include "hw/qdev.h"
#include "migration/vmstate.h"
#include "system/memory.h"

/*
 * Register map (MMIO, 32-bit little-endian registers; 1..8 byte accesses
 * are split or widened by the memory core):
 *
 *   0x00 ID        read-only 0x454d5554 ("EMUT")
 *   0x04 SCRATCH   read/write
 *   0x08 IRQCTL    write 1 raises gpio-out 0, 0 lowers; reads the level
 *   0x0c COUNTER   every read returns the next value (0, 1, 2, ...)
 *   0x10 TIMER     write N: raise the IRQ after N ns of virtual time
 *                  (0 cancels); reads the ns left, 0 when idle
 *   0x14 DMACMD    write 1: copy DMALEN bytes from DMASRC to DMADST
 *   0x18 DMASRC    64-bit, low half at 0x18, high half at 0x1c
 *   0x20 DMADST    64-bit, low half at 0x20, high half at 0x24
 *   0x28 DMALEN    at most TESTDEV_DMA_MAX bytes
 *   0x2c STATUS    1 after a failed DMA; any write clears it
 *   0x30 INPUT     read-only level of unnamed gpio-in line 0 (so that
 *                  qtest's set_irq_in/irq_intercept_in have a target)
 *
 * Port I/O (4 ports at iobase): +0 byte scratch, +1 read-only ID 0x5a.
 */

#define TESTDEV_ID          0x454d5554u
#define TESTDEV_PIO_ID      0x5a
#define TESTDEV_MMIO_SIZE   0x100
#define TESTDEV_PIO_SIZE    4
#define TESTDEV_DMA_MAX     (1 * MiB)
#define TESTDEV_NO_ADDR     UINT64_MAX
#define TESTDEV_NO_IOBASE   0xffffffffu

enum {
    REG_ID = 0x00,
    REG_SCRATCH = 0x04,
    REG_IRQCTL = 0x08,
    REG_COUNTER = 0x0c,
    REG_TIMER = 0x10,
    REG_DMACMD = 0x14,
    REG_DMASRC_LO = 0x18,
    REG_DMASRC_HI = 0x1c,
    REG_DMADST_LO = 0x20,
    REG_DMADST_HI = 0x24,
    REG_DMALEN = 0x28,
    REG_STATUS = 0x2c,
    REG_INPUT = 0x30,
};

typedef struct TestDevState {
    SysBusDevice parent;
    MemoryRegion mmio;
    MemoryRegion pio;
    bool pio_mapped;
    bool dma_busy;              /* a DMA may target our own registers */
    EmuTimer *timer;
    IRQLine irq;

    /* properties */
    uint64_t addr;
    uint32_t iobase;

    /* guest-visible state */
    uint32_t scratch;
    uint32_t irq_level;
    uint32_t counter;
    uint64_t dma_src;
    uint64_t dma_dst;
    uint32_t dma_len;
    uint32_t status;
    uint32_t input_level;
    uint8_t pio_scratch;
    /* timer deadline in virtual ns, -1 when idle (kept for migration) */
    int64_t timer_deadline;
} TestDevState;

static void testdev_set_irq(TestDevState *s, bool level)
{
    s->irq_level = level;
    irq_set(&s->irq, level);
}

static void testdev_timer_cb(void *opaque)
{
    TestDevState *s = opaque;

    s->timer_deadline = -1;
    testdev_set_irq(s, true);
}

static void testdev_do_dma(TestDevState *s)
{
    uint8_t *buf;

    if (s->dma_busy) {
        emu_log_mask(LOG_GUEST_ERROR, "emu-testdev: DMA started from "
                     "within a DMA\n");
        s->status = 1;
        return;
    }
    if (s->dma_len > TESTDEV_DMA_MAX) {
        emu_log_mask(LOG_GUEST_ERROR, "emu-testdev: DMA length %u exceeds "
                     "%llu\n", s->dma_len, (unsigned long long)TESTDEV_DMA_MAX);
        s->status = 1;
        return;
    }
    if (!dma_memory_valid(&address_space_memory, s->dma_src, s->dma_len,
                          false) ||
        !dma_memory_valid(&address_space_memory, s->dma_dst, s->dma_len,
                          true)) {
        emu_log_mask(LOG_GUEST_ERROR, "emu-testdev: bad DMA 0x%" PRIx64
                     " -> 0x%" PRIx64 " len %u\n",
                     s->dma_src, s->dma_dst, s->dma_len);
        s->status = 1;
        return;
    }
    /* Through a bounce buffer, so overlapping ranges act like memmove */
    buf = emu_malloc(s->dma_len ? s->dma_len : 1);
    s->dma_busy = true;
    if (dma_memory_read(&address_space_memory, s->dma_src, buf,
                        s->dma_len) != MEMTX_OK ||
        dma_memory_write(&address_space_memory, s->dma_dst, buf,
                         s->dma_len) != MEMTX_OK) {
        emu_log_mask(LOG_GUEST_ERROR, "emu-testdev: DMA transfer failed\n");
        s->status = 1;
    } else {
        s->status = 0;
    }
    s->dma_busy = false;
    free(buf);
}

static uint64_t testdev_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    TestDevState *s = opaque;
    int64_t left;

    switch (addr) {
    case REG_ID:
        return TESTDEV_ID;
    case REG_SCRATCH:
        return s->scratch;
    case REG_IRQCTL:
        return s->irq_level;
    case REG_COUNTER:
        return s->counter++;
    case REG_TIMER:
        if (s->timer_deadline < 0) {
            return 0;
        }
        left = s->timer_deadline - clock_get_ns(EMU_CLOCK_VIRTUAL);
        return left <= 0 ? 0 : (uint64_t)MIN(left, (int64_t)UINT32_MAX);
    case REG_DMACMD:
        return 0;
    case REG_DMASRC_LO:
        return (uint32_t)s->dma_src;
    case REG_DMASRC_HI:
        return s->dma_src >> 32;
    case REG_DMADST_LO:
        return (uint32_t)s->dma_dst;
    case REG_DMADST_HI:
        return s->dma_dst >> 32;
    case REG_DMALEN:
        return s->dma_len;
    case REG_STATUS:
        return s->status;
    case REG_INPUT:
        return s->input_level;
    default:
        emu_log_mask(LOG_GUEST_ERROR, "emu-testdev: read of unknown "
                     "register 0x%" HWADDR_PRIx "\n", addr);
        return 0;
    }
}

static void testdev_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    TestDevState *s = opaque;
    uint32_t v = val;

    switch (addr) {
    case REG_ID:
        emu_log_mask(LOG_GUEST_ERROR, "emu-testdev: write to read-only "
                     "ID register\n");
        break;
    case REG_SCRATCH:
        s->scratch = v;
        break;
    case REG_IRQCTL:
        testdev_set_irq(s, v & 1);
        break;
    case REG_COUNTER:
        s->counter = v;
        break;
    case REG_TIMER:
        if (v == 0) {
            timer_del(s->timer);
            s->timer_deadline = -1;
        } else {
            s->timer_deadline = clock_get_ns(EMU_CLOCK_VIRTUAL) + v;
            timer_mod(s->timer, s->timer_deadline);
        }
        break;
    case REG_DMACMD:
        if (v == 1) {
            testdev_do_dma(s);
        } else {
            emu_log_mask(LOG_GUEST_ERROR, "emu-testdev: unknown DMA "
                         "command %u\n", v);
        }
        break;
    case REG_DMASRC_LO:
        s->dma_src = (s->dma_src & ~0xffffffffULL) | v;
        break;
    case REG_DMASRC_HI:
        s->dma_src = (s->dma_src & 0xffffffffULL) | (uint64_t)v << 32;
        break;
    case REG_DMADST_LO:
        s->dma_dst = (s->dma_dst & ~0xffffffffULL) | v;
        break;
    case REG_DMADST_HI:
        s->dma_dst = (s->dma_dst & 0xffffffffULL) | (uint64_t)v << 32;
        break;
    case REG_DMALEN:
        s->dma_len = v;
        break;
    case REG_STATUS:
        s->status = 0;
        break;
    default:
        emu_log_mask(LOG_GUEST_ERROR, "emu-testdev: write of unknown "
                     "register 0x%" HWADDR_PRIx "\n", addr);
        break;
    }
}

static const MemoryRegionOps testdev_mmio_ops = {
    .read = testdev_mmio_read,
    .write = testdev_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static uint64_t testdev_pio_read(void *opaque, hwaddr addr, unsigned size)
{
    TestDevState *s = opaque;

    switch (addr) {
    case 0:
        return s->pio_scratch;
    case 1:
        return TESTDEV_PIO_ID;
    default:
        return 0;
    }
}

static void testdev_pio_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    TestDevState *s = opaque;

    if (addr == 0) {
        s->pio_scratch = val;
    } else {
        emu_log_mask(LOG_GUEST_ERROR, "emu-testdev: write to read-only "
                     "port +%" HWADDR_PRIx "\n", addr);
    }
}

static const MemoryRegionOps testdev_pio_ops = {
    .read = testdev_pio_read,
    .write = testdev_pio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void testdev_gpio_in(void *opaque, int n, int level)
{
    TestDevState *s = opaque;

    if (n == 0) {
        s->input_level = level != 0;
    }
}

static void testdev_realize(DeviceState *dev, Error **errp)
{
    TestDevState *s = (TestDevState *)dev;
    SysBusDevice *sbd = SYS_BUS_DEVICE(dev);

    if (s->addr != TESTDEV_NO_ADDR &&
        s->addr > UINT64_MAX - TESTDEV_MMIO_SIZE + 1) {
        error_setg(errp, "addr 0x%" PRIx64 " out of range",
                   s->addr);
        return;
    }
    if (s->iobase != TESTDEV_NO_IOBASE &&
        s->iobase > 0x10000 - TESTDEV_PIO_SIZE) {
        error_setg(errp, "iobase 0x%" PRIx32 " out of range",
                   s->iobase);
        return;
    }

    memory_region_init_io(&s->mmio, dev, &testdev_mmio_ops, s,
                          "emu-testdev", TESTDEV_MMIO_SIZE);
    sysbus_init_mmio(sbd, &s->mmio);
    if (s->addr != TESTDEV_NO_ADDR) {
        sysbus_mmio_map(sbd, 0, s->addr);
    }

    memory_region_init_io(&s->pio, dev, &testdev_pio_ops, s,
                          "emu-testdev-pio", TESTDEV_PIO_SIZE);
    if (s->iobase != TESTDEV_NO_IOBASE) {
        memory_region_add_subregion(get_system_io(), s->iobase, &s->pio);
        s->pio_mapped = true;
    }

    qdev_init_gpio_out(dev, &s->irq, 1);
    qdev_init_gpio_in(dev, testdev_gpio_in, 1);
    s->timer = timer_new_ns(EMU_CLOCK_VIRTUAL, testdev_timer_cb, s);
    s->timer_deadline = -1;
}

static void testdev_unrealize(DeviceState *dev)
{
    TestDevState *s = (TestDevState *)dev;

    timer_free(s->timer);
    s->timer = NULL;
    if (s->pio_mapped) {
        memory_region_del_subregion(get_system_io(), &s->pio);
        s->pio_mapped = false;
    }
    if (s->addr != TESTDEV_NO_ADDR) {
        memory_region_del_subregion(get_system_memory(), &s->mmio);
    }
}

static void testdev_reset(DeviceState *dev)
{
    TestDevState *s = (TestDevState *)dev;

    s->scratch = 0;
    s->counter = 0;
    s->status = 0;
    s->pio_scratch = 0;
    s->dma_src = s->dma_dst = 0;
    s->dma_len = 0;
    if (s->timer) {
        timer_del(s->timer);
    }
    s->timer_deadline = -1;
    testdev_set_irq(s, false);
}

static int testdev_post_load(void *opaque, int version_id)
{
    TestDevState *s = opaque;

    if (s->irq_level > 1 || s->input_level > 1 || s->timer_deadline < -1) {
        return -EINVAL;
    }
    irq_set(&s->irq, s->irq_level);
    if (s->timer_deadline >= 0) {
        timer_mod(s->timer, s->timer_deadline);
    } else {
        timer_del(s->timer);
    }
    return 0;
}

static const VMStateField testdev_vmstate_fields[] = {
    VMSTATE_UINT32(scratch, TestDevState),
    VMSTATE_UINT32(irq_level, TestDevState),
    VMSTATE_UINT32(counter, TestDevState),
    VMSTATE_UINT64(dma_src, TestDevState),
    VMSTATE_UINT64(dma_dst, TestDevState),
    VMSTATE_UINT32(dma_len, TestDevState),
    VMSTATE_UINT32(status, TestDevState),
    VMSTATE_UINT32(input_level, TestDevState),
    VMSTATE_UINT8(pio_scratch, TestDevState),
    VMSTATE_INT64(timer_deadline, TestDevState),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription testdev_vmstate = {
    .name = "emu-testdev",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = testdev_post_load,
    .fields = testdev_vmstate_fields,
};

static const Property testdev_props[] = {
    DEFINE_PROP_UINT64("addr", TestDevState, addr, 0xfe000000),
    DEFINE_PROP_UINT32("iobase", TestDevState, iobase, 0xe0),
    DEFINE_PROP_END_OF_LIST()
};

static const DeviceInfo testdev_info = {
    .name = "emu-testdev",
    .desc = "emu test device (registers, IRQ, timer, DMA) for qtest",
    .bus_type = BUS_TYPE_SYSTEM,
    .category = "Misc devices",
    .instance_size = sizeof(TestDevState),
    .props = testdev_props,
    .vmsd = &testdev_vmstate,
    .user_creatable = true,
    .realize = testdev_realize,
    .unrealize = testdev_unrealize,
    .reset = testdev_reset,
};

DEVICE_REGISTER(testdev_info)
