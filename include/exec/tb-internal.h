/*
 * The execution engine's interface (accel/tcg) for the softmmu
 * (accel/tcg/cputlb.c), the accelerator glue, the monitor and tests: engine
 * set-up, invalidation of translated code, the jump cache, statistics.
 *
 * Page addresses of code ("tb_page_addr_t") are whatever
 * get_page_addr_code() returns for a code page and the softmmu reports
 * writes with: RAM addresses (ram_addr_t, see docs/devel/tcg.md), the
 * same on both sides, so that a write seen by the softmmu finds the TBs
 * translated from those bytes, through any alias.
 *
 * Locking: TB structures are guarded by one engine lock, taken inside
 * these functions.  Everything here may be called from a vCPU thread
 * (also from a helper in the middle of a TB) or from the main loop (DMA,
 * loaders), unless said otherwise.  Invalidation, tb_page_has_code and
 * the jump-cache functions never take the global lock (callers may hold
 * it); the engine never calls into the softmmu with its lock held.
 */
#ifndef EXEC_TB_INTERNAL_H
#define EXEC_TB_INTERNAL_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "tcg/tcg.h"
#include "exec/translation-block.h"
#include "hw/core/cpu.h"

typedef uint64_t tb_page_addr_t;
#define TB_PAGE_ADDR_INVALID ((tb_page_addr_t)-1)

/* ---- Engine and vCPU set-up ---- */

/*
 * Create the translation context shared by the vCPUs that this engine
 * runs (one code buffer of code_gen_size bytes, 0 for the default), with
 * the given back end.  Idempotent only after tcg_exec_cleanup().
 */
bool tcg_exec_init(const TCGBackend *backend, size_t code_gen_size,
                   Error **errp);
/* Tear everything down (tests); vCPUs must have been cleaned up first */
void tcg_exec_cleanup(void);
/* The engine's context, or NULL before tcg_exec_init */
TCGContext *tcg_exec_context(void);
/*
 * Per-vCPU state: jump cache, softmmu TLB (tlb_init, unless the CPU's
 * creator did it already), the target's IR globals (cc->tcg_init, once
 * per context).  The CPU must have cc, env_ptr, neg and as filled in.
 * The "tcg" accelerator calls it for every CPU of the machine; cleanup
 * also destroys the TLB.
 */
bool tcg_exec_cpu_init(CPUState *cs, Error **errp);
void tcg_exec_cpu_cleanup(CPUState *cs);

/* ---- Invalidation of translated code ---- */

/*
 * Drop every TB with code bytes in [start, end) (end exclusive): unlink it
 * from the lookup structures and the jump caches, and unchain every jump
 * into it, so that the next execution of that guest code translates the
 * new bytes.  For writes from outside guest code (DMA, loaders) or after
 * the fact.  When called on a vCPU thread from a helper in the middle of a
 * TB that is itself invalidated, that TB runs to its end unchanged; a
 * guest store must use tb_invalidate_phys_range_by_store() instead, which
 * is exact.
 */
void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end);

/*
 * For the softmmu's store slow path: a store by cs, from the helper whose
 * GETPC() is retaddr (0 if not called from generated code), is ABOUT TO
 * write [start, end), which may hold code.  Call before writing.  Drops
 * the TBs there.  If the TB executing now is one of them (the guest
 * rewrites code it is running), the guest state is restored to the start
 * of the storing instruction and cs leaves to cpu_exec, which re-executes
 * that instruction alone in a fresh TB: this call does not return then.
 * Otherwise it returns and the store proceeds; the instructions after it
 * in the current TB see the new code because they are in a new TB.
 */
void tb_invalidate_phys_range_by_store(CPUState *cs, tb_page_addr_t start,
                                       tb_page_addr_t end, uintptr_t retaddr);

/* Does any live TB have code on the page holding addr? */
bool tb_page_has_code(tb_page_addr_t addr);

/*
 * Throw away all translated code (all TBs, the whole code buffer).  Only
 * from cs's own thread while it is not inside a TB (between TBs in
 * cpu_exec, or with no vCPU running).
 */
void tb_flush(CPUState *cs);

/* ---- Jump cache (virtual pc -> TB, per vCPU) ---- */

/*
 * The softmmu calls these when virtual-to-physical mappings may have
 * changed: all of them (tlb_flush), or those of one guest virtual page
 * (tlb_flush_page).  Safe from any thread.
 */
void tb_jmp_cache_clear(CPUState *cs);
void tb_jmp_cache_clear_page(CPUState *cs, uint64_t vaddr);

/* ---- Lookup ---- */

/*
 * The TB for this key, through the jump cache and the hash table; NULL if
 * none (or pc is not in RAM).  cs's thread only; may fill the code TLB
 * and raise the guest's fetch fault (cpu_loop_exit).
 */
TranslationBlock *tb_lookup(CPUState *cs, uint64_t pc, uint64_t cs_base,
                            uint32_t flags, uint32_t cflags);
/* The cflags to use for the next TB of cs (nochain, single step, ...) */
uint32_t curr_cflags(CPUState *cs);
/*
 * -perfmap: from now on, append "start size name" for every new TB to
 * /tmp/perf-<pid>.map, where perf looks for names of JIT code.
 */
bool tb_perfmap_open(Error **errp);
/* The TB whose code (native code or interpreter bytecode) holds host pc */
TranslationBlock *tcg_tb_lookup(uintptr_t host_pc);

/* ---- Statistics ("info jit", "x-query-jit") ---- */
typedef struct TBStatistics {
    const char *backend;            /* "native", "interp" */
    uint64_t code_buffer_size;      /* bytes usable for TBs */
    uint64_t code_buffer_used;      /* bytes in use now */
    uint64_t tbs;                   /* TBs in the buffer now */
    uint64_t tbs_live;              /* of those, not invalidated */
    uint64_t tbs_translated;        /* since start */
    uint64_t max_tb_insns, guest_insns;   /* insns of TBs in the buffer */
    uint64_t guest_bytes;           /* guest code bytes of TBs in buffer */
    uint64_t host_code_bytes;       /* generated code of TBs in buffer */
    uint64_t cross_page_tbs;        /* TBs spanning two pages */
    uint64_t flushes;               /* full flushes (buffer full, ...) */
    uint64_t invalidations;         /* TBs invalidated (code written) */
    uint64_t chained_now;           /* direct jumps chained now */
    uint64_t chains_made;           /* since start */
    uint64_t unchains;              /* chained jumps undone */
    uint64_t jc_hits, jc_misses;    /* jump-cache lookups */
    uint64_t hash_hits, hash_misses;   /* hash table lookups after a jc miss */
    uint64_t hash_buckets;
    uint64_t translation_ns;        /* time spent in tb_gen_code */
    uint64_t retranslations;        /* restarts (page crossing, too large) */
    uint64_t tbs_executed;          /* entered from cpu_exec (not chained) */
    uint64_t lookup_ptr_calls, lookup_ptr_hits;  /* helper_lookup_tb_ptr */
} TBStatistics;

void tb_get_statistics(TBStatistics *st);
/* The "info jit" text, appended to sb */
void tb_dump_statistics(StrBuf *sb);

#endif
