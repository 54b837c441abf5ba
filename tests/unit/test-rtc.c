/* Unit tests for the MC146818 RTC: time/date encodings, update cycle and UIP, periodic rate, alarm, register C/D, CMOS RAM, NMI mask. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "hw/isa/isa.h"
#include "hw/rtc/mc146818rtc.h"
#include "system/memory.h"

#include <setjmp.h>
#include <cmocka.h>
#include <time.h>

static DeviceState *rtc;
static int irq8_level;

static void isa_irq_handler(void *opaque, int n, int level)
{
    if (n == RTC_ISA_IRQ) {
        irq8_level = level;
    }
}

static void outb(uint16_t port, uint8_t val)
{
    address_space_stb(&address_space_io, port, val, NULL);
}

static uint8_t inb(uint16_t port)
{
    return address_space_ldub(&address_space_io, port, NULL);
}

static uint8_t cmos_read(uint8_t index)
{
    outb(0x70, index);
    return inb(0x71);
}

static void cmos_write(uint8_t index, uint8_t val)
{
    outb(0x70, index);
    outb(0x71, val);
}

static int64_t now(void)
{
    return clock_get_ns(EMU_CLOCK_VIRTUAL);
}

static void step(int64_t ns)
{
    clock_virtual_step(ns);
}

/*
 * Hold the divider in reset, load a time (registers in the current
 * format), release the divider: the first update comes 500 ms later.
 */
static void set_time(uint8_t hour, uint8_t min, uint8_t sec, uint8_t dow,
                     uint8_t day, uint8_t month, uint8_t year,
                     uint8_t century)
{
    cmos_write(0x0a, 0x76);
    cmos_write(0x00, sec);
    cmos_write(0x02, min);
    cmos_write(0x04, hour);
    cmos_write(0x06, dow);
    cmos_write(0x07, day);
    cmos_write(0x08, month);
    cmos_write(0x09, year);
    cmos_write(0x32, century);
    cmos_write(0x0a, 0x26);
}

static int setup(void **state)
{
    /* virtual time, moved by the tests */
    rtc_set_clock(rtc, EMU_CLOCK_VIRTUAL);
    device_reset(rtc);
    cmos_write(0x0b, 0x02);     /* 24 hour, BCD */
    cmos_write(0x0a, 0x26);
    cmos_read(0x0c);
    return 0;
}

static void test_power_on(void **state)
{
    time_t t = time(NULL);
    struct tm tm;
    int year;

    /* the host's UTC date (a midnight in between would be unlucky) */
    gmtime_r(&t, &tm);
    year = tm.tm_year + 1900;
    assert_int_equal(cmos_read(0x0a), 0x26);
    assert_int_equal(cmos_read(0x0b) & 0x02, 0x02);
    assert_int_equal(cmos_read(0x0d), 0x80);
    assert_int_equal(cmos_read(0x32), ((year / 1000) << 4) | (year / 100 % 10));
    assert_int_equal(cmos_read(0x09), ((year / 10 % 10) << 4) | (year % 10));
}

static void test_bcd_and_update(void **state)
{
    int64_t t0;

    set_time(0x12, 0x34, 0x56, 0x04, 0x15, 0x06, 0x24, 0x20);
    t0 = now();
    assert_int_equal(cmos_read(0x00), 0x56);
    assert_int_equal(cmos_read(0x02), 0x34);
    assert_int_equal(cmos_read(0x04), 0x12);
    assert_int_equal(cmos_read(0x07), 0x15);
    assert_int_equal(cmos_read(0x08), 0x06);
    assert_int_equal(cmos_read(0x09), 0x24);
    assert_int_equal(cmos_read(0x32), 0x20);
    /* 2024-06-15 was a Saturday: computed from the date */
    assert_int_equal(cmos_read(0x06), 0x07);

    /* UIP: high in the 244 us before the update */
    clock_virtual_set(t0 + 500LL * SCALE_MS - 245LL * SCALE_US);
    assert_int_equal(cmos_read(0x0a) & 0x80, 0);
    clock_virtual_set(t0 + 500LL * SCALE_MS - 243LL * SCALE_US);
    assert_int_equal(cmos_read(0x0a) & 0x80, 0x80);
    assert_int_equal(cmos_read(0x00), 0x56);
    clock_virtual_set(t0 + 500LL * SCALE_MS);
    assert_int_equal(cmos_read(0x0a) & 0x80, 0);
    assert_int_equal(cmos_read(0x00), 0x57);
    clock_virtual_set(t0 + 2500LL * SCALE_MS);
    assert_int_equal(cmos_read(0x00), 0x59);
    assert_int_equal(cmos_read(0x02), 0x34);
    clock_virtual_set(t0 + 3500LL * SCALE_MS);
    assert_int_equal(cmos_read(0x00), 0x00);
    assert_int_equal(cmos_read(0x02), 0x35);
}

static void test_binary_and_12h(void **state)
{
    /* binary, 24 hour */
    cmos_write(0x0b, 0x06);
    set_time(13, 5, 9, 1, 28, 2, 23, 20);
    assert_int_equal(cmos_read(0x04), 13);
    assert_int_equal(cmos_read(0x00), 9);
    assert_int_equal(cmos_read(0x09), 23);
    /* switch to 12 hour: 1 PM */
    cmos_write(0x0b, 0x04);
    assert_int_equal(cmos_read(0x04), 0x81);
    /* BCD 12 hour */
    cmos_write(0x0b, 0x00);
    assert_int_equal(cmos_read(0x04), 0x81);
    set_time(0x12, 0x00, 0x00, 0x01, 0x01, 0x01, 0x23, 0x20);   /* 12 AM */
    cmos_write(0x0b, 0x02);
    assert_int_equal(cmos_read(0x04), 0x00);
    cmos_write(0x0b, 0x00);
    set_time(0x92, 0x00, 0x00, 0x01, 0x01, 0x01, 0x23, 0x20);   /* 12 PM */
    cmos_write(0x0b, 0x02);
    assert_int_equal(cmos_read(0x04), 0x12);
}

static void test_rollover(void **state)
{
    int64_t t0;

    set_time(0x23, 0x59, 0x59, 0x06, 0x31, 0x12, 0x99, 0x19);
    t0 = now();
    clock_virtual_set(t0 + 500LL * SCALE_MS);
    assert_int_equal(cmos_read(0x00), 0x00);
    assert_int_equal(cmos_read(0x02), 0x00);
    assert_int_equal(cmos_read(0x04), 0x00);
    assert_int_equal(cmos_read(0x07), 0x01);
    assert_int_equal(cmos_read(0x08), 0x01);
    assert_int_equal(cmos_read(0x09), 0x00);
    assert_int_equal(cmos_read(0x32), 0x20);
    assert_int_equal(cmos_read(0x06), 0x07);    /* 2000-01-01: Saturday */
}

static void test_set_bit_freezes(void **state)
{
    set_time(0x10, 0x00, 0x00, 0x01, 0x01, 0x01, 0x20, 0x20);
    step(600LL * SCALE_MS);
    assert_int_equal(cmos_read(0x00), 0x01);
    cmos_write(0x0b, 0x82);
    step(3 * NANOSECONDS_PER_SECOND);
    assert_int_equal(cmos_read(0x00), 0x01);
    assert_int_equal(cmos_read(0x0a) & 0x80, 0);
    cmos_write(0x00, 0x30);
    cmos_write(0x0b, 0x02);
    assert_int_equal(cmos_read(0x00), 0x30);
    step(NANOSECONDS_PER_SECOND);
    assert_int_equal(cmos_read(0x00), 0x31);
    /* SET clears UIE */
    cmos_write(0x0b, 0x92);
    assert_int_equal(cmos_read(0x0b), 0x82);
    cmos_write(0x0b, 0x02);
}

/* Count interrupts over a span, acknowledging each through register C */
static int count_irqs(int64_t span, int64_t granule, uint8_t flag)
{
    int64_t end = now() + span;
    int n = 0;
    uint8_t c;

    while (now() < end) {
        step(granule);
        if (irq8_level) {
            c = cmos_read(0x0c);
            assert_true(c & 0x80);
            if (c & flag) {
                n++;
            }
            assert_int_equal(irq8_level, 0);
        }
    }
    return n;
}

static void test_periodic(void **state)
{
    int n;

    cmos_write(0x0a, 0x26);             /* 1024 Hz */
    cmos_write(0x0b, 0x42);
    n = count_irqs(NANOSECONDS_PER_SECOND, 100LL * SCALE_US, 0x40);
    assert_in_range(n, 1023, 1025);
    cmos_write(0x0a, 0x2f);             /* 2 Hz */
    cmos_read(0x0c);
    n = count_irqs(2 * NANOSECONDS_PER_SECOND, 10LL * SCALE_MS, 0x40);
    assert_in_range(n, 3, 5);
    cmos_write(0x0a, 0x23);             /* 8192 Hz */
    cmos_read(0x0c);
    n = count_irqs(NANOSECONDS_PER_SECOND / 8, 50LL * SCALE_US, 0x40);
    assert_in_range(n, 1023, 1025);
    /* rates 1 and 2 are 256 and 128 Hz */
    cmos_write(0x0a, 0x21);
    cmos_read(0x0c);
    n = count_irqs(NANOSECONDS_PER_SECOND, SCALE_MS, 0x40);
    assert_in_range(n, 255, 257);

    /* PIE off: PF still sets, but no interrupt */
    cmos_write(0x0b, 0x02);
    cmos_write(0x0a, 0x26);
    cmos_read(0x0c);
    step(2LL * SCALE_MS);
    assert_int_equal(irq8_level, 0);
    assert_int_equal(cmos_read(0x0c) & 0xc0, 0x40);
    /* rate 0: nothing */
    cmos_write(0x0a, 0x20);
    cmos_read(0x0c);
    step(2LL * SCALE_MS);
    assert_int_equal(cmos_read(0x0c) & 0x40, 0);
    /* enabling PIE with PF pending interrupts at once */
    cmos_write(0x0a, 0x26);
    step(2LL * SCALE_MS);
    cmos_write(0x0b, 0x42);
    assert_int_equal(irq8_level, 1);
    assert_int_equal(cmos_read(0x0c), 0xc0);
    assert_int_equal(cmos_read(0x0c), 0x00);
    cmos_write(0x0b, 0x02);
}

static void test_update_ended(void **state)
{
    int n;

    set_time(0x08, 0x00, 0x00, 0x01, 0x01, 0x01, 0x20, 0x20);
    cmos_write(0x0b, 0x12);
    n = count_irqs(5 * NANOSECONDS_PER_SECOND, 10LL * SCALE_MS, 0x10);
    assert_int_equal(n, 5);
    cmos_write(0x0b, 0x02);
}

static void test_alarm(void **state)
{
    int64_t t0;

    set_time(0x10, 0x00, 0x00, 0x01, 0x01, 0x01, 0x20, 0x20);
    t0 = now();
    cmos_write(0x01, 0x05);
    cmos_write(0x03, 0x00);
    cmos_write(0x05, 0x10);
    cmos_write(0x0b, 0x22);
    clock_virtual_set(t0 + 4400LL * SCALE_MS);
    assert_int_equal(irq8_level, 0);
    clock_virtual_set(t0 + 4500LL * SCALE_MS);
    assert_int_equal(irq8_level, 1);
    assert_int_equal(cmos_read(0x0c) & 0xa0, 0xa0);
    assert_int_equal(irq8_level, 0);
    /* next day only: nothing in the next minute */
    step(60 * NANOSECONDS_PER_SECOND);
    assert_int_equal(irq8_level, 0);
    cmos_read(0x0c);

    /* don't-care hours and minutes: second 30 of every minute */
    cmos_write(0x01, 0x30);
    cmos_write(0x03, 0xc0);
    cmos_write(0x05, 0xff);
    step(60 * NANOSECONDS_PER_SECOND);
    assert_int_equal(irq8_level, 1);
    cmos_read(0x0c);
    /* AF is set without AIE too, but raises nothing */
    cmos_write(0x0b, 0x02);
    step(60 * NANOSECONDS_PER_SECOND);
    assert_int_equal(irq8_level, 0);
    assert_int_equal(cmos_read(0x0c) & 0xa0, 0x20);
}

static void test_cmos_ram_and_nmi(void **state)
{
    int i;

    for (i = 0x0e; i < 0x80; i++) {
        if (i == 0x32) {
            continue;
        }
        cmos_write(i, i ^ 0xa5);
    }
    for (i = 0x0e; i < 0x80; i++) {
        if (i == 0x32) {
            continue;
        }
        assert_int_equal(cmos_read(i), i ^ 0xa5);
    }
    rtc_set_memory(rtc, 0x34, 0x12);
    rtc_set_memory(rtc, 0x35, 0x34);
    rtc_set_memory(rtc, 200, 0x55);     /* ignored */
    assert_int_equal(cmos_read(0x34), 0x12);
    assert_int_equal(rtc_get_memory(rtc, 0x35), 0x34);
    assert_int_equal(rtc_get_memory(rtc, -1), 0);

    /* bit 7 of the index masks NMI; the index is 7 bits */
    outb(0x70, 0x80 | 0x34);
    assert_true(rtc_nmi_masked(rtc));
    assert_int_equal(inb(0x71), 0x12);
    outb(0x70, 0x35);
    assert_false(rtc_nmi_masked(rtc));
    assert_int_equal(inb(0x71), 0x34);

    /* C and D are read-only */
    cmos_write(0x0d, 0x00);
    assert_int_equal(cmos_read(0x0d), 0x80);
    cmos_write(0x0c, 0xff);
    assert_int_equal(cmos_read(0x0c) & 0x80, 0);
}

int main(void)
{
    Error *err = NULL;
    ISABus *isa;
    IRQLine irqs[ISA_NUM_IRQS];
    int i;

    main_loop_init();
    memory_system_init();
    clock_virtual_set_manual(true);
    isa = isa_bus_new(NULL, get_system_io(), &err);
    assert(isa && !err);
    for (i = 0; i < ISA_NUM_IRQS; i++) {
        irqs[i] = irq_line(isa_irq_handler, NULL, i);
    }
    isa_bus_set_irqs(isa, irqs);
    rtc = mc146818_rtc_init(isa, 0, &err);
    assert(rtc && !err);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_on),
        cmocka_unit_test_setup(test_bcd_and_update, setup),
        cmocka_unit_test_setup(test_binary_and_12h, setup),
        cmocka_unit_test_setup(test_rollover, setup),
        cmocka_unit_test_setup(test_set_bit_freezes, setup),
        cmocka_unit_test_setup(test_periodic, setup),
        cmocka_unit_test_setup(test_update_ended, setup),
        cmocka_unit_test_setup(test_alarm, setup),
        cmocka_unit_test_setup(test_cmos_ram_and_nmi, setup),
    };

    /* test_power_on runs on the host clock; the rest on virtual time */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
