/* PS/2 keyboard (scan code sets 1-3) and mouse (standard, ImPS/2, ExPS/2). */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/input/ps2.h"

/* Replies shared by keyboard and mouse */
#define PS2_ACK         0xfa
#define PS2_RESEND      0xfe
#define PS2_SELFTEST_OK 0xaa
#define PS2_ECHO        0xee

/* Keyboard commands */
#define KBD_CMD_SET_LEDS        0xed
#define KBD_CMD_ECHO            0xee
#define KBD_CMD_SCANCODE        0xf0
#define KBD_CMD_GET_ID          0xf2
#define KBD_CMD_SET_RATE        0xf3
#define KBD_CMD_ENABLE          0xf4
#define KBD_CMD_RESET_DISABLE   0xf5
#define KBD_CMD_RESET_ENABLE    0xf6
#define KBD_CMD_SET_ALL_TYPEM   0xf7    /* 0xf7-0xfd: set 3 key types */
#define KBD_CMD_SET_KEY_MAKE    0xfd
#define KBD_CMD_RESEND          0xfe
#define KBD_CMD_RESET           0xff

/* Mouse commands */
#define AUX_SET_SCALE11     0xe6
#define AUX_SET_SCALE21     0xe7
#define AUX_SET_RES         0xe8
#define AUX_GET_SCALE       0xe9    /* status request */
#define AUX_SET_STREAM      0xea
#define AUX_POLL            0xeb
#define AUX_RESET_WRAP      0xec
#define AUX_SET_WRAP        0xee
#define AUX_SET_REMOTE      0xf0
#define AUX_GET_TYPE        0xf2
#define AUX_SET_SAMPLE      0xf3
#define AUX_ENABLE_DEV      0xf4
#define AUX_DISABLE_DEV     0xf5
#define AUX_SET_DEFAULT     0xf6
#define AUX_RESEND          0xfe
#define AUX_RESET           0xff

/* Mouse status byte (reply to 0xe9) */
#define MOUSE_STATUS_REMOTE 0x40
#define MOUSE_STATUS_ENABLE 0x20
#define MOUSE_STATUS_SCALE  0x10

#define QNUM_PAUSE      0xc6
#define QNUM_PRINT      0xb7

/*
 * qnum (set 1 code, +0x80 for E0 keys) to scan code set 2.  E0 keys keep
 * their E0 prefix in set 2; the table holds the byte after it.
 */
static const uint8_t qnum_to_set2[256] = {
    [0x01] = 0x76, [0x02] = 0x16, [0x03] = 0x1e, [0x04] = 0x26,
    [0x05] = 0x25, [0x06] = 0x2e, [0x07] = 0x36, [0x08] = 0x3d,
    [0x09] = 0x3e, [0x0a] = 0x46, [0x0b] = 0x45, [0x0c] = 0x4e,
    [0x0d] = 0x55, [0x0e] = 0x66, [0x0f] = 0x0d, [0x10] = 0x15,
    [0x11] = 0x1d, [0x12] = 0x24, [0x13] = 0x2d, [0x14] = 0x2c,
    [0x15] = 0x35, [0x16] = 0x3c, [0x17] = 0x43, [0x18] = 0x44,
    [0x19] = 0x4d, [0x1a] = 0x54, [0x1b] = 0x5b, [0x1c] = 0x5a,
    [0x1d] = 0x14, [0x1e] = 0x1c, [0x1f] = 0x1b, [0x20] = 0x23,
    [0x21] = 0x2b, [0x22] = 0x34, [0x23] = 0x33, [0x24] = 0x3b,
    [0x25] = 0x42, [0x26] = 0x4b, [0x27] = 0x4c, [0x28] = 0x52,
    [0x29] = 0x0e, [0x2a] = 0x12, [0x2b] = 0x5d, [0x2c] = 0x1a,
    [0x2d] = 0x22, [0x2e] = 0x21, [0x2f] = 0x2a, [0x30] = 0x32,
    [0x31] = 0x31, [0x32] = 0x3a, [0x33] = 0x41, [0x34] = 0x49,
    [0x35] = 0x4a, [0x36] = 0x59, [0x37] = 0x7c, [0x38] = 0x11,
    [0x39] = 0x29, [0x3a] = 0x58, [0x3b] = 0x05, [0x3c] = 0x06,
    [0x3d] = 0x04, [0x3e] = 0x0c, [0x3f] = 0x03, [0x40] = 0x0b,
    [0x41] = 0x83, [0x42] = 0x0a, [0x43] = 0x01, [0x44] = 0x09,
    [0x45] = 0x77, [0x46] = 0x7e, [0x47] = 0x6c, [0x48] = 0x75,
    [0x49] = 0x7d, [0x4a] = 0x7b, [0x4b] = 0x6b, [0x4c] = 0x73,
    [0x4d] = 0x74, [0x4e] = 0x79, [0x4f] = 0x69, [0x50] = 0x72,
    [0x51] = 0x7a, [0x52] = 0x70, [0x53] = 0x71, [0x54] = 0x84,
    [0x56] = 0x61, [0x57] = 0x78, [0x58] = 0x07,
    /* E0 keys */
    [0x9c] = 0x5a,  /* keypad Enter */
    [0x9d] = 0x14,  /* right Ctrl */
    [0xb5] = 0x4a,  /* keypad / */
    [0xb7] = 0x7c,  /* Print Screen (sent with its fake shift, see below) */
    [0xb8] = 0x11,  /* right Alt */
    [0xc7] = 0x6c,  /* Home */
    [0xc8] = 0x75,  /* Up */
    [0xc9] = 0x7d,  /* Page Up */
    [0xcb] = 0x6b,  /* Left */
    [0xcd] = 0x74,  /* Right */
    [0xcf] = 0x69,  /* End */
    [0xd0] = 0x72,  /* Down */
    [0xd1] = 0x7a,  /* Page Down */
    [0xd2] = 0x70,  /* Insert */
    [0xd3] = 0x71,  /* Delete */
    [0xdb] = 0x1f,  /* left GUI */
    [0xdc] = 0x27,  /* right GUI */
    [0xdd] = 0x2f,  /* Menu */
    [0xde] = 0x37,  /* Power */
    [0xdf] = 0x3f,  /* Sleep */
    [0xe3] = 0x5e,  /* Wake */
};

/*
 * Scan code set 3 where it differs from set 2 (letters, digits, keypad
 * digits and most punctuation are the same).  Set 3 has no E0 prefixes.
 */
static const uint8_t qnum_to_set3_diff[256] = {
    [0x01] = 0x08, [0x1d] = 0x11, [0x2b] = 0x5c, [0x37] = 0x7e,
    [0x38] = 0x19, [0x3a] = 0x14, [0x3b] = 0x07, [0x3c] = 0x0f,
    [0x3d] = 0x17, [0x3e] = 0x1f, [0x3f] = 0x27, [0x40] = 0x2f,
    [0x41] = 0x37, [0x42] = 0x3f, [0x43] = 0x47, [0x44] = 0x4f,
    [0x45] = 0x76, [0x46] = 0x5f, [0x4a] = 0x84, [0x4e] = 0x7c,
    [0x54] = 0x57, [0x56] = 0x13, [0x57] = 0x56, [0x58] = 0x5e,
    [0x9c] = 0x79, [0x9d] = 0x58, [0xb5] = 0x77, [0xb7] = 0x57,
    [0xb8] = 0x39, [0xc6] = 0x62, [0xc7] = 0x6e, [0xc8] = 0x63,
    [0xc9] = 0x6f, [0xcb] = 0x61, [0xcd] = 0x6a, [0xcf] = 0x65,
    [0xd0] = 0x60, [0xd1] = 0x6d, [0xd2] = 0x67, [0xd3] = 0x64,
    [0xdb] = 0x8b, [0xdc] = 0x8c, [0xdd] = 0x8d,
};

/* The i8042's set 2 -> set 1 table, derived from the key tables */
static uint8_t set2_to_set1[256];

static void __attribute__((constructor)) ps2_build_translation(void)
{
    for (int i = 0; i < 256; i++) {
        set2_to_set1[i] = i;
    }
    /* E0 keys first so that plain keys win where both use a byte */
    for (int q = 0xff; q > 0; q--) {
        if (qnum_to_set2[q]) {
            set2_to_set1[qnum_to_set2[q]] = q & 0x7f;
        }
    }
    /* key overrun (set 2: 0x00, set 1: 0xff) and the set-number reply */
    set2_to_set1[0x00] = 0xff;
    set2_to_set1[0x02] = 0x41;
}

uint8_t ps2_translate_set2(uint8_t byte)
{
    return set2_to_set1[byte];
}

/* ---- Queue ---- */

static unsigned ps2_queue_free(const PS2State *s)
{
    return PS2_QUEUE_SIZE - s->count;
}

void ps2_queue_byte(PS2State *s, uint8_t byte)
{
    if (s->count >= PS2_QUEUE_SIZE) {
        return;
    }
    s->queue[(s->rptr + s->count) % PS2_QUEUE_SIZE] = byte;
    s->count++;
    if (s->update) {
        s->update(s->update_opaque);
    }
}

/*
 * Queue a multi-byte unit (key sequence, mouse packet) before telling the
 * controller, so that nothing it triggers can land inside the unit.
 */
static void ps2_queue_bytes(PS2State *s, const uint8_t *bytes, unsigned n)
{
    for (unsigned i = 0; i < n && s->count < PS2_QUEUE_SIZE; i++) {
        s->queue[(s->rptr + s->count) % PS2_QUEUE_SIZE] = bytes[i];
        s->count++;
    }
    if (n && s->update) {
        s->update(s->update_opaque);
    }
}

static void ps2_queue_clear(PS2State *s)
{
    s->rptr = 0;
    s->count = 0;
}

static void ps2_mouse_flush_motion(PS2MouseState *s, bool force);

uint8_t ps2_read_data(PS2State *s)
{
    if (s->count) {
        s->last_byte = s->queue[s->rptr];
        s->rptr = (s->rptr + 1) % PS2_QUEUE_SIZE;
        s->count--;
        if (!s->count && s->is_mouse) {
            /* room again: report motion that did not fit before */
            ps2_mouse_flush_motion((PS2MouseState *)s, false);
        }
    }
    return s->last_byte;
}

static void ps2_common_reset(PS2State *s)
{
    ps2_queue_clear(s);
    s->write_cmd = -1;
    s->last_byte = 0;
}

/* ---- Keyboard ---- */

static void ps2_kbd_set_defaults(PS2KbdState *s)
{
    s->scancode_set = 2;
    s->typematic = 0x2b;        /* 10.9 characters/s after 500 ms */
    s->leds = 0;
}

void ps2_kbd_reset(PS2KbdState *s)
{
    ps2_common_reset(&s->common);
    ps2_kbd_set_defaults(s);
    s->scan_enabled = true;
}

void ps2_kbd_init(PS2KbdState *s, PS2UpdateFunc *update, void *opaque)
{
    memset(s, 0, sizeof(*s));
    s->common.update = update;
    s->common.update_opaque = opaque;
    ps2_kbd_reset(s);
}

/* Bytes for one key transition in the current scan code set */
static unsigned ps2_key_bytes(PS2KbdState *s, int qnum, bool down,
                              uint8_t *out)
{
    unsigned n = 0;
    bool ext = qnum & 0x80;

    if (s->scancode_set == 1) {
        if (qnum == QNUM_PAUSE) {
            static const uint8_t pause[] = { 0xe1, 0x1d, 0x45,
                                             0xe1, 0x9d, 0xc5 };
            if (!down) {
                return 0;
            }
            memcpy(out, pause, sizeof(pause));
            return sizeof(pause);
        }
        if (qnum == QNUM_PRINT) {
            static const uint8_t make[] = { 0xe0, 0x2a, 0xe0, 0x37 };
            static const uint8_t brk[] = { 0xe0, 0xb7, 0xe0, 0xaa };
            memcpy(out, down ? make : brk, 4);
            return 4;
        }
        if (ext) {
            out[n++] = 0xe0;
        }
        out[n++] = (qnum & 0x7f) | (down ? 0 : 0x80);
        return n;
    }
    if (s->scancode_set == 2) {
        if (qnum == QNUM_PAUSE) {
            static const uint8_t pause[] = { 0xe1, 0x14, 0x77, 0xe1,
                                             0xf0, 0x14, 0xf0, 0x77 };
            if (!down) {
                return 0;
            }
            memcpy(out, pause, sizeof(pause));
            return sizeof(pause);
        }
        if (qnum == QNUM_PRINT) {
            static const uint8_t make[] = { 0xe0, 0x12, 0xe0, 0x7c };
            static const uint8_t brk[] = { 0xe0, 0xf0, 0x7c,
                                           0xe0, 0xf0, 0x12 };
            if (down) {
                memcpy(out, make, sizeof(make));
                return sizeof(make);
            }
            memcpy(out, brk, sizeof(brk));
            return sizeof(brk);
        }
        if (!qnum_to_set2[qnum]) {
            return 0;
        }
        if (ext) {
            out[n++] = 0xe0;
        }
        if (!down) {
            out[n++] = 0xf0;
        }
        out[n++] = qnum_to_set2[qnum];
        return n;
    }
    /* set 3: every key make/break, no prefixes */
    uint8_t code = qnum_to_set3_diff[qnum] ? qnum_to_set3_diff[qnum] :
                   qnum_to_set2[qnum];
    if (!code) {
        return 0;
    }
    if (!down) {
        out[n++] = 0xf0;
    }
    out[n++] = code;
    return n;
}

void ps2_keyboard_event(PS2KbdState *s, int qnum, bool down)
{
    uint8_t bytes[8];
    unsigned n;

    if (!s->scan_enabled || qnum <= 0 || qnum > 0xff) {
        return;
    }
    n = ps2_key_bytes(s, qnum, down, bytes);
    if (!n) {
        return;
    }
    /* the last buffer slot is kept for the overrun code */
    if (s->common.count + n > PS2_KBD_QUEUE_LIMIT - 1) {
        /* the keyboard's buffer overflows: it reports an overrun once */
        if (s->common.count < PS2_KBD_QUEUE_LIMIT) {
            ps2_queue_byte(&s->common, s->scancode_set == 1 ? 0xff : 0x00);
        }
        return;
    }
    ps2_queue_bytes(&s->common, bytes, n);
}

static void ps2_kbd_ack(PS2KbdState *s)
{
    ps2_queue_byte(&s->common, PS2_ACK);
}

void ps2_write_keyboard(PS2KbdState *s, uint8_t val)
{
    /*
     * Parameters are all below 0x80: a byte with bit 7 set while one is
     * awaited is a new command, as keyboards treat it.
     */
    if (s->common.write_cmd >= 0 && !(val & 0x80)) {
        int cmd = s->common.write_cmd;
        s->common.write_cmd = -1;
        switch (cmd) {
        case KBD_CMD_SET_LEDS:
            s->leds = val & 0x07;
            ps2_kbd_ack(s);
            return;
        case KBD_CMD_SET_RATE:
            s->typematic = val & 0x7f;
            ps2_kbd_ack(s);
            return;
        case KBD_CMD_SCANCODE:
            if (val == 0) {
                ps2_kbd_ack(s);
                ps2_queue_byte(&s->common, s->scancode_set);
            } else if (val <= 3) {
                s->scancode_set = val;
                ps2_kbd_ack(s);
            } else {
                emu_log_mask(LOG_GUEST_ERROR, "ps2: invalid scan code set "
                             "%u\n", val);
                ps2_queue_byte(&s->common, PS2_RESEND);
            }
            return;
        default:
            break;
        }
    }
    s->common.write_cmd = -1;

    switch (val) {
    case KBD_CMD_SET_LEDS:
    case KBD_CMD_SET_RATE:
    case KBD_CMD_SCANCODE:
        s->common.write_cmd = val;
        ps2_kbd_ack(s);
        break;
    case KBD_CMD_ECHO:
        ps2_queue_byte(&s->common, PS2_ECHO);
        break;
    case KBD_CMD_GET_ID:
        ps2_kbd_ack(s);
        ps2_queue_byte(&s->common, 0xab);
        ps2_queue_byte(&s->common, 0x83);
        break;
    case KBD_CMD_ENABLE:
        s->scan_enabled = true;
        ps2_kbd_ack(s);
        break;
    case KBD_CMD_RESET_DISABLE:
        ps2_kbd_set_defaults(s);
        s->scan_enabled = false;
        ps2_kbd_ack(s);
        break;
    case KBD_CMD_RESET_ENABLE:
        ps2_kbd_set_defaults(s);
        s->scan_enabled = true;
        ps2_kbd_ack(s);
        break;
    case KBD_CMD_RESEND:
        ps2_queue_byte(&s->common, s->common.last_byte);
        break;
    case KBD_CMD_RESET:
        ps2_kbd_reset(s);
        ps2_kbd_ack(s);
        ps2_queue_byte(&s->common, PS2_SELFTEST_OK);
        break;
    default:
        if (val >= KBD_CMD_SET_ALL_TYPEM && val <= KBD_CMD_SET_KEY_MAKE) {
            /* set 3 per-key make/break/typematic attributes */
            emu_log_mask(LOG_UNIMP, "ps2: keyboard command 0x%02x ignored\n",
                         val);
            ps2_kbd_ack(s);
            break;
        }
        emu_log_mask(LOG_GUEST_ERROR, "ps2: unknown keyboard command "
                     "0x%02x\n", val);
        ps2_queue_byte(&s->common, PS2_RESEND);
        break;
    }
}

/* ---- Mouse ---- */

static void ps2_mouse_set_defaults(PS2MouseState *s)
{
    s->status = 0;              /* stream mode, disabled, 1:1 */
    s->resolution = 2;          /* 4 counts/mm */
    s->sample_rate = 100;
    s->dx = s->dy = s->dz = 0;
}

void ps2_mouse_reset(PS2MouseState *s)
{
    ps2_common_reset(&s->common);
    ps2_mouse_set_defaults(s);
    s->wrap = false;
    s->type = 0;
    s->detect_state = 0;
    s->buttons = 0;
}

void ps2_mouse_init(PS2MouseState *s, PS2UpdateFunc *update, void *opaque)
{
    memset(s, 0, sizeof(*s));
    s->common.is_mouse = true;
    s->common.update = update;
    s->common.update_opaque = opaque;
    ps2_mouse_reset(s);
}

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static unsigned ps2_mouse_packet_size(PS2MouseState *s)
{
    return s->type ? 4 : 3;
}

/* Send one packet with as much of the pending motion as fits */
static void ps2_mouse_send_packet(PS2MouseState *s)
{
    int dx = clamp_int(s->dx, -256, 255);
    int dy = clamp_int(s->dy, -256, 255);
    int dz;
    uint8_t b[4];

    b[0] = 0x08 | (s->buttons & 0x07) | (dx < 0 ? 0x10 : 0) |
           (dy < 0 ? 0x20 : 0);
    b[1] = dx & 0xff;
    b[2] = dy & 0xff;
    if (s->type == 4) {
        dz = clamp_int(s->dz, -8, 7);
        b[3] = (dz & 0x0f) |
               ((s->buttons & PS2_MOUSE_BUTTON_SIDE) ? 0x10 : 0) |
               ((s->buttons & PS2_MOUSE_BUTTON_EXTRA) ? 0x20 : 0);
    } else if (s->type == 3) {
        dz = clamp_int(s->dz, -127, 127);
        b[3] = dz & 0xff;
    } else {
        dz = s->dz;             /* a plain mouse has no wheel */
    }
    /*
     * Account before queueing: the controller may take a byte at once,
     * and an emptied queue asks for the rest of the motion.
     */
    s->dx -= dx;
    s->dy -= dy;
    s->dz -= dz;
    ps2_queue_bytes(&s->common, b, ps2_mouse_packet_size(s));
}

/*
 * In stream mode with reporting on, send packets until the motion is
 * reported or the queue is full (the rest goes once the host reads).
 * force: send one packet even without motion (button change).
 */
static void ps2_mouse_flush_motion(PS2MouseState *s, bool force)
{
    if ((s->status & MOUSE_STATUS_REMOTE) ||
        !(s->status & MOUSE_STATUS_ENABLE)) {
        return;
    }
    /* keep the queue short so that replies to commands are not delayed */
    for (int i = 0; i < 16; i++) {
        if (!force && !s->dx && !s->dy && !s->dz) {
            break;
        }
        if (ps2_queue_free(&s->common) < ps2_mouse_packet_size(s) ||
            s->common.count >= 64) {
            break;
        }
        ps2_mouse_send_packet(s);
        force = false;
    }
}

void ps2_mouse_event(PS2MouseState *s, int dx, int dy, int dz,
                     unsigned buttons)
{
    bool buttons_changed = (buttons & 0x1f) != s->buttons;

    s->buttons = buttons & 0x1f;
    if (!(s->status & MOUSE_STATUS_REMOTE) &&
        !(s->status & MOUSE_STATUS_ENABLE)) {
        /* reporting disabled: the motion is not counted */
        return;
    }
    /* PS/2 y grows upwards; bound the counters so they cannot overflow */
    s->dx = clamp_int(s->dx + clamp_int(dx, -65536, 65536), -65536, 65536);
    s->dy = clamp_int(s->dy - clamp_int(dy, -65536, 65536), -65536, 65536);
    s->dz = clamp_int(s->dz + clamp_int(dz, -256, 256), -256, 256);
    ps2_mouse_flush_motion(s, buttons_changed);
}

static void ps2_mouse_ack(PS2MouseState *s)
{
    ps2_queue_byte(&s->common, PS2_ACK);
}

/* IntelliMouse knocks: rates 200,100,80 give id 3; 200,200,80 give id 4 */
static void ps2_mouse_detect(PS2MouseState *s, uint8_t rate)
{
    switch (s->detect_state) {
    case 1:                     /* seen 200 */
        if (rate == 100) {
            s->detect_state = 2;
            return;
        }
        if (rate == 200) {
            s->detect_state = 3;
            return;
        }
        break;
    case 2:                     /* seen 200, 100 */
        if (rate == 80) {
            s->type = 3;
            s->detect_state = 0;
            return;
        }
        break;
    case 3:                     /* seen 200, 200 */
        if (rate == 80) {
            s->type = 4;
            s->detect_state = 0;
            return;
        }
        if (rate == 100) {
            /* the second 200 may start the ImPS/2 sequence */
            s->detect_state = 2;
            return;
        }
        break;
    default:
        break;
    }
    s->detect_state = rate == 200 ? 1 : 0;
}

void ps2_write_mouse(PS2MouseState *s, uint8_t val)
{
    if (s->common.write_cmd >= 0) {
        int cmd = s->common.write_cmd;
        s->common.write_cmd = -1;
        switch (cmd) {
        case AUX_SET_SAMPLE:
            s->sample_rate = val;
            ps2_mouse_detect(s, val);
            ps2_mouse_ack(s);
            return;
        case AUX_SET_RES:
            s->resolution = val & 3;
            ps2_mouse_ack(s);
            return;
        default:
            break;
        }
    }
    if (s->wrap && val != AUX_RESET_WRAP && val != AUX_RESET) {
        /* wrap (echo) mode sends every byte back */
        ps2_queue_byte(&s->common, val);
        return;
    }

    switch (val) {
    case AUX_SET_SCALE11:
        s->status &= ~MOUSE_STATUS_SCALE;
        ps2_mouse_ack(s);
        break;
    case AUX_SET_SCALE21:
        s->status |= MOUSE_STATUS_SCALE;
        ps2_mouse_ack(s);
        break;
    case AUX_SET_RES:
    case AUX_SET_SAMPLE:
        s->common.write_cmd = val;
        ps2_mouse_ack(s);
        break;
    case AUX_GET_SCALE: {
        /* status byte: mode bits, then left, middle, right buttons */
        uint8_t st = s->status |
                     ((s->buttons & PS2_MOUSE_BUTTON_LEFT) ? 0x04 : 0) |
                     ((s->buttons & PS2_MOUSE_BUTTON_MIDDLE) ? 0x02 : 0) |
                     ((s->buttons & PS2_MOUSE_BUTTON_RIGHT) ? 0x01 : 0);
        ps2_mouse_ack(s);
        ps2_queue_byte(&s->common, st);
        ps2_queue_byte(&s->common, s->resolution);
        ps2_queue_byte(&s->common, s->sample_rate);
        break;
    }
    case AUX_SET_STREAM:
        s->status &= ~MOUSE_STATUS_REMOTE;
        ps2_mouse_ack(s);
        break;
    case AUX_POLL:
        ps2_mouse_ack(s);
        ps2_mouse_send_packet(s);
        break;
    case AUX_RESET_WRAP:
        s->wrap = false;
        ps2_mouse_ack(s);
        break;
    case AUX_SET_WRAP:
        s->wrap = true;
        ps2_mouse_ack(s);
        break;
    case AUX_SET_REMOTE:
        s->status |= MOUSE_STATUS_REMOTE;
        ps2_mouse_ack(s);
        break;
    case AUX_GET_TYPE:
        ps2_mouse_ack(s);
        ps2_queue_byte(&s->common, s->type);
        break;
    case AUX_ENABLE_DEV:
        s->status |= MOUSE_STATUS_ENABLE;
        s->dx = s->dy = s->dz = 0;
        ps2_mouse_ack(s);
        break;
    case AUX_DISABLE_DEV:
        s->status &= ~MOUSE_STATUS_ENABLE;
        ps2_mouse_ack(s);
        break;
    case AUX_SET_DEFAULT:
        ps2_mouse_set_defaults(s);
        ps2_mouse_ack(s);
        break;
    case AUX_RESEND:
        ps2_queue_byte(&s->common, s->common.last_byte);
        break;
    case AUX_RESET:
        ps2_mouse_reset(s);
        ps2_mouse_ack(s);
        ps2_queue_byte(&s->common, PS2_SELFTEST_OK);
        ps2_queue_byte(&s->common, s->type);
        break;
    default:
        emu_log_mask(LOG_GUEST_ERROR, "ps2: unknown mouse command 0x%02x\n",
                     val);
        ps2_queue_byte(&s->common, PS2_RESEND);
        break;
    }
}

/* ---- Migration ---- */

static int ps2_common_check(PS2State *s)
{
    if (s->rptr >= PS2_QUEUE_SIZE || s->count > PS2_QUEUE_SIZE ||
        s->write_cmd < -1 || s->write_cmd > 0xff) {
        return -EINVAL;
    }
    return 0;
}

static int ps2_kbd_post_load(void *opaque, int version_id)
{
    PS2KbdState *s = opaque;

    if (ps2_common_check(&s->common) < 0 ||
        s->scancode_set < 1 || s->scancode_set > 3) {
        return -EINVAL;
    }
    return 0;
}

static int ps2_mouse_post_load(void *opaque, int version_id)
{
    PS2MouseState *s = opaque;

    if (ps2_common_check(&s->common) < 0 ||
        (s->type != 0 && s->type != 3 && s->type != 4) ||
        s->detect_state > 3) {
        return -EINVAL;
    }
    s->dx = clamp_int(s->dx, -65536, 65536);
    s->dy = clamp_int(s->dy, -65536, 65536);
    s->dz = clamp_int(s->dz, -256, 256);
    s->buttons &= 0x1f;
    return 0;
}

#define PS2_COMMON_FIELDS(_s)                                   \
    VMSTATE_FIELD_("queue", VMS_BUFFER, _s, common.queue,       \
                   PS2_QUEUE_SIZE, 0),                          \
    VMSTATE_FIELD_("rptr", VMS_UINT16, _s, common.rptr, 1, 0),  \
    VMSTATE_FIELD_("count", VMS_UINT16, _s, common.count, 1, 0), \
    VMSTATE_FIELD_("write_cmd", VMS_INT32, _s, common.write_cmd, 1, 0), \
    VMSTATE_FIELD_("last_byte", VMS_UINT8, _s, common.last_byte, 1, 0)

static const VMStateField ps2_kbd_fields[] = {
    PS2_COMMON_FIELDS(PS2KbdState),
    VMSTATE_BOOL(scan_enabled, PS2KbdState),
    VMSTATE_UINT8(scancode_set, PS2KbdState),
    VMSTATE_UINT8(leds, PS2KbdState),
    VMSTATE_UINT8(typematic, PS2KbdState),
    VMSTATE_END_OF_LIST(),
};

const VMStateDescription ps2_kbd_vmstate = {
    .name = "ps2kbd",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = ps2_kbd_post_load,
    .fields = ps2_kbd_fields,
};

static const VMStateField ps2_mouse_fields[] = {
    PS2_COMMON_FIELDS(PS2MouseState),
    VMSTATE_UINT8(status, PS2MouseState),
    VMSTATE_UINT8(resolution, PS2MouseState),
    VMSTATE_UINT8(sample_rate, PS2MouseState),
    VMSTATE_BOOL(wrap, PS2MouseState),
    VMSTATE_UINT8(type, PS2MouseState),
    VMSTATE_UINT8(detect_state, PS2MouseState),
    VMSTATE_UINT8(buttons, PS2MouseState),
    VMSTATE_INT32(dx, PS2MouseState),
    VMSTATE_INT32(dy, PS2MouseState),
    VMSTATE_INT32(dz, PS2MouseState),
    VMSTATE_END_OF_LIST(),
};

const VMStateDescription ps2_mouse_vmstate = {
    .name = "ps2mouse",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = ps2_mouse_post_load,
    .fields = ps2_mouse_fields,
};
