/* Unit tests of the softmmu TLB and the guest memory access slow paths. */
#include "emu/osdep.h"
#include "exec/cputlb.h"
#include "exec/tb-internal.h"
#include "hw/core/cpu.h"
#include "system/memory.h"
#include "tcg/tcg-op.h"
#include "accel/tcg/internal.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

/*
 * Guest physical map:
 *   0x000000-0x3fffff  RAM (4 MiB)
 *   0x400000-0x400fff  little-endian test device
 *   0x401000-0x401fff  big-endian test device
 *   0x402000-0x403fff  ROM
 *   0x500000-          unassigned
 * Virtual map (both MMU modes): identity below 0x40000000, except
 *   FAULT_PAGE         not mapped (tlb_fill faults)
 *   RO_PAGE            read/exec only
 *   LARGE_VA..+2MiB    one 2 MiB mapping of physical LARGE_PA
 *   ALIAS_VA + k MiB   (k < 16) physical ALIAS_PA + k pages: all in slot 0
 */
#define RAM_SIZE    (4 * MiB)
#define DEV_LE      0x400000
#define DEV_BE      0x401000
#define ROM_BASE    0x402000
#define FAULT_PAGE  0x5000
#define RO_PAGE     0x7000
#define LARGE_VA    0x40000000ULL
#define LARGE_PA    0x200000ULL
#define LARGE_SIZE  (2 * MiB)
#define ALIAS_VA    0x80000000ULL
#define ALIAS_PA    0x300000ULL

#define PAGE 4096u

typedef struct TestEnv {
    uint64_t pc;
} TestEnv;

typedef struct TestCPU {
    CPUState parent;
    CPUNegativeOffsetState neg;
    TestEnv env;
} TestCPU;
CPU_CHECK_LAYOUT(TestCPU, neg, env);

typedef struct DevLog {
    unsigned reads, writes;
    hwaddr addr;
    unsigned size;
    uint64_t val;
} DevLog;

static MemoryRegion ram, dev_le, dev_be, rom;
static DevLog log_le, log_be;
static TestCPU cpu0, cpu1;
static CPUClass test_cc;

/* what the hooks saw */
static unsigned fill_count;
static int fault_kind;              /* 1 page fault, 2 unaligned */
static uint64_t fault_addr;
static MMUAccessType fault_access;
static int fault_mmu_idx;
static sigjmp_buf fault_jmp;

static void *env0(void)
{
    return &cpu0.env;
}

static uint8_t *ram_host(hwaddr pa)
{
    return (uint8_t *)memory_region_get_ram_ptr(&ram) + pa;
}

static ram_addr_t ram_of(hwaddr pa)
{
    return memory_region_get_ram_addr(&ram) + pa;
}

/* ---- The test devices: reads return a pattern, writes are logged ---- */

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    DevLog *l = opaque;

    l->reads++;
    l->addr = addr;
    l->size = size;
    return 0x8877665544332211ULL + addr;
}

static void dev_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    DevLog *l = opaque;

    l->writes++;
    l->addr = addr;
    l->size = size;
    l->val = val;
}

static const MemoryRegionOps dev_le_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

static const MemoryRegionOps dev_be_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

/* ---- The test CPU ---- */

static bool test_tlb_fill(CPUState *cs, uint64_t addr, int size,
                          MMUAccessType access_type, int mmu_idx, bool probe,
                          uintptr_t retaddr)
{
    uint64_t page = addr & ~(uint64_t)(PAGE - 1);
    int prot = PAGE_RWX;

    fill_count++;
    if (page == FAULT_PAGE || (page == RO_PAGE &&
                               access_type == MMU_DATA_STORE)) {
        if (probe) {
            return false;
        }
        fault_kind = 1;
        fault_addr = addr;
        fault_access = access_type;
        fault_mmu_idx = mmu_idx;
        siglongjmp(fault_jmp, 1);
    }
    if (page == RO_PAGE) {
        prot = PAGE_READ | PAGE_EXEC;
    }
    if (addr >= LARGE_VA && addr < LARGE_VA + LARGE_SIZE) {
        tlb_set_page(cs, addr, LARGE_PA + (addr - LARGE_VA), prot, mmu_idx,
                     LARGE_SIZE);
    } else if (addr >= ALIAS_VA && addr < ALIAS_VA + 16 * MiB) {
        uint64_t k = (addr - ALIAS_VA) >> 20;
        tlb_set_page(cs, addr, ALIAS_PA + k * PAGE + (addr & (PAGE - 1)),
                     prot, mmu_idx, PAGE);
    } else {
        tlb_set_page(cs, addr, addr, prot, mmu_idx, PAGE);
    }
    return true;
}

static void test_unaligned(CPUState *cs, uint64_t addr,
                           MMUAccessType access_type, int mmu_idx,
                           uintptr_t retaddr)
{
    fault_kind = 2;
    fault_addr = addr;
    fault_access = access_type;
    fault_mmu_idx = mmu_idx;
    siglongjmp(fault_jmp, 2);
}

static int test_mmu_index(CPUState *cs, bool ifetch)
{
    return 0;
}

static void test_tcg_init(TCGContext *s)
{
}

static void test_get_tb_cpu_state(CPUState *cs, uint64_t *pc,
                                  uint64_t *cs_base, uint32_t *flags)
{
    *pc = ((TestCPU *)cs)->env.pc;
    *cs_base = 0;
    *flags = 0;
}

/* Every test TB is one 4-byte instruction that leaves to the loop */
static void test_translate(CPUState *cs, TranslationBlock *tb, int max_insns)
{
    tcg_gen_insn_start(tb->pc, 0, 0);
    tcg_gen_exit_tb(NULL, 0);
    tb->size = 4;
    tb->icount = 1;
}

static void test_restore_state(CPUState *cs, const TranslationBlock *tb,
                               const uint64_t *data)
{
    ((TestCPU *)cs)->env.pc = data[0];
}

static void cpu_setup(TestCPU *c)
{
    memset(c, 0, sizeof(*c));
    c->parent.cc = &test_cc;
    c->parent.env_ptr = &c->env;
    c->parent.neg = &c->neg;
    c->neg.cpu = &c->parent;
    c->parent.as = &address_space_memory;
    assert_true(tcg_exec_cpu_init(&c->parent, NULL));
}

static int setup(void **state)
{
    Error *err = NULL;

    test_cc = (CPUClass) {
        .name = "testcpu",
        .nb_mmu_modes = 2,
        .page_bits = 12,
        .tlb_fill = test_tlb_fill,
        .do_unaligned_access = test_unaligned,
        .mmu_index = test_mmu_index,
        .tcg_init = test_tcg_init,
        .get_tb_cpu_state = test_get_tb_cpu_state,
        .translate = test_translate,
        .restore_state_to_opc = test_restore_state,
    };
    memory_system_init();
    assert_true(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    memory_region_init_io(&dev_le, NULL, &dev_le_ops, &log_le, "dev-le", PAGE);
    memory_region_add_subregion(get_system_memory(), DEV_LE, &dev_le);
    memory_region_init_io(&dev_be, NULL, &dev_be_ops, &log_be, "dev-be", PAGE);
    memory_region_add_subregion(get_system_memory(), DEV_BE, &dev_be);
    assert_true(memory_region_init_rom(&rom, NULL, "rom", 2 * PAGE, &err));
    memory_region_add_subregion(get_system_memory(), ROM_BASE, &rom);

    assert_true(tcg_exec_init(&tcg_backend_interp, 4 * MiB, &err));
    cpu_setup(&cpu0);
    cpu_setup(&cpu1);
    return 0;
}

static int teardown(void **state)
{
    tcg_exec_cpu_cleanup(&cpu1.parent);
    tcg_exec_cpu_cleanup(&cpu0.parent);
    tcg_exec_cleanup();
    return 0;
}

/* Start every test from empty TLBs and no recorded faults */
static int reset(void **state)
{
    tlb_flush(&cpu0.parent);
    tlb_flush(&cpu1.parent);
    fill_count = 0;
    fault_kind = 0;
    memset(&log_le, 0, sizeof(log_le));
    memset(&log_be, 0, sizeof(log_be));
    return 0;
}

static uint64_t ld(uint64_t addr, MemOp op)
{
    return helper_ld_mmu(env0(), addr, make_memop_idx(op, 0), 0);
}

static void st(uint64_t addr, uint64_t val, MemOp op)
{
    helper_st_mmu(env0(), addr, val, make_memop_idx(op, 0), 0);
}

static CPUTLBEntry *tlb_entry_of(TestCPU *c, int mmu_idx, uint64_t addr)
{
    CPUTLBDescFast *f = &c->neg.tlb.f[mmu_idx];
    uintptr_t index = (addr >> 12) & (f->mask >> CPU_TLB_ENTRY_BITS);

    return &f->table[index];
}

/* The value a load of op returns for the 8 bytes at b */
static uint64_t expect_load(const uint8_t *b, MemOp op)
{
    unsigned size = memop_size(op), i;
    bool be = (op & MO_BSWAP) ? !HOST_BIG_ENDIAN : HOST_BIG_ENDIAN;
    uint64_t v = 0;

    for (i = 0; i < size; i++) {
        v |= (uint64_t)b[i] << (8 * (be ? size - 1 - i : i));
    }
    if ((op & MO_SIGN) && size < 8) {
        unsigned shift = 64 - 8 * size;
        v = (uint64_t)((int64_t)(v << shift) >> shift);
    }
    return v;
}

/* ---- Tests ---- */

static void test_ram_load_store(void **state)
{
    static const MemOp ops[] = {
        MO_UB, MO_SB, MO_LEUW, MO_LESW, MO_LEUL, MO_LESL, MO_LEUQ,
        MO_BEUW, MO_BESW, MO_BEUL, MO_BESL, MO_BEUQ,
    };
    uint64_t seed = 0x12345678abcdefULL;
    unsigned i, round;

    for (round = 0; round < 64; round++) {
        for (i = 0; i < ARRAY_SIZE(ops); i++) {
            MemOp op = ops[i];
            unsigned size = memop_size(op);
            uint64_t addr = 0x10000 + (round % 8) * PAGE + (round * 8) % 256;
            uint64_t val, mask = size == 8 ? UINT64_MAX
                                           : (1ULL << (8 * size)) - 1;
            uint8_t bytes[8];
            unsigned b;

            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            val = seed ^ (seed >> 29);
            if (round & 1) {
                val |= 1ULL << (8 * size - 1);      /* negative */
            }
            st(addr, val, op);
            for (b = 0; b < size; b++) {
                bool be = (op & MO_BSWAP) ? !HOST_BIG_ENDIAN
                                          : HOST_BIG_ENDIAN;
                bytes[b] = (val & mask) >> (8 * (be ? size - 1 - b : b));
            }
            assert_memory_equal(ram_host(addr), bytes, size);
            assert_int_equal(ld(addr, op), expect_load(bytes, op));
        }
    }
    /* byte order of one known value */
    st(0x20000, 0x1122334455667788ULL, MO_LEUQ);
    assert_int_equal(ram_host(0x20000)[0], 0x88);
    assert_int_equal(ld(0x20000, MO_BEUQ), 0x8877665544332211ULL);
    assert_int_equal(ld(0x20000, MO_BEUW), 0x8877);
    assert_int_equal(ld(0x20000, MO_LESW), 0x7788);
    assert_int_equal(ld(0x20001, MO_SB), (uint64_t)(int64_t)0x77);
    st(0x20000, 0xfedc, MO_LEUW);
    assert_int_equal(ld(0x20000, MO_LESW), 0xfffffffffffffedcULL);
    assert_int_equal(ld(0x20000, MO_LESL), 0x5566fedcULL);
    /* the C accessors */
    cpu_stl_be_data_ra(env0(), 0x20010, 0xa1b2c3d4, 0);
    assert_int_equal(cpu_ldub_data_ra(env0(), 0x20010, 0), 0xa1);
    assert_int_equal(cpu_ldl_le_data_ra(env0(), 0x20010, 0), 0xd4c3b2a1);
    assert_int_equal(cpu_ldsw_be_mmuidx_ra(env0(), 0x20010, 1, 0),
                     (int32_t)0xffffa1b2);
    cpu_stq_le_mmuidx_ra(env0(), 0x20018, 0x0102030405060708ULL, 1, 0);
    assert_int_equal(cpu_ldq_be_data(env0(), 0x20018), 0x0807060504030201ULL);
    assert_int_equal(cpu_ld_code(env0(), 0x20018, MO_LEUW), 0x0708);
    assert_int_equal(cpu_ldub_code(env0(), 0x2001f), 0x01);
}

static void test_mmio(void **state)
{
    /* little-endian device */
    st(DEV_LE + 8, 0x11223344, MO_LEUL);
    assert_int_equal(log_le.writes, 1);
    assert_int_equal(log_le.addr, 8);
    assert_int_equal(log_le.size, 4);
    assert_int_equal(log_le.val, 0x11223344);
    st(DEV_LE + 8, 0x11223344, MO_BEUL);
    assert_int_equal(log_le.val, 0x44332211);
    st(DEV_LE + 16, 0x0102030405060708ULL, MO_LEUQ);
    assert_int_equal(log_le.size, 8);
    assert_int_equal(log_le.val, 0x0102030405060708ULL);
    st(DEV_LE + 3, 0xab, MO_UB);
    assert_int_equal(log_le.size, 1);
    assert_int_equal(log_le.addr, 3);
    assert_int_equal(log_le.val, 0xab);

    assert_int_equal(ld(DEV_LE, MO_LEUW), 0x2211);
    assert_int_equal(log_le.size, 2);
    assert_int_equal(ld(DEV_LE, MO_BEUW), 0x1122);
    assert_int_equal(ld(DEV_LE, MO_LEUQ), 0x8877665544332211ULL);
    assert_int_equal(log_le.size, 8);
    assert_int_equal(ld(DEV_LE, MO_SB), (uint64_t)(int64_t)0x11);
    assert_int_equal(ld(DEV_LE + 0x70, MO_SB),
                     (uint64_t)(int64_t)(int8_t)0x81);
    assert_int_equal(ld(DEV_LE, MO_LESL), 0x44332211);
    assert_int_equal(ld(DEV_LE + 0x70, MO_BESL), 0xffffffff81223344ULL);

    /* big-endian device: a big-endian CPU access passes values as-is */
    st(DEV_BE + 4, 0xcafebabe, MO_BEUL);
    assert_int_equal(log_be.val, 0xcafebabe);
    assert_int_equal(log_be.size, 4);
    st(DEV_BE + 4, 0xcafebabe, MO_LEUL);
    assert_int_equal(log_be.val, 0xbebafeca);
    assert_int_equal(ld(DEV_BE, MO_BEUL), 0x44332211);
    assert_int_equal(ld(DEV_BE, MO_LEUL), 0x11223344);
    assert_int_equal(log_le.writes, 4);
    assert_int_equal(log_be.reads, 2);

    /* the entries route MMIO to the slow path for every access kind */
    assert_true(tlb_entry_of(&cpu0, 0, DEV_LE)->addr_read & TLB_MMIO);
    assert_true(tlb_entry_of(&cpu0, 0, DEV_LE)->addr_write & TLB_MMIO);

    /* unassigned space reads as all-ones; writes go nowhere */
    assert_int_equal(ld(0x500000, MO_LEUL), 0xffffffff);
    st(0x500000, 1, MO_LEUL);
}

static void test_unaligned_and_crossing(void **state)
{
    uint8_t *h = ram_host(0);
    uint8_t before[8];
    unsigned i;
    int kind;

    for (i = 0; i < 16; i++) {
        h[0x1ff8 + i] = 0x10 + i;
    }
    /* unaligned within a page, no alignment requirement */
    assert_int_equal(ld(0x1ff9, MO_LEUL), 0x14131211);
    assert_int_equal(ld(0x1ff9, MO_BEUL), 0x11121314);
    /* crossing a page */
    assert_int_equal(ld(0x1ffe, MO_LEUL), 0x19181716);
    assert_int_equal(ld(0x1ffe, MO_BEUL), 0x16171819);
    assert_int_equal(ld(0x1ffd, MO_LEUQ), 0x1c1b1a1918171615ULL);
    assert_int_equal(ld(0x1ffd, MO_BEUQ), 0x15161718191a1b1cULL);
    assert_int_equal(ld(0x1fff, MO_LESW), 0x1817);
    h[0x2000] = 0x90;
    assert_int_equal(ld(0x1fff, MO_LESW), (uint64_t)(int64_t)(int16_t)0x9017);
    assert_int_equal(ld(0x1fff, MO_BESW), 0x1790);
    st(0x1ffc, 0x0102030405060708ULL, MO_BEUQ);
    for (i = 0; i < 8; i++) {
        assert_int_equal(h[0x1ffc + i], i + 1);
    }
    st(0x1ffa, 0xa1a2a3a4, MO_LEUL);
    assert_int_equal(h[0x1ffa], 0xa4);
    assert_int_equal(h[0x1ffd], 0xa1);

    /* crossing from RAM into a device: the device gets the right bytes */
    st(DEV_LE - 2, 0x44332211, MO_LEUL);
    assert_int_equal(ram_host(DEV_LE - 2)[0], 0x11);
    assert_int_equal(ram_host(DEV_LE - 2)[1], 0x22);
    assert_int_equal(log_le.writes, 1);
    assert_int_equal(log_le.addr, 0);
    assert_int_equal(log_le.size, 2);
    assert_int_equal(log_le.val, 0x4433);
    ram_host(DEV_LE - 2)[0] = 0xee;
    ram_host(DEV_LE - 2)[1] = 0xdd;
    assert_int_equal(ld(DEV_LE - 2, MO_LEUL), 0x2211ddee);

    /* a fault on the second page leaves the first untouched */
    memcpy(before, ram_host(FAULT_PAGE - 4), 4);
    kind = sigsetjmp(fault_jmp, 0);
    if (kind == 0) {
        st(FAULT_PAGE - 4, 0x1122334455667788ULL, MO_LEUQ);
        fail_msg("store across into an unmapped page did not fault");
    }
    assert_int_equal(kind, 1);
    assert_int_equal(fault_addr, FAULT_PAGE);
    assert_int_equal(fault_access, MMU_DATA_STORE);
    assert_memory_equal(ram_host(FAULT_PAGE - 4), before, 4);

    /* same for a read-only second page: nothing of the store happens */
    memcpy(before, ram_host(RO_PAGE - 2), 4);
    kind = sigsetjmp(fault_jmp, 0);
    if (kind == 0) {
        st(RO_PAGE - 2, 0xdeadbeef, MO_LEUL);
        fail_msg("store across into a read-only page did not fault");
    }
    assert_int_equal(fault_addr, RO_PAGE);
    assert_memory_equal(ram_host(RO_PAGE - 2), before, 4);
    /* reading it works */
    assert_int_equal(ld(RO_PAGE - 2, MO_LEUL),
                     expect_load(ram_host(RO_PAGE - 2), MO_LEUL));
}

static void test_alignment(void **state)
{
    unsigned fills;
    int kind;

    ram_host(0x3000)[4] = 0x5a;
    assert_int_equal(ld(0x3004, MO_UB | MO_ALIGN), 0x5a);
    assert_int_equal(ld(0x3004, MO_LEUL | MO_ALIGN), ld(0x3004, MO_LEUL));
    assert_int_equal(ld(0x3002, MO_LEUL | MO_ALIGN_2), ld(0x3002, MO_LEUL));
    fills = fill_count;

    kind = sigsetjmp(fault_jmp, 0);
    if (kind == 0) {
        ld(0x3002, MO_LEUL | MO_ALIGN);
        fail_msg("misaligned MO_ALIGN load did not trap");
    }
    assert_int_equal(kind, 2);
    assert_int_equal(fault_addr, 0x3002);
    assert_int_equal(fault_access, MMU_DATA_LOAD);
    assert_int_equal(fault_mmu_idx, 0);

    kind = sigsetjmp(fault_jmp, 0);
    if (kind == 0) {
        helper_st_mmu(env0(), 0x3001, 0, make_memop_idx(MO_LEUW | MO_ALIGN_2,
                                                        1), 0);
        fail_msg("misaligned MO_ALIGN_2 store did not trap");
    }
    assert_int_equal(kind, 2);
    assert_int_equal(fault_addr, 0x3001);
    assert_int_equal(fault_access, MMU_DATA_STORE);
    assert_int_equal(fault_mmu_idx, 1);
    /* checked before the TLB: no fill for the faulting accesses */
    assert_int_equal(fill_count, fills);

    /* the alignment check comes before the page fault */
    kind = sigsetjmp(fault_jmp, 0);
    if (kind == 0) {
        ld(FAULT_PAGE + 1, MO_LEUW | MO_ALIGN);
        fail_msg("no fault");
    }
    assert_int_equal(kind, 2);
}

static void test_victim_cache(void **state)
{
    TLBStats st0, st1;
    unsigned k;

    /* ALIAS_VA + k MiB all index slot 0 of a 256-entry table */
    for (k = 0; k < 10; k++) {
        cpu_stl_le_mmuidx_ra(env0(), ALIAS_VA + k * MiB, 0x100 + k, 0, 0);
    }
    assert_int_equal(fill_count, 10);
    for (k = 0; k < 10; k++) {
        assert_int_equal(*(uint32_t *)ram_host(ALIAS_PA + k * PAGE),
                         0x100 + k);
    }
    tlb_get_stats(&st0);
    /* the 8 victims hold k = 1..8 (k = 0 fell out), 9 is in the table */
    for (k = 1; k < 9; k++) {
        assert_int_equal(ld(ALIAS_VA + k * MiB, MO_LEUL), 0x100 + k);
    }
    assert_int_equal(fill_count, 10);
    tlb_get_stats(&st1);
    assert_int_equal(st1.victim_hits - st0.victim_hits, 8);
    /* the swapped-in entry sits in the main table now */
    assert_int_equal(tlb_entry_of(&cpu0, 0, ALIAS_VA)->addr_read,
                     ALIAS_VA + 8 * MiB);
    assert_int_equal(ld(ALIAS_VA + 9 * MiB, MO_LEUL), 0x109);
    assert_int_equal(fill_count, 10);
    assert_int_equal(ld(ALIAS_VA, MO_LEUL), 0x100);
    assert_int_equal(fill_count, 11);
}

static void test_flushes(void **state)
{
    CPUState *cs = &cpu0.parent;

    ld(0x8000, MO_UB);
    ld(0x9000, MO_UB);
    helper_ld_mmu(env0(), 0x8000, make_memop_idx(MO_UB, 1), 0);
    assert_int_equal(fill_count, 3);
    ld(0x8000, MO_UB);
    ld(0x9000, MO_UB);
    assert_int_equal(fill_count, 3);

    tlb_flush_page(cs, 0x8123);
    ld(0x9000, MO_UB);
    assert_int_equal(fill_count, 3);
    ld(0x8000, MO_UB);
    assert_int_equal(fill_count, 4);
    helper_ld_mmu(env0(), 0x8000, make_memop_idx(MO_UB, 1), 0);
    assert_int_equal(fill_count, 5);

    /* only mode 1 */
    tlb_flush_page_by_mmuidx(cs, 0x8000, 1 << 1);
    ld(0x8000, MO_UB);
    assert_int_equal(fill_count, 5);
    helper_ld_mmu(env0(), 0x8000, make_memop_idx(MO_UB, 1), 0);
    assert_int_equal(fill_count, 6);

    tlb_flush_by_mmuidx(cs, 1 << 0);
    helper_ld_mmu(env0(), 0x8000, make_memop_idx(MO_UB, 1), 0);
    assert_int_equal(fill_count, 6);
    ld(0x8000, MO_UB);
    ld(0x9000, MO_UB);
    assert_int_equal(fill_count, 8);

    tlb_flush(cs);
    ld(0x9000, MO_UB);
    helper_ld_mmu(env0(), 0x8000, make_memop_idx(MO_UB, 1), 0);
    assert_int_equal(fill_count, 10);

    /* a flushed page also leaves the victim cache */
    ld(ALIAS_VA, MO_UB);
    ld(ALIAS_VA + MiB, MO_UB);      /* ALIAS_VA now a victim */
    tlb_flush_page(cs, ALIAS_VA);
    ld(ALIAS_VA, MO_UB);
    assert_int_equal(fill_count, 13);

    /* all CPUs */
    ld(0x8000, MO_UB);
    helper_ld_mmu(&cpu1.env, 0x8000, make_memop_idx(MO_UB, 0), 0);
    assert_int_equal(fill_count, 15);
    tlb_flush_page_all_cpus_synced(cs, 0x8000);
    helper_ld_mmu(&cpu1.env, 0x8000, make_memop_idx(MO_UB, 0), 0);
    ld(0x8000, MO_UB);
    ld(0x9000, MO_UB);
    assert_int_equal(fill_count, 17);
    tlb_flush_all_cpus_synced(cs);
    helper_ld_mmu(&cpu1.env, 0x8000, make_memop_idx(MO_UB, 0), 0);
    ld(0x8000, MO_UB);
    assert_int_equal(fill_count, 19);
}

static void test_large_page(void **state)
{
    CPUState *cs = &cpu0.parent;

    st(LARGE_VA + 0x1234, 0xabcd, MO_LEUW);
    assert_int_equal(*(uint16_t *)ram_host(LARGE_PA + 0x1234), 0xabcd);
    ld(LARGE_VA + 0x100000, MO_UB);
    ld(0xa000, MO_UB);
    assert_int_equal(fill_count, 3);
    /* a page of the large mapping that is not in the TLB at all */
    tlb_flush_page(cs, LARGE_VA + 0x1ff000);
    ld(LARGE_VA + 0x1234, MO_UB);
    ld(LARGE_VA + 0x100000, MO_UB);
    assert_int_equal(fill_count, 5);
    /* a flush outside the large mapping keeps it */
    tlb_flush_page(cs, 0xa000);
    ld(LARGE_VA + 0x1234, MO_UB);
    assert_int_equal(fill_count, 5);
    ld(0xa000, MO_UB);
    assert_int_equal(fill_count, 6);
    /* the other mode is not affected */
    helper_ld_mmu(env0(), LARGE_VA, make_memop_idx(MO_UB, 1), 0);
    assert_int_equal(fill_count, 7);
    tlb_flush_page_by_mmuidx(cs, LARGE_VA + 0x20000, 1 << 0);
    helper_ld_mmu(env0(), LARGE_VA, make_memop_idx(MO_UB, 1), 0);
    assert_int_equal(fill_count, 7);
}

static void test_rom(void **state)
{
    uint8_t *rom_host = memory_region_get_ram_ptr(&rom);
    static const uint8_t image[4] = { 0xde, 0xad, 0xbe, 0xef };

    address_space_write_rom(&address_space_memory, ROM_BASE + 16, image, 4);
    assert_int_equal(ld(ROM_BASE + 16, MO_BEUL), 0xdeadbeef);
    /* reads are direct, writes take the slow path and are dropped */
    assert_false(tlb_entry_of(&cpu0, 0, ROM_BASE)->addr_read & TLB_FLAGS_MASK);
    st(ROM_BASE + 16, 0x12345678, MO_LEUL);
    assert_true(tlb_entry_of(&cpu0, 0, ROM_BASE)->addr_write & TLB_MMIO);
    assert_memory_equal(rom_host + 16, image, 4);
    /* crossing from ROM into unassigned space: nothing is written */
    st(ROM_BASE + 2 * PAGE - 2, 0x44332211, MO_LEUL);
    assert_int_equal(rom_host[2 * PAGE - 2], 0);
    /* the code of a ROM page is RAM-backed: it can be cached */
    assert_int_equal(get_page_addr_code(env0(), ROM_BASE + 16),
                     memory_region_get_ram_addr(&rom) + 16);
}

static void test_probe(void **state)
{
    void *host;
    int flags;

    assert_ptr_equal(probe_access(env0(), 0xb010, 4, MMU_DATA_LOAD, 0, 0),
                     ram_host(0xb010));
    assert_ptr_equal(probe_access(env0(), 0xb010, 4, MMU_DATA_STORE, 0, 0),
                     ram_host(0xb010));
    assert_null(probe_access(env0(), DEV_LE, 4, MMU_DATA_LOAD, 0, 0));
    assert_null(probe_access(env0(), ROM_BASE, 4, MMU_DATA_STORE, 0, 0));
    assert_ptr_equal(probe_access(env0(), ROM_BASE, 4, MMU_DATA_LOAD, 0, 0),
                     memory_region_get_ram_ptr(&rom));

    flags = probe_access_flags(env0(), FAULT_PAGE + 8, 1, MMU_DATA_LOAD, 0,
                               true, &host, 0);
    assert_int_equal(flags, TLB_INVALID_MASK);
    assert_null(host);
    assert_int_equal(fault_kind, 0);
    assert_null(tlb_vaddr_to_host(env0(), FAULT_PAGE, MMU_DATA_LOAD, 0));
    assert_null(tlb_vaddr_to_host(env0(), RO_PAGE, MMU_DATA_STORE, 0));
    assert_ptr_equal(tlb_vaddr_to_host(env0(), RO_PAGE, MMU_DATA_LOAD, 0),
                     ram_host(RO_PAGE));
    flags = probe_access_flags(env0(), DEV_BE, 2, MMU_DATA_STORE, 0, true,
                               &host, 0);
    assert_int_equal(flags, TLB_MMIO);

    if (sigsetjmp(fault_jmp, 0) == 0) {
        probe_access(env0(), FAULT_PAGE, 1, MMU_DATA_LOAD, 1, 0);
        fail_msg("probe of an unmapped page did not fault");
    }
    assert_int_equal(fault_kind, 1);
    assert_int_equal(fault_mmu_idx, 1);
}

static void test_code_fetch(void **state)
{
    void *host;

    /* translating from a page write-protects it */
    st(0xc000, 0, MO_UB);
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0xc000)->addr_write, 0xc000);
    assert_int_equal(get_page_addr_code_hostp(env0(), 0xc123, &host),
                     ram_of(0xc123));
    assert_ptr_equal(host, ram_host(0xc123));
    assert_false(ram_dirty_get(ram_of(0xc000), PAGE, DIRTY_MEMORY_CODE));
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0xc000)->addr_write,
                     0xc000 | TLB_NOTDIRTY);
    /* looking up does not */
    assert_int_equal(get_page_addr_code(env0(), 0x13004), ram_of(0x13004));
    assert_true(ram_dirty_get(ram_of(0x13000), PAGE, DIRTY_MEMORY_CODE));
    assert_int_equal(get_page_addr_code_hostp(env0(), DEV_LE + 4, &host),
                     UINT64_MAX);
    assert_null(host);
    /* code read from a device */
    assert_int_equal(cpu_ld_code(env0(), DEV_LE, MO_LEUL), 0x44332211);
    /* a fetch from an unmapped page raises the fault */
    if (sigsetjmp(fault_jmp, 0) == 0) {
        get_page_addr_code(env0(), FAULT_PAGE + 0x10);
        fail_msg("fetch from an unmapped page did not fault");
    }
    assert_int_equal(fault_access, MMU_INST_FETCH);
    assert_int_equal(fault_addr, FAULT_PAGE + 0x10);
}

static TBStatistics tb_stats_now(void)
{
    TBStatistics s;

    tb_get_statistics(&s);
    return s;
}

static void test_notdirty(void **state)
{
    CPUState *cs = &cpu0.parent;
    TranslationBlock *tb;
    uint64_t invalidations;
    static const uint8_t patch[2] = { 0x90, 0x90 };

    /* a data page first: writable directly */
    st(0xd000, 1, MO_LEUL);
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0xd000)->addr_write, 0xd000);

    /* translating code there write-protects it, in every TLB */
    helper_ld_mmu(&cpu1.env, 0xd000, make_memop_idx(MO_UB, 0), 0);
    helper_st_mmu(&cpu1.env, 0xd800, 0, make_memop_idx(MO_UB, 0), 0);
    tb = tb_gen_code(cs, 0xd000, 0, 0, 0);
    assert_non_null(tb);
    assert_true(tb_page_has_code(ram_of(0xd000)));
    assert_false(ram_dirty_get(ram_of(0xd000), PAGE, DIRTY_MEMORY_CODE));
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0xd000)->addr_write,
                     0xd000 | TLB_NOTDIRTY);
    assert_int_equal(tlb_entry_of(&cpu1, 0, 0xd000)->addr_write,
                     0xd000 | TLB_NOTDIRTY);

    /* a store beside the code keeps it and keeps watching the page */
    invalidations = tb_stats_now().invalidations;
    st(0xd100, 0x12345678, MO_LEUL);
    assert_int_equal(*(uint32_t *)ram_host(0xd100), 0x12345678);
    assert_int_equal(tb_stats_now().invalidations, invalidations);
    assert_true(tb_page_has_code(ram_of(0xd000)));
    assert_true(tlb_entry_of(&cpu0, 0, 0xd000)->addr_write & TLB_NOTDIRTY);
    assert_false(ram_dirty_get(ram_of(0xd000), PAGE, DIRTY_MEMORY_CODE));
    assert_true(ram_dirty_get(ram_of(0xd100), 4, DIRTY_MEMORY_VGA));

    /* a store onto the code invalidates it; the page is then plain RAM */
    st(0xd002, 0xcc, MO_UB);
    assert_int_equal(ram_host(0xd002)[0], 0xcc);
    assert_int_equal(tb_stats_now().invalidations, invalidations + 1);
    assert_false(tb_page_has_code(ram_of(0xd000)));
    assert_true(ram_dirty_get(ram_of(0xd000), PAGE, DIRTY_MEMORY_CODE));
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0xd000)->addr_write, 0xd000);
    /* cpu1's entry learns it at its next store */
    assert_true(tlb_entry_of(&cpu1, 0, 0xd000)->addr_write & TLB_NOTDIRTY);
    helper_st_mmu(&cpu1.env, 0xd004, 0, make_memop_idx(MO_UB, 0), 0);
    assert_int_equal(tlb_entry_of(&cpu1, 0, 0xd000)->addr_write, 0xd000);

    /* a page-crossing store onto code on the second page */
    tb = tb_gen_code(cs, 0xe000, 0, 0, 0);
    assert_non_null(tb);
    st(0xdffe, 0xaabbccdd, MO_LEUL);
    assert_int_equal(tb_stats_now().invalidations, invalidations + 2);
    assert_false(tb_page_has_code(ram_of(0xe000)));
    assert_int_equal(ram_host(0xe001)[0], 0xaa);

    /* DMA and loaders: the RAM write hook invalidates */
    tb = tb_gen_code(cs, 0xd000, 0, 0, 0);
    assert_non_null(tb);
    address_space_write(&address_space_memory, 0xd800, patch, 2);
    assert_int_equal(tb_stats_now().invalidations, invalidations + 2);
    assert_true(tb_page_has_code(ram_of(0xd000)));
    assert_false(ram_dirty_get(ram_of(0xd000), PAGE, DIRTY_MEMORY_CODE));
    address_space_write(&address_space_memory, 0xcfff, patch, 2);
    assert_int_equal(tb_stats_now().invalidations, invalidations + 3);
    assert_false(tb_page_has_code(ram_of(0xd000)));
    assert_true(ram_dirty_get(ram_of(0xd000), PAGE, DIRTY_MEMORY_CODE));

    /* probe_access for a store does the same before handing out memory */
    tb = tb_gen_code(cs, 0xd000, 0, 0, 0);
    assert_non_null(tb);
    assert_ptr_equal(probe_access(env0(), 0xd000, 4, MMU_DATA_STORE, 0, 0),
                     ram_host(0xd000));
    assert_int_equal(tb_stats_now().invalidations, invalidations + 4);
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0xd000)->addr_write, 0xd000);
}

static void test_dirty_tracking(void **state)
{
    /* a display clearing its dirty bits re-arms the CPUs' write entries */
    st(0xf000, 1, MO_UB);
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0xf000)->addr_write, 0xf000);
    memory_region_reset_dirty(&ram, 0xf000, PAGE, DIRTY_MEMORY_VGA);
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0xf000)->addr_write,
                     0xf000 | TLB_NOTDIRTY);
    assert_false(memory_region_get_dirty(&ram, 0xf000, PAGE,
                                         DIRTY_MEMORY_VGA));
    st(0xf010, 2, MO_UB);
    assert_true(memory_region_get_dirty(&ram, 0xf000, PAGE, DIRTY_MEMORY_VGA));
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0xf000)->addr_write, 0xf000);
    assert_int_equal(ram_host(0xf010)[0], 2);

    /* a fill of a clean page starts with TLB_NOTDIRTY */
    memory_region_reset_dirty(&ram, 0x11000, PAGE, DIRTY_MEMORY_MIGRATION);
    ld(0x11000, MO_UB);
    assert_true(tlb_entry_of(&cpu0, 0, 0x11000)->addr_write & TLB_NOTDIRTY);
    st(0x11000, 2, MO_UB);
    assert_int_equal(tlb_entry_of(&cpu0, 0, 0x11000)->addr_write, 0x11000);
}

static EmuThread other_thread;
static EmuMutex other_lock;
static EmuCond other_cond;
static bool other_quit;

static void *other_thread_fn(void *arg)
{
    emu_mutex_lock(&other_lock);
    while (!other_quit) {
        emu_cond_wait(&other_cond, &other_lock);
    }
    emu_mutex_unlock(&other_lock);
    return NULL;
}

static void test_cross_cpu(void **state)
{
    CPUState *cs1 = &cpu1.parent;
    void *env1 = &cpu1.env;

    /* pretend cpu1 runs on a thread of its own */
    emu_mutex_init(&other_lock);
    emu_cond_init(&other_cond);
    emu_thread_create(&other_thread, "other-vcpu", other_thread_fn, NULL);
    cs1->thread = other_thread;
    cs1->created = true;
    cs1->exit_request = 0;

    helper_ld_mmu(env1, 0x8000, make_memop_idx(MO_UB, 0), 0);
    helper_ld_mmu(env1, 0x9000, make_memop_idx(MO_UB, 0), 0);
    assert_int_equal(fill_count, 2);
    tlb_flush_page(cs1, 0x8000);
    tlb_flush_by_mmuidx(cs1, 1 << 1);
    /* queued: nothing changed yet, but the vCPU was kicked */
    assert_int_equal(tlb_entry_of(&cpu1, 0, 0x8000)->addr_read, 0x8000);
    assert_int_equal(cs1->exit_request, 1);
    /* what cpu1's loop does before its next TB */
    tlb_run_pending_flushes(cs1);
    helper_ld_mmu(env1, 0x9000, make_memop_idx(MO_UB, 0), 0);
    assert_int_equal(fill_count, 2);
    helper_ld_mmu(env1, 0x8000, make_memop_idx(MO_UB, 0), 0);
    assert_int_equal(fill_count, 3);

    tlb_flush(cs1);
    assert_int_equal(tlb_entry_of(&cpu1, 0, 0x9000)->addr_read, 0x9000);
    tlb_run_pending_flushes(cs1);
    helper_ld_mmu(env1, 0x9000, make_memop_idx(MO_UB, 0), 0);
    assert_int_equal(fill_count, 4);

    /* many page flushes overflow into a flush of the modes */
    for (unsigned i = 0; i < 40; i++) {
        tlb_flush_page_by_mmuidx(cs1, 0x100000 + i * PAGE, 1 << 0);
    }
    tlb_run_pending_flushes(cs1);
    helper_ld_mmu(env1, 0x9000, make_memop_idx(MO_UB, 0), 0);
    assert_int_equal(fill_count, 5);

    cs1->created = false;
    emu_mutex_lock(&other_lock);
    other_quit = true;
    emu_cond_signal(&other_cond);
    emu_mutex_unlock(&other_lock);
    emu_thread_join(&other_thread);
    emu_cond_destroy(&other_cond);
    emu_mutex_destroy(&other_lock);
}

static void test_topology_change(void **state)
{
    MemoryRegion extra;

    st(0x12000, 0x77, MO_UB);
    assert_int_equal(fill_count, 1);
    ld(0x12000, MO_UB);
    assert_int_equal(fill_count, 1);
    memory_region_init_io(&extra, NULL, &dev_le_ops, &log_le, "extra", PAGE);
    memory_region_add_subregion(get_system_memory(), 0x600000, &extra);
    ld(0x12000, MO_UB);
    assert_int_equal(fill_count, 2);
    assert_int_equal(ld(0x600010, MO_LEUW), 0x2221);
    /* an I/O region over RAM takes effect at once */
    memory_region_del_subregion(get_system_memory(), &extra);
    memory_region_add_subregion_overlap(get_system_memory(), 0x12000, &extra,
                                        1);
    assert_int_equal(ld(0x12000, MO_UB), 0x11);
    memory_region_del_subregion(get_system_memory(), &extra);
    assert_int_equal(ld(0x12000, MO_UB), 0x77);
    memory_region_finalize(&extra);
}

static void test_resize(void **state)
{
    CPUState *cs = &cpu0.parent;
    CPUTLBDescFast *f = &cpu0.neg.tlb.f[0];
    TLBStats st0, st1;
    unsigned i;

    tlb_get_stats(&st0);
    assert_int_equal(f->mask >> CPU_TLB_ENTRY_BITS, 255);
    /* 230 of 256 slots in use at a flush: the table doubles */
    for (i = 0; i < 230; i++) {
        ld(0x100000 + i * PAGE, MO_UB);
    }
    tlb_flush(cs);
    assert_int_equal(f->mask >> CPU_TLB_ENTRY_BITS, 511);
    /* the bigger table holds 300 pages without conflicts */
    fill_count = 0;
    for (i = 0; i < 300; i++) {
        ld(0x100000 + i * PAGE, MO_UB);
    }
    for (i = 0; i < 300; i++) {
        ld(0x100000 + i * PAGE, MO_UB);
    }
    assert_int_equal(fill_count, 300);
    tlb_flush(cs);
    assert_int_equal(f->mask >> CPU_TLB_ENTRY_BITS, 511);
    /* a long run of flushes with little use shrinks it back */
    for (i = 0; i < 2 * 64; i++) {
        ld(0x100000, MO_UB);
        tlb_flush(cs);
    }
    assert_int_equal(f->mask >> CPU_TLB_ENTRY_BITS, 255);
    tlb_get_stats(&st1);
    assert_int_equal(st1.resizes - st0.resizes, 2);
    /* still working */
    st(0x100000, 0x42, MO_UB);
    assert_int_equal(ld(0x100000, MO_UB), 0x42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ram_load_store, reset),
        cmocka_unit_test_setup(test_mmio, reset),
        cmocka_unit_test_setup(test_unaligned_and_crossing, reset),
        cmocka_unit_test_setup(test_alignment, reset),
        cmocka_unit_test_setup(test_victim_cache, reset),
        cmocka_unit_test_setup(test_flushes, reset),
        cmocka_unit_test_setup(test_large_page, reset),
        cmocka_unit_test_setup(test_rom, reset),
        cmocka_unit_test_setup(test_probe, reset),
        cmocka_unit_test_setup(test_code_fetch, reset),
        cmocka_unit_test_setup(test_notdirty, reset),
        cmocka_unit_test_setup(test_dirty_tracking, reset),
        cmocka_unit_test_setup(test_cross_cpu, reset),
        cmocka_unit_test_setup(test_topology_change, reset),
        cmocka_unit_test_setup(test_resize, reset),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
