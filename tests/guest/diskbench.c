/*
 * diskbench: sequential and random block I/O with O_DIRECT on a file or
 * block device, for tests/bench/disk-bench.py.
 *
 * The same static binary runs inside the test guest (on /dev/vda) and on
 * the host (on the raw image file the guest's disk is backed by), so the
 * bench can compare a guest's disk throughput with the host's on the same
 * file.  No libaio: queue depth 32 uses Linux native AIO through
 * syscall(2) and <linux/aio_abi.h>.
 *
 *   diskbench [-s MIB] [-n OPS] [-q OPS32] TARGET PHASE...
 *
 *   -s MIB    size of the area used, from offset 0 (default 256); the
 *             sequential phases move all of it in 1 MiB requests, the
 *             random phases pick 4 KiB blocks inside it
 *   -n OPS    4 KiB operations of each queue-depth-1 phase (default 4096)
 *   -q OPS    4 KiB operations of each queue-depth-32 phase (default 16384)
 *   PHASE     seqw seqr randr1 randw1 randr32 randw32, run in the order
 *             given (seqr and the random reads expect a seqw before them
 *             on the same area, in this run or an earlier one)
 *
 * Each 4 KiB block written carries its own offset (xor a constant) in its
 * first 8 bytes, and every read checks it, so a device that returns the
 * wrong block, or zeroes, fails.
 *
 * Output, one line each, flushed at once (the host times phases by the
 * moment these lines appear on the console; the guest's own clock is
 * printed for comparison only):
 *   DISKBENCH-<PHASE>-0
 *   DISKBENCH-<PHASE>-1 bytes=N ops=N seconds=S.SSSSSS
 *   DISKBENCH-FAIL <phase>: <reason>          (then exit status 1)
 *   DISKBENCH-DONE
 * Exit status: 0 on success, 1 on an I/O error, short transfer or wrong
 * data, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SEQ_BLOCK   (1u << 20)
#define RAND_BLOCK  4096u
#define QD_MAX      32u
#define ALIGN       4096u
/* mixed into each stamp, so that a block of zeroes never passes */
#define STAMP_MAGIC 0x6469736b62656e63ull

static const char *phase_name = "setup";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
    va_list ap;

    printf("DISKBENCH-FAIL %s: ", phase_name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    exit(1);
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A fixed-seed generator: the same block sequence on guest and host. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void stamp(unsigned char *buf, size_t len, uint64_t offset)
{
    for (size_t i = 0; i < len; i += RAND_BLOCK) {
        uint64_t v = (offset + i) ^ STAMP_MAGIC;
        memcpy(buf + i, &v, sizeof(v));
    }
}

static void check_stamp(const unsigned char *buf, size_t len, uint64_t offset)
{
    for (size_t i = 0; i < len; i += RAND_BLOCK) {
        uint64_t v;
        memcpy(&v, buf + i, sizeof(v));
        if (v != ((offset + i) ^ STAMP_MAGIC)) {
            fail("block at offset %llu holds the stamp 0x%llx (wrong data, "
                 "or no seqw before)", (unsigned long long)(offset + i),
                 (unsigned long long)v);
        }
    }
}

static void transfer_sync(int fd, unsigned char *buf, size_t len,
                          uint64_t offset, int is_write)
{
    ssize_t n = is_write ? pwrite(fd, buf, len, offset)
                         : pread(fd, buf, len, offset);
    if (n < 0) {
        fail("%s at %llu: %s", is_write ? "pwrite" : "pread",
             (unsigned long long)offset, strerror(errno));
    }
    if ((size_t)n != len) {
        fail("short %s at %llu: %zd of %zu bytes",
             is_write ? "pwrite" : "pread", (unsigned long long)offset,
             n, len);
    }
}

static void run_seq(int fd, unsigned char *buf, uint64_t size, int is_write)
{
    for (uint64_t off = 0; off < size; off += SEQ_BLOCK) {
        if (is_write) {
            stamp(buf, SEQ_BLOCK, off);
        }
        transfer_sync(fd, buf, SEQ_BLOCK, off, is_write);
        if (!is_write) {
            check_stamp(buf, SEQ_BLOCK, off);
        }
    }
    if (is_write && fdatasync(fd) < 0) {
        fail("fdatasync: %s", strerror(errno));
    }
}

static uint64_t random_offset(uint64_t size)
{
    return (rng_next() % (size / RAND_BLOCK)) * RAND_BLOCK;
}

static void run_rand_qd1(int fd, unsigned char *buf, uint64_t size,
                         unsigned long ops, int is_write)
{
    for (unsigned long i = 0; i < ops; i++) {
        uint64_t off = random_offset(size);
        if (is_write) {
            stamp(buf, RAND_BLOCK, off);
        }
        transfer_sync(fd, buf, RAND_BLOCK, off, is_write);
        if (!is_write) {
            check_stamp(buf, RAND_BLOCK, off);
        }
    }
}

static void run_rand_qd32(int fd, unsigned char *buf, uint64_t size,
                          unsigned long ops, int is_write)
{
    aio_context_t ctx = 0;
    struct iocb cbs[QD_MAX];
    struct iocb *list[QD_MAX];
    struct io_event events[QD_MAX];
    unsigned long submitted = 0, done = 0;
    unsigned inflight = 0;
    unsigned free_slots[QD_MAX];
    unsigned nfree = QD_MAX;

    if (syscall(SYS_io_setup, QD_MAX, &ctx) < 0) {
        fail("io_setup: %s", strerror(errno));
    }
    for (unsigned i = 0; i < QD_MAX; i++) {
        free_slots[i] = QD_MAX - 1 - i;
    }
    while (done < ops) {
        unsigned n = 0;
        while (nfree > 0 && submitted + n < ops) {
            unsigned slot = free_slots[--nfree];
            unsigned char *b = buf + (size_t)slot * RAND_BLOCK;
            uint64_t off = random_offset(size);
            struct iocb *cb = &cbs[slot];

            memset(cb, 0, sizeof(*cb));
            if (is_write) {
                stamp(b, RAND_BLOCK, off);
            }
            cb->aio_data = slot;
            cb->aio_lio_opcode = is_write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
            cb->aio_fildes = fd;
            cb->aio_buf = (uintptr_t)b;
            cb->aio_nbytes = RAND_BLOCK;
            cb->aio_offset = off;
            list[n++] = cb;
        }
        if (n > 0) {
            long r = syscall(SYS_io_submit, ctx, (long)n, list);
            if (r < 0) {
                fail("io_submit: %s", strerror(errno));
            }
            if ((unsigned long)r != n) {
                /* Partial submission: give the rest back their slots. */
                for (unsigned i = (unsigned)r; i < n; i++) {
                    free_slots[nfree++] = (unsigned)list[i]->aio_data;
                }
            }
            submitted += (unsigned long)r;
            inflight += (unsigned)r;
        }
        if (inflight == 0) {
            fail("io_submit accepted nothing with %lu operations left",
                 ops - done);
        }
        long got = syscall(SYS_io_getevents, ctx, 1L, (long)QD_MAX, events,
                           NULL);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("io_getevents: %s", strerror(errno));
        }
        for (long i = 0; i < got; i++) {
            unsigned slot = (unsigned)events[i].data;
            if (slot >= QD_MAX) {
                fail("io_getevents returned an unknown request %u", slot);
            }
            if (events[i].res < 0) {
                fail("async %s at %llu: %s", is_write ? "write" : "read",
                     (unsigned long long)cbs[slot].aio_offset,
                     strerror((int)-events[i].res));
            }
            if (events[i].res != RAND_BLOCK) {
                fail("short async %s at %llu: %lld bytes",
                     is_write ? "write" : "read",
                     (unsigned long long)cbs[slot].aio_offset,
                     (long long)events[i].res);
            }
            if (!is_write) {
                check_stamp(buf + (size_t)slot * RAND_BLOCK, RAND_BLOCK,
                            cbs[slot].aio_offset);
            }
            free_slots[nfree++] = slot;
            inflight--;
            done++;
        }
    }
    syscall(SYS_io_destroy, ctx);
}

static unsigned long parse_count(const char *opt, const char *s,
                                 unsigned long max)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v < 1 || v > max) {
        fprintf(stderr, "diskbench: %s %s: expected 1..%lu\n", opt, s, max);
        exit(2);
    }
    return v;
}

static void usage(void)
{
    fprintf(stderr, "usage: diskbench [-s MIB] [-n OPS] [-q OPS32] TARGET "
            "seqw|seqr|randr1|randw1|randr32|randw32...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t size = 256ull << 20;
    unsigned long ops1 = 4096, ops32 = 16384;
    unsigned char *buf;
    int opt, fd, need_write = 0;

    while ((opt = getopt(argc, argv, "s:n:q:")) != -1) {
        switch (opt) {
        case 's':
            size = (uint64_t)parse_count("-s", optarg, 1u << 20) << 20;
            break;
        case 'n':
            ops1 = parse_count("-n", optarg, 100000000);
            break;
        case 'q':
            ops32 = parse_count("-q", optarg, 100000000);
            break;
        default:
            usage();
        }
    }
    if (argc - optind < 2) {
        usage();
    }
    for (int i = optind + 1; i < argc; i++) {
        const char *p = argv[i];
        if (strcmp(p, "seqr") && strcmp(p, "randr1") && strcmp(p, "randr32")) {
            if (strcmp(p, "seqw") && strcmp(p, "randw1") &&
                strcmp(p, "randw32")) {
                fprintf(stderr, "diskbench: unknown phase '%s'\n", p);
                usage();
            }
            need_write = 1;
        }
    }

    setvbuf(stdout, NULL, _IOLBF, 0);
    fd = open(argv[optind], (need_write ? O_RDWR : O_RDONLY) | O_DIRECT);
    if (fd < 0) {
        fail("open %s with O_DIRECT: %s", argv[optind], strerror(errno));
    }
    if (posix_memalign((void **)&buf, ALIGN, SEQ_BLOCK) != 0) {
        fail("out of memory");
    }
    memset(buf, 0xa5, SEQ_BLOCK);

    for (int i = optind + 1; i < argc; i++) {
        const char *p = argv[i];
        unsigned long ops;
        double t0, t1;

        phase_name = p;
        /* Each phase starts its own sequence: the order of phases on the
         * command line does not change the blocks a phase touches. */
        rng_state = 0x9e3779b97f4a7c15ull;
        for (const char *c = p; *c; c++) {
            rng_state = (rng_state ^ (unsigned char)*c) * 0x100000001b3ull;
        }
        printf("DISKBENCH-%s-0\n", p);
        t0 = now_seconds();
        if (!strcmp(p, "seqw") || !strcmp(p, "seqr")) {
            run_seq(fd, buf, size, p[3] == 'w');
            ops = size / SEQ_BLOCK;
        } else if (!strcmp(p, "randr1") || !strcmp(p, "randw1")) {
            run_rand_qd1(fd, buf, size, ops1, p[4] == 'w');
            ops = ops1;
        } else {
            run_rand_qd32(fd, buf, size, ops32, p[4] == 'w');
            ops = ops32;
        }
        t1 = now_seconds();
        printf("DISKBENCH-%s-1 bytes=%llu ops=%lu seconds=%.6f\n", p,
               (unsigned long long)(p[0] == 's' ? size : ops * RAND_BLOCK),
               ops, t1 - t0);
    }
    if (close(fd) < 0) {
        phase_name = "close";
        fail("close: %s", strerror(errno));
    }
    printf("DISKBENCH-DONE\n");
    return 0;
}
