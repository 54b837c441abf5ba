/* The ISA bus: fixed I/O ports and IRQ numbers 0-15 for legacy devices. */
#include "hw/isa/isa.h"
#include "system/memory.h"

static bool isa_check_child(BusState *bus, DeviceState *dev, Error **errp)
{
    ISABus *isa = (ISABus *)bus;
    if (!isa->address_space_io) {
        error_setg(errp, "ISA bus '%s' has no I/O space", bus->name);
        return false;
    }
    return true;
}

static const BusInfo isa_bus_info = {
    .type = BUS_TYPE_ISA,
    .instance_size = sizeof(ISABus),
    .check_child = isa_check_child,
};

static void __attribute__((constructor)) isa_bus_register(void)
{
    bus_register_type(&isa_bus_info);
}

ISABus *isa_bus_new(DeviceState *bridge, MemoryRegion *io, Error **errp)
{
    /* QEMU allows one ISA bus per machine; so do we */
    if (bus_find_by_type(BUS_TYPE_ISA)) {
        error_setg(errp, "Can't create a second ISA bus");
        return NULL;
    }
    ISABus *isa = (ISABus *)bus_new(BUS_TYPE_ISA, bridge, "isa.0");
    isa->address_space_io = io;
    return isa;
}

void isa_bus_set_irqs(ISABus *bus, const IRQLine *irqs)
{
    memcpy(bus->irqs, irqs, sizeof(bus->irqs));
}

ISABus *isa_bus_of(ISADevice *dev)
{
    return (ISABus *)dev->qdev.parent_bus;
}

IRQLine isa_get_irq(ISADevice *dev, unsigned n)
{
    assert(n < ISA_NUM_IRQS);
    ISABus *bus = dev ? isa_bus_of(dev) : (ISABus *)bus_find_by_type(BUS_TYPE_ISA);
    assert(bus);
    return bus->irqs[n];
}

void isa_register_ioport(ISADevice *dev, MemoryRegion *io, uint16_t port)
{
    ISABus *bus = isa_bus_of(dev);
    memory_region_add_subregion(bus->address_space_io, port, io);
    if (!dev->ioport_id) {
        dev->ioport_id = port;
    }
}

DeviceState *isa_create_simple(ISABus *bus, const char *type, Error **errp)
{
    DeviceState *dev = device_new(type, errp);
    if (!dev) {
        return NULL;
    }
    if (!device_realize(dev, bus ? &bus->bus : NULL, errp)) {
        device_destroy(dev);
        return NULL;
    }
    return dev;
}
