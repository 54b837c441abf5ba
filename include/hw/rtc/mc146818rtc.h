/*
 * Motorola MC146818 real-time clock with 128 bytes of CMOS RAM
 * ("mc146818rtc"): ports iobase (index, bit 7 masks NMI) and iobase+1
 * (data), IRQ 8.  Properties: iobase (0x70), irq (8), base_year (0).
 *
 * The time starts at the host's UTC wall clock and, like QEMU's default
 * "-rtc base=utc,clock=host", follows EMU_CLOCK_HOST; rtc_set_clock()
 * switches to another clock (EMU_CLOCK_VIRTUAL: time stops while the VM
 * is paused; tests step it by hand).
 */
#ifndef HW_RTC_MC146818RTC_H
#define HW_RTC_MC146818RTC_H

#include "hw/isa/isa.h"
#include "emu/timer.h"

#define TYPE_MC146818_RTC "mc146818rtc"
#define RTC_ISA_IRQ 8
#define RTC_CMOS_SIZE 128

/* CMOS offsets the board fills in */
#define RTC_REG_CENTURY 0x32

DeviceState *mc146818_rtc_init(ISABus *bus, int base_year, Error **errp);

/* CMOS RAM access for the board and tests; addr outside 0..127 is ignored */
void rtc_set_memory(DeviceState *dev, int addr, int val);
int rtc_get_memory(DeviceState *dev, int addr);
/* Bit 7 of the last index written to port 0x70: NMIs masked */
bool rtc_nmi_masked(DeviceState *dev);
/* Clock that the date/time and the interrupts follow (keeps the time) */
void rtc_set_clock(DeviceState *dev, EmuClockType clock);

#endif
