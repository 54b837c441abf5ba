/* -d/-D debug logging. */
#include "emu/log.h"

unsigned emu_loglevel;
static FILE *logfile;
static char *logfilename;

const LogItem log_items[] = {
    { LOG_TB_OUT_ASM, "out_asm", "show generated host assembly code for each compiled TB" },
    { LOG_TB_IN_ASM, "in_asm", "show target assembly code for each compiled TB" },
    { LOG_TB_OP, "op", "show micro ops for each compiled TB" },
    { LOG_TB_OP_OPT, "op_opt", "show micro ops after optimization" },
    { LOG_INT, "int", "show interrupts/exceptions in short format" },
    { LOG_EXEC, "exec", "show trace before each executed TB (lots of logs)" },
    { LOG_CPU, "cpu", "show CPU registers before entering a TB (lots of logs)" },
    { LOG_MMU, "mmu", "log MMU-related activities" },
    { LOG_PCALL, "pcall", "x86 only: show protected mode far calls/returns/exceptions" },
    { LOG_GUEST_ERROR, "guest_errors", "log when the guest OS does something invalid (eg accessing a non-existent register)" },
    { LOG_UNIMP, "unimp", "log unimplemented functionality" },
    { LOG_NOCHAIN, "nochain", "do not chain compiled TBs so that \"exec\" and \"cpu\" show complete traces" },
    { LOG_TRACE, "trace", "log device-level trace events" },
    { 0, NULL, NULL },
};

void log_print_help(FILE *f)
{
    fprintf(f, "Log items (comma separated):\n");
    for (const LogItem *it = log_items; it->mask; it++) {
        fprintf(f, "%-15s %s\n", it->name, it->help);
    }
}

bool log_parse_items(const char *str, unsigned *mask, Error **errp)
{
    unsigned m = 0;
    char *copy = emu_strdup(str);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        const LogItem *it;
        if (!strcmp(tok, "all")) {
            for (it = log_items; it->mask; it++) {
                m |= it->mask;
            }
            continue;
        }
        for (it = log_items; it->mask; it++) {
            if (!strcmp(it->name, tok)) {
                m |= it->mask;
                break;
            }
        }
        if (!it->mask) {
            error_setg(errp, "unknown log item '%s' (try -d help)", tok);
            free(copy);
            return false;
        }
    }
    free(copy);
    *mask = m;
    return true;
}

void log_set_mask(unsigned mask)
{
    emu_loglevel = mask;
}

bool log_set_filename(const char *filename, Error **errp)
{
    FILE *f = fopen(filename, "w");
    if (!f) {
        error_setg_errno(errp, errno, "cannot open log file '%s'", filename);
        return false;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    log_close();
    logfile = f;
    free(logfilename);
    logfilename = emu_strdup(filename);
    return true;
}

FILE *log_file(void)
{
    return logfile ? logfile : stderr;
}

void log_close(void)
{
    if (logfile) {
        fclose(logfile);
        logfile = NULL;
    }
}

void emu_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file(), fmt, ap);
    va_end(ap);
}
