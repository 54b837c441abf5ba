/* Allocation, string buffers and small OS helpers. */
#include "emu/osdep.h"
#include <ctype.h>
#include <fcntl.h>

static void EMU_NORETURN out_of_memory(size_t size)
{
    fprintf(stderr, "emu: out of memory allocating %zu bytes\n", size);
    abort();
}

void *emu_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        out_of_memory(size);
    }
    return p;
}

void *emu_malloc0(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p) {
        out_of_memory(size);
    }
    return p;
}

void *emu_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p) {
        out_of_memory(size);
    }
    return p;
}

char *emu_strdup(const char *s)
{
    return s ? emu_strndup(s, strlen(s)) : NULL;
}

char *emu_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = emu_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

char *emu_vasprintf(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0) {
        out_of_memory(strlen(fmt));
    }
    return s;
}

char *emu_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = emu_vasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void strbuf_init(StrBuf *sb)
{
    sb->cap = 64;
    sb->len = 0;
    sb->str = emu_malloc(sb->cap);
    sb->str[0] = 0;
}

static void strbuf_reserve(StrBuf *sb, size_t extra)
{
    if (!sb->str) {
        strbuf_init(sb);
    }
    if (sb->len + extra + 1 > sb->cap) {
        while (sb->len + extra + 1 > sb->cap) {
            sb->cap *= 2;
        }
        sb->str = emu_realloc(sb->str, sb->cap);
    }
}

void strbuf_append_len(StrBuf *sb, const char *s, size_t len)
{
    strbuf_reserve(sb, len);
    memcpy(sb->str + sb->len, s, len);
    sb->len += len;
    sb->str[sb->len] = 0;
}

void strbuf_append(StrBuf *sb, const char *s)
{
    strbuf_append_len(sb, s, strlen(s));
}

void strbuf_vprintf(StrBuf *sb, const char *fmt, va_list ap)
{
    /* try into the free tail first; grow and retry only if it was short */
    strbuf_reserve(sb, 64);
    va_list ap2;
    va_copy(ap2, ap);
    size_t room = sb->cap - sb->len;
    int n = vsnprintf(sb->str + sb->len, room, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        sb->str[sb->len] = 0;
        return;
    }
    if ((size_t)n >= room) {
        strbuf_reserve(sb, n);
        vsnprintf(sb->str + sb->len, n + 1, fmt, ap);
    }
    sb->len += n;
}

void strbuf_printf(StrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_truncate(StrBuf *sb, size_t len)
{
    if (sb->str && len < sb->len) {
        sb->len = len;
        sb->str[len] = 0;
    }
}

char *strbuf_steal(StrBuf *sb)
{
    char *s = sb->str ? sb->str : emu_strdup("");
    sb->str = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void strbuf_free(StrBuf *sb)
{
    free(sb->str);
    sb->str = NULL;
    sb->len = sb->cap = 0;
}

int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool id_wellformed(const char *id)
{
    if (!isalpha((unsigned char)id[0])) {
        return false;
    }
    for (const char *p = id + 1; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

bool strstart(const char *str, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(str, prefix, n) != 0) {
        return false;
    }
    if (rest) {
        *rest = str + n;
    }
    return true;
}

int emu_strtou64(const char *s, const char **end, int base, uint64_t *res)
{
    char *e;
    if (!s || !*s) {
        return -EINVAL;
    }
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (*s == '-') {
        return -ERANGE;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &e, base);
    if (e == s) {
        return -EINVAL;
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (end) {
        *end = e;
    } else if (*e) {
        return -EINVAL;
    }
    *res = v;
    return 0;
}

int emu_strtoi64(const char *s, const char **end, int base, int64_t *res)
{
    char *e;
    if (!s || !*s) {
        return -EINVAL;
    }
    errno = 0;
    long long v = strtoll(s, &e, base);
    if (e == s) {
        return -EINVAL;
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (end) {
        *end = e;
    } else if (*e) {
        return -EINVAL;
    }
    *res = v;
    return 0;
}

int emu_set_nonblock(int fd)
{
    int f = fcntl(fd, F_GETFL);
    if (f < 0) {
        return -errno;
    }
    if (fcntl(fd, F_SETFL, f | O_NONBLOCK) < 0) {
        return -errno;
    }
    return 0;
}

void emu_set_cloexec(int fd)
{
    int f = fcntl(fd, F_GETFD);
    if (f >= 0) {
        fcntl(fd, F_SETFD, f | FD_CLOEXEC);
    }
}

ssize_t emu_write_full(int fd, const void *buf, size_t count)
{
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < count) {
        ssize_t n = write(fd, p + done, count - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                /* blocking caller expected; wait a little */
                usleep(1000);
                continue;
            }
            return done ? (ssize_t)done : -1;
        }
        done += n;
    }
    return done;
}
