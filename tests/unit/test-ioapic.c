/* Unit tests for the I/O APIC: ID/version, redirection table, masking, edge and level delivery, remote IRR and EOI. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "hw/intc/ioapic.h"
#include "system/memory.h"

#include <setjmp.h>
#include <cmocka.h>

#define BASE IOAPIC_DEFAULT_ADDRESS

static DeviceState *ioapic;

typedef struct Delivery {
    uint8_t dest, dest_mode, delivery_mode, vector, trigger;
    bool level;
} Delivery;

static Delivery deliveries[16];
static int n_deliveries;

static void deliver(void *opaque, uint8_t dest, uint8_t dest_mode,
                    uint8_t delivery_mode, uint8_t vector, bool level,
                    uint8_t trigger)
{
    assert_ptr_equal(opaque, &deliveries);
    if (n_deliveries < (int)ARRAY_SIZE(deliveries)) {
        deliveries[n_deliveries] = (Delivery) {
            dest, dest_mode, delivery_mode, vector, trigger, level
        };
    }
    n_deliveries++;
}

static uint32_t ioapic_read(uint8_t index)
{
    address_space_stl_le(&address_space_memory, BASE, index, NULL);
    return address_space_ldl_le(&address_space_memory, BASE + 0x10, NULL);
}

static void ioapic_write(uint8_t index, uint32_t val)
{
    address_space_stl_le(&address_space_memory, BASE, index, NULL);
    address_space_stl_le(&address_space_memory, BASE + 0x10, val, NULL);
}

static void set_pin(int pin, int level)
{
    IRQLine l = qdev_get_gpio_in(ioapic, pin);

    irq_set(&l, level);
}

static void set_entry(int pin, uint64_t entry)
{
    ioapic_write(0x10 + 2 * pin + 1, entry >> 32);
    ioapic_write(0x10 + 2 * pin, (uint32_t)entry);
}

static int setup(void **state)
{
    int i;

    for (i = 0; i < IOAPIC_NUM_PINS; i++) {
        set_pin(i, 0);
    }
    device_reset(ioapic);
    n_deliveries = 0;
    return 0;
}

static void test_id_version(void **state)
{
    int i;

    assert_int_equal(ioapic_read(0x01), 0x00170020);
    assert_int_equal(ioapic_read(0x00), 0);
    ioapic_write(0x00, 0x05000000);
    assert_int_equal(ioapic_read(0x00), 0x05000000);
    assert_int_equal(ioapic_read(0x02), 0x05000000);
    ioapic_write(0x00, 0xff00ffff);         /* 4-bit ID */
    assert_int_equal(ioapic_read(0x00), 0x0f000000);
    ioapic_write(0x01, 0);                  /* read-only */
    assert_int_equal(ioapic_read(0x01), 0x00170020);
    /* every entry comes out of reset masked */
    for (i = 0; i < IOAPIC_NUM_PINS; i++) {
        assert_int_equal(ioapic_read(0x10 + 2 * i), 0x00010000);
        assert_int_equal(ioapic_read(0x11 + 2 * i), 0);
    }
    /* past the table */
    assert_int_equal(ioapic_read(0x10 + 2 * IOAPIC_NUM_PINS), 0);
    assert_int_equal(ioapic_read(0xff), 0);
    ioapic_write(0xff, 0x12345678);
    /* register select reads back */
    address_space_stl_le(&address_space_memory, BASE, 0x21, NULL);
    assert_int_equal(address_space_ldl_le(&address_space_memory, BASE, NULL),
                     0x21);
}

static void test_redirection_rw(void **state)
{
    set_entry(3, 0xab00000000000000ULL | 0x1ffff);
    /* delivery status and remote IRR are read-only */
    assert_int_equal(ioapic_read(0x16), 0x1ffff & ~0x5000);
    assert_int_equal(ioapic_read(0x17), 0xab000000);
}

static void test_edge(void **state)
{
    /* pin 4: vector 0x34, fixed, physical, APIC 3, edge, unmasked */
    set_entry(4, 0x0300000000000034ULL);
    set_pin(4, 1);
    assert_int_equal(n_deliveries, 1);
    assert_int_equal(deliveries[0].dest, 3);
    assert_int_equal(deliveries[0].dest_mode, 0);
    assert_int_equal(deliveries[0].delivery_mode, IOAPIC_DM_FIXED);
    assert_int_equal(deliveries[0].vector, 0x34);
    assert_true(deliveries[0].level);
    assert_int_equal(deliveries[0].trigger, 0);
    /* a held line is one edge */
    set_pin(4, 1);
    assert_int_equal(n_deliveries, 1);
    set_pin(4, 0);
    set_pin(4, 1);
    assert_int_equal(n_deliveries, 2);
    set_pin(4, 0);
    /* no remote IRR for edges, and an EOI changes nothing */
    assert_int_equal(ioapic_read(0x18) & 0x4000, 0);
    ioapic_eoi_broadcast(0x34);
    assert_int_equal(n_deliveries, 2);
}

static void test_mask(void **state)
{
    set_entry(5, 0x0100000000010041ULL);        /* masked */
    set_pin(5, 1);
    assert_int_equal(n_deliveries, 0);
    /* a masked edge is lost, not held */
    set_entry(5, 0x0100000000000041ULL);
    assert_int_equal(n_deliveries, 0);
    set_pin(5, 0);
    set_pin(5, 1);
    assert_int_equal(n_deliveries, 1);

    /* a masked level stays asserted and fires when unmasked */
    set_entry(6, 0x0100000000018042ULL);
    set_pin(6, 1);
    assert_int_equal(n_deliveries, 1);
    set_entry(6, 0x0100000000008042ULL);
    assert_int_equal(n_deliveries, 2);
    assert_int_equal(deliveries[1].vector, 0x42);
    assert_int_equal(deliveries[1].trigger, 1);
}

static void test_level_remote_irr(void **state)
{
    /* pin 10: vector 0x50, lowest priority, logical dest 0x0f, level */
    set_entry(10, 0x0f00000000008950ULL);
    set_pin(10, 1);
    assert_int_equal(n_deliveries, 1);
    assert_int_equal(deliveries[0].dest, 0x0f);
    assert_int_equal(deliveries[0].dest_mode, 1);
    assert_int_equal(deliveries[0].delivery_mode, IOAPIC_DM_LOWPRI);
    assert_int_equal(deliveries[0].vector, 0x50);
    assert_int_equal(deliveries[0].trigger, 1);
    assert_int_equal(ioapic_read(0x24) & 0x4000, 0x4000);
    /* no more until the EOI */
    set_pin(10, 0);
    set_pin(10, 1);
    assert_int_equal(n_deliveries, 1);
    /* another vector's EOI does nothing */
    ioapic_eoi_broadcast(0x51);
    assert_int_equal(n_deliveries, 1);
    /* EOI with the line still high: delivered again */
    ioapic_eoi_broadcast(0x50);
    assert_int_equal(n_deliveries, 2);
    assert_int_equal(ioapic_read(0x24) & 0x4000, 0x4000);
    /* line low, then EOI: remote IRR clear, nothing delivered */
    set_pin(10, 0);
    ioapic_eoi_broadcast(0x50);
    assert_int_equal(n_deliveries, 2);
    assert_int_equal(ioapic_read(0x24) & 0x4000, 0);

    /* the EOI register at 0x40 does the same */
    set_pin(10, 1);
    assert_int_equal(n_deliveries, 3);
    set_pin(10, 0);
    address_space_stl_le(&address_space_memory, BASE + 0x40, 0x50, NULL);
    assert_int_equal(ioapic_read(0x24) & 0x4000, 0);

    /* switching to edge drops a pending remote IRR */
    set_pin(10, 1);
    assert_int_equal(ioapic_read(0x24) & 0x4000, 0x4000);
    set_entry(10, 0x0f00000000000950ULL);
    assert_int_equal(ioapic_read(0x24) & 0x4000, 0);
    set_pin(10, 0);
}

static void test_other_modes(void **state)
{
    /* NMI, level: no remote IRR wait */
    set_entry(12, 0x0000000000008402ULL);
    set_pin(12, 1);
    assert_int_equal(n_deliveries, 1);
    assert_int_equal(deliveries[0].delivery_mode, IOAPIC_DM_NMI);
    /* ExtINT edge */
    set_entry(0, 0x0000000000000700ULL);
    set_pin(0, 1);
    assert_int_equal(n_deliveries, 2);
    assert_int_equal(deliveries[1].delivery_mode, IOAPIC_DM_EXTINT);
    set_pin(0, 0);
    set_pin(12, 0);
}

int main(void)
{
    Error *err = NULL;

    main_loop_init();
    memory_system_init();
    ioapic = sysbus_create_simple(TYPE_IOAPIC, IOAPIC_DEFAULT_ADDRESS, &err);
    assert(ioapic && !err);
    ioapic_set_deliver(ioapic, deliver, &deliveries);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_id_version, setup),
        cmocka_unit_test_setup(test_redirection_rw, setup),
        cmocka_unit_test_setup(test_edge, setup),
        cmocka_unit_test_setup(test_mask, setup),
        cmocka_unit_test_setup(test_level_remote_irr, setup),
        cmocka_unit_test_setup(test_other_modes, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
