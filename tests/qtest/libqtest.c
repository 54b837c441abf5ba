/* libqtest: run emu under the qtest accelerator and talk qtest + QMP to it. */
#include "emu/osdep.h"
#include "libqtest.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

/*
 * This file is linked into test programs only (not against emu's
 * library objects), so it uses plain libc allocation and json-c.
 */

#define QTEST_MAX_IRQ 256
#define QTEST_DEFAULT_TIMEOUT_S 30
#define QTEST_ACCEPT_TIMEOUT_S 10
#define QTEST_QUIT_TIMEOUT_S 10
#define QTEST_POLL_SLICE_MS 100

typedef struct ByteBuf {
    char *data;
    size_t len;
    size_t cap;
} ByteBuf;

struct QTestState {
    pid_t pid;
    int qtest_fd;
    int qmp_fd;
    char *tmpdir;
    char *qtest_path;
    char *qmp_path;
    bool wait_status_valid;
    int wait_status;
    ByteBuf qtest_in;           /* received, not yet consumed */
    ByteBuf qmp_in;
    bool irq_level[QTEST_MAX_IRQ];
    json_tokener *tok;
    json_object **events;       /* queued QMP events */
    size_t nevents;
    size_t events_cap;
    char *last_cmd;             /* for error messages */
    struct QTestState *next;
};

/* Live instances, killed if the test aborts or exits early */
static QTestState *qtest_instances;

/* ---- Small helpers ---- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "libqtest: out of memory\n");
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "libqtest: out of memory\n");
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = xmalloc(strlen(s) + 1);
    strcpy(p, s);
    return p;
}

static char *EMU_PRINTF(1, 0) xvasprintf(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0) {
        fprintf(stderr, "libqtest: out of memory\n");
        abort();
    }
    return s;
}

static char *EMU_PRINTF(1, 2) xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

static void bytebuf_append(ByteBuf *b, const void *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        b->cap = MAX(b->cap * 2, b->len + len + 1);
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
}

static void bytebuf_consume(ByteBuf *b, size_t len)
{
    memmove(b->data, b->data + len, b->len - len);
    b->len -= len;
    b->data[b->len] = 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int timeout_seconds(int def)
{
    const char *env = getenv("QTEST_TIMEOUT");
    int v = env ? atoi(env) : 0;
    return v > 0 ? v : def;
}

static bool qtest_verbose(void)
{
    return getenv("QTEST_LOG") != NULL;
}

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status)) {
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)),
                 WCOREDUMP(status) ? ", core dumped" : "");
    } else {
        snprintf(buf, len, "wait status 0x%x", status);
    }
}

/* ---- Process lifetime ---- */

static void qtest_kill_all_children(void)
{
    for (QTestState *s = qtest_instances; s; s = s->next) {
        if (s->pid > 0) {
            kill(s->pid, SIGKILL);
        }
        /* async-signal-safe clean-up of our socket files */
        if (s->qtest_path) {
            unlink(s->qtest_path);
        }
        if (s->qmp_path) {
            unlink(s->qmp_path);
        }
        if (s->tmpdir) {
            rmdir(s->tmpdir);
        }
    }
}

static void qtest_abort_handler(int sig)
{
    qtest_kill_all_children();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void qtest_atexit(void)
{
    qtest_kill_all_children();
}

static void qtest_install_cleanup(void)
{
    static bool installed;
    struct sigaction sa = { .sa_handler = qtest_abort_handler };

    if (installed) {
        return;
    }
    installed = true;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    atexit(qtest_atexit);
    /* a dead emu must not kill us through a write on its socket */
    signal(SIGPIPE, SIG_IGN);
}

bool qtest_emu_exited(QTestState *s, int *status)
{
    if (!s->wait_status_valid && s->pid > 0) {
        int st;
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid) {
            s->wait_status = st;
            s->wait_status_valid = true;
            s->pid = -1;
        }
    }
    if (s->wait_status_valid && status) {
        *status = s->wait_status;
    }
    return s->wait_status_valid;
}

pid_t qtest_pid(QTestState *s)
{
    return s->pid;
}

static void EMU_PRINTF(2, 3) EMU_NORETURN
qtest_die(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    int status;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "libqtest: %s\n", msg);
    if (s && s->last_cmd) {
        fprintf(stderr, "libqtest: last qtest command: %.200s\n",
                s->last_cmd);
    }
    if (s) {
        /* give a dying emu a moment so that its exit status is known */
        for (int i = 0; i < 10 && !qtest_emu_exited(s, NULL); i++) {
            usleep(20000);
        }
        if (qtest_emu_exited(s, &status)) {
            char how[128];
            describe_status(status, how, sizeof(how));
            fprintf(stderr, "libqtest: emu %s\n", how);
        }
    }
    printf("Bail out! %s\n", msg);
    fflush(stdout);
    free(msg);
    abort();
}

static char *shell_quote(const char *str)
{
    size_t n = 3;
    char *out, *p;

    for (const char *c = str; *c; c++) {
        n += *c == '\'' ? 4 : 1;
    }
    out = p = xmalloc(n);
    *p++ = '\'';
    for (const char *c = str; *c; c++) {
        if (*c == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *c;
        }
    }
    *p++ = '\'';
    *p = 0;
    return out;
}

static int listen_unix(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "libqtest: socket path too long: %s\n", path);
        abort();
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fd, 1) < 0) {
        fprintf(stderr, "libqtest: cannot listen on %s: %s\n", path,
                strerror(errno));
        abort();
    }
    return fd;
}

/* Accept one connection, giving up if emu exits or the timeout passes */
static int accept_with_timeout(QTestState *s, int lfd, const char *what)
{
    int64_t deadline = now_ms() +
        timeout_seconds(QTEST_ACCEPT_TIMEOUT_S) * 1000LL;

    for (;;) {
        struct pollfd pfd = { .fd = lfd, .events = POLLIN };
        int r = poll(&pfd, 1, QTEST_POLL_SLICE_MS);
        int status;

        if (r > 0) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                return fd;
            }
            if (errno != EINTR && errno != EAGAIN) {
                qtest_die(s, "accept on the %s socket: %s", what,
                          strerror(errno));
            }
        } else if (r < 0 && errno != EINTR) {
            qtest_die(s, "poll: %s", strerror(errno));
        }
        if (qtest_emu_exited(s, &status)) {
            char how[128];
            describe_status(status, how, sizeof(how));
            qtest_die(s, "emu %s before connecting to the %s socket", how,
                      what);
        }
        if (now_ms() > deadline) {
            qtest_die(s, "emu did not connect to the %s socket within %d s",
                      what, timeout_seconds(QTEST_ACCEPT_TIMEOUT_S));
        }
    }
}

const char *qtest_emu_binary(void)
{
    const char *env = getenv("QTEST_EMU_BINARY");
    return env && *env ? env : "build/emu";
}

void qtest_skip_if_no_emu(void)
{
    const char *bin = qtest_emu_binary();

    if (access(bin, X_OK) != 0) {
        printf("1..0 # SKIP emu binary '%s' not found "
               "(set QTEST_EMU_BINARY)\n", bin);
        exit(77);
    }
}

/* Does the argument string choose a machine itself? */
static bool has_machine_option(const char *args)
{
    const char *p = args;

    while (p && *p) {
        size_t len;

        p += strspn(p, " \t");
        len = strcspn(p, " \t");
        if ((len == 2 && !strncmp(p, "-M", 2)) ||
            (len == 8 && !strncmp(p, "-machine", 8)) ||
            (len == 9 && !strncmp(p, "--machine", 9))) {
            return true;
        }
        p += len;
    }
    return false;
}

/* Read one complete JSON object from QMP */
static json_object *qmp_receive(QTestState *s);

static QTestState *qtest_spawn(const char *extra_args, bool qmp_handshake)
{
    QTestState *s = calloc(1, sizeof(*s));
    char tmpl[] = "/tmp/emu-qtest-XXXXXX";
    const char *tmpbase = getenv("TMPDIR");
    char *bin_q, *cmd;
    int qtest_lfd, qmp_lfd;
    json_object *greeting, *rsp;
    pid_t pid;

    if (!s) {
        abort();
    }
    qtest_install_cleanup();
    s->qtest_fd = s->qmp_fd = -1;
    s->pid = -1;

    if (tmpbase && *tmpbase && strlen(tmpbase) < 60) {
        s->tmpdir = xasprintf("%s/emu-qtest-XXXXXX", tmpbase);
    } else {
        s->tmpdir = xstrdup(tmpl);
    }
    if (!mkdtemp(s->tmpdir)) {
        fprintf(stderr, "libqtest: mkdtemp %s: %s\n", s->tmpdir,
                strerror(errno));
        abort();
    }
    s->qtest_path = xasprintf("%s/qtest.sock", s->tmpdir);
    s->qmp_path = xasprintf("%s/qmp.sock", s->tmpdir);
    s->next = qtest_instances;
    qtest_instances = s;

    qtest_lfd = listen_unix(s->qtest_path);
    qmp_lfd = listen_unix(s->qmp_path);

    bin_q = shell_quote(qtest_emu_binary());
    /*
     * Without -qtest-log emu logs to its stderr, which is ours (reopening
     * /dev/fd/2 would truncate a redirected log file).
     */
    cmd = xasprintf("exec %s %s -accel qtest -qtest unix:%s %s "
                    "-qmp unix:%s -nodefaults %s",
                    bin_q,
                    has_machine_option(extra_args) ? "" : "-M none",
                    s->qtest_path,
                    qtest_verbose() ? "" : "-qtest-log /dev/null",
                    s->qmp_path, extra_args ? extra_args : "");
    free(bin_q);
    if (qtest_verbose()) {
        fprintf(stderr, "libqtest: starting: %s\n", cmd);
    }

    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "libqtest: fork: %s\n", strerror(errno));
        abort();
    }
    if (pid == 0) {
        /* emu must not outlive a test that crashed */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(1);
        }
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    free(cmd);
    s->pid = pid;

    s->qtest_fd = accept_with_timeout(s, qtest_lfd, "qtest");
    s->qmp_fd = accept_with_timeout(s, qmp_lfd, "QMP");
    close(qtest_lfd);
    close(qmp_lfd);
    /* Connected: the socket files are no longer needed */
    unlink(s->qtest_path);
    unlink(s->qmp_path);
    rmdir(s->tmpdir);

    s->tok = json_tokener_new();
    if (!qmp_handshake) {
        return s;
    }
    greeting = qmp_receive(s);
    if (!json_object_object_get_ex(greeting, "QMP", NULL)) {
        qtest_die(s, "unexpected QMP greeting: %s",
                  json_object_to_json_string(greeting));
    }
    json_object_put(greeting);
    rsp = qtest_qmp(s, "{'execute': 'qmp_capabilities'}");
    if (!json_object_object_get_ex(rsp, "return", NULL)) {
        qtest_die(s, "qmp_capabilities failed: %s",
                  json_object_to_json_string(rsp));
    }
    json_object_put(rsp);
    return s;
}

QTestState *qtest_init(const char *extra_args)
{
    return qtest_spawn(extra_args, true);
}

QTestState *qtest_init_without_qmp_handshake(const char *extra_args)
{
    return qtest_spawn(extra_args, false);
}

QTestState *qtest_initf(const char *fmt, ...)
{
    va_list ap;
    char *args;
    QTestState *s;

    va_start(ap, fmt);
    args = xvasprintf(fmt, ap);
    va_end(ap);
    s = qtest_init(args);
    free(args);
    return s;
}

void qtest_quit(QTestState *s)
{
    int64_t deadline;
    int status = 0;
    bool killed_hard = false;

    if (!s) {
        return;
    }
    if (s->qtest_fd >= 0) {
        close(s->qtest_fd);
    }
    if (s->qmp_fd >= 0) {
        close(s->qmp_fd);
    }
    if (!qtest_emu_exited(s, NULL) && s->pid > 0) {
        kill(s->pid, SIGTERM);
        deadline = now_ms() + QTEST_QUIT_TIMEOUT_S * 1000LL;
        while (!qtest_emu_exited(s, NULL)) {
            if (now_ms() > deadline && !killed_hard) {
                fprintf(stderr, "libqtest: emu ignored SIGTERM for %d s, "
                        "killing it\n", QTEST_QUIT_TIMEOUT_S);
                kill(s->pid, SIGKILL);
                killed_hard = true;
            }
            usleep(10000);
        }
    }
    qtest_emu_exited(s, &status);

    /* unlink from the instance list before any abort below */
    for (QTestState **p = &qtest_instances; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    for (size_t i = 0; i < s->nevents; i++) {
        json_object_put(s->events[i]);
    }
    free(s->events);
    if (s->tok) {
        json_tokener_free(s->tok);
    }
    free(s->qtest_in.data);
    free(s->qmp_in.data);
    free(s->last_cmd);
    free(s->qtest_path);
    free(s->qmp_path);
    free(s->tmpdir);
    free(s);

    /* A crash is a test failure even if every check passed */
    if (!killed_hard && WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
        char how[128];
        describe_status(status, how, sizeof(how));
        fprintf(stderr, "libqtest: emu %s\n", how);
        printf("Bail out! emu crashed (%s)\n", how);
        fflush(stdout);
        abort();
    }
}

/* ---- qtest line I/O ---- */

/*
 * Wait until fd is readable and append what arrives to b.  what names the
 * stream for messages.
 */
static void read_more(QTestState *s, int fd, ByteBuf *b, const char *what)
{
    int timeout_s = timeout_seconds(QTEST_DEFAULT_TIMEOUT_S);
    int64_t deadline = now_ms() + timeout_s * 1000LL;
    char chunk[65536];

    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, QTEST_POLL_SLICE_MS);

        if (r > 0) {
            ssize_t n = read(fd, chunk, sizeof(chunk));
            if (n > 0) {
                bytebuf_append(b, chunk, n);
                return;
            }
            if (n == 0) {
                qtest_die(s, "emu closed the %s connection", what);
            }
            if (errno != EINTR && errno != EAGAIN) {
                qtest_die(s, "reading from %s: %s", what, strerror(errno));
            }
        } else if (r < 0 && errno != EINTR) {
            qtest_die(s, "poll: %s", strerror(errno));
        }
        if (now_ms() > deadline) {
            qtest_die(s, "no reply from emu on %s within %d s", what,
                      timeout_s);
        }
    }
}

static void write_all(QTestState *s, int fd, const void *buf, size_t len,
                      const char *what)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            qtest_die(s, "writing to %s: %s", what, strerror(errno));
        }
        p += n;
        len -= n;
    }
}

void qtest_send_raw(QTestState *s, const void *buf, size_t len)
{
    write_all(s, s->qtest_fd, buf, len, "qtest");
}

/* "IRQ raise N" / "IRQ lower N": record; true if the line was one */
static bool qtest_handle_irq_line(QTestState *s, const char *line)
{
    const char *rest;
    bool level;
    char *end;
    long n;

    if (strncmp(line, "IRQ ", 4) != 0) {
        return false;
    }
    rest = line + 4;
    if (strncmp(rest, "raise ", 6) == 0) {
        level = true;
    } else if (strncmp(rest, "lower ", 6) == 0) {
        level = false;
    } else {
        qtest_die(s, "malformed IRQ line from emu: '%s'", line);
    }
    n = strtol(rest + 6, &end, 10);
    if (*end || n < 0 || n >= QTEST_MAX_IRQ) {
        qtest_die(s, "malformed IRQ line from emu: '%s'", line);
    }
    s->irq_level[n] = level;
    return true;
}

char *qtest_recv_line(QTestState *s)
{
    for (;;) {
        char *nl = s->qtest_in.len ? memchr(s->qtest_in.data, '\n',
                                            s->qtest_in.len) : NULL;
        if (nl) {
            size_t len = nl - s->qtest_in.data;
            char *line = xmalloc(len + 1);
            memcpy(line, s->qtest_in.data, len);
            line[len] = 0;
            bytebuf_consume(&s->qtest_in, len + 1);
            if (qtest_handle_irq_line(s, line)) {
                free(line);
                continue;
            }
            return line;
        }
        read_more(s, s->qtest_fd, &s->qtest_in, "qtest");
    }
}

char *qtest_cmd(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    char *cmd;

    va_start(ap, fmt);
    cmd = xvasprintf(fmt, ap);
    va_end(ap);
    free(s->last_cmd);
    s->last_cmd = cmd;
    qtest_send_raw(s, cmd, strlen(cmd));
    qtest_send_raw(s, "\n", 1);
    return qtest_recv_line(s);
}

/* Run a command that must answer "OK[ value]"; returns the value part */
static char *EMU_PRINTF(2, 3) qtest_cmd_ok(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    char *cmd, *reply, *val;

    va_start(ap, fmt);
    cmd = xvasprintf(fmt, ap);
    va_end(ap);
    reply = qtest_cmd(s, "%s", cmd);
    free(cmd);
    if (strcmp(reply, "OK") == 0) {
        free(reply);
        return xstrdup("");
    }
    if (strncmp(reply, "OK ", 3) != 0) {
        qtest_die(s, "emu replied '%.200s'", reply);
    }
    val = xstrdup(reply + 3);
    free(reply);
    return val;
}

static uint64_t qtest_cmd_u64(QTestState *s, const char *cmd, uint64_t arg)
{
    char *val = qtest_cmd_ok(s, "%s 0x%" PRIx64, cmd, arg);
    char *end;
    uint64_t v;

    errno = 0;
    v = strtoull(val, &end, 0);
    if (!*val || *end || errno) {
        qtest_die(s, "bad value '%s' in reply to %s", val, cmd);
    }
    free(val);
    return v;
}

static void qtest_cmd_void(QTestState *s, const char *cmd, uint64_t a,
                           uint64_t b)
{
    free(qtest_cmd_ok(s, "%s 0x%" PRIx64 " 0x%" PRIx64, cmd, a, b));
}

uint8_t qtest_readb(QTestState *s, uint64_t addr)
{
    return qtest_cmd_u64(s, "readb", addr);
}

uint16_t qtest_readw(QTestState *s, uint64_t addr)
{
    return qtest_cmd_u64(s, "readw", addr);
}

uint32_t qtest_readl(QTestState *s, uint64_t addr)
{
    return qtest_cmd_u64(s, "readl", addr);
}

uint64_t qtest_readq(QTestState *s, uint64_t addr)
{
    return qtest_cmd_u64(s, "readq", addr);
}

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value)
{
    qtest_cmd_void(s, "writeb", addr, value);
}

void qtest_writew(QTestState *s, uint64_t addr, uint16_t value)
{
    qtest_cmd_void(s, "writew", addr, value);
}

void qtest_writel(QTestState *s, uint64_t addr, uint32_t value)
{
    qtest_cmd_void(s, "writel", addr, value);
}

void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value)
{
    qtest_cmd_void(s, "writeq", addr, value);
}

uint8_t qtest_inb(QTestState *s, uint16_t port)
{
    return qtest_cmd_u64(s, "inb", port);
}

uint16_t qtest_inw(QTestState *s, uint16_t port)
{
    return qtest_cmd_u64(s, "inw", port);
}

uint32_t qtest_inl(QTestState *s, uint16_t port)
{
    return qtest_cmd_u64(s, "inl", port);
}

void qtest_outb(QTestState *s, uint16_t port, uint8_t value)
{
    qtest_cmd_void(s, "outb", port, value);
}

void qtest_outw(QTestState *s, uint16_t port, uint16_t value)
{
    qtest_cmd_void(s, "outw", port, value);
}

void qtest_outl(QTestState *s, uint16_t port, uint32_t value)
{
    qtest_cmd_void(s, "outl", port, value);
}

void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size)
{
    uint8_t *out = data;
    char *val;

    if (!size) {
        return;
    }
    val = qtest_cmd_ok(s, "read 0x%" PRIx64 " 0x%zx", addr, size);
    if (strncmp(val, "0x", 2) != 0 || strlen(val) != 2 + size * 2) {
        qtest_die(s, "bad data in reply to read: '%.80s'", val);
    }
    for (size_t i = 0; i < size; i++) {
        int hi = hex_digit_value(val[2 + i * 2]), lo = hex_digit_value(val[3 + i * 2]);
        if (hi < 0 || lo < 0) {
            qtest_die(s, "bad hex in reply to read: '%.80s'", val);
        }
        out[i] = hi << 4 | lo;
    }
    free(val);
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *in = data;
    char *enc;

    if (!size) {
        return;
    }
    enc = xmalloc(size * 2 + 1);
    for (size_t i = 0; i < size; i++) {
        enc[i * 2] = hex[in[i] >> 4];
        enc[i * 2 + 1] = hex[in[i] & 15];
    }
    enc[size * 2] = 0;
    free(qtest_cmd_ok(s, "write 0x%" PRIx64 " 0x%zx 0x%s", addr, size, enc));
    free(enc);
}

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void qtest_bufwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size)
{
    const uint8_t *in = data;
    char *enc = xmalloc((size + 2) / 3 * 4 + 1);
    char *p = enc;

    for (size_t i = 0; i < size; i += 3) {
        uint32_t v = in[i] << 16;
        size_t left = size - i;
        if (left > 1) {
            v |= in[i + 1] << 8;
        }
        if (left > 2) {
            v |= in[i + 2];
        }
        *p++ = b64_chars[v >> 18];
        *p++ = b64_chars[(v >> 12) & 63];
        *p++ = left > 1 ? b64_chars[(v >> 6) & 63] : '=';
        *p++ = left > 2 ? b64_chars[v & 63] : '=';
    }
    *p = 0;
    free(qtest_cmd_ok(s, "b64write 0x%" PRIx64 " 0x%zx %s", addr, size, enc));
    free(enc);
}

void qtest_bufread(QTestState *s, uint64_t addr, void *data, size_t size)
{
    uint8_t *out = data;
    char *val = qtest_cmd_ok(s, "b64read 0x%" PRIx64 " 0x%zx", addr, size);
    size_t len = strlen(val), n = 0;

    if (len % 4) {
        qtest_die(s, "bad base64 in reply to b64read: '%.80s'", val);
    }
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int digits = 0, pad = 0;
        for (int j = 0; j < 4; j++) {
            char ch = val[i + j];
            const char *c = ch && ch != '=' ? strchr(b64_chars, ch) : NULL;
            if (c && !pad) {
                v = v << 6 | (uint32_t)(c - b64_chars);
                digits++;
            } else if (ch == '=' && i + 4 == len && j >= 2) {
                v <<= 6;
                pad++;
            } else {
                qtest_die(s, "bad base64 in reply to b64read: '%.80s'", val);
            }
        }
        for (int k = 0; k < digits - 1; k++) {
            if (n >= size) {
                qtest_die(s, "b64read returned more than %zu bytes", size);
            }
            out[n++] = v >> (16 - 8 * k);
        }
    }
    if (n != size) {
        qtest_die(s, "b64read returned %zu bytes, expected %zu", n, size);
    }
    free(val);
}

void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size)
{
    free(qtest_cmd_ok(s, "memset 0x%" PRIx64 " 0x%zx 0x%02x", addr, size,
                      pattern));
}

/* ---- Clock ---- */

static int64_t parse_clock_reply(QTestState *s, char *val)
{
    char *end;
    long long ns;

    errno = 0;
    ns = strtoll(val, &end, 0);
    if (!*val || *end || errno) {
        qtest_die(s, "bad clock value '%s'", val);
    }
    free(val);
    return ns;
}

int64_t qtest_clock_step(QTestState *s, int64_t ns)
{
    return parse_clock_reply(s, qtest_cmd_ok(s, "clock_step %" PRId64, ns));
}

int64_t qtest_clock_step_next(QTestState *s)
{
    return parse_clock_reply(s, qtest_cmd_ok(s, "clock_step"));
}

int64_t qtest_clock_set(QTestState *s, int64_t ns)
{
    return parse_clock_reply(s, qtest_cmd_ok(s, "clock_set %" PRId64, ns));
}

/* ---- IRQs ---- */

void qtest_irq_intercept_in(QTestState *s, const char *path)
{
    free(qtest_cmd_ok(s, "irq_intercept_in %s", path));
}

void qtest_irq_intercept_out(QTestState *s, const char *path)
{
    free(qtest_cmd_ok(s, "irq_intercept_out %s", path));
}

bool qtest_get_irq(QTestState *s, int n)
{
    if (n < 0 || n >= QTEST_MAX_IRQ) {
        qtest_die(s, "IRQ number %d out of range", n);
    }
    /* A round trip collects any IRQ line sent before it */
    free(qtest_cmd_ok(s, "endianness"));
    return s->irq_level[n];
}

void qtest_set_irq_in(QTestState *s, const char *path, const char *name,
                      int num, int level)
{
    free(qtest_cmd_ok(s, "set_irq_in %s %s %d %d", path,
                      name ? name : "unnamed-gpio-in", num, level));
}

/* ---- QMP ---- */

static json_object *qmp_receive(QTestState *s)
{
    for (;;) {
        if (s->qmp_in.len) {
            json_object *obj = json_tokener_parse_ex(s->tok, s->qmp_in.data,
                                                     (int)s->qmp_in.len);
            enum json_tokener_error err = json_tokener_get_error(s->tok);

            if (obj) {
                bytebuf_consume(&s->qmp_in, json_tokener_get_parse_end(s->tok));
                json_tokener_reset(s->tok);
                if (!json_object_is_type(obj, json_type_object)) {
                    qtest_die(s, "QMP sent a non-object: %s",
                              json_object_to_json_string(obj));
                }
                if (qtest_verbose()) {
                    fprintf(stderr, "libqtest: QMP <- %s\n",
                            json_object_to_json_string_ext(obj,
                                JSON_C_TO_STRING_PLAIN));
                }
                return obj;
            }
            if (err != json_tokener_continue) {
                qtest_die(s, "bad JSON from QMP (%s): %.200s",
                          json_tokener_error_desc(err), s->qmp_in.data);
            }
            /* the tokener keeps the partial object: drop consumed bytes */
            bytebuf_consume(&s->qmp_in, s->qmp_in.len);
        }
        read_more(s, s->qmp_fd, &s->qmp_in, "QMP");
    }
}

static void qmp_queue_event(QTestState *s, json_object *ev)
{
    if (s->nevents == s->events_cap) {
        s->events_cap = s->events_cap ? s->events_cap * 2 : 8;
        s->events = xrealloc(s->events, s->events_cap * sizeof(*s->events));
    }
    s->events[s->nevents++] = ev;
}

static json_object *EMU_PRINTF(2, 0) qtest_vqmp(QTestState *s,
                                                const char *fmt, va_list ap)
{
    char *text = xvasprintf(fmt, ap);
    json_object *cmd = json_tokener_parse(text);
    const char *wire;

    if (!cmd) {
        qtest_die(s, "qtest_qmp: not valid JSON: %s", text);
    }
    free(text);
    wire = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN |
                                          JSON_C_TO_STRING_NOSLASHESCAPE);
    if (qtest_verbose()) {
        fprintf(stderr, "libqtest: QMP -> %s\n", wire);
    }
    write_all(s, s->qmp_fd, wire, strlen(wire), "QMP");
    write_all(s, s->qmp_fd, "\n", 1, "QMP");
    json_object_put(cmd);

    for (;;) {
        json_object *obj = qmp_receive(s);
        if (json_object_object_get_ex(obj, "event", NULL)) {
            qmp_queue_event(s, obj);
            continue;
        }
        return obj;
    }
}

json_object *qtest_qmp(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    json_object *rsp;

    va_start(ap, fmt);
    rsp = qtest_vqmp(s, fmt, ap);
    va_end(ap);
    return rsp;
}

json_object *qtest_qmp_ok(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    json_object *rsp, *ret;

    va_start(ap, fmt);
    rsp = qtest_vqmp(s, fmt, ap);
    va_end(ap);
    if (!json_object_object_get_ex(rsp, "return", &ret)) {
        qtest_die(s, "QMP command failed: %s",
                  json_object_to_json_string(rsp));
    }
    json_object_get(ret);
    json_object_put(rsp);
    return ret;
}

static bool event_is(json_object *ev, const char *name)
{
    json_object *n;
    return json_object_object_get_ex(ev, "event", &n) &&
           json_object_is_type(n, json_type_string) &&
           strcmp(json_object_get_string(n), name) == 0;
}

json_object *qtest_qmp_eventwait_ref(QTestState *s, const char *event)
{
    for (size_t i = 0; i < s->nevents; i++) {
        if (event_is(s->events[i], event)) {
            json_object *ev = s->events[i];
            memmove(&s->events[i], &s->events[i + 1],
                    (s->nevents - i - 1) * sizeof(*s->events));
            s->nevents--;
            return ev;
        }
    }
    for (;;) {
        json_object *obj = qmp_receive(s);
        if (event_is(obj, event)) {
            return obj;
        }
        if (json_object_object_get_ex(obj, "event", NULL)) {
            qmp_queue_event(s, obj);
        } else {
            qtest_die(s, "unexpected QMP response while waiting for %s: %s",
                      event, json_object_to_json_string(obj));
        }
    }
}

void qtest_qmp_eventwait(QTestState *s, const char *event)
{
    json_object_put(qtest_qmp_eventwait_ref(s, event));
}

/* ---- TAP ---- */

static int tap_count;
static int tap_failed;

bool qtest_tap_result(bool cond, const char *file, int line,
                      const char *expr, const char *fmt, ...)
{
    va_list ap;

    tap_count++;
    printf("%sok %d - ", cond ? "" : "not ", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) {
        tap_failed++;
        printf("#   failed at %s:%d: %s\n", file, line, expr);
    }
    fflush(stdout);
    return cond;
}

void qtest_tap_diag(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

int qtest_tap_finish(void)
{
    printf("1..%d\n", tap_count);
    if (tap_failed) {
        printf("# %d of %d checks failed\n", tap_failed, tap_count);
    }
    fflush(stdout);
    return tap_failed ? 1 : 0;
}
