/* x87 FPU helpers: x87 instructions, FPU environment, FXSAVE/FXRSTOR, MXCSR. */
#include "emu/osdep.h"
#include "target/i386/tcg/translate.h"
#include "exec/cputlb.h"
#include "target/i386/tcg/fpu_soft.h"

/*
 * The guest's x87 lives in env->fpregs/fpstt/fpus/fpuc/fptags.  This file
 * keeps the status word (sticky flags, ES/B summary), does the control
 * instructions (fninit, fnclex, fldcw/fnstcw, fnstsw, fnstenv/fldenv,
 * fnsave/frstor in their 14/28/94/108-byte formats), FXSAVE/FXRSTOR,
 * MXCSR, #MF, the last-instruction pointers and the guest memory
 * accesses (probed before anything is written, so a fault leaves the
 * FPU untouched).
 *
 * Every other x87 instruction goes through one small back-end interface,
 * x87_backend_exec(): "execute this instruction (named by its opcode and
 * ModRM bytes) on this whole x87 state, given as an FNSAVE image, with
 * this memory operand and these EFLAGS".  On an x86-64 host the back end
 * runs that very instruction on the host FPU, so results, rounding,
 * precision control, C0-C3, the tag word, stack overflow/underflow and
 * the masked and unmasked exception responses are the host CPU's, bit
 * for bit (the x87 results of a guest are then those of the machine it
 * runs on, as under KVM).  Other hosts use the portable back end of
 * fpu_soft.c behind the same interface; what it does not implement yet
 * (see fpu_soft.h) raises #UD there.
 */

/* Status word bits */
#define FPUS_IE 0x0001
#define FPUS_DE 0x0002
#define FPUS_ZE 0x0004
#define FPUS_OE 0x0008
#define FPUS_UE 0x0010
#define FPUS_PE 0x0020
#define FPUS_SF 0x0040
#define FPUS_ES 0x0080
#define FPUS_C0 0x0100
#define FPUS_C1 0x0200
#define FPUS_C2 0x0400
#define FPUS_TOP 0x3800
#define FPUS_C3 0x4000
#define FPUS_B  0x8000
#define FPUS_EXC 0x003f
#define FPUS_CC (FPUS_C0 | FPUS_C1 | FPUS_C2 | FPUS_C3)

/* ---- The arithmetic back end ---- */

/*
 * x87_backend_exec(img, enc, mem, eflags): execute the x87 instruction
 * enc (its opcode byte << 8 | ModRM; a memory form's operand is mem) on
 * the FPU state img, in the 108-byte FNSAVE layout (32-bit protected
 * mode format), with the arithmetic flags *eflags as its input (fcmov);
 * img, mem and *eflags (fcomi) receive the results.  Returns false if
 * the back end cannot run enc.
 */
#if defined(__x86_64__)

/*
 * The host runs the very same instruction on an exact copy of the guest's
 * x87 state: FRSTOR, the instruction, FNSAVE (which does not wait, so an
 * unmasked exception the instruction leaves pending never traps here,
 * and which leaves the host FPU empty again); the host's control word is
 * put back last.  EFLAGS goes in and out through the stack below the
 * red zone.
 */
#define HOST_X87(insn)                                                      \
    __asm__ volatile("fnstcw %[hcw]\n\t"                                    \
                     "frstor %[img]\n\t"                                    \
                     "lea -128(%%rsp), %%rsp\n\t"                           \
                     "pushq %[fl]\n\t"                                      \
                     "popfq\n\t"                                            \
                     insn "\n\t"                                            \
                     "pushfq\n\t"                                           \
                     "popq %[fl]\n\t"                                       \
                     "lea 128(%%rsp), %%rsp\n\t"                            \
                     "fnsave %[img]\n\t"                                    \
                     "fldcw %[hcw]\n\t"                                     \
                     : [img] "+m" (*(uint8_t (*)[108])img),                 \
                       [hcw] "=m" (hcw), [fl] "+r" (fl)                     \
                     : "a" (mem)                                            \
                     : "memory", "cc", "st", "st(1)", "st(2)", "st(3)",     \
                       "st(4)", "st(5)", "st(6)", "st(7)")

#define HC(op, m) \
    case ((op) << 8 | (m)): HOST_X87(".byte " #op ", " #m); break;
/* the nibble is pasted: the parameter names must not be hex digits */
#define HC8LO(op, hi) HC(op, hi##0) HC(op, hi##1) HC(op, hi##2) \
                      HC(op, hi##3) HC(op, hi##4) HC(op, hi##5) \
                      HC(op, hi##6) HC(op, hi##7)
#define HC8HI(op, hi) HC(op, hi##8) HC(op, hi##9) HC(op, hi##a) \
                      HC(op, hi##b) HC(op, hi##c) HC(op, hi##d) \
                      HC(op, hi##e) HC(op, hi##f)
#define HC16(op, hi) HC8LO(op, hi) HC8HI(op, hi)
/* memory forms: ModRM 00 reg 000, the operand at [rax] */
#define HCMEM(op) HC(op, 0x00) HC(op, 0x08) HC(op, 0x10) HC(op, 0x18) \
                  HC(op, 0x20) HC(op, 0x28) HC(op, 0x30) HC(op, 0x38)

static bool x87_backend_exec(uint8_t *img, unsigned enc, uint8_t *mem,
                             uint64_t *eflags)
{
    uint16_t hcw;
    uint64_t fl = *eflags;

    switch (enc) {
    HC16(0xd8, 0xc) HC16(0xd8, 0xd) HC16(0xd8, 0xe) HC16(0xd8, 0xf)
    HC16(0xd9, 0xc) HC(0xd9, 0xd0) HC8HI(0xd9, 0xd)
    HC(0xd9, 0xe0) HC(0xd9, 0xe1) HC(0xd9, 0xe4) HC(0xd9, 0xe5)
    HC(0xd9, 0xe8) HC(0xd9, 0xe9) HC(0xd9, 0xea) HC(0xd9, 0xeb)
    HC(0xd9, 0xec) HC(0xd9, 0xed) HC(0xd9, 0xee) HC16(0xd9, 0xf)
    HC16(0xda, 0xc) HC16(0xda, 0xd) HC(0xda, 0xe9)
    HC16(0xdb, 0xc) HC16(0xdb, 0xd) HC8HI(0xdb, 0xe) HC8LO(0xdb, 0xf)
    HC16(0xdc, 0xc) HC16(0xdc, 0xd) HC16(0xdc, 0xe) HC16(0xdc, 0xf)
    HC16(0xdd, 0xc) HC16(0xdd, 0xd) HC16(0xdd, 0xe)
    HC16(0xde, 0xc) HC8LO(0xde, 0xd) HC(0xde, 0xd9) HC16(0xde, 0xe)
    HC16(0xde, 0xf)
    HC16(0xdf, 0xc) HC16(0xdf, 0xd) HC8HI(0xdf, 0xe) HC8LO(0xdf, 0xf)
    HCMEM(0xd8) HC(0xd9, 0x00) HC(0xd9, 0x10) HC(0xd9, 0x18) HCMEM(0xda)
    HC(0xdb, 0x00) HC(0xdb, 0x08) HC(0xdb, 0x10) HC(0xdb, 0x18)
    HC(0xdb, 0x28) HC(0xdb, 0x38) HCMEM(0xdc)
    HC(0xdd, 0x00) HC(0xdd, 0x08) HC(0xdd, 0x10) HC(0xdd, 0x18)
    HCMEM(0xde) HCMEM(0xdf)
    default:
        return false;
    }
    *eflags = fl;
    return true;
}

#else

/* Hosts without an x87: the portable back end (fpu_soft.h) */
static bool x87_backend_exec(uint8_t *img, unsigned enc, uint8_t *mem,
                             uint64_t *eflags)
{
    return x87_soft_exec(img, enc, mem, eflags);
}

#endif

/* ---- Register stack and status word ---- */

static inline unsigned st_phys(CPUX86State *env, int i)
{
    return (env->fpstt + i) & 7;
}

static inline X86FPReg *st(CPUX86State *env, int i)
{
    return &env->fpregs[st_phys(env, i)];
}

/* ES and B summarize the unmasked exceptions flagged */
static void update_es(CPUX86State *env)
{
    if (env->fpus & ~env->fpuc & FPUS_EXC) {
        env->fpus |= FPUS_ES | FPUS_B;
    } else {
        env->fpus &= ~(FPUS_ES | FPUS_B);
    }
}

/* 00 valid, 01 zero, 10 special, 11 empty */
static unsigned fp_tag(CPUX86State *env, int phys)
{
    const X86FPReg *r = &env->fpregs[phys];
    unsigned e = r->exp & 0x7fff;

    if (env->fptags[phys]) {
        return 3;
    }
    if (e == 0x7fff) {
        return 2;
    }
    if (e == 0) {
        return r->mant == 0 ? 1 : 2;
    }
    return (r->mant >> 63) ? 0 : 2;
}

static uint16_t full_tag_word(CPUX86State *env)
{
    uint16_t tw = 0;

    for (int i = 0; i < 8; i++) {
        tw |= fp_tag(env, i) << (2 * i);
    }
    return tw;
}

static uint16_t fpu_status_word(CPUX86State *env)
{
    return (env->fpus & ~FPUS_TOP) | ((env->fpstt & 7) << 11);
}

static void fpu_set_status_word(CPUX86State *env, uint16_t sw)
{
    env->fpstt = (sw >> 11) & 7;
    env->fpus = sw & ~FPUS_TOP;
    update_es(env);
}

/* Reserved bits 6 (reads 1) and 13-15 (read 0) */
static void fpu_set_control_word(CPUX86State *env, uint16_t cw)
{
    env->fpuc = (cw & 0x1f3f) | 0x40;
    update_es(env);
}

static void fpu_init(CPUX86State *env)
{
    env->fpuc = 0x37f;
    env->fpus = 0;
    env->fpstt = 0;
    memset(env->fptags, 1, sizeof(env->fptags));
    env->fpop = 0;
    env->fpip = env->fpdp = 0;
    env->fpcs = env->fpds = 0;
}

/* ---- Guest memory ---- */

/* Fault now, before anything is written, if [addr, addr+len) is not writable */
static void probe_write_range(CPUX86State *env, uint64_t addr, unsigned len,
                              uintptr_t ra)
{
    int mmu_idx = cpu_env_mmu_index(env, false);

    while (len) {
        unsigned in_page = 4096 - (addr & 4095);
        unsigned n = MIN(len, in_page);
        probe_access(env, addr, n, MMU_DATA_STORE, mmu_idx, ra);
        addr += n;
        len -= n;
    }
}

/* RAM pages are copied directly; MMIO goes byte by byte */
static void store_bytes(CPUX86State *env, uint64_t addr, const uint8_t *buf,
                        unsigned len, uintptr_t ra)
{
    int mmu_idx = cpu_env_mmu_index(env, false);

    probe_write_range(env, addr, len, ra);
    while (len) {
        unsigned n = MIN(len, 4096 - (addr & 4095));
        void *host = probe_access(env, addr, n, MMU_DATA_STORE, mmu_idx, ra);

        if (host) {
            memcpy(host, buf, n);
        } else {
            for (unsigned i = 0; i < n; i++) {
                cpu_stb_data_ra(env, addr + i, buf[i], ra);
            }
        }
        addr += n;
        buf += n;
        len -= n;
    }
}

static void load_bytes(CPUX86State *env, uint64_t addr, uint8_t *buf,
                       unsigned len, uintptr_t ra)
{
    int mmu_idx = cpu_env_mmu_index(env, false);

    while (len) {
        unsigned n = MIN(len, 4096 - (addr & 4095));
        void *host = probe_access(env, addr, n, MMU_DATA_LOAD, mmu_idx, ra);

        if (host) {
            memcpy(buf, host, n);
        } else {
            for (unsigned i = 0; i < n; i++) {
                buf[i] = (uint8_t)cpu_ldub_data_ra(env, addr + i, ra);
            }
        }
        addr += n;
        buf += n;
        len -= n;
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static uint16_t get16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
    return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static void put_reg(uint8_t *p, const X86FPReg *r)
{
    memcpy(p, &r->mant, 8);     /* little-endian host: the x86 layout */
    put16(p + 8, r->exp);
}

static void get_reg(const uint8_t *p, X86FPReg *r)
{
    memcpy(&r->mant, p, 8);
    r->exp = get16(p + 8);
}

/* ---- Environment images ---- */

/* Protected mode outside virtual-8086: the selector formats */
static bool env_pm(CPUX86State *env)
{
    return (env->cr[0] & CR0_PE_MASK) && !(env->rflags & (1u << 17));
}

/* FNSTENV/FNSAVE image (14 or 28 bytes) */
static unsigned build_env(CPUX86State *env, uint8_t *p, bool d32)
{
    uint16_t cw = env->fpuc, sw = fpu_status_word(env);
    uint16_t tw = full_tag_word(env);
    uint32_t ip = env->fpip, dp = env->fpdp;

    if (d32) {
        memset(p, 0xff, 28);
        put16(p, cw);
        put16(p + 4, sw);
        put16(p + 8, tw);
        if (env_pm(env)) {
            put32(p + 12, ip);
            put32(p + 16, env->fpcs | (uint32_t)(env->fpop & 0x7ff) << 16);
            put32(p + 20, dp);
            put16(p + 24, env->fpds);
        } else {
            put16(p + 12, ip);
            put32(p + 16, (env->fpop & 0x7ff) | ((ip >> 16) & 0xffff) << 12);
            put16(p + 20, dp);
            put32(p + 24, ((dp >> 16) & 0xffff) << 12);
        }
        return 28;
    }
    put16(p, cw);
    put16(p + 2, sw);
    put16(p + 4, tw);
    if (env_pm(env)) {
        put16(p + 6, ip);
        put16(p + 8, env->fpcs);
        put16(p + 10, dp);
        put16(p + 12, env->fpds);
    } else {
        put16(p + 6, ip);
        put16(p + 8, (env->fpop & 0x7ff) | ((ip >> 16) & 0xf) << 12);
        put16(p + 10, dp);
        put16(p + 12, ((dp >> 16) & 0xf) << 12);
    }
    return 14;
}

static unsigned load_env(CPUX86State *env, const uint8_t *p, bool d32)
{
    uint16_t tw;

    if (d32) {
        env->fpuc = get16(p);
        fpu_set_status_word(env, get16(p + 4));
        tw = get16(p + 8);
        if (env_pm(env)) {
            env->fpip = get32(p + 12);
            env->fpcs = get16(p + 16);
            env->fpop = (get32(p + 16) >> 16) & 0x7ff;
            env->fpdp = get32(p + 20);
            env->fpds = get16(p + 24);
        } else {
            env->fpip = get16(p + 12) | ((get32(p + 16) >> 12) & 0xffff) << 16;
            env->fpop = get16(p + 16) & 0x7ff;
            env->fpdp = get16(p + 20) | ((get32(p + 24) >> 12) & 0xffff) << 16;
        }
    } else {
        env->fpuc = get16(p);
        fpu_set_status_word(env, get16(p + 2));
        tw = get16(p + 4);
        if (env_pm(env)) {
            env->fpip = get16(p + 6);
            env->fpcs = get16(p + 8);
            env->fpdp = get16(p + 10);
            env->fpds = get16(p + 12);
        } else {
            env->fpip = get16(p + 6) | (uint32_t)(get16(p + 8) >> 12) << 16;
            env->fpop = get16(p + 8) & 0x7ff;
            env->fpdp = get16(p + 10) | (uint32_t)(get16(p + 12) >> 12) << 16;
        }
    }
    fpu_set_control_word(env, env->fpuc);
    for (int i = 0; i < 8; i++) {
        env->fptags[i] = ((tw >> (2 * i)) & 3) == 3;
    }
    return d32 ? 28 : 14;
}

void x86_fpu_get_fxsave(CPUX86State *env, X86FXSave *fx)
{
    memset(fx, 0, sizeof(*fx));
    fx->fcw = env->fpuc;
    fx->fsw = fpu_status_word(env);
    for (int i = 0; i < 8; i++) {
        fx->ftw |= env->fptags[i] ? 0 : 1u << i;
    }
    fx->fop = env->fpop & 0x7ff;
    fx->fip = env->fpip;
    fx->fdp = env->fpdp;
    fx->mxcsr = env->mxcsr;
    fx->mxcsr_mask = 0xffff;
    for (int i = 0; i < 8; i++) {
        put_reg(fx->st[i], st(env, i));
    }
    memcpy(fx->xmm, env->xmm_regs, sizeof(fx->xmm));
}

/* ---- #MF and the last-instruction pointers ---- */

/* Instructions that do not wait for pending unmasked exceptions */
static bool x87_nowait(unsigned b, unsigned modrm)
{
    unsigned reg = (modrm >> 3) & 7;

    if (modrm < 0xc0) {
        return (b == 0xd9 && reg >= 6) || (b == 0xdd && reg >= 6);
    }
    return (b == 0xdb && (modrm == 0xe0 || modrm == 0xe1 || modrm == 0xe2 ||
                          modrm == 0xe3 || modrm == 0xe4)) ||
           (b == 0xdf && modrm == 0xe0);
}

/* Control instructions leave FIP/FDP/FOP alone */
static bool x87_control(unsigned b, unsigned modrm)
{
    unsigned reg = (modrm >> 3) & 7;

    if (modrm < 0xc0) {
        return (b == 0xd9 && reg >= 4) || (b == 0xdd && reg >= 4);
    }
    return x87_nowait(b, modrm);
}

/*
 * A waiting instruction with an unmasked exception pending: #MF when
 * CR0.NE is set.  With NE clear a PC signals FERR# through IRQ 13, which
 * is not modelled: the exception stays pending and execution goes on.
 */
static void x87_check_pending(CPUX86State *env, uintptr_t ra)
{
    if ((env->fpus & FPUS_ES) && (env->cr[0] & CR0_NE_MASK)) {
        x86_raise_exception_err(env, EXCP10_COPR, 0, ra);
    }
}

static void helper_fwait(void *envp)
{
    x87_check_pending(envp, GETPC());
}

/* ---- Instructions run by the back end ---- */

/* Memory operand size of a memory form, and whether it is a store */
static unsigned x87_mem_size(unsigned b, unsigned reg, bool *store)
{
    static const uint8_t arith[4] = { 4, 4, 8, 2 };     /* d8 da dc de */

    *store = false;
    switch (b) {
    case 0xd8: case 0xda: case 0xdc: case 0xde:
        return arith[(b >> 1) & 3];
    case 0xd9:
        *store = reg != 0;
        return 4;
    case 0xdb:
        *store = reg != 0 && reg != 5;
        return reg >= 5 ? 10 : 4;
    case 0xdd:
        *store = reg != 0;
        return 8;
    default: /* 0xdf */
        *store = reg != 0 && reg != 4 && reg != 5;
        return reg == 4 || reg == 6 ? 10 : reg >= 5 ? 8 : 2;
    }
}

/* The unmasked exceptions after which a store to memory does not happen */
#define X87_NO_STORE (FPUS_IE | FPUS_ZE | FPUS_DE | FPUS_OE | FPUS_UE)

/*
 * Run one arithmetic/data x87 instruction through the back end on a copy
 * of the guest's state.  The sticky exception flags are cleared in the
 * copy, so what the status word shows afterwards is what this one
 * instruction raised (and no pending exception can trap on the host);
 * they are merged back afterwards.
 */
static void x87_exec(CPUX86State *env, unsigned b, unsigned modrm,
                     uint64_t addr, uintptr_t ra)
{
    uint8_t img[108], mem[16];
    unsigned enc, len = 0, top;
    uint16_t old_flags = env->fpus & (FPUS_EXC | FPUS_SF), sw, tw;
    uint64_t fl = (x86_cpu_get_eflags(env) & CC_MASK) | 2;
    bool store = false;

    memset(mem, 0, sizeof(mem));
    if (modrm < 0xc0) {
        len = x87_mem_size(b, (modrm >> 3) & 7, &store);
        if (store) {
            probe_write_range(env, addr, len, ra);
        } else {
            load_bytes(env, addr, mem, len, ra);
        }
        enc = b << 8 | (modrm & 0x38);
    } else {
        enc = b << 8 | modrm;
    }
    memset(img, 0, 28);
    put16(img, env->fpuc);
    put16(img + 4, fpu_status_word(env) &
                   ~(FPUS_EXC | FPUS_SF | FPUS_ES | FPUS_B));
    put16(img + 8, full_tag_word(env));
    for (int i = 0; i < 8; i++) {
        put_reg(img + 28 + 10 * i, st(env, i));
    }
    if (!x87_backend_exec(img, enc, mem, &fl)) {
        x86_raise_exception_err(env, EXCP06_ILLOP, 0, ra);
    }
    sw = get16(img + 4);
    tw = get16(img + 8);
    if (store && !(sw & ~env->fpuc & X87_NO_STORE)) {
        /* probed above: cannot fault now */
        store_bytes(env, addr, mem, len, ra);
    }
    top = (sw >> 11) & 7;
    env->fpstt = top;
    env->fpus = (sw & ~(FPUS_TOP | FPUS_ES | FPUS_B)) | old_flags;
    update_es(env);
    for (int i = 0; i < 8; i++) {
        unsigned phys = (top + i) & 7;
        get_reg(img + 28 + 10 * i, &env->fpregs[phys]);
        env->fptags[phys] = ((tw >> (2 * phys)) & 3) == 3;
    }
    if ((b == 0xdb || b == 0xdf) && modrm >= 0xe8) {
        /* fcomi, fucomi (and the popping forms): ZF PF CF, OF SF AF = 0 */
        env->cc_src = fl & CC_MASK;
        env->cc_op = CC_OP_EFLAGS;
    }
}

/* ---- Control instructions (memory forms and DB E0-E4, DF E0) ---- */

static uint64_t x87_control_insn(CPUX86State *env, unsigned b,
                                 unsigned modrm, uint32_t insn,
                                 uint64_t addr, uintptr_t ra)
{
    bool d32 = ((insn >> X87_INSN_DFLAG_SHIFT) & 3) != MO_16;
    unsigned reg = (modrm >> 3) & 7;
    uint8_t buf[108];
    unsigned n;

    memset(buf, 0, sizeof(buf));
    if (b == 0xdb) {
        if (modrm == 0xe2) {            /* fnclex */
            env->fpus &= ~(FPUS_EXC | FPUS_SF | FPUS_ES | FPUS_B);
        } else if (modrm == 0xe3) {     /* fninit */
            fpu_init(env);
        }                               /* feni, fdisi, fsetpm: nops */
        return 0;
    }
    if (b == 0xdf) {                    /* fnstsw ax */
        return fpu_status_word(env);
    }
    if (b == 0xd9) {
        switch (reg) {
        case 4:                         /* fldenv */
            load_bytes(env, addr, buf, d32 ? 28 : 14, ra);
            load_env(env, buf, d32);
            break;
        case 5:                         /* fldcw */
            fpu_set_control_word(env, cpu_lduw_le_data_ra(env, addr, ra));
            break;
        case 6:                         /* fnstenv */
            n = build_env(env, buf, d32);
            store_bytes(env, addr, buf, n, ra);
            /* ... which then masks every exception */
            env->fpuc |= FPUS_EXC;
            update_es(env);
            break;
        case 7:                         /* fnstcw */
            cpu_stw_le_data_ra(env, addr, env->fpuc, ra);
            break;
        }
        return 0;
    }
    switch (reg) {                      /* dd */
    case 4:                             /* frstor */
        load_bytes(env, addr, buf, d32 ? 108 : 94, ra);
        n = load_env(env, buf, d32);
        for (int i = 0; i < 8; i++) {
            get_reg(buf + n + 10 * i, st(env, i));
        }
        break;
    case 6:                             /* fnsave */
        n = build_env(env, buf, d32);
        for (int i = 0; i < 8; i++) {
            put_reg(buf + n + 10 * i, st(env, i));
        }
        store_bytes(env, addr, buf, n + 80, ra);
        fpu_init(env);
        break;
    case 7:                             /* fnstsw m16 */
        cpu_stw_le_data_ra(env, addr, fpu_status_word(env), ra);
        break;
    }
    return 0;
}

/*
 * One x87 instruction (D8-DF).  insn: the 11-bit opcode (FOP) plus the
 * X87_INSN_* fields; addr: the linear address of a memory operand, off:
 * its offset in the segment; cond: unused (0).  Returns the
 * status word for fnstsw ax.  rip points at the instruction.
 */
static uint64_t helper_x87(void *envp, uint32_t insn, uint64_t addr,
                           uint64_t off, uint64_t cond)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    unsigned b = 0xd8 | ((insn >> 8) & 7), modrm = insn & 0xff;

    if (!x87_nowait(b, modrm)) {
        x87_check_pending(env, ra);
    }
    if (!x87_control(b, modrm)) {
        /* real and virtual-8086 mode record linear addresses */
        bool pm = env_pm(env);
        env->fpop = insn & 0x7ff;
        env->fpip = pm ? env->rip : env->segs[R_CS].base + env->rip;
        env->fpcs = env->segs[R_CS].selector;
        if (modrm < 0xc0) {
            unsigned seg = (insn >> X87_INSN_SEG_SHIFT) & 7;
            env->fpdp = pm ? off : addr;
            env->fpds = env->segs[seg < 6 ? seg : R_DS].selector;
        }
    }
    if (x87_control(b, modrm)) {
        return x87_control_insn(env, b, modrm, insn, addr, ra);
    }
    x87_exec(env, b, modrm, addr, ra);
    return 0;
}

/* ---- Group 15 ---- */

#define MXCSR_MASK 0xffffu

static void helper_fxsave(void *envp, uint64_t addr, uint32_t flags)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    bool w64 = flags & X87_FX_REXW;
    uint8_t buf[512];
    unsigned len, nxmm = (flags & X87_FX_CODE64) ? 16 : 8;

    if (addr & 15) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    memset(buf, 0, sizeof(buf));
    put16(buf, env->fpuc);
    put16(buf + 2, fpu_status_word(env));
    for (int i = 0; i < 8; i++) {
        buf[4] |= env->fptags[i] ? 0 : 1u << i;
    }
    put16(buf + 6, env->fpop & 0x7ff);
    if (w64) {
        put32(buf + 8, env->fpip);
        put32(buf + 12, env->fpip >> 32);
        put32(buf + 16, env->fpdp);
        put32(buf + 20, env->fpdp >> 32);
    } else {
        put32(buf + 8, env->fpip);
        put16(buf + 12, env->fpcs);
        put32(buf + 16, env->fpdp);
        put16(buf + 20, env->fpds);
    }
    put32(buf + 24, env->mxcsr);
    put32(buf + 28, MXCSR_MASK);
    for (int i = 0; i < 8; i++) {
        put_reg(buf + 32 + 16 * i, st(env, i));
    }
    len = 160;
    if (env->cr[4] & CR4_OSFXSR_MASK) {
        memcpy(buf + 160, env->xmm_regs, 16 * nxmm);
        len += 16 * nxmm;
    }
    store_bytes(env, addr, buf, len, ra);
}

static void helper_fxrstor(void *envp, uint64_t addr, uint32_t flags)
{
    CPUX86State *env = envp;
    uintptr_t ra = GETPC();
    bool w64 = flags & X87_FX_REXW;
    bool sse = env->cr[4] & CR4_OSFXSR_MASK;
    unsigned nxmm = (flags & X87_FX_CODE64) ? 16 : 8;
    uint8_t buf[512];
    uint32_t mxcsr;

    if (addr & 15) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    load_bytes(env, addr, buf, sse ? 160 + 16 * nxmm : 160, ra);
    mxcsr = get32(buf + 24);
    if (sse && (mxcsr & ~MXCSR_MASK)) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, ra);
    }
    env->fpuc = get16(buf);
    fpu_set_status_word(env, get16(buf + 2));
    fpu_set_control_word(env, env->fpuc);
    for (int i = 0; i < 8; i++) {
        env->fptags[i] = !((buf[4] >> i) & 1);
    }
    env->fpop = get16(buf + 6) & 0x7ff;
    if (w64) {
        env->fpip = get32(buf + 8) | (uint64_t)get32(buf + 12) << 32;
        env->fpdp = get32(buf + 16) | (uint64_t)get32(buf + 20) << 32;
    } else {
        env->fpip = get32(buf + 8);
        env->fpcs = get16(buf + 12);
        env->fpdp = get32(buf + 16);
        env->fpds = get16(buf + 20);
    }
    for (int i = 0; i < 8; i++) {
        get_reg(buf + 32 + 16 * i, st(env, i));
    }
    if (sse) {
        env->mxcsr = mxcsr;
        memcpy(env->xmm_regs, buf + 160, 16 * nxmm);
    }
}

static void helper_ldmxcsr(void *envp, uint64_t v)
{
    CPUX86State *env = envp;

    if (v & ~(uint64_t)MXCSR_MASK) {
        x86_raise_exception_err(env, EXCP0D_GPF, 0, GETPC());
    }
    env->mxcsr = (uint32_t)v;
}

/* clflush: the line is not cached by us; fault as a read would */
static void helper_clflush(void *envp, uint64_t addr)
{
    CPUX86State *env = envp;

    probe_access(env, addr, 1, MMU_DATA_LOAD, cpu_env_mmu_index(env, false),
                 GETPC());
}

const TCGHelperInfo x86_helper_x87 = {
    .func = (void *)helper_x87, .name = "x87",
    .flags = 0, .ret = TCG_CALL_I64, .nargs = 5,
    .args = { TCG_CALL_PTR, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_I64,
              TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_fwait = {
    .func = (void *)helper_fwait, .name = "fwait",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 1,
    .args = { TCG_CALL_PTR },
};
const TCGHelperInfo x86_helper_fxsave = {
    .func = (void *)helper_fxsave, .name = "fxsave",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I64, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_fxrstor = {
    .func = (void *)helper_fxrstor, .name = "fxrstor",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I64, TCG_CALL_I32 },
};
const TCGHelperInfo x86_helper_ldmxcsr = {
    .func = (void *)helper_ldmxcsr, .name = "ldmxcsr",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I64 },
};
const TCGHelperInfo x86_helper_clflush = {
    .func = (void *)helper_clflush, .name = "clflush",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I64 },
};
