/*
 * The TB cache: TBs in the code buffer, lookup by key (hash table and
 * per-vCPU jump cache), direct-jump chaining, tracking of which TBs hold
 * code of which guest physical page, invalidation and full flushes.
 */
#include "emu/osdep.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "exec/cputlb.h"
#include "internal.h"
#include <pthread.h>
#ifdef CONFIG_CAPSTONE
#include <capstone/capstone.h>
#endif

/*
 * Layout of the code buffer, growing upwards from the back end's
 * prologue:
 *
 *   [TranslationBlock][code or bytecode][insn_data][insn_end_off] ...
 *
 * so that one pointer bump allocates a TB and a flush frees them all, and
 * TB order equals code address order (tcg_tb_lookup bisects).
 *
 * Lists through TBs hold tagged pointers: bit 0 says which of the TB's
 * two slots (page 0/1, jump 0/1) carries the link.  TBs are 64-byte
 * aligned, so the bit is free.
 */
#define TB_ALIGN 64

#define PAGE_BITS TARGET_PAGE_BITS
#define PAGE_SIZE_ ((uint64_t)1 << PAGE_BITS)
#define PAGE_MASK_ (~(PAGE_SIZE_ - 1))

typedef struct PageEntry {
    uint64_t key;           /* page number + 1; 0 = empty slot */
    uintptr_t first;        /* tagged list of TBs with code on the page */
} PageEntry;

static struct {
    pthread_mutex_t lock;   /* recursive: see tb-internal.h */
    bool lock_ready;
    TCGContext *ctx;
    bool globals_done;

    TranslationBlock **htable;
    size_t hmask;
    size_t hcount;

    PageEntry *pages;
    size_t pmask;
    size_t pused;           /* slots taken (entries are never removed) */

    TranslationBlock **tbs; /* in code-buffer order */
    size_t nb_tbs, cap_tbs;
    size_t tbs_live;

    uint64_t flush_count;
    FILE *perfmap;              /* -perfmap, written by tb_gen_code */
} tbe;

bool tb_perfmap_open(Error **errp)
{
    char path[64];

    snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
    tbe.perfmap = fopen(path, "w");
    if (!tbe.perfmap) {
        error_setg_errno(errp, errno, "cannot create %s", path);
        return false;
    }
    /* a line per TB, each whole when perf reads the file after the run */
    setvbuf(tbe.perfmap, NULL, _IOLBF, 0);
    return true;
}

TBStatistics tb_stats;
__thread sigjmp_buf *tb_gen_restart;

static inline TranslationBlock *tag_ptr(uintptr_t v)
{
    return (TranslationBlock *)(v & ~(uintptr_t)1);
}

static inline int tag_slot(uintptr_t v)
{
    return (int)(v & 1);
}

static inline uintptr_t make_tag(TranslationBlock *tb, int n)
{
    return (uintptr_t)tb | (uintptr_t)n;
}

static void tb_lock(void)
{
    pthread_mutex_lock(&tbe.lock);
}

static void tb_unlock(void)
{
    pthread_mutex_unlock(&tbe.lock);
}

bool tcg_exec_is_interp(void)
{
    return tbe.ctx && tbe.ctx->backend == &tcg_backend_interp;
}

uint64_t tb_flush_count(void)
{
    return __atomic_load_n(&tbe.flush_count, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------------ */
/* Hash table of all live, cacheable TBs                               */

static inline size_t tb_hash(uint64_t phys_pc, uint64_t pc, uint64_t cs_base,
                             uint32_t flags, uint32_t cflags)
{
    uint64_t h = phys_pc * 0x9e3779b97f4a7c15ull;

    h ^= pc * 0xc2b2ae3d27d4eb4full;
    h ^= cs_base * 0x165667b19e3779f9ull;
    h ^= (((uint64_t)flags << 32) | (cflags & ~CF_INVALID)) *
         0x27d4eb2f165667c5ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)h;
}

static inline size_t tb_hash_of(const TranslationBlock *tb)
{
    return tb_hash(tb->phys_pc, tb->pc, tb->cs_base, tb->flags, tb->cflags);
}

static void htable_alloc(size_t buckets)
{
    tbe.htable = emu_new0(TranslationBlock *, buckets);
    tbe.hmask = buckets - 1;
    tb_stats.hash_buckets = buckets;
}

/*
 * Only the vCPU thread inserts, resizes and reads without the lock; other
 * threads only remove (under the lock), and removal keeps the removed TB's
 * hash_next, so a reader standing on it still reaches the rest.
 */
static void htable_resize(void)
{
    size_t n = (tbe.hmask + 1) * 2;
    TranslationBlock **nt = emu_new0(TranslationBlock *, n);

    for (size_t i = 0; i <= tbe.hmask; i++) {
        TranslationBlock *tb = tbe.htable[i], *next;
        for (; tb; tb = next) {
            size_t h = tb_hash_of(tb) & (n - 1);
            next = tb->hash_next;
            tb->hash_next = nt[h];
            nt[h] = tb;
        }
    }
    free(tbe.htable);
    tbe.htable = nt;
    tbe.hmask = n - 1;
    tb_stats.hash_buckets = n;
}

static void htable_insert(TranslationBlock *tb)
{
    if (tbe.hcount >= 2 * (tbe.hmask + 1)) {
        htable_resize();
    }
    size_t h = tb_hash_of(tb) & tbe.hmask;
    tb->hash_next = tbe.htable[h];
    __atomic_store_n(&tbe.htable[h], tb, __ATOMIC_RELEASE);
    tbe.hcount++;
}

static void htable_remove(TranslationBlock *tb)
{
    size_t h = tb_hash_of(tb) & tbe.hmask;

    for (TranslationBlock **pp = &tbe.htable[h]; *pp; pp = &(*pp)->hash_next) {
        if (*pp == tb) {
            __atomic_store_n(pp, tb->hash_next, __ATOMIC_RELEASE);
            tbe.hcount--;
            return;
        }
    }
}

static TranslationBlock *htable_lookup(CPUState *cs, uint64_t phys_pc,
                                       uint64_t pc, uint64_t cs_base,
                                       uint32_t flags, uint32_t cflags)
{
    size_t h = tb_hash(phys_pc, pc, cs_base, flags, cflags) & tbe.hmask;
    TranslationBlock *tb = __atomic_load_n(&tbe.htable[h], __ATOMIC_ACQUIRE);

    for (; tb; tb = __atomic_load_n(&tb->hash_next, __ATOMIC_ACQUIRE)) {
        if (tb->phys_pc != phys_pc || tb->pc != pc ||
            tb->cs_base != cs_base || tb->flags != flags ||
            __atomic_load_n(&tb->cflags, __ATOMIC_ACQUIRE) != cflags) {
            continue;
        }
        if (tb->page_addr[1] == TB_PAGE_ADDR_INVALID) {
            return tb;
        }
        /* the second page must still map where it did */
        uint64_t p2 = get_page_addr_code(cs->env_ptr,
                                         (pc & PAGE_MASK_) + PAGE_SIZE_);
        if (p2 != TB_PAGE_ADDR_INVALID && (p2 & PAGE_MASK_) == tb->page_addr[1]) {
            return tb;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Physical pages holding code                                         */

static inline size_t page_hash(uint64_t key)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20);
}

static PageEntry *page_find(uint64_t pindex)
{
    uint64_t key = pindex + 1;

    if (!tbe.pages) {
        return NULL;
    }
    for (size_t i = page_hash(key) & tbe.pmask;; i = (i + 1) & tbe.pmask) {
        PageEntry *e = &tbe.pages[i];
        if (e->key == key) {
            return e;
        }
        if (e->key == 0) {
            return NULL;
        }
    }
}

static void pages_alloc(size_t n)
{
    tbe.pages = emu_new0(PageEntry, n);
    tbe.pmask = n - 1;
    tbe.pused = 0;
}

static PageEntry *page_find_alloc(uint64_t pindex)
{
    uint64_t key = pindex + 1;
    PageEntry *e = page_find(pindex);

    if (e) {
        return e;
    }
    if ((tbe.pused + 1) * 2 > tbe.pmask + 1) {
        PageEntry *old = tbe.pages;
        size_t old_n = tbe.pmask + 1;

        pages_alloc(old_n * 2);
        for (size_t i = 0; i < old_n; i++) {
            if (old[i].key && old[i].first) {
                PageEntry *ne = page_find_alloc(old[i].key - 1);
                ne->first = old[i].first;
            }
        }
        free(old);
    }
    for (size_t i = page_hash(key) & tbe.pmask;; i = (i + 1) & tbe.pmask) {
        e = &tbe.pages[i];
        if (e->key == 0) {
            e->key = key;
            e->first = 0;
            tbe.pused++;
            return e;
        }
    }
}

/* Returns true if the page had no TB before */
static bool page_add_tb(TranslationBlock *tb, int n)
{
    PageEntry *e = page_find_alloc(tb->page_addr[n] >> PAGE_BITS);
    bool was_empty = e->first == 0;

    tb->page_next[n] = (TranslationBlock *)e->first;
    e->first = make_tag(tb, n);
    return was_empty;
}

static void page_remove_tb(TranslationBlock *tb, int n)
{
    PageEntry *e = page_find(tb->page_addr[n] >> PAGE_BITS);
    uintptr_t want = make_tag(tb, n);

    if (!e) {
        return;
    }
    for (uintptr_t *pp = &e->first; *pp;
         pp = (uintptr_t *)&tag_ptr(*pp)->page_next[tag_slot(*pp)]) {
        if (*pp == want) {
            *pp = (uintptr_t)tb->page_next[n];
            return;
        }
    }
}

bool tb_page_has_code(tb_page_addr_t addr)
{
    bool ret;

    if (!tbe.lock_ready) {
        return false;
    }
    tb_lock();
    PageEntry *e = page_find(addr >> PAGE_BITS);
    ret = e && e->first;
    tb_unlock();
    return ret;
}

/* ------------------------------------------------------------------ */
/* Jump cache                                                          */


void tb_jmp_cache_clear(CPUState *cs)
{
    TBJumpCache *jc = cs->tb_jmp_cache;

    if (!jc) {
        return;
    }
    for (unsigned i = 0; i < TB_JC_SIZE; i++) {
        __atomic_store_n(&jc->tb[i], NULL, __ATOMIC_RELAXED);
    }
}

static void jc_clear_group(TBJumpCache *jc, uint64_t addr)
{
    unsigned base = tb_jc_group(addr) << TB_JC_SLOT_BITS;

    for (unsigned i = 0; i < (1u << TB_JC_SLOT_BITS); i++) {
        __atomic_store_n(&jc->tb[base + i], NULL, __ATOMIC_RELAXED);
    }
}

void tb_jmp_cache_clear_page(CPUState *cs, uint64_t vaddr)
{
    TBJumpCache *jc = cs->tb_jmp_cache;

    if (!jc) {
        return;
    }
    /* a TB starting on the page before may run into this one */
    jc_clear_group(jc, vaddr & PAGE_MASK_);
    jc_clear_group(jc, (vaddr & PAGE_MASK_) - PAGE_SIZE_);
}

static void tb_jmp_cache_hook(CPUState *cs, uint64_t page)
{
    if (page == UINT64_MAX) {
        tb_jmp_cache_clear(cs);
    } else {
        tb_jmp_cache_clear_page(cs, page);
    }
}

static void jc_remove_tb(TranslationBlock *tb)
{
    unsigned h = tb_jc_hash(tb->pc);
    CPUState *cs;

    CPU_FOREACH(cs) {
        TBJumpCache *jc = cs->tb_jmp_cache;
        if (jc) {
            TranslationBlock *expected = tb;
            __atomic_compare_exchange_n(&jc->tb[h], &expected, NULL, false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED);
        }
    }
}

TranslationBlock *tb_lookup(CPUState *cs, uint64_t pc, uint64_t cs_base,
                            uint32_t flags, uint32_t cflags)
{
    TBJumpCache *jc = cs->tb_jmp_cache;
    unsigned h = tb_jc_hash(pc);
    TranslationBlock *tb = __atomic_load_n(&jc->tb[h], __ATOMIC_ACQUIRE);
    uint64_t phys_pc;

    /* an invalidated TB carries CF_INVALID, so its cflags never match */
    if (likely(tb && tb->pc == pc && tb->cs_base == cs_base &&
               tb->flags == flags &&
               __atomic_load_n(&tb->cflags, __ATOMIC_RELAXED) == cflags)) {
        TB_STAT_INC(jc_hits);
        return tb;
    }
    TB_STAT_INC(jc_misses);
    phys_pc = get_page_addr_code(cs->env_ptr, pc);
    if (phys_pc == TB_PAGE_ADDR_INVALID) {
        return NULL;
    }
    tb = htable_lookup(cs, phys_pc, pc, cs_base, flags, cflags);
    if (!tb) {
        TB_STAT_INC(hash_misses);
        return NULL;
    }
    TB_STAT_INC(hash_hits);
    __atomic_store_n(&jc->tb[h], tb, __ATOMIC_RELEASE);
    return tb;
}

/* ------------------------------------------------------------------ */
/* Chaining                                                            */

static void tb_reset_jump(TranslationBlock *tb, int n)
{
    uintptr_t addr = (uintptr_t)tb->tc.ptr + tb->jmp_reset_offset[n];
    tbe.ctx->backend->set_jmp_target(tb, n, addr);
}

void tb_add_jump(TranslationBlock *tb, int n, TranslationBlock *tb_next)
{
    assert(n == 0 || n == 1);
    /*
     * Not into a TB spanning two pages: the jump would skip the check
     * that its second page still maps where it did (the jump cache is
     * cleared when a mapping goes, chains are not).
     */
    if (tb->jmp_reset_offset[n] == TB_JMP_OFFSET_INVALID ||
        tb->page_addr[0] == TB_PAGE_ADDR_INVALID ||
        tb_next->page_addr[0] == TB_PAGE_ADDR_INVALID ||
        tb_next->page_addr[1] != TB_PAGE_ADDR_INVALID) {
        return;
    }
    tb_lock();
    if (!((tb->cflags | tb_next->cflags) & CF_INVALID) && !tb->jmp_dest[n]) {
        tbe.ctx->backend->set_jmp_target(tb, n, (uintptr_t)tb_next->tc.ptr);
        tb->jmp_dest[n] = tb_next;
        tb->jmp_list_next[n] = tb_next->jmp_list_head;
        tb_next->jmp_list_head = (TranslationBlock *)make_tag(tb, n);
        tb_stats.chained_now++;
        tb_stats.chains_made++;
    }
    tb_unlock();
}

/* Undo tb's outgoing jump n (tb stays valid) */
static void tb_unchain_outgoing(TranslationBlock *tb, int n)
{
    TranslationBlock *dest = tb->jmp_dest[n];
    uintptr_t want = make_tag(tb, n);

    if (!dest) {
        return;
    }
    for (uintptr_t *pp = (uintptr_t *)&dest->jmp_list_head; *pp;
         pp = (uintptr_t *)&tag_ptr(*pp)->jmp_list_next[tag_slot(*pp)]) {
        if (*pp == want) {
            *pp = (uintptr_t)tb->jmp_list_next[n];
            break;
        }
    }
    tb_reset_jump(tb, n);
    tb->jmp_dest[n] = NULL;
    tb_stats.chained_now--;
    tb_stats.unchains++;
}

/* ------------------------------------------------------------------ */
/* Invalidation                                                        */

static void tb_phys_invalidate_locked(TranslationBlock *tb)
{
    uint32_t cf = tb->cflags;

    if (cf & CF_INVALID) {
        return;
    }
    __atomic_store_n(&tb->cflags, cf | CF_INVALID, __ATOMIC_RELEASE);
    if (tb->page_addr[0] != TB_PAGE_ADDR_INVALID) {
        /* the hash of the key without CF_INVALID: see tb_hash() */
        htable_remove(tb);
        page_remove_tb(tb, 0);
        if (tb->page_addr[1] != TB_PAGE_ADDR_INVALID) {
            page_remove_tb(tb, 1);
        }
    }
    jc_remove_tb(tb);

    /* own jumps first: a self-loop is then gone from our incoming list */
    tb_unchain_outgoing(tb, 0);
    tb_unchain_outgoing(tb, 1);
    for (uintptr_t v = (uintptr_t)tb->jmp_list_head; v;) {
        TranslationBlock *src = tag_ptr(v);
        int n = tag_slot(v);
        v = (uintptr_t)src->jmp_list_next[n];
        tb_reset_jump(src, n);
        src->jmp_dest[n] = NULL;
        tb_stats.chained_now--;
        tb_stats.unchains++;
    }
    tb->jmp_list_head = NULL;
    tbe.tbs_live--;
    tb_stats.invalidations++;
}

/* Bytes [*start, *end) of page pindex that tb's code covers (slot n) */
static void tb_page_span(const TranslationBlock *tb, int n, uint64_t pindex,
                         uint64_t *start, uint64_t *end)
{
    uint64_t base = pindex << PAGE_BITS;
    uint64_t off = tb->pc & (PAGE_SIZE_ - 1);
    uint64_t size = tb->size ? tb->size : 1;

    if (n == 0) {
        *start = base + off;
        *end = MIN(base + off + size, base + PAGE_SIZE_);
    } else {
        *start = base;
        *end = base + (off + size > PAGE_SIZE_ ? off + size - PAGE_SIZE_ : 1);
    }
}

static bool page_invalidate(PageEntry *e, uint64_t start, uint64_t end,
                            TranslationBlock *cur)
{
    uint64_t pindex = e->key - 1;
    bool hit = false;

    for (uintptr_t v = e->first; v;) {
        TranslationBlock *tb = tag_ptr(v);
        int n = tag_slot(v);
        uint64_t s, t;

        v = (uintptr_t)tb->page_next[n];
        tb_page_span(tb, n, pindex, &s, &t);
        if (s < end && start < t) {
            hit |= tb == cur;
            tb_phys_invalidate_locked(tb);
        }
    }
    return hit;
}

/* true if cur was among the invalidated TBs */
static bool tb_invalidate_range_locked(uint64_t start, uint64_t end,
                                       TranslationBlock *cur)
{
    bool hit = false;
    uint64_t first, last;

    if (start >= end || !tbe.pages) {
        return false;
    }
    first = start >> PAGE_BITS;
    last = (end - 1) >> PAGE_BITS;
    if (last - first >= tbe.pused) {
        /* huge range (loader, topology change): walk the pages with code */
        for (size_t i = 0; i <= tbe.pmask; i++) {
            PageEntry *e = &tbe.pages[i];
            if (e->key && e->first && e->key - 1 >= first &&
                e->key - 1 <= last) {
                hit |= page_invalidate(e, start, end, cur);
            }
        }
        return hit;
    }
    for (uint64_t p = first;; p++) {
        PageEntry *e = page_find(p);
        if (e && e->first) {
            hit |= page_invalidate(e, start, end, cur);
        }
        if (p == last) {
            break;
        }
    }
    return hit;
}

void tb_invalidate_phys_range(tb_page_addr_t start, tb_page_addr_t end)
{
    if (!tbe.lock_ready) {
        return;
    }
    tb_lock();
    tb_invalidate_range_locked(start, end, NULL);
    tb_unlock();
}

void tb_invalidate_phys_range_by_store(CPUState *cs, tb_page_addr_t start,
                                       tb_page_addr_t end, uintptr_t retaddr)
{
    TranslationBlock *cur = NULL;
    bool hit;

    if (!tbe.lock_ready) {
        return;
    }
    tb_lock();
    if (retaddr) {
        cur = tcg_tb_lookup(retaddr);
    }
    hit = tb_invalidate_range_locked(start, end, cur);
    tb_unlock();

    if (hit) {
        int i = tb_insn_index(cur, retaddr);
        /*
         * Instructions after the store would run from the old code: undo
         * the storing insn (nothing of it is visible yet: stores go last,
         * and this one has not happened) and run it alone, so that what
         * follows is translated from the new bytes.
         */
        if (i >= 0 && i + 1 < cur->icount) {
            cs->cc->restore_state_to_opc(cs, cur, cur->insn_data[i]);
            cs->cflags_next_tb = (cur->cflags & ~(CF_COUNT_MASK | CF_INVALID))
                                 | 1;
            cpu_loop_exit_noexc(cs);
        }
    }
}

/* ------------------------------------------------------------------ */
/* TBs by host address                                                 */

bool tb_host_pc_in_buffer(uintptr_t host_pc)
{
    TCGContext *s = tbe.ctx;
    uintptr_t lo, hi;

    if (!s) {
        return false;
    }
    lo = (uintptr_t)tcg_splitwx_to_rx(s, s->code_gen_buffer);
    hi = lo + s->code_gen_buffer_size;
    return host_pc >= lo && host_pc < hi;
}

TranslationBlock *tcg_tb_lookup(uintptr_t host_pc)
{
    TranslationBlock *ret = NULL;
    size_t lo = 0, hi;

    if (!tb_host_pc_in_buffer(host_pc)) {
        return NULL;
    }
    tb_lock();
    hi = tbe.nb_tbs;
    /* last TB whose code starts at or below host_pc */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((uintptr_t)tbe.tbs[mid]->tc.ptr <= host_pc) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo > 0) {
        TranslationBlock *tb = tbe.tbs[lo - 1];
        /* a return address may sit right at the end of the code */
        if (host_pc <= (uintptr_t)tb->tc.ptr + tb->tc.size) {
            ret = tb;
        }
    }
    tb_unlock();
    return ret;
}

int tb_insn_index(const TranslationBlock *tb, uintptr_t host_pc)
{
    uintptr_t off;

    if (!tb || host_pc < (uintptr_t)tb->tc.ptr) {
        return -1;
    }
    off = host_pc - (uintptr_t)tb->tc.ptr;
    /*
     * host_pc is a return address: it lies after the start of the call
     * and at most at the end of the code of the insn that made it.
     */
    for (int i = 0; i < tb->icount; i++) {
        if (off <= tb->insn_end_off[i]) {
            return i;
        }
    }
    return -1;
}

bool cpu_restore_state(CPUState *cs, uintptr_t host_pc)
{
    TranslationBlock *tb = tcg_tb_lookup(host_pc);
    int i = tb_insn_index(tb, host_pc);

    if (i < 0) {
        return false;
    }
    cs->cc->restore_state_to_opc(cs, tb, tb->insn_data[i]);
    return true;
}

/* ------------------------------------------------------------------ */
/* Flush                                                               */

static void tb_flush_locked(void)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        tb_jmp_cache_clear(cs);
    }
    memset(tbe.htable, 0, (tbe.hmask + 1) * sizeof(*tbe.htable));
    tbe.hcount = 0;
    memset(tbe.pages, 0, (tbe.pmask + 1) * sizeof(*tbe.pages));
    tbe.pused = 0;
    tbe.nb_tbs = 0;
    tbe.tbs_live = 0;
    tb_stats.chained_now = 0;
    tb_stats.guest_insns = 0;
    tb_stats.guest_bytes = 0;
    tb_stats.host_code_bytes = 0;
    tb_stats.cross_page_tbs = 0;
    tb_stats.max_tb_insns = 0;
    tcg_code_buffer_reset(tbe.ctx);
    tb_stats.flushes++;
    __atomic_store_n(&tbe.flush_count, tbe.flush_count + 1, __ATOMIC_RELEASE);
}

void tb_flush(CPUState *cs)
{
    if (!tbe.ctx) {
        return;
    }
    tb_lock();
    tb_flush_locked();
    tb_unlock();
}

/* ------------------------------------------------------------------ */
/* Translation                                                         */

static void log_out_asm(TCGContext *s, TranslationBlock *tb)
{
    FILE *f = log_file();

    fprintf(f, "OUT: [size=%u]\n", tb->tc.size);
#if defined(CONFIG_CAPSTONE) && defined(__x86_64__)
    if (s->backend != &tcg_backend_interp) {
        csh h;
        cs_insn *insn;
        size_t n;

        if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK) {
            n = cs_disasm(h, tcg_splitwx_to_rw(s, tb->tc.ptr), tb->tc.size,
                          (uint64_t)(uintptr_t)tb->tc.ptr, 0, &insn);
            for (size_t i = 0; i < n; i++) {
                fprintf(f, "0x%016" PRIx64 ":  %-8s %s\n", insn[i].address,
                        insn[i].mnemonic, insn[i].op_str);
            }
            if (n) {
                cs_free(insn, n);
            }
            cs_close(&h);
            fprintf(f, "\n");
            fflush(f);
            return;
        }
    }
#endif
    /* interpreter bytecode (or no disassembler): a hex dump */
    const uint8_t *p = tcg_splitwx_to_rw(s, tb->tc.ptr);
    for (uint32_t i = 0; i < tb->tc.size; i += 16) {
        fprintf(f, "0x%016" PRIxPTR ": ", (uintptr_t)tb->tc.ptr + i);
        for (uint32_t j = i; j < tb->tc.size && j < i + 16; j++) {
            fprintf(f, " %02x", p[j]);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
    fflush(f);
}

void EMU_NORETURN tb_gen_restart_with(int max_insns)
{
    assert(tb_gen_restart && max_insns > 0);
    siglongjmp(*tb_gen_restart, max_insns);
}

/* Run the front end; returns 0, or the insn count to start over with */
static int tb_translate(CPUState *cs, TranslationBlock *tb, int max_insns)
{
    sigjmp_buf jb;
    int r = sigsetjmp(jb, 0);

    if (r) {
        tb_gen_restart = NULL;
        return r;
    }
    tb_gen_restart = &jb;
    cs->cc->translate(cs, tb, max_insns);
    tb_gen_restart = NULL;
    return 0;
}

/* Room for a TB header at the current position, or NULL */
static TranslationBlock *tb_place(TCGContext *s)
{
    uintptr_t p = ROUND_UP((uintptr_t)s->code_ptr, TB_ALIGN);
    uint8_t *code = (uint8_t *)ROUND_UP(p + sizeof(TranslationBlock), 16);

    if (code + 1024 > s->code_gen_highwater) {
        return NULL;
    }
    return (TranslationBlock *)p;
}

static void tbs_append(TranslationBlock *tb)
{
    if (tbe.nb_tbs == tbe.cap_tbs) {
        tbe.cap_tbs = tbe.cap_tbs ? tbe.cap_tbs * 2 : 1024;
        tbe.tbs = emu_realloc(tbe.tbs, tbe.cap_tbs * sizeof(*tbe.tbs));
    }
    tbe.tbs[tbe.nb_tbs++] = tb;
}

static void EMU_NORETURN tb_gen_fatal(const char *why, uint64_t pc)
{
    fprintf(stderr, "emu: translator: %s at guest pc 0x%" PRIx64 "\n",
            why, pc);
    abort();
}

TranslationBlock *tb_gen_code(CPUState *cs, uint64_t pc, uint64_t cs_base,
                              uint32_t flags, uint32_t cflags)
{
    TCGContext *s = tcg_ctx;
    int64_t t0 = get_clock_monotonic();
    void *host = NULL;
    uint64_t phys_pc = get_page_addr_code_hostp(cs->env_ptr, pc, &host);
    bool flushed_here = false;
    TranslationBlock *tb;
    int max_insns, ret;

    if (phys_pc == TB_PAGE_ADDR_INVALID) {
        /* not RAM: one insn, never cached, read through cpu_ld_code */
        cflags = (cflags & ~CF_COUNT_MASK) | 1;
    }
    max_insns = cflags & CF_COUNT_MASK;
    if (max_insns == 0 || max_insns > TCG_MAX_INSNS) {
        max_insns = TCG_MAX_INSNS;
    }
    if (cflags & CF_SINGLE_STEP) {
        max_insns = 1;
    }

    for (;;) {
        uint8_t *code_start, *saved_ptr;
        int restart;

        tb = tb_place(s);
        if (!tb) {
            if (flushed_here) {
                tb_gen_fatal("code buffer too small for one TB", pc);
            }
            tb_flush(cs);
            flushed_here = true;
            continue;
        }
        memset(tb, 0, sizeof(*tb));
        tb->pc = pc;
        tb->cs_base = cs_base;
        tb->flags = flags;
        tb->cflags = cflags;
        tb->phys_pc = phys_pc;
        tb->page_addr[0] = phys_pc == TB_PAGE_ADDR_INVALID
                           ? TB_PAGE_ADDR_INVALID : phys_pc & PAGE_MASK_;
        tb->page_addr[1] = TB_PAGE_ADDR_INVALID;
        tb->jmp_reset_offset[0] = tb->jmp_reset_offset[1] =
            TB_JMP_OFFSET_INVALID;
        tb->jmp_insn_offset[0] = tb->jmp_insn_offset[1] =
            TB_JMP_OFFSET_INVALID;

        tcg_func_start(s);
        restart = tb_translate(cs, tb, max_insns);
        if (restart) {
            max_insns = restart;
            tb_stats.retranslations++;
            continue;
        }
        assert(tb->icount > 0);

        code_start = (uint8_t *)tb + ROUND_UP(sizeof(TranslationBlock), 16);
        saved_ptr = s->code_ptr;
        s->code_ptr = code_start;
        ret = tcg_gen_code(s, tb);
        if (ret == -1) {
            s->code_ptr = saved_ptr;
            if (flushed_here) {
                tb_gen_fatal("code buffer too small for one TB", pc);
            }
            tb_flush(cs);
            flushed_here = true;
            continue;
        }
        if (ret < 0) {
            s->code_ptr = saved_ptr;
            if (tb->icount <= 1) {
                tb_gen_fatal("one instruction does not fit a TB", pc);
            }
            max_insns = tb->icount / 2;
            tb_stats.retranslations++;
            continue;
        }

        /* per-insn data after the code */
        int n = MIN(s->nb_insns, (int)tb->icount);
        uint8_t *data = (uint8_t *)ROUND_UP((uintptr_t)(code_start + ret), 8);
        size_t need = n * (sizeof(tb->insn_data[0]) + sizeof(uint32_t));
        if (n == 0 || data + need > s->code_gen_buffer +
                                    s->code_gen_buffer_size) {
            s->code_ptr = saved_ptr;
            if (flushed_here || n == 0) {
                tb_gen_fatal("no room for the TB's instruction data", pc);
            }
            tb_flush(cs);
            flushed_here = true;
            continue;
        }
        tb->icount = n;
        tb->insn_data = (void *)data;
        tb->insn_end_off = (uint32_t *)(data + n * sizeof(tb->insn_data[0]));
        memcpy(tb->insn_data, s->gen_insn_data, n * sizeof(tb->insn_data[0]));
        memcpy(tb->insn_end_off, s->gen_insn_end_off, n * sizeof(uint32_t));
        s->code_ptr = data + need;
        break;
    }

    if (unlikely(emu_log_enabled(LOG_TB_OUT_ASM))) {
        log_out_asm(s, tb);
    }
    if (unlikely(tbe.perfmap != NULL)) {
        fprintf(tbe.perfmap, "%" PRIxPTR " %" PRIx32 " tb-%" PRIx64 "\n",
                (uintptr_t)tb->tc.ptr, tb->tc.size, pc);
    }

    bool new_page[2] = { false, false };
    tb_lock();
    if (tb->page_addr[0] != TB_PAGE_ADDR_INVALID) {
        new_page[0] = page_add_tb(tb, 0);
        if (tb->page_addr[1] != TB_PAGE_ADDR_INVALID) {
            new_page[1] = page_add_tb(tb, 1);
            tb_stats.cross_page_tbs++;
        }
        htable_insert(tb);
    }
    tbs_append(tb);
    tbe.tbs_live++;
    tb_unlock();
    /*
     * get_page_addr_code() protected the pages when the code was read;
     * after a flush or a write they may have been released, so protect
     * again when a page gets its first TB.  Outside the engine lock: the
     * softmmu may take the global lock, and DMA invalidations take ours
     * under it.
     */
    for (int i = 0; i < 2; i++) {
        if (new_page[i]) {
            tlb_protect_code(cs, tb->page_addr[i]);
        }
    }
    if (tb->page_addr[0] != TB_PAGE_ADDR_INVALID) {
        __atomic_store_n(&cs->tb_jmp_cache->tb[tb_jc_hash(pc)], tb,
                         __ATOMIC_RELEASE);
    }

    tb_stats.tbs_translated++;
    tb_stats.guest_insns += tb->icount;
    tb_stats.guest_bytes += tb->size;
    tb_stats.host_code_bytes += tb->tc.size;
    if (tb->icount > tb_stats.max_tb_insns) {
        tb_stats.max_tb_insns = tb->icount;
    }
    tb_stats.translation_ns += get_clock_monotonic() - t0;
    return tb;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

bool tcg_exec_init(const TCGBackend *backend, size_t code_gen_size,
                   Error **errp)
{
    pthread_mutexattr_t attr;
    TCGContext *s;

    if (tbe.ctx) {
        error_setg(errp, "the TCG engine is already initialized");
        return false;
    }
    s = tcg_context_new(backend, code_gen_size, errp);
    if (!s) {
        return false;
    }
    if (!tbe.lock_ready) {
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&tbe.lock, &attr);
        pthread_mutexattr_destroy(&attr);
    }
    tbe.ctx = s;
    tbe.globals_done = false;
    memset(&tb_stats, 0, sizeof(tb_stats));
    tb_stats.backend = backend->name;
    htable_alloc(1u << 14);
    tbe.hcount = 0;
    pages_alloc(1u << 10);
    tbe.nb_tbs = 0;
    tbe.tbs_live = 0;
    tbe.flush_count = 0;
    tlb_flush_jmp_cache_hook = tb_jmp_cache_hook;
    __atomic_store_n(&tbe.lock_ready, true, __ATOMIC_RELEASE);
    return true;
}

void tcg_exec_cleanup(void)
{
    if (!tbe.ctx) {
        return;
    }
    tb_lock();
    tlb_flush_jmp_cache_hook = NULL;
    tcg_context_free(tbe.ctx);
    tbe.ctx = NULL;
    free(tbe.htable);
    tbe.htable = NULL;
    free(tbe.pages);
    tbe.pages = NULL;
    free(tbe.tbs);
    tbe.tbs = NULL;
    tbe.nb_tbs = tbe.cap_tbs = 0;
    tb_unlock();
}

TCGContext *tcg_exec_context(void)
{
    return tbe.ctx;
}

bool tcg_exec_cpu_init(CPUState *cs, Error **errp)
{
    TCGContext *s = tbe.ctx;
    const CPUClass *cc = cs->cc;

    if (!s) {
        error_setg(errp, "the TCG engine is not initialized");
        return false;
    }
    if (!cc || !cc->translate || !cc->get_tb_cpu_state ||
        !cc->restore_state_to_opc || !cc->tcg_init || !cs->env_ptr ||
        !cs->neg) {
        error_setg(errp, "CPU '%s' cannot run under TCG",
                   cc && cc->name ? cc->name : "?");
        return false;
    }
    cs->neg->cpu = cs;
    cs->tb_jmp_cache = emu_new0(TBJumpCache, 1);
    cs->neg->jmp_cache = cs->tb_jmp_cache;
    cs->tcg = s;
    cs->exception_index = -1;
    cs->cflags_next_tb = (uint32_t)-1;
    if (!cs->tlb) {
        /* the CPU's creator may have set the softmmu up already */
        tlb_init(cs);
    }
    if (!tbe.globals_done) {
        TCGContext *saved = tcg_ctx;

        /* the target's IR globals live in the shared context */
        tcg_ctx = s;
        s->guest_page_bits = cc->page_bits ? cc->page_bits : PAGE_BITS;
        s->tlb_fast_offset = TLB_FAST_OFFSET_FROM_ENV;
        s->nb_mmu_modes = cc->nb_mmu_modes ? cc->nb_mmu_modes : 1;
        cc->tcg_init(s);
        tcg_ctx = saved ? saved : s;
        tbe.globals_done = true;
    }
    return true;
}

void tcg_exec_cpu_cleanup(CPUState *cs)
{
    tlb_destroy(cs);
    free(cs->tb_jmp_cache);
    cs->tb_jmp_cache = NULL;
    cs->neg->jmp_cache = NULL;
    cs->tcg = NULL;
}

/* ------------------------------------------------------------------ */
/* Statistics                                                          */

void tb_get_statistics(TBStatistics *st)
{
    if (tbe.lock_ready) {
        tb_lock();
    }
    *st = tb_stats;
    if (tbe.ctx) {
        TCGContext *s = tbe.ctx;
        st->backend = s->backend->name;
        st->code_buffer_size = s->code_gen_highwater - s->code_gen_buffer;
        st->code_buffer_used = s->code_ptr - s->code_gen_buffer;
        st->tbs = tbe.nb_tbs;
        st->tbs_live = tbe.tbs_live;
    }
    if (tbe.lock_ready) {
        tb_unlock();
    }
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void tb_dump_statistics(StrBuf *sb)
{
    TBStatistics st;
    uint64_t jc, hl;

    tb_get_statistics(&st);
    if (!st.backend) {
        strbuf_append(sb, "TCG is not in use\n");
        return;
    }
    jc = st.jc_hits + st.jc_misses;
    hl = st.hash_hits + st.hash_misses;
    strbuf_printf(sb, "Translation buffer state:\n");
    strbuf_printf(sb, "back end               %s\n", st.backend);
    strbuf_printf(sb, "gen code size          %" PRIu64 "/%" PRIu64
                  " (%.1f%%)\n", st.code_buffer_used, st.code_buffer_size,
                  pct(st.code_buffer_used, st.code_buffer_size));
    strbuf_printf(sb, "TB count               %" PRIu64 " (%" PRIu64
                  " live)\n", st.tbs, st.tbs_live);
    strbuf_printf(sb, "TB avg target size     %" PRIu64 " max=%" PRIu64
                  " insns, %" PRIu64 " bytes avg\n",
                  st.tbs ? st.guest_insns / st.tbs : 0, st.max_tb_insns,
                  st.tbs ? st.guest_bytes / st.tbs : 0);
    strbuf_printf(sb, "TB avg host size       %" PRIu64 " bytes"
                  " (expansion ratio: %.1f)\n",
                  st.tbs ? st.host_code_bytes / st.tbs : 0,
                  st.guest_bytes ? (double)st.host_code_bytes /
                                   (double)st.guest_bytes : 0.0);
    strbuf_printf(sb, "cross page TB count    %" PRIu64 " (%.1f%%)\n",
                  st.cross_page_tbs, pct(st.cross_page_tbs, st.tbs));
    strbuf_printf(sb, "direct jump count      %" PRIu64 " chained now, %"
                  PRIu64 " made, %" PRIu64 " undone\n",
                  st.chained_now, st.chains_made, st.unchains);
    strbuf_printf(sb, "\nStatistics:\n");
    strbuf_printf(sb, "TBs translated         %" PRIu64 " (%" PRIu64
                  " restarts)\n", st.tbs_translated, st.retranslations);
    strbuf_printf(sb, "TB flush count         %" PRIu64 "\n", st.flushes);
    strbuf_printf(sb, "TB invalidate count    %" PRIu64 "\n",
                  st.invalidations);
    strbuf_printf(sb, "TBs entered from loop  %" PRIu64 "\n",
                  st.tbs_executed);
    strbuf_printf(sb, "jump cache lookups     %" PRIu64 " (%.1f%% hit)\n",
                  jc, pct(st.jc_hits, jc));
    strbuf_printf(sb, "hash table lookups     %" PRIu64 " (%.1f%% hit, %"
                  PRIu64 " buckets)\n", hl, pct(st.hash_hits, hl),
                  st.hash_buckets);
    strbuf_printf(sb, "indirect jump lookups  %" PRIu64 " (%.1f%% found)\n",
                  st.lookup_ptr_calls,
                  pct(st.lookup_ptr_hits, st.lookup_ptr_calls));
    strbuf_printf(sb, "translation time       %" PRIu64 " us (%" PRIu64
                  " ns/TB)\n", st.translation_ns / 1000,
                  st.tbs_translated ? st.translation_ns / st.tbs_translated
                                    : 0);
}
