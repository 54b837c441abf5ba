/* Unit tests for device state descriptions: stream encoding, versions, post_load checks, truncation, whole-device sections. */
#include "emu/osdep.h"
#include "migration/vmstate.h"
#include "hw/qdev.h"

#include <setjmp.h>
#include <cmocka.h>

static void expect_error(Error *err, const char *needle)
{
    assert_non_null(err);
    if (!strstr(error_get_pretty(err), needle)) {
        fail_msg("error '%s' lacks '%s'", error_get_pretty(err), needle);
    }
    error_free(err);
}

/* ---- a state with every kind of field ---- */

typedef struct Timer {
    uint64_t expire;
    bool armed;
} Timer;

static const VMStateDescription vmstate_timer = {
    .name = "timer",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(expire, Timer),
        VMSTATE_BOOL(armed, Timer),
        VMSTATE_END_OF_LIST(),
    },
};

typedef struct Everything {
    bool flag;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    uint8_t regs[5];
    uint16_t words[3];
    uint32_t dwords[2];
    uint64_t qwords[2];
    char buf[7];
    Timer single;
    Timer timers[3];
    unsigned index;          /* guest-controlled: range-checked */
} Everything;

static int everything_post_load(void *opaque, int version_id)
{
    Everything *e = opaque;
    return e->index < ARRAY_SIZE(e->regs) ? 0 : -EINVAL;
}

static int pre_save_calls;

static int everything_pre_save(void *opaque)
{
    pre_save_calls++;
    return 0;
}

static const VMStateDescription vmstate_everything = {
    .name = "everything",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = everything_pre_save,
    .post_load = everything_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(flag, Everything),
        VMSTATE_UINT8(u8, Everything),
        VMSTATE_UINT16(u16, Everything),
        VMSTATE_UINT32(u32, Everything),
        VMSTATE_UINT64(u64, Everything),
        VMSTATE_INT8(i8, Everything),
        VMSTATE_INT16(i16, Everything),
        VMSTATE_INT32(i32, Everything),
        VMSTATE_INT64(i64, Everything),
        VMSTATE_UINT8_ARRAY(regs, Everything, 5),
        VMSTATE_UINT16_ARRAY(words, Everything, 3),
        VMSTATE_UINT32_ARRAY(dwords, Everything, 2),
        VMSTATE_UINT64_ARRAY(qwords, Everything, 2),
        VMSTATE_BUFFER(buf, Everything),
        VMSTATE_STRUCT(single, Everything, vmstate_timer),
        VMSTATE_STRUCT_ARRAY(timers, Everything, 3, vmstate_timer),
        VMSTATE_UINT32(index, Everything),
        VMSTATE_END_OF_LIST(),
    },
};

static void fill_everything(Everything *e)
{
    memset(e, 0, sizeof(*e));
    e->flag = true;
    e->u8 = 0xab;
    e->u16 = 0xbeef;
    e->u32 = 0xdeadbeef;
    e->u64 = 0x0123456789abcdefULL;
    e->i8 = -3;
    e->i16 = -300;
    e->i32 = -70000;
    e->i64 = -5000000000LL;
    for (int i = 0; i < 5; i++) {
        e->regs[i] = 10 + i;
    }
    e->words[2] = 0x1234;
    e->dwords[1] = 0x87654321;
    e->qwords[0] = UINT64_MAX;
    memcpy(e->buf, "abcdefg", 7);
    e->single.expire = 42;
    e->single.armed = true;
    e->timers[2].expire = 99;
    e->timers[1].armed = true;
    e->index = 4;
}

static void save(VMStream *s, const VMStateDescription *vmsd, void *opaque)
{
    vmstream_init(s);
    assert_int_equal(vmstate_save(s, vmsd, opaque), 0);
    assert_false(s->error);
}

static void test_roundtrip(void **state)
{
    Everything a, b;
    VMStream s, r;

    fill_everything(&a);
    pre_save_calls = 0;
    save(&s, &vmstate_everything, &a);
    assert_int_equal(pre_save_calls, 1);

    memset(&b, 0x55, sizeof(b));
    vmstream_init_read(&r, s.buf, s.len);
    assert_int_equal(vmstate_load(&r, &vmstate_everything, &b, &error_abort),
                     0);
    assert_int_equal(r.pos, r.len);
    assert_true(b.flag);
    assert_int_equal(b.u8, 0xab);
    assert_int_equal(b.u16, 0xbeef);
    assert_int_equal(b.u32, 0xdeadbeef);
    assert_true(b.u64 == 0x0123456789abcdefULL);
    assert_int_equal(b.i8, -3);
    assert_int_equal(b.i16, -300);
    assert_int_equal(b.i32, -70000);
    assert_true(b.i64 == -5000000000LL);
    assert_memory_equal(b.regs, a.regs, sizeof(a.regs));
    assert_memory_equal(b.words, a.words, sizeof(a.words));
    assert_memory_equal(b.dwords, a.dwords, sizeof(a.dwords));
    assert_memory_equal(b.qwords, a.qwords, sizeof(a.qwords));
    assert_memory_equal(b.buf, "abcdefg", 7);
    assert_int_equal(b.single.expire, 42);
    assert_true(b.single.armed);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(b.timers[i].expire, a.timers[i].expire);
        assert_int_equal(b.timers[i].armed, a.timers[i].armed);
    }
    assert_int_equal(b.index, 4);
    vmstream_free(&r);
    vmstream_free(&s);
}

/* ---- the wire format is explicit: version then big-endian fields ---- */

typedef struct Small {
    uint16_t a;
    uint32_t b;
    uint32_t c;     /* from version 2 */
    uint8_t d;      /* from version 3 */
} Small;

static const VMStateDescription vmstate_small_v1 = {
    .name = "small", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(a, Small),
        VMSTATE_UINT32(b, Small),
        VMSTATE_END_OF_LIST(),
    },
};

static const VMStateDescription vmstate_small_v2 = {
    .name = "small", .version_id = 2, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(a, Small),
        VMSTATE_UINT32(b, Small),
        VMSTATE_UINT32_V(c, Small, 2),
        VMSTATE_END_OF_LIST(),
    },
};

static const VMStateDescription vmstate_small_v3 = {
    .name = "small", .version_id = 3, .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(a, Small),
        VMSTATE_UINT32(b, Small),
        VMSTATE_UINT32_V(c, Small, 2),
        VMSTATE_UINT8_V(d, Small, 3),
        VMSTATE_END_OF_LIST(),
    },
};

static void test_encoding(void **state)
{
    Small x = { .a = 0x0102, .b = 0x03040506, .c = 0x0708090a };
    static const uint8_t expected[] = {
        0, 0, 0, 2,                 /* version */
        0x01, 0x02,                 /* a */
        0x03, 0x04, 0x05, 0x06,     /* b */
        0x07, 0x08, 0x09, 0x0a,     /* c */
    };
    VMStream s;

    save(&s, &vmstate_small_v2, &x);
    assert_int_equal(s.len, sizeof(expected));
    assert_memory_equal(s.buf, expected, sizeof(expected));
    vmstream_free(&s);
}

static void test_versions(void **state)
{
    Small x = { .a = 1, .b = 2, .c = 3, .d = 4 };
    Small y = { .c = 77, .d = 88 };
    VMStream s, r;
    Error *err = NULL;

    /* an old (v1) stream loads into v2: c is not in it and stays as is */
    save(&s, &vmstate_small_v1, &x);
    vmstream_init_read(&r, s.buf, s.len);
    assert_int_equal(vmstate_load(&r, &vmstate_small_v2, &y, &error_abort), 0);
    assert_int_equal(y.a, 1);
    assert_int_equal(y.b, 2);
    assert_int_equal(y.c, 77);
    assert_int_equal(r.pos, r.len);

    /* but v3 no longer accepts v1 (minimum_version_id 2) */
    vmstream_init_read(&r, s.buf, s.len);
    assert_true(vmstate_load(&r, &vmstate_small_v3, &y, &err) < 0);
    expect_error(err, "older than the minimum supported version 2");
    err = NULL;
    vmstream_free(&s);

    /* a v2 stream into v3: d is skipped, c is read */
    save(&s, &vmstate_small_v2, &x);
    vmstream_init_read(&r, s.buf, s.len);
    assert_int_equal(vmstate_load(&r, &vmstate_small_v3, &y, &error_abort), 0);
    assert_int_equal(y.c, 3);
    assert_int_equal(y.d, 88);
    vmstream_free(&s);

    /* a newer stream is refused */
    save(&s, &vmstate_small_v3, &x);
    vmstream_init_read(&r, s.buf, s.len);
    assert_true(vmstate_load(&r, &vmstate_small_v2, &y, &err) < 0);
    expect_error(err, "stream version 3 is newer than the supported "
                 "version 2");
    vmstream_free(&s);
}

static void test_post_load_rejects(void **state)
{
    Everything a, b;
    VMStream s, r;
    Error *err = NULL;

    fill_everything(&a);
    a.index = 5;            /* out of range for regs[5] */
    save(&s, &vmstate_everything, &a);
    vmstream_init_read(&r, s.buf, s.len);
    assert_int_equal(vmstate_load(&r, &vmstate_everything, &b, &err),
                     -EINVAL);
    expect_error(err, "post_load failed");
    vmstream_free(&s);
}

static void test_truncated(void **state)
{
    Everything a, b;
    VMStream s, r;
    size_t len;

    fill_everything(&a);
    save(&s, &vmstate_everything, &a);
    /* every proper prefix must fail cleanly, with an error */
    for (len = 0; len < s.len; len++) {
        Error *err = NULL;
        vmstream_init_read(&r, s.buf, len);
        assert_true(vmstate_load(&r, &vmstate_everything, &b, &err) < 0);
        expect_error(err, "truncated");
    }
    vmstream_free(&s);
}

static void test_bad_bool(void **state)
{
    Everything a, b;
    VMStream s, r;
    Error *err = NULL;

    fill_everything(&a);
    save(&s, &vmstate_everything, &a);
    s.buf[4] = 2;           /* 'flag', right after the version */
    vmstream_init_read(&r, s.buf, s.len);
    assert_true(vmstate_load(&r, &vmstate_everything, &b, &err) < 0);
    expect_error(err, "invalid bool");
    vmstream_free(&s);
}

static void test_stream_primitives(void **state)
{
    VMStream s, r;
    uint8_t raw[3];
    char *str;

    vmstream_init(&s);
    vmstream_put_u8(&s, 0x11);
    vmstream_put_be16(&s, 0x2233);
    vmstream_put_be32(&s, 0x44556677);
    vmstream_put_be64(&s, 0x8899aabbccddeeffULL);
    vmstream_put_string(&s, "hi");
    vmstream_put_buffer(&s, "xyz", 3);
    assert_int_equal(s.len, 1 + 2 + 4 + 8 + 4 + 3);

    vmstream_init_read(&r, s.buf, s.len);
    assert_int_equal(vmstream_get_u8(&r), 0x11);
    assert_int_equal(vmstream_get_be16(&r), 0x2233);
    assert_int_equal(vmstream_get_be32(&r), 0x44556677);
    assert_true(vmstream_get_be64(&r) == 0x8899aabbccddeeffULL);
    str = vmstream_get_string(&r);
    assert_string_equal(str, "hi");
    free(str);
    assert_true(vmstream_get_buffer(&r, raw, 3));
    assert_memory_equal(raw, "xyz", 3);
    assert_false(r.error);
    assert_int_equal(vmstream_get_u8(&r), 0);
    assert_true(r.error);
    vmstream_free(&r);

    /* a string whose length runs past the end */
    vmstream_init_read(&r, (const uint8_t *)"\x00\x09" "abc", 5);
    assert_null(vmstream_get_string(&r));
    assert_true(r.error);
    vmstream_free(&s);
}

/* ---- whole-device sections ---- */

typedef struct CounterDev {
    SysBusDevice parent;
    uint32_t count;
    uint8_t sel;
    uint8_t bank[4];
} CounterDev;

static int counter_post_load(void *opaque, int version_id)
{
    CounterDev *c = opaque;
    return c->sel < ARRAY_SIZE(c->bank) ? 0 : -EINVAL;
}

static const VMStateDescription vmstate_counter = {
    .name = "counter",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = counter_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(count, CounterDev),
        VMSTATE_UINT8(sel, CounterDev),
        VMSTATE_UINT8_ARRAY(bank, CounterDev, 4),
        VMSTATE_END_OF_LIST(),
    },
};

static const DeviceInfo counter_info = {
    .name = "vmstate-counter",
    .bus_type = BUS_TYPE_SYSTEM,
    .instance_size = sizeof(CounterDev),
    .vmsd = &vmstate_counter,
    .user_creatable = true,
};
DEVICE_REGISTER(counter_info)

static const DeviceInfo stateless_info = {
    .name = "vmstate-stateless",
    .bus_type = BUS_TYPE_SYSTEM,
    .instance_size = sizeof(SysBusDevice),
};
DEVICE_REGISTER(stateless_info)

static CounterDev *make_counter(const char *id)
{
    DeviceState *dev = device_new("vmstate-counter", &error_abort);

    if (id) {
        assert_true(device_set_id(dev, id, &error_abort));
    }
    assert_true(device_realize(dev, NULL, &error_abort));
    return (CounterDev *)dev;
}

static void test_devices(void **state)
{
    CounterDev *a = make_counter("ca");
    CounterDev *b = make_counter(NULL);
    DeviceState *plain = device_new("vmstate-stateless", &error_abort);
    VMStream s, r;
    Error *err = NULL;

    assert_true(device_realize(plain, NULL, &error_abort));
    a->count = 1000;
    a->sel = 2;
    a->bank[2] = 0x5a;
    b->count = 7;
    b->sel = 3;

    vmstream_init(&s);
    assert_int_equal(vmstate_save_devices(&s, &error_abort), 0);

    a->count = b->count = 0;
    a->bank[2] = 0;
    vmstream_init_read(&r, s.buf, s.len);
    assert_int_equal(vmstate_load_devices(&r, &error_abort), 0);
    assert_int_equal(a->count, 1000);
    assert_int_equal(a->bank[2], 0x5a);
    assert_int_equal(b->count, 7);
    assert_int_equal(b->sel, 3);

    /* a truncated stream fails and says so */
    vmstream_init_read(&r, s.buf, s.len - 1);
    assert_true(vmstate_load_devices(&r, &err) < 0);
    expect_error(err, "truncated");
    err = NULL;

    /* not a device stream at all */
    vmstream_init_read(&r, (const uint8_t *)"QEVM\0\0\0\1\0", 9);
    assert_true(vmstate_load_devices(&r, &err) < 0);
    expect_error(err, "bad magic");
    err = NULL;

    /* a section for a device that is gone */
    device_destroy(DEVICE(a));
    vmstream_init_read(&r, s.buf, s.len);
    assert_true(vmstate_load_devices(&r, &err) < 0);
    expect_error(err, "Unknown savevm section or instance "
                 "'/machine/peripheral/ca'");
    err = NULL;
    vmstream_free(&s);

    /* a device's post_load refusing a section fails the whole load */
    b->sel = 9;
    vmstream_init(&s);
    assert_int_equal(vmstate_save_devices(&s, &error_abort), 0);
    vmstream_init_read(&r, s.buf, s.len);
    assert_true(vmstate_load_devices(&r, &err) < 0);
    expect_error(err, device_path(DEVICE(b)));
    vmstream_free(&s);

    device_destroy(DEVICE(b));
    device_destroy(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_post_load_rejects),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_bool),
        cmocka_unit_test(test_stream_primitives),
        cmocka_unit_test(test_devices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
