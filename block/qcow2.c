/* qcow2 format driver: header, open/close, guest reads and writes, create, info. */
#include "emu/osdep.h"
#include "block/qcow2.h"
#include <json-c/json.h>
#include <time.h>
#include <zlib.h>
#ifdef CONFIG_ZSTD
#include <zstd.h>
#endif

/* ---- iovec helpers ---- */

static void iov_copy_out(struct iovec *iov, int niov, uint64_t off,
                         void *buf, uint64_t len)
{
    uint8_t *p = buf;

    for (int i = 0; i < niov && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        uint64_t n = MIN(len, iov[i].iov_len - off);
        memcpy(p, (uint8_t *)iov[i].iov_base + off, n);
        p += n;
        len -= n;
        off = 0;
    }
}

static void iov_copy_in(struct iovec *iov, int niov, uint64_t off,
                        const void *buf, uint64_t len)
{
    const uint8_t *p = buf;

    for (int i = 0; i < niov && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        uint64_t n = MIN(len, iov[i].iov_len - off);
        if (p) {
            memcpy((uint8_t *)iov[i].iov_base + off, p, n);
            p += n;
        } else {
            memset((uint8_t *)iov[i].iov_base + off, 0, n);
        }
        len -= n;
        off = 0;
    }
}

/* [off, off + len) of iov as a new vector in out (niov entries at most) */
static int iov_slice(struct iovec *iov, int niov, uint64_t off, uint64_t len,
                     struct iovec *out)
{
    int n = 0;

    for (int i = 0; i < niov && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        uint64_t c = MIN(len, iov[i].iov_len - off);
        out[n].iov_base = (uint8_t *)iov[i].iov_base + off;
        out[n].iov_len = c;
        n++;
        len -= c;
        off = 0;
    }
    return n;
}

/* ---- header ---- */

static int qcow2_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    if (buf_size >= 8 && be32_read(buf) == QCOW_MAGIC &&
        be32_read(buf + 4) >= 2) {
        return 100;
    }
    return 0;
}

int qcow2_mark_corrupt(BlockDriverState *bs, const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = emu_vasprintf(fmt, ap);
    va_end(ap);
    if (!s->signaled_corruption) {
        if (!bs->read_only) {
            error_report("qcow2: Marking image as corrupt: %s; further "
                         "corruption events will be suppressed", msg);
        } else {
            error_report("qcow2: Image is corrupt: %s; further non-fatal "
                         "corruption events will be suppressed", msg);
        }
        s->signaled_corruption = true;
    }
    free(msg);
    if (!bs->read_only && s->qcow_version >= 3 &&
        !(s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        uint8_t buf[8];
        s->incompatible_features |= QCOW2_INCOMPAT_CORRUPT;
        be64_write(buf, s->incompatible_features);
        bdrv_pwrite_sync(bs->file, QCOW2_HDR_INCOMPAT_OFF, buf, 8);
    }
    if (!bs->read_only) {
        /* like QEMU, the node refuses further I/O until reopened */
        s->corrupt_disabled = true;
    }
    return -EIO;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
                           uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

int qcow2_check_overlap(BlockDriverState *bs, int ign, uint64_t offset,
                        uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    const char *what = NULL;

    if (ranges_overlap(offset, size, 0, s->cluster_size)) {
        what = "qcow2_header";
    } else if (!(ign & QCOW2_OL_ACTIVE_L1) &&
               ranges_overlap(offset, size, s->l1_table_offset,
                              s->l1_size * 8ULL)) {
        what = "active L1 table";
    } else if (!(ign & QCOW2_OL_REFTABLE) &&
               ranges_overlap(offset, size, s->refcount_table_offset,
                              (uint64_t)s->refcount_table_clusters <<
                              s->cluster_bits)) {
        what = "refcount table";
    } else if (!(ign & QCOW2_OL_SNAPSHOTS) &&
               ranges_overlap(offset, size, s->snapshots_offset,
                              s->snapshots_size)) {
        what = "snapshot table";
    }
    for (int i = 0; !what && i < s->nb_snapshots; i++) {
        if (ranges_overlap(offset, size, s->snapshots[i].l1_table_offset,
                           s->snapshots[i].l1_size * 8ULL)) {
            what = "inactive L1 table";
        }
    }
    if (!what && !(ign & QCOW2_OL_REFBLOCK)) {
        for (uint32_t i = 0; i < s->refcount_table_used; i++) {
            uint64_t rb = s->refcount_table[i] & REFT_OFFSET_MASK;
            if (rb && ranges_overlap(offset, size, rb, s->cluster_size)) {
                what = "refcount block";
                break;
            }
        }
    }
    if (!what && !(ign & QCOW2_OL_ACTIVE_L2)) {
        for (uint32_t i = 0; i < s->l1_size; i++) {
            uint64_t l2 = s->l1_table[i] & L1E_OFFSET_MASK;
            if (l2 && ranges_overlap(offset, size, l2, s->cluster_size)) {
                what = "active L2 table";
                break;
            }
        }
    }
    if (!what) {
        return 0;
    }
    return qcow2_mark_corrupt(bs, "Preventing invalid write on metadata "
                              "(overlaps with %s)", what);
}

static void header_ext_add(uint8_t *buf, size_t *pos, uint32_t type,
                           const void *data, uint32_t len)
{
    be32_write(buf + *pos, type);
    be32_write(buf + *pos + 4, len);
    memcpy(buf + *pos + 8, data, len);
    memset(buf + *pos + 8 + len, 0, ROUND_UP(len, 8) - len);
    *pos += 8 + ROUND_UP(len, 8);
}

static size_t feature_table(uint8_t *out)
{
    static const struct { uint8_t type, bit; const char *name; } f[] = {
        { 0, 0, "dirty bit" },
        { 0, 1, "corrupt bit" },
        { 0, 2, "external data file" },
        { 0, 3, "compression type" },
        { 0, 4, "extended L2 entries" },
        { 1, 0, "lazy refcounts" },
        { 2, 0, "bitmaps" },
        { 2, 1, "raw external data" },
    };

    memset(out, 0, ARRAY_SIZE(f) * 48);
    for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
        out[i * 48] = f[i].type;
        out[i * 48 + 1] = f[i].bit;
        memcpy(out + i * 48 + 2, f[i].name, strlen(f[i].name));
    }
    return ARRAY_SIZE(f) * 48;
}

/* Rewrite the whole header cluster from the in-memory state */
int qcow2_update_header(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    size_t cs = s->cluster_size, pos;
    uint8_t *buf = emu_malloc0(cs);
    uint8_t ft[8 * 48];
    size_t ft_len = feature_table(ft);
    size_t backing_len = strlen(bs->backing_file);
    size_t need;
    int ret;

    be32_write(buf, QCOW_MAGIC);
    be32_write(buf + 4, s->qcow_version);
    be32_write(buf + 20, s->cluster_bits);
    be64_write(buf + 24, s->size);
    be32_write(buf + 32, 0);
    be32_write(buf + 36, s->l1_size);
    be64_write(buf + 40, s->l1_table_offset);
    be64_write(buf + 48, s->refcount_table_offset);
    be32_write(buf + 56, s->refcount_table_clusters);
    be32_write(buf + 60, s->nb_snapshots);
    be64_write(buf + 64, s->snapshots_offset);
    if (s->qcow_version >= 3) {
        be64_write(buf + 72, s->incompatible_features);
        be64_write(buf + 80, s->compatible_features);
        be64_write(buf + 88, s->autoclear_features);
        be32_write(buf + 96, s->refcount_order);
        be32_write(buf + 100, s->header_length);
        if (s->header_length > 104) {
            buf[104] = s->compression_type;
        }
        if (s->unknown_header_fields_size) {
            memcpy(buf + QCOW2_V3_HEADER_LEN, s->unknown_header_fields,
                   s->unknown_header_fields_size);
        }
        pos = s->header_length;
    } else {
        pos = QCOW2_V2_HEADER_LEN;
    }

    /* everything but the feature table, which is left out if short of room */
    need = pos + 8 + ROUND_UP(backing_len, 8);
    if (bs->backing_file[0] && bs->backing_format[0]) {
        need += 8 + ROUND_UP(strlen(bs->backing_format), 8);
    }
    if (s->bitmaps_ext) {
        need += 8 + ROUND_UP(s->bitmaps_ext_len, 8);
    }
    for (Qcow2UnknownExt *e = s->unknown_exts; e; e = e->next) {
        need += 8 + ROUND_UP(e->len, 8);
    }
    if (need > cs) {
        free(buf);
        return -ENOSPC;
    }
    if (bs->backing_file[0] && bs->backing_format[0]) {
        header_ext_add(buf, &pos, QCOW2_EXT_BACKING_FORMAT, bs->backing_format,
                       strlen(bs->backing_format));
    }
    /* QEMU leaves the table out of clusters smaller than 8 KiB */
    if (s->qcow_version >= 3 && cs >= 8192 && need + 8 + ft_len <= cs) {
        header_ext_add(buf, &pos, QCOW2_EXT_FEATURE_TABLE, ft, ft_len);
    }
    if (s->bitmaps_ext) {
        header_ext_add(buf, &pos, QCOW2_EXT_BITMAPS, s->bitmaps_ext,
                       s->bitmaps_ext_len);
    }
    for (Qcow2UnknownExt *e = s->unknown_exts; e; e = e->next) {
        header_ext_add(buf, &pos, e->type, e->data, e->len);
    }
    pos += 8;   /* end of extensions */
    if (backing_len) {
        be64_write(buf + 8, pos);
        be32_write(buf + 16, backing_len);
        memcpy(buf + pos, bs->backing_file, backing_len);
    }
    ret = bdrv_pwrite_sync(bs->file, 0, buf, cs);
    free(buf);
    return ret;
}

static int write_incompat_features(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t buf[8];

    be64_write(buf, s->incompatible_features);
    return bdrv_pwrite_sync(bs->file, QCOW2_HDR_INCOMPAT_OFF, buf, 8);
}

/* lazy refcounts: the dirty bit is set before the first write */
static int mark_dirty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!s->use_lazy_refcounts ||
        (s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    ret = bdrv_flush(bs->file);
    if (ret < 0) {
        return ret;
    }
    s->incompatible_features |= QCOW2_INCOMPAT_DIRTY;
    return write_incompat_features(bs);
}

static int qcow2_flush_caches(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    /* L2 tables pull in the refcount blocks they depend on, and vice versa */
    ret = qcow2_cache_write(bs, s->l2_cache);
    if (ret == 0) {
        ret = qcow2_cache_write(bs, s->refblock_cache);
    }
    return ret;
}

static int mark_clean(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!(s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    ret = qcow2_flush_caches(bs);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        return ret;
    }
    s->incompatible_features &= ~QCOW2_INCOMPAT_DIRTY;
    return write_incompat_features(bs);
}

static void free_state(BDRVQcow2State *s)
{
    qcow2_cache_destroy(s->l2_cache);
    qcow2_cache_destroy(s->refblock_cache);
    s->l2_cache = s->refblock_cache = NULL;
    free(s->l1_table);
    free(s->refcount_table);
    free(s->unknown_header_fields);
    free(s->bitmaps_ext);
    free(s->backing_format_ext);
    free(s->cluster_cache);
    free(s->cluster_data);
    free(s->cow_buffer);
    while (s->unknown_exts) {
        Qcow2UnknownExt *e = s->unknown_exts;
        s->unknown_exts = e->next;
        free(e->data);
        free(e);
    }
    qcow2_free_snapshots(s);
    s->l1_table = NULL;
    s->refcount_table = NULL;
}

/* the table at offset of size bytes lies inside the sane part of a file */
static bool table_offset_valid(BDRVQcow2State *s, uint64_t offset,
                               uint64_t size)
{
    return !offset_into_cluster(s, offset) && offset < (1ULL << 56) &&
           size < (1ULL << 56) && offset + size <= (1ULL << 56);
}

static int read_extensions(BlockDriverState *bs, const uint8_t *hdr,
                           uint64_t start, uint64_t end, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2UnknownExt **tail = &s->unknown_exts;
    uint64_t pos = start;

    while (pos + 8 <= end) {
        uint32_t type = be32_read(hdr + pos), len = be32_read(hdr + pos + 4);
        pos += 8;
        if (type == QCOW2_EXT_END) {
            return 0;
        }
        if (len > end - pos) {
            error_setg(errp, "qcow2: Header extension 0x%08x too large "
                       "(length %u)", type, len);
            return -EINVAL;
        }
        switch (type) {
        case QCOW2_EXT_BACKING_FORMAT:
            if (len >= sizeof(bs->backing_format)) {
                error_setg(errp, "ERROR: ext_backing_format: len=%u too "
                           "large (>=%zu)", len, sizeof(bs->backing_format));
                return -EINVAL;
            }
            free(s->backing_format_ext);
            s->backing_format_ext = emu_strndup((const char *)hdr + pos, len);
            break;
        case QCOW2_EXT_FEATURE_TABLE:
            break;      /* regenerated when the header is written */
        case QCOW2_EXT_BITMAPS:
            free(s->bitmaps_ext);
            s->bitmaps_ext = emu_malloc(MAX(len, 1));
            memcpy(s->bitmaps_ext, hdr + pos, len);
            s->bitmaps_ext_len = len;
            break;
        default: {
            Qcow2UnknownExt *e = emu_malloc0(sizeof(*e));
            e->type = type;
            e->len = len;
            e->data = emu_malloc(MAX(len, 1));
            memcpy(e->data, hdr + pos, len);
            *tail = e;
            tail = &e->next;
            break;
        }
        }
        pos += ROUND_UP((uint64_t)len, 8);
    }
    return 0;
}

static int qcow2_do_open(BlockDriverState *bs, EmuOpts *opts, int flags,
                         Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t hdr[QCOW2_V3_HEADER_LEN];
    uint8_t *cluster0 = NULL;
    uint64_t ext_end;
    int ret;

    memset(s, 0, sizeof(*s));
    s->bs = bs;
    s->cluster_cache_offset = UINT64_MAX;

    ret = bdrv_pread(bs->file, 0, hdr, sizeof(hdr));
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return ret;
    }
    if (be32_read(hdr) != QCOW_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    s->qcow_version = be32_read(hdr + 4);
    if (s->qcow_version < 2 || s->qcow_version > 3) {
        error_setg(errp, "Unsupported qcow2 version %d", s->qcow_version);
        return -ENOTSUP;
    }
    s->cluster_bits = be32_read(hdr + 20);
    if (s->cluster_bits < MIN_CLUSTER_BITS ||
        s->cluster_bits > MAX_CLUSTER_BITS) {
        error_setg(errp, "Unsupported cluster size: 2^%u",
                   (unsigned)s->cluster_bits);
        return -EINVAL;
    }
    s->cluster_size = 1u << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    s->l2_size = 1 << s->l2_bits;
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1 << (s->cluster_bits - 8)) - 1;
    s->cluster_offset_mask = (1ULL << s->csize_shift) - 1;

    if (s->qcow_version == 2) {
        s->header_length = QCOW2_V2_HEADER_LEN;
        s->refcount_order = 4;
    } else {
        s->incompatible_features = be64_read(hdr + 72);
        s->compatible_features = be64_read(hdr + 80);
        s->autoclear_features = be64_read(hdr + 88);
        uint32_t order = be32_read(hdr + 96);
        /* (an int would let a huge value pass as negative) */
        s->refcount_order = MIN(order, 7u);
        s->header_length = be32_read(hdr + 100);
        if (s->header_length < QCOW2_V3_MIN_HEADER_LEN) {
            error_setg(errp, "qcow2 header too short");
            return -EINVAL;
        }
        if (s->header_length > s->cluster_size) {
            error_setg(errp, "qcow2 header exceeds cluster size");
            return -EINVAL;
        }
        if (s->header_length > 104) {
            s->compression_type = hdr[104];
        }
    }
    if (s->refcount_order > 6) {
        error_setg(errp, "Reference count entry width too large; may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    s->refcount_bits = 1 << s->refcount_order;
    s->refcount_max = s->refcount_order == 6 ? UINT64_MAX
                                              : (1ULL << s->refcount_bits) - 1;
    s->refcount_block_bits = s->cluster_bits - (s->refcount_order - 3);

    uint32_t crypt = be32_read(hdr + 32);
    if (crypt) {
        error_setg(errp, crypt <= 2 ? "qcow2: encrypted images are not "
                   "supported" : "Unsupported encryption method: %u", crypt);
        return -ENOTSUP;
    }
    if (s->incompatible_features & ~QCOW2_INCOMPAT_MASK) {
        error_setg(errp, "Unsupported qcow2 feature(s): Unknown incompatible "
                   "feature: %" PRIx64,
                   s->incompatible_features & ~QCOW2_INCOMPAT_MASK);
        return -ENOTSUP;
    }
    if (s->incompatible_features & QCOW2_INCOMPAT_DATA_FILE) {
        error_setg(errp, "qcow2: images with an external data file are not "
                   "supported");
        return -ENOTSUP;
    }
    if (s->incompatible_features & QCOW2_INCOMPAT_EXTL2) {
        error_setg(errp, "qcow2: images with extended L2 entries "
                   "(subclusters) are not supported");
        return -ENOTSUP;
    }
    switch (s->compression_type) {
    case QCOW2_COMPRESSION_ZLIB:
        break;
#ifdef CONFIG_ZSTD
    case QCOW2_COMPRESSION_ZSTD:
        if (!(s->incompatible_features & QCOW2_INCOMPAT_COMPRESSION)) {
            error_setg(errp, "qcow2: Compression type incompatible feature "
                       "bit must be set");
            return -EINVAL;
        }
        break;
#endif
    default:
        error_setg(errp, "qcow2: unknown compression type: %u",
                   s->compression_type);
        return -ENOTSUP;
    }
    if ((s->incompatible_features & QCOW2_INCOMPAT_CORRUPT) &&
        (flags & BDRV_O_RDWR) && !(flags & BDRV_O_CHECK)) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened "
                   "read/write");
        return -EACCES;
    }

    s->size = be64_read(hdr + 24);
    if (s->size > QCOW_MAX_IMAGE_SIZE) {
        error_setg(errp, "Image too large");
        return -EFBIG;
    }

    /* header extensions and backing file name, all in cluster 0 */
    cluster0 = emu_malloc(s->cluster_size);
    ret = bdrv_pread(bs->file, 0, cluster0, s->cluster_size);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        goto fail;
    }
    if (s->header_length > QCOW2_V3_HEADER_LEN) {
        s->unknown_header_fields_size = s->header_length - QCOW2_V3_HEADER_LEN;
        s->unknown_header_fields = emu_malloc(s->unknown_header_fields_size);
        memcpy(s->unknown_header_fields, cluster0 + QCOW2_V3_HEADER_LEN,
               s->unknown_header_fields_size);
    }
    uint64_t backing_off = be64_read(hdr + 8);
    uint32_t backing_len = be32_read(hdr + 16);
    if (backing_off > s->cluster_size ||
        (backing_off && backing_off < s->header_length)) {
        error_setg(errp, "Invalid backing file offset");
        ret = -EINVAL;
        goto fail;
    }
    ext_end = backing_off ? backing_off : s->cluster_size;
    ret = read_extensions(bs, cluster0, s->header_length, ext_end, errp);
    if (ret < 0) {
        goto fail;
    }
    if (backing_off) {
        if (backing_len > 1023 || backing_len > s->cluster_size - backing_off) {
            error_setg(errp, "Backing file name too long");
            ret = -EINVAL;
            goto fail;
        }
        memcpy(bs->backing_file, cluster0 + backing_off, backing_len);
        bs->backing_file[backing_len] = 0;
        if (s->backing_format_ext) {
            snprintf(bs->backing_format, sizeof(bs->backing_format), "%s",
                     s->backing_format_ext);
        }
    }
    free(cluster0);
    cluster0 = NULL;

    /* refcount table */
    s->refcount_table_offset = be64_read(hdr + 48);
    s->refcount_table_clusters = be32_read(hdr + 56);
    if ((uint64_t)s->refcount_table_clusters > QCOW_MAX_REFTABLE_SIZE /
        s->cluster_size) {
        error_setg(errp, "Reference count table too large");
        ret = -EINVAL;
        goto fail;
    }
    if (s->refcount_table_clusters == 0) {
        error_setg(errp, "Image does not contain a reference count table");
        ret = -EINVAL;
        goto fail;
    }
    if (!table_offset_valid(s, s->refcount_table_offset,
                            (uint64_t)s->refcount_table_clusters <<
                            s->cluster_bits)) {
        error_setg(errp, "Reference count table offset invalid");
        ret = -EINVAL;
        goto fail;
    }
    s->refcount_table_size = (s->refcount_table_clusters <<
                              s->cluster_bits) / 8;

    /* snapshot table location */
    s->nb_snapshots = be32_read(hdr + 60);
    s->snapshots_offset = be64_read(hdr + 64);
    if ((uint32_t)s->nb_snapshots > QCOW_MAX_SNAPSHOTS) {
        error_setg(errp, "Snapshot table too large");
        ret = -EINVAL;
        goto fail;
    }
    if (s->nb_snapshots &&
        !table_offset_valid(s, s->snapshots_offset,
                            (uint64_t)s->nb_snapshots * 40)) {
        error_setg(errp, "Snapshot table offset invalid");
        ret = -EINVAL;
        goto fail;
    }

    /* active L1 table */
    s->l1_size = be32_read(hdr + 36);
    s->l1_table_offset = be64_read(hdr + 40);
    if ((uint64_t)s->l1_size > QCOW_MAX_L1_SIZE / 8) {
        error_setg(errp, "Active L1 table too large");
        ret = -EFBIG;
        goto fail;
    }
    uint64_t l2_span = (uint64_t)s->cluster_size << s->l2_bits;
    if ((uint64_t)s->l1_size < DIV_ROUND_UP(s->size, l2_span)) {
        error_setg(errp, "L1 table is too small");
        ret = -EINVAL;
        goto fail;
    }
    if (s->l1_size && !table_offset_valid(s, s->l1_table_offset,
                                          s->l1_size * 8ULL)) {
        error_setg(errp, "Active L1 table offset invalid");
        ret = -EINVAL;
        goto fail;
    }
    s->l1_table = emu_new0(uint64_t, MAX(s->l1_size, 1));
    if (s->l1_size) {
        uint8_t *buf = emu_malloc(s->l1_size * 8ULL);
        ret = bdrv_pread(bs->file, s->l1_table_offset, buf, s->l1_size * 8ULL);
        for (uint32_t i = 0; i < s->l1_size; i++) {
            s->l1_table[i] = be64_read(buf + 8 * i);
        }
        free(buf);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read L1 table");
            goto fail;
        }
    }

    /* caches: QEMU's defaults (enough L2 for the whole disk, at most 32M) */
    Error *local_err = NULL;
    uint64_t l2_needed = MAX(DIV_ROUND_UP(s->size, l2_span), 1) *
                         s->cluster_size;
    uint64_t l2_cache_size = MIN(l2_needed, 32 * MiB);
    uint64_t rc_cache_size = 0;
    bool pass_discard = !!(flags & BDRV_O_UNMAP);
    if (opts) {
        bool has_l2 = opts_has(opts, "l2-cache-size");
        bool has_rc = opts_has(opts, "refcount-cache-size");
        uint64_t combined = opts_get_size(opts, "cache-size", 0, &local_err);
        if (!local_err) {
            l2_cache_size = opts_get_size(opts, "l2-cache-size",
                                          l2_cache_size, &local_err);
        }
        if (!local_err) {
            rc_cache_size = opts_get_size(opts, "refcount-cache-size", 0,
                                          &local_err);
        }
        if (!local_err) {
            pass_discard = opts_get_bool(opts, "pass-discard-request",
                                         pass_discard, &local_err);
        }
        if (!local_err && opts_has(opts, "cache-size")) {
            /* QEMU's split of a combined size */
            if (has_l2 && has_rc) {
                if (l2_cache_size + rc_cache_size != combined) {
                    error_setg(&local_err, "l2-cache-size, "
                               "refcount-cache-size and cache-size may not "
                               "be set at the same time");
                }
            } else if (has_l2) {
                if (l2_cache_size > combined) {
                    error_setg(&local_err, "l2-cache-size may not exceed "
                               "cache-size");
                }
                rc_cache_size = combined - MIN(l2_cache_size, combined);
            } else if (has_rc) {
                if (rc_cache_size > combined) {
                    error_setg(&local_err, "refcount-cache-size may not "
                               "exceed cache-size");
                }
                l2_cache_size = combined - MIN(rc_cache_size, combined);
            } else {
                uint64_t min_rc = 4ULL * s->cluster_size;
                l2_cache_size = MIN(l2_needed,
                                    combined > min_rc ? combined - min_rc : 0);
                rc_cache_size = combined - MIN(l2_cache_size, combined);
            }
        }
        if (local_err) {
            error_propagate(errp, local_err);
            ret = -EINVAL;
            goto fail;
        }
        opts_del(opts, "cache-size");
        opts_del(opts, "l2-cache-size");
        opts_del(opts, "refcount-cache-size");
        opts_del(opts, "pass-discard-request");
    }
    if (!rc_cache_size) {
        rc_cache_size = MAX(l2_cache_size / 4, 4ULL * s->cluster_size);
    }
    if (l2_cache_size > INT_MAX || rc_cache_size > INT_MAX) {
        error_setg(errp, "L2 cache size too big");
        ret = -EINVAL;
        goto fail;
    }
    /* the cache is searched linearly: more entries than this cost more
     * in lookups than they save in reads */
    uint64_t l2_entries = MIN(MAX(l2_cache_size / s->cluster_size, 2), 1024);
    uint64_t rc_entries = MIN(MAX(rc_cache_size / s->cluster_size, 4), 1024);
    /* room for the tables one request pins at a time */
    s->l2_cache = qcow2_cache_create("l2", MAX(l2_entries, 4),
                                     s->cluster_size);
    s->refblock_cache = qcow2_cache_create("refcount", rc_entries,
                                           s->cluster_size);

    ret = qcow2_refcount_init(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read refcount table");
        goto fail;
    }
    ret = qcow2_read_snapshots(bs, errp);
    if (ret < 0) {
        goto fail;
    }

    s->use_lazy_refcounts = !!(s->compatible_features &
                               QCOW2_COMPAT_LAZY_REFCOUNTS);
    s->discard_passthrough = pass_discard;

    if ((flags & BDRV_O_RDWR) && !(flags & BDRV_O_CHECK) &&
        (s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        /* interrupted with lazy refcounts: repair before use, as QEMU */
        BdrvCheckResult res;
        ret = qcow2_check_refcounts(bs, &res, BDRV_FIX_ERRORS |
                                    BDRV_FIX_LEAKS);
        if (ret < 0 || res.corruptions || res.check_errors) {
            error_setg(errp, "Could not repair dirty image");
            ret = ret < 0 ? ret : -EIO;
            goto fail;
        }
        ret = mark_clean(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not update qcow2 header");
            goto fail;
        }
    }
    if ((flags & BDRV_O_RDWR) && s->autoclear_features) {
        /* we do not keep bitmaps (or anything autoclear) consistent */
        s->autoclear_features = 0;
        ret = qcow2_update_header(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not update qcow2 header");
            goto fail;
        }
    }
    return 0;

fail:
    free(cluster0);
    free_state(s);
    return ret;
}

static int qcow2_open(BlockDriverState *bs, EmuOpts *opts, int flags,
                      Error **errp)
{
    return qcow2_do_open(bs, opts, flags, errp);
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (!bs->read_only && !s->corrupt_disabled) {
        if (qcow2_flush_caches(bs) == 0 && bdrv_flush(bs->file) == 0) {
            mark_clean(bs);
        }
    }
    free_state(s);
}

/* ---- guest I/O ---- */

static int qcow2_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        struct iovec *iov, int niov, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    struct iovec *sub = emu_new(struct iovec, niov + 1);
    uint64_t done = 0;
    int ret = 0;

    if (s->corrupt_disabled) {
        free(sub);
        return -EIO;
    }
    while (done < bytes) {
        uint64_t pos = offset + done, n = bytes - done, l2e;
        int type = qcow2_get_cluster(bs, pos, &l2e, &n);
        int nsub;

        if (type < 0) {
            ret = type;
            break;
        }
        switch (type) {
        case QCOW2_CLUSTER_UNALLOCATED:
            if (bs->backing) {
                nsub = iov_slice(iov, niov, done, n, sub);
                ret = bdrv_preadv(bs->backing, pos, n, sub, nsub);
            } else {
                iov_copy_in(iov, niov, done, NULL, n);
            }
            break;
        case QCOW2_CLUSTER_ZERO_PLAIN:
        case QCOW2_CLUSTER_ZERO_ALLOC:
            iov_copy_in(iov, niov, done, NULL, n);
            break;
        case QCOW2_CLUSTER_COMPRESSED:
            ret = qcow2_decompress_cluster(bs, l2e);
            if (ret == 0) {
                iov_copy_in(iov, niov, done,
                            s->cluster_cache + offset_into_cluster(s, pos), n);
            }
            break;
        default: {
            uint64_t host = (l2e & L2E_OFFSET_MASK) +
                            offset_into_cluster(s, pos);
            /* merge the following clusters while they are contiguous */
            while (done + n < bytes) {
                uint64_t n2 = bytes - done - n, e2;
                int t2 = qcow2_get_cluster(bs, pos + n, &e2, &n2);
                if (t2 != QCOW2_CLUSTER_NORMAL ||
                    (e2 & L2E_OFFSET_MASK) != host + n || n > 16 * MiB) {
                    break;
                }
                n += n2;
            }
            nsub = iov_slice(iov, niov, done, n, sub);
            ret = bdrv_preadv(bs->file, host, n, sub, nsub);
            break;
        }
        }
        if (ret < 0) {
            break;
        }
        done += n;
    }
    free(sub);
    return ret;
}

/* the old content of the cluster an entry describes (for copy-on-write) */
static int read_old_cluster(BlockDriverState *bs, uint64_t cluster_guest,
                            uint64_t l2e, int type, uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    switch (type) {
    case QCOW2_CLUSTER_UNALLOCATED:
        if (bs->backing) {
            return bdrv_pread(bs->backing, cluster_guest, buf,
                              s->cluster_size);
        }
        memset(buf, 0, s->cluster_size);
        return 0;
    case QCOW2_CLUSTER_COMPRESSED:
        ret = qcow2_decompress_cluster(bs, l2e);
        if (ret == 0) {
            memcpy(buf, s->cluster_cache, s->cluster_size);
        }
        return ret;
    case QCOW2_CLUSTER_NORMAL:
        return bdrv_pread(bs->file, l2e & L2E_OFFSET_MASK, buf,
                          s->cluster_size);
    default:
        memset(buf, 0, s->cluster_size);
        return 0;
    }
}

static int qcow2_pwritev(BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes, struct iovec *iov, int niov,
                         int flags)
{
    BDRVQcow2State *s = bs->opaque;
    struct iovec *sub = emu_new(struct iovec, niov + 1);
    uint64_t done = 0;
    int ret;

    if (s->corrupt_disabled) {
        free(sub);
        return -EIO;
    }
    ret = mark_dirty(bs);
    while (ret == 0 && done < bytes) {
        uint64_t pos = offset + done;
        uint64_t in = offset_into_cluster(s, pos);
        uint64_t n = MIN(bytes - done, s->cluster_size - in);
        void *l2;
        int idx;

        ret = qcow2_get_l2_for_write(bs, pos, &l2, &idx);
        if (ret < 0) {
            break;
        }
        uint64_t e = l2_entry_get(l2, idx);
        int type = qcow2_get_cluster_type(s, e);
        uint64_t host = e & L2E_OFFSET_MASK;

        if (type == QCOW2_CLUSTER_NORMAL || type == QCOW2_CLUSTER_ZERO_ALLOC) {
            if (offset_into_cluster(s, host)) {
                qcow2_cache_put(s->l2_cache, &l2);
                ret = qcow2_mark_corrupt(bs, "Cluster allocation offset %#"
                                         PRIx64 " unaligned", host);
                break;
            }
        }
        if (type == QCOW2_CLUSTER_NORMAL && (e & QCOW_OFLAG_COPIED)) {
            /* ours alone: overwrite in place */
            qcow2_cache_put(s->l2_cache, &l2);
            ret = qcow2_check_overlap(bs, 0, host + in, n);
            if (ret == 0) {
                int nsub = iov_slice(iov, niov, done, n, sub);
                ret = bdrv_pwritev(bs->file, host + in, n, sub, nsub, 0);
            }
            done += n;
            continue;
        }

        bool reuse = type == QCOW2_CLUSTER_ZERO_ALLOC &&
                     (e & QCOW_OFLAG_COPIED);
        if (!reuse) {
            int64_t new_host = qcow2_alloc_clusters(bs, s->cluster_size);
            if (new_host < 0) {
                qcow2_cache_put(s->l2_cache, &l2);
                ret = new_host;
                break;
            }
            host = new_host;
        }
        if (!s->cow_buffer) {
            s->cow_buffer = emu_malloc(s->cluster_size);
        }
        if (n < s->cluster_size) {
            ret = read_old_cluster(bs, start_of_cluster(s, pos), e, type,
                                   s->cow_buffer);
        }
        if (ret == 0) {
            iov_copy_out(iov, niov, done, s->cow_buffer + in, n);
            ret = qcow2_check_overlap(bs, 0, host, s->cluster_size);
        }
        if (ret == 0) {
            ret = bdrv_pwrite(bs->file, host, s->cow_buffer, s->cluster_size);
        }
        if (ret < 0) {
            qcow2_cache_put(s->l2_cache, &l2);
            if (!reuse) {
                qcow2_free_clusters(bs, host, s->cluster_size);
            }
            break;
        }
        l2_entry_set(l2, idx, host | QCOW_OFLAG_COPIED);
        qcow2_cache_mark_dirty(s->l2_cache, l2);
        qcow2_cache_put(s->l2_cache, &l2);
        if (!reuse) {
            ret = qcow2_free_any_cluster(bs, e);
        }
        done += n;
    }
    free(sub);
    if (ret == 0 && (flags & BDRV_REQ_FUA)) {
        ret = qcow2_flush_caches(bs);
        if (ret == 0) {
            ret = bdrv_flush(bs->file);
        }
    }
    return ret;
}

static int write_zero_bytes(BlockDriverState *bs, uint64_t offset,
                            uint64_t bytes)
{
    void *zero = emu_malloc0(bytes);
    struct iovec iov = { zero, bytes };
    int ret = qcow2_pwritev(bs, offset, bytes, &iov, 1, 0);

    free(zero);
    return ret;
}

static int qcow2_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                               uint64_t bytes, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = offset + bytes;
    uint64_t start_al = ROUND_UP(offset, (uint64_t)s->cluster_size);
    uint64_t end_al = end >= s->size ? ROUND_UP(end, (uint64_t)s->cluster_size)
                                     : ROUND_DOWN(end, (uint64_t)s->cluster_size);
    int ret;

    /* v2 has no zero flag: unallocated clusters read as zeroes only
     * without a backing file; otherwise the core writes zeroes */
    if (s->qcow_version < 3 && bs->backing) {
        return -ENOTSUP;
    }
    if (s->corrupt_disabled) {
        return -EIO;
    }
    if (start_al >= end_al) {
        return write_zero_bytes(bs, offset, bytes);
    }
    ret = mark_dirty(bs);
    if (ret == 0 && offset < start_al) {
        ret = write_zero_bytes(bs, offset, start_al - offset);
    }
    if (ret == 0 && s->qcow_version < 3) {
        ret = qcow2_zero_or_discard(bs, start_al, end_al - start_al, false,
                                    true);
    } else if (ret == 0) {
        ret = qcow2_zero_or_discard(bs, start_al, end_al - start_al, true,
                                    !!(flags & BDRV_REQ_MAY_UNMAP));
    }
    if (ret == 0 && end_al < end) {
        ret = write_zero_bytes(bs, end_al, end - end_al);
    }
    return ret;
}

static int qcow2_pdiscard(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = offset + bytes;
    uint64_t start_al = ROUND_UP(offset, (uint64_t)s->cluster_size);
    uint64_t end_al = end >= s->size ? ROUND_UP(end, (uint64_t)s->cluster_size)
                                     : ROUND_DOWN(end, (uint64_t)s->cluster_size);
    int ret;

    if (s->corrupt_disabled) {
        return -EIO;
    }
    if (start_al >= end_al) {
        return 0;   /* partial clusters are not discarded */
    }
    ret = mark_dirty(bs);
    if (ret == 0) {
        ret = qcow2_zero_or_discard(bs, start_al, end_al - start_al, false,
                                    false);
    }
    return ret;
}

static int compress_cluster(BDRVQcow2State *s, const void *src, size_t len,
                            void *dst, size_t cap)
{
    if (s->compression_type == QCOW2_COMPRESSION_ZLIB) {
        z_stream strm;
        int ret;
        memset(&strm, 0, sizeof(strm));
        /* raw deflate, 4 KiB window: what QEMU writes and reads */
        if (deflateInit2(&strm, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            return -EIO;
        }
        strm.next_in = (Bytef *)src;
        strm.avail_in = len;
        strm.next_out = dst;
        strm.avail_out = cap;
        ret = deflate(&strm, Z_FINISH);
        size_t out = cap - strm.avail_out;
        deflateEnd(&strm);
        return ret == Z_STREAM_END ? (int)out : -ENOSPC;
    }
#ifdef CONFIG_ZSTD
    size_t r = ZSTD_compress(dst, cap, src, len, ZSTD_CLEVEL_DEFAULT);
    return ZSTD_isError(r) ? -ENOSPC : (int)r;
#else
    return -ENOTSUP;
#endif
}

static int qcow2_pwrite_compressed(BlockDriverState *bs, uint64_t offset,
                                   uint64_t bytes, const void *buf)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *in, *out;
    int clen, ret, idx;
    void *l2;

    if (s->corrupt_disabled) {
        return -EIO;
    }
    if (offset_into_cluster(s, offset) || bytes > s->cluster_size ||
        (bytes < s->cluster_size && offset + bytes < s->size)) {
        return -EINVAL;
    }
    if (bytes == 0) {
        return 0;
    }
    in = emu_malloc0(s->cluster_size);
    memcpy(in, buf, bytes);
    out = emu_malloc(s->cluster_size);
    clen = compress_cluster(s, in, s->cluster_size, out, s->cluster_size - 1);
    if (clen < 0) {
        /* does not shrink: store it plainly */
        struct iovec iov = { in, bytes };
        ret = clen == -ENOSPC ? qcow2_pwritev(bs, offset, bytes, &iov, 1, 0)
                              : clen;
        goto out;
    }
    ret = mark_dirty(bs);
    if (ret < 0) {
        goto out;
    }
    ret = qcow2_get_l2_for_write(bs, offset, &l2, &idx);
    if (ret < 0) {
        goto out;
    }
    uint64_t e = l2_entry_get(l2, idx);
    if (e & L2E_OFFSET_MASK) {
        /* compression never overwrites (QEMU's rule) */
        qcow2_cache_put(s->l2_cache, &l2);
        ret = -EIO;
        goto out;
    }
    int64_t host = qcow2_alloc_bytes(bs, clen);
    if (host < 0) {
        qcow2_cache_put(s->l2_cache, &l2);
        ret = host;
        goto out;
    }
    ret = qcow2_check_overlap(bs, 0, host, clen);
    if (ret == 0) {
        ret = bdrv_pwrite(bs->file, host, out, clen);
    }
    if (ret < 0) {
        qcow2_cache_put(s->l2_cache, &l2);
        goto out;
    }
    uint64_t nb_sectors = ((host + clen - 1) >> 9) - (host >> 9);
    l2_entry_set(l2, idx, QCOW_OFLAG_COMPRESSED | host |
                 (nb_sectors << s->csize_shift));
    qcow2_cache_mark_dirty(s->l2_cache, l2);
    qcow2_cache_put(s->l2_cache, &l2);
out:
    free(in);
    free(out);
    return ret;
}

static int qcow2_flush(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->corrupt_disabled) {
        return -EIO;
    }
    return qcow2_flush_caches(bs);
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    return s->size;
}

static int64_t qcow2_get_allocated_file_size(BlockDriverState *bs)
{
    return bdrv_get_allocated_file_size(bs->file);
}

static int qcow2_truncate(BlockDriverState *bs, int64_t offset,
                          PreallocMode prealloc, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l2_span = (uint64_t)s->cluster_size << s->l2_bits;
    uint8_t buf[8];
    int ret;

    if (s->corrupt_disabled) {
        error_setg(errp, "Image is corrupt");
        return -EIO;
    }
    if (offset & 511) {
        error_setg(errp, "The new size must be a multiple of 512");
        return -EINVAL;
    }
    if ((uint64_t)offset > QCOW_MAX_IMAGE_SIZE) {
        error_setg(errp, "Image size too large");
        return -EFBIG;
    }
    if (prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Unsupported preallocation mode for qcow2 resize");
        return -ENOTSUP;
    }
    if (s->nb_snapshots && s->qcow_version < 3) {
        error_setg(errp, "Can't resize a v2 image which has snapshots");
        return -ENOTSUP;
    }
    if ((uint64_t)offset < s->size) {
        ret = qcow2_shrink_l1(bs, offset);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to discard cropped clusters");
            return ret;
        }
    } else {
        ret = qcow2_grow_l1_table(bs, DIV_ROUND_UP((uint64_t)offset, l2_span));
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to grow the L1 table");
            return ret;
        }
    }
    ret = qcow2_flush_caches(bs);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret == 0) {
        be64_write(buf, offset);
        ret = bdrv_pwrite_sync(bs->file, QCOW2_HDR_SIZE_OFF, buf, 8);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update the image size");
        return ret;
    }
    s->size = offset;
    bs->total_bytes = offset;
    return 0;
}

int qcow2_resize(BlockDriverState *bs, uint64_t size, Error **errp)
{
    if (size > INT64_MAX) {
        error_setg(errp, "Image size too large");
        return -EFBIG;
    }
    return qcow2_truncate(bs, size, PREALLOC_MODE_OFF, errp);
}

/* ---- create ---- */

static int preallocate(BlockDriverState *bs, PreallocMode mode)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t pos = 0, file_end = 0;
    int ret = 0;

    while (pos < s->size && ret == 0) {
        void *l2;
        int idx;
        ret = qcow2_get_l2_for_write(bs, pos, &l2, &idx);
        if (ret < 0) {
            break;
        }
        uint64_t n = MIN((uint64_t)(s->l2_size - idx),
                         size_to_clusters(s, s->size - pos));
        int64_t host = qcow2_alloc_clusters(bs, n << s->cluster_bits);
        if (host < 0) {
            qcow2_cache_put(s->l2_cache, &l2);
            ret = host;
            break;
        }
        for (uint64_t i = 0; i < n; i++) {
            l2_entry_set(l2, idx + i, (host + (i << s->cluster_bits)) |
                         QCOW_OFLAG_COPIED);
        }
        qcow2_cache_mark_dirty(s->l2_cache, l2);
        qcow2_cache_put(s->l2_cache, &l2);
        file_end = MAX(file_end, host + (n << s->cluster_bits));
        pos += n << s->cluster_bits;
    }
    if (ret == 0) {
        ret = qcow2_flush_caches(bs);
    }
    if (ret == 0 && file_end > (uint64_t)bdrv_getlength(bs->file)) {
        ret = bdrv_truncate(bs->file, file_end,
                            mode == PREALLOC_MODE_METADATA ? PREALLOC_MODE_OFF
                                                           : mode, NULL);
    }
    return ret;
}

static const char *const qcow2_create_opts[] = {
    "size", "compat", "backing_file", "backing_fmt", "cluster_size",
    "preallocation", "lazy_refcounts", "refcount_bits", "compression_type",
    "extended_l2", "encryption", "encrypt.format", "data_file",
    "data_file_raw", NULL
};

static int qcow2_create(const char *filename, uint64_t size, EmuOpts *opts,
                        Error **errp)
{
    Error *local_err = NULL;
    const char *compat = NULL, *backing = NULL, *backing_fmt = NULL;
    const char *prealloc_str = NULL, *ctype_str = NULL;
    uint64_t cluster_size = 64 * KiB, refcount_bits = 16;
    bool lazy = false, extl2 = false;
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    int version = 3, ctype = QCOW2_COMPRESSION_ZLIB;
    int ret;

    for (EmuOpt *o = opts ? opts->head : NULL; o; o = o->next) {
        bool known = false;
        for (int i = 0; qcow2_create_opts[i]; i++) {
            known |= !strcmp(o->name, qcow2_create_opts[i]);
        }
        if (!known) {
            error_setg(errp, "Invalid parameter '%s'", o->name);
            return -EINVAL;
        }
    }
    if (opts) {
        compat = opts_get(opts, "compat");
        backing = opts_get(opts, "backing_file");
        backing_fmt = opts_get(opts, "backing_fmt");
        prealloc_str = opts_get(opts, "preallocation");
        ctype_str = opts_get(opts, "compression_type");
        cluster_size = opts_get_size(opts, "cluster_size", cluster_size,
                                     &local_err);
        if (!local_err) {
            refcount_bits = opts_get_number(opts, "refcount_bits", 16,
                                            &local_err);
        }
        if (!local_err) {
            lazy = opts_get_bool(opts, "lazy_refcounts", false, &local_err);
        }
        if (!local_err) {
            extl2 = opts_get_bool(opts, "extended_l2", false, &local_err);
        }
        if (local_err) {
            error_propagate(errp, local_err);
            return -EINVAL;
        }
        if (opts_get(opts, "encryption") || opts_get(opts, "encrypt.format")) {
            error_setg(errp, "qcow2: encrypted images are not supported");
            return -ENOTSUP;
        }
        if (opts_get(opts, "data_file") || opts_get(opts, "data_file_raw")) {
            error_setg(errp, "qcow2: external data files are not supported");
            return -ENOTSUP;
        }
    }
    if (compat) {
        if (!strcmp(compat, "0.10") || !strcmp(compat, "v2")) {
            version = 2;
        } else if (!strcmp(compat, "1.1") || !strcmp(compat, "v3")) {
            version = 3;
        } else {
            error_setg(errp, "Parameter 'version' does not accept value '%s'",
                       compat);
            return -EINVAL;
        }
    }
    if (cluster_size < 512 || cluster_size > 2 * MiB ||
        (cluster_size & (cluster_size - 1))) {
        error_setg(errp, "Cluster size must be a power of two between 512 "
                   "and 2048k");
        return -EINVAL;
    }
    if (extl2) {
        error_setg(errp, "qcow2: extended L2 entries (extended_l2=on) are "
                   "not supported");
        return -ENOTSUP;
    }
    if (refcount_bits > 64 || !refcount_bits ||
        (refcount_bits & (refcount_bits - 1))) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    if (version < 3 && refcount_bits != 16) {
        error_setg(errp, "Different refcount widths than 16 bits require "
                   "compatibility level 1.1 or above (use version=v3 or "
                   "greater)");
        return -EINVAL;
    }
    if (version < 3 && lazy) {
        error_setg(errp, "Lazy refcounts only supported with compatibility "
                   "level 1.1 and above (use version=v3 or greater)");
        return -EINVAL;
    }
    if (ctype_str) {
        if (!strcmp(ctype_str, "zlib")) {
            ctype = QCOW2_COMPRESSION_ZLIB;
#ifdef CONFIG_ZSTD
        } else if (!strcmp(ctype_str, "zstd")) {
            ctype = QCOW2_COMPRESSION_ZSTD;
#endif
        } else {
            error_setg(errp, "Parameter 'compression-type' does not accept "
                       "value '%s'", ctype_str);
            return -EINVAL;
        }
    }
    if (version < 3 && ctype != QCOW2_COMPRESSION_ZLIB) {
        error_setg(errp, "Non-zlib compression type is only supported with "
                   "compatibility level 1.1 and above (use version=v3 or "
                   "greater)");
        return -EINVAL;
    }
    if (prealloc_str) {
        prealloc = bdrv_parse_prealloc(prealloc_str, &local_err);
        if (local_err) {
            error_propagate(errp, local_err);
            return -EINVAL;
        }
    }
    if (backing_fmt && !backing) {
        error_setg(errp, "Backing format cannot be used without backing file");
        return -EINVAL;
    }
    if (backing && prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Backing file and preallocation can only be used at "
                   "the same time if extended_l2 is on");
        return -EINVAL;
    }
    if (backing && strlen(backing) > 1023) {
        error_setg(errp, "Backing file name too long");
        return -EINVAL;
    }
    if (size > QCOW_MAX_IMAGE_SIZE) {
        error_setg(errp, "Image size too large");
        return -EFBIG;
    }

    /* header, refcount table and one refcount block, as QEMU lays them out */
    ret = bdrv_create_file(filename, 0, PREALLOC_MODE_OFF, errp);
    if (ret < 0) {
        return ret;
    }
    BlockDriverState *file = bdrv_open(filename, "file", NULL, BDRV_O_RDWR,
                                       errp);
    if (!file) {
        return -EIO;
    }
    int cluster_bits = __builtin_ctzll(cluster_size);
    uint8_t *buf = emu_malloc0(3 * cluster_size);
    BDRVQcow2State tmp = { .refcount_order = __builtin_ctzll(refcount_bits),
                           .refcount_bits = refcount_bits };
    be32_write(buf, QCOW_MAGIC);
    be32_write(buf + 4, version);
    be32_write(buf + 20, cluster_bits);
    be64_write(buf + 48, cluster_size);
    be32_write(buf + 56, 1);
    if (version >= 3) {
        uint64_t incompat = ctype != QCOW2_COMPRESSION_ZLIB ?
                            QCOW2_INCOMPAT_COMPRESSION : 0;
        be64_write(buf + 72, incompat);
        be64_write(buf + 80, lazy ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0);
        be32_write(buf + 96, tmp.refcount_order);
        be32_write(buf + 100, QCOW2_V3_HEADER_LEN);
        buf[104] = ctype;
    }
    be64_write(buf + cluster_size, 2 * cluster_size);
    for (int i = 0; i < 3; i++) {
        qcow2_refblock_set(&tmp, buf + 2 * cluster_size, i, 1);
    }
    ret = bdrv_pwrite(file, 0, buf, 3 * cluster_size);
    free(buf);
    if (ret == 0) {
        ret = bdrv_flush(file);
    }
    bdrv_unref(file);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 header");
        return ret;
    }

    BlockDriverState *bs = bdrv_open(filename, "qcow2", NULL,
                                     BDRV_O_RDWR | BDRV_O_NO_BACKING |
                                     BDRV_O_NO_FLUSH, errp);
    if (!bs) {
        return -EIO;
    }
    if (backing) {
        snprintf(bs->backing_file, sizeof(bs->backing_file), "%s", backing);
        snprintf(bs->backing_format, sizeof(bs->backing_format), "%s",
                 backing_fmt ? backing_fmt : "");
    }
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 header");
        bdrv_unref(bs);
        return ret;
    }
    ret = bdrv_truncate(bs, size, PREALLOC_MODE_OFF, errp);
    if (ret < 0) {
        bdrv_unref(bs);
        return ret;
    }
    if (prealloc != PREALLOC_MODE_OFF) {
        emu_mutex_lock(&bs->lock);
        ret = preallocate(bs, prealloc);
        emu_mutex_unlock(&bs->lock);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not preallocate metadata");
            bdrv_unref(bs);
            return ret;
        }
    }
    ret = bdrv_flush(bs);
    bdrv_unref(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not flush the new image");
    }
    return ret;
}

/* ---- check and information ---- */

static int qcow2_check(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (fix && bs->read_only) {
        fix = 0;
    }
    ret = qcow2_flush_caches(bs);
    if (ret < 0) {
        memset(res, 0, sizeof(*res));
        res->check_errors++;
        return ret;
    }
    ret = qcow2_check_refcounts(bs, res, fix);
    if (ret < 0) {
        return ret;
    }
    if (fix) {
        ret = qcow2_flush_caches(bs);
        if (ret == 0) {
            ret = bdrv_flush(bs->file);
        }
        if (ret < 0) {
            res->check_errors++;
        }
        if (!res->check_errors && !res->corruptions) {
            bool changed = false;
            if (s->incompatible_features & (QCOW2_INCOMPAT_CORRUPT |
                                            QCOW2_INCOMPAT_DIRTY)) {
                s->incompatible_features &= ~(QCOW2_INCOMPAT_CORRUPT |
                                              QCOW2_INCOMPAT_DIRTY);
                changed = true;
            }
            if (changed && s->qcow_version >= 3) {
                write_incompat_features(bs);
            }
        }
    }
    return 0;
}

static int qcow2_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l2_span = (uint64_t)s->cluster_size << s->l2_bits;

    memset(bdi, 0, sizeof(*bdi));
    bdi->cluster_size = s->cluster_size;
    bdi->is_dirty = !!(s->incompatible_features & QCOW2_INCOMPAT_DIRTY);
    bdi->vm_state_offset = DIV_ROUND_UP(s->size, l2_span) * l2_span;
    return 0;
}

static int entry_status(BDRVQcow2State *s, int type, uint64_t l2e,
                        uint64_t pos, uint64_t *map)
{
    switch (type) {
    case QCOW2_CLUSTER_ZERO_PLAIN:
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
    case QCOW2_CLUSTER_ZERO_ALLOC:
        *map = (l2e & L2E_OFFSET_MASK) + offset_into_cluster(s, pos);
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID |
               BDRV_BLOCK_ALLOCATED;
    case QCOW2_CLUSTER_NORMAL:
        *map = (l2e & L2E_OFFSET_MASK) + offset_into_cluster(s, pos);
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID |
               BDRV_BLOCK_ALLOCATED;
    case QCOW2_CLUSTER_COMPRESSED:
        return BDRV_BLOCK_DATA | BDRV_BLOCK_COMPRESSED | BDRV_BLOCK_ALLOCATED;
    default:
        return 0;
    }
}

static int qcow2_block_status(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes, uint64_t *pnum, uint64_t *map)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t n = bytes, l2e, m = 0;
    int type, status;

    *map = 0;
    type = qcow2_get_cluster(bs, offset, &l2e, &n);
    if (type < 0) {
        return type;
    }
    status = entry_status(s, type, l2e, offset, &m);
    *map = m;
    /* extend over following clusters with the same status */
    while (offset + n < offset + bytes && n < 256 * MiB) {
        uint64_t n2 = bytes - n, e2, m2 = 0;
        int t2 = qcow2_get_cluster(bs, offset + n, &e2, &n2);
        if (t2 < 0 || entry_status(s, t2, e2, offset + n, &m2) != status ||
            ((status & BDRV_BLOCK_OFFSET_VALID) && m2 != m + n)) {
            break;
        }
        n += n2;
    }
    *pnum = n;
    return status;
}

/* The persistent bitmaps' names, flags and granularity, for info */
static void dump_bitmaps(BlockDriverState *bs, StrBuf *human,
                         struct json_object *json)
{
    BDRVQcow2State *s = bs->opaque;
    const uint8_t *ext = s->bitmaps_ext;
    struct json_object *arr;
    uint8_t *dir;

    if (!ext || s->bitmaps_ext_len < 24 ||
        !(s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS)) {
        return;
    }
    uint32_t nb = be32_read(ext);
    uint64_t dir_size = be64_read(ext + 8), dir_off = be64_read(ext + 16);
    if (!nb || nb > 65535 || !dir_size || dir_size > 64 * MiB) {
        return;
    }
    dir = emu_malloc(dir_size);
    if (bdrv_pread(bs->file, dir_off, dir, dir_size) < 0) {
        free(dir);
        return;
    }
    arr = json ? json_object_new_array() : NULL;
    if (human) {
        strbuf_printf(human, "bitmaps:\n");
    }
    uint64_t pos = 0;
    for (uint32_t i = 0; i < nb && pos + 24 <= dir_size; i++) {
        uint32_t flags = be32_read(dir + pos + 12);
        unsigned gran_bits = dir[pos + 17];
        uint16_t name_size = be16_read(dir + pos + 18);
        uint32_t extra_size = be32_read(dir + pos + 20);
        uint64_t name_pos = pos + 24 + (uint64_t)extra_size;
        if (name_pos + name_size > dir_size || gran_bits > 63) {
            break;
        }
        char *name = emu_strndup((const char *)dir + name_pos, name_size);
        uint64_t gran = 1ULL << gran_bits;
        const char *fl[2];
        int nfl = 0;
        if (flags & 1) {
            fl[nfl++] = "in-use";
        }
        if (flags & 2) {
            fl[nfl++] = "auto";
        }
        if (human) {
            strbuf_printf(human, "    [%u]:\n        flags:\n", i);
            for (int f = 0; f < nfl; f++) {
                strbuf_printf(human, "            [%d]: %s\n", f, fl[f]);
            }
            strbuf_printf(human, "        name: %s\n        granularity: %"
                          PRIu64 "\n", name, gran);
        }
        if (arr) {
            struct json_object *o = json_object_new_object();
            struct json_object *fa = json_object_new_array();
            for (int f = 0; f < nfl; f++) {
                json_object_array_add(fa, json_object_new_string(fl[f]));
            }
            json_object_object_add(o, "flags", fa);
            json_object_object_add(o, "name", json_object_new_string(name));
            json_object_object_add(o, "granularity",
                                   json_object_new_int64(gran));
            json_object_array_add(arr, o);
        }
        free(name);
        pos = ROUND_UP(name_pos + name_size, 8);
    }
    if (arr) {
        json_object_object_add(json, "bitmaps", arr);
    }
    free(dir);
}

static void qcow2_dump_info(BlockDriverState *bs, StrBuf *human,
                            void *json_obj)
{
    BDRVQcow2State *s = bs->opaque;
    const char *compat = s->qcow_version >= 3 ? "1.1" : "0.10";
    const char *ctype = s->compression_type == QCOW2_COMPRESSION_ZSTD ?
                        "zstd" : "zlib";
    bool lazy = !!(s->compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS);
    bool corrupt = !!(s->incompatible_features & QCOW2_INCOMPAT_CORRUPT);

    if (human) {
        strbuf_printf(human, "compat: %s\n", compat);
        strbuf_printf(human, "compression type: %s\n", ctype);
        if (s->qcow_version >= 3) {
            strbuf_printf(human, "lazy refcounts: %s\n",
                          lazy ? "true" : "false");
        }
        dump_bitmaps(bs, human, NULL);
        strbuf_printf(human, "refcount bits: %d\n", s->refcount_bits);
        if (s->qcow_version >= 3) {
            strbuf_printf(human, "corrupt: %s\n", corrupt ? "true" : "false");
            strbuf_printf(human, "extended l2: false\n");
        }
    }
    if (json_obj) {
        struct json_object *o = json_obj;
        json_object_object_add(o, "compat", json_object_new_string(compat));
        json_object_object_add(o, "compression-type",
                               json_object_new_string(ctype));
        if (s->qcow_version >= 3) {
            json_object_object_add(o, "lazy-refcounts",
                                   json_object_new_boolean(lazy));
        }
        dump_bitmaps(bs, NULL, o);
        json_object_object_add(o, "refcount-bits",
                               json_object_new_int(s->refcount_bits));
        if (s->qcow_version >= 3) {
            json_object_object_add(o, "corrupt",
                                   json_object_new_boolean(corrupt));
            json_object_object_add(o, "extended-l2",
                                   json_object_new_boolean(false));
        }
    }
}

static int qcow2_change_backing_file(BlockDriverState *bs,
                                     const char *backing_file,
                                     const char *backing_fmt)
{
    char old_file[sizeof(bs->backing_file)];
    char old_fmt[sizeof(bs->backing_format)];
    int ret;

    if (backing_file && strlen(backing_file) > 1023) {
        return -EINVAL;
    }
    if (backing_fmt && strlen(backing_fmt) >= sizeof(bs->backing_format)) {
        return -EINVAL;
    }
    memcpy(old_file, bs->backing_file, sizeof(old_file));
    memcpy(old_fmt, bs->backing_format, sizeof(old_fmt));
    snprintf(bs->backing_file, sizeof(bs->backing_file), "%s",
             backing_file ? backing_file : "");
    snprintf(bs->backing_format, sizeof(bs->backing_format), "%s",
             backing_file && backing_fmt ? backing_fmt : "");
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        memcpy(bs->backing_file, old_file, sizeof(old_file));
        memcpy(bs->backing_format, old_fmt, sizeof(old_fmt));
    }
    return ret;
}

static BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .preadv = qcow2_preadv,
    .pwritev = qcow2_pwritev,
    .pwrite_zeroes = qcow2_pwrite_zeroes,
    .pdiscard = qcow2_pdiscard,
    .pwrite_compressed = qcow2_pwrite_compressed,
    .flush = qcow2_flush,
    .getlength = qcow2_getlength,
    .get_allocated_file_size = qcow2_get_allocated_file_size,
    .truncate = qcow2_truncate,
    .create = qcow2_create,
    .check = qcow2_check,
    .get_info = qcow2_get_info,
    .block_status = qcow2_block_status,
    .dump_info = qcow2_dump_info,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_goto = qcow2_snapshot_goto,
    .snapshot_delete = qcow2_snapshot_delete,
    .snapshot_list = qcow2_snapshot_list,
    .change_backing_file = qcow2_change_backing_file,
};

BLOCK_DRIVER_REGISTER(bdrv_qcow2)
