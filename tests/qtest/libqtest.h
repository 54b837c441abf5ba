/*
 * libqtest: drive an emu process over the qtest protocol (memory, ports,
 * IRQs, virtual clock) and QMP, for device tests without a CPU.
 *
 * The test is the server: qtest_init() listens on two unix sockets in a
 * private temporary directory, starts emu ($QTEST_EMU_BINARY, default
 * build/emu) with "-qtest unix:SOCK -qmp unix:QMPSOCK" so that emu
 * connects to them, and accepts both.  Failures of the protocol (emu
 * died, timeout, a FAIL reply to a typed helper) print what happened and
 * abort() the test; emu is killed on the way out.
 *
 * Environment: QTEST_EMU_BINARY (emu to run), QTEST_LOG (if set, emu's
 * protocol log and libqtest's notes go to stderr), QTEST_TIMEOUT (seconds
 * to wait for any reply, default 30).
 *
 * Tests are plain programs printing TAP ("ok N - name"); see the
 * QT_CHECK* macros at the end.
 */
#ifndef TESTS_QTEST_LIBQTEST_H
#define TESTS_QTEST_LIBQTEST_H

#include "emu/osdep.h"
#include <json-c/json.h>

typedef struct QTestState QTestState;

/* ---- Process ---- */

/* The emu binary that qtest_init() runs ($QTEST_EMU_BINARY or build/emu) */
const char *qtest_emu_binary(void);
/* If the emu binary is missing, print a TAP skip and exit(77). */
void qtest_skip_if_no_emu(void);

/*
 * Start emu with "-M none -accel qtest -nodefaults" plus extra_args (split
 * by the shell; NULL for none; a -M/-machine in extra_args replaces
 * "-M none"), connect qtest and QMP and negotiate QMP capabilities.
 */
QTestState *qtest_init(const char *extra_args);
/* Same, but leave QMP alone: the greeting is still unread */
QTestState *qtest_init_without_qmp_handshake(const char *extra_args);
/* printf-style extra_args */
QTestState *qtest_initf(const char *fmt, ...) EMU_PRINTF(1, 2);
/*
 * Stop emu (SIGTERM, then SIGKILL after a timeout) and free s.  Aborts if
 * emu had crashed (died of a signal other than the one we sent).
 */
void qtest_quit(QTestState *s);
/* emu's pid, or -1 once reaped */
pid_t qtest_pid(QTestState *s);
/* Has emu exited?  (non-blocking; fills *status like waitpid) */
bool qtest_emu_exited(QTestState *s, int *status);

/* ---- Raw protocol ---- */

/*
 * Send one command line (no newline needed) and return the reply line
 * without its newline (caller frees).  IRQ lines received meanwhile are
 * recorded for qtest_get_irq().  Never aborts on FAIL/ERR replies: the
 * caller inspects the text.  Aborts if emu dies or does not answer.
 */
char *qtest_cmd(QTestState *s, const char *fmt, ...) EMU_PRINTF(2, 3);
/* Send raw bytes on the qtest socket (may include anything) */
void qtest_send_raw(QTestState *s, const void *buf, size_t len);
/* Read one reply line after qtest_send_raw (caller frees) */
char *qtest_recv_line(QTestState *s);

/* ---- Memory and ports (abort unless the reply is OK) ---- */

uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);
void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t value);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t value);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value);

uint8_t qtest_inb(QTestState *s, uint16_t port);
uint16_t qtest_inw(QTestState *s, uint16_t port);
uint32_t qtest_inl(QTestState *s, uint16_t port);
void qtest_outb(QTestState *s, uint16_t port, uint8_t value);
void qtest_outw(QTestState *s, uint16_t port, uint16_t value);
void qtest_outl(QTestState *s, uint16_t port, uint32_t value);

/* "read"/"write" with hex data */
void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size);
void qtest_memwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size);
/* "b64read"/"b64write" */
void qtest_bufread(QTestState *s, uint64_t addr, void *data, size_t size);
void qtest_bufwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size);
void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size);

/* ---- Clock (virtual ns; return the new time) ---- */

int64_t qtest_clock_step(QTestState *s, int64_t ns);
/* Step to the next timer deadline (aborts if there is none) */
int64_t qtest_clock_step_next(QTestState *s);
int64_t qtest_clock_set(QTestState *s, int64_t ns);

/* ---- IRQs ---- */

void qtest_irq_intercept_in(QTestState *s, const char *path);
void qtest_irq_intercept_out(QTestState *s, const char *path);
/* Current level of intercepted line n (syncs with emu first) */
bool qtest_get_irq(QTestState *s, int n);
/* Drive a device input line; name NULL means the unnamed group */
void qtest_set_irq_in(QTestState *s, const char *path, const char *name,
                      int num, int level);

/* ---- QMP ---- */

/*
 * Send a command and return the response (new reference, caller puts).
 * fmt is printf-style and must produce JSON; single-quoted strings are
 * accepted ("{'execute': 'query-status'}").  Events received while
 * waiting are queued for qtest_qmp_eventwait().
 */
json_object *qtest_qmp(QTestState *s, const char *fmt, ...) EMU_PRINTF(2, 3);
/* Same, but abort unless the response has "return"; returns its value */
json_object *qtest_qmp_ok(QTestState *s, const char *fmt, ...)
    EMU_PRINTF(2, 3);
/* Wait for an event (queued or new); returns it (caller puts) */
json_object *qtest_qmp_eventwait_ref(QTestState *s, const char *event);
void qtest_qmp_eventwait(QTestState *s, const char *event);

/* ---- TAP reporting ---- */

/* Print "ok N - name" or "not ok N - name"; returns cond */
bool qtest_tap_result(bool cond, const char *file, int line,
                      const char *expr, const char *fmt, ...)
    EMU_PRINTF(5, 6);
/* Print a "# ..." diagnostic line */
void qtest_tap_diag(const char *fmt, ...) EMU_PRINTF(1, 2);
/* Print the plan "1..N"; return the exit status (1 if anything failed) */
int qtest_tap_finish(void);

#define QT_CHECK(cond, ...) \
    qtest_tap_result(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

/* Compare two unsigned values, printing both on failure */
#define QT_CHECK_EQ(a, b, ...) ({                                         \
        uint64_t qt_a_ = (uint64_t)(a), qt_b_ = (uint64_t)(b);            \
        bool qt_ok_ = QT_CHECK(qt_a_ == qt_b_, __VA_ARGS__);              \
        if (!qt_ok_) {                                                    \
            qtest_tap_diag("  %s = 0x%" PRIx64 ", expected %s = 0x%"      \
                           PRIx64, #a, qt_a_, #b, qt_b_);                 \
        }                                                                 \
        qt_ok_;                                                           \
    })

/* Compare two strings (NULL-safe), printing both on failure */
#define QT_CHECK_STR(a, b, ...) ({                                        \
        const char *qt_a_ = (a), *qt_b_ = (b);                            \
        bool qt_ok_ = QT_CHECK(qt_a_ && qt_b_ && !strcmp(qt_a_, qt_b_),   \
                               __VA_ARGS__);                              \
        if (!qt_ok_) {                                                    \
            qtest_tap_diag("  got '%s', expected '%s'",                   \
                           qt_a_ ? qt_a_ : "(null)",                      \
                           qt_b_ ? qt_b_ : "(null)");                     \
        }                                                                 \
        qt_ok_;                                                           \
    })

#endif
