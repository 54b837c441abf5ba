/* Fuzz smoke test: seeded random port, PCI, MMIO, clock traffic on -M pc. */
#include "emu/osdep.h"
#include <signal.h>
#include "libqtest.h"

/*
 * Guest input is hostile: no access pattern may crash, hang or abort emu.
 * Every seed starts a fresh emu and runs a deterministic sequence of
 * operations (the generator is seeded, nothing else is random), weighted
 * toward the ports and addresses the pc board decodes.  If emu dies or
 * stops answering, libqtest aborts; our SIGABRT hook then prints the seed
 * and the last operations so that the run reproduces with
 *
 *   fuzz-smoke-test SEED 1 OPS
 *
 * Usage: fuzz-smoke-test [FIRST_SEED [NSEEDS [OPS_PER_SEED]]]
 */

#define DEFAULT_FIRST_SEED  1
#define DEFAULT_NSEEDS      12
#define DEFAULT_OPS         5000

#define RAM_SIZE            (64u << 20)
#define IOAPIC_BASE         0xfec00000ULL
#define TESTDEV_BASE        0xfe000000ULL
#define PM_BASE             0x600
#define RING_SIZE           20
#define RING_LEN            128

/* ---- Deterministic generator (splitmix64) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0; the slight bias does not matter here) */
static uint32_t rnd_below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

/* A value that is often a corner case: 0, all-ones, one bit, or random */
static uint32_t rnd_value(void)
{
    switch (rnd_below(8)) {
    case 0:
        return 0;
    case 1:
        return 0xffffffffu;
    case 2:
        return 1u << rnd_below(32);
    case 3:
        return rnd_below(0x100);
    default:
        return (uint32_t)rnd();
    }
}

/* ---- Ring buffer of the last operations, printed when emu dies ---- */

static char ring[RING_SIZE][RING_LEN];
static unsigned ring_next;
static uint64_t cur_seed;
static unsigned cur_op;
static unsigned cur_nops;
static struct sigaction prev_abort;

static void EMU_PRINTF(1, 2) note(const char *fmt, ...)
{
    va_list ap;
    int n;

    n = snprintf(ring[ring_next % RING_SIZE], RING_LEN, "%u: ", cur_op);
    va_start(ap, fmt);
    vsnprintf(ring[ring_next % RING_SIZE] + n, RING_LEN - n, fmt, ap);
    va_end(ap);
    ring_next++;
}

static void dump_ring(void)
{
    unsigned first = ring_next > RING_SIZE ? ring_next - RING_SIZE : 0;

    fprintf(stderr, "fuzz-smoke: failed at seed %" PRIu64 ", operation %u; "
            "last operations:\n", cur_seed, cur_op);
    for (unsigned i = first; i < ring_next; i++) {
        fprintf(stderr, "    %s\n", ring[i % RING_SIZE]);
    }
    fprintf(stderr, "fuzz-smoke: reproduce with: fuzz-smoke-test %" PRIu64
            " 1 %u\n", cur_seed, cur_nops);
    printf("# failed at seed %" PRIu64 ", operation %u\n", cur_seed, cur_op);
    fflush(stdout);
}

/*
 * libqtest aborts when emu dies or times out; report where we were, then
 * let libqtest's own handler kill emu and re-raise.
 */
static void abort_hook(int sig)
{
    dump_ring();
    sigaction(SIGABRT, &prev_abort, NULL);
    if (prev_abort.sa_handler != SIG_DFL && prev_abort.sa_handler != SIG_IGN) {
        prev_abort.sa_handler(sig);
    }
    raise(sig);
}

static void install_abort_hook(void)
{
    static bool installed;
    struct sigaction sa = { .sa_handler = abort_hook };

    if (!installed) {
        installed = true;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGABRT, &sa, &prev_abort);
    }
}

/* ---- Targets ---- */

/* Port ranges of the pc board's devices, in [first, last] */
static const struct {
    uint16_t first, last;
} port_ranges[] = {
    { 0x0000, 0x001f },     /* DMA controller 1 (not emulated) */
    { 0x0020, 0x0021 },     /* master PIC */
    { 0x0040, 0x0043 },     /* PIT */
    { 0x0060, 0x0060 },     /* i8042 data */
    { 0x0061, 0x0061 },     /* port B / speaker */
    { 0x0064, 0x0064 },     /* i8042 command/status */
    { 0x0070, 0x0071 },     /* RTC/CMOS */
    { 0x0080, 0x0080 },     /* POST port */
    { 0x0092, 0x0092 },     /* port 92 (A20, fast reset) */
    { 0x00a0, 0x00a1 },     /* slave PIC */
    { 0x0402, 0x0402 },     /* debugcon */
    { 0x02f8, 0x02ff },     /* COM2 */
    { 0x03e8, 0x03ef },     /* COM3 */
    { 0x02e8, 0x02ef },     /* COM4 */
    { 0x03f8, 0x03ff },     /* COM1 */
    { 0x04d0, 0x04d1 },     /* ELCR */
    { 0x0510, 0x051b },     /* fw_cfg incl. DMA */
    { 0x0cf8, 0x0cff },     /* PCI config mechanism #1 */
    { 0x0cf9, 0x0cf9 },     /* PIIX3 reset control */
    { PM_BASE, PM_BASE + 0x3f },    /* PIIX4 PM block, once mapped */
};

/* PCI functions of the pc board, plus empty slots and a bogus bus */
static uint32_t rnd_pci_devfn_bus(void)
{
    static const uint8_t devfns[] = {
        0x00, 0x08, 0x09, 0x0b, 0x10, 0x18, 0x0a, 0x0c, 0xf8,
    };
    uint32_t bus = rnd_below(16) ? 0 : rnd_below(256);
    uint32_t devfn = rnd_below(4) ? devfns[rnd_below(ARRAY_SIZE(devfns))]
                                  : rnd_below(256);

    return bus << 16 | devfn << 8;
}

/* Addresses seen in BARs after programming them, used as MMIO targets */
static uint64_t bar_addrs[16];
static unsigned nbar_addrs;

static uint64_t rnd_mmio_addr(void)
{
    switch (rnd_below(10)) {
    case 0:
    case 1:
        return IOAPIC_BASE + (rnd_below(4) ? rnd_below(0x20)
                                           : rnd_below(0x1000));
    case 2:
        return rnd_below(RAM_SIZE);
    case 3:
        return 0xa0000 + rnd_below(0x60000);           /* VGA hole, ROM */
    case 4:
        return 0xfffc0000ULL + rnd_below(0x40000);     /* BIOS at 4G */
    case 5:
        if (nbar_addrs) {
            return bar_addrs[rnd_below(nbar_addrs)] + rnd_below(0x100);
        }
        return 0xe0000000ULL + rnd_below(0x1000000);
    case 6:
        if (rnd_below(2)) {
            return TESTDEV_BASE + rnd_below(0x40);     /* odd seeds only */
        }
        return 0xfed00000ULL + rnd_below(0x200000);    /* HPET, LAPIC... */
    case 7:
        return RAM_SIZE - 8 + rnd_below(16);           /* end of RAM */
    case 8:
        return (uint32_t)rnd();
    default:
        /* anywhere in 64 bits, often with the top bits clear */
        return rnd() & ((1ULL << rnd_below(64)) |
                        ((1ULL << rnd_below(64)) - 1));
    }
}

static uint16_t rnd_port(void)
{
    unsigned r;

    if (rnd_below(5) == 0) {
        return (uint16_t)rnd();
    }
    r = rnd_below(ARRAY_SIZE(port_ranges));
    return port_ranges[r].first +
           rnd_below(port_ranges[r].last - port_ranges[r].first + 1);
}

/* ---- Operations ---- */

static void op_out(QTestState *s, uint16_t port, unsigned size, uint32_t val)
{
    switch (size) {
    case 1:
        note("outb 0x%x 0x%x", port, val & 0xff);
        qtest_outb(s, port, val);
        break;
    case 2:
        note("outw 0x%x 0x%x", port, val & 0xffff);
        qtest_outw(s, port, val);
        break;
    default:
        note("outl 0x%x 0x%x", port, val);
        qtest_outl(s, port, val);
        break;
    }
}

static uint32_t op_in(QTestState *s, uint16_t port, unsigned size)
{
    switch (size) {
    case 1:
        note("inb 0x%x", port);
        return qtest_inb(s, port);
    case 2:
        note("inw 0x%x", port);
        return qtest_inw(s, port);
    default:
        note("inl 0x%x", port);
        return qtest_inl(s, port);
    }
}

static unsigned rnd_size(void)
{
    return 1u << rnd_below(3);
}

static void pci_cfg_write(QTestState *s, uint32_t bdf, uint8_t reg,
                          unsigned size, uint32_t val)
{
    op_out(s, 0xcf8, 4, 0x80000000u | bdf | (reg & 0xfc));
    op_out(s, 0xcfc + (reg & (4 - size)), size, val);
}

static uint32_t pci_cfg_read(QTestState *s, uint32_t bdf, uint8_t reg,
                             unsigned size)
{
    op_out(s, 0xcf8, 4, 0x80000000u | bdf | (reg & 0xfc));
    return op_in(s, 0xcfc + (reg & (4 - size)), size);
}

/* Map the PIIX4 PM block at PM_BASE (what SeaBIOS does) */
static void pm_map(QTestState *s)
{
    pci_cfg_write(s, 0x0b << 8, 0x40, 4, PM_BASE | 1);
    pci_cfg_write(s, 0x0b << 8, 0x80, 1, 1);
}

/* Program a BAR the way firmware does: size it, then assign an address */
static void op_bar(QTestState *s)
{
    uint32_t bdf = rnd_pci_devfn_bus();
    uint8_t reg = 0x10 + 4 * rnd_below(7);      /* BAR0-5 and 0x28 */
    uint32_t size_mask, addr;

    if (rnd_below(6) == 0) {
        reg = 0x30;                             /* expansion ROM */
    }
    pci_cfg_write(s, bdf, reg, 4, 0xffffffffu);
    size_mask = pci_cfg_read(s, bdf, reg, 4);
    addr = rnd_below(2) ? 0xe0000000u + (rnd_below(0x1000) << 12)
                        : rnd_value();
    if (size_mask & 1) {
        addr = 0xc000 + (rnd_below(0x100) << 4);
    }
    pci_cfg_write(s, bdf, reg, 4, addr);
    /* command: I/O, memory, bus master, sometimes anything */
    pci_cfg_write(s, bdf, 0x04, 2, rnd_below(2) ? 0x7 : rnd_value());
    addr = pci_cfg_read(s, bdf, reg, 4);
    if (addr && !(addr & 1) && nbar_addrs < ARRAY_SIZE(bar_addrs)) {
        bar_addrs[nbar_addrs++] = addr & ~0xfu;
    }
}

/* fw_cfg DMA: a descriptor with random fields at a random RAM address */
static void op_fw_cfg_dma(QTestState *s)
{
    uint64_t desc = rnd_below(4) ? rnd_below(RAM_SIZE - 16) & ~7u
                                 : rnd_mmio_addr();
    uint32_t control = rnd_below(2)
                       ? rnd_below(0x40) << 16 | 1u << rnd_below(5)
                       : rnd_value();
    uint32_t len = rnd_below(2) ? rnd_below(0x2000) : rnd_value();
    uint64_t addr = rnd_below(2) ? rnd_below(RAM_SIZE) : rnd_mmio_addr();
    uint8_t buf[16];

    if (rnd_below(3) == 0) {
        op_out(s, 0x510, 2, rnd_below(0x40));   /* select a key first */
    }
    for (int i = 0; i < 4; i++) {
        buf[i] = control >> (24 - 8 * i);
        buf[4 + i] = len >> (24 - 8 * i);
    }
    for (int i = 0; i < 8; i++) {
        buf[8 + i] = addr >> (56 - 8 * i);
    }
    note("fw_cfg dma desc@0x%" PRIx64 " ctl 0x%x len 0x%x addr 0x%" PRIx64,
         desc, control, len, addr);
    qtest_memwrite(s, desc, buf, sizeof(buf));
    /* The address registers are big-endian: high half at 0x514 */
    op_out(s, 0x514, 4, __builtin_bswap32((uint32_t)(desc >> 32)));
    op_out(s, 0x518, 4, __builtin_bswap32((uint32_t)desc));
}

static void op_mmio(QTestState *s)
{
    uint64_t addr = rnd_mmio_addr();
    uint64_t val = (uint64_t)rnd_value() << 32 | rnd_value();
    unsigned size = rnd_size() * (rnd_below(4) ? 1 : 2);     /* 1..8 */
    bool write = rnd_below(2);

    if (write && rnd_below(5) == 0) {
        uint8_t buf[256];
        size_t len = 1 + rnd_below(sizeof(buf));

        for (size_t i = 0; i < len; i++) {
            buf[i] = rnd();
        }
        note("memwrite 0x%" PRIx64 " len %zu", addr, len);
        qtest_memwrite(s, addr, buf, len);
        return;
    }
    if (!write) {
        note("read%u 0x%" PRIx64, size, addr);
        switch (size) {
        case 1:
            (void)qtest_readb(s, addr);
            break;
        case 2:
            (void)qtest_readw(s, addr);
            break;
        case 4:
            (void)qtest_readl(s, addr);
            break;
        default:
            (void)qtest_readq(s, addr);
            break;
        }
        return;
    }
    note("write%u 0x%" PRIx64 " 0x%" PRIx64, size, addr, val);
    switch (size) {
    case 1:
        qtest_writeb(s, addr, val);
        break;
    case 2:
        qtest_writew(s, addr, val);
        break;
    case 4:
        qtest_writel(s, addr, val);
        break;
    default:
        qtest_writeq(s, addr, val);
        break;
    }
}

/* IOAPIC: select a register, then access the window */
static void op_ioapic(QTestState *s)
{
    uint32_t sel = rnd_below(4) ? rnd_below(0x40) : rnd_value();

    note("ioapic sel 0x%x", sel);
    qtest_writel(s, IOAPIC_BASE, sel);
    if (rnd_below(2)) {
        uint32_t val = rnd_value();
        note("ioapic write 0x%x", val);
        qtest_writel(s, IOAPIC_BASE + 0x10, val);
    } else {
        note("ioapic read");
        (void)qtest_readl(s, IOAPIC_BASE + 0x10);
    }
    if (rnd_below(8) == 0) {
        note("ioapic eoi");
        qtest_writel(s, IOAPIC_BASE + 0x40, rnd_below(256));
    }
}

static void op_clock(QTestState *s)
{
    int64_t ns;

    switch (rnd_below(8)) {
    case 0:
        ns = 1 + rnd_below(1000);
        break;
    case 1:
        ns = 1000000000;                        /* a whole second */
        break;
    default:
        ns = 1 + rnd_below(20000000);           /* up to 20 ms */
        break;
    }
    note("clock_step %" PRId64, ns);
    qtest_clock_step(s, ns);
}

static void op_reset(QTestState *s)
{
    json_object *r;

    note("qmp system_reset + cont");
    r = qtest_qmp(s, "{'execute': 'system_reset'}");
    json_object_put(r);
    /* A guest shutdown (PM1_CNT S5) stops the VM under -no-shutdown */
    r = qtest_qmp(s, "{'execute': 'cont'}");
    json_object_put(r);
}

/*
 * Short, mostly well-formed register sequences, so that devices get past
 * their first state (initialised PIC, programmed PIT channel, serial at a
 * fast divisor in loopback, i8042 commands with their data byte...).
 */
static void op_sequence(QTestState *s)
{
    static const uint8_t kbc_cmds[] = {
        0x20, 0x60, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xad, 0xae, 0xc0, 0xd0,
        0xd1, 0xd2, 0xd3, 0xd4, 0xe0, 0xf0, 0xfe, 0xff,
    };
    static const uint8_t ps2_cmds[] = {
        0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xf0, 0xf2,
        0xf3, 0xf4, 0xf5, 0xf6, 0xfe, 0xff,
    };
    uint16_t com = rnd_below(2) ? 0x3f8 : 0x2f8;
    uint16_t pic = rnd_below(2) ? 0x20 : 0xa0;
    unsigned ch = rnd_below(3);

    switch (rnd_below(8)) {
    case 0:     /* PIC: ICW1-4, then a mask and an OCW */
        op_out(s, pic, 1, rnd_below(4) ? 0x11 : rnd_value());
        op_out(s, pic + 1, 1, rnd_below(2) ? (pic == 0x20 ? 0x08 : 0x70)
                                          : rnd_value());
        op_out(s, pic + 1, 1, rnd_value());
        op_out(s, pic + 1, 1, rnd_below(2) ? 0x01 : rnd_value());
        op_out(s, pic + 1, 1, rnd_value());
        op_out(s, pic, 1, rnd_value());
        (void)op_in(s, pic, 1);
        break;
    case 1:     /* PIT: control word and a (often tiny) count */
        op_out(s, 0x43, 1, ch << 6 | (rnd_below(4) ? 0x30 : rnd_below(0x40)));
        op_out(s, 0x40 + ch, 1, rnd_below(2) ? rnd_below(4) : rnd_value());
        op_out(s, 0x40 + ch, 1, rnd_below(2) ? 0 : rnd_value());
        if (rnd_below(2)) {
            op_out(s, 0x43, 1, rnd_below(2) ? 0xc0 | rnd_below(0x40)
                                            : ch << 6);   /* read-back/latch */
            (void)op_in(s, 0x40 + ch, 1);
            (void)op_in(s, 0x40 + ch, 1);
        }
        op_out(s, 0x61, 1, rnd_below(4));   /* gate 2, speaker */
        break;
    case 2:     /* RTC: rates, interrupt enables, SET, any index */
        op_out(s, 0x70, 1, rnd_below(2) ? 0x0a + rnd_below(4) : rnd_value());
        op_out(s, 0x71, 1, rnd_value());
        op_out(s, 0x70, 1, 0x0c);
        (void)op_in(s, 0x71, 1);
        break;
    case 3:     /* serial: divisor (incl. 0), loopback, FIFO, traffic */
        op_out(s, com + 3, 1, 0x80);
        op_out(s, com, 1, rnd_below(4));
        op_out(s, com + 1, 1, rnd_below(2) ? 0 : rnd_value());
        op_out(s, com + 3, 1, rnd_below(2) ? 0x03 : rnd_value() & 0x7f);
        op_out(s, com + 2, 1, rnd_value());
        op_out(s, com + 1, 1, rnd_value());
        op_out(s, com + 4, 1, rnd_below(2) ? 0x1b : rnd_value());
        for (unsigned i = rnd_below(40); i > 0; i--) {
            op_out(s, com, 1, rnd());
        }
        for (unsigned i = rnd_below(40); i > 0; i--) {
            (void)op_in(s, com + rnd_below(8), 1);
        }
        break;
    case 4:     /* i8042 command with data, then drain */
        op_out(s, 0x64, 1, rnd_below(8) ? kbc_cmds[rnd_below(
                    ARRAY_SIZE(kbc_cmds))] : rnd_value());
        if (rnd_below(2)) {
            op_out(s, 0x60, 1, rnd_below(2) ? ps2_cmds[rnd_below(
                        ARRAY_SIZE(ps2_cmds))] : rnd_value());
        }
        if (rnd_below(2)) {
            op_out(s, 0x60, 1, rnd_value());
        }
        for (unsigned i = rnd_below(8); i > 0; i--) {
            (void)op_in(s, 0x64, 1);
            (void)op_in(s, 0x60, 1);
        }
        break;
    case 5:     /* PM block: events, enables, control incl. SLP_EN */
        pm_map(s);
        op_out(s, PM_BASE + rnd_below(8), 2, rnd_value());
        op_out(s, PM_BASE + 4, 2, rnd_below(4) ? 0x2000 | rnd_below(8) << 10
                                                : rnd_value());
        (void)op_in(s, PM_BASE + 8, 4);
        break;
    case 6: {   /* emu-testdev DMA (odd seeds), e.g. onto its own registers */
        uint64_t src = rnd_below(2) ? rnd_below(RAM_SIZE) : rnd_mmio_addr();
        uint64_t dst = rnd_below(2) ? rnd_below(RAM_SIZE) : rnd_mmio_addr();
        uint32_t len = rnd_below(4) ? rnd_below(0x100) : rnd_value();

        note("testdev dma 0x%" PRIx64 " -> 0x%" PRIx64 " len 0x%x",
             src, dst, len);
        qtest_writeq(s, TESTDEV_BASE + 0x18, src);
        qtest_writeq(s, TESTDEV_BASE + 0x20, dst);
        qtest_writel(s, TESTDEV_BASE + 0x28, len);
        qtest_writel(s, TESTDEV_BASE + 0x14, 1);
        break;
    }
    default:    /* fw_cfg: select a key and read it */
        op_out(s, 0x510, 2, rnd_below(4) ? rnd_below(0x40) : rnd_value());
        for (unsigned i = rnd_below(64); i > 0; i--) {
            (void)op_in(s, 0x511, 1);
        }
        break;
    }
}

static void run_one_op(QTestState *s)
{
    unsigned r = rnd_below(1000);

    if (r < 300) {
        op_out(s, rnd_port(), rnd_size(), rnd_value());
    } else if (r < 450) {
        (void)op_in(s, rnd_port(), rnd_size());
    } else if (r < 600) {
        uint32_t bdf = rnd_pci_devfn_bus();
        uint8_t reg = rnd_below(256);
        unsigned size = rnd_size();

        if (rnd_below(2)) {
            pci_cfg_write(s, bdf, reg, size, rnd_value());
        } else {
            (void)pci_cfg_read(s, bdf, reg, size);
        }
    } else if (r < 630) {
        op_bar(s);
    } else if (r < 660) {
        op_fw_cfg_dma(s);
    } else if (r < 760) {
        op_mmio(s);
    } else if (r < 860) {
        op_ioapic(s);
    } else if (r < 940) {
        op_clock(s);
    } else if (r < 990) {
        op_sequence(s);
    } else if (r < 998) {
        pm_map(s);
    } else {
        op_reset(s);
    }
}

/* PCI vendor ID of 00.0 (the i440FX host bridge) */
static uint16_t host_vendor(QTestState *s)
{
    qtest_outl(s, 0xcf8, 0x80000000u);
    return qtest_inw(s, 0xcfc);
}

static void run_seed(uint64_t seed, unsigned nops)
{
    QTestState *s;
    json_object *r;

    cur_seed = seed;
    cur_op = 0;
    cur_nops = nops;
    ring_next = 0;
    nbar_addrs = 0;
    rng_state = seed;
    qtest_tap_diag("seed %" PRIu64 ", %u operations", seed, nops);

    /*
     * -no-shutdown: a guest S5 must not end the run; a stopped VM is
     * resumed by op_reset().  Two serial ports and debugcon so that their
     * ports are decoded.  Odd seeds add emu-testdev, a second DMA master
     * (fw_cfg DMA can start its DMA and the other way round).
     */
    s = qtest_initf("-M pc -m 64M -no-shutdown -serial null -serial null "
                    "-chardev null,id=dbg "
                    "-device isa-debugcon,iobase=0x402,chardev=dbg%s",
                    (seed & 1) ? " -device emu-testdev" : "");
    install_abort_hook();

    /* Some seeds map the PM block up front so its registers get traffic */
    if (seed & 1) {
        pm_map(s);
    }
    for (cur_op = 0; cur_op < nops; cur_op++) {
        run_one_op(s);
    }

    QT_CHECK_EQ(host_vendor(s), 0x8086,
                "seed %" PRIu64 ": emu still answers PCI config", seed);
    r = qtest_qmp(s, "{'execute': 'query-status'}");
    QT_CHECK(r && json_object_object_get_ex(r, "return", NULL),
             "seed %" PRIu64 ": emu still answers QMP", seed);
    json_object_put(r);
    qtest_quit(s);
    QT_CHECK(true, "seed %" PRIu64 ": emu quit cleanly", seed);
}

int main(int argc, char **argv)
{
    uint64_t first = DEFAULT_FIRST_SEED;
    unsigned nseeds = DEFAULT_NSEEDS, nops = DEFAULT_OPS;

    if (argc > 1) {
        first = strtoull(argv[1], NULL, 0);
    }
    if (argc > 2) {
        nseeds = strtoul(argv[2], NULL, 0);
    }
    if (argc > 3) {
        nops = strtoul(argv[3], NULL, 0);
    }
    /* A hang is a bug: do not wait libqtest's default 30 s for it */
    setenv("QTEST_TIMEOUT", "15", 0);
    /* Under --enable-sanitizers, make UBSan findings fatal for emu too */
    setenv("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1", 0);
    qtest_skip_if_no_emu();
    for (unsigned i = 0; i < nseeds; i++) {
        run_seed(first + i, nops);
    }
    return qtest_tap_finish();
}
