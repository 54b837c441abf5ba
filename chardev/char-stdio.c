/* Stdio chardev: the terminal emu runs in (raw mode while in use). */
#include "emu/osdep.h"
#include "chardev/char.h"

#include <poll.h>
#include <termios.h>

typedef struct StdioChardev {
    Chardev parent;
    ChardevFdReader reader;
} StdioChardev;

/* Terminal state to put back at exit; one stdio chardev at most */
static bool stdio_in_use;
static bool stdio_termios_saved;
static struct termios stdio_saved_termios;
static bool stdio_atexit_registered;

static StdioChardev *to_stdio(Chardev *chr)
{
    return container_of(chr, StdioChardev, parent);
}

static const OptDesc stdio_opts[] = {
    { "signal", OPT_BOOL, "Ctrl-c etc. raise signals (default on)" },
    { NULL }
};

static void stdio_restore_terminal(void)
{
    if (stdio_termios_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &stdio_saved_termios);
        stdio_termios_saved = false;
    }
}

static void stdio_set_raw(bool allow_signals)
{
    struct termios tty;

    if (!isatty(STDIN_FILENO) ||
        tcgetattr(STDIN_FILENO, &stdio_saved_termios) < 0) {
        return;
    }
    stdio_termios_saved = true;
    tty = stdio_saved_termios;
    /* Bytes pass through untouched, but output still turns \n into \r\n */
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
                     ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!allow_signals) {
        tty.c_lflag &= ~ISIG;
    }
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &tty);
}

static void stdio_eof(Chardev *chr, int err)
{
    chardev_be_event(chr, CHR_EVENT_CLOSED);
}

static bool stdio_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    StdioChardev *s = to_stdio(chr);
    Error *err = NULL;

    chardev_fd_reader_init(&s->reader, chr, stdio_eof);
    if (stdio_in_use) {
        error_setg(errp, "cannot use stdio by multiple character devices");
        return false;
    }
    bool allow_signals = opts_get_bool(opts, "signal", true, &err);
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    stdio_in_use = true;
    if (!stdio_atexit_registered) {
        atexit(stdio_restore_terminal);
        stdio_atexit_registered = true;
    }
    stdio_set_raw(allow_signals);
    chardev_be_event(chr, CHR_EVENT_OPENED);
    /*
     * stdin keeps its blocking mode (the file description is shared with
     * the shell); the reader polls before each read.
     */
    chardev_fd_reader_start(&s->reader, STDIN_FILENO);
    return true;
}

static int stdio_write(Chardev *chr, const uint8_t *buf, int len)
{
    struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };

    if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLOUT)) {
        return (pfd.revents & (POLLERR | POLLNVAL)) ? -1 : 0;
    }
    /* At most PIPE_BUF: a ready pipe takes that much without blocking */
    for (;;) {
        ssize_t n = write(STDOUT_FILENO, buf, MIN(len, 4096));
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN ? 0 : -1;
    }
}

static int stdio_write_fd(Chardev *chr)
{
    return STDOUT_FILENO;
}

static void stdio_update(Chardev *chr)
{
    chardev_fd_reader_update(&to_stdio(chr)->reader);
}

static void stdio_close(Chardev *chr)
{
    chardev_fd_reader_destroy(&to_stdio(chr)->reader);
    stdio_restore_terminal();
    stdio_in_use = false;
}

static const ChardevDriver stdio_driver = {
    .name = "stdio",
    .help = "the terminal emu runs in (signal=on|off)",
    .instance_size = sizeof(StdioChardev),
    .opts = stdio_opts,
    .open = stdio_open,
    .write = stdio_write,
    .accept_input = stdio_update,
    .update_read_handler = stdio_update,
    .close = stdio_close,
    .write_fd = stdio_write_fd,
};

static void __attribute__((constructor)) stdio_register(void)
{
    chardev_register_driver(&stdio_driver);
}
