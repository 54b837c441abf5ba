/* emu-testdev test: registers, port I/O, IRQ, timer, DMA and reset. */
#include "emu/osdep.h"
#include "libqtest.h"

#define TD_BASE      0xfe000000ULL
#define TD_ID        (TD_BASE + 0x00)
#define TD_SCRATCH   (TD_BASE + 0x04)
#define TD_IRQCTL    (TD_BASE + 0x08)
#define TD_COUNTER   (TD_BASE + 0x0c)
#define TD_TIMER     (TD_BASE + 0x10)
#define TD_DMACMD    (TD_BASE + 0x14)
#define TD_DMASRC    (TD_BASE + 0x18)
#define TD_DMADST    (TD_BASE + 0x20)
#define TD_DMALEN    (TD_BASE + 0x28)
#define TD_STATUS    (TD_BASE + 0x2c)
#define TD_INPUT     (TD_BASE + 0x30)
#define TD_PIO       0xe0
#define TD_PATH      "/machine/peripheral/td"

static void test_registers(QTestState *s)
{
    uint32_t c0;

    QT_CHECK_EQ(qtest_readl(s, TD_ID), 0x454d5554, "ID register reads EMUT");
    QT_CHECK_EQ(qtest_readb(s, TD_ID), 0x54, "byte read of ID (low byte)");
    QT_CHECK_EQ(qtest_readw(s, TD_ID + 2), 0x454d,
                "word read of ID (high half)");
    qtest_writel(s, TD_ID, 0);
    QT_CHECK_EQ(qtest_readl(s, TD_ID), 0x454d5554, "ID is read-only");

    qtest_writel(s, TD_SCRATCH, 0xcafef00d);
    QT_CHECK_EQ(qtest_readl(s, TD_SCRATCH), 0xcafef00d, "scratch read/write");
    qtest_writeb(s, TD_SCRATCH + 1, 0x11);
    QT_CHECK_EQ(qtest_readl(s, TD_SCRATCH), 0xcafe110d,
                "byte write into scratch keeps the other bytes");
    QT_CHECK_EQ(qtest_readq(s, TD_ID), 0xcafe110d454d5554ULL,
                "8-byte read is split into ID and scratch");
    qtest_writeq(s, TD_DMASRC, 0x0000000100002000ULL);
    QT_CHECK_EQ(qtest_readl(s, TD_DMASRC + 4), 1,
                "8-byte write reaches the high register");
    QT_CHECK_EQ(qtest_readq(s, TD_DMASRC), 0x0000000100002000ULL,
                "64-bit DMA source register");

    c0 = qtest_readl(s, TD_COUNTER);
    QT_CHECK_EQ(qtest_readl(s, TD_COUNTER), c0 + 1, "counter increments");
    QT_CHECK_EQ(qtest_readl(s, TD_COUNTER), c0 + 2, "counter increments again");
}

static void test_pio(QTestState *s)
{
    char *r;

    qtest_outb(s, TD_PIO, 0x42);
    QT_CHECK_EQ(qtest_inb(s, TD_PIO), 0x42, "port scratch read/write");
    QT_CHECK_EQ(qtest_inb(s, TD_PIO + 1), 0x5a, "port ID byte");
    qtest_outb(s, TD_PIO + 1, 0);
    QT_CHECK_EQ(qtest_inb(s, TD_PIO + 1), 0x5a, "port ID byte is read-only");
    QT_CHECK_EQ(qtest_inw(s, TD_PIO), 0x5a42, "inw combines both ports");
    r = qtest_cmd(s, "inb 0x%x", TD_PIO + 1);
    QT_CHECK_STR(r, "OK 0x005a", "inb reply format");
    free(r);
}

static void test_irq(QTestState *s)
{
    char *r;

    qtest_irq_intercept_out(s, TD_PATH);
    QT_CHECK(!qtest_get_irq(s, 0), "IRQ starts low");
    qtest_writel(s, TD_IRQCTL, 1);
    QT_CHECK(qtest_get_irq(s, 0), "IRQ raised by IRQCTL=1");
    QT_CHECK_EQ(qtest_readl(s, TD_IRQCTL), 1, "IRQCTL reads the level");
    qtest_writel(s, TD_IRQCTL, 0);
    QT_CHECK(!qtest_get_irq(s, 0), "IRQ lowered by IRQCTL=0");

    /* The IRQ line arrives before the OK of the write that caused it */
    r = qtest_cmd(s, "writel 0x%llx 1", (unsigned long long)TD_IRQCTL);
    QT_CHECK_STR(r, "OK", "write raising the IRQ answers OK");
    free(r);
    r = qtest_cmd(s, "writel 0x%llx 0", (unsigned long long)TD_IRQCTL);
    free(r);

    r = qtest_cmd(s, "irq_intercept_out %s", TD_PATH);
    QT_CHECK_STR(r, "OK", "intercepting the same device again is OK");
    free(r);
}

static void test_timer(QTestState *s)
{
    int64_t t0, t1;

    qtest_writel(s, TD_TIMER, 100000);
    qtest_clock_step(s, 50000);
    QT_CHECK(!qtest_get_irq(s, 0), "timer IRQ not raised half-way");
    QT_CHECK_EQ(qtest_readl(s, TD_TIMER), 50000, "timer: ns left");
    qtest_clock_step(s, 49999);
    QT_CHECK(!qtest_get_irq(s, 0), "timer IRQ not raised 1 ns early");
    qtest_clock_step(s, 1);
    QT_CHECK(qtest_get_irq(s, 0), "timer IRQ raised at the deadline");
    QT_CHECK_EQ(qtest_readl(s, TD_TIMER), 0, "timer idle after firing");
    qtest_writel(s, TD_IRQCTL, 0);
    QT_CHECK(!qtest_get_irq(s, 0), "IRQ lowered after the timer");

    /* clock_step without argument runs to the timer's deadline */
    t0 = qtest_clock_step(s, 1000);
    qtest_writel(s, TD_TIMER, 12345);
    t1 = qtest_clock_step_next(s);
    QT_CHECK_EQ(t1, t0 + 12345, "clock_step to the next deadline");
    QT_CHECK(qtest_get_irq(s, 0), "timer IRQ raised at the next deadline");
    qtest_writel(s, TD_IRQCTL, 0);

    /* Writing 0 cancels */
    qtest_writel(s, TD_TIMER, 500);
    qtest_writel(s, TD_TIMER, 0);
    qtest_clock_step(s, 1000);
    QT_CHECK(!qtest_get_irq(s, 0), "cancelled timer does not fire");
}

static void set_dma(QTestState *s, uint64_t src, uint64_t dst, uint32_t len)
{
    qtest_writeq(s, TD_DMASRC, src);
    qtest_writeq(s, TD_DMADST, dst);
    qtest_writel(s, TD_DMALEN, len);
}

static void test_dma(QTestState *s)
{
    uint8_t pattern[4096], got[4096];
    uint8_t regs[0x30];

    for (size_t i = 0; i < sizeof(pattern); i++) {
        pattern[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5c);
    }
    qtest_memwrite(s, 0x100000, pattern, sizeof(pattern));
    qtest_memset(s, 0x200000, 0, sizeof(pattern));
    set_dma(s, 0x100000, 0x200000, sizeof(pattern));
    qtest_writel(s, TD_DMACMD, 1);
    QT_CHECK_EQ(qtest_readl(s, TD_STATUS), 0, "DMA RAM->RAM status OK");
    qtest_memread(s, 0x200000, got, sizeof(got));
    QT_CHECK(memcmp(got, pattern, sizeof(got)) == 0, "DMA copied the data");

    /* From unassigned memory: fails cleanly, destination untouched */
    qtest_memset(s, 0x300000, 0x77, 64);
    set_dma(s, 0x40000000, 0x300000, 64);
    qtest_writel(s, TD_DMACMD, 1);
    QT_CHECK_EQ(qtest_readl(s, TD_STATUS), 1,
                "DMA from unassigned sets status");
    QT_CHECK_EQ(qtest_readb(s, 0x300000), 0x77,
                "failed DMA leaves the destination alone");

    qtest_writel(s, TD_STATUS, 0);
    QT_CHECK_EQ(qtest_readl(s, TD_STATUS), 0, "status cleared by a write");

    /* Running off the end of RAM, wrapping, huge lengths */
    set_dma(s, 16 * MiB - 16, 0x300000, 64);
    qtest_writel(s, TD_DMACMD, 1);
    QT_CHECK_EQ(qtest_readl(s, TD_STATUS), 1, "DMA past the end of RAM fails");
    set_dma(s, 0xfffffffffffffff0ULL, 0x300000, 64);
    qtest_writel(s, TD_DMACMD, 1);
    QT_CHECK_EQ(qtest_readl(s, TD_STATUS), 1, "wrapping DMA fails");
    set_dma(s, 0x100000, 0x300000, 0xffffffff);
    qtest_writel(s, TD_DMACMD, 1);
    QT_CHECK_EQ(qtest_readl(s, TD_STATUS), 1, "huge DMA length fails");

    /* DMA into the device's own registers, with DMACMD=1 in the data */
    memset(regs, 0, sizeof(regs));
    regs[0x14] = 1;
    qtest_memwrite(s, 0x310000, regs, sizeof(regs));
    set_dma(s, 0x310000, TD_BASE, sizeof(regs));
    qtest_writel(s, TD_DMACMD, 1);
    QT_CHECK_EQ(qtest_readl(s, TD_ID), 0x454d5554,
                "emu survives a DMA into the device's own registers");
    qtest_writel(s, TD_STATUS, 0);
}

static void test_reset(QTestState *s)
{
    json_object *ret;

    qtest_writel(s, TD_SCRATCH, 0x1234);
    qtest_outb(s, TD_PIO, 0x99);
    qtest_readl(s, TD_COUNTER);
    qtest_writel(s, TD_IRQCTL, 1);
    QT_CHECK(qtest_get_irq(s, 0), "IRQ high before reset");

    ret = qtest_qmp_ok(s, "{'execute': 'system_reset'}");
    json_object_put(ret);
    qtest_qmp_eventwait(s, "RESET");

    QT_CHECK_EQ(qtest_readl(s, TD_SCRATCH), 0, "reset clears scratch");
    QT_CHECK_EQ(qtest_inb(s, TD_PIO), 0, "reset clears the port scratch");
    QT_CHECK_EQ(qtest_readl(s, TD_COUNTER), 0, "reset clears the counter");
    QT_CHECK_EQ(qtest_readl(s, TD_IRQCTL), 0, "reset lowers the IRQ level");
    QT_CHECK(!qtest_get_irq(s, 0), "reset lowered the IRQ line");
    QT_CHECK_EQ(qtest_readl(s, TD_ID), 0x454d5554, "ID after reset");
}

/* A second session: input lines, set_irq_in and irq_intercept_in */
static void test_input(void)
{
    QTestState *s = qtest_init("-m 16M -device emu-testdev,id=td");
    char *r;

    qtest_set_irq_in(s, TD_PATH, NULL, 0, 1);
    QT_CHECK_EQ(qtest_readl(s, TD_INPUT), 1, "set_irq_in raises the input");
    qtest_set_irq_in(s, TD_PATH, "unnamed-gpio-in", 0, 0);
    QT_CHECK_EQ(qtest_readl(s, TD_INPUT), 0, "set_irq_in lowers the input");

    r = qtest_cmd(s, "set_irq_in %s unnamed-gpio-in 1 1", TD_PATH);
    QT_CHECK(r && !strncmp(r, "FAIL", 4), "set_irq_in of a missing line fails");
    free(r);
    r = qtest_cmd(s, "set_irq_in %s no-such-group 0 1", TD_PATH);
    QT_CHECK(r && !strncmp(r, "FAIL", 4),
             "set_irq_in of a missing group fails");
    free(r);

    /* Intercepted inputs are reported and still reach the device */
    qtest_irq_intercept_in(s, "td");
    qtest_set_irq_in(s, TD_PATH, NULL, 0, 1);
    QT_CHECK(qtest_get_irq(s, 0), "intercepted input reported high");
    QT_CHECK_EQ(qtest_readl(s, TD_INPUT), 1,
                "intercepted input still reaches the device");
    qtest_set_irq_in(s, TD_PATH, NULL, 0, 0);
    QT_CHECK(!qtest_get_irq(s, 0), "intercepted input reported low");
    QT_CHECK_EQ(qtest_readl(s, TD_INPUT), 0, "device sees the input low");
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    QTestState *s;

    qtest_skip_if_no_emu();
    s = qtest_init("-m 16M -device emu-testdev,id=td");
    test_registers(s);
    test_pio(s);
    test_irq(s);
    test_timer(s);
    test_dma(s);
    test_reset(s);
    qtest_quit(s);
    test_input();
    QT_CHECK(true, "emu exited cleanly");
    return qtest_tap_finish();
}
