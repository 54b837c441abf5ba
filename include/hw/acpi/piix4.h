/*
 * PIIX4 power management function ("PIIX4_PM", 82371AB function 3,
 * 8086:7113 rev 03): ACPI PM1 event/control blocks and the PM timer in a
 * 64-byte I/O block at PMBA (config 0x40, enabled by PMREGMISC 0x80 bit
 * 0), SCI on ISA IRQ 9, the power button and soft-off.
 *
 * Sleep types written to PM1_CNT.SLP_TYP (what the DSDT's \_Sx objects
 * must hold, as in QEMU's tables): S5 = 0 (soft off), S3 = 1 (not
 * supported: logged), S4 = the "s4_val" property (2), treated as soft off.
 */
#ifndef HW_ACPI_PIIX4_H
#define HW_ACPI_PIIX4_H

#include "hw/pci/pci.h"

#define TYPE_PIIX4_PM               "PIIX4_PM"

#define PIIX4_PM_IO_SIZE            64
#define PIIX4_PMBA                  0x40
#define PIIX4_PMREGMISC             0x80
#define PIIX4_SCI_IRQ               9

#define ACPI_PM_TIMER_FREQUENCY     3579545

/* PM1 registers (offsets in the PM I/O block) */
#define ACPI_PM1_STS                0x00
#define ACPI_PM1_EN                 0x02
#define ACPI_PM1_CNT                0x04
#define ACPI_PM_TMR                 0x08

#define ACPI_BITMASK_TIMER_STATUS       0x0001
#define ACPI_BITMASK_BUS_MASTER_STATUS  0x0010
#define ACPI_BITMASK_GLOBAL_LOCK_STATUS 0x0020
#define ACPI_BITMASK_POWER_BUTTON_STATUS 0x0100
#define ACPI_BITMASK_SLEEP_BUTTON_STATUS 0x0200
#define ACPI_BITMASK_RT_CLOCK_STATUS    0x0400
#define ACPI_BITMASK_WAKE_STATUS        0x8000
#define ACPI_BITMASK_TIMER_ENABLE       0x0001
#define ACPI_BITMASK_GLOBAL_LOCK_ENABLE 0x0020
#define ACPI_BITMASK_POWER_BUTTON_ENABLE 0x0100
#define ACPI_BITMASK_RT_CLOCK_ENABLE    0x0400
#define ACPI_BITMASK_SCI_ENABLE         0x0001
#define ACPI_BITMASK_SLEEP_TYPE         0x1c00
#define ACPI_BITMASK_SLEEP_ENABLE       0x2000

#define PIIX4_SLP_TYP_S5            0
#define PIIX4_SLP_TYP_S3            1

/*
 * Create "PIIX4_PM" at devfn (QEMU: 01.3) on bus.  The SCI goes to IRQ 9
 * of the ISA bus behind PIIX3 (the lines set with isa_bus_set_irqs).  It
 * also installs itself as the system powerdown notifier (the ACPI power
 * button).
 */
DeviceState *piix4_pm_init(PCIBus *bus, int devfn, Error **errp);

#endif
