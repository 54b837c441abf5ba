/* Monitor commands that act on the machine as a whole: system_powerdown. */
#include "monitor-internal.h"
#include "system/runstate.h"

/*
 * Press the ACPI power button (the POWERDOWN event follows when the main
 * loop serves the request).  Whether the guest then powers off is up to
 * its software, as on QEMU.
 */
static json_object *cmd_system_powerdown(Monitor *mon, json_object *args,
                                         Error **errp)
{
    system_powerdown_request();
    return NULL;
}

static const MonitorCommand machine_monitor_commands[] = {
    {
        .qmp_name = "system_powerdown",
        .hmp_name = "system_powerdown",
        .help = "send system power down event",
        .handler = cmd_system_powerdown,
    },
    { .handler = NULL }
};

MONITOR_REGISTER_COMMANDS(machine_monitor_commands)
