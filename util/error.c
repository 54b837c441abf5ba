/* Error objects and error_report(). */
#include "emu/error.h"
#include <time.h>

struct Error {
    char *msg;
    char *hint;
    ErrorClass cls;
};

/* Sentinels: only their addresses matter */
Error *error_fatal;
Error *error_abort;

static const char *progname = "emu";
static ErrorReportHook report_hook;

void error_set_progname(const char *name)
{
    progname = name;
}

void error_set_report_hook(ErrorReportHook hook)
{
    report_hook = hook;
}

static void emit(const char *prefix, const char *fmt, va_list ap)
{
    char *msg = emu_vasprintf(fmt, ap);
    if (report_hook) {
        char *line = emu_asprintf("%s%s\n", prefix, msg);
        bool done = report_hook(line);
        free(line);
        if (done) {
            free(msg);
            return;
        }
    }
    fprintf(stderr, "%s: %s%s\n", progname, prefix, msg);
    free(msg);
}

void error_vreport(const char *fmt, va_list ap)
{
    emit("", fmt, ap);
}

void error_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("", fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("warning: ", fmt, ap);
    va_end(ap);
}

void info_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("info: ", fmt, ap);
    va_end(ap);
}

static void error_handle_special(Error **errp, Error *err)
{
    if (errp == &error_abort) {
        fprintf(stderr, "%s: unexpected error: %s\n", progname, err->msg);
        abort();
    }
    if (errp == &error_fatal) {
        error_report_err(err);
        exit(1);
    }
}

static void error_setv(Error **errp, ErrorClass cls, const char *suffix,
                       const char *fmt, va_list ap)
{
    if (!errp) {
        return;
    }
    assert(*errp == NULL || errp == &error_fatal || errp == &error_abort);
    Error *err = emu_malloc0(sizeof(*err));
    err->cls = cls;
    char *msg = emu_vasprintf(fmt, ap);
    if (suffix) {
        err->msg = emu_asprintf("%s: %s", msg, suffix);
        free(msg);
    } else {
        err->msg = msg;
    }
    if (errp == &error_fatal || errp == &error_abort) {
        error_handle_special(errp, err);
    }
    *errp = err;
}

void error_setg(Error **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, ERROR_CLASS_GENERIC_ERROR, NULL, fmt, ap);
    va_end(ap);
}

void error_set(Error **errp, ErrorClass cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, cls, NULL, fmt, ap);
    va_end(ap);
}

void error_setg_errno(Error **errp, int os_errno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, ERROR_CLASS_GENERIC_ERROR,
               strerror(os_errno < 0 ? -os_errno : os_errno), fmt, ap);
    va_end(ap);
}

void error_append_hint(Error **errp, const char *fmt, ...)
{
    if (!errp || errp == &error_fatal || errp == &error_abort || !*errp) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *h = emu_vasprintf(fmt, ap);
    va_end(ap);
    Error *err = *errp;
    if (err->hint) {
        char *n = emu_asprintf("%s%s", err->hint, h);
        free(err->hint);
        free(h);
        err->hint = n;
    } else {
        err->hint = h;
    }
}

void error_prepend(Error **errp, const char *fmt, ...)
{
    if (!errp || errp == &error_fatal || errp == &error_abort || !*errp) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *p = emu_vasprintf(fmt, ap);
    va_end(ap);
    Error *err = *errp;
    char *n = emu_asprintf("%s%s", p, err->msg);
    free(p);
    free(err->msg);
    err->msg = n;
}

const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

ErrorClass error_get_class(const Error *err)
{
    return err->cls;
}

const char *error_class_name(ErrorClass cls)
{
    switch (cls) {
    case ERROR_CLASS_COMMAND_NOT_FOUND:
        return "CommandNotFound";
    case ERROR_CLASS_DEVICE_NOT_ACTIVE:
        return "DeviceNotActive";
    case ERROR_CLASS_DEVICE_NOT_FOUND:
        return "DeviceNotFound";
    case ERROR_CLASS_KVM_MISSING_CAP:
        return "KVMMissingCap";
    case ERROR_CLASS_GENERIC_ERROR:
    default:
        return "GenericError";
    }
}

void error_free(Error *err)
{
    if (err) {
        free(err->msg);
        free(err->hint);
        free(err);
    }
}

void error_free_or_abort(Error **errp)
{
    assert(errp && *errp);
    error_free(*errp);
    *errp = NULL;
}

void error_propagate(Error **dst_errp, Error *local_err)
{
    if (!local_err) {
        return;
    }
    if (dst_errp == &error_fatal || dst_errp == &error_abort) {
        error_handle_special(dst_errp, local_err);
    }
    if (dst_errp && !*dst_errp) {
        *dst_errp = local_err;
    } else {
        error_free(local_err);
    }
}

void error_report_err(Error *err)
{
    if (err->hint) {
        /* one line: the hint follows the message */
        char *h = emu_strdup(err->hint);
        size_t n = strlen(h);
        while (n && (h[n - 1] == '\n' || h[n - 1] == ' ')) {
            h[--n] = 0;
        }
        error_report("%s (%s)", err->msg, h);
        free(h);
    } else {
        error_report("%s", err->msg);
    }
    error_free(err);
}

void warn_report_err(Error *err)
{
    warn_report("%s", err->msg);
    error_free(err);
}
