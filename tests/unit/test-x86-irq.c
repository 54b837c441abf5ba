/*
 * External interrupt delivery under the translator: exec_interrupt and
 * has_work with a test acknowledge hook, through the IVT and the IDT,
 * the sti / mov ss shadows and cli masking, on both back ends.
 */
#include "emu/osdep.h"
#include "emu/thread.h"
#include "system/memory.h"
#include "exec/tb-internal.h"
#include "exec/cputlb.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"
#include "support/x86-harness.h"

#include <setjmp.h>
#include <cmocka.h>
#include <time.h>

#define RAM_SIZE  0x100000ull
#define CODE_SEG  0x1000            /* the blob sits at linear 0x10000 */
#define CODE_LIN  0x10000ull
#define VEC       0x20

/*
 * The guest code (GNU as, linked at 0):
 *
 * .code16
 * rm_sti:   sti; hlt; mov $0x1111,%bx; hlt
 * rm_cli:   nop; nop; hlt
 * rm_if:    mov $5,%dx; hlt
 * rm_loop:  cmp $0,%cx; je rm_loop; mov $0x2222,%bx; hlt
 * rm_movss: sti; mov %ax,%ss; mov $0x200,%sp; hlt
 * rm_h:     inc %cx; mov %sp,%di; iret
 * .code32
 * pm_sti:   sti; hlt; mov $0x1111,%ebx; hlt
 * pm_loop:  cmp $0,%ecx; je pm_loop; cli; mov $0x3333,%ebx; hlt
 * pm_h:     inc %ecx; mov %esp,%edi; iret
 */
#define OFF_RM_STI   0x00
#define OFF_RM_CLI   0x06
#define OFF_RM_IF    0x09
#define OFF_RM_LOOP  0x0d
#define OFF_RM_MOVSS 0x16
#define OFF_RM_H     0x1d
#define OFF_PM_STI   0x21
#define OFF_PM_LOOP  0x29
#define OFF_PM_H     0x35

static const uint8_t guest_code[] = {
  0xfb, 0xf4, 0xbb, 0x11, 0x11, 0xf4, 0x90, 0x90, 0xf4, 0xba, 0x05, 0x00,
  0xf4, 0x83, 0xf9, 0x00, 0x74, 0xfb, 0xbb, 0x22, 0x22, 0xf4, 0xfb, 0x8e,
  0xd0, 0xbc, 0x00, 0x02, 0xf4, 0x41, 0x89, 0xe7, 0xcf, 0xfb, 0xf4, 0xbb,
  0x11, 0x11, 0x00, 0x00, 0xf4, 0x83, 0xf9, 0x00, 0x74, 0xfb, 0xfa, 0xbb,
  0x33, 0x33, 0x00, 0x00, 0xf4, 0x41, 0x89, 0xe7, 0xcf
};

/* ---- A test CPU class with the translator's interrupt hooks ---- */

static int acks;

/* A test fault: stop (no test here expects one) */
static void xi_do_interrupt(CPUState *cs)
{
    fail_msg("unexpected exception %d", cs->exception_index);
}

static const CPUClass x86_irq_class = {
    .name = "x86-irq-test",
    .nb_mmu_modes = 2,
    .page_bits = 12,
    .reset = x86h_reset,
    .has_work = x86_tcg_has_work,
    .tcg_init = x86_tcg_init,
    .get_tb_cpu_state = x86_tcg_get_tb_cpu_state,
    .translate = x86_tcg_translate,
    .restore_state_to_opc = x86_tcg_restore_state_to_opc,
    .tlb_fill = x86_tcg_tlb_fill,
    .mmu_index = x86_tcg_mmu_index,
    .do_interrupt = xi_do_interrupt,
    .exec_interrupt = x86_tcg_exec_interrupt,
};

/* The INTA cycle of an edge-triggered controller: the line drops */
static int test_get_vector(void *opaque)
{
    acks++;
    cpu_reset_interrupt(&x86h_cpu->parent, CPU_INTERRUPT_HARD);
    return VEC;
}

/* Real mode at 1000:ip, SS 3000 (SP fff0), IVT[VEC] = 1000:rm_h, IF = 0 */
static CPUX86State *setup_real(uint16_t ip)
{
    CPUX86State *env = &x86h_cpu->env;

    x86h_clear_ram();
    cpu_reset(&x86h_cpu->parent);
    for (int i = 0; i < 6; i++) {
        x86h_set_seg_real(env, i,
                          i == R_CS ? CODE_SEG : i == R_SS ? 0x3000 : 0);
    }
    env->regs[R_ESP] = 0xfff0;
    env->idt.limit = 0x3ff;
    x86h_wr32(VEC * 4, (CODE_SEG << 16) | OFF_RM_H);
    env->rip = ip;
    acks = 0;
    return env;
}

/* Flat 32-bit ring 0, IDT at 0x9000 with an interrupt gate to pm_h, IF = 0 */
static CPUX86State *setup_pm(uint16_t off)
{
    static const uint32_t gdt[] = {
        0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200,
    };
    CPUX86State *env = &x86h_cpu->env;
    uint32_t h = CODE_LIN + OFF_PM_H;

    x86h_clear_ram();
    cpu_reset(&x86h_cpu->parent);
    for (size_t i = 0; i < ARRAY_SIZE(gdt); i++) {
        x86h_wr32(0x6000 + 4 * i, gdt[i]);
    }
    env->gdt.base = 0x6000;
    env->gdt.limit = sizeof(gdt) - 1;
    env->cr[0] = CR0_PE_MASK | CR0_ET_MASK;
    x86h_set_flat_segs(env, 0);
    env->idt.base = 0x9000;
    env->idt.limit = 0x7ff;
    x86h_wr32(0x9000 + VEC * 8, (8u << 16) | (h & 0xffff));
    x86h_wr32(0x9000 + VEC * 8 + 4, (h & 0xffff0000u) | DESC_P_MASK |
         (14u << DESC_TYPE_SHIFT));
    env->regs[R_ESP] = 0x80000;
    env->rip = CODE_LIN + off;
    acks = 0;
    return env;
}

#define R(n) (x86h_cpu->env.regs[n])
#define IF_FLAG 0x200u

/* ---- Tests ---- */

/* Raised before sti; hlt: taken once hlt has started, returning past it */
static void test_real_sti_hlt(void **state)
{
    CPUX86State *env = setup_real(OFF_RM_STI);

    cpu_interrupt(&x86h_cpu->parent, CPU_INTERRUPT_HARD);
    assert_int_equal(x86h_run(), EXCP_HLT);
    assert_int_equal(acks, 0);
    assert_int_equal(R(R_ECX), 0);
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(env->rip, OFF_RM_STI + 2);
    /* the halted CPU has work (IF = 1): it wakes and takes the interrupt */
    assert_int_equal(x86h_run(), EXCP_HLT);
    assert_int_equal(acks, 1);
    assert_int_equal(R(R_ECX), 1);
    assert_int_equal(R(R_EBX), 0x1111);
    assert_int_equal(R(R_EDI), 0xfff0 - 6);    /* FLAGS, CS, IP */
    assert_int_equal(R(R_ESP), 0xfff0);
    assert_true(x86_cpu_get_eflags(env) & IF_FLAG);
    assert_int_equal(env->rip, OFF_RM_STI + 6);
}

/* IF = 0: the request stays pending, hlt does not wake */
static void test_real_cli(void **state)
{
    CPUX86State *env = setup_real(OFF_RM_CLI);

    cpu_interrupt(&x86h_cpu->parent, CPU_INTERRUPT_HARD);
    assert_int_equal(x86h_run(), EXCP_HLT);
    assert_int_equal(env->rip, OFF_RM_CLI + 3);
    assert_int_equal(x86h_run(), EXCP_HALTED);
    assert_int_equal(acks, 0);
    assert_int_equal(R(R_ECX), 0);
    assert_true(x86h_cpu->parent.interrupt_request & CPU_INTERRUPT_HARD);
    cpu_reset_interrupt(&x86h_cpu->parent, CPU_INTERRUPT_HARD);
}

/* IF = 1 and pending at entry: taken before the first insn */
static void test_real_if(void **state)
{
    CPUX86State *env = setup_real(OFF_RM_IF);

    x86_cpu_set_eflags(env, 2 | IF_FLAG);
    cpu_interrupt(&x86h_cpu->parent, CPU_INTERRUPT_HARD);
    assert_int_equal(x86h_run(), EXCP_HLT);
    assert_int_equal(acks, 1);
    assert_int_equal(R(R_ECX), 1);
    assert_int_equal(R(R_EDX), 5);
    assert_int_equal(env->rip, OFF_RM_IF + 4);
}

/* Raised by another thread while the guest spins in a chained loop */
static void test_real_async(void **state)
{
    CPUX86State *env = setup_real(OFF_RM_LOOP);

    x86_cpu_set_eflags(env, 2 | IF_FLAG);
    x86h_raise_at = x86h_now_ms() + 20;
    assert_int_equal(x86h_run(), EXCP_HLT);
    assert_int_equal(acks, 1);
    assert_int_equal(R(R_ECX), 1);
    assert_int_equal(R(R_EBX), 0x2222);
}

/* sti; mov ss; mov sp: the interrupt waits until the new SP is loaded */
static void test_real_movss(void **state)
{
    CPUX86State *env = setup_real(OFF_RM_MOVSS);

    R(R_EAX) = 0x3000;
    cpu_interrupt(&x86h_cpu->parent, CPU_INTERRUPT_HARD);
    assert_int_equal(x86h_run(), EXCP_HLT);
    assert_int_equal(acks, 1);
    assert_int_equal(R(R_ECX), 1);
    assert_int_equal(R(R_EDI), 0x200 - 6);
    assert_int_equal(env->rip, OFF_RM_MOVSS + 7);
}

/* Protected mode through an IDT interrupt gate, sti; hlt */
static void test_pm_sti_hlt(void **state)
{
    CPUX86State *env = setup_pm(OFF_PM_STI);

    cpu_interrupt(&x86h_cpu->parent, CPU_INTERRUPT_HARD);
    assert_int_equal(x86h_run(), EXCP_HLT);
    assert_int_equal(acks, 0);
    assert_int_equal(env->rip, CODE_LIN + OFF_PM_STI + 2);
    assert_int_equal(x86h_run(), EXCP_HLT);
    assert_int_equal(acks, 1);
    assert_int_equal(R(R_ECX), 1);
    assert_int_equal(R(R_EBX), 0x1111);
    assert_int_equal(R(R_EDI), 0x80000 - 12);  /* EFLAGS, CS, EIP */
    assert_int_equal(R(R_ESP), 0x80000);
    assert_int_equal(env->rip, CODE_LIN + OFF_PM_STI + 8);
}

/* Protected mode, raised asynchronously; a second request after cli waits */
static void test_pm_async_cli(void **state)
{
    CPUX86State *env = setup_pm(OFF_PM_LOOP);

    x86_cpu_set_eflags(env, 2 | IF_FLAG);
    x86h_raise_at = x86h_now_ms() + 20;
    assert_int_equal(x86h_run(), EXCP_HLT);
    assert_int_equal(acks, 1);
    assert_int_equal(R(R_ECX), 1);
    assert_int_equal(R(R_EBX), 0x3333);
    assert_false(x86_cpu_get_eflags(env) & IF_FLAG);
    cpu_interrupt(&x86h_cpu->parent, CPU_INTERRUPT_HARD);
    assert_int_equal(x86h_run(), EXCP_HALTED);
    assert_int_equal(acks, 1);
    cpu_reset_interrupt(&x86h_cpu->parent, CPU_INTERRUPT_HARD);
}

/* every test on a fresh engine of each back end */
#define BOTH(fn) X86H_BOTH(fn)

int main(void)
{
    static const X86HConfig cfg = {
        .cc = &x86_irq_class,
        .ram_size = RAM_SIZE,
        .code = guest_code,
        .code_size = sizeof(guest_code),
        .code_lin = CODE_LIN,
        .poll_ms = 2,
        .get_pic_vector = test_get_vector,
    };
    const struct CMUnitTest tests[] = {
        BOTH(test_real_sti_hlt),
        BOTH(test_real_cli),
        BOTH(test_real_if),
        BOTH(test_real_async),
        BOTH(test_real_movss),
        BOTH(test_pm_sti_hlt),
        BOTH(test_pm_async_cli),
    };

    if (!x86h_init(&cfg)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
