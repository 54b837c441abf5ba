/*
 * x86-64 instruction encoding for the native back end: prefixes, REX,
 * ModRM/SIB with displacements, VEX for the BMI instructions.  Opcode
 * values and encoding rules are from the Intel SDM, volume 2.
 */
#ifndef TCG_X86_64_ASM_H
#define TCG_X86_64_ASM_H

#include "tcg/tcg.h"

/* register numbers as ModRM/REX encode them */
enum {
    R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
};

/* opcode flags above the opcode byte */
#define P_0F    0x00100     /* 0f escape */
#define P_0F38  0x00200     /* 0f 38 escape */
#define P_0F3A  0x00400     /* 0f 3a escape */
#define P_66    0x00800     /* operand-size prefix (16-bit) */
#define P_F3    0x01000
#define P_F2    0x02000
#define P_W     0x04000     /* REX.W: 64-bit operand */
#define P_BR    0x08000     /* the reg field is a byte register */
#define P_BRM   0x10000     /* the r/m field is a byte register */
#define P_LOCK  0x20000

/* group opcodes' /digit values */
enum { ARITH_ADD, ARITH_OR, ARITH_ADC, ARITH_SBB, ARITH_AND, ARITH_SUB,
       ARITH_XOR, ARITH_CMP };
enum { SHIFT_ROL = 0, SHIFT_ROR = 1, SHIFT_SHL = 4, SHIFT_SHR = 5,
       SHIFT_SAR = 7 };
enum { EXT3_TEST = 0, EXT3_NOT = 2, EXT3_NEG = 3, EXT3_MUL = 4,
       EXT3_IMUL = 5, EXT3_DIV = 6, EXT3_IDIV = 7 };
enum { EXT5_CALL = 2, EXT5_JMP = 4 };

/* condition codes (low nibble of jcc/setcc/cmovcc) */
enum { JCC_O = 0, JCC_B = 2, JCC_AE = 3, JCC_E = 4, JCC_NE = 5, JCC_BE = 6,
       JCC_A = 7, JCC_S = 8, JCC_NS = 9, JCC_L = 0xc, JCC_GE = 0xd,
       JCC_LE = 0xe, JCC_G = 0xf };

#define OPC_ARITH_EvIz  0x81
#define OPC_ARITH_EvIb  0x83
#define OPC_ARITH_GvEv  0x03        /* + (ARITH_x << 3) */
#define OPC_BSF         (0xbc | P_0F)
#define OPC_BSR         (0xbd | P_0F)
#define OPC_BSWAP       (0xc8 | P_0F)
#define OPC_CALL_Jz     0xe8
#define OPC_CDQ         0x99        /* with P_W: cqo */
#define OPC_CMOVCC      (0x40 | P_0F)
#define OPC_GRP3_Ev     0xf7
#define OPC_GRP5        0xff
#define OPC_IMUL_GvEv   (0xaf | P_0F)
#define OPC_IMUL_GvEvIb 0x6b
#define OPC_IMUL_GvEvIz 0x69
#define OPC_JCC_long    (0x80 | P_0F)
#define OPC_JCC_short   0x70
#define OPC_JMP_long    0xe9
#define OPC_JMP_short   0xeb
#define OPC_LEA         0x8d
#define OPC_LZCNT       (0xbd | P_0F | P_F3)
#define OPC_MOVB_EvGv   (0x88 | P_BR)
#define OPC_MOVL_EvGv   0x89
#define OPC_MOVL_GvEv   0x8b
#define OPC_MOVB_EvIb   0xc6
#define OPC_MOVL_EvIz   0xc7
#define OPC_MOVL_Iv     0xb8
#define OPC_MOVBE_GyMy  (0xf0 | P_0F38)
#define OPC_MOVBE_MyGy  (0xf1 | P_0F38)
#define OPC_MOVSBL      (0xbe | P_0F)      /* | P_BRM for a register */
#define OPC_MOVSWL      (0xbf | P_0F)
#define OPC_MOVSLQ      (0x63 | P_W)
#define OPC_MOVZBL      (0xb6 | P_0F)      /* | P_BRM for a register */
#define OPC_MOVZWL      (0xb7 | P_0F)
#define OPC_POPCNT      (0xb8 | P_0F | P_F3)
#define OPC_SETCC       (0x90 | P_0F | P_BRM)
#define OPC_SHIFT_1     0xd1
#define OPC_SHIFT_Ib    0xc1
#define OPC_SHIFT_cl    0xd3
#define OPC_SHLD_Ib     (0xa4 | P_0F)
#define OPC_SHRD_Ib     (0xac | P_0F)
#define OPC_TESTL       0x85
#define OPC_TZCNT       (0xbc | P_0F | P_F3)
#define OPC_XCHG        0x87
/* VEX-encoded (BMI1/BMI2) */
#define OPC_ANDN        (0xf2 | P_0F38)
#define OPC_SHLX        (0xf7 | P_0F38 | P_66)
#define OPC_SARX        (0xf7 | P_0F38 | P_F3)
#define OPC_SHRX        (0xf7 | P_0F38 | P_F2)
#define OPC_RORX        (0xf0 | P_0F3A | P_F2)

static inline void x86_out8(TCGContext *s, uint8_t v)
{
    *s->code_ptr++ = v;
}

static inline void x86_out16(TCGContext *s, uint16_t v)
{
    memcpy(s->code_ptr, &v, 2);
    s->code_ptr += 2;
}

static inline void x86_out32(TCGContext *s, uint32_t v)
{
    memcpy(s->code_ptr, &v, 4);
    s->code_ptr += 4;
}

static inline void x86_out64(TCGContext *s, uint64_t v)
{
    memcpy(s->code_ptr, &v, 8);
    s->code_ptr += 8;
}

static inline void x86_patch32(uint8_t *p, int32_t v)
{
    memcpy(p, &v, 4);
}

/*
 * Prefixes, REX and opcode bytes.  r, rm and x are the registers that go
 * in ModRM.reg, ModRM.rm (or SIB.base, or the opcode's low bits) and
 * SIB.index; 0 where unused.
 */
static inline void x86_opc(TCGContext *s, unsigned opc, int r, int rm, int x)
{
    unsigned rex = 0;

    if (opc & P_LOCK) {
        x86_out8(s, 0xf0);
    }
    if (opc & P_66) {
        x86_out8(s, 0x66);
    }
    if (opc & P_F3) {
        x86_out8(s, 0xf3);
    } else if (opc & P_F2) {
        x86_out8(s, 0xf2);
    }
    if (opc & P_W) {
        rex |= 8;
    }
    rex |= ((r & 8) >> 1) | ((x & 8) >> 2) | ((rm & 8) >> 3);
    /* spl, bpl, sil, dil exist only with a REX prefix (else ah..bh) */
    if (rex || ((opc & P_BR) && r >= 4) || ((opc & P_BRM) && rm >= 4)) {
        x86_out8(s, 0x40 | rex);
    }
    if (opc & (P_0F | P_0F38 | P_0F3A)) {
        x86_out8(s, 0x0f);
        if (opc & P_0F38) {
            x86_out8(s, 0x38);
        } else if (opc & P_0F3A) {
            x86_out8(s, 0x3a);
        }
    }
    x86_out8(s, opc & 0xff);
}

/* register-direct ModRM */
static inline void x86_rr(TCGContext *s, unsigned opc, int r, int rm)
{
    x86_opc(s, opc, r, rm, 0);
    x86_out8(s, 0xc0 | ((r & 7) << 3) | (rm & 7));
}

/* memory ModRM: [base + index * (1 << shift) + disp], base/index -1: none */
static inline void x86_rm(TCGContext *s, unsigned opc, int r, int base,
                          int index, int shift, int32_t disp)
{
    int mod;

    x86_opc(s, opc, r, base < 0 ? 0 : base, index < 0 ? 0 : index);
    if (base < 0) {
        /* SIB with no base: [index * scale + disp32] or [disp32] */
        x86_out8(s, ((r & 7) << 3) | 4);
        x86_out8(s, (shift << 6) | ((index < 0 ? 4 : index & 7) << 3) | 5);
        x86_out32(s, disp);
        return;
    }
    /* rbp/r13 as base have no disp-less form */
    if (disp == 0 && (base & 7) != R_RBP) {
        mod = 0x00;
    } else if (disp == (int8_t)disp) {
        mod = 0x40;
    } else {
        mod = 0x80;
    }
    /* rsp/r12 as base need a SIB byte */
    if (index < 0 && (base & 7) != R_RSP) {
        x86_out8(s, mod | ((r & 7) << 3) | (base & 7));
    } else {
        x86_out8(s, mod | ((r & 7) << 3) | 4);
        x86_out8(s, (shift << 6) | ((index < 0 ? 4 : index & 7) << 3) |
                    (base & 7));
    }
    if (mod == 0x40) {
        x86_out8(s, disp);
    } else if (mod == 0x80) {
        x86_out32(s, disp);
    }
}

/* [base + disp] */
static inline void x86_mem(TCGContext *s, unsigned opc, int r, int base,
                           int32_t disp)
{
    x86_rm(s, opc, r, base, -1, 0, disp);
}

/*
 * RIP-relative memory operand addressing target_rx, for instructions
 * without an immediate; rx_offset turns code_ptr (rw) into its rx address.
 */
static inline void x86_rip(TCGContext *s, unsigned opc, int r,
                           const void *target_rx)
{
    x86_opc(s, opc, r, 0, 0);
    x86_out8(s, ((r & 7) << 3) | 5);
    x86_out32(s, (int32_t)((const uint8_t *)target_rx -
                           ((const uint8_t *)tcg_splitwx_to_rx(s, s->code_ptr)
                            + 4)));
}

/*
 * VEX-encoded register form: reg, vvvv and r/m operands.  The map and
 * mandatory prefix come from the P_0F38/P_0F3A and P_66/P_F3/P_F2 flags.
 */
static inline void x86_vex_rr(TCGContext *s, unsigned opc, int r, int v,
                              int rm)
{
    unsigned map = (opc & P_0F3A) ? 3 : (opc & P_0F38) ? 2 : 1;
    unsigned pp = (opc & P_66) ? 1 : (opc & P_F3) ? 2 : (opc & P_F2) ? 3 : 0;

    x86_out8(s, 0xc4);
    x86_out8(s, ((~r & 8) << 4) | 0x40 | ((~rm & 8) << 2) | map);
    x86_out8(s, ((opc & P_W) ? 0x80 : 0) | ((~v & 15) << 3) | pp);
    x86_out8(s, opc & 0xff);
    x86_out8(s, 0xc0 | ((r & 7) << 3) | (rm & 7));
}

#endif
