/* Null chardev: swallows output, never produces input. */
#include "emu/osdep.h"
#include "chardev/char.h"

static bool null_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    return true;
}

static int null_write(Chardev *chr, const uint8_t *buf, int len)
{
    return len;
}

static const ChardevDriver null_driver = {
    .name = "null",
    .help = "discard output, no input",
    .instance_size = sizeof(Chardev),
    .open = null_open,
    .write = null_write,
};

static void __attribute__((constructor)) null_register(void)
{
    chardev_register_driver(&null_driver);
}
