/*
 * The register allocator of the native back ends.
 *
 * One forward pass over the optimized ops, driven by op->life from the
 * liveness pass: each op gets registers for its inputs (loading globals
 * on first use, materializing constants lazily or passing them as
 * immediates when the back end accepts them), then for its outputs
 * (preferring a register an input just freed, which suits two-address
 * machines), and the back end emits the instruction.  Temps live in host
 * registers or in memory: globals in the CPU state, other temps in spill
 * slots of the host stack frame.  The cost is linear in the number of ops
 * (a few operations per host register per op at most).
 *
 * A back end describes itself with an RATarget: its registers, calling
 * convention, frame, a handful of emitters (move, load, store, constant)
 * and, per op, an RAOpConstraint saying where each argument may be.  The
 * allocator owns the generic ops (mov, call, insn_start, discard,
 * set_label); everything else goes through RATarget.op.
 *
 * The allocator does not trust liveness to be complete: values are
 * written back at block ends and before helpers whatever op->life says,
 * so code stays correct (only slower) with op->life == 0.  op->life only
 * ever makes it drop registers and write back earlier.
 *
 * Errors (code buffer full, TB too large) unwind with siglongjmp to the
 * back end's gen_code, which owns ra->jmp (see ra_abort()).
 */
#ifndef TCG_REGALLOC_H
#define TCG_REGALLOC_H

#include "tcg/tcg.h"
#include <setjmp.h>

typedef uint32_t TCGRegSet;
#define RA_MAX_REGS 32
/* outputs + inputs of a non-call op (add2/sub2: 2 + 4) */
#define RA_MAX_ARGS 6
#define RA_MAX_SCRATCH 2
/* spill slots of 8 bytes the frame may hold, at most */
#define RA_MAX_SLOTS 1024

static inline TCGRegSet ra_bit(int reg)
{
    return (TCGRegSet)1 << reg;
}

/* Where one argument of an op may be */
typedef struct RAArgConstraint {
    TCGRegSet regs;     /* allowed registers (one bit: a fixed register) */
    uint16_t ct;        /* constant kinds accepted (RATarget.const_match) */
    /*
     * Outputs: 1 + index (among the inputs) of the input whose register
     * the output must take (two-address forms); 0 for none.
     */
    uint8_t alias;
    /* Outputs: never in a register that holds an input of the op */
    bool newreg;
} RAArgConstraint;

/*
 * Unless an output says newreg, it may land in the register of an input
 * the op no longer needs: the back end's emitter must read its inputs
 * before writing such an output, or cope.
 */
typedef struct RAOpConstraint {
    RAArgConstraint args[RA_MAX_ARGS];  /* outputs, then inputs */
    TCGRegSet clobber;      /* registers the code overwrites besides outputs */
    TCGRegSet scratch_regs; /* where the scratch registers may be */
    uint8_t nb_scratch;     /* scratch registers, passed after the op's args */
    bool call_clobber;      /* the code calls out: loses call-clobbered regs */
} RAOpConstraint;

typedef struct RATarget {
    TCGRegSet avail;                /* registers the allocator hands out */
    TCGRegSet call_clobbered;       /* of those, what a helper call loses */
    uint8_t nb_order;
    uint8_t order[RA_MAX_REGS];     /* preference order of avail */
    uint8_t nb_call_arg_regs;
    uint8_t call_arg_regs[8];
    uint8_t call_ret_reg;
    uint8_t frame_reg;      /* base of spill slots and outgoing stack args */
    uint8_t tmp_reg;        /* never allocated: wide constants, stack args */
    int32_t call_stack_ofs; /* frame offset of the first stack argument */
    int32_t frame_start;    /* spill slots: [frame_start, frame_end) */
    int32_t frame_end;

    void (*mov)(TCGContext *s, TCGType type, int dst, int src);
    void (*movi)(TCGContext *s, TCGType type, int dst, int64_t val);
    void (*ld)(TCGContext *s, TCGType type, int reg, int base, intptr_t ofs);
    void (*st)(TCGContext *s, TCGType type, int reg, int base, intptr_t ofs);
    /* store a constant without a register; false if it cannot */
    bool (*sti)(TCGContext *s, TCGType type, int64_t val, int base,
                intptr_t ofs);
    /* dst = src extended to 64 bits for a call argument of kind I32/S32 */
    void (*call_ext)(TCGContext *s, TCGCallType kind, int dst, int src);
    /* does val (sign-extended if I32) satisfy the constant kinds ct? */
    bool (*const_match)(TCGType type, int64_t val, unsigned ct);
    const RAOpConstraint *(*constraint)(TCGContext *s, const TCGOp *op);
    /*
     * Emit op.  args[] holds, for outputs and inputs, a register or (when
     * const_args[i]) a constant value; then the op's constant arguments;
     * then the scratch registers.  live: registers holding values that
     * must survive the op (the op's outputs excluded).
     */
    void (*op)(TCGContext *s, const TCGOp *op, const TCGArg *args,
               const bool *const_args, TCGRegSet live);
    void (*call)(TCGContext *s, const void *func, const TCGHelperInfo *info);
    /* a label is bound at s->code_ptr */
    void (*label)(TCGContext *s, TCGLabel *l);
} RATarget;

/* Allocation state of one context; back ends embed it in backend_data */
typedef struct RAState {
    TCGContext *s;
    const RATarget *t;
    uint8_t *code_start;            /* rw: first byte of the TB's code */
    TCGTemp *reg_to_temp[RA_MAX_REGS];
    TCGRegSet used;                 /* registers holding a temp */
    TCGRegSet locked;               /* taken by the op being allocated */
    int32_t frame_next;
    int nb_free_slots;
    int32_t free_slots[RA_MAX_SLOTS];
    /* temps (not TEMP_CONST) whose value is a constant not yet stored */
    int nb_lazy;
    uint16_t lazy[TCG_MAX_TEMPS];
    sigjmp_buf jmp;
} RAState;

/* ts->state bits during code generation */
#define RA_LAZY_LISTED 1u   /* on RAState.lazy */
#define RA_CONST_IN_REG 2u  /* in a register, and that holds ts->val */

/*
 * Is ts's value the constant ts->val?  Back ends that pick constraints by
 * the constness of an argument must ask this, as the allocator does.
 */
static inline bool ra_temp_is_const(const TCGTemp *ts)
{
    return ts->kind == TEMP_CONST || ts->val_type == TEMP_VAL_CONST ||
           (ts->val_type == TEMP_VAL_REG && (ts->state & RA_CONST_IN_REG));
}

void ra_init(RAState *ra, TCGContext *s, const RATarget *t);
/*
 * Allocate registers for s->ops and emit them at s->code_ptr, which must
 * equal ra->code_start.  Records the insn boundaries in s->gen_insn_*.
 * On error, siglongjmp(ra->jmp, 1 or 2): the caller must have done
 * sigsetjmp(ra->jmp, 0) and returns -1 or -2 accordingly.
 */
void ra_gen_ops(RAState *ra);
/* Unwind to gen_code with -err (1: buffer full, 2: TB too large) */
void ra_abort(RAState *ra, int err) EMU_NORETURN;

/* Give up if the code passed the high-water mark or 64 KiB */
static inline void ra_check_room(RAState *ra)
{
    TCGContext *s = ra->s;

    if (unlikely(s->code_ptr > s->code_gen_highwater)) {
        ra_abort(ra, 1);
    }
    if (unlikely(s->code_ptr - ra->code_start > UINT16_MAX)) {
        ra_abort(ra, 2);
    }
}

#endif
