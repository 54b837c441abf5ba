/* Unit tests for the qcow2 driver (block/qcow2*.c), with qemu-img as the referee. */
#include "emu/osdep.h"
#include "block/block_int.h"
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>

static char tmpdir[64];
static bool have_qemu_img;

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void fill_random(uint8_t *buf, size_t len)
{
    /* half random, half a repeating pattern: compressible, yet not zero */
    uint8_t pat = rng();
    for (size_t i = 0; i < len; i++) {
        buf[i] = (i & 256) ? pat + (i >> 9) : (uint8_t)rng();
    }
}

static char *path_of(const char *name)
{
    return emu_asprintf("%s/%s", tmpdir, name);
}

static int run_cmd(const char *fmt, ...) EMU_PRINTF(1, 2);
static int run_cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = emu_vasprintf(fmt, ap);
    va_end(ap);
    char *full = emu_asprintf("%s >/dev/null 2>&1", cmd);
    int st = system(full);
    free(cmd);
    free(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void create_image(const char *path, uint64_t size, const char *optstr)
{
    Error *err = NULL;
    EmuOpts *opts = optstr ? opts_parse(optstr, NULL, false, &err) : NULL;
    int ret = bdrv_create("qcow2", path, size, opts, &err);
    if (ret < 0) {
        fail_msg("create %s (%s): %s", path, optstr ? optstr : "",
                 error_get_pretty(err));
    }
    opts_free(opts);
}

static BlockDriverState *open_image(const char *path, int flags)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "qcow2", NULL, flags, &err);
    if (!bs) {
        fail_msg("open %s: %s", path, error_get_pretty(err));
    }
    return bs;
}

static char *open_error(const char *path, int flags)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "qcow2", NULL, flags, &err);
    if (bs) {
        bdrv_unref(bs);
        return NULL;
    }
    char *msg = emu_strdup(error_get_pretty(err));
    error_free(err);
    return msg;
}

static void expect_contents(BlockDriverState *bs, const uint8_t *model,
                            uint64_t size)
{
    uint8_t *buf = emu_malloc(size);
    assert_int_equal(bdrv_pread(bs, 0, buf, size), 0);
    for (uint64_t i = 0; i < size; i++) {
        if (buf[i] != model[i]) {
            fail_msg("byte %#" PRIx64 ": got %#x, expected %#x", i, buf[i],
                     model[i]);
        }
    }
    free(buf);
}

/* qemu-img check must find nothing (leaks allowed if allow_leaks) */
static void qemu_check(const char *path, bool allow_leaks)
{
    if (!have_qemu_img) {
        return;
    }
    int rc = run_cmd("qemu-img check -f qcow2 '%s'", path);
    if (rc != 0 && !(allow_leaks && rc == 3)) {
        char *cmd = emu_asprintf("qemu-img check -f qcow2 '%s' >&2", path);
        if (system(cmd)) {
            /* the output above says why */
        }
        free(cmd);
        fail_msg("qemu-img check %s: exit %d", path, rc);
    }
}

/* qemu-img convert -O raw must show the model */
static void qemu_expect_contents(const char *path, const uint8_t *model,
                                 uint64_t size)
{
    if (!have_qemu_img) {
        return;
    }
    char *raw = path_of("converted.raw");
    assert_int_equal(run_cmd("qemu-img convert -U -O raw '%s' '%s'", path,
                             raw), 0);
    int fd = open(raw, O_RDONLY);
    assert_true(fd >= 0);
    uint8_t *buf = emu_malloc0(size);
    ssize_t n = pread(fd, buf, size, 0);
    close(fd);
    assert_int_equal(n, (ssize_t)size);
    for (uint64_t i = 0; i < size; i++) {
        if (buf[i] != model[i]) {
            fail_msg("%s via qemu-img: byte %#" PRIx64 ": got %#x, "
                     "expected %#x", path, i, buf[i], model[i]);
        }
    }
    unlink(raw);
    free(raw);
    free(buf);
}

static void random_writes(BlockDriverState *bs, uint8_t *model, uint64_t size,
                          int count, uint32_t max_len)
{
    uint8_t *buf = emu_malloc(max_len);
    for (int i = 0; i < count; i++) {
        uint64_t len = 1 + rng() % max_len;
        uint64_t off = rng() % size;
        if (off + len > size) {
            len = size - off;
        }
        fill_random(buf, len);
        assert_int_equal(bdrv_pwrite(bs, off, buf, len), 0);
        memcpy(model + off, buf, len);
    }
    free(buf);
}

static int check_image(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    return bdrv_check(bs, res, fix);
}

/* ---- tests ---- */

static void test_create_matches_qemu_img(void **state)
{
    if (!have_qemu_img) {
        skip();
    }
    char *a = path_of("ours.qcow2"), *b = path_of("theirs.qcow2");
    static const char *const variants[] = {
        NULL, "compat=0.10", "cluster_size=4096", "refcount_bits=1",
        "lazy_refcounts=on", "compression_type=zstd",
    };
    for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
        create_image(a, 1 * GiB, variants[i]);
        assert_int_equal(run_cmd("qemu-img create -f qcow2 %s%s '%s' 1G",
                                 variants[i] ? "-o " : "",
                                 variants[i] ? variants[i] : "", b), 0);
        assert_int_equal(run_cmd("cmp '%s' '%s'", a, b), 0);
    }
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

static void rw_roundtrip(int version, int cluster_bits, int refcount_bits)
{
    uint64_t size = MIN(8 * MiB, (uint64_t)4096 << cluster_bits) + 3 * 512;
    char *path = path_of("rw.qcow2");
    char *opts = emu_asprintf("compat=%s,cluster_size=%u,refcount_bits=%d",
                              version == 2 ? "0.10" : "1.1",
                              1u << cluster_bits, refcount_bits);
    uint8_t *model = emu_malloc0(size);

    create_image(path, size, opts);
    BlockDriverState *bs = open_image(path, BDRV_O_RDWR);
    assert_int_equal(bdrv_getlength(bs), size);
    expect_contents(bs, model, size);
    random_writes(bs, model, size, 150, 3u << cluster_bits);
    /* the very end, and a large write spanning many clusters */
    uint8_t tail[700];
    fill_random(tail, sizeof(tail));
    assert_int_equal(bdrv_pwrite(bs, size - sizeof(tail), tail,
                                 sizeof(tail)), 0);
    memcpy(model + size - sizeof(tail), tail, sizeof(tail));
    expect_contents(bs, model, size);
    assert_int_equal(bdrv_flush(bs), 0);
    BdrvCheckResult res;
    assert_int_equal(check_image(bs, &res, 0), 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, 0);
    bdrv_unref(bs);

    qemu_check(path, false);
    qemu_expect_contents(path, model, size);
    bs = open_image(path, 0);
    expect_contents(bs, model, size);
    bdrv_unref(bs);
    unlink(path);
    free(path);
    free(opts);
    free(model);
}

static void test_rw_v3_64k(void **state)
{
    rw_roundtrip(3, 16, 16);
}

static void test_rw_v2_64k(void **state)
{
    rw_roundtrip(2, 16, 16);
}

static void test_rw_v3_512(void **state)
{
    /* tiny clusters: the refcount table has to grow, L1 spans clusters */
    rw_roundtrip(3, 9, 16);
}

static void test_rw_v2_4k(void **state)
{
    rw_roundtrip(2, 12, 16);
}

static void test_rw_v3_2m(void **state)
{
    rw_roundtrip(3, 21, 16);
}

static void test_rw_refcount_widths(void **state)
{
    rw_roundtrip(3, 9, 1);
    rw_roundtrip(3, 10, 64);
    rw_roundtrip(3, 12, 4);
    rw_roundtrip(3, 12, 8);
}

static void write_raw_file(const char *path, const uint8_t *data,
                           uint64_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, size, 0), (ssize_t)size);
    close(fd);
}

/* raw <- qcow2 <- qcow2 <- qcow2, partial writes at every level */
static void test_backing_chain(void **state)
{
    uint64_t base_size = 3 * MiB + 4096, size = 4 * MiB;
    char *base = path_of("base.raw"), *mid1 = path_of("mid1.qcow2");
    char *mid2 = path_of("mid2.qcow2"), *top = path_of("top.qcow2");
    uint8_t *model = emu_malloc0(size);
    BlockDriverState *bs;

    fill_random(model, base_size);
    write_raw_file(base, model, base_size);
    create_image(mid1, size, "backing_file=base.raw,backing_fmt=raw,"
                 "cluster_size=4096");
    bs = open_image(mid1, BDRV_O_RDWR);
    assert_non_null(bs->backing);
    expect_contents(bs, model, size);
    random_writes(bs, model, size, 40, 10000);
    expect_contents(bs, model, size);
    bdrv_unref(bs);

    create_image(mid2, size, "backing_file=mid1.qcow2,backing_fmt=qcow2,"
                 "compat=0.10");
    bs = open_image(mid2, BDRV_O_RDWR);
    random_writes(bs, model, size, 40, 100000);
    bdrv_unref(bs);

    create_image(top, size, "backing_file=mid2.qcow2,backing_fmt=qcow2,"
                 "cluster_size=512");
    bs = open_image(top, BDRV_O_RDWR);
    assert_string_equal(bs->backing_file, "mid2.qcow2");
    assert_string_equal(bs->backing_format, "qcow2");
    expect_contents(bs, model, size);
    random_writes(bs, model, size, 60, 3000);
    expect_contents(bs, model, size);
    bdrv_unref(bs);

    qemu_check(mid1, false);
    qemu_check(mid2, false);
    qemu_check(top, false);
    qemu_expect_contents(top, model, size);
    unlink(base); unlink(mid1); unlink(mid2); unlink(top);
    free(base); free(mid1); free(mid2); free(top);
    free(model);
}

static void test_zero_and_discard(void **state)
{
    uint64_t size = 2 * MiB, cs = 65536;
    char *base = path_of("zbase.qcow2"), *path = path_of("zero.qcow2");
    uint8_t *model = emu_malloc0(size), *basedata = emu_malloc0(size);
    BlockDriverState *bs;
    uint64_t pnum, map;

    /* a backing file with data everywhere */
    create_image(base, size, NULL);
    bs = open_image(base, BDRV_O_RDWR);
    fill_random(basedata, size);
    assert_int_equal(bdrv_pwrite(bs, 0, basedata, size), 0);
    bdrv_unref(bs);
    memcpy(model, basedata, size);

    create_image(path, size, "backing_file=zbase.qcow2,backing_fmt=qcow2");
    bs = open_image(path, BDRV_O_RDWR | BDRV_O_UNMAP);
    random_writes(bs, model, size, 30, 200000);

    /* aligned zeroes become zero clusters; ragged edges are written */
    assert_int_equal(bdrv_pwrite_zeroes(bs, cs, 3 * cs, 0), 0);
    memset(model + cs, 0, 3 * cs);
    assert_int_equal(bdrv_pwrite_zeroes(bs, 5 * cs + 100, 2 * cs, 
                                        BDRV_REQ_MAY_UNMAP), 0);
    memset(model + 5 * cs + 100, 0, 2 * cs);
    assert_int_equal(bdrv_block_status(bs, cs, cs, &pnum, &map) &
                     BDRV_BLOCK_ZERO, BDRV_BLOCK_ZERO);
    expect_contents(bs, model, size);

    /* discard on v3 with a backing file: reads zeroes afterwards */
    assert_int_equal(bdrv_pdiscard(bs, 10 * cs, 4 * cs), 0);
    memset(model + 10 * cs, 0, 4 * cs);
    /* partial clusters are left alone */
    assert_int_equal(bdrv_pdiscard(bs, 20 * cs + 1, cs), 0);
    expect_contents(bs, model, size);
    bdrv_unref(bs);
    qemu_check(path, false);
    qemu_expect_contents(path, model, size);

    /* without a backing file, discarded clusters become unallocated */
    create_image(path, size, NULL);
    bs = open_image(path, BDRV_O_RDWR | BDRV_O_UNMAP);
    memset(model, 0, size);
    random_writes(bs, model, size, 20, 300000);
    assert_int_equal(bdrv_pdiscard(bs, 0, size), 0);
    memset(model, 0, size);
    expect_contents(bs, model, size);
    /* as QEMU: discarded clusters of v3 become zero clusters */
    for (uint64_t off = 0; off < size; off += pnum) {
        int st = bdrv_block_status(bs, off, size - off, &pnum, &map);
        assert_true(st >= 0 && !(st & BDRV_BLOCK_DATA));
        assert_true(pnum > 0);
    }
    BdrvCheckResult res;
    assert_int_equal(check_image(bs, &res, 0), 0);
    assert_int_equal(res.allocated_clusters, 0);
    assert_int_equal(res.leaks + res.corruptions, 0);
    bdrv_unref(bs);
    qemu_check(path, false);

    /* v2: no zero flag; without a backing file clusters are dropped */
    create_image(path, size, "compat=0.10");
    bs = open_image(path, BDRV_O_RDWR);
    random_writes(bs, model, size, 20, 300000);
    assert_int_equal(bdrv_pwrite_zeroes(bs, 100, 5 * cs, 0), 0);
    memset(model + 100, 0, 5 * cs);
    expect_contents(bs, model, size);
    assert_int_equal(bdrv_block_status(bs, cs, cs, &pnum, &map), 0);
    bdrv_unref(bs);
    qemu_check(path, false);
    qemu_expect_contents(path, model, size);

    /* v2 with a backing file: zeroes are written out (by the core) */
    create_image(path, size, "compat=0.10,backing_file=zbase.qcow2,"
                 "backing_fmt=qcow2");
    bs = open_image(path, BDRV_O_RDWR);
    memcpy(model, basedata, size);
    random_writes(bs, model, size, 20, 300000);
    assert_int_equal(bdrv_pwrite_zeroes(bs, 3 * cs - 5, 4 * cs, 0), 0);
    memset(model + 3 * cs - 5, 0, 4 * cs);
    expect_contents(bs, model, size);
    bdrv_unref(bs);
    qemu_check(path, false);
    qemu_expect_contents(path, model, size);

    unlink(base); unlink(path);
    free(base); free(path);
    free(model); free(basedata);
}

static void compressed_read(const char *ctype)
{
    if (!have_qemu_img) {
        skip();
    }
    uint64_t size = 3 * MiB + 65536;
    char *raw = path_of("c.raw"), *img = path_of("c.qcow2");
    uint8_t *model = emu_malloc0(size);

    fill_random(model, size);
    memset(model + MiB, 0, 200000);
    write_raw_file(raw, model, size);
    assert_int_equal(run_cmd("qemu-img convert -c -O qcow2 -o "
                             "compression_type=%s '%s' '%s'", ctype, raw,
                             img), 0);
    BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
    uint64_t pnum, map;
    assert_true(bdrv_block_status(bs, 0, size, &pnum, &map) &
                BDRV_BLOCK_COMPRESSED);
    expect_contents(bs, model, size);
    /* overwrite parts of compressed clusters: copy-on-write decompresses */
    random_writes(bs, model, size, 30, 50000);
    expect_contents(bs, model, size);
    bdrv_unref(bs);
    qemu_check(img, false);
    qemu_expect_contents(img, model, size);
    unlink(raw); unlink(img);
    free(raw); free(img);
    free(model);
}

static void test_compressed_read_zlib(void **state)
{
    compressed_read("zlib");
}

static void test_compressed_read_zstd(void **state)
{
    compressed_read("zstd");
}

static void test_compressed_write(void **state)
{
    static const char *const ctypes[] = { "compression_type=zlib",
                                          "compression_type=zstd" };
    for (size_t t = 0; t < ARRAY_SIZE(ctypes); t++) {
        uint64_t cs = 65536, size = 40 * cs;
        char *img = path_of("cw.qcow2");
        uint8_t *model = emu_malloc0(size);

        create_image(img, size, ctypes[t]);
        BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
        fill_random(model, size);
        memset(model + 7 * cs, 0, cs);
        for (uint64_t off = 0; off < size; off += cs) {
            if (off == 30 * cs) {
                continue;   /* one left unallocated */
            }
            assert_int_equal(bs->drv->pwrite_compressed(bs, off, cs,
                                                        model + off), 0);
        }
        memset(model + 30 * cs, 0, cs);
        expect_contents(bs, model, size);
        /* compressing over allocated data is refused (as QEMU) */
        assert_int_equal(bs->drv->pwrite_compressed(bs, 0, cs, model), -EIO);
        BdrvCheckResult res;
        assert_int_equal(check_image(bs, &res, 0), 0);
        assert_int_equal(res.compressed_clusters, 39);
        assert_int_equal(res.leaks + res.corruptions, 0);
        bdrv_unref(bs);
        qemu_check(img, false);
        qemu_expect_contents(img, model, size);
        unlink(img);
        free(img);
        free(model);
    }
}

static void test_snapshots(void **state)
{
    uint64_t size = 4 * MiB;
    char *img = path_of("snap.qcow2");
    uint8_t *m1 = emu_malloc0(size), *m2, *model = emu_malloc0(size);
    Error *err = NULL;

    create_image(img, size, "cluster_size=4096");
    BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
    random_writes(bs, model, size, 40, 40000);
    memcpy(m1, model, size);
    assert_int_equal(bs->drv->snapshot_create(bs, "first", &err), 0);
    random_writes(bs, model, size, 40, 40000);
    m2 = emu_malloc(size);
    memcpy(m2, model, size);
    assert_int_equal(bs->drv->snapshot_create(bs, "second", &err), 0);
    random_writes(bs, model, size, 40, 40000);
    assert_int_equal(bdrv_pdiscard(bs, 0, MiB), 0);
    memset(model, 0, MiB);
    expect_contents(bs, model, size);

    BdrvSnapshotInfo *list;
    assert_int_equal(bs->drv->snapshot_list(bs, &list), 2);
    assert_string_equal(list[0].name, "first");
    assert_string_equal(list[0].id_str, "1");
    assert_string_equal(list[1].name, "second");
    assert_string_equal(list[1].id_str, "2");
    free(list);
    bdrv_unref(bs);
    qemu_check(img, false);
    if (have_qemu_img) {
        assert_int_equal(run_cmd("qemu-img snapshot -l '%s' | "
                                 "grep -q second", img), 0);
    }

    bs = open_image(img, BDRV_O_RDWR);
    assert_int_equal(bs->drv->snapshot_goto(bs, "first", &err), 0);
    expect_contents(bs, m1, size);
    /* writing after the apply must leave the snapshots intact */
    memcpy(model, m1, size);
    random_writes(bs, model, size, 40, 40000);
    expect_contents(bs, model, size);
    assert_int_equal(bs->drv->snapshot_goto(bs, "nosuch", &err), -ENOENT);
    error_free(err);
    err = NULL;
    assert_int_equal(bs->drv->snapshot_delete(bs, "first", &err), 0);
    bdrv_unref(bs);
    qemu_check(img, false);
    qemu_expect_contents(img, model, size);

    bs = open_image(img, BDRV_O_RDWR);
    assert_int_equal(bs->drv->snapshot_goto(bs, "2", &err), 0);
    expect_contents(bs, m2, size);
    assert_int_equal(bs->drv->snapshot_delete(bs, "second", &err), 0);
    BdrvCheckResult res;
    assert_int_equal(check_image(bs, &res, 0), 0);
    assert_int_equal(res.leaks + res.corruptions, 0);
    bdrv_unref(bs);
    qemu_check(img, false);
    qemu_expect_contents(img, m2, size);

    /* a snapshot qemu-img made, applied by us */
    if (have_qemu_img) {
        assert_int_equal(run_cmd("qemu-img snapshot -c theirs '%s'", img), 0);
        bs = open_image(img, BDRV_O_RDWR);
        random_writes(bs, model, size, 10, 40000);
        assert_int_equal(bs->drv->snapshot_goto(bs, "theirs", &err), 0);
        expect_contents(bs, m2, size);
        bdrv_unref(bs);
        qemu_check(img, false);
    }
    unlink(img);
    free(img);
    free(m1); free(m2); free(model);
}

/* applying a snapshot taken at another size restores that size */
static void test_snapshot_other_size(void **state)
{
    char *img = path_of("snapsize.qcow2");
    uint64_t small = MiB, big = 5 * MiB;
    uint8_t *model = emu_malloc0(big);
    Error *err = NULL;

    create_image(img, small, NULL);
    BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
    random_writes(bs, model, small, 10, 30000);
    assert_int_equal(bs->drv->snapshot_create(bs, "small", &err), 0);
    assert_int_equal(bdrv_truncate(bs, big, PREALLOC_MODE_OFF, &err), 0);
    uint8_t *m2 = emu_malloc(big);
    memcpy(m2, model, big);
    random_writes(bs, m2, big, 10, 30000);
    assert_int_equal(bs->drv->snapshot_goto(bs, "small", &err), 0);
    assert_int_equal(bdrv_getlength(bs), small);
    expect_contents(bs, model, small);
    bdrv_unref(bs);
    qemu_check(img, false);
    qemu_expect_contents(img, model, small);
    unlink(img);
    free(img);
    free(model);
    free(m2);
}

/* images qemu-io wrote read back as qemu-img convert says */
static void test_qemu_written_images(void **state)
{
    if (!have_qemu_img || run_cmd("qemu-io --version") != 0) {
        skip();
    }
    static const char *const variants[] = {
        "compat=1.1", "compat=0.10", "cluster_size=512", "cluster_size=2M",
        "refcount_bits=64",
    };
    for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
        char *img = path_of("q.qcow2"), *raw = path_of("q.raw");
        uint64_t size = 6 * MiB;
        assert_int_equal(run_cmd("qemu-img create -f qcow2 -o %s '%s' 6M",
                                 variants[i], img), 0);
        assert_int_equal(run_cmd("qemu-io -f qcow2 -c 'write -P 0x5a 1000 "
                                 "300000' -c 'write -P 0x11 2M 1M' "
                                 "-c 'write -z 2200000 70000' "
                                 "-c 'discard 2M 65536' '%s'", img), 0);
        assert_int_equal(run_cmd("qemu-img convert -O raw '%s' '%s'", img,
                                 raw), 0);
        uint8_t *model = emu_malloc0(size);
        int fd = open(raw, O_RDONLY);
        assert_int_equal(pread(fd, model, size, 0), (ssize_t)size);
        close(fd);
        BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
        expect_contents(bs, model, size);
        random_writes(bs, model, size, 30, 100000);
        bdrv_unref(bs);
        qemu_check(img, false);
        qemu_expect_contents(img, model, size);
        unlink(img); unlink(raw);
        free(img); free(raw); free(model);
    }
}

static void test_truncate(void **state)
{
    char *img = path_of("t.qcow2");
    uint64_t size = MiB, big = 300 * MiB;
    uint8_t *model = emu_malloc0(size);
    Error *err = NULL;

    create_image(img, size, "cluster_size=4096");
    BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
    random_writes(bs, model, size, 20, 20000);
    assert_int_equal(bdrv_truncate(bs, big, PREALLOC_MODE_OFF, &err), 0);
    assert_int_equal(bdrv_getlength(bs), big);
    uint8_t buf[4096] = { 1 };
    assert_int_equal(bdrv_pwrite(bs, big - 4096, buf, 4096), 0);
    expect_contents(bs, model, size);
    /* shrink back: what lay beyond is gone */
    assert_int_equal(bdrv_truncate(bs, size / 2, PREALLOC_MODE_OFF, &err), 0);
    assert_int_equal(bdrv_truncate(bs, size, PREALLOC_MODE_OFF, &err), 0);
    memset(model + size / 2, 0, size / 2);
    expect_contents(bs, model, size);
    bdrv_unref(bs);
    qemu_check(img, false);
    qemu_expect_contents(img, model, size);
    unlink(img);
    free(img);
    free(model);
}

static void test_preallocation(void **state)
{
    static const char *const modes[] = { "metadata", "falloc", "full" };
    char *img = path_of("p.qcow2");
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        char *o = emu_asprintf("preallocation=%s", modes[i]);
        uint64_t size = 3 * MiB + 512;
        uint8_t *model = emu_malloc0(size);
        create_image(img, size, o);
        BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
        BdrvCheckResult res;
        assert_int_equal(check_image(bs, &res, 0), 0);
        assert_int_equal(res.allocated_clusters, DIV_ROUND_UP(size, 65536));
        expect_contents(bs, model, size);
        random_writes(bs, model, size, 10, 100000);
        bdrv_unref(bs);
        qemu_check(img, false);
        qemu_expect_contents(img, model, size);
        free(o);
        free(model);
    }
    unlink(img);
    free(img);
}

static void test_lazy_refcounts_dirty_bit(void **state)
{
    char *img = path_of("lazy.qcow2");
    uint8_t hdr[80], buf[512] = { 7 };
    int fd;

    create_image(img, MiB, "lazy_refcounts=on");
    BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
    assert_int_equal(bdrv_pwrite(bs, 0, buf, sizeof(buf)), 0);
    fd = open(img, O_RDONLY);
    assert_int_equal(pread(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
    assert_int_equal(hdr[79] & 1, 1);  /* dirty while open */
    bdrv_unref(bs);
    assert_int_equal(pread(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
    assert_int_equal(hdr[79] & 1, 0);
    close(fd);
    qemu_check(img, false);
    unlink(img);
    free(img);
}

/* an image qemu-io left dirty (lazy refcounts) is repaired on open */
static void test_dirty_image_repaired(void **state)
{
    if (!have_qemu_img || run_cmd("qemu-io --version") != 0) {
        skip();
    }
    char *img = path_of("dirty.qcow2");
    uint64_t size = 8 * MiB;
    uint8_t *model = emu_malloc0(size);

    assert_int_equal(run_cmd("qemu-img create -f qcow2 -o lazy_refcounts=on "
                             "'%s' 8M", img), 0);
    /* "abort" ends qemu-io without closing the image */
    run_cmd("qemu-io -c 'write -P 7 0 3M' -c 'write -P 8 5M 1M' -c abort "
            "'%s'", img);
    assert_int_not_equal(run_cmd("qemu-img check '%s'", img), 0);
    memset(model, 7, 3 * MiB);
    memset(model + 5 * MiB, 8, MiB);
    BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
    BlockDriverInfo bdi;
    assert_int_equal(bdrv_get_info(bs, &bdi), 0);
    assert_false(bdi.is_dirty);
    expect_contents(bs, model, size);
    random_writes(bs, model, size, 20, 100000);
    bdrv_unref(bs);
    qemu_check(img, false);
    qemu_expect_contents(img, model, size);
    unlink(img);
    free(img);
    free(model);
}

static void patch_file(const char *path, uint64_t off, const void *data,
                       size_t len)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
    close(fd);
}

static void patch_be32(const char *path, uint64_t off, uint32_t v)
{
    uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };
    patch_file(path, off, b, 4);
}

static void patch_be64(const char *path, uint64_t off, uint64_t v)
{
    patch_be32(path, off, v >> 32);
    patch_be32(path, off + 4, (uint32_t)v);
}

static void expect_open_error(const char *img, int flags, const char *text)
{
    char *msg = open_error(img, flags);
    if (!msg) {
        fail_msg("opening a bad image succeeded (expected '%s')", text);
    }
    if (!strstr(msg, text)) {
        fail_msg("error '%s' does not say '%s'", msg, text);
    }
    free(msg);
}

static void test_hostile_headers(void **state)
{
    char *img = path_of("bad.qcow2");
    static const struct { uint64_t off; int width; uint64_t val;
                          const char *msg; } cases[] = {
        { 0, 4, 0x12345678, "not in qcow2 format" },
        { 4, 4, 4, "Unsupported qcow2 version 4" },
        { 20, 4, 8, "Unsupported cluster size: 2^8" },
        { 20, 4, 22, "Unsupported cluster size: 2^22" },
        { 32, 4, 1, "encrypted" },
        { 36, 4, 0x10000000, "Active L1 table too large" },
        { 36, 4, 0, "L1 table is too small" },
        { 40, 8, 0x30001, "Active L1 table offset invalid" },
        { 48, 8, 0x10001, "Reference count table offset invalid" },
        { 56, 4, 0x7fffffff, "Reference count table too large" },
        { 60, 4, 0x7fffffff, "Snapshot table too large" },
        { 72, 8, 1 << 4, "extended L2" },
        { 72, 8, 1 << 2, "external data file" },
        { 72, 8, 1 << 7, "Unsupported qcow2 feature" },
        { 96, 4, 7, "may not exceed 64 bits" },
        { 100, 4, 80, "header too short" },
        { 100, 4, 0x20000, "exceeds cluster size" },
        { 104, 1, 5, "unknown compression type" },
        { 104, 1, 1, "Compression type incompatible feature bit" },
        { 8, 8, 0x20000, "Invalid backing file offset" },
        { 16, 4, 5000, "Backing file name too long" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        create_image(img, 64 * MiB, NULL);
        if (cases[i].off == 16) {
            patch_be64(img, 8, 0x1000);
        }
        if (cases[i].width == 8) {
            patch_be64(img, cases[i].off, cases[i].val);
        } else if (cases[i].width == 4) {
            patch_be32(img, cases[i].off, cases[i].val);
        } else {
            uint8_t b = cases[i].val;
            patch_file(img, cases[i].off, &b, 1);
        }
        expect_open_error(img, 0, cases[i].msg);
    }

    /* the corrupt bit: read-only is fine, read-write is refused */
    create_image(img, MiB, NULL);
    patch_be64(img, 72, 1 << 1);
    BlockDriverState *bs = open_image(img, 0);
    bdrv_unref(bs);
    expect_open_error(img, BDRV_O_RDWR,
                      "qcow2: Image is corrupt; cannot be opened read/write");

    /* an L2 entry pointing into the L1 table: the write marks it corrupt */
    create_image(img, MiB, "cluster_size=4096");
    bs = open_image(img, BDRV_O_RDWR);
    uint8_t buf[4096];
    memset(buf, 0x33, sizeof(buf));
    assert_int_equal(bdrv_pwrite(bs, 0, buf, sizeof(buf)), 0);
    bdrv_unref(bs);
    /* header, reftable, refblock, L1, L2 at 0x4000, data at 0x5000 */
    patch_be64(img, 0x4000, 0x3000 | (1ULL << 63));
    bs = open_image(img, BDRV_O_RDWR);
    assert_int_equal(bdrv_pwrite(bs, 0, buf, sizeof(buf)), -EIO);
    bdrv_unref(bs);
    expect_open_error(img, BDRV_O_RDWR, "Image is corrupt");
    if (have_qemu_img) {
        /* the damage is the test's own: a corruption, nothing more */
        assert_int_equal(run_cmd("qemu-img check '%s'", img), 2);
    }
    unlink(img);
    free(img);
}

static void test_check_repairs_leaks(void **state)
{
    char *img = path_of("leak.qcow2");
    uint8_t buf[3 * 65536];

    create_image(img, MiB, NULL);
    BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
    memset(buf, 1, sizeof(buf));
    assert_int_equal(bdrv_pwrite(bs, 0, buf, sizeof(buf)), 0);
    bdrv_unref(bs);
    /* refblock at 0x20000; data in clusters 5-7: count 6 and 7 twice
     * (leaks), and drop the count of 5 (a corruption) */
    uint8_t leak[2] = { 0, 2 };
    patch_file(img, 0x20000 + 12, leak, 2);
    patch_file(img, 0x20000 + 14, leak, 2);
    uint8_t zero[2] = { 0, 0 };
    patch_file(img, 0x20000 + 10, zero, 2);

    bs = open_image(img, BDRV_O_RDWR | BDRV_O_CHECK);
    BdrvCheckResult res;
    assert_int_equal(check_image(bs, &res, 0), 0);
    assert_int_equal(res.leaks, 2);
    /* the count, and QCOW_OFLAG_COPIED wrong for all three (as qemu-img) */
    assert_int_equal(res.corruptions, 4);
    assert_int_equal(check_image(bs, &res, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS),
                     0);
    assert_int_equal(res.leaks_fixed, 2);
    assert_int_equal(res.corruptions_fixed, 1);
    assert_int_equal(check_image(bs, &res, 0), 0);
    assert_int_equal(res.leaks + res.corruptions, 0);
    assert_int_equal(res.image_end_offset, 8 * 65536);
    bdrv_unref(bs);
    qemu_check(img, false);
    unlink(img);
    free(img);
}

/* tiny metadata caches: tables are evicted and re-read all the time */
static void test_small_caches(void **state)
{
    uint64_t size = 64 * MiB;
    char *img = path_of("cache.qcow2");
    uint8_t *model = emu_malloc0(size);
    Error *err = NULL;

    create_image(img, size, "cluster_size=4096,refcount_bits=8");
    /* a combined size is split; a contradiction is refused */
    EmuOpts *bad = opts_parse("cache-size=64k,l2-cache-size=1M", NULL, false,
                              &err);
    assert_null(bdrv_open(img, "qcow2", bad, 0, &err));
    assert_non_null(strstr(error_get_pretty(err), "may not exceed"));
    error_free(err);
    err = NULL;
    opts_free(bad);
    EmuOpts *good = opts_parse("cache-size=40k", NULL, false, &err);
    BlockDriverState *bs2 = bdrv_open(img, "qcow2", good, 0, &err);
    assert_non_null(bs2);
    bdrv_unref(bs2);
    opts_free(good);

    EmuOpts *opts = opts_parse("l2-cache-size=8192,refcount-cache-size=4096",
                               NULL, false, &err);
    BlockDriverState *bs = bdrv_open(img, "qcow2", opts, BDRV_O_RDWR, &err);
    assert_non_null(bs);
    opts_free(opts);
    random_writes(bs, model, size, 300, 20000);
    assert_int_equal(bs->drv->snapshot_create(bs, "s", &err), 0);
    random_writes(bs, model, size, 200, 20000);
    expect_contents(bs, model, size);
    bdrv_unref(bs);
    qemu_check(img, false);
    qemu_expect_contents(img, model, size);
    unlink(img);
    free(img);
    free(model);
}

/* header extensions we do not know survive a header rewrite */
static void test_unknown_extension_kept(void **state)
{
    char *img = path_of("ext.qcow2");
    uint8_t ext[24] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 5,
                        'h', 'e', 'l', 'l', 'o', 0, 0, 0 };
    uint8_t buf[4096];

    char *base = path_of("base.img");
    uint8_t *zeroes = emu_malloc0(MiB);
    write_raw_file(base, zeroes, MiB);
    free(zeroes);
    create_image(img, MiB, NULL);
    /* replace the extensions (the feature table) with ours + end marker */
    patch_file(img, 112, ext, sizeof(ext));
    BlockDriverState *bs = open_image(img, BDRV_O_RDWR);
    assert_int_equal(bs->drv->change_backing_file(bs, "base.img", "raw"), 0);
    bdrv_unref(bs);
    int fd = open(img, O_RDONLY);
    assert_int_equal(pread(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    close(fd);
    assert_non_null(memmem(buf, sizeof(buf), ext, 13));
    assert_non_null(memmem(buf, sizeof(buf), "base.img", 8));
    bs = open_image(img, BDRV_O_NO_BACKING);
    assert_string_equal(bs->backing_file, "base.img");
    assert_string_equal(bs->backing_format, "raw");
    bdrv_unref(bs);
    qemu_check(img, false);
    unlink(img);
    unlink(base);
    free(img);
    free(base);
}

/* random damage to a small image: no crash, no hang (run under ASan too) */
static void test_header_fuzz(void **state)
{
    char *img = path_of("fuzz.qcow2"), *orig = path_of("fuzz.orig");
    uint64_t size = 2 * MiB;
    uint8_t *model = emu_malloc0(size);

    create_image(orig, size, "cluster_size=4096");
    BlockDriverState *bs = open_image(orig, BDRV_O_RDWR);
    random_writes(bs, model, size, 20, 30000);
    assert_int_equal(bs->drv->snapshot_create(bs, "s", NULL), 0);
    random_writes(bs, model, size, 5, 30000);
    bdrv_unref(bs);

    static const uint16_t fields[] = {
        4, 8, 16, 20, 24, 32, 36, 40, 48, 56, 60, 64, 72, 80, 88, 96, 100,
        104,
    };
    /* QCOW2_FUZZ_ROUNDS=N for a longer run by hand */
    const char *env = getenv("QCOW2_FUZZ_ROUNDS");
    int rounds = env ? atoi(env) : 300;
    if (getenv("QCOW2_FUZZ_SEED")) {
        rng_state = strtoull(getenv("QCOW2_FUZZ_SEED"), NULL, 0) | 1;
    }
    /* the check of damaged images talks a lot on stderr */
    int saved_stderr = dup(2);
    int devnull = open("/dev/null", O_WRONLY);
    if (!getenv("QCOW2_FUZZ_VERBOSE") && devnull >= 0) {
        dup2(devnull, 2);
    }
    for (int round = 0; round < rounds; round++) {
        assert_int_equal(run_cmd("cp '%s' '%s'", orig, img), 0);
        int nmut = 1 + rng() % 3;
        for (int m = 0; m < nmut; m++) {
            uint64_t v = rng();
            switch (rng() % 4) {
            case 0:     /* a header field */
                v = (rng() & 1) ? v % 0x100000 : v;
                patch_be32(img, fields[rng() % ARRAY_SIZE(fields)] +
                           (rng() & 4), v);
                break;
            case 1:     /* the refcount table / a refcount block */
                patch_be64(img, 0x1000 + 8 * (rng() % 4), v % 0x40000);
                patch_be32(img, 0x2000 + 4 * (rng() % 32), v);
                break;
            case 2:     /* L1 and L2 entries */
                patch_be64(img, 0x3000 + 8 * (rng() % 2),
                           (v % 0x40000) | (rng() & (3ULL << 62)));
                patch_be64(img, 0x4000 + 8 * (rng() % 64), v);
                break;
            default: {  /* any byte in the first clusters */
                uint8_t b = v;
                patch_file(img, rng() % 0x8000, &b, 1);
                break;
            }
            }
        }
        Error *err = NULL;
        int flags = (rng() & 1) ? BDRV_O_RDWR : 0;
        bs = bdrv_open(img, "qcow2", NULL, flags, &err);
        if (!bs) {
            error_free(err);
            continue;
        }
        uint8_t buf[20000];
        uint64_t len = bdrv_getlength(bs);
        for (int k = 0; k < 4 && len; k++) {
            uint64_t off = rng() % len, n = MIN(len - off, sizeof(buf));
            bdrv_pread(bs, off, buf, n);
            if (flags) {
                bdrv_pwrite(bs, off, buf, n);
                bdrv_pwrite_zeroes(bs, off & ~4095ULL, 8192 > len - (off &
                                   ~4095ULL) ? len - (off & ~4095ULL) : 8192,
                                   0);
            }
        }
        BdrvSnapshotInfo *list = NULL;
        bs->drv->snapshot_list(bs, &list);
        free(list);
        if (flags) {
            switch (rng() % 4) {
            case 0:
                bs->drv->snapshot_goto(bs, "s", NULL);
                break;
            case 1:
                bs->drv->snapshot_create(bs, "t", NULL);
                break;
            case 2:
                bs->drv->snapshot_delete(bs, "s", NULL);
                break;
            default:
                bdrv_truncate(bs, len + 3 * MiB, PREALLOC_MODE_OFF, NULL);
                break;
            }
        }
        BdrvCheckResult res;
        bdrv_check(bs, &res, flags ? BDRV_FIX_LEAKS | BDRV_FIX_ERRORS : 0);
        bdrv_unref(bs);
    }
    dup2(saved_stderr, 2);
    close(saved_stderr);
    if (devnull >= 0) {
        close(devnull);
    }
    unlink(img); unlink(orig);
    free(img); free(orig);
    free(model);
}

static int setup_all(void **state)
{
    strcpy(tmpdir, "/tmp/test-qcow2-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        return -1;
    }
    have_qemu_img = run_cmd("qemu-img --version") == 0;
    if (!have_qemu_img) {
        fprintf(stderr, "qemu-img not found: interop checks skipped\n");
    }
    return 0;
}

static int teardown_all(void **state)
{
    run_cmd("rm -rf '%s'", tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_matches_qemu_img),
        cmocka_unit_test(test_rw_v3_64k),
        cmocka_unit_test(test_rw_v2_64k),
        cmocka_unit_test(test_rw_v3_512),
        cmocka_unit_test(test_rw_v2_4k),
        cmocka_unit_test(test_rw_v3_2m),
        cmocka_unit_test(test_rw_refcount_widths),
        cmocka_unit_test(test_backing_chain),
        cmocka_unit_test(test_zero_and_discard),
        cmocka_unit_test(test_compressed_read_zlib),
        cmocka_unit_test(test_compressed_read_zstd),
        cmocka_unit_test(test_compressed_write),
        cmocka_unit_test(test_snapshots),
        cmocka_unit_test(test_snapshot_other_size),
        cmocka_unit_test(test_qemu_written_images),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_preallocation),
        cmocka_unit_test(test_lazy_refcounts_dirty_bit),
        cmocka_unit_test(test_dirty_image_repaired),
        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_check_repairs_leaks),
        cmocka_unit_test(test_small_caches),
        cmocka_unit_test(test_unknown_extension_kept),
        cmocka_unit_test(test_header_fuzz),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
