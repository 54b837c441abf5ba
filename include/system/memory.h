/*
 * The memory API: a tree of memory regions per address space, flattened
 * into a sorted view for dispatch.
 *
 * Region kinds: RAM (host memory), ROM (RAM the guest cannot write), I/O
 * (read/write callbacks with access-size rules), alias (a window into
 * another region), container (holds subregions at offsets, with
 * priorities; a higher priority hides a lower one where they overlap).
 *
 * Listeners (KVM memory slots, TCG TLB flushes) hear about changes of the
 * flattened view.  Dirty tracking keeps a bitmap per client (VGA, CODE,
 * MIGRATION) over RAM regions.
 *
 * All functions expect the global lock to be held (dispatch from vCPU
 * threads takes it for I/O regions).
 */
#ifndef SYSTEM_MEMORY_H
#define SYSTEM_MEMORY_H

#include "emu/osdep.h"
#include "emu/error.h"
#include <sys/queue.h>

typedef uint64_t hwaddr;
#define HWADDR_PRIx PRIx64
#define HWADDR_MAX UINT64_MAX

#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1ULL << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(TARGET_PAGE_SIZE - 1))

typedef enum MemTxResult {
    MEMTX_OK = 0,
    MEMTX_ERROR = 1,         /* device returned an error */
    MEMTX_DECODE_ERROR = 2,  /* nothing at that address */
    MEMTX_ACCESS_ERROR = 4,  /* access not permitted (e.g. bounds) */
} MemTxResult;

typedef enum DeviceEndian {
    DEVICE_NATIVE_ENDIAN = 0,   /* host order: value passed as-is */
    DEVICE_BIG_ENDIAN,
    DEVICE_LITTLE_ENDIAN,
} DeviceEndian;

typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;
typedef struct FlatView FlatView;
typedef struct MemoryListener MemoryListener;

typedef struct MemoryRegionOps {
    /* size is in bytes: 1, 2, 4 or 8.  addr is relative to the region. */
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size);
    void (*write)(void *opaque, hwaddr addr, uint64_t data, unsigned size);
    /* Optional variants that can fail; used instead of read/write if set */
    MemTxResult (*read_with_result)(void *opaque, hwaddr addr,
                                    uint64_t *data, unsigned size);
    MemTxResult (*write_with_result)(void *opaque, hwaddr addr,
                                     uint64_t data, unsigned size);
    /*
     * Endianness of the device's registers.  Data values exchanged with
     * read/write are always numbers; guest-visible byte order is handled
     * by the memory core for multi-byte accesses from byte buffers.
     */
    DeviceEndian endianness;
    /*
     * Guest-side constraints: an access outside them is rejected
     * (reads return all-ones, writes are dropped, MEMTX_ERROR, logged
     * under -d guest_errors).  0 means 1 for min and 4 for max.
     */
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;
        /* optional: return false to reject an access */
        bool (*accepts)(void *opaque, hwaddr addr, unsigned size,
                        bool is_write);
    } valid;
    /*
     * Implementation constraints: the core splits larger accesses into
     * several, or widens smaller ones (read-modify-write for writes), so
     * that callbacks only see sizes within [min, max].  0 means: min 1,
     * max 4.
     */
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;
    } impl;
} MemoryRegionOps;

typedef enum MemoryRegionType {
    MR_CONTAINER = 0,
    MR_RAM,
    MR_ROM,     /* RAM, read-only for the guest (writes dropped) */
    MR_IO,
    MR_ALIAS,
    MR_ROMD,    /* reads hit RAM, writes go to ops (flash) */
} MemoryRegionType;

/* Dirty memory clients */
#define DIRTY_MEMORY_VGA       0
#define DIRTY_MEMORY_CODE      1
#define DIRTY_MEMORY_MIGRATION 2
#define DIRTY_MEMORY_NUM       3

typedef uint64_t ram_addr_t;
#define RAM_ADDR_INVALID UINT64_MAX

struct MemoryRegion {
    /* Private to system/memory.c; read through the accessors below. */
    char *name;
    MemoryRegionType type;
    uint64_t size;              /* UINT64_MAX stands for 2^64 */
    const MemoryRegionOps *ops;
    void *opaque;
    void *owner;                /* owning device (DeviceState *) or NULL */
    uint8_t *host;              /* RAM/ROM/ROMD backing memory */
    bool host_owned;            /* allocated by us: freed on finalize */
    ram_addr_t ram_addr;        /* offset in the global RAM space (dirty) */
    bool enabled;
    bool readonly;              /* RAM made read-only (set_readonly) */
    bool romd_mode;             /* ROMD: reads from host memory */
    bool may_overlap;
    int priority;
    hwaddr addr;                /* offset inside container */
    MemoryRegion *container;
    MemoryRegion *alias;
    hwaddr alias_offset;
    uint8_t dirty_log_mask;     /* bit per DIRTY_MEMORY_* client */
    unsigned refcount_unused;
    TAILQ_HEAD(, MemoryRegion) subregions;
    TAILQ_ENTRY(MemoryRegion) subregions_link;
};

/* ---- Region construction ---- */
void memory_region_init(MemoryRegion *mr, void *owner, const char *name,
                        uint64_t size);                 /* container */
void memory_region_init_io(MemoryRegion *mr, void *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size);
/* Anonymous host memory (mmap; MADV_MERGEABLE/HUGEPAGE hints) */
bool memory_region_init_ram(MemoryRegion *mr, void *owner, const char *name,
                            uint64_t size, Error **errp);
/* RAM over caller-supplied host memory (not freed by us) */
void memory_region_init_ram_ptr(MemoryRegion *mr, void *owner,
                                const char *name, uint64_t size, void *ptr);
bool memory_region_init_rom(MemoryRegion *mr, void *owner, const char *name,
                            uint64_t size, Error **errp);
bool memory_region_init_rom_device(MemoryRegion *mr, void *owner,
                                   const MemoryRegionOps *ops, void *opaque,
                                   const char *name, uint64_t size,
                                   Error **errp);
void memory_region_init_alias(MemoryRegion *mr, void *owner, const char *name,
                              MemoryRegion *orig, hwaddr offset,
                              uint64_t size);
/* Removes from its container if needed and frees owned memory */
void memory_region_finalize(MemoryRegion *mr);

/* ---- Tree building ---- */
/*
 * Priority 0; may not overlap a sibling that was also added without
 * _overlap (a warning is printed: the later-added one wins, as with equal
 * priorities).  Among overlapping siblings a higher priority wins, and at
 * equal priority the later-added one.
 */
void memory_region_add_subregion(MemoryRegion *container, hwaddr offset,
                                 MemoryRegion *sub);
void memory_region_add_subregion_overlap(MemoryRegion *container,
                                         hwaddr offset, MemoryRegion *sub,
                                         int priority);
void memory_region_del_subregion(MemoryRegion *container, MemoryRegion *sub);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_address(MemoryRegion *mr, hwaddr addr);
void memory_region_set_size(MemoryRegion *mr, uint64_t size);
void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset);
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);
void memory_region_rom_device_set_romd(MemoryRegion *mr, bool romd_mode);

/*
 * Batch several changes: views are recomputed (and listeners told) once,
 * at the outermost commit.
 */
void memory_region_transaction_begin(void);
void memory_region_transaction_commit(void);

/* ---- Accessors ---- */
const char *memory_region_name(const MemoryRegion *mr);
uint64_t memory_region_size(const MemoryRegion *mr);
bool memory_region_is_ram(const MemoryRegion *mr);   /* RAM, ROM, ROMD */
bool memory_region_is_rom(const MemoryRegion *mr);
/* Host pointer to the start of a RAM/ROM region's memory */
void *memory_region_get_ram_ptr(MemoryRegion *mr);
ram_addr_t memory_region_get_ram_addr(const MemoryRegion *mr);

/* ---- Dirty tracking (RAM regions) ---- */
void memory_region_set_log(MemoryRegion *mr, bool log, unsigned client);
/* Was any byte of [addr, addr+size) written since the last reset? */
bool memory_region_get_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                             unsigned client);
void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size);
void memory_region_reset_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                               unsigned client);
/*
 * Ask listeners (KVM) to pull dirty bits of every section of mr into the
 * bitmaps: call before a pass of memory_region_get_dirty (a display
 * refresh, a migration iteration).  get_dirty itself does not sync.
 */
void memory_region_sync_dirty_bitmap(MemoryRegion *mr);
/* Same for every section of every address space (migration) */
void memory_global_dirty_log_sync(void);
/* Same on the global RAM address space (for TCG's code tracking) */
void ram_dirty_set(ram_addr_t start, ram_addr_t len);
bool ram_dirty_get(ram_addr_t start, ram_addr_t len, unsigned client);
void ram_dirty_clear(ram_addr_t start, ram_addr_t len, unsigned client);
/* ram_addr of a host pointer into guest RAM, or RAM_ADDR_INVALID */
ram_addr_t ram_addr_from_host(const void *ptr);
/*
 * Write tracking for the translator (registered by accel/tcg/cputlb.c).
 * code_written: RAM [start, start+len) was just written (bytes copied and
 * dirty bits set, by any path: CPU slow path, DMA, loaders, unmap) and at
 * least one of its pages had its DIRTY_MEMORY_CODE bit clear, i.e. may
 * hold translated code.  dirty_cleared: the dirty bits of client were
 * cleared on [start, start+len), so CPU TLBs must send writes there
 * through the slow path again to set them (each call scans every CPU's
 * TLB: clear whole ranges at once, not page by page).
 */
typedef struct RAMWriteHooks {
    void (*code_written)(ram_addr_t start, ram_addr_t len);
    void (*dirty_cleared)(ram_addr_t start, ram_addr_t len, unsigned client);
} RAMWriteHooks;
void ram_set_write_hooks(const RAMWriteHooks *hooks);

/* ---- Flattened view and address spaces ---- */
typedef struct FlatRange {
    MemoryRegion *mr;       /* a terminating region: RAM/ROM/ROMD/IO */
    hwaddr offset_in_region;
    hwaddr start;           /* address-space address */
    uint64_t size;          /* never 0 */
    bool readonly;
    bool romd_mode;
    uint8_t dirty_log_mask;  /* mr's dirty_log_mask when rendered */
} FlatRange;

struct FlatView {
    FlatRange *ranges;      /* sorted by start, non-overlapping */
    unsigned nr;
    unsigned nr_allocated;
    unsigned ref;
};

struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatView *current_map;
    /* unique over all address spaces, new with every view (memory.c) */
    uint64_t view_gen;
    TAILQ_ENTRY(AddressSpace) address_spaces_link;
};

void address_space_init(AddressSpace *as, MemoryRegion *root,
                        const char *name);
void address_space_destroy(AddressSpace *as);
/* The current view (valid until the next topology change) */
FlatView *address_space_to_flatview(AddressSpace *as);
/*
 * The current view with a reference (drop it with flatview_unref): safe
 * from any thread, unlike address_space_to_flatview, which is for code
 * holding the global lock.
 */
FlatView *address_space_get_flatview(AddressSpace *as);
/* Find the range holding addr, or NULL */
const FlatRange *flatview_lookup(FlatView *fv, hwaddr addr);
/*
 * Keep a view alive across a topology change (e.g. while iterating it
 * and calling code that may remap regions).  The address space holds one
 * reference to its current view.
 */
FlatView *flatview_ref(FlatView *fv);
void flatview_unref(FlatView *fv);

/*
 * Accesses.  Byte buffers are in guest-physical byte order (little-endian
 * devices see the bytes as a little-endian number, big-endian devices as
 * big-endian).  RAM is copied directly; I/O is split per the ops rules.
 * Unassigned addresses read as all-ones and return MEMTX_DECODE_ERROR.
 */
MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, void *buf,
                             hwaddr len, bool is_write);
MemTxResult address_space_read(AddressSpace *as, hwaddr addr, void *buf,
                               hwaddr len);
MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                const void *buf, hwaddr len);
/* Writes even into ROM (firmware and kernel loaders) */
MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr,
                                    const void *buf, hwaddr len);
MemTxResult address_space_set(AddressSpace *as, hwaddr addr, uint8_t c,
                              hwaddr len);
/*
 * One access of size 1/2/4/8 whose value is a number: for a CPU's
 * load/store and for I/O ports.  Honours ops rules and device endianness;
 * 'big_endian' says in which order the CPU sees memory.
 */
MemTxResult address_space_load(AddressSpace *as, hwaddr addr, unsigned size,
                               bool big_endian, uint64_t *val);
MemTxResult address_space_store(AddressSpace *as, hwaddr addr,
                                unsigned size, bool big_endian, uint64_t val);
/*
 * The same through a view the caller holds (address_space_get_flatview),
 * for several accesses in a row such as the levels of a page walk: the
 * view is taken once, not per access.
 */
MemTxResult flatview_load(AddressSpace *as, FlatView *fv, hwaddr addr,
                          unsigned size, bool big_endian, uint64_t *val);
MemTxResult flatview_store(AddressSpace *as, FlatView *fv, hwaddr addr,
                           unsigned size, bool big_endian, uint64_t val);
/* Little-endian helpers (x86 loads/stores, port I/O) */
uint8_t  address_space_ldub(AddressSpace *as, hwaddr addr, MemTxResult *res);
uint16_t address_space_lduw_le(AddressSpace *as, hwaddr addr, MemTxResult *r);
uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr, MemTxResult *r);
uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr, MemTxResult *r);
void address_space_stb(AddressSpace *as, hwaddr addr, uint8_t v,
                       MemTxResult *r);
void address_space_stw_le(AddressSpace *as, hwaddr addr, uint16_t v,
                          MemTxResult *r);
void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t v,
                          MemTxResult *r);
void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t v,
                          MemTxResult *r);

/*
 * Map guest memory for direct access: returns a host pointer to up to
 * *plen bytes of RAM at addr (shortened to the contiguous RAM run), or
 * NULL when addr is not RAM (or ROM for a write).  Writes mark the range
 * dirty at unmap.
 */
void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen,
                        bool is_write);
void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len,
                         bool is_write, hwaddr access_len);

/* ---- DMA (devices use only these) ----
 * Bounds-checked: the whole range must be RAM (ROM for reads) or I/O; a
 * range that touches unassigned space fails with MEMTX_DECODE_ERROR and
 * transfers nothing that was not valid.  len + addr overflow is an error.
 */
MemTxResult dma_memory_read(AddressSpace *as, hwaddr addr, void *buf,
                            hwaddr len);
MemTxResult dma_memory_write(AddressSpace *as, hwaddr addr, const void *buf,
                             hwaddr len);
MemTxResult dma_memory_set(AddressSpace *as, hwaddr addr, uint8_t c,
                           hwaddr len);
/*
 * true if [addr, addr+len) is valid for DMA in that direction.  On a
 * failed dma_memory_read the buffer is left untouched.
 */
bool dma_memory_valid(AddressSpace *as, hwaddr addr, hwaddr len,
                      bool is_write);

/* ---- Listeners ---- */
typedef struct MemoryRegionSection {
    MemoryRegion *mr;
    AddressSpace *as;
    hwaddr offset_within_region;
    hwaddr offset_within_address_space;
    uint64_t size;
    bool readonly;
} MemoryRegionSection;

struct MemoryListener {
    /* topology change: called once per changed section */
    void (*begin)(MemoryListener *l);
    void (*commit)(MemoryListener *l);
    void (*region_add)(MemoryListener *l, MemoryRegionSection *s);
    void (*region_del)(MemoryListener *l, MemoryRegionSection *s);
    void (*region_nop)(MemoryListener *l, MemoryRegionSection *s);
    /* dirty logging of a section switched on/off */
    void (*log_start)(MemoryListener *l, MemoryRegionSection *s,
                      int old_mask, int new_mask);
    void (*log_stop)(MemoryListener *l, MemoryRegionSection *s,
                     int old_mask, int new_mask);
    /* pull dirty bits (KVM): see memory_region_sync_dirty_bitmap() */
    void (*log_sync)(MemoryListener *l, MemoryRegionSection *s);
    const char *name;
    int priority;           /* lower first on add, reverse on del */
    AddressSpace *address_space;  /* private */
    TAILQ_ENTRY(MemoryListener) link;  /* private */
};
/* Registering replays region_add for every existing section. */
void memory_listener_register(MemoryListener *l, AddressSpace *as);
void memory_listener_unregister(MemoryListener *l);

/* ---- System address spaces (created by memory_system_init) ---- */
void memory_system_init(void);
MemoryRegion *get_system_memory(void);   /* container, 2^64 */
MemoryRegion *get_system_io(void);       /* container, 64 KiB */
extern AddressSpace address_space_memory;
extern AddressSpace address_space_io;

/* ---- info mtree ----
 * Prints in QEMU's format:
 *   address-space: memory
 *     0000000000000000-ffffffffffffffff (prio 0, i/o): system
 *       0000000000000000-0000000007ffffff (prio 0, ram): pc.ram
 * With flatview=true prints the flattened views instead.
 */
typedef void (*mtree_printf_fn)(void *opaque, const char *fmt, ...)
    EMU_PRINTF(2, 3);
void mtree_info(mtree_printf_fn pr, void *opaque, bool flatview);

/* ---- Private to system/memory.c and system/physmem.c ---- */
/* Give back a RAM region's ram_addr range and its host memory if owned */
void ram_block_release(MemoryRegion *mr);

#endif
