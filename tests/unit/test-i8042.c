/* Unit tests for the i8042 keyboard controller with its PS/2 keyboard and mouse. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "hw/input/i8042.h"
#include "hw/input/ps2.h"
#include "hw/isa/isa.h"
#include "system/memory.h"
#include "system/runstate.h"
#include <setjmp.h>
#include <cmocka.h>

#define DATA 0x60
#define CMD  0x64

static DeviceState *kbc;
static int irq_level[ISA_NUM_IRQS];
static int irq_raises[ISA_NUM_IRQS];
static int a20_level = -1;
static int resets;

static void isa_irq_handler(void *opaque, int n, int level)
{
    if (level && !irq_level[n]) {
        irq_raises[n]++;
    }
    irq_level[n] = level;
}

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

/* Read one byte, checking it was there and came from the keyboard side */
static uint8_t read_kbd(void)
{
    uint8_t st = inb(CMD);
    assert_true(st & 0x01);
    assert_false(st & 0x20);
    return inb(DATA);
}

static uint8_t read_aux(void)
{
    uint8_t st = inb(CMD);
    assert_true(st & 0x01);
    assert_true(st & 0x20);
    return inb(DATA);
}

static void assert_empty(void)
{
    assert_false(inb(CMD) & 0x01);
}

static void write_cmd_byte(uint8_t v)
{
    outb(CMD, 0x60);
    outb(DATA, v);
}

static int setup(void **state)
{
    device_reset(kbc);
    memset(irq_raises, 0, sizeof(irq_raises));
    return 0;
}

static void test_self_test(void **state)
{
    uint8_t st = inb(CMD);
    assert_int_equal(st & 0x01, 0);
    assert_true(st & 0x10);                 /* not inhibited */
    outb(CMD, 0xaa);
    assert_int_equal(read_kbd(), 0x55);
    assert_true(inb(CMD) & 0x04);           /* system flag */
    outb(CMD, 0xab);
    assert_int_equal(read_kbd(), 0x00);
    outb(CMD, 0xa9);
    assert_int_equal(read_kbd(), 0x00);
    assert_empty();
}

static void test_command_byte(void **state)
{
    outb(CMD, 0x20);
    assert_int_equal(read_kbd(), 0x03);
    assert_true(inb(CMD) & 0x08);           /* last write was a command */
    write_cmd_byte(0x65);
    assert_false(inb(CMD) & 0x08);
    outb(CMD, 0x20);
    assert_int_equal(read_kbd(), 0x65);
    /* disable/enable keyboard and aux show in the command byte */
    outb(CMD, 0xad);
    outb(CMD, 0xa7);
    outb(CMD, 0x20);
    assert_int_equal(read_kbd(), 0x75);
    outb(CMD, 0xae);
    outb(CMD, 0xa8);
    outb(CMD, 0x20);
    assert_int_equal(read_kbd(), 0x45);
    /* the rest of the controller RAM */
    outb(CMD, 0x65);
    outb(DATA, 0x99);
    outb(CMD, 0x25);
    assert_int_equal(read_kbd(), 0x99);
}

static void test_keyboard_reset_identify(void **state)
{
    outb(DATA, 0xff);
    assert_int_equal(irq_level[1], 1);
    assert_int_equal(read_kbd(), 0xfa);
    assert_int_equal(irq_level[1], 1);      /* next byte follows */
    assert_int_equal(read_kbd(), 0xaa);
    assert_int_equal(irq_level[1], 0);
    assert_empty();

    outb(DATA, 0xf2);
    assert_int_equal(read_kbd(), 0xfa);
    assert_int_equal(read_kbd(), 0xab);
    assert_int_equal(read_kbd(), 0x83);

    /* through the translation the id reads as ab 41, as on real PCs */
    write_cmd_byte(0x41);
    outb(DATA, 0xf2);
    assert_int_equal(read_kbd(), 0xfa);
    assert_int_equal(read_kbd(), 0xab);
    assert_int_equal(read_kbd(), 0x41);

    outb(DATA, 0xee);
    assert_int_equal(read_kbd(), 0xee);
    outb(DATA, 0xed);                       /* LEDs */
    assert_int_equal(read_kbd(), 0xfa);
    outb(DATA, 0x07);
    assert_int_equal(read_kbd(), 0xfa);
    outb(DATA, 0x12);                       /* not a command */
    assert_int_equal(read_kbd(), 0xfe);
    assert_empty();
}

static void test_key_translated(void **state)
{
    PS2KbdState *kbd = i8042_keyboard(kbc);

    write_cmd_byte(0x41);                   /* XLATE | KBD_INT */
    ps2_keyboard_event(kbd, 0x1e, true);    /* A */
    assert_int_equal(irq_level[1], 1);
    assert_int_equal(read_kbd(), 0x1e);
    assert_int_equal(irq_level[1], 0);
    ps2_keyboard_event(kbd, 0x1e, false);
    assert_int_equal(read_kbd(), 0x9e);
    ps2_keyboard_event(kbd, 0xc8, true);    /* Up */
    assert_int_equal(read_kbd(), 0xe0);
    assert_int_equal(read_kbd(), 0x48);
    ps2_keyboard_event(kbd, 0xc8, false);
    assert_int_equal(read_kbd(), 0xe0);
    assert_int_equal(read_kbd(), 0xc8);
    ps2_keyboard_event(kbd, 0x41, true);    /* F7: set 2 0x83 */
    assert_int_equal(read_kbd(), 0x41);
    assert_empty();
    assert_int_equal(irq_level[12], 0);
}

static void test_key_sets(void **state)
{
    PS2KbdState *kbd = i8042_keyboard(kbc);

    write_cmd_byte(0x01);                   /* no translation */
    ps2_keyboard_event(kbd, 0x1e, true);
    assert_int_equal(read_kbd(), 0x1c);
    ps2_keyboard_event(kbd, 0x1e, false);
    assert_int_equal(read_kbd(), 0xf0);
    assert_int_equal(read_kbd(), 0x1c);

    /* scan code set 1, queried and used */
    outb(DATA, 0xf0);
    assert_int_equal(read_kbd(), 0xfa);
    outb(DATA, 0x01);
    assert_int_equal(read_kbd(), 0xfa);
    outb(DATA, 0xf0);
    assert_int_equal(read_kbd(), 0xfa);
    outb(DATA, 0x00);
    assert_int_equal(read_kbd(), 0xfa);
    assert_int_equal(read_kbd(), 0x01);
    ps2_keyboard_event(kbd, 0x1e, false);
    assert_int_equal(read_kbd(), 0x9e);

    /* set 3: Escape is 0x08, break with f0 */
    outb(DATA, 0xf0);
    read_kbd();
    outb(DATA, 0x03);
    read_kbd();
    ps2_keyboard_event(kbd, 0x01, true);
    assert_int_equal(read_kbd(), 0x08);
    ps2_keyboard_event(kbd, 0x01, false);
    assert_int_equal(read_kbd(), 0xf0);
    assert_int_equal(read_kbd(), 0x08);

    /* scanning off: no key data */
    outb(DATA, 0xf5);
    assert_int_equal(read_kbd(), 0xfa);
    ps2_keyboard_event(kbd, 0x1e, true);
    assert_empty();
    outb(DATA, 0xf4);
    assert_int_equal(read_kbd(), 0xfa);
    ps2_keyboard_event(kbd, 0x1e, true);
    assert_int_equal(read_kbd(), 0x1c);     /* F5 restored set 2 */
}

static void test_keyboard_disable_and_overrun(void **state)
{
    PS2KbdState *kbd = i8042_keyboard(kbc);

    write_cmd_byte(0x41);
    outb(CMD, 0xad);
    ps2_keyboard_event(kbd, 0x10, true);    /* Q */
    assert_empty();
    assert_int_equal(irq_level[1], 0);
    outb(CMD, 0xae);
    assert_int_equal(irq_level[1], 1);
    assert_int_equal(read_kbd(), 0x10);

    /* 16 bytes of buffer: 15 keys, then one overrun code */
    outb(CMD, 0xad);
    for (int i = 0; i < 20; i++) {
        ps2_keyboard_event(kbd, 0x10, true);
    }
    outb(CMD, 0xae);
    for (int i = 0; i < 15; i++) {
        assert_int_equal(read_kbd(), 0x10);
    }
    assert_int_equal(read_kbd(), 0xff);     /* overrun, translated */
    assert_empty();
}

static void mouse_cmd(uint8_t v)
{
    outb(CMD, 0xd4);
    outb(DATA, v);
}

static void test_mouse(void **state)
{
    PS2MouseState *mouse = i8042_mouse(kbc);

    write_cmd_byte(0x47);                   /* KBD_INT | AUX_INT | XLATE */
    outb(CMD, 0xa8);
    mouse_cmd(0xff);
    assert_int_equal(irq_level[12], 1);
    assert_int_equal(irq_level[1], 0);
    assert_int_equal(read_aux(), 0xfa);
    assert_int_equal(read_aux(), 0xaa);
    assert_int_equal(read_aux(), 0x00);
    assert_int_equal(irq_level[12], 0);

    /* disabled: motion is not reported */
    ps2_mouse_event(mouse, 5, 5, 0, 0);
    assert_empty();

    mouse_cmd(0xf4);
    assert_int_equal(read_aux(), 0xfa);
    ps2_mouse_event(mouse, 5, -3, 0, PS2_MOUSE_BUTTON_LEFT);
    assert_int_equal(irq_level[12], 1);
    assert_int_equal(read_aux(), 0x09);     /* left, bit 3 always set */
    assert_int_equal(read_aux(), 5);
    assert_int_equal(read_aux(), 3);        /* PS/2 y grows upwards */
    ps2_mouse_event(mouse, -2, 4, 0, 0);
    assert_int_equal(read_aux(), 0x38);     /* x and y negative */
    assert_int_equal(read_aux(), 0xfe);
    assert_int_equal(read_aux(), 0xfc);
    assert_empty();

    /* status request */
    mouse_cmd(0xe9);
    assert_int_equal(read_aux(), 0xfa);
    assert_int_equal(read_aux(), 0x20);     /* stream, enabled */
    assert_int_equal(read_aux(), 2);
    assert_int_equal(read_aux(), 100);

    /* IntelliMouse: 200, 100, 80 -> id 3, 4-byte packets */
    static const uint8_t knock3[] = { 200, 100, 80 };
    for (int i = 0; i < 3; i++) {
        mouse_cmd(0xf3);
        assert_int_equal(read_aux(), 0xfa);
        mouse_cmd(knock3[i]);
        assert_int_equal(read_aux(), 0xfa);
    }
    mouse_cmd(0xf2);
    assert_int_equal(read_aux(), 0xfa);
    assert_int_equal(read_aux(), 0x03);
    ps2_mouse_event(mouse, 0, 0, 1, 0);
    assert_int_equal(read_aux(), 0x08);
    assert_int_equal(read_aux(), 0);
    assert_int_equal(read_aux(), 0);
    assert_int_equal(read_aux(), 1);

    /* 200, 200, 80 -> id 4 (Explorer) */
    static const uint8_t knock4[] = { 200, 200, 80 };
    for (int i = 0; i < 3; i++) {
        mouse_cmd(0xf3);
        read_aux();
        mouse_cmd(knock4[i]);
        read_aux();
    }
    mouse_cmd(0xf2);
    assert_int_equal(read_aux(), 0xfa);
    assert_int_equal(read_aux(), 0x04);
    ps2_mouse_event(mouse, 0, 0, -1, PS2_MOUSE_BUTTON_SIDE);
    assert_int_equal(read_aux(), 0x08);
    read_aux();
    read_aux();
    assert_int_equal(read_aux(), 0x1f);

    /* remote mode: only on request */
    mouse_cmd(0xf0);
    assert_int_equal(read_aux(), 0xfa);
    ps2_mouse_event(mouse, 1, 0, 0, 0);
    assert_empty();
    mouse_cmd(0xeb);
    assert_int_equal(read_aux(), 0xfa);
    assert_int_equal(read_aux(), 0x08);
    assert_int_equal(read_aux(), 1);
    assert_int_equal(read_aux(), 0);
    assert_int_equal(read_aux(), 0);

    /* aux disabled: data stays queued */
    outb(CMD, 0xa7);
    mouse_cmd(0xe6);
    assert_empty();
    outb(CMD, 0xa8);
    assert_int_equal(read_aux(), 0xfa);
}

static void test_large_motion(void **state)
{
    PS2MouseState *mouse = i8042_mouse(kbc);

    write_cmd_byte(0x03);
    mouse_cmd(0xf4);
    read_aux();
    ps2_mouse_event(mouse, 300, 0, 0, 0);
    /* split into packets of at most 255 */
    assert_int_equal(read_aux(), 0x08);
    assert_int_equal(read_aux(), 255);
    read_aux();
    assert_int_equal(read_aux(), 0x08);
    assert_int_equal(read_aux(), 45);
    read_aux();
    assert_empty();
}

static void test_a20_and_outport(void **state)
{
    assert_int_equal(a20_level, 1);         /* reset: A20 on */
    outb(CMD, 0xd0);
    assert_int_equal(read_kbd() & 0x03, 0x03);
    outb(CMD, 0xd1);
    outb(DATA, 0xdd);                       /* A20 off, no reset */
    assert_int_equal(a20_level, 0);
    outb(CMD, 0xd0);
    assert_int_equal(read_kbd() & 0x03, 0x01);
    outb(CMD, 0xd1);
    outb(DATA, 0xdf);
    assert_int_equal(a20_level, 1);
    outb(CMD, 0xdd);
    assert_int_equal(a20_level, 0);
    outb(CMD, 0xdf);
    assert_int_equal(a20_level, 1);
    outb(CMD, 0xc0);
    assert_int_equal(read_kbd(), 0x80);
    outb(CMD, 0xe0);
    assert_int_equal(read_kbd(), 0x00);
}

static void test_reset_pulse(void **state)
{
    int status = 0;

    resets = 0;
    outb(CMD, 0xff);                        /* pulse nothing */
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(resets, 0);
    outb(CMD, 0xfe);
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(resets, 1);
    /* writing output port bit 0 = 0 holds the CPU in reset */
    outb(CMD, 0xd1);
    outb(DATA, 0x02);
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(resets, 2);
}

static void test_write_obuf(void **state)
{
    write_cmd_byte(0x03);
    outb(CMD, 0xd2);
    outb(DATA, 0x5a);
    assert_int_equal(read_kbd(), 0x5a);
    outb(CMD, 0xd3);
    outb(DATA, 0xa5);
    assert_int_equal(irq_level[12], 1);
    assert_int_equal(read_aux(), 0xa5);
    /* interrupts masked in the command byte: data, but no IRQ */
    write_cmd_byte(0x00);
    outb(DATA, 0xee);
    assert_int_equal(irq_level[1], 0);
    assert_int_equal(read_kbd(), 0xee);
    /* reading an empty buffer repeats the last byte */
    assert_int_equal(inb(DATA), 0xee);
    /* unknown command: logged, ignored */
    outb(CMD, 0xc7);
    assert_empty();
}

int main(void)
{
    IRQLine irqs[ISA_NUM_IRQS];
    ISABus *isa;

    main_loop_init();
    memory_system_init();
    isa = isa_bus_new(NULL, get_system_io(), &error_abort);
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        irqs[i] = irq_line(isa_irq_handler, NULL, i);
    }
    isa_bus_set_irqs(isa, irqs);
    register_reset(count_reset, NULL);

    kbc = device_new(TYPE_I8042, &error_abort);
    qdev_connect_gpio_out_named(kbc, I8042_A20_LINE, 0,
                                irq_line(a20_handler, NULL, 0));
    assert(device_realize(kbc, &isa->bus, &error_abort));
    assert(i8042_keyboard(kbc) && i8042_mouse(kbc));

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_self_test, setup),
        cmocka_unit_test_setup(test_command_byte, setup),
        cmocka_unit_test_setup(test_keyboard_reset_identify, setup),
        cmocka_unit_test_setup(test_key_translated, setup),
        cmocka_unit_test_setup(test_key_sets, setup),
        cmocka_unit_test_setup(test_keyboard_disable_and_overrun, setup),
        cmocka_unit_test_setup(test_mouse, setup),
        cmocka_unit_test_setup(test_large_motion, setup),
        cmocka_unit_test_setup(test_a20_and_outport, setup),
        cmocka_unit_test_setup(test_reset_pulse, setup),
        cmocka_unit_test_setup(test_write_obuf, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
