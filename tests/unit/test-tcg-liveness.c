/* Unit tests for TCG liveness analysis (tcg/liveness.c). */
#include "emu/osdep.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "exec/translation-block.h"
#include <setjmp.h>
#include <cmocka.h>

static bool null_init(TCGContext *s, Error **errp)
{
    return true;
}

static const TCGBackend null_backend = {
    .name = "null",
    .init = null_init,
};

typedef struct TestEnv {
    uint64_t rax, rbx;
} TestEnv;

static TCGContext *s;
static TCGv_ptr env;
static TCGv_i64 rax, rbx;

static int setup(void **state)
{
    Error *err = NULL;

    s = tcg_context_new(&null_backend, 256 * KiB, &err);
    assert_null(err);
    env = tcg_global_env(s, "env");
    rax = tcg_global_mem_new_i64(env, offsetof(TestEnv, rax), "rax");
    rbx = tcg_global_mem_new_i64(env, offsetof(TestEnv, rbx), "rbx");
    return 0;
}

static int teardown(void **state)
{
    tcg_context_free(s);
    return 0;
}

static void start(void)
{
    tcg_ctx = s;
    tcg_func_start(s);
}

/* The i-th op of the TB (0-based), after the passes */
static TCGOp *nth_op(int n)
{
    TCGOp *op = TAILQ_FIRST(&s->ops);

    while (n-- > 0 && op) {
        op = TAILQ_NEXT(op, link);
    }
    assert_non_null(op);
    return op;
}

static char *dump_ops(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    tcg_dump_ops(s, f, false);
    fclose(f);
    return buf;
}

static void check_dump(const char *expected)
{
    char *got = dump_ops();

    if (strcmp(got, expected) != 0) {
        fprintf(stderr, "expected:\n%s\ngot:\n%s\n", expected, got);
    }
    assert_string_equal(got, expected);
    free(got);
}

static void helper_dummy(void *e)
{
}

static int64_t helper_ret(void *e)
{
    return 0;
}

static const TCGHelperInfo info_plain = {
    .func = (void *)helper_dummy, .name = "plain", .flags = 0,
    .ret = TCG_CALL_VOID, .nargs = 1, .args = { TCG_CALL_PTR },
};
static const TCGHelperInfo info_norwg = {
    .func = (void *)helper_dummy, .name = "norwg", .flags = TCG_CALL_NO_RWG,
    .ret = TCG_CALL_VOID, .nargs = 1, .args = { TCG_CALL_PTR },
};
static const TCGHelperInfo info_nowg = {
    .func = (void *)helper_dummy, .name = "nowg", .flags = TCG_CALL_NO_WG,
    .ret = TCG_CALL_VOID, .nargs = 1, .args = { TCG_CALL_PTR },
};
static const TCGHelperInfo info_pure = {
    .func = (void *)helper_ret, .name = "pure", .flags = TCG_CALL_PURE,
    .ret = TCG_CALL_I64, .nargs = 1, .args = { TCG_CALL_PTR },
};
static const TCGHelperInfo info_effect = {
    .func = (void *)helper_ret, .name = "effect", .flags = TCG_CALL_NO_WG,
    .ret = TCG_CALL_I64, .nargs = 1, .args = { TCG_CALL_PTR },
};

static void test_dead_args(void **state)
{
    TCGv_i64 l0;

    start();
    l0 = tcg_temp_new_i64();
    tcg_gen_add_i64(l0, rax, rbx);
    tcg_gen_add_i64(rax, l0, l0);
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(s);

    assert_int_equal(s->nb_ops, 3);
    /* rax is overwritten next, rbx only needed in memory */
    assert_int_equal(nth_op(0)->life, DEAD_ARG(1) | DEAD_ARG(2));
    /*
     * The TB temp, never read across a label, is treated as an EBB temp
     * (printed tmp0); it dies (both uses); rax leaves the TB: stored, dead
     */
    assert_int_equal(nth_op(1)->life, DEAD_ARG(0) | SYNC_ARG(0) |
                                      DEAD_ARG(1) | DEAD_ARG(2));
    assert_int_equal(nth_op(2)->life, 0);
    check_dump("  add_i64 tmp0,rax,rbx                    dead: 1 2\n"
               "  add_i64 rax,tmp0,tmp0                   dead: 0 1 2"
               "  sync: 0\n"
               "  exit_tb $0x0\n");
}

static void test_remove_unused(void **state)
{
    TCGv_i64 l0, l1, l2, l3, l4;

    start();
    l0 = tcg_temp_new_i64();
    l1 = tcg_temp_new_i64();
    l2 = tcg_temp_new_i64();
    l3 = tcg_temp_new_i64();
    l4 = tcg_temp_new_i64();
    tcg_gen_insn_start(0x1000, 0, 0);
    tcg_gen_add_i64(l0, rax, rbx);                      /* unused */
    tcg_gen_ld_i64(l1, env, 8);                         /* unused */
    tcg_gen_qemu_ld_i64(l2, rax, 0, MO_LEUQ);           /* may fault */
    tcg_gen_st_i64(rbx, env, 16);
    tcg_gen_call1(&info_pure, tcgv_i64_temp(l3), tcgv_ptr_temp(env));
    tcg_gen_call1(&info_effect, tcgv_i64_temp(l4), tcgv_ptr_temp(env));
    tcg_gen_mb(TCG_MO_ALL);
    tcg_gen_movi_i64(rbx, 1);                           /* overwritten */
    tcg_gen_movi_i64(rbx, 2);
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(s);

    check_dump(" ---- 0000000000001000 0000000000000000 0000000000000000\n"
               "  qemu_ld_i64 tmp2,rax,leq,0              dead: 0 1\n"
               "  st_i64 rbx,env,$0x10                    dead: 0\n"
               "  call effect,$0x2,$1,tmp4,env            dead: 0\n"
               "  mb $0xf\n"
               "  mov_i64 rbx,$0x2                        dead: 0 1"
               "  sync: 0\n"
               "  exit_tb $0x0\n");
}

static void test_branches(void **state)
{
    TCGLabel *l = gen_new_label();

    start();
    tcg_gen_movi_i64(rax, 1);
    tcg_gen_brcond_i64(TCG_COND_EQ, rax, rbx, l);
    tcg_gen_addi_i64(rbx, rax, 1);
    gen_set_label(l);
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(s);

    assert_int_equal(s->nb_ops, 5);
    /*
     * The taken branch needs rax in memory; the fall-through still reads
     * it from its register.  The interned $0x1 is read again later.
     */
    assert_int_equal(nth_op(0)->life, SYNC_ARG(0));
    assert_int_equal(nth_op(1)->life, DEAD_ARG(1));
    assert_int_equal(nth_op(2)->life, DEAD_ARG(0) | SYNC_ARG(0) |
                                      DEAD_ARG(1) | DEAD_ARG(2));
    assert_int_equal(nth_op(3)->life, 0);
}

/*
 * TB temps: one read after a label keeps its kind and is written back
 * before the branch; one only used inside the fall-through is treated
 * as an EBB temp: no write-back at the branch.
 */
static void test_tb_temp_demotion(void **state)
{
    TCGLabel *l = gen_new_label();
    TCGv_i64 across, inside;

    start();
    across = tcg_temp_new_i64();
    inside = tcg_temp_new_i64();
    tcg_gen_add_i64(across, rax, rbx);
    tcg_gen_add_i64(inside, rax, rbx);
    tcg_gen_brcond_i64(TCG_COND_EQ, rax, rbx, l);
    tcg_gen_mov_i64(rbx, inside);
    gen_set_label(l);
    tcg_gen_mov_i64(rax, across);
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(s);

    assert_int_equal(tcgv_i64_temp(across)->kind, TEMP_TB);
    assert_int_equal(tcgv_i64_temp(inside)->kind, TEMP_EBB);
    assert_true(nth_op(0)->life & SYNC_ARG(0));
    assert_false(nth_op(1)->life & SYNC_ARG(0));
}

static void test_calls(void **state)
{
    start();
    tcg_gen_movi_i64(rax, 1);
    tcg_gen_call1(&info_plain, NULL, tcgv_ptr_temp(env));
    tcg_gen_movi_i64(rbx, 2);
    tcg_gen_call1(&info_norwg, NULL, tcgv_ptr_temp(env));
    tcg_gen_movi_i64(rax, 3);
    tcg_gen_call1(&info_nowg, NULL, tcgv_ptr_temp(env));
    tcg_gen_add_i64(rax, rax, rbx);
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(s);

    assert_int_equal(s->nb_ops, 8);
    /* read by the helper, reloaded after it */
    assert_int_equal(nth_op(0)->life, DEAD_ARG(0) | SYNC_ARG(0) |
                                      DEAD_ARG(1));
    assert_int_equal(nth_op(1)->life, 0);   /* env is never dead */
    /* NO_RWG: stays in its register across; synced for the NO_WG call */
    assert_int_equal(nth_op(2)->life, SYNC_ARG(0) | DEAD_ARG(1));
    assert_int_equal(nth_op(4)->life, SYNC_ARG(0) | DEAD_ARG(1));
    assert_int_equal(nth_op(6)->life, DEAD_ARG(0) | SYNC_ARG(0) |
                                      DEAD_ARG(1) | DEAD_ARG(2));

    /* a global store before a helper that does not read globals is dead */
    start();
    tcg_gen_movi_i64(rax, 1);
    tcg_gen_call1(&info_norwg, NULL, tcgv_ptr_temp(env));
    tcg_gen_movi_i64(rax, 2);
    tcg_gen_call1(&info_nowg, NULL, tcgv_ptr_temp(env));
    tcg_gen_movi_i64(rax, 3);
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(s);
    check_dump("  call norwg,$0x1,$0,env\n"
               "  mov_i64 rax,$0x2                        dead: 0 1"
               "  sync: 0\n"
               "  call nowg,$0x2,$0,env\n"
               "  mov_i64 rax,$0x3                        dead: 0 1"
               "  sync: 0\n"
               "  exit_tb $0x0\n");
}

static void test_temp_kinds_across_labels(void **state)
{
    TCGLabel *l = gen_new_label();
    TCGv_i64 loc, tmp;

    start();
    loc = tcg_temp_new_i64();
    tmp = tcg_temp_ebb_new_i64();
    tcg_gen_mov_i64(loc, rax);
    tcg_gen_mov_i64(tmp, rbx);
    tcg_gen_brcondi_i64(TCG_COND_EQ, tmp, 0, l);
    tcg_gen_add_i64(rbx, tmp, tmp);     /* the EBB temp lives on here */
    gen_set_label(l);
    tcg_gen_addi_i64(rax, loc, 1);      /* the TB temp lives across */
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(s);

    /* loc must be in its slot at the label */
    assert_int_equal(nth_op(0)->life, DEAD_ARG(0) | SYNC_ARG(0) |
                                      DEAD_ARG(1));
    /* tmp lives in its register only; rbx's register copy is not needed */
    assert_int_equal(nth_op(1)->life, DEAD_ARG(1));
    assert_int_equal(nth_op(2)->life, DEAD_ARG(1));
    assert_int_equal(nth_op(3)->life, DEAD_ARG(0) | SYNC_ARG(0) |
                                      DEAD_ARG(1) | DEAD_ARG(2));
    assert_int_equal(nth_op(5)->life, DEAD_ARG(0) | SYNC_ARG(0) |
                                      DEAD_ARG(1) | DEAD_ARG(2));
}

static void test_narrow_double_ops(void **state)
{
    TCGv_i64 l0, l1, l2, l3;

    start();
    l0 = tcg_temp_new_i64();
    l1 = tcg_temp_new_i64();
    l2 = tcg_temp_new_i64();
    l3 = tcg_temp_new_i64();
    tcg_gen_add2_i64(l0, l1, rax, rbx, rbx, rax);
    tcg_gen_mov_i64(rax, l0);
    tcg_gen_mulu2_i64(l2, l3, rax, rbx);
    tcg_gen_mov_i64(rbx, l3);
    tcg_gen_muls2_i64(l2, l3, rax, rbx);
    tcg_gen_sub2_i64(l0, l1, rax, rbx, l2, l3);     /* both used */
    tcg_gen_mov_i64(rax, l0);
    tcg_gen_mov_i64(rbx, l1);
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(s);
    check_dump("  add_i64 tmp0,rax,rbx                    dead: 1\n"
               "  mov_i64 rax,tmp0                        dead: 1\n"
               "  muluh_i64 tmp3,rax,rbx                  dead: 2\n"
               "  mov_i64 rbx,tmp3                        dead: 1\n"
               "  muls2_i64 tmp2,tmp3,rax,rbx\n"
               "  sub2_i64 tmp0,tmp1,rax,rbx,tmp2,tmp3    dead: 2 3 4 5\n"
               "  mov_i64 rax,tmp0                        dead: 0 1"
               "  sync: 0\n"
               "  mov_i64 rbx,tmp1                        dead: 0 1"
               "  sync: 0\n"
               "  exit_tb $0x0\n");
}

/* What tcg_gen_code does before the back end: both passes together */
static void test_with_optimizer(void **state)
{
    TCGv_i64 t;

    start();
    t = tcg_temp_ebb_new_i64();
    tcg_gen_movi_i64(t, 4);
    tcg_gen_add_i64(t, t, rax);
    tcg_gen_mov_i64(rbx, t);
    tcg_gen_exit_tb(NULL, 0);
    tcg_optimize(s);
    tcg_liveness(s);
    check_dump("  add_i64 tmp0,rax,$0x4                   dead: 1 2\n"
               "  mov_i64 rbx,tmp0                        dead: 0 1"
               "  sync: 0\n"
               "  exit_tb $0x0\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_args),
        cmocka_unit_test(test_remove_unused),
        cmocka_unit_test(test_branches),
        cmocka_unit_test(test_tb_temp_demotion),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_temp_kinds_across_labels),
        cmocka_unit_test(test_narrow_double_ops),
        cmocka_unit_test(test_with_optimizer),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
