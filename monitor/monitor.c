/* Monitor core: the command table, Monitor objects, output and -mon. */
#include "monitor-internal.h"

/* ---- Command table ---- */

static const MonitorCommand **command_table;
static size_t command_count;
static size_t command_cap;

static bool hmp_names_clash(const char *a, const char *b)
{
    const char *p = a;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        char *alias = emu_strndup(p, len);
        bool clash = monitor_hmp_name_matches(b, alias);
        free(alias);
        if (clash) {
            return true;
        }
        p += len + (bar ? 1 : 0);
    }
    return false;
}

void monitor_register_commands(const MonitorCommand *cmds)
{
    for (const MonitorCommand *cmd = cmds; cmd->handler; cmd++) {
        /* Two commands under one name is a programming error. */
        for (size_t i = 0; i < command_count; i++) {
            const MonitorCommand *old = command_table[i];
            if ((cmd->qmp_name && old->qmp_name &&
                 !strcmp(cmd->qmp_name, old->qmp_name)) ||
                (cmd->hmp_name && old->hmp_name &&
                 hmp_names_clash(cmd->hmp_name, old->hmp_name))) {
                fprintf(stderr, "emu: monitor command '%s' registered twice\n",
                        cmd->qmp_name ? cmd->qmp_name : cmd->hmp_name);
                abort();
            }
        }
        /* Check the argument spec now rather than on first use. */
        const char *pos = cmd->args;
        MonitorArgSpec spec;
        while (monitor_arg_spec_next(&pos, &spec)) {
        }
        if (command_count == command_cap) {
            command_cap = command_cap ? command_cap * 2 : 64;
            command_table = emu_realloc(command_table,
                                        command_cap * sizeof(*command_table));
        }
        command_table[command_count++] = cmd;
    }
}

const MonitorCommand *monitor_command_at(size_t index)
{
    return index < command_count ? command_table[index] : NULL;
}

const MonitorCommand *monitor_find_qmp(const char *name)
{
    for (size_t i = 0; i < command_count; i++) {
        const MonitorCommand *cmd = command_table[i];
        if (cmd->qmp_name && !strcmp(cmd->qmp_name, name)) {
            return cmd;
        }
    }
    return NULL;
}

bool monitor_hmp_name_matches(const char *hmp_name, const char *name)
{
    size_t name_len = strlen(name);
    const char *p = hmp_name;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == name_len && !memcmp(p, name, len)) {
            return true;
        }
        if (!bar) {
            return false;
        }
        p = bar + 1;
    }
}

const MonitorCommand *monitor_find_hmp(const char *name)
{
    for (size_t i = 0; i < command_count; i++) {
        const MonitorCommand *cmd = command_table[i];
        if (cmd->hmp_name && monitor_hmp_name_matches(cmd->hmp_name, name)) {
            return cmd;
        }
    }
    return NULL;
}

static void EMU_NORETURN bad_spec(const char *spec, const char *why)
{
    fprintf(stderr, "emu: bad monitor argument spec '%s': %s\n", spec, why);
    abort();
}

bool monitor_arg_spec_next(const char **pos, MonitorArgSpec *spec)
{
    const char *p = *pos;
    if (!p || !*p) {
        return false;
    }
    const char *end = strchr(p, ',');
    if (!end) {
        end = p + strlen(p);
    }
    const char *colon = memchr(p, ':', end - p);
    if (!colon || colon == p) {
        bad_spec(p, "expected name:type");
    }
    size_t name_len = colon - p;
    if (name_len >= sizeof(spec->name)) {
        bad_spec(p, "name too long");
    }
    memset(spec, 0, sizeof(*spec));
    memcpy(spec->name, p, name_len);

    const char *t = colon + 1;
    if (*t == '-') {
        /* "force:-f": a flag, always optional */
        const char *f = t + 1;
        size_t flag_len = end - f;
        if (flag_len && f[flag_len - 1] == '?') {
            flag_len--;
        }
        if (!flag_len || flag_len >= sizeof(spec->flag)) {
            bad_spec(p, "bad flag");
        }
        spec->type = '-';
        memcpy(spec->flag, f, flag_len);
        spec->optional = true;
    } else {
        if (t == end || !strchr("sSioMbnOA", *t)) {
            bad_spec(p, "unknown type");
        }
        spec->type = *t++;
        if (t < end && *t == '?') {
            spec->optional = true;
            t++;
        }
        if (t != end) {
            bad_spec(p, "junk after type");
        }
    }
    *pos = *end ? end + 1 : end;
    return true;
}

/* ---- Argument helpers for handlers ---- */

bool monitor_arg_has(json_object *args, const char *name)
{
    return args && json_object_object_get_ex(args, name, NULL);
}

const char *monitor_arg_str(json_object *args, const char *name,
                            const char *def)
{
    json_object *v;
    if (args && json_object_object_get_ex(args, name, &v) &&
        json_object_is_type(v, json_type_string)) {
        return json_object_get_string(v);
    }
    return def;
}

int64_t monitor_arg_int(json_object *args, const char *name, int64_t def)
{
    json_object *v;
    if (args && json_object_object_get_ex(args, name, &v) &&
        json_object_is_type(v, json_type_int)) {
        return json_object_get_int64(v);
    }
    return def;
}

uint64_t monitor_arg_uint(json_object *args, const char *name, uint64_t def)
{
    json_object *v;
    if (args && json_object_object_get_ex(args, name, &v) &&
        json_object_is_type(v, json_type_int)) {
        return json_object_get_uint64(v);
    }
    return def;
}

bool monitor_arg_bool(json_object *args, const char *name, bool def)
{
    json_object *v;
    if (args && json_object_object_get_ex(args, name, &v) &&
        json_object_is_type(v, json_type_boolean)) {
        return json_object_get_boolean(v);
    }
    return def;
}

/* ---- Monitor objects ---- */

/*
 * Monitors are created and used by the main loop thread (with the global
 * lock held); only the "current monitor" differs per thread.
 */
static Monitor *monitor_list;
static __thread Monitor *cur_mon;

Monitor *monitor_new(bool is_qmp)
{
    Monitor *mon = emu_malloc0(sizeof(*mon));
    mon->is_qmp = is_qmp;
    strbuf_init(&mon->outbuf);
    strbuf_init(&mon->hmp_line);
    return mon;
}

void monitor_link(Monitor *mon)
{
    Monitor **p = &monitor_list;
    while (*p) {
        p = &(*p)->next;
    }
    *p = mon;
}

void monitor_free(Monitor *mon)
{
    if (!mon) {
        return;
    }
    for (Monitor **p = &monitor_list; *p; p = &(*p)->next) {
        if (*p == mon) {
            *p = mon->next;
            break;
        }
    }
    if (cur_mon == mon) {
        cur_mon = NULL;
    }
    if (mon->has_chr) {
        chr_fe_deinit(&mon->chr);
        mon->has_chr = false;
    }
    if (mon->tok) {
        json_tokener_free(mon->tok);
    }
    if (mon->rs) {
        readline_free(mon->rs);
    }
    strbuf_free(&mon->outbuf);
    strbuf_free(&mon->hmp_line);
    free(mon);
}

Monitor *monitor_list_first(void)
{
    return monitor_list;
}

void monitor_cleanup_all(void)
{
    /*
     * Stop listening first: detaching one front end of a mux hands the
     * focus to the next, which must not wake up and print a prompt.
     */
    for (Monitor *mon = monitor_list; mon; mon = mon->next) {
        if (mon->has_chr) {
            chr_fe_set_handlers(&mon->chr, NULL, NULL, NULL, NULL);
        }
    }
    while (monitor_list) {
        monitor_free(monitor_list);
    }
}

Monitor *monitor_cur(void)
{
    return cur_mon;
}

Monitor *monitor_set_cur(Monitor *mon)
{
    Monitor *old = cur_mon;
    cur_mon = mon;
    return old;
}

bool monitor_is_qmp(const Monitor *mon)
{
    return mon && mon->is_qmp;
}

int monitor_get_cpu_index(const Monitor *mon)
{
    return mon ? mon->cpu_index : 0;
}

void monitor_set_cpu_index(Monitor *mon, int index)
{
    if (mon) {
        mon->cpu_index = index;
    }
}

void monitor_flush(Monitor *mon)
{
    if (mon->capture || !mon->outbuf.len) {
        return;
    }
    if (mon->has_chr) {
        /* A peer that went away loses the output, as with QEMU. */
        chr_fe_write_all(&mon->chr, (const uint8_t *)mon->outbuf.str,
                         (int)mon->outbuf.len);
    }
    strbuf_truncate(&mon->outbuf, 0);
}

void monitor_puts(Monitor *mon, const char *str)
{
    /* Terminals and QEMU-speaking clients expect CR LF line ends. */
    const char *p = str;
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            strbuf_append(&mon->outbuf, p);
            break;
        }
        strbuf_append_len(&mon->outbuf, p, nl - p);
        strbuf_append_len(&mon->outbuf, "\r\n", 2);
        p = nl + 1;
    }
    monitor_flush(mon);
}

void monitor_vprintf(Monitor *mon, const char *fmt, va_list ap)
{
    if (!mon || mon->is_qmp) {
        return;
    }
    char *s = emu_vasprintf(fmt, ap);
    monitor_puts(mon, s);
    free(s);
}

void monitor_printf(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    monitor_vprintf(mon, fmt, ap);
    va_end(ap);
}

/* ---- -mon ---- */

static const OptDesc mon_opts_desc[] = {
    { "id", OPT_STRING, "monitor id" },
    { "chardev", OPT_STRING, "character device to use" },
    { "mode", OPT_STRING, "readline (HMP) or control (QMP)" },
    { "pretty", OPT_BOOL, "QMP: indented JSON output" },
    { NULL },
};

bool monitor_new_from_opts(EmuOpts *opts, Error **errp)
{
    Error *err = NULL;

    if (!opts_validate(opts, mon_opts_desc, "mon", errp)) {
        return false;
    }
    opts_get(opts, "id");
    const char *chr_id = opts_get(opts, "chardev");
    if (!chr_id) {
        error_setg(errp, "Parameter 'chardev' is missing");
        return false;
    }
    const char *mode = opts_get(opts, "mode");
    if (!mode) {
        mode = "readline";
    }
    bool has_pretty = opts_has(opts, "pretty");
    bool pretty = opts_get_bool(opts, "pretty", false, &err);
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    bool qmp;
    if (!strcmp(mode, "control")) {
        qmp = true;
    } else if (!strcmp(mode, "readline")) {
        qmp = false;
    } else {
        error_setg(errp, "Parameter 'mode' does not accept value '%s' "
                   "(use readline or control)", mode);
        return false;
    }
    if (!qmp && has_pretty) {
        error_setg(errp, "'pretty' is not compatible with HMP monitors");
        return false;
    }
    Chardev *chr = chardev_find(chr_id);
    if (!chr) {
        error_setg(errp, "chardev '%s' not found", chr_id);
        return false;
    }
    return qmp ? monitor_init_qmp(chr, pretty, errp)
               : monitor_init_hmp(chr, true, errp);
}
