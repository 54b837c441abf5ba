/*
 * ACPI tables of the pc machine (RSDP, RSDT, FADT, FACS, MADT, DSDT),
 * handed to SeaBIOS as fw_cfg files with QEMU's BIOS linker/loader
 * commands, which tell the firmware where to place them and how to patch
 * pointers and checksums.
 */
#include "emu/osdep.h"
#include "emu/error.h"
#include "hw/i386/pc.h"
#include "hw/nvram/fw_cfg.h"
#include "aml.h"

#define ACPI_TABLES_FILE "etc/acpi/tables"
#define ACPI_RSDP_FILE   "etc/acpi/rsdp"
#define ACPI_LOADER_FILE "etc/table-loader"

#define ACPI_HEADER_SIZE 36
#define ACPI_FACS_SIZE   64
#define ACPI_FADT_REV    3
#define ACPI_FADT_SIZE   244
#define ACPI_RSDP_SIZE   20          /* revision 0 */

#define IOAPIC_ADDRESS   0xfec00000u
#define LAPIC_ADDRESS    0xfee00000u
#define PCI_HOLE_END     0xfec00000u  /* the IOAPIC caps the 32-bit window */

/* Growable blob */
typedef struct Blob {
    uint8_t *data;
    size_t len, cap;
} Blob;

static size_t blob_reserve(Blob *b, size_t n)
{
    size_t at = b->len;

    if (b->len + n > b->cap) {
        b->cap = MAX(b->cap * 2, b->len + n + 256);
        b->data = emu_realloc(b->data, b->cap);
    }
    memset(b->data + at, 0, n);
    b->len += n;
    return at;
}

/* Pointer to n new zero bytes (valid until the next reserve) */
static uint8_t *blob_alloc(Blob *b, size_t n)
{
    size_t at = blob_reserve(b, n);
    return b->data + at;
}

static void blob_align(Blob *b, size_t align)
{
    size_t pad = ROUND_UP(b->len, align) - b->len;
    if (pad) {
        blob_reserve(b, pad);
    }
}

static void st_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = v >> (8 * i);
    }
}

static void blob_put_le(Blob *b, uint64_t v, int n)
{
    st_le(blob_alloc(b, n), v, n);
}

static void blob_put(Blob *b, const void *p, size_t n)
{
    memcpy(blob_alloc(b, n), p, n);
}

uint8_t acpi_checksum(const uint8_t *data, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += data[i];
    }
    return (uint8_t)-sum;
}

/* ---- BIOS linker/loader ---- */

static void loader_name(uint8_t *p, const char *name)
{
    strncpy((char *)p, name, BIOS_LINKER_LOADER_FILESZ - 1);
}

static void loader_allocate(Blob *l, const char *file, uint32_t align,
                            uint8_t zone)
{
    uint8_t *c = blob_alloc(l, BIOS_LINKER_LOADER_COMMAND_SIZE);

    st_le(c, BIOS_LINKER_LOADER_COMMAND_ALLOCATE, 4);
    loader_name(c + 4, file);
    st_le(c + 4 + BIOS_LINKER_LOADER_FILESZ, align, 4);
    c[4 + BIOS_LINKER_LOADER_FILESZ + 4] = zone;
}

/* The size-byte field at dest_file+offset gets src_file's address added */
static void loader_add_pointer(Blob *l, const char *dest_file,
                               const char *src_file, uint32_t offset,
                               uint8_t size)
{
    uint8_t *c = blob_alloc(l, BIOS_LINKER_LOADER_COMMAND_SIZE);

    st_le(c, BIOS_LINKER_LOADER_COMMAND_ADD_POINTER, 4);
    loader_name(c + 4, dest_file);
    loader_name(c + 4 + BIOS_LINKER_LOADER_FILESZ, src_file);
    st_le(c + 4 + 2 * BIOS_LINKER_LOADER_FILESZ, offset, 4);
    c[4 + 2 * BIOS_LINKER_LOADER_FILESZ + 4] = size;
}

static void loader_add_checksum(Blob *l, const char *file, uint32_t offset,
                                uint32_t start, uint32_t length)
{
    uint8_t *c = blob_alloc(l, BIOS_LINKER_LOADER_COMMAND_SIZE);

    st_le(c, BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM, 4);
    loader_name(c + 4, file);
    st_le(c + 4 + BIOS_LINKER_LOADER_FILESZ, offset, 4);
    st_le(c + 4 + BIOS_LINKER_LOADER_FILESZ + 4, start, 4);
    st_le(c + 4 + BIOS_LINKER_LOADER_FILESZ + 8, length, 4);
}

/* ---- Tables ---- */

/* Standard header; length and checksum are filled by table_end */
static size_t table_begin(Blob *t, const char *sig, uint8_t rev)
{
    size_t at;

    blob_align(t, 8);
    at = blob_reserve(t, ACPI_HEADER_SIZE);
    memcpy(t->data + at, sig, 4);
    t->data[at + 8] = rev;
    memcpy(t->data + at + 10, "BOCHS ", 6);
    memcpy(t->data + at + 16, "BXPC    ", 8);
    st_le(t->data + at + 24, 1, 4);           /* OEM revision */
    memcpy(t->data + at + 28, "BXPC", 4);     /* creator */
    st_le(t->data + at + 32, 1, 4);           /* creator revision */
    return at;
}

/*
 * Set the length and checksum (the checksum is also what SeaBIOS
 * recomputes after patching pointers, through ADD_CHECKSUM).
 */
static void table_end(Blob *t, Blob *l, size_t at)
{
    size_t len = t->len - at;

    st_le(t->data + at + 4, len, 4);
    t->data[at + 9] = 0;
    t->data[at + 9] = acpi_checksum(t->data + at, len);
    loader_add_checksum(l, ACPI_TABLES_FILE, at + 9, at, len);
}

static void build_facs(Blob *t)
{
    size_t at = blob_reserve(t, ACPI_FACS_SIZE);

    memcpy(t->data + at, "FACS", 4);
    st_le(t->data + at + 4, ACPI_FACS_SIZE, 4);
}

static Aml *isa_device(const char *name, const char *hid, int uid,
                       Aml *crs)
{
    Aml *dev = aml_device(name);

    aml_append(dev, aml_name_decl("_HID", aml_eisaid(hid)));
    if (uid >= 0) {
        aml_append(dev, aml_name_decl("_UID", aml_int(uid)));
    }
    aml_append(dev, aml_name_decl("_STA", aml_int(0xf)));
    aml_append(dev, aml_name_decl("_CRS", crs));
    return dev;
}

/* PIIX3 PIRQ route registers (82371SB PIRQRC[A:D], config 0x60-0x63) */
#define PIIX_PIRQ_REGS   0x60
#define AML_PCI_CONFIG   0x02    /* OperationRegion space */
#define AML_BYTE_ACC     0x01    /* Field: ByteAcc, NoLock, Preserve */

/* Interrupt(ResourceConsumer, Level, ActiveHigh, Shared) {irqs} */
static Aml *pci_link_irqs(const uint32_t *irqs, unsigned count)
{
    Aml *crs = aml_resource_template();

    aml_append(crs, aml_interrupt(true, false, true, irqs, count));
    return crs;
}

/*
 * PCI interrupt link LNKA-D (PNP0C0F): one per PIIX3 PIRQ.  The methods
 * read and write the route register through the PRQn field, so what the
 * OS chooses is what the PIIX3 model routes; bit 7 disables the PIRQ.
 * The IRQ number sits at byte 5 of the extended interrupt descriptor.
 */
static Aml *pci_link_device(int n)
{
    static const uint32_t possible[] = { 5, 10, 11 };
    static const uint32_t none[] = { 0 };
    char name[5], reg[5];
    Aml *dev, *method, *cond;

    snprintf(name, sizeof(name), "LNK%c", 'A' + n);
    snprintf(reg, sizeof(reg), "PRQ%d", n);
    dev = aml_device(name);
    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0C0F")));
    aml_append(dev, aml_name_decl("_UID", aml_int(n)));
    aml_append(dev, aml_name_decl("_PRS",
                                  pci_link_irqs(possible,
                                                ARRAY_SIZE(possible))));

    method = aml_method("_STA", 0, false);
    cond = aml_if(aml_and(aml_name(reg), aml_int(0x80), NULL));
    aml_append(cond, aml_return(aml_int(0x09)));   /* present, disabled */
    aml_append(method, cond);
    cond = aml_else();
    aml_append(cond, aml_return(aml_int(0x0b)));   /* present, enabled */
    aml_append(method, cond);
    aml_append(dev, method);

    method = aml_method("_DIS", 0, false);
    aml_append(method, aml_or(aml_name(reg), aml_int(0x80), aml_name(reg)));
    aml_append(dev, method);

    method = aml_method("_CRS", 0, false);
    aml_append(method, aml_name_decl("PRR0", pci_link_irqs(none, 1)));
    aml_append(method, aml_create_dword_field(aml_name("PRR0"), aml_int(5),
                                              "PRRI"));
    cond = aml_if(aml_lless(aml_name(reg), aml_int(0x80)));
    aml_append(cond, aml_store(aml_name(reg), aml_name("PRRI")));
    aml_append(method, cond);
    aml_append(method, aml_return(aml_name("PRR0")));
    aml_append(dev, method);

    method = aml_method("_SRS", 1, false);
    aml_append(method, aml_create_dword_field(aml_arg(0), aml_int(5),
                                              "PRRI"));
    aml_append(method, aml_store(aml_name("PRRI"), aml_name(reg)));
    aml_append(dev, method);
    return dev;
}

/* LNKS: the PIIX4 PM function's SCI, hard-wired to IRQ 9 */
static Aml *sci_link_device(void)
{
    static const uint32_t sci[] = { PC_ACPI_SCI_IRQ };
    Aml *dev = aml_device("LNKS");
    Aml *method;

    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0C0F")));
    aml_append(dev, aml_name_decl("_UID", aml_int(4)));
    aml_append(dev, aml_name_decl("_STA", aml_int(0x0b)));
    aml_append(dev, aml_name_decl("_PRS", pci_link_irqs(sci, 1)));
    aml_append(dev, aml_name_decl("_CRS", pci_link_irqs(sci, 1)));
    method = aml_method("_SRS", 1, false);
    aml_append(dev, method);
    return dev;
}

/*
 * _PRT of the root bus: INTx of slot s goes to PIRQ (pin + s - 1) & 3,
 * the i440FX board wiring (piix3_map_irq); slot 1's INTA is the PM
 * function's SCI.  The links serve both PIC and APIC mode, because the
 * PIIX3 drives the same ISA IRQ into the 8259 and the IOAPIC.
 */
static Aml *pci_routing_table(void)
{
    Aml *prt = aml_package();

    for (int slot = 0; slot < 32; slot++) {
        for (int pin = 0; pin < 4; pin++) {
            Aml *entry = aml_package();
            char link[5];

            if (slot == 1 && pin == 0) {
                snprintf(link, sizeof(link), "LNKS");
            } else {
                snprintf(link, sizeof(link), "LNK%c",
                         'A' + ((pin + slot - 1) & 3));
            }
            aml_append(entry, aml_int(((uint64_t)slot << 16) | 0xffff));
            aml_append(entry, aml_int(pin));
            aml_append(entry, aml_name(link));
            aml_append(entry, aml_int(0));
            aml_append(prt, entry);
        }
    }
    return prt;
}

/* Processor devices; _UID matches the MADT's ACPI processor UID */
static void build_cpus_aml(Aml *sb, const PCAcpiConfig *cfg)
{
    unsigned ncpus = MAX(cfg->max_cpus, cfg->cpus);

    for (unsigned i = 0; i < ncpus && i <= 0xfff; i++) {
        char name[5];
        Aml *dev;

        snprintf(name, sizeof(name), "C%03X", i);
        dev = aml_device(name);
        aml_append(dev, aml_name_decl("_HID", aml_string("ACPI0007")));
        aml_append(dev, aml_name_decl("_UID", aml_int(i)));
        aml_append(dev, aml_name_decl("_STA",
                                      aml_int(i < cfg->cpus ? 0x0f : 0)));
        aml_append(sb, dev);
    }
}

static void build_dsdt_aml(Aml *dsdt, const PCAcpiConfig *cfg)
{
    static const uint16_t com_base[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
    static const uint8_t com_irq[4] = { 4, 3, 4, 3 };
    Aml *sb = aml_scope("\\_SB");
    Aml *pci = aml_device("PCI0");
    Aml *isa = aml_device("ISA");
    Aml *crs, *pkg, *field;
    uint64_t hole_start = MIN(cfg->below_4g_mem, (uint64_t)PCI_HOLE_END);

    aml_append(pci, aml_name_decl("_HID", aml_eisaid("PNP0A03")));
    aml_append(pci, aml_name_decl("_ADR", aml_int(0)));
    aml_append(pci, aml_name_decl("_UID", aml_int(0)));

    /* Root bridge windows: bus 0-255, I/O around 0xcf8, the VGA hole, the
     * 32-bit hole between RAM and the IOAPIC */
    crs = aml_resource_template();
    aml_append(crs, aml_word_bus_number(0x00, 0xff));
    aml_append(crs, aml_io(0xcf8, 0xcf8, 1, 8));
    aml_append(crs, aml_word_io(0x0000, 0x0cf7));
    aml_append(crs, aml_word_io(0x0d00, 0xffff));
    aml_append(crs, aml_dword_memory(0x000a0000, 0x000bffff, true));
    if (hole_start < PCI_HOLE_END) {
        aml_append(crs, aml_dword_memory(hole_start, PCI_HOLE_END - 1,
                                         false));
    }
    aml_append(pci, aml_name_decl("_CRS", crs));
    aml_append(pci, aml_name_decl("_PRT", pci_routing_table()));

    /* PIIX3 (00:01.0) and its ISA devices */
    aml_append(isa, aml_name_decl("_ADR", aml_int(0x00010000)));
    aml_append(isa, aml_operation_region("P40C", AML_PCI_CONFIG,
                                         PIIX_PIRQ_REGS, 4));

    crs = aml_resource_template();
    aml_append(crs, aml_io(0x60, 0x60, 1, 1));
    aml_append(crs, aml_io(0x64, 0x64, 1, 1));
    aml_append(crs, aml_irq_no_flags(1));
    aml_append(isa, isa_device("KBD", "PNP0303", -1, crs));

    crs = aml_resource_template();
    aml_append(crs, aml_irq_no_flags(12));
    aml_append(isa, isa_device("MOU", "PNP0F13", -1, crs));

    crs = aml_resource_template();
    /* 8 ports, as QEMU describes it: Linux then offers 242 NVRAM bytes */
    aml_append(crs, aml_io(0x70, 0x70, 1, 8));
    aml_append(crs, aml_irq_no_flags(8));
    aml_append(isa, isa_device("RTC", "PNP0B00", -1, crs));

    for (int i = 0; i < 4; i++) {
        char name[5];
        if (!cfg->serial_present[i]) {
            continue;
        }
        snprintf(name, sizeof(name), "COM%d", i + 1);
        crs = aml_resource_template();
        aml_append(crs, aml_io(com_base[i], com_base[i], 0, 8));
        aml_append(crs, aml_irq_no_flags(com_irq[i]));
        aml_append(isa, isa_device(name, "PNP0501", i + 1, crs));
    }

    aml_append(pci, isa);
    aml_append(sb, pci);

    field = aml_field("PCI0.ISA.P40C", AML_BYTE_ACC);
    for (int i = 0; i < 4; i++) {
        char reg[5];
        snprintf(reg, sizeof(reg), "PRQ%d", i);
        aml_append(field, aml_named_field(reg, 8));
    }
    aml_append(sb, field);
    for (int i = 0; i < 4; i++) {
        aml_append(sb, pci_link_device(i));
    }
    aml_append(sb, sci_link_device());
    build_cpus_aml(sb, cfg);
    aml_append(dsdt, sb);

    /* S5 (soft off): SLP_TYP 0 on the PIIX4 PM block */
    pkg = aml_package();
    for (int i = 0; i < 4; i++) {
        aml_append(pkg, aml_int(0));
    }
    aml_append(dsdt, aml_name_decl("\\_S5", pkg));
}

static void build_dsdt(Blob *t, Blob *l, const PCAcpiConfig *cfg)
{
    Aml *dsdt = aml_raw();
    const uint8_t *code;
    size_t len, at = table_begin(t, "DSDT", 1);

    build_dsdt_aml(dsdt, cfg);
    code = aml_data(dsdt, &len);
    blob_put(t, code, len);
    aml_free(dsdt);
    table_end(t, l, at);
}

/* Generic Address Structure for a system I/O register */
static void put_gas_io(uint8_t *p, uint8_t bit_width, uint64_t addr,
                       uint8_t access_size)
{
    p[0] = addr ? 1 : 0;        /* system I/O */
    p[1] = addr ? bit_width : 0;
    p[2] = 0;
    p[3] = addr ? access_size : 0;
    st_le(p + 4, addr, 8);
}

static void build_fadt(Blob *t, Blob *l, const PCAcpiConfig *cfg,
                       size_t facs, size_t dsdt)
{
    size_t at = table_begin(t, "FACP", ACPI_FADT_REV);
    uint8_t *f;
    uint32_t flags;

    blob_reserve(t, ACPI_FADT_SIZE - ACPI_HEADER_SIZE);
    f = t->data + at;
    st_le(f + 36, facs, 4);              /* FIRMWARE_CTRL (patched) */
    st_le(f + 40, dsdt, 4);              /* DSDT (patched) */
    f[44] = 1;                           /* INT_MODEL (ACPI 1.0: APIC) */
    f[45] = 0;                           /* unspecified PM profile */
    st_le(f + 46, PC_ACPI_SCI_IRQ, 2);
    st_le(f + 48, cfg->smi_cmd, 4);
    f[52] = cfg->smi_cmd ? 0xf1 : 0;     /* ACPI_ENABLE */
    f[53] = cfg->smi_cmd ? 0xf0 : 0;     /* ACPI_DISABLE */
    st_le(f + 56, cfg->pm_base, 4);      /* PM1a_EVT_BLK */
    st_le(f + 64, cfg->pm_base + 4, 4);  /* PM1a_CNT_BLK */
    st_le(f + 76, cfg->pm_base + 8, 4);  /* PM_TMR_BLK */
    st_le(f + 80, cfg->gpe0_base, 4);    /* GPE0_BLK */
    f[88] = 4;                           /* PM1_EVT_LEN */
    f[89] = 2;                           /* PM1_CNT_LEN */
    f[91] = 4;                           /* PM_TMR_LEN */
    f[92] = cfg->gpe0_base ? 4 : 0;      /* GPE0_BLK_LEN */
    st_le(f + 96, 0xfff, 2);             /* no C2 */
    st_le(f + 98, 0xfff, 2);             /* no C3 */
    f[108] = 0x32;                       /* CENTURY: CMOS index */
    st_le(f + 109, 0x0003, 2);           /* legacy devices, 8042 */
    flags = (1u << 0) |                  /* WBINVD */
            (1u << 2) |                  /* PROC_C1 */
            (1u << 5) |                  /* SLP_BUTTON (none) */
            (1u << 7) |                  /* RTC_S4 */
            (1u << 10) |                 /* RESET_REG_SUP */
            (1u << 15);                  /* USE_PLATFORM_CLOCK */
    if (cfg->max_cpus > 8) {
        flags |= 1u << 19;               /* FORCE_APIC_PHYSICAL_DESTINATION */
    }
    st_le(f + 112, flags, 4);
    put_gas_io(f + 116, 8, 0xcf9, 1);    /* RESET_REG: PIIX3 RCR */
    f[128] = 0x06;                       /* RESET_VALUE: hard reset */
    st_le(f + 140, dsdt, 8);             /* X_DSDT (patched) */
    put_gas_io(f + 148, 32, cfg->pm_base, 0);
    put_gas_io(f + 172, 16, cfg->pm_base + 4, 0);
    put_gas_io(f + 208, 32, cfg->pm_base + 8, 0);
    put_gas_io(f + 220, 32, cfg->gpe0_base, 0);

    loader_add_pointer(l, ACPI_TABLES_FILE, ACPI_TABLES_FILE, at + 36, 4);
    loader_add_pointer(l, ACPI_TABLES_FILE, ACPI_TABLES_FILE, at + 40, 4);
    loader_add_pointer(l, ACPI_TABLES_FILE, ACPI_TABLES_FILE, at + 140, 8);
    table_end(t, l, at);
}

static void build_madt(Blob *t, Blob *l, const PCAcpiConfig *cfg)
{
    size_t at = table_begin(t, "APIC", 1);
    unsigned ncpus = MAX(cfg->max_cpus, cfg->cpus);

    blob_put_le(t, LAPIC_ADDRESS, 4);
    blob_put_le(t, 1, 4);                    /* PCAT_COMPAT: 8259s exist */
    for (unsigned i = 0; i < ncpus; i++) {
        bool enabled = i < cfg->cpus;
        if (i < 255) {
            blob_put_le(t, 0, 1);            /* processor local APIC */
            blob_put_le(t, 8, 1);
            blob_put_le(t, i, 1);            /* ACPI processor UID */
            blob_put_le(t, i, 1);            /* APIC ID */
            blob_put_le(t, enabled, 4);
        } else {
            blob_put_le(t, 9, 1);            /* processor local x2APIC */
            blob_put_le(t, 16, 1);
            blob_put_le(t, 0, 2);
            blob_put_le(t, i, 4);
            blob_put_le(t, enabled, 4);
            blob_put_le(t, i, 4);
        }
    }
    blob_put_le(t, 1, 1);                    /* I/O APIC */
    blob_put_le(t, 12, 1);
    blob_put_le(t, 0, 1);                    /* id */
    blob_put_le(t, 0, 1);
    blob_put_le(t, IOAPIC_ADDRESS, 4);
    blob_put_le(t, 0, 4);                    /* GSI base */

    /* The PIT's IRQ 0 is wired to pin 2; PCI IRQs are level, active high */
    static const uint8_t overrides[][3] = {
        /* source, gsi, flags */
        { 0, 2, 0x00 }, { 5, 5, 0x0d }, { 9, 9, 0x0d },
        { 10, 10, 0x0d }, { 11, 11, 0x0d },
    };
    for (size_t i = 0; i < ARRAY_SIZE(overrides); i++) {
        blob_put_le(t, 2, 1);
        blob_put_le(t, 10, 1);
        blob_put_le(t, 0, 1);                /* ISA bus */
        blob_put_le(t, overrides[i][0], 1);
        blob_put_le(t, overrides[i][1], 4);
        blob_put_le(t, overrides[i][2], 2);
    }
    blob_put_le(t, 4, 1);                    /* local APIC NMI on LINT1 */
    blob_put_le(t, 6, 1);
    blob_put_le(t, 0xff, 1);                 /* all processors */
    blob_put_le(t, 0, 2);
    blob_put_le(t, 1, 1);
    table_end(t, l, at);
}

/*
 * WAET (Microsoft's "Windows ACPI Emulated Devices Table"), as QEMU
 * gives it: the PM timer needs one read only, which spares Windows
 * guests needless repeated reads (each one a VM exit under KVM).
 */
static void build_waet(Blob *t, Blob *l)
{
    size_t at = table_begin(t, "WAET", 1);

    blob_put_le(t, 1u << 1, 4);              /* ACPI_PM_TIMER_GOOD */
    table_end(t, l, at);
}

static void build_rsdt(Blob *t, Blob *l, const size_t *tables, int n)
{
    size_t at = table_begin(t, "RSDT", 1);

    for (int i = 0; i < n; i++) {
        size_t off = blob_reserve(t, 4);
        st_le(t->data + off, tables[i], 4);
        loader_add_pointer(l, ACPI_TABLES_FILE, ACPI_TABLES_FILE, off, 4);
    }
    table_end(t, l, at);
}

static void build_rsdp(Blob *r, Blob *l, size_t rsdt)
{
    size_t at = blob_reserve(r, ACPI_RSDP_SIZE);

    memcpy(r->data + at, "RSD PTR ", 8);
    memcpy(r->data + at + 9, "BOCHS ", 6);
    r->data[at + 15] = 0;                    /* revision 0: ACPI 1.0 */
    st_le(r->data + at + 16, rsdt, 4);
    loader_add_pointer(l, ACPI_RSDP_FILE, ACPI_TABLES_FILE, 16, 4);
    r->data[at + 8] = acpi_checksum(r->data + at, ACPI_RSDP_SIZE);
    loader_add_checksum(l, ACPI_RSDP_FILE, 8, 0, ACPI_RSDP_SIZE);
}

void acpi_build_tables(const PCAcpiConfig *cfg, AcpiBuildTables *out)
{
    Blob t = { 0 }, r = { 0 }, l = { 0 };
    size_t entries[3];

    memset(out, 0, sizeof(*out));
    loader_allocate(&l, ACPI_TABLES_FILE, 64,
                    BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH);
    loader_allocate(&l, ACPI_RSDP_FILE, 16,
                    BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG);

    out->facs_offset = t.len;
    build_facs(&t);
    out->dsdt_offset = ROUND_UP(t.len, 8);
    build_dsdt(&t, &l, cfg);
    out->fadt_offset = ROUND_UP(t.len, 8);
    build_fadt(&t, &l, cfg, out->facs_offset, out->dsdt_offset);
    out->madt_offset = ROUND_UP(t.len, 8);
    build_madt(&t, &l, cfg);
    entries[2] = ROUND_UP(t.len, 8);
    build_waet(&t, &l);
    entries[0] = out->fadt_offset;
    entries[1] = out->madt_offset;
    out->rsdt_offset = ROUND_UP(t.len, 8);
    build_rsdt(&t, &l, entries, ARRAY_SIZE(entries));
    build_rsdp(&r, &l, out->rsdt_offset);

    out->tables = t.data;
    out->tables_len = t.len;
    out->rsdp = r.data;
    out->rsdp_len = r.len;
    out->loader = l.data;
    out->loader_len = l.len;
}

void acpi_build_tables_free(AcpiBuildTables *t)
{
    free(t->tables);
    free(t->rsdp);
    free(t->loader);
    memset(t, 0, sizeof(*t));
}

bool pc_acpi_setup(FWCfgState *fw, const PCAcpiConfig *cfg, Error **errp)
{
    AcpiBuildTables t;

    acpi_build_tables(cfg, &t);
    if (!fw_cfg_add_file(fw, ACPI_TABLES_FILE, t.tables, t.tables_len,
                         errp)) {
        free(t.rsdp);
        free(t.loader);
        return false;
    }
    if (!fw_cfg_add_file(fw, ACPI_RSDP_FILE, t.rsdp, t.rsdp_len, errp)) {
        free(t.loader);
        return false;
    }
    return fw_cfg_add_file(fw, ACPI_LOADER_FILE, t.loader, t.loader_len,
                           errp);
}
