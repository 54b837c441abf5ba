/* Socket chardev: unix or tcp, client or server (one peer at a time). */
#include "emu/osdep.h"
#include "chardev/char.h"
#include "emu/main-loop.h"
#include "emu/timer.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

typedef struct SocketAddr {
    struct sockaddr_storage ss;
    socklen_t len;
} SocketAddr;

typedef struct SocketChardev {
    Chardev parent;
    bool is_unix;
    bool is_listen;
    bool nodelay;
    char *path;                 /* unix */
    char *addr_str;             /* "unix:/p", "tcp:host:port" (for info) */
    SocketAddr *addrs;          /* where to listen or connect */
    int naddrs;
    int listen_fd;
    int fd;                     /* the peer connection, -1 if none */
    bool connecting;            /* non-blocking connect() pending on fd */
    int connect_idx;            /* which of addrs it is for */
    bool broken;                /* a write failed: disconnect in a BH */
    bool connect_err_reported;
    int64_t reconnect_ms;       /* clients: retry period, 0 = never */
    EmuTimer *reconnect_timer;
    EmuBH *disconnect_bh;
    ChardevFdReader reader;
} SocketChardev;

static SocketChardev *to_socket(Chardev *chr)
{
    return container_of(chr, SocketChardev, parent);
}

static const OptDesc socket_opts[] = {
    { "path", OPT_STRING, "unix socket path" },
    { "host", OPT_STRING, "tcp host name or address" },
    { "port", OPT_STRING, "tcp port" },
    { "server", OPT_BOOL, "listen instead of connecting" },
    { "wait", OPT_BOOL, "server: wait for a client before starting" },
    { "reconnect", OPT_NUMBER, "client: seconds between reconnect tries" },
    { "reconnect-ms", OPT_NUMBER, "client: ms between reconnect tries" },
    { "nodelay", OPT_BOOL, "set TCP_NODELAY" },
    { "delay", OPT_BOOL, "delay=off is the same as nodelay=on" },
    { "telnet", OPT_BOOL, "telnet protocol (not supported)" },
    { "ipv4", OPT_BOOL, "use IPv4 only" },
    { "ipv6", OPT_BOOL, "use IPv6 only" },
    { NULL }
};

static void socket_connect_next(SocketChardev *s);

/* "host:port" with numeric values, IPv6 hosts in brackets */
static char *format_inet(const struct sockaddr *sa, socklen_t len)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return emu_strdup("?:?");
    }
    if (sa->sa_family == AF_INET6) {
        return emu_asprintf("[%s]:%s", host, serv);
    }
    return emu_asprintf("%s:%s", host, serv);
}

static void socket_update_filename(SocketChardev *s)
{
    Chardev *chr = &s->parent;
    const char *server = s->is_listen ? ",server=on" : "";

    if (s->fd < 0 || s->connecting) {
        chardev_set_filename(chr, "disconnected:%s%s", s->addr_str, server);
        return;
    }
    if (s->is_unix) {
        chardev_set_filename(chr, "unix:%s%s", s->path, server);
        return;
    }
    struct sockaddr_storage local, peer;
    socklen_t llen = sizeof(local), plen = sizeof(peer);
    if (getsockname(s->fd, (struct sockaddr *)&local, &llen) < 0 ||
        getpeername(s->fd, (struct sockaddr *)&peer, &plen) < 0) {
        chardev_set_filename(chr, "%s%s", s->addr_str, server);
        return;
    }
    char *l = format_inet((struct sockaddr *)&local, llen);
    char *p = format_inet((struct sockaddr *)&peer, plen);
    chardev_set_filename(chr, "tcp:%s%s <-> %s", l, server, p);
    free(l);
    free(p);
}

static void socket_listen_handler(void *opaque);

static void socket_set_listening(SocketChardev *s, bool on)
{
    if (s->listen_fd >= 0) {
        emu_set_fd_handler(s->listen_fd, on ? socket_listen_handler : NULL,
                           NULL, s);
    }
}

static void socket_schedule_reconnect(SocketChardev *s)
{
    if (s->reconnect_ms > 0) {
        timer_mod(s->reconnect_timer,
                  clock_get_ms(EMU_CLOCK_REALTIME) + s->reconnect_ms);
    }
}

static void socket_disconnect(SocketChardev *s)
{
    if (s->fd < 0) {
        return;
    }
    bool was_connected = !s->connecting;
    chardev_fd_reader_stop(&s->reader);
    if (s->connecting) {
        emu_set_fd_handler(s->fd, NULL, NULL, NULL);
    }
    close(s->fd);
    s->fd = -1;
    s->connecting = false;
    s->broken = false;
    socket_update_filename(s);
    if (was_connected) {
        chardev_be_event(&s->parent, CHR_EVENT_CLOSED);
    }
    /* The CLOSED handler may have done anything, even reconnected */
    if (s->fd >= 0) {
        return;
    }
    if (s->is_listen) {
        socket_set_listening(s, true);
    } else {
        socket_schedule_reconnect(s);
    }
}

/* fd is a connected, non-blocking socket: start talking */
static void socket_connected(SocketChardev *s, int fd)
{
    s->fd = fd;
    s->connecting = false;
    s->broken = false;
    s->connect_err_reported = false;
    if (s->nodelay && !s->is_unix) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (s->is_listen) {
        socket_set_listening(s, false);     /* one client at a time */
    }
    socket_update_filename(s);
    chardev_fd_reader_start(&s->reader, fd);
    chardev_be_event(&s->parent, CHR_EVENT_OPENED);
}

static void socket_reader_eof(Chardev *chr, int err)
{
    socket_disconnect(to_socket(chr));
}

static void socket_disconnect_bh(void *opaque)
{
    SocketChardev *s = opaque;

    if (s->broken) {
        socket_disconnect(s);
    }
}

static void socket_accept(SocketChardev *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
        return;                 /* EAGAIN, or the client already left */
    }
    if (s->fd >= 0) {
        close(fd);              /* cannot happen: we stop listening */
        return;
    }
    socket_connected(s, fd);
}

static void socket_listen_handler(void *opaque)
{
    socket_accept(opaque);
}

/* ---- Client connection ---- */

static void socket_connect_failed(SocketChardev *s, int err)
{
    if (!s->connect_err_reported) {
        error_report("Unable to connect character device %s: "
                     "Failed to connect to '%s': %s", s->parent.label,
                     s->addr_str, strerror(err));
        s->connect_err_reported = true;
    }
    socket_schedule_reconnect(s);
}

static void socket_connect_done(void *opaque)
{
    SocketChardev *s = opaque;
    int err = 0;
    socklen_t len = sizeof(err);

    if (!s->connecting) {
        return;
    }
    emu_set_fd_handler(s->fd, NULL, NULL, NULL);
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        err = errno;
    }
    if (err == 0) {
        socket_connected(s, s->fd);
        return;
    }
    close(s->fd);
    s->fd = -1;
    s->connecting = false;
    s->connect_idx++;
    if (s->connect_idx < s->naddrs) {
        socket_connect_next(s);
    } else {
        socket_connect_failed(s, err);
    }
}

/* Start a non-blocking connect to addrs[connect_idx] and the ones after */
static void socket_connect_next(SocketChardev *s)
{
    int err = 0;

    for (; s->connect_idx < s->naddrs; s->connect_idx++) {
        SocketAddr *a = &s->addrs[s->connect_idx];
        int fd = socket(a->ss.ss_family,
                        SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, (struct sockaddr *)&a->ss, a->len) == 0) {
            socket_connected(s, fd);
            return;
        }
        if (errno == EINPROGRESS) {
            s->fd = fd;
            s->connecting = true;
            emu_set_fd_handler(fd, NULL, socket_connect_done, s);
            return;
        }
        err = errno;
        close(fd);
    }
    socket_connect_failed(s, err);
}

static void socket_reconnect_timer_cb(void *opaque)
{
    SocketChardev *s = opaque;

    if (s->fd < 0) {
        s->connect_idx = 0;
        socket_connect_next(s);
    }
}

/* Blocking connect for clients without reconnect: failure fails -chardev */
static bool socket_connect_sync(SocketChardev *s, Error **errp)
{
    int err = ENOENT;

    for (int i = 0; i < s->naddrs; i++) {
        SocketAddr *a = &s->addrs[i];
        int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int r;
        do {
            r = connect(fd, (struct sockaddr *)&a->ss, a->len);
        } while (r < 0 && errno == EINTR);
        if (r == 0) {
            emu_set_nonblock(fd);
            socket_connected(s, fd);
            return true;
        }
        err = errno;
        close(fd);
    }
    error_setg_errno(errp, err, "Failed to connect to '%s'", s->addr_str);
    return false;
}

/* ---- Server ---- */

static int socket_listen_one(SocketChardev *s, SocketAddr *a, bool v6only)
{
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1, v6 = v6only;

    if (fd < 0) {
        return -errno;
    }
    if (!s->is_unix) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (a->ss.ss_family == AF_INET6) {
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6));
        }
    }
    if (bind(fd, (struct sockaddr *)&a->ss, a->len) < 0 ||
        listen(fd, 1) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    emu_set_nonblock(fd);
    return fd;
}

static bool socket_listen(SocketChardev *s, bool v6only, Error **errp)
{
    int err = EINVAL;

    if (s->is_unix) {
        /* A stale socket from an earlier run would make bind() fail */
        struct stat st;
        if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
            unlink(s->path);
        }
    }
    for (int i = 0; i < s->naddrs; i++) {
        int fd = socket_listen_one(s, &s->addrs[i], v6only);
        if (fd >= 0) {
            s->listen_fd = fd;
            break;
        }
        err = -fd;
    }
    if (s->listen_fd < 0) {
        error_setg_errno(errp, err, "Failed to listen on '%s'", s->addr_str);
        return false;
    }
    if (!s->is_unix) {
        /* Show the real address (port=0 picks one; host "" is any) */
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        if (getsockname(s->listen_fd, (struct sockaddr *)&ss, &len) == 0) {
            char *hp = format_inet((struct sockaddr *)&ss, len);
            free(s->addr_str);
            s->addr_str = emu_asprintf("tcp:%s", hp);
            free(hp);
        }
    }
    return true;
}

/* ---- Addresses ---- */

static bool socket_resolve_unix(SocketChardev *s, const char *path,
                                Error **errp)
{
    struct sockaddr_un *sun;

    if (strlen(path) >= sizeof(sun->sun_path)) {
        error_setg(errp, "UNIX socket path '%s' is too long", path);
        error_append_hint(errp, "Path must be less than %zu bytes",
                          sizeof(sun->sun_path));
        return false;
    }
    s->is_unix = true;
    s->path = emu_strdup(path);
    s->addr_str = emu_asprintf("unix:%s", path);
    s->naddrs = 1;
    s->addrs = emu_new0(SocketAddr, 1);
    sun = (struct sockaddr_un *)&s->addrs[0].ss;
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, strlen(path) + 1);
    s->addrs[0].len = sizeof(*sun);
    return true;
}

static bool socket_resolve_inet(SocketChardev *s, const char *host_in,
                                const char *port, int family, Error **errp)
{
    struct addrinfo hints = { 0 }, *res, *ai;
    uint64_t num;
    char *host;

    if (!port || !*port) {
        error_setg(errp, "chardev: socket: Parameter 'port' is missing");
        return false;
    }
    if (parse_uint(port, &num) && num > 65535) {
        error_setg(errp, "chardev: socket: port '%s' out of range", port);
        return false;
    }
    /* Accept "[::1]" as well as "::1" */
    size_t hlen = host_in ? strlen(host_in) : 0;
    if (hlen >= 2 && host_in[0] == '[' && host_in[hlen - 1] == ']') {
        host = emu_strndup(host_in + 1, hlen - 2);
    } else {
        host = emu_strdup(host_in ? host_in : "");
    }
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = s->is_listen ? AI_PASSIVE : 0;
    int r = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (r != 0) {
        error_setg(errp, "address resolution failed for %s:%s: %s", host,
                   port, gai_strerror(r));
        free(host);
        return false;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_addrlen <= sizeof(struct sockaddr_storage)) {
            s->naddrs++;
        }
    }
    s->addrs = emu_new0(SocketAddr, s->naddrs ? s->naddrs : 1);
    int i = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_addrlen <= sizeof(struct sockaddr_storage)) {
            memcpy(&s->addrs[i].ss, ai->ai_addr, ai->ai_addrlen);
            s->addrs[i].len = ai->ai_addrlen;
            i++;
        }
    }
    freeaddrinfo(res);
    if (strchr(host, ':')) {
        s->addr_str = emu_asprintf("tcp:[%s]:%s", host, port);
    } else {
        s->addr_str = emu_asprintf("tcp:%s:%s", host, port);
    }
    free(host);
    if (!s->naddrs) {
        error_setg(errp, "no usable address for '%s'", s->addr_str);
        return false;
    }
    return true;
}

/* ---- Driver ---- */

static void socket_free_state(SocketChardev *s)
{
    chardev_fd_reader_destroy(&s->reader);
    timer_free(s->reconnect_timer);
    s->reconnect_timer = NULL;
    if (s->disconnect_bh) {
        bh_delete(s->disconnect_bh);
        s->disconnect_bh = NULL;
    }
    if (s->fd >= 0) {
        if (s->connecting) {
            emu_set_fd_handler(s->fd, NULL, NULL, NULL);
        }
        close(s->fd);
        s->fd = -1;
    }
    if (s->listen_fd >= 0) {
        emu_set_fd_handler(s->listen_fd, NULL, NULL, NULL);
        close(s->listen_fd);
        s->listen_fd = -1;
        if (s->is_unix) {
            unlink(s->path);
        }
    }
    free(s->path);
    free(s->addr_str);
    free(s->addrs);
    s->path = s->addr_str = NULL;
    s->addrs = NULL;
}

static bool socket_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    SocketChardev *s = to_socket(chr);
    Error *err = NULL;
    const char *path = opts_get(opts, "path");
    const char *host = opts_get(opts, "host");
    const char *port = opts_get(opts, "port");

    s->fd = s->listen_fd = -1;
    chardev_fd_reader_init(&s->reader, chr, socket_reader_eof);

    s->is_listen = opts_get_bool(opts, "server", false, &err);
    bool has_wait = opts_has(opts, "wait");
    bool wait = err ? true : opts_get_bool(opts, "wait", true, &err);
    bool telnet = err ? false : opts_get_bool(opts, "telnet", false, &err);
    bool delay = err ? true : opts_get_bool(opts, "delay", true, &err);
    s->nodelay = err ? false : opts_get_bool(opts, "nodelay", !delay, &err);
    bool ipv4 = err ? false : opts_get_bool(opts, "ipv4", false, &err);
    bool ipv6 = err ? false : opts_get_bool(opts, "ipv6", false, &err);
    bool has_reconnect = opts_has(opts, "reconnect") ||
                         opts_has(opts, "reconnect-ms");
    uint64_t rsec = err ? 0 : opts_get_number(opts, "reconnect", 0, &err);
    uint64_t rms = err ? 0 : opts_get_number(opts, "reconnect-ms", 0, &err);
    if (err) {
        error_propagate(errp, err);
        goto fail;
    }
    if (telnet) {
        error_setg(errp, "chardev: socket: telnet=on is not supported");
        goto fail;
    }
    if (path && (host || port)) {
        error_setg(errp, "chardev: socket: 'path' cannot be combined with "
                   "'host' or 'port'");
        goto fail;
    }
    if (!path && !host && !port) {
        error_setg(errp, "chardev: socket: no address given (path= for "
                   "unix, host= and port= for tcp)");
        goto fail;
    }
    if (has_wait && !s->is_listen) {
        error_setg(errp, "'wait' option is incompatible with socket in "
                   "client connect mode");
        goto fail;
    }
    if (has_reconnect && s->is_listen) {
        error_setg(errp, "'reconnect' option is incompatible with socket in "
                   "server listen mode");
        goto fail;
    }
    if (rsec > INT32_MAX || rms > INT64_MAX / 2) {
        error_setg(errp, "chardev: socket: reconnect period too large");
        goto fail;
    }
    s->reconnect_ms = rms ? (int64_t)rms : (int64_t)rsec * 1000;

    if (path) {
        if (!*path) {
            error_setg(errp, "chardev: socket: empty path");
            goto fail;
        }
        if (!socket_resolve_unix(s, path, errp)) {
            goto fail;
        }
    } else {
        int family = AF_UNSPEC;
        if (ipv4 && !ipv6) {
            family = AF_INET;
        } else if (ipv6 && !ipv4) {
            family = AF_INET6;
        }
        if (!socket_resolve_inet(s, host, port, family, errp)) {
            goto fail;
        }
    }

    s->disconnect_bh = bh_new(socket_disconnect_bh, s);
    s->reconnect_timer = timer_new_ms(EMU_CLOCK_REALTIME,
                                      socket_reconnect_timer_cb, s);
    socket_update_filename(s);

    if (s->is_listen) {
        if (!socket_listen(s, ipv6 && !ipv4, errp)) {
            goto fail;
        }
        socket_update_filename(s);
        if (wait) {
            struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };
            error_report("waiting for connection on: %s", chr->filename);
            while (s->fd < 0) {
                if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
                    error_setg_errno(errp, errno, "poll failed");
                    goto fail;
                }
                socket_accept(s);
            }
        } else {
            socket_set_listening(s, true);
        }
        return true;
    }
    if (s->reconnect_ms > 0) {
        s->connect_idx = 0;
        socket_connect_next(s);
        return true;
    }
    if (!socket_connect_sync(s, errp)) {
        goto fail;
    }
    return true;

fail:
    socket_free_state(s);
    return false;
}

static int socket_write(Chardev *chr, const uint8_t *buf, int len)
{
    SocketChardev *s = to_socket(chr);

    /* Like a serial line with nothing plugged in: output is dropped */
    if (s->fd < 0 || s->connecting || s->broken) {
        return len;
    }
    for (;;) {
        ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN) {
            return 0;
        }
        /* Peer gone; tell the front end later, not from inside its write */
        s->broken = true;
        bh_schedule(s->disconnect_bh);
        return len;
    }
}

static int socket_write_fd(Chardev *chr)
{
    SocketChardev *s = to_socket(chr);

    return s->connecting ? -1 : s->fd;
}

static void socket_update(Chardev *chr)
{
    chardev_fd_reader_update(&to_socket(chr)->reader);
}

static void socket_close(Chardev *chr)
{
    socket_free_state(to_socket(chr));
}

static const ChardevDriver socket_driver = {
    .name = "socket",
    .help = "unix (path=) or tcp (host=,port=) socket, server=on|off",
    .instance_size = sizeof(SocketChardev),
    .opts = socket_opts,
    .open = socket_open,
    .write = socket_write,
    .accept_input = socket_update,
    .update_read_handler = socket_update,
    .close = socket_close,
    .write_fd = socket_write_fd,
};

static void __attribute__((constructor)) socket_register(void)
{
    chardev_register_driver(&socket_driver);
}
