/* Threads, locks and the big (global) lock. */
#ifndef EMU_THREAD_H
#define EMU_THREAD_H

#include "emu/osdep.h"
#include <pthread.h>

typedef struct EmuMutex { pthread_mutex_t m; } EmuMutex;
typedef struct EmuCond { pthread_cond_t c; } EmuCond;
typedef struct EmuThread { pthread_t t; } EmuThread;

void emu_mutex_init(EmuMutex *m);
void emu_mutex_destroy(EmuMutex *m);
void emu_mutex_lock(EmuMutex *m);
void emu_mutex_unlock(EmuMutex *m);
void emu_cond_init(EmuCond *c);
void emu_cond_destroy(EmuCond *c);
void emu_cond_wait(EmuCond *c, EmuMutex *m);
/* returns false on timeout */
bool emu_cond_timedwait(EmuCond *c, EmuMutex *m, int64_t timeout_ms);
void emu_cond_signal(EmuCond *c);
void emu_cond_broadcast(EmuCond *c);
void emu_thread_create(EmuThread *t, const char *name,
                       void *(*fn)(void *), void *arg);
void *emu_thread_join(EmuThread *t);
bool emu_thread_is_self(EmuThread *t);

/*
 * The global lock ("big lock"): guards device state.  The main loop holds
 * it except while it sleeps in poll(); vCPU threads take it on exits.
 */
void bql_init(void);
void bql_lock(void);
void bql_unlock(void);
bool bql_locked(void);

#endif
