/*
 * Character devices: byte streams between emu and the outside (stdio,
 * files, pipes, ptys, sockets), shared by serial ports, the monitor and
 * qtest.
 *
 * A Chardev is the backend ("-chardev socket,id=mon0,path=/tmp/m,server=on").
 * A front end (a UART, the monitor) attaches through a CharBackend and
 * receives bytes through can_read/read callbacks, run in the main loop.
 * A "mux" chardev lets several front ends share one backend; Ctrl-a c
 * switches the focus.
 */
#ifndef CHARDEV_CHAR_H
#define CHARDEV_CHAR_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/option.h"

typedef enum ChrEvent {
    CHR_EVENT_BREAK = 0,   /* serial break (Ctrl-a b) */
    CHR_EVENT_OPENED,      /* backend connected / focus gained (mux) */
    CHR_EVENT_MUX_IN,      /* mux: this front end got the focus */
    CHR_EVENT_MUX_OUT,     /* mux: this front end lost the focus */
    CHR_EVENT_CLOSED,      /* peer disconnected */
} ChrEvent;

typedef int IOCanReadHandler(void *opaque);   /* bytes it can take now */
typedef void IOReadHandler(void *opaque, const uint8_t *buf, int size);
typedef void IOEventHandler(void *opaque, ChrEvent event);

typedef struct Chardev Chardev;
typedef struct CharBackend CharBackend;
typedef struct ChardevDriver ChardevDriver;

struct CharBackend {
    Chardev *chr;
    IOCanReadHandler *can_read;
    IOReadHandler *read;
    IOEventHandler *event;
    void *opaque;
    int tag;                /* index in a mux, -1 otherwise */
};

struct ChardevDriver {
    const char *name;               /* "socket", "stdio", ... */
    const char *help;
    size_t instance_size;           /* >= sizeof(Chardev) */
    const OptDesc *opts;            /* backend-specific options */
    /*
     * Open; the generic part (id, logfile) is already set.  A backend that
     * is connected right away calls chardev_be_event(chr, CHR_EVENT_OPENED);
     * chr->filename defaults to the driver name.
     */
    bool (*open)(Chardev *chr, EmuOpts *opts, Error **errp);
    /*
     * Write as much as possible without blocking; returns bytes (0: would
     * block) or -1.  With no peer connected, drop the data and return len.
     */
    int (*write)(Chardev *chr, const uint8_t *buf, int len);
    /* The front end can take more input: re-arm reading */
    void (*accept_input)(Chardev *chr);
    /* Front-end set/cleared handlers (for mux/stdio focus logic) */
    void (*update_read_handler)(Chardev *chr);
    void (*close)(Chardev *chr);
    /* Optional: short description for "info chardev" (filename) */
    char *(*describe)(Chardev *chr);
    /*
     * Optional: fd that chr_fe_write_all() polls for POLLOUT when write()
     * made no progress (-1: none, it then sleeps briefly).
     */
    int (*write_fd)(Chardev *chr);
    /*
     * Optional, for chardevs shared by several front ends (mux).  Without
     * them a chardev takes exactly one front end.
     */
    bool (*fe_attach)(Chardev *chr, CharBackend *be, Error **errp);
    void (*fe_detach)(Chardev *chr, CharBackend *be);
    void (*fe_handlers_changed)(Chardev *chr, CharBackend *be);
    void (*fe_take_focus)(Chardev *chr, CharBackend *be);
};

struct Chardev {
    char *label;                /* id */
    char *filename;             /* "unix:/tmp/m,server=on" style, for info */
    const ChardevDriver *driver;
    CharBackend *be;            /* attached front end (NULL if none) */
    bool be_open;               /* connected to a peer */
    bool is_mux_child;          /* used by a mux */
    int logfd;                  /* logfile=, -1 if none */
    struct Chardev *next;
};

/* Registry of drivers (each backend file registers its driver) */
void chardev_register_driver(const ChardevDriver *drv);
const ChardevDriver *chardev_find_driver(const char *name);
void chardev_print_help(FILE *f);

/*
 * Create from "-chardev" options (backend,id=...,...).  Errors name the
 * offending option.
 */
Chardev *chardev_new_from_opts(EmuOpts *opts, Error **errp);
/* Parse the argument of -chardev ("socket,id=m,path=...,server,nowait"). */
Chardev *chardev_new_from_cmdline(const char *optarg, Error **errp);
/*
 * Create from a QEMU-style legacy spec, as for -serial/-monitor/-qmp:
 * "stdio", "null", "vc", "pty", "file:PATH", "pipe:PATH",
 * "unix:PATH[,server=on][,wait=off]", "tcp:HOST:PORT[,server...]",
 * "mon:stdio" (mux with a monitor), "chardev:ID" (existing).
 * "none" returns NULL without setting errp (no device wanted); "mon:SPEC"
 * creates SPEC as "LABEL-base" and returns the mux "LABEL" on top of it.
 */
Chardev *chardev_new_from_spec(const char *label, const char *spec,
                               Error **errp);
Chardev *chardev_find(const char *label);
void chardev_delete(Chardev *chr);
void chardev_delete_all(void);
/* Iterate: for (chr = chardev_first(); chr; chr = chr->next) */
Chardev *chardev_first(void);
/* Driver helper: backend received bytes; delivers to the front end */
void chardev_be_deliver(Chardev *chr, const uint8_t *buf, int len);
/* How many bytes the front end can take now */
int chardev_be_can_read(Chardev *chr);
/* Driver helper: signal an event to the front end */
void chardev_be_event(Chardev *chr, ChrEvent event);
/* Driver helper: replace chr->filename (printf-style) */
void chardev_set_filename(Chardev *chr, const char *fmt, ...) EMU_PRINTF(2, 3);

/*
 * Driver helper: reads an fd in the main loop and hands the bytes to the
 * front end, never more than it can take.  While the front end is full the
 * fd is not polled; chr_fe_accept_input() (and, as a safety net, a short
 * timer) resumes reading.  on_eof runs after read() returned 0 (err == 0)
 * or failed (err = errno); the reader has already stopped then.
 */
typedef struct ChardevFdReader {
    Chardev *chr;
    int fd;                     /* -1 while stopped */
    bool polling;               /* fd handler installed */
    struct EmuTimer *retry;
    void (*on_eof)(Chardev *chr, int err);
} ChardevFdReader;
void chardev_fd_reader_init(ChardevFdReader *r, Chardev *chr,
                            void (*on_eof)(Chardev *chr, int err));
void chardev_fd_reader_start(ChardevFdReader *r, int fd);
void chardev_fd_reader_stop(ChardevFdReader *r);
/* Re-check whether the front end can take input (accept_input etc.) */
void chardev_fd_reader_update(ChardevFdReader *r);
void chardev_fd_reader_destroy(ChardevFdReader *r);

/* ---- Mux ---- */
#define MUX_MAX_FRONTENDS 4
bool chardev_is_mux(Chardev *chr);
/*
 * Escape character (-echr), default 0x01 (Ctrl-a).
 * Focus follows QEMU: a front end that sets handlers takes the focus
 * (MUX_OUT to the old one, MUX_IN to it); Ctrl-a c and chr_fe_take_focus()
 * move it too.  OPENED is held back until the main loop first runs (start-
 * up is done, the focus has settled), then goes to every front end; later
 * front ends get it from chr_fe_set_handlers.  Backend OPENED/CLOSED go to
 * every front end, BREAK (Ctrl-a b) to the focused one.
 */
void chardev_mux_set_escape_char(int ch);

/* ---- Front end ---- */
bool chr_fe_init(CharBackend *be, Chardev *chr, Error **errp);
void chr_fe_deinit(CharBackend *be);
void chr_fe_set_handlers(CharBackend *be, IOCanReadHandler *can_read,
                         IOReadHandler *read, IOEventHandler *event,
                         void *opaque);
bool chr_fe_backend_connected(CharBackend *be);
bool chr_fe_backend_open(CharBackend *be);
/* Non-blocking; returns bytes written (may be < len) or -1 */
int chr_fe_write(CharBackend *be, const uint8_t *buf, int len);
/* Writes everything, waiting if the backend is slow; -1 on error */
int chr_fe_write_all(CharBackend *be, const uint8_t *buf, int len);
void chr_fe_printf(CharBackend *be, const char *fmt, ...) EMU_PRINTF(2, 3);
/* Front end has room again: backend may deliver more */
void chr_fe_accept_input(CharBackend *be);
/* Mux only: give the focus to this front end */
void chr_fe_take_focus(CharBackend *be);

/*
 * At exit: close every chardev (restores the terminal, removes unix server
 * sockets).  stdio also restores the terminal from atexit() on its own.
 */
void chardev_cleanup_all(void);

#endif
