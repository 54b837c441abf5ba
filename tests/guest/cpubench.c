/*
 * cpubench: a small, deterministic, CPU-bound integer workload.
 *
 * The same static binary runs on the host and inside the test guest, so
 * tests/bench/run.sh can compare a guest's CPU speed with native speed.
 * It does three kinds of work that stress different parts of a CPU (and of
 * a binary translator): a prime sieve (byte stores, branches), a 32-bit
 * integer matrix product (multiplies, loads in strides) and a hash-and-sort
 * pass (shifts, xors, data-dependent branches, recursion-free heap sort).
 *
 * Output, one line each, flushed at once:
 *   CPUBENCH-START rounds=N
 *   CPUBENCH-DONE rounds=N checksum=0x%016llx seconds=S.SSS status=ok|MISMATCH|unchecked
 * Exit status: 0 when the checksum matches the known value for that number
 * of rounds (or none is known), 1 on a mismatch, 2 on bad usage.
 * "seconds" is the program's own CLOCK_MONOTONIC reading; tests/bench
 * also times the two lines from outside, which does not trust the clock
 * of the machine it runs on.
 * A mismatch means the CPU (or the emulator running it) computed wrongly.
 *
 *   cpubench [ROUNDS]     ROUNDS = 1..100000 repetitions of the work
 *                         (default 100: about half a second on a 2020s
 *                         x86-64 host; each round is independent of time)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIEVE_N   2000000u
#define MAT_N     96u
#define HASH_N    65536u

#define DEFAULT_ROUNDS 100

/*
 * Known checksums, computed once natively (gcc and clang, -O0 and -O2 agree).
 * The work is pure integer arithmetic with fixed seeds, so any correct
 * x86-64 CPU or emulator gets the same value.
 */
static const struct {
    unsigned long rounds;
    uint64_t checksum;
} known[] = {
    { 1, 0x4696bb1298a80b80ull },
    { 10, 0x379ebf77736759afull },
    { DEFAULT_ROUNDS, 0x1dcc9020bf9394f9ull },
};

static uint8_t sieve_buf[SIEVE_N + 1];
static uint32_t mat_a[MAT_N * MAT_N], mat_b[MAT_N * MAT_N], mat_c[MAT_N * MAT_N];
static uint32_t hash_buf[HASH_N];

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t sieve(uint32_t round)
{
    uint32_t i, j, count = 0;
    uint64_t sum = 0;

    memset(sieve_buf, 1, sizeof(sieve_buf));
    sieve_buf[0] = sieve_buf[1] = 0;
    for (i = 2; (uint64_t)i * i <= SIEVE_N; i++) {
        if (!sieve_buf[i]) {
            continue;
        }
        for (j = i * i; j <= SIEVE_N; j += i) {
            sieve_buf[j] = 0;
        }
    }
    for (i = 0; i <= SIEVE_N; i++) {
        if (sieve_buf[i]) {
            count++;
            sum += (uint64_t)i * (count ^ round);
        }
    }
    return mix(count, sum);
}

static uint64_t matrix(uint32_t round)
{
    uint32_t i, j, k, seed = 12345u + round;
    uint64_t sum = 0;

    for (i = 0; i < MAT_N * MAT_N; i++) {
        seed = seed * 1103515245u + 12345u;
        mat_a[i] = seed >> 8;
        seed = seed * 1103515245u + 12345u;
        mat_b[i] = seed >> 12;
    }
    for (i = 0; i < MAT_N; i++) {
        for (j = 0; j < MAT_N; j++) {
            uint32_t acc = 0;
            for (k = 0; k < MAT_N; k++) {
                acc += mat_a[i * MAT_N + k] * mat_b[k * MAT_N + j];
            }
            mat_c[i * MAT_N + j] = acc;
        }
    }
    for (i = 0; i < MAT_N * MAT_N; i++) {
        sum = mix(sum, mat_c[i]);
    }
    return sum;
}

static void sift_down(uint32_t *a, uint32_t start, uint32_t end)
{
    uint32_t root = start;

    while (2 * root + 1 <= end) {
        uint32_t child = 2 * root + 1, swap = root, t;

        if (a[swap] < a[child]) {
            swap = child;
        }
        if (child + 1 <= end && a[swap] < a[child + 1]) {
            swap = child + 1;
        }
        if (swap == root) {
            return;
        }
        t = a[root];
        a[root] = a[swap];
        a[swap] = t;
        root = swap;
    }
}

static void heap_sort(uint32_t *a, uint32_t n)
{
    uint32_t end, t;
    int64_t start;

    for (start = (int64_t)(n - 2) / 2; start >= 0; start--) {
        sift_down(a, (uint32_t)start, n - 1);
    }
    for (end = n - 1; end > 0; end--) {
        t = a[end];
        a[end] = a[0];
        a[0] = t;
        sift_down(a, 0, end - 1);
    }
}

static uint64_t hash_sort(uint32_t round)
{
    uint64_t x = 0x2545f4914f6cdd1dull ^ round, h = 0xcbf29ce484222325ull;
    uint32_t i;

    for (i = 0; i < HASH_N; i++) {
        /* xorshift64 */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        hash_buf[i] = (uint32_t)(x >> 16);
    }
    heap_sort(hash_buf, HASH_N);
    for (i = 0; i < HASH_N; i++) {
        if (i && hash_buf[i - 1] > hash_buf[i]) {
            return 0;               /* not sorted: the checksum will show it */
        }
        /* FNV-1a over the sorted words */
        h ^= hash_buf[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    unsigned long rounds = DEFAULT_ROUNDS;
    uint64_t sum = 0;
    const char *status = "unchecked";
    double t0, t1;
    uint32_t r;
    size_t i;
    char *end;

    if (argc > 2) {
        fprintf(stderr, "usage: cpubench [ROUNDS]\n");
        return 2;
    }
    if (argc == 2) {
        rounds = strtoul(argv[1], &end, 10);
        if (!*argv[1] || *end || rounds < 1 || rounds > 100000) {
            fprintf(stderr, "cpubench: ROUNDS must be 1..100000, not '%s'\n",
                    argv[1]);
            return 2;
        }
    }

    printf("CPUBENCH-START rounds=%lu\n", rounds);
    fflush(stdout);
    t0 = now();
    for (r = 0; r < rounds; r++) {
        sum = mix(sum, sieve(r));
        sum = mix(sum, matrix(r));
        sum = mix(sum, hash_sort(r));
    }
    t1 = now();

    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (known[i].rounds == rounds) {
            status = sum == known[i].checksum ? "ok" : "MISMATCH";
        }
    }
    printf("CPUBENCH-DONE rounds=%lu checksum=0x%016llx seconds=%.3f "
           "status=%s\n", rounds, (unsigned long long)sum, t1 - t0, status);
    fflush(stdout);
    return strcmp(status, "MISMATCH") == 0;
}
