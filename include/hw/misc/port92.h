/*
 * System control port A at 0x92 ("port92"): bit 1 gates A20 (the named
 * gpio-out "a20", line 0), bit 0 pulses a fast reset.  On-board only.
 */
#ifndef HW_MISC_PORT92_H
#define HW_MISC_PORT92_H

#define TYPE_PORT92 "port92"
#define PORT92_A20_LINE "a20"

#endif
