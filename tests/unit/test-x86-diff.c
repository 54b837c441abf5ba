/*
 * Differential test of the x86-64 translator against the host CPU: each
 * generated instruction sequence runs natively (in a trampoline that loads
 * and saves all GPRs and the flags) and under emu's translator on both
 * back ends, from the same registers and memory at the same virtual
 * addresses; registers, rip, defined flags and memory must match.
 *
 * Flags the SDM leaves undefined are not compared (Case.flag_mask):
 *   and/or/xor/test: AF          mul/imul: SF ZF AF PF
 *   div/idiv: all six            shl/shr/sar: AF (count != 0), OF (count != 1)
 *   rol/ror/rcl/rcr: OF (count != 1)    shld/shrd: AF, OF (count != 1)
 *   bt/bts/btr/btc: OF SF AF PF  bsf/bsr: CF OF SF AF PF
 *   tzcnt/lzcnt: OF SF AF PF     sequences: AF if any logic op
 * Undefined results are avoided (shld/shrd 16-bit counts above 16).  What
 * the translator computes for undefined flags: see int_helper.c.
 */
#include "emu/osdep.h"
#include "emu/log.h"
#include "system/memory.h"
#include "exec/tb-internal.h"
#include "exec/cputlb.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"
#include "support/x86-harness.h"
#include "support/x86-native.h"
#include "support/test-rng.h"

#include <setjmp.h>
#include <cmocka.h>
#include <cpuid.h>

#if defined(__x86_64__)
#define HAVE_NATIVE 1
#else
#define HAVE_NATIVE 0
#endif

/* Virtual layout shared by the host process and the guest */
#define GBASE      0x5e000000ull
#define WIN_SIZE   0x10000ull
#define CODE_OFF   0x0000
#define DATA_OFF   0x2000      /* 8 KiB compared */
#define DATA_SIZE  0x2000
#define DATA_PTR   (GBASE + 0x3000)    /* rbp: memory operands around it */
#define STACK_TOP  (GBASE + 0x7000)
#define STACK_LO   0x6000              /* compared: 0x6000..0x8000 */
#define STACK_SIZE 0x2000

typedef struct X86State {
    uint64_t regs[16];
    uint64_t rflags;
} X86State;

typedef struct Case {
    uint8_t code[96];
    int len;
    X86State in;
    uint32_t flag_mask;     /* flags compared */
    uint32_t mem_seed;
    const char *what;
} Case;

/* ---- The host side ---- */

#if HAVE_NATIVE
X86N_DEFINE_VARS(x86diff, X86State);

/*
 * Load the registers (rsp: the test stack) and flags, jump to the code;
 * the code ends with a jump to x86diff_native_exit, which switches to a
 * private stack before pushf so the test stack is left as the code left it.
 */
/* pushsection/popsection: the compiler must find its own section intact */
__asm__(
    ".pushsection .text\n"
    X86N_ENTRY(x86diff)
    X86N_LOAD_GPRS_AND_JUMP(x86diff)
    X86N_EXIT_SAVE_GPRS(x86diff)
    X86N_RETURN(x86diff)
    ".popsection\n");
#endif

/* ---- The guest side: a test CPU class with the translator hooks ---- */

static void xt_reset(CPUState *cs)
{
    CPUX86State *env = cs->env_ptr;

    x86h_reset_long_flat(cs);
    env->cr[0] = CR0_PE_MASK | CR0_PG_MASK;
}

/* linear GBASE.. maps to RAM from 0 (cfg.window_*) */
static const CPUClass x86_test_class =
    X86H_CPU_CLASS("x86_64-difftest", 1, xt_reset, x86h_window_tlb_fill,
                   x86h_mmu_index0, x86h_halt_on_interrupt);

/* random code may loop forever: the watchdog stops it after this */
static int run_budget_ms = 2000;
static bool run_hung;

/* ---- Random operands (rnd: support/test-rng.h) ---- */

static uint64_t edge_value(void)
{
    static const uint64_t edges[] = {
        0, 1, 2, -1ull, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
        0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
        0x7fffffffffffffffull, 0x8000000000000000ull, 0xfffffffffffffffeull,
        0x8081, 0x7f7f, 0x80008000, 0x0f0f0f0f0f0f0f0full,
    };

    switch (rndn(4)) {
    case 0:
        return edges[rndn(ARRAY_SIZE(edges))];
    case 1:
        return rnd() & 0xff;
    case 2:
        return edges[rndn(ARRAY_SIZE(edges))] ^ (rnd() & 3);
    default:
        return rnd();
    }
}

/* ---- Memory image ---- */

static void fill_pattern(uint8_t *buf, size_t n, uint32_t seed)
{
    uint64_t saved = rng_state;

    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)(i % 7 == 0 ? edge_value() : rnd());
    }
    rng_state = saved;
}

static uint8_t img_data[DATA_SIZE], img_stack[STACK_SIZE];

/* ---- Encoding ---- */

static void emit(Case *c, int byte)
{
    assert(c->len < (int)sizeof(c->code) - 16);
    c->code[c->len++] = (uint8_t)byte;
}

static void emit_imm(Case *c, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        emit(c, (int)(v >> (8 * i)));
    }
}

/* Operand size codes: 0 = 8, 1 = 16, 2 = 32, 3 = 64 */
static int imm_bytes_z(int sz)
{
    return sz == 0 ? 1 : sz == 1 ? 2 : 4;
}

/*
 * One instruction: prefixes, REX, opcode (the byte forms' opcode if sz is
 * 0; the caller passes the right one), ModRM with reg and rm (rm < 0: a
 * memory operand [rbp + disp8], or RIP-relative for rm == -2).
 */
typedef struct Insn {
    int sz;
    const uint8_t *op;
    int oplen;
    int reg;        /* 0-15, or a group's /digit */
    int rm;         /* register, -1 [rbp+disp8], -2 RIP-relative, -3 none */
    int disp;
    int imm_bytes;
    uint64_t imm;
    bool force_rex;
    int pfx;        /* an extra legacy prefix byte, 0: none */
} Insn;

static void encode(Case *c, const Insn *in)
{
    int rex = 0;
    int disp_pos = -1;

    if (in->pfx) {
        emit(c, in->pfx);
    }
    if (in->sz == 1) {
        emit(c, 0x66);
    }
    if (in->sz == 3) {
        rex |= 8;
    }
    if (in->reg >= 8) {
        rex |= 4;
    }
    if (in->rm >= 8) {
        rex |= 1;
    }
    if (rex || in->force_rex) {
        emit(c, 0x40 | rex);
    }
    for (int i = 0; i < in->oplen; i++) {
        emit(c, in->op[i]);
    }
    if (in->rm >= 0) {
        emit(c, 0xc0 | (in->reg & 7) << 3 | (in->rm & 7));
    } else if (in->rm == -1) {
        emit(c, 0x45 | (in->reg & 7) << 3);
        emit(c, in->disp);
    } else if (in->rm == -2) {
        emit(c, 0x05 | (in->reg & 7) << 3);
        disp_pos = c->len;
        emit_imm(c, 0, 4);
    }
    emit_imm(c, in->imm, in->imm_bytes);
    if (disp_pos >= 0) {
        uint64_t target = DATA_PTR + in->disp;
        uint64_t next = GBASE + CODE_OFF + c->len;
        int32_t rel = (int32_t)(target - next);
        memcpy(&c->code[disp_pos], &rel, 4);
    }
}

/* Pick a register other than rsp/rbp (reserved for stack and data) */
static int pick_reg(void)
{
    int r;

    do {
        r = rndn(16);
    } while (r == R_ESP || r == R_EBP);
    return r;
}

static int pick_rm(bool allow_mem)
{
    if (allow_mem && rndn(3) == 0) {
        return rndn(4) == 0 ? -2 : -1;
    }
    return pick_reg();
}

static int pick_disp(void)
{
    return (int)rndn(0x100) - 0x80;
}

static const uint32_t ALL_FLAGS = CC_MASK | DF_MASK;

static void init_case(Case *c, const char *what)
{
    memset(c, 0, sizeof(*c));
    c->what = what;
    for (int i = 0; i < 16; i++) {
        c->in.regs[i] = edge_value();
    }
    c->in.regs[R_ESP] = STACK_TOP;
    c->in.regs[R_EBP] = DATA_PTR;
    c->in.rflags = 2 | (rnd() & CC_MASK);
    c->flag_mask = ALL_FLAGS;
    c->mem_seed = (uint32_t)rnd();
}

/* ---- Generators, one instruction class each ---- */

static int pick_sz(void)
{
    return rndn(4);
}

/* op 0..7: add or adc sbb and sub xor cmp in all eight encodings */
static void g_alu(Case *c)
{
    int op = rndn(8), sz = pick_sz(), form = rndn(6);
    uint8_t opc;
    Insn in = { .sz = sz, .rm = pick_rm(true), .reg = pick_reg(),
                .disp = pick_disp(), .force_rex = rndn(2) };

    init_case(c, "alu");
    if (op == 1 || op == 4 || op == 6) {
        c->flag_mask &= ~CC_A;
    }
    switch (form) {
    case 0: case 1:
        opc = op * 8 + (form == 1 ? 2 : 0) + (sz ? 1 : 0);
        in.op = &opc;
        in.oplen = 1;
        break;
    case 2:
        opc = op * 8 + 4 + (sz ? 1 : 0);
        in.op = &opc;
        in.oplen = 1;
        in.rm = -3;
        in.reg = 0;
        in.imm_bytes = imm_bytes_z(sz);
        in.imm = edge_value();
        break;
    default: {
        static const uint8_t g1[3] = { 0x80, 0x81, 0x83 };
        int v = sz == 0 ? 0 : 1 + rndn(2);
        in.op = &g1[v];
        in.oplen = 1;
        in.reg = op;
        in.imm_bytes = v == 1 ? imm_bytes_z(sz) : 1;
        in.imm = edge_value();
        break;
    }
    }
    if (in.rm == -3) {
        /* accumulator form: no ModRM */
        in.rm = -4;
    }
    encode(c, &in);
}

static void encode_acc(Case *c, int sz, uint8_t opc, int imm_bytes,
                       uint64_t imm)
{
    if (sz == 1) {
        emit(c, 0x66);
    }
    if (sz == 3) {
        emit(c, 0x48);
    }
    emit(c, opc);
    emit_imm(c, imm, imm_bytes);
}

static void g_alu_acc(Case *c)
{
    int op = rndn(8), sz = pick_sz();

    init_case(c, "alu-acc");
    if (op == 1 || op == 4 || op == 6) {
        c->flag_mask &= ~CC_A;
    }
    encode_acc(c, sz, op * 8 + 4 + (sz ? 1 : 0), imm_bytes_z(sz),
               edge_value());
}

static void g_test(Case *c)
{
    int sz = pick_sz();
    uint8_t opc = sz ? 0x85 : 0x84, opg = sz ? 0xf7 : 0xf6;
    Insn in = { .sz = sz, .rm = pick_rm(true), .reg = pick_reg(),
                .disp = pick_disp(), .force_rex = rndn(2) };

    init_case(c, "test");
    c->flag_mask &= ~CC_A;
    switch (rndn(3)) {
    case 0:
        in.op = &opc;
        in.oplen = 1;
        encode(c, &in);
        break;
    case 1:
        in.op = &opg;
        in.oplen = 1;
        in.reg = 0;
        in.imm_bytes = imm_bytes_z(sz);
        in.imm = edge_value();
        encode(c, &in);
        break;
    default:
        encode_acc(c, sz, sz ? 0xa9 : 0xa8, imm_bytes_z(sz), edge_value());
        break;
    }
}

static void g_unary(Case *c)
{
    int sz = pick_sz();
    static const uint8_t fe[2] = { 0xfe, 0xff }, f6[2] = { 0xf6, 0xf7 };
    Insn in = { .sz = sz, .rm = pick_rm(true), .disp = pick_disp(),
                .force_rex = rndn(2), .oplen = 1 };

    init_case(c, "inc/dec/not/neg");
    switch (rndn(4)) {
    case 0: case 1:
        in.op = &fe[sz ? 1 : 0];
        in.reg = rndn(2);
        break;
    default:
        in.op = &f6[sz ? 1 : 0];
        in.reg = 2 + rndn(2);
        break;
    }
    encode(c, &in);
}

static void g_mul(Case *c)
{
    int sz = pick_sz();
    static const uint8_t f6[2] = { 0xf6, 0xf7 }, af[2] = { 0x0f, 0xaf };
    static const uint8_t i69 = 0x69, i6b = 0x6b;
    Insn in = { .sz = sz, .rm = pick_rm(true), .disp = pick_disp(),
                .force_rex = rndn(2), .oplen = 1, .reg = pick_reg() };

    init_case(c, "mul/imul");
    c->flag_mask &= ~(CC_S | CC_Z | CC_A | CC_P);
    switch (sz ? rndn(4) : 0) {
    case 0:
        in.op = &f6[sz ? 1 : 0];
        in.reg = 4 + rndn(2);
        break;
    case 1:
        in.op = af;
        in.oplen = 2;
        break;
    case 2:
        in.op = &i69;
        in.imm_bytes = imm_bytes_z(sz);
        in.imm = edge_value();
        break;
    default:
        in.op = &i6b;
        in.imm_bytes = 1;
        in.imm = edge_value();
        break;
    }
    encode(c, &in);
}

static uint64_t sext(uint64_t v, int bits)
{
    return bits == 64 ? v : (uint64_t)((int64_t)(v << (64 - bits)) >>
                                       (64 - bits));
}

/* div/idiv with operands that do not fault (the fault is tested apart) */
static void g_div(Case *c)
{
    int sz = pick_sz(), bits = 8 << sz;
    bool sgn = rndn(2);
    static const uint8_t f6[2] = { 0xf6, 0xf7 };
    int r = pick_reg();
    uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t dv;
    Insn in = { .sz = sz, .rm = r, .force_rex = rndn(2), .oplen = 1,
                .op = &f6[sz ? 1 : 0], .reg = 6 + sgn };

    init_case(c, sgn ? "idiv" : "div");
    c->flag_mask = DF_MASK;
    if (r == R_EAX || r == R_EDX) {
        r = R_EBX;
        in.rm = r;
    }
    if (sz == 0 && !in.force_rex && r >= 4 && r < 8) {
        in.force_rex = true;
    }
    do {
        dv = edge_value() & m;
    } while (dv == 0 || (sgn && (dv == m || sext(dv, bits) == 0)));
    c->in.regs[r] = (c->in.regs[r] & ~m) | dv;
    if (!sgn) {
        uint64_t hi = rnd() % dv;
        if (sz == 0) {
            c->in.regs[R_EAX] = (c->in.regs[R_EAX] & ~0xffffull) |
                                (hi << 8) | (rnd() & 0xff);
        } else {
            c->in.regs[R_EDX] = (c->in.regs[R_EDX] & ~m) | hi;
        }
    } else {
        uint64_t lo = edge_value() & m;
        if (sext(lo, bits) == sext(1ull << (bits - 1), bits)) {
            lo++;
        }
        uint64_t hi = (uint64_t)((int64_t)sext(lo, bits) >> 63) & m;
        if (sz == 0) {
            c->in.regs[R_EAX] = (c->in.regs[R_EAX] & ~0xffffull) |
                                (sext(lo, 8) & 0xffff);
        } else {
            c->in.regs[R_EAX] = (c->in.regs[R_EAX] & ~m) | lo;
            c->in.regs[R_EDX] = (c->in.regs[R_EDX] & ~m) | hi;
        }
    }
    encode(c, &in);
}

static unsigned pick_count(void)
{
    static const unsigned counts[] = { 0, 1, 1, 2, 3, 7, 8, 9, 15, 16, 17,
                                       31, 32, 33, 63, 64, 65, 255 };
    return rndn(3) ? counts[rndn(ARRAY_SIZE(counts))] : rndn(256);
}

static void g_shift(Case *c)
{
    int sz = pick_sz(), op = rndn(8), form = rndn(3);
    static const uint8_t c0[2] = { 0xc0, 0xc1 }, d0[2] = { 0xd0, 0xd1 },
                         d2[2] = { 0xd2, 0xd3 };
    unsigned count = pick_count(), masked;
    Insn in = { .sz = sz, .rm = pick_rm(true), .disp = pick_disp(),
                .force_rex = rndn(2), .oplen = 1, .reg = op };

    init_case(c, "shift/rotate");
    switch (form) {
    case 0:
        in.op = &c0[sz ? 1 : 0];
        in.imm_bytes = 1;
        in.imm = count;
        break;
    case 1:
        in.op = &d0[sz ? 1 : 0];
        count = 1;
        break;
    default:
        in.op = &d2[sz ? 1 : 0];
        c->in.regs[R_ECX] = (c->in.regs[R_ECX] & ~0xffull) | count;
        if (in.rm == R_ECX) {
            in.rm = R_EBX;
        }
        break;
    }
    masked = count & (sz == 3 ? 63 : 31);
    if (masked != 1) {
        c->flag_mask &= ~CC_O;
    }
    if (op >= 4 && masked) {
        c->flag_mask &= ~CC_A;
    }
    encode(c, &in);
}

static void g_shd(Case *c)
{
    int sz = 1 + rndn(3), bits = 8 << sz;
    bool right = rndn(2), cl = rndn(2);
    unsigned count = pick_count(), masked;
    uint8_t op[2] = { 0x0f, (uint8_t)((right ? 0xac : 0xa4) + cl) };
    Insn in = { .sz = sz, .rm = pick_rm(true), .disp = pick_disp(),
                .force_rex = rndn(2), .oplen = 2, .op = op,
                .reg = pick_reg() };

    init_case(c, right ? "shrd" : "shld");
    masked = count & (sz == 3 ? 63 : 31);
    if ((int)masked > bits) {
        count = masked = bits;
    }
    if (cl) {
        c->in.regs[R_ECX] = (c->in.regs[R_ECX] & ~0xffull) | count;
        if (in.rm == R_ECX) {
            in.rm = R_EBX;
        }
    } else {
        in.imm_bytes = 1;
        in.imm = count;
    }
    if (masked != 1) {
        c->flag_mask &= ~CC_O;
    }
    if (masked) {
        c->flag_mask &= ~CC_A;
    }
    if (sz == 1 && masked == 16) {
        /* the result of a 16-bit count of 16 is architecturally fine */
    }
    encode(c, &in);
}

static void g_bt(Case *c)
{
    int sz = 1 + rndn(3), op = rndn(4);
    Insn in = { .sz = sz, .rm = pick_rm(true), .disp = pick_disp(),
                .force_rex = rndn(2), .reg = pick_reg() };
    uint8_t opr[2] = { 0x0f, (uint8_t)(0xa3 + op * 8) };
    static const uint8_t opi[2] = { 0x0f, 0xba };

    init_case(c, "bt/bts/btr/btc");
    c->flag_mask &= ~(CC_O | CC_S | CC_A | CC_P);
    if (rndn(2)) {
        in.op = opr;
        in.oplen = 2;
        if (in.rm < 0) {
            /* keep the bit offset within the data area */
            c->in.regs[in.reg] = (uint64_t)(int64_t)((int)rndn(4096) - 2048);
        }
    } else {
        in.op = opi;
        in.oplen = 2;
        in.reg = 4 + op;
        in.imm_bytes = 1;
        in.imm = rndn(256);
    }
    encode(c, &in);
}

static bool host_has(int leaf, int reg, int bit)
{
    unsigned r[4];

    if (!__get_cpuid_count(leaf, 0, &r[0], &r[1], &r[2], &r[3])) {
        return false;
    }
    return (r[reg] >> bit) & 1;
}

static void g_bitscan(Case *c)
{
    int sz = 1 + rndn(3), op = rndn(5);
    uint8_t opc[2] = { 0x0f, 0 };
    Insn in = { .sz = sz, .rm = pick_rm(true), .disp = pick_disp(),
                .force_rex = rndn(2), .reg = pick_reg(), .op = opc,
                .oplen = 2 };

    init_case(c, "bsf/bsr/tzcnt/lzcnt/popcnt");
    if (op == 2 && !host_has(7, 1, 3)) {
        op = 0;         /* no BMI1 */
    }
    if (op == 3 && !host_has(0x80000001, 2, 5)) {
        op = 1;         /* no ABM */
    }
    if (op == 4 && !host_has(1, 2, 23)) {
        op = 0;
    }
    switch (op) {
    case 0: case 1:
        opc[1] = 0xbc + op;
        c->flag_mask &= ~(CC_C | CC_O | CC_S | CC_A | CC_P);
        break;
    case 2: case 3:
        opc[1] = 0xbc + op - 2;
        in.pfx = 0xf3;
        c->flag_mask &= ~(CC_O | CC_S | CC_A | CC_P);
        break;
    default:
        opc[1] = 0xb8;
        in.pfx = 0xf3;
        break;
    }
    encode(c, &in);
}

static void g_mov(Case *c)
{
    int sz = pick_sz(), form = rndn(9);
    uint8_t opc[2];
    Insn in = { .sz = sz, .rm = pick_rm(true), .disp = pick_disp(),
                .force_rex = rndn(2), .reg = pick_reg(), .op = opc,
                .oplen = 1 };

    init_case(c, "mov/movzx/movsx/lea");
    switch (form) {
    case 0:
        opc[0] = 0x88 + (sz ? 1 : 0) + 2 * rndn(2);
        break;
    case 1:
        opc[0] = sz ? 0xc7 : 0xc6;
        in.reg = 0;
        in.imm_bytes = imm_bytes_z(sz);
        in.imm = edge_value();
        break;
    case 2:
        /* mov reg, imm (imm64 with REX.W) */
        if (sz == 1) {
            emit(c, 0x66);
        }
        in.reg = pick_reg();
        if (sz == 3 || in.reg >= 8 || rndn(2)) {
            emit(c, 0x40 | (sz == 3 ? 8 : 0) | (in.reg >> 3));
        }
        emit(c, (sz ? 0xb8 : 0xb0) + (in.reg & 7));
        emit_imm(c, edge_value(), sz == 0 ? 1 : sz == 1 ? 2 : sz == 2 ? 4 : 8);
        return;
    case 3:
        /* moffs */
        if (sz == 1) {
            emit(c, 0x66);
        }
        if (sz == 3) {
            emit(c, 0x48);
        }
        emit(c, 0xa0 + (sz ? 1 : 0) + 2 * rndn(2));
        emit_imm(c, DATA_PTR + pick_disp(), 8);
        return;
    case 4: case 5:
        opc[0] = 0x0f;
        opc[1] = 0xb6 + rndn(2) + 8 * (form - 4);
        in.oplen = 2;
        if (sz == 0) {
            in.sz = sz = 2;
        }
        break;
    case 6:
        opc[0] = 0x63;
        if (sz == 0) {
            in.sz = 3;
        }
        break;
    case 7: {
        /* lea with SIB: any base/index */
        int base = rndn(16), index = rndn(16), scale = rndn(4);
        int mod = rndn(3);
        if (sz == 0) {
            sz = 2;
        }
        if (sz == 1) {
            emit(c, 0x66);
        }
        if (rndn(4) == 0) {
            emit(c, 0x67);
        }
        emit(c, 0x40 | (sz == 3 ? 8 : 0) | ((in.reg >> 3) << 2) |
                ((index >> 3) << 1) | (base >> 3));
        emit(c, 0x8d);
        emit(c, mod << 6 | (in.reg & 7) << 3 | 4);
        emit(c, scale << 6 | (index & 7) << 3 | (base & 7));
        if (mod == 1) {
            emit(c, rndn(256));
        } else if (mod == 2 || (mod == 0 && (base & 7) == 5)) {
            emit_imm(c, rnd(), 4);
        }
        return;
    }
    default:
        opc[0] = 0x8d;
        if (in.rm >= 0) {
            in.rm = -1;
        }
        if (sz == 0) {
            in.sz = 3;
        }
        break;
    }
    encode(c, &in);
}

static void g_xchg(Case *c)
{
    int sz = pick_sz(), form = rndn(5);
    uint8_t opc[2];
    Insn in = { .sz = sz, .rm = pick_rm(true), .disp = pick_disp(),
                .force_rex = rndn(2), .reg = pick_reg(), .op = opc,
                .oplen = 1 };

    init_case(c, "xchg/xadd/cmpxchg/bswap");
    switch (form) {
    case 0:
        opc[0] = sz ? 0x87 : 0x86;
        break;
    case 1:
        opc[0] = 0x0f;
        opc[1] = sz ? 0xc1 : 0xc0;
        in.oplen = 2;
        break;
    case 2:
        opc[0] = 0x0f;
        opc[1] = sz ? 0xb1 : 0xb0;
        in.oplen = 2;
        if (rndn(2)) {
            /* make the comparison succeed sometimes */
            c->in.regs[R_EAX] = in.rm >= 0 ? c->in.regs[in.rm] : 0;
        }
        break;
    case 3: {
        int r = pick_reg();
        if (sz < 2) {
            sz = 2;
        }
        emit(c, 0x40 | (sz == 3 ? 8 : 0) | (r >> 3));
        emit(c, 0x0f);
        emit(c, 0xc8 + (r & 7));
        return;
    }
    default: {
        int r = pick_reg();
        if (sz == 0) {
            sz = 2;
        }
        if (sz == 1) {
            emit(c, 0x66);
        }
        if (sz == 3 || r >= 8) {
            emit(c, 0x40 | (sz == 3 ? 8 : 0) | (r >> 3));
        }
        emit(c, 0x90 + (r & 7));
        return;
    }
    }
    encode(c, &in);
}

static void g_cmpxchg8b(Case *c)
{
    bool wide = rndn(2) && host_has(1, 2, 13);
    int disp = (int)(rndn(16) * 16) - 128 + (wide ? 0 : (int)rndn(8));
    uint8_t op[2] = { 0x0f, 0xc7 };
    Insn in = { .sz = wide ? 3 : 2, .rm = -1, .disp = disp, .reg = 1,
                .op = op, .oplen = 2 };

    init_case(c, wide ? "cmpxchg16b" : "cmpxchg8b");
    if (rndn(2)) {
        /* make it succeed: rDX:rAX = the memory's value */
        uint64_t lo, hi;
        fill_pattern(img_data, DATA_SIZE, c->mem_seed);
        memcpy(&lo, img_data + (DATA_PTR - GBASE - DATA_OFF) + disp, 8);
        memcpy(&hi, img_data + (DATA_PTR - GBASE - DATA_OFF) + disp + 8, 8);
        if (wide) {
            c->in.regs[R_EAX] = lo;
            c->in.regs[R_EDX] = hi;
        } else {
            c->in.regs[R_EAX] = (c->in.regs[R_EAX] & ~0xffffffffull) |
                                (uint32_t)lo;
            c->in.regs[R_EDX] = (c->in.regs[R_EDX] & ~0xffffffffull) |
                                (lo >> 32);
        }
    }
    encode(c, &in);
}

static void g_misc(Case *c)
{
    int sz = 1 + rndn(3);

    init_case(c, "cbw/cwd/lahf/sahf/clc/stc/cmc/nop");
    switch (rndn(8)) {
    case 0:
        encode_acc(c, sz, 0x98, 0, 0);
        break;
    case 1:
        encode_acc(c, sz, 0x99, 0, 0);
        break;
    case 2:
        emit(c, 0x9f);
        break;
    case 3:
        emit(c, 0x9e);
        break;
    case 4:
        emit(c, (const uint8_t[]){ 0xf5, 0xf8, 0xf9 }[rndn(3)]);
        break;
    case 5:
        emit(c, 0x0f);
        emit(c, 0x1f);
        emit(c, 0x44);
        emit(c, 0x00);
        emit(c, 0x00);
        break;
    case 6:
        emit(c, 0x90);
        break;
    default:
        if (host_has(1, 2, 22)) {
            uint8_t op[3] = { 0x0f, 0x38, (uint8_t)(0xf0 + rndn(2)) };
            Insn in = { .sz = sz, .rm = -1, .disp = pick_disp(),
                        .reg = pick_reg(), .op = op, .oplen = 3 };
            encode(c, &in);
        }
        break;
    }
}

static void g_cond(Case *c)
{
    int cc = rndn(16), form = rndn(4), sz = 1 + rndn(3);
    uint8_t opc[2] = { 0x0f, 0 };
    Insn in = { .sz = sz, .rm = pick_rm(true), .disp = pick_disp(),
                .force_rex = rndn(2), .reg = pick_reg(), .op = opc,
                .oplen = 2 };

    init_case(c, "setcc/cmovcc/jcc");
    /* a flag-setting insn first, so the lazy state is exercised */
    if (rndn(2)) {
        Case tmp;
        uint64_t save = rng_state;
        g_alu(&tmp);
        rng_state = save ^ 0x5555;
        if (!(tmp.flag_mask & CC_A)) {
            c->flag_mask &= ~CC_A;
        }
        memcpy(c->code, tmp.code, tmp.len);
        c->len = tmp.len;
    }
    switch (form) {
    case 0:
        opc[1] = 0x90 + cc;
        in.sz = 0;
        in.reg = 0;
        encode(c, &in);
        break;
    case 1:
        opc[1] = 0x40 + cc;
        encode(c, &in);
        break;
    case 2:
        emit(c, 0x70 + cc);
        emit(c, 2);
        emit(c, 0xb0);  /* mov al, 1 */
        emit(c, 1);
        break;
    default:
        emit(c, 0x0f);
        emit(c, 0x80 + cc);
        emit_imm(c, 2, 4);
        emit(c, 0xb1);  /* mov cl, 1 */
        emit(c, 1);
        break;
    }
}

static void g_branch(Case *c)
{
    static const uint8_t seqs[][16] = {
        /* call +2; jmp +1; ret */
        { 8, 0xe8, 2, 0, 0, 0, 0xeb, 1, 0xc3 },
        /* call 0; pop rcx */
        { 6, 0xe8, 0, 0, 0, 0, 0x59 },
        /* jmp rel32 over a byte */
        { 7, 0xe9, 1, 0, 0, 0, 0xcc, 0x90 },
        /* lea rax, [rip+2]; jmp rax; int3; int3 */
        { 10, 0x48, 0x8d, 0x05, 3, 0, 0, 0, 0xff, 0xe0, 0xcc },
        /* lea rax, [rip+2]; call rax; jmp +2 ...; pop rdx */
        { 10, 0x48, 0x8d, 0x05, 2, 0, 0, 0, 0xff, 0xd0, 0x5a },
        /* push imm8; push imm32; pop rax; pop rbx */
        { 9, 0x6a, 0x85, 0x68, 0x01, 0x80, 0xff, 0x7f, 0x58, 0x5b },
        /* push r15; push word 0x1234; pop ax; pop r14 */
        { 9, 0x41, 0x57, 0x66, 0x6a, 0x34, 0x66, 0x58, 0x41, 0x5e },
        /* push [rbp+8]; pop [rbp-8] */
        { 6, 0xff, 0x75, 0x08, 0x8f, 0x45, 0xf8 },
        /* call; ret 8 with a pushed word */
        { 13, 0x6a, 0x01, 0xe8, 3, 0, 0, 0, 0xeb, 4, 0xcc, 0xc2, 8, 0 },
        /* jmp [rip+x]: jumps to the address stored in data: skip */
        { 5, 0x50, 0x53, 0x5b, 0x58, 0x90 },
    };
    int i = rndn(ARRAY_SIZE(seqs));

    init_case(c, "call/ret/jmp/push/pop");
    memcpy(c->code, seqs[i] + 1, seqs[i][0]);
    c->len = seqs[i][0];
}

static void g_string(Case *c)
{
    int sz = pick_sz(), op = rndn(5), rep = rndn(3);
    static const uint8_t ops[5] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };

    init_case(c, "string");
    if (rndn(2)) {
        c->in.rflags |= DF_MASK;
    }
    c->in.regs[R_ESI] = DATA_PTR + rndn(0x200) - 0x100;
    c->in.regs[R_EDI] = DATA_PTR + rndn(0x200) - 0x100;
    c->in.regs[R_ECX] = rndn(10);
    if (rndn(4) == 0) {
        /*
         * Long runs across the page boundary at DATA_PTR (the bulk path
         * of rep movs/stos), at most 0xe00 bytes: within the window.
         */
        c->in.regs[R_ECX] = rndn(0xe00 >> sz);
    }
    if (rndn(3) == 0) {
        c->in.regs[R_EAX] = 0;
    }
    if (rep == 1) {
        emit(c, 0xf3);
    } else if (rep == 2) {
        emit(c, (op == 1 || op == 4) ? 0xf2 : 0xf3);
    }
    if (sz == 1) {
        emit(c, 0x66);
    }
    if (sz == 3) {
        emit(c, 0x48);
    }
    emit(c, ops[op] + (sz ? 1 : 0));
}

/*
 * Sequences of 2-6 insns whose flags are all defined (but AF of logic
 * ops), so the lazy flags of one insn feed the next.
 */
static void g_seq(Case *c)
{
    static void (*const parts[])(Case *c) = {
        g_alu, g_alu, g_unary, g_mov, g_xchg, g_cond, g_alu_acc, g_test,
    };
    int n = 2 + rndn(5);
    Case part;

    init_case(c, "sequence");
    for (int i = 0; i < n; i++) {
        parts[rndn(ARRAY_SIZE(parts))](&part);
        if (c->len + part.len > (int)sizeof(c->code) - 20) {
            break;
        }
        memcpy(c->code + c->len, part.code, part.len);
        c->len += part.len;
        c->flag_mask &= part.flag_mask;
    }
}

typedef void (*GenFn)(Case *c);

static const struct {
    GenFn fn;
    int n;
} classes[] = {
    { g_alu, 900 }, { g_alu_acc, 150 }, { g_test, 200 }, { g_unary, 300 },
    { g_mul, 300 }, { g_div, 300 }, { g_shift, 900 }, { g_shd, 300 },
    { g_bt, 300 }, { g_bitscan, 300 }, { g_mov, 500 }, { g_xchg, 300 },
    { g_misc, 200 }, { g_cond, 500 }, { g_branch, 100 }, { g_string, 400 },
    { g_seq, 1500 }, { g_cmpxchg8b, 200 },
};

/* ---- Running ---- */

typedef struct Result {
    X86State st;
    uint8_t data[DATA_SIZE], stack[STACK_SIZE];
    int excp;
    int exec_ret;
} Result;

#if HAVE_NATIVE
static void run_native(const Case *c, Result *r)
{
    uint8_t *code = x86h_host_window + CODE_OFF;
    uint64_t exit_addr = (uint64_t)(uintptr_t)x86diff_native_exit;

    fill_pattern(x86h_host_window + DATA_OFF, DATA_SIZE, c->mem_seed);
    fill_pattern(x86h_host_window + STACK_LO, STACK_SIZE, c->mem_seed ^ 1);
    memcpy(code, c->code, c->len);
    /* jmp *0(%rip) to the exit */
    memcpy(code + c->len, "\xff\x25\x00\x00\x00\x00", 6);
    memcpy(code + c->len + 6, &exit_addr, 8);
    __builtin___clear_cache((char *)code, (char *)code + c->len + 14);
    r->st = c->in;
    x86diff_run_native(&r->st, code);
    memcpy(r->data, x86h_host_window + DATA_OFF, DATA_SIZE);
    memcpy(r->stack, x86h_host_window + STACK_LO, STACK_SIZE);
    r->excp = -1;
}
#endif

static void run_emu(const Case *c, Result *r)
{
    CPUState *cs = &x86h_cpu->parent;
    CPUX86State *env = &x86h_cpu->env;
    uint8_t hlt = 0xf4;

    fill_pattern(img_data, DATA_SIZE, c->mem_seed);
    fill_pattern(img_stack, STACK_SIZE, c->mem_seed ^ 1);
    bql_lock();
    address_space_write(&address_space_memory, DATA_OFF, img_data,
                        DATA_SIZE);
    address_space_write(&address_space_memory, STACK_LO, img_stack,
                        STACK_SIZE);
    address_space_write(&address_space_memory, CODE_OFF, c->code, c->len);
    address_space_write(&address_space_memory, CODE_OFF + c->len, &hlt, 1);
    bql_unlock();

    memcpy(env->regs, c->in.regs, sizeof(env->regs));
    env->rip = GBASE + CODE_OFF;
    x86_cpu_set_eflags(env, c->in.rflags);
    cs->halted = false;
    x86h_last_excp = -1;
    r->exec_ret = x86h_run_for(run_budget_ms, &run_hung);

    memcpy(r->st.regs, env->regs, sizeof(env->regs));
    r->st.rflags = x86_cpu_get_eflags(env);
    r->excp = x86h_last_excp;
    bql_lock();
    address_space_read(&address_space_memory, DATA_OFF, r->data, DATA_SIZE);
    address_space_read(&address_space_memory, STACK_LO, r->stack,
                       STACK_SIZE);
    bql_unlock();
}

static void print_state(const char *title, const X86State *st)
{
    static const char *const names[16] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    };

    fprintf(stderr, "  %s: rflags=%08" PRIx64 "\n", title, st->rflags);
    for (int i = 0; i < 16; i++) {
        fprintf(stderr, "    %-3s=%016" PRIx64 "%s", names[i], st->regs[i],
                (i & 3) == 3 ? "\n" : "");
    }
}

static bool compare(const Case *c, const Result *a, const Result *b,
                    const char *backend)
{
    const char *why = NULL;
    int where = -1;

    for (int i = 0; i < 16 && !why; i++) {
        if (a->st.regs[i] != b->st.regs[i]) {
            why = "register";
            where = i;
        }
    }
    if (!why && ((a->st.rflags ^ b->st.rflags) & c->flag_mask)) {
        why = "flags";
    }
    if (!why && memcmp(a->data, b->data, DATA_SIZE)) {
        why = "data memory";
        for (where = 0; a->data[where] == b->data[where]; where++) {
        }
    }
    if (!why && memcmp(a->stack, b->stack, STACK_SIZE)) {
        why = "stack memory";
        for (where = 0; a->stack[where] == b->stack[where]; where++) {
        }
    }
    if (!why && b->excp != -1) {
        why = "exception";
        where = b->excp;
    }
    if (!why) {
        return true;
    }
    fprintf(stderr, "MISMATCH (%s, %s back end) in %s (%d)\n  code:",
            c->what, backend, why, where);
    for (int i = 0; i < c->len; i++) {
        fprintf(stderr, " %02x", c->code[i]);
    }
    fprintf(stderr, "\n  flags compared: %03x, memory seed %u, emu exit 0x%x "
            "exception %d rip %" PRIx64 "\n", c->flag_mask, c->mem_seed,
            b->exec_ret, b->excp, x86h_cpu->env.rip);
    print_state("input", &c->in);
    print_state("host", &a->st);
    print_state("emu", &b->st);
    if (where >= 0 && why[0] != 'r' && why[0] != 'e') {
        const uint8_t *pa = why[0] == 'd' ? a->data : a->stack;
        const uint8_t *pb = why[0] == 'd' ? b->data : b->stack;
        fprintf(stderr, "  at offset 0x%x: host %02x emu %02x\n", where,
                pa[where], pb[where]);
    }
    return false;
}

/* ---- Fixture ---- */

static const TCGBackend *cur_backend;

static int setup_native(void **state)
{
    cur_backend = &tcg_backend_native;
    return x86h_setup_native(state);
}

static int setup_interp(void **state)
{
    cur_backend = &tcg_backend_interp;
    return x86h_setup_interp(state);
}

/* ---- Tests ---- */

static Result res_a, res_b;

static void test_diff(void **state)
{
#if HAVE_NATIVE
    int total = 0, bad = 0;
    int64_t t0 = x86h_now_ms();

    rng_state = 0x1234567887654321ull;
    for (size_t k = 0; k < ARRAY_SIZE(classes); k++) {
        for (int i = 0; i < classes[k].n; i++) {
            Case c;
            classes[k].fn(&c);
            if (c.len == 0) {
                continue;
            }
            if (getenv("X86DIFF_TRACE")) {
                fprintf(stderr, "%s:", c.what);
                for (int j = 0; j < c.len; j++) {
                    fprintf(stderr, " %02x", c.code[j]);
                }
                fprintf(stderr, " rax=%" PRIx64 " rdx=%" PRIx64 "\n",
                        c.in.regs[0], c.in.regs[2]);
            }
            run_native(&c, &res_a);
            run_emu(&c, &res_b);
            total++;
            if (!compare(&c, &res_a, &res_b, cur_backend->name)) {
                if (++bad >= 10) {
                    goto out;
                }
            }
        }
    }
out:
    fprintf(stderr, "x86-diff (%s): %d cases, %d mismatches, %" PRId64
            " ms\n", cur_backend->name, total, bad, x86h_now_ms() - t0);
    assert_int_equal(bad, 0);
#else
    skip();
#endif
}

/* Emulated-only: #DE, #UD and the rip they leave */
static void test_exceptions(void **state)
{
    static const struct {
        uint8_t code[8];
        int len;
        int excp;
    } t[] = {
        { { 0x48, 0xf7, 0xf3 }, 3, EXCP00_DIVZ },      /* div rbx (0) */
        { { 0xf6, 0xfb }, 2, EXCP00_DIVZ },            /* idiv bl (0) */
        { { 0x0f, 0x0b }, 2, EXCP06_ILLOP },           /* ud2 */
        { { 0xd6 }, 1, EXCP06_ILLOP },
        { { 0xf0, 0x90 }, 2, EXCP06_ILLOP },           /* lock nop */
        { { 0x8d, 0xc0 }, 2, EXCP06_ILLOP },           /* lea eax, eax */
        { { 0x48, 0x0f, 0xc7, 0x4d, 0x01 }, 5, EXCP0D_GPF }, /* misaligned */
        { { 0x0f, 0xc7, 0xc8 }, 3, EXCP06_ILLOP },     /* cmpxchg8b reg */
        { { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, }, 8,
          EXCP0D_GPF },                                /* too long (below) */
    };

    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        Case c;
        init_case(&c, "exception");
        c.in.regs[R_EBX] = 0;
        memcpy(c.code, t[i].code, t[i].len);
        c.len = t[i].len;
        if (t[i].excp == EXCP0D_GPF && t[i].len == 8) {
            memset(c.code, 0x66, 16);
            c.code[16] = 0x90;
            c.len = 17;
        }
        run_emu(&c, &res_b);
        if (res_b.excp != t[i].excp || x86h_cpu->env.rip != GBASE + CODE_OFF) {
            fprintf(stderr, "case %zu: exception %d rip %" PRIx64 "\n", i,
                    res_b.excp, x86h_cpu->env.rip);
        }
        assert_int_equal(res_b.excp, t[i].excp);
        assert_int_equal(x86h_cpu->env.rip, GBASE + CODE_OFF);
        /* registers untouched */
        assert_memory_equal(res_b.st.regs, c.in.regs, sizeof(c.in.regs));
    }
}

/* -d unimp names the bytes of an unimplemented opcode */
static void test_unimp_log(void **state)
{
    char path[] = "/tmp/x86-diff-log-XXXXXX";
    int fd = mkstemp(path);
    Error *err = NULL;
    char buf[4096] = "";
    FILE *f;
    Case c;

    assert_true(fd >= 0);
    close(fd);
    assert_true(log_set_filename(path, &err));
    log_set_mask(LOG_UNIMP);
    init_case(&c, "unimp");
    memcpy(c.code, "\x0f\xff\xc0", 3);
    c.len = 3;
    run_emu(&c, &res_b);
    log_set_mask(0);
    log_close();
    f = fopen(path, "r");
    assert_non_null(f);
    buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
    fclose(f);
    unlink(path);
    assert_int_equal(res_b.excp, EXCP06_ILLOP);
    assert_non_null(strstr(buf, "0x5e000000: 0f ff"));
}

/* Random bytes: the translator must never crash or hang */
static void test_random_bytes(void **state)
{
    int hung = 0;

    rng_state = 0xfeedfacecafebeefull;
    run_budget_ms = 20;
    for (int i = 0; i < 3000; i++) {
        Case c;
        init_case(&c, "random");
        c.in.regs[R_ECX] = rndn(16);
        c.len = 1 + rndn(24);
        for (int j = 0; j < c.len; j++) {
            c.code[j] = (uint8_t)rnd();
            /* mostly prefixes and opcodes the decoder knows */
            if (rndn(8) == 0) {
                static const uint8_t pf[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0,
                                              0x48, 0x41, 0x0f, 0x64 };
                c.code[j] = pf[rndn(ARRAY_SIZE(pf))];
            }
        }
        run_emu(&c, &res_b);
        hung += run_hung;
    }
    run_budget_ms = 2000;
    fprintf(stderr, "x86-diff random bytes (%s): 3000 runs, %d stopped by "
            "the watchdog\n", cur_backend->name, hung);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, x86h_teardown)

int main(void)
{
    const X86HConfig cfg = {
        .cc = &x86_test_class,
        .ram_size = WIN_SIZE,
        .poll_ms = 5,
        .code_gen_size = 32 * MiB,
        .window_base = GBASE,
        .window_size = WIN_SIZE,
        .host_window = HAVE_NATIVE,
    };
    const struct CMUnitTest tests[] = {
        T(test_exceptions, setup_interp),
        T(test_unimp_log, setup_interp),
        T(test_diff, setup_interp),
        T(test_random_bytes, setup_interp),
#if HAVE_NATIVE
        T(test_exceptions, setup_native),
        T(test_diff, setup_native),
        T(test_random_bytes, setup_native),
#endif
    };

    if (!x86h_init(&cfg)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
