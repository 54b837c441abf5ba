/* Guest RAM: allocation, the ram_addr space, dirty bitmaps, mapping, DMA. */
#include "emu/osdep.h"
#include "system/memory.h"
#include <sys/mman.h>

/*
 * Every RAM-backed region gets a range of the global ram_addr space so
 * that dirty bitmaps (one bit per target page and client) can be shared by
 * all regions, and TCG can turn a host pointer into a ram_addr.
 */
typedef struct RAMBlock {
    MemoryRegion *mr;
    uint8_t *host;
    size_t map_size;            /* bytes mmap'ed by us, 0 if not owned */
    ram_addr_t offset;          /* start in the ram_addr space */
    uint64_t used_size;         /* page-rounded extent in that space */
} RAMBlock;

static RAMBlock *ram_blocks;    /* sorted by offset */
static size_t nr_ram_blocks;
static size_t ram_blocks_cap;

#define BITS_PER_WORD (sizeof(unsigned long) * CHAR_BIT)

static unsigned long *dirty_bitmaps[DIRTY_MEMORY_NUM];
static uint64_t dirty_bitmap_pages;     /* pages covered by the bitmaps */
static const RAMWriteHooks *ram_write_hooks;

AddressSpace address_space_memory;
AddressSpace address_space_io;
static MemoryRegion system_memory;
static MemoryRegion system_io;
static bool memory_system_ready;

/* ------------------------------------------------------------------ */
/* Dirty bitmaps                                                       */

static void dirty_bitmaps_grow(uint64_t pages)
{
    size_t old_words = DIV_ROUND_UP(dirty_bitmap_pages, BITS_PER_WORD);
    size_t new_words = DIV_ROUND_UP(pages, BITS_PER_WORD);
    unsigned c;

    if (pages <= dirty_bitmap_pages) {
        return;
    }
    for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
        dirty_bitmaps[c] = emu_realloc(dirty_bitmaps[c],
                                       new_words * sizeof(unsigned long));
        memset(dirty_bitmaps[c] + old_words, 0,
               (new_words - old_words) * sizeof(unsigned long));
    }
    dirty_bitmap_pages = pages;
}

/*
 * Page range [*first, *last] for [start, start+len), clipped to the
 * bitmaps; false when nothing of it is covered.
 */
static bool dirty_page_range(ram_addr_t start, ram_addr_t len,
                             uint64_t *first, uint64_t *last)
{
    ram_addr_t end_byte;

    if (len == 0 || dirty_bitmap_pages == 0) {
        return false;
    }
    end_byte = len - 1 > UINT64_MAX - start ? UINT64_MAX : start + len - 1;
    *first = start >> TARGET_PAGE_BITS;
    *last = end_byte >> TARGET_PAGE_BITS;
    if (*first >= dirty_bitmap_pages) {
        return false;
    }
    if (*last >= dirty_bitmap_pages) {
        *last = dirty_bitmap_pages - 1;
    }
    return true;
}

static void bitmap_set_range(unsigned long *map, uint64_t first,
                             uint64_t last)
{
    uint64_t page = first;

    while (page <= last) {
        if (page % BITS_PER_WORD == 0 && last - page + 1 >= BITS_PER_WORD) {
            map[page / BITS_PER_WORD] = ~0UL;
            page += BITS_PER_WORD;
        } else {
            map[page / BITS_PER_WORD] |= 1UL << (page % BITS_PER_WORD);
            page++;
        }
    }
}

static void bitmap_clear_range(unsigned long *map, uint64_t first,
                               uint64_t last)
{
    uint64_t page = first;

    while (page <= last) {
        if (page % BITS_PER_WORD == 0 && last - page + 1 >= BITS_PER_WORD) {
            map[page / BITS_PER_WORD] = 0;
            page += BITS_PER_WORD;
        } else {
            map[page / BITS_PER_WORD] &= ~(1UL << (page % BITS_PER_WORD));
            page++;
        }
    }
}

static bool bitmap_any_in_range(const unsigned long *map, uint64_t first,
                                uint64_t last)
{
    uint64_t page = first;

    while (page <= last) {
        if (page % BITS_PER_WORD == 0 && last - page + 1 >= BITS_PER_WORD) {
            if (map[page / BITS_PER_WORD]) {
                return true;
            }
            page += BITS_PER_WORD;
        } else {
            if (map[page / BITS_PER_WORD] & (1UL << (page % BITS_PER_WORD))) {
                return true;
            }
            page++;
        }
    }
    return false;
}

static bool bitmap_all_in_range(const unsigned long *map, uint64_t first,
                                uint64_t last)
{
    uint64_t page = first;

    while (page <= last) {
        if (page % BITS_PER_WORD == 0 && last - page + 1 >= BITS_PER_WORD) {
            if (map[page / BITS_PER_WORD] != ~0UL) {
                return false;
            }
            page += BITS_PER_WORD;
        } else {
            unsigned long bit = 1UL << (page % BITS_PER_WORD);
            if (!(map[page / BITS_PER_WORD] & bit)) {
                return false;
            }
            page++;
        }
    }
    return true;
}

void ram_set_write_hooks(const RAMWriteHooks *hooks)
{
    ram_write_hooks = hooks;
}

void ram_dirty_set(ram_addr_t start, ram_addr_t len)
{
    uint64_t first, last;
    unsigned c;
    bool code_clean;

    if (!dirty_page_range(start, len, &first, &last)) {
        return;
    }
    /* A clear CODE bit means the translator may hold code from the page */
    code_clean = ram_write_hooks && ram_write_hooks->code_written &&
                 !bitmap_all_in_range(dirty_bitmaps[DIRTY_MEMORY_CODE],
                                      first, last);
    for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
        bitmap_set_range(dirty_bitmaps[c], first, last);
    }
    if (code_clean) {
        ram_write_hooks->code_written(start, len);
    }
}

bool ram_dirty_get(ram_addr_t start, ram_addr_t len, unsigned client)
{
    uint64_t first, last;

    if (client >= DIRTY_MEMORY_NUM ||
        !dirty_page_range(start, len, &first, &last)) {
        return false;
    }
    return bitmap_any_in_range(dirty_bitmaps[client], first, last);
}

void ram_dirty_clear(ram_addr_t start, ram_addr_t len, unsigned client)
{
    uint64_t first, last;

    if (client >= DIRTY_MEMORY_NUM ||
        !dirty_page_range(start, len, &first, &last)) {
        return;
    }
    bitmap_clear_range(dirty_bitmaps[client], first, last);
    if (ram_write_hooks && ram_write_hooks->dirty_cleared) {
        ram_write_hooks->dirty_cleared(start, len, client);
    }
}

/* The RAM region behind mr (through aliases) and the offset into it */
static MemoryRegion *resolve_ram_region(MemoryRegion *mr, hwaddr *offset)
{
    while (mr->type == MR_ALIAS && mr->alias) {
        *offset += mr->alias_offset;
        mr = mr->alias;
    }
    return mr->ram_addr != RAM_ADDR_INVALID ? mr : NULL;
}

/* Clip [addr, addr+size) to mr; false if nothing is left */
static bool ram_region_clip(MemoryRegion *mr, hwaddr addr, hwaddr *size)
{
    if (addr >= mr->size || *size == 0) {
        return false;
    }
    *size = MIN(*size, mr->size - addr);
    return true;
}

bool memory_region_get_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                             unsigned client)
{
    MemoryRegion *ram = resolve_ram_region(mr, &addr);

    if (!ram || !ram_region_clip(ram, addr, &size)) {
        return false;
    }
    return ram_dirty_get(ram->ram_addr + addr, size, client);
}

void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size)
{
    MemoryRegion *ram = resolve_ram_region(mr, &addr);

    if (ram && ram_region_clip(ram, addr, &size)) {
        ram_dirty_set(ram->ram_addr + addr, size);
    }
}

void memory_region_reset_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                               unsigned client)
{
    MemoryRegion *ram = resolve_ram_region(mr, &addr);

    if (ram && ram_region_clip(ram, addr, &size)) {
        ram_dirty_clear(ram->ram_addr + addr, size, client);
    }
}

/* ------------------------------------------------------------------ */
/* RAM blocks                                                          */

/* Lowest gap of the ram_addr space that holds size bytes (first fit) */
static ram_addr_t ram_find_offset(uint64_t size, size_t *index)
{
    ram_addr_t candidate = 0;
    size_t i;

    for (i = 0; i < nr_ram_blocks; i++) {
        if (ram_blocks[i].offset - candidate >= size) {
            break;
        }
        candidate = ram_blocks[i].offset + ram_blocks[i].used_size;
    }
    *index = i;
    return candidate;
}

static void ram_block_add(MemoryRegion *mr, uint8_t *host, size_t map_size)
{
    uint64_t used = ROUND_UP(mr->size, TARGET_PAGE_SIZE);
    size_t idx;
    ram_addr_t offset = ram_find_offset(used, &idx);
    RAMBlock *block;

    if (nr_ram_blocks == ram_blocks_cap) {
        ram_blocks_cap = ram_blocks_cap ? ram_blocks_cap * 2 : 8;
        ram_blocks = emu_realloc(ram_blocks,
                                 ram_blocks_cap * sizeof(*ram_blocks));
    }
    memmove(&ram_blocks[idx + 1], &ram_blocks[idx],
            (nr_ram_blocks - idx) * sizeof(*ram_blocks));
    nr_ram_blocks++;
    block = &ram_blocks[idx];
    block->mr = mr;
    block->host = host;
    block->map_size = map_size;
    block->offset = offset;
    block->used_size = used;

    mr->host = host;
    mr->host_owned = map_size != 0;
    mr->ram_addr = offset;

    dirty_bitmaps_grow((offset + used) >> TARGET_PAGE_BITS);
    /* New memory counts as written: displays redraw, migration sends it */
    ram_dirty_set(offset, used);
}

void ram_block_release(MemoryRegion *mr)
{
    size_t i;

    for (i = 0; i < nr_ram_blocks; i++) {
        if (ram_blocks[i].mr == mr) {
            break;
        }
    }
    if (i == nr_ram_blocks) {
        return;
    }
    if (ram_blocks[i].map_size) {
        munmap(ram_blocks[i].host, ram_blocks[i].map_size);
    }
    memmove(&ram_blocks[i], &ram_blocks[i + 1],
            (nr_ram_blocks - i - 1) * sizeof(*ram_blocks));
    nr_ram_blocks--;
    mr->host = NULL;
    mr->host_owned = false;
    mr->ram_addr = RAM_ADDR_INVALID;
}

ram_addr_t ram_addr_from_host(const void *ptr)
{
    const uint8_t *p = ptr;
    size_t i;

    for (i = 0; i < nr_ram_blocks; i++) {
        const RAMBlock *b = &ram_blocks[i];
        if (b->host && p >= b->host && (uint64_t)(p - b->host) < b->mr->size) {
            return b->offset + (uint64_t)(p - b->host);
        }
    }
    return RAM_ADDR_INVALID;
}

/* Anonymous, zeroed host memory for a guest RAM region */
static uint8_t *ram_mmap(const char *name, uint64_t size, size_t *map_size,
                         Error **errp)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t align = page > 0 ? (uint64_t)page : 4096;
    void *host;

    if (size == 0 || size == UINT64_MAX || size > SIZE_MAX - align ||
        size > UINT64_MAX / 2) {
        error_setg(errp, "cannot set up guest memory '%s': invalid size "
                   "0x%" PRIx64, name ? name : "", size);
        return NULL;
    }
    *map_size = ROUND_UP(size, align);
    host = mmap(NULL, *map_size, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot set up guest memory '%s'",
                         name ? name : "");
        return NULL;
    }
    /* Hints only: sharing identical guest pages and huge TLB entries */
#ifdef MADV_MERGEABLE
    madvise(host, *map_size, MADV_MERGEABLE);
#endif
#ifdef MADV_HUGEPAGE
    madvise(host, *map_size, MADV_HUGEPAGE);
#endif
    return host;
}

static bool ram_region_init(MemoryRegion *mr, void *owner, const char *name,
                            uint64_t size, MemoryRegionType type,
                            Error **errp)
{
    size_t map_size;
    uint8_t *host = ram_mmap(name, size, &map_size, errp);

    if (!host) {
        return false;
    }
    memory_region_init(mr, owner, name, size);
    mr->type = type;
    ram_block_add(mr, host, map_size);
    return true;
}

bool memory_region_init_ram(MemoryRegion *mr, void *owner, const char *name,
                            uint64_t size, Error **errp)
{
    return ram_region_init(mr, owner, name, size, MR_RAM, errp);
}

void memory_region_init_ram_ptr(MemoryRegion *mr, void *owner,
                                const char *name, uint64_t size, void *ptr)
{
    memory_region_init(mr, owner, name, size);
    mr->type = MR_RAM;
    ram_block_add(mr, ptr, 0);
}

bool memory_region_init_rom(MemoryRegion *mr, void *owner, const char *name,
                            uint64_t size, Error **errp)
{
    return ram_region_init(mr, owner, name, size, MR_ROM, errp);
}

bool memory_region_init_rom_device(MemoryRegion *mr, void *owner,
                                   const MemoryRegionOps *ops, void *opaque,
                                   const char *name, uint64_t size,
                                   Error **errp)
{
    if (!ram_region_init(mr, owner, name, size, MR_ROMD, errp)) {
        return false;
    }
    mr->ops = ops;
    mr->opaque = opaque;
    mr->romd_mode = true;
    return true;
}

/* ------------------------------------------------------------------ */
/* Mapping                                                             */

/* May the bytes of this range be touched through a host pointer? */
static bool flatrange_mappable(const FlatRange *fr, bool is_write)
{
    const MemoryRegion *mr = fr->mr;

    if (!mr->host) {
        return false;
    }
    if (is_write) {
        return mr->type == MR_RAM && !fr->readonly;
    }
    return mr->type == MR_RAM || mr->type == MR_ROM ||
           (mr->type == MR_ROMD && fr->romd_mode);
}

void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen,
                        bool is_write)
{
    FlatView *fv = address_space_get_flatview(as);
    const FlatRange *fr = fv ? flatview_lookup(fv, addr) : NULL;
    hwaddr avail;
    void *host;

    if (!fr || *plen == 0 || !flatrange_mappable(fr, is_write)) {
        *plen = 0;
        if (fv) {
            flatview_unref(fv);
        }
        return NULL;
    }
    avail = fr->size - (addr - fr->start);
    if (*plen > avail) {
        *plen = avail;
    }
    /* RAM blocks outlive views: the pointer stays valid after the unref */
    host = fr->mr->host + fr->offset_in_region + (addr - fr->start);
    flatview_unref(fv);
    return host;
}

void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len,
                         bool is_write, hwaddr access_len)
{
    ram_addr_t ram_addr;

    if (!buffer || !is_write || access_len == 0) {
        return;
    }
    ram_addr = ram_addr_from_host(buffer);
    if (ram_addr != RAM_ADDR_INVALID) {
        ram_dirty_set(ram_addr, MIN(access_len, len));
    }
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */

static MemTxResult dma_memory_check_fv(FlatView *fv, hwaddr addr,
                                       hwaddr len, bool is_write)
{
    if (len == 0) {
        return MEMTX_OK;
    }
    if (len - 1 > HWADDR_MAX - addr) {
        return MEMTX_ACCESS_ERROR;      /* wraps around the address space */
    }
    for (;;) {
        const FlatRange *fr = flatview_lookup(fv, addr);
        const MemoryRegion *mr;
        hwaddr avail;

        if (!fr) {
            return MEMTX_DECODE_ERROR;
        }
        mr = fr->mr;
        if ((mr->type == MR_IO && !mr->ops)) {
            return MEMTX_DECODE_ERROR;
        }
        if (is_write && (fr->readonly || mr->type == MR_ROM)) {
            return MEMTX_ACCESS_ERROR;
        }
        avail = fr->size - (addr - fr->start);
        if (len <= avail) {
            return MEMTX_OK;
        }
        addr += avail;
        len -= avail;
    }
}

static MemTxResult dma_memory_check(AddressSpace *as, hwaddr addr,
                                    hwaddr len, bool is_write)
{
    FlatView *fv = address_space_get_flatview(as);
    MemTxResult r;

    if (!fv) {
        return MEMTX_DECODE_ERROR;
    }
    r = dma_memory_check_fv(fv, addr, len, is_write);
    flatview_unref(fv);
    return r;
}

bool dma_memory_valid(AddressSpace *as, hwaddr addr, hwaddr len,
                      bool is_write)
{
    return dma_memory_check(as, addr, len, is_write) == MEMTX_OK;
}

MemTxResult dma_memory_read(AddressSpace *as, hwaddr addr, void *buf,
                            hwaddr len)
{
    MemTxResult r = dma_memory_check(as, addr, len, false);

    if (r != MEMTX_OK) {
        return r;
    }
    return address_space_read(as, addr, buf, len);
}

MemTxResult dma_memory_write(AddressSpace *as, hwaddr addr, const void *buf,
                             hwaddr len)
{
    MemTxResult r = dma_memory_check(as, addr, len, true);

    if (r != MEMTX_OK) {
        return r;
    }
    return address_space_write(as, addr, buf, len);
}

MemTxResult dma_memory_set(AddressSpace *as, hwaddr addr, uint8_t c,
                           hwaddr len)
{
    MemTxResult r = dma_memory_check(as, addr, len, true);

    if (r != MEMTX_OK) {
        return r;
    }
    return address_space_set(as, addr, c, len);
}

/* ------------------------------------------------------------------ */
/* System address spaces                                               */

void memory_system_init(void)
{
    if (memory_system_ready) {
        return;
    }
    memory_system_ready = true;
    memory_region_init(&system_memory, NULL, "system", UINT64_MAX);
    address_space_init(&address_space_memory, &system_memory, "memory");
    memory_region_init(&system_io, NULL, "io", 64 * KiB);
    address_space_init(&address_space_io, &system_io, "I/O");
}

MemoryRegion *get_system_memory(void)
{
    return &system_memory;
}

MemoryRegion *get_system_io(void)
{
    return &system_io;
}
