/* Pty chardev: a pseudo-terminal; the guest side is /dev/pts/N. */
#include "emu/osdep.h"
#include "chardev/char.h"
#include "emu/timer.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>

/* While nobody has the slave open, check this often whether someone does */
#define PTY_POLL_MS 1000

typedef struct PtyChardev {
    Chardev parent;
    int master_fd;
    char *slave_name;
    bool connected;
    ChardevFdReader reader;
    EmuTimer *poll_timer;
} PtyChardev;

static PtyChardev *to_pty(Chardev *chr)
{
    return container_of(chr, PtyChardev, parent);
}

/* With no slave open, the master reports POLLHUP */
static bool pty_slave_open(PtyChardev *s)
{
    struct pollfd pfd = { .fd = s->master_fd, .events = POLLIN };

    return poll(&pfd, 1, 0) >= 0 && !(pfd.revents & POLLHUP);
}

static void pty_check_connection(PtyChardev *s);

static void pty_poll_timer_cb(void *opaque)
{
    pty_check_connection(opaque);
}

static void pty_set_connected(PtyChardev *s, bool connected)
{
    Chardev *chr = &s->parent;

    if (connected == s->connected) {
        return;
    }
    s->connected = connected;
    if (connected) {
        timer_del(s->poll_timer);
        chardev_fd_reader_start(&s->reader, s->master_fd);
        chardev_be_event(chr, CHR_EVENT_OPENED);
    } else {
        /* Polling a hung-up master would spin: check on a timer instead */
        chardev_fd_reader_stop(&s->reader);
        timer_mod(s->poll_timer,
                  clock_get_ms(EMU_CLOCK_REALTIME) + PTY_POLL_MS);
        chardev_be_event(chr, CHR_EVENT_CLOSED);
    }
}

static void pty_check_connection(PtyChardev *s)
{
    if (pty_slave_open(s)) {
        pty_set_connected(s, true);
    } else if (!s->connected) {
        timer_mod(s->poll_timer,
                  clock_get_ms(EMU_CLOCK_REALTIME) + PTY_POLL_MS);
    } else {
        pty_set_connected(s, false);
    }
}

static void pty_eof(Chardev *chr, int err)
{
    /* read() gives EIO once the last slave fd is closed */
    PtyChardev *s = to_pty(chr);

    s->connected = true;
    pty_set_connected(s, false);
}

static bool pty_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    PtyChardev *s = to_pty(chr);
    struct termios tty;

    chardev_fd_reader_init(&s->reader, chr, pty_eof);
    s->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s->master_fd < 0) {
        error_setg_errno(errp, errno, "Failed to create PTY");
        return false;
    }
    const char *name = NULL;
    if (grantpt(s->master_fd) < 0 || unlockpt(s->master_fd) < 0 ||
        !(name = ptsname(s->master_fd))) {
        error_setg_errno(errp, errno, "Failed to create PTY");
        close(s->master_fd);
        return false;
    }
    s->slave_name = emu_strdup(name);
    /* Raw mode on the slave side, so the guest sees bytes unchanged */
    int slave = open(s->slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave >= 0) {
        if (tcgetattr(slave, &tty) == 0) {
            cfmakeraw(&tty);
            tcsetattr(slave, TCSAFLUSH, &tty);
        }
        close(slave);
    }
    emu_set_nonblock(s->master_fd);
    s->poll_timer = timer_new_ms(EMU_CLOCK_REALTIME, pty_poll_timer_cb, s);
    chardev_set_filename(chr, "pty:%s", s->slave_name);
    /* QEMU prints this; scripts look for it */
    error_report("char device redirected to %s (label %s)", s->slave_name,
                 chr->label);
    pty_check_connection(s);
    return true;
}

static int pty_write(Chardev *chr, const uint8_t *buf, int len)
{
    PtyChardev *s = to_pty(chr);

    if (!s->connected) {
        pty_check_connection(s);
        if (!s->connected) {
            return len;         /* nobody listens: drop, like a cable-less UART */
        }
    }
    for (;;) {
        ssize_t n = write(s->master_fd, buf, len);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN) {
            return 0;
        }
        if (errno == EIO) {
            pty_set_connected(s, false);
            return len;
        }
        return -1;
    }
}

static int pty_write_fd(Chardev *chr)
{
    return to_pty(chr)->master_fd;
}

static void pty_update(Chardev *chr)
{
    PtyChardev *s = to_pty(chr);

    if (s->connected) {
        chardev_fd_reader_update(&s->reader);
    } else {
        pty_check_connection(s);
    }
}

static void pty_close(Chardev *chr)
{
    PtyChardev *s = to_pty(chr);

    chardev_fd_reader_destroy(&s->reader);
    timer_free(s->poll_timer);
    s->poll_timer = NULL;
    if (s->master_fd >= 0) {
        close(s->master_fd);
        s->master_fd = -1;
    }
    free(s->slave_name);
    s->slave_name = NULL;
}

static const ChardevDriver pty_driver = {
    .name = "pty",
    .help = "a new pseudo-terminal (/dev/pts/N)",
    .instance_size = sizeof(PtyChardev),
    .open = pty_open,
    .write = pty_write,
    .accept_input = pty_update,
    .update_read_handler = pty_update,
    .close = pty_close,
    .write_fd = pty_write_fd,
};

static void __attribute__((constructor)) pty_register(void)
{
    chardev_register_driver(&pty_driver);
}
