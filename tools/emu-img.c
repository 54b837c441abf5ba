/* emu-img: create, inspect, check, convert and change disk images. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/option.h"
#include "emu/thread.h"
#include "block/block_int.h"

#include <getopt.h>
#include <math.h>
#include <time.h>
#include <json-c/json.h>

/*
 * Exit status of check (qemu-img's): 0 clean, 1 the check itself failed,
 * 2 corruptions, 3 leaks only, 63 the format cannot be checked.
 */
#define CHECK_EXIT_UNSUPPORTED 63

/* convert moves data in chunks of this size (and no bigger) */
#define CONVERT_CHUNK (2 * MiB)
#define SECTOR_SIZE 512
/* convert -S: qemu-img's limit */
#define MAX_SPARSE_SIZE (16 * MiB)

static bool quiet;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static void EMU_NORETURN usage_error(const char *fmt, ...) EMU_PRINTF(1, 2);

/* A command-line mistake: one line, a pointer to --help, exit 1 */
static void usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vreport(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'emu-img --help' for more information\n");
    exit(1);
}

/*
 * Human-readable size with three significant digits: "196 KiB",
 * "1.27 MiB", "1 GiB".  The unit switches when the figure reaches 1000.
 */
static char *size_to_str(uint64_t val)
{
    static const char *const units[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi",
                                         "Ei" };
    int exp = 0;
    unsigned idx;

    frexp(val / (1000.0 / 1024.0), &exp);
    idx = exp > 0 ? (unsigned)(exp - 1) / 10 : 0;
    if (idx >= ARRAY_SIZE(units)) {
        idx = ARRAY_SIZE(units) - 1;
    }
    return emu_asprintf("%0.3g %sB", (double)val / (double)(1ULL << (idx * 10)),
                        units[idx]);
}

/* Fast test for an all-zero buffer */
static bool buffer_is_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t i = 0;

    if (len == 0) {
        return true;
    }
    if (p[0] || p[len - 1] || p[len / 2]) {
        return false;
    }
    for (; i < len && ((uintptr_t)(p + i) & 7); i++) {
        if (p[i]) {
            return false;
        }
    }
    for (; i + 32 <= len; i += 32) {
        const uint64_t *w = (const uint64_t *)(p + i);
        if (w[0] | w[1] | w[2] | w[3]) {
            return false;
        }
    }
    for (; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/*
 * Parse an image size as qemu-img does: an integer or fraction with an
 * optional suffix (b, k, M, G, T, P, E), below 2^63.  Reports errors with
 * qemu-img's texts.
 */
static bool parse_image_size(const char *str, int64_t *size)
{
    uint64_t val;

    if (!parse_size(str, &val, 1)) {
        error_report("Invalid image size specified. You may use k, M, G, "
                     "T, P or E suffixes for");
        error_report("kilobytes, megabytes, gigabytes, terabytes, "
                     "petabytes and exabytes.");
        return false;
    }
    if (val > INT64_MAX) {
        error_report("Invalid image size specified. Must be between 0 and "
                     "%" PRId64 ".", INT64_MAX);
        return false;
    }
    *size = (int64_t)val;
    return true;
}

/* Cache mode names (-t/-T) to open flags */
static bool parse_cache_mode(const char *mode, int *flags)
{
    *flags &= ~(BDRV_O_NOCACHE | BDRV_O_NO_FLUSH | BDRV_O_WRITETHROUGH);
    if (!strcmp(mode, "none") || !strcmp(mode, "off")) {
        *flags |= BDRV_O_NOCACHE;
    } else if (!strcmp(mode, "directsync")) {
        *flags |= BDRV_O_NOCACHE | BDRV_O_WRITETHROUGH;
    } else if (!strcmp(mode, "writeback")) {
        /* the default */
    } else if (!strcmp(mode, "writethrough")) {
        *flags |= BDRV_O_WRITETHROUGH;
    } else if (!strcmp(mode, "unsafe")) {
        *flags |= BDRV_O_NO_FLUSH;
    } else {
        return false;
    }
    return true;
}

static BlockDriverState *img_open(const char *filename, const char *fmt,
                                  int flags)
{
    Error *err = NULL;
    BlockDriverState *bs;

    bs = bdrv_open(filename, fmt, NULL, flags, &err);
    if (!bs) {
        error_prepend(&err, "Could not open '%s': ", filename);
        error_report_err(err);
        return NULL;
    }
    return bs;
}

/* Append one -o argument to the accumulated option string */
static char *add_options(char *acc, const char *arg)
{
    char *res;

    if (!acc) {
        return emu_strdup(arg);
    }
    res = emu_asprintf("%s,%s", acc, arg);
    free(acc);
    return res;
}

/* ------------------------------------------------------------------ */
/* JSON output in qemu-img's layout                                    */
/* ------------------------------------------------------------------ */

/*
 * qemu-img prints JSON objects in the iteration order of QEMU's QDict: a
 * 512-bucket hash table keyed with the tdb hash, each bucket listing the
 * most recent insertion first.  Scripts compare that text, so emu-img
 * prints the keys in the same order.
 */
static unsigned qdict_bucket(const char *key)
{
    uint32_t value = 0x238F13AFu * (uint32_t)strlen(key);

    for (unsigned i = 0; key[i]; i++) {
        value += (uint32_t)(uint8_t)key[i] << (i * 5 % 24);
    }
    return (1103515243u * value + 12345u) % 512;
}

typedef struct JsonMember {
    const char *key;
    json_object *val;
    unsigned bucket;
    int index;
} JsonMember;

static int json_member_cmp(const void *a, const void *b)
{
    const JsonMember *ma = a, *mb = b;

    if (ma->bucket != mb->bucket) {
        return ma->bucket < mb->bucket ? -1 : 1;
    }
    /* later insertions come first within a bucket */
    return mb->index - ma->index;
}

static void json_print_string(StrBuf *sb, const char *s)
{
    strbuf_append(sb, "\"");
    for (; *s; s++) {
        unsigned char c = *s;
        switch (c) {
        case '"':
            strbuf_append(sb, "\\\"");
            break;
        case '\\':
            strbuf_append(sb, "\\\\");
            break;
        case '\b':
            strbuf_append(sb, "\\b");
            break;
        case '\f':
            strbuf_append(sb, "\\f");
            break;
        case '\n':
            strbuf_append(sb, "\\n");
            break;
        case '\r':
            strbuf_append(sb, "\\r");
            break;
        case '\t':
            strbuf_append(sb, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                strbuf_printf(sb, "\\u%04X", c);
            } else {
                strbuf_append_len(sb, (const char *)&c, 1);
            }
        }
    }
    strbuf_append(sb, "\"");
}

static void json_indent(StrBuf *sb, int level)
{
    for (int i = 0; i < level; i++) {
        strbuf_append(sb, "    ");
    }
}

static void json_print(StrBuf *sb, json_object *obj, int level)
{
    switch (json_object_get_type(obj)) {
    case json_type_null:
        strbuf_append(sb, "null");
        break;
    case json_type_boolean:
        strbuf_append(sb, json_object_get_boolean(obj) ? "true" : "false");
        break;
    case json_type_int:
        strbuf_printf(sb, "%" PRId64, (int64_t)json_object_get_int64(obj));
        break;
    case json_type_double:
        strbuf_printf(sb, "%.17g", json_object_get_double(obj));
        break;
    case json_type_string:
        json_print_string(sb, json_object_get_string(obj));
        break;
    case json_type_array: {
        size_t n = json_object_array_length(obj);
        strbuf_append(sb, "[");
        for (size_t i = 0; i < n; i++) {
            strbuf_append(sb, i ? ",\n" : "\n");
            json_indent(sb, level + 1);
            json_print(sb, json_object_array_get_idx(obj, i), level + 1);
        }
        strbuf_append(sb, "\n");
        json_indent(sb, level);
        strbuf_append(sb, "]");
        break;
    }
    case json_type_object: {
        int n = json_object_object_length(obj), i = 0;
        JsonMember *m = emu_new0(JsonMember, n ? n : 1);
        json_object_object_foreach(obj, key, val) {
            m[i].key = key;
            m[i].val = val;
            m[i].bucket = qdict_bucket(key);
            m[i].index = i;
            i++;
        }
        qsort(m, n, sizeof(*m), json_member_cmp);
        strbuf_append(sb, "{");
        for (i = 0; i < n; i++) {
            strbuf_append(sb, i ? ",\n" : "\n");
            json_indent(sb, level + 1);
            json_print_string(sb, m[i].key);
            strbuf_append(sb, ": ");
            json_print(sb, m[i].val, level + 1);
        }
        strbuf_append(sb, "\n");
        json_indent(sb, level);
        strbuf_append(sb, "}");
        free(m);
        break;
    }
    }
}

static void json_dump(json_object *obj)
{
    StrBuf sb;

    strbuf_init(&sb);
    json_print(&sb, obj, 0);
    printf("%s\n", sb.str);
    strbuf_free(&sb);
}

static void json_add_int(json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

static void json_add_str(json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, json_object_new_string(v));
}

static void json_add_bool(json_object *o, const char *key, bool v)
{
    json_object_object_add(o, key, json_object_new_boolean(v));
}

typedef enum OutputFormat { OFMT_HUMAN, OFMT_JSON } OutputFormat;

static OutputFormat parse_output_format(const char *arg)
{
    if (!strcmp(arg, "json")) {
        return OFMT_JSON;
    }
    if (!strcmp(arg, "human")) {
        return OFMT_HUMAN;
    }
    error_report("--output must be used with human or json as argument.");
    exit(1);
}

/* ------------------------------------------------------------------ */
/* Progress (-p)                                                       */
/* ------------------------------------------------------------------ */

typedef struct Progress {
    bool enabled;
    double last;
} Progress;

static void progress_print(Progress *p, double percent, bool force)
{
    if (!p->enabled) {
        return;
    }
    if (percent > 100.0) {
        percent = 100.0;
    }
    if (!force && percent - p->last < 1.0 &&
        !(percent >= 100.0 && p->last < 100.0)) {
        return;
    }
    p->last = percent;
    printf("    (%3.2f/100%%)\r", percent);
    fflush(stdout);
}

static void progress_init(Progress *p, bool enabled)
{
    p->enabled = enabled;
    p->last = 0;
    progress_print(p, 0, true);
}

/* The work is complete: show 100% once more, as qemu-img does */
static void progress_done(Progress *p)
{
    progress_print(p, 100.0, true);
}

/* The progress line ends (after success or failure) */
static void progress_end(Progress *p)
{
    if (p->enabled) {
        printf("\n");
        fflush(stdout);
        p->enabled = false;
    }
}

/* ------------------------------------------------------------------ */
/* create                                                              */
/* ------------------------------------------------------------------ */

static const OptDesc raw_create_opts[] = {
    { "preallocation", OPT_STRING,
      "Preallocation mode (allowed values: off, falloc, full)" },
    { "size", OPT_SIZE, "Virtual disk size" },
    { NULL },
};

static const OptDesc qcow2_create_opts[] = {
    { "backing_file", OPT_STRING, "File name of a base image" },
    { "backing_fmt", OPT_STRING, "Image format of the base image" },
    { "cluster_size", OPT_SIZE, "qcow2 cluster size" },
    { "compat", OPT_STRING, "Compatibility level (v2 [0.10] or v3 [1.1])" },
    { "compression_type", OPT_STRING,
      "Compression method used for image cluster compression" },
    { "extended_l2", OPT_BOOL, "Extended L2 tables" },
    { "lazy_refcounts", OPT_BOOL, "Postpone refcount updates" },
    { "preallocation", OPT_STRING,
      "Preallocation mode (allowed values: off, metadata, falloc, full)" },
    { "refcount_bits", OPT_NUMBER,
      "Width of a reference count entry in bits" },
    { "size", OPT_SIZE, "Virtual disk size" },
    { NULL },
};

static const OptDesc *create_opts_for(const char *fmt)
{
    if (!strcmp(fmt, "qcow2")) {
        return qcow2_create_opts;
    }
    return raw_create_opts;
}

static const char *opt_type_name(OptType t)
{
    switch (t) {
    case OPT_BOOL:
        return "bool (on/off)";
    case OPT_NUMBER:
        return "num";
    case OPT_SIZE:
        return "size";
    default:
        return "str";
    }
}

static void print_create_help(const char *fmt)
{
    const OptDesc *o = create_opts_for(fmt);
    bool is_raw = !strcmp(fmt, "raw");

    printf("Supported %s options:\n", fmt);
    for (; o->name; o++) {
        if (is_raw && !strcmp(o->name, "preallocation")) {
            /* qemu-img lists it with the protocol's options */
            continue;
        }
        char *head = emu_asprintf("%s=<%s>", o->name, opt_type_name(o->type));
        printf("  %-22s - %s\n", head, o->help);
        free(head);
    }
    printf("\nThe protocol level may support further options.\n"
           "Specify the target filename to include those options.\n");
}

/* The lines qemu-img adds after a malformed size */
static void print_size_hint(void)
{
    fprintf(stderr, "Optional suffix k, M, G, T, P or E means kilo-, mega-, "
            "giga-, tera-, peta-\nand exabytes, respectively.\n");
}

/*
 * Check -o keys and value syntax against the format's list; *size_hint
 * is set when the caller should add print_size_hint()'s lines.
 */
static bool validate_create_opts(const char *fmt, EmuOpts *opts,
                                 bool *size_hint, Error **errp)
{
    const OptDesc *table = create_opts_for(fmt);

    for (EmuOpt *o = opts->head; o; o = o->next) {
        const OptDesc *d;
        uint64_t n;
        bool b;

        for (d = table; d->name; d++) {
            if (!strcmp(d->name, o->name)) {
                break;
            }
        }
        if (!d->name) {
            error_setg(errp, "Invalid parameter '%s'", o->name);
            return false;
        }
        switch (d->type) {
        case OPT_BOOL:
            if (!parse_bool(o->value, &b)) {
                error_setg(errp, "Parameter '%s' expects 'on' or 'off'",
                           o->name);
                return false;
            }
            break;
        case OPT_NUMBER:
            if (!parse_uint(o->value, &n)) {
                error_setg(errp, "Parameter '%s' expects a number", o->name);
                return false;
            }
            break;
        case OPT_SIZE:
            if (!parse_size(o->value, &n, 1)) {
                error_setg(errp, "Parameter '%s' expects a non-negative "
                           "number below 2^64", o->name);
                *size_hint = true;
                return false;
            }
            break;
        default:
            break;
        }
    }
    return true;
}

/* The value of a bool option printed as qemu-img does: on/off */
static const char *bool_opt_text(EmuOpts *opts, const char *name,
                                 const char *def)
{
    const char *v = opts_get(opts, name);
    bool b;

    if (!v) {
        return def;
    }
    return parse_bool(v, &b) ? (b ? "on" : "off") : v;
}

/*
 * "Formatting 'x', fmt=qcow2 cluster_size=65536 ...": the options in
 * qemu-img's order, defaults included where qemu-img shows them.
 */
static void print_formatting(const char *filename, const char *fmt,
                             uint64_t size, EmuOpts *opts)
{
    StrBuf sb;
    const char *v;

    strbuf_init(&sb);
    strbuf_printf(&sb, "Formatting '%s', fmt=%s", filename, fmt);
    if (!strcmp(fmt, "qcow2")) {
        uint64_t cs = 65536;
        v = opts_get(opts, "cluster_size");
        if (v) {
            parse_size(v, &cs, 1);
        }
        strbuf_printf(&sb, " cluster_size=%" PRIu64, cs);
        strbuf_printf(&sb, " extended_l2=%s",
                      bool_opt_text(opts, "extended_l2", "off"));
        if ((v = opts_get(opts, "preallocation"))) {
            strbuf_printf(&sb, " preallocation=%s", v);
        }
        v = opts_get(opts, "compression_type");
        strbuf_printf(&sb, " compression_type=%s", v ? v : "zlib");
        strbuf_printf(&sb, " size=%" PRIu64, size);
        if ((v = opts_get(opts, "backing_file"))) {
            strbuf_printf(&sb, " backing_file=%s", v);
        }
        if ((v = opts_get(opts, "backing_fmt"))) {
            strbuf_printf(&sb, " backing_fmt=%s", v);
        }
        if ((v = opts_get(opts, "compat"))) {
            strbuf_printf(&sb, " compat=%s", v);
        }
        strbuf_printf(&sb, " lazy_refcounts=%s",
                      bool_opt_text(opts, "lazy_refcounts", "off"));
        v = opts_get(opts, "refcount_bits");
        strbuf_printf(&sb, " refcount_bits=%s", v ? v : "16");
    } else {
        strbuf_printf(&sb, " size=%" PRIu64, size);
        if ((v = opts_get(opts, "preallocation"))) {
            strbuf_printf(&sb, " preallocation=%s", v);
        }
    }
    if (!quiet) {
        printf("%s\n", sb.str);
        fflush(stdout);
    }
    strbuf_free(&sb);
}

/*
 * Create filename as fmt.  size < 0: take it from the backing file.
 * Shared by create and convert.  Returns 0 or -1 (error reported).
 */
static int create_image(const char *filename, const char *fmt,
                        const char *optstr, const char *backing,
                        const char *backing_fmt, bool unsafe_backing,
                        int64_t size, bool print)
{
    /* convert's wording for a failed create, as qemu-img's */
    bool converting = !print;
    Error *err = NULL;
    EmuOpts *opts;
    const char *v;
    int ret = -1;

    if (!bdrv_find_format(fmt)) {
        error_report("%s: Unknown file format '%s'", filename, fmt);
        return -1;
    }
    if (optstr) {
        opts = opts_parse(optstr, NULL, false, &err);
        if (!opts) {
            error_prepend(&err, "%s: ", filename);
            error_report_err(err);
            return -1;
        }
    } else {
        opts = opts_new();
    }
    bool size_hint = false;
    if (!validate_create_opts(fmt, opts, &size_hint, &err)) {
        if (!converting) {
            error_prepend(&err, "%s: ", filename);
        }
        error_report_err(err);
        if (size_hint) {
            print_size_hint();
        }
        goto out;
    }
    if (backing) {
        opts_set(opts, "backing_file", backing);
    }
    if (backing_fmt) {
        opts_set(opts, "backing_fmt", backing_fmt);
    }
    if ((v = opts_get(opts, "size"))) {
        uint64_t n;
        if (size >= 0 && !converting) {
            error_report("%s: The image size must be specified only once",
                         filename);
            goto out;
        }
        parse_size(v, &n, 1);
        if (n > INT64_MAX) {
            error_report("%s: Invalid image size specified. Must be between "
                         "0 and %" PRId64 ".", filename, INT64_MAX);
            goto out;
        }
        size = (int64_t)n;
        opts_del(opts, "size");
    }
    backing = opts_get(opts, "backing_file");
    backing_fmt = opts_get(opts, "backing_fmt");
    if (backing && !*backing) {
        backing = NULL;
    }
    if (backing && strcmp(fmt, "qcow2")) {
        error_report("%s: Backing file not supported for file format '%s'",
                     filename, fmt);
        goto out;
    }
    if (backing && !backing_fmt) {
        error_report("%s: Backing file specified without backing format",
                     filename);
        goto out;
    }
    if (backing && !unsafe_backing) {
        char *path = bdrv_backing_path(filename, backing);
        BlockDriverState *bbs;

        if (backing_fmt && !bdrv_find_format(backing_fmt)) {
            error_report("%s: Unknown backing file format '%s'", filename,
                         backing_fmt);
            free(path);
            goto out;
        }
        bbs = bdrv_open(path, backing_fmt, NULL, BDRV_O_NO_BACKING, &err);
        free(path);
        if (!bbs) {
            error_prepend(&err, "%s: ", filename);
            error_report_err(err);
            fprintf(stderr, "Could not open backing image.\n");
            goto out;
        }
        if (size < 0) {
            size = bdrv_getlength(bbs);
        }
        bdrv_unref(bbs);
        if (size < 0) {
            error_report("%s: Could not get the size of the backing file",
                         filename);
            goto out;
        }
    }
    if (size < 0) {
        error_report("%s: Image creation needs a size parameter", filename);
        goto out;
    }
    if (print) {
        print_formatting(filename, fmt, size, opts);
    }
    /* images are whole sectors (the line above shows the size as given) */
    if (bdrv_create(fmt, filename, ROUND_UP((uint64_t)size, SECTOR_SIZE), opts,
                    &err) < 0) {
        if (converting) {
            error_prepend(&err, "%s: error while converting %s: ", filename,
                          fmt);
        } else {
            error_prepend(&err, "%s: ", filename);
        }
        error_report_err(err);
        goto out;
    }
    ret = 0;
out:
    opts_free(opts);
    return ret;
}

static int img_create(int argc, char **argv)
{
    const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL;
    char *options = NULL;
    bool unsafe = false;
    int64_t size = -1;
    int c, ret;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, 'O' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":F:b:f:ho:qu", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'F':
            backing_fmt = optarg;
            break;
        case 'b':
            backing = optarg;
            break;
        case 'f':
            fmt = optarg;
            break;
        case 'o':
            if (is_help_option(optarg)) {
                if (!bdrv_find_format(fmt)) {
                    error_report("Unknown file format '%s'", fmt);
                    free(options);
                    return 1;
                }
                print_create_help(fmt);
                free(options);
                return 0;
            }
            options = add_options(options, optarg);
            break;
        case 'q':
            quiet = true;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'O':
            error_report("--object is not supported");
            return 1;
        case 'h':
            printf("usage: emu-img create [-f fmt] [-o options] [-b backing "
                   "[-F backing_fmt]] [-u] filename [size]\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        usage_error("Expecting image file name");
    }
    const char *filename = argv[optind++];
    if (optind < argc) {
        if (!parse_image_size(argv[optind++], &size)) {
            free(options);
            return 1;
        }
    }
    if (optind != argc) {
        usage_error("Unexpected argument: %s", argv[optind]);
    }
    ret = create_image(filename, fmt, options, backing, backing_fmt, unsafe,
                       size, true);
    free(options);
    return ret < 0 ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* info                                                                */
/* ------------------------------------------------------------------ */

static void format_date(char *buf, size_t len, uint32_t sec)
{
    time_t t = sec;
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void format_vm_clock(char *buf, size_t len, uint64_t nsec)
{
    uint64_t msec = nsec / 1000000;
    uint64_t secs = msec / 1000;

    snprintf(buf, len, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
             secs / 3600, (secs / 60) % 60, secs % 60, msec % 1000);
}

static bool snapshot_has_icount(const BdrvSnapshotInfo *sn)
{
    return sn->icount != UINT32_MAX;
}

static void print_snapshot_table(const BdrvSnapshotInfo *list, int n)
{
    printf("Snapshot list:\n");
    printf("%-9s %-17s %7s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE",
           "VM CLOCK", "ICOUNT");
    for (int i = 0; i < n; i++) {
        const BdrvSnapshotInfo *sn = &list[i];
        char date[64], clock[64], icount[32] = "";
        char *size = size_to_str(sn->vm_state_size);

        format_date(date, sizeof(date), sn->date_sec);
        format_vm_clock(clock, sizeof(clock), sn->vm_clock_nsec);
        if (snapshot_has_icount(sn)) {
            snprintf(icount, sizeof(icount), "%" PRIu32, sn->icount);
        }
        printf("%-9s %-17s %7s%20s%13s%11s\n", sn->id_str, sn->name, size,
               date, clock, icount);
        free(size);
    }
}

static json_object *snapshot_json(const BdrvSnapshotInfo *sn)
{
    json_object *o = json_object_new_object();

    json_add_str(o, "id", sn->id_str);
    json_add_str(o, "name", sn->name);
    json_add_int(o, "vm-state-size", (int64_t)sn->vm_state_size);
    json_add_int(o, "date-sec", sn->date_sec);
    json_add_int(o, "date-nsec", sn->date_nsec);
    json_add_int(o, "vm-clock-sec", (int64_t)(sn->vm_clock_nsec / 1000000000));
    json_add_int(o, "vm-clock-nsec", (int64_t)(sn->vm_clock_nsec % 1000000000));
    if (snapshot_has_icount(sn)) {
        json_add_int(o, "icount", sn->icount);
    }
    return o;
}

/* Everything info shows about one image */
typedef struct ImageInfo {
    char *filename;
    const char *format;
    int64_t virtual_size;
    int64_t actual_size;        /* < 0: unknown */
    int cluster_size;
    bool dirty;
    bool encrypted;
    char *backing_file;         /* NULL: none */
    char *full_backing_file;
    char *backing_format;       /* NULL: none recorded */
    BdrvSnapshotInfo *snapshots;
    int nb_snapshots;
    StrBuf specific_human;
    json_object *specific_json; /* NULL: the driver has none */
} ImageInfo;

static void image_info_free(ImageInfo *info)
{
    free(info->filename);
    free(info->backing_file);
    free(info->full_backing_file);
    free(info->backing_format);
    free(info->snapshots);
    strbuf_free(&info->specific_human);
    if (info->specific_json) {
        json_object_put(info->specific_json);
    }
}

static void collect_image_info(BlockDriverState *bs, const char *filename,
                               ImageInfo *info)
{
    BlockDriverInfo bdi = { 0 };

    memset(info, 0, sizeof(*info));
    strbuf_init(&info->specific_human);
    info->filename = emu_strdup(filename);
    info->format = bs->drv->format_name;
    info->virtual_size = bdrv_getlength(bs);
    info->actual_size = bdrv_get_allocated_file_size(bs);
    if (bdrv_get_info(bs, &bdi) >= 0) {
        info->cluster_size = bdi.cluster_size;
        info->dirty = bdi.is_dirty;
    }
    info->encrypted = bs->encrypted;
    if (bs->backing_file[0]) {
        info->backing_file = emu_strdup(bs->backing_file);
        info->full_backing_file = bdrv_backing_path(filename,
                                                    bs->backing_file);
        if (bs->backing_format[0]) {
            info->backing_format = emu_strdup(bs->backing_format);
        }
    }
    if (bs->drv->snapshot_list) {
        int n = bs->drv->snapshot_list(bs, &info->snapshots);
        info->nb_snapshots = n > 0 ? n : 0;
    }
    if (bs->drv->dump_info) {
        json_object *data = json_object_new_object();
        bs->drv->dump_info(bs, &info->specific_human, data);
        info->specific_json = json_object_new_object();
        json_add_str(info->specific_json, "type", bs->drv->format_name);
        json_object_object_add(info->specific_json, "data", data);
    }
}

static void print_image_info_human(ImageInfo *info)
{
    char *s;

    printf("image: %s\n", info->filename);
    printf("file format: %s\n", info->format);
    s = size_to_str(info->virtual_size);
    printf("virtual size: %s (%" PRId64 " bytes)\n", s, info->virtual_size);
    free(s);
    if (info->actual_size >= 0) {
        s = size_to_str(info->actual_size);
        printf("disk size: %s\n", s);
        free(s);
    } else {
        printf("disk size: unavailable\n");
    }
    if (info->cluster_size) {
        printf("cluster_size: %d\n", info->cluster_size);
    }
    if (info->dirty) {
        printf("cleanly shut down: no\n");
    }
    if (info->encrypted) {
        printf("encrypted: yes\n");
    }
    if (info->backing_file) {
        printf("backing file: %s", info->backing_file);
        if (strcmp(info->backing_file, info->full_backing_file)) {
            printf(" (actual path: %s)", info->full_backing_file);
        }
        printf("\n");
        if (info->backing_format) {
            printf("backing file format: %s\n", info->backing_format);
        }
    }
    if (info->nb_snapshots > 0) {
        print_snapshot_table(info->snapshots, info->nb_snapshots);
    }
    if (info->specific_json) {
        const char *line = info->specific_human.str;
        printf("Format specific information:\n");
        while (line && *line) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            printf("    %.*s\n", (int)len, line);
            line = nl ? nl + 1 : NULL;
        }
    }
}

static json_object *image_info_json(ImageInfo *info)
{
    json_object *o = json_object_new_object();

    json_add_str(o, "filename", info->filename);
    json_add_str(o, "format", info->format);
    json_add_bool(o, "dirty-flag", info->dirty);
    if (info->actual_size >= 0) {
        json_add_int(o, "actual-size", info->actual_size);
    }
    json_add_int(o, "virtual-size", info->virtual_size);
    if (info->cluster_size) {
        json_add_int(o, "cluster-size", info->cluster_size);
    }
    if (info->encrypted) {
        json_add_bool(o, "encrypted", true);
    }
    if (info->backing_file) {
        json_add_str(o, "backing-filename", info->backing_file);
        json_add_str(o, "full-backing-filename", info->full_backing_file);
        if (info->backing_format) {
            json_add_str(o, "backing-filename-format", info->backing_format);
        }
    }
    if (info->nb_snapshots > 0) {
        json_object *arr = json_object_new_array();
        for (int i = 0; i < info->nb_snapshots; i++) {
            json_object_array_add(arr, snapshot_json(&info->snapshots[i]));
        }
        json_object_object_add(o, "snapshots", arr);
    }
    if (info->specific_json) {
        json_object_object_add(o, "format-specific",
                               json_object_get(info->specific_json));
    }
    return o;
}

static int img_info(int argc, char **argv)
{
    const char *fmt = NULL;
    OutputFormat ofmt = OFMT_HUMAN;
    bool chain = false;
    int flags = BDRV_O_NO_BACKING;
    int c;
    enum { OPT_OUTPUT = 256, OPT_BACKING_CHAIN };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "backing-chain", no_argument, NULL, OPT_BACKING_CHAIN },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":f:hU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'U':
            flags |= BDRV_O_NO_LOCK;
            break;
        case OPT_OUTPUT:
            ofmt = parse_output_format(optarg);
            break;
        case OPT_BACKING_CHAIN:
            chain = true;
            break;
        case 'h':
            printf("usage: emu-img info [-f fmt] [--output=human|json] "
                   "[--backing-chain] [-U] filename\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage_error("Expecting one image file name");
    }

    char *filename = emu_strdup(argv[optind]);
    char *cur_fmt = fmt ? emu_strdup(fmt) : NULL;
    json_object *list = json_object_new_array();
    int ret = 0, depth = 0;

    while (filename) {
        ImageInfo info;
        BlockDriverState *bs = img_open(filename, cur_fmt, flags);
        if (!bs) {
            ret = 1;
            break;
        }
        collect_image_info(bs, filename, &info);
        bdrv_unref(bs);
        if (ofmt == OFMT_HUMAN) {
            if (depth) {
                printf("\n");
            }
            print_image_info_human(&info);
        } else {
            json_object_array_add(list, image_info_json(&info));
        }
        free(filename);
        free(cur_fmt);
        filename = NULL;
        cur_fmt = NULL;
        if (chain && info.backing_file) {
            filename = emu_strdup(info.full_backing_file);
            cur_fmt = info.backing_format ? emu_strdup(info.backing_format)
                                          : NULL;
            if (++depth > 256) {
                error_report("Backing chain too deep (a loop?)");
                image_info_free(&info);
                ret = 1;
                break;
            }
        }
        image_info_free(&info);
    }
    free(filename);
    free(cur_fmt);
    if (ret == 0 && ofmt == OFMT_JSON) {
        if (chain) {
            json_dump(list);
        } else {
            json_dump(json_object_array_get_idx(list, 0));
        }
    }
    json_object_put(list);
    return ret;
}

/* ------------------------------------------------------------------ */
/* check                                                               */
/* ------------------------------------------------------------------ */

static void print_check_human(const BdrvCheckResult *r, int leaks_fixed,
                              int corruptions_fixed)
{
    if (leaks_fixed || corruptions_fixed) {
        printf("The following inconsistencies were found and repaired:\n\n"
               "    %d leaked clusters\n    %d corruptions\n\n"
               "Double checking the fixed image now...\n",
               leaks_fixed, corruptions_fixed);
    }
    if (!r->corruptions && !r->leaks && !r->check_errors) {
        printf("No errors were found on the image.\n");
    } else {
        if (r->corruptions) {
            printf("\n%d errors were found on the image.\n"
                   "Data may be corrupted, or further writes to the image "
                   "may corrupt it.\n", r->corruptions);
        }
        if (r->leaks) {
            printf("\n%d leaked clusters were found on the image.\n"
                   "This means waste of disk space, but no harm to data.\n",
                   r->leaks);
        }
        if (r->check_errors) {
            printf("\n%d internal errors have occurred during the check.\n",
                   r->check_errors);
        }
    }
    if (r->total_clusters && r->allocated_clusters) {
        printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% "
               "fragmented, %0.2f%% compressed clusters\n",
               r->allocated_clusters, r->total_clusters,
               r->allocated_clusters * 100.0 / r->total_clusters,
               r->fragmented_clusters * 100.0 / r->allocated_clusters,
               r->compressed_clusters * 100.0 / r->allocated_clusters);
    }
    if (r->image_end_offset > 0) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

static void print_check_json(const BdrvCheckResult *r, const char *filename,
                             const char *format, int leaks_fixed,
                             int corruptions_fixed)
{
    json_object *o = json_object_new_object();

    json_add_str(o, "filename", filename);
    json_add_str(o, "format", format);
    json_add_int(o, "check-errors", r->check_errors);
    if (r->image_end_offset > 0) {
        json_add_int(o, "image-end-offset", r->image_end_offset);
    }
    if (r->corruptions) {
        json_add_int(o, "corruptions", r->corruptions);
    }
    if (r->leaks) {
        json_add_int(o, "leaks", r->leaks);
    }
    if (corruptions_fixed) {
        json_add_int(o, "corruptions-fixed", corruptions_fixed);
    }
    if (leaks_fixed) {
        json_add_int(o, "leaks-fixed", leaks_fixed);
    }
    if (r->total_clusters) {
        json_add_int(o, "total-clusters", (int64_t)r->total_clusters);
    }
    if (r->allocated_clusters) {
        json_add_int(o, "allocated-clusters", (int64_t)r->allocated_clusters);
    }
    if (r->fragmented_clusters) {
        json_add_int(o, "fragmented-clusters",
                     (int64_t)r->fragmented_clusters);
    }
    if (r->compressed_clusters) {
        json_add_int(o, "compressed-clusters",
                     (int64_t)r->compressed_clusters);
    }
    json_dump(o);
    json_object_put(o);
}

static int img_check(int argc, char **argv)
{
    const char *fmt = NULL;
    OutputFormat ofmt = OFMT_HUMAN;
    int flags = BDRV_O_CHECK | BDRV_O_NO_BACKING, fix = 0, c, ret;
    enum { OPT_OUTPUT = 256 };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "repair", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":hf:r:T:qU", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'r':
            flags |= BDRV_O_RDWR;
            if (!strcmp(optarg, "leaks")) {
                fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                usage_error("Unknown option value for -r (expecting 'leaks' "
                            "or 'all'): %s", optarg);
            }
            break;
        case 'T':
            if (!parse_cache_mode(optarg, &flags)) {
                error_report("Invalid source cache option: %s", optarg);
                return 1;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            flags |= BDRV_O_NO_LOCK;
            break;
        case OPT_OUTPUT:
            ofmt = parse_output_format(optarg);
            break;
        case 'h':
            printf("usage: emu-img check [-f fmt] [-r leaks|all] "
                   "[--output=human|json] [-U] filename\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage_error("Expecting one image file name");
    }
    const char *filename = argv[optind];
    BlockDriverState *bs = img_open(filename, fmt, flags);
    if (!bs) {
        return 1;
    }
    if (!bs->drv->check) {
        error_report("This image format does not support checks");
        bdrv_unref(bs);
        return CHECK_EXIT_UNSUPPORTED;
    }

    BdrvCheckResult res = { 0 };
    int leaks_fixed = 0, corruptions_fixed = 0;
    ret = bdrv_check(bs, &res, fix);
    if (ret >= 0 && fix && (res.leaks_fixed || res.corruptions_fixed)) {
        /* show what the repaired image looks like now */
        leaks_fixed = res.leaks_fixed;
        corruptions_fixed = res.corruptions_fixed;
        memset(&res, 0, sizeof(res));
        ret = bdrv_check(bs, &res, 0);
    }
    if (ret == -ENOTSUP) {
        error_report("This image format does not support checks");
        bdrv_unref(bs);
        return CHECK_EXIT_UNSUPPORTED;
    }
    if (ret < 0) {
        error_report("Check failed: %s", strerror(-ret));
        bdrv_unref(bs);
        return 1;
    }
    if (!quiet) {
        if (ofmt == OFMT_JSON) {
            print_check_json(&res, filename, bs->drv->format_name,
                             leaks_fixed, corruptions_fixed);
        } else {
            print_check_human(&res, leaks_fixed, corruptions_fixed);
        }
    }
    bdrv_unref(bs);
    if (res.check_errors) {
        return 1;
    }
    if (res.corruptions) {
        return 2;
    }
    if (res.leaks) {
        return 3;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Allocation status through a backing chain                           */
/* ------------------------------------------------------------------ */

typedef struct ChainStatus {
    int flags;                  /* BDRV_BLOCK_* of the layer that decided */
    uint64_t map;               /* offset in that layer's file */
    int depth;                  /* 0: the top image */
    BlockDriverState *layer;
} ChainStatus;

/*
 * Whether the host file's holes tell more than bs's own status, as qemu
 * decides it: always for a format without clusters (raw); for a cluster
 * format only when the image looks metadata-preallocated, i.e. its file
 * is much longer than what is really allocated on the host.
 */
static bool layer_defers_to_file(BlockDriverState *bs)
{
    BlockDriverInfo bdi;
    int64_t len, alloc, real, last;

    if (!bs->file) {
        return false;
    }
    if (bdrv_get_info(bs, &bdi) < 0 || bdi.cluster_size <= 0) {
        return true;
    }
    len = bdrv_getlength(bs->file);
    alloc = bdrv_get_allocated_file_size(bs->file);
    if (len < 0 || alloc < 0) {
        return false;
    }
    real = alloc / bdi.cluster_size;
    last = len / bdi.cluster_size;
    return last >= MAX(real * 10 / 9, real + 2);
}

/*
 * Status of [offset, offset + bytes) in the chain under bs, down to (not
 * including) base: the first layer that has the range allocated decides;
 * a range no layer holds reads as zeroes (when the walk stopped at base,
 * the flags lack BDRV_BLOCK_ALLOCATED instead).  *pnum: bytes with that
 * status.
 */
static int chain_block_status(BlockDriverState *bs, BlockDriverState *base,
                              uint64_t offset, uint64_t bytes,
                              uint64_t *pnum, ChainStatus *st)
{
    BlockDriverState *cur = bs;
    int depth = 0;

    for (;;) {
        uint64_t n = 0, map = 0;
        int64_t len = bdrv_getlength(cur);
        int ret;

        if (len < 0) {
            return (int)len;
        }
        if ((int64_t)offset >= len) {
            /* past the end of a shorter backing file: zeroes */
            ret = BDRV_BLOCK_ZERO;
            n = bytes;
        } else {
            uint64_t want = MIN(bytes, (uint64_t)len - offset);
            ret = bdrv_block_status(cur, offset, want, &n, &map);
            if (ret < 0) {
                return ret;
            }
            if (n == 0 || n > want) {
                return -EIO;
            }
        }
        bytes = n;
        if ((ret & BDRV_BLOCK_ALLOCATED) || !cur->backing ||
            cur->backing == base) {
            if (!(ret & (BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_DATA)) &&
                !cur->backing) {
                /* nothing below holds it: reads as zeroes */
                ret |= BDRV_BLOCK_ZERO;
            }
            if ((ret & BDRV_BLOCK_OFFSET_VALID) && (ret & BDRV_BLOCK_DATA) &&
                !(ret & BDRV_BLOCK_ZERO) && layer_defers_to_file(cur)) {
                /*
                 * The host file knows better: a hole there reads as
                 * zeroes.  qemu-img asks too, and its extents end where
                 * the file's do.
                 */
                uint64_t fn = 0;
                int fret = bdrv_block_status(cur->file, map, bytes, &fn, NULL);
                if (fret >= 0 && fn > 0 && fn <= bytes) {
                    ret |= fret & BDRV_BLOCK_ZERO;
                    bytes = fn;
                }
            }
            st->flags = ret;
            st->map = map;
            st->depth = depth;
            st->layer = cur;
            *pnum = bytes;
            return 0;
        }
        cur = cur->backing;
        depth++;
    }
}

/* ------------------------------------------------------------------ */
/* map                                                                 */
/* ------------------------------------------------------------------ */

typedef struct MapEntry {
    uint64_t start, length;
    int depth;
    bool present, zero, data, has_offset;
    uint64_t offset;
    const char *filename;
} MapEntry;

static int map_print(const MapEntry *e, OutputFormat ofmt, bool first)
{
    if (ofmt == OFMT_HUMAN) {
        if (e->data && !e->has_offset) {
            /* no host offset to show */
            error_report("File contains external, encrypted or compressed "
                         "clusters.");
            return -EINVAL;
        }
        if (e->data && !e->zero) {
            printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n",
                   e->start, e->length, e->offset, e->filename);
        }
        return 0;
    }
    printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64 ", "
           "\"depth\": %d, \"present\": %s, \"zero\": %s, \"data\": %s",
           first ? "[" : ",\n", e->start, e->length, e->depth,
           e->present ? "true" : "false", e->zero ? "true" : "false",
           e->data ? "true" : "false");
    if (e->has_offset) {
        printf(", \"offset\": %" PRIu64, e->offset);
    }
    printf("}");
    return 0;
}

static bool map_mergeable(const MapEntry *a, const MapEntry *b)
{
    if (a->depth != b->depth || a->present != b->present ||
        a->zero != b->zero || a->data != b->data ||
        a->has_offset != b->has_offset || a->filename != b->filename) {
        return false;
    }
    return !a->has_offset || a->offset + a->length == b->offset;
}

static int img_map(int argc, char **argv)
{
    const char *fmt = NULL;
    OutputFormat ofmt = OFMT_HUMAN;
    int flags = 0, c, ret = 0;
    int64_t start_offset = 0, max_length = -1;
    enum { OPT_OUTPUT = 256, OPT_START, OPT_MAXLEN };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "start-offset", required_argument, NULL, 's' },
        { "max-length", required_argument, NULL, 'l' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":f:hs:l:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'U':
            flags |= BDRV_O_NO_LOCK;
            break;
        case 's':
        case 'l': {
            int64_t v;
            if (!parse_image_size(optarg, &v)) {
                return 1;
            }
            if (c == 's') {
                start_offset = v;
            } else {
                max_length = v;
            }
            break;
        }
        case OPT_OUTPUT:
            ofmt = parse_output_format(optarg);
            break;
        case 'h':
            printf("usage: emu-img map [-f fmt] [--output=human|json] "
                   "filename\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage_error("Expecting one image file name");
    }
    BlockDriverState *bs = img_open(argv[optind], fmt, flags);
    if (!bs) {
        return 1;
    }
    int64_t length = bdrv_getlength(bs);
    if (length < 0) {
        error_report("Failed to get size for '%s'", argv[optind]);
        bdrv_unref(bs);
        return 1;
    }
    if (max_length >= 0 && start_offset + max_length < length) {
        length = start_offset + max_length;
    }
    if (ofmt == OFMT_HUMAN) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to",
               "File");
    }

    MapEntry cur = { 0 };
    bool have = false, first = true;
    for (uint64_t off = start_offset; (int64_t)off < length;) {
        uint64_t n;
        ChainStatus st;
        /* bounded queries keep each answer quick */
        uint64_t want = MIN((uint64_t)length - off, (uint64_t)1 << 30);

        ret = chain_block_status(bs, NULL, off, want, &n, &st);
        if (ret < 0) {
            error_report("Could not read file metadata: %s", strerror(-ret));
            break;
        }
        MapEntry e = {
            .start = off,
            .length = n,
            .depth = st.depth,
            .present = st.flags & BDRV_BLOCK_ALLOCATED,
            .zero = st.flags & BDRV_BLOCK_ZERO,
            .data = st.flags & BDRV_BLOCK_DATA,
            .has_offset = st.flags & BDRV_BLOCK_OFFSET_VALID,
            .offset = st.map,
            .filename = st.layer->filename,
        };
        if (have && map_mergeable(&cur, &e)) {
            cur.length += e.length;
        } else {
            if (have) {
                ret = map_print(&cur, ofmt, first);
                if (ret < 0) {
                    break;
                }
                first = false;
            }
            cur = e;
            have = true;
        }
        off += n;
    }
    if (ret >= 0 && have) {
        ret = map_print(&cur, ofmt, first);
    }
    if (ofmt == OFMT_JSON && ret >= 0) {
        printf(have ? "]\n" : "[]\n");
    }
    bdrv_unref(bs);
    return ret < 0 ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* snapshot                                                            */
/* ------------------------------------------------------------------ */

static int img_snapshot(int argc, char **argv)
{
    enum { SN_NONE, SN_LIST, SN_CREATE, SN_APPLY, SN_DELETE } action = SN_NONE;
    const char *name = NULL, *fmt = NULL;
    int flags = BDRV_O_NO_BACKING, c, ret = 0;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":la:c:d:f:hqU", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'l':
        case 'a':
        case 'c':
        case 'd':
            if (action != SN_NONE) {
                usage_error("Cannot mix '-l', '-a', '-c', '-d'");
            }
            action = c == 'l' ? SN_LIST : c == 'a' ? SN_APPLY :
                     c == 'c' ? SN_CREATE : SN_DELETE;
            name = c == 'l' ? NULL : optarg;
            if (c != 'l') {
                flags |= BDRV_O_RDWR;
            }
            break;
        case 'f':
            fmt = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            flags |= BDRV_O_NO_LOCK;
            break;
        case 'h':
            printf("usage: emu-img snapshot [-l | -a snapshot | -c snapshot "
                   "| -d snapshot] filename\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage_error("Expecting one image file name");
    }
    BlockDriverState *bs = img_open(argv[optind], fmt, flags);
    if (!bs) {
        return 1;
    }
    const BlockDriver *drv = bs->drv;
    Error *err = NULL;

    switch (action) {
    case SN_LIST: {
        BdrvSnapshotInfo *list = NULL;
        int n = drv->snapshot_list ? drv->snapshot_list(bs, &list) : 0;
        if (n > 0 && !quiet) {
            print_snapshot_table(list, n);
        }
        free(list);
        break;
    }
    case SN_CREATE:
        if (!drv->snapshot_create) {
            error_report("Could not create snapshot '%s': Operation not "
                         "supported", name);
            ret = 1;
        } else if (drv->snapshot_create(bs, name, &err) < 0) {
            error_prepend(&err, "Could not create snapshot '%s': ", name);
            error_report_err(err);
            ret = 1;
        }
        break;
    case SN_APPLY:
        if (!drv->snapshot_goto) {
            error_report("Could not apply snapshot '%s': Operation not "
                         "supported", name);
            ret = 1;
        } else {
            int r = drv->snapshot_goto(bs, name, &err);
            if (r < 0) {
                /* qemu-img's text, whatever the driver said */
                error_free(err);
                error_report("Could not apply snapshot '%s': Failed to load "
                             "snapshot: %s", name, strerror(-r));
                ret = 1;
            }
        }
        break;
    case SN_DELETE:
        if (!drv->snapshot_delete) {
            error_report("Could not delete snapshot '%s': Operation not "
                         "supported", name);
            ret = 1;
        } else {
            int r = drv->snapshot_delete(bs, name, &err);
            if (r == -ENOENT) {
                error_free(err);
                error_report("Could not delete snapshot '%s': snapshot not "
                             "found", name);
                ret = 1;
            } else if (r < 0) {
                error_prepend(&err, "Could not delete snapshot '%s': ", name);
                error_report_err(err);
                ret = 1;
            }
        }
        break;
    default:
        break;
    }
    bdrv_unref(bs);
    return ret;
}

/* ------------------------------------------------------------------ */
/* resize                                                              */
/* ------------------------------------------------------------------ */

static int img_resize(int argc, char **argv)
{
    const char *fmt = NULL, *size_arg;
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    bool shrink = false;
    int flags = BDRV_O_RDWR | BDRV_O_NO_BACKING, c, relative = 0;
    enum { OPT_SHRINK = 256, OPT_PREALLOC };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "shrink", no_argument, NULL, OPT_SHRINK },
        { "preallocation", required_argument, NULL, OPT_PREALLOC },
        { NULL, 0, NULL, 0 },
    };

    /*
     * The size comes last and may be negative ("-1G"): take it off argv
     * before getopt sees it as an option.
     */
    if (argc < 3) {
        usage_error("Not enough arguments");
    }
    size_arg = argv[--argc];

    while ((c = getopt_long(argc, argv, ":f:hq", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_SHRINK:
            shrink = true;
            break;
        case OPT_PREALLOC: {
            Error *err = NULL;
            prealloc = bdrv_parse_prealloc(optarg, &err);
            if (err) {
                error_report("Invalid preallocation mode '%s'", optarg);
                error_free(err);
                return 1;
            }
            break;
        }
        case 'h':
            printf("usage: emu-img resize [--shrink] [-f fmt] filename "
                   "[+|-]size\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage_error("Expecting image file name and size");
    }
    const char *filename = argv[optind];

    if (size_arg[0] == '+' || size_arg[0] == '-') {
        relative = size_arg[0] == '+' ? 1 : -1;
        size_arg++;
    }
    uint64_t delta;
    if (!parse_size(size_arg, &delta, 1) || delta > INT64_MAX) {
        error_report("Parameter 'size' expects a non-negative number below "
                     "2^64");
        print_size_hint();
        return 1;
    }

    BlockDriverState *bs = img_open(filename, fmt, flags);
    if (!bs) {
        return 1;
    }
    int64_t cur = bdrv_getlength(bs), total;
    int ret = 1;
    if (cur < 0) {
        error_report("Failed to inquire current image length: %s",
                     strerror((int)-cur));
        goto out;
    }
    if (relative > 0) {
        total = cur + (int64_t)delta;
        if (total < cur) {
            error_report("New image size too large");
            goto out;
        }
    } else if (relative < 0) {
        total = cur - (int64_t)delta;
    } else {
        total = (int64_t)delta;
    }
    if (total < 0) {
        error_report("New image size must be positive");
        goto out;
    }
    if (total < cur && !shrink) {
        error_report("Use the --shrink option to perform a shrink "
                     "operation.");
        warn_report("Shrinking an image will delete all data beyond the "
                    "shrunken image's end. Before performing such an "
                    "operation, make sure there is no important data "
                    "there.");
        goto out;
    }
    if (total < cur && prealloc != PREALLOC_MODE_OFF) {
        error_report("Preallocation can only be used for growing images");
        goto out;
    }

    Error *err = NULL;
    if (bdrv_truncate(bs, total, prealloc, &err) < 0) {
        error_report_err(err);
        goto out;
    }
    if (!quiet) {
        printf("Image resized.\n");
    }
    ret = 0;
out:
    bdrv_unref(bs);
    return ret;
}

/* ------------------------------------------------------------------ */
/* compare                                                             */
/* ------------------------------------------------------------------ */

/* Offset of the first differing sector of two buffers, or -1 */
static int64_t first_difference(const uint8_t *a, const uint8_t *b,
                                uint64_t len)
{
    for (uint64_t i = 0; i < len; i += SECTOR_SIZE) {
        uint64_t n = MIN((uint64_t)SECTOR_SIZE, len - i);
        if (b ? memcmp(a + i, b + i, n) : !buffer_is_zero(a + i, n)) {
            return (int64_t)i;
        }
    }
    return -1;
}

/* 0: the range of bs reads as zeroes; 1: it does not (*where set); <0 */
static int check_zero_range(BlockDriverState *bs, int64_t offset,
                            int64_t end, uint8_t *buf, int64_t *where)
{
    while (offset < end) {
        uint64_t n;
        ChainStatus st;
        int ret = chain_block_status(bs, NULL, offset,
                                     MIN((uint64_t)(end - offset),
                                         CONVERT_CHUNK), &n, &st);
        if (ret < 0) {
            return ret;
        }
        if (!(st.flags & BDRV_BLOCK_ZERO)) {
            ret = bdrv_pread(bs, offset, buf, n);
            if (ret < 0) {
                return ret;
            }
            int64_t d = first_difference(buf, NULL, n);
            if (d >= 0) {
                *where = offset + d;
                return 1;
            }
        }
        offset += n;
    }
    return 0;
}

static int img_compare(int argc, char **argv)
{
    const char *fmt1 = NULL, *fmt2 = NULL;
    bool strict = false, progress = false;
    int flags = 0, c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":hf:F:T:pqsU", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt1 = optarg;
            break;
        case 'F':
            fmt2 = optarg;
            break;
        case 'T':
            if (!parse_cache_mode(optarg, &flags)) {
                error_report("Invalid source cache option: %s", optarg);
                return 2;
            }
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 's':
            strict = true;
            break;
        case 'U':
            flags |= BDRV_O_NO_LOCK;
            break;
        case 'h':
            printf("usage: emu-img compare [-f fmt] [-F fmt] [-p] [-q] [-s] "
                   "[-U] filename1 filename2\n");
            return 0;
        case ':':
            error_report("option '%s' needs an argument", argv[optind - 1]);
            return 2;
        default:
            error_report("unrecognized option '%s'", argv[optind - 1]);
            return 2;
        }
    }
    if (quiet) {
        progress = false;
    }
    if (optind != argc - 2) {
        usage_error("Expecting two image file names");
    }
    const char *name1 = argv[optind], *name2 = argv[optind + 1];
    BlockDriverState *bs1 = img_open(name1, fmt1, flags);
    if (!bs1) {
        return 2;
    }
    BlockDriverState *bs2 = img_open(name2, fmt2, flags);
    if (!bs2) {
        bdrv_unref(bs1);
        return 2;
    }

    int64_t len1 = bdrv_getlength(bs1), len2 = bdrv_getlength(bs2);
    uint8_t *buf1 = emu_malloc(CONVERT_CHUNK);
    uint8_t *buf2 = emu_malloc(CONVERT_CHUNK);
    int ret = 2;
    Progress prog;

    progress_init(&prog, progress);
    if (len1 < 0 || len2 < 0) {
        error_report("Can't get size of %s: %s", len1 < 0 ? name1 : name2,
                     strerror((int)-(len1 < 0 ? len1 : len2)));
        goto out;
    }
    if (strict && len1 != len2) {
        printf("Strict mode: Image size mismatch!\n");
        ret = 1;
        goto out;
    }

    int64_t common = MIN(len1, len2), off = 0;
    while (off < common) {
        uint64_t n1, n2;
        ChainStatus s1, s2;
        int r = chain_block_status(bs1, NULL, off,
                                   MIN((uint64_t)(common - off),
                                       CONVERT_CHUNK), &n1, &s1);
        if (r >= 0) {
            r = chain_block_status(bs2, NULL, off, n1, &n2, &s2);
        }
        if (r < 0) {
            error_report("Sector allocation test failed for %s",
                         name1);
            goto out;
        }
        uint64_t n = MIN(n1, n2);
        bool zero1 = s1.flags & BDRV_BLOCK_ZERO;
        bool zero2 = s2.flags & BDRV_BLOCK_ZERO;
        if (strict && (s1.flags & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO)) !=
                      (s2.flags & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO))) {
            printf("Strict mode: Offset %" PRId64 " block status mismatch!\n",
                   off);
            ret = 1;
            goto out;
        }
        if (!(zero1 && zero2)) {
            if ((r = bdrv_pread(bs1, off, buf1, n)) < 0 ||
                (r = bdrv_pread(bs2, off, buf2, n)) < 0) {
                error_report("Error while reading offset %" PRId64 ": %s",
                             off, strerror(-r));
                goto out;
            }
            int64_t d = first_difference(buf1, buf2, n);
            if (d >= 0) {
                printf("Content mismatch at offset %" PRId64 "!\n", off + d);
                ret = 1;
                goto out;
            }
        }
        off += n;
        progress_print(&prog, off * 100.0 / MAX(len1, len2), false);
    }

    if (len1 != len2) {
        BlockDriverState *longer = len1 > len2 ? bs1 : bs2;
        int64_t where = 0;
        if (!quiet) {
            printf("Warning: Image size mismatch!\n");
        }
        int r = check_zero_range(longer, common, MAX(len1, len2), buf1,
                                 &where);
        if (r < 0) {
            error_report("Error while reading: %s", strerror(-r));
            goto out;
        }
        if (r > 0) {
            printf("Content mismatch at offset %" PRId64 "!\n", where);
            ret = 1;
            goto out;
        }
    }
    if (!quiet) {
        printf("Images are identical.\n");
    }
    ret = 0;
out:
    progress_end(&prog);
    free(buf1);
    free(buf2);
    bdrv_unref(bs1);
    bdrv_unref(bs2);
    return ret;
}

/* ------------------------------------------------------------------ */
/* convert                                                             */
/* ------------------------------------------------------------------ */

typedef struct ConvertState {
    BlockDriverState **src;
    int64_t *src_len;
    int nsrc;
    int64_t total;
    BlockDriverState *dst;
    bool dst_zero_init;         /* unwritten areas of dst read as zeroes */
    bool compress;
    bool only_top;              /* -B: leave what the backing holds */
    uint64_t min_sparse;        /* 0: write zeroes as data */
    uint64_t cluster_size;      /* dst's, for -c */
    uint8_t *buf;
    uint8_t *zero_buf;
    Progress prog;
} ConvertState;

/* Zero [off, off + n) of the destination unless it reads as zero already */
static int convert_zero(ConvertState *s, int64_t off, uint64_t n)
{
    if (s->dst_zero_init) {
        return 0;
    }
    if (s->min_sparse == 0) {
        /* -S 0: fully allocate */
        while (n) {
            uint64_t k = MIN(n, CONVERT_CHUNK);
            int ret = bdrv_pwrite(s->dst, off, s->zero_buf, k);
            if (ret < 0) {
                return ret;
            }
            off += k;
            n -= k;
        }
        return 0;
    }
    return bdrv_pwrite_zeroes(s->dst, off, n, BDRV_REQ_MAY_UNMAP);
}

/*
 * Write buf (n bytes for destination offset off), skipping runs of
 * min_sparse zero bytes aligned to the destination.
 */
static int convert_write_data(ConvertState *s, int64_t off, const uint8_t *buf,
                              uint64_t n)
{
    uint64_t pos = 0;

    if (s->min_sparse == 0) {
        return bdrv_pwrite(s->dst, off, buf, n);
    }
    while (pos < n) {
        /* one sparse-detection unit, aligned to the destination */
        uint64_t unit_end = ROUND_DOWN((uint64_t)off + pos, s->min_sparse) +
                            s->min_sparse - (uint64_t)off;
        uint64_t len = MIN(unit_end, n) - pos;
        bool zero = buffer_is_zero(buf + pos, len);
        uint64_t run = len;

        /* extend the run over following units of the same kind */
        while (pos + run < n) {
            uint64_t next = MIN(run + s->min_sparse, n - pos);
            if (buffer_is_zero(buf + pos + run, next - run) != zero) {
                break;
            }
            run = next;
        }
        int ret = zero ? convert_zero(s, off + pos, run)
                       : bdrv_pwrite(s->dst, off + pos, buf + pos, run);
        if (ret < 0) {
            return ret;
        }
        pos += run;
    }
    return 0;
}

/* Read n bytes at global offset off, across source boundaries */
static int convert_read(ConvertState *s, int64_t off, uint8_t *buf,
                        uint64_t n)
{
    int64_t base = 0;

    for (int i = 0; i < s->nsrc && n; i++) {
        if (off < base + s->src_len[i]) {
            uint64_t k = MIN(n, (uint64_t)(base + s->src_len[i] - off));
            int ret = bdrv_pread(s->src[i], off - base, buf, k);
            if (ret < 0) {
                return ret;
            }
            buf += k;
            off += k;
            n -= k;
        }
        base += s->src_len[i];
    }
    return 0;
}

/* -c: whole clusters compressed, zero clusters left out */
static int convert_compressed(ConvertState *s)
{
    uint64_t cs = s->cluster_size;
    uint64_t chunk = MAX(ROUND_DOWN((uint64_t)CONVERT_CHUNK, cs), cs);

    for (int64_t off = 0; off < s->total;) {
        uint64_t n = MIN(chunk, (uint64_t)(s->total - off));
        int ret = convert_read(s, off, s->buf, n);
        if (ret < 0) {
            error_report("error while reading at byte %" PRId64 ": %s", off,
                         strerror(-ret));
            return ret;
        }
        for (uint64_t pos = 0; pos < n; pos += cs) {
            uint64_t len = MIN(cs, n - pos);
            if (buffer_is_zero(s->buf + pos, len)) {
                ret = convert_zero(s, off + pos, len);
            } else if (len == cs) {
                ret = s->dst->drv->pwrite_compressed(s->dst, off + pos, len,
                                                     s->buf + pos);
                if (ret == -ENOTSUP) {
                    ret = bdrv_pwrite(s->dst, off + pos, s->buf + pos, len);
                }
            } else {
                /* a partial last cluster cannot be compressed */
                ret = bdrv_pwrite(s->dst, off + pos, s->buf + pos, len);
            }
            if (ret < 0) {
                error_report("error while compressing sector %" PRId64 ": %s",
                             (off + (int64_t)pos) / SECTOR_SIZE,
                             strerror(-ret));
                return ret;
            }
        }
        off += n;
        progress_print(&s->prog, off * 100.0 / s->total, false);
    }
    return 0;
}

/*
 * Plain copy: a reader thread walks the sources (block status, reads)
 * while the main thread writes, so reading and writing overlap.  They
 * meet in a ring of CONVERT_QUEUE slots, each with its own buffer; a
 * slot belongs to the reader until it is queued and to the writer until
 * the writer has finished with it.
 */
#define CONVERT_QUEUE 4

typedef enum ConvertItemKind {
    CONVERT_DATA,               /* buf holds n bytes for off */
    CONVERT_ZERO,               /* [off, off + n) reads as zeroes */
    CONVERT_SKIP,               /* leave [off, off + n) to the backing file */
    CONVERT_END,
    CONVERT_ERROR,              /* the reader failed (and said why) */
} ConvertItemKind;

typedef struct ConvertItem {
    ConvertItemKind kind;
    int64_t off;
    uint64_t n;
    int err;
} ConvertItem;

typedef struct ConvertPipe {
    ConvertState *s;
    EmuMutex lock;
    EmuCond cond;
    ConvertItem items[CONVERT_QUEUE];
    uint8_t *bufs[CONVERT_QUEUE];
    int head, count;
    bool stop;                  /* the writer gave up: the reader ends */
} ConvertPipe;

/* Wait for a free slot; -1 when the writer stopped */
static int pipe_get_slot(ConvertPipe *p)
{
    int slot;

    emu_mutex_lock(&p->lock);
    while (p->count == CONVERT_QUEUE && !p->stop) {
        emu_cond_wait(&p->cond, &p->lock);
    }
    slot = p->stop ? -1 : (p->head + p->count) % CONVERT_QUEUE;
    emu_mutex_unlock(&p->lock);
    return slot;
}

static void pipe_push(ConvertPipe *p)
{
    emu_mutex_lock(&p->lock);
    p->count++;
    emu_cond_broadcast(&p->cond);
    emu_mutex_unlock(&p->lock);
}

static void *convert_reader(void *opaque)
{
    ConvertPipe *p = opaque;
    ConvertState *s = p->s;
    int64_t base = 0;
    int slot;

    for (int i = 0; i < s->nsrc; i++) {
        BlockDriverState *src = s->src[i];
        int64_t len = s->src_len[i];

        for (int64_t off = 0; off < len;) {
            uint64_t n;
            ChainStatus st;
            int ret;

            slot = pipe_get_slot(p);
            if (slot < 0) {
                return NULL;
            }
            ConvertItem *it = &p->items[slot];
            ret = chain_block_status(src, NULL, off,
                                     MIN((uint64_t)(len - off),
                                         CONVERT_CHUNK), &n, &st);
            if (ret < 0) {
                error_report("error while reading block status at offset "
                             "%" PRId64 ": %s", off, strerror(-ret));
                it->kind = CONVERT_ERROR;
                it->err = ret;
                pipe_push(p);
                return NULL;
            }
            it->off = base + off;
            it->n = n;
            if (s->only_top && st.depth > 0) {
                it->kind = CONVERT_SKIP;
            } else if (st.flags & BDRV_BLOCK_ZERO) {
                it->kind = CONVERT_ZERO;
            } else {
                it->kind = CONVERT_DATA;
                ret = bdrv_pread(src, off, p->bufs[slot], n);
                if (ret < 0) {
                    error_report("error while reading at byte %" PRId64
                                 ": %s", off, strerror(-ret));
                    it->kind = CONVERT_ERROR;
                    it->err = ret;
                    pipe_push(p);
                    return NULL;
                }
            }
            pipe_push(p);
            off += n;
        }
        base += len;
    }
    slot = pipe_get_slot(p);
    if (slot >= 0) {
        p->items[slot].kind = CONVERT_END;
        pipe_push(p);
    }
    return NULL;
}

static int convert_copy(ConvertState *s)
{
    ConvertPipe p = { .s = s };
    EmuThread reader;
    int ret = 0;

    emu_mutex_init(&p.lock);
    emu_cond_init(&p.cond);
    for (int i = 0; i < CONVERT_QUEUE; i++) {
        p.bufs[i] = emu_malloc(CONVERT_CHUNK);
    }
    emu_thread_create(&reader, "convert-read", convert_reader, &p);

    for (;;) {
        emu_mutex_lock(&p.lock);
        while (p.count == 0) {
            emu_cond_wait(&p.cond, &p.lock);
        }
        int slot = p.head;
        emu_mutex_unlock(&p.lock);

        ConvertItem *it = &p.items[slot];
        if (it->kind == CONVERT_END) {
            break;
        }
        if (it->kind == CONVERT_ERROR) {
            ret = it->err;
            break;
        }
        if (it->kind == CONVERT_ZERO) {
            ret = convert_zero(s, it->off, it->n);
        } else if (it->kind == CONVERT_DATA) {
            ret = convert_write_data(s, it->off, p.bufs[slot], it->n);
        }
        if (ret < 0) {
            error_report("error while writing at byte %" PRId64 ": %s",
                         it->off, strerror(-ret));
            break;
        }
        progress_print(&s->prog, (it->off + it->n) * 100.0 / s->total, false);

        emu_mutex_lock(&p.lock);
        p.head = (p.head + 1) % CONVERT_QUEUE;
        p.count--;
        emu_cond_broadcast(&p.cond);
        emu_mutex_unlock(&p.lock);
    }

    emu_mutex_lock(&p.lock);
    p.stop = true;
    emu_cond_broadcast(&p.cond);
    emu_mutex_unlock(&p.lock);
    emu_thread_join(&reader);
    for (int i = 0; i < CONVERT_QUEUE; i++) {
        free(p.bufs[i]);
    }
    emu_cond_destroy(&p.cond);
    emu_mutex_destroy(&p.lock);
    return ret;
}

static int img_convert(int argc, char **argv)
{
    const char *src_fmt = NULL, *out_fmt = NULL, *backing = NULL;
    const char *backing_fmt = NULL, *out_cache = "unsafe", *src_cache = NULL;
    char *options = NULL;
    bool compress = false, progress = false, skip_create = false;
    int64_t min_sparse = 4096;
    int src_flags = 0, dst_flags = BDRV_O_RDWR | BDRV_O_NO_BACKING;
    int c, ret = 1;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":hf:O:B:F:co:l:S:pt:T:qnm:WUr:C",
                            longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            src_fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'B':
            backing = optarg;
            break;
        case 'F':
            backing_fmt = optarg;
            break;
        case 'c':
            compress = true;
            break;
        case 'o':
            if (is_help_option(optarg)) {
                const char *f = out_fmt ? out_fmt : "raw";
                if (!bdrv_find_format(f)) {
                    error_report("Unknown file format '%s'", f);
                    free(options);
                    return 1;
                }
                print_create_help(f);
                free(options);
                return 0;
            }
            options = add_options(options, optarg);
            break;
        case 'l':
            error_report("Loading snapshots in convert (-l) is not "
                         "supported");
            goto fail;
        case 'S': {
            uint64_t v;
            if (!parse_size(optarg, &v, 1) || v > MAX_SPARSE_SIZE ||
                v % SECTOR_SIZE) {
                error_report("Invalid buffer size for sparse output "
                             "specified. Valid sizes are multiples of %" PRIu64
                             " up to %" PRIu64 ". Select 0 to disable sparse "
                             "detection (fully allocates output).",
                             (uint64_t)SECTOR_SIZE, MAX_SPARSE_SIZE);
                goto fail;
            }
            min_sparse = (int64_t)v;
            break;
        }
        case 'p':
            progress = true;
            break;
        case 't':
            out_cache = optarg;
            break;
        case 'T':
            src_cache = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'n':
            skip_create = true;
            break;
        case 'm': {
            uint64_t v;
            if (!parse_uint(optarg, &v) || v < 1 || v > 16) {
                error_report("Invalid number of coroutines. Allowed number "
                             "of coroutines is between 1 and 16");
                goto fail;
            }
            /* emu-img copies with one pipeline; accepted for scripts */
            break;
        }
        case 'W':
        case 'C':
            /* out-of-order writes / copy offloading: hints only */
            break;
        case 'r':
            /* rate limit: accepted, not enforced */
            break;
        case 'U':
            src_flags |= BDRV_O_NO_LOCK;
            break;
        case 'h':
            printf("usage: emu-img convert [-c] [-p] [-q] [-n] [-f fmt] "
                   "[-t cache] [-T src_cache] [-O output_fmt] [-B backing] "
                   "[-o options] [-S sparse_size] [-m num] [-W] "
                   "filename [filename2 [...]] output_filename\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (quiet) {
        progress = false;
    }
    if (!out_fmt) {
        out_fmt = "raw";
    }
    if (argc - optind < 2) {
        error_report("Must specify image file name");
        goto fail;
    }
    if (!parse_cache_mode(out_cache, &dst_flags)) {
        error_report("Invalid cache option: %s", out_cache);
        goto fail;
    }
    if (src_cache && !parse_cache_mode(src_cache, &src_flags)) {
        error_report("Invalid source cache option: %s", src_cache);
        goto fail;
    }
    if (!bdrv_find_format(out_fmt)) {
        error_report("Unknown file format '%s'", out_fmt);
        goto fail;
    }
    if (skip_create && (backing || options)) {
        error_report(backing ? "Cannot specify backing file with -n" :
                     "Option -o is not supported with -n");
        goto fail;
    }
    if (backing && strcmp(out_fmt, "qcow2")) {
        error_report("Backing file not supported for file format '%s'",
                     out_fmt);
        goto fail;
    }
    if (backing && !backing_fmt) {
        error_report("Use of backing file requires explicit backing format");
        goto fail;
    }

    ConvertState s = { 0 };
    const char *out_name = argv[argc - 1];
    s.nsrc = argc - optind - 1;
    s.src = emu_new0(BlockDriverState *, s.nsrc);
    s.src_len = emu_new0(int64_t, s.nsrc);
    s.compress = compress;
    s.only_top = backing != NULL;
    s.min_sparse = (uint64_t)min_sparse;
    progress_init(&s.prog, progress);

    for (int i = 0; i < s.nsrc; i++) {
        const char *name = argv[optind + i];
        s.src[i] = img_open(name, src_fmt, src_flags);
        if (!s.src[i]) {
            goto out;
        }
        s.src_len[i] = bdrv_getlength(s.src[i]);
        if (s.src_len[i] < 0) {
            error_report("Could not get size of %s: %s", name,
                         strerror((int)-s.src_len[i]));
            goto out;
        }
        s.total += s.src_len[i];
    }

    if (!skip_create) {
        if (create_image(out_name, out_fmt, options, backing, backing_fmt,
                         true, s.total, false) < 0) {
            goto out;
        }
        s.dst_zero_init = true;
    }
    s.dst = img_open(out_name, out_fmt, dst_flags);
    if (!s.dst) {
        goto out;
    }
    if (!skip_create && s.dst->backing_file[0]) {
        /* -o backing_file= works as -B does */
        s.only_top = true;
    }
    if (skip_create && bdrv_getlength(s.dst) < s.total) {
        error_report("Output image is too small (%" PRId64 " bytes, need %"
                     PRId64 ")", bdrv_getlength(s.dst), s.total);
        goto out;
    }
    if (compress) {
        BlockDriverInfo bdi;
        if (!s.dst->drv->pwrite_compressed ||
            bdrv_get_info(s.dst, &bdi) < 0 || bdi.cluster_size <= 0) {
            error_report("Compression not supported for this file format");
            goto out;
        }
        s.cluster_size = bdi.cluster_size;
    }
    s.buf = emu_malloc(MAX((uint64_t)CONVERT_CHUNK, s.cluster_size));
    s.zero_buf = emu_malloc0(CONVERT_CHUNK);

    ret = compress ? convert_compressed(&s) : convert_copy(&s);
    if (ret >= 0 && !(dst_flags & BDRV_O_NO_FLUSH)) {
        ret = bdrv_flush(s.dst);
        if (ret < 0) {
            error_report("error while flushing: %s", strerror(-ret));
        }
    }
    if (ret >= 0) {
        progress_done(&s.prog);
    }
    ret = ret < 0 ? 1 : 0;
out:
    progress_end(&s.prog);
    if (s.dst) {
        bdrv_unref(s.dst);
    }
    for (int i = 0; i < s.nsrc; i++) {
        if (s.src[i]) {
            bdrv_unref(s.src[i]);
        }
    }
    free(s.src);
    free(s.src_len);
    free(s.buf);
    free(s.zero_buf);
fail:
    free(options);
    return ret;
}

/* ------------------------------------------------------------------ */
/* commit                                                              */
/* ------------------------------------------------------------------ */

/* The node of bs's chain whose file is path, or NULL */
static BlockDriverState *find_in_chain(BlockDriverState *bs, const char *path)
{
    char *want = realpath(path, NULL);
    BlockDriverState *found = NULL;

    for (BlockDriverState *cur = bs->backing; cur && !found;
         cur = cur->backing) {
        char *real = realpath(cur->filename, NULL);
        if (want && real ? !strcmp(want, real) : !strcmp(path, cur->filename)) {
            found = cur;
        }
        free(real);
    }
    free(want);
    return found;
}

static int img_commit(int argc, char **argv)
{
    const char *fmt = NULL, *base_name = NULL, *cache = "writeback";
    bool progress = false;
    int flags = BDRV_O_NO_LOCK, base_flags = BDRV_O_RDWR | BDRV_O_NO_BACKING;
    int c, ret = 1;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":f:ht:b:dpqr:", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 't':
            cache = optarg;
            break;
        case 'b':
            base_name = optarg;
            break;
        case 'd':
            /* the top image keeps its data in any case (see docs) */
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'r':
            break;
        case 'h':
            printf("usage: emu-img commit [-q] [-f fmt] [-t cache] [-b base] "
                   "[-d] [-p] filename\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (quiet) {
        progress = false;
    }
    if (optind != argc - 1) {
        usage_error("Expecting one image file name");
    }
    if (!parse_cache_mode(cache, &base_flags)) {
        error_report("Invalid cache option: %s", cache);
        return 1;
    }
    const char *filename = argv[optind];

    /*
     * The chain is opened without image locks and only read above the
     * base; the base itself is opened a second time for writing (the
     * read-only instance in the chain is never read for those ranges).
     */
    BlockDriverState *top = img_open(filename, fmt, flags);
    if (!top) {
        return 1;
    }
    BlockDriverState *base = NULL, *base_rw = NULL;
    uint8_t *buf = NULL;
    Progress prog;

    progress_init(&prog, progress);
    if (!top->backing) {
        error_report("Image does not have a backing file");
        goto out;
    }
    if (base_name) {
        base = find_in_chain(top, base_name);
        if (!base) {
            error_report("Did not find '%s' in the backing chain of '%s'",
                         base_name, filename);
            goto out;
        }
    } else {
        base = top->backing;
    }

    Error *err = NULL;
    base_rw = bdrv_open(base->filename, base->drv->format_name, NULL,
                        base_flags, &err);
    if (!base_rw) {
        error_prepend(&err, "Could not open '%s': ", base->filename);
        error_report_err(err);
        goto out;
    }
    int64_t len = bdrv_getlength(top), base_len = bdrv_getlength(base_rw);
    if (len < 0 || base_len < 0) {
        error_report("Could not get the image sizes");
        goto out;
    }
    if (base_len < len && bdrv_truncate(base_rw, len, PREALLOC_MODE_OFF,
                                        &err) < 0) {
        error_prepend(&err, "Top image %s is larger than base image %s, and "
                      "resize of base image failed: ", filename,
                      base->filename);
        error_report_err(err);
        goto out;
    }

    buf = emu_malloc(CONVERT_CHUNK);
    for (int64_t off = 0; off < len;) {
        uint64_t n;
        ChainStatus st;
        int r = chain_block_status(top, base, off,
                                   MIN((uint64_t)(len - off), CONVERT_CHUNK),
                                   &n, &st);
        if (r >= 0 && (st.flags & BDRV_BLOCK_ALLOCATED)) {
            if (st.flags & BDRV_BLOCK_ZERO) {
                r = bdrv_pwrite_zeroes(base_rw, off, n, 0);
            } else {
                r = bdrv_pread(top, off, buf, n);
                if (r >= 0) {
                    r = bdrv_pwrite(base_rw, off, buf, n);
                }
            }
        }
        if (r < 0) {
            error_report("Could not commit: %s", strerror(-r));
            goto out;
        }
        off += n;
        progress_print(&prog, off * 100.0 / len, false);
    }
    int r = bdrv_flush(base_rw);
    if (r < 0) {
        error_report("Could not commit: %s", strerror(-r));
        goto out;
    }
    progress_done(&prog);
    progress_end(&prog);
    if (!quiet) {
        printf("Image committed.\n");
    }
    ret = 0;
out:
    progress_end(&prog);
    free(buf);
    bdrv_unref(base_rw);
    bdrv_unref(top);
    return ret;
}

/* ------------------------------------------------------------------ */
/* rebase                                                              */
/* ------------------------------------------------------------------ */

static int change_backing(BlockDriverState *bs, const char *backing,
                          const char *backing_fmt)
{
    if (!bs->drv->change_backing_file) {
        return -ENOTSUP;
    }
    return bs->drv->change_backing_file(bs, backing, backing_fmt);
}

/*
 * Safe rebase: where bs itself holds nothing, copy into bs every range
 * whose content differs between the old and the new backing file.
 */
static int rebase_copy(BlockDriverState *bs, BlockDriverState *new_backing,
                       Progress *prog)
{
    int64_t len = bdrv_getlength(bs);
    int64_t new_len = new_backing ? bdrv_getlength(new_backing) : 0;
    uint8_t *old_buf = emu_malloc(CONVERT_CHUNK);
    uint8_t *new_buf = emu_malloc0(CONVERT_CHUNK);
    int ret = 0;

    if (len < 0 || new_len < 0) {
        ret = len < 0 ? (int)len : (int)new_len;
        goto out;
    }
    for (int64_t off = 0; off < len;) {
        uint64_t n, map;
        ret = bdrv_block_status(bs, off, MIN((uint64_t)(len - off),
                                             CONVERT_CHUNK), &n, &map);
        if (ret < 0) {
            goto out;
        }
        if (!(ret & BDRV_BLOCK_ALLOCATED)) {
            ret = bdrv_pread(bs, off, old_buf, n);
            if (ret < 0) {
                goto out;
            }
            memset(new_buf, 0, n);
            if (off < new_len) {
                ret = bdrv_pread(new_backing, off, new_buf,
                                 MIN(n, (uint64_t)(new_len - off)));
                if (ret < 0) {
                    goto out;
                }
            }
            /* write back the differing sectors, run by run */
            for (uint64_t pos = 0; pos < n;) {
                uint64_t k = MIN((uint64_t)SECTOR_SIZE, n - pos);
                bool same = !memcmp(old_buf + pos, new_buf + pos, k);
                uint64_t run = k;
                while (pos + run < n) {
                    uint64_t k2 = MIN((uint64_t)SECTOR_SIZE, n - pos - run);
                    if (!memcmp(old_buf + pos + run, new_buf + pos + run,
                                k2) != same) {
                        break;
                    }
                    run += k2;
                }
                if (!same) {
                    ret = bdrv_pwrite(bs, off + pos, old_buf + pos, run);
                    if (ret < 0) {
                        goto out;
                    }
                }
                pos += run;
            }
        }
        off += n;
        progress_print(prog, off * 100.0 / len, false);
    }
    ret = 0;
out:
    free(old_buf);
    free(new_buf);
    return ret;
}

static int img_rebase(int argc, char **argv)
{
    const char *fmt = NULL, *backing = NULL, *backing_fmt = NULL;
    const char *cache = "writeback";
    bool unsafe = false, progress = false;
    int flags = BDRV_O_RDWR, src_flags = 0, c, ret = 1;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'F':
            backing_fmt = optarg;
            break;
        case 'b':
            backing = optarg;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'p':
            progress = true;
            break;
        case 't':
            cache = optarg;
            break;
        case 'T':
            if (!parse_cache_mode(optarg, &src_flags)) {
                error_report("Invalid source cache option: %s", optarg);
                return 1;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            src_flags |= BDRV_O_NO_LOCK;
            break;
        case 'h':
            printf("usage: emu-img rebase [-f fmt] [-u] -b backing_file "
                   "[-F backing_fmt] filename\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (quiet) {
        progress = false;
    }
    if (optind != argc - 1) {
        usage_error("Expecting one image file name");
    }
    if (!backing) {
        usage_error("Must specify backing file (-b) or use unsafe mode (-u)");
    }
    if (!parse_cache_mode(cache, &flags)) {
        error_report("Invalid cache option: %s", cache);
        return 1;
    }
    if (backing_fmt && !bdrv_find_format(backing_fmt)) {
        error_report("Invalid format name: '%s'", backing_fmt);
        return 1;
    }
    if (!*backing) {
        backing = NULL;
        backing_fmt = NULL;
    }
    const char *filename = argv[optind];
    if (unsafe) {
        flags |= BDRV_O_NO_BACKING;
    }
    BlockDriverState *bs = img_open(filename, fmt, flags);
    if (!bs) {
        return 1;
    }
    BlockDriverState *new_backing = NULL;
    Progress prog;

    progress_init(&prog, progress);
    if (!unsafe && backing) {
        char *path = bdrv_backing_path(filename, backing);
        Error *err = NULL;
        new_backing = bdrv_open(path, backing_fmt, NULL,
                                src_flags | BDRV_O_NO_LOCK, &err);
        if (!new_backing) {
            error_prepend(&err, "Could not open new backing file '%s': ",
                          path);
            error_report_err(err);
            free(path);
            goto out;
        }
        free(path);
        if (!backing_fmt) {
            backing_fmt = new_backing->drv->format_name;
        }
    }
    if (!unsafe) {
        int r = rebase_copy(bs, new_backing, &prog);
        if (r < 0) {
            error_report("Error while rebasing: %s", strerror(-r));
            goto out;
        }
    }
    int r = change_backing(bs, backing, backing_fmt);
    if (r == -ENOSPC) {
        error_report("Could not change the backing file to '%s': No space "
                     "left in the file header", backing);
        goto out;
    } else if (r < 0) {
        error_report("Could not change the backing file to '%s': %s",
                     backing ? backing : "", strerror(-r));
        goto out;
    }
    progress_done(&prog);
    ret = 0;
out:
    progress_end(&prog);
    bdrv_unref(new_backing);
    bdrv_unref(bs);
    return ret;
}

/* ------------------------------------------------------------------ */
/* measure                                                             */
/* ------------------------------------------------------------------ */

/* The qcow2 spec's limit on the L1 table (QEMU's: 32 MiB) */
#define QCOW2_MAX_L1_BYTES (32 * MiB)

/*
 * Bytes of qcow2 metadata for a fully allocated image of size bytes:
 * header, L1, L2 tables, and the refcount blocks and table that cover
 * everything including themselves.
 */
static int64_t qcow2_metadata_size(uint64_t size, uint64_t cs,
                                   unsigned refcount_bits, bool extended_l2)
{
    uint64_t clusters = DIV_ROUND_UP(size, cs);
    uint64_t l2_entries_per_table = cs / (extended_l2 ? 16 : 8);
    uint64_t l2_tables = DIV_ROUND_UP(clusters, l2_entries_per_table);
    uint64_t l1_clusters = DIV_ROUND_UP(l2_tables * 8, cs);
    uint64_t meta = 1 + l1_clusters + l2_tables;
    uint64_t per_block = cs * 8 / refcount_bits;
    uint64_t blocks = 0, table = 0;

    if (l2_tables * 8 > QCOW2_MAX_L1_BYTES) {
        return -1;
    }
    for (;;) {
        uint64_t total = meta + clusters + blocks + table;
        uint64_t nb = DIV_ROUND_UP(total, per_block);
        uint64_t nt = DIV_ROUND_UP(nb * 8, cs);
        if (nb == blocks && nt == table) {
            break;
        }
        blocks = nb;
        table = nt;
    }
    return (int64_t)((meta + blocks + table) * cs);
}

/*
 * qemu-img measure reports a bitmaps size for sources that could hold
 * persistent bitmaps: qcow2 version 3 images.
 */
static bool can_hold_bitmaps(BlockDriverState *bs)
{
    json_object *data, *compat;
    StrBuf human;
    bool v3;

    if (strcmp(bs->drv->format_name, "qcow2") || !bs->drv->dump_info) {
        return false;
    }
    data = json_object_new_object();
    strbuf_init(&human);
    bs->drv->dump_info(bs, &human, data);
    v3 = json_object_object_get_ex(data, "compat", &compat) &&
         !strcmp(json_object_get_string(compat), "1.1");
    strbuf_free(&human);
    json_object_put(data);
    return v3;
}

/* Bytes of the source that hold data, counted in whole clusters of cs */
static int measure_allocated(BlockDriverState *bs, uint64_t cs,
                             uint64_t *bytes)
{
    int64_t len = bdrv_getlength(bs);
    uint64_t next_free = 0;     /* first byte not yet counted */

    *bytes = 0;
    if (len < 0) {
        return (int)len;
    }
    for (int64_t off = 0; off < len;) {
        uint64_t n;
        ChainStatus st;
        int ret = chain_block_status(bs, NULL, off,
                                     MIN((uint64_t)(len - off),
                                         (uint64_t)1 << 30), &n, &st);
        if (ret < 0) {
            return ret;
        }
        /* as qemu-img: zeroes need no data cluster, data does */
        if (!(st.flags & BDRV_BLOCK_ZERO) && (st.flags & BDRV_BLOCK_DATA)) {
            uint64_t start = MAX(ROUND_DOWN((uint64_t)off, cs), next_free);
            uint64_t end = ROUND_UP((uint64_t)off + n, cs);
            if (end > start) {
                *bytes += end - start;
                next_free = end;
            }
        }
        off += n;
    }
    return 0;
}

static int img_measure(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw";
    char *options = NULL;
    OutputFormat ofmt = OFMT_HUMAN;
    int64_t size = -1;
    int flags = 0, c, ret = 1;
    enum { OPT_OUTPUT = 256, OPT_SIZE_ARG };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "size", required_argument, NULL, OPT_SIZE_ARG },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };

    while ((c = getopt_long(argc, argv, ":hf:O:o:l:U", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'o':
            if (is_help_option(optarg)) {
                if (!bdrv_find_format(out_fmt)) {
                    error_report("Unknown file format '%s'", out_fmt);
                    free(options);
                    return 1;
                }
                print_create_help(out_fmt);
                free(options);
                return 0;
            }
            options = add_options(options, optarg);
            break;
        case 'l':
            error_report("Snapshots (-l) are not supported by measure");
            goto out;
        case 'U':
            flags |= BDRV_O_NO_LOCK;
            break;
        case OPT_OUTPUT:
            ofmt = parse_output_format(optarg);
            break;
        case OPT_SIZE_ARG: {
            uint64_t v;
            if (!parse_size(optarg, &v, 1) || v > INT64_MAX) {
                error_report("Invalid image size specified. Must be between "
                             "0 and %" PRId64 ".", INT64_MAX);
                goto out;
            }
            size = (int64_t)v;
            break;
        }
        case 'h':
            printf("usage: emu-img measure [--output=human|json] [-O fmt] "
                   "[-o options] [--size N | [-f fmt] filename]\n");
            return 0;
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc - 1) {
        error_report("At most one filename argument is allowed.");
        goto out;
    }
    const char *filename = optind < argc ? argv[optind] : NULL;
    if (size >= 0 && filename) {
        error_report("--size N cannot be used together with a filename.");
        goto out;
    }
    if (size < 0 && !filename) {
        error_report("Either --size N or one filename must be specified.");
        goto out;
    }
    if (!bdrv_find_format(out_fmt)) {
        error_report("Unknown file format '%s'", out_fmt);
        goto out;
    }

    Error *err = NULL;
    EmuOpts *opts = options ? opts_parse(options, NULL, false, &err)
                            : opts_new();
    bool size_hint = false;
    if (!opts || !validate_create_opts(out_fmt, opts, &size_hint, &err)) {
        error_report_err(err);
        if (size_hint) {
            print_size_hint();
        }
        if (opts) {
            opts_free(opts);
        }
        goto out;
    }
    uint64_t cs = opts_get_size(opts, "cluster_size", 65536, NULL);
    unsigned refbits = opts_get_number(opts, "refcount_bits", 16, NULL);
    bool ext_l2 = opts_get_bool(opts, "extended_l2", false, NULL);
    opts_free(opts);
    bool is_qcow2 = !strcmp(out_fmt, "qcow2");
    if (is_qcow2 && (cs < 512 || cs > 2 * MiB || (cs & (cs - 1)))) {
        error_report("Cluster size must be a power of two between 512 and "
                     "2048k");
        goto out;
    }
    if (is_qcow2 && (refbits < 1 || refbits > 64 ||
                     (refbits & (refbits - 1)))) {
        error_report("Refcount width must be a power of two and may not "
                     "exceed 64 bits");
        goto out;
    }

    uint64_t allocated = 0;
    bool show_bitmaps = false;
    if (filename) {
        BlockDriverState *bs = img_open(filename, fmt, flags);
        if (!bs) {
            goto out;
        }
        size = bdrv_getlength(bs);
        int r = size < 0 ? (int)size
                         : measure_allocated(bs, is_qcow2 ? cs : 1, &allocated);
        show_bitmaps = is_qcow2 && can_hold_bitmaps(bs);
        bdrv_unref(bs);
        if (r < 0) {
            error_report("Unable to get block status: %s", strerror(-r));
            goto out;
        }
    }

    int64_t required, fully;
    if (is_qcow2) {
        int64_t meta = qcow2_metadata_size(size, cs, refbits, ext_l2);
        if (meta < 0) {
            error_report("The image size is too large (try using a larger "
                         "cluster size)");
            goto out;
        }
        fully = meta + (int64_t)ROUND_UP((uint64_t)size, cs);
        required = meta + (int64_t)allocated;
    } else {
        /* raw images are whole sectors */
        required = fully = ROUND_UP(size, SECTOR_SIZE);
    }

    if (ofmt == OFMT_JSON) {
        json_object *o = json_object_new_object();
        json_add_int(o, "required", required);
        json_add_int(o, "fully-allocated", fully);
        if (show_bitmaps) {
            json_add_int(o, "bitmaps", 0);
        }
        json_dump(o);
        json_object_put(o);
    } else {
        printf("required size: %" PRId64 "\n", required);
        printf("fully allocated size: %" PRId64 "\n", fully);
        if (show_bitmaps) {
            printf("bitmaps size: 0\n");
        }
    }
    ret = 0;
out:
    free(options);
    return ret;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

typedef struct ImgCommand {
    const char *name;
    int (*handler)(int argc, char **argv);
    const char *synopsis;
} ImgCommand;

static const ImgCommand img_commands[] = {
    { "check", img_check, "check [-q] [-f fmt] [--output=ofmt] [-r [leaks | "
      "all]] [-T src_cache] [-U] filename" },
    { "commit", img_commit, "commit [-q] [-f fmt] [-t cache] [-b base] [-d] "
      "[-p] filename" },
    { "compare", img_compare, "compare [-f fmt] [-F fmt] [-T src_cache] [-p] "
      "[-q] [-s] [-U] filename1 filename2" },
    { "convert", img_convert, "convert [-c] [-p] [-q] [-n] [-f fmt] "
      "[-t cache] [-T src_cache] [-O output_fmt] [-B backing_file "
      "[-F backing_fmt]] [-o options] [-S sparse_size] [-m num_coroutines] "
      "[-W] [-U] filename [filename2 [...]] output_filename" },
    { "create", img_create, "create [-q] [-f fmt] [-b backing_file "
      "[-F backing_fmt]] [-u] [-o options] filename [size]" },
    { "info", img_info, "info [-f fmt] [--output=ofmt] [--backing-chain] "
      "[-U] filename" },
    { "map", img_map, "map [-f fmt] [--output=ofmt] [--start-offset=offset] "
      "[--max-length=len] [-U] filename" },
    { "measure", img_measure, "measure [--output=ofmt] [-O output_fmt] "
      "[-o options] [--size N | [-f fmt] [-U] filename]" },
    { "snapshot", img_snapshot, "snapshot [-q] [-l | -a snapshot | "
      "-c snapshot | -d snapshot] [-U] filename" },
    { "rebase", img_rebase, "rebase [-f fmt] [-t cache] [-T src_cache] [-p] "
      "[-q] [-u] [-U] -b backing_file [-F backing_fmt] filename" },
    { "resize", img_resize, "resize [-f fmt] [--preallocation=prealloc] "
      "[-q] [--shrink] filename [+ | -]size" },
};

static void print_version(void)
{
    printf("emu-img version " EMU_VERSION "\n");
}

static void print_help(void)
{
    print_version();
    printf("usage: emu-img [standard options] command [command options]\n"
           "Disk image utility, with qemu-img's commands and options\n\n"
           "    '-h', '--help'       display this help and exit\n"
           "    '-V', '--version'    output version information and exit\n\n"
           "Command syntax:\n");
    for (size_t i = 0; i < ARRAY_SIZE(img_commands); i++) {
        printf("  %s\n", img_commands[i].synopsis);
    }
    printf("\nSupported formats:");
    static const char *const formats[] = { "file", "qcow2", "raw" };
    for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
        if (bdrv_find_format(formats[i])) {
            printf(" %s", formats[i]);
        }
    }
    printf("\n\nSee docs/user/emu-img.md for the details.\n");
}

int main(int argc, char **argv)
{
    error_set_progname("emu-img");
    if (argc < 2) {
        usage_error("Not enough arguments");
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        print_help();
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        print_version();
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(img_commands); i++) {
        if (!strcmp(cmd, img_commands[i].name)) {
            /* getopt sees the command as argv[0] */
            return img_commands[i].handler(argc - 1, argv + 1);
        }
    }
    usage_error("Command not found: %s", cmd);
}
