/* Unit tests for the main loop: fd handlers, timers, clocks, BHs. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "emu/timer.h"
#include "emu/thread.h"
#include <setjmp.h>
#include <cmocka.h>

static int counter;
static int order[8];
static int norder;

static void count_cb(void *opaque)
{
    counter++;
    if (opaque && norder < 8) {
        order[norder++] = *(int *)opaque;
    }
}

static int setup(void **state)
{
    main_loop_init();
    counter = 0;
    norder = 0;
    return 0;
}

/* Spin the loop until cond or about 2 s pass */
#define RUN_UNTIL(cond) do {                                            \
        int64_t end_ = get_clock_monotonic() + 2 * NANOSECONDS_PER_SECOND; \
        while (!(cond) && get_clock_monotonic() < end_) {               \
            main_loop_wait(50);                                         \
        }                                                               \
    } while (0)

static void test_realtime_timer_order(void **state)
{
    int a = 1, b = 2, c = 3;
    EmuTimer *ta = timer_new_ms(EMU_CLOCK_REALTIME, count_cb, &a);
    EmuTimer *tb = timer_new_ms(EMU_CLOCK_REALTIME, count_cb, &b);
    EmuTimer *tc = timer_new_ms(EMU_CLOCK_REALTIME, count_cb, &c);
    int64_t now = clock_get_ms(EMU_CLOCK_REALTIME);
    timer_mod(tb, now + 30);
    timer_mod(ta, now + 10);
    timer_mod(tc, now + 20);
    assert_true(timer_pending(ta));
    RUN_UNTIL(counter == 3);
    assert_int_equal(counter, 3);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 3);
    assert_int_equal(order[2], 2);
    assert_false(timer_pending(ta));
    assert_true(clock_get_ms(EMU_CLOCK_REALTIME) >= now + 30);
    timer_free(ta);
    timer_free(tb);
    timer_free(tc);
}

static void test_timer_del(void **state)
{
    EmuTimer *t = timer_new_ms(EMU_CLOCK_REALTIME, count_cb, NULL);
    timer_mod(t, clock_get_ms(EMU_CLOCK_REALTIME) + 5);
    timer_del(t);
    assert_false(timer_pending(t));
    int64_t end = get_clock_monotonic() + 30 * SCALE_MS;
    while (get_clock_monotonic() < end) {
        main_loop_wait(10);
    }
    assert_int_equal(counter, 0);
    timer_free(t);
}

static void test_virtual_clock_pauses(void **state)
{
    clock_virtual_stop();
    int64_t v0 = clock_get_ns(EMU_CLOCK_VIRTUAL);
    usleep(20000);
    assert_int_equal(clock_get_ns(EMU_CLOCK_VIRTUAL), v0);

    /* a virtual timer does not fire while stopped */
    EmuTimer *t = timer_new_ns(EMU_CLOCK_VIRTUAL, count_cb, NULL);
    timer_mod(t, v0 + 5 * SCALE_MS);
    int64_t end = get_clock_monotonic() + 30 * SCALE_MS;
    while (get_clock_monotonic() < end) {
        main_loop_wait(10);
    }
    assert_int_equal(counter, 0);

    clock_virtual_start();
    int64_t v1 = clock_get_ns(EMU_CLOCK_VIRTUAL);
    assert_true(v1 >= v0 && v1 < v0 + 10 * SCALE_MS);  /* no jump */
    RUN_UNTIL(counter == 1);
    assert_int_equal(counter, 1);
    assert_true(clock_get_ns(EMU_CLOCK_VIRTUAL) >= v0 + 5 * SCALE_MS);
    clock_virtual_stop();
    timer_free(t);
}

static void test_virtual_manual(void **state)
{
    int a = 1, b = 2;
    clock_virtual_set_manual(true);
    int64_t v0 = clock_get_ns(EMU_CLOCK_VIRTUAL);
    EmuTimer *ta = timer_new_ns(EMU_CLOCK_VIRTUAL, count_cb, &a);
    EmuTimer *tb = timer_new_ns(EMU_CLOCK_VIRTUAL, count_cb, &b);
    timer_mod(ta, v0 + 1000);
    timer_mod(tb, v0 + 500);
    main_loop_wait(0);
    assert_int_equal(counter, 0);
    assert_int_equal(clock_virtual_step(499), v0 + 499);
    assert_int_equal(counter, 0);
    assert_int_equal(clock_virtual_step(1), v0 + 500);
    assert_int_equal(counter, 1);
    assert_int_equal(clock_virtual_set(v0 + 5000), v0 + 5000);
    assert_int_equal(counter, 2);
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 1);
    clock_virtual_set_manual(false);
    timer_free(ta);
    timer_free(tb);
}

static void test_host_clock(void **state)
{
    int64_t h = clock_get_ns(EMU_CLOCK_HOST);
    /* wall clock: after 2020 */
    assert_true(h > 1577836800LL * NANOSECONDS_PER_SECOND);
}

static int pipe_fds[2];
static char got[16];
static int got_len;

static void pipe_read_cb(void *opaque)
{
    ssize_t n = read(pipe_fds[0], got + got_len, sizeof(got) - got_len);
    if (n > 0) {
        got_len += n;
    }
}

static int writable_calls;
static void pipe_write_cb(void *opaque)
{
    writable_calls++;
    emu_set_fd_handler(pipe_fds[1], NULL, NULL, NULL);
}

static void test_fd_handlers(void **state)
{
    assert_int_equal(pipe(pipe_fds), 0);
    emu_set_fd_handler(pipe_fds[0], pipe_read_cb, NULL, NULL);
    emu_set_fd_handler(pipe_fds[1], NULL, pipe_write_cb, NULL);
    assert_int_equal(write(pipe_fds[1], "hello", 5), 5);
    RUN_UNTIL(got_len == 5 && writable_calls > 0);
    assert_int_equal(got_len, 5);
    assert_memory_equal(got, "hello", 5);
    /* write handler removed itself: called exactly once */
    main_loop_wait(0);
    assert_int_equal(writable_calls, 1);
    emu_set_fd_handler(pipe_fds[0], NULL, NULL, NULL);
    assert_int_equal(write(pipe_fds[1], "x", 1), 1);
    main_loop_wait(20);
    assert_int_equal(got_len, 5);   /* handler gone */
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static void test_bh(void **state)
{
    EmuBH *bh = bh_new(count_cb, NULL);
    bh_schedule(bh);
    bh_schedule(bh);            /* once until it runs */
    main_loop_wait(1000);       /* must not block: BH pending */
    assert_int_equal(counter, 1);
    main_loop_wait(0);
    assert_int_equal(counter, 1);
    bh_schedule(bh);
    bh_cancel(bh);
    main_loop_wait(0);
    assert_int_equal(counter, 1);
    bh_delete(bh);
    main_loop_call_soon(count_cb, NULL);
    main_loop_wait(0);
    assert_int_equal(counter, 2);
}

static EmuBH *thread_bh;
static void *thread_fn(void *arg)
{
    usleep(20000);
    bh_schedule(thread_bh);
    return NULL;
}

static void test_wakeup_from_thread(void **state)
{
    thread_bh = bh_new(count_cb, NULL);
    EmuThread t;
    emu_thread_create(&t, "waker", thread_fn, NULL);
    int64_t start = get_clock_monotonic();
    main_loop_wait(5000);   /* the BH from the thread wakes us */
    if (counter == 0) {
        main_loop_wait(5000);
    }
    int64_t took = get_clock_monotonic() - start;
    emu_thread_join(&t);
    assert_int_equal(counter, 1);
    assert_true(took < 2 * NANOSECONDS_PER_SECOND);
    assert_true(bql_locked());   /* the loop gives the lock back */
    bh_delete(thread_bh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_realtime_timer_order, setup),
        cmocka_unit_test_setup(test_timer_del, setup),
        cmocka_unit_test_setup(test_virtual_clock_pauses, setup),
        cmocka_unit_test_setup(test_virtual_manual, setup),
        cmocka_unit_test_setup(test_host_clock, setup),
        cmocka_unit_test_setup(test_fd_handlers, setup),
        cmocka_unit_test_setup(test_bh, setup),
        cmocka_unit_test_setup(test_wakeup_from_thread, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
