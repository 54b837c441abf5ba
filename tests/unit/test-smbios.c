/* Unit tests for the pc machine's SMBIOS tables: entry point, structure walk, strings, memory and CPU structures. */
#include "emu/osdep.h"
#include "hw/i386/smbios.h"

#include <setjmp.h>
#include <cmocka.h>

typedef struct Walk {
    unsigned count;
    unsigned n_type[128];
    const uint8_t *first[128];      /* first structure of each type */
    size_t max_size;
} Walk;

static uint32_t ld32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld64(const uint8_t *p)
{
    return ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static uint16_t ld16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--) {
        s += *p++;
    }
    return s;
}

/* String number n (1-based) of the structure at s */
static const char *smbios_string(const uint8_t *s, unsigned n)
{
    const char *p = (const char *)s + s[1];

    assert_true(n > 0);
    while (--n) {
        assert_true(*p);
        p += strlen(p) + 1;
    }
    return p;
}

/* Walk the whole table: formatted area, string set, handles unique */
static void walk(const uint8_t *t, size_t len, Walk *w)
{
    const uint8_t *p = t, *end = t + len;
    uint16_t handles[1024];

    memset(w, 0, sizeof(*w));
    while (p < end) {
        const uint8_t *s = p;
        uint8_t type = p[0];

        assert_true(p + 4 <= end);
        assert_true(p[1] >= 4);
        assert_true(p + p[1] + 2 <= end);
        assert_true(type < 128);
        for (unsigned i = 0; i < w->count && i < ARRAY_SIZE(handles); i++) {
            assert_int_not_equal(handles[i], ld16(p + 2));
        }
        if (w->count < ARRAY_SIZE(handles)) {
            handles[w->count] = ld16(p + 2);
        }
        p += p[1];
        if (p[0] == 0 && p[1] == 0) {
            p += 2;                         /* empty string set */
        } else {
            while (p < end && *p) {
                p += strlen((const char *)p) + 1;
                assert_true(p < end);
            }
            p++;                            /* the set's final NUL */
        }
        assert_true(p <= end);
        if (!w->first[type]) {
            w->first[type] = s;
        }
        w->n_type[type]++;
        w->count++;
        w->max_size = MAX(w->max_size, (size_t)(p - s));
        if (type == 127) {
            assert_ptr_equal(p, end);       /* the end marker is last */
        }
    }
    assert_ptr_equal(p, end);
    assert_int_equal(w->n_type[127], 1);
}

static SmbiosConfig base_cfg(void)
{
    SmbiosConfig c = {
        .manufacturer = "emu",
        .product = "Standard PC (i440FX + PIIX, 1996)",
        .version = "pc-i440fx-7.2",
        .cpus = 2,
        .max_cpus = 4,
        .cpuid_signature = 0x663,
        .cpuid_features = 0x0781abfd,
        .below_4g_mem = 512 * MiB,
    };
    static const uint8_t uuid[16] = {
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
    };
    memcpy(c.uuid, uuid, 16);
    return c;
}

static void test_entry_point_and_types(void **state)
{
    SmbiosConfig c = base_cfg();
    uint8_t *t, *ep;
    size_t tl, el;
    Walk w;
    const uint8_t *s;

    smbios_build(&c, &t, &tl, &ep, &el);
    walk(t, tl, &w);

    /* 2.1 entry point: both checksums, length, count, largest size */
    assert_int_equal(el, 31);
    assert_memory_equal(ep, "_SM_", 4);
    assert_int_equal(ep[5], 31);
    assert_int_equal(ep[6], 2);
    assert_int_equal(ep[7], 8);
    assert_int_equal(sum(ep, 31), 0);
    assert_memory_equal(ep + 16, "_DMI_", 5);
    assert_int_equal(sum(ep + 16, 15), 0);
    assert_int_equal(ld16(ep + 22), tl);
    assert_int_equal(ld16(ep + 28), w.count);
    assert_int_equal(ld16(ep + 8), w.max_size);
    assert_int_equal(ep[30], 0x28);

    /* no type 0: SeaBIOS supplies its own */
    assert_int_equal(w.n_type[0], 0);
    assert_int_equal(w.n_type[1], 1);
    assert_int_equal(w.n_type[3], 1);
    assert_int_equal(w.n_type[4], 4);       /* max_cpus sockets */
    assert_int_equal(w.n_type[16], 1);
    assert_int_equal(w.n_type[17], 1);
    assert_int_equal(w.n_type[19], 1);
    assert_int_equal(w.n_type[32], 1);

    s = w.first[1];
    assert_int_equal(s[1], 0x1b);
    assert_string_equal(smbios_string(s, s[4]), "emu");
    assert_string_equal(smbios_string(s, s[5]),
                        "Standard PC (i440FX + PIIX, 1996)");
    assert_string_equal(smbios_string(s, s[6]), "pc-i440fx-7.2");
    assert_int_equal(s[7], 0);              /* no serial */
    /* UUID: the first three fields little-endian (SMBIOS 2.6+) */
    assert_memory_equal(s + 8, "\x78\x56\x34\x12\xbc\x9a\xf0\xde"
                               "\x01\x23\x45\x67\x89\xab\xcd\xef", 16);

    s = w.first[4];
    assert_int_equal(s[1], 0x2a);
    assert_string_equal(smbios_string(s, s[4]), "CPU 0");
    assert_int_equal(ld32(s + 8), 0x663);
    assert_int_equal(ld32(s + 12), 0x0781abfd);
    assert_int_equal(s[0x18], 0x41);        /* populated, enabled */

    s = w.first[16];
    assert_int_equal(ld32(s + 7), 512 * 1024);
    s = w.first[17];
    assert_int_equal(ld16(s + 12), 512);    /* MiB */
    assert_int_equal(ld16(s + 4), 0x1000);  /* its array */
    s = w.first[19];
    assert_int_equal(ld32(s + 4), 0);
    assert_int_equal(ld32(s + 8), 512 * 1024 - 1);
    free(t);
    free(ep);
}

/* The last CPUs are absent (cpus < max_cpus): status 0 */
static void test_absent_cpus(void **state)
{
    SmbiosConfig c = base_cfg();
    uint8_t *t, *ep;
    size_t tl, el;
    const uint8_t *p;
    unsigned n = 0;

    smbios_build(&c, &t, &tl, &ep, &el);
    for (p = t; p[0] != 127; ) {
        if (p[0] == 4) {
            assert_int_equal(p[0x18], n < c.cpus ? 0x41 : 0x00);
            n++;
        }
        p += p[1];
        while (p[0] || p[1]) {
            p++;
        }
        p += 2;
    }
    assert_int_equal(n, 4);
    free(t);
    free(ep);
}

/* 5 TiB above 4 GiB: 16 GiB DIMMs, extended capacity and addresses */
static void test_large_memory(void **state)
{
    SmbiosConfig c = base_cfg();
    uint8_t *t, *ep;
    size_t tl, el;
    Walk w;
    const uint8_t *p;
    unsigned n19 = 0;

    c.below_4g_mem = 3 * GiB;
    c.above_4g_mem = 5 * 1024 * GiB;
    smbios_build(&c, &t, &tl, &ep, &el);
    walk(t, tl, &w);
    assert_int_equal(w.n_type[17], (5 * 1024 + 3 + 15) / 16);
    p = w.first[16];
    assert_int_equal(ld32(p + 7), 0x80000000u);
    assert_int_equal(ld64(p + 15), c.below_4g_mem + c.above_4g_mem);
    p = w.first[17];
    assert_int_equal(ld16(p + 12), 16 * 1024);    /* MiB, fits 15 bits */
    assert_int_equal(ld32(p + 0x1c), 0);
    for (p = t; p[0] != 127; ) {
        if (p[0] == 19 && n19++ == 1) {
            /* ends above 4 TiB in KiB terms: extended fields */
            assert_int_equal(ld32(p + 4), 0xffffffffu);
            assert_int_equal(ld64(p + 15), 4 * GiB);
            assert_int_equal(ld64(p + 23), 4 * GiB + c.above_4g_mem - 1);
        }
        p += p[1];
        while (p[0] || p[1]) {
            p++;
        }
        p += 2;
    }
    assert_int_equal(n19, 2);
    free(t);
    free(ep);

    /* 16 TiB: no more than 512 DIMMs (larger ones, extended size) */
    c.above_4g_mem = 16 * 1024 * GiB;
    smbios_build(&c, &t, &tl, &ep, &el);
    walk(t, tl, &w);
    assert_true(w.n_type[17] <= 0x200);
    p = w.first[17];
    assert_int_equal(ld16(p + 12), 0x7fff);
    assert_int_equal(ld32(p + 0x1c), 33 * 1024);  /* 16387 GiB / 512 */
    assert_true(tl <= 0xffff);
    free(t);
    free(ep);
}

/* 255 CPUs still fit the 2.1 entry point's 16-bit length */
static void test_many_cpus(void **state)
{
    SmbiosConfig c = base_cfg();
    uint8_t *t, *ep;
    size_t tl, el;
    Walk w;

    c.cpus = c.max_cpus = 255;
    smbios_build(&c, &t, &tl, &ep, &el);
    walk(t, tl, &w);
    assert_int_equal(w.n_type[4], 255);
    assert_true(tl <= 0xffff);
    assert_int_equal(ld16(ep + 22), tl);
    free(t);
    free(ep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_point_and_types),
        cmocka_unit_test(test_absent_cpus),
        cmocka_unit_test(test_large_memory),
        cmocka_unit_test(test_many_cpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
