/* Register allocator shared by the native back ends (see regalloc.h). */
#include "emu/osdep.h"
#include "regalloc.h"

void ra_init(RAState *ra, TCGContext *s, const RATarget *t)
{
    memset(ra, 0, sizeof(*ra));
    ra->s = s;
    ra->t = t;
}

void ra_abort(RAState *ra, int err)
{
    siglongjmp(ra->jmp, err);
}

#define temp_is_const ra_temp_is_const

static inline bool regset_single(TCGRegSet set)
{
    return set && !(set & (set - 1));
}

/* First register of set in the target's preference order; -1 if none */
static int first_reg(const RATarget *t, TCGRegSet set)
{
    if (set) {
        for (unsigned i = 0; i < t->nb_order; i++) {
            if (set & ra_bit(t->order[i])) {
                return t->order[i];
            }
        }
    }
    return -1;
}

/* ---- Temp bookkeeping ---- */

static void temp_release(RAState *ra, TCGTemp *ts)
{
    if (ts->val_type == TEMP_VAL_REG && ts->kind != TEMP_FIXED) {
        ra->reg_to_temp[ts->reg] = NULL;
        ra->used &= ~ra_bit(ts->reg);
    }
}

static void temp_set_reg(RAState *ra, TCGTemp *ts, int reg)
{
    ra->reg_to_temp[reg] = ts;
    ra->used |= ra_bit(reg);
    ts->val_type = TEMP_VAL_REG;
    ts->reg = reg;
}

static void lazy_add(RAState *ra, TCGTemp *ts)
{
    if (!(ts->state & RA_LAZY_LISTED)) {
        ts->state |= RA_LAZY_LISTED;
        ra->lazy[ra->nb_lazy++] = temp_idx(ra->s, ts);
    }
}

static int32_t slot_alloc(RAState *ra)
{
    int32_t ofs;

    if (ra->nb_free_slots) {
        return ra->free_slots[--ra->nb_free_slots];
    }
    ofs = ra->frame_next;
    if (ofs + 8 > ra->t->frame_end) {
        /* more spilled temps than the frame holds: retry a smaller TB */
        ra_abort(ra, 2);
    }
    ra->frame_next = ofs + 8;
    return ofs;
}

/* Base register and offset of a temp's memory copy */
static int temp_mem(RAState *ra, TCGTemp *ts, intptr_t *ofs)
{
    if (ts->kind == TEMP_GLOBAL) {
        /* globals relative to an indirect pointer are not supported */
        assert(ts->mem_base && ts->mem_base->kind == TEMP_FIXED);
        *ofs = ts->mem_offset;
        return ts->mem_base->reg;
    }
    if (!ts->mem_allocated) {
        ts->mem_offset = slot_alloc(ra);
        ts->mem_allocated = true;
    }
    *ofs = ts->mem_offset;
    return ra->t->frame_reg;
}

/* Load ts's current value (memory, constant) into reg; not its home */
static void temp_load_to(RAState *ra, TCGTemp *ts, int reg)
{
    TCGContext *s = ra->s;
    intptr_t ofs;
    int base;

    switch (ts->val_type) {
    case TEMP_VAL_REG:
        ra->t->mov(s, ts->type, reg, ts->reg);
        break;
    case TEMP_VAL_CONST:
        ra->t->movi(s, ts->type, reg, ts->val);
        break;
    case TEMP_VAL_MEM:
        base = temp_mem(ra, ts, &ofs);
        ra->t->ld(s, ts->type, reg, base, ofs);
        break;
    case TEMP_VAL_DEAD:
        /* read before written: any value will do */
        break;
    }
}

/* Write ts back to its memory if the copy there is stale */
static void temp_sync(RAState *ra, TCGTemp *ts)
{
    TCGContext *s = ra->s;
    const RATarget *t = ra->t;
    intptr_t ofs;
    int base;

    if (ts->mem_coherent || ts->kind == TEMP_CONST ||
        ts->kind == TEMP_FIXED) {
        return;
    }
    switch (ts->val_type) {
    case TEMP_VAL_REG:
        base = temp_mem(ra, ts, &ofs);
        t->st(s, ts->type, ts->reg, base, ofs);
        break;
    case TEMP_VAL_CONST:
        base = temp_mem(ra, ts, &ofs);
        if (!t->sti(s, ts->type, ts->val, base, ofs)) {
            t->movi(s, ts->type, t->tmp_reg, ts->val);
            t->st(s, ts->type, t->tmp_reg, base, ofs);
        }
        break;
    default:
        return;
    }
    ts->mem_coherent = true;
}

/* The value of ts is no longer needed (in a register) */
static void temp_dead(RAState *ra, TCGTemp *ts)
{
    switch (ts->kind) {
    case TEMP_FIXED:
        return;
    case TEMP_CONST:
        temp_release(ra, ts);
        ts->val_type = TEMP_VAL_CONST;
        return;
    case TEMP_GLOBAL:
        /*
         * As in QEMU: where memory must hold the value (block end, a
         * helper that reads globals, an op that may fault) liveness put
         * a SYNC_ARG on the op that defined it, which wrote it back; a
         * global that dies without one is overwritten before anything
         * reads its memory copy (x86: a register assigned twice in a TB).
         */
        temp_release(ra, ts);
        ts->val_type = TEMP_VAL_MEM;
        return;
    case TEMP_TB:
        /*
         * As in QEMU: liveness asks for a write-back (SYNC_ARG) of a TB
         * temp still needed in a later block; the memory copy survives.
         */
        temp_release(ra, ts);
        ts->val_type = ts->mem_coherent ? TEMP_VAL_MEM : TEMP_VAL_DEAD;
        return;
    case TEMP_EBB:
        temp_release(ra, ts);
        ts->val_type = TEMP_VAL_DEAD;
        ts->mem_coherent = false;
        if (ts->mem_allocated) {
            ra->free_slots[ra->nb_free_slots++] = (int32_t)ts->mem_offset;
            ts->mem_allocated = false;
        }
        return;
    }
}

/* Keep the value but not in a register: write it back, free the reg */
static void temp_save(RAState *ra, TCGTemp *ts)
{
    temp_sync(ra, ts);
    temp_release(ra, ts);
    ts->val_type = TEMP_VAL_MEM;
}

/*
 * ts must leave its register, keeping its value: into a free register of
 * dest_ok if there is one (a move is cheaper than a store and a reload),
 * else to memory.
 */
static void temp_evict(RAState *ra, TCGTemp *ts, TCGRegSet dest_ok)
{
    int from = ts->reg;
    int to;

    if (ts->kind == TEMP_CONST ||
        ((ts->state & RA_CONST_IN_REG) && !ts->mem_coherent)) {
        /* rematerialize later rather than store */
        temp_release(ra, ts);
        ts->val_type = TEMP_VAL_CONST;
        if (ts->kind != TEMP_CONST) {
            lazy_add(ra, ts);
        }
        return;
    }
    to = first_reg(ra->t, dest_ok & ra->t->avail & ~ra->used & ~ra->locked &
                          ~ra_bit(from));
    if (to >= 0) {
        ra->t->mov(ra->s, ts->type, to, from);
        ra->reg_to_temp[from] = NULL;
        ra->used &= ~ra_bit(from);
        temp_set_reg(ra, ts, to);
        return;
    }
    temp_save(ra, ts);
}

/*
 * A register of allowed that is neither locked by the current op nor
 * holding a temp, evicting the cheapest occupant if need be.  prefer_keep:
 * registers whose occupants the op is about to use.
 */
static int reg_alloc(RAState *ra, TCGRegSet allowed, TCGRegSet prefer_keep)
{
    const RATarget *t = ra->t;
    TCGRegSet cand = allowed & t->avail & ~ra->locked;
    int reg = first_reg(t, cand & ~ra->used);
    int best_score = INT_MAX;

    if (reg >= 0) {
        return reg;
    }
    for (unsigned i = 0; i < t->nb_order && best_score; i++) {
        int r = t->order[i];
        TCGTemp *ts;
        int score;

        if (!(cand & ra_bit(r))) {
            continue;
        }
        ts = ra->reg_to_temp[r];
        score = ts->kind == TEMP_CONST || (ts->state & RA_CONST_IN_REG) ? 0
                : ts->mem_coherent ? 1 : 2;
        if (prefer_keep & ra_bit(r)) {
            score += 4;
        }
        if (score < best_score) {
            best_score = score;
            reg = r;
        }
    }
    if (reg < 0) {
        /* the back end's constraints cannot be met: a bug there */
        fprintf(stderr, "tcg regalloc: no register left in %#x\n",
                (unsigned)allowed);
        abort();
    }
    temp_evict(ra, ra->reg_to_temp[reg], 0);
    return reg;
}

/* Output ts now lives in reg (already free or owned by ts), dirty */
static void assign_out(RAState *ra, TCGTemp *ts, int reg)
{
    if (ts->val_type == TEMP_VAL_REG && ts->reg != reg) {
        temp_release(ra, ts);
    }
    temp_set_reg(ra, ts, reg);
    ts->mem_coherent = false;
    ts->state &= ~RA_CONST_IN_REG;
}

/* After an op wrote output ts: liveness tells to write back, to drop */
static void out_life(RAState *ra, TCGTemp *ts, uint32_t life, unsigned i)
{
    if (life & SYNC_ARG(i)) {
        temp_sync(ra, ts);
    }
    if (life & DEAD_ARG(i)) {
        temp_dead(ra, ts);
    }
}

/* ---- Block boundaries ---- */

/*
 * Drop from ra->lazy the temps that are no longer lazy constants, so
 * that scanning it at every guest memory access stays cheap.
 */
static void lazy_compact(RAState *ra)
{
    TCGContext *s = ra->s;
    int n = 0;

    for (int i = 0; i < ra->nb_lazy; i++) {
        TCGTemp *ts = &s->temps[ra->lazy[i]];
        if (ts->val_type == TEMP_VAL_CONST) {
            ra->lazy[n++] = ra->lazy[i];
        } else {
            ts->state &= ~RA_LAZY_LISTED;
        }
    }
    ra->nb_lazy = n;
}

/* Before an op that may raise an exception or a helper that reads them */
static void sync_globals(RAState *ra, bool drop)
{
    TCGContext *s = ra->s;

    lazy_compact(ra);
    for (TCGRegSet m = ra->used; m; m &= m - 1) {
        TCGTemp *ts = ra->reg_to_temp[__builtin_ctz(m)];
        if (ts->kind == TEMP_GLOBAL) {
            if (drop) {
                temp_save(ra, ts);
            } else {
                temp_sync(ra, ts);
            }
        }
    }
    for (int i = 0; i < ra->nb_lazy; i++) {
        TCGTemp *ts = &s->temps[ra->lazy[i]];
        if (ts->kind == TEMP_GLOBAL && ts->val_type == TEMP_VAL_CONST) {
            temp_sync(ra, ts);
            if (drop) {
                ts->val_type = TEMP_VAL_MEM;
            }
        }
        ra_check_room(ra);
    }
}

/* Conditional branch: the target expects globals and TB temps in memory */
static void bb_sync(RAState *ra)
{
    TCGContext *s = ra->s;

    lazy_compact(ra);
    for (TCGRegSet m = ra->used; m; m &= m - 1) {
        TCGTemp *ts = ra->reg_to_temp[__builtin_ctz(m)];
        if (ts->kind == TEMP_GLOBAL || ts->kind == TEMP_TB) {
            temp_sync(ra, ts);
        }
    }
    for (int i = 0; i < ra->nb_lazy; i++) {
        TCGTemp *ts = &s->temps[ra->lazy[i]];
        if ((ts->kind == TEMP_GLOBAL || ts->kind == TEMP_TB) &&
            ts->val_type == TEMP_VAL_CONST) {
            temp_sync(ra, ts);
        }
        ra_check_room(ra);
    }
}

/*
 * End of a basic block: nothing stays in registers.  Globals and TB temps
 * go to memory (when leaving the TB, only globals matter); EBB temps die.
 */
static void bb_end(RAState *ra, bool leaving)
{
    TCGContext *s = ra->s;

    for (TCGRegSet m = ra->used; m; m &= m - 1) {
        TCGTemp *ts = ra->reg_to_temp[__builtin_ctz(m)];
        switch (ts->kind) {
        case TEMP_GLOBAL:
            temp_save(ra, ts);
            break;
        case TEMP_TB:
            if (leaving) {
                temp_dead(ra, ts);
            } else {
                temp_save(ra, ts);
            }
            break;
        default:
            temp_dead(ra, ts);
            break;
        }
    }
    for (int i = 0; i < ra->nb_lazy; i++) {
        TCGTemp *ts = &s->temps[ra->lazy[i]];
        ts->state &= ~RA_LAZY_LISTED;
        if (ts->val_type != TEMP_VAL_CONST) {
            continue;
        }
        if (ts->kind == TEMP_GLOBAL || (ts->kind == TEMP_TB && !leaving)) {
            temp_save(ra, ts);
        } else {
            temp_dead(ra, ts);
        }
        ra_check_room(ra);
    }
    ra->nb_lazy = 0;
}

/* ---- Generic ops ---- */

static void ra_mov(RAState *ra, const TCGOp *op)
{
    TCGTemp *ots = arg_temp(op->args[0]);
    TCGTemp *ts = arg_temp(op->args[1]);
    uint32_t life = op->life;
    bool in_dead = life & DEAD_ARG(1);
    int reg;

    if (ots == ts) {
        out_life(ra, ots, life, 0);
        return;
    }
    if (temp_is_const(ts)) {
        /* materialized when used, or stored as an immediate */
        temp_release(ra, ots);
        ots->val_type = TEMP_VAL_CONST;
        ots->val = ts->val;
        ots->mem_coherent = false;
        lazy_add(ra, ots);
        if (in_dead) {
            temp_dead(ra, ts);
        }
        out_life(ra, ots, life, 0);
        return;
    }
    if ((life & SYNC_ARG(0)) && (life & DEAD_ARG(0)) &&
        ts->val_type == TEMP_VAL_REG) {
        /* only memory wants the value: store straight from the source */
        intptr_t ofs;
        int base;

        temp_release(ra, ots);
        base = temp_mem(ra, ots, &ofs);
        ra->t->st(ra->s, ots->type, ts->reg, base, ofs);
        ots->val_type = TEMP_VAL_MEM;
        ots->mem_coherent = true;
        if (in_dead) {
            temp_dead(ra, ts);
        }
        temp_dead(ra, ots);
        return;
    }
    if (ts->val_type == TEMP_VAL_REG && in_dead && ts->kind != TEMP_FIXED) {
        /* the output takes over the register */
        reg = ts->reg;
        if (ts->kind == TEMP_GLOBAL) {
            temp_sync(ra, ts);
        }
        temp_dead(ra, ts);
        assign_out(ra, ots, reg);
        out_life(ra, ots, life, 0);
        return;
    }
    if (ts->val_type == TEMP_VAL_REG) {
        ra->locked = ra_bit(ts->reg);
    }
    if (ots->val_type == TEMP_VAL_REG && !(ra->locked & ra_bit(ots->reg))) {
        reg = ots->reg;
    } else {
        reg = reg_alloc(ra, ra->t->avail, 0);
    }
    temp_load_to(ra, ts, reg);
    assign_out(ra, ots, reg);
    ra->locked = 0;
    if (in_dead) {
        temp_dead(ra, ts);
    }
    out_life(ra, ots, life, 0);
}

static int64_t call_arg_value(TCGCallType kind, int64_t v)
{
    switch (kind) {
    case TCG_CALL_I32:
        return (uint32_t)v;
    case TCG_CALL_S32:
        return (int32_t)v;
    default:
        return v;
    }
}

static void ra_call(RAState *ra, const TCGOp *op)
{
    TCGContext *s = ra->s;
    const RATarget *t = ra->t;
    const TCGHelperInfo *info = tcg_call_info(op);
    const void *func = (const void *)op->args[op->nargs - 2];
    unsigned nb_o = op->call_oargs, nb_i = op->call_iargs;
    unsigned nb_reg_args = MIN(nb_i, t->nb_call_arg_regs);
    TCGRegSet keep_ok = t->avail & ~t->call_clobbered;
    uint32_t life = op->life;
    unsigned i;

    ra->locked = 0;

    /* arguments on the stack, through the scratch register */
    for (i = nb_reg_args; i < nb_i; i++) {
        TCGTemp *ts = arg_temp(op->args[nb_o + i]);
        TCGCallType kind = info->args[i];
        intptr_t ofs = t->call_stack_ofs + (i - nb_reg_args) * 8;
        int src;

        if (temp_is_const(ts)) {
            int64_t v = call_arg_value(kind, ts->val);
            if (!t->sti(s, TCG_TYPE_I64, v, t->frame_reg, ofs)) {
                t->movi(s, TCG_TYPE_I64, t->tmp_reg, v);
                t->st(s, TCG_TYPE_I64, t->tmp_reg, t->frame_reg, ofs);
            }
            continue;
        }
        if (ts->val_type == TEMP_VAL_REG) {
            src = ts->reg;
        } else {
            temp_load_to(ra, ts, t->tmp_reg);
            src = t->tmp_reg;
        }
        if (kind == TCG_CALL_I32 || kind == TCG_CALL_S32) {
            t->call_ext(s, kind, t->tmp_reg, src);
            src = t->tmp_reg;
        }
        t->st(s, TCG_TYPE_I64, src, t->frame_reg, ofs);
    }

    /* arguments in registers */
    for (i = 0; i < nb_reg_args; i++) {
        TCGTemp *ts = arg_temp(op->args[nb_o + i]);
        TCGCallType kind = info->args[i];
        bool narrow = kind == TCG_CALL_I32 || kind == TCG_CALL_S32;
        int reg = t->call_arg_regs[i];
        TCGTemp *occ = ra->reg_to_temp[reg];

        if (occ && occ != ts) {
            temp_evict(ra, occ, keep_ok);
        }
        ra->locked |= ra_bit(reg);
        if (temp_is_const(ts)) {
            t->movi(s, TCG_TYPE_I64, reg, call_arg_value(kind, ts->val));
        } else if (ts->val_type == TEMP_VAL_REG) {
            if (narrow) {
                /* the upper half of an I32 temp's register is free */
                t->call_ext(s, kind, reg, ts->reg);
            } else {
                t->mov(s, TCG_TYPE_I64, reg, ts->reg);
            }
        } else {
            temp_load_to(ra, ts, reg);
            if (narrow) {
                t->call_ext(s, kind, reg, reg);
            }
        }
    }

    for (i = 0; i < nb_i; i++) {
        if (life & DEAD_ARG(nb_o + i)) {
            temp_dead(ra, arg_temp(op->args[nb_o + i]));
        }
    }

    if (!(info->flags & TCG_CALL_NO_READ_GLOBALS)) {
        sync_globals(ra, !(info->flags & TCG_CALL_NO_WRITE_GLOBALS));
    }

    for (TCGRegSet m = ra->used & t->call_clobbered; m; m &= m - 1) {
        temp_evict(ra, ra->reg_to_temp[__builtin_ctz(m)], keep_ok);
    }

    t->call(s, func, info);
    ra->locked = 0;

    if (nb_o) {
        TCGTemp *ots = arg_temp(op->args[0]);
        assign_out(ra, ots, t->call_ret_reg);
        out_life(ra, ots, life, 0);
    }
}

static void ra_insn_start(RAState *ra, const TCGOp *op)
{
    TCGContext *s = ra->s;
    int i = s->nb_insns;

    if (unlikely(i >= TCG_MAX_INSNS)) {
        ra_abort(ra, 2);
    }
    if (i > 0) {
        s->gen_insn_end_off[i - 1] = s->code_ptr - ra->code_start;
    }
    for (int w = 0; w < TCG_INSN_START_WORDS; w++) {
        s->gen_insn_data[i][w] = op->args[w];
    }
    s->nb_insns = i + 1;
}

static void ra_discard(RAState *ra, TCGTemp *ts)
{
    /* the value is undefined: nothing to write back */
    if (ts->kind == TEMP_GLOBAL) {
        temp_release(ra, ts);
        ts->val_type = TEMP_VAL_MEM;
        ts->mem_coherent = true;
    } else {
        temp_dead(ra, ts);
    }
}

/* ---- Ordinary ops, through the back end's constraints ---- */

static void ra_op(RAState *ra, const TCGOp *op)
{
    TCGContext *s = ra->s;
    const RATarget *t = ra->t;
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    const RAOpConstraint *ct = t->constraint(s, op);
    unsigned nb_o = def->nb_oargs, nb_i = def->nb_iargs;
    unsigned nb_a = def->nb_args;
    uint32_t life = op->life;
    TCGArg args[TCG_MAX_OP_ARGS + RA_MAX_SCRATCH];
    bool const_args[TCG_MAX_OP_ARGS];
    TCGTemp *its[RA_MAX_ARGS];
    unsigned dead = 0, aliased = 0, shared = 0;
    TCGRegSet i_regs = 0, o_regs = 0, fixed_i = 0, fixed_o = 0, homes = 0;
    unsigned i, j, pass;

    for (i = nb_o + nb_i; i < nb_a; i++) {
        args[i] = op->args[i];
    }

    /*
     * dead: the input's value is not needed after the op (liveness says
     * so, or the op overwrites the temp).  shared: the temp is also
     * another input of the op.  aliased: an output takes its register.
     */
    for (i = 0; i < nb_i; i++) {
        TCGTemp *ts = arg_temp(op->args[nb_o + i]);
        its[i] = ts;
        if (life & DEAD_ARG(nb_o + i)) {
            dead |= 1u << i;
        }
        for (j = 0; j < nb_o; j++) {
            if (arg_temp(op->args[j]) == ts) {
                dead |= 1u << i;
            }
        }
        for (j = 0; j < i; j++) {
            if (its[j] == ts) {
                shared |= (1u << i) | (1u << j);
            }
        }
        if (ts->val_type == TEMP_VAL_REG) {
            homes |= ra_bit(ts->reg);
        }
        if (regset_single(ct->args[nb_o + i].regs)) {
            fixed_i |= ct->args[nb_o + i].regs;
        }
    }
    for (j = 0; j < nb_o; j++) {
        const RAArgConstraint *c = &ct->args[j];
        if (c->alias) {
            aliased |= 1u << (c->alias - 1);
        } else if (regset_single(c->regs)) {
            fixed_o |= c->regs;
        }
    }

    /* inputs: fixed registers first, so that others keep out of them */
    ra->locked = 0;
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < nb_i; i++) {
            unsigned k = nb_o + i;
            const RAArgConstraint *c = &ct->args[k];
            TCGTemp *ts = its[i];
            bool private;
            int reg;

            if (regset_single(c->regs) != (pass == 0)) {
                continue;
            }
            if (c->ct && temp_is_const(ts) &&
                t->const_match(op->type, ts->val, c->ct)) {
                args[k] = ts->val;
                const_args[k] = true;
                continue;
            }
            const_args[k] = false;
            /* an aliased input's register gets overwritten */
            private = (aliased & (1u << i)) &&
                      (!(dead & (1u << i)) || (shared & (1u << i)) ||
                       ts->kind == TEMP_FIXED);

            if (ts->val_type == TEMP_VAL_REG && (c->regs & ra_bit(ts->reg))) {
                reg = ts->reg;
                if (!private) {
                    goto have_reg;
                }
                if (ts->kind == TEMP_CONST && !(i_regs & ra_bit(reg))) {
                    /* drop the cached constant: the register is ours */
                    temp_release(ra, ts);
                    ts->val_type = TEMP_VAL_CONST;
                    goto have_reg;
                }
            }
            if (regset_single(c->regs)) {
                TCGTemp *occ;

                reg = __builtin_ctz(c->regs);
                occ = ra->reg_to_temp[reg];
                if (occ) {
                    temp_evict(ra, occ, t->avail & ~fixed_i & ~fixed_o &
                                        ~ct->clobber);
                    if (occ == ts) {
                        /* private copy: the value is still in reg */
                        goto have_reg;
                    }
                }
            } else {
                if (ts->val_type == TEMP_VAL_REG) {
                    ra->locked |= ra_bit(ts->reg);
                }
                reg = reg_alloc(ra, c->regs & ~i_regs, homes);
            }
            temp_load_to(ra, ts, reg);
            if (!private && ts->val_type != TEMP_VAL_REG &&
                ts->kind != TEMP_FIXED) {
                /* loaded from memory: keep it there for later uses */
                TCGTempVal was = ts->val_type;
                temp_set_reg(ra, ts, reg);
                if (was == TEMP_VAL_MEM) {
                    ts->mem_coherent = true;
                } else if (was == TEMP_VAL_DEAD) {
                    ts->mem_coherent = false;
                } else if (ts->kind != TEMP_CONST) {
                    /* a lazy constant, maybe already written back */
                    ts->state |= RA_CONST_IN_REG;
                }
            }
        have_reg:
            args[k] = reg;
            i_regs |= ra_bit(reg);
            ra->locked = i_regs;
        }
    }
    ra->locked = i_regs;

    if (def->flags & TCG_OPF_BB_END) {
        if (def->flags & TCG_OPF_COND_BRANCH) {
            bb_sync(ra);
        } else {
            bb_end(ra, def->flags & TCG_OPF_BB_EXIT);
        }
    } else {
        if (ct->call_clobber) {
            TCGRegSet keep_ok = t->avail & ~t->call_clobbered;
            for (TCGRegSet m = ra->used & t->call_clobbered; m; m &= m - 1) {
                temp_evict(ra, ra->reg_to_temp[__builtin_ctz(m)], keep_ok);
            }
        }
        if (def->flags & TCG_OPF_SIDE_EFFECTS) {
            sync_globals(ra, false);
        }
    }

    /* inputs whose value the op is the last to need */
    for (i = 0; i < nb_i; i++) {
        TCGTemp *ts = its[i];
        if (!(dead & (1u << i)) || const_args[nb_o + i]) {
            continue;
        }
        if (life & DEAD_ARG(nb_o + i)) {
            temp_dead(ra, ts);
        } else if (ts->val_type == TEMP_VAL_REG) {
            /* overwritten by an output: no need to write it back */
            temp_release(ra, ts);
            ts->val_type = ts->kind == TEMP_GLOBAL ? TEMP_VAL_MEM
                                                   : TEMP_VAL_DEAD;
        }
    }

    /* registers the op destroys */
    ra->locked = i_regs | ct->clobber | fixed_o;
    for (TCGRegSet m = ct->clobber & ra->used; m; m &= m - 1) {
        temp_evict(ra, ra->reg_to_temp[__builtin_ctz(m)], t->avail);
    }

    /* outputs: fixed and aliased first */
    for (pass = 0; pass < 2; pass++) {
        for (j = 0; j < nb_o; j++) {
            const RAArgConstraint *c = &ct->args[j];
            TCGTemp *ots = arg_temp(op->args[j]);
            bool early = c->alias || regset_single(c->regs);
            int reg = -1;

            if (early != (pass == 0)) {
                continue;
            }
            if (c->alias) {
                assert(!const_args[nb_o + c->alias - 1]);
                reg = args[nb_o + c->alias - 1];
            } else if (regset_single(c->regs)) {
                TCGTemp *occ;

                reg = __builtin_ctz(c->regs);
                occ = ra->reg_to_temp[reg];
                if (occ && occ != ots) {
                    temp_evict(ra, occ, t->avail);
                }
            } else {
                TCGRegSet allowed = c->regs & t->avail & ~o_regs &
                                    ~ct->clobber & ~fixed_o;
                if (c->newreg) {
                    allowed &= ~i_regs;
                } else {
                    /* a register an input no longer needs */
                    for (i = 0; i < nb_i && reg < 0; i++) {
                        unsigned k = nb_o + i;
                        if (!const_args[k] && (allowed & ra_bit(args[k])) &&
                            !(ra->used & ra_bit(args[k]))) {
                            reg = args[k];
                        }
                    }
                }
                if (reg < 0) {
                    reg = reg_alloc(ra, allowed, homes);
                }
            }
            assign_out(ra, ots, reg);
            args[j] = reg;
            const_args[j] = false;
            o_regs |= ra_bit(reg);
            ra->locked |= ra_bit(reg);
        }
    }

    for (i = 0; i < ct->nb_scratch; i++) {
        int reg = reg_alloc(ra, ct->scratch_regs, 0);
        args[nb_a + i] = reg;
        ra->locked |= ra_bit(reg);
    }

    t->op(s, op, args, const_args, ra->used & ~o_regs);
    ra->locked = 0;

    for (j = 0; j < nb_o; j++) {
        out_life(ra, arg_temp(op->args[j]), life, j);
    }
}

/* ---- The pass ---- */

static void ra_begin(RAState *ra)
{
    TCGContext *s = ra->s;

    memset(ra->reg_to_temp, 0, sizeof(ra->reg_to_temp));
    ra->used = 0;
    ra->locked = 0;
    ra->frame_next = ra->t->frame_start;
    ra->nb_free_slots = 0;
    ra->nb_lazy = 0;
    ra->code_start = s->code_ptr;
    s->nb_insns = 0;

    for (int i = 0; i < s->nb_temps; i++) {
        TCGTemp *ts = &s->temps[i];

        ts->state = 0;
        switch (ts->kind) {
        case TEMP_FIXED:
            /* the back end set ts->reg at init */
            ts->val_type = TEMP_VAL_REG;
            break;
        case TEMP_GLOBAL:
            ts->val_type = TEMP_VAL_MEM;
            ts->mem_coherent = true;
            ts->reg = -1;
            break;
        case TEMP_CONST:
            ts->val_type = TEMP_VAL_CONST;
            ts->reg = -1;
            break;
        default:
            ts->val_type = TEMP_VAL_DEAD;
            ts->mem_allocated = false;
            ts->mem_coherent = false;
            ts->reg = -1;
            break;
        }
    }
}

#ifdef RA_DEBUG
/* Every temp in a register is where reg_to_temp says, and nothing else */
static void ra_verify(RAState *ra, const TCGOp *op)
{
    TCGContext *s = ra->s;
    TCGRegSet seen = 0;

    for (int i = 0; i < s->nb_temps; i++) {
        TCGTemp *ts = &s->temps[i];
        if (ts->val_type == TEMP_VAL_REG && ts->kind != TEMP_FIXED) {
            if (ts->reg < 0 || ra->reg_to_temp[ts->reg] != ts) {
                fprintf(stderr, "ra: temp %d claims reg %d after %s\n", i,
                        ts->reg, tcg_op_defs[op->opc].name);
                abort();
            }
            seen |= ra_bit(ts->reg);
        }
    }
    if (seen != ra->used) {
        fprintf(stderr, "ra: used %#x, temps hold %#x after %s\n",
                (unsigned)ra->used, (unsigned)seen, tcg_op_defs[op->opc].name);
        abort();
    }
}
#else
static inline void ra_verify(RAState *ra, const TCGOp *op)
{
}
#endif

void ra_gen_ops(RAState *ra)
{
    TCGContext *s = ra->s;
    TCGOp *op;

    ra_begin(ra);
    TAILQ_FOREACH(op, &s->ops, link) {
        switch (op->opc) {
        case INDEX_op_mov:
            ra_mov(ra, op);
            break;
        case INDEX_op_call:
            ra_call(ra, op);
            break;
        case INDEX_op_insn_start:
            ra_insn_start(ra, op);
            break;
        case INDEX_op_discard:
            ra_discard(ra, arg_temp(op->args[0]));
            break;
        case INDEX_op_set_label:
            bb_end(ra, false);
            ra->t->label(s, arg_label(op->args[0]));
            break;
        default:
            ra_op(ra, op);
            break;
        }
        ra_check_room(ra);
        ra_verify(ra, op);
    }
    if (s->nb_insns) {
        s->gen_insn_end_off[s->nb_insns - 1] = s->code_ptr - ra->code_start;
    }
}
