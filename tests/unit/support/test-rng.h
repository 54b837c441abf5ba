/*
 * The random numbers of the randomised unit tests: xorshift64* from a
 * fixed seed, so a run is reproducible.  Each test file that includes
 * this has its own generator state (rng_state: tests seed it, and save
 * and restore it around side sequences).
 */
#ifndef TESTS_UNIT_SUPPORT_TEST_RNG_H
#define TESTS_UNIT_SUPPORT_TEST_RNG_H

static uint64_t rng_state;

static inline uint64_t rnd(void)
{
    uint64_t x = rng_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* 0 .. n - 1 */
static inline unsigned rndn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

#endif
