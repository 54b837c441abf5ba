/* Block backends: the device-facing side of an image, with asynchronous requests. */
#include "emu/osdep.h"
#include "block/block.h"
#include "block/block_int.h"
#include "block/block-internal.h"
#include "emu/main-loop.h"
#include "emu/thread.h"
#include "emu/timer.h"
#include "hw/qdev.h"
#include "monitor/monitor.h"
#include "system/runstate.h"
#include <fcntl.h>
#include <sys/stat.h>

struct BlockBackend {
    char *name;                 /* -drive id; "" for anonymous backends */
    BlockDriverState *root;     /* NULL: no medium */
    int refcnt;
    void *dev;                  /* the DeviceState that claimed it */
    const BlockDevOps *dev_ops;
    void *dev_opaque;
    BlockInterfaceType type;
    bool is_cdrom;
    bool wce;                   /* write cache on (else FUA every write) */
    bool read_only;             /* media opened read-only */
    bool discard_unmap;         /* discard=unmap: pass discards down */
    bool tray_open;             /* for backends without device callbacks */
    int open_flags;             /* BDRV_O_* used to (re)open media */
    BlockdevOnError on_read_error, on_write_error;
    BlockAcctStats stats;
    int64_t last_io_ns;         /* for idle_time_ns */
    int in_flight;              /* guarded by pool.lock */
    BlockBackend *next;         /* all backends */
};

static BlockBackend *all_backends;

/* ---- The worker pool ---- */

typedef enum BlkRequestType {
    BLK_REQ_READ,
    BLK_REQ_WRITE,
    BLK_REQ_FLUSH,
    BLK_REQ_DISCARD,
    BLK_REQ_ZEROES,
} BlkRequestType;

typedef struct BlkRequest {
    BlockBackend *blk;
    BlockDriverState *bs;
    BlkRequestType type;
    int64_t offset, bytes;
    struct iovec *iov;
    int niov;
    int flags;
    BlockCompletionFunc *cb;
    void *opaque;
    int ret;
    bool has_preset;            /* completes with preset_ret, no I/O */
    int preset_ret;
    int64_t start_ns, end_ns;
    struct BlkRequest *next;
} BlkRequest;

#define POOL_MIN_WORKERS 2
#define POOL_MAX_WORKERS 8

static struct {
    EmuMutex lock;
    EmuCond work_cond;          /* requests queued */
    EmuCond done_cond;          /* a request completed (for drain) */
    BlkRequest *queue_head, **queue_tail;
    BlkRequest *done_head, **done_tail;
    int nr_workers, idle_workers;
    /*
     * Wake-ups signalled but not yet taken by a worker.  A submitter wakes
     * at most one worker; a worker that finds more queued work wakes the
     * next one.  So a burst of requests (a virtqueue kick with 32 of them)
     * costs the submitting vCPU one futex wake, not one per request.
     */
    int pending_wakes;
    EmuBH *completion_bh;
    bool initialised;
} pool;

static void __attribute__((constructor)) blk_pool_init_locks(void)
{
    emu_mutex_init(&pool.lock);
    emu_cond_init(&pool.work_cond);
    emu_cond_init(&pool.done_cond);
    pool.queue_tail = &pool.queue_head;
    pool.done_tail = &pool.done_head;
}

static int64_t now_ns(void)
{
    return get_clock_monotonic();
}

static int blk_request_execute(BlkRequest *req)
{
    BlockDriverState *bs = req->bs;
    if (req->has_preset) {
        return req->preset_ret;
    }
    if (!bs) {
        /* flushing an empty drive succeeds, as QEMU's does */
        return req->type == BLK_REQ_FLUSH ? 0 : -ENOMEDIUM;
    }
    switch (req->type) {
    case BLK_REQ_READ:
        return bdrv_preadv(bs, req->offset, req->bytes, req->iov, req->niov);
    case BLK_REQ_WRITE: {
        int ret = bdrv_pwritev(bs, req->offset, req->bytes, req->iov,
                               req->niov, req->flags & ~BDRV_REQ_FUA);
        if (ret == 0 && (req->flags & BDRV_REQ_FUA)) {
            /* FUA through the whole graph: format metadata too */
            ret = bdrv_flush(bs);
        }
        return ret;
    }
    case BLK_REQ_FLUSH:
        return bdrv_flush(bs);
    case BLK_REQ_DISCARD:
        return bdrv_pdiscard(bs, req->offset, req->bytes);
    case BLK_REQ_ZEROES: {
        int ret = bdrv_pwrite_zeroes(bs, req->offset, req->bytes,
                                     req->flags & ~BDRV_REQ_FUA);
        if (ret == 0 && (req->flags & BDRV_REQ_FUA)) {
            ret = bdrv_flush(bs);
        }
        return ret;
    }
    }
    return -EINVAL;
}

static void *blk_worker_thread(void *arg)
{
    emu_mutex_lock(&pool.lock);
    for (;;) {
        while (!pool.queue_head) {
            pool.idle_workers++;
            emu_cond_wait(&pool.work_cond, &pool.lock);
            pool.idle_workers--;
            if (pool.pending_wakes > 0) {
                pool.pending_wakes--;
            }
        }
        BlkRequest *req = pool.queue_head;
        pool.queue_head = req->next;
        if (!pool.queue_head) {
            pool.queue_tail = &pool.queue_head;
        } else if (pool.idle_workers > pool.pending_wakes) {
            /* more queued: pass the wake-up on (see pending_wakes) */
            pool.pending_wakes++;
            emu_cond_signal(&pool.work_cond);
        }
        emu_mutex_unlock(&pool.lock);

        req->ret = blk_request_execute(req);
        req->end_ns = now_ns();

        emu_mutex_lock(&pool.lock);
        /*
         * Only the first completion of a batch schedules the BH: whoever
         * empties the done list (the BH, or a drain) runs until it finds
         * it empty, so it also takes what is added meanwhile.
         */
        bool first_done = !pool.done_head;
        req->next = NULL;
        *pool.done_tail = req;
        pool.done_tail = &req->next;
        emu_cond_broadcast(&pool.done_cond);
        if (first_done && pool.completion_bh) {
            bh_schedule(pool.completion_bh);
        }
    }
    return NULL;
}

static void blk_account(BlockBackend *blk, BlkRequest *req)
{
    BlockAcctStats *st = &blk->stats;
    uint64_t ns = req->end_ns > req->start_ns ? req->end_ns - req->start_ns : 0;
    blk->last_io_ns = req->end_ns;
    switch (req->type) {
    case BLK_REQ_READ:
        if (req->ret < 0) {
            st->failed_rd_ops++;
        } else {
            st->rd_ops++;
            st->rd_bytes += req->bytes;
            st->rd_total_ns += ns;
        }
        break;
    case BLK_REQ_WRITE:
    case BLK_REQ_ZEROES:
        if (req->ret < 0) {
            st->failed_wr_ops++;
        } else {
            st->wr_ops++;
            st->wr_bytes += req->bytes;
            st->wr_total_ns += ns;
        }
        break;
    case BLK_REQ_FLUSH:
        if (req->ret >= 0) {
            st->flush_ops++;
            st->flush_total_ns += ns;
        }
        break;
    case BLK_REQ_DISCARD:
        if (req->ret >= 0) {
            st->unmap_ops++;
            st->unmap_bytes += req->bytes;
        }
        break;
    }
}

/* Run the callbacks of completed requests (main loop thread, BQL held) */
static bool blk_run_completions(void)
{
    bool ran = false;
    for (;;) {
        emu_mutex_lock(&pool.lock);
        BlkRequest *req = pool.done_head;
        if (req) {
            pool.done_head = req->next;
            if (!pool.done_head) {
                pool.done_tail = &pool.done_head;
            }
        }
        emu_mutex_unlock(&pool.lock);
        if (!req) {
            return ran;
        }
        ran = true;
        BlockBackend *blk = req->blk;
        blk_account(blk, req);
        /*
         * Out of flight before the callback: a callback that drains its
         * own backend (a device reset) must not wait for itself.
         */
        emu_mutex_lock(&pool.lock);
        blk->in_flight--;
        emu_cond_broadcast(&pool.done_cond);
        emu_mutex_unlock(&pool.lock);
        if (req->cb) {
            req->cb(req->opaque, req->ret);
        }
        free(req->iov);
        free(req);
    }
}

static void blk_completion_bh(void *opaque)
{
    blk_run_completions();
}

/* Called with pool.lock held */
static void blk_pool_start_worker(void)
{
    EmuThread t;
    pool.nr_workers++;
    emu_thread_create(&t, "blk-worker", blk_worker_thread, NULL);
}

/* Completions are delivered by a BH: never inside blk_aio_* */
static void blk_submit(BlkRequest *req)
{
    req->start_ns = now_ns();
    emu_mutex_lock(&pool.lock);
    if (!pool.initialised) {
        pool.initialised = true;
        pool.completion_bh = bh_new(blk_completion_bh, NULL);
        while (pool.nr_workers < POOL_MIN_WORKERS) {
            blk_pool_start_worker();
        }
    }
    req->blk->in_flight++;
    req->next = NULL;
    *pool.queue_tail = req;
    pool.queue_tail = &req->next;
    /* grow when every worker is busy (a slow disk must not queue others) */
    int queued = 0;
    for (BlkRequest *r = pool.queue_head; r && queued <= pool.idle_workers;
         r = r->next) {
        queued++;
    }
    if (queued > pool.idle_workers && pool.nr_workers < POOL_MAX_WORKERS) {
        blk_pool_start_worker();
    }
    if (pool.idle_workers > 0 && pool.pending_wakes == 0) {
        pool.pending_wakes++;
        emu_cond_signal(&pool.work_cond);
    }
    emu_mutex_unlock(&pool.lock);
}

/* A request that fails before reaching a worker still completes later */
static BlkRequest *blk_request_new(BlockBackend *blk, BlkRequestType type,
                                   int64_t offset, int64_t bytes,
                                   BlockCompletionFunc *cb, void *opaque)
{
    BlkRequest *req = emu_new0(BlkRequest, 1);
    req->blk = blk;
    req->bs = blk->root;
    req->type = type;
    req->offset = offset;
    req->bytes = bytes;
    req->cb = cb;
    req->opaque = opaque;
    return req;
}

static int64_t iov_size(const struct iovec *iov, int niov)
{
    int64_t n = 0;
    for (int i = 0; i < niov; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

/* -EIO for requests outside the medium, as a disk would answer */
static int blk_check_request(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    if (!blk->root) {
        return -ENOMEDIUM;
    }
    if (offset < 0 || bytes < 0 || offset > INT64_MAX - bytes ||
        offset + bytes > blk->root->total_bytes) {
        return -EIO;
    }
    return 0;
}

/* Queue req, or complete it with err through the same path */
static void blk_submit_or_fail(BlkRequest *req, int err)
{
    if (err < 0) {
        req->has_preset = true;
        req->preset_ret = err;
    }
    blk_submit(req);
}

static struct iovec *iov_dup(const struct iovec *iov, int niov)
{
    struct iovec *v = emu_new(struct iovec, niov > 0 ? niov : 1);
    if (niov > 0) {
        memcpy(v, iov, sizeof(*v) * niov);
    }
    return v;
}

void blk_aio_preadv(BlockBackend *blk, int64_t offset, struct iovec *iov,
                    int niov, BlockCompletionFunc *cb, void *opaque)
{
    int64_t bytes = iov_size(iov, niov);
    BlkRequest *req = blk_request_new(blk, BLK_REQ_READ, offset, bytes,
                                      cb, opaque);
    req->iov = iov_dup(iov, niov);
    req->niov = niov;
    blk_submit_or_fail(req, blk_check_request(blk, offset, bytes));
}

void blk_aio_pwritev(BlockBackend *blk, int64_t offset, struct iovec *iov,
                     int niov, int flags, BlockCompletionFunc *cb,
                     void *opaque)
{
    int64_t bytes = iov_size(iov, niov);
    BlkRequest *req = blk_request_new(blk, BLK_REQ_WRITE, offset, bytes,
                                      cb, opaque);
    req->iov = iov_dup(iov, niov);
    req->niov = niov;
    req->flags = flags | (blk->wce ? 0 : BDRV_REQ_FUA);
    int err = blk_check_request(blk, offset, bytes);
    if (!err && blk->read_only) {
        err = -EACCES;
    }
    blk_submit_or_fail(req, err);
}

void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque)
{
    BlkRequest *req = blk_request_new(blk, BLK_REQ_FLUSH, 0, 0, cb, opaque);
    blk_submit(req);
}

void blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BlockCompletionFunc *cb, void *opaque)
{
    BlkRequest *req = blk_request_new(blk, BLK_REQ_DISCARD, offset, bytes,
                                      cb, opaque);
    int err = blk_check_request(blk, offset, bytes);
    if (!err && blk->read_only) {
        err = -EACCES;
    }
    if (!err && !blk->discard_unmap) {
        /* discard=ignore: succeed without touching the image */
        req->has_preset = true;
        req->preset_ret = 0;
        req->bytes = 0;
        blk_submit(req);
        return;
    }
    blk_submit_or_fail(req, err);
}

void blk_aio_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                           int flags, BlockCompletionFunc *cb, void *opaque)
{
    BlkRequest *req = blk_request_new(blk, BLK_REQ_ZEROES, offset, bytes,
                                      cb, opaque);
    req->flags = flags | (blk->wce ? 0 : BDRV_REQ_FUA);
    if (!blk->discard_unmap) {
        req->flags &= ~BDRV_REQ_MAY_UNMAP;
    }
    int err = blk_check_request(blk, offset, bytes);
    if (!err && blk->read_only) {
        err = -EACCES;
    }
    blk_submit_or_fail(req, err);
}

static int blk_in_flight(BlockBackend *blk)
{
    emu_mutex_lock(&pool.lock);
    int n = blk ? blk->in_flight : 0;
    if (!blk) {
        for (BlockBackend *b = all_backends; b; b = b->next) {
            n += b->in_flight;
        }
    }
    emu_mutex_unlock(&pool.lock);
    return n;
}

/*
 * Wait for blk's requests (all backends' with blk NULL).  The caller holds
 * the BQL in the main loop thread, so completions cannot arrive through
 * the BH: run them here while waiting.
 */
static void blk_drain_common(BlockBackend *blk)
{
    while (blk_in_flight(blk) > 0) {
        if (blk_run_completions()) {
            continue;
        }
        emu_mutex_lock(&pool.lock);
        if (!pool.done_head) {
            emu_cond_timedwait(&pool.done_cond, &pool.lock, 100);
        }
        emu_mutex_unlock(&pool.lock);
    }
}

void blk_drain(BlockBackend *blk)
{
    blk_drain_common(blk);
}

void blk_drain_all(void)
{
    blk_drain_common(NULL);
}

/* ---- Creating and destroying ---- */

BlockBackend *blk_new_empty(int open_flags)
{
    BlockBackend *blk = emu_new0(BlockBackend, 1);
    blk->name = emu_strdup("");
    blk->refcnt = 1;
    blk->open_flags = open_flags;
    blk->wce = !(open_flags & BDRV_O_WRITETHROUGH);
    blk->read_only = !(open_flags & BDRV_O_RDWR);
    blk->discard_unmap = open_flags & BDRV_O_UNMAP;
    blk->on_read_error = BLOCKDEV_ON_ERROR_REPORT;
    blk->on_write_error = BLOCKDEV_ON_ERROR_ENOSPC;
    BlockBackend **pp = &all_backends;
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = blk;
    return blk;
}

/* A temporary qcow2 overlay over base; nothing is written to base */
static BlockDriverState *blk_make_snapshot_overlay(BlockDriverState *base,
                                                   int flags, Error **errp)
{
    if (!bdrv_find_format("qcow2")) {
        error_setg(errp, "-snapshot needs the qcow2 driver, which is not "
                   "available in this build");
        return NULL;
    }
    const char *tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir) {
        tmpdir = "/var/tmp";
    }
    char *tmpl = emu_asprintf("%s/vl.XXXXXX", tmpdir);
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Could not get temporary filename");
        free(tmpl);
        return NULL;
    }
    close(fd);
    char *base_path = realpath(base->filename, NULL);
    EmuOpts *opts = opts_new();
    opts_set(opts, "backing_file", base_path ? base_path : base->filename);
    opts_set(opts, "backing_fmt", base->drv->format_name);
    free(base_path);
    BlockDriverState *overlay = NULL;
    if (bdrv_create("qcow2", tmpl, base->total_bytes, opts, errp) == 0) {
        overlay = bdrv_open(tmpl, "qcow2", NULL,
                            (flags | BDRV_O_RDWR | BDRV_O_NO_BACKING) &
                            ~BDRV_O_SNAPSHOT, errp);
    }
    opts_free(opts);
    unlink(tmpl);       /* gone when emu exits, whatever happens */
    free(tmpl);
    if (overlay) {
        overlay->backing = base;
    }
    return overlay;
}

BlockDriverState *blk_open_image(const char *filename, const char *fmt,
                                 EmuOpts *opts, int flags, Error **errp)
{
    if (!(flags & BDRV_O_SNAPSHOT)) {
        return bdrv_open(filename, fmt, opts, flags, errp);
    }
    BlockDriverState *base = bdrv_open(filename, fmt, opts,
                                       flags & ~(BDRV_O_RDWR |
                                                 BDRV_O_SNAPSHOT), errp);
    if (!base) {
        return NULL;
    }
    BlockDriverState *overlay = blk_make_snapshot_overlay(base, flags, errp);
    if (!overlay) {
        bdrv_unref(base);
    }
    return overlay;
}

void blk_insert_bs(BlockBackend *blk, BlockDriverState *bs)
{
    assert(!blk->root);
    blk->root = bs;
    if (bs) {
        blk->read_only = bs->read_only;
    }
}

BlockBackend *blk_new_open(const char *filename, const char *fmt, int flags,
                           Error **errp)
{
    BlockDriverState *bs = blk_open_image(filename, fmt, NULL, flags, errp);
    if (!bs) {
        return NULL;
    }
    BlockBackend *blk = blk_new_empty(flags);
    blk_insert_bs(blk, bs);
    return blk;
}

static void blk_remove_bs(BlockBackend *blk)
{
    if (!blk->root) {
        return;
    }
    blk_drain(blk);
    BlockDriverState *bs = blk->root;
    blk->root = NULL;
    bdrv_unref(bs);
}

void blk_unref(BlockBackend *blk)
{
    if (!blk) {
        return;
    }
    assert(blk->refcnt > 0);
    if (--blk->refcnt > 0) {
        return;
    }
    blk_remove_bs(blk);
    for (BlockBackend **pp = &all_backends; *pp; pp = &(*pp)->next) {
        if (*pp == blk) {
            *pp = blk->next;
            break;
        }
    }
    free(blk->name);
    free(blk);
}

bool blk_attach_dev(BlockBackend *blk, void *dev, Error **errp)
{
    if (blk->dev) {
        error_setg(errp, "Drive '%s' is already in use by another device",
                   blk->name);
        return false;
    }
    blk->dev = dev;
    blk->refcnt++;
    return true;
}

void blk_detach_dev(BlockBackend *blk)
{
    if (!blk->dev) {
        return;
    }
    blk->dev = NULL;
    blk->dev_ops = NULL;
    blk->dev_opaque = NULL;
    blk_unref(blk);
}

void blk_set_dev_ops(BlockBackend *blk, const BlockDevOps *ops, void *opaque)
{
    blk->dev_ops = ops;
    blk->dev_opaque = opaque;
}

void *blk_get_attached_dev(BlockBackend *blk)
{
    return blk->dev;
}

const char *blk_get_attached_dev_id(BlockBackend *blk)
{
    DeviceState *dev = blk->dev;
    if (!dev) {
        return "";
    }
    /* QEMU names the device by its id when it has one */
    return dev->id ? dev->id : device_path(dev);
}

/* ---- Names and lookup ---- */

void blk_set_name(BlockBackend *blk, const char *name)
{
    free(blk->name);
    blk->name = emu_strdup(name ? name : "");
}

const char *blk_name(const BlockBackend *blk)
{
    return blk->name;
}

BlockBackend *blk_by_name(const char *id)
{
    for (BlockBackend *b = all_backends; b; b = b->next) {
        if (b->name[0] && strcmp(b->name, id) == 0) {
            return b;
        }
    }
    return NULL;
}

BlockBackend *blk_next(BlockBackend *blk)
{
    BlockBackend *b = blk ? blk->next : all_backends;
    while (b && !b->name[0]) {
        b = b->next;
    }
    return b;
}

void blk_set_interface(BlockBackend *blk, BlockInterfaceType type,
                       bool cdrom)
{
    blk->type = type;
    blk->is_cdrom = cdrom;
}

bool blk_is_cdrom(const BlockBackend *blk)
{
    return blk->is_cdrom;
}

BlockInterfaceType blk_interface(const BlockBackend *blk)
{
    return blk->type;
}

/* ---- State ---- */

bool blk_is_inserted(const BlockBackend *blk)
{
    return blk->root != NULL;
}

bool blk_is_read_only(const BlockBackend *blk)
{
    return blk->root ? blk->root->read_only : blk->read_only;
}

int64_t blk_getlength(BlockBackend *blk)
{
    if (!blk->root) {
        return 0;
    }
    return blk->root->total_bytes;
}

bool blk_enable_write_cache(const BlockBackend *blk)
{
    return blk->wce;
}

void blk_set_enable_write_cache(BlockBackend *blk, bool wce)
{
    blk->wce = wce;
}

BlockAcctStats *blk_get_stats(BlockBackend *blk)
{
    return &blk->stats;
}

int64_t blk_idle_time_ns(BlockBackend *blk)
{
    if (!blk->last_io_ns) {
        return 0;
    }
    return now_ns() - blk->last_io_ns;
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    return blk->root;
}

int blk_get_open_flags(const BlockBackend *blk)
{
    return blk->open_flags;
}

bool blk_get_discard_unmap(const BlockBackend *blk)
{
    return blk->discard_unmap;
}

void blk_set_on_error(BlockBackend *blk, BlockdevOnError on_read,
                      BlockdevOnError on_write)
{
    blk->on_read_error = on_read;
    blk->on_write_error = on_write;
}

BlockErrorAction blk_get_error_action(BlockBackend *blk, bool is_read,
                                      int error)
{
    BlockdevOnError on = is_read ? blk->on_read_error : blk->on_write_error;
    if (error < 0) {
        error = -error;
    }
    switch (on) {
    case BLOCKDEV_ON_ERROR_ENOSPC:
        return error == ENOSPC ? BLOCK_ERROR_ACTION_STOP
                               : BLOCK_ERROR_ACTION_REPORT;
    case BLOCKDEV_ON_ERROR_STOP:
        return BLOCK_ERROR_ACTION_STOP;
    case BLOCKDEV_ON_ERROR_IGNORE:
        return BLOCK_ERROR_ACTION_IGNORE;
    case BLOCKDEV_ON_ERROR_REPORT:
    default:
        return BLOCK_ERROR_ACTION_REPORT;
    }
}

bool blk_cached_write_failed(BlockBackend *blk, int ret, int *first_error)
{
    switch (blk_get_error_action(blk, false, ret)) {
    case BLOCK_ERROR_ACTION_STOP:
        vm_stop(RUN_STATE_IO_ERROR);
        return true;
    case BLOCK_ERROR_ACTION_REPORT:
        if (!*first_error) {
            *first_error = ret;
        }
        return false;
    case BLOCK_ERROR_ACTION_IGNORE:
    default:
        return false;
    }
}

void blk_error_action(BlockBackend *blk, BlockErrorAction action,
                      bool is_read, int error)
{
    static const char *const action_names[] = {
        [BLOCK_ERROR_ACTION_REPORT] = "report",
        [BLOCK_ERROR_ACTION_IGNORE] = "ignore",
        [BLOCK_ERROR_ACTION_STOP] = "stop",
    };
    if (error < 0) {
        error = -error;
    }
    json_object *data = json_object_new_object();
    json_object_object_add(data, "device", json_object_new_string(blk->name));
    json_object_object_add(data, "node-name", json_object_new_string(
                               blk->root ? blk->root->node_name : ""));
    json_object_object_add(data, "operation",
                           json_object_new_string(is_read ? "read" : "write"));
    json_object_object_add(data, "action",
                           json_object_new_string(action_names[action]));
    json_object_object_add(data, "nospace",
                           json_object_new_boolean(error == ENOSPC));
    json_object_object_add(data, "reason",
                           json_object_new_string(strerror(error)));
    monitor_event("BLOCK_IO_ERROR", data);
    if (action == BLOCK_ERROR_ACTION_STOP) {
        vm_stop(RUN_STATE_IO_ERROR);
    }
}

/* ---- Media ---- */

bool blk_dev_has_removable_media(const BlockBackend *blk)
{
    return !blk->dev || (blk->dev_ops && blk->dev_ops->change_media_cb);
}

bool blk_dev_is_tray_open(const BlockBackend *blk)
{
    if (blk->dev_ops && blk->dev_ops->is_tray_open) {
        return blk->dev_ops->is_tray_open(blk->dev_opaque);
    }
    return blk->tray_open;
}

bool blk_dev_is_tray_locked(const BlockBackend *blk)
{
    if (blk->dev_ops && blk->dev_ops->is_tray_locked) {
        return blk->dev_ops->is_tray_locked(blk->dev_opaque);
    }
    return false;
}

void blk_dev_resize_cb(BlockBackend *blk)
{
    if (blk->dev_ops && blk->dev_ops->resize_cb) {
        blk->dev_ops->resize_cb(blk->dev_opaque);
    }
}

static void blk_tray_moved_event(BlockBackend *blk, bool open)
{
    json_object *data = json_object_new_object();
    json_object_object_add(data, "device", json_object_new_string(blk->name));
    json_object_object_add(data, "tray-open", json_object_new_boolean(open));
    json_object_object_add(data, "id", json_object_new_string(
                               blk_get_attached_dev_id(blk)));
    monitor_event("DEVICE_TRAY_MOVED", data);
}

bool blk_eject(BlockBackend *blk, bool force, Error **errp)
{
    if (!blk_dev_has_removable_media(blk)) {
        error_setg(errp, "Device '%s' is not removable", blk->name);
        return false;
    }
    if (blk_dev_is_tray_locked(blk) && !force) {
        error_setg(errp, "Device '%s' is locked and force was not specified, "
                   "wait for tray to open and try again", blk->name);
        return false;
    }
    bool was_open = blk_dev_is_tray_open(blk);
    blk_remove_bs(blk);
    blk->tray_open = true;
    if (blk->dev_ops && blk->dev_ops->change_media_cb) {
        blk->dev_ops->change_media_cb(blk->dev_opaque, false);
    }
    if (!was_open && blk->dev) {
        blk_tray_moved_event(blk, true);
    }
    return true;
}

bool blk_change_medium(BlockBackend *blk, const char *filename,
                       const char *fmt, bool read_only, Error **errp)
{
    if (!blk_dev_has_removable_media(blk)) {
        error_setg(errp, "Device '%s' is not removable", blk->name);
        return false;
    }
    int flags = blk->open_flags & ~(BDRV_O_RDWR | BDRV_O_SNAPSHOT);
    if (!read_only && !blk->is_cdrom) {
        flags |= BDRV_O_RDWR;
    }
    if (blk->open_flags & BDRV_O_SNAPSHOT) {
        flags |= BDRV_O_SNAPSHOT | BDRV_O_RDWR;
    }
    BlockDriverState *bs = blk_open_image(filename, fmt, NULL, flags, errp);
    if (!bs) {
        return false;
    }
    bool was_open = blk_dev_is_tray_open(blk);
    if (blk->root) {
        if (blk_dev_is_tray_locked(blk)) {
            error_setg(errp, "Device '%s' is locked and force was not "
                       "specified, wait for tray to open and try again",
                       blk->name);
            bdrv_unref(bs);
            return false;
        }
        blk_remove_bs(blk);
        if (blk->dev_ops && blk->dev_ops->change_media_cb) {
            blk->dev_ops->change_media_cb(blk->dev_opaque, false);
        }
    }
    if (!was_open && blk->dev) {
        blk_tray_moved_event(blk, true);
    }
    blk_insert_bs(blk, bs);
    blk->tray_open = false;
    if (blk->dev_ops && blk->dev_ops->change_media_cb) {
        blk->dev_ops->change_media_cb(blk->dev_opaque, true);
    }
    if (blk->dev) {
        blk_tray_moved_event(blk, false);
    }
    return true;
}

/* ---- Synchronous I/O ---- */

static void blk_account_sync(BlockBackend *blk, BlkRequestType type,
                             int64_t bytes, int ret, int64_t start)
{
    BlkRequest req = {
        .type = type, .bytes = bytes, .ret = ret,
        .start_ns = start, .end_ns = now_ns(),
    };
    blk_account(blk, &req);
}

int blk_try_rw_inline(BlockBackend *blk, bool is_write, int64_t offset,
                      struct iovec *iov, int niov)
{
    int64_t bytes = iov_size(iov, niov), start;

    if (blk_check_request(blk, offset, bytes) < 0 || bytes == 0 ||
        (is_write && (blk->read_only || !blk->wce))) {
        return -EAGAIN;
    }
    start = now_ns();
    if (bdrv_rw_inline(blk->root, is_write, offset, bytes, iov, niov) < 0) {
        return -EAGAIN;
    }
    blk_account_sync(blk, is_write ? BLK_REQ_WRITE : BLK_REQ_READ, bytes, 0,
                     start);
    return 0;
}

int blk_pread(BlockBackend *blk, int64_t offset, void *buf, int64_t bytes)
{
    int ret = blk_check_request(blk, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    int64_t start = now_ns();
    ret = bdrv_pread(blk->root, offset, buf, bytes);
    blk_account_sync(blk, BLK_REQ_READ, bytes, ret, start);
    return ret;
}

int blk_pwrite(BlockBackend *blk, int64_t offset, const void *buf,
               int64_t bytes, int flags)
{
    int ret = blk_check_request(blk, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (blk_is_read_only(blk)) {
        return -EACCES;
    }
    int64_t start = now_ns();
    ret = bdrv_pwrite(blk->root, offset, buf, bytes);
    if (ret == 0 && ((flags & BDRV_REQ_FUA) || !blk->wce)) {
        ret = bdrv_flush(blk->root);
    }
    blk_account_sync(blk, BLK_REQ_WRITE, bytes, ret, start);
    return ret;
}

int blk_flush(BlockBackend *blk)
{
    if (!blk->root) {
        return 0;
    }
    int64_t start = now_ns();
    int ret = bdrv_flush(blk->root);
    blk_account_sync(blk, BLK_REQ_FLUSH, 0, ret, start);
    return ret;
}

int blk_truncate(BlockBackend *blk, int64_t size, Error **errp)
{
    if (!blk->root) {
        error_setg(errp, "Device '%s' has no medium", blk->name);
        return -ENOMEDIUM;
    }
    blk_drain(blk);
    return bdrv_truncate(blk->root, size, PREALLOC_MODE_OFF, errp);
}

void bdrv_close_all(void)
{
    blk_drain_all();
    for (BlockBackend *b = all_backends; b; b = b->next) {
        if (b->root) {
            blk_remove_bs(b);   /* flushes and unlocks the image */
        }
    }
}
