/* A chardev for unit tests that records what front ends write. */
#include "emu/osdep.h"
#include "capture-chr.h"

typedef struct CaptureChardev {
    Chardev parent;
    StrBuf out;
} CaptureChardev;

static bool capture_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    strbuf_init(&((CaptureChardev *)chr)->out);
    return true;
}

static int capture_write(Chardev *chr, const uint8_t *buf, int len)
{
    strbuf_append_len(&((CaptureChardev *)chr)->out, (const char *)buf, len);
    return len;
}

static void capture_close(Chardev *chr)
{
    strbuf_free(&((CaptureChardev *)chr)->out);
}

static const ChardevDriver capture_driver = {
    .name = "capture",
    .instance_size = sizeof(CaptureChardev),
    .open = capture_open,
    .write = capture_write,
    .close = capture_close,
};

Chardev *capture_chr_new(const char *id)
{
    if (!chardev_find_driver("capture")) {
        chardev_register_driver(&capture_driver);
    }
    char *spec = emu_asprintf("capture,id=%s", id);
    Chardev *chr = chardev_new_from_cmdline(spec, &error_abort);
    free(spec);
    return chr;
}

const char *capture_chr_output(Chardev *chr)
{
    CaptureChardev *c = (CaptureChardev *)chr;
    return c->out.str ? c->out.str : "";
}

char *capture_chr_take(Chardev *chr)
{
    CaptureChardev *c = (CaptureChardev *)chr;
    char *s = emu_strdup(capture_chr_output(chr));
    strbuf_truncate(&c->out, 0);
    return s;
}
