/*
 * TCG liveness analysis: one backward pass that records in op->life which
 * arguments die at each op and which outputs must be written back to
 * memory, and deletes ops whose results nobody uses.
 */
#include "emu/osdep.h"
#include "tcg/tcg.h"

/*
 * Per-temp state while walking backwards, in TCGTemp.state: describes
 * the point just before the op being looked at.
 *   TS_DEAD: the value held there is never read again.
 *   TS_MEM:  the value must be in its memory slot (globals: the CPU state
 *            field) at that point.
 * Fixed temps (env) are always live and never tracked.
 */
#define TS_DEAD 1
#define TS_MEM  2

/*
 * State at a point every value must reach through memory: the end of the
 * TB (globals in the CPU state, nothing else lives) or a label / an
 * unconditional branch to one (whatever reaches it from elsewhere finds
 * globals and, with tb_temps_in_mem, TB temps in memory; no EBB temp live).
 */
static void la_reset_all(TCGContext *s, bool tb_temps_in_mem)
{
    for (int i = 0; i < s->nb_temps; i++) {
        TCGTemp *ts = &s->temps[i];
        switch (ts->kind) {
        case TEMP_FIXED:
            ts->state = 0;
            break;
        case TEMP_GLOBAL:
            ts->state = TS_DEAD | TS_MEM;
            break;
        case TEMP_TB:
            ts->state = tb_temps_in_mem ? TS_DEAD | TS_MEM : TS_DEAD;
            break;
        default:
            ts->state = TS_DEAD;
            break;
        }
    }
}

static void la_func_end(TCGContext *s)
{
    la_reset_all(s, false);
}

static void la_bb_end(TCGContext *s)
{
    la_reset_all(s, true);
}

/*
 * A conditional branch: the taken path needs the label's state (memory),
 * the fall-through path keeps whatever it needs in registers.
 */
static void la_bb_sync(TCGContext *s)
{
    for (int i = 0; i < s->nb_temps; i++) {
        TCGTemp *ts = &s->temps[i];
        if (ts->kind == TEMP_GLOBAL || ts->kind == TEMP_TB) {
            ts->state |= TS_MEM;
        }
    }
}

/* Something may read the CPU state (helper, fault): globals to memory */
static void la_global_sync(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        TCGTemp *ts = &s->temps[i];
        if (ts->kind == TEMP_GLOBAL) {
            ts->state |= TS_MEM;
        }
    }
}

/* A helper reads and may write the CPU state: registers are stale after */
static void la_global_kill(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        TCGTemp *ts = &s->temps[i];
        if (ts->kind == TEMP_GLOBAL) {
            ts->state = TS_DEAD | TS_MEM;
        }
    }
}

static inline bool temp_tracked(const TCGTemp *ts)
{
    return ts->kind != TEMP_FIXED;
}

/* All outputs dead and nobody wants them in memory? */
static bool outputs_dead(const TCGOp *op, unsigned nb_o)
{
    for (unsigned i = 0; i < nb_o; i++) {
        if (arg_temp(op->args[i])->state != TS_DEAD) {
            return false;
        }
    }
    return true;
}

static uint32_t outputs_life(TCGOp *op, unsigned nb_o)
{
    uint32_t life = 0;

    for (unsigned i = 0; i < nb_o; i++) {
        TCGTemp *ts = arg_temp(op->args[i]);
        if (!temp_tracked(ts)) {
            continue;
        }
        if (ts->state & TS_DEAD) {
            life |= DEAD_ARG(i);
        }
        if (ts->state & TS_MEM) {
            life |= SYNC_ARG(i);
        }
        /* the value before this op is not the one anybody reads later */
        ts->state = TS_DEAD;
    }
    return life;
}

static uint32_t inputs_life(TCGOp *op, unsigned nb_o, unsigned nb_i)
{
    uint32_t life = 0;
    unsigned i;

    for (i = nb_o; i < nb_o + nb_i; i++) {
        TCGTemp *ts = arg_temp(op->args[i]);
        if (temp_tracked(ts) && (ts->state & TS_DEAD)) {
            life |= DEAD_ARG(i);
        }
    }
    /* separately: an input used twice dies at both uses */
    for (i = nb_o; i < nb_o + nb_i; i++) {
        TCGTemp *ts = arg_temp(op->args[i]);
        if (temp_tracked(ts)) {
            ts->state &= ~TS_DEAD;
        }
    }
    return life;
}

/*
 * A double-width op of which only one half is used becomes the
 * single-width op computing that half.
 */
static void narrow_double_op(TCGOp *op)
{
    bool lo_dead = arg_temp(op->args[0])->state == TS_DEAD;
    bool hi_dead = arg_temp(op->args[1])->state == TS_DEAD;

    switch (op->opc) {
    case INDEX_op_add2:
    case INDEX_op_sub2:
        if (hi_dead) {
            op->opc = op->opc == INDEX_op_add2 ? INDEX_op_add : INDEX_op_sub;
            op->args[1] = op->args[2];
            op->args[2] = op->args[4];
            op->nargs = 3;
        }
        break;
    case INDEX_op_mulu2:
    case INDEX_op_muls2:
        if (hi_dead) {
            op->opc = INDEX_op_mul;
            op->args[1] = op->args[2];
            op->args[2] = op->args[3];
            op->nargs = 3;
        } else if (lo_dead) {
            op->opc = op->opc == INDEX_op_mulu2 ? INDEX_op_muluh
                                                : INDEX_op_mulsh;
            op->args[0] = op->args[1];
            op->args[1] = op->args[2];
            op->args[2] = op->args[3];
            op->nargs = 3;
        }
        break;
    default:
        break;
    }
}

/*
 * Front ends take most scratch values as TB temps, yet few of them are
 * read across a label.  One that, after every label (or other end of an
 * extended basic block), is written before it is read carries no value
 * across blocks: it is an EBB temp in all but name, and treating it as
 * one spares a memory write-back at every branch and block end.  Forward
 * scan; TCGTemp.state holds (epoch of the last write) << 1 | read-across.
 */
static void la_demote_tb_temps(TCGContext *s)
{
    uintptr_t epoch = 1;
    TCGOp *op;
    int i;

    for (i = s->nb_globals; i < s->nb_temps; i++) {
        s->temps[i].state = 0;
    }
    TAILQ_FOREACH(op, &s->ops, link) {
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        unsigned nb_o, nb_i, j;

        if (op->opc == INDEX_op_insn_start || op->opc == INDEX_op_discard) {
            continue;
        }
        if (op->opc == INDEX_op_call) {
            nb_o = op->call_oargs;
            nb_i = op->call_iargs;
        } else {
            nb_o = def->nb_oargs;
            nb_i = def->nb_iargs;
        }
        for (j = nb_o; j < nb_o + nb_i; j++) {
            TCGTemp *ts = arg_temp(op->args[j]);
            if (ts->kind == TEMP_TB && (ts->state >> 1) != epoch) {
                ts->state |= 1;
            }
        }
        for (j = 0; j < nb_o; j++) {
            TCGTemp *ts = arg_temp(op->args[j]);
            if (ts->kind == TEMP_TB) {
                ts->state = (epoch << 1) | (ts->state & 1);
            }
        }
        /* a conditional branch's fall-through continues the EBB */
        if ((def->flags & TCG_OPF_BB_END) &&
            !(def->flags & TCG_OPF_COND_BRANCH)) {
            epoch++;
        }
    }
    for (i = s->nb_globals; i < s->nb_temps; i++) {
        TCGTemp *ts = &s->temps[i];
        if (ts->kind == TEMP_TB && !(ts->state & 1)) {
            ts->kind = TEMP_EBB;
        }
    }
}

void tcg_liveness(TCGContext *s)
{
    TCGOp *op, *prev;

    la_demote_tb_temps(s);
    la_func_end(s);

    for (op = TAILQ_LAST(&s->ops, TCGOpHead); op; op = prev) {
        const TCGOpDef *def;
        unsigned nb_o, nb_i;
        uint32_t life = 0;

        prev = TAILQ_PREV(op, TCGOpHead, link);

        switch (op->opc) {
        case INDEX_op_insn_start:
            op->life = 0;
            continue;

        case INDEX_op_discard:
            arg_temp(op->args[0])->state = TS_DEAD;
            op->life = 0;
            continue;

        case INDEX_op_call: {
            unsigned flags = tcg_call_info(op)->flags;

            nb_o = op->call_oargs;
            nb_i = op->call_iargs;
            if ((flags & TCG_CALL_NO_SIDE_EFFECTS) && outputs_dead(op, nb_o)) {
                tcg_op_remove(s, op);
                continue;
            }
            life = outputs_life(op, nb_o);
            if (!(flags & (TCG_CALL_NO_WRITE_GLOBALS |
                           TCG_CALL_NO_READ_GLOBALS))) {
                la_global_kill(s);
            } else if (!(flags & TCG_CALL_NO_READ_GLOBALS)) {
                la_global_sync(s);
            }
            life |= inputs_life(op, nb_o, nb_i);
            op->life = life;
            continue;
        }

        case INDEX_op_add2:
        case INDEX_op_sub2:
        case INDEX_op_mulu2:
        case INDEX_op_muls2:
            narrow_double_op(op);
            break;

        default:
            break;
        }

        def = &tcg_op_defs[op->opc];
        nb_o = def->nb_oargs;
        nb_i = def->nb_iargs;

        /* an op without outputs exists for its effect: keep it */
        if (nb_o > 0 &&
            !(def->flags & (TCG_OPF_SIDE_EFFECTS | TCG_OPF_BB_END |
                            TCG_OPF_BB_EXIT)) &&
            outputs_dead(op, nb_o)) {
            tcg_op_remove(s, op);
            continue;
        }

        life = outputs_life(op, nb_o);

        if (def->flags & TCG_OPF_BB_EXIT) {
            la_func_end(s);
        } else if (def->flags & TCG_OPF_COND_BRANCH) {
            la_bb_sync(s);
        } else if (def->flags & TCG_OPF_BB_END) {
            la_bb_end(s);
        } else if (def->flags & TCG_OPF_SIDE_EFFECTS) {
            /* may fault: unwinding finds the guest state in memory */
            la_global_sync(s);
        }

        life |= inputs_life(op, nb_o, nb_i);
        op->life = life;
    }
}
