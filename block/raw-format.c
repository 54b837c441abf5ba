/* The "raw" format: the image file is the disk, optionally a window of it. */
#include "emu/osdep.h"
#include "block/block_int.h"
#include "block/block-internal.h"

typedef struct RawState {
    uint64_t offset;        /* where the disk starts in the file */
    uint64_t size;          /* its size; 0 with has_size false: to the end */
    bool has_size;
} RawState;

static int raw_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return 1;   /* anything can be a raw image: the last resort */
}

static int raw_open(BlockDriverState *bs, EmuOpts *opts, int flags,
                    Error **errp)
{
    RawState *s = bs->opaque;
    Error *local_err = NULL;
    if (opts && opts_has(opts, "offset")) {
        s->offset = opts_get_size(opts, "offset", 0, &local_err);
        opts_del(opts, "offset");
    }
    if (!local_err && opts && opts_has(opts, "size")) {
        s->size = opts_get_size(opts, "size", 0, &local_err);
        s->has_size = true;
        opts_del(opts, "size");
    }
    if (local_err) {
        error_propagate(errp, local_err);
        return -EINVAL;
    }
    int64_t file_len = bdrv_getlength(bs->file);
    if (file_len < 0) {
        error_setg_errno(errp, (int)-file_len, "Could not get the size of '%s'",
                         bs->filename);
        return (int)file_len;
    }
    if (s->offset > INT64_MAX || (s->has_size && s->size > INT64_MAX) ||
        (s->has_size && s->offset + s->size > (uint64_t)file_len)) {
        error_setg(errp, "The sum of offset (%" PRIu64 ") and size (%" PRIu64
                   ") has to be smaller or equal to the actual size of the "
                   "containing file (%" PRId64 ")", s->offset,
                   s->has_size ? s->size : 0, file_len);
        return -EINVAL;
    }
    if (s->offset > (uint64_t)file_len) {
        error_setg(errp, "Offset (%" PRIu64 ") cannot be greater than size "
                   "of the containing file (%" PRId64 ")", s->offset,
                   file_len);
        return -EINVAL;
    }
    return 0;
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    RawState *s = bs->opaque;
    if (s->has_size) {
        return s->size;
    }
    int64_t len = bdrv_getlength(bs->file);
    if (len < 0) {
        return len;
    }
    return len > (int64_t)s->offset ? len - (int64_t)s->offset : 0;
}

static int raw_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      struct iovec *iov, int niov, int flags)
{
    RawState *s = bs->opaque;
    return bdrv_preadv(bs->file, s->offset + offset, bytes, iov, niov);
}

/*
 * A guessed raw image must not turn itself into another format: a guest
 * writing a qcow2 header to sector 0 would otherwise make the next probe
 * open a file the guest controls as an image with a backing file.
 */
static bool raw_write_changes_format(BlockDriverState *bs, uint64_t offset,
                                     uint64_t bytes, struct iovec *iov,
                                     int niov)
{
    if (!bs->probed || offset >= 512) {
        return false;
    }
    uint8_t head[512];
    int64_t file_len = bdrv_getlength(bs->file);
    size_t have = 0;
    memset(head, 0, sizeof(head));
    if (file_len > 0 && bdrv_pread(bs->file, 0, head,
                                   MIN(file_len, (int64_t)sizeof(head))) < 0) {
        return true;
    }
    /* overlay the new data on the first sector */
    uint64_t pos = offset;
    for (int i = 0; i < niov && pos < sizeof(head) && have < bytes; i++) {
        size_t n = MIN(iov[i].iov_len, bytes - have);
        size_t c = MIN(n, sizeof(head) - pos);
        memcpy(head + pos, iov[i].iov_base, c);
        pos += c;
        have += n;
    }
    const BlockDriver *guess = bdrv_probe_buffer(head, sizeof(head),
                                                 bs->filename);
    return guess && strcmp(guess->format_name, "raw") != 0;
}

static int raw_rw_inline(BlockDriverState *bs, bool is_write, uint64_t offset,
                         uint64_t bytes, struct iovec *iov, int niov)
{
    RawState *s = bs->opaque;

    /* a probed image's first sector: raw_pwritev checks what is written */
    if (is_write && bs->probed && offset < 512) {
        return -EAGAIN;
    }
    return bdrv_rw_inline(bs->file, is_write, s->offset + offset, bytes, iov,
                          niov);
}

static int raw_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       struct iovec *iov, int niov, int flags)
{
    RawState *s = bs->opaque;
    if (raw_write_changes_format(bs, offset, bytes, iov, niov)) {
        return -EPERM;
    }
    return bdrv_pwritev(bs->file, s->offset + offset, bytes, iov, niov, flags);
}

static int raw_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, int flags)
{
    RawState *s = bs->opaque;
    /* -ENOTSUP makes the core at this level fall back to writes */
    return bdrv_pwrite_zeroes(bs->file, s->offset + offset, bytes,
                              flags | BDRV_REQ_NO_FALLBACK);
}

static int raw_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    RawState *s = bs->opaque;
    return bdrv_pdiscard(bs->file, s->offset + offset, bytes);
}

static int64_t raw_get_allocated_file_size(BlockDriverState *bs)
{
    return bdrv_get_allocated_file_size(bs->file);
}

static int raw_truncate(BlockDriverState *bs, int64_t offset,
                        PreallocMode prealloc, Error **errp)
{
    RawState *s = bs->opaque;
    if (s->has_size || s->offset) {
        error_setg(errp, "Cannot resize fixed-size raw disks");
        return -ENOTSUP;
    }
    if (prealloc == PREALLOC_MODE_METADATA) {
        error_setg(errp, "Unsupported preallocation mode 'metadata'");
        return -ENOTSUP;
    }
    return bdrv_truncate(bs->file, offset, prealloc, errp);
}

static int raw_block_status(BlockDriverState *bs, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map)
{
    RawState *s = bs->opaque;
    int ret = bdrv_block_status(bs->file, s->offset + offset, bytes, pnum,
                                map);
    if (ret < 0) {
        return ret;
    }
    return ret | BDRV_BLOCK_ALLOCATED;
}

/* a raw image is a plain file: the file protocol creates it, options too */
static int raw_create(const char *filename, uint64_t size, EmuOpts *opts,
                      Error **errp)
{
    return bdrv_create("file", filename, size, opts, errp);
}

static BlockDriver bdrv_raw = {
    .format_name = "raw",
    .instance_size = sizeof(RawState),
    .thread_safe = true,        /* stateless after open */
    .probe = raw_probe,
    .open = raw_open,
    .preadv = raw_preadv,
    .pwritev = raw_pwritev,
    .rw_inline = raw_rw_inline,
    .pwrite_zeroes = raw_pwrite_zeroes,
    .pdiscard = raw_pdiscard,
    .getlength = raw_getlength,
    .get_allocated_file_size = raw_get_allocated_file_size,
    .truncate = raw_truncate,
    .create = raw_create,
    .block_status = raw_block_status,
};

BLOCK_DRIVER_REGISTER(bdrv_raw)
