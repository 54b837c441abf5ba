/* Mux chardev: several front ends share one backend; Ctrl-a commands. */
#include "emu/osdep.h"
#include "chardev/char.h"
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "system/runstate.h"

/* Per front end input buffer: lets escapes through while it is busy */
#define MUX_BUFFER_SIZE 32
#define MUX_DRAIN_RETRY_MS 50

typedef struct MuxChardev {
    Chardev parent;
    CharBackend base_be;        /* the mux is the front end of its backend */
    CharBackend *fes[MUX_MAX_FRONTENDS];
    int focus;                  /* tag of the focused front end, -1: none */
    bool got_escape;
    uint8_t buf[MUX_MAX_FRONTENDS][MUX_BUFFER_SIZE];
    unsigned prod[MUX_MAX_FRONTENDS];
    unsigned cons[MUX_MAX_FRONTENDS];
    EmuTimer *drain_retry;
    EmuBH *realize_bh;
    bool realized;              /* set-up done: OPENED may be sent */
    bool timestamps;
    bool linestart;
    int64_t timestamps_start;   /* ms on EMU_CLOCK_REALTIME */
} MuxChardev;

static int mux_escape_char = 0x01;   /* Ctrl-a */

static const ChardevDriver mux_driver;

void chardev_mux_set_escape_char(int ch)
{
    mux_escape_char = ch;
}

bool chardev_is_mux(Chardev *chr)
{
    return chr && chr->driver == &mux_driver;
}

static MuxChardev *to_mux(Chardev *chr)
{
    return container_of(chr, MuxChardev, parent);
}

static void mux_send_event(MuxChardev *d, int tag, ChrEvent event)
{
    CharBackend *be = tag >= 0 ? d->fes[tag] : NULL;

    if (be && be->event) {
        be->event(be->opaque, event);
    }
}

static unsigned mux_buffered(MuxChardev *d, int tag)
{
    return d->prod[tag] - d->cons[tag];
}

static void mux_drain_retry(void *opaque);

/* Hand buffered input to the focused front end, as much as it takes */
static void mux_drain(MuxChardev *d)
{
    int tag = d->focus;
    CharBackend *be = tag >= 0 ? d->fes[tag] : NULL;

    if (!be) {
        return;
    }
    while (mux_buffered(d, tag) && be->can_read && be->read) {
        int room = be->can_read(be->opaque);
        if (room <= 0) {
            break;
        }
        unsigned start = d->cons[tag] % MUX_BUFFER_SIZE;
        unsigned run = MIN(mux_buffered(d, tag), MUX_BUFFER_SIZE - start);
        run = MIN(run, (unsigned)room);
        d->cons[tag] += run;
        be->read(be->opaque, &d->buf[tag][start], run);
        /* The read handler may have moved the focus or detached */
        if (d->focus != tag || d->fes[tag] != be) {
            return;
        }
    }
    if (mux_buffered(d, tag) && be->read) {
        if (!d->drain_retry) {
            d->drain_retry = timer_new_ms(EMU_CLOCK_REALTIME,
                                          mux_drain_retry, d);
        }
        timer_mod(d->drain_retry,
                  clock_get_ms(EMU_CLOCK_REALTIME) + MUX_DRAIN_RETRY_MS);
    }
}

/* Room freed or focus moved: drain, then let the backend read again */
static void mux_kick(MuxChardev *d)
{
    mux_drain(d);
    chr_fe_accept_input(&d->base_be);
}

static void mux_drain_retry(void *opaque)
{
    mux_kick(opaque);
}

static void mux_set_focus(MuxChardev *d, int tag)
{
    assert(tag >= 0 && tag < MUX_MAX_FRONTENDS && d->fes[tag]);
    mux_send_event(d, d->focus, CHR_EVENT_MUX_OUT);
    d->focus = tag;
    mux_send_event(d, tag, CHR_EVENT_MUX_IN);
    mux_kick(d);
}

static void mux_focus_next(MuxChardev *d)
{
    for (int i = 1; i <= MUX_MAX_FRONTENDS; i++) {
        int tag = (d->focus + i) % MUX_MAX_FRONTENDS;
        if (tag >= 0 && d->fes[tag]) {
            mux_set_focus(d, tag);
            return;
        }
    }
}

static void mux_write_all(MuxChardev *d, const char *s, size_t len)
{
    chr_fe_write_all(&d->base_be, (const uint8_t *)s, len);
}

static void mux_print_help(MuxChardev *d)
{
    static const char *const lines[] = {
        "% h    print this help",
        "% x    exit emulator",
        "% s    save disk data back to file (if -snapshot)",
        "% t    toggle console timestamps",
        "% b    send break (magic sysrq)",
        "% c    switch between console and monitor",
        "% %  sends %",
    };
    char esc[16];
    StrBuf sb;

    strbuf_init(&sb);
    if (mux_escape_char > 0 && mux_escape_char < 27) {
        snprintf(esc, sizeof(esc), "C-%c", 'a' + mux_escape_char - 1);
        strbuf_append(&sb, "\n\r");
    } else {
        snprintf(esc, sizeof(esc), "Escape-Char");
        strbuf_printf(&sb, "\n\rEscape-Char set to Ascii: 0x%02x\n\r\n\r",
                      mux_escape_char & 0xff);
    }
    for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
        for (const char *p = lines[i]; *p; p++) {
            if (*p == '%') {
                strbuf_append(&sb, esc);
            } else {
                strbuf_append_len(&sb, p, 1);
            }
        }
        strbuf_append(&sb, "\n\r");
    }
    mux_write_all(d, sb.str, sb.len);
    strbuf_free(&sb);
}

/* Returns true when ch is plain input for the focused front end */
static bool mux_process_byte(MuxChardev *d, uint8_t ch)
{
    if (!d->got_escape) {
        if (ch == mux_escape_char) {
            d->got_escape = true;
            return false;
        }
        return true;
    }
    d->got_escape = false;
    if (ch == mux_escape_char) {
        return true;            /* C-a C-a sends one C-a */
    }
    switch (ch) {
    case '?':
    case 'h':
        mux_print_help(d);
        break;
    case 'x': {
        /* as QEMU: say why the terminal is about to be given back */
        static const char term[] = "emu: Terminated\n\r";
        mux_write_all(d, term, strlen(term));
        system_shutdown_request(SHUTDOWN_CAUSE_HOST_UI);
    }
        break;
    case 's':
        /* Committing -snapshot disks needs the block layer: not yet */
        break;
    case 'b':
        mux_send_event(d, d->focus, CHR_EVENT_BREAK);
        break;
    case 'c':
        mux_focus_next(d);
        break;
    case 't':
        d->timestamps = !d->timestamps;
        d->timestamps_start = -1;
        d->linestart = false;
        break;
    default:
        break;                  /* unknown commands are swallowed */
    }
    return false;
}

/* ---- The mux as front end of its backend ---- */

static int mux_base_can_read(void *opaque)
{
    MuxChardev *d = opaque;
    int tag = d->focus;

    if (tag < 0 || !d->fes[tag]) {
        return 0;
    }
    return MUX_BUFFER_SIZE - mux_buffered(d, tag);
}

static void mux_base_read(void *opaque, const uint8_t *buf, int size)
{
    MuxChardev *d = opaque;

    for (int i = 0; i < size; i++) {
        if (!mux_process_byte(d, buf[i])) {
            continue;
        }
        int tag = d->focus;
        if (tag < 0 || !d->fes[tag]) {
            continue;
        }
        if (mux_buffered(d, tag) == MUX_BUFFER_SIZE) {
            mux_drain(d);
            if (mux_buffered(d, tag) == MUX_BUFFER_SIZE) {
                /* focus changed mid-chunk onto a full buffer */
                continue;
            }
        }
        d->buf[tag][d->prod[tag]++ % MUX_BUFFER_SIZE] = buf[i];
    }
    mux_drain(d);
}

static void mux_base_event(void *opaque, ChrEvent event)
{
    MuxChardev *d = opaque;

    if (!d->realized && (event == CHR_EVENT_OPENED ||
                         event == CHR_EVENT_CLOSED)) {
        return;                 /* mux_realize reports the state */
    }
    if (event == CHR_EVENT_OPENED) {
        d->parent.be_open = true;
    } else if (event == CHR_EVENT_CLOSED) {
        d->parent.be_open = false;
    }
    if (event == CHR_EVENT_BREAK) {
        mux_send_event(d, d->focus, event);
        return;
    }
    for (int tag = 0; tag < MUX_MAX_FRONTENDS; tag++) {
        mux_send_event(d, tag, event);
    }
}

/* ---- The mux as chardev of its front ends ---- */

/*
 * Runs once the main loop turns, i.e. after start-up attached every front
 * end and the focus settled (QEMU waits for machine init the same way):
 * only then do front ends hear OPENED, so that a monitor without the focus
 * keeps its banner until the user switches to it.
 */
static void mux_realize(void *opaque)
{
    MuxChardev *d = opaque;
    Chardev *base = d->base_be.chr;

    if (d->realized) {
        return;
    }
    d->realized = true;
    if (base && base->be_open) {
        mux_base_event(d, CHR_EVENT_OPENED);
    }
    mux_kick(d);
}

static const OptDesc mux_opts[] = {
    { "chardev", OPT_STRING, "the chardev to share" },
    { NULL }
};

static bool mux_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    MuxChardev *d = to_mux(chr);
    const char *name = opts_get(opts, "chardev");

    d->focus = -1;
    if (!name) {
        error_setg(errp, "chardev: mux: Parameter 'chardev' is missing");
        return false;
    }
    Chardev *base = chardev_find(name);
    if (!base) {
        error_setg(errp, "chardev: mux: chardev '%s' not found", name);
        return false;
    }
    if (chardev_is_mux(base)) {
        error_setg(errp, "chardev: mux: '%s' is already a mux", name);
        return false;
    }
    if (!chr_fe_init(&d->base_be, base, errp)) {
        return false;
    }
    base->is_mux_child = true;
    chr_fe_set_handlers(&d->base_be, mux_base_can_read, mux_base_read,
                        mux_base_event, d);
    d->realize_bh = bh_new(mux_realize, d);
    bh_schedule(d->realize_bh);
    return true;
}

static void mux_close(Chardev *chr)
{
    MuxChardev *d = to_mux(chr);

    for (int tag = 0; tag < MUX_MAX_FRONTENDS; tag++) {
        if (d->fes[tag]) {
            d->fes[tag]->chr = NULL;
            d->fes[tag] = NULL;
        }
    }
    if (d->base_be.chr) {
        d->base_be.chr->is_mux_child = false;
    }
    chr_fe_deinit(&d->base_be);
    timer_free(d->drain_retry);
    d->drain_retry = NULL;
    if (d->realize_bh) {
        bh_delete(d->realize_bh);
        d->realize_bh = NULL;
    }
}

static void mux_stamp(MuxChardev *d)
{
    int64_t now = clock_get_ms(EMU_CLOCK_REALTIME);
    char stamp[64];

    if (d->timestamps_start < 0) {
        d->timestamps_start = now;
    }
    int64_t ms = now - d->timestamps_start;
    int64_t secs = ms / 1000;
    snprintf(stamp, sizeof(stamp), "[%02d:%02d:%02d.%03d] ",
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
             (int)(ms % 1000));
    mux_write_all(d, stamp, strlen(stamp));
}

static int mux_write(Chardev *chr, const uint8_t *buf, int len)
{
    MuxChardev *d = to_mux(chr);

    if (!d->timestamps) {
        return chr_fe_write(&d->base_be, buf, len);
    }
    /* Rare, interactive use: simplest to write each line out fully */
    int start = 0;
    for (int i = 0; i < len; i++) {
        if (d->linestart) {
            mux_stamp(d);
            d->linestart = false;
        }
        if (buf[i] == '\n') {
            mux_write_all(d, (const char *)buf + start, i + 1 - start);
            start = i + 1;
            d->linestart = true;
        }
    }
    if (start < len) {
        mux_write_all(d, (const char *)buf + start, len - start);
    }
    return len;
}

static int mux_write_fd(Chardev *chr)
{
    Chardev *base = to_mux(chr)->base_be.chr;

    if (base && base->driver->write_fd) {
        return base->driver->write_fd(base);
    }
    return -1;
}

static void mux_accept_input(Chardev *chr)
{
    mux_kick(to_mux(chr));
}

static bool mux_fe_attach(Chardev *chr, CharBackend *be, Error **errp)
{
    MuxChardev *d = to_mux(chr);

    for (int tag = 0; tag < MUX_MAX_FRONTENDS; tag++) {
        if (!d->fes[tag]) {
            d->fes[tag] = be;
            be->tag = tag;
            return true;
        }
    }
    error_setg(errp, "chardev '%s': too many front ends on a mux (max %d)",
               chr->label, MUX_MAX_FRONTENDS);
    return false;
}

static void mux_fe_detach(Chardev *chr, CharBackend *be)
{
    MuxChardev *d = to_mux(chr);
    int tag = be->tag;

    if (tag < 0 || tag >= MUX_MAX_FRONTENDS || d->fes[tag] != be) {
        return;
    }
    d->fes[tag] = NULL;
    d->prod[tag] = d->cons[tag] = 0;
    if (d->focus == tag) {
        /* The focus moves on as with C-a c; the leaver hears nothing */
        d->focus = -1;
        for (int i = 1; i < MUX_MAX_FRONTENDS; i++) {
            int next = (tag + i) % MUX_MAX_FRONTENDS;
            if (d->fes[next]) {
                mux_set_focus(d, next);
                break;
            }
        }
    }
}

static void mux_fe_handlers_changed(Chardev *chr, CharBackend *be)
{
    MuxChardev *d = to_mux(chr);

    if (!be->can_read && !be->read && !be->event) {
        return;                 /* handlers removed */
    }
    /* As in QEMU, the front end that sets up last has the focus */
    if (d->focus != be->tag) {
        mux_set_focus(d, be->tag);
    }
    if (d->realized && chr->be_open && be->event) {
        be->event(be->opaque, CHR_EVENT_OPENED);
    }
    mux_kick(d);
}

static void mux_fe_take_focus(Chardev *chr, CharBackend *be)
{
    MuxChardev *d = to_mux(chr);

    if (be->tag >= 0 && be->tag < MUX_MAX_FRONTENDS &&
        d->fes[be->tag] == be && d->focus != be->tag) {
        mux_set_focus(d, be->tag);
    }
}

static const ChardevDriver mux_driver = {
    .name = "mux",
    .help = "share a chardev between front ends (chardev=ID)",
    .instance_size = sizeof(MuxChardev),
    .opts = mux_opts,
    .open = mux_open,
    .write = mux_write,
    .accept_input = mux_accept_input,
    .close = mux_close,
    .write_fd = mux_write_fd,
    .fe_attach = mux_fe_attach,
    .fe_detach = mux_fe_detach,
    .fe_handlers_changed = mux_fe_handlers_changed,
    .fe_take_focus = mux_fe_take_focus,
};

static void __attribute__((constructor)) mux_register(void)
{
    chardev_register_driver(&mux_driver);
}
