/* Unit tests for character devices: parsing, backends, mux, sockets. */
#include "emu/osdep.h"
#include "chardev/char.h"
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "system/runstate.h"

#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* ---- helpers ---- */

typedef struct TestFe {
    CharBackend be;
    uint8_t buf[8192];
    int len;
    int room;                   /* what can_read says; -1: plenty */
    ChrEvent events[64];
    int nevents;
} TestFe;

static int test_fe_can_read(void *opaque)
{
    TestFe *fe = opaque;
    int space = (int)sizeof(fe->buf) - fe->len;

    return fe->room < 0 ? space : MIN(fe->room, space);
}

static void test_fe_read(void *opaque, const uint8_t *buf, int size)
{
    TestFe *fe = opaque;

    assert_true(size > 0);
    assert_true(size <= test_fe_can_read(fe));
    memcpy(fe->buf + fe->len, buf, size);
    fe->len += size;
    if (fe->room > 0) {
        fe->room -= size;
    }
}

static void test_fe_event(void *opaque, ChrEvent event)
{
    TestFe *fe = opaque;

    assert_true(fe->nevents < (int)ARRAY_SIZE(fe->events));
    fe->events[fe->nevents++] = event;
}

static void test_fe_attach(TestFe *fe, Chardev *chr)
{
    memset(fe, 0, sizeof(*fe));
    fe->room = -1;
    assert_true(chr_fe_init(&fe->be, chr, &error_abort));
    chr_fe_set_handlers(&fe->be, test_fe_can_read, test_fe_read,
                        test_fe_event, fe);
}

static int count_event(TestFe *fe, ChrEvent ev)
{
    int n = 0;
    for (int i = 0; i < fe->nevents; i++) {
        n += fe->events[i] == ev;
    }
    return n;
}

static ChrEvent last_event(TestFe *fe)
{
    assert_true(fe->nevents > 0);
    return fe->events[fe->nevents - 1];
}

/* Run the main loop until *cond becomes true (or timeout_ms passes) */
#define RUN_UNTIL(cond, timeout_ms)                                       \
    do {                                                                  \
        int64_t deadline_ = get_clock_monotonic() / SCALE_MS + (timeout_ms); \
        while (!(cond) && get_clock_monotonic() / SCALE_MS < deadline_) { \
            main_loop_wait(10);                                           \
        }                                                                 \
    } while (0)

static void spin(int ms)
{
    int64_t deadline = get_clock_monotonic() / SCALE_MS + ms;
    while (get_clock_monotonic() / SCALE_MS < deadline) {
        main_loop_wait(10);
    }
}

static char tmpdir[64];

static char *tmp_path(const char *name)
{
    return emu_asprintf("%s/%s", tmpdir, name);
}

static char *read_file_str(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = emu_malloc0(8192);
    assert_non_null(f);
    size_t n = fread(buf, 1, 8191, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Read what is available on fd (non-blocking), up to size-1 bytes */
static int read_avail(int fd, char *buf, int size, int timeout_ms)
{
    int len = 0;
    int64_t deadline = get_clock_monotonic() / SCALE_MS + timeout_ms;

    while (len < size - 1) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int64_t left = deadline - get_clock_monotonic() / SCALE_MS;
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            break;
        }
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n <= 0) {
            break;
        }
        len += n;
        /* collect a little more if it comes in right away */
        deadline = MIN(deadline, get_clock_monotonic() / SCALE_MS + 50);
    }
    buf[len] = 0;
    return len;
}

static void expect_error(Chardev *chr, Error *err, const char *substr)
{
    assert_null(chr);
    assert_non_null(err);
    if (!strstr(error_get_pretty(err), substr)) {
        fail_msg("error '%s' does not mention '%s'", error_get_pretty(err),
                 substr);
    }
    error_free(err);
}

static Chardev *new_chardev(const char *fmt, ...) EMU_PRINTF(1, 2);
static Chardev *new_chardev(const char *fmt, ...)
{
    va_list ap;
    Error *err = NULL;

    va_start(ap, fmt);
    char *str = emu_vasprintf(fmt, ap);
    va_end(ap);
    Chardev *chr = chardev_new_from_cmdline(str, &err);
    if (!chr) {
        fail_msg("-chardev %s: %s", str, error_get_pretty(err));
    }
    free(str);
    return chr;
}

static int unix_connect(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int teardown(void **state)
{
    chardev_delete_all();
    return 0;
}

/* ---- parsing ---- */

static void test_parse_errors(void **state)
{
    Error *err = NULL;
    Chardev *chr;

    chr = chardev_new_from_cmdline("null", &err);
    expect_error(chr, err, "id");
    err = NULL;
    chr = chardev_new_from_cmdline("bogus,id=x", &err);
    expect_error(chr, err, "bogus");
    err = NULL;
    chr = chardev_new_from_cmdline("null,id=x,frobnicate=3", &err);
    expect_error(chr, err, "frobnicate");
    err = NULL;
    chr = chardev_new_from_cmdline("null,id=9x", &err);
    expect_error(chr, err, "id");
    err = NULL;
    chr = chardev_new_from_cmdline("id=x", &err);
    expect_error(chr, err, "backend");
    err = NULL;
    chr = chardev_new_from_cmdline(
        "socket,id=s,host=127.0.0.1,port=99999,server=on,wait=off", &err);
    expect_error(chr, err, "99999");
    err = NULL;
    chr = chardev_new_from_cmdline(
        "socket,id=s,host=127.0.0.1,port=nosuchservice,server=on,wait=off",
        &err);
    expect_error(chr, err, "nosuchservice");
    err = NULL;
    chr = chardev_new_from_cmdline("socket,id=s,host=127.0.0.1", &err);
    expect_error(chr, err, "port");
    err = NULL;
    chr = chardev_new_from_cmdline("socket,id=s", &err);
    expect_error(chr, err, "address");
    err = NULL;
    chr = chardev_new_from_cmdline("socket,id=s,path=/x,wait=off", &err);
    expect_error(chr, err, "wait");
    err = NULL;
    chr = chardev_new_from_cmdline(
        "socket,id=s,path=/x,server=on,reconnect=1", &err);
    expect_error(chr, err, "reconnect");
    err = NULL;
    chr = chardev_new_from_cmdline(
        "socket,id=s,host=localhost,port=1,telnet=on,server=on", &err);
    expect_error(chr, err, "telnet");
    err = NULL;
    chr = chardev_new_from_cmdline("socket,id=s,path=/x,server=maybe", &err);
    expect_error(chr, err, "server");
    err = NULL;
    chr = chardev_new_from_cmdline("file,id=f", &err);
    expect_error(chr, err, "file");
    err = NULL;
    chr = chardev_new_from_cmdline("file,id=f,path=/nonexistent/dir/x", &err);
    expect_error(chr, err, "/nonexistent/dir/x");
    err = NULL;
    chr = chardev_new_from_cmdline("vc,id=v", &err);
    expect_error(chr, err, "display");
    assert_null(chardev_first());

    /* duplicate id */
    chr = new_chardev("null,id=dup");
    err = NULL;
    assert_null(chardev_new_from_cmdline("null,id=dup", &err));
    expect_error(NULL, err, "dup");
    assert_ptr_equal(chardev_find("dup"), chr);
    assert_ptr_equal(chardev_first(), chr);
    assert_null(chr->next);
}

static void test_parse_legacy(void **state)
{
    Error *err = NULL;
    Chardev *chr;
    char *path = tmp_path("legacy.sock");
    char *spec;

    /* "none": no chardev, and no error */
    assert_null(chardev_new_from_spec("serial0", "none", &err));
    assert_null(err);

    chr = chardev_new_from_spec("serial0", "null", &error_abort);
    assert_string_equal(chr->label, "serial0");
    assert_string_equal(chr->driver->name, "null");
    assert_string_equal(chr->filename, "null");
    assert_ptr_equal(chardev_new_from_spec("x", "chardev:serial0",
                                           &error_abort), chr);
    assert_null(chardev_new_from_spec("x", "chardev:nope", &err));
    expect_error(NULL, err, "nope");
    err = NULL;
    assert_null(chardev_new_from_spec("x", "vc", &err));
    expect_error(NULL, err, "display");
    err = NULL;
    assert_null(chardev_new_from_spec("x", "vc:80Cx24C", &err));
    expect_error(NULL, err, "display");
    err = NULL;
    assert_null(chardev_new_from_spec("x", "bogus", &err));
    expect_error(NULL, err, "bogus");
    err = NULL;
    assert_null(chardev_new_from_spec("x", "tcp:nohostport", &err));
    expect_error(NULL, err, "nohostport");
    err = NULL;
    assert_null(chardev_new_from_spec("x", "telnet::4444,server,nowait",
                                      &err));
    expect_error(NULL, err, "telnet");
    err = NULL;
    assert_null(chardev_new_from_spec("x", "udp:1.2.3.4:5", &err));
    expect_error(NULL, err, "udp");
    err = NULL;
    assert_null(chardev_new_from_spec("x", "file:", &err));
    expect_error(NULL, err, "path");

    /* QEMU's flag words: "server" means server=on, "nowait" wait=off */
    spec = emu_asprintf("unix:%s,server,nowait", path);
    chr = chardev_new_from_spec("qmp0", spec, &error_abort);
    free(spec);
    spec = emu_asprintf("disconnected:unix:%s,server=on", path);
    assert_string_equal(chr->filename, spec);
    free(spec);
    assert_false(chr->be_open);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    chardev_delete(chr);
    /* the server removes its socket */
    assert_int_not_equal(stat(path, &st), 0);

    spec = emu_asprintf("unix:%s,server=on,wait=off", path);
    chr = chardev_new_from_spec("mon1", spec, &error_abort);
    free(spec);
    assert_string_equal(chr->driver->name, "socket");
    chardev_delete(chr);

    /* tcp with empty host: any address; the real port shows in filename */
    chr = chardev_new_from_spec("tcp0", "tcp::0,server,nowait",
                                &error_abort);
    assert_true(strstart(chr->filename, "disconnected:tcp:", NULL));
    assert_non_null(strstr(chr->filename, ",server=on"));
    assert_null(strstr(chr->filename, ":0,"));
    chardev_delete(chr);
    chr = chardev_new_from_spec("tcp1", "tcp:127.0.0.1:0,server=on,wait=off",
                                &error_abort);
    assert_true(strstart(chr->filename, "disconnected:tcp:127.0.0.1:", NULL));
    chardev_delete(chr);
    chr = chardev_new_from_spec("tcp2", "tcp:[::1]:0,server,nowait", &err);
    if (chr) {      /* hosts without IPv6 loopback fail here; that's fine */
        assert_true(strstart(chr->filename, "disconnected:tcp:[::1]:", NULL));
        chardev_delete(chr);
    } else {
        error_free(err);
        err = NULL;
    }

    /* mon:SPEC gives a mux over "LABEL-base" */
    chr = chardev_new_from_spec("compat_monitor0", "mon:null", &error_abort);
    assert_true(chardev_is_mux(chr));
    assert_string_equal(chr->label, "compat_monitor0");
    Chardev *base = chardev_find("compat_monitor0-base");
    assert_non_null(base);
    assert_true(base->is_mux_child);
    assert_string_equal(base->driver->name, "null");
    free(path);
}

static void test_help(void **state)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    chardev_print_help(f);
    fclose(f);
    const char *names[] = { "null", "stdio", "file", "pipe", "pty",
                            "socket", "mux" };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        assert_non_null(chardev_find_driver(names[i]));
        char *line = emu_asprintf("\n  %s ", names[i]);
        assert_non_null(strstr(buf, line));
        free(line);
    }
    assert_null(chardev_find_driver("vc"));
    free(buf);
}

/* ---- simple backends ---- */

static void test_null(void **state)
{
    Chardev *chr = new_chardev("null,id=n0");
    TestFe fe;
    Error *err = NULL;
    CharBackend other;

    test_fe_attach(&fe, chr);
    assert_true(chr_fe_backend_connected(&fe.be));
    assert_false(chr_fe_backend_open(&fe.be));
    assert_int_equal(chr_fe_write(&fe.be, (const uint8_t *)"abc", 3), 3);
    assert_int_equal(chr_fe_write_all(&fe.be, (const uint8_t *)"abc", 3), 3);
    spin(20);
    assert_int_equal(fe.len, 0);
    /* one front end per chardev */
    assert_false(chr_fe_init(&other, chr, &err));
    expect_error(NULL, err, "n0");
    chr_fe_deinit(&fe.be);
    assert_null(chr->be);
    assert_true(chr_fe_init(&other, chr, &error_abort));
    chr_fe_deinit(&other);

    /* a front end without chardev: writes go nowhere */
    assert_true(chr_fe_init(&other, NULL, &error_abort));
    assert_false(chr_fe_backend_connected(&other));
    assert_int_equal(chr_fe_write(&other, (const uint8_t *)"x", 1), 0);
}

static void test_file(void **state)
{
    char *path = tmp_path("out.txt");
    char *log = tmp_path("log.txt");
    Chardev *chr;
    TestFe fe;
    char *data;

    chr = new_chardev("file,id=f0,path=%s", path);
    test_fe_attach(&fe, chr);
    assert_true(chr_fe_backend_open(&fe.be));
    assert_int_equal(count_event(&fe, CHR_EVENT_OPENED), 1);
    assert_int_equal(chr_fe_write(&fe.be, (const uint8_t *)"hello", 5), 5);
    chr_fe_printf(&fe.be, " %d", 42);
    chardev_delete(chr);
    assert_null(fe.be.chr);
    data = read_file_str(path);
    assert_string_equal(data, "hello 42");
    free(data);

    chr = new_chardev("file,id=f1,path=%s,append=on", path);
    test_fe_attach(&fe, chr);
    chr_fe_write_all(&fe.be, (const uint8_t *)"\nmore", 5);
    chardev_delete(chr);
    data = read_file_str(path);
    assert_string_equal(data, "hello 42\nmore");
    free(data);

    /* without append=on the file starts over */
    char *spec = emu_asprintf("file:%s", path);
    chr = chardev_new_from_spec("serial0", spec, &error_abort);
    free(spec);
    test_fe_attach(&fe, chr);
    chr_fe_write_all(&fe.be, (const uint8_t *)"new", 3);
    chardev_delete(chr);
    data = read_file_str(path);
    assert_string_equal(data, "new");
    free(data);

    /* logfile= records what the front end writes */
    chr = new_chardev("null,id=l0,logfile=%s", log);
    test_fe_attach(&fe, chr);
    chr_fe_write_all(&fe.be, (const uint8_t *)"logged", 6);
    chardev_delete(chr);
    chr = new_chardev("null,id=l1,logfile=%s,logappend=on", log);
    test_fe_attach(&fe, chr);
    chr_fe_write_all(&fe.be, (const uint8_t *)"+more", 5);
    chardev_delete(chr);
    data = read_file_str(log);
    assert_string_equal(data, "logged+more");
    free(data);
    free(path);
    free(log);
}

static void test_pipe(void **state)
{
    char *base = tmp_path("pipe");
    char *in = tmp_path("pipe.in");
    char *out = tmp_path("pipe.out");
    char *single = tmp_path("fifo");
    char buf[256];
    TestFe fe;

    assert_int_equal(mkfifo(in, 0600), 0);
    assert_int_equal(mkfifo(out, 0600), 0);
    Chardev *chr = new_chardev("pipe,id=p0,path=%s", base);
    char *expect = emu_asprintf("pipe:%s", base);
    assert_string_equal(chr->filename, expect);
    free(expect);
    int wfd = open(in, O_RDWR);
    int rfd = open(out, O_RDWR | O_NONBLOCK);
    assert_true(wfd >= 0 && rfd >= 0);

    test_fe_attach(&fe, chr);
    assert_int_equal(write(wfd, "to-guest", 8), 8);
    RUN_UNTIL(fe.len >= 8, 2000);
    assert_int_equal(fe.len, 8);
    assert_memory_equal(fe.buf, "to-guest", 8);

    assert_int_equal(chr_fe_write_all(&fe.be, (const uint8_t *)"from", 4), 4);
    assert_int_equal(read_avail(rfd, buf, sizeof(buf), 1000), 4);
    assert_string_equal(buf, "from");

    /* flow control: never more than can_read, resumed by accept_input */
    fe.len = 0;
    fe.room = 3;
    assert_int_equal(write(wfd, "0123456789", 10), 10);
    spin(100);
    assert_int_equal(fe.len, 3);
    fe.room = 4;
    chr_fe_accept_input(&fe.be);
    RUN_UNTIL(fe.len >= 7, 1000);
    spin(30);
    assert_int_equal(fe.len, 7);
    fe.room = -1;
    chr_fe_accept_input(&fe.be);
    RUN_UNTIL(fe.len >= 10, 1000);
    assert_int_equal(fe.len, 10);
    assert_memory_equal(fe.buf, "0123456789", 10);
    chardev_delete(chr);
    close(wfd);
    close(rfd);

    /* no PATH.in/PATH.out: the FIFO itself */
    assert_int_equal(mkfifo(single, 0600), 0);
    chr = new_chardev("pipe,id=p1,path=%s", single);
    expect = emu_asprintf("pipe:%s", single);
    assert_string_equal(chr->filename, expect);
    free(expect);
    chardev_delete(chr);

    Error *err = NULL;
    chr = chardev_new_from_cmdline("pipe,id=p2,path=/nonexistent/p", &err);
    expect_error(chr, err, "/nonexistent/p");
    unlink(in);
    unlink(out);
    unlink(single);
    free(base);
    free(in);
    free(out);
    free(single);
}

/* ---- sockets ---- */

static void test_socket_unix_server(void **state)
{
    char *path = tmp_path("srv.sock");
    char *expect;
    char buf[256];
    TestFe fe;

    Chardev *chr = new_chardev("socket,id=s0,path=%s,server=on,wait=off",
                               path);
    expect = emu_asprintf("disconnected:unix:%s,server=on", path);
    assert_string_equal(chr->filename, expect);
    test_fe_attach(&fe, chr);
    assert_false(chr_fe_backend_open(&fe.be));
    /* disconnected: output is dropped, and says so by succeeding */
    assert_int_equal(chr_fe_write(&fe.be, (const uint8_t *)"lost", 4), 4);

    for (int round = 0; round < 2; round++) {
        int c = unix_connect(path);
        assert_true(c >= 0);
        RUN_UNTIL(chr_fe_backend_open(&fe.be), 2000);
        assert_true(chr_fe_backend_open(&fe.be));
        assert_int_equal(last_event(&fe), CHR_EVENT_OPENED);
        char *conn = emu_asprintf("unix:%s,server=on", path);
        assert_string_equal(chr->filename, conn);
        free(conn);

        fe.len = 0;
        assert_int_equal(write(c, "ping", 4), 4);
        RUN_UNTIL(fe.len >= 4, 2000);
        assert_int_equal(fe.len, 4);
        assert_memory_equal(fe.buf, "ping", 4);

        assert_int_equal(chr_fe_write_all(&fe.be, (const uint8_t *)"pong", 4),
                         4);
        assert_int_equal(read_avail(c, buf, sizeof(buf), 1000), 4);
        assert_string_equal(buf, "pong");

        /* a second client waits until the first one leaves */
        int c2 = unix_connect(path);
        assert_true(c2 >= 0);
        assert_int_equal(write(c2, "early", 5), 5);
        spin(50);
        assert_int_equal(fe.len, 4);

        close(c);
        RUN_UNTIL(!chr_fe_backend_open(&fe.be) &&
                  last_event(&fe) == CHR_EVENT_CLOSED, 2000);
        assert_int_equal(count_event(&fe, CHR_EVENT_CLOSED), round * 2 + 1);
        /* ...and is taken as soon as the first one is gone */
        RUN_UNTIL(fe.len >= 9, 2000);
        assert_int_equal(fe.len, 9);
        assert_memory_equal(fe.buf + 4, "early", 5);
        assert_true(chr_fe_backend_open(&fe.be));
        close(c2);
        RUN_UNTIL(!chr_fe_backend_open(&fe.be), 2000);
        assert_string_equal(chr->filename, expect);
        assert_int_equal(count_event(&fe, CHR_EVENT_CLOSED), round * 2 + 2);
    }
    assert_int_equal(count_event(&fe, CHR_EVENT_OPENED), 4);

    /* writing into a connection the peer has closed */
    int c = unix_connect(path);
    RUN_UNTIL(chr_fe_backend_open(&fe.be), 2000);
    close(c);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(chr_fe_write(&fe.be, (const uint8_t *)"xx", 2), 2);
    }
    RUN_UNTIL(!chr_fe_backend_open(&fe.be), 2000);
    assert_false(chr_fe_backend_open(&fe.be));
    free(expect);
    free(path);
}

typedef struct DelayedConnect {
    char *path;
    int fd;
} DelayedConnect;

static void *delayed_connect_thread(void *opaque)
{
    DelayedConnect *dc = opaque;

    for (int i = 0; i < 200 && dc->fd < 0; i++) {
        usleep(10000);
        dc->fd = unix_connect(dc->path);
    }
    return NULL;
}

static void test_socket_wait(void **state)
{
    DelayedConnect dc = { .path = tmp_path("wait.sock"), .fd = -1 };
    pthread_t th;
    TestFe fe;

    unlink(dc.path);
    pthread_create(&th, NULL, delayed_connect_thread, &dc);
    /* wait=on (the default for servers): returns once a client is there */
    Chardev *chr = new_chardev("socket,id=w0,path=%s,server=on", dc.path);
    pthread_join(th, NULL);
    assert_true(dc.fd >= 0);
    assert_true(chr->be_open);
    /* a front end joining later still hears about the connection */
    test_fe_attach(&fe, chr);
    assert_int_equal(fe.nevents, 1);
    assert_int_equal(fe.events[0], CHR_EVENT_OPENED);
    assert_int_equal(write(dc.fd, "hi", 2), 2);
    RUN_UNTIL(fe.len >= 2, 2000);
    assert_memory_equal(fe.buf, "hi", 2);
    close(dc.fd);
    free(dc.path);
}

static void test_socket_tcp(void **state)
{
    TestFe sfe, cfe;
    char buf[256];
    unsigned port;

    Chardev *srv = new_chardev("socket,id=ts,host=127.0.0.1,port=0,"
                               "server=on,wait=off,nodelay=on");
    assert_int_equal(sscanf(srv->filename,
                            "disconnected:tcp:127.0.0.1:%u,server=on", &port),
                     1);
    assert_true(port > 0);
    test_fe_attach(&sfe, srv);

    Chardev *cli = new_chardev("socket,id=tc,host=127.0.0.1,port=%u",
                               port);
    test_fe_attach(&cfe, cli);
    assert_true(chr_fe_backend_open(&cfe.be));
    RUN_UNTIL(chr_fe_backend_open(&sfe.be), 2000);
    assert_true(chr_fe_backend_open(&sfe.be));
    snprintf(buf, sizeof(buf), "tcp:127.0.0.1:%u,server=on <-> 127.0.0.1:",
             port);
    assert_true(strstart(srv->filename, buf, NULL));
    snprintf(buf, sizeof(buf), " <-> 127.0.0.1:%u", port);
    assert_non_null(strstr(cli->filename, buf));

    assert_int_equal(chr_fe_write_all(&cfe.be, (const uint8_t *)"c2s", 3), 3);
    assert_int_equal(chr_fe_write_all(&sfe.be, (const uint8_t *)"s2c", 3), 3);
    RUN_UNTIL(sfe.len >= 3 && cfe.len >= 3, 2000);
    assert_int_equal(sfe.len, 3);
    assert_int_equal(cfe.len, 3);
    assert_memory_equal(sfe.buf, "c2s", 3);
    assert_memory_equal(cfe.buf, "s2c", 3);

    /* a bigger transfer, larger than socket buffers hold at once */
    static uint8_t big[6000];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = i * 7;
    }
    sfe.len = 0;
    assert_int_equal(chr_fe_write_all(&cfe.be, big, sizeof(big)),
                     (int)sizeof(big));
    RUN_UNTIL(sfe.len >= (int)sizeof(big), 2000);
    assert_int_equal(sfe.len, (int)sizeof(big));
    assert_memory_equal(sfe.buf, big, sizeof(big));

    /* the client goes away: the server hears CLOSED */
    chardev_delete(cli);
    RUN_UNTIL(!chr_fe_backend_open(&sfe.be), 2000);
    assert_int_equal(last_event(&sfe), CHR_EVENT_CLOSED);

    /* a client without reconnect fails when nobody listens */
    Error *err = NULL;
    chardev_delete(srv);
    char *s = emu_asprintf("socket,id=tc2,host=127.0.0.1,port=%u", port);
    Chardev *chr = chardev_new_from_cmdline(s, &err);
    expect_error(chr, err, "Failed to connect");
    free(s);
}

static void test_socket_reconnect(void **state)
{
    char *path = tmp_path("later.sock");
    TestFe fe;
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    char buf[64];

    unlink(path);
    Chardev *chr = new_chardev("socket,id=rc,path=%s,reconnect-ms=50", path);
    char *expect = emu_asprintf("disconnected:unix:%s", path);
    assert_string_equal(chr->filename, expect);
    free(expect);
    test_fe_attach(&fe, chr);
    assert_false(chr_fe_backend_open(&fe.be));
    spin(120);

    /* the server shows up later */
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    for (int round = 0; round < 2; round++) {
        int c = -1;
        int64_t deadline = get_clock_monotonic() / SCALE_MS + 2000;
        while ((c < 0 || !chr_fe_backend_open(&fe.be)) &&
               get_clock_monotonic() / SCALE_MS < deadline) {
            main_loop_wait(10);
            if (c < 0) {
                c = accept(lfd, NULL, NULL);
            }
        }
        assert_true(c >= 0);
        assert_true(chr_fe_backend_open(&fe.be));
        expect = emu_asprintf("unix:%s", path);
        assert_string_equal(chr->filename, expect);
        free(expect);
        chr_fe_write_all(&fe.be, (const uint8_t *)"hey", 3);
        assert_int_equal(read_avail(c, buf, sizeof(buf), 1000), 3);
        assert_string_equal(buf, "hey");
        /* the server drops us: CLOSED, then we come back */
        close(c);
        RUN_UNTIL(!chr_fe_backend_open(&fe.be), 2000);
        assert_int_equal(last_event(&fe), CHR_EVENT_CLOSED);
    }
    assert_int_equal(count_event(&fe, CHR_EVENT_OPENED), 2);
    close(lfd);
    unlink(path);

    /* reconnect= takes seconds; legacy spec works as well */
    char *spec = emu_asprintf("unix:%s,reconnect=1", path);
    chr = chardev_new_from_spec("rc2", spec, &error_abort);
    assert_false(chr->be_open);
    free(spec);
    free(path);
}

/* ---- mux ---- */

static void test_mux(void **state)
{
    char *base = tmp_path("mux");
    char *in = tmp_path("mux.in");
    char *out = tmp_path("mux.out");
    TestFe a, b, extra[3];
    char buf[1024];
    Error *err = NULL;
    int status = 0;

    assert_int_equal(mkfifo(in, 0600), 0);
    assert_int_equal(mkfifo(out, 0600), 0);
    int wfd = open(in, O_RDWR);
    int rfd = open(out, O_RDWR | O_NONBLOCK);

    Chardev *mux = new_chardev("pipe,id=m,path=%s,mux=on", base);
    assert_true(chardev_is_mux(mux));
    Chardev *pipe = chardev_find("m-base");
    assert_non_null(pipe);
    assert_true(pipe->is_mux_child);
    assert_true(pipe->be_open);
    assert_false(mux->be_open);      /* until start-up is over */
    /* the base is taken by the mux */
    CharBackend other;
    assert_false(chr_fe_init(&other, pipe, &err));
    expect_error(NULL, err, "m-base");
    err = NULL;

    test_fe_attach(&a, mux);
    assert_int_equal(a.nevents, 1);
    assert_int_equal(a.events[0], CHR_EVENT_MUX_IN);
    /* the front end that sets up last takes the focus */
    test_fe_attach(&b, mux);
    assert_int_equal(a.be.tag, 0);
    assert_int_equal(b.be.tag, 1);
    assert_int_equal(a.nevents, 2);
    assert_int_equal(a.events[1], CHR_EVENT_MUX_OUT);
    assert_int_equal(b.nevents, 1);
    assert_int_equal(b.events[0], CHR_EVENT_MUX_IN);
    /* OPENED once start-up is over, i.e. the main loop runs */
    assert_false(chr_fe_backend_open(&a.be));
    main_loop_wait(0);
    assert_true(chr_fe_backend_open(&a.be));
    assert_int_equal(a.nevents, 3);
    assert_int_equal(a.events[2], CHR_EVENT_OPENED);
    assert_int_equal(b.nevents, 2);
    assert_int_equal(b.events[1], CHR_EVENT_OPENED);
    chr_fe_take_focus(&a.be);
    assert_int_equal(last_event(&a), CHR_EVENT_MUX_IN);
    assert_int_equal(last_event(&b), CHR_EVENT_MUX_OUT);

    assert_int_equal(write(wfd, "ab", 2), 2);
    RUN_UNTIL(a.len >= 2, 2000);
    assert_int_equal(a.len, 2);
    assert_memory_equal(a.buf, "ab", 2);

    /* C-a c: focus to b */
    assert_int_equal(write(wfd, "\x01" "ccd", 4), 4);
    RUN_UNTIL(b.len >= 2, 2000);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.buf, "cd", 2);
    assert_int_equal(a.len, 2);
    assert_int_equal(last_event(&a), CHR_EVENT_MUX_OUT);
    assert_int_equal(last_event(&b), CHR_EVENT_MUX_IN);

    /* C-a C-a sends one C-a; C-a b a break; unknown commands vanish */
    assert_int_equal(write(wfd, "\x01\x01" "\x01" "b" "\x01" "zq", 7), 7);
    RUN_UNTIL(b.len >= 4, 2000);
    spin(20);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.buf + 2, "\x01q", 2);
    assert_int_equal(count_event(&b, CHR_EVENT_BREAK), 1);
    assert_int_equal(count_event(&a, CHR_EVENT_BREAK), 0);

    /* output of every front end reaches the backend */
    chr_fe_write_all(&a.be, (const uint8_t *)"A1", 2);
    chr_fe_write_all(&b.be, (const uint8_t *)"B1", 2);
    assert_int_equal(read_avail(rfd, buf, sizeof(buf), 1000), 4);
    assert_string_equal(buf, "A1B1");

    /* C-a h */
    assert_int_equal(write(wfd, "\x01h", 2), 2);
    spin(50);
    read_avail(rfd, buf, sizeof(buf), 1000);
    assert_non_null(strstr(buf, "C-a h    print this help\n\r"));
    assert_non_null(strstr(buf, "C-a x    exit emulator\n\r"));
    assert_non_null(strstr(buf, "C-a c    switch between console and "
                            "monitor\n\r"));
    assert_non_null(strstr(buf, "C-a C-a  sends C-a\n\r"));

    /* C-a t: output lines get a time stamp */
    assert_int_equal(write(wfd, "\x01t", 2), 2);
    spin(50);
    /* as in QEMU, stamps start with the next line */
    chr_fe_write_all(&a.be, (const uint8_t *)"l0\nl1\nl2", 8);
    assert_true(read_avail(rfd, buf, sizeof(buf), 1000) > 0);
    assert_true(strstart(buf, "l0\n[00:00:00.", NULL));
    assert_non_null(strstr(buf, "] l1\n[00:00:00."));
    assert_non_null(strstr(buf, "] l2"));
    assert_int_equal(write(wfd, "\x01t", 2), 2);
    spin(50);
    chr_fe_write_all(&a.be, (const uint8_t *)"\nplain", 6);
    read_avail(rfd, buf, sizeof(buf), 1000);
    assert_string_equal(buf, "\nplain");

    /* C-a x asks for shutdown */
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(write(wfd, "\x01x", 2), 2);
    bool exit_requested = false;
    RUN_UNTIL((exit_requested = main_loop_should_exit(&status)), 2000);
    assert_true(exit_requested);

    /* C-a c wraps around to a */
    assert_int_equal(write(wfd, "\x01" "cA", 3), 3);
    RUN_UNTIL(a.len >= 3, 2000);
    assert_memory_equal(a.buf, "abA", 3);
    /* take_focus */
    chr_fe_take_focus(&b.be);
    assert_int_equal(last_event(&a), CHR_EVENT_MUX_OUT);
    assert_int_equal(last_event(&b), CHR_EVENT_MUX_IN);
    assert_int_equal(write(wfd, "B", 1), 1);
    RUN_UNTIL(b.len >= 5, 2000);
    assert_int_equal(b.buf[4], 'B');

    /* flow control through the mux */
    b.len = 0;
    b.room = 2;
    assert_int_equal(write(wfd, "0123456789", 10), 10);
    spin(100);
    assert_int_equal(b.len, 2);
    b.room = -1;
    chr_fe_accept_input(&b.be);
    RUN_UNTIL(b.len >= 10, 1000);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.buf, "0123456789", 10);

    /* at most four front ends */
    for (int i = 0; i < 2; i++) {
        test_fe_attach(&extra[i], mux);
    }
    assert_false(chr_fe_init(&extra[2].be, mux, &err));
    expect_error(NULL, err, "m");
    /* a late front end: focus first, then OPENED right away */
    assert_int_equal(extra[1].nevents, 2);
    assert_int_equal(extra[1].events[0], CHR_EVENT_MUX_IN);
    assert_int_equal(extra[1].events[1], CHR_EVENT_OPENED);
    assert_int_equal(last_event(&extra[0]), CHR_EVENT_MUX_OUT);
    /* detaching the focused one moves the focus on */
    chr_fe_take_focus(&b.be);
    assert_int_equal(last_event(&extra[1]), CHR_EVENT_MUX_OUT);
    chr_fe_deinit(&b.be);
    assert_int_equal(last_event(&extra[0]), CHR_EVENT_MUX_IN);
    assert_true(chr_fe_init(&extra[2].be, mux, &error_abort));
    assert_int_equal(extra[2].be.tag, 1);

    close(wfd);
    close(rfd);
    unlink(in);
    unlink(out);
    free(base);
    free(in);
    free(out);
}

/* ---- pty ---- */

static void test_pty(void **state)
{
    TestFe fe;
    char buf[64];
    Error *err = NULL;

    Chardev *chr = chardev_new_from_spec("serial0", "pty", &err);
    if (!chr) {
        error_free(err);
        skip();
    }
    const char *name;
    assert_true(strstart(chr->filename, "pty:/dev/", &name));
    name = chr->filename + 4;
    test_fe_attach(&fe, chr);
    assert_false(chr_fe_backend_open(&fe.be));
    /* nobody on the other side: output is dropped */
    assert_int_equal(chr_fe_write(&fe.be, (const uint8_t *)"zz", 2), 2);

    int fd = open(name, O_RDWR | O_NOCTTY);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hi", 2), 2);
    RUN_UNTIL(fe.len >= 2, 3000);
    assert_int_equal(fe.len, 2);
    assert_memory_equal(fe.buf, "hi", 2);
    assert_true(chr_fe_backend_open(&fe.be));
    assert_int_equal(count_event(&fe, CHR_EVENT_OPENED), 1);

    chr_fe_write_all(&fe.be, (const uint8_t *)"yo\n", 3);
    assert_int_equal(read_avail(fd, buf, sizeof(buf), 1000), 3);
    assert_string_equal(buf, "yo\n");      /* raw: no \r added */

    close(fd);
    RUN_UNTIL(!chr_fe_backend_open(&fe.be), 3000);
    assert_false(chr_fe_backend_open(&fe.be));
    assert_int_equal(last_event(&fe), CHR_EVENT_CLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_parse_errors, teardown),
        cmocka_unit_test_teardown(test_parse_legacy, teardown),
        cmocka_unit_test_teardown(test_help, teardown),
        cmocka_unit_test_teardown(test_null, teardown),
        cmocka_unit_test_teardown(test_file, teardown),
        cmocka_unit_test_teardown(test_pipe, teardown),
        cmocka_unit_test_teardown(test_socket_unix_server, teardown),
        cmocka_unit_test_teardown(test_socket_wait, teardown),
        cmocka_unit_test_teardown(test_socket_tcp, teardown),
        cmocka_unit_test_teardown(test_socket_reconnect, teardown),
        cmocka_unit_test_teardown(test_mux, teardown),
        cmocka_unit_test_teardown(test_pty, teardown),
    };

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-char-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    main_loop_init();
    int ret = cmocka_run_group_tests(tests, NULL, NULL);
    char *cmd = emu_asprintf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    free(cmd);
    return ret;
}
