/* x86 translator helpers: lazy flags, ALU, real-mode interrupts, port I/O. */
#include "emu/osdep.h"
#include "target/i386/tcg/translate.h"
#include "exec/cputlb.h"
#include "emu/thread.h"
#include "system/memory.h"

static inline uint64_t size_mask(unsigned sz)
{
    return sz == MO_64 ? ~0ull : (1ull << (8 << sz)) - 1;
}

static inline uint64_t sign_bit(unsigned sz)
{
    return 1ull << ((8 << sz) - 1);
}

static inline uint64_t szp_flags(uint64_t res, unsigned sz)
{
    uint64_t f = 0;

    res &= size_mask(sz);
    if (res == 0) {
        f |= CC_Z;
    }
    if (res & sign_bit(sz)) {
        f |= CC_S;
    }
    if (!(__builtin_popcount((unsigned)(res & 0xff)) & 1)) {
        f |= CC_P;
    }
    return f;
}

uint64_t x86_cc_compute(uint32_t cc_op, uint64_t dst, uint64_t src,
                        uint64_t src2)
{
    unsigned sz = cc_op & 3;
    uint64_t m = size_mask(sz), sb = sign_bit(sz);
    uint64_t a, f;

    switch (cc_op & ~3u) {
    case CC_OP_EFLAGS:
        return src & CC_MASK;
    case CC_OP_ADD:
    case CC_OP_ADC:
        a = dst - src - (cc_op >= CC_OP_ADC ? src2 : 0);
        f = szp_flags(dst, sz);
        if ((cc_op & ~3u) == CC_OP_ADC && src2) {
            f |= (dst & m) <= (src & m) ? CC_C : 0;
        } else {
            f |= (dst & m) < (src & m) ? CC_C : 0;
        }
        f |= ((a ^ dst) & (src ^ dst) & sb) ? CC_O : 0;
        f |= (a ^ src ^ dst) & CC_A;
        return f;
    case CC_OP_SUB:
    case CC_OP_SBB:
        a = dst + src + ((cc_op & ~3u) == CC_OP_SBB ? src2 : 0);
        f = szp_flags(dst, sz);
        if ((cc_op & ~3u) == CC_OP_SBB && src2) {
            f |= (a & m) <= (src & m) ? CC_C : 0;
        } else {
            f |= (a & m) < (src & m) ? CC_C : 0;
        }
        f |= ((a ^ src) & (a ^ dst) & sb) ? CC_O : 0;
        f |= (a ^ src ^ dst) & CC_A;
        return f;
    case CC_OP_LOGIC:
        return szp_flags(dst, sz);
    case CC_OP_INC:
        f = szp_flags(dst, sz) | (src2 & CC_C);
        f |= (dst & m) == sb ? CC_O : 0;
        f |= ((dst - 1) ^ 1 ^ dst) & CC_A;
        return f;
    case CC_OP_DEC:
        f = szp_flags(dst, sz) | (src2 & CC_C);
        f |= (dst & m) == sb - 1 ? CC_O : 0;
        f |= ((dst + 1) ^ 1 ^ dst) & CC_A;
        return f;
    case CC_OP_MUL:
        return szp_flags(dst, sz) | (src ? CC_C | CC_O : 0);
    case CC_OP_SHL:
        f = szp_flags(dst, sz) | ((src & sb) ? CC_C : 0);
        f |= (((src ^ dst) & sb) ? CC_O : 0);
        return f;
    case CC_OP_SHR:
        return szp_flags(dst, sz) | (src & CC_C) | ((src & sb) ? CC_O : 0);
    case CC_OP_SAR:
        return szp_flags(dst, sz) | (src & CC_C);
    default:
        return 0;
    }
}

uint64_t x86_cpu_get_eflags(CPUX86State *env)
{
    return (env->rflags & ~(uint64_t)CC_MASK) |
           x86_cc_compute(env->cc_op, env->cc_dst, env->cc_src, env->cc_src2);
}

void x86_cpu_set_eflags(CPUX86State *env, uint64_t rflags)
{
    env->rflags = rflags | 2;
    env->cc_op = CC_OP_EFLAGS;
    env->cc_src = rflags & CC_MASK;
}

static uint64_t cur_flags(CPUX86State *env)
{
    return x86_cc_compute(env->cc_op, env->cc_dst, env->cc_src, env->cc_src2);
}

static void set_flags(CPUX86State *env, uint64_t f)
{
    env->cc_op = CC_OP_EFLAGS;
    env->cc_src = f & CC_MASK;
}

static uint64_t helper_cc_compute(uint32_t cc_op, uint64_t dst, uint64_t src,
                                  uint64_t src2)
{
    return x86_cc_compute(cc_op, dst, src, src2);
}

static void EMU_NORETURN helper_raise(void *env, uint32_t excp)
{
    cpu_loop_exit_exception(env_cpu(env), (int)excp, GETPC());
}

static void EMU_NORETURN helper_hlt(void *env)
{
    CPUState *cs = env_cpu(env);

    cs->halted = true;
    cs->exception_index = EXCP_HLT;
    cpu_loop_exit(cs);
}

/*
 * Group 2 shifts and rotates.  Undefined flags get these values: OF as
 * for a count of 1 (from the final result), AF cleared for shifts.
 */
static uint64_t helper_shift(void *envp, uint32_t kind, uint64_t val,
                             uint64_t count)
{
    CPUX86State *env = envp;
    unsigned sz = kind & 3, op = kind >> 2, bits = 8 << sz;
    uint64_t m = size_mask(sz), sb = sign_bit(sz);
    uint64_t f = 0, res, cf;
    unsigned c = count & (sz == MO_64 ? 63 : 31);

    val &= m;
    if (c == 0) {
        return val;
    }
    if (op < 4) {
        /* rotates keep SZAP: the old flags are needed only for them */
        f = cur_flags(env);
    }
    switch (op) {
    case 0: /* rol */
    case 1: { /* ror */
        unsigned r = c % bits;
        if (op == 0) {
            res = r ? ((val << r) | (val >> (bits - r))) & m : val;
            cf = res & 1;
            f = (f & ~(uint64_t)(CC_C | CC_O)) | cf;
            f |= ((res & sb) ? 1 : 0) ^ cf ? CC_O : 0;
        } else {
            res = r ? ((val >> r) | (val << (bits - r))) & m : val;
            cf = (res & sb) ? 1 : 0;
            f = (f & ~(uint64_t)(CC_C | CC_O)) | cf;
            f |= (((res >> (bits - 1)) ^ (res >> (bits - 2))) & 1) ? CC_O : 0;
        }
        break;
    }
    case 2: /* rcl */
    case 3: { /* rcr */
        unsigned t = sz == MO_8 ? c % 9 : sz == MO_16 ? c % 17 : c;
        cf = f & CC_C;
        res = val;
        if (op == 3) {
            f = (f & ~(uint64_t)CC_O) |
                ((((res & sb) ? 1 : 0) ^ cf) ? CC_O : 0);
        }
        for (unsigned i = 0; i < t; i++) {
            uint64_t out;
            if (op == 2) {
                out = (res & sb) ? 1 : 0;
                res = ((res << 1) | cf) & m;
            } else {
                out = res & 1;
                res = (res >> 1) | (cf ? sb : 0);
            }
            cf = out;
        }
        f = (f & ~(uint64_t)CC_C) | cf;
        if (op == 2) {
            f = (f & ~(uint64_t)CC_O) |
                ((((res & sb) ? 1 : 0) ^ cf) ? CC_O : 0);
        }
        break;
    }
    case 4: /* shl */
    case 6:
        res = c < 64 ? (val << c) & m : 0;
        cf = c <= bits ? (val >> (bits - c)) & 1 : 0;
        f = szp_flags(res, sz) | cf;
        f |= (((res & sb) ? 1 : 0) ^ cf) ? CC_O : 0;
        break;
    case 5: /* shr */
        res = val >> c;
        cf = (val >> (c - 1)) & 1;
        f = szp_flags(res, sz) | cf;
        f |= (c == 1 && (val & sb)) ? CC_O : 0;
        break;
    default: { /* sar */
        int64_t sv = (int64_t)(val << (64 - bits)) >> (64 - bits);
        res = (uint64_t)(sv >> (c > 63 ? 63 : c)) & m;
        cf = (uint64_t)(sv >> (c - 1 > 63 ? 63 : c - 1)) & 1;
        f = szp_flags(res, sz) | cf;
        break;
    }
    }
    set_flags(env, f);
    return res;
}

/* shld (kind bit 2 clear) / shrd: dst shifted, bits from src fill in */
static uint64_t helper_shd(void *envp, uint32_t kind, uint64_t dst,
                           uint64_t src, uint64_t count)
{
    CPUX86State *env = envp;
    unsigned sz = kind & 3, bits = 8 << sz;
    uint64_t m = size_mask(sz), sb = sign_bit(sz), res, cf, f;
    unsigned c = count & (sz == MO_64 ? 63 : 31);

    dst &= m;
    src &= m;
    if (c == 0) {
        return dst;
    }
    if (sz == MO_16) {
        /* counts above 16 are undefined: shift through dst:src:dst */
        uint64_t wide;
        if (kind & 4) {
            wide = (src << 32) | (src << 16) | dst;
            res = (wide >> c) & m;
            cf = (wide >> (c - 1)) & 1;
        } else {
            wide = (dst << 32) | (src << 16) | dst;
            res = ((wide << c) >> 32) & m;
            cf = ((wide << (c - 1)) >> 47) & 1;
        }
    } else if (kind & 4) {
        res = ((dst >> c) | (src << (bits - c))) & m;
        cf = (dst >> (c - 1)) & 1;
    } else {
        res = ((dst << c) | (src >> (bits - c))) & m;
        cf = (dst >> (bits - c)) & 1;
    }
    f = szp_flags(res, sz) | cf;
    f |= ((res ^ dst) & sb) ? CC_O : 0;
    set_flags(env, f);
    return res;
}

/* div/idiv on rAX/rDX: raises #DE on a zero divisor or quotient overflow */
static void helper_div(void *envp, uint32_t kind, uint64_t divisor)
{
    CPUX86State *env = envp;
    unsigned sz = kind & 3, bits = 8 << sz;
    uint64_t m = size_mask(sz);
    uint64_t *rax = &env->regs[R_EAX], *rdx = &env->regs[R_EDX];
    unsigned __int128 n;
    bool sgn = kind & 4;

    divisor &= m;
    if (divisor == 0) {
        cpu_loop_exit_exception(env_cpu(env), EXCP00_DIVZ, GETPC());
    }
    if (sz == MO_8) {
        n = *rax & 0xffff;
    } else {
        n = ((unsigned __int128)(*rdx & m) << bits) | (*rax & m);
    }
    if (!sgn) {
        unsigned __int128 q = n / divisor, r = n % divisor;
        if (q > m) {
            cpu_loop_exit_exception(env_cpu(env), EXCP00_DIVZ, GETPC());
        }
        n = q | (r << 64);
    } else {
        unsigned nb = 2 * bits;
        __int128 sn, sd, q, r;
        if (nb == 128) {
            sn = (__int128)n;
        } else {
            sn = (__int128)(n << (128 - nb)) >> (128 - nb);
        }
        sd = (int64_t)(divisor << (64 - bits)) >> (64 - bits);
        /* INT128_MIN / -1 overflows the host division too */
        if (sd == -1 && bits == 64 &&
            (unsigned __int128)sn == (unsigned __int128)1 << 127) {
            cpu_loop_exit_exception(env_cpu(env), EXCP00_DIVZ, GETPC());
        }
        q = sn / sd;
        r = sn % sd;
        if (q > (__int128)(m >> 1) || q < -(__int128)(m >> 1) - 1) {
            cpu_loop_exit_exception(env_cpu(env), EXCP00_DIVZ, GETPC());
        }
        n = ((unsigned __int128)q & m) |
            (((unsigned __int128)r & m) << 64);
    }
    {
        uint64_t q = (uint64_t)n & m, r = (uint64_t)(n >> 64) & m;
        switch (sz) {
        case MO_8:
            *rax = (*rax & ~0xffffull) | q | (r << 8);
            break;
        case MO_16:
            *rax = (*rax & ~0xffffull) | q;
            *rdx = (*rdx & ~0xffffull) | r;
            break;
        default:
            *rax = q;
            *rdx = r;
            break;
        }
    }
}

/* The full register after writing v with operand size sz */
static uint64_t reg_write(uint64_t old, uint64_t v, unsigned sz)
{
    switch (sz) {
    case MO_16:
        return (old & ~0xffffull) | (v & 0xffff);
    case MO_32:
        return (uint32_t)v;
    default:
        return v;
    }
}

/*
 * bsf/bsr/tzcnt/lzcnt/popcnt: returns the whole destination register
 * (untouched, upper half included, for bsf/bsr of zero as hardware does).
 * Undefined flags are kept.
 */
static uint64_t helper_bitop(void *envp, uint32_t kind, uint64_t src,
                             uint64_t old)
{
    CPUX86State *env = envp;
    unsigned sz = kind & 3, op = kind >> 2, bits = 8 << sz;
    uint64_t f = cur_flags(env);
    uint64_t res;

    src &= size_mask(sz);
    switch (op) {
    case 0: /* bsf */
    case 1: /* bsr */
        if (!src) {
            set_flags(env, (f & ~(uint64_t)CC_Z) | CC_Z);
            return old;
        }
        res = op == 0 ? (uint64_t)__builtin_ctzll(src)
                      : (uint64_t)(63 - __builtin_clzll(src));
        set_flags(env, f & ~(uint64_t)CC_Z);
        return reg_write(old, res, sz);
    case 2: /* tzcnt */
        res = src ? (uint64_t)__builtin_ctzll(src) : bits;
        break;
    case 3: /* lzcnt */
        res = src ? (uint64_t)(__builtin_clzll(src) - (64 - bits)) : bits;
        break;
    default: /* popcnt */
        res = (uint64_t)__builtin_popcountll(src);
        set_flags(env, src ? 0 : CC_Z);
        return reg_write(old, res, sz);
    }
    f &= ~(uint64_t)(CC_C | CC_Z);
    f |= src ? 0 : CC_C;
    f |= res ? 0 : CC_Z;
    set_flags(env, f);
    return reg_write(old, res, sz);
}

const TCGHelperInfo x86_helper_cc_compute = {
    .func = (void *)helper_cc_compute, .name = "cc_compute",
    .flags = TCG_CALL_CONST, .ret = TCG_CALL_I64, .nargs = 4,
    .args = { TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_raise = {
    .func = (void *)helper_raise, .name = "raise",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_hlt = {
    .func = (void *)helper_hlt, .name = "hlt",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 1,
    .args = { TCG_CALL_PTR },
};
const TCGHelperInfo x86_helper_shift = {
    .func = (void *)helper_shift, .name = "shift",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_shd = {
    .func = (void *)helper_shd, .name = "shd",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 5,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64,
              TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_div = {
    .func = (void *)helper_div, .name = "div",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_bitop = {
    .func = (void *)helper_bitop, .name = "bitop",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64 },
};

/* ---- 16/32-bit modes: flags, real-mode interrupts ---- */

#define IF_MASK   0x200u
#define TF_MASK   0x100u
#define IOPL_MASK 0x3000u
#define NT_MASK   0x4000u
#define AC_MASK   0x40000u
#define ID_MASK   0x200000u

/* pushf: the image excludes VM and RF (SDM: "PUSHF") */
static uint64_t helper_pushf(void *envp)
{
    return x86_cpu_get_eflags(envp) & ~(uint64_t)0x30000;
}

/*
 * popf in real mode or at CPL 0: every writable bit but VM/VIP/VIF
 * (and RF, which popf clears).  A 16-bit popf keeps the upper half.
 * Protected mode below CPL 0 (IOPL/IF rules) and VM86 come with
 * protected mode.
 */
static void helper_popf(void *envp, uint32_t ot, uint64_t val)
{
    CPUX86State *env = envp;
    uint64_t mask = CC_MASK | TF_MASK | IF_MASK | DF_MASK | IOPL_MASK |
                    NT_MASK | AC_MASK | ID_MASK;
    uint64_t old = x86_cpu_get_eflags(env);

    if (ot == MO_16) {
        mask &= 0xffff;
    }
    x86_cpu_set_eflags(env, ((old & ~mask) | (val & mask)) & ~0x10000ull);
}

/*
 * Real-mode software interrupt (int n, int3, into): push FLAGS, CS, IP
 * (next_ip) on the 16-bit stack, clear IF/TF/AC, load CS:IP from the IVT
 * at linear 4 * n.  Done synchronously here rather than through
 * do_interrupt: nothing is pending between the insn and the delivery.
 */
static void helper_int_real(void *envp, uint32_t vec, uint64_t next_ip)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    uint64_t fl = x86_cpu_get_eflags(env);
    uint32_t sp = env->regs[R_ESP] & 0xffff;
    uint64_t ss = env->segs[R_SS].base;
    uint32_t ip, cs;

    ip = cpu_lduw_le_data_ra(env, vec * 4, ra);
    cs = cpu_lduw_le_data_ra(env, vec * 4 + 2, ra);
    sp = (sp - 2) & 0xffff;
    cpu_stw_le_data_ra(env, ss + sp, fl, ra);
    sp = (sp - 2) & 0xffff;
    cpu_stw_le_data_ra(env, ss + sp, env->segs[R_CS].selector, ra);
    sp = (sp - 2) & 0xffff;
    cpu_stw_le_data_ra(env, ss + sp, next_ip, ra);
    env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | sp;
    env->rflags &= ~(uint64_t)(IF_MASK | TF_MASK | AC_MASK);
    env->segs[R_CS].selector = cs;
    env->segs[R_CS].base = (uint64_t)cs << 4;
    env->rip = ip;
}

/* Real-mode iret: pop IP, CS, FLAGS of operand size ot */
static void helper_iret_real(void *envp, uint32_t ot)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    uint64_t ss = env->segs[R_SS].base;
    uint64_t spmask = (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffull
                                                            : 0xffff;
    uint64_t sp = env->regs[R_ESP] & spmask;
    unsigned n = 1u << ot;
    uint64_t ip, cs, fl;

    x86_nmi_unblock(env);
    if (ot == MO_32) {
        ip = cpu_ldl_le_data_ra(env, ss + sp, ra);
        cs = cpu_ldl_le_data_ra(env, ss + ((sp + 4) & spmask), ra) & 0xffff;
        fl = cpu_ldl_le_data_ra(env, ss + ((sp + 8) & spmask), ra);
    } else {
        ip = cpu_lduw_le_data_ra(env, ss + sp, ra);
        cs = cpu_lduw_le_data_ra(env, ss + ((sp + 2) & spmask), ra);
        fl = cpu_lduw_le_data_ra(env, ss + ((sp + 4) & spmask), ra);
    }
    sp = (sp + 3 * n) & spmask;
    env->regs[R_ESP] = (env->regs[R_ESP] & ~spmask) | sp;
    env->segs[R_CS].selector = cs;
    env->segs[R_CS].base = cs << 4;
    env->rip = ip;
    helper_popf(env, ot, fl);
}

/*
 * BCD adjustments, flags as the SDM's pseudo-code defines them; flags it
 * calls undefined: daa/das OF = 0; aaa/aas OF SF ZF PF from the AL result
 * is not architectural, we clear OF and compute SZP of AL; aam/aad: CF AF
 * OF cleared.  Returns the new AX; flags go to env.
 */
static uint64_t helper_bcd(void *envp, uint32_t op, uint64_t ax)
{
    CPUX86State *env = envp;
    uint64_t f = cur_flags(env);
    unsigned al = ax & 0xff, ah = (ax >> 8) & 0xff, old_al = al;
    bool cf = f & CC_C, af = f & CC_A;
    uint64_t nf = 0;

    switch (op) {
    case 0: /* daa */
        if ((al & 0xf) > 9 || af) {
            al = (al + 6) & 0xff;
            nf |= CC_A;
        }
        if (old_al > 0x99 || cf) {
            al = (al + 0x60) & 0xff;
            nf |= CC_C;
        }
        break;
    case 1: /* das */
        if ((al & 0xf) > 9 || af) {
            al = (al - 6) & 0xff;
            nf |= CC_A;
        }
        if (old_al > 0x99 || cf) {
            al = (al - 0x60) & 0xff;
            nf |= CC_C;
        }
        break;
    case 2: /* aaa */
    case 3: /* aas */
        if ((al & 0xf) > 9 || af) {
            if (op == 2) {
                ax = (ax & 0xffff) + 0x106;
            } else {
                ax = (ax & 0xffff) - 6;
                ax = (ax & 0xff) | ((((ax >> 8) - 1) & 0xff) << 8);
            }
            al = ax & 0xff;
            ah = (ax >> 8) & 0xff;
            nf |= CC_A | CC_C;
        }
        al &= 0xf;
        break;
    default:
        break;
    }
    nf |= szp_flags(al, MO_8) & (CC_S | CC_Z | CC_P);
    set_flags(env, nf);
    return (ah << 8) | al;
}

/* aam (op 0) / aad (op 1) with base imm; #DE for aam 0 */
static uint64_t helper_aam(void *envp, uint32_t op, uint64_t ax, uint64_t imm)
{
    CPUX86State *env = envp;
    unsigned al = ax & 0xff, ah = (ax >> 8) & 0xff;

    imm &= 0xff;
    if (op == 0) {
        if (imm == 0) {
            cpu_loop_exit_exception(env_cpu(env), EXCP00_DIVZ, GETPC());
        }
        ah = al / imm;
        al = al % imm;
    } else {
        al = (al + ah * imm) & 0xff;
        ah = 0;
    }
    set_flags(env, szp_flags(al, MO_8) & (CC_S | CC_Z | CC_P));
    return (ah << 8) | al;
}

const TCGHelperInfo x86_helper_pushf = {
    .func = (void *)helper_pushf, .name = "pushf",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 1,
    .args = { TCG_CALL_PTR },
};
const TCGHelperInfo x86_helper_popf = {
    .func = (void *)helper_popf, .name = "popf",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_int_real = {
    .func = (void *)helper_int_real, .name = "int_real",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_iret_real = {
    .func = (void *)helper_iret_real, .name = "iret_real",
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_bcd = {
    .func = (void *)helper_bcd, .name = "bcd",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_aam = {
    .func = (void *)helper_aam, .name = "aam",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64 },
};

/*
 * Port I/O (in/out, sizes 1/2/4) on the I/O address space, under the
 * global lock as device callbacks expect (taken here unless the caller
 * already holds it).  No permission check: the translator calls these
 * helpers only where none applies (real mode, CPL 0 outside VM86), and
 * seg_helper.c's checked ones after the IOPL/I/O bitmap check.
 */
uint64_t x86_port_in(unsigned ot, uint16_t port)
{
    uint64_t v = 0;
    bool taken = !bql_locked();

    if (taken) {
        bql_lock();
    }
    if (address_space_load(&address_space_io, port, 1u << ot, false,
                           &v) != MEMTX_OK) {
        v = ~0ull;
    }
    if (taken) {
        bql_unlock();
    }
    return v & size_mask(ot);
}

void x86_port_out(unsigned ot, uint16_t port, uint64_t v)
{
    bool taken = !bql_locked();

    if (taken) {
        bql_lock();
    }
    address_space_store(&address_space_io, port, 1u << ot, false,
                        v & size_mask(ot));
    if (taken) {
        bql_unlock();
    }
}

static uint64_t helper_in(void *envp, uint32_t ot, uint64_t port)
{
    return x86_port_in(ot, port & 0xffff);
}

static void helper_out(void *envp, uint32_t ot, uint64_t port, uint64_t v)
{
    x86_port_out(ot, port & 0xffff, v);
}

const TCGHelperInfo x86_helper_in = {
    .func = (void *)helper_in, .name = "in",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_I64, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_out = {
    .func = (void *)helper_out, .name = "out",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 4,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64 },
};
