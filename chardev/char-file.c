/* File chardev: output goes to a file (path=, append=). */
#include "emu/osdep.h"
#include "chardev/char.h"

#include <fcntl.h>

typedef struct FileChardev {
    Chardev parent;
    int fd;
} FileChardev;

static FileChardev *to_file(Chardev *chr)
{
    return container_of(chr, FileChardev, parent);
}

static const OptDesc file_opts[] = {
    { "path", OPT_STRING, "file to write" },
    { "append", OPT_BOOL, "append instead of truncating" },
    { NULL }
};

static bool file_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    FileChardev *s = to_file(chr);
    Error *err = NULL;
    const char *path = opts_get(opts, "path");

    s->fd = -1;
    if (!path || !*path) {
        error_setg(errp, "chardev: file: no filename given");
        return false;
    }
    bool append = opts_get_bool(opts, "append", false, &err);
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    s->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
                 (append ? O_APPEND : O_TRUNC), 0666);
    if (s->fd < 0) {
        error_setg_errno(errp, errno, "Could not open '%s'", path);
        return false;
    }
    chardev_set_filename(chr, "file:%s", path);
    chardev_be_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int file_write(Chardev *chr, const uint8_t *buf, int len)
{
    FileChardev *s = to_file(chr);

    for (;;) {
        ssize_t n = write(s->fd, buf, len);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN ? 0 : -1;
    }
}

static int file_write_fd(Chardev *chr)
{
    return to_file(chr)->fd;
}

static void file_close(Chardev *chr)
{
    FileChardev *s = to_file(chr);

    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static const ChardevDriver file_driver = {
    .name = "file",
    .help = "write output to a file (path=,append=)",
    .instance_size = sizeof(FileChardev),
    .opts = file_opts,
    .open = file_open,
    .write = file_write,
    .close = file_close,
    .write_fd = file_write_fd,
};

static void __attribute__((constructor)) file_register(void)
{
    chardev_register_driver(&file_driver);
}
