/*
 * The translator core (TCG): a small typed IR that target front ends emit,
 * an optimizer, liveness analysis, and two back ends that turn the IR of a
 * translation block into something executable: native x86-64 code
 * (tcg/x86_64/) or bytecode for the portable interpreter (tcg/tci/).
 *
 * Hosts are 64-bit (x86-64 natively; any other 64-bit host through the
 * interpreter).  Guest addresses given to qemu_ld/qemu_st are always I64
 * temps (front ends of 32-bit modes zero-extend).
 *
 * Life of a TB: tcg_func_start() -> front end emits ops (include/tcg/
 * tcg-op.h) -> tcg_optimize() -> tcg_liveness() -> backend->gen_code()
 * -> executed through backend->exec().  See docs/devel/tcg.md.
 */
#ifndef TCG_TCG_H
#define TCG_TCG_H

#include "emu/osdep.h"
#include "emu/error.h"
#include <sys/queue.h>

/* ---- Limits ---- */
#define TCG_MAX_TEMPS 1024          /* globals + temps of one TB */
#define TCG_MAX_INSNS 512           /* guest instructions per TB */
#define TCG_INSN_START_WORDS 3      /* words of state per guest insn */
#define TCG_MAX_CALL_IARGS 7
#define TCG_MAX_OP_ARGS 16          /* >= 1 + TCG_MAX_CALL_IARGS + 2 */
#define TCG_MAX_LABELS 4096

typedef uintptr_t TCGArg;

typedef enum TCGType {
    TCG_TYPE_I32 = 0,
    TCG_TYPE_I64 = 1,
    TCG_TYPE_COUNT,
    TCG_TYPE_PTR = TCG_TYPE_I64,    /* host pointers: 64-bit hosts only */
    TCG_TYPE_REG = TCG_TYPE_I64,
} TCGType;

/* ---- Conditions (encoding: bit 0 inverts, as in QEMU) ---- */
typedef enum TCGCond {
    TCG_COND_NEVER = 0 | 0 | 0 | 0,
    TCG_COND_ALWAYS = 0 | 0 | 0 | 1,
    TCG_COND_EQ = 8 | 0 | 0 | 0,
    TCG_COND_NE = 8 | 0 | 0 | 1,
    TCG_COND_LT = 0 | 0 | 2 | 0,
    TCG_COND_GE = 0 | 0 | 2 | 1,
    TCG_COND_LE = 8 | 0 | 2 | 0,
    TCG_COND_GT = 8 | 0 | 2 | 1,
    TCG_COND_LTU = 0 | 4 | 0 | 0,
    TCG_COND_GEU = 0 | 4 | 0 | 1,
    TCG_COND_LEU = 8 | 4 | 0 | 0,
    TCG_COND_GTU = 8 | 4 | 0 | 1,
} TCGCond;

static inline TCGCond tcg_invert_cond(TCGCond c)
{
    return (TCGCond)(c ^ 1);
}
/* the condition with operands swapped: a < b  <=>  b > a */
static inline TCGCond tcg_swap_cond(TCGCond c)
{
    return (c & 6) ? (TCGCond)(c ^ 9) : c;
}
static inline bool tcg_cond_is_unsigned(TCGCond c)
{
    return (c & 4) != 0;
}
const char *tcg_cond_name(TCGCond c);

/* ---- Guest memory operation descriptor ---- */
typedef enum MemOp {
    MO_8 = 0,
    MO_16 = 1,
    MO_32 = 2,
    MO_64 = 3,
    MO_SIZE = 3,
    MO_SIGN = 4,          /* sign-extend loads */
    MO_BSWAP = 8,         /* byte order opposite to the host's */
#if HOST_BIG_ENDIAN
    MO_LE = MO_BSWAP,
    MO_BE = 0,
#else
    MO_LE = 0,
    MO_BE = MO_BSWAP,
#endif
    /* alignment requirement, as log2 of bytes, in bits 4..6 */
    MO_ASHIFT = 4,
    MO_AMASK = 7 << MO_ASHIFT,
    MO_UNALN = 0,                     /* no requirement */
    MO_ALIGN_2 = 1 << MO_ASHIFT,
    MO_ALIGN_4 = 2 << MO_ASHIFT,
    MO_ALIGN_8 = 3 << MO_ASHIFT,
    MO_ALIGN_16 = 4 << MO_ASHIFT,
    MO_ALIGN = 7 << MO_ASHIFT,        /* aligned to the access size */

    MO_UB = MO_8,
    MO_UW = MO_16,
    MO_UL = MO_32,
    MO_UQ = MO_64,
    MO_SB = MO_SIGN | MO_8,
    MO_SW = MO_SIGN | MO_16,
    MO_SL = MO_SIGN | MO_32,
    MO_LEUW = MO_LE | MO_UW,
    MO_LEUL = MO_LE | MO_UL,
    MO_LEUQ = MO_LE | MO_UQ,
    MO_LESW = MO_LE | MO_SW,
    MO_LESL = MO_LE | MO_SL,
    MO_BEUW = MO_BE | MO_UW,
    MO_BEUL = MO_BE | MO_UL,
    MO_BEUQ = MO_BE | MO_UQ,
    MO_BESW = MO_BE | MO_SW,
    MO_BESL = MO_BE | MO_SL,
} MemOp;

static inline unsigned memop_size(MemOp op)
{
    return 1u << (op & MO_SIZE);
}
/* Required alignment in bytes (1 = none) */
static inline unsigned memop_alignment(MemOp op)
{
    unsigned a = (op & MO_AMASK) >> MO_ASHIFT;
    if (a == 7) {
        return memop_size(op);
    }
    return 1u << a;
}

/* MemOp plus MMU index, as one constant argument */
typedef uint32_t MemOpIdx;
#define TCG_MMU_IDX_BITS 4
static inline MemOpIdx make_memop_idx(MemOp op, unsigned mmu_idx)
{
    return (op << TCG_MMU_IDX_BITS) | mmu_idx;
}
static inline MemOp get_memop(MemOpIdx oi)
{
    return (MemOp)(oi >> TCG_MMU_IDX_BITS);
}
static inline unsigned get_mmuidx(MemOpIdx oi)
{
    return oi & ((1u << TCG_MMU_IDX_BITS) - 1);
}

/* bswap flags */
#define TCG_BSWAP_IZ 1   /* input is zero-extended above the swapped part */
#define TCG_BSWAP_OZ 2   /* zero-extend the output */
#define TCG_BSWAP_OS 4   /* sign-extend the output */

/* memory barrier kinds (mb carg) */
#define TCG_MO_LD_LD 1
#define TCG_MO_ST_LD 2
#define TCG_MO_LD_ST 4
#define TCG_MO_ST_ST 8
#define TCG_MO_ALL 0xf
#define TCG_BAR_SC 0x30

/* ---- Op table ---- */
#define TCG_OPF_BB_EXIT      0x01   /* leaves the TB */
#define TCG_OPF_BB_END       0x02   /* ends a basic block */
#define TCG_OPF_CALL_CLOBBER 0x04   /* clobbers call-clobbered registers */
#define TCG_OPF_SIDE_EFFECTS 0x08   /* never removed; globals synced first */
#define TCG_OPF_64BIT        0x10   /* only with op type I64 */
#define TCG_OPF_NOT_PRESENT  0x20   /* handled by generic code */
#define TCG_OPF_COND_BRANCH  0x40

typedef enum TCGOpcode {
#define DEF(name, oargs, iargs, cargs, flags) INDEX_op_##name,
#include "tcg/tcg-opc.h"
#undef DEF
    NB_OPS,
} TCGOpcode;

typedef struct TCGOpDef {
    const char *name;
    uint8_t nb_oargs, nb_iargs, nb_cargs, nb_args;
    uint8_t flags;
} TCGOpDef;

extern const TCGOpDef tcg_op_defs[NB_OPS];

/* ---- Temps ---- */
typedef enum TCGTempKind {
    TEMP_EBB,       /* value lives within one extended basic block */
    TEMP_TB,        /* value lives across branches, for the whole TB */
    TEMP_GLOBAL,    /* backed by a CPU state field (mem_base + offset) */
    TEMP_FIXED,     /* pinned to a host register (env) */
    TEMP_CONST,     /* a constant; interned per TB */
} TCGTempKind;

/* Register allocator's view of where a temp's value is */
typedef enum TCGTempVal {
    TEMP_VAL_DEAD,
    TEMP_VAL_REG,
    TEMP_VAL_MEM,
    TEMP_VAL_CONST,
} TCGTempVal;

typedef struct TCGTemp {
    TCGType type;
    TCGTempKind kind;
    bool allocated;         /* in use (TEMP_EBB/TB/CONST) */
    /* register allocation state (native back end) */
    TCGTempVal val_type;
    int8_t reg;
    bool mem_coherent;      /* memory copy up to date */
    bool mem_allocated;     /* has a spill slot / is a global */
    int64_t val;            /* constant value (TEMP_CONST), sign-extended for I32 */
    struct TCGTemp *mem_base;   /* base pointer temp (env) for memory */
    intptr_t mem_offset;    /* globals: offset in CPU state; others: slot */
    const char *name;       /* globals */
    /* scratch for passes (optimizer info, liveness state) */
    uintptr_t state;
    void *state_ptr;
} TCGTemp;

/*
 * Front ends hold typed handles.  They are TCGTemp pointers in disguise,
 * so that mixing widths is a compile-time error.
 */
typedef struct TCGv_i32_d *TCGv_i32;
typedef struct TCGv_i64_d *TCGv_i64;
typedef struct TCGv_ptr_d *TCGv_ptr;

static inline TCGTemp *tcgv_i32_temp(TCGv_i32 v) { return (TCGTemp *)v; }
static inline TCGTemp *tcgv_i64_temp(TCGv_i64 v) { return (TCGTemp *)v; }
static inline TCGTemp *tcgv_ptr_temp(TCGv_ptr v) { return (TCGTemp *)v; }
static inline TCGv_i32 temp_tcgv_i32(TCGTemp *t) { return (TCGv_i32)t; }
static inline TCGv_i64 temp_tcgv_i64(TCGTemp *t) { return (TCGv_i64)t; }
static inline TCGv_ptr temp_tcgv_ptr(TCGTemp *t) { return (TCGv_ptr)t; }
static inline TCGArg temp_arg(TCGTemp *t) { return (TCGArg)t; }
static inline TCGTemp *arg_temp(TCGArg a) { return (TCGTemp *)a; }

/* ---- Labels ---- */
typedef struct TCGRelocation {
    struct TCGRelocation *next;
    void *ptr;              /* where to patch (rw address) */
    int type;               /* backend-specific */
    intptr_t addend;
} TCGRelocation;

typedef struct TCGLabel {
    unsigned id;
    bool has_value;
    bool present;           /* set_label emitted */
    unsigned refs;          /* branches to it (optimizer drops unused) */
    uintptr_t value;        /* host address (rw) once known */
    TCGRelocation *relocs;
} TCGLabel;

static inline TCGArg label_arg(TCGLabel *l) { return (TCGArg)l; }
static inline TCGLabel *arg_label(TCGArg a) { return (TCGLabel *)a; }

/* ---- Helpers called from generated code ---- */
/* NO_READ_GLOBALS implies NO_WRITE_GLOBALS (as in QEMU) */
#define TCG_CALL_NO_READ_GLOBALS  0x1   /* globals need not be synced */
#define TCG_CALL_NO_WRITE_GLOBALS 0x2   /* globals stay valid in registers */
#define TCG_CALL_NO_SIDE_EFFECTS  0x4   /* removable if result unused */
#define TCG_CALL_NO_RWG (TCG_CALL_NO_READ_GLOBALS)
#define TCG_CALL_NO_WG  (TCG_CALL_NO_WRITE_GLOBALS)
#define TCG_CALL_NO_SE  (TCG_CALL_NO_SIDE_EFFECTS)
#define TCG_CALL_PURE   (TCG_CALL_NO_WG | TCG_CALL_NO_SE)
#define TCG_CALL_CONST  (TCG_CALL_NO_RWG | TCG_CALL_NO_SE)

/* argument/return kinds for helpers */
typedef enum TCGCallType {
    TCG_CALL_VOID = 0,      /* return only */
    TCG_CALL_I32,
    TCG_CALL_S32,           /* i32 passed sign-extended in a 64-bit reg */
    TCG_CALL_I64,
    TCG_CALL_PTR,
} TCGCallType;

typedef struct TCGHelperInfo {
    void *func;
    const char *name;
    unsigned flags;
    TCGCallType ret;
    uint8_t nargs;
    TCGCallType args[TCG_MAX_CALL_IARGS];
} TCGHelperInfo;

/* ---- Ops ---- */
typedef struct TCGOp {
    TCGOpcode opc : 8;
    TCGType type : 8;       /* width of the operation */
    unsigned nargs : 8;     /* calls only: total args used in args[] */
    unsigned call_oargs : 2;  /* calls only */
    unsigned call_iargs : 6;  /* calls only */
    /*
     * Liveness results: bit i (of outputs then inputs) set means arg i's
     * temp is dead after this op; bit (16 + i) set means arg i must be
     * synced back to memory (globals) after this op.
     */
    uint32_t life;
    TAILQ_ENTRY(TCGOp) link;
    TCGArg args[TCG_MAX_OP_ARGS];
} TCGOp;

#define DEAD_ARG(i) (1u << (i))
#define SYNC_ARG(i) (1u << (16 + (i)))

/* ---- Back ends ---- */
typedef struct TCGContext TCGContext;
typedef struct TranslationBlock TranslationBlock;

/*
 * TB exit values returned by backend->exec(): (uintptr_t)last_tb | index,
 * where index says how the TB was left.
 */
#define TB_EXIT_MASK      3
#define TB_EXIT_IDX0      0     /* goto_tb slot 0 not yet chained */
#define TB_EXIT_IDX1      1
#define TB_EXIT_IDXMAX    1
#define TB_EXIT_REQUESTED 3     /* exit request seen at TB entry */

typedef struct TCGBackend {
    const char *name;           /* "native", "interp" */
    /* one-time set-up: code buffer prologue/epilogue */
    bool (*init)(TCGContext *s, Error **errp);
    /*
     * Turn s->ops (optimized, liveness computed) into code at
     * s->code_ptr.  Fills the TB's jump and insn-boundary data.  Returns
     * the size in bytes, -1 if the buffer is full (caller flushes and
     * retries), -2 if this TB is too large (caller halves the insns).
     */
    int (*gen_code)(TCGContext *s, TranslationBlock *tb);
    /* Run code starting at tb_code (rx address); returns exit value */
    uintptr_t (*exec)(void *env, const void *tb_code);
    /* Chain: make goto_tb slot n of tb jump to addr (rx), atomically */
    void (*set_jmp_target)(TranslationBlock *tb, int n, uintptr_t addr);
} TCGBackend;

extern const TCGBackend tcg_backend_native;   /* x86-64 hosts */
extern const TCGBackend tcg_backend_interp;   /* any host */
/*
 * Print the interpreter's bytecode of one TB (code: tc.ptr, size:
 * tc.size) for -d out_asm; f may be NULL.  Returns the bytes that
 * decode as instructions (the TB's constant pool follows them), or 0
 * if the bytecode does not decode exactly.
 */
size_t tcg_interp_disas(FILE *f, const void *code, size_t size);

/* ---- Softmmu TLB layout shared by the back ends and accel/tcg ---- */
/*
 * One entry per (guest page, access kind).  addr_* hold the page address
 * (low bits: TLB_* flags; an access takes the fast path only when
 * (addr & page_mask) | align_bits equals the comparator exactly).
 * host = guest_addr + addend.
 */
typedef struct CPUTLBEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;
} CPUTLBEntry;

/* flags in the low bits of addr_* (below the target page size) */
#define TLB_INVALID_MASK  (1 << 5)   /* no valid translation */
#define TLB_NOTDIRTY      (1 << 6)   /* write hits a page with TBs */
#define TLB_MMIO          (1 << 7)   /* not RAM: go through the memory API */
#define TLB_WATCHPOINT    (1 << 8)
#define TLB_FLAGS_MASK    (TLB_INVALID_MASK | TLB_NOTDIRTY | TLB_MMIO | \
                           TLB_WATCHPOINT)

/* Per MMU mode: table and mask ((n_entries - 1) << CPU_TLB_ENTRY_BITS) */
typedef struct CPUTLBDescFast {
    uintptr_t mask;
    CPUTLBEntry *table;
} CPUTLBDescFast;
#define CPU_TLB_ENTRY_BITS 5        /* sizeof(CPUTLBEntry) == 32 */

/*
 * Slow paths of guest memory accesses (accel/tcg/cputlb.c).  retaddr is
 * the host return address inside the TB (GETPC()), used to restore the
 * guest state precisely if the access faults.  Loads return the value
 * extended per the MemOp (sign or zero) to 64 bits.
 */
uint64_t helper_ld_mmu(void *env, uint64_t addr, MemOpIdx oi,
                       uintptr_t retaddr);
void helper_st_mmu(void *env, uint64_t addr, uint64_t val, MemOpIdx oi,
                   uintptr_t retaddr);

/* ---- The translation context (one per translating thread) ---- */
struct TCGContext {
    /* temps: [0, nb_globals) are globals, then per-TB temps */
    int nb_globals;
    int nb_temps;
    TCGTemp *env;               /* the fixed env pointer temp */
    TCGTemp temps[TCG_MAX_TEMPS];

    /* ops of the TB being translated */
    TAILQ_HEAD(TCGOpHead, TCGOp) ops;
    TAILQ_HEAD(, TCGOp) free_ops;
    int nb_ops;

    TCGLabel *labels;           /* TCG_MAX_LABELS, reset per TB */
    int nb_labels;

    /* guest instructions of the TB (filled by insn_start during codegen) */
    int nb_insns;
    uint64_t gen_insn_data[TCG_MAX_INSNS][TCG_INSN_START_WORDS];
    uint32_t gen_insn_end_off[TCG_MAX_INSNS];  /* code offsets */

    /* code buffer (W^X: rw mapping for writing, rx for executing) */
    uint8_t *code_gen_buffer;   /* rw */
    size_t code_gen_buffer_size;
    ptrdiff_t code_gen_rx_offset;  /* rx = rw + offset */
    uint8_t *code_ptr;          /* next free byte (rw) */
    uint8_t *code_gen_highwater;
    uint8_t *code_gen_prologue;    /* rx */
    uint8_t *code_gen_epilogue;    /* rx: goto_ptr target meaning "exit 0" */

    const TCGBackend *backend;

    /* guest description, set by the target at init */
    unsigned guest_page_bits;
    intptr_t tlb_fast_offset;   /* env offset of CPUTLBDescFast[0] (negative) */
    unsigned nb_mmu_modes;

    /* statistics for "info jit" */
    uint64_t stat_tbs, stat_ops, stat_ops_opt, stat_code_bytes;
    uint64_t stat_temps, stat_insns;

    /* back-end private data */
    void *backend_data;

    /* private to tcg/tcg.c (free temp lists, constant table, ...) */
    struct TCGCorePriv *core;
    /* private to tcg/optimize.c: per-temp info, allocated on first use */
    void *opt_data;
};

extern __thread TCGContext *tcg_ctx;

/* ---- Context and TB set-up ---- */
/*
 * Create the thread's context with a code buffer of buffer_size bytes
 * and the given back end (tcg_backend_native or tcg_backend_interp).
 */
TCGContext *tcg_context_new(const TCGBackend *backend, size_t buffer_size,
                            Error **errp);
void tcg_context_free(TCGContext *s);
/* The back end the host supports natively, else the interpreter */
const TCGBackend *tcg_default_backend(void);
/* Start translating a new TB: drop temps (not globals), ops, labels */
void tcg_func_start(TCGContext *s);
/* Whole code buffer reset (flush): keeps the prologue */
void tcg_code_buffer_reset(TCGContext *s);
static inline const void *tcg_splitwx_to_rx(TCGContext *s, const void *rw)
{
    return rw ? (const uint8_t *)rw + s->code_gen_rx_offset : NULL;
}
static inline void *tcg_splitwx_to_rw(TCGContext *s, const void *rx)
{
    return rx ? (uint8_t *)rx - s->code_gen_rx_offset : NULL;
}

/* ---- Temps ---- */
/* Globals: registered once per target, before any TB */
TCGv_ptr tcg_global_env(TCGContext *s, const char *name);  /* fixed env */
TCGTemp *tcg_global_mem_new_internal(TCGType type, TCGv_ptr base,
                                     intptr_t offset, const char *name);
TCGv_i32 tcg_global_mem_new_i32(TCGv_ptr base, intptr_t off, const char *name);
TCGv_i64 tcg_global_mem_new_i64(TCGv_ptr base, intptr_t off, const char *name);
TCGv_ptr tcg_global_mem_new_ptr(TCGv_ptr base, intptr_t off, const char *name);

TCGTemp *tcg_temp_new_internal(TCGType type, TCGTempKind kind);
void tcg_temp_free_internal(TCGTemp *t);
TCGTemp *tcg_constant_internal(TCGType type, int64_t val);
TCGv_i32 tcg_temp_new_i32(void);        /* TEMP_TB */
TCGv_i64 tcg_temp_new_i64(void);
TCGv_ptr tcg_temp_new_ptr(void);
TCGv_i32 tcg_temp_ebb_new_i32(void);    /* TEMP_EBB */
TCGv_i64 tcg_temp_ebb_new_i64(void);
void tcg_temp_free_i32(TCGv_i32 v);     /* optional: frees the slot early */
void tcg_temp_free_i64(TCGv_i64 v);
void tcg_temp_free_ptr(TCGv_ptr v);
/* Read-only constants; never freed by the front end */
TCGv_i32 tcg_constant_i32(int32_t val);
TCGv_i64 tcg_constant_i64(int64_t val);
TCGv_ptr tcg_constant_ptr(intptr_t val);
static inline size_t temp_idx(TCGContext *s, const TCGTemp *t)
{
    return t - s->temps;
}

/* ---- Labels ---- */
TCGLabel *gen_new_label(void);

/* ---- Op emission (used by tcg-op.c; front ends use tcg-op.h) ---- */
TCGOp *tcg_emit_op(TCGOpcode opc, TCGType type, unsigned nargs);
TCGOp *tcg_op_insert_before(TCGContext *s, TCGOp *old, TCGOpcode opc,
                            TCGType type, unsigned nargs);
TCGOp *tcg_op_insert_after(TCGContext *s, TCGOp *old, TCGOpcode opc,
                           TCGType type, unsigned nargs);
void tcg_op_remove(TCGContext *s, TCGOp *op);
/* Emit a call: outputs then inputs (temps), per info */
void tcg_gen_callN(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp **args);
static inline unsigned tcg_op_nb_args(const TCGOp *op)
{
    return op->opc == INDEX_op_call ? op->nargs : tcg_op_defs[op->opc].nb_args;
}
static inline unsigned tcg_op_nb_oargs(const TCGOp *op)
{
    return op->opc == INDEX_op_call ? op->call_oargs
                                    : tcg_op_defs[op->opc].nb_oargs;
}
static inline unsigned tcg_op_nb_iargs(const TCGOp *op)
{
    return op->opc == INDEX_op_call ? op->call_iargs
                                    : tcg_op_defs[op->opc].nb_iargs;
}
/* For a call op: its helper info (last carg) */
static inline const TCGHelperInfo *tcg_call_info(const TCGOp *op)
{
    return (const TCGHelperInfo *)op->args[op->nargs - 1];
}

/* ---- Passes ---- */
void tcg_optimize(TCGContext *s);
void tcg_liveness(TCGContext *s);
/*
 * Whole pipeline for the current ops: optimize (unless disabled),
 * liveness, back-end code generation.  Returns as backend->gen_code.
 */
int tcg_gen_code(TCGContext *s, TranslationBlock *tb);
/*
 * false disables tcg_optimize() in tcg_gen_code() (so does the environment
 * variable EMU_TCG_NOOPT); liveness always runs.
 */
extern bool tcg_optimize_enabled;

/* ---- Printing (-d op, -d op_opt) ---- */
void tcg_dump_ops(TCGContext *s, FILE *f, bool have_prefs);
/* one temp's name: "env", "rax", "tmp3", "$0x10" ... */
const char *tcg_temp_name(TCGContext *s, char *buf, size_t len,
                          const TCGTemp *t);

/* ---- Runtime helpers' view ---- */
/*
 * GETPC(): host address inside the TB that called the current helper
 * (for precise exception state).  Under the interpreter, the interpreter
 * records it before each call.
 */
extern __thread uintptr_t tci_retaddr;
extern __thread bool tcg_thread_interp;
#define GETPC() \
    (tcg_thread_interp ? tci_retaddr : (uintptr_t)__builtin_return_address(0))

#endif
