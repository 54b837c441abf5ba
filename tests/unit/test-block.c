/* Unit tests for the block core, the file protocol, raw, backends and -drive. */
#include "emu/osdep.h"
#include "block/block.h"
#include "block/block_int.h"
#include "emu/main-loop.h"
#include "emu/thread.h"
#include "emu/timer.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <cmocka.h>

static char tmpdir[256];

static char *tmp_path(const char *name)
{
    return emu_asprintf("%s/%s", tmpdir, name);
}

static int setup_all(void **state)
{
    main_loop_init();
    /* not tmpfs when possible: O_DIRECT and SEEK_HOLE behave as on disks */
    const char *base = access("/var/tmp", W_OK) == 0 ? "/var/tmp" : "/tmp";
    snprintf(tmpdir, sizeof(tmpdir), "%s/test-block.XXXXXX", base);
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown_all(void **state)
{
    char *cmd = emu_asprintf("rm -rf '%s'", tmpdir);
    int r = system(cmd);
    (void)r;
    free(cmd);
    return 0;
}

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seed + i * 7 + (i >> 9));
    }
}

/* ---- file protocol and raw ---- */

static void test_file_rw(void **state)
{
    char *path = tmp_path("rw.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 1 * MiB, PREALLOC_MODE_OFF, &err),
                     0);
    BlockDriverState *bs = bdrv_open(path, "raw", NULL, BDRV_O_RDWR, &err);
    assert_non_null(bs);
    assert_string_equal(bs->drv->format_name, "raw");
    assert_non_null(bs->file);
    assert_int_equal(bdrv_getlength(bs), 1 * MiB);

    uint8_t w[8192], r[8192];
    fill_pattern(w, sizeof(w), 3);
    assert_int_equal(bdrv_pwrite(bs, 4096 + 17, w, sizeof(w)), 0);
    assert_int_equal(bdrv_pread(bs, 4096 + 17, r, sizeof(r)), 0);
    assert_memory_equal(w, r, sizeof(w));

    /* a vectored read across elements */
    struct iovec iov[3] = {
        { r, 1 }, { r + 1, 4000 }, { r + 4001, sizeof(r) - 4001 },
    };
    memset(r, 0, sizeof(r));
    assert_int_equal(bdrv_preadv(bs, 4096 + 17, sizeof(r), iov, 3), 0);
    assert_memory_equal(w, r, sizeof(w));

    /* the format node refuses out-of-range writes; reads give zeroes */
    assert_int_equal(bdrv_pwrite(bs, 1 * MiB - 10, w, 20), -EIO);
    memset(r, 0xaa, 64);
    assert_int_equal(bdrv_pread(bs, 1 * MiB - 32, r, 64), 0);
    for (int i = 32; i < 64; i++) {
        assert_int_equal(r[i], 0);
    }
    /* the protocol node reads zeroes past end of file */
    memset(r, 0xaa, 64);
    assert_int_equal(bdrv_pread(bs->file, 2 * MiB, r, 64), 0);
    assert_int_equal(r[0], 0);
    assert_int_equal(r[63], 0);

    assert_int_equal(bdrv_truncate(bs, 2 * MiB, PREALLOC_MODE_OFF, &err), 0);
    assert_int_equal(bdrv_getlength(bs), 2 * MiB);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 2 * MiB);
    assert_int_equal(bdrv_flush(bs), 0);
    assert_int_equal(bdrv_pwrite_sync(bs, 0, w, 512), 0);
    bdrv_unref(bs);

    /* bad input */
    assert_null(bdrv_open(path, "nosuchfmt", NULL, 0, &err));
    assert_string_equal(error_get_pretty(err), "Unknown driver 'nosuchfmt'");
    error_free(err);
    err = NULL;
    char *missing = tmp_path("missing.raw");
    assert_null(bdrv_open(missing, "raw", NULL, 0, &err));
    char *want = emu_asprintf("Could not open '%s': No such file or directory",
                              missing);
    assert_string_equal(error_get_pretty(err), want);
    free(want);
    free(missing);
    error_free(err);
    free(path);
}

static void test_file_prealloc(void **state)
{
    char *path = tmp_path("prealloc.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 256 * KiB, PREALLOC_MODE_FULL,
                                      &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 256 * KiB);
    assert_true(st.st_blocks * 512 >= 256 * (int64_t)KiB);
    assert_int_equal(bdrv_parse_prealloc("falloc", &err),
                     PREALLOC_MODE_FALLOC);
    bdrv_parse_prealloc("bogus", &err);
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err),
                        "Parameter 'preallocation' does not accept value "
                        "'bogus'");
    error_free(err);
    free(path);
}

static void test_file_direct_bounce(void **state)
{
    char *path = tmp_path("direct.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 1 * MiB, PREALLOC_MODE_OFF, &err),
                     0);
    int fd = open(path, O_RDONLY | O_DIRECT);
    if (fd < 0) {
        free(path);
        skip();     /* this file system has no O_DIRECT */
    }
    close(fd);
    BlockDriverState *bs = bdrv_open(path, "raw", NULL,
                                     BDRV_O_RDWR | BDRV_O_NOCACHE, &err);
    assert_non_null(bs);
    uint8_t *w = emu_malloc(70000), *r = emu_malloc(70000);
    fill_pattern(w, 70000, 11);
    /* unaligned offset, length and buffer */
    assert_int_equal(bdrv_pwrite(bs, 1000, w + 1, 65537), 0);
    memset(r, 0, 70000);
    assert_int_equal(bdrv_pread(bs, 1000, r + 3, 65537), 0);
    assert_memory_equal(w + 1, r + 3, 65537);
    /* the bytes around the write were preserved (read-modify-write) */
    assert_int_equal(bdrv_pread(bs, 0, r, 1000), 0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(r[i], 0);
    }
    bdrv_unref(bs);
    /* and a cached open sees the same data */
    bs = bdrv_open(path, "raw", NULL, 0, &err);
    assert_non_null(bs);
    assert_int_equal(bdrv_pread(bs, 1000, r, 65537), 0);
    assert_memory_equal(w + 1, r, 65537);
    bdrv_unref(bs);

    /* a file whose size is not a multiple of the alignment */
    assert_int_equal(truncate(path, 1000), 0);
    fd = open(path, O_WRONLY);
    assert_int_equal(pwrite(fd, w, 1000, 0), 1000);
    close(fd);
    bs = bdrv_open(path, "raw", NULL, BDRV_O_NOCACHE, &err);
    assert_non_null(bs);
    assert_int_equal(bdrv_getlength(bs), 1000);
    memset(r, 0xee, 8192);
    assert_int_equal(bdrv_pread(bs->file, 0, r, 8192), 0);
    assert_memory_equal(w, r, 1000);
    for (int i = 1000; i < 8192; i++) {
        assert_int_equal(r[i], 0);
    }
    assert_int_equal(bdrv_pread(bs, 3, r, 997), 0);
    assert_memory_equal(w + 3, r, 997);
    bdrv_unref(bs);
    free(w);
    free(r);
    free(path);
}

static void test_file_sparse(void **state)
{
    char *path = tmp_path("sparse.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 4 * MiB, PREALLOC_MODE_OFF, &err),
                     0);
    BlockDriverState *bs = bdrv_open(path, "raw", NULL, BDRV_O_RDWR, &err);
    assert_non_null(bs);
    uint8_t *buf = emu_malloc(256 * KiB);
    fill_pattern(buf, 256 * KiB, 5);
    assert_int_equal(bdrv_pwrite(bs, 1 * MiB, buf, 256 * KiB), 0);
    assert_int_equal(bdrv_flush(bs), 0);

    uint64_t pnum, map;
    int st = bdrv_block_status(bs, 0, 4 * MiB, &pnum, &map);
    assert_true(st >= 0);
    if (st & BDRV_BLOCK_DATA) {
        /* no SEEK_HOLE here (the file system fills holes) */
        bdrv_unref(bs);
        free(buf);
        free(path);
        skip();
    }
    assert_true(st & BDRV_BLOCK_ZERO);
    assert_int_equal(pnum, 1 * MiB);
    st = bdrv_block_status(bs, 1 * MiB, 3 * MiB, &pnum, &map);
    assert_true(st & BDRV_BLOCK_DATA);
    assert_int_equal(map, 1 * MiB);
    assert_true(pnum >= 256 * KiB && pnum <= 3 * MiB);

    /* discard punches a hole that reads as zeroes */
    assert_int_equal(bdrv_pdiscard(bs, 1 * MiB, 128 * KiB), 0);
    st = bdrv_block_status(bs, 1 * MiB, 128 * KiB, &pnum, &map);
    assert_true(st & BDRV_BLOCK_ZERO);
    assert_int_equal(bdrv_pread(bs, 1 * MiB, buf, 128 * KiB), 0);
    for (size_t i = 0; i < 128 * KiB; i++) {
        if (buf[i]) {
            fail_msg("byte %zu not zero after discard", i);
        }
    }
    /* write_zeroes, with and without unmap */
    fill_pattern(buf, 256 * KiB, 9);
    assert_int_equal(bdrv_pwrite(bs, 2 * MiB, buf, 256 * KiB), 0);
    assert_int_equal(bdrv_pwrite_zeroes(bs, 2 * MiB, 64 * KiB, 0), 0);
    assert_int_equal(bdrv_pwrite_zeroes(bs, 2 * MiB + 64 * KiB, 64 * KiB,
                                        BDRV_REQ_MAY_UNMAP), 0);
    assert_int_equal(bdrv_pread(bs, 2 * MiB, buf, 256 * KiB), 0);
    for (size_t i = 0; i < 128 * KiB; i++) {
        if (buf[i]) {
            fail_msg("byte %zu not zero after write_zeroes", i);
        }
    }
    assert_int_not_equal(buf[128 * KiB + 5], 0);
    assert_true(bdrv_get_allocated_file_size(bs) < 1 * (int64_t)MiB);
    bdrv_unref(bs);
    free(buf);
    free(path);
}

/* ---- locking ---- */

static void test_locking_two_processes(void **state)
{
    char *path = tmp_path("lock.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 64 * KiB, PREALLOC_MODE_OFF, &err),
                     0);
    int to_child[2], to_parent[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(to_parent), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        BlockDriverState *bs = bdrv_open(path, "raw", NULL, BDRV_O_RDWR,
                                         NULL);
        char c = bs ? 'y' : 'n';
        if (write(to_parent[1], &c, 1) != 1 ||
            read(to_child[0], &c, 1) != 1) {
            _exit(2);
        }
        _exit(bs ? 0 : 1);
    }
    char c;
    assert_int_equal(read(to_parent[0], &c, 1), 1);
    assert_int_equal(c, 'y');

    /* a second writer is refused with QEMU's message */
    assert_null(bdrv_open(path, "raw", NULL, BDRV_O_RDWR, &err));
    char *want = emu_asprintf("Failed to get \"write\" lock\n"
                              "Is another process using the image [%s]?",
                              path);
    assert_string_equal(error_get_pretty(err), want);
    free(want);
    error_free(err);
    err = NULL;
    /* so is a reader (it would not see consistent data) */
    assert_null(bdrv_open(path, "raw", NULL, 0, &err));
    assert_non_null(strstr(error_get_pretty(err),
                           "Failed to get shared \"write\" lock"));
    error_free(err);
    err = NULL;
    /* unless it asks for no locking (emu-img -U) */
    BlockDriverState *bs = bdrv_open(path, "raw", NULL, BDRV_O_NO_LOCK, &err);
    assert_non_null(bs);
    bdrv_unref(bs);

    assert_int_equal(write(to_child[1], "x", 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the child's exit released its locks */
    bs = bdrv_open(path, "raw", NULL, BDRV_O_RDWR, &err);
    assert_non_null(bs);
    /* two readers share */
    BlockDriverState *ro1 = NULL;
    bdrv_unref(bs);
    ro1 = bdrv_open(path, "raw", NULL, 0, &err);
    bs = bdrv_open(path, "raw", NULL, 0, &err);
    assert_non_null(ro1);
    assert_non_null(bs);
    bdrv_unref(ro1);
    bdrv_unref(bs);
    close(to_child[0]);
    close(to_child[1]);
    close(to_parent[0]);
    close(to_parent[1]);
    free(path);
}

/* ---- probing ---- */

/* Run bdrv_open with stderr captured into *out (caller frees) */
static BlockDriverState *open_capturing_stderr(const char *path,
                                               const char *fmt, int flags,
                                               char **out)
{
    char *cap = tmp_path("stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(cap, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, 2);
    BlockDriverState *bs = bdrv_open(path, fmt, NULL, flags, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char buf[4096];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    close(fd);
    unlink(cap);
    free(cap);
    *out = emu_strdup(buf);
    return bs;
}

static void test_probe_raw_warning(void **state)
{
    char *path = tmp_path("probe.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 64 * KiB, PREALLOC_MODE_OFF, &err),
                     0);
    char *text;
    BlockDriverState *bs = open_capturing_stderr(path, NULL, BDRV_O_RDWR,
                                                 &text);
    assert_non_null(bs);
    assert_string_equal(bs->drv->format_name, "raw");
    assert_true(bs->probed);
    char *want = emu_asprintf(
        "WARNING: Image format was not specified for '%s' and probing "
        "guessed raw.\n"
        "         Automatically detecting the format is dangerous for raw "
        "images, write operations on block 0 will be restricted.\n"
        "         Specify the 'raw' format explicitly to remove the "
        "restrictions.\n", path);
    assert_string_equal(text, want);
    free(want);
    free(text);

    /* a guessed raw image must not be turned into a qcow2 by a write */
    if (bdrv_find_format("qcow2")) {
        uint8_t hdr[512] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
        assert_int_equal(bdrv_pwrite(bs, 0, hdr, sizeof(hdr)), -EPERM);
    }
    uint8_t other[512];
    memset(other, 0x5a, sizeof(other));
    assert_int_equal(bdrv_pwrite(bs, 0, other, sizeof(other)), 0);
    bdrv_unref(bs);

    /* read-only and explicit opens say nothing */
    bs = open_capturing_stderr(path, NULL, 0, &text);
    assert_non_null(bs);
    assert_string_equal(text, "");
    free(text);
    bdrv_unref(bs);
    bs = open_capturing_stderr(path, "raw", BDRV_O_RDWR, &text);
    assert_non_null(bs);
    assert_false(bs->probed);
    assert_string_equal(text, "");
    free(text);
    bdrv_unref(bs);
    free(path);
}

static void test_backing_path(void **state)
{
    char *p = bdrv_backing_path("/a/b/over.qcow2", "base.qcow2");
    assert_string_equal(p, "/a/b/base.qcow2");
    free(p);
    p = bdrv_backing_path("over.qcow2", "base.qcow2");
    assert_string_equal(p, "base.qcow2");
    free(p);
    p = bdrv_backing_path("dir/over.qcow2", "../x/base.raw");
    assert_string_equal(p, "dir/../x/base.raw");
    free(p);
    p = bdrv_backing_path("/a/over.qcow2", "/abs/base");
    assert_string_equal(p, "/abs/base");
    free(p);
}

/* ---- backends and asynchronous requests ---- */

typedef struct AioResult {
    int done;
    int ret;
    bool in_submit;
    bool early;         /* completed inside blk_aio_* */
    bool bql_held;
} AioResult;

static void aio_cb(void *opaque, int ret)
{
    AioResult *r = opaque;
    if (r->in_submit) {
        r->early = true;
    }
    r->bql_held = bql_locked();
    r->done++;
    r->ret = ret;
}

static BlockBackend *drain_blk;

static void drain_cb(void *opaque, int ret)
{
    blk_drain(drain_blk);
    aio_cb(opaque, ret);
}

#define RUN_UNTIL(cond) do {                                            \
        int64_t end_ = get_clock_monotonic() + 5 * NANOSECONDS_PER_SECOND; \
        while (!(cond) && get_clock_monotonic() < end_) {               \
            main_loop_wait(50);                                         \
        }                                                               \
    } while (0)

static void test_backend_aio(void **state)
{
    char *path = tmp_path("aio.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 1 * MiB, PREALLOC_MODE_OFF, &err),
                     0);
    BlockBackend *blk = blk_new_open(path, "raw", BDRV_O_RDWR, &err);
    assert_non_null(blk);
    assert_true(blk_is_inserted(blk));
    assert_false(blk_is_read_only(blk));
    assert_int_equal(blk_getlength(blk), 1 * MiB);
    assert_true(blk_enable_write_cache(blk));

    uint8_t w[4096], r[4096];
    fill_pattern(w, sizeof(w), 77);
    struct iovec wiov = { w, sizeof(w) };
    AioResult res = { .in_submit = true };
    blk_aio_pwritev(blk, 8192, &wiov, 1, 0, aio_cb, &res);
    res.in_submit = false;
    assert_int_equal(res.done, 0);
    RUN_UNTIL(res.done);
    assert_int_equal(res.done, 1);
    assert_int_equal(res.ret, 0);
    assert_false(res.early);
    assert_true(res.bql_held);

    struct iovec riov[2] = { { r, 100 }, { r + 100, sizeof(r) - 100 } };
    AioResult rres = { 0 };
    blk_aio_preadv(blk, 8192, riov, 2, aio_cb, &rres);
    RUN_UNTIL(rres.done);
    assert_int_equal(rres.ret, 0);
    assert_memory_equal(w, r, sizeof(w));

    /* out of range: -EIO, still through the main loop */
    AioResult bad = { .in_submit = true };
    blk_aio_preadv(blk, 1 * MiB - 100, riov, 2, aio_cb, &bad);
    bad.in_submit = false;
    assert_int_equal(bad.done, 0);
    RUN_UNTIL(bad.done);
    assert_int_equal(bad.ret, -EIO);

    AioResult fl = { 0 };
    blk_aio_flush(blk, aio_cb, &fl);
    RUN_UNTIL(fl.done);
    assert_int_equal(fl.ret, 0);

    BlockAcctStats *st = blk_get_stats(blk);
    assert_int_equal(st->wr_ops, 1);
    assert_int_equal(st->wr_bytes, 4096);
    assert_int_equal(st->rd_ops, 1);
    assert_int_equal(st->rd_bytes, 4096);
    assert_int_equal(st->failed_rd_ops, 1);
    assert_int_equal(st->flush_ops, 1);

    /* drain from the main loop thread runs the completions itself */
    enum { N = 64 };
    static uint8_t bufs[N][512];
    struct iovec iovs[N];
    AioResult many[N];
    memset(many, 0, sizeof(many));
    for (int i = 0; i < N; i++) {
        memset(bufs[i], i, sizeof(bufs[i]));
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = sizeof(bufs[i]);
        blk_aio_pwritev(blk, i * 512, &iovs[i], 1, 0, aio_cb, &many[i]);
    }
    blk_drain(blk);
    for (int i = 0; i < N; i++) {
        assert_int_equal(many[i].done, 1);
        assert_int_equal(many[i].ret, 0);
    }
    assert_int_equal(st->wr_ops, 1 + N);
    assert_int_equal(blk_pread(blk, 63 * 512, r, 512), 0);
    assert_int_equal(r[0], 63);
    assert_int_equal(r[511], 63);

    /* a callback may drain its own backend (a device reset does) */
    drain_blk = blk;
    AioResult dr = { 0 };
    blk_aio_preadv(blk, 0, riov, 2, drain_cb, &dr);
    blk_aio_preadv(blk, 4096, riov, 2, aio_cb, &rres);
    RUN_UNTIL(dr.done);
    assert_int_equal(dr.done, 1);
    assert_int_equal(dr.ret, 0);

    /* synchronous calls */
    assert_int_equal(blk_pwrite(blk, 0, w, 512, 0), 0);
    assert_int_equal(blk_pread(blk, 0, r, 512), 0);
    assert_memory_equal(w, r, 512);
    assert_int_equal(blk_pread(blk, 1 * MiB, r, 1), -EIO);
    assert_int_equal(blk_flush(blk), 0);
    assert_int_equal(blk_truncate(blk, 2 * MiB, &err), 0);
    assert_int_equal(blk_getlength(blk), 2 * MiB);

    /* writethrough backends flush every write */
    blk_set_enable_write_cache(blk, false);
    AioResult wt = { 0 };
    blk_aio_pwritev(blk, 0, &wiov, 1, 0, aio_cb, &wt);
    blk_drain_all();
    assert_int_equal(wt.done, 1);
    assert_int_equal(wt.ret, 0);
    blk_unref(blk);

    /* read-only backends refuse writes */
    blk = blk_new_open(path, "raw", 0, &err);
    assert_non_null(blk);
    assert_true(blk_is_read_only(blk));
    AioResult ro = { 0 };
    blk_aio_pwritev(blk, 0, &wiov, 1, 0, aio_cb, &ro);
    blk_drain(blk);
    assert_int_equal(ro.ret, -EACCES);
    assert_int_equal(blk_pwrite(blk, 0, w, 512, 0), -EACCES);
    blk_unref(blk);
    free(path);
}

/* blk_try_rw_inline: page-cache reads and buffered writes in the caller */
static void test_backend_inline(void **state)
{
    char *path = tmp_path("inline.raw");
    Error *err = NULL;
    uint8_t w[8192], r[8192];
    struct iovec wiov = { w, sizeof(w) }, riov[2] = {
        { r, 1000 }, { r + 1000, sizeof(r) - 1000 } };
    struct statfs sfs;

    assert_int_equal(bdrv_create_file(path, 1 * MiB, PREALLOC_MODE_OFF, &err),
                     0);
    BlockBackend *blk = blk_new_open(path, "raw", BDRV_O_RDWR, &err);
    assert_non_null(blk);
    BlockAcctStats *st = blk_get_stats(blk);

    fill_pattern(w, sizeof(w), 31);
    assert_int_equal(blk_try_rw_inline(blk, true, 16384, &wiov, 1), 0);
    assert_int_equal(st->wr_ops, 1);
    assert_int_equal(st->wr_bytes, sizeof(w));
    memset(r, 0, sizeof(r));
    assert_int_equal(blk_pread(blk, 16384, r, sizeof(r)), 0);
    assert_memory_equal(w, r, sizeof(w));
    /* just written: in the page cache */
    memset(r, 0, sizeof(r));
    assert_int_equal(blk_try_rw_inline(blk, false, 16384, riov, 2), 0);
    assert_memory_equal(w, r, sizeof(w));
    assert_int_equal(st->rd_ops, 2);

    /* what the normal path must do: outside the disk, empty, read-only */
    assert_int_equal(blk_try_rw_inline(blk, false, 1 * MiB - 4096, riov, 2),
                     -EAGAIN);
    assert_int_equal(blk_try_rw_inline(blk, true, -4096, &wiov, 1), -EAGAIN);
    assert_int_equal(blk_try_rw_inline(blk, true, 0, &wiov, 0), -EAGAIN);
    assert_int_equal(st->failed_rd_ops + st->failed_wr_ops, 0);

    /* not in the page cache: the read would wait for the disk */
    assert_int_equal(statfs(path, &sfs), 0);
    if (sfs.f_type != TMPFS_MAGIC) {
        int fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(fdatasync(fd), 0);
        assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
        close(fd);
        assert_int_equal(blk_try_rw_inline(blk, false, 16384, riov, 2),
                         -EAGAIN);
    }

    /* writethrough: every write needs a flush, the normal path does it */
    blk_set_enable_write_cache(blk, false);
    assert_int_equal(blk_try_rw_inline(blk, true, 0, &wiov, 1), -EAGAIN);
    blk_unref(blk);

    blk = blk_new_open(path, "raw", 0, &err);
    assert_non_null(blk);
    assert_int_equal(blk_try_rw_inline(blk, true, 0, &wiov, 1), -EAGAIN);
    blk_unref(blk);

    /* O_DIRECT (cache=none) waits for the device: never inline */
    blk = blk_new_open(path, "raw", BDRV_O_RDWR | BDRV_O_NOCACHE, &err);
    if (blk) {
        assert_int_equal(blk_try_rw_inline(blk, false, 16384, riov, 2),
                         -EAGAIN);
        assert_int_equal(blk_try_rw_inline(blk, true, 16384, &wiov, 1),
                         -EAGAIN);
        blk_unref(blk);
    } else {
        error_free(err);        /* a filesystem without O_DIRECT */
        err = NULL;
    }

    /* a probed raw image: its first sector is checked by the normal path */
    blk = blk_new_open(path, NULL, BDRV_O_RDWR, &err);
    assert_non_null(blk);
    assert_int_equal(blk_try_rw_inline(blk, true, 0, &wiov, 1), -EAGAIN);
    assert_int_equal(blk_try_rw_inline(blk, true, 4096, &wiov, 1), 0);
    blk_unref(blk);
    free(path);
}

/* ---- -drive ---- */

static void expect_drive_error(const char *optstr, const char *msg)
{
    Error *err = NULL;
    assert_null(drive_new(optstr, IF_IDE, &err));
    assert_non_null(err);
    if (strcmp(error_get_pretty(err), msg) != 0) {
        fail_msg("-drive %s: got '%s', want '%s'", optstr,
                 error_get_pretty(err), msg);
    }
    error_free(err);
}

static void test_drive_options(void **state)
{
    char *path = tmp_path("drive.raw"), *path2 = tmp_path("drive2.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 1 * MiB, PREALLOC_MODE_OFF, &err),
                     0);
    assert_int_equal(bdrv_create_file(path2, 1 * MiB, PREALLOC_MODE_OFF, &err),
                     0);
    char *s;

    s = emu_asprintf("file=%s,format=raw", path);
    BlockBackend *hd0 = drive_new(s, IF_IDE, &err);
    assert_non_null(hd0);
    assert_string_equal(blk_name(hd0), "ide0-hd0");
    assert_ptr_equal(drive_get(IF_IDE, 0, 0), hd0);
    assert_int_equal(blk_interface(hd0), IF_IDE);
    assert_false(blk_is_cdrom(hd0));
    free(s);

    /* the next free slot, then a CD-ROM at index 2 (-cdrom) */
    s = emu_asprintf("file=%s,format=raw,readonly=on,cache=writeback", path2);
    BlockBackend *hd1 = drive_new(s, IF_IDE, &err);
    free(s);
    assert_non_null(hd1);
    assert_string_equal(blk_name(hd1), "ide0-hd1");
    assert_true(blk_is_read_only(hd1));
    BlockBackend *cd = drive_add_legacy(path2, 2, true, &err);
    assert_non_null(cd);
    assert_string_equal(blk_name(cd), "ide1-cd0");
    assert_true(blk_is_cdrom(cd));
    assert_true(blk_is_read_only(cd));
    assert_ptr_equal(drive_get(IF_IDE, 1, 0), cd);

    s = emu_asprintf("file=%s,format=raw,if=virtio,cache=writethrough", path);
    /* the image is in use read-write by hd0: refused */
    assert_null(drive_new(s, IF_IDE, &err));
    assert_non_null(strstr(error_get_pretty(err), "Failed to get \"write\" "
                           "lock"));
    error_free(err);
    err = NULL;
    free(s);
    s = emu_asprintf("file=%s,format=raw,if=virtio,cache=writethrough,"
                     "readonly=on", path2);
    BlockBackend *vd = drive_new(s, IF_IDE, &err);
    assert_non_null(vd);
    free(s);
    assert_string_equal(blk_name(vd), "virtio0");
    assert_false(blk_enable_write_cache(vd));
    assert_ptr_equal(drive_get_next_unclaimed(IF_VIRTIO), vd);
    assert_null(drive_get_next_unclaimed(IF_VIRTIO));

    BlockBackend *none = drive_new("if=none,id=empty0,media=cdrom", IF_IDE,
                                   &err);
    assert_non_null(none);
    assert_false(blk_is_inserted(none));
    assert_ptr_equal(blk_by_name("empty0"), none);
    assert_int_equal(blk_getlength(none), 0);

    /* errors, with QEMU's texts */
    s = emu_asprintf("file=%s,format=raw,index=0", path);
    expect_drive_error(s, "drive with bus=0, unit=0 (index=0) exists");
    free(s);
    expect_drive_error("file=x,format=bogus", "Unknown driver 'bogus'");
    expect_drive_error("file=x,if=scsi2", "unsupported bus type 'scsi2'");
    expect_drive_error("file=x,cache=bogus", "invalid cache option");
    expect_drive_error("file=x,media=tape", "'tape' invalid media");
    expect_drive_error("file=x,aio=bogus", "invalid aio option");
    expect_drive_error("file=x,aio=native",
                       "aio=native was specified, but it requires "
                       "cache.direct=on, which was not specified.");
    expect_drive_error("file=x,werror=bogus",
                       "'bogus' invalid write error action");
    expect_drive_error("file=x,rerror=enospc",
                       "'enospc' invalid read error action");
    expect_drive_error("file=x,discard=bogus", "Invalid discard option");
    expect_drive_error("file=x,readonly=maybe",
                       "Parameter 'read-only' expects 'on' or 'off'");
    expect_drive_error("file=x,unit=2", "unit 2 too big (max is 1)");
    expect_drive_error("file=x,unit=0,index=1",
                       "index cannot be used with bus and unit");
    expect_drive_error("format=raw",
                       "A block device must be specified for \"file\"");
    expect_drive_error("if=none,id=empty0", "Duplicate ID 'empty0' for drive");
    expect_drive_error("if=none,id=1bad",
                       "Parameter 'id' expects an identifier\n"
                       "Identifiers consist of letters, digits, '-', '.', "
                       "'_', starting with a letter.");
    char *missing = tmp_path("nonexist.raw");
    s = emu_asprintf("file=%s", missing);
    char *want = emu_asprintf("Could not open '%s': No such file or "
                              "directory", missing);
    expect_drive_error(s, want);
    free(want);
    free(s);
    free(missing);
    s = emu_asprintf("file=%s,format=raw,readonly=on,if=none,foo=1", path2);
    expect_drive_error(s, "Block format 'raw' does not support the option "
                       "'foo'");
    free(s);

    /* unclaimed if=ide drives are an error, if=none ones are not */
    assert_false(drive_check_orphaned(&err));
    assert_non_null(strstr(error_get_pretty(err), "machine type does not "
                           "support if=ide,bus=0,unit=0"));
    error_free(err);
    free(path);
    free(path2);
}

static void test_media_change(void **state)
{
    char *a = tmp_path("media-a.iso"), *b = tmp_path("media-b.iso");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(a, 64 * KiB, PREALLOC_MODE_OFF, &err),
                     0);
    assert_int_equal(bdrv_create_file(b, 128 * KiB, PREALLOC_MODE_OFF, &err),
                     0);
    char *s = emu_asprintf("file=%s,format=raw,if=none,id=cd9,media=cdrom", a);
    BlockBackend *blk = drive_new(s, IF_IDE, &err);
    free(s);
    assert_non_null(blk);
    assert_int_equal(blk_getlength(blk), 64 * KiB);
    assert_true(blk_eject(blk, false, &err));
    assert_false(blk_is_inserted(blk));
    assert_true(blk_change_medium(blk, b, "raw", true, &err));
    assert_true(blk_is_inserted(blk));
    assert_int_equal(blk_getlength(blk), 128 * KiB);
    assert_false(blk_change_medium(blk, "/nonexistent/x", "raw", true, &err));
    assert_string_equal(error_get_pretty(err), "Could not open "
                        "'/nonexistent/x': No such file or directory");
    error_free(err);
    assert_true(blk_is_inserted(blk));      /* the old medium stays */
    free(a);
    free(b);
}

static bool have_qemu_img_and_qcow2(void)
{
    return bdrv_find_format("qcow2") &&
           system("qemu-img --version >/dev/null 2>&1") == 0;
}

static void run_cmd(const char *fmt, const char *a, const char *b)
{
    char *cmd = emu_asprintf(fmt, tmpdir, a, b);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void test_backing_chain(void **state)
{
    if (!have_qemu_img_and_qcow2()) {
        skip();     /* needs qemu-img (qemu-utils) and the qcow2 driver */
    }
    /* dir/top.qcow2 -> mid.qcow2 (same dir) -> ../base.raw */
    run_cmd("cd %s && mkdir -p chain/dir && qemu-img create -q -f raw "
            "chain/base.raw 1M && qemu-io -f raw -c 'write -P 0x5a 0 64k' "
            "chain/base.raw >/dev/null%s%s", "", "");
    run_cmd("cd %s/chain/dir && qemu-img create -q -f qcow2 -b ../base.raw "
            "-F raw mid.qcow2%s && qemu-img create -q -f qcow2 -b mid.qcow2 "
            "-F qcow2 top.qcow2%s", "", "");
    char *top = tmp_path("chain/dir/top.qcow2");
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(top, NULL, NULL, BDRV_O_RDWR, &err);
    if (!bs) {
        fail_msg("%s", error_get_pretty(err));
    }
    assert_string_equal(bs->drv->format_name, "qcow2");
    assert_non_null(bs->backing);
    assert_non_null(bs->backing->backing);
    assert_true(bs->backing->read_only);
    assert_string_equal(bs->backing->backing->drv->format_name, "raw");
    uint8_t buf[512];
    assert_int_equal(bdrv_pread(bs, 4096, buf, sizeof(buf)), 0);
    assert_int_equal(buf[0], 0x5a);
    assert_int_equal(buf[511], 0x5a);
    bdrv_unref(bs);

    /* a loop is refused, not followed */
    run_cmd("cd %s/chain/dir && qemu-img rebase -u -b top.qcow2 -F qcow2 "
            "mid.qcow2%s%s", "", "");
    assert_null(bdrv_open(top, NULL, NULL, 0, &err));
    assert_non_null(strstr(error_get_pretty(err), "infinite loop"));
    error_free(err);
    free(top);
}

static void test_snapshot_overlay(void **state)
{
    if (!bdrv_find_format("qcow2")) {
        skip();
    }
    char *path = tmp_path("snap.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 1 * MiB, PREALLOC_MODE_OFF, &err),
                     0);
    uint8_t base[4096];
    fill_pattern(base, sizeof(base), 42);
    int fd = open(path, O_WRONLY);
    assert_int_equal(pwrite(fd, base, sizeof(base), 64 * KiB), sizeof(base));
    close(fd);
    BlockBackend *blk = blk_new_open(path, "raw",
                                     BDRV_O_RDWR | BDRV_O_SNAPSHOT, &err);
    if (!blk) {
        fail_msg("%s", error_get_pretty(err));
    }
    assert_false(blk_is_read_only(blk));
    assert_string_equal(blk_bs(blk)->drv->format_name, "qcow2");
    assert_int_equal(blk_getlength(blk), 1 * MiB);
    uint8_t w[4096], r[4096];
    /* unwritten data comes from the image below */
    assert_int_equal(blk_pread(blk, 64 * KiB, r, sizeof(r)), 0);
    assert_memory_equal(base, r, sizeof(r));
    fill_pattern(w, sizeof(w), 1);
    assert_int_equal(blk_pwrite(blk, 8192, w, sizeof(w), 0), 0);
    assert_int_equal(blk_pread(blk, 8192, r, sizeof(r)), 0);
    assert_memory_equal(w, r, sizeof(w));
    /* the image itself is untouched and only read-locked */
    BlockDriverState *ro = bdrv_open(path, "raw", NULL, 0, &err);
    assert_non_null(ro);
    assert_int_equal(bdrv_pread(ro, 8192, r, sizeof(r)), 0);
    for (size_t i = 0; i < sizeof(r); i++) {
        assert_int_equal(r[i], 0);
    }
    bdrv_unref(ro);
    blk_unref(blk);
    free(path);
}

static void test_error_action(void **state)
{
    char *path = tmp_path("werror.raw");
    Error *err = NULL;
    assert_int_equal(bdrv_create_file(path, 64 * KiB, PREALLOC_MODE_OFF, &err),
                     0);
    char *s = emu_asprintf("file=%s,format=raw,if=none,id=we0,werror=stop,"
                           "rerror=ignore", path);
    BlockBackend *blk = drive_new(s, IF_IDE, &err);
    free(s);
    assert_non_null(blk);
    assert_int_equal(blk_get_error_action(blk, false, -EIO),
                     BLOCK_ERROR_ACTION_STOP);
    assert_int_equal(blk_get_error_action(blk, true, -EIO),
                     BLOCK_ERROR_ACTION_IGNORE);
    blk_unref(blk);
    /* defaults: werror=enospc, rerror=report */
    blk = blk_new_open(path, "raw", 0, &err);
    assert_non_null(blk);
    assert_int_equal(blk_get_error_action(blk, false, -ENOSPC),
                     BLOCK_ERROR_ACTION_STOP);
    assert_int_equal(blk_get_error_action(blk, false, -EIO),
                     BLOCK_ERROR_ACTION_REPORT);
    assert_int_equal(blk_get_error_action(blk, true, -ENOSPC),
                     BLOCK_ERROR_ACTION_REPORT);
    blk_unref(blk);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_rw),
        cmocka_unit_test(test_file_prealloc),
        cmocka_unit_test(test_file_direct_bounce),
        cmocka_unit_test(test_file_sparse),
        cmocka_unit_test(test_locking_two_processes),
        cmocka_unit_test(test_probe_raw_warning),
        cmocka_unit_test(test_backing_path),
        cmocka_unit_test(test_backend_aio),
        cmocka_unit_test(test_backend_inline),
        cmocka_unit_test(test_drive_options),
        cmocka_unit_test(test_media_change),
        cmocka_unit_test(test_backing_chain),
        cmocka_unit_test(test_snapshot_overlay),
        cmocka_unit_test(test_error_action),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
