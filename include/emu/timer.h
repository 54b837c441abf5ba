/*
 * Clocks and timers.
 *
 *  EMU_CLOCK_REALTIME: monotonic, runs always (for UI, monitor timeouts).
 *  EMU_CLOCK_HOST:     wall-clock time (follows host time changes; for RTCs).
 *  EMU_CLOCK_VIRTUAL:  guest time; stops while the VM is not running.  Under
 *                      qtest it only moves on clock_step/clock_set.
 * All values in nanoseconds.
 */
#ifndef EMU_TIMER_H
#define EMU_TIMER_H

#include "emu/osdep.h"

typedef enum EmuClockType {
    EMU_CLOCK_REALTIME = 0,
    EMU_CLOCK_HOST,
    EMU_CLOCK_VIRTUAL,
    EMU_CLOCK_MAX
} EmuClockType;

#define NANOSECONDS_PER_SECOND 1000000000LL
#define SCALE_MS 1000000
#define SCALE_US 1000
#define SCALE_NS 1

typedef void EmuTimerCB(void *opaque);
typedef struct EmuTimer EmuTimer;

int64_t clock_get_ns(EmuClockType type);
static inline int64_t clock_get_ms(EmuClockType type)
{
    return clock_get_ns(type) / SCALE_MS;
}
/* Raw host clocks */
int64_t get_clock_realtime(void);   /* gettimeofday-like, ns */
int64_t get_clock_monotonic(void);  /* ns */

EmuTimer *timer_new(EmuClockType type, int scale, EmuTimerCB *cb, void *opaque);
static inline EmuTimer *timer_new_ns(EmuClockType t, EmuTimerCB *cb, void *o)
{
    return timer_new(t, SCALE_NS, cb, o);
}
static inline EmuTimer *timer_new_ms(EmuClockType t, EmuTimerCB *cb, void *o)
{
    return timer_new(t, SCALE_MS, cb, o);
}
/* expire_time is in the timer's scale, on the timer's clock */
void timer_mod(EmuTimer *t, int64_t expire_time);
/* like timer_mod but only if earlier than the current deadline */
void timer_mod_anticipate(EmuTimer *t, int64_t expire_time);
void timer_del(EmuTimer *t);
void timer_free(EmuTimer *t);        /* deletes then frees; NULL is fine */
bool timer_pending(EmuTimer *t);
int64_t timer_expire_time_ns(EmuTimer *t);  /* -1 when not pending */

/*
 * Run expired timers of one clock; returns true if any ran.  Called by
 * the main loop (and by qtest's clock_step).
 */
bool timers_run_expired(EmuClockType type);
/* ns until the next deadline of the clock, -1 if none. */
int64_t timers_deadline_ns(EmuClockType type);
/* ns until the first deadline over all running clocks, -1 if none. */
int64_t timers_deadline_all_ns(void);

/* Virtual clock control */
void clock_virtual_start(void);     /* VM starts running */
void clock_virtual_stop(void);      /* VM paused: virtual time freezes */
bool clock_virtual_running(void);
/*
 * qtest mode: the virtual clock no longer follows the host; it is moved only
 * by clock_virtual_step()/clock_virtual_set(), which run the timers due.
 */
void clock_virtual_set_manual(bool manual);
bool clock_virtual_is_manual(void);
int64_t clock_virtual_step(int64_t ns);     /* returns the new time */
int64_t clock_virtual_set(int64_t ns);      /* returns the new time */
/* next virtual deadline in absolute virtual ns, or -1 */
int64_t clock_virtual_next_deadline(void);

/* Called by timer code to make the main loop recompute its timeout. */
void timers_init(void);

#endif
