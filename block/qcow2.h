/*
 * qcow2 driver: private definitions shared by the block/qcow2*.c files.
 *
 * The on-disk format is QEMU's (docs/interop/qcow2.txt): every field is
 * big-endian; the image is a sequence of clusters of 2^cluster_bits bytes.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include "emu/osdep.h"
#include "block/block_int.h"

#define QCOW_MAGIC 0x514649fbu     /* "QFI\xfb" */

#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_MIN_HEADER_LEN 104
#define QCOW2_V3_HEADER_LEN 112     /* with the compression type byte */

#define MIN_CLUSTER_BITS 9
#define MAX_CLUSTER_BITS 21

/* Limits on what we allocate on an image's say-so (QEMU's values) */
#define QCOW_MAX_L1_SIZE        (32 * MiB)
#define QCOW_MAX_REFTABLE_SIZE  (8 * MiB)
#define QCOW_MAX_SNAPSHOTS      65536
#define QCOW_MAX_SNAPSHOT_EXTRA_DATA 1024
#define QCOW_MAX_SNAPSHOTS_SIZE (64 * MiB)
#define QCOW_MAX_IMAGE_SIZE     (UINT64_C(1) << 61)    /* bytes */

#define QCOW_OFLAG_COPIED     (UINT64_C(1) << 63)
#define QCOW_OFLAG_COMPRESSED (UINT64_C(1) << 62)
#define QCOW_OFLAG_ZERO       (UINT64_C(1) << 0)

#define L1E_OFFSET_MASK UINT64_C(0x00fffffffffffe00)
#define L2E_OFFSET_MASK UINT64_C(0x00fffffffffffe00)
#define REFT_OFFSET_MASK UINT64_C(0xfffffffffffffe00)

/* Feature bits */
#define QCOW2_INCOMPAT_DIRTY        (UINT64_C(1) << 0)
#define QCOW2_INCOMPAT_CORRUPT      (UINT64_C(1) << 1)
#define QCOW2_INCOMPAT_DATA_FILE    (UINT64_C(1) << 2)
#define QCOW2_INCOMPAT_COMPRESSION  (UINT64_C(1) << 3)
#define QCOW2_INCOMPAT_EXTL2        (UINT64_C(1) << 4)
#define QCOW2_INCOMPAT_MASK         UINT64_C(0x1f)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (UINT64_C(1) << 0)
#define QCOW2_AUTOCLEAR_BITMAPS     (UINT64_C(1) << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (UINT64_C(1) << 1)

/* Header extension types */
#define QCOW2_EXT_END            0x00000000u
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE  0x6803f857u
#define QCOW2_EXT_BITMAPS        0x23852875u
#define QCOW2_EXT_CRYPTO         0x0537be77u
#define QCOW2_EXT_DATA_FILE      0x44415441u

#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1

/* Byte offsets of header fields we rewrite in place */
#define QCOW2_HDR_SIZE_OFF           24
#define QCOW2_HDR_L1_OFF             36  /* l1_size, l1_table_offset */
#define QCOW2_HDR_REFTABLE_OFF       48  /* offset, clusters */
#define QCOW2_HDR_SNAPSHOTS_OFF      60  /* nb_snapshots, offset */
#define QCOW2_HDR_INCOMPAT_OFF       72

typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,
    QCOW2_CLUSTER_ZERO_PLAIN,
    QCOW2_CLUSTER_ZERO_ALLOC,
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} Qcow2ClusterType;

/* An unknown header extension, kept to be written back unchanged */
typedef struct Qcow2UnknownExt {
    uint32_t type;
    uint32_t len;
    uint8_t *data;
    struct Qcow2UnknownExt *next;
} Qcow2UnknownExt;

typedef struct Qcow2Snapshot {
    uint64_t l1_table_offset;
    uint32_t l1_size;
    char *id_str;
    char *name;
    uint64_t disk_size;
    uint64_t vm_state_size;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;            /* UINT64_MAX: absent */
    uint32_t extra_data_size;   /* as read; what we write is fixed */
    uint8_t *unknown_extra;     /* bytes beyond what we understand */
    uint32_t unknown_extra_size;
} Qcow2Snapshot;

/* Write-back cache of cluster-sized metadata tables (L2, refcount blocks) */
typedef struct Qcow2Cache {
    const char *name;
    int nb_entries;
    size_t table_size;
    uint64_t *offsets;          /* 0: slot empty */
    uint8_t **tables;           /* allocated on first use */
    bool *dirty;
    int *pins;
    uint64_t *lru;
    uint64_t lru_counter;
    /* before writing an entry of this cache, flush this one (and bs->file) */
    struct Qcow2Cache *depends;
} Qcow2Cache;

typedef struct BDRVQcow2State {
    BlockDriverState *bs;
    int qcow_version;
    int cluster_bits;
    uint32_t cluster_size;
    int l2_bits;
    int l2_size;                /* entries */
    int csize_shift, csize_mask;
    uint64_t cluster_offset_mask;
    uint64_t size;              /* virtual size */

    uint64_t *l1_table;         /* host byte order */
    uint32_t l1_size;
    uint64_t l1_table_offset;

    int refcount_order;
    int refcount_bits;
    uint64_t refcount_max;
    int refcount_block_bits;    /* log2(entries per refblock) */
    uint64_t *refcount_table;   /* host byte order */
    uint32_t refcount_table_size;   /* entries */
    uint32_t refcount_table_used;   /* 1 + last non-zero entry */
    uint64_t refcount_table_offset;
    uint32_t refcount_table_clusters;
    uint64_t free_cluster_index;
    /* a new refcount table is being built in memory only */
    bool reftable_growing;
    uint64_t free_byte_offset;  /* compressed writes pack here; 0: none */

    Qcow2Cache *l2_cache;
    Qcow2Cache *refblock_cache;

    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    uint32_t header_length;
    uint8_t compression_type;
    uint8_t *unknown_header_fields;     /* bytes 112..header_length */
    uint32_t unknown_header_fields_size;
    Qcow2UnknownExt *unknown_exts;
    uint8_t *bitmaps_ext;               /* preserved, not interpreted */
    uint32_t bitmaps_ext_len;
    char *backing_format_ext;           /* as read (may be NULL) */

    Qcow2Snapshot *snapshots;
    int nb_snapshots;
    uint64_t snapshots_offset;
    uint32_t snapshots_size;

    bool use_lazy_refcounts;
    bool discard_passthrough;
    bool signaled_corruption;
    bool corrupt_disabled;      /* metadata damage seen: no more I/O */
    uint8_t *cow_buffer;

    /* last decompressed cluster */
    uint8_t *cluster_cache;
    uint64_t cluster_cache_offset;      /* L2 entry's host offset; -1 none */
    uint8_t *cluster_data;
} BDRVQcow2State;

/* ---- big-endian access ---- */
static inline uint16_t be16_read(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)((b[0] << 8) | b[1]);
}
static inline uint32_t be32_read(const void *p)
{
    const uint8_t *b = p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
           ((uint32_t)b[2] << 8) | b[3];
}
static inline uint64_t be64_read(const void *p)
{
    const uint8_t *b = p;
    return ((uint64_t)be32_read(b) << 32) | be32_read(b + 4);
}
static inline void be16_write(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = v >> 8;
    b[1] = v;
}
static inline void be32_write(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = v >> 24;
    b[1] = v >> 16;
    b[2] = v >> 8;
    b[3] = v;
}
static inline void be64_write(void *p, uint64_t v)
{
    uint8_t *b = p;
    be32_write(b, v >> 32);
    be32_write(b + 4, (uint32_t)v);
}

static inline uint64_t offset_into_cluster(BDRVQcow2State *s, uint64_t off)
{
    return off & (s->cluster_size - 1);
}
static inline uint64_t start_of_cluster(BDRVQcow2State *s, uint64_t off)
{
    return off & ~(uint64_t)(s->cluster_size - 1);
}
static inline uint64_t size_to_clusters(BDRVQcow2State *s, uint64_t size)
{
    return (size + s->cluster_size - 1) >> s->cluster_bits;
}
static inline uint64_t l2_entry_get(const void *table, int idx)
{
    return be64_read((const uint8_t *)table + 8 * (size_t)idx);
}
static inline void l2_entry_set(void *table, int idx, uint64_t v)
{
    be64_write((uint8_t *)table + 8 * (size_t)idx, v);
}

Qcow2ClusterType qcow2_get_cluster_type(BDRVQcow2State *s, uint64_t l2e);

/* qcow2.c */
int qcow2_mark_corrupt(BlockDriverState *bs, const char *fmt, ...)
    EMU_PRINTF(2, 3);
int qcow2_update_header(BlockDriverState *bs);
/* change the virtual size (truncate without preallocation) */
int qcow2_resize(BlockDriverState *bs, uint64_t size, Error **errp);
/* check that [offset, offset+size) in bs->file holds no metadata (except
 * the kinds in ign); on overlap mark the image corrupt, return -EIO */
#define QCOW2_OL_ACTIVE_L2 1
#define QCOW2_OL_REFBLOCK 2
#define QCOW2_OL_ACTIVE_L1 4
#define QCOW2_OL_REFTABLE 8
#define QCOW2_OL_SNAPSHOTS 16
int qcow2_check_overlap(BlockDriverState *bs, int ign, uint64_t offset,
                        uint64_t size);

/* qcow2-cache.c */
Qcow2Cache *qcow2_cache_create(const char *name, int nb_entries,
                               size_t table_size);
void qcow2_cache_destroy(Qcow2Cache *c);
int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    void **table);
int qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                          uint64_t offset, void **table);
void qcow2_cache_put(Qcow2Cache *c, void **table);
void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table);
int qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c);
/* write, then flush bs->file */
int qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c);
void qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c,
                                Qcow2Cache *dependency);
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);

/* qcow2-refcount.c */
int qcow2_refcount_init(BlockDriverState *bs);
uint64_t qcow2_refblock_get(BDRVQcow2State *s, const void *rb, uint64_t i);
void qcow2_refblock_set(BDRVQcow2State *s, void *rb, uint64_t i,
                        uint64_t v);
int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount);
int qcow2_update_cluster_refcount(BlockDriverState *bs, uint64_t cluster_index,
                                  int64_t addend);
/* allocate contiguous clusters for size bytes; returns the offset or -errno */
int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size);
/* compressed data: byte-granular allocation */
int64_t qcow2_alloc_bytes(BlockDriverState *bs, int size);
/* drop one reference of every cluster of [offset, offset+size) */
int qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t size);
/* drop the references an L2 entry holds */
int qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry);
int qcow2_update_snapshot_refcount(BlockDriverState *bs, uint64_t l1_offset,
                                   uint32_t l1_size, int addend);
int qcow2_check_refcounts(BlockDriverState *bs, BdrvCheckResult *res,
                          int fix);

/* qcow2-cluster.c */
int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size);
/* host location of guest offset: returns the cluster type; *l2e the raw
 * entry; *bytes shrinks to what the entry covers contiguously */
int qcow2_get_cluster(BlockDriverState *bs, uint64_t offset, uint64_t *l2e,
                      uint64_t *bytes);
/* L2 table for a write: allocates/copies it as needed; pinned in cache */
int qcow2_get_l2_for_write(BlockDriverState *bs, uint64_t offset,
                           void **l2_table, int *l2_index);
int qcow2_decompress_cluster(BlockDriverState *bs, uint64_t l2e);
int qcow2_zero_or_discard(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes, bool zero, bool full_discard);
int qcow2_shrink_l1(BlockDriverState *bs, uint64_t new_size);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(BlockDriverState *bs, Error **errp);
void qcow2_free_snapshots(BDRVQcow2State *s);
int qcow2_snapshot_create(BlockDriverState *bs, const char *name,
                          Error **errp);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *name, Error **errp);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *name,
                          Error **errp);
int qcow2_snapshot_list(BlockDriverState *bs, BdrvSnapshotInfo **list);

#endif
