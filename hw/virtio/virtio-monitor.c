/* virtio monitor commands: info virtio, info virtio-status, info virtio-queue-status (x-query-virtio*). */
#include "emu/osdep.h"
#include "hw/virtio/virtio.h"
#include "monitor/monitor.h"

static VirtIODevice *virtio_find_by_path(const char *path, Error **errp)
{
    for (VirtIODevice *vdev = virtio_device_next(NULL); vdev;
         vdev = virtio_device_next(vdev)) {
        char *p = virtio_device_path(vdev);
        bool match = !strcmp(p, path);
        free(p);
        if (match) {
            return vdev;
        }
    }
    error_setg(errp, "Path '%s' is not a VirtIODevice", path);
    return NULL;
}

static json_object *cmd_query_virtio(Monitor *mon, json_object *args,
                                     Error **errp)
{
    json_object *list = json_object_new_array();

    for (VirtIODevice *vdev = virtio_device_next(NULL); vdev;
         vdev = virtio_device_next(vdev)) {
        json_object *o = json_object_new_object();
        char *path = virtio_device_path(vdev);
        json_object_object_add(o, "path", json_object_new_string(path));
        json_object_object_add(o, "name", json_object_new_string(vdev->name));
        json_object_array_add(list, o);
        free(path);
    }
    return list;
}

static void print_query_virtio(Monitor *mon, json_object *result)
{
    size_t n = json_object_array_length(result);

    if (n == 0) {
        monitor_printf(mon, "No VirtIO devices\n");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(result, i);
        json_object *path, *name;
        json_object_object_get_ex(o, "path", &path);
        json_object_object_get_ex(o, "name", &name);
        monitor_printf(mon, "%s [%s]\n", json_object_get_string(path),
                       json_object_get_string(name));
    }
}

static json_object *cmd_query_virtio_status(Monitor *mon, json_object *args,
                                            Error **errp)
{
    VirtIODevice *vdev = virtio_find_by_path(monitor_arg_str(args, "path",
                                                             ""), errp);
    json_object *o;

    if (!vdev) {
        return NULL;
    }
    o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(vdev->name));
    json_object_object_add(o, "device-id",
                           json_object_new_int(vdev->device_id));
    json_object_object_add(o, "device-endian",
                           json_object_new_string("little"));
    json_object_object_add(o, "guest-features",
                           json_object_new_int64(vdev->guest_features));
    json_object_object_add(o, "host-features",
                           json_object_new_int64(vdev->host_features));
    json_object_object_add(o, "num-vqs", json_object_new_int(vdev->nvqs));
    json_object_object_add(o, "status", json_object_new_int(vdev->status));
    json_object_object_add(o, "isr", json_object_new_int(vdev->isr));
    json_object_object_add(o, "queue-sel",
                           json_object_new_int(vdev->queue_sel));
    json_object_object_add(o, "vm-running", json_object_new_boolean(true));
    json_object_object_add(o, "broken",
                           json_object_new_boolean(vdev->broken));
    json_object_object_add(o, "config-vector",
                           json_object_new_int(vdev->config_vector));
    json_object_object_add(o, "generation",
                           json_object_new_int(vdev->generation));
    json_object_object_add(o, "config-len",
                           json_object_new_int(vdev->config_len));
    json_object_object_add(o, "legacy",
                           json_object_new_boolean(vdev->legacy));
    return o;
}

static int64_t jint(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v)
                                                 : 0;
}

static const char *const virtio_status_names[] = {
    "ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", NULL, NULL,
    "NEEDS_RESET", "FAILED",
};

static void print_query_virtio_status(Monitor *mon, json_object *o)
{
    json_object *name;
    unsigned status = jint(o, "status");
    bool first = true;

    json_object_object_get_ex(o, "name", &name);
    monitor_printf(mon, "%s:\n", json_object_get_string(name));
    monitor_printf(mon, "  device_name:             %s\n",
                   json_object_get_string(name));
    monitor_printf(mon, "  device_id:               %" PRId64 "\n",
                   jint(o, "device-id"));
    monitor_printf(mon, "  vhost_started:           false\n");
    monitor_printf(mon, "  bus_name:                (null)\n");
    monitor_printf(mon, "  broken:                  %s\n",
                   jint(o, "broken") ? "true" : "false");
    monitor_printf(mon, "  disabled:                false\n");
    monitor_printf(mon, "  disable_legacy_check:    false\n");
    monitor_printf(mon, "  started:                 %s\n",
                   (status & 4) ? "true" : "false");
    monitor_printf(mon, "  use_started:             true\n");
    monitor_printf(mon, "  start_on_kick:           false\n");
    monitor_printf(mon, "  use_guest_notifier_mask: true\n");
    monitor_printf(mon, "  vm_running:              true\n");
    monitor_printf(mon, "  num_vqs:                 %" PRId64 "\n",
                   jint(o, "num-vqs"));
    monitor_printf(mon, "  queue_sel:               %" PRId64 "\n",
                   jint(o, "queue-sel"));
    monitor_printf(mon, "  isr:                     %" PRId64 "\n",
                   jint(o, "isr"));
    monitor_printf(mon, "  endianness:              little\n");
    monitor_printf(mon, "  status:\n    ");
    for (int i = 0; i < 8; i++) {
        if ((status & (1u << i)) && virtio_status_names[i]) {
            monitor_printf(mon, "%s%s", first ? "" : ", ",
                           virtio_status_names[i]);
            first = false;
        }
    }
    monitor_printf(mon, "%s\n", first ? "(none)" : "");
    monitor_printf(mon, "  host features:   0x%016" PRIx64 "\n",
                   (uint64_t)jint(o, "host-features"));
    monitor_printf(mon, "  guest features:  0x%016" PRIx64 "\n",
                   (uint64_t)jint(o, "guest-features"));
}

static json_object *cmd_query_virtio_queue(Monitor *mon, json_object *args,
                                           Error **errp)
{
    VirtIODevice *vdev = virtio_find_by_path(monitor_arg_str(args, "path",
                                                             ""), errp);
    int64_t q = monitor_arg_int(args, "queue", -1);
    json_object *o;

    if (!vdev) {
        return NULL;
    }
    if (q < 0 || q >= virtio_get_num_queues(vdev)) {
        error_setg(errp, "Invalid virtqueue number %" PRId64, q);
        return NULL;
    }
    o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(vdev->name));
    json_object_object_add(o, "queue-index", json_object_new_int(q));
    json_object_object_add(o, "vring-num",
                           json_object_new_int(virtio_queue_get_num(vdev, q)));
    json_object_object_add(o, "vring-num-default",
                           json_object_new_int(virtio_queue_get_max_num(vdev,
                                                                        q)));
    json_object_object_add(o, "last-avail-idx",
                           json_object_new_int(
                               virtio_queue_get_last_avail_idx(vdev, q)));
    json_object_object_add(o, "used-idx",
                           json_object_new_int(
                               virtio_queue_get_used_idx(vdev, q)));
    json_object_object_add(o, "vector",
                           json_object_new_int(virtio_queue_vector(vdev, q)));
    json_object_object_add(o, "vring-desc",
                           json_object_new_int64(
                               virtio_queue_get_desc_addr(vdev, q)));
    json_object_object_add(o, "vring-avail",
                           json_object_new_int64(
                               virtio_queue_get_avail_addr(vdev, q)));
    json_object_object_add(o, "vring-used",
                           json_object_new_int64(
                               virtio_queue_get_used_addr(vdev, q)));
    return o;
}

static void print_query_virtio_queue(Monitor *mon, json_object *o)
{
    json_object *name;

    json_object_object_get_ex(o, "name", &name);
    monitor_printf(mon, "%s:\n", json_object_get_string(name));
    monitor_printf(mon, "  device_name:          %s\n",
                   json_object_get_string(name));
    monitor_printf(mon, "  queue_index:          %" PRId64 "\n",
                   jint(o, "queue-index"));
    monitor_printf(mon, "  inuse:                0\n");
    monitor_printf(mon, "  used_idx:             %" PRId64 "\n",
                   jint(o, "used-idx"));
    monitor_printf(mon, "  signalled_used:       0\n");
    monitor_printf(mon, "  signalled_used_valid: false\n");
    monitor_printf(mon, "  last_avail_idx:       %" PRId64 "\n",
                   jint(o, "last-avail-idx"));
    monitor_printf(mon, "  vring_num:            %" PRId64 "\n",
                   jint(o, "vring-num"));
    monitor_printf(mon, "  vring_num_default:    %" PRId64 "\n",
                   jint(o, "vring-num-default"));
    monitor_printf(mon, "  vring_align:          4096\n");
    monitor_printf(mon, "  vring_desc:           0x%016" PRIx64 "\n",
                   (uint64_t)jint(o, "vring-desc"));
    monitor_printf(mon, "  vring_avail:          0x%016" PRIx64 "\n",
                   (uint64_t)jint(o, "vring-avail"));
    monitor_printf(mon, "  vring_used:           0x%016" PRIx64 "\n",
                   (uint64_t)jint(o, "vring-used"));
}

static const MonitorCommand virtio_commands[] = {
    {
        .qmp_name = "x-query-virtio",
        .hmp_name = "info virtio",
        .help = "List all available virtio devices",
        .handler = cmd_query_virtio,
        .hmp_print = print_query_virtio,
    }, {
        .qmp_name = "x-query-virtio-status",
        .hmp_name = "info virtio-status",
        .args = "path:s",
        .params = "path",
        .help = "Display status of a given virtio device",
        .handler = cmd_query_virtio_status,
        .hmp_print = print_query_virtio_status,
    }, {
        .qmp_name = "x-query-virtio-queue-status",
        .hmp_name = "info virtio-queue-status",
        .args = "path:s,queue:i",
        .params = "path queue",
        .help = "Display status of a given virtio queue",
        .handler = cmd_query_virtio_queue,
        .hmp_print = print_query_virtio_queue,
    }, {
        .handler = NULL,
    },
};

MONITOR_REGISTER_COMMANDS(virtio_commands)
