/*
 * 16550A UART ("isa-serial").
 *
 * Properties: index (0-3; picks the PC's COM1-COM4 iobase 0x3f8/0x2f8/
 * 0x3e8/0x2e8 and irq 4/3/4/3 when iobase/irq are not given), iobase,
 * irq, chardev.  Boards create one per -serial backend:
 *
 *   serial_hds_isa_init(isa_bus, 0, MAX_ISA_SERIAL_PORTS, errp);
 */
#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include "hw/isa/isa.h"

#define TYPE_ISA_SERIAL "isa-serial"
#define MAX_ISA_SERIAL_PORTS 4

/*
 * Create an isa-serial with index i and chardev serial_hd(i) for every
 * i in [from, to) whose serial_hd(i) is set.  false (errp set) on failure.
 */
bool serial_hds_isa_init(ISABus *bus, int from, int to, Error **errp);

#endif
