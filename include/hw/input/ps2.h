/*
 * PS/2 keyboard and mouse, as seen by the keyboard controller (i8042).
 *
 * They are not devices of their own: the i8042 embeds one of each, moves
 * bytes between their output queues and its output buffer, and passes the
 * guest's writes to them.  The UI feeds input with ps2_keyboard_event()
 * and ps2_mouse_event(); i8042_keyboard()/i8042_mouse() (hw/input/i8042.h)
 * find them on a board.
 */
#ifndef HW_INPUT_PS2_H
#define HW_INPUT_PS2_H

#include "emu/osdep.h"
#include "migration/vmstate.h"

/* Output queue; a real keyboard buffers 16 bytes of key data */
#define PS2_QUEUE_SIZE      256
#define PS2_KBD_QUEUE_LIMIT 16

/* Mouse buttons for ps2_mouse_event(), in PS/2 packet order */
#define PS2_MOUSE_BUTTON_LEFT   0x01
#define PS2_MOUSE_BUTTON_RIGHT  0x02
#define PS2_MOUSE_BUTTON_MIDDLE 0x04
#define PS2_MOUSE_BUTTON_SIDE   0x08    /* button 4 (IntelliMouse Explorer) */
#define PS2_MOUSE_BUTTON_EXTRA  0x10    /* button 5 */

typedef struct PS2State PS2State;

/* Called when the queue has gained data, for the controller to fetch it */
typedef void PS2UpdateFunc(void *opaque);

struct PS2State {
    uint8_t queue[PS2_QUEUE_SIZE];
    uint16_t rptr;
    uint16_t count;
    int32_t write_cmd;          /* command awaiting its parameter, or -1 */
    uint8_t last_byte;          /* last byte taken, for "resend" */
    bool is_mouse;
    PS2UpdateFunc *update;
    void *update_opaque;
};

typedef struct PS2KbdState {
    PS2State common;
    bool scan_enabled;
    uint8_t scancode_set;       /* 1, 2 or 3 */
    uint8_t leds;
    uint8_t typematic;
} PS2KbdState;

typedef struct PS2MouseState {
    PS2State common;
    uint8_t status;             /* remote mode, enabled, 2:1 scaling */
    uint8_t resolution;
    uint8_t sample_rate;
    bool wrap;
    uint8_t type;               /* device id: 0, 3 (ImPS/2), 4 (ExPS/2) */
    uint8_t detect_state;       /* progress through a magic rate sequence */
    uint8_t buttons;
    int32_t dx, dy, dz;         /* motion not yet reported, PS/2 axes */
} PS2MouseState;

void ps2_kbd_init(PS2KbdState *s, PS2UpdateFunc *update, void *opaque);
void ps2_mouse_init(PS2MouseState *s, PS2UpdateFunc *update, void *opaque);
/* Power-on state (the controller resets them with itself) */
void ps2_kbd_reset(PS2KbdState *s);
void ps2_mouse_reset(PS2MouseState *s);

static inline bool ps2_data_pending(const PS2State *s)
{
    return s->count != 0;
}
/* Take the next byte; the last one again when empty */
uint8_t ps2_read_data(PS2State *s);
/* Queue a byte as if the device sent it (i8042 commands 0xd2/0xd3) */
void ps2_queue_byte(PS2State *s, uint8_t byte);
/* A byte from the host (controller) to the device */
void ps2_write_keyboard(PS2KbdState *s, uint8_t val);
void ps2_write_mouse(PS2MouseState *s, uint8_t val);

/*
 * Key input.  qnum is the key's scan code set 1 code, with 0x80 added
 * for E0-prefixed keys (QEMU's "qnum" numbering, as used by VNC's
 * extended key events and sendkey): 0x1e is A, 0xc8 is Up.  Pause is
 * 0xc6.  Autorepeat comes from the host as repeated down events (as in
 * QEMU); the typematic setting is only stored.
 */
void ps2_keyboard_event(PS2KbdState *s, int qnum, bool down);
/*
 * Mouse input: relative motion in screen directions (dx right, dy down),
 * dz wheel clicks (positive: towards the user), buttons PS2_MOUSE_BUTTON_*.
 */
void ps2_mouse_event(PS2MouseState *s, int dx, int dy, int dz,
                     unsigned buttons);

/*
 * i8042 translation of a scan code set 2 byte to set 1 (without the
 * break-prefix handling, which the controller does).
 */
uint8_t ps2_translate_set2(uint8_t byte);

extern const VMStateDescription ps2_kbd_vmstate;
extern const VMStateDescription ps2_mouse_vmstate;

#endif
