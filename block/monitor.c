/* Block monitor commands: info block/blockstats, eject, change, block_resize (HMP and QMP). */
#include "emu/osdep.h"
#include "block/block.h"
#include "block/block_int.h"
#include "block/block-internal.h"
#include "hw/qdev.h"
#include "monitor/monitor.h"

/* ---- Finding the backend a command names ---- */

/* The backend attached to the device with qdev id or path id */
static BlockBackend *blk_by_qdev_id(const char *id)
{
    DeviceState *dev = device_find_path(id);
    if (!dev) {
        return NULL;
    }
    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        if (blk_get_attached_dev(blk) == (void *)dev) {
            return blk;
        }
    }
    return NULL;
}

static BlockBackend *find_backend(json_object *args, Error **errp)
{
    const char *device = monitor_arg_str(args, "device", NULL);
    const char *id = monitor_arg_str(args, "id", NULL);
    if (device && id) {
        error_setg(errp, "Cannot specify both 'device' and 'id'");
        return NULL;
    }
    if (device) {
        BlockBackend *blk = blk_by_name(device);
        if (!blk) {
            error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                      "Device '%s' not found", device);
        }
        return blk;
    }
    if (id) {
        BlockBackend *blk = blk_by_qdev_id(id);
        if (!blk) {
            error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                      "Device '%s' not found", id);
        }
        return blk;
    }
    error_setg(errp, "Either 'device' or 'id' must be specified");
    return NULL;
}

/* ---- Image information ---- */

static void json_add_int(json_object *o, const char *k, int64_t v)
{
    json_object_object_add(o, k, json_object_new_int64(v));
}

static void json_add_bool(json_object *o, const char *k, bool v)
{
    json_object_object_add(o, k, json_object_new_boolean(v));
}

static void json_add_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v));
}

static int backing_depth(BlockDriverState *bs)
{
    int n = 0;
    for (bs = bs->backing; bs; bs = bs->backing) {
        n++;
    }
    return n;
}

/* ImageInfo of QMP, following the backing chain */
static json_object *image_info(BlockDriverState *bs)
{
    json_object *img = json_object_new_object();
    json_add_int(img, "virtual-size", bs->total_bytes);
    json_add_str(img, "filename", bs->filename);
    BlockDriverInfo bdi;
    if (bdrv_get_info(bs, &bdi) == 0 && bdi.cluster_size > 0) {
        json_add_int(img, "cluster-size", bdi.cluster_size);
    }
    json_add_str(img, "format", bs->drv->format_name);
    int64_t actual = bdrv_get_allocated_file_size(bs);
    if (actual >= 0) {
        json_add_int(img, "actual-size", actual);
    }
    if (bs->drv->dump_info) {
        json_object *data = json_object_new_object();
        bdrv_dump_info(bs, NULL, data);
        json_object *spec = json_object_new_object();
        json_add_str(spec, "type", bs->drv->format_name);
        json_object_object_add(spec, "data", data);
        json_object_object_add(img, "format-specific", spec);
    }
    json_add_bool(img, "dirty-flag", false);
    if (bs->backing_file[0]) {
        char *full = bdrv_backing_path(bs->filename, bs->backing_file);
        json_add_str(img, "backing-filename", bs->backing_file);
        json_add_str(img, "full-backing-filename", full);
        free(full);
        if (bs->backing_format[0]) {
            json_add_str(img, "backing-filename-format", bs->backing_format);
        }
    }
    if (bs->backing) {
        json_object_object_add(img, "backing-image", image_info(bs->backing));
    }
    return img;
}

static json_object *inserted_info(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);
    int flags = blk_get_open_flags(blk);
    json_object *ins = json_object_new_object();
    json_add_int(ins, "iops_rd", 0);
    json_add_str(ins, "detect_zeroes", "off");
    json_object_object_add(ins, "image", image_info(bs));
    json_add_int(ins, "iops_wr", 0);
    json_add_bool(ins, "ro", bs->read_only);
    json_add_str(ins, "node-name", bs->node_name);
    json_add_int(ins, "backing_file_depth", backing_depth(bs));
    json_add_str(ins, "drv", bs->drv->format_name);
    json_add_int(ins, "iops", 0);
    json_add_int(ins, "bps_wr", 0);
    json_add_int(ins, "write_threshold", 0);
    if (bs->backing_file[0]) {
        /* QEMU shows the path as opened, relative to the working directory */
        json_add_str(ins, "backing_file", bs->backing ? bs->backing->filename
                                                      : bs->backing_file);
    }
    json_add_bool(ins, "encrypted", bs->encrypted);
    json_add_int(ins, "bps", 0);
    json_add_int(ins, "bps_rd", 0);
    json_object *cache = json_object_new_object();
    json_add_bool(cache, "no-flush", flags & BDRV_O_NO_FLUSH);
    json_add_bool(cache, "direct", flags & BDRV_O_NOCACHE);
    json_add_bool(cache, "writeback", blk_enable_write_cache(blk));
    json_object_object_add(ins, "cache", cache);
    json_add_str(ins, "file", bs->filename);
    return ins;
}

static json_object *block_info(BlockBackend *blk)
{
    json_object *info = json_object_new_object();
    void *dev = blk_get_attached_dev(blk);
    bool removable = blk_dev_has_removable_media(blk);
    json_add_str(info, "io-status", "ok");
    json_add_str(info, "device", blk_name(blk));
    json_add_bool(info, "locked", blk_dev_is_tray_locked(blk));
    json_add_bool(info, "removable", removable);
    if (blk_is_inserted(blk)) {
        json_object_object_add(info, "inserted", inserted_info(blk));
    }
    if (dev) {
        json_add_str(info, "qdev", blk_get_attached_dev_id(blk));
    }
    if (removable) {
        json_add_bool(info, "tray_open", blk_dev_is_tray_open(blk));
    }
    json_add_str(info, "type", "unknown");
    return info;
}

static json_object *cmd_query_block(Monitor *mon, json_object *args,
                                    Error **errp)
{
    json_object *list = json_object_new_array();
    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        json_object_array_add(list, block_info(blk));
    }
    return list;
}

/* QEMU's size_to_str: three significant digits and a binary unit */
static char *size_to_str(uint64_t v)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
                                         "PiB", "EiB" };
    int i = 0;
    double d = v;
    while (d >= 1024 && i < (int)ARRAY_SIZE(units) - 1) {
        d /= 1024;
        i++;
    }
    return emu_asprintf("%0.3g %s", d, units[i]);
}

static void print_image_verbose(Monitor *mon, json_object *img)
{
    json_object *v;
    monitor_printf(mon, "image: %s\n",
                   json_object_get_string(json_object_object_get(img,
                                                                 "filename")));
    monitor_printf(mon, "file format: %s\n",
                   json_object_get_string(json_object_object_get(img,
                                                                 "format")));
    int64_t vsize = json_object_get_int64(json_object_object_get(img,
                                                              "virtual-size"));
    char *s = size_to_str(vsize);
    monitor_printf(mon, "virtual size: %s (%" PRId64 " bytes)\n", s, vsize);
    free(s);
    if (json_object_object_get_ex(img, "actual-size", &v)) {
        s = size_to_str(json_object_get_int64(v));
        monitor_printf(mon, "disk size: %s\n", s);
        free(s);
    }
    if (json_object_object_get_ex(img, "cluster-size", &v)) {
        monitor_printf(mon, "cluster_size: %" PRId64 "\n",
                       json_object_get_int64(v));
    }
    if (json_object_object_get_ex(img, "backing-filename", &v)) {
        json_object *full;
        monitor_printf(mon, "backing file: %s", json_object_get_string(v));
        if (json_object_object_get_ex(img, "full-backing-filename", &full) &&
            strcmp(json_object_get_string(full),
                   json_object_get_string(v)) != 0) {
            monitor_printf(mon, " (actual path: %s)",
                           json_object_get_string(full));
        }
        monitor_printf(mon, "\n");
    }
    if (json_object_object_get_ex(img, "backing-filename-format", &v)) {
        monitor_printf(mon, "backing file format: %s\n",
                       json_object_get_string(v));
    }
    json_object *spec, *data;
    if (json_object_object_get_ex(img, "format-specific", &spec) &&
        json_object_object_get_ex(spec, "data", &data) &&
        json_object_is_type(data, json_type_object)) {
        /* QEMU prints the keys with spaces for dashes */
        monitor_printf(mon, "Format specific information:\n");
        json_object_object_foreach(data, key, val) {
            char *k = emu_strdup(key);
            for (char *c = k; *c; c++) {
                if (*c == '-') {
                    *c = ' ';
                }
            }
            if (!json_object_is_type(val, json_type_object) &&
                !json_object_is_type(val, json_type_array)) {
                monitor_printf(mon, "    %s: %s\n", k,
                               json_object_get_string(val));
            }
            free(k);
        }
    }
}

static void print_block_info(Monitor *mon, json_object *info, bool verbose)
{
    json_object *ins = NULL, *v;
    bool inserted = json_object_object_get_ex(info, "inserted", &ins);
    monitor_printf(mon, "%s", json_object_get_string(
                       json_object_object_get(info, "device")));
    if (inserted) {
        bool ro = json_object_get_boolean(json_object_object_get(ins, "ro"));
        bool enc = json_object_get_boolean(json_object_object_get(ins,
                                                                  "encrypted"));
        monitor_printf(mon, " (%s): %s (%s%s%s)\n",
                       json_object_get_string(json_object_object_get(
                                                  ins, "node-name")),
                       json_object_get_string(json_object_object_get(
                                                  ins, "file")),
                       json_object_get_string(json_object_object_get(
                                                  ins, "drv")),
                       ro ? ", read-only" : "", enc ? ", encrypted" : "");
    } else {
        monitor_printf(mon, ": [not inserted]\n");
    }
    if (json_object_object_get_ex(info, "qdev", &v)) {
        monitor_printf(mon, "    Attached to:      %s\n",
                       json_object_get_string(v));
    }
    if (json_object_get_boolean(json_object_object_get(info, "removable"))) {
        monitor_printf(mon, "    Removable device: %slocked, tray %s\n",
                       json_object_get_boolean(json_object_object_get(
                                                   info, "locked"))
                       ? "" : "not ",
                       json_object_get_boolean(json_object_object_get(
                                                   info, "tray_open"))
                       ? "open" : "closed");
    }
    if (!inserted) {
        return;
    }
    json_object *cache = json_object_object_get(ins, "cache");
    monitor_printf(mon, "    Cache mode:       %s%s%s\n",
                   json_object_get_boolean(json_object_object_get(
                                               cache, "writeback"))
                   ? "writeback" : "writethrough",
                   json_object_get_boolean(json_object_object_get(
                                               cache, "direct"))
                   ? ", direct" : "",
                   json_object_get_boolean(json_object_object_get(
                                               cache, "no-flush"))
                   ? ", ignore flushes" : "");
    if (json_object_object_get_ex(ins, "backing_file", &v)) {
        monitor_printf(mon, "    Backing file:     %s (chain depth: %" PRId64
                       ")\n", json_object_get_string(v),
                       json_object_get_int64(json_object_object_get(
                                                 ins, "backing_file_depth")));
    }
    if (verbose) {
        monitor_printf(mon, "\nImages:\n");
        json_object *img = json_object_object_get(ins, "image");
        bool first = true;
        while (img) {
            if (!first) {
                monitor_printf(mon, "\n");
            }
            first = false;
            print_image_verbose(mon, img);
            img = json_object_object_get(img, "backing-image");
        }
    }
}

/* HMP "info block [-n] [-v] [device]" */
static json_object *cmd_info_block(Monitor *mon, json_object *args,
                                   Error **errp)
{
    const char *device = monitor_arg_str(args, "device", NULL);
    bool verbose = monitor_arg_bool(args, "verbose", false);
    bool nodes = monitor_arg_bool(args, "nodes", false);
    bool first = true;
    if (nodes) {
        /* every node, newest first, as QEMU lists its named nodes */
        for (BlockDriverState *bs = bdrv_next_node(NULL); bs;
             bs = bdrv_next_node(bs)) {
            if (device && strcmp(device, bs->node_name) != 0) {
                continue;
            }
            if (!first) {
                monitor_printf(mon, "\n");
            }
            first = false;
            monitor_printf(mon, "%s: %s (%s%s%s)\n", bs->node_name,
                           bs->filename, bs->drv->format_name,
                           bs->read_only ? ", read-only" : "",
                           bs->encrypted ? ", encrypted" : "");
            monitor_printf(mon, "    Cache mode:       writeback%s%s\n",
                           (bs->open_flags & BDRV_O_NOCACHE) ? ", direct" : "",
                           (bs->open_flags & BDRV_O_NO_FLUSH)
                           ? ", ignore flushes" : "");
            if (bs->backing_file[0]) {
                monitor_printf(mon, "    Backing file:     %s (chain depth: "
                               "%d)\n", bs->backing ? bs->backing->filename
                                                    : bs->backing_file,
                               backing_depth(bs));
            }
        }
        return NULL;
    }
    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        if (device && strcmp(device, blk_name(blk)) != 0) {
            continue;
        }
        if (!first) {
            monitor_printf(mon, "\n");
        }
        first = false;
        json_object *info = block_info(blk);
        print_block_info(mon, info, verbose);
        json_object_put(info);
    }
    return NULL;
}

/* ---- Statistics ---- */

static json_object *stats_json(BlockBackend *blk)
{
    BlockAcctStats *st = blk_get_stats(blk);
    json_object *o = json_object_new_object();
    json_add_int(o, "unmap_operations", st->unmap_ops);
    json_add_int(o, "unmap_merged", 0);
    json_add_int(o, "flush_total_time_ns", st->flush_total_ns);
    json_add_int(o, "wr_highest_offset", 0);
    json_add_int(o, "wr_total_time_ns", st->wr_total_ns);
    json_add_int(o, "failed_wr_operations", st->failed_wr_ops);
    json_add_int(o, "failed_rd_operations", st->failed_rd_ops);
    json_add_int(o, "wr_merged", 0);
    json_add_int(o, "wr_bytes", st->wr_bytes);
    json_object_object_add(o, "timed_stats", json_object_new_array());
    json_add_int(o, "failed_unmap_operations", 0);
    json_add_int(o, "failed_flush_operations", 0);
    json_add_bool(o, "account_invalid", true);
    json_add_int(o, "rd_total_time_ns", st->rd_total_ns);
    json_add_int(o, "invalid_unmap_operations", 0);
    json_add_int(o, "flush_operations", st->flush_ops);
    json_add_int(o, "wr_operations", st->wr_ops);
    json_add_int(o, "unmap_bytes", st->unmap_bytes);
    json_add_int(o, "rd_merged", 0);
    json_add_int(o, "rd_bytes", st->rd_bytes);
    json_add_int(o, "unmap_total_time_ns", 0);
    json_add_int(o, "invalid_flush_operations", 0);
    json_add_bool(o, "account_failed", true);
    json_add_int(o, "rd_operations", st->rd_ops);
    json_add_int(o, "invalid_wr_operations", 0);
    json_add_int(o, "invalid_rd_operations", 0);
    int64_t idle = blk_idle_time_ns(blk);
    if (idle > 0) {
        json_add_int(o, "idle_time_ns", idle);
    }
    return o;
}

static json_object *cmd_query_blockstats(Monitor *mon, json_object *args,
                                         Error **errp)
{
    json_object *list = json_object_new_array();
    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        json_object *e = json_object_new_object();
        json_add_str(e, "device", blk_name(blk));
        json_object_object_add(e, "stats", stats_json(blk));
        if (blk_bs(blk)) {
            json_add_str(e, "node-name", blk_bs(blk)->node_name);
        }
        void *dev = blk_get_attached_dev(blk);
        if (dev) {
            json_add_str(e, "qdev", blk_get_attached_dev_id(blk));
        }
        json_object_array_add(list, e);
    }
    return list;
}

static void print_blockstats(Monitor *mon, json_object *result)
{
    size_t n = json_object_array_length(result);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(result, i);
        json_object *st = json_object_object_get(e, "stats");
        json_object *idle;
#define STAT(k) json_object_get_int64(json_object_object_get(st, k))
        monitor_printf(mon, "%s: rd_bytes=%" PRId64 " wr_bytes=%" PRId64
                       " rd_operations=%" PRId64 " wr_operations=%" PRId64
                       " flush_operations=%" PRId64
                       " wr_total_time_ns=%" PRId64
                       " rd_total_time_ns=%" PRId64
                       " flush_total_time_ns=%" PRId64
                       " rd_merged=%" PRId64 " wr_merged=%" PRId64
                       " idle_time_ns=%" PRId64 "\n",
                       json_object_get_string(json_object_object_get(
                                                  e, "device")),
                       STAT("rd_bytes"), STAT("wr_bytes"),
                       STAT("rd_operations"), STAT("wr_operations"),
                       STAT("flush_operations"), STAT("wr_total_time_ns"),
                       STAT("rd_total_time_ns"), STAT("flush_total_time_ns"),
                       STAT("rd_merged"), STAT("wr_merged"),
                       json_object_object_get_ex(st, "idle_time_ns", &idle)
                       ? json_object_get_int64(idle) : (int64_t)0);
#undef STAT
    }
}

/* ---- Media and size ---- */

static json_object *cmd_eject(Monitor *mon, json_object *args, Error **errp)
{
    BlockBackend *blk = find_backend(args, errp);
    if (!blk) {
        return NULL;
    }
    blk_eject(blk, monitor_arg_bool(args, "force", false), errp);
    return NULL;
}

static json_object *change_medium(json_object *args, const char *filename,
                                  const char *format, const char *ro_mode,
                                  Error **errp)
{
    BlockBackend *blk = find_backend(args, errp);
    if (!blk) {
        return NULL;
    }
    bool read_only;
    if (!ro_mode || !strcmp(ro_mode, "retain")) {
        read_only = blk_is_read_only(blk);
    } else if (!strcmp(ro_mode, "read-only")) {
        read_only = true;
    } else if (!strcmp(ro_mode, "read-write")) {
        read_only = false;
    } else {
        error_setg(errp, "Parameter 'read-only-mode' does not accept value "
                   "'%s'", ro_mode);
        return NULL;
    }
    if (format && !bdrv_find_format(format)) {
        error_setg(errp, "Unknown driver '%s'", format);
        return NULL;
    }
    if (!blk_dev_has_removable_media(blk)) {
        error_setg(errp, "Device '%s' is not removable", blk_name(blk));
        return NULL;
    }
    blk_change_medium(blk, filename, format, read_only, errp);
    return NULL;
}

static json_object *cmd_blockdev_change_medium(Monitor *mon,
                                               json_object *args,
                                               Error **errp)
{
    return change_medium(args, monitor_arg_str(args, "filename", ""),
                         monitor_arg_str(args, "format", NULL),
                         monitor_arg_str(args, "read-only-mode", NULL), errp);
}

/* HMP "change device filename [format [read-only-mode]]" */
static json_object *cmd_hmp_change(Monitor *mon, json_object *args,
                                   Error **errp)
{
    const char *device = monitor_arg_str(args, "device", "");
    if (!strcmp(device, "vnc")) {
        error_setg(errp, "change vnc is not supported by emu");
        return NULL;
    }
    return change_medium(args, monitor_arg_str(args, "target", ""),
                         monitor_arg_str(args, "arg", NULL),
                         monitor_arg_str(args, "read-only-mode", NULL), errp);
}

static json_object *cmd_block_resize(Monitor *mon, json_object *args,
                                     Error **errp)
{
    const char *node = monitor_arg_str(args, "node-name", NULL);
    int64_t size = monitor_arg_int(args, "size", -1);
    BlockBackend *blk = NULL;
    if (node && monitor_arg_has(args, "device")) {
        error_setg(errp, "Cannot specify both 'device' and 'node-name'");
        return NULL;
    }
    if (node) {
        for (BlockBackend *b = blk_next(NULL); b; b = blk_next(b)) {
            if (blk_bs(b) && !strcmp(blk_bs(b)->node_name, node)) {
                blk = b;
            }
        }
        if (!blk) {
            error_setg(errp, "Cannot find device='' nor node-name='%s'", node);
            return NULL;
        }
    } else {
        const char *device = monitor_arg_str(args, "device", "");
        blk = blk_by_name(device);
        if (!blk) {
            error_setg(errp, "Cannot find device='%s' nor node-name=''",
                       device);
            return NULL;
        }
    }
    if (size < 0) {
        error_setg(errp, "Parameter 'size' expects a >0 size");
        return NULL;
    }
    if (!blk_is_inserted(blk)) {
        error_setg(errp, "Device '%s' has no medium", blk_name(blk));
        return NULL;
    }
    if (blk_truncate(blk, size, errp) >= 0) {
        blk_dev_resize_cb(blk);
    }
    return NULL;
}

static const MonitorCommand block_commands[] = {
    {
        .qmp_name = "query-block",
        .help = "show the block devices",
        .handler = cmd_query_block,
    }, {
        .hmp_name = "info block",
        .args = "nodes:-n,verbose:-v,device:s?",
        .params = "[-n] [-v] [device]",
        .help = "show info of one block device or all block devices (-n: "
                "show named nodes; -v: show details)",
        .handler = cmd_info_block,
    }, {
        .qmp_name = "query-blockstats",
        .hmp_name = "info blockstats",
        .help = "show block device statistics",
        .handler = cmd_query_blockstats,
        .hmp_print = print_blockstats,
    }, {
        .qmp_name = "eject",
        .args = "device:s?,id:s?,force:b?",
        .help = "eject a removable medium",
        .handler = cmd_eject,
    }, {
        .hmp_name = "eject",
        .args = "force:-f,device:s",
        .params = "[-f] device",
        .help = "eject a removable medium (use -f to force it)",
        .handler = cmd_eject,
    }, {
        .qmp_name = "blockdev-change-medium",
        .args = "device:s?,id:s?,filename:s,format:s?,read-only-mode:s?,"
                "force:b?",
        .help = "change the medium of a removable drive",
        .handler = cmd_blockdev_change_medium,
    }, {
        .hmp_name = "change",
        .args = "device:s,target:s,arg:s?,read-only-mode:s?",
        .params = "device filename [format [read-only-mode]]",
        .help = "change a removable medium, read-only-mode: retain, "
                "read-only or read-write",
        .handler = cmd_hmp_change,
    }, {
        .qmp_name = "block_resize",
        .args = "device:s?,node-name:s?,size:o",
        .help = "resize a block image",
        .handler = cmd_block_resize,
    }, {
        .hmp_name = "block_resize",
        .args = "device:s,size:o",
        .params = "device size",
        .help = "resize a block image",
        .handler = cmd_block_resize,
    }, {
        .handler = NULL,
    },
};

MONITOR_REGISTER_COMMANDS(block_commands)
