/* virtio-balloon: guest memory ballooning (virtio 1.2 spec 5.5) with the balloon/query-balloon monitor commands. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "hw/boards.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-pci.h"
#include "monitor/monitor.h"
#include "system/memory.h"
#include <sys/mman.h>
#include <time.h>

/* Feature bits (spec 5.5.3) */
#define VIRTIO_BALLOON_F_MUST_TELL_HOST     0
#define VIRTIO_BALLOON_F_STATS_VQ           1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM     2
#define VIRTIO_BALLOON_F_FREE_PAGE_HINT     3
#define VIRTIO_BALLOON_F_PAGE_POISON        4
#define VIRTIO_BALLOON_F_PAGE_REPORTING     5

/* PFNs in the inflate/deflate queues always count 4 KiB pages */
#define VIRTIO_BALLOON_PFN_SHIFT            12
#define BALLOON_PAGE_SIZE                   (1u << VIRTIO_BALLOON_PFN_SHIFT)

/*
 * Config space (spec 5.5.4): num_pages, actual, free_page_hint_cmd_id,
 * poison_val.  As QEMU, the size exposed depends on the offered features:
 * the last two fields exist only with FREE_PAGE_HINT / PAGE_POISON.
 */
#define BALLOON_CFG_NUM_PAGES       0
#define BALLOON_CFG_ACTUAL          4
#define BALLOON_CFG_FREE_PAGE_CMD   8
#define BALLOON_CFG_POISON_VAL      12
#define BALLOON_CFG_SIZE_FULL       16

/* Statistics tags (spec 5.5.6.3) and QEMU's names for them */
enum {
    VIRTIO_BALLOON_S_SWAP_IN = 0,
    VIRTIO_BALLOON_S_SWAP_OUT,
    VIRTIO_BALLOON_S_MAJFLT,
    VIRTIO_BALLOON_S_MINFLT,
    VIRTIO_BALLOON_S_MEMFREE,
    VIRTIO_BALLOON_S_MEMTOT,
    VIRTIO_BALLOON_S_AVAIL,
    VIRTIO_BALLOON_S_CACHES,
    VIRTIO_BALLOON_S_HTLB_PGALLOC,
    VIRTIO_BALLOON_S_HTLB_PGFAIL,
    VIRTIO_BALLOON_S_NR
};

static const char *const balloon_stat_names[VIRTIO_BALLOON_S_NR] = {
    [VIRTIO_BALLOON_S_SWAP_IN] = "stat-swap-in",
    [VIRTIO_BALLOON_S_SWAP_OUT] = "stat-swap-out",
    [VIRTIO_BALLOON_S_MAJFLT] = "stat-major-faults",
    [VIRTIO_BALLOON_S_MINFLT] = "stat-minor-faults",
    [VIRTIO_BALLOON_S_MEMFREE] = "stat-free-memory",
    [VIRTIO_BALLOON_S_MEMTOT] = "stat-total-memory",
    [VIRTIO_BALLOON_S_AVAIL] = "stat-available-memory",
    [VIRTIO_BALLOON_S_CACHES] = "stat-disk-caches",
    [VIRTIO_BALLOON_S_HTLB_PGALLOC] = "stat-htlb-pgalloc",
    [VIRTIO_BALLOON_S_HTLB_PGFAIL] = "stat-htlb-pgfail",
};

/* One statistic as the guest lays it out: le16 tag, le64 value, packed */
#define BALLOON_STAT_SIZE 10

/* BALLOON_CHANGE is throttled to one event per second, as in QEMU */
#define BALLOON_EVENT_RATE_MS 1000

typedef struct VirtIOBalloon {
    VirtIODevice parent_obj;
    VirtQueue *ivq;             /* inflate */
    VirtQueue *dvq;             /* deflate */
    VirtQueue *svq;             /* statistics */
    VirtQueue *rvq;             /* free page reporting */
    /* Properties */
    bool deflate_on_oom;
    bool free_page_reporting;
    bool page_poison;
    uint32_t stats_poll_interval;   /* seconds; 0: no polling */
    /* State */
    uint32_t num_pages;         /* pages the host asks the guest to give */
    uint32_t actual;            /* pages the guest says it has given */
    uint32_t poison_val;
    uint64_t stats[VIRTIO_BALLOON_S_NR];
    int64_t stats_last_update;  /* time(NULL) of the last stats buffer */
    VirtQueueElement *stats_vq_elem;    /* held until the next poll */
    EmuTimer *stats_timer;
    uint64_t pages_discarded;   /* inflated pages given back to the host */
} VirtIOBalloon;

typedef struct VirtIOBalloonPCI {
    VirtIOPCIProxy parent_obj;
    VirtIOBalloon vdev;
} VirtIOBalloonPCI;

/* The one balloon of the machine (QEMU supports only one either) */
static VirtIOBalloon *the_balloon;

/* Rate limiting of BALLOON_CHANGE: the latest value waits for the timer */
static EmuTimer *balloon_event_timer;
static bool balloon_event_pending;
static int64_t balloon_event_value;

static uint16_t balloon_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t balloon_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
           ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t balloon_ld64(const uint8_t *p)
{
    return (uint64_t)balloon_ld32(p) | ((uint64_t)balloon_ld32(p + 4) << 32);
}

static void balloon_st32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static uint64_t balloon_ram_size(void)
{
    return current_machine ? current_machine->ram_size : 0;
}

/* ---- BALLOON_CHANGE event ---- */

static void balloon_event_send(int64_t actual)
{
    json_object *data = json_object_new_object();

    json_object_object_add(data, "actual", json_object_new_int64(actual));
    monitor_event("BALLOON_CHANGE", data);
}

static void balloon_event_timer_cb(void *opaque)
{
    (void)opaque;
    if (balloon_event_pending) {
        balloon_event_pending = false;
        balloon_event_send(balloon_event_value);
        timer_mod(balloon_event_timer,
                  clock_get_ms(EMU_CLOCK_REALTIME) + BALLOON_EVENT_RATE_MS);
    }
}

/*
 * First event at once, then at most one per period: a burst keeps only
 * its last value, sent when the period ends (QEMU's monitor does this).
 */
static void balloon_event_queue(int64_t actual)
{
    if (!balloon_event_timer) {
        balloon_event_timer = timer_new_ms(EMU_CLOCK_REALTIME,
                                           balloon_event_timer_cb, NULL);
    }
    if (timer_pending(balloon_event_timer)) {
        balloon_event_pending = true;
        balloon_event_value = actual;
        return;
    }
    balloon_event_send(actual);
    timer_mod(balloon_event_timer,
              clock_get_ms(EMU_CLOCK_REALTIME) + BALLOON_EVENT_RATE_MS);
}

/* ---- Giving pages back to the host ---- */

/*
 * Host address of the guest RAM page at gpa, or NULL when the page is not
 * entirely ordinary writable RAM (MMIO, ROM, holes, out of range).
 */
static uint8_t *balloon_ram_page(hwaddr gpa)
{
    FlatView *fv = address_space_to_flatview(&address_space_memory);
    const FlatRange *fr = flatview_lookup(fv, gpa);
    uint8_t *base, *host;

    if (!fr || fr->readonly || fr->romd_mode ||
        !memory_region_is_ram(fr->mr) || memory_region_is_rom(fr->mr)) {
        return NULL;
    }
    if (gpa - fr->start > fr->size - BALLOON_PAGE_SIZE ||
        fr->size < BALLOON_PAGE_SIZE) {
        return NULL;
    }
    base = memory_region_get_ram_ptr(fr->mr);
    if (!base) {
        return NULL;
    }
    host = base + fr->offset_in_region + (gpa - fr->start);
    if ((uintptr_t)host & (BALLOON_PAGE_SIZE - 1)) {
        return NULL;
    }
    return host;
}

/*
 * Pages to discard are batched into host-contiguous runs so that a
 * guest giving back a gigabyte costs few madvise() calls.
 */
typedef struct DiscardRun {
    uint8_t *start;
    size_t len;
} DiscardRun;

static void balloon_discard_flush(VirtIOBalloon *s, DiscardRun *run)
{
    if (run->len) {
        /*
         * Anonymous private memory: the pages are freed now and read as
         * zeroes when the guest touches them again (deflate on demand).
         */
        if (madvise(run->start, run->len, MADV_DONTNEED) == 0) {
            s->pages_discarded += run->len / BALLOON_PAGE_SIZE;
        }
        run->len = 0;
    }
}

static void balloon_discard_add(VirtIOBalloon *s, DiscardRun *run,
                                uint8_t *host, size_t len)
{
    if (run->len && run->start + run->len == host) {
        run->len += len;
        return;
    }
    balloon_discard_flush(s, run);
    run->start = host;
    run->len = len;
}

/*
 * With PAGE_POISON negotiated and a non-zero poison value the guest
 * expects freed pages to keep their pattern, so they must not be
 * replaced by zero pages (QEMU keeps them too).
 */
static bool balloon_may_discard(VirtIOBalloon *s)
{
    return !(s->poison_val &&
             virtio_vdev_has_feature(&s->parent_obj,
                                     VIRTIO_BALLOON_F_PAGE_POISON));
}

static void balloon_handle_pfns(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOBalloon *s = (VirtIOBalloon *)vdev;
    bool inflate = vq == s->ivq;
    VirtQueueElement *elem;
    DiscardRun run = { NULL, 0 };
    bool pushed = false;

    while ((elem = virtqueue_pop(vq, sizeof(VirtQueueElement)))) {
        size_t offset = 0;
        uint8_t buf[4];

        while (iov_to_buf(elem->out_sg, elem->out_num, offset,
                          buf, sizeof(buf)) == sizeof(buf)) {
            uint32_t pfn = balloon_ld32(buf);
            hwaddr gpa = (hwaddr)pfn << VIRTIO_BALLOON_PFN_SHIFT;
            uint8_t *host = balloon_ram_page(gpa);

            offset += sizeof(buf);
            if (!host) {
                emu_log_mask(LOG_GUEST_ERROR,
                             "virtio-balloon: %s of PFN 0x%" PRIx32
                             " (0x%" PRIx64 ") outside RAM, ignored\n",
                             inflate ? "inflate" : "deflate", pfn,
                             (uint64_t)gpa);
                continue;
            }
            if (inflate && balloon_may_discard(s)) {
                balloon_discard_add(s, &run, host, BALLOON_PAGE_SIZE);
            }
            /*
             * Deflate needs no work: a discarded page is faulted back in
             * (zero-filled) the first time the guest touches it.
             */
        }
        balloon_discard_flush(s, &run);
        virtqueue_push(vq, elem, 0);
        free(elem);
        pushed = true;
    }
    if (pushed) {
        virtio_notify(vdev, vq);
    }
}

/* Free page reporting (spec 5.5.6.7): each in buffer is a free range */
static void balloon_handle_report(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOBalloon *s = (VirtIOBalloon *)vdev;
    VirtQueueElement *elem;
    bool pushed = false;

    while ((elem = virtqueue_pop(vq, sizeof(VirtQueueElement)))) {
        DiscardRun run = { NULL, 0 };
        unsigned i;

        for (i = 0; i < elem->in_num && balloon_may_discard(s); i++) {
            uintptr_t start = (uintptr_t)elem->in_sg[i].iov_base;
            uintptr_t end = start + elem->in_sg[i].iov_len;

            /* Only whole host pages of guest RAM can be dropped */
            start = (start + BALLOON_PAGE_SIZE - 1) &
                    ~(uintptr_t)(BALLOON_PAGE_SIZE - 1);
            end &= ~(uintptr_t)(BALLOON_PAGE_SIZE - 1);
            if (end <= start ||
                ram_addr_from_host((void *)start) == RAM_ADDR_INVALID ||
                ram_addr_from_host((void *)(end - 1)) == RAM_ADDR_INVALID) {
                continue;
            }
            balloon_discard_add(s, &run, (uint8_t *)start, end - start);
        }
        balloon_discard_flush(s, &run);
        virtqueue_push(vq, elem, 0);
        free(elem);
        pushed = true;
    }
    if (pushed) {
        virtio_notify(vdev, vq);
    }
}

/* ---- Statistics ---- */

static void balloon_stats_reset(VirtIOBalloon *s)
{
    unsigned i;

    for (i = 0; i < VIRTIO_BALLOON_S_NR; i++) {
        s->stats[i] = UINT64_MAX;   /* -1: "not reported", as QEMU */
    }
}

static void balloon_stats_arm(VirtIOBalloon *s, int64_t secs)
{
    if (s->stats_timer) {
        timer_mod(s->stats_timer,
                  clock_get_ms(EMU_CLOCK_VIRTUAL) + secs * 1000);
    }
}

/* Hand the held buffer back so that the driver refills it */
static void balloon_stats_poll(void *opaque)
{
    VirtIOBalloon *s = opaque;
    VirtIODevice *vdev = &s->parent_obj;

    if (!s->stats_vq_elem ||
        !virtio_vdev_has_feature(vdev, VIRTIO_BALLOON_F_STATS_VQ) ||
        !virtio_device_ready(vdev)) {
        if (s->stats_poll_interval) {
            balloon_stats_arm(s, s->stats_poll_interval);
        }
        return;
    }
    virtqueue_push(s->svq, s->stats_vq_elem, 0);
    virtio_notify(vdev, s->svq);
    free(s->stats_vq_elem);
    s->stats_vq_elem = NULL;
}

static void balloon_handle_stats(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOBalloon *s = (VirtIOBalloon *)vdev;
    VirtQueueElement *elem = virtqueue_pop(vq, sizeof(VirtQueueElement));
    uint8_t stat[BALLOON_STAT_SIZE];
    size_t offset = 0;

    if (elem) {
        if (s->stats_vq_elem) {
            /* The driver queued a second buffer: return the first */
            virtqueue_push(vq, s->stats_vq_elem, 0);
            virtio_notify(vdev, vq);
            free(s->stats_vq_elem);
        }
        s->stats_vq_elem = elem;
        balloon_stats_reset(s);
        while (iov_to_buf(elem->out_sg, elem->out_num, offset,
                          stat, sizeof(stat)) == sizeof(stat)) {
            uint16_t tag = balloon_ld16(stat);

            offset += sizeof(stat);
            if (tag < VIRTIO_BALLOON_S_NR) {
                s->stats[tag] = balloon_ld64(stat + 2);
                emu_log_mask(LOG_TRACE, "virtio-balloon: %s=%" PRIu64 "\n",
                             balloon_stat_names[tag], s->stats[tag]);
            }
        }
        s->stats_last_update = time(NULL);
    }
    if (s->stats_poll_interval) {
        balloon_stats_arm(s, s->stats_poll_interval);
    }
}

/* ---- Device hooks ---- */

static size_t balloon_config_size(const VirtIOBalloon *s)
{
    if (s->page_poison) {
        return BALLOON_CFG_SIZE_FULL;
    }
    return BALLOON_CFG_FREE_PAGE_CMD;
}

static void balloon_get_config(VirtIODevice *vdev, uint8_t *config)
{
    VirtIOBalloon *s = (VirtIOBalloon *)vdev;
    uint8_t full[BALLOON_CFG_SIZE_FULL] = { 0 };

    balloon_st32(full + BALLOON_CFG_NUM_PAGES, s->num_pages);
    balloon_st32(full + BALLOON_CFG_ACTUAL, s->actual);
    balloon_st32(full + BALLOON_CFG_POISON_VAL, s->poison_val);
    memcpy(config, full, MIN(vdev->config_len, sizeof(full)));
}

static void balloon_set_config(VirtIODevice *vdev, const uint8_t *config)
{
    VirtIOBalloon *s = (VirtIOBalloon *)vdev;
    uint8_t full[BALLOON_CFG_SIZE_FULL] = { 0 };
    uint32_t old_actual = s->actual;

    memcpy(full, config, MIN(vdev->config_len, sizeof(full)));
    s->actual = balloon_ld32(full + BALLOON_CFG_ACTUAL);
    if (s->actual != old_actual) {
        balloon_event_queue((int64_t)(balloon_ram_size() -
                            ((uint64_t)s->actual << VIRTIO_BALLOON_PFN_SHIFT)));
    }
    s->poison_val = 0;
    if (virtio_vdev_has_feature(vdev, VIRTIO_BALLOON_F_PAGE_POISON)) {
        s->poison_val = balloon_ld32(full + BALLOON_CFG_POISON_VAL);
    }
}

static uint64_t balloon_get_features(VirtIODevice *vdev, uint64_t features)
{
    VirtIOBalloon *s = (VirtIOBalloon *)vdev;

    /*
     * MUST_TELL_HOST is not offered (as QEMU): a discarded page comes
     * back on its own when touched, so the guest may reuse a page before
     * telling us about the deflate.
     */
    features |= 1ULL << VIRTIO_BALLOON_F_STATS_VQ;
    if (s->deflate_on_oom) {
        features |= 1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
    }
    if (s->page_poison) {
        features |= 1ULL << VIRTIO_BALLOON_F_PAGE_POISON;
    }
    if (s->free_page_reporting) {
        features |= 1ULL << VIRTIO_BALLOON_F_PAGE_REPORTING;
    }
    return features;
}

static void balloon_reset(VirtIODevice *vdev)
{
    VirtIOBalloon *s = (VirtIOBalloon *)vdev;

    /* The core has already emptied the queues: just drop our copy */
    free(s->stats_vq_elem);
    s->stats_vq_elem = NULL;
    s->poison_val = 0;
}

static void balloon_realize(VirtIODevice *vdev, Error **errp)
{
    VirtIOBalloon *s = (VirtIOBalloon *)vdev;

    if (the_balloon) {
        error_setg(errp, "Only one balloon device is supported");
        return;
    }
    virtio_init(vdev, balloon_config_size(s));
    /* Queue order is fixed by the spec; sizes as QEMU's */
    s->ivq = virtio_add_queue(vdev, 128, balloon_handle_pfns);
    s->dvq = virtio_add_queue(vdev, 128, balloon_handle_pfns);
    s->svq = virtio_add_queue(vdev, 128, balloon_handle_stats);
    if (s->free_page_reporting) {
        /*
         * The reporting queue's index is the number of queues before it;
         * with FREE_PAGE_HINT (not offered) it would follow that one.
         */
        s->rvq = virtio_add_queue(vdev, 32, balloon_handle_report);
    }
    if (!s->ivq || !s->dvq || !s->svq ||
        (s->free_page_reporting && !s->rvq)) {
        error_setg(errp, "virtio-balloon: cannot create the virtqueues");
        virtio_cleanup(vdev);
        return;
    }
    balloon_stats_reset(s);
    s->stats_timer = timer_new_ms(EMU_CLOCK_VIRTUAL, balloon_stats_poll, s);
    if (s->stats_poll_interval) {
        balloon_stats_arm(s, s->stats_poll_interval);
    }
    the_balloon = s;
}

static void balloon_unrealize(VirtIODevice *vdev)
{
    VirtIOBalloon *s = (VirtIOBalloon *)vdev;

    timer_free(s->stats_timer);
    s->stats_timer = NULL;
    free(s->stats_vq_elem);
    s->stats_vq_elem = NULL;
    if (the_balloon == s) {
        the_balloon = NULL;
    }
    virtio_cleanup(vdev);
}

static const VirtioDeviceInfo virtio_balloon_info = {
    .name = "virtio-balloon",
    .device_id = VIRTIO_ID_BALLOON,
    .realize = balloon_realize,
    .unrealize = balloon_unrealize,
    .get_features = balloon_get_features,
    .get_config = balloon_get_config,
    .set_config = balloon_set_config,
    .reset = balloon_reset,
};

static const Property virtio_balloon_pci_props[] = {
    DEFINE_PROP_BOOL("deflate-on-oom", VirtIOBalloonPCI,
                     vdev.deflate_on_oom, false),
    DEFINE_PROP_BOOL("free-page-reporting", VirtIOBalloonPCI,
                     vdev.free_page_reporting, false),
    DEFINE_PROP_BOOL("page-poison", VirtIOBalloonPCI,
                     vdev.page_poison, true),
    DEFINE_PROP_UINT32("guest-stats-polling-interval", VirtIOBalloonPCI,
                       vdev.stats_poll_interval, 0),
    DEFINE_PROP_END_OF_LIST(),
};

static const VirtioPCIDeviceTypeInfo virtio_balloon_pci_info = {
    .name = "virtio-balloon-pci",
    .desc = "virtio balloon device",
    .category = "Misc devices",
    .vdev_info = &virtio_balloon_info,
    .instance_size = sizeof(VirtIOBalloonPCI),
    .vdev_offset = offsetof(VirtIOBalloonPCI, vdev),
    .props = virtio_balloon_pci_props,
    .class_id = PCI_CLASS_OTHERS,
    .hotpluggable = true,
};

VIRTIO_PCI_REGISTER(virtio_balloon_pci_info)

/* ---- Monitor: balloon, query-balloon / info balloon ---- */

static bool balloon_active(Error **errp)
{
    if (!the_balloon) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_ACTIVE,
                  "No balloon device has been activated");
        return false;
    }
    return true;
}

static json_object *cmd_balloon(Monitor *mon, json_object *args,
                                Error **errp)
{
    int64_t target = monitor_arg_int(args, "value", 0);
    uint64_t ram_size = balloon_ram_size();
    VirtIOBalloon *s;

    (void)mon;
    if (!balloon_active(errp)) {
        return NULL;
    }
    if (target <= 0) {
        error_setg(errp, "Parameter 'target' expects a size");
        return NULL;
    }
    s = the_balloon;
    if ((uint64_t)target > ram_size) {
        target = (int64_t)ram_size;
    }
    s->num_pages = (uint32_t)MIN((ram_size - (uint64_t)target) >>
                                 VIRTIO_BALLOON_PFN_SHIFT,
                                 (uint64_t)UINT32_MAX);
    virtio_notify_config(&s->parent_obj);
    return NULL;
}

static json_object *cmd_query_balloon(Monitor *mon, json_object *args,
                                      Error **errp)
{
    json_object *o;
    uint64_t given;

    (void)mon;
    (void)args;
    if (!balloon_active(errp)) {
        return NULL;
    }
    given = (uint64_t)the_balloon->actual << VIRTIO_BALLOON_PFN_SHIFT;
    o = json_object_new_object();
    json_object_object_add(o, "actual",
                           json_object_new_int64((int64_t)(balloon_ram_size() -
                                                           given)));
    return o;
}

static void print_balloon(Monitor *mon, json_object *result)
{
    json_object *actual;

    if (json_object_object_get_ex(result, "actual", &actual)) {
        monitor_printf(mon, "balloon: actual=%" PRId64 "\n",
                       json_object_get_int64(actual) >> 20);
    }
}

static const MonitorCommand balloon_monitor_commands[] = {
    {
        .qmp_name = "balloon",
        .hmp_name = "balloon",
        .args = "value:M",
        .params = "target",
        .help = "request VM to change its memory allocation (in MB)",
        .handler = cmd_balloon,
    },
    {
        .qmp_name = "query-balloon",
        .hmp_name = "info balloon",
        .help = "show balloon information",
        .handler = cmd_query_balloon,
        .hmp_print = print_balloon,
    },
    { .handler = NULL },
};

MONITOR_REGISTER_COMMANDS(balloon_monitor_commands)
