/* Parsing of QEMU-style "key=val,key=val" option strings. */
#include "emu/option.h"

EmuOpts *opts_new(void)
{
    EmuOpts *o = emu_malloc0(sizeof(*o));
    o->tail = &o->head;
    return o;
}

void opts_free(EmuOpts *opts)
{
    if (!opts) {
        return;
    }
    EmuOpt *o = opts->head;
    while (o) {
        EmuOpt *n = o->next;
        free(o->name);
        free(o->value);
        free(o);
        o = n;
    }
    free(opts);
}

void opts_set(EmuOpts *opts, const char *name, const char *value)
{
    EmuOpt *o = emu_malloc0(sizeof(*o));
    o->name = emu_strdup(name);
    o->value = emu_strdup(value);
    *opts->tail = o;
    opts->tail = &o->next;
}

static EmuOpt *opts_find(EmuOpts *opts, const char *name)
{
    EmuOpt *found = NULL;
    for (EmuOpt *o = opts->head; o; o = o->next) {
        if (!strcmp(o->name, name)) {
            found = o;
        }
    }
    return found;
}

const char *opts_get(EmuOpts *opts, const char *name)
{
    EmuOpt *o = opts_find(opts, name);
    if (!o) {
        return NULL;
    }
    o->used = true;
    return o->value;
}

bool opts_has(EmuOpts *opts, const char *name)
{
    return opts_find(opts, name) != NULL;
}

void opts_del(EmuOpts *opts, const char *name)
{
    EmuOpt **pp = &opts->head;
    opts->tail = &opts->head;
    while (*pp) {
        EmuOpt *o = *pp;
        if (!strcmp(o->name, name)) {
            *pp = o->next;
            free(o->name);
            free(o->value);
            free(o);
        } else {
            pp = &o->next;
            opts->tail = pp;
        }
    }
}

/* Read up to an unescaped delimiter; ",," becomes ",". */
static const char *get_token(const char *p, char delim, StrBuf *out)
{
    strbuf_init(out);
    while (*p) {
        if (*p == ',') {
            if (p[1] == ',') {
                strbuf_append_len(out, ",", 1);
                p += 2;
                continue;
            }
            break;
        }
        if (*p == delim) {
            break;
        }
        strbuf_append_len(out, p, 1);
        p++;
    }
    return p;
}

EmuOpts *opts_parse(const char *str, const char *implied_key,
                    bool allow_no_prefix, Error **errp)
{
    EmuOpts *opts = opts_new();
    const char *p = str;
    bool first = true;

    if (!*p) {
        return opts;
    }
    for (;;) {
        StrBuf key, val;
        const char *q = get_token(p, '=', &key);
        if (*q == '=') {
            q = get_token(q + 1, 0, &val);
            if (!key.len) {
                error_setg(errp, "Invalid parameter '' in '%s'", str);
                strbuf_free(&key);
                strbuf_free(&val);
                goto fail;
            }
            opts_set(opts, key.str, val.str);
            strbuf_free(&val);
        } else if (first && implied_key) {
            opts_set(opts, implied_key, key.str);
        } else if (!key.len) {
            /* empty element, e.g. trailing comma: QEMU rejects it */
            error_setg(errp, "Invalid parameter '' in '%s'", str);
            strbuf_free(&key);
            goto fail;
        } else if (allow_no_prefix && strstart(key.str, "no", NULL) &&
                   key.len > 2) {
            opts_set(opts, key.str + 2, "off");
        } else {
            opts_set(opts, key.str, "on");
        }
        strbuf_free(&key);
        first = false;
        if (*q != ',') {
            break;
        }
        p = q + 1;
    }
    return opts;

fail:
    opts_free(opts);
    return NULL;
}

bool parse_bool(const char *str, bool *val)
{
    static const char *const yes[] = { "on", "yes", "true", "y", NULL };
    static const char *const no[] = { "off", "no", "false", "n", NULL };
    for (int i = 0; yes[i]; i++) {
        if (!strcmp(str, yes[i])) {
            *val = true;
            return true;
        }
        if (!strcmp(str, no[i])) {
            *val = false;
            return true;
        }
    }
    return false;
}

/* Decimal, or hexadecimal with 0x; never octal ("08" is eight). */
static int number_base(const char *str)
{
    return (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) ? 16 : 10;
}

bool parse_uint(const char *str, uint64_t *val)
{
    return *str && emu_strtou64(str, NULL, number_base(str), val) == 0;
}

bool parse_size(const char *str, uint64_t *val, uint64_t default_mult)
{
    const char *end;
    char *fend;
    uint64_t mult;

    if (!*str || *str == '-' || *str == ' ') {
        return false;
    }
    errno = 0;
    /* integers (incl. 0x) exactly; fractions like 1.5G through double */
    uint64_t ival;
    if (emu_strtou64(str, &end, number_base(str), &ival) < 0) {
        return false;
    }
    double dval = ival;
    bool frac = false;
    if (*end == '.') {
        dval = strtod(str, &fend);
        end = fend;
        frac = true;
    }
    switch (*end) {
    case 0:
        mult = default_mult;
        break;
    case 'b': case 'B':
        mult = 1;
        break;
    case 'k': case 'K':
        mult = KiB;
        break;
    case 'm': case 'M':
        mult = MiB;
        break;
    case 'g': case 'G':
        mult = GiB;
        break;
    case 't': case 'T':
        mult = TiB;
        break;
    case 'p': case 'P':
        mult = TiB * 1024;
        break;
    case 'e': case 'E':
        mult = TiB * 1024 * 1024;
        break;
    default:
        return false;
    }
    if (*end && end[1]) {
        return false;
    }
    if (frac) {
        double r = dval * mult;
        if (r >= 18446744073709551616.0) {
            return false;
        }
        *val = (uint64_t)r;
        return true;
    }
    if (mult && ival > UINT64_MAX / mult) {
        return false;
    }
    *val = ival * mult;
    return true;
}

bool is_help_option(const char *str)
{
    return str && (!strcmp(str, "help") || !strcmp(str, "?"));
}

bool opts_get_bool(EmuOpts *opts, const char *name, bool def, Error **errp)
{
    const char *v = opts_get(opts, name);
    bool b;
    if (!v) {
        return def;
    }
    if (!parse_bool(v, &b)) {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
        return def;
    }
    return b;
}

uint64_t opts_get_number(EmuOpts *opts, const char *name, uint64_t def,
                         Error **errp)
{
    const char *v = opts_get(opts, name);
    uint64_t n;
    if (!v) {
        return def;
    }
    if (!parse_uint(v, &n)) {
        error_setg(errp, "Parameter '%s' expects a number, got '%s'", name, v);
        return def;
    }
    return n;
}

uint64_t opts_get_size(EmuOpts *opts, const char *name, uint64_t def,
                       Error **errp)
{
    const char *v = opts_get(opts, name);
    uint64_t n;
    if (!v) {
        return def;
    }
    if (!parse_size(v, &n, 1)) {
        error_setg(errp, "Parameter '%s' expects a size, got '%s'", name, v);
        return def;
    }
    return n;
}

bool opts_validate(EmuOpts *opts, const OptDesc *desc, const char *what,
                   Error **errp)
{
    for (EmuOpt *o = opts->head; o; o = o->next) {
        const OptDesc *d;
        for (d = desc; d->name; d++) {
            if (!strcmp(d->name, o->name)) {
                break;
            }
        }
        if (!d->name) {
            error_setg(errp, "Invalid parameter '%s'%s%s", o->name,
                       what ? " for " : "", what ? what : "");
            return false;
        }
        bool b;
        uint64_t n;
        switch (d->type) {
        case OPT_BOOL:
            if (!parse_bool(o->value, &b)) {
                error_setg(errp, "Parameter '%s' expects 'on' or 'off', "
                           "got '%s'", o->name, o->value);
                return false;
            }
            break;
        case OPT_NUMBER:
            if (!parse_uint(o->value, &n)) {
                error_setg(errp, "Parameter '%s' expects a number, got '%s'",
                           o->name, o->value);
                return false;
            }
            break;
        case OPT_SIZE:
            if (!parse_size(o->value, &n, 1)) {
                error_setg(errp, "Parameter '%s' expects a size, got '%s'",
                           o->name, o->value);
                return false;
            }
            break;
        case OPT_STRING:
            break;
        }
    }
    return true;
}

const char *opts_first_unused(EmuOpts *opts)
{
    for (EmuOpt *o = opts->head; o; o = o->next) {
        if (!o->used) {
            return o->name;
        }
    }
    return NULL;
}

char *opts_to_string(EmuOpts *opts)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (EmuOpt *o = opts->head; o; o = o->next) {
        if (o != opts->head) {
            strbuf_append(&sb, ",");
        }
        strbuf_append(&sb, o->name);
        strbuf_append(&sb, "=");
        for (const char *p = o->value; *p; p++) {
            strbuf_append_len(&sb, p, 1);
            if (*p == ',') {
                strbuf_append_len(&sb, p, 1);
            }
        }
    }
    return strbuf_steal(&sb);
}
