/* qtest: virtio-blk-pci over the legacy and the modern PCI interface, and malformed virtqueues. */
#include "emu/osdep.h"
#include "libqtest.h"
#include <fcntl.h>

#define LEGACY_DEVFN    0x20            /* 04.0: transitional */
#define MODERN_DEVFN    0x28            /* 05.0: disable-legacy=on */
#define LEGACY_IO       0xc000
#define MODERN_BAR4     0xe0000000ULL
#define DISK_SIZE       (1 << 20)
#define DISK_SECTORS    (DISK_SIZE / 512)
#define SERIAL          "EMU-VBLK-SERIAL"

/* Legacy registers (spec 4.1.4.10) */
#define VP_HOST_FEATURES    0
#define VP_GUEST_FEATURES   4
#define VP_QUEUE_PFN        8
#define VP_QUEUE_NUM        12
#define VP_QUEUE_SEL        14
#define VP_QUEUE_NOTIFY     16
#define VP_STATUS           18
#define VP_ISR              19
#define VP_CONFIG           20

/* Modern common config (spec 4.1.4.3) */
#define CC_DFSELECT     0
#define CC_DF           4
#define CC_GFSELECT     8
#define CC_GF           12
#define CC_NUMQ         18
#define CC_STATUS       20
#define CC_Q_SELECT     22
#define CC_Q_SIZE       24
#define CC_Q_ENABLE     28
#define CC_Q_NOFF       30
#define CC_Q_DESC       32
#define CC_Q_AVAIL      40
#define CC_Q_USED       48

#define ST_ACK          1
#define ST_DRIVER       2
#define ST_DRIVER_OK    4
#define ST_FEATURES_OK  8
#define ST_NEEDS_RESET  0x40

#define F_NEXT          1
#define F_WRITE         2
#define F_INDIRECT      4

#define T_IN            0
#define T_OUT           1
#define T_FLUSH         4
#define T_GET_ID        8
#define T_WRITE_ZEROES  13
#define S_OK            0
#define S_IOERR         1
#define S_UNSUPP        2

/* Guest memory used by the test */
#define RING_GPA        0x100000ULL     /* desc, avail, used (modern) */
#define LEGACY_RING_GPA 0x200000ULL
#define HDR_GPA         0x300000ULL
#define DATA_GPA        0x301000ULL
#define STATUS_GPA      0x310000ULL
#define TABLE_GPA       0x320000ULL     /* indirect tables */

typedef struct TQ {
    QTestState *s;
    bool modern;
    uint64_t common, notify, isr, device;   /* modern addresses */
    uint16_t io;                            /* legacy port base */
    uint16_t num;
    uint64_t desc, avail, used;
    uint16_t avail_idx;
    uint16_t used_seen;
} TQ;

static char disk_path[] = "/tmp/emu-vblk-XXXXXX";
static char disk_path2[] = "/tmp/emu-vblk2-XXXXXX";
static uint8_t pattern[DISK_SIZE];

static uint32_t cfg_read(QTestState *s, int devfn, int reg, int size)
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

static void cfg_write(QTestState *s, int devfn, int reg, uint32_t v, int size)
{
    qtest_outl(s, 0xcf8, 0x80000000u | (devfn << 8) | (reg & ~3));
    if (size == 2) {
        qtest_outw(s, 0xcfc + (reg & 2), v);
    } else {
        qtest_outl(s, 0xcfc, v);
    }
}

/* ---- Device status and queue set-up ---- */

/* 64-bit common-config fields are written as two 32-bit halves */
static void write_cc64(QTestState *s, uint64_t addr, uint64_t v)
{
    qtest_writel(s, addr, (uint32_t)v);
    qtest_writel(s, addr + 4, (uint32_t)(v >> 32));
}


static uint8_t get_status(TQ *q)
{
    return q->modern ? qtest_readb(q->s, q->common + CC_STATUS)
                     : qtest_inb(q->s, q->io + VP_STATUS);
}

static void set_status(TQ *q, uint8_t v)
{
    if (q->modern) {
        qtest_writeb(q->s, q->common + CC_STATUS, v);
    } else {
        qtest_outb(q->s, q->io + VP_STATUS, v);
    }
}

static void kick(TQ *q)
{
    if (q->modern) {
        qtest_writew(q->s, q->notify, 0);
    } else {
        qtest_outw(q->s, q->io + VP_QUEUE_NOTIFY, 0);
    }
}

/* Reset, negotiate (features: low word offered & wanted), set up queue 0 */
static bool driver_init(TQ *q, uint32_t want_low)
{
    QTestState *s = q->s;

    set_status(q, 0);
    if (get_status(q) != 0) {
        return false;
    }
    set_status(q, ST_ACK);
    set_status(q, ST_ACK | ST_DRIVER);
    q->avail_idx = q->used_seen = 0;
    if (q->modern) {
        uint32_t f0, f1;
        qtest_writel(s, q->common + CC_DFSELECT, 0);
        f0 = qtest_readl(s, q->common + CC_DF);
        qtest_writel(s, q->common + CC_DFSELECT, 1);
        f1 = qtest_readl(s, q->common + CC_DF);
        if (!(f1 & 1)) {
            return false;           /* no VERSION_1 */
        }
        qtest_writel(s, q->common + CC_GFSELECT, 0);
        qtest_writel(s, q->common + CC_GF, f0 & want_low);
        qtest_writel(s, q->common + CC_GFSELECT, 1);
        qtest_writel(s, q->common + CC_GF, 1);
        set_status(q, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
        if (!(get_status(q) & ST_FEATURES_OK)) {
            return false;
        }
        qtest_writew(s, q->common + CC_Q_SELECT, 0);
        q->num = qtest_readw(s, q->common + CC_Q_SIZE);
        if (q->num != 256) {
            return false;
        }
        q->num = 64;            /* the driver may shrink the queue */
        qtest_writew(s, q->common + CC_Q_SIZE, q->num);
        q->desc = RING_GPA;
        q->avail = RING_GPA + 0x4000;
        q->used = RING_GPA + 0x5000;
        qtest_memset(s, RING_GPA, 0, 0x6000);
        write_cc64(s, q->common + CC_Q_DESC, q->desc);
        write_cc64(s, q->common + CC_Q_AVAIL, q->avail);
        write_cc64(s, q->common + CC_Q_USED, q->used);
        qtest_writew(s, q->common + CC_Q_ENABLE, 1);
        q->notify += 0;     /* queue 0: notify_off 0 */
    } else {
        uint32_t f0 = qtest_inl(s, q->io + VP_HOST_FEATURES);
        qtest_outl(s, q->io + VP_GUEST_FEATURES, f0 & want_low);
        qtest_outw(s, q->io + VP_QUEUE_SEL, 0);
        q->num = qtest_inw(s, q->io + VP_QUEUE_NUM);
        if (q->num != 256) {
            return false;
        }
        q->desc = LEGACY_RING_GPA;
        q->avail = q->desc + 16ULL * q->num;
        q->used = (q->avail + 6 + 2ULL * q->num + 4095) & ~4095ULL;
        qtest_memset(s, LEGACY_RING_GPA, 0, q->used + 8 * q->num + 6 -
                     LEGACY_RING_GPA);
        qtest_outl(s, q->io + VP_QUEUE_PFN, (uint32_t)(q->desc >> 12));
    }
    set_status(q, get_status(q) | ST_DRIVER_OK);
    return true;
}

static void write_desc(QTestState *s, uint64_t table, unsigned i,
                       uint64_t addr, uint32_t len, uint16_t flags,
                       uint16_t next)
{
    uint64_t d = table + 16ULL * i;

    qtest_writeq(s, d, addr);
    qtest_writel(s, d + 8, len);
    qtest_writew(s, d + 12, flags);
    qtest_writew(s, d + 14, next);
}

/* Publish head and kick */
static void post(TQ *q, uint16_t head)
{
    qtest_writew(q->s, q->avail + 4 + 2ULL * (q->avail_idx % q->num), head);
    q->avail_idx++;
    qtest_writew(q->s, q->avail + 2, q->avail_idx);
    kick(q);
}

/* Wait for used->idx to reach want; false on timeout (5 s) */
static bool wait_used(TQ *q, uint16_t want)
{
    for (int i = 0; i < 5000; i++) {
        if (qtest_readw(q->s, q->used + 2) == want) {
            q->used_seen = want;
            return true;
        }
        usleep(1000);
    }
    return false;
}

/* Give the device time to process a (bad) request */
static void settle(TQ *q)
{
    for (int i = 0; i < 20; i++) {
        qtest_readw(q->s, q->used + 2);
        usleep(500);
    }
}

static void write_hdr(QTestState *s, uint32_t type, uint64_t sector)
{
    qtest_writel(s, HDR_GPA, type);
    qtest_writel(s, HDR_GPA + 4, 0);
    qtest_writeq(s, HDR_GPA + 8, sector);
}

/* A well-formed three-descriptor request; returns the status byte */
static int do_request(TQ *q, uint32_t type, uint64_t sector, uint32_t len,
                      bool data_device_writes)
{
    QTestState *s = q->s;
    unsigned base = (q->avail_idx * 3) % q->num;
    unsigned d0 = base, d1 = (base + 1) % q->num, d2 = (base + 2) % q->num;

    write_hdr(s, type, sector);
    qtest_writeb(s, STATUS_GPA, 0xff);
    if (len) {
        write_desc(s, q->desc, d0, HDR_GPA, 16, F_NEXT, d1);
        write_desc(s, q->desc, d1, DATA_GPA, len,
                   F_NEXT | (data_device_writes ? F_WRITE : 0), d2);
        write_desc(s, q->desc, d2, STATUS_GPA, 1, F_WRITE, 0);
    } else {
        write_desc(s, q->desc, d0, HDR_GPA, 16, F_NEXT, d2);
        write_desc(s, q->desc, d2, STATUS_GPA, 1, F_WRITE, 0);
    }
    post(q, d0);
    if (!wait_used(q, q->avail_idx)) {
        return -1;
    }
    return qtest_readb(s, STATUS_GPA);
}

/* Read sectors and compare with the disk's contents on the host */
static bool read_matches(TQ *q, uint64_t sector, uint32_t len)
{
    uint8_t *buf = malloc(len);
    bool ok;
    int st;

    qtest_memset(q->s, DATA_GPA, 0xaa, len);
    st = do_request(q, T_IN, sector, len, true);
    qtest_memread(q->s, DATA_GPA, buf, len);
    ok = st == S_OK && !memcmp(buf, pattern + sector * 512, len);
    free(buf);
    return ok;
}

static void host_file_read(const char *path, uint64_t off, void *buf,
                           size_t len)
{
    int fd = open(path, O_RDONLY);

    if (fd < 0 || pread(fd, buf, len, off) != (ssize_t)len) {
        memset(buf, 0, len);
    }
    if (fd >= 0) {
        close(fd);
    }
}

static void host_disk_read(uint64_t off, void *buf, size_t len)
{
    host_file_read(disk_path, off, buf, len);
}

/* ---- Tests ---- */

static void test_legacy(QTestState *s, TQ *q)
{
    uint8_t buf[512], id[20];
    uint32_t feat;

    QT_CHECK_EQ(cfg_read(s, LEGACY_DEVFN, 0, 2), 0x1af4, "vendor");
    QT_CHECK_EQ(cfg_read(s, LEGACY_DEVFN, 2, 2), 0x1001,
                "transitional virtio-blk device id");
    QT_CHECK_EQ(cfg_read(s, LEGACY_DEVFN, 0x2e, 2), 2,
                "legacy subsystem id = virtio device id");
    QT_CHECK_EQ(cfg_read(s, LEGACY_DEVFN, 0x0a, 2), 0x0100,
                "class: SCSI storage");
    QT_CHECK_EQ(cfg_read(s, LEGACY_DEVFN, 0x3d, 1), 1, "INTA");
    QT_CHECK(cfg_read(s, LEGACY_DEVFN, 0x10, 4) & 1, "BAR0 is I/O");

    cfg_write(s, LEGACY_DEVFN, 0x10, LEGACY_IO, 4);
    cfg_write(s, LEGACY_DEVFN, 0x04, 0x07, 2);
    q->s = s;
    q->modern = false;
    q->io = LEGACY_IO;
    feat = qtest_inl(s, LEGACY_IO + VP_HOST_FEATURES);
    QT_CHECK(feat & (1u << 9), "FLUSH offered (features 0x%x)", feat);
    QT_CHECK(feat & (1u << 28), "INDIRECT_DESC offered");
    QT_CHECK(driver_init(q, feat), "legacy driver set-up");
    QT_CHECK_EQ(qtest_inl(s, LEGACY_IO + VP_CONFIG), DISK_SECTORS,
                "capacity (low word) in the legacy config");
    QT_CHECK_EQ(qtest_inl(s, LEGACY_IO + VP_CONFIG + 4), 0,
                "capacity (high word)");
    QT_CHECK_EQ(qtest_inl(s, LEGACY_IO + VP_CONFIG + 20), 512, "blk_size");

    QT_CHECK(read_matches(q, 0, 4096), "legacy: read 8 sectors");
    QT_CHECK(read_matches(q, 17, 512), "legacy: read sector 17");
    QT_CHECK(qtest_inb(s, LEGACY_IO + VP_ISR) & 1, "ISR queue bit set");
    QT_CHECK_EQ(qtest_inb(s, LEGACY_IO + VP_ISR), 0, "ISR read clears it");

    memset(buf, 0x5c, sizeof(buf));
    qtest_memwrite(s, DATA_GPA, buf, sizeof(buf));
    QT_CHECK_EQ(do_request(q, T_OUT, 5, 512, false), S_OK, "legacy write");
    QT_CHECK_EQ(do_request(q, T_FLUSH, 0, 0, false), S_OK, "flush");
    memset(buf, 0, sizeof(buf));
    host_disk_read(5 * 512, buf, sizeof(buf));
    QT_CHECK(buf[0] == 0x5c && buf[511] == 0x5c,
             "written sector reached the image");
    memset(pattern + 5 * 512, 0x5c, 512);
    QT_CHECK(read_matches(q, 5, 512), "written sector reads back");

    qtest_memset(s, DATA_GPA, 0xee, 20);
    QT_CHECK_EQ(do_request(q, T_GET_ID, 0, 20, true), S_OK, "get-id");
    qtest_memread(s, DATA_GPA, id, sizeof(id));
    QT_CHECK(!memcmp(id, SERIAL, strlen(SERIAL)) &&
             id[strlen(SERIAL)] == 0, "serial returned by get-id");

    QT_CHECK_EQ(do_request(q, T_IN, DISK_SECTORS - 1, 1024, true), S_IOERR,
                "read past the end: IOERR");
    QT_CHECK_EQ(do_request(q, 0x77, 0, 512, true), S_UNSUPP,
                "unknown request type: UNSUPP");
    QT_CHECK_EQ(do_request(q, T_IN, 0, 100, true), S_IOERR,
                "read of a partial sector: IOERR");

    /* A descriptor loop on a legacy device: stops, no NEEDS_RESET */
    write_hdr(s, T_IN, 0);
    write_desc(s, q->desc, 10, HDR_GPA, 16, F_NEXT, 11);
    write_desc(s, q->desc, 11, DATA_GPA, 512, F_NEXT | F_WRITE, 10);
    post(q, 10);
    settle(q);
    QT_CHECK_EQ(qtest_readw(s, q->used + 2), q->used_seen,
                "legacy loop: nothing completed");
    QT_CHECK(!(get_status(q) & ST_NEEDS_RESET),
             "legacy loop: no NEEDS_RESET for a legacy driver");
    QT_CHECK(driver_init(q, feat), "legacy re-init after the error");
    QT_CHECK(read_matches(q, 1, 512), "legacy device answers after reset");
}

/* Find the modern capabilities and map BAR4 */
static bool modern_setup(QTestState *s, TQ *q)
{
    uint8_t pos;
    uint32_t found = 0, mult = 0;

    QT_CHECK_EQ(cfg_read(s, MODERN_DEVFN, 2, 2), 0x1042,
                "modern-only virtio-blk device id");
    QT_CHECK_EQ(cfg_read(s, MODERN_DEVFN, 8, 1), 1, "revision 1");
    QT_CHECK_EQ(cfg_read(s, MODERN_DEVFN, 0x10, 4), 0,
                "no legacy BAR0 with disable-legacy=on");
    QT_CHECK_EQ(cfg_read(s, MODERN_DEVFN, 0x20, 4) & 7, 4,
                "BAR4 is 64-bit memory");

    cfg_write(s, MODERN_DEVFN, 0x20, (uint32_t)MODERN_BAR4, 4);
    cfg_write(s, MODERN_DEVFN, 0x24, 0, 4);
    cfg_write(s, MODERN_DEVFN, 0x04, 0x06, 2);

    memset(q, 0, sizeof(*q));
    q->s = s;
    q->modern = true;
    pos = cfg_read(s, MODERN_DEVFN, 0x34, 1);
    for (int guard = 0; pos && guard < 48; guard++) {
        uint8_t id = cfg_read(s, MODERN_DEVFN, pos, 1);
        if (id == 0x09) {
            uint8_t type = cfg_read(s, MODERN_DEVFN, pos + 3, 1);
            uint8_t bar = cfg_read(s, MODERN_DEVFN, pos + 4, 1);
            uint32_t off = cfg_read(s, MODERN_DEVFN, pos + 8, 4);
            uint64_t addr = MODERN_BAR4 + off;
            if (type >= 1 && type <= 4 && bar == 4) {
                found |= 1u << type;
            }
            switch (type) {
            case 1:
                q->common = addr;
                break;
            case 2:
                q->notify = addr;
                mult = cfg_read(s, MODERN_DEVFN, pos + 16, 4);
                break;
            case 3:
                q->isr = addr;
                break;
            case 4:
                q->device = addr;
                break;
            case 5:
                found |= 1u << 5;
                /* the config-space window onto BAR4: read num_queues */
                cfg_write(s, MODERN_DEVFN, pos + 4, 4, 4);   /* bar 4 */
                cfg_write(s, MODERN_DEVFN, pos + 8, CC_NUMQ, 4);
                cfg_write(s, MODERN_DEVFN, pos + 12, 2, 4);
                QT_CHECK_EQ(cfg_read(s, MODERN_DEVFN, pos + 16, 4) & 0xffff,
                            1, "num_queues through VIRTIO_PCI_CAP_PCI_CFG");
                break;
            }
        }
        pos = cfg_read(s, MODERN_DEVFN, pos + 1, 1);
    }
    QT_CHECK_EQ(found, 0x3e, "common/notify/isr/device/pci-cfg caps");
    QT_CHECK_EQ(mult, 4, "notify_off_multiplier");
    return found == 0x3e;
}

static bool needs_reset_then_recover(TQ *q, const char *what)
{
    bool ok = true;

    settle(q);
    ok &= QT_CHECK_EQ(qtest_readw(q->s, q->used + 2), q->used_seen,
                      "%s: nothing completed", what);
    ok &= QT_CHECK(get_status(q) & ST_NEEDS_RESET, "%s: NEEDS_RESET", what);
    ok &= QT_CHECK(driver_init(q, 1u << 28), "%s: reset and re-init", what);
    ok &= QT_CHECK(!(get_status(q) & ST_NEEDS_RESET),
                   "%s: reset clears NEEDS_RESET", what);
    ok &= QT_CHECK(read_matches(q, 2, 1024), "%s: answers afterwards", what);
    return ok;
}

static void test_modern(QTestState *s, TQ *q)
{
    QTestState *qs = s;

    if (!modern_setup(s, q)) {
        return;
    }
    QT_CHECK(driver_init(q, 1u << 28), "modern driver set-up");
    /*
     * The feature word came in two halves, the low one without VERSION_1
     * or FLUSH: that must not be taken for a legacy driver that wants
     * writethrough (the drive is cache=writeback)
     */
    QT_CHECK_EQ(qtest_readb(s, q->device + 32), 1,
                "writeback cache kept (config wce)");
    QT_CHECK_EQ(qtest_readw(s, q->common + CC_NUMQ), 1, "num_queues");
    QT_CHECK_EQ(qtest_readl(s, q->device), DISK_SECTORS, "capacity");
    QT_CHECK_EQ(qtest_readw(s, q->common + CC_Q_NOFF), 0, "queue_notify_off");
    QT_CHECK(read_matches(q, 8, 8192), "modern: read 16 sectors");
    QT_CHECK(qtest_readb(s, q->isr) & 1, "modern ISR set (INTx mode)");
    QT_CHECK_EQ(qtest_readb(s, q->isr), 0, "modern ISR cleared by read");

    /* A valid indirect request */
    write_hdr(qs, T_IN, 8);
    write_desc(qs, TABLE_GPA, 0, HDR_GPA, 16, F_NEXT, 1);
    write_desc(qs, TABLE_GPA, 1, DATA_GPA, 512, F_NEXT | F_WRITE, 2);
    write_desc(qs, TABLE_GPA, 2, STATUS_GPA, 1, F_WRITE, 0);
    write_desc(qs, q->desc, 0, TABLE_GPA, 48, F_INDIRECT, 0);
    qtest_writeb(qs, STATUS_GPA, 0xff);
    post(q, 0);
    QT_CHECK(wait_used(q, q->avail_idx) &&
             qtest_readb(qs, STATUS_GPA) == S_OK, "indirect request");
    {
        uint8_t buf[512];
        qtest_memread(qs, DATA_GPA, buf, sizeof(buf));
        QT_CHECK(!memcmp(buf, pattern + 8 * 512, 512), "indirect data");
    }

    /* write-zeroes of one sector */
    qtest_writeq(qs, DATA_GPA, 30);
    qtest_writel(qs, DATA_GPA + 8, 1);
    qtest_writel(qs, DATA_GPA + 12, 0);
    QT_CHECK_EQ(do_request(q, T_WRITE_ZEROES, 0, 16, false), S_UNSUPP,
                "write-zeroes not negotiated: UNSUPP");

    /* ---- Malformed rings: each must set NEEDS_RESET ---- */
    write_hdr(qs, T_IN, 0);
    write_desc(qs, q->desc, 0, HDR_GPA, 16, F_NEXT, 1);
    write_desc(qs, q->desc, 1, DATA_GPA, 512, F_NEXT | F_WRITE, 2);
    write_desc(qs, q->desc, 2, HDR_GPA, 16, F_NEXT, 0);
    post(q, 0);
    needs_reset_then_recover(q, "descriptor loop");

    write_desc(qs, q->desc, 0, HDR_GPA, 16, F_NEXT, 1);
    write_desc(qs, q->desc, 1, 0x7fff00000000ULL, 512, F_NEXT | F_WRITE, 2);
    write_desc(qs, q->desc, 2, STATUS_GPA, 1, F_WRITE, 0);
    post(q, 0);
    needs_reset_then_recover(q, "buffer outside guest memory");

    write_desc(qs, q->desc, 0, HDR_GPA, 16, F_NEXT, 1);
    write_desc(qs, q->desc, 1, 0xfffffffffffff000ULL, 0x2000,
               F_NEXT | F_WRITE, 2);
    write_desc(qs, q->desc, 2, STATUS_GPA, 1, F_WRITE, 0);
    post(q, 0);
    needs_reset_then_recover(q, "buffer wrapping the address space");

    write_desc(qs, q->desc, 0, HDR_GPA, 16, F_NEXT, 1);
    write_desc(qs, q->desc, 1, DATA_GPA, 512, F_NEXT | F_WRITE, 200);
    post(q, 0);
    needs_reset_then_recover(q, "next index beyond the queue");

    qtest_writew(qs, q->avail + 4 + 2 * (q->avail_idx % q->num), 999);
    q->avail_idx++;
    qtest_writew(qs, q->avail + 2, q->avail_idx);
    kick(q);
    needs_reset_then_recover(q, "head index beyond the queue");

    q->avail_idx += 100;
    qtest_writew(qs, q->avail + 2, q->avail_idx);
    kick(q);
    needs_reset_then_recover(q, "avail idx moved too far");

    write_desc(qs, q->desc, 0, HDR_GPA, 16, F_NEXT, 1);
    write_desc(qs, q->desc, 1, DATA_GPA, 0, F_NEXT | F_WRITE, 2);
    write_desc(qs, q->desc, 2, STATUS_GPA, 1, F_WRITE, 0);
    post(q, 0);
    needs_reset_then_recover(q, "zero-length buffer");

    /* an indirect table of 1025 entries (more than any queue) */
    write_desc(qs, q->desc, 0, TABLE_GPA, 1025 * 16, F_INDIRECT, 0);
    post(q, 0);
    needs_reset_then_recover(q, "oversized indirect table");

    /* an indirect chain of 1024 entries, each linking to the next,
     * with the last pointing back: a loop inside the table */
    for (unsigned i = 0; i < 64; i++) {
        write_desc(qs, TABLE_GPA, i, DATA_GPA, 16, F_NEXT, (i + 1) % 64);
    }
    write_desc(qs, q->desc, 0, TABLE_GPA, 64 * 16, F_INDIRECT, 0);
    post(q, 0);
    needs_reset_then_recover(q, "loop inside an indirect table");

    write_desc(qs, TABLE_GPA + 0x1000, 0, HDR_GPA, 16, 0, 0);
    write_desc(qs, TABLE_GPA, 0, TABLE_GPA + 0x1000, 16, F_INDIRECT, 0);
    write_desc(qs, q->desc, 0, TABLE_GPA, 16, F_INDIRECT, 0);
    post(q, 0);
    needs_reset_then_recover(q, "indirect table inside an indirect table");

    write_desc(qs, q->desc, 0, TABLE_GPA, 20, F_INDIRECT, 0);
    post(q, 0);
    needs_reset_then_recover(q, "indirect table length not a multiple of 16");

    /* device-writable buffer before a device-readable one */
    write_desc(qs, q->desc, 0, STATUS_GPA, 1, F_NEXT | F_WRITE, 1);
    write_desc(qs, q->desc, 1, HDR_GPA, 16, 0, 0);
    post(q, 0);
    needs_reset_then_recover(q, "readable after writable");

    /* a read whose buffers are all read-only: nowhere to put data/status */
    write_hdr(qs, T_IN, 0);
    write_desc(qs, q->desc, 0, HDR_GPA, 16, F_NEXT, 1);
    write_desc(qs, q->desc, 1, DATA_GPA, 512, F_NEXT, 2);
    write_desc(qs, q->desc, 2, STATUS_GPA, 1, 0, 0);
    post(q, 0);
    needs_reset_then_recover(q, "read into read-only descriptors");

    /* header shorter than 16 bytes */
    write_desc(qs, q->desc, 0, HDR_GPA, 8, F_NEXT, 1);
    write_desc(qs, q->desc, 1, STATUS_GPA, 1, F_WRITE, 0);
    post(q, 0);
    needs_reset_then_recover(q, "short request header");

    /* the descriptor table itself outside guest memory */
    qtest_writew(qs, q->common + CC_Q_SELECT, 0);
    set_status(q, 0);
    set_status(q, ST_ACK | ST_DRIVER);
    qtest_writel(qs, q->common + CC_GFSELECT, 1);
    qtest_writel(qs, q->common + CC_GF, 1);
    set_status(q, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
    write_cc64(qs, q->common + CC_Q_DESC, 0x7f0000000000ULL);
    write_cc64(qs, q->common + CC_Q_AVAIL, q->avail);
    write_cc64(qs, q->common + CC_Q_USED, q->used);
    qtest_memset(qs, q->avail, 0, 0x2000);
    q->avail_idx = q->used_seen = 0;
    qtest_writew(qs, q->common + CC_Q_ENABLE, 1);
    set_status(q, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    qtest_writew(qs, q->avail + 4, 0);
    q->avail_idx = 1;
    qtest_writew(qs, q->avail + 2, 1);
    kick(q);
    needs_reset_then_recover(q, "descriptor table outside guest memory");

    /* notify of a queue that does not exist, bogus common-config writes */
    qtest_writew(qs, q->notify + 4 * 7, 7);
    qtest_writew(qs, q->common + CC_Q_SELECT, 5000);
    qtest_writew(qs, q->common + CC_Q_SELECT, 3);
    qtest_writew(qs, q->common + CC_Q_ENABLE, 1);
    QT_CHECK_EQ(qtest_readw(qs, q->common + CC_Q_SIZE), 0,
                "queue 3 does not exist");
    qtest_writel(qs, q->device + 0xffc, 0x12345678);
    QT_CHECK(read_matches(q, 3, 512), "device still answers");

    /* FEATURES_OK refused for features that were not offered */
    set_status(q, 0);
    set_status(q, ST_ACK | ST_DRIVER);
    qtest_writel(qs, q->common + CC_GFSELECT, 1);
    qtest_writel(qs, q->common + CC_GF, 1 | (1u << 20));
    set_status(q, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
    QT_CHECK(!(get_status(q) & ST_FEATURES_OK),
             "FEATURES_OK refused for unoffered bits");
    QT_CHECK(driver_init(q, 1u << 28), "re-init after refused features");
    QT_CHECK(read_matches(q, 4, 512), "answers after refused features");

    /* block_resize: new capacity, generation bump, config interrupt */
    {
        uint8_t gen = qtest_readb(qs, q->common + 21);
        json_object *r;

        qtest_readb(qs, q->isr);
        r = qtest_qmp_ok(qs, "{'execute': 'block_resize', 'arguments': "
                         "{'device': 'd1', 'size': %d}}", 2 * DISK_SIZE);
        json_object_put(r);
        QT_CHECK_EQ(qtest_readl(qs, q->device), 2 * DISK_SECTORS,
                    "capacity after block_resize");
        QT_CHECK(qtest_readb(qs, q->common + 21) != gen,
                 "config_generation changed");
        QT_CHECK_EQ(qtest_readb(qs, q->isr), 2, "ISR config-change bit");
        QT_CHECK_EQ(do_request(q, T_IN, DISK_SECTORS + 10, 512, true), S_OK,
                    "read beyond the old end after growing");
    }
}

/*
 * The device's write cache (writes of 64 KiB-1 MiB complete once copied):
 * requests queued behind cached writes keep their order.  One kick posts
 * a write, an overlapping write, a read of the range and a flush; the
 * read must see both writes, in order, and after the flush the image
 * holds them.
 */
#define WC_HDR_GPA      0x400000ULL
#define WC_STATUS_GPA   0x401000ULL
#define WC_DATA_GPA     0x500000ULL     /* 128 KiB per request */
#define WC_LEN          (128 * 1024)
#define WC_SECTOR       256

typedef struct BatchReq {
    uint32_t type;
    uint64_t sector;
    uint32_t len;
    int fill;                           /* data written; -1: a read */
} BatchReq;

/*
 * Post reqs in one kick (all visible in the avail ring first), each with
 * its own header, 128 KiB data buffer (WC_DATA_GPA + i * WC_LEN) and
 * status byte; true when all are used and OK.
 */
static bool post_batch(QTestState *s, TQ *q, const BatchReq *reqs,
                       unsigned n, const char *what)
{
    uint16_t start = q->avail_idx;
    bool ok = true;

    for (unsigned i = 0; i < n; i++) {
        uint64_t hdr = WC_HDR_GPA + 16 * i, data = WC_DATA_GPA +
                       (uint64_t)i * WC_LEN, st = WC_STATUS_GPA + i;
        unsigned d = 3 * i;

        qtest_writel(s, hdr, reqs[i].type);
        qtest_writel(s, hdr + 4, 0);
        qtest_writeq(s, hdr + 8, reqs[i].sector);
        qtest_writeb(s, st, 0xff);
        if (reqs[i].fill >= 0) {
            qtest_memset(s, data, reqs[i].fill, reqs[i].len);
        } else if (reqs[i].len) {
            qtest_memset(s, data, 0xaa, reqs[i].len);
        }
        if (reqs[i].len) {
            write_desc(s, q->desc, d, hdr, 16, F_NEXT, d + 1);
            write_desc(s, q->desc, d + 1, data, reqs[i].len,
                       F_NEXT | (reqs[i].type == T_IN ? F_WRITE : 0), d + 2);
        } else {
            write_desc(s, q->desc, d, hdr, 16, F_NEXT, d + 2);
        }
        write_desc(s, q->desc, d + 2, st, 1, F_WRITE, 0);
        qtest_writew(s, q->avail + 4 + 2ULL * (q->avail_idx % q->num), d);
        q->avail_idx++;
    }
    qtest_writew(s, q->avail + 2, q->avail_idx);
    kick(q);
    ok &= QT_CHECK(wait_used(q, (uint16_t)(start + n)), "%s: all done", what);
    for (unsigned i = 0; i < n; i++) {
        ok &= QT_CHECK_EQ(qtest_readb(s, WC_STATUS_GPA + i), S_OK,
                          "%s: request %u status", what, i);
    }
    return ok;
}

static void test_write_cache(QTestState *s, TQ *q)
{
    static const BatchReq reqs[] = {
        { T_OUT, WC_SECTOR, WC_LEN, 0x11 },
        { T_OUT, WC_SECTOR + 64, WC_LEN, 0x22 },  /* overlaps the last 96K */
        { T_IN, WC_SECTOR, WC_LEN, -1 },
        { T_FLUSH, 0, 0, -1 },
        { T_IN, WC_SECTOR + 64, WC_LEN, -1 },
    };
    uint8_t *buf = malloc(WC_LEN), *want = malloc(2 * WC_LEN);
    bool ok;

    post_batch(s, q, reqs, ARRAY_SIZE(reqs), "write cache");
    /* what the device should hold from WC_SECTOR on: 32K of 0x11, 0x22 */
    memset(want, 0x11, 64 * 512);
    memset(want + 64 * 512, 0x22, WC_LEN);
    qtest_memread(s, WC_DATA_GPA + 2ULL * WC_LEN, buf, WC_LEN);
    QT_CHECK(!memcmp(buf, want, WC_LEN),
             "write cache: a read queued behind two overlapping cached "
             "writes sees both, in order");
    qtest_memread(s, WC_DATA_GPA + 4ULL * WC_LEN, buf, WC_LEN);
    QT_CHECK(!memcmp(buf, want + 64 * 512, WC_LEN),
             "write cache: a read after the flush");
    /* the modern device's image */
    host_file_read(disk_path2, WC_SECTOR * 512, buf, WC_LEN);
    ok = !memcmp(buf, want, WC_LEN);
    QT_CHECK(ok, "write cache: the image holds the writes after the flush");
    /* the pattern the other tests expect, back where it was */
    memcpy(pattern + WC_SECTOR * 512, want, 64 * 512 + WC_LEN);
    free(buf);
    free(want);
}

/*
 * Adjacent requests of one kick are merged (as Linux's 1016 KiB + 8 KiB
 * halves of a 1 MiB request): writes 40K + 8K + 16K in a row, then a
 * write elsewhere, then reads 24K + 40K over the first run; each request
 * must still get its own data and status.
 */
#define MG_SECTOR       1024

/* rd_operations or wr_operations of drive d1 (the modern device), or -1 */
static int64_t d1_ops(QTestState *s, const char *key)
{
    json_object *r = qtest_qmp(s, "{'execute': 'query-blockstats'}");
    json_object *list, *e, *dev, *stats, *v;
    int64_t n = -1;

    if (r && json_object_object_get_ex(r, "return", &list)) {
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            e = json_object_array_get_idx(list, i);
            if (json_object_object_get_ex(e, "device", &dev) &&
                !strcmp(json_object_get_string(dev), "d1") &&
                json_object_object_get_ex(e, "stats", &stats) &&
                json_object_object_get_ex(stats, key, &v)) {
                n = json_object_get_int64(v);
            }
        }
    }
    if (r) {
        json_object_put(r);
    }
    return n;
}

static void test_merge(QTestState *s, TQ *q)
{
    static const BatchReq reqs[] = {
        { T_OUT, MG_SECTOR, 40960, 0x31 },
        { T_OUT, MG_SECTOR + 80, 8192, 0x32 },
        { T_OUT, MG_SECTOR + 96, 16384, 0x33 },
        { T_OUT, MG_SECTOR + 512, 4096, 0x34 },   /* not adjacent */
        { T_IN, MG_SECTOR, 24576, -1 },
        { T_IN, MG_SECTOR + 48, 40960, -1 },
    };
    uint8_t want[65536], got[40960];
    int64_t rd0 = d1_ops(s, "rd_operations"), wr0 = d1_ops(s, "wr_operations");

    post_batch(s, q, reqs, ARRAY_SIZE(reqs), "merge");
    /* 4 writes in 2 runs, 2 reads in 1 (whether inline or by a worker) */
    QT_CHECK_EQ(d1_ops(s, "wr_operations") - wr0, 2,
                "merge: adjacent writes reach the image as one request");
    QT_CHECK_EQ(d1_ops(s, "rd_operations") - rd0, 1,
                "merge: adjacent reads reach the image as one request");
    memset(want, 0x31, 40960);
    memset(want + 40960, 0x32, 8192);
    memset(want + 49152, 0x33, 16384);
    qtest_memread(s, WC_DATA_GPA + 4ULL * WC_LEN, got, 24576);
    QT_CHECK(!memcmp(got, want, 24576), "merge: first read's data");
    qtest_memread(s, WC_DATA_GPA + 5ULL * WC_LEN, got, 40960);
    QT_CHECK(!memcmp(got, want + 24576, 40960), "merge: second read's data");
    memcpy(pattern + MG_SECTOR * 512, want, sizeof(want));
    memset(pattern + (MG_SECTOR + 512) * 512, 0x34, 4096);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Addresses a hostile driver might use: RAM, the rings, our BAR, nowhere */
static uint64_t rnd_addr(const TQ *q)
{
    switch (rnd() % 6) {
    case 0:
        return RING_GPA + rnd() % 0x6000;
    case 1:
        return MODERN_BAR4 + rnd() % 0x4000;
    case 2:
        return rnd();
    case 3:
        return q->notify;
    default:
        return HDR_GPA + rnd() % 0x20000;
    }
}

/* Random descriptors, ring addresses and indices; emu must survive */
static void test_random_rings(QTestState *s, TQ *q)
{
    /* VIRTIO_BLK_TEST_ROUNDS=N [VIRTIO_BLK_TEST_SEED=S]: longer runs */
    const char *env = getenv("VIRTIO_BLK_TEST_ROUNDS");
    int rounds = env ? atoi(env) : 300;

    env = getenv("VIRTIO_BLK_TEST_SEED");
    if (env && strtoull(env, NULL, 0)) {
        rng_state = strtoull(env, NULL, 0);
    }

    for (int r = 0; r < rounds; r++) {
        if (r % 25 == 0) {
            driver_init(q, (rnd() & 1) ? (1u << 28) | (1u << 29) : 0);
            if (rnd() % 3 == 0) {
                /* rings somewhere odd, even on the device itself */
                qtest_writew(s, q->common + CC_Q_SELECT, 0);
                set_status(q, 0);
                set_status(q, ST_ACK | ST_DRIVER);
                qtest_writel(s, q->common + CC_GFSELECT, 1);
                qtest_writel(s, q->common + CC_GF, 1);
                set_status(q, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
                write_cc64(s, q->common + CC_Q_DESC, rnd_addr(q));
                write_cc64(s, q->common + CC_Q_AVAIL, q->avail);
                write_cc64(s, q->common + CC_Q_USED, rnd_addr(q));
                qtest_writew(s, q->common + CC_Q_ENABLE, 1);
                set_status(q, ST_ACK | ST_DRIVER | ST_FEATURES_OK |
                           ST_DRIVER_OK);
            }
        }
        for (int i = 0; i < 4; i++) {
            uint64_t table = (rnd() & 1) ? q->desc : TABLE_GPA;
            write_desc(s, table, rnd() % q->num, rnd_addr(q),
                       (rnd() & 1) ? rnd() % 0x2000 : (uint32_t)rnd(),
                       rnd() & 7, rnd() % (q->num + 4));
        }
        /* reads only, so that the final check knows the disk contents */
        static const uint32_t types[] = { T_IN, T_FLUSH, T_GET_ID, 0x77 };
        write_hdr(s, types[rnd() % 4], rnd() % (DISK_SECTORS + 8));
        qtest_writew(s, q->avail + 4 + 2 * (rnd() % q->num),
                     rnd() % (q->num + 2));
        qtest_writew(s, q->avail + 2, (rnd() & 3) ? q->avail_idx + 1 + rnd() % 3
                                                  : (uint16_t)rnd());
        q->avail_idx++;
        if (rnd() & 1) {
            qtest_writew(s, q->avail, rnd() & 1);    /* NO_INTERRUPT */
        }
        kick(q);
        if (rnd() % 8 == 0) {
            qtest_readb(s, q->isr);
        }
    }
    settle(q);
    QT_CHECK(driver_init(q, 1u << 28), "random rings: reset and re-init");
    QT_CHECK(read_matches(q, 6, 2048), "random rings: device answers");
}

int main(void)
{
    QTestState *s;
    TQ legacy = { 0 }, modern = { 0 };
    int fd;

    qtest_skip_if_no_emu();
    fd = mkstemp(disk_path);
    if (fd < 0) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(pattern); i++) {
        pattern[i] = (uint8_t)(i * 7 + (i >> 9));
    }
    if (write(fd, pattern, sizeof(pattern)) != (ssize_t)sizeof(pattern)) {
        close(fd);
        unlink(disk_path);
        return 1;
    }
    close(fd);
    fd = mkstemp(disk_path2);
    if (fd < 0 ||
        write(fd, pattern, sizeof(pattern)) != (ssize_t)sizeof(pattern)) {
        unlink(disk_path);
        return 1;
    }
    close(fd);

    s = qtest_initf("-M pc -m 256 "
                    "-drive if=none,id=d0,format=raw,file=%s "
                    "-device virtio-blk-pci,drive=d0,addr=04.0,serial=%s "
                    "-drive if=none,id=d1,format=raw,file=%s "
                    "-device virtio-blk-pci,drive=d1,addr=05.0,"
                    "disable-legacy=on",
                    disk_path, SERIAL, disk_path2);
    test_legacy(s, &legacy);
    test_modern(s, &modern);
    test_write_cache(s, &modern);
    test_merge(s, &modern);
    test_random_rings(s, &modern);
    qtest_quit(s);
    unlink(disk_path);
    unlink(disk_path2);
    return qtest_tap_finish();
}
