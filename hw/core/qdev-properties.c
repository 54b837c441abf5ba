/* Typed device properties: defaults, parsing from strings, printing, -global, "-device help" and "-device NAME,help". */
#include "emu/osdep.h"
#include "hw/qdev.h"
#include "chardev/char.h"
#include <ctype.h>
#include <strings.h>

void *(*qdev_drive_lookup)(const char *id, Error **errp);
void *(*qdev_netdev_lookup)(const char *id, Error **errp);
const char *(*qdev_drive_name)(void *backend);
const char *(*qdev_netdev_name)(void *backend);

static void *prop_ptr(DeviceState *dev, const Property *prop)
{
    return (char *)dev + prop->offset;
}

/* ------------------------------------------------------------------ */
/* Lookup and iteration                                                */
/* ------------------------------------------------------------------ */

static const Property *prop_in_table(const Property *table, const char *name)
{
    for (; table && table->name; table++) {
        if (strcmp(table->name, name) == 0) {
            return table;
        }
    }
    return NULL;
}

const Property *device_find_prop(const DeviceInfo *info, const char *name)
{
    const Property *prop;

    if (!info || !name) {
        return NULL;
    }
    prop = prop_in_table(info->props, name);
    return prop ? prop : prop_in_table(info->parent_props, name);
}

/*
 * Visit the device's own properties, then its bus parent's (as QEMU lists
 * subclass properties first); an own property hides a parent one of the
 * same name.
 */
static void foreach_prop(const DeviceInfo *info,
                         void (*fn)(const Property *prop, void *opaque),
                         void *opaque)
{
    const Property *prop;

    for (prop = info->props; prop && prop->name; prop++) {
        fn(prop, opaque);
    }
    for (prop = info->parent_props; prop && prop->name; prop++) {
        if (!prop_in_table(info->props, prop->name)) {
            fn(prop, opaque);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Raw access                                                          */
/* ------------------------------------------------------------------ */

static bool prop_is_signed(const Property *prop)
{
    return prop->type == PROP_INT32 || prop->type == PROP_INT64;
}

static bool prop_is_scalar(const Property *prop)
{
    switch (prop->type) {
    case PROP_BOOL: case PROP_UINT8: case PROP_UINT16: case PROP_UINT32:
    case PROP_UINT64: case PROP_INT32: case PROP_INT64: case PROP_SIZE:
    case PROP_ENUM:
        return true;
    default:
        return false;
    }
}

/* Store an integer-like value (signed ones arrive as two's complement) */
static void prop_store_scalar(DeviceState *dev, const Property *prop,
                              uint64_t v)
{
    void *p = prop_ptr(dev, prop);

    switch (prop->type) {
    case PROP_BOOL:   *(bool *)p = v != 0; break;
    case PROP_UINT8:  *(uint8_t *)p = (uint8_t)v; break;
    case PROP_UINT16: *(uint16_t *)p = (uint16_t)v; break;
    case PROP_UINT32: *(uint32_t *)p = (uint32_t)v; break;
    case PROP_UINT64:
    case PROP_SIZE:   *(uint64_t *)p = v; break;
    case PROP_INT32:  *(int32_t *)p = (int32_t)(int64_t)v; break;
    case PROP_INT64:  *(int64_t *)p = (int64_t)v; break;
    case PROP_ENUM:   *(int *)p = (int)v; break;
    default:
        abort();
    }
}

static uint64_t prop_load_scalar(DeviceState *dev, const Property *prop)
{
    void *p = prop_ptr(dev, prop);

    switch (prop->type) {
    case PROP_BOOL:   return *(bool *)p;
    case PROP_UINT8:  return *(uint8_t *)p;
    case PROP_UINT16: return *(uint16_t *)p;
    case PROP_UINT32: return *(uint32_t *)p;
    case PROP_UINT64:
    case PROP_SIZE:   return *(uint64_t *)p;
    case PROP_INT32:  return (uint64_t)(int64_t)*(int32_t *)p;
    case PROP_INT64:  return (uint64_t)*(int64_t *)p;
    case PROP_ENUM:   return (uint64_t)(int64_t)*(int *)p;
    default:
        abort();
    }
}

static unsigned enum_count(const Property *prop)
{
    unsigned n = 0;

    while (prop->enum_names && prop->enum_names[n]) {
        n++;
    }
    return n;
}

static const char *enum_name(const Property *prop, uint64_t v)
{
    return v < enum_count(prop) ? prop->enum_names[v] : NULL;
}

/* Unsigned range of the unsigned integer types; [min,max] of the signed */
static uint64_t prop_umax(const Property *prop)
{
    switch (prop->type) {
    case PROP_UINT8:  return UINT8_MAX;
    case PROP_UINT16: return UINT16_MAX;
    case PROP_UINT32: return UINT32_MAX;
    default:          return UINT64_MAX;
    }
}

static int64_t prop_smin(const Property *prop)
{
    return prop->type == PROP_INT32 ? INT32_MIN : INT64_MIN;
}

static int64_t prop_smax(const Property *prop)
{
    return prop->type == PROP_INT32 ? INT32_MAX : INT64_MAX;
}

/* ------------------------------------------------------------------ */
/* Defaults and release                                                */
/* ------------------------------------------------------------------ */

static bool parse_mac(const char *str, MACAddr *mac)
{
    int i;

    for (i = 0; i < 6; i++) {
        char *end;
        unsigned long byte;

        if (!isxdigit((unsigned char)str[0]) ||
            !isxdigit((unsigned char)str[1])) {
            return false;
        }
        byte = strtoul(str, &end, 16);
        if (end != str + 2) {
            return false;
        }
        mac->a[i] = (uint8_t)byte;
        str += 2;
        if (i < 5) {
            if (*str != ':' && *str != '-') {
                return false;
            }
            str++;
        }
    }
    return *str == '\0';
}

static void prop_set_default(const Property *prop, void *opaque)
{
    DeviceState *dev = opaque;

    if (prop_is_scalar(prop)) {
        if (prop->set_default) {
            prop_store_scalar(dev, prop, prop->defval_u);
        }
    } else if (prop->type == PROP_STRING) {
        char **p = prop_ptr(dev, prop);
        *p = prop->defval_str ? emu_strdup(prop->defval_str) : NULL;
    } else if (prop->type == PROP_MACADDR && prop->defval_str) {
        parse_mac(prop->defval_str, prop_ptr(dev, prop));
    }
}

void device_props_set_defaults(DeviceState *dev)
{
    foreach_prop(dev->info, prop_set_default, dev);
}

static void prop_release(const Property *prop, void *opaque)
{
    DeviceState *dev = opaque;

    switch (prop->type) {
    case PROP_STRING: {
        char **p = prop_ptr(dev, prop);
        free(*p);
        *p = NULL;
        break;
    }
    case PROP_CHR: {
        CharBackend *be = prop_ptr(dev, prop);
        if (be->chr) {
            chr_fe_deinit(be);
        }
        break;
    }
    case PROP_DRIVE:
    case PROP_NETDEV:
    case PROP_LINK:
        *(void **)prop_ptr(dev, prop) = NULL;
        break;
    default:
        break;
    }
}

void device_props_release(DeviceState *dev)
{
    foreach_prop(dev->info, prop_release, dev);
}

/* ------------------------------------------------------------------ */
/* Setting from text                                                   */
/* ------------------------------------------------------------------ */

static const char *const prop_type_names[] = {
    [PROP_BOOL] = "bool",
    [PROP_UINT8] = "uint8",
    [PROP_UINT16] = "uint16",
    [PROP_UINT32] = "uint32",
    [PROP_UINT64] = "uint64",
    [PROP_INT32] = "int32",
    [PROP_INT64] = "int64",
    [PROP_SIZE] = "size",
    [PROP_STRING] = "str",
    /* QEMU shows MAC, chardev, drive and netdev properties as strings */
    [PROP_MACADDR] = "str",
    [PROP_CHR] = "str",
    [PROP_DRIVE] = "str",
    [PROP_NETDEV] = "str",
    [PROP_LINK] = "link<device>",
    [PROP_ENUM] = "enum",
};

static const char *prop_type_name(const Property *prop)
{
    if (prop->type_name) {
        return prop->type_name;
    }
    if ((unsigned)prop->type < ARRAY_SIZE(prop_type_names) &&
        prop_type_names[prop->type]) {
        return prop_type_names[prop->type];
    }
    return "unknown";
}

static void prop_error_value(Error **errp, DeviceState *dev,
                             const Property *prop, const char *value,
                             const char *fmt, ...) EMU_PRINTF(5, 6);

/* "Property 'DEV.PROP' doesn't take value 'VAL' (why)" */
static void prop_error_value(Error **errp, DeviceState *dev,
                             const Property *prop, const char *value,
                             const char *fmt, ...)
{
    va_list ap;
    char *why;

    va_start(ap, fmt);
    why = emu_vasprintf(fmt, ap);
    va_end(ap);
    error_setg(errp, "Property '%s.%s' doesn't take value '%s' (%s)",
               dev->info->name, prop->name, value, why);
    free(why);
}

static void prop_error_not_found_value(Error **errp, DeviceState *dev,
                                       const Property *prop,
                                       const char *value)
{
    error_setg(errp, "Property '%s.%s' can't find value '%s'",
               dev->info->name, prop->name, value);
}

static bool prop_parse_integer(DeviceState *dev, const Property *prop,
                               const char *value, Error **errp)
{
    if (prop_is_signed(prop)) {
        int64_t v;
        int ret = emu_strtoi64(value, NULL, 0, &v);
        if (ret == -EINVAL) {
            prop_error_value(errp, dev, prop, value, "expects an %s",
                             prop_type_name(prop));
            return false;
        }
        if (ret < 0 || v < prop_smin(prop) || v > prop_smax(prop)) {
            prop_error_value(errp, dev, prop, value,
                             "minimum: %" PRId64 ", maximum: %" PRId64,
                             prop_smin(prop), prop_smax(prop));
            return false;
        }
        prop_store_scalar(dev, prop, (uint64_t)v);
    } else {
        uint64_t v;
        int ret = emu_strtou64(value, NULL, 0, &v);
        if (ret == -EINVAL) {
            prop_error_value(errp, dev, prop, value, "expects a %s",
                             prop_type_name(prop));
            return false;
        }
        if (ret < 0 || v > prop_umax(prop)) {
            prop_error_value(errp, dev, prop, value,
                             "minimum: 0, maximum: %" PRIu64, prop_umax(prop));
            return false;
        }
        prop_store_scalar(dev, prop, v);
    }
    return true;
}

static bool prop_parse_enum(DeviceState *dev, const Property *prop,
                            const char *value, Error **errp)
{
    unsigned i, n = enum_count(prop);
    StrBuf names;

    for (i = 0; i < n; i++) {
        if (strcmp(prop->enum_names[i], value) == 0) {
            prop_store_scalar(dev, prop, i);
            return true;
        }
    }
    strbuf_init(&names);
    for (i = 0; i < n; i++) {
        strbuf_printf(&names, "%s%s", i ? ", " : "", prop->enum_names[i]);
    }
    prop_error_value(errp, dev, prop, value, "expects one of: %s",
                     names.str ? names.str : "");
    strbuf_free(&names);
    return false;
}

static bool prop_parse_chr(DeviceState *dev, const Property *prop,
                           const char *value, Error **errp)
{
    CharBackend *be = prop_ptr(dev, prop);
    Error *local_err = NULL;
    Chardev *chr;

    if (!*value) {
        if (be->chr) {
            chr_fe_deinit(be);
        }
        return true;
    }
    chr = chardev_find(value);
    if (!chr) {
        prop_error_not_found_value(errp, dev, prop, value);
        return false;
    }
    if (be->chr == chr) {
        return true;
    }
    if (be->chr) {
        chr_fe_deinit(be);
    }
    if (!chr_fe_init(be, chr, &local_err)) {
        error_prepend(&local_err, "Property '%s.%s' can't take value '%s': ",
                      dev->info->name, prop->name, value);
        error_propagate(errp, local_err);
        return false;
    }
    return true;
}

static bool prop_parse_backend(DeviceState *dev, const Property *prop,
                               const char *value, Error **errp)
{
    void *(*lookup)(const char *, Error **) =
        prop->type == PROP_DRIVE ? qdev_drive_lookup : qdev_netdev_lookup;
    const char *what = prop->type == PROP_DRIVE ? "drive" : "netdev";
    void **slot = prop_ptr(dev, prop);
    Error *local_err = NULL;
    void *backend;

    if (!*value) {
        *slot = NULL;
        return true;
    }
    if (!lookup) {
        error_setg(errp, "Property '%s.%s' can't find value '%s': "
                   "no %s backends exist (%s support is not available)",
                   dev->info->name, prop->name, value, what, what);
        return false;
    }
    backend = lookup(value, &local_err);
    if (!backend) {
        if (local_err) {
            error_propagate(errp, local_err);
        } else {
            prop_error_not_found_value(errp, dev, prop, value);
        }
        return false;
    }
    *slot = backend;
    return true;
}

static bool device_check_settable(DeviceState *dev, const Property *prop,
                                  Error **errp)
{
    if (dev->realized) {
        error_setg(errp, "Attempt to set property '%s' on device '%s' "
                   "(type '%s') after it was realized", prop->name,
                   dev->id ? dev->id : device_path(dev), dev->info->name);
        return false;
    }
    return true;
}

static const Property *device_lookup_prop(DeviceState *dev, const char *name,
                                          Error **errp)
{
    const Property *prop = device_find_prop(dev->info, name);

    if (!prop) {
        error_setg(errp, "Property '%s.%s' not found", dev->info->name,
                   name ? name : "");
    }
    return prop;
}

bool device_set_prop(DeviceState *dev, const char *name, const char *value,
                     Error **errp)
{
    const Property *prop = device_lookup_prop(dev, name, errp);

    if (!prop || !device_check_settable(dev, prop, errp)) {
        return false;
    }
    if (!value) {
        value = "";
    }
    if (prop->parse) {
        return prop->parse(dev, prop, value, errp);
    }
    switch (prop->type) {
    case PROP_BOOL: {
        bool b;
        if (!parse_bool(value, &b)) {
            prop_error_value(errp, dev, prop, value,
                             "expects 'on' or 'off'");
            return false;
        }
        prop_store_scalar(dev, prop, b);
        return true;
    }
    case PROP_UINT8: case PROP_UINT16: case PROP_UINT32: case PROP_UINT64:
    case PROP_INT32: case PROP_INT64:
        return prop_parse_integer(dev, prop, value, errp);
    case PROP_SIZE: {
        uint64_t v;
        if (!parse_size(value, &v, 1)) {
            prop_error_value(errp, dev, prop, value,
                             "expects a size: a number with an optional "
                             "suffix K, M, G, T, P or E");
            return false;
        }
        prop_store_scalar(dev, prop, v);
        return true;
    }
    case PROP_STRING: {
        char **p = prop_ptr(dev, prop);
        free(*p);
        *p = emu_strdup(value);
        return true;
    }
    case PROP_MACADDR: {
        MACAddr mac;
        if (!parse_mac(value, &mac)) {
            prop_error_value(errp, dev, prop, value,
                             "expects a MAC address like 52:54:00:12:34:56");
            return false;
        }
        *(MACAddr *)prop_ptr(dev, prop) = mac;
        return true;
    }
    case PROP_CHR:
        return prop_parse_chr(dev, prop, value, errp);
    case PROP_DRIVE:
    case PROP_NETDEV:
        return prop_parse_backend(dev, prop, value, errp);
    case PROP_LINK: {
        DeviceState *target;
        if (!*value) {
            *(DeviceState **)prop_ptr(dev, prop) = NULL;
            return true;
        }
        target = device_find_path(value);
        if (!target) {
            prop_error_not_found_value(errp, dev, prop, value);
            return false;
        }
        *(DeviceState **)prop_ptr(dev, prop) = target;
        return true;
    }
    case PROP_ENUM:
        return prop_parse_enum(dev, prop, value, errp);
    }
    error_setg(errp, "Property '%s.%s' has an unknown type", dev->info->name,
               prop->name);
    return false;
}

bool device_prop_set_uint(DeviceState *dev, const char *name, uint64_t v,
                          Error **errp)
{
    const Property *prop = device_lookup_prop(dev, name, errp);

    if (!prop || !device_check_settable(dev, prop, errp)) {
        return false;
    }
    if (!prop_is_scalar(prop)) {
        error_setg(errp, "Property '%s.%s' is not an integer", dev->info->name,
                   name);
        return false;
    }
    if (prop_is_signed(prop)) {
        int64_t s = (int64_t)v;
        if (s < prop_smin(prop) || s > prop_smax(prop)) {
            error_setg(errp, "Property '%s.%s' doesn't take value %" PRId64
                       " (minimum: %" PRId64 ", maximum: %" PRId64 ")",
                       dev->info->name, name, s, prop_smin(prop),
                       prop_smax(prop));
            return false;
        }
    } else if (prop->type == PROP_ENUM) {
        if (v >= enum_count(prop)) {
            error_setg(errp, "Property '%s.%s' doesn't take value %" PRIu64,
                       dev->info->name, name, v);
            return false;
        }
    } else if (prop->type != PROP_BOOL && v > prop_umax(prop)) {
        error_setg(errp, "Property '%s.%s' doesn't take value %" PRIu64
                   " (minimum: 0, maximum: %" PRIu64 ")", dev->info->name,
                   name, v, prop_umax(prop));
        return false;
    }
    prop_store_scalar(dev, prop, v);
    return true;
}

bool device_prop_set_bool(DeviceState *dev, const char *name, bool v,
                          Error **errp)
{
    const Property *prop = device_lookup_prop(dev, name, errp);

    if (!prop || !device_check_settable(dev, prop, errp)) {
        return false;
    }
    if (prop->type != PROP_BOOL) {
        error_setg(errp, "Property '%s.%s' is not a bool", dev->info->name,
                   name);
        return false;
    }
    prop_store_scalar(dev, prop, v);
    return true;
}

bool device_prop_set_str(DeviceState *dev, const char *name, const char *v,
                         Error **errp)
{
    const Property *prop = device_lookup_prop(dev, name, errp);

    if (!prop || !device_check_settable(dev, prop, errp)) {
        return false;
    }
    if (prop->type == PROP_STRING && !prop->parse) {
        char **p = prop_ptr(dev, prop);
        free(*p);
        *p = v ? emu_strdup(v) : NULL;
        return true;
    }
    return device_set_prop(dev, name, v, errp);
}

/* ------------------------------------------------------------------ */
/* Printing values                                                     */
/* ------------------------------------------------------------------ */

static const char *backend_name(const Property *prop, void *backend)
{
    const char *(*name_of)(void *) =
        prop->type == PROP_DRIVE ? qdev_drive_name : qdev_netdev_name;

    if (!backend) {
        return "";
    }
    return name_of ? name_of(backend) : "";
}

char *device_get_prop_str(DeviceState *dev, const Property *prop)
{
    void *p = prop_ptr(dev, prop);

    if (prop->print) {
        return prop->print(dev, prop);
    }
    switch (prop->type) {
    case PROP_BOOL:
        return emu_strdup(*(bool *)p ? "true" : "false");
    case PROP_UINT8: case PROP_UINT16: case PROP_UINT32: case PROP_UINT64:
    case PROP_SIZE:
        return emu_asprintf("%" PRIu64, prop_load_scalar(dev, prop));
    case PROP_INT32: case PROP_INT64:
        return emu_asprintf("%" PRId64, (int64_t)prop_load_scalar(dev, prop));
    case PROP_STRING:
        return emu_strdup(*(char **)p ? *(char **)p : "");
    case PROP_MACADDR: {
        const uint8_t *a = ((MACAddr *)p)->a;
        return emu_asprintf("%02x:%02x:%02x:%02x:%02x:%02x",
                            a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    case PROP_CHR: {
        CharBackend *be = p;
        return emu_strdup(be->chr && be->chr->label ? be->chr->label : "");
    }
    case PROP_DRIVE:
    case PROP_NETDEV:
        return emu_strdup(backend_name(prop, *(void **)p));
    case PROP_LINK: {
        DeviceState *target = *(DeviceState **)p;
        return emu_strdup(target ? device_path(target) : "");
    }
    case PROP_ENUM: {
        const char *name = enum_name(prop, prop_load_scalar(dev, prop));
        return name ? emu_strdup(name)
                    : emu_asprintf("%d", *(int *)p);
    }
    }
    return emu_strdup("");
}

/* QEMU's size_to_str: three significant digits in the unit that fits */
static char *size_to_human(uint64_t val)
{
    static const char *const suffixes[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi",
                                            "Ei" };
    unsigned i = 0;

    /* a unit is used from 1000 of the previous one ("0.977 KiB") */
    while (i < 6 && val >= (1000ULL << (10 * i))) {
        i++;
    }
    return emu_asprintf("%0.3g %sB", (double)val / (double)(1ULL << (10 * i)),
                        suffixes[i]);
}

typedef struct QtreePrintCtx {
    DeviceState *dev;
    int indent;
    qtree_printf_fn pr;
    void *opaque;
} QtreePrintCtx;

static void prop_print_qtree(const Property *prop, void *opaque)
{
    QtreePrintCtx *ctx = opaque;
    DeviceState *dev = ctx->dev;
    char *plain, *line;
    uint64_t v;

    if (prop->print) {
        line = prop->print(dev, prop);
        goto out;
    }
    switch (prop->type) {
    case PROP_UINT8: case PROP_UINT16: case PROP_UINT32: case PROP_UINT64:
        v = prop_load_scalar(dev, prop);
        line = emu_asprintf("%" PRIu64 " (0x%" PRIx64 ")", v, v);
        break;
    case PROP_INT32: case PROP_INT64:
        v = prop_load_scalar(dev, prop);
        line = emu_asprintf("%" PRId64 " (0x%" PRIx64 ")", (int64_t)v, v);
        break;
    case PROP_SIZE: {
        char *human;
        v = prop_load_scalar(dev, prop);
        human = size_to_human(v);
        line = emu_asprintf("%" PRIu64 " (%s)", v, human);
        free(human);
        break;
    }
    case PROP_BOOL:
        line = device_get_prop_str(dev, prop);
        break;
    case PROP_CHR:
        /* QEMU leaves out an unconnected chardev */
        if (!((CharBackend *)prop_ptr(dev, prop))->chr) {
            return;
        }
        /* fall through */
    default:
        plain = device_get_prop_str(dev, prop);
        line = emu_asprintf("\"%s\"", plain);
        free(plain);
        break;
    }
out:
    ctx->pr(ctx->opaque, "%*s%s = %s\n", ctx->indent, "", prop->name,
            line && *line ? line : "<null>");
    free(line);
}

void device_print_props_qtree(DeviceState *dev, int indent,
                              qtree_printf_fn pr, void *opaque)
{
    QtreePrintCtx ctx = { dev, indent, pr, opaque };

    foreach_prop(dev->info, prop_print_qtree, &ctx);
}

/* ------------------------------------------------------------------ */
/* -device help, -device NAME,help                                     */
/* ------------------------------------------------------------------ */

/* QEMU's categories, in QEMU's order; the last group is "Uncategorized" */
static const char *const device_categories[] = {
    "Controller/Bridge/Hub", "USB", "Storage", "Network", "Input",
    "Display", "Sound", "Misc", "CPU", "Watchdog",
};

/* "Misc devices", "misc" and "Misc" all name the same group */
static unsigned device_category_index(const DeviceInfo *info)
{
    unsigned i;
    size_t len;

    if (!info->category) {
        return ARRAY_SIZE(device_categories);
    }
    len = strlen(info->category);
    if (len > 8 && strcasecmp(info->category + len - 8, " devices") == 0) {
        len -= 8;
    }
    for (i = 0; i < ARRAY_SIZE(device_categories); i++) {
        if (strlen(device_categories[i]) == len &&
            strncasecmp(device_categories[i], info->category, len) == 0) {
            return i;
        }
    }
    if (strncasecmp(info->category, "bridge", len) == 0 && len == 6) {
        return 0;
    }
    return ARRAY_SIZE(device_categories);
}

void device_print_types(FILE *f)
{
    bool any_printed = false;
    unsigned cat;

    for (cat = 0; cat <= ARRAY_SIZE(device_categories); cat++) {
        bool cat_printed = false;
        const DeviceInfo *info;

        for (info = device_type_next(NULL); info;
             info = device_type_next(info)) {
            if (!info->user_creatable || device_category_index(info) != cat) {
                continue;
            }
            if (!cat_printed) {
                fprintf(f, "%s%s devices:\n", any_printed ? "\n" : "",
                        cat < ARRAY_SIZE(device_categories)
                        ? device_categories[cat] : "Uncategorized");
                cat_printed = any_printed = true;
            }
            fprintf(f, "name \"%s\"", info->name);
            if (info->bus_type) {
                fprintf(f, ", bus %s", info->bus_type);
            }
            if (info->desc) {
                fprintf(f, ", desc \"%s\"", info->desc);
            }
            fprintf(f, "\n");
        }
    }
}

/* JSON form of a default, as QEMU prints it; NULL when there is none */
static char *prop_default_json(const Property *prop)
{
    if (prop->type == PROP_STRING) {
        StrBuf sb;
        const char *s;

        if (!prop->defval_str) {
            return NULL;
        }
        strbuf_init(&sb);
        strbuf_append(&sb, "\"");
        for (s = prop->defval_str; *s; s++) {
            if (*s == '"' || *s == '\\') {
                strbuf_append_len(&sb, "\\", 1);
            }
            strbuf_append_len(&sb, s, 1);
        }
        strbuf_append(&sb, "\"");
        return strbuf_steal(&sb);
    }
    if (!prop_is_scalar(prop) || !prop->set_default) {
        return NULL;
    }
    switch (prop->type) {
    case PROP_BOOL:
        return emu_strdup(prop->defval_u ? "true" : "false");
    case PROP_INT32:
        return emu_asprintf("%" PRId32, (int32_t)(int64_t)prop->defval_u);
    case PROP_INT64:
        return emu_asprintf("%" PRId64, (int64_t)prop->defval_u);
    case PROP_ENUM: {
        const char *name = enum_name(prop, prop->defval_u);
        return name ? emu_asprintf("\"%s\"", name) : NULL;
    }
    default:
        return emu_asprintf("%" PRIu64, prop->defval_u);
    }
}

/* Fallback descriptions, as QEMU's property kinds carry them */
static char *prop_description(const Property *prop)
{
    if (prop->description) {
        return emu_strdup(prop->description);
    }
    switch (prop->type) {
    case PROP_MACADDR:
        return emu_strdup("Ethernet 6-byte MAC Address, example: "
                          "52:54:00:12:34:56");
    case PROP_CHR:
        return emu_strdup("ID of a chardev to use as a backend");
    case PROP_DRIVE:
        return emu_strdup("Node name or ID of a block device to use as a "
                          "backend");
    case PROP_NETDEV:
        return emu_strdup("ID of a netdev to use as a backend");
    case PROP_ENUM: {
        StrBuf sb;
        unsigned i, n = enum_count(prop);
        strbuf_init(&sb);
        for (i = 0; i < n; i++) {
            strbuf_printf(&sb, "%s%s", i ? "/" : "", prop->enum_names[i]);
        }
        return n ? strbuf_steal(&sb) : NULL;
    }
    default:
        return NULL;
    }
}

typedef struct HelpLines {
    char **lines;
    size_t n;
} HelpLines;

static void prop_help_line(const Property *prop, void *opaque)
{
    HelpLines *hl = opaque;
    char *desc = prop_description(prop);
    char *defval = prop_default_json(prop);
    StrBuf sb;

    strbuf_init(&sb);
    strbuf_printf(&sb, "  %s=<%s>", prop->name, prop_type_name(prop));
    if (desc || defval) {
        if (sb.len < 24) {
            strbuf_printf(&sb, "%*s", (int)(24 - sb.len), "");
        }
        strbuf_append(&sb, " - ");
    }
    if (desc) {
        strbuf_append(&sb, desc);
    }
    if (defval) {
        strbuf_printf(&sb, " (default: %s)", defval);
    }
    free(desc);
    free(defval);
    hl->lines = emu_realloc(hl->lines, (hl->n + 1) * sizeof(char *));
    hl->lines[hl->n++] = strbuf_steal(&sb);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool device_print_props(FILE *f, const char *name, Error **errp)
{
    const DeviceInfo *info = device_find_type(name);
    HelpLines hl = { NULL, 0 };
    size_t i;

    if (!info) {
        error_setg(errp, "'%s' is not a valid device model name",
                   name ? name : "");
        return false;
    }
    foreach_prop(info, prop_help_line, &hl);
    if (!hl.n) {
        fprintf(f, "There are no options for %s.\n", info->name);
        return true;
    }
    qsort(hl.lines, hl.n, sizeof(char *), cmp_str_ptr);
    fprintf(f, "%s options:\n", info->name);
    for (i = 0; i < hl.n; i++) {
        fprintf(f, "%s\n", hl.lines[i]);
        free(hl.lines[i]);
    }
    free(hl.lines);
    return true;
}

/* ------------------------------------------------------------------ */
/* -global                                                             */
/* ------------------------------------------------------------------ */

typedef struct GlobalProp {
    char *driver;
    char *property;
    char *value;
    struct GlobalProp *next;
} GlobalProp;

static GlobalProp *global_props;
static GlobalProp **global_props_tail = &global_props;

static bool global_prop_add_parts(const char *driver, const char *property,
                                  const char *value, Error **errp)
{
    const DeviceInfo *info = device_find_type(driver);
    GlobalProp *g;

    if (!info) {
        error_setg(errp, "global %s.%s has invalid class name: "
                   "'%s' is not a valid device model name",
                   driver, property, driver);
        return false;
    }
    if (!device_find_prop(info, property)) {
        error_setg(errp, "Property '%s.%s' not found", driver, property);
        return false;
    }
    g = emu_new0(GlobalProp, 1);
    g->driver = emu_strdup(driver);
    g->property = emu_strdup(property);
    g->value = emu_strdup(value);
    *global_props_tail = g;
    global_props_tail = &g->next;
    return true;
}

bool global_prop_add(const char *str, Error **errp)
{
    const char *eq = strchr(str, '=');
    const char *dot = strchr(str, '.');

    if (eq && dot && dot < eq && dot > str && eq > dot + 1) {
        /* "driver.property=value" */
        char *driver = emu_strndup(str, dot - str);
        char *property = emu_strndup(dot + 1, eq - dot - 1);
        bool ok = global_prop_add_parts(driver, property, eq + 1, errp);
        free(driver);
        free(property);
        return ok;
    } else {
        /* "driver=D,property=P,value=V" */
        EmuOpts *opts = opts_parse(str, NULL, false, errp);
        const char *driver, *property, *value;
        bool ok = false;

        if (!opts) {
            return false;
        }
        driver = opts_get(opts, "driver");
        property = opts_get(opts, "property");
        value = opts_get(opts, "value");
        if (!driver || !property || !value || opts_first_unused(opts)) {
            error_setg(errp, "Invalid -global '%s': expected "
                       "DRIVER.PROPERTY=VALUE or "
                       "driver=DRIVER,property=PROPERTY,value=VALUE", str);
        } else {
            ok = global_prop_add_parts(driver, property, value, errp);
        }
        opts_free(opts);
        return ok;
    }
}

bool global_props_apply(DeviceState *dev, Error **errp)
{
    GlobalProp *g;

    for (g = global_props; g; g = g->next) {
        Error *local_err = NULL;

        if (strcmp(g->driver, dev->info->name) != 0) {
            continue;
        }
        if (!device_set_prop(dev, g->property, g->value, &local_err)) {
            error_prepend(&local_err, "can't apply global %s.%s=%s: ",
                          g->driver, g->property, g->value);
            error_propagate(errp, local_err);
            return false;
        }
    }
    return true;
}

void global_props_reset(void)
{
    GlobalProp *g, *next;

    for (g = global_props; g; g = next) {
        next = g->next;
        free(g->driver);
        free(g->property);
        free(g->value);
        free(g);
    }
    global_props = NULL;
    global_props_tail = &global_props;
}
