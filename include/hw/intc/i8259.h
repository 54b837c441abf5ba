/*
 * Intel 8259A programmable interrupt controller pair ("isa-i8259").
 *
 * Two devices of type "isa-i8259", as in QEMU: the master at 0x20 (ELCR
 * 0x4d0, mask 0xf8) and the slave at 0xa0 (ELCR 0x4d1, mask 0xde), the
 * slave's output cascaded into the master's input 2.  Each chip has 8
 * unnamed gpio-in lines and one unnamed gpio-out line (INT).  The board
 * normally calls i8259_init(), which creates both, wires the cascade and
 * returns the 16 ISA IRQ inputs:
 *
 *   IRQLine isa_irqs[16];
 *   DeviceState *pic = i8259_init(isa, cpu_int_line, isa_irqs, errp);
 *   ...
 *   vector = pic_read_irq(pic);      // INTA cycle, from the CPU
 */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include "hw/isa/isa.h"

#define TYPE_I8259 "isa-i8259"

/*
 * Create and realize the master/slave pair on bus; connect the master's
 * INT output to parent_irq; fill irqs[0..15] with the inputs as seen by
 * the pair (irqs[2] is the master's cascade input: raising it does what
 * the hardware would do with a device on IR2, as QEMU allows).  Returns
 * the master, or NULL with errp set.
 */
DeviceState *i8259_init(ISABus *bus, IRQLine parent_irq, IRQLine *irqs,
                        Error **errp);
/* Join a separately created master and slave (i8259_init does this) */
void i8259_set_slave(DeviceState *master, DeviceState *slave);

/*
 * The INTA cycle on the master: acknowledges the highest-priority request
 * (through the slave when it comes from IR2), handles auto-EOI, and
 * returns the vector; a request that vanished gives the spurious IRQ 7
 * (or 15 on the slave) vector.
 */
int pic_read_irq(DeviceState *pic);
/* Level of the master's INT output */
bool pic_get_output(DeviceState *pic);

#endif
