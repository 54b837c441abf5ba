/* virtio-serial: the virtio console device with multiport, its bus and virtio-serial-pci. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/virtio/virtio-serial.h"
#include "hw/virtio/virtio-pci.h"

/* Ring sizes as QEMU's: data queues 128, control queues 32 */
#define VIRTIO_SERIAL_DATA_QUEUE_SIZE   128
#define VIRTIO_SERIAL_CTRL_QUEUE_SIZE   32
/*
 * Control messages waiting for guest buffers.  A driver that keeps
 * sending DEVICE_READY without giving buffers must not make us grow
 * without end: past this, messages are dropped (and logged).
 */
#define VIRTIO_SERIAL_MAX_PENDING_CTRL  4096
/* A port name travels in one control buffer; keep it sane */
#define VIRTIO_SERIAL_MAX_NAME_LEN      1024

static inline void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, v);
    put_le16(p + 2, v >> 16);
}

static inline uint16_t get_le16(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
    return get_le16(p) | ((uint32_t)get_le16(p + 2) << 16);
}

static VirtIODevice *vser_vdev(VirtIOSerial *vser)
{
    return &vser->parent_obj;
}

static bool multiport_offered(VirtIOSerial *vser)
{
    return vser->max_nr_ports > 1;
}

/* The driver accepted MULTIPORT: ports are opened through control msgs */
static bool use_multiport(VirtIOSerial *vser)
{
    return virtio_vdev_has_feature(vser_vdev(vser), VIRTIO_CONSOLE_F_MULTIPORT);
}

VirtIOSerialPort *virtio_serial_find_port(VirtIOSerial *vser, uint32_t id)
{
    VirtIOSerialPort *port;

    TAILQ_FOREACH(port, &vser->ports, next) {
        if (port->id == id) {
            return port;
        }
    }
    return NULL;
}

/* Every realized virtio-serial device: port names are unique across all */
static TAILQ_HEAD(, VirtIOSerial) all_vsers = TAILQ_HEAD_INITIALIZER(all_vsers);

static VirtIOSerialPort *find_port_by_name(const char *name)
{
    VirtIOSerial *vser;
    VirtIOSerialPort *port;

    TAILQ_FOREACH(vser, &all_vsers, next) {
        TAILQ_FOREACH(port, &vser->ports, next) {
            if (port->name && strcmp(port->name, name) == 0) {
                return port;
            }
        }
    }
    return NULL;
}

/* Port number of a data queue: 0/1 -> 0, 2/3 are control, 2+2n/3+2n -> n */
static VirtIOSerialPort *find_port_by_vq(VirtIOSerial *vser, VirtQueue *vq)
{
    int idx = virtio_queue_index(vq);

    if (idx < 0) {
        return NULL;
    }
    if (idx < 2) {
        return virtio_serial_find_port(vser, 0);
    }
    if (idx < 4) {
        return NULL;
    }
    return virtio_serial_find_port(vser, (uint32_t)(idx - 2) / 2);
}

static bool port_map_test(VirtIOSerial *vser, uint32_t id)
{
    return id < vser->max_nr_ports &&
           (vser->ports_map[id / 32] & (1u << (id % 32)));
}

static void port_map_set(VirtIOSerial *vser, uint32_t id, bool used)
{
    if (id >= vser->max_nr_ports) {
        return;
    }
    if (used) {
        vser->ports_map[id / 32] |= 1u << (id % 32);
    } else {
        vser->ports_map[id / 32] &= ~(1u << (id % 32));
    }
}

/* ------------------------------------------------------------------ */
/* Control messages to the guest                                       */
/* ------------------------------------------------------------------ */

/* Hand queued control messages to the guest while it has buffers */
static void flush_control_msgs(VirtIOSerial *vser)
{
    VirtIODevice *vdev = vser_vdev(vser);
    bool pushed = false;

    while (vser->ctrl_head && vser->c_ivq) {
        VirtIOSerialControlMsg *msg = vser->ctrl_head;
        VirtQueueElement *elem = virtqueue_pop(vser->c_ivq,
                                               sizeof(VirtQueueElement));
        size_t n;

        if (!elem) {
            break;
        }
        n = iov_from_buf(elem->in_sg, elem->in_num, 0, msg->data, msg->len);
        if (n < msg->len) {
            /* Linux gives 4 KiB buffers; a shorter one truncates the name */
            emu_log_mask(LOG_GUEST_ERROR,
                         "virtio-serial: control buffer of %zu bytes is too "
                         "small for a %zu-byte message\n", n, msg->len);
        }
        virtqueue_push(vser->c_ivq, elem, n);
        free(elem);
        pushed = true;
        vser->ctrl_head = msg->next;
        if (!vser->ctrl_head) {
            vser->ctrl_tail = &vser->ctrl_head;
        }
        vser->ctrl_count--;
        free(msg);
    }
    if (pushed) {
        virtio_notify(vdev, vser->c_ivq);
    }
}

static void drop_control_msgs(VirtIOSerial *vser)
{
    while (vser->ctrl_head) {
        VirtIOSerialControlMsg *msg = vser->ctrl_head;
        vser->ctrl_head = msg->next;
        free(msg);
    }
    vser->ctrl_tail = &vser->ctrl_head;
    vser->ctrl_count = 0;
}

static void send_control_msg(VirtIOSerial *vser, uint32_t id, uint16_t event,
                             uint16_t value, const char *extra)
{
    size_t extra_len = extra ? strlen(extra) : 0;
    VirtIOSerialControlMsg *msg;

    if (!use_multiport(vser) || !vser->c_ivq) {
        return;
    }
    if (vser->ctrl_count >= VIRTIO_SERIAL_MAX_PENDING_CTRL) {
        emu_log_mask(LOG_GUEST_ERROR,
                     "virtio-serial: guest takes no control messages; "
                     "dropping event %u for port %u\n", event, id);
        return;
    }
    msg = emu_malloc0(sizeof(*msg) + VIRTIO_CONSOLE_CONTROL_SIZE + extra_len);
    msg->len = VIRTIO_CONSOLE_CONTROL_SIZE + extra_len;
    put_le32(msg->data, id);
    put_le16(msg->data + 4, event);
    put_le16(msg->data + 6, value);
    if (extra_len) {
        memcpy(msg->data + VIRTIO_CONSOLE_CONTROL_SIZE, extra, extra_len);
    }
    *vser->ctrl_tail = msg;
    vser->ctrl_tail = &msg->next;
    vser->ctrl_count++;
    flush_control_msgs(vser);
}

/* ------------------------------------------------------------------ */
/* Data: guest -> host                                                 */
/* ------------------------------------------------------------------ */

/* Give every pending transmit buffer back to the guest unread */
static void discard_output(VirtIOSerial *vser, VirtQueue *vq)
{
    VirtQueueElement *elem;
    bool pushed = false;

    while ((elem = virtqueue_pop(vq, sizeof(VirtQueueElement)))) {
        virtqueue_push(vq, elem, 0);
        free(elem);
        pushed = true;
    }
    if (pushed) {
        virtio_notify(vser_vdev(vser), vq);
    }
}

static void release_out_elem(VirtIOSerialPort *port, bool give_back)
{
    if (!port->out_elem) {
        return;
    }
    if (give_back) {
        virtqueue_push(port->ovq, port->out_elem, 0);
        virtio_notify(vser_vdev(port->vser), port->ovq);
    } else {
        virtqueue_detach_element(port->ovq, port->out_elem, 0);
    }
    free(port->out_elem);
    port->out_elem = NULL;
    port->out_offset = 0;
}

static void release_in_elem(VirtIOSerialPort *port, bool give_back)
{
    if (!port->in_elem) {
        return;
    }
    if (give_back) {
        virtqueue_unpop(port->ivq, port->in_elem, 0);
    } else {
        virtqueue_detach_element(port->ivq, port->in_elem, 0);
    }
    free(port->in_elem);
    port->in_elem = NULL;
}

/*
 * Pass the guest's transmit buffers to the port until the queue is empty
 * or the host is full (then the current buffer is kept, half sent).
 */
static void flush_port_output(VirtIOSerialPort *port)
{
    VirtIOSerial *vser = port->vser;
    bool pushed = false;

    if (!port->ovq) {
        return;
    }
    while (!port->throttled) {
        VirtQueueElement *elem = port->out_elem;
        size_t skip, i;

        if (!elem) {
            elem = virtqueue_pop(port->ovq, sizeof(VirtQueueElement));
            if (!elem) {
                break;
            }
            port->out_elem = elem;
            port->out_offset = 0;
        }
        /* Walk the buffers from out_offset, one iovec at a time */
        skip = port->out_offset;
        for (i = 0; i < elem->out_num; i++) {
            const struct iovec *sg = &elem->out_sg[i];
            size_t len, done;

            if (skip >= sg->iov_len) {
                skip -= sg->iov_len;
                continue;
            }
            len = sg->iov_len - skip;
            done = port->ops->have_data(port, (const uint8_t *)sg->iov_base
                                        + skip, len);
            if (done > len) {
                done = len;
            }
            port->out_offset += done;
            if (done < len) {
                port->throttled = true;
                break;
            }
            skip = 0;
        }
        if (port->throttled) {
            break;
        }
        virtqueue_push(port->ovq, elem, 0);
        free(elem);
        port->out_elem = NULL;
        port->out_offset = 0;
        pushed = true;
    }
    if (pushed) {
        virtio_notify(vser_vdev(vser), port->ovq);
    }
}

void virtio_serial_host_ready(VirtIOSerialPort *port)
{
    port->throttled = false;
    if (port->vser && virtio_device_ready(vser_vdev(port->vser))) {
        flush_port_output(port);
    }
}

static void handle_output(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOSerial *vser = (VirtIOSerial *)vdev;
    VirtIOSerialPort *port = find_port_by_vq(vser, vq);

    /* Nobody listens: the bytes go nowhere, as on a real unplugged line */
    if (!port || !port->host_connected || !port->ops->have_data) {
        if (port) {
            release_out_elem(port, true);
        }
        discard_output(vser, vq);
        return;
    }
    flush_port_output(port);
}

/* ------------------------------------------------------------------ */
/* Data: host -> guest                                                 */
/* ------------------------------------------------------------------ */

static bool port_guest_writable(VirtIOSerialPort *port)
{
    VirtIOSerial *vser = port->vser;

    if (!vser || !port->ivq || !virtio_device_ready(vser_vdev(vser))) {
        return false;
    }
    if (use_multiport(vser) && !port->guest_connected) {
        return false;
    }
    return true;
}

/*
 * Make sure a receive buffer is at hand (popped and held, so the amount
 * promised to the chardev is really there); returns its size.
 */
static size_t port_take_in_elem(VirtIOSerialPort *port)
{
    unsigned tries;

    if (port->in_elem) {
        return iov_size(port->in_elem->in_sg, port->in_elem->in_num);
    }
    /* Buffers without writable parts are useless: return them, bounded */
    for (tries = 0; tries < VIRTQUEUE_MAX_SIZE; tries++) {
        VirtQueueElement *elem = virtqueue_pop(port->ivq,
                                               sizeof(VirtQueueElement));
        size_t size;

        if (!elem) {
            return 0;
        }
        size = iov_size(elem->in_sg, elem->in_num);
        if (size) {
            port->in_elem = elem;
            return size;
        }
        virtqueue_push(port->ivq, elem, 0);
        free(elem);
        virtio_notify(vser_vdev(port->vser), port->ivq);
    }
    return 0;
}

size_t virtio_serial_guest_ready(VirtIOSerialPort *port)
{
    if (!port_guest_writable(port)) {
        return 0;
    }
    return port_take_in_elem(port);
}

size_t virtio_serial_write(VirtIOSerialPort *port, const uint8_t *buf,
                           size_t len)
{
    size_t done = 0;

    if (!port_guest_writable(port)) {
        return 0;
    }
    while (done < len) {
        size_t n;

        if (!port_take_in_elem(port)) {
            break;
        }
        n = iov_from_buf(port->in_elem->in_sg, port->in_elem->in_num, 0,
                         buf + done, len - done);
        virtqueue_push(port->ivq, port->in_elem, n);
        free(port->in_elem);
        port->in_elem = NULL;
        done += n;
        if (!n) {
            break;
        }
    }
    if (done) {
        virtio_notify(vser_vdev(port->vser), port->ivq);
    }
    return done;
}

static void handle_input(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOSerialPort *port = find_port_by_vq((VirtIOSerial *)vdev, vq);

    if (port && port->ops->guest_ready) {
        port->ops->guest_ready(port);
    }
}

/* ------------------------------------------------------------------ */
/* Host connection                                                     */
/* ------------------------------------------------------------------ */

void virtio_serial_open(VirtIOSerialPort *port)
{
    if (port->host_connected) {
        return;
    }
    port->host_connected = true;
    if (port->vser && port->guest_known) {
        send_control_msg(port->vser, port->id, VIRTIO_CONSOLE_PORT_OPEN, 1,
                         NULL);
    }
}

void virtio_serial_close(VirtIOSerialPort *port)
{
    if (!port->host_connected) {
        return;
    }
    port->host_connected = false;
    port->throttled = false;
    if (!port->vser) {
        return;
    }
    /* What the guest sent and the host did not take is lost with the peer */
    if (port->ovq && virtio_device_ready(vser_vdev(port->vser))) {
        release_out_elem(port, true);
        discard_output(port->vser, port->ovq);
    }
    if (port->guest_known) {
        send_control_msg(port->vser, port->id, VIRTIO_CONSOLE_PORT_OPEN, 0,
                         NULL);
    }
}

/* ------------------------------------------------------------------ */
/* Control messages from the guest                                     */
/* ------------------------------------------------------------------ */

static void port_set_guest_connected(VirtIOSerialPort *port, bool connected)
{
    if (port->guest_connected == connected) {
        return;
    }
    port->guest_connected = connected;
    if (connected) {
        if (port->ops->guest_open) {
            port->ops->guest_open(port);
        }
    } else {
        release_in_elem(port, true);
        if (port->ops->guest_close) {
            port->ops->guest_close(port);
        }
    }
}

static void handle_port_ready(VirtIOSerial *vser, VirtIOSerialPort *port,
                              uint16_t value)
{
    if (!value) {
        emu_log_mask(LOG_GUEST_ERROR,
                     "virtio-serial: guest failed to add port %u\n", port->id);
        return;
    }
    port->guest_known = true;
    if (port->ops->is_console) {
        send_control_msg(vser, port->id, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL);
    }
    if (port->name) {
        send_control_msg(vser, port->id, VIRTIO_CONSOLE_PORT_NAME, 1,
                         port->name);
    }
    if (port->host_connected) {
        send_control_msg(vser, port->id, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
    }
    if (port->ops->guest_ready) {
        port->ops->guest_ready(port);
    }
}

static void handle_control_msg(VirtIOSerial *vser, const uint8_t *buf)
{
    uint32_t id = get_le32(buf);
    uint16_t event = get_le16(buf + 4);
    uint16_t value = get_le16(buf + 6);
    VirtIOSerialPort *port;

    if (event == VIRTIO_CONSOLE_DEVICE_READY) {
        if (!value) {
            emu_log_mask(LOG_GUEST_ERROR,
                         "virtio-serial: guest failed to initialize the "
                         "device\n");
            return;
        }
        TAILQ_FOREACH(port, &vser->ports, next) {
            send_control_msg(vser, port->id, VIRTIO_CONSOLE_DEVICE_ADD, 1,
                             NULL);
        }
        return;
    }
    port = virtio_serial_find_port(vser, id);
    if (!port) {
        emu_log_mask(LOG_GUEST_ERROR,
                     "virtio-serial: control event %u for unknown port %u\n",
                     event, id);
        return;
    }
    switch (event) {
    case VIRTIO_CONSOLE_PORT_READY:
        handle_port_ready(vser, port, value);
        break;
    case VIRTIO_CONSOLE_PORT_OPEN:
        port_set_guest_connected(port, value != 0);
        if (port->guest_connected && port->ops->guest_ready) {
            port->ops->guest_ready(port);
        }
        break;
    default:
        emu_log_mask(LOG_GUEST_ERROR,
                     "virtio-serial: unexpected control event %u for port "
                     "%u\n", event, id);
        break;
    }
}

static void handle_control_output(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOSerial *vser = (VirtIOSerial *)vdev;
    VirtQueueElement *elem;
    bool pushed = false;

    while ((elem = virtqueue_pop(vq, sizeof(VirtQueueElement)))) {
        uint8_t buf[VIRTIO_CONSOLE_CONTROL_SIZE];
        size_t n = iov_to_buf(elem->out_sg, elem->out_num, 0, buf,
                              sizeof(buf));

        virtqueue_push(vq, elem, 0);
        free(elem);
        pushed = true;
        if (n < sizeof(buf)) {
            emu_log_mask(LOG_GUEST_ERROR,
                         "virtio-serial: short control message (%zu bytes)\n",
                         n);
            continue;
        }
        handle_control_msg(vser, buf);
    }
    if (pushed) {
        virtio_notify(vdev, vq);
    }
}

static void handle_control_input(VirtIODevice *vdev, VirtQueue *vq)
{
    flush_control_msgs((VirtIOSerial *)vdev);
}

/* ------------------------------------------------------------------ */
/* The virtio device                                                   */
/* ------------------------------------------------------------------ */

static uint64_t virtio_serial_get_features(VirtIODevice *vdev,
                                           uint64_t features)
{
    VirtIOSerial *vser = (VirtIOSerial *)vdev;

    if (multiport_offered(vser)) {
        features |= 1ULL << VIRTIO_CONSOLE_F_MULTIPORT;
    }
    if (vser->emergency_write) {
        features |= 1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE;
    }
    return features;
}

static void virtio_serial_get_config(VirtIODevice *vdev, uint8_t *config)
{
    VirtIOSerial *vser = (VirtIOSerial *)vdev;

    memset(config, 0, VIRTIO_CONSOLE_CONFIG_SIZE);
    /* cols and rows stay 0: VIRTIO_CONSOLE_F_SIZE is not offered */
    put_le32(config + 4, vser->max_nr_ports);
    /* emerg_wr reads as 0, so a non-zero value seen later is a write */
}

static void virtio_serial_set_config(VirtIODevice *vdev,
                                     const uint8_t *config)
{
    VirtIOSerial *vser = (VirtIOSerial *)vdev;
    VirtIOSerialPort *port = virtio_serial_find_port(vser, 0);
    uint8_t byte = config[8];

    /* Emergency write: one byte to port 0, before or without the driver */
    if (!byte || !virtio_vdev_has_feature(vdev, VIRTIO_CONSOLE_F_EMERG_WRITE) ||
        !port || !port->ops->have_data) {
        return;
    }
    port->ops->have_data(port, &byte, 1);
    vdev->config[8] = 0;
}

static void virtio_serial_set_status(VirtIODevice *vdev, uint8_t status)
{
    VirtIOSerial *vser = (VirtIOSerial *)vdev;
    VirtIOSerialPort *port = virtio_serial_find_port(vser, 0);

    if (!(status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        return;
    }
    /* Without multiport, port 0 is open as soon as the driver is */
    if (port && !use_multiport(vser)) {
        port->guest_known = true;
        port_set_guest_connected(port, true);
        if (port->ops->guest_ready) {
            port->ops->guest_ready(port);
        }
    }
    flush_control_msgs(vser);
}

static void virtio_serial_reset(VirtIODevice *vdev)
{
    VirtIOSerial *vser = (VirtIOSerial *)vdev;
    VirtIOSerialPort *port;

    drop_control_msgs(vser);
    TAILQ_FOREACH(port, &vser->ports, next) {
        /* The queues are gone: forget held buffers without touching them */
        if (port->in_elem) {
            free(port->in_elem);
            port->in_elem = NULL;
        }
        if (port->out_elem) {
            free(port->out_elem);
            port->out_elem = NULL;
        }
        port->out_offset = 0;
        port->throttled = false;
        port->guest_known = false;
        port_set_guest_connected(port, false);
    }
}

static void virtio_serial_device_realize(VirtIODevice *vdev, Error **errp)
{
    VirtIOSerial *vser = (VirtIOSerial *)vdev;
    DeviceState *parent = vdev->transport_dev;
    uint32_t i;

    if (!vser->max_nr_ports) {
        error_setg(errp, "Maximum number of serial ports not specified");
        return;
    }
    if (vser->max_nr_ports > VIRTIO_SERIAL_MAX_PORTS) {
        error_setg(errp, "maximum ports supported: %u",
                   VIRTIO_SERIAL_MAX_PORTS);
        return;
    }
    virtio_init(vdev, VIRTIO_CONSOLE_CONFIG_SIZE);
    vser->ivqs = emu_new0(VirtQueue *, vser->max_nr_ports);
    vser->ovqs = emu_new0(VirtQueue *, vser->max_nr_ports);
    vser->ivqs[0] = virtio_add_queue(vdev, VIRTIO_SERIAL_DATA_QUEUE_SIZE,
                                     handle_input);
    vser->ovqs[0] = virtio_add_queue(vdev, VIRTIO_SERIAL_DATA_QUEUE_SIZE,
                                     handle_output);
    if (multiport_offered(vser)) {
        vser->c_ivq = virtio_add_queue(vdev, VIRTIO_SERIAL_CTRL_QUEUE_SIZE,
                                       handle_control_input);
        vser->c_ovq = virtio_add_queue(vdev, VIRTIO_SERIAL_CTRL_QUEUE_SIZE,
                                       handle_control_output);
        for (i = 1; i < vser->max_nr_ports; i++) {
            vser->ivqs[i] = virtio_add_queue(vdev,
                                             VIRTIO_SERIAL_DATA_QUEUE_SIZE,
                                             handle_input);
            vser->ovqs[i] = virtio_add_queue(vdev,
                                             VIRTIO_SERIAL_DATA_QUEUE_SIZE,
                                             handle_output);
        }
    }
    for (i = 0; i < vser->max_nr_ports; i++) {
        if (!vser->ivqs[i] || !vser->ovqs[i]) {
            error_setg(errp, "virtio-serial: cannot create the queues of "
                       "%u ports", vser->max_nr_ports);
            virtio_cleanup(vdev);
            free(vser->ivqs);
            free(vser->ovqs);
            vser->ivqs = vser->ovqs = NULL;
            return;
        }
    }
    vser->ports_map = emu_new0(uint32_t, DIV_ROUND_UP(vser->max_nr_ports, 32));
    /* Port 0 is kept for a console, as old guests expect one there */
    port_map_set(vser, 0, true);
    TAILQ_INIT(&vser->ports);
    vser->ctrl_head = NULL;
    vser->ctrl_tail = &vser->ctrl_head;
    vser->ctrl_count = 0;
    /* "<id>.0" when the PCI device has an id, "virtio-serial-bus.N" if not */
    vser->bus = (VirtIOSerialBus *)bus_new(BUS_TYPE_VIRTIO_SERIAL, parent,
                                           NULL);
    vser->bus->vser = vser;
    TAILQ_INSERT_TAIL(&all_vsers, vser, next);

    /*
     * QEMU's default MSI-X vector count: one per port plus config.
     * virtio_pci_proxy() does not check its argument: only ask a PCI
     * device (other transports, and the unit test, are not).
     */
    if (parent && parent->info->bus_type &&
        strcmp(parent->info->bus_type, BUS_TYPE_PCI) == 0) {
        VirtIOPCIProxy *proxy = virtio_pci_proxy(vdev);
        if (proxy->nvectors == UINT32_MAX) {
            proxy->nvectors = vser->max_nr_ports + 1;
        }
    }
}

static void virtio_serial_device_unrealize(VirtIODevice *vdev)
{
    VirtIOSerial *vser = (VirtIOSerial *)vdev;

    /* Once only, whichever of the transport's paths calls us */
    if (!vser->ivqs) {
        return;
    }
    /* The ports (children of the bus) were unrealized before us */
    drop_control_msgs(vser);
    TAILQ_REMOVE(&all_vsers, vser, next);
    if (vser->bus) {
        vser->bus->vser = NULL;
    }
    free(vser->ports_map);
    free(vser->ivqs);
    free(vser->ovqs);
    vser->ports_map = NULL;
    vser->ivqs = vser->ovqs = NULL;
    virtio_cleanup(vdev);
}

const VirtioDeviceInfo virtio_serial_vdev_info = {
    .name = "virtio-serial",
    .device_id = VIRTIO_ID_CONSOLE,
    .realize = virtio_serial_device_realize,
    .unrealize = virtio_serial_device_unrealize,
    .get_features = virtio_serial_get_features,
    .get_config = virtio_serial_get_config,
    .set_config = virtio_serial_set_config,
    .set_status = virtio_serial_set_status,
    .reset = virtio_serial_reset,
};

/* ------------------------------------------------------------------ */
/* The bus                                                             */
/* ------------------------------------------------------------------ */

static VirtIOSerial *bus_vser(BusState *bus)
{
    return ((VirtIOSerialBus *)bus)->vser;
}

static uint32_t find_free_port_id(VirtIOSerial *vser)
{
    uint32_t id;

    for (id = 0; id < vser->max_nr_ports; id++) {
        if (!port_map_test(vser, id)) {
            return id;
        }
    }
    return VIRTIO_CONSOLE_BAD_ID;
}

/* Pick and check the port number and name before the port is plugged */
static bool virtio_serial_bus_check_child(BusState *bus, DeviceState *dev,
                                          Error **errp)
{
    VirtIOSerial *vser = bus_vser(bus);
    VirtIOSerialPort *port = (VirtIOSerialPort *)dev;
    const VirtIOSerialPortOps *ops = dev->info->class_data;

    if (!vser || !ops) {
        error_setg(errp, "virtio-serial-bus: device '%s' is not a port",
                   dev->info->name);
        return false;
    }
    if (port->name) {
        if (strlen(port->name) > VIRTIO_SERIAL_MAX_NAME_LEN) {
            error_setg(errp, "virtio-serial-bus: port name too long");
            return false;
        }
        if (find_port_by_name(port->name)) {
            error_setg(errp, "virtio-serial-bus: A port already exists by "
                       "name %s", port->name);
            return false;
        }
    }
    if (port->id == VIRTIO_CONSOLE_BAD_ID) {
        /* A console takes port 0 when free, as QEMU does */
        if (ops->is_console && !virtio_serial_find_port(vser, 0)) {
            port->id = 0;
        } else {
            port->id = find_free_port_id(vser);
            if (port->id == VIRTIO_CONSOLE_BAD_ID) {
                error_setg(errp, "virtio-serial-bus: Maximum port limit for "
                           "this device reached");
                return false;
            }
        }
        return true;
    }
    if (port->id == 0 && !ops->is_console) {
        error_setg(errp, "Port number 0 on virtio-serial devices reserved "
                   "for virtconsole devices for backward compatibility.");
        return false;
    }
    if (virtio_serial_find_port(vser, port->id)) {
        error_setg(errp, "virtio-serial-bus: A port already exists at id %u",
                   port->id);
        return false;
    }
    if (port->id >= vser->max_nr_ports) {
        error_setg(errp, "virtio-serial-bus: Out-of-range port id specified, "
                   "max. allowed: %u", vser->max_nr_ports - 1);
        return false;
    }
    return true;
}

static bool virtio_serial_bus_child_realize(BusState *bus, DeviceState *dev,
                                            Error **errp)
{
    VirtIOSerial *vser = bus_vser(bus);
    VirtIOSerialPort *port = (VirtIOSerialPort *)dev;

    if (!vser || port->id >= vser->max_nr_ports) {
        error_setg(errp, "virtio-serial-bus: no room for the port");
        return false;
    }
    port->ops = dev->info->class_data;
    port->vser = vser;
    port->ivq = vser->ivqs[port->id];
    port->ovq = vser->ovqs[port->id];
    port->guest_connected = false;
    port->guest_known = false;
    port->throttled = false;
    port_map_set(vser, port->id, true);
    TAILQ_INSERT_TAIL(&vser->ports, port, next);
    /* Plugged while the driver runs: announce it */
    send_control_msg(vser, port->id, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL);
    return true;
}

static void virtio_serial_bus_child_unrealize(BusState *bus, DeviceState *dev)
{
    VirtIOSerial *vser = bus_vser(bus);
    VirtIOSerialPort *port = (VirtIOSerialPort *)dev;

    if (!vser || port->vser != vser) {
        return;
    }
    release_in_elem(port, true);
    release_out_elem(port, true);
    send_control_msg(vser, port->id, VIRTIO_CONSOLE_DEVICE_REMOVE, 1, NULL);
    TAILQ_REMOVE(&vser->ports, port, next);
    /* Port 0 stays reserved for a console */
    if (port->id != 0) {
        port_map_set(vser, port->id, false);
    }
    port->vser = NULL;
    port->ivq = port->ovq = NULL;
}

static void virtio_serial_bus_print_dev(BusState *bus, DeviceState *dev,
                                        int indent,
                                        void (*pr)(void *o, const char *fmt,
                                                   ...),
                                        void *o)
{
    VirtIOSerialPort *port = (VirtIOSerialPort *)dev;

    pr(o, "%*sport %u, guest %s, host %s, throttle %s\n", indent, "",
       port->id, port->guest_connected ? "on" : "off",
       port->host_connected ? "on" : "off",
       port->throttled ? "on" : "off");
}

static const BusInfo virtio_serial_bus_info = {
    .type = BUS_TYPE_VIRTIO_SERIAL,
    .instance_size = sizeof(VirtIOSerialBus),
    .check_child = virtio_serial_bus_check_child,
    .child_realize = virtio_serial_bus_child_realize,
    .child_unrealize = virtio_serial_bus_child_unrealize,
    .print_dev = virtio_serial_bus_print_dev,
};

static void __attribute__((constructor)) virtio_serial_bus_register(void)
{
    bus_register_type(&virtio_serial_bus_info);
}

/* ------------------------------------------------------------------ */
/* virtio-serial-pci                                                   */
/* ------------------------------------------------------------------ */

typedef struct VirtIOSerialPCI {
    VirtIOPCIProxy parent_obj;
    VirtIOSerial vdev;
} VirtIOSerialPCI;

static const Property virtio_serial_pci_props[] = {
    DEFINE_PROP_UINT32("max_ports", VirtIOSerialPCI, vdev.max_nr_ports,
                       VIRTIO_SERIAL_DEFAULT_PORTS),
    DEFINE_PROP_BOOL("emergency-write", VirtIOSerialPCI, vdev.emergency_write,
                     true),
    DEFINE_PROP_END_OF_LIST(),
};

static const VirtioPCIDeviceTypeInfo virtio_serial_pci_info = {
    .name = "virtio-serial-pci",
    .category = "Input devices",
    .vdev_info = &virtio_serial_vdev_info,
    .instance_size = sizeof(VirtIOSerialPCI),
    .vdev_offset = offsetof(VirtIOSerialPCI, vdev),
    .props = virtio_serial_pci_props,
    .class_id = 0x0780,         /* communication controller, other */
    .hotpluggable = true,
};
VIRTIO_PCI_REGISTER(virtio_serial_pci_info);
