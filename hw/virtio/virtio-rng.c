/* virtio-rng: entropy for the guest from the host's getrandom() (virtio 1.2 spec 5.4), rate-limitable. */
#include "emu/osdep.h"
#include "emu/timer.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-pci.h"
#include <fcntl.h>
#include <sys/random.h>

/* QEMU's defaults: no limit, one-minute-ish period (2^16 ms) */
#define VIRTIO_RNG_DEFAULT_MAX_BYTES    INT64_MAX
#define VIRTIO_RNG_DEFAULT_PERIOD_MS    (1u << 16)

typedef struct VirtIORNG {
    VirtIODevice parent_obj;
    VirtQueue *vq;
    /* Properties */
    uint64_t max_bytes;         /* bytes allowed per period */
    uint32_t period_ms;
    /* State */
    int64_t quota_remaining;    /* bytes left in this period */
    bool activate_timer;        /* start a period at the next request */
    EmuTimer *rate_limit_timer;
} VirtIORNG;

typedef struct VirtIORNGPCI {
    VirtIOPCIProxy parent_obj;
    VirtIORNG vdev;
} VirtIORNGPCI;

/*
 * Fill buf from the host's entropy source: getrandom(), or /dev/urandom
 * when the kernel lacks it.  Returns the bytes obtained (may be short).
 */
static size_t rng_host_read(uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = getrandom(buf + done, len - done, 0);

        if (n > 0) {
            done += n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            break;
        }
    }
    if (done < len) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

        if (fd >= 0) {
            while (done < len) {
                ssize_t n = read(fd, buf + done, len - done);

                if (n > 0) {
                    done += n;
                } else if (!(n < 0 && errno == EINTR)) {
                    break;
                }
            }
            close(fd);
        }
    }
    return done;
}

/* Satisfy queued requests while the period's quota lasts */
static void virtio_rng_process(VirtIORNG *rng)
{
    VirtIODevice *vdev = &rng->parent_obj;
    VirtQueueElement *elem;
    bool pushed = false;

    if (!virtio_device_ready(vdev)) {
        return;
    }
    if (rng->activate_timer) {
        timer_mod(rng->rate_limit_timer,
                  clock_get_ms(EMU_CLOCK_VIRTUAL) + rng->period_ms);
        rng->activate_timer = false;
    }
    while (rng->quota_remaining > 0 &&
           (elem = virtqueue_pop(rng->vq, sizeof(VirtQueueElement)))) {
        size_t room = iov_size(elem->in_sg, elem->in_num);
        size_t want = MIN(room, (uint64_t)rng->quota_remaining);
        size_t done = 0;
        unsigned i;

        /* The in buffers are mapped guest RAM: fill them in place */
        for (i = 0; i < elem->in_num && done < want; i++) {
            size_t chunk = MIN(elem->in_sg[i].iov_len, want - done);
            size_t got = rng_host_read(elem->in_sg[i].iov_base, chunk);

            done += got;
            if (got < chunk) {
                break;
            }
        }
        virtqueue_push(rng->vq, elem, done);
        free(elem);
        rng->quota_remaining -= done;
        pushed = true;
    }
    if (pushed) {
        virtio_notify(vdev, rng->vq);
    }
}

static void virtio_rng_handle_request(VirtIODevice *vdev, VirtQueue *vq)
{
    (void)vq;
    virtio_rng_process((VirtIORNG *)vdev);
}

/* A new period starts: refill the quota and serve what waited */
static void virtio_rng_rate_limit_cb(void *opaque)
{
    VirtIORNG *rng = opaque;

    rng->quota_remaining = (int64_t)rng->max_bytes;
    virtio_rng_process(rng);
    rng->activate_timer = true;
}

static void virtio_rng_set_status(VirtIODevice *vdev, uint8_t status)
{
    if (status & VIRTIO_CONFIG_S_DRIVER_OK) {
        virtio_rng_process((VirtIORNG *)vdev);
    }
}

static void virtio_rng_realize(VirtIODevice *vdev, Error **errp)
{
    VirtIORNG *rng = (VirtIORNG *)vdev;

    if (rng->period_ms == 0) {
        error_setg(errp, "'period' parameter expects a positive integer");
        return;
    }
    if (rng->max_bytes > INT64_MAX) {
        error_setg(errp, "'max-bytes' parameter must be non-negative, "
                   "and less than 2^63");
        return;
    }
    virtio_init(vdev, 0);
    rng->vq = virtio_add_queue(vdev, 8, virtio_rng_handle_request);
    if (!rng->vq) {
        error_setg(errp, "virtio-rng: cannot create the virtqueue");
        virtio_cleanup(vdev);
        return;
    }
    rng->quota_remaining = (int64_t)rng->max_bytes;
    rng->rate_limit_timer = timer_new_ms(EMU_CLOCK_VIRTUAL,
                                         virtio_rng_rate_limit_cb, rng);
    rng->activate_timer = true;
}

static void virtio_rng_unrealize(VirtIODevice *vdev)
{
    VirtIORNG *rng = (VirtIORNG *)vdev;

    timer_free(rng->rate_limit_timer);
    rng->rate_limit_timer = NULL;
    virtio_cleanup(vdev);
}

static const VirtioDeviceInfo virtio_rng_info = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .realize = virtio_rng_realize,
    .unrealize = virtio_rng_unrealize,
    .set_status = virtio_rng_set_status,
};

static const Property virtio_rng_pci_props[] = {
    DEFINE_PROP_UINT64("max-bytes", VirtIORNGPCI, vdev.max_bytes,
                       VIRTIO_RNG_DEFAULT_MAX_BYTES),
    DEFINE_PROP_UINT32("period", VirtIORNGPCI, vdev.period_ms,
                       VIRTIO_RNG_DEFAULT_PERIOD_MS),
    DEFINE_PROP_END_OF_LIST(),
};

static const VirtioPCIDeviceTypeInfo virtio_rng_pci_info = {
    .name = "virtio-rng-pci",
    .desc = "virtio entropy device",
    .category = "Misc devices",
    .vdev_info = &virtio_rng_info,
    .instance_size = sizeof(VirtIORNGPCI),
    .vdev_offset = offsetof(VirtIORNGPCI, vdev),
    .props = virtio_rng_pci_props,
    .class_id = PCI_CLASS_OTHERS,
    .hotpluggable = true,
};

VIRTIO_PCI_REGISTER(virtio_rng_pci_info)
