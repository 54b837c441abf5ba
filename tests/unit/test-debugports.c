/* Unit tests for the small PC ports: isa-debugcon, isa-debug-exit, port92, port 0x80. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "chardev/char.h"
#include "hw/isa/isa.h"
#include "hw/misc/ioport80.h"
#include "hw/misc/port92.h"
#include "system/memory.h"
#include "system/runstate.h"
#include <setjmp.h>
#include <cmocka.h>
#include "tests/unit/support/capture-chr.h"

static ISABus *isa;
static int a20_level = -1;
static int resets;

static void a20_handler(void *opaque, int n, int level)
{
    a20_level = level;
}

static void count_reset(void *opaque)
{
    resets++;
}

static void outb(uint16_t port, uint8_t v)
{
    address_space_stb(&address_space_io, port, v, NULL);
}

static uint8_t inb(uint16_t port)
{
    return address_space_ldub(&address_space_io, port, NULL);
}

static DeviceState *create(const char *type, const char *const *props)
{
    DeviceState *dev = device_new(type, &error_abort);

    for (int i = 0; props && props[i]; i += 2) {
        device_set_prop(dev, props[i], props[i + 1], &error_abort);
    }
    assert_true(device_realize(dev, &isa->bus, &error_abort));
    return dev;
}

static void test_debugcon(void **state)
{
    Chardev *t = capture_chr_new("dbg");
    static const char *const props[] = {
        "iobase", "0x402", "chardev", "dbg", NULL
    };
    DeviceState *dev = create("isa-debugcon", props);

    for (const char *p = "SeaBIOS\n"; *p; p++) {
        outb(0x402, *p);
    }
    assert_string_equal(capture_chr_output(t), "SeaBIOS\n");
    assert_int_equal(inb(0x402), 0xe9);
    /* a word write: the high byte belongs to the next port, as on a PC */
    address_space_stw_le(&address_space_io, 0x402, 0x6968, NULL);
    assert_string_equal(capture_chr_output(t), "SeaBIOS\nh");
    device_destroy(dev);

    /* default port 0xe9, chosen readback */
    static const char *const props2[] = { "readback", "0x42", NULL };
    dev = create("isa-debugcon", props2);
    assert_int_equal(inb(0xe9), 0x42);
    outb(0xe9, 'x');                        /* no chardev: dropped */
    device_destroy(dev);
}

static void test_debug_exit(void **state)
{
    int status = -1;
    DeviceState *dev = create("isa-debug-exit", NULL);

    assert_false(main_loop_should_exit(&status));
    outb(0x501, 0x01);
    assert_true(main_loop_should_exit(&status));
    assert_int_equal(status, 3);
    assert_false(main_loop_should_exit(&status));
    outb(0x502, 0x00);                      /* second port of iosize 2 */
    assert_true(main_loop_should_exit(&status));
    assert_int_equal(status, 1);
    /* status is (V << 1) | 1, as the host sees an exit code */
    outb(0x501, 0x20);
    assert_true(main_loop_should_exit(&status));
    assert_int_equal(status, 0x41);
    device_destroy(dev);
    /* the exit wins over a pending reset */
    dev = create("isa-debug-exit", NULL);
    system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    outb(0x501, 0x02);
    assert_true(main_loop_should_exit(&status));
    assert_int_equal(status, 5);
    resets = 0;
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(resets, 1);
    device_destroy(dev);
}

static void test_port92(void **state)
{
    int status = 0;
    DeviceState *dev = device_new(TYPE_PORT92, &error_abort);

    qdev_connect_gpio_out_named(dev, PORT92_A20_LINE, 0,
                                irq_line(a20_handler, NULL, 0));
    assert_true(device_realize(dev, &isa->bus, &error_abort));
    device_reset(dev);
    assert_int_equal(inb(0x92), 0x00);
    outb(0x92, 0x02);
    assert_int_equal(a20_level, 1);
    assert_int_equal(inb(0x92), 0x02);
    outb(0x92, 0x00);
    assert_int_equal(a20_level, 0);

    resets = 0;
    outb(0x92, 0x03);                       /* fast reset, A20 on */
    assert_int_equal(a20_level, 1);
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(resets, 1);
    /* the reset cleared bit 0, A20 stays */
    assert_int_equal(inb(0x92), 0x02);
    outb(0x92, 0x02);                       /* no 0 -> 1 edge of bit 0 */
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(resets, 1);
    device_destroy(dev);
}

static void test_ioport80(void **state)
{
    ioport80_init(get_system_io());
    outb(0x80, 0x55);
    assert_int_equal(inb(0x80), 0xff);
}

int main(void)
{
    main_loop_init();
    memory_system_init();
    isa = isa_bus_new(NULL, get_system_io(), &error_abort);
    register_reset(count_reset, NULL);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_debugcon),
        cmocka_unit_test(test_debug_exit),
        cmocka_unit_test(test_port92),
        cmocka_unit_test(test_ioport80),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
