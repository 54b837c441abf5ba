/* Unit tests for the memory API: flattening, dispatch, dirty bits, DMA. */
#include "emu/osdep.h"
#include "system/memory.h"

#include <pthread.h>
#include <setjmp.h>
#include <cmocka.h>

/* ------------------------------------------------------------------ */
/* A test device that records every callback                           */

typedef struct IoCall {
    bool is_write;
    hwaddr addr;
    uint64_t val;
    unsigned size;
} IoCall;

typedef struct TestDev {
    uint8_t regs[64];       /* little-endian register file */
    IoCall calls[32];
    unsigned ncalls;
    uint64_t fixed_read;    /* when nonzero, every read returns this */
} TestDev;

static void record(TestDev *d, bool is_write, hwaddr addr, uint64_t val,
                   unsigned size)
{
    if (d->ncalls < ARRAY_SIZE(d->calls)) {
        d->calls[d->ncalls++] = (IoCall) { is_write, addr, val, size };
    }
}

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    TestDev *d = opaque;
    uint64_t v = 0;
    unsigned i;

    if (d->fixed_read) {
        v = d->fixed_read;
    } else {
        for (i = 0; i < size && addr + i < sizeof(d->regs); i++) {
            v |= (uint64_t)d->regs[addr + i] << (8 * i);
        }
    }
    record(d, false, addr, v, size);
    return v;
}

static void dev_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    TestDev *d = opaque;
    unsigned i;

    record(d, true, addr, val, size);
    for (i = 0; i < size && addr + i < sizeof(d->regs); i++) {
        d->regs[addr + i] = val >> (8 * i);
    }
}

static const MemoryRegionOps le_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

static const MemoryRegionOps split_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static const MemoryRegionOps split_be_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static const MemoryRegionOps widen_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static bool reject_offset_8(void *opaque, hwaddr addr, unsigned size,
                            bool is_write)
{
    return !(is_write && addr == 8);
}

static const MemoryRegionOps strict_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4,
               .accepts = reject_offset_8 },
};

static const MemoryRegionOps be_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_BIG_ENDIAN,
};

/* ------------------------------------------------------------------ */
/* Per-test address space                                              */

typedef struct Fixture {
    MemoryRegion root;
    AddressSpace as;
} Fixture;

static int fixture_setup(void **state)
{
    Fixture *f = emu_new0(Fixture, 1);

    memory_region_init(&f->root, NULL, "root", UINT64_MAX);
    address_space_init(&f->as, &f->root, "test");
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    Fixture *f = *state;

    address_space_destroy(&f->as);
    memory_region_finalize(&f->root);
    free(f);
    return 0;
}

static FlatView *view(Fixture *f)
{
    return address_space_to_flatview(&f->as);
}

static void check_range(const FlatRange *fr, MemoryRegion *mr, hwaddr start,
                        uint64_t size, hwaddr offset)
{
    assert_non_null(fr);
    assert_ptr_equal(fr->mr, mr);
    assert_int_equal(fr->start, start);
    assert_int_equal(fr->size, size);
    assert_int_equal(fr->offset_in_region, offset);
}

/* ------------------------------------------------------------------ */
/* Flattening                                                          */

static void test_container_basic(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram_a, ram_b, box;
    uint8_t buf[8];
    FlatView *fv;

    assert_true(memory_region_init_ram(&ram_a, NULL, "a", 0x1000, NULL));
    assert_true(memory_region_init_ram(&ram_b, NULL, "b", 0x2000, NULL));
    memory_region_init(&box, NULL, "box", 0x10000);
    memory_region_add_subregion(&box, 0x0, &ram_a);
    memory_region_add_subregion(&box, 0x4000, &ram_b);
    memory_region_add_subregion(&f->root, 0x100000, &box);

    fv = view(f);
    assert_int_equal(fv->nr, 2);
    check_range(&fv->ranges[0], &ram_a, 0x100000, 0x1000, 0);
    check_range(&fv->ranges[1], &ram_b, 0x104000, 0x2000, 0);
    assert_null(flatview_lookup(fv, 0x101000));
    assert_ptr_equal(flatview_lookup(fv, 0x105fff)->mr, &ram_b);

    memcpy(buf, "abcdefgh", 8);
    assert_int_equal(address_space_write(&f->as, 0x104ff8, buf, 8), MEMTX_OK);
    assert_memory_equal((uint8_t *)memory_region_get_ram_ptr(&ram_b) + 0xff8,
                        "abcdefgh", 8);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(address_space_read(&f->as, 0x104ff8, buf, 8), MEMTX_OK);
    assert_memory_equal(buf, "abcdefgh", 8);

    /* Moving the container moves everything inside */
    memory_region_set_address(&box, 0x200000);
    fv = view(f);
    assert_int_equal(fv->nr, 2);
    check_range(&fv->ranges[0], &ram_a, 0x200000, 0x1000, 0);

    /* A container clips its children to its own size */
    memory_region_set_size(&box, 0x5000);
    fv = view(f);
    assert_int_equal(fv->nr, 2);
    check_range(&fv->ranges[1], &ram_b, 0x204000, 0x1000, 0);

    memory_region_finalize(&box);
    assert_int_equal(view(f)->nr, 0);
    memory_region_finalize(&ram_a);
    memory_region_finalize(&ram_b);
}

static void test_priority(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram, io;
    TestDev dev = { 0 };
    FlatView *fv;
    uint8_t b;

    assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    memory_region_init_io(&io, NULL, &le_ops, &dev, "io", 0x1000);
    memory_region_add_subregion(&f->root, 0, &ram);
    memory_region_add_subregion_overlap(&f->root, 0x2000, &io, 1);

    fv = view(f);
    assert_int_equal(fv->nr, 3);
    check_range(&fv->ranges[0], &ram, 0, 0x2000, 0);
    check_range(&fv->ranges[1], &io, 0x2000, 0x1000, 0);
    check_range(&fv->ranges[2], &ram, 0x3000, 0xd000, 0x3000);

    dev.regs[0x10] = 0x5a;
    assert_int_equal(address_space_read(&f->as, 0x2010, &b, 1), MEMTX_OK);
    assert_int_equal(b, 0x5a);
    assert_int_equal(dev.ncalls, 1);

    /* Removing the higher-priority region reveals the RAM beneath */
    memory_region_del_subregion(&f->root, &io);
    fv = view(f);
    assert_int_equal(fv->nr, 1);
    check_range(&fv->ranges[0], &ram, 0, 0x10000, 0);
    ((uint8_t *)memory_region_get_ram_ptr(&ram))[0x2010] = 0x33;
    assert_int_equal(address_space_read(&f->as, 0x2010, &b, 1), MEMTX_OK);
    assert_int_equal(b, 0x33);
    assert_int_equal(dev.ncalls, 1);

    /* A lower priority does not hide what is already there */
    memory_region_add_subregion_overlap(&f->root, 0x2000, &io, -1);
    fv = view(f);
    assert_int_equal(fv->nr, 1);
    assert_ptr_equal(fv->ranges[0].mr, &ram);

    memory_region_finalize(&io);
    memory_region_finalize(&ram);
}

static void test_equal_priority_later_wins(void **state)
{
    Fixture *f = *state;
    MemoryRegion first, second;
    uint8_t m1[0x100], m2[0x100];
    FlatView *fv;

    memory_region_init_ram_ptr(&first, NULL, "first", sizeof(m1), m1);
    memory_region_init_ram_ptr(&second, NULL, "second", sizeof(m2), m2);
    memory_region_add_subregion_overlap(&f->root, 0x1000, &first, 0);
    memory_region_add_subregion_overlap(&f->root, 0x1080, &second, 0);

    fv = view(f);
    assert_int_equal(fv->nr, 2);
    check_range(&fv->ranges[0], &first, 0x1000, 0x80, 0);
    check_range(&fv->ranges[1], &second, 0x1080, 0x100, 0);

    memory_region_finalize(&first);
    memory_region_finalize(&second);
}

static void test_container_holes_show_lower(void **state)
{
    Fixture *f = *state;
    MemoryRegion low, box, inner;
    uint8_t m1[0x1000], m2[0x100];
    FlatView *fv;

    memory_region_init_ram_ptr(&low, NULL, "low", sizeof(m1), m1);
    memory_region_init(&box, NULL, "box", 0x1000);
    memory_region_init_ram_ptr(&inner, NULL, "inner", sizeof(m2), m2);
    memory_region_add_subregion(&box, 0x200, &inner);
    memory_region_add_subregion(&f->root, 0, &low);
    memory_region_add_subregion_overlap(&f->root, 0, &box, 5);

    /* Only the part of box holding a region hides the low priority one */
    fv = view(f);
    assert_int_equal(fv->nr, 3);
    check_range(&fv->ranges[0], &low, 0, 0x200, 0);
    check_range(&fv->ranges[1], &inner, 0x200, 0x100, 0);
    check_range(&fv->ranges[2], &low, 0x300, 0xd00, 0x300);

    memory_region_finalize(&box);
    memory_region_finalize(&inner);
    memory_region_finalize(&low);
}

static void test_alias(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram, window, window2, io, io_alias;
    TestDev dev = { 0 };
    uint8_t *host;
    uint32_t v = 0x12345678;
    FlatView *fv;

    assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    host = memory_region_get_ram_ptr(&ram);
    /* Partial window: bytes 0x3000..0x3fff of ram at 0x80000 */
    memory_region_init_alias(&window, NULL, "window", &ram, 0x3000, 0x1000);
    memory_region_add_subregion(&f->root, 0x80000, &window);
    /* An alias of an alias: 0x100 bytes from 0x3800 of ram */
    memory_region_init_alias(&window2, NULL, "window2", &window, 0x800,
                             0x100);
    memory_region_add_subregion(&f->root, 0x90000, &window2);

    fv = view(f);
    assert_int_equal(fv->nr, 2);
    check_range(&fv->ranges[0], &ram, 0x80000, 0x1000, 0x3000);
    check_range(&fv->ranges[1], &ram, 0x90000, 0x100, 0x3800);

    assert_int_equal(address_space_write(&f->as, 0x80010, &v, 4), MEMTX_OK);
    assert_memory_equal(host + 0x3010, &v, 4);
    host[0x3820] = 0x99;
    assert_int_equal(address_space_ldub(&f->as, 0x90020, NULL), 0x99);
    assert_ptr_equal(memory_region_get_ram_ptr(&window2), host + 0x3800);
    assert_int_equal(memory_region_get_ram_addr(&window2),
                     memory_region_get_ram_addr(&ram) + 0x3800);

    /* Moving the window's offset changes the view */
    memory_region_set_alias_offset(&window, 0x4000);
    check_range(&view(f)->ranges[0], &ram, 0x80000, 0x1000, 0x4000);
    check_range(&view(f)->ranges[1], &ram, 0x90000, 0x100, 0x4800);

    /* Aliasing into an I/O region: the device sees target offsets */
    memory_region_init_io(&io, NULL, &le_ops, &dev, "dev", 0x40);
    memory_region_init_alias(&io_alias, NULL, "dev-alias", &io, 0x10, 0x10);
    memory_region_add_subregion(&f->root, 0xa0000, &io_alias);
    address_space_stl_le(&f->as, 0xa0004, 0xcafef00d, NULL);
    assert_int_equal(dev.ncalls, 1);
    assert_int_equal(dev.calls[0].addr, 0x14);
    assert_int_equal(dev.calls[0].val, 0xcafef00d);
    assert_int_equal(dev.calls[0].size, 4);

    memory_region_finalize(&io_alias);
    memory_region_finalize(&io);
    memory_region_finalize(&window2);
    memory_region_finalize(&window);
    memory_region_finalize(&ram);
}

static void test_disabled(void **state)
{
    Fixture *f = *state;
    MemoryRegion low, high;
    uint8_t m1[0x100], m2[0x100];
    FlatView *fv;

    memory_region_init_ram_ptr(&low, NULL, "low", sizeof(m1), m1);
    memory_region_init_ram_ptr(&high, NULL, "high", sizeof(m2), m2);
    memory_region_add_subregion(&f->root, 0, &low);
    memory_region_add_subregion_overlap(&f->root, 0, &high, 1);
    assert_ptr_equal(view(f)->ranges[0].mr, &high);

    memory_region_set_enabled(&high, false);
    fv = view(f);
    assert_int_equal(fv->nr, 1);
    assert_ptr_equal(fv->ranges[0].mr, &low);

    memory_region_set_enabled(&low, false);
    assert_int_equal(view(f)->nr, 0);

    memory_region_set_enabled(&high, true);
    assert_ptr_equal(view(f)->ranges[0].mr, &high);

    memory_region_finalize(&high);
    memory_region_finalize(&low);
}

static void test_top_of_address_space(void **state)
{
    Fixture *f = *state;
    MemoryRegion top, everything;
    TestDev dev = { 0 };
    FlatView *fv;
    uint8_t buf[8];
    uint64_t v;

    memory_region_init_io(&top, NULL, &le_ops, &dev, "top", 0x1000);
    memory_region_add_subregion(&f->root, 0xfffffffffffff000ULL, &top);
    fv = view(f);
    assert_int_equal(fv->nr, 1);
    check_range(&fv->ranges[0], &top, 0xfffffffffffff000ULL, 0x1000, 0);

    assert_int_equal(address_space_load(&f->as, UINT64_MAX - 3, 4, false,
                                        &v), MEMTX_OK);
    assert_int_equal(dev.calls[0].addr, 0xffc);

    /* Past 2^64 there is nothing: no wrap-around to address 0 */
    memset(buf, 0, sizeof(buf));
    assert_int_equal(address_space_read(&f->as, UINT64_MAX - 3, buf, 8),
                     MEMTX_DECODE_ERROR);
    assert_int_equal(buf[4], 0xff);

    /* A region spanning all 2^64 bytes */
    memory_region_init_io(&everything, NULL, &le_ops, &dev, "everything",
                          UINT64_MAX);
    memory_region_add_subregion_overlap(&f->root, 0, &everything, -1);
    fv = view(f);
    assert_int_equal(fv->nr, 2);
    check_range(&fv->ranges[0], &everything, 0, 0xfffffffffffff000ULL, 0);
    check_range(&fv->ranges[1], &top, 0xfffffffffffff000ULL, 0x1000, 0);
    dev.ncalls = 0;
    address_space_ldub(&f->as, 0x8000000000000010ULL, NULL);
    assert_int_equal(dev.calls[0].addr, 0x8000000000000010ULL);

    /* 2^64 bytes do not fit a FlatRange: the view holds two halves */
    memory_region_del_subregion(&f->root, &top);
    fv = view(f);
    assert_int_equal(fv->nr, 2);
    check_range(&fv->ranges[0], &everything, 0, 1ULL << 63, 0);
    check_range(&fv->ranges[1], &everything, 1ULL << 63, 1ULL << 63,
                1ULL << 63);
    assert_int_equal(address_space_ldub(&f->as, UINT64_MAX, NULL), 0);

    memory_region_finalize(&everything);
    memory_region_finalize(&top);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */

static void test_io_offsets(void **state)
{
    Fixture *f = *state;
    MemoryRegion io;
    TestDev dev = { 0 };
    MemTxResult r;
    uint16_t w;

    memory_region_init_io(&io, NULL, &le_ops, &dev, "dev", 0x40);
    memory_region_add_subregion(&f->root, 0x1000, &io);
    dev.regs[4] = 0x34;
    dev.regs[5] = 0x12;
    w = address_space_lduw_le(&f->as, 0x1004, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(w, 0x1234);
    assert_int_equal(dev.ncalls, 1);
    assert_false(dev.calls[0].is_write);
    assert_int_equal(dev.calls[0].addr, 4);
    assert_int_equal(dev.calls[0].size, 2);

    address_space_stb(&f->as, 0x103f, 0x77, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(dev.calls[1].addr, 0x3f);
    assert_int_equal(dev.regs[0x3f], 0x77);

    /* A buffer access uses the widest aligned accesses allowed */
    {
        uint8_t buf[14] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
        dev.ncalls = 0;
        assert_int_equal(address_space_write(&f->as, 0x1002, buf, 14),
                         MEMTX_OK);
        assert_int_equal(dev.ncalls, 3);
        assert_int_equal(dev.calls[0].addr, 2);
        assert_int_equal(dev.calls[0].size, 2);
        assert_int_equal(dev.calls[1].addr, 4);
        assert_int_equal(dev.calls[1].size, 4);
        assert_int_equal(dev.calls[2].addr, 8);
        assert_int_equal(dev.calls[2].size, 8);
        assert_int_equal(dev.calls[2].val, 0x0e0d0c0b0a090807ULL);
        assert_memory_equal(dev.regs + 2, buf, 14);
    }

    memory_region_finalize(&io);
}

static void test_split_access(void **state)
{
    Fixture *f = *state;
    MemoryRegion io, io_be;
    TestDev dev = { 0 }, dev_be = { 0 };
    MemTxResult r;
    uint64_t v;

    memory_region_init_io(&io, NULL, &split_ops, &dev, "split", 0x20);
    memory_region_add_subregion(&f->root, 0x1000, &io);

    address_space_stq_le(&f->as, 0x1008, 0x1122334455667788ULL, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(dev.ncalls, 2);
    assert_true(dev.calls[0].is_write);
    assert_int_equal(dev.calls[0].addr, 8);
    assert_int_equal(dev.calls[0].size, 4);
    assert_int_equal(dev.calls[0].val, 0x55667788);
    assert_int_equal(dev.calls[1].addr, 12);
    assert_int_equal(dev.calls[1].size, 4);
    assert_int_equal(dev.calls[1].val, 0x11223344);

    dev.ncalls = 0;
    v = address_space_ldq_le(&f->as, 0x1008, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(v, 0x1122334455667788ULL);
    assert_int_equal(dev.ncalls, 2);
    assert_int_equal(dev.calls[0].addr, 8);
    assert_int_equal(dev.calls[1].addr, 12);

    /* Big-endian device: the first word holds the most significant half */
    memory_region_init_io(&io_be, NULL, &split_be_ops, &dev_be, "split-be",
                          0x20);
    memory_region_add_subregion(&f->root, 0x2000, &io_be);
    assert_int_equal(address_space_store(&f->as, 0x2000, 8, true,
                                         0x1122334455667788ULL), MEMTX_OK);
    assert_int_equal(dev_be.ncalls, 2);
    assert_int_equal(dev_be.calls[0].addr, 0);
    assert_int_equal(dev_be.calls[0].val, 0x11223344);
    assert_int_equal(dev_be.calls[1].addr, 4);
    assert_int_equal(dev_be.calls[1].val, 0x55667788);

    memory_region_finalize(&io_be);
    memory_region_finalize(&io);
}

static void test_widen_access(void **state)
{
    Fixture *f = *state;
    MemoryRegion io;
    TestDev dev = { 0 };
    MemTxResult r;

    memory_region_init_io(&io, NULL, &widen_ops, &dev, "widen", 0x10);
    memory_region_add_subregion(&f->root, 0x1000, &io);
    dev.regs[0] = 0x11;
    dev.regs[1] = 0x22;
    dev.regs[2] = 0x33;
    dev.regs[3] = 0x44;

    /* A byte write becomes read-modify-write of the aligned word */
    address_space_stb(&f->as, 0x1001, 0xab, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(dev.ncalls, 2);
    assert_false(dev.calls[0].is_write);
    assert_int_equal(dev.calls[0].addr, 0);
    assert_int_equal(dev.calls[0].size, 4);
    assert_true(dev.calls[1].is_write);
    assert_int_equal(dev.calls[1].addr, 0);
    assert_int_equal(dev.calls[1].size, 4);
    assert_int_equal(dev.calls[1].val, 0x4433ab11);

    /* A byte read widens to the word and extracts the byte */
    dev.ncalls = 0;
    assert_int_equal(address_space_ldub(&f->as, 0x1002, &r), 0x33);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(dev.ncalls, 1);
    assert_int_equal(dev.calls[0].addr, 0);
    assert_int_equal(dev.calls[0].size, 4);

    /* 16-bit read at offset 2 of the word */
    assert_int_equal(address_space_lduw_le(&f->as, 0x1002, &r), 0x4433);

    memory_region_finalize(&io);
}

static void test_valid_rejects(void **state)
{
    Fixture *f = *state;
    MemoryRegion io;
    TestDev dev = { 0 };
    MemTxResult r;
    uint8_t b;

    memory_region_init_io(&io, NULL, &strict_ops, &dev, "strict", 0x10);
    memory_region_add_subregion(&f->root, 0x1000, &io);

    /* Too small */
    assert_int_equal(address_space_ldub(&f->as, 0x1000, &r), 0xff);
    assert_int_equal(r, MEMTX_ERROR);
    /* Too large */
    assert_int_equal(address_space_ldq_le(&f->as, 0x1000, &r), UINT64_MAX);
    assert_int_equal(r, MEMTX_ERROR);
    /* Unaligned */
    assert_int_equal(address_space_ldl_le(&f->as, 0x1002, &r), 0xffffffff);
    assert_int_equal(r, MEMTX_ERROR);
    /* Refused by the device's accepts() */
    address_space_stl_le(&f->as, 0x1008, 1, &r);
    assert_int_equal(r, MEMTX_ERROR);
    /* Byte buffers cannot reach a 4-byte-only register with 1 byte */
    assert_int_equal(address_space_read(&f->as, 0x1000, &b, 1), MEMTX_ERROR);
    assert_int_equal(b, 0xff);
    assert_int_equal(dev.ncalls, 0);

    /* A proper access goes through */
    address_space_stl_le(&f->as, 0x1004, 0xdeadbeef, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(dev.ncalls, 1);

    memory_region_finalize(&io);
}

static void test_endianness(void **state)
{
    Fixture *f = *state;
    MemoryRegion io_be, io_le;
    TestDev dev_be = { .fixed_read = 0x11223344 };
    TestDev dev_le = { .fixed_read = 0x11223344 };
    uint8_t buf[4];
    uint64_t v;

    memory_region_init_io(&io_be, NULL, &be_ops, &dev_be, "be", 0x10);
    memory_region_init_io(&io_le, NULL, &le_ops, &dev_le, "le", 0x10);
    memory_region_add_subregion(&f->root, 0x1000, &io_be);
    memory_region_add_subregion(&f->root, 0x2000, &io_le);

    /* Guest-physical byte order follows the device's */
    assert_int_equal(address_space_read(&f->as, 0x1000, buf, 4), MEMTX_OK);
    assert_memory_equal(buf, "\x11\x22\x33\x44", 4);
    assert_int_equal(address_space_read(&f->as, 0x2000, buf, 4), MEMTX_OK);
    assert_memory_equal(buf, "\x44\x33\x22\x11", 4);

    /* A little-endian CPU sees a big-endian register byte-swapped */
    assert_int_equal(address_space_ldl_le(&f->as, 0x1000, NULL), 0x44332211);
    /* A big-endian CPU sees it as the device means it */
    assert_int_equal(address_space_load(&f->as, 0x1000, 4, true, &v),
                     MEMTX_OK);
    assert_int_equal(v, 0x11223344);
    assert_int_equal(address_space_load(&f->as, 0x2000, 4, true, &v),
                     MEMTX_OK);
    assert_int_equal(v, 0x44332211);

    /* Writes: a big-endian store reaches a big-endian device unchanged */
    address_space_store(&f->as, 0x1004, 4, true, 0xa1b2c3d4);
    assert_int_equal(dev_be.calls[dev_be.ncalls - 1].val, 0xa1b2c3d4);
    address_space_store(&f->as, 0x1004, 2, false, 0xa1b2);
    assert_int_equal(dev_be.calls[dev_be.ncalls - 1].val, 0xb2a1);
    address_space_write(&f->as, 0x2004, "\x01\x02", 2);
    assert_int_equal(dev_le.calls[dev_le.ncalls - 1].val, 0x0201);

    memory_region_finalize(&io_le);
    memory_region_finalize(&io_be);
}

static void test_unassigned(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram;
    uint8_t mem[0x100], buf[8];
    MemTxResult r;

    memset(mem, 0x42, sizeof(mem));
    memory_region_init_ram_ptr(&ram, NULL, "ram", sizeof(mem), mem);
    memory_region_add_subregion(&f->root, 0x1000, &ram);

    assert_int_equal(address_space_ldl_le(&f->as, 0x5000, &r), 0xffffffff);
    assert_int_equal(r, MEMTX_DECODE_ERROR);
    address_space_stl_le(&f->as, 0x5000, 0, &r);
    assert_int_equal(r, MEMTX_DECODE_ERROR);

    /* Half RAM, half nothing */
    assert_int_equal(address_space_read(&f->as, 0x10fc, buf, 8),
                     MEMTX_DECODE_ERROR);
    assert_memory_equal(buf, "\x42\x42\x42\x42\xff\xff\xff\xff", 8);
    assert_int_equal(address_space_read(&f->as, 0xffc, buf, 8),
                     MEMTX_DECODE_ERROR);
    assert_memory_equal(buf, "\xff\xff\xff\xff\x42\x42\x42\x42", 8);

    memory_region_finalize(&ram);
}

static void test_crossing_ranges(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram, io;
    TestDev dev = { 0 };
    uint8_t mem[0x1000];
    MemTxResult r;

    memory_region_init_ram_ptr(&ram, NULL, "ram", sizeof(mem), mem);
    memory_region_init_io(&io, NULL, &le_ops, &dev, "dev", 0x10);
    memory_region_add_subregion(&f->root, 0, &ram);
    memory_region_add_subregion(&f->root, 0x1000, &io);

    address_space_stl_le(&f->as, 0xffe, 0xaabbccdd, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(mem[0xffe], 0xdd);
    assert_int_equal(mem[0xfff], 0xcc);
    assert_int_equal(dev.ncalls, 1);
    assert_int_equal(dev.calls[0].addr, 0);
    assert_int_equal(dev.calls[0].size, 2);
    assert_int_equal(dev.calls[0].val, 0xaabb);
    assert_int_equal(address_space_ldl_le(&f->as, 0xffe, &r), 0xaabbccdd);

    memory_region_finalize(&io);
    memory_region_finalize(&ram);
}

static void test_ram_and_rom(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram, rom;
    Error *err = NULL;
    uint8_t *rom_host;
    uint32_t v = 0x01020304;

    assert_true(memory_region_init_ram(&ram, NULL, "ram", 0x4000, &err));
    assert_null(err);
    assert_true(memory_region_is_ram(&ram));
    assert_false(memory_region_is_rom(&ram));
    assert_true(memory_region_init_rom(&rom, NULL, "rom", 0x1000, &err));
    assert_true(memory_region_is_ram(&rom));
    assert_true(memory_region_is_rom(&rom));
    rom_host = memory_region_get_ram_ptr(&rom);
    memory_region_add_subregion(&f->root, 0, &ram);
    memory_region_add_subregion(&f->root, 0x10000, &rom);

    /* Fresh RAM reads as zero */
    assert_int_equal(address_space_ldq_le(&f->as, 0x100, NULL), 0);
    address_space_stl_le(&f->as, 0x100, 0xfeedface, NULL);
    assert_int_equal(address_space_ldl_le(&f->as, 0x100, NULL), 0xfeedface);
    assert_int_equal(address_space_set(&f->as, 0x200, 0x5a, 0x1000),
                     MEMTX_OK);
    assert_int_equal(address_space_ldub(&f->as, 0x11ff, NULL), 0x5a);
    assert_int_equal(address_space_ldub(&f->as, 0x1200, NULL), 0);

    /* Guest writes to ROM are dropped without error */
    assert_int_equal(address_space_write(&f->as, 0x10000, &v, 4), MEMTX_OK);
    assert_int_equal(rom_host[0], 0);
    /* Loaders can fill it */
    assert_int_equal(address_space_write_rom(&f->as, 0x10000, &v, 4),
                     MEMTX_OK);
    assert_int_equal(address_space_ldl_le(&f->as, 0x10000, NULL), v);

    /* Read-only RAM behaves the same */
    memory_region_set_readonly(&ram, true);
    assert_true(view(f)->ranges[0].readonly);
    address_space_stl_le(&f->as, 0x100, 0, NULL);
    assert_int_equal(address_space_ldl_le(&f->as, 0x100, NULL), 0xfeedface);
    memory_region_set_readonly(&ram, false);
    address_space_stl_le(&f->as, 0x100, 0, NULL);
    assert_int_equal(address_space_ldl_le(&f->as, 0x100, NULL), 0);

    /* Absurd sizes fail cleanly */
    {
        MemoryRegion huge;
        assert_false(memory_region_init_ram(&huge, NULL, "huge", UINT64_MAX,
                                            &err));
        assert_non_null(err);
        error_free(err);
    }

    memory_region_finalize(&rom);
    memory_region_finalize(&ram);
}

static uint64_t romd_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0x77;
}

static void romd_write(void *opaque, hwaddr addr, uint64_t val,
                       unsigned size)
{
    *(uint64_t *)opaque = val;
}

static const MemoryRegionOps romd_ops = {
    .read = romd_read,
    .write = romd_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void test_rom_device(void **state)
{
    Fixture *f = *state;
    MemoryRegion flash;
    uint64_t written = 0;
    uint8_t *host;

    assert_true(memory_region_init_rom_device(&flash, NULL, &romd_ops,
                                              &written, "flash", 0x1000,
                                              NULL));
    host = memory_region_get_ram_ptr(&flash);
    host[0] = 0x12;
    memory_region_add_subregion(&f->root, 0x1000, &flash);
    assert_true(view(f)->ranges[0].romd_mode);

    assert_int_equal(address_space_ldub(&f->as, 0x1000, NULL), 0x12);
    address_space_stb(&f->as, 0x1000, 0x90, NULL);
    assert_int_equal(written, 0x90);
    assert_int_equal(host[0], 0x12);

    memory_region_rom_device_set_romd(&flash, false);
    assert_false(view(f)->ranges[0].romd_mode);
    assert_int_equal(address_space_ldub(&f->as, 0x1000, NULL), 0x77);

    memory_region_finalize(&flash);
}

/* ------------------------------------------------------------------ */
/* Dirty tracking and mapping                                          */

static void test_dirty(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram;
    ram_addr_t base;
    hwaddr len = 0x100;
    uint8_t *p;
    unsigned c;

    assert_true(memory_region_init_ram(&ram, NULL, "vram", 0x10000, NULL));
    memory_region_add_subregion(&f->root, 0x100000, &ram);
    base = memory_region_get_ram_addr(&ram);
    assert_int_not_equal(base, RAM_ADDR_INVALID);
    assert_int_equal(ram_addr_from_host(memory_region_get_ram_ptr(&ram)),
                     base);

    /* New memory starts dirty */
    assert_true(memory_region_get_dirty(&ram, 0, 0x10000, DIRTY_MEMORY_VGA));
    for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
        memory_region_reset_dirty(&ram, 0, 0x10000, c);
        assert_false(memory_region_get_dirty(&ram, 0, 0x10000, c));
    }

    /* A guest write dirties its page for every client */
    address_space_stb(&f->as, 0x101800, 1, NULL);
    for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
        assert_true(memory_region_get_dirty(&ram, 0x1000, 0x1000, c));
        assert_false(memory_region_get_dirty(&ram, 0, 0x1000, c));
        assert_false(memory_region_get_dirty(&ram, 0x2000, 0xe000, c));
    }
    assert_true(ram_dirty_get(base + 0x1fff, 1, DIRTY_MEMORY_CODE));

    /* Resetting one client leaves the others */
    memory_region_reset_dirty(&ram, 0x1000, 0x1000, DIRTY_MEMORY_VGA);
    assert_false(memory_region_get_dirty(&ram, 0, 0x10000,
                                         DIRTY_MEMORY_VGA));
    assert_true(memory_region_get_dirty(&ram, 0, 0x10000,
                                        DIRTY_MEMORY_MIGRATION));
    ram_dirty_clear(base, 0x10000, DIRTY_MEMORY_MIGRATION);
    ram_dirty_clear(base, 0x10000, DIRTY_MEMORY_CODE);

    /* Explicit marking, spanning pages */
    memory_region_set_dirty(&ram, 0x2ff0, 0x20);
    assert_true(memory_region_get_dirty(&ram, 0x2000, 1, DIRTY_MEMORY_VGA));
    assert_true(memory_region_get_dirty(&ram, 0x3000, 1, DIRTY_MEMORY_VGA));
    assert_false(memory_region_get_dirty(&ram, 0x4000, 0x1000,
                                         DIRTY_MEMORY_VGA));
    for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
        memory_region_reset_dirty(&ram, 0, 0x10000, c);
    }

    /* A mapped write marks dirty at unmap */
    p = address_space_map(&f->as, 0x108000, &len, true);
    assert_non_null(p);
    assert_int_equal(len, 0x100);
    p[0] = 0xee;
    assert_false(memory_region_get_dirty(&ram, 0x8000, 1, DIRTY_MEMORY_VGA));
    address_space_unmap(&f->as, p, len, true, len);
    assert_true(memory_region_get_dirty(&ram, 0x8000, 1, DIRTY_MEMORY_VGA));
    assert_int_equal(address_space_ldub(&f->as, 0x108000, NULL), 0xee);

    /* Mapping is cut at the end of the RAM run, refused elsewhere */
    len = 0x100000;
    p = address_space_map(&f->as, 0x10f000, &len, false);
    assert_non_null(p);
    assert_int_equal(len, 0x1000);
    len = 0x10;
    assert_null(address_space_map(&f->as, 0x200000, &len, false));
    assert_int_equal(len, 0);

    memory_region_finalize(&ram);
}

/* ------------------------------------------------------------------ */
/* Listeners                                                           */

typedef struct TestListener {
    MemoryListener l;
    unsigned begins, commits, adds, dels, nops, log_starts, log_stops;
    MemoryRegionSection last_add, last_del;
} TestListener;

static void tl_begin(MemoryListener *l)
{
    container_of(l, TestListener, l)->begins++;
}

static void tl_commit(MemoryListener *l)
{
    container_of(l, TestListener, l)->commits++;
}

static void tl_add(MemoryListener *l, MemoryRegionSection *s)
{
    TestListener *t = container_of(l, TestListener, l);
    t->adds++;
    t->last_add = *s;
}

static void tl_del(MemoryListener *l, MemoryRegionSection *s)
{
    TestListener *t = container_of(l, TestListener, l);
    t->dels++;
    t->last_del = *s;
}

static void tl_nop(MemoryListener *l, MemoryRegionSection *s)
{
    container_of(l, TestListener, l)->nops++;
}

static void tl_log_start(MemoryListener *l, MemoryRegionSection *s,
                         int old_mask, int new_mask)
{
    container_of(l, TestListener, l)->log_starts++;
}

static void tl_log_stop(MemoryListener *l, MemoryRegionSection *s,
                        int old_mask, int new_mask)
{
    container_of(l, TestListener, l)->log_stops++;
}

static void tl_reset(TestListener *t)
{
    t->begins = t->commits = t->adds = t->dels = t->nops = 0;
    t->log_starts = t->log_stops = 0;
}

static void test_listener(void **state)
{
    Fixture *f = *state;
    MemoryRegion a, b;
    uint8_t ma[0x1000], mb[0x1000];
    TestListener t = {
        .l = {
            .begin = tl_begin, .commit = tl_commit,
            .region_add = tl_add, .region_del = tl_del,
            .region_nop = tl_nop,
            .log_start = tl_log_start, .log_stop = tl_log_stop,
            .name = "test",
        },
    };

    memory_region_init_ram_ptr(&a, NULL, "a", sizeof(ma), ma);
    memory_region_init_ram_ptr(&b, NULL, "b", sizeof(mb), mb);
    memory_region_add_subregion(&f->root, 0x10000, &a);

    /* Registration replays what is already mapped */
    memory_listener_register(&t.l, &f->as);
    assert_int_equal(t.adds, 1);
    assert_ptr_equal(t.last_add.mr, &a);
    assert_ptr_equal(t.last_add.as, &f->as);
    assert_int_equal(t.last_add.offset_within_address_space, 0x10000);
    assert_int_equal(t.last_add.size, 0x1000);
    assert_int_equal(t.begins, 1);
    assert_int_equal(t.commits, 1);

    /* A new region: one add, the old one unchanged */
    tl_reset(&t);
    memory_region_add_subregion(&f->root, 0x20000, &b);
    assert_int_equal(t.begins, 1);
    assert_int_equal(t.commits, 1);
    assert_int_equal(t.adds, 1);
    assert_int_equal(t.dels, 0);
    assert_int_equal(t.nops, 1);
    assert_ptr_equal(t.last_add.mr, &b);

    /* Moving a region: del of the old place, add of the new one */
    tl_reset(&t);
    memory_region_set_address(&b, 0x30000);
    assert_int_equal(t.dels, 1);
    assert_int_equal(t.last_del.offset_within_address_space, 0x20000);
    assert_int_equal(t.adds, 1);
    assert_int_equal(t.last_add.offset_within_address_space, 0x30000);

    /* Batched changes are reported once */
    tl_reset(&t);
    memory_region_transaction_begin();
    memory_region_set_enabled(&a, false);
    memory_region_set_enabled(&b, false);
    assert_int_equal(t.dels, 0);
    memory_region_transaction_commit();
    assert_int_equal(t.begins, 1);
    assert_int_equal(t.dels, 2);
    assert_int_equal(t.adds, 0);
    memory_region_set_enabled(&a, true);
    memory_region_set_enabled(&b, true);

    /* Dirty logging switched on and off */
    tl_reset(&t);
    memory_region_set_log(&a, true, DIRTY_MEMORY_VGA);
    assert_int_equal(t.log_starts, 1);
    assert_int_equal(t.adds, 0);
    memory_region_set_log(&a, false, DIRTY_MEMORY_VGA);
    assert_int_equal(t.log_stops, 1);

    /* Unregistering tells it everything went away */
    tl_reset(&t);
    memory_listener_unregister(&t.l);
    assert_int_equal(t.dels, 2);
    tl_reset(&t);
    memory_region_del_subregion(&f->root, &b);
    assert_int_equal(t.dels, 0);

    memory_region_finalize(&a);
    memory_region_finalize(&b);
}

static void test_listener_order(void **state)
{
    Fixture *f = *state;
    MemoryRegion a;
    uint8_t ma[0x100];
    TestListener lo = { .l = { .region_add = tl_add, .priority = 1 } };
    TestListener hi = { .l = { .region_add = tl_add, .priority = 10 } };

    memory_listener_register(&hi.l, &f->as);
    memory_listener_register(&lo.l, &f->as);
    memory_region_init_ram_ptr(&a, NULL, "a", sizeof(ma), ma);
    memory_region_add_subregion(&f->root, 0, &a);
    assert_int_equal(lo.adds, 1);
    assert_int_equal(hi.adds, 1);
    /* Listeners of another address space hear nothing */
    {
        MemoryRegion other_root;
        AddressSpace other;
        TestListener t = { .l = { .region_add = tl_add } };
        memory_region_init(&other_root, NULL, "other", 0x10000);
        address_space_init(&other, &other_root, "other");
        memory_listener_register(&t.l, &other);
        memory_region_set_address(&a, 0x1000);
        assert_int_equal(t.adds, 0);
        assert_int_equal(lo.adds, 2);
        address_space_destroy(&other);
        memory_region_finalize(&other_root);
    }
    memory_listener_unregister(&lo.l);
    memory_listener_unregister(&hi.l);
    memory_region_finalize(&a);
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */

static void test_dma(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram, rom;
    uint8_t mem[0x1000], rmem[0x100], buf[0x20];

    memset(mem, 0x11, sizeof(mem));
    memory_region_init_ram_ptr(&ram, NULL, "ram", sizeof(mem), mem);
    memory_region_add_subregion(&f->root, 0x1000, &ram);
    assert_true(memory_region_init_rom(&rom, NULL, "rom", sizeof(rmem),
                                       NULL));
    memory_region_add_subregion(&f->root, 0x2000, &rom);

    assert_true(dma_memory_valid(&f->as, 0x1000, 0x1000, true));
    assert_true(dma_memory_valid(&f->as, 0x1000, 0x1100, false));
    assert_false(dma_memory_valid(&f->as, 0x1000, 0x1100, true));
    assert_false(dma_memory_valid(&f->as, 0x1000, 0x1101, false));
    assert_false(dma_memory_valid(&f->as, 0x800, 0x1000, false));

    /* Overflowing ranges fail without touching anything */
    memset(buf, 0xab, sizeof(buf));
    assert_false(dma_memory_valid(&f->as, UINT64_MAX - 4, 0x10, false));
    assert_int_not_equal(dma_memory_read(&f->as, UINT64_MAX - 4, buf, 0x10),
                         MEMTX_OK);
    assert_int_equal(buf[0], 0xab);

    /* Partly unassigned: nothing is transferred in either direction */
    assert_int_equal(dma_memory_read(&f->as, 0xff0, buf, 0x20),
                     MEMTX_DECODE_ERROR);
    assert_int_equal(buf[0x10], 0xab);
    memset(buf, 0x99, sizeof(buf));
    assert_int_equal(dma_memory_write(&f->as, 0xff0, buf, 0x20),
                     MEMTX_DECODE_ERROR);
    assert_int_equal(mem[0], 0x11);
    assert_int_equal(dma_memory_set(&f->as, 0xff0, 0, 0x20),
                     MEMTX_DECODE_ERROR);
    assert_int_equal(mem[0xf], 0x11);

    /* DMA cannot write ROM, not even partly */
    assert_int_equal(dma_memory_write(&f->as, 0x1ff0, buf, 0x20),
                     MEMTX_ACCESS_ERROR);
    assert_int_equal(mem[0xff0], 0x11);

    /* Valid transfers work */
    assert_int_equal(dma_memory_write(&f->as, 0x1ff0, buf, 0x10), MEMTX_OK);
    assert_int_equal(mem[0xff0], 0x99);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(dma_memory_read(&f->as, 0x1fe0, buf, 0x20), MEMTX_OK);
    assert_int_equal(buf[0], 0x11);
    assert_int_equal(buf[0x1f], 0x99);
    assert_int_equal(dma_memory_set(&f->as, 0x1000, 0, 0x10), MEMTX_OK);
    assert_int_equal(mem[0xf], 0);
    assert_int_equal(dma_memory_read(&f->as, 0x5000, buf, 0), MEMTX_OK);

    memory_region_finalize(&rom);
    memory_region_finalize(&ram);
}

/* ------------------------------------------------------------------ */
/* Views taken from other threads (the per-thread view cache)          */

typedef struct ViewThread {
    AddressSpace *as;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int step, done;             /* the main thread's step, the thread's */
    uint8_t seen[3][2];         /* what it read at 0x1000, per step, twice */
    MemTxResult res[3][2];
} ViewThread;

static void view_thread_wait(ViewThread *t, int step)
{
    pthread_mutex_lock(&t->lock);
    while (t->step < step) {
        pthread_cond_wait(&t->cond, &t->lock);
    }
    pthread_mutex_unlock(&t->lock);
}

static void view_thread_set(ViewThread *t, int *field, int v)
{
    pthread_mutex_lock(&t->lock);
    *field = v;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

static void *view_thread_fn(void *opaque)
{
    ViewThread *t = opaque;

    for (int step = 0; step < 3; step++) {
        view_thread_wait(t, step);
        /* twice: the second read comes from the cached view */
        for (int k = 0; k < 2; k++) {
            FlatView *fv = address_space_get_flatview(t->as);
            t->seen[step][k] = 0xee;
            t->res[step][k] = address_space_read(t->as, 0x1000,
                                                 &t->seen[step][k], 1);
            flatview_unref(fv);
        }
        view_thread_set(t, &t->done, step + 1);
    }
    /* exits holding a cached view of the last topology: freed at exit */
    return NULL;
}

static void test_view_threads(void **state)
{
    Fixture *f = *state;
    ViewThread t = { .as = &f->as };
    MemoryRegion ram;
    uint8_t mem[0x1000];
    pthread_t th;

    memset(mem, 0x5a, sizeof(mem));
    memory_region_init_ram_ptr(&ram, NULL, "ram", sizeof(mem), mem);
    pthread_mutex_init(&t.lock, NULL);
    pthread_cond_init(&t.cond, NULL);
    assert_int_equal(pthread_create(&th, NULL, view_thread_fn, &t), 0);

    /* step 0: nothing mapped; 1: RAM appears; 2: it goes again */
    for (int step = 0; step < 3; step++) {
        if (step == 1) {
            memory_region_add_subregion(&f->root, 0x1000, &ram);
        } else if (step == 2) {
            memory_region_del_subregion(&f->root, &ram);
        }
        view_thread_set(&t, &t.step, step);
        pthread_mutex_lock(&t.lock);
        while (t.done < step + 1) {
            pthread_cond_wait(&t.cond, &t.lock);
        }
        pthread_mutex_unlock(&t.lock);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    for (int step = 0; step < 3; step++) {
        for (int k = 0; k < 2; k++) {
            assert_int_equal(t.res[step][k],
                             step == 1 ? MEMTX_OK : MEMTX_DECODE_ERROR);
            assert_int_equal(t.seen[step][k], step == 1 ? 0x5a : 0xff);
        }
    }
    memory_region_finalize(&ram);
    pthread_cond_destroy(&t.cond);
    pthread_mutex_destroy(&t.lock);
}

/* ------------------------------------------------------------------ */
/* System address spaces and info mtree                                */

static void collect(void *opaque, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strbuf_vprintf(opaque, fmt, ap);
    va_end(ap);
}

static void test_mtree(void **state)
{
    MemoryRegion ram, low, io, off, port;
    TestDev dev = { 0 };
    StrBuf sb;

    memory_system_init();
    memory_system_init();   /* idempotent */
    assert_string_equal(memory_region_name(get_system_memory()), "system");
    assert_int_equal(memory_region_size(get_system_memory()), UINT64_MAX);
    assert_int_equal(memory_region_size(get_system_io()), 0x10000);
    assert_ptr_equal(address_space_memory.root, get_system_memory());

    assert_true(memory_region_init_ram(&ram, NULL, "pc.ram", 0x8000000,
                                       NULL));
    memory_region_init_alias(&low, NULL, "ram-below-4g", &ram, 0, 0x8000000);
    memory_region_add_subregion(get_system_memory(), 0, &low);
    memory_region_init_io(&io, NULL, &le_ops, &dev, "hpet", 0x400);
    memory_region_add_subregion_overlap(get_system_memory(), 0xfed00000, &io,
                                        1);
    memory_region_init_io(&off, NULL, &le_ops, &dev, "off", 0x10);
    memory_region_set_enabled(&off, false);
    memory_region_add_subregion(get_system_memory(), 0xfee00000, &off);
    memory_region_init_io(&port, NULL, &le_ops, &dev, "serial", 8);
    memory_region_add_subregion(get_system_io(), 0x3f8, &port);

    strbuf_init(&sb);
    mtree_info(collect, &sb, false);
    assert_non_null(strstr(sb.str,
        "address-space: memory\n"
        "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
        "    0000000000000000-0000000007ffffff (prio 0, ram): alias "
        "ram-below-4g @pc.ram 0000000000000000-0000000007ffffff\n"
        "    00000000fed00000-00000000fed003ff (prio 1, i/o): hpet\n"
        "    00000000fee00000-00000000fee0000f (prio 0, i/o): off "
        "[disabled]\n"));
    assert_non_null(strstr(sb.str,
        "address-space: I/O\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
        "    00000000000003f8-00000000000003ff (prio 0, i/o): serial\n"));
    assert_non_null(strstr(sb.str,
        "memory-region: pc.ram\n"
        "  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n"));
    strbuf_free(&sb);

    strbuf_init(&sb);
    mtree_info(collect, &sb, true);
    assert_non_null(strstr(sb.str,
        " AS \"memory\", root: system\n"
        " Root memory region: system\n"
        "  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n"
        "  00000000fed00000-00000000fed003ff (prio 1, i/o): hpet\n"));
    assert_non_null(strstr(sb.str, "FlatView #"));
    assert_non_null(strstr(sb.str,
        "  00000000000003f8-00000000000003ff (prio 0, i/o): serial\n"));
    assert_null(strstr(sb.str, "): off"));
    strbuf_free(&sb);

    /* The system address spaces dispatch like any other */
    address_space_stb(&address_space_io, 0x3f9, 0x42, NULL);
    assert_int_equal(dev.regs[1], 0x42);
    address_space_stl_le(&address_space_memory, 0x1000, 0x12345678, NULL);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0x1000,
                                          NULL), 0x12345678);

    memory_region_finalize(&port);
    memory_region_finalize(&off);
    memory_region_finalize(&io);
    memory_region_finalize(&low);
    memory_region_finalize(&ram);
    assert_int_equal(address_space_to_flatview(&address_space_memory)->nr, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, \
                                              fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_container_basic),
        T(test_priority),
        T(test_equal_priority_later_wins),
        T(test_container_holes_show_lower),
        T(test_alias),
        T(test_disabled),
        T(test_top_of_address_space),
        T(test_io_offsets),
        T(test_split_access),
        T(test_widen_access),
        T(test_valid_rejects),
        T(test_endianness),
        T(test_unassigned),
        T(test_crossing_ranges),
        T(test_ram_and_rom),
        T(test_rom_device),
        T(test_dirty),
        T(test_listener),
        T(test_listener_order),
        T(test_dma),
        T(test_view_threads),
        cmocka_unit_test(test_mtree),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
