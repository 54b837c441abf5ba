/*
 * Debug logging selected with -d ITEM,... and sent to stderr or -D FILE.
 */
#ifndef EMU_LOG_H
#define EMU_LOG_H

#include "emu/osdep.h"
#include "emu/error.h"

#define LOG_TB_IN_ASM   (1u << 0)   /* in_asm */
#define LOG_TB_OP       (1u << 1)   /* op */
#define LOG_TB_OP_OPT   (1u << 2)   /* op_opt */
#define LOG_TB_OUT_ASM  (1u << 3)   /* out_asm */
#define LOG_EXEC        (1u << 4)   /* exec */
#define LOG_CPU         (1u << 5)   /* cpu */
#define LOG_INT         (1u << 6)   /* int */
#define LOG_NOCHAIN     (1u << 7)   /* nochain */
#define LOG_GUEST_ERROR (1u << 8)   /* guest_errors */
#define LOG_UNIMP       (1u << 9)   /* unimp */
#define LOG_MMU         (1u << 10)  /* mmu */
#define LOG_PCALL       (1u << 11)  /* pcall */
#define LOG_STRACE      (1u << 12)  /* strace (reserved) */
#define LOG_TRACE       (1u << 13)  /* trace: device-level tracing */

extern unsigned emu_loglevel;

static inline bool emu_log_enabled(unsigned mask)
{
    return (emu_loglevel & mask) != 0;
}

void emu_log(const char *fmt, ...) EMU_PRINTF(1, 2);
#define emu_log_mask(mask, ...) do {            \
        if (unlikely(emu_log_enabled(mask))) {  \
            emu_log(__VA_ARGS__);               \
        }                                       \
    } while (0)

typedef struct LogItem {
    unsigned mask;
    const char *name;
    const char *help;
} LogItem;
extern const LogItem log_items[];

/* Parse "in_asm,int" (or "help"); returns false and sets errp on error. */
bool log_parse_items(const char *str, unsigned *mask, Error **errp);
void log_print_help(FILE *f);
void log_set_mask(unsigned mask);
bool log_set_filename(const char *filename, Error **errp);
FILE *log_file(void);
void log_close(void);

#endif
