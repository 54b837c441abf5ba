/* The memory API: region tree, flattening into views, listeners, dispatch. */
#include "emu/osdep.h"
#include "emu/log.h"
#include <pthread.h>
#include "system/memory.h"

/*
 * Addresses in the tree may reach 2^64 (a 2^64-byte container) and alias
 * bases may go below 0 (target offset larger than the alias address), so
 * rendering computes in signed 128-bit arithmetic and clips to [0, 2^64).
 */
typedef __int128 i128;
#define ADDR_SPACE_END ((i128)1 << 64)

/* Deepest alias/container nesting rendered; guards against alias loops */
#define RENDER_MAX_DEPTH 64

static TAILQ_HEAD(, AddressSpace) address_spaces =
    TAILQ_HEAD_INITIALIZER(address_spaces);
/* All listeners, sorted by ascending priority */
static TAILQ_HEAD(memory_listeners_head, MemoryListener) memory_listeners =
    TAILQ_HEAD_INITIALIZER(memory_listeners);
static unsigned transaction_depth;
static bool topology_update_pending;

static i128 mr_size128(const MemoryRegion *mr)
{
    return mr->size == UINT64_MAX ? ADDR_SPACE_END : (i128)mr->size;
}

/* ------------------------------------------------------------------ */
/* Region construction                                                 */

void memory_region_init(MemoryRegion *mr, void *owner, const char *name,
                        uint64_t size)
{
    memset(mr, 0, sizeof(*mr));
    mr->name = emu_strdup(name ? name : "anonymous");
    mr->type = MR_CONTAINER;
    mr->size = size;
    mr->owner = owner;
    mr->ram_addr = RAM_ADDR_INVALID;
    mr->enabled = true;
    TAILQ_INIT(&mr->subregions);
}

void memory_region_init_io(MemoryRegion *mr, void *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size)
{
    memory_region_init(mr, owner, name, size);
    mr->type = MR_IO;
    mr->ops = ops;
    mr->opaque = opaque;
}

void memory_region_init_alias(MemoryRegion *mr, void *owner, const char *name,
                              MemoryRegion *orig, hwaddr offset,
                              uint64_t size)
{
    memory_region_init(mr, owner, name, size);
    mr->type = MR_ALIAS;
    mr->alias = orig;
    mr->alias_offset = offset;
}

static void memory_region_update_pending(void)
{
    memory_region_transaction_begin();
    topology_update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_finalize(MemoryRegion *mr)
{
    MemoryRegion *sub;

    /* Views are recomputed at commit, before mr's memory goes away */
    memory_region_transaction_begin();
    if (mr->container) {
        memory_region_del_subregion(mr->container, mr);
    }
    while ((sub = TAILQ_FIRST(&mr->subregions)) != NULL) {
        memory_region_del_subregion(mr, sub);
    }
    memory_region_transaction_commit();

    if (mr->ram_addr != RAM_ADDR_INVALID || mr->host_owned) {
        ram_block_release(mr);
    }
    free(mr->name);
    mr->name = NULL;
    mr->host = NULL;
    mr->ops = NULL;
    mr->alias = NULL;
}

/* ------------------------------------------------------------------ */
/* Tree building                                                       */

static bool ranges_overlap128(i128 a_start, i128 a_size,
                              i128 b_start, i128 b_size)
{
    return a_start < b_start + b_size && b_start < a_start + a_size;
}

static void memory_region_add_subregion_common(MemoryRegion *container,
                                               hwaddr offset,
                                               MemoryRegion *sub)
{
    MemoryRegion *other;

    assert(!sub->container);
    assert(sub != container);

    if (!sub->may_overlap) {
        TAILQ_FOREACH(other, &container->subregions, subregions_link) {
            if (!other->may_overlap &&
                ranges_overlap128(offset, mr_size128(sub),
                                  other->addr, mr_size128(other))) {
                warn_report("memory region '%s' at 0x%" HWADDR_PRIx
                            " overlaps '%s' at 0x%" HWADDR_PRIx " in '%s'",
                            sub->name, offset, other->name, other->addr,
                            container->name);
                break;
            }
        }
    }

    memory_region_transaction_begin();
    sub->container = container;
    sub->addr = offset;
    /*
     * Rendering walks the list in order and the first region to claim an
     * address wins, so keep it sorted by descending priority with newer
     * regions ahead of older ones of the same priority.
     */
    TAILQ_FOREACH(other, &container->subregions, subregions_link) {
        if (sub->priority >= other->priority) {
            TAILQ_INSERT_BEFORE(other, sub, subregions_link);
            goto inserted;
        }
    }
    TAILQ_INSERT_TAIL(&container->subregions, sub, subregions_link);
inserted:
    topology_update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_add_subregion(MemoryRegion *container, hwaddr offset,
                                 MemoryRegion *sub)
{
    sub->may_overlap = false;
    sub->priority = 0;
    memory_region_add_subregion_common(container, offset, sub);
}

void memory_region_add_subregion_overlap(MemoryRegion *container,
                                         hwaddr offset, MemoryRegion *sub,
                                         int priority)
{
    sub->may_overlap = true;
    sub->priority = priority;
    memory_region_add_subregion_common(container, offset, sub);
}

void memory_region_del_subregion(MemoryRegion *container, MemoryRegion *sub)
{
    assert(sub->container == container);
    memory_region_transaction_begin();
    TAILQ_REMOVE(&container->subregions, sub, subregions_link);
    sub->container = NULL;
    topology_update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        memory_region_update_pending();
    }
}

void memory_region_set_address(MemoryRegion *mr, hwaddr addr)
{
    MemoryRegion *container = mr->container;

    if (mr->addr == addr) {
        return;
    }
    if (!container) {
        mr->addr = addr;
        return;
    }
    /* Re-insert so that it stays ahead of older same-priority siblings */
    memory_region_transaction_begin();
    memory_region_del_subregion(container, mr);
    memory_region_add_subregion_common(container, addr, mr);
    memory_region_transaction_commit();
}

void memory_region_set_size(MemoryRegion *mr, uint64_t size)
{
    if (mr->size == size) {
        return;
    }
    if (mr->host && size > mr->size) {
        /* The host memory behind it was sized at creation */
        warn_report("cannot grow RAM region '%s'", mr->name);
        return;
    }
    mr->size = size;
    memory_region_update_pending();
}

void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset)
{
    assert(mr->type == MR_ALIAS);
    if (mr->alias_offset != offset) {
        mr->alias_offset = offset;
        memory_region_update_pending();
    }
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    if (mr->readonly != readonly) {
        mr->readonly = readonly;
        memory_region_update_pending();
    }
}

void memory_region_rom_device_set_romd(MemoryRegion *mr, bool romd_mode)
{
    if (mr->romd_mode != romd_mode) {
        mr->romd_mode = romd_mode;
        memory_region_update_pending();
    }
}

void memory_region_set_log(MemoryRegion *mr, bool log, unsigned client)
{
    uint8_t mask;

    assert(client < DIRTY_MEMORY_NUM);
    while (mr->type == MR_ALIAS && mr->alias) {
        mr = mr->alias;
    }
    mask = mr->dirty_log_mask;
    if (log) {
        mask |= 1u << client;
    } else {
        mask &= ~(1u << client);
    }
    if (mask != mr->dirty_log_mask) {
        mr->dirty_log_mask = mask;
        memory_region_update_pending();
    }
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */

const char *memory_region_name(const MemoryRegion *mr)
{
    return mr->name ? mr->name : "";
}

uint64_t memory_region_size(const MemoryRegion *mr)
{
    return mr->size;
}

bool memory_region_is_ram(const MemoryRegion *mr)
{
    while (mr->type == MR_ALIAS && mr->alias) {
        mr = mr->alias;
    }
    return mr->type == MR_RAM || mr->type == MR_ROM || mr->type == MR_ROMD;
}

bool memory_region_is_rom(const MemoryRegion *mr)
{
    while (mr->type == MR_ALIAS && mr->alias) {
        mr = mr->alias;
    }
    return mr->type == MR_ROM;
}

void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    hwaddr offset = 0;

    while (mr->type == MR_ALIAS && mr->alias) {
        offset += mr->alias_offset;
        mr = mr->alias;
    }
    return mr->host ? mr->host + offset : NULL;
}

ram_addr_t memory_region_get_ram_addr(const MemoryRegion *mr)
{
    hwaddr offset = 0;

    while (mr->type == MR_ALIAS && mr->alias) {
        offset += mr->alias_offset;
        mr = mr->alias;
    }
    if (mr->ram_addr == RAM_ADDR_INVALID) {
        return RAM_ADDR_INVALID;
    }
    return mr->ram_addr + offset;
}

/* ------------------------------------------------------------------ */
/* Flattening                                                          */

/* A piece of the view under construction, with 128-bit bounds */
typedef struct RenderRange {
    MemoryRegion *mr;
    i128 start;
    i128 end;
    uint64_t offset_in_region;
    bool readonly;
} RenderRange;

typedef struct RenderView {
    RenderRange *ranges;
    size_t nr;
    size_t cap;
} RenderView;

static void render_insert(RenderView *v, size_t idx, const RenderRange *rr)
{
    if (v->nr == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->ranges = emu_realloc(v->ranges, v->cap * sizeof(*v->ranges));
    }
    memmove(&v->ranges[idx + 1], &v->ranges[idx],
            (v->nr - idx) * sizeof(*v->ranges));
    v->ranges[idx] = *rr;
    v->nr++;
}

/* First range whose end lies above addr */
static size_t render_find(const RenderView *v, i128 addr)
{
    size_t lo = 0, hi = v->nr;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->ranges[mid].end <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/*
 * Map mr over the parts of [start, end) that nothing rendered earlier
 * (higher priority, or a subregion of mr) already claims.  base is the
 * address of mr's byte 0.
 */
static void render_fill(RenderView *v, MemoryRegion *mr, i128 base,
                        i128 start, i128 end, bool readonly)
{
    size_t i = render_find(v, start);
    RenderRange rr = { .mr = mr, .readonly = readonly };

    while (start < end) {
        while (i < v->nr && v->ranges[i].end <= start) {
            i++;
        }
        if (i == v->nr || v->ranges[i].start >= end) {
            rr.start = start;
            rr.end = end;
            rr.offset_in_region = (uint64_t)(start - base);
            render_insert(v, i, &rr);
            return;
        }
        if (v->ranges[i].start > start) {
            rr.start = start;
            rr.end = v->ranges[i].start;
            rr.offset_in_region = (uint64_t)(start - base);
            render_insert(v, i, &rr);
            i++;
        }
        start = v->ranges[i].end;
        i++;
    }
}

static void render_region(RenderView *v, MemoryRegion *mr, i128 base,
                          i128 clip_start, i128 clip_end, bool readonly,
                          unsigned depth)
{
    MemoryRegion *sub;
    i128 start, end;

    if (!mr->enabled || depth > RENDER_MAX_DEPTH) {
        return;
    }
    start = MAX(base, clip_start);
    end = MIN(base + mr_size128(mr), clip_end);
    if (start >= end) {
        return;
    }
    readonly |= mr->readonly;

    if (mr->type == MR_ALIAS) {
        if (mr->alias) {
            render_region(v, mr->alias, base - (i128)mr->alias_offset,
                          start, end, readonly, depth + 1);
        }
        return;
    }

    TAILQ_FOREACH(sub, &mr->subregions, subregions_link) {
        render_region(v, sub, base + (i128)sub->addr, start, end, readonly,
                      depth + 1);
    }

    if (mr->type == MR_CONTAINER) {
        return;
    }
    render_fill(v, mr, base, start, end, readonly || mr->type == MR_ROM);
}

static bool render_can_merge(const RenderRange *a, const RenderRange *b)
{
    return a->mr == b->mr && a->end == b->start &&
           a->readonly == b->readonly &&
           (i128)a->offset_in_region + (a->end - a->start) ==
               (i128)b->offset_in_region;
}

static void flatview_append(FlatView *fv, const FlatRange *fr)
{
    if (fv->nr == fv->nr_allocated) {
        fv->nr_allocated = fv->nr_allocated ? fv->nr_allocated * 2 : 16;
        fv->ranges = emu_realloc(fv->ranges,
                                 fv->nr_allocated * sizeof(*fv->ranges));
    }
    fv->ranges[fv->nr++] = *fr;
}

static FlatView *generate_flatview(MemoryRegion *root)
{
    RenderView v = { 0 };
    FlatView *fv = emu_new0(FlatView, 1);
    size_t i, out;

    fv->ref = 1;
    if (root) {
        render_region(&v, root, 0, 0, ADDR_SPACE_END, false, 0);
    }

    /* Join neighbours that continue the same region contiguously */
    for (i = 0, out = 0; i < v.nr; i++) {
        if (out && render_can_merge(&v.ranges[out - 1], &v.ranges[i])) {
            v.ranges[out - 1].end = v.ranges[i].end;
        } else {
            v.ranges[out++] = v.ranges[i];
        }
    }
    v.nr = out;

    for (i = 0; i < v.nr; i++) {
        const RenderRange *rr = &v.ranges[i];
        MemoryRegion *mr = rr->mr;
        FlatRange fr = {
            .mr = mr,
            .offset_in_region = rr->offset_in_region,
            .start = (hwaddr)rr->start,
            .readonly = rr->readonly,
            .romd_mode = mr->type == MR_ROMD && mr->romd_mode,
            .dirty_log_mask = mr->dirty_log_mask,
        };
        i128 size = rr->end - rr->start;

        if (size == ADDR_SPACE_END) {
            /* 2^64 bytes do not fit in FlatRange.size: use two halves */
            fr.size = 1ULL << 63;
            flatview_append(fv, &fr);
            fr.start += 1ULL << 63;
            fr.offset_in_region += 1ULL << 63;
        } else {
            fr.size = (uint64_t)size;
        }
        flatview_append(fv, &fr);
    }
    free(v.ranges);
    return fv;
}

/*
 * Flat views are read without the global lock (vCPU page-table walks,
 * TLB fills, port I/O from the translator) while the main loop may
 * replace an address space's view: references are atomic, and taking
 * a reference to the current view is atomic with respect to the swap
 * (current_map_lock), so a reader's view stays alive until it drops it.
 */
static pthread_mutex_t current_map_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Each thread keeps a reference to the views it got last, tagged with
 * the address space's view generation.  While the generation is the same,
 * taking the view is a borrow counted in the thread's entry, with no
 * atomic operation and no lock: a DMA engine walking a descriptor table,
 * port I/O and TLB fills take views thousands of times per guest I/O, and
 * first current_map_lock, then the atomic reference count bouncing
 * between the vCPU's and the main loop's cores were a fifth and then an
 * eighth of the vCPU thread in an IDE write.  flatview_unref gives a
 * borrow back to the thread's entry when it has one for that view (views
 * never change threads between get and unref: every caller pairs them in
 * one function; and references are interchangeable, so which one is given
 * back does not matter); an entry that is replaced or dropped turns its
 * outstanding borrows into real references first.  Generations come from
 * one counter for all address spaces, so an entry never matches a later
 * address space that reuses a freed one's memory.  A thread holds at
 * most VIEW_CACHE_WAYS stale views, released when it looks again or exits.
 */
#define VIEW_CACHE_WAYS 4

typedef struct ViewCacheEntry {
    AddressSpace *as;
    uint64_t gen;
    FlatView *fv;               /* holds one reference of its own */
    unsigned borrowed;          /* references lent out, not counted in fv */
} ViewCacheEntry;

static uint64_t view_gen_counter;
static pthread_key_t view_cache_key;
static pthread_once_t view_cache_once = PTHREAD_ONCE_INIT;
static __thread ViewCacheEntry view_cache[VIEW_CACHE_WAYS];
static __thread unsigned view_cache_next;

FlatView *flatview_ref(FlatView *fv)
{
    __atomic_fetch_add(&fv->ref, 1, __ATOMIC_RELAXED);
    return fv;
}

static void flatview_drop(FlatView *fv)
{
    unsigned old = __atomic_fetch_sub(&fv->ref, 1, __ATOMIC_ACQ_REL);

    assert(old > 0);
    if (old == 1) {
        free(fv->ranges);
        free(fv);
    }
}

void flatview_unref(FlatView *fv)
{
    for (unsigned i = 0; i < VIEW_CACHE_WAYS; i++) {
        if (view_cache[i].fv == fv && view_cache[i].borrowed) {
            view_cache[i].borrowed--;
            return;
        }
    }
    flatview_drop(fv);
}

/* The entry lets go of its view: borrows become references, its own goes */
static void view_cache_clear(ViewCacheEntry *e)
{
    FlatView *fv = e->fv;

    if (fv) {
        if (e->borrowed) {
            __atomic_fetch_add(&fv->ref, e->borrowed, __ATOMIC_RELAXED);
        }
        *e = (ViewCacheEntry){ 0 };
        flatview_drop(fv);
    } else {
        *e = (ViewCacheEntry){ 0 };
    }
}

static void view_cache_release(void *unused)
{
    (void)unused;
    for (unsigned i = 0; i < VIEW_CACHE_WAYS; i++) {
        view_cache_clear(&view_cache[i]);
    }
}

static void view_cache_key_init(void)
{
    if (pthread_key_create(&view_cache_key, view_cache_release) != 0) {
        abort();
    }
}

FlatView *address_space_get_flatview(AddressSpace *as)
{
    uint64_t gen = __atomic_load_n(&as->view_gen, __ATOMIC_ACQUIRE);
    ViewCacheEntry *e = NULL;
    FlatView *fv;

    for (unsigned i = 0; i < VIEW_CACHE_WAYS; i++) {
        if (view_cache[i].as == as) {
            if (view_cache[i].gen == gen && view_cache[i].fv) {
                view_cache[i].borrowed++;
                return view_cache[i].fv;
            }
            e = &view_cache[i];
            break;
        }
    }
    if (!e) {
        e = &view_cache[view_cache_next++ % VIEW_CACHE_WAYS];
    }
    pthread_mutex_lock(&current_map_lock);
    fv = as->current_map;
    gen = as->view_gen;
    if (fv) {
        flatview_ref(fv);               /* the caller's */
        flatview_ref(fv);               /* the cache's */
    }
    pthread_mutex_unlock(&current_map_lock);
    if (!e->fv) {
        /* the first entry of this thread: drop the cache at its exit */
        pthread_once(&view_cache_once, view_cache_key_init);
        pthread_setspecific(view_cache_key, view_cache);
    }
    view_cache_clear(e);
    *e = (ViewCacheEntry){ .as = as, .gen = gen, .fv = fv };
    return fv;
}

static void address_space_set_flatview(AddressSpace *as, FlatView *fv)
{
    pthread_mutex_lock(&current_map_lock);
    as->current_map = fv;
    __atomic_store_n(&as->view_gen,
                     __atomic_add_fetch(&view_gen_counter, 1,
                                        __ATOMIC_RELAXED),
                     __ATOMIC_RELEASE);
    pthread_mutex_unlock(&current_map_lock);
}

/* Index of the last range starting at or below addr, or -1 */
static long flatview_find_index(const FlatView *fv, hwaddr addr)
{
    long lo = 0, hi = (long)fv->nr - 1, found = -1;

    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (fv->ranges[mid].start <= addr) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

static bool flatrange_contains(const FlatRange *fr, hwaddr addr)
{
    return addr >= fr->start && addr - fr->start < fr->size;
}

const FlatRange *flatview_lookup(FlatView *fv, hwaddr addr)
{
    long idx = flatview_find_index(fv, addr);

    if (idx >= 0 && flatrange_contains(&fv->ranges[idx], addr)) {
        return &fv->ranges[idx];
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Listeners and topology updates                                      */

static MemoryRegionSection section_from_flatrange(AddressSpace *as,
                                                  const FlatRange *fr)
{
    return (MemoryRegionSection) {
        .mr = fr->mr,
        .as = as,
        .offset_within_region = fr->offset_in_region,
        .offset_within_address_space = fr->start,
        .size = fr->size,
        .readonly = fr->readonly,
    };
}

/* Same mapping; the dirty log mask may differ (reported separately) */
static bool flatrange_equal(const FlatRange *a, const FlatRange *b)
{
    return a->mr == b->mr && a->start == b->start && a->size == b->size &&
           a->offset_in_region == b->offset_in_region &&
           a->readonly == b->readonly && a->romd_mode == b->romd_mode;
}

static void listeners_call_del(AddressSpace *as, const FlatRange *fr)
{
    MemoryListener *l;
    MemoryRegionSection s = section_from_flatrange(as, fr);

    TAILQ_FOREACH_REVERSE(l, &memory_listeners, memory_listeners_head, link) {
        if (l->address_space != as) {
            continue;
        }
        if (fr->dirty_log_mask && l->log_stop) {
            l->log_stop(l, &s, fr->dirty_log_mask, 0);
        }
        if (l->region_del) {
            l->region_del(l, &s);
        }
    }
}

static void listeners_call_add(AddressSpace *as, const FlatRange *fr)
{
    MemoryListener *l;
    MemoryRegionSection s = section_from_flatrange(as, fr);

    TAILQ_FOREACH(l, &memory_listeners, link) {
        if (l->address_space != as) {
            continue;
        }
        if (l->region_add) {
            l->region_add(l, &s);
        }
        if (fr->dirty_log_mask && l->log_start) {
            l->log_start(l, &s, 0, fr->dirty_log_mask);
        }
    }
}

static void listeners_call_nop(AddressSpace *as, const FlatRange *old,
                               const FlatRange *new)
{
    MemoryListener *l;
    MemoryRegionSection s = section_from_flatrange(as, new);
    int old_mask = old->dirty_log_mask, new_mask = new->dirty_log_mask;

    TAILQ_FOREACH(l, &memory_listeners, link) {
        if (l->address_space != as) {
            continue;
        }
        if (l->region_nop) {
            l->region_nop(l, &s);
        }
        if ((new_mask & ~old_mask) && l->log_start) {
            l->log_start(l, &s, old_mask, new_mask);
        }
        if ((old_mask & ~new_mask) && l->log_stop) {
            l->log_stop(l, &s, old_mask, new_mask);
        }
    }
}

/*
 * Walk both sorted views in step.  The first pass reports ranges that
 * went away (so that listeners free slots before reusing addresses), the
 * second the new and unchanged ones.
 */
static void address_space_diff_pass(AddressSpace *as, const FlatView *old,
                                    const FlatView *new, bool adding)
{
    unsigned iold = 0, inew = 0;

    while (iold < old->nr || inew < new->nr) {
        const FlatRange *frold = iold < old->nr ? &old->ranges[iold] : NULL;
        const FlatRange *frnew = inew < new->nr ? &new->ranges[inew] : NULL;

        if (frold &&
            (!frnew || frold->start < frnew->start ||
             (frold->start == frnew->start &&
              !flatrange_equal(frold, frnew)))) {
            if (!adding) {
                listeners_call_del(as, frold);
            }
            iold++;
        } else if (frold && frnew && flatrange_equal(frold, frnew)) {
            if (adding) {
                listeners_call_nop(as, frold, frnew);
            }
            iold++;
            inew++;
        } else {
            if (adding) {
                listeners_call_add(as, frnew);
            }
            inew++;
        }
    }
}

static void address_space_update_topology(AddressSpace *as)
{
    FlatView *old = as->current_map;
    FlatView *new = generate_flatview(as->root);

    address_space_set_flatview(as, new);
    if (old) {
        address_space_diff_pass(as, old, new, false);
        address_space_diff_pass(as, old, new, true);
        flatview_unref(old);
    }
}

void memory_region_transaction_begin(void)
{
    transaction_depth++;
}

void memory_region_transaction_commit(void)
{
    MemoryListener *l;
    AddressSpace *as;

    assert(transaction_depth > 0);
    if (--transaction_depth > 0 || !topology_update_pending) {
        return;
    }
    /*
     * Listeners may change the topology from their callbacks; keep the
     * depth raised so those changes are batched into another round.
     */
    transaction_depth++;
    while (topology_update_pending) {
        topology_update_pending = false;
        TAILQ_FOREACH(l, &memory_listeners, link) {
            if (l->begin) {
                l->begin(l);
            }
        }
        TAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
            address_space_update_topology(as);
        }
        TAILQ_FOREACH(l, &memory_listeners, link) {
            if (l->commit) {
                l->commit(l);
            }
        }
    }
    transaction_depth--;
}

void memory_listener_register(MemoryListener *l, AddressSpace *as)
{
    MemoryListener *other;
    FlatView *fv = as->current_map;
    unsigned i;

    assert(!l->address_space);
    l->address_space = as;
    TAILQ_FOREACH(other, &memory_listeners, link) {
        if (l->priority < other->priority) {
            TAILQ_INSERT_BEFORE(other, l, link);
            goto inserted;
        }
    }
    TAILQ_INSERT_TAIL(&memory_listeners, l, link);
inserted:

    /* Bring the newcomer up to date with the current view */
    if (l->begin) {
        l->begin(l);
    }
    for (i = 0; fv && i < fv->nr; i++) {
        MemoryRegionSection s = section_from_flatrange(as, &fv->ranges[i]);
        if (l->region_add) {
            l->region_add(l, &s);
        }
        if (fv->ranges[i].dirty_log_mask && l->log_start) {
            l->log_start(l, &s, 0, fv->ranges[i].dirty_log_mask);
        }
    }
    if (l->commit) {
        l->commit(l);
    }
}

void memory_listener_unregister(MemoryListener *l)
{
    AddressSpace *as = l->address_space;
    FlatView *fv;
    unsigned i;

    if (!as) {
        return;
    }
    fv = as->current_map;
    if (l->begin) {
        l->begin(l);
    }
    for (i = 0; fv && i < fv->nr; i++) {
        MemoryRegionSection s = section_from_flatrange(as, &fv->ranges[i]);
        if (fv->ranges[i].dirty_log_mask && l->log_stop) {
            l->log_stop(l, &s, fv->ranges[i].dirty_log_mask, 0);
        }
        if (l->region_del) {
            l->region_del(l, &s);
        }
    }
    if (l->commit) {
        l->commit(l);
    }
    TAILQ_REMOVE(&memory_listeners, l, link);
    l->address_space = NULL;
}

static void sync_dirty_sections(MemoryRegion *mr)
{
    MemoryListener *l;

    TAILQ_FOREACH(l, &memory_listeners, link) {
        FlatView *fv = l->address_space->current_map;
        unsigned i;

        if (!l->log_sync || !fv) {
            continue;
        }
        for (i = 0; i < fv->nr; i++) {
            MemoryRegionSection s;

            if (mr && fv->ranges[i].mr != mr) {
                continue;
            }
            s = section_from_flatrange(l->address_space, &fv->ranges[i]);
            l->log_sync(l, &s);
        }
    }
}

void memory_region_sync_dirty_bitmap(MemoryRegion *mr)
{
    while (mr->type == MR_ALIAS && mr->alias) {
        mr = mr->alias;
    }
    sync_dirty_sections(mr);
}

void memory_global_dirty_log_sync(void)
{
    sync_dirty_sections(NULL);
}

/* ------------------------------------------------------------------ */
/* Address spaces                                                      */

void address_space_init(AddressSpace *as, MemoryRegion *root,
                        const char *name)
{
    memset(as, 0, sizeof(*as));
    as->name = emu_strdup(name ? name : "anonymous");
    as->root = root;
    address_space_set_flatview(as, generate_flatview(root));
    TAILQ_INSERT_TAIL(&address_spaces, as, address_spaces_link);
}

void address_space_destroy(AddressSpace *as)
{
    MemoryListener *l, *next;

    /* Listeners still attached hear that everything went away */
    for (l = TAILQ_FIRST(&memory_listeners); l; l = next) {
        next = TAILQ_NEXT(l, link);
        if (l->address_space == as) {
            memory_listener_unregister(l);
        }
    }
    TAILQ_REMOVE(&address_spaces, as, address_spaces_link);
    FlatView *old = as->current_map;

    address_space_set_flatview(as, NULL);
    flatview_unref(old);
    free(as->name);
    as->name = NULL;
    as->root = NULL;
}

FlatView *address_space_to_flatview(AddressSpace *as)
{
    return as->current_map;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_IS_BIG_ENDIAN true
#else
#define HOST_IS_BIG_ENDIAN false
#endif

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

/* Number in the given byte order from/to a byte buffer */
static uint64_t load_bytes(const uint8_t *p, unsigned size, bool big_endian)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        unsigned shift = big_endian ? (size - 1 - i) * 8 : i * 8;
        v |= (uint64_t)p[i] << shift;
    }
    return v;
}

static void store_bytes(uint8_t *p, unsigned size, bool big_endian,
                        uint64_t v)
{
    unsigned i;

    for (i = 0; i < size; i++) {
        unsigned shift = big_endian ? (size - 1 - i) * 8 : i * 8;
        p[i] = v >> shift;
    }
}

static uint64_t bswap_size(uint64_t v, unsigned size)
{
    uint8_t tmp[8];

    store_bytes(tmp, size, false, v);
    return load_bytes(tmp, size, true);
}

static bool mr_big_endian(const MemoryRegion *mr)
{
    switch (mr->ops->endianness) {
    case DEVICE_BIG_ENDIAN:
        return true;
    case DEVICE_LITTLE_ENDIAN:
        return false;
    default:
        return HOST_IS_BIG_ENDIAN;
    }
}

static unsigned pow2_floor(unsigned v)
{
    unsigned p = 1;

    while (p * 2 <= v) {
        p *= 2;
    }
    return p;
}

/* Access-size bounds of ops, with the documented defaults, within 1..8 */
static unsigned ops_valid_min(const MemoryRegionOps *ops)
{
    return ops->valid.min_access_size ? MIN(ops->valid.min_access_size, 8u)
                                      : 1;
}

static unsigned ops_valid_max(const MemoryRegionOps *ops)
{
    return ops->valid.max_access_size ? MIN(ops->valid.max_access_size, 8u)
                                      : 4;
}

static void ops_impl_bounds(const MemoryRegionOps *ops, unsigned *min,
                            unsigned *max)
{
    unsigned lo = ops->impl.min_access_size ?: 1;
    unsigned hi = ops->impl.max_access_size ?: 4;

    lo = pow2_floor(MIN(lo, 8u));
    hi = pow2_floor(MIN(hi, 8u));
    *min = lo;
    *max = MAX(lo, hi);
}

static bool io_access_valid(MemoryRegion *mr, hwaddr addr, unsigned size,
                            bool is_write)
{
    const MemoryRegionOps *ops = mr->ops;
    const char *what = is_write ? "write" : "read";

    if (size < ops_valid_min(ops) || size > ops_valid_max(ops)) {
        emu_log_mask(LOG_GUEST_ERROR,
                     "Invalid %s at addr 0x%" HWADDR_PRIx ", size %u, "
                     "region '%s', reason: invalid size (min:%u max:%u)\n",
                     what, addr, size, mr->name, ops_valid_min(ops),
                     ops_valid_max(ops));
        return false;
    }
    if (!ops->valid.unaligned && (addr & (size - 1))) {
        emu_log_mask(LOG_GUEST_ERROR,
                     "Invalid %s at addr 0x%" HWADDR_PRIx ", size %u, "
                     "region '%s', reason: unaligned\n",
                     what, addr, size, mr->name);
        return false;
    }
    if (ops->valid.accepts &&
        !ops->valid.accepts(mr->opaque, addr, size, is_write)) {
        emu_log_mask(LOG_GUEST_ERROR,
                     "Invalid %s at addr 0x%" HWADDR_PRIx ", size %u, "
                     "region '%s', reason: rejected\n",
                     what, addr, size, mr->name);
        return false;
    }
    return true;
}

static MemTxResult io_call_read(MemoryRegion *mr, hwaddr addr, uint64_t *val,
                                unsigned size)
{
    const MemoryRegionOps *ops = mr->ops;
    MemTxResult r = MEMTX_OK;
    uint64_t v = 0;

    if (ops->read_with_result) {
        r = ops->read_with_result(mr->opaque, addr, &v, size);
    } else if (ops->read) {
        v = ops->read(mr->opaque, addr, size);
    }
    *val = v & size_mask(size);
    return r;
}

static MemTxResult io_call_write(MemoryRegion *mr, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    const MemoryRegionOps *ops = mr->ops;

    if (ops->write_with_result) {
        return ops->write_with_result(mr->opaque, addr, val, size);
    }
    if (ops->write) {
        ops->write(mr->opaque, addr, val, size);
    }
    return MEMTX_OK;
}

/*
 * One guest access of 'size' bytes at region offset addr, *val being the
 * number as the device sees it.  Checks the guest-side rules, then issues
 * the callbacks the implementation accepts: several smaller accesses for
 * a large one, or a wider one around a small one (read-modify-write when
 * writing), aligned unless impl.unaligned.
 */
static MemTxResult io_dispatch(MemoryRegion *mr, hwaddr addr, uint64_t *val,
                               unsigned size, bool is_write)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned impl_min, impl_max, chunk_size, lead, nchunks, n;
    bool big_endian = mr_big_endian(mr);
    uint8_t bytes[8];
    hwaddr first;
    MemTxResult r = MEMTX_OK;

    if (!io_access_valid(mr, addr, size, is_write)) {
        if (!is_write) {
            *val = size_mask(size);
        }
        return MEMTX_ERROR;
    }

    ops_impl_bounds(ops, &impl_min, &impl_max);
    chunk_size = MIN(MAX(size, impl_min), impl_max);
    lead = ops->impl.unaligned ? 0 : (unsigned)(addr & (chunk_size - 1));
    first = addr - lead;
    nchunks = (lead + size + chunk_size - 1) / chunk_size;

    if (nchunks == 1 && lead == 0 && chunk_size == size) {
        if (is_write) {
            return io_call_write(mr, addr, *val & size_mask(size), size);
        }
        return io_call_read(mr, addr, val, size);
    }

    /* Work on the bytes in address order, as the guest lays them out */
    if (is_write) {
        store_bytes(bytes, size, big_endian, *val);
    }
    for (n = 0; n < nchunks; n++) {
        unsigned rel = n * chunk_size;
        unsigned lo = MAX(rel, lead);
        unsigned hi = MIN(rel + chunk_size, lead + size);
        hwaddr chunk_addr = first + rel;
        uint8_t chunk[8];
        uint64_t cv;

        if (is_write) {
            if (lo > rel || hi < rel + chunk_size) {
                r |= io_call_read(mr, chunk_addr, &cv, chunk_size);
                store_bytes(chunk, chunk_size, big_endian, cv);
            }
            memcpy(chunk + (lo - rel), bytes + (lo - lead), hi - lo);
            cv = load_bytes(chunk, chunk_size, big_endian);
            r |= io_call_write(mr, chunk_addr, cv, chunk_size);
        } else {
            r |= io_call_read(mr, chunk_addr, &cv, chunk_size);
            store_bytes(chunk, chunk_size, big_endian, cv);
            memcpy(bytes + (lo - lead), chunk + (lo - rel), hi - lo);
        }
    }
    if (!is_write) {
        *val = load_bytes(bytes, size, big_endian);
    }
    return r;
}

/* Largest access to use for l bytes of a buffer at region offset addr */
static unsigned io_buffer_access_size(const MemoryRegion *mr, hwaddr addr,
                                      hwaddr l)
{
    unsigned max = ops_valid_max(mr->ops);

    if (!mr->ops->impl.unaligned) {
        hwaddr align = addr & -addr;
        if (align && align < max) {
            max = (unsigned)align;
        }
    }
    if (l < max) {
        max = (unsigned)l;
    }
    return pow2_floor(max);
}

static MemTxResult unassigned_access(AddressSpace *as, hwaddr addr,
                                     uint8_t *buf, hwaddr len, bool is_write,
                                     bool quiet)
{
    if (!is_write) {
        memset(buf, 0xff, len);
    }
    if (!quiet) {
        emu_log_mask(LOG_GUEST_ERROR,
                     "Unassigned %s at addr 0x%" HWADDR_PRIx ", size %"
                     PRIu64 ", address space '%s'\n",
                     is_write ? "write" : "read", addr, (uint64_t)len,
                     as->name);
    }
    return MEMTX_DECODE_ERROR;
}

/* Do accesses to this range copy host memory? */
static bool flatrange_is_direct(const FlatRange *fr, bool is_write,
                                bool force_rom)
{
    switch (fr->mr->type) {
    case MR_RAM:
    case MR_ROM:
        return fr->mr->host != NULL;
    case MR_ROMD:
        return fr->mr->host != NULL &&
               (is_write ? force_rom : fr->romd_mode);
    default:
        return false;
    }
}

static MemTxResult flatrange_access(AddressSpace *as, const FlatRange *fr,
                                    hwaddr addr, uint8_t *buf, hwaddr len,
                                    bool is_write, bool force_rom)
{
    MemoryRegion *mr = fr->mr;
    hwaddr offset = fr->offset_in_region + (addr - fr->start);
    MemTxResult r = MEMTX_OK;

    if (flatrange_is_direct(fr, is_write, force_rom)) {
        if (!is_write) {
            memcpy(buf, mr->host + offset, len);
        } else if (force_rom || !(fr->readonly || mr->type == MR_ROM)) {
            memcpy(mr->host + offset, buf, len);
            if (mr->ram_addr != RAM_ADDR_INVALID) {
                ram_dirty_set(mr->ram_addr + offset, len);
            }
        }
        /* Guest writes to ROM are silently dropped, as on hardware */
        return MEMTX_OK;
    }

    if (!mr->ops) {
        return unassigned_access(as, addr, buf, len, is_write, force_rom);
    }
    if (force_rom) {
        /* Loaders only fill memory; device registers are skipped */
        return MEMTX_OK;
    }
    while (len > 0) {
        unsigned l = io_buffer_access_size(mr, offset, len);
        bool big_endian = mr_big_endian(mr);
        uint64_t val = 0;

        if (is_write) {
            val = load_bytes(buf, l, big_endian);
        }
        r |= io_dispatch(mr, offset, &val, l, is_write);
        if (!is_write) {
            store_bytes(buf, l, big_endian, val);
        }
        buf += l;
        offset += l;
        len -= l;
    }
    return r;
}

static MemTxResult flatview_rw(AddressSpace *as, FlatView *fv, hwaddr addr,
                               uint8_t *buf, hwaddr len, bool is_write,
                               bool force_rom)
{
    MemTxResult r = MEMTX_OK;

    while (len > 0) {
        long idx = flatview_find_index(fv, addr);
        const FlatRange *fr = idx >= 0 ? &fv->ranges[idx] : NULL;
        hwaddr l = len;

        if (fr && flatrange_contains(fr, addr)) {
            l = MIN(len, fr->size - (addr - fr->start));
            r |= flatrange_access(as, fr, addr, buf, l, is_write, force_rom);
        } else {
            if ((unsigned long)(idx + 1) < fv->nr) {
                l = MIN(len, fv->ranges[idx + 1].start - addr);
            }
            r |= unassigned_access(as, addr, buf, l, is_write, force_rom);
        }
        buf += l;
        len -= l;
        if (len && addr + l < addr) {
            /* Ran past the top of the address space: nothing there */
            r |= unassigned_access(as, 0, buf, len, is_write, force_rom);
            break;
        }
        addr += l;
    }
    return r;
}

static MemTxResult address_space_access(AddressSpace *as, hwaddr addr,
                                        void *buf, hwaddr len, bool is_write,
                                        bool force_rom)
{
    FlatView *fv = address_space_get_flatview(as);
    MemTxResult r = flatview_rw(as, fv, addr, buf, len, is_write, force_rom);

    flatview_unref(fv);
    return r;
}

MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, void *buf,
                             hwaddr len, bool is_write)
{
    return address_space_access(as, addr, buf, len, is_write, false);
}

MemTxResult address_space_read(AddressSpace *as, hwaddr addr, void *buf,
                               hwaddr len)
{
    return address_space_access(as, addr, buf, len, false, false);
}

MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                const void *buf, hwaddr len)
{
    return address_space_access(as, addr, (void *)buf, len, true, false);
}

MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr,
                                    const void *buf, hwaddr len)
{
    return address_space_access(as, addr, (void *)buf, len, true, true);
}

MemTxResult address_space_set(AddressSpace *as, hwaddr addr, uint8_t c,
                              hwaddr len)
{
    uint8_t chunk[512];
    MemTxResult r = MEMTX_OK;

    memset(chunk, c, sizeof(chunk));
    while (len > 0) {
        hwaddr l = MIN(len, (hwaddr)sizeof(chunk));
        r |= address_space_write(as, addr, chunk, l);
        addr += l;
        len -= l;
    }
    return r;
}

static bool access_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

/*
 * If [addr, addr+size) lies in one I/O range, return it so that the
 * access reaches the device as a single access of that size.
 */
static const FlatRange *single_io_range(FlatView *fv, hwaddr addr,
                                        unsigned size, bool is_write)
{
    const FlatRange *fr = flatview_lookup(fv, addr);

    if (!fr || fr->size - (addr - fr->start) < size ||
        flatrange_is_direct(fr, is_write, false) || !fr->mr->ops) {
        return NULL;
    }
    return fr;
}

MemTxResult flatview_load(AddressSpace *as, FlatView *fv, hwaddr addr,
                          unsigned size, bool big_endian, uint64_t *val)
{
    const FlatRange *fr;
    MemTxResult r;

    if (!access_size_ok(size)) {
        *val = UINT64_MAX;
        return MEMTX_ERROR;
    }
    fr = single_io_range(fv, addr, size, false);
    if (fr) {
        uint64_t v;
        r = io_dispatch(fr->mr, fr->offset_in_region + (addr - fr->start),
                        &v, size, false);
        if (mr_big_endian(fr->mr) != big_endian) {
            v = bswap_size(v, size);
        }
        *val = v;
    } else {
        uint8_t tmp[8];
        r = flatview_rw(as, fv, addr, tmp, size, false, false);
        *val = load_bytes(tmp, size, big_endian);
    }
    return r;
}

MemTxResult address_space_load(AddressSpace *as, hwaddr addr, unsigned size,
                               bool big_endian, uint64_t *val)
{
    FlatView *fv = address_space_get_flatview(as);
    MemTxResult r = flatview_load(as, fv, addr, size, big_endian, val);

    flatview_unref(fv);
    return r;
}

MemTxResult flatview_store(AddressSpace *as, FlatView *fv, hwaddr addr,
                           unsigned size, bool big_endian, uint64_t val)
{
    const FlatRange *fr;
    MemTxResult r;

    if (!access_size_ok(size)) {
        return MEMTX_ERROR;
    }
    val &= size_mask(size);
    fr = single_io_range(fv, addr, size, true);
    if (fr) {
        if (mr_big_endian(fr->mr) != big_endian) {
            val = bswap_size(val, size);
        }
        r = io_dispatch(fr->mr, fr->offset_in_region + (addr - fr->start),
                        &val, size, true);
    } else {
        uint8_t tmp[8];
        store_bytes(tmp, size, big_endian, val);
        r = flatview_rw(as, fv, addr, tmp, size, true, false);
    }
    return r;
}

MemTxResult address_space_store(AddressSpace *as, hwaddr addr,
                                unsigned size, bool big_endian, uint64_t val)
{
    FlatView *fv = address_space_get_flatview(as);
    MemTxResult r = flatview_store(as, fv, addr, size, big_endian, val);

    flatview_unref(fv);
    return r;
}

static uint64_t load_le(AddressSpace *as, hwaddr addr, unsigned size,
                        MemTxResult *res)
{
    uint64_t v;
    MemTxResult r = address_space_load(as, addr, size, false, &v);

    if (res) {
        *res = r;
    }
    return v;
}

static void store_le(AddressSpace *as, hwaddr addr, unsigned size,
                     uint64_t v, MemTxResult *res)
{
    MemTxResult r = address_space_store(as, addr, size, false, v);

    if (res) {
        *res = r;
    }
}

uint8_t address_space_ldub(AddressSpace *as, hwaddr addr, MemTxResult *res)
{
    return load_le(as, addr, 1, res);
}

uint16_t address_space_lduw_le(AddressSpace *as, hwaddr addr, MemTxResult *r)
{
    return load_le(as, addr, 2, r);
}

uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr, MemTxResult *r)
{
    return load_le(as, addr, 4, r);
}

uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr, MemTxResult *r)
{
    return load_le(as, addr, 8, r);
}

void address_space_stb(AddressSpace *as, hwaddr addr, uint8_t v,
                       MemTxResult *r)
{
    store_le(as, addr, 1, v, r);
}

void address_space_stw_le(AddressSpace *as, hwaddr addr, uint16_t v,
                          MemTxResult *r)
{
    store_le(as, addr, 2, v, r);
}

void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t v,
                          MemTxResult *r)
{
    store_le(as, addr, 4, v, r);
}

void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t v,
                          MemTxResult *r)
{
    store_le(as, addr, 8, v, r);
}

/* ------------------------------------------------------------------ */
/* info mtree                                                          */

#define MTREE_INDENT "  "

/* Regions reached through aliases, printed after the address spaces */
typedef struct MtreeAliasList {
    MemoryRegion **mrs;
    size_t nr;
    size_t cap;
} MtreeAliasList;

static void mtree_note_alias_target(MtreeAliasList *list, MemoryRegion *mr)
{
    size_t i;

    for (i = 0; i < list->nr; i++) {
        if (list->mrs[i] == mr) {
            return;
        }
    }
    if (list->nr == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->mrs = emu_realloc(list->mrs, list->cap * sizeof(*list->mrs));
    }
    list->mrs[list->nr++] = mr;
}

/* What "info mtree" calls the kind of a region (aliases: their target) */
static const char *mtree_region_kind(const MemoryRegion *mr)
{
    unsigned depth = 0;

    while (mr->type == MR_ALIAS && mr->alias && depth++ < RENDER_MAX_DEPTH) {
        mr = mr->alias;
    }
    switch (mr->type) {
    case MR_RAM:
        return "ram";
    case MR_ROM:
        return "rom";
    case MR_ROMD:
        return "romd";
    default:
        return "i/o";
    }
}

/* Last address of a region of that size at start (size 0 prints start) */
static hwaddr mtree_last(hwaddr start, uint64_t size)
{
    if (size == 0) {
        return start;
    }
    if (size == UINT64_MAX) {
        return start - 1;           /* start + 2^64 - 1, modulo 2^64 */
    }
    return start + size - 1;
}

static int mtree_compare(const void *a, const void *b)
{
    const MemoryRegion *ma = *(MemoryRegion *const *)a;
    const MemoryRegion *mb = *(MemoryRegion *const *)b;

    if (ma->addr != mb->addr) {
        return ma->addr < mb->addr ? -1 : 1;
    }
    if (ma->priority != mb->priority) {
        return ma->priority > mb->priority ? -1 : 1;
    }
    return 0;
}

static void mtree_print_mr(mtree_printf_fn pr, void *opaque,
                           MemoryRegion *mr, unsigned level, hwaddr base,
                           MtreeAliasList *aliases)
{
    hwaddr start = base + mr->addr;
    MemoryRegion **subs, *sub;
    size_t nsubs = 0, i;
    unsigned l;

    if (level > RENDER_MAX_DEPTH) {
        return;
    }
    for (l = 0; l < level; l++) {
        pr(opaque, MTREE_INDENT);
    }
    if (mr->type == MR_ALIAS && mr->alias) {
        mtree_note_alias_target(aliases, mr->alias);
        pr(opaque, "%016" HWADDR_PRIx "-%016" HWADDR_PRIx
           " (prio %d, %s): alias %s @%s %016" HWADDR_PRIx "-%016"
           HWADDR_PRIx "%s\n",
           start, mtree_last(start, mr->size), mr->priority,
           mtree_region_kind(mr), memory_region_name(mr),
           memory_region_name(mr->alias), mr->alias_offset,
           mtree_last(mr->alias_offset, mr->size),
           mr->enabled ? "" : " [disabled]");
    } else {
        pr(opaque, "%016" HWADDR_PRIx "-%016" HWADDR_PRIx
           " (prio %d, %s): %s%s\n",
           start, mtree_last(start, mr->size), mr->priority,
           mtree_region_kind(mr), memory_region_name(mr),
           mr->enabled ? "" : " [disabled]");
    }

    TAILQ_FOREACH(sub, &mr->subregions, subregions_link) {
        nsubs++;
    }
    if (!nsubs) {
        return;
    }
    subs = emu_new(MemoryRegion *, nsubs);
    i = 0;
    TAILQ_FOREACH(sub, &mr->subregions, subregions_link) {
        subs[i++] = sub;
    }
    /* Stable order for equal keys: keep list order via insertion sort */
    for (i = 1; i < nsubs; i++) {
        size_t j = i;
        MemoryRegion *cur = subs[i];
        while (j > 0 && mtree_compare(&subs[j - 1], &cur) > 0) {
            subs[j] = subs[j - 1];
            j--;
        }
        subs[j] = cur;
    }
    for (i = 0; i < nsubs; i++) {
        mtree_print_mr(pr, opaque, subs[i], level + 1, start, aliases);
    }
    free(subs);
}

static void mtree_print_flatview(mtree_printf_fn pr, void *opaque,
                                 AddressSpace *as, unsigned number)
{
    FlatView *fv = as->current_map;
    AddressSpace *other;
    unsigned i;

    pr(opaque, "FlatView #%u\n", number);
    TAILQ_FOREACH(other, &address_spaces, address_spaces_link) {
        if (other->root != as->root) {
            continue;
        }
        pr(opaque, " AS \"%s\", root: %s", other->name,
           other->root ? memory_region_name(other->root) : "(none)");
        if (other->root && other->root->type == MR_ALIAS &&
            other->root->alias) {
            pr(opaque, ", alias %s", memory_region_name(other->root->alias));
        }
        pr(opaque, "\n");
    }
    pr(opaque, " Root memory region: %s\n",
       as->root ? memory_region_name(as->root) : "(none)");

    if (!fv || fv->nr == 0) {
        pr(opaque, MTREE_INDENT "No rendered FlatView\n\n");
        return;
    }
    for (i = 0; i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];

        pr(opaque, MTREE_INDENT "%016" HWADDR_PRIx "-%016" HWADDR_PRIx
           " (prio %d, %s): %s",
           fr->start, fr->start + fr->size - 1, fr->mr->priority,
           fr->readonly ? "rom" : mtree_region_kind(fr->mr),
           memory_region_name(fr->mr));
        if (fr->offset_in_region) {
            pr(opaque, " @%016" HWADDR_PRIx, fr->offset_in_region);
        }
        pr(opaque, "\n");
    }
    pr(opaque, "\n");
}

/* Is as the first address space with its root (roots print once)? */
static bool mtree_first_with_root(AddressSpace *as)
{
    AddressSpace *other;

    TAILQ_FOREACH(other, &address_spaces, address_spaces_link) {
        if (other->root == as->root) {
            return other == as;
        }
    }
    return true;
}

void mtree_info(mtree_printf_fn pr, void *opaque, bool flatview)
{
    MtreeAliasList aliases = { 0 };
    AddressSpace *as, *other;
    unsigned number = 0;
    size_t i;

    if (flatview) {
        TAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
            if (mtree_first_with_root(as)) {
                mtree_print_flatview(pr, opaque, as, number++);
            }
        }
        return;
    }

    TAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
        if (!mtree_first_with_root(as)) {
            continue;
        }
        TAILQ_FOREACH(other, &address_spaces, address_spaces_link) {
            if (other->root == as->root) {
                pr(opaque, "address-space: %s\n", other->name);
            }
        }
        if (as->root) {
            mtree_print_mr(pr, opaque, as->root, 1, 0, &aliases);
        }
        pr(opaque, "\n");
    }
    /* The list may grow while printing: aliases inside alias targets */
    for (i = 0; i < aliases.nr; i++) {
        MemoryRegion *mr = aliases.mrs[i];

        pr(opaque, "memory-region: %s\n", memory_region_name(mr));
        mtree_print_mr(pr, opaque, mr, 1, 0, &aliases);
        pr(opaque, "\n");
    }
    free(aliases.mrs);
}
