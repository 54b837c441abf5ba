/*
 * Clocks and timers.  Each clock keeps its active timers in a list sorted
 * by deadline; the main loop sleeps until the earliest one.
 */
#include "emu/timer.h"
#include "emu/main-loop.h"
#include "emu/thread.h"
#include <time.h>

struct EmuTimer {
    EmuClockType type;
    int scale;
    EmuTimerCB *cb;
    void *opaque;
    int64_t expire_ns;      /* -1: not pending */
    EmuTimer *next;
};

typedef struct TimerList {
    EmuTimer *head;
} TimerList;

static TimerList timer_lists[EMU_CLOCK_MAX];

/* Virtual clock state */
static bool virt_running;
static bool virt_manual;
static int64_t virt_offset;      /* virtual = monotonic + offset, running */
static int64_t virt_frozen;      /* value while stopped */
static int64_t virt_manual_ns;   /* value in manual (qtest) mode */

int64_t get_clock_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

int64_t get_clock_realtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

static int64_t virtual_now(void)
{
    if (virt_manual) {
        return virt_manual_ns;
    }
    if (virt_running) {
        return get_clock_monotonic() + virt_offset;
    }
    return virt_frozen;
}

int64_t clock_get_ns(EmuClockType type)
{
    switch (type) {
    case EMU_CLOCK_REALTIME:
        return get_clock_monotonic();
    case EMU_CLOCK_HOST:
        return get_clock_realtime();
    case EMU_CLOCK_VIRTUAL:
        return virtual_now();
    default:
        abort();
    }
}

void timers_init(void)
{
}

EmuTimer *timer_new(EmuClockType type, int scale, EmuTimerCB *cb,
                    void *opaque)
{
    assert(type < EMU_CLOCK_MAX && scale > 0);
    EmuTimer *t = emu_malloc0(sizeof(*t));
    t->type = type;
    t->scale = scale;
    t->cb = cb;
    t->opaque = opaque;
    t->expire_ns = -1;
    return t;
}

static void timer_unlink(EmuTimer *t)
{
    EmuTimer **pp = &timer_lists[t->type].head;
    while (*pp) {
        if (*pp == t) {
            *pp = t->next;
            t->next = NULL;
            break;
        }
        pp = &(*pp)->next;
    }
    t->expire_ns = -1;
}

void timer_del(EmuTimer *t)
{
    if (t && t->expire_ns >= 0) {
        timer_unlink(t);
    }
}

void timer_free(EmuTimer *t)
{
    if (t) {
        timer_del(t);
        free(t);
    }
}

bool timer_pending(EmuTimer *t)
{
    return t->expire_ns >= 0;
}

int64_t timer_expire_time_ns(EmuTimer *t)
{
    return t->expire_ns;
}

static void timer_mod_ns(EmuTimer *t, int64_t ns)
{
    if (ns < 0) {
        ns = 0;
    }
    timer_del(t);
    t->expire_ns = ns;
    EmuTimer **pp = &timer_lists[t->type].head;
    while (*pp && (*pp)->expire_ns <= ns) {
        pp = &(*pp)->next;
    }
    t->next = *pp;
    *pp = t;
    if (pp == &timer_lists[t->type].head) {
        /* new earliest deadline: the main loop must recompute its sleep */
        main_loop_notify();
    }
}

static int64_t scaled(EmuTimer *t, int64_t expire_time)
{
    if (expire_time > INT64_MAX / t->scale) {
        return INT64_MAX;
    }
    return expire_time * t->scale;
}

void timer_mod(EmuTimer *t, int64_t expire_time)
{
    timer_mod_ns(t, scaled(t, expire_time));
}

void timer_mod_anticipate(EmuTimer *t, int64_t expire_time)
{
    int64_t ns = scaled(t, expire_time);
    if (t->expire_ns < 0 || ns < t->expire_ns) {
        timer_mod_ns(t, ns);
    }
}

bool timers_run_expired(EmuClockType type)
{
    if (type == EMU_CLOCK_VIRTUAL && !virt_running && !virt_manual) {
        return false;
    }
    bool ran = false;
    int64_t now = clock_get_ns(type);
    TimerList *tl = &timer_lists[type];
    while (tl->head && tl->head->expire_ns <= now) {
        EmuTimer *t = tl->head;
        tl->head = t->next;
        t->next = NULL;
        t->expire_ns = -1;
        t->cb(t->opaque);
        ran = true;
    }
    return ran;
}

int64_t timers_deadline_ns(EmuClockType type)
{
    TimerList *tl = &timer_lists[type];
    if (!tl->head) {
        return -1;
    }
    if (type == EMU_CLOCK_VIRTUAL && (!virt_running || virt_manual)) {
        return -1;     /* virtual time does not advance by itself */
    }
    int64_t d = tl->head->expire_ns - clock_get_ns(type);
    return d < 0 ? 0 : d;
}

int64_t timers_deadline_all_ns(void)
{
    int64_t best = -1;
    for (int i = 0; i < EMU_CLOCK_MAX; i++) {
        int64_t d = timers_deadline_ns(i);
        if (d >= 0 && (best < 0 || d < best)) {
            best = d;
        }
    }
    return best;
}

void clock_virtual_start(void)
{
    if (virt_running) {
        return;
    }
    virt_offset = virt_frozen - get_clock_monotonic();
    virt_running = true;
    main_loop_notify();
}

void clock_virtual_stop(void)
{
    if (!virt_running) {
        return;
    }
    virt_frozen = get_clock_monotonic() + virt_offset;
    virt_running = false;
}

bool clock_virtual_running(void)
{
    return virt_running;
}

void clock_virtual_set_manual(bool manual)
{
    if (manual && !virt_manual) {
        virt_manual_ns = virtual_now();
    } else if (!manual && virt_manual) {
        virt_frozen = virt_manual_ns;
        virt_offset = virt_manual_ns - get_clock_monotonic();
    }
    virt_manual = manual;
}

bool clock_virtual_is_manual(void)
{
    return virt_manual;
}

int64_t clock_virtual_next_deadline(void)
{
    TimerList *tl = &timer_lists[EMU_CLOCK_VIRTUAL];
    return tl->head ? tl->head->expire_ns : -1;
}

int64_t clock_virtual_set(int64_t ns)
{
    assert(virt_manual);
    /* Advance in steps so every timer runs at its own deadline. */
    while (virt_manual_ns < ns) {
        int64_t next = clock_virtual_next_deadline();
        if (next < 0 || next > ns) {
            virt_manual_ns = ns;
        } else if (next > virt_manual_ns) {
            virt_manual_ns = next;
        }
        timers_run_expired(EMU_CLOCK_VIRTUAL);
        if (next < 0 || next > ns) {
            break;
        }
    }
    timers_run_expired(EMU_CLOCK_VIRTUAL);
    return virt_manual_ns;
}

int64_t clock_virtual_step(int64_t ns)
{
    assert(virt_manual);
    if (ns < 0) {
        ns = 0;
    }
    int64_t target = virt_manual_ns > INT64_MAX - ns ? INT64_MAX
                                                     : virt_manual_ns + ns;
    return clock_virtual_set(target);
}
