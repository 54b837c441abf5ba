/* -drive, -hda..-hdd, -cdrom and -snapshot: command-line drives for the boards. */
#include "emu/osdep.h"
#include "block/block.h"
#include "block/block_int.h"
#include "block/block-internal.h"
#include "hw/qdev.h"

typedef struct DriveInfo {
    BlockBackend *blk;
    BlockInterfaceType type;
    int bus, unit;
    bool is_default_id;
    bool handed_out;            /* drive_get_next_unclaimed returned it */
    char *serial;
    char *optstr;               /* for messages about unclaimed drives */
    struct DriveInfo *next;
} DriveInfo;

static DriveInfo *drives;
static bool global_snapshot;

static const char *const if_name[IF_COUNT] = {
    [IF_NONE] = "none",
    [IF_IDE] = "ide",
    [IF_VIRTIO] = "virtio",
    [IF_FLOPPY] = "floppy",
};

/* Units per bus and buses per interface, as QEMU's pc machine has them */
static const int if_max_devs[IF_COUNT] = {
    [IF_IDE] = 2,
    [IF_FLOPPY] = 2,
};

static const OptDesc drive_opts_desc[] = {
    { "file", OPT_STRING, NULL },
    { "format", OPT_STRING, NULL },
    { "if", OPT_STRING, NULL },
    { "index", OPT_NUMBER, NULL },
    { "bus", OPT_NUMBER, NULL },
    { "unit", OPT_NUMBER, NULL },
    { "media", OPT_STRING, NULL },
    { "id", OPT_STRING, NULL },
    { "cache", OPT_STRING, NULL },
    { "cache.direct", OPT_BOOL, NULL },
    { "cache.no-flush", OPT_BOOL, NULL },
    { "aio", OPT_STRING, NULL },
    { "readonly", OPT_BOOL, NULL },
    { "read-only", OPT_BOOL, NULL },
    { "snapshot", OPT_BOOL, NULL },
    { "discard", OPT_STRING, NULL },
    { "werror", OPT_STRING, NULL },
    { "rerror", OPT_STRING, NULL },
    { "serial", OPT_STRING, NULL },
    { "locking", OPT_STRING, NULL },
    { "file.locking", OPT_STRING, NULL },
    { NULL, OPT_STRING, NULL },
};

static bool is_drive_key(const char *name)
{
    for (const OptDesc *d = drive_opts_desc; d->name; d++) {
        if (strcmp(d->name, name) == 0) {
            return true;
        }
    }
    return false;
}

void drive_set_global_snapshot(bool on)
{
    global_snapshot = on;
}

static DriveInfo *drive_find(BlockInterfaceType type, int bus, int unit)
{
    for (DriveInfo *d = drives; d; d = d->next) {
        if (d->type == type && d->bus == bus && d->unit == unit) {
            return d;
        }
    }
    return NULL;
}

static DriveInfo *drive_of(BlockBackend *blk)
{
    for (DriveInfo *d = drives; d; d = d->next) {
        if (d->blk == blk) {
            return d;
        }
    }
    return NULL;
}

BlockBackend *drive_get(BlockInterfaceType type, int bus, int unit)
{
    DriveInfo *d = drive_find(type, bus, unit);
    return d ? d->blk : NULL;
}

BlockBackend *drive_get_next_unclaimed(BlockInterfaceType type)
{
    /* in the order of their index, as QEMU creates devices for them */
    DriveInfo *best = NULL;
    for (DriveInfo *d = drives; d; d = d->next) {
        if (d->type != type || d->handed_out || blk_get_attached_dev(d->blk)) {
            continue;
        }
        if (!best || d->bus < best->bus ||
            (d->bus == best->bus && d->unit < best->unit)) {
            best = d;
        }
    }
    if (best) {
        best->handed_out = true;
        return best->blk;
    }
    return NULL;
}

const char *drive_get_serial(BlockBackend *blk)
{
    DriveInfo *d = drive_of(blk);
    return d ? d->serial : NULL;
}

/*
 * -drive if=virtio: a virtio-blk-pci per drive, in index order, on the
 * machine's PCI bus (QEMU creates them as if given with -device).
 */
static bool drive_create_virtio_devices(Error **errp)
{
    BlockBackend *blk;

    if (!bus_find_by_type(BUS_TYPE_PCI) ||
        !device_find_type("virtio-blk-pci")) {
        return true;    /* reported as unsupported below */
    }
    while ((blk = drive_get_next_unclaimed(IF_VIRTIO))) {
        DriveInfo *d = drive_of(blk);
        DeviceState *dev = device_new("virtio-blk-pci", errp);

        if (!dev) {
            return false;
        }
        dev->user_created = true;
        if (!device_set_prop(dev, "drive", blk_name(blk), errp) ||
            (d && d->serial &&
             !device_set_prop(dev, "serial", d->serial, errp)) ||
            !device_realize(dev, NULL, errp)) {
            device_destroy(dev);
            return false;
        }
    }
    return true;
}

bool drive_check_orphaned(Error **errp)
{
    if (!drive_create_virtio_devices(errp)) {
        return false;
    }
    for (DriveInfo *d = drives; d; d = d->next) {
        if (d->type == IF_NONE || blk_get_attached_dev(d->blk)) {
            continue;
        }
        error_setg(errp, "-drive %s: machine type does not support "
                   "if=%s,bus=%d,unit=%d", d->optstr, if_name[d->type],
                   d->bus, d->unit);
        return false;
    }
    return true;
}

/* cache=...: the open flags and whether the guest sees a write cache */
static bool parse_cache_mode(const char *mode, int *flags, Error **errp)
{
    *flags &= ~(BDRV_O_NOCACHE | BDRV_O_NO_FLUSH | BDRV_O_WRITETHROUGH);
    if (!strcmp(mode, "writeback")) {
        /* nothing */
    } else if (!strcmp(mode, "none") || !strcmp(mode, "off")) {
        *flags |= BDRV_O_NOCACHE;
    } else if (!strcmp(mode, "writethrough")) {
        *flags |= BDRV_O_WRITETHROUGH;
    } else if (!strcmp(mode, "directsync")) {
        *flags |= BDRV_O_NOCACHE | BDRV_O_WRITETHROUGH;
    } else if (!strcmp(mode, "unsafe")) {
        *flags |= BDRV_O_NO_FLUSH;
    } else {
        error_setg(errp, "invalid cache option");
        return false;
    }
    return true;
}

static bool parse_on_error(const char *s, bool is_read, BlockdevOnError *out,
                           Error **errp)
{
    if (!strcmp(s, "report")) {
        *out = BLOCKDEV_ON_ERROR_REPORT;
    } else if (!strcmp(s, "ignore")) {
        *out = BLOCKDEV_ON_ERROR_IGNORE;
    } else if (!strcmp(s, "stop")) {
        *out = BLOCKDEV_ON_ERROR_STOP;
    } else if (!strcmp(s, "enospc") && !is_read) {
        *out = BLOCKDEV_ON_ERROR_ENOSPC;
    } else {
        error_setg(errp, "'%s' invalid %s error action", s,
                   is_read ? "read" : "write");
        return false;
    }
    return true;
}

static bool get_opt_bool(EmuOpts *opts, const char *name, const char *shown,
                         bool def, Error **errp)
{
    const char *v = opts_get(opts, name);
    bool b;
    if (!v) {
        return def;
    }
    if (!parse_bool(v, &b)) {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off'", shown);
        return def;
    }
    return b;
}

static bool get_opt_int(EmuOpts *opts, const char *name, int *out,
                        Error **errp)
{
    const char *v = opts_get(opts, name);
    uint64_t n;
    if (!v) {
        return true;
    }
    if (!parse_uint(v, &n) || n > INT_MAX) {
        error_setg(errp, "Parameter '%s' expects a non-negative number "
                   "below 2^31", name);
        return false;
    }
    *out = (int)n;
    return true;
}

/* Every drive option the user gave, parsed */
typedef struct DriveOptions {
    const char *file, *format, *id, *serial;
    BlockInterfaceType type;
    bool cdrom, read_only, snapshot;
    int flags;
    int index, bus, unit;
    BlockdevOnError on_read, on_write;
} DriveOptions;

static bool drive_parse(EmuOpts *opts, BlockInterfaceType default_if,
                        DriveOptions *o, Error **errp)
{
    Error *err = NULL;
    const char *v;
    memset(o, 0, sizeof(*o));
    o->type = default_if;
    o->index = o->bus = o->unit = -1;
    o->on_read = BLOCKDEV_ON_ERROR_REPORT;
    o->on_write = BLOCKDEV_ON_ERROR_ENOSPC;

    o->file = opts_get(opts, "file");
    o->format = opts_get(opts, "format");
    if (o->format && is_help_option(o->format)) {
        error_setg(errp, "Supported formats: raw qcow2");
        return false;
    }
    if (o->format && !bdrv_find_format(o->format)) {
        error_setg(errp, "Unknown driver '%s'", o->format);
        return false;
    }
    if ((v = opts_get(opts, "if"))) {
        int t;
        for (t = 0; t < IF_COUNT; t++) {
            if (!strcmp(v, if_name[t])) {
                break;
            }
        }
        if (t == IF_COUNT) {
            if (!strcmp(v, "scsi") || !strcmp(v, "sd") ||
                !strcmp(v, "pflash") || !strcmp(v, "mtd") ||
                !strcmp(v, "xen")) {
                error_setg(errp, "if=%s is not supported by emu (use ide, "
                           "virtio, floppy or none)", v);
            } else {
                error_setg(errp, "unsupported bus type '%s'", v);
            }
            return false;
        }
        o->type = t;
    }
    if ((v = opts_get(opts, "media"))) {
        if (!strcmp(v, "cdrom")) {
            o->cdrom = true;
        } else if (strcmp(v, "disk") != 0) {
            error_setg(errp, "'%s' invalid media", v);
            return false;
        }
    }
    if ((v = opts_get(opts, "id")) && !id_wellformed(v)) {
        error_setg(errp, "Parameter 'id' expects an identifier\n"
                   "Identifiers consist of letters, digits, '-', '.', '_', "
                   "starting with a letter.");
        return false;
    }
    o->id = v;
    if (o->id && blk_by_name(o->id)) {
        error_setg(errp, "Duplicate ID '%s' for drive", o->id);
        return false;
    }

    o->flags = BDRV_O_RDWR;
    if ((v = opts_get(opts, "cache")) && !parse_cache_mode(v, &o->flags, errp)) {
        return false;
    }
    if (opts_has(opts, "cache.direct")) {
        bool b = get_opt_bool(opts, "cache.direct", "cache.direct", false,
                              &err);
        if (err) {
            error_propagate(errp, err);
            return false;
        }
        o->flags = b ? o->flags | BDRV_O_NOCACHE : o->flags & ~BDRV_O_NOCACHE;
    }
    if (opts_has(opts, "cache.no-flush")) {
        bool b = get_opt_bool(opts, "cache.no-flush", "cache.no-flush", false,
                              &err);
        if (err) {
            error_propagate(errp, err);
            return false;
        }
        o->flags = b ? o->flags | BDRV_O_NO_FLUSH
                     : o->flags & ~BDRV_O_NO_FLUSH;
    }
    if ((v = opts_get(opts, "aio"))) {
        /* io_uring and native run on the thread pool (docs/user/block.md) */
        if (!strcmp(v, "native")) {
            if (!(o->flags & BDRV_O_NOCACHE)) {
                error_setg(errp, "aio=native was specified, but it requires "
                           "cache.direct=on, which was not specified.");
                return false;
            }
        } else if (strcmp(v, "threads") != 0 && strcmp(v, "io_uring") != 0) {
            error_setg(errp, "invalid aio option");
            return false;
        }
    }
    const char *lock = opts_get(opts, "file.locking");
    if (!lock) {
        lock = opts_get(opts, "locking");
    }
    if (lock) {
        bool b;
        if (!strcmp(lock, "auto")) {
            b = true;
        } else if (!parse_bool(lock, &b)) {
            error_setg(errp, "Parameter 'locking' does not accept value '%s'",
                       lock);
            return false;
        }
        if (!b) {
            o->flags |= BDRV_O_NO_LOCK;
        }
    }
    o->read_only = get_opt_bool(opts, "readonly", "read-only", false, &err);
    if (!err && opts_has(opts, "read-only")) {
        o->read_only = get_opt_bool(opts, "read-only", "read-only", false,
                                    &err);
    }
    if (!err) {
        o->snapshot = get_opt_bool(opts, "snapshot", "snapshot",
                                   global_snapshot, &err);
    }
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    if ((v = opts_get(opts, "discard"))) {
        if (!strcmp(v, "unmap") || !strcmp(v, "on")) {
            o->flags |= BDRV_O_UNMAP;
        } else if (strcmp(v, "ignore") != 0 && strcmp(v, "off") != 0) {
            error_setg(errp, "Invalid discard option");
            return false;
        }
    }
    if ((v = opts_get(opts, "werror")) &&
        !parse_on_error(v, false, &o->on_write, errp)) {
        return false;
    }
    if ((v = opts_get(opts, "rerror")) &&
        !parse_on_error(v, true, &o->on_read, errp)) {
        return false;
    }
    o->serial = opts_get(opts, "serial");
    if (!get_opt_int(opts, "index", &o->index, errp) ||
        !get_opt_int(opts, "bus", &o->bus, errp) ||
        !get_opt_int(opts, "unit", &o->unit, errp)) {
        return false;
    }
    if (o->cdrom || o->read_only) {
        o->flags &= ~BDRV_O_RDWR;
        o->read_only = true;
    }
    if (o->snapshot && !o->read_only) {
        o->flags |= BDRV_O_SNAPSHOT;
    }
    return true;
}

/* Fill in bus and unit as QEMU does: index, or the first free slot */
static bool drive_place(DriveOptions *o, Error **errp)
{
    int max_devs = if_max_devs[o->type];
    if (o->index >= 0) {
        if (o->bus >= 0 || o->unit >= 0) {
            error_setg(errp, "index cannot be used with bus and unit");
            return false;
        }
        o->bus = max_devs ? o->index / max_devs : 0;
        o->unit = max_devs ? o->index % max_devs : o->index;
    }
    if (o->bus < 0) {
        o->bus = 0;
    }
    if (max_devs && o->unit >= max_devs) {
        error_setg(errp, "unit %d too big (max is %d)", o->unit, max_devs - 1);
        return false;
    }
    if (o->unit < 0) {
        o->unit = 0;
        while (drive_find(o->type, o->bus, o->unit)) {
            o->unit++;
            if (max_devs && o->unit >= max_devs) {
                o->unit = 0;
                o->bus++;
            }
        }
    }
    if (drive_find(o->type, o->bus, o->unit)) {
        error_setg(errp, "drive with bus=%d, unit=%d (index=%d) exists",
                   o->bus, o->unit,
                   max_devs ? o->bus * max_devs + o->unit : o->unit);
        return false;
    }
    return true;
}

static char *drive_default_id(const DriveOptions *o)
{
    int max_devs = if_max_devs[o->type];
    switch (o->type) {
    case IF_IDE:
        return emu_asprintf("ide%d-%s%d", o->bus, o->cdrom ? "cd" : "hd",
                            o->unit);
    case IF_NONE:
    case IF_VIRTIO:
    case IF_FLOPPY:
    default:
        if (max_devs) {
            return emu_asprintf("%s%d", if_name[o->type],
                                o->bus * max_devs + o->unit);
        }
        return emu_asprintf("%s%d", if_name[o->type], o->unit);
    }
}

BlockBackend *drive_new(const char *optstr, BlockInterfaceType default_if,
                        Error **errp)
{
    EmuOpts *opts = opts_parse(optstr, "file", false, errp);
    if (!opts) {
        return NULL;
    }
    DriveOptions o;
    BlockBackend *blk = NULL;
    EmuOpts *drv_opts = NULL;
    if (!drive_parse(opts, default_if, &o, errp) || !drive_place(&o, errp)) {
        goto out;
    }
    /* keys the drive does not know go to the format driver */
    drv_opts = opts_new();
    for (EmuOpt *e = opts->head; e; e = e->next) {
        if (!is_drive_key(e->name)) {
            opts_set(drv_opts, e->name, e->value);
        }
    }
    if (!o.file || !*o.file) {
        if (o.format) {
            error_setg(errp, "A block device must be specified for \"file\"");
            goto out;
        }
        if (drv_opts->head) {
            error_setg(errp, "Block format 'raw' does not support the option "
                       "'%s'", drv_opts->head->name);
            goto out;
        }
        blk = blk_new_empty(o.flags);
    } else {
        BlockDriverState *bs = blk_open_image(o.file, o.format, drv_opts,
                                              o.flags, errp);
        if (!bs) {
            goto out;
        }
        if (drv_opts->head) {
            const BlockDriverState *fmt_bs =
                (o.flags & BDRV_O_SNAPSHOT) && bs->backing ? bs->backing : bs;
            error_setg(errp, "Block format '%s' does not support the option "
                       "'%s'", fmt_bs->drv->format_name,
                       drv_opts->head->name);
            bdrv_unref(bs);
            goto out;
        }
        blk = blk_new_empty(o.flags);
        blk_insert_bs(blk, bs);
    }
    char *id = o.id ? emu_strdup(o.id) : drive_default_id(&o);
    blk_set_name(blk, id);
    free(id);
    blk_set_interface(blk, o.type, o.cdrom);
    blk_set_on_error(blk, o.on_read, o.on_write);

    DriveInfo *d = emu_new0(DriveInfo, 1);
    d->blk = blk;
    d->type = o.type;
    d->bus = o.bus;
    d->unit = o.unit;
    d->is_default_id = !o.id;
    d->serial = o.serial ? emu_strdup(o.serial) : NULL;
    d->optstr = emu_strdup(optstr);
    DriveInfo **pp = &drives;
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = d;
out:
    opts_free(drv_opts);
    opts_free(opts);
    return blk;
}

BlockBackend *drive_add_legacy(const char *file, int index, bool cdrom,
                               Error **errp)
{
    /* a comma in the file name must stay part of it */
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "file=");
    for (const char *p = file; *p; p++) {
        strbuf_append_len(&sb, p, 1);
        if (*p == ',') {
            strbuf_append(&sb, ",");
        }
    }
    strbuf_printf(&sb, ",index=%d%s", index, cdrom ? ",media=cdrom" : "");
    BlockBackend *blk = drive_new(sb.str, IF_IDE, errp);
    strbuf_free(&sb);
    return blk;
}

/* ---- qdev: -device ...,drive=ID ---- */

static void *drive_lookup_for_qdev(const char *id, Error **errp)
{
    BlockBackend *blk = blk_by_name(id);
    if (blk && blk_get_attached_dev(blk)) {
        error_setg(errp, "Drive '%s' is already in use by another device",
                   id);
        return NULL;
    }
    return blk;
}

static const char *drive_name_for_qdev(void *backend)
{
    return blk_name(backend);
}

static void __attribute__((constructor)) drive_install_qdev_hooks(void)
{
    qdev_drive_lookup = drive_lookup_for_qdev;
    qdev_drive_name = drive_name_for_qdev;
}
