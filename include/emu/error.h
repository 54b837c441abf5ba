/*
 * Error reporting.
 *
 * Functions that can fail take an "Error **errp" as last argument.  On
 * failure they call error_setg(errp, ...) and return false/NULL/-1.  Only
 * start-up code turns an error into a message and an exit status.
 *
 * Special targets:
 *   &error_fatal  - print the message ("emu: msg") and exit(1)
 *   &error_abort  - print and abort() (programming errors)
 *   NULL          - ignore the error
 */
#ifndef EMU_ERROR_H
#define EMU_ERROR_H

#include "emu/osdep.h"

/* QMP error classes, with QEMU's names. */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR = 0,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_ACTIVE,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
} ErrorClass;

typedef struct Error Error;

extern Error *error_fatal;
extern Error *error_abort;

void error_setg(Error **errp, const char *fmt, ...) EMU_PRINTF(2, 3);
void error_setg_errno(Error **errp, int os_errno, const char *fmt, ...)
    EMU_PRINTF(3, 4);
void error_set(Error **errp, ErrorClass cls, const char *fmt, ...)
    EMU_PRINTF(3, 4);
/* Add a hint shown after the message (one line, by error_report_err). */
void error_append_hint(Error **errp, const char *fmt, ...) EMU_PRINTF(2, 3);
/* Prefix the message: "prefix: old message". */
void error_prepend(Error **errp, const char *fmt, ...) EMU_PRINTF(2, 3);

const char *error_get_pretty(const Error *err);
ErrorClass error_get_class(const Error *err);
const char *error_class_name(ErrorClass cls);
void error_free(Error *err);
void error_free_or_abort(Error **errp);
/* Move *local_err into *dst_errp (honouring error_fatal/error_abort). */
void error_propagate(Error **dst_errp, Error *local_err);

/* Print "emu: message" to stderr (or the current monitor). */
void error_report(const char *fmt, ...) EMU_PRINTF(1, 2);
void warn_report(const char *fmt, ...) EMU_PRINTF(1, 2);
void info_report(const char *fmt, ...) EMU_PRINTF(1, 2);
void error_vreport(const char *fmt, va_list ap) EMU_PRINTF(1, 0);
/* Report and free */
void error_report_err(Error *err);
void warn_report_err(Error *err);

/* Program name used in messages; defaults to "emu". */
void error_set_progname(const char *name);

/*
 * Hook for the monitor: while an HMP command runs, error_report() prints to
 * the monitor instead of stderr.  fn returns true when it consumed the text.
 */
typedef bool (*ErrorReportHook)(const char *msg);
void error_set_report_hook(ErrorReportHook hook);

#endif
