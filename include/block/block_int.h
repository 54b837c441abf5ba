/*
 * The block driver interface (block/): what a format (qcow2, raw) or a
 * protocol (file) implements, and the node graph the drivers build.
 *
 * Model: driver callbacks are synchronous and return 0 / a byte count or
 * -errno.  The block core (block/block.c) calls them from its worker
 * threads for the asynchronous BlockBackend API (include/block/block.h),
 * or directly for synchronous callers (emu-img, the monitor with the BQL).
 * Unless a driver sets .thread_safe, the core holds the node's lock
 * (bs->lock) around every call, so such a driver sees one request at a
 * time on a node.  A format node reaches its image file only through
 * bs->file (bdrv_pread/bdrv_pwrite/... below), and its backing image
 * through bs->backing.
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/option.h"
#include "emu/thread.h"
#include <sys/uio.h>

typedef struct BlockDriver BlockDriver;
typedef struct BlockDriverState BlockDriverState;

/* bdrv_open flags */
#define BDRV_O_RDWR        0x0002
#define BDRV_O_SNAPSHOT    0x0008   /* -snapshot: temporary overlay */
#define BDRV_O_NOCACHE     0x0020   /* cache=none/directsync: O_DIRECT */
#define BDRV_O_NO_FLUSH    0x0200   /* cache=unsafe: flush is a no-op */
#define BDRV_O_WRITETHROUGH 0x0400  /* cache=writethrough/directsync */
#define BDRV_O_UNMAP       0x4000   /* discard=unmap */
#define BDRV_O_NO_BACKING  0x0100   /* do not open the backing chain */
#define BDRV_O_CHECK       0x1000   /* opened by emu-img check: tolerate */
#define BDRV_O_NO_LOCK     0x8000   /* no image locking (emu-img -U) */

/* request flags */
#define BDRV_REQ_FUA        0x1     /* write: durable before completion */
#define BDRV_REQ_MAY_UNMAP  0x2     /* write_zeroes: may deallocate */
#define BDRV_REQ_NO_FALLBACK 0x4    /* write_zeroes: fail if not cheap */

/* block_status results */
#define BDRV_BLOCK_DATA         0x01    /* allocated with data */
#define BDRV_BLOCK_ZERO         0x02    /* reads as zeroes */
#define BDRV_BLOCK_OFFSET_VALID 0x04    /* *map is the offset in bs->file */
#define BDRV_BLOCK_ALLOCATED    0x10    /* in this layer (not backing) */
#define BDRV_BLOCK_COMPRESSED   0x20

typedef enum PreallocMode {
    PREALLOC_MODE_OFF,
    PREALLOC_MODE_METADATA,
    PREALLOC_MODE_FALLOC,
    PREALLOC_MODE_FULL,
} PreallocMode;

/* emu-img check / bdrv_check results */
typedef struct BdrvCheckResult {
    int corruptions;
    int leaks;
    int check_errors;
    int corruptions_fixed;
    int leaks_fixed;
    int64_t image_end_offset;
    uint64_t allocated_clusters, total_clusters;
    uint64_t fragmented_clusters, compressed_clusters;
} BdrvCheckResult;
#define BDRV_FIX_LEAKS  1
#define BDRV_FIX_ERRORS 2

typedef struct BlockDriverInfo {
    int cluster_size;           /* 0: not a cluster format */
    bool is_dirty;
    int64_t vm_state_offset;
} BlockDriverInfo;

/* One internal snapshot (qcow2), as "emu-img snapshot -l" lists them */
typedef struct BdrvSnapshotInfo {
    char id_str[128];
    char name[256];
    uint64_t vm_state_size;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint32_t icount;            /* -1ul in QEMU's listings when absent */
} BdrvSnapshotInfo;

struct BlockDriver {
    const char *format_name;    /* "qcow2", "raw", "file" */
    size_t instance_size;       /* bs->opaque */
    /* a protocol opens a host path itself; a format opens over bs->file */
    bool is_protocol;
    /* callbacks may run concurrently on one node (no bs->lock taken) */
    bool thread_safe;
    /* 0-100: how sure the first bytes of a file say it is this format */
    int (*probe)(const uint8_t *buf, int buf_size, const char *filename);
    /*
     * Open: for a protocol, bs->filename is the host path; for a format,
     * bs->file is open already.  opts holds the driver-specific options
     * (e.g. qcow2 "l2-cache-size"); a driver deletes what it consumed.
     */
    int (*open)(BlockDriverState *bs, EmuOpts *opts, int flags,
                Error **errp);
    void (*close)(BlockDriverState *bs);
    int (*preadv)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                  struct iovec *iov, int niov, int flags);
    int (*pwritev)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                   struct iovec *iov, int niov, int flags);
    /*
     * Optional, thread_safe drivers only: do a read or write at once, in
     * the calling thread (a vCPU's), when it cannot wait on a disk: a read
     * whose data is in the host's page cache, a buffered write.  0: done;
     * anything else: nothing is promised of the range (a write may be
     * partly done) and the caller does the request the normal way, which
     * also reports real errors.  bytes == the iov's size.
     */
    int (*rw_inline)(BlockDriverState *bs, bool is_write, uint64_t offset,
                     uint64_t bytes, struct iovec *iov, int niov);
    int (*pwrite_zeroes)(BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes, int flags);
    int (*pdiscard)(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
    /* compressed cluster write (emu-img convert -c): one whole cluster */
    int (*pwrite_compressed)(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, const void *buf);
    /* make written data durable: a format writes its metadata, then the
     * core flushes bs->file */
    int (*flush)(BlockDriverState *bs);
    int64_t (*getlength)(BlockDriverState *bs);
    /* bytes the image occupies on the host (emu-img info "disk size") */
    int64_t (*get_allocated_file_size)(BlockDriverState *bs);
    int (*truncate)(BlockDriverState *bs, int64_t offset, PreallocMode prealloc,
                    Error **errp);
    /*
     * Create an image at filename of size bytes.  opts carries the
     * format's -o options (cluster_size, backing_file, backing_fmt,
     * preallocation, compat, lazy_refcounts, compression_type, ...);
     * unknown options are an error ("Invalid parameter 'x'").
     */
    int (*create)(const char *filename, uint64_t size, EmuOpts *opts,
                  Error **errp);
    int (*check)(BlockDriverState *bs, BdrvCheckResult *res, int fix);
    int (*get_info)(BlockDriverState *bs, BlockDriverInfo *bdi);
    /*
     * Status of [offset, offset + bytes): returns BDRV_BLOCK_* for the
     * first *pnum bytes (> 0), with *map the offset in bs->file when
     * BDRV_BLOCK_OFFSET_VALID.  NULL: everything is DATA|ALLOCATED.
     */
    int (*block_status)(BlockDriverState *bs, uint64_t offset,
                        uint64_t bytes, uint64_t *pnum, uint64_t *map);
    /* "Format specific information" for emu-img info (human: StrBuf
     * lines indented by the caller; json: an object, json-c) */
    void (*dump_info)(BlockDriverState *bs, StrBuf *human, void *json_obj);
    /* internal snapshots */
    int (*snapshot_create)(BlockDriverState *bs, const char *name,
                           Error **errp);
    int (*snapshot_goto)(BlockDriverState *bs, const char *name,
                         Error **errp);
    int (*snapshot_delete)(BlockDriverState *bs, const char *name,
                           Error **errp);
    /* allocate *list (emu_malloc) with the snapshots; returns the count */
    int (*snapshot_list)(BlockDriverState *bs, BdrvSnapshotInfo **list);
    /* change the backing file name recorded in the image (rebase, commit) */
    int (*change_backing_file)(BlockDriverState *bs, const char *backing_file,
                               const char *backing_fmt);
    /* discard everything written since open (used by nothing yet) */
    /* the list of all drivers */
    const BlockDriver *next;
};

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;               /* drv->instance_size bytes */
    char filename[4096];        /* host path, or the image's path */
    char node_name[32];
    int open_flags;             /* BDRV_O_* */
    bool read_only;
    bool encrypted;
    BlockDriverState *file;     /* the protocol node under a format */
    BlockDriverState *backing;  /* the backing image, or NULL */
    char backing_file[4096];    /* as recorded in the image ("" none) */
    char backing_format[32];
    int64_t total_bytes;        /* guest-visible size, kept by the core */
    EmuMutex lock;              /* see the model above */
    int refcnt;
    /* the format was guessed (raw: writes to block 0 are restricted) */
    bool probed;
};

/* Register a driver (called from a constructor in each driver file) */
void bdrv_register(BlockDriver *drv);
#define BLOCK_DRIVER_REGISTER(d) \
    static void __attribute__((constructor)) register_##d(void) \
    { bdrv_register(&d); }
const BlockDriver *bdrv_find_format(const char *name);

/*
 * Synchronous I/O on a node (from drivers onto bs->file/bs->backing, and
 * from tools).  Return 0 on success or -errno; reads past the end of a
 * protocol node return zeroes.  These take the node's lock as described
 * above; a driver calling into its own children holds only its own lock.
 */
int bdrv_pread(BlockDriverState *bs, int64_t offset, void *buf,
               int64_t bytes);
int bdrv_pwrite(BlockDriverState *bs, int64_t offset, const void *buf,
                int64_t bytes);
int bdrv_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                struct iovec *iov, int niov);
/* BlockDriver.rw_inline through the graph: 0 done, else -EAGAIN */
int bdrv_rw_inline(BlockDriverState *bs, bool is_write, int64_t offset,
                   int64_t bytes, struct iovec *iov, int niov);
int bdrv_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                 struct iovec *iov, int niov, int flags);
int bdrv_pwrite_sync(BlockDriverState *bs, int64_t offset, const void *buf,
                     int64_t bytes);       /* write + flush */
int bdrv_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       int flags);
int bdrv_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes);
int bdrv_flush(BlockDriverState *bs);      /* driver flush, then children */
int64_t bdrv_getlength(BlockDriverState *bs);
int bdrv_truncate(BlockDriverState *bs, int64_t offset, PreallocMode prealloc,
                  Error **errp);
int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map);
int64_t bdrv_get_allocated_file_size(BlockDriverState *bs);

/*
 * Open filename with format fmt (NULL: probe; raw is chosen with QEMU's
 * warning "Image format was not specified for 'X' and probing guessed
 * raw...").  The protocol node (file) is opened under it, and the backing
 * chain unless BDRV_O_NO_BACKING.  opts: driver options, may be NULL.
 */
BlockDriverState *bdrv_open(const char *filename, const char *fmt,
                            EmuOpts *opts, int flags, Error **errp);
/* Drop a reference; the last one flushes and closes the node and children */
void bdrv_unref(BlockDriverState *bs);
/* Open a backing file named relative to the image that refers to it */
BlockDriverState *bdrv_open_backing(BlockDriverState *bs, int flags,
                                    Error **errp);
/* "Create" with a format: fmt's create(); opts as for BlockDriver.create */
int bdrv_create(const char *fmt, const char *filename, uint64_t size,
                EmuOpts *opts, Error **errp);
/* Create a host file (the "file" protocol), optionally preallocated */
int bdrv_create_file(const char *filename, uint64_t size,
                     PreallocMode prealloc, Error **errp);
int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, int fix);
int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);
PreallocMode bdrv_parse_prealloc(const char *s, Error **errp);
/* Path of a backing file relative to the directory of the image */
char *bdrv_backing_path(const char *image, const char *backing);

#endif
