/*
 * The x86 decoder's tables: opcode maps as data in the SDM's operand
 * notation (Eb, Gv, Iz, ...).  Each map entry names a generator, its
 * operands and attributes; groups (ModRM.reg selects) and prefix-selected
 * variants are further tables.  Later modes (16/32-bit), x87, SSE and the
 * system instructions add entries and operand kinds, not new decoders.
 */
#ifndef TARGET_I386_TCG_DECODE_H
#define TARGET_I386_TCG_DECODE_H

#include "emu/osdep.h"

typedef enum X86OpKind {
    X86_OP_NONE = 0,
    X86_OP_E,       /* ModRM r/m: register or memory */
    X86_OP_G,       /* ModRM reg: general register */
    X86_OP_M,       /* ModRM r/m, memory only */
    X86_OP_R,       /* ModRM r/m, register only */
    X86_OP_I,       /* immediate (sign-extended from its encoded size) */
    X86_OP_J,       /* relative branch target */
    X86_OP_O,       /* moffs: absolute address of address size */
    X86_OP_Z,       /* register in opcode bits 0-2 (+ REX.B) */
    X86_OP_AX,      /* rAX / AL */
    X86_OP_CX,      /* CL (shift counts) */
    X86_OP_DX,      /* rDX */
    X86_OP_1,       /* the constant 1 */
} X86OpKind;

typedef enum X86OpSize {
    X86_SZ_NONE = 0,
    X86_SZ_b,       /* byte */
    X86_SZ_w,       /* word */
    X86_SZ_d,       /* doubleword */
    X86_SZ_q,       /* quadword */
    X86_SZ_v,       /* word, doubleword or quadword per operand size */
    X86_SZ_z,       /* word or doubleword (immediates of v operations) */
    X86_SZ_y,       /* doubleword or quadword */
} X86OpSize;

/* X86OpEntry.flags */
#define X86_F_DEF64   0x01  /* operand size defaults to 64 in 64-bit mode */
#define X86_F_F64     0x02  /* operand size is 64 in 64-bit mode, always */
#define X86_F_I64     0x04  /* invalid in 64-bit mode */
#define X86_F_GROUP   0x08  /* .table: 8 entries selected by ModRM.reg */
#define X86_F_MODRM   0x10  /* has a ModRM byte without E/G/M operands */
#define X86_F_LOCK    0x20  /* LOCK allowed (with a memory destination) */
#define X86_F_NOMEM_GRP 0x40 /* group whose mod == 3 forms are elsewhere */
#define X86_F_MODRM_REG 0x80 /* ModRM.mod ignored: r/m is always a register */

typedef struct X86DecodedInsn X86DecodedInsn;
typedef struct DisasContext DisasContext;
typedef void (*X86GenFunc)(DisasContext *s, X86DecodedInsn *d);

/* An operand in the SDM notation: X86OpKind << 4 | X86OpSize */
typedef uint8_t X86OpSpec;

typedef struct X86OpEntry {
    X86GenFunc gen;         /* NULL: undefined or not implemented (#UD) */
    const char *name;
    X86OpSpec op[3];        /* op[0] is the destination if any */
    uint8_t special;        /* generator argument: ALU op, condition, ... */
    uint8_t flags;          /* X86_F_* */
    const struct X86OpEntry *table;     /* X86_F_GROUP */
} X86OpEntry;

typedef struct X86DecodedOp {
    uint8_t kind;
    uint8_t ot;             /* MemOp size */
    uint8_t reg;            /* register number (kind G/Z/E-register) */
    bool mem;               /* a memory operand (address in s->A0) */
    bool high8;             /* AH, CH, DH, BH */
} X86DecodedOp;

struct X86DecodedInsn {
    const X86OpEntry *e;
    unsigned map;           /* 1: one byte, 2: 0F, 3: 0F 38, 4: 0F 3A */
    unsigned b;             /* opcode byte */
    bool has_modrm;
    unsigned modrm, mod, reg, rm;   /* reg/rm with REX extension */
    X86DecodedOp op[3];
    int64_t imm;            /* I operand */
    int64_t imm2;           /* second immediate (enter, ...) */
    uint64_t target;        /* J operand: the absolute target */
    /* memory operand, address computed after the whole insn is decoded */
    int base, index;        /* -1: none; base -2: RIP-relative */
    unsigned scale;
    int64_t disp;
    int seg;                /* segment register for the access */
};

#endif
