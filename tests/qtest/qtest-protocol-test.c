/* qtest protocol test: memory of every width, bulk data, clock, errors. */
#include "emu/osdep.h"
#include "libqtest.h"

/* -M none with -m 16M: RAM at 0 .. 16 MiB, nothing above */
#define RAM_SIZE (16 * MiB)

static void test_endianness(QTestState *s)
{
    char *r = qtest_cmd(s, "endianness");
    QT_CHECK_STR(r, "OK little", "endianness is little");
    free(r);
}

static void test_widths(QTestState *s)
{
    char *r;

    qtest_writeb(s, 0x1000, 0xab);
    QT_CHECK_EQ(qtest_readb(s, 0x1000), 0xab, "writeb/readb");
    qtest_writew(s, 0x1010, 0xbeef);
    QT_CHECK_EQ(qtest_readw(s, 0x1010), 0xbeef, "writew/readw");
    qtest_writel(s, 0x1020, 0xdeadbeef);
    QT_CHECK_EQ(qtest_readl(s, 0x1020), 0xdeadbeef, "writel/readl");
    qtest_writeq(s, 0x1030, 0x0123456789abcdefULL);
    QT_CHECK_EQ(qtest_readq(s, 0x1030), 0x0123456789abcdefULL,
                "writeq/readq");

    /* Little-endian layout in guest memory */
    QT_CHECK_EQ(qtest_readb(s, 0x1020), 0xef, "readb of low byte of a long");
    QT_CHECK_EQ(qtest_readw(s, 0x1022), 0xdead, "readw of high half");
    QT_CHECK_EQ(qtest_readl(s, 0x1034), 0x01234567, "readl of high half");

    /* Unaligned accesses within RAM */
    qtest_writel(s, 0x1041, 0x11223344);
    QT_CHECK_EQ(qtest_readl(s, 0x1041), 0x11223344, "unaligned writel/readl");
    QT_CHECK_EQ(qtest_readb(s, 0x1041), 0x44, "unaligned: first byte");

    /* Values wider than the access are truncated */
    r = qtest_cmd(s, "writeb 0x1050 0x1ff");
    QT_CHECK_STR(r, "OK", "writeb with a wide value is accepted");
    free(r);
    QT_CHECK_EQ(qtest_readb(s, 0x1050), 0xff, "writeb truncates to 8 bits");

    /* Exact reply formats, as QEMU prints them */
    r = qtest_cmd(s, "readl 0x1020");
    QT_CHECK_STR(r, "OK 0x00000000deadbeef", "readl reply format");
    free(r);
    r = qtest_cmd(s, "readb 4096");
    QT_CHECK_STR(r, "OK 0x00000000000000ab", "decimal address, readb format");
    free(r);
    r = qtest_cmd(s, "writel 0x1060 305419896");
    QT_CHECK_STR(r, "OK", "decimal value accepted");
    free(r);
    QT_CHECK_EQ(qtest_readl(s, 0x1060), 305419896, "decimal value stored");
}

static void test_unassigned(QTestState *s)
{
    char *r;

    r = qtest_cmd(s, "readl 0x%llx", (unsigned long long)RAM_SIZE + 0x1000);
    QT_CHECK_STR(r, "OK 0x00000000ffffffff",
                 "readl beyond RAM reads all-ones");
    free(r);
    r = qtest_cmd(s, "writeq 0x%llx 0x1234", (unsigned long long)RAM_SIZE * 4);
    QT_CHECK_STR(r, "OK", "writeq to unassigned memory is ignored");
    free(r);
    r = qtest_cmd(s, "readq 0xfffffffffffffff8");
    QT_CHECK(r && strncmp(r, "OK 0x", 5) == 0, "readq at the top of the "
             "address space answers");
    free(r);
    /* A bulk write running past the end of RAM must not hurt emu */
    r = qtest_cmd(s, "memset 0x%llx 64 0x5a",
                  (unsigned long long)RAM_SIZE - 32);
    QT_CHECK_STR(r, "OK", "memset across the end of RAM");
    free(r);
    QT_CHECK_EQ(qtest_readb(s, RAM_SIZE - 1), 0x5a,
                "memset across the end: last RAM byte written");
}

static void test_bulk(QTestState *s)
{
    uint8_t out[4096], in[4096];
    char *r;
    bool same;

    for (size_t i = 0; i < sizeof(out); i++) {
        out[i] = (uint8_t)(i * 7 + 3);
    }
    qtest_memwrite(s, 0x20003, out, sizeof(out));
    memset(in, 0, sizeof(in));
    qtest_memread(s, 0x20003, in, sizeof(in));
    QT_CHECK(memcmp(in, out, sizeof(in)) == 0, "write/read of 4096 bytes");

    /* b64 of lengths hitting every padding case */
    same = true;
    for (size_t len = 1; len <= 7; len++) {
        uint8_t b[7];
        qtest_bufwrite(s, 0x30000, out + len, len);
        memset(b, 0, sizeof(b));
        qtest_bufread(s, 0x30000, b, len);
        same &= memcmp(b, out + len, len) == 0;
    }
    QT_CHECK(same, "b64write/b64read of 1..7 bytes");

    qtest_bufwrite(s, 0x40000, out, sizeof(out));
    qtest_memread(s, 0x40000, in, sizeof(in));
    QT_CHECK(memcmp(in, out, sizeof(in)) == 0, "b64write then hex read");

    qtest_memset(s, 0x50000, 0xa5, 100);
    qtest_memread(s, 0x4fffc, in, 108);
    same = true;
    for (int i = 4; i < 104; i++) {
        same &= in[i] == 0xa5;
    }
    QT_CHECK(same, "memset fills the range");
    QT_CHECK(in[3] != 0xa5 && in[104] != 0xa5, "memset stays in the range");

    r = qtest_cmd(s, "memset 0x50000 0 0x11");
    QT_CHECK_STR(r, "OK", "memset of size 0 is OK");
    free(r);
    QT_CHECK_EQ(qtest_readb(s, 0x50000), 0xa5, "memset of size 0 does nothing");

    r = qtest_cmd(s, "read 0x1020 4");
    QT_CHECK_STR(r, "OK 0xefbeadde", "read reply is hex bytes in memory order");
    free(r);

    /* Short data is zero-filled */
    r = qtest_cmd(s, "write 0x60000 4 0xaabb");
    QT_CHECK_STR(r, "OK", "write with short data");
    free(r);
    QT_CHECK_EQ(qtest_readl(s, 0x60000), 0x0000bbaa,
                "write with short data zero-fills");

    r = qtest_cmd(s, "b64read 0x60000 3");
    QT_CHECK_STR(r, "OK qrsA", "b64read reply format");
    free(r);
}

static void test_clock(QTestState *s)
{
    int64_t t0, t1, t2;
    char *r;

    t0 = qtest_clock_step(s, 1000);
    QT_CHECK(t0 >= 1000, "clock_step 1000 moves the clock (now %" PRId64 ")",
             t0);
    t1 = qtest_clock_step(s, 1);
    QT_CHECK_EQ(t1, t0 + 1, "clock_step 1 adds one ns");
    t2 = qtest_clock_set(s, t1 + 5000000);
    QT_CHECK_EQ(t2, t1 + 5000000, "clock_set to a later time");

    r = qtest_cmd(s, "clock_set %" PRId64, t2 - 10);
    QT_CHECK(r && strncmp(r, "FAIL ", 5) == 0, "clock_set backwards fails");
    QT_CHECK(r && strtoll(r + 5, NULL, 0) == t2,
             "clock_set backwards reports the unchanged time");
    free(r);

    r = qtest_cmd(s, "clock_step 0");
    QT_CHECK(r && strncmp(r, "FAIL", 4) == 0, "clock_step 0 fails");
    free(r);
    r = qtest_cmd(s, "clock_step -5");
    QT_CHECK(r && strncmp(r, "FAIL", 4) == 0, "negative clock_step fails");
    free(r);
    QT_CHECK_EQ(qtest_clock_step(s, 10), t2 + 10,
                "clock did not move on failed commands");
}

/* The reply must start with prefix, and emu must still work afterwards */
static void check_rejected(QTestState *s, const char *cmd, const char *prefix)
{
    char *r = qtest_cmd(s, "%s", cmd);
    QT_CHECK(r && strncmp(r, prefix, strlen(prefix)) == 0,
             "'%.40s' is rejected with %s (got '%.60s')", cmd, prefix,
             r ? r : "");
    free(r);
}

static void test_errors(QTestState *s)
{
    static const char *const bad[] = {
        "readb",
        "readb zzz",
        "readl 0x1000 extra",
        "writel 0x1000",
        "writel 0x1000 0xqq",
        "readq -1",
        "readw 0x1ffffffffffffffff",
        "inb",
        "outb 0x10000 1",
        "inl 70000",
        "read 0 0",
        "read 0",
        "write 0 4 0xzz11",
        "write 0 4 1234",
        "write 0 4 0x123",
        "b64write 0 4 !!!!",
        "b64write 0 4 QUJD=Q==",
        "memset 0 4",
        "clock_set abc",
        "clock_step 1 2",
        "set_irq_in /machine/nonexistent unnamed-gpio-in 0 1",
        "irq_intercept_in /machine/nonexistent",
    };
    char *r;

    r = qtest_cmd(s, "frobnicate 1 2");
    QT_CHECK_STR(r, "FAIL Unknown command 'frobnicate'", "unknown command");
    free(r);

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        const char *cmd = bad[i];
        bool is_fail = strstr(cmd, "nonexistent") != NULL;
        check_rejected(s, cmd, is_fail ? "FAIL" : "ERR");
    }

    /* Out-of-range transfer sizes are refused, not attempted */
    check_rejected(s, "read 0 0x20000000", "ERR");
    check_rejected(s, "b64read 0 0xffffffffffffffff", "ERR");
    check_rejected(s, "memset 0 0x100000000 0", "ERR");
    check_rejected(s, "write 0 0x7fffffffffffffff 0x00", "ERR");

    /* Garbage lines: a NUL byte, binary, an empty line, CRLF */
    qtest_send_raw(s, "readb 0\0x\n", 10);
    r = qtest_recv_line(s);
    QT_CHECK(r && (strncmp(r, "ERR", 3) == 0 || strncmp(r, "FAIL", 4) == 0),
             "line with a NUL byte is rejected");
    free(r);
    qtest_send_raw(s, "\xff\xfe\x01\n", 4);
    r = qtest_recv_line(s);
    QT_CHECK(r && strncmp(r, "FAIL Unknown command", 20) == 0,
             "binary garbage is an unknown command");
    free(r);
    qtest_send_raw(s, "\n", 1);
    r = qtest_recv_line(s);
    QT_CHECK(r && strncmp(r, "FAIL", 4) == 0, "empty line fails");
    free(r);
    qtest_send_raw(s, "endianness\r\n", 12);
    r = qtest_recv_line(s);
    QT_CHECK_STR(r, "OK little", "CRLF line ending accepted");
    free(r);

    /* A very long single word */
    {
        size_t len = 200000;
        char *junk = malloc(len + 1);
        memset(junk, 'x', len);
        junk[len] = '\n';
        qtest_send_raw(s, junk, len + 1);
        free(junk);
        r = qtest_recv_line(s);
        QT_CHECK(r && strncmp(r, "FAIL Unknown command", 20) == 0 &&
                 strlen(r) < 200, "very long word: short FAIL reply");
        free(r);
    }

    /* Still alive and memory intact */
    r = qtest_cmd(s, "endianness");
    QT_CHECK_STR(r, "OK little", "emu still answers after malformed input");
    free(r);
    QT_CHECK_EQ(qtest_readl(s, 0x1020), 0xdeadbeef,
                "memory unchanged by rejected commands");
}

int main(int argc, char **argv)
{
    QTestState *s;

    qtest_skip_if_no_emu();
    s = qtest_init("-m 16M");
    test_endianness(s);
    test_widths(s);
    test_unassigned(s);
    test_bulk(s);
    test_clock(s);
    test_errors(s);
    qtest_quit(s);
    QT_CHECK(true, "emu exited cleanly");
    return qtest_tap_finish();
}
