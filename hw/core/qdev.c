/* The device model core: type registry, buses, device lifecycle, tree, paths, reset, GPIO lines and "info qtree". */
#include "emu/osdep.h"
#include "hw/qdev.h"
#include <ctype.h>

/* ------------------------------------------------------------------ */
/* Type registry                                                       */
/* ------------------------------------------------------------------ */

/* Kept sorted by name so "-device help" and iteration need no sorting */
static const DeviceInfo **device_types;
static size_t num_device_types;
static size_t device_types_cap;

void device_register_type(const DeviceInfo *info)
{
    size_t i;

    if (!info || !info->name || info->instance_size < sizeof(DeviceState)) {
        fprintf(stderr, "device_register_type: bad DeviceInfo %s\n",
                info && info->name ? info->name : "(null)");
        abort();
    }
    for (i = 0; i < num_device_types; i++) {
        int c = strcmp(info->name, device_types[i]->name);
        if (c == 0) {
            fprintf(stderr, "device type '%s' registered twice\n", info->name);
            abort();
        }
        if (c < 0) {
            break;
        }
    }
    if (num_device_types == device_types_cap) {
        device_types_cap = device_types_cap ? device_types_cap * 2 : 64;
        device_types = emu_realloc(device_types,
                                   device_types_cap * sizeof(*device_types));
    }
    memmove(&device_types[i + 1], &device_types[i],
            (num_device_types - i) * sizeof(*device_types));
    device_types[i] = info;
    num_device_types++;
}

const DeviceInfo *device_find_type(const char *name)
{
    size_t lo = 0, hi = num_device_types;

    if (!name) {
        return NULL;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, device_types[mid]->name);
        if (c == 0) {
            return device_types[mid];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

const DeviceInfo *device_type_next(const DeviceInfo *prev)
{
    size_t i;

    if (!prev) {
        return num_device_types ? device_types[0] : NULL;
    }
    for (i = 0; i < num_device_types; i++) {
        if (device_types[i] == prev) {
            return i + 1 < num_device_types ? device_types[i + 1] : NULL;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Bus types and buses                                                 */
/* ------------------------------------------------------------------ */

typedef struct BusTypeEntry {
    const BusInfo *info;
    unsigned next_index;        /* for automatic names: "isa.0", "isa.1" */
} BusTypeEntry;

static BusTypeEntry *bus_types;
static size_t num_bus_types;

/* Root buses: the main system bus first, then any other parentless bus */
static TAILQ_HEAD(, BusState) root_buses = TAILQ_HEAD_INITIALIZER(root_buses);
static BusState *the_main_system_bus;

static BusTypeEntry *bus_type_entry(const char *type)
{
    size_t i;

    for (i = 0; type && i < num_bus_types; i++) {
        if (strcmp(bus_types[i].info->type, type) == 0) {
            return &bus_types[i];
        }
    }
    return NULL;
}

void bus_register_type(const BusInfo *info)
{
    if (!info || !info->type || info->instance_size < sizeof(BusState)) {
        fprintf(stderr, "bus_register_type: bad BusInfo\n");
        abort();
    }
    if (bus_type_entry(info->type)) {
        fprintf(stderr, "bus type '%s' registered twice\n", info->type);
        abort();
    }
    bus_types = emu_realloc(bus_types, (num_bus_types + 1) * sizeof(*bus_types));
    bus_types[num_bus_types].info = info;
    bus_types[num_bus_types].next_index = 0;
    num_bus_types++;
}

const BusInfo *bus_find_type(const char *type)
{
    BusTypeEntry *e = bus_type_entry(type);
    return e ? e->info : NULL;
}

BusState *bus_new(const char *type, DeviceState *parent, const char *name)
{
    BusTypeEntry *e = bus_type_entry(type);
    BusState *bus;

    if (!e) {
        fprintf(stderr, "bus_new: unknown bus type '%s'\n",
                type ? type : "(null)");
        abort();
    }
    bus = emu_malloc0(e->info->instance_size);
    bus->info = e->info;
    TAILQ_INIT(&bus->children);
    if (name) {
        bus->name = emu_strdup(name);
    } else if (parent && parent->id) {
        /* QEMU's rule: a bus of a device with an id is "<id>.<n>" */
        bus->name = emu_asprintf("%s.%u", parent->id, parent->num_child_buses);
    } else {
        char *lower = emu_strdup(type);
        for (char *p = lower; *p; p++) {
            *p = tolower((unsigned char)*p);
        }
        bus->name = emu_asprintf("%s.%u", lower, e->next_index++);
        free(lower);
    }
    bus->parent = parent;
    if (parent) {
        TAILQ_INSERT_TAIL(&parent->child_buses, bus, sibling);
        parent->num_child_buses++;
    } else {
        TAILQ_INSERT_TAIL(&root_buses, bus, sibling);
    }
    return bus;
}

BusState *main_system_bus(void)
{
    if (!the_main_system_bus) {
        the_main_system_bus = bus_new(BUS_TYPE_SYSTEM, NULL, "main-system-bus");
        /* keep it first among the roots: reset and qtree start there */
        TAILQ_REMOVE(&root_buses, the_main_system_bus, sibling);
        TAILQ_INSERT_HEAD(&root_buses, the_main_system_bus, sibling);
    }
    return the_main_system_bus;
}

/* Destroy every device on the bus, unlink it and free it */
static void bus_free(BusState *bus)
{
    DeviceState *dev;

    while ((dev = TAILQ_FIRST(&bus->children)) != NULL) {
        device_destroy(dev);
    }
    if (bus->parent) {
        TAILQ_REMOVE(&bus->parent->child_buses, bus, sibling);
        bus->parent->num_child_buses--;
    } else {
        TAILQ_REMOVE(&root_buses, bus, sibling);
        if (bus == the_main_system_bus) {
            the_main_system_bus = NULL;
        }
    }
    free(bus->name);
    free(bus);
}

/* ------------------------------------------------------------------ */
/* All devices (realized or not), for id/path lookup                   */
/* ------------------------------------------------------------------ */

static DeviceState **all_devices;
static size_t num_all_devices;
static size_t all_devices_cap;

static void all_devices_add(DeviceState *dev)
{
    if (num_all_devices == all_devices_cap) {
        all_devices_cap = all_devices_cap ? all_devices_cap * 2 : 64;
        all_devices = emu_realloc(all_devices,
                                  all_devices_cap * sizeof(*all_devices));
    }
    all_devices[num_all_devices++] = dev;
}

static void all_devices_remove(DeviceState *dev)
{
    size_t i;

    for (i = 0; i < num_all_devices; i++) {
        if (all_devices[i] == dev) {
            memmove(&all_devices[i], &all_devices[i + 1],
                    (num_all_devices - i - 1) * sizeof(*all_devices));
            num_all_devices--;
            return;
        }
    }
}

DeviceState *device_find_id(const char *id)
{
    size_t i;

    if (!id) {
        return NULL;
    }
    for (i = 0; i < num_all_devices; i++) {
        if (all_devices[i]->id && strcmp(all_devices[i]->id, id) == 0) {
            return all_devices[i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Walking the tree                                                    */
/* ------------------------------------------------------------------ */

static int bus_walk(BusState *bus, int (*fn)(DeviceState *, void *),
                    void *opaque);

static int device_walk_one(DeviceState *dev, int (*fn)(DeviceState *, void *),
                           void *opaque)
{
    BusState *child, *next;
    int ret = fn(dev, opaque);

    if (ret) {
        return ret;
    }
    for (child = TAILQ_FIRST(&dev->child_buses); child; child = next) {
        next = TAILQ_NEXT(child, sibling);
        ret = bus_walk(child, fn, opaque);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

static int bus_walk(BusState *bus, int (*fn)(DeviceState *, void *),
                    void *opaque)
{
    DeviceState *dev, *next;
    int ret;

    for (dev = TAILQ_FIRST(&bus->children); dev; dev = next) {
        next = TAILQ_NEXT(dev, sibling);
        ret = device_walk_one(dev, fn, opaque);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

/*
 * Realized devices that sit on no bus (bus_type NULL, e.g. CPUs): they are
 * roots of their own little trees.
 */
static bool device_is_busless_root(DeviceState *dev)
{
    return dev->realized && !dev->parent_bus;
}

int device_walk(int (*fn)(DeviceState *dev, void *opaque), void *opaque)
{
    BusState *bus, *next;
    size_t i;
    int ret;

    main_system_bus();
    for (bus = TAILQ_FIRST(&root_buses); bus; bus = next) {
        next = TAILQ_NEXT(bus, sibling);
        ret = bus_walk(bus, fn, opaque);
        if (ret) {
            return ret;
        }
    }
    for (i = 0; i < num_all_devices; i++) {
        if (device_is_busless_root(all_devices[i])) {
            ret = device_walk_one(all_devices[i], fn, opaque);
            if (ret) {
                return ret;
            }
        }
    }
    return 0;
}

typedef struct BusSearch {
    const char *name;           /* match by name, or */
    const char *type;           /* by type */
    BusState *found;
} BusSearch;

static int bus_search_in_device(DeviceState *dev, void *opaque)
{
    BusSearch *s = opaque;
    BusState *bus;

    TAILQ_FOREACH(bus, &dev->child_buses, sibling) {
        if ((s->name && strcmp(bus->name, s->name) == 0) ||
            (s->type && strcmp(bus->info->type, s->type) == 0)) {
            s->found = bus;
            return 1;
        }
    }
    return 0;
}

static BusState *bus_search(BusSearch *s)
{
    BusState *bus;

    main_system_bus();
    TAILQ_FOREACH(bus, &root_buses, sibling) {
        if ((s->name && strcmp(bus->name, s->name) == 0) ||
            (s->type && strcmp(bus->info->type, s->type) == 0)) {
            return bus;
        }
    }
    device_walk(bus_search_in_device, s);
    return s->found;
}

BusState *bus_find_by_name(const char *name)
{
    BusSearch s = { .name = name };

    if (!name) {
        return NULL;
    }
    return bus_search(&s);
}

BusState *bus_find_by_type(const char *type)
{
    BusSearch s = { .type = type };

    if (!type) {
        return NULL;
    }
    return bus_search(&s);
}

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

static unsigned next_anon_index;        /* /machine/peripheral-anon */
static unsigned next_unattached_index;  /* /machine/unattached */

static void device_assign_path(DeviceState *dev)
{
    if (dev->canonical_path) {
        return;
    }
    if (dev->id) {
        dev->canonical_path = emu_asprintf("/machine/peripheral/%s", dev->id);
    } else if (dev->user_created) {
        dev->canonical_path =
            emu_asprintf("/machine/peripheral-anon/device[%u]",
                         next_anon_index++);
    } else {
        dev->canonical_path =
            emu_asprintf("/machine/unattached/device[%u]",
                         next_unattached_index++);
    }
}

const char *device_path(DeviceState *dev)
{
    device_assign_path(dev);
    return dev->canonical_path;
}

DeviceState *device_find_path(const char *path)
{
    size_t i;

    if (!path || !*path) {
        return NULL;
    }
    if (path[0] != '/') {
        return device_find_id(path);
    }
    for (i = 0; i < num_all_devices; i++) {
        if (all_devices[i]->canonical_path &&
            strcmp(all_devices[i]->canonical_path, path) == 0) {
            return all_devices[i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

static bool machine_created;

void qdev_machine_creation_done(void)
{
    machine_created = true;
}

bool qdev_machine_is_created(void)
{
    return machine_created;
}

DeviceState *device_new(const char *type, Error **errp)
{
    const DeviceInfo *info = device_find_type(type);
    DeviceState *dev;
    size_t i;

    if (!info) {
        error_setg(errp, "'%s' is not a valid device model name",
                   type ? type : "");
        return NULL;
    }
    dev = emu_malloc0(info->instance_size);
    dev->info = info;
    TAILQ_INIT(&dev->child_buses);
    /* instance number among devices of the same type, as savevm counts */
    for (i = 0; i < num_all_devices; i++) {
        if (all_devices[i]->info == info) {
            dev->instance_id++;
        }
    }
    all_devices_add(dev);
    device_props_set_defaults(dev);
    if (info->instance_init) {
        info->instance_init(dev);
    }
    if (!global_props_apply(dev, errp)) {
        device_destroy(dev);
        return NULL;
    }
    return dev;
}

bool device_set_id(DeviceState *dev, const char *id, Error **errp)
{
    DeviceState *other;

    if (dev->realized) {
        error_setg(errp, "Cannot change the id of realized device '%s'",
                   device_path(dev));
        return false;
    }
    if (!id_wellformed(id)) {
        error_setg(errp, "Parameter 'id' expects an identifier");
        error_append_hint(errp, "Identifiers consist of letters, digits, "
                          "'-', '.', '_', starting with a letter.\n");
        return false;
    }
    other = device_find_id(id);
    if (other && other != dev) {
        error_setg(errp, "Duplicate device ID '%s'", id);
        return false;
    }
    free(dev->id);
    dev->id = emu_strdup(id);
    /* the path follows the id; only unrealized devices get here */
    free(dev->canonical_path);
    dev->canonical_path = NULL;
    return true;
}

static void bus_add_child(BusState *bus, DeviceState *dev)
{
    TAILQ_INSERT_TAIL(&bus->children, dev, sibling);
    bus->num_children++;
    dev->parent_bus = bus;
}

static void bus_remove_child(DeviceState *dev)
{
    BusState *bus = dev->parent_bus;

    if (bus) {
        TAILQ_REMOVE(&bus->children, dev, sibling);
        bus->num_children--;
        dev->parent_bus = NULL;
    }
}

static bool device_check_bus(const DeviceInfo *info, BusState *bus,
                             Error **errp)
{
    if (!info->bus_type || strcmp(info->bus_type, bus->info->type) != 0) {
        error_setg(errp, "Device '%s' can't go on %s bus", info->name,
                   bus->info->type);
        return false;
    }
    return true;
}

bool device_realize(DeviceState *dev, BusState *bus, Error **errp)
{
    const DeviceInfo *info = dev->info;
    Error *local_err = NULL;
    bool plugged = false;

    if (dev->realized) {
        error_setg(errp, "Device '%s' is already realized", device_path(dev));
        return false;
    }
    if (dev->parent_bus) {
        /* re-realize after unrealize: stays where it was */
        bus = dev->parent_bus;
    } else if (!bus && info->bus_type) {
        bus = strcmp(info->bus_type, BUS_TYPE_SYSTEM) == 0
            ? main_system_bus() : bus_find_by_type(info->bus_type);
        if (!bus) {
            error_setg(errp, "No '%s' bus found for device '%s'",
                       info->bus_type, info->name);
            return false;
        }
    }
    if (bus && !dev->parent_bus) {
        if (!device_check_bus(info, bus, errp)) {
            return false;
        }
        if (bus->info->check_child && !bus->info->check_child(bus, dev, errp)) {
            return false;
        }
        bus_add_child(bus, dev);
        plugged = true;
    }
    device_assign_path(dev);

    if (bus && bus->info->child_realize &&
        !bus->info->child_realize(bus, dev, errp)) {
        goto fail;
    }
    if (info->realize) {
        info->realize(dev, &local_err);
        if (local_err) {
            if (bus && bus->info->child_unrealize) {
                bus->info->child_unrealize(bus, dev);
            }
            error_propagate(errp, local_err);
            goto fail;
        }
    }
    dev->realized = true;
    if (machine_created) {
        device_reset_tree(dev);
    }
    return true;

fail:
    if (plugged) {
        bus_remove_child(dev);
    }
    return false;
}

static void bus_unrealize_children(BusState *bus)
{
    DeviceState *child;

    TAILQ_FOREACH(child, &bus->children, sibling) {
        device_unrealize(child);
    }
}

void device_unrealize(DeviceState *dev)
{
    BusState *child;

    if (!dev->realized) {
        return;
    }
    TAILQ_FOREACH(child, &dev->child_buses, sibling) {
        bus_unrealize_children(child);
    }
    if (dev->info->unrealize) {
        dev->info->unrealize(dev);
    }
    if (dev->parent_bus && dev->parent_bus->info->child_unrealize) {
        dev->parent_bus->info->child_unrealize(dev->parent_bus, dev);
    }
    dev->realized = false;
}

static void gpio_lists_free(DeviceState *dev)
{
    GPIOList *gl = dev->gpios, *next;

    for (; gl; gl = next) {
        next = gl->next;
        free(gl->name);
        free(gl->in);
        free(gl->out);
        free(gl);
    }
    dev->gpios = NULL;
}

void device_destroy(DeviceState *dev)
{
    BusState *bus;

    if (!dev) {
        return;
    }
    device_unrealize(dev);
    while ((bus = TAILQ_FIRST(&dev->child_buses)) != NULL) {
        bus_free(bus);
    }
    bus_remove_child(dev);
    if (dev->info->instance_finalize) {
        dev->info->instance_finalize(dev);
    }
    device_props_release(dev);
    gpio_lists_free(dev);
    all_devices_remove(dev);
    free(dev->id);
    free(dev->canonical_path);
    free(dev);
}

/* ------------------------------------------------------------------ */
/* -device                                                             */
/* ------------------------------------------------------------------ */

DeviceState *device_new_from_opts(EmuOpts *opts, Error **errp)
{
    const char *driver = opts_get(opts, "driver");
    const char *id = opts_get(opts, "id");
    const char *busname = opts_get(opts, "bus");
    const DeviceInfo *info;
    BusState *bus = NULL;
    DeviceState *dev;
    EmuOpt *o;

    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return NULL;
    }
    info = device_find_type(driver);
    if (!info) {
        error_setg(errp, "'%s' is not a valid device model name", driver);
        return NULL;
    }
    if (!info->user_creatable) {
        error_setg(errp, "Parameter 'driver' expects a pluggable device type");
        return NULL;
    }
    if (machine_created && !info->hotpluggable) {
        error_setg(errp, "Device '%s' does not support hotplugging",
                   info->name);
        return NULL;
    }
    if (busname) {
        bus = bus_find_by_name(busname);
        if (!bus) {
            error_setg(errp, "Bus '%s' not found", busname);
            return NULL;
        }
        if (!device_check_bus(info, bus, errp)) {
            return NULL;
        }
    } else if (info->bus_type) {
        bus = strcmp(info->bus_type, BUS_TYPE_SYSTEM) == 0
            ? main_system_bus() : bus_find_by_type(info->bus_type);
        if (!bus) {
            error_setg(errp, "No '%s' bus found for device '%s'",
                       info->bus_type, info->name);
            return NULL;
        }
    }

    /* device_new applies -global before anything the user gave */
    dev = device_new(driver, errp);
    if (!dev) {
        return NULL;
    }
    dev->user_created = true;
    if (id && !device_set_id(dev, id, errp)) {
        goto fail;
    }
    for (o = opts->head; o; o = o->next) {
        if (!strcmp(o->name, "driver") || !strcmp(o->name, "id") ||
            !strcmp(o->name, "bus")) {
            continue;
        }
        o->used = true;
        if (!device_set_prop(dev, o->name, o->value, errp)) {
            goto fail;
        }
    }
    if (!device_realize(dev, bus, errp)) {
        goto fail;
    }
    return dev;

fail:
    device_destroy(dev);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Reset                                                               */
/* ------------------------------------------------------------------ */

void device_reset(DeviceState *dev)
{
    if (dev->info->reset) {
        dev->info->reset(dev);
    }
}

void bus_reset(BusState *bus)
{
    DeviceState *dev;

    TAILQ_FOREACH(dev, &bus->children, sibling) {
        if (dev->realized) {
            device_reset_tree(dev);
        }
    }
}

void device_reset_tree(DeviceState *dev)
{
    BusState *bus;

    device_reset(dev);
    TAILQ_FOREACH(bus, &dev->child_buses, sibling) {
        bus_reset(bus);
    }
}

void devices_reset_all(void)
{
    BusState *bus;
    size_t i;

    main_system_bus();
    TAILQ_FOREACH(bus, &root_buses, sibling) {
        bus_reset(bus);
    }
    for (i = 0; i < num_all_devices; i++) {
        if (device_is_busless_root(all_devices[i])) {
            device_reset_tree(all_devices[i]);
        }
    }
}

/* ------------------------------------------------------------------ */
/* GPIO lines                                                          */
/* ------------------------------------------------------------------ */

static bool gpio_name_eq(const char *a, const char *b)
{
    if (!a || !*a) {
        return !b || !*b;
    }
    return b && strcmp(a, b) == 0;
}

GPIOList *qdev_get_gpio_list(DeviceState *dev, const char *name)
{
    GPIOList *gl;

    for (gl = dev->gpios; gl; gl = gl->next) {
        if (gpio_name_eq(gl->name, name)) {
            return gl;
        }
    }
    return NULL;
}

static GPIOList *gpio_list_get_or_add(DeviceState *dev, const char *name)
{
    GPIOList *gl = qdev_get_gpio_list(dev, name), **tail;

    if (gl) {
        return gl;
    }
    gl = emu_new0(GPIOList, 1);
    gl->name = name && *name ? emu_strdup(name) : NULL;
    /* append, so "info qtree" lists groups in creation order */
    for (tail = &dev->gpios; *tail; tail = &(*tail)->next) {
    }
    *tail = gl;
    return gl;
}

/*
 * Every in-line handed out points here, with the GPIOList as opaque, so
 * the handler that runs is whatever the list holds now (see qdev.h).
 */
static void qdev_gpio_in_trampoline(void *opaque, int n, int level)
{
    GPIOList *gl = opaque;

    if (gl->in_handler) {
        gl->in_handler(gl->in_opaque, n, level);
    }
}

void qdev_init_gpio_in_named(DeviceState *dev, IRQHandler *handler,
                             const char *name, int n)
{
    GPIOList *gl;
    int i;

    assert(handler && n >= 0);
    gl = gpio_list_get_or_add(dev, name);
    if (gl->in_handler && gl->in_handler != handler) {
        fprintf(stderr, "%s: gpio-in group '%s' declared with two handlers\n",
                dev->info->name, name ? name : "");
        abort();
    }
    gl->in_handler = handler;
    gl->in_opaque = dev;
    gl->in = emu_realloc(gl->in, (gl->num_in + n) * sizeof(IRQLine));
    for (i = 0; i < n; i++) {
        gl->in[gl->num_in + i] =
            irq_line(qdev_gpio_in_trampoline, gl, gl->num_in + i);
    }
    gl->num_in += n;
}

void qdev_init_gpio_in(DeviceState *dev, IRQHandler *handler, int n)
{
    qdev_init_gpio_in_named(dev, handler, NULL, n);
}

void qdev_init_gpio_out_named(DeviceState *dev, IRQLine *pins,
                              const char *name, int n)
{
    GPIOList *gl;
    int i;

    assert(pins && n >= 0);
    gl = gpio_list_get_or_add(dev, name);
    gl->out = emu_realloc(gl->out, (gl->num_out + n) * sizeof(IRQLine *));
    for (i = 0; i < n; i++) {
        gl->out[gl->num_out + i] = &pins[i];
    }
    gl->num_out += n;
}

void qdev_init_gpio_out(DeviceState *dev, IRQLine *pins, int n)
{
    qdev_init_gpio_out_named(dev, pins, NULL, n);
}

IRQLine qdev_get_gpio_in_named(DeviceState *dev, const char *name, int n)
{
    GPIOList *gl = qdev_get_gpio_list(dev, name);

    if (!gl || n < 0 || n >= gl->num_in) {
        /* a board wiring bug, not a guest action */
        fprintf(stderr, "%s: no gpio-in '%s' %d\n", dev->info->name,
                name ? name : "", n);
        abort();
    }
    return gl->in[n];
}

IRQLine qdev_get_gpio_in(DeviceState *dev, int n)
{
    return qdev_get_gpio_in_named(dev, NULL, n);
}

void qdev_connect_gpio_out_named(DeviceState *dev, const char *name, int n,
                                 IRQLine line)
{
    GPIOList *gl = qdev_get_gpio_list(dev, name);

    if (!gl || n < 0 || n >= gl->num_out) {
        fprintf(stderr, "%s: no gpio-out '%s' %d\n", dev->info->name,
                name ? name : "", n);
        abort();
    }
    *gl->out[n] = line;
}

void qdev_connect_gpio_out(DeviceState *dev, int n, IRQLine line)
{
    qdev_connect_gpio_out_named(dev, NULL, n, line);
}

int qdev_intercept_gpio_in_named(DeviceState *dev, const char *name,
                                 IRQHandler *handler, void *opaque)
{
    GPIOList *gl = qdev_get_gpio_list(dev, name);

    if (!gl || !gl->num_in) {
        return -1;
    }
    gl->in_handler = handler;
    gl->in_opaque = opaque;
    return gl->num_in;
}

int qdev_intercept_gpio_out_named(DeviceState *dev, const char *name,
                                  IRQHandler *handler, void *opaque)
{
    GPIOList *gl = qdev_get_gpio_list(dev, name);
    int i;

    if (!gl || !gl->num_out) {
        return -1;
    }
    for (i = 0; i < gl->num_out; i++) {
        *gl->out[i] = irq_line(handler, opaque, i);
    }
    return gl->num_out;
}

int qdev_intercept_gpio_in(DeviceState *dev, IRQHandler *handler,
                           void *opaque)
{
    return qdev_intercept_gpio_in_named(dev, NULL, handler, opaque);
}

int qdev_intercept_gpio_out(DeviceState *dev, IRQHandler *handler,
                            void *opaque)
{
    return qdev_intercept_gpio_out_named(dev, NULL, handler, opaque);
}

/* ------------------------------------------------------------------ */
/* info qtree                                                          */
/* ------------------------------------------------------------------ */

static void qtree_print_bus(BusState *bus, int indent, qtree_printf_fn pr,
                            void *opaque);

static void qtree_print_dev(DeviceState *dev, int indent, qtree_printf_fn pr,
                            void *opaque)
{
    GPIOList *gl;
    BusState *child;

    pr(opaque, "%*sdev: %s, id \"%s\"\n", indent, "", dev->info->name,
       dev->id ? dev->id : "");
    indent += 2;
    for (gl = dev->gpios; gl; gl = gl->next) {
        if (gl->num_in) {
            pr(opaque, "%*sgpio-in \"%s\" %d\n", indent, "",
               gl->name ? gl->name : "", gl->num_in);
        }
        if (gl->num_out) {
            pr(opaque, "%*sgpio-out \"%s\" %d\n", indent, "",
               gl->name ? gl->name : "", gl->num_out);
        }
    }
    device_print_props_qtree(dev, indent, pr, opaque);
    if (dev->parent_bus && dev->parent_bus->info->print_dev) {
        dev->parent_bus->info->print_dev(dev->parent_bus, dev, indent, pr,
                                         opaque);
    }
    TAILQ_FOREACH(child, &dev->child_buses, sibling) {
        qtree_print_bus(child, indent, pr, opaque);
    }
}

static void qtree_print_bus(BusState *bus, int indent, qtree_printf_fn pr,
                            void *opaque)
{
    DeviceState *dev;

    pr(opaque, "%*sbus: %s\n", indent, "", bus->name);
    indent += 2;
    pr(opaque, "%*stype %s\n", indent, "", bus->info->type);
    TAILQ_FOREACH(dev, &bus->children, sibling) {
        qtree_print_dev(dev, indent, pr, opaque);
    }
}

void qtree_info(qtree_printf_fn pr, void *opaque)
{
    BusState *bus;

    main_system_bus();
    TAILQ_FOREACH(bus, &root_buses, sibling) {
        qtree_print_bus(bus, 0, pr, opaque);
    }
}
