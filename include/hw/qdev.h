/*
 * The device model.
 *
 * A device is a plain C struct whose first member is a DeviceState (or a
 * bus-specific parent such as SysBusDevice, which itself starts with a
 * DeviceState), plus one static const DeviceInfo: name, state size,
 * properties, state description, realize, reset.  Devices sit on buses and
 * form one tree rooted at the machine's main system bus; that tree is also
 * the reset tree and the migration tree.
 *
 *   typedef struct DebugDevState { SysBusDevice parent; uint32_t reg; } ...
 *   static const DeviceInfo debug_dev_info = {
 *       .name = "debug-dev", .bus_type = BUS_TYPE_SYSTEM, ...
 *   };
 *   DEVICE_REGISTER(debug_dev_info);
 */
#ifndef HW_QDEV_H
#define HW_QDEV_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/option.h"
#include "hw/irq.h"
#include <sys/queue.h>

typedef struct DeviceState DeviceState;
typedef struct DeviceInfo DeviceInfo;
typedef struct BusState BusState;
typedef struct BusInfo BusInfo;
typedef struct Property Property;
typedef struct VMStateDescription VMStateDescription;

/* ---- Properties ---- */
typedef enum PropertyType {
    PROP_BOOL = 0,
    PROP_UINT8,
    PROP_UINT16,
    PROP_UINT32,
    PROP_UINT64,
    PROP_INT32,
    PROP_INT64,
    PROP_SIZE,        /* uint64_t, accepts K/M/G suffixes */
    PROP_STRING,      /* char *, owned by the device */
    PROP_MACADDR,     /* MACAddr */
    PROP_CHR,         /* CharBackend: value is a chardev id */
    PROP_DRIVE,       /* void * (BlockBackend *): value is a drive id */
    PROP_NETDEV,      /* void * (NetClientState *): value is a netdev id */
    PROP_LINK,        /* DeviceState *: value is a device id */
    PROP_ENUM,        /* int: value is one of enum_names[] */
} PropertyType;

typedef struct MACAddr { uint8_t a[6]; } MACAddr;

struct Property {
    const char *name;
    PropertyType type;
    size_t offset;
    /* default: integers/bools in defval_u, strings in defval_str */
    uint64_t defval_u;
    const char *defval_str;
    bool set_default;
    const char *const *enum_names;   /* NULL-terminated, for PROP_ENUM */
    const char *description;
    /*
     * Optional overrides, for properties whose text form is not the plain
     * C value (PCI "addr" is "06.0", stored as an int32 devfn):
     *   parse: set the field from its command-line text
     *   print: render for "info qtree" exactly as shown (caller frees)
     *   type_name: type shown by "-device NAME,help" (enum type names,
     *              "link<TYPE>")
     */
    bool (*parse)(DeviceState *dev, const Property *prop, const char *str,
                  Error **errp);
    char *(*print)(DeviceState *dev, const Property *prop);
    const char *type_name;
};

#define DEFINE_PROP_(_n, _t, _s, _f, _d) {                               \
        .name = (_n), .type = (_t), .offset = offsetof(_s, _f),          \
        .defval_u = (uint64_t)(_d), .set_default = true }
#define DEFINE_PROP_BOOL(_n, _s, _f, _d)   DEFINE_PROP_(_n, PROP_BOOL, _s, _f, _d)
#define DEFINE_PROP_UINT8(_n, _s, _f, _d)  DEFINE_PROP_(_n, PROP_UINT8, _s, _f, _d)
#define DEFINE_PROP_UINT16(_n, _s, _f, _d) DEFINE_PROP_(_n, PROP_UINT16, _s, _f, _d)
#define DEFINE_PROP_UINT32(_n, _s, _f, _d) DEFINE_PROP_(_n, PROP_UINT32, _s, _f, _d)
#define DEFINE_PROP_UINT64(_n, _s, _f, _d) DEFINE_PROP_(_n, PROP_UINT64, _s, _f, _d)
#define DEFINE_PROP_INT32(_n, _s, _f, _d)  DEFINE_PROP_(_n, PROP_INT32, _s, _f, _d)
#define DEFINE_PROP_INT64(_n, _s, _f, _d)  DEFINE_PROP_(_n, PROP_INT64, _s, _f, _d)
#define DEFINE_PROP_SIZE(_n, _s, _f, _d)   DEFINE_PROP_(_n, PROP_SIZE, _s, _f, _d)
#define DEFINE_PROP_STRING(_n, _s, _f) {                                 \
        .name = (_n), .type = PROP_STRING, .offset = offsetof(_s, _f) }
#define DEFINE_PROP_MACADDR(_n, _s, _f) {                                \
        .name = (_n), .type = PROP_MACADDR, .offset = offsetof(_s, _f) }
#define DEFINE_PROP_CHR(_n, _s, _f) {                                    \
        .name = (_n), .type = PROP_CHR, .offset = offsetof(_s, _f) }
#define DEFINE_PROP_DRIVE(_n, _s, _f) {                                  \
        .name = (_n), .type = PROP_DRIVE, .offset = offsetof(_s, _f) }
#define DEFINE_PROP_NETDEV(_n, _s, _f) {                                 \
        .name = (_n), .type = PROP_NETDEV, .offset = offsetof(_s, _f) }
#define DEFINE_PROP_LINK(_n, _s, _f) {                                   \
        .name = (_n), .type = PROP_LINK, .offset = offsetof(_s, _f) }
#define DEFINE_PROP_ENUM(_n, _s, _f, _d, _names) {                       \
        .name = (_n), .type = PROP_ENUM, .offset = offsetof(_s, _f),     \
        .defval_u = (_d), .set_default = true, .enum_names = (_names) }
#define DEFINE_PROP_END_OF_LIST() { .name = NULL }

/*
 * Lookup hooks for PROP_DRIVE / PROP_NETDEV, installed by the block and
 * net layers when they exist.  They return the backend or NULL.
 */
extern void *(*qdev_drive_lookup)(const char *id, Error **errp);
extern void *(*qdev_netdev_lookup)(const char *id, Error **errp);
extern const char *(*qdev_drive_name)(void *backend);
extern const char *(*qdev_netdev_name)(void *backend);

/* ---- Buses ---- */
#define BUS_TYPE_SYSTEM "System"
#define BUS_TYPE_ISA    "ISA"
#define BUS_TYPE_PCI    "PCI"

struct BusInfo {
    const char *type;           /* BUS_TYPE_* */
    size_t instance_size;       /* >= sizeof(BusState) */
    /* bus-specific realize step for a child (e.g. map PCI config) */
    bool (*child_realize)(BusState *bus, DeviceState *dev, Error **errp);
    void (*child_unrealize)(BusState *bus, DeviceState *dev);
    /* extra line(s) for "info qtree" about a child (e.g. "addr 01.0") */
    void (*print_dev)(BusState *bus, DeviceState *dev, int indent,
                      void (*pr)(void *o, const char *fmt, ...), void *o);
    /* pick a free slot etc. before the child is realized */
    bool (*check_child)(BusState *bus, DeviceState *dev, Error **errp);
};

struct BusState {
    const BusInfo *info;
    char *name;                 /* "main-system-bus", "isa.0", "pci.0" */
    DeviceState *parent;        /* bridge device, NULL for the root */
    unsigned num_children;
    TAILQ_HEAD(, DeviceState) children;
    TAILQ_ENTRY(BusState) sibling;
};

/* ---- Devices ---- */
struct DeviceInfo {
    const char *name;           /* "-device NAME" */
    const char *desc;
    const char *bus_type;       /* bus it plugs into; NULL: none */
    const char *category;       /* "Misc devices", "Storage devices" ... */
    size_t instance_size;
    const Property *props;      /* NULL or END_OF_LIST-terminated */
    /* props of a bus-specific parent (e.g. PCI "addr"), shown with ours */
    const Property *parent_props;
    const VMStateDescription *vmsd;
    bool user_creatable;        /* may be created with -device/device_add */
    bool hotpluggable;
    void (*instance_init)(DeviceState *dev);    /* after defaults, before props */
    void (*instance_finalize)(DeviceState *dev);
    void (*realize)(DeviceState *dev, Error **errp);
    void (*unrealize)(DeviceState *dev);
    void (*reset)(DeviceState *dev);
    /* bus-specific class data (PCI ids, ...) */
    const void *class_data;
};

#define QDEV_MAX_GPIO_IN_GROUPS 4

/*
 * GPIO lines, grouped by name.  The in-lines handed out by
 * qdev_get_gpio_in() are copies, so they do not point at the device's
 * handler directly: each is {qdev trampoline, this GPIOList, n}, and the
 * trampoline calls in_handler(in_opaque, n, level).  Interception (qtest's
 * irq_intercept_in) only swaps in_handler/in_opaque here, and every copy
 * already held by a source follows.
 */
typedef struct GPIOList {
    char *name;                  /* NULL for the unnamed group */
    int num_in;
    IRQHandler *in_handler;
    void *in_opaque;             /* the device, unless intercepted */
    IRQLine *in;                 /* lines into the device */
    int num_out;
    IRQLine **out;               /* pointers to the device's output fields */
    struct GPIOList *next;
} GPIOList;

struct DeviceState {
    const DeviceInfo *info;
    char *id;                   /* user id (id=), may be NULL */
    char *canonical_path;       /* stable path, e.g. /machine/unattached/device[0] */
    bool realized;
    bool user_created;
    BusState *parent_bus;
    TAILQ_ENTRY(DeviceState) sibling;
    TAILQ_HEAD(, BusState) child_buses;
    unsigned num_child_buses;
    GPIOList *gpios;
    /* number of devices of the same type created before this one */
    unsigned instance_id;
};

#define DEVICE(obj) ((DeviceState *)(obj))

/* Registration (at start-up, via constructor) */
void device_register_type(const DeviceInfo *info);
#define DEVICE_REGISTER(info)                                              \
    static void __attribute__((constructor)) register_##info(void)         \
    {                                                                      \
        device_register_type(&(info));                                     \
    }
const DeviceInfo *device_find_type(const char *name);
/* Types, sorted by name; pass NULL first, returns NULL at the end */
const DeviceInfo *device_type_next(const DeviceInfo *prev);
/* Prints QEMU-style "-device help" listing (grouped by category) */
void device_print_types(FILE *f);
/* "-device NAME,help": properties; false if the type is unknown */
bool device_print_props(FILE *f, const char *name, Error **errp);

/* ---- Buses ---- */
void bus_register_type(const BusInfo *info);
const BusInfo *bus_find_type(const char *type);
BusState *bus_new(const char *type, DeviceState *parent, const char *name);
BusState *main_system_bus(void);
BusState *bus_find_by_name(const char *name);
/* First bus of that type in the tree with room, NULL if none */
BusState *bus_find_by_type(const char *type);
void bus_reset(BusState *bus);

/* ---- Lifecycle ---- */
/* Allocate with defaults; not yet on a bus, not realized */
DeviceState *device_new(const char *type, Error **errp);
/* Set a property from its string form (as on the command line) */
bool device_set_prop(DeviceState *dev, const char *name, const char *value,
                     Error **errp);
bool device_prop_set_uint(DeviceState *dev, const char *name, uint64_t v,
                          Error **errp);
bool device_prop_set_bool(DeviceState *dev, const char *name, bool v,
                          Error **errp);
bool device_prop_set_str(DeviceState *dev, const char *name, const char *v,
                         Error **errp);
/* Render a property value for printing; caller frees */
char *device_get_prop_str(DeviceState *dev, const Property *prop);
const Property *device_find_prop(const DeviceInfo *info, const char *name);
/*
 * Set the user id ("id="): must be an identifier (letter first, then
 * letters, digits, '-', '.', '_') and unique.  Only before realize.
 */
bool device_set_id(DeviceState *dev, const char *id, Error **errp);
/*
 * Plug into bus and realize.  bus NULL: the main system bus for System
 * devices, the first bus of the right type otherwise, none when bus_type
 * is NULL.  Order: bus check_child, bus child_realize, device realize; on
 * failure everything is undone and the device is left unplugged (the
 * caller destroys it).  After qdev_machine_creation_done() a freshly
 * realized device is also reset (hotplug).
 */
bool device_realize(DeviceState *dev, BusState *bus, Error **errp);
void device_unrealize(DeviceState *dev);
/*
 * Unrealize if needed (children first), remove from bus, destroy child
 * buses and their devices, release properties (strings, chardev front
 * ends) and free.
 */
void device_destroy(DeviceState *dev);
void device_reset(DeviceState *dev);            /* this device only */
void device_reset_tree(DeviceState *dev);       /* device then children */
/* Create + set properties + realize from "-device" style options */
DeviceState *device_new_from_opts(EmuOpts *opts, Error **errp);
/*
 * Reset the whole tree: from the main system bus, each device then its
 * child buses; then realized devices that sit on no bus.
 */
void devices_reset_all(void);
/* The board has finished building: later realizes are hotplugs */
void qdev_machine_creation_done(void);
bool qdev_machine_is_created(void);

/* Lookup */
DeviceState *device_find_id(const char *id);
/*
 * Walk the tree depth-first, parents before children (main system bus
 * first, then devices on no bus); fn returns non-zero to stop and must not
 * destroy devices.
 */
int device_walk(int (*fn)(DeviceState *dev, void *opaque), void *opaque);
/*
 * Canonical path: "/machine/peripheral/<id>" for devices with an id,
 * "/machine/peripheral-anon/device[N]" for user-created ones without,
 * "/machine/unattached/device[N]" for board-created ones (N counts per
 * container).  Assigned at realize (or first call), then stable.
 */
const char *device_path(DeviceState *dev);
/* Full canonical path; a string without '/' is looked up as an id */
DeviceState *device_find_path(const char *path);

/* ---- -global ---- */
/* "driver.prop=value"; applied to each device of that type at creation */
bool global_prop_add(const char *str, Error **errp);
bool global_props_apply(DeviceState *dev, Error **errp);
/* Clear registered globals (tests) */
void global_props_reset(void);

/* ---- GPIO / IRQ lines ---- */
/* Declare n input lines; handler gets (dev, n, level) */
void qdev_init_gpio_in(DeviceState *dev, IRQHandler *handler, int n);
void qdev_init_gpio_in_named(DeviceState *dev, IRQHandler *handler,
                             const char *name, int n);
/* Declare n output lines stored in the device's IRQLine array 'pins' */
void qdev_init_gpio_out(DeviceState *dev, IRQLine *pins, int n);
void qdev_init_gpio_out_named(DeviceState *dev, IRQLine *pins,
                              const char *name, int n);
IRQLine qdev_get_gpio_in(DeviceState *dev, int n);
IRQLine qdev_get_gpio_in_named(DeviceState *dev, const char *name, int n);
void qdev_connect_gpio_out(DeviceState *dev, int n, IRQLine line);
void qdev_connect_gpio_out_named(DeviceState *dev, const char *name, int n,
                                 IRQLine line);
GPIOList *qdev_get_gpio_list(DeviceState *dev, const char *name);
/*
 * Replace the in-handlers (or out-lines) of a device by the given ones
 * (qtest's irq_intercept_in/out).  Returns the number of lines, or -1.
 */
int qdev_intercept_gpio_in(DeviceState *dev, IRQHandler *handler,
                           void *opaque);
int qdev_intercept_gpio_out(DeviceState *dev, IRQHandler *handler,
                            void *opaque);
/*
 * The two above act on the unnamed group (as QEMU's qtest does); these act
 * on a named one.  The handler receives the line's index in its group.
 */
int qdev_intercept_gpio_in_named(DeviceState *dev, const char *name,
                                 IRQHandler *handler, void *opaque);
int qdev_intercept_gpio_out_named(DeviceState *dev, const char *name,
                                  IRQHandler *handler, void *opaque);

/* ---- info qtree ---- */
typedef void (*qtree_printf_fn)(void *opaque, const char *fmt, ...)
    EMU_PRINTF(2, 3);
void qtree_info(qtree_printf_fn pr, void *opaque);

/* ---- System bus devices ---- */
#define SYSBUS_MAX_MMIO 32
#define SYSBUS_MAX_IRQ  32
typedef struct MemoryRegion MemoryRegion;
typedef uint64_t hwaddr;

typedef struct SysBusDevice {
    DeviceState qdev;
    int num_mmio;
    struct {
        hwaddr addr;            /* (hwaddr)-1 when unmapped */
        MemoryRegion *mr;
    } mmio[SYSBUS_MAX_MMIO];
    int num_pio;
    uint32_t pio[SYSBUS_MAX_MMIO];
} SysBusDevice;

#define SYS_BUS_DEVICE(obj) ((SysBusDevice *)(obj))
void sysbus_init_mmio(SysBusDevice *dev, MemoryRegion *mr);
void sysbus_mmio_map(SysBusDevice *dev, int n, hwaddr addr);
void sysbus_mmio_map_overlap(SysBusDevice *dev, int n, hwaddr addr,
                             int priority);
/* Create, realize and map a sysbus device in one go (boards) */
DeviceState *sysbus_create_simple(const char *type, hwaddr addr,
                                  Error **errp);
/* Map an I/O port region into the system I/O space and record the port */
void sysbus_add_io(SysBusDevice *dev, hwaddr port, MemoryRegion *mr);
/*
 * Interrupt outputs of a sysbus device: the named GPIO group "sysbus-irq"
 * (as in QEMU), one pin per call, wired by the board.
 */
void sysbus_init_irq(SysBusDevice *dev, IRQLine *pin);
void sysbus_connect_irq(SysBusDevice *dev, int n, IRQLine line);

/* ---- Internal to hw/core (qdev.c <-> qdev-properties.c) ---- */
void device_props_set_defaults(DeviceState *dev);
void device_props_release(DeviceState *dev);
/* "info qtree" lines for the properties of dev */
void device_print_props_qtree(DeviceState *dev, int indent,
                              qtree_printf_fn pr, void *opaque);

#endif
