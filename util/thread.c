/* Threads, mutexes, condition variables and the global lock. */
#include "emu/thread.h"
#include "emu/error.h"
#include <time.h>

static void check(int err, const char *what)
{
    if (err) {
        fprintf(stderr, "emu: %s: %s\n", what, strerror(err));
        abort();
    }
}

void emu_mutex_init(EmuMutex *m)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    check(pthread_mutex_init(&m->m, &a), "pthread_mutex_init");
    pthread_mutexattr_destroy(&a);
}

void emu_mutex_destroy(EmuMutex *m)
{
    pthread_mutex_destroy(&m->m);
}

void emu_mutex_lock(EmuMutex *m)
{
    check(pthread_mutex_lock(&m->m), "pthread_mutex_lock");
}

void emu_mutex_unlock(EmuMutex *m)
{
    check(pthread_mutex_unlock(&m->m), "pthread_mutex_unlock");
}

void emu_cond_init(EmuCond *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    check(pthread_cond_init(&c->c, &a), "pthread_cond_init");
    pthread_condattr_destroy(&a);
}

void emu_cond_destroy(EmuCond *c)
{
    pthread_cond_destroy(&c->c);
}

void emu_cond_wait(EmuCond *c, EmuMutex *m)
{
    check(pthread_cond_wait(&c->c, &m->m), "pthread_cond_wait");
}

bool emu_cond_timedwait(EmuCond *c, EmuMutex *m, int64_t timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    int err = pthread_cond_timedwait(&c->c, &m->m, &ts);
    if (err == ETIMEDOUT) {
        return false;
    }
    check(err, "pthread_cond_timedwait");
    return true;
}

void emu_cond_signal(EmuCond *c)
{
    pthread_cond_signal(&c->c);
}

void emu_cond_broadcast(EmuCond *c)
{
    pthread_cond_broadcast(&c->c);
}

void emu_thread_create(EmuThread *t, const char *name,
                       void *(*fn)(void *), void *arg)
{
    check(pthread_create(&t->t, NULL, fn, arg), "pthread_create");
    if (name) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%s", name);
        pthread_setname_np(t->t, buf);
    }
}

void *emu_thread_join(EmuThread *t)
{
    void *ret;
    check(pthread_join(t->t, &ret), "pthread_join");
    return ret;
}

bool emu_thread_is_self(EmuThread *t)
{
    return pthread_equal(t->t, pthread_self());
}

/* ---- The global lock ---- */

static pthread_mutex_t bql = PTHREAD_MUTEX_INITIALIZER;
static __thread bool bql_held;

void bql_init(void)
{
}

void bql_lock(void)
{
    assert(!bql_held);
    check(pthread_mutex_lock(&bql), "bql_lock");
    bql_held = true;
}

void bql_unlock(void)
{
    assert(bql_held);
    bql_held = false;
    check(pthread_mutex_unlock(&bql), "bql_unlock");
}

bool bql_locked(void)
{
    return bql_held;
}
