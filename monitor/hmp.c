/* HMP: the human monitor (argument parsing, dispatch, help, completion). */
#include "monitor-internal.h"
#include <math.h>

#define HMP_PROMPT      "(emu) "
#define HMP_READ_CHUNK  4096

/* ---- Words ---- */

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

static bool is_word_end(char c)
{
    return !c || c == ' ' || c == '\t';
}

/*
 * One word at *pp: unquoted up to the next blank, or "quoted" with
 * \\ \" \' \n \r \t escapes.  Returns NULL (and sets errp) on a bad
 * quoted string.
 */
static char *get_word(const char **pp, Error **errp)
{
    const char *p = *pp;
    StrBuf sb;
    strbuf_init(&sb);

    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            char c = *p++;
            if (c == '\\') {
                switch (*p) {
                case 'n':
                    c = '\n';
                    break;
                case 'r':
                    c = '\r';
                    break;
                case 't':
                    c = '\t';
                    break;
                case '\\':
                case '"':
                case '\'':
                    c = *p;
                    break;
                default:
                    error_setg(errp, "unsupported escape code: '\\%c'",
                               *p ? *p : ' ');
                    strbuf_free(&sb);
                    return NULL;
                }
                p++;
            }
            strbuf_append_len(&sb, &c, 1);
        }
        if (*p != '"') {
            error_setg(errp, "unterminated string");
            strbuf_free(&sb);
            return NULL;
        }
        p++;
        if (!is_word_end(*p)) {
            error_setg(errp, "extraneous characters after quoted string");
            strbuf_free(&sb);
            return NULL;
        }
    } else {
        const char *start = p;
        while (!is_word_end(*p)) {
            p++;
        }
        strbuf_append_len(&sb, start, p - start);
    }
    *pp = p;
    return strbuf_steal(&sb);
}

/* The rest of the line without trailing blanks; NULL when empty */
static char *get_rest(const char **pp)
{
    const char *p = skip_spaces(*pp);
    size_t len = strlen(p);
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
        len--;
    }
    *pp = p + strlen(p);
    return len ? emu_strndup(p, len) : NULL;
}

/* ---- Arguments ---- */

/* Consume "-x" flags of a run of consecutive flag items, in any order */
static void parse_flags(const char **pp, const MonitorArgSpec *flags,
                        int nb_flags, json_object *args)
{
    for (;;) {
        const char *p = skip_spaces(*pp);
        if (*p != '-') {
            return;
        }
        int i;
        for (i = 0; i < nb_flags; i++) {
            size_t n = strlen(flags[i].flag);
            if (!strncmp(p + 1, flags[i].flag, n) && is_word_end(p[1 + n])) {
                json_object_object_add(args, flags[i].name,
                                       json_object_new_boolean(1));
                *pp = p + 1 + n;
                break;
            }
        }
        if (i == nb_flags) {
            return;     /* maybe a negative number for the next argument */
        }
    }
}

static bool parse_one_arg(const char **pp, const MonitorArgSpec *spec,
                          json_object *args, Error **errp)
{
    const char *p = skip_spaces(*pp);
    char *word = NULL;
    bool ok = false;

    /* S and O take the rest of the line; the others one word */
    if (spec->type == 'S' || spec->type == 'O') {
        word = get_rest(&p);
    } else if (*p) {
        word = get_word(&p, errp);
        if (!word) {
            return false;
        }
    }
    if (!word) {
        if (!spec->optional) {
            error_setg(errp, "Parameter '%s' is missing", spec->name);
            return false;
        }
        *pp = p;
        return true;
    }

    switch (spec->type) {
    case 's':
    case 'S':
        json_object_object_add(args, spec->name,
                               json_object_new_string(word));
        break;
    case 'i': {
        int64_t v;
        const char *end;
        /* decimal or 0x hex; a leading 0 does not mean octal */
        const char *digits = word + (word[0] == '-' || word[0] == '+');
        int base = (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
                   ? 16 : 10;
        if (emu_strtoi64(word, &end, base, &v) < 0 || *end) {
            error_setg(errp, "Parameter '%s' expects an integer, got '%s'",
                       spec->name, word);
            goto out;
        }
        json_object_object_add(args, spec->name, json_object_new_int64(v));
        break;
    }
    case 'o':
    case 'M': {
        uint64_t v;
        if (!parse_size(word, &v, spec->type == 'M' ? MiB : 1)) {
            error_setg(errp, "Parameter '%s' expects a size, got '%s'",
                       spec->name, word);
            goto out;
        }
        json_object_object_add(args, spec->name, json_object_new_uint64(v));
        break;
    }
    case 'b': {
        bool v;
        if (!parse_bool(word, &v)) {
            error_setg(errp, "Parameter '%s' expects 'on' or 'off', got '%s'",
                       spec->name, word);
            goto out;
        }
        json_object_object_add(args, spec->name, json_object_new_boolean(v));
        break;
    }
    case 'n': {
        char *end;
        errno = 0;
        double v = strtod(word, &end);
        if (end == word || *end || errno || !isfinite(v)) {
            error_setg(errp, "Parameter '%s' expects a number, got '%s'",
                       spec->name, word);
            goto out;
        }
        json_object_object_add(args, spec->name, json_object_new_double(v));
        break;
    }
    case 'O': {
        EmuOpts *opts = opts_parse(word, NULL, false, errp);
        if (!opts) {
            goto out;
        }
        json_object *obj = json_object_new_object();
        for (EmuOpt *o = opts->head; o; o = o->next) {
            json_object_object_add(obj, o->name,
                                   json_object_new_string(o->value));
        }
        opts_free(opts);
        json_object_object_add(args, spec->name, obj);
        break;
    }
    case 'A':
    default:
        error_setg(errp, "Parameter '%s' cannot be given in HMP", spec->name);
        goto out;
    }
    *pp = p;
    ok = true;
out:
    free(word);
    return ok;
}

/* Parse the arguments after the command name into a JSON object */
static json_object *hmp_parse_args(const MonitorCommand *cmd, const char *p,
                                   const char *cmd_name, Error **errp)
{
    json_object *args = json_object_new_object();
    const char *pos = cmd->args;
    MonitorArgSpec spec;
    MonitorArgSpec flags[16];
    bool have_next = monitor_arg_spec_next(&pos, &spec);

    while (have_next) {
        if (spec.type == '-') {
            /* gather the run of flags so they may come in any order */
            int nb_flags = 0;
            while (have_next && spec.type == '-') {
                if (nb_flags < (int)ARRAY_SIZE(flags)) {
                    flags[nb_flags++] = spec;
                }
                have_next = monitor_arg_spec_next(&pos, &spec);
            }
            parse_flags(&p, flags, nb_flags, args);
            continue;
        }
        if (!parse_one_arg(&p, &spec, args, errp)) {
            json_object_put(args);
            return NULL;
        }
        have_next = monitor_arg_spec_next(&pos, &spec);
    }
    p = skip_spaces(p);
    if (*p) {
        error_setg(errp, "%s: extraneous characters at the end of line",
                   cmd_name);
        json_object_put(args);
        return NULL;
    }
    return args;
}

/* ---- Dispatch ---- */

static bool hmp_error_report_hook(const char *msg)
{
    Monitor *mon = monitor_cur();
    if (!mon || mon->is_qmp) {
        return false;
    }
    monitor_puts(mon, msg);
    return true;
}

void hmp_handle_command(Monitor *mon, const char *cmdline)
{
    const char *p = skip_spaces(cmdline);
    const char *name_start = p;
    const MonitorCommand *cmd;
    Error *err = NULL;

    if (!*p) {
        return;
    }
    while (!is_word_end(*p)) {
        p++;
    }
    char *name = emu_strndup(name_start, p - name_start);
    if (!strcmp(name, "info") && *skip_spaces(p)) {
        /* "info X" is one command */
        const char *sub = skip_spaces(p);
        p = sub;
        while (!is_word_end(*p)) {
            p++;
        }
        char *full = emu_asprintf("info %.*s", (int)(p - sub), sub);
        free(name);
        name = full;
    }
    cmd = monitor_find_hmp(name);
    if (!cmd) {
        monitor_printf(mon, "unknown command: '%s'\n", name);
        free(name);
        return;
    }

    json_object *args = hmp_parse_args(cmd, p, name, &err);
    free(name);
    if (!args) {
        monitor_printf(mon, "%s\n", error_get_pretty(err));
        error_free(err);
        return;
    }

    /* error_report() from the handler goes to this monitor */
    Monitor *prev = monitor_set_cur(mon);
    error_set_report_hook(hmp_error_report_hook);
    json_object *ret = cmd->handler(mon, args, &err);
    /* an HMP command may run another (hmp_execute): keep the outer's hook */
    error_set_report_hook(prev && !prev->is_qmp ? hmp_error_report_hook
                                                : NULL);
    monitor_set_cur(prev);

    if (err) {
        monitor_printf(mon, "Error: %s\n", error_get_pretty(err));
        error_free(err);
    } else if (ret && cmd->hmp_print) {
        prev = monitor_set_cur(mon);
        cmd->hmp_print(mon, ret);
        monitor_set_cur(prev);
    }
    json_object_put(ret);
    json_object_put(args);
}

char *hmp_execute_on_cpu(const char *cmdline, int cpu_index)
{
    Monitor *mon = monitor_new(false);
    mon->capture = true;
    mon->cpu_index = cpu_index;
    hmp_handle_command(mon, cmdline);
    char *out = strbuf_steal(&mon->outbuf);
    monitor_free(mon);
    return out;
}

char *hmp_execute(const char *cmdline, Error **errp)
{
    return hmp_execute_on_cpu(cmdline, 0);
}

/* ---- Help ---- */

static bool is_info_command(const MonitorCommand *cmd)
{
    return cmd->hmp_name && strstart(cmd->hmp_name, "info ", NULL);
}

static int cmp_hmp_name(const void *a, const void *b)
{
    const MonitorCommand *ca = *(const MonitorCommand *const *)a;
    const MonitorCommand *cb = *(const MonitorCommand *const *)b;
    return strcmp(ca->hmp_name, cb->hmp_name);
}

static void help_print_one(Monitor *mon, const MonitorCommand *cmd)
{
    monitor_printf(mon, "%s %s -- %s\n", cmd->hmp_name,
                   cmd->params ? cmd->params : "",
                   cmd->help ? cmd->help : "");
}

/* HMP commands, "info X" ones or the others, sorted by name */
static void help_print_list(Monitor *mon, bool info)
{
    size_t n = 0;
    while (monitor_command_at(n)) {
        n++;
    }
    const MonitorCommand **list = emu_new(const MonitorCommand *, n + 1);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const MonitorCommand *cmd = monitor_command_at(i);
        if (cmd->hmp_name && is_info_command(cmd) == info) {
            list[count++] = cmd;
        }
    }
    qsort(list, count, sizeof(*list), cmp_hmp_name);
    for (size_t i = 0; i < count; i++) {
        help_print_one(mon, list[i]);
    }
    free(list);
}

void hmp_info_help(Monitor *mon)
{
    help_print_list(mon, true);
}

void hmp_help(Monitor *mon, const char *name)
{
    if (!name || !*skip_spaces(name)) {
        help_print_list(mon, false);
        return;
    }
    /* normalise blanks: "help  info   status" */
    StrBuf sb;
    strbuf_init(&sb);
    const char *p = skip_spaces(name);
    while (*p) {
        const char *start = p;
        while (!is_word_end(*p)) {
            p++;
        }
        if (sb.len) {
            strbuf_append(&sb, " ");
        }
        strbuf_append_len(&sb, start, p - start);
        p = skip_spaces(p);
    }
    if (!strcmp(sb.str, "info")) {
        hmp_info_help(mon);
    } else {
        const MonitorCommand *cmd = monitor_find_hmp(sb.str);
        if (cmd) {
            help_print_one(mon, cmd);
        } else {
            monitor_printf(mon, "unknown command: '%s'\n", sb.str);
        }
    }
    strbuf_free(&sb);
}

/* ---- Completion ---- */

/* Offer every alias of every command (or "info X" subcommand) */
static void complete_command_names(ReadLineState *rs, bool info)
{
    const MonitorCommand *cmd;
    for (size_t i = 0; (cmd = monitor_command_at(i)); i++) {
        if (!cmd->hmp_name || is_info_command(cmd) != info) {
            continue;
        }
        const char *p = cmd->hmp_name + (info ? strlen("info ") : 0);
        for (;;) {
            const char *bar = strchr(p, '|');
            size_t len = bar ? (size_t)(bar - p) : strlen(p);
            char *alias = emu_strndup(p, len);
            readline_add_completion(rs, alias);
            free(alias);
            if (!bar) {
                break;
            }
            p = bar + 1;
            strstart(p, "info ", &p);
        }
    }
}

static void hmp_completion(void *opaque, const char *cmdline)
{
    Monitor *mon = opaque;
    char *words[3] = { NULL, NULL, NULL };
    int nb_words = 0;
    const char *p = skip_spaces(cmdline);

    /* the words before the one being completed */
    while (*p) {
        const char *start = p;
        while (!is_word_end(*p)) {
            p++;
        }
        if (!*p) {
            break;      /* last word, still being typed */
        }
        if (nb_words < (int)ARRAY_SIZE(words)) {
            words[nb_words] = emu_strndup(start, p - start);
        }
        nb_words++;
        p = skip_spaces(p);
    }

    bool help = nb_words >= 1 && monitor_find_hmp(words[0]) &&
                monitor_find_hmp(words[0]) == monitor_find_hmp("help");
    if (nb_words == 0 || (help && nb_words == 1)) {
        complete_command_names(mon->rs, false);
    } else if ((nb_words == 1 && !strcmp(words[0], "info")) ||
               (help && nb_words == 2 && !strcmp(words[1], "info"))) {
        complete_command_names(mon->rs, true);
    }
    for (int i = 0; i < (int)ARRAY_SIZE(words); i++) {
        free(words[i]);
    }
}

/* ---- Monitor on a chardev ---- */

static void hmp_rl_write(void *opaque, const char *str)
{
    monitor_puts(opaque, str);
}

static void hmp_rl_line(void *opaque, const char *line)
{
    Monitor *mon = opaque;
    hmp_handle_command(mon, line);
    if (mon->rs && !mon->quitting) {
        readline_show_prompt(mon->rs);
    }
}

static int hmp_chr_can_read(void *opaque)
{
    return HMP_READ_CHUNK;
}

static void hmp_chr_read(void *opaque, const uint8_t *buf, int size)
{
    Monitor *mon = opaque;

    for (int i = 0; i < size; i++) {
        uint8_t c = buf[i];
        if (mon->rs) {
            readline_handle_byte(mon->rs, c);
            continue;
        }
        /* without line editing: lines end at CR, LF or CR LF */
        bool after_cr = mon->hmp_last_cr;
        mon->hmp_last_cr = c == '\r';
        if (c == '\r' || c == '\n') {
            if (c == '\n' && after_cr) {
                continue;
            }
            char *line = strbuf_steal(&mon->hmp_line);
            strbuf_init(&mon->hmp_line);
            hmp_handle_command(mon, line);
            free(line);
        } else if (c && mon->hmp_line.len < READLINE_CMD_BUF_SIZE) {
            char ch = (char)c;
            strbuf_append_len(&mon->hmp_line, &ch, 1);
        }
    }
}

static void hmp_show_banner(Monitor *mon)
{
    monitor_printf(mon, "emu %s monitor - type 'help' for more information\n",
                   EMU_VERSION);
    if (mon->rs) {
        readline_restart(mon->rs);
        readline_show_prompt(mon->rs);
    }
}

static void hmp_chr_event(void *opaque, ChrEvent event)
{
    Monitor *mon = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        mon->opened = true;
        strbuf_truncate(&mon->hmp_line, 0);
        if (mon->mux_out) {
            /* greet when the user switches to us (Ctrl-a c) */
            mon->banner_pending = true;
        } else {
            hmp_show_banner(mon);
        }
        break;
    case CHR_EVENT_MUX_IN:
        if (!mon->mux_out) {
            break;      /* had the focus already; the prompt is there */
        }
        mon->mux_out = false;
        if (!mon->opened) {
            break;      /* the banner and prompt come with OPENED */
        }
        if (mon->banner_pending) {
            mon->banner_pending = false;
            hmp_show_banner(mon);
        } else if (mon->rs) {
            readline_show_prompt(mon->rs);
        }
        break;
    case CHR_EVENT_MUX_OUT:
        if (!mon->mux_out && mon->opened && !mon->banner_pending) {
            monitor_puts(mon, "\n");   /* leave the prompt line */
        }
        mon->mux_out = true;
        break;
    case CHR_EVENT_CLOSED:
        mon->opened = false;
        mon->banner_pending = false;
        strbuf_truncate(&mon->hmp_line, 0);
        strbuf_truncate(&mon->outbuf, 0);
        if (mon->rs) {
            readline_restart(mon->rs);
        }
        break;
    default:
        break;
    }
}

bool monitor_init_hmp(Chardev *chr, bool use_readline, Error **errp)
{
    Monitor *mon = monitor_new(false);
    if (!chr_fe_init(&mon->chr, chr, errp)) {
        monitor_free(mon);
        return false;
    }
    mon->has_chr = true;
    if (use_readline) {
        mon->rs = readline_new(hmp_rl_write, hmp_rl_line, hmp_completion,
                               mon);
        readline_set_prompt(mon->rs, HMP_PROMPT);
    }
    monitor_link(mon);
    /* an already connected backend sends OPENED (banner) right away */
    chr_fe_set_handlers(&mon->chr, hmp_chr_can_read, hmp_chr_read,
                        hmp_chr_event, mon);
    return true;
}
