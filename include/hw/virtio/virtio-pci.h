/*
 * The virtio PCI transport (virtio 1.2 spec 4.1): a PCI device that
 * carries one virtio device.  Modern (1.x) registers live in BAR4 (64-bit
 * memory, capabilities for common/ISR/notify/device config, notify offset
 * multiplier 4), MSI-X table and PBA in BAR1, and for transitional devices
 * the legacy (0.9.5) register block in I/O BAR0, as QEMU lays them out.
 *
 * A device type "virtio-XXX-pci" is a struct that begins with a
 * VirtIOPCIProxy and embeds the virtio device (whose struct begins with a
 * VirtIODevice) somewhere after it, plus one VirtioPCIDeviceTypeInfo:
 *
 *   typedef struct VirtIORNGPCI {
 *       VirtIOPCIProxy parent_obj;
 *       VirtIORNG vdev;
 *   } VirtIORNGPCI;
 *   static const Property virtio_rng_pci_props[] = {
 *       DEFINE_PROP_UINT64("max-bytes", VirtIORNGPCI, vdev.max_bytes, ...),
 *       DEFINE_PROP_END_OF_LIST(),
 *   };
 *   static const VirtioPCIDeviceTypeInfo virtio_rng_pci_info = {
 *       .name = "virtio-rng-pci",
 *       .desc = "...", .category = "Misc devices",
 *       .vdev_info = &virtio_rng_info,          // VirtioDeviceInfo
 *       .instance_size = sizeof(VirtIORNGPCI),
 *       .vdev_offset = offsetof(VirtIORNGPCI, vdev),
 *       .props = virtio_rng_pci_props,
 *       .class_id = PCI_CLASS_OTHERS,
 *   };
 *   VIRTIO_PCI_REGISTER(virtio_rng_pci_info);
 *
 * Property offsets are relative to the whole struct.  The transport adds
 * the PCI properties (addr, multifunction...) and its own: disable-legacy
 * (on/off/auto), disable-modern, vectors, ioeventfd, and the features
 * indirect_desc, event_idx, notify_on_empty, any_layout.
 * The virtio device's realize runs inside the PCI realize; its reset on
 * every transport reset.
 */
#ifndef HW_VIRTIO_VIRTIO_PCI_H
#define HW_VIRTIO_VIRTIO_PCI_H

#include "hw/pci/pci.h"
#include "hw/virtio/virtio.h"

#define PCI_VENDOR_ID_REDHAT_QUMRANET   0x1af4
/* Transitional device IDs: a table in the spec (4.1.2.1), e.g. 0x1001 blk */
#define PCI_DEVICE_ID_VIRTIO_MODERN_BASE 0x1040

/* Modern BAR layout, as QEMU */
#define VIRTIO_PCI_MSIX_BAR             1
#define VIRTIO_PCI_MODERN_BAR           4
#define VIRTIO_PCI_COMMON_OFFSET        0x0000
#define VIRTIO_PCI_ISR_OFFSET           0x1000
#define VIRTIO_PCI_DEVICE_OFFSET        0x2000
#define VIRTIO_PCI_NOTIFY_OFFSET        0x3000
#define VIRTIO_PCI_REGION_SIZE          0x1000
#define VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER 4

/* Capability cfg_type (spec 4.1.4) */
#define VIRTIO_PCI_CAP_COMMON_CFG       1
#define VIRTIO_PCI_CAP_NOTIFY_CFG       2
#define VIRTIO_PCI_CAP_ISR_CFG          3
#define VIRTIO_PCI_CAP_DEVICE_CFG       4
#define VIRTIO_PCI_CAP_PCI_CFG          5

/* Common configuration structure offsets (spec 4.1.4.3) */
#define VIRTIO_PCI_COMMON_DFSELECT      0
#define VIRTIO_PCI_COMMON_DF            4
#define VIRTIO_PCI_COMMON_GFSELECT      8
#define VIRTIO_PCI_COMMON_GF            12
#define VIRTIO_PCI_COMMON_MSIX          16
#define VIRTIO_PCI_COMMON_NUMQ          18
#define VIRTIO_PCI_COMMON_STATUS        20
#define VIRTIO_PCI_COMMON_CFGGENERATION 21
#define VIRTIO_PCI_COMMON_Q_SELECT      22
#define VIRTIO_PCI_COMMON_Q_SIZE        24
#define VIRTIO_PCI_COMMON_Q_MSIX        26
#define VIRTIO_PCI_COMMON_Q_ENABLE      28
#define VIRTIO_PCI_COMMON_Q_NOFF        30
#define VIRTIO_PCI_COMMON_Q_DESCLO      32
#define VIRTIO_PCI_COMMON_Q_DESCHI      36
#define VIRTIO_PCI_COMMON_Q_AVAILLO     40
#define VIRTIO_PCI_COMMON_Q_AVAILHI     44
#define VIRTIO_PCI_COMMON_Q_USEDLO      48
#define VIRTIO_PCI_COMMON_Q_USEDHI      52

/* Legacy I/O BAR0 registers (spec 4.1.4.10) */
#define VIRTIO_PCI_HOST_FEATURES        0
#define VIRTIO_PCI_GUEST_FEATURES       4
#define VIRTIO_PCI_QUEUE_PFN            8
#define VIRTIO_PCI_QUEUE_NUM            12
#define VIRTIO_PCI_QUEUE_SEL            14
#define VIRTIO_PCI_QUEUE_NOTIFY         16
#define VIRTIO_PCI_STATUS               18
#define VIRTIO_PCI_ISR                  19
#define VIRTIO_MSI_CONFIG_VECTOR        20
#define VIRTIO_MSI_QUEUE_VECTOR         22
/* Device config starts here: 20 without MSI-X, 24 with it enabled */
#define VIRTIO_PCI_CONFIG_OFF(msix)     ((msix) ? 24 : 20)
#define VIRTIO_PCI_QUEUE_ADDR_SHIFT     12
#define VIRTIO_PCI_VRING_ALIGN          4096

typedef enum VirtioPCIOnOffAuto {
    VIRTIO_PCI_AUTO = 0,
    VIRTIO_PCI_ON,
    VIRTIO_PCI_OFF,
} VirtioPCIOnOffAuto;

typedef struct VirtIOPCIQueueState {
    /* modern queue registers latched by the transport */
    uint16_t num;
    bool enabled;
    uint32_t desc[2];
    uint32_t avail[2];
    uint32_t used[2];
} VirtIOPCIQueueState;

/*
 * Under KVM (docs/devel/virtio.md "Event fds"): a queue's kick as an
 * eventfd that KVM signals on a write to its notify address, read by
 * the main loop, so the vCPU does not leave the guest for it.
 */
typedef struct VirtIOPCIHostNotifier {
    struct VirtIOPCIProxy *proxy;
    unsigned queue;
    int fd;                     /* eventfd, -1 while unused */
    uint64_t mmio_addr;         /* registered modern notify address, or 0 */
    uint32_t pio_addr;          /* registered legacy notify port, or 0 */
    bool failed;                /* KVM refused it: the MMIO/PIO path only */
} VirtIOPCIHostNotifier;

/* An MSI-X vector delivered through an irqfd and a KVM MSI route */
typedef struct VirtIOPCIGuestNotifier {
    int fd;                     /* eventfd bound to gsi, -1 while unused */
    int gsi;
    uint64_t addr;              /* the message the route delivers */
    uint32_t data;
    bool failed;                /* KVM refused it: KVM_SIGNAL_MSI only */
} VirtIOPCIGuestNotifier;

typedef struct VirtIOPCIProxy {
    PCIDevice pci_dev;
    VirtIODevice *vdev;         /* the embedded virtio device */
    const struct VirtioPCIDeviceTypeInfo *type;
    /* Properties */
    int disable_legacy;         /* VirtioPCIOnOffAuto */
    bool disable_modern;
    uint32_t nvectors;          /* MSI-X vectors; 0xffffffff: device default */
    bool ioeventfd;
    bool indirect_desc;
    bool event_idx;
    bool notify_on_empty;
    bool any_layout;
    /* State */
    bool legacy_enabled;        /* decided at realize */
    uint8_t pci_cfg_cap;        /* offset of VIRTIO_PCI_CAP_PCI_CFG */
    uint32_t dfselect;
    uint32_t gfselect;
    uint32_t guest_features[2];
    VirtIOPCIQueueState *vqs;   /* VIRTIO_QUEUE_MAX entries */
    /* Event fds under KVM (property ioeventfd): nvqs / nvectors entries */
    VirtIOPCIHostNotifier *host_notifiers;
    unsigned nr_host_notifiers;
    VirtIOPCIGuestNotifier *guest_notifiers;
    uint64_t ioeventfd_kicks;   /* kicks that arrived through an eventfd */
    uint64_t irqfd_interrupts;  /* interrupts sent through an irqfd */
    /* Regions */
    MemoryRegion legacy_io;
    MemoryRegion modern_bar;
    MemoryRegion common_mr;
    MemoryRegion isr_mr;
    MemoryRegion device_mr;
    MemoryRegion notify_mr;
} VirtIOPCIProxy;

typedef struct VirtioPCIDeviceTypeInfo {
    const char *name;           /* "virtio-blk-pci" */
    const char *desc;
    const char *category;       /* "Storage devices", "Misc devices" ... */
    const VirtioDeviceInfo *vdev_info;
    size_t instance_size;
    size_t vdev_offset;         /* offsetof(YourPCIStruct, vdev) */
    const Property *props;      /* device properties (may be NULL) */
    uint16_t class_id;          /* PCI class (base << 8 | sub) */
    /*
     * Default MSI-X vectors when "vectors" is not set: 0 means
     * number-of-queues + 1 (decided after the device's realize).
     */
    uint32_t default_vectors;
    bool hotpluggable;
    /* Optional: runs when the device is allocated, before properties */
    void (*instance_init)(DeviceState *dev);
} VirtioPCIDeviceTypeInfo;

/* Register a "virtio-XXX-pci" type (call from a constructor) */
void virtio_pci_register_type(const VirtioPCIDeviceTypeInfo *info);
#define VIRTIO_PCI_REGISTER(info)                                          \
    static void __attribute__((constructor)) register_##info(void)         \
    {                                                                      \
        virtio_pci_register_type(&(info));                                 \
    }

/* The proxy of a virtio device carried over PCI, NULL if not PCI */
VirtIOPCIProxy *virtio_pci_proxy(VirtIODevice *vdev);

#endif
