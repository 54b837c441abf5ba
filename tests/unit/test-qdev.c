/* Unit tests for the device model: properties, -global, lifecycle, tree, paths, reset, GPIO, qtree and help output. */
#include "emu/osdep.h"
#include "hw/qdev.h"
#include "system/memory.h"
#include "chardev/char.h"

#include <setjmp.h>
#include <cmocka.h>

/* ---- A log of realize/unrealize/reset calls, to check ordering ---- */

static char event_log[4096];

static void log_event(const char *what, DeviceState *dev)
{
    size_t len = strlen(event_log);
    snprintf(event_log + len, sizeof(event_log) - len, "%s:%s ", what,
             dev->id ? dev->id : "?");
}

static void log_clear(void)
{
    event_log[0] = '\0';
}

/* ---- test-sysdev: a system bus device with one of every property ---- */

static const char *const test_modes[] = { "off", "auto", "on", NULL };

typedef struct TestSysDev {
    SysBusDevice parent;
    uint32_t iobase;
    bool enabled;
    char *label;
    uint64_t size;
    int mode;
    uint8_t u8;
    uint16_t u16;
    int32_t level;
    int64_t offset;
    MACAddr mac;
    CharBackend chr;
    DeviceState *peer;
    void *drive;
    bool fail;
    MemoryRegion mmio;
    IRQLine out[1];
    int last_in_n;
    int last_in_level;
    int in_calls;
    unsigned realize_count;
} TestSysDev;

static const Property test_sysdev_props[] = {
    { .name = "iobase", .type = PROP_UINT32,
      .offset = offsetof(TestSysDev, iobase), .defval_u = 0x3f8,
      .set_default = true, .description = "I/O base port" },
    DEFINE_PROP_BOOL("enabled", TestSysDev, enabled, true),
    { .name = "label", .type = PROP_STRING,
      .offset = offsetof(TestSysDev, label), .defval_str = "hello" },
    DEFINE_PROP_SIZE("size", TestSysDev, size, 4 * KiB),
    DEFINE_PROP_ENUM("mode", TestSysDev, mode, 1, test_modes),
    DEFINE_PROP_UINT8("u8", TestSysDev, u8, 7),
    DEFINE_PROP_UINT16("u16", TestSysDev, u16, 0),
    DEFINE_PROP_INT32("level", TestSysDev, level, -1),
    DEFINE_PROP_INT64("offset", TestSysDev, offset, 0),
    DEFINE_PROP_MACADDR("mac", TestSysDev, mac),
    DEFINE_PROP_CHR("chardev", TestSysDev, chr),
    DEFINE_PROP_LINK("peer", TestSysDev, peer),
    DEFINE_PROP_DRIVE("drive", TestSysDev, drive),
    DEFINE_PROP_BOOL("fail", TestSysDev, fail, false),
    DEFINE_PROP_END_OF_LIST(),
};

static uint64_t test_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void test_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
}

static const MemoryRegionOps test_mmio_ops = {
    .read = test_mmio_read,
    .write = test_mmio_write,
};

static void test_sysdev_gpio_in(void *opaque, int n, int level)
{
    TestSysDev *s = opaque;
    s->last_in_n = n;
    s->last_in_level = level;
    s->in_calls++;
}

static void test_sysdev_init(DeviceState *dev)
{
    TestSysDev *s = (TestSysDev *)dev;

    memory_region_init_io(&s->mmio, dev, &test_mmio_ops, s, "test-sysdev",
                          0x1000);
    sysbus_init_mmio(SYS_BUS_DEVICE(dev), &s->mmio);
    qdev_init_gpio_in(dev, test_sysdev_gpio_in, 2);
    qdev_init_gpio_out(dev, s->out, 1);
}

static void test_sysdev_finalize(DeviceState *dev)
{
    TestSysDev *s = (TestSysDev *)dev;
    memory_region_finalize(&s->mmio);
}

static void test_sysdev_realize(DeviceState *dev, Error **errp)
{
    TestSysDev *s = (TestSysDev *)dev;

    if (s->fail) {
        error_setg(errp, "test-sysdev: realize failed on purpose");
        return;
    }
    s->realize_count++;
    log_event("realize", dev);
}

static void test_any_unrealize(DeviceState *dev)
{
    log_event("unrealize", dev);
}

static void test_any_reset(DeviceState *dev)
{
    log_event("reset", dev);
}

static const DeviceInfo test_sysdev_info = {
    .name = "test-sysdev",
    .desc = "Test system device",
    .bus_type = BUS_TYPE_SYSTEM,
    .category = "Misc devices",
    .instance_size = sizeof(TestSysDev),
    .props = test_sysdev_props,
    .user_creatable = true,
    .instance_init = test_sysdev_init,
    .instance_finalize = test_sysdev_finalize,
    .realize = test_sysdev_realize,
    .unrealize = test_any_unrealize,
    .reset = test_any_reset,
};
DEVICE_REGISTER(test_sysdev_info)

/* ---- test-bridge: a system device with a child "TestBus" ---- */

static const BusInfo test_bus_info = {
    .type = "TestBus",
    .instance_size = sizeof(BusState),
};

static void __attribute__((constructor)) register_test_bus(void)
{
    bus_register_type(&test_bus_info);
}

typedef struct TestBridge {
    SysBusDevice parent;
    BusState *bus;
} TestBridge;

static void test_bridge_realize(DeviceState *dev, Error **errp)
{
    TestBridge *b = (TestBridge *)dev;

    /* created at realize so that the id (and so the bus name) is known */
    b->bus = bus_new("TestBus", dev, NULL);
    log_event("realize", dev);
}

static const DeviceInfo test_bridge_info = {
    .name = "test-bridge",
    .desc = "Test bridge",
    .bus_type = BUS_TYPE_SYSTEM,
    .category = "Controller/Bridge/Hub devices",
    .instance_size = sizeof(TestBridge),
    .user_creatable = true,
    .realize = test_bridge_realize,
    .unrealize = test_any_unrealize,
    .reset = test_any_reset,
};
DEVICE_REGISTER(test_bridge_info)

/* ---- test-leaf: a device on TestBus ---- */

typedef struct TestLeaf {
    DeviceState parent;
    uint16_t addr;
} TestLeaf;

static const Property test_leaf_props[] = {
    DEFINE_PROP_UINT16("addr", TestLeaf, addr, 5),
    DEFINE_PROP_END_OF_LIST(),
};

static void test_leaf_realize(DeviceState *dev, Error **errp)
{
    log_event("realize", dev);
}

static const DeviceInfo test_leaf_info = {
    .name = "test-leaf",
    .bus_type = "TestBus",
    .category = "Storage devices",
    .instance_size = sizeof(TestLeaf),
    .props = test_leaf_props,
    .user_creatable = true,
    .realize = test_leaf_realize,
    .unrealize = test_any_unrealize,
    .reset = test_any_reset,
};
DEVICE_REGISTER(test_leaf_info)

/* ---- test-nouser: only boards may create it ---- */

static const DeviceInfo test_nouser_info = {
    .name = "test-nouser",
    .bus_type = BUS_TYPE_SYSTEM,
    .instance_size = sizeof(SysBusDevice),
};
DEVICE_REGISTER(test_nouser_info)

/* ---- helpers ---- */

static DeviceState *new_from_str(const char *str, Error **errp)
{
    EmuOpts *opts = opts_parse(str, "driver", false, errp);
    DeviceState *dev;

    if (!opts) {
        return NULL;
    }
    dev = device_new_from_opts(opts, errp);
    opts_free(opts);
    return dev;
}

/* Expect failure and an error message containing 'needle' */
static void expect_error(Error *err, const char *needle)
{
    assert_non_null(err);
    if (!strstr(error_get_pretty(err), needle)) {
        fail_msg("error '%s' lacks '%s'", error_get_pretty(err), needle);
    }
    error_free(err);
}

static void expect_set_error(DeviceState *dev, const char *prop,
                             const char *value, const char *needle)
{
    Error *err = NULL;
    assert_false(device_set_prop(dev, prop, value, &err));
    expect_error(err, needle);
}

static void qtree_to_strbuf(void *opaque, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(opaque, fmt, ap);
    va_end(ap);
}

static char *qtree_text(void)
{
    StrBuf sb;
    strbuf_init(&sb);
    qtree_info(qtree_to_strbuf, &sb);
    return strbuf_steal(&sb);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle)) {
        fail_msg("'%s' not found in:\n%s", needle, hay ? hay : "(null)");
    }
}

/* ---- tests ---- */

static void test_defaults(void **state)
{
    TestSysDev *s = (TestSysDev *)device_new("test-sysdev", &error_abort);

    assert_int_equal(s->iobase, 0x3f8);
    assert_true(s->enabled);
    assert_string_equal(s->label, "hello");
    assert_int_equal(s->size, 4096);
    assert_int_equal(s->mode, 1);
    assert_int_equal(s->u8, 7);
    assert_int_equal(s->level, -1);
    assert_false(s->parent.qdev.realized);
    assert_null(s->parent.qdev.parent_bus);
    device_destroy(DEVICE(s));
}

static void test_prop_parse(void **state)
{
    DeviceState *dev = device_new("test-sysdev", &error_abort);
    TestSysDev *s = (TestSysDev *)dev;
    Error *err = NULL;
    char *str;

    assert_true(device_set_prop(dev, "iobase", "0x2f8", &error_abort));
    assert_int_equal(s->iobase, 0x2f8);
    assert_true(device_set_prop(dev, "u8", "255", &error_abort));
    assert_int_equal(s->u8, 255);
    assert_true(device_set_prop(dev, "enabled", "off", &error_abort));
    assert_false(s->enabled);
    assert_true(device_set_prop(dev, "enabled", "yes", &error_abort));
    assert_true(s->enabled);
    assert_true(device_set_prop(dev, "size", "1M", &error_abort));
    assert_int_equal(s->size, 1024 * 1024);
    assert_true(device_set_prop(dev, "size", "2G", &error_abort));
    assert_int_equal(s->size, 2 * GiB);
    assert_true(device_set_prop(dev, "size", "512", &error_abort));
    assert_int_equal(s->size, 512);
    assert_true(device_set_prop(dev, "mode", "on", &error_abort));
    assert_int_equal(s->mode, 2);
    assert_true(device_set_prop(dev, "level", "-5", &error_abort));
    assert_int_equal(s->level, -5);
    assert_true(device_set_prop(dev, "offset", "-9000000000", &error_abort));
    assert_true(s->offset == -9000000000LL);
    assert_true(device_set_prop(dev, "label", "world", &error_abort));
    assert_string_equal(s->label, "world");
    assert_true(device_set_prop(dev, "mac", "52:54:00:12:34:56",
                                &error_abort));
    assert_int_equal(s->mac.a[0], 0x52);
    assert_int_equal(s->mac.a[5], 0x56);
    str = device_get_prop_str(dev, device_find_prop(dev->info, "mac"));
    assert_string_equal(str, "52:54:00:12:34:56");
    free(str);
    str = device_get_prop_str(dev, device_find_prop(dev->info, "mode"));
    assert_string_equal(str, "on");
    free(str);

    expect_set_error(dev, "u8", "300", "Property 'test-sysdev.u8' doesn't "
                     "take value '300' (minimum: 0, maximum: 255)");
    assert_int_equal(s->u8, 255);
    expect_set_error(dev, "u16", "65536", "value '65536'");
    expect_set_error(dev, "iobase", "abc", "expects a uint32");
    expect_set_error(dev, "iobase", "-1", "value '-1'");
    expect_set_error(dev, "iobase", "12junk", "value '12junk'");
    expect_set_error(dev, "level", "3000000000", "maximum: 2147483647");
    expect_set_error(dev, "enabled", "maybe", "'maybe'");
    expect_set_error(dev, "size", "12Q", "value '12Q'");
    expect_set_error(dev, "mode", "sideways", "expects one of: off, auto, on");
    expect_set_error(dev, "mac", "52:54:00:12:34", "value '52:54:00:12:34'");
    expect_set_error(dev, "foo", "1", "Property 'test-sysdev.foo' not found");
    expect_set_error(dev, "drive", "d0", "can't find value 'd0'");

    /* typed setters */
    assert_true(device_prop_set_uint(dev, "u16", 65535, &error_abort));
    assert_int_equal(s->u16, 65535);
    assert_false(device_prop_set_uint(dev, "u8", 256, &err));
    expect_error(err, "maximum: 255");
    err = NULL;
    assert_true(device_prop_set_bool(dev, "enabled", false, &error_abort));
    assert_false(s->enabled);
    assert_false(device_prop_set_bool(dev, "u8", true, &err));
    expect_error(err, "not a bool");
    err = NULL;
    assert_true(device_prop_set_str(dev, "label", NULL, &error_abort));
    assert_null(s->label);
    assert_true(device_prop_set_str(dev, "iobase", "0x100", &error_abort));
    assert_int_equal(s->iobase, 0x100);
    device_destroy(dev);
}

static void test_set_after_realize(void **state)
{
    DeviceState *dev = device_new("test-sysdev", &error_abort);

    assert_true(device_realize(dev, NULL, &error_abort));
    expect_set_error(dev, "u8", "1", "after it was realized");
    device_destroy(dev);
}

static void test_globals(void **state)
{
    DeviceState *dev;
    Error *err = NULL;

    assert_true(global_prop_add("test-sysdev.iobase=0x100", &error_abort));
    assert_true(global_prop_add("driver=test-sysdev,property=u8,value=9",
                                &error_abort));
    dev = device_new("test-sysdev", &error_abort);
    assert_int_equal(((TestSysDev *)dev)->iobase, 0x100);
    assert_int_equal(((TestSysDev *)dev)->u8, 9);
    device_destroy(dev);

    /* user properties come after -global and win */
    dev = new_from_str("test-sysdev,iobase=0x200", &error_abort);
    assert_int_equal(((TestSysDev *)dev)->iobase, 0x200);
    assert_int_equal(((TestSysDev *)dev)->u8, 9);
    device_destroy(dev);

    assert_false(global_prop_add("nodev.x=1", &err));
    expect_error(err, "'nodev' is not a valid device model name");
    err = NULL;
    assert_false(global_prop_add("test-sysdev.nope=1", &err));
    expect_error(err, "Property 'test-sysdev.nope' not found");
    err = NULL;

    /* a bad value surfaces when the device is created */
    assert_true(global_prop_add("test-sysdev.u8=999", &error_abort));
    assert_null(device_new("test-sysdev", &err));
    expect_error(err, "can't apply global test-sysdev.u8=999");
    global_props_reset();

    dev = device_new("test-sysdev", &error_abort);
    assert_int_equal(((TestSysDev *)dev)->iobase, 0x3f8);
    device_destroy(dev);
}

static void test_lifecycle_order(void **state)
{
    DeviceState *br, *l1, *l2;
    BusState *bus;

    log_clear();
    br = new_from_str("test-bridge,id=br", &error_abort);
    bus = bus_find_by_name("br.0");
    assert_non_null(bus);
    assert_ptr_equal(bus->parent, br);
    l1 = new_from_str("test-leaf,id=l1,bus=br.0", &error_abort);
    l2 = new_from_str("test-leaf,id=l2", &error_abort); /* found by type */
    assert_ptr_equal(l2->parent_bus, bus);
    assert_int_equal(bus->num_children, 2);
    assert_string_equal(event_log, "realize:br realize:l1 realize:l2 ");

    log_clear();
    device_destroy(br);
    /* children are unrealized before their parent */
    assert_string_equal(event_log,
                        "unrealize:l1 unrealize:l2 unrealize:br ");
    assert_null(device_find_id("l1"));
    assert_null(device_find_id("br"));
    assert_null(bus_find_by_name("br.0"));
    (void)l1;
}

static void test_realize_failure(void **state)
{
    unsigned before = main_system_bus()->num_children;
    Error *err = NULL;

    assert_null(new_from_str("test-sysdev,id=bad,fail=on", &err));
    expect_error(err, "realize failed on purpose");
    assert_null(device_find_id("bad"));
    assert_int_equal(main_system_bus()->num_children, before);

    /* and the id is free again */
    DeviceState *dev = new_from_str("test-sysdev,id=bad", &error_abort);
    assert_true(dev->realized);
    device_destroy(dev);
}

static void test_reset_order(void **state)
{
    DeviceState *a, *br, *l1, *l2, *b;

    a = new_from_str("test-sysdev,id=a", &error_abort);
    br = new_from_str("test-bridge,id=br", &error_abort);
    l1 = new_from_str("test-leaf,id=l1", &error_abort);
    l2 = new_from_str("test-leaf,id=l2", &error_abort);
    b = new_from_str("test-sysdev,id=b", &error_abort);
    log_clear();
    devices_reset_all();
    assert_string_equal(event_log,
                        "reset:a reset:br reset:l1 reset:l2 reset:b ");
    log_clear();
    device_reset_tree(br);
    assert_string_equal(event_log, "reset:br reset:l1 reset:l2 ");
    device_destroy(a);
    device_destroy(b);
    device_destroy(br);
    (void)l1;
    (void)l2;
}

static unsigned path_index(const char *path, const char *prefix)
{
    const char *rest;
    assert_true(strstart(path, prefix, &rest));
    return (unsigned)strtoul(rest, NULL, 10);
}

static void test_paths(void **state)
{
    DeviceState *named, *anon1, *anon2, *board1, *board2;

    named = new_from_str("test-sysdev,id=named0", &error_abort);
    assert_string_equal(device_path(named), "/machine/peripheral/named0");
    anon1 = new_from_str("test-sysdev", &error_abort);
    anon2 = new_from_str("test-sysdev", &error_abort);
    assert_int_equal(path_index(device_path(anon2),
                                "/machine/peripheral-anon/device["),
                     path_index(device_path(anon1),
                                "/machine/peripheral-anon/device[") + 1);
    board1 = sysbus_create_simple("test-nouser", (hwaddr)-1, &error_abort);
    board2 = device_new("test-sysdev", &error_abort);
    assert_true(device_realize(board2, NULL, &error_abort));
    assert_int_equal(path_index(device_path(board2),
                                "/machine/unattached/device["),
                     path_index(device_path(board1),
                                "/machine/unattached/device[") + 1);

    assert_ptr_equal(device_find_path("/machine/peripheral/named0"), named);
    assert_ptr_equal(device_find_path("named0"), named);
    assert_ptr_equal(device_find_path(device_path(anon2)), anon2);
    assert_ptr_equal(device_find_path(device_path(board1)), board1);
    assert_null(device_find_path("/machine/peripheral/none"));
    assert_ptr_equal(device_find_id("named0"), named);

    device_destroy(named);
    device_destroy(anon1);
    device_destroy(anon2);
    device_destroy(board1);
    device_destroy(board2);
}

static void test_ids_and_opts_errors(void **state)
{
    DeviceState *dev, *br;
    Error *err = NULL;

    dev = new_from_str("test-sysdev,id=x", &error_abort);
    assert_null(new_from_str("test-sysdev,id=x", &err));
    expect_error(err, "Duplicate device ID 'x'");
    err = NULL;
    assert_null(new_from_str("test-sysdev,id=1x", &err));
    expect_error(err, "Parameter 'id' expects an identifier");
    err = NULL;
    device_destroy(dev);

    assert_null(new_from_str("no-such-dev", &err));
    expect_error(err, "'no-such-dev' is not a valid device model name");
    err = NULL;
    assert_null(new_from_str("test-nouser", &err));
    expect_error(err, "Parameter 'driver' expects a pluggable device type");
    err = NULL;
    assert_null(new_from_str("test-sysdev,foo=1", &err));
    expect_error(err, "Property 'test-sysdev.foo' not found");
    err = NULL;
    assert_null(new_from_str("test-leaf", &err));
    expect_error(err, "No 'TestBus' bus found for device 'test-leaf'");
    err = NULL;
    assert_null(new_from_str("test-leaf,bus=nope.0", &err));
    expect_error(err, "Bus 'nope.0' not found");
    err = NULL;
    assert_null(new_from_str("test-leaf,bus=main-system-bus", &err));
    expect_error(err, "Device 'test-leaf' can't go on System bus");
    err = NULL;

    /* a bus of a device without id is named after its type */
    br = new_from_str("test-bridge", &error_abort);
    assert_true(strstart(TAILQ_FIRST(&br->child_buses)->name, "testbus.",
                         NULL));
    dev = new_from_str("test-leaf,addr=9", &error_abort);
    assert_ptr_equal(dev->parent_bus, TAILQ_FIRST(&br->child_buses));
    assert_int_equal(((TestLeaf *)dev)->addr, 9);
    device_destroy(br);
}

/* ---- GPIO ---- */

static int icpt_n = -1, icpt_level = -1, icpt_calls;
static void *icpt_opaque;

static void interceptor(void *opaque, int n, int level)
{
    icpt_opaque = opaque;
    icpt_n = n;
    icpt_level = level;
    icpt_calls++;
}

static void test_gpio(void **state)
{
    DeviceState *a = new_from_str("test-sysdev,id=ga", &error_abort);
    DeviceState *b = new_from_str("test-sysdev,id=gb", &error_abort);
    TestSysDev *sa = (TestSysDev *)a, *sb = (TestSysDev *)b;
    IRQLine line = qdev_get_gpio_in(a, 1);
    int marker;

    qdev_connect_gpio_out(b, 0, line);
    assert_true(irq_is_connected(&sb->out[0]));
    irq_raise(&sb->out[0]);
    assert_int_equal(sa->in_calls, 1);
    assert_int_equal(sa->last_in_n, 1);
    assert_int_equal(sa->last_in_level, 1);
    irq_lower(&sb->out[0]);
    assert_int_equal(sa->last_in_level, 0);

    /* intercepting the inputs also redirects copies handed out earlier */
    assert_int_equal(qdev_intercept_gpio_in(a, interceptor, &marker), 2);
    irq_raise(&sb->out[0]);
    assert_int_equal(sa->in_calls, 2);
    assert_int_equal(icpt_calls, 1);
    assert_int_equal(icpt_n, 1);
    assert_int_equal(icpt_level, 1);
    assert_ptr_equal(icpt_opaque, &marker);

    /* intercepting the outputs rewires the device's own pins */
    assert_int_equal(qdev_intercept_gpio_out(b, interceptor, NULL), 1);
    irq_pulse(&sb->out[0]);
    assert_int_equal(icpt_calls, 3);
    assert_int_equal(icpt_n, 0);
    assert_int_equal(icpt_level, 0);
    assert_null(icpt_opaque);

    assert_int_equal(qdev_intercept_gpio_in_named(a, "nope", interceptor,
                                                  NULL), -1);
    assert_non_null(qdev_get_gpio_list(a, NULL));
    assert_null(qdev_get_gpio_list(a, "nope"));

    device_destroy(a);
    device_destroy(b);
}

/* ---- qtree, help ---- */

static void test_qtree(void **state)
{
    DeviceState *q, *br;
    char *text;

    q = new_from_str("test-sysdev,id=q0,iobase=1016,label=serial0",
                     &error_abort);
    sysbus_mmio_map(SYS_BUS_DEVICE(q), 0, 0xfee00000);
    br = new_from_str("test-bridge,id=br", &error_abort);
    new_from_str("test-leaf", &error_abort);

    text = qtree_text();
    if (getenv("TEST_VERBOSE")) {
        fputs(text, stderr);
    }
    assert_true(strstart(text, "bus: main-system-bus\n  type System\n", NULL));
    assert_contains(text, "  dev: test-sysdev, id \"q0\"\n"
                          "    gpio-in \"\" 2\n"
                          "    gpio-out \"\" 1\n"
                          "    iobase = 1016 (0x3f8)\n"
                          "    enabled = true\n"
                          "    label = \"serial0\"\n"
                          "    size = 4096 (4 KiB)\n"
                          "    mode = \"auto\"\n"
                          "    u8 = 7 (0x7)\n");
    assert_contains(text, "    level = -1 (0xffffffffffffffff)\n");
    assert_contains(text, "    mac = \"00:00:00:00:00:00\"\n");
    assert_contains(text, "    peer = \"\"\n");
    /* QEMU leaves an unconnected chardev out */
    assert_null(strstr(text, "chardev ="));
    assert_contains(text, "    mmio 00000000fee00000/0000000000001000\n");
    assert_contains(text, "  dev: test-bridge, id \"br\"\n"
                          "    bus: br.0\n");
    assert_contains(text, "    bus: br.0\n"
                          "      type TestBus\n"
                          "      dev: test-leaf, id \"\"\n"
                          "        addr = 5 (0x5)\n");
    free(text);
    device_destroy(q);
    device_destroy(br);

    text = qtree_text();
    assert_null(strstr(text, "test-sysdev"));
    free(text);
}

/* 'line' is listed under the group header 'group' */
static void assert_in_group(const char *text, const char *line,
                            const char *group)
{
    const char *at = strstr(text, line), *p, *header = NULL;

    if (!at || (at != text && at[-1] != '\n')) {
        fail_msg("'%s' not found in:\n%s", line, text);
    }
    /* the closest "... devices:" line above it */
    for (p = text; p < at; p = strchr(p, '\n') + 1) {
        const char *eol = strchr(p, '\n');
        if (eol - p > 9 && strncmp(eol - 9, " devices:", 9) == 0) {
            header = p;
        }
    }
    if (!header || strncmp(header, group, strlen(group)) != 0 ||
        header[strlen(group)] != '\n') {
        fail_msg("'%s' is not in group '%s':\n%s", line, group, text);
    }
}

static char *capture(void (*fn)(FILE *f, const char *arg), const char *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    fn(f, arg);
    fclose(f);
    return buf;
}

static void print_types(FILE *f, const char *arg)
{
    device_print_types(f);
}

static void print_props(FILE *f, const char *arg)
{
    assert_true(device_print_props(f, arg, &error_abort));
}

static void test_help(void **state)
{
    char *text = capture(print_types, NULL);
    Error *err = NULL;

    if (getenv("TEST_VERBOSE")) {
        fputs(text, stderr);
    }
    /* other devices of the library show up too: check by group */
    assert_in_group(text, "name \"test-bridge\", bus System, "
                    "desc \"Test bridge\"\n", "Controller/Bridge/Hub devices:");
    assert_in_group(text, "name \"test-leaf\", bus TestBus\n",
                    "Storage devices:");
    assert_in_group(text, "name \"test-sysdev\", bus System, "
                    "desc \"Test system device\"\n", "Misc devices:");
    assert_contains(text, "\n\nStorage devices:\n");
    assert_null(strstr(text, "test-nouser"));
    /* bridges come before storage, storage before misc */
    assert_true(strstr(text, "Controller/") < strstr(text, "Storage devices"));
    assert_true(strstr(text, "Storage devices") < strstr(text, "Misc devices"));
    free(text);

    text = capture(print_props, "test-sysdev");
    assert_true(strstart(text, "test-sysdev options:\n", NULL));
    assert_contains(text, "\n  iobase=<uint32>        - I/O base port "
                          "(default: 1016)\n");
    assert_contains(text, "\n  enabled=<bool>         -  (default: true)\n");
    assert_contains(text, "\n  label=<str>            -  "
                          "(default: \"hello\")\n");
    assert_contains(text, "\n  size=<size>            -  (default: 4096)\n");
    assert_contains(text, "\n  mode=<enum>            - off/auto/on "
                          "(default: \"auto\")\n");
    assert_contains(text, "\n  level=<int32>          -  (default: -1)\n");
    assert_contains(text, "\n  chardev=<str>          - ID of a chardev to "
                          "use as a backend\n");
    assert_contains(text, "\n  peer=<link<device>>\n");
    /* sorted by name */
    assert_true(strstr(text, "  chardev=") < strstr(text, "  drive="));
    assert_true(strstr(text, "  u16=") < strstr(text, "  u8="));
    free(text);

    text = capture(print_props, "test-bridge");
    assert_string_equal(text, "There are no options for test-bridge.\n");
    free(text);

    assert_false(device_print_props(stdout, "nope", &err));
    expect_error(err, "'nope' is not a valid device model name");
}

/* ---- backend-valued properties ---- */

static int fake_drive;

static void *fake_drive_lookup(const char *id, Error **errp)
{
    return strcmp(id, "d0") == 0 ? &fake_drive : NULL;
}

static const char *fake_drive_name(void *backend)
{
    return backend == &fake_drive ? "d0" : "?";
}

static void test_backend_props(void **state)
{
    DeviceState *peer = new_from_str("test-sysdev,id=p0", &error_abort);
    DeviceState *dev = device_new("test-sysdev", &error_abort);
    TestSysDev *s = (TestSysDev *)dev;
    Chardev *chr;
    Error *err = NULL;
    char *str;

    expect_set_error(dev, "chardev", "nochr",
                     "Property 'test-sysdev.chardev' can't find value "
                     "'nochr'");
    assert_true(device_set_prop(dev, "peer", "p0", &error_abort));
    assert_ptr_equal(s->peer, peer);
    expect_set_error(dev, "peer", "p9", "can't find value 'p9'");

    qdev_drive_lookup = fake_drive_lookup;
    qdev_drive_name = fake_drive_name;
    assert_true(device_set_prop(dev, "drive", "d0", &error_abort));
    assert_ptr_equal(s->drive, &fake_drive);
    str = device_get_prop_str(dev, device_find_prop(dev->info, "drive"));
    assert_string_equal(str, "d0");
    free(str);
    expect_set_error(dev, "drive", "d1",
                     "Property 'test-sysdev.drive' can't find value 'd1'");
    qdev_drive_lookup = NULL;
    qdev_drive_name = NULL;

    chr = chardev_new_from_spec("qdevchr", "null", &err);
    if (chr) {
        assert_true(device_set_prop(dev, "chardev", "qdevchr", &error_abort));
        assert_ptr_equal(s->chr.chr, chr);
        str = device_get_prop_str(dev, device_find_prop(dev->info,
                                                        "chardev"));
        assert_string_equal(str, "qdevchr");
        free(str);
    } else {
        error_free(err);
    }
    device_destroy(dev);        /* detaches the chardev front end */
    if (chr) {
        assert_null(chr->be);
        chardev_delete(chr);
    }
    device_destroy(peer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_prop_parse),
        cmocka_unit_test(test_set_after_realize),
        cmocka_unit_test(test_globals),
        cmocka_unit_test(test_lifecycle_order),
        cmocka_unit_test(test_realize_failure),
        cmocka_unit_test(test_reset_order),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_ids_and_opts_errors),
        cmocka_unit_test(test_gpio),
        cmocka_unit_test(test_qtree),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_backend_props),
    };
    memory_system_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
