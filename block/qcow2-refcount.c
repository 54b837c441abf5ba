/* qcow2 reference counts: refcount table and blocks, cluster allocation, image check. */
#include "emu/osdep.h"
#include "block/qcow2.h"

/* ---- refcount block entries (1 to 64 bits wide, big-endian) ---- */

uint64_t qcow2_refblock_get(BDRVQcow2State *s, const void *rb, uint64_t i)
{
    const uint8_t *p = rb;

    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        int bits = s->refcount_bits;
        uint64_t bit = i * bits;
        /* sub-byte entries fill each byte from its least significant bit */
        return (p[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    case 3:
        return p[i];
    case 4:
        return be16_read(p + 2 * i);
    case 5:
        return be32_read(p + 4 * i);
    default:
        return be64_read(p + 8 * i);
    }
}

void qcow2_refblock_set(BDRVQcow2State *s, void *rb, uint64_t i, uint64_t v)
{
    uint8_t *p = rb;

    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        int bits = s->refcount_bits;
        uint64_t bit = i * bits;
        uint8_t mask = ((1u << bits) - 1) << (bit % 8);
        p[bit / 8] = (p[bit / 8] & ~mask) | ((v << (bit % 8)) & mask);
        break;
    }
    case 3:
        p[i] = v;
        break;
    case 4:
        be16_write(p + 2 * i, v);
        break;
    case 5:
        be32_write(p + 4 * i, v);
        break;
    default:
        be64_write(p + 8 * i, v);
        break;
    }
}

int qcow2_refcount_init(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)s->refcount_table_size * 8;
    uint8_t *buf;
    int ret;

    s->refcount_table = emu_new0(uint64_t, MAX(s->refcount_table_size, 1));
    if (!bytes) {
        return 0;
    }
    buf = emu_malloc(bytes);
    ret = bdrv_pread(bs->file, s->refcount_table_offset, buf, bytes);
    if (ret == 0) {
        for (uint32_t i = 0; i < s->refcount_table_size; i++) {
            s->refcount_table[i] = be64_read(buf + 8 * i);
            if (s->refcount_table[i]) {
                s->refcount_table_used = i + 1;
            }
        }
    }
    free(buf);
    return ret;
}

static int write_reftable_entry(BlockDriverState *bs, uint32_t rti)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t buf[8];

    if (s->reftable_growing) {
        return 0;
    }
    be64_write(buf, s->refcount_table[rti]);
    return bdrv_pwrite_sync(bs->file, s->refcount_table_offset + 8ULL * rti,
                            buf, 8);
}

static int grow_reftable(BlockDriverState *bs, uint64_t min_entries);
static int alloc_refblock(BlockDriverState *bs, uint64_t rti);

/*
 * The refcount block holding cluster_index, pinned in the cache.  Returns
 * 1 (and *rb NULL) when it does not exist and alloc is false.
 */
static int get_refblock(BlockDriverState *bs, uint64_t cluster_index,
                        bool alloc, void **rb)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rti = cluster_index >> s->refcount_block_bits;
    uint64_t off;
    int ret;

    *rb = NULL;
    if (rti >= s->refcount_table_size) {
        if (!alloc) {
            return 1;
        }
        ret = grow_reftable(bs, rti + 1);
        if (ret < 0) {
            return ret;
        }
    }
    off = s->refcount_table[rti] & REFT_OFFSET_MASK;
    if (!off) {
        if (!alloc) {
            return 1;
        }
        ret = alloc_refblock(bs, rti);
        if (ret < 0) {
            return ret;
        }
        off = s->refcount_table[rti] & REFT_OFFSET_MASK;
    }
    if (offset_into_cluster(s, off)) {
        return qcow2_mark_corrupt(bs, "Refblock offset %#" PRIx64
                                  " unaligned (reftable index: %#" PRIx64 ")",
                                  off, rti);
    }
    return qcow2_cache_get(bs, s->refblock_cache, off, rb);
}

int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    void *rb;
    int ret = get_refblock(bs, cluster_index, false, &rb);

    *refcount = 0;
    if (ret != 0) {
        return ret < 0 ? ret : 0;
    }
    *refcount = qcow2_refblock_get(s, rb, cluster_index &
                                   ((1ULL << s->refcount_block_bits) - 1));
    qcow2_cache_put(s->refblock_cache, &rb);
    return 0;
}

static int64_t find_free_clusters(BlockDriverState *bs, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = s->free_cluster_index, i;
    int64_t file_len = bdrv_getlength(bs->file);
    /* past the end of the file everything is free but for a few leaks; a
     * long run of used clusters there is a hostile image, not a search */
    uint64_t limit = (file_len > 0 ? (uint64_t)file_len >> s->cluster_bits
                                   : 0) + n + (1u << 20);
    int ret;

retry:
    for (i = 0; i < n; i++) {
        uint64_t rc;
        uint64_t idx = start + i;
        if ((idx << s->cluster_bits) >> s->cluster_bits != idx ||
            (idx << s->cluster_bits) >= (1ULL << 56)) {
            return -EFBIG;
        }
        if (idx > limit) {
            return qcow2_mark_corrupt(bs, "No free cluster found: the "
                                      "refcounts claim everything past "
                                      "the end of the image file");
        }
        ret = qcow2_get_refcount(bs, idx, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc != 0) {
            start = idx + 1;
            goto retry;
        }
    }
    return start;
}

/*
 * A new refcount block for table index rti.  It goes into the first free
 * cluster; if that cluster is one it describes itself, it counts itself.
 */
static int alloc_refblock(BlockDriverState *bs, uint64_t rti)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t idx;
    void *rb;
    int ret;

    for (;;) {
        uint64_t rc;
        idx = find_free_clusters(bs, 1);
        if (idx < 0) {
            return idx;
        }
        if ((uint64_t)idx >> s->refcount_block_bits == rti) {
            break;      /* it describes itself */
        }
        /* the block counting idx must exist before idx is counted; making
         * it may take idx itself, so look again afterwards */
        ret = get_refblock(bs, idx, true, &rb);
        if (ret < 0) {
            return ret;
        }
        qcow2_cache_put(s->refblock_cache, &rb);
        if (s->refcount_table[rti]) {
            return 0;   /* the recursion allocated this block already */
        }
        ret = qcow2_get_refcount(bs, idx, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc == 0) {
            ret = qcow2_update_cluster_refcount(bs, idx, 1);
            if (ret < 0) {
                return ret;
            }
            break;
        }
    }
    uint64_t off = (uint64_t)idx << s->cluster_bits;
    ret = qcow2_check_overlap(bs, 0, off, s->cluster_size);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_cache_get_empty(bs, s->refblock_cache, off, &rb);
    if (ret < 0) {
        return ret;
    }
    memset(rb, 0, s->cluster_size);
    if ((uint64_t)idx >> s->refcount_block_bits == rti) {
        qcow2_refblock_set(s, rb, idx & ((1ULL << s->refcount_block_bits) - 1),
                           1);
    }
    qcow2_cache_mark_dirty(s->refblock_cache, rb);
    qcow2_cache_put(s->refblock_cache, &rb);
    /* the block must be on disk before the table points to it */
    ret = qcow2_cache_flush(bs, s->refblock_cache);
    if (ret < 0) {
        return ret;
    }
    s->refcount_table[rti] = off;
    s->refcount_table_used = MAX(s->refcount_table_used, rti + 1);
    s->free_cluster_index = idx + 1;
    return write_reftable_entry(bs, rti);
}

/*
 * A bigger refcount table, at a new place: build it in memory, let the
 * normal allocator place it (and any refcount blocks it needs), then
 * write blocks, table, and finally switch the header to it.
 */
static int grow_reftable(BlockDriverState *bs, uint64_t min_entries)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t new_entries, new_bytes;
    uint64_t *old_table = s->refcount_table;
    uint32_t old_size = s->refcount_table_size;
    uint64_t old_offset = s->refcount_table_offset;
    uint32_t old_clusters = s->refcount_table_clusters;
    int64_t new_offset;
    uint8_t *buf;
    int ret;

    if (s->reftable_growing) {
        return -EFBIG;      /* would recurse: the margin below was too small */
    }
    new_entries = MAX(min_entries, (uint64_t)old_size) * 2;
    new_entries = ROUND_UP(new_entries, per_cluster);
    new_bytes = new_entries * 8;
    if (new_bytes > QCOW_MAX_REFTABLE_SIZE) {
        new_bytes = QCOW_MAX_REFTABLE_SIZE;
        new_entries = new_bytes / 8;
        if (new_entries < min_entries) {
            return -EFBIG;
        }
    }
    s->refcount_table = emu_new0(uint64_t, new_entries);
    memcpy(s->refcount_table, old_table, old_size * 8ULL);
    s->refcount_table_size = new_entries;

    s->reftable_growing = true;
    new_offset = qcow2_alloc_clusters(bs, new_bytes);
    s->reftable_growing = false;
    if (new_offset < 0) {
        ret = new_offset;
        goto fail;
    }
    ret = qcow2_cache_flush(bs, s->refblock_cache);
    if (ret < 0) {
        goto fail;
    }
    buf = emu_malloc0(new_bytes);
    for (uint64_t i = 0; i < new_entries; i++) {
        be64_write(buf + 8 * i, s->refcount_table[i]);
    }
    ret = bdrv_pwrite_sync(bs->file, new_offset, buf, new_bytes);
    free(buf);
    if (ret < 0) {
        goto fail;
    }
    uint8_t hdr[12];
    be64_write(hdr, new_offset);
    be32_write(hdr + 8, new_bytes / s->cluster_size);
    ret = bdrv_pwrite_sync(bs->file, QCOW2_HDR_REFTABLE_OFF, hdr, 12);
    if (ret < 0) {
        goto fail;
    }
    s->refcount_table_offset = new_offset;
    s->refcount_table_clusters = new_bytes / s->cluster_size;
    free(old_table);
    return qcow2_free_clusters(bs, old_offset,
                               (uint64_t)old_clusters << s->cluster_bits);

fail:
    /* clusters taken for the new structures leak; the old table stays */
    free(s->refcount_table);
    s->refcount_table = old_table;
    s->refcount_table_size = old_size;
    s->refcount_table_used = MIN(s->refcount_table_used, old_size);
    return ret;
}

int qcow2_update_cluster_refcount(BlockDriverState *bs, uint64_t cluster_index,
                                  int64_t addend)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t i = cluster_index & ((1ULL << s->refcount_block_bits) - 1);
    uint64_t rc;
    void *rb;
    int ret;

    ret = get_refblock(bs, cluster_index, addend > 0, &rb);
    if (ret < 0) {
        return ret;
    }
    if (ret > 0) {
        return qcow2_mark_corrupt(bs, "Freeing cluster %#" PRIx64
                                  " which has no refcount block",
                                  cluster_index << s->cluster_bits);
    }
    rc = qcow2_refblock_get(s, rb, i);
    if ((addend < 0 && rc < (uint64_t)-addend) ||
        (addend > 0 && s->refcount_max - rc < (uint64_t)addend)) {
        qcow2_cache_put(s->refblock_cache, &rb);
        return addend < 0 ? -EIO : -ERANGE;
    }
    if (addend < 0) {
        /* the tables that dropped the reference reach the disk first */
        qcow2_cache_set_dependency(bs, s->refblock_cache, s->l2_cache);
    }
    rc += addend;
    qcow2_refblock_set(s, rb, i, rc);
    qcow2_cache_mark_dirty(s->refblock_cache, rb);
    qcow2_cache_put(s->refblock_cache, &rb);
    if (rc == 0) {
        uint64_t off = cluster_index << s->cluster_bits;
        if (cluster_index < s->free_cluster_index) {
            s->free_cluster_index = cluster_index;
        }
        qcow2_cache_discard(s->l2_cache, off);
        qcow2_cache_discard(s->refblock_cache, off);
        if (s->cluster_cache_offset != UINT64_MAX &&
            start_of_cluster(s, s->cluster_cache_offset) == off) {
            s->cluster_cache_offset = UINT64_MAX;
        }
    }
    return 0;
}

int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t n = size_to_clusters(s, size);
    int64_t start;
    int ret;

    if (n == 0) {
        return -EINVAL;
    }
    for (;;) {
        start = find_free_clusters(bs, n);
        if (start < 0) {
            return start;
        }
        /* make sure every refcount block exists before counting */
        bool moved = false;
        for (uint64_t rti = (uint64_t)start >> s->refcount_block_bits;
             rti <= (start + n - 1) >> s->refcount_block_bits; rti++) {
            void *rb;
            ret = get_refblock(bs, rti << s->refcount_block_bits, true, &rb);
            if (ret < 0) {
                return ret;
            }
            qcow2_cache_put(s->refblock_cache, &rb);
        }
        for (uint64_t i = 0; i < n; i++) {
            uint64_t rc;
            ret = qcow2_get_refcount(bs, start + i, &rc);
            if (ret < 0) {
                return ret;
            }
            if (rc) {
                moved = true;   /* a new refcount block landed in the range */
                break;
            }
        }
        if (!moved) {
            break;
        }
    }
    for (uint64_t i = 0; i < n; i++) {
        ret = qcow2_update_cluster_refcount(bs, start + i, 1);
        if (ret < 0) {
            return ret;
        }
    }
    s->free_cluster_index = start + n;
    /* tables pointing at the new clusters go to disk after their counts */
    qcow2_cache_set_dependency(bs, s->l2_cache, s->refblock_cache);
    return start << s->cluster_bits;
}

int64_t qcow2_alloc_bytes(BlockDriverState *bs, int size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = s->free_byte_offset;
    int ret;

    if (size <= 0 || (uint64_t)size > s->cluster_size) {
        return -EINVAL;
    }
    if (off && offset_into_cluster(s, off) &&
        offset_into_cluster(s, off) + size <= s->cluster_size) {
        uint64_t rc;
        /* still ours?  (it may have been freed since) */
        ret = qcow2_get_refcount(bs, off >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc > 0) {
            ret = qcow2_update_cluster_refcount(bs, off >> s->cluster_bits, 1);
            if (ret < 0) {
                return ret;
            }
            s->free_byte_offset = off + size;
            return off;
        }
    }
    int64_t new = qcow2_alloc_clusters(bs, size);
    if (new < 0) {
        return new;
    }
    s->free_byte_offset = new + size;
    if (offset_into_cluster(s, s->free_byte_offset) == 0) {
        s->free_byte_offset = 0;
    }
    return new;
}

int qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + size - 1) >> s->cluster_bits;
    int result = 0;

    if (!size) {
        return 0;
    }
    for (uint64_t i = first; i <= last; i++) {
        int ret = qcow2_update_cluster_refcount(bs, i, -1);
        if (ret < 0 && !result) {
            result = ret;
        }
    }
    return result;
}

/* host byte range a compressed L2 entry occupies */
static void compressed_range(BDRVQcow2State *s, uint64_t l2e,
                             uint64_t *offset, uint64_t *size)
{
    uint64_t off = l2e & s->cluster_offset_mask;
    uint64_t nb_sectors = ((l2e >> s->csize_shift) & s->csize_mask) + 1;

    *offset = off;
    *size = nb_sectors * 512 - (off & 511);
}

int qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2e)
{
    BDRVQcow2State *s = bs->opaque;

    switch (qcow2_get_cluster_type(s, l2e)) {
    case QCOW2_CLUSTER_COMPRESSED: {
        uint64_t off, size;
        compressed_range(s, l2e, &off, &size);
        return qcow2_free_clusters(bs, off, size);
    }
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        return qcow2_free_clusters(bs, l2e & L2E_OFFSET_MASK,
                                   s->cluster_size);
    default:
        return 0;
    }
}

/*
 * Add addend to the count of every cluster an L1 table refers to (and its
 * L2 tables), and set QCOW_OFLAG_COPIED exactly where the count is one.
 * addend 0 only recomputes the flags.
 */
int qcow2_update_snapshot_refcount(BlockDriverState *bs, uint64_t l1_offset,
                                   uint32_t l1_size, int addend)
{
    BDRVQcow2State *s = bs->opaque;
    bool active = l1_offset == s->l1_table_offset;
    uint64_t *l1;
    bool l1_changed = false;
    int ret = 0;

    if ((uint64_t)l1_size * 8 > QCOW_MAX_L1_SIZE) {
        return -EFBIG;
    }
    l1 = emu_new0(uint64_t, MAX(l1_size, 1));
    if (active) {
        memcpy(l1, s->l1_table, l1_size * 8ULL);
    } else if (l1_size) {
        uint8_t *buf = emu_malloc(l1_size * 8ULL);
        ret = bdrv_pread(bs->file, l1_offset, buf, l1_size * 8ULL);
        for (uint32_t i = 0; i < l1_size; i++) {
            l1[i] = be64_read(buf + 8 * i);
        }
        free(buf);
        if (ret < 0) {
            goto out;
        }
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_off = l1[i] & L1E_OFFSET_MASK, rc;
        void *l2;
        if (!l2_off) {
            continue;
        }
        ret = qcow2_cache_get(bs, s->l2_cache, l2_off, &l2);
        if (ret < 0) {
            goto out;
        }
        for (int j = 0; j < s->l2_size; j++) {
            uint64_t e = l2_entry_get(l2, j), ne = e;
            switch (qcow2_get_cluster_type(s, e)) {
            case QCOW2_CLUSTER_COMPRESSED:
                if (addend) {
                    uint64_t off, size;
                    compressed_range(s, e, &off, &size);
                    for (uint64_t c = off >> s->cluster_bits;
                         c <= (off + size - 1) >> s->cluster_bits && !ret;
                         c++) {
                        ret = qcow2_update_cluster_refcount(bs, c, addend);
                    }
                }
                break;
            case QCOW2_CLUSTER_NORMAL:
            case QCOW2_CLUSTER_ZERO_ALLOC: {
                uint64_t c = (e & L2E_OFFSET_MASK) >> s->cluster_bits;
                if (addend) {
                    ret = qcow2_update_cluster_refcount(bs, c, addend);
                }
                if (!ret) {
                    ret = qcow2_get_refcount(bs, c, &rc);
                }
                if (!ret) {
                    ne = rc == 1 ? (e | QCOW_OFLAG_COPIED)
                                 : (e & ~QCOW_OFLAG_COPIED);
                }
                break;
            }
            default:
                break;
            }
            if (ret < 0) {
                qcow2_cache_put(s->l2_cache, &l2);
                goto out;
            }
            if (ne != e) {
                l2_entry_set(l2, j, ne);
                qcow2_cache_mark_dirty(s->l2_cache, l2);
            }
        }
        qcow2_cache_put(s->l2_cache, &l2);
        if (addend) {
            ret = qcow2_update_cluster_refcount(bs, l2_off >> s->cluster_bits,
                                                addend);
            if (ret < 0) {
                goto out;
            }
        }
        ret = qcow2_get_refcount(bs, l2_off >> s->cluster_bits, &rc);
        if (ret < 0) {
            goto out;
        }
        uint64_t ne = rc == 1 ? (l1[i] | QCOW_OFLAG_COPIED)
                              : (l1[i] & ~QCOW_OFLAG_COPIED);
        if (rc == 0) {
            ne = l1[i];     /* freed with its snapshot: leave it be */
        }
        if (ne != l1[i]) {
            l1[i] = ne;
            l1_changed = true;
        }
    }
    /* with addend < 0 the table is being dropped or replaced */
    if (l1_changed && addend >= 0) {
        ret = qcow2_cache_flush(bs, s->l2_cache);
        if (ret < 0) {
            goto out;
        }
        uint8_t *buf = emu_malloc(l1_size * 8ULL);
        for (uint32_t i = 0; i < l1_size; i++) {
            be64_write(buf + 8 * i, l1[i]);
        }
        ret = bdrv_pwrite_sync(bs->file, l1_offset, buf, l1_size * 8ULL);
        free(buf);
        if (ret == 0 && active) {
            memcpy(s->l1_table, l1, l1_size * 8ULL);
        }
    }
out:
    free(l1);
    return ret;
}

/* ---- check ---- */

typedef struct CheckState {
    uint64_t *refs;             /* computed reference count per cluster */
    uint64_t nb_clusters;
    uint64_t max_l2_refs;
    BdrvCheckResult *res;
} CheckState;

static void check_ref(BlockDriverState *bs, CheckState *cs, uint64_t offset,
                      uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;

    if (!size) {
        return;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + size - 1) >> s->cluster_bits;
    if (last >= cs->nb_clusters || last < first) {
        fprintf(stderr, "ERROR: counting reference for region exceeding the "
                "end of the file by one cluster or more: offset %#" PRIx64
                " size %#" PRIx64 "\n", offset, size);
        cs->res->corruptions++;
        if (last < first) {
            return;
        }
        last = MIN(last, cs->nb_clusters - 1);
    }
    for (uint64_t c = first; c <= last && c < cs->nb_clusters; c++) {
        cs->refs[c]++;
    }
}

static int check_l2(BlockDriverState *bs, CheckState *cs, uint64_t l2_off,
                    bool active, int fix, uint64_t *next_host)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *l2 = emu_malloc(s->cluster_size);
    bool l2_dirty = false;
    int ret;

    ret = bdrv_pread(bs->file, l2_off, l2, s->cluster_size);
    if (ret < 0) {
        fprintf(stderr, "ERROR: I/O error in check_refcounts_l2\n");
        cs->res->check_errors++;
        free(l2);
        return ret;
    }
    for (int j = 0; j < s->l2_size; j++) {
        uint64_t e = l2_entry_get(l2, j);
        switch (qcow2_get_cluster_type(s, e)) {
        case QCOW2_CLUSTER_COMPRESSED: {
            uint64_t off, size;
            if (e & QCOW_OFLAG_COPIED) {
                fprintf(stderr, "ERROR: coffset=0x%" PRIx64 ": copied flag "
                        "must never be set for compressed clusters\n",
                        e & s->cluster_offset_mask);
                cs->res->corruptions++;
                if (fix & BDRV_FIX_ERRORS) {
                    l2_entry_set(l2, j, e & ~QCOW_OFLAG_COPIED);
                    l2_dirty = true;
                    cs->res->corruptions--;
                    cs->res->corruptions_fixed++;
                }
            }
            compressed_range(s, e, &off, &size);
            check_ref(bs, cs, off, size);
            if (active) {
                cs->res->allocated_clusters++;
                cs->res->compressed_clusters++;
                /* sub-cluster placement: fragmented by nature (QEMU) */
                cs->res->fragmented_clusters++;
            }
            break;
        }
        case QCOW2_CLUSTER_NORMAL:
        case QCOW2_CLUSTER_ZERO_ALLOC: {
            uint64_t off = e & L2E_OFFSET_MASK;
            if (offset_into_cluster(s, off)) {
                fprintf(stderr, "ERROR offset=%" PRIx64 ": Cluster is not "
                        "properly aligned; L2 entry corrupted.\n", off);
                cs->res->corruptions++;
                break;
            }
            if (active) {
                cs->res->allocated_clusters++;
                if (*next_host && off != *next_host) {
                    cs->res->fragmented_clusters++;
                }
                *next_host = off + s->cluster_size;
            }
            check_ref(bs, cs, off, s->cluster_size);
            break;
        }
        default:
            break;
        }
    }
    if (l2_dirty) {
        ret = bdrv_pwrite(bs->file, l2_off, l2, s->cluster_size);
        if (ret < 0) {
            cs->res->check_errors++;
        }
    }
    free(l2);
    return 0;
}

static int check_l1(BlockDriverState *bs, CheckState *cs, uint64_t l1_off,
                    uint32_t l1_size, bool active, int fix)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t next_host = 0;
    uint8_t *l1;
    int ret;

    check_ref(bs, cs, l1_off, l1_size * 8ULL);
    if (!l1_size) {
        return 0;
    }
    if ((uint64_t)l1_size * 8 > QCOW_MAX_L1_SIZE) {
        fprintf(stderr, "ERROR: L1 size too big\n");
        cs->res->corruptions++;
        return 0;
    }
    l1 = emu_malloc(l1_size * 8ULL);
    ret = bdrv_pread(bs->file, l1_off, l1, l1_size * 8ULL);
    if (ret < 0) {
        fprintf(stderr, "ERROR: I/O error in check_refcounts_l1\n");
        cs->res->check_errors++;
        free(l1);
        return ret;
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_off = be64_read(l1 + 8 * i) & L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        if (offset_into_cluster(s, l2_off)) {
            fprintf(stderr, "ERROR l2_offset=%" PRIx64 ": Table is not "
                    "cluster aligned; L1 entry corrupted\n", l2_off);
            cs->res->corruptions++;
            continue;
        }
        check_ref(bs, cs, l2_off, s->cluster_size);
        if ((l2_off >> s->cluster_bits) >= cs->nb_clusters) {
            continue;
        }
        /* a table can be reached once per L1 table at most; more is
         * damage, and walking it again and again could take forever */
        if (cs->refs[l2_off >> s->cluster_bits] > cs->max_l2_refs) {
            continue;
        }
        next_host = 0;  /* contiguity is counted within one L2 table */
        ret = check_l2(bs, cs, l2_off, active, fix, &next_host);
        if (ret < 0) {
            break;
        }
    }
    free(l1);
    return ret;
}

/* QCOW_OFLAG_COPIED must be set exactly where the refcount is one */
static int check_oflag_copied(BlockDriverState *bs, BdrvCheckResult *res,
                              int fix)
{
    BDRVQcow2State *s = bs->opaque;
    bool l1_dirty = false;
    int ret = 0;
    int64_t file_len = bdrv_getlength(bs->file);
    uint64_t nb_clusters = file_len > 0 ? size_to_clusters(s, file_len) : 0;
    /* each L2 table once: a damaged L1 may name one table many times */
    uint8_t *seen = emu_malloc0(nb_clusters / 8 + 1);

    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l1e = s->l1_table[i], l2_off = l1e & L1E_OFFSET_MASK, rc;
        uint64_t l2_cluster = l2_off >> s->cluster_bits;
        void *l2;
        if (!l2_off || offset_into_cluster(s, l2_off) ||
            l2_cluster >= nb_clusters ||
            (seen[l2_cluster / 8] & (1 << (l2_cluster % 8)))) {
            continue;
        }
        seen[l2_cluster / 8] |= 1 << (l2_cluster % 8);
        ret = qcow2_get_refcount(bs, l2_off >> s->cluster_bits, &rc);
        if (ret < 0) {
            free(seen);
            return ret;
        }
        if ((rc == 1) != !!(l1e & QCOW_OFLAG_COPIED)) {
            fprintf(stderr, "%s OFLAG_COPIED L2 cluster: l1_index=%u "
                    "l1_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
                    fix & BDRV_FIX_ERRORS ? "Repairing" : "ERROR",
                    i, l1e, rc);
            if (fix & BDRV_FIX_ERRORS) {
                s->l1_table[i] = rc == 1 ? l1e | QCOW_OFLAG_COPIED
                                         : l1e & ~QCOW_OFLAG_COPIED;
                l1_dirty = true;
                res->corruptions_fixed++;
            } else {
                res->corruptions++;
            }
        }
        ret = qcow2_cache_get(bs, s->l2_cache, l2_off, &l2);
        if (ret < 0) {
            free(seen);
            return ret;
        }
        for (int j = 0; j < s->l2_size; j++) {
            uint64_t e = l2_entry_get(l2, j);
            Qcow2ClusterType t = qcow2_get_cluster_type(s, e);
            if (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC) {
                continue;
            }
            ret = qcow2_get_refcount(bs, (e & L2E_OFFSET_MASK) >>
                                     s->cluster_bits, &rc);
            if (ret < 0) {
                qcow2_cache_put(s->l2_cache, &l2);
                free(seen);
                return ret;
            }
            if ((rc == 1) != !!(e & QCOW_OFLAG_COPIED)) {
                fprintf(stderr, "%s OFLAG_COPIED data cluster: "
                        "l2_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
                        fix & BDRV_FIX_ERRORS ? "Repairing" : "ERROR",
                        e, rc);
                if (fix & BDRV_FIX_ERRORS) {
                    l2_entry_set(l2, j, rc == 1 ? e | QCOW_OFLAG_COPIED
                                                : e & ~QCOW_OFLAG_COPIED);
                    qcow2_cache_mark_dirty(s->l2_cache, l2);
                    res->corruptions_fixed++;
                } else {
                    res->corruptions++;
                }
            }
        }
        qcow2_cache_put(s->l2_cache, &l2);
    }
    free(seen);
    ret = qcow2_cache_flush(bs, s->l2_cache);
    if (ret == 0 && l1_dirty) {
        uint8_t *buf = emu_malloc(s->l1_size * 8ULL);
        for (uint32_t i = 0; i < s->l1_size; i++) {
            be64_write(buf + 8 * i, s->l1_table[i]);
        }
        ret = bdrv_pwrite_sync(bs->file, s->l1_table_offset, buf,
                               s->l1_size * 8ULL);
        free(buf);
    }
    return ret;
}

/*
 * Clusters of the persistent dirty bitmaps (directory, bitmap tables and
 * their data), which we keep but do not interpret: counted while the
 * autoclear bit still says the bitmaps are valid.
 */
static void check_bitmaps(BlockDriverState *bs, CheckState *cs)
{
    BDRVQcow2State *s = bs->opaque;
    const uint8_t *ext = s->bitmaps_ext;
    uint8_t *dir;

    if (!ext || s->bitmaps_ext_len < 24 ||
        !(s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS)) {
        return;
    }
    uint32_t nb = be32_read(ext);
    uint64_t dir_size = be64_read(ext + 8), dir_off = be64_read(ext + 16);
    if (!nb || !dir_size || dir_size > 64 * MiB || nb > 65535 ||
        offset_into_cluster(s, dir_off)) {
        return;
    }
    check_ref(bs, cs, dir_off, dir_size);
    dir = emu_malloc(dir_size);
    if (bdrv_pread(bs->file, dir_off, dir, dir_size) < 0) {
        free(dir);
        return;
    }
    uint64_t pos = 0;
    for (uint32_t i = 0; i < nb && pos + 24 <= dir_size; i++) {
        uint64_t table_off = be64_read(dir + pos);
        uint32_t table_size = be32_read(dir + pos + 8);
        uint16_t name_size = be16_read(dir + pos + 18);
        uint32_t extra_size = be32_read(dir + pos + 20);
        pos = ROUND_UP(pos + 24 + (uint64_t)extra_size + name_size, 8);
        if (!table_off || offset_into_cluster(s, table_off) ||
            (uint64_t)table_size * 8 > 64 * MiB) {
            continue;
        }
        check_ref(bs, cs, table_off, table_size * 8ULL);
        uint8_t *table = emu_malloc(MAX(table_size, 1) * 8ULL);
        if (bdrv_pread(bs->file, table_off, table, table_size * 8ULL) == 0) {
            for (uint32_t j = 0; j < table_size; j++) {
                uint64_t e = be64_read(table + 8 * j) & L1E_OFFSET_MASK;
                if (e) {
                    check_ref(bs, cs, e, s->cluster_size);
                }
            }
        }
        free(table);
    }
    free(dir);
}

static int compute_refs(BlockDriverState *bs, CheckState *cs, int fix)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    /* header */
    check_ref(bs, cs, 0, s->cluster_size);
    ret = check_l1(bs, cs, s->l1_table_offset, s->l1_size, true, fix);
    if (ret < 0) {
        return ret;
    }
    for (int i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        ret = check_l1(bs, cs, sn->l1_table_offset, sn->l1_size, false, fix);
        if (ret < 0) {
            return ret;
        }
    }
    check_ref(bs, cs, s->snapshots_offset, s->snapshots_size);
    check_bitmaps(bs, cs);
    check_ref(bs, cs, s->refcount_table_offset,
              (uint64_t)s->refcount_table_clusters << s->cluster_bits);
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t off = s->refcount_table[i] & REFT_OFFSET_MASK;
        if (!off) {
            continue;
        }
        if (offset_into_cluster(s, off)) {
            fprintf(stderr, "ERROR refcount block %u is not cluster "
                    "aligned; refcount table entry corrupted\n", i);
            cs->res->corruptions++;
            continue;
        }
        if ((off >> s->cluster_bits) >= cs->nb_clusters) {
            fprintf(stderr, "ERROR refcount block %u is outside image\n", i);
            cs->res->corruptions++;
            continue;
        }
        check_ref(bs, cs, off, s->cluster_size);
    }
    return 0;
}

int qcow2_check_refcounts(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    BDRVQcow2State *s = bs->opaque;
    CheckState cs = { .res = res };
    int64_t file_size = bdrv_getlength(bs->file);
    uint64_t highest = 0;
    int ret;

    memset(res, 0, sizeof(*res));
    if (file_size < 0) {
        res->check_errors++;
        return file_size;
    }
    cs.nb_clusters = size_to_clusters(s, file_size);
    if (cs.nb_clusters > (1ULL << 30)) {
        res->check_errors++;
        return -EFBIG;
    }
    /* room for refcount blocks the repair may have to add */
    cs.refs = emu_new0(uint64_t, cs.nb_clusters + 1);
    res->total_clusters = size_to_clusters(s, s->size);
    cs.max_l2_refs = (uint64_t)s->nb_snapshots + 1;

    ret = compute_refs(bs, &cs, fix);
    if (ret < 0) {
        free(cs.refs);
        return ret;
    }

    /* compare with what the refcount blocks say */
    /* as QEMU, up to the end of the file: counts left past it by a crash
     * do no harm (the allocator skips them) and show once the file grows */
    uint64_t end = cs.nb_clusters;
    bool repaired = false;
    for (uint64_t c = 0; c < end; c++) {
        uint64_t stored, computed = c < cs.nb_clusters ? cs.refs[c] : 0;
        uint64_t highest_before = highest;
        ret = qcow2_get_refcount(bs, c, &stored);
        if (ret < 0) {
            fprintf(stderr, "Can't get refcount for cluster %" PRIu64 ": %s\n",
                    c, strerror(-ret));
            res->check_errors++;
            continue;
        }
        /* as QEMU, the end counts clusters in use or leaked (not repaired) */
        if (computed || stored) {
            highest = c;
        }
        if (stored == computed) {
            continue;
        }
        bool leak = stored > computed;
        bool do_fix = leak ? (fix & BDRV_FIX_LEAKS) : (fix & BDRV_FIX_ERRORS);
        fprintf(stderr, "%s cluster %" PRIu64 " refcount=%" PRIu64
                " reference=%" PRIu64 "\n",
                do_fix ? "Repairing" : leak ? "Leaked" : "ERROR",
                c, stored, computed);
        if (do_fix) {
            uint64_t saved = s->free_cluster_index;
            /* refcount blocks the fix needs go past everything in use */
            s->free_cluster_index = MAX(cs.nb_clusters,
                                        s->free_cluster_index);
            ret = qcow2_update_cluster_refcount(bs, c,
                                                (int64_t)computed -
                                                (int64_t)stored);
            s->free_cluster_index = MIN(saved, c);
            if (ret < 0) {
                res->check_errors++;
                if (leak) {
                    res->leaks++;
                } else {
                    res->corruptions++;
                }
                continue;
            }
            repaired = true;
            if (!computed && highest == c) {
                /* a repaired leak at the end no longer counts */
                highest = highest_before;
            }
            if (leak) {
                res->leaks_fixed++;
            } else {
                res->corruptions_fixed++;
            }
        } else if (leak) {
            res->leaks++;
        } else {
            res->corruptions++;
        }
    }
    free(cs.refs);

    ret = check_oflag_copied(bs, res, fix);
    if (ret < 0) {
        res->check_errors++;
    }
    if (repaired) {
        ret = qcow2_cache_flush(bs, s->refblock_cache);
        if (ret < 0) {
            res->check_errors++;
        }
    }
    res->image_end_offset = (int64_t)(highest + 1) << s->cluster_bits;
    return 0;
}
