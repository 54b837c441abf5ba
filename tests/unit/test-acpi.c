/* Unit tests for the pc machine's ACPI tables: loader commands, checksums, RSDT/FADT/MADT/WAET fields, DSDT AML structure, _PRT, PCI links and processors (checked with iasl and acpiexec when installed). */
#include "emu/osdep.h"
#include "hw/i386/pc.h"

#include <setjmp.h>
#include <cmocka.h>

#define TABLES_BASE 0x7fe0000u
#define RSDP_BASE   0xf5a80u

static AcpiBuildTables tabs;
static PCAcpiConfig cfg;
/* the two files as the firmware would hold them after running the loader */
static uint8_t *tables, *rsdp;

static uint32_t ld32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld64(const uint8_t *p)
{
    return ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static uint16_t ld16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

/* Address of a table in the loaded image -> pointer into our copy */
static uint8_t *table_at(uint64_t addr)
{
    assert_true(addr >= TABLES_BASE && addr < TABLES_BASE + tabs.tables_len);
    return tables + (addr - TABLES_BASE);
}

static void check_table(const uint8_t *t, const char *sig)
{
    uint32_t len = ld32(t + 4);

    assert_memory_equal(t, sig, 4);
    assert_true(len >= 36);
    assert_true(t + len <= tables + tabs.tables_len);
    assert_int_equal(acpi_checksum(t, len), 0);
}

/* Run etc/table-loader the way SeaBIOS does (romfile_loader_execute) */
static void run_loader(void)
{
    tables = emu_malloc(tabs.tables_len);
    memcpy(tables, tabs.tables, tabs.tables_len);
    rsdp = emu_malloc(tabs.rsdp_len);
    memcpy(rsdp, tabs.rsdp, tabs.rsdp_len);

    assert_int_equal(tabs.loader_len % BIOS_LINKER_LOADER_COMMAND_SIZE, 0);
    for (size_t off = 0; off < tabs.loader_len;
         off += BIOS_LINKER_LOADER_COMMAND_SIZE) {
        const uint8_t *c = tabs.loader + off;
        const char *f1 = (const char *)c + 4;
        const char *f2 = (const char *)c + 4 + BIOS_LINKER_LOADER_FILESZ;
        uint8_t *file;
        size_t file_len;

        switch (ld32(c)) {
        case BIOS_LINKER_LOADER_COMMAND_ALLOCATE:
            if (!strcmp(f1, "etc/acpi/tables")) {
                assert_int_equal(ld32(c + 60), 64);
                assert_int_equal(c[64], BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH);
            } else {
                assert_string_equal(f1, "etc/acpi/rsdp");
                assert_int_equal(c[64], BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG);
            }
            break;
        case BIOS_LINKER_LOADER_COMMAND_ADD_POINTER: {
            uint32_t at = ld32(c + 116);
            uint8_t size = c[120];
            uint64_t base = !strcmp(f2, "etc/acpi/tables") ? TABLES_BASE
                                                           : RSDP_BASE;
            uint64_t v = 0;

            file = !strcmp(f1, "etc/acpi/tables") ? tables : rsdp;
            file_len = file == tables ? tabs.tables_len : tabs.rsdp_len;
            assert_true(size == 4 || size == 8);
            assert_true(at + size <= file_len);
            memcpy(&v, file + at, size);
            v += base;
            memcpy(file + at, &v, size);
            break;
        }
        case BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM: {
            uint32_t at = ld32(c + 60), start = ld32(c + 64);
            uint32_t len = ld32(c + 68);

            file = !strcmp(f1, "etc/acpi/tables") ? tables : rsdp;
            file_len = file == tables ? tabs.tables_len : tabs.rsdp_len;
            assert_true(start + len <= file_len && at < file_len);
            assert_true(at >= start && at < start + len);
            file[at] = 0;
            file[at] = acpi_checksum(file + start, len);
            break;
        }
        default:
            fail_msg("unknown loader command %u", ld32(c));
        }
    }
}

static void test_rsdp_rsdt(void **state)
{
    const uint8_t *rsdt;
    uint32_t n;

    assert_int_equal(tabs.rsdp_len, 20);
    assert_memory_equal(rsdp, "RSD PTR ", 8);
    assert_int_equal(acpi_checksum(rsdp, 20), 0);
    assert_int_equal(rsdp[15], 0);
    rsdt = table_at(ld32(rsdp + 16));
    check_table(rsdt, "RSDT");
    n = (ld32(rsdt + 4) - 36) / 4;
    assert_int_equal(n, 3);
    check_table(table_at(ld32(rsdt + 36)), "FACP");
    check_table(table_at(ld32(rsdt + 40)), "APIC");
    check_table(table_at(ld32(rsdt + 44)), "WAET");
    assert_int_equal(ld32(table_at(ld32(rsdt + 44)) + 4), 40);
    assert_int_equal(ld32(table_at(ld32(rsdt + 44)) + 36), 2);
}

static void test_fadt(void **state)
{
    const uint8_t *f = tables + tabs.fadt_offset;
    const uint8_t *facs, *dsdt;

    check_table(f, "FACP");
    assert_int_equal(ld32(f + 4), 244);
    assert_int_equal(f[8], 3);
    facs = table_at(ld32(f + 36));
    assert_memory_equal(facs, "FACS", 4);
    assert_int_equal(ld32(facs + 4), 64);
    assert_int_equal((ld32(f + 36)) % 64, 0);
    dsdt = table_at(ld32(f + 40));
    check_table(dsdt, "DSDT");
    assert_int_equal(ld64(f + 140), ld32(f + 40));
    assert_int_equal(ld16(f + 46), 9);                  /* SCI */
    assert_int_equal(ld32(f + 56), 0x600);              /* PM1a_EVT */
    assert_int_equal(ld32(f + 64), 0x604);              /* PM1a_CNT */
    assert_int_equal(ld32(f + 76), 0x608);              /* PM_TMR */
    assert_int_equal(f[88], 4);
    assert_int_equal(f[89], 2);
    assert_int_equal(f[91], 4);
    assert_int_equal(f[108], 0x32);                     /* century */
    assert_true(ld32(f + 112) & (1u << 10));            /* RESET_REG_SUP */
    assert_int_equal(f[116], 1);                        /* system I/O */
    assert_int_equal(f[117], 8);
    assert_int_equal(ld64(f + 120), 0xcf9);
    assert_int_equal(f[128], 6);
    assert_int_equal(ld64(f + 152), 0x600);             /* X_PM1a_EVT */
    assert_int_equal(ld64(f + 212), 0x608);             /* X_PM_TMR */
}

static void test_madt(void **state)
{
    const uint8_t *m = tables + tabs.madt_offset;
    uint32_t len = ld32(m + 4);
    unsigned lapics = 0, enabled = 0, ioapics = 0, isos = 0;
    bool irq0_to_2 = false, irq9_level = false;

    check_table(m, "APIC");
    assert_int_equal(ld32(m + 36), 0xfee00000);
    assert_int_equal(ld32(m + 40), 1);
    for (uint32_t off = 44; off < len;) {
        const uint8_t *e = m + off;
        assert_true(e[1] >= 2 && off + e[1] <= len);
        switch (e[0]) {
        case 0:
            assert_int_equal(e[1], 8);
            assert_int_equal(e[2], lapics);
            assert_int_equal(e[3], lapics);
            enabled += ld32(e + 4) & 1;
            lapics++;
            break;
        case 1:
            assert_int_equal(e[1], 12);
            assert_int_equal(ld32(e + 4), 0xfec00000);
            assert_int_equal(ld32(e + 8), 0);
            ioapics++;
            break;
        case 2:
            assert_int_equal(e[1], 10);
            isos++;
            irq0_to_2 |= e[3] == 0 && ld32(e + 4) == 2;
            irq9_level |= e[3] == 9 && ld32(e + 4) == 9 && ld16(e + 8) == 0xd;
            break;
        case 4:
            assert_int_equal(e[1], 6);
            break;
        default:
            fail_msg("unexpected MADT entry type %u", e[0]);
        }
        off += e[1];
    }
    assert_int_equal(lapics, cfg.max_cpus);
    assert_int_equal(enabled, cfg.cpus);
    assert_int_equal(ioapics, 1);
    assert_int_equal(isos, 5);
    assert_true(irq0_to_2);
    assert_true(irq9_level);
}

/* ---- AML walk: every package must end exactly inside its parent ---- */

static size_t aml_name_len(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *s = p;

    while (p < end && (*p == '\\' || *p == '^')) {
        p++;
    }
    assert_true(p < end);
    if (*p == 0) {
        return p + 1 - s;
    } else if (*p == 0x2e) {
        p += 1 + 8;
    } else if (*p == 0x2f) {
        p += 2 + 4 * p[1];
    } else {
        p += 4;
    }
    assert_true(p <= end);
    return p - s;
}

static size_t pkglen(const uint8_t *p, const uint8_t *end, size_t *len)
{
    int n = (p[0] >> 6) + 1;

    assert_true(p + n <= end);
    if (n == 1) {
        *len = p[0] & 0x3f;
    } else {
        *len = p[0] & 0xf;
        for (int i = 1; i < n; i++) {
            *len |= (size_t)p[i] << (4 + 8 * (i - 1));
        }
    }
    assert_true(p + *len <= end);
    return n;
}

static unsigned n_devices, n_eisaids, n_methods, n_cpus;
static bool seen_pci_hid, seen_s5;
/* _PRT: the link each (slot, pin) is routed to, "" when absent */
static char prt_link[32][4][5];
static bool seen_prt, seen_field;

static const uint8_t *aml_object(const uint8_t *p, const uint8_t *end);

/* An integer object: its value and the pointer past it */
static const uint8_t *aml_integer(const uint8_t *p, const uint8_t *end,
                                  uint64_t *v)
{
    assert_true(p < end);
    switch (*p) {
    case 0x00: *v = 0; return p + 1;
    case 0x01: *v = 1; return p + 1;
    case 0x0a: *v = p[1]; return p + 2;
    case 0x0b: *v = ld16(p + 1); return p + 3;
    case 0x0c: *v = ld32(p + 1); return p + 5;
    case 0x0e: *v = ld64(p + 1); return p + 9;
    default: fail_msg("not an integer: 0x%02x", *p);
    }
    return end;
}

/* Package { Package { address, pin, link, 0 } ... } */
static void parse_prt(const uint8_t *p, const uint8_t *end)
{
    size_t len, n;
    const uint8_t *pkg_end;
    unsigned count;

    assert_int_equal(*p, 0x12);
    n = pkglen(p + 1, end, &len);
    pkg_end = p + 1 + len;
    count = p[1 + n];
    p += 2 + n;
    seen_prt = true;
    for (unsigned i = 0; i < count; i++) {
        const uint8_t *e_end;
        uint64_t addr, pin, src_index;

        assert_int_equal(*p, 0x12);
        n = pkglen(p + 1, pkg_end, &len);
        e_end = p + 1 + len;
        assert_int_equal(p[1 + n], 4);
        p += 2 + n;
        p = aml_integer(p, e_end, &addr);
        p = aml_integer(p, e_end, &pin);
        assert_int_equal(addr & 0xffff, 0xffff);
        assert_true((addr >> 16) < 32 && pin < 4);
        assert_true(p + 4 <= e_end);
        memcpy(prt_link[addr >> 16][pin], p, 4);
        p += 4;
        p = aml_integer(p, e_end, &src_index);
        assert_int_equal(src_index, 0);
        assert_ptr_equal(p, e_end);
    }
    assert_ptr_equal(p, pkg_end);
}

static void aml_termlist(const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        p = aml_object(p, end);
    }
    assert_ptr_equal(p, end);
}

static const uint8_t *aml_object(const uint8_t *p, const uint8_t *end)
{
    size_t len, n;
    const uint8_t *pkg_end;

    switch (*p) {
    case 0x00: case 0x01: case 0xff:
        return p + 1;
    case 0x0a:
        return p + 2;
    case 0x0b:
        return p + 3;
    case 0x0c:
        n_eisaids++;
        seen_pci_hid |= !memcmp(p + 1, "\x41\xd0\x0a\x03", 4);
        return p + 5;
    case 0x0e:
        return p + 9;
    case 0x0d:
        p++;
        while (p < end && *p) {
            p++;
        }
        assert_true(p < end);
        return p + 1;
    case 0x08:              /* Name */
        if (!memcmp(p + 1, "\\_S5_", 5)) {
            seen_s5 = true;
        }
        if (!memcmp(p + 1, "_PRT", 4)) {
            parse_prt(p + 5, end);
        }
        if (!memcmp(p + 1, "_HID\x0d" "ACPI0007", 13)) {
            n_cpus++;
        }
        p++;
        p += aml_name_len(p, end);
        return aml_object(p, end);
    case 0x10:              /* Scope */
        n = pkglen(p + 1, end, &len);
        pkg_end = p + 1 + len;
        p += 1 + n;
        p += aml_name_len(p, pkg_end);
        aml_termlist(p, pkg_end);
        return pkg_end;
    case 0x14:              /* Method: the body is checked by iasl */
        n_methods++;
        n = pkglen(p + 1, end, &len);
        return p + 1 + len;
    case 0x5b:              /* ExtOp: OperationRegion, Field, Device */
        if (p[1] == 0x80) {
            p += 2;
            p += aml_name_len(p, end);
            p++;                        /* region space */
            p = aml_object(p, end);     /* offset */
            return aml_object(p, end);  /* length */
        }
        if (p[1] == 0x81) {
            seen_field = true;
            n = pkglen(p + 2, end, &len);
            return p + 2 + len;
        }
        assert_int_equal(p[1], 0x82);
        n_devices++;
        n = pkglen(p + 2, end, &len);
        pkg_end = p + 2 + len;
        p += 2 + n;
        p += aml_name_len(p, pkg_end);
        aml_termlist(p, pkg_end);
        return pkg_end;
    case 0x12: {            /* Package */
        unsigned count, seen = 0;
        n = pkglen(p + 1, end, &len);
        pkg_end = p + 1 + len;
        count = p[1 + n];
        p += 2 + n;
        while (p < pkg_end) {
            p = aml_object(p, pkg_end);
            seen++;
        }
        assert_ptr_equal(p, pkg_end);
        assert_int_equal(seen, count);
        return pkg_end;
    }
    case 0x11: {            /* Buffer: size, then bytes */
        const uint8_t *q;
        uint64_t size = 0;
        n = pkglen(p + 1, end, &len);
        pkg_end = p + 1 + len;
        q = p + 1 + n;
        switch (*q) {
        case 0x0a: size = q[1]; q += 2; break;
        case 0x0b: size = ld16(q + 1); q += 3; break;
        case 0x0c: size = ld32(q + 1); q += 5; break;
        case 0x00: size = 0; q += 1; break;
        case 0x01: size = 1; q += 1; break;
        default: fail_msg("bad buffer size op 0x%x", *q);
        }
        assert_int_equal(q + size, pkg_end);
        /* a resource template ends with the end tag */
        assert_true(size >= 2);
        assert_int_equal(pkg_end[-2], 0x79);
        return pkg_end;
    }
    case 'A' ... 'Z': case '_': case '\\': case '^':
        return p + aml_name_len(p, end);   /* a name in a package */
    default:
        fail_msg("unexpected AML opcode 0x%02x", *p);
    }
    return end;
}

static void test_dsdt_aml(void **state)
{
    const uint8_t *d = tables + tabs.dsdt_offset;
    uint32_t len = ld32(d + 4);

    check_table(d, "DSDT");
    aml_termlist(d + 36, d + len);
    /* PCI0, ISA, KBD, MOU, RTC, COM1, LNKA-D, LNKS, 4 processors */
    assert_int_equal(n_devices, 6 + 5 + 4);
    assert_int_equal(n_cpus, 4);
    assert_true(seen_pci_hid);
    assert_true(seen_s5);
    assert_true(seen_field);
    assert_true(n_eisaids >= 5);
    /* _STA, _DIS, _CRS, _SRS per PIRQ link, _SRS of LNKS */
    assert_int_equal(n_methods, 4 * 4 + 1);

    /* every slot and pin routed, rotating over the PIRQs as on the board */
    assert_true(seen_prt);
    for (int slot = 0; slot < 32; slot++) {
        for (int pin = 0; pin < 4; pin++) {
            char want[5];
            if (slot == 1 && pin == 0) {
                strcpy(want, "LNKS");
            } else {
                snprintf(want, sizeof(want), "LNK%c",
                         'A' + ((pin + slot - 1) & 3));
            }
            assert_memory_equal(prt_link[slot][pin], want, 4);
        }
    }
    /* e1000 in slot 3: INTA is PIRQC (LNKC), as on QEMU's i440FX */
    assert_memory_equal(prt_link[3][0], "LNKC", 4);
}

/* Disassemble with Debian's iasl (acpica-tools) when it is installed */
static void test_dsdt_iasl(void **state)
{
    const uint8_t *d = tables + tabs.dsdt_offset;
    char dir[] = "/tmp/emu-acpi-XXXXXX";
    char *cmd, *path, buf[256];
    FILE *f;
    bool found = false;
    unsigned n_prt = 0, n_links = 0, n_procs = 0;

    if (system("command -v iasl >/dev/null 2>&1") != 0) {
        print_message("iasl not installed (acpica-tools): skipped\n");
        skip();
    }
    assert_non_null(mkdtemp(dir));
    path = emu_asprintf("%s/dsdt.aml", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, ld32(d + 4), f), ld32(d + 4));
    fclose(f);
    cmd = emu_asprintf("cd %s && iasl -d dsdt.aml >iasl.log 2>&1", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(path);
    path = emu_asprintf("%s/dsdt.dsl", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(buf, sizeof(buf), f)) {
        found |= strstr(buf, "PNP0A03") != NULL;
        n_prt += strstr(buf, "Name (_PRT,") != NULL;
        n_links += strstr(buf, "Device (LNK") != NULL;
        n_procs += strstr(buf, "\"ACPI0007\"") != NULL;
    }
    fclose(f);
    assert_true(found);
    assert_int_equal(n_prt, 1);
    assert_int_equal(n_links, 5);
    assert_int_equal(n_procs, 4);
    /* the disassembly compiles back without errors: the AML is sound */
    cmd = emu_asprintf("cd %s && iasl -p re dsdt.dsl >iasl2.log 2>&1", dir);
    if (system(cmd) != 0) {
        free(cmd);
        cmd = emu_asprintf("cat %s/iasl2.log", dir);
        (void)!system(cmd);
        fail_msg("iasl could not compile the disassembled DSDT");
    }
    free(cmd);
    cmd = emu_asprintf("rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(path);
}

/*
 * Run the link methods in ACPICA's acpiexec, which simulates the PIIX3's
 * PCI configuration space as plain storage: what _SRS writes, _CRS and
 * _STA must read back; _DIS must disable only its own link.
 */
static void test_dsdt_acpiexec(void **state)
{
    static const char *const want[] = {
        "89 06 00 09 01 0B 00 00 00 79 00",     /* LNKB._CRS after _SRS */
        "[Integer] = 000000000000000B",         /* LNKB._STA: enabled */
        "[Integer] = 0000000000000009",         /* LNKB._STA after _DIS */
        "89 06 00 09 01 00 00 00 00 79 00",     /* LNKB._CRS: none */
        "89 06 00 09 01 0A 00 00 00 79 00",     /* LNKA._CRS after _SRS */
        "89 06 00 09 01 09 00 00 00 79 00",     /* LNKS._CRS: SCI */
        "[Integer] = 000000000000000F",         /* C002._STA: present */
        "[Integer] = 0000000000000000",         /* C003._STA: absent */
    };
    const uint8_t *d = tables + tabs.dsdt_offset;
    char dir[] = "/tmp/emu-acpiexec-XXXXXX";
    char *cmd, *path, buf[512];
    unsigned n = 0;
    FILE *f;

    if (system("command -v acpiexec >/dev/null 2>&1") != 0) {
        print_message("acpiexec not installed (acpica-tools): skipped\n");
        skip();
    }
    assert_non_null(mkdtemp(dir));
    path = emu_asprintf("%s/dsdt.aml", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, ld32(d + 4), f), ld32(d + 4));
    fclose(f);
    cmd = emu_asprintf(
        "cd %s && timeout 20 acpiexec -b '"
        "evaluate \\_SB.LNKB._SRS (89 06 00 09 01 0b 00 00 00 79 00); "
        "evaluate \\_SB.LNKB._CRS; evaluate \\_SB.LNKB._STA; "
        "evaluate \\_SB.LNKB._DIS; evaluate \\_SB.LNKB._STA; "
        "evaluate \\_SB.LNKB._CRS; "
        "evaluate \\_SB.LNKA._SRS (89 06 00 09 01 0a 00 00 00 79 00); "
        "evaluate \\_SB.LNKA._CRS; evaluate \\_SB.LNKS._CRS; "
        "evaluate \\_SB.C002._STA; evaluate \\_SB.C003._STA"
        "' dsdt.aml >exec.log 2>&1", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(path);
    path = emu_asprintf("%s/exec.log", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(buf, sizeof(buf), f)) {
        if (strstr(buf, "[Integer] =") || strstr(buf, "[Buffer]")) {
            assert_true(n < ARRAY_SIZE(want));
            if (!strstr(buf, want[n])) {
                fail_msg("acpiexec result %u: want '%s', got '%s'", n,
                         want[n], buf);
            }
            n++;
        }
        if (strstr(buf, "Error") || strstr(buf, "AE_")) {
            fail_msg("acpiexec: %s", buf);
        }
    }
    fclose(f);
    assert_int_equal(n, ARRAY_SIZE(want));
    cmd = emu_asprintf("rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(path);
}

static void test_many_cpus(void **state)
{
    PCAcpiConfig c = cfg;
    AcpiBuildTables t;
    const uint8_t *m;
    unsigned x2apic = 0, lapic = 0;

    c.cpus = 255;
    c.max_cpus = 255;
    c.below_4g_mem = 3 * GiB;
    c.above_4g_mem = 1 * GiB;
    acpi_build_tables(&c, &t);
    m = t.tables + t.madt_offset;
    assert_int_equal(acpi_checksum(m, ld32(m + 4)), 0);
    for (uint32_t off = 44; off < ld32(m + 4); off += m[off + 1]) {
        lapic += m[off] == 0;
        x2apic += m[off] == 9;
    }
    assert_int_equal(lapic, 255);
    assert_int_equal(x2apic, 0);
    /* FORCE_APIC_PHYSICAL_DESTINATION_MODE above 8 CPUs */
    assert_true(ld32(t.tables + t.fadt_offset + 112) & (1u << 19));
    acpi_build_tables_free(&t);
}

int main(void)
{
    cfg.cpus = 3;
    cfg.max_cpus = 4;
    cfg.below_4g_mem = 128 * MiB;
    cfg.pm_base = PC_ACPI_PM_BASE;
    cfg.serial_present[0] = true;
    acpi_build_tables(&cfg, &tabs);
    run_loader();

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsdp_rsdt),
        cmocka_unit_test(test_fadt),
        cmocka_unit_test(test_madt),
        cmocka_unit_test(test_dsdt_aml),
        cmocka_unit_test(test_dsdt_iasl),
        cmocka_unit_test(test_dsdt_acpiexec),
        cmocka_unit_test(test_many_cpus),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);

    acpi_build_tables_free(&tabs);
    free(tables);
    free(rsdp);
    return r;
}
