/* Unit tests for the 8259A pair: initialization, vectors, priorities, EOI, masks, cascade, edge/level, poll, info pic. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "hw/intc/i8259.h"
#include "hw/isa/isa.h"
#include "monitor/monitor.h"
#include "system/memory.h"

#include <setjmp.h>
#include <cmocka.h>

static DeviceState *pic;
static IRQLine isa_irqs[ISA_NUM_IRQS];
static int cpu_int_level;
static int cpu_int_changes;

static void cpu_int_handler(void *opaque, int n, int level)
{
    if (level != cpu_int_level) {
        cpu_int_changes++;
    }
    cpu_int_level = level;
}

static void outb(uint16_t port, uint8_t val)
{
    address_space_stb(&address_space_io, port, val, NULL);
}

static uint8_t inb(uint16_t port)
{
    return address_space_ldub(&address_space_io, port, NULL);
}

static void set_irq(int irq, int level)
{
    irq_set(&isa_irqs[irq], level);
}

/* Pulse an edge-triggered input */
static void pulse_irq(int irq)
{
    set_irq(irq, 1);
    set_irq(irq, 0);
}

static void master_eoi(void)
{
    outb(0x20, 0x20);
}

static void slave_eoi(void)
{
    outb(0xa0, 0x20);
}

/* The PC BIOS programming: vectors 0x08 and 0x70, cascade on IR2 */
static void pic_program(uint8_t icw4)
{
    outb(0x20, 0x11);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, icw4);
    outb(0xa0, 0x11);
    outb(0xa1, 0x70);
    outb(0xa1, 0x02);
    outb(0xa1, icw4);
    outb(0x21, 0x00);
    outb(0xa1, 0x00);
}

static int setup(void **state)
{
    int i;

    for (i = 0; i < ISA_NUM_IRQS; i++) {
        set_irq(i, 0);
    }
    outb(0x4d0, 0);
    outb(0x4d1, 0);
    pic_program(0x01);
    cpu_int_changes = 0;
    return 0;
}

static void test_vectors(void **state)
{
    int irq;

    assert_int_equal(cpu_int_level, 0);
    for (irq = 0; irq < 16; irq++) {
        if (irq == 2) {
            continue;
        }
        pulse_irq(irq);
        assert_int_equal(cpu_int_level, 1);
        assert_true(pic_get_output(pic));
        assert_int_equal(pic_read_irq(pic),
                         irq < 8 ? 0x08 + irq : 0x70 + irq - 8);
        /* in service: the line dropped */
        assert_int_equal(cpu_int_level, 0);
        if (irq >= 8) {
            slave_eoi();
        }
        master_eoi();
        assert_int_equal(cpu_int_level, 0);
    }
}

static void test_priority_and_nesting(void **state)
{
    pulse_irq(5);
    pulse_irq(3);
    assert_int_equal(pic_read_irq(pic), 0x08 + 3);
    /* 5 is lower than the in-service 3: held back */
    assert_int_equal(cpu_int_level, 0);
    /* 1 is higher: nests */
    pulse_irq(1);
    assert_int_equal(cpu_int_level, 1);
    assert_int_equal(pic_read_irq(pic), 0x08 + 1);
    /* ISR holds 1 and 3 */
    outb(0x20, 0x0b);
    assert_int_equal(inb(0x20), 0x0a);
    master_eoi();               /* clears 1, the highest */
    assert_int_equal(cpu_int_level, 0);
    master_eoi();               /* clears 3: 5 may go */
    assert_int_equal(cpu_int_level, 1);
    assert_int_equal(pic_read_irq(pic), 0x08 + 5);
    /* specific EOI */
    outb(0x20, 0x60 | 5);
    outb(0x20, 0x0b);
    assert_int_equal(inb(0x20), 0);
    assert_int_equal(cpu_int_level, 0);
}

static void test_irr_isr_read(void **state)
{
    outb(0x21, 0xff);           /* mask all: requests stay in IRR */
    pulse_irq(4);
    pulse_irq(6);
    outb(0x20, 0x0a);
    assert_int_equal(inb(0x20), 0x50);
    outb(0x20, 0x0b);
    assert_int_equal(inb(0x20), 0x00);
    assert_int_equal(inb(0x21), 0xff);
    assert_int_equal(cpu_int_level, 0);
    outb(0x21, 0xef);           /* unmask 4 */
    assert_int_equal(cpu_int_level, 1);
    assert_int_equal(pic_read_irq(pic), 0x0c);
    outb(0x20, 0x0b);
    assert_int_equal(inb(0x20), 0x10);
    outb(0x20, 0x0a);
    assert_int_equal(inb(0x20), 0x40);
    master_eoi();
    outb(0x21, 0x00);
    assert_int_equal(pic_read_irq(pic), 0x0e);
    master_eoi();
}

static void test_mask_slave(void **state)
{
    outb(0xa1, 0x01 << 4);      /* mask IRQ 12 */
    pulse_irq(12);
    assert_int_equal(cpu_int_level, 0);
    outb(0xa1, 0x00);
    assert_int_equal(cpu_int_level, 1);
    assert_int_equal(pic_read_irq(pic), 0x74);
    /* the cascade is in service on the master */
    outb(0x20, 0x0b);
    assert_int_equal(inb(0x20), 0x04);
    outb(0xa0, 0x0b);
    assert_int_equal(inb(0xa0), 0x10);
    slave_eoi();
    master_eoi();
    /* masking the cascade input hides every slave IRQ */
    outb(0x21, 0x04);
    pulse_irq(9);
    assert_int_equal(cpu_int_level, 0);
    outb(0x21, 0x00);
    assert_int_equal(pic_read_irq(pic), 0x71);
    slave_eoi();
    master_eoi();
}

static void test_cascade_priority(void **state)
{
    /* slave IRQs sit between IRQ 1 and IRQ 3 */
    pulse_irq(3);
    pulse_irq(10);
    assert_int_equal(pic_read_irq(pic), 0x72);
    slave_eoi();
    master_eoi();
    assert_int_equal(pic_read_irq(pic), 0x0b);
    master_eoi();
    assert_int_equal(cpu_int_level, 0);
}

static void test_edge_and_level(void **state)
{
    /* edge: a held line gives one interrupt */
    set_irq(4, 1);
    assert_int_equal(pic_read_irq(pic), 0x0c);
    master_eoi();
    assert_int_equal(cpu_int_level, 0);
    set_irq(4, 0);

    /* ELCR masks: IRQ 0-2 and 8, 13 cannot be level */
    outb(0x4d0, 0xff);
    assert_int_equal(inb(0x4d0), 0xf8);
    outb(0x4d1, 0xff);
    assert_int_equal(inb(0x4d1), 0xde);
    outb(0x4d0, 0x00);
    outb(0x4d1, 0x02);          /* IRQ 9 level */

    set_irq(9, 1);
    assert_int_equal(pic_read_irq(pic), 0x71);
    slave_eoi();
    master_eoi();
    /* still asserted: interrupts again */
    assert_int_equal(cpu_int_level, 1);
    assert_int_equal(pic_read_irq(pic), 0x71);
    set_irq(9, 0);
    slave_eoi();
    master_eoi();
    assert_int_equal(cpu_int_level, 0);

    /*
     * A level request that goes away before INTA: the master latched the
     * cascade edge, the slave has nothing, so the slave's IR7 vector
     * comes back (spurious IRQ 15) and only the master needs an EOI.
     */
    set_irq(9, 1);
    assert_int_equal(cpu_int_level, 1);
    set_irq(9, 0);
    assert_int_equal(pic_read_irq(pic), 0x77);
    outb(0xa0, 0x0b);
    assert_int_equal(inb(0xa0), 0x00);
    master_eoi();
    assert_int_equal(cpu_int_level, 0);
    outb(0x4d1, 0x00);
}

static void test_spurious(void **state)
{
    /* nothing pending: IR7's vector, ISR untouched */
    assert_int_equal(pic_read_irq(pic), 0x0f);
    outb(0x20, 0x0b);
    assert_int_equal(inb(0x20), 0x00);
}

static void test_auto_eoi(void **state)
{
    pic_program(0x03);
    pulse_irq(6);
    assert_int_equal(pic_read_irq(pic), 0x0e);
    outb(0x20, 0x0b);
    assert_int_equal(inb(0x20), 0x00);
    /* a lower priority can come in at once */
    pulse_irq(7);
    assert_int_equal(cpu_int_level, 1);
    assert_int_equal(pic_read_irq(pic), 0x0f);
}

static void test_poll(void **state)
{
    pulse_irq(5);
    outb(0x20, 0x0c);
    assert_int_equal(inb(0x20), 0x85);
    /* the poll acknowledged it */
    outb(0x20, 0x0b);
    assert_int_equal(inb(0x20), 0x20);
    master_eoi();
    outb(0x20, 0x0c);
    assert_int_equal(inb(0x20), 0x00);
}

static void test_rotation(void **state)
{
    /* set priority: IR3 lowest, so IR4 highest */
    outb(0x20, 0xc0 | 3);
    pulse_irq(1);
    pulse_irq(5);
    assert_int_equal(pic_read_irq(pic), 0x0d);
    /* rotate on non-specific EOI: 5 becomes lowest, 6 highest */
    outb(0x20, 0xa0);
    assert_int_equal(pic_read_irq(pic), 0x09);
    master_eoi();
    pulse_irq(5);
    pulse_irq(7);
    assert_int_equal(pic_read_irq(pic), 0x0f);
    master_eoi();
    assert_int_equal(pic_read_irq(pic), 0x0d);
    master_eoi();
}

static void test_special_mask(void **state)
{
    pulse_irq(3);
    assert_int_equal(pic_read_irq(pic), 0x0b);
    pulse_irq(5);
    assert_int_equal(cpu_int_level, 0);
    /* mask the in-service level and enter special mask mode */
    outb(0x21, 0x08);
    outb(0x20, 0x68);
    assert_int_equal(cpu_int_level, 1);
    assert_int_equal(pic_read_irq(pic), 0x0d);
    outb(0x20, 0x60 | 5);
    outb(0x20, 0x48);           /* leave special mask mode */
    outb(0x21, 0x00);
    outb(0x20, 0x60 | 3);
    assert_int_equal(cpu_int_level, 0);
}

static void test_info_pic(void **state)
{
    char *out;

    outb(0x21, 0x5a);
    out = hmp_execute("info pic", NULL);
    assert_non_null(out);
    assert_non_null(strstr(out, "pic0: irr=00 imr=5a isr=00 hprio=0 "
                            "irq_base=08 rr_sel=0 elcr=00 fnm=0"));
    assert_non_null(strstr(out, "pic1: irr=00 imr=00 isr=00 hprio=0 "
                            "irq_base=70 rr_sel=0 elcr=00 fnm=0"));
    free(out);
}

int main(void)
{
    Error *err = NULL;
    ISABus *isa;

    main_loop_init();
    memory_system_init();
    isa = isa_bus_new(NULL, get_system_io(), &err);
    assert(isa && !err);
    pic = i8259_init(isa, irq_line(cpu_int_handler, NULL, 0), isa_irqs,
                     &err);
    assert(pic && !err);
    isa_bus_set_irqs(isa, isa_irqs);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_vectors, setup),
        cmocka_unit_test_setup(test_priority_and_nesting, setup),
        cmocka_unit_test_setup(test_irr_isr_read, setup),
        cmocka_unit_test_setup(test_mask_slave, setup),
        cmocka_unit_test_setup(test_cascade_priority, setup),
        cmocka_unit_test_setup(test_edge_and_level, setup),
        cmocka_unit_test_setup(test_spurious, setup),
        cmocka_unit_test_setup(test_auto_eoi, setup),
        cmocka_unit_test_setup(test_poll, setup),
        cmocka_unit_test_setup(test_rotation, setup),
        cmocka_unit_test_setup(test_special_mask, setup),
        cmocka_unit_test_setup(test_info_pic, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
