/*
 * The main loop: file-descriptor handlers, timers and bottom halves, run by
 * one thread which holds the global lock except while it waits in poll().
 */
#ifndef EMU_MAIN_LOOP_H
#define EMU_MAIN_LOOP_H

#include "emu/osdep.h"

typedef void IOHandler(void *opaque);

void main_loop_init(void);

/*
 * Watch fd: fd_read is called when readable, fd_write when writable (either
 * may be NULL; both NULL removes the handler).  Must be called with the
 * global lock held, or from the main loop thread.
 */
void emu_set_fd_handler(int fd, IOHandler *fd_read, IOHandler *fd_write,
                        void *opaque);

/*
 * Run one iteration: wait for fds/timers/BHs (at most timeout_ms; -1 means
 * wait as long as needed; 0 means don't block), dispatch, return.
 */
void main_loop_wait(int64_t timeout_ms);

/* Wake the main loop from another thread (or a signal handler). */
void main_loop_notify(void);

/* Bottom halves: callbacks run by the main loop as soon as possible. */
typedef void EmuBHFunc(void *opaque);
typedef struct EmuBH EmuBH;
EmuBH *bh_new(EmuBHFunc *cb, void *opaque);
void bh_schedule(EmuBH *bh);   /* thread-safe */
void bh_cancel(EmuBH *bh);
void bh_delete(EmuBH *bh);     /* cancels and frees */
/* Run scheduled BHs now; returns true if any ran. */
bool bh_poll(void);

/* Work to run once in the main loop (thread-safe); frees itself. */
void main_loop_call_soon(EmuBHFunc *cb, void *opaque);

/* Shutdown hooks run at exit in reverse order of registration. */
void emu_atexit(void (*fn)(void *), void *opaque);
void emu_run_atexit(void);

#endif
