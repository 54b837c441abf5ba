/* Pipe chardev: a named pipe (PATH), or a pair PATH.in / PATH.out. */
#include "emu/osdep.h"
#include "chardev/char.h"

#include <fcntl.h>

typedef struct PipeChardev {
    Chardev parent;
    int fd_in;
    int fd_out;
    ChardevFdReader reader;
} PipeChardev;

static PipeChardev *to_pipe(Chardev *chr)
{
    return container_of(chr, PipeChardev, parent);
}

static const OptDesc pipe_opts[] = {
    { "path", OPT_STRING, "FIFO (or PATH.in and PATH.out) to use" },
    { NULL }
};

static void pipe_eof(Chardev *chr, int err)
{
    /*
     * Opened read-write, a FIFO does not see EOF when writers go away;
     * getting here means the fd itself failed.
     */
    chardev_be_event(chr, CHR_EVENT_CLOSED);
}

static bool pipe_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    PipeChardev *s = to_pipe(chr);
    const char *path = opts_get(opts, "path");

    s->fd_in = s->fd_out = -1;
    chardev_fd_reader_init(&s->reader, chr, pipe_eof);
    if (!path || !*path) {
        error_setg(errp, "chardev: pipe: no filename given");
        return false;
    }
    /*
     * O_RDWR: opening a FIFO never blocks this way, and we never see EOF
     * while the other side reopens it.
     */
    char *name_in = emu_asprintf("%s.in", path);
    char *name_out = emu_asprintf("%s.out", path);
    s->fd_in = open(name_in, O_RDWR | O_CLOEXEC);
    s->fd_out = open(name_out, O_RDWR | O_CLOEXEC);
    free(name_in);
    free(name_out);
    if (s->fd_in < 0 || s->fd_out < 0) {
        if (s->fd_in >= 0) {
            close(s->fd_in);
        }
        if (s->fd_out >= 0) {
            close(s->fd_out);
        }
        s->fd_in = s->fd_out = open(path, O_RDWR | O_CLOEXEC);
        if (s->fd_in < 0) {
            error_setg_errno(errp, errno, "Could not open '%s'", path);
            return false;
        }
    }
    emu_set_nonblock(s->fd_in);
    emu_set_nonblock(s->fd_out);
    chardev_set_filename(chr, "pipe:%s", path);
    chardev_be_event(chr, CHR_EVENT_OPENED);
    chardev_fd_reader_start(&s->reader, s->fd_in);
    return true;
}

static int pipe_write(Chardev *chr, const uint8_t *buf, int len)
{
    PipeChardev *s = to_pipe(chr);

    for (;;) {
        ssize_t n = write(s->fd_out, buf, len);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN ? 0 : -1;
    }
}

static int pipe_write_fd(Chardev *chr)
{
    return to_pipe(chr)->fd_out;
}

static void pipe_update(Chardev *chr)
{
    chardev_fd_reader_update(&to_pipe(chr)->reader);
}

static void pipe_close(Chardev *chr)
{
    PipeChardev *s = to_pipe(chr);

    chardev_fd_reader_destroy(&s->reader);
    if (s->fd_out >= 0 && s->fd_out != s->fd_in) {
        close(s->fd_out);
    }
    if (s->fd_in >= 0) {
        close(s->fd_in);
    }
    s->fd_in = s->fd_out = -1;
}

static const ChardevDriver pipe_driver = {
    .name = "pipe",
    .help = "named pipe: path=PATH (uses PATH.in/PATH.out if they exist)",
    .instance_size = sizeof(PipeChardev),
    .opts = pipe_opts,
    .open = pipe_open,
    .write = pipe_write,
    .accept_input = pipe_update,
    .update_read_handler = pipe_update,
    .close = pipe_close,
    .write_fd = pipe_write_fd,
};

static void __attribute__((constructor)) pipe_register(void)
{
    chardev_register_driver(&pipe_driver);
}
