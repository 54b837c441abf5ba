/*
 * I/O APIC (82093AA-style, version 0x20): "ioapic", a system bus device
 * whose 4 KiB register window the board maps at IOAPIC_DEFAULT_ADDRESS.
 * 24 unnamed gpio-in lines (the pins), active high: the board delivers
 * logical assert/deassert levels, so the polarity bit is stored for the
 * guest but not applied (as in QEMU).
 *
 * Until a local APIC exists, interrupts leave through a callback set by
 * the board/CPU; level-triggered pins hold their remote IRR until the
 * local APIC's EOI for that vector comes back via ioapic_eoi_broadcast().
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include "hw/qdev.h"

#define TYPE_IOAPIC "ioapic"
#define IOAPIC_NUM_PINS 24
#define IOAPIC_DEFAULT_ADDRESS 0xfec00000ULL
#define IOAPIC_VERSION 0x20

/* delivery_mode values (redirection entry bits 10:8) */
#define IOAPIC_DM_FIXED   0
#define IOAPIC_DM_LOWPRI  1
#define IOAPIC_DM_SMI     2
#define IOAPIC_DM_NMI     4
#define IOAPIC_DM_INIT    5
#define IOAPIC_DM_EXTINT  7

/*
 * dest: APIC ID (physical) or logical destination; dest_mode: 0 physical,
 * 1 logical; vector: 0-255; level: the assert bit, always true for
 * interrupts from pins; trigger: 0 edge, 1 level.
 */
typedef void IOAPICDeliverFn(void *opaque, uint8_t dest, uint8_t dest_mode,
                             uint8_t delivery_mode, uint8_t vector,
                             bool level, uint8_t trigger);

void ioapic_set_deliver(DeviceState *dev, IOAPICDeliverFn *fn, void *opaque);
/*
 * The local APICs signalled EOI for vector: every I/O APIC clears the
 * remote IRR of its level-triggered entries with that vector, and
 * re-delivers those whose pin is still asserted.
 */
void ioapic_eoi_broadcast(int vector);

#endif
