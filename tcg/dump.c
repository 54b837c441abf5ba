/* The TCG op printer behind -d op and -d op_opt. */
#include "emu/osdep.h"
#include "tcg/tcg.h"

const char *tcg_temp_name(TCGContext *s, char *buf, size_t len,
                          const TCGTemp *ts)
{
    int idx = (int)temp_idx(s, ts);

    switch (ts->kind) {
    case TEMP_FIXED:
    case TEMP_GLOBAL:
        snprintf(buf, len, "%s", ts->name ? ts->name : "?");
        break;
    case TEMP_TB:
        snprintf(buf, len, "loc%d", idx - s->nb_globals);
        break;
    case TEMP_EBB:
        snprintf(buf, len, "tmp%d", idx - s->nb_globals);
        break;
    case TEMP_CONST:
        if (ts->type == TCG_TYPE_I32) {
            snprintf(buf, len, "$0x%" PRIx32, (uint32_t)ts->val);
        } else {
            snprintf(buf, len, "$0x%" PRIx64, (uint64_t)ts->val);
        }
        break;
    default:
        snprintf(buf, len, "?%d", idx);
        break;
    }
    return buf;
}

/* A line being built, with its column for the liveness annotations */
typedef struct Line {
    char buf[512];
    size_t len;
} Line;

static void EMU_PRINTF(2, 3) line_printf(Line *l, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (l->len >= sizeof(l->buf) - 1) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        l->len = MIN(l->len + (size_t)n, sizeof(l->buf) - 1);
    }
}

static void line_temp(Line *l, TCGContext *s, TCGArg a, bool first)
{
    char name[64];

    line_printf(l, "%s%s", first ? " " : ",",
                tcg_temp_name(s, name, sizeof(name), arg_temp(a)));
}

/* the ops whose name does not take a width suffix */
static bool op_has_suffix(TCGOpcode opc)
{
    const TCGOpDef *def = &tcg_op_defs[opc];

    switch (opc) {
    case INDEX_op_discard:
    case INDEX_op_call:
    case INDEX_op_goto_ptr:
    case INDEX_op_ext_i32_i64:
    case INDEX_op_extu_i32_i64:
    case INDEX_op_extrl_i64_i32:
    case INDEX_op_extrh_i64_i32:
        return false;
    default:
        return def->nb_oargs + def->nb_iargs > 0;
    }
}

static void line_memop(Line *l, MemOpIdx oi)
{
    static const char size_ch[4] = { 'b', 'w', 'l', 'q' };
    MemOp mop = get_memop(oi);
    unsigned a = (mop & MO_AMASK) >> MO_ASHIFT;
    unsigned size = mop & MO_SIZE;

    line_printf(l, ",");
    if (a == 7) {
        line_printf(l, "al+");
    } else if (a) {
        line_printf(l, "al%u+", 1u << a);
    }
    if (size != MO_8) {
        line_printf(l, "%s", (mop & MO_BSWAP) == MO_BE ? "be" : "le");
    }
    if (size != MO_64) {
        line_printf(l, "%c", mop & MO_SIGN ? 's' : 'u');
    }
    line_printf(l, "%c,%u", size_ch[size], get_mmuidx(oi));
}

static void line_bswap_flags(Line *l, TCGArg flags)
{
    static const char *const names[] = {
        [0] = NULL,
        [TCG_BSWAP_IZ] = "iz",
        [TCG_BSWAP_OZ] = "oz",
        [TCG_BSWAP_OS] = "os",
        [TCG_BSWAP_IZ | TCG_BSWAP_OZ] = "iz,oz",
        [TCG_BSWAP_IZ | TCG_BSWAP_OS] = "iz,os",
    };

    if (flags < ARRAY_SIZE(names) && names[flags]) {
        line_printf(l, ",%s", names[flags]);
    } else {
        line_printf(l, ",$0x%" PRIxPTR, flags);
    }
}

static void dump_op(TCGContext *s, FILE *f, const TCGOp *op)
{
    TCGOpcode opc = op->opc;
    const TCGOpDef *def = &tcg_op_defs[opc];
    unsigned nb_o = tcg_op_nb_oargs(op);
    unsigned nb_i = tcg_op_nb_iargs(op);
    unsigned nb_c = def->nb_cargs;
    const TCGArg *cargs = &op->args[nb_o + nb_i];
    Line l = { .len = 0 };
    unsigned i;

    if (opc == INDEX_op_insn_start) {
        line_printf(&l, " ----");
        for (i = 0; i < TCG_INSN_START_WORDS; i++) {
            line_printf(&l, " %016" PRIx64, (uint64_t)op->args[i]);
        }
        goto out;
    }

    if (opc == INDEX_op_call) {
        const TCGHelperInfo *info = tcg_call_info(op);
        if (info->name) {
            line_printf(&l, "  call %s", info->name);
        } else {
            line_printf(&l, "  call %p", info->func);
        }
        line_printf(&l, ",$0x%x,$%u", info->flags, nb_o);
        for (i = 0; i < nb_o + nb_i; i++) {
            line_temp(&l, s, op->args[i], false);
        }
        goto out;
    }

    line_printf(&l, "  %s", def->name);
    if (op_has_suffix(opc)) {
        line_printf(&l, "_%s", op->type == TCG_TYPE_I32 ? "i32" : "i64");
    }
    for (i = 0; i < nb_o + nb_i; i++) {
        line_temp(&l, s, op->args[i], i == 0);
    }

    /* constant arguments, in the form each op's readers expect */
    i = 0;
    switch (opc) {
    case INDEX_op_brcond:
    case INDEX_op_setcond:
    case INDEX_op_negsetcond:
    case INDEX_op_movcond:
        line_printf(&l, ",%s", tcg_cond_name((TCGCond)cargs[0]));
        i = 1;
        break;
    case INDEX_op_qemu_ld:
    case INDEX_op_qemu_st:
        line_memop(&l, (MemOpIdx)cargs[0]);
        i = 1;
        break;
    case INDEX_op_bswap16:
    case INDEX_op_bswap32:
    case INDEX_op_bswap64:
        line_bswap_flags(&l, cargs[0]);
        i = 1;
        break;
    case INDEX_op_set_label:
    case INDEX_op_br:
        line_printf(&l, " $L%u", arg_label(cargs[0])->id);
        i = 1;
        break;
    default:
        break;
    }
    if (opc == INDEX_op_brcond) {
        line_printf(&l, ",$L%u", arg_label(cargs[1])->id);
        i = 2;
    }
    for (; i < nb_c; i++) {
        line_printf(&l, "%s$0x%" PRIxPTR, nb_o + nb_i + i == 0 ? " " : ",",
                    cargs[i]);
    }

out:
    if (op->life) {
        uint32_t dead = op->life & 0xffff;
        uint32_t sync = op->life >> 16;

        while (l.len < 40) {
            line_printf(&l, " ");
        }
        if (dead) {
            line_printf(&l, "  dead:");
            for (i = 0; i < 16; i++) {
                if (dead & (1u << i)) {
                    line_printf(&l, " %u", i);
                }
            }
        }
        if (sync) {
            line_printf(&l, "  sync:");
            for (i = 0; i < 16; i++) {
                if (sync & (1u << i)) {
                    line_printf(&l, " %u", i);
                }
            }
        }
    }
    fprintf(f, "%s\n", l.buf);
}

void tcg_dump_ops(TCGContext *s, FILE *f, bool have_prefs)
{
    const TCGOp *op;
    bool first = true;

    TAILQ_FOREACH(op, &s->ops, link) {
        if (op->opc == INDEX_op_insn_start && !first) {
            fprintf(f, "\n");
        }
        dump_op(s, f, op);
        first = false;
    }
}
