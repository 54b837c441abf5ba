/* Harness of the x86 translator unit tests: RAM, engine, watchdog, CPU hooks. */
#include "emu/osdep.h"
#include "system/memory.h"
#include "exec/tb-internal.h"
#include "exec/cputlb.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"
#include "x86-harness.h"

#include <setjmp.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <time.h>

X86CPU *x86h_cpu;
volatile int64_t x86h_raise_at;

static X86HConfig x86h_cfg;
static MemoryRegion x86h_ram;

/* ---- Watchdog: a translator bug must fail the test, not hang it ---- */

static CPUState *volatile x86h_wd_cpu;
static volatile int64_t x86h_wd_deadline;
static volatile bool x86h_wd_fired;

int64_t x86h_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *x86h_watchdog(void *arg)
{
    for (;;) {
        usleep(x86h_cfg.poll_ms * 1000);
        CPUState *cs = x86h_wd_cpu;
        if (cs && x86h_raise_at && x86h_now_ms() >= x86h_raise_at) {
            x86h_raise_at = 0;
            cpu_interrupt(cs, CPU_INTERRUPT_HARD);
        }
        if (cs && x86h_wd_deadline && x86h_now_ms() > x86h_wd_deadline) {
            x86h_wd_deadline = 0;
            x86h_wd_fired = true;
            cpu_exit(cs);
        }
    }
    return NULL;
}

bool x86h_init(const X86HConfig *cfg)
{
    Error *err = NULL;
    pthread_t wd;

    x86h_cfg = *cfg;
    x86h_window_base = cfg->window_base;
    x86h_window_size = cfg->window_size;
    if (cfg->host_window) {
        x86h_host_window = x86h_map_host_window(cfg->window_base,
                                                cfg->window_size);
        if (!x86h_host_window) {
            return false;
        }
    }
    memory_system_init();
    if (!memory_region_init_ram(&x86h_ram, NULL, "ram", cfg->ram_size,
                                &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        return false;
    }
    memory_region_add_subregion(get_system_memory(), 0, &x86h_ram);
    pthread_create(&wd, NULL, x86h_watchdog, NULL);
    pthread_detach(wd);
    return true;
}

/* ---- Guest memory and state ---- */

void x86h_wr(uint64_t addr, const void *buf, size_t n)
{
    bql_lock();
    address_space_write(&address_space_memory, addr, buf, n);
    bql_unlock();
}

void x86h_wr16(uint64_t addr, uint16_t v)
{
    uint8_t b[2] = { v & 0xff, v >> 8 };

    x86h_wr(addr, b, 2);
}

void x86h_wr32(uint64_t addr, uint32_t v)
{
    uint8_t b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

    x86h_wr(addr, b, 4);
}

uint32_t x86h_rd(uint64_t addr, int n)
{
    uint8_t b[4] = { 0 };

    bql_lock();
    address_space_read(&address_space_memory, addr, b, n);
    bql_unlock();
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

void x86h_clear_ram(void)
{
    static uint8_t zero[0x10000];

    for (uint64_t a = 0; a < x86h_cfg.ram_size; a += sizeof(zero)) {
        x86h_wr(a, zero, sizeof(zero));
    }
    x86h_wr(x86h_cfg.code_lin, x86h_cfg.code, x86h_cfg.code_size);
}

void x86h_reset(CPUState *cs)
{
    CPUX86State *env = cs->env_ptr;

    memset(env, 0, offsetof(CPUX86State, model));
    x86_cpu_set_eflags(env, 2);
}

bool x86h_no_work(CPUState *cs)
{
    return false;
}

int x86h_last_excp;
uint32_t x86h_last_err;
bool x86h_use_idt;

void x86h_halt_on_interrupt(CPUState *cs)
{
    CPUX86State *env = cs->env_ptr;

    if (x86h_use_idt) {
        x86_tcg_do_interrupt(cs);
        return;
    }
    x86h_last_excp = cs->exception_index;
    x86h_last_err = env->has_error_code ? env->error_code : ~0u;
    cpu_interrupt(cs, CPU_INTERRUPT_HALT);
}

void x86h_run_clean(void)
{
    x86h_cpu->parent.halted = false;
    x86h_last_excp = -1;
    x86h_last_err = ~0u;
    x86h_cpu->env.has_error_code = false;
    x86h_run();
}

int x86h_mmu_index0(CPUState *cs, bool ifetch)
{
    return 0;
}

void x86h_reset_long_flat(CPUState *cs)
{
    CPUX86State *env = cs->env_ptr;

    memset(env, 0, offsetof(CPUX86State, model));
    env->efer = MSR_EFER_LME | MSR_EFER_LMA;
    for (int i = 0; i < 6; i++) {
        env->segs[i].flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK;
        env->segs[i].limit = 0xffffffff;
    }
    env->segs[R_CS].flags = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK |
                            DESC_R_MASK | DESC_L_MASK;
    x86_cpu_set_eflags(env, 2);
}

uint64_t x86h_window_base, x86h_window_size;
uint8_t *x86h_host_window;

uint8_t *x86h_map_host_window(uint64_t base, uint64_t size)
{
    void *want = (void *)(uintptr_t)base;
    void *p = mmap(want, size, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

    if (p != want) {
        /* an older kernel may place it elsewhere instead of failing */
        if (p != MAP_FAILED) {
            munmap(p, size);
        }
        fprintf(stderr, "cannot map the test window at 0x%" PRIx64 "\n",
                base);
        return NULL;
    }
    return p;
}

bool x86h_window_tlb_fill(CPUState *cs, uint64_t addr, int size,
                          MMUAccessType access_type, int mmu_idx,
                          bool probe, uintptr_t retaddr)
{
    uint64_t page = addr & ~0xfffull;

    if (page < x86h_window_base ||
        page - x86h_window_base >= x86h_window_size) {
        if (probe) {
            return false;
        }
        cpu_loop_exit_exception(cs, EXCP0E_PAGE, retaddr);
    }
    tlb_set_page(cs, page, page - x86h_window_base, PAGE_RWX, mmu_idx, 4096);
    return true;
}

void x86h_set_seg_real(CPUX86State *env, int seg, uint16_t sel)
{
    env->segs[seg].selector = sel;
    env->segs[seg].base = (uint64_t)sel << 4;
    env->segs[seg].limit = 0xffff;
    env->segs[seg].flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK |
                           (seg == R_CS ? DESC_CS_MASK : 0);
}

void x86h_set_flat_segs(CPUX86State *env, unsigned cpl)
{
    for (int i = 0; i < 6; i++) {
        env->segs[i].selector = (i == R_CS ? 8 : 16) | cpl;
        env->segs[i].base = 0;
        env->segs[i].limit = 0xffffffff;
        env->segs[i].flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK |
                             DESC_B_MASK | DESC_G_MASK |
                             (cpl << DESC_DPL_SHIFT) |
                             (i == R_CS ? DESC_CS_MASK : 0);
    }
}

void x86h_set_gate32(uint64_t idt, int vec, uint32_t off, unsigned type,
                     unsigned dpl)
{
    x86h_wr32(idt + vec * 8, (8u << 16) | (off & 0xffff));
    x86h_wr32(idt + vec * 8 + 4, (off & 0xffff0000u) | DESC_P_MASK |
              (dpl << DESC_DPL_SHIFT) | (type << DESC_TYPE_SHIFT));
}

CPUX86State *x86h_setup_real(uint16_t ip)
{
    CPUX86State *env = &x86h_cpu->env;

    x86h_clear_ram();
    x86h_reset(&x86h_cpu->parent);
    x86h_set_seg_real(env, R_CS, x86h_cfg.code_lin >> 4);
    x86h_set_seg_real(env, R_DS, 0x2000);
    x86h_set_seg_real(env, R_SS, 0x3000);
    x86h_set_seg_real(env, R_ES, 0x4000);
    x86h_set_seg_real(env, R_FS, 0);
    x86h_set_seg_real(env, R_GS, 0);
    env->regs[R_ESP] = 0xfff0;
    env->rip = ip;
    return env;
}

int x86h_run_for(int64_t budget_ms, bool *timed_out)
{
    CPUState *cs = &x86h_cpu->parent;
    int ret;

    x86h_wd_cpu = cs;
    x86h_wd_deadline = x86h_now_ms() + budget_ms;
    x86h_wd_fired = false;
    /* EXCP_INTERRUPT: an exit request (engine housekeeping): go on */
    do {
        ret = cpu_exec(cs);
    } while (ret == EXCP_INTERRUPT && !x86h_wd_fired);
    x86h_wd_deadline = 0;
    *timed_out = x86h_wd_fired;
    return ret;
}

int x86h_run(void)
{
    bool timed_out;
    int ret = x86h_run_for(2000, &timed_out);

    assert_false(timed_out);
    return ret;
}

/* ---- Engine per back end ---- */

void x86h_engine_up(const TCGBackend *be)
{
    Error *err = NULL;
    CPUState *cs;

    assert_true(tcg_exec_init(be, x86h_cfg.code_gen_size ?: 16 * MiB, &err));
    x86h_cpu = aligned_alloc(64, ROUND_UP(sizeof(X86CPU), 64));
    memset(x86h_cpu, 0, sizeof(*x86h_cpu));
    cs = &x86h_cpu->parent;
    cs->cc = x86h_cfg.cc;
    cs->env_ptr = &x86h_cpu->env;
    cs->neg = &x86h_cpu->neg;
    x86h_cpu->neg.cpu = cs;
    cs->as = &address_space_memory;
    if (x86h_cfg.get_pic_vector) {
        x86h_cpu->get_pic_vector = x86h_cfg.get_pic_vector;
    }
    cpu_list_add(cs);
    cpu_reset(cs);
    assert_true(tcg_exec_cpu_init(cs, &err));
}

void x86h_engine_down(void)
{
    CPUState *cs = &x86h_cpu->parent;

    x86h_wd_cpu = NULL;
    x86h_raise_at = 0;
    tcg_exec_cpu_cleanup(cs);
    cpu_list_remove(cs);
    free(x86h_cpu);
    x86h_cpu = NULL;
    tcg_exec_cleanup();
}

int x86h_setup_native(void **state)
{
    x86h_engine_up(&tcg_backend_native);
    return 0;
}

int x86h_setup_interp(void **state)
{
    x86h_engine_up(&tcg_backend_interp);
    return 0;
}

int x86h_teardown(void **state)
{
    x86h_use_idt = false;
    x86h_engine_down();
    return 0;
}
