/* The qtest accelerator (no CPU) and the qtest line-protocol server. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/timer.h"
#include "chardev/char.h"
#include "hw/irq.h"
#include "hw/qdev.h"
#include "system/accel.h"
#include "system/memory.h"
#include "system/qtest.h"

/*
 * Protocol (QEMU's, summarised in system/qtest.h): one command per line,
 * words separated by spaces; every command gets exactly one reply starting
 * with "OK", "FAIL" or "ERR".  IRQ changes on intercepted lines are sent
 * as "IRQ raise N" / "IRQ lower N" lines, possibly before the reply of the
 * command that caused them.  Where QEMU would assert on malformed input we
 * answer "ERR ..." and carry on: the client is a test, and tests (or
 * fuzzers) send garbage on purpose.
 */

#define QTEST_MAX_IRQ 256
/* Largest read/write/memset/b64 transfer accepted in one command */
#define QTEST_MAX_XFER (256 * MiB)
/* A line longer than this (hex data of a max transfer plus slack) is
 * discarded with an error instead of growing the buffer forever. */
#define QTEST_MAX_LINE (2 * QTEST_MAX_XFER + 4096)
#define QTEST_MAX_WORDS 8

typedef struct QTestServer {
    Chardev *chr;
    CharBackend be;
    /* input not yet processed: data[0..len) holds a partial line */
    char *in;
    size_t in_len;
    size_t in_cap;
    size_t in_scanned;          /* bytes of in[] known to hold no '\n' */
    bool discarding;            /* dropping the rest of an over-long line */
    bool processing;            /* guards against re-entry from a write */
    FILE *log;
    bool log_owned;
    int64_t start_ns;           /* host monotonic time of OPENED */
    DeviceState *irq_intercept_dev;
    int irq_levels[QTEST_MAX_IRQ];
    /* lines that were connected before we intercepted them: we pass the
     * level on, so interception watches without rewiring the board */
    IRQLine *forward;
    int num_forward;
} QTestServer;

static QTestServer *qtest_server;
static bool qtest_accel_active;
/* Target byte order seen by the protocol; emu's -M none is little */
static const bool qtest_big_endian;

bool qtest_enabled(void)
{
    return qtest_accel_active || qtest_server != NULL;
}

/* ---- Logging and sending ---- */

static double qtest_elapsed(QTestServer *s)
{
    return (get_clock_monotonic() - s->start_ns) / 1e9;
}

static void qtest_send(QTestServer *s, const char *str)
{
    if (s->log) {
        fprintf(s->log, "[S +%.06f] %s", qtest_elapsed(s), str);
    }
    chr_fe_write_all(&s->be, (const uint8_t *)str, strlen(str));
}

static void EMU_PRINTF(2, 3) qtest_sendf(QTestServer *s, const char *fmt, ...)
{
    va_list ap;
    char *str;

    va_start(ap, fmt);
    str = emu_vasprintf(fmt, ap);
    va_end(ap);
    qtest_send(s, str);
    free(str);
}

/* ---- Argument parsing ---- */

static bool qtest_parse_u64(QTestServer *s, const char *word, uint64_t *val)
{
    if (emu_strtou64(word, NULL, 0, val) != 0) {
        qtest_sendf(s, "ERR invalid number '%s'\n", word);
        return false;
    }
    return true;
}

static bool qtest_parse_i64(QTestServer *s, const char *word, int64_t *val)
{
    if (emu_strtoi64(word, NULL, 0, val) != 0) {
        qtest_sendf(s, "ERR invalid number '%s'\n", word);
        return false;
    }
    return true;
}

static bool qtest_parse_size(QTestServer *s, const char *word, uint64_t *len)
{
    if (!qtest_parse_u64(s, word, len)) {
        return false;
    }
    if (*len > QTEST_MAX_XFER) {
        qtest_sendf(s, "ERR size %" PRIu64 " too large (max %llu)\n",
                    *len, (unsigned long long)QTEST_MAX_XFER);
        return false;
    }
    return true;
}

static bool qtest_check_args(QTestServer *s, int nwords, int min, int max)
{
    if (nwords < min || nwords > max) {
        qtest_send(s, "ERR wrong number of arguments\n");
        return false;
    }
    return true;
}

/* ---- base64 (RFC 4648, with padding) ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const uint8_t *data, size_t len)
{
    char *out = emu_malloc((len + 2) / 3 * 4 + 1);
    char *p = out;
    size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
        *p++ = b64_alphabet[v >> 18];
        *p++ = b64_alphabet[(v >> 12) & 63];
        *p++ = b64_alphabet[(v >> 6) & 63];
        *p++ = b64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = data[i] << 16;
        if (i + 1 < len) {
            v |= data[i + 1] << 8;
        }
        *p++ = b64_alphabet[v >> 18];
        *p++ = b64_alphabet[(v >> 12) & 63];
        *p++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        *p++ = '=';
    }
    *p = 0;
    return out;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64_alphabet, c) : NULL;
    return p ? (int)(p - b64_alphabet) : -1;
}

/* Decode into a new buffer; false on malformed input. */
static bool b64_decode(const char *str, uint8_t **out, size_t *out_len)
{
    size_t len = strlen(str);
    size_t pad = 0;
    uint8_t *buf, *p;

    if (len % 4) {
        return false;
    }
    if (len && str[len - 1] == '=') {
        pad = len >= 2 && str[len - 2] == '=' ? 2 : 1;
    }
    buf = p = emu_malloc(len / 4 * 3 + 1);
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int ndigits = (i + 4 == len) ? 4 - (int)pad : 4;
        for (int j = 0; j < 4; j++) {
            int d = j < ndigits ? b64_value(str[i + j]) : 0;
            if (d < 0 || (j >= ndigits && str[i + j] != '=')) {
                free(buf);
                return false;
            }
            v = v << 6 | d;
        }
        *p++ = v >> 16;
        if (ndigits > 2) {
            *p++ = v >> 8;
        }
        if (ndigits > 3) {
            *p++ = v;
        }
    }
    *out = buf;
    *out_len = p - buf;
    return true;
}

/* ---- IRQ interception ---- */

static void qtest_irq_handler(void *opaque, int n, int level)
{
    QTestServer *s = opaque;

    if (n >= 0 && n < s->num_forward) {
        irq_set(&s->forward[n], level);
    }
    if (n < 0 || n >= QTEST_MAX_IRQ) {
        return;
    }
    /* Report changes only, as a level-triggered line is often re-set */
    if (s->irq_levels[n] != level) {
        s->irq_levels[n] = level;
        qtest_sendf(s, "IRQ %s %d\n", level ? "raise" : "lower", n);
    }
}

/*
 * Resolve a device: a canonical path (/machine/peripheral/ID), a bare id,
 * or, like QEMU's partial QOM paths, a unique path suffix or type name.
 */
typedef struct DeviceMatch {
    const char *name;
    DeviceState *found;
    int count;
} DeviceMatch;

static int device_match_suffix(DeviceState *dev, void *opaque)
{
    DeviceMatch *m = opaque;
    const char *path = device_path(dev);
    size_t plen = path ? strlen(path) : 0;
    size_t nlen = strlen(m->name);

    if ((plen > nlen && path[plen - nlen - 1] == '/' &&
         strcmp(path + plen - nlen, m->name) == 0) ||
        strcmp(dev->info->name, m->name) == 0) {
        m->found = dev;
        m->count++;
    }
    return 0;
}

static DeviceState *qtest_find_device(const char *name)
{
    DeviceState *dev = device_find_path(name);
    DeviceMatch m = { .name = name };

    if (dev) {
        return dev;
    }
    dev = device_find_id(name);
    if (dev) {
        return dev;
    }
    device_walk(device_match_suffix, &m);
    return m.count == 1 ? m.found : NULL;
}

/*
 * Remember where the lines of a group went before we take them over, so
 * that the levels are passed on.  In-lines all run through the group's
 * handler (see GPIOList), out-lines are the device's own fields.
 */
static void qtest_save_forward_lines(QTestServer *s, DeviceState *dev,
                                     const char *name, bool outbound)
{
    GPIOList *gl = qdev_get_gpio_list(dev, name);
    int n;

    free(s->forward);
    s->forward = NULL;
    s->num_forward = 0;
    if (!gl) {
        return;
    }
    n = outbound ? gl->num_out : gl->num_in;
    if (n <= 0) {
        return;
    }
    s->forward = emu_new0(IRQLine, n);
    for (int i = 0; i < n; i++) {
        if (outbound) {
            s->forward[i] = *gl->out[i];
        } else {
            s->forward[i] = irq_line(gl->in_handler, gl->in_opaque, i);
        }
    }
    s->num_forward = n;
}

/* irq_intercept_in PATH | irq_intercept_out PATH [GROUP-NAME] */
static void qtest_cmd_irq_intercept(QTestServer *s, char **words, int nwords)
{
    bool outbound = strcmp(words[0], "irq_intercept_out") == 0;
    const char *name = nwords > 2 ? words[2] : NULL;
    DeviceState *dev;
    int n;

    if (!qtest_check_args(s, nwords, 2, outbound ? 3 : 2)) {
        return;
    }
    dev = qtest_find_device(words[1]);
    if (!dev) {
        qtest_send(s, "FAIL Unknown device\n");
        return;
    }
    if (s->irq_intercept_dev) {
        /* One device per session, as in QEMU: IRQ numbers are per device */
        qtest_send(s, s->irq_intercept_dev == dev
                   ? "OK\n" : "FAIL IRQ intercept already enabled\n");
        return;
    }
    qtest_save_forward_lines(s, dev, name, outbound);
    n = outbound ? qdev_intercept_gpio_out_named(dev, name, qtest_irq_handler,
                                                 s)
                 : qdev_intercept_gpio_in(dev, qtest_irq_handler, s);
    if (n <= 0) {
        free(s->forward);
        s->forward = NULL;
        s->num_forward = 0;
        qtest_send(s, "FAIL No intercepts installed\n");
        return;
    }
    s->irq_intercept_dev = dev;
    qtest_send(s, "OK\n");
}

static void qtest_cmd_set_irq_in(QTestServer *s, char **words, int nwords)
{
    const char *name;
    DeviceState *dev;
    GPIOList *gl;
    int64_t num, level;
    IRQLine line;

    if (!qtest_check_args(s, nwords, 5, 5)) {
        return;
    }
    dev = qtest_find_device(words[1]);
    if (!dev) {
        qtest_send(s, "FAIL Unknown device\n");
        return;
    }
    if (!qtest_parse_i64(s, words[3], &num) ||
        !qtest_parse_i64(s, words[4], &level)) {
        return;
    }
    name = strcmp(words[2], "unnamed-gpio-in") == 0 ? NULL : words[2];
    gl = qdev_get_gpio_list(dev, name);
    if (!gl || num < 0 || num >= gl->num_in) {
        qtest_sendf(s, "FAIL No input line %s[%" PRId64 "]\n", words[2], num);
        return;
    }
    if (level < INT_MIN || level > INT_MAX) {
        qtest_sendf(s, "ERR invalid level '%s'\n", words[4]);
        return;
    }
    line = qdev_get_gpio_in_named(dev, name, (int)num);
    irq_set(&line, (int)level);
    qtest_send(s, "OK\n");
}

/* ---- Memory and I/O ports ---- */

static unsigned access_size(char c)
{
    switch (c) {
    case 'b':
        return 1;
    case 'w':
        return 2;
    case 'l':
        return 4;
    case 'q':
        return 8;
    }
    return 0;
}

static void qtest_cmd_write_n(QTestServer *s, char **words, int nwords)
{
    unsigned size = access_size(words[0][5]);
    uint64_t addr, value;

    if (!qtest_check_args(s, nwords, 3, 3) ||
        !qtest_parse_u64(s, words[1], &addr) ||
        !qtest_parse_u64(s, words[2], &value)) {
        return;
    }
    if (size < 8) {
        value &= (1ULL << (size * 8)) - 1;
    }
    /* Like a CPU store: a decode error is the guest's problem, not ours */
    address_space_store(&address_space_memory, addr, size, qtest_big_endian,
                        value);
    qtest_send(s, "OK\n");
}

static void qtest_cmd_read_n(QTestServer *s, char **words, int nwords)
{
    unsigned size = access_size(words[0][4]);
    uint64_t addr, value = UINT64_MAX;

    if (!qtest_check_args(s, nwords, 2, 2) ||
        !qtest_parse_u64(s, words[1], &addr)) {
        return;
    }
    if (address_space_load(&address_space_memory, addr, size,
                           qtest_big_endian, &value) != MEMTX_OK) {
        value = size < 8 ? (1ULL << (size * 8)) - 1 : UINT64_MAX;
    }
    qtest_sendf(s, "OK 0x%016" PRIx64 "\n", value);
}

static bool qtest_parse_port(QTestServer *s, const char *word, uint64_t *port)
{
    if (!qtest_parse_u64(s, word, port)) {
        return false;
    }
    if (*port > 0xffff) {
        qtest_sendf(s, "ERR port address '%s' out of range\n", word);
        return false;
    }
    return true;
}

static void qtest_cmd_out(QTestServer *s, char **words, int nwords)
{
    unsigned size = access_size(words[0][3]);
    uint64_t port, value;

    if (!qtest_check_args(s, nwords, 3, 3) ||
        !qtest_parse_port(s, words[1], &port) ||
        !qtest_parse_u64(s, words[2], &value)) {
        return;
    }
    value &= (1ULL << (size * 8)) - 1;
    address_space_store(&address_space_io, port, size, false, value);
    qtest_send(s, "OK\n");
}

static void qtest_cmd_in(QTestServer *s, char **words, int nwords)
{
    unsigned size = access_size(words[0][2]);
    uint64_t port, value;

    if (!qtest_check_args(s, nwords, 2, 2) ||
        !qtest_parse_port(s, words[1], &port)) {
        return;
    }
    if (address_space_load(&address_space_io, port, size, false,
                           &value) != MEMTX_OK) {
        value = (1ULL << (size * 8)) - 1;
    }
    qtest_sendf(s, "OK 0x%04x\n", (uint32_t)value);
}

static void qtest_cmd_read(QTestServer *s, char **words, int nwords)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t addr, len;
    uint8_t *data;
    char *reply, *p;

    if (!qtest_check_args(s, nwords, 3, 3) ||
        !qtest_parse_u64(s, words[1], &addr) ||
        !qtest_parse_size(s, words[2], &len)) {
        return;
    }
    if (len == 0) {
        qtest_send(s, "ERR invalid argument size\n");
        return;
    }
    data = emu_malloc(len);
    address_space_read(&address_space_memory, addr, data, len);
    reply = p = emu_malloc(len * 2 + 8);
    p += sprintf(p, "OK 0x");
    for (uint64_t i = 0; i < len; i++) {
        *p++ = hex[data[i] >> 4];
        *p++ = hex[data[i] & 15];
    }
    *p++ = '\n';
    *p = 0;
    qtest_send(s, reply);
    free(reply);
    free(data);
}

static void qtest_cmd_write(QTestServer *s, char **words, int nwords)
{
    uint64_t addr, len;
    const char *hexdata;
    size_t ndigits;
    uint8_t *data;

    if (!qtest_check_args(s, nwords, 4, 4) ||
        !qtest_parse_u64(s, words[1], &addr) ||
        !qtest_parse_size(s, words[2], &len)) {
        return;
    }
    if (!strstart(words[3], "0x", &hexdata) || !*hexdata) {
        qtest_send(s, "ERR invalid argument size\n");
        return;
    }
    ndigits = strlen(hexdata);
    if (ndigits % 2) {
        qtest_send(s, "ERR odd number of hex digits\n");
        return;
    }
    for (size_t i = 0; i < ndigits; i++) {
        if (hex_digit_value(hexdata[i]) < 0) {
            qtest_send(s, "ERR invalid hex data\n");
            return;
        }
    }
    /* Shorter data is zero-filled, longer data truncated (as in QEMU) */
    data = emu_malloc0(len ? len : 1);
    for (uint64_t i = 0; i < len && i * 2 < ndigits; i++) {
        data[i] = hex_digit_value(hexdata[i * 2]) << 4 |
                  hex_digit_value(hexdata[i * 2 + 1]);
    }
    address_space_write(&address_space_memory, addr, data, len);
    free(data);
    qtest_send(s, "OK\n");
}

static void qtest_cmd_b64read(QTestServer *s, char **words, int nwords)
{
    uint64_t addr, len;
    uint8_t *data;
    char *enc;

    if (!qtest_check_args(s, nwords, 3, 3) ||
        !qtest_parse_u64(s, words[1], &addr) ||
        !qtest_parse_size(s, words[2], &len)) {
        return;
    }
    data = emu_malloc(len ? len : 1);
    address_space_read(&address_space_memory, addr, data, len);
    enc = b64_encode(data, len);
    qtest_sendf(s, "OK %s\n", enc);
    free(enc);
    free(data);
}

static void qtest_cmd_b64write(QTestServer *s, char **words, int nwords)
{
    uint64_t addr, len;
    uint8_t *data;
    size_t data_len;

    if (!qtest_check_args(s, nwords, 4, 4) ||
        !qtest_parse_u64(s, words[1], &addr) ||
        !qtest_parse_size(s, words[2], &len)) {
        return;
    }
    if (strlen(words[3]) < 3) {
        qtest_send(s, "ERR invalid argument size\n");
        return;
    }
    if (!b64_decode(words[3], &data, &data_len)) {
        qtest_send(s, "ERR invalid base64 data\n");
        return;
    }
    if (data_len != len && s->log) {
        fprintf(s->log, "[S +%.06f] b64write: data length mismatch "
                "(told %" PRIu64 ", found %zu)\n",
                qtest_elapsed(s), len, data_len);
    }
    address_space_write(&address_space_memory, addr, data,
                        MIN((uint64_t)data_len, len));
    free(data);
    qtest_send(s, "OK\n");
}

static void qtest_cmd_memset(QTestServer *s, char **words, int nwords)
{
    uint64_t addr, len, pattern;

    if (!qtest_check_args(s, nwords, 4, 4) ||
        !qtest_parse_u64(s, words[1], &addr) ||
        !qtest_parse_size(s, words[2], &len) ||
        !qtest_parse_u64(s, words[3], &pattern)) {
        return;
    }
    if (len) {
        address_space_set(&address_space_memory, addr, (uint8_t)pattern, len);
    }
    qtest_send(s, "OK\n");
}

/* ---- Clock ---- */

static bool qtest_clock_usable(QTestServer *s)
{
    if (!clock_virtual_is_manual()) {
        qtest_send(s, "FAIL virtual clock is not under qtest control "
                   "(use -accel qtest)\n");
        return false;
    }
    return true;
}

static void qtest_cmd_clock_step(QTestServer *s, char **words, int nwords)
{
    int64_t old_ns, new_ns, target;

    if (!qtest_check_args(s, nwords, 1, 2) || !qtest_clock_usable(s)) {
        return;
    }
    old_ns = clock_get_ns(EMU_CLOCK_VIRTUAL);
    if (nwords == 2) {
        int64_t step;
        if (!qtest_parse_i64(s, words[1], &step)) {
            return;
        }
        new_ns = clock_virtual_step(step);
    } else {
        target = clock_virtual_next_deadline();
        if (target < 0) {
            qtest_send(s, "FAIL cannot advance clock to the next deadline "
                       "because there is no pending deadline\n");
            return;
        }
        new_ns = clock_virtual_set(target);
    }
    if (new_ns > old_ns) {
        qtest_sendf(s, "OK %" PRId64 "\n", new_ns);
    } else {
        qtest_send(s, "FAIL could not advance time\n");
    }
}

static void qtest_cmd_clock_set(QTestServer *s, char **words, int nwords)
{
    int64_t ns, new_ns;

    if (!qtest_check_args(s, nwords, 2, 2) || !qtest_clock_usable(s) ||
        !qtest_parse_i64(s, words[1], &ns)) {
        return;
    }
    /* The clock only moves forward: an earlier time fails, reporting now */
    new_ns = clock_virtual_set(ns);
    qtest_sendf(s, "%s %" PRId64 "\n", new_ns == ns ? "OK" : "FAIL", new_ns);
}

/* ---- Dispatch ---- */

typedef struct QTestCommand {
    const char *name;
    void (*fn)(QTestServer *s, char **words, int nwords);
} QTestCommand;

static void qtest_cmd_endianness(QTestServer *s, char **words, int nwords)
{
    qtest_send(s, qtest_big_endian ? "OK big\n" : "OK little\n");
}

static const QTestCommand qtest_commands[] = {
    { "readb", qtest_cmd_read_n },
    { "readw", qtest_cmd_read_n },
    { "readl", qtest_cmd_read_n },
    { "readq", qtest_cmd_read_n },
    { "writeb", qtest_cmd_write_n },
    { "writew", qtest_cmd_write_n },
    { "writel", qtest_cmd_write_n },
    { "writeq", qtest_cmd_write_n },
    { "inb", qtest_cmd_in },
    { "inw", qtest_cmd_in },
    { "inl", qtest_cmd_in },
    { "outb", qtest_cmd_out },
    { "outw", qtest_cmd_out },
    { "outl", qtest_cmd_out },
    { "read", qtest_cmd_read },
    { "write", qtest_cmd_write },
    { "b64read", qtest_cmd_b64read },
    { "b64write", qtest_cmd_b64write },
    { "memset", qtest_cmd_memset },
    { "irq_intercept_in", qtest_cmd_irq_intercept },
    { "irq_intercept_out", qtest_cmd_irq_intercept },
    { "set_irq_in", qtest_cmd_set_irq_in },
    { "clock_step", qtest_cmd_clock_step },
    { "clock_set", qtest_cmd_clock_set },
    { "endianness", qtest_cmd_endianness },
};

static void qtest_process_line(QTestServer *s, char *line, size_t len)
{
    char *words[QTEST_MAX_WORDS];
    int nwords = 0;
    char *p = line;

    if (len && line[len - 1] == '\r') {
        line[--len] = 0;
    }
    if (s->log) {
        fprintf(s->log, "[R +%.06f] %s\n", qtest_elapsed(s), line);
    }
    while (*p) {
        while (*p == ' ' || *p == '\t') {
            *p++ = 0;
        }
        if (!*p) {
            break;
        }
        if (nwords == QTEST_MAX_WORDS) {
            qtest_send(s, "ERR too many arguments\n");
            return;
        }
        words[nwords++] = p;
        while (*p && *p != ' ' && *p != '\t') {
            p++;
        }
    }
    if (nwords == 0) {
        /* QEMU answers an empty line as an unknown (empty) command */
        qtest_send(s, "FAIL Unknown command ''\n");
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(qtest_commands); i++) {
        if (strcmp(words[0], qtest_commands[i].name) == 0) {
            qtest_commands[i].fn(s, words, nwords);
            return;
        }
    }
    /* Bounded echo: the command may be megabytes of garbage */
    qtest_sendf(s, "FAIL Unknown command '%.64s'\n", words[0]);
}

static void qtest_process_input(QTestServer *s)
{
    while (s->in_scanned < s->in_len) {
        char *nl = memchr(s->in + s->in_scanned, '\n',
                          s->in_len - s->in_scanned);
        size_t line_len, rest;
        char *line;

        if (!nl) {
            s->in_scanned = s->in_len;
            break;
        }
        /*
         * Take the line out of the buffer before running it: a command
         * may write to the chardev, which may deliver more input.
         */
        line_len = nl - s->in;
        line = s->discarding ? NULL : emu_strndup(s->in, line_len);
        rest = s->in_len - line_len - 1;
        memmove(s->in, nl + 1, rest);
        s->in_len = rest;
        s->in_scanned = 0;
        if (line) {
            /* emu_strndup stops at a NUL: a shorter copy means one was there */
            if (strlen(line) != line_len) {
                qtest_send(s, "ERR invalid character in command\n");
            } else {
                qtest_process_line(s, line, line_len);
            }
            free(line);
        }
        s->discarding = false;
    }
    if (s->in_len > QTEST_MAX_LINE) {
        /* Drop the partial line; the rest is skipped up to its newline */
        if (!s->discarding) {
            qtest_send(s, "ERR line too long\n");
        }
        s->discarding = true;
        s->in_len = s->in_scanned = 0;
    }
}

static int qtest_can_read(void *opaque)
{
    return 64 * KiB;
}

static void qtest_read(void *opaque, const uint8_t *buf, int size)
{
    QTestServer *s = opaque;

    if (size <= 0) {
        return;
    }
    if (s->in_len + size + 1 > s->in_cap) {
        s->in_cap = MAX(s->in_cap * 2, s->in_len + size + 1);
        s->in = emu_realloc(s->in, s->in_cap);
    }
    memcpy(s->in + s->in_len, buf, size);
    s->in_len += size;
    if (s->processing) {
        return;     /* the outer call picks the new bytes up */
    }
    s->processing = true;
    qtest_process_input(s);
    s->processing = false;
}

static void qtest_event(void *opaque, ChrEvent event)
{
    QTestServer *s = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        memset(s->irq_levels, 0, sizeof(s->irq_levels));
        s->start_ns = get_clock_monotonic();
        if (s->log) {
            fprintf(s->log, "[I %.06f] OPENED\n", qtest_elapsed(s));
        }
        break;
    case CHR_EVENT_CLOSED:
        if (s->log) {
            fprintf(s->log, "[I +%.06f] CLOSED\n", qtest_elapsed(s));
        }
        /* a half-received command from the old peer is meaningless */
        s->in_len = s->in_scanned = 0;
        s->discarding = false;
        break;
    default:
        break;
    }
}

bool qtest_server_init(const char *spec, const char *log, Error **errp)
{
    QTestServer *s;
    Chardev *chr;
    FILE *log_fp = NULL;
    bool log_owned = false;

    if (qtest_server) {
        error_setg(errp, "Only one instance of qtest can be created");
        return false;
    }
    /* As in QEMU: no -qtest-log logs to stderr, "none" disables */
    if (!log) {
        log_fp = stderr;
    } else if (strcmp(log, "none") != 0) {
        log_fp = fopen(log, "w");
        if (!log_fp) {
            error_setg_errno(errp, errno, "could not open qtest log '%s'",
                             log);
            return false;
        }
        log_owned = true;
        setvbuf(log_fp, NULL, _IOLBF, 0);
    }

    chr = chardev_new_from_spec("qtest", spec, errp);
    if (!chr) {
        error_prepend(errp, "Failed to initialize device for qtest: "
                      "\"%s\": ", spec);
        if (log_owned) {
            fclose(log_fp);
        }
        return false;
    }

    s = emu_new0(QTestServer, 1);
    s->chr = chr;
    s->log = log_fp;
    s->log_owned = log_owned;
    s->start_ns = get_clock_monotonic();
    if (!chr_fe_init(&s->be, chr, errp)) {
        if (log_owned) {
            fclose(log_fp);
        }
        free(s);
        return false;
    }
    qtest_server = s;
    chr_fe_set_handlers(&s->be, qtest_can_read, qtest_read, qtest_event, s);
    return true;
}

/* ---- The accelerator ---- */

static bool qtest_accel_available(Error **errp)
{
    return true;
}

static bool qtest_accel_init(EmuOpts *opts, Error **errp)
{
    /* No CPU runs: virtual time moves only on clock_step/clock_set */
    clock_virtual_set_manual(true);
    qtest_accel_active = true;
    return true;
}

static bool qtest_accel_start_vcpus(unsigned ncpus, Error **errp)
{
    return true;
}

static void qtest_accel_vm_state_change(bool running)
{
}

static void qtest_accel_kick_all(void)
{
}

static void qtest_accel_cleanup(void)
{
    QTestServer *s = qtest_server;

    if (s && s->log) {
        fflush(s->log);
        if (s->log_owned) {
            fclose(s->log);
        }
        s->log = NULL;
    }
}

static const OptDesc qtest_accel_opts[] = {
    { NULL }
};

static const AccelOps qtest_accel_ops = {
    .name = "qtest",
    .desc = "QTest accelerator (no CPU, for device tests)",
    .available = qtest_accel_available,
    .init = qtest_accel_init,
    .start_vcpus = qtest_accel_start_vcpus,
    .vm_state_change = qtest_accel_vm_state_change,
    .kick_all = qtest_accel_kick_all,
    .cleanup = qtest_accel_cleanup,
    .opts = qtest_accel_opts,
};

ACCEL_REGISTER(qtest_accel_ops)
