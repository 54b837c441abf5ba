/*
 * Monitor internals shared by monitor.c, qmp.c, hmp.c, readline.c and
 * commands.c.  Nothing outside monitor/ includes this.
 */
#ifndef MONITOR_INTERNAL_H
#define MONITOR_INTERNAL_H

#include "monitor/monitor.h"
#include "chardev/char.h"

/* ---- Line editing (readline.c) ---- */

#define READLINE_CMD_BUF_SIZE   4096
#define READLINE_MAX_HISTORY    64
#define READLINE_MAX_COMPLETIONS 256

typedef struct ReadLineState ReadLineState;

/* Terminal output (echo, redraw) */
typedef void ReadLineWriteFunc(void *opaque, const char *str);
/* A complete line was entered */
typedef void ReadLineLineFunc(void *opaque, const char *line);
/*
 * Tab: cmdline is the text before the cursor; call readline_add_completion
 * with every full word that could replace the last word of cmdline.
 */
typedef void ReadLineCompletionFunc(void *opaque, const char *cmdline);

ReadLineState *readline_new(ReadLineWriteFunc *write_fn,
                            ReadLineLineFunc *line_fn,
                            ReadLineCompletionFunc *completion_fn,
                            void *opaque);
void readline_free(ReadLineState *rs);
void readline_set_prompt(ReadLineState *rs, const char *prompt);
/* Print the prompt and the line being edited */
void readline_show_prompt(ReadLineState *rs);
/* Forget the line being edited and any half-received escape sequence */
void readline_restart(ReadLineState *rs);
void readline_handle_byte(ReadLineState *rs, uint8_t ch);
void readline_add_completion(ReadLineState *rs, const char *str);
/* History, oldest first; NULL past the end */
const char *readline_get_history(ReadLineState *rs, unsigned int index);
/* The line being edited (for tests) */
const char *readline_get_line(ReadLineState *rs);

/* ---- Monitor objects (monitor.c) ---- */

struct Monitor {
    bool is_qmp;
    bool pretty;            /* QMP: indented multi-line JSON */
    bool has_chr;           /* chr is attached to a chardev */
    bool opened;            /* saw CHR_EVENT_OPENED */
    CharBackend chr;
    /* Output not yet written; "\n" already expanded to "\r\n" */
    StrBuf outbuf;
    /* Capture output in outbuf instead of writing it (hmp_execute) */
    bool capture;
    int cpu_index;

    /* QMP */
    struct json_tokener *tok;
    bool qmp_commands_mode;     /* qmp_capabilities succeeded */
    bool qmp_oob;               /* "oob" capability enabled */
    bool qmp_skip_line;         /* resyncing after a JSON parse error */
    size_t qmp_pending;         /* bytes of the incomplete message */

    /* HMP */
    ReadLineState *rs;          /* NULL without line editing */
    StrBuf hmp_line;            /* line assembly without readline */
    bool hmp_last_cr;
    bool mux_out;               /* another front end of the mux has focus */
    bool banner_pending;        /* opened while out of focus */
    bool quitting;              /* "quit" ran: no more prompts */

    struct Monitor *next;
};

/* A detached monitor; monitor_link adds it to the live list (events) */
Monitor *monitor_new(bool is_qmp);
void monitor_link(Monitor *mon);
/* Unlink, detach from the chardev and free */
void monitor_free(Monitor *mon);
/* Append text ("\n" becomes "\r\n") and flush */
void monitor_puts(Monitor *mon, const char *str);
void monitor_flush(Monitor *mon);
/* Make mon the current monitor of this thread; returns the previous one */
Monitor *monitor_set_cur(Monitor *mon);
/* All monitors, for event delivery */
Monitor *monitor_list_first(void);

/* ---- Command table (monitor.c) ---- */

/* Registered commands in registration order; NULL past the end */
const MonitorCommand *monitor_command_at(size_t index);
/* HMP lookup by full name ("stop", "c", "info status") */
const MonitorCommand *monitor_find_hmp(const char *name);
/* Does the '|'-separated alias list hmp_name contain name? */
bool monitor_hmp_name_matches(const char *hmp_name, const char *name);

/* One item of an argument spec (see monitor.h) */
typedef struct MonitorArgSpec {
    char name[64];
    char type;              /* s S i o M b n O A, or '-' for a flag */
    char flag[16];          /* '-' type: the flag without its dash */
    bool optional;
} MonitorArgSpec;

/*
 * Parse the next item of spec at *pos; returns false at the end.  A
 * malformed spec is a programming error and aborts.
 */
bool monitor_arg_spec_next(const char **pos, MonitorArgSpec *spec);

/* ---- QMP (qmp.c) ---- */

/* Feed raw bytes received on a QMP monitor (exposed for tests) */
void qmp_handle_input(Monitor *mon, const uint8_t *buf, size_t len);
/* Serialise as QEMU does: compact with ", "/": ", or indented */
char *qmp_to_json(json_object *obj, bool pretty);
/* {"qemu": {"micro", "minor", "major"}, "package"} */
json_object *qmp_version_info(void);

/* ---- HMP (hmp.c) ---- */

/* Parse and run one command line on an HMP monitor */
void hmp_handle_command(Monitor *mon, const char *cmdline);
/* "help [name]" and "info" listings */
void hmp_help(Monitor *mon, const char *name);
void hmp_info_help(Monitor *mon);
/* hmp_execute with a CPU selected */
char *hmp_execute_on_cpu(const char *cmdline, int cpu_index);

#endif
