/* Device state descriptions: saving and loading VMStateDescription tables to a versioned big-endian byte stream. */
#include "emu/osdep.h"
#include "migration/vmstate.h"
#include "hw/qdev.h"

#define VMSTATE_DEVICES_MAGIC   0x454d5544u     /* "EMUD" */
#define VMSTATE_DEVICES_VERSION 1
#define SECTION_END     0
#define SECTION_DEVICE  1

/* ------------------------------------------------------------------ */
/* Byte stream                                                         */
/* ------------------------------------------------------------------ */

void vmstream_init(VMStream *s)
{
    memset(s, 0, sizeof(*s));
}

void vmstream_init_read(VMStream *s, const uint8_t *buf, size_t len)
{
    memset(s, 0, sizeof(*s));
    /* borrowed: cap stays 0 so nothing writes or frees it */
    s->buf = (uint8_t *)buf;
    s->len = len;
}

void vmstream_free(VMStream *s)
{
    if (s->cap) {
        free(s->buf);
    }
    memset(s, 0, sizeof(*s));
}

void vmstream_put_buffer(VMStream *s, const void *buf, size_t len)
{
    if (len == 0) {
        return;
    }
    if (!s->cap && s->buf) {
        /* a read stream cannot be written */
        s->error = true;
        return;
    }
    if (s->len + len > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + len) {
            cap *= 2;
        }
        s->buf = emu_realloc(s->buf, cap);
        s->cap = cap;
    }
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
}

void vmstream_put_u8(VMStream *s, uint8_t v)
{
    vmstream_put_buffer(s, &v, 1);
}

void vmstream_put_be16(VMStream *s, uint16_t v)
{
    uint8_t b[2] = { v >> 8, v };
    vmstream_put_buffer(s, b, sizeof(b));
}

void vmstream_put_be32(VMStream *s, uint32_t v)
{
    uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };
    vmstream_put_buffer(s, b, sizeof(b));
}

void vmstream_put_be64(VMStream *s, uint64_t v)
{
    vmstream_put_be32(s, v >> 32);
    vmstream_put_be32(s, (uint32_t)v);
}

void vmstream_put_string(VMStream *s, const char *str)
{
    size_t len = strlen(str);

    if (len > UINT16_MAX) {
        s->error = true;
        return;
    }
    vmstream_put_be16(s, (uint16_t)len);
    vmstream_put_buffer(s, str, len);
}

bool vmstream_get_buffer(VMStream *s, void *buf, size_t len)
{
    if (s->error || s->pos > s->len || len > s->len - s->pos) {
        s->error = true;
        memset(buf, 0, len);
        return false;
    }
    memcpy(buf, s->buf + s->pos, len);
    s->pos += len;
    return true;
}

uint8_t vmstream_get_u8(VMStream *s)
{
    uint8_t b;
    vmstream_get_buffer(s, &b, 1);
    return b;
}

uint16_t vmstream_get_be16(VMStream *s)
{
    uint8_t b[2];
    vmstream_get_buffer(s, b, sizeof(b));
    return (uint16_t)(b[0] << 8 | b[1]);
}

uint32_t vmstream_get_be32(VMStream *s)
{
    uint8_t b[4];
    vmstream_get_buffer(s, b, sizeof(b));
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
           (uint32_t)b[2] << 8 | b[3];
}

uint64_t vmstream_get_be64(VMStream *s)
{
    uint64_t hi = vmstream_get_be32(s);
    return hi << 32 | vmstream_get_be32(s);
}

char *vmstream_get_string(VMStream *s)
{
    uint16_t len = vmstream_get_be16(s);
    char *str;

    if (s->error) {
        return NULL;
    }
    str = emu_malloc((size_t)len + 1);
    if (!vmstream_get_buffer(s, str, len)) {
        free(str);
        return NULL;
    }
    str[len] = '\0';
    return str;
}

/* ------------------------------------------------------------------ */
/* One description                                                     */
/* ------------------------------------------------------------------ */

static size_t vmstate_scalar_size(VMStateFieldType type)
{
    switch (type) {
    case VMS_BOOL: case VMS_UINT8: case VMS_INT8:   return 1;
    case VMS_UINT16: case VMS_INT16:                return 2;
    case VMS_UINT32: case VMS_INT32:                return 4;
    case VMS_UINT64: case VMS_INT64:                return 8;
    default:                                        return 0;
    }
}

/* Elements in the field: arrays give num, a scalar may leave it 0 */
static unsigned vmstate_field_count(const VMStateField *f)
{
    return f->num ? f->num : 1;
}

static void vmstate_put_scalar(VMStream *s, VMStateFieldType type,
                               const void *p)
{
    switch (type) {
    case VMS_BOOL:   vmstream_put_u8(s, *(const bool *)p ? 1 : 0); break;
    case VMS_UINT8:
    case VMS_INT8:   vmstream_put_u8(s, *(const uint8_t *)p); break;
    case VMS_UINT16:
    case VMS_INT16:  vmstream_put_be16(s, *(const uint16_t *)p); break;
    case VMS_UINT32:
    case VMS_INT32:  vmstream_put_be32(s, *(const uint32_t *)p); break;
    case VMS_UINT64:
    case VMS_INT64:  vmstream_put_be64(s, *(const uint64_t *)p); break;
    default:
        abort();
    }
}

/* false on a malformed value (a bool that is neither 0 nor 1) */
static bool vmstate_get_scalar(VMStream *s, VMStateFieldType type, void *p)
{
    switch (type) {
    case VMS_BOOL: {
        uint8_t b = vmstream_get_u8(s);
        if (b > 1) {
            return false;
        }
        *(bool *)p = b;
        break;
    }
    case VMS_UINT8:
    case VMS_INT8:   *(uint8_t *)p = vmstream_get_u8(s); break;
    case VMS_UINT16:
    case VMS_INT16:  *(uint16_t *)p = vmstream_get_be16(s); break;
    case VMS_UINT32:
    case VMS_INT32:  *(uint32_t *)p = vmstream_get_be32(s); break;
    case VMS_UINT64:
    case VMS_INT64:  *(uint64_t *)p = vmstream_get_be64(s); break;
    default:
        abort();
    }
    return true;
}

static int vmstate_save_fields(VMStream *s, const VMStateDescription *vmsd,
                               void *opaque);

static int vmstate_save_field(VMStream *s, const VMStateField *f,
                              void *opaque)
{
    uint8_t *base = (uint8_t *)opaque + f->offset;
    unsigned i, n = vmstate_field_count(f);
    size_t sz;
    int ret;

    switch (f->type) {
    case VMS_BUFFER:
        vmstream_put_buffer(s, base, f->num);
        return 0;
    case VMS_STRUCT:
        for (i = 0; i < n; i++) {
            vmstream_put_be32(s, (uint32_t)f->vmsd->version_id);
            ret = vmstate_save_fields(s, f->vmsd, base + i * f->elem_size);
            if (ret < 0) {
                return ret;
            }
        }
        return 0;
    default:
        sz = vmstate_scalar_size(f->type);
        if (!sz) {
            return -EINVAL;
        }
        for (i = 0; i < n; i++) {
            vmstate_put_scalar(s, f->type, base + i * sz);
        }
        return 0;
    }
}

/* Fields only (the caller wrote the version) */
static int vmstate_save_fields(VMStream *s, const VMStateDescription *vmsd,
                               void *opaque)
{
    const VMStateField *f;
    int ret;

    if (vmsd->pre_save) {
        ret = vmsd->pre_save(opaque);
        if (ret < 0) {
            return ret;
        }
    }
    for (f = vmsd->fields; f && f->type != VMS_END; f++) {
        if (f->version_id > vmsd->version_id) {
            continue;
        }
        ret = vmstate_save_field(s, f, opaque);
        if (ret < 0) {
            return ret;
        }
    }
    return s->error ? -EIO : 0;
}

int vmstate_save(VMStream *s, const VMStateDescription *vmsd, void *opaque)
{
    vmstream_put_be32(s, (uint32_t)vmsd->version_id);
    return vmstate_save_fields(s, vmsd, opaque);
}

static int vmstate_load_body(VMStream *s, const VMStateDescription *vmsd,
                             void *opaque, int version, Error **errp);

static int vmstate_load_field(VMStream *s, const VMStateDescription *vmsd,
                              const VMStateField *f, void *opaque,
                              Error **errp)
{
    uint8_t *base = (uint8_t *)opaque + f->offset;
    unsigned i, n = vmstate_field_count(f);
    size_t sz;
    int ret;

    switch (f->type) {
    case VMS_BUFFER:
        vmstream_get_buffer(s, base, f->num);
        break;
    case VMS_STRUCT:
        for (i = 0; i < n && !s->error; i++) {
            ret = vmstate_load(s, f->vmsd, base + i * f->elem_size, errp);
            if (ret < 0) {
                error_prepend(errp, "%s.%s: ", vmsd->name, f->name);
                return ret;
            }
        }
        break;
    default:
        sz = vmstate_scalar_size(f->type);
        if (!sz) {
            error_setg(errp, "vmstate '%s': field '%s' has an unknown type",
                       vmsd->name, f->name);
            return -EINVAL;
        }
        for (i = 0; i < n; i++) {
            if (!vmstate_get_scalar(s, f->type, base + i * sz)) {
                error_setg(errp, "vmstate '%s': field '%s' holds an invalid "
                           "bool", vmsd->name, f->name);
                return -EINVAL;
            }
        }
        break;
    }
    if (s->error) {
        error_setg(errp, "vmstate '%s': stream truncated in field '%s'",
                   vmsd->name, f->name);
        return -EIO;
    }
    return 0;
}

static int vmstate_load_body(VMStream *s, const VMStateDescription *vmsd,
                             void *opaque, int version, Error **errp)
{
    const VMStateField *f;
    int ret;

    if (version > vmsd->version_id) {
        error_setg(errp, "vmstate '%s': stream version %d is newer than the "
                   "supported version %d", vmsd->name, version,
                   vmsd->version_id);
        return -EINVAL;
    }
    if (version < vmsd->minimum_version_id) {
        error_setg(errp, "vmstate '%s': stream version %d is older than the "
                   "minimum supported version %d", vmsd->name, version,
                   vmsd->minimum_version_id);
        return -EINVAL;
    }
    for (f = vmsd->fields; f && f->type != VMS_END; f++) {
        /* fields added after the stream's version are not in it */
        if (f->version_id > version) {
            continue;
        }
        ret = vmstate_load_field(s, vmsd, f, opaque, errp);
        if (ret < 0) {
            return ret;
        }
    }
    if (vmsd->post_load) {
        ret = vmsd->post_load(opaque, version);
        if (ret < 0) {
            error_setg(errp, "vmstate '%s': post_load failed: %s",
                       vmsd->name, strerror(-ret));
            return ret;
        }
    }
    return 0;
}

int vmstate_load(VMStream *s, const VMStateDescription *vmsd, void *opaque,
                 Error **errp)
{
    uint32_t version = vmstream_get_be32(s);

    if (s->error) {
        error_setg(errp, "vmstate '%s': stream truncated before the version",
                   vmsd->name);
        return -EIO;
    }
    if (version > INT32_MAX) {
        error_setg(errp, "vmstate '%s': invalid version %" PRIu32,
                   vmsd->name, version);
        return -EINVAL;
    }
    return vmstate_load_body(s, vmsd, opaque, (int)version, errp);
}

/* ------------------------------------------------------------------ */
/* All devices                                                         */
/* ------------------------------------------------------------------ */

typedef struct SaveDevicesCtx {
    VMStream *s;
    Error **errp;
    int ret;
} SaveDevicesCtx;

static int save_device_section(DeviceState *dev, void *opaque)
{
    SaveDevicesCtx *ctx = opaque;
    const VMStateDescription *vmsd = dev->info->vmsd;
    VMStream payload;
    int ret;

    if (!dev->realized || !vmsd) {
        return 0;
    }
    vmstream_init(&payload);
    ret = vmstate_save(&payload, vmsd, dev);
    if (ret < 0 || payload.error || payload.len > UINT32_MAX) {
        error_setg(ctx->errp, "Failed to save state of '%s' (%s)",
                   device_path(dev), vmsd->name);
        vmstream_free(&payload);
        ctx->ret = ret < 0 ? ret : -EIO;
        return 1;
    }
    vmstream_put_u8(ctx->s, SECTION_DEVICE);
    vmstream_put_string(ctx->s, device_path(dev));
    vmstream_put_string(ctx->s, vmsd->name);
    vmstream_put_be32(ctx->s, (uint32_t)payload.len);
    vmstream_put_buffer(ctx->s, payload.buf, payload.len);
    vmstream_free(&payload);
    return 0;
}

int vmstate_save_devices(VMStream *s, Error **errp)
{
    SaveDevicesCtx ctx = { s, errp, 0 };

    vmstream_put_be32(s, VMSTATE_DEVICES_MAGIC);
    vmstream_put_be32(s, VMSTATE_DEVICES_VERSION);
    device_walk(save_device_section, &ctx);
    if (ctx.ret < 0) {
        return ctx.ret;
    }
    vmstream_put_u8(s, SECTION_END);
    if (s->error) {
        error_setg(errp, "Failed to write the device state stream");
        return -EIO;
    }
    return 0;
}

static int load_device_section(VMStream *s, Error **errp)
{
    char *path = vmstream_get_string(s);
    char *name = vmstream_get_string(s);
    uint32_t len = vmstream_get_be32(s);
    DeviceState *dev;
    VMStream payload;
    int ret = -EINVAL;

    if (s->error || len > s->len - s->pos) {
        error_setg(errp, "Device state stream truncated in section '%s'",
                   path ? path : "?");
        ret = -EIO;
        goto out;
    }
    dev = device_find_path(path);
    if (!dev || !dev->realized || path[0] != '/') {
        error_setg(errp, "Unknown savevm section or instance '%s'", path);
        goto out;
    }
    if (!dev->info->vmsd || strcmp(dev->info->vmsd->name, name) != 0) {
        error_setg(errp, "Section '%s' holds '%s' state but the device "
                   "there is '%s'", path, name, dev->info->name);
        goto out;
    }
    vmstream_init_read(&payload, s->buf + s->pos, len);
    s->pos += len;
    ret = vmstate_load(&payload, dev->info->vmsd, dev, errp);
    if (ret < 0) {
        error_prepend(errp, "Section '%s': ", path);
    } else if (payload.pos != payload.len) {
        error_setg(errp, "Section '%s': %zu unexpected trailing bytes", path,
                   payload.len - payload.pos);
        ret = -EINVAL;
    }
    vmstream_free(&payload);
out:
    free(path);
    free(name);
    return ret;
}

int vmstate_load_devices(VMStream *s, Error **errp)
{
    uint32_t magic = vmstream_get_be32(s);
    uint32_t version = vmstream_get_be32(s);

    if (s->error) {
        error_setg(errp, "Device state stream truncated in its header");
        return -EIO;
    }
    if (magic != VMSTATE_DEVICES_MAGIC) {
        error_setg(errp, "Not a device state stream (bad magic 0x%08" PRIx32
                   ")", magic);
        return -EINVAL;
    }
    if (version != VMSTATE_DEVICES_VERSION) {
        error_setg(errp, "Unsupported device state stream version %" PRIu32,
                   version);
        return -EINVAL;
    }
    for (;;) {
        uint8_t tag = vmstream_get_u8(s);
        int ret;

        if (s->error) {
            error_setg(errp, "Device state stream truncated (no end marker)");
            return -EIO;
        }
        if (tag == SECTION_END) {
            return 0;
        }
        if (tag != SECTION_DEVICE) {
            error_setg(errp, "Unknown section type %u in device state stream",
                       tag);
            return -EINVAL;
        }
        ret = load_device_section(s, errp);
        if (ret < 0) {
            return ret;
        }
    }
}
