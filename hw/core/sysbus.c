/* The system bus: SysBusDevice MMIO/port regions mapped into the system address spaces, and the "System" bus type. */
#include "emu/osdep.h"
#include "hw/qdev.h"
#include "system/memory.h"

#define SYSBUS_UNMAPPED ((hwaddr)-1)

/* "    mmio 00000000fee00000/0000000000001000", as QEMU prints it */
static void sysbus_print_dev(BusState *bus, DeviceState *dev, int indent,
                             void (*pr)(void *o, const char *fmt, ...),
                             void *o)
{
    SysBusDevice *s = SYS_BUS_DEVICE(dev);
    int i;

    for (i = 0; i < s->num_mmio; i++) {
        pr(o, "%*smmio %016" PRIx64 "/%016" PRIx64 "\n", indent, "",
           (uint64_t)s->mmio[i].addr, memory_region_size(s->mmio[i].mr));
    }
}

/* Take the device's regions out of the address space when it goes away */
static void sysbus_child_unrealize(BusState *bus, DeviceState *dev)
{
    SysBusDevice *s = SYS_BUS_DEVICE(dev);
    int i;

    for (i = 0; i < s->num_mmio; i++) {
        if (s->mmio[i].addr != SYSBUS_UNMAPPED) {
            memory_region_del_subregion(get_system_memory(), s->mmio[i].mr);
            s->mmio[i].addr = SYSBUS_UNMAPPED;
        }
    }
}

static const BusInfo system_bus_info = {
    .type = BUS_TYPE_SYSTEM,
    .instance_size = sizeof(BusState),
    .child_unrealize = sysbus_child_unrealize,
    .print_dev = sysbus_print_dev,
};

static void __attribute__((constructor)) sysbus_register_types(void)
{
    bus_register_type(&system_bus_info);
}

void sysbus_init_mmio(SysBusDevice *dev, MemoryRegion *mr)
{
    int n = dev->num_mmio;

    if (n >= SYSBUS_MAX_MMIO) {
        fprintf(stderr, "%s: too many MMIO regions\n", dev->qdev.info->name);
        abort();
    }
    dev->mmio[n].addr = SYSBUS_UNMAPPED;
    dev->mmio[n].mr = mr;
    dev->num_mmio++;
}

void sysbus_mmio_map_overlap(SysBusDevice *dev, int n, hwaddr addr,
                             int priority)
{
    MemoryRegion *sysmem = get_system_memory();

    if (n < 0 || n >= dev->num_mmio) {
        fprintf(stderr, "%s: no MMIO region %d\n", dev->qdev.info->name, n);
        abort();
    }
    if (dev->mmio[n].addr == addr) {
        return;
    }
    if (dev->mmio[n].addr != SYSBUS_UNMAPPED) {
        memory_region_del_subregion(sysmem, dev->mmio[n].mr);
    }
    dev->mmio[n].addr = addr;
    if (priority) {
        memory_region_add_subregion_overlap(sysmem, addr, dev->mmio[n].mr,
                                            priority);
    } else {
        memory_region_add_subregion(sysmem, addr, dev->mmio[n].mr);
    }
}

void sysbus_mmio_map(SysBusDevice *dev, int n, hwaddr addr)
{
    sysbus_mmio_map_overlap(dev, n, addr, 0);
}

void sysbus_add_io(SysBusDevice *dev, hwaddr port, MemoryRegion *mr)
{
    if (dev->num_pio < SYSBUS_MAX_MMIO) {
        dev->pio[dev->num_pio++] = (uint32_t)port;
    }
    memory_region_add_subregion(get_system_io(), port, mr);
}

void sysbus_init_irq(SysBusDevice *dev, IRQLine *pin)
{
    qdev_init_gpio_out_named(&dev->qdev, pin, "sysbus-irq", 1);
}

void sysbus_connect_irq(SysBusDevice *dev, int n, IRQLine line)
{
    qdev_connect_gpio_out_named(&dev->qdev, "sysbus-irq", n, line);
}

DeviceState *sysbus_create_simple(const char *type, hwaddr addr,
                                  Error **errp)
{
    DeviceState *dev = device_new(type, errp);

    if (!dev) {
        return NULL;
    }
    if (!dev->info->bus_type ||
        strcmp(dev->info->bus_type, BUS_TYPE_SYSTEM) != 0) {
        error_setg(errp, "'%s' is not a system bus device", type);
        device_destroy(dev);
        return NULL;
    }
    if (!device_realize(dev, main_system_bus(), errp)) {
        device_destroy(dev);
        return NULL;
    }
    if (addr != SYSBUS_UNMAPPED && SYS_BUS_DEVICE(dev)->num_mmio > 0) {
        sysbus_mmio_map(SYS_BUS_DEVICE(dev), 0, addr);
    }
    return dev;
}
