/* Character devices: driver registry, chardev creation, front-end API. */
#include "emu/osdep.h"
#include "chardev/char.h"
#include "emu/main-loop.h"
#include "emu/timer.h"

#include <fcntl.h>
#include <poll.h>
#include <ctype.h>

#define MAX_DRIVERS 16
#define READ_CHUNK 4096
/* While the front end is full, how often the reader re-checks can_read */
#define READER_RETRY_MS 50
/* chr_fe_write_all gives up after this long without any progress */
#define WRITE_ALL_STALL_MS 5000

static const ChardevDriver *drivers[MAX_DRIVERS];
static int num_drivers;
static Chardev *chardevs;

/* ---- Driver registry ---- */

void chardev_register_driver(const ChardevDriver *drv)
{
    assert(num_drivers < MAX_DRIVERS);
    assert(!chardev_find_driver(drv->name));
    drivers[num_drivers++] = drv;
}

const ChardevDriver *chardev_find_driver(const char *name)
{
    for (int i = 0; i < num_drivers; i++) {
        if (!strcmp(drivers[i]->name, name)) {
            return drivers[i];
        }
    }
    return NULL;
}

static int compare_driver_names(const void *a, const void *b)
{
    const ChardevDriver *const *da = a;
    const ChardevDriver *const *db = b;
    return strcmp((*da)->name, (*db)->name);
}

void chardev_print_help(FILE *f)
{
    const ChardevDriver *sorted[MAX_DRIVERS];

    memcpy(sorted, drivers, sizeof(drivers[0]) * num_drivers);
    qsort(sorted, num_drivers, sizeof(sorted[0]), compare_driver_names);
    fprintf(f, "Available chardev backend types:\n");
    for (int i = 0; i < num_drivers; i++) {
        if (sorted[i]->help) {
            fprintf(f, "  %-8s %s\n", sorted[i]->name, sorted[i]->help);
        } else {
            fprintf(f, "  %s\n", sorted[i]->name);
        }
    }
}

/* ---- Chardev list ---- */

Chardev *chardev_first(void)
{
    return chardevs;
}

Chardev *chardev_find(const char *label)
{
    for (Chardev *chr = chardevs; chr; chr = chr->next) {
        if (!strcmp(chr->label, label)) {
            return chr;
        }
    }
    return NULL;
}

void chardev_set_filename(Chardev *chr, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    char *name = emu_vasprintf(fmt, ap);
    va_end(ap);
    free(chr->filename);
    chr->filename = name;
}

/* Options every backend accepts */
static const OptDesc common_opts[] = {
    { "backend", OPT_STRING, "backend type" },
    { "id", OPT_STRING, "chardev name" },
    { "logfile", OPT_STRING, "also write output to this file" },
    { "logappend", OPT_BOOL, "append to logfile instead of truncating" },
    { "mux", OPT_BOOL, "share with several front ends (Ctrl-a c)" },
    { NULL }
};

static bool validate_opts(EmuOpts *opts, const ChardevDriver *drv,
                          Error **errp)
{
    size_t ncommon = ARRAY_SIZE(common_opts) - 1;
    size_t ndrv = 0;

    while (drv->opts && drv->opts[ndrv].name) {
        ndrv++;
    }
    OptDesc *all = emu_new0(OptDesc, ncommon + ndrv + 1);
    memcpy(all, common_opts, ncommon * sizeof(OptDesc));
    if (ndrv) {
        memcpy(all + ncommon, drv->opts, ndrv * sizeof(OptDesc));
    }
    bool ok = opts_validate(opts, all, "chardev", errp);
    free(all);
    return ok;
}

/* Create one chardev of driver drv, labelled label, from opts. */
static Chardev *chardev_create(const ChardevDriver *drv, const char *label,
                               EmuOpts *opts, bool with_log, Error **errp)
{
    Error *err = NULL;

    if (chardev_find(label)) {
        error_setg(errp, "Chardev '%s' already exists", label);
        return NULL;
    }
    assert(drv->instance_size >= sizeof(Chardev));
    Chardev *chr = emu_malloc0(drv->instance_size);
    chr->label = emu_strdup(label);
    chr->driver = drv;
    chr->logfd = -1;

    const char *logfile = with_log ? opts_get(opts, "logfile") : NULL;
    if (logfile) {
        bool append = opts_get_bool(opts, "logappend", false, &err);
        if (err) {
            error_propagate(errp, err);
            goto fail;
        }
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
                    (append ? O_APPEND : O_TRUNC);
        chr->logfd = open(logfile, flags, 0666);
        if (chr->logfd < 0) {
            error_setg_errno(errp, errno, "Could not open log file '%s'",
                             logfile);
            goto fail;
        }
    }
    if (!drv->open(chr, opts, errp)) {
        goto fail;
    }
    if (!chr->filename) {
        chr->filename = emu_strdup(drv->name);
    }
    /* Append, so that "info chardev" lists in creation order */
    Chardev **pp = &chardevs;
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = chr;
    return chr;

fail:
    if (chr->logfd >= 0) {
        close(chr->logfd);
    }
    free(chr->filename);
    free(chr->label);
    free(chr);
    return NULL;
}

Chardev *chardev_new_from_opts(EmuOpts *opts, Error **errp)
{
    Error *err = NULL;
    const char *backend = opts_get(opts, "backend");
    const char *id = opts_get(opts, "id");

    if (!backend || !*backend) {
        if (id) {
            error_setg(errp, "chardev: \"%s\" missing backend", id);
        } else {
            error_setg(errp, "chardev: backend type is missing");
        }
        return NULL;
    }
    if (!strcmp(backend, "vc")) {
        error_setg(errp, "chardev 'vc' needs a display, not available");
        return NULL;
    }
    const ChardevDriver *drv = chardev_find_driver(backend);
    if (!drv) {
        error_setg(errp, "'%s' is not a valid char driver name", backend);
        error_append_hint(errp, "Use -chardev help to list them");
        return NULL;
    }
    if (!id) {
        error_setg(errp, "Parameter 'id' is missing");
        return NULL;
    }
    if (!id_wellformed(id)) {
        error_setg(errp, "Parameter 'id' expects an identifier");
        error_append_hint(errp, "Identifiers consist of letters, digits, "
                          "'-', '.', '_', starting with a letter.");
        return NULL;
    }
    if (!validate_opts(opts, drv, errp)) {
        return NULL;
    }
    bool mux = opts_get_bool(opts, "mux", false, &err);
    if (err) {
        error_propagate(errp, err);
        return NULL;
    }
    if (!mux) {
        return chardev_create(drv, id, opts, true, errp);
    }

    /* mux=on: the backend becomes "ID-base", the mux on top of it "ID" */
    if (chardev_find(id)) {
        error_setg(errp, "Chardev '%s' already exists", id);
        return NULL;
    }
    char *base_label = emu_asprintf("%s-base", id);
    Chardev *base = chardev_create(drv, base_label, opts, true, errp);
    if (!base) {
        free(base_label);
        return NULL;
    }
    EmuOpts *mux_opts = opts_new();
    opts_set(mux_opts, "backend", "mux");
    opts_set(mux_opts, "id", id);
    opts_set(mux_opts, "chardev", base_label);
    free(base_label);
    Chardev *chr = chardev_create(chardev_find_driver("mux"), id, mux_opts,
                                  false, errp);
    opts_free(mux_opts);
    if (!chr) {
        chardev_delete(base);
    }
    return chr;
}

Chardev *chardev_new_from_cmdline(const char *optarg, Error **errp)
{
    EmuOpts *opts = opts_parse(optarg, "backend", true, errp);
    if (!opts) {
        return NULL;
    }
    Chardev *chr = chardev_new_from_opts(opts, errp);
    opts_free(opts);
    return chr;
}

/* ---- Legacy specs (-serial, -monitor, -qmp) ---- */

/* "HOST:PORT" or "[V6HOST]:PORT" or ":PORT", up to the first ',' */
static bool parse_legacy_inet(EmuOpts *opts, const char *p, const char **rest,
                              Error **errp)
{
    const char *end = strchr(p, ',');
    if (!end) {
        end = p + strlen(p);
    }
    const char *host_start = p, *host_end, *port_start;
    if (*p == '[') {
        host_start = p + 1;
        host_end = memchr(host_start, ']', end - host_start);
        if (!host_end || host_end[1] != ':') {
            goto bad;
        }
        port_start = host_end + 2;
    } else {
        host_end = memchr(p, ':', end - p);
        if (!host_end) {
            goto bad;
        }
        port_start = host_end + 1;
    }
    if (port_start >= end) {
        goto bad;
    }
    char *host = emu_strndup(host_start, host_end - host_start);
    char *port = emu_strndup(port_start, end - port_start);
    opts_set(opts, "host", host);
    opts_set(opts, "port", port);
    free(host);
    free(port);
    *rest = *end == ',' ? end + 1 : end;
    return true;

bad:
    error_setg(errp, "Invalid address '%.*s': expected HOST:PORT",
               (int)(end - p), p);
    return false;
}

/* Append "k=v" options (legacy "server", "nowait" words allowed) */
static bool parse_legacy_flags(EmuOpts *opts, const char *str,
                               const char *implied_key, Error **errp)
{
    if (!*str && !implied_key) {
        return true;
    }
    EmuOpts *extra = opts_parse(str, implied_key, true, errp);
    if (!extra) {
        return false;
    }
    for (EmuOpt *o = extra->head; o; o = o->next) {
        opts_set(opts, o->name, o->value);
    }
    opts_free(extra);
    return true;
}

/* Translate a legacy spec into -chardev options; NULL on error */
static EmuOpts *legacy_spec_to_opts(const char *label, const char *spec,
                                    Error **errp)
{
    EmuOpts *opts = opts_new();
    const char *p;

    opts_set(opts, "id", label);
    if (!strcmp(spec, "null") || !strcmp(spec, "stdio") ||
        !strcmp(spec, "pty") || !strcmp(spec, "vc")) {
        opts_set(opts, "backend", spec);
        return opts;
    }
    if (strstart(spec, "vc:", NULL)) {
        opts_set(opts, "backend", "vc");
        return opts;
    }
    if (strstart(spec, "file:", &p) || strstart(spec, "pipe:", &p)) {
        if (!*p) {
            error_setg(errp, "chardev: %s: missing path", spec);
            goto fail;
        }
        opts_set(opts, "backend", spec[0] == 'f' ? "file" : "pipe");
        opts_set(opts, "path", p);
        return opts;
    }
    if (strstart(spec, "unix:", &p)) {
        opts_set(opts, "backend", "socket");
        if (!*p || *p == ',') {
            error_setg(errp, "chardev: %s: missing socket path", spec);
            goto fail;
        }
        if (!parse_legacy_flags(opts, p, "path", errp)) {
            goto fail;
        }
        return opts;
    }
    if (strstart(spec, "tcp:", &p) || strstart(spec, "telnet:", &p)) {
        opts_set(opts, "backend", "socket");
        if (!parse_legacy_inet(opts, p, &p, errp) ||
            !parse_legacy_flags(opts, p, NULL, errp)) {
            goto fail;
        }
        if (spec[0] == 't' && spec[1] == 'e') {
            opts_set(opts, "telnet", "on");
        }
        return opts;
    }
    if (strstart(spec, "udp:", NULL)) {
        error_setg(errp, "chardev: udp backend is not supported");
        goto fail;
    }
    if (strstart(spec, "/dev/", NULL)) {
        error_setg(errp, "chardev: host serial/parallel devices ('%s') are "
                   "not supported", spec);
        goto fail;
    }
    error_setg(errp, "'%s' is not a valid char driver", spec);
    error_append_hint(errp, "Valid: stdio, null, none, pty, file:PATH, "
                      "pipe:PATH, unix:PATH, tcp:HOST:PORT, mon:SPEC, "
                      "chardev:ID");
fail:
    opts_free(opts);
    return NULL;
}

Chardev *chardev_new_from_spec(const char *label, const char *spec,
                               Error **errp)
{
    const char *p;

    if (!strcmp(spec, "none")) {
        return NULL;
    }
    if (strstart(spec, "chardev:", &p)) {
        Chardev *chr = chardev_find(p);
        if (!chr) {
            error_setg(errp, "chardev '%s' not found", p);
        }
        return chr;
    }
    bool mux = strstart(spec, "mon:", &p);
    if (!mux) {
        p = spec;
    }
    EmuOpts *opts = legacy_spec_to_opts(label, p, errp);
    if (!opts) {
        return NULL;
    }
    if (mux) {
        opts_set(opts, "mux", "on");
    }
    Chardev *chr = chardev_new_from_opts(opts, errp);
    opts_free(opts);
    return chr;
}

/* ---- Deletion ---- */

void chardev_delete(Chardev *chr)
{
    Chardev **pp;

    for (pp = &chardevs; *pp; pp = &(*pp)->next) {
        if (*pp == chr) {
            *pp = chr->next;
            break;
        }
    }
    if (chr->be) {
        chr->be->chr = NULL;
        chr->be = NULL;
    }
    if (chr->driver->close) {
        chr->driver->close(chr);
    }
    if (chr->logfd >= 0) {
        close(chr->logfd);
    }
    free(chr->filename);
    free(chr->label);
    free(chr);
}

void chardev_delete_all(void)
{
    /*
     * Muxes first: they are front ends of their bases, and sit after them
     * in the list.
     */
    bool again = true;
    while (again) {
        again = false;
        for (Chardev *chr = chardevs; chr; chr = chr->next) {
            if (chardev_is_mux(chr)) {
                chardev_delete(chr);
                again = true;
                break;
            }
        }
    }
    while (chardevs) {
        chardev_delete(chardevs);
    }
}

void chardev_cleanup_all(void)
{
    chardev_delete_all();
}

/* ---- Backend side helpers ---- */

int chardev_be_can_read(Chardev *chr)
{
    CharBackend *be = chr->be;
    if (!be || !be->can_read || !be->read) {
        return 0;
    }
    int n = be->can_read(be->opaque);
    return n > 0 ? n : 0;
}

void chardev_be_deliver(Chardev *chr, const uint8_t *buf, int len)
{
    CharBackend *be = chr->be;
    if (be && be->read && len > 0) {
        be->read(be->opaque, buf, len);
    }
}

void chardev_be_event(Chardev *chr, ChrEvent event)
{
    if (event == CHR_EVENT_OPENED) {
        chr->be_open = true;
    } else if (event == CHR_EVENT_CLOSED) {
        chr->be_open = false;
    }
    CharBackend *be = chr->be;
    if (be && be->event) {
        be->event(be->opaque, event);
    }
}

/* ---- fd reader ---- */

static void fd_reader_readable(void *opaque);

static void fd_reader_retry(void *opaque)
{
    chardev_fd_reader_update(opaque);
}

static void fd_reader_set_polling(ChardevFdReader *r, bool on)
{
    if (on == r->polling) {
        return;
    }
    emu_set_fd_handler(r->fd, on ? fd_reader_readable : NULL, NULL, r);
    r->polling = on;
}

void chardev_fd_reader_init(ChardevFdReader *r, Chardev *chr,
                            void (*on_eof)(Chardev *chr, int err))
{
    r->chr = chr;
    r->fd = -1;
    r->polling = false;
    r->retry = NULL;
    r->on_eof = on_eof;
}

void chardev_fd_reader_update(ChardevFdReader *r)
{
    if (r->fd < 0) {
        return;
    }
    if (chardev_be_can_read(r->chr) > 0) {
        if (r->retry) {
            timer_del(r->retry);
        }
        fd_reader_set_polling(r, true);
        return;
    }
    fd_reader_set_polling(r, false);
    /*
     * Only front ends that have a read handler call chr_fe_accept_input;
     * the timer covers the ones that forget.
     */
    if (r->chr->be && r->chr->be->read) {
        if (!r->retry) {
            r->retry = timer_new_ms(EMU_CLOCK_REALTIME, fd_reader_retry, r);
        }
        timer_mod(r->retry,
                  clock_get_ms(EMU_CLOCK_REALTIME) + READER_RETRY_MS);
    }
}

void chardev_fd_reader_start(ChardevFdReader *r, int fd)
{
    chardev_fd_reader_stop(r);
    r->fd = fd;
    chardev_fd_reader_update(r);
}

void chardev_fd_reader_stop(ChardevFdReader *r)
{
    if (r->fd >= 0) {
        fd_reader_set_polling(r, false);
    }
    if (r->retry) {
        timer_del(r->retry);
    }
    r->fd = -1;
}

void chardev_fd_reader_destroy(ChardevFdReader *r)
{
    chardev_fd_reader_stop(r);
    timer_free(r->retry);
    r->retry = NULL;
}

static void fd_reader_readable(void *opaque)
{
    ChardevFdReader *r = opaque;
    uint8_t buf[READ_CHUNK];
    struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

    int room = chardev_be_can_read(r->chr);
    if (room <= 0) {
        chardev_fd_reader_update(r);
        return;
    }
    /* Some fds (stdin) stay blocking: make sure read() cannot wait */
    if (poll(&pfd, 1, 0) <= 0) {
        return;
    }
    ssize_t n = read(r->fd, buf, MIN(room, (int)sizeof(buf)));
    if (n > 0) {
        chardev_be_deliver(r->chr, buf, n);
        /* The front end may have filled up, or stopped reading */
        if (r->fd >= 0) {
            chardev_fd_reader_update(r);
        }
        return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    int err = n < 0 ? errno : 0;
    chardev_fd_reader_stop(r);
    if (r->on_eof) {
        r->on_eof(r->chr, err);
    }
}

/* ---- Front end ---- */

bool chr_fe_init(CharBackend *be, Chardev *chr, Error **errp)
{
    memset(be, 0, sizeof(*be));
    be->tag = -1;
    if (!chr) {
        return true;
    }
    if (chr->driver->fe_attach) {
        if (!chr->driver->fe_attach(chr, be, errp)) {
            return false;
        }
    } else {
        if (chr->be) {
            error_setg(errp, "Device '%s' is in use", chr->label);
            return false;
        }
        chr->be = be;
    }
    be->chr = chr;
    return true;
}

void chr_fe_deinit(CharBackend *be)
{
    Chardev *chr = be->chr;

    if (chr) {
        if (chr->driver->fe_detach) {
            chr->driver->fe_detach(chr, be);
        } else if (chr->be == be) {
            be->can_read = NULL;
            be->read = NULL;
            be->event = NULL;
            if (chr->driver->update_read_handler) {
                chr->driver->update_read_handler(chr);
            }
            chr->be = NULL;
        }
    }
    memset(be, 0, sizeof(*be));
    be->tag = -1;
}

void chr_fe_set_handlers(CharBackend *be, IOCanReadHandler *can_read,
                         IOReadHandler *read, IOEventHandler *event,
                         void *opaque)
{
    Chardev *chr = be->chr;

    be->can_read = can_read;
    be->read = read;
    be->event = event;
    be->opaque = opaque;
    if (!chr) {
        return;
    }
    if (chr->driver->fe_handlers_changed) {
        chr->driver->fe_handlers_changed(chr, be);
        return;
    }
    if (chr->driver->update_read_handler) {
        chr->driver->update_read_handler(chr);
    }
    /* Joining a backend that is already connected: it still gets OPENED */
    if (event && chr->be_open) {
        event(opaque, CHR_EVENT_OPENED);
    }
}

bool chr_fe_backend_connected(CharBackend *be)
{
    return be->chr != NULL;
}

bool chr_fe_backend_open(CharBackend *be)
{
    return be->chr && be->chr->be_open;
}

static void chardev_write_log(Chardev *chr, const uint8_t *buf, int len)
{
    if (chr->logfd >= 0 && len > 0) {
        if (emu_write_full(chr->logfd, buf, len) < 0) {
            /* A broken log must not break the device: stop logging */
            close(chr->logfd);
            chr->logfd = -1;
        }
    }
}

int chr_fe_write(CharBackend *be, const uint8_t *buf, int len)
{
    Chardev *chr = be->chr;

    if (!chr || len <= 0) {
        return 0;
    }
    int n = chr->driver->write(chr, buf, len);
    if (n > 0) {
        chardev_write_log(chr, buf, n);
    }
    return n;
}

static void wait_writable(Chardev *chr, int timeout_ms)
{
    int fd = chr->driver->write_fd ? chr->driver->write_fd(chr) : -1;

    if (fd >= 0) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        poll(&pfd, 1, timeout_ms);
    } else {
        usleep(1000);
    }
}

int chr_fe_write_all(CharBackend *be, const uint8_t *buf, int len)
{
    Chardev *chr = be->chr;
    int done = 0;
    int64_t stall_start = -1;

    if (!chr || len <= 0) {
        return 0;
    }
    while (done < len) {
        int n = chr->driver->write(chr, buf + done, len - done);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                return done ? done : -1;
            }
            n = 0;
        }
        if (n > 0) {
            chardev_write_log(chr, buf + done, n);
            done += n;
            stall_start = -1;
            continue;
        }
        int64_t now = get_clock_monotonic() / SCALE_MS;
        if (stall_start < 0) {
            stall_start = now;
        } else if (now - stall_start >= WRITE_ALL_STALL_MS) {
            /* The reader is gone or stuck; don't hang the main loop */
            errno = EAGAIN;
            return done ? done : -1;
        }
        wait_writable(chr, 100);
    }
    return done;
}

void chr_fe_printf(CharBackend *be, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    char *s = emu_vasprintf(fmt, ap);
    va_end(ap);
    chr_fe_write_all(be, (const uint8_t *)s, strlen(s));
    free(s);
}

void chr_fe_accept_input(CharBackend *be)
{
    Chardev *chr = be->chr;

    if (chr && chr->driver->accept_input) {
        chr->driver->accept_input(chr);
    }
}

void chr_fe_take_focus(CharBackend *be)
{
    Chardev *chr = be->chr;

    if (chr && chr->driver->fe_take_focus) {
        chr->driver->fe_take_focus(chr, be);
    }
}
