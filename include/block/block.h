/*
 * Block backends: how devices (IDE, virtio-blk), the monitor and -drive
 * reach an image.  A BlockBackend owns the root node of an image graph
 * (include/block/block_int.h) or is empty (a CD-ROM drive without media).
 *
 * Requests are asynchronous: blk_aio_* queue the request to the block
 * layer's worker threads and return at once; the completion callback
 * runs later in the main loop thread with the global lock held (never
 * from inside blk_aio_*), with ret = 0 or -errno.  Devices must not touch
 * the iovec's memory until the callback.  blk_pread/blk_pwrite are
 * synchronous (for firmware loading, tests and the monitor).
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/option.h"
#include <sys/uio.h>

typedef struct BlockBackend BlockBackend;
typedef struct BlockDriverState BlockDriverState;

typedef void BlockCompletionFunc(void *opaque, int ret);

typedef enum BlockInterfaceType {
    IF_NONE, IF_IDE, IF_VIRTIO, IF_FLOPPY, IF_COUNT
} BlockInterfaceType;

typedef enum BlockErrorAction {
    BLOCK_ERROR_ACTION_REPORT,      /* werror=report: the guest sees it */
    BLOCK_ERROR_ACTION_IGNORE,
    BLOCK_ERROR_ACTION_STOP,        /* werror=stop/enospc: VM stops */
} BlockErrorAction;

/* Per-backend statistics (info blockstats, query-blockstats) */
typedef struct BlockAcctStats {
    uint64_t rd_bytes, wr_bytes, unmap_bytes;
    uint64_t rd_ops, wr_ops, flush_ops, unmap_ops;
    uint64_t rd_total_ns, wr_total_ns, flush_total_ns;
    uint64_t failed_rd_ops, failed_wr_ops;
} BlockAcctStats;

/* Device callbacks for removable media (CD-ROM) */
typedef struct BlockDevOps {
    /* media inserted (load = true) or removed; the device raises its
     * media-change condition */
    void (*change_media_cb)(void *opaque, bool load);
    /* eject request from the monitor: return false if locked by the guest */
    bool (*is_tray_locked)(void *opaque);
    bool (*is_tray_open)(void *opaque);
    /* the image was resized (block_resize); the device tells its guest */
    void (*resize_cb)(void *opaque);
} BlockDevOps;

/* ---- Creating backends: -drive / -hda / -cdrom / the monitor ---- */

/*
 * Parse one -drive option string into a backend and remember it for the
 * board (drive_get).  Accepts QEMU's keys: file, format, if, index, bus,
 * unit, media, id, cache, aio, readonly, snapshot, discard, werror,
 * rerror, serial.  Errors are one line ("-drive x: reason").
 */
BlockBackend *drive_new(const char *optstr, BlockInterfaceType default_if,
                        Error **errp);
/* -hda .. -hdd (index 0..3) and -cdrom: the equivalent -drive */
BlockBackend *drive_add_legacy(const char *file, int index, bool cdrom,
                               Error **errp);
/* -snapshot: every drive opened after this gets a temporary overlay */
void drive_set_global_snapshot(bool on);
/* The drive of interface type at bus/unit (IDE: bus 0-1, unit 0-1),
 * or NULL; index = bus * units_per_bus + unit */
BlockBackend *drive_get(BlockInterfaceType type, int bus, int unit);
/* The next -drive if=virtio/none not yet claimed by a device */
BlockBackend *drive_get_next_unclaimed(BlockInterfaceType type);
/* A device property drive=ID names a backend (qdev_drive_lookup hook) */
BlockBackend *blk_by_name(const char *id);
const char *blk_name(const BlockBackend *blk);
/* Report drives given on the command line that no device took */
bool drive_check_orphaned(Error **errp);
/* media=cdrom */
bool blk_is_cdrom(const BlockBackend *blk);
BlockInterfaceType blk_interface(const BlockBackend *blk);

/* A backend for an image (tests, emu-img): fmt NULL probes */
BlockBackend *blk_new_open(const char *filename, const char *fmt, int flags,
                           Error **errp);
void blk_unref(BlockBackend *blk);
/* A device claims the backend (one device per backend); dev is the
 * DeviceState (info block shows its path as "Attached to") */
bool blk_attach_dev(BlockBackend *blk, void *dev, Error **errp);
void blk_detach_dev(BlockBackend *blk);
void blk_set_dev_ops(BlockBackend *blk, const BlockDevOps *ops, void *opaque);

/* ---- State ---- */
bool blk_is_inserted(const BlockBackend *blk);
bool blk_is_read_only(const BlockBackend *blk);
/* guest-visible size in bytes (0 without media) */
int64_t blk_getlength(BlockBackend *blk);
bool blk_enable_write_cache(const BlockBackend *blk);
void blk_set_enable_write_cache(BlockBackend *blk, bool wce);
BlockAcctStats *blk_get_stats(BlockBackend *blk);
BlockDriverState *blk_bs(BlockBackend *blk);
BlockErrorAction blk_get_error_action(BlockBackend *blk, bool is_read,
                                      int error);
/*
 * A write that a device's write cache had already completed for the guest
 * failed with ret (< 0), by the drive's werror: "stop" stops the VM and
 * returns true (the device keeps the data and writes it again when the VM
 * runs); "report" keeps the first such error in *first_error, for the
 * guest's next flush to fail with; "ignore" drops it.
 */
bool blk_cached_write_failed(BlockBackend *blk, int ret, int *first_error);
/* Carry out an action: BLOCK_IO_ERROR event, and for STOP the VM stops
 * (RUN_STATE_IO_ERROR); the device then retries or reports as it does */
void blk_error_action(BlockBackend *blk, BlockErrorAction action,
                      bool is_read, int error);

/* ---- Media (monitor change/eject) ---- */
bool blk_eject(BlockBackend *blk, bool force, Error **errp);
bool blk_change_medium(BlockBackend *blk, const char *filename,
                       const char *fmt, bool read_only, Error **errp);

/* ---- Asynchronous I/O (completion in the main loop, BQL held) ---- */
/*
 * The read or write done now, in the caller's thread, if the image can do
 * it without waiting on a disk (BlockDriver.rw_inline: page-cache reads,
 * buffered writes with the write cache on): 0, counted in the statistics
 * like any request.  Else -EAGAIN: submit it with blk_aio_*, which also
 * reports any error.  Never calls a completion function.
 */
int blk_try_rw_inline(BlockBackend *blk, bool is_write, int64_t offset,
                      struct iovec *iov, int niov);
void blk_aio_preadv(BlockBackend *blk, int64_t offset, struct iovec *iov,
                    int niov, BlockCompletionFunc *cb, void *opaque);
void blk_aio_pwritev(BlockBackend *blk, int64_t offset, struct iovec *iov,
                     int niov, int flags, BlockCompletionFunc *cb,
                     void *opaque);
void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque);
void blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BlockCompletionFunc *cb, void *opaque);
void blk_aio_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                           int flags, BlockCompletionFunc *cb, void *opaque);
/* Wait until every request in flight on blk has completed (reset, eject) */
void blk_drain(BlockBackend *blk);
void blk_drain_all(void);

/* ---- Synchronous I/O ---- */
int blk_pread(BlockBackend *blk, int64_t offset, void *buf, int64_t bytes);
int blk_pwrite(BlockBackend *blk, int64_t offset, const void *buf,
               int64_t bytes, int flags);
int blk_flush(BlockBackend *blk);
int blk_truncate(BlockBackend *blk, int64_t size, Error **errp);

/* Iterate over all named backends (info block); NULL starts */
BlockBackend *blk_next(BlockBackend *blk);

/* Close everything at exit: drain, flush, unlock images */
void bdrv_close_all(void);

#endif
