/*
 * Tests of the execution engine (accel/tcg) with the tiny "testcpu" front
 * end: execution, chaining, indirect jumps, the TB cache, self-modifying
 * code and DMA invalidation, precise exceptions, full flushes, exit
 * requests and interrupts, logging, "info jit"; on every back end.
 */
#include "emu/osdep.h"
#include "emu/log.h"
#include "emu/thread.h"
#include "system/memory.h"
#include "monitor/monitor.h"
#include "exec/tb-internal.h"
#include "system/accel.h"

/*
 * The test front end is built into this test only (the Makefile links
 * tests/unit/test-*.c alone).
 */
#include "testcpu.c"

#include <setjmp.h>
#include <cmocka.h>
#include <time.h>

#define RAM_SIZE (1 * MiB)
#define DEFAULT_BUF (16 * MiB)

typedef struct Fixture {
    const TCGBackend *backend;
    TestCPU *cpu;
} Fixture;

static MemoryRegion ram;

/* ---- Watchdog: a broken engine must fail a test, not hang it ---- */

static CPUState *volatile wd_cpu;
static volatile int64_t wd_deadline;
static volatile bool wd_fired;

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg)
{
    for (;;) {
        usleep(20 * 1000);
        CPUState *cs = wd_cpu;
        if (cs && wd_deadline && now_ms() > wd_deadline) {
            wd_fired = true;
            cpu_exit(cs);
        }
    }
    return NULL;
}

/* ---- Fixture ---- */

static void engine_up(Fixture *f, size_t buf)
{
    Error *err = NULL;

    assert_true(tcg_exec_init(f->backend, buf, &err));
    f->cpu = testcpu_new();
    assert_true(tcg_exec_cpu_init(testcpu_cs(f->cpu), &err));
}

static void engine_down(Fixture *f)
{
    tcg_exec_cpu_cleanup(testcpu_cs(f->cpu));
    testcpu_free(f->cpu);
    f->cpu = NULL;
    tcg_exec_cleanup();
}

static int setup(void **state)
{
    Fixture *f = *state;

    bql_lock();
    address_space_set(&address_space_memory, 0, 0, RAM_SIZE);
    bql_unlock();
    engine_up(f, DEFAULT_BUF);
    return 0;
}

static int teardown(void **state)
{
    engine_down(*state);
    return 0;
}

static void load(uint64_t addr, const uint32_t *insns, size_t n)
{
    bql_lock();
    for (size_t i = 0; i < n; i++) {
        uint8_t b[4] = { insns[i], insns[i] >> 8, insns[i] >> 16,
                         insns[i] >> 24 };
        assert_int_equal(address_space_write(&address_space_memory,
                                             addr + 4 * i, b, 4), MEMTX_OK);
    }
    bql_unlock();
}

static void put(uint64_t addr, uint32_t insn)
{
    load(addr, &insn, 1);
}

static uint32_t peek32(uint64_t addr)
{
    uint8_t b[4];

    address_space_read(&address_space_memory, addr, b, 4);
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static int run_at(Fixture *f, uint64_t pc)
{
    CPUState *cs = testcpu_cs(f->cpu);
    int r;

    cs->halted = false;
    f->cpu->env.pc = pc;
    wd_fired = false;
    wd_cpu = cs;
    wd_deadline = now_ms() + 10000;
    r = cpu_exec(cs);
    wd_deadline = 0;
    assert_false(wd_fired);
    return r;
}

static TBStatistics stats(void)
{
    TBStatistics st;

    tb_get_statistics(&st);
    return st;
}

#define REG(f, n) ((f)->cpu->env.regs[n])
#define LOAD(addr, ...) do {                                    \
        const uint32_t prog_[] = { __VA_ARGS__ };               \
        load(addr, prog_, ARRAY_SIZE(prog_));                   \
    } while (0)

/* ---- Tests ---- */

static void test_straight_line(void **state)
{
    Fixture *f = *state;

    LOAD(0x1000, tc_li(1, 5), tc_li(2, 7), tc_add(3, 1, 2), tc_sub(4, 2, 1),
         tc_addi(5, 3, -20), tc_li(6, -1), tc_hlt());
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(REG(f, 3), 12);
    assert_int_equal(REG(f, 4), 2);
    assert_int_equal(REG(f, 5), (uint64_t)-8);
    assert_int_equal(REG(f, 6), UINT64_MAX);
    assert_int_equal(f->cpu->env.pc, 0x1000 + 7 * 4);
    assert_true(testcpu_cs(f->cpu)->halted);
    /* halted without work: cpu_exec returns at once */
    assert_int_equal(cpu_exec(testcpu_cs(f->cpu)), EXCP_HALTED);
    assert_int_equal(stats().tbs_translated, 1);
}

static void test_memory_ops(void **state)
{
    Fixture *f = *state;

    LOAD(0x1000, tc_li(1, 0x2000), tc_li(2, -2), tc_stq(2, 1, 8),
         tc_ldq(3, 1, 8), tc_ld(4, 1, 12), tc_st(2, 1, 0x20),
         tc_ld(5, 1, 0x20), tc_hlt());
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(REG(f, 3), (uint64_t)-2);
    assert_int_equal(REG(f, 4), 0xffffffffu);
    assert_int_equal(REG(f, 5), 0xfffffffeu);
    assert_int_equal(peek32(0x2008), 0xfffffffeu);
}

static void test_loop_chaining(void **state)
{
    Fixture *f = *state;
    TBStatistics st;

    LOAD(0x1000, tc_li(1, 1000), tc_li(2, 0), tc_li(3, 1),
         /* 0x100c */ tc_add(2, 2, 3), tc_sub(1, 1, 3), tc_bne(1, 0, -3),
         tc_hlt());
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(REG(f, 2), 1000);
    assert_int_equal(REG(f, 1), 0);
    st = stats();
    assert_int_equal(st.tbs_translated, 3);
    assert_true(st.chains_made >= 2);
    assert_true(st.chained_now >= 2);
    /* without chaining each iteration would come back to the loop */
    assert_true(st.tbs_executed <= 10);
}

static void test_indirect_jump(void **state)
{
    Fixture *f = *state;
    TBStatistics st;

    LOAD(0x1000, tc_li(7, 100), tc_li(3, 1), tc_li(4, 0x1100),
         tc_li(5, 0x1018), /* 0x1010 */ tc_jr(4), tc_hlt(),
         /* 0x1018 */ tc_sub(7, 7, 3), tc_bne(7, 0, -4), tc_hlt());
    LOAD(0x1100, tc_add(2, 2, 3), tc_jr(5));
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(REG(f, 2), 100);
    assert_int_equal(REG(f, 7), 0);
    assert_int_equal(f->cpu->env.pc, 0x1024);
    st = stats();
    assert_true(st.lookup_ptr_calls >= 200);
    assert_true(st.lookup_ptr_hits >= 190);
    assert_true(st.tbs_executed <= 20);
}

static void test_tb_cache_hits(void **state)
{
    Fixture *f = *state;
    TBStatistics a, b;

    LOAD(0x1000, tc_li(1, 3), tc_jmp(0), tc_addi(1, 1, 4), tc_hlt());
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(REG(f, 1), 7);
    a = stats();
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(REG(f, 1), 7);
    b = stats();
    assert_int_equal(a.tbs_translated, b.tbs_translated);
    assert_true(b.jc_hits > a.jc_hits);
    /* the hash table finds TBs the jump cache forgot */
    tb_jmp_cache_clear(testcpu_cs(f->cpu));
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    a = stats();
    assert_int_equal(a.tbs_translated, b.tbs_translated);
    assert_true(a.hash_hits > b.hash_hits);
}

/* A store rewrites a later insn of the TB that is running */
static void test_smc_same_tb(void **state)
{
    Fixture *f = *state;

    LOAD(0x1000, tc_ld(1, 0, 0x1800), tc_st(1, 0, 0x100c), tc_li(3, 5),
         /* 0x100c */ tc_li(2, 1), tc_hlt());
    put(0x1800, tc_li(2, 2));
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(REG(f, 2), 2);
    assert_int_equal(REG(f, 3), 5);
    assert_int_equal(f->cpu->env.pc, 0x1014);
    assert_true(stats().invalidations >= 1);
}

/* A store rewrites an insn of another, chained TB, several times */
static void test_smc_other_tb(void **state)
{
    Fixture *f = *state;

    LOAD(0x3000, tc_li(4, 3), tc_li(3, 1), tc_li(2, 0), tc_li(5, 0x3800),
         /* 0x3010 P */ tc_addi(2, 2, 1), tc_jmp(0),
         /* 0x3018 Q */ tc_ld(1, 5, 0), tc_st(1, 0, 0x3010), tc_addi(5, 5, 4),
         tc_sub(4, 4, 3), tc_bne(4, 0, -7), tc_hlt());
    LOAD(0x3800, tc_addi(2, 2, 10), tc_addi(2, 2, 100),
         tc_addi(2, 2, 1000));
    assert_int_equal(run_at(f, 0x3000), EXCP_HLT);
    assert_int_equal(REG(f, 2), 111);
    assert_int_equal(peek32(0x3010), tc_addi(2, 2, 1000));
    assert_true(stats().invalidations >= 3);
}

/* The storing insn is not the last one and rewrites the insn after it */
static void test_smc_next_insn(void **state)
{
    Fixture *f = *state;

    LOAD(0x1000, tc_li(3, 1), tc_li(4, 10), tc_ld(1, 0, 0x1800),
         /* loop 0x100c */ tc_st(1, 0, 0x1010), /* 0x1010 */ tc_li(2, 1),
         tc_sub(4, 4, 3), tc_bne(4, 0, -4), tc_hlt());
    put(0x1800, tc_addi(2, 2, 7));
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    /* first pass runs the new insn already: 10 additions of 7 */
    assert_int_equal(REG(f, 2), 70);
}

/* A write from outside the CPU (DMA, loader) to a code page */
static void test_dma_invalidate(void **state)
{
    Fixture *f = *state;
    ram_addr_t ra = memory_region_get_ram_addr(&ram) + 0x4000;

    LOAD(0x4000, tc_li(2, 1), tc_hlt());
    assert_int_equal(run_at(f, 0x4000), EXCP_HLT);
    assert_int_equal(REG(f, 2), 1);
    assert_true(tb_page_has_code(ra));
    put(0x4000, tc_li(2, 3));
    assert_false(tb_page_has_code(ra));
    assert_int_equal(run_at(f, 0x4000), EXCP_HLT);
    assert_int_equal(REG(f, 2), 3);
    assert_true(stats().invalidations >= 1);
    /* a write elsewhere on the page leaves the code alone */
    put(0x4800, 0x12345678);
    assert_true(tb_page_has_code(ra));
}

static void test_exception_divz(void **state)
{
    Fixture *f = *state;

    LOAD(0x1000, tc_li(1, 10), tc_li(2, 2), tc_div(3, 1, 2), tc_li(6, 0),
         /* 0x1010 */ tc_div(4, 1, 6), tc_li(5, 9), tc_hlt());
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(f->cpu->env.excp, TESTCPU_EXCP_DIVZ);
    assert_int_equal(f->cpu->env.excp_pc, 0x1010);
    assert_int_equal(f->cpu->env.excp_count, 1);
    assert_int_equal(REG(f, 3), 5);
    assert_int_equal(REG(f, 4), 0);
    assert_int_equal(REG(f, 5), 0);
}

static void test_exception_page_fault(void **state)
{
    Fixture *f = *state;

    f->cpu->env.forbidden_page = 0x5000;
    LOAD(0x1000, tc_li(1, 0x5000), tc_li(7, 0x2000), tc_li(2, 7),
         tc_st(2, 7, 0), /* 0x1010 */ tc_ld(3, 1, 4), tc_li(4, 1),
         tc_hlt());
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(f->cpu->env.excp, TESTCPU_EXCP_PAGE_FAULT);
    assert_int_equal(f->cpu->env.excp_pc, 0x1010);
    assert_int_equal(f->cpu->env.fault_addr, 0x5004);
    assert_int_equal(REG(f, 2), 7);
    assert_int_equal(peek32(0x2000), 7);
    assert_int_equal(REG(f, 3), 0);
    assert_int_equal(REG(f, 4), 0);

    /* a faulting store writes nothing, and nothing after it runs */
    LOAD(0x1100, tc_li(2, 9), tc_st(2, 7, 4), /* 0x1108 */ tc_st(2, 1, 0),
         tc_st(2, 7, 8), tc_hlt());
    assert_int_equal(run_at(f, 0x1100), EXCP_HLT);
    assert_int_equal(f->cpu->env.excp_pc, 0x1108);
    assert_int_equal(peek32(0x2004), 9);
    assert_int_equal(peek32(0x2008), 0);

    /* code fetch from the forbidden page */
    LOAD(0x1200, tc_li(1, 0x5000), tc_jr(1));
    assert_int_equal(run_at(f, 0x1200), EXCP_HLT);
    assert_int_equal(f->cpu->env.excp_pc, 0x5000);
    assert_int_equal(f->cpu->env.excp_count, 3);
}

static void test_exception_handler(void **state)
{
    Fixture *f = *state;

    f->cpu->env.evec = 0x1800;
    LOAD(0x1000, tc_li(1, 1), /* 0x1004: illegal */ 0xff, tc_li(1, 2),
         tc_hlt());
    LOAD(0x1800, tc_li(6, 77), tc_hlt());
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(f->cpu->env.excp, TESTCPU_EXCP_ILLEGAL);
    assert_int_equal(f->cpu->env.excp_pc, 0x1004);
    assert_int_equal(REG(f, 6), 77);
    assert_int_equal(REG(f, 1), 1);
    assert_int_equal(f->cpu->env.pc, 0x1808);
}

/* Translation stops at a page boundary */
static void test_page_boundary(void **state)
{
    Fixture *f = *state;
    TBStatistics st;

    LOAD(0x5ff0, tc_li(1, 1), tc_li(2, 2), tc_li(3, 3), tc_li(4, 4),
         /* 0x6000 */ tc_li(5, 5), tc_hlt());
    assert_int_equal(run_at(f, 0x5ff0), EXCP_HLT);
    assert_int_equal(REG(f, 4), 4);
    assert_int_equal(REG(f, 5), 5);
    st = stats();
    assert_int_equal(st.tbs_translated, 2);
    assert_int_equal(st.cross_page_tbs, 0);
    /* rewriting the second page only drops the second TB */
    put(0x6000, tc_li(5, 6));
    assert_int_equal(run_at(f, 0x5ff0), EXCP_HLT);
    assert_int_equal(REG(f, 5), 6);
    assert_int_equal(stats().tbs_translated, 3);
}

/* Insns that cross into the next page start their own TB (unaligned pcs) */
static void test_cross_page(void **state)
{
    Fixture *f = *state;
    CPUState *cs = testcpu_cs(f->cpu);
    uint8_t imm = 0x33;
    TBStatistics st;

    LOAD(0x5ff6, tc_li(1, 1), tc_li(2, 2), /* 0x5ffe */ tc_li(3, 3),
         /* 0x6002 */ tc_li(4, 4), tc_hlt());
    assert_int_equal(run_at(f, 0x5ff6), EXCP_HLT);
    assert_int_equal(REG(f, 3), 3);
    assert_int_equal(REG(f, 4), 4);
    st = stats();
    /* [0x5ff6, 0x5ffa] (after a restart), [0x5ffe], [0x6002, hlt] */
    assert_int_equal(st.tbs_translated, 3);
    assert_int_equal(st.cross_page_tbs, 1);
    assert_true(st.retranslations >= 1);

    /* a write to the second page reaches the TB that crosses into it */
    bql_lock();
    address_space_write(&address_space_memory, 0x6000, &imm, 1);
    bql_unlock();
    assert_int_equal(run_at(f, 0x5ff6), EXCP_HLT);
    assert_int_equal(REG(f, 3), 0x33);

    /*
     * The second page goes away: the cached TB must not run (the mapping
     * is checked, it is never reached by a chained jump), and the fault
     * belongs to the crossing insn, after the insns before it ran.
     */
    f->cpu->env.forbidden_page = 0x6000;
    tlb_flush(cs);
    memset(f->cpu->env.regs, 0, sizeof(f->cpu->env.regs));
    assert_int_equal(run_at(f, 0x5ff6), EXCP_HLT);
    assert_int_equal(f->cpu->env.excp, TESTCPU_EXCP_PAGE_FAULT);
    assert_int_equal(f->cpu->env.excp_pc, 0x5ffe);
    assert_int_equal(f->cpu->env.fault_addr, 0x6000);
    assert_int_equal(REG(f, 2), 2);
    assert_int_equal(REG(f, 3), 0);

    /* the same when translating afresh */
    tb_flush(cs);
    memset(f->cpu->env.regs, 0, sizeof(f->cpu->env.regs));
    assert_int_equal(run_at(f, 0x5ff6), EXCP_HLT);
    assert_int_equal(f->cpu->env.excp_pc, 0x5ffe);
    assert_int_equal(REG(f, 2), 2);
    assert_int_equal(REG(f, 3), 0);
    assert_int_equal(f->cpu->env.excp_count, 2);
}

/* Code in I/O memory: one insn per TB, read through the memory API */
static uint32_t mmio_prog[4];
static unsigned mmio_reads;

static uint64_t mmio_code_read(void *opaque, hwaddr addr, unsigned size)
{
    uint64_t v = 0;

    mmio_reads++;
    for (unsigned i = 0; i < size; i++) {
        hwaddr a = addr + i;
        if (a < sizeof(mmio_prog)) {
            v |= (uint64_t)((mmio_prog[a / 4] >> (8 * (a % 4))) & 0xff)
                 << (8 * i);
        }
    }
    return v;
}

static void mmio_code_write(void *opaque, hwaddr addr, uint64_t v,
                            unsigned size)
{
}

static const MemoryRegionOps mmio_code_ops = {
    .read = mmio_code_read,
    .write = mmio_code_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void test_exec_from_mmio(void **state)
{
    Fixture *f = *state;
    static MemoryRegion io;
    static bool io_ready;
    TBStatistics a, b;

    if (!io_ready) {
        bql_lock();
        memory_region_init_io(&io, NULL, &mmio_code_ops, NULL, "code-io",
                              0x1000);
        memory_region_add_subregion(get_system_memory(), 0x200000, &io);
        bql_unlock();
        io_ready = true;
    }
    mmio_prog[0] = tc_li(5, 9);
    mmio_prog[1] = tc_addi(5, 5, 1);
    mmio_prog[2] = tc_hlt();
    LOAD(0x1000, tc_li(1, 0x40), tc_add(1, 1, 1), tc_add(1, 1, 1),
         tc_add(1, 1, 1), tc_add(1, 1, 1), tc_add(1, 1, 1), tc_add(1, 1, 1),
         tc_add(1, 1, 1), tc_add(1, 1, 1), tc_add(1, 1, 1), tc_add(1, 1, 1),
         tc_add(1, 1, 1), tc_add(1, 1, 1), tc_add(1, 1, 1), tc_add(1, 1, 1),
         tc_add(1, 1, 1), tc_jr(1));
    mmio_reads = 0;
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(REG(f, 1), 0x200000);
    assert_int_equal(REG(f, 5), 10);
    assert_int_equal(f->cpu->env.pc, 0x20000c);
    assert_true(mmio_reads >= 3);
    a = stats();
    /* one TB per insn, and nothing is cached: it may change any time */
    mmio_prog[1] = tc_addi(5, 5, 2);
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_int_equal(REG(f, 5), 11);
    b = stats();
    assert_int_equal(b.tbs_translated - a.tbs_translated, 3);
}

static void test_buffer_full_flush(void **state)
{
    Fixture *f = *state;
    enum { BLOCKS = 2000 };
    static uint32_t prog[2 * BLOCKS + 1];
    TBStatistics st;

    engine_down(f);
    engine_up(f, 64 * KiB);
    for (int i = 0; i < BLOCKS; i++) {
        prog[2 * i] = tc_addi(1, 1, 1);
        prog[2 * i + 1] = tc_jmp(0);
    }
    prog[2 * BLOCKS] = tc_hlt();
    load(0x10000, prog, ARRAY_SIZE(prog));
    assert_int_equal(run_at(f, 0x10000), EXCP_HLT);
    assert_int_equal(REG(f, 1), BLOCKS);
    st = stats();
    assert_true(st.flushes >= 2);
    assert_true(st.tbs_translated >= BLOCKS);
    assert_true(st.code_buffer_used <= st.code_buffer_size);
    REG(f, 1) = 0;
    assert_int_equal(run_at(f, 0x10000), EXCP_HLT);
    assert_int_equal(REG(f, 1), BLOCKS);
    assert_true(stats().flushes > st.flushes);
}

typedef struct Poke {
    CPUState *cs;
    bool irq;
} Poke;

static void *poke_thread(void *arg)
{
    Poke *p = arg;

    usleep(30 * 1000);
    if (p->irq) {
        cpu_interrupt(p->cs, CPU_INTERRUPT_HARD);
    } else {
        cpu_exit(p->cs);
    }
    return NULL;
}

static void test_exit_request(void **state)
{
    Fixture *f = *state;
    Poke p = { testcpu_cs(f->cpu), false };
    EmuThread t;

    /* spins in one self-chained TB until told to leave */
    LOAD(0x5000, tc_li(1, 1), /* 0x5004 */ tc_bne(1, 0, -1), tc_hlt());
    emu_thread_create(&t, "poke", poke_thread, &p);
    assert_int_equal(run_at(f, 0x5000), EXCP_INTERRUPT);
    emu_thread_join(&t);
    assert_int_equal(f->cpu->env.pc, 0x5004);
    assert_false(testcpu_cs(f->cpu)->exit_request);
    REG(f, 1) = 0;
    assert_int_equal(run_at(f, 0x5004), EXCP_HLT);
    assert_int_equal(f->cpu->env.pc, 0x500c);
}

static void test_interrupt(void **state)
{
    Fixture *f = *state;
    Poke p = { testcpu_cs(f->cpu), true };
    EmuThread t;

    f->cpu->env.ivec = 0x5100;
    LOAD(0x5000, tc_li(1, 1), /* 0x5004 */ tc_bne(1, 0, -1), tc_hlt());
    LOAD(0x5100, tc_li(5, 55), tc_hlt());
    emu_thread_create(&t, "poke", poke_thread, &p);
    assert_int_equal(run_at(f, 0x5000), EXCP_HLT);
    emu_thread_join(&t);
    assert_int_equal(REG(f, 5), 55);
    assert_int_equal(f->cpu->env.irq_count, 1);

    /* a halted CPU with a pending interrupt has work: it wakes */
    cpu_interrupt(testcpu_cs(f->cpu), CPU_INTERRUPT_HARD);
    assert_int_equal(cpu_exec(testcpu_cs(f->cpu)), EXCP_HLT);
    assert_int_equal(f->cpu->env.irq_count, 2);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    StrBuf sb;
    char buf[4096];
    size_t n;

    assert_non_null(fp);
    strbuf_init(&sb);
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        strbuf_append_len(&sb, buf, n);
    }
    fclose(fp);
    return strbuf_steal(&sb);
}

static void test_logging(void **state)
{
    Fixture *f = *state;
    char path[] = "/tmp/emu-test-tcg-exec-XXXXXX";
    int fd = mkstemp(path);
    Error *err = NULL;
    char *text;

    assert_true(fd >= 0);
    close(fd);
    assert_true(log_set_filename(path, &err));
    log_set_mask(LOG_EXEC | LOG_TB_IN_ASM | LOG_TB_OUT_ASM | LOG_CPU |
                 LOG_INT | LOG_NOCHAIN);
    LOAD(0x1000, tc_li(1, 3), tc_li(3, 1), /* 0x1008 */ tc_sub(1, 1, 3),
         tc_bne(1, 0, -2), tc_div(2, 1, 1));
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    log_set_mask(0);
    log_close();
    text = slurp(path);
    unlink(path);

    assert_non_null(strstr(text, "IN: \n0x00001000:  li"));
    assert_non_null(strstr(text, "OUT: [size="));
    assert_non_null(strstr(text, "Trace 0: "));
    assert_non_null(strstr(text, "[0000000000001008/0000000000000000/"
                                 "0x00000000/0x00000200] "));
    assert_non_null(strstr(text, "pc=0000000000001008"));
    assert_non_null(strstr(text, "exception 1 (0x1)"));
    /* -d nochain: no TB was chained, every one came back to the loop */
    assert_int_equal(stats().chains_made, 0);
    assert_true(stats().tbs_executed >= 4);
    free(text);
}

static void test_info_jit(void **state)
{
    Fixture *f = *state;
    const MonitorCommand *cmd = monitor_find_qmp("x-query-jit");
    Error *err = NULL;
    json_object *ret, *o, *st;

    LOAD(0x1000, tc_li(1, 3), tc_hlt());
    assert_int_equal(run_at(f, 0x1000), EXCP_HLT);
    assert_non_null(cmd);
    assert_string_equal(cmd->hmp_name, "info jit");
    ret = cmd->handler(NULL, NULL, &err);
    assert_null(err);
    assert_true(json_object_object_get_ex(ret, "human-readable-text", &o));
    assert_non_null(strstr(json_object_get_string(o), "TB count"));
    assert_non_null(strstr(json_object_get_string(o), "gen code size"));
    assert_true(json_object_object_get_ex(ret, "stats", &st));
    assert_true(json_object_object_get_ex(st, "tbs", &o));
    assert_int_equal(json_object_get_uint64(o), 1);
    assert_true(json_object_object_get_ex(st, "backend", &o));
    assert_string_equal(json_object_get_string(o), f->backend->name);
    json_object_put(ret);
}

/* Poll (without the global lock) until cond holds; false after 5 s */
#define WAIT_FOR(cond) ({                                       \
        int64_t until_ = now_ms() + 5000;                       \
        while (!(cond) && now_ms() < until_) {                  \
            usleep(1000);                                       \
        }                                                       \
        (cond);                                                 \
    })

/* The "tcg" accelerator: round-robin thread, halt/wake, pause/resume */
static void test_accel_rr(void **state)
{
    Fixture *f = *state;
    const AccelOps *ops = accel_find("tcg");
    Error *err = NULL;
    EmuOpts *opts;
    TestCPU *a, *b;

    assert_non_null(ops);
    engine_down(f);
    opts = opts_parse(f->backend == &tcg_backend_interp
                      ? "tcg,backend=interp" : "tcg,backend=native",
                      "accel", false, &err);
    assert_non_null(opts);
    assert_true(ops->init(opts, &err));
    opts_free(opts);

    LOAD(0x7000, tc_li(3, 1), tc_li(1, 500), /* 0x7008 */ tc_sub(1, 1, 3),
         tc_bne(1, 0, -2), tc_hlt());
    LOAD(0x7100, tc_li(3, 1), tc_li(2, 700), /* 0x7108 */ tc_sub(2, 2, 3),
         tc_bne(2, 0, -2), tc_hlt());
    LOAD(0x7200, tc_li(5, 55), tc_hlt());
    LOAD(0x7300, tc_li(1, 1), /* 0x7304 */ tc_bne(1, 0, -1), tc_hlt());
    a = testcpu_new();
    b = testcpu_new();
    a->env.pc = 0x7000;
    b->env.pc = 0x7100;
    a->env.ivec = 0x7200;
    b->env.ivec = 0x7300;
    assert_true(ops->start_vcpus(2, &err));

    /* created paused: nothing runs before the VM starts */
    usleep(20 * 1000);
    assert_int_equal(a->env.pc, 0x7000);
    bql_lock();
    ops->vm_state_change(true);
    bql_unlock();
    assert_true(WAIT_FOR(a->parent.halted && b->parent.halted));
    assert_int_equal(a->env.pc, 0x7014);
    assert_int_equal(b->env.pc, 0x7114);
    assert_int_equal(a->env.regs[1], 0);
    assert_int_equal(b->env.regs[2], 0);

    /* an interrupt wakes the sleeping thread for that vCPU */
    cpu_interrupt(&a->parent, CPU_INTERRUPT_HARD);
    assert_true(WAIT_FOR(a->env.regs[5] == 55 && a->parent.halted));
    assert_int_equal(a->env.irq_count, 1);

    /* stopping the VM takes a vCPU out of a guest loop that never ends */
    cpu_interrupt(&b->parent, CPU_INTERRUPT_HARD);
    assert_true(WAIT_FOR(b->env.irq_count == 1));
    usleep(10 * 1000);
    bql_lock();
    ops->vm_state_change(false);
    bql_unlock();
    assert_true(a->parent.stopped && b->parent.stopped);
    assert_true(b->env.pc >= 0x7300 && b->env.pc <= 0x7304);
    bql_lock();
    ops->vm_state_change(true);
    bql_unlock();
    usleep(10 * 1000);
    ops->cleanup();

    tcg_exec_cpu_cleanup(&a->parent);
    tcg_exec_cpu_cleanup(&b->parent);
    testcpu_free(a);
    testcpu_free(b);
    tcg_exec_cleanup();
    engine_up(f, DEFAULT_BUF);
}

/* ---- Runner ---- */

#define TESTS(X) \
    X(test_straight_line) X(test_memory_ops) X(test_loop_chaining) \
    X(test_indirect_jump) X(test_tb_cache_hits) X(test_smc_same_tb) \
    X(test_smc_other_tb) X(test_smc_next_insn) X(test_dma_invalidate) \
    X(test_exception_divz) X(test_exception_page_fault) \
    X(test_exception_handler) X(test_page_boundary) X(test_cross_page) X(test_exec_from_mmio) \
    X(test_buffer_full_flush) X(test_exit_request) X(test_interrupt) \
    X(test_logging) X(test_info_jit) X(test_accel_rr)

static Fixture fix_interp = { &tcg_backend_interp, NULL };
#define T_INTERP(fn) { "interp/" #fn, fn, setup, teardown, &fix_interp },
#if defined(__x86_64__)
static Fixture fix_native = { &tcg_backend_native, NULL };
#define T_NATIVE(fn) { "native/" #fn, fn, setup, teardown, &fix_native },
#endif

int main(void)
{
    Error *err = NULL;
    pthread_t wd;
    const struct CMUnitTest tests[] = {
        TESTS(T_INTERP)
#if defined(__x86_64__)
        TESTS(T_NATIVE)
#endif
    };

    memory_system_init();
    if (!memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        return 1;
    }
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    pthread_create(&wd, NULL, watchdog, NULL);
    pthread_detach(wd);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
