/* The "file" protocol: host files and block devices through POSIX calls. */
#include "emu/osdep.h"
#include "block/block_int.h"
#include "emu/timer.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <linux/falloc.h>

/*
 * Image locking, compatible with QEMU's scheme: one byte per permission
 * at 100 + bit ("I use it") and at 200 + bit ("I do not let others use
 * it"), each held as a shared OFD lock.  emu uses two permissions:
 * consistent read (bit 0) and write (bit 1).  A writer holds 100, 101
 * and 201; a reader holds 100 and 201 (nobody may change the image
 * under it).
 */
#define LOCK_PERM_BASE   100
#define LOCK_SHARED_BASE 200
#define PERM_READ        0
#define PERM_WRITE       1

/* Largest transfer in one system call */
#define MAX_IO_CHUNK (1u << 30)
/* Buffered writes from this size on start their writeback at once */
#define FILE_EARLY_WRITEBACK_BYTES (512 * 1024)

typedef struct FileState {
    int fd;
    bool is_block_device;
    bool use_direct;        /* O_DIRECT: buffers and offsets aligned */
    bool no_flush;
    /* cleared on the first EOPNOTSUPP; read and written atomically since
     * requests run on several threads */
    bool has_zero_range;
    bool has_punch_hole;
    size_t align;           /* request and memory alignment for O_DIRECT */
    EmuMutex rmw_lock;      /* serializes unaligned O_DIRECT writes */
    /* file_rw_inline does no writes before this (monotonic ns; atomic) */
    int64_t inline_writes_after;
} FileState;

/* ---- Locking ---- */

static bool byte_locked_by_other(int fd, off_t byte)
{
    struct flock fl = {
        .l_type = F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
    };
    if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
        return false;
    }
    return fl.l_type != F_UNLCK;
}

static int lock_byte(int fd, off_t byte)
{
    struct flock fl = {
        .l_type = F_RDLCK,
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
    };
    return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

static int file_lock_image(FileState *s, const char *filename, bool write,
                           Error **errp)
{
    /* can we use the permissions we want? */
    if (byte_locked_by_other(s->fd, LOCK_SHARED_BASE + PERM_READ) ||
        (write && byte_locked_by_other(s->fd, LOCK_SHARED_BASE + PERM_WRITE))) {
        error_setg(errp, "Failed to get \"%s\" lock\n"
                   "Is another process using the image [%s]?",
                   write ? "write" : "consistent read", filename);
        return -EAGAIN;
    }
    /* does anyone use what we deny (write)? */
    if (byte_locked_by_other(s->fd, LOCK_PERM_BASE + PERM_WRITE)) {
        error_setg(errp, "Failed to get shared \"write\" lock\n"
                   "Is another process using the image [%s]?", filename);
        return -EAGAIN;
    }
    int ret = lock_byte(s->fd, LOCK_PERM_BASE + PERM_READ);
    if (ret == -EINVAL || ret == -ENOLCK || ret == -EOPNOTSUPP) {
        return 0;   /* the file system has no OFD locks: go without */
    }
    if (ret == 0 && write) {
        ret = lock_byte(s->fd, LOCK_PERM_BASE + PERM_WRITE);
    }
    if (ret == 0) {
        ret = lock_byte(s->fd, LOCK_SHARED_BASE + PERM_WRITE);
    }
    if (ret < 0) {
        error_setg(errp, "Failed to get \"%s\" lock\n"
                   "Is another process using the image [%s]?",
                   write ? "write" : "consistent read", filename);
        return ret;
    }
    return 0;
}

/* ---- Open / close ---- */

/* Smallest read size O_DIRECT accepts on this file (512 or 4096) */
static size_t probe_direct_alignment(int fd, bool is_block_device)
{
    if (is_block_device) {
        int ssz = 0;
        if (ioctl(fd, BLKSSZGET, &ssz) == 0 && ssz >= 512 &&
            (ssz & (ssz - 1)) == 0 && ssz <= 65536) {
            return ssz;
        }
    }
    void *buf;
    if (posix_memalign(&buf, 65536, 65536)) {
        return 4096;
    }
    size_t align = 4096;
    static const size_t sizes[] = { 512, 1024, 2048, 4096 };
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        ssize_t r = pread(fd, buf, sizes[i], 0);
        if (r >= 0 || errno != EINVAL) {
            align = sizes[i];
            break;
        }
    }
    free(buf);
    return align;
}

static int file_open(BlockDriverState *bs, EmuOpts *opts, int flags,
                     Error **errp)
{
    FileState *s = bs->opaque;
    int oflags = O_CLOEXEC | ((flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY);
    if (flags & BDRV_O_NOCACHE) {
        oflags |= O_DIRECT;
    }
    s->fd = open(bs->filename, oflags);
    if (s->fd < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Could not open '%s'", bs->filename);
        return -err;
    }
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Could not stat '%s'", bs->filename);
        close(s->fd);
        return -err;
    }
    if (S_ISDIR(st.st_mode)) {
        error_setg(errp, "Could not open '%s': Is a directory", bs->filename);
        close(s->fd);
        return -EISDIR;
    }
    s->is_block_device = S_ISBLK(st.st_mode);
    s->use_direct = flags & BDRV_O_NOCACHE;
    s->no_flush = flags & BDRV_O_NO_FLUSH;
    s->has_zero_range = !s->is_block_device;
    s->has_punch_hole = !s->is_block_device;
    s->align = s->use_direct ? probe_direct_alignment(s->fd,
                                                      s->is_block_device) : 1;
    emu_mutex_init(&s->rmw_lock);
    if (!(flags & BDRV_O_NO_LOCK)) {
        int ret = file_lock_image(s, bs->filename, flags & BDRV_O_RDWR, errp);
        if (ret < 0) {
            emu_mutex_destroy(&s->rmw_lock);
            close(s->fd);
            return ret;
        }
    }
    return 0;
}

static void file_close(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    if (s->fd >= 0) {
        close(s->fd);      /* drops the OFD locks with it */
        s->fd = -1;
    }
    emu_mutex_destroy(&s->rmw_lock);
}

/* ---- Read / write ---- */

/*
 * preadv/pwritev the whole range, retrying short transfers and EINTR.
 * A read at end of file fills the rest with zeroes.
 */
static int do_rw_full(int fd, bool write, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov_in, int niov)
{
    struct iovec stackv[16];
    struct iovec *v = niov <= 16 ? stackv : emu_new(struct iovec, niov);
    memcpy(v, iov_in, sizeof(*v) * niov);
    struct iovec *cur = v;
    int cnt = niov;
    int ret = 0;
    bool at_eof = false;

    while (bytes > 0) {
        while (cnt > 0 && cur->iov_len == 0) {
            cur++;
            cnt--;
        }
        if (cnt == 0) {
            ret = -EINVAL;
            break;
        }
        /* never ask for more than the request */
        int use = 0;
        uint64_t sum = 0;
        while (use < cnt && use < IOV_MAX && sum < bytes) {
            sum += cur[use].iov_len;
            use++;
        }
        size_t saved_len = cur[use - 1].iov_len;
        if (sum > bytes) {
            cur[use - 1].iov_len -= sum - bytes;
        }
        ssize_t n = write ? pwritev(fd, cur, use, offset)
                          : preadv(fd, cur, use, offset);
        cur[use - 1].iov_len = saved_len;
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ret = -errno;
            break;
        }
        if (n == 0) {
            if (write) {
                ret = -EIO;
                break;
            }
            /* end of file: the rest reads as zeroes */
            for (int i = 0; i < cnt && bytes; i++) {
                size_t len = MIN(cur[i].iov_len, bytes);
                memset(cur[i].iov_base, 0, len);
                bytes -= len;
            }
            break;
        }
        bool short_read = !write && (uint64_t)n < MIN(sum, bytes);
        offset += n;
        bytes -= n;
        if (short_read && bytes > 0) {
            /*
             * At end of file?  Then the rest is zeroes; asking again at an
             * unaligned offset would fail under O_DIRECT.
             */
            struct stat st;
            if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                offset >= (uint64_t)st.st_size) {
                at_eof = true;
            }
        }
        while (n > 0) {
            if ((size_t)n >= cur->iov_len) {
                n -= cur->iov_len;
                cur++;
                cnt--;
            } else {
                cur->iov_base = (char *)cur->iov_base + n;
                cur->iov_len -= n;
                n = 0;
            }
        }
        if (at_eof) {
            for (int i = 0; i < cnt && bytes; i++) {
                size_t len = MIN(cur[i].iov_len, bytes);
                memset(cur[i].iov_base, 0, len);
                bytes -= len;
            }
            break;
        }
    }
    if (v != stackv) {
        free(v);
    }
    return ret;
}

static bool iov_is_aligned(const struct iovec *iov, int niov, size_t align)
{
    for (int i = 0; i < niov; i++) {
        if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (align - 1)) {
            return false;
        }
    }
    return true;
}

/* Bounce buffers for O_DIRECT, processed in pieces of at most this size */
#define BOUNCE_CHUNK (1u << 20)

static void *bounce_alloc(size_t align, size_t size)
{
    void *p;
    if (posix_memalign(&p, MAX(align, 4096), size)) {
        return NULL;
    }
    return p;
}

static int file_read_bounced(FileState *s, uint64_t offset, uint64_t bytes,
                             struct iovec *iov, int niov)
{
    size_t a = s->align;
    uint64_t done = 0;
    void *buf = bounce_alloc(a, BOUNCE_CHUNK + 2 * a);
    if (!buf) {
        return -ENOMEM;
    }
    int ret = 0;
    while (done < bytes) {
        uint64_t pos = offset + done;
        uint64_t start = ROUND_DOWN(pos, (uint64_t)a);
        uint64_t n = MIN(bytes - done, BOUNCE_CHUNK);
        uint64_t end = ROUND_UP(pos + n, (uint64_t)a);
        struct iovec biov = { .iov_base = buf, .iov_len = end - start };
        ret = do_rw_full(s->fd, false, start, end - start, &biov, 1);
        if (ret < 0) {
            break;
        }
        /* scatter buf[pos - start ..] into iov at done */
        uint64_t skip = done, left = n;
        const char *src = (char *)buf + (pos - start);
        for (int i = 0; i < niov && left; i++) {
            if (skip >= iov[i].iov_len) {
                skip -= iov[i].iov_len;
                continue;
            }
            size_t c = MIN(iov[i].iov_len - skip, left);
            memcpy((char *)iov[i].iov_base + skip, src, c);
            src += c;
            left -= c;
            skip = 0;
        }
        done += n;
    }
    free(buf);
    return ret;
}

static int file_write_bounced(FileState *s, uint64_t offset, uint64_t bytes,
                              struct iovec *iov, int niov)
{
    size_t a = s->align;
    void *buf = bounce_alloc(a, BOUNCE_CHUNK + 2 * a);
    if (!buf) {
        return -ENOMEM;
    }
    int ret = 0;
    uint64_t done = 0;
    /* read-modify-write of the partial blocks must not interleave */
    emu_mutex_lock(&s->rmw_lock);
    while (done < bytes) {
        uint64_t pos = offset + done;
        uint64_t start = ROUND_DOWN(pos, (uint64_t)a);
        uint64_t n = MIN(bytes - done, BOUNCE_CHUNK);
        uint64_t end = ROUND_UP(pos + n, (uint64_t)a);
        struct iovec biov = { .iov_base = buf, .iov_len = end - start };
        if (start != pos || end != pos + n) {
            ret = do_rw_full(s->fd, false, start, end - start, &biov, 1);
            if (ret < 0) {
                break;
            }
        }
        uint64_t skip = done, left = n;
        char *dst = (char *)buf + (pos - start);
        for (int i = 0; i < niov && left; i++) {
            if (skip >= iov[i].iov_len) {
                skip -= iov[i].iov_len;
                continue;
            }
            size_t c = MIN(iov[i].iov_len - skip, left);
            memcpy(dst, (char *)iov[i].iov_base + skip, c);
            dst += c;
            left -= c;
            skip = 0;
        }
        struct stat st;
        bool extends = !s->is_block_device && fstat(s->fd, &st) == 0 &&
                       (uint64_t)st.st_size < pos + n;
        ret = do_rw_full(s->fd, true, start, end - start, &biov, 1);
        if (ret < 0) {
            break;
        }
        /* an unaligned write at the end must not leave the file padded */
        if (extends && end != pos + n &&
            ftruncate(s->fd, pos + n) < 0) {
            ret = -errno;
            break;
        }
        done += n;
    }
    emu_mutex_unlock(&s->rmw_lock);
    free(buf);
    return ret;
}

static int file_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       struct iovec *iov, int niov, int flags)
{
    FileState *s = bs->opaque;
    if (s->use_direct && ((offset | bytes) & (s->align - 1) ||
                          !iov_is_aligned(iov, niov, s->align))) {
        return file_read_bounced(s, offset, bytes, iov, niov);
    }
    return do_rw_full(s->fd, false, offset, bytes, iov, niov);
}

static int file_flush(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    if (s->no_flush) {
        return 0;
    }
    while (fdatasync(s->fd) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    return 0;
}

/*
 * After a large buffered write (streaming data): start its writeback now
 * (without waiting for it), so that the guest's next flush finds the
 * pages on their way to the disk instead of writing them all at once.
 * Best effort: errors show up at the flush.
 */
static void file_early_writeback(FileState *s, uint64_t offset,
                                 uint64_t bytes)
{
    if (bytes >= FILE_EARLY_WRITEBACK_BYTES && !s->use_direct &&
        !s->no_flush) {
        sync_file_range(s->fd, offset, bytes, SYNC_FILE_RANGE_WRITE);
    }
}

static int file_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        struct iovec *iov, int niov, int flags)
{
    FileState *s = bs->opaque;
    int ret;
    if (s->use_direct && ((offset | bytes) & (s->align - 1) ||
                          !iov_is_aligned(iov, niov, s->align))) {
        ret = file_write_bounced(s, offset, bytes, iov, niov);
    } else {
        ret = do_rw_full(s->fd, true, offset, bytes, iov, niov);
    }
    if (ret == 0 && (flags & BDRV_REQ_FUA)) {
        ret = file_flush(bs);
    } else if (ret == 0) {
        file_early_writeback(s, offset, bytes);
    }
    return ret;
}

/*
 * An inline buffered write that took longer than this (the kernel
 * throttling dirty pages, allocating blocks on a slow disk) stops inline
 * writes for FILE_INLINE_WRITE_PAUSE_NS: they run on a vCPU thread, and
 * the guest should not stall behind a slow disk.
 */
#define FILE_INLINE_WRITE_SLOW_NS   (2 * 1000 * 1000)
#define FILE_INLINE_WRITE_PAUSE_NS  (1000 * 1000 * 1000)

static int file_rw_inline(BlockDriverState *bs, bool is_write,
                          uint64_t offset, uint64_t bytes, struct iovec *iov,
                          int niov)
{
    FileState *s = bs->opaque;
    int64_t t0, t1;
    ssize_t n;
    bool done;

    /* O_DIRECT waits for the device, whatever RWF_NOWAIT says */
    if (s->use_direct || niov > IOV_MAX || offset > INT64_MAX - bytes) {
        return -EAGAIN;
    }
    if (!is_write) {
        /* only from the page cache: EAGAIN where the disk would be read */
        n = preadv2(s->fd, iov, niov, (off_t)offset, RWF_NOWAIT);
        return n >= 0 && (uint64_t)n == bytes ? 0 : -EAGAIN;
    }
    /*
     * Buffered writes: RWF_NOWAIT is not supported for them on most
     * filesystems (ext4 says EOPNOTSUPP), so the write is made and timed.
     */
    t0 = get_clock_monotonic();
    if (t0 < __atomic_load_n(&s->inline_writes_after, __ATOMIC_RELAXED)) {
        return -EAGAIN;
    }
    n = pwritev(s->fd, iov, niov, (off_t)offset);
    done = n >= 0 && (uint64_t)n == bytes;
    if (done) {
        file_early_writeback(s, offset, bytes);
    }
    t1 = get_clock_monotonic();
    if (t1 - t0 > FILE_INLINE_WRITE_SLOW_NS) {
        __atomic_store_n(&s->inline_writes_after,
                         t1 + FILE_INLINE_WRITE_PAUSE_NS, __ATOMIC_RELAXED);
    }
    return done ? 0 : -EAGAIN;
}

/* ---- Size ---- */

static int64_t file_getlength(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    if (s->is_block_device) {
        uint64_t size;
        if (ioctl(s->fd, BLKGETSIZE64, &size) < 0) {
            return -errno;
        }
        return size;
    }
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return st.st_size;
}

static int64_t file_get_allocated_file_size(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

/* Fill [from, to) of fd with written zeroes (preallocation=full) */
static int write_zero_range(int fd, uint64_t from, uint64_t to)
{
    size_t chunk = 1 * MiB;
    void *zero = emu_malloc0(chunk);
    int ret = 0;
    while (from < to) {
        size_t n = MIN(chunk, to - from);
        struct iovec iov = { .iov_base = zero, .iov_len = n };
        ret = do_rw_full(fd, true, from, n, &iov, 1);
        if (ret < 0) {
            break;
        }
        from += n;
    }
    free(zero);
    return ret;
}

static int fd_truncate(int fd, const char *filename, int64_t cur,
                       int64_t offset, PreallocMode prealloc, Error **errp)
{
    static const char *const names[] = { "off", "metadata", "falloc", "full" };
    if (prealloc != PREALLOC_MODE_OFF && offset < cur) {
        error_setg(errp, "Cannot use preallocation for shrinking files");
        return -ENOTSUP;
    }
    switch (prealloc) {
    case PREALLOC_MODE_OFF:
        if (ftruncate(fd, offset) < 0) {
            int err = errno;
            error_setg_errno(errp, err, "Failed to resize file '%s'",
                             filename);
            return -err;
        }
        return 0;
    case PREALLOC_MODE_FALLOC: {
        if (offset == cur) {
            return 0;
        }
        int err = posix_fallocate(fd, cur, offset - cur);
        if (err) {
            error_setg_errno(errp, err, "Could not preallocate new data");
            return -err;
        }
        return 0;
    }
    case PREALLOC_MODE_FULL: {
        if (ftruncate(fd, offset) < 0) {
            int err = errno;
            error_setg_errno(errp, err, "Failed to resize file '%s'",
                             filename);
            return -err;
        }
        int ret = write_zero_range(fd, cur, offset);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not write zeros for "
                             "preallocation");
        }
        return ret;
    }
    default:
        error_setg(errp, "Unsupported preallocation mode '%s'",
                   (unsigned)prealloc < ARRAY_SIZE(names) ?
                   names[prealloc] : "?");
        return -ENOTSUP;
    }
}

static int file_truncate(BlockDriverState *bs, int64_t offset,
                         PreallocMode prealloc, Error **errp)
{
    FileState *s = bs->opaque;
    int64_t cur = file_getlength(bs);
    if (cur < 0) {
        error_setg_errno(errp, (int)-cur, "Could not get the file size");
        return (int)cur;
    }
    if (s->is_block_device) {
        if (offset > cur) {
            error_setg(errp, "Cannot grow device files");
            return -EINVAL;
        }
        return 0;
    }
    return fd_truncate(s->fd, bs->filename, cur, offset, prealloc, errp);
}

/* ---- Discard, zeroes, status ---- */

static int do_fallocate(int fd, int mode, uint64_t offset, uint64_t bytes)
{
    while (fallocate(fd, mode, offset, bytes) < 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL) {
            return -ENOTSUP;
        }
        return -errno;
    }
    return 0;
}

static int file_pdiscard(BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes)
{
    FileState *s = bs->opaque;
    if (s->is_block_device) {
        uint64_t range[2] = { offset, bytes };
        return ioctl(s->fd, BLKDISCARD, range) < 0 ? -ENOTSUP : 0;
    }
    if (!__atomic_load_n(&s->has_punch_hole, __ATOMIC_RELAXED)) {
        return -ENOTSUP;
    }
    int ret = do_fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                           offset, bytes);
    if (ret == -ENOTSUP) {
        __atomic_store_n(&s->has_punch_hole, false, __ATOMIC_RELAXED);
    }
    return ret;
}

static int file_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes, int flags)
{
    FileState *s = bs->opaque;
    int ret = -ENOTSUP;
    if (s->is_block_device) {
        uint64_t range[2] = { offset, bytes };
        if ((flags & BDRV_REQ_MAY_UNMAP) &&
            ioctl(s->fd, BLKDISCARDZEROES, &range[0]) == 0 && range[0]) {
            range[0] = offset;
            if (ioctl(s->fd, BLKDISCARD, range) == 0) {
                return 0;
            }
        }
        range[0] = offset;
        range[1] = bytes;
        return ioctl(s->fd, BLKZEROOUT, range) < 0 ? -ENOTSUP : 0;
    }
    int64_t size = file_getlength(bs);
    if (size < 0) {
        return (int)size;
    }
    if ((flags & BDRV_REQ_MAY_UNMAP) &&
        __atomic_load_n(&s->has_punch_hole, __ATOMIC_RELAXED)) {
        ret = do_fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                           offset, bytes);
        if (ret == 0 && offset + bytes > (uint64_t)size &&
            ftruncate(s->fd, offset + bytes) < 0) {
            ret = -errno;
        }
        if (ret != -ENOTSUP) {
            return ret;
        }
        __atomic_store_n(&s->has_punch_hole, false, __ATOMIC_RELAXED);
    }
    if (__atomic_load_n(&s->has_zero_range, __ATOMIC_RELAXED)) {
        /* without KEEP_SIZE the file grows as a write would make it */
        ret = do_fallocate(s->fd, FALLOC_FL_ZERO_RANGE, offset, bytes);
        if (ret != -ENOTSUP) {
            return ret;
        }
        __atomic_store_n(&s->has_zero_range, false, __ATOMIC_RELAXED);
    }
    return -ENOTSUP;
}

static int file_block_status(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, uint64_t *pnum, uint64_t *map)
{
    FileState *s = bs->opaque;
    const int data_flags = BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID |
                           BDRV_BLOCK_ALLOCATED;
    const int zero_flags = BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID |
                           BDRV_BLOCK_ALLOCATED;
    *map = offset;
    *pnum = bytes;
    if (s->is_block_device) {
        return data_flags;
    }
    off_t data = lseek(s->fd, offset, SEEK_DATA);
    if (data < 0) {
        if (errno == ENXIO) {
            /* past the last data: a hole up to (and beyond) the end */
            return zero_flags;
        }
        return data_flags;      /* no SEEK_DATA support: assume data */
    }
    if ((uint64_t)data > offset) {
        *pnum = MIN(bytes, (uint64_t)data - offset);
        return zero_flags;
    }
    off_t hole = lseek(s->fd, offset, SEEK_HOLE);
    if (hole < 0 || (uint64_t)hole <= offset) {
        return data_flags;
    }
    *pnum = MIN(bytes, (uint64_t)hole - offset);
    return data_flags;
}

/* ---- Create ---- */

static int file_create(const char *filename, uint64_t size, EmuOpts *opts,
                       Error **errp)
{
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    for (EmuOpt *o = opts ? opts->head : NULL; o; o = o->next) {
        if (strcmp(o->name, "preallocation") == 0) {
            Error *local_err = NULL;
            prealloc = bdrv_parse_prealloc(o->value, &local_err);
            if (local_err) {
                error_propagate(errp, local_err);
                return -EINVAL;
            }
            o->used = true;
        } else if (strcmp(o->name, "size") != 0) {
            error_setg(errp, "Invalid parameter '%s'", o->name);
            return -EINVAL;
        }
    }
    if (prealloc == PREALLOC_MODE_METADATA) {
        error_setg(errp, "Unsupported preallocation mode 'metadata'");
        return -EINVAL;
    }
    if (size > INT64_MAX) {
        error_setg(errp, "Image size is too large");
        return -EFBIG;
    }
    const char *path = filename;
    strstart(filename, "file:", &path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Could not create '%s'", path);
        return -err;
    }
    struct stat st;
    int ret = 0;
    if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
        /* "creating" on a device only checks it is large enough */
        uint64_t devsize = 0;
        if (ioctl(fd, BLKGETSIZE64, &devsize) == 0 && devsize < size) {
            error_setg(errp, "Could not create '%s': device is too small",
                       path);
            ret = -ENOSPC;
        }
        close(fd);
        return ret;
    }
    /* a new image must not inherit old data (QEMU truncates to 0 first) */
    if (ftruncate(fd, 0) < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not resize file");
    } else {
        ret = fd_truncate(fd, path, 0, size, prealloc, errp);
    }
    if (close(fd) < 0 && ret == 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not close the new file");
    }
    return ret;
}

static BlockDriver bdrv_file = {
    .format_name = "file",
    .instance_size = sizeof(FileState),
    .is_protocol = true,
    .thread_safe = true,
    .open = file_open,
    .close = file_close,
    .preadv = file_preadv,
    .pwritev = file_pwritev,
    .rw_inline = file_rw_inline,
    .pwrite_zeroes = file_pwrite_zeroes,
    .pdiscard = file_pdiscard,
    .flush = file_flush,
    .getlength = file_getlength,
    .get_allocated_file_size = file_get_allocated_file_size,
    .truncate = file_truncate,
    .create = file_create,
    .block_status = file_block_status,
};

BLOCK_DRIVER_REGISTER(bdrv_file)
