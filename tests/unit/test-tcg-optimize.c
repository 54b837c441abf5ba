/* Unit tests for the TCG optimizer (tcg/optimize.c): every rule, and folding of every op. */
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
    uint32_t ecx, edx;
} TestEnv;

static TCGContext *s;
static TCGv_ptr env;
static TCGv_i64 rax, rbx;
static TCGv_i32 ecx, edx;

static int setup(void **state)
{
    Error *err = NULL;

    s = tcg_context_new(&null_backend, 256 * KiB, &err);
    assert_null(err);
    env = tcg_global_env(s, "env");
    rax = tcg_global_mem_new_i64(env, offsetof(TestEnv, rax), "rax");
    rbx = tcg_global_mem_new_i64(env, offsetof(TestEnv, rbx), "rbx");
    ecx = tcg_global_mem_new_i32(env, offsetof(TestEnv, ecx), "ecx");
    edx = tcg_global_mem_new_i32(env, offsetof(TestEnv, edx), "edx");
    return 0;
}

static int teardown(void **state)
{
    tcg_context_free(s);
    return 0;
}

static char *dump_ops(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    tcg_dump_ops(s, f, false);
    fclose(f);
    return buf;
}

/* Optimize the current ops and compare the listing with expected */
static void check_opt(const char *expected)
{
    char *got;

    tcg_optimize(s);
    got = dump_ops();
    if (strcmp(got, expected) != 0) {
        fprintf(stderr, "expected:\n%s\ngot:\n%s\n", expected, got);
    }
    assert_string_equal(got, expected);
    free(got);
}

static TCGTemp *T(TCGv_i64 v)
{
    return tcgv_i64_temp(v);
}

static TCGTemp *C64(int64_t v)
{
    return tcg_constant_internal(TCG_TYPE_I64, v);
}

/* Raw op with temp arguments, bypassing tcg-op.c's own simplifications */
static TCGOp *emit(TCGOpcode opc, TCGType type, unsigned n, TCGTemp *a,
                   TCGTemp *b, TCGTemp *c)
{
    TCGOp *op = tcg_emit_op(opc, type, n);
    TCGTemp *t[3] = { a, b, c };

    for (unsigned i = 0; i < n && i < 3; i++) {
        op->args[i] = temp_arg(t[i]);
    }
    return op;
}

static void start(void)
{
    tcg_ctx = s;
    tcg_func_start(s);
}

/* ---- Constant folding and copy propagation ---- */

static void test_fold_chain(void **state)
{
    TCGv_i32 t0, t1;

    start();
    t0 = tcg_temp_ebb_new_i32();
    t1 = tcg_temp_ebb_new_i32();
    tcg_gen_movi_i32(t0, 2);
    tcg_gen_addi_i32(t1, t0, 3);
    tcg_gen_shli_i32(t1, t1, 30);
    tcg_gen_st_i32(t1, env, 0);
    check_opt("  mov_i32 tmp0,$0x2\n"
              "  mov_i32 tmp1,$0x5\n"
              "  mov_i32 tmp1,$0x40000000\n"
              "  st_i32 $0x40000000,env,$0x0\n");
}

static void test_copy_propagation(void **state)
{
    TCGv_i64 l0, l1, l2, l3;

    start();
    l0 = tcg_temp_new_i64();
    l1 = tcg_temp_new_i64();
    l2 = tcg_temp_new_i64();
    l3 = tcg_temp_new_i64();
    tcg_gen_mov_i64(l0, rax);
    tcg_gen_add_i64(l1, l0, rbx);       /* l0 read as rax */
    tcg_gen_mov_i64(l2, l0);            /* l2 joins the copies */
    tcg_gen_mov_i64(l2, rax);           /* already a copy: removed */
    tcg_gen_mov_i64(rax, rbx);          /* rax leaves; l0 keeps the value */
    tcg_gen_add_i64(l3, l0, l2);        /* both TB temps: kept as is */
    tcg_gen_mov_i64(rax, rbx);          /* redundant */
    tcg_gen_sub_i64(l3, l3, l3);        /* x - x */
    check_opt("  mov_i64 loc0,rax\n"
              "  add_i64 loc1,rax,rbx\n"
              "  mov_i64 loc2,rax\n"
              "  mov_i64 rax,rbx\n"
              "  add_i64 loc3,loc0,loc2\n"
              "  mov_i64 loc3,$0x0\n");
}

static void test_const_operand_order(void **state)
{
    TCGv_i64 l0;
    TCGv_i32 t0;

    start();
    l0 = tcg_temp_new_i64();
    t0 = tcg_temp_new_i32();
    emit(INDEX_op_add, TCG_TYPE_I64, 3, T(l0), C64(3), T(rax));
    emit(INDEX_op_and, TCG_TYPE_I64, 3, T(l0), C64(0x70), T(l0));
    tcg_gen_setcond_i32(TCG_COND_LT, t0, tcg_constant_i32(5), ecx);
    tcg_gen_movcond_i64(TCG_COND_LEU, l0, rax, tcg_constant_i64(0), rbx,
                        l0);
    check_opt("  add_i64 loc0,rax,$0x3\n"
              "  and_i64 loc0,loc0,$0x70\n"
              "  setcond_i32 loc1,ecx,$0x5,gt\n"
              "  movcond_i64 loc0,rax,$0x0,rbx,loc0,eq\n");
}

/* Each algebraic rule: the zero or one comes from a temp at run time
   of the front end, so only the optimizer can see it */
static void test_identities(void **state)
{
    TCGv_i64 z, one, m1, r;

    start();
    z = tcg_temp_new_i64();
    one = tcg_temp_new_i64();
    m1 = tcg_temp_new_i64();
    r = tcg_temp_new_i64();
    tcg_gen_movi_i64(z, 0);
    tcg_gen_movi_i64(one, 1);
    tcg_gen_movi_i64(m1, -1);
    tcg_gen_add_i64(r, rax, z);
    tcg_gen_add_i64(r, z, rbx);
    tcg_gen_sub_i64(r, rax, z);
    tcg_gen_mul_i64(r, rax, one);
    tcg_gen_mul_i64(r, rax, z);
    tcg_gen_and_i64(r, rax, z);
    tcg_gen_and_i64(r, rax, m1);
    tcg_gen_and_i64(r, rax, rax);
    tcg_gen_or_i64(r, rax, z);
    tcg_gen_or_i64(r, rax, m1);
    tcg_gen_or_i64(r, rbx, rbx);
    tcg_gen_xor_i64(r, rax, z);
    tcg_gen_xor_i64(r, rax, rax);
    tcg_gen_xor_i64(r, rax, m1);
    tcg_gen_shl_i64(r, rax, z);
    tcg_gen_sar_i64(r, m1, rax);
    tcg_gen_rotr_i64(r, z, rax);
    tcg_gen_div_i64(r, rax, one);
    tcg_gen_remu_i64(r, rax, one);
    tcg_gen_sub_i64(r, z, rax);
    tcg_gen_muluh_i64(r, rax, z);
    check_opt("  mov_i64 loc0,$0x0\n"
              "  mov_i64 loc1,$0x1\n"
              "  mov_i64 loc2,$0xffffffffffffffff\n"
              "  mov_i64 loc3,rax\n"
              "  mov_i64 loc3,rbx\n"
              "  mov_i64 loc3,rax\n"
              "  mov_i64 loc3,$0x0\n"
              "  mov_i64 loc3,rax\n"
              "  mov_i64 loc3,$0xffffffffffffffff\n"
              "  mov_i64 loc3,rbx\n"
              "  mov_i64 loc3,rax\n"
              "  mov_i64 loc3,$0x0\n"
              "  not_i64 loc3,rax\n"
              "  mov_i64 loc3,rax\n"
              "  mov_i64 loc3,$0xffffffffffffffff\n"
              "  mov_i64 loc3,$0x0\n"
              "  mov_i64 loc3,rax\n"
              "  mov_i64 loc3,$0x0\n"
              "  neg_i64 loc3,rax\n"
              "  mov_i64 loc3,$0x0\n");
}

static void test_logic_with_constants(void **state)
{
    TCGv_i32 r = NULL;

    start();
    r = tcg_temp_new_i32();
    tcg_gen_andc_i32(r, ecx, tcg_constant_i32(0xf0));
    tcg_gen_orc_i32(r, ecx, tcg_constant_i32(0xf0));
    tcg_gen_eqv_i32(r, ecx, tcg_constant_i32(-1));       /* xor 0 */
    tcg_gen_eqv_i32(r, ecx, tcg_constant_i32(0));        /* not */
    tcg_gen_andc_i32(r, ecx, ecx);
    tcg_gen_orc_i32(r, edx, edx);
    tcg_gen_nand_i32(r, ecx, ecx);
    tcg_gen_nor_i32(r, edx, tcg_constant_i32(0));
    tcg_gen_nand_i32(r, edx, tcg_constant_i32(0));
    tcg_gen_andc_i32(r, tcg_constant_i32(0), ecx);
    check_opt("  and_i32 loc0,ecx,$0xffffff0f\n"
              "  or_i32 loc0,ecx,$0xffffff0f\n"
              "  mov_i32 loc0,ecx\n"
              "  not_i32 loc0,ecx\n"
              "  mov_i32 loc0,$0x0\n"
              "  mov_i32 loc0,$0xffffffff\n"
              "  not_i32 loc0,ecx\n"
              "  not_i32 loc0,edx\n"
              "  mov_i32 loc0,$0xffffffff\n"
              "  mov_i32 loc0,$0x0\n");
}

static void test_double_not_neg(void **state)
{
    TCGv_i64 a, b;

    start();
    a = tcg_temp_new_i64();
    b = tcg_temp_new_i64();
    tcg_gen_not_i64(a, rax);
    tcg_gen_not_i64(b, a);              /* rax */
    tcg_gen_neg_i64(a, rbx);
    tcg_gen_neg_i64(b, a);              /* rbx */
    tcg_gen_neg_i64(a, rbx);
    tcg_gen_movi_i64(rbx, 7);           /* the source changes */
    tcg_gen_neg_i64(b, a);              /* stays */
    tcg_gen_not_i64(a, a);
    tcg_gen_not_i64(b, a);              /* a's source was a itself */
    check_opt("  not_i64 loc0,rax\n"
              "  mov_i64 loc1,rax\n"
              "  neg_i64 loc0,rbx\n"
              "  mov_i64 loc1,rbx\n"
              "  neg_i64 loc0,rbx\n"
              "  mov_i64 rbx,$0x7\n"
              "  neg_i64 loc1,loc0\n"
              "  not_i64 loc0,loc0\n"
              "  not_i64 loc1,loc0\n");
}

static void test_shifts_by_zero(void **state)
{
    TCGv_i32 z, r[6];

    start();
    z = tcg_temp_new_i32();
    for (int i = 0; i < 6; i++) {
        r[i] = tcg_temp_new_i32();
    }
    tcg_gen_movi_i32(z, 32);            /* counts are taken modulo 32 */
    tcg_gen_shl_i32(r[0], ecx, z);
    tcg_gen_shr_i32(r[1], ecx, z);
    tcg_gen_rotl_i32(r[2], ecx, z);
    tcg_gen_shl_i32(r[3], tcg_constant_i32(0), ecx);
    tcg_gen_sar_i32(r[4], tcg_constant_i32(-1), ecx);
    tcg_gen_shr_i32(r[5], tcg_constant_i32(-1), ecx);
    check_opt("  mov_i32 loc0,$0x20\n"
              "  mov_i32 loc1,ecx\n"
              "  mov_i32 loc2,ecx\n"
              "  mov_i32 loc3,ecx\n"
              "  mov_i32 loc4,$0x0\n"
              "  mov_i32 loc5,$0xffffffff\n"
              "  shr_i32 loc6,$0xffffffff,ecx\n");
}

static void test_compare_rules(void **state)
{
    TCGv_i64 r, b;
    TCGv_i32 r32;

    start();
    r = tcg_temp_new_i64();
    b = tcg_temp_new_i64();
    r32 = tcg_temp_new_i32();
    tcg_gen_setcond_i64(TCG_COND_EQ, r, rax, rax);
    tcg_gen_setcond_i64(TCG_COND_LT, r, rax, rax);
    tcg_gen_negsetcond_i64(TCG_COND_GEU, r, rax, rax);
    tcg_gen_setcondi_i64(TCG_COND_LTU, r, rax, 0);
    tcg_gen_setcondi_i64(TCG_COND_GEU, r, rax, 0);
    tcg_gen_setcondi_i32(TCG_COND_GTU, r32, ecx, 0);
    tcg_gen_setcond_i32(TCG_COND_LTU, r32, tcg_constant_i32(-1),
                        tcg_constant_i32(1));
    tcg_gen_setcond_i32(TCG_COND_LT, r32, tcg_constant_i32(-1),
                        tcg_constant_i32(1));
    tcg_gen_setcondi_i64(TCG_COND_LT, b, rbx, 10);   /* a boolean */
    tcg_gen_setcondi_i64(TCG_COND_NE, r, b, 0);      /* is b */
    tcg_gen_setcondi_i64(TCG_COND_EQ, r, b, 0);      /* is b ^ 1 */
    tcg_gen_negsetcondi_i64(TCG_COND_NE, r, b, 0);   /* is -b */
    tcg_gen_movcond_i64(TCG_COND_EQ, r, rax, rax, rbx, b);
    tcg_gen_movcond_i64(TCG_COND_GT, r, rax, rax, rbx, b);
    tcg_gen_movcond_i64(TCG_COND_NE, rax, rax, rbx, b, b);
    check_opt("  mov_i64 loc0,$0x1\n"
              "  mov_i64 loc0,$0x0\n"
              "  mov_i64 loc0,$0xffffffffffffffff\n"
              "  mov_i64 loc0,$0x0\n"
              "  mov_i64 loc0,$0x1\n"
              "  setcond_i32 loc2,ecx,$0x0,ne\n"
              "  mov_i32 loc2,$0x0\n"
              "  mov_i32 loc2,$0x1\n"
              "  setcond_i64 loc1,rbx,$0xa,lt\n"
              "  mov_i64 loc0,loc1\n"
              "  xor_i64 loc0,loc1,$0x1\n"
              "  neg_i64 loc0,loc1\n"
              "  mov_i64 loc0,rbx\n"
              "  mov_i64 loc0,loc1\n"
              "  mov_i64 rax,loc1\n");
}

static void test_known_bits(void **state)
{
    TCGv_i64 a, r[12];
    TCGv_i32 a32, r32;

    start();
    a = tcg_temp_new_i64();
    a32 = tcg_temp_new_i32();
    r32 = tcg_temp_new_i32();
    for (int i = 0; i < 12; i++) {
        r[i] = tcg_temp_new_i64();
    }
    tcg_gen_ld8u_i64(a, env, 0);
    tcg_gen_ext8u_i64(r[0], a);             /* already 8 bits */
    tcg_gen_ext16s_i64(r[1], a);            /* positive, fits */
    emit(INDEX_op_and, TCG_TYPE_I64, 3, T(r[2]), T(a), C64(0x1ff));
    emit(INDEX_op_and, TCG_TYPE_I64, 3, T(r[3]), T(a), C64(0x7f)); /* stays */
    tcg_gen_ld8s_i64(a, env, 0);
    tcg_gen_ext8s_i64(r[4], a);
    tcg_gen_ext8u_i64(r[5], a);             /* stays */
    tcg_gen_shri_i64(r[6], rax, 56);
    tcg_gen_ext8u_i64(r[7], r[6]);
    emit(INDEX_op_and, TCG_TYPE_I64, 3, T(r[8]), T(rax), C64(0xf0));
    emit(INDEX_op_and, TCG_TYPE_I64, 3, T(r[8]), T(r[8]), C64(0x0f)); /* 0 */
    tcg_gen_qemu_ld_i32(a32, rax, 0, MO_LESW);
    tcg_gen_ext16s_i32(r32, a32);
    tcg_gen_ext_i32_i64(a, a32);
    tcg_gen_ext32s_i64(r[9], a);
    tcg_gen_sextract_i64(r[10], a, 0, 20);
    tcg_gen_extract_i64(r[11], a, 0, 20);   /* stays: may be negative */
    check_opt("  ld8u_i64 loc0,env,$0x0\n"
              "  mov_i64 loc3,loc0\n"
              "  mov_i64 loc4,loc0\n"
              "  mov_i64 loc5,loc0\n"
              "  and_i64 loc6,loc0,$0x7f\n"
              "  ld8s_i64 loc0,env,$0x0\n"
              "  mov_i64 loc7,loc0\n"
              "  ext8u_i64 loc8,loc0\n"
              "  shr_i64 loc9,rax,$0x38\n"
              "  mov_i64 loc10,loc9\n"
              "  and_i64 loc11,rax,$0xf0\n"
              "  mov_i64 loc11,$0x0\n"
              "  qemu_ld_i32 loc1,rax,lesw,0\n"
              "  mov_i32 loc2,loc1\n"
              "  ext_i32_i64 loc0,loc1\n"
              "  mov_i64 loc12,loc0\n"
              "  mov_i64 loc13,loc0\n"
              "  extract_i64 loc14,loc0,$0x0,$0x14\n");
}

static void test_no_fold_undefined(void **state)
{
    TCGv_i32 r;
    TCGv_i64 q;

    start();
    r = tcg_temp_new_i32();
    q = tcg_temp_new_i64();
    tcg_gen_div_i32(r, tcg_constant_i32(7), tcg_constant_i32(0));
    tcg_gen_divu_i32(r, tcg_constant_i32(7), tcg_constant_i32(0));
    tcg_gen_rem_i32(r, tcg_constant_i32(7), tcg_constant_i32(0));
    tcg_gen_remu_i64(q, tcg_constant_i64(7), tcg_constant_i64(0));
    tcg_gen_div_i32(r, tcg_constant_i32(INT32_MIN), tcg_constant_i32(-1));
    tcg_gen_rem_i64(q, tcg_constant_i64(INT64_MIN), tcg_constant_i64(-1));
    tcg_gen_div_i64(q, tcg_constant_i64(INT64_MIN), tcg_constant_i64(1));
    tcg_gen_divu_i32(r, tcg_constant_i32(INT32_MIN), tcg_constant_i32(-1));
    check_opt("  div_i32 loc0,$0x7,$0x0\n"
              "  divu_i32 loc0,$0x7,$0x0\n"
              "  rem_i32 loc0,$0x7,$0x0\n"
              "  remu_i64 loc1,$0x7,$0x0\n"
              "  div_i32 loc0,$0x80000000,$0xffffffff\n"
              "  rem_i64 loc1,$0x8000000000000000,$0xffffffffffffffff\n"
              "  mov_i64 loc1,$0x8000000000000000\n"
              "  mov_i32 loc0,$0x0\n");
}

static void test_double_ops(void **state)
{
    TCGv_i32 lo, hi;
    TCGv_i64 l64, h64;

    start();
    lo = tcg_temp_new_i32();
    hi = tcg_temp_new_i32();
    l64 = tcg_temp_new_i64();
    h64 = tcg_temp_new_i64();
    tcg_gen_add2_i32(lo, hi, tcg_constant_i32(-1), tcg_constant_i32(0),
                     tcg_constant_i32(1), tcg_constant_i32(0));
    tcg_gen_mulu2_i64(l64, h64, tcg_constant_i64(-1), tcg_constant_i64(-1));
    tcg_gen_muls2_i64(l64, h64, tcg_constant_i64(-1), tcg_constant_i64(-1));
    tcg_gen_mulu2_i64(l64, h64, tcg_constant_i64(3), rax);   /* swapped */
    check_opt("  mov_i32 loc0,$0x0\n"
              "  mov_i32 loc1,$0x1\n"
              "  mov_i64 loc2,$0x1\n"
              "  mov_i64 loc3,$0xfffffffffffffffe\n"
              "  mov_i64 loc3,$0x0\n"
              "  mulu2_i64 loc2,loc3,rax,$0x3\n");
}

static void test_clz_partial(void **state)
{
    TCGv_i32 r;

    start();
    r = tcg_temp_new_i32();
    tcg_gen_clz_i32(r, tcg_constant_i32(0), ecx);        /* the fallback */
    tcg_gen_ctz_i32(r, tcg_constant_i32(0x100), ecx);    /* known count */
    tcg_gen_clzi_i32(r, ecx, 32);
    check_opt("  mov_i32 loc0,ecx\n"
              "  mov_i32 loc0,$0x8\n"
              "  clz_i32 loc0,ecx,$0x20\n");
}

/* ---- Control flow ---- */

static void test_brcond_known(void **state)
{
    TCGLabel *l0, *l1;
    TCGv_i64 t;

    start();
    l0 = gen_new_label();
    l1 = gen_new_label();
    t = tcg_temp_new_i64();
    tcg_gen_movi_i64(t, 5);
    tcg_gen_brcondi_i64(TCG_COND_GT, t, 9, l0);      /* never: removed */
    tcg_gen_brcondi_i64(TCG_COND_LT, t, 9, l1);      /* always: br */
    tcg_gen_movi_i64(rax, 1);                        /* unreachable */
    gen_set_label(l0);                               /* unused now */
    tcg_gen_movi_i64(rax, 2);                        /* unreachable */
    gen_set_label(l1);
    tcg_gen_addi_i64(rbx, t, 1);                     /* t unknown here */
    tcg_gen_exit_tb(NULL, 0);
    /* the br became a jump to the next op, and went with its label */
    check_opt("  mov_i64 loc0,$0x5\n"
              "  mov_i64 rbx,$0x6\n"
              "  exit_tb $0x0\n");
    assert_int_equal(l0->refs, 0);
    assert_int_equal(l1->refs, 0);
}

static void test_unreachable(void **state)
{
    TCGLabel *l0, *l1, *l2;
    TCGv_i64 t;

    start();
    l0 = gen_new_label();
    l1 = gen_new_label();
    l2 = gen_new_label();
    t = tcg_temp_new_i64();
    tcg_gen_insn_start(0x1000, 0, 0);
    tcg_gen_brcond_i64(TCG_COND_EQ, rax, rbx, l0);
    tcg_gen_br(l1);
    tcg_gen_insn_start(0x1004, 0, 0);        /* kept for unwinding */
    tcg_gen_add_i64(t, rax, rbx);
    tcg_gen_brcond_i64(TCG_COND_NE, rax, t, l0);
    gen_set_label(l2);                        /* no branch: dropped */
    tcg_gen_movi_i64(rax, 1);
    gen_set_label(l0);
    tcg_gen_movi_i64(rbx, 2);
    gen_set_label(l1);
    tcg_gen_goto_tb(0);                       /* falls through */
    tcg_gen_exit_tb(NULL, 0);
    tcg_gen_movi_i64(rbx, 3);
    check_opt(" ---- 0000000000001000 0000000000000000 0000000000000000\n"
              "  brcond_i64 rax,rbx,eq,$L0\n"
              "  br $L1\n"
              "\n"
              " ---- 0000000000001004 0000000000000000 0000000000000000\n"
              "  set_label $L0\n"
              "  mov_i64 rbx,$0x2\n"
              "  set_label $L1\n"
              "  goto_tb $0x0\n"
              "  exit_tb $0x0\n");
    assert_int_equal(l0->refs, 1);
}

static void test_jump_to_next(void **state)
{
    TCGLabel *l0, *l1;
    TCGv_i64 t;

    start();
    l0 = gen_new_label();
    l1 = gen_new_label();
    t = tcg_temp_new_i64();
    tcg_gen_movi_i64(t, 4);
    tcg_gen_br(l0);
    gen_set_label(l0);
    tcg_gen_brcond_i64(TCG_COND_LT, rax, rbx, l1);
    gen_set_label(l1);
    tcg_gen_addi_i64(rax, t, 1);    /* no block boundary left: folds */
    check_opt("  mov_i64 loc0,$0x4\n"
              "  mov_i64 rax,$0x5\n");
}

/* Branches emitted without tcg-op.h still keep their label */
static void test_raw_branch_refs(void **state)
{
    TCGLabel *l0;
    TCGOp *op;

    start();
    l0 = gen_new_label();
    op = tcg_emit_op(INDEX_op_brcond, TCG_TYPE_I64, 4);
    op->args[0] = temp_arg(T(rax));
    op->args[1] = temp_arg(T(rbx));
    op->args[2] = TCG_COND_NE;
    op->args[3] = label_arg(l0);
    tcg_gen_movi_i64(rax, 1);
    op = tcg_emit_op(INDEX_op_set_label, TCG_TYPE_I64, 1);
    op->args[0] = label_arg(l0);
    assert_int_equal(l0->refs, 0);
    check_opt("  brcond_i64 rax,rbx,ne,$L0\n"
              "  mov_i64 rax,$0x1\n"
              "  set_label $L0\n");
    assert_int_equal(l0->refs, 1);
}

static void test_knowledge_across_blocks(void **state)
{
    TCGLabel *l0;
    TCGv_i64 t;

    start();
    l0 = gen_new_label();
    t = tcg_temp_new_i64();
    tcg_gen_movi_i64(t, 4);
    tcg_gen_brcond_i64(TCG_COND_LT, rax, rbx, l0);
    tcg_gen_addi_i64(rax, t, 1);        /* fall-through: still known */
    tcg_gen_mov_i64(t, rbx);
    gen_set_label(l0);
    tcg_gen_addi_i64(rax, t, 2);        /* not known after a label */
    tcg_gen_exit_tb(NULL, 0);
    check_opt("  mov_i64 loc0,$0x4\n"
              "  brcond_i64 rax,rbx,lt,$L0\n"
              "  mov_i64 rax,$0x5\n"
              "  mov_i64 loc0,rbx\n"
              "  set_label $L0\n"
              "  add_i64 rax,loc0,$0x2\n"
              "  exit_tb $0x0\n");
}

static void helper_dummy(void *e)
{
}

static const TCGHelperInfo info_writes = {
    .func = (void *)helper_dummy, .name = "writes", .flags = 0,
    .ret = TCG_CALL_VOID, .nargs = 1, .args = { TCG_CALL_PTR },
};

static const TCGHelperInfo info_nowg = {
    .func = (void *)helper_dummy, .name = "nowg",
    .flags = TCG_CALL_NO_WG,
    .ret = TCG_CALL_VOID, .nargs = 1, .args = { TCG_CALL_PTR },
};

static void test_calls_and_globals(void **state)
{
    TCGv_i64 t, u;

    start();
    t = tcg_temp_new_i64();
    u = tcg_temp_new_i64();
    tcg_gen_movi_i64(rax, 5);
    tcg_gen_mov_i64(u, rbx);
    tcg_gen_call1(&info_nowg, NULL, tcgv_ptr_temp(env));
    tcg_gen_addi_i64(t, rax, 1);        /* rax still 5 */
    tcg_gen_add_i64(t, u, t);           /* u still rbx */
    tcg_gen_call1(&info_writes, NULL, tcgv_ptr_temp(env));
    tcg_gen_addi_i64(t, rax, 1);        /* rax unknown */
    tcg_gen_add_i64(t, u, t);           /* u keeps its value, not rbx's */
    check_opt("  mov_i64 rax,$0x5\n"
              "  mov_i64 loc1,rbx\n"
              "  call nowg,$0x2,$0,env\n"
              "  mov_i64 loc0,$0x6\n"
              "  add_i64 loc0,rbx,$0x6\n"
              "  call writes,$0x0,$0,env\n"
              "  add_i64 loc0,rax,$0x1\n"
              "  add_i64 loc0,loc1,loc0\n");
}

/* ---- Folding of every op against a reference evaluation ---- */

/*
 * The reference works on zero-extended W-bit values with plain loops,
 * independently of the optimizer's own code.
 */
static uint64_t wmask(bool is64)
{
    return is64 ? ~0ull : 0xffffffffull;
}

static int64_t sx(bool is64, uint64_t v)
{
    return is64 ? (int64_t)v : (int64_t)(int32_t)v;
}

static uint64_t field_mask(unsigned len)
{
    return len == 64 ? ~0ull : (1ull << len) - 1;
}

static uint64_t ref_sext(uint64_t v, unsigned bits, uint64_t m)
{
    v &= field_mask(bits);
    if (v >> (bits - 1) & 1) {
        v |= ~field_mask(bits);
    }
    return v & m;
}

/* 64x64 -> 128 unsigned multiply by 32-bit halves */
static void ref_mulu128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;

    *lo = (mid << 32) | (uint32_t)ll;
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

static void ref_muls128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    ref_mulu128(a, b, lo, hi);
    if ((int64_t)a < 0) {
        *hi -= b;
    }
    if ((int64_t)b < 0) {
        *hi -= a;
    }
}

static bool ref_cond(bool is64, uint64_t x, uint64_t y, TCGCond c)
{
    int64_t a = sx(is64, x), b = sx(is64, y);

    switch (c) {
    case TCG_COND_EQ: return x == y;
    case TCG_COND_NE: return x != y;
    case TCG_COND_LT: return a < b;
    case TCG_COND_GE: return a >= b;
    case TCG_COND_LE: return a <= b;
    case TCG_COND_GT: return a > b;
    case TCG_COND_LTU: return x < y;
    case TCG_COND_GEU: return x >= y;
    case TCG_COND_LEU: return x <= y;
    case TCG_COND_GTU: return x > y;
    case TCG_COND_ALWAYS: return true;
    default: return false;
    }
}

static uint64_t ref_bswap(uint64_t x, unsigned bytes)
{
    uint64_t r = 0;

    for (unsigned i = 0; i < bytes; i++) {
        r = (r << 8) | ((x >> (8 * i)) & 0xff);
    }
    return r;
}

/* false: no defined result (the op must stay) */
static bool ref_eval(TCGOpcode opc, bool is64, const uint64_t *in,
                     const TCGArg *c, uint64_t *out)
{
    unsigned w = is64 ? 64 : 32;
    uint64_t m = wmask(is64);
    uint64_t x = in[0] & m, y = in[1] & m, r = 0, lo;
    unsigned n;

    switch (opc) {
    case INDEX_op_add: r = x + y; break;
    case INDEX_op_sub: r = x - y; break;
    case INDEX_op_mul: r = x * y; break;
    case INDEX_op_neg: r = 0 - x; break;
    case INDEX_op_and: r = x & y; break;
    case INDEX_op_or: r = x | y; break;
    case INDEX_op_xor: r = x ^ y; break;
    case INDEX_op_andc: r = x & ~y; break;
    case INDEX_op_orc: r = x | ~y; break;
    case INDEX_op_eqv: r = ~(x ^ y); break;
    case INDEX_op_nand: r = ~(x & y); break;
    case INDEX_op_nor: r = ~(x | y); break;
    case INDEX_op_not: r = ~x; break;
    case INDEX_op_div:
    case INDEX_op_rem: {
        int64_t a = sx(is64, x), b = sx(is64, y);
        if (b == 0 || (b == -1 && a == (is64 ? INT64_MIN : INT32_MIN))) {
            return false;
        }
        r = (uint64_t)(opc == INDEX_op_div ? a / b : a % b);
        break;
    }
    case INDEX_op_divu:
    case INDEX_op_remu:
        if (y == 0) {
            return false;
        }
        r = opc == INDEX_op_divu ? x / y : x % y;
        break;
    case INDEX_op_muluh:
        if (is64) {
            ref_mulu128(x, y, &lo, &r);
        } else {
            r = (x * y) >> 32;
        }
        break;
    case INDEX_op_mulsh:
        if (is64) {
            ref_muls128(x, y, &lo, &r);
        } else {
            r = (uint64_t)((int64_t)sx(0, x) * sx(0, y)) >> 32;
        }
        break;
    case INDEX_op_shl: r = x << (y % w); break;
    case INDEX_op_shr: r = x >> (y % w); break;
    case INDEX_op_sar:
        n = y % w;
        r = x >> n;
        if (sx(is64, x) < 0) {
            r |= ~(m >> n);
        }
        break;
    case INDEX_op_rotl:
    case INDEX_op_rotr:
        n = y % w;
        r = x;
        for (unsigned i = 0; i < n; i++) {
            if (opc == INDEX_op_rotl) {
                r = ((r << 1) | (r >> (w - 1))) & m;
            } else {
                r = (r >> 1) | ((r & 1) << (w - 1));
            }
        }
        break;
    case INDEX_op_ext8s: r = ref_sext(x, 8, m); break;
    case INDEX_op_ext16s: r = ref_sext(x, 16, m); break;
    case INDEX_op_ext32s: r = ref_sext(x, 32, m); break;
    case INDEX_op_ext8u: r = x & 0xff; break;
    case INDEX_op_ext16u: r = x & 0xffff; break;
    case INDEX_op_ext32u: r = x & 0xffffffff; break;
    case INDEX_op_ext_i32_i64: r = ref_sext(in[0], 32, ~0ull); break;
    case INDEX_op_extu_i32_i64: r = in[0] & 0xffffffff; break;
    case INDEX_op_extrl_i64_i32: r = in[0] & 0xffffffff; break;
    case INDEX_op_extrh_i64_i32: r = in[0] >> 32; break;
    case INDEX_op_extract: r = (x >> c[0]) & field_mask(c[1]); break;
    case INDEX_op_sextract: r = ref_sext(x >> c[0], c[1], m); break;
    case INDEX_op_deposit: {
        uint64_t fm = field_mask(c[1]) << c[0];
        r = (x & ~fm) | ((y << c[0]) & fm);
        break;
    }
    case INDEX_op_extract2:
        n = c[0];
        r = x;
        for (unsigned i = 0; i < n; i++) {
            r = (r >> 1) | ((y >> i & 1) << (w - 1));
        }
        break;
    case INDEX_op_bswap16:
    case INDEX_op_bswap32:
    case INDEX_op_bswap64:
        n = opc == INDEX_op_bswap16 ? 2 : opc == INDEX_op_bswap32 ? 4 : 8;
        r = ref_bswap(x, n);
        if ((c[0] & TCG_BSWAP_OS) && n * 8 < w) {
            r = ref_sext(r, n * 8, m);
        }
        break;
    case INDEX_op_clz:
        if (x == 0) {
            r = y;
        } else {
            for (r = 0; !(x >> (w - 1 - r) & 1); r++) {
            }
        }
        break;
    case INDEX_op_ctz:
        if (x == 0) {
            r = y;
        } else {
            for (r = 0; !(x >> r & 1); r++) {
            }
        }
        break;
    case INDEX_op_ctpop:
        for (unsigned i = 0; i < w; i++) {
            r += x >> i & 1;
        }
        break;
    case INDEX_op_setcond:
        r = ref_cond(is64, x, y, (TCGCond)c[0]);
        break;
    case INDEX_op_negsetcond:
        r = -(uint64_t)ref_cond(is64, x, y, (TCGCond)c[0]);
        break;
    case INDEX_op_movcond:
        r = ref_cond(is64, x, y, (TCGCond)c[0]) ? in[2] : in[3];
        break;
    default:
        fail_msg("no reference for %s", tcg_op_defs[opc].name);
    }
    *out = r & m;
    return true;
}

/* (lo, hi) of add2/sub2 (in: al, ah, bl, bh) and mulu2/muls2 (in: a, b) */
static void ref_eval2(TCGOpcode opc, bool is64, const uint64_t *in,
                      uint64_t *lo, uint64_t *hi)
{
    uint64_t m = wmask(is64);
    uint64_t x = in[0] & m, y = in[1] & m;

    switch (opc) {
    case INDEX_op_add2:
    case INDEX_op_sub2: {
        uint64_t al = in[0] & m, ah = in[1] & m;
        uint64_t bl = in[2] & m, bh = in[3] & m;
        if (opc == INDEX_op_add2) {
            *lo = (al + bl) & m;
            *hi = ah + bh + (*lo < al);
        } else {
            *lo = (al - bl) & m;
            *hi = ah - bh - (al < bl);
        }
        break;
    }
    case INDEX_op_mulu2:
        if (is64) {
            ref_mulu128(x, y, lo, hi);
        } else {
            *lo = x * y;
            *hi = *lo >> 32;
        }
        break;
    default:
        if (is64) {
            ref_muls128(x, y, lo, hi);
        } else {
            *lo = (uint64_t)(sx(0, x) * sx(0, y));
            *hi = *lo >> 32;
        }
        break;
    }
    *lo &= m;
    *hi &= m;
}

static const uint64_t edge_values[] = {
    0, 1, 2, 3, 5, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65,
    0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~1ull, ~2ull,
    0x123456789abcdef0ull, 0xfedcba9876543210ull, 0x00ff00ff00ff00ffull,
    0x8000000080000000ull,
};

#define NB_RANDOM 8
static uint64_t values[ARRAY_SIZE(edge_values) + NB_RANDOM];
static unsigned nb_values;

static void init_values(void)
{
    uint64_t seed = 0x2545f4914f6cdd1dull;    /* fixed: deterministic */

    nb_values = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(edge_values); i++) {
        values[nb_values++] = edge_values[i];
    }
    for (unsigned i = 0; i < NB_RANDOM; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        values[nb_values++] = seed;
    }
}

static unsigned nb_folds;

/*
 * Emit one op with constant inputs, optimize, and check it became
 * "mov out, $ref" (or stayed, where the result is undefined).
 */
static void check_fold(TCGOpcode opc, TCGType type, TCGType in_type,
                       const uint64_t *in, const TCGArg *cargs)
{
    const TCGOpDef *def = &tcg_op_defs[opc];
    bool is64 = type == TCG_TYPE_I64;
    TCGOp *op;
    TCGTemp *out;
    uint64_t expect, got;
    bool defined;
    unsigned i;

    start();
    out = tcg_temp_new_internal(type, TEMP_EBB);
    op = tcg_emit_op(opc, type, def->nb_args);
    op->args[0] = temp_arg(out);
    for (i = 0; i < def->nb_iargs; i++) {
        op->args[1 + i] = temp_arg(tcg_constant_internal(in_type, in[i]));
    }
    for (i = 0; i < def->nb_cargs; i++) {
        op->args[1 + def->nb_iargs + i] = cargs[i];
    }
    defined = ref_eval(opc, is64, in, cargs, &expect);
    tcg_optimize(s);

    op = TAILQ_FIRST(&s->ops);
    assert_int_equal(s->nb_ops, 1);
    if (!defined) {
        assert_int_equal(op->opc, opc);
        return;
    }
    if (op->opc != INDEX_op_mov || arg_temp(op->args[1])->kind != TEMP_CONST) {
        fail_msg("%s_%s not folded", def->name, is64 ? "i64" : "i32");
    }
    assert_ptr_equal(arg_temp(op->args[0]), out);
    got = (uint64_t)arg_temp(op->args[1])->val;
    if (!is64 && (int64_t)got != (int32_t)got) {
        fail_msg("%s_i32: constant not sign-extended", def->name);
    }
    if ((got & wmask(is64)) != expect) {
        fail_msg("%s_%s(0x%" PRIx64 ", 0x%" PRIx64 ") cargs %lu,%lu: "
                 "got 0x%" PRIx64 ", expected 0x%" PRIx64, def->name,
                 is64 ? "i64" : "i32", in[0], in[1],
                 def->nb_cargs ? (unsigned long)cargs[0] : 0ul,
                 def->nb_cargs > 1 ? (unsigned long)cargs[1] : 0ul,
                 got, expect);
    }
    nb_folds++;
}

static void test_fold_unary(void **state)
{
    static const TCGOpcode ops[] = {
        INDEX_op_neg, INDEX_op_not, INDEX_op_ext8s, INDEX_op_ext8u,
        INDEX_op_ext16s, INDEX_op_ext16u, INDEX_op_ctpop, INDEX_op_mov,
    };
    static const TCGArg bswap_flags[] = {
        0, TCG_BSWAP_OS, TCG_BSWAP_IZ | TCG_BSWAP_OZ, TCG_BSWAP_OZ,
    };

    init_values();
    for (unsigned v = 0; v < nb_values; v++) {
        uint64_t in[2] = { values[v], 0 };
        for (int t = 0; t < 2; t++) {
            TCGType type = t ? TCG_TYPE_I64 : TCG_TYPE_I32;
            for (unsigned i = 0; i < ARRAY_SIZE(ops); i++) {
                if (ops[i] == INDEX_op_mov) {
                    continue;
                }
                check_fold(ops[i], type, type, in, NULL);
            }
            for (unsigned f = 0; f < ARRAY_SIZE(bswap_flags); f++) {
                check_fold(INDEX_op_bswap16, type, type, in, &bswap_flags[f]);
                check_fold(INDEX_op_bswap32, type, type, in, &bswap_flags[f]);
            }
        }
        check_fold(INDEX_op_ext32s, TCG_TYPE_I64, TCG_TYPE_I64, in, NULL);
        check_fold(INDEX_op_ext32u, TCG_TYPE_I64, TCG_TYPE_I64, in, NULL);
        check_fold(INDEX_op_bswap64, TCG_TYPE_I64, TCG_TYPE_I64, in,
                   &bswap_flags[0]);
        check_fold(INDEX_op_ext_i32_i64, TCG_TYPE_I64, TCG_TYPE_I32, in,
                   NULL);
        check_fold(INDEX_op_extu_i32_i64, TCG_TYPE_I64, TCG_TYPE_I32, in,
                   NULL);
        check_fold(INDEX_op_extrl_i64_i32, TCG_TYPE_I32, TCG_TYPE_I64, in,
                   NULL);
        check_fold(INDEX_op_extrh_i64_i32, TCG_TYPE_I32, TCG_TYPE_I64, in,
                   NULL);
    }
}

static void test_fold_binary(void **state)
{
    static const TCGOpcode ops[] = {
        INDEX_op_add, INDEX_op_sub, INDEX_op_mul, INDEX_op_div,
        INDEX_op_divu, INDEX_op_rem, INDEX_op_remu, INDEX_op_muluh,
        INDEX_op_mulsh, INDEX_op_and, INDEX_op_or, INDEX_op_xor,
        INDEX_op_andc, INDEX_op_orc, INDEX_op_eqv, INDEX_op_nand,
        INDEX_op_nor, INDEX_op_shl, INDEX_op_shr, INDEX_op_sar,
        INDEX_op_rotl, INDEX_op_rotr, INDEX_op_clz, INDEX_op_ctz,
    };

    init_values();
    nb_folds = 0;
    for (unsigned a = 0; a < nb_values; a++) {
        for (unsigned b = 0; b < nb_values; b++) {
            uint64_t in[2] = { values[a], values[b] };
            for (int t = 0; t < 2; t++) {
                TCGType type = t ? TCG_TYPE_I64 : TCG_TYPE_I32;
                for (unsigned i = 0; i < ARRAY_SIZE(ops); i++) {
                    check_fold(ops[i], type, type, in, NULL);
                }
            }
        }
    }
    /* most pairs have a defined result */
    assert_true(nb_folds > nb_values * nb_values * 2 * 20);
}

static void test_fold_compare(void **state)
{
    static const TCGCond conds[] = {
        TCG_COND_EQ, TCG_COND_NE, TCG_COND_LT, TCG_COND_GE, TCG_COND_LE,
        TCG_COND_GT, TCG_COND_LTU, TCG_COND_GEU, TCG_COND_LEU, TCG_COND_GTU,
    };

    init_values();
    for (unsigned a = 0; a < nb_values; a++) {
        for (unsigned b = 0; b < nb_values; b++) {
            uint64_t in[4] = { values[a], values[b], 0x1111, 0x2222 };
            for (int t = 0; t < 2; t++) {
                TCGType type = t ? TCG_TYPE_I64 : TCG_TYPE_I32;
                for (unsigned c = 0; c < ARRAY_SIZE(conds); c++) {
                    TCGArg carg = conds[c];
                    check_fold(INDEX_op_setcond, type, type, in, &carg);
                    check_fold(INDEX_op_negsetcond, type, type, in, &carg);
                    check_fold(INDEX_op_movcond, type, type, in, &carg);
                }
            }
        }
    }
}

static void test_fold_bitfields(void **state)
{
    static const unsigned pos[] = { 0, 1, 7, 8, 15, 16, 31, 32, 33, 48, 63 };
    static const unsigned len[] = { 1, 2, 7, 8, 16, 31, 32, 33, 63, 64 };

    init_values();
    for (unsigned a = 0; a < nb_values; a += 3) {
        for (unsigned b = 1; b < nb_values; b += 5) {
            uint64_t in[2] = { values[a], values[b] };
            for (int t = 0; t < 2; t++) {
                TCGType type = t ? TCG_TYPE_I64 : TCG_TYPE_I32;
                unsigned w = t ? 64 : 32;
                for (unsigned p = 0; p < ARRAY_SIZE(pos); p++) {
                    for (unsigned l = 0; l < ARRAY_SIZE(len); l++) {
                        TCGArg c[2] = { pos[p], len[l] };
                        if (pos[p] + len[l] > w) {
                            continue;
                        }
                        check_fold(INDEX_op_extract, type, type, in, c);
                        check_fold(INDEX_op_sextract, type, type, in, c);
                        check_fold(INDEX_op_deposit, type, type, in, c);
                    }
                }
                for (unsigned p = 0; p < w; p++) {
                    TCGArg c = p;
                    check_fold(INDEX_op_extract2, type, type, in, &c);
                }
            }
        }
    }
}

/* The two-output ops: fold into two moves */
static void test_fold_double(void **state)
{
    static const TCGOpcode ops[] = {
        INDEX_op_add2, INDEX_op_sub2, INDEX_op_mulu2, INDEX_op_muls2,
    };

    init_values();
    for (unsigned a = 0; a < nb_values; a += 2) {
        for (unsigned b = 0; b < nb_values; b += 2) {
            for (int t = 0; t < 2; t++) {
                TCGType type = t ? TCG_TYPE_I64 : TCG_TYPE_I32;
                bool is64 = t;
                uint64_t m = wmask(is64);
                for (unsigned i = 0; i < ARRAY_SIZE(ops); i++) {
                    TCGOpcode opc = ops[i];
                    const TCGOpDef *def = &tcg_op_defs[opc];
                    uint64_t in[4] = { values[a], values[b],
                                       values[(a + b) % nb_values],
                                       values[(a * 7 + b) % nb_values] };
                    uint64_t lo, hi;
                    TCGTemp *rl, *rh;
                    TCGOp *op;

                    start();
                    rl = tcg_temp_new_internal(type, TEMP_EBB);
                    rh = tcg_temp_new_internal(type, TEMP_EBB);
                    op = tcg_emit_op(opc, type, def->nb_args);
                    op->args[0] = temp_arg(rl);
                    op->args[1] = temp_arg(rh);
                    for (unsigned k = 0; k < def->nb_iargs; k++) {
                        op->args[2 + k] =
                            temp_arg(tcg_constant_internal(type, in[k]));
                    }
                    ref_eval2(opc, is64, in, &lo, &hi);

                    tcg_optimize(s);
                    assert_int_equal(s->nb_ops, 2);
                    op = TAILQ_FIRST(&s->ops);
                    assert_int_equal(op->opc, INDEX_op_mov);
                    assert_ptr_equal(arg_temp(op->args[0]), rl);
                    assert_true(((uint64_t)arg_temp(op->args[1])->val & m)
                                == lo);
                    op = TAILQ_NEXT(op, link);
                    assert_int_equal(op->opc, INDEX_op_mov);
                    assert_ptr_equal(arg_temp(op->args[0]), rh);
                    assert_true(((uint64_t)arg_temp(op->args[1])->val & m)
                                == hi);
                }
            }
        }
    }
}

/* ---- Random programs: the same results before and after the passes ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned rndn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

#define RP_LOCALS 4
#define RP_LABELS 6

typedef struct RandProg {
    TCGTemp *pool[2][2 + RP_LOCALS];    /* [is64]: globals, then locals */
    TCGLabel *labels[RP_LABELS];
    int next_label;
} RandProg;

static uint64_t rnd_value(void)
{
    return rndn(3) ? values[rndn(nb_values)] : rndn(70);
}

static TCGTemp *rp_in(RandProg *p, bool is64)
{
    if (rndn(5) == 0) {
        return tcg_constant_internal(is64 ? TCG_TYPE_I64 : TCG_TYPE_I32,
                                     rnd_value());
    }
    return p->pool[is64][rndn(2 + RP_LOCALS)];
}

static TCGTemp *rp_out(RandProg *p, bool is64)
{
    return p->pool[is64][rndn(2 + RP_LOCALS)];
}

static void rp_emit_op(RandProg *p)
{
    static const TCGOpcode binops[] = {
        INDEX_op_add, INDEX_op_sub, INDEX_op_mul, INDEX_op_div,
        INDEX_op_divu, INDEX_op_rem, INDEX_op_remu, INDEX_op_muluh,
        INDEX_op_mulsh, INDEX_op_and, INDEX_op_or, INDEX_op_xor,
        INDEX_op_andc, INDEX_op_orc, INDEX_op_eqv, INDEX_op_nand,
        INDEX_op_nor, INDEX_op_shl, INDEX_op_shr, INDEX_op_sar,
        INDEX_op_rotl, INDEX_op_rotr, INDEX_op_clz, INDEX_op_ctz,
    };
    static const TCGOpcode unops[] = {
        INDEX_op_neg, INDEX_op_not, INDEX_op_ext8s, INDEX_op_ext8u,
        INDEX_op_ext16s, INDEX_op_ext16u, INDEX_op_ctpop, INDEX_op_mov,
        INDEX_op_bswap16, INDEX_op_bswap32,
    };
    static const TCGCond conds[] = {
        TCG_COND_EQ, TCG_COND_NE, TCG_COND_LT, TCG_COND_GE, TCG_COND_LE,
        TCG_COND_GT, TCG_COND_LTU, TCG_COND_GEU, TCG_COND_LEU, TCG_COND_GTU,
    };
    bool is64 = rndn(2);
    TCGType type = is64 ? TCG_TYPE_I64 : TCG_TYPE_I32;
    unsigned w = is64 ? 64 : 32;
    unsigned kind = rndn(20);
    TCGOp *op;

    if (kind < 7) {
        TCGTemp *a = rp_in(p, is64);
        TCGTemp *b = rndn(6) ? rp_in(p, is64) : a;
        op = emit(binops[rndn(ARRAY_SIZE(binops))], type, 3,
                  rp_out(p, is64), a, b);
    } else if (kind < 10) {
        TCGOpcode opc = unops[rndn(ARRAY_SIZE(unops))];
        op = emit(opc, type, tcg_op_defs[opc].nb_args, rp_out(p, is64),
                  rp_in(p, is64), NULL);
        if (tcg_op_defs[opc].nb_cargs) {
            op->args[2] = rndn(8);
        }
    } else if (kind < 11) {
        /* mov and movi feed the copy and constant tracking */
        emit(INDEX_op_mov, type, 2, rp_out(p, is64),
             rndn(2) ? rp_in(p, is64)
                     : tcg_constant_internal(type, rnd_value()), NULL);
    } else if (kind < 12) {
        switch (rndn(4)) {
        case 0:
            emit(INDEX_op_ext_i32_i64, TCG_TYPE_I64, 2, rp_out(p, true),
                 rp_in(p, false), NULL);
            break;
        case 1:
            emit(INDEX_op_extu_i32_i64, TCG_TYPE_I64, 2, rp_out(p, true),
                 rp_in(p, false), NULL);
            break;
        case 2:
            emit(INDEX_op_extrl_i64_i32, TCG_TYPE_I32, 2, rp_out(p, false),
                 rp_in(p, true), NULL);
            break;
        default:
            emit(INDEX_op_extrh_i64_i32, TCG_TYPE_I32, 2, rp_out(p, false),
                 rp_in(p, true), NULL);
            break;
        }
    } else if (kind < 14) {
        unsigned len = 1 + rndn(w), pos = rndn(w - len + 1);
        switch (rndn(4)) {
        case 0:
        case 1:
            op = emit(rndn(2) ? INDEX_op_extract : INDEX_op_sextract, type,
                      4, rp_out(p, is64), rp_in(p, is64), NULL);
            op->args[2] = pos;
            op->args[3] = len;
            break;
        case 2:
            op = emit(INDEX_op_deposit, type, 5, rp_out(p, is64),
                      rp_in(p, is64), rp_in(p, is64));
            op->args[3] = pos;
            op->args[4] = len;
            break;
        default:
            op = emit(INDEX_op_extract2, type, 4, rp_out(p, is64),
                      rp_in(p, is64), rp_in(p, is64));
            op->args[3] = rndn(w);
            break;
        }
    } else if (kind < 16) {
        TCGTemp *a = rp_in(p, is64);
        TCGTemp *b = rndn(5) ? rp_in(p, is64) : a;
        TCGCond c = conds[rndn(ARRAY_SIZE(conds))];
        if (rndn(3)) {
            op = emit(rndn(2) ? INDEX_op_setcond : INDEX_op_negsetcond,
                      type, 4, rp_out(p, is64), a, b);
            op->args[3] = c;
        } else {
            op = tcg_emit_op(INDEX_op_movcond, type, 6);
            op->args[0] = temp_arg(rp_out(p, is64));
            op->args[1] = temp_arg(a);
            op->args[2] = temp_arg(b);
            op->args[3] = temp_arg(rp_in(p, is64));
            op->args[4] = temp_arg(rp_in(p, is64));
            op->args[5] = c;
        }
    } else if (kind < 17) {
        static const TCGOpcode dops[] = {
            INDEX_op_add2, INDEX_op_sub2, INDEX_op_mulu2, INDEX_op_muls2,
        };
        TCGOpcode opc = dops[rndn(4)];
        unsigned ni = tcg_op_defs[opc].nb_iargs;
        TCGTemp *lo = rp_out(p, is64), *hi;
        do {
            hi = rp_out(p, is64);
        } while (hi == lo);
        op = tcg_emit_op(opc, type, 2 + ni);
        op->args[0] = temp_arg(lo);
        op->args[1] = temp_arg(hi);
        for (unsigned i = 0; i < ni; i++) {
            op->args[2 + i] = temp_arg(rp_in(p, is64));
        }
    } else if (kind < 19) {
        /* forward branches only, so that every program ends */
        if (p->next_label < RP_LABELS) {
            TCGLabel *l = p->labels[p->next_label + rndn(RP_LABELS -
                                                         p->next_label)];
            if (rndn(4)) {
                op = emit(INDEX_op_brcond, type, 2, rp_in(p, is64),
                          rp_in(p, is64), NULL);
                op->nargs = 4;
                op->args[2] = conds[rndn(ARRAY_SIZE(conds))];
                op->args[3] = label_arg(l);
            } else {
                op = tcg_emit_op(INDEX_op_br, TCG_TYPE_I64, 1);
                op->args[0] = label_arg(l);
            }
        }
    } else if (p->next_label < RP_LABELS) {
        op = tcg_emit_op(INDEX_op_set_label, TCG_TYPE_I64, 1);
        op->args[0] = label_arg(p->labels[p->next_label++]);
    }
}

static TCGOp *find_label(TCGLabel *l)
{
    TCGOp *op;

    TAILQ_FOREACH(op, &s->ops, link) {
        if (op->opc == INDEX_op_set_label && arg_label(op->args[0]) == l) {
            return op;
        }
    }
    fail_msg("branch to a label that is not there");
    return NULL;
}

/* Run the ops with the reference semantics; undefined results are 0 */
static void run_ops(uint64_t *v)
{
    TCGOp *op = TAILQ_FIRST(&s->ops);
    int steps = 0;

    for (int i = 0; i < s->nb_temps; i++) {
        TCGTemp *ts = &s->temps[i];
        if (ts->kind == TEMP_CONST) {
            v[i] = (uint64_t)ts->val & wmask(ts->type == TCG_TYPE_I64);
        }
    }
    while (op) {
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        bool is64 = op->type == TCG_TYPE_I64;
        uint64_t in[6], lo, hi;

        assert_true(++steps < 100000);
        for (unsigned i = 0; i < def->nb_iargs; i++) {
            in[i] = v[temp_idx(s, arg_temp(op->args[def->nb_oargs + i]))];
        }
        switch (op->opc) {
        case INDEX_op_insn_start:
        case INDEX_op_set_label:
            break;
        case INDEX_op_exit_tb:
            return;
        case INDEX_op_br:
            op = find_label(arg_label(op->args[0]));
            continue;
        case INDEX_op_brcond:
            if (ref_cond(is64, in[0] & wmask(is64), in[1] & wmask(is64),
                         (TCGCond)op->args[2])) {
                op = find_label(arg_label(op->args[3]));
                continue;
            }
            break;
        case INDEX_op_mov:
            v[temp_idx(s, arg_temp(op->args[0]))] = in[0] & wmask(is64);
            break;
        case INDEX_op_add2:
        case INDEX_op_sub2:
        case INDEX_op_mulu2:
        case INDEX_op_muls2:
            ref_eval2(op->opc, is64, in, &lo, &hi);
            v[temp_idx(s, arg_temp(op->args[0]))] = lo;
            v[temp_idx(s, arg_temp(op->args[1]))] = hi;
            break;
        default:
            if (!ref_eval(op->opc, is64, in,
                          &op->args[def->nb_oargs + def->nb_iargs], &lo)) {
                lo = 0;
            }
            v[temp_idx(s, arg_temp(op->args[0]))] = lo;
            break;
        }
        op = TAILQ_NEXT(op, link);
    }
}

static void test_random_programs(void **state)
{
    static uint64_t init[TCG_MAX_TEMPS], v0[TCG_MAX_TEMPS];
    static uint64_t v1[TCG_MAX_TEMPS], v2[TCG_MAX_TEMPS];
    TCGTemp *globals[2][2] = {
        { tcgv_i32_temp(ecx), tcgv_i32_temp(edx) }, { T(rax), T(rbx) },
    };

    init_values();
    rng = 0x9e3779b97f4a7c15ull;
    for (int prog = 0; prog < 3000; prog++) {
        RandProg p;
        int nb_orig;
        char *before;

        start();
        memset(&p, 0, sizeof(p));
        for (int t = 0; t < 2; t++) {
            p.pool[t][0] = globals[t][0];
            p.pool[t][1] = globals[t][1];
            for (int i = 0; i < RP_LOCALS; i++) {
                p.pool[t][2 + i] = tcg_temp_new_internal(
                    t ? TCG_TYPE_I64 : TCG_TYPE_I32, TEMP_TB);
                /* every local is written before anything reads it */
                emit(INDEX_op_mov, t ? TCG_TYPE_I64 : TCG_TYPE_I32, 2,
                     p.pool[t][2 + i],
                     tcg_constant_internal(t ? TCG_TYPE_I64 : TCG_TYPE_I32,
                                           rnd_value()), NULL);
            }
        }
        for (int i = 0; i < RP_LABELS; i++) {
            p.labels[i] = gen_new_label();
        }
        for (int n = 10 + rndn(40); n > 0; n--) {
            rp_emit_op(&p);
        }
        while (p.next_label < RP_LABELS) {
            TCGOp *op = tcg_emit_op(INDEX_op_set_label, TCG_TYPE_I64, 1);
            op->args[0] = label_arg(p.labels[p.next_label++]);
        }
        tcg_emit_op(INDEX_op_exit_tb, TCG_TYPE_I64, 1);

        nb_orig = s->nb_temps;
        for (int i = 0; i < s->nb_globals; i++) {
            init[i] = rnd_value();
            if (s->temps[i].type == TCG_TYPE_I32) {
                init[i] &= 0xffffffff;
            }
        }
        before = dump_ops();
        memcpy(v0, init, sizeof(init));
        run_ops(v0);

        tcg_optimize(s);
        memcpy(v1, init, sizeof(init));
        run_ops(v1);
        for (int i = 1; i < nb_orig; i++) {
            if (s->temps[i].kind != TEMP_CONST && v0[i] != v1[i]) {
                char *after = dump_ops();
                fprintf(stderr, "program %d, temp %d: 0x%" PRIx64
                        " before, 0x%" PRIx64 " after optimizing\n%s\n---\n%s",
                        prog, i, v0[i], v1[i], before, after);
                free(after);
                fail();
            }
        }

        tcg_liveness(s);
        memcpy(v2, init, sizeof(init));
        run_ops(v2);
        for (int i = 1; i < s->nb_globals; i++) {
            if (v0[i] != v2[i]) {
                fprintf(stderr, "program %d, global %d differs after "
                        "liveness\n%s", prog, i, before);
                fail();
            }
        }
        free(before);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_chain),
        cmocka_unit_test(test_copy_propagation),
        cmocka_unit_test(test_const_operand_order),
        cmocka_unit_test(test_identities),
        cmocka_unit_test(test_logic_with_constants),
        cmocka_unit_test(test_double_not_neg),
        cmocka_unit_test(test_shifts_by_zero),
        cmocka_unit_test(test_compare_rules),
        cmocka_unit_test(test_known_bits),
        cmocka_unit_test(test_no_fold_undefined),
        cmocka_unit_test(test_double_ops),
        cmocka_unit_test(test_clz_partial),
        cmocka_unit_test(test_brcond_known),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_jump_to_next),
        cmocka_unit_test(test_raw_branch_refs),
        cmocka_unit_test(test_knowledge_across_blocks),
        cmocka_unit_test(test_calls_and_globals),
        cmocka_unit_test(test_fold_unary),
        cmocka_unit_test(test_fold_binary),
        cmocka_unit_test(test_fold_compare),
        cmocka_unit_test(test_fold_bitfields),
        cmocka_unit_test(test_fold_double),
        cmocka_unit_test(test_random_programs),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
