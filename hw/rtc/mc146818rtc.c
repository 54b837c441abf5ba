/* Motorola MC146818 real-time clock and CMOS RAM ("mc146818rtc"). */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "hw/rtc/mc146818rtc.h"
#include "migration/vmstate.h"
#include "system/memory.h"
#include <time.h>

/*
 * Time keeping: while the clock runs, the guest's time in ns since the
 * epoch (UTC) is clock_get_ns(s->clock) + offset_ns, and the time
 * registers are computed from it when read.  While the SET bit is on or
 * the divider chain is held in reset, the registers themselves hold the
 * time; when the clock starts again, offset_ns is recomputed from them.
 *
 * The interrupt flags (PF, AF, UF) are brought up to date lazily: on a
 * register C read, on the timer (armed only for enabled interrupts), and
 * before any change of the clock's configuration.  last_update_sec and
 * last_period are the update cycle and periodic tick last accounted for.
 */

#define RTC_SECONDS         0x00
#define RTC_SECONDS_ALARM   0x01
#define RTC_MINUTES         0x02
#define RTC_MINUTES_ALARM   0x03
#define RTC_HOURS           0x04
#define RTC_HOURS_ALARM     0x05
#define RTC_DAY_OF_WEEK     0x06
#define RTC_DAY_OF_MONTH    0x07
#define RTC_MONTH           0x08
#define RTC_YEAR            0x09
#define RTC_REG_A           0x0a
#define RTC_REG_B           0x0b
#define RTC_REG_C           0x0c
#define RTC_REG_D           0x0d

#define REG_A_UIP           0x80
#define REG_A_DV_MASK       0x70
#define REG_A_RS_MASK       0x0f

#define REG_B_SET           0x80
#define REG_B_PIE           0x40
#define REG_B_AIE           0x20
#define REG_B_UIE           0x10
#define REG_B_SQWE          0x08
#define REG_B_DM            0x04    /* 1: binary, 0: BCD */
#define REG_B_24H           0x02
#define REG_B_DSE           0x01

#define REG_C_IRQF          0x80
#define REG_C_PF            0x40
#define REG_C_AF            0x20
#define REG_C_UF            0x10
#define REG_C_MASK          0x70

#define REG_D_VRT           0x80

#define RTC_FREQ            32768
/* UIP is high for the 244 us (8 time-base ticks) before each update */
#define RTC_UIP_HOLD_NS     244141
/* The guest's time is kept within what int64 nanoseconds can hold */
#define RTC_MAX_SEC         (INT64_MAX / NANOSECONDS_PER_SECOND - 1)
#define RTC_MIN_SEC         (-RTC_MAX_SEC)
/* One alarm match at least every day, so no wider search is needed */
#define RTC_ALARM_SEARCH    86400

typedef struct RTCState {
    ISADevice parent;
    MemoryRegion io;
    bool io_mapped;
    IRQLine irq;
    EmuTimer *timer;
    EmuClockType clock;

    /* properties */
    uint32_t iobase;
    uint32_t isairq;
    int32_t base_year;

    /* guest-visible state */
    uint8_t cmos_data[RTC_CMOS_SIZE];
    uint8_t cmos_index;
    uint8_t nmi_masked;
    int64_t offset_ns;
    int64_t last_update_sec;
    int64_t last_period;

    /*
     * Next second that matches the alarm (from a search of one day),
     * cached so that the timer is not re-armed by a day-long search on
     * every register C read; -1: the alarm can never match.
     */
    bool alarm_cache_valid;
    int64_t alarm_cache_next;
} RTCState;

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if ((a % b) != 0 && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static bool rtc_divider_running(RTCState *s)
{
    /* 000, 001, 010 run the chain; 11x hold it in reset */
    return (s->cmos_data[RTC_REG_A] & REG_A_DV_MASK) <= 0x20;
}

static bool rtc_time_running(RTCState *s)
{
    return rtc_divider_running(s) && !(s->cmos_data[RTC_REG_B] & REG_B_SET);
}

static int64_t rtc_clock_now(RTCState *s)
{
    return clock_get_ns(s->clock);
}

static int64_t rtc_guest_ns(RTCState *s, int64_t now)
{
    return now + s->offset_ns;
}

/* Periodic rate in 32.768 kHz ticks, 0 when off */
static int64_t rtc_period_ticks(RTCState *s)
{
    int rs = s->cmos_data[RTC_REG_A] & REG_A_RS_MASK;

    if (rs == 0) {
        return 0;
    }
    if (rs <= 2) {
        rs += 7;    /* with a 32.768 kHz base, 1 and 2 mean 256 and 128 Hz */
    }
    return 1 << (rs - 1);
}

static int64_t rtc_period_index(RTCState *s, int64_t now)
{
    __int128 ticks = (__int128)rtc_guest_ns(s, now) * RTC_FREQ;
    int64_t period = rtc_period_ticks(s);
    __int128 t;

    /* floor, also for times before the epoch */
    t = ticks / NANOSECONDS_PER_SECOND;
    if (ticks < 0 && ticks % NANOSECONDS_PER_SECOND) {
        t--;
    }
    return period ? (int64_t)(t / period - (t < 0 && t % period ? 1 : 0))
                  : 0;
}

/* ---- register encodings ---- */

static int rtc_to_reg(RTCState *s, int v)
{
    if (s->cmos_data[RTC_REG_B] & REG_B_DM) {
        return v;
    }
    return ((v / 10) << 4) | (v % 10);
}

static int rtc_from_reg(RTCState *s, int v)
{
    if (s->cmos_data[RTC_REG_B] & REG_B_DM) {
        return v;
    }
    return ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

static int rtc_hour_to_reg(RTCState *s, int hour)
{
    int h12;

    if (s->cmos_data[RTC_REG_B] & REG_B_24H) {
        return rtc_to_reg(s, hour);
    }
    h12 = hour % 12 ? hour % 12 : 12;
    return rtc_to_reg(s, h12) | (hour >= 12 ? 0x80 : 0);
}

static int rtc_hour_from_reg(RTCState *s, int v)
{
    int h;

    if (s->cmos_data[RTC_REG_B] & REG_B_24H) {
        return rtc_from_reg(s, v);
    }
    h = rtc_from_reg(s, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Write seconds-since-epoch into the time registers */
static void rtc_set_regs_from_sec(RTCState *s, int64_t sec)
{
    struct tm tm;
    time_t t = (time_t)sec;
    int year, yr;

    if (!gmtime_r(&t, &tm)) {
        return;
    }
    year = tm.tm_year + 1900;
    yr = year - s->base_year;
    if (yr < 0) {
        yr = 0;
    }
    s->cmos_data[RTC_SECONDS] = rtc_to_reg(s, tm.tm_sec);
    s->cmos_data[RTC_MINUTES] = rtc_to_reg(s, tm.tm_min);
    s->cmos_data[RTC_HOURS] = rtc_hour_to_reg(s, tm.tm_hour);
    s->cmos_data[RTC_DAY_OF_WEEK] = rtc_to_reg(s, tm.tm_wday + 1);
    s->cmos_data[RTC_DAY_OF_MONTH] = rtc_to_reg(s, tm.tm_mday);
    s->cmos_data[RTC_MONTH] = rtc_to_reg(s, tm.tm_mon + 1);
    s->cmos_data[RTC_YEAR] = rtc_to_reg(s, yr % 100);
    s->cmos_data[RTC_REG_CENTURY] = rtc_to_reg(s, (year / 100) % 100);
}

/* The time the registers hold, in seconds since the epoch */
static int64_t rtc_sec_from_regs(RTCState *s)
{
    struct tm tm = { 0 };
    int64_t year, sec;

    tm.tm_sec = rtc_from_reg(s, s->cmos_data[RTC_SECONDS]);
    tm.tm_min = rtc_from_reg(s, s->cmos_data[RTC_MINUTES]);
    tm.tm_hour = rtc_hour_from_reg(s, s->cmos_data[RTC_HOURS]);
    tm.tm_mday = rtc_from_reg(s, s->cmos_data[RTC_DAY_OF_MONTH]);
    tm.tm_mon = rtc_from_reg(s, s->cmos_data[RTC_MONTH]) - 1;
    if (s->base_year) {
        year = s->base_year + rtc_from_reg(s, s->cmos_data[RTC_YEAR]);
    } else {
        year = rtc_from_reg(s, s->cmos_data[RTC_REG_CENTURY]) * 100 +
               rtc_from_reg(s, s->cmos_data[RTC_YEAR]);
    }
    /* Far outside what the ns clock can hold: keep the date sane */
    if (year < 1700 || year > 2200) {
        emu_log_mask(LOG_GUEST_ERROR, "mc146818rtc: year %" PRId64
                     " out of range, using 2000\n", year);
        year = 2000;
    }
    tm.tm_year = year - 1900;
    sec = timegm(&tm);
    return MAX(RTC_MIN_SEC, MIN(RTC_MAX_SEC, sec));
}

/* Refresh the time registers from the running clock */
static void rtc_update_regs(RTCState *s, int64_t now)
{
    if (rtc_time_running(s)) {
        rtc_set_regs_from_sec(s, floor_div(rtc_guest_ns(s, now),
                                           NANOSECONDS_PER_SECOND));
    }
}

/* ---- interrupts ---- */

static bool rtc_alarm_field_matches(RTCState *s, int reg, int value,
                                    bool hours)
{
    int a = s->cmos_data[reg];

    if ((a & 0xc0) == 0xc0) {
        return true;        /* "don't care" */
    }
    return (hours ? rtc_hour_from_reg(s, a) : rtc_from_reg(s, a)) == value;
}

static bool rtc_alarm_matches(RTCState *s, int64_t sec)
{
    int64_t day_sec = sec - floor_div(sec, 86400) * 86400;

    return rtc_alarm_field_matches(s, RTC_SECONDS_ALARM, day_sec % 60,
                                   false) &&
           rtc_alarm_field_matches(s, RTC_MINUTES_ALARM, (day_sec / 60) % 60,
                                   false) &&
           rtc_alarm_field_matches(s, RTC_HOURS_ALARM, day_sec / 3600, true);
}

static void rtc_update_irq(RTCState *s)
{
    uint8_t c = s->cmos_data[RTC_REG_C] & REG_C_MASK;

    if (c & s->cmos_data[RTC_REG_B] & REG_C_MASK) {
        c |= REG_C_IRQF;
    }
    s->cmos_data[RTC_REG_C] = c;
    irq_set(&s->irq, !!(c & REG_C_IRQF));
}

/* Account for the update cycles and periodic ticks up to now */
static void rtc_catch_up(RTCState *s, int64_t now)
{
    int64_t cur_sec, sec, first, period;

    if (rtc_time_running(s)) {
        cur_sec = floor_div(rtc_guest_ns(s, now), NANOSECONDS_PER_SECOND);
        if (cur_sec > s->last_update_sec) {
            s->cmos_data[RTC_REG_C] |= REG_C_UF;
            first = s->last_update_sec + 1;
            if (cur_sec - first >= RTC_ALARM_SEARCH) {
                first = cur_sec - RTC_ALARM_SEARCH + 1;
            }
            for (sec = first; sec <= cur_sec; sec++) {
                if (rtc_alarm_matches(s, sec)) {
                    s->cmos_data[RTC_REG_C] |= REG_C_AF;
                    break;
                }
            }
            s->last_update_sec = cur_sec;
        }
    }
    if (rtc_divider_running(s) && rtc_period_ticks(s)) {
        period = rtc_period_index(s, now);
        if (period > s->last_period) {
            s->cmos_data[RTC_REG_C] |= REG_C_PF;
            s->last_period = period;
        }
    }
}

/* Start counting flags afresh from now (after the time base moved) */
static void rtc_resync(RTCState *s, int64_t now)
{
    s->alarm_cache_valid = false;
    s->last_update_sec = floor_div(rtc_guest_ns(s, now),
                                   NANOSECONDS_PER_SECOND);
    s->last_period = rtc_period_index(s, now);
}

static int64_t rtc_guest_to_clock(RTCState *s, __int128 guest_ns)
{
    __int128 t = guest_ns - s->offset_ns;

    return t > INT64_MAX ? INT64_MAX : (int64_t)t;
}

/* Arm the timer for the next enabled interrupt, if any */
static void rtc_rearm(RTCState *s)
{
    uint8_t b = s->cmos_data[RTC_REG_B];
    int64_t next = INT64_MAX, period, sec;
    __int128 tick;
    int i;

    if (!s->timer) {
        return;
    }
    if ((b & REG_B_PIE) && rtc_divider_running(s) && rtc_period_ticks(s)) {
        period = rtc_period_ticks(s);
        tick = (__int128)(s->last_period + 1) * period;
        /* first ns at which the tick count reaches tick */
        next = MIN(next, rtc_guest_to_clock(s,
                   (tick * NANOSECONDS_PER_SECOND + RTC_FREQ - 1) / RTC_FREQ));
    }
    if (rtc_time_running(s)) {
        if (b & REG_B_UIE) {
            next = MIN(next, rtc_guest_to_clock(s, (__int128)
                       (s->last_update_sec + 1) * NANOSECONDS_PER_SECOND));
        } else if (b & REG_B_AIE) {
            if (!s->alarm_cache_valid ||
                (s->alarm_cache_next >= 0 &&
                 s->alarm_cache_next <= s->last_update_sec)) {
                s->alarm_cache_next = -1;
                for (i = 1; i <= RTC_ALARM_SEARCH; i++) {
                    sec = s->last_update_sec + i;
                    if (rtc_alarm_matches(s, sec)) {
                        s->alarm_cache_next = sec;
                        break;
                    }
                }
                s->alarm_cache_valid = true;
            }
            if (s->alarm_cache_next >= 0) {
                next = MIN(next, rtc_guest_to_clock(s, (__int128)
                           s->alarm_cache_next * NANOSECONDS_PER_SECOND));
            }
        }
    }
    if (next == INT64_MAX) {
        timer_del(s->timer);
    } else {
        timer_mod(s->timer, next);
    }
}

static void rtc_timer_cb(void *opaque)
{
    RTCState *s = opaque;

    rtc_catch_up(s, rtc_clock_now(s));
    rtc_update_irq(s);
    rtc_rearm(s);
}

/*
 * The clock (re)starts from the time in the registers; frac_ns is where
 * in the second it starts (the divider keeps its phase after SET; after a
 * divider reset the first update comes 500 ms later).
 */
static void rtc_start_from_regs(RTCState *s, int64_t now, int64_t frac_ns)
{
    s->offset_ns = rtc_sec_from_regs(s) * NANOSECONDS_PER_SECOND + frac_ns -
                   now;
    rtc_resync(s, now);
}

static int64_t rtc_frac_ns(RTCState *s, int64_t now)
{
    int64_t g = rtc_guest_ns(s, now);

    return g - floor_div(g, NANOSECONDS_PER_SECOND) * NANOSECONDS_PER_SECOND;
}

static bool rtc_uip(RTCState *s, int64_t now)
{
    return rtc_time_running(s) &&
           rtc_frac_ns(s, now) >= NANOSECONDS_PER_SECOND - RTC_UIP_HOLD_NS;
}

/* ---- guest access ---- */

static void rtc_write_data(RTCState *s, uint8_t val)
{
    int64_t now = rtc_clock_now(s);
    int index = s->cmos_index;
    bool was_running, div_was_running;

    /* Any register below D may change what the alarm matches */
    if (index <= RTC_REG_B || index == RTC_REG_CENTURY) {
        s->alarm_cache_valid = false;
    }

    switch (index) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_REG_CENTURY:
        if (rtc_time_running(s)) {
            /* Takes effect at once; the divider keeps its phase */
            rtc_catch_up(s, now);
            rtc_update_regs(s, now);
            s->cmos_data[index] = val;
            rtc_start_from_regs(s, now, rtc_frac_ns(s, now));
            rtc_rearm(s);
        } else {
            s->cmos_data[index] = val;
        }
        break;
    case RTC_SECONDS_ALARM:
    case RTC_MINUTES_ALARM:
    case RTC_HOURS_ALARM:
        rtc_catch_up(s, now);
        s->cmos_data[index] = val;
        rtc_rearm(s);
        break;
    case RTC_REG_A:
        rtc_catch_up(s, now);
        was_running = rtc_time_running(s);
        div_was_running = rtc_divider_running(s);
        rtc_update_regs(s, now);
        if ((val & REG_A_DV_MASK) > 0x20 && (val & REG_A_DV_MASK) < 0x60) {
            emu_log_mask(LOG_UNIMP, "mc146818rtc: divider setting 0x%x\n",
                         val & REG_A_DV_MASK);
        }
        s->cmos_data[RTC_REG_A] = val & ~REG_A_UIP;
        if (!div_was_running && rtc_divider_running(s)) {
            /* Out of divider reset: the first update 500 ms later */
            if (rtc_time_running(s)) {
                rtc_start_from_regs(s, now, NANOSECONDS_PER_SECOND / 2);
            } else {
                s->offset_ns = rtc_sec_from_regs(s) * NANOSECONDS_PER_SECOND +
                               NANOSECONDS_PER_SECOND / 2 - now;
                rtc_resync(s, now);
            }
        } else if (was_running == rtc_time_running(s)) {
            /* Same clock, maybe another periodic rate */
            s->last_period = rtc_period_index(s, now);
        }
        rtc_rearm(s);
        break;
    case RTC_REG_B:
        rtc_catch_up(s, now);
        was_running = rtc_time_running(s);
        rtc_update_regs(s, now);
        if (val & REG_B_SET) {
            /* SET aborts the update cycle and turns UIE off */
            val &= ~REG_B_UIE;
        }
        if (val & REG_B_DSE) {
            emu_log_mask(LOG_UNIMP, "mc146818rtc: daylight saving mode\n");
        }
        s->cmos_data[RTC_REG_B] = val;
        if (!was_running && rtc_time_running(s)) {
            rtc_start_from_regs(s, now, rtc_frac_ns(s, now));
        }
        rtc_update_irq(s);
        rtc_rearm(s);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        emu_log_mask(LOG_GUEST_ERROR, "mc146818rtc: write to read-only "
                     "register 0x%x\n", index);
        break;
    default:
        s->cmos_data[index] = val;
        break;
    }
}

static uint8_t rtc_read_data(RTCState *s)
{
    int64_t now = rtc_clock_now(s);
    int index = s->cmos_index;
    uint8_t val;

    switch (index) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_REG_CENTURY:
        rtc_update_regs(s, now);
        return s->cmos_data[index];
    case RTC_REG_A:
        val = s->cmos_data[RTC_REG_A] & ~REG_A_UIP;
        return rtc_uip(s, now) ? val | REG_A_UIP : val;
    case RTC_REG_C:
        rtc_catch_up(s, now);
        rtc_update_irq(s);
        val = s->cmos_data[RTC_REG_C];
        s->cmos_data[RTC_REG_C] = 0;
        irq_lower(&s->irq);
        rtc_rearm(s);
        return val;
    case RTC_REG_D:
        return REG_D_VRT;
    default:
        return s->cmos_data[index];
    }
}

static uint64_t rtc_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    RTCState *s = opaque;

    if ((addr & 1) == 0) {
        return 0xff;    /* the index port is write-only */
    }
    return rtc_read_data(s);
}

static void rtc_ioport_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    RTCState *s = opaque;

    if ((addr & 1) == 0) {
        s->cmos_index = val & 0x7f;
        s->nmi_masked = (val >> 7) & 1;
        return;
    }
    rtc_write_data(s, val);
}

static const MemoryRegionOps rtc_io_ops = {
    .read = rtc_ioport_read,
    .write = rtc_ioport_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* ---- board interface ---- */

void rtc_set_memory(DeviceState *dev, int addr, int val)
{
    RTCState *s = (RTCState *)dev;

    if (addr >= 0 && addr < RTC_CMOS_SIZE) {
        s->cmos_data[addr] = val;
    }
}

int rtc_get_memory(DeviceState *dev, int addr)
{
    RTCState *s = (RTCState *)dev;

    if (addr < 0 || addr >= RTC_CMOS_SIZE) {
        return 0;
    }
    return s->cmos_data[addr];
}

bool rtc_nmi_masked(DeviceState *dev)
{
    return ((RTCState *)dev)->nmi_masked;
}

void rtc_set_clock(DeviceState *dev, EmuClockType clock)
{
    RTCState *s = (RTCState *)dev;
    int64_t guest_ns = rtc_guest_ns(s, rtc_clock_now(s));
    bool had_timer = s->timer != NULL;

    if (clock < 0 || clock >= EMU_CLOCK_MAX || clock == s->clock) {
        return;
    }
    s->clock = clock;
    s->offset_ns = guest_ns - rtc_clock_now(s);
    if (had_timer) {
        timer_free(s->timer);
        s->timer = timer_new_ns(s->clock, rtc_timer_cb, s);
        rtc_rearm(s);
    }
}

static void rtc_realize(DeviceState *dev, Error **errp)
{
    RTCState *s = (RTCState *)dev;
    int64_t now;

    if (s->iobase > 0xfffe) {
        error_setg(errp, "iobase 0x%" PRIx32 " out of range", s->iobase);
        return;
    }
    if (s->isairq >= ISA_NUM_IRQS) {
        error_setg(errp, "irq %" PRIu32 " out of range", s->isairq);
        return;
    }
    if (s->base_year < 0 || s->base_year > 2200) {
        error_setg(errp, "base_year %" PRId32 " out of range", s->base_year);
        return;
    }
    memory_region_init_io(&s->io, dev, &rtc_io_ops, s, "rtc", 2);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, s->iobase);
    s->io_mapped = true;
    s->irq = isa_get_irq(ISA_DEVICE(dev), s->isairq);

    /* Power on: 32.768 kHz divider, 1024 Hz rate; 24 hour BCD */
    s->cmos_data[RTC_REG_A] = 0x26;
    s->cmos_data[RTC_REG_B] = REG_B_24H;
    s->cmos_data[RTC_REG_C] = 0;
    s->cmos_data[RTC_REG_D] = REG_D_VRT;
    now = rtc_clock_now(s);
    s->offset_ns = clock_get_ns(EMU_CLOCK_HOST) - now;
    rtc_resync(s, now);
    rtc_update_regs(s, now);
    s->timer = timer_new_ns(s->clock, rtc_timer_cb, s);
}

static void rtc_unrealize(DeviceState *dev)
{
    RTCState *s = (RTCState *)dev;

    timer_free(s->timer);
    s->timer = NULL;
    if (s->io_mapped) {
        memory_region_del_subregion(isa_bus_of(ISA_DEVICE(dev))->
                                    address_space_io, &s->io);
        s->io_mapped = false;
    }
}

static void rtc_instance_init(DeviceState *dev)
{
    ((RTCState *)dev)->clock = EMU_CLOCK_HOST;
}

static void rtc_reset(DeviceState *dev)
{
    RTCState *s = (RTCState *)dev;
    int64_t now = rtc_clock_now(s);

    /* The reset pin clears the enables and flags; the time goes on */
    rtc_catch_up(s, now);
    s->cmos_data[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE |
                                 REG_B_SQWE);
    s->cmos_data[RTC_REG_C] = 0;
    rtc_update_irq(s);
    rtc_rearm(s);
}

static int rtc_post_load(void *opaque, int version_id)
{
    RTCState *s = opaque;

    if (s->cmos_index >= RTC_CMOS_SIZE || s->nmi_masked > 1) {
        return -EINVAL;
    }
    s->alarm_cache_valid = false;
    rtc_update_irq(s);
    rtc_rearm(s);
    return 0;
}

static const VMStateField rtc_vmstate_fields[] = {
    VMSTATE_BUFFER(cmos_data, RTCState),
    VMSTATE_UINT8(cmos_index, RTCState),
    VMSTATE_UINT8(nmi_masked, RTCState),
    VMSTATE_INT64(offset_ns, RTCState),
    VMSTATE_INT64(last_update_sec, RTCState),
    VMSTATE_INT64(last_period, RTCState),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription rtc_vmstate = {
    .name = "mc146818rtc",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = rtc_post_load,
    .fields = rtc_vmstate_fields,
};

static const Property rtc_props[] = {
    DEFINE_PROP_UINT32("iobase", RTCState, iobase, 0x70),
    DEFINE_PROP_UINT32("irq", RTCState, isairq, RTC_ISA_IRQ),
    DEFINE_PROP_INT32("base_year", RTCState, base_year, 0),
    DEFINE_PROP_END_OF_LIST()
};

static const DeviceInfo rtc_info = {
    .name = TYPE_MC146818_RTC,
    .desc = "MC146818 real-time clock and CMOS RAM",
    .bus_type = BUS_TYPE_ISA,
    .category = "Misc devices",
    .instance_size = sizeof(RTCState),
    .props = rtc_props,
    .vmsd = &rtc_vmstate,
    .user_creatable = false,
    .instance_init = rtc_instance_init,
    .realize = rtc_realize,
    .unrealize = rtc_unrealize,
    .reset = rtc_reset,
};

DEVICE_REGISTER(rtc_info)

DeviceState *mc146818_rtc_init(ISABus *bus, int base_year, Error **errp)
{
    DeviceState *dev = device_new(TYPE_MC146818_RTC, errp);

    if (!dev) {
        return NULL;
    }
    if (!device_prop_set_uint(dev, "base_year", base_year, errp) ||
        !device_realize(dev, bus ? &bus->bus : NULL, errp)) {
        device_destroy(dev);
        return NULL;
    }
    return dev;
}
