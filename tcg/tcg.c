/* The TCG IR core: context, code buffer, temps, constants, labels, ops. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "tcg/tcg.h"
#include "exec/translation-block.h"
#include <sys/mman.h>

const TCGOpDef tcg_op_defs[NB_OPS] = {
#define DEF(n, o, i, c, f) \
    [INDEX_op_##n] = { #n, o, i, c, (o) + (i) + (c), f },
#include "tcg/tcg-opc.h"
#undef DEF
};

__thread TCGContext *tcg_ctx;
__thread uintptr_t tci_retaddr;
__thread bool tcg_thread_interp;

bool tcg_optimize_enabled = true;

static const char *const cond_names[16] = {
    [TCG_COND_NEVER] = "never",
    [TCG_COND_ALWAYS] = "always",
    [TCG_COND_EQ] = "eq",
    [TCG_COND_NE] = "ne",
    [TCG_COND_LT] = "lt",
    [TCG_COND_GE] = "ge",
    [TCG_COND_LE] = "le",
    [TCG_COND_GT] = "gt",
    [TCG_COND_LTU] = "ltu",
    [TCG_COND_GEU] = "geu",
    [TCG_COND_LEU] = "leu",
    [TCG_COND_GTU] = "gtu",
};

const char *tcg_cond_name(TCGCond c)
{
    unsigned i = (unsigned)c;
    if (i < ARRAY_SIZE(cond_names) && cond_names[i]) {
        return cond_names[i];
    }
    return "?";
}

/*
 * Constant interning: open addressing keyed by (type, value).  Entries
 * carry the generation of the TB that wrote them, so starting a TB is a
 * counter increment rather than a table clear.  The table has twice as
 * many slots as there can be temps, so probes stay short and always end.
 */
#define CONST_HASH_BITS 11
#define CONST_HASH_SIZE (1u << CONST_HASH_BITS)
_Static_assert(CONST_HASH_SIZE >= 2 * TCG_MAX_TEMPS, "constant table too small");

typedef struct TCGConstEntry {
    uint32_t gen;
    uint32_t idx;
} TCGConstEntry;

/*
 * Two temps and one label at the end of the arrays are sinks handed out
 * when a TB exceeds the limits: the front end keeps going, and
 * tcg_gen_code() reports the TB as too large (-2) so the engine retries
 * with fewer guest instructions.
 */
#define TCG_TEMP_SINK_I32 (TCG_MAX_TEMPS - 2)
#define TCG_TEMP_SINK_I64 (TCG_MAX_TEMPS - 1)
#define TCG_TEMP_LIMIT    (TCG_MAX_TEMPS - 2)

#define OP_CHUNK 256

struct TCGCorePriv {
    /* free lists of TEMP_EBB/TEMP_TB temps per type; -1 terminates */
    int16_t free_head[2][TCG_TYPE_COUNT];
    int16_t free_next[TCG_MAX_TEMPS];
    uint32_t const_gen;
    TCGConstEntry const_hash[CONST_HASH_SIZE];
    /*
     * Ops come from chunks handed out in order and all taken back at the
     * next TB, so a TB's ops sit close together in memory; ops removed
     * within a TB go to s->free_ops and are reused first.
     */
    TCGOp **op_chunks;
    unsigned nb_op_chunks;
    unsigned op_next;           /* next op to hand out, over all chunks */
    uint8_t *code_start;        /* first byte after the prologue (rw) */
    bool overflow;
    bool noopt_env;             /* EMU_TCG_NOOPT was set at creation */
    int memfd;
    void *rx_map;               /* NULL when rw and rx are one mapping */
    size_t map_size;
};

/* ---- Code buffer ---- */

static bool alloc_code_buffer(TCGContext *s, size_t size, Error **errp)
{
    struct TCGCorePriv *c = s->core;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *rw, *rx;
    int fd;

    size = ROUND_UP(size, page);
    c->map_size = size;
    c->memfd = -1;

    fd = memfd_create("emu-jit", MFD_CLOEXEC);
    if (fd >= 0 && ftruncate(fd, (off_t)size) == 0) {
        rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (rw != MAP_FAILED) {
            rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
            if (rx != MAP_FAILED) {
                c->memfd = fd;
                c->rx_map = rx;
                s->code_gen_buffer = rw;
                s->code_gen_rx_offset = (uint8_t *)rx - (uint8_t *)rw;
                goto done;
            }
            munmap(rw, size);
        }
    }
    if (fd >= 0) {
        close(fd);
    }

    /* No memfd (old kernel, seccomp, ...): one mapping that is both */
    rw = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rw == MAP_FAILED) {
        error_setg(errp, "cannot allocate %zu bytes of translated code "
                   "buffer: %s", size, strerror(errno));
        return false;
    }
    c->rx_map = NULL;
    s->code_gen_buffer = rw;
    s->code_gen_rx_offset = 0;

done:
    s->code_gen_buffer_size = size;
    s->code_ptr = s->code_gen_buffer;
    /*
     * Back ends compare code_ptr against the high-water mark between ops
     * and give up (-1) past it, so the margin must hold the largest
     * single op plus the out-of-line slow paths emitted at the TB's end.
     */
    s->code_gen_highwater = s->code_gen_buffer + size -
                            MIN(size / 4, (size_t)(64 * KiB));
    return true;
}

static void free_code_buffer(TCGContext *s)
{
    struct TCGCorePriv *c = s->core;

    if (!s->code_gen_buffer) {
        return;
    }
    munmap(s->code_gen_buffer, c->map_size);
    if (c->rx_map) {
        munmap(c->rx_map, c->map_size);
    }
    if (c->memfd >= 0) {
        close(c->memfd);
    }
    s->code_gen_buffer = NULL;
}

void tcg_code_buffer_reset(TCGContext *s)
{
    s->code_ptr = s->core->code_start;
}

/* ---- Context ---- */

const TCGBackend *tcg_default_backend(void)
{
#if defined(__x86_64__)
    return &tcg_backend_native;
#else
    return &tcg_backend_interp;
#endif
}

TCGContext *tcg_context_new(const TCGBackend *backend, size_t buffer_size,
                            Error **errp)
{
    TCGContext *s = emu_new0(TCGContext, 1);

    s->core = emu_new0(struct TCGCorePriv, 1);
    s->labels = emu_new0(TCGLabel, TCG_MAX_LABELS + 1);
    TAILQ_INIT(&s->ops);
    TAILQ_INIT(&s->free_ops);
    s->backend = backend;
    s->core->noopt_env = getenv("EMU_TCG_NOOPT") != NULL;

    if (buffer_size == 0) {
        buffer_size = 32 * MiB;
    }
    if (!alloc_code_buffer(s, buffer_size, errp)) {
        tcg_context_free(s);
        return NULL;
    }

    tcg_ctx = s;
    tcg_thread_interp = backend == &tcg_backend_interp;
    if (backend->init && !backend->init(s, errp)) {
        tcg_ctx = NULL;
        tcg_context_free(s);
        return NULL;
    }
    s->core->code_start = s->code_ptr;
    tcg_func_start(s);
    return s;
}


void tcg_context_free(TCGContext *s)
{
    if (!s) {
        return;
    }
    if (tcg_ctx == s) {
        tcg_ctx = NULL;
    }
    free_code_buffer(s);
    for (unsigned i = 0; i < s->core->nb_op_chunks; i++) {
        free(s->core->op_chunks[i]);
    }
    free(s->core->op_chunks);
    for (int i = 0; i < s->nb_globals; i++) {
        free((char *)s->temps[i].name);
    }
    free(s->labels);
    free(s->opt_data);
    free(s->core);
    free(s);
}

void tcg_func_start(TCGContext *s)
{
    struct TCGCorePriv *c = s->core;

    for (int k = 0; k < 2; k++) {
        for (int t = 0; t < TCG_TYPE_COUNT; t++) {
            c->free_head[k][t] = -1;
        }
    }
    if (++c->const_gen == 0) {
        memset(c->const_hash, 0, sizeof(c->const_hash));
        c->const_gen = 1;
    }
    c->overflow = false;

    s->nb_temps = s->nb_globals;
    TAILQ_INIT(&s->ops);
    TAILQ_INIT(&s->free_ops);
    c->op_next = 0;
    s->nb_ops = 0;
    s->nb_labels = 0;
    s->nb_insns = 0;
}

/* ---- Temps ---- */

static TCGTemp *temp_init(TCGTemp *ts, TCGType type, TCGTempKind kind)
{
    memset(ts, 0, sizeof(*ts));
    ts->type = type;
    ts->kind = kind;
    ts->allocated = true;
    ts->reg = -1;
    ts->val_type = TEMP_VAL_DEAD;
    return ts;
}

static TCGTemp *temp_alloc_slot(TCGContext *s, TCGType type)
{
    if (unlikely(s->nb_temps >= TCG_TEMP_LIMIT)) {
        s->core->overflow = true;
        return &s->temps[type == TCG_TYPE_I32 ? TCG_TEMP_SINK_I32
                                               : TCG_TEMP_SINK_I64];
    }
    return &s->temps[s->nb_temps++];
}

static TCGTemp *global_alloc(TCGContext *s)
{
    TCGTemp *ts;

    /* globals sit below the per-TB temps: only before any TB temp */
    assert(s->nb_temps == s->nb_globals);
    assert(s->nb_globals < TCG_TEMP_LIMIT);
    ts = &s->temps[s->nb_globals++];
    s->nb_temps = s->nb_globals;
    return ts;
}

TCGv_ptr tcg_global_env(TCGContext *s, const char *name)
{
    TCGTemp *ts;

    assert(!s->env);
    ts = temp_init(global_alloc(s), TCG_TYPE_PTR, TEMP_FIXED);
    ts->name = emu_strdup(name);
    ts->val_type = TEMP_VAL_REG;
    s->env = ts;
    return temp_tcgv_ptr(ts);
}

TCGTemp *tcg_global_mem_new_internal(TCGType type, TCGv_ptr base,
                                     intptr_t offset, const char *name)
{
    TCGContext *s = tcg_ctx;
    TCGTemp *ts = temp_init(global_alloc(s), type, TEMP_GLOBAL);

    ts->mem_base = tcgv_ptr_temp(base);
    ts->mem_offset = offset;
    ts->mem_allocated = true;
    ts->mem_coherent = true;
    ts->val_type = TEMP_VAL_MEM;
    ts->name = emu_strdup(name);
    return ts;
}

TCGv_i32 tcg_global_mem_new_i32(TCGv_ptr base, intptr_t off, const char *name)
{
    return temp_tcgv_i32(tcg_global_mem_new_internal(TCG_TYPE_I32, base,
                                                     off, name));
}

TCGv_i64 tcg_global_mem_new_i64(TCGv_ptr base, intptr_t off, const char *name)
{
    return temp_tcgv_i64(tcg_global_mem_new_internal(TCG_TYPE_I64, base,
                                                     off, name));
}

TCGv_ptr tcg_global_mem_new_ptr(TCGv_ptr base, intptr_t off, const char *name)
{
    return temp_tcgv_ptr(tcg_global_mem_new_internal(TCG_TYPE_PTR, base,
                                                     off, name));
}

TCGTemp *tcg_temp_new_internal(TCGType type, TCGTempKind kind)
{
    TCGContext *s = tcg_ctx;
    struct TCGCorePriv *c = s->core;
    int k = kind == TEMP_TB;
    int idx;

    assert(kind == TEMP_EBB || kind == TEMP_TB);
    assert(type < TCG_TYPE_COUNT);
    idx = c->free_head[k][type];
    if (idx >= 0) {
        c->free_head[k][type] = c->free_next[idx];
        return temp_init(&s->temps[idx], type, kind);
    }
    return temp_init(temp_alloc_slot(s, type), type, kind);
}

void tcg_temp_free_internal(TCGTemp *ts)
{
    TCGContext *s = tcg_ctx;
    struct TCGCorePriv *c = s->core;
    int idx = temp_idx(s, ts);

    if (ts->kind == TEMP_CONST) {
        return;
    }
    assert(ts->kind == TEMP_EBB || ts->kind == TEMP_TB);
    if (unlikely(idx >= TCG_TEMP_LIMIT)) {
        return;     /* an overflow sink: never on a free list */
    }
    assert(ts->allocated);
    ts->allocated = false;
    c->free_next[idx] = c->free_head[ts->kind == TEMP_TB][ts->type];
    c->free_head[ts->kind == TEMP_TB][ts->type] = idx;
}

TCGv_i32 tcg_temp_new_i32(void)
{
    return temp_tcgv_i32(tcg_temp_new_internal(TCG_TYPE_I32, TEMP_TB));
}

TCGv_i64 tcg_temp_new_i64(void)
{
    return temp_tcgv_i64(tcg_temp_new_internal(TCG_TYPE_I64, TEMP_TB));
}

TCGv_ptr tcg_temp_new_ptr(void)
{
    return temp_tcgv_ptr(tcg_temp_new_internal(TCG_TYPE_PTR, TEMP_TB));
}

TCGv_i32 tcg_temp_ebb_new_i32(void)
{
    return temp_tcgv_i32(tcg_temp_new_internal(TCG_TYPE_I32, TEMP_EBB));
}

TCGv_i64 tcg_temp_ebb_new_i64(void)
{
    return temp_tcgv_i64(tcg_temp_new_internal(TCG_TYPE_I64, TEMP_EBB));
}

void tcg_temp_free_i32(TCGv_i32 v)
{
    tcg_temp_free_internal(tcgv_i32_temp(v));
}

void tcg_temp_free_i64(TCGv_i64 v)
{
    tcg_temp_free_internal(tcgv_i64_temp(v));
}

void tcg_temp_free_ptr(TCGv_ptr v)
{
    tcg_temp_free_internal(tcgv_ptr_temp(v));
}

static inline unsigned const_hash(TCGType type, int64_t val)
{
    uint64_t h = ((uint64_t)val ^ ((uint64_t)type << 63)) *
                 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> (64 - CONST_HASH_BITS));
}

TCGTemp *tcg_constant_internal(TCGType type, int64_t val)
{
    TCGContext *s = tcg_ctx;
    struct TCGCorePriv *c = s->core;
    unsigned h;
    TCGTemp *ts;

    if (type == TCG_TYPE_I32) {
        val = (int32_t)val;
    }
    for (h = const_hash(type, val);; h = (h + 1) & (CONST_HASH_SIZE - 1)) {
        TCGConstEntry *e = &c->const_hash[h];
        if (e->gen != c->const_gen) {
            ts = temp_alloc_slot(s, type);
            temp_init(ts, type, TEMP_CONST);
            ts->val = val;
            ts->val_type = TEMP_VAL_CONST;
            if (likely(!c->overflow)) {
                e->gen = c->const_gen;
                e->idx = temp_idx(s, ts);
            } else {
                ts->kind = TEMP_EBB;  /* the sink must stay writable */
            }
            return ts;
        }
        ts = &s->temps[e->idx];
        if (ts->type == type && ts->val == val) {
            return ts;
        }
    }
}

TCGv_i32 tcg_constant_i32(int32_t val)
{
    return temp_tcgv_i32(tcg_constant_internal(TCG_TYPE_I32, val));
}

TCGv_i64 tcg_constant_i64(int64_t val)
{
    return temp_tcgv_i64(tcg_constant_internal(TCG_TYPE_I64, val));
}

TCGv_ptr tcg_constant_ptr(intptr_t val)
{
    return temp_tcgv_ptr(tcg_constant_internal(TCG_TYPE_PTR, val));
}

/* ---- Labels ---- */

TCGLabel *gen_new_label(void)
{
    TCGContext *s = tcg_ctx;
    TCGLabel *l;

    if (unlikely(s->nb_labels >= TCG_MAX_LABELS)) {
        s->core->overflow = true;
        l = &s->labels[TCG_MAX_LABELS];
        memset(l, 0, sizeof(*l));
        l->id = TCG_MAX_LABELS;
        return l;
    }
    l = &s->labels[s->nb_labels];
    memset(l, 0, sizeof(*l));
    l->id = s->nb_labels++;
    return l;
}

/* ---- Ops ---- */

static TCGOp *op_from_chunks(struct TCGCorePriv *c)
{
    unsigned chunk = c->op_next / OP_CHUNK;

    if (unlikely(chunk == c->nb_op_chunks)) {
        /* only while TBs keep getting bigger than any before */
        c->op_chunks = emu_realloc(c->op_chunks,
                                   (chunk + 1) * sizeof(*c->op_chunks));
        c->op_chunks[chunk] = emu_malloc(OP_CHUNK * sizeof(TCGOp));
        c->nb_op_chunks++;
    }
    return &c->op_chunks[chunk][c->op_next++ % OP_CHUNK];
}

static TCGOp *tcg_op_alloc(TCGContext *s, TCGOpcode opc, TCGType type,
                           unsigned nargs)
{
    TCGOp *op = TAILQ_FIRST(&s->free_ops);

    assert(nargs <= (opc == INDEX_op_call ? TCG_MAX_OP_ARGS : 8));
    if (unlikely(op)) {
        TAILQ_REMOVE(&s->free_ops, op, link);
    } else {
        op = op_from_chunks(s->core);
    }
    /*
     * Plain stores first: they fetch the op's cache line without stalling
     * (the bit-field updates below read it).  Ops other than calls have at
     * most 8 arguments; calls fill all of theirs.  (A memset of all 16 is
     * slower than the rest of the op's emission.)
     */
    _Static_assert(TCG_MAX_OP_ARGS >= 8, "args cleared below");
    op->args[0] = 0;
    op->args[1] = 0;
    op->args[2] = 0;
    op->args[3] = 0;
    op->args[4] = 0;
    op->args[5] = 0;
    op->args[6] = 0;
    op->args[7] = 0;
    op->life = 0;
    op->opc = opc;
    op->type = type;
    op->nargs = nargs;
    op->call_oargs = 0;
    op->call_iargs = 0;
    s->nb_ops++;
    return op;
}

TCGOp *tcg_emit_op(TCGOpcode opc, TCGType type, unsigned nargs)
{
    TCGContext *s = tcg_ctx;
    TCGOp *op = tcg_op_alloc(s, opc, type, nargs);

    TAILQ_INSERT_TAIL(&s->ops, op, link);
    return op;
}

TCGOp *tcg_op_insert_before(TCGContext *s, TCGOp *old, TCGOpcode opc,
                            TCGType type, unsigned nargs)
{
    TCGOp *op = tcg_op_alloc(s, opc, type, nargs);

    TAILQ_INSERT_BEFORE(old, op, link);
    return op;
}

TCGOp *tcg_op_insert_after(TCGContext *s, TCGOp *old, TCGOpcode opc,
                           TCGType type, unsigned nargs)
{
    TCGOp *op = tcg_op_alloc(s, opc, type, nargs);

    TAILQ_INSERT_AFTER(&s->ops, old, op, link);
    return op;
}

void tcg_op_remove(TCGContext *s, TCGOp *op)
{
    TAILQ_REMOVE(&s->ops, op, link);
    TAILQ_INSERT_HEAD(&s->free_ops, op, link);
    s->nb_ops--;
}

static TCGType call_arg_type(TCGCallType t)
{
    return t == TCG_CALL_I32 || t == TCG_CALL_S32 ? TCG_TYPE_I32
                                                  : TCG_TYPE_I64;
}

void tcg_gen_callN(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp **args)
{
    unsigned nb_o = info->ret != TCG_CALL_VOID;
    unsigned nb_i = info->nargs;
    unsigned i = 0;
    TCGOp *op;

    assert(nb_i <= TCG_MAX_CALL_IARGS);
    op = tcg_emit_op(INDEX_op_call, TCG_TYPE_I64, nb_o + nb_i + 2);
    op->call_oargs = nb_o;
    op->call_iargs = nb_i;
    if (nb_o) {
        assert(ret && ret->type == call_arg_type(info->ret));
        op->args[i++] = temp_arg(ret);
    }
    for (unsigned j = 0; j < nb_i; j++) {
        assert(args[j]->type == call_arg_type(info->args[j]));
        op->args[i++] = temp_arg(args[j]);
    }
    op->args[i++] = (TCGArg)info->func;
    op->args[i++] = (TCGArg)info;
}

/* ---- Pipeline ---- */

static void log_ops(TCGContext *s, const char *title)
{
    FILE *f = log_file();

    /* one TB's listing stays in one piece when vCPU threads translate */
    flockfile(f);
    fprintf(f, "%s\n", title);
    tcg_dump_ops(s, f, false);
    fprintf(f, "\n");
    fflush(f);
    funlockfile(f);
}

int tcg_gen_code(TCGContext *s, TranslationBlock *tb)
{
    int nb_ops_in = s->nb_ops;
    int ret;

    if (unlikely(s->core->overflow)) {
        return -2;
    }
    if (unlikely(emu_log_enabled(LOG_TB_OP))) {
        log_ops(s, "OP:");
    }
    if (tcg_optimize_enabled && !s->core->noopt_env) {
        tcg_optimize(s);
    }
    tcg_liveness(s);
    if (unlikely(emu_log_enabled(LOG_TB_OP_OPT))) {
        log_ops(s, "OP after optimization and liveness analysis:");
    }

    ret = s->backend->gen_code(s, tb);
    if (ret >= 0) {
        s->stat_tbs++;
        s->stat_ops += nb_ops_in;
        s->stat_ops_opt += s->nb_ops;
        s->stat_code_bytes += ret;
        s->stat_temps += s->nb_temps - s->nb_globals;
        s->stat_insns += s->nb_insns;     /* counted by the back end */
    }
    return ret;
}
