/* PIIX3 IDE over qtest: ATA PIO/DMA (LBA28, LBA48, CHS), errors, hostile PRD tables, DMA straight into guest memory, the write cache, ATAPI PIO/DMA, media change. */
#include "emu/osdep.h"
#include "libqtest.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>

#define PRI_CMD     0x1f0
#define PRI_CTL     0x3f6
#define SEC_CMD     0x170
#define SEC_CTL     0x376
#define BM_BASE     0xc000

#define REG_DATA    0
#define REG_ERROR   1
#define REG_FEATURE 1
#define REG_NSECT   2
#define REG_LBA0    3
#define REG_LBA1    4
#define REG_LBA2    5
#define REG_DEVICE  6
#define REG_STATUS  7
#define REG_CMD     7

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DRDY 0x40
#define ST_BSY  0x80

#define IDE_DEVFN   0x09            /* 00:01.1 */
#define PRD_ADDR    0x10000
#define BUF_ADDR    0x100000
#define DISK_SECTORS 2048           /* 1 MiB small disk */
#define CD_SECTORS  64              /* 128 KiB "ISO" */
/* a sparse disk beyond 2^28 sectors for LBA48 */
#define BIG_SECTORS ((1ULL << 28) + 4096)

static uint32_t pci_cfg_read(QTestState *s, int devfn, int reg, int size)
{
    qtest_outl(s, 0xcf8, 0x80000000u | (devfn << 8) | (reg & ~3));
    switch (size) {
    case 1:
        return qtest_inb(s, 0xcfc + (reg & 3));
    case 2:
        return qtest_inw(s, 0xcfc + (reg & 2));
    default:
        return qtest_inl(s, 0xcfc);
    }
}

static void pci_cfg_write(QTestState *s, int devfn, int reg, uint32_t v,
                          int size)
{
    qtest_outl(s, 0xcf8, 0x80000000u | (devfn << 8) | (reg & ~3));
    switch (size) {
    case 1:
        qtest_outb(s, 0xcfc + (reg & 3), v);
        break;
    case 2:
        qtest_outw(s, 0xcfc + (reg & 2), v);
        break;
    default:
        qtest_outl(s, 0xcfc, v);
        break;
    }
}

static uint8_t cmos_read(QTestState *s, uint8_t reg)
{
    qtest_outb(s, 0x70, reg);
    return qtest_inb(s, 0x71);
}

static void setup_bmdma(QTestState *s)
{
    pci_cfg_write(s, IDE_DEVFN, 0x20, BM_BASE, 4);
    pci_cfg_write(s, IDE_DEVFN, 0x04, 0x05, 2);    /* I/O + bus master */
}

/* Wait while BSY (the backend completes in emu's main loop) */
static uint8_t wait_not_busy(QTestState *s, uint16_t ctl)
{
    uint8_t st = 0xff;

    for (int i = 0; i < 20000; i++) {
        st = qtest_inb(s, ctl);
        if (!(st & ST_BSY)) {
            return st;
        }
        if (i > 100) {
            usleep(100);
        }
    }
    return st;
}

static void set_lba28(QTestState *s, uint16_t base, int dev, uint32_t lba,
                      uint8_t count)
{
    qtest_outb(s, base + REG_DEVICE, 0xe0 | (dev << 4) | ((lba >> 24) & 0xf));
    qtest_outb(s, base + REG_NSECT, count);
    qtest_outb(s, base + REG_LBA0, lba);
    qtest_outb(s, base + REG_LBA1, lba >> 8);
    qtest_outb(s, base + REG_LBA2, lba >> 16);
}

static void set_lba48(QTestState *s, uint16_t base, uint64_t lba,
                      uint16_t count)
{
    qtest_outb(s, base + REG_DEVICE, 0xe0);
    qtest_outb(s, base + REG_NSECT, count >> 8);
    qtest_outb(s, base + REG_LBA0, lba >> 24);
    qtest_outb(s, base + REG_LBA1, lba >> 32);
    qtest_outb(s, base + REG_LBA2, lba >> 40);
    qtest_outb(s, base + REG_NSECT, count);
    qtest_outb(s, base + REG_LBA0, lba);
    qtest_outb(s, base + REG_LBA1, lba >> 8);
    qtest_outb(s, base + REG_LBA2, lba >> 16);
}

/* PIO data-in of n bytes into buf; false if DRQ did not come */
static bool pio_read(QTestState *s, uint16_t base, uint16_t ctl, void *buf,
                     size_t n)
{
    uint16_t *w = buf;
    uint8_t st = wait_not_busy(s, ctl);

    if (!(st & ST_DRQ)) {
        return false;
    }
    for (size_t i = 0; i < n / 2; i++) {
        w[i] = qtest_inw(s, base + REG_DATA);
    }
    return true;
}

static bool pio_write(QTestState *s, uint16_t base, uint16_t ctl,
                      const void *buf, size_t n)
{
    const uint16_t *w = buf;
    uint8_t st = wait_not_busy(s, ctl);

    if (!(st & ST_DRQ)) {
        return false;
    }
    for (size_t i = 0; i < n / 2; i++) {
        qtest_outw(s, base + REG_DATA, w[i]);
    }
    return true;
}

static void fill_pattern(uint8_t *buf, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
    }
}

static char *ata_string(const uint16_t *id, int word, int len)
{
    char *s = emu_malloc0(len + 1);

    for (int i = 0; i < len; i++) {
        uint16_t w = id[word + i / 2];
        s[i] = (i & 1) ? (w & 0xff) : (w >> 8);
    }
    for (int i = len - 1; i >= 0 && s[i] == ' '; i--) {
        s[i] = '\0';
    }
    return s;
}

static bool file_read(const char *path, uint64_t off, void *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    bool ok = fd >= 0 && pread(fd, buf, n, off) == (ssize_t)n;

    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static bool file_write(const char *path, uint64_t off, const void *buf,
                       size_t n)
{
    int fd = open(path, O_WRONLY);
    bool ok = fd >= 0 && pwrite(fd, buf, n, off) == (ssize_t)n;

    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static char *make_image(const char *tag, uint64_t size)
{
    char *path = emu_malloc(64);
    int fd;

    snprintf(path, 64, "/tmp/emu-ide-test-%s-XXXXXX", tag);
    fd = mkstemp(path);

    if (fd < 0 || ftruncate(fd, size) < 0) {
        fprintf(stderr, "cannot create %s\n", path);
        exit(1);
    }
    close(fd);
    return path;
}

/* One PRD entry */
static void prd_set(QTestState *s, int i, uint32_t addr, uint32_t count,
                    bool eot)
{
    qtest_writel(s, PRD_ADDR + i * 8, addr);
    qtest_writel(s, PRD_ADDR + i * 8 + 4,
                 (count & 0xffff) | (eot ? 0x80000000u : 0));
}

/* Start the primary bus master; to_memory: device reads */
static void bm_start(QTestState *s, uint16_t bm, uint32_t table,
                     bool to_memory)
{
    qtest_outb(s, bm + 0, 0);
    qtest_outb(s, bm + 2, 0x06);            /* clear error and interrupt */
    qtest_outl(s, bm + 4, table);
    qtest_outb(s, bm + 0, 0x01 | (to_memory ? 0x08 : 0));
}

static uint8_t bm_wait(QTestState *s, uint16_t bm, uint16_t ctl)
{
    uint8_t st = 0;

    for (int i = 0; i < 20000; i++) {
        st = qtest_inb(s, bm + 2);
        if ((st & 0x06) || !(st & 0x01)) {
            break;
        }
        if (i > 100) {
            usleep(100);
        }
    }
    wait_not_busy(s, ctl);
    return st;
}

static void test_disk(const char *disk, const char *big)
{
    QTestState *s;
    uint16_t id[256];
    uint8_t wbuf[8 * 512], rbuf[8 * 512], fbuf[16 * 512];
    char *str;
    uint8_t st;

    s = qtest_initf("-M pc -m 64M "
                    "-drive file=%s,format=raw,if=ide,index=0 "
                    "-drive file=%s,format=raw,if=ide,index=1",
                    disk, big);
    qtest_irq_intercept_out(s, "piix3-ide");

    QT_CHECK_EQ(pci_cfg_read(s, IDE_DEVFN, 0, 4), 0x70108086,
                "PIIX3 IDE at 00:01.1 (8086:7010)");
    QT_CHECK_EQ(pci_cfg_read(s, IDE_DEVFN, 8, 4) >> 8, 0x010180,
                "class 0101, prog-if 80 (legacy, bus master)");
    setup_bmdma(s);

    /* CMOS disk bytes the BIOS reads, as QEMU sets them */
    QT_CHECK_EQ(cmos_read(s, 0x12), 0xff, "CMOS 0x12: two disk types");
    QT_CHECK_EQ(cmos_read(s, 0x19), 47, "CMOS 0x19: user type 47");
    QT_CHECK_EQ(cmos_read(s, 0x1b) | (cmos_read(s, 0x1c) << 8), 2,
                "CMOS disk 0 cylinders");
    QT_CHECK_EQ(cmos_read(s, 0x1d), 16, "CMOS disk 0 heads");
    QT_CHECK_EQ(cmos_read(s, 0x23), 63, "CMOS disk 0 sectors");
    QT_CHECK_EQ(cmos_read(s, 0x24) | (cmos_read(s, 0x25) << 8), 16383,
                "CMOS disk 1 cylinders");
    QT_CHECK_EQ(cmos_read(s, 0x39), 0x04,
                "CMOS 0x39: disk 0 no translation, disk 1 LBA");

    /* reset signature of an ATA disk */
    qtest_outb(s, PRI_CTL, 0x04);
    qtest_outb(s, PRI_CTL, 0x00);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & (ST_DRDY | ST_BSY), ST_DRDY, "DRDY after SRST");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_LBA1) |
                (qtest_inb(s, PRI_CMD + REG_LBA2) << 8), 0,
                "ATA signature 00/00");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_ERROR), 0x01, "diagnostic ok");

    /* IDENTIFY DEVICE */
    qtest_outb(s, PRI_CMD + REG_DEVICE, 0xa0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xec);
    QT_CHECK(pio_read(s, PRI_CMD, PRI_CTL, id, 512), "IDENTIFY gives DRQ");
    QT_CHECK(qtest_get_irq(s, 0), "IRQ 14 raised by IDENTIFY");
    QT_CHECK_EQ(id[0], 0x0040, "IDENTIFY word 0: fixed disk");
    str = ata_string(id, 27, 40);
    QT_CHECK_STR(str, "EMU HARDDISK", "model");
    free(str);
    QT_CHECK_EQ(id[60] | (id[61] << 16), DISK_SECTORS, "LBA28 capacity");
    QT_CHECK_EQ(id[100] | ((uint32_t)id[101] << 16), DISK_SECTORS,
                "LBA48 capacity");
    QT_CHECK(id[83] & (1 << 10), "LBA48 supported");
    QT_CHECK(id[49] & (1 << 9) && id[49] & (1 << 8), "LBA and DMA");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_STATUS) & (ST_DRQ | ST_BSY), 0,
                "DRQ clear after 512 bytes");
    QT_CHECK(!qtest_get_irq(s, 0), "status read clears the IRQ");

    /* nIEN masks the line */
    qtest_outb(s, PRI_CTL, 0x02);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xec);
    QT_CHECK(pio_read(s, PRI_CMD, PRI_CTL, id, 512), "IDENTIFY with nIEN");
    QT_CHECK(!qtest_get_irq(s, 0), "nIEN: no IRQ");
    qtest_outb(s, PRI_CTL, 0x00);
    QT_CHECK(qtest_get_irq(s, 0), "pending IRQ shows when nIEN clears");
    qtest_inb(s, PRI_CMD + REG_STATUS);

    /* LBA28 PIO write and read back */
    fill_pattern(wbuf, 2 * 512, 1);
    set_lba28(s, PRI_CMD, 0, 10, 2);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x30);
    QT_CHECK(pio_write(s, PRI_CMD, PRI_CTL, wbuf, 512) &&
             pio_write(s, PRI_CMD, PRI_CTL, wbuf + 512, 512),
             "WRITE SECTORS takes two sectors");
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & (ST_ERR | ST_DRQ), 0, "WRITE SECTORS ok");
    qtest_outb(s, PRI_CMD + REG_CMD, 0xe7);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & (ST_ERR | ST_DRQ | ST_DRDY), ST_DRDY, "FLUSH CACHE");
    QT_CHECK(file_read(disk, 10 * 512, fbuf, 1024) &&
             !memcmp(fbuf, wbuf, 1024), "sectors 10-11 in the image");
    memset(rbuf, 0, sizeof(rbuf));
    set_lba28(s, PRI_CMD, 0, 10, 2);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x20);
    QT_CHECK(pio_read(s, PRI_CMD, PRI_CTL, rbuf, 512) &&
             pio_read(s, PRI_CMD, PRI_CTL, rbuf + 512, 512),
             "READ SECTORS gives two sectors");
    QT_CHECK(!memcmp(rbuf, wbuf, 1024), "LBA28 round trip");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_LBA0), 11,
                "task file names the last sector");

    /* READ MULTIPLE after SET MULTIPLE MODE 4 */
    qtest_outb(s, PRI_CMD + REG_NSECT, 4);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc6);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & ST_ERR, 0, "SET MULTIPLE 4");
    qtest_outb(s, PRI_CMD + REG_NSECT, 3);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc6);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & ST_ERR, ST_ERR, "SET MULTIPLE 3 aborts");
    fill_pattern(fbuf, 8 * 512, 2);
    QT_CHECK(file_write(disk, 40 * 512, fbuf, 8 * 512), "seed sectors 40+");
    set_lba28(s, PRI_CMD, 0, 40, 8);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc4);
    QT_CHECK(pio_read(s, PRI_CMD, PRI_CTL, rbuf, 4 * 512) &&
             pio_read(s, PRI_CMD, PRI_CTL, rbuf + 2048, 4 * 512),
             "READ MULTIPLE: two blocks of 4 sectors");
    QT_CHECK(!memcmp(rbuf, fbuf, 8 * 512), "READ MULTIPLE data");

    /* CHS: cylinder 0, head 1, sector 1 = LBA 63 with 16/63 geometry */
    fill_pattern(fbuf, 512, 3);
    file_write(disk, 63 * 512, fbuf, 512);
    qtest_outb(s, PRI_CMD + REG_DEVICE, 0xa1);
    qtest_outb(s, PRI_CMD + REG_NSECT, 1);
    qtest_outb(s, PRI_CMD + REG_LBA0, 1);
    qtest_outb(s, PRI_CMD + REG_LBA1, 0);
    qtest_outb(s, PRI_CMD + REG_LBA2, 0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x20);
    QT_CHECK(pio_read(s, PRI_CMD, PRI_CTL, rbuf, 512) &&
             !memcmp(rbuf, fbuf, 512), "CHS 0/1/1 reads LBA 63");
    qtest_outb(s, PRI_CMD + REG_DEVICE, 0xa0);
    qtest_outb(s, PRI_CMD + REG_LBA0, 0);     /* sector 0 is invalid */
    qtest_outb(s, PRI_CMD + REG_CMD, 0x20);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & ST_ERR, ST_ERR, "CHS sector 0 fails");

    /* out of range */
    set_lba28(s, PRI_CMD, 0, DISK_SECTORS, 1);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x20);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & (ST_ERR | ST_DRQ), ST_ERR, "LBA past the end: ERR");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_ERROR), 0x10, "... with IDNF");
    set_lba28(s, PRI_CMD, 0, DISK_SECTORS - 1, 2);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & ST_ERR, ST_ERR, "DMA across the end: ERR");
    qtest_outb(s, PRI_CMD + REG_CMD, 0xff);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_ERROR), 0x04,
                "unknown command aborts");
    QT_CHECK(qtest_get_irq(s, 0), "... with an interrupt");
    qtest_inb(s, PRI_CMD + REG_STATUS);

    /* READ DMA into two PRD segments */
    fill_pattern(fbuf, 16 * 512, 4);
    file_write(disk, 100 * 512, fbuf, 16 * 512);
    qtest_memset(s, BUF_ADDR, 0, 0x10000);
    prd_set(s, 0, BUF_ADDR, 3 * 512, false);
    prd_set(s, 1, BUF_ADDR + 0x8000, 13 * 512, true);
    set_lba28(s, PRI_CMD, 0, 100, 16);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x07, 0x04, "READ DMA: interrupt, not active, no error");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_STATUS) &
                (ST_ERR | ST_DRQ | ST_BSY), 0, "READ DMA status");
    {
        uint8_t *mem = emu_malloc(16 * 512);
        qtest_memread(s, BUF_ADDR, mem, 3 * 512);
        qtest_memread(s, BUF_ADDR + 0x8000, mem + 3 * 512, 13 * 512);
        QT_CHECK(!memcmp(mem, fbuf, 16 * 512), "READ DMA data");
        free(mem);
    }
    qtest_outb(s, BM_BASE, 0);

    /* WRITE DMA EXT */
    fill_pattern(fbuf, 8 * 512, 5);
    qtest_memwrite(s, BUF_ADDR, fbuf, 8 * 512);
    prd_set(s, 0, BUF_ADDR, 8 * 512, true);
    set_lba48(s, PRI_CMD, 200, 8);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x35);
    bm_start(s, BM_BASE, PRD_ADDR, false);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x07, 0x04, "WRITE DMA EXT done");
    qtest_outb(s, BM_BASE, 0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xea);
    wait_not_busy(s, PRI_CTL);
    QT_CHECK(file_read(disk, 200 * 512, rbuf, 8 * 512) &&
             !memcmp(rbuf, fbuf, 8 * 512), "WRITE DMA EXT data in the image");

    /* bus master started before the command */
    qtest_memset(s, BUF_ADDR, 0, 0x1000);
    prd_set(s, 0, BUF_ADDR, 2 * 512, true);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    set_lba28(s, PRI_CMD, 0, 200, 2);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    qtest_memread(s, BUF_ADDR, rbuf, 1024);
    QT_CHECK(!(st & 0x02) && !memcmp(rbuf, fbuf, 1024),
             "READ DMA with the bus master started first");
    qtest_outb(s, BM_BASE, 0);

    /* hostile PRD tables */
    /* 1. the table in unassigned space */
    set_lba28(s, PRI_CMD, 0, 0, 1);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, 0xe0000000u, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x03, 0x02, "PRD table in a hole: BM error");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_STATUS) & (ST_ERR | ST_BSY),
                ST_ERR, "... and the command fails");
    qtest_outb(s, BM_BASE, 0);
    /* 2. data address in a hole */
    prd_set(s, 0, 0xe0000000u, 512, true);
    set_lba28(s, PRI_CMD, 0, 0, 1);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x03, 0x02, "PRD data in a hole: BM error");
    qtest_outb(s, BM_BASE, 0);
    /* 3. a table shorter than the transfer */
    prd_set(s, 0, BUF_ADDR, 512, true);
    set_lba28(s, PRI_CMD, 0, 0, 4);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x01, 0, "short PRD table: bus master stops");
    QT_CHECK_EQ(qtest_inb(s, PRI_CTL) & ST_BSY, 0, "... device not busy");
    qtest_outb(s, BM_BASE, 0);
    /*
     * 4. no end-of-table mark: 64 KiB of 2-byte entries (16 KiB of
     * data) for a 32 KiB write; the walk stops at the 64 KiB limit
     */
    {
        uint32_t *table = emu_malloc(0x10000);
        for (int i = 0; i < 0x10000 / 8; i++) {
            table[2 * i] = BUF_ADDR;
            table[2 * i + 1] = 2;
        }
        qtest_bufwrite(s, PRD_ADDR, table, 0x10000);
        qtest_writel(s, PRD_ADDR + 0x10000, BUF_ADDR);
        qtest_writel(s, PRD_ADDR + 0x10004, 0x80000000u | 0x8000);
        free(table);
    }
    set_lba28(s, PRI_CMD, 0, 0, 64);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xca);
    bm_start(s, BM_BASE, PRD_ADDR, false);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x07, 0x00, "PRD table without EOT: stops at 64 KiB, "
                "no interrupt, no error");
    QT_CHECK_EQ(qtest_inb(s, PRI_CTL) & (ST_BSY | ST_DRQ), 0,
                "... device idle");
    qtest_outb(s, BM_BASE, 0);
    /* 5. bus mastering disabled in PCI COMMAND */
    pci_cfg_write(s, IDE_DEVFN, 0x04, 0x01, 2);
    prd_set(s, 0, BUF_ADDR, 512, true);
    set_lba28(s, PRI_CMD, 0, 0, 1);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x02, 0x02, "no DMA while bus mastering is off");
    qtest_outb(s, BM_BASE, 0);
    pci_cfg_write(s, IDE_DEVFN, 0x04, 0x05, 2);
    /* 6. stop bit mid-command, then a clean command works */
    set_lba28(s, PRI_CMD, 0, 0, 128);
    prd_set(s, 0, BUF_ADDR, 0, true);       /* 64 KiB */
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    qtest_outb(s, BM_BASE, 0);
    wait_not_busy(s, PRI_CTL);
    qtest_outb(s, PRI_CTL, 0x04);
    qtest_outb(s, PRI_CTL, 0x00);
    wait_not_busy(s, PRI_CTL);
    qtest_outb(s, PRI_CMD + REG_DEVICE, 0xa0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xec);
    QT_CHECK(pio_read(s, PRI_CMD, PRI_CTL, id, 512) && id[0] == 0x0040,
             "IDENTIFY works after the hostile DMA tests");

    /* LBA48 on the big sparse disk (unit 1) */
    qtest_outb(s, PRI_CMD + REG_DEVICE, 0xb0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xec);
    QT_CHECK(pio_read(s, PRI_CMD, PRI_CTL, id, 512), "IDENTIFY unit 1");
    QT_CHECK_EQ(id[60] | (id[61] << 16), 0x0fffffff,
                "LBA28 capacity saturates");
    QT_CHECK_EQ(id[100] | ((uint64_t)id[101] << 16) |
                ((uint64_t)id[102] << 32), BIG_SECTORS, "LBA48 capacity");
    fill_pattern(wbuf, 2 * 512, 6);
    qtest_outb(s, PRI_CMD + REG_DEVICE, 0xf0);
    set_lba48(s, PRI_CMD, (1ULL << 28) + 5, 2);
    qtest_outb(s, PRI_CMD + REG_DEVICE, 0xf0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x34);
    QT_CHECK(pio_write(s, PRI_CMD, PRI_CTL, wbuf, 512) &&
             pio_write(s, PRI_CMD, PRI_CTL, wbuf + 512, 512),
             "WRITE SECTORS EXT");
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & ST_ERR, 0, "WRITE SECTORS EXT ok");
    qtest_outb(s, PRI_CMD + REG_CMD, 0xea);
    wait_not_busy(s, PRI_CTL);
    QT_CHECK(file_read(big, ((1ULL << 28) + 5) * 512, fbuf, 1024) &&
             !memcmp(fbuf, wbuf, 1024), "LBA48 sectors land beyond 128 GiB");
    memset(rbuf, 0, 1024);
    set_lba48(s, PRI_CMD, (1ULL << 28) + 5, 2);
    qtest_outb(s, PRI_CMD + REG_DEVICE, 0xf0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x24);
    QT_CHECK(pio_read(s, PRI_CMD, PRI_CTL, rbuf, 512) &&
             pio_read(s, PRI_CMD, PRI_CTL, rbuf + 512, 512) &&
             !memcmp(rbuf, wbuf, 1024), "READ SECTORS EXT round trip");
    qtest_outb(s, PRI_CTL, 0x80);           /* HOB */
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_LBA0), 0x10,
                "HOB read-back of LBA bits 24-31");
    qtest_outb(s, PRI_CTL, 0x00);
    set_lba48(s, PRI_CMD, BIG_SECTORS, 1);
    qtest_outb(s, PRI_CMD + REG_DEVICE, 0xf0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x24);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & ST_ERR, ST_ERR, "READ SECTORS EXT past the end");

    /* the secondary channel is empty */
    QT_CHECK_EQ(qtest_inb(s, SEC_CMD + REG_STATUS), 0,
                "no device on the secondary channel");

    qtest_quit(s);
}

/*
 * DMA straight between the image and guest memory (PRD segments mapped
 * into an iovec): large scattered tables, segments that cross pages,
 * contiguous segments, odd PRD fields, segments that leave RAM (those take
 * the copying path), and resets/stops while a mapped read is in flight.
 */
#define MAP_SECTORS     4096                /* 2 MiB disk */
#define MAP_BUF         0x200000            /* 1 MiB + guard at 2 MiB */
#define MAP_BUF2        0x600000            /* a second 1 MiB */
#define MAP_RAM_END     0x4000000           /* -m 64M */

static void test_dma_map(const char *disk)
{
    QTestState *s;
    const uint32_t total = 1024 * 1024;     /* one 1 MiB command */
    uint8_t *img = emu_malloc(total), *mem = emu_malloc(total + 0x20000);
    uint8_t guard[64], id[512];
    uint32_t addr[32], len[32];
    uint32_t off;
    uint8_t st;
    int n;

    fill_pattern(img, total, 11);
    file_write(disk, 0, img, total);
    s = qtest_initf("-M pc -m 64M -drive file=%s,format=raw,if=ide,index=0",
                    disk);
    setup_bmdma(s);

    /*
     * 1. READ DMA EXT of 1 MiB through 23 segments, in reverse memory
     * order so that none is contiguous with the one before, starting at
     * odd page offsets so that every one crosses pages: 15 of 64 KiB
     * (count 0) and 8 of 0x2000 bytes, with gaps that must stay untouched.
     */
    n = 0;
    for (int i = 0; i < 23; i++) {
        len[i] = i < 15 ? 0x10000 : 0x2000;
    }
    off = 0;
    for (int i = 0; i < 23; i++) {
        /* slot i at MAP_BUF + (22 - i) * 0x12000 + 0x0ffe */
        addr[i] = MAP_BUF + (22 - i) * 0x12000 + 0x0ffe;
        prd_set(s, i, addr[i], len[i] == 0x10000 ? 0 : len[i], i == 22);
        off += len[i];
        n++;
    }
    QT_CHECK_EQ(off, total, "23 segments cover 1 MiB");
    qtest_memset(s, MAP_BUF, 0xa5, 23 * 0x12000 + 0x2000);
    set_lba48(s, PRI_CMD, 0, total / 512);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x25);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x07, 0x04, "1 MiB scattered READ DMA EXT done");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_STATUS) &
                (ST_ERR | ST_DRQ | ST_BSY), 0, "... status clean");
    {
        bool data_ok = true, gaps_ok = true;

        off = 0;
        for (int i = 0; i < n; i++) {
            qtest_bufread(s, addr[i], mem, len[i]);
            data_ok &= !memcmp(mem, img + off, len[i]);
            off += len[i];
            /* the bytes right before and after each segment */
            qtest_memread(s, addr[i] - 2, guard, 2);
            gaps_ok &= guard[0] == 0xa5 && guard[1] == 0xa5;
            qtest_memread(s, addr[i] + len[i], guard, 2);
            gaps_ok &= guard[0] == 0xa5 && guard[1] == 0xa5;
        }
        QT_CHECK(data_ok, "scattered READ DMA: every segment holds its data");
        QT_CHECK(gaps_ok, "... and nothing around the segments changed");
    }
    qtest_outb(s, BM_BASE, 0);

    /* 2. WRITE DMA EXT of the same 1 MiB from the same table, new data */
    fill_pattern(img, total, 12);
    off = 0;
    for (int i = 0; i < n; i++) {
        qtest_bufwrite(s, addr[i], img + off, len[i]);
        off += len[i];
    }
    set_lba48(s, PRI_CMD, 1024, total / 512);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x35);
    bm_start(s, BM_BASE, PRD_ADDR, false);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x07, 0x04, "1 MiB scattered WRITE DMA EXT done");
    qtest_outb(s, BM_BASE, 0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xea);
    wait_not_busy(s, PRI_CTL);
    QT_CHECK(file_read(disk, 1024 * 512, mem, total) &&
             !memcmp(mem, img, total), "scattered WRITE DMA data in the image");

    /*
     * 2b. the write cache: a 1 MiB WRITE DMA ends while the backend may
     * still write it; a READ DMA right after it (no flush) must see the
     * new data, and so must a second write + read of the same sectors
     */
    for (int i = 0; i < 16; i++) {
        /* table 0: the data to write; table 1 (+0x1000): where to read */
        prd_set(s, i, MAP_BUF + i * 0x10000, 0, i == 15);
        prd_set(s, 512 + i, MAP_BUF2 + i * 0x10000, 0, i == 15);
    }
    for (int round = 0; round < 2; round++) {
        fill_pattern(img, total, 13 + round);
        qtest_bufwrite(s, MAP_BUF, img, total);
        qtest_memset(s, MAP_BUF2, 0, total);
        set_lba48(s, PRI_CMD, 512, total / 512);
        qtest_outb(s, PRI_CMD + REG_CMD, 0x35);
        bm_start(s, BM_BASE, PRD_ADDR, false);
        st = qtest_inb(s, BM_BASE + 2);
        /* no wait: the read goes out while the write may still run */
        qtest_outb(s, BM_BASE, 0);
        set_lba48(s, PRI_CMD, 512, total / 512);
        qtest_outb(s, PRI_CMD + REG_CMD, 0x25);
        bm_start(s, BM_BASE, PRD_ADDR + 0x1000, true);
        st |= bm_wait(s, BM_BASE, PRI_CTL) & 0x03;
        qtest_outb(s, BM_BASE, 0);
        qtest_bufread(s, MAP_BUF2, mem, total);
        QT_CHECK((st & 0x03) == 0 && !memcmp(mem, img, total),
                 round ? "rewrite + READ DMA at once: the newest data"
                       : "WRITE DMA + READ DMA at once: the read sees "
                         "the written data");
    }
    /*
     * a 2 MiB WRITE DMA EXT is two chunks: the second waits for the cache
     * to take the first one's place
     */
    {
        uint8_t *two = emu_malloc(2 * total);

        fill_pattern(two, 2 * total, 16);
        qtest_bufwrite(s, MAP_BUF, two, 2 * total);
        for (int i = 0; i < 32; i++) {
            prd_set(s, i, MAP_BUF + i * 0x10000, 0, i == 31);
        }
        set_lba48(s, PRI_CMD, 0, 2 * total / 512);
        qtest_outb(s, PRI_CMD + REG_CMD, 0x35);
        bm_start(s, BM_BASE, PRD_ADDR, false);
        st = bm_wait(s, BM_BASE, PRI_CTL);
        qtest_outb(s, BM_BASE, 0);
        qtest_outb(s, PRI_CMD + REG_CMD, 0xea);
        st |= wait_not_busy(s, PRI_CTL) & ST_ERR;
        QT_CHECK_EQ(st & (0x07 | ST_ERR), 0x04, "2 MiB WRITE DMA EXT + FLUSH");
        QT_CHECK(file_read(disk, 0, mem, total) &&
                 !memcmp(mem, two, total) &&
                 file_read(disk, total, mem, total) &&
                 !memcmp(mem, two + total, total),
                 "... both chunks in the image");
        free(two);
        /* the first MiB again, for the steps below that read it */
        fill_pattern(img, total, 14);
        qtest_bufwrite(s, MAP_BUF, img, total);
        set_lba48(s, PRI_CMD, 512, total / 512);
        qtest_outb(s, PRI_CMD + REG_CMD, 0x35);
        bm_start(s, BM_BASE, PRD_ADDR, false);
        bm_wait(s, BM_BASE, PRI_CTL);
        qtest_outb(s, BM_BASE, 0);
    }
    /* FLUSH CACHE after the cached write: the image holds it */
    qtest_outb(s, PRI_CMD + REG_CMD, 0xea);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK(!(st & ST_ERR) && file_read(disk, 512 * 512, mem, total) &&
             !memcmp(mem, img, total), "FLUSH CACHE EXT: the image holds "
             "the cached write");
    /* with the write cache off (SET FEATURES 82h) a write ends on disk */
    qtest_outb(s, PRI_CMD + REG_FEATURE, 0x82);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xef);
    wait_not_busy(s, PRI_CTL);
    fill_pattern(img, 0x10000, 15);
    qtest_bufwrite(s, MAP_BUF, img, 0x10000);
    prd_set(s, 0, MAP_BUF, 0, true);
    set_lba28(s, PRI_CMD, 0, 3500, 128);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xca);
    bm_start(s, BM_BASE, PRD_ADDR, false);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    qtest_outb(s, BM_BASE, 0);
    QT_CHECK((st & 0x07) == 0x04 && file_read(disk, 3500 * 512, mem, 0x10000)
             && !memcmp(mem, img, 0x10000),
             "write cache off: WRITE DMA data in the image when it ends");
    qtest_outb(s, PRI_CMD + REG_FEATURE, 0x02);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xef);
    wait_not_busy(s, PRI_CTL);
    /* what the next steps read back from sector 1024 */
    QT_CHECK(file_read(disk, 1024 * 512, img, 0x10000), "image readable");

    /* 3. contiguous segments (merged into one host range) */
    for (int i = 0; i < 4; i++) {
        prd_set(s, i, MAP_BUF + i * 0x4000, 0x4000, i == 3);
    }
    qtest_memset(s, MAP_BUF, 0, 0x10000);
    set_lba28(s, PRI_CMD, 0, 1024, 128);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    qtest_bufread(s, MAP_BUF, mem, 0x10000);
    QT_CHECK((st & 0x07) == 0x04 && !memcmp(mem, img, 0x10000),
             "contiguous segments: READ DMA data");
    qtest_outb(s, BM_BASE, 0);

    /* 4. odd PRD fields: address bit 0 and count bit 0 are ignored */
    qtest_memset(s, MAP_BUF, 0x5a, 0x1000);
    prd_set(s, 0, MAP_BUF + 1, 0x201, false);      /* = MAP_BUF, 512 */
    prd_set(s, 1, MAP_BUF + 0x801, 0x201, true);   /* = +0x800, 512 */
    set_lba28(s, PRI_CMD, 0, 1024, 2);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x07, 0x04, "odd PRD fields: READ DMA done");
    qtest_bufread(s, MAP_BUF, mem, 0x1000);
    QT_CHECK(!memcmp(mem, img, 512) && !memcmp(mem + 0x800, img + 512, 512)
             && mem[0x200] == 0x5a && mem[0xa00] == 0x5a,
             "... data at the even addresses, 512 bytes each");
    qtest_outb(s, BM_BASE, 0);

    /*
     * 5. a segment that runs off the end of RAM: nothing may be written
     * past it, the bus master reports the error, and the device aborts
     */
    qtest_memset(s, MAP_RAM_END - 0x1000, 0x77, 0x1000);
    prd_set(s, 0, MAP_BUF, 0x1000, false);
    prd_set(s, 1, MAP_RAM_END - 0x1000, 0x2000, true);
    set_lba28(s, PRI_CMD, 0, 1024, 24);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x03, 0x02, "segment past the end of RAM: BM error");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_STATUS) & (ST_ERR | ST_BSY),
                ST_ERR, "... the command fails");
    qtest_bufread(s, MAP_RAM_END - 0x1000, mem, 0x1000);
    {
        bool untouched = true;
        for (int i = 0; i < 0x1000; i++) {
            untouched &= mem[i] == 0x77;
        }
        QT_CHECK(untouched, "... and the RAM part of the bad segment is "
                 "not written");
    }
    qtest_outb(s, BM_BASE, 0);

    /* 6. WRITE DMA from ROM (the BIOS) maps for reading: data is the ROM */
    prd_set(s, 0, 0xffff0000u, 0x1000, true);
    set_lba28(s, PRI_CMD, 0, 3000, 8);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xca);
    bm_start(s, BM_BASE, PRD_ADDR, false);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x07, 0x04, "WRITE DMA from the BIOS ROM done");
    qtest_outb(s, BM_BASE, 0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xe7);
    wait_not_busy(s, PRI_CTL);
    qtest_memread(s, 0xffff0000u, mem, 0x1000);
    QT_CHECK(file_read(disk, 3000 * 512, mem + 0x1000, 0x1000) &&
             !memcmp(mem, mem + 0x1000, 0x1000), "... the image holds the ROM");

    /* 7. READ DMA into the BIOS ROM (not writable, not RAM): no crash */
    prd_set(s, 0, 0xffff0000u, 0x1000, true);
    set_lba28(s, PRI_CMD, 0, 1024, 8);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xc8);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    QT_CHECK_EQ(st & 0x01, 0, "READ DMA into ROM ends");
    qtest_memread(s, 0xffff0000u, mem + 0x1000, 0x1000);
    QT_CHECK(!memcmp(mem, mem + 0x1000, 0x1000), "... the ROM is unchanged");
    qtest_outb(s, BM_BASE, 0);

    /*
     * 8. resets while a 1 MiB mapped read is in flight: the device and
     * then the bus master keep working (emu waits for the read rather
     * than let it land in memory after the reset)
     */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 16; i++) {
            prd_set(s, i, MAP_BUF + i * 0x10000, 0, i == 15);
        }
        set_lba48(s, PRI_CMD, 0, total / 512);
        qtest_outb(s, PRI_CMD + REG_CMD, 0x25);
        bm_start(s, BM_BASE, PRD_ADDR, true);
        if (round == 0) {
            qtest_outb(s, PRI_CTL, 0x04);   /* SRST */
            qtest_outb(s, PRI_CTL, 0x00);
        } else if (round == 1) {
            qtest_outb(s, BM_BASE, 0);      /* stop the bus master */
        } else {
            qtest_outb(s, PRI_CMD + REG_CMD, 0x08);     /* DEVICE RESET */
        }
        wait_not_busy(s, PRI_CTL);
        qtest_outb(s, BM_BASE, 0);
        qtest_outb(s, PRI_CTL, 0x04);
        qtest_outb(s, PRI_CTL, 0x00);
        wait_not_busy(s, PRI_CTL);
        qtest_outb(s, PRI_CMD + REG_DEVICE, 0xa0);
        qtest_outb(s, PRI_CMD + REG_CMD, 0xec);
        QT_CHECK(pio_read(s, PRI_CMD, PRI_CTL, id, 512) &&
                 id[0] == 0x40 && id[1] == 0x00,
                 round == 0 ? "IDENTIFY after SRST during a mapped read" :
                 round == 1 ? "IDENTIFY after a bus-master stop during a "
                              "mapped read" :
                              "IDENTIFY after DEVICE RESET during a mapped "
                              "read");
    }

    /* 9. and a clean 1 MiB read still works after all that */
    QT_CHECK(file_read(disk, 0, img, total), "read the image's first MiB");
    qtest_memset(s, MAP_BUF, 0, total);
    for (int i = 0; i < 16; i++) {
        prd_set(s, i, MAP_BUF + i * 0x10000, 0, i == 15);
    }
    set_lba48(s, PRI_CMD, 0, total / 512);
    qtest_outb(s, PRI_CMD + REG_CMD, 0x25);
    bm_start(s, BM_BASE, PRD_ADDR, true);
    st = bm_wait(s, BM_BASE, PRI_CTL);
    qtest_bufread(s, MAP_BUF, mem, total);
    QT_CHECK_EQ(st & 0x07, 0x04, "1 MiB READ DMA EXT after the resets");
    QT_CHECK(!memcmp(mem, img, total), "... data");
    qtest_outb(s, BM_BASE, 0);

    qtest_quit(s);
    free(img);
    free(mem);
}

/*
 * Errors of the write cache: the image can hold only its first MiB (the
 * file size limit is inherited by emu; SIGXFSZ ignored, so writes past it
 * fail with EFBIG).  werror=report: the cached write's command succeeds
 * and the next FLUSH CACHE reports the error, once.  werror=stop: the VM
 * stops with the data held; the next command waits; after the limit is
 * lifted, "cont" writes it and the waiting command runs.
 */
static QTestState *start_limited(const char *disk, const char *werror)
{
    struct rlimit old, lim;
    QTestState *s;

    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 1024 * 1024;
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim);
    s = qtest_initf("-M pc -m 64M -drive file=%s,format=raw,if=ide,index=0,"
                    "werror=%s", disk, werror);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    setup_bmdma(s);
    return s;
}

static uint8_t dma_write_64k(QTestState *s, uint32_t lba, uint32_t seed,
                             uint8_t *data)
{
    fill_pattern(data, 0x10000, seed);
    qtest_bufwrite(s, MAP_BUF, data, 0x10000);
    prd_set(s, 0, MAP_BUF, 0, true);
    set_lba28(s, PRI_CMD, 0, lba, 128);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xca);
    bm_start(s, BM_BASE, PRD_ADDR, false);
    return bm_wait(s, BM_BASE, PRI_CTL);
}

static void test_write_cache_errors(const char *disk)
{
    QTestState *s;
    uint8_t *data = emu_malloc(0x10000), *back = emu_malloc(0x10000);
    struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
    json_object *r;
    uint8_t st;

    /* werror=report */
    s = start_limited(disk, "report");
    st = dma_write_64k(s, 3000, 21, data);
    QT_CHECK_EQ(st & 0x07, 0x04, "cached write past the file limit: the "
                "command itself succeeds");
    QT_CHECK_EQ(qtest_inb(s, PRI_CMD + REG_STATUS) & ST_ERR, 0,
                "... no ERR");
    qtest_outb(s, BM_BASE, 0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xe7);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & ST_ERR, ST_ERR, "FLUSH CACHE reports the failed "
                "cached write");
    qtest_outb(s, PRI_CMD + REG_CMD, 0xe7);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & ST_ERR, 0, "... once: the next FLUSH CACHE succeeds");
    st = dma_write_64k(s, 100, 22, data);
    qtest_outb(s, BM_BASE, 0);
    qtest_outb(s, PRI_CMD + REG_CMD, 0xe7);
    st |= wait_not_busy(s, PRI_CTL) & ST_ERR;
    QT_CHECK(!(st & 0x02) && !(st & ST_ERR) &&
             file_read(disk, 100 * 512, back, 0x10000) &&
             !memcmp(back, data, 0x10000),
             "a write inside the limit still lands");
    qtest_quit(s);

    /* werror=stop */
    s = start_limited(disk, "stop");
    st = dma_write_64k(s, 3000, 23, data);
    QT_CHECK_EQ(st & 0x07, 0x04, "werror=stop: the cached write's command "
                "succeeds");
    qtest_outb(s, BM_BASE, 0);
    qtest_qmp_eventwait(s, "STOP");
    r = qtest_qmp_ok(s, "{'execute': 'query-status'}");
    QT_CHECK_STR(json_object_get_string(json_object_object_get(r, "status")),
                 "io-error", "... and the VM stops with io-error");
    json_object_put(r);
    /* a FLUSH CACHE now waits for the held data */
    qtest_outb(s, PRI_CMD + REG_CMD, 0xe7);
    QT_CHECK_EQ(qtest_inb(s, PRI_CTL) & ST_BSY, ST_BSY,
                "FLUSH CACHE waits while the cached write is held");
    QT_CHECK_EQ(prlimit(qtest_pid(s), RLIMIT_FSIZE, &unlimited, NULL), 0,
                "lift emu's file size limit");
    r = qtest_qmp_ok(s, "{'execute': 'cont'}");
    json_object_put(r);
    st = wait_not_busy(s, PRI_CTL);
    QT_CHECK_EQ(st & (ST_ERR | ST_BSY), 0, "after cont: the FLUSH CACHE "
                "ends without error");
    QT_CHECK(file_read(disk, 3000 * 512, back, 0x10000) &&
             !memcmp(back, data, 0x10000),
             "... and the held data is in the image");
    qtest_quit(s);
    free(data);
    free(back);
}

/* ---- ATAPI ---- */

/*
 * Send a packet on the secondary master; for PIO, read the data-in phase
 * into buf (at most len bytes).  Returns the final status; *got: bytes.
 */
static uint8_t atapi_cmd(QTestState *s, const uint8_t *cdb, uint16_t bcl,
                         bool dma, uint8_t *buf, size_t len, size_t *got)
{
    uint8_t st;
    size_t n = 0;

    qtest_outb(s, SEC_CMD + REG_DEVICE, 0xa0);
    qtest_outb(s, SEC_CMD + REG_FEATURE, dma ? 1 : 0);
    qtest_outb(s, SEC_CMD + REG_LBA1, bcl);
    qtest_outb(s, SEC_CMD + REG_LBA2, bcl >> 8);
    qtest_outb(s, SEC_CMD + REG_CMD, 0xa0);
    st = wait_not_busy(s, SEC_CTL);
    if (!(st & ST_DRQ) || (qtest_inb(s, SEC_CMD + REG_NSECT) & 3) != 1) {
        return 0xff;
    }
    for (int i = 0; i < 6; i++) {
        qtest_outw(s, SEC_CMD + REG_DATA, cdb[2 * i] | (cdb[2 * i + 1] << 8));
    }
    for (int blocks = 0; blocks < 1000; blocks++) {
        uint16_t cnt;
        st = wait_not_busy(s, SEC_CTL);
        if (!(st & ST_DRQ) || dma) {
            break;
        }
        cnt = qtest_inb(s, SEC_CMD + REG_LBA1) |
              (qtest_inb(s, SEC_CMD + REG_LBA2) << 8);
        for (unsigned i = 0; i < cnt; i += 2) {
            uint16_t w = qtest_inw(s, SEC_CMD + REG_DATA);
            if (buf && n + 1 < len) {
                buf[n] = w;
                buf[n + 1] = w >> 8;
            }
            n += 2;
        }
    }
    if (got) {
        *got = n;
    }
    qtest_inb(s, SEC_CMD + REG_STATUS);
    return st;
}

static uint8_t atapi_sense_key(QTestState *s, uint8_t *asc)
{
    uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 };
    uint8_t b[18] = { 0 };

    atapi_cmd(s, cdb, 18, false, b, sizeof(b), NULL);
    if (asc) {
        *asc = b[12];
    }
    return b[2] & 0x0f;
}

static void test_cdrom(const char *iso, const char *iso2)
{
    QTestState *s;
    uint16_t id[256];
    uint8_t buf[8192], fbuf[8192];
    uint8_t cdb[12];
    size_t got;
    uint8_t st, asc;
    char *str;
    json_object *r;

    s = qtest_initf("-M pc -m 64M "
                    "-drive file=%s,format=raw,if=ide,index=2,media=cdrom",
                    iso);
    setup_bmdma(s);

    QT_CHECK_EQ(qtest_inb(s, SEC_CMD + REG_LBA1), 0x14, "ATAPI signature");
    QT_CHECK_EQ(qtest_inb(s, SEC_CMD + REG_LBA2), 0xeb, "ATAPI signature 2");

    /* IDENTIFY DEVICE aborts, IDENTIFY PACKET DEVICE works */
    qtest_outb(s, SEC_CMD + REG_DEVICE, 0xa0);
    qtest_outb(s, SEC_CMD + REG_CMD, 0xec);
    st = wait_not_busy(s, SEC_CTL);
    QT_CHECK_EQ(st & (ST_ERR | ST_DRQ), ST_ERR, "IDENTIFY DEVICE aborts");
    QT_CHECK_EQ(qtest_inb(s, SEC_CMD + REG_LBA2), 0xeb,
                "... leaving the signature");
    qtest_outb(s, SEC_CMD + REG_CMD, 0xa1);
    QT_CHECK(pio_read(s, SEC_CMD, SEC_CTL, id, 512), "IDENTIFY PACKET");
    QT_CHECK_EQ(id[0], 0x85c0, "ATAPI CD-ROM, removable, 12-byte packets");
    str = ata_string(id, 27, 40);
    QT_CHECK_STR(str, "EMU DVD-ROM", "ATAPI model");
    free(str);

    /* unit attention after power-on, then ready */
    memset(cdb, 0, sizeof(cdb));
    st = atapi_cmd(s, cdb, 0, false, NULL, 0, NULL);
    QT_CHECK_EQ(st & ST_ERR, ST_ERR, "first TEST UNIT READY fails");
    QT_CHECK_EQ(qtest_inb(s, SEC_CMD + REG_ERROR) >> 4, 6,
                "... with UNIT ATTENTION");
    QT_CHECK_EQ(atapi_sense_key(s, &asc), 6, "REQUEST SENSE: key 6");
    QT_CHECK_EQ(asc, 0x29, "REQUEST SENSE: power on/reset");
    st = atapi_cmd(s, cdb, 0, false, NULL, 0, NULL);
    QT_CHECK_EQ(st & (ST_ERR | ST_DRQ), 0, "TEST UNIT READY then passes");
    QT_CHECK_EQ(qtest_inb(s, SEC_CMD + REG_NSECT) & 3, 3,
                "interrupt reason: command complete");

    /* INQUIRY */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x12;
    cdb[4] = 36;
    memset(buf, 0, 64);
    st = atapi_cmd(s, cdb, 0xfffe, false, buf, sizeof(buf), &got);
    QT_CHECK(!(st & ST_ERR) && got == 36 && buf[0] == 0x05 &&
             buf[1] == 0x80 && !memcmp(buf + 8, "EMU     ", 8),
             "INQUIRY: removable CD/DVD, vendor EMU");

    /* READ CAPACITY */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x25;
    st = atapi_cmd(s, cdb, 8, false, buf, sizeof(buf), &got);
    QT_CHECK(!(st & ST_ERR) && got == 8, "READ CAPACITY");
    QT_CHECK_EQ(((uint32_t)buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) |
                buf[3], CD_SECTORS - 1, "last LBA");
    QT_CHECK_EQ((buf[4] << 24) | (buf[5] << 16) | (buf[6] << 8) | buf[7],
                2048, "block size 2048");

    /* READ(10) by PIO, one 2048-byte DRQ block per sector */
    file_read(iso, 5 * 2048, fbuf, 2 * 2048);
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x28;
    cdb[5] = 5;
    cdb[8] = 2;
    memset(buf, 0, sizeof(buf));
    st = atapi_cmd(s, cdb, 2048, false, buf, sizeof(buf), &got);
    QT_CHECK(!(st & ST_ERR) && got == 4096 && !memcmp(buf, fbuf, 4096),
             "READ(10) PIO, 2 sectors");
    /* byte count limit smaller than a sector */
    memset(buf, 0, sizeof(buf));
    st = atapi_cmd(s, cdb, 1000, false, buf, sizeof(buf), &got);
    QT_CHECK(!(st & ST_ERR) && got == 4096 && !memcmp(buf, fbuf, 4096),
             "READ(10) PIO with byte count limit 1000");
    /* out of range */
    cdb[5] = CD_SECTORS - 1;
    st = atapi_cmd(s, cdb, 2048, false, buf, sizeof(buf), &got);
    QT_CHECK_EQ(st & ST_ERR, ST_ERR, "READ(10) past the end fails");
    QT_CHECK_EQ(atapi_sense_key(s, &asc), 5, "ILLEGAL REQUEST");
    QT_CHECK_EQ(asc, 0x21, "LBA out of range");

    /* READ(12) by DMA */
    file_read(iso, 7 * 2048, fbuf, 3 * 2048);
    qtest_memset(s, BUF_ADDR, 0, 0x4000);
    prd_set(s, 0, BUF_ADDR, 3 * 2048, true);
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0xa8;
    cdb[5] = 7;
    cdb[9] = 3;
    qtest_outb(s, BM_BASE + 8, 0);
    qtest_outb(s, BM_BASE + 10, 0x06);
    qtest_outl(s, BM_BASE + 12, PRD_ADDR);
    qtest_outb(s, BM_BASE + 8, 0x09);
    st = atapi_cmd(s, cdb, 0, true, NULL, 0, NULL);
    st = bm_wait(s, BM_BASE + 8, SEC_CTL);
    QT_CHECK_EQ(st & 0x07, 0x04, "READ(12) DMA: bus master done");
    qtest_memread(s, BUF_ADDR, buf, 3 * 2048);
    QT_CHECK(!memcmp(buf, fbuf, 3 * 2048), "READ(12) DMA data");
    QT_CHECK_EQ(qtest_inb(s, SEC_CMD + REG_STATUS) & (ST_ERR | ST_DRQ), 0,
                "READ(12) DMA status");
    qtest_outb(s, BM_BASE + 8, 0);

    /* INQUIRY by DMA */
    qtest_memset(s, BUF_ADDR, 0, 64);
    prd_set(s, 0, BUF_ADDR, 64, true);
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x12;
    cdb[4] = 36;
    qtest_outb(s, BM_BASE + 10, 0x06);
    qtest_outb(s, BM_BASE + 8, 0x09);
    atapi_cmd(s, cdb, 0, true, NULL, 0, NULL);
    bm_wait(s, BM_BASE + 8, SEC_CTL);
    qtest_memread(s, BUF_ADDR, buf, 36);
    QT_CHECK(buf[0] == 0x05 && !memcmp(buf + 8, "EMU", 3), "INQUIRY by DMA");
    qtest_outb(s, BM_BASE + 8, 0);

    /* READ TOC format 0, MODE SENSE capabilities, GET CONFIGURATION */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x43;
    cdb[8] = 0xff;
    st = atapi_cmd(s, cdb, 0xfffe, false, buf, sizeof(buf), &got);
    QT_CHECK(!(st & ST_ERR) && got == 20 && buf[2] == 1 && buf[3] == 1 &&
             buf[14] == 0xaa && buf[19] == CD_SECTORS,
             "READ TOC: one track, lead-out at the end");
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x5a;
    cdb[2] = 0x2a;
    cdb[8] = 0xff;
    st = atapi_cmd(s, cdb, 0xfffe, false, buf, sizeof(buf), &got);
    QT_CHECK(!(st & ST_ERR) && got == 30 && buf[8] == 0x2a,
             "MODE SENSE(10) capabilities page");
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x46;
    cdb[8] = 0xff;
    st = atapi_cmd(s, cdb, 0xfffe, false, buf, sizeof(buf), &got);
    QT_CHECK(!(st & ST_ERR) && got >= 8 && buf[7] == 0x08,
             "GET CONFIGURATION: current profile CD-ROM");
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x4a;
    cdb[1] = 1;
    cdb[4] = 0x10;
    cdb[8] = 8;
    st = atapi_cmd(s, cdb, 0xfffe, false, buf, sizeof(buf), &got);
    QT_CHECK(!(st & ST_ERR) && got == 8 && buf[2] == 4 && (buf[5] & 2),
             "GET EVENT STATUS: media present");

    /* tray lock refuses the guest's eject */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x1e;
    cdb[4] = 1;
    atapi_cmd(s, cdb, 0, false, NULL, 0, NULL);
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x1b;
    cdb[4] = 2;                             /* LoEj, stop: eject */
    st = atapi_cmd(s, cdb, 0, false, NULL, 0, NULL);
    QT_CHECK_EQ(st & ST_ERR, ST_ERR, "eject refused while locked");
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x1e;
    atapi_cmd(s, cdb, 0, false, NULL, 0, NULL);

    /* the monitor's eject and change */
    r = qtest_qmp(s, "{'execute': 'eject', 'arguments': "
                  "{'device': 'ide1-cd0'}}");
    if (r && json_object_object_get_ex(r, "return", NULL)) {
        memset(cdb, 0, sizeof(cdb));
        st = atapi_cmd(s, cdb, 0, false, NULL, 0, NULL);
        QT_CHECK_EQ(st & ST_ERR, ST_ERR, "TEST UNIT READY after eject");
        QT_CHECK_EQ(atapi_sense_key(s, &asc), 2, "NOT READY");
        QT_CHECK_EQ(asc, 0x3a, "medium not present");
        json_object_put(r);
        r = qtest_qmp(s, "{'execute': 'blockdev-change-medium', "
                      "'arguments': {'device': 'ide1-cd0', "
                      "'filename': '%s', 'format': 'raw'}}", iso2);
        QT_CHECK(r && json_object_object_get_ex(r, "return", NULL),
                 "blockdev-change-medium");
        st = atapi_cmd(s, cdb, 0, false, NULL, 0, NULL);
        QT_CHECK_EQ(st & ST_ERR, ST_ERR, "unit attention after change");
        QT_CHECK_EQ(atapi_sense_key(s, &asc), 6, "UNIT ATTENTION");
        QT_CHECK_EQ(asc, 0x28, "medium may have changed");
        memset(cdb, 0, sizeof(cdb));
        cdb[0] = 0x25;
        st = atapi_cmd(s, cdb, 8, false, buf, sizeof(buf), &got);
        QT_CHECK(!(st & ST_ERR) &&
                 ((buf[2] << 8) | buf[3]) == 2 * CD_SECTORS - 1,
                 "READ CAPACITY of the new medium");
    } else {
        qtest_tap_diag("SKIP media change: QMP eject not available");
    }
    if (r) {
        json_object_put(r);
    }
    qtest_quit(s);

    /* an empty drive */
    s = qtest_initf("-M pc -m 64M -drive if=ide,index=2,media=cdrom");
    memset(cdb, 0, sizeof(cdb));
    atapi_cmd(s, cdb, 0, false, NULL, 0, NULL);   /* unit attention */
    st = atapi_cmd(s, cdb, 0, false, NULL, 0, NULL);
    QT_CHECK_EQ(st & ST_ERR, ST_ERR, "empty drive: TEST UNIT READY fails");
    QT_CHECK_EQ(atapi_sense_key(s, &asc), 2, "empty drive: NOT READY");
    QT_CHECK_EQ(asc, 0x3a, "empty drive: medium not present");
    qtest_quit(s);
}

/*
 * Random register traffic with real drives behind it: commands, task
 * file values, data port, SRST/nIEN, bus-master start/stop with random
 * PRD tables.  emu must stay alive and answer.
 */
static void test_random(const char *disk, const char *iso)
{
    static const uint8_t cmds[] = {
        0x20, 0x24, 0x25, 0x29, 0x30, 0x34, 0x35, 0x39, 0x40, 0x90, 0x91,
        0xa0, 0xa1, 0xc4, 0xc5, 0xc6, 0xc8, 0xca, 0xe7, 0xea, 0xec, 0xef,
        0x08, 0x00, 0xff,
    };
    QTestState *s;
    /* IDE_TEST_SEED=n runs another sequence (for longer fuzzing) */
    const char *env = getenv("IDE_TEST_SEED");
    uint32_t seed = env ? strtoul(env, NULL, 0) : 12345;
    char *r;

    s = qtest_initf("-M pc -m 64M "
                    "-drive file=%s,format=raw,if=ide,index=0 "
                    "-drive file=%s,format=raw,if=ide,index=2,media=cdrom",
                    disk, iso);
    setup_bmdma(s);
    for (int i = 0; i < 4000; i++) {
        uint32_t x;
        uint16_t base;

        seed = seed * 1103515245 + 12345;
        x = seed >> 8;
        base = (x & 0x100000) ? SEC_CMD : PRI_CMD;
        switch (x % 12) {
        case 0:
            qtest_outb(s, base + REG_CMD, cmds[(x >> 4) % sizeof(cmds)]);
            break;
        case 1: case 2:
            qtest_outb(s, base + 1 + (x >> 4) % 6, x >> 12);
            break;
        case 3:
            qtest_outw(s, base + REG_DATA, x >> 4);
            break;
        case 4:
            qtest_inw(s, base + REG_DATA);
            break;
        case 5:
            qtest_inl(s, base + REG_DATA);
            break;
        case 6:
            qtest_outb(s, base == PRI_CMD ? PRI_CTL : SEC_CTL,
                       (x >> 4) & 0x86);
            break;
        case 7:
            qtest_outb(s, BM_BASE + ((x >> 4) & 8), (x >> 5) & 0x09);
            break;
        case 8:
            qtest_outl(s, BM_BASE + ((x >> 4) & 8) + 4,
                       (x & 0x200000) ? PRD_ADDR : (x << 3));
            break;
        case 9:
            qtest_writel(s, PRD_ADDR + ((x >> 4) & 0x38),
                         (x & 0x400000) ? BUF_ADDR : x << 7);
            qtest_writel(s, PRD_ADDR + ((x >> 4) & 0x38) + 4, x);
            break;
        case 10:
            qtest_inb(s, base + REG_STATUS);
            qtest_inb(s, BM_BASE + 2 + ((x >> 4) & 8));
            break;
        default:
            qtest_outb(s, BM_BASE + 2 + ((x >> 4) & 8), x >> 8);
            break;
        }
    }
    r = qtest_cmd(s, "endianness");
    QT_CHECK(r != NULL, "emu survives 4000 random IDE operations");
    free(r);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    char *disk, *big, *iso, *iso2;
    uint8_t *data;

    qtest_skip_if_no_emu();
    disk = make_image("disk", DISK_SECTORS * 512);
    big = make_image("big", BIG_SECTORS * 512);
    iso = make_image("iso", CD_SECTORS * 2048);
    iso2 = make_image("iso2", 2 * CD_SECTORS * 2048);
    data = emu_malloc(CD_SECTORS * 2048);
    fill_pattern(data, CD_SECTORS * 2048, 9);
    file_write(iso, 0, data, CD_SECTORS * 2048);
    free(data);

    test_disk(disk, big);
    {
        char *map = make_image("map", MAP_SECTORS * 512);
        test_dma_map(map);
        test_write_cache_errors(map);
        unlink(map);
        free(map);
    }
    test_cdrom(iso, iso2);
    test_random(disk, iso);

    unlink(disk);
    unlink(big);
    unlink(iso);
    unlink(iso2);
    free(disk);
    free(big);
    free(iso);
    free(iso2);
    return qtest_tap_finish();
}
