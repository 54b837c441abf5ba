/*
 * Common includes and small helpers used by every emu source file.
 * Every .c file includes this first.
 */
#ifndef EMU_OSDEP_H
#define EMU_OSDEP_H

#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <errno.h>
#include <limits.h>
#include <assert.h>
#include <unistd.h>
#include <sys/types.h>

#ifndef container_of
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define HOST_BIG_ENDIAN (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define EMU_NORETURN __attribute__((noreturn))
#define EMU_PRINTF(fmt_idx, arg_idx) \
    __attribute__((format(printf, fmt_idx, arg_idx)))
#define EMU_UNUSED __attribute__((unused))

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define TiB ((uint64_t)1 << 40)

#define ROUND_UP(n, d)   (((n) + (d) - 1) & -(__typeof__(n))(d))
#define ROUND_DOWN(n, d) ((n) & -(__typeof__(n))(d))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define IS_ALIGNED(n, m) (((n) % (m)) == 0)

/* Allocation helpers that never return NULL: out of memory aborts. */
void *emu_malloc(size_t size);
void *emu_malloc0(size_t size);
void *emu_realloc(void *ptr, size_t size);
char *emu_strdup(const char *s);
char *emu_strndup(const char *s, size_t n);
char *emu_asprintf(const char *fmt, ...) EMU_PRINTF(1, 2);
char *emu_vasprintf(const char *fmt, va_list ap) EMU_PRINTF(1, 0);
#define emu_new0(type, n) ((type *)emu_malloc0(sizeof(type) * (n)))
#define emu_new(type, n)  ((type *)emu_malloc(sizeof(type) * (n)))

/* Growable string buffer. */
typedef struct StrBuf {
    char *str;
    size_t len;
    size_t cap;
} StrBuf;
void strbuf_init(StrBuf *sb);
void strbuf_append(StrBuf *sb, const char *s);
void strbuf_append_len(StrBuf *sb, const char *s, size_t len);
void strbuf_printf(StrBuf *sb, const char *fmt, ...) EMU_PRINTF(2, 3);
void strbuf_vprintf(StrBuf *sb, const char *fmt, va_list ap) EMU_PRINTF(2, 0);
void strbuf_truncate(StrBuf *sb, size_t len);
char *strbuf_steal(StrBuf *sb);   /* returns the string, sb becomes empty */
void strbuf_free(StrBuf *sb);

/* Strings */
/* Value of a hexadecimal digit, or -1 */
int hex_digit_value(char c);
/*
 * QEMU's rule for user-given ids (-device id=, -chardev id=, ...): a
 * letter, then letters, digits, '-', '.' or '_'.
 */
bool id_wellformed(const char *id);
bool strstart(const char *str, const char *prefix, const char **rest);
int emu_strtou64(const char *s, const char **end, int base, uint64_t *res);
int emu_strtoi64(const char *s, const char **end, int base, int64_t *res);

/* File descriptors */
int emu_set_nonblock(int fd);
void emu_set_cloexec(int fd);
ssize_t emu_write_full(int fd, const void *buf, size_t count);

#endif
