/* virtio-blk (virtio 1.2 spec 5.2) and its PCI device virtio-blk-pci. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "block/block.h"
#include "block/block_int.h"
#include "hw/boards.h"
#include "emu/main-loop.h"
#include "system/runstate.h"
#include "hw/virtio/virtio-pci.h"

#define PCI_CLASS_STORAGE_SCSI          0x0100

/* Feature bits (spec 5.2.3) */
#define VIRTIO_BLK_F_SIZE_MAX           1
#define VIRTIO_BLK_F_SEG_MAX            2
#define VIRTIO_BLK_F_GEOMETRY           4
#define VIRTIO_BLK_F_RO                 5
#define VIRTIO_BLK_F_BLK_SIZE           6
#define VIRTIO_BLK_F_FLUSH              9
#define VIRTIO_BLK_F_TOPOLOGY           10
#define VIRTIO_BLK_F_CONFIG_WCE         11
#define VIRTIO_BLK_F_MQ                 12
#define VIRTIO_BLK_F_DISCARD            13
#define VIRTIO_BLK_F_WRITE_ZEROES       14

/* Request types and status (spec 5.2.6) */
#define VIRTIO_BLK_T_IN                 0
#define VIRTIO_BLK_T_OUT                1
#define VIRTIO_BLK_T_FLUSH              4
#define VIRTIO_BLK_T_GET_ID             8
#define VIRTIO_BLK_T_DISCARD            11
#define VIRTIO_BLK_T_WRITE_ZEROES       13
#define VIRTIO_BLK_S_OK                 0
#define VIRTIO_BLK_S_IOERR              1
#define VIRTIO_BLK_S_UNSUPP             2
#define VIRTIO_BLK_ID_BYTES             20
#define VIRTIO_BLK_WZ_F_UNMAP           1

#define VIRTIO_BLK_SECTOR_BITS          9
#define VIRTIO_BLK_SECTOR_SIZE          512
/* config layout up to write_zeroes_may_unmap and its padding */
#define VIRTIO_BLK_CONFIG_SIZE          60
/* one discard/write-zeroes segment per request, as QEMU */
#define VIRTIO_BLK_MAX_DWZ_SECTORS      (UINT32_MAX >> VIRTIO_BLK_SECTOR_BITS)
#define VIRTIO_BLK_AUTO_NUM_QUEUES      UINT16_MAX

/*
 * The device's write cache (with the drive's write cache on): a write of
 * VBLK_WC_MIN_BYTES..VBLK_WC_MAX_BYTES is copied into a free slot and
 * completed at once, while a block worker writes the copy.  So at queue
 * depth 1 (a dd, a sequential writer) the guest prepares its next request
 * while the host writes the last one, instead of the two taking turns.
 * Smaller writes gain nothing from it (they are done inline).  A request
 * that overlaps a slot being written, a flush, a discard or write-zeroes
 * while any is, and whatever comes after a waiting request, wait in order
 * (wait_head) until the slots they depend on are written.  A failed
 * cached write follows werror as IDE's cache does: "stop" pauses the VM and
 * writes the slot again on resume, "report" fails the next flush.
 */
#define VBLK_WC_DEFAULT_SLOTS           4
#define VBLK_WC_MAX_SLOTS               16
#define VBLK_WC_MIN_BYTES               (64 * KiB)
#define VBLK_WC_MAX_BYTES               (1 * MiB)

/*
 * Adjacent reads (or writes) of one kick are merged into one request of
 * at most this size, as QEMU does: Linux splits a 1 MiB request into
 * 1016 KiB + 8 KiB (seg_max = queue size - 2), and with O_DIRECT
 * (cache=none) the 8 KiB piece cost a whole trip to the disk.
 */
#define VBLK_MERGE_MAX_BYTES            (4 * MiB)

struct VirtIOBlock;

typedef struct VBlkWCSlot {
    struct VirtIOBlock *s;
    uint8_t *buf;               /* VBLK_WC_MAX_BYTES, allocated on first use */
    struct iovec iov;
    uint64_t offset, bytes;
    bool busy;                  /* holds data not yet in the image */
    bool retry;                 /* failed with werror=stop: again on resume */
} VBlkWCSlot;

/* What a parsed request does, for the write cache's ordering */
typedef enum VBlkReqKind {
    VBLK_REQ_READ,
    VBLK_REQ_WRITE,
    VBLK_REQ_FLUSH,
    VBLK_REQ_DWZ,               /* discard or write-zeroes */
} VBlkReqKind;

typedef struct VirtIOBlock {
    VirtIODevice parent_obj;
    /* Properties */
    BlockBackend *blk;
    char *serial;
    uint16_t num_queues;
    uint16_t queue_size;
    uint32_t logical_block_size;
    uint32_t physical_block_size;
    uint32_t min_io_size;
    uint32_t opt_io_size;
    bool config_wce;
    bool discard;
    bool write_zeroes;
    uint32_t max_discard_sectors;
    uint32_t max_write_zeroes_sectors;
    /* State */
    unsigned inflight;
    /*
     * Finished requests waiting for complete_bh, which puts them all in
     * the used rings and then notifies once per queue: one interrupt
     * check (and at most one interrupt) per batch of backend completions
     * instead of one per request.
     */
    struct VirtIOBlockReq *done_head, **done_tail;
    EmuBH *complete_bh;
    /*
     * In virtio_blk_handle_output: requests finish there (done inline, or
     * refused), and it hands them back itself when the queue is drained,
     * on the thread of the kick, without the bottom half's trip through
     * the main loop.
     */
    bool in_handler;
    uint64_t capacity_sectors;  /* last size told to the driver */
    bool original_wce;          /* the drive's cache mode, restored on reset */
    /* The write cache (VBLK_WC_*) */
    uint8_t wc_slots;           /* property x-write-cache-slots; 0: none */
    VBlkWCSlot wc[VBLK_WC_MAX_SLOTS];
    unsigned wc_busy;           /* slots holding data */
    int wc_error;               /* a cached write failed ("report") */
    struct VirtIOBlockReq *wait_head, **wait_tail;
    /* The run of adjacent reads or writes being merged (handle_output) */
    struct VirtIOBlockReq *mrb_head, *mrb_tail;
    uint64_t mrb_bytes;
    unsigned mrb_niov;
} VirtIOBlock;

typedef struct VirtIOBlockReq {
    VirtQueueElement elem;      /* first: virtqueue_pop allocates us */
    VirtIOBlock *s;
    VirtQueue *vq;
    uint8_t *status;            /* last byte of the in buffers */
    unsigned in_len;            /* bytes of in buffers (used.len) */
    struct iovec *data;         /* data buffers without header/status */
    unsigned ndata;
    VBlkReqKind kind;
    uint32_t type;              /* VIRTIO_BLK_T_* */
    uint64_t offset, bytes;     /* reads and writes */
    struct VirtIOBlockReq *next_done;   /* also the wait list's link */
    /*
     * A merged run: the first request carries the others (merged_next),
     * its data is the whole run's and its own is kept in own_data; the
     * run completes as one.
     */
    struct VirtIOBlockReq *merged_next;
    struct iovec *own_data;
} VirtIOBlockReq;

static VirtIOBlock *to_blk(VirtIODevice *vdev)
{
    return (VirtIOBlock *)vdev;
}

static void virtio_blk_req_free(VirtIOBlockReq *req)
{
    free(req->data);
    free(req->own_data);
    free(req);
}

/* Put every finished request in its used ring, then notify (BQL held) */
static void virtio_blk_flush_done(VirtIOBlock *s)
{
    VirtIODevice *vdev = &s->parent_obj;
    VirtIOBlockReq *req = s->done_head;
    VirtQueue *pending = NULL;

    s->done_head = NULL;
    s->done_tail = &s->done_head;
    while (req) {
        VirtIOBlockReq *next = req->next_done;

        /* a run of one queue's requests ends: that queue may need one */
        if (pending && pending != req->vq) {
            virtio_notify(vdev, pending);
        }
        virtqueue_push(req->vq, &req->elem, req->in_len);
        pending = req->vq;
        virtio_blk_req_free(req);
        req = next;
    }
    if (pending) {
        virtio_notify(vdev, pending);
    }
}

static void virtio_blk_complete_bh(void *opaque)
{
    virtio_blk_flush_done(opaque);
}

/* req and the requests merged into it are done */
static void virtio_blk_complete(VirtIOBlockReq *req, uint8_t status)
{
    VirtIOBlock *s = req->s;
    VirtIOBlockReq *next;

    for (; req; req = next) {
        next = req->merged_next;
        req->merged_next = NULL;
        *req->status = status;
        s->inflight--;
        req->next_done = NULL;
        *s->done_tail = req;
        s->done_tail = &req->next_done;
    }
    if (!s->in_handler) {
        bh_schedule(s->complete_bh);
    }
}

static void virtio_blk_rw_done(void *opaque, int ret)
{
    VirtIOBlockReq *req = opaque;

    if (ret < 0) {
        emu_log_mask(LOG_GUEST_ERROR, "virtio-blk: I/O error %d\n", ret);
    }
    virtio_blk_complete(req, ret < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

/* A flush also reports a cached write that failed since the last one */
static void virtio_blk_flush_cb(void *opaque, int ret)
{
    VirtIOBlockReq *req = opaque;
    VirtIOBlock *s = req->s;

    if (ret >= 0 && s->wc_error) {
        ret = s->wc_error;
        s->wc_error = 0;
    }
    virtio_blk_rw_done(req, ret);
}

static void virtio_blk_dispatch(VirtIOBlock *s, VirtIOBlockReq *req);

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
                           uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Must req wait for a slot being written? */
static bool virtio_blk_wc_conflict(VirtIOBlock *s, VirtIOBlockReq *req)
{
    if (!s->wc_busy) {
        return false;
    }
    if (req->kind == VBLK_REQ_FLUSH || req->kind == VBLK_REQ_DWZ) {
        return true;
    }
    for (unsigned i = 0; i < s->wc_slots; i++) {
        if (s->wc[i].busy && ranges_overlap(req->offset, req->bytes,
                                            s->wc[i].offset,
                                            s->wc[i].bytes)) {
            return true;
        }
    }
    return false;
}

/* Requests that waited go, in order, as far as the slots allow */
static void virtio_blk_run_waiting(VirtIOBlock *s)
{
    VirtIOBlockReq *req;

    while ((req = s->wait_head) && !virtio_blk_wc_conflict(s, req)) {
        s->wait_head = req->next_done;
        if (!s->wait_head) {
            s->wait_tail = &s->wait_head;
        }
        virtio_blk_dispatch(s, req);
    }
}

static void virtio_blk_wc_done(void *opaque, int ret);

static void virtio_blk_wc_write(VBlkWCSlot *slot)
{
    slot->iov.iov_base = slot->buf;
    slot->iov.iov_len = slot->bytes;
    blk_aio_pwritev(slot->s->blk, slot->offset, &slot->iov, 1, 0,
                    virtio_blk_wc_done, slot);
}

static void virtio_blk_wc_done(void *opaque, int ret)
{
    VBlkWCSlot *slot = opaque;
    VirtIOBlock *s = slot->s;

    if (ret < 0) {
        emu_log_mask(LOG_GUEST_ERROR, "virtio-blk: cached write of %" PRIu64
                     " bytes at %" PRIu64 ": error %d\n", slot->bytes,
                     slot->offset, ret);
        if (blk_cached_write_failed(s->blk, ret, &s->wc_error)) {
            /* the data (and whatever waits for it) stays until resume */
            slot->retry = true;
            return;
        }
    }
    slot->busy = false;
    s->wc_busy--;
    virtio_blk_run_waiting(s);
}

static void virtio_blk_vm_state_change(void *opaque, bool running,
                                       RunState state)
{
    VirtIOBlock *s = opaque;

    if (!running) {
        return;
    }
    for (unsigned i = 0; i < s->wc_slots; i++) {
        if (s->wc[i].retry) {
            s->wc[i].retry = false;
            virtio_blk_wc_write(&s->wc[i]);
        }
    }
}

/* Take the write into a free slot: true when it is done for the guest */
static bool virtio_blk_wc_take(VirtIOBlock *s, VirtIOBlockReq *req)
{
    VBlkWCSlot *slot = NULL;

    if (req->bytes < VBLK_WC_MIN_BYTES || req->bytes > VBLK_WC_MAX_BYTES ||
        !blk_enable_write_cache(s->blk)) {
        return false;
    }
    for (unsigned i = 0; i < s->wc_slots && !slot; i++) {
        if (!s->wc[i].busy) {
            slot = &s->wc[i];
        }
    }
    if (!slot) {
        return false;
    }
    /* page-aligned: an O_DIRECT image (cache=none) needs no bounce */
    if (!slot->buf &&
        posix_memalign((void **)&slot->buf, 4096, VBLK_WC_MAX_BYTES) != 0) {
        slot->buf = NULL;
        return false;
    }
    iov_to_buf(req->data, req->ndata, 0, slot->buf, req->bytes);
    slot->s = s;
    slot->offset = req->offset;
    slot->bytes = req->bytes;
    slot->busy = true;
    s->wc_busy++;
    virtio_blk_wc_write(slot);
    return true;
}

/* After a reset or before unrealize: the slots and the waiters go */
static void virtio_blk_wc_drop(VirtIOBlock *s)
{
    VirtIOBlockReq *req;

    while ((req = s->wait_head)) {
        s->wait_head = req->next_done;
        while (req) {
            VirtIOBlockReq *next = req->merged_next;

            s->inflight--;
            virtio_blk_req_free(req);
            req = next;
        }
    }
    s->wait_tail = &s->wait_head;
    for (unsigned i = 0; i < s->wc_slots; i++) {
        s->wc[i].busy = s->wc[i].retry = false;
    }
    s->wc_busy = 0;
    s->wc_error = 0;
}

/* Start req now, or queue it behind the write cache */
static void virtio_blk_submit(VirtIOBlock *s, VirtIOBlockReq *req)
{
    if (s->wait_head || virtio_blk_wc_conflict(s, req)) {
        req->next_done = NULL;
        *s->wait_tail = req;
        s->wait_tail = &req->next_done;
        return;
    }
    virtio_blk_dispatch(s, req);
}

/* The merged run goes (in order: before anything popped after it) */
static void virtio_blk_mrb_flush(VirtIOBlock *s)
{
    VirtIOBlockReq *head = s->mrb_head, *r;
    struct iovec *v;
    unsigned n = 0;

    if (!head) {
        return;
    }
    s->mrb_head = s->mrb_tail = NULL;
    if (head->merged_next) {
        v = emu_new(struct iovec, s->mrb_niov);
        for (r = head; r; r = r->merged_next) {
            memcpy(v + n, r->data, r->ndata * sizeof(*v));
            n += r->ndata;
        }
        head->own_data = head->data;
        head->data = v;
        head->ndata = n;
        head->bytes = s->mrb_bytes;
    }
    virtio_blk_submit(s, head);
}

/* A read or write: joins the run when it continues it, else starts one */
static void virtio_blk_queue_rw(VirtIOBlock *s, VirtIOBlockReq *req)
{
    VirtIOBlockReq *head = s->mrb_head;

    req->merged_next = NULL;
    if (head && head->kind == req->kind &&
        head->offset + s->mrb_bytes == req->offset &&
        s->mrb_bytes + req->bytes <= VBLK_MERGE_MAX_BYTES &&
        s->mrb_niov + req->ndata <= IOV_MAX) {
        s->mrb_tail->merged_next = req;
        s->mrb_tail = req;
        s->mrb_bytes += req->bytes;
        s->mrb_niov += req->ndata;
        return;
    }
    virtio_blk_mrb_flush(s);
    s->mrb_head = s->mrb_tail = req;
    s->mrb_bytes = req->bytes;
    s->mrb_niov = req->ndata;
}

/*
 * Copy of iov without its first 'skip' bytes and its last 'trim' bytes
 * (the request header and the status byte).
 */
static unsigned iov_slice(const struct iovec *iov, unsigned cnt, size_t skip,
                          size_t trim, struct iovec *out)
{
    size_t total = iov_size(iov, cnt);
    size_t want = total - skip - trim;
    unsigned n = 0;

    for (unsigned i = 0; i < cnt && want; i++) {
        size_t len = iov[i].iov_len;
        uint8_t *base = iov[i].iov_base;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        base += skip;
        len -= skip;
        skip = 0;
        len = MIN(len, want);
        out[n].iov_base = base;
        out[n].iov_len = len;
        n++;
        want -= len;
    }
    return n;
}

static bool virtio_blk_sect_range_ok(VirtIOBlock *s, uint64_t sector,
                                     uint64_t bytes)
{
    uint64_t nsect = bytes >> VIRTIO_BLK_SECTOR_BITS;
    int64_t len = blk_getlength(s->blk);
    uint64_t total = len > 0 ? (uint64_t)len >> VIRTIO_BLK_SECTOR_BITS : 0;

    if (bytes % s->logical_block_size ||
        sector % (s->logical_block_size / VIRTIO_BLK_SECTOR_SIZE)) {
        return false;
    }
    return sector <= total && nsect <= total - sector;
}

static void virtio_blk_handle_dwz(VirtIOBlockReq *req, uint32_t type)
{
    VirtIOBlock *s = req->s;
    uint8_t seg[16];
    uint64_t sector;
    uint32_t nsect, flags;
    bool is_wz = type == VIRTIO_BLK_T_WRITE_ZEROES;
    size_t len = iov_size(req->elem.out_sg, req->elem.out_num) - 16;

    if (!virtio_vdev_has_feature(&s->parent_obj, is_wz ?
                                 VIRTIO_BLK_F_WRITE_ZEROES :
                                 VIRTIO_BLK_F_DISCARD)) {
        virtio_blk_complete(req, VIRTIO_BLK_S_UNSUPP);
        return;
    }
    /* Exactly one segment (max_discard_seg = max_write_zeroes_seg = 1) */
    if (len != sizeof(seg)) {
        virtio_blk_complete(req, VIRTIO_BLK_S_UNSUPP);
        return;
    }
    iov_to_buf(req->elem.out_sg, req->elem.out_num, 16, seg, sizeof(seg));
    sector = 0;
    for (int b = 7; b >= 0; b--) {
        sector = (sector << 8) | seg[b];
    }
    nsect = seg[8] | (seg[9] << 8) | (seg[10] << 16) |
            ((uint32_t)seg[11] << 24);
    flags = seg[12] | (seg[13] << 8) | (seg[14] << 16) |
            ((uint32_t)seg[15] << 24);

    if ((!is_wz && flags) || (is_wz && (flags & ~VIRTIO_BLK_WZ_F_UNMAP))) {
        virtio_blk_complete(req, VIRTIO_BLK_S_UNSUPP);
        return;
    }
    if (nsect > (is_wz ? s->max_write_zeroes_sectors
                       : s->max_discard_sectors) ||
        !virtio_blk_sect_range_ok(s, sector,
                                  (uint64_t)nsect << VIRTIO_BLK_SECTOR_BITS)) {
        virtio_blk_complete(req, VIRTIO_BLK_S_IOERR);
        return;
    }
    if (is_wz) {
        blk_aio_pwrite_zeroes(s->blk, sector << VIRTIO_BLK_SECTOR_BITS,
                              (int64_t)nsect << VIRTIO_BLK_SECTOR_BITS,
                              (flags & VIRTIO_BLK_WZ_F_UNMAP) ? BDRV_REQ_MAY_UNMAP : 0,
                              virtio_blk_rw_done, req);
    } else {
        blk_aio_pdiscard(s->blk, sector << VIRTIO_BLK_SECTOR_BITS,
                         (int64_t)nsect << VIRTIO_BLK_SECTOR_BITS,
                         virtio_blk_rw_done, req);
    }
}

static void virtio_blk_dispatch(VirtIOBlock *s, VirtIOBlockReq *req)
{
    bool is_write = req->kind == VBLK_REQ_WRITE;

    switch (req->kind) {
    case VBLK_REQ_READ:
    case VBLK_REQ_WRITE:
        if (is_write && virtio_blk_wc_take(s, req)) {
            virtio_blk_complete(req, VIRTIO_BLK_S_OK);
            break;
        }
        /*
         * Page-cache reads and buffered writes right here (no worker
         * thread, no completion through the main loop: a 4 KiB read at
         * queue depth 1 is mostly those hand-offs); else a worker does it.
         */
        if (blk_try_rw_inline(s->blk, is_write, req->offset, req->data,
                              req->ndata) == 0) {
            virtio_blk_complete(req, VIRTIO_BLK_S_OK);
        } else if (is_write) {
            blk_aio_pwritev(s->blk, req->offset, req->data, req->ndata, 0,
                            virtio_blk_rw_done, req);
        } else {
            blk_aio_preadv(s->blk, req->offset, req->data, req->ndata,
                           virtio_blk_rw_done, req);
        }
        break;
    case VBLK_REQ_FLUSH:
        blk_aio_flush(s->blk, virtio_blk_flush_cb, req);
        break;
    case VBLK_REQ_DWZ:
        virtio_blk_handle_dwz(req, req->type);
        break;
    }
}

/* Returns false if the request was malformed (device now broken) */
static bool virtio_blk_handle_request(VirtIOBlock *s, VirtQueue *vq,
                                      VirtIOBlockReq *req)
{
    VirtQueueElement *elem = &req->elem;
    uint8_t hdr[16];
    uint32_t type;
    uint64_t sector;
    struct iovec *last;
    size_t out_size, in_size;

    req->s = s;
    req->vq = vq;
    out_size = iov_size(elem->out_sg, elem->out_num);
    in_size = iov_size(elem->in_sg, elem->in_num);
    if (out_size < sizeof(hdr) || in_size < 1) {
        virtio_error(&s->parent_obj, "virtio-blk missing headers");
        virtqueue_detach_element(vq, elem, 0);
        free(req);
        return false;
    }
    iov_to_buf(elem->out_sg, elem->out_num, 0, hdr, sizeof(hdr));
    type = hdr[0] | (hdr[1] << 8) | (hdr[2] << 16) | ((uint32_t)hdr[3] << 24);
    sector = 0;
    for (int b = 15; b >= 8; b--) {
        sector = (sector << 8) | hdr[b];
    }
    last = &elem->in_sg[elem->in_num - 1];
    req->status = (uint8_t *)last->iov_base + last->iov_len - 1;
    req->in_len = in_size;
    s->inflight++;

    switch (type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: {
        bool is_write = type == VIRTIO_BLK_T_OUT;
        size_t bytes = is_write ? out_size - sizeof(hdr) : in_size - 1;
        unsigned cnt = is_write ? elem->out_num : elem->in_num;

        req->data = emu_new(struct iovec, cnt ? cnt : 1);
        req->ndata = is_write
            ? iov_slice(elem->out_sg, elem->out_num, sizeof(hdr), 0,
                        req->data)
            : iov_slice(elem->in_sg, elem->in_num, 0, 1, req->data);
        if (!virtio_blk_sect_range_ok(s, sector, bytes)) {
            virtio_blk_complete(req, VIRTIO_BLK_S_IOERR);
            break;
        }
        if (is_write && blk_is_read_only(s->blk)) {
            virtio_blk_complete(req, VIRTIO_BLK_S_IOERR);
            break;
        }
        if (bytes == 0) {
            virtio_blk_complete(req, VIRTIO_BLK_S_OK);
            break;
        }
        req->kind = is_write ? VBLK_REQ_WRITE : VBLK_REQ_READ;
        req->offset = sector << VIRTIO_BLK_SECTOR_BITS;
        req->bytes = bytes;
        virtio_blk_queue_rw(s, req);
        break;
    }
    case VIRTIO_BLK_T_FLUSH:
        virtio_blk_mrb_flush(s);
        req->kind = VBLK_REQ_FLUSH;
        virtio_blk_submit(s, req);
        break;
    case VIRTIO_BLK_T_GET_ID: {
        char id[VIRTIO_BLK_ID_BYTES];

        /* Not NUL-terminated when the serial fills all 20 bytes */
        memset(id, 0, sizeof(id));
        if (s->serial) {
            memcpy(id, s->serial, strnlen(s->serial, sizeof(id)));
        }
        iov_from_buf(elem->in_sg, elem->in_num, 0, id,
                     MIN(sizeof(id), in_size - 1));
        virtio_blk_complete(req, VIRTIO_BLK_S_OK);
        break;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        virtio_blk_mrb_flush(s);
        req->kind = VBLK_REQ_DWZ;
        req->type = type;
        virtio_blk_submit(s, req);
        break;
    default:
        virtio_blk_complete(req, VIRTIO_BLK_S_UNSUPP);
        break;
    }
    return true;
}

static void virtio_blk_handle_output(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOBlock *s = to_blk(vdev);
    VirtIOBlockReq *req;

    if (!s->blk || !blk_is_inserted(s->blk)) {
        return;
    }
    /* Suppress kicks while draining; re-check after re-enabling */
    s->in_handler = true;
    do {
        virtio_queue_set_notification(vq, 0);
        while ((req = virtqueue_pop(vq, sizeof(VirtIOBlockReq)))) {
            if (!virtio_blk_handle_request(s, vq, req)) {
                goto out;
            }
        }
        virtio_queue_set_notification(vq, 1);
    } while (!vdev->broken && !virtio_queue_empty(vq));
out:
    virtio_blk_mrb_flush(s);
    s->in_handler = false;
    if (s->done_head) {
        virtio_blk_flush_done(s);
    }
}

static void virtio_blk_update_config(VirtIODevice *vdev, uint8_t *cfg)
{
    VirtIOBlock *s = to_blk(vdev);
    int64_t len = s->blk ? blk_getlength(s->blk) : 0;
    uint64_t cap = len > 0 ? (uint64_t)len >> VIRTIO_BLK_SECTOR_BITS : 0;
    unsigned lbs_sectors = s->logical_block_size / VIRTIO_BLK_SECTOR_SIZE;
    unsigned pbexp = 0;

    while ((s->logical_block_size << (pbexp + 1)) <= s->physical_block_size) {
        pbexp++;
    }
    memset(cfg, 0, VIRTIO_BLK_CONFIG_SIZE);
    pci_set_quad(cfg + 0, cap);
    pci_set_long(cfg + 12, virtio_queue_get_max_num(vdev, 0) - 2);
    /* geometry as QEMU derives it for large disks: 16 heads, 63 sectors */
    pci_set_word(cfg + 16, MIN(cap / (16 * 63), 65535));
    cfg[18] = 16;
    cfg[19] = 63;
    pci_set_long(cfg + 20, s->logical_block_size);
    cfg[24] = pbexp;
    cfg[25] = 0;
    pci_set_word(cfg + 26, s->min_io_size / s->logical_block_size);
    pci_set_long(cfg + 28, s->opt_io_size / s->logical_block_size);
    cfg[32] = s->blk && blk_enable_write_cache(s->blk);
    pci_set_word(cfg + 34, s->num_queues);
    pci_set_long(cfg + 36, s->max_discard_sectors);
    pci_set_long(cfg + 40, 1);
    pci_set_long(cfg + 44, lbs_sectors);
    pci_set_long(cfg + 48, s->max_write_zeroes_sectors);
    pci_set_long(cfg + 52, 1);
    cfg[56] = 1;
}

static void virtio_blk_set_config(VirtIODevice *vdev, const uint8_t *cfg)
{
    VirtIOBlock *s = to_blk(vdev);

    /* Only "writeback" is writable, with CONFIG_WCE */
    if (s->blk && virtio_vdev_has_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE)) {
        blk_set_enable_write_cache(s->blk, cfg[32] != 0);
    }
}

static uint64_t virtio_blk_get_features(VirtIODevice *vdev, uint64_t f)
{
    VirtIOBlock *s = to_blk(vdev);

    f |= 1ULL << VIRTIO_BLK_F_SEG_MAX;
    f |= 1ULL << VIRTIO_BLK_F_GEOMETRY;
    f |= 1ULL << VIRTIO_BLK_F_TOPOLOGY;
    f |= 1ULL << VIRTIO_BLK_F_BLK_SIZE;
    f |= 1ULL << VIRTIO_BLK_F_FLUSH;
    if (s->config_wce) {
        f |= 1ULL << VIRTIO_BLK_F_CONFIG_WCE;
    }
    if (s->num_queues > 1) {
        f |= 1ULL << VIRTIO_BLK_F_MQ;
    }
    if (s->blk && blk_is_read_only(s->blk)) {
        f |= 1ULL << VIRTIO_BLK_F_RO;
    }
    if (s->discard) {
        f |= 1ULL << VIRTIO_BLK_F_DISCARD;
    }
    if (s->write_zeroes) {
        f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
    }
    return f;
}

/*
 * A legacy driver without FLUSH expects writethrough (spec 5.2.6.3).
 * Decided once the features are final (DRIVER_OK), not in set_features:
 * a modern driver writes the feature word in two halves, and the low
 * half alone looks like such a driver (it turned every later write into
 * write + fdatasync).
 */
static void virtio_blk_set_status(VirtIODevice *vdev, uint8_t status)
{
    VirtIOBlock *s = to_blk(vdev);
    uint64_t f = vdev->guest_features;

    if (s->blk && (status & VIRTIO_CONFIG_S_DRIVER_OK) &&
        !virtio_has_feature(f, VIRTIO_F_VERSION_1) &&
        !virtio_has_feature(f, VIRTIO_BLK_F_FLUSH)) {
        blk_set_enable_write_cache(s->blk, false);
    }
}

static void virtio_blk_reset(VirtIODevice *vdev)
{
    VirtIOBlock *s = to_blk(vdev);

    /* Requests in flight complete before the rings go away */
    if (s->blk && (s->inflight || s->wc_busy)) {
        blk_drain(s->blk);
    }
    virtio_blk_wc_drop(s);
    virtio_blk_flush_done(s);
    /* the driver may have changed it (CONFIG_WCE, legacy rule above) */
    if (s->blk) {
        blk_set_enable_write_cache(s->blk, s->original_wce);
    }
}

static void virtio_blk_resize_cb(void *opaque)
{
    VirtIOBlock *s = opaque;
    int64_t len = blk_getlength(s->blk);
    uint64_t cap = len > 0 ? (uint64_t)len >> VIRTIO_BLK_SECTOR_BITS : 0;

    if (cap != s->capacity_sectors) {
        s->capacity_sectors = cap;
        virtio_notify_config(&s->parent_obj);
    }
}

static const BlockDevOps virtio_blk_dev_ops = {
    .resize_cb = virtio_blk_resize_cb,
};

static void virtio_blk_realize(VirtIODevice *vdev, Error **errp)
{
    VirtIOBlock *s = to_blk(vdev);
    unsigned pow;

    if (!s->blk) {
        error_setg(errp, "drive property not set");
        return;
    }
    if (!blk_is_inserted(s->blk)) {
        error_setg(errp, "Device needs media, but drive is empty");
        return;
    }
    if (s->num_queues == VIRTIO_BLK_AUTO_NUM_QUEUES) {
        /* as QEMU 7.2's virtio-blk-pci: one queue per vCPU */
        s->num_queues = current_machine && current_machine->smp.cpus
                        ? MIN(current_machine->smp.cpus,
                              (unsigned)VIRTIO_QUEUE_MAX - 1)
                        : 1;
    }
    if (s->num_queues == 0 || s->num_queues > VIRTIO_QUEUE_MAX - 1) {
        error_setg(errp, "num-queues property must be larger than 0 and "
                   "smaller than %d", VIRTIO_QUEUE_MAX);
        return;
    }
    if (s->queue_size <= 2 || s->queue_size > VIRTQUEUE_MAX_SIZE ||
        (s->queue_size & (s->queue_size - 1))) {
        error_setg(errp, "invalid queue-size property (%u), must be a "
                   "power of 2 and in the range [3, %d]", s->queue_size,
                   VIRTQUEUE_MAX_SIZE);
        return;
    }
    for (pow = 512; pow <= 32768; pow <<= 1) {
        if (s->logical_block_size == pow) {
            break;
        }
    }
    if (pow > 32768 || s->physical_block_size < s->logical_block_size ||
        (s->physical_block_size & (s->physical_block_size - 1))) {
        error_setg(errp, "logical_block_size must be a power of 2 between "
                   "512 and 32768, physical_block_size a power of 2 no "
                   "smaller");
        return;
    }
    if (!s->max_discard_sectors ||
        s->max_discard_sectors > VIRTIO_BLK_MAX_DWZ_SECTORS) {
        error_setg(errp, "max-discard-sectors must be > 0 and <= %u",
                   VIRTIO_BLK_MAX_DWZ_SECTORS);
        return;
    }
    if (!s->max_write_zeroes_sectors ||
        s->max_write_zeroes_sectors > VIRTIO_BLK_MAX_DWZ_SECTORS) {
        error_setg(errp, "max-write-zeroes-sectors must be > 0 and <= %u",
                   VIRTIO_BLK_MAX_DWZ_SECTORS);
        return;
    }
    if (!blk_attach_dev(s->blk, vdev->transport_dev, errp)) {
        return;
    }
    blk_set_dev_ops(s->blk, &virtio_blk_dev_ops, s);
    s->original_wce = blk_enable_write_cache(s->blk);
    if (s->wc_slots > VBLK_WC_MAX_SLOTS) {
        error_setg(errp, "x-write-cache-slots must be at most %d",
                   VBLK_WC_MAX_SLOTS);
        return;
    }
    s->done_head = NULL;
    s->done_tail = &s->done_head;
    s->wait_head = NULL;
    s->wait_tail = &s->wait_head;
    s->complete_bh = bh_new(virtio_blk_complete_bh, s);
    vm_state_add_change_handler(virtio_blk_vm_state_change, s);
    virtio_init(vdev, VIRTIO_BLK_CONFIG_SIZE);
    for (unsigned i = 0; i < s->num_queues; i++) {
        virtio_add_queue(vdev, s->queue_size, virtio_blk_handle_output);
    }
    {
        int64_t len = blk_getlength(s->blk);
        s->capacity_sectors = len > 0 ? (uint64_t)len >>
                              VIRTIO_BLK_SECTOR_BITS : 0;
    }
}

static void virtio_blk_unrealize(VirtIODevice *vdev)
{
    VirtIOBlock *s = to_blk(vdev);

    if (s->blk) {
        blk_drain(s->blk);
        blk_set_dev_ops(s->blk, NULL, NULL);
        blk_detach_dev(s->blk);
    }
    virtio_blk_wc_drop(s);
    virtio_blk_flush_done(s);
    vm_state_remove_change_handler(virtio_blk_vm_state_change, s);
    for (unsigned i = 0; i < s->wc_slots; i++) {
        free(s->wc[i].buf);
        s->wc[i].buf = NULL;
    }
    bh_delete(s->complete_bh);
    s->complete_bh = NULL;
    virtio_cleanup(vdev);
}

static const VirtioDeviceInfo virtio_blk_info = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .realize = virtio_blk_realize,
    .unrealize = virtio_blk_unrealize,
    .get_features = virtio_blk_get_features,
    .set_status = virtio_blk_set_status,
    .get_config = virtio_blk_update_config,
    .set_config = virtio_blk_set_config,
    .reset = virtio_blk_reset,
};

typedef struct VirtIOBlkPCI {
    VirtIOPCIProxy parent_obj;
    VirtIOBlock vdev;
} VirtIOBlkPCI;

static const Property virtio_blk_pci_props[] = {
    DEFINE_PROP_DRIVE("drive", VirtIOBlkPCI, vdev.blk),
    DEFINE_PROP_STRING("serial", VirtIOBlkPCI, vdev.serial),
    DEFINE_PROP_UINT16("num-queues", VirtIOBlkPCI, vdev.num_queues,
                       VIRTIO_BLK_AUTO_NUM_QUEUES),
    DEFINE_PROP_UINT16("queue-size", VirtIOBlkPCI, vdev.queue_size, 256),
    DEFINE_PROP_UINT32("logical_block_size", VirtIOBlkPCI,
                       vdev.logical_block_size, 512),
    DEFINE_PROP_UINT32("physical_block_size", VirtIOBlkPCI,
                       vdev.physical_block_size, 512),
    DEFINE_PROP_UINT32("min_io_size", VirtIOBlkPCI, vdev.min_io_size, 0),
    DEFINE_PROP_UINT32("opt_io_size", VirtIOBlkPCI, vdev.opt_io_size, 0),
    DEFINE_PROP_BOOL("config-wce", VirtIOBlkPCI, vdev.config_wce, true),
    DEFINE_PROP_UINT8("x-write-cache-slots", VirtIOBlkPCI, vdev.wc_slots,
                      VBLK_WC_DEFAULT_SLOTS),
    DEFINE_PROP_BOOL("discard", VirtIOBlkPCI, vdev.discard, true),
    DEFINE_PROP_BOOL("write-zeroes", VirtIOBlkPCI, vdev.write_zeroes, true),
    DEFINE_PROP_UINT32("max-discard-sectors", VirtIOBlkPCI,
                       vdev.max_discard_sectors, VIRTIO_BLK_MAX_DWZ_SECTORS),
    DEFINE_PROP_UINT32("max-write-zeroes-sectors", VirtIOBlkPCI,
                       vdev.max_write_zeroes_sectors,
                       VIRTIO_BLK_MAX_DWZ_SECTORS),
    DEFINE_PROP_END_OF_LIST(),
};

static const VirtioPCIDeviceTypeInfo virtio_blk_pci_info = {
    .name = "virtio-blk-pci",
    .desc = "Virtio block device",
    .category = "Storage devices",
    .vdev_info = &virtio_blk_info,
    .instance_size = sizeof(VirtIOBlkPCI),
    .vdev_offset = offsetof(VirtIOBlkPCI, vdev),
    .props = virtio_blk_pci_props,
    .class_id = PCI_CLASS_STORAGE_SCSI,
    .hotpluggable = true,
};

VIRTIO_PCI_REGISTER(virtio_blk_pci_info)
