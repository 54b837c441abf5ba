/* The block layer core: driver registry, probing, node graph, synchronous I/O. */
#include "emu/osdep.h"
#include "block/block_int.h"
#include "block/block.h"
#include "block/block-internal.h"
#include <limits.h>
#include <sys/stat.h>

/* Bytes handed to the format drivers' probe() */
#define BLOCK_PROBE_BUF_SIZE 2048
/* A backing chain deeper than this is treated as broken (loops are
 * detected earlier by path; this bounds pathological but loop-free chains) */
#define BACKING_CHAIN_MAX 4096

static BlockDriver *driver_list;
static EmuMutex node_counter_lock;     /* guards the two below */
static unsigned node_counter;
/* every open node, newest first (info block -n) */
typedef struct NodeEntry {
    BlockDriverState *bs;
    struct NodeEntry *next;
} NodeEntry;
static NodeEntry *all_nodes;

void bdrv_register(BlockDriver *drv)
{
    drv->next = driver_list;
    driver_list = drv;
}

const BlockDriver *bdrv_find_format(const char *name)
{
    for (const BlockDriver *drv = driver_list; drv; drv = drv->next) {
        if (strcmp(drv->format_name, name) == 0) {
            return drv;
        }
    }
    return NULL;
}

/* ---- iovec helpers ---- */

static int64_t iov_total(const struct iovec *iov, int niov)
{
    int64_t n = 0;
    for (int i = 0; i < niov; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

/* Fill bytes at [offset, offset + bytes) of the iovec's buffer with zeroes */
static void iov_zero_range(struct iovec *iov, int niov, uint64_t offset,
                           uint64_t bytes)
{
    for (int i = 0; i < niov && bytes; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t n = MIN(iov[i].iov_len - offset, bytes);
        memset((char *)iov[i].iov_base + offset, 0, n);
        bytes -= n;
        offset = 0;
    }
}

/*
 * Describe the first bytes of iov in a new array (*out, caller frees);
 * returns its element count.
 */
static int iov_head(struct iovec *iov, int niov, uint64_t bytes,
                    struct iovec **out)
{
    struct iovec *v = emu_new(struct iovec, niov ? niov : 1);
    int n = 0;
    for (int i = 0; i < niov && bytes; i++) {
        size_t len = MIN(iov[i].iov_len, bytes);
        v[n].iov_base = iov[i].iov_base;
        v[n].iov_len = len;
        n++;
        bytes -= len;
    }
    *out = v;
    return n;
}

/* ---- Node lock: the model of block_int.h ---- */

static void node_lock(BlockDriverState *bs)
{
    if (!bs->drv->thread_safe) {
        emu_mutex_lock(&bs->lock);
    }
}

static void node_unlock(BlockDriverState *bs)
{
    if (!bs->drv->thread_safe) {
        emu_mutex_unlock(&bs->lock);
    }
}

static bool request_valid(int64_t offset, int64_t bytes)
{
    return offset >= 0 && bytes >= 0 && offset <= INT64_MAX - bytes;
}

/* ---- Synchronous I/O ---- */

int bdrv_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                struct iovec *iov, int niov)
{
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (!request_valid(offset, bytes) || niov < 0 ||
        iov_total(iov, niov) < bytes) {
        return -EINVAL;
    }
    if (bytes == 0) {
        return 0;
    }
    if (!bs->drv->preadv) {
        return -ENOTSUP;
    }
    if (bs->drv->is_protocol) {
        /* the protocol zero-fills past its end itself (the file may grow) */
        return bs->drv->preadv(bs, offset, bytes, iov, niov, 0);
    }
    /* A format node reads as zeroes past its size (a short backing file) */
    int64_t size = bs->total_bytes;
    if (offset >= size) {
        iov_zero_range(iov, niov, 0, bytes);
        return 0;
    }
    int ret;
    if (offset + bytes > size) {
        int64_t head = size - offset;
        struct iovec *sub;
        int nsub = iov_head(iov, niov, head, &sub);
        node_lock(bs);
        ret = bs->drv->preadv(bs, offset, head, sub, nsub, 0);
        node_unlock(bs);
        free(sub);
        if (ret >= 0) {
            iov_zero_range(iov, niov, head, bytes - head);
        }
    } else {
        node_lock(bs);
        ret = bs->drv->preadv(bs, offset, bytes, iov, niov, 0);
        node_unlock(bs);
    }
    return ret < 0 ? ret : 0;
}

int bdrv_rw_inline(BlockDriverState *bs, bool is_write, int64_t offset,
                   int64_t bytes, struct iovec *iov, int niov)
{
    if (!bs || !bs->drv || !bs->drv->rw_inline || !bs->drv->thread_safe ||
        !request_valid(offset, bytes) || bytes == 0 || niov <= 0 ||
        iov_total(iov, niov) != bytes || (is_write && bs->read_only)) {
        return -EAGAIN;
    }
    /* past a format's end: the normal path zero-fills or fails it */
    if (!bs->drv->is_protocol && offset + bytes > bs->total_bytes) {
        return -EAGAIN;
    }
    return bs->drv->rw_inline(bs, is_write, offset, bytes, iov, niov) == 0
           ? 0 : -EAGAIN;
}

int bdrv_pread(BlockDriverState *bs, int64_t offset, void *buf,
               int64_t bytes)
{
    struct iovec iov = { .iov_base = buf, .iov_len = bytes };
    if (bytes < 0) {
        return -EINVAL;
    }
    return bdrv_preadv(bs, offset, bytes, &iov, 1);
}

int bdrv_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                 struct iovec *iov, int niov, int flags)
{
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (!request_valid(offset, bytes) || niov < 0 ||
        iov_total(iov, niov) < bytes) {
        return -EINVAL;
    }
    if (bs->read_only) {
        return -EACCES;
    }
    if (!bs->drv->is_protocol && offset + bytes > bs->total_bytes) {
        return -EIO;
    }
    if (bytes == 0) {
        return 0;
    }
    if (!bs->drv->pwritev) {
        return -ENOTSUP;
    }
    node_lock(bs);
    int ret = bs->drv->pwritev(bs, offset, bytes, iov, niov, flags);
    node_unlock(bs);
    return ret < 0 ? ret : 0;
}

int bdrv_pwrite(BlockDriverState *bs, int64_t offset, const void *buf,
                int64_t bytes)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = bytes };
    if (bytes < 0) {
        return -EINVAL;
    }
    return bdrv_pwritev(bs, offset, bytes, &iov, 1, 0);
}

int bdrv_pwrite_sync(BlockDriverState *bs, int64_t offset, const void *buf,
                     int64_t bytes)
{
    int ret = bdrv_pwrite(bs, offset, buf, bytes);
    if (ret < 0) {
        return ret;
    }
    return bdrv_flush(bs);
}

/* Write zeroes with ordinary writes, when the driver cannot do better */
static int pwrite_zeroes_fallback(BlockDriverState *bs, int64_t offset,
                                  int64_t bytes, int flags)
{
    size_t chunk = MIN(bytes, (int64_t)(1 * MiB));
    void *zero = emu_malloc0(chunk);
    int ret = 0;
    while (bytes > 0) {
        size_t n = MIN((int64_t)chunk, bytes);
        struct iovec iov = { .iov_base = zero, .iov_len = n };
        ret = bdrv_pwritev(bs, offset, n, &iov, 1, flags & BDRV_REQ_FUA);
        if (ret < 0) {
            break;
        }
        offset += n;
        bytes -= n;
    }
    free(zero);
    return ret;
}

int bdrv_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       int flags)
{
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (!request_valid(offset, bytes)) {
        return -EINVAL;
    }
    if (bs->read_only) {
        return -EACCES;
    }
    if (!bs->drv->is_protocol && offset + bytes > bs->total_bytes) {
        return -EIO;
    }
    if (bytes == 0) {
        return 0;
    }
    int ret = -ENOTSUP;
    if (bs->drv->pwrite_zeroes) {
        node_lock(bs);
        ret = bs->drv->pwrite_zeroes(bs, offset, bytes, flags);
        node_unlock(bs);
    }
    if (ret == -ENOTSUP && !(flags & BDRV_REQ_NO_FALLBACK)) {
        ret = pwrite_zeroes_fallback(bs, offset, bytes, flags);
    }
    return ret < 0 ? ret : 0;
}

int bdrv_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (!request_valid(offset, bytes)) {
        return -EINVAL;
    }
    if (bs->read_only) {
        return -EACCES;
    }
    if (!bs->drv->pdiscard || bytes == 0) {
        return 0;       /* discard is advisory */
    }
    node_lock(bs);
    int ret = bs->drv->pdiscard(bs, offset, bytes);
    node_unlock(bs);
    if (ret == -ENOTSUP) {
        ret = 0;
    }
    return ret < 0 ? ret : 0;
}

int bdrv_flush(BlockDriverState *bs)
{
    if (!bs || !bs->drv) {
        return 0;
    }
    int ret = 0;
    if (bs->drv->flush && !bs->read_only) {
        node_lock(bs);
        ret = bs->drv->flush(bs);
        node_unlock(bs);
    }
    if (ret >= 0 && bs->file) {
        ret = bdrv_flush(bs->file);
    }
    return ret < 0 ? ret : 0;
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (!bs->drv->getlength) {
        return bs->total_bytes;
    }
    node_lock(bs);
    int64_t len = bs->drv->getlength(bs);
    node_unlock(bs);
    if (len >= 0) {
        bs->total_bytes = len;
    }
    return len;
}

int bdrv_truncate(BlockDriverState *bs, int64_t offset, PreallocMode prealloc,
                  Error **errp)
{
    if (!bs || !bs->drv) {
        error_setg(errp, "No medium inserted");
        return -ENOMEDIUM;
    }
    if (offset < 0) {
        error_setg(errp, "Image size cannot be negative");
        return -EINVAL;
    }
    if (bs->read_only) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    if (!bs->drv->truncate) {
        error_setg(errp, "Image format driver does not support resize");
        return -ENOTSUP;
    }
    node_lock(bs);
    int ret = bs->drv->truncate(bs, offset, prealloc, errp);
    node_unlock(bs);
    if (ret < 0) {
        return ret;
    }
    int64_t len = bdrv_getlength(bs);
    if (len < 0) {
        error_setg_errno(errp, (int)-len, "Could not refresh total size");
        return (int)len;
    }
    return 0;
}

int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map)
{
    *pnum = 0;
    if (map) {
        *map = 0;
    }
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (bytes == 0 || offset > INT64_MAX || bytes > INT64_MAX - offset) {
        return -EINVAL;
    }
    int64_t size = bs->drv->is_protocol ? bdrv_getlength(bs) : bs->total_bytes;
    if (size < 0) {
        return (int)size;
    }
    if (!bs->drv->is_protocol) {
        if (offset >= (uint64_t)size) {
            *pnum = bytes;
            return BDRV_BLOCK_ZERO;
        }
        bytes = MIN(bytes, (uint64_t)size - offset);
    }
    if (!bs->drv->block_status) {
        *pnum = bytes;
        if (map) {
            *map = offset;
        }
        return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED |
               (bs->drv->is_protocol ? BDRV_BLOCK_OFFSET_VALID : 0);
    }
    uint64_t dummy_map;
    node_lock(bs);
    int ret = bs->drv->block_status(bs, offset, bytes, pnum,
                                    map ? map : &dummy_map);
    node_unlock(bs);
    if (ret >= 0 && (*pnum == 0 || *pnum > bytes)) {
        /* a driver bug must not make callers loop forever */
        *pnum = bytes;
    }
    return ret;
}

int64_t bdrv_get_allocated_file_size(BlockDriverState *bs)
{
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->drv->get_allocated_file_size) {
        node_lock(bs);
        int64_t r = bs->drv->get_allocated_file_size(bs);
        node_unlock(bs);
        return r;
    }
    if (bs->file) {
        return bdrv_get_allocated_file_size(bs->file);
    }
    return -ENOTSUP;
}

int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    memset(res, 0, sizeof(*res));
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (!bs->drv->check) {
        return -ENOTSUP;
    }
    node_lock(bs);
    int ret = bs->drv->check(bs, res, fix);
    node_unlock(bs);
    return ret;
}

void bdrv_dump_info(BlockDriverState *bs, StrBuf *human, void *json_obj)
{
    if (!bs || !bs->drv || !bs->drv->dump_info) {
        return;
    }
    node_lock(bs);
    bs->drv->dump_info(bs, human, json_obj);
    node_unlock(bs);
}

int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    memset(bdi, 0, sizeof(*bdi));
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (!bs->drv->get_info) {
        return -ENOTSUP;
    }
    node_lock(bs);
    int ret = bs->drv->get_info(bs, bdi);
    node_unlock(bs);
    return ret;
}

/* ---- Creating images ---- */

PreallocMode bdrv_parse_prealloc(const char *s, Error **errp)
{
    static const char *const names[] = {
        [PREALLOC_MODE_OFF] = "off",
        [PREALLOC_MODE_METADATA] = "metadata",
        [PREALLOC_MODE_FALLOC] = "falloc",
        [PREALLOC_MODE_FULL] = "full",
    };
    if (!s) {
        return PREALLOC_MODE_OFF;
    }
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (strcmp(s, names[i]) == 0) {
            return (PreallocMode)i;
        }
    }
    error_setg(errp, "Parameter 'preallocation' does not accept value '%s'",
               s);
    return PREALLOC_MODE_OFF;
}

int bdrv_create(const char *fmt, const char *filename, uint64_t size,
                EmuOpts *opts, Error **errp)
{
    const BlockDriver *drv = bdrv_find_format(fmt);
    if (!drv) {
        error_setg(errp, "Unknown file format '%s'", fmt);
        return -ENOENT;
    }
    if (!drv->create) {
        error_setg(errp, "Format driver '%s' does not support image creation",
                   fmt);
        return -ENOTSUP;
    }
    if (size > INT64_MAX) {
        error_setg(errp, "Image size is too large");
        return -EINVAL;
    }
    return drv->create(filename, size, opts, errp);
}

int bdrv_create_file(const char *filename, uint64_t size,
                     PreallocMode prealloc, Error **errp)
{
    static const char *const names[] = {
        "off", "metadata", "falloc", "full",
    };
    const BlockDriver *drv = bdrv_find_format("file");
    if (!drv || !drv->create) {
        error_setg(errp, "The file protocol is not available");
        return -ENOTSUP;
    }
    if ((unsigned)prealloc >= ARRAY_SIZE(names) ||
        prealloc == PREALLOC_MODE_METADATA) {
        error_setg(errp, "Unsupported preallocation mode '%s'",
                   (unsigned)prealloc < ARRAY_SIZE(names) ?
                   names[prealloc] : "?");
        return -EINVAL;
    }
    EmuOpts *opts = opts_new();
    opts_set(opts, "preallocation", names[prealloc]);
    int ret = drv->create(filename, size, opts, errp);
    opts_free(opts);
    return ret;
}

/* ---- Opening and closing nodes ---- */

static const BlockDriver *find_protocol(void)
{
    for (const BlockDriver *drv = driver_list; drv; drv = drv->next) {
        if (drv->is_protocol && strcmp(drv->format_name, "file") == 0) {
            return drv;
        }
    }
    return NULL;
}

static BlockDriverState *bdrv_new_node(const BlockDriver *drv,
                                       const char *filename, int flags)
{
    BlockDriverState *bs = emu_new0(BlockDriverState, 1);
    bs->drv = drv;
    bs->opaque = drv->instance_size ? emu_malloc0(drv->instance_size) : NULL;
    snprintf(bs->filename, sizeof(bs->filename), "%s", filename);
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    bs->refcnt = 1;
    emu_mutex_init(&bs->lock);
    NodeEntry *e = emu_new0(NodeEntry, 1);
    e->bs = bs;
    emu_mutex_lock(&node_counter_lock);
    unsigned n = node_counter++;
    e->next = all_nodes;
    all_nodes = e;
    emu_mutex_unlock(&node_counter_lock);
    snprintf(bs->node_name, sizeof(bs->node_name), "#block%03u", n);
    return bs;
}

static void bdrv_free_node(BlockDriverState *bs)
{
    emu_mutex_lock(&node_counter_lock);
    for (NodeEntry **pp = &all_nodes; *pp; pp = &(*pp)->next) {
        if ((*pp)->bs == bs) {
            NodeEntry *e = *pp;
            *pp = e->next;
            free(e);
            break;
        }
    }
    emu_mutex_unlock(&node_counter_lock);
    emu_mutex_destroy(&bs->lock);
    free(bs->opaque);
    free(bs);
}

static BlockDriverState *bdrv_open_protocol(const char *filename, int flags,
                                            Error **errp)
{
    const BlockDriver *drv = find_protocol();
    if (!drv) {
        error_setg(errp, "The file protocol is not available");
        return NULL;
    }
    const char *path = filename;
    strstart(filename, "file:", &path);
    if (strlen(path) >= sizeof(((BlockDriverState *)0)->filename)) {
        error_setg(errp, "Could not open '%s': File name too long", path);
        return NULL;
    }
    BlockDriverState *bs = bdrv_new_node(drv, path, flags);
    if (drv->open(bs, NULL, flags, errp) < 0) {
        bdrv_free_node(bs);
        return NULL;
    }
    int64_t len = drv->getlength ? drv->getlength(bs) : 0;
    bs->total_bytes = len > 0 ? len : 0;
    return bs;
}

const BlockDriver *bdrv_probe_buffer(const uint8_t *buf, int len,
                                     const char *filename)
{
    const BlockDriver *best = NULL;
    int best_score = 0;
    for (const BlockDriver *drv = driver_list; drv; drv = drv->next) {
        if (!drv->probe || drv->is_protocol) {
            continue;
        }
        int score = drv->probe(buf, len, filename);
        if (score > best_score) {
            best_score = score;
            best = drv;
        }
    }
    return best;
}

BlockDriverState *bdrv_next_node(BlockDriverState *bs)
{
    BlockDriverState *next = NULL;
    emu_mutex_lock(&node_counter_lock);
    NodeEntry *e = all_nodes;
    if (bs) {
        while (e && e->bs != bs) {
            e = e->next;
        }
        e = e ? e->next : NULL;
    }
    next = e ? e->bs : NULL;
    emu_mutex_unlock(&node_counter_lock);
    return next;
}

/* The format whose probe is surest about the first bytes of file */
static const BlockDriver *probe_format(BlockDriverState *file, Error **errp)
{
    uint8_t *buf = emu_malloc0(BLOCK_PROBE_BUF_SIZE);
    int64_t len = bdrv_getlength(file);
    int n = (int)MIN(len < 0 ? 0 : len, BLOCK_PROBE_BUF_SIZE);
    int ret = bdrv_pread(file, 0, buf, n);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read image for determining "
                         "its format");
        free(buf);
        return NULL;
    }
    const BlockDriver *best = bdrv_probe_buffer(buf, n, file->filename);
    free(buf);
    if (!best) {
        error_setg(errp, "Could not determine image format");
    }
    return best;
}

/*
 * Paths being opened on this thread, outermost first: a backing file that
 * names an image already on the stack is a loop.
 */
static __thread char **open_stack;
static __thread int open_depth;

static bool open_stack_push(const char *path, Error **errp)
{
    char *real = realpath(path, NULL);
    if (!real) {
        real = emu_strdup(path);
    }
    for (int i = 0; i < open_depth; i++) {
        if (strcmp(open_stack[i], real) == 0) {
            error_setg(errp, "Backing file '%s' creates an infinite loop.",
                       path);
            free(real);
            return false;
        }
    }
    if (open_depth >= BACKING_CHAIN_MAX) {
        error_setg(errp, "Backing chain of '%s' is too deep", path);
        free(real);
        return false;
    }
    open_stack = emu_realloc(open_stack, sizeof(char *) * (open_depth + 1));
    open_stack[open_depth++] = real;
    return true;
}

static void open_stack_pop(void)
{
    free(open_stack[--open_depth]);
    if (open_depth == 0) {
        free(open_stack);
        open_stack = NULL;
    }
}

static BlockDriverState *bdrv_open_inner(const char *filename, const char *fmt,
                                         EmuOpts *opts, int flags,
                                         Error **errp)
{
    const BlockDriver *drv = NULL;
    if (fmt) {
        drv = bdrv_find_format(fmt);
        if (!drv) {
            error_setg(errp, "Unknown driver '%s'", fmt);
            return NULL;
        }
    }
    if (!filename || !*filename) {
        error_setg(errp, "The 'file' block driver requires a file name");
        return NULL;
    }
    /* the snapshot overlay is made by the backend (-snapshot), not here */
    flags &= ~BDRV_O_SNAPSHOT;

    BlockDriverState *file = bdrv_open_protocol(filename, flags, errp);
    if (!file) {
        return NULL;
    }
    if (drv && drv->is_protocol) {
        return file;
    }
    bool probed = false;
    if (!drv) {
        drv = probe_format(file, errp);
        if (!drv) {
            bdrv_unref(file);
            return NULL;
        }
        probed = true;
    }

    BlockDriverState *bs = bdrv_new_node(drv, file->filename, flags);
    bs->file = file;
    bs->probed = probed;
    if (probed && strcmp(drv->format_name, "raw") == 0 &&
        (flags & BDRV_O_RDWR)) {
        /* QEMU's text, to stderr like QEMU (not "emu: warning:") */
        fprintf(stderr, "WARNING: Image format was not specified for '%s' "
                "and probing guessed raw.\n"
                "         Automatically detecting the format is dangerous "
                "for raw images, write operations on block 0 will be "
                "restricted.\n"
                "         Specify the 'raw' format explicitly to remove the "
                "restrictions.\n", file->filename);
    }
    if (!drv->open) {
        error_setg(errp, "Driver '%s' cannot open images", drv->format_name);
        goto fail;
    }
    if (drv->open(bs, opts, flags, errp) < 0) {
        goto fail;
    }
    if (drv->getlength) {
        int64_t len = drv->getlength(bs);
        if (len < 0) {
            error_setg_errno(errp, (int)-len, "Could not get the size of '%s'",
                             bs->filename);
            if (drv->close) {
                drv->close(bs);
            }
            goto fail;
        }
        bs->total_bytes = len;
    } else {
        bs->total_bytes = bdrv_getlength(file);
    }
    if (bs->backing_file[0] && !(flags & BDRV_O_NO_BACKING) && !bs->backing) {
        Error *local_err = NULL;
        bs->backing = bdrv_open_backing(bs, flags, &local_err);
        if (!bs->backing) {
            error_propagate(errp, local_err);
            if (drv->close) {
                drv->close(bs);
            }
            goto fail;
        }
    }
    return bs;

fail:
    bdrv_unref(file);
    bs->file = NULL;
    bdrv_free_node(bs);
    return NULL;
}

BlockDriverState *bdrv_open(const char *filename, const char *fmt,
                            EmuOpts *opts, int flags, Error **errp)
{
    const char *path = filename ? filename : "";
    strstart(path, "file:", &path);
    if (!open_stack_push(path, errp)) {
        return NULL;
    }
    BlockDriverState *bs = bdrv_open_inner(filename, fmt, opts, flags, errp);
    open_stack_pop();
    return bs;
}

char *bdrv_backing_path(const char *image, const char *backing)
{
    const char *img = image;
    strstart(img, "file:", &img);
    if (backing[0] == '/' || strstr(backing, "://") ||
        !strchr(img, '/')) {
        return emu_strdup(backing);
    }
    const char *slash = strrchr(img, '/');
    return emu_asprintf("%.*s/%s", (int)(slash - img), img, backing);
}

BlockDriverState *bdrv_open_backing(BlockDriverState *bs, int flags,
                                    Error **errp)
{
    if (!bs->backing_file[0]) {
        error_setg(errp, "'%s' has no backing file", bs->filename);
        return NULL;
    }
    char *path = bdrv_backing_path(bs->filename, bs->backing_file);
    const char *fmt = bs->backing_format[0] ? bs->backing_format : NULL;
    /* backing images are never written through the overlay */
    int bflags = (flags & ~(BDRV_O_RDWR | BDRV_O_SNAPSHOT | BDRV_O_CHECK)) |
                 (bs->open_flags & BDRV_O_NO_LOCK);
    Error *local_err = NULL;
    BlockDriverState *backing = bdrv_open(path, fmt, NULL, bflags, &local_err);
    if (!backing) {
        error_setg(errp, "Could not open backing file: %s",
                   error_get_pretty(local_err));
        error_free(local_err);
    }
    free(path);
    return backing;
}

void bdrv_unref(BlockDriverState *bs)
{
    if (!bs) {
        return;
    }
    assert(bs->refcnt > 0);
    if (--bs->refcnt > 0) {
        return;
    }
    if (!bs->read_only) {
        bdrv_flush(bs);
    }
    if (bs->drv && bs->drv->close) {
        bs->drv->close(bs);
    }
    BlockDriverState *file = bs->file, *backing = bs->backing;
    bs->file = bs->backing = NULL;
    bdrv_unref(backing);
    bdrv_unref(file);
    bdrv_free_node(bs);
}

static void __attribute__((constructor)) block_core_init(void)
{
    emu_mutex_init(&node_counter_lock);
}
