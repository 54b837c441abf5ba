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
 *   -f flag (HMP: "-f"; QMP: bool named like the argument)  e.g. "force:-f"
 *   M  size in bytes (HMP: a number means MiB, suffixes allowed:
 *      "balloon 600"; QMP: integer bytes)
 *   n  number (HMP: decimal, may have a fraction; QMP: integer or float)
 *   O  object (HMP: the rest of the line as "key=val,key2=val2", values
 *      are strings; QMP: any JSON object)
 *   A  array (QMP only; HMP rejects the command line)
 * Example: "device:s,size:o"  or  "name:s?"
 *
 * hmp_name may list aliases after '|': "cont|c", "quit|q".  An
 * "info X" command is entered as "info X" and listed by "info".
 */
typedef json_object *MonitorHandler(Monitor *mon, json_object *args,
                                    Error **errp);
typedef void MonitorHmpPrinter(Monitor *mon, json_object *result);

#define MON_CMD_PRECONFIG   (1u << 0)   /* allowed before qmp_capabilities */
/* QMP: pass arguments not in the spec through to the handler unchecked */
#define MON_CMD_QMP_OPEN_ARGS (1u << 1)

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

/*
 * Argument helpers for handlers: the value of args[name] when present
 * (the monitor has already checked its type), else def.
 */
const char *monitor_arg_str(json_object *args, const char *name,
                            const char *def);
int64_t monitor_arg_int(json_object *args, const char *name, int64_t def);
uint64_t monitor_arg_uint(json_object *args, const char *name, uint64_t def);
bool monitor_arg_bool(json_object *args, const char *name, bool def);
bool monitor_arg_has(json_object *args, const char *name);

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
 * The CPU the monitor's commands refer to ("cpu-index" of
 * human-monitor-command; 0 by default).
 */
int monitor_get_cpu_index(const Monitor *mon);
/* The CPU later commands of this monitor act on (HMP "cpu N") */
void monitor_set_cpu_index(Monitor *mon, int index);

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
