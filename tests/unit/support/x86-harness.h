/* Harness of the x86 translator unit tests: RAM, engine, watchdog, CPU hooks. */
#ifndef TESTS_UNIT_SUPPORT_X86_HARNESS_H
#define TESTS_UNIT_SUPPORT_X86_HARNESS_H

#include "exec/tb-internal.h"
#include "target/i386/cpu.h"

typedef struct X86HConfig {
    const CPUClass *cc;             /* the test's CPU class */
    uint64_t ram_size;              /* RAM mapped at 0 */
    const uint8_t *code;            /* guest blob copied by x86h_clear_ram */
    size_t code_size;
    uint64_t code_lin;              /* its linear address */
    unsigned poll_ms;               /* watchdog poll period */
    uint64_t code_gen_size;         /* translation cache; 0: 16 MiB */
    /* x86h_window_tlb_fill's window (the linear range mapped onto RAM) */
    uint64_t window_base, window_size;
    /* map that window in this process too (x86h_host_window) */
    bool host_window;
    int (*get_pic_vector)(void *opaque);    /* optional INTA hook */
} X86HConfig;

/* the CPU of the running test (between setup and teardown) */
extern X86CPU *x86h_cpu;
/* if non-zero, the watchdog raises CPU_INTERRUPT_HARD at this time */
extern volatile int64_t x86h_raise_at;

int64_t x86h_now_ms(void);

/* memory system, RAM at 0 and the watchdog thread; false on error */
bool x86h_init(const X86HConfig *cfg);

void x86h_wr(uint64_t addr, const void *buf, size_t n);
void x86h_wr16(uint64_t addr, uint16_t v);
void x86h_wr32(uint64_t addr, uint32_t v);
uint32_t x86h_rd(uint64_t addr, int n);

/* zero RAM and copy the guest blob back */
void x86h_clear_ram(void);

/* a CPUClass reset: zero the architectural state, EFLAGS = 2 */
void x86h_reset(CPUState *cs);
bool x86h_no_work(CPUState *cs);

void x86h_set_seg_real(CPUX86State *env, int seg, uint16_t sel);
/* flat 4 GiB segments at privilege level cpl (CS 8, others 16) */
void x86h_set_flat_segs(CPUX86State *env, unsigned cpl);
/* a 32-bit gate (type 14: interrupt, 15: trap), selector 8, for vector
 * vec in the IDT at idt */
void x86h_set_gate32(uint64_t idt, int vec, uint32_t off, unsigned type,
                     unsigned dpl);
/* RAM cleared, x86h_reset, real mode CS:IP = blob:ip, DS 2000, SS 3000
 * (SP fff0), ES 4000 */
CPUX86State *x86h_setup_real(uint16_t ip);

/* run until cpu_exec stops for something other than an exit; fails the
 * test after 2 s; returns cpu_exec's last result */
int x86h_run(void);
/* the same with a time budget: past it the run is stopped and
 * *timed_out set instead (for code that may loop forever) */
int x86h_run_for(int64_t budget_ms, bool *timed_out);

void x86h_engine_up(const TCGBackend *be);
void x86h_engine_down(void);

/* ---- Pieces of the tests' CPU classes ---- */

/*
 * What x86h_halt_on_interrupt saw last: the exception number and its
 * error code (~0u: none).  Tests reset them before a run.
 */
extern int x86h_last_excp;
extern uint32_t x86h_last_err;
/* set: x86h_halt_on_interrupt delivers through the guest's IDT instead
 * (x86h_teardown clears it) */
extern bool x86h_use_idt;

/* x86h_run with the event record cleared first (and the CPU unhalted) */
void x86h_run_clean(void);
/* the run stopped on exception excp with error code err (~0u: none) */
#define X86H_ASSERT_EXCP(excp, err) do { \
    assert_int_equal(x86h_last_excp, (excp)); \
    assert_int_equal(x86h_last_err, (err)); \
} while (0)

/* do_interrupt that records the event and halts the CPU (or, with
 * x86h_use_idt, delivers it as the CPU would) */
void x86h_halt_on_interrupt(CPUState *cs);
/* mmu_index for classes with a single MMU mode */
int x86h_mmu_index0(CPUState *cs, bool ifetch);

/* reset to 64-bit mode at CPL 0 with flat 4 GiB segments, paging off
 * (tlb_fill is the class's), EFLAGS = 2 */
void x86h_reset_long_flat(CPUState *cs);

/* tlb_fill mapping linear [x86h_window_base, + x86h_window_size)
 * 1:1 onto RAM from 0; #PF outside (X86HConfig.window_*) */
extern uint64_t x86h_window_base, x86h_window_size;
/* the window in this process (X86HConfig.host_window), or NULL */
extern uint8_t *x86h_host_window;
bool x86h_window_tlb_fill(CPUState *cs, uint64_t addr, int size,
                          MMUAccessType access_type, int mmu_idx,
                          bool probe, uintptr_t retaddr);

/*
 * The same linear window in this process, for running guest code
 * natively: [base, base + size) mapped read/write/execute at its own
 * address; NULL (and a message) when that range is taken.
 */
uint8_t *x86h_map_host_window(uint64_t base, uint64_t size);

/* a test CPU class on the translator with these hooks (the x86_tcg_*
 * ones: target/i386/tcg/translate.h) */
#define X86H_CPU_CLASS(name_, mmu_modes, reset_, tlb_fill_, mmu_index_, \
                       do_interrupt_) { \
    .name = (name_), \
    .nb_mmu_modes = (mmu_modes), \
    .page_bits = 12, \
    .reset = (reset_), \
    .has_work = x86h_no_work, \
    .tcg_init = x86_tcg_init, \
    .get_tb_cpu_state = x86_tcg_get_tb_cpu_state, \
    .translate = x86_tcg_translate, \
    .restore_state_to_opc = x86_tcg_restore_state_to_opc, \
    .tlb_fill = (tlb_fill_), \
    .mmu_index = (mmu_index_), \
    .do_interrupt = (do_interrupt_), \
}

/* cmocka fixtures: a fresh engine of each back end per test */
int x86h_setup_native(void **state);
int x86h_setup_interp(void **state);
int x86h_teardown(void **state);

#define X86H_BOTH_TD(fn, td) \
    cmocka_unit_test_setup_teardown(fn, x86h_setup_interp, td), \
    cmocka_unit_test_setup_teardown(fn, x86h_setup_native, td)
#define X86H_BOTH(fn) X86H_BOTH_TD(fn, x86h_teardown)

#endif
