/*
 * qtest: a line protocol over a chardev that reads/writes guest memory and
 * I/O ports, watches IRQ lines and moves the virtual clock, so device tests
 * run without any CPU.  Enabled by "-accel qtest -qtest CHARDEV_SPEC".
 */
#ifndef SYSTEM_QTEST_H
#define SYSTEM_QTEST_H

#include "emu/osdep.h"
#include "emu/error.h"

bool qtest_enabled(void);
/* spec as for -serial ("unix:/path", "stdio", "chardev:ID"); log may be NULL
 * ("-qtest-log FILE": every command and reply logged to FILE, "none" off) */
bool qtest_server_init(const char *spec, const char *log, Error **errp);

#endif
