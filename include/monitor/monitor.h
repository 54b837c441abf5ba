/*
 * The monitor: one table of commands with typed arguments and a typed
 * (JSON) result.  QMP exposes them as JSON; HMP parses human syntax, calls
 * the same handler and prints the result for people.
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/option.h"
#include <json-c/json.h>

typedef struct Monitor Monitor;
typedef struct Chardev Chardev;

/*
 * Argument specification, one "name:type" per comma, "?" suffix when
 * optional:
 *   s  string (HMP: one word, or a quoted string)
 *   S  string (HMP: the rest of the line)
 *   i  integer (HMP: decimal or 0x hex; expressions not supported)
 *   o  size (HMP: 512, 1G ...; QMP: integer bytes)
 *   b  bool (HMP: on/off)
 *   -f flag (HMP: "-f"; QMP: bool "f")   e.g. "force:-f"
 * Example: "device:s,size:o"  or  "name:s?"
 */
typedef json_object *MonitorHandler(Monitor *mon, json_object *args,
                                    Error **errp);
typedef void MonitorHmpPrinter(Monitor *mon, json_object *result);

#define MON_CMD_PRECONFIG   (1u << 0)   /* allowed before qmp_capabilities */

typedef struct MonitorCommand {
    const char *qmp_name;       /* "query-status"; NULL: HMP only */
    const char *hmp_name;       /* "info status", "stop"; NULL: QMP only */
    const char *args;           /* see above; NULL or "" for none */
    const char *params;         /* HMP usage text, e.g. "[-f] device" */
    const char *help;           /* one line */
    /*
     * Returns the result (a new reference; NULL means {} for QMP), or
     * sets errp.  HMP-only commands may print with monitor_printf.
     */
    MonitorHandler *handler;
    /* Prints a QMP result for HMP; NULL prints nothing */
    MonitorHmpPrinter *hmp_print;
    unsigned flags;
} MonitorCommand;

/* Register a NULL-handler-terminated array (call from a constructor) */
void monitor_register_commands(const MonitorCommand *cmds);
#define MONITOR_REGISTER_COMMANDS(arr)                                     \
    static void __attribute__((constructor)) monitor_register_##arr(void)  \
    {                                                                      \
        monitor_register_commands(arr);                                    \
    }
const MonitorCommand *monitor_find_qmp(const char *name);

/* Create monitors on a chardev */
bool monitor_init_qmp(Chardev *chr, bool pretty, Error **errp);
bool monitor_init_hmp(Chardev *chr, bool use_readline, Error **errp);
/* "-mon chardev=ID,mode=readline|control,pretty=on|off" */
bool monitor_new_from_opts(EmuOpts *opts, Error **errp);
void monitor_cleanup_all(void);

/* Output for HMP (no-op on QMP monitors) */
void monitor_printf(Monitor *mon, const char *fmt, ...) EMU_PRINTF(2, 3);
void monitor_vprintf(Monitor *mon, const char *fmt, va_list ap)
    EMU_PRINTF(2, 0);
bool monitor_is_qmp(const Monitor *mon);
/* The monitor running a command on this thread, or NULL */
Monitor *monitor_cur(void);

/*
 * Emit a QMP event to every QMP monitor that negotiated capabilities:
 * {"timestamp": {"seconds": S, "microseconds": U}, "event": NAME,
 *  "data": DATA}.  data may be NULL; a reference is taken over.
 */
void monitor_event(const char *name, json_object *data);

/* Run one HMP command line and return what it printed (caller frees). */
char *hmp_execute(const char *cmdline, Error **errp);

/* Version reported over QMP (QEMU compatibility level, see docs) */
#define EMU_QMP_COMPAT_MAJOR 7
#define EMU_QMP_COMPAT_MINOR 2
#define EMU_QMP_COMPAT_MICRO 0

#endif
