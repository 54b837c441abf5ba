/*
 * The pc machine ("pc-i440fx-7.2", alias "pc"): i440FX/PIIX3 chipset,
 * i8259/IOAPIC (or KVM's in-kernel irqchip), PIT, RTC with CMOS, UARTs,
 * i8042, port 0x92 and 0x80, fw_cfg with the e820 map and ACPI tables,
 * SeaBIOS and -kernel.  One wiring function, pc_init().
 */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "hw/irq.h"
#include "hw/isa/isa.h"
#include "hw/i386/pc.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pci-host/i440fx.h"
#include "hw/acpi/piix4.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/apic.h"
#include "hw/pci/pci.h"
#include "hw/timer/i8254.h"
#include "hw/rtc/mc146818rtc.h"
#include "hw/char/serial.h"
#include "hw/input/i8042.h"
#include "hw/misc/port92.h"
#include "hw/misc/ioport80.h"
#include "hw/ide.h"
#include "hw/core/cpu.h"
#include "system/memory.h"
#include "system/system.h"
#include "system/kvm.h"
#include "target/i386/cpu.h"
#include "hw/i386/smbios.h"
#include "monitor/monitor.h"
#include <sys/stat.h>

#define PC_NUM_GSI          24
#define PC_DEFAULT_BIOS     "bios-256k.bin"
#define PC_ROM_ADDR         0xc0000     /* option ROM area, "pc.rom" */
#define PC_ROM_SIZE         (128 * KiB)
/* KVM's EPT identity map and real-mode TSS (target/i386/kvm.c) */
#define KVM_RESERVED_ADDR   0xfeffc000ULL
#define KVM_RESERVED_SIZE   0x4000

/* CMOS layout the BIOS reads (as QEMU's pc_cmos_init) */
#define CMOS_FLOPPY_TYPES   0x10
#define CMOS_HD_TYPES       0x12
#define CMOS_EQUIPMENT      0x14
#define CMOS_BASE_MEM_LO    0x15
#define CMOS_EXT_MEM_LO     0x17
#define CMOS_EXT_MEM2_LO    0x30
#define CMOS_MEM_ABOVE16_LO 0x34
#define CMOS_BOOT_DEV3      0x38
#define CMOS_BOOT_DEV12     0x3d
#define CMOS_MEM_ABOVE4G    0x5b
#define CMOS_NB_CPUS        0x5f

typedef struct PCMachine {
    MemoryRegion ram;
    MemoryRegion ram_below_4g;
    MemoryRegion ram_above_4g;
    MemoryRegion pci_memory;
    MemoryRegion bios;
    MemoryRegion isa_bios;
    MemoryRegion option_rom;
    uint64_t below_4g_mem;
    uint64_t above_4g_mem;
    IRQLine gsi[PC_NUM_GSI];
    /* "info irq": low-to-high transitions seen on each GSI */
    uint64_t gsi_raised[PC_NUM_GSI];
    bool gsi_level[PC_NUM_GSI];
    IRQLine i8259_irqs[ISA_NUM_IRQS];
    IRQLine ioapic_irqs[IOAPIC_NUM_PINS];
    bool irqchip_in_kernel;
    DeviceState *rtc;
    DeviceState *ide;           /* PIIX3 IDE at 01.1 */
    FWCfgState *fw_cfg;
} PCMachine;

static PCMachine pcm;

/*
 * A GSI goes to the in-kernel irqchip, or to the 8259 pair and the IOAPIC.
 * The IOAPIC sees ISA IRQ 0 (the PIT) on pin 2, as the MADT says.
 */
static void pc_gsi_handler(void *opaque, int n, int level)
{
    PCMachine *s = opaque;

    if (n >= 0 && n < PC_NUM_GSI) {
        s->gsi_raised[n] += level && !s->gsi_level[n];
        s->gsi_level[n] = level != 0;
    }
    if (s->irqchip_in_kernel) {
        kvm_set_irq(n, level);
        return;
    }
    if (n < ISA_NUM_IRQS) {
        irq_set(&s->i8259_irqs[n], level);
    }
    if (n == 0) {
        irq_set(&s->ioapic_irqs[2], level);
    } else if (n != 2) {
        irq_set(&s->ioapic_irqs[n], level);
    }
}

/*
 * The master 8259's INT pin: to every CPU's LINT0 under the translator
 * (the local APIC passes it on in virtual-wire mode, or when it is
 * hardware-disabled); to the first CPU when the CPUs have no APIC model.
 */
static void pc_pic_irq_request(void *opaque, int n, int level)
{
    CPUState *cs;

    if (!first_cpu) {
        return;
    }
    if (X86_CPU(first_cpu)->apic) {
        CPU_FOREACH(cs) {
            if (X86_CPU(cs)->apic) {
                apic_set_pic_level(X86_CPU(cs)->apic, level);
            }
        }
        return;
    }
    if (level) {
        cpu_interrupt(first_cpu, CPU_INTERRUPT_HARD);
    } else {
        cpu_reset_interrupt(first_cpu, CPU_INTERRUPT_HARD);
    }
}

/* The CPU's interrupt acknowledge under the translator: the 8259's INTA */
static int pc_pic_get_vector(void *opaque)
{
    return pic_read_irq(opaque);
}

/* A PCI device's MSI write: a message on the APIC bus */
static void pc_apic_msi(void *opaque, uint64_t addr, uint32_t data)
{
    apic_send_msi(addr, data);
}

/* With the in-kernel irqchip the kernel's local APICs take the MSIs */
static void pc_kvm_msi(void *opaque, uint64_t addr, uint32_t data)
{
    kvm_send_msi(addr, data);
}

/* A20 gate from port 0x92 and the i8042 output port (a no-op under KVM) */
static void pc_a20_handler(void *opaque, int n, int level)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        X86_CPU(cs)->env.a20_mask = level ? ~0ULL : ~(1ULL << 20);
    }
}

static bool pc_memory_init(MachineState *ms, PCMachine *s, Error **errp)
{
    MemoryRegion *sysmem = get_system_memory();
    uint64_t lowmem = PC_MAX_RAM_BELOW_4G;

    /* QEMU's split: with 3.5G or more, only 3G stays below 4G */
    if (ms->ram_size >= lowmem) {
        lowmem = 0xc0000000ULL;
    }
    if (ms->ram_size >= lowmem) {
        s->below_4g_mem = lowmem;
        s->above_4g_mem = ms->ram_size - lowmem;
    } else {
        s->below_4g_mem = ms->ram_size;
        s->above_4g_mem = 0;
    }
    if (s->below_4g_mem < 1 * MiB) {
        error_setg(errp, "at least 1 MiB of RAM is needed");
        return false;
    }
    if (!memory_region_init_ram(&s->ram, NULL, "pc.ram", ms->ram_size,
                                errp)) {
        return false;
    }
    ms->ram = &s->ram;
    memory_region_init_alias(&s->ram_below_4g, NULL, "ram-below-4g",
                             &s->ram, 0, s->below_4g_mem);
    memory_region_add_subregion(sysmem, 0, &s->ram_below_4g);
    if (s->above_4g_mem) {
        memory_region_init_alias(&s->ram_above_4g, NULL, "ram-above-4g",
                                 &s->ram, s->below_4g_mem, s->above_4g_mem);
        memory_region_add_subregion(sysmem, 4 * GiB, &s->ram_above_4g);
    }
    memory_region_init(&s->pci_memory, NULL, "pci", UINT64_MAX);

    e820_add_entry(0, s->below_4g_mem, E820_RAM);
    if (s->above_4g_mem) {
        e820_add_entry(4 * GiB, s->above_4g_mem, E820_RAM);
    }
    if (kvm_enabled()) {
        e820_add_entry(KVM_RESERVED_ADDR, KVM_RESERVED_SIZE, E820_RESERVED);
    }
    return true;
}

/*
 * -bios FILE (a path, or a name on the firmware search path) or SeaBIOS's
 * bios-256k.bin, mapped to end at 4G; its last 128 KiB also appear at
 * 0xe0000 ("isa-bios") for the reset vector's real-mode code.
 */
static bool pc_bios_init(MachineState *ms, PCMachine *s, Error **errp)
{
    const char *name = ms->firmware ? ms->firmware : PC_DEFAULT_BIOS;
    struct stat st;
    char *path = NULL;
    uint64_t size, isa_size;
    FILE *f;

    if (strchr(name, '/') && stat(name, &st) == 0) {
        path = emu_strdup(name);
    } else {
        path = firmware_find(name);
    }
    if (!path) {
        error_setg(errp, "could not find the BIOS '%s'", name);
        error_append_hint(errp, "SeaBIOS comes with Debian's seabios "
                          "package; -L DIR adds a search directory\n");
        return false;
    }
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        st.st_size % (64 * KiB) || (uint64_t)st.st_size > PC_BIOS_MAX_SIZE) {
        error_setg(errp, "could not load PC BIOS '%s': its size must be a "
                   "multiple of 64 KiB, at most 16 MiB", path);
        free(path);
        return false;
    }
    size = st.st_size;
    if (!memory_region_init_rom(&s->bios, NULL, "pc.bios", size, errp)) {
        free(path);
        return false;
    }
    f = fopen(path, "rb");
    if (!f || fread(memory_region_get_ram_ptr(&s->bios), 1, size, f) != size) {
        error_setg(errp, "could not read PC BIOS '%s': %s", path,
                   strerror(errno));
        if (f) {
            fclose(f);
        }
        free(path);
        return false;
    }
    fclose(f);
    free(path);
    memory_region_add_subregion(get_system_memory(), 4 * GiB - size,
                                &s->bios);

    isa_size = MIN(size, PC_ISA_BIOS_SIZE);
    memory_region_init_alias(&s->isa_bios, NULL, "isa-bios", &s->bios,
                             size - isa_size, isa_size);
    memory_region_add_subregion_overlap(&s->pci_memory, 1 * MiB - isa_size,
                                        &s->isa_bios, 1);
    memory_region_set_readonly(&s->isa_bios, true);

    if (!memory_region_init_rom(&s->option_rom, NULL, "pc.rom", PC_ROM_SIZE,
                                errp)) {
        return false;
    }
    memory_region_add_subregion_overlap(&s->pci_memory, PC_ROM_ADDR,
                                        &s->option_rom, 1);
    return true;
}

static bool pc_irq_init(PCMachine *s, ISABus *isa, Error **errp)
{
    DeviceState *ioapic, *pic;

    for (int i = 0; i < PC_NUM_GSI; i++) {
        s->gsi[i] = irq_line(pc_gsi_handler, s, i);
    }
    isa_bus_set_irqs(isa, s->gsi);

    s->irqchip_in_kernel = kvm_irqchip_in_kernel();
    if (s->irqchip_in_kernel) {
        return true;
    }
    pic = i8259_init(isa, irq_line(pc_pic_irq_request, s, 0), s->i8259_irqs,
                     errp);
    if (!pic) {
        return false;
    }
    /* a local APIC per CPU under the translator; each may ask for ExtINT */
    for (CPUState *cs = first_cpu; cs; cs = cs->next) {
        X86_CPU(cs)->get_pic_vector = pc_pic_get_vector;
        X86_CPU(cs)->pic_opaque = pic;
        if (!apic_new(X86_CPU(cs), errp)) {
            return false;
        }
    }
    ioapic = device_new(TYPE_IOAPIC, errp);
    if (!ioapic) {
        return false;
    }
    if (!device_realize(ioapic, NULL, errp)) {
        device_destroy(ioapic);
        return false;
    }
    sysbus_mmio_map(SYS_BUS_DEVICE(ioapic), 0, IOAPIC_DEFAULT_ADDRESS);
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        s->ioapic_irqs[i] = qdev_get_gpio_in(ioapic, i);
    }
    ioapic_set_deliver(ioapic, apic_ioapic_deliver, NULL);
    return true;
}

/* CMOS boot device codes: floppy 1, hard disk 2, CD-ROM 3, network 4 */
static bool pc_boot_order(const char *order, int codes[3], Error **errp)
{
    int n = 0;

    codes[0] = codes[1] = codes[2] = 0;
    for (const char *p = order; *p; p++) {
        int c;
        switch (*p) {
        case 'a': c = 1; break;
        case 'c': c = 2; break;
        case 'd': c = 3; break;
        case 'n': c = 4; break;
        default:
            error_setg(errp, "invalid boot device '%c' (use a, c, d or n)",
                       *p);
            return false;
        }
        if (n >= 3) {
            error_setg(errp, "too many boot devices for PC");
            return false;
        }
        codes[n++] = c;
    }
    return true;
}

/*
 * Hard disk types and geometry of the first two IDE disks and the BIOS
 * translation of all four, where QEMU puts them (SeaBIOS reads 0x39).
 */
static void pc_cmos_init_ide(PCMachine *s)
{
    uint8_t types = 0, trans = 0;

    for (int i = 0; i < 4; i++) {
        IDEBus *bus = piix3_ide_get_bus(s->ide, i / 2);
        uint32_t c, h, sec;
        int t;

        if (!ide_get_geometry(bus, i % 2, &c, &h, &sec)) {
            continue;
        }
        if (c <= 1024 && h <= 16 && sec <= 63) {
            t = 0;                      /* none */
        } else if ((uint64_t)c * h <= 131072) {
            t = 2;                      /* large */
        } else {
            t = 1;                      /* LBA */
        }
        trans |= t << (2 * i);
        if (i < 2) {
            int base = i ? 0x24 : 0x1b;
            types |= i ? 0x0f : 0xf0;
            rtc_set_memory(s->rtc, i ? 0x1a : 0x19, 47); /* user type */
            rtc_set_memory(s->rtc, base, c);
            rtc_set_memory(s->rtc, base + 1, c >> 8);
            rtc_set_memory(s->rtc, base + 2, h);
            rtc_set_memory(s->rtc, base + 3, 0xff);     /* no precomp */
            rtc_set_memory(s->rtc, base + 4, 0xff);
            rtc_set_memory(s->rtc, base + 5, 0xc0 | ((h > 8) << 3));
            rtc_set_memory(s->rtc, base + 6, c);        /* landing zone */
            rtc_set_memory(s->rtc, base + 7, c >> 8);
            rtc_set_memory(s->rtc, base + 8, sec);
        }
    }
    rtc_set_memory(s->rtc, CMOS_HD_TYPES, types);
    rtc_set_memory(s->rtc, 0x39, trans);
}

/* PIIX3 IDE at 01.1 with the drives of -hda..-hdd, -cdrom, -drive if=ide */
static bool pc_ide_init(PCMachine *s, PCIBus *pci, Error **errp)
{
    PCIDevice *ide = pci_create_simple(pci, PCI_DEVFN(1, 1), TYPE_PIIX3_IDE,
                                       errp);

    if (!ide) {
        return false;
    }
    s->ide = &ide->qdev;
    for (int b = 0; b < MAX_IDE_BUS; b++) {
        for (int u = 0; u < MAX_IDE_DEVS; u++) {
            BlockBackend *blk = drive_get(IF_IDE, b, u);
            if (blk && !ide_create_drive(piix3_ide_get_bus(s->ide, b), u,
                                         blk, errp)) {
                return false;
            }
        }
    }
    return true;
}

static bool pc_cmos_init(MachineState *ms, PCMachine *s, Error **errp)
{
    DeviceState *rtc = s->rtc;
    uint64_t val;
    int boot[3];

    val = MIN(s->below_4g_mem / KiB, 640);
    rtc_set_memory(rtc, CMOS_BASE_MEM_LO, val);
    rtc_set_memory(rtc, CMOS_BASE_MEM_LO + 1, val >> 8);
    val = s->below_4g_mem > 1 * MiB ? (s->below_4g_mem - 1 * MiB) / KiB : 0;
    val = MIN(val, 65535);
    rtc_set_memory(rtc, CMOS_EXT_MEM_LO, val);
    rtc_set_memory(rtc, CMOS_EXT_MEM_LO + 1, val >> 8);
    rtc_set_memory(rtc, CMOS_EXT_MEM2_LO, val);
    rtc_set_memory(rtc, CMOS_EXT_MEM2_LO + 1, val >> 8);
    val = s->below_4g_mem > 16 * MiB ?
          (s->below_4g_mem - 16 * MiB) / (64 * KiB) : 0;
    val = MIN(val, 65535);
    rtc_set_memory(rtc, CMOS_MEM_ABOVE16_LO, val);
    rtc_set_memory(rtc, CMOS_MEM_ABOVE16_LO + 1, val >> 8);
    val = s->above_4g_mem / (64 * KiB);
    rtc_set_memory(rtc, CMOS_MEM_ABOVE4G, val);
    rtc_set_memory(rtc, CMOS_MEM_ABOVE4G + 1, val >> 8);
    rtc_set_memory(rtc, CMOS_MEM_ABOVE4G + 2, val >> 16);
    rtc_set_memory(rtc, CMOS_NB_CPUS, ms->smp.cpus - 1);

    if (!pc_boot_order(ms->boot_order ? ms->boot_order : "cad", boot, errp)) {
        return false;
    }
    rtc_set_memory(rtc, CMOS_BOOT_DEV12, boot[0] | boot[1] << 4);
    /* bit 0 clear: check the floppy boot signature */
    rtc_set_memory(rtc, CMOS_BOOT_DEV3, boot[2] << 4);

    rtc_set_memory(rtc, CMOS_FLOPPY_TYPES, 0);
    pc_cmos_init_ide(s);
    /* FPU present, PS/2 mouse present, no floppy */
    rtc_set_memory(rtc, CMOS_EQUIPMENT, 0x06);
    return true;
}

static bool pc_fw_cfg_init(MachineState *ms, PCMachine *s, Error **errp)
{
    FWCfgState *fw;
    size_t len;
    void *blob;

    fw = fw_cfg_init_io_dma(PC_FW_CFG_IOBASE, PC_FW_CFG_DMA_IOBASE,
                            &address_space_memory, errp);
    if (!fw) {
        return false;
    }
    s->fw_cfg = fw;
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, ms->smp.cpus);
    fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, MAX(ms->smp.max_cpus, ms->smp.cpus));
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, ms->ram_size);
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, !ms->enable_graphics);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, ms->boot_menu > 0);
    fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);
    {
        uint8_t *uuid = emu_malloc(16);
        memcpy(uuid, vm_uuid, 16);
        fw_cfg_add_bytes(fw, FW_CFG_UUID, uuid, 16);
    }
    /* No NUMA: node count 0, then a zero per CPU (QEMU's layout) */
    len = (1 + MAX(ms->smp.max_cpus, ms->smp.cpus)) * 8;
    fw_cfg_add_bytes(fw, FW_CFG_NUMA, emu_malloc0(len), len);

    blob = e820_table_blob(&len);
    if (!fw_cfg_add_file(fw, "etc/e820", blob, len, errp)) {
        return false;
    }
    /*
     * There is no display adapter: SeaBIOS writes its screen output to
     * COM1 ("sercon"), which is what QEMU users see with -nographic.
     */
    if (serial_hd(0)) {
        uint8_t *port = emu_malloc(2);
        port[0] = 0xf8;
        port[1] = 0x03;
        if (!fw_cfg_add_file(fw, "etc/sercon-port", port, 2, errp)) {
            return false;
        }
    }
    if (ms->boot_splash_time >= 0) {
        uint8_t *w = emu_malloc(2);
        w[0] = ms->boot_splash_time;
        w[1] = ms->boot_splash_time >> 8;
        if (!fw_cfg_add_file(fw, "etc/boot-menu-wait", w, 2, errp)) {
            return false;
        }
    }
    /*
     * Always present, as in QEMU: -1 (the default) makes SeaBIOS stop at
     * "No bootable device." instead of rebooting after 60 s.
     */
    {
        uint32_t rt = ms->boot_reboot_timeout >= 0 ?
                      (uint32_t)ms->boot_reboot_timeout : UINT32_MAX;
        uint8_t *w = emu_malloc0(4);
        for (int i = 0; i < 4; i++) {
            w[i] = rt >> (8 * i);
        }
        if (!fw_cfg_add_file(fw, "etc/boot-fail-wait", w, 4, errp)) {
            return false;
        }
    }
    /*
     * -kernel's option ROM boots first, before any disk (QEMU gives it
     * bootindex 0); strict ends the list with the stop mark.  No device
     * has a bootindex of its own yet.
     */
    if (ms->kernel_filename || ms->boot_strict) {
        char order[64];
        int len = snprintf(order, sizeof(order), "%s%s%s",
                           ms->kernel_filename ?
                           "/rom@genroms/linuxboot_dma.bin" : "",
                           ms->kernel_filename && ms->boot_strict ? "\n" : "",
                           ms->boot_strict ? "HALT" : "");
        if (!fw_cfg_add_file(fw, "bootorder", emu_strdup(order), len + 1,
                             errp)) {
            return false;
        }
    }
    return true;
}

/*
 * SMBIOS: QEMU's product string and machine version, but emu's name as
 * the manufacturer (QEMU reports "QEMU"); SeaBIOS adds the BIOS entry.
 */
static bool pc_smbios_init(MachineState *ms, PCMachine *s, Error **errp)
{
    SmbiosConfig cfg = {
        .manufacturer = "emu",
        .product = "Standard PC (i440FX + PIIX, 1996)",
        .version = "pc-i440fx-7.2",
        .cpus = ms->smp.cpus,
        .max_cpus = MAX(ms->smp.max_cpus, ms->smp.cpus),
        .below_4g_mem = s->below_4g_mem,
        .above_4g_mem = s->above_4g_mem,
    };
    CPUState *cs = first_cpu;

    memcpy(cfg.uuid, vm_uuid, sizeof(cfg.uuid));
    if (cs) {
        CPUX86State *env = &X86_CPU(cs)->env;
        cfg.cpuid_signature = env->cpuid_version;
        for (unsigned i = 0; i < env->nr_cpuid; i++) {
            if (env->cpuid[i].function == 1) {
                cfg.cpuid_features = env->cpuid[i].edx;
            }
        }
    }
    return pc_smbios_setup(s->fw_cfg, &cfg, errp);
}

static bool pc_init(MachineState *ms, Error **errp)
{
    PCMachine *s = &pcm;
    MemoryRegion *sysio = get_system_io();
    ISABus *isa = NULL;
    PCIBus *pci;
    DeviceState *piix3 = NULL, *dev, *pit = NULL;
    PCAcpiConfig acpi = { 0 };

    if (!pc_memory_init(ms, s, errp)) {
        return false;
    }
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        if (!x86_cpu_new(ms->cpu_model, i, errp)) {
            return false;
        }
    }
    if (!pc_bios_init(ms, s, errp)) {
        return false;
    }
    pci = i440fx_init(get_system_memory(), sysio, &s->ram, s->below_4g_mem,
                      s->above_4g_mem, &s->pci_memory, &isa, &piix3, errp);
    if (!pci) {
        return false;
    }
    if (!pc_irq_init(s, isa, errp)) {
        return false;
    }
    if (!s->irqchip_in_kernel) {
        /* MSIs from PCI devices go to the local APICs */
        pci_set_msi_handler(pci, pc_apic_msi, s);
    } else {
        pci_set_msi_handler(pci, pc_kvm_msi, s);
    }
    if (!pc_ide_init(s, pci, errp)) {
        return false;
    }
    /* PIIX4 power management at 01.3: PM timer, SCI, power button, S5 */
    if (!piix4_pm_init(pci, PCI_DEVFN(1, 3), errp)) {
        return false;
    }

    s->rtc = mc146818_rtc_init(isa, 2000, errp);
    if (!s->rtc) {
        return false;
    }
    if (!kvm_pit_in_kernel()) {
        pit = i8254_pit_init(isa, 0x40, 0, errp);
        if (!pit) {
            return false;
        }
    }
    dev = isa_create_simple(isa, TYPE_PCSPK, errp);
    if (!dev) {
        return false;
    }
    if (pit) {
        pcspk_set_pit(dev, pit);
    }
    if (!serial_hds_isa_init(isa, 0, MAX_ISA_SERIAL_PORTS, errp)) {
        return false;
    }
    dev = isa_create_simple(isa, TYPE_I8042, errp);
    if (!dev) {
        return false;
    }
    qdev_connect_gpio_out_named(dev, I8042_A20_LINE, 0,
                                irq_line(pc_a20_handler, s, 0));
    dev = isa_create_simple(isa, TYPE_PORT92, errp);
    if (!dev) {
        return false;
    }
    qdev_connect_gpio_out_named(dev, PORT92_A20_LINE, 0,
                                irq_line(pc_a20_handler, s, 0));
    ioport80_init(sysio);

    if (!pc_cmos_init(ms, s, errp) || !pc_fw_cfg_init(ms, s, errp)) {
        return false;
    }

    acpi.cpus = ms->smp.cpus;
    acpi.max_cpus = MAX(ms->smp.max_cpus, ms->smp.cpus);
    acpi.below_4g_mem = s->below_4g_mem;
    acpi.above_4g_mem = s->above_4g_mem;
    acpi.pm_base = PC_ACPI_PM_BASE;
    /* No GPE block; no SMI command port: always in ACPI mode (PIIX4_PM) */
    acpi.gpe0_base = 0;
    acpi.smi_cmd = 0;
    for (int i = 0; i < 4; i++) {
        acpi.serial_present[i] = serial_hd(i) != NULL;
    }
    if (!pc_acpi_setup(s->fw_cfg, &acpi, errp) ||
        !pc_smbios_init(ms, s, errp)) {
        return false;
    }

    if (ms->kernel_filename) {
        if (!x86_load_linux(s->fw_cfg, ms->kernel_filename,
                            ms->initrd_filename, ms->kernel_cmdline,
                            s->below_4g_mem, errp)) {
            return false;
        }
    } else if (ms->initrd_filename) {
        error_setg(errp, "-initrd only works with -kernel");
        return false;
    } else if (ms->kernel_cmdline && *ms->kernel_cmdline) {
        error_setg(errp, "-append only works with -kernel");
        return false;
    }
    return true;
}

/* HMP "info irq": QEMU prints per-controller counts; emu counts per GSI */
static json_object *hmp_info_irq(Monitor *mon, json_object *args,
                                 Error **errp)
{
    monitor_printf(mon, "IRQ statistics (GSI, times raised):\n");
    for (int i = 0; i < PC_NUM_GSI; i++) {
        if (pcm.gsi_raised[i]) {
            monitor_printf(mon, "%2d: %" PRIu64 "\n", i, pcm.gsi_raised[i]);
        }
    }
    return NULL;
}

static const MonitorCommand pc_monitor_commands[] = {
    {
        .hmp_name = "info irq",
        .help = "show the interrupt statistics",
        .handler = hmp_info_irq,
    },
    { .handler = NULL }
};
MONITOR_REGISTER_COMMANDS(pc_monitor_commands)

static const MachineInfo pc_machine = {
    .name = "pc-i440fx-7.2",
    .alias = "pc",
    .desc = "Standard PC (i440FX + PIIX, 1996)",
    .is_default = true,
    .default_ram_size = 128 * MiB,
    .default_cpus = 1,
    .max_cpus = 255,
    .default_accel = "tcg",
    .init = pc_init,
};
MACHINE_REGISTER(pc_machine)
