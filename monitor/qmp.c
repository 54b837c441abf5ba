/* QMP: the JSON monitor protocol (greeting, negotiation, dispatch, events). */
#include "monitor-internal.h"
#include <sys/time.h>

/* json-c's nesting limit; QMP messages are shallow */
#define QMP_MAX_DEPTH       64
/* A message still incomplete after this many bytes is discarded */
#define QMP_MAX_MESSAGE     (16 * MiB)
/* Bytes accepted per read callback */
#define QMP_READ_CHUNK      4096

/* ---- Serialisation ---- */

static void json_indent(StrBuf *sb, int depth)
{
    strbuf_append_len(sb, "\n", 1);
    for (int i = 0; i < depth; i++) {
        strbuf_append_len(sb, "    ", 4);
    }
}

/*
 * json-c prints either without spaces or with its own spacing; QEMU
 * prints {"a": 1, "b": [2]} or, with pretty=on, four-space indentation.
 * Re-space json-c's plain output outside of strings so that clients that
 * compare text (test suites, logs) see what QEMU would have sent.
 */
char *qmp_to_json(json_object *obj, bool pretty)
{
    const char *plain = json_object_to_json_string_ext(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    StrBuf sb;
    bool in_string = false;
    int depth = 0;

    strbuf_init(&sb);
    for (const char *p = plain; *p; p++) {
        char c = *p;
        if (in_string) {
            strbuf_append_len(&sb, p, 1);
            if (c == '\\' && p[1]) {
                strbuf_append_len(&sb, ++p, 1);
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            strbuf_append_len(&sb, p, 1);
            break;
        case ':':
            strbuf_append_len(&sb, ": ", 2);
            break;
        case ',':
            if (pretty) {
                strbuf_append_len(&sb, ",", 1);
                json_indent(&sb, depth);
            } else {
                strbuf_append_len(&sb, ", ", 2);
            }
            break;
        case '{':
        case '[':
            if (p[1] == (c == '{' ? '}' : ']')) {
                /* empty containers stay on one line */
                strbuf_append_len(&sb, p, 2);
                p++;
            } else {
                strbuf_append_len(&sb, p, 1);
                if (pretty) {
                    json_indent(&sb, ++depth);
                }
            }
            break;
        case '}':
        case ']':
            if (pretty) {
                json_indent(&sb, --depth);
            }
            strbuf_append_len(&sb, p, 1);
            break;
        default:
            strbuf_append_len(&sb, p, 1);
            break;
        }
    }
    return strbuf_steal(&sb);
}

static void qmp_send(Monitor *mon, json_object *msg)
{
    char *json = qmp_to_json(msg, mon->pretty);
    /* every message ends its line, like QEMU's */
    char *line = emu_asprintf("%s\n", json);
    monitor_puts(mon, line);
    free(line);
    free(json);
}

static json_object *qmp_error_object(Error *err)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "class", json_object_new_string(
                               error_class_name(error_get_class(err))));
    json_object_object_add(e, "desc",
                           json_object_new_string(error_get_pretty(err)));
    return e;
}

static void qmp_send_error(Monitor *mon, Error *err, json_object *id)
{
    json_object *rsp = json_object_new_object();
    json_object_object_add(rsp, "error", qmp_error_object(err));
    if (id) {
        json_object_object_add(rsp, "id", json_object_get(id));
    }
    qmp_send(mon, rsp);
    json_object_put(rsp);
}

/* ---- Argument checking ---- */

static const char *qmp_type_name(char type)
{
    switch (type) {
    case 's':
    case 'S':
        return "string";
    case 'i':
        return "integer";
    case 'o':
    case 'M':
        return "size";
    case 'b':
    case '-':
        return "boolean";
    case 'n':
        return "number";
    case 'O':
        return "object";
    case 'A':
        return "array";
    default:
        return "value";
    }
}

static bool qmp_type_ok(char type, json_object *v)
{
    switch (type) {
    case 's':
    case 'S':
        return json_object_is_type(v, json_type_string);
    case 'i':
        return json_object_is_type(v, json_type_int);
    case 'o':
    case 'M':
        /* sizes are unsigned: json-c keeps big values as uint64 */
        return json_object_is_type(v, json_type_int) &&
               (json_object_get_int64(v) >= 0);
    case 'b':
    case '-':
        return json_object_is_type(v, json_type_boolean);
    case 'n':
        return json_object_is_type(v, json_type_int) ||
               json_object_is_type(v, json_type_double);
    case 'O':
        return json_object_is_type(v, json_type_object);
    case 'A':
        return json_object_is_type(v, json_type_array);
    default:
        return false;
    }
}

static bool qmp_check_args(const MonitorCommand *cmd, json_object *args,
                           Error **errp)
{
    const char *pos = cmd->args;
    MonitorArgSpec spec;

    /* Members in spec order first, as QEMU's input visitor does */
    while (monitor_arg_spec_next(&pos, &spec)) {
        json_object *v;
        if (!json_object_object_get_ex(args, spec.name, &v)) {
            if (!spec.optional) {
                error_setg(errp, "Parameter '%s' is missing", spec.name);
                return false;
            }
            continue;
        }
        if (!qmp_type_ok(spec.type, v)) {
            error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                       spec.name, qmp_type_name(spec.type));
            return false;
        }
    }
    if (cmd->flags & MON_CMD_QMP_OPEN_ARGS) {
        return true;
    }
    json_object_object_foreach(args, key, val) {
        (void)val;
        bool known = false;
        pos = cmd->args;
        while (monitor_arg_spec_next(&pos, &spec)) {
            if (!strcmp(spec.name, key)) {
                known = true;
                break;
            }
        }
        if (!known) {
            error_setg(errp, "Parameter '%s' is unexpected", key);
            return false;
        }
    }
    return true;
}

/* ---- Dispatch ---- */

/*
 * Check the request's members the way QEMU does; returns the command name
 * (a JSON string) and the arguments (borrowed, or NULL when absent).
 */
static bool qmp_check_request(Monitor *mon, json_object *req,
                              json_object **name, json_object **args,
                              Error **errp)
{
    const char *exec_key = NULL;

    *name = NULL;
    *args = NULL;
    json_object_object_foreach(req, key, val) {
        if (!strcmp(key, "execute") ||
            (!strcmp(key, "exec-oob") && mon->qmp_oob)) {
            if (!json_object_is_type(val, json_type_string)) {
                error_setg(errp, "QMP input member '%s' must be a string",
                           key);
                return false;
            }
            if (exec_key) {
                error_setg(errp, "QMP input member '%s' clashes with '%s'",
                           key, exec_key);
                return false;
            }
            exec_key = key;
            *name = val;
        } else if (!strcmp(key, "arguments")) {
            if (!json_object_is_type(val, json_type_object)) {
                error_setg(errp,
                           "QMP input member 'arguments' must be an object");
                return false;
            }
            *args = val;
        } else if (!strcmp(key, "id")) {
            continue;
        } else {
            error_setg(errp, "QMP input member '%s' is unexpected", key);
            return false;
        }
    }
    if (!exec_key) {
        error_setg(errp, "QMP input lacks member 'execute'");
        return false;
    }
    return true;
}

/* Run one request; returns its result (NULL means {}) or sets errp */
static json_object *qmp_run_request(Monitor *mon, json_object *req,
                                    Error **errp)
{
    const MonitorCommand *cmd = NULL;
    json_object *name_obj;
    json_object *args;

    if (!json_object_is_type(req, json_type_object)) {
        error_setg(errp, "QMP input must be a JSON object");
        return NULL;
    }
    if (!qmp_check_request(mon, req, &name_obj, &args, errp)) {
        return NULL;
    }
    const char *name = json_object_get_string(name_obj);
    /* an embedded NUL must not make "stop\u0000x" run "stop" */
    if (strlen(name) == (size_t)json_object_get_string_len(name_obj)) {
        cmd = monitor_find_qmp(name);
    }
    if (cmd && !mon->qmp_commands_mode && !(cmd->flags & MON_CMD_PRECONFIG)) {
        cmd = NULL;
    }
    if (!cmd) {
        if (mon->qmp_commands_mode) {
            error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                      "The command %s has not been found", name);
        } else {
            error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                      "Expecting capabilities negotiation with "
                      "'qmp_capabilities'");
        }
        return NULL;
    }

    json_object *empty_args = NULL;
    if (!args) {
        args = empty_args = json_object_new_object();
    }
    json_object *ret = NULL;
    if (qmp_check_args(cmd, args, errp)) {
        Error *err = NULL;
        Monitor *prev = monitor_set_cur(mon);
        ret = cmd->handler(mon, args, &err);
        monitor_set_cur(prev);
        if (err) {
            json_object_put(ret);
            ret = NULL;
            error_propagate(errp, err);
        }
    }
    json_object_put(empty_args);
    return ret;
}

static void qmp_dispatch(Monitor *mon, json_object *req)
{
    Error *err = NULL;
    json_object *ret = qmp_run_request(mon, req, &err);
    json_object *rsp = json_object_new_object();
    json_object *id;

    if (err) {
        json_object_object_add(rsp, "error", qmp_error_object(err));
        error_free(err);
    } else {
        json_object_object_add(rsp, "return",
                               ret ? ret : json_object_new_object());
    }
    /* any id, even null, is echoed, also when the request was refused */
    if (json_object_is_type(req, json_type_object) &&
        json_object_object_get_ex(req, "id", &id)) {
        json_object_object_add(rsp, "id", json_object_get(id));
    }
    qmp_send(mon, rsp);
    json_object_put(rsp);
}

/* ---- Input ---- */

static void qmp_reset_parser(Monitor *mon)
{
    json_tokener_reset(mon->tok);
    mon->qmp_pending = 0;
    mon->qmp_skip_line = false;
}

static void qmp_parse_error(Monitor *mon, const char *what)
{
    Error *err = NULL;
    error_setg(&err, "JSON parse error, %s", what);
    qmp_send_error(mon, err, NULL);
    error_free(err);
}

void qmp_handle_input(Monitor *mon, const uint8_t *buf, size_t len)
{
    size_t off = 0;

    while (off < len) {
        if (mon->qmp_skip_line) {
            /* after a syntax error, resume at the next line */
            const uint8_t *nl = memchr(buf + off, '\n', len - off);
            if (!nl) {
                return;
            }
            off = nl - buf + 1;
            mon->qmp_skip_line = false;
            continue;
        }

        int chunk = (int)MIN(len - off, (size_t)INT_MAX);
        json_object *obj = json_tokener_parse_ex(
            mon->tok, (const char *)buf + off, chunk);
        enum json_tokener_error jerr = json_tokener_get_error(mon->tok);
        size_t used = json_tokener_get_parse_end(mon->tok);

        if (jerr == json_tokener_continue) {
            off += used ? used : (size_t)chunk;
            mon->qmp_pending += used;
            if (mon->qmp_pending > QMP_MAX_MESSAGE) {
                qmp_parse_error(mon, "message too large");
                qmp_reset_parser(mon);
                mon->qmp_skip_line = true;
            }
            continue;
        }
        if (jerr != json_tokener_success) {
            qmp_parse_error(mon, json_tokener_error_desc(jerr));
            qmp_reset_parser(mon);
            off += used;
            if (off < len && buf[off] == '\n') {
                off++;
            } else {
                mon->qmp_skip_line = true;
            }
            continue;
        }
        off += used;
        qmp_reset_parser(mon);
        qmp_dispatch(mon, obj);
        json_object_put(obj);
    }
}

static json_object *qmp_greeting(void)
{
    json_object *version = qmp_version_info();
    json_object *caps = json_object_new_array();
    json_object_array_add(caps, json_object_new_string("oob"));
    json_object *qmp = json_object_new_object();
    json_object_object_add(qmp, "version", version);
    json_object_object_add(qmp, "capabilities", caps);
    json_object *greeting = json_object_new_object();
    json_object_object_add(greeting, "QMP", qmp);
    return greeting;
}

static int qmp_chr_can_read(void *opaque)
{
    return QMP_READ_CHUNK;
}

static void qmp_chr_read(void *opaque, const uint8_t *buf, int size)
{
    if (size > 0) {
        qmp_handle_input(opaque, buf, size);
    }
}

static void qmp_chr_event(void *opaque, ChrEvent event)
{
    Monitor *mon = opaque;

    switch (event) {
    case CHR_EVENT_OPENED: {
        /* a new client starts from capabilities negotiation */
        mon->opened = true;
        mon->qmp_commands_mode = false;
        mon->qmp_oob = false;
        qmp_reset_parser(mon);
        strbuf_truncate(&mon->outbuf, 0);
        json_object *greeting = qmp_greeting();
        qmp_send(mon, greeting);
        json_object_put(greeting);
        break;
    }
    case CHR_EVENT_CLOSED:
        /* no events for a client that is gone */
        mon->opened = false;
        mon->qmp_commands_mode = false;
        mon->qmp_oob = false;
        qmp_reset_parser(mon);
        strbuf_truncate(&mon->outbuf, 0);
        break;
    default:
        break;
    }
}

bool monitor_init_qmp(Chardev *chr, bool pretty, Error **errp)
{
    Monitor *mon = monitor_new(true);
    mon->pretty = pretty;
    mon->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
    if (!chr_fe_init(&mon->chr, chr, errp)) {
        monitor_free(mon);
        return false;
    }
    mon->has_chr = true;
    monitor_link(mon);
    /* an already connected backend sends OPENED (greeting) right away */
    chr_fe_set_handlers(&mon->chr, qmp_chr_can_read, qmp_chr_read,
                        qmp_chr_event, mon);
    return true;
}

/* ---- Events ---- */

void monitor_event(const char *name, json_object *data)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);

    json_object *ts = json_object_new_object();
    json_object_object_add(ts, "seconds", json_object_new_int64(tv.tv_sec));
    json_object_object_add(ts, "microseconds",
                           json_object_new_int64(tv.tv_usec));
    json_object *ev = json_object_new_object();
    json_object_object_add(ev, "timestamp", ts);
    json_object_object_add(ev, "event", json_object_new_string(name));
    if (data) {
        json_object_object_add(ev, "data", data);
    }
    for (Monitor *mon = monitor_list_first(); mon; mon = mon->next) {
        if (mon->is_qmp && mon->qmp_commands_mode) {
            qmp_send(mon, ev);
        }
    }
    json_object_put(ev);
}
