/*
 * The virtio device core (virtio 1.2 spec, split virtqueues): device
 * state, feature negotiation, virtqueues and their descriptor walking.
 *
 * A virtio device (the "backend": blk, balloon, rng, serial...) is a C
 * struct whose first member is a VirtIODevice, described by one static
 * const VirtioDeviceInfo.  It does not sit on a bus by itself: a transport
 * (virtio-pci.h) embeds it and drives it.  The device's realize hook calls
 * virtio_init() and virtio_add_queue(); queue handlers run with the global
 * lock held when the guest notifies the queue:
 *
 *   static void rng_handle_req(VirtIODevice *vdev, VirtQueue *vq)
 *   {
 *       VirtQueueElement *elem;
 *       while ((elem = virtqueue_pop(vq, sizeof(VirtQueueElement)))) {
 *           size_t n = iov_from_buf_helper(elem->in_sg, elem->in_num, ...);
 *           virtqueue_push(vq, elem, n);     // used.len = bytes written
 *           g_free(elem);  (free(elem))
 *       }
 *       virtio_notify(vdev, vq);
 *   }
 *
 * Guest input is hostile: every descriptor address/length is checked;
 * malformed rings (loops, out-of-range indices or addresses, oversized
 * chains, nested indirect tables, a write-only buffer before a read-only
 * one...) make virtqueue_pop() return NULL after virtio_error(), which
 * logs a guest error and sets VIRTIO_CONFIG_S_NEEDS_RESET; the device then
 * stays quiet until the driver resets it.
 */
#ifndef HW_VIRTIO_VIRTIO_H
#define HW_VIRTIO_VIRTIO_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "system/memory.h"
#include <sys/uio.h>

typedef struct VirtIODevice VirtIODevice;
typedef struct VirtQueue VirtQueue;
typedef struct VirtioDeviceInfo VirtioDeviceInfo;
typedef struct VirtioTransportOps VirtioTransportOps;

/* ---- Device IDs (spec 5) ---- */
#define VIRTIO_ID_NET           1
#define VIRTIO_ID_BLOCK         2
#define VIRTIO_ID_CONSOLE       3
#define VIRTIO_ID_RNG           4
#define VIRTIO_ID_BALLOON       5
#define VIRTIO_ID_SCSI          8
#define VIRTIO_ID_9P            9
#define VIRTIO_ID_GPU           16
#define VIRTIO_ID_INPUT         18

/* ---- Device status bits (spec 2.1) ---- */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE     1
#define VIRTIO_CONFIG_S_DRIVER          2
#define VIRTIO_CONFIG_S_DRIVER_OK       4
#define VIRTIO_CONFIG_S_FEATURES_OK     8
#define VIRTIO_CONFIG_S_NEEDS_RESET     0x40
#define VIRTIO_CONFIG_S_FAILED          0x80

/* ---- Reserved feature bits (spec 6) ---- */
#define VIRTIO_F_NOTIFY_ON_EMPTY        24  /* legacy only */
#define VIRTIO_F_ANY_LAYOUT             27  /* legacy only */
#define VIRTIO_RING_F_INDIRECT_DESC     28
#define VIRTIO_RING_F_EVENT_IDX         29
#define VIRTIO_F_BAD_FEATURE            30  /* legacy: never offered */
#define VIRTIO_F_VERSION_1              32
#define VIRTIO_F_ACCESS_PLATFORM        33
#define VIRTIO_F_RING_PACKED            34
#define VIRTIO_F_IN_ORDER               35
#define VIRTIO_F_ORDER_PLATFORM         36
#define VIRTIO_F_SR_IOV                 37
#define VIRTIO_F_NOTIFICATION_DATA      38

/* ---- Split ring layout (spec 2.7) ---- */
#define VRING_DESC_F_NEXT       1
#define VRING_DESC_F_WRITE      2
#define VRING_DESC_F_INDIRECT   4
#define VRING_USED_F_NO_NOTIFY  1
#define VRING_AVAIL_F_NO_INTERRUPT 1

/* Queue size limit and number of queues per device (as QEMU) */
#define VIRTQUEUE_MAX_SIZE      1024
#define VIRTIO_QUEUE_MAX        1024
/* "No MSI-X vector" (spec 4.1.4.3, legacy VIRTIO_MSI_NO_VECTOR) */
#define VIRTIO_NO_VECTOR        0xffff

/* ISR status bits (spec 4.1.4.5) */
#define VIRTIO_ISR_QUEUE        1
#define VIRTIO_ISR_CONFIG       2

static inline bool virtio_has_feature(uint64_t features, unsigned bit)
{
    return bit < 64 && (features & (1ULL << bit));
}

/*
 * One request popped from a virtqueue.  out_sg are the driver->device
 * (read-only for the device) buffers, in_sg the device->driver
 * (writable) ones, both mapped to host memory.  Devices may allocate a
 * larger struct that begins with a VirtQueueElement (virtqueue_pop's sz)
 * and keep it across asynchronous work; free it with free() after
 * virtqueue_push()/virtqueue_fill() or virtqueue_detach_element().
 */
typedef struct VirtQueueElement {
    unsigned int index;         /* head descriptor index */
    unsigned int len;           /* scratch, unused by the core */
    unsigned int ndescs;        /* descriptors consumed in the avail ring */
    unsigned int out_num;
    unsigned int in_num;
    hwaddr *in_addr;            /* guest address of each in_sg entry */
    hwaddr *out_addr;
    struct iovec *in_sg;
    struct iovec *out_sg;
} VirtQueueElement;

typedef void VirtIOHandleOutput(VirtIODevice *vdev, VirtQueue *vq);

/*
 * What a transport provides to the core.  All hooks may be NULL.
 */
struct VirtioTransportOps {
    /* Raise the interrupt for vector (VIRTIO_NO_VECTOR: INTx via ISR) */
    void (*notify)(void *opaque, uint16_t vector);
    /* Is the device's transport using MSI-X now (legacy config offset) */
    bool (*msix_active)(void *opaque);
    /* DMA address space the rings and buffers live in */
    AddressSpace *(*dma_as)(void *opaque);
};

/*
 * A virtio device type.  Only name, device_id and realize are required.
 */
struct VirtioDeviceInfo {
    const char *name;           /* "virtio-blk" (shown by info virtio) */
    uint16_t device_id;         /* VIRTIO_ID_* */
    /*
     * Set up: call virtio_init(vdev, config_size) first, then
     * virtio_add_queue() for each queue.  May fail.
     */
    void (*realize)(VirtIODevice *vdev, Error **errp);
    void (*unrealize)(VirtIODevice *vdev);
    /*
     * Feature bits offered to the driver; host_features holds the
     * transport/core bits (VERSION_1, INDIRECT_DESC, EVENT_IDX...).
     * Return host_features | the device's bits.
     */
    uint64_t (*get_features)(VirtIODevice *vdev, uint64_t host_features);
    /* The driver's accepted features (FEATURES_OK or legacy write) */
    void (*set_features)(VirtIODevice *vdev, uint64_t features);
    /* Fill the device config space (config_len bytes, little-endian) */
    void (*get_config)(VirtIODevice *vdev, uint8_t *config);
    /* The driver wrote to the config space (whole buffer given) */
    void (*set_config)(VirtIODevice *vdev, const uint8_t *config);
    /* Status written (after the core recorded it); e.g. DRIVER_OK */
    void (*set_status)(VirtIODevice *vdev, uint8_t status);
    /* Device reset (after the core has reset queues and status) */
    void (*reset)(VirtIODevice *vdev);
};

struct VirtIODevice {
    const VirtioDeviceInfo *info;
    const char *name;           /* == info->name */
    uint16_t device_id;
    /* Transport */
    const VirtioTransportOps *transport;
    void *transport_opaque;
    void *transport_dev;        /* DeviceState * of the transport */
    /* Status and features */
    uint8_t status;
    uint8_t isr;                /* VIRTIO_ISR_* (read-clear via transport) */
    uint16_t queue_sel;
    uint64_t host_features;     /* offered */
    uint64_t guest_features;    /* accepted by the driver */
    bool legacy;                /* driver uses the legacy interface */
    bool broken;                /* virtio_error() since the last reset */
    /* Config space */
    size_t config_len;
    uint8_t *config;
    uint16_t config_vector;
    uint8_t generation;         /* config_generation, bumped on change */
    /* Queues: vq[0..nvqs-1] of VIRTIO_QUEUE_MAX slots in use */
    VirtQueue *vq;
    unsigned nvqs;
    /* A queue handler is running (guards against DMA into our own BAR) */
    bool in_handler;
};

/* ---- Set-up (device realize/unrealize) ---- */
void virtio_init(VirtIODevice *vdev, size_t config_size);
void virtio_cleanup(VirtIODevice *vdev);
/*
 * Add a queue of queue_size (power of two, <= VIRTQUEUE_MAX_SIZE) with
 * a handler for guest notifications (may be NULL).  Returns NULL when
 * there are too many queues or the size is invalid.
 */
VirtQueue *virtio_add_queue(VirtIODevice *vdev, int queue_size,
                            VirtIOHandleOutput *handler);
void virtio_del_queue(VirtIODevice *vdev, int n);
VirtQueue *virtio_get_queue(VirtIODevice *vdev, int n);
int virtio_get_num_queues(VirtIODevice *vdev);

/* ---- Queue processing ---- */
/*
 * Take the next available request; NULL when the ring is empty, the
 * device is not ready, or the ring is malformed (then virtio_error()).
 * sz >= sizeof(VirtQueueElement): the returned block is sz bytes plus
 * the iovec arrays; free() it when done.
 */
void *virtqueue_pop(VirtQueue *vq, size_t sz);
/* Return a popped element unused (it will be popped again) */
void virtqueue_unpop(VirtQueue *vq, const VirtQueueElement *elem,
                     unsigned int len);
/* Forget an element without returning it to the driver */
void virtqueue_detach_element(VirtQueue *vq, const VirtQueueElement *elem,
                              unsigned int len);
/*
 * Place elem in the used ring at position idx after the last flush,
 * with len bytes written to its in buffers; unmaps its buffers.
 */
void virtqueue_fill(VirtQueue *vq, const VirtQueueElement *elem,
                    unsigned int len, unsigned int idx);
/* Publish count filled elements (update used->idx) */
void virtqueue_flush(VirtQueue *vq, unsigned int count);
/* fill + flush of one element */
void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem,
                    unsigned int len);
/* Is the avail ring empty (or the queue not set up) */
bool virtio_queue_empty(VirtQueue *vq);
/* Ask the driver not to notify (false) / to notify (true) */
void virtio_queue_set_notification(VirtQueue *vq, int enable);
/* Interrupt the driver for vq unless it suppressed it (EVENT_IDX etc.) */
void virtio_notify(VirtIODevice *vdev, VirtQueue *vq);
/* Config space changed: bump generation, ISR config bit, interrupt */
void virtio_notify_config(VirtIODevice *vdev);
/*
 * The device found the driver's data unusable: log it (-d guest_errors),
 * set NEEDS_RESET (and notify the config change for 1.x drivers) and
 * stop processing until reset.
 */
void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy between iovecs and a flat buffer; return bytes copied */
size_t iov_from_buf(const struct iovec *iov, unsigned int iov_cnt,
                    size_t offset, const void *buf, size_t bytes);
size_t iov_to_buf(const struct iovec *iov, unsigned int iov_cnt,
                  size_t offset, void *buf, size_t bytes);
size_t iov_size(const struct iovec *iov, unsigned int iov_cnt);

/* ---- Queue accessors (transports, info virtio) ---- */
int virtio_queue_get_num(VirtIODevice *vdev, int n);       /* size */
int virtio_queue_get_max_num(VirtIODevice *vdev, int n);
void virtio_queue_set_num(VirtIODevice *vdev, int n, int num);
/* Modern: the three ring addresses */
void virtio_queue_set_rings(VirtIODevice *vdev, int n, hwaddr desc,
                            hwaddr avail, hwaddr used);
hwaddr virtio_queue_get_desc_addr(VirtIODevice *vdev, int n);
hwaddr virtio_queue_get_avail_addr(VirtIODevice *vdev, int n);
hwaddr virtio_queue_get_used_addr(VirtIODevice *vdev, int n);
/* Legacy: one page frame number, rings laid out with 4096 alignment */
void virtio_queue_set_addr(VirtIODevice *vdev, int n, hwaddr addr);
hwaddr virtio_queue_get_addr(VirtIODevice *vdev, int n);
bool virtio_queue_enabled(VirtIODevice *vdev, int n);
void virtio_queue_set_enabled(VirtIODevice *vdev, int n, bool enabled);
uint16_t virtio_queue_vector(VirtIODevice *vdev, int n);
void virtio_queue_set_vector(VirtIODevice *vdev, int n, uint16_t vector);
uint16_t virtio_queue_get_last_avail_idx(VirtIODevice *vdev, int n);
uint16_t virtio_queue_get_used_idx(VirtIODevice *vdev, int n);
/* The guest kicked queue n (transport notify register) */
void virtio_queue_notify(VirtIODevice *vdev, int n);
int virtio_queue_index(VirtQueue *vq);
VirtIODevice *virtio_queue_get_device(VirtQueue *vq);

/* ---- Device-level operations (transports) ---- */
/* Reset to the power-on state: status 0, queues gone, features cleared */
void virtio_reset(VirtIODevice *vdev);
void virtio_set_status(VirtIODevice *vdev, uint8_t val);
/*
 * Driver's accepted features.  Returns -EINVAL (and keeps the old
 * value) when val contains bits that were not offered.
 */
int virtio_set_features(VirtIODevice *vdev, uint64_t val);
/* Config space accesses (addr relative to the device config) */
uint32_t virtio_config_read(VirtIODevice *vdev, uint32_t addr, unsigned size);
void virtio_config_write(VirtIODevice *vdev, uint32_t addr, uint32_t val,
                         unsigned size);
/* Raise the transport interrupt for vector */
void virtio_notify_vector(VirtIODevice *vdev, uint16_t vector);
/* Does the driver use the 1.x (VERSION_1) interface */
static inline bool virtio_vdev_is_modern(const VirtIODevice *vdev)
{
    return virtio_has_feature(vdev->guest_features, VIRTIO_F_VERSION_1);
}
static inline bool virtio_vdev_has_feature(const VirtIODevice *vdev,
                                           unsigned bit)
{
    return virtio_has_feature(vdev->guest_features, bit);
}
/* DRIVER_OK set, not broken */
bool virtio_device_ready(const VirtIODevice *vdev);

/*
 * Every realized virtio device, for "info virtio" and QMP
 * x-query-virtio: registered by the transport at realize.
 */
void virtio_device_list_add(VirtIODevice *vdev);
void virtio_device_list_remove(VirtIODevice *vdev);
/* Iterate: pass NULL first, NULL at the end */
VirtIODevice *virtio_device_next(VirtIODevice *prev);
/* "/machine/peripheral-anon/device[0]/virtio-backend" */
char *virtio_device_path(VirtIODevice *vdev);

#endif
