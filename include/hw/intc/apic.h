/*
 * Local APIC (xAPIC, version 0x14 with 6 LVT entries, as QEMU's "apic"):
 * one per vCPU under the translator; KVM's in-kernel APIC serves
 * otherwise.  All APICs share one MMIO window at 0xfee00000-0xfeefffff:
 * a CPU's access to its APIC base page reaches its own registers (found
 * through current_cpu); any other write there (from DMA, or outside the
 * register page) is an MSI message.  The APIC timer counts at 1 GHz
 * before the divider, on EMU_CLOCK_VIRTUAL, the clock the translator's
 * TSC is derived from, so TSC-deadline and count modes agree with rdtsc.
 *
 * Locking: every function here runs with the global lock held.
 *
 * Interrupt requests to the CPU: CPU_INTERRUPT_HARD while an interrupt
 * is deliverable (an IRR vector above the PPR, or ExtINT from the 8259
 * through LINT0); CPU_INTERRUPT_NMI, CPU_INTERRUPT_INIT and
 * CPU_INTERRUPT_SIPI (target/i386/cpu.h) for those delivery modes.  The
 * CPU takes them in its exec_interrupt hook through apic_get_interrupt,
 * apic_take_init and apic_take_sipi.
 */
#ifndef HW_INTC_APIC_H
#define HW_INTC_APIC_H

#include "hw/qdev.h"

#define TYPE_APIC "apic"
#define APIC_VERSION_REG    0x00050014u     /* max LVT 5, version 0x14 */
#define APIC_MSI_BASE       0xfee00000ull
#define APIC_MSI_SIZE       0x100000ull
/* The APIC timer's input clock before the divide configuration */
#define APIC_BUS_HZ         1000000000ull

/* Delivery modes (ICR, LVT, IOAPIC and MSI bits 10:8) */
#define APIC_DM_FIXED   0
#define APIC_DM_LOWPRI  1
#define APIC_DM_SMI     2
#define APIC_DM_NMI     4
#define APIC_DM_INIT    5
#define APIC_DM_SIPI    6
#define APIC_DM_EXTINT  7

/* LVT indices */
enum {
    APIC_LVT_TIMER = 0,
    APIC_LVT_THERMAL,
    APIC_LVT_PERF,
    APIC_LVT_LINT0,
    APIC_LVT_LINT1,
    APIC_LVT_ERROR,
    APIC_LVT_NB,
};

typedef struct APICState APICState;
struct X86CPU;

/*
 * Create and realize the local APIC of cpu and attach it (cpu->apic).
 * Its ID is the CPU's APIC ID; its base and enable bit live in the CPU's
 * IA32_APIC_BASE (env.apic_base).
 */
APICState *apic_new(struct X86CPU *cpu, Error **errp);
DeviceState *apic_device(APICState *s);

/* ---- The CPU side (target/i386) ---- */
/*
 * Interrupt acknowledge: the vector of the highest deliverable IRR bit,
 * moved to the ISR; else, with the 8259 wired through (ExtINT on LINT0
 * or the APIC hardware-disabled), the 8259's INTA via the CPU's
 * get_pic_vector hook; else -1.
 */
int apic_get_interrupt(APICState *s);
/* IA32_APIC_BASE.EN set */
bool apic_hw_enabled(APICState *s);
/* IA32_APIC_BASE was written (env.apic_base holds the new value) */
void apic_base_changed(APICState *s, uint64_t old_base);
/* IA32_TSC_DEADLINE: armed only in TSC-deadline timer mode */
uint64_t apic_get_tsc_deadline(APICState *s);
void apic_set_tsc_deadline(APICState *s, uint64_t deadline);
/* An INIT reached the CPU: reset the APIC (ID and base kept) */
void apic_take_init(APICState *s);
/*
 * A start-up IPI: true with *vector set if the CPU was waiting for one
 * (it leaves wait-for-SIPI), false if the SIPI is to be ignored.
 */
bool apic_take_sipi(APICState *s, uint8_t *vector);
/* The CPU sits in wait-for-SIPI (APs after reset or INIT) */
bool apic_waiting_for_sipi(APICState *s);
/* Task priority as CR8 shows it (TPR bits 7:4) */
uint8_t apic_get_cr8(APICState *s);
void apic_set_cr8(APICState *s, uint8_t val);

/* ---- The board side ---- */
/* Level of the 8259's INT output, wired to every CPU's LINT0 */
void apic_set_pic_level(APICState *s, int level);
/* Does the APIC pass 8259 interrupts to its CPU now? */
bool apic_accept_pic_intr(APICState *s);
/* IOAPICDeliverFn: an interrupt message from an I/O APIC (opaque unused) */
void apic_ioapic_deliver(void *opaque, uint8_t dest, uint8_t dest_mode,
                         uint8_t delivery_mode, uint8_t vector,
                         bool level, uint8_t trigger);
/* An MSI write (address in 0xfee00000-0xfeefffff, data) to the APICs */
void apic_send_msi(uint64_t addr, uint32_t data);
/* Deliver an interrupt message on the APIC bus (IPIs, IOAPIC, MSI) */
void apic_bus_deliver(uint8_t dest, bool logical, int delivery_mode,
                      uint8_t vector, bool level_trigger);

/* ---- Inspection (monitor, tests) ---- */
/* Read a 32-bit register at offset (0x20, 0x30, ... 0x3e0) of s */
uint32_t apic_reg_read(APICState *s, unsigned offset);
void apic_reg_write(APICState *s, unsigned offset, uint32_t val);

#endif
