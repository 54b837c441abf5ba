/* Tests of the x86-64 native back end and of the register allocator. */
#include "emu/osdep.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "exec/translation-block.h"
#include <setjmp.h>
#include <cmocka.h>

#if defined(__x86_64__)

#include "tcg/x86_64/tcg-target.h"
#include <pthread.h>
#include <time.h>
#ifdef CONFIG_CAPSTONE
#include <capstone/capstone.h>
#endif

/*
 * The tests build IR with the builder, generate code with
 * tcg_backend_native and run it on a test env.  Guest memory accesses go
 * through a hand-filled TLB that sits below env, as in a CPU; they only
 * hit it (a miss would call the real softmmu helpers, which need a real
 * CPU: test-tcg-exec covers misses and faults with the test front end).
 */

#define BUF_SIZE (8 * MiB)
#define PAGE_BITS 12
#define NB_MMU 2
#define TLB_ENTRIES 16
#define NG 16
#define NW 8

typedef struct TestEnv {
    uint64_t g[NG];             /* I64 globals */
    uint32_t w[NW];             /* I32 globals */
    uint64_t in[8];
    uint64_t out[8];
    uint64_t big[1024];
} TestEnv;

typedef struct TestCPU {
    CPUTLBDescFast fast[NB_MMU];
    TestEnv env;
} TestCPU;

static TestCPU cpu;
static TCGContext *ctx;
static TCGv_ptr env_v;
static TCGv_i64 gv[NG];
static TCGv_i32 wv[NW];

#define TB_POOL 64
static TranslationBlock tb_pool[TB_POOL];
static unsigned tb_next;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define ENV_OFS(field) ((intptr_t)offsetof(TestEnv, field))

/* Start a TB, making room in the buffer if needed */
static void start(void)
{
    tcg_ctx = ctx;
    if (ctx->code_ptr + 1 * MiB > ctx->code_gen_highwater) {
        tcg_code_buffer_reset(ctx);
    }
    tcg_func_start(ctx);
}

static int gen_raw(TranslationBlock **ptb)
{
    TranslationBlock *tb = &tb_pool[tb_next++ % TB_POOL];
    int ret;

    memset(tb, 0, sizeof(*tb));
    tb->jmp_reset_offset[0] = tb->jmp_reset_offset[1] = TB_JMP_OFFSET_INVALID;
    tb->jmp_insn_offset[0] = tb->jmp_insn_offset[1] = TB_JMP_OFFSET_INVALID;
    ret = tcg_gen_code(ctx, tb);
    if (ret > 0) {
        ctx->code_ptr = (uint8_t *)ROUND_UP((uintptr_t)ctx->code_ptr + ret,
                                            16);
    }
    *ptb = tb;
    return ret;
}

/* TEST_TCG_X86_DUMP=1: print every TB's ops and host code */
static void dump_tb(const TranslationBlock *tb)
{
    static int enabled = -1;

    if (enabled < 0) {
        enabled = getenv("TEST_TCG_X86_DUMP") != NULL;
    }
    if (!enabled) {
        return;
    }
    tcg_dump_ops(ctx, stderr, false);
#ifdef CONFIG_CAPSTONE
    {
        csh h;
        cs_insn *insn;
        size_t n;

        if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
            return;
        }
        n = cs_disasm(h, tb->tc.ptr, tb->tc.size,
                      (uint64_t)(uintptr_t)tb->tc.ptr, 0, &insn);
        for (size_t i = 0; i < n; i++) {
            fprintf(stderr, "  %4" PRIx64 ": %s %s\n",
                    insn[i].address - (uintptr_t)tb->tc.ptr,
                    insn[i].mnemonic, insn[i].op_str);
        }
        cs_free(insn, n);
        cs_close(&h);
    }
#endif
}

static TranslationBlock *gen(void)
{
    TranslationBlock *tb;
    int ret = gen_raw(&tb);

    assert_true(ret > 0);
    assert_int_equal(tb->tc.size, ret);
    dump_tb(tb);
    return tb;
}

static uintptr_t run(TranslationBlock *tb)
{
    return tcg_backend_native.exec(&cpu.env, tb->tc.ptr);
}

static TCGv_i64 ld64(intptr_t ofs)
{
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_ld_i64(t, env_v, ofs);
    return t;
}

static int group_setup(void **state)
{
    Error *err = NULL;
    char name[16];

    ctx = tcg_context_new(&tcg_backend_native, BUF_SIZE, &err);
    assert_non_null(ctx);
    tcg_ctx = ctx;
    env_v = tcg_global_env(ctx, "env");
    for (int i = 0; i < NG; i++) {
        snprintf(name, sizeof(name), "g%d", i);
        gv[i] = tcg_global_mem_new_i64(env_v, ENV_OFS(g[i]), name);
    }
    for (int i = 0; i < NW; i++) {
        snprintf(name, sizeof(name), "w%d", i);
        wv[i] = tcg_global_mem_new_i32(env_v, ENV_OFS(w[i]), name);
    }
    ctx->guest_page_bits = PAGE_BITS;
    ctx->tlb_fast_offset = (intptr_t)offsetof(TestCPU, fast) -
                           (intptr_t)offsetof(TestCPU, env);
    ctx->nb_mmu_modes = NB_MMU;
    return 0;
}

static int group_teardown(void **state)
{
    tcg_context_free(ctx);
    ctx = NULL;
    return 0;
}

static int test_setup(void **state)
{
    memset(&cpu.env, 0, sizeof(cpu.env));
    tcg_x86_set_features(X86_FEAT_ALL);
    tcg_optimize_enabled = true;
    return 0;
}

/* ---- Straight-line code ---- */

static void test_arith(void **state)
{
    uint64_t a = 0x123456789abcdef0ull, b = 0xfedcba9876543210ull;
    TCGv_i64 t;
    TCGv_i32 u;

    start();
    t = tcg_temp_new_i64();
    u = tcg_temp_new_i32();
    tcg_gen_add_i64(gv[2], gv[0], gv[1]);
    tcg_gen_subi_i64(gv[3], gv[0], 5);
    tcg_gen_mul_i64(gv[4], gv[0], gv[1]);
    tcg_gen_xor_i64(t, gv[0], gv[1]);
    tcg_gen_shli_i64(gv[5], t, 7);
    tcg_gen_shr_i64(gv[6], gv[1], gv[7]);
    tcg_gen_andi_i64(gv[8], gv[1], 0xffffffffu);
    tcg_gen_rotri_i64(gv[9], gv[0], 13);
    tcg_gen_sari_i64(gv[10], gv[1], 60);
    tcg_gen_extrl_i64_i32(u, gv[0]);
    tcg_gen_add_i32(wv[0], u, wv[1]);
    tcg_gen_muli_i32(wv[2], wv[1], 9);
    tcg_gen_exit_tb(NULL, 0);
    TranslationBlock *tb = gen();

    cpu.env.g[0] = a;
    cpu.env.g[1] = b;
    cpu.env.g[7] = 67;
    cpu.env.w[1] = 0x80000001u;
    assert_int_equal(run(tb), 0);
    assert_int_equal(cpu.env.g[2], a + b);
    assert_int_equal(cpu.env.g[3], a - 5);
    assert_int_equal(cpu.env.g[4], a * b);
    assert_int_equal(cpu.env.g[5], (a ^ b) << 7);
    assert_int_equal(cpu.env.g[6], b >> 3);
    assert_int_equal(cpu.env.g[8], b & 0xffffffffu);
    assert_int_equal(cpu.env.g[9], (a >> 13) | (a << 51));
    assert_int_equal(cpu.env.g[10], (uint64_t)((int64_t)b >> 60));
    assert_int_equal(cpu.env.w[0], (uint32_t)a + 0x80000001u);
    assert_int_equal(cpu.env.w[2], 0x80000001u * 9);
}

/* ---- Register pressure ---- */

#define NLIVE 28

static uint64_t helper_mix(uint64_t a, uint64_t b)
{
    return a * 31 + (b ^ (b >> 7));
}

static const TCGHelperInfo info_mix = {
    .func = (void *)helper_mix, .name = "mix", .flags = TCG_CALL_CONST,
    .ret = TCG_CALL_I64, .nargs = 2, .args = { TCG_CALL_I64, TCG_CALL_I64 },
};

/*
 * More live values than registers, across fixed-register ops (division,
 * shifts by a variable count without BMI2), a helper call and a branch:
 * temps spill and come back.
 */
static void pressure_case(unsigned features)
{
    TCGv_i64 t[NLIVE], acc, q, x;
    TCGv_i32 n32;
    TCGLabel *skip;
    uint64_t ref[NLIVE], racc, rq;

    tcg_x86_set_features(features);
    /* temps and labels belong to the TB: after tcg_func_start() */
    start();
    acc = tcg_temp_new_i64();
    q = tcg_temp_new_i64();
    x = tcg_temp_ebb_new_i64();
    n32 = tcg_temp_ebb_new_i32();
    skip = gen_new_label();
    for (int i = 0; i < NLIVE; i++) {
        t[i] = i & 1 ? tcg_temp_new_i64() : tcg_temp_ebb_new_i64();
        tcg_gen_muli_i64(t[i], gv[i % NG], i + 3);
        tcg_gen_addi_i64(t[i], t[i], i);
    }
    /* fixed-register ops with every register holding something */
    tcg_gen_divu_i64(q, t[0], gv[15]);
    tcg_gen_shl_i64(acc, t[1], gv[14]);
    tcg_gen_rotl_i64(acc, acc, gv[13]);
    tcg_gen_extrl_i64_i32(n32, t[2]);
    tcg_gen_shr_i32(n32, n32, wv[0]);
    tcg_gen_extu_i32_i64(x, n32);
    tcg_gen_add_i64(acc, acc, x);
    tcg_gen_add_i64(acc, acc, q);
    tcg_gen_call2(&info_mix, tcgv_i64_temp(q), tcgv_i64_temp(acc),
                  tcgv_i64_temp(t[3]));
    tcg_gen_brcondi_i64(TCG_COND_EQ, gv[12], 12345, skip);
    for (int i = 0; i < NLIVE; i++) {
        tcg_gen_xor_i64(t[i], t[i], q);
    }
    gen_set_label(skip);
    /* EBB temps do not live past the label: only the TB ones */
    tcg_gen_movi_i64(acc, 0);
    for (int i = 1; i < NLIVE; i += 2) {
        tcg_gen_rotli_i64(acc, acc, 5);
        tcg_gen_add_i64(acc, acc, t[i]);
    }
    tcg_gen_mov_i64(gv[0], acc);
    tcg_gen_mov_i64(gv[1], q);
    tcg_gen_exit_tb(NULL, 0);
    TranslationBlock *tb = gen();

    for (int i = 0; i < NG; i++) {
        cpu.env.g[i] = rnd();
    }
    cpu.env.g[15] = rnd() | 1;
    cpu.env.g[14] = 67;
    cpu.env.g[13] = 13;
    cpu.env.w[0] = 35;

    for (int i = 0; i < NLIVE; i++) {
        ref[i] = cpu.env.g[i % NG] * (i + 3) + i;
    }
    rq = ref[0] / cpu.env.g[15];
    racc = ref[1] << 3;
    racc = (racc << 13) | (racc >> 51);
    racc += (uint64_t)((uint32_t)ref[2] >> 3) + rq;
    rq = helper_mix(racc, ref[3]);
    for (int i = 0; i < NLIVE; i++) {
        ref[i] ^= rq;
    }
    racc = 0;
    for (int i = 1; i < NLIVE; i += 2) {
        racc = (racc << 5) | (racc >> 59);
        racc += ref[i];
    }
    assert_int_equal(run(tb), 0);
    assert_int_equal(cpu.env.g[1], rq);
    assert_int_equal(cpu.env.g[0], racc);
}

static void test_pressure(void **state)
{
    pressure_case(X86_FEAT_ALL);
    pressure_case(0);
}

/* ---- Helper calls ---- */

static uint64_t seen[8];

static uint64_t helper_seven(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                             uint64_t e, uint64_t f, uint64_t g)
{
    seen[0] = a;
    seen[1] = b;
    seen[2] = c;
    seen[3] = d;
    seen[4] = e;
    seen[5] = f;
    seen[6] = g;
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g;
}

/* the 7th argument (on the stack) narrow and sign-extended */
static const TCGHelperInfo info_seven = {
    .func = (void *)helper_seven, .name = "seven", .flags = 0,
    .ret = TCG_CALL_I64, .nargs = 7,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_S32, TCG_CALL_I64,
              TCG_CALL_I32, TCG_CALL_S32, TCG_CALL_S32 },
};

static uint32_t helper_ret32(uint64_t x)
{
    return (uint32_t)(x >> 16) | 0x80000000u;
}

static const TCGHelperInfo info_ret32 = {
    .func = (void *)helper_ret32, .name = "ret32", .flags = TCG_CALL_CONST,
    .ret = TCG_CALL_I32, .nargs = 1, .args = { TCG_CALL_I64 },
};

static void test_call_args(void **state)
{
    for (int opt = 0; opt < 2; opt++) {
        TCGv_i32 neg, big, r32;
        TCGv_i64 r;

        tcg_optimize_enabled = opt;
        start();
        neg = tcg_temp_new_i32();
        big = tcg_temp_new_i32();
        r32 = tcg_temp_new_i32();
        r = tcg_temp_new_i64();
        tcg_gen_ld_i32(neg, env_v, ENV_OFS(in[0]));
        tcg_gen_ld_i32(big, env_v, ENV_OFS(in[1]));
        tcg_gen_call7(&info_seven, tcgv_i64_temp(r), tcgv_ptr_temp(env_v),
                      tcgv_i32_temp(neg), tcgv_i32_temp(neg),
                      tcgv_i64_temp(gv[0]),
                      tcgv_i32_temp(tcg_constant_i32(-2)),
                      tcgv_i32_temp(tcg_constant_i32(-3)),
                      tcgv_i32_temp(big));
        tcg_gen_st_i64(r, env_v, ENV_OFS(out[0]));
        tcg_gen_call1(&info_ret32, tcgv_i32_temp(r32), tcgv_i64_temp(r));
        tcg_gen_st_i32(r32, env_v, ENV_OFS(out[1]));
        tcg_gen_exit_tb(NULL, 0);
        TranslationBlock *tb = gen();

        memset(seen, 0, sizeof(seen));
        cpu.env.in[0] = 0xfffffff0u;
        cpu.env.in[1] = 0x87654321u;
        cpu.env.g[0] = 0x1122334455667788ull;
        cpu.env.out[1] = ~0ull;
        assert_int_equal(run(tb), 0);
        assert_int_equal(seen[0], (uintptr_t)&cpu.env);
        assert_int_equal(seen[1], 0xfffffff0ull);                 /* I32 */
        assert_int_equal(seen[2], 0xfffffffffffffff0ull);         /* S32 */
        assert_int_equal(seen[3], 0x1122334455667788ull);
        assert_int_equal(seen[4], 0xfffffffeull);
        assert_int_equal(seen[5], (uint64_t)-3);
        assert_int_equal(seen[6], 0xffffffff87654321ull);         /* stack */
        uint64_t want = helper_seven(seen[0], seen[1], seen[2], seen[3],
                                     seen[4], seen[5], seen[6]);
        assert_int_equal(cpu.env.out[0], want);
        assert_int_equal((uint32_t)cpu.env.out[1], helper_ret32(want));
        assert_int_equal(cpu.env.out[1] >> 32, 0xffffffffu);
    }
}

static uint64_t helper_read_g0(void *env)
{
    return ((TestEnv *)env)->g[0];
}

static void helper_write_g2(void *env)
{
    ((TestEnv *)env)->g[2] = 777;
}

static const TCGHelperInfo info_read_g0 = {
    .func = (void *)helper_read_g0, .name = "read_g0",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_I64, .nargs = 1,
    .args = { TCG_CALL_PTR },
};

static const TCGHelperInfo info_write_g2 = {
    .func = (void *)helper_write_g2, .name = "write_g2", .flags = 0,
    .ret = TCG_CALL_VOID, .nargs = 1, .args = { TCG_CALL_PTR },
};

/* Globals are written back before helpers read them, reloaded after */
static void test_call_globals(void **state)
{
    TCGv_i64 r, keep[10];

    start();
    r = tcg_temp_new_i64();
    for (int i = 0; i < 10; i++) {
        keep[i] = tcg_temp_new_i64();
        tcg_gen_addi_i64(keep[i], gv[3 + i], i * 1000);
    }
    tcg_gen_addi_i64(gv[0], gv[1], 1);
    tcg_gen_call1(&info_read_g0, tcgv_i64_temp(r), tcgv_ptr_temp(env_v));
    tcg_gen_st_i64(r, env_v, ENV_OFS(out[0]));
    tcg_gen_movi_i64(gv[2], 5);
    tcg_gen_call1(&info_write_g2, NULL, tcgv_ptr_temp(env_v));
    tcg_gen_addi_i64(gv[15], gv[2], 1);
    /* g0 stayed valid in a register across the NO_WG helper */
    tcg_gen_add_i64(gv[14], gv[0], r);
    for (int i = 0; i < 10; i++) {
        tcg_gen_st_i64(keep[i], env_v, ENV_OFS(big[i]));
    }
    tcg_gen_exit_tb(NULL, 0);
    TranslationBlock *tb = gen();

    for (int i = 0; i < NG; i++) {
        cpu.env.g[i] = 100 + i;
    }
    assert_int_equal(run(tb), 0);
    assert_int_equal(cpu.env.out[0], 102);
    assert_int_equal(cpu.env.g[0], 102);
    assert_int_equal(cpu.env.g[2], 777);
    assert_int_equal(cpu.env.g[15], 778);
    assert_int_equal(cpu.env.g[14], 204);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(cpu.env.big[i], 103 + i + i * 1000);
    }
}

/* ---- Branches ---- */

static void test_loop(void **state)
{
    TCGv_i64 i, sum, n;
    TCGLabel *top, *odd, *next;

    start();
    i = tcg_temp_new_i64();
    sum = tcg_temp_new_i64();
    n = tcg_temp_new_i64();
    top = gen_new_label();
    odd = gen_new_label();
    next = gen_new_label();
    tcg_gen_ld_i64(n, env_v, ENV_OFS(in[0]));
    tcg_gen_movi_i64(i, 0);
    tcg_gen_movi_i64(sum, 0);
    gen_set_label(top);
    {
        TCGv_i64 bit = tcg_temp_ebb_new_i64();
        tcg_gen_andi_i64(bit, i, 1);
        tcg_gen_brcondi_i64(TCG_COND_NE, bit, 0, odd);
    }
    tcg_gen_add_i64(sum, sum, i);
    tcg_gen_br(next);
    gen_set_label(odd);
    tcg_gen_sub_i64(sum, sum, i);
    tcg_gen_addi_i64(gv[0], gv[0], 1);
    gen_set_label(next);
    tcg_gen_addi_i64(i, i, 1);
    tcg_gen_brcond_i64(TCG_COND_LTU, i, n, top);
    tcg_gen_mov_i64(gv[1], sum);
    tcg_gen_exit_tb(NULL, 0);
    TranslationBlock *tb = gen();

    cpu.env.in[0] = 1001;
    assert_int_equal(run(tb), 0);
    /* evens 0..1000 minus odds 1..999 */
    assert_int_equal(cpu.env.g[1], 500);
    assert_int_equal(cpu.env.g[0], 500);
}

/* ---- Chaining ---- */

static TranslationBlock *chain_tb(int add, bool exits)
{
    /* gen() takes the next pool slot: the exits name that TB */
    TranslationBlock *self = &tb_pool[tb_next % TB_POOL];

    start();
    tcg_gen_insn_start(0x1000, 0, 0);
    tcg_gen_addi_i64(gv[0], gv[0], add);
    if (exits) {
        TCGLabel *l = gen_new_label();
        tcg_gen_brcondi_i64(TCG_COND_EQ, gv[1], 0, l);
        tcg_gen_goto_tb(1);
        tcg_gen_exit_tb(self, 1);
        gen_set_label(l);
        tcg_gen_goto_tb(0);
        tcg_gen_exit_tb(self, 0);
    } else {
        tcg_gen_exit_tb(NULL, 0);
    }
    return gen();
}

static void check_slot(TranslationBlock *tb, int n)
{
    uintptr_t jmp = (uintptr_t)tb->tc.ptr + tb->jmp_insn_offset[n];

    assert_int_not_equal(tb->jmp_insn_offset[n], TB_JMP_OFFSET_INVALID);
    assert_int_equal(*(const uint8_t *)jmp, 0xe9);
    /* the patched field is aligned: one atomic store */
    assert_int_equal((jmp + 1) & 3, 0);
    assert_int_equal(tb->jmp_reset_offset[n], tb->jmp_insn_offset[n] + 5);
}

static void test_goto_tb(void **state)
{
    TranslationBlock *a = chain_tb(1, true);
    TranslationBlock *b = chain_tb(100, false);
    TranslationBlock *c = chain_tb(10000, false);

    check_slot(a, 0);
    check_slot(a, 1);
    assert_int_equal(run(a), (uintptr_t)a);
    assert_int_equal(cpu.env.g[0], 1);

    tcg_backend_native.set_jmp_target(a, 0, (uintptr_t)b->tc.ptr);
    assert_int_equal(run(a), 0);
    assert_int_equal(cpu.env.g[0], 102);

    cpu.env.g[1] = 1;
    assert_int_equal(run(a), (uintptr_t)a | 1);
    assert_int_equal(cpu.env.g[0], 103);
    tcg_backend_native.set_jmp_target(a, 1, (uintptr_t)c->tc.ptr);
    assert_int_equal(run(a), 0);
    assert_int_equal(cpu.env.g[0], 10104);

    /* unchain: back to the exit after the jump */
    tcg_backend_native.set_jmp_target(a, 0, (uintptr_t)a->tc.ptr +
                                      a->jmp_reset_offset[0]);
    cpu.env.g[1] = 0;
    assert_int_equal(run(a), (uintptr_t)a);
    assert_int_equal(cpu.env.g[0], 10105);
}

typedef struct ChainRace {
    TranslationBlock *a;
    TestEnv env;
    volatile bool stop;
    uint64_t runs, chained, bad;
} ChainRace;

static void *chain_runner(void *opaque)
{
    ChainRace *r = opaque;

    tcg_ctx = ctx;
    while (!r->stop) {
        uintptr_t ret = tcg_backend_native.exec(&r->env, r->a->tc.ptr);
        __atomic_store_n(&r->runs, r->runs + 1, __ATOMIC_RELAXED);
        if (ret == 0) {
            r->chained++;
        } else if (ret != (uintptr_t)r->a) {
            r->bad++;
        }
    }
    return NULL;
}

/* Another thread runs the TB while its jump is patched back and forth */
static void test_goto_tb_race(void **state)
{
    ChainRace r = { 0 };
    TranslationBlock *b;
    pthread_t th;

    r.a = chain_tb(1, true);
    b = chain_tb(100, false);
    assert_int_equal(pthread_create(&th, NULL, chain_runner, &r), 0);
    /* patch while the other thread makes progress */
    for (unsigned i = 0; i < 20000 || (__atomic_load_n(&r.runs,
         __ATOMIC_RELAXED) < 2000 && i < 50000000); i++) {
        tcg_backend_native.set_jmp_target(r.a, 0, i & 1
            ? (uintptr_t)r.a->tc.ptr + r.a->jmp_reset_offset[0]
            : (uintptr_t)b->tc.ptr);
        if ((i & 255) == 0) {
            sched_yield();
        }
    }
    r.stop = true;
    pthread_join(th, NULL);
    tcg_ctx = ctx;
    assert_int_equal(r.bad, 0);
    assert_true(r.runs > 0);
    assert_int_equal(r.env.g[0], r.runs + 100 * r.chained);
}

/* ---- Instruction boundaries ---- */

static uintptr_t getpc_seen;

static void helper_getpc(void *env)
{
    getpc_seen = (uintptr_t)__builtin_return_address(0);
}

static const TCGHelperInfo info_getpc = {
    .func = (void *)helper_getpc, .name = "getpc", .flags = 0,
    .ret = TCG_CALL_VOID, .nargs = 1, .args = { TCG_CALL_PTR },
};

static void test_insn_start(void **state)
{
    TranslationBlock *tb;
    uintptr_t off;

    start();
    for (int i = 0; i < 5; i++) {
        tcg_gen_insn_start(0x400000 + 4 * i, i, 0xabc0 + i);
        tcg_gen_addi_i64(gv[i], gv[i + 1], i + 1);
        if (i == 3) {
            tcg_gen_call1(&info_getpc, NULL, tcgv_ptr_temp(env_v));
        }
        tcg_gen_muli_i64(gv[i + 6], gv[i], 3);
    }
    tcg_gen_exit_tb(NULL, 0);
    tb = gen();

    assert_int_equal(ctx->nb_insns, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ctx->gen_insn_data[i][0], 0x400000 + 4 * i);
        assert_int_equal(ctx->gen_insn_data[i][1], i);
        assert_int_equal(ctx->gen_insn_data[i][2], 0xabc0 + i);
        if (i > 0) {
            assert_true(ctx->gen_insn_end_off[i] >
                        ctx->gen_insn_end_off[i - 1]);
        }
    }
    assert_true(ctx->gen_insn_end_off[4] <= tb->tc.size);

    assert_int_equal(run(tb), 0);
    /* the helper's return address lies in insn 3's code */
    off = getpc_seen - (uintptr_t)tb->tc.ptr;
    assert_true(off > ctx->gen_insn_end_off[2]);
    assert_true(off <= ctx->gen_insn_end_off[3]);
}

/* ---- W^X ---- */

static bool mapping_perms(uintptr_t addr, char perms[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    bool found = false;

    if (!f) {
        return false;
    }
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
            addr >= lo && addr < hi) {
            found = true;
            break;
        }
    }
    fclose(f);
    return found;
}

static void test_wx(void **state)
{
    TranslationBlock *tb = chain_tb(1, true);
    const uint8_t *rx = tb->tc.ptr;
    const uint8_t *rw = tcg_splitwx_to_rw(ctx, rx);
    char perms[5];

    if (ctx->code_gen_rx_offset == 0) {
        skip();     /* no memfd: one mapping, the builder's fallback */
    }
    assert_true(mapping_perms((uintptr_t)rx, perms));
    assert_int_equal(perms[1], '-');        /* never written through rx */
    assert_int_equal(perms[2], 'x');
    assert_true(mapping_perms((uintptr_t)rw, perms));
    assert_int_equal(perms[1], 'w');
    assert_int_equal(perms[2], '-');
    assert_memory_equal(rx, rw, tb->tc.size);
    /* patching goes through rw as well (a write to rx would fault) */
    tcg_backend_native.set_jmp_target(tb, 0, (uintptr_t)rx);
    tcg_backend_native.set_jmp_target(tb, 0, (uintptr_t)rx +
                                      tb->jmp_reset_offset[0]);
    assert_true(mapping_perms((uintptr_t)ctx->code_gen_prologue, perms));
    assert_int_equal(perms[1], '-');
}

/* ---- Guest memory: TLB hits ---- */

#define GPAGE 0x12345000ull
#define GPAGE2 0x7654321000ull

static CPUTLBEntry tlb[NB_MMU][TLB_ENTRIES];
static uint8_t hpage[2][4096] __attribute__((aligned(4096)));

static void tlb_setup(void)
{
    memset(tlb, 0xff, sizeof(tlb));     /* every other entry invalid */
    for (int m = 0; m < NB_MMU; m++) {
        uint64_t page = m ? GPAGE2 : GPAGE;
        CPUTLBEntry *e = &tlb[m][(page >> PAGE_BITS) & (TLB_ENTRIES - 1)];
        cpu.fast[m].mask = (TLB_ENTRIES - 1) << CPU_TLB_ENTRY_BITS;
        cpu.fast[m].table = tlb[m];
        e->addr_read = page;
        e->addr_write = page;
        e->addr_code = page;
        e->addend = (uintptr_t)hpage[m] - page;
    }
}

static uint64_t ref_load(const uint8_t *p, MemOp mop, TCGType type)
{
    unsigned size = memop_size(mop);
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        unsigned k = (mop & MO_BSWAP) == MO_BE ? i : size - 1 - i;
        v = (v << 8) | p[k];
    }
    if ((mop & MO_SIGN) && size < 8) {
        v = (uint64_t)((int64_t)(v << (64 - 8 * size)) >> (64 - 8 * size));
    }
    return type == TCG_TYPE_I32 ? (uint32_t)v : v;
}

static const MemOp ldst_ops[] = {
    MO_UB, MO_SB, MO_LEUW, MO_LESW, MO_LEUL, MO_LESL, MO_LEUQ,
    MO_BEUW, MO_BESW, MO_BEUL, MO_BESL, MO_BEUQ,
};

static void ldst_case(MemOp mop, TCGType type, unsigned mmu, unsigned ofs,
                      bool addr_dies, bool const_val)
{
    uint64_t gpage = mmu ? GPAGE2 : GPAGE;
    uint8_t *h = hpage[mmu];
    unsigned size = memop_size(mop);
    uint64_t val = rnd(), want;
    TCGv_i64 addr;
    TranslationBlock *tb;

    /* out[0] = [addr]; [addr + 16] = val */
    start();
    addr = tcg_temp_new_i64();
    tcg_gen_ld_i64(addr, env_v, ENV_OFS(in[0]));
    if (type == TCG_TYPE_I32) {
        TCGv_i32 v = tcg_temp_new_i32(), sv;
        tcg_gen_qemu_ld_i32(v, addr, mmu, mop);
        tcg_gen_st_i32(v, env_v, ENV_OFS(out[0]));
        tcg_gen_addi_i64(addr, addr, 16);
        if (const_val) {
            sv = tcg_constant_i32(val);
        } else {
            sv = tcg_temp_new_i32();
            tcg_gen_ld_i32(sv, env_v, ENV_OFS(in[1]));
        }
        tcg_gen_qemu_st_i32(sv, addr, mmu, mop);
    } else {
        TCGv_i64 v = tcg_temp_new_i64(), sv;
        tcg_gen_qemu_ld_i64(v, addr, mmu, mop);
        tcg_gen_st_i64(v, env_v, ENV_OFS(out[0]));
        tcg_gen_addi_i64(addr, addr, 16);
        if (const_val) {
            sv = tcg_constant_i64(val);
        } else {
            sv = tcg_temp_new_i64();
            tcg_gen_ld_i64(sv, env_v, ENV_OFS(in[1]));
        }
        tcg_gen_qemu_st_i64(sv, addr, mmu, mop);
    }
    if (!addr_dies) {
        tcg_gen_st_i64(addr, env_v, ENV_OFS(out[1]));
    }
    tcg_gen_exit_tb(NULL, 0);
    tb = gen();

    for (int i = 0; i < 4096; i++) {
        h[i] = rnd();
    }
    cpu.env.in[0] = gpage + ofs;
    cpu.env.in[1] = val;
    cpu.env.out[0] = 0x5555555555555555ull;
    want = ref_load(h + ofs, mop, type);
    assert_int_equal(run(tb), 0);
    if (type == TCG_TYPE_I32) {
        assert_int_equal((uint32_t)cpu.env.out[0], want);
    } else {
        assert_int_equal(cpu.env.out[0], want);
    }
    assert_int_equal(ref_load(h + ofs + 16, mop & ~MO_SIGN, TCG_TYPE_I64),
                     val & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1));
    if (!addr_dies) {
        assert_int_equal(cpu.env.out[1], gpage + ofs + 16);
    }
}

static void test_qemu_ldst(void **state)
{
    static const unsigned feats[] = { X86_FEAT_ALL, 0 };

    tlb_setup();
    for (size_t f = 0; f < ARRAY_SIZE(feats); f++) {
        tcg_x86_set_features(feats[f]);
        for (size_t i = 0; i < ARRAY_SIZE(ldst_ops); i++) {
            MemOp mop = ldst_ops[i];
            unsigned size = memop_size(mop);
            for (int t = 0; t < 2; t++) {
                TCGType type = t ? TCG_TYPE_I64 : TCG_TYPE_I32;
                if (type == TCG_TYPE_I32 && size == 8) {
                    continue;
                }
                for (unsigned mmu = 0; mmu < NB_MMU; mmu++) {
                    /* aligned and not; the last bytes of the page */
                    ldst_case(mop, type, mmu, 8 * size, t, false);
                    ldst_case(mop | MO_ALIGN, type, mmu, 64, !t, f);
                    ldst_case(mop, type, mmu, 4096 - 16 - size, t, true);
                    ldst_case(mop, type, mmu, 1 + 2 * size, !t, false);
                }
            }
        }
    }
}

/*
 * Values in call-clobbered registers survive memory accesses: the fast
 * path does not touch them (the slow path saves them).
 */
static void test_qemu_ld_pressure(void **state)
{
    TCGv_i64 t[20], addr, v;
    uint64_t want = 0;

    tlb_setup();
    start();
    addr = tcg_temp_new_i64();
    v = tcg_temp_new_i64();
    for (int i = 0; i < 20; i++) {
        t[i] = tcg_temp_new_i64();
        tcg_gen_addi_i64(t[i], gv[i % NG], i);
    }
    tcg_gen_movi_i64(addr, GPAGE + 8);
    for (int i = 0; i < 20; i++) {
        tcg_gen_qemu_ld_i64(v, addr, 0, MO_LEUQ);
        tcg_gen_add_i64(t[i], t[i], v);
        tcg_gen_addi_i64(addr, addr, 8);
    }
    tcg_gen_movi_i64(v, 0);
    for (int i = 0; i < 20; i++) {
        tcg_gen_xor_i64(v, v, t[i]);
        tcg_gen_rotli_i64(v, v, 3);
    }
    tcg_gen_mov_i64(gv[0], v);
    tcg_gen_exit_tb(NULL, 0);
    TranslationBlock *tb = gen();

    for (int i = 0; i < NG; i++) {
        cpu.env.g[i] = rnd();
    }
    for (int i = 0; i < 4096; i++) {
        hpage[0][i] = rnd();
    }
    for (int i = 0; i < 20; i++) {
        uint64_t m;
        memcpy(&m, hpage[0] + 8 + 8 * i, 8);
        want ^= cpu.env.g[i % NG] + i + m;
        want = (want << 3) | (want >> 61);
    }
    assert_int_equal(run(tb), 0);
    assert_int_equal(cpu.env.g[0], want);
}

/* ---- Every op against a C reference, host features on and off ---- */

typedef struct OpCase {
    TCGOpcode opc;
    TCGType type;           /* the op's */
    uint8_t nb_o, nb_i, nb_c;
    TCGType otype[2], itype[4];
    TCGArg carg[2];
    uint8_t const_mask;     /* inputs given as constants */
    uint64_t cval[4];
} OpCase;

static inline uint64_t wmask(TCGType t)
{
    return t == TCG_TYPE_I32 ? 0xffffffffull : ~0ull;
}

static inline uint64_t sext(TCGType t, uint64_t v)
{
    return t == TCG_TYPE_I32 ? (uint64_t)(int64_t)(int32_t)v : v;
}

static bool ref_cond(TCGCond c, TCGType t, uint64_t a, uint64_t b)
{
    int64_t sa = sext(t, a), sb = sext(t, b);
    uint64_t ua = a & wmask(t), ub = b & wmask(t);

    switch (c) {
    case TCG_COND_NEVER: return false;
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_EQ: return ua == ub;
    case TCG_COND_NE: return ua != ub;
    case TCG_COND_LT: return sa < sb;
    case TCG_COND_GE: return sa >= sb;
    case TCG_COND_LE: return sa <= sb;
    case TCG_COND_GT: return sa > sb;
    case TCG_COND_LTU: return ua < ub;
    case TCG_COND_GEU: return ua >= ub;
    case TCG_COND_LEU: return ua <= ub;
    case TCG_COND_GTU: return ua > ub;
    }
    abort();
}

static uint64_t lowbits(unsigned len)
{
    return len >= 64 ? ~0ull : (1ull << len) - 1;
}

/* The semantics of include/tcg/tcg-opc.h, results not yet masked */
static void ref_op(const OpCase *c, const uint64_t *inr, uint64_t *out)
{
    TCGType t = c->type;
    unsigned w = t == TCG_TYPE_I32 ? 32 : 64;
    uint64_t in[4], a, b, m = wmask(t);
    unsigned n;

    for (int i = 0; i < 4; i++) {
        in[i] = inr[i] & wmask(c->itype[i]);
    }
    a = in[0];
    b = in[1];
    switch (c->opc) {
    case INDEX_op_add: out[0] = a + b; break;
    case INDEX_op_sub: out[0] = a - b; break;
    case INDEX_op_mul: out[0] = a * b; break;
    case INDEX_op_neg: out[0] = -a; break;
    case INDEX_op_not: out[0] = ~a; break;
    case INDEX_op_and: out[0] = a & b; break;
    case INDEX_op_or: out[0] = a | b; break;
    case INDEX_op_xor: out[0] = a ^ b; break;
    case INDEX_op_andc: out[0] = a & ~b; break;
    case INDEX_op_orc: out[0] = a | ~b; break;
    case INDEX_op_eqv: out[0] = ~(a ^ b); break;
    case INDEX_op_nand: out[0] = ~(a & b); break;
    case INDEX_op_nor: out[0] = ~(a | b); break;
    case INDEX_op_shl: out[0] = a << (b & (w - 1)); break;
    case INDEX_op_shr: out[0] = a >> (b & (w - 1)); break;
    case INDEX_op_sar:
        out[0] = (uint64_t)((int64_t)sext(t, a) >> (b & (w - 1)));
        break;
    case INDEX_op_rotl:
    case INDEX_op_rotr:
        n = b & (w - 1);
        if (c->opc == INDEX_op_rotr) {
            n = (w - n) & (w - 1);
        }
        out[0] = n ? (a << n) | (a >> (w - n)) : a;
        break;
    case INDEX_op_div:
        if (b == 0) {
            out[0] = 0;
        } else if ((b & m) == m) {
            out[0] = -a;
        } else {
            out[0] = (uint64_t)((int64_t)sext(t, a) / (int64_t)sext(t, b));
        }
        break;
    case INDEX_op_rem:
        if (b == 0 || (b & m) == m) {
            out[0] = 0;
        } else {
            out[0] = (uint64_t)((int64_t)sext(t, a) % (int64_t)sext(t, b));
        }
        break;
    case INDEX_op_divu: out[0] = b ? a / b : 0; break;
    case INDEX_op_remu: out[0] = b ? a % b : 0; break;
    case INDEX_op_mulu2:
    case INDEX_op_muluh:
    case INDEX_op_muls2:
    case INDEX_op_mulsh: {
        bool s = c->opc == INDEX_op_muls2 || c->opc == INDEX_op_mulsh;
        unsigned __int128 p;
        if (s) {
            p = (unsigned __int128)((__int128)(int64_t)sext(t, a) *
                                    (int64_t)sext(t, b));
        } else {
            p = (unsigned __int128)a * b;
        }
        if (c->opc == INDEX_op_muluh || c->opc == INDEX_op_mulsh) {
            out[0] = (uint64_t)(p >> w);
        } else {
            out[0] = (uint64_t)p;
            out[1] = (uint64_t)(p >> w);
        }
        break;
    }
    case INDEX_op_add2:
    case INDEX_op_sub2: {
        unsigned __int128 x = ((unsigned __int128)in[1] << w) | in[0];
        unsigned __int128 y = ((unsigned __int128)in[3] << w) | in[2];
        unsigned __int128 r = c->opc == INDEX_op_add2 ? x + y : x - y;
        out[0] = (uint64_t)r;
        out[1] = (uint64_t)(r >> w);
        break;
    }
    case INDEX_op_setcond:
        out[0] = ref_cond(c->carg[0], t, a, b);
        break;
    case INDEX_op_negsetcond:
        out[0] = -(uint64_t)ref_cond(c->carg[0], t, a, b);
        break;
    case INDEX_op_movcond:
        out[0] = ref_cond(c->carg[0], t, a, b) ? in[2] : in[3];
        break;
    case INDEX_op_extract:
        out[0] = (a >> c->carg[0]) & lowbits(c->carg[1]);
        break;
    case INDEX_op_sextract:
        out[0] = (uint64_t)((int64_t)(a << (64 - c->carg[0] - c->carg[1])) >>
                            (64 - c->carg[1]));
        break;
    case INDEX_op_deposit: {
        uint64_t f = lowbits(c->carg[1]) << c->carg[0];
        out[0] = (a & ~f) | ((b << c->carg[0]) & f);
        break;
    }
    case INDEX_op_extract2:
        n = c->carg[0];
        out[0] = n ? (a >> n) | (b << (w - n)) : a;
        break;
    case INDEX_op_ext8s: out[0] = (int64_t)(int8_t)a; break;
    case INDEX_op_ext8u: out[0] = (uint8_t)a; break;
    case INDEX_op_ext16s: out[0] = (int64_t)(int16_t)a; break;
    case INDEX_op_ext16u: out[0] = (uint16_t)a; break;
    case INDEX_op_ext32s:
    case INDEX_op_ext_i32_i64: out[0] = (int64_t)(int32_t)a; break;
    case INDEX_op_ext32u:
    case INDEX_op_extu_i32_i64:
    case INDEX_op_extrl_i64_i32: out[0] = (uint32_t)a; break;
    case INDEX_op_extrh_i64_i32: out[0] = a >> 32; break;
    case INDEX_op_bswap16:
        out[0] = __builtin_bswap16(a);
        if (c->carg[0] & TCG_BSWAP_OS) {
            out[0] = (int64_t)(int16_t)out[0];
        }
        break;
    case INDEX_op_bswap32:
        out[0] = __builtin_bswap32(a);
        if (c->carg[0] & TCG_BSWAP_OS) {
            out[0] = (int64_t)(int32_t)out[0];
        }
        break;
    case INDEX_op_bswap64: out[0] = __builtin_bswap64(a); break;
    case INDEX_op_clz:
        out[0] = a ? (uint64_t)__builtin_clzll(a) - (64 - w) : b;
        break;
    case INDEX_op_ctz:
        out[0] = a ? (uint64_t)__builtin_ctzll(a) : b;
        break;
    case INDEX_op_ctpop: out[0] = __builtin_popcountll(a); break;
    default:
        fail_msg("no reference for %s", tcg_op_defs[c->opc].name);
    }
}

#define MAX_CASES 4096
static OpCase *cases;
static unsigned nb_cases;

static void add_case(TCGOpcode opc, TCGType type, TCGArg c0, TCGArg c1,
                     uint8_t const_mask, uint64_t v0, uint64_t v1)
{
    const TCGOpDef *def = &tcg_op_defs[opc];
    OpCase *c = &cases[nb_cases++];

    assert_true(nb_cases <= MAX_CASES);
    memset(c, 0, sizeof(*c));
    c->opc = opc;
    c->type = type;
    c->nb_o = def->nb_oargs;
    c->nb_i = def->nb_iargs;
    c->nb_c = def->nb_cargs;
    c->carg[0] = c0;
    c->carg[1] = c1;
    c->const_mask = const_mask;
    for (int i = 0; i < 4; i++) {
        c->itype[i] = type;
    }
    c->otype[0] = c->otype[1] = type;
    if (opc == INDEX_op_ext_i32_i64 || opc == INDEX_op_extu_i32_i64) {
        c->itype[0] = TCG_TYPE_I32;
    }
    if (opc == INDEX_op_extrl_i64_i32 || opc == INDEX_op_extrh_i64_i32) {
        c->itype[0] = TCG_TYPE_I64;
    }
    c->cval[0] = v0;
    c->cval[1] = v1;
    c->cval[2] = v0 ^ 0x5a5a;
    c->cval[3] = v1 + 77;
    for (int i = 0; i < 4; i++) {
        c->cval[i] = sext(c->itype[i], c->cval[i]);
    }
}

static const TCGCond conds[] = {
    TCG_COND_NEVER, TCG_COND_ALWAYS, TCG_COND_EQ, TCG_COND_NE,
    TCG_COND_LT, TCG_COND_GE, TCG_COND_LE, TCG_COND_GT,
    TCG_COND_LTU, TCG_COND_GEU, TCG_COND_LEU, TCG_COND_GTU,
};

static void make_cases(void)
{
    static const TCGOpcode binops[] = {
        INDEX_op_add, INDEX_op_sub, INDEX_op_mul, INDEX_op_and, INDEX_op_or,
        INDEX_op_xor, INDEX_op_andc, INDEX_op_orc, INDEX_op_eqv,
        INDEX_op_nand, INDEX_op_nor, INDEX_op_shl, INDEX_op_shr,
        INDEX_op_sar, INDEX_op_rotl, INDEX_op_rotr, INDEX_op_div,
        INDEX_op_divu, INDEX_op_rem, INDEX_op_remu, INDEX_op_muluh,
        INDEX_op_mulsh, INDEX_op_clz, INDEX_op_ctz, INDEX_op_mulu2,
        INDEX_op_muls2,
    };
    static const TCGOpcode unops[] = {
        INDEX_op_neg, INDEX_op_not, INDEX_op_ext8s, INDEX_op_ext8u,
        INDEX_op_ext16s, INDEX_op_ext16u, INDEX_op_ext32s, INDEX_op_ext32u,
        INDEX_op_ext_i32_i64, INDEX_op_extu_i32_i64,
        INDEX_op_extrl_i64_i32, INDEX_op_extrh_i64_i32, INDEX_op_ctpop,
        INDEX_op_bswap64,
    };
    static const int64_t imms[] = {
        0, 1, 3, 5, 8, 9, 31, 32, 63, -1, 0xff, 0xffff, 0xffffffffll,
        INT32_MIN, 1000, -4096, 0x12345678,
    };
    static const uint8_t fields[][2] = {
        { 0, 8 }, { 0, 16 }, { 8, 8 }, { 0, 32 }, { 32, 32 }, { 4, 20 },
        { 20, 40 }, { 1, 63 }, { 0, 63 }, { 3, 1 }, { 16, 16 }, { 0, 31 },
        { 24, 8 }, { 0, 64 },
    };

    cases = calloc(MAX_CASES, sizeof(*cases));
    nb_cases = 0;
    for (int ti = 0; ti < 2; ti++) {
        TCGType t = ti ? TCG_TYPE_I64 : TCG_TYPE_I32;
        unsigned w = ti ? 64 : 32;

        for (size_t i = 0; i < ARRAY_SIZE(binops); i++) {
            TCGOpcode opc = binops[i];
            bool divlike = opc == INDEX_op_div || opc == INDEX_op_divu ||
                           opc == INDEX_op_rem || opc == INDEX_op_remu;
            add_case(opc, t, 0, 0, 0, 0, 0);
            if (divlike || opc == INDEX_op_mulu2 || opc == INDEX_op_muls2 ||
                opc == INDEX_op_muluh || opc == INDEX_op_mulsh) {
                continue;
            }
            for (size_t k = 0; k < ARRAY_SIZE(imms); k++) {
                add_case(opc, t, 0, 0, 2, 0, imms[k]);
            }
            if (opc == INDEX_op_clz || opc == INDEX_op_ctz) {
                add_case(opc, t, 0, 0, 2, 0, w);
            }
        }
        for (size_t i = 0; i < ARRAY_SIZE(unops); i++) {
            TCGOpcode opc = unops[i];
            bool only64 = tcg_op_defs[opc].flags & TCG_OPF_64BIT;
            if (opc == INDEX_op_extrl_i64_i32 ||
                opc == INDEX_op_extrh_i64_i32) {
                if (!ti) {
                    add_case(opc, TCG_TYPE_I32, 0, 0, 0, 0, 0);
                }
                continue;
            }
            if (only64 && !ti) {
                continue;
            }
            add_case(opc, t, 0, 0, 0, 0, 0);
        }
        for (int f = 0; f < 2; f++) {
            add_case(INDEX_op_bswap16, t, f ? TCG_BSWAP_OS : TCG_BSWAP_IZ,
                     0, 0, 0, 0);
            if (ti) {
                add_case(INDEX_op_bswap32, t, f ? TCG_BSWAP_OS : 0, 0, 0, 0,
                         0);
            }
        }
        if (!ti) {
            add_case(INDEX_op_bswap32, t, 0, 0, 0, 0, 0);
        }
        for (size_t k = 0; k < ARRAY_SIZE(conds); k++) {
            for (int op = 0; op < 2; op++) {
                TCGOpcode opc = op ? INDEX_op_negsetcond : INDEX_op_setcond;
                add_case(opc, t, conds[k], 0, 0, 0, 0);
                add_case(opc, t, conds[k], 0, 2, 0, 0);
                add_case(opc, t, conds[k], 0, 2, 0, -5);
            }
            add_case(INDEX_op_movcond, t, conds[k], 0, 0, 0, 0);
            add_case(INDEX_op_movcond, t, conds[k], 0, 2 | 4, 0, 0x77);
            add_case(INDEX_op_movcond, t, conds[k], 0, 8, 0, 0);
            add_case(INDEX_op_movcond, t, conds[k], 0, 4 | 8, 0, 0);
        }
        for (size_t k = 0; k < ARRAY_SIZE(fields); k++) {
            unsigned pos = fields[k][0], len = fields[k][1];
            if (pos + len > w) {
                continue;
            }
            if (len < w) {
                add_case(INDEX_op_extract, t, pos, len, 0, 0, 0);
                add_case(INDEX_op_sextract, t, pos, len, 0, 0, 0);
            }
            add_case(INDEX_op_deposit, t, pos, len, 0, 0, 0);
            add_case(INDEX_op_deposit, t, pos, len, 1, 0, 0);
        }
        for (unsigned pos = 0; pos < w; pos += pos < 2 ? 1 : 13) {
            add_case(INDEX_op_extract2, t, pos, 0, 0, 0, 0);
        }
        add_case(INDEX_op_extract2, t, w - 1, 0, 0, 0, 0);
        add_case(INDEX_op_add2, t, 0, 0, 0, 0, 0);
        add_case(INDEX_op_sub2, t, 0, 0, 0, 0, 0);
        add_case(INDEX_op_add2, t, 0, 0, 4 | 8, -7, 0x12345);
        add_case(INDEX_op_sub2, t, 0, 0, 4 | 8, 1, 0);
    }
}

static const uint64_t edge[] = {
    0, 1, 2, 3, 7, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
    0x80000000, 0xfffffffe, 0xffffffff, 0x100000000ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
    0x123456789abcdef0ull, 31, 32, 63, 64, 0xfedcba9876543210ull,
};

/* The op's TB: inputs from env->in[] (or constants), outputs to out[] */
static TranslationBlock *build_case(const OpCase *c, int alias)
{
    TCGTemp *in[4], *out[2];
    TCGOp *op;
    unsigned a = 0;

    start();
    for (int i = 0; i < c->nb_i; i++) {
        if (c->const_mask & (1 << i)) {
            in[i] = tcg_constant_internal(c->itype[i], c->cval[i]);
            continue;
        }
        in[i] = tcg_temp_new_internal(c->itype[i], TEMP_TB);
        if (c->itype[i] == TCG_TYPE_I32) {
            tcg_gen_ld_i32(temp_tcgv_i32(in[i]), env_v, ENV_OFS(in[i]));
        } else {
            tcg_gen_ld_i64(temp_tcgv_i64(in[i]), env_v, ENV_OFS(in[i]));
        }
    }
    for (int k = 0; k < c->nb_o; k++) {
        out[k] = tcg_temp_new_internal(c->otype[k], TEMP_EBB);
    }
    /* alias 1..4: an output is an input's temp (out = op(out, ...)) */
    if (alias) {
        int k = (alias - 1) / c->nb_i % c->nb_o;
        int i = (alias - 1) % c->nb_i;
        if ((c->const_mask & (1 << i)) || c->itype[i] != c->otype[k]) {
            return NULL;
        }
        out[k] = in[i];
    }
    op = tcg_emit_op(c->opc, c->type, tcg_op_defs[c->opc].nb_args);
    for (int k = 0; k < c->nb_o; k++) {
        op->args[a++] = temp_arg(out[k]);
    }
    for (int i = 0; i < c->nb_i; i++) {
        op->args[a++] = temp_arg(in[i]);
    }
    for (int i = 0; i < c->nb_c; i++) {
        op->args[a++] = c->carg[i];
    }
    for (int k = 0; k < c->nb_o; k++) {
        if (c->otype[k] == TCG_TYPE_I32) {
            tcg_gen_st_i32(temp_tcgv_i32(out[k]), env_v, ENV_OFS(out[k]));
        } else {
            tcg_gen_st_i64(temp_tcgv_i64(out[k]), env_v, ENV_OFS(out[k]));
        }
    }
    tcg_gen_exit_tb(NULL, 0);
    /* the constants must reach the back end as they are */
    tcg_optimize_enabled = false;
    TranslationBlock *tb = gen();
    tcg_optimize_enabled = true;
    return tb;
}

static void run_case(const OpCase *c, int alias, unsigned feat)
{
    TranslationBlock *tb = build_case(c, alias);
    unsigned ne = ARRAY_SIZE(edge);
    unsigned runs = c->nb_i <= 1 ? ne + 16 : c->nb_i == 2 ? ne * ne : 400;

    if (!tb) {
        return;
    }
    for (unsigned r = 0; r < runs; r++) {
        uint64_t in[4], want[2] = { 0, 0 };

        if (c->nb_i <= 1) {
            in[0] = r < ne ? edge[r] : rnd();
        } else if (c->nb_i == 2) {
            in[0] = edge[r / ne];
            in[1] = edge[r % ne];
        } else {
            for (int i = 0; i < 4; i++) {
                in[i] = rnd() & 1 ? edge[rnd() % ne] : rnd();
            }
        }
        for (int i = 0; i < 4; i++) {
            if (c->const_mask & (1 << i)) {
                in[i] = c->cval[i];
            }
            cpu.env.in[i] = in[i];
        }
        ref_op(c, in, want);
        cpu.env.out[0] = cpu.env.out[1] = 0xa5a5a5a5a5a5a5a5ull;
        run(tb);
        for (int k = 0; k < c->nb_o; k++) {
            uint64_t got = cpu.env.out[k] & wmask(c->otype[k]);
            if (got != (want[k] & wmask(c->otype[k]))) {
                fail_msg("%s_%s carg %lu,%lu const %#x alias %d feat %#x: "
                         "in %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#"
                         PRIx64 ": out%d %#" PRIx64 ", want %#" PRIx64,
                         tcg_op_defs[c->opc].name,
                         c->type == TCG_TYPE_I32 ? "i32" : "i64",
                         (unsigned long)c->carg[0], (unsigned long)c->carg[1],
                         c->const_mask, alias, feat, in[0], in[1], in[2],
                         in[3], k, got, want[k] & wmask(c->otype[k]));
            }
        }
    }
}

static void test_ops(void **state)
{
    static const unsigned feats[] = {
        X86_FEAT_ALL, 0, X86_FEAT_BMI2, X86_FEAT_BMI1 | X86_FEAT_LZCNT,
    };
    unsigned nb_tbs = 0;

    make_cases();
    for (size_t f = 0; f < ARRAY_SIZE(feats); f++) {
        tcg_x86_set_features(feats[f]);
        for (unsigned i = 0; i < nb_cases; i++) {
            const OpCase *c = &cases[i];
            unsigned nb_alias = c->nb_i * c->nb_o + 1;
            /* the other feature sets only for ops that depend on them */
            if (f >= 2 && c->opc != INDEX_op_shl && c->opc != INDEX_op_shr &&
                c->opc != INDEX_op_sar && c->opc != INDEX_op_rotl &&
                c->opc != INDEX_op_rotr && c->opc != INDEX_op_clz &&
                c->opc != INDEX_op_ctz && c->opc != INDEX_op_andc &&
                c->opc != INDEX_op_extrh_i64_i32) {
                continue;
            }
            for (unsigned alias = 0; alias < nb_alias; alias++) {
                run_case(c, alias, feats[f]);
                nb_tbs++;
            }
        }
    }
    printf("note: %u op cases, %u TBs\n", nb_cases, nb_tbs);
    free(cases);
}

/* ---- Limits ---- */

static void test_too_large(void **state)
{
    TranslationBlock *tb;
    uint8_t *before;
    TCGv_i64 t[600];

    /* more than 64 KiB of code */
    start();
    for (int i = 0; i < 12000; i++) {
        tcg_gen_st_i64(gv[i % NG], env_v, ENV_OFS(big[i % 1024]));
    }
    tcg_gen_exit_tb(NULL, 0);
    before = ctx->code_ptr;
    assert_int_equal(gen_raw(&tb), -2);
    assert_ptr_equal(ctx->code_ptr, before);

    /* more spilled temps than the frame holds */
    start();
    for (int i = 0; i < 600; i++) {
        t[i] = ld64(ENV_OFS(big[i]));
    }
    for (int i = 0; i < 600; i++) {
        tcg_gen_add_i64(gv[0], gv[0], t[i]);
    }
    tcg_gen_exit_tb(NULL, 0);
    assert_int_equal(gen_raw(&tb), -2);
    assert_ptr_equal(ctx->code_ptr, before);

    /* fewer fit, and compute right */
    start();
    for (int i = 0; i < 300; i++) {
        t[i] = ld64(ENV_OFS(big[i]));
    }
    for (int i = 0; i < 300; i++) {
        tcg_gen_add_i64(gv[0], gv[0], t[299 - i]);
    }
    tcg_gen_exit_tb(NULL, 0);
    tb = gen();
    for (int i = 0; i < 300; i++) {
        cpu.env.big[i] = (uint64_t)i * i;
    }
    cpu.env.g[0] = 5;
    assert_int_equal(run(tb), 0);
    assert_int_equal(cpu.env.g[0], 5 + 299ull * 300 * 599 / 6);
}

static void test_buffer_full(void **state)
{
    Error *err = NULL;
    TCGContext *small = tcg_context_new(&tcg_backend_native, 64 * KiB, &err);
    TCGv_ptr env2;
    TCGv_i64 g0;
    TranslationBlock tb = { 0 };
    uint8_t *before;

    assert_non_null(small);
    env2 = tcg_global_env(small, "env");
    g0 = tcg_global_mem_new_i64(env2, ENV_OFS(g[0]), "g0");
    tcg_func_start(small);
    for (int i = 0; i < 8000; i++) {
        tcg_gen_st_i64(g0, env2, ENV_OFS(big[i % 1024]));
    }
    tcg_gen_exit_tb(NULL, 0);
    before = small->code_ptr;
    assert_int_equal(tcg_gen_code(small, &tb), -1);
    assert_ptr_equal(small->code_ptr, before);

    /* a small TB still fits and runs */
    tcg_func_start(small);
    tcg_gen_addi_i64(g0, g0, 42);
    tcg_gen_exit_tb(NULL, 0);
    assert_true(tcg_gen_code(small, &tb) > 0);
    cpu.env.g[0] = 1;
    assert_int_equal(tcg_backend_native.exec(&cpu.env, tb.tc.ptr), 0);
    assert_int_equal(cpu.env.g[0], 43);
    tcg_context_free(small);
    tcg_ctx = ctx;
}

/* ---- Translation speed (printed, not asserted) ---- */

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* A front end's typical mix: guest registers, flags, memory, helpers */
/* after start() */
static void synth_tb(unsigned insns)
{
    TCGv_i64 a = tcg_temp_ebb_new_i64(), b = tcg_temp_ebb_new_i64();
    TCGv_i64 addr = tcg_temp_ebb_new_i64();

    for (unsigned i = 0; i < insns; i++) {
        unsigned r1 = i % NG, r2 = (i * 7 + 3) % NG, r3 = (i * 5 + 1) % NG;
        tcg_gen_insn_start(0x1000 + 4 * i, 0, 0);
        switch (i % 6) {
        case 0:
            tcg_gen_add_i64(gv[r1], gv[r2], gv[r3]);
            tcg_gen_setcond_i64(TCG_COND_LTU, a, gv[r1], gv[r2]);
            tcg_gen_st_i64(a, env_v, ENV_OFS(out[0]));
            break;
        case 1:
            tcg_gen_addi_i64(addr, gv[r2], 16);
            tcg_gen_qemu_ld_i64(gv[r1], addr, 0, MO_LEUQ);
            break;
        case 2:
            tcg_gen_andi_i64(a, gv[r2], 0xff00);
            tcg_gen_shri_i64(b, a, 8);
            tcg_gen_deposit_i64(gv[r1], gv[r1], b, 0, 8);
            break;
        case 3:
            tcg_gen_qemu_st_i64(gv[r2], gv[r3], 0, MO_LEUQ);
            tcg_gen_sub_i64(gv[r1], gv[r1], gv[r3]);
            break;
        case 4:
            tcg_gen_call2(&info_mix, tcgv_i64_temp(gv[r1]),
                          tcgv_i64_temp(gv[r2]), tcgv_i64_temp(gv[r3]));
            break;
        default:
            tcg_gen_xor_i64(a, gv[r2], gv[r3]);
            tcg_gen_movi_i64(gv[r3], i);
            tcg_gen_mov_i64(gv[r1], a);
            break;
        }
    }
    tcg_gen_exit_tb(NULL, 0);
}

static void test_speed(void **state)
{
    const int nb = 2000;
    double t0, t1, full, back;
    uint64_t ops = 0, bytes = 0;
    TranslationBlock *tb;
    TCGOp *op;
    int ret = 0;

    /* whole pipeline: optimize, liveness, code generation */
    t0 = now_ns();
    for (int i = 0; i < nb; i++) {
        start();
        synth_tb(32);
        ops += ctx->nb_ops;
        assert_true(gen_raw(&tb) > 0);
        bytes += tb->tc.size;
        if (i == 0) {
            dump_tb(tb);
        }
    }
    t1 = now_ns();
    full = (t1 - t0) / ops;

    /* the back end alone, on one TB's ops */
    start();
    synth_tb(32);
    tcg_optimize(ctx);
    tcg_liveness(ctx);
    unsigned n = 0;
    TAILQ_FOREACH(op, &ctx->ops, link) {
        n++;
    }
    t0 = now_ns();
    for (int i = 0; i < nb; i++) {
        ret = tcg_backend_native.gen_code(ctx, &tb_pool[0]);
        assert_true(ret > 0);
    }
    t1 = now_ns();
    back = (t1 - t0) / ((double)n * nb);
    printf("note: translation %.1f ns/op (back end %.1f ns/op), "
           "%.1f host bytes/op, %d bytes for %u ops\n",
           full, back, (double)bytes / ops, ret, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_arith, test_setup),
        cmocka_unit_test_setup(test_pressure, test_setup),
        cmocka_unit_test_setup(test_call_args, test_setup),
        cmocka_unit_test_setup(test_call_globals, test_setup),
        cmocka_unit_test_setup(test_loop, test_setup),
        cmocka_unit_test_setup(test_goto_tb, test_setup),
        cmocka_unit_test_setup(test_goto_tb_race, test_setup),
        cmocka_unit_test_setup(test_insn_start, test_setup),
        cmocka_unit_test_setup(test_wx, test_setup),
        cmocka_unit_test_setup(test_qemu_ldst, test_setup),
        cmocka_unit_test_setup(test_qemu_ld_pressure, test_setup),
        cmocka_unit_test_setup(test_ops, test_setup),
        cmocka_unit_test_setup(test_too_large, test_setup),
        cmocka_unit_test_setup(test_buffer_full, test_setup),
        cmocka_unit_test_setup(test_speed, test_setup),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

#else

int main(void)
{
    printf("the native back end exists for x86-64 hosts only\n");
    return 77;
}

#endif
