/*
 * The PC keyboard controller ("i8042"): ports 0x60 (data) and 0x64
 * (status/command), keyboard on ISA IRQ 1, mouse on IRQ 12, and the named
 * gpio-out "a20" (output port bit 1) for the board's A20 gate.  Output
 * port bit 0 and commands 0xf0-0xfe with bit 0 clear request a guest reset.
 */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include "hw/qdev.h"
#include "hw/input/ps2.h"

#define TYPE_I8042 "i8042"
#define I8042_A20_LINE "a20"

/* The keyboard and mouse behind an i8042, for input routing (UI) */
PS2KbdState *i8042_keyboard(DeviceState *i8042);
PS2MouseState *i8042_mouse(DeviceState *i8042);

#endif
