/* Crash test for the qcow2 driver: a writer killed at random moments loses no flushed write and leaves a consistent image. */
#include "emu/osdep.h"
#include "block/block_int.h"
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <sys/wait.h>

#define SECTOR 512
#define IMAGE_SIZE (8 * MiB)
#define NB_SECTORS (IMAGE_SIZE / SECTOR)

/* what the writer tells the parent, before each write and after flushes */
typedef struct Record {
    uint32_t type;      /* 'W' intent to write, 'F' flush completed */
    uint32_t seed;      /* 0: zeroes */
    uint64_t sector;
    uint64_t count;
} Record;

static char tmpdir[64];
static bool have_qemu_img;

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void sector_data(uint32_t seed, uint64_t sector, uint8_t *out)
{
    if (!seed) {
        memset(out, 0, SECTOR);
        return;
    }
    for (int i = 0; i < SECTOR; i += 8) {
        uint64_t v = mix(((uint64_t)seed << 32) ^ (sector << 7) ^ i);
        memcpy(out + i, &v, 8);
    }
}

static void send_record(int fd, uint32_t type, uint32_t seed, uint64_t sector,
                        uint64_t count)
{
    Record r = { type, seed, sector, count };
    if (emu_write_full(fd, &r, sizeof(r)) != sizeof(r)) {
        _exit(3);
    }
}

/* the child: write forever until killed */
static void EMU_NORETURN writer(const char *path, int fd, uint64_t rseed)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "qcow2", NULL,
                                     BDRV_O_RDWR | BDRV_O_UNMAP, &err);
    uint8_t *buf = emu_malloc(256 * SECTOR);
    uint32_t seed = (uint32_t)rseed | 1;

    if (!bs) {
        fprintf(stderr, "writer: %s\n", error_get_pretty(err));
        _exit(2);
    }
    for (int n = 0;; n++) {
        uint64_t r = mix(rseed + n);
        uint64_t count = 1 + r % 200;
        uint64_t sector = (r >> 16) % NB_SECTORS;
        count = MIN(count, NB_SECTORS - sector);
        seed++;
        if (r % 13 == 0) {
            /* whole clusters of zeroes, through the zero flag */
            sector &= ~127ULL;
            count = MIN(128, NB_SECTORS - sector);
            send_record(fd, 'W', 0, sector, count);
            if (bdrv_pwrite_zeroes(bs, sector * SECTOR, count * SECTOR,
                                   (r & 1) ? BDRV_REQ_MAY_UNMAP : 0) < 0) {
                _exit(4);
            }
        } else {
            for (uint64_t i = 0; i < count; i++) {
                sector_data(seed, sector + i, buf + i * SECTOR);
            }
            send_record(fd, 'W', seed, sector, count);
            if (bdrv_pwrite(bs, sector * SECTOR, buf, count * SECTOR) < 0) {
                _exit(4);
            }
        }
        if (r % 5 == 0) {
            if (bdrv_flush(bs) < 0) {
                _exit(5);
            }
            send_record(fd, 'F', 0, 0, 0);
        }
    }
}

typedef struct Model {
    uint32_t *durable;          /* seed per sector as of the last flush */
    Record *pending;            /* intents since the last flush */
    size_t npending, cap;
} Model;

static void model_feed(Model *m, const Record *r)
{
    if (r->type == 'F') {
        for (size_t i = 0; i < m->npending; i++) {
            const Record *w = &m->pending[i];
            for (uint64_t s = 0; s < w->count; s++) {
                m->durable[w->sector + s] = w->seed;
            }
        }
        m->npending = 0;
        return;
    }
    if (m->npending == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->pending = emu_realloc(m->pending, m->cap * sizeof(Record));
    }
    m->pending[m->npending++] = *r;
}

/* every sector must hold its flushed content or that of a later write */
static void verify(const char *path, Model *m)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "qcow2", NULL, 0, &err);
    uint8_t *img = emu_malloc(IMAGE_SIZE);
    uint8_t expect[SECTOR];

    if (!bs) {
        fail_msg("reopen: %s", error_get_pretty(err));
    }
    assert_int_equal(bdrv_pread(bs, 0, img, IMAGE_SIZE), 0);
    bdrv_unref(bs);
    for (uint64_t s = 0; s < NB_SECTORS; s++) {
        sector_data(m->durable[s], s, expect);
        if (!memcmp(expect, img + s * SECTOR, SECTOR)) {
            continue;
        }
        bool ok = false;
        for (size_t i = 0; i < m->npending && !ok; i++) {
            const Record *w = &m->pending[i];
            if (s >= w->sector && s < w->sector + w->count) {
                sector_data(w->seed, s, expect);
                ok = !memcmp(expect, img + s * SECTOR, SECTOR);
            }
        }
        if (!ok) {
            fail_msg("%s: sector %" PRIu64 " lost its flushed content "
                     "(seed %u)", path, s, m->durable[s]);
        }
    }
    /* what survived is now the baseline (the next writer starts there) */
    for (uint64_t s = 0; s < NB_SECTORS; s++) {
        uint32_t seed = m->durable[s];
        sector_data(seed, s, expect);
        if (memcmp(expect, img + s * SECTOR, SECTOR)) {
            for (size_t i = 0; i < m->npending; i++) {
                const Record *w = &m->pending[i];
                if (s >= w->sector && s < w->sector + w->count) {
                    sector_data(w->seed, s, expect);
                    if (!memcmp(expect, img + s * SECTOR, SECTOR)) {
                        seed = w->seed;
                    }
                }
            }
        }
        m->durable[s] = seed;
    }
    m->npending = 0;
    free(img);
}

static void check_consistent(const char *path)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "qcow2", NULL, BDRV_O_CHECK, &err);
    BdrvCheckResult res;

    if (!bs) {
        fail_msg("open for check: %s", error_get_pretty(err));
    }
    assert_int_equal(bdrv_check(bs, &res, 0), 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.check_errors, 0);
    bdrv_unref(bs);
    if (have_qemu_img) {
        char *cmd = emu_asprintf("qemu-img check -U '%s' >/dev/null 2>&1",
                                 path);
        int st = system(cmd);
        int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        free(cmd);
        if (rc != 0 && rc != 3) {
            cmd = emu_asprintf("qemu-img check '%s' >&2", path);
            if (system(cmd)) {
                /* shown above */
            }
            free(cmd);
            fail_msg("qemu-img check %s: exit %d", path, rc);
        }
    }
}

static void crash_rounds(const char *opts_str, int images, int kills_per_image)
{
    static uint64_t round_seed = 12345;
    char *path = emu_asprintf("%s/crash.qcow2", tmpdir);

    for (int img = 0; img < images; img++) {
        Error *err = NULL;
        EmuOpts *opts = opts_str ? opts_parse(opts_str, NULL, false, &err)
                                 : NULL;
        Model m = { .durable = emu_new0(uint32_t, NB_SECTORS) };

        unlink(path);
        assert_int_equal(bdrv_create("qcow2", path, IMAGE_SIZE, opts, &err),
                         0);
        opts_free(opts);
        for (int k = 0; k < kills_per_image; k++) {
            int fds[2];
            assert_int_equal(pipe(fds), 0);
            round_seed = mix(round_seed);
            pid_t pid = fork();
            assert_true(pid >= 0);
            if (pid == 0) {
                close(fds[0]);
                writer(path, fds[1], round_seed);
            }
            close(fds[1]);
            /* let it run 5-60 ms, reading its reports meanwhile */
            struct timespec start, now;
            clock_gettime(CLOCK_MONOTONIC, &start);
            uint64_t run_ns = (5 + round_seed % 55) * 1000000ULL;
            emu_set_nonblock(fds[0]);
            Record r;
            size_t have = 0;
            for (;;) {
                ssize_t n = read(fds[0], (uint8_t *)&r + have,
                                 sizeof(r) - have);
                if (n > 0) {
                    have += n;
                    if (have == sizeof(r)) {
                        model_feed(&m, &r);
                        have = 0;
                    }
                    continue;
                }
                clock_gettime(CLOCK_MONOTONIC, &now);
                uint64_t el = (now.tv_sec - start.tv_sec) * 1000000000ULL +
                              now.tv_nsec - start.tv_nsec;
                if (el >= run_ns || n == 0) {
                    break;
                }
                usleep(200);
            }
            kill(pid, SIGKILL);
            int st;
            waitpid(pid, &st, 0);
            if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
                fail_msg("writer ended on its own (status %#x)", st);
            }
            /* the rest of what it said before dying */
            for (;;) {
                ssize_t n = read(fds[0], (uint8_t *)&r + have,
                                 sizeof(r) - have);
                if (n <= 0) {
                    break;
                }
                have += n;
                if (have == sizeof(r)) {
                    model_feed(&m, &r);
                    have = 0;
                }
            }
            close(fds[0]);
            check_consistent(path);
            verify(path, &m);
        }
        free(m.durable);
        free(m.pending);
    }
    unlink(path);
    free(path);
}

static void test_crash_v3(void **state)
{
    crash_rounds(NULL, 4, 6);
}

static void test_crash_v2_small_clusters(void **state)
{
    crash_rounds("compat=0.10,cluster_size=4096", 4, 6);
}

static void test_crash_512_byte_clusters(void **state)
{
    /* refcount blocks and the refcount table grow while being killed */
    crash_rounds("cluster_size=512", 3, 6);
}

static void test_crash_lazy_refcounts(void **state)
{
    /* dirty images are repaired on the next read-write open */
    crash_rounds("lazy_refcounts=on,cluster_size=16384", 4, 6);
}

static int setup_all(void **state)
{
    strcpy(tmpdir, "/tmp/test-qcow2-crash-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        return -1;
    }
    have_qemu_img = system("qemu-img --version >/dev/null 2>&1") == 0;
    if (!have_qemu_img) {
        fprintf(stderr, "qemu-img not found: checking with emu's check "
                "only\n");
    }
    return 0;
}

static int teardown_all(void **state)
{
    char *cmd = emu_asprintf("rm -rf '%s'", tmpdir);
    if (system(cmd)) {
        /* nothing to do about it */
    }
    free(cmd);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_v3),
        cmocka_unit_test(test_crash_v2_small_clusters),
        cmocka_unit_test(test_crash_512_byte_clusters),
        cmocka_unit_test(test_crash_lazy_refcounts),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
