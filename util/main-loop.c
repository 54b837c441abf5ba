/*
 * The main loop: poll() over file-descriptor handlers and a wake-up
 * eventfd, then timers, then bottom halves.  The thread running it holds
 * the global lock except while it sleeps.
 */
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "emu/thread.h"
#include "emu/error.h"
#include <poll.h>
#include <sys/eventfd.h>

typedef struct IOHandlerRecord {
    int fd;
    IOHandler *fd_read;
    IOHandler *fd_write;
    void *opaque;
    bool deleted;
    int pollfd_idx;         /* index in this iteration's poll array, or -1 */
} IOHandlerRecord;

static IOHandlerRecord *handlers;
static int nr_handlers, cap_handlers;
static int wake_fd = -1;
static bool loop_initialised;

struct EmuBH {
    EmuBHFunc *cb;
    void *opaque;
    bool scheduled;
    bool deleted;
    bool oneshot;           /* main_loop_call_soon: free after running */
    EmuBH *next;
};

static EmuMutex bh_lock;
static EmuBH *bh_list;
static bool bh_any_scheduled;

void main_loop_init(void)
{
    if (loop_initialised) {
        return;
    }
    loop_initialised = true;
    emu_mutex_init(&bh_lock);
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0) {
        fprintf(stderr, "emu: eventfd: %s\n", strerror(errno));
        exit(1);
    }
    timers_init();
    if (!bql_locked()) {
        bql_lock();
    }
}

void main_loop_notify(void)
{
    if (wake_fd >= 0) {
        uint64_t one = 1;
        ssize_t r = write(wake_fd, &one, sizeof(one));
        (void)r;    /* EAGAIN: counter saturated, loop wakes anyway */
    }
}

static void drain_wake_fd(void)
{
    uint64_t v;
    while (read(wake_fd, &v, sizeof(v)) > 0) {
    }
}

void emu_set_fd_handler(int fd, IOHandler *fd_read, IOHandler *fd_write,
                        void *opaque)
{
    for (int i = 0; i < nr_handlers; i++) {
        IOHandlerRecord *h = &handlers[i];
        if (h->fd == fd && !h->deleted) {
            if (!fd_read && !fd_write) {
                h->deleted = true;
            } else {
                h->fd_read = fd_read;
                h->fd_write = fd_write;
                h->opaque = opaque;
            }
            main_loop_notify();
            return;
        }
    }
    if (!fd_read && !fd_write) {
        return;
    }
    if (nr_handlers == cap_handlers) {
        cap_handlers = cap_handlers ? cap_handlers * 2 : 16;
        handlers = emu_realloc(handlers, cap_handlers * sizeof(*handlers));
    }
    handlers[nr_handlers++] = (IOHandlerRecord) {
        .fd = fd, .fd_read = fd_read, .fd_write = fd_write,
        .opaque = opaque, .pollfd_idx = -1,
    };
    main_loop_notify();
}

static void compact_handlers(void)
{
    int j = 0;
    for (int i = 0; i < nr_handlers; i++) {
        if (!handlers[i].deleted) {
            handlers[j++] = handlers[i];
        }
    }
    nr_handlers = j;
}

/* ---- Bottom halves ---- */

EmuBH *bh_new(EmuBHFunc *cb, void *opaque)
{
    EmuBH *bh = emu_malloc0(sizeof(*bh));
    bh->cb = cb;
    bh->opaque = opaque;
    emu_mutex_lock(&bh_lock);
    bh->next = bh_list;
    bh_list = bh;
    emu_mutex_unlock(&bh_lock);
    return bh;
}

void bh_schedule(EmuBH *bh)
{
    emu_mutex_lock(&bh_lock);
    bool was = bh->scheduled;
    bh->scheduled = true;
    bh_any_scheduled = true;
    emu_mutex_unlock(&bh_lock);
    if (!was) {
        main_loop_notify();
    }
}

void bh_cancel(EmuBH *bh)
{
    emu_mutex_lock(&bh_lock);
    bh->scheduled = false;
    emu_mutex_unlock(&bh_lock);
}

void bh_delete(EmuBH *bh)
{
    if (!bh) {
        return;
    }
    emu_mutex_lock(&bh_lock);
    bh->scheduled = false;
    bh->deleted = true;     /* freed by bh_poll */
    bh_any_scheduled = true;
    emu_mutex_unlock(&bh_lock);
}

void main_loop_call_soon(EmuBHFunc *cb, void *opaque)
{
    EmuBH *bh = bh_new(cb, opaque);
    bh->oneshot = true;
    bh_schedule(bh);
}

bool bh_poll(void)
{
    bool ran = false;
    emu_mutex_lock(&bh_lock);
    if (!bh_any_scheduled) {
        emu_mutex_unlock(&bh_lock);
        return false;
    }
    bh_any_scheduled = false;
    /*
     * Walk the list; callbacks may schedule or create BHs (new ones go to
     * the head and are seen next time).  The lock is dropped around each
     * callback.
     */
    for (EmuBH *bh = bh_list; bh; bh = bh->next) {
        if (bh->scheduled && !bh->deleted) {
            bh->scheduled = false;
            if (bh->oneshot) {
                bh->deleted = true;
            }
            emu_mutex_unlock(&bh_lock);
            bh->cb(bh->opaque);
            ran = true;
            emu_mutex_lock(&bh_lock);
        }
    }
    /* free deleted BHs */
    EmuBH **pp = &bh_list;
    while (*pp) {
        EmuBH *bh = *pp;
        if (bh->deleted) {
            *pp = bh->next;
            free(bh);
        } else {
            pp = &bh->next;
        }
    }
    emu_mutex_unlock(&bh_lock);
    return ran;
}

static bool bh_pending(void)
{
    emu_mutex_lock(&bh_lock);
    bool p = bh_any_scheduled;
    emu_mutex_unlock(&bh_lock);
    return p;
}

/* ---- The loop ---- */

void main_loop_wait(int64_t timeout_ms)
{
    assert(loop_initialised);
    int64_t timeout_ns = timeout_ms < 0 ? -1 : timeout_ms * SCALE_MS;
    int64_t deadline = timers_deadline_all_ns();
    if (deadline >= 0 && (timeout_ns < 0 || deadline < timeout_ns)) {
        timeout_ns = deadline;
    }
    if (bh_pending()) {
        timeout_ns = 0;
    }

    int n = nr_handlers + 1;
    struct pollfd stackfds[64];
    struct pollfd *fds = n <= 64 ? stackfds : emu_new(struct pollfd, n);
    int nfds = 0;
    fds[nfds++] = (struct pollfd) { .fd = wake_fd, .events = POLLIN };
    for (int i = 0; i < nr_handlers; i++) {
        IOHandlerRecord *h = &handlers[i];
        h->pollfd_idx = -1;
        if (h->deleted) {
            continue;
        }
        short ev = 0;
        if (h->fd_read) {
            ev |= POLLIN;
        }
        if (h->fd_write) {
            ev |= POLLOUT;
        }
        h->pollfd_idx = nfds;
        fds[nfds++] = (struct pollfd) { .fd = h->fd, .events = ev };
    }

    /* Round up so that we do not wake just before a deadline */
    int poll_ms = timeout_ns < 0 ? -1
                  : (int)MIN((timeout_ns + SCALE_MS - 1) / SCALE_MS, INT32_MAX);

    bool locked = bql_locked();
    if (locked) {
        bql_unlock();
    }
    int ret = poll(fds, nfds, poll_ms);
    if (locked) {
        bql_lock();
    }

    if (ret > 0) {
        if (fds[0].revents) {
            drain_wake_fd();
        }
        /* handlers may be added during dispatch: only look at old ones */
        int count = nr_handlers;
        for (int i = 0; i < count; i++) {
            IOHandlerRecord *h = &handlers[i];
            if (h->deleted || h->pollfd_idx < 0) {
                continue;
            }
            short rev = fds[h->pollfd_idx].revents;
            if (!rev) {
                continue;
            }
            if (h->fd_read && (rev & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
                h->fd_read(h->opaque);
                h = &handlers[i];   /* array may have moved */
            }
            if (!h->deleted && h->fd_write &&
                (rev & (POLLOUT | POLLHUP | POLLERR))) {
                h->fd_write(h->opaque);
            }
        }
        compact_handlers();
    }
    if (fds != stackfds) {
        free(fds);
    }

    for (int c = 0; c < EMU_CLOCK_MAX; c++) {
        timers_run_expired(c);
    }
    bh_poll();
}

/* ---- Exit hooks ---- */

typedef struct AtExit {
    void (*fn)(void *);
    void *opaque;
    struct AtExit *next;
} AtExit;
static AtExit *atexit_list;

void emu_atexit(void (*fn)(void *), void *opaque)
{
    AtExit *a = emu_malloc0(sizeof(*a));
    a->fn = fn;
    a->opaque = opaque;
    a->next = atexit_list;
    atexit_list = a;
}

void emu_run_atexit(void)
{
    while (atexit_list) {
        AtExit *a = atexit_list;
        atexit_list = a->next;
        a->fn(a->opaque);
        free(a);
    }
}
