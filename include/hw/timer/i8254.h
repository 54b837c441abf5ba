/*
 * Intel 8254 programmable interval timer ("isa-pit"): three channels at
 * 1.193182 MHz, ports iobase..iobase+3 (0x40).  Channel 0's output is the
 * device's unnamed gpio-out line 0 (ISA IRQ 0); channels 1 and 2 have no
 * line: the speaker port (0x61) reads channel 2's output and drives its
 * gate through pit_get_out()/pit_set_gate().
 */
#ifndef HW_TIMER_I8254_H
#define HW_TIMER_I8254_H

#include "hw/isa/isa.h"

#define TYPE_I8254 "isa-pit"
#define PIT_FREQ 1193182

/* Create on bus at base, output wired to ISA IRQ isairq (0 on the PC) */
DeviceState *i8254_pit_init(ISABus *bus, int base, int isairq, Error **errp);

/* Gate input of channel 0-2 (0/1 are tied high on the PC) */
void pit_set_gate(DeviceState *dev, int channel, int level);
int pit_get_gate(DeviceState *dev, int channel);
/* Output of a channel at virtual time now (ns), 0 or 1 */
int pit_get_out(DeviceState *dev, int channel, int64_t now);

/*
 * The speaker port ("isa-pcspk", iobase 0x61) drives channel 2's gate and
 * reads its OUT; link it with its "pit" property or with this setter.
 */
#define TYPE_PCSPK "isa-pcspk"
void pcspk_set_pit(DeviceState *pcspk, DeviceState *pit);

#endif
