/* Unit tests for the local APIC: registers, MMIO dispatch, priorities/EOI, IPIs, INIT/SIPI, timer modes, IOAPIC and MSI delivery. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "hw/intc/apic.h"
#include "hw/intc/ioapic.h"
#include "migration/vmstate.h"
#include "system/memory.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"

#include <setjmp.h>
#include <cmocka.h>

#define NCPU 2

static X86CPU *cpus[NCPU];
static APICState *apics[NCPU];
static DeviceState *ioapic;

/* ---- helpers ---- */

static uint32_t rd(int c, unsigned off)
{
    return apic_reg_read(apics[c], off);
}

static void wr(int c, unsigned off, uint32_t v)
{
    apic_reg_write(apics[c], off, v);
}

static bool hard(int c)
{
    return cpus[c]->parent.interrupt_request & CPU_INTERRUPT_HARD;
}

static bool req(int c, int bit)
{
    return cpus[c]->parent.interrupt_request & bit;
}

static bool irr(int c, unsigned v)
{
    return rd(c, 0x200 + (v >> 5) * 0x10) & (1u << (v & 31));
}

static bool isr(int c, unsigned v)
{
    return rd(c, 0x100 + (v >> 5) * 0x10) & (1u << (v & 31));
}

static bool tmr(int c, unsigned v)
{
    return rd(c, 0x180 + (v >> 5) * 0x10) & (1u << (v & 31));
}

static void step(int64_t ns)
{
    clock_virtual_step(ns);
    timers_run_expired(EMU_CLOCK_VIRTUAL);
}

static void sw_enable_all(void)
{
    for (int c = 0; c < NCPU; c++) {
        wr(c, 0xf0, 0x1ff);
    }
}

/* take and finish every pending interrupt of CPU c */
static void drain(int c)
{
    while (apic_get_interrupt(apics[c]) >= 0) {
        wr(c, 0xb0, 0);
    }
}

static void ioapic_write(uint8_t index, uint32_t val)
{
    address_space_stl_le(&address_space_memory, IOAPIC_DEFAULT_ADDRESS,
                         index, NULL);
    address_space_stl_le(&address_space_memory,
                         IOAPIC_DEFAULT_ADDRESS + 0x10, val, NULL);
}

static uint32_t ioapic_read(uint8_t index)
{
    address_space_stl_le(&address_space_memory, IOAPIC_DEFAULT_ADDRESS,
                         index, NULL);
    return address_space_ldl_le(&address_space_memory,
                                IOAPIC_DEFAULT_ADDRESS + 0x10, NULL);
}

static void set_pin(int pin, int level)
{
    IRQLine l = qdev_get_gpio_in(ioapic, pin);

    irq_set(&l, level);
}

static int setup(void **state)
{
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        set_pin(i, 0);
    }
    device_reset(ioapic);
    for (int c = 0; c < NCPU; c++) {
        apic_set_pic_level(apics[c], 0);
        cpu_reset(&cpus[c]->parent);
        device_reset(apic_device(apics[c]));
        cpus[c]->get_pic_vector = NULL;
    }
    current_cpu = NULL;
    return 0;
}

/* ---- tests ---- */

static void test_reset_state(void **state)
{
    assert_int_equal(rd(0, 0x20), 0);
    assert_int_equal(rd(1, 0x20), 0x01000000);
    assert_int_equal(rd(0, 0x30), 0x00050014);
    assert_int_equal(rd(0, 0xf0), 0xff);
    assert_int_equal(rd(0, 0xe0), 0xffffffff);
    assert_int_equal(rd(0, 0xd0), 0);
    assert_int_equal(rd(0, 0x80), 0);
    /* BSP: LINT0 in virtual-wire mode; AP: everything masked */
    assert_int_equal(rd(0, 0x350), 0x700);
    assert_int_equal(rd(1, 0x350), 0x10000);
    for (unsigned off = 0x320; off <= 0x370; off += 0x10) {
        if (off != 0x350) {
            assert_int_equal(rd(0, off), 0x10000);
        }
    }
    assert_false(apic_waiting_for_sipi(apics[0]));
    assert_true(apic_waiting_for_sipi(apics[1]));
    assert_true(cpus[1]->parent.halted);
    assert_true(apic_hw_enabled(apics[0]));
    /* writable bits only; read-only registers keep their value */
    wr(0, 0xd0, 0xffffffff);
    assert_int_equal(rd(0, 0xd0), 0xff000000);
    wr(0, 0xe0, 0x0);
    assert_int_equal(rd(0, 0xe0), 0x0fffffff);
    wr(0, 0x30, 0x12345678);
    assert_int_equal(rd(0, 0x30), 0x00050014);
    wr(0, 0x20, 0x05000000);
    assert_int_equal(rd(0, 0x20), 0x05000000);
    /* LVT writes while software-disabled stay masked */
    wr(0, 0x320, 0x30);
    assert_int_equal(rd(0, 0x320), 0x10030);
    sw_enable_all();
    wr(0, 0x320, 0xffffffff);
    assert_int_equal(rd(0, 0x320), 0x700ff);
    wr(0, 0x370, 0xffffffff);
    assert_int_equal(rd(0, 0x370), 0x100ff);
    /* software disable masks every LVT */
    wr(0, 0x350, 0x700);
    wr(0, 0xf0, 0xff);
    assert_int_equal(rd(0, 0x350), 0x10700);
}

static void test_mmio_dispatch(void **state)
{
    CPUX86State *env = &cpus[0]->env;
    uint64_t old = env->apic_base;

    current_cpu = &cpus[0]->parent;
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          0xfee00020, NULL), 0);
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          0xfee00030, NULL), 0x00050014);
    current_cpu = &cpus[1]->parent;
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          0xfee00020, NULL), 0x01000000);
    address_space_stl_le(&address_space_memory, 0xfee00080, 0x45, NULL);
    assert_int_equal(rd(1, 0x80), 0x45);
    assert_int_equal(rd(0, 0x80), 0);

    /* relocation through IA32_APIC_BASE */
    current_cpu = &cpus[0]->parent;
    env->apic_base = 0xfed00000 | MSR_IA32_APICBASE_ENABLE |
                     MSR_IA32_APICBASE_BSP;
    apic_base_changed(apics[0], old);
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          0xfed00030, NULL), 0x00050014);
    /* the old page is no register page of CPU 0 any more */
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          0xfee00030, NULL), 0);
    env->apic_base = old;
    apic_base_changed(apics[0], 0xfed00000 | MSR_IA32_APICBASE_ENABLE |
                      MSR_IA32_APICBASE_BSP);
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          0xfee00030, NULL), 0x00050014);
    current_cpu = NULL;
}

static void test_priority_eoi(void **state)
{
    sw_enable_all();
    assert_false(hard(0));
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x40, false);
    assert_true(irr(0, 0x40));
    assert_true(hard(0));
    assert_false(irr(1, 0x40));
    assert_int_equal(apic_get_interrupt(apics[0]), 0x40);
    assert_false(irr(0, 0x40));
    assert_true(isr(0, 0x40));
    assert_int_equal(rd(0, 0xa0), 0x40);
    assert_false(hard(0));

    /* the same priority class waits for the EOI; a higher one does not */
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x45, false);
    assert_true(irr(0, 0x45));
    assert_false(hard(0));
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x50, false);
    assert_true(hard(0));
    assert_int_equal(apic_get_interrupt(apics[0]), 0x50);
    assert_int_equal(rd(0, 0xa0), 0x50);
    wr(0, 0xb0, 0);                 /* EOI: 0x50 */
    assert_false(isr(0, 0x50));
    assert_true(isr(0, 0x40));
    assert_false(hard(0));
    wr(0, 0xb0, 0);                 /* EOI: 0x40 */
    assert_true(hard(0));

    /* TPR holds back the class at or below it */
    wr(0, 0x80, 0x40);
    assert_false(hard(0));
    assert_int_equal(rd(0, 0xa0), 0x40);
    assert_int_equal(apic_get_interrupt(apics[0]), -1);
    wr(0, 0x80, 0x30);
    assert_true(hard(0));
    assert_int_equal(apic_get_interrupt(apics[0]), 0x45);
    wr(0, 0xb0, 0);
    assert_int_equal(rd(0, 0xa0), 0x30);

    /* illegal vectors are refused and reported in the ESR */
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x05, false);
    assert_false(irr(0, 0x05));
    wr(0, 0x280, 0);
    assert_int_equal(rd(0, 0x280), 0x40);
    wr(0, 0x280, 0);
    assert_int_equal(rd(0, 0x280), 0);

    /* a software-disabled APIC holds its IRR */
    wr(0, 0xf0, 0xff);
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x66, false);
    assert_true(irr(0, 0x66));
    assert_false(hard(0));
    wr(0, 0xf0, 0x1ff);
    assert_true(hard(0));
    drain(0);
}

static void test_ipi(void **state)
{
    sw_enable_all();
    /* physical destination */
    wr(0, 0x310, 0x01000000);
    wr(0, 0x300, 0x00000031);
    assert_true(irr(1, 0x31));
    assert_false(irr(0, 0x31));
    assert_int_equal(rd(0, 0x300) & (1u << 12), 0);     /* idle */
    /* shorthands: self, all including self, all excluding self */
    wr(0, 0x300, 0x00040032);
    assert_true(irr(0, 0x32));
    assert_false(irr(1, 0x32));
    wr(0, 0x300, 0x00080033);
    assert_true(irr(0, 0x33) && irr(1, 0x33));
    wr(0, 0x300, 0x000c0034);
    assert_false(irr(0, 0x34));
    assert_true(irr(1, 0x34));
    drain(0);
    drain(1);

    /* logical flat: LDR bit per CPU */
    wr(0, 0xd0, 0x01000000);
    wr(1, 0xd0, 0x02000000);
    wr(0, 0x310, 0x02000000);
    wr(0, 0x300, 0x00000841);
    assert_true(irr(1, 0x41));
    assert_false(irr(0, 0x41));
    wr(0, 0x310, 0x03000000);
    wr(0, 0x300, 0x00000842);
    assert_true(irr(0, 0x42) && irr(1, 0x42));
    drain(0);
    drain(1);

    /* logical cluster: cluster 1 member bit 0 is CPU 1 only */
    wr(0, 0xe0, 0x0fffffff);
    wr(1, 0xe0, 0x0fffffff);
    wr(0, 0xd0, 0x01000000);
    wr(1, 0xd0, 0x11000000);
    wr(0, 0x310, 0x11000000);
    wr(0, 0x300, 0x00000843);
    assert_true(irr(1, 0x43));
    assert_false(irr(0, 0x43));
    wr(0, 0x310, 0x03000000);
    wr(0, 0x300, 0x00000844);
    assert_true(irr(0, 0x44));
    assert_false(irr(1, 0x44));
    drain(0);
    drain(1);

    /* lowest priority: the CPU with the lower priority gets it */
    wr(0, 0xe0, 0xffffffff);
    wr(1, 0xe0, 0xffffffff);
    wr(1, 0xd0, 0x02000000);
    wr(0, 0x80, 0x80);
    wr(0, 0x310, 0x03000000);
    wr(0, 0x300, 0x00000951);
    assert_true(irr(1, 0x51));
    assert_false(irr(0, 0x51));
    wr(0, 0x80, 0);
    drain(1);

    /* sending an illegal vector sets "send illegal vector" */
    wr(0, 0x300, 0x00040003);
    wr(0, 0x280, 0);
    assert_int_equal(rd(0, 0x280), 0x20);

    /* NMI */
    wr(0, 0x310, 0x01000000);
    wr(0, 0x300, 0x00000400);
    assert_true(req(1, CPU_INTERRUPT_NMI));
    assert_false(req(0, CPU_INTERRUPT_NMI));
}

static void test_init_sipi(void **state)
{
    CPUX86State *env = &cpus[1]->env;

    sw_enable_all();
    /* a waiting AP ignores fixed interrupts: the CPU has no work */
    wr(0, 0x310, 0x01000000);
    env->rflags |= 0x200;
    wr(0, 0x300, 0x00000060);
    assert_false(cpus[1]->parent.cc->has_work(&cpus[1]->parent));
    drain(1);

    /* INIT assert, then de-assert (no effect), then SIPI */
    wr(0, 0x300, 0x0000c500);
    assert_true(req(1, CPU_INTERRUPT_INIT));
    wr(0, 0x300, 0x00008500);
    cpu_reset_interrupt(&cpus[1]->parent, CPU_INTERRUPT_INIT);
    env->regs[R_EAX] = 0x1234;
    x86_cpu_do_init(cpus[1]);
    assert_true(cpus[1]->parent.halted);
    assert_true(apic_waiting_for_sipi(apics[1]));
    assert_int_equal(env->regs[R_EAX], 0);
    assert_int_equal(env->apic_base & MSR_IA32_APICBASE_ENABLE,
                     MSR_IA32_APICBASE_ENABLE);
    /* INIT reset the AP's APIC registers, its ID stays */
    assert_int_equal(rd(1, 0xf0), 0xff);
    assert_int_equal(rd(1, 0x20), 0x01000000);

    wr(0, 0x300, 0x000006f1);
    assert_true(req(1, CPU_INTERRUPT_SIPI));
    assert_true(cpus[1]->parent.cc->has_work(&cpus[1]->parent));
    assert_true(x86_cpu_do_sipi(cpus[1]));
    assert_false(cpus[1]->parent.halted);
    assert_false(apic_waiting_for_sipi(apics[1]));
    assert_int_equal(env->segs[R_CS].selector, 0xf100);
    assert_int_equal(env->segs[R_CS].base, 0xf1000);
    assert_int_equal(env->rip, 0);
    /* a second SIPI is ignored once running */
    assert_false(x86_cpu_do_sipi(cpus[1]));

    /* INIT to the BSP restarts it at the reset vector, not halted */
    env = &cpus[0]->env;
    env->rip = 0x1234;
    x86_cpu_do_init(cpus[0]);
    assert_false(cpus[0]->parent.halted);
    assert_int_equal(env->rip, 0xfff0);
}

static void test_cpuid_bits(void **state)
{
    uint32_t a, b, c, d;

    x86_cpuid(&cpus[1]->env, 1, 0, &a, &b, &c, &d);
    assert_int_equal(b >> 24, 1);
    assert_true(d & CPUID_APIC);
    assert_true(c & CPUID_EXT_TSC_DEADLINE);
    cpus[1]->env.apic_base &= ~(uint64_t)MSR_IA32_APICBASE_ENABLE;
    x86_cpuid(&cpus[1]->env, 1, 0, &a, &b, &c, &d);
    assert_false(d & CPUID_APIC);
}

static void test_timer_oneshot(void **state)
{
    sw_enable_all();
    wr(0, 0x3e0, 0xb);                  /* divide by 1 */
    wr(0, 0x320, 0x60);                 /* one-shot, vector 0x60 */
    wr(0, 0x380, 1000);
    assert_int_equal(rd(0, 0x380), 1000);
    assert_int_equal(rd(0, 0x390), 1000);
    step(400);
    assert_int_equal(rd(0, 0x390), 600);
    assert_false(irr(0, 0x60));
    step(599);
    assert_int_equal(rd(0, 0x390), 1);
    assert_false(irr(0, 0x60));
    step(1);
    assert_int_equal(rd(0, 0x390), 0);
    assert_true(irr(0, 0x60));
    assert_true(hard(0));
    drain(0);
    step(5000);
    assert_false(irr(0, 0x60));         /* only once */

    /* divide by 16 */
    wr(0, 0x3e0, 0x3);
    wr(0, 0x380, 100);
    step(16 * 50);
    assert_int_equal(rd(0, 0x390), 50);
    step(16 * 50 - 1);
    assert_false(irr(0, 0x60));
    step(1);
    assert_true(irr(0, 0x60));
    drain(0);

    /* a new divider mid-count keeps the count, which then runs slower */
    wr(0, 0x3e0, 0xb);
    wr(0, 0x380, 1000);
    step(500);
    wr(0, 0x3e0, 0x0);                  /* divide by 2 */
    assert_int_equal(rd(0, 0x390), 500);
    step(998);
    assert_int_equal(rd(0, 0x390), 1);
    assert_false(irr(0, 0x60));
    step(2);
    assert_true(irr(0, 0x60));
    drain(0);

    /* masked: the count runs out without an interrupt */
    wr(0, 0x320, 0x10060);
    wr(0, 0x380, 100);
    step(10000);
    assert_int_equal(rd(0, 0x390), 0);
    assert_false(irr(0, 0x60));
    /* writing 0 stops the timer */
    wr(0, 0x320, 0x60);
    wr(0, 0x380, 100);
    wr(0, 0x380, 0);
    step(10000);
    assert_false(irr(0, 0x60));
}

static void test_timer_periodic(void **state)
{
    int fired = 0;

    sw_enable_all();
    wr(0, 0x3e0, 0xb);
    wr(0, 0x320, 0x20061);              /* periodic, vector 0x61 */
    wr(0, 0x380, 50000);
    for (int i = 0; i < 10; i++) {
        step(25000);
        assert_int_equal(rd(0, 0x390), (i & 1) ? 50000 : 25000);
        if (irr(0, 0x61)) {
            fired++;
            drain(0);
        }
    }
    assert_int_equal(fired, 5);
    /* masked, the count runs on with no host timer; unmasked, it fires */
    wr(0, 0x320, 0x30061);
    assert_int_equal(clock_virtual_next_deadline(), -1);
    step(10000);
    assert_int_equal(rd(0, 0x390), 40000);
    wr(0, 0x320, 0x20061);
    step(39999);
    assert_false(irr(0, 0x61));
    step(1);
    assert_true(irr(0, 0x61));
    drain(0);
    wr(0, 0x380, 0);
    step(200000);
    assert_false(irr(0, 0x61));
}

static void test_timer_tsc_deadline(void **state)
{
    CPUX86State *env = &cpus[0]->env;
    uint64_t tsc;

    sw_enable_all();
    /* outside TSC-deadline mode the MSR reads 0 and ignores writes */
    apic_set_tsc_deadline(apics[0], 12345);
    assert_int_equal(apic_get_tsc_deadline(apics[0]), 0);

    wr(0, 0x320, 0x40062);              /* TSC deadline, vector 0x62 */
    wr(0, 0x380, 1000);                 /* ignored in this mode */
    assert_int_equal(rd(0, 0x380), 0);
    assert_int_equal(rd(0, 0x390), 0);
    tsc = x86_tsc_read(env);
    apic_set_tsc_deadline(apics[0], tsc + 5000);
    assert_int_equal(apic_get_tsc_deadline(apics[0]), tsc + 5000);
    step(4999);
    assert_false(irr(0, 0x62));
    step(1);
    assert_true(irr(0, 0x62));
    assert_int_equal(apic_get_tsc_deadline(apics[0]), 0);
    drain(0);

    /* a deadline in the past fires at once; 0 disarms */
    apic_set_tsc_deadline(apics[0], 1);
    step(0);
    assert_true(irr(0, 0x62));
    drain(0);
    tsc = x86_tsc_read(env);
    apic_set_tsc_deadline(apics[0], tsc + 100);
    apic_set_tsc_deadline(apics[0], 0);
    step(1000);
    assert_false(irr(0, 0x62));
    /* the TSC offset (wrmsr TSC) moves the deadline with it */
    env->tsc_offset += 1000000;
    tsc = x86_tsc_read(env);
    apic_set_tsc_deadline(apics[0], tsc + 300);
    step(299);
    assert_false(irr(0, 0x62));
    step(1);
    assert_true(irr(0, 0x62));
    drain(0);
    env->tsc_offset = 0;
    /* leaving the mode disarms */
    tsc = x86_tsc_read(env);
    apic_set_tsc_deadline(apics[0], tsc + 100);
    wr(0, 0x320, 0x62);
    step(1000);
    assert_false(irr(0, 0x62));
}

static void set_rte(int pin, uint64_t entry)
{
    ioapic_write(0x10 + 2 * pin + 1, entry >> 32);
    ioapic_write(0x10 + 2 * pin, (uint32_t)entry);
}

static void test_ioapic_delivery(void **state)
{
    sw_enable_all();
    /* pin 5: level, vector 0x70, physical destination APIC 1 */
    set_rte(5, (1ull << 56) | (1u << 15) | 0x70);
    set_pin(5, 1);
    assert_true(irr(1, 0x70));
    assert_true(tmr(1, 0x70));
    assert_true(ioapic_read(0x10 + 10) & (1u << 14));       /* remote IRR */
    assert_int_equal(apic_get_interrupt(apics[1]), 0x70);
    /* EOI with the pin still high: remote IRR cleared, delivered again */
    wr(1, 0xb0, 0);
    assert_true(irr(1, 0x70));
    assert_true(ioapic_read(0x10 + 10) & (1u << 14));
    assert_int_equal(apic_get_interrupt(apics[1]), 0x70);
    set_pin(5, 0);
    wr(1, 0xb0, 0);
    assert_false(irr(1, 0x70));
    assert_false(ioapic_read(0x10 + 10) & (1u << 14));

    /* edge, logical flat destination 0x01 (CPU 0 has LDR 1) */
    wr(0, 0xd0, 0x01000000);
    set_rte(6, (1ull << 56) | (1u << 11) | 0x71);
    set_pin(6, 1);
    assert_true(irr(0, 0x71));
    assert_false(tmr(0, 0x71));
    assert_false(irr(1, 0x71));
    set_pin(6, 0);
    drain(0);

    /* lowest priority to both: CPU 1 has the lower TPR */
    wr(1, 0xd0, 0x02000000);
    wr(0, 0x80, 0x20);
    set_rte(7, (3ull << 56) | (1u << 11) | (1u << 8) | 0x72);
    set_pin(7, 1);
    assert_true(irr(1, 0x72));
    assert_false(irr(0, 0x72));
    set_pin(7, 0);
    drain(1);

    /* NMI through the I/O APIC */
    set_rte(8, (0ull << 56) | (4u << 8));
    set_pin(8, 1);
    assert_true(req(0, CPU_INTERRUPT_NMI));
}

static void test_msi(void **state)
{
    sw_enable_all();
    apic_send_msi(0xfee01000, 0x0073);
    assert_true(irr(1, 0x73));
    assert_false(irr(0, 0x73));
    /* a DMA write into the window is a message too */
    address_space_stl_le(&address_space_memory, 0xfee00000, 0x0074, NULL);
    assert_true(irr(0, 0x74));
    /* logical, broadcast */
    apic_send_msi(0xfeeff00c, 0x0075);
    assert_true(irr(0, 0x75) && irr(1, 0x75));
    /* outside the window, or INIT: dropped */
    apic_send_msi(0xfef00000, 0x0076);
    apic_send_msi(0xfee01000, 0x0577);
    assert_false(irr(0, 0x76) || irr(1, 0x76));
    assert_false(req(1, CPU_INTERRUPT_INIT));
    drain(0);
    drain(1);
}

static int pic_acks;

static int test_pic_vector(void *opaque)
{
    pic_acks++;
    apic_set_pic_level(apics[0], 0);
    return 0x08;
}

static void test_pic_path(void **state)
{
    cpus[0]->get_pic_vector = test_pic_vector;
    pic_acks = 0;
    /* at reset the BSP's LINT0 is ExtINT: the 8259 gets through */
    assert_true(apic_accept_pic_intr(apics[0]));
    assert_false(apic_accept_pic_intr(apics[1]));
    apic_set_pic_level(apics[0], 1);
    assert_true(hard(0));
    assert_int_equal(apic_get_interrupt(apics[0]), 0x08);
    assert_int_equal(pic_acks, 1);
    assert_false(hard(0));

    /* APIC vectors come before the 8259's */
    sw_enable_all();
    wr(0, 0x350, 0x700);
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x90, false);
    apic_set_pic_level(apics[0], 1);
    assert_int_equal(apic_get_interrupt(apics[0]), 0x90);
    assert_int_equal(apic_get_interrupt(apics[0]), 0x08);
    wr(0, 0xb0, 0);

    /* masked LINT0: nothing */
    wr(0, 0x350, 0x10700);
    apic_set_pic_level(apics[0], 1);
    assert_false(hard(0));
    /* hardware-disabled APIC: the 8259 goes straight to the CPU */
    {
        uint64_t old = cpus[0]->env.apic_base;

        cpus[0]->env.apic_base &= ~(uint64_t)MSR_IA32_APICBASE_ENABLE;
        apic_base_changed(apics[0], old);
        assert_true(apic_accept_pic_intr(apics[0]));
        assert_true(hard(0));
        assert_int_equal(apic_get_interrupt(apics[0]), 0x08);
        /* and the disabled APIC takes no messages */
        apic_bus_deliver(0, false, APIC_DM_FIXED, 0x91, false);
        assert_false(irr(0, 0x91));
    }
    /* LINT0 as NMI: an edge raises the NMI request */
    setup(NULL);
    sw_enable_all();
    wr(0, 0x350, 0x400);
    apic_set_pic_level(apics[0], 1);
    assert_true(req(0, CPU_INTERRUPT_NMI));
}

static void test_vmstate(void **state)
{
    const VMStateDescription *vmsd = apic_device(apics[0])->info->vmsd;
    VMStream out, in;
    Error *err = NULL;

    sw_enable_all();
    wr(0, 0x80, 0x20);
    wr(0, 0xd0, 0x04000000);
    wr(0, 0x3e0, 0xb);
    wr(0, 0x320, 0x20063);              /* periodic, vector 0x63 */
    wr(0, 0x380, 30000);
    apic_bus_deliver(0, false, APIC_DM_FIXED, 0x88, true);
    step(10000);
    vmstream_init(&out);
    assert_int_equal(vmstate_save(&out, vmsd, apics[0]), 0);
    device_reset(apic_device(apics[0]));
    assert_int_equal(rd(0, 0x380), 0);
    vmstream_init_read(&in, out.buf, out.len);
    assert_int_equal(vmstate_load(&in, vmsd, apics[0], &err), 0);
    assert_null(err);
    assert_int_equal(rd(0, 0x80), 0x20);
    assert_int_equal(rd(0, 0xd0), 0x04000000);
    assert_int_equal(rd(0, 0x320), 0x20063);
    assert_int_equal(rd(0, 0x390), 20000);
    assert_true(irr(0, 0x88) && tmr(0, 0x88));
    assert_true(hard(0));
    /* the timer was re-armed by the load */
    step(20000);
    assert_true(irr(0, 0x63));
    vmstream_free(&out);
    vmstream_free(&in);
    drain(0);
}

int main(void)
{
    Error *err = NULL;

    main_loop_init();
    memory_system_init();
    clock_virtual_set_manual(true);
    for (int c = 0; c < NCPU; c++) {
        CPUState *cs = x86_cpu_new(NULL, c, &err);

        assert(cs && !err);
        cpus[c] = X86_CPU(cs);
        apics[c] = apic_new(cpus[c], &err);
        assert(apics[c] && !err);
    }
    ioapic = sysbus_create_simple(TYPE_IOAPIC, IOAPIC_DEFAULT_ADDRESS, &err);
    assert(ioapic && !err);
    ioapic_set_deliver(ioapic, apic_ioapic_deliver, NULL);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state, setup),
        cmocka_unit_test_setup(test_mmio_dispatch, setup),
        cmocka_unit_test_setup(test_priority_eoi, setup),
        cmocka_unit_test_setup(test_ipi, setup),
        cmocka_unit_test_setup(test_init_sipi, setup),
        cmocka_unit_test_setup(test_cpuid_bits, setup),
        cmocka_unit_test_setup(test_timer_oneshot, setup),
        cmocka_unit_test_setup(test_timer_periodic, setup),
        cmocka_unit_test_setup(test_timer_tsc_deadline, setup),
        cmocka_unit_test_setup(test_ioapic_delivery, setup),
        cmocka_unit_test_setup(test_msi, setup),
        cmocka_unit_test_setup(test_pic_path, setup),
        cmocka_unit_test_setup(test_vmstate, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
