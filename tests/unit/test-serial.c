/* Unit tests for the 16550A UART (isa-serial), driven through the I/O space. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "chardev/char.h"
#include "hw/char/serial.h"
#include "hw/isa/isa.h"
#include "migration/vmstate.h"
#include "system/memory.h"
#include <setjmp.h>
#include <cmocka.h>

#define COM1 0x3f8
#define RBR 0
#define THR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

/* ---- A chardev that records output and can pretend to be busy ---- */

typedef struct TestChardev {
    Chardev parent;
    StrBuf out;
    bool busy;              /* write() takes nothing while set */
} TestChardev;

static bool testchr_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    strbuf_init(&((TestChardev *)chr)->out);
    return true;
}

static int testchr_write(Chardev *chr, const uint8_t *buf, int len)
{
    TestChardev *t = (TestChardev *)chr;

    if (t->busy) {
        return 0;
    }
    strbuf_append_len(&t->out, (const char *)buf, len);
    return len;
}

static void testchr_close(Chardev *chr)
{
    strbuf_free(&((TestChardev *)chr)->out);
}

static const ChardevDriver testchr_driver = {
    .name = "testchr",
    .instance_size = sizeof(TestChardev),
    .open = testchr_open,
    .write = testchr_write,
    .close = testchr_close,
};

static TestChardev *tchr;
static DeviceState *uart;
static int irq_level[ISA_NUM_IRQS];

static void isa_irq_handler(void *opaque, int n, int level)
{
    irq_level[n] = level;
}

static void outb(uint16_t reg, uint8_t v)
{
    address_space_stb(&address_space_io, COM1 + reg, v, NULL);
}

static uint8_t inb(uint16_t reg)
{
    return address_space_ldub(&address_space_io, COM1 + reg, NULL);
}

static char *take_output(void)
{
    char *s = emu_strdup(tchr->out.str ? tchr->out.str : "");
    strbuf_truncate(&tchr->out, 0);
    return s;
}

static int setup(void **state)
{
    device_reset(uart);
    tchr->busy = false;
    strbuf_truncate(&tchr->out, 0);
    return 0;
}

/* Linux's 8250 autoconfig: IER, scratch, DLAB, FIFO type, loopback */
static void test_probe(void **state)
{
    outb(IER, 0);
    assert_int_equal(inb(IER), 0);
    outb(IER, 0x0f);
    assert_int_equal(inb(IER) & 0x0f, 0x0f);
    outb(IER, 0xff);
    assert_int_equal(inb(IER), 0x0f);       /* no 16750 bits */
    outb(IER, 0);

    outb(SCR, 0xa5);
    assert_int_equal(inb(SCR), 0xa5);
    outb(SCR, 0x5a);
    assert_int_equal(inb(SCR), 0x5a);

    /* divisor latch */
    outb(LCR, 0x80);
    outb(0, 0x01);
    outb(1, 0x02);
    assert_int_equal(inb(0), 0x01);
    assert_int_equal(inb(1), 0x02);
    outb(LCR, 0x03);
    assert_int_equal(inb(LCR), 0x03);
    assert_int_equal(inb(IER), 0);          /* IER again, not DLM */

    /* 16450 mode, then FIFO mode: IIR bits 6-7 = 11 means 16550A */
    assert_int_equal(inb(IIR), 0x01);
    outb(FCR, 0x01);
    assert_int_equal(inb(IIR) & 0xc0, 0xc0);
    outb(FCR, 0x00);
    assert_int_equal(inb(IIR) & 0xc0, 0x00);

    /* loopback: RTS -> CTS, OUT2 -> DCD */
    outb(MCR, 0x1a);
    assert_int_equal(inb(MSR) & 0xf0, 0x90);
    outb(MCR, 0x1f);
    assert_int_equal(inb(MSR) & 0xf0, 0xf0);
    outb(MCR, 0x08);
    /* out of loopback: CTS/DSR/DCD from the attached backend */
    assert_int_equal(inb(MSR) & 0xf0, 0xb0);
    assert_int_equal(inb(LSR), 0x60);
}

static void test_transmit(void **state)
{
    const char *msg = "hello, world\n";

    outb(LCR, 0x03);
    for (const char *p = msg; *p; p++) {
        assert_true(inb(LSR) & 0x20);
        outb(THR, *p);
    }
    char *out = take_output();
    assert_string_equal(out, msg);
    free(out);
    assert_int_equal(inb(LSR) & 0x60, 0x60);
}

static void test_thre_interrupt(void **state)
{
    assert_int_equal(irq_level[4], 0);
    outb(IER, 0x02);
    /* enabling THRI with THR empty interrupts at once */
    assert_int_equal(irq_level[4], 1);
    assert_int_equal(inb(IIR), 0x02);
    /* reading IIR acknowledged it */
    assert_int_equal(irq_level[4], 0);
    assert_int_equal(inb(IIR), 0x01);

    /* Linux's UART_BUG_THRE probe: IER off and on again re-arms it */
    outb(IER, 0);
    outb(IER, 0x02);
    assert_int_equal(inb(IIR) & 0x0f, 0x02);

    /* after a byte is sent the THR is empty again: new interrupt */
    outb(THR, 'x');
    assert_int_equal(irq_level[4], 1);
    assert_int_equal(inb(IIR), 0x02);
    outb(IER, 0);
    assert_int_equal(irq_level[4], 0);
    free(take_output());
}

static void test_receive(void **state)
{
    Chardev *chr = &tchr->parent;

    outb(FCR, 0x07);                        /* FIFO, trigger level 1 */
    outb(IER, 0x01);
    assert_int_equal(irq_level[4], 0);
    assert_int_equal(chardev_be_can_read(chr), 16);
    chardev_be_deliver(chr, (const uint8_t *)"AB", 2);
    assert_int_equal(irq_level[4], 1);
    assert_int_equal(inb(IIR), 0xc4);
    assert_true(inb(LSR) & 0x01);
    assert_int_equal(inb(RBR), 'A');
    assert_int_equal(irq_level[4], 1);
    assert_int_equal(inb(RBR), 'B');
    assert_int_equal(irq_level[4], 0);
    assert_false(inb(LSR) & 0x01);
    assert_int_equal(inb(IIR), 0xc1);

    /* 16450 mode holds one byte: flow control stops the backend */
    outb(FCR, 0x00);
    assert_int_equal(chardev_be_can_read(chr), 1);
    chardev_be_deliver(chr, (const uint8_t *)"C", 1);
    assert_int_equal(chardev_be_can_read(chr), 0);
    assert_int_equal(inb(IIR), 0x04);
    assert_int_equal(inb(RBR), 'C');
    assert_int_equal(chardev_be_can_read(chr), 1);
}

static void test_fifo_trigger_and_timeout(void **state)
{
    Chardev *chr = &tchr->parent;
    uint8_t buf[16];

    outb(LCR, 0x03);
    outb(FCR, 0x81);                        /* trigger level 8 */
    outb(IER, 0x01);
    chardev_be_deliver(chr, (const uint8_t *)"abc", 3);
    assert_int_equal(irq_level[4], 0);
    /* four character times later the timeout interrupt fires */
    clock_virtual_step(10 * 1000 * 1000);
    assert_int_equal(irq_level[4], 1);
    assert_int_equal(inb(IIR), 0xcc);
    assert_int_equal(inb(RBR), 'a');
    assert_int_equal(irq_level[4], 0);
    assert_int_equal(inb(RBR), 'b');
    assert_int_equal(inb(RBR), 'c');

    /* reaching the trigger level interrupts at once */
    memset(buf, 'z', sizeof(buf));
    chardev_be_deliver(chr, buf, 8);
    assert_int_equal(irq_level[4], 1);
    assert_int_equal(inb(IIR), 0xc4);
    /* the FIFO takes 8 more, then flow control holds the backend */
    assert_int_equal(chardev_be_can_read(chr), 8);
    chardev_be_deliver(chr, buf, 8);
    assert_int_equal(chardev_be_can_read(chr), 0);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(inb(RBR), 'z');
    }
    assert_false(inb(LSR) & 0x03);          /* no data, no overrun */
    assert_int_equal(irq_level[4], 0);
}

static void test_loopback(void **state)
{
    outb(FCR, 0x01);
    outb(MCR, 0x10);
    assert_int_equal(chardev_be_can_read(&tchr->parent), 0);
    outb(THR, 'L');
    outb(THR, 'B');
    assert_true(inb(LSR) & 0x01);
    assert_int_equal(inb(RBR), 'L');
    assert_int_equal(inb(RBR), 'B');
    char *out = take_output();
    assert_string_equal(out, "");
    free(out);
    /* modem status deltas and the MSI interrupt in loopback */
    inb(MSR);                               /* clear entering deltas */
    outb(IER, 0x08);
    outb(MCR, 0x12);                        /* RTS -> CTS changes */
    assert_int_equal(irq_level[4], 1);
    assert_int_equal(inb(IIR) & 0x0f, 0x00);
    assert_int_equal(inb(MSR), 0x11);
    assert_int_equal(irq_level[4], 0);
    outb(MCR, 0x08);
    outb(IER, 0);
}

static void test_break(void **state)
{
    outb(IER, 0x04);
    chardev_be_event(&tchr->parent, CHR_EVENT_BREAK);
    assert_int_equal(irq_level[4], 1);
    assert_int_equal(inb(IIR), 0x06);
    uint8_t lsr = inb(LSR);
    assert_true(lsr & 0x10);
    assert_true(lsr & 0x01);
    assert_int_equal(irq_level[4], 0);
    assert_false(inb(LSR) & 0x10);          /* cleared by reading */
    assert_int_equal(inb(RBR), 0);
}

static void test_slow_backend(void **state)
{
    tchr->busy = true;
    outb(FCR, 0x01);
    outb(THR, '1');
    outb(THR, '2');
    /* the backend took nothing: the bytes wait in the TX FIFO */
    assert_false(inb(LSR) & 0x20);
    outb(IER, 0x02);
    assert_int_equal(irq_level[4], 0);
    tchr->busy = false;
    /* the retry timer runs on the host clock */
    for (int i = 0; i < 100 && (inb(LSR) & 0x20) == 0; i++) {
        main_loop_wait(5);
    }
    assert_true(inb(LSR) & 0x20);
    assert_int_equal(irq_level[4], 1);
    char *out = take_output();
    assert_string_equal(out, "12");
    free(out);
}

static void test_properties(void **state)
{
    Error *err = NULL;
    DeviceState *dev = device_new(TYPE_ISA_SERIAL, &error_abort);

    /* index 3 without iobase/irq is COM4: 0x2e8, irq 3 */
    device_prop_set_uint(dev, "index", 3, &error_abort);
    assert_true(device_realize(dev, NULL, &error_abort));
    address_space_stb(&address_space_io, 0x2e8 + SCR, 0x42, NULL);
    assert_int_equal(address_space_ldub(&address_space_io, 0x2e8 + SCR,
                                        NULL), 0x42);
    address_space_stb(&address_space_io, 0x2e8 + IER, 0x02, NULL);
    assert_int_equal(irq_level[3], 1);
    device_destroy(dev);
    irq_level[3] = 0;

    dev = device_new(TYPE_ISA_SERIAL, &error_abort);
    device_prop_set_uint(dev, "index", 4, &error_abort);
    assert_false(device_realize(dev, NULL, &err));
    assert_non_null(err);
    error_free(err);
    err = NULL;
    device_destroy(dev);

    dev = device_new(TYPE_ISA_SERIAL, &error_abort);
    device_prop_set_uint(dev, "iobase", 0x3e8, &error_abort);
    device_prop_set_uint(dev, "irq", 16, &error_abort);
    assert_false(device_realize(dev, NULL, &err));
    error_free(err);
    device_destroy(dev);
}

static void test_bad_access(void **state)
{
    /* word accesses are not valid on the UART: rejected, no crash */
    address_space_stw_le(&address_space_io, COM1, 0x4141, NULL);
    assert_int_equal(address_space_lduw_le(&address_space_io, COM1 + LSR,
                                           NULL), 0xffff);
    char *out = take_output();
    assert_string_equal(out, "");
    free(out);
}

static void test_migration(void **state)
{
    VMStream out, in;
    Error *err = NULL;

    outb(FCR, 0x01);
    outb(SCR, 0x77);
    outb(IER, 0x01);
    chardev_be_deliver(&tchr->parent, (const uint8_t *)"xyz", 3);
    inb(RBR);                               /* FIFO now wraps from 1 */
    vmstream_init(&out);
    assert_int_equal(vmstate_save_devices(&out, &error_abort), 0);

    device_reset(uart);
    assert_int_equal(irq_level[4], 0);
    vmstream_init_read(&in, out.buf, out.len);
    assert_int_equal(vmstate_load_devices(&in, &error_abort), 0);
    assert_int_equal(irq_level[4], 1);
    assert_int_equal(inb(SCR), 0x77);
    assert_int_equal(inb(RBR), 'y');
    assert_int_equal(inb(RBR), 'z');
    assert_int_equal(irq_level[4], 0);

    /* a stream with an out-of-range FIFO index is refused */
    size_t pos = 0;
    for (size_t i = 0; i + 3 < out.len; i++) {
        if (!memcmp(out.buf + i, "xyz", 3)) {
            pos = i;
        }
    }
    assert_true(pos > 0);
    /* rx_head follows the 16-byte rx FIFO */
    out.buf[pos + 16] = 200;
    vmstream_init_read(&in, out.buf, out.len);
    assert_true(vmstate_load_devices(&in, &err) < 0);
    assert_non_null(err);
    error_free(err);
    vmstream_free(&out);
}

int main(void)
{
    IRQLine irqs[ISA_NUM_IRQS];
    ISABus *isa;

    main_loop_init();
    memory_system_init();
    clock_virtual_set_manual(true);
    isa = isa_bus_new(NULL, get_system_io(), &error_abort);
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        irqs[i] = irq_line(isa_irq_handler, NULL, i);
    }
    isa_bus_set_irqs(isa, irqs);

    chardev_register_driver(&testchr_driver);
    tchr = (TestChardev *)chardev_new_from_cmdline("testchr,id=ser0",
                                                   &error_abort);
    uart = device_new(TYPE_ISA_SERIAL, &error_abort);
    device_set_prop(uart, "chardev", "ser0", &error_abort);
    device_prop_set_uint(uart, "index", 0, &error_abort);
    assert(device_realize(uart, &isa->bus, &error_abort));

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_probe, setup),
        cmocka_unit_test_setup(test_transmit, setup),
        cmocka_unit_test_setup(test_thre_interrupt, setup),
        cmocka_unit_test_setup(test_receive, setup),
        cmocka_unit_test_setup(test_fifo_trigger_and_timeout, setup),
        cmocka_unit_test_setup(test_loopback, setup),
        cmocka_unit_test_setup(test_break, setup),
        cmocka_unit_test_setup(test_slow_backend, setup),
        cmocka_unit_test_setup(test_properties, setup),
        cmocka_unit_test_setup(test_bad_access, setup),
        cmocka_unit_test_setup(test_migration, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
