/* pc machine over qtest: fw_cfg items and files, CMOS contents, BIOS mapping, -boot. */
#include "emu/osdep.h"
#include "libqtest.h"

static void fw_select(QTestState *s, uint16_t key)
{
    qtest_outw(s, 0x510, key);
}

static void fw_read(QTestState *s, void *buf, size_t len)
{
    uint8_t *p = buf;

    for (size_t i = 0; i < len; i++) {
        p[i] = qtest_inb(s, 0x511);
    }
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Key and size of a file from the directory; 0 when absent */
static uint16_t fw_file(QTestState *s, const char *name, uint32_t *size)
{
    uint8_t count[4], ent[64];
    uint32_t n;

    fw_select(s, 0x19);
    fw_read(s, count, 4);
    n = (uint32_t)count[0] << 24 | count[1] << 16 | count[2] << 8 | count[3];
    for (uint32_t i = 0; i < n && i < 64; i++) {
        fw_read(s, ent, 64);
        if (!strncmp((char *)ent + 8, name, 56)) {
            *size = (uint32_t)ent[0] << 24 | ent[1] << 16 | ent[2] << 8 |
                    ent[3];
            return ent[4] << 8 | ent[5];
        }
    }
    return 0;
}

static uint8_t cmos(QTestState *s, uint8_t idx)
{
    qtest_outb(s, 0x70, idx);
    return qtest_inb(s, 0x71);
}

static void test_default(void)
{
    QTestState *s = qtest_init("-M pc -m 300M -smp 2 -serial null");
    uint8_t buf[64], desc[16];
    uint32_t size;
    uint16_t key;

    fw_select(s, 0x00);
    fw_read(s, buf, 4);
    QT_CHECK(!memcmp(buf, "QEMU", 4), "fw_cfg signature");
    fw_select(s, 0x01);
    fw_read(s, buf, 4);
    QT_CHECK_EQ(le32(buf), 3, "fw_cfg id: traditional + DMA");
    fw_select(s, 0x03);
    fw_read(s, buf, 8);
    QT_CHECK_EQ(le64(buf), 300 * MiB, "FW_CFG_RAM_SIZE");
    fw_select(s, 0x05);
    fw_read(s, buf, 2);
    QT_CHECK_EQ(buf[0] | buf[1] << 8, 2, "FW_CFG_NB_CPUS");

    key = fw_file(s, "etc/e820", &size);
    QT_CHECK(key && size == 20, "etc/e820 has one entry");
    fw_select(s, key);
    fw_read(s, buf, 20);
    QT_CHECK(le64(buf) == 0 && le64(buf + 8) == 300 * MiB &&
             le32(buf + 16) == 1, "e820: RAM 0-300M");

    key = fw_file(s, "etc/sercon-port", &size);
    QT_CHECK(key && size == 2, "etc/sercon-port present");
    fw_select(s, key);
    fw_read(s, buf, 2);
    QT_CHECK_EQ(buf[0] | buf[1] << 8, 0x3f8, "sercon port is COM1");

    key = fw_file(s, "etc/boot-fail-wait", &size);
    fw_select(s, key);
    fw_read(s, buf, 4);
    QT_CHECK(key && le32(buf) == 0xffffffff, "boot-fail-wait is -1");

    /* etc/acpi/rsdp through DMA into guest RAM */
    key = fw_file(s, "etc/acpi/rsdp", &size);
    QT_CHECK(key && size == 20, "etc/acpi/rsdp");
    desc[0] = key >> 8;
    desc[1] = key;
    desc[2] = 0;
    desc[3] = 0x0a;                         /* SELECT | READ */
    memset(desc + 4, 0, 12);
    desc[7] = 20;                           /* length, big-endian */
    desc[13] = 0x02;                        /* address 0x20000 */
    qtest_memwrite(s, 0x10000, desc, 16);
    qtest_outl(s, 0x514, 0);
    qtest_outl(s, 0x518, __builtin_bswap32(0x10000));
    qtest_memread(s, 0x10000, desc, 4);
    QT_CHECK(!desc[0] && !desc[1] && !desc[2] && !desc[3],
             "DMA completed without error");
    qtest_memread(s, 0x20000, buf, 8);
    QT_CHECK(!memcmp(buf, "RSD PTR ", 8), "RSDP read by DMA");
    QT_CHECK(fw_file(s, "etc/table-loader", &size) && size % 128 == 0,
             "etc/table-loader");

    /* CMOS */
    QT_CHECK_EQ(cmos(s, 0x15) | cmos(s, 0x16) << 8, 640, "base memory");
    QT_CHECK_EQ(cmos(s, 0x17) | cmos(s, 0x18) << 8, 65535,
                "extended memory (capped)");
    QT_CHECK_EQ(cmos(s, 0x34) | cmos(s, 0x35) << 8,
                (300 - 16) * 16, "memory above 16M in 64K units");
    QT_CHECK_EQ(cmos(s, 0x5b) | cmos(s, 0x5c) | cmos(s, 0x5d), 0,
                "nothing above 4G");
    QT_CHECK_EQ(cmos(s, 0x5f), 1, "CPU count - 1");
    QT_CHECK_EQ(cmos(s, 0x3d), 0x12, "boot order c, a");
    QT_CHECK_EQ(cmos(s, 0x38), 0x30, "boot order d");

    /* SeaBIOS's reset vector, at 4G - 16 and through isa-bios */
    QT_CHECK_EQ(qtest_readb(s, 0xfffffff0), 0xea, "reset vector at 4G-16");
    QT_CHECK_EQ(qtest_readb(s, 0xffff0), 0xea, "reset vector at 0xffff0");
    qtest_quit(s);
}

static void test_boot_options(void)
{
    QTestState *s = qtest_init("-M pc -m 4G -boot order=nc,strict=on,"
                               "reboot-timeout=1000,splash-time=500 "
                               "-serial none");
    uint8_t buf[8];
    uint32_t size;
    uint16_t key;

    QT_CHECK_EQ(cmos(s, 0x3d), 0x24, "boot order n, c");
    QT_CHECK_EQ(cmos(s, 0x5b) | cmos(s, 0x5c) << 8 | cmos(s, 0x5d) << 16,
                1 * GiB / (64 * KiB), "1G above 4G (3G stay below)");
    key = fw_file(s, "etc/boot-fail-wait", &size);
    fw_select(s, key);
    fw_read(s, buf, 4);
    QT_CHECK(key && le32(buf) == 1000, "reboot-timeout");
    key = fw_file(s, "etc/boot-menu-wait", &size);
    fw_select(s, key);
    fw_read(s, buf, 2);
    QT_CHECK(key && (buf[0] | buf[1] << 8) == 500, "splash-time");
    key = fw_file(s, "bootorder", &size);
    fw_select(s, key);
    fw_read(s, buf, 5);
    QT_CHECK(key && !memcmp(buf, "HALT", 5), "strict: bootorder HALT");
    QT_CHECK(!fw_file(s, "etc/sercon-port", &size),
             "no sercon-port without COM1");
    fw_select(s, 0x03);
    fw_read(s, buf, 8);
    QT_CHECK_EQ(le64(buf), 4 * GiB, "FW_CFG_RAM_SIZE 4G");
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    qtest_skip_if_no_emu();
    test_default();
    test_boot_options();
    return qtest_tap_finish();
}
