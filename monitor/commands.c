/* Built-in monitor commands: negotiation, status, run control, help, info. */
#include "monitor-internal.h"
#include "system/runstate.h"
#include "system/system.h"
#include "system/memory.h"
#include "hw/qdev.h"
#include "hw/core/cpu.h"

/* ---- qmp_capabilities ---- */

static json_object *cmd_qmp_capabilities(Monitor *mon, json_object *args,
                                         Error **errp)
{
    bool oob = false;
    json_object *enable;

    if (mon->qmp_commands_mode) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Capabilities negotiation is already complete, command "
                  "ignored");
        return NULL;
    }
    if (json_object_object_get_ex(args, "enable", &enable)) {
        size_t n = json_object_array_length(enable);
        for (size_t i = 0; i < n; i++) {
            json_object *cap = json_object_array_get_idx(enable, i);
            if (!json_object_is_type(cap, json_type_string)) {
                error_setg(errp, "Invalid parameter type for 'enable[%zu]', "
                           "expected: string", i);
                return NULL;
            }
            if (strcmp(json_object_get_string(cap), "oob")) {
                error_setg(errp, "Parameter 'enable[%zu]' does not accept "
                           "value '%s'", i, json_object_get_string(cap));
                return NULL;
            }
            oob = true;
        }
    }
    mon->qmp_commands_mode = true;
    mon->qmp_oob = oob;
    return NULL;
}

/* ---- query-version / info version ---- */

/*
 * Shared by the greeting and query-version.  Key order as QEMU prints it
 * (micro, minor, major), so byte-for-byte comparisons with QEMU hold.
 */
json_object *qmp_version_info(void)
{
    json_object *qemu = json_object_new_object();
    json_object_object_add(qemu, "micro",
                           json_object_new_int(EMU_QMP_COMPAT_MICRO));
    json_object_object_add(qemu, "minor",
                           json_object_new_int(EMU_QMP_COMPAT_MINOR));
    json_object_object_add(qemu, "major",
                           json_object_new_int(EMU_QMP_COMPAT_MAJOR));
    json_object *ret = json_object_new_object();
    json_object_object_add(ret, "qemu", qemu);
    json_object_object_add(ret, "package",
                           json_object_new_string(" (emu " EMU_VERSION ")"));
    return ret;
}

static json_object *cmd_query_version(Monitor *mon, json_object *args,
                                      Error **errp)
{
    return qmp_version_info();
}

static int64_t json_get_path_int(json_object *obj, const char *a,
                                 const char *b)
{
    json_object *inner, *v;
    if (json_object_object_get_ex(obj, a, &inner) &&
        json_object_object_get_ex(inner, b, &v)) {
        return json_object_get_int64(v);
    }
    return 0;
}

static void print_version(Monitor *mon, json_object *ret)
{
    monitor_printf(mon, "%" PRId64 ".%" PRId64 ".%" PRId64 "%s\n",
                   json_get_path_int(ret, "qemu", "major"),
                   json_get_path_int(ret, "qemu", "minor"),
                   json_get_path_int(ret, "qemu", "micro"),
                   monitor_arg_str(ret, "package", ""));
}

/* ---- query-commands ---- */

static json_object *cmd_query_commands(Monitor *mon, json_object *args,
                                       Error **errp)
{
    json_object *list = json_object_new_array();
    const MonitorCommand *cmd;
    for (size_t i = 0; (cmd = monitor_command_at(i)); i++) {
        if (cmd->qmp_name) {
            json_object *entry = json_object_new_object();
            json_object_object_add(entry, "name",
                                   json_object_new_string(cmd->qmp_name));
            json_object_array_add(list, entry);
        }
    }
    return list;
}

/* ---- query-status / info status ---- */

static json_object *cmd_query_status(Monitor *mon, json_object *args,
                                     Error **errp)
{
    json_object *ret = json_object_new_object();
    json_object_object_add(ret, "status", json_object_new_string(
                               runstate_name(runstate_get())));
    json_object_object_add(ret, "singlestep", json_object_new_boolean(0));
    json_object_object_add(ret, "running",
                           json_object_new_boolean(runstate_is_running()));
    return ret;
}

static void print_status(Monitor *mon, json_object *ret)
{
    bool running = monitor_arg_bool(ret, "running", false);
    const char *status = monitor_arg_str(ret, "status", "");

    monitor_printf(mon, "VM status: %s", running ? "running" : "paused");
    if (monitor_arg_bool(ret, "singlestep", false)) {
        monitor_printf(mon, " (single step mode)");
    }
    /* why it is not running, unless it was simply paused */
    if (!running && strcmp(status, "paused")) {
        monitor_printf(mon, " (%s)", status);
    }
    monitor_printf(mon, "\n");
}

/* ---- query-name, query-uuid ---- */

static json_object *cmd_query_name(Monitor *mon, json_object *args,
                                   Error **errp)
{
    json_object *ret = json_object_new_object();
    if (vm_name) {
        json_object_object_add(ret, "name", json_object_new_string(vm_name));
    }
    return ret;
}

static void print_name(Monitor *mon, json_object *ret)
{
    const char *name = monitor_arg_str(ret, "name", NULL);
    if (name) {
        monitor_printf(mon, "%s\n", name);
    }
}

static json_object *cmd_query_uuid(Monitor *mon, json_object *args,
                                   Error **errp)
{
    char uuid[37];
    uuid_unparse(vm_uuid, uuid);
    json_object *ret = json_object_new_object();
    json_object_object_add(ret, "UUID", json_object_new_string(uuid));
    return ret;
}

static void print_uuid(Monitor *mon, json_object *ret)
{
    monitor_printf(mon, "%s\n", monitor_arg_str(ret, "UUID", ""));
}

/* ---- query-chardev / info chardev ---- */

static json_object *cmd_query_chardev(Monitor *mon, json_object *args,
                                      Error **errp)
{
    json_object *list = json_object_new_array();
    for (Chardev *chr = chardev_first(); chr; chr = chr->next) {
        char *desc = NULL;
        if (chr->driver && chr->driver->describe) {
            desc = chr->driver->describe(chr);
        }
        const char *filename = desc ? desc : chr->filename;
        json_object *entry = json_object_new_object();
        json_object_object_add(entry, "label", json_object_new_string(
                                   chr->label ? chr->label : ""));
        json_object_object_add(entry, "filename", json_object_new_string(
                                   filename ? filename : ""));
        json_object_object_add(entry, "frontend-open",
                               json_object_new_boolean(chr->be != NULL));
        json_object_array_add(list, entry);
        free(desc);
    }
    return list;
}

static void print_chardev(Monitor *mon, json_object *ret)
{
    size_t n = json_object_array_length(ret);
    for (size_t i = 0; i < n; i++) {
        json_object *entry = json_object_array_get_idx(ret, i);
        monitor_printf(mon, "%s: filename=%s\n",
                       monitor_arg_str(entry, "label", ""),
                       monitor_arg_str(entry, "filename", ""));
    }
}

/* ---- Run control ---- */

static json_object *cmd_stop(Monitor *mon, json_object *args, Error **errp)
{
    vm_stop(RUN_STATE_PAUSED);
    return NULL;
}

static json_object *cmd_cont(Monitor *mon, json_object *args, Error **errp)
{
    if (runstate_needs_reset()) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return NULL;
    }
    if (runstate_check(RUN_STATE_SUSPENDED)) {
        return NULL;    /* woken by system_wakeup, not cont */
    }
    vm_start(errp);
    return NULL;
}

static json_object *cmd_system_reset(Monitor *mon, json_object *args,
                                     Error **errp)
{
    system_reset_request(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return NULL;
}

/* HMP "cpu N": the default CPU for info registers, x, ... */
static json_object *cmd_cpu(Monitor *mon, json_object *args, Error **errp)
{
    int64_t index = monitor_arg_int(args, "index", 0);
    if (index < 0 || index > INT_MAX || !cpu_by_index((int)index)) {
        error_setg(errp, "invalid CPU index");
        return NULL;
    }
    monitor_set_cpu_index(mon, (int)index);
    return NULL;
}

static json_object *cmd_quit(Monitor *mon, json_object *args, Error **errp)
{
    /* emu exits from the main loop soon; don't invite more input */
    mon->quitting = true;
    system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return NULL;
}

/* ---- human-monitor-command ---- */

static json_object *cmd_human_monitor_command(Monitor *mon, json_object *args,
                                              Error **errp)
{
    const char *cmdline = monitor_arg_str(args, "command-line", "");
    int64_t cpu_index = monitor_arg_int(args, "cpu-index", 0);

    if (cpu_index < 0 || cpu_index > INT_MAX) {
        error_setg(errp, "Parameter 'cpu-index' expects a CPU number");
        return NULL;
    }
    char *out = hmp_execute_on_cpu(cmdline, (int)cpu_index);
    json_object *ret = json_object_new_string(out);
    free(out);
    return ret;
}

/* ---- HMP only ---- */

static json_object *cmd_help(Monitor *mon, json_object *args, Error **errp)
{
    hmp_help(mon, monitor_arg_str(args, "name", NULL));
    return NULL;
}

static json_object *cmd_info(Monitor *mon, json_object *args, Error **errp)
{
    hmp_info_help(mon);
    return NULL;
}

static json_object *cmd_info_history(Monitor *mon, json_object *args,
                                     Error **errp)
{
    if (!mon->rs) {
        return NULL;
    }
    const char *line;
    for (unsigned int i = 0; (line = readline_get_history(mon->rs, i)); i++) {
        monitor_printf(mon, "%u: '%s'\n", i, line);
    }
    return NULL;
}

static void EMU_PRINTF(2, 3) monitor_info_printf(void *opaque,
                                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    monitor_vprintf(opaque, fmt, ap);
    va_end(ap);
}

static json_object *cmd_info_mtree(Monitor *mon, json_object *args,
                                   Error **errp)
{
    mtree_info(monitor_info_printf, mon,
               monitor_arg_bool(args, "flatview", false));
    return NULL;
}

static json_object *cmd_info_qtree(Monitor *mon, json_object *args,
                                   Error **errp)
{
    qtree_info(monitor_info_printf, mon);
    return NULL;
}

static const MonitorCommand builtin_commands[] = {
    {
        .qmp_name = "qmp_capabilities",
        .args = "enable:A?",
        .help = "leave capabilities negotiation mode",
        .handler = cmd_qmp_capabilities,
        .flags = MON_CMD_PRECONFIG,
    }, {
        .qmp_name = "query-version",
        .hmp_name = "info version",
        .help = "show the version of emu",
        .handler = cmd_query_version,
        .hmp_print = print_version,
    }, {
        .qmp_name = "query-commands",
        .help = "list the QMP commands",
        .handler = cmd_query_commands,
    }, {
        .qmp_name = "query-status",
        .hmp_name = "info status",
        .help = "show the current VM status (running|paused)",
        .handler = cmd_query_status,
        .hmp_print = print_status,
    }, {
        .qmp_name = "query-name",
        .hmp_name = "info name",
        .help = "show the current VM name",
        .handler = cmd_query_name,
        .hmp_print = print_name,
    }, {
        .qmp_name = "query-uuid",
        .hmp_name = "info uuid",
        .help = "show the current VM UUID",
        .handler = cmd_query_uuid,
        .hmp_print = print_uuid,
    }, {
        .qmp_name = "query-chardev",
        .hmp_name = "info chardev",
        .help = "show the character devices",
        .handler = cmd_query_chardev,
        .hmp_print = print_chardev,
    }, {
        .qmp_name = "stop",
        .hmp_name = "stop|s",
        .help = "stop emulation",
        .handler = cmd_stop,
    }, {
        .qmp_name = "cont",
        .hmp_name = "cont|c",
        .help = "resume emulation",
        .handler = cmd_cont,
    }, {
        .qmp_name = "system_reset",
        .hmp_name = "system_reset",
        .help = "reset the system",
        .handler = cmd_system_reset,
    }, {
        .hmp_name = "cpu",
        .args = "index:i",
        .params = "index",
        .help = "set the default CPU",
        .handler = cmd_cpu,
    }, {
        .qmp_name = "quit",
        .hmp_name = "quit|q",
        .help = "quit the emulator",
        .handler = cmd_quit,
    }, {
        .qmp_name = "human-monitor-command",
        .args = "command-line:s,cpu-index:i?",
        .help = "run a human monitor command",
        .handler = cmd_human_monitor_command,
    }, {
        .hmp_name = "help|?",
        .args = "name:S?",
        .params = "[cmd]",
        .help = "show the help",
        .handler = cmd_help,
    }, {
        .hmp_name = "info",
        .params = "[subcommand]",
        .help = "show various information about the system state",
        .handler = cmd_info,
    }, {
        .hmp_name = "info history",
        .help = "show the command line history",
        .handler = cmd_info_history,
    }, {
        .hmp_name = "info mtree",
        .args = "flatview:-f",
        .params = "[-f]",
        .help = "show memory tree (-f: dump flat view for address spaces)",
        .handler = cmd_info_mtree,
    }, {
        .hmp_name = "info qtree",
        .help = "show device tree",
        .handler = cmd_info_qtree,
    },
    { .handler = NULL },
};

MONITOR_REGISTER_COMMANDS(builtin_commands)
