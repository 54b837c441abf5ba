/* qtest: virtio-balloon-pci and virtio-rng-pci driven through their legacy I/O BAR, plus the balloon monitor commands. */
#include "emu/osdep.h"
#include "libqtest.h"

#define BALLOON_DEVFN   0x28            /* 05.0 */
#define RNG_DEVFN       0x30            /* 06.0 */
#define BALLOON_IO      0xc000
#define RNG_IO          0xc100

/* Legacy virtio-pci registers (spec 4.1.4.10) */
#define VP_HOST_FEATURES    0
#define VP_GUEST_FEATURES   4
#define VP_QUEUE_PFN        8
#define VP_QUEUE_NUM        12
#define VP_QUEUE_SEL        14
#define VP_QUEUE_NOTIFY     16
#define VP_STATUS           18
#define VP_CONFIG           20          /* MSI-X stays disabled here */

#define ST_ACK      1
#define ST_DRIVER   2
#define ST_DRIVER_OK 4

#define VRING_DESC_F_WRITE 2

#define RAM_MB          256
#define PATTERN_BASE    0x1000000       /* 16 MiB: pages to inflate */
#define RSS_BASE        0x4000000       /* 64 MiB: 64 MiB to touch */
#define RSS_PAGES       16384

/* A legacy split ring at ring_gpa: descriptors, avail, used at +4 KiB
 * multiple; one descriptor per request, reused in turn. */
typedef struct TestQueue {
    uint16_t io;
    uint16_t index;
    uint16_t num;
    uint64_t ring;
    uint16_t avail_idx;
} TestQueue;

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
    if (size == 2) {
        qtest_outw(s, 0xcfc + (reg & 2), v);
    } else {
        qtest_outl(s, 0xcfc, v);
    }
}

static void pci_enable_io(QTestState *s, int devfn, uint16_t io)
{
    pci_cfg_write(s, devfn, 0x10, io, 4);
    pci_cfg_write(s, devfn, 0x04, 0x05, 2);     /* I/O + bus master */
}

static uint64_t vring_used(const TestQueue *q)
{
    uint64_t avail_end = q->ring + 16ULL * q->num + 6 + 2ULL * q->num;

    return (avail_end + 4095) & ~4095ULL;
}

/* Select a queue, give it a ring at ring_gpa (4 KiB aligned) */
static bool queue_setup(QTestState *s, TestQueue *q, uint16_t io,
                        uint16_t index, uint64_t ring_gpa)
{
    q->io = io;
    q->index = index;
    q->ring = ring_gpa;
    q->avail_idx = 0;
    qtest_outw(s, io + VP_QUEUE_SEL, index);
    q->num = qtest_inw(s, io + VP_QUEUE_NUM);
    if (!q->num) {
        return false;
    }
    qtest_memset(s, ring_gpa, 0, vring_used(q) + 4096 - ring_gpa);
    qtest_outl(s, io + VP_QUEUE_PFN, (uint32_t)(ring_gpa >> 12));
    return true;
}

/* Post one buffer and kick; returns the used index to wait for */
static uint16_t queue_post(QTestState *s, TestQueue *q, uint64_t addr,
                           uint32_t len, bool device_writes)
{
    uint16_t slot = q->avail_idx % q->num;
    uint64_t desc = q->ring + 16ULL * slot;
    uint64_t avail = q->ring + 16ULL * q->num;

    qtest_writeq(s, desc, addr);
    qtest_writel(s, desc + 8, len);
    qtest_writew(s, desc + 12, device_writes ? VRING_DESC_F_WRITE : 0);
    qtest_writew(s, desc + 14, 0);
    qtest_writew(s, avail + 4 + 2ULL * slot, slot);
    q->avail_idx++;
    qtest_writew(s, avail + 2, q->avail_idx);
    qtest_outw(s, q->io + VP_QUEUE_NOTIFY, q->index);
    return q->avail_idx;
}

static uint16_t queue_used_idx(QTestState *s, const TestQueue *q)
{
    return qtest_readw(s, vring_used(q) + 2);
}

static uint32_t queue_used_len(QTestState *s, const TestQueue *q,
                               uint16_t used_idx)
{
    return qtest_readl(s, vring_used(q) + 4 + 8ULL * ((used_idx - 1) % q->num)
                       + 4);
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) {
            break;
        }
    }
    fclose(f);
    return kib;
}

static bool page_is(QTestState *s, uint64_t addr, uint8_t value)
{
    uint8_t buf[4096];
    size_t i;

    qtest_memread(s, addr, buf, sizeof(buf));
    for (i = 0; i < sizeof(buf); i++) {
        if (buf[i] != value) {
            return false;
        }
    }
    return true;
}

static const char *qmp_error_class(json_object *resp)
{
    json_object *err, *cls;

    if (json_object_object_get_ex(resp, "error", &err) &&
        json_object_object_get_ex(err, "class", &cls)) {
        return json_object_get_string(cls);
    }
    return NULL;
}

static const char *qmp_error_desc(json_object *resp)
{
    json_object *err, *desc;

    if (json_object_object_get_ex(resp, "error", &err) &&
        json_object_object_get_ex(err, "desc", &desc)) {
        return json_object_get_string(desc);
    }
    return NULL;
}

static int64_t query_balloon_actual(QTestState *s)
{
    json_object *r = qtest_qmp_ok(s, "{'execute': 'query-balloon'}");
    json_object *a;
    int64_t v = -1;

    if (json_object_object_get_ex(r, "actual", &a)) {
        v = json_object_get_int64(a);
    }
    json_object_put(r);
    return v;
}

static char *hmp(QTestState *s, const char *cmd)
{
    json_object *r = qtest_qmp_ok(s, "{'execute': 'human-monitor-command', "
                                  "'arguments': {'command-line': '%s'}}",
                                  cmd);
    char *out = strdup(json_object_get_string(r));

    json_object_put(r);
    return out;
}

static void test_no_balloon(void)
{
    QTestState *s = qtest_init("-M pc -m 64M");
    json_object *r;
    char *out;

    r = qtest_qmp(s, "{'execute': 'query-balloon'}");
    QT_CHECK_STR(qmp_error_class(r), "DeviceNotActive",
                 "query-balloon without a balloon: DeviceNotActive");
    QT_CHECK_STR(qmp_error_desc(r), "No balloon device has been activated",
                 "query-balloon without a balloon: QEMU's message");
    json_object_put(r);
    r = qtest_qmp(s, "{'execute': 'balloon', 'arguments': {'value': 1048576}}");
    QT_CHECK_STR(qmp_error_class(r), "DeviceNotActive",
                 "balloon without a balloon: DeviceNotActive");
    json_object_put(r);
    out = hmp(s, "info balloon");
    QT_CHECK(strstr(out, "No balloon device has been activated") != NULL,
             "info balloon without a balloon says so (got '%s')", out);
    free(out);
    qtest_quit(s);
}

static void test_balloon(void)
{
    char logpath[] = "/tmp/emu-balloon-test-XXXXXX";
    int logfd = mkstemp(logpath);
    QTestState *s;
    TestQueue ivq, dvq, svq;
    uint32_t pfns[RSS_PAGES];
    uint8_t bios_before[4096], bios_after[4096];
    uint32_t id;
    long rss_before, rss_full, rss_after;
    json_object *r, *ev, *data, *actual;
    char *out, logbuf[4096];
    ssize_t n;
    unsigned i;

    close(logfd);
    s = qtest_initf("-M pc -m %dM -d guest_errors -D %s "
                    "-device virtio-balloon-pci,addr=05.0,id=balloon0,"
                    "guest-stats-polling-interval=1", RAM_MB, logpath);

    id = pci_cfg_read(s, BALLOON_DEVFN, 0, 4);
    QT_CHECK_EQ(id, 0x10021af4, "transitional balloon ID 1af4:1002");
    QT_CHECK_EQ(pci_cfg_read(s, BALLOON_DEVFN, 0x2e, 2), 5,
                "subsystem ID is the virtio device ID (5)");
    pci_enable_io(s, BALLOON_DEVFN, BALLOON_IO);

    /* Features: STATS_VQ and PAGE_POISON offered, no DEFLATE_ON_OOM */
    {
        uint32_t f = qtest_inl(s, BALLOON_IO + VP_HOST_FEATURES);

        QT_CHECK(f & (1u << 1), "STATS_VQ offered (0x%x)", f);
        QT_CHECK(!(f & (1u << 2)), "DEFLATE_ON_OOM off by default");
        QT_CHECK(!(f & (1u << 0)), "MUST_TELL_HOST not offered (as QEMU)");
    }
    QT_CHECK_EQ(qtest_inl(s, BALLOON_IO + VP_CONFIG), 0, "num_pages 0");
    QT_CHECK_EQ(query_balloon_actual(s), (int64_t)RAM_MB << 20,
                "query-balloon: all RAM at start");

    /* Driver set-up: inflate, deflate, stats queues */
    qtest_outb(s, BALLOON_IO + VP_STATUS, ST_ACK | ST_DRIVER);
    qtest_outl(s, BALLOON_IO + VP_GUEST_FEATURES, 1u << 1);
    QT_CHECK(queue_setup(s, &ivq, BALLOON_IO, 0, 0x100000), "inflate queue");
    QT_CHECK(queue_setup(s, &dvq, BALLOON_IO, 1, 0x110000), "deflate queue");
    QT_CHECK(queue_setup(s, &svq, BALLOON_IO, 2, 0x120000), "stats queue");
    qtest_outb(s, BALLOON_IO + VP_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);

    /* balloon 128 MiB: the device asks for (256 - 128) MiB of pages */
    r = qtest_qmp(s, "{'execute': 'balloon', 'arguments': {'value': %d}}",
                  128 << 20);
    QT_CHECK(json_object_object_get_ex(r, "return", NULL), "balloon ok");
    json_object_put(r);
    QT_CHECK_EQ(qtest_inl(s, BALLOON_IO + VP_CONFIG), (128 << 20) / 4096,
                "num_pages after balloon 128M");
    r = qtest_qmp(s, "{'execute': 'balloon', 'arguments': {'value': 0}}");
    QT_CHECK_STR(qmp_error_desc(r), "Parameter 'target' expects a size",
                 "balloon 0 is refused as QEMU");
    json_object_put(r);

    /* Inflate 16 pages plus PFNs outside RAM (BIOS ROM, APIC, far away) */
    qtest_memset(s, PATTERN_BASE, 0xaa, 17 * 4096);
    qtest_memread(s, 0xf0000, bios_before, sizeof(bios_before));
    for (i = 0; i < 16; i++) {
        pfns[i] = (PATTERN_BASE >> 12) + i;
    }
    pfns[16] = 0xf0;
    pfns[17] = 0xfee00;
    pfns[18] = 0xfffffff0;
    qtest_memwrite(s, 0x200000, pfns, 19 * 4);
    QT_CHECK_EQ(queue_post(s, &ivq, 0x200000, 19 * 4, false),
                queue_used_idx(s, &ivq), "inflate request completed");
    QT_CHECK(page_is(s, PATTERN_BASE, 0) &&
             page_is(s, PATTERN_BASE + 15 * 4096, 0),
             "inflated pages were discarded (read as zero)");
    QT_CHECK(page_is(s, PATTERN_BASE + 16 * 4096, 0xaa),
             "the page after them is untouched");
    qtest_memread(s, 0xf0000, bios_after, sizeof(bios_after));
    QT_CHECK(!memcmp(bios_before, bios_after, sizeof(bios_after)),
             "a PFN in the BIOS ROM is not discarded");
    n = 0;
    {
        FILE *f = fopen(logpath, "r");

        if (f) {
            n = fread(logbuf, 1, sizeof(logbuf) - 1, f);
            fclose(f);
        }
        logbuf[n > 0 ? n : 0] = 0;
    }
    QT_CHECK(strstr(logbuf, "outside RAM") != NULL,
             "bad PFNs are logged as guest errors");

    /* Deflate: the pages come back, zeroed and writable */
    qtest_memwrite(s, 0x201000, pfns, 16 * 4);
    QT_CHECK_EQ(queue_post(s, &dvq, 0x201000, 16 * 4, false),
                queue_used_idx(s, &dvq), "deflate request completed");
    qtest_memset(s, PATTERN_BASE, 0x5a, 4096);
    QT_CHECK(page_is(s, PATTERN_BASE, 0x5a), "deflated page is usable");

    /* The guest reports what it gave: actual, event, query, info */
    qtest_outl(s, BALLOON_IO + VP_CONFIG + 4, (128 << 20) / 4096);
    ev = qtest_qmp_eventwait_ref(s, "BALLOON_CHANGE");
    QT_CHECK(json_object_object_get_ex(ev, "data", &data) &&
             json_object_object_get_ex(data, "actual", &actual) &&
             json_object_get_int64(actual) == 128 << 20,
             "BALLOON_CHANGE with actual=128 MiB in bytes");
    json_object_put(ev);
    QT_CHECK_EQ(query_balloon_actual(s), 128 << 20, "query-balloon actual");
    out = hmp(s, "info balloon");
    QT_CHECK(!strncmp(out, "balloon: actual=128\r\n", 21) ||
             !strncmp(out, "balloon: actual=128\n", 20),
             "info balloon prints QEMU's line (got '%s')", out);
    free(out);
    out = hmp(s, "balloon 200");
    free(out);
    QT_CHECK_EQ(qtest_inl(s, BALLOON_IO + VP_CONFIG), (56 << 20) / 4096,
                "HMP balloon 200 (MiB) sets num_pages");

    /* RSS: touch 64 MiB, inflate all of it, RSS drops by most of it */
    qtest_memset(s, RSS_BASE, 0x77, (uint64_t)RSS_PAGES * 4096);
    rss_full = rss_kib(qtest_pid(s));
    for (i = 0; i < RSS_PAGES; i++) {
        pfns[i] = (RSS_BASE >> 12) + i;
    }
    qtest_memwrite(s, 0x400000, pfns, sizeof(pfns));
    QT_CHECK_EQ(queue_post(s, &ivq, 0x400000, sizeof(pfns), false),
                queue_used_idx(s, &ivq), "large inflate completed");
    rss_after = rss_kib(qtest_pid(s));
    rss_before = rss_full;
    qtest_tap_diag("emu VmRSS: %ld KiB with 64 MiB touched, %ld KiB after "
                   "inflating it", rss_before, rss_after);
    QT_CHECK(rss_full > 0 && rss_after > 0 &&
             rss_full - rss_after > 48 * 1024,
             "emu's RSS dropped by more than 48 MiB");

    /* Stats: the device keeps the buffer and returns it at each poll */
    {
        uint8_t stat[10] = { 4, 0, 0x00, 0x10, 0, 0, 0, 0, 0, 0 };
        uint16_t before;

        qtest_memwrite(s, 0x202000, stat, sizeof(stat));
        before = queue_used_idx(s, &svq);
        queue_post(s, &svq, 0x202000, sizeof(stat), false);
        QT_CHECK_EQ(queue_used_idx(s, &svq), before,
                    "stats buffer held until the poll");
        qtest_clock_step(s, 1100 * 1000 * 1000LL);
        QT_CHECK_EQ(queue_used_idx(s, &svq), (uint16_t)(before + 1),
                    "stats buffer returned after the polling interval");
    }

    /* Malformed: a descriptor pointing outside RAM, emu survives */
    queue_post(s, &ivq, 0xfffffffff000ULL, 4096, false);
    QT_CHECK(qtest_readl(s, PATTERN_BASE + 16 * 4096) == 0xaaaaaaaa,
             "emu survives a PFN list outside RAM");

    qtest_quit(s);
    unlink(logpath);
}

static void test_balloon_options(void)
{
    QTestState *s = qtest_init("-M pc -m 64M -device virtio-balloon-pci,"
                               "addr=05.0,deflate-on-oom=on,page-poison=off,"
                               "free-page-reporting=on");
    uint32_t f;

    pci_enable_io(s, BALLOON_DEVFN, BALLOON_IO);
    f = qtest_inl(s, BALLOON_IO + VP_HOST_FEATURES);
    QT_CHECK(f & (1u << 2), "deflate-on-oom=on offers DEFLATE_ON_OOM");
    QT_CHECK(f & (1u << 5), "free-page-reporting=on offers PAGE_REPORTING");
    QT_CHECK(!(f & (1u << 4)), "page-poison=off hides PAGE_POISON");
    qtest_outw(s, BALLOON_IO + VP_QUEUE_SEL, 3);
    QT_CHECK_EQ(qtest_inw(s, BALLOON_IO + VP_QUEUE_NUM), 32,
                "the reporting queue is queue 3");
    qtest_outw(s, BALLOON_IO + VP_QUEUE_SEL, 4);
    QT_CHECK_EQ(qtest_inw(s, BALLOON_IO + VP_QUEUE_NUM), 0, "no queue 4");
    qtest_quit(s);
}

static void test_rng(void)
{
    QTestState *s;
    TestQueue q;
    uint8_t buf[64], zero[64] = { 0 };
    uint16_t idx;

    s = qtest_init("-M pc -m 64M -device virtio-rng-pci,addr=06.0,"
                   "max-bytes=16,period=1000");
    QT_CHECK_EQ(pci_cfg_read(s, RNG_DEVFN, 0, 4), 0x10051af4,
                "transitional rng ID 1af4:1005");
    pci_enable_io(s, RNG_DEVFN, RNG_IO);
    qtest_outb(s, RNG_IO + VP_STATUS, ST_ACK | ST_DRIVER);
    qtest_outl(s, RNG_IO + VP_GUEST_FEATURES, 0);
    QT_CHECK(queue_setup(s, &q, RNG_IO, 0, 0x100000), "rng queue");
    qtest_outb(s, RNG_IO + VP_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);

    qtest_memset(s, 0x200000, 0, 64);
    idx = queue_post(s, &q, 0x200000, 64, true);
    QT_CHECK_EQ(queue_used_idx(s, &q), idx, "first request served");
    QT_CHECK_EQ(queue_used_len(s, &q, idx), 16, "limited to max-bytes=16");
    qtest_memread(s, 0x200000, buf, sizeof(buf));
    QT_CHECK(memcmp(buf, zero, 16) != 0 && !memcmp(buf + 16, zero, 48),
             "16 random bytes written, the rest untouched");

    idx = queue_post(s, &q, 0x200100, 64, true);
    QT_CHECK_EQ(queue_used_idx(s, &q), (uint16_t)(idx - 1),
                "second request waits for the next period");
    qtest_clock_step(s, 1001 * 1000 * 1000LL);
    QT_CHECK_EQ(queue_used_idx(s, &q), idx, "served after the period");
    QT_CHECK_EQ(queue_used_len(s, &q, idx), 16, "again 16 bytes");
    qtest_quit(s);

    /* Without a limit a 4 KiB request is filled completely */
    s = qtest_init("-M pc -m 64M -device virtio-rng-pci,addr=06.0");
    pci_enable_io(s, RNG_DEVFN, RNG_IO);
    qtest_outb(s, RNG_IO + VP_STATUS, ST_ACK | ST_DRIVER);
    QT_CHECK(queue_setup(s, &q, RNG_IO, 0, 0x100000), "rng queue (2)");
    qtest_outb(s, RNG_IO + VP_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);
    idx = queue_post(s, &q, 0x200000, 4096, true);
    QT_CHECK_EQ(queue_used_len(s, &q, idx), 4096, "4 KiB of entropy");
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    qtest_skip_if_no_emu();
    test_no_balloon();
    test_balloon();
    test_balloon_options();
    test_rng();
    return qtest_tap_finish();
}
