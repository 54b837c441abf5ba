/*
 * What the rest of emu may ask of the KVM accelerator.  Nothing outside
 * accel/kvm and target/<arch>/kvm*.c includes <linux/kvm.h>.
 */
#ifndef SYSTEM_KVM_H
#define SYSTEM_KVM_H

#include "emu/osdep.h"
#include "emu/error.h"

/* KVM is the running accelerator */
bool kvm_enabled(void);
/* The PIC, IOAPIC (and PIT) are emulated in the host kernel */
bool kvm_irqchip_in_kernel(void);
bool kvm_pit_in_kernel(void);
/* Raise/lower a GSI of the in-kernel irqchip (0-23 on the pc) */
void kvm_set_irq(int gsi, int level);
/* Deliver an MSI (address/data as the device wrote them) */
void kvm_send_msi(uint64_t addr, uint32_t data);
/*
 * Why hardware acceleration is not available here, for "-accel hw":
 * NULL when it is (caller frees the string).
 */
char *kvm_unavailable_reason(void);

#endif
