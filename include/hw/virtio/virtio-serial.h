/*
 * virtio-serial: the virtio console device (virtio 1.2 spec 5.3) with the
 * multiport feature, and the bus its ports sit on.
 *
 * "-device virtio-serial-pci[,max_ports=N]" creates the device and a bus
 * named "<id>.0" (or "virtio-serial-bus.N" without an id).  Ports are
 * devices on that bus: "virtserialport" and "virtconsole"
 * (hw/char/virtio-console.c), which connect a port to a chardev.
 *
 * Queues: 0/1 are port 0's receive/transmit queues, 2/3 the control
 * queues (multiport only), then 2 + 2n / 3 + 2n for port n >= 1.
 *
 * The bus side (hw/char/virtio-serial-bus.c) speaks the control protocol
 * and moves bytes; a port type supplies VirtIOSerialPortOps through its
 * DeviceInfo.class_data to say what happens to the bytes.
 */
#ifndef HW_VIRTIO_VIRTIO_SERIAL_H
#define HW_VIRTIO_VIRTIO_SERIAL_H

#include "hw/qdev.h"
#include "hw/virtio/virtio.h"
#include <sys/queue.h>

#define BUS_TYPE_VIRTIO_SERIAL  "virtio-serial-bus"

/* Feature bits (spec 5.3.3) */
#define VIRTIO_CONSOLE_F_SIZE           0
#define VIRTIO_CONSOLE_F_MULTIPORT      1
#define VIRTIO_CONSOLE_F_EMERG_WRITE    2

/* Control message events (spec 5.3.6.2) */
#define VIRTIO_CONSOLE_DEVICE_READY     0
#define VIRTIO_CONSOLE_DEVICE_ADD       1
#define VIRTIO_CONSOLE_DEVICE_REMOVE    2
#define VIRTIO_CONSOLE_PORT_READY       3
#define VIRTIO_CONSOLE_CONSOLE_PORT     4
#define VIRTIO_CONSOLE_RESIZE           5
#define VIRTIO_CONSOLE_PORT_OPEN        6
#define VIRTIO_CONSOLE_PORT_NAME        7

/* struct virtio_console_control: le32 id, le16 event, le16 value */
#define VIRTIO_CONSOLE_CONTROL_SIZE     8
/* struct virtio_console_config: cols, rows, max_nr_ports, emerg_wr */
#define VIRTIO_CONSOLE_CONFIG_SIZE      12

/* "nr" not given: the bus picks a free port number */
#define VIRTIO_CONSOLE_BAD_ID           (~(uint32_t)0)
/* Default and largest max_ports (two queues per port plus control) */
#define VIRTIO_SERIAL_DEFAULT_PORTS     31
#define VIRTIO_SERIAL_MAX_PORTS         (VIRTIO_QUEUE_MAX / 2 - 1)

typedef struct VirtIOSerial VirtIOSerial;
typedef struct VirtIOSerialPort VirtIOSerialPort;

typedef struct VirtIOSerialPortOps {
    /* The port is a console (CONSOLE_PORT is sent; may take port 0) */
    bool is_console;
    /*
     * The guest wrote len bytes on the port.  Return how many the host
     * took (0..len); less than len throttles the port: the rest stays in
     * the guest's buffer until virtio_serial_host_ready() is called.
     */
    size_t (*have_data)(VirtIOSerialPort *port, const uint8_t *buf,
                        size_t len);
    /* The guest opened / closed the port (PORT_OPEN from the driver) */
    void (*guest_open)(VirtIOSerialPort *port);
    void (*guest_close)(VirtIOSerialPort *port);
    /* The guest gave receive buffers: the port may send more */
    void (*guest_ready)(VirtIOSerialPort *port);
} VirtIOSerialPortOps;

/* A port: a device on the virtio-serial bus; port types start with it */
struct VirtIOSerialPort {
    DeviceState qdev;
    const VirtIOSerialPortOps *ops;
    VirtIOSerial *vser;
    uint32_t id;                /* "nr" property, then the port number */
    char *name;                 /* "name" property, may be NULL */
    VirtQueue *ivq;             /* host -> guest */
    VirtQueue *ovq;             /* guest -> host */
    bool host_connected;
    bool guest_connected;
    /* The guest acknowledged the port (PORT_READY) since the last reset */
    bool guest_known;
    /* have_data() took less than offered; resume at out_offset */
    bool throttled;
    VirtQueueElement *out_elem;
    size_t out_offset;
    /* A receive buffer popped to learn its size, filled by the next write */
    VirtQueueElement *in_elem;
    TAILQ_ENTRY(VirtIOSerialPort) next;
};

typedef struct VirtIOSerialControlMsg {
    size_t len;
    struct VirtIOSerialControlMsg *next;
    uint8_t data[];
} VirtIOSerialControlMsg;

typedef struct VirtIOSerialBus {
    BusState qbus;
    VirtIOSerial *vser;
} VirtIOSerialBus;

struct VirtIOSerial {
    VirtIODevice parent_obj;
    uint32_t max_nr_ports;      /* "max_ports" property */
    bool emergency_write;       /* "emergency-write" property */
    VirtIOSerialBus *bus;
    VirtQueue **ivqs;           /* per port number */
    VirtQueue **ovqs;
    VirtQueue *c_ivq;           /* control, device -> driver */
    VirtQueue *c_ovq;           /* control, driver -> device */
    uint32_t *ports_map;        /* bit per port number in use */
    TAILQ_HEAD(, VirtIOSerialPort) ports;
    /* Control messages waiting for a buffer in c_ivq */
    VirtIOSerialControlMsg *ctrl_head;
    VirtIOSerialControlMsg **ctrl_tail;
    unsigned ctrl_count;
    TAILQ_ENTRY(VirtIOSerial) next;     /* all realized devices */
};

/* The virtio-serial VirtioDeviceInfo (for the PCI wrapper) */
extern const VirtioDeviceInfo virtio_serial_vdev_info;

/* ---- For port types ---- */
/* The host side connected (chardev opened): PORT_OPEN 1 to the guest */
void virtio_serial_open(VirtIOSerialPort *port);
/* The host side went away: PORT_OPEN 0; unsent guest data is dropped */
void virtio_serial_close(VirtIOSerialPort *port);
/* Bytes the guest can take now (0 when closed or out of buffers) */
size_t virtio_serial_guest_ready(VirtIOSerialPort *port);
/* Send bytes to the guest; returns how many fitted in its buffers */
size_t virtio_serial_write(VirtIOSerialPort *port, const uint8_t *buf,
                           size_t len);
/* The host can take data again after have_data() returned short */
void virtio_serial_host_ready(VirtIOSerialPort *port);
/* Find a port by number (NULL if none) */
VirtIOSerialPort *virtio_serial_find_port(VirtIOSerial *vser, uint32_t id);

#endif
