/* Unit tests for the 8254 PIT and port 0x61: modes, IRQ 0 timing against virtual time, latches, read-back, BCD, channel 2 gate. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "hw/isa/isa.h"
#include "hw/timer/i8254.h"
#include "system/memory.h"

#include <setjmp.h>
#include <cmocka.h>
#include <time.h>

static DeviceState *pit;
static int irq0_level;
static int irq0_rises;
static int64_t irq0_last_rise;

static void isa_irq_handler(void *opaque, int n, int level)
{
    if (n != 0) {
        return;
    }
    if (level && !irq0_level) {
        irq0_rises++;
        irq0_last_rise = clock_get_ns(EMU_CLOCK_VIRTUAL);
    }
    irq0_level = level;
}

static void outb(uint16_t port, uint8_t val)
{
    address_space_stb(&address_space_io, port, val, NULL);
}

static uint8_t inb(uint16_t port)
{
    return address_space_ldub(&address_space_io, port, NULL);
}

/* Virtual ns at which 'ticks' PIT clocks have passed since t0 */
static int64_t ticks_ns(uint64_t ticks)
{
    return (ticks * NANOSECONDS_PER_SECOND + PIT_FREQ - 1) / PIT_FREQ;
}

static void step_to(int64_t t)
{
    clock_virtual_set(t);
}

static int64_t now(void)
{
    return clock_get_ns(EMU_CLOCK_VIRTUAL);
}

static void program(int channel, int mode, uint16_t count)
{
    outb(0x43, channel << 6 | 0x30 | mode << 1);
    outb(0x40 + channel, count & 0xff);
    outb(0x40 + channel, count >> 8);
}

static uint16_t latch_read(int channel)
{
    uint16_t v;

    outb(0x43, channel << 6);
    v = inb(0x40 + channel);
    return v | inb(0x40 + channel) << 8;
}

static int setup(void **state)
{
    device_reset(pit);
    irq0_rises = 0;
    return 0;
}

static void test_mode2_rate(void **state)
{
    int64_t t0;

    t0 = now();
    program(0, 2, 1193);        /* ~1 kHz */
    irq0_rises = 0;
    step_to(t0 + 10LL * SCALE_MS);
    assert_int_equal(irq0_rises, 10);
    assert_int_equal(irq0_last_rise, t0 + ticks_ns(10 * 1193));
    /* OUT is high except for one clock before each reload */
    assert_int_equal(irq0_level, 1);
    step_to(t0 + ticks_ns(11 * 1193 - 1));
    assert_int_equal(irq0_level, 0);
    assert_int_equal(irq0_rises, 10);
    step_to(t0 + ticks_ns(11 * 1193));
    assert_int_equal(irq0_level, 1);
    assert_int_equal(irq0_rises, 11);
}

static void test_mode3_square_wave(void **state)
{
    int64_t t0;

    t0 = now();
    program(0, 3, 2386);        /* ~500 Hz */
    irq0_rises = 0;
    step_to(t0 + ticks_ns(1193) - 1);
    assert_int_equal(irq0_level, 1);
    step_to(t0 + ticks_ns(1193));
    assert_int_equal(irq0_level, 0);
    step_to(t0 + ticks_ns(2386));
    assert_int_equal(irq0_level, 1);
    assert_int_equal(irq0_rises, 1);
    step_to(t0 + ticks_ns(2386 * 10));
    assert_int_equal(irq0_rises, 10);
    /* the counter goes down by two */
    assert_int_equal(pit_get_out(pit, 0, now()), 1);
}

static void test_mode0_one_shot(void **state)
{
    int64_t t0;

    outb(0x43, 0x30);
    assert_int_equal(irq0_level, 0);   /* mode 0 starts low */
    t0 = now();
    outb(0x40, 1000 & 0xff);
    outb(0x40, 1000 >> 8);
    step_to(t0 + ticks_ns(999));
    assert_int_equal(irq0_level, 0);
    assert_int_equal(latch_read(0), 1);
    step_to(t0 + ticks_ns(1000));
    assert_int_equal(irq0_level, 1);
    assert_int_equal(irq0_rises, 1);
    /* one-shot: nothing more to time */
    assert_int_equal(clock_virtual_next_deadline(), -1);
    step_to(t0 + ticks_ns(5000));
    assert_int_equal(irq0_rises, 1);
    /* the counter wraps on */
    assert_int_equal(latch_read(0), (uint16_t)(1000 - 5000));
    /* writing the first byte of a new count drops OUT */
    outb(0x40, 0x10);
    assert_int_equal(irq0_level, 0);
    outb(0x40, 0x00);
    assert_int_equal(irq0_level, 0);
}

static void test_mode4_strobe(void **state)
{
    int64_t t0 = now();

    program(0, 4, 100);
    assert_int_equal(irq0_level, 1);
    step_to(t0 + ticks_ns(100));
    assert_int_equal(irq0_level, 0);
    step_to(t0 + ticks_ns(101));
    assert_int_equal(irq0_level, 1);
    assert_int_equal(clock_virtual_next_deadline(), -1);
}

static void test_latch_and_counter(void **state)
{
    int64_t t0 = now();
    uint16_t v;

    program(0, 2, 10000);
    step_to(t0 + ticks_ns(1000));
    outb(0x43, 0x00);           /* latch channel 0 */
    step_to(t0 + ticks_ns(3000));
    outb(0x43, 0x00);           /* ignored: the first latch is unread */
    v = inb(0x40);
    v |= inb(0x40) << 8;
    assert_int_equal(v, 9000);
    /* unlatched reads follow the counter */
    v = inb(0x40);
    v |= inb(0x40) << 8;
    assert_int_equal(v, 7000);
    assert_int_equal(latch_read(0), 7000);
    /* after a full period the counter reloads */
    step_to(t0 + ticks_ns(10000 + 500));
    assert_int_equal(latch_read(0), 9500);
}

static void test_readback(void **state)
{
    int64_t t0 = now();
    uint16_t v;

    program(0, 2, 500);
    program(1, 0, 300);
    step_to(t0 + ticks_ns(100));
    /* read-back: count and status of channels 0 and 1 */
    outb(0x43, 0xc0 | 0x02 | 0x04);
    assert_int_equal(inb(0x40), 0x80 | 0x30 | 0x04);   /* OUT high, mode 2 */
    v = inb(0x40);
    v |= inb(0x40) << 8;
    assert_int_equal(v, 400);
    assert_int_equal(inb(0x41), 0x30);                  /* OUT low, mode 0 */
    v = inb(0x41);
    v |= inb(0x41) << 8;
    assert_int_equal(v, 200);
    /* status only: null count after a control word */
    outb(0x43, 0x70);
    outb(0x43, 0xe0 | 0x04);
    assert_int_equal(inb(0x41), 0x40 | 0x30);
    /* count only */
    outb(0x41, 0x10);
    outb(0x41, 0x00);
    outb(0x43, 0xd0 | 0x04);
    v = inb(0x41);
    v |= inb(0x41) << 8;
    assert_int_equal(v, 0x10);
}

static void test_bcd_and_byte_access(void **state)
{
    int64_t t0 = now();

    /* BCD mode 0, count 1000 */
    outb(0x43, 0x31);
    outb(0x40, 0x00);
    outb(0x40, 0x10);
    step_to(t0 + ticks_ns(100));
    outb(0x43, 0x00);
    assert_int_equal(inb(0x40), 0x00);
    assert_int_equal(inb(0x40), 0x09);
    /* LSB only, mode 2 count 100 */
    t0 = now();
    outb(0x43, 0x14);
    outb(0x40, 100);
    step_to(t0 + ticks_ns(30));
    assert_int_equal(inb(0x40), 70);
    assert_int_equal(inb(0x40), 70);
    /* MSB only: count 0x200 */
    t0 = now();
    outb(0x43, 0x24);
    outb(0x40, 0x02);
    step_to(t0 + ticks_ns(0x100));
    assert_int_equal(inb(0x40), 0x01);
    /* count 0 means 65536 */
    t0 = now();
    irq0_rises = 0;
    program(0, 2, 0);
    step_to(t0 + ticks_ns(65536) - 1);
    assert_int_equal(irq0_rises, 0);
    step_to(t0 + ticks_ns(65536));
    assert_int_equal(irq0_rises, 1);
}

static void test_channel2_speaker_port(void **state)
{
    int64_t t0;
    uint8_t a, b;

    /* mode 0 with the gate on: OUT2 rises after the count */
    outb(0x61, 0x03);
    assert_int_equal(pit_get_gate(pit, 2), 1);
    t0 = now();
    program(2, 0, 100);
    assert_int_equal(inb(0x61) & 0x23, 0x03);
    step_to(t0 + ticks_ns(100));
    assert_int_equal(inb(0x61) & 0x20, 0x20);

    /* mode 1 waits for a rising gate edge */
    outb(0x61, 0x00);
    program(2, 1, 100);
    assert_int_equal(inb(0x61) & 0x20, 0x20);
    step_to(now() + ticks_ns(500));
    assert_int_equal(inb(0x61) & 0x20, 0x20);
    t0 = now();
    outb(0x61, 0x01);
    assert_int_equal(inb(0x61) & 0x20, 0x00);
    step_to(t0 + ticks_ns(100));
    assert_int_equal(inb(0x61) & 0x20, 0x20);

    /* refresh toggles every 15.085 us */
    a = inb(0x61) & 0x10;
    step_to(now() + 15085);
    b = inb(0x61) & 0x10;
    assert_int_not_equal(a, b);

    /* channel 2 never drives IRQ 0 */
    irq0_rises = 0;
    outb(0x43, 0x30);           /* channel 0 waits in mode 0 */
    step_to(now() + SCALE_MS);
    program(2, 3, 100);
    step_to(now() + SCALE_MS);
    assert_int_equal(irq0_rises, 0);
    outb(0x61, 0x00);
}

static void test_reset_state(void **state)
{
    int64_t t0 = now();

    /* power on: mode 3, count 65536 on channel 0 (18.2 Hz) */
    irq0_rises = 0;
    step_to(t0 + ticks_ns(65536 * 2));
    assert_int_equal(irq0_rises, 2);
    assert_int_equal(pit_get_gate(pit, 2), 0);
}

int main(void)
{
    Error *err = NULL;
    ISABus *isa;
    IRQLine irqs[ISA_NUM_IRQS];
    DeviceState *spk;
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
    pit = i8254_pit_init(isa, 0x40, 0, &err);
    assert(pit && !err);
    spk = isa_create_simple(isa, TYPE_PCSPK, &err);
    assert(spk && !err);
    pcspk_set_pit(spk, pit);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state, setup),
        cmocka_unit_test_setup(test_mode2_rate, setup),
        cmocka_unit_test_setup(test_mode3_square_wave, setup),
        cmocka_unit_test_setup(test_mode0_one_shot, setup),
        cmocka_unit_test_setup(test_mode4_strobe, setup),
        cmocka_unit_test_setup(test_latch_and_counter, setup),
        cmocka_unit_test_setup(test_readback, setup),
        cmocka_unit_test_setup(test_bcd_and_byte_access, setup),
        cmocka_unit_test_setup(test_channel2_speaker_port, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
