/* Local APIC ("apic") for the translator: registers, priorities, IPIs, timer, IOAPIC/MSI delivery. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "emu/thread.h"
#include "emu/timer.h"
#include "hw/intc/apic.h"
#include "hw/intc/ioapic.h"
#include "migration/vmstate.h"
#include "monitor/monitor.h"
#include "system/memory.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"

/* Register offsets in the 4 KiB page (16-byte aligned slots) */
#define APIC_REG_ID        0x020
#define APIC_REG_VERSION   0x030
#define APIC_REG_TPR       0x080
#define APIC_REG_APR       0x090
#define APIC_REG_PPR       0x0a0
#define APIC_REG_EOI       0x0b0
#define APIC_REG_RRD       0x0c0
#define APIC_REG_LDR       0x0d0
#define APIC_REG_DFR       0x0e0
#define APIC_REG_SVR       0x0f0
#define APIC_REG_ISR       0x100
#define APIC_REG_TMR       0x180
#define APIC_REG_IRR       0x200
#define APIC_REG_ESR       0x280
#define APIC_REG_ICR_LO    0x300
#define APIC_REG_ICR_HI    0x310
#define APIC_REG_LVT       0x320    /* timer, thermal, perf, LINT0/1, error */
#define APIC_REG_TMICT     0x380
#define APIC_REG_TMCCT     0x390
#define APIC_REG_TDCR      0x3e0

#define APIC_SVR_ENABLE    (1u << 8)
#define APIC_LVT_MASKED    (1u << 16)
#define APIC_LVT_LEVEL     (1u << 15)
#define APIC_LVT_REMOTE_IRR (1u << 14)
#define APIC_LVT_TIMER_SHIFT 17
#define APIC_TIMER_ONESHOT  0
#define APIC_TIMER_PERIODIC 1
#define APIC_TIMER_DEADLINE 2

#define APIC_ICR_DELIV_STATUS (1u << 12)
#define APIC_ICR_LOGICAL   (1u << 11)
#define APIC_ICR_ASSERT    (1u << 14)
#define APIC_ICR_LEVEL     (1u << 15)

/* ESR bits */
#define APIC_ESR_SEND_ILLEGAL_VECTOR 0x20
#define APIC_ESR_RECV_ILLEGAL_VECTOR 0x40
#define APIC_ESR_ILLEGAL_ADDRESS     0x80

/*
 * A periodic timer never fires faster than this (guest time): a period
 * of a few bus ticks would otherwise keep the host busy with nothing but
 * timer callbacks.  The current count still runs at the programmed rate.
 */
#define APIC_MIN_PERIOD_NS 10000

struct APICState {
    SysBusDevice parent;
    X86CPU *cpu;
    APICState *next;            /* all APICs, in creation order */
    EmuTimer *timer;
    MemoryRegion reloc_mmio;    /* the register page away from 0xfee00000 */
    hwaddr reloc_base;
    bool reloc_mapped;

    /* guest-visible state */
    uint8_t id;
    uint8_t tpr;
    uint32_t ldr;
    uint32_t dfr;
    uint32_t svr;
    uint32_t isr[8];
    uint32_t tmr[8];
    uint32_t irr[8];
    uint32_t esr;               /* as last latched by an ESR write */
    uint32_t esr_pending;       /* errors since */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[APIC_LVT_NB];
    uint32_t initial_count;
    uint32_t divide_conf;
    int64_t count_start;        /* EMU_CLOCK_VIRTUAL ns of the count load */
    uint64_t tsc_deadline;
    bool pic_level;             /* LINT0 input: the 8259's INT */
    bool wait_for_sipi;
    uint8_t sipi_vector;
};

static APICState *apic_list;
static unsigned apic_count;
static MemoryRegion apic_window;
static const hwaddr apic_window_base = APIC_MSI_BASE;

/* ---- 256-bit registers ---- */

static void bit_set(uint32_t *r, unsigned v)
{
    r[v >> 5] |= 1u << (v & 31);
}

static void bit_clear(uint32_t *r, unsigned v)
{
    r[v >> 5] &= ~(1u << (v & 31));
}

static bool bit_test(const uint32_t *r, unsigned v)
{
    return r[v >> 5] & (1u << (v & 31));
}

/* Highest set bit, or -1 */
static int bit_highest(const uint32_t *r)
{
    for (int i = 7; i >= 0; i--) {
        if (r[i]) {
            return i * 32 + 31 - __builtin_clz(r[i]);
        }
    }
    return -1;
}

/* ---- State helpers ---- */

static uint64_t apic_base_msr(APICState *s)
{
    return s->cpu->env.apic_base;
}

bool apic_hw_enabled(APICState *s)
{
    return apic_base_msr(s) & MSR_IA32_APICBASE_ENABLE;
}

static bool apic_sw_enabled(APICState *s)
{
    return s->svr & APIC_SVR_ENABLE;
}

static bool apic_is_bsp(APICState *s)
{
    return apic_base_msr(s) & MSR_IA32_APICBASE_BSP;
}

DeviceState *apic_device(APICState *s)
{
    return &s->parent.qdev;
}

static unsigned apic_ppr(APICState *s)
{
    int isrv = bit_highest(s->isr);
    unsigned isr_class = isrv < 0 ? 0 : (unsigned)isrv & 0xf0;

    if ((s->tpr & 0xf0) >= isr_class) {
        return s->tpr;
    }
    return isr_class;
}

/* Lowest-priority arbitration value (the SDM's APR) */
static unsigned apic_apr(APICState *s)
{
    int isrv = bit_highest(s->isr), irrv = bit_highest(s->irr);
    unsigned top = (unsigned)MAX(MAX(isrv, irrv), 0) & 0xf0;

    return (s->tpr & 0xf0) >= top ? s->tpr : top;
}

/* The vector the CPU would take now, or -1 */
static int apic_irq_pending(APICState *s)
{
    int irrv;

    if (!apic_hw_enabled(s) || !apic_sw_enabled(s)) {
        return -1;
    }
    irrv = bit_highest(s->irr);
    if (irrv < 0 || ((unsigned)irrv & 0xf0) <= (apic_ppr(s) & 0xf0)) {
        return -1;
    }
    return irrv;
}

bool apic_accept_pic_intr(APICState *s)
{
    uint32_t lvt0 = s->lvt[APIC_LVT_LINT0];

    if (!apic_hw_enabled(s)) {
        return true;        /* LINT0 is the CPU's INTR pin */
    }
    return !(lvt0 & APIC_LVT_MASKED) && ((lvt0 >> 8) & 7) == APIC_DM_EXTINT;
}

static bool apic_extint_pending(APICState *s)
{
    return s->pic_level && apic_accept_pic_intr(s);
}

/* Raise or drop CPU_INTERRUPT_HARD to match the APIC's state */
static void apic_update_irq(APICState *s)
{
    CPUState *cs = &s->cpu->parent;

    if (apic_irq_pending(s) >= 0 || apic_extint_pending(s)) {
        /* no second kick for a request the CPU has not taken yet */
        if (!(__atomic_load_n(&cs->interrupt_request, __ATOMIC_ACQUIRE) &
              CPU_INTERRUPT_HARD)) {
            cpu_interrupt(cs, CPU_INTERRUPT_HARD);
        }
    } else {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_HARD);
    }
}

static void apic_local_deliver(APICState *s, int lvt_index);

static void apic_error(APICState *s, uint32_t bits)
{
    bool first = !(s->esr_pending & bits);

    s->esr_pending |= bits;
    if (first) {
        apic_local_deliver(s, APIC_LVT_ERROR);
    }
}

/* Accept a fixed interrupt into the IRR (level: set its TMR bit) */
static void apic_set_irq(APICState *s, unsigned vector, bool level)
{
    vector &= 0xff;
    if (vector < 16) {
        apic_error(s, APIC_ESR_RECV_ILLEGAL_VECTOR);
        return;
    }
    bit_set(s->irr, vector);
    if (level) {
        bit_set(s->tmr, vector);
    } else {
        bit_clear(s->tmr, vector);
    }
    apic_update_irq(s);
}

/* Interrupts from the LVT (timer, thermal, perf, LINT0/1, error) */
static void apic_local_deliver(APICState *s, int lvt_index)
{
    uint32_t lvt = s->lvt[lvt_index];
    CPUState *cs = &s->cpu->parent;

    if (!apic_hw_enabled(s) || (lvt & APIC_LVT_MASKED)) {
        return;
    }
    switch ((lvt >> 8) & 7) {
    case APIC_DM_FIXED:
        if (!apic_sw_enabled(s)) {
            return;
        }
        apic_set_irq(s, lvt & 0xff,
                     (lvt_index == APIC_LVT_LINT0 ||
                      lvt_index == APIC_LVT_LINT1) && (lvt & APIC_LVT_LEVEL));
        break;
    case APIC_DM_NMI:
        cpu_interrupt(cs, CPU_INTERRUPT_NMI);
        break;
    case APIC_DM_EXTINT:
        apic_update_irq(s);
        break;
    default:
        emu_log_mask(LOG_UNIMP, "apic: LVT %d delivery mode %u\n", lvt_index,
                     (lvt >> 8) & 7);
        break;
    }
}

/* ---- Timer ---- */

static unsigned apic_timer_mode(APICState *s)
{
    return (s->lvt[APIC_LVT_TIMER] >> APIC_LVT_TIMER_SHIFT) & 3;
}

/* log2 of the divide configuration (divide by 1 .. 128) */
static unsigned apic_divide_shift(APICState *s)
{
    unsigned v = (s->divide_conf & 3) | ((s->divide_conf >> 1) & 4);

    return (v + 1) & 7;
}

/* ns of tick counts at the APIC bus rate after the divider */
static int64_t apic_ticks_to_ns(APICState *s, uint64_t ticks)
{
    return (int64_t)((unsigned __int128)(ticks << apic_divide_shift(s)) *
                     1000000000u / APIC_BUS_HZ);
}

static uint64_t apic_ns_to_ticks(APICState *s, int64_t ns)
{
    if (ns <= 0) {
        return 0;
    }
    return (uint64_t)((unsigned __int128)ns * APIC_BUS_HZ / 1000000000u) >>
           apic_divide_shift(s);
}

static uint32_t apic_current_count(APICState *s)
{
    uint64_t elapsed;

    if (apic_timer_mode(s) == APIC_TIMER_DEADLINE || !s->initial_count) {
        return 0;
    }
    elapsed = apic_ns_to_ticks(s, clock_get_ns(EMU_CLOCK_VIRTUAL) -
                               s->count_start);
    if (apic_timer_mode(s) == APIC_TIMER_PERIODIC) {
        return s->initial_count - elapsed % s->initial_count;
    }
    return elapsed >= s->initial_count ? 0 : s->initial_count - elapsed;
}

/* Arm the timer for the next expiry the mode asks for, or stop it */
static void apic_timer_update(APICState *s)
{
    int64_t now = clock_get_ns(EMU_CLOCK_VIRTUAL);
    int64_t period, next;

    switch (apic_timer_mode(s)) {
    case APIC_TIMER_DEADLINE: {
        uint64_t tsc;

        if (!s->tsc_deadline) {
            timer_del(s->timer);
            return;
        }
        tsc = x86_tsc_read(&s->cpu->env);
        next = now;
        if (s->tsc_deadline > tsc) {
            uint64_t d = (uint64_t)((unsigned __int128)(s->tsc_deadline - tsc)
                                    * 1000000000u / X86_TCG_TSC_HZ);
            next = d > (uint64_t)(INT64_MAX - now) ? INT64_MAX : now + d;
        }
        timer_mod(s->timer, next);
        return;
    }
    case APIC_TIMER_PERIODIC:
        /* masked: the count runs on, but nothing is to be delivered */
        if (!s->initial_count || (s->lvt[APIC_LVT_TIMER] & APIC_LVT_MASKED)) {
            break;
        }
        period = MAX(apic_ticks_to_ns(s, s->initial_count),
                     APIC_MIN_PERIOD_NS);
        next = s->count_start +
               ((now - s->count_start) / period + 1) * period;
        timer_mod(s->timer, next);
        return;
    default:        /* one-shot (and the reserved mode 3) */
        if (!s->initial_count || (s->lvt[APIC_LVT_TIMER] & APIC_LVT_MASKED)) {
            break;
        }
        next = s->count_start + apic_ticks_to_ns(s, s->initial_count);
        if (next > now) {
            timer_mod(s->timer, next);
            return;
        }
        break;
    }
    timer_del(s->timer);
}

static void apic_timer_cb(void *opaque)
{
    APICState *s = opaque;

    if (apic_timer_mode(s) == APIC_TIMER_DEADLINE) {
        s->tsc_deadline = 0;
    }
    if (apic_sw_enabled(s)) {
        apic_local_deliver(s, APIC_LVT_TIMER);
    }
    apic_timer_update(s);
}

uint64_t apic_get_tsc_deadline(APICState *s)
{
    if (apic_timer_mode(s) != APIC_TIMER_DEADLINE) {
        return 0;
    }
    return s->tsc_deadline;
}

void apic_set_tsc_deadline(APICState *s, uint64_t deadline)
{
    /* outside TSC-deadline mode the write is ignored (SDM 10.5.4.1) */
    if (apic_timer_mode(s) != APIC_TIMER_DEADLINE) {
        return;
    }
    s->tsc_deadline = deadline;
    apic_timer_update(s);
}

/* ---- The APIC bus: IPIs, I/O APIC messages, MSIs ---- */

static bool apic_match_dest(APICState *s, uint8_t dest, bool logical)
{
    uint8_t lid = s->ldr >> 24;

    if (!logical) {
        return dest == 0xff || dest == s->id;
    }
    if (dest == 0xff) {
        return true;
    }
    if ((s->dfr >> 28) == 0xf) {            /* flat model */
        return (lid & dest) != 0;
    }
    /* cluster model: cluster in the high nibble, members in the low */
    return (dest >> 4) == (lid >> 4) && (dest & lid & 0xf) != 0;
}

/* Deliver to each APIC in targets (n of them) */
static void apic_deliver_to(APICState **targets, unsigned n,
                            int delivery_mode, uint8_t vector, bool level)
{
    APICState *best = NULL;

    switch (delivery_mode) {
    case APIC_DM_LOWPRI:
        for (unsigned i = 0; i < n; i++) {
            if (!best || apic_apr(targets[i]) < apic_apr(best)) {
                best = targets[i];
            }
        }
        if (best) {
            apic_set_irq(best, vector, level);
        }
        return;
    case APIC_DM_FIXED:
        for (unsigned i = 0; i < n; i++) {
            apic_set_irq(targets[i], vector, level);
        }
        return;
    case APIC_DM_NMI:
        for (unsigned i = 0; i < n; i++) {
            cpu_interrupt(&targets[i]->cpu->parent, CPU_INTERRUPT_NMI);
        }
        return;
    case APIC_DM_INIT:
        for (unsigned i = 0; i < n; i++) {
            cpu_interrupt(&targets[i]->cpu->parent, CPU_INTERRUPT_INIT);
        }
        return;
    case APIC_DM_SIPI:
        for (unsigned i = 0; i < n; i++) {
            targets[i]->sipi_vector = vector;
            cpu_interrupt(&targets[i]->cpu->parent, CPU_INTERRUPT_SIPI);
        }
        return;
    case APIC_DM_SMI:
        emu_log_mask(LOG_UNIMP, "apic: SMI ignored (no SMM)\n");
        return;
    default:
        emu_log_mask(LOG_GUEST_ERROR, "apic: delivery mode %d dropped\n",
                     delivery_mode);
        return;
    }
}

static APICState **apic_targets_alloc(void)
{
    return emu_new0(APICState *, apic_count ? apic_count : 1);
}

void apic_bus_deliver(uint8_t dest, bool logical, int delivery_mode,
                      uint8_t vector, bool level_trigger)
{
    APICState **t = apic_targets_alloc();
    unsigned n = 0;

    for (APICState *s = apic_list; s && n < apic_count; s = s->next) {
        if (apic_hw_enabled(s) && apic_match_dest(s, dest, logical)) {
            t[n++] = s;
        }
    }
    apic_deliver_to(t, n, delivery_mode, vector, level_trigger);
    free(t);
}

void apic_ioapic_deliver(void *opaque, uint8_t dest, uint8_t dest_mode,
                         uint8_t delivery_mode, uint8_t vector,
                         bool level, uint8_t trigger)
{
    if (delivery_mode == IOAPIC_DM_EXTINT) {
        emu_log_mask(LOG_UNIMP, "apic: ExtINT message from the I/O APIC "
                     "ignored (the 8259 reaches the CPUs through LINT0)\n");
        return;
    }
    apic_bus_deliver(dest, dest_mode != 0, delivery_mode, vector,
                     trigger != 0);
}

void apic_send_msi(uint64_t addr, uint32_t data)
{
    uint8_t dest = (addr >> 12) & 0xff;
    bool logical = addr & (1u << 2);
    int mode = (data >> 8) & 7;

    if ((addr & ~(APIC_MSI_SIZE - 1)) != APIC_MSI_BASE) {
        emu_log_mask(LOG_GUEST_ERROR, "apic: MSI to 0x%" PRIx64 " outside "
                     "the interrupt window\n", addr);
        return;
    }
    if (mode == APIC_DM_INIT || mode == APIC_DM_SIPI ||
        mode == APIC_DM_EXTINT) {
        emu_log_mask(LOG_GUEST_ERROR, "apic: MSI with delivery mode %d "
                     "dropped\n", mode);
        return;
    }
    apic_bus_deliver(dest, logical, mode, data & 0xff, (data >> 15) & 1);
}

/* A write of ICR low: send the IPI it describes */
static void apic_send_ipi(APICState *s)
{
    uint32_t icr = s->icr_lo;
    int mode = (icr >> 8) & 7;
    uint8_t vector = icr & 0xff;
    bool level = icr & APIC_ICR_LEVEL;
    APICState **t;
    unsigned n = 0;

    if (mode == APIC_DM_INIT && level && !(icr & APIC_ICR_ASSERT)) {
        /* INIT level de-assert: only re-syncs arbitration IDs */
        return;
    }
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWPRI) && vector < 16) {
        apic_error(s, APIC_ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    t = apic_targets_alloc();
    for (APICState *d = apic_list; d && n < apic_count; d = d->next) {
        bool match;

        if (!apic_hw_enabled(d)) {
            continue;
        }
        switch ((icr >> 18) & 3) {
        case 0:
            match = apic_match_dest(d, s->icr_hi >> 24,
                                    icr & APIC_ICR_LOGICAL);
            break;
        case 1:
            match = d == s;
            break;
        case 2:
            match = true;
            break;
        default:
            match = d != s;
            break;
        }
        if (match) {
            t[n++] = d;
        }
    }
    /* an IPI's trigger mode does not set the TMR (no EOI broadcast) */
    apic_deliver_to(t, n, mode, vector, false);
    free(t);
}

/* ---- Reset, INIT, SIPI ---- */

/* The registers after INIT (SDM 10.4.7.3); ID and base are kept */
static void apic_init_regs(APICState *s)
{
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xffffffff;
    s->svr = 0xff;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    for (int i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] = APIC_LVT_MASKED;
    }
    s->initial_count = 0;
    s->divide_conf = 0;
    s->count_start = 0;
    s->tsc_deadline = 0;
    if (s->timer) {
        timer_del(s->timer);
    }
}

static void apic_reloc_update(APICState *s)
{
    hwaddr base = apic_base_msr(s) & MSR_IA32_APICBASE_BASE;
    bool want = apic_hw_enabled(s) &&
                (base & ~(APIC_MSI_SIZE - 1)) != APIC_MSI_BASE;

    if (s->reloc_mapped && (!want || base != s->reloc_base)) {
        memory_region_del_subregion(get_system_memory(), &s->reloc_mmio);
        s->reloc_mapped = false;
    }
    if (want && !s->reloc_mapped) {
        s->reloc_base = base;
        memory_region_add_subregion_overlap(get_system_memory(), base,
                                            &s->reloc_mmio, 2);
        s->reloc_mapped = true;
    }
}

static void apic_reset(DeviceState *dev)
{
    APICState *s = (APICState *)dev;

    if (!s->cpu) {
        return;
    }
    s->id = s->cpu->env.apic_id;
    apic_init_regs(s);
    /*
     * As QEMU: the BSP's LINT0 starts in virtual-wire mode (ExtINT), so
     * that the firmware gets 8259 interrupts before it programs the APIC.
     */
    if (apic_is_bsp(s)) {
        s->lvt[APIC_LVT_LINT0] = APIC_DM_EXTINT << 8;
    }
    s->wait_for_sipi = !apic_is_bsp(s);
    apic_reloc_update(s);
    apic_update_irq(s);
}

void apic_take_init(APICState *s)
{
    apic_init_regs(s);
    s->wait_for_sipi = !apic_is_bsp(s);
    apic_update_irq(s);
}

bool apic_take_sipi(APICState *s, uint8_t *vector)
{
    if (!s->wait_for_sipi) {
        return false;
    }
    s->wait_for_sipi = false;
    *vector = s->sipi_vector;
    return true;
}

bool apic_waiting_for_sipi(APICState *s)
{
    return __atomic_load_n(&s->wait_for_sipi, __ATOMIC_RELAXED);
}

void apic_base_changed(APICState *s, uint64_t old_base)
{
    uint64_t now = apic_base_msr(s);

    if ((old_base & MSR_IA32_APICBASE_ENABLE) &&
        !(now & MSR_IA32_APICBASE_ENABLE)) {
        /* hardware disable: back to the power-up state, all masked */
        bool sipi = s->wait_for_sipi;

        apic_init_regs(s);
        s->wait_for_sipi = sipi;
    }
    apic_reloc_update(s);
    apic_update_irq(s);
}

uint8_t apic_get_cr8(APICState *s)
{
    return s->tpr >> 4;
}

void apic_set_cr8(APICState *s, uint8_t val)
{
    s->tpr = (val & 0xf) << 4;
    apic_update_irq(s);
}

/* ---- The CPU's acknowledge ---- */

int apic_get_interrupt(APICState *s)
{
    int v = apic_irq_pending(s);

    if (v >= 0) {
        bit_clear(s->irr, v);
        bit_set(s->isr, v);
        apic_update_irq(s);
        return v;
    }
    if (apic_extint_pending(s) && s->cpu->get_pic_vector) {
        /* the INTA may drop the 8259's INT, and so our request */
        v = s->cpu->get_pic_vector(s->cpu->pic_opaque);
        apic_update_irq(s);
        return v;
    }
    apic_update_irq(s);
    return -1;
}

void apic_set_pic_level(APICState *s, int level)
{
    bool rising = level && !s->pic_level;
    uint32_t lvt0 = s->lvt[APIC_LVT_LINT0];

    s->pic_level = level != 0;
    if (apic_hw_enabled(s) && !(lvt0 & APIC_LVT_MASKED) &&
        ((lvt0 >> 8) & 7) != APIC_DM_EXTINT) {
        /* LINT0 programmed for fixed or NMI delivery: an edge */
        if (rising) {
            apic_local_deliver(s, APIC_LVT_LINT0);
        }
        return;
    }
    apic_update_irq(s);
}

/* ---- Registers ---- */

static void apic_eoi(APICState *s)
{
    int v = bit_highest(s->isr);

    if (v < 0) {
        return;
    }
    bit_clear(s->isr, v);
    if (bit_test(s->tmr, v)) {
        ioapic_eoi_broadcast(v);
    }
    apic_update_irq(s);
}

uint32_t apic_reg_read(APICState *s, unsigned offset)
{
    unsigned idx;

    if (offset & 0xf || offset >= 0x400) {
        return 0;
    }
    switch (offset) {
    case APIC_REG_ID:
        return (uint32_t)s->id << 24;
    case APIC_REG_VERSION:
        return APIC_VERSION_REG;
    case APIC_REG_TPR:
        return s->tpr;
    case APIC_REG_APR:
        return apic_apr(s);
    case APIC_REG_PPR:
        return apic_ppr(s);
    case APIC_REG_EOI:
    case APIC_REG_RRD:
        return 0;
    case APIC_REG_LDR:
        return s->ldr;
    case APIC_REG_DFR:
        return s->dfr;
    case APIC_REG_SVR:
        return s->svr;
    case APIC_REG_ESR:
        return s->esr;
    case APIC_REG_ICR_LO:
        return s->icr_lo;
    case APIC_REG_ICR_HI:
        return s->icr_hi;
    case APIC_REG_TMICT:
        return s->initial_count;
    case APIC_REG_TMCCT:
        return apic_current_count(s);
    case APIC_REG_TDCR:
        return s->divide_conf;
    default:
        break;
    }
    idx = (offset >> 4) & 7;
    if (offset >= APIC_REG_ISR && offset < APIC_REG_ISR + 0x80) {
        return s->isr[idx];
    }
    if (offset >= APIC_REG_TMR && offset < APIC_REG_TMR + 0x80) {
        return s->tmr[idx];
    }
    if (offset >= APIC_REG_IRR && offset < APIC_REG_IRR + 0x80) {
        return s->irr[idx];
    }
    if (offset >= APIC_REG_LVT &&
        offset < APIC_REG_LVT + 0x10 * APIC_LVT_NB) {
        return s->lvt[(offset - APIC_REG_LVT) >> 4];
    }
    apic_error(s, APIC_ESR_ILLEGAL_ADDRESS);
    return 0;
}

static const uint32_t apic_lvt_writable[APIC_LVT_NB] = {
    [APIC_LVT_TIMER] = 0x000700ff,      /* vector, mask, timer mode */
    [APIC_LVT_THERMAL] = 0x000107ff,    /* vector, delivery mode, mask */
    [APIC_LVT_PERF] = 0x000107ff,
    [APIC_LVT_LINT0] = 0x0001a7ff,      /* + polarity, trigger */
    [APIC_LVT_LINT1] = 0x0001a7ff,
    [APIC_LVT_ERROR] = 0x000100ff,
};

static void apic_write_lvt(APICState *s, int i, uint32_t val)
{
    uint32_t old = s->lvt[i];

    val &= apic_lvt_writable[i];
    if (!apic_sw_enabled(s)) {
        val |= APIC_LVT_MASKED;     /* SDM 10.4.7.2: masks stay set */
    }
    s->lvt[i] = val | (old & APIC_LVT_REMOTE_IRR);
    if (i == APIC_LVT_TIMER) {
        unsigned om = (old >> APIC_LVT_TIMER_SHIFT) & 3;
        unsigned nm = (val >> APIC_LVT_TIMER_SHIFT) & 3;

        if (om != nm && (om == APIC_TIMER_DEADLINE ||
                         nm == APIC_TIMER_DEADLINE)) {
            /* switching to or from TSC-deadline mode disarms the timer */
            s->tsc_deadline = 0;
            s->initial_count = 0;
        }
        apic_timer_update(s);
    } else if (i == APIC_LVT_LINT0) {
        apic_update_irq(s);
    }
}

void apic_reg_write(APICState *s, unsigned offset, uint32_t val)
{
    if (offset & 0xf || offset >= 0x400) {
        return;
    }
    switch (offset) {
    case APIC_REG_ID:
        s->id = val >> 24;
        return;
    case APIC_REG_TPR:
        s->tpr = val & 0xff;
        apic_update_irq(s);
        return;
    case APIC_REG_EOI:
        apic_eoi(s);
        return;
    case APIC_REG_LDR:
        s->ldr = val & 0xff000000u;
        return;
    case APIC_REG_DFR:
        s->dfr = val | 0x0fffffffu;
        return;
    case APIC_REG_SVR:
        /* bit 9 (focus) and 12 (EOI broadcast suppression) not offered */
        s->svr = val & 0x1ff;
        if (!apic_sw_enabled(s)) {
            for (int i = 0; i < APIC_LVT_NB; i++) {
                s->lvt[i] |= APIC_LVT_MASKED;
            }
        }
        apic_update_irq(s);
        return;
    case APIC_REG_ESR:
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        return;
    case APIC_REG_ICR_LO:
        s->icr_lo = val & ~APIC_ICR_DELIV_STATUS & 0x000ccfffu;
        apic_send_ipi(s);
        return;
    case APIC_REG_ICR_HI:
        s->icr_hi = val & 0xff000000u;
        return;
    case APIC_REG_TMICT:
        if (apic_timer_mode(s) == APIC_TIMER_DEADLINE) {
            return;
        }
        s->initial_count = val;
        s->count_start = clock_get_ns(EMU_CLOCK_VIRTUAL);
        apic_timer_update(s);
        return;
    case APIC_REG_TDCR: {
        /* keep the count where it is; it runs at the new rate from now */
        uint32_t cur = apic_current_count(s);
        bool running = cur != 0;

        s->divide_conf = val & 0xb;
        if (running) {
            s->count_start = clock_get_ns(EMU_CLOCK_VIRTUAL) -
                             apic_ticks_to_ns(s, s->initial_count - cur);
            apic_timer_update(s);
        }
        return;
    }
    case APIC_REG_VERSION:
    case APIC_REG_APR:
    case APIC_REG_PPR:
    case APIC_REG_RRD:
    case APIC_REG_TMCCT:
        emu_log_mask(LOG_GUEST_ERROR, "apic: write to read-only register "
                     "0x%x\n", offset);
        return;
    default:
        break;
    }
    if (offset >= APIC_REG_LVT &&
        offset < APIC_REG_LVT + 0x10 * APIC_LVT_NB) {
        apic_write_lvt(s, (offset - APIC_REG_LVT) >> 4, val);
        return;
    }
    if (offset >= APIC_REG_ISR && offset < APIC_REG_IRR + 0x80) {
        return;     /* ISR/TMR/IRR are read-only */
    }
    apic_error(s, APIC_ESR_ILLEGAL_ADDRESS);
}

/* ---- MMIO: the shared window and relocated pages ---- */

/* The APIC of the CPU making this access, if its register page is addr */
static APICState *apic_for_access(hwaddr addr)
{
    APICState *s;

    if (!current_cpu || current_cpu->cc != &x86_cpu_class) {
        return NULL;
    }
    s = X86_CPU(current_cpu)->apic;
    if (!s || !apic_hw_enabled(s) ||
        (addr & ~0xfffull) != (apic_base_msr(s) & MSR_IA32_APICBASE_BASE)) {
        return NULL;
    }
    return s;
}

static uint64_t apic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    const hwaddr *base = opaque;
    APICState *s = apic_for_access(*base + addr);

    if (!s) {
        emu_log_mask(LOG_GUEST_ERROR, "apic: read at 0x%" PRIx64
                     " outside an enabled APIC page\n",
                     (uint64_t)(*base + addr));
        return 0;
    }
    return apic_reg_read(s, (*base + addr) & 0xff0);
}

static void apic_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    const hwaddr *base = opaque;
    hwaddr a = *base + addr;
    APICState *s = apic_for_access(a);

    if (s) {
        apic_reg_write(s, a & 0xff0, val);
        return;
    }
    /* not a CPU's register access: a message (DMA write) to the APICs */
    apic_send_msi(a, val);
}

static const MemoryRegionOps apic_mmio_ops = {
    .read = apic_mmio_read,
    .write = apic_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* ---- Device ---- */

APICState *apic_new(X86CPU *cpu, Error **errp)
{
    DeviceState *dev;
    APICState *s;

    if (cpu->apic) {
        error_setg(errp, "CPU %d already has a local APIC",
                   cpu->env.smp_index);
        return NULL;
    }
    dev = device_new(TYPE_APIC, errp);
    if (!dev) {
        return NULL;
    }
    s = (APICState *)dev;
    s->cpu = cpu;
    if (!device_realize(dev, NULL, errp)) {
        device_destroy(dev);
        return NULL;
    }
    cpu->apic = s;
    apic_reset(dev);
    return s;
}

static void apic_realize(DeviceState *dev, Error **errp)
{
    APICState *s = (APICState *)dev;
    APICState **p;

    if (!s->cpu) {
        error_setg(errp, "the local APIC is created with its CPU "
                   "(apic_new), not with -device");
        return;
    }
    s->timer = timer_new_ns(EMU_CLOCK_VIRTUAL, apic_timer_cb, s);
    memory_region_init_io(&s->reloc_mmio, dev, &apic_mmio_ops,
                          &s->reloc_base, "apic-relocated", 0x1000);
    if (apic_count++ == 0) {
        memory_region_init_io(&apic_window, NULL, &apic_mmio_ops,
                              (void *)&apic_window_base, "apic-msi",
                              APIC_MSI_SIZE);
        memory_region_add_subregion_overlap(get_system_memory(),
                                            APIC_MSI_BASE, &apic_window, 1);
    }
    for (p = &apic_list; *p; p = &(*p)->next) {
        /* append: delivery order follows the CPU order */
    }
    *p = s;
}

static void apic_unrealize(DeviceState *dev)
{
    APICState *s = (APICState *)dev;

    if (!s->timer) {
        return;
    }
    for (APICState **p = &apic_list; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    if (s->reloc_mapped) {
        memory_region_del_subregion(get_system_memory(), &s->reloc_mmio);
        s->reloc_mapped = false;
    }
    timer_free(s->timer);
    s->timer = NULL;
    if (s->cpu && s->cpu->apic == s) {
        s->cpu->apic = NULL;
    }
    if (--apic_count == 0) {
        memory_region_del_subregion(get_system_memory(), &apic_window);
    }
}

static int apic_post_load(void *opaque, int version_id)
{
    APICState *s = opaque;
    int64_t now = clock_get_ns(EMU_CLOCK_VIRTUAL);

    /* a count loaded in the future, or too long ago to subtract, restarts */
    if (s->count_start > now || s->count_start < now - INT64_MAX / 2) {
        s->count_start = now;
    }
    s->svr &= 0x1ff;
    s->divide_conf &= 0xb;
    s->ldr &= 0xff000000u;
    for (int i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] &= apic_lvt_writable[i] | APIC_LVT_REMOTE_IRR;
    }
    apic_reloc_update(s);
    apic_timer_update(s);
    apic_update_irq(s);
    return 0;
}

static const VMStateField apic_vmstate_fields[] = {
    VMSTATE_UINT8(id, APICState),
    VMSTATE_UINT8(tpr, APICState),
    VMSTATE_UINT32(ldr, APICState),
    VMSTATE_UINT32(dfr, APICState),
    VMSTATE_UINT32(svr, APICState),
    VMSTATE_UINT32_ARRAY(isr, APICState, 8),
    VMSTATE_UINT32_ARRAY(tmr, APICState, 8),
    VMSTATE_UINT32_ARRAY(irr, APICState, 8),
    VMSTATE_UINT32(esr, APICState),
    VMSTATE_UINT32(esr_pending, APICState),
    VMSTATE_UINT32(icr_lo, APICState),
    VMSTATE_UINT32(icr_hi, APICState),
    VMSTATE_UINT32_ARRAY(lvt, APICState, APIC_LVT_NB),
    VMSTATE_UINT32(initial_count, APICState),
    VMSTATE_UINT32(divide_conf, APICState),
    VMSTATE_INT64(count_start, APICState),
    VMSTATE_UINT64(tsc_deadline, APICState),
    VMSTATE_BOOL(pic_level, APICState),
    VMSTATE_BOOL(wait_for_sipi, APICState),
    VMSTATE_UINT8(sipi_vector, APICState),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription apic_vmstate = {
    .name = "apic",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = apic_post_load,
    .fields = apic_vmstate_fields,
};

static const DeviceInfo apic_info = {
    .name = TYPE_APIC,
    .desc = "local APIC (translator)",
    .bus_type = BUS_TYPE_SYSTEM,
    .category = "Misc devices",
    .instance_size = sizeof(APICState),
    .vmsd = &apic_vmstate,
    .user_creatable = false,
    .realize = apic_realize,
    .unrealize = apic_unrealize,
    .reset = apic_reset,
};

DEVICE_REGISTER(apic_info)

/* ---- info lapic ---- */

static const char *apic_dm_name(unsigned dm)
{
    static const char *const names[8] = {
        "Fixed", "LowPri", "SMI", "...", "NMI", "INIT", "SIPI", "ExtINT"
    };

    return names[dm & 7];
}

static void apic_print_lvt(Monitor *mon, const char *name, uint32_t lvt,
                           bool is_timer)
{
    static const char *const tmodes[4] = {
        "one-shot", "periodic", "tsc-deadline", "reserved"
    };

    monitor_printf(mon, "%s\t 0x%08x %s %-5s %-6s%s", name, lvt,
                   (lvt & (1u << 13)) ? "active-lo" : "active-hi",
                   (lvt & APIC_LVT_LEVEL) ? "level" : "edge",
                   (lvt & APIC_LVT_MASKED) ? "masked" : "",
                   (lvt & (1u << 12)) ? " status" : "");
    if (is_timer) {
        monitor_printf(mon, " %s", tmodes[(lvt >> APIC_LVT_TIMER_SHIFT) & 3]);
    } else {
        monitor_printf(mon, " %s", apic_dm_name(lvt >> 8));
    }
    monitor_printf(mon, " (vec %u)\n", lvt & 0xff);
}

static void apic_print_bits(Monitor *mon, const char *name,
                            const uint32_t *r)
{
    bool any = false;

    monitor_printf(mon, "%s\t", name);
    for (unsigned v = 0; v < 256; v++) {
        if (bit_test(r, v)) {
            monitor_printf(mon, " %u", v);
            any = true;
        }
    }
    monitor_printf(mon, "%s\n", any ? "" : " (none)");
}

static json_object *hmp_info_lapic(Monitor *mon, json_object *args,
                                   Error **errp)
{
    static const char *const lvt_names[APIC_LVT_NB] = {
        "LVTT", "LVTTHMR", "LVTPC", "LVT0", "LVT1", "LVTERR"
    };
    int idx = monitor_get_cpu_index(mon);
    CPUState *cs = cpu_by_index(idx < 0 ? 0 : idx);
    APICState *s;

    if (!cs || cs->cc != &x86_cpu_class) {
        error_setg(errp, "No CPU available");
        return NULL;
    }
    s = X86_CPU(cs)->apic;
    if (!s) {
        error_setg(errp, "local APIC state not available (KVM's in-kernel "
                   "APIC is not shown)");
        return NULL;
    }
    monitor_printf(mon, "dumping local APIC state for CPU %-2d\n\n",
                   cs->cpu_index);
    for (int i = 0; i < APIC_LVT_NB; i++) {
        apic_print_lvt(mon, lvt_names[i], s->lvt[i], i == APIC_LVT_TIMER);
    }
    monitor_printf(mon, "Timer\t DCR=0x%x (divide by %u) initial_count = %u"
                   " current_count = %u\n", s->divide_conf,
                   1u << apic_divide_shift(s), s->initial_count,
                   apic_current_count(s));
    monitor_printf(mon, "SPIV\t 0x%08x APIC %s, spurious vec %u\n", s->svr,
                   apic_sw_enabled(s) ? "enabled" : "disabled",
                   s->svr & 0xff);
    monitor_printf(mon, "ICR\t 0x%08x %s %s %s\n", s->icr_lo,
                   (s->icr_lo & APIC_ICR_LOGICAL) ? "logical" : "physical",
                   apic_dm_name(s->icr_lo >> 8),
                   (s->icr_lo & APIC_ICR_LEVEL) ? "level" : "edge");
    monitor_printf(mon, "ICR2\t 0x%08x\n", s->icr_hi);
    monitor_printf(mon, "ESR\t 0x%08x\n", s->esr);
    apic_print_bits(mon, "ISR", s->isr);
    apic_print_bits(mon, "IRR", s->irr);
    monitor_printf(mon, "\nAPR 0x%02x TPR 0x%02x DFR 0x%02x LDR 0x%02x "
                   "PPR 0x%02x\n", apic_apr(s), s->tpr, s->dfr >> 28,
                   s->ldr >> 24, apic_ppr(s));
    return NULL;
}

static const MonitorCommand apic_monitor_commands[] = {
    {
        .hmp_name = "info lapic",
        .help = "show local apic state",
        .handler = hmp_info_lapic,
    },
    { .handler = NULL }
};

MONITOR_REGISTER_COMMANDS(apic_monitor_commands)
