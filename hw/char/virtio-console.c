/* virtserialport and virtconsole: virtio-serial ports connected to a chardev. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "chardev/char.h"
#include "hw/virtio/virtio-serial.h"
#include "monitor/monitor.h"
#include <json-c/json.h>

/*
 * The chardev API has no "writable again" callback; when the host side
 * takes only part of what the guest sent, retry after this long.
 */
#define VIRTCONSOLE_WRITE_RETRY_MS 5

typedef struct VirtConsole {
    VirtIOSerialPort port;
    CharBackend chr;
    EmuTimer *retry_timer;
} VirtConsole;

static VirtConsole *to_vcon(VirtIOSerialPort *port)
{
    return (VirtConsole *)port;
}

/* ---- guest -> chardev ---- */

static size_t virtconsole_have_data(VirtIOSerialPort *port,
                                    const uint8_t *buf, size_t len)
{
    VirtConsole *vcon = to_vcon(port);
    int chunk = len > INT_MAX ? INT_MAX : (int)len;
    int ret;

    if (!chr_fe_backend_connected(&vcon->chr)) {
        return len;
    }
    ret = chr_fe_write(&vcon->chr, buf, chunk);
    if (ret < 0) {
        /* A broken backend: drop the data rather than stall the guest */
        return len;
    }
    if ((size_t)ret < len) {
        timer_mod(vcon->retry_timer,
                  clock_get_ms(EMU_CLOCK_REALTIME) + VIRTCONSOLE_WRITE_RETRY_MS);
    }
    return ret;
}

static void virtconsole_retry_write(void *opaque)
{
    VirtConsole *vcon = opaque;

    virtio_serial_host_ready(&vcon->port);
}

/* ---- chardev -> guest ---- */

static int virtconsole_can_read(void *opaque)
{
    VirtConsole *vcon = opaque;
    size_t n = virtio_serial_guest_ready(&vcon->port);

    return n > 65536 ? 65536 : (int)n;
}

static void virtconsole_read(void *opaque, const uint8_t *buf, int size)
{
    VirtConsole *vcon = opaque;
    size_t done;

    if (size <= 0) {
        return;
    }
    done = virtio_serial_write(&vcon->port, buf, size);
    if (done < (size_t)size) {
        /* can_read promised room; only a guest reset in between gets here */
        emu_log_mask(LOG_GUEST_ERROR, "virtio-serial port %u: %zu bytes "
                     "from the host dropped\n", vcon->port.id,
                     (size_t)size - done);
    }
}

static void virtconsole_event(void *opaque, ChrEvent event)
{
    VirtConsole *vcon = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        virtio_serial_open(&vcon->port);
        break;
    case CHR_EVENT_CLOSED:
        timer_del(vcon->retry_timer);
        virtio_serial_close(&vcon->port);
        break;
    default:
        break;
    }
}

/* ---- guest open/close ---- */

/* QMP VSERPORT_CHANGE, as QEMU sends it for ports with an id */
static void virtconsole_send_change(VirtConsole *vcon, bool open)
{
    json_object *data;

    if (!vcon->port.qdev.id) {
        return;
    }
    data = json_object_new_object();
    json_object_object_add(data, "id",
                           json_object_new_string(vcon->port.qdev.id));
    json_object_object_add(data, "open", json_object_new_boolean(open));
    monitor_event("VSERPORT_CHANGE", data);
}

static void virtconsole_guest_open(VirtIOSerialPort *port)
{
    VirtConsole *vcon = to_vcon(port);

    virtconsole_send_change(vcon, true);
    chr_fe_accept_input(&vcon->chr);
}

static void virtconsole_guest_close(VirtIOSerialPort *port)
{
    virtconsole_send_change(to_vcon(port), false);
}

static void virtconsole_guest_ready(VirtIOSerialPort *port)
{
    VirtConsole *vcon = to_vcon(port);

    if (chr_fe_backend_connected(&vcon->chr)) {
        chr_fe_accept_input(&vcon->chr);
    }
}

/* ---- device ---- */

static void virtconsole_realize(DeviceState *dev, Error **errp)
{
    VirtConsole *vcon = (VirtConsole *)dev;
    const VirtIOSerialPortOps *ops = dev->info->class_data;

    vcon->retry_timer = timer_new_ms(EMU_CLOCK_REALTIME,
                                     virtconsole_retry_write, vcon);
    if (!chr_fe_backend_connected(&vcon->chr)) {
        /* No chardev: a port the guest may open whose data goes nowhere */
        if (ops->is_console) {
            virtio_serial_open(&vcon->port);
        }
        return;
    }
    chr_fe_set_handlers(&vcon->chr, virtconsole_can_read, virtconsole_read,
                        virtconsole_event, vcon);
    /*
     * A console is always connected, as a serial line with a terminal
     * would be; a port follows its chardev's peer (OPENED/CLOSED).
     */
    if (ops->is_console || chr_fe_backend_open(&vcon->chr)) {
        virtio_serial_open(&vcon->port);
    }
}

static void virtconsole_unrealize(DeviceState *dev)
{
    VirtConsole *vcon = (VirtConsole *)dev;

    timer_free(vcon->retry_timer);
    vcon->retry_timer = NULL;
    if (chr_fe_backend_connected(&vcon->chr)) {
        chr_fe_set_handlers(&vcon->chr, NULL, NULL, NULL, NULL);
    }
}

static const Property virtconsole_props[] = {
    DEFINE_PROP_UINT32("nr", VirtConsole, port.id, VIRTIO_CONSOLE_BAD_ID),
    DEFINE_PROP_CHR("chardev", VirtConsole, chr),
    DEFINE_PROP_STRING("name", VirtConsole, port.name),
    DEFINE_PROP_END_OF_LIST(),
};

static const VirtIOSerialPortOps virtserialport_ops = {
    .is_console = false,
    .have_data = virtconsole_have_data,
    .guest_open = virtconsole_guest_open,
    .guest_close = virtconsole_guest_close,
    .guest_ready = virtconsole_guest_ready,
};

static const VirtIOSerialPortOps virtconsole_ops = {
    .is_console = true,
    .have_data = virtconsole_have_data,
    .guest_open = virtconsole_guest_open,
    .guest_close = virtconsole_guest_close,
    .guest_ready = virtconsole_guest_ready,
};

static const DeviceInfo virtserialport_info = {
    .name = "virtserialport",
    .bus_type = BUS_TYPE_VIRTIO_SERIAL,
    .category = "Input devices",
    .instance_size = sizeof(VirtConsole),
    .props = virtconsole_props,
    .user_creatable = true,
    .hotpluggable = true,
    .realize = virtconsole_realize,
    .unrealize = virtconsole_unrealize,
    .class_data = &virtserialport_ops,
};
DEVICE_REGISTER(virtserialport_info);

static const DeviceInfo virtconsole_info = {
    .name = "virtconsole",
    .bus_type = BUS_TYPE_VIRTIO_SERIAL,
    .category = "Input devices",
    .instance_size = sizeof(VirtConsole),
    .props = virtconsole_props,
    .user_creatable = true,
    .hotpluggable = true,
    .realize = virtconsole_realize,
    .unrealize = virtconsole_unrealize,
    .class_data = &virtconsole_ops,
};
DEVICE_REGISTER(virtconsole_info);
