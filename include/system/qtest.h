/*
 * qtest: a line protocol over a chardev that reads/writes guest memory and
 * I/O ports, watches IRQ lines and moves the virtual clock, so device tests
 * run without any CPU.  Enabled by "-accel qtest -qtest CHARDEV_SPEC".
 *
 * The protocol is QEMU's (so QEMU-style test clients work).  One command
 * per line; each gets one reply line, "OK[ ...]", "FAIL ..." or "ERR ...":
 *
 *   readb|readw|readl|readq ADDR        OK 0x%016x (value, any width)
 *   writeb|writew|writel|writeq ADDR V  OK
 *   inb|inw|inl PORT                    OK 0x%04x
 *   outb|outw|outl PORT V               OK
 *   read ADDR SIZE                      OK 0x<hex bytes in memory order>
 *   write ADDR SIZE 0x<hex>             OK   (short data is zero-filled)
 *   b64read ADDR SIZE                   OK <base64>
 *   b64write ADDR SIZE <base64>         OK
 *   memset ADDR SIZE BYTE               OK   (SIZE 0 does nothing)
 *   irq_intercept_in PATH               OK   then "IRQ raise N"/"IRQ lower N"
 *   irq_intercept_out PATH [GROUP]      OK   lines whenever a level changes
 *   set_irq_in PATH GROUP NUM LEVEL     OK   (GROUP "unnamed-gpio-in")
 *   clock_step [NS]                     OK <virtual ns> (no NS: next timer)
 *   clock_set NS                        OK <ns>, or FAIL <ns> if in the past
 *   endianness                          OK little
 *   anything else                       FAIL Unknown command 'X'
 *
 * Numbers are decimal, 0x hex or 0 octal.  PATH is a device path
 * (/machine/peripheral/ID), an id, or a unique path suffix or type name.
 * Unlike QEMU, malformed input never aborts emu: it is answered with
 * "ERR ..." (bad number, argument count, hex/base64 data, port > 0xffff,
 * SIZE > 256 MiB, over-long line).  "IRQ ..." lines are asynchronous and
 * may precede the reply of the command that caused them.
 */
#ifndef SYSTEM_QTEST_H
#define SYSTEM_QTEST_H

#include "emu/osdep.h"
#include "emu/error.h"

/* True once the qtest accelerator is initialised or the server is up */
bool qtest_enabled(void);
/*
 * Start the server.  spec as for -serial ("unix:/path", "stdio",
 * "chardev:ID").  log is the -qtest-log FILE receiving every command and
 * reply as "[R +secs] cmd" / "[S +secs] reply"; NULL logs to stderr (as
 * QEMU does), "none" disables logging.
 */
bool qtest_server_init(const char *spec, const char *log, Error **errp);

#endif
