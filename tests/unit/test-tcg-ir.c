/* Unit tests for the TCG IR builder and printer (tcg/tcg.c, tcg-op.c, dump.c). */
#include "emu/osdep.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "exec/translation-block.h"
#include "emu/log.h"
#include <setjmp.h>
#include <cmocka.h>

/* A back end that generates nothing: these tests stop before codegen */
static bool null_init(TCGContext *s, Error **errp)
{
    return true;
}

static int null_gen_code(TCGContext *s, TranslationBlock *tb)
{
    return 0;
}

static const TCGBackend null_backend = {
    .name = "null",
    .init = null_init,
    .gen_code = null_gen_code,
};

typedef struct TestEnv {
    uint64_t rax, rbx;
    uint32_t eflags;
} TestEnv;

typedef struct Fixture {
    TCGContext *s;
    TCGv_ptr env;
    TCGv_i64 rax, rbx;
    TCGv_i32 eflags;
} Fixture;

static int setup(void **state)
{
    Fixture *f = emu_new0(Fixture, 1);
    Error *err = NULL;

    f->s = tcg_context_new(&null_backend, 1 * MiB, &err);
    assert_null(err);
    assert_non_null(f->s);
    f->env = tcg_global_env(f->s, "env");
    f->rax = tcg_global_mem_new_i64(f->env, offsetof(TestEnv, rax), "rax");
    f->rbx = tcg_global_mem_new_i64(f->env, offsetof(TestEnv, rbx), "rbx");
    f->eflags = tcg_global_mem_new_i32(f->env, offsetof(TestEnv, eflags),
                                       "eflags");
    tcg_func_start(f->s);
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

static char *dump_ops(TCGContext *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    tcg_dump_ops(s, f, false);
    fclose(f);
    return buf;
}

static void assert_dump(TCGContext *s, const char *expected)
{
    char *got = dump_ops(s);

    if (strcmp(got, expected) != 0) {
        fprintf(stderr, "expected:\n%s\ngot:\n%s\n", expected, got);
    }
    assert_string_equal(got, expected);
    free(got);
}

static TCGOp *last_op(TCGContext *s)
{
    return TAILQ_LAST(&s->ops, TCGOpHead);
}

static TCGOp *first_op(TCGContext *s)
{
    return TAILQ_FIRST(&s->ops);
}

/* ---- Context and code buffer ---- */

static void test_context(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    const TCGTemp *env = tcgv_ptr_temp(f->env);
    const TCGTemp *rax = tcgv_i64_temp(f->rax);

    assert_ptr_equal(tcg_ctx, s);
    assert_int_equal(s->nb_globals, 4);
    assert_int_equal(s->nb_temps, 4);
    assert_ptr_equal(s->env, env);
    assert_int_equal(env->kind, TEMP_FIXED);
    assert_int_equal(env->type, TCG_TYPE_PTR);
    assert_int_equal(rax->kind, TEMP_GLOBAL);
    assert_int_equal(rax->type, TCG_TYPE_I64);
    assert_ptr_equal(rax->mem_base, env);
    assert_int_equal(rax->mem_offset, offsetof(TestEnv, rax));
    assert_string_equal(rax->name, "rax");
    assert_int_equal(tcgv_i32_temp(f->eflags)->type, TCG_TYPE_I32);
    assert_true(TAILQ_EMPTY(&s->ops));
    assert_int_equal(s->nb_ops, 0);
    assert_ptr_equal(s->backend, &null_backend);
}

static void test_code_buffer_wx(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    uint8_t *rw = s->code_gen_buffer;
    const uint8_t *rx;

    assert_non_null(rw);
    assert_true(s->code_gen_buffer_size >= 1 * MiB);
    assert_ptr_equal(s->code_ptr, rw);     /* null back end: no prologue */
    assert_true(s->code_gen_highwater > rw);
    assert_true(s->code_gen_highwater < rw + s->code_gen_buffer_size);
    /* both views show the same bytes (one mapping if memfd is missing) */
    rw[100] = 0x5a;
    rx = tcg_splitwx_to_rx(s, rw + 100);
    assert_int_equal(*rx, 0x5a);
    assert_ptr_equal(tcg_splitwx_to_rw(s, rx), rw + 100);
    assert_null(tcg_splitwx_to_rx(s, NULL));
    s->code_ptr += 64;
    tcg_code_buffer_reset(s);
    assert_ptr_equal(s->code_ptr, rw);
}

static void test_default_backend(void **state)
{
    const TCGBackend *b = tcg_default_backend();

    assert_non_null(b);
#if defined(__x86_64__)
    assert_ptr_equal(b, &tcg_backend_native);
#else
    assert_ptr_equal(b, &tcg_backend_interp);
#endif
}

static void test_cond_helpers(void **state)
{
    assert_string_equal(tcg_cond_name(TCG_COND_EQ), "eq");
    assert_string_equal(tcg_cond_name(TCG_COND_GEU), "geu");
    assert_string_equal(tcg_cond_name(TCG_COND_ALWAYS), "always");
    assert_int_equal(tcg_invert_cond(TCG_COND_LT), TCG_COND_GE);
    assert_int_equal(tcg_invert_cond(TCG_COND_LEU), TCG_COND_GTU);
    assert_int_equal(tcg_swap_cond(TCG_COND_LT), TCG_COND_GT);
    assert_int_equal(tcg_swap_cond(TCG_COND_GEU), TCG_COND_LEU);
    assert_int_equal(tcg_swap_cond(TCG_COND_EQ), TCG_COND_EQ);
    assert_int_equal(tcg_swap_cond(TCG_COND_NE), TCG_COND_NE);
}

static void test_op_table(void **state)
{
    const TCGOpDef *d = &tcg_op_defs[INDEX_op_add];

    assert_string_equal(d->name, "add");
    assert_int_equal(d->nb_oargs, 1);
    assert_int_equal(d->nb_iargs, 2);
    assert_int_equal(d->nb_args, 3);
    d = &tcg_op_defs[INDEX_op_movcond];
    assert_int_equal(d->nb_args, 6);
    d = &tcg_op_defs[INDEX_op_brcond];
    assert_true(d->flags & TCG_OPF_COND_BRANCH);
    assert_int_equal(d->nb_args, 4);
    for (int i = 0; i < NB_OPS; i++) {
        assert_non_null(tcg_op_defs[i].name);
        assert_true(tcg_op_defs[i].nb_args <= TCG_MAX_OP_ARGS);
        /* tcg.c clears 8 arguments of every new op but calls */
        assert_true(tcg_op_defs[i].nb_args <= 8);
    }
}

/* ---- Temps ---- */

static void test_temps(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGv_i32 a = tcg_temp_new_i32();
    TCGv_i64 b = tcg_temp_new_i64();
    TCGv_i32 c = tcg_temp_ebb_new_i32();
    TCGv_ptr p = tcg_temp_new_ptr();
    TCGTemp *ta = tcgv_i32_temp(a);

    assert_int_equal(s->nb_temps, 8);
    assert_int_equal(ta->kind, TEMP_TB);
    assert_int_equal(ta->type, TCG_TYPE_I32);
    assert_true(ta->allocated);
    assert_int_equal(tcgv_i64_temp(b)->type, TCG_TYPE_I64);
    assert_int_equal(tcgv_i32_temp(c)->kind, TEMP_EBB);
    assert_int_equal(tcgv_ptr_temp(p)->type, TCG_TYPE_PTR);

    /* a freed slot is reused for the same kind and type only */
    tcg_temp_free_i32(a);
    assert_false(ta->allocated);
    TCGv_i32 d = tcg_temp_ebb_new_i32();        /* other kind */
    assert_ptr_not_equal(d, a);
    TCGv_i64 e = tcg_temp_new_i64();            /* other type */
    assert_ptr_not_equal(tcgv_i64_temp(e), ta);
    TCGv_i32 g = tcg_temp_new_i32();
    assert_ptr_equal(g, a);
    assert_true(ta->allocated);
    assert_int_equal(s->nb_temps, 10);

    /* last freed, first reused */
    TCGv_i32 h = tcg_temp_ebb_new_i32();
    tcg_temp_free_i32(c);
    tcg_temp_free_i32(h);
    assert_ptr_equal(tcg_temp_ebb_new_i32(), h);
    assert_ptr_equal(tcg_temp_ebb_new_i32(), c);

    /* constants ignore frees */
    TCGv_i32 k = tcg_constant_i32(7);
    tcg_temp_free_i32(k);
    assert_ptr_equal(tcg_constant_i32(7), k);

    /* a new TB drops every temp but the globals */
    tcg_func_start(s);
    assert_int_equal(s->nb_temps, s->nb_globals);
    TCGv_i32 n = tcg_temp_new_i32();
    assert_int_equal(temp_idx(s, tcgv_i32_temp(n)), s->nb_globals);
}

static void test_constants(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGTemp *c1 = tcgv_i32_temp(tcg_constant_i32(5));
    TCGTemp *c2 = tcgv_i32_temp(tcg_constant_i32(5));
    TCGTemp *c3 = tcgv_i64_temp(tcg_constant_i64(5));
    TCGTemp *m1 = tcgv_i32_temp(tcg_constant_i32(-1));
    TCGTemp *big = tcgv_i32_temp(tcg_constant_i32((int32_t)0x80000000u));
    TCGTemp *p = tcgv_ptr_temp(tcg_constant_ptr(5));
    int before;

    assert_ptr_equal(c1, c2);
    assert_ptr_not_equal(c1, c3);
    assert_ptr_equal(c3, p);              /* pointers are I64 */
    assert_int_equal(c1->kind, TEMP_CONST);
    assert_int_equal(c1->val, 5);
    assert_int_equal(c3->type, TCG_TYPE_I64);
    /* I32 constants are stored sign-extended */
    assert_true(m1->val == -1);
    assert_true(big->val == INT32_MIN);
    assert_ptr_equal(tcg_constant_internal(TCG_TYPE_I32, 0xffffffffll), m1);
    assert_ptr_not_equal(tcgv_i64_temp(tcg_constant_i64(0xffffffffll)), m1);

    /* many distinct values, each interned once */
    before = s->nb_temps;
    for (int i = 0; i < 300; i++) {
        tcg_constant_i64((int64_t)i << 20);
    }
    assert_int_equal(s->nb_temps, before + 300);
    for (int i = 0; i < 300; i++) {
        TCGTemp *t = tcgv_i64_temp(tcg_constant_i64((int64_t)i << 20));
        assert_true(t->val == (int64_t)i << 20);
    }
    assert_int_equal(s->nb_temps, before + 300);

    /* interning restarts with each TB: no stale temps */
    tcg_func_start(s);
    c1 = tcgv_i32_temp(tcg_constant_i32(5));
    assert_int_equal(temp_idx(s, c1), s->nb_globals);
    assert_int_equal(c1->val, 5);
    assert_int_equal(c1->kind, TEMP_CONST);
}

static void test_temp_overflow(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGTemp *t = NULL;

    for (int i = 0; i < TCG_MAX_TEMPS + 10; i++) {
        t = tcgv_i32_temp(tcg_temp_new_i32());
    }
    assert_true(s->nb_temps < TCG_MAX_TEMPS);
    assert_int_equal(t->type, TCG_TYPE_I32);
    tcg_gen_movi_i32(temp_tcgv_i32(t), 1);      /* still usable */
    /* the TB is reported too large; the engine retries smaller */
    assert_int_equal(tcg_gen_code(s, NULL), -2);
    tcg_func_start(s);
    assert_int_equal(s->nb_temps, s->nb_globals);
}

/* ---- Labels ---- */

static void test_labels(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGLabel *l0 = gen_new_label();
    TCGLabel *l1 = gen_new_label();
    TCGv_i64 t = tcg_temp_new_i64();

    assert_int_equal(l0->id, 0);
    assert_int_equal(l1->id, 1);
    assert_int_equal(s->nb_labels, 2);
    assert_false(l0->present);
    tcg_gen_br(l0);
    tcg_gen_brcondi_i64(TCG_COND_EQ, t, 3, l0);
    tcg_gen_brcondi_i64(TCG_COND_NEVER, t, 3, l1);    /* emits nothing */
    tcg_gen_brcondi_i64(TCG_COND_ALWAYS, t, 3, l1);   /* a br */
    assert_int_equal(l0->refs, 2);
    assert_int_equal(l1->refs, 1);
    assert_int_equal(last_op(s)->opc, INDEX_op_br);
    assert_int_equal(s->nb_ops, 3);
    gen_set_label(l0);
    assert_true(l0->present);
    assert_int_equal(last_op(s)->opc, INDEX_op_set_label);
    assert_ptr_equal(arg_label(last_op(s)->args[0]), l0);

    tcg_func_start(s);
    assert_int_equal(s->nb_labels, 0);
    TCGLabel *l2 = gen_new_label();
    assert_int_equal(l2->id, 0);
    assert_int_equal(l2->refs, 0);
    assert_false(l2->present);
}

/* ---- Op emission ---- */

static void test_op_layout(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGv_i32 a = tcg_temp_new_i32(), b = tcg_temp_new_i32();
    TCGv_i64 x = tcg_temp_new_i64(), y = tcg_temp_new_i64();
    TCGLabel *l = gen_new_label();
    TCGOp *op;

    tcg_gen_add_i32(a, b, f->eflags);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_add);
    assert_int_equal(op->type, TCG_TYPE_I32);
    assert_ptr_equal(arg_temp(op->args[0]), tcgv_i32_temp(a));
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i32_temp(b));
    assert_ptr_equal(arg_temp(op->args[2]), tcgv_i32_temp(f->eflags));
    assert_int_equal(tcg_op_nb_args(op), 3);
    assert_int_equal(op->life, 0);

    tcg_gen_brcond_i64(TCG_COND_LTU, x, y, l);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_brcond);
    assert_int_equal(op->type, TCG_TYPE_I64);
    assert_int_equal(op->args[2], TCG_COND_LTU);
    assert_ptr_equal(arg_label(op->args[3]), l);

    tcg_gen_movcond_i64(TCG_COND_EQ, x, y, f->rax, f->rbx, x);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_movcond);
    assert_ptr_equal(arg_temp(op->args[3]), tcgv_i64_temp(f->rbx));
    assert_ptr_equal(arg_temp(op->args[4]), tcgv_i64_temp(x));
    assert_int_equal(op->args[5], TCG_COND_EQ);

    tcg_gen_deposit_i32(a, a, b, 8, 4);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_deposit);
    assert_int_equal(op->args[3], 8);
    assert_int_equal(op->args[4], 4);

    tcg_gen_extract_i64(x, y, 3, 7);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_extract);
    assert_int_equal(op->args[2], 3);
    assert_int_equal(op->args[3], 7);

    tcg_gen_ld16s_i64(x, f->env, -24);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_ld16s);
    assert_ptr_equal(arg_temp(op->args[1]), s->env);
    assert_true((intptr_t)op->args[2] == -24);

    tcg_gen_st8_i32(a, f->env, 12);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_st8);
    assert_ptr_equal(arg_temp(op->args[0]), tcgv_i32_temp(a));
    assert_ptr_equal(arg_temp(op->args[1]), s->env);
    assert_int_equal(op->args[2], 12);

    tcg_gen_ext_i32_i64(x, a);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_ext_i32_i64);
    assert_int_equal(op->type, TCG_TYPE_I64);
    tcg_gen_extrh_i64_i32(a, x);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_extrh_i64_i32);
    assert_int_equal(op->type, TCG_TYPE_I32);

    tcg_gen_add2_i64(x, y, f->rax, f->rbx, x, y);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_add2);
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i64_temp(y));
    assert_ptr_equal(arg_temp(op->args[5]), tcgv_i64_temp(y));

    tcg_gen_insn_start(0x401000, 7, 9);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_insn_start);
    assert_int_equal(op->args[0], 0x401000);
    assert_int_equal(op->args[2], 9);

    TranslationBlock *tb = emu_new0(TranslationBlock, 1);
    tcg_gen_exit_tb(tb, TB_EXIT_IDX1);
    assert_int_equal(last_op(s)->args[0], (uintptr_t)tb + 1);
    tcg_gen_exit_tb(NULL, 0);
    assert_int_equal(last_op(s)->args[0], 0);
    tcg_gen_goto_tb(1);
    assert_int_equal(last_op(s)->opc, INDEX_op_goto_tb);
    assert_int_equal(last_op(s)->args[0], 1);
    tcg_gen_mb(TCG_MO_ALL | TCG_BAR_SC);
    assert_int_equal(last_op(s)->args[0], TCG_MO_ALL | TCG_BAR_SC);
    free(tb);
}

static void test_qemu_ldst(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGv_i32 v = tcg_temp_new_i32();
    TCGv_i64 w = tcg_temp_new_i64();
    TCGOp *op;

    tcg_gen_qemu_ld_i32(v, f->rax, 2, MO_LESW | MO_ALIGN);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_qemu_ld);
    assert_int_equal(op->type, TCG_TYPE_I32);
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i64_temp(f->rax));
    assert_int_equal(get_mmuidx(op->args[2]), 2);
    assert_int_equal(get_memop(op->args[2]), MO_LESW | MO_ALIGN);

    /* canonical MemOps: no sign where it cannot matter, no byte order
       for bytes */
    tcg_gen_qemu_ld_i32(v, f->rax, 0, MO_BESL);
    assert_int_equal(get_memop(last_op(s)->args[2]), MO_BEUL);
    tcg_gen_qemu_ld_i64(w, f->rax, 1, MO_BE | MO_SB);
    assert_int_equal(get_memop(last_op(s)->args[2]), MO_SB);
    tcg_gen_qemu_st_i64(w, f->rbx, 3, MO_LESL);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_qemu_st);
    assert_ptr_equal(arg_temp(op->args[0]), tcgv_i64_temp(w));
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i64_temp(f->rbx));
    assert_int_equal(get_memop(op->args[2]), MO_LEUL);
    assert_int_equal(get_mmuidx(op->args[2]), 3);
}

/* The cheap rewrites done while emitting */
static void test_emit_simplify(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGv_i32 a = tcg_temp_new_i32(), b = tcg_temp_new_i32();
    TCGv_i64 x = tcg_temp_new_i64(), y = tcg_temp_new_i64();
    TCGOp *op;

    tcg_gen_addi_i32(a, a, 0);                 /* nothing at all */
    tcg_gen_mov_i64(x, x);
    tcg_gen_shli_i64(x, x, 0);
    tcg_gen_andi_i64(x, x, -1);
    assert_int_equal(s->nb_ops, 0);

    tcg_gen_addi_i32(a, b, 0);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_mov);
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i32_temp(b));

    tcg_gen_andi_i32(a, b, 0);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_mov);
    assert_int_equal(arg_temp(op->args[1])->kind, TEMP_CONST);
    assert_int_equal(arg_temp(op->args[1])->val, 0);

    tcg_gen_andi_i64(x, y, 0xff);
    assert_int_equal(last_op(s)->opc, INDEX_op_ext8u);
    tcg_gen_andi_i64(x, y, 0xffffffff);
    assert_int_equal(last_op(s)->opc, INDEX_op_ext32u);
    tcg_gen_andi_i32(a, b, 0xffff);
    assert_int_equal(last_op(s)->opc, INDEX_op_ext16u);

    tcg_gen_ori_i32(a, b, -1);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_mov);
    assert_true(arg_temp(op->args[1])->val == -1);

    tcg_gen_xori_i64(x, y, -1);
    assert_int_equal(last_op(s)->opc, INDEX_op_not);

    tcg_gen_muli_i64(x, y, 8);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_shl);
    assert_int_equal(arg_temp(op->args[2])->val, 3);
    tcg_gen_muli_i32(a, b, (int32_t)0x80000000u);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_shl);
    assert_int_equal(arg_temp(op->args[2])->val, 31);

    tcg_gen_subi_i64(x, y, 5);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_add);
    assert_true(arg_temp(op->args[2])->val == -5);
    tcg_gen_subi_i32(a, b, INT32_MIN);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_add);
    assert_true(arg_temp(op->args[2])->val == INT32_MIN);

    tcg_gen_subfi_i64(x, 0, y);
    assert_int_equal(last_op(s)->opc, INDEX_op_neg);
    tcg_gen_subfi_i64(x, 9, y);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_sub);
    assert_int_equal(arg_temp(op->args[1])->val, 9);

    tcg_gen_rotri_i32(a, b, 0);
    assert_int_equal(last_op(s)->opc, INDEX_op_mov);
    tcg_gen_sari_i64(x, y, 63);
    assert_int_equal(last_op(s)->opc, INDEX_op_sar);

    tcg_gen_extract_i32(a, b, 0, 8);
    assert_int_equal(last_op(s)->opc, INDEX_op_ext8u);
    tcg_gen_extract_i64(x, y, 0, 32);
    assert_int_equal(last_op(s)->opc, INDEX_op_ext32u);
    tcg_gen_extract_i64(x, y, 40, 24);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_shr);
    assert_int_equal(arg_temp(op->args[2])->val, 40);
    tcg_gen_sextract_i32(a, b, 0, 16);
    assert_int_equal(last_op(s)->opc, INDEX_op_ext16s);
    tcg_gen_sextract_i64(x, y, 60, 4);
    assert_int_equal(last_op(s)->opc, INDEX_op_sar);
    tcg_gen_deposit_i64(x, x, y, 0, 64);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_mov);
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i64_temp(y));
    tcg_gen_extract2_i32(a, a, b, 32);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_mov);
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i32_temp(b));
    tcg_gen_extract2_i64(x, y, x, 0);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_mov);
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i64_temp(y));
    tcg_gen_extract2_i64(x, y, x, 12);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_extract2);
    assert_int_equal(op->args[3], 12);

    tcg_gen_setcond_i64(TCG_COND_ALWAYS, x, y, y);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_mov);
    assert_int_equal(arg_temp(op->args[1])->val, 1);
    tcg_gen_negsetcond_i32(TCG_COND_ALWAYS, a, b, b);
    assert_true(arg_temp(last_op(s)->args[1])->val == -1);
    tcg_gen_movcond_i64(TCG_COND_NEVER, x, y, y, f->rax, f->rbx);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_mov);
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i64_temp(f->rbx));

    tcg_gen_ext_i64(x, y, MO_SW);
    assert_int_equal(last_op(s)->opc, INDEX_op_ext16s);
    tcg_gen_ext_i32(a, b, MO_UL);
    assert_int_equal(last_op(s)->opc, INDEX_op_mov);

    /* halves: when lo is also the source, hi is taken first */
    tcg_gen_extr32_i64(x, y, x);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_ext32u);
    assert_ptr_equal(arg_temp(op->args[0]), tcgv_i64_temp(x));
    op = TAILQ_PREV(op, TCGOpHead, link);
    assert_int_equal(op->opc, INDEX_op_shr);
    assert_ptr_equal(arg_temp(op->args[0]), tcgv_i64_temp(y));
    tcg_gen_extr_i64_i32(a, b, x);
    assert_int_equal(last_op(s)->opc, INDEX_op_extrh_i64_i32);
    assert_ptr_equal(arg_temp(last_op(s)->args[0]), tcgv_i32_temp(b));

    tcg_gen_concat_i32_i64(x, a, b);
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_deposit);
    assert_int_equal(op->args[3], 32);
    assert_int_equal(op->args[4], 32);
    op = TAILQ_PREV(op, TCGOpHead, link);
    assert_int_equal(op->opc, INDEX_op_extu_i32_i64);
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i32_temp(a));
}

static int64_t helper_add3(int64_t a, int32_t b, int64_t c)
{
    return a + b + c;
}

static void helper_noret(void *env)
{
}

static const TCGHelperInfo info_add3 = {
    .func = (void *)helper_add3,
    .name = "add3",
    .flags = TCG_CALL_CONST,
    .ret = TCG_CALL_I64,
    .nargs = 3,
    .args = { TCG_CALL_I64, TCG_CALL_S32, TCG_CALL_I64 },
};

static const TCGHelperInfo info_noret = {
    .func = (void *)helper_noret,
    .name = "noret",
    .flags = 0,
    .ret = TCG_CALL_VOID,
    .nargs = 1,
    .args = { TCG_CALL_PTR },
};

static void test_calls(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGv_i64 r = tcg_temp_new_i64();
    TCGv_i32 b = tcg_temp_new_i32();
    TCGOp *op;

    tcg_gen_call3(&info_add3, tcgv_i64_temp(r), tcgv_i64_temp(f->rax),
                  tcgv_i32_temp(b), tcgv_i64_temp(tcg_constant_i64(4)));
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_call);
    assert_int_equal(op->call_oargs, 1);
    assert_int_equal(op->call_iargs, 3);
    assert_int_equal(op->nargs, 6);
    assert_int_equal(tcg_op_nb_args(op), 6);
    assert_int_equal(tcg_op_nb_oargs(op), 1);
    assert_int_equal(tcg_op_nb_iargs(op), 3);
    assert_ptr_equal(arg_temp(op->args[0]), tcgv_i64_temp(r));
    assert_ptr_equal(arg_temp(op->args[1]), tcgv_i64_temp(f->rax));
    assert_ptr_equal(arg_temp(op->args[2]), tcgv_i32_temp(b));
    assert_int_equal(arg_temp(op->args[3])->val, 4);
    assert_ptr_equal((void *)op->args[4], (void *)helper_add3);
    assert_ptr_equal(tcg_call_info(op), &info_add3);

    tcg_gen_call1(&info_noret, NULL, tcgv_ptr_temp(f->env));
    op = last_op(s);
    assert_int_equal(op->call_oargs, 0);
    assert_int_equal(op->call_iargs, 1);
    assert_int_equal(op->nargs, 3);
    assert_ptr_equal(arg_temp(op->args[0]), s->env);
    assert_ptr_equal(tcg_call_info(op), &info_noret);

    tcg_gen_lookup_and_goto_ptr();
    op = last_op(s);
    assert_int_equal(op->opc, INDEX_op_goto_ptr);
    TCGTemp *t = arg_temp(op->args[0]);
    op = TAILQ_PREV(op, TCGOpHead, link);
    assert_int_equal(op->opc, INDEX_op_call);
    assert_ptr_equal(arg_temp(op->args[0]), t);
    assert_ptr_equal(arg_temp(op->args[1]), s->env);
    assert_ptr_equal((void *)op->args[2], (void *)helper_lookup_tb_ptr);
    assert_string_equal(tcg_call_info(op)->name, "lookup_tb_ptr");
}

static void test_insert_remove(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGv_i64 x = tcg_temp_new_i64();
    TCGOp *a, *b, *c, *op;

    tcg_gen_movi_i64(x, 1);
    a = last_op(s);
    tcg_gen_movi_i64(x, 3);
    c = last_op(s);
    b = tcg_op_insert_after(s, a, INDEX_op_neg, TCG_TYPE_I64, 2);
    op = tcg_op_insert_before(s, a, INDEX_op_not, TCG_TYPE_I64, 2);
    assert_int_equal(s->nb_ops, 4);
    assert_ptr_equal(first_op(s), op);
    assert_ptr_equal(TAILQ_NEXT(op, link), a);
    assert_ptr_equal(TAILQ_NEXT(a, link), b);
    assert_ptr_equal(TAILQ_NEXT(b, link), c);
    assert_int_equal(b->opc, INDEX_op_neg);
    assert_int_equal(b->life, 0);

    tcg_op_remove(s, b);
    assert_int_equal(s->nb_ops, 3);
    assert_ptr_equal(TAILQ_NEXT(a, link), c);
    /* the removed op is the next one handed out: no malloc per op */
    tcg_gen_movi_i64(x, 4);
    assert_ptr_equal(last_op(s), b);
    assert_int_equal(b->opc, INDEX_op_mov);

    /* a new TB recycles every op */
    tcg_func_start(s);
    assert_int_equal(s->nb_ops, 0);
    for (int i = 0; i < 4; i++) {
        tcg_gen_movi_i64(x, i);
    }
    int n = 0;
    TAILQ_FOREACH(op, &s->ops, link) {
        n += op == a || op == b || op == c;
    }
    assert_int_equal(n, 3);
}

/* ---- Printer ---- */

static void test_dump(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    TCGv_i32 t0 = tcg_temp_ebb_new_i32();
    TCGv_i64 l0 = tcg_temp_new_i64();
    TCGLabel *lab = gen_new_label();
    TCGOp *op;

    tcg_gen_insn_start(0x401000, 0, 0);
    tcg_gen_ld_i32(t0, f->env, 0x10);
    tcg_gen_add_i32(t0, t0, f->eflags);
    tcg_gen_addi_i32(f->eflags, t0, -1);
    tcg_gen_brcondi_i32(TCG_COND_LTU, t0, 3, lab);
    tcg_gen_qemu_ld_i64(l0, f->rax, 1, MO_LEUQ | MO_ALIGN);
    tcg_gen_qemu_st_i32(t0, f->rbx, 0, MO_BESW | MO_ALIGN_2);
    tcg_gen_bswap32_i64(l0, l0, TCG_BSWAP_IZ | TCG_BSWAP_OS);
    tcg_gen_insn_start(0x401004, 1, 2);
    tcg_gen_call3(&info_add3, tcgv_i64_temp(l0), tcgv_i64_temp(f->rax),
                  tcgv_i32_temp(t0), tcgv_i64_temp(tcg_constant_i64(4)));
    tcg_gen_extract_i64(f->rbx, l0, 4, 8);
    tcg_gen_setcond_i64(TCG_COND_GT, l0, l0, f->rbx);
    gen_set_label(lab);
    tcg_gen_goto_tb(0);
    tcg_gen_exit_tb(NULL, 0);

    /* liveness annotations, as liveness would set them */
    op = TAILQ_NEXT(TAILQ_NEXT(first_op(s), link), link);
    assert_int_equal(op->opc, INDEX_op_add);
    op->life = DEAD_ARG(1) | DEAD_ARG(2) | SYNC_ARG(0);

    assert_dump(s,
        " ---- 0000000000401000 0000000000000000 0000000000000000\n"
        "  ld_i32 tmp0,env,$0x10\n"
        "  add_i32 tmp0,tmp0,eflags                dead: 1 2  sync: 0\n"
        "  add_i32 eflags,tmp0,$0xffffffff\n"
        "  brcond_i32 tmp0,$0x3,ltu,$L0\n"
        "  qemu_ld_i64 loc1,rax,al+leq,1\n"
        "  qemu_st_i32 tmp0,rbx,al2+beuw,0\n"
        "  bswap32_i64 loc1,loc1,iz,os\n"
        "\n"
        " ---- 0000000000401004 0000000000000001 0000000000000002\n"
        "  call add3,$0x5,$1,loc1,rax,tmp0,$0x4\n"
        "  extract_i64 rbx,loc1,$0x4,$0x8\n"
        "  setcond_i64 loc1,loc1,rbx,gt\n"
        "  set_label $L0\n"
        "  goto_tb $0x0\n"
        "  exit_tb $0x0\n");

    char buf[32];
    assert_string_equal(tcg_temp_name(s, buf, sizeof(buf),
                                      tcgv_i32_temp(tcg_constant_i32(-2))),
                        "$0xfffffffe");
    assert_string_equal(tcg_temp_name(s, buf, sizeof(buf),
                                      tcgv_i64_temp(tcg_constant_i64(-2))),
                        "$0xfffffffffffffffe");
    assert_string_equal(tcg_temp_name(s, buf, sizeof(buf), s->env), "env");
}

/* The pipeline up to the back end, its statistics and its -d output */
static void test_gen_code(void **state)
{
    Fixture *f = *state;
    TCGContext *s = f->s;
    char path[] = "/tmp/test-tcg-ir-XXXXXX";
    int fd = mkstemp(path);
    TCGv_i64 t = tcg_temp_new_i64();
    char *text = NULL;
    size_t len = 0;
    FILE *in;

    assert_true(fd >= 0);
    close(fd);
    assert_true(log_set_filename(path, NULL));
    log_set_mask(LOG_TB_OP | LOG_TB_OP_OPT);

    tcg_gen_insn_start(0x2000, 0, 0);
    tcg_gen_movi_i64(t, 2);
    tcg_gen_addi_i64(f->rax, t, 3);
    tcg_gen_exit_tb(NULL, 0);
    assert_int_equal(tcg_gen_code(s, NULL), 0);
    assert_int_equal(s->stat_tbs, 1);
    assert_int_equal(s->stat_ops, 4);
    assert_int_equal(s->stat_ops_opt, 3);   /* the write to t is dead */
    assert_int_equal(s->stat_temps, 4);     /* t, $2, $3 and the folded $5 */

    /* optimizer off: same ops, liveness only */
    tcg_func_start(s);
    t = tcg_temp_new_i64();
    tcg_gen_movi_i64(t, 2);
    tcg_gen_addi_i64(f->rax, t, 3);
    tcg_gen_exit_tb(NULL, 0);
    tcg_optimize_enabled = false;
    assert_int_equal(tcg_gen_code(s, NULL), 0);
    tcg_optimize_enabled = true;
    assert_int_equal(s->nb_ops, 3);
    assert_int_equal(TAILQ_FIRST(&s->ops)->opc, INDEX_op_mov);
    assert_int_equal(TAILQ_NEXT(TAILQ_FIRST(&s->ops), link)->opc,
                     INDEX_op_add);

    log_set_mask(0);
    log_close();
    in = fopen(path, "r");
    assert_non_null(in);
    assert_true(getdelim(&text, &len, 0, in) > 0);
    fclose(in);
    unlink(path);
    assert_non_null(strstr(text,
        "OP:\n"
        " ---- 0000000000002000 0000000000000000 0000000000000000\n"
        "  mov_i64 loc0,$0x2\n"
        "  add_i64 rax,loc0,$0x3\n"
        "  exit_tb $0x0\n\n"
        "OP after optimization and liveness analysis:\n"
        " ---- 0000000000002000 0000000000000000 0000000000000000\n"
        "  mov_i64 rax,$0x5                        dead: 0 1  sync: 0\n"
        "  exit_tb $0x0\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_code_buffer_wx, setup, teardown),
        cmocka_unit_test(test_default_backend),
        cmocka_unit_test(test_cond_helpers),
        cmocka_unit_test(test_op_table),
        cmocka_unit_test_setup_teardown(test_temps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temp_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_ldst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_simplify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gen_code, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
