/*
 * The "kvm" accelerator: guest code runs on the host CPU through
 * /dev/kvm; one thread per vCPU, memory slots from the memory API, the
 * in-kernel PIC/IOAPIC/LAPIC and PIT.
 */
#include "emu/osdep.h"
#include "emu/thread.h"
#include "emu/main-loop.h"
#include "emu/log.h"
#include "system/accel.h"
#include "system/kvm.h"
#include "system/memory.h"
#include "system/runstate.h"
#include "monitor/monitor.h"
#include "kvm-internal.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define KVM_DEVICE "/dev/kvm"
#define KVM_EXPECTED_API_VERSION 12
/* The vCPU kick: interrupts KVM_RUN (the handler sets immediate_exit) */
#define SIG_IPI SIGUSR1
#define KVM_MAX_SLOTS 512
#define KVM_PAGE_SIZE 4096ull

typedef struct KVMSlot {
    bool used;
    uint32_t flags;
    uint64_t gpa;
    uint64_t size;
    void *host;
    MemoryRegion *mr;
    hwaddr offset_in_region;
    unsigned long *dirty_bmap;      /* for KVM_GET_DIRTY_LOG */
} KVMSlot;

static struct {
    int fd;                 /* /dev/kvm */
    int vmfd;
    bool enabled;
    bool irqchip;
    bool pit;
    int nr_slots;
    KVMSlot slots[KVM_MAX_SLOTS];
    MemoryListener listener;

    EmuMutex lock;          /* guards vm_running, quit and KVMCPU.parked */
    EmuCond cond;           /* vCPU threads wait here while they cannot run */
    EmuCond parked_cond;    /* pausers wait here for threads to park */
    bool vm_running;
    bool quit;

    /* event fds (capabilities probed at init) */
    bool has_ioeventfd;
    bool ioeventfd_any_length;
    bool has_irqfd;
    /*
     * The GSI routing table as last given to KVM_SET_GSI_ROUTING (the
     * call replaces the whole table): the pc's irqchip pins, then MSI
     * routes of devices.  msi_gsi_used marks the GSIs handed out.
     */
    struct kvm_irq_routing *routes;
    unsigned routes_cap;
    unsigned max_gsi;               /* KVM_CAP_IRQ_ROUTING, capped */
    bool *msi_gsi_used;             /* max_gsi entries */
} kvm_state = { .fd = -1, .vmfd = -1 };

/* The pc's irqchip routes use GSIs 0-23; MSI routes start above them */
#define KVM_FIRST_MSI_GSI 24
#define KVM_MAX_MSI_GSI 1024

static __thread KVMCPU *kvm_this_cpu;

bool kvm_enabled(void)
{
    return kvm_state.enabled;
}

bool kvm_irqchip_in_kernel(void)
{
    return kvm_state.enabled && kvm_state.irqchip;
}

bool kvm_has_irqchip(void)
{
    return kvm_state.irqchip;
}

bool kvm_pit_in_kernel(void)
{
    return kvm_state.enabled && kvm_state.pit;
}

/* ---- ioctl wrappers ---- */

static int do_ioctl(int fd, unsigned long req, void *arg)
{
    int r;

    do {
        r = ioctl(fd, req, arg);
    } while (r < 0 && errno == EINTR && req != KVM_RUN);
    return r < 0 ? -errno : r;
}

int kvm_ioctl(unsigned long req, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);
    return do_ioctl(kvm_state.fd, req, arg);
}

int kvm_vm_ioctl(unsigned long req, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);
    return do_ioctl(kvm_state.vmfd, req, arg);
}

int kvm_vcpu_ioctl(CPUState *cs, unsigned long req, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);
    return do_ioctl(kvm_cpu(cs)->fd, req, arg);
}

int kvm_check_extension(int cap)
{
    int fd = kvm_state.vmfd >= 0 ? kvm_state.vmfd : kvm_state.fd;
    int r = ioctl(fd, KVM_CHECK_EXTENSION, (unsigned long)cap);

    return r < 0 ? 0 : r;
}

/* ---- availability ---- */

static bool cpu_has_virt_flag(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    bool found = false;

    if (!f) {
        return false;
    }
    while (!found && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "flags", 5)) {
            continue;
        }
        for (char *tok = strtok(line, " \t\n"); tok;
             tok = strtok(NULL, " \t\n")) {
            if (!strcmp(tok, "vmx") || !strcmp(tok, "svm")) {
                found = true;
                break;
            }
        }
        break;      /* the first CPU's flags stand for all */
    }
    fclose(f);
    return found;
}

/* Open /dev/kvm and check the API; the fd or -1 with errp set */
static int kvm_open_device(Error **errp)
{
    int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
    int ver;

    if (fd < 0) {
        error_setg(errp, "Could not access KVM kernel module: %s",
                   strerror(errno));
        return -1;
    }
    ver = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (ver != KVM_EXPECTED_API_VERSION) {
        error_setg(errp, "kvm version %d is not supported (need %d)", ver,
                   KVM_EXPECTED_API_VERSION);
        close(fd);
        return -1;
    }
    return fd;
}

char *kvm_unavailable_reason(void)
{
    Error *err = NULL;
    int fd = kvm_open_device(&err);
    char *reason;

    if (fd < 0) {
        reason = emu_strdup(error_get_pretty(err));
        error_free(err);
        return reason;
    }
    close(fd);
    if (!cpu_has_virt_flag()) {
        return emu_strdup("no hardware virtualization (no vmx/svm flag)");
    }
    return NULL;
}

static bool kvm_accel_available(Error **errp)
{
    int fd = kvm_open_device(errp);

    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

/* ---- memory slots ---- */

static int kvm_set_slot(int id, KVMSlot *s, uint64_t size)
{
    struct kvm_userspace_memory_region r = {
        .slot = (uint32_t)id,
        .flags = s->flags,
        .guest_phys_addr = s->gpa,
        .memory_size = size,
        .userspace_addr = (uintptr_t)s->host,
    };

    return kvm_vm_ioctl(KVM_SET_USER_MEMORY_REGION, &r);
}

/* The page-aligned part of a RAM section, or false if none / not RAM */
static bool section_to_slot(MemoryRegionSection *sec, KVMSlot *out)
{
    MemoryRegion *mr = sec->mr;
    uint64_t start, end, delta;

    if (!memory_region_is_ram(mr)) {
        return false;
    }
    /* a ROM device in I/O mode traps every access */
    if (mr->type == MR_ROMD && !mr->romd_mode) {
        return false;
    }
    start = ROUND_UP(sec->offset_within_address_space, KVM_PAGE_SIZE);
    end = (sec->offset_within_address_space + sec->size) &
          ~(KVM_PAGE_SIZE - 1);
    if (end <= start) {
        return false;
    }
    delta = start - sec->offset_within_address_space;
    memset(out, 0, sizeof(*out));
    out->gpa = start;
    out->size = end - start;
    out->offset_in_region = sec->offset_within_region + delta;
    out->host = (uint8_t *)memory_region_get_ram_ptr(mr) +
                out->offset_in_region;
    out->mr = mr;
    if (sec->readonly || memory_region_is_rom(mr) || mr->type == MR_ROMD) {
        out->flags |= KVM_MEM_READONLY;
    }
    if (mr->dirty_log_mask) {
        out->flags |= KVM_MEM_LOG_DIRTY_PAGES;
    }
    return true;
}

static int find_slot(uint64_t gpa, uint64_t size)
{
    for (int i = 0; i < kvm_state.nr_slots; i++) {
        KVMSlot *s = &kvm_state.slots[i];
        if (s->used && s->gpa == gpa && s->size == size) {
            return i;
        }
    }
    return -1;
}

static void kvm_region_add(MemoryListener *l, MemoryRegionSection *sec)
{
    KVMSlot ns;
    int id = -1, r;

    if (!section_to_slot(sec, &ns)) {
        return;
    }
    if ((ns.flags & KVM_MEM_READONLY) &&
        !kvm_check_extension(KVM_CAP_READONLY_MEM)) {
        /* no read-only slots: the ROM is reached through MMIO exits */
        return;
    }
    for (int i = 0; i < kvm_state.nr_slots; i++) {
        if (!kvm_state.slots[i].used) {
            id = i;
            break;
        }
    }
    if (id < 0) {
        error_report("kvm: out of memory slots (%d) mapping %s at 0x%"
                     PRIx64, kvm_state.nr_slots, memory_region_name(sec->mr),
                     ns.gpa);
        abort();
    }
    ns.used = true;
    r = kvm_set_slot(id, &ns, ns.size);
    if (r < 0) {
        /* the memory map cannot be what the board asked: cannot go on */
        error_report("kvm: KVM_SET_USER_MEMORY_REGION %s at 0x%" PRIx64
                     " size 0x%" PRIx64 " failed: %s",
                     memory_region_name(sec->mr), ns.gpa, ns.size,
                     strerror(-r));
        abort();
    }
    kvm_state.slots[id] = ns;
}

static void kvm_region_del(MemoryListener *l, MemoryRegionSection *sec)
{
    KVMSlot ns;
    int id;

    if (!section_to_slot(sec, &ns)) {
        return;
    }
    id = find_slot(ns.gpa, ns.size);
    if (id < 0) {
        return;
    }
    kvm_set_slot(id, &kvm_state.slots[id], 0);
    free(kvm_state.slots[id].dirty_bmap);
    memset(&kvm_state.slots[id], 0, sizeof(KVMSlot));
}

static void kvm_log_change(MemoryRegionSection *sec, bool on)
{
    KVMSlot ns;
    int id;

    if (!section_to_slot(sec, &ns)) {
        return;
    }
    id = find_slot(ns.gpa, ns.size);
    if (id < 0) {
        return;
    }
    KVMSlot *s = &kvm_state.slots[id];
    uint32_t flags = on ? (s->flags | KVM_MEM_LOG_DIRTY_PAGES)
                        : (s->flags & ~KVM_MEM_LOG_DIRTY_PAGES);
    if (flags != s->flags) {
        s->flags = flags;
        if (kvm_set_slot(id, s, s->size) < 0) {
            error_report("kvm: cannot change dirty logging of slot %d", id);
        }
    }
}

static void kvm_log_start(MemoryListener *l, MemoryRegionSection *sec,
                          int old_mask, int new_mask)
{
    if (!old_mask && new_mask) {
        kvm_log_change(sec, true);
    }
}

static void kvm_log_stop(MemoryListener *l, MemoryRegionSection *sec,
                         int old_mask, int new_mask)
{
    if (old_mask && !new_mask) {
        kvm_log_change(sec, false);
    }
}

static void kvm_log_sync(MemoryListener *l, MemoryRegionSection *sec)
{
    KVMSlot ns;
    int id;

    if (!section_to_slot(sec, &ns)) {
        return;
    }
    id = find_slot(ns.gpa, ns.size);
    if (id < 0 || !(kvm_state.slots[id].flags & KVM_MEM_LOG_DIRTY_PAGES)) {
        return;
    }
    KVMSlot *s = &kvm_state.slots[id];
    uint64_t pages = s->size / KVM_PAGE_SIZE;
    size_t words = (pages + 63) / 64;
    if (!s->dirty_bmap) {
        s->dirty_bmap = emu_malloc0(words * sizeof(unsigned long));
    }
    struct kvm_dirty_log d = { .slot = (uint32_t)id };
    d.dirty_bitmap = s->dirty_bmap;
    if (kvm_vm_ioctl(KVM_GET_DIRTY_LOG, &d) < 0) {
        return;
    }
    for (uint64_t p = 0; p < pages; p++) {
        if (s->dirty_bmap[p / 64] & (1ul << (p % 64))) {
            memory_region_set_dirty(s->mr,
                                    s->offset_in_region + p * KVM_PAGE_SIZE,
                                    KVM_PAGE_SIZE);
        }
    }
}

/* ---- interrupts ---- */

void kvm_set_irq(int gsi, int level)
{
    struct kvm_irq_level irq = { .irq = (uint32_t)gsi, .level = level };

    if (!kvm_state.irqchip || gsi < 0) {
        return;
    }
    int r = kvm_vm_ioctl(KVM_IRQ_LINE_STATUS, &irq);
    if (r < 0) {
        emu_log_mask(LOG_GUEST_ERROR, "kvm: cannot set GSI %d: %s\n", gsi,
                     strerror(-r));
    }
}

void kvm_send_msi(uint64_t addr, uint32_t data)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)addr,
        .address_hi = (uint32_t)(addr >> 32),
        .data = data,
    };

    if (!kvm_state.irqchip) {
        return;
    }
    int r = kvm_vm_ioctl(KVM_SIGNAL_MSI, &msi);
    if (r < 0) {
        emu_log_mask(LOG_GUEST_ERROR, "kvm: MSI to 0x%" PRIx64 " not "
                     "delivered: %s\n", addr, strerror(-r));
    }
}

static struct kvm_irq_routing_entry *route_append(void)
{
    struct kvm_irq_routing *rt = kvm_state.routes;

    if (!rt || rt->nr >= kvm_state.routes_cap) {
        unsigned cap = kvm_state.routes_cap ? kvm_state.routes_cap * 2 : 64;
        rt = emu_realloc(rt, sizeof(*rt) +
                         cap * sizeof(struct kvm_irq_routing_entry));
        if (!kvm_state.routes) {
            rt->nr = 0;
            rt->flags = 0;
        }
        kvm_state.routes = rt;
        kvm_state.routes_cap = cap;
    }
    memset(&rt->entries[rt->nr], 0, sizeof(rt->entries[0]));
    return &rt->entries[rt->nr++];
}

static void add_route(uint32_t gsi, uint32_t chip, uint32_t pin)
{
    struct kvm_irq_routing_entry *e = route_append();

    e->gsi = gsi;
    e->type = KVM_IRQ_ROUTING_IRQCHIP;
    e->u.irqchip.irqchip = chip;
    e->u.irqchip.pin = pin;
}

static int kvm_commit_routes(void)
{
    return kvm_vm_ioctl(KVM_SET_GSI_ROUTING, kvm_state.routes);
}

/*
 * The pc's wiring, as the MADT describes it: ISA IRQs 0-15 reach the
 * i8259 pair and the IOAPIC (ISA IRQ 0, the PIT, on IOAPIC pin 2 through
 * an interrupt source override; GSI 2 is the cascade and not routed),
 * PCI GSIs 16-23 only the IOAPIC.
 */
static bool kvm_pc_setup_irq_routing(Error **errp)
{
    int r;

    for (uint32_t i = 0; i < 8; i++) {
        if (i != 2) {
            add_route(i, KVM_IRQCHIP_PIC_MASTER, i);
        }
    }
    for (uint32_t i = 8; i < 16; i++) {
        add_route(i, KVM_IRQCHIP_PIC_SLAVE, i - 8);
    }
    for (uint32_t i = 0; i < 24; i++) {
        if (i == 0) {
            add_route(0, KVM_IRQCHIP_IOAPIC, 2);
        } else if (i != 2) {
            add_route(i, KVM_IRQCHIP_IOAPIC, i);
        }
    }
    r = kvm_commit_routes();
    if (r < 0) {
        error_setg(errp, "KVM_SET_GSI_ROUTING failed: %s", strerror(-r));
        return false;
    }
    return true;
}

static struct kvm_irq_routing_entry *find_msi_route(int gsi)
{
    struct kvm_irq_routing *rt = kvm_state.routes;

    for (unsigned i = 0; rt && i < rt->nr; i++) {
        if (rt->entries[i].gsi == (uint32_t)gsi &&
            rt->entries[i].type == KVM_IRQ_ROUTING_MSI) {
            return &rt->entries[i];
        }
    }
    return NULL;
}

static void set_msi_route(struct kvm_irq_routing_entry *e, uint64_t addr,
                          uint32_t data)
{
    e->type = KVM_IRQ_ROUTING_MSI;
    e->flags = 0;
    e->u.msi.address_lo = (uint32_t)addr;
    e->u.msi.address_hi = (uint32_t)(addr >> 32);
    e->u.msi.data = data;
}

bool kvm_ioeventfd_available(void)
{
    return kvm_state.enabled && kvm_state.has_ioeventfd;
}

bool kvm_ioeventfd_any_length_available(void)
{
    return kvm_ioeventfd_available() && kvm_state.ioeventfd_any_length;
}

bool kvm_irqfd_msi_available(void)
{
    return kvm_state.enabled && kvm_state.irqchip && kvm_state.has_irqfd &&
           kvm_state.msi_gsi_used;
}

int kvm_irqchip_add_msi_route(uint64_t addr, uint32_t data)
{
    struct kvm_irq_routing_entry *e;
    unsigned gsi;
    int r;

    if (!kvm_irqfd_msi_available()) {
        return -ENOSYS;
    }
    for (gsi = KVM_FIRST_MSI_GSI; gsi < kvm_state.max_gsi; gsi++) {
        if (!kvm_state.msi_gsi_used[gsi]) {
            break;
        }
    }
    if (gsi >= kvm_state.max_gsi) {
        return -ENOSPC;
    }
    e = route_append();
    e->gsi = gsi;
    set_msi_route(e, addr, data);
    r = kvm_commit_routes();
    if (r < 0) {
        kvm_state.routes->nr--;
        return r;
    }
    kvm_state.msi_gsi_used[gsi] = true;
    return (int)gsi;
}

int kvm_irqchip_update_msi_route(int gsi, uint64_t addr, uint32_t data)
{
    struct kvm_irq_routing_entry *e = find_msi_route(gsi);
    struct kvm_irq_routing_entry old;
    int r;

    if (!e) {
        return -ENOENT;
    }
    if (e->u.msi.address_lo == (uint32_t)addr &&
        e->u.msi.address_hi == (uint32_t)(addr >> 32) &&
        e->u.msi.data == data) {
        return 0;
    }
    old = *e;
    set_msi_route(e, addr, data);
    r = kvm_commit_routes();
    if (r < 0) {
        *e = old;
    }
    return r;
}

void kvm_irqchip_release_msi_route(int gsi)
{
    struct kvm_irq_routing *rt = kvm_state.routes;
    struct kvm_irq_routing_entry *e = find_msi_route(gsi);

    if (!e) {
        return;
    }
    *e = rt->entries[rt->nr - 1];
    rt->nr--;
    kvm_state.msi_gsi_used[gsi] = false;
    if (kvm_commit_routes() < 0) {
        /* the stale route is harmless: nothing signals its GSI any more */
        emu_log_mask(LOG_GUEST_ERROR, "kvm: cannot drop the route of GSI "
                     "%d\n", gsi);
    }
}

int kvm_irqchip_add_irqfd(int fd, int resamplefd, int gsi)
{
    struct kvm_irqfd f = { .fd = (uint32_t)fd, .gsi = (uint32_t)gsi };

    if (!kvm_state.irqchip || !kvm_state.has_irqfd) {
        return -ENOSYS;
    }
    if (resamplefd >= 0) {
        f.flags |= KVM_IRQFD_FLAG_RESAMPLE;
        f.resamplefd = (uint32_t)resamplefd;
    }
    return kvm_vm_ioctl(KVM_IRQFD, &f);
}

int kvm_irqchip_remove_irqfd(int fd, int gsi)
{
    struct kvm_irqfd f = {
        .fd = (uint32_t)fd, .gsi = (uint32_t)gsi,
        .flags = KVM_IRQFD_FLAG_DEASSIGN,
    };

    if (!kvm_state.irqchip) {
        return -ENOSYS;
    }
    return kvm_vm_ioctl(KVM_IRQFD, &f);
}

static int set_ioeventfd(int fd, uint64_t addr, uint64_t val, bool assign,
                         unsigned size, bool datamatch, bool pio)
{
    struct kvm_ioeventfd e = {
        .datamatch = datamatch ? val : 0,
        .addr = addr,
        .len = size,
        .fd = fd,
    };

    if (!kvm_state.enabled) {
        return -ENOSYS;
    }
    if (!kvm_state.has_ioeventfd) {
        return -ENOSYS;
    }
    /* size 0: any write to addr (MMIO only, KVM_CAP_IOEVENTFD_ANY_LENGTH) */
    if (size == 0 ? pio || datamatch || !kvm_state.ioeventfd_any_length
                  : size != 1 && size != 2 && size != 4 && size != 8) {
        return -EINVAL;
    }
    if (pio) {
        e.flags |= KVM_IOEVENTFD_FLAG_PIO;
    }
    if (datamatch) {
        e.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
    }
    if (!assign) {
        e.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
    }
    return kvm_vm_ioctl(KVM_IOEVENTFD, &e);
}

int kvm_set_ioeventfd_pio(int fd, uint16_t addr, uint16_t val, bool assign,
                          unsigned size, bool datamatch)
{
    return set_ioeventfd(fd, addr, val, assign, size, datamatch, true);
}

int kvm_set_ioeventfd_mmio(int fd, uint64_t addr, uint64_t val, bool assign,
                           unsigned size, bool datamatch)
{
    return set_ioeventfd(fd, addr, val, assign, size, datamatch, false);
}

/*
 * A system reset puts the in-kernel chips back in their power-on state,
 * as the board's userspace models do for the translator: otherwise a
 * rebooting guest meets the PIT still ticking into a programmed PIC.
 */
static void kvm_reset_pic(uint32_t chip, uint8_t elcr_mask)
{
    struct kvm_irqchip c = { .chip_id = chip };

    memset(&c.chip.pic, 0, sizeof(c.chip.pic));
    c.chip.pic.elcr_mask = elcr_mask;
    if (kvm_vm_ioctl(KVM_SET_IRQCHIP, &c) < 0) {
        error_report("kvm: cannot reset the in-kernel i8259 %u", chip);
    }
}

static void kvm_irqchip_reset(void *opaque)
{
    struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_IOAPIC };

    if (!kvm_state.irqchip) {
        return;
    }
    /* ELCR bits that exist: not IRQ 0, 1, 2 (master), 8, 13 (slave) */
    kvm_reset_pic(KVM_IRQCHIP_PIC_MASTER, 0xf8);
    kvm_reset_pic(KVM_IRQCHIP_PIC_SLAVE, 0xde);
    memset(&c.chip.ioapic, 0, sizeof(c.chip.ioapic));
    c.chip.ioapic.base_address = 0xfec00000;
    for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
        c.chip.ioapic.redirtbl[i].fields.mask = 1;
    }
    if (kvm_vm_ioctl(KVM_SET_IRQCHIP, &c) < 0) {
        error_report("kvm: cannot reset the in-kernel IOAPIC");
    }
    if (kvm_state.pit) {
        struct kvm_pit_state2 st;
        if (kvm_vm_ioctl(KVM_GET_PIT2, &st) == 0) {
            /* as QEMU: mode 3, count 65536, gates high but channel 2's */
            for (int i = 0; i < 3; i++) {
                struct kvm_pit_channel_state *ch = &st.channels[i];
                memset(ch, 0, sizeof(*ch));
                ch->count = 0x10000;
                ch->mode = 3;
                ch->rw_mode = 3;
                ch->read_state = 3;
                ch->write_state = 3;
                ch->gate = i != 2;
            }
            if (kvm_vm_ioctl(KVM_SET_PIT2, &st) < 0) {
                error_report("kvm: cannot reset the in-kernel PIT");
            }
        }
    }
}

/* ---- the in-kernel PIT's channel 2, for the userspace port 0x61 ---- */

#define PIT_FREQ 1193182ull

void kvm_pit_set_channel2_gate(bool gate)
{
    struct kvm_pit_state2 st;

    if (!kvm_pit_in_kernel() || kvm_vm_ioctl(KVM_GET_PIT2, &st) < 0) {
        return;
    }
    if (st.channels[2].gate == gate) {
        return;
    }
    st.channels[2].gate = gate;
    /*
     * Counting starts on the rising GATE: exact for modes 1, 2, 3 and 5
     * (8254 datasheet), and for modes 0 and 4 when the count was loaded
     * with GATE low, which is how firmware times with channel 2.
     */
    if (gate) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        st.channels[2].count_load_time = (int64_t)ts.tv_sec * 1000000000ll +
                                         ts.tv_nsec;
    }
    kvm_vm_ioctl(KVM_SET_PIT2, &st);
}

bool kvm_pit_channel2_out(void)
{
    struct kvm_pit_state2 st;
    struct timespec ts;
    uint64_t count, d;
    int64_t now;

    if (!kvm_pit_in_kernel() || kvm_vm_ioctl(KVM_GET_PIT2, &st) < 0) {
        return false;
    }
    struct kvm_pit_channel_state *c = &st.channels[2];
    count = c->count ? c->count : 0x10000;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
    if (now < c->count_load_time) {
        now = c->count_load_time;
    }
    /* input clock ticks since the count was loaded (the kernel's clock) */
    d = (uint64_t)(now - c->count_load_time) * PIT_FREQ / 1000000000ull;
    switch (c->mode) {
    case 0:
    case 1:
        return d >= count;
    case 2:
    case 6:
        return (d % count) != count - 1;
    case 3:
    case 7:
        return (d % count) < (count + 1) / 2;
    case 4:
    case 5:
        return d != count;
    default:
        return false;
    }
}

/* ---- vCPU threads ---- */

static void kvm_ipi_handler(int sig)
{
    KVMCPU *kc = kvm_this_cpu;

    if (kc && kc->run) {
        __atomic_store_n(&kc->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    }
}

static void kvm_kick(CPUState *cs)
{
    KVMCPU *kc = kvm_cpu(cs);

    if (kc && kc->thread_started && !emu_thread_is_self(&cs->thread)) {
        pthread_kill(cs->thread.t, SIG_IPI);
    } else if (kc && kc->run) {
        __atomic_store_n(&kc->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    }
    emu_mutex_lock(&kvm_state.lock);
    emu_cond_broadcast(&kvm_state.cond);
    emu_mutex_unlock(&kvm_state.lock);
}

static void kvm_kick_all(void)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        kvm_kick(cs);
    }
}

/* Called with kvm_state.lock held */
static bool kvm_vcpu_can_run(KVMCPU *kc)
{
    return !kvm_state.quit && kvm_state.vm_running &&
           kc->stop_requests == 0 && !kc->wait_reset;
}

/*
 * Stop the vCPU thread of cs outside KVM_RUN until kvm_vcpu_resume: its
 * registers may then be read and written from this thread.  Drops the
 * global lock while waiting (the vCPU may need it to finish an exit).
 */
static void kvm_vcpu_pause(CPUState *cs)
{
    KVMCPU *kc = kvm_cpu(cs);
    bool had_bql;

    if (!kc || emu_thread_is_self(&cs->thread) || !kc->thread_started) {
        if (kc) {
            kc->stop_requests++;
        }
        return;
    }
    emu_mutex_lock(&kvm_state.lock);
    kc->stop_requests++;
    emu_mutex_unlock(&kvm_state.lock);
    kvm_kick(cs);
    had_bql = bql_locked();
    if (had_bql) {
        bql_unlock();
    }
    emu_mutex_lock(&kvm_state.lock);
    while (!kc->parked) {
        emu_cond_wait(&kvm_state.parked_cond, &kvm_state.lock);
    }
    emu_mutex_unlock(&kvm_state.lock);
    if (had_bql) {
        bql_lock();
    }
}

static void kvm_vcpu_resume(CPUState *cs)
{
    KVMCPU *kc = kvm_cpu(cs);

    if (!kc) {
        return;
    }
    emu_mutex_lock(&kvm_state.lock);
    kc->stop_requests--;
    emu_cond_broadcast(&kvm_state.cond);
    emu_mutex_unlock(&kvm_state.lock);
}

/* Stop the VM from the main loop (a vCPU cannot wait for itself) */
static void kvm_internal_error_stop(void *opaque)
{
    vm_stop(RUN_STATE_INTERNAL_ERROR);
}

void kvm_cpu_synchronize_state(CPUState *cs)
{
    KVMCPU *kc = kvm_cpu(cs);

    if (!kvm_state.enabled || !kc || kc->dirty) {
        return;
    }
    kvm_vcpu_pause(cs);
    if (!kc->dirty && kvm_arch_get_registers(cs) == 0) {
        /* the monitor may change env: write it back before running */
        kc->dirty = true;
        if (kc->put_level < KVM_PUT_RUNTIME_STATE) {
            kc->put_level = KVM_PUT_RUNTIME_STATE;
        }
    }
    kvm_vcpu_resume(cs);
}

void kvm_cpu_synchronize_post_reset(CPUState *cs)
{
    KVMCPU *kc = kvm_cpu(cs);
    int r;

    if (!kvm_state.enabled || !kc) {
        return;
    }
    /*
     * Write the state now, while the vCPU is parked: left for its thread
     * to do lazily, it could land after another CPU already sent this
     * one INIT/SIPI and undo them.
     */
    kvm_vcpu_pause(cs);
    r = kvm_arch_put_registers(cs, KVM_PUT_RESET_STATE);
    if (r < 0) {
        error_report("kvm: cannot reset the registers of vCPU %d: %s",
                     cs->cpu_index, strerror(-r));
        kc->wait_reset = true;
        main_loop_call_soon(kvm_internal_error_stop, NULL);
    } else {
        kc->dirty = false;
        kc->put_level = 0;
        kc->wait_reset = false;
    }
    kvm_vcpu_resume(cs);
}

int kvm_cpu_thread_id(CPUState *cs)
{
    KVMCPU *kc = kvm_enabled() ? kvm_cpu(cs) : NULL;

    return kc && kc->thread_started ? kc->tid : -1;
}

static void kvm_report_failure(CPUState *cs, const char *what)
{
    KVMCPU *kc = kvm_cpu(cs);

    error_report("kvm: %s (vCPU %d); the VM is stopped", what,
                 cs->cpu_index);
    if (kvm_arch_get_registers(cs) == 0) {
        kc->dirty = true;
        kc->put_level = KVM_PUT_RUNTIME_STATE;
        if (cs->cc->dump_state) {
            cs->cc->dump_state(cs, stderr, 1);
        }
    }
    kvm_arch_dump_exit(cs, stderr);
    kc->wait_reset = true;
    main_loop_call_soon(kvm_internal_error_stop, NULL);
}

/* Under the global lock: what the guest asked for when it left KVM_RUN */
static void kvm_handle_exit(CPUState *cs)
{
    KVMCPU *kc = kvm_cpu(cs);
    struct kvm_run *run = kc->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO: {
        uint8_t *data = (uint8_t *)run + run->io.data_offset;
        unsigned size = run->io.size;
        uint32_t count = run->io.count;
        bool write = run->io.direction == KVM_EXIT_IO_OUT;

        /* the kernel chose the offset; still keep inside the run page */
        if ((size != 1 && size != 2 && size != 4) ||
            run->io.data_offset + (uint64_t)size * count > kc->run_size) {
            kvm_report_failure(cs, "malformed port I/O exit");
            return;
        }
        for (uint32_t i = 0; i < count; i++) {
            address_space_rw(&address_space_io, run->io.port,
                             data + (size_t)i * size, size, write);
        }
        kc->pending_completion = !write;
        break;
    }
    case KVM_EXIT_MMIO:
        if (run->mmio.len > sizeof(run->mmio.data)) {
            kvm_report_failure(cs, "malformed MMIO exit");
            return;
        }
        address_space_rw(&address_space_memory, run->mmio.phys_addr,
                         run->mmio.data, run->mmio.len,
                         run->mmio.is_write);
        kc->pending_completion = !run->mmio.is_write;
        break;
    case KVM_EXIT_HLT:
        /* only without the in-kernel irqchip (not offered yet) */
        cs->halted = true;
        break;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
    case KVM_EXIT_INTR:
        break;
    case KVM_EXIT_SHUTDOWN:
        /* triple fault: the pc resets, as QEMU does */
        kc->wait_reset = true;
        system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        break;
    case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            kc->wait_reset = true;
            system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
            break;
        case KVM_SYSTEM_EVENT_RESET:
            kc->wait_reset = true;
            system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
            break;
        default:
            kvm_report_failure(cs, "guest crash reported by KVM");
            break;
        }
        break;
    case KVM_EXIT_FAIL_ENTRY: {
        char *m = emu_asprintf("KVM_EXIT_FAIL_ENTRY, hardware entry "
                               "failure reason 0x%" PRIx64,
                               (uint64_t)run->fail_entry.
                               hardware_entry_failure_reason);
        kvm_report_failure(cs, m);
        free(m);
        break;
    }
    case KVM_EXIT_INTERNAL_ERROR: {
        char *m = emu_asprintf("KVM internal error, suberror %u",
                               run->internal.suberror);
        kvm_report_failure(cs, m);
        free(m);
        break;
    }
    default: {
        char *m = emu_asprintf("unhandled KVM exit reason %u",
                               run->exit_reason);
        kvm_report_failure(cs, m);
        free(m);
        break;
    }
    }
}

/* Finish a port/MMIO read in the kernel so that the registers are whole */
static void kvm_complete_pending(KVMCPU *kc)
{
    if (!kc->pending_completion) {
        return;
    }
    __atomic_store_n(&kc->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    ioctl(kc->fd, KVM_RUN, 0);
    __atomic_store_n(&kc->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
    kc->pending_completion = false;
}

static void *kvm_vcpu_thread(void *opaque)
{
    CPUState *cs = opaque;
    KVMCPU *kc = kvm_cpu(cs);
    sigset_t set;

    current_cpu = cs;
    kvm_this_cpu = kc;
    kc->tid = (int)syscall(SYS_gettid);
    sigemptyset(&set);
    sigaddset(&set, SIG_IPI);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    for (;;) {
        emu_mutex_lock(&kvm_state.lock);
        if (!kvm_vcpu_can_run(kc) && kc->pending_completion) {
            emu_mutex_unlock(&kvm_state.lock);
            kvm_complete_pending(kc);
            emu_mutex_lock(&kvm_state.lock);
        }
        while (!kvm_vcpu_can_run(kc)) {
            if (kvm_state.quit) {
                break;
            }
            kc->parked = true;
            cs->stopped = true;
            emu_cond_broadcast(&kvm_state.parked_cond);
            emu_cond_wait(&kvm_state.cond, &kvm_state.lock);
        }
        if (kvm_state.quit) {
            kc->parked = true;
            emu_cond_broadcast(&kvm_state.parked_cond);
            emu_mutex_unlock(&kvm_state.lock);
            break;
        }
        kc->parked = false;
        cs->stopped = false;
        emu_mutex_unlock(&kvm_state.lock);

        if (kc->dirty) {
            bql_lock();
            kvm_complete_pending(kc);
            if (kc->dirty) {
                int r = kvm_arch_put_registers(cs, kc->put_level);
                if (r < 0) {
                    error_report("kvm: cannot write the registers of vCPU "
                                 "%d: %s", cs->cpu_index, strerror(-r));
                    kc->wait_reset = true;
                    main_loop_call_soon(kvm_internal_error_stop, NULL);
                }
                kc->dirty = false;
                kc->put_level = 0;
            }
            bql_unlock();
            if (kc->wait_reset) {
                continue;
            }
        }

        cs->running = true;
        int r = ioctl(kc->fd, KVM_RUN, 0);
        int err = errno;
        cs->running = false;
        __atomic_store_n(&kc->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
        kc->pending_completion = false;
        if (r < 0) {
            if (err == EINTR || err == EAGAIN) {
                continue;
            }
            bql_lock();
            char *m = emu_asprintf("KVM_RUN failed: %s", strerror(err));
            kvm_report_failure(cs, m);
            free(m);
            bql_unlock();
            continue;
        }
        bql_lock();
        kvm_handle_exit(cs);
        bql_unlock();
    }
    current_cpu = NULL;
    return NULL;
}

bool kvm_init_vcpu(CPUState *cs, Error **errp)
{
    KVMCPU *kc;
    int fd, mmap_size;
    void *run;

    if (!kvm_state.enabled) {
        error_setg(errp, "KVM is not the accelerator in use");
        return false;
    }
    fd = kvm_vm_ioctl(KVM_CREATE_VCPU, (void *)(uintptr_t)cs->cpu_index);
    if (fd < 0) {
        error_setg(errp, "kvm: cannot create vCPU %d: %s", cs->cpu_index,
                   strerror(-fd));
        return false;
    }
    mmap_size = kvm_ioctl(KVM_GET_VCPU_MMAP_SIZE, NULL);
    if (mmap_size < (int)sizeof(struct kvm_run)) {
        error_setg(errp, "kvm: bad KVM_GET_VCPU_MMAP_SIZE %d", mmap_size);
        close(fd);
        return false;
    }
    run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
               fd, 0);
    if (run == MAP_FAILED) {
        error_setg_errno(errp, errno, "kvm: cannot map the vCPU run area");
        close(fd);
        return false;
    }
    kc = emu_new0(KVMCPU, 1);
    kc->cs = cs;
    kc->fd = fd;
    kc->run = run;
    kc->run_size = (size_t)mmap_size;
    kc->vcpu_id = (unsigned long)cs->cpu_index;
    kc->parked = true;
    kc->tid = -1;
    cs->accel = kc;
    if (!kvm_arch_init_vcpu(cs, errp)) {
        munmap(run, (size_t)mmap_size);
        close(fd);
        free(kc);
        cs->accel = NULL;
        return false;
    }
    kc->dirty = true;
    kc->put_level = KVM_PUT_RESET_STATE;
    return true;
}

/* ---- AccelOps ---- */

static bool kvm_accel_init(EmuOpts *opts, Error **errp)
{
    const char *irqchip = opts_get(opts, "kernel-irqchip");
    struct sigaction sa;
    int r;

    if (irqchip && strcmp(irqchip, "on")) {
        if (!strcmp(irqchip, "off") || !strcmp(irqchip, "split")) {
            error_setg(errp, "kernel-irqchip=%s is not supported yet; use "
                       "kernel-irqchip=on", irqchip);
        } else {
            error_setg(errp, "Parameter 'kernel-irqchip' expects 'on', "
                       "'off' or 'split'");
        }
        return false;
    }
    kvm_state.fd = kvm_open_device(errp);
    if (kvm_state.fd < 0) {
        return false;
    }
    do {
        r = ioctl(kvm_state.fd, KVM_CREATE_VM, 0);
    } while (r < 0 && (errno == EINTR || errno == EAGAIN));
    if (r < 0) {
        error_setg(errp, "failed to initialize kvm: %s", strerror(errno));
        goto fail;
    }
    kvm_state.vmfd = r;

    static const struct { int cap; const char *name; } needed[] = {
        { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
        { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
        { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
        { KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
        { KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
        { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
        { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(needed); i++) {
        if (!kvm_check_extension(needed[i].cap)) {
            error_setg(errp, "kvm: the host kernel lacks %s", needed[i].name);
            goto fail;
        }
    }
    kvm_state.nr_slots = kvm_check_extension(KVM_CAP_NR_MEMSLOTS);
    if (kvm_state.nr_slots <= 0) {
        kvm_state.nr_slots = 32;
    }
    if (kvm_state.nr_slots > KVM_MAX_SLOTS) {
        kvm_state.nr_slots = KVM_MAX_SLOTS;
    }
    kvm_state.enabled = true;
    if (!kvm_arch_init(errp)) {
        goto fail;
    }
    r = kvm_vm_ioctl(KVM_CREATE_IRQCHIP, NULL);
    if (r < 0) {
        error_setg(errp, "kvm: KVM_CREATE_IRQCHIP failed: %s", strerror(-r));
        goto fail;
    }
    kvm_state.irqchip = true;
    if (!kvm_pc_setup_irq_routing(errp)) {
        goto fail;
    }
    /*
     * Event fds are optional: without them virtio kicks and interrupts
     * take the exit to userspace and KVM_SIGNAL_MSI, as before.
     */
    kvm_state.has_ioeventfd = kvm_check_extension(KVM_CAP_IOEVENTFD) > 0;
    kvm_state.ioeventfd_any_length =
        kvm_check_extension(KVM_CAP_IOEVENTFD_ANY_LENGTH) > 0;
    kvm_state.has_irqfd = kvm_check_extension(KVM_CAP_IRQFD) > 0;
    r = kvm_check_extension(KVM_CAP_IRQ_ROUTING);
    kvm_state.max_gsi = MIN(r > 0 ? (unsigned)r : 0, KVM_MAX_MSI_GSI);
    if (kvm_state.max_gsi > KVM_FIRST_MSI_GSI) {
        kvm_state.msi_gsi_used = emu_new0(bool, kvm_state.max_gsi);
    }
    if (kvm_check_extension(KVM_CAP_PIT2)) {
        /* port 0x61 (speaker, gate of channel 2) stays in userspace */
        struct kvm_pit_config pit = { .flags = 0 };
        r = kvm_vm_ioctl(KVM_CREATE_PIT2, &pit);
        if (r < 0) {
            error_setg(errp, "kvm: KVM_CREATE_PIT2 failed: %s", strerror(-r));
            goto fail;
        }
        kvm_state.pit = true;
    }

    emu_mutex_init(&kvm_state.lock);
    emu_cond_init(&kvm_state.cond);
    emu_cond_init(&kvm_state.parked_cond);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kvm_ipi_handler;
    sigaction(SIG_IPI, &sa, NULL);

    kvm_state.listener = (MemoryListener) {
        .region_add = kvm_region_add,
        .region_del = kvm_region_del,
        .log_start = kvm_log_start,
        .log_stop = kvm_log_stop,
        .log_sync = kvm_log_sync,
        .name = "kvm-memory",
        .priority = 10,
    };
    memory_listener_register(&kvm_state.listener, &address_space_memory);
    cpu_set_kick_handler(kvm_kick);
    /* registered before the CPUs (machine init): chips reset first */
    register_reset(kvm_irqchip_reset, NULL);
    return true;

fail:
    kvm_state.enabled = false;
    kvm_state.irqchip = false;
    kvm_state.pit = false;
    kvm_state.has_ioeventfd = kvm_state.has_irqfd = false;
    free(kvm_state.routes);
    kvm_state.routes = NULL;
    kvm_state.routes_cap = 0;
    free(kvm_state.msi_gsi_used);
    kvm_state.msi_gsi_used = NULL;
    if (kvm_state.vmfd >= 0) {
        close(kvm_state.vmfd);
        kvm_state.vmfd = -1;
    }
    close(kvm_state.fd);
    kvm_state.fd = -1;
    return false;
}

static bool kvm_accel_start_vcpus(unsigned ncpus, Error **errp)
{
    CPUState *cs;
    sigset_t set;

    /* the vCPU threads unblock SIG_IPI themselves; others never see it */
    sigemptyset(&set);
    sigaddset(&set, SIG_IPI);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    CPU_FOREACH(cs) {
        KVMCPU *kc = kvm_cpu(cs);
        char name[32];

        if (!kc) {
            error_setg(errp, "CPU %d was not created for KVM", cs->cpu_index);
            return false;
        }
        snprintf(name, sizeof(name), "CPU %d/KVM", cs->cpu_index);
        emu_thread_create(&cs->thread, name, kvm_vcpu_thread, cs);
        kc->thread_started = true;
        cs->created = true;
    }
    return true;
}

static void kvm_accel_vm_state_change(bool running)
{
    CPUState *cs;
    bool had_bql;

    emu_mutex_lock(&kvm_state.lock);
    kvm_state.vm_running = running;
    emu_cond_broadcast(&kvm_state.cond);
    emu_mutex_unlock(&kvm_state.lock);
    if (running) {
        return;
    }
    /* stopping: every vCPU out of KVM_RUN before vm_stop returns */
    kvm_kick_all();
    had_bql = bql_locked();
    if (had_bql) {
        bql_unlock();
    }
    emu_mutex_lock(&kvm_state.lock);
    CPU_FOREACH(cs) {
        KVMCPU *kc = kvm_cpu(cs);
        if (!kc || !kc->thread_started || emu_thread_is_self(&cs->thread)) {
            continue;
        }
        while (!kc->parked) {
            emu_cond_wait(&kvm_state.parked_cond, &kvm_state.lock);
        }
    }
    emu_mutex_unlock(&kvm_state.lock);
    if (had_bql) {
        bql_lock();
    }
}

static void kvm_accel_cleanup(void)
{
    if (!kvm_state.enabled) {
        return;
    }
    emu_mutex_lock(&kvm_state.lock);
    kvm_state.quit = true;
    emu_cond_broadcast(&kvm_state.cond);
    emu_mutex_unlock(&kvm_state.lock);
    kvm_kick_all();
}

static const OptDesc kvm_accel_opts[] = {
    { "kernel-irqchip", OPT_STRING, "on (default); off and split are not "
      "supported yet" },
    { NULL },
};

static const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .desc = "Kernel-based Virtual Machine (/dev/kvm)",
    .available = kvm_accel_available,
    .init = kvm_accel_init,
    .start_vcpus = kvm_accel_start_vcpus,
    .vm_state_change = kvm_accel_vm_state_change,
    .kick_all = kvm_kick_all,
    .cleanup = kvm_accel_cleanup,
    .opts = kvm_accel_opts,
};

ACCEL_REGISTER(kvm_accel_ops)

/* ---- monitor: info kvm / query-kvm ---- */

static json_object *cmd_query_kvm(Monitor *mon, json_object *args,
                                  Error **errp)
{
    json_object *o = json_object_new_object();
    bool present = kvm_state.enabled || access(KVM_DEVICE, R_OK | W_OK) == 0;

    json_object_object_add(o, "enabled",
                           json_object_new_boolean(kvm_state.enabled));
    json_object_object_add(o, "present", json_object_new_boolean(present));
    return o;
}

static void print_kvm(Monitor *mon, json_object *result)
{
    json_object *en, *pr;

    if (!json_object_object_get_ex(result, "enabled", &en) ||
        !json_object_object_get_ex(result, "present", &pr)) {
        return;
    }
    if (!json_object_get_boolean(pr)) {
        monitor_printf(mon, "kvm support: not compiled\n");
        return;
    }
    monitor_printf(mon, "kvm support: %s\n",
                   json_object_get_boolean(en) ? "enabled" : "disabled");
}

static const MonitorCommand kvm_commands[] = {
    {
        .qmp_name = "query-kvm",
        .hmp_name = "info kvm",
        .help = "show KVM information",
        .handler = cmd_query_kvm,
        .hmp_print = print_kvm,
    },
    { .handler = NULL },
};

MONITOR_REGISTER_COMMANDS(kvm_commands)
