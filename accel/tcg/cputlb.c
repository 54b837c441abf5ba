/* The softmmu: the per-vCPU software TLB and guest access slow paths. */
#include "emu/osdep.h"
#include "exec/cputlb.h"
#include "exec/tb-internal.h"
#include "system/memory.h"
#include "emu/log.h"
#include "emu/thread.h"

/* What the slow path needs about a page besides the CPUTLBEntry */
typedef struct CPUTLBEntryFull {
    uint64_t phys_addr;         /* guest physical address of the page */
    ram_addr_t ram_addr;        /* RAM behind it, or RAM_ADDR_INVALID */
} CPUTLBEntryFull;

typedef struct CPUTLBDesc {
    /* one naturally aligned region covering every large page of the mode */
    uint64_t large_page_addr;   /* -1: none */
    uint64_t large_page_mask;
    size_t n_used_entries;      /* main-table slots filled since the flush */
    size_t n_evictions;         /* live entries displaced since the flush */
    size_t window_max_entries;  /* peak of n_used_entries in the window */
    size_t window_evictions;    /* n_evictions summed over the window */
    unsigned window_flushes;
    unsigned vindex;            /* next victim slot, round robin */
    CPUTLBEntry vtable[CPU_VTLB_SIZE];
    CPUTLBEntryFull vfull[CPU_VTLB_SIZE];
    CPUTLBEntryFull *full;      /* parallel to the fast table */
} CPUTLBDesc;

#define TLB_PENDING_PAGES 16

typedef struct TLBPendingPage {
    uint64_t addr;
    uint16_t idxmap;
} TLBPendingPage;

struct CPUTLBState {
    CPUState *cpu;
    unsigned nb_modes;
    unsigned page_bits;
    uint64_t page_size;
    uint64_t page_mask;
    /*
     * Taken by the owner around every change of its tables and by other
     * threads that re-arm TLB_NOTDIRTY or queue flushes: the fast path
     * reads without it, so others only ever OR a flag in atomically.
     */
    EmuMutex lock;
    CPUTLBDesc d[NB_MMU_MODES_MAX];
    /* flushes queued by other threads (under lock; pending is atomic) */
    int pending;
    uint16_t pending_idxmap;
    unsigned nr_pending_pages;
    TLBPendingPage pending_pages[TLB_PENDING_PAGES];
    MemoryListener listener;
    bool topology_changed;
    bool ready;                 /* between tlb_init and tlb_destroy */
    TLBStats stats;
    CPUTLBState *next;
};

/* Every TLB, for the RAM write hooks and the all-CPU flushes */
static pthread_mutex_t tlb_list_mutex = PTHREAD_MUTEX_INITIALIZER;
static CPUTLBState *tlb_list;

/*
 * Set while this thread updates dirty bits for its own slow path: the RAM
 * hooks it triggers would redo what the slow path does itself.
 */
static __thread int tlb_hook_depth;

#define TLB_RESIZE_WINDOW 64    /* full flushes between shrink decisions */

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static bool tlb_bql_acquire(void)
{
    if (bql_locked()) {
        return false;
    }
    bql_lock();
    return true;
}

static void tlb_bql_release(bool taken)
{
    if (taken) {
        bql_unlock();
    }
}

static inline CPUTLBDescFast *tlb_fast(CPUState *cs, int mmu_idx)
{
    return &cs->neg->tlb.f[mmu_idx];
}

static inline size_t tlb_n_entries(const CPUTLBDescFast *f)
{
    return (f->mask >> CPU_TLB_ENTRY_BITS) + 1;
}

static inline uintptr_t tlb_index(const CPUTLBState *t,
                                  const CPUTLBDescFast *f, uint64_t addr)
{
    return (addr >> t->page_bits) & (f->mask >> CPU_TLB_ENTRY_BITS);
}

static inline uint64_t tlb_read_cmp(const CPUTLBEntry *e,
                                    MMUAccessType type)
{
    const uint64_t *p = type == MMU_DATA_LOAD ? &e->addr_read :
                        type == MMU_DATA_STORE ? &e->addr_write :
                        &e->addr_code;

    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Does comparator cmp translate page (whatever its flags)? */
static inline bool tlb_hit_page(const CPUTLBState *t, uint64_t cmp,
                                uint64_t page)
{
    return (cmp & (t->page_mask | TLB_INVALID_MASK)) == page;
}

static bool tlb_entry_hits_page(const CPUTLBState *t, const CPUTLBEntry *e,
                                uint64_t page)
{
    return tlb_hit_page(t, e->addr_read, page) ||
           tlb_hit_page(t, e->addr_write, page) ||
           tlb_hit_page(t, e->addr_code, page);
}

static bool tlb_entry_is_empty(const CPUTLBEntry *e)
{
    return e->addr_read == UINT64_MAX && e->addr_write == UINT64_MAX &&
           e->addr_code == UINT64_MAX;
}

static void tlb_entry_clear(CPUTLBEntry *e)
{
    memset(e, -1, sizeof(*e));
}

static bool tlb_is_local(CPUState *cs)
{
    return current_cpu == cs || !cs->created ||
           emu_thread_is_self(&cs->thread);
}

/* ------------------------------------------------------------------ */
/* Tables, flushes, resizing                                           */

static void tlb_table_alloc(CPUTLBState *t, int mmu_idx, size_t n)
{
    CPUTLBDescFast *f = tlb_fast(t->cpu, mmu_idx);
    void *table;

    /* whole cache lines: an entry never straddles two */
    if (posix_memalign(&table, 64, n * sizeof(CPUTLBEntry))) {
        fprintf(stderr, "emu: out of memory for the TLB\n");
        abort();
    }
    f->table = table;
    f->mask = (n - 1) << CPU_TLB_ENTRY_BITS;
    t->d[mmu_idx].full = emu_new(CPUTLBEntryFull, n);
}

static void tlb_table_free(CPUTLBState *t, int mmu_idx)
{
    CPUTLBDescFast *f = tlb_fast(t->cpu, mmu_idx);

    free(f->table);
    free(t->d[mmu_idx].full);
    f->table = NULL;
    f->mask = 0;
    t->d[mmu_idx].full = NULL;
}

static size_t pow2_ceil(size_t n)
{
    size_t p = 1;

    while (p < n) {
        p <<= 1;
    }
    return p;
}

/*
 * Grow a table that was more than 70% full at a flush; shrink one whose
 * use stayed under 30% over a window of flushes, to twice its peak.  Only
 * at flushes, when the contents are thrown away anyway.
 */
static void tlb_mmu_resize_locked(CPUTLBState *t, int mmu_idx)
{
    CPUTLBDesc *d = &t->d[mmu_idx];
    size_t old_size = tlb_n_entries(tlb_fast(t->cpu, mmu_idx));
    size_t new_size = old_size;
    size_t used = d->n_used_entries;
    bool window_done;

    d->window_max_entries = MAX(d->window_max_entries, used);
    d->window_evictions += d->n_evictions;
    d->window_flushes++;
    window_done = d->window_flushes >= TLB_RESIZE_WINDOW;

    if (used * 10 > old_size * 7 || d->n_evictions > old_size) {
        new_size = MIN(old_size * 2, (size_t)1 << CPU_TLB_DYN_MAX_BITS);
    } else if (window_done && d->window_max_entries * 10 < old_size * 3 &&
               d->window_evictions < old_size) {
        /* few entries and no conflicts to speak of: shrink */
        size_t ceil = pow2_ceil(MAX(d->window_max_entries, (size_t)1));
        if (d->window_max_entries * 10 > ceil * 7) {
            ceil *= 2;
        }
        new_size = MAX(ceil, (size_t)1 << CPU_TLB_DYN_MIN_BITS);
    }
    if (new_size != old_size || window_done) {
        d->window_flushes = 0;
        d->window_max_entries = 0;
        d->window_evictions = 0;
    }
    if (new_size == old_size) {
        return;
    }
    tlb_table_free(t, mmu_idx);
    tlb_table_alloc(t, mmu_idx, new_size);
    t->stats.resizes++;
}

static void tlb_flush_one_mmuidx_locked(CPUTLBState *t, int mmu_idx)
{
    CPUTLBDesc *d = &t->d[mmu_idx];
    CPUTLBDescFast *f;

    tlb_mmu_resize_locked(t, mmu_idx);
    f = tlb_fast(t->cpu, mmu_idx);
    memset(f->table, -1, tlb_n_entries(f) * sizeof(CPUTLBEntry));
    memset(d->vtable, -1, sizeof(d->vtable));
    d->n_used_entries = 0;
    d->n_evictions = 0;
    d->large_page_addr = UINT64_MAX;
    d->large_page_mask = UINT64_MAX;
    d->vindex = 0;
    t->stats.full_flushes++;
}

static uint16_t tlb_valid_idxmap(const CPUTLBState *t, uint16_t idxmap)
{
    return idxmap & (uint16_t)((1u << t->nb_modes) - 1);
}

static void tlb_flush_by_mmuidx_now(CPUState *cs, uint16_t idxmap)
{
    CPUTLBState *t = cs->tlb;
    unsigned i;

    idxmap = tlb_valid_idxmap(t, idxmap);
    if (!idxmap) {
        return;
    }
    emu_mutex_lock(&t->lock);
    for (i = 0; i < t->nb_modes; i++) {
        if (idxmap & (1u << i)) {
            tlb_flush_one_mmuidx_locked(t, i);
        }
    }
    emu_mutex_unlock(&t->lock);
    tb_jmp_cache_clear(cs);
}

/* Drop page from one mode; true if the whole mode had to go */
static bool tlb_flush_page_locked(CPUTLBState *t, int mmu_idx, uint64_t page)
{
    CPUTLBDesc *d = &t->d[mmu_idx];
    CPUTLBDescFast *f = tlb_fast(t->cpu, mmu_idx);
    CPUTLBEntry *e;
    unsigned k;

    if ((page & d->large_page_mask) == d->large_page_addr) {
        tlb_flush_one_mmuidx_locked(t, mmu_idx);
        return true;
    }
    e = &f->table[tlb_index(t, f, page)];
    if (tlb_entry_hits_page(t, e, page)) {
        tlb_entry_clear(e);
        d->n_used_entries--;
    }
    for (k = 0; k < CPU_VTLB_SIZE; k++) {
        if (tlb_entry_hits_page(t, &d->vtable[k], page)) {
            tlb_entry_clear(&d->vtable[k]);
        }
    }
    return false;
}

static void tlb_flush_page_by_mmuidx_now(CPUState *cs, uint64_t addr,
                                         uint16_t idxmap)
{
    CPUTLBState *t = cs->tlb;
    uint64_t page = addr & t->page_mask;
    bool whole = false;
    unsigned i;

    idxmap = tlb_valid_idxmap(t, idxmap);
    if (!idxmap) {
        return;
    }
    emu_mutex_lock(&t->lock);
    for (i = 0; i < t->nb_modes; i++) {
        if (idxmap & (1u << i)) {
            whole |= tlb_flush_page_locked(t, i, page);
        }
    }
    t->stats.page_flushes++;
    emu_mutex_unlock(&t->lock);
    if (whole) {
        tb_jmp_cache_clear(cs);
    } else {
        tb_jmp_cache_clear_page(cs, page);
    }
}

/* Ask cs's own thread to flush: page == false means whole modes */
static void tlb_queue_flush(CPUState *cs, bool page, uint64_t addr,
                            uint16_t idxmap)
{
    CPUTLBState *t = cs->tlb;

    emu_mutex_lock(&t->lock);
    if (page && t->nr_pending_pages < TLB_PENDING_PAGES) {
        t->pending_pages[t->nr_pending_pages].addr = addr;
        t->pending_pages[t->nr_pending_pages].idxmap = idxmap;
        t->nr_pending_pages++;
    } else {
        /* too many pages queued: flushing those modes whole is cheaper */
        t->pending_idxmap |= idxmap;
    }
    __atomic_store_n(&t->pending, 1, __ATOMIC_RELEASE);
    emu_mutex_unlock(&t->lock);
    cpu_exit(cs);
}

void tlb_run_pending_flushes(CPUState *cs)
{
    CPUTLBState *t = cs->tlb;
    TLBPendingPage pages[TLB_PENDING_PAGES];
    unsigned nr, i;
    uint16_t idxmap;

    if (!t || !__atomic_load_n(&t->pending, __ATOMIC_ACQUIRE)) {
        return;
    }
    emu_mutex_lock(&t->lock);
    idxmap = t->pending_idxmap;
    nr = t->nr_pending_pages;
    memcpy(pages, t->pending_pages, nr * sizeof(pages[0]));
    t->pending_idxmap = 0;
    t->nr_pending_pages = 0;
    __atomic_store_n(&t->pending, 0, __ATOMIC_RELAXED);
    emu_mutex_unlock(&t->lock);

    if (idxmap) {
        tlb_flush_by_mmuidx_now(cs, idxmap);
    }
    for (i = 0; i < nr; i++) {
        if (pages[i].idxmap & ~idxmap) {
            tlb_flush_page_by_mmuidx_now(cs, pages[i].addr,
                                         pages[i].idxmap & ~idxmap);
        }
    }
}

void tlb_flush_by_mmuidx(CPUState *cs, uint16_t idxmap)
{
    if (tlb_is_local(cs)) {
        tlb_flush_by_mmuidx_now(cs, idxmap);
    } else {
        tlb_queue_flush(cs, false, 0, idxmap);
    }
}

void tlb_flush(CPUState *cs)
{
    tlb_flush_by_mmuidx(cs, UINT16_MAX);
}

void tlb_flush_page_by_mmuidx(CPUState *cs, uint64_t addr, uint16_t idxmap)
{
    if (tlb_is_local(cs)) {
        tlb_flush_page_by_mmuidx_now(cs, addr, idxmap);
    } else {
        tlb_queue_flush(cs, true, addr, idxmap);
    }
}

void tlb_flush_page(CPUState *cs, uint64_t addr)
{
    tlb_flush_page_by_mmuidx(cs, addr, UINT16_MAX);
}

void tlb_flush_by_mmuidx_all_cpus_synced(CPUState *src, uint16_t idxmap)
{
    CPUTLBState *t;

    pthread_mutex_lock(&tlb_list_mutex);
    for (t = tlb_list; t; t = t->next) {
        if (t->cpu != src) {
            tlb_flush_by_mmuidx(t->cpu, idxmap);
        }
    }
    pthread_mutex_unlock(&tlb_list_mutex);
    if (src) {
        tlb_flush_by_mmuidx_now(src, idxmap);
    }
}

void tlb_flush_all_cpus_synced(CPUState *src)
{
    tlb_flush_by_mmuidx_all_cpus_synced(src, UINT16_MAX);
}

void tlb_flush_page_by_mmuidx_all_cpus_synced(CPUState *src, uint64_t addr,
                                              uint16_t idxmap)
{
    CPUTLBState *t;

    pthread_mutex_lock(&tlb_list_mutex);
    for (t = tlb_list; t; t = t->next) {
        if (t->cpu != src) {
            tlb_flush_page_by_mmuidx(t->cpu, addr, idxmap);
        }
    }
    pthread_mutex_unlock(&tlb_list_mutex);
    if (src) {
        tlb_flush_page_by_mmuidx_now(src, addr, idxmap);
    }
}

void tlb_flush_page_all_cpus_synced(CPUState *src, uint64_t addr)
{
    tlb_flush_page_by_mmuidx_all_cpus_synced(src, addr, UINT16_MAX);
}

/* ------------------------------------------------------------------ */
/* Filling                                                             */

/* Is any dirty-tracking client (code included) watching this page? */
static bool tlb_ram_page_clean(const CPUTLBState *t, ram_addr_t ram)
{
    uint64_t off;
    unsigned c;

    for (off = 0; off < t->page_size; off += TARGET_PAGE_SIZE) {
        for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
            if (!ram_dirty_get(ram + off, TARGET_PAGE_SIZE, c)) {
                return true;
            }
        }
    }
    return false;
}

static void tlb_add_large_page(CPUTLBDesc *d, uint64_t vaddr, uint64_t size)
{
    uint64_t lp_mask = ~(size - 1);

    if (d->large_page_addr != UINT64_MAX) {
        /* widen the region until it covers the old one and the new page */
        lp_mask &= d->large_page_mask;
        while ((d->large_page_addr ^ vaddr) & lp_mask) {
            lp_mask <<= 1;
        }
    }
    d->large_page_addr = vaddr & lp_mask;
    d->large_page_mask = lp_mask;
}

void tlb_set_page(CPUState *cs, uint64_t vaddr, uint64_t paddr, int prot,
                  int mmu_idx, uint64_t size)
{
    CPUTLBState *t = cs->tlb;
    CPUTLBDesc *d = &t->d[mmu_idx];
    CPUTLBDescFast *f = tlb_fast(cs, mmu_idx);
    uint64_t vpage = vaddr & t->page_mask;
    uint64_t ppage = paddr & t->page_mask;
    uint8_t *rhost, *whost;
    hwaddr len;
    ram_addr_t ram = RAM_ADDR_INVALID;
    CPUTLBEntry ne, *te;
    uintptr_t index;
    bool notdirty = false, bql;
    unsigned k;

    assert(mmu_idx >= 0 && (unsigned)mmu_idx < t->nb_modes);
    bql = tlb_bql_acquire();

    /* Direct access only to whole pages of RAM the CPU may touch so */
    len = t->page_size;
    rhost = address_space_map(cs->as, ppage, &len, false);
    if (rhost && len < t->page_size) {
        rhost = NULL;
    }
    len = t->page_size;
    whost = address_space_map(cs->as, ppage, &len, true);
    if (whost && len < t->page_size) {
        whost = NULL;
    }
    if (rhost) {
        ram = ram_addr_from_host(rhost);
        if (ram == RAM_ADDR_INVALID) {
            rhost = whost = NULL;   /* untrackable: leave it to the API */
        }
    }

    ne.addend = rhost ? (uintptr_t)rhost - (uintptr_t)vpage : 0;
    ne.addr_read = (prot & PAGE_READ) ? vpage | (rhost ? 0 : TLB_MMIO)
                                      : UINT64_MAX;
    ne.addr_code = (prot & PAGE_EXEC) ? vpage | (rhost ? 0 : TLB_MMIO)
                                      : UINT64_MAX;

    emu_mutex_lock(&t->lock);
    /*
     * Read the dirty bits under the lock: a client clearing them calls
     * tlb_reset_dirty (which takes it) afterwards, so either we see the
     * clear bit or our entry gets TLB_NOTDIRTY from the reset.  A page
     * with TBs always has its code bit clear (see cputlb.h).
     */
    if (whost) {
        notdirty = tlb_ram_page_clean(t, ram);
    }
    ne.addr_write = !(prot & PAGE_WRITE) ? UINT64_MAX :
                    vpage | (!whost ? TLB_MMIO : notdirty ? TLB_NOTDIRTY : 0);

    /*
     * A working set larger than the table and no flush to resize it at
     * (one process sweeping a big array between context switches): grow
     * it now rather than refill every entry over and over.
     */
    if (unlikely(d->n_evictions > tlb_n_entries(f)) &&
        tlb_n_entries(f) < ((size_t)1 << CPU_TLB_DYN_MAX_BITS)) {
        tlb_flush_one_mmuidx_locked(t, mmu_idx);
    }
    if (size > t->page_size) {
        tlb_add_large_page(d, vaddr, size);
    }
    index = tlb_index(t, f, vaddr);
    te = &f->table[index];
    /* one page, one entry: a stale victim copy would shadow this one */
    for (k = 0; k < CPU_VTLB_SIZE; k++) {
        if (tlb_entry_hits_page(t, &d->vtable[k], vpage)) {
            tlb_entry_clear(&d->vtable[k]);
        }
    }
    if (tlb_entry_is_empty(te)) {
        d->n_used_entries++;
    } else if (!tlb_entry_hits_page(t, te, vpage)) {
        unsigned v = d->vindex++ % CPU_VTLB_SIZE;
        d->n_evictions++;
        d->vtable[v] = *te;
        d->vfull[v] = d->full[index];
    }
    d->full[index].phys_addr = ppage;
    d->full[index].ram_addr = rhost ? ram : RAM_ADDR_INVALID;
    *te = ne;
    emu_mutex_unlock(&t->lock);
    tlb_bql_release(bql);
}

/* ------------------------------------------------------------------ */
/* Dirty tracking and code protection                                  */

/* Route CPU writes to RAM [start, start+len) through the slow path again */
static void tlb_reset_dirty_entry(const CPUTLBState *t, CPUTLBEntry *e,
                                  const CPUTLBEntryFull *full,
                                  ram_addr_t start, ram_addr_t len)
{
    uint64_t a = __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED);
    ram_addr_t r = full->ram_addr;

    if (a & (TLB_INVALID_MASK | TLB_MMIO | TLB_NOTDIRTY) ||
        r == RAM_ADDR_INVALID) {
        return;
    }
    if (r >= start ? r - start < len : start - r < t->page_size) {
        __atomic_store_n(&e->addr_write, a | TLB_NOTDIRTY, __ATOMIC_RELAXED);
    }
}

static void tlb_reset_dirty(CPUTLBState *t, ram_addr_t start, ram_addr_t len)
{
    unsigned i, k;
    size_t j, n;

    emu_mutex_lock(&t->lock);
    for (i = 0; i < t->nb_modes; i++) {
        CPUTLBDescFast *f = tlb_fast(t->cpu, i);
        CPUTLBDesc *d = &t->d[i];

        n = tlb_n_entries(f);
        for (j = 0; j < n; j++) {
            tlb_reset_dirty_entry(t, &f->table[j], &d->full[j], start, len);
        }
        for (k = 0; k < CPU_VTLB_SIZE; k++) {
            tlb_reset_dirty_entry(t, &d->vtable[k], &d->vfull[k], start,
                                  len);
        }
    }
    emu_mutex_unlock(&t->lock);
}

/* Writes to vaddr's page no longer need watching (cs's thread) */
static void tlb_set_dirty(CPUState *cs, uint64_t vaddr)
{
    CPUTLBState *t = cs->tlb;
    uint64_t vpage = vaddr & t->page_mask;
    unsigned i, k;

    emu_mutex_lock(&t->lock);
    for (i = 0; i < t->nb_modes; i++) {
        CPUTLBDescFast *f = tlb_fast(cs, i);
        CPUTLBDesc *d = &t->d[i];
        CPUTLBEntry *e = &f->table[tlb_index(t, f, vaddr)];

        if (e->addr_write == (vpage | TLB_NOTDIRTY)) {
            __atomic_store_n(&e->addr_write, vpage, __ATOMIC_RELAXED);
        }
        for (k = 0; k < CPU_VTLB_SIZE; k++) {
            if (d->vtable[k].addr_write == (vpage | TLB_NOTDIRTY)) {
                d->vtable[k].addr_write = vpage;
            }
        }
    }
    emu_mutex_unlock(&t->lock);
}

static void tlb_ram_dirty_cleared(ram_addr_t start, ram_addr_t len,
                                  unsigned client)
{
    CPUTLBState *t;

    if (tlb_hook_depth) {
        return;
    }
    pthread_mutex_lock(&tlb_list_mutex);
    for (t = tlb_list; t; t = t->next) {
        tlb_reset_dirty(t, start, len);
    }
    pthread_mutex_unlock(&tlb_list_mutex);
}

static unsigned tlb_guest_page_bits(void)
{
    unsigned bits = TARGET_PAGE_BITS;

    pthread_mutex_lock(&tlb_list_mutex);
    if (tlb_list) {
        bits = tlb_list->page_bits;
    }
    pthread_mutex_unlock(&tlb_list_mutex);
    return bits;
}

/*
 * Called with the BQL after the write of [ram, ram+len) set the dirty bits
 * of a page that still had TBs: keep watching it (the bits were set).
 */
static void tlb_rearm_code_page(ram_addr_t page, uint64_t page_size)
{
    if (tb_page_has_code(page)) {
        tlb_hook_depth++;
        ram_dirty_clear(page, page_size, DIRTY_MEMORY_CODE);
        tlb_hook_depth--;
    }
}

/* A write from anywhere hit RAM that may hold code (BQL held) */
static void tlb_ram_code_written(ram_addr_t start, ram_addr_t len)
{
    uint64_t page_size = 1ULL << tlb_guest_page_bits();
    ram_addr_t last = len - 1 > UINT64_MAX - start ? UINT64_MAX
                                                   : start + len - 1;
    ram_addr_t first_page = start & ~(page_size - 1);
    ram_addr_t last_page = last & ~(page_size - 1);

    if (tlb_hook_depth) {
        return;
    }
    tb_invalidate_phys_range(start, last == UINT64_MAX ? last : last + 1);
    /*
     * Every TB with a byte in the range is gone, so only the pages the
     * range covers partly can still hold code: re-protect those.
     */
    tlb_rearm_code_page(first_page, page_size);
    if (last_page != first_page) {
        tlb_rearm_code_page(last_page, page_size);
    }
}

static const RAMWriteHooks tlb_ram_hooks = {
    .code_written = tlb_ram_code_written,
    .dirty_cleared = tlb_ram_dirty_cleared,
};

void (*tlb_flush_jmp_cache_hook)(CPUState *cs, uint64_t page);

void tlb_protect_code(CPUState *cs, uint64_t addr)
{
    uint64_t page_size = cs->tlb->page_size;
    ram_addr_t page = addr & ~(page_size - 1);
    bool bql = tlb_bql_acquire();

    /* the clear calls tlb_ram_dirty_cleared, which re-arms every TLB */
    if (ram_dirty_get(page, page_size, DIRTY_MEMORY_CODE)) {
        ram_dirty_clear(page, page_size, DIRTY_MEMORY_CODE);
    }
    tlb_bql_release(bql);
}

/* ------------------------------------------------------------------ */
/* Lookup                                                              */

/* One page's part of an access */
typedef struct MMUPage {
    uint64_t addr;              /* first byte */
    unsigned size;              /* bytes on this page */
    int flags;                  /* TLB_* of the entry */
    uint8_t *haddr;             /* host address unless TLB_MMIO */
    uint64_t phys;              /* guest physical address of addr */
    ram_addr_t ram;             /* RAM address of addr, or invalid */
} MMUPage;

/* Found in the victim cache: swap it into the main table */
static bool victim_tlb_hit(CPUTLBState *t, int mmu_idx, uintptr_t index,
                           MMUAccessType type, uint64_t page)
{
    CPUTLBDesc *d = &t->d[mmu_idx];
    CPUTLBDescFast *f = tlb_fast(t->cpu, mmu_idx);
    unsigned k;

    for (k = 0; k < CPU_VTLB_SIZE; k++) {
        if (tlb_hit_page(t, tlb_read_cmp(&d->vtable[k], type), page)) {
            CPUTLBEntry tmp;
            CPUTLBEntryFull tmpf;

            emu_mutex_lock(&t->lock);
            tmp = f->table[index];
            tmpf = d->full[index];
            if (tlb_entry_is_empty(&tmp)) {
                d->n_used_entries++;
            }
            f->table[index] = d->vtable[k];
            d->full[index] = d->vfull[k];
            d->vtable[k] = tmp;
            d->vfull[k] = tmpf;
            /* a conflict in the main table: counts towards growing it */
            d->n_evictions++;
            t->stats.victim_hits++;
            emu_mutex_unlock(&t->lock);
            return true;
        }
    }
    return false;
}

/*
 * Translate p->addr for p->size bytes of access type, calling the
 * target's tlb_fill on a miss (which raises the guest fault unless
 * probe).  false only when probe and the access is not allowed.
 */
static bool mmu_lookup_page(CPUState *cs, MMUPage *p, int mmu_idx,
                            MMUAccessType type, bool probe, uintptr_t ra)
{
    CPUTLBState *t = cs->tlb;
    CPUTLBDescFast *f = tlb_fast(cs, mmu_idx);
    uint64_t page = p->addr & t->page_mask;
    uintptr_t index = tlb_index(t, f, p->addr);
    uint64_t cmp = tlb_read_cmp(&f->table[index], type);
    const CPUTLBEntryFull *full;
    uint64_t off;

    if (!tlb_hit_page(t, cmp, page)) {
        if (!victim_tlb_hit(t, mmu_idx, index, type, page)) {
            t->stats.fills++;
            if (!cs->cc->tlb_fill(cs, p->addr, p->size, type, mmu_idx, probe,
                                  ra)) {
                return false;
            }
            /* the fill may have flushed, and so resized, the table */
            index = tlb_index(t, f, p->addr);
        }
        cmp = tlb_read_cmp(&f->table[index], type);
        if (!tlb_hit_page(t, cmp, page)) {
            fprintf(stderr, "emu: %s tlb_fill returned without mapping "
                    "0x%" PRIx64 " for access %d in mode %d\n",
                    cs->cc->name, p->addr, type, mmu_idx);
            abort();
        }
    }
    full = &t->d[mmu_idx].full[index];
    off = p->addr & ~t->page_mask;
    p->flags = cmp & TLB_FLAGS_MASK;
    p->haddr = (p->flags & TLB_MMIO) ? NULL
             : (uint8_t *)(f->table[index].addend + (uintptr_t)p->addr);
    p->phys = full->phys_addr + off;
    p->ram = full->ram_addr == RAM_ADDR_INVALID ? RAM_ADDR_INVALID
                                                : full->ram_addr + off;
    return true;
}

/*
 * Check alignment, split at a page boundary and translate both parts (a
 * fault on either leaves memory untouched).  Returns the number of parts.
 */
static int mmu_lookup(CPUState *cs, uint64_t addr, MemOpIdx oi,
                      MMUAccessType type, uintptr_t ra, MMUPage p[2])
{
    CPUTLBState *t = cs->tlb;
    MemOp mop = get_memop(oi);
    int mmu_idx = get_mmuidx(oi);
    unsigned size = memop_size(mop);
    unsigned align = memop_alignment(mop);
    uint64_t room = t->page_size - (addr & ~t->page_mask);

    if (unlikely(addr & (align - 1)) && cs->cc->do_unaligned_access) {
        cs->cc->do_unaligned_access(cs, addr, type, mmu_idx, ra);
    }
    p[0].addr = addr;
    if (likely(size <= room)) {
        p[0].size = size;
        mmu_lookup_page(cs, &p[0], mmu_idx, type, false, ra);
        return 1;
    }
    p[0].size = room;
    p[1].addr = addr + room;
    p[1].size = size - room;
    mmu_lookup_page(cs, &p[0], mmu_idx, type, false, ra);
    mmu_lookup_page(cs, &p[1], mmu_idx, type, false, ra);
    return 2;
}

/* ------------------------------------------------------------------ */
/* Loads and stores                                                    */

static inline bool memop_big_endian(MemOp mop)
{
    return HOST_BIG_ENDIAN ^ ((mop & MO_BSWAP) != 0);
}

static uint64_t ld_host(const uint8_t *p, unsigned size)
{
    uint8_t b;
    uint16_t w;
    uint32_t l;
    uint64_t q;

    switch (size) {
    case 1:
        memcpy(&b, p, 1);
        return b;
    case 2:
        memcpy(&w, p, 2);
        return w;
    case 4:
        memcpy(&l, p, 4);
        return l;
    default:
        memcpy(&q, p, 8);
        return q;
    }
}

static void st_host(uint8_t *p, unsigned size, uint64_t v)
{
    uint8_t b = v;
    uint16_t w = v;
    uint32_t l = v;

    switch (size) {
    case 1:
        memcpy(p, &b, 1);
        break;
    case 2:
        memcpy(p, &w, 2);
        break;
    case 4:
        memcpy(p, &l, 4);
        break;
    default:
        memcpy(p, &v, 8);
        break;
    }
}

static uint64_t bswap_size(uint64_t v, unsigned size)
{
    switch (size) {
    case 1:
        return v;
    case 2:
        return __builtin_bswap16(v);
    case 4:
        return __builtin_bswap32(v);
    default:
        return __builtin_bswap64(v);
    }
}

static uint64_t memop_extend(uint64_t v, MemOp mop)
{
    switch (mop & (MO_SIZE | MO_SIGN)) {
    case MO_UB:
        return (uint8_t)v;
    case MO_UW:
        return (uint16_t)v;
    case MO_UL:
        return (uint32_t)v;
    case MO_SB:
        return (uint64_t)(int64_t)(int8_t)v;
    case MO_SW:
        return (uint64_t)(int64_t)(int16_t)v;
    case MO_SL:
        return (uint64_t)(int64_t)(int32_t)v;
    default:
        return v;
    }
}

static uint64_t io_load(CPUState *cs, uint64_t phys, unsigned size, bool be)
{
    bool bql = tlb_bql_acquire();
    uint64_t v;

    /* bus errors read as all-ones, as the memory API does */
    address_space_load(cs->as, phys, size, be, &v);
    tlb_bql_release(bql);
    return v;
}

static void io_store(CPUState *cs, uint64_t phys, unsigned size, bool be,
                     uint64_t v)
{
    bool bql = tlb_bql_acquire();

    address_space_store(cs->as, phys, size, be, v);
    tlb_bql_release(bql);
}

/* The bytes of one part of a page-crossing access, in address order */
static void load_part(CPUState *cs, const MMUPage *p, uint8_t *buf)
{
    if (p->flags & TLB_MMIO) {
        bool bql = tlb_bql_acquire();
        address_space_read(cs->as, p->phys, buf, p->size);
        tlb_bql_release(bql);
    } else {
        memcpy(buf, p->haddr, p->size);
    }
}

static void store_part(CPUState *cs, const MMUPage *p, const uint8_t *buf)
{
    if (p->flags & TLB_MMIO) {
        bool bql = tlb_bql_acquire();
        address_space_write(cs->as, p->phys, buf, p->size);
        tlb_bql_release(bql);
    } else {
        memcpy(p->haddr, buf, p->size);
    }
}

static uint64_t bytes_to_value(const uint8_t *b, unsigned size, bool be)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        v |= (uint64_t)b[i] << (8 * (be ? size - 1 - i : i));
    }
    return v;
}

static void value_to_bytes(uint8_t *b, unsigned size, bool be, uint64_t v)
{
    unsigned i;

    for (i = 0; i < size; i++) {
        b[i] = v >> (8 * (be ? size - 1 - i : i));
    }
}

/*
 * Before a write to a TLB_NOTDIRTY page: drop translated code in the
 * range.  May leave to cpu_exec (the store is then redone) when the TB
 * running now is among it; nothing has been written yet.
 */
static void notdirty_prepare(CPUState *cs, const MMUPage *p, uintptr_t ra)
{
    tb_invalidate_phys_range_by_store(cs, p->ram, p->ram + p->size, ra);
}

/* After the write: set the dirty bits; stop watching when nobody needs to */
static void notdirty_done(CPUState *cs, const MMUPage *p)
{
    CPUTLBState *t = cs->tlb;
    ram_addr_t page = p->ram - (p->addr & ~t->page_mask);
    bool bql = tlb_bql_acquire();

    tlb_hook_depth++;
    ram_dirty_set(p->ram, p->size);
    if (tb_page_has_code(page)) {
        ram_dirty_clear(page, t->page_size, DIRTY_MEMORY_CODE);
    } else if (!tlb_ram_page_clean(t, page)) {
        tlb_set_dirty(cs, p->addr);
    }
    tlb_hook_depth--;
    tlb_bql_release(bql);
}

static uint64_t do_ld(CPUState *cs, uint64_t addr, MemOpIdx oi,
                      MMUAccessType type, uintptr_t ra)
{
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop);
    MMUPage p[2];
    uint64_t val;

    if (mmu_lookup(cs, addr, oi, type, ra, p) == 1) {
        if (p[0].flags & TLB_MMIO) {
            val = io_load(cs, p[0].phys, size, memop_big_endian(mop));
        } else {
            val = ld_host(p[0].haddr, size);
            if (mop & MO_BSWAP) {
                val = bswap_size(val, size);
            }
        }
    } else {
        uint8_t buf[8];

        load_part(cs, &p[0], buf);
        load_part(cs, &p[1], buf + p[0].size);
        val = bytes_to_value(buf, size, memop_big_endian(mop));
    }
    return memop_extend(val, mop);
}

static void do_st(CPUState *cs, uint64_t addr, uint64_t val, MemOpIdx oi,
                  uintptr_t ra)
{
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop);
    MMUPage p[2];
    int n = mmu_lookup(cs, addr, oi, MMU_DATA_STORE, ra, p);
    int i;

    for (i = 0; i < n; i++) {
        if (p[i].flags & TLB_NOTDIRTY) {
            notdirty_prepare(cs, &p[i], ra);
        }
    }
    if (n == 1) {
        if (p[0].flags & TLB_MMIO) {
            io_store(cs, p[0].phys, size, memop_big_endian(mop), val);
        } else {
            st_host(p[0].haddr, size,
                    (mop & MO_BSWAP) ? bswap_size(val, size) : val);
        }
    } else {
        uint8_t buf[8];

        value_to_bytes(buf, size, memop_big_endian(mop), val);
        store_part(cs, &p[0], buf);
        store_part(cs, &p[1], buf + p[0].size);
    }
    for (i = 0; i < n; i++) {
        if (p[i].flags & TLB_NOTDIRTY) {
            notdirty_done(cs, &p[i]);
        }
    }
}

uint64_t helper_ld_mmu(void *env, uint64_t addr, MemOpIdx oi,
                       uintptr_t retaddr)
{
    return do_ld(env_cpu(env), addr, oi, MMU_DATA_LOAD, retaddr);
}

void helper_st_mmu(void *env, uint64_t addr, uint64_t val, MemOpIdx oi,
                   uintptr_t retaddr)
{
    do_st(env_cpu(env), addr, val, oi, retaddr);
}

uint64_t cpu_ld_code(void *env, uint64_t addr, MemOp op)
{
    MemOpIdx oi = make_memop_idx(op, cpu_env_mmu_index(env, true));

    return do_ld(env_cpu(env), addr, oi, MMU_INST_FETCH, 0);
}

/* ------------------------------------------------------------------ */
/* Code fetch and probes                                               */

static bool code_lookup(void *env, uint64_t addr, MMUPage *p)
{
    p->addr = addr;
    p->size = 1;
    mmu_lookup_page(env_cpu(env), p, cpu_env_mmu_index(env, true),
                    MMU_INST_FETCH, false, 0);
    return !(p->flags & TLB_MMIO) && p->ram != RAM_ADDR_INVALID;
}

uint64_t get_page_addr_code_hostp(void *env, uint64_t addr, void **hostp)
{
    MMUPage p;

    if (!code_lookup(env, addr, &p)) {
        if (hostp) {
            *hostp = NULL;
        }
        return UINT64_MAX;
    }
    /* before the bytes are read: a write from now on is seen */
    tlb_protect_code(env_cpu(env), p.ram);
    if (hostp) {
        *hostp = p.haddr;
    }
    return p.ram;
}

uint64_t get_page_addr_code(void *env, uint64_t addr)
{
    MMUPage p;

    return code_lookup(env, addr, &p) ? p.ram : UINT64_MAX;
}

int probe_access_flags(void *env, uint64_t addr, int size,
                       MMUAccessType access_type, int mmu_idx, bool nonfault,
                       void **phost, uintptr_t retaddr)
{
    CPUState *cs = env_cpu(env);
    CPUTLBState *t = cs->tlb;
    uint64_t room = t->page_size - (addr & ~t->page_mask);
    MMUPage p = { .addr = addr, .size = size > 0 ? (unsigned)size : 1 };

    /* a probe is of one page: the caller splits larger ranges */
    p.size = MIN(p.size, room);
    if (!mmu_lookup_page(cs, &p, mmu_idx, access_type, nonfault, retaddr)) {
        *phost = NULL;
        return TLB_INVALID_MASK;
    }
    *phost = p.haddr;
    return p.flags;
}

void *probe_access(void *env, uint64_t addr, int size,
                   MMUAccessType access_type, int mmu_idx, uintptr_t retaddr)
{
    CPUState *cs = env_cpu(env);
    CPUTLBState *t = cs->tlb;
    uint64_t room = t->page_size - (addr & ~t->page_mask);
    MMUPage p = { .addr = addr, .size = size > 0 ? (unsigned)size : 1 };

    p.size = MIN(p.size, room);
    mmu_lookup_page(cs, &p, mmu_idx, access_type, false, retaddr);
    if (p.flags & TLB_MMIO) {
        return NULL;
    }
    if (access_type == MMU_DATA_STORE && (p.flags & TLB_NOTDIRTY)) {
        /* the caller writes through the pointer: do the slow path's part */
        notdirty_prepare(cs, &p, retaddr);
        notdirty_done(cs, &p);
    }
    return p.haddr;
}

void *tlb_vaddr_to_host(void *env, uint64_t addr, MMUAccessType access_type,
                        int mmu_idx)
{
    void *host;
    int flags = probe_access_flags(env, addr, 1, access_type, mmu_idx, true,
                                   &host, 0);

    return flags ? NULL : host;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

static void tlb_listener_changed(MemoryListener *l, MemoryRegionSection *s)
{
    CPUTLBState *t = container_of(l, CPUTLBState, listener);

    t->topology_changed = true;
}

/* Host pointers and MMIO decisions in the TLB came from the old view */
static void tlb_listener_commit(MemoryListener *l)
{
    CPUTLBState *t = container_of(l, CPUTLBState, listener);

    if (t->topology_changed && t->ready) {
        t->topology_changed = false;
        tlb_flush(t->cpu);
    }
}

void tlb_init(CPUState *cs)
{
    const CPUClass *cc = cs->cc;
    CPUTLBState *t = emu_new0(CPUTLBState, 1);
    unsigned i;

    assert(cc && cs->neg);
    assert(cc->nb_mmu_modes >= 1 && cc->nb_mmu_modes <= NB_MMU_MODES_MAX &&
           cc->nb_mmu_modes <= (1u << TCG_MMU_IDX_BITS));
    t->cpu = cs;
    t->nb_modes = cc->nb_mmu_modes;
    t->page_bits = cc->page_bits ? cc->page_bits : TARGET_PAGE_BITS;
    /* the TLB_* flags live below the page bits */
    assert(t->page_bits >= 9 && t->page_bits < 32);
    t->page_size = 1ULL << t->page_bits;
    t->page_mask = ~(t->page_size - 1);
    emu_mutex_init(&t->lock);
    if (!cs->as) {
        cs->as = &address_space_memory;
    }
    cs->tlb = t;
    memset(&cs->neg->tlb, 0, sizeof(cs->neg->tlb));
    for (i = 0; i < t->nb_modes; i++) {
        tlb_table_alloc(t, i, (size_t)1 << CPU_TLB_DYN_DEFAULT_BITS);
        tlb_flush_one_mmuidx_locked(t, i);
        t->d[i].window_flushes = 0;
    }

    pthread_mutex_lock(&tlb_list_mutex);
    if (tlb_list) {
        assert(tlb_list->page_bits == t->page_bits);
    }
    t->next = tlb_list;
    tlb_list = t;
    pthread_mutex_unlock(&tlb_list_mutex);
    ram_set_write_hooks(&tlb_ram_hooks);

    t->listener.name = "tcg-tlb";
    t->listener.region_add = tlb_listener_changed;
    t->listener.region_del = tlb_listener_changed;
    t->listener.commit = tlb_listener_commit;
    /* registering replays the current view: nothing to flush yet */
    memory_listener_register(&t->listener, cs->as);
    t->topology_changed = false;
    t->stats.full_flushes = 0;
    t->ready = true;
}

void tlb_destroy(CPUState *cs)
{
    CPUTLBState *t = cs->tlb;
    CPUTLBState **pp;
    unsigned i;

    if (!t) {
        return;
    }
    t->ready = false;
    memory_listener_unregister(&t->listener);
    pthread_mutex_lock(&tlb_list_mutex);
    for (pp = &tlb_list; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    if (!tlb_list) {
        ram_set_write_hooks(NULL);
    }
    pthread_mutex_unlock(&tlb_list_mutex);
    for (i = 0; i < t->nb_modes; i++) {
        tlb_table_free(t, i);
    }
    emu_mutex_destroy(&t->lock);
    cs->tlb = NULL;
    free(t);
}

void tlb_get_stats(TLBStats *st)
{
    CPUTLBState *t;

    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&tlb_list_mutex);
    for (t = tlb_list; t; t = t->next) {
        st->full_flushes += t->stats.full_flushes;
        st->page_flushes += t->stats.page_flushes;
        st->fills += t->stats.fills;
        st->victim_hits += t->stats.victim_hits;
        st->resizes += t->stats.resizes;
    }
    pthread_mutex_unlock(&tlb_list_mutex);
}
