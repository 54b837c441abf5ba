/* pc board ports over qtest: COM1, i8042, port 0x80 and 0x92, debugcon. */
#include "emu/osdep.h"
#include "libqtest.h"

/* Read a small file whole (caller frees); "" when missing */
static char *read_file(const char *path)
{
    char *buf = emu_malloc0(4096);
    FILE *f = fopen(path, "rb");

    if (f) {
        size_t n = fread(buf, 1, 4095, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

int main(int argc, char **argv)
{
    char serial_path[] = "/tmp/emu-pc-ports-serial-XXXXXX";
    char debugcon_path[] = "/tmp/emu-pc-ports-debugcon-XXXXXX";
    QTestState *s;
    char *out;
    int fd;

    qtest_skip_if_no_emu();
    fd = mkstemp(serial_path);
    close(fd);
    fd = mkstemp(debugcon_path);
    close(fd);
    s = qtest_initf("-M pc -m 32M -serial file:%s "
                    "-chardev file,id=dbg,path=%s "
                    "-device isa-debugcon,iobase=0x402,chardev=dbg",
                    serial_path, debugcon_path);

    /* COM1: scratch register, 16550A FIFO, transmit to the file */
    qtest_outb(s, 0x3ff, 0xa5);
    QT_CHECK_EQ(qtest_inb(s, 0x3ff), 0xa5, "COM1 scratch register");
    qtest_outb(s, 0x3fa, 0x01);
    QT_CHECK_EQ(qtest_inb(s, 0x3fa) & 0xc0, 0xc0, "COM1 is a 16550A");
    QT_CHECK_EQ(qtest_inb(s, 0x3fd) & 0x60, 0x60, "COM1 transmitter empty");
    qtest_outb(s, 0x3f8, 'o');
    qtest_outb(s, 0x3f8, 'k');
    QT_CHECK_EQ(qtest_inb(s, 0x3fd) & 0x60, 0x60, "COM1 sent both bytes");

    /* i8042 */
    qtest_outb(s, 0x64, 0xaa);
    QT_CHECK_EQ(qtest_inb(s, 0x64) & 0x01, 0x01, "i8042 output buffer full");
    QT_CHECK_EQ(qtest_inb(s, 0x60), 0x55, "i8042 self test passes");
    qtest_outb(s, 0x60, 0xf2);
    QT_CHECK_EQ(qtest_inb(s, 0x60), 0xfa, "keyboard acks identify");
    QT_CHECK_EQ(qtest_inb(s, 0x60), 0xab, "keyboard id byte 1");
    QT_CHECK_EQ(qtest_inb(s, 0x60), 0x83, "keyboard id byte 2 (untranslated)");
    /*
     * AUX loopback (0xd3) with the mouse port disabled, as Linux probes
     * it: the byte comes back at once, flagged as mouse data.
     */
    qtest_outb(s, 0x64, 0x60);
    qtest_outb(s, 0x60, 0x70);
    qtest_outb(s, 0x64, 0xd3);
    qtest_outb(s, 0x60, 0x5a);
    QT_CHECK_EQ(qtest_inb(s, 0x64) & 0x21, 0x21,
                "AUX loopback byte is in the buffer as mouse data");
    QT_CHECK_EQ(qtest_inb(s, 0x60), 0x5a, "AUX loopback byte");
    QT_CHECK_EQ(qtest_inb(s, 0x64) & 0x21, 0x00, "buffer empty again");

    /* port 0x80 and 0x92 */
    QT_CHECK_EQ(qtest_inb(s, 0x80), 0xff, "port 0x80 reads all-ones");
    qtest_outb(s, 0x92, 0x02);
    QT_CHECK_EQ(qtest_inb(s, 0x92) & 0x02, 0x02, "port 0x92 A20 bit");

    /* debugcon */
    qtest_outb(s, 0x402, 'd');
    QT_CHECK_EQ(qtest_inb(s, 0x402), 0xe9, "debugcon readback");

    qtest_quit(s);
    out = read_file(serial_path);
    QT_CHECK_STR(out, "ok", "serial output reached the file");
    free(out);
    out = read_file(debugcon_path);
    QT_CHECK_STR(out, "d", "debugcon output reached the file");
    free(out);
    unlink(serial_path);
    unlink(debugcon_path);
    return qtest_tap_finish();
}
