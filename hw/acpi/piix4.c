/* PIIX4_PM: ACPI power management of the PC (PM1 event/control, PM timer, SCI, power button, soft-off). */
#include "emu/osdep.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "hw/acpi/piix4.h"
#include "hw/isa/isa.h"
#include "migration/vmstate.h"
#include "system/runstate.h"

#define PIIX4_PMBA_MASK     0xffc0u     /* 64-byte aligned I/O base */
#define PIIX4_PMBA_RTE      0x01u       /* resource type: I/O, read-only */
#define PIIX4_SMBHSTCFG     0xd2
#define PM_TMR_BITS         24
#define PM_TMR_MSB_PERIOD   (1ull << (PM_TMR_BITS - 1))

/* Events that raise the SCI when both status and enable are set */
#define PM1_SCI_EVENTS (ACPI_BITMASK_TIMER_STATUS |                     \
                        ACPI_BITMASK_GLOBAL_LOCK_STATUS |               \
                        ACPI_BITMASK_POWER_BUTTON_STATUS |              \
                        ACPI_BITMASK_RT_CLOCK_STATUS)
#define PM1_STS_BITS   (PM1_SCI_EVENTS | ACPI_BITMASK_BUS_MASTER_STATUS | \
                        ACPI_BITMASK_SLEEP_BUTTON_STATUS |              \
                        ACPI_BITMASK_WAKE_STATUS)
#define PM1_EN_BITS    (ACPI_BITMASK_TIMER_ENABLE |                     \
                        ACPI_BITMASK_GLOBAL_LOCK_ENABLE |               \
                        ACPI_BITMASK_POWER_BUTTON_ENABLE |              \
                        ACPI_BITMASK_RT_CLOCK_ENABLE)
/* SCI_EN, BM_RLD, GBL_RLS and SLP_TYP are kept; SLP_EN reads as 0 */
#define PM1_CNT_BITS   (0x0007 | ACPI_BITMASK_SLEEP_TYPE)

typedef struct PIIX4PMState {
    PCIDevice parent_obj;
    MemoryRegion io;
    bool io_mapped;
    ISABus *isa_bus;
    EmuTimer *tmr_timer;
    /* properties */
    uint8_t disable_s3;
    uint8_t disable_s4;
    uint8_t s4_val;
    uint32_t smb_io_base;
    /* state */
    uint16_t pm1_sts;
    uint16_t pm1_en;
    uint16_t pm1_cnt;
    int64_t tmr_overflow_ns;    /* virtual time of the next bit-23 toggle */
    bool sci_level;
    bool smbus_logged;
} PIIX4PMState;

static PIIX4PMState *piix4_pm_instance;

static uint32_t pm_tmr_ticks(int64_t ns)
{
    return (uint32_t)((__int128)ns * ACPI_PM_TIMER_FREQUENCY /
                      NANOSECONDS_PER_SECOND);
}

static int64_t pm_tmr_next_toggle_ns(int64_t now)
{
    unsigned __int128 ticks = (__int128)now * ACPI_PM_TIMER_FREQUENCY /
                              NANOSECONDS_PER_SECOND;
    unsigned __int128 next = (ticks / PM_TMR_MSB_PERIOD + 1) *
                             PM_TMR_MSB_PERIOD;

    /* First ns at which the counter has reached 'next' */
    return (int64_t)((next * NANOSECONDS_PER_SECOND +
                      ACPI_PM_TIMER_FREQUENCY - 1) / ACPI_PM_TIMER_FREQUENCY);
}

static void piix4_update_sci(PIIX4PMState *s)
{
    bool level = (s->pm1_sts & s->pm1_en & PM1_SCI_EVENTS) != 0;

    if (level == s->sci_level) {
        return;
    }
    s->sci_level = level;
    if (s->isa_bus) {
        irq_set(&s->isa_bus->irqs[PIIX4_SCI_IRQ], level);
    }
}

/* Latch TMROF_STS if the MSB toggled since we last looked */
static void piix4_tmr_check(PIIX4PMState *s)
{
    int64_t now = clock_get_ns(EMU_CLOCK_VIRTUAL);

    if (now >= s->tmr_overflow_ns) {
        s->pm1_sts |= ACPI_BITMASK_TIMER_STATUS;
        s->tmr_overflow_ns = pm_tmr_next_toggle_ns(now);
    }
}

/* The timer only needs to run while the overflow may raise the SCI */
static void piix4_tmr_rearm(PIIX4PMState *s)
{
    if (s->pm1_en & ACPI_BITMASK_TIMER_ENABLE) {
        timer_mod(s->tmr_timer, s->tmr_overflow_ns);
    } else {
        timer_del(s->tmr_timer);
    }
}

static void piix4_tmr_cb(void *opaque)
{
    PIIX4PMState *s = opaque;

    piix4_tmr_check(s);
    piix4_update_sci(s);
    piix4_tmr_rearm(s);
}

static void piix4_sleep(PIIX4PMState *s, unsigned slp_typ)
{
    if (slp_typ == PIIX4_SLP_TYP_S5) {
        system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    } else if (slp_typ == PIIX4_SLP_TYP_S3) {
        emu_log_mask(LOG_UNIMP, "PIIX4_PM: S3 suspend not supported%s\n",
                     s->disable_s3 ? " (and disabled)" : "");
    } else if (slp_typ == s->s4_val && !s->disable_s4) {
        /* No hibernation image to keep: S4 ends the VM like S5 */
        system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    } else {
        emu_log_mask(LOG_GUEST_ERROR, "PIIX4_PM: unknown sleep type %u\n",
                     slp_typ);
    }
}

/* The first 12 bytes of the block as the guest sees them */
static void piix4_pm_snapshot(PIIX4PMState *s, uint8_t *b)
{
    uint32_t tmr = pm_tmr_ticks(clock_get_ns(EMU_CLOCK_VIRTUAL)) &
                   ((1u << PM_TMR_BITS) - 1);

    piix4_tmr_check(s);
    pci_set_word(b + ACPI_PM1_STS, s->pm1_sts);
    pci_set_word(b + ACPI_PM1_EN, s->pm1_en);
    pci_set_word(b + ACPI_PM1_CNT, s->pm1_cnt);
    pci_set_word(b + 6, 0);
    pci_set_long(b + ACPI_PM_TMR, tmr);
}

static uint64_t piix4_pm_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint8_t b[12];
    uint64_t v = 0;
    unsigned i;

    piix4_pm_snapshot(s, b);
    for (i = 0; i < size; i++) {
        if (addr + i < sizeof(b)) {
            v |= (uint64_t)b[addr + i] << (8 * i);
        }
    }
    if (addr + size > sizeof(b)) {
        emu_log_mask(LOG_UNIMP, "PIIX4_PM: read of unimplemented register "
                     "0x%02" PRIx64 "\n", (uint64_t)addr);
    }
    piix4_update_sci(s);
    return v;
}

/* Bits of the 16-bit register at reg that this access writes */
static uint16_t pm_write_mask(hwaddr addr, unsigned size, hwaddr reg)
{
    uint16_t mask = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        if (addr + i == reg) {
            mask |= 0x00ff;
        } else if (addr + i == reg + 1) {
            mask |= 0xff00;
        }
    }
    return mask;
}

static uint16_t pm_write_value(hwaddr addr, uint64_t val, hwaddr reg)
{
    /* Shift the written bytes to the register's byte lanes */
    if (reg >= addr) {
        return (uint16_t)(val >> (8 * (reg - addr)));
    }
    return (uint16_t)(val << (8 * (addr - reg)));
}

static void piix4_pm_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    PIIX4PMState *s = opaque;
    uint16_t m, v;

    m = pm_write_mask(addr, size, ACPI_PM1_STS);
    if (m) {
        v = pm_write_value(addr, val, ACPI_PM1_STS) & m;
        piix4_tmr_check(s);
        s->pm1_sts &= ~(v & PM1_STS_BITS);
    }
    m = pm_write_mask(addr, size, ACPI_PM1_EN);
    if (m) {
        v = pm_write_value(addr, val, ACPI_PM1_EN);
        s->pm1_en = ((s->pm1_en & ~m) | (v & m)) & PM1_EN_BITS;
        piix4_tmr_rearm(s);
    }
    m = pm_write_mask(addr, size, ACPI_PM1_CNT);
    if (m) {
        uint16_t cnt;
        v = pm_write_value(addr, val, ACPI_PM1_CNT);
        cnt = (s->pm1_cnt & ~m) | (v & m);
        s->pm1_cnt = cnt & PM1_CNT_BITS;
        if ((m & 0xff00) && (cnt & ACPI_BITMASK_SLEEP_ENABLE)) {
            piix4_sleep(s, (cnt & ACPI_BITMASK_SLEEP_TYPE) >> 10);
        }
    }
    if (addr + size > ACPI_PM1_CNT + 2) {
        emu_log_mask(addr >= ACPI_PM_TMR && addr < ACPI_PM_TMR + 4
                     ? LOG_GUEST_ERROR : LOG_UNIMP,
                     "PIIX4_PM: write 0x%" PRIx64 " to register 0x%02" PRIx64
                     " ignored\n", val, (uint64_t)addr);
    }
    piix4_update_sci(s);
}

static const MemoryRegionOps piix4_pm_ops = {
    .read = piix4_pm_read,
    .write = piix4_pm_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

/* Place the PM block where PMBA and PMIOSE say */
static void piix4_pm_io_update(PIIX4PMState *s)
{
    PCIDevice *dev = &s->parent_obj;
    uint32_t base = pci_get_long(dev->config + PIIX4_PMBA) & PIIX4_PMBA_MASK;
    bool on = (dev->config[PIIX4_PMREGMISC] & 1) && base != 0;

    memory_region_transaction_begin();
    if (s->io_mapped) {
        memory_region_del_subregion(dev->bus->address_space_io, &s->io);
        s->io_mapped = false;
    }
    if (on) {
        memory_region_add_subregion_overlap(dev->bus->address_space_io, base,
                                            &s->io, 0);
        s->io_mapped = true;
    }
    memory_region_transaction_commit();
}

static void piix4_pm_config_write(PCIDevice *dev, uint32_t addr,
                                  uint32_t val, int len)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;

    pci_default_write_config(dev, addr, val, len);
    if ((addr < PIIX4_PMBA + 4 && addr + len > PIIX4_PMBA) ||
        (addr <= PIIX4_PMREGMISC && addr + len > PIIX4_PMREGMISC)) {
        piix4_pm_io_update(s);
    }
    if (addr <= PIIX4_SMBHSTCFG && addr + len > PIIX4_SMBHSTCFG &&
        (dev->config[PIIX4_SMBHSTCFG] & 1) && !s->smbus_logged) {
        s->smbus_logged = true;
        emu_log_mask(LOG_UNIMP, "PIIX4_PM: SMBus host controller not "
                     "emulated\n");
    }
}

static void piix4_powerdown(void)
{
    PIIX4PMState *s = piix4_pm_instance;

    if (!s) {
        return;
    }
    /* The button latches its status; the SCI follows PWRBTN_EN */
    s->pm1_sts |= ACPI_BITMASK_POWER_BUTTON_STATUS;
    piix4_update_sci(s);
}

static void piix4_pm_reset(PCIDevice *dev);

static void piix4_pm_realize(PCIDevice *dev, Error **errp)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;
    PCIDevice *f0 = dev->bus->devices[PCI_DEVFN(PCI_SLOT(dev->devfn), 0)];
    BusState *b;

    /* SCI is wired to IRQ 9 of the ISA bus of our PIIX (function 0) */
    s->isa_bus = NULL;
    if (f0 && f0 != dev) {
        TAILQ_FOREACH(b, &f0->qdev.child_buses, sibling) {
            if (!strcmp(b->info->type, BUS_TYPE_ISA)) {
                s->isa_bus = (ISABus *)b;
            }
        }
    }
    if (!s->isa_bus) {
        s->isa_bus = (ISABus *)bus_find_by_type(BUS_TYPE_ISA);
    }
    if (!s->isa_bus) {
        error_setg(errp, "PIIX4_PM: no ISA bus for the SCI");
        return;
    }
    dev->config[PCI_INTERRUPT_PIN] = 1;
    /* PMBA: only the base bits; PMREGMISC: only PMIOSE */
    pci_set_long(dev->wmask + PIIX4_PMBA, PIIX4_PMBA_MASK);
    dev->wmask[PIIX4_PMREGMISC] = 0x01;
    memory_region_init_io(&s->io, &dev->qdev, &piix4_pm_ops, s, "piix4-pm",
                          PIIX4_PM_IO_SIZE);
    s->tmr_timer = timer_new_ns(EMU_CLOCK_VIRTUAL, piix4_tmr_cb, s);
    s->sci_level = false;
    piix4_pm_reset(dev);
    piix4_pm_instance = s;
    system_set_powerdown_notifier(piix4_powerdown);
}

static void piix4_pm_exit(PCIDevice *dev)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;

    if (s->io_mapped) {
        memory_region_del_subregion(dev->bus->address_space_io, &s->io);
        s->io_mapped = false;
    }
    memory_region_finalize(&s->io);
    timer_free(s->tmr_timer);
    s->tmr_timer = NULL;
    if (piix4_pm_instance == s) {
        piix4_pm_instance = NULL;
        system_set_powerdown_notifier(NULL);
    }
}

static void piix4_pm_reset(PCIDevice *dev)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;

    pci_set_long(dev->config + PIIX4_PMBA, PIIX4_PMBA_RTE);
    dev->config[PIIX4_PMREGMISC] = 0;
    dev->config[PIIX4_SMBHSTCFG] = 0;
    pci_set_long(dev->config + 0x90, 1);   /* SMBBA: I/O indicator */
    /*
     * emu emulates no SMM: report APMC_EN (DEVACTB bit 25, byte 0x5b
     * bit 1) as "SMM already initialised" so that firmware does not wait
     * for an SMI handler that will never run, as QEMU does without SMM.
     */
    dev->config[0x5b] = 0x02;
    s->pm1_sts = 0;
    s->pm1_en = 0;
    /*
     * No SMI command port: the tables (FADT SMI_CMD = 0) say the
     * machine is always in ACPI mode, so SCI_EN reads as set.
     */
    s->pm1_cnt = ACPI_BITMASK_SCI_ENABLE;
    s->tmr_overflow_ns = pm_tmr_next_toggle_ns(
        clock_get_ns(EMU_CLOCK_VIRTUAL));
    piix4_tmr_rearm(s);
    piix4_update_sci(s);
    piix4_pm_io_update(s);
}

static int piix4_pm_post_load(void *opaque, int version_id)
{
    PIIX4PMState *s = opaque;
    int64_t now = clock_get_ns(EMU_CLOCK_VIRTUAL);

    s->pm1_sts &= PM1_STS_BITS;
    s->pm1_en &= PM1_EN_BITS;
    s->pm1_cnt &= PM1_CNT_BITS;
    /* A toggle time from a stream must be sane for this clock */
    if (s->tmr_overflow_ns < 0 ||
        s->tmr_overflow_ns > pm_tmr_next_toggle_ns(now)) {
        s->tmr_overflow_ns = pm_tmr_next_toggle_ns(now);
    }
    piix4_pm_io_update(s);
    piix4_tmr_rearm(s);
    s->sci_level = !((s->pm1_sts & s->pm1_en & PM1_SCI_EVENTS) != 0);
    piix4_update_sci(s);
    return 0;
}

static const VMStateField piix4_pm_fields[] = {
    VMSTATE_STRUCT(parent_obj, PIIX4PMState, vmstate_pci_device),
    VMSTATE_UINT16(pm1_sts, PIIX4PMState),
    VMSTATE_UINT16(pm1_en, PIIX4PMState),
    VMSTATE_UINT16(pm1_cnt, PIIX4PMState),
    VMSTATE_INT64(tmr_overflow_ns, PIIX4PMState),
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription vmstate_piix4_pm = {
    .name = "piix4_pm",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = piix4_pm_post_load,
    .fields = piix4_pm_fields,
};

static const Property piix4_pm_props[] = {
    DEFINE_PROP_UINT32("smb_io_base", PIIX4PMState, smb_io_base, 0),
    DEFINE_PROP_UINT8("disable_s3", PIIX4PMState, disable_s3, 0),
    DEFINE_PROP_UINT8("disable_s4", PIIX4PMState, disable_s4, 0),
    DEFINE_PROP_UINT8("s4_val", PIIX4PMState, s4_val, 2),
    DEFINE_PROP_END_OF_LIST(),
};

static const PCIDeviceInfo piix4_pm_pci_info = {
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = PCI_DEVICE_ID_INTEL_82371AB_3,
    .revision = 0x03,
    .class_id = PCI_CLASS_BRIDGE_OTHER,
    .realize = piix4_pm_realize,
    .exit = piix4_pm_exit,
    .reset = piix4_pm_reset,
    .config_write = piix4_pm_config_write,
};

static const DeviceInfo piix4_pm_info = {
    .name = TYPE_PIIX4_PM,
    .desc = "PM",
    .bus_type = BUS_TYPE_PCI,
    .category = "Bridge devices",
    .instance_size = sizeof(PIIX4PMState),
    .props = piix4_pm_props,
    .parent_props = pci_device_props,
    .vmsd = &vmstate_piix4_pm,
    .reset = pci_device_reset,
    .class_data = &piix4_pm_pci_info,
};
DEVICE_REGISTER(piix4_pm_info);

DeviceState *piix4_pm_init(PCIBus *bus, int devfn, Error **errp)
{
    PCIDevice *dev = pci_create_simple(bus, devfn, TYPE_PIIX4_PM, errp);

    return dev ? &dev->qdev : NULL;
}
