/* qcow2 cluster mapping: L1/L2 tables, cluster lookup, zeroing, discard, decompression. */
#include "emu/osdep.h"
#include "block/qcow2.h"
#include <zlib.h>
#ifdef CONFIG_ZSTD
#include <zstd.h>
#endif

Qcow2ClusterType qcow2_get_cluster_type(BDRVQcow2State *s, uint64_t l2e)
{
    if (l2e & QCOW_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    if ((l2e & QCOW_OFLAG_ZERO) && s->qcow_version >= 3) {
        return (l2e & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC
                                       : QCOW2_CLUSTER_ZERO_PLAIN;
    }
    return (l2e & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_NORMAL
                                   : QCOW2_CLUSTER_UNALLOCATED;
}

static int write_l1(BlockDriverState *bs, uint64_t offset, const uint64_t *l1,
                    uint32_t first, uint32_t count)
{
    uint8_t *buf = emu_malloc(MAX(count, 1) * 8ULL);
    int ret;

    for (uint32_t i = 0; i < count; i++) {
        be64_write(buf + 8 * i, l1[first + i]);
    }
    ret = bdrv_pwrite_sync(bs->file, offset + 8ULL * first, buf, count * 8ULL);
    free(buf);
    return ret;
}

/* Move the active L1 table to a new place with at least min_size entries */
int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t new_size;
    uint64_t *new_l1;
    int64_t new_offset;
    uint8_t hdr[12];
    int ret;

    if (min_size <= s->l1_size) {
        return 0;
    }
    if (min_size > QCOW_MAX_L1_SIZE / 8) {
        return -EFBIG;
    }
    new_size = MAX(min_size, (uint64_t)s->l1_size * 3 / 2);
    new_size = MIN(new_size, QCOW_MAX_L1_SIZE / 8);
    new_l1 = emu_new0(uint64_t, new_size);
    memcpy(new_l1, s->l1_table, s->l1_size * 8ULL);

    /* the L2 tables the new table points to must be on disk */
    ret = qcow2_cache_flush(bs, s->l2_cache);
    if (ret < 0) {
        goto fail;
    }
    new_offset = qcow2_alloc_clusters(bs, new_size * 8);
    if (new_offset < 0) {
        ret = new_offset;
        goto fail;
    }
    ret = qcow2_cache_flush(bs, s->refblock_cache);
    if (ret < 0) {
        goto fail;
    }
    ret = write_l1(bs, new_offset, new_l1, 0, new_size);
    if (ret < 0) {
        goto fail;
    }
    be32_write(hdr, new_size);
    be64_write(hdr + 4, new_offset);
    ret = bdrv_pwrite_sync(bs->file, QCOW2_HDR_L1_OFF, hdr, 12);
    if (ret < 0) {
        goto fail;
    }
    uint64_t old_offset = s->l1_table_offset;
    uint32_t old_size = s->l1_size;
    free(s->l1_table);
    s->l1_table = new_l1;
    s->l1_table_offset = new_offset;
    s->l1_size = new_size;
    return qcow2_free_clusters(bs, old_offset, old_size * 8ULL);

fail:
    free(new_l1);
    return ret;
}

static int l2_offset_valid(BlockDriverState *bs, uint64_t l2_off,
                           uint32_t l1_index)
{
    BDRVQcow2State *s = bs->opaque;

    if (offset_into_cluster(s, l2_off)) {
        return qcow2_mark_corrupt(bs, "L2 table offset %#" PRIx64
                                  " unaligned (L1 index: %#x)",
                                  l2_off, l1_index);
    }
    return 0;
}

int qcow2_get_cluster(BlockDriverState *bs, uint64_t offset, uint64_t *l2e,
                      uint64_t *bytes)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);
    int l2_index = (offset >> s->cluster_bits) & (s->l2_size - 1);
    uint64_t in_cluster = offset_into_cluster(s, offset);
    uint64_t l2_off;
    void *l2;
    int ret;

    *l2e = 0;
    *bytes = MIN(*bytes, s->cluster_size - in_cluster);
    if (l1_index >= s->l1_size) {
        return QCOW2_CLUSTER_UNALLOCATED;
    }
    l2_off = s->l1_table[l1_index] & L1E_OFFSET_MASK;
    if (!l2_off) {
        return QCOW2_CLUSTER_UNALLOCATED;
    }
    ret = l2_offset_valid(bs, l2_off, l1_index);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_cache_get(bs, s->l2_cache, l2_off, &l2);
    if (ret < 0) {
        return ret;
    }
    *l2e = l2_entry_get(l2, l2_index);
    qcow2_cache_put(s->l2_cache, &l2);

    Qcow2ClusterType type = qcow2_get_cluster_type(s, *l2e);
    if ((type == QCOW2_CLUSTER_NORMAL || type == QCOW2_CLUSTER_ZERO_ALLOC) &&
        offset_into_cluster(s, *l2e & L2E_OFFSET_MASK)) {
        return qcow2_mark_corrupt(bs, "Cluster allocation offset %#" PRIx64
                                  " unaligned (L2 offset: %#" PRIx64
                                  ", L2 index: %#x)",
                                  *l2e & L2E_OFFSET_MASK, l2_off, l2_index);
    }
    return type;
}

int qcow2_get_l2_for_write(BlockDriverState *bs, uint64_t offset,
                           void **l2_table, int *l2_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);
    uint64_t l1e, old_off;
    int64_t new_off;
    void *l2, *old;
    int ret;

    *l2_index = (offset >> s->cluster_bits) & (s->l2_size - 1);
    if (l1_index >= s->l1_size) {
        ret = qcow2_grow_l1_table(bs, l1_index + 1);
        if (ret < 0) {
            return ret;
        }
    }
    l1e = s->l1_table[l1_index];
    old_off = l1e & L1E_OFFSET_MASK;
    if (old_off) {
        ret = l2_offset_valid(bs, old_off, l1_index);
        if (ret < 0) {
            return ret;
        }
    }
    if (old_off && (l1e & QCOW_OFLAG_COPIED)) {
        return qcow2_cache_get(bs, s->l2_cache, old_off, l2_table);
    }

    /* a new table, or a private copy of one a snapshot shares */
    new_off = qcow2_alloc_clusters(bs, s->cluster_size);
    if (new_off < 0) {
        return new_off;
    }
    ret = qcow2_check_overlap(bs, 0, new_off, s->cluster_size);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_cache_get_empty(bs, s->l2_cache, new_off, &l2);
    if (ret < 0) {
        return ret;
    }
    if (old_off) {
        ret = qcow2_cache_get(bs, s->l2_cache, old_off, &old);
        if (ret < 0) {
            qcow2_cache_put(s->l2_cache, &l2);
            return ret;
        }
        memcpy(l2, old, s->cluster_size);
        qcow2_cache_put(s->l2_cache, &old);
    } else {
        memset(l2, 0, s->cluster_size);
    }
    qcow2_cache_mark_dirty(s->l2_cache, l2);
    /* refcounts, then the table, then the L1 entry pointing at it */
    ret = qcow2_cache_flush(bs, s->l2_cache);
    if (ret < 0) {
        qcow2_cache_put(s->l2_cache, &l2);
        return ret;
    }
    s->l1_table[l1_index] = new_off | QCOW_OFLAG_COPIED;
    ret = write_l1(bs, s->l1_table_offset, s->l1_table, l1_index, 1);
    if (ret < 0) {
        s->l1_table[l1_index] = l1e;
        qcow2_cache_put(s->l2_cache, &l2);
        return ret;
    }
    if (old_off) {
        ret = qcow2_free_clusters(bs, old_off, s->cluster_size);
        if (ret < 0) {
            qcow2_cache_put(s->l2_cache, &l2);
            return ret;
        }
    }
    *l2_table = l2;
    return 0;
}

/* Decompress the cluster an L2 entry describes into s->cluster_cache */
int qcow2_decompress_cluster(BlockDriverState *bs, uint64_t l2e)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t coffset = l2e & s->cluster_offset_mask;
    uint64_t nb_sectors = ((l2e >> s->csize_shift) & s->csize_mask) + 1;
    uint64_t csize = nb_sectors * 512 - (coffset & 511);
    int ret;

    if (s->cluster_cache_offset == coffset) {
        return 0;
    }
    if (!s->cluster_cache) {
        s->cluster_cache = emu_malloc(s->cluster_size);
        /* the encoding allows up to two clusters of compressed data */
        s->cluster_data = emu_malloc(2 * (size_t)s->cluster_size + 512);
    }
    ret = bdrv_pread(bs->file, coffset, s->cluster_data, csize);
    if (ret < 0) {
        return ret;
    }
    if (s->compression_type == QCOW2_COMPRESSION_ZLIB) {
        z_stream strm;
        memset(&strm, 0, sizeof(strm));
        if (inflateInit2(&strm, -12) != Z_OK) {
            return -EIO;
        }
        strm.next_in = s->cluster_data;
        strm.avail_in = csize;
        strm.next_out = s->cluster_cache;
        strm.avail_out = s->cluster_size;
        ret = inflate(&strm, Z_FINISH);
        /* the compressed data may be followed by padding: a full output
         * buffer is success */
        bool ok = (ret == Z_STREAM_END || ret == Z_BUF_ERROR) &&
                  strm.avail_out == 0;
        inflateEnd(&strm);
        if (!ok) {
            return -EIO;
        }
    } else {
#ifdef CONFIG_ZSTD
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        ZSTD_inBuffer in = { s->cluster_data, csize, 0 };
        ZSTD_outBuffer out = { s->cluster_cache, s->cluster_size, 0 };
        size_t zr = 1;
        if (!dctx) {
            return -ENOMEM;
        }
        while (out.pos < out.size && in.pos < in.size) {
            size_t last = in.pos + out.pos;
            zr = ZSTD_decompressStream(dctx, &out, &in);
            if (ZSTD_isError(zr) || in.pos + out.pos == last) {
                break;
            }
        }
        ZSTD_freeDCtx(dctx);
        if (ZSTD_isError(zr) || out.pos != out.size) {
            return -EIO;
        }
#else
        return -ENOTSUP;
#endif
    }
    s->cluster_cache_offset = coffset;
    return 0;
}

/*
 * Make whole clusters of [offset, offset + bytes) read as zeroes (zero:
 * write_zeroes) or drop them (discard; full_discard also drops what a
 * backing file would show).  offset and bytes are cluster aligned, except
 * that the range may end at the image's end.
 */
int qcow2_zero_or_discard(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes, bool zero, bool full_discard)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = offset + bytes;
    int ret = 0;

    while (offset < end) {
        uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);
        uint64_t l2_span = (uint64_t)s->cluster_size << s->l2_bits;
        uint64_t chunk_end = MIN(end, (offset | (l2_span - 1)) + 1);
        uint64_t freed[64];
        int nfreed = 0;
        void *l2;
        int idx;

        if ((l1_index >= s->l1_size || !s->l1_table[l1_index]) &&
            (!bs->backing || (!zero && full_discard))) {
            /* nothing there, nothing below */
            offset = chunk_end;
            continue;
        }
        if (!zero && (l1_index >= s->l1_size || !s->l1_table[l1_index]) &&
            s->qcow_version < 3) {
            offset = chunk_end;
            continue;
        }
        ret = qcow2_get_l2_for_write(bs, offset, &l2, &idx);
        if (ret < 0) {
            return ret;
        }
        for (; offset < chunk_end; offset += s->cluster_size, idx++) {
            uint64_t old = l2_entry_get(l2, idx), new;
            Qcow2ClusterType t = qcow2_get_cluster_type(s, old);
            bool unmap;

            if (zero) {
                /* for zero, full_discard means BDRV_REQ_MAY_UNMAP */
                unmap = full_discard || t == QCOW2_CLUSTER_COMPRESSED ||
                        !(old & QCOW_OFLAG_COPIED);
                new = unmap ? QCOW_OFLAG_ZERO
                            : (old & (L2E_OFFSET_MASK | QCOW_OFLAG_COPIED)) |
                              QCOW_OFLAG_ZERO;
            } else if (full_discard) {
                unmap = true;
                new = 0;
            } else {
                unmap = true;
                if (bs->backing || (t != QCOW2_CLUSTER_UNALLOCATED &&
                                    t != QCOW2_CLUSTER_ZERO_PLAIN)) {
                    new = s->qcow_version >= 3 ? QCOW_OFLAG_ZERO : 0;
                } else {
                    new = 0;
                }
            }
            if (new == old) {
                continue;
            }
            l2_entry_set(l2, idx, new);
            qcow2_cache_mark_dirty(s->l2_cache, l2);
            if (unmap && (t == QCOW2_CLUSTER_NORMAL ||
                          t == QCOW2_CLUSTER_ZERO_ALLOC ||
                          t == QCOW2_CLUSTER_COMPRESSED)) {
                if (nfreed == (int)ARRAY_SIZE(freed)) {
                    for (int i = 0; i < nfreed && ret == 0; i++) {
                        ret = qcow2_free_any_cluster(bs, freed[i]);
                    }
                    nfreed = 0;
                }
                freed[nfreed++] = old;
            }
        }
        qcow2_cache_put(s->l2_cache, &l2);
        for (int i = 0; i < nfreed && ret == 0; i++) {
            uint64_t e = freed[i];
            ret = qcow2_free_any_cluster(bs, e);
            if (ret == 0 && !zero && s->discard_passthrough &&
                (e & QCOW_OFLAG_COPIED) &&
                qcow2_get_cluster_type(s, e) == QCOW2_CLUSTER_NORMAL) {
                uint64_t rc;
                if (qcow2_get_refcount(bs, (e & L2E_OFFSET_MASK) >>
                                       s->cluster_bits, &rc) == 0 && !rc) {
                    /* the entry must not point there once it is gone */
                    ret = qcow2_cache_flush(bs, s->l2_cache);
                    if (ret == 0) {
                        bdrv_pdiscard(bs->file, e & L2E_OFFSET_MASK,
                                      s->cluster_size);
                    }
                }
            }
        }
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* Drop everything past new_size (cluster aligned up) and the L2 tables
 * beyond it; the L1 table keeps its size */
int qcow2_shrink_l1(BlockDriverState *bs, uint64_t new_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = ROUND_UP(new_size, (uint64_t)s->cluster_size);
    uint64_t l2_span = (uint64_t)s->cluster_size << s->l2_bits;
    uint64_t first_free_l1 = DIV_ROUND_UP(new_size, l2_span);
    uint64_t end = (uint64_t)s->l1_size * l2_span;
    int ret = 0;

    if (start < end) {
        ret = qcow2_zero_or_discard(bs, start, end - start, false, true);
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_cache_flush(bs, s->l2_cache);
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = first_free_l1; i < s->l1_size; i++) {
        uint64_t l2_off = s->l1_table[i] & L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        s->l1_table[i] = 0;
        ret = write_l1(bs, s->l1_table_offset, s->l1_table, i, 1);
        if (ret == 0) {
            ret = qcow2_free_clusters(bs, l2_off, s->cluster_size);
        }
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}
