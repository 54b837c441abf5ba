/* Unit tests for the portable interpreter back end (tcg/tci/tci.c). */
#include "emu/osdep.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "exec/translation-block.h"
#include <setjmp.h>
#include <cmocka.h>

/* The CPU state of the tests: its fields are the IR globals */
typedef struct TestEnv {
    uint64_t r[8];          /* I64 globals r0..r7 */
    uint32_t w[4];          /* I32 globals w0..w3 */
    void *p;                /* a pointer global (base of indirect globals) */
    uint64_t out[16];       /* written with plain stores */
    uint8_t bytes[64];
    uint64_t seen_by_helper;
    uintptr_t helper_ra;
    int helper_calls;
} TestEnv;

typedef struct Fixture {
    TCGContext *s;
    TCGv_ptr env;
    TCGv_i64 r[8];
    TCGv_i32 w[4];
    TCGv_ptr p;
    TestEnv e;
} Fixture;

static int setup(void **state)
{
    Fixture *f = emu_new0(Fixture, 1);
    Error *err = NULL;
    char name[8];

    f->s = tcg_context_new(&tcg_backend_interp, 4 * MiB, &err);
    assert_null(err);
    assert_non_null(f->s);
    f->env = tcg_global_env(f->s, "env");
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof(name), "r%d", i);
        f->r[i] = tcg_global_mem_new_i64(f->env, offsetof(TestEnv, r[i]),
                                         name);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "w%d", i);
        f->w[i] = tcg_global_mem_new_i32(f->env, offsetof(TestEnv, w[i]),
                                         name);
    }
    f->p = tcg_global_mem_new_ptr(f->env, offsetof(TestEnv, p), "p");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    tcg_context_free(f->s);
    free(f);
    return 0;
}

/* Start a TB (the fixture's env is reset by the caller if needed) */
static void tb_begin(Fixture *f)
{
    tcg_ctx = f->s;
    tcg_func_start(f->s);
}

/* Generate the current ops into a new TB; code_ptr moves past it */
static TranslationBlock *tb_end(Fixture *f)
{
    TranslationBlock *tb = emu_new0(TranslationBlock, 1);
    int ret = tcg_gen_code(f->s, tb);
    size_t code;

    assert_true(ret > 0);
    assert_non_null(tb->tc.ptr);
    assert_true(tb->tc.size > 0 && tb->tc.size <= (uint32_t)ret);
    /* the bytecode decodes exactly, up to its constant pool */
    code = tcg_interp_disas(NULL, tb->tc.ptr, tb->tc.size);
    assert_true(code > 0 && code <= tb->tc.size);
    if (f->s->nb_insns) {
        assert_true(f->s->gen_insn_end_off[f->s->nb_insns - 1] <= code);
    }
    f->s->code_ptr = (uint8_t *)ROUND_UP((uintptr_t)f->s->code_ptr + ret, 16);
    return tb;
}

static uintptr_t run(Fixture *f, TranslationBlock *tb)
{
    return f->s->backend->exec(&f->e, tb->tc.ptr);
}

static void test_arith_globals(void **state)
{
    Fixture *f = *state;
    TCGv_i64 t;
    TCGv_i32 u;
    TranslationBlock *tb;

    tb_begin(f);
    t = tcg_temp_new_i64();
    u = tcg_temp_new_i32();
    tcg_gen_add_i64(f->r[2], f->r[0], f->r[1]);
    tcg_gen_sub_i64(f->r[3], f->r[0], f->r[1]);
    tcg_gen_mul_i64(t, f->r[0], f->r[1]);
    tcg_gen_xori_i64(f->r[4], t, 0x55);
    /* write a global twice, read it back in between */
    tcg_gen_movi_i64(f->r[5], 7);
    tcg_gen_shli_i64(f->r[5], f->r[5], 4);
    tcg_gen_add_i32(u, f->w[0], f->w[1]);
    tcg_gen_shri_i32(f->w[2], u, 1);
    tcg_gen_ext_i32_i64(f->r[6], f->w[0]);
    tcg_gen_extu_i32_i64(f->r[7], f->w[0]);
    tcg_gen_exit_tb(NULL, 0);
    tb = tb_end(f);

    memset(&f->e, 0, sizeof(f->e));
    f->e.r[0] = 100;
    f->e.r[1] = 58;
    f->e.w[0] = 0xfffffff0;
    f->e.w[1] = 0x20;
    assert_int_equal(run(f, tb), 0);
    assert_int_equal(f->e.r[2], 158);
    assert_int_equal(f->e.r[3], 42);
    assert_int_equal(f->e.r[4], 5800 ^ 0x55);
    assert_int_equal(f->e.r[5], 7 << 4);
    assert_int_equal(f->e.w[2], 8);
    assert_int_equal(f->e.r[6], (uint64_t)-16);
    assert_int_equal(f->e.r[7], 0xfffffff0);
    /* the untouched I32 neighbour is intact (stores are 32 bits wide) */
    assert_int_equal(f->e.w[3], 0);
    free(tb);
}

/* r1 = sum of 1..r0, with a loop of brconds and a TB-lifetime temp */
static void test_loop(void **state)
{
    Fixture *f = *state;
    TCGLabel *top, *done;
    TCGv_i64 i, acc;
    TranslationBlock *tb;

    tb_begin(f);
    top = gen_new_label();
    done = gen_new_label();
    i = tcg_temp_new_i64();
    acc = tcg_temp_new_i64();
    tcg_gen_movi_i64(acc, 0);
    tcg_gen_mov_i64(i, f->r[0]);
    gen_set_label(top);
    tcg_gen_brcondi_i64(TCG_COND_EQ, i, 0, done);
    tcg_gen_add_i64(acc, acc, i);
    tcg_gen_subi_i64(i, i, 1);
    /* a global updated inside the loop: synced at each branch */
    tcg_gen_addi_i64(f->r[2], f->r[2], 1);
    tcg_gen_br(top);
    gen_set_label(done);
    tcg_gen_mov_i64(f->r[1], acc);
    tcg_gen_exit_tb(NULL, 0);
    tb = tb_end(f);

    memset(&f->e, 0, sizeof(f->e));
    f->e.r[0] = 1000;
    run(f, tb);
    assert_int_equal(f->e.r[1], 500500);
    assert_int_equal(f->e.r[2], 1000);

    f->e.r[0] = 0;
    f->e.r[2] = 5;
    run(f, tb);
    assert_int_equal(f->e.r[1], 0);
    assert_int_equal(f->e.r[2], 5);
    free(tb);
}

static const TCGCond all_conds[] = {
    TCG_COND_NEVER, TCG_COND_ALWAYS, TCG_COND_EQ, TCG_COND_NE,
    TCG_COND_LT, TCG_COND_GE, TCG_COND_LE, TCG_COND_GT,
    TCG_COND_LTU, TCG_COND_GEU, TCG_COND_LEU, TCG_COND_GTU,
};

static bool ref_cond(TCGCond c, int64_t a, int64_t b, uint64_t ua,
                     uint64_t ub)
{
    switch (c) {
    case TCG_COND_NEVER: return false;
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_EQ: return ua == ub;
    case TCG_COND_NE: return ua != ub;
    case TCG_COND_LT: return a < b;
    case TCG_COND_GE: return a >= b;
    case TCG_COND_LE: return a <= b;
    case TCG_COND_GT: return a > b;
    case TCG_COND_LTU: return ua < ub;
    case TCG_COND_GEU: return ua >= ub;
    case TCG_COND_LEU: return ua <= ub;
    case TCG_COND_GTU: return ua > ub;
    }
    return false;
}

/* brcond with every condition, both widths: r2 = taken ? 1 : 2 */
static void test_brcond_conditions(void **state)
{
    Fixture *f = *state;
    static const uint64_t vals[] = {
        0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
        0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull,
        0xffffffff00000001ull,
    };

    for (size_t ci = 0; ci < ARRAY_SIZE(all_conds); ci++) {
        for (int w = 0; w < 2; w++) {
            TCGCond c = all_conds[ci];
            TCGLabel *taken;
            TranslationBlock *tb;

            tb_begin(f);
            taken = gen_new_label();
            tcg_gen_movi_i64(f->r[2], 1);
            if (w) {
                tcg_gen_brcond_i64(c, f->r[0], f->r[1], taken);
            } else {
                tcg_gen_brcond_i32(c, f->w[0], f->w[1], taken);
            }
            tcg_gen_movi_i64(f->r[2], 2);
            gen_set_label(taken);
            tcg_gen_exit_tb(NULL, 0);
            tb = tb_end(f);

            for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
                for (size_t j = 0; j < ARRAY_SIZE(vals); j++) {
                    bool exp;

                    memset(&f->e, 0, sizeof(f->e));
                    f->e.r[0] = vals[i];
                    f->e.r[1] = vals[j];
                    f->e.w[0] = vals[i];
                    f->e.w[1] = vals[j];
                    if (w) {
                        exp = ref_cond(c, vals[i], vals[j], vals[i], vals[j]);
                    } else {
                        exp = ref_cond(c, (int32_t)vals[i], (int32_t)vals[j],
                                       (uint32_t)vals[i], (uint32_t)vals[j]);
                    }
                    run(f, tb);
                    if (f->e.r[2] != (exp ? 1u : 2u)) {
                        fail_msg("brcond %s i%d 0x%" PRIx64 ", 0x%" PRIx64
                                 ": got %" PRIu64, tcg_cond_name(c),
                                 w ? 64 : 32, vals[i], vals[j], f->e.r[2]);
                    }
                }
            }
            free(tb);
        }
    }
}

/* ---- helper calls ---- */

static uint64_t helper_mix(void *env, uint32_t a, int32_t b, uint64_t c)
{
    TestEnv *e = env;

    e->helper_calls++;
    e->helper_ra = GETPC();
    /* a global written by the TB before the call is visible in memory */
    e->seen_by_helper = e->r[3];
    /* and the helper may write globals */
    e->r[4] = 0x4444;
    return (uint64_t)a * 1000000 + (uint64_t)(int64_t)b + c;
}

static const TCGHelperInfo info_mix = {
    .func = (void *)helper_mix,
    .name = "mix",
    .flags = 0,
    .ret = TCG_CALL_I64,
    .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_S32, TCG_CALL_I64 },
};

static uint32_t helper_add7(uint32_t a1, uint32_t a2, uint32_t a3,
                            uint32_t a4, uint32_t a5, uint32_t a6,
                            uint32_t a7)
{
    return a1 + 2 * a2 + 3 * a3 + 4 * a4 + 5 * a5 + 6 * a6 + 7 * a7;
}

static const TCGHelperInfo info_add7 = {
    .func = (void *)helper_add7,
    .name = "add7",
    .flags = TCG_CALL_CONST,
    .ret = TCG_CALL_I32,
    .nargs = 7,
    .args = { TCG_CALL_I32, TCG_CALL_I32, TCG_CALL_I32, TCG_CALL_I32,
              TCG_CALL_I32, TCG_CALL_I32, TCG_CALL_I32 },
};

static void helper_void(void *env)
{
    ((TestEnv *)env)->helper_calls += 100;
}

static const TCGHelperInfo info_void = {
    .func = (void *)helper_void,
    .name = "void",
    .flags = TCG_CALL_NO_WG,
    .ret = TCG_CALL_VOID,
    .nargs = 1,
    .args = { TCG_CALL_PTR },
};

static void test_calls(void **state)
{
    Fixture *f = *state;
    TCGv_i64 res;
    TCGv_i32 r7, x, y;
    TranslationBlock *tb;
    TCGTemp *a7[7];

    tb_begin(f);
    res = tcg_temp_new_i64();
    r7 = tcg_temp_new_i32();
    x = tcg_temp_new_i32();
    y = tcg_temp_new_i32();
    tcg_gen_insn_start(0x1000, 1, 2);
    tcg_gen_movi_i64(f->r[3], 0x3333);
    tcg_gen_movi_i64(f->r[4], 0x1111);
    tcg_gen_insn_start(0x1004, 3, 4);
    /*
     * x and y may carry bits above 32 in an implementation (the sum's
     * carry): I32 arguments must be extended as their kind says.
     */
    tcg_gen_add_i32(x, f->w[0], f->w[0]);
    tcg_gen_add_i32(y, f->w[1], f->w[1]);
    tcg_gen_call4(&info_mix, tcgv_i64_temp(res), tcgv_ptr_temp(f->env),
                  tcgv_i32_temp(x), tcgv_i32_temp(y),
                  tcgv_i64_temp(f->r[0]));
    tcg_gen_insn_start(0x1008, 5, 6);
    tcg_gen_mov_i64(f->r[5], res);
    /* the helper wrote r4: the TB must see 0x4444, not its cached 0x1111 */
    tcg_gen_addi_i64(f->r[6], f->r[4], 1);
    for (int i = 0; i < 7; i++) {
        a7[i] = tcgv_i32_temp(tcg_constant_i32(i + 1));
    }
    a7[6] = tcgv_i32_temp(f->w[2]);
    tcg_gen_call7(&info_add7, tcgv_i32_temp(r7), a7[0], a7[1], a7[2], a7[3],
                  a7[4], a7[5], a7[6]);
    tcg_gen_mov_i32(f->w[3], r7);
    tcg_gen_call1(&info_void, NULL, tcgv_ptr_temp(f->env));
    tcg_gen_exit_tb(NULL, 0);
    tb = tb_end(f);

    memset(&f->e, 0, sizeof(f->e));
    f->e.w[0] = 0x80000003;
    f->e.w[1] = 0xfffffffe;
    f->e.w[2] = 10;
    f->e.r[0] = 1ull << 40;
    run(f, tb);
    assert_int_equal(f->e.helper_calls, 101);
    assert_int_equal(f->e.seen_by_helper, 0x3333);
    assert_int_equal(f->e.r[5], 6000000 - 4 + (1ull << 40));
    assert_int_equal(f->e.r[6], 0x4445);
    assert_int_equal(f->e.w[3], 1 + 4 + 9 + 16 + 25 + 36 + 70);

    /* GETPC() inside the helper points into the second insn's code */
    assert_int_equal(f->s->nb_insns, 3);
    {
        uintptr_t start = (uintptr_t)tb->tc.ptr;
        uintptr_t ra = f->e.helper_ra;
        assert_true(ra > start && ra < start + tb->tc.size);
        assert_true(ra - start > f->s->gen_insn_end_off[0]);
        assert_true(ra - start <= f->s->gen_insn_end_off[1]);
    }
    free(tb);
}

/* insn_start words and code offsets, as the state restore reads them */
static void test_insn_data(void **state)
{
    Fixture *f = *state;
    TranslationBlock *tb;

    tb_begin(f);
    for (int i = 0; i < 5; i++) {
        tcg_gen_insn_start(0x400000 + 4 * i, i, 100 + i);
        tcg_gen_addi_i64(f->r[0], f->r[0], i);
        if (i == 2) {
            /* an insn with no code of its own */
            continue;
        }
        tcg_gen_st_i64(f->r[0], f->env, offsetof(TestEnv, out[i]));
    }
    tcg_gen_exit_tb(NULL, 0);
    tb = tb_end(f);

    assert_int_equal(f->s->nb_insns, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(f->s->gen_insn_data[i][0], 0x400000 + 4 * i);
        assert_int_equal(f->s->gen_insn_data[i][1], i);
        assert_int_equal(f->s->gen_insn_data[i][2], 100 + i);
        assert_true(f->s->gen_insn_end_off[i] <= tb->tc.size);
        if (i > 0) {
            assert_true(f->s->gen_insn_end_off[i] >=
                        f->s->gen_insn_end_off[i - 1]);
        }
    }
    assert_true(f->s->gen_insn_end_off[0] > 0);

    memset(&f->e, 0, sizeof(f->e));
    run(f, tb);
    assert_int_equal(f->e.out[0], 0);
    assert_int_equal(f->e.out[1], 1);
    assert_int_equal(f->e.out[3], 6);
    assert_int_equal(f->e.out[4], 10);
    assert_int_equal(f->e.r[0], 10);
    free(tb);
}

static void test_exit_values(void **state)
{
    Fixture *f = *state;
    TranslationBlock *fake = emu_new0(TranslationBlock, 1);
    TranslationBlock *tb;
    TCGLabel *l;

    tb_begin(f);
    l = gen_new_label();
    tcg_gen_brcondi_i64(TCG_COND_NE, f->r[0], 0, l);
    tcg_gen_exit_tb(fake, TB_EXIT_IDX1);
    gen_set_label(l);
    tcg_gen_exit_tb(fake, TB_EXIT_REQUESTED);
    tb = tb_end(f);

    memset(&f->e, 0, sizeof(f->e));
    assert_int_equal(run(f, tb), (uintptr_t)fake | TB_EXIT_IDX1);
    f->e.r[0] = 1;
    assert_int_equal(run(f, tb), (uintptr_t)fake | TB_EXIT_REQUESTED);
    free(tb);
    free(fake);
}

/* Two TBs: tb1 falls into its exit until chained to tb2 */
static void test_chaining(void **state)
{
    Fixture *f = *state;
    TranslationBlock *tb1, *tb2;
    TCGv_i64 t;

    tb_begin(f);
    tcg_gen_addi_i64(f->r[0], f->r[0], 1);
    /* a TB temp must not leak into the chained TB */
    t = tcg_temp_new_i64();
    tcg_gen_movi_i64(t, 99);
    tcg_gen_st_i64(t, f->env, offsetof(TestEnv, out[0]));
    tcg_gen_goto_tb(0);
    tcg_gen_exit_tb((TranslationBlock *)0x1000, TB_EXIT_IDX0);
    tb1 = tb_end(f);
    assert_int_not_equal(tb1->jmp_insn_offset[0], TB_JMP_OFFSET_INVALID);
    assert_int_not_equal(tb1->jmp_reset_offset[0], TB_JMP_OFFSET_INVALID);
    assert_int_equal(tb1->jmp_insn_offset[1], TB_JMP_OFFSET_INVALID);
    assert_non_null(tb1->jmp_target_slot[0]);
    assert_null(tb1->jmp_target_slot[1]);
    assert_true(((uintptr_t)tb1->jmp_target_slot[0] & 7) == 0);

    tb_begin(f);
    tcg_gen_addi_i64(f->r[1], f->r[1], 10);
    tcg_gen_addi_i64(f->r[2], f->r[0], 0x100);
    tcg_gen_exit_tb((TranslationBlock *)0x2000, TB_EXIT_IDX1);
    tb2 = tb_end(f);

    memset(&f->e, 0, sizeof(f->e));
    assert_int_equal(run(f, tb1), 0x1000);
    assert_int_equal(f->e.r[0], 1);
    assert_int_equal(f->e.r[1], 0);
    assert_int_equal(f->e.out[0], 99);

    f->s->backend->set_jmp_target(tb1, 0, (uintptr_t)tb2->tc.ptr);
    assert_int_equal(run(f, tb1), 0x2001);
    assert_int_equal(f->e.r[0], 2);
    assert_int_equal(f->e.r[1], 10);
    assert_int_equal(f->e.r[2], 0x102);

    /* unchain: back to the exit path */
    f->s->backend->set_jmp_target(tb1, 0, (uintptr_t)tb1->tc.ptr +
                                  tb1->jmp_reset_offset[0]);
    assert_int_equal(run(f, tb1), 0x1000);
    assert_int_equal(f->e.r[0], 3);
    assert_int_equal(f->e.r[1], 10);

    /* a TB chained to itself loops until its counter says stop */
    tb_begin(f);
    {
        TCGLabel *go = gen_new_label();
        tcg_gen_addi_i64(f->r[0], f->r[0], 1);
        tcg_gen_brcondi_i64(TCG_COND_LTU, f->r[0], 50, go);
        tcg_gen_exit_tb(NULL, 0);
        gen_set_label(go);
        tcg_gen_goto_tb(1);
        tcg_gen_exit_tb((TranslationBlock *)0x3000, TB_EXIT_IDX1);
    }
    {
        TranslationBlock *tb3 = tb_end(f);
        f->s->backend->set_jmp_target(tb3, 1, (uintptr_t)tb3->tc.ptr);
        f->e.r[0] = 0;
        assert_int_equal(run(f, tb3), 0);
        assert_int_equal(f->e.r[0], 50);
        free(tb3);
    }
    free(tb1);
    free(tb2);
}

/* goto_ptr to another TB's code, and to the epilogue */
static void test_goto_ptr(void **state)
{
    Fixture *f = *state;
    TranslationBlock *tb1, *tb2;

    tb_begin(f);
    tcg_gen_movi_i64(f->r[1], 1234);
    tcg_gen_exit_tb((TranslationBlock *)0x5000, 0);
    tb2 = tb_end(f);

    tb_begin(f);
    tcg_gen_addi_i64(f->r[0], f->r[0], 5);
    tcg_gen_goto_ptr(f->p);
    tb1 = tb_end(f);

    memset(&f->e, 0, sizeof(f->e));
    f->e.p = (void *)tb2->tc.ptr;
    assert_int_equal(run(f, tb1), 0x5000);
    assert_int_equal(f->e.r[0], 5);
    assert_int_equal(f->e.r[1], 1234);

    f->e.p = f->s->code_gen_epilogue;
    f->e.r[1] = 0;
    assert_int_equal(run(f, tb1), 0);
    assert_int_equal(f->e.r[0], 10);
    assert_int_equal(f->e.r[1], 0);
    free(tb1);
    free(tb2);
}

/* Loads/stores relative to a pointer, and globals relative to a global */
static void test_host_memory(void **state)
{
    Fixture *f = *state;
    static uint64_t far_away = 0x0123456789abcdefull;
    TranslationBlock *tb;
    TCGv_i64 t;
    TCGv_i32 u;
    TCGv_ptr base;
    intptr_t big = (intptr_t)1 << 36;
    TCGv_i64 ind;

    /* globals must exist before the TB: an indirect one through p */
    tb_begin(f);
    ind = tcg_global_mem_new_i64(f->p, 8, "ind");

    t = tcg_temp_new_i64();
    u = tcg_temp_new_i32();
    base = tcg_temp_new_ptr();
    tcg_gen_ld8u_i64(t, f->env, offsetof(TestEnv, bytes[1]));
    tcg_gen_st_i64(t, f->env, offsetof(TestEnv, out[0]));
    tcg_gen_ld8s_i64(t, f->env, offsetof(TestEnv, bytes[1]));
    tcg_gen_st_i64(t, f->env, offsetof(TestEnv, out[1]));
    tcg_gen_ld16u_i64(t, f->env, offsetof(TestEnv, bytes[2]));
    tcg_gen_st_i64(t, f->env, offsetof(TestEnv, out[2]));
    tcg_gen_ld16s_i64(t, f->env, offsetof(TestEnv, bytes[2]));
    tcg_gen_st_i64(t, f->env, offsetof(TestEnv, out[3]));
    tcg_gen_ld32u_i64(t, f->env, offsetof(TestEnv, bytes[4]));
    tcg_gen_st_i64(t, f->env, offsetof(TestEnv, out[4]));
    tcg_gen_ld32s_i64(t, f->env, offsetof(TestEnv, bytes[4]));
    tcg_gen_st_i64(t, f->env, offsetof(TestEnv, out[5]));
    tcg_gen_ld_i64(t, f->env, offsetof(TestEnv, bytes[8]));
    tcg_gen_st_i64(t, f->env, offsetof(TestEnv, out[6]));
    tcg_gen_ld16s_i32(u, f->env, offsetof(TestEnv, bytes[2]));
    tcg_gen_st_i32(u, f->env, offsetof(TestEnv, bytes[16]));
    tcg_gen_ld8s_i32(u, f->env, offsetof(TestEnv, bytes[1]));
    tcg_gen_st16_i32(u, f->env, offsetof(TestEnv, bytes[20]));
    tcg_gen_st8_i64(f->r[0], f->env, offsetof(TestEnv, bytes[24]));
    tcg_gen_st32_i64(f->r[0], f->env, offsetof(TestEnv, bytes[28]));
    /* an offset beyond 32 bits */
    tcg_gen_movi_ptr(base, (intptr_t)&far_away - big);
    tcg_gen_ld_i64(t, base, big);
    tcg_gen_st_i64(t, f->env, offsetof(TestEnv, out[7]));
    /* indirect global: read, modify, write back */
    tcg_gen_addi_i64(ind, ind, 3);
    tcg_gen_exit_tb(NULL, 0);
    tb = tb_end(f);

    memset(&f->e, 0, sizeof(f->e));
    for (int i = 0; i < 16; i++) {
        f->e.bytes[i] = 0x80 + i * 0x11;
    }
    f->e.r[0] = 0x1122334455667788ull;
    f->e.p = &f->e.out[8];   /* ind = out[9] */
    f->e.out[9] = 39;
    run(f, tb);
    assert_int_equal(f->e.out[0], 0x91);
    assert_int_equal(f->e.out[1], (uint64_t)(int8_t)0x91);
    assert_int_equal(f->e.out[2], 0xb3a2);
    assert_int_equal(f->e.out[3], (uint64_t)(int16_t)0xb3a2);
    assert_int_equal(f->e.out[4], 0xf7e6d5c4);
    assert_int_equal(f->e.out[5], (uint64_t)(int32_t)0xf7e6d5c4);
    assert_int_equal(f->e.out[6], 0x7f6e5d4c3b2a1908ull);
    assert_int_equal(f->e.bytes[16], 0xa2);
    assert_int_equal(f->e.bytes[17], 0xb3);
    assert_int_equal(f->e.bytes[18], 0xff);
    assert_int_equal(f->e.bytes[19], 0xff);
    assert_int_equal(f->e.bytes[20], 0x91);
    assert_int_equal(f->e.bytes[21], 0xff);
    assert_int_equal(f->e.bytes[22], 0);
    assert_int_equal(f->e.bytes[24], 0x88);
    assert_int_equal(f->e.bytes[25], 0);
    assert_int_equal(f->e.bytes[28], 0x88);
    assert_int_equal(f->e.bytes[31], 0x55);
    assert_int_equal(f->e.bytes[32], 0);
    assert_int_equal(f->e.out[7], far_away);
    assert_int_equal(f->e.out[9], 42);
    free(tb);
}

/* ---- guest memory through a hand-built TLB (hits only) ---- */

typedef struct TLBEnv {
    CPUTLBDescFast fast[2];
    TestEnv e;              /* env points here: the TLB is below it */
} TLBEnv;

static void test_qemu_ldst_tlb(void **state)
{
    Fixture *f = *state;
    static CPUTLBEntry table[16];
    static uint8_t page[4096] __attribute__((aligned(4096)));
    const uint64_t gva = 0x7000;    /* guest page 7 -> entry 7 */
    TLBEnv *te = emu_new0(TLBEnv, 1);
    TranslationBlock *tb;
    TCGv_i64 addr, v;
    TCGv_i32 v32;
    static const MemOp ops[] = {
        MO_UB, MO_SB, MO_LEUW, MO_LESW, MO_BEUW, MO_BESW, MO_LEUL, MO_LESL,
        MO_BEUL, MO_BESL, MO_LEUQ, MO_BEUQ,
    };

    f->s->guest_page_bits = 12;
    f->s->tlb_fast_offset = -(intptr_t)offsetof(TLBEnv, e) +
                            (intptr_t)offsetof(TLBEnv, fast);
    f->s->nb_mmu_modes = 2;
    te->fast[1].mask = (ARRAY_SIZE(table) - 1) << CPU_TLB_ENTRY_BITS;
    te->fast[1].table = table;
    for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
        table[i].addr_read = table[i].addr_write = TLB_INVALID_MASK;
    }
    table[7].addr_read = gva;
    table[7].addr_write = gva;
    table[7].addend = (uintptr_t)page - gva;

    tb_begin(f);
    addr = tcg_temp_new_i64();
    v = tcg_temp_new_i64();
    v32 = tcg_temp_new_i32();
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
        tcg_gen_movi_i64(addr, gva + 0x100);
        tcg_gen_qemu_ld_i64(v, addr, 1, ops[i]);
        tcg_gen_st_i64(v, f->env, offsetof(TestEnv, out[i]));
    }
    tcg_gen_movi_i64(addr, gva + 0x104);
    tcg_gen_qemu_ld_i32(v32, addr, 1, MO_SW | MO_BE);
    tcg_gen_st_i32(v32, f->env, offsetof(TestEnv, w[0]));
    tcg_gen_movi_i64(addr, gva + 0x200);
    tcg_gen_qemu_st_i64(f->r[0], addr, 1, MO_BEUQ);
    tcg_gen_movi_i64(addr, gva + 0x208);
    tcg_gen_qemu_st_i64(f->r[0], addr, 1, MO_LEUL);
    tcg_gen_movi_i64(addr, gva + 0x20c);
    tcg_gen_qemu_st_i32(f->w[1], addr, 1, MO_BEUW);
    tcg_gen_movi_i64(addr, gva + 0x20e);
    tcg_gen_qemu_st_i32(f->w[1], addr, 1, MO_UB);
    tcg_gen_exit_tb(NULL, 0);
    tb = tb_end(f);

    for (int i = 0; i < 8; i++) {
        page[0x100 + i] = 0x81 + i * 0x10;
    }
    te->e.r[0] = 0x0102030405060708ull;
    te->e.w[1] = 0xaabbccdd;
    assert_int_equal(f->s->backend->exec(&te->e, tb->tc.ptr), 0);
    assert_int_equal(te->e.out[0], 0x81);
    assert_int_equal(te->e.out[1], (uint64_t)(int8_t)0x81);
    assert_int_equal(te->e.out[2], 0x9181);
    assert_int_equal(te->e.out[3], (uint64_t)(int16_t)0x9181);
    assert_int_equal(te->e.out[4], 0x8191);
    assert_int_equal(te->e.out[5], (uint64_t)(int16_t)0x8191);
    assert_int_equal(te->e.out[6], 0xb1a19181);
    assert_int_equal(te->e.out[7], (uint64_t)(int32_t)0xb1a19181);
    assert_int_equal(te->e.out[8], 0x8191a1b1);
    assert_int_equal(te->e.out[9], (uint64_t)(int32_t)0x8191a1b1);
    assert_int_equal(te->e.out[10], 0xf1e1d1c1b1a19181ull);
    assert_int_equal(te->e.out[11], 0x8191a1b1c1d1e1f1ull);
    assert_int_equal(te->e.w[0], (uint32_t)(int16_t)0xc1d1);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(page[0x200 + i], i + 1);
    }
    assert_int_equal(page[0x208], 0x08);
    assert_int_equal(page[0x20b], 0x05);
    assert_int_equal(page[0x20c], 0xcc);
    assert_int_equal(page[0x20d], 0xdd);
    assert_int_equal(page[0x20e], 0xdd);
    assert_int_equal(page[0x20f], 0);

    f->s->nb_mmu_modes = 0;
    f->s->tlb_fast_offset = 0;
    free(tb);
    free(te);
}

/* A full buffer reports -1; after a reset the same TB fits */
static void test_buffer_full(void **state)
{
    Error *err = NULL;
    TCGContext *s = tcg_context_new(&tcg_backend_interp, 256 * KiB, &err);
    TranslationBlock tb;
    TCGv_ptr env;
    TCGv_i64 g;
    int ret = 0, n = 0;

    assert_non_null(s);
    env = tcg_global_env(s, "env");
    g = tcg_global_mem_new_i64(env, 64, "g");
    while (n < 100000) {
        tcg_func_start(s);
        for (int i = 0; i < 200; i++) {
            tcg_gen_addi_i64(g, g, i + 1);
            tcg_gen_st_i64(g, env, 8 * (i & 7));
        }
        tcg_gen_exit_tb(NULL, 0);
        memset(&tb, 0, sizeof(tb));
        ret = tcg_gen_code(s, &tb);
        if (ret < 0) {
            break;
        }
        assert_true((uint8_t *)tcg_splitwx_to_rw(s, tb.tc.ptr) + tb.tc.size <=
                    s->code_gen_highwater);
        s->code_ptr += ret;
        n++;
    }
    assert_int_equal(ret, -1);
    assert_true(n > 5);
    tcg_code_buffer_reset(s);
    memset(&tb, 0, sizeof(tb));
    assert_true(tcg_gen_code(s, &tb) > 0);
    {
        uint64_t e[9] = { 0 };
        assert_int_equal(s->backend->exec(e, tb.tc.ptr), 0);
        assert_int_equal(e[0], 193 * 194 / 2);
        assert_int_equal(e[7], 200 * 201 / 2);
        assert_int_equal(e[8], 200 * 201 / 2);
    }
    tcg_context_free(s);
    tcg_ctx = NULL;
}

/* -d out_asm for the interpreter: readable bytecode */
static void test_disas(void **state)
{
    Fixture *f = *state;
    TranslationBlock *tb;
    TCGLabel *l;
    char *text = NULL;
    size_t len = 0;
    FILE *mf;

    tb_begin(f);
    l = gen_new_label();
    tcg_gen_insn_start(0x1000, 0, 0);
    tcg_gen_addi_i64(f->r[0], f->r[1], 0x1234);
    tcg_gen_brcondi_i64(TCG_COND_GTU, f->r[0], 7, l);
    tcg_gen_call1(&info_void, NULL, tcgv_ptr_temp(f->env));
    gen_set_label(l);
    tcg_gen_goto_tb(0);
    tcg_gen_exit_tb(NULL, 0);
    tb = tb_end(f);

    mf = open_memstream(&text, &len);
    assert_non_null(mf);
    assert_true(tcg_interp_disas(mf, tb->tc.ptr, tb->tc.size) > 0);
    fclose(mf);
    assert_non_null(strstr(text, "tb_start"));
    assert_non_null(strstr(text, "ld64"));
    assert_non_null(strstr(text, "add"));
    assert_non_null(strstr(text, "0x1234"));
    assert_non_null(strstr(text, "call"));
    assert_non_null(strstr(text, "goto_tb"));
    assert_non_null(strstr(text, "exit_tb"));
    assert_non_null(strstr(text, ".const"));
    assert_non_null(strstr(text, "env"));
    free(text);

    /* garbage does not decode */
    {
        static const uint16_t junk[4] = { 0xffff, 0, 0, 0 };
        assert_int_equal(tcg_interp_disas(NULL, junk, sizeof(junk)), 0);
    }
    free(tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arith_globals),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_brcond_conditions),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_insn_data),
        cmocka_unit_test(test_exit_values),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_goto_ptr),
        cmocka_unit_test(test_host_memory),
        cmocka_unit_test(test_qemu_ldst_tlb),
        cmocka_unit_test(test_disas),
    };
    const struct CMUnitTest solo[] = {
        cmocka_unit_test(test_buffer_full),
    };
    int fails = cmocka_run_group_tests(tests, setup, teardown);

    fails += cmocka_run_group_tests(solo, NULL, NULL);
    return fails;
}
