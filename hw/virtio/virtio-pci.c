/* The virtio PCI transport: modern (1.x) capabilities in BAR4, MSI-X in BAR1, legacy I/O in BAR0. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "emu/main-loop.h"
#include "hw/pci/msi.h"
#include "hw/virtio/virtio-pci.h"
#include "system/kvm.h"
#include <sys/eventfd.h>

/* Capability lengths (spec 4.1.4): struct virtio_pci_cap is 16 bytes */
#define VIRTIO_PCI_CAP_LEN          16
#define VIRTIO_PCI_NOTIFY_CAP_LEN   20
#define VIRTIO_PCI_CFG_CAP_LEN      20
#define VIRTIO_PCI_MODERN_BAR_SIZE  0x4000
/* Legacy header: 20 bytes of registers, 4 more with MSI-X */
#define VIRTIO_PCI_LEGACY_HDR_MSIX  24
/* MSI-X table and PBA inside BAR1, as QEMU */
#define VIRTIO_PCI_MSIX_PBA_OFFSET  0x800

/* Bits only a legacy driver may see (spec 6.3) */
#define VIRTIO_LEGACY_ONLY_FEATURES                                     \
    ((1ULL << VIRTIO_F_NOTIFY_ON_EMPTY) | (1ULL << VIRTIO_F_ANY_LAYOUT) | \
     (1ULL << VIRTIO_F_BAD_FEATURE))

/*
 * Transitional PCI device IDs (spec 4.1.2.1); 0 where a device type has
 * none (it can only be modern).
 */
static uint16_t virtio_pci_transitional_id(uint16_t vid)
{
    switch (vid) {
    case VIRTIO_ID_NET:
        return 0x1000;
    case VIRTIO_ID_BLOCK:
        return 0x1001;
    case VIRTIO_ID_BALLOON:
        return 0x1002;
    case VIRTIO_ID_CONSOLE:
        return 0x1003;
    case VIRTIO_ID_SCSI:
        return 0x1004;
    case VIRTIO_ID_RNG:
        return 0x1005;
    case VIRTIO_ID_9P:
        return 0x1009;
    default:
        return 0;
    }
}

static VirtIOPCIProxy *to_proxy(void *p)
{
    return (VirtIOPCIProxy *)p;
}

VirtIOPCIProxy *virtio_pci_proxy(VirtIODevice *vdev)
{
    if (!vdev->transport_dev) {
        return NULL;
    }
    return to_proxy(vdev->transport_dev);
}

static bool virtio_pci_msix_active(void *opaque)
{
    return msix_enabled(&to_proxy(opaque)->pci_dev);
}

static void virtio_pci_update_intx(VirtIOPCIProxy *proxy)
{
    VirtIODevice *vdev = proxy->vdev;

    pci_set_irq(&proxy->pci_dev, !msix_enabled(&proxy->pci_dev) &&
                (__atomic_load_n(&vdev->isr, __ATOMIC_SEQ_CST) != 0));
}

/* ---- Event fds under KVM: host notifiers (kicks) ---- */

static bool virtio_pci_wants_host_notifiers(VirtIOPCIProxy *proxy)
{
    return proxy->ioeventfd && proxy->vqs &&
           (proxy->vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
           kvm_ioeventfd_available();
}

/* The main loop saw the eventfd of a queue: the guest kicked it */
static void virtio_pci_host_notifier_read(void *opaque)
{
    VirtIOPCIHostNotifier *hn = opaque;
    VirtIOPCIProxy *proxy = hn->proxy;
    uint64_t count;

    if (read(hn->fd, &count, sizeof(count)) != sizeof(count)) {
        return;     /* EAGAIN: someone drained it already */
    }
    proxy->ioeventfd_kicks++;
    emu_log_mask(LOG_TRACE, "virtio_pci_ioeventfd_kick %s queue %u "
                 "(kicks %" PRIu64 ")\n", proxy->vdev->name, hn->queue,
                 proxy->ioeventfd_kicks);
    virtio_queue_notify(proxy->vdev, hn->queue);
}

/* Where queue n's kick lands now: 0 when that BAR is not mapped */
static uint64_t virtio_pci_notify_mmio_addr(VirtIOPCIProxy *proxy,
                                            unsigned n)
{
    uint64_t bar;

    if (proxy->disable_modern) {
        return 0;
    }
    bar = pci_get_bar_addr(&proxy->pci_dev, VIRTIO_PCI_MODERN_BAR);
    if (bar == PCI_BAR_UNMAPPED) {
        return 0;
    }
    return bar + VIRTIO_PCI_NOTIFY_OFFSET +
           (uint64_t)n * VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER;
}

static uint32_t virtio_pci_notify_pio_addr(VirtIOPCIProxy *proxy)
{
    uint64_t bar;

    if (!proxy->legacy_enabled) {
        return 0;
    }
    bar = pci_get_bar_addr(&proxy->pci_dev, 0);
    if (bar == PCI_BAR_UNMAPPED || bar + VIRTIO_PCI_QUEUE_NOTIFY > 0xfffe) {
        return 0;
    }
    return bar + VIRTIO_PCI_QUEUE_NOTIFY;
}

static void virtio_pci_host_notifier_unregister(VirtIOPCIHostNotifier *hn)
{
    VirtIOPCIProxy *proxy = hn->proxy;

    if (!hn->mmio_addr && !hn->pio_addr) {
        return;
    }
    if (hn->mmio_addr) {
        kvm_set_ioeventfd_mmio(hn->fd, hn->mmio_addr, 0, false,
                               kvm_ioeventfd_any_length_available() ? 0 : 2,
                               false);
        hn->mmio_addr = 0;
    }
    if (hn->pio_addr) {
        kvm_set_ioeventfd_pio(hn->fd, hn->pio_addr, hn->queue, false, 2,
                              true);
        hn->pio_addr = 0;
    }
    emu_log_mask(LOG_TRACE, "virtio_pci_ioeventfd_unregister %s queue %u\n",
                 proxy->vdev->name, hn->queue);
}

/*
 * Register the eventfd of queue n at the addresses the guest sees now:
 * the modern notify register (any write size where KVM allows it; a
 * Linux driver writes the queue index as 16 bits) and the legacy
 * QUEUE_NOTIFY port with a match on the queue index.  A refused
 * registration leaves that address to the MMIO/PIO handlers.
 */
static void virtio_pci_host_notifier_register(VirtIOPCIHostNotifier *hn,
                                              uint64_t mmio, uint32_t pio)
{
    VirtIOPCIProxy *proxy = hn->proxy;
    int r;

    if (!mmio && !pio) {
        return;     /* neither BAR decodes now */
    }
    if (mmio) {
        r = kvm_set_ioeventfd_mmio(hn->fd, mmio, 0, true,
                                   kvm_ioeventfd_any_length_available()
                                   ? 0 : 2, false);
        if (r < 0) {
            hn->failed = true;
        } else {
            hn->mmio_addr = mmio;
        }
    }
    if (pio && !hn->failed) {
        r = kvm_set_ioeventfd_pio(hn->fd, pio, hn->queue, true, 2, true);
        if (r < 0) {
            hn->failed = true;
        } else {
            hn->pio_addr = pio;
        }
    }
    if (hn->failed) {
        emu_log_mask(LOG_UNIMP, "%s: queue %u: KVM refused the ioeventfd; "
                     "kicks exit to userspace\n", proxy->vdev->name,
                     hn->queue);
        virtio_pci_host_notifier_unregister(hn);
        return;
    }
    emu_log_mask(LOG_TRACE, "virtio_pci_ioeventfd_register %s queue %u mmio "
                 "0x%" PRIx64 " pio 0x%x\n", proxy->vdev->name, hn->queue,
                 hn->mmio_addr, hn->pio_addr);
}

/*
 * A kick that reached the eventfd just before it was unregistered would
 * be lost: run the queue for it while the device still runs.
 */
static void virtio_pci_host_notifier_drain(VirtIOPCIHostNotifier *hn,
                                           bool run)
{
    uint64_t count;

    if (read(hn->fd, &count, sizeof(count)) == sizeof(count) && run) {
        virtio_queue_notify(hn->proxy->vdev, hn->queue);
    }
}

/*
 * Make the host notifiers match the device: registered at the current
 * BAR addresses while the driver runs (DRIVER_OK) under KVM with
 * ioeventfd=on, gone otherwise.  Called after every change of status,
 * reset and config space write (BARs move, decoding turns off).
 */
static void virtio_pci_sync_host_notifiers(VirtIOPCIProxy *proxy)
{
    VirtIODevice *vdev = proxy->vdev;
    bool want = virtio_pci_wants_host_notifiers(proxy);
    bool running = vdev->status & VIRTIO_CONFIG_S_DRIVER_OK;
    unsigned n;

    if (!want || (proxy->host_notifiers &&
                  proxy->nr_host_notifiers != vdev->nvqs)) {
        if (!proxy->host_notifiers) {
            return;
        }
        for (n = 0; n < proxy->nr_host_notifiers; n++) {
            VirtIOPCIHostNotifier *hn = &proxy->host_notifiers[n];
            if (hn->fd < 0) {
                continue;
            }
            virtio_pci_host_notifier_unregister(hn);
            emu_set_fd_handler(hn->fd, NULL, NULL, NULL);
            virtio_pci_host_notifier_drain(hn, running);
            close(hn->fd);
        }
        free(proxy->host_notifiers);
        proxy->host_notifiers = NULL;
        proxy->nr_host_notifiers = 0;
        if (!want) {
            return;
        }
    }

    if (!proxy->host_notifiers) {
        proxy->host_notifiers = emu_new0(VirtIOPCIHostNotifier, vdev->nvqs);
        proxy->nr_host_notifiers = vdev->nvqs;
        for (n = 0; n < vdev->nvqs; n++) {
            VirtIOPCIHostNotifier *hn = &proxy->host_notifiers[n];
            hn->proxy = proxy;
            hn->queue = n;
            hn->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            if (hn->fd < 0) {
                hn->failed = true;
                continue;
            }
            emu_set_fd_handler(hn->fd, virtio_pci_host_notifier_read, NULL,
                               hn);
        }
    }
    for (n = 0; n < proxy->nr_host_notifiers; n++) {
        VirtIOPCIHostNotifier *hn = &proxy->host_notifiers[n];
        uint64_t mmio = virtio_pci_notify_mmio_addr(proxy, n);
        uint32_t pio = virtio_pci_notify_pio_addr(proxy);

        if (hn->fd < 0 || hn->failed ||
            (hn->mmio_addr == mmio && hn->pio_addr == pio)) {
            continue;
        }
        virtio_pci_host_notifier_unregister(hn);
        virtio_pci_host_notifier_register(hn, mmio, pio);
        /* a kick between the two went to the old address: none lost */
        virtio_pci_host_notifier_drain(hn, true);
    }
}

/* ---- Event fds under KVM: guest notifiers (MSI-X through irqfd) ---- */

static void virtio_pci_release_guest_notifiers(VirtIOPCIProxy *proxy)
{
    if (!proxy->guest_notifiers) {
        return;
    }
    for (unsigned v = 0; v < proxy->nvectors; v++) {
        VirtIOPCIGuestNotifier *gn = &proxy->guest_notifiers[v];
        if (gn->fd >= 0) {
            kvm_irqchip_remove_irqfd(gn->fd, gn->gsi);
            kvm_irqchip_release_msi_route(gn->gsi);
            close(gn->fd);
        }
    }
    free(proxy->guest_notifiers);
    proxy->guest_notifiers = NULL;
}

static bool virtio_pci_guest_notifier_bind(VirtIOPCIProxy *proxy,
                                           VirtIOPCIGuestNotifier *gn,
                                           uint64_t addr, uint32_t data)
{
    gn->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (gn->fd < 0) {
        return false;
    }
    gn->gsi = kvm_irqchip_add_msi_route(addr, data);
    if (gn->gsi < 0) {
        close(gn->fd);
        gn->fd = -1;
        return false;
    }
    if (kvm_irqchip_add_irqfd(gn->fd, -1, gn->gsi) < 0) {
        kvm_irqchip_release_msi_route(gn->gsi);
        close(gn->fd);
        gn->fd = -1;
        return false;
    }
    gn->addr = addr;
    gn->data = data;
    return true;
}

/*
 * Send MSI-X vector through its irqfd.  The route follows the table
 * entry lazily: every interrupt of this device comes through here, so
 * checking the entry before the write is enough to never deliver a
 * stale message.  Returns false when the caller must use the plain
 * path: a masked vector (msix_notify sets its PBA bit; the unmask sends
 * it through KVM_SIGNAL_MSI), or no irqfd under this accelerator.
 */
static bool virtio_pci_irqfd_notify(VirtIOPCIProxy *proxy, uint16_t vector)
{
    PCIDevice *pd = &proxy->pci_dev;
    VirtIOPCIGuestNotifier *gn;
    const PCIMSIXVector *e;
    uint64_t addr, one = 1;

    if (!proxy->ioeventfd || vector >= pd->msix_entries ||
        msix_is_masked(pd, vector) || !kvm_irqfd_msi_available()) {
        return false;
    }
    if (!proxy->guest_notifiers) {
        proxy->guest_notifiers = emu_new0(VirtIOPCIGuestNotifier,
                                          proxy->nvectors);
        for (unsigned v = 0; v < proxy->nvectors; v++) {
            proxy->guest_notifiers[v].fd = -1;
            proxy->guest_notifiers[v].gsi = -1;
        }
    }
    gn = &proxy->guest_notifiers[vector];
    if (gn->failed) {
        return false;
    }
    e = &pd->msix_table[vector];
    addr = ((uint64_t)e->addr_hi << 32) | e->addr_lo;
    if (gn->fd < 0) {
        if (!virtio_pci_guest_notifier_bind(proxy, gn, addr, e->data)) {
            gn->failed = true;
            emu_log_mask(LOG_UNIMP, "%s: vector %u: no KVM irqfd; "
                         "interrupts go through KVM_SIGNAL_MSI\n",
                         proxy->vdev->name, vector);
            return false;
        }
        emu_log_mask(LOG_TRACE, "virtio_pci_irqfd_bind %s vector %u gsi %d\n",
                     proxy->vdev->name, vector, gn->gsi);
    } else if (gn->addr != addr || gn->data != e->data) {
        if (kvm_irqchip_update_msi_route(gn->gsi, addr, e->data) < 0) {
            return false;
        }
        gn->addr = addr;
        gn->data = e->data;
    }
    if (write(gn->fd, &one, sizeof(one)) != sizeof(one)) {
        return false;
    }
    proxy->irqfd_interrupts++;
    emu_log_mask(LOG_TRACE, "virtio_pci_irqfd_notify %s vector %u "
                 "(interrupts %" PRIu64 ")\n", proxy->vdev->name, vector,
                 proxy->irqfd_interrupts);
    return true;
}

static void virtio_pci_notify(void *opaque, uint16_t vector)
{
    VirtIOPCIProxy *proxy = to_proxy(opaque);

    if (msix_enabled(&proxy->pci_dev)) {
        if (vector != VIRTIO_NO_VECTOR && vector < proxy->nvectors &&
            !virtio_pci_irqfd_notify(proxy, vector)) {
            msix_notify(&proxy->pci_dev, vector);
        }
        return;
    }
    virtio_pci_update_intx(proxy);
}

static AddressSpace *virtio_pci_dma_as(void *opaque)
{
    return &address_space_memory;
}

static const VirtioTransportOps virtio_pci_transport_ops = {
    .notify = virtio_pci_notify,
    .msix_active = virtio_pci_msix_active,
    .dma_as = virtio_pci_dma_as,
};

/* Features as a 1.x driver sees them */
static uint64_t virtio_pci_modern_features(VirtIOPCIProxy *proxy)
{
    return proxy->vdev->host_features & ~VIRTIO_LEGACY_ONLY_FEATURES;
}

static void virtio_pci_reset_queues_state(VirtIOPCIProxy *proxy)
{
    proxy->dfselect = 0;
    proxy->gfselect = 0;
    proxy->guest_features[0] = proxy->guest_features[1] = 0;
    memset(proxy->vqs, 0, sizeof(VirtIOPCIQueueState) * VIRTIO_QUEUE_MAX);
}

static void virtio_pci_reset_vdev(VirtIOPCIProxy *proxy)
{
    virtio_reset(proxy->vdev);
    virtio_pci_reset_queues_state(proxy);
    pci_set_irq(&proxy->pci_dev, 0);
    virtio_pci_sync_host_notifiers(proxy);
    virtio_pci_release_guest_notifiers(proxy);
}

static uint16_t virtio_pci_check_vector(VirtIOPCIProxy *proxy, uint16_t v)
{
    /* A vector the device cannot use reads back as NO_VECTOR (4.1.5.1.2) */
    return v < proxy->nvectors ? v : VIRTIO_NO_VECTOR;
}

static void virtio_pci_write_status(VirtIOPCIProxy *proxy, uint8_t val,
                                    bool modern)
{
    VirtIODevice *vdev = proxy->vdev;

    if (val == 0) {
        virtio_pci_reset_vdev(proxy);
        return;
    }
    if (modern && (val & VIRTIO_CONFIG_S_FEATURES_OK) &&
        !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        uint64_t want = proxy->guest_features[0] |
                        ((uint64_t)proxy->guest_features[1] << 32);
        /*
         * Refuse the feature set (FEATURES_OK reads back clear) if it
         * has bits we did not offer or lacks VERSION_1 (spec 3.1.1).
         */
        if ((want & ~virtio_pci_modern_features(proxy)) ||
            !virtio_has_feature(want, VIRTIO_F_VERSION_1)) {
            emu_log_mask(LOG_GUEST_ERROR, "%s: driver accepted features "
                         "0x%" PRIx64 " that were not offered\n",
                         vdev->name, want);
            val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
        }
    }
    virtio_set_status(vdev, val);
    virtio_pci_sync_host_notifiers(proxy);
}

/* ---- Modern: common configuration ---- */

static VirtIOPCIQueueState *proxy_sel_queue(VirtIOPCIProxy *proxy)
{
    uint16_t sel = proxy->vdev->queue_sel;

    return sel < VIRTIO_QUEUE_MAX ? &proxy->vqs[sel] : NULL;
}

static uint64_t virtio_pci_common_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    VirtIODevice *vdev = proxy->vdev;
    uint16_t sel = vdev->queue_sel;
    VirtIOPCIQueueState *qs = proxy_sel_queue(proxy);
    bool qvalid = sel < vdev->nvqs;

    switch (addr) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        return proxy->dfselect;
    case VIRTIO_PCI_COMMON_DF:
        if (proxy->dfselect > 1) {
            return 0;
        }
        return (uint32_t)(virtio_pci_modern_features(proxy) >>
                          (32 * proxy->dfselect));
    case VIRTIO_PCI_COMMON_GFSELECT:
        return proxy->gfselect;
    case VIRTIO_PCI_COMMON_GF:
        return proxy->gfselect <= 1 ? proxy->guest_features[proxy->gfselect]
                                    : 0;
    case VIRTIO_PCI_COMMON_MSIX:
        return vdev->config_vector;
    case VIRTIO_PCI_COMMON_NUMQ:
        return vdev->nvqs;
    case VIRTIO_PCI_COMMON_STATUS:
        return vdev->status;
    case VIRTIO_PCI_COMMON_CFGGENERATION:
        return vdev->generation;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        return sel;
    case VIRTIO_PCI_COMMON_Q_SIZE:
        return qvalid ? virtio_queue_get_num(vdev, sel) : 0;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        return qvalid ? virtio_queue_vector(vdev, sel) : VIRTIO_NO_VECTOR;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        return qvalid && qs ? qs->enabled : 0;
    case VIRTIO_PCI_COMMON_Q_NOFF:
        return qvalid ? sel : 0;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
        return qs ? qs->desc[0] : 0;
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        return qs ? qs->desc[1] : 0;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
        return qs ? qs->avail[0] : 0;
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        return qs ? qs->avail[1] : 0;
    case VIRTIO_PCI_COMMON_Q_USEDLO:
        return qs ? qs->used[0] : 0;
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        return qs ? qs->used[1] : 0;
    default:
        return 0;
    }
}

static void virtio_pci_common_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    VirtIODevice *vdev = proxy->vdev;
    uint16_t sel = vdev->queue_sel;
    VirtIOPCIQueueState *qs = proxy_sel_queue(proxy);
    bool qvalid = sel < vdev->nvqs && qs;

    switch (addr) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        proxy->dfselect = val;
        break;
    case VIRTIO_PCI_COMMON_GFSELECT:
        proxy->gfselect = val;
        break;
    case VIRTIO_PCI_COMMON_GF:
        if (proxy->gfselect <= 1) {
            proxy->guest_features[proxy->gfselect] = val;
            virtio_set_features(vdev, (proxy->guest_features[0] |
                                ((uint64_t)proxy->guest_features[1] << 32)) &
                                virtio_pci_modern_features(proxy));
        }
        break;
    case VIRTIO_PCI_COMMON_MSIX:
        vdev->config_vector = virtio_pci_check_vector(proxy, val);
        break;
    case VIRTIO_PCI_COMMON_STATUS:
        virtio_pci_write_status(proxy, val, true);
        break;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        if (val < VIRTIO_QUEUE_MAX) {
            vdev->queue_sel = val;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_SIZE:
        if (qvalid && !qs->enabled) {
            virtio_queue_set_num(vdev, sel, val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        if (qvalid) {
            virtio_queue_set_vector(vdev, sel,
                                    virtio_pci_check_vector(proxy, val));
        }
        break;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        if (!qvalid) {
            break;
        }
        if (val == 1 && !qs->enabled) {
            hwaddr desc = qs->desc[0] | ((uint64_t)qs->desc[1] << 32);
            hwaddr avail = qs->avail[0] | ((uint64_t)qs->avail[1] << 32);
            hwaddr used = qs->used[0] | ((uint64_t)qs->used[1] << 32);
            virtio_queue_set_rings(vdev, sel, desc, avail, used);
            virtio_queue_set_enabled(vdev, sel, true);
            qs->enabled = true;
        } else if (val != 1) {
            emu_log_mask(LOG_GUEST_ERROR, "%s: queue_enable write of %u\n",
                         vdev->name, (unsigned)val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
        if (qvalid) {
            qs->desc[0] = val;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        if (qvalid) {
            qs->desc[1] = val;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
        if (qvalid) {
            qs->avail[0] = val;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        if (qvalid) {
            qs->avail[1] = val;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_USEDLO:
        if (qvalid) {
            qs->used[0] = val;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        if (qvalid) {
            qs->used[1] = val;
        }
        break;
    default:
        emu_log_mask(LOG_GUEST_ERROR, "%s: write to read-only common "
                     "config offset 0x%x\n", vdev->name, (unsigned)addr);
        break;
    }
}

static const MemoryRegionOps virtio_pci_common_ops = {
    .read = virtio_pci_common_read,
    .write = virtio_pci_common_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

/* ---- Modern: ISR, device config, notify ---- */

static uint8_t virtio_pci_read_isr(VirtIOPCIProxy *proxy)
{
    /* Reading clears it and lowers INTx (spec 4.1.4.5) */
    uint8_t val = __atomic_exchange_n(&proxy->vdev->isr, 0,
                                      __ATOMIC_SEQ_CST);
    pci_set_irq(&proxy->pci_dev, 0);
    return val;
}

static uint64_t virtio_pci_isr_read(void *opaque, hwaddr addr, unsigned size)
{
    return addr == 0 ? virtio_pci_read_isr(opaque) : 0;
}

static void virtio_pci_isr_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
}

static const MemoryRegionOps virtio_pci_isr_ops = {
    .read = virtio_pci_isr_read,
    .write = virtio_pci_isr_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static uint64_t virtio_pci_device_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;

    if (addr >= proxy->vdev->config_len) {
        return 0;
    }
    return virtio_config_read(proxy->vdev, addr, size);
}

static void virtio_pci_device_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;

    virtio_config_write(proxy->vdev, addr, val, size);
}

static const MemoryRegionOps virtio_pci_device_ops = {
    .read = virtio_pci_device_read,
    .write = virtio_pci_device_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static uint64_t virtio_pci_notify_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    return 0;
}

static void virtio_pci_notify_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    unsigned queue = addr / VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER;

    if (queue < proxy->vdev->nvqs) {
        emu_log_mask(LOG_TRACE, "virtio_pci_notify_write %s queue %u "
                     "(modern register)\n", proxy->vdev->name, queue);
        virtio_queue_notify(proxy->vdev, queue);
    } else {
        emu_log_mask(LOG_GUEST_ERROR, "%s: notify of queue %u that does "
                     "not exist\n", proxy->vdev->name, queue);
    }
}

static const MemoryRegionOps virtio_pci_notify_ops = {
    .read = virtio_pci_notify_read,
    .write = virtio_pci_notify_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

/* ---- Legacy I/O BAR0 ---- */

static uint32_t legacy_config_offset(VirtIOPCIProxy *proxy)
{
    return VIRTIO_PCI_CONFIG_OFF(msix_enabled(&proxy->pci_dev));
}

static uint64_t virtio_pci_legacy_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    VirtIODevice *vdev = proxy->vdev;
    uint32_t cfg = legacy_config_offset(proxy);
    uint16_t sel = vdev->queue_sel;

    if (addr >= cfg) {
        return virtio_config_read(vdev, addr - cfg, size);
    }
    switch (addr) {
    case VIRTIO_PCI_HOST_FEATURES:
        return (uint32_t)vdev->host_features;
    case VIRTIO_PCI_GUEST_FEATURES:
        return (uint32_t)vdev->guest_features;
    case VIRTIO_PCI_QUEUE_PFN:
        return virtio_queue_get_addr(vdev, sel) >>
               VIRTIO_PCI_QUEUE_ADDR_SHIFT;
    case VIRTIO_PCI_QUEUE_NUM:
        return virtio_queue_get_num(vdev, sel);
    case VIRTIO_PCI_QUEUE_SEL:
        return sel;
    case VIRTIO_PCI_STATUS:
        return vdev->status;
    case VIRTIO_PCI_ISR:
        return virtio_pci_read_isr(proxy);
    case VIRTIO_MSI_CONFIG_VECTOR:
        return vdev->config_vector;
    case VIRTIO_MSI_QUEUE_VECTOR:
        return virtio_queue_vector(vdev, sel);
    default:
        return 0;
    }
}

static void virtio_pci_legacy_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    VirtIODevice *vdev = proxy->vdev;
    uint32_t cfg = legacy_config_offset(proxy);
    uint16_t sel = vdev->queue_sel;

    if (addr >= cfg) {
        virtio_config_write(vdev, addr - cfg, val, size);
        return;
    }
    switch (addr) {
    case VIRTIO_PCI_GUEST_FEATURES:
        vdev->legacy = true;
        if (!(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
            /* A legacy driver cannot see VERSION_1 or the high bits */
            virtio_set_features(vdev, (uint32_t)val &
                                (uint32_t)vdev->host_features);
        }
        break;
    case VIRTIO_PCI_QUEUE_PFN:
        if (val == 0) {
            /* legacy drivers reset the device this way, as on QEMU */
            virtio_pci_reset_vdev(proxy);
        } else {
            virtio_queue_set_addr(vdev, sel,
                                  (hwaddr)(uint32_t)val <<
                                  VIRTIO_PCI_QUEUE_ADDR_SHIFT);
        }
        break;
    case VIRTIO_PCI_QUEUE_SEL:
        if (val < VIRTIO_QUEUE_MAX) {
            vdev->queue_sel = val;
        }
        break;
    case VIRTIO_PCI_QUEUE_NOTIFY:
        if (val < vdev->nvqs) {
            emu_log_mask(LOG_TRACE, "virtio_pci_notify_write %s queue %u "
                         "(legacy register)\n", vdev->name, (unsigned)val);
            virtio_queue_notify(vdev, val);
        } else {
            emu_log_mask(LOG_GUEST_ERROR, "%s: notify of queue %u that "
                         "does not exist\n", vdev->name, (unsigned)val);
        }
        break;
    case VIRTIO_PCI_STATUS:
        virtio_pci_write_status(proxy, val & 0xff, false);
        break;
    case VIRTIO_MSI_CONFIG_VECTOR:
        vdev->config_vector = virtio_pci_check_vector(proxy, val);
        break;
    case VIRTIO_MSI_QUEUE_VECTOR:
        virtio_queue_set_vector(vdev, sel,
                                virtio_pci_check_vector(proxy, val));
        break;
    default:
        emu_log_mask(LOG_GUEST_ERROR, "%s: legacy write to read-only "
                     "offset 0x%x\n", vdev->name, (unsigned)addr);
        break;
    }
}

static const MemoryRegionOps virtio_pci_legacy_ops = {
    .read = virtio_pci_legacy_read,
    .write = virtio_pci_legacy_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

/* ---- Capabilities ---- */

static uint8_t virtio_pci_add_cap(VirtIOPCIProxy *proxy, uint8_t cfg_type,
                                  uint32_t offset, uint32_t length,
                                  uint8_t cap_len, Error **errp)
{
    PCIDevice *pd = &proxy->pci_dev;
    uint8_t pos = pci_add_capability(pd, PCI_CAP_ID_VNDR, 0, cap_len, errp);

    if (!pos) {
        return 0;
    }
    pd->config[pos + 2] = cap_len;
    pd->config[pos + 3] = cfg_type;
    pd->config[pos + 4] = cfg_type == VIRTIO_PCI_CAP_PCI_CFG
                          ? 0 : VIRTIO_PCI_MODERN_BAR;
    pci_set_long(pd->config + pos + 8, offset);
    pci_set_long(pd->config + pos + 12, length);
    return pos;
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (spec 4.1.4.9): a window in config space
 * through which the driver reaches BAR4 with bar/offset/length set.
 */
static uint64_t virtio_pci_modern_access(VirtIOPCIProxy *proxy,
                                         uint32_t off, uint32_t len,
                                         bool is_write, uint32_t val)
{
    const MemoryRegionOps *ops;
    uint32_t base;

    if (off < VIRTIO_PCI_ISR_OFFSET) {
        ops = &virtio_pci_common_ops;
        base = VIRTIO_PCI_COMMON_OFFSET;
    } else if (off < VIRTIO_PCI_DEVICE_OFFSET) {
        ops = &virtio_pci_isr_ops;
        base = VIRTIO_PCI_ISR_OFFSET;
    } else if (off < VIRTIO_PCI_NOTIFY_OFFSET) {
        ops = &virtio_pci_device_ops;
        base = VIRTIO_PCI_DEVICE_OFFSET;
    } else if (off < VIRTIO_PCI_MODERN_BAR_SIZE) {
        ops = &virtio_pci_notify_ops;
        base = VIRTIO_PCI_NOTIFY_OFFSET;
    } else {
        return 0;
    }
    if (is_write) {
        ops->write(proxy, off - base, val, len);
        return 0;
    }
    return ops->read(proxy, off - base, len);
}

static uint32_t virtio_pci_config_read(PCIDevice *pd, uint32_t addr, int len)
{
    VirtIOPCIProxy *proxy = to_proxy(pd);
    uint8_t cap = proxy->pci_cfg_cap;

    if (cap && addr >= cap + 16u && addr + len <= cap + 20u) {
        uint8_t bar = pd->config[cap + 4];
        uint32_t off = pci_get_long(pd->config + cap + 8);
        uint32_t alen = pci_get_long(pd->config + cap + 12);
        if (bar == VIRTIO_PCI_MODERN_BAR && (alen == 1 || alen == 2 ||
            alen == 4) && off % alen == 0) {
            uint32_t v = virtio_pci_modern_access(proxy, off, alen, false, 0);
            pci_set_long(pd->config + cap + 16, v);
        }
    }
    return pci_default_read_config(pd, addr, len);
}

static void virtio_pci_config_write(PCIDevice *pd, uint32_t addr,
                                    uint32_t val, int len)
{
    VirtIOPCIProxy *proxy = to_proxy(pd);
    uint8_t cap = proxy->pci_cfg_cap;

    pci_default_write_config(pd, addr, val, len);
    if (cap && addr >= cap + 16u && addr + len <= cap + 20u) {
        uint8_t bar = pd->config[cap + 4];
        uint32_t off = pci_get_long(pd->config + cap + 8);
        uint32_t alen = pci_get_long(pd->config + cap + 12);
        if (bar == VIRTIO_PCI_MODERN_BAR && (alen == 1 || alen == 2 ||
            alen == 4) && off % alen == 0) {
            uint32_t v = pci_get_long(pd->config + cap + 16);
            virtio_pci_modern_access(proxy, off, alen, true,
                                     alen == 4 ? v : v & ((1u << (alen * 8)) - 1));
        }
    }
    virtio_pci_update_intx(proxy);
    /* BARs may have moved or stopped decoding */
    if (proxy->vqs) {
        virtio_pci_sync_host_notifiers(proxy);
    }
}

/* ---- Realize / reset ---- */

static void virtio_pci_realize(PCIDevice *pd, Error **errp)
{
    VirtIOPCIProxy *proxy = to_proxy(pd);
    const VirtioPCIDeviceTypeInfo *type = proxy->type;
    VirtIODevice *vdev = (VirtIODevice *)((uint8_t *)proxy +
                                          type->vdev_offset);
    Error *local_err = NULL;
    bool modern;
    uint16_t vid;

    proxy->vdev = vdev;
    vdev->info = type->vdev_info;
    vdev->transport = &virtio_pci_transport_ops;
    vdev->transport_opaque = proxy;
    vdev->transport_dev = proxy;
    vdev->name = vdev->info->name;
    vdev->device_id = vdev->info->device_id;
    vid = vdev->device_id;

    switch (proxy->disable_legacy) {
    case VIRTIO_PCI_ON:
        proxy->legacy_enabled = false;
        break;
    case VIRTIO_PCI_OFF:
        proxy->legacy_enabled = true;
        break;
    default:
        /* auto: legacy on a conventional PCI bus, as QEMU's pc machines */
        proxy->legacy_enabled = true;
        break;
    }
    modern = !proxy->disable_modern;
    if (!modern && !proxy->legacy_enabled) {
        error_setg(errp, "device cannot work as neither modern nor legacy "
                   "mode is enabled");
        return;
    }
    if (proxy->legacy_enabled && !virtio_pci_transitional_id(vid)) {
        /* no transitional ID exists for newer device types */
        if (proxy->disable_legacy == VIRTIO_PCI_OFF) {
            error_setg(errp, "%s has no legacy (transitional) PCI ID",
                       type->name);
            return;
        }
        proxy->legacy_enabled = false;
    }

    vdev->info->realize(vdev, &local_err);
    if (local_err) {
        error_propagate(errp, local_err);
        return;
    }
    proxy->vqs = emu_new0(VirtIOPCIQueueState, VIRTIO_QUEUE_MAX);

    vdev->host_features |= 1ULL << VIRTIO_F_NOTIFY_ON_EMPTY;
    if (proxy->any_layout) {
        vdev->host_features |= 1ULL << VIRTIO_F_ANY_LAYOUT;
    }
    if (proxy->indirect_desc) {
        vdev->host_features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
    }
    if (proxy->event_idx) {
        vdev->host_features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
    }
    if (modern) {
        vdev->host_features |= 1ULL << VIRTIO_F_VERSION_1;
    }
    if (!proxy->notify_on_empty) {
        vdev->host_features &= ~(1ULL << VIRTIO_F_NOTIFY_ON_EMPTY);
    }
    if (vdev->info->get_features) {
        vdev->host_features = vdev->info->get_features(vdev,
                                                       vdev->host_features);
    }

    /* IDs (spec 4.1.2): the transitional table, else 0x1040 + id */
    pci_set_word(pd->config + PCI_VENDOR_ID, PCI_VENDOR_ID_REDHAT_QUMRANET);
    if (proxy->legacy_enabled) {
        pci_set_word(pd->config + PCI_DEVICE_ID,
                     virtio_pci_transitional_id(vid));
        pci_set_word(pd->config + PCI_SUBSYSTEM_ID, vid);
        pd->config[PCI_REVISION_ID] = 0;
    } else {
        pci_set_word(pd->config + PCI_DEVICE_ID,
                     PCI_DEVICE_ID_VIRTIO_MODERN_BASE + vid);
        pd->config[PCI_REVISION_ID] = 1;
    }
    pci_set_word(pd->config + PCI_SUBSYSTEM_VENDOR_ID,
                 PCI_VENDOR_ID_REDHAT_QUMRANET);
    pd->config[PCI_INTERRUPT_PIN] = 1;

    if (proxy->nvectors == UINT32_MAX) {
        proxy->nvectors = type->default_vectors ? type->default_vectors
                                                : vdev->nvqs + 1;
    }
    if (proxy->nvectors > 2048) {
        error_setg(errp, "vectors %u is too large (at most 2048)",
                   proxy->nvectors);
        goto fail;
    }

    if (modern) {
        memory_region_init(&proxy->modern_bar, proxy, "virtio-pci",
                           VIRTIO_PCI_MODERN_BAR_SIZE);
        memory_region_init_io(&proxy->common_mr, proxy,
                              &virtio_pci_common_ops, proxy,
                              "virtio-pci-common", VIRTIO_PCI_REGION_SIZE);
        memory_region_init_io(&proxy->isr_mr, proxy, &virtio_pci_isr_ops,
                              proxy, "virtio-pci-isr",
                              VIRTIO_PCI_REGION_SIZE);
        memory_region_init_io(&proxy->device_mr, proxy,
                              &virtio_pci_device_ops, proxy,
                              "virtio-pci-device", VIRTIO_PCI_REGION_SIZE);
        memory_region_init_io(&proxy->notify_mr, proxy,
                              &virtio_pci_notify_ops, proxy,
                              "virtio-pci-notify", VIRTIO_PCI_REGION_SIZE);
        memory_region_add_subregion(&proxy->modern_bar,
                                    VIRTIO_PCI_COMMON_OFFSET,
                                    &proxy->common_mr);
        memory_region_add_subregion(&proxy->modern_bar,
                                    VIRTIO_PCI_ISR_OFFSET, &proxy->isr_mr);
        memory_region_add_subregion(&proxy->modern_bar,
                                    VIRTIO_PCI_DEVICE_OFFSET,
                                    &proxy->device_mr);
        memory_region_add_subregion(&proxy->modern_bar,
                                    VIRTIO_PCI_NOTIFY_OFFSET,
                                    &proxy->notify_mr);
    }

    if (proxy->nvectors) {
        if (!pci_msix_init(pd, proxy->nvectors, VIRTIO_PCI_MSIX_BAR, NULL,
                           0, VIRTIO_PCI_MSIX_PBA_OFFSET > proxy->nvectors *
                           16 ? VIRTIO_PCI_MSIX_PBA_OFFSET
                              : ROUND_UP(proxy->nvectors * 16, 0x800u),
                           0, &local_err)) {
            /* As QEMU: no MSI-X is not fatal, INTx still works */
            emu_log_mask(LOG_UNIMP, "%s: MSI-X unavailable: %s\n",
                         type->name, error_get_pretty(local_err));
            error_free(local_err);
            local_err = NULL;
            proxy->nvectors = 0;
        }
    }

    if (modern) {
        if (!virtio_pci_add_cap(proxy, VIRTIO_PCI_CAP_COMMON_CFG,
                                VIRTIO_PCI_COMMON_OFFSET,
                                VIRTIO_PCI_REGION_SIZE, VIRTIO_PCI_CAP_LEN,
                                errp) ||
            !virtio_pci_add_cap(proxy, VIRTIO_PCI_CAP_ISR_CFG,
                                VIRTIO_PCI_ISR_OFFSET,
                                VIRTIO_PCI_REGION_SIZE, VIRTIO_PCI_CAP_LEN,
                                errp) ||
            !virtio_pci_add_cap(proxy, VIRTIO_PCI_CAP_DEVICE_CFG,
                                VIRTIO_PCI_DEVICE_OFFSET,
                                VIRTIO_PCI_REGION_SIZE, VIRTIO_PCI_CAP_LEN,
                                errp)) {
            goto fail;
        }
        uint8_t npos = virtio_pci_add_cap(proxy, VIRTIO_PCI_CAP_NOTIFY_CFG,
                                          VIRTIO_PCI_NOTIFY_OFFSET,
                                          VIRTIO_PCI_REGION_SIZE,
                                          VIRTIO_PCI_NOTIFY_CAP_LEN, errp);
        if (!npos) {
            goto fail;
        }
        pci_set_long(pd->config + npos + 16,
                     VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER);
        proxy->pci_cfg_cap = virtio_pci_add_cap(proxy,
                                                VIRTIO_PCI_CAP_PCI_CFG, 0, 0,
                                                VIRTIO_PCI_CFG_CAP_LEN,
                                                errp);
        if (!proxy->pci_cfg_cap) {
            goto fail;
        }
        /* bar, offset, length and data of the window are writable */
        pd->wmask[proxy->pci_cfg_cap + 4] = 0xff;
        memset(pd->wmask + proxy->pci_cfg_cap + 8, 0xff, 12);
        pci_register_bar(pd, VIRTIO_PCI_MODERN_BAR,
                         PCI_BASE_ADDRESS_SPACE_MEMORY |
                         PCI_BASE_ADDRESS_MEM_PREFETCH |
                         PCI_BASE_ADDRESS_MEM_TYPE_64, &proxy->modern_bar);
    }

    if (proxy->legacy_enabled) {
        uint64_t size = VIRTIO_PCI_LEGACY_HDR_MSIX + vdev->config_len;
        uint64_t pow2 = 4;
        while (pow2 < size) {
            pow2 <<= 1;
        }
        memory_region_init_io(&proxy->legacy_io, proxy,
                              &virtio_pci_legacy_ops, proxy,
                              "virtio-pci", pow2);
        pci_register_bar(pd, 0, PCI_BASE_ADDRESS_SPACE_IO,
                         &proxy->legacy_io);
    }

    virtio_device_list_add(vdev);
    return;

fail:
    free(proxy->vqs);
    proxy->vqs = NULL;
    if (vdev->info->unrealize) {
        vdev->info->unrealize(vdev);
    }
}

static void virtio_pci_exit(PCIDevice *pd)
{
    VirtIOPCIProxy *proxy = to_proxy(pd);

    if (!proxy->vdev) {
        return;
    }
    virtio_device_list_remove(proxy->vdev);
    /* the device stops: its eventfds go before its queues do */
    proxy->ioeventfd = false;
    virtio_pci_sync_host_notifiers(proxy);
    virtio_pci_release_guest_notifiers(proxy);
    if (proxy->vdev->info->unrealize) {
        proxy->vdev->info->unrealize(proxy->vdev);
    }
    free(proxy->vqs);
    proxy->vqs = NULL;
}

static void virtio_pci_reset(DeviceState *dev)
{
    VirtIOPCIProxy *proxy = to_proxy(dev);

    pci_device_reset(dev);
    if (proxy->vdev && proxy->vqs) {
        virtio_pci_reset_vdev(proxy);
    }
}

/* ---- Type registration ---- */

static const char *const virtio_pci_on_off_auto[] = {
    "auto", "on", "off", NULL
};

static const Property virtio_pci_transport_props[] = {
    DEFINE_PROP_ENUM("disable-legacy", VirtIOPCIProxy, disable_legacy,
                     VIRTIO_PCI_AUTO, virtio_pci_on_off_auto),
    DEFINE_PROP_BOOL("disable-modern", VirtIOPCIProxy, disable_modern, false),
    DEFINE_PROP_UINT32("vectors", VirtIOPCIProxy, nvectors, UINT32_MAX),
    DEFINE_PROP_BOOL("ioeventfd", VirtIOPCIProxy, ioeventfd, true),
    DEFINE_PROP_BOOL("indirect_desc", VirtIOPCIProxy, indirect_desc, true),
    DEFINE_PROP_BOOL("event_idx", VirtIOPCIProxy, event_idx, true),
    DEFINE_PROP_BOOL("notify_on_empty", VirtIOPCIProxy, notify_on_empty,
                     true),
    DEFINE_PROP_BOOL("any_layout", VirtIOPCIProxy, any_layout, true),
    DEFINE_PROP_END_OF_LIST(),
};

static Property *virtio_pci_merged_props;

/* PCI's properties followed by the transport's, built once */
static const Property *virtio_pci_parent_props(void)
{
    size_t npci = 0, nvirt = 0;

    if (virtio_pci_merged_props) {
        return virtio_pci_merged_props;
    }
    while (pci_device_props[npci].name) {
        npci++;
    }
    while (virtio_pci_transport_props[nvirt].name) {
        nvirt++;
    }
    virtio_pci_merged_props = emu_new0(Property, npci + nvirt + 1);
    memcpy(virtio_pci_merged_props, pci_device_props,
           npci * sizeof(Property));
    memcpy(virtio_pci_merged_props + npci, virtio_pci_transport_props,
           nvirt * sizeof(Property));
    return virtio_pci_merged_props;
}

typedef struct VirtioPCIRegisteredType {
    DeviceInfo dinfo;
    PCIDeviceInfo pinfo;
    const VirtioPCIDeviceTypeInfo *type;
} VirtioPCIRegisteredType;

static VirtioPCIRegisteredType **virtio_pci_types;
static unsigned virtio_pci_ntypes;

static const VirtioPCIDeviceTypeInfo *virtio_pci_type_of(DeviceState *dev)
{
    for (unsigned i = 0; i < virtio_pci_ntypes; i++) {
        if (dev->info == &virtio_pci_types[i]->dinfo) {
            return virtio_pci_types[i]->type;
        }
    }
    return NULL;
}

static void virtio_pci_instance_init(DeviceState *dev)
{
    VirtIOPCIProxy *proxy = to_proxy(dev);

    proxy->type = virtio_pci_type_of(dev);
    if (proxy->type && proxy->type->instance_init) {
        proxy->type->instance_init(dev);
    }
}

void virtio_pci_register_type(const VirtioPCIDeviceTypeInfo *info)
{
    VirtioPCIRegisteredType *t = emu_new0(VirtioPCIRegisteredType, 1);

    t->type = info;
    t->pinfo.vendor_id = PCI_VENDOR_ID_REDHAT_QUMRANET;
    t->pinfo.device_id =
        virtio_pci_transitional_id(info->vdev_info->device_id) ?:
        PCI_DEVICE_ID_VIRTIO_MODERN_BASE + info->vdev_info->device_id;
    t->pinfo.class_id = info->class_id;
    t->pinfo.subsystem_vendor_id = PCI_VENDOR_ID_REDHAT_QUMRANET;
    t->pinfo.subsystem_id = info->vdev_info->device_id;
    t->pinfo.realize = virtio_pci_realize;
    t->pinfo.exit = virtio_pci_exit;
    t->pinfo.config_read = virtio_pci_config_read;
    t->pinfo.config_write = virtio_pci_config_write;

    t->dinfo.name = info->name;
    t->dinfo.desc = info->desc;
    t->dinfo.bus_type = BUS_TYPE_PCI;
    t->dinfo.category = info->category;
    t->dinfo.instance_size = info->instance_size;
    t->dinfo.props = info->props;
    t->dinfo.parent_props = virtio_pci_parent_props();
    t->dinfo.user_creatable = true;
    t->dinfo.hotpluggable = info->hotpluggable;
    t->dinfo.instance_init = virtio_pci_instance_init;
    t->dinfo.reset = virtio_pci_reset;
    t->dinfo.class_data = &t->pinfo;

    virtio_pci_types = emu_realloc(virtio_pci_types,
                                   sizeof(*virtio_pci_types) *
                                   (virtio_pci_ntypes + 1));
    virtio_pci_types[virtio_pci_ntypes++] = t;
    device_register_type(&t->dinfo);
}
