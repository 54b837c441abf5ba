/*
 * emu start-up: parse the command line (QEMU's syntax), build the machine
 * and its devices, start the monitors, run the main loop, clean up.
 * Only this file turns errors into messages and exit statuses.
 */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "emu/option.h"
#include "emu/main-loop.h"
#include "emu/thread.h"
#include "emu/timer.h"
#include "system/runstate.h"
#include "system/memory.h"
#include "system/accel.h"
#include "system/qtest.h"
#include "system/system.h"
#include "exec/tb-internal.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "target/i386/cpu.h"
#include "chardev/char.h"
#include "monitor/monitor.h"
#include "block/block.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>

typedef enum OptArg { NO_ARG, HAS_ARG } OptArg;

typedef struct CmdOption {
    const char *name;
    OptArg arg;
    const char *argname;
    const char *help;
} CmdOption;

static const CmdOption cmd_options[] = {
    { "h", NO_ARG, NULL, "display this help and exit" },
    { "help", NO_ARG, NULL, NULL },
    { "version", NO_ARG, NULL, "display version information and exit" },
    { "machine", HAS_ARG, "[type=]name[,prop=value...]",
      "select the machine (-machine help for a list)" },
    { "M", HAS_ARG, "name", "same as -machine" },
    { "m", HAS_ARG, "[size=]megs[M|G]", "guest RAM size (default unit MiB)" },
    { "smp", HAS_ARG, "[cpus=]n[,maxcpus=m][,sockets=s][,dies=d][,cores=c][,threads=t]",
      "number of virtual CPUs and their topology" },
    { "accel", HAS_ARG, "[accel=]name[,prop=value...]",
      "select the accelerator (-accel help for a list)" },
    { "enable-kvm", NO_ARG, NULL, "same as -accel kvm" },
    { "cpu", HAS_ARG, "model", "select the CPU model (-cpu help for a list)" },
    { "name", HAS_ARG, "[guest=]name", "set the name of the guest" },
    { "uuid", HAS_ARG, "%08x-%04x-%04x-%04x-%012x", "specify machine UUID" },
    { "S", NO_ARG, NULL, "do not start the CPUs at start-up (use 'cont' in the monitor)" },
    { "no-shutdown", NO_ARG, NULL, "stop (do not exit) when the guest shuts down" },
    { "no-reboot", NO_ARG, NULL, "exit instead of rebooting" },
    { "daemonize", NO_ARG, NULL, "detach from the terminal after start-up" },
    { "pidfile", HAS_ARG, "file", "write the process id to file" },
    { "d", HAS_ARG, "item1,...", "enable logging of the given items (-d help for a list)" },
    { "D", HAS_ARG, "logfile", "write logs to logfile instead of stderr" },
    { "perfmap", NO_ARG, NULL, "write /tmp/perf-<pid>.map, naming each translated block for perf" },
    { "L", HAS_ARG, "path", "add a directory to the firmware search path" },
    { "bios", HAS_ARG, "file", "set the filename for the BIOS" },
    { "boot", HAS_ARG,
      "[order=drives][,menu=on|off][,splash-time=ms][,reboot-timeout=ms][,strict=on|off]",
      "boot order (drives: a floppy, c disk, d CD-ROM, n network) and menu" },
    { "kernel", HAS_ARG, "bzImage", "use bzImage as kernel image" },
    { "initrd", HAS_ARG, "file", "use file as initial ram disk" },
    { "append", HAS_ARG, "cmdline", "use cmdline as kernel command line" },
    { "debugcon", HAS_ARG, "dev",
      "redirect the debug console (I/O port 0xe9) to chardev spec dev" },
    { "drive", HAS_ARG, "[file=f][,format=f][,if=ide|virtio|none|floppy][,index=i][,media=d][,...]",
      "add a drive (id, bus, unit, cache, aio, readonly, snapshot, discard, werror, rerror, serial: docs/user/block.md)" },
    { "hda", HAS_ARG, "file", "use 'file' as IDE hard disk 0 image" },
    { "hdb", HAS_ARG, "file", "use 'file' as IDE hard disk 1 image" },
    { "hdc", HAS_ARG, "file", "use 'file' as IDE hard disk 2 image" },
    { "hdd", HAS_ARG, "file", "use 'file' as IDE hard disk 3 image" },
    { "cdrom", HAS_ARG, "file", "use 'file' as IDE cdrom image (cdrom is ide1 master)" },
    { "snapshot", NO_ARG, NULL, "write to temporary files instead of disk image files" },
    { "net", HAS_ARG, "none", "network: only 'none' (no NIC) for now" },
    { "device", HAS_ARG, "driver[,prop=value][,...]",
      "add a device (-device help, -device driver,help)" },
    { "global", HAS_ARG, "driver.prop=value", "set a default for a device property" },
    { "chardev", HAS_ARG, "backend,id=id[,...]",
      "create a character device (-chardev help)" },
    { "serial", HAS_ARG, "dev", "redirect the next serial port to chardev spec dev" },
    { "monitor", HAS_ARG, "dev", "start a human monitor (HMP) on chardev spec dev" },
    { "qmp", HAS_ARG, "dev", "start a QMP monitor on chardev spec dev" },
    { "qmp-pretty", HAS_ARG, "dev", "like -qmp with pretty-printed JSON" },
    { "mon", HAS_ARG, "chardev=id[,mode=readline|control][,pretty=on|off]",
      "start a monitor on an existing chardev" },
    { "nographic", NO_ARG, NULL,
      "no display; serial port and monitor multiplexed on stdio (Ctrl-a h for help)" },
    { "display", HAS_ARG, "none", "select the display (only 'none' for now)" },
    { "nodefaults", NO_ARG, NULL, "create no default devices" },
    { "qtest", HAS_ARG, "dev", "serve the qtest protocol on chardev spec dev" },
    { "qtest-log", HAS_ARG, "file", "log qtest traffic to file" },
    { NULL, NO_ARG, NULL, NULL },
};

static void print_help(void)
{
    printf("usage: emu [options]\n\n"
           "emu %s: a full-system emulator.  Options follow QEMU's.\n\n",
           EMU_VERSION);
    for (const CmdOption *o = cmd_options; o->name; o++) {
        if (!o->help) {
            continue;
        }
        char lhs[128];
        snprintf(lhs, sizeof(lhs), "-%s%s%s", o->name, o->argname ? " " : "",
                 o->argname ? o->argname : "");
        if (strlen(lhs) > 28) {
            printf("%s\n%-29s %s\n", lhs, "", o->help);
        } else {
            printf("%-29s %s\n", lhs, o->help);
        }
    }
    printf("\nDuring emulation with -nographic, Ctrl-a h lists the "
           "escape keys.\nDocumentation: docs/ in the source tree.\n");
}

static void print_version(void)
{
    printf("emu version %s (QEMU %d.%d.%d compatible interface)\n"
           "Copyright (c) the emu developers\n", EMU_VERSION,
           EMU_QMP_COMPAT_MAJOR, EMU_QMP_COMPAT_MINOR, EMU_QMP_COMPAT_MICRO);
}

/* Everything gathered from the command line, applied in a fixed order */
#define MAX_LIST 64
typedef struct StringList {
    const char *opt[MAX_LIST];
    const char *val[MAX_LIST];
    int n;
} StringList;

static struct {
    const char *machine;
    const char *mem;
    const char *smp;
    const char *cpu_model;
    const char *bios;
    const char *boot;
    const char *kernel;
    const char *initrd;
    const char *append;
    const char *debugcon;
    StringList accel;
    StringList devices;
    StringList globals;
    StringList chardevs;
    StringList serials;
    StringList monitors;     /* opt = "monitor", "qmp", "qmp-pretty", "mon" */
    StringList drives;       /* opt = "drive", "hda".."hdd", "cdrom" */
    bool snapshot;
    const char *pidfile;
    const char *log_items;
    const char *log_file;
    const char *qtest;
    const char *qtest_log;
    const char *display;
    bool start_paused;
    bool daemonize;
    bool nographic;
    bool nodefaults;
} cfg;

/* The option being applied, for error messages: "-m 0: ..." */
static const char *loc_opt;
static const char *loc_arg;

static void EMU_NORETURN fatal_err(Error *err)
{
    if (loc_opt) {
        if (loc_arg) {
            error_prepend(&err, "-%s %s: ", loc_opt, loc_arg);
        } else {
            error_prepend(&err, "-%s: ", loc_opt);
        }
    }
    error_report_err(err);
    exit(1);
}

static void EMU_NORETURN fatal(const char *fmt, ...) EMU_PRINTF(1, 2);
static void fatal(const char *fmt, ...)
{
    Error *err = NULL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = emu_vasprintf(fmt, ap);
    va_end(ap);
    error_setg(&err, "%s", msg);
    free(msg);
    fatal_err(err);
}

static void set_loc(const char *opt, const char *arg)
{
    loc_opt = opt;
    loc_arg = arg;
}

static void list_add(StringList *l, const char *opt, const char *val)
{
    if (l->n >= MAX_LIST) {
        set_loc(opt, val);
        fatal("too many -%s options (at most %d)", opt, MAX_LIST);
    }
    l->opt[l->n] = opt;
    l->val[l->n] = val;
    l->n++;
}

static const CmdOption *find_option(const char *name)
{
    for (const CmdOption *o = cmd_options; o->name; o++) {
        if (!strcmp(o->name, name)) {
            return o;
        }
    }
    return NULL;
}

static void parse_command_line(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0) {
            /* a bare file name is the first hard disk, as in QEMU */
            list_add(&cfg.drives, "hda", a);
            continue;
        }
        const char *name = a + 1;
        if (name[0] == '-') {
            name++;     /* --opt is the same as -opt */
        }
        const CmdOption *o = find_option(name);
        if (!o) {
            set_loc(name, NULL);
            fatal("invalid option");
        }
        const char *arg = NULL;
        if (o->arg == HAS_ARG) {
            if (i + 1 >= argc) {
                set_loc(o->name, NULL);
                fatal("requires an argument");
            }
            arg = argv[++i];
        }
        set_loc(o->name, arg);

        if (!strcmp(name, "h") || !strcmp(name, "help")) {
            print_help();
            exit(0);
        } else if (!strcmp(name, "version")) {
            print_version();
            exit(0);
        } else if (!strcmp(name, "machine") || !strcmp(name, "M")) {
            cfg.machine = arg;
        } else if (!strcmp(name, "m")) {
            cfg.mem = arg;
        } else if (!strcmp(name, "smp")) {
            cfg.smp = arg;
        } else if (!strcmp(name, "accel")) {
            list_add(&cfg.accel, "accel", arg);
        } else if (!strcmp(name, "cpu")) {
            cfg.cpu_model = arg;
        } else if (!strcmp(name, "enable-kvm")) {
            list_add(&cfg.accel, "enable-kvm", "kvm");
        } else if (!strcmp(name, "name")) {
            EmuOpts *opts = opts_parse(arg, "guest", false, NULL);
            const char *g = opts ? opts_get(opts, "guest") : NULL;
            if (!g || !*g) {
                fatal("a name is required");
            }
            vm_name = emu_strdup(g);
            opts_del(opts, "guest");
            opts_del(opts, "debug-threads");
            if (opts->head) {
                fatal("Invalid parameter '%s'", opts->head->name);
            }
            opts_free(opts);
        } else if (!strcmp(name, "uuid")) {
            if (!uuid_parse(arg, vm_uuid)) {
                fatal("Fail to parse UUID string. Wrong format.");
            }
            vm_uuid_set = true;
        } else if (!strcmp(name, "S")) {
            cfg.start_paused = true;
        } else if (!strcmp(name, "no-shutdown")) {
            no_shutdown = true;
        } else if (!strcmp(name, "no-reboot")) {
            no_reboot = true;
        } else if (!strcmp(name, "perfmap")) {
            Error *err = NULL;

            if (!tb_perfmap_open(&err)) {
                fatal("-perfmap: %s", error_get_pretty(err));
            }
        } else if (!strcmp(name, "daemonize")) {
            cfg.daemonize = true;
        } else if (!strcmp(name, "pidfile")) {
            cfg.pidfile = arg;
        } else if (!strcmp(name, "d")) {
            cfg.log_items = arg;
        } else if (!strcmp(name, "D")) {
            cfg.log_file = arg;
        } else if (!strcmp(name, "L")) {
            if (!strcmp(arg, "help")) {
                printf("%s\n", CONFIG_DATADIR);
                exit(0);
            }
            firmware_path_add(arg);
        } else if (!strcmp(name, "bios")) {
            cfg.bios = arg;
        } else if (!strcmp(name, "boot")) {
            cfg.boot = arg;
        } else if (!strcmp(name, "kernel")) {
            cfg.kernel = arg;
        } else if (!strcmp(name, "initrd")) {
            cfg.initrd = arg;
        } else if (!strcmp(name, "append")) {
            cfg.append = arg;
        } else if (!strcmp(name, "debugcon")) {
            /* as QEMU: a chardev "debugcon" and an isa-debugcon on it */
            cfg.debugcon = arg;
            list_add(&cfg.devices, "debugcon", "isa-debugcon,chardev=debugcon");
        } else if (!strcmp(name, "drive") || !strcmp(name, "cdrom") ||
                   (name[0] == 'h' && name[1] == 'd' && name[2] >= 'a' &&
                    name[2] <= 'd' && !name[3])) {
            list_add(&cfg.drives, o->name, arg);
        } else if (!strcmp(name, "snapshot")) {
            cfg.snapshot = true;
        } else if (!strcmp(name, "net")) {
            if (strcmp(arg, "none") != 0) {
                fatal("only '-net none' is supported in this version "
                      "(no network devices yet)");
            }
        } else if (!strcmp(name, "device")) {
            list_add(&cfg.devices, "device", arg);
        } else if (!strcmp(name, "global")) {
            list_add(&cfg.globals, "global", arg);
        } else if (!strcmp(name, "chardev")) {
            list_add(&cfg.chardevs, "chardev", arg);
        } else if (!strcmp(name, "serial")) {
            list_add(&cfg.serials, "serial", arg);
        } else if (!strcmp(name, "monitor") || !strcmp(name, "qmp") ||
                   !strcmp(name, "qmp-pretty") || !strcmp(name, "mon")) {
            list_add(&cfg.monitors, o->name, arg);
        } else if (!strcmp(name, "nographic")) {
            cfg.nographic = true;
        } else if (!strcmp(name, "display")) {
            cfg.display = arg;
        } else if (!strcmp(name, "nodefaults")) {
            cfg.nodefaults = true;
        } else if (!strcmp(name, "qtest")) {
            cfg.qtest = arg;
        } else if (!strcmp(name, "qtest-log")) {
            cfg.qtest_log = arg;
        } else {
            fatal("option not handled (internal error)");
        }
    }
    set_loc(NULL, NULL);
}

/* ---- Applying options ---- */

static void handle_help_requests(void)
{
    bool any = false;
    if (cfg.machine && is_help_option(cfg.machine)) {
        machine_print_help(stdout);
        any = true;
    }
    if (cfg.cpu_model && is_help_option(cfg.cpu_model)) {
        x86_cpu_list(stdout);
        exit(0);
    }
    for (int i = 0; i < cfg.accel.n; i++) {
        if (is_help_option(cfg.accel.val[i])) {
            accel_print_help(stdout);
            exit(0);
        }
    }
    if (cfg.log_items && is_help_option(cfg.log_items)) {
        log_print_help(stdout);
        any = true;
    }
    for (int i = 0; i < cfg.devices.n; i++) {
        const char *v = cfg.devices.val[i];
        if (is_help_option(v)) {
            device_print_types(stdout);
            exit(0);
        }
        /* "NAME,help" */
        const char *comma = strchr(v, ',');
        if (comma && is_help_option(comma + 1)) {
            char *dname = emu_strndup(v, comma - v);
            Error *err = NULL;
            set_loc("device", v);
            if (!device_print_props(stdout, dname, &err)) {
                fatal_err(err);
            }
            exit(0);
        }
    }
    for (int i = 0; i < cfg.chardevs.n; i++) {
        if (is_help_option(cfg.chardevs.val[i])) {
            chardev_print_help(stdout);
            exit(0);
        }
    }
    if (cfg.display && is_help_option(cfg.display)) {
        printf("Available display backend types:\nnone\n");
        any = true;
    }
    if (any) {
        exit(0);
    }
}

static const MachineInfo *select_machine(EmuOpts **mopts)
{
    const MachineInfo *mi;
    EmuOpts *opts = NULL;
    Error *err = NULL;
    if (cfg.machine) {
        set_loc("machine", cfg.machine);
        opts = opts_parse(cfg.machine, "type", false, &err);
        if (!opts) {
            fatal_err(err);
        }
        const char *type = opts_get(opts, "type");
        if (!type) {
            fatal("No machine specified, and there is no default "
                  "(use -machine help to list supported machines)");
        }
        mi = machine_find(type);
        if (!mi) {
            fatal("unsupported machine type \"%s\" (use -machine help to "
                  "list supported machines)", type);
        }
        opts_del(opts, "type");
        static const OptDesc generic[] = {
            { "accel", OPT_STRING, NULL },
            { NULL, OPT_STRING, NULL },
        };
        for (EmuOpt *o = opts->head; o; o = o->next) {
            bool known = false;
            for (const OptDesc *d = generic; d->name; d++) {
                known |= !strcmp(d->name, o->name);
            }
            for (const OptDesc *d = mi->opts; d && d->name; d++) {
                known |= !strcmp(d->name, o->name);
            }
            if (!known) {
                fatal("Invalid parameter '%s' for machine '%s'", o->name,
                      mi->name);
            }
        }
        const char *acc = opts_get(opts, "accel");
        if (acc) {
            /* -machine accel=kvm:tcg (legacy form) */
            char *copy = emu_strdup(acc), *save = NULL;
            for (char *t = strtok_r(copy, ":", &save); t;
                 t = strtok_r(NULL, ":", &save)) {
                list_add(&cfg.accel, "machine", emu_strdup(t));
            }
            free(copy);
        }
    } else {
        mi = machine_default();
        opts = opts_new();
    }
    *mopts = opts;
    set_loc(NULL, NULL);
    return mi;
}

static uint64_t parse_memory(const MachineInfo *mi)
{
    uint64_t size = mi->default_ram_size;
    if (!cfg.mem) {
        return size;
    }
    set_loc("m", cfg.mem);
    Error *err = NULL;
    EmuOpts *opts = opts_parse(cfg.mem, "size", false, &err);
    if (!opts) {
        fatal_err(err);
    }
    const char *s = opts_get(opts, "size");
    if (s) {
        if (!parse_size(s, &size, MiB)) {
            fatal("invalid RAM size '%s' (expected a number with an "
                  "optional K, M, G or T suffix)", s);
        }
    }
    static const OptDesc m_opts[] = {
        { "size", OPT_SIZE, NULL },
        { "slots", OPT_NUMBER, NULL },
        { "maxmem", OPT_SIZE, NULL },
        { NULL, OPT_STRING, NULL },
    };
    if (!opts_validate(opts, m_opts, NULL, &err)) {
        fatal_err(err);
    }
    if (opts_has(opts, "slots") || opts_has(opts, "maxmem")) {
        fatal("memory hotplug (slots, maxmem) is not supported yet");
    }
    opts_free(opts);
    if (size < MiB) {
        fatal("RAM size must be at least 1 MiB, got %" PRIu64 " bytes", size);
    }
    if (size > 16 * TiB) {
        fatal("RAM size %" PRIu64 " MiB is too large", size / MiB);
    }
    if (size % TARGET_PAGE_SIZE) {
        size = ROUND_UP(size, TARGET_PAGE_SIZE);
    }
    set_loc(NULL, NULL);
    return size;
}

static void parse_smp(const MachineInfo *mi, SMPConfig *smp)
{
    memset(smp, 0, sizeof(*smp));
    smp->cpus = mi->default_cpus;
    if (!cfg.smp) {
        smp->max_cpus = smp->cpus;
        smp->sockets = smp->cpus;
        smp->dies = smp->cores = smp->threads = 1;
        return;
    }
    set_loc("smp", cfg.smp);
    Error *err = NULL;
    EmuOpts *opts = opts_parse(cfg.smp, "cpus", false, &err);
    if (!opts) {
        fatal_err(err);
    }
    static const OptDesc smp_opts[] = {
        { "cpus", OPT_NUMBER, NULL }, { "maxcpus", OPT_NUMBER, NULL },
        { "sockets", OPT_NUMBER, NULL }, { "dies", OPT_NUMBER, NULL },
        { "cores", OPT_NUMBER, NULL }, { "threads", OPT_NUMBER, NULL },
        { NULL, OPT_STRING, NULL },
    };
    if (!opts_validate(opts, smp_opts, NULL, &err)) {
        fatal_err(err);
    }
    uint64_t cpus = opts_get_number(opts, "cpus", 0, NULL);
    uint64_t sockets = opts_get_number(opts, "sockets", 0, NULL);
    uint64_t dies = opts_get_number(opts, "dies", 1, NULL);
    uint64_t cores = opts_get_number(opts, "cores", 0, NULL);
    uint64_t threads = opts_get_number(opts, "threads", 0, NULL);
    uint64_t maxcpus = opts_get_number(opts, "maxcpus", 0, NULL);
    opts_free(opts);
    if (dies == 0) {
        fatal("Invalid CPU topology: dies must be greater than 0");
    }
    /* QEMU's rule: missing values are computed, preferring sockets */
    if (!threads) {
        threads = 1;
    }
    if (!cores) {
        cores = 1;
    }
    uint64_t top = maxcpus ? maxcpus : cpus;
    if (!sockets) {
        sockets = top ? DIV_ROUND_UP(top, dies * cores * threads) : 1;
    }
    uint64_t topo = sockets * dies * cores * threads;
    if (!maxcpus) {
        maxcpus = topo;
    }
    if (!cpus) {
        cpus = maxcpus;
    }
    if (cpus == 0 || cpus > 1024 || maxcpus > 1024) {
        fatal("Invalid SMP CPUs %" PRIu64, cpus);
    }
    if (topo != maxcpus) {
        fatal("Invalid CPU topology: product of the hierarchy must match "
              "maxcpus: sockets (%" PRIu64 ") * dies (%" PRIu64 ") * cores "
              "(%" PRIu64 ") * threads (%" PRIu64 ") != maxcpus (%" PRIu64 ")",
              sockets, dies, cores, threads, maxcpus);
    }
    if (maxcpus < cpus) {
        fatal("Invalid CPU topology: maxcpus must be equal to or greater "
              "than smp");
    }
    if (cpus > mi->max_cpus) {
        fatal("Invalid SMP CPUs %" PRIu64 ". The max CPUs supported by "
              "machine '%s' is %u", cpus, mi->name, mi->max_cpus);
    }
    smp->cpus = cpus;
    smp->max_cpus = maxcpus;
    smp->sockets = sockets;
    smp->dies = dies;
    smp->cores = cores;
    smp->threads = threads;
    set_loc(NULL, NULL);
}

static void create_chardevs(void)
{
    for (int i = 0; i < cfg.chardevs.n; i++) {
        set_loc("chardev", cfg.chardevs.val[i]);
        Error *err = NULL;
        EmuOpts *opts = opts_parse(cfg.chardevs.val[i], "backend", true, &err);
        if (!opts || !chardev_new_from_opts(opts, &err)) {
            fatal_err(err);
        }
        opts_free(opts);
    }
    set_loc(NULL, NULL);
}

static void create_monitors(void)
{
    for (int i = 0; i < cfg.monitors.n; i++) {
        const char *opt = cfg.monitors.opt[i];
        const char *val = cfg.monitors.val[i];
        Error *err = NULL;
        set_loc(opt, val);
        if (!strcmp(opt, "mon")) {
            EmuOpts *opts = opts_parse(val, "chardev", false, &err);
            if (!opts || !monitor_new_from_opts(opts, &err)) {
                fatal_err(err);
            }
            opts_free(opts);
            continue;
        }
        if (!strcmp(val, "none")) {
            continue;
        }
        bool qmp = strcmp(opt, "monitor") != 0;
        char *label = emu_asprintf("compat_monitor%d", i);
        Chardev *chr = chardev_new_from_spec(label, val, &err);
        free(label);
        if (!chr) {
            fatal_err(err);
        }
        bool ok = qmp ? monitor_init_qmp(chr, !strcmp(opt, "qmp-pretty"), &err)
                      : monitor_init_hmp(chr, true, &err);
        if (!ok) {
            fatal_err(err);
        }
    }
    set_loc(NULL, NULL);
}

static void create_serials(void)
{
    int port = 0;
    for (int i = 0; i < cfg.serials.n; i++) {
        const char *val = cfg.serials.val[i];
        set_loc("serial", val);
        if (port >= MAX_SERIAL_PORTS) {
            fatal("too many serial ports (at most %d)", MAX_SERIAL_PORTS);
        }
        Error *err = NULL;
        char *label = emu_asprintf("serial%d", port);
        Chardev *chr = chardev_new_from_spec(label, val, &err);
        free(label);
        if (!chr && err) {
            fatal_err(err);
        }
        /* "mon:SPEC": the serial port shares the backend with an HMP
         * monitor, as QEMU does */
        if (chr && strstart(val, "mon:", NULL) &&
            !monitor_init_hmp(chr, true, &err)) {
            fatal_err(err);
        }
        serial_hd_set(port++, chr);   /* NULL for "none" */
    }
    set_loc(NULL, NULL);
}

static void close_block_devices(void *opaque)
{
    bdrv_close_all();
}

/* -drive, -hda..-hdd, -cdrom: backends for the board and -device drive= */
static void create_drives(void)
{
    drive_set_global_snapshot(cfg.snapshot);
    for (int i = 0; i < cfg.drives.n; i++) {
        const char *opt = cfg.drives.opt[i];
        const char *val = cfg.drives.val[i];
        Error *err = NULL;
        BlockBackend *blk;
        set_loc(opt, val);
        if (!strcmp(opt, "drive")) {
            blk = drive_new(val, IF_IDE, &err);
        } else if (!strcmp(opt, "cdrom")) {
            blk = drive_add_legacy(val, 2, true, &err);
        } else {
            blk = drive_add_legacy(val, opt[2] - 'a', false, &err);
        }
        if (!blk) {
            fatal_err(err);
        }
    }
    set_loc(NULL, NULL);
    /* flush (qcow2 metadata too) and unlock the images when main returns */
    emu_atexit(close_block_devices, NULL);
}

static void create_debugcon(void)
{
    Error *err = NULL;

    if (!cfg.debugcon) {
        return;
    }
    set_loc("debugcon", cfg.debugcon);
    if (!chardev_new_from_spec("debugcon", cfg.debugcon, &err)) {
        if (!err) {
            error_setg(&err, "'none' is not a debug console backend");
        }
        fatal_err(err);
    }
    set_loc(NULL, NULL);
}

/* -boot [order=]drives,menu=,splash-time=,reboot-timeout=,strict= */
static void parse_boot(MachineState *ms)
{
    static const OptDesc boot_opts[] = {
        { "order", OPT_STRING, NULL }, { "once", OPT_STRING, NULL },
        { "menu", OPT_BOOL, NULL }, { "strict", OPT_BOOL, NULL },
        { "splash", OPT_STRING, NULL }, { "splash-time", OPT_NUMBER, NULL },
        { "reboot-timeout", OPT_NUMBER, NULL },
        { NULL, OPT_STRING, NULL },
    };
    Error *err = NULL;
    EmuOpts *opts;

    ms->boot_menu = -1;
    ms->boot_splash_time = -1;
    ms->boot_reboot_timeout = -1;
    if (!cfg.boot) {
        return;
    }
    set_loc("boot", cfg.boot);
    opts = opts_parse(cfg.boot, "order", false, &err);
    if (!opts || !opts_validate(opts, boot_opts, NULL, &err)) {
        fatal_err(err);
    }
    if (opts_has(opts, "once") || opts_has(opts, "splash")) {
        fatal("boot options 'once' and 'splash' are not supported yet");
    }
    if (opts_get(opts, "order")) {
        ms->boot_order = emu_strdup(opts_get(opts, "order"));
    }
    if (opts_has(opts, "menu")) {
        ms->boot_menu = opts_get_bool(opts, "menu", false, &err);
    }
    ms->boot_strict = opts_get_bool(opts, "strict", false, &err);
    if (opts_has(opts, "splash-time")) {
        uint64_t v = opts_get_number(opts, "splash-time", 0, &err);
        if (!err && v > 0xffff) {
            fatal("splash-time %" PRIu64 " is out of range (0-65535 ms)", v);
        }
        ms->boot_splash_time = v;
    }
    if (opts_has(opts, "reboot-timeout")) {
        uint64_t v = opts_get_number(opts, "reboot-timeout", 0, &err);
        if (!err && v > 0xffff) {
            fatal("reboot-timeout %" PRIu64 " is out of range (0-65535 ms)",
                  v);
        }
        ms->boot_reboot_timeout = v;
    }
    if (err) {
        fatal_err(err);
    }
    opts_free(opts);
    set_loc(NULL, NULL);
}

/*
 * -nographic without -serial/-monitor: serial port 0 and an HMP monitor
 * share stdio through a mux (Ctrl-a c switches), as QEMU does.
 */
static void create_default_devices(void)
{
    if (cfg.nodefaults || !cfg.nographic) {
        return;
    }
    bool have_serial = cfg.serials.n > 0;
    bool have_monitor = cfg.monitors.n > 0;
    Error *err = NULL;
    if (!have_serial && !have_monitor) {
        Chardev *chr = chardev_new_from_spec("serial0", "mon:stdio", &err);
        if (!chr) {
            fatal_err(err);
        }
        serial_hd_set(0, chr);
        if (!monitor_init_hmp(chr, true, &err)) {
            fatal_err(err);
        }
    } else if (!have_serial) {
        Chardev *chr = chardev_new_from_spec("serial0", "stdio", &err);
        if (!chr) {
            fatal_err(err);
        }
        serial_hd_set(0, chr);
    } else if (!have_monitor) {
        /* serial given explicitly; QEMU puts no monitor on stdio then
         * unless the serial is not stdio */
        bool serial_on_stdio = false;
        for (int i = 0; i < cfg.serials.n; i++) {
            serial_on_stdio |= strstr(cfg.serials.val[i], "stdio") != NULL;
        }
        if (!serial_on_stdio) {
            Chardev *chr = chardev_new_from_spec("compat_monitor0", "stdio",
                                                 &err);
            if (!chr || !monitor_init_hmp(chr, true, &err)) {
                fatal_err(err);
            }
        }
    }
}

static void create_devices(void)
{
    for (int i = 0; i < cfg.globals.n; i++) {
        Error *err = NULL;
        set_loc("global", cfg.globals.val[i]);
        if (!global_prop_add(cfg.globals.val[i], &err)) {
            fatal_err(err);
        }
    }
    for (int i = 0; i < cfg.devices.n; i++) {
        Error *err = NULL;
        set_loc("device", cfg.devices.val[i]);
        EmuOpts *opts = opts_parse(cfg.devices.val[i], "driver", false, &err);
        if (!opts || !device_new_from_opts(opts, &err)) {
            fatal_err(err);
        }
        opts_free(opts);
    }
    set_loc(NULL, NULL);
}

/* ---- Signals ---- */

static volatile sig_atomic_t signal_received;

static void termsig_handler(int sig)
{
    signal_received = sig;
    system_shutdown_request(SHUTDOWN_CAUSE_HOST_SIGNAL);
}

static void setup_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = termsig_handler;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- -daemonize and -pidfile ---- */

static int daemon_pipe = -1;

static void daemonize_start(void)
{
    int fds[2];
    if (pipe(fds) < 0) {
        fatal("pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
        fatal("fork: %s", strerror(errno));
    }
    if (pid > 0) {
        /* parent: wait for the child to report start-up */
        close(fds[1]);
        char status = 1;
        ssize_t n;
        do {
            n = read(fds[0], &status, 1);
        } while (n < 0 && errno == EINTR);
        _exit(n == 1 ? status : 1);
    }
    close(fds[0]);
    setsid();
    pid = fork();
    if (pid < 0) {
        _exit(1);
    }
    if (pid > 0) {
        _exit(0);
    }
    umask(027);
    daemon_pipe = fds[1];
    emu_set_cloexec(daemon_pipe);
}

static void daemonize_finish(void)
{
    if (daemon_pipe < 0) {
        return;
    }
    if (chdir("/") < 0) {
        /* not fatal */
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        /* keep stderr only if it is a file (logs); else /dev/null */
        struct stat st;
        if (fstat(STDERR_FILENO, &st) == 0 && !S_ISREG(st.st_mode)) {
            dup2(null, STDERR_FILENO);
        }
        close(null);
    }
    char ok = 0;
    if (write(daemon_pipe, &ok, 1) != 1) {
        /* parent gone: nothing to tell */
    }
    close(daemon_pipe);
    daemon_pipe = -1;
}

static const char *pidfile_path;

static void pidfile_remove(void *opaque)
{
    if (pidfile_path) {
        unlink(pidfile_path);
    }
}

static void write_pidfile(void)
{
    int fd = open(cfg.pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_loc("pidfile", cfg.pidfile);
        fatal("cannot open pid file: %s", strerror(errno));
    }
    if (lockf(fd, F_TLOCK, 0) < 0) {
        set_loc("pidfile", cfg.pidfile);
        fatal("cannot lock pid file: another emu may be running (%s)",
              strerror(errno));
    }
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || emu_write_full(fd, buf, len) != len) {
        set_loc("pidfile", cfg.pidfile);
        fatal("cannot write pid file: %s", strerror(errno));
    }
    /* fd stays open: the lock lives as long as we do */
    pidfile_path = cfg.pidfile;
    emu_atexit(pidfile_remove, NULL);
}

static void check_display(void)
{
    if (!cfg.display) {
        return;
    }
    set_loc("display", cfg.display);
    Error *err = NULL;
    EmuOpts *opts = opts_parse(cfg.display, "type", false, &err);
    if (!opts) {
        fatal_err(err);
    }
    const char *type = opts_get(opts, "type");
    if (!type || strcmp(type, "none") != 0) {
        fatal("display '%s' is not available in this version of emu "
              "(only 'none')", type ? type : "");
    }
    opts_free(opts);
    set_loc(NULL, NULL);
}

int main(int argc, char **argv)
{
    Error *err = NULL;

    parse_command_line(argc, argv);
    handle_help_requests();

    if (cfg.daemonize && cfg.nographic) {
        fatal("-nographic cannot be used with -daemonize");
    }
    if (cfg.log_items) {
        unsigned mask;
        set_loc("d", cfg.log_items);
        if (!log_parse_items(cfg.log_items, &mask, &err)) {
            fatal_err(err);
        }
        log_set_mask(mask);
    }
    if (cfg.log_file) {
        set_loc("D", cfg.log_file);
        if (!log_set_filename(cfg.log_file, &err)) {
            fatal_err(err);
        }
    }
    set_loc(NULL, NULL);
    check_display();

    EmuOpts *mopts;
    const MachineInfo *mi = select_machine(&mopts);
    uint64_t ram_size = parse_memory(mi);
    SMPConfig smp;
    parse_smp(mi, &smp);

    if (cfg.daemonize) {
        daemonize_start();
    }
    if (cfg.pidfile) {
        write_pidfile();
    }

    main_loop_init();     /* takes the global lock for this thread */
    memory_system_init();
    setup_signals();

    /* accelerator: -accel list, or qtest when -qtest is given */
    EmuOpts *accel_opts[MAX_LIST];
    int n_accel = 0;
    for (int i = 0; i < cfg.accel.n; i++) {
        set_loc(cfg.accel.opt[i], cfg.accel.val[i]);
        accel_opts[n_accel] = opts_parse(cfg.accel.val[i], "accel", false,
                                         &err);
        if (!accel_opts[n_accel]) {
            fatal_err(err);
        }
        n_accel++;
    }
    if (cfg.qtest && n_accel == 0) {
        accel_opts[n_accel++] = opts_parse("qtest", "accel", false, NULL);
    }
    /* no -accel: the machine's default (tcg for pc, as QEMU) */
    if (n_accel == 0 && mi->default_accel) {
        accel_opts[n_accel++] = opts_parse(mi->default_accel, "accel", false,
                                           NULL);
    }
    /* "-enable-kvm: ...", not "-enable-kvm kvm: ..." (no argument) */
    set_loc(cfg.accel.n ? cfg.accel.opt[0] : NULL,
            cfg.accel.n && strcmp(cfg.accel.opt[0], "enable-kvm") ?
            cfg.accel.val[0] : NULL);
    if (!accel_configure(accel_opts, n_accel, &err)) {
        fatal_err(err);
    }
    for (int i = 0; i < n_accel; i++) {
        opts_free(accel_opts[i]);
    }
    set_loc(NULL, NULL);

    /* before the monitors: a bad -drive must not print a monitor banner */
    create_drives();
    create_chardevs();
    create_serials();
    create_monitors();
    create_default_devices();
    create_debugcon();

    MachineState *ms = emu_malloc0(sizeof(*ms));
    ms->info = mi;
    ms->ram_size = ram_size;
    ms->smp = smp;
    ms->cpu_model = cfg.cpu_model;
    ms->firmware = cfg.bios;
    ms->kernel_filename = cfg.kernel;
    ms->initrd_filename = cfg.initrd;
    ms->kernel_cmdline = cfg.append;
    ms->enable_graphics = !cfg.nographic;
    parse_boot(ms);
    ms->opts = mopts;
    current_machine = ms;
    if (!mi->init(ms, &err)) {
        error_prepend(&err, "machine '%s': ", mi->name);
        fatal_err(err);
    }

    create_devices();
    qdev_machine_creation_done();
    if (!drive_check_orphaned(&err)) {
        fatal_err(err);
    }

    if (cfg.qtest) {
        set_loc("qtest", cfg.qtest);
        if (!qtest_server_init(cfg.qtest, cfg.qtest_log, &err)) {
            fatal_err(err);
        }
        set_loc(NULL, NULL);
    }

    if (!accel_start_vcpus(smp.cpus, &err)) {
        fatal_err(err);
    }

    system_reset(SHUTDOWN_CAUSE_NONE);

    if (cfg.daemonize) {
        daemonize_finish();
    }

    if (!cfg.start_paused) {
        if (!vm_start(&err)) {
            fatal_err(err);
        }
    }

    int status = 0;
    for (;;) {
        if (main_loop_should_exit(&status)) {
            break;
        }
        main_loop_wait(-1);
    }
    if (signal_received) {
        error_report("terminating on signal %d", (int)signal_received);
    }

    monitor_cleanup_all();
    chardev_cleanup_all();
    emu_run_atexit();
    log_close();
    return status;
}
