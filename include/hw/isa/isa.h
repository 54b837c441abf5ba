/*
 * The ISA bus: legacy PC devices at fixed I/O ports with IRQ numbers 0-15.
 * The board creates the bus (under its PCI-ISA bridge), connects the 16
 * IRQ lines to the interrupt controllers, and ISA devices pick theirs by
 * number:
 *
 *   ISABus *isa = isa_bus_new(bridge, get_system_io(), errp);
 *   isa_bus_set_irqs(isa, irqs);                // 16 IRQLines
 *   dev = isa_create_simple(isa, "isa-serial", errp);
 */
#ifndef HW_ISA_ISA_H
#define HW_ISA_ISA_H

#include "hw/qdev.h"

typedef struct MemoryRegion MemoryRegion;

#define ISA_NUM_IRQS 16

typedef struct ISABus {
    BusState bus;
    MemoryRegion *address_space_io;
    IRQLine irqs[ISA_NUM_IRQS];
} ISABus;

typedef struct ISADevice {
    DeviceState qdev;
    int ioport_id;      /* first registered port, for "info qtree" */
} ISADevice;

#define ISA_DEVICE(obj) ((ISADevice *)(obj))

ISABus *isa_bus_new(DeviceState *bridge, MemoryRegion *io, Error **errp);
void isa_bus_set_irqs(ISABus *bus, const IRQLine *irqs);
ISABus *isa_bus_of(ISADevice *dev);
/* The bus IRQ line n (0-15) for this device to raise/lower */
IRQLine isa_get_irq(ISADevice *dev, unsigned n);
/* Map an I/O region at port (in the bus's I/O space) */
void isa_register_ioport(ISADevice *dev, MemoryRegion *io, uint16_t port);
/* Create, realize on bus (or the first ISA bus when NULL) */
DeviceState *isa_create_simple(ISABus *bus, const char *type, Error **errp);

#endif
