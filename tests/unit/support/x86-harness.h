/* Shared harness for the x86 translator unit tests: RAM, engine, watchdog. */
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
/* RAM cleared, x86h_reset, real mode CS:IP = blob:ip, DS 2000, SS 3000
 * (SP fff0), ES 4000 */
CPUX86State *x86h_setup_real(uint16_t ip);

/* run until cpu_exec stops for something other than an exit; fails the
 * test after 2 s; returns cpu_exec's last result */
int x86h_run(void);

void x86h_engine_up(const TCGBackend *be);
void x86h_engine_down(void);

/* cmocka fixtures: a fresh engine of each back end per test */
int x86h_setup_native(void **state);
int x86h_setup_interp(void **state);
int x86h_teardown(void **state);

#define X86H_BOTH_TD(fn, td) \
    cmocka_unit_test_setup_teardown(fn, x86h_setup_interp, td), \
    cmocka_unit_test_setup_teardown(fn, x86h_setup_native, td)
#define X86H_BOTH(fn) X86H_BOTH_TD(fn, x86h_teardown)

#endif
