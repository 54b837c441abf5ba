/* The virtio device core: features, status, config space and split virtqueues. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/qdev.h"
#include "hw/virtio/virtio.h"

/* Split ring offsets (spec 2.7): descriptors are 16 bytes */
#define VRING_DESC_SIZE         16
#define VRING_AVAIL_RING(i)     (4 + 2 * (hwaddr)(i))
#define VRING_USED_RING(i)      (4 + 8 * (hwaddr)(i))

struct VirtQueue {
    VirtIODevice *vdev;
    int index;
    unsigned num;               /* current size (driver may shrink) */
    unsigned num_max;           /* size given at virtio_add_queue */
    hwaddr desc;
    hwaddr avail;
    hwaddr used;
    hwaddr legacy_pa;           /* legacy PFN << 12, 0: none */
    bool enabled;
    uint16_t last_avail_idx;
    uint16_t used_idx;
    uint16_t signalled_used;
    bool signalled_used_valid;
    bool notification;          /* device wants kicks */
    unsigned inuse;             /* popped, not yet pushed */
    uint16_t vector;
    VirtIOHandleOutput *handler;
};

typedef struct VRingDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VRingDesc;

static inline void virtio_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static AddressSpace *virtio_dma_as(VirtIODevice *vdev)
{
    if (vdev->transport && vdev->transport->dma_as) {
        return vdev->transport->dma_as(vdev->transport_opaque);
    }
    return &address_space_memory;
}

/* ---- iovec helpers ---- */

size_t iov_size(const struct iovec *iov, unsigned int iov_cnt)
{
    size_t total = 0;

    for (unsigned i = 0; i < iov_cnt; i++) {
        total += iov[i].iov_len;
    }
    return total;
}

size_t iov_from_buf(const struct iovec *iov, unsigned int iov_cnt,
                    size_t offset, const void *buf, size_t bytes)
{
    size_t done = 0;

    for (unsigned i = 0; i < iov_cnt && done < bytes; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t n = MIN(iov[i].iov_len - offset, bytes - done);
        memcpy((uint8_t *)iov[i].iov_base + offset,
               (const uint8_t *)buf + done, n);
        done += n;
        offset = 0;
    }
    return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int iov_cnt,
                  size_t offset, void *buf, size_t bytes)
{
    size_t done = 0;

    for (unsigned i = 0; i < iov_cnt && done < bytes; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t n = MIN(iov[i].iov_len - offset, bytes - done);
        memcpy((uint8_t *)buf + done,
               (const uint8_t *)iov[i].iov_base + offset, n);
        done += n;
        offset = 0;
    }
    return done;
}

/* ---- Errors ---- */

void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = emu_vasprintf(fmt, ap);
    va_end(ap);
    emu_log_mask(LOG_GUEST_ERROR, "%s: %s\n", vdev->name, msg);
    free(msg);

    if (vdev->broken) {
        return;
    }
    vdev->broken = true;
    /*
     * Only 1.x drivers know NEEDS_RESET (spec 2.1.2); a legacy driver
     * just sees the device stop answering, as on QEMU.
     */
    if (virtio_vdev_is_modern(vdev)) {
        vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
        virtio_notify_config(vdev);
    }
}

/* ---- Ring accessors ---- */

static bool vring_lduw(VirtQueue *vq, hwaddr addr, uint16_t *val)
{
    MemTxResult res = MEMTX_OK;

    *val = address_space_lduw_le(virtio_dma_as(vq->vdev), addr, &res);
    if (res != MEMTX_OK) {
        virtio_error(vq->vdev, "queue %d: ring address 0x%" PRIx64
                     " not readable", vq->index, (uint64_t)addr);
        return false;
    }
    return true;
}

static bool vring_stw(VirtQueue *vq, hwaddr addr, uint16_t val)
{
    MemTxResult res = MEMTX_OK;

    address_space_stw_le(virtio_dma_as(vq->vdev), addr, val, &res);
    if (res != MEMTX_OK) {
        virtio_error(vq->vdev, "queue %d: used ring address 0x%" PRIx64
                     " not writable", vq->index, (uint64_t)addr);
        return false;
    }
    return true;
}

static bool vring_stl(VirtQueue *vq, hwaddr addr, uint32_t val)
{
    MemTxResult res = MEMTX_OK;

    address_space_stl_le(virtio_dma_as(vq->vdev), addr, val, &res);
    if (res != MEMTX_OK) {
        virtio_error(vq->vdev, "queue %d: used ring address 0x%" PRIx64
                     " not writable", vq->index, (uint64_t)addr);
        return false;
    }
    return true;
}

static bool vring_read_desc(VirtQueue *vq, hwaddr table, unsigned i,
                            VRingDesc *d)
{
    uint8_t raw[VRING_DESC_SIZE];

    if (dma_memory_read(virtio_dma_as(vq->vdev),
                        table + (hwaddr)i * VRING_DESC_SIZE, raw,
                        sizeof(raw)) != MEMTX_OK) {
        virtio_error(vq->vdev, "queue %d: descriptor table at 0x%" PRIx64
                     " not readable", vq->index, (uint64_t)table);
        return false;
    }
    d->addr = 0;
    for (int b = 7; b >= 0; b--) {
        d->addr = (d->addr << 8) | raw[b];
    }
    d->len = raw[8] | (raw[9] << 8) | (raw[10] << 16) |
             ((uint32_t)raw[11] << 24);
    d->flags = raw[12] | (raw[13] << 8);
    d->next = raw[14] | (raw[15] << 8);
    return true;
}

static bool vq_ready(VirtQueue *vq)
{
    return vq && vq->desc && vq->num && !vq->vdev->broken;
}

static bool vring_avail_idx(VirtQueue *vq, uint16_t *idx)
{
    return vring_lduw(vq, vq->avail + 2, idx);
}

static void vring_set_avail_event(VirtQueue *vq, uint16_t val)
{
    /* avail_event lives after the used ring's elements */
    vring_stw(vq, vq->used + VRING_USED_RING(vq->num), val);
}

/* ---- Queue set-up ---- */

VirtQueue *virtio_add_queue(VirtIODevice *vdev, int queue_size,
                            VirtIOHandleOutput *handler)
{
    VirtQueue *vq;

    if (queue_size <= 0 || queue_size > VIRTQUEUE_MAX_SIZE ||
        (queue_size & (queue_size - 1))) {
        return NULL;
    }
    if (vdev->nvqs >= VIRTIO_QUEUE_MAX) {
        return NULL;
    }
    if (!vdev->vq) {
        vdev->vq = emu_new0(VirtQueue, VIRTIO_QUEUE_MAX);
    }
    vq = &vdev->vq[vdev->nvqs];
    memset(vq, 0, sizeof(*vq));
    vq->vdev = vdev;
    vq->index = vdev->nvqs;
    vq->num = vq->num_max = queue_size;
    vq->handler = handler;
    vq->vector = VIRTIO_NO_VECTOR;
    vq->notification = true;
    vdev->nvqs++;
    return vq;
}

void virtio_del_queue(VirtIODevice *vdev, int n)
{
    if (n < 0 || (unsigned)n >= vdev->nvqs) {
        return;
    }
    /* Only the last queue can go without renumbering the others */
    if ((unsigned)n == vdev->nvqs - 1) {
        memset(&vdev->vq[n], 0, sizeof(VirtQueue));
        vdev->nvqs--;
    } else {
        vdev->vq[n].num = vdev->vq[n].num_max = 0;
        vdev->vq[n].handler = NULL;
    }
}

VirtQueue *virtio_get_queue(VirtIODevice *vdev, int n)
{
    if (n < 0 || (unsigned)n >= vdev->nvqs) {
        return NULL;
    }
    return &vdev->vq[n];
}

int virtio_get_num_queues(VirtIODevice *vdev)
{
    return vdev->nvqs;
}

int virtio_queue_index(VirtQueue *vq)
{
    return vq->index;
}

VirtIODevice *virtio_queue_get_device(VirtQueue *vq)
{
    return vq->vdev;
}

void virtio_init(VirtIODevice *vdev, size_t config_size)
{
    vdev->name = vdev->info ? vdev->info->name : "virtio";
    vdev->device_id = vdev->info ? vdev->info->device_id : 0;
    vdev->config_len = config_size;
    free(vdev->config);
    vdev->config = config_size ? emu_malloc0(config_size) : NULL;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    vdev->status = 0;
    vdev->isr = 0;
}

void virtio_cleanup(VirtIODevice *vdev)
{
    free(vdev->config);
    vdev->config = NULL;
    vdev->config_len = 0;
    free(vdev->vq);
    vdev->vq = NULL;
    vdev->nvqs = 0;
}

/* ---- Queue accessors ---- */

static VirtQueue *vq_of(VirtIODevice *vdev, int n)
{
    return virtio_get_queue(vdev, n);
}

int virtio_queue_get_num(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq ? (int)vq->num : 0;
}

int virtio_queue_get_max_num(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq ? (int)vq->num_max : 0;
}

void virtio_queue_set_num(VirtIODevice *vdev, int n, int num)
{
    VirtQueue *vq = vq_of(vdev, n);

    /* The driver may only shrink to a power of two (spec 4.1.4.3.2) */
    if (!vq || num <= 0 || (unsigned)num > vq->num_max ||
        (num & (num - 1))) {
        if (vq) {
            emu_log_mask(LOG_GUEST_ERROR, "%s: queue %d: bad size %d\n",
                         vdev->name, n, num);
        }
        return;
    }
    vq->num = num;
}

void virtio_queue_set_rings(VirtIODevice *vdev, int n, hwaddr desc,
                            hwaddr avail, hwaddr used)
{
    VirtQueue *vq = vq_of(vdev, n);

    if (!vq) {
        return;
    }
    vq->desc = desc;
    vq->avail = avail;
    vq->used = used;
}

hwaddr virtio_queue_get_desc_addr(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq ? vq->desc : 0;
}

hwaddr virtio_queue_get_avail_addr(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq ? vq->avail : 0;
}

hwaddr virtio_queue_get_used_addr(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq ? vq->used : 0;
}

void virtio_queue_set_addr(VirtIODevice *vdev, int n, hwaddr addr)
{
    VirtQueue *vq = vq_of(vdev, n);

    if (!vq || !vq->num) {
        return;
    }
    vq->legacy_pa = addr;
    if (!addr) {
        vq->desc = vq->avail = vq->used = 0;
        vq->enabled = false;
        return;
    }
    /* Legacy layout (spec 2.7.2 / 4.1.4.10): used ring 4096-aligned */
    vq->desc = addr;
    vq->avail = addr + (hwaddr)vq->num * VRING_DESC_SIZE;
    vq->used = ROUND_UP(vq->avail + 6 + 2 * (hwaddr)vq->num,
                        (hwaddr)4096);
    vq->enabled = true;
}

hwaddr virtio_queue_get_addr(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq ? vq->legacy_pa : 0;
}

bool virtio_queue_enabled(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq && vq->enabled;
}

void virtio_queue_set_enabled(VirtIODevice *vdev, int n, bool enabled)
{
    VirtQueue *vq = vq_of(vdev, n);

    if (vq) {
        vq->enabled = enabled;
    }
}

uint16_t virtio_queue_vector(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq ? vq->vector : VIRTIO_NO_VECTOR;
}

void virtio_queue_set_vector(VirtIODevice *vdev, int n, uint16_t vector)
{
    VirtQueue *vq = vq_of(vdev, n);

    if (vq) {
        vq->vector = vector;
    }
}

uint16_t virtio_queue_get_last_avail_idx(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq ? vq->last_avail_idx : 0;
}

uint16_t virtio_queue_get_used_idx(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);
    return vq ? vq->used_idx : 0;
}

/* ---- Popping requests ---- */

bool virtio_queue_empty(VirtQueue *vq)
{
    uint16_t idx;

    if (!vq_ready(vq)) {
        return true;
    }
    if (!vring_avail_idx(vq, &idx)) {
        return true;
    }
    return idx == vq->last_avail_idx;
}

/* Map [pa, pa+len) into iov entries, splitting at RAM discontinuities */
static bool virtqueue_map_buf(VirtQueue *vq, hwaddr pa, uint32_t len,
                              bool is_write, struct iovec *iov,
                              hwaddr *addrs, bool *is_in, unsigned *num,
                              unsigned max)
{
    AddressSpace *as = virtio_dma_as(vq->vdev);

    if (len == 0) {
        virtio_error(vq->vdev, "queue %d: zero sized buffers are not "
                     "allowed", vq->index);
        return false;
    }
    if (pa + len < pa) {
        virtio_error(vq->vdev, "queue %d: buffer wraps the address space",
                     vq->index);
        return false;
    }
    while (len) {
        hwaddr l = len;
        void *p;

        if (*num >= max) {
            virtio_error(vq->vdev, "queue %d: too many scatter-gather "
                         "entries", vq->index);
            return false;
        }
        p = address_space_map(as, pa, &l, is_write);
        if (!p || l == 0) {
            if (p) {
                address_space_unmap(as, p, l, is_write, 0);
            }
            virtio_error(vq->vdev, "queue %d: bad buffer address 0x%" PRIx64
                         " (length %u)", vq->index, (uint64_t)pa, len);
            return false;
        }
        iov[*num].iov_base = p;
        iov[*num].iov_len = l;
        addrs[*num] = pa;
        is_in[*num] = is_write;
        (*num)++;
        pa += l;
        len -= l;
    }
    return true;
}

static void virtqueue_unmap_sg(VirtQueue *vq, struct iovec *iov,
                               unsigned num, bool is_write, size_t written)
{
    AddressSpace *as = virtio_dma_as(vq->vdev);

    for (unsigned i = 0; i < num; i++) {
        size_t access = 0;
        if (is_write) {
            access = MIN(written, iov[i].iov_len);
            written -= access;
        }
        address_space_unmap(as, iov[i].iov_base, iov[i].iov_len, is_write,
                            access);
    }
}

static __thread struct {
    struct iovec iov[VIRTQUEUE_MAX_SIZE];
    hwaddr addrs[VIRTQUEUE_MAX_SIZE];
    bool is_in[VIRTQUEUE_MAX_SIZE];
} pop_scratch;

void *virtqueue_pop(VirtQueue *vq, size_t sz)
{
    VirtIODevice *vdev;
    uint16_t avail_idx, head;
    unsigned i, max, ndesc = 0;
    hwaddr table;
    VRingDesc d;
    struct iovec *iov = NULL;
    hwaddr *addrs = NULL;
    bool *is_in = NULL;
    unsigned nsg = 0;
    unsigned out_num = 0, in_num = 0;
    bool indirect = false;
    VirtQueueElement *elem = NULL;

    if (!vq_ready(vq)) {
        return NULL;
    }
    vdev = vq->vdev;
    assert(sz >= sizeof(VirtQueueElement));

    if (!vring_avail_idx(vq, &avail_idx)) {
        return NULL;
    }
    if (avail_idx == vq->last_avail_idx) {
        return NULL;
    }
    if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->num) {
        virtio_error(vdev, "queue %d: avail idx %u moved too far from "
                     "last %u", vq->index, avail_idx, vq->last_avail_idx);
        return NULL;
    }
    if (vq->inuse >= vq->num) {
        virtio_error(vdev, "queue %d: more requests in flight than the "
                     "queue size", vq->index);
        return NULL;
    }
    /* Read ring contents only after seeing the index (spec 2.7.13) */
    virtio_mb();
    if (!vring_lduw(vq, vq->avail +
                    VRING_AVAIL_RING(vq->last_avail_idx % vq->num), &head)) {
        return NULL;
    }
    if (head >= vq->num) {
        virtio_error(vdev, "queue %d: head descriptor %u out of range",
                     vq->index, head);
        return NULL;
    }

    /*
     * Scratch for the chain walk, per thread (the handler may run in a
     * vCPU or the main loop): allocating three arrays of 25 KiB per
     * request cost more than the walk itself.
     */
    iov = pop_scratch.iov;
    addrs = pop_scratch.addrs;
    is_in = pop_scratch.is_in;

    table = vq->desc;
    max = vq->num;
    i = head;
    if (!vring_read_desc(vq, table, i, &d)) {
        goto fail;
    }
    if (d.flags & VRING_DESC_F_INDIRECT) {
        if (!virtio_vdev_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC) &&
            virtio_vdev_is_modern(vdev)) {
            virtio_error(vdev, "queue %d: indirect descriptor not "
                         "negotiated", vq->index);
            goto fail;
        }
        if (d.len == 0 || d.len % VRING_DESC_SIZE ||
            d.len / VRING_DESC_SIZE > VIRTQUEUE_MAX_SIZE) {
            virtio_error(vdev, "queue %d: invalid indirect table size %u",
                         vq->index, d.len);
            goto fail;
        }
        if (d.flags & VRING_DESC_F_NEXT) {
            virtio_error(vdev, "queue %d: indirect descriptor with NEXT",
                         vq->index);
            goto fail;
        }
        table = d.addr;
        max = d.len / VRING_DESC_SIZE;
        i = 0;
        indirect = true;
        if (!vring_read_desc(vq, table, i, &d)) {
            goto fail;
        }
    }

    for (;;) {
        bool w = d.flags & VRING_DESC_F_WRITE;
        unsigned before = nsg;

        if (++ndesc > max) {
            virtio_error(vdev, "queue %d: looped descriptor chain",
                         vq->index);
            goto fail;
        }
        if (d.flags & VRING_DESC_F_INDIRECT) {
            virtio_error(vdev, "queue %d: %s", vq->index, indirect ?
                         "nested indirect descriptor table" :
                         "indirect descriptor inside a chain");
            goto fail;
        }
        if (!w && in_num) {
            virtio_error(vdev, "queue %d: device-readable buffer after a "
                         "device-writable one", vq->index);
            goto fail;
        }
        if (!virtqueue_map_buf(vq, d.addr, d.len, w, iov, addrs, is_in,
                               &nsg, VIRTQUEUE_MAX_SIZE)) {
            /* the fail path unmaps a partly mapped descriptor too */
            goto fail;
        }
        if (w) {
            in_num += nsg - before;
        } else {
            out_num += nsg - before;
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            break;
        }
        i = d.next;
        if (i >= max) {
            virtio_error(vdev, "queue %d: next descriptor %u out of range",
                         vq->index, i);
            goto fail;
        }
        if (!vring_read_desc(vq, table, i, &d)) {
            goto fail;
        }
    }

    /* One block: the element, then out iovecs, in iovecs, addresses */
    {
        size_t off_out = ROUND_UP(sz, sizeof(void *));
        size_t off_in = off_out + out_num * sizeof(struct iovec);
        size_t off_oaddr = off_in + in_num * sizeof(struct iovec);
        size_t off_iaddr = off_oaddr + out_num * sizeof(hwaddr);
        size_t total = off_iaddr + in_num * sizeof(hwaddr);
        uint8_t *base = emu_malloc0(total);
        unsigned o = 0, n = 0;

        elem = (VirtQueueElement *)base;
        elem->out_sg = (struct iovec *)(base + off_out);
        elem->in_sg = (struct iovec *)(base + off_in);
        elem->out_addr = (hwaddr *)(base + off_oaddr);
        elem->in_addr = (hwaddr *)(base + off_iaddr);
        for (unsigned k = 0; k < nsg; k++) {
            if (is_in[k]) {
                elem->in_sg[n] = iov[k];
                elem->in_addr[n++] = addrs[k];
            } else {
                elem->out_sg[o] = iov[k];
                elem->out_addr[o++] = addrs[k];
            }
        }
        elem->out_num = out_num;
        elem->in_num = in_num;
        elem->index = head;
        elem->ndescs = 1;
    }

    vq->last_avail_idx++;
    vq->inuse++;
    if (virtio_vdev_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX) &&
        vq->notification) {
        vring_set_avail_event(vq, vq->last_avail_idx);
    }
    return elem;

fail:
    for (unsigned k = 0; k < nsg; k++) {
        address_space_unmap(virtio_dma_as(vdev), iov[k].iov_base,
                            iov[k].iov_len, is_in[k], 0);
    }
    return NULL;
}

static void virtqueue_unmap_element(VirtQueue *vq,
                                    const VirtQueueElement *elem,
                                    unsigned int len)
{
    virtqueue_unmap_sg(vq, elem->in_sg, elem->in_num, true, len);
    virtqueue_unmap_sg(vq, elem->out_sg, elem->out_num, false, 0);
}

void virtqueue_unpop(VirtQueue *vq, const VirtQueueElement *elem,
                     unsigned int len)
{
    virtqueue_unmap_element(vq, elem, len);
    vq->last_avail_idx--;
    if (vq->inuse) {
        vq->inuse--;
    }
}

void virtqueue_detach_element(VirtQueue *vq, const VirtQueueElement *elem,
                              unsigned int len)
{
    virtqueue_unmap_element(vq, elem, len);
    if (vq->inuse) {
        vq->inuse--;
    }
}

void virtqueue_fill(VirtQueue *vq, const VirtQueueElement *elem,
                    unsigned int len, unsigned int idx)
{
    hwaddr slot;

    virtqueue_unmap_element(vq, elem, len);
    if (!vq_ready(vq)) {
        return;
    }
    slot = vq->used + VRING_USED_RING((vq->used_idx + idx) % vq->num);
    if (!vring_stl(vq, slot, elem->index)) {
        return;
    }
    vring_stl(vq, slot + 4, len);
}

void virtqueue_flush(VirtQueue *vq, unsigned int count)
{
    uint16_t new_idx;

    if (!vq_ready(vq)) {
        vq->inuse = vq->inuse >= count ? vq->inuse - count : 0;
        return;
    }
    /* Elements must be visible before the index (spec 2.7.8) */
    virtio_mb();
    new_idx = vq->used_idx + count;
    vring_stw(vq, vq->used + 2, new_idx);
    vq->used_idx = new_idx;
    vq->inuse = vq->inuse >= count ? vq->inuse - count : 0;
    /* Wrapped past the last signalled index: the event check is stale */
    if ((uint16_t)(new_idx - vq->signalled_used) < (uint16_t)count) {
        vq->signalled_used_valid = false;
    }
}

void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem,
                    unsigned int len)
{
    virtqueue_fill(vq, elem, len, 0);
    virtqueue_flush(vq, 1);
}

void virtio_queue_set_notification(VirtQueue *vq, int enable)
{
    vq->notification = enable;
    if (!vq_ready(vq)) {
        return;
    }
    if (virtio_vdev_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX)) {
        uint16_t idx;
        if (enable && vring_avail_idx(vq, &idx)) {
            vring_set_avail_event(vq, idx);
        }
    } else {
        uint16_t flags;
        if (vring_lduw(vq, vq->used, &flags)) {
            flags = enable ? flags & ~VRING_USED_F_NO_NOTIFY
                           : flags | VRING_USED_F_NO_NOTIFY;
            vring_stw(vq, vq->used, flags);
        }
    }
    if (enable) {
        /* Expose the flag before the caller re-checks the ring */
        virtio_mb();
    }
}

/* spec 2.7.10: has new_idx passed event_idx since old_idx */
static bool vring_need_event(uint16_t event_idx, uint16_t new_idx,
                             uint16_t old_idx)
{
    return (uint16_t)(new_idx - event_idx - 1) <
           (uint16_t)(new_idx - old_idx);
}

static bool virtio_should_notify(VirtIODevice *vdev, VirtQueue *vq)
{
    uint16_t flags, event;
    uint16_t old, new;
    bool valid;

    virtio_mb();
    if (virtio_vdev_has_feature(vdev, VIRTIO_F_NOTIFY_ON_EMPTY) &&
        !vq->inuse && virtio_queue_empty(vq)) {
        return true;
    }
    if (!virtio_vdev_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) {
        if (!vring_lduw(vq, vq->avail, &flags)) {
            return false;
        }
        return !(flags & VRING_AVAIL_F_NO_INTERRUPT);
    }
    valid = vq->signalled_used_valid;
    vq->signalled_used_valid = true;
    old = vq->signalled_used;
    new = vq->signalled_used = vq->used_idx;
    if (!vring_lduw(vq, vq->avail + VRING_AVAIL_RING(vq->num), &event)) {
        return false;
    }
    return !valid || vring_need_event(event, new, old);
}

void virtio_notify_vector(VirtIODevice *vdev, uint16_t vector)
{
    if (vdev->transport && vdev->transport->notify) {
        vdev->transport->notify(vdev->transport_opaque, vector);
    }
}

void virtio_notify(VirtIODevice *vdev, VirtQueue *vq)
{
    if (!vq_ready(vq) || !virtio_should_notify(vdev, vq)) {
        return;
    }
    __atomic_or_fetch(&vdev->isr, VIRTIO_ISR_QUEUE, __ATOMIC_SEQ_CST);
    virtio_notify_vector(vdev, vq->vector);
}

void virtio_notify_config(VirtIODevice *vdev)
{
    /* A driver reading the config twice must see it changed (4.1.4.3.1) */
    vdev->generation++;
    if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        return;
    }
    __atomic_or_fetch(&vdev->isr, VIRTIO_ISR_CONFIG, __ATOMIC_SEQ_CST);
    virtio_notify_vector(vdev, vdev->config_vector);
}

void virtio_queue_notify(VirtIODevice *vdev, int n)
{
    VirtQueue *vq = vq_of(vdev, n);

    if (!vq) {
        emu_log_mask(LOG_GUEST_ERROR, "%s: notify of queue %d that does "
                     "not exist\n", vdev->name, n);
        return;
    }
    if (!vq_ready(vq) || !vq->handler) {
        return;
    }
    /*
     * A ring placed on the device's own notify register would call the
     * handler from inside itself; the running handler re-checks the ring
     * anyway, so the nested kick is dropped.
     */
    if (vdev->in_handler) {
        emu_log_mask(LOG_GUEST_ERROR, "%s: queue %d notified from inside "
                     "a queue handler (DMA to the device itself?)\n",
                     vdev->name, n);
        return;
    }
    vdev->in_handler = true;
    vq->handler(vdev, vq);
    vdev->in_handler = false;
}

/* ---- Device-level ---- */

bool virtio_device_ready(const VirtIODevice *vdev)
{
    return (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) && !vdev->broken;
}

void virtio_reset(VirtIODevice *vdev)
{
    /* The device drains and forgets its requests first */
    if (vdev->info && vdev->info->reset) {
        vdev->info->reset(vdev);
    }
    vdev->status = 0;
    vdev->isr = 0;
    vdev->broken = false;
    vdev->queue_sel = 0;
    vdev->guest_features = 0;
    vdev->legacy = false;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    for (unsigned i = 0; i < vdev->nvqs; i++) {
        VirtQueue *vq = &vdev->vq[i];
        vq->desc = vq->avail = vq->used = 0;
        vq->legacy_pa = 0;
        vq->enabled = false;
        vq->last_avail_idx = 0;
        vq->used_idx = 0;
        vq->signalled_used = 0;
        vq->signalled_used_valid = false;
        vq->notification = true;
        vq->inuse = 0;
        vq->vector = VIRTIO_NO_VECTOR;
        vq->num = vq->num_max;
    }
}

void virtio_set_status(VirtIODevice *vdev, uint8_t val)
{
    /* NEEDS_RESET is the device's bit; the driver cannot clear it */
    if (vdev->broken && virtio_vdev_is_modern(vdev)) {
        val |= VIRTIO_CONFIG_S_NEEDS_RESET;
    }
    vdev->status = val;
    if (vdev->info && vdev->info->set_status) {
        vdev->info->set_status(vdev, val);
    }
}

int virtio_set_features(VirtIODevice *vdev, uint64_t val)
{
    /* No changes once the driver said FEATURES_OK (spec 3.1.1) */
    if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
        return -EINVAL;
    }
    if (val & ~vdev->host_features) {
        vdev->guest_features = val & vdev->host_features;
        if (vdev->info && vdev->info->set_features) {
            vdev->info->set_features(vdev, vdev->guest_features);
        }
        return -EINVAL;
    }
    vdev->guest_features = val;
    if (vdev->info && vdev->info->set_features) {
        vdev->info->set_features(vdev, val);
    }
    return 0;
}

uint32_t virtio_config_read(VirtIODevice *vdev, uint32_t addr, unsigned size)
{
    uint32_t val = 0;

    if (size > 4 || addr > vdev->config_len ||
        size > vdev->config_len - addr) {
        return UINT32_MAX;
    }
    if (vdev->info && vdev->info->get_config) {
        vdev->info->get_config(vdev, vdev->config);
    }
    for (unsigned i = 0; i < size; i++) {
        val |= (uint32_t)vdev->config[addr + i] << (8 * i);
    }
    return val;
}

void virtio_config_write(VirtIODevice *vdev, uint32_t addr, uint32_t val,
                         unsigned size)
{
    if (size > 4 || addr > vdev->config_len ||
        size > vdev->config_len - addr) {
        emu_log_mask(LOG_GUEST_ERROR, "%s: config write out of range "
                     "(offset %u size %u)\n", vdev->name, addr, size);
        return;
    }
    if (vdev->info && vdev->info->get_config) {
        vdev->info->get_config(vdev, vdev->config);
    }
    for (unsigned i = 0; i < size; i++) {
        vdev->config[addr + i] = val >> (8 * i);
    }
    if (vdev->info && vdev->info->set_config) {
        vdev->info->set_config(vdev, vdev->config);
    }
}

/* ---- Device list (info virtio) ---- */

static VirtIODevice **virtio_devices;
static unsigned virtio_ndevices;

void virtio_device_list_add(VirtIODevice *vdev)
{
    virtio_devices = emu_realloc(virtio_devices, sizeof(*virtio_devices) *
                                 (virtio_ndevices + 1));
    virtio_devices[virtio_ndevices++] = vdev;
}

void virtio_device_list_remove(VirtIODevice *vdev)
{
    for (unsigned i = 0; i < virtio_ndevices; i++) {
        if (virtio_devices[i] == vdev) {
            memmove(&virtio_devices[i], &virtio_devices[i + 1],
                    sizeof(*virtio_devices) * (virtio_ndevices - i - 1));
            virtio_ndevices--;
            return;
        }
    }
}

VirtIODevice *virtio_device_next(VirtIODevice *prev)
{
    unsigned i = 0;

    if (prev) {
        while (i < virtio_ndevices && virtio_devices[i] != prev) {
            i++;
        }
        i++;
    }
    return i < virtio_ndevices ? virtio_devices[i] : NULL;
}

char *virtio_device_path(VirtIODevice *vdev)
{
    if (vdev->transport_dev) {
        return emu_asprintf("%s/virtio-backend",
                            device_path(vdev->transport_dev));
    }
    return emu_strdup(vdev->name);
}
