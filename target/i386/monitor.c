/*
 * Monitor commands about guest CPUs and their memory: info registers,
 * info cpus / query-cpus-fast, x, xp, gpa2hva, info tlb, info mem.
 */
#include "emu/osdep.h"
#include "hw/boards.h"
#include "monitor/monitor.h"
#include "system/kvm.h"
#include "system/memory.h"
#include "cpu.h"
#include <ctype.h>
#ifdef CONFIG_CAPSTONE
#include <capstone/capstone.h>
#endif

/* Registers of cs as the accelerator has them now */
static void cpu_synchronize(CPUState *cs)
{
    if (cs->cc == &x86_cpu_class) {
        x86_cpu_synchronize_state(cs);
    }
}

static CPUState *monitor_cpu(Monitor *mon, Error **errp)
{
    CPUState *cs = cpu_by_index(monitor_get_cpu_index(mon));

    if (!cs) {
        cs = first_cpu;
    }
    if (!cs) {
        error_setg(errp, "No CPU available");
    }
    return cs;
}

static void print_cpu_state(Monitor *mon, CPUState *cs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f) {
        return;
    }
    cpu_synchronize(cs);
    if (cs->cc->dump_state) {
        cs->cc->dump_state(cs, f, CPU_DUMP_FPU);
    }
    fclose(f);
    monitor_printf(mon, "%s", buf ? buf : "");
    free(buf);
}

static json_object *cmd_info_registers(Monitor *mon, json_object *args,
                                       Error **errp)
{
    bool all = monitor_arg_bool(args, "cpustate_all", false);
    CPUState *cs;

    if (all) {
        if (!first_cpu) {
            error_setg(errp, "No CPU available");
            return NULL;
        }
        CPU_FOREACH(cs) {
            monitor_printf(mon, "\nCPU#%d\n", cs->cpu_index);
            print_cpu_state(mon, cs);
        }
        return NULL;
    }
    if (monitor_arg_has(args, "vcpu")) {
        int64_t idx = monitor_arg_int(args, "vcpu", 0);
        cs = idx >= 0 && idx <= INT_MAX ? cpu_by_index((int)idx) : NULL;
        if (!cs) {
            error_setg(errp, "CPU#%" PRId64 " not available", idx);
            return NULL;
        }
    } else {
        cs = monitor_cpu(mon, errp);
        if (!cs) {
            return NULL;
        }
    }
    print_cpu_state(mon, cs);
    return NULL;
}

/* ---- query-cpus-fast / info cpus ---- */

static int cpu_thread_id(CPUState *cs)
{
    int tid = kvm_cpu_thread_id(cs);

    return tid >= 0 ? tid : (int)getpid();
}

static json_object *cmd_query_cpus_fast(Monitor *mon, json_object *args,
                                        Error **errp)
{
    json_object *list = json_object_new_array();
    unsigned threads = 1, cores = 1, dies = 1;
    CPUState *cs;

    if (current_machine) {
        const SMPConfig *smp = &current_machine->smp;
        threads = smp->threads ? smp->threads : 1;
        cores = smp->cores ? smp->cores : 1;
        dies = smp->dies ? smp->dies : 1;
    }
    CPU_FOREACH(cs) {
        json_object *o = json_object_new_object();
        json_object *props = json_object_new_object();
        unsigned idx = (unsigned)cs->cpu_index;
        char path[64];

        json_object_object_add(o, "cpu-index", json_object_new_int(cs->cpu_index));
        snprintf(path, sizeof(path), "/machine/unattached/device[%u]", idx);
        json_object_object_add(o, "qom-path", json_object_new_string(path));
        json_object_object_add(o, "thread-id",
                               json_object_new_int(cpu_thread_id(cs)));
        json_object_object_add(props, "core-id",
                               json_object_new_int((int)((idx / threads) %
                                                         cores)));
        json_object_object_add(props, "thread-id",
                               json_object_new_int((int)(idx % threads)));
        json_object_object_add(props, "socket-id",
                               json_object_new_int((int)(idx / (threads *
                                                   cores * dies))));
        json_object_object_add(o, "props", props);
        json_object_object_add(o, "target",
                               json_object_new_string(cs->cc->name ?
                                                      cs->cc->name : ""));
        json_object_array_add(list, o);
    }
    return list;
}

static void print_cpus(Monitor *mon, json_object *result)
{
    int cur = monitor_get_cpu_index(mon);
    size_t n = json_object_array_length(result);

    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(result, i);
        json_object *idx, *tid;
        if (!json_object_object_get_ex(o, "cpu-index", &idx) ||
            !json_object_object_get_ex(o, "thread-id", &tid)) {
            continue;
        }
        monitor_printf(mon, "%c CPU #%d: thread_id=%d\n",
                       json_object_get_int(idx) == cur ? '*' : ' ',
                       json_object_get_int(idx), json_object_get_int(tid));
    }
}

/* ---- x / xp ---- */

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;

    if (!s || !*s) {
        return false;
    }
    errno = 0;
    *v = strtoull(s, &end, 0);
    return !errno && *end == '\0';
}

/* "/[count][format][size]", QEMU's syntax; false on a bad one */
static bool parse_fmt(const char *s, uint64_t *count, char *format,
                      unsigned *size, Error **errp)
{
    const char *p = s + 1;

    *count = 1;
    if (isdigit((unsigned char)*p)) {
        char *end;
        *count = strtoull(p, &end, 10);
        p = end;
    }
    for (; *p; p++) {
        switch (*p) {
        case 'x': case 'd': case 'u': case 'o': case 'c':
            *format = *p;
            break;
        case 'i':
#ifdef CONFIG_CAPSTONE
            *format = *p;
            break;
#else
            error_setg(errp, "format 'i' needs emu built with capstone");
            return false;
#endif
        case 'b': *size = 1; break;
        case 'h': *size = 2; break;
        case 'w': *size = 4; break;
        case 'g': *size = 8; break;
        default:
            error_setg(errp, "invalid char in format: '%c'", *p);
            return false;
        }
    }
    return true;
}

static void print_item(Monitor *mon, char format, unsigned size, uint64_t v)
{
    int digits;

    switch (format) {
    case 'o':
        digits = (int)DIV_ROUND_UP(size * 8, 3);
        monitor_printf(mon, " %#*" PRIo64, digits, v);
        break;
    case 'u':
        digits = (int)DIV_ROUND_UP(size * 8 * 10, 33);
        monitor_printf(mon, " %*" PRIu64, digits, v);
        break;
    case 'd': {
        int shift = 64 - (int)size * 8;
        int64_t sv = (int64_t)(v << shift) >> shift;
        digits = (int)DIV_ROUND_UP(size * 8 * 10, 33);
        monitor_printf(mon, " %*" PRId64, digits, sv);
        break;
    }
    case 'c': {
        uint8_t c = (uint8_t)v;
        if (c == '\'' || c == '\\') {
            monitor_printf(mon, " '\\%c'", c);
        } else if (c == '\n') {
            monitor_printf(mon, " '\\n'");
        } else if (c == '\r') {
            monitor_printf(mon, " '\\r'");
        } else if (c >= 32 && c < 127) {
            monitor_printf(mon, " '%c'", c);
        } else {
            monitor_printf(mon, " '\\x%02x'", c);
        }
        break;
    }
    default:
        monitor_printf(mon, " 0x%0*" PRIx64, (int)size * 2, v);
        break;
    }
}

/* Read guest memory: physical, or virtual through cs's page tables */
static bool read_guest(CPUState *cs, uint64_t addr, uint8_t *buf,
                       unsigned len)
{
    while (len) {
        uint64_t pa = addr;
        unsigned chunk = 4096 - (unsigned)(addr & 4095);
        if (chunk > len) {
            chunk = len;
        }
        if (cs && (cs->cc != &x86_cpu_class ||
                   !x86_cpu_get_phys_addr(cs, addr, &pa))) {
            return false;
        }
        if (address_space_read(&address_space_memory, pa, buf, chunk) !=
            MEMTX_OK) {
            return false;
        }
        addr += chunk;
        buf += chunk;
        len -= chunk;
    }
    return true;
}

#ifdef CONFIG_CAPSTONE
/* Code width the CPU runs at: 16 (real/VM86/16-bit CS), 32 or 64 */
static cs_mode x86_code_mode(CPUState *cs)
{
    CPUX86State *env;
    uint32_t cs_flags;

    if (!cs || cs->cc != &x86_cpu_class) {
        return CS_MODE_32;
    }
    env = &X86_CPU(cs)->env;
    cs_flags = env->segs[R_CS].flags;
    if (!(env->cr[0] & 1) || (env->rflags & (1u << 17))) {
        return CS_MODE_16;
    }
    if ((env->efer & MSR_EFER_LMA) && (cs_flags & DESC_L_MASK)) {
        return CS_MODE_64;
    }
    return cs_flags & DESC_B_MASK ? CS_MODE_32 : CS_MODE_16;
}

/*
 * "x /Ni addr": N instructions, in the mode of the monitor's CPU, in
 * AT&T syntax as QEMU prints them.  virt_cpu is NULL for xp (physical).
 */
static void disassemble(Monitor *mon, CPUState *virt_cpu, cs_mode mode,
                        uint64_t addr, uint64_t count)
{
    csh handle;
    cs_insn *insn;

    if (cs_open(CS_ARCH_X86, mode, &handle) != CS_ERR_OK) {
        monitor_printf(mon, "capstone cannot open its x86 disassembler\n");
        return;
    }
    cs_option(handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    insn = cs_malloc(handle);
    for (uint64_t i = 0; i < count; i++) {
        uint8_t buf[16];
        unsigned len = sizeof(buf);
        const uint8_t *code = buf;
        size_t size;
        uint64_t pc = addr;

        /* near the end of mapped memory, take what can be read */
        while (len && !read_guest(virt_cpu, addr, buf, len)) {
            len--;
        }
        monitor_printf(mon, "0x%016" PRIx64 ":  ", addr);
        if (!len) {
            monitor_printf(mon, "Cannot access memory\n");
            break;
        }
        size = len;
        if (!cs_disasm_iter(handle, &code, &size, &pc, insn)) {
            monitor_printf(mon, ".byte 0x%02x\n", buf[0]);
            addr++;
            continue;
        }
        monitor_printf(mon, "%-8s %s\n", insn->mnemonic, insn->op_str);
        addr += insn->size;
    }
    cs_free(insn, 1);
    cs_close(&handle);
}
#endif

static char last_format = 'x';
static unsigned last_size = 4;

static json_object *memory_dump(Monitor *mon, json_object *args,
                                bool physical, Error **errp)
{
    const char *a1 = monitor_arg_str(args, "fmt", NULL);
    const char *a2 = monitor_arg_str(args, "addr", NULL);
    char format = last_format;
    unsigned size = last_size;
    uint64_t count = 1, addr, len;
    CPUState *cs = NULL;

    if (a1 && a1[0] == '/') {
        if (!parse_fmt(a1, &count, &format, &size, errp)) {
            return NULL;
        }
    } else {
        a2 = a1;
    }
    if (!parse_u64(a2, &addr)) {
        error_setg(errp, "expected an address");
        return NULL;
    }
    if (format == 'c') {
        size = 1;
    }
    if (count > 65536) {
        error_setg(errp, "count %" PRIu64 " is too large", count);
        return NULL;
    }
    last_format = format;
    last_size = size;
    if (!physical) {
        cs = monitor_cpu(mon, errp);
        if (!cs) {
            return NULL;
        }
        cpu_synchronize(cs);
    }
#ifdef CONFIG_CAPSTONE
    if (format == 'i') {
        /* the mode comes from the monitor's CPU for xp too, as in QEMU */
        CPUState *mode_cpu = cs ? cs : monitor_cpu(mon, NULL);
        if (mode_cpu && !cs) {
            cpu_synchronize(mode_cpu);
        }
        disassemble(mon, cs, x86_code_mode(mode_cpu), addr, count);
        return NULL;
    }
#endif

    len = count * size;
    unsigned line = size == 1 ? 8 : 16;
    while (len > 0) {
        uint8_t buf[16];
        unsigned l = len > line ? line : (unsigned)len;

        monitor_printf(mon, "%016" PRIx64 ":", addr);
        if (!read_guest(cs, addr, buf, l)) {
            monitor_printf(mon, " Cannot access memory\n");
            break;
        }
        for (unsigned i = 0; i + size <= l; i += size) {
            uint64_t v = 0;
            memcpy(&v, buf + i, size);      /* x86 guests: little-endian */
            print_item(mon, format, size, v);
        }
        monitor_printf(mon, "\n");
        addr += l;
        len -= l;
    }
    return NULL;
}

static json_object *cmd_x(Monitor *mon, json_object *args, Error **errp)
{
    return memory_dump(mon, args, false, errp);
}

static json_object *cmd_xp(Monitor *mon, json_object *args, Error **errp)
{
    return memory_dump(mon, args, true, errp);
}

static json_object *cmd_gpa2hva(Monitor *mon, json_object *args,
                                Error **errp)
{
    uint64_t addr;
    FlatView *fv = address_space_memory.current_map;

    if (!parse_u64(monitor_arg_str(args, "addr", NULL), &addr)) {
        error_setg(errp, "expected an address");
        return NULL;
    }
    for (unsigned i = 0; fv && i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        if (addr < fr->start || addr - fr->start >= fr->size) {
            continue;
        }
        if (!memory_region_is_ram(fr->mr)) {
            error_setg(errp, "Memory at address 0x%" PRIx64 " is not RAM",
                       addr);
            return NULL;
        }
        uint8_t *host = (uint8_t *)memory_region_get_ram_ptr(fr->mr) +
                        fr->offset_in_region + (addr - fr->start);
        monitor_printf(mon, "Host virtual address for 0x%" PRIx64 " (%s) "
                       "is %p\n", addr, memory_region_name(fr->mr), host);
        return NULL;
    }
    error_setg(errp, "No memory is mapped at address 0x%" PRIx64, addr);
    return NULL;
}

/* ---- info tlb / info mem: the guest's page tables ---- */

#define PTE_P    0x001ull
#define PTE_RW   0x002ull
#define PTE_US   0x004ull
#define PTE_PWT  0x008ull
#define PTE_PCD  0x010ull
#define PTE_A    0x020ull
#define PTE_D    0x040ull
#define PTE_PS   0x080ull
#define PTE_G    0x100ull
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/*
 * At most this many entries are read per command: a guest's tables may
 * point back at themselves, which would otherwise make a walk of 2^36
 * entries (and as many lines).
 */
#define PT_WALK_BUDGET (1u << 21)

typedef struct PTWalk {
    Monitor *mon;
    CPUX86State *env;
    bool tlb;               /* info tlb: every leaf; info mem: ranges */
    bool wide;              /* 8-byte entries (PAE, long mode) */
    unsigned budget;        /* entries still allowed */
    /* info mem: the range being merged (prot 0: none) */
    uint64_t start;
    uint64_t prot;
} PTWalk;

static bool pt_read(PTWalk *w, uint64_t pa, uint64_t *e)
{
    uint8_t b[8] = { 0 };

    if (w->budget == 0) {
        return false;
    }
    w->budget--;
    if (address_space_read(&address_space_memory, pa, b, w->wide ? 8 : 4) !=
        MEMTX_OK) {
        memset(b, 0, sizeof(b));        /* no memory there: not present */
    }
    *e = 0;
    for (int i = w->wide ? 7 : 3; i >= 0; i--) {
        *e = (*e << 8) | b[i];
    }
    return true;
}

/* Linear addresses in long mode are printed sign-extended from bit 47 */
static uint64_t pt_canonical(PTWalk *w, uint64_t va)
{
    if (w->env->efer & MSR_EFER_LMA) {
        return (uint64_t)((int64_t)(va << 16) >> 16);
    }
    return va;
}

/* info mem: the protection changes at linear address va */
static void pt_mem_change(PTWalk *w, uint64_t va, uint64_t prot)
{
    if (prot == w->prot) {
        return;
    }
    if (w->prot) {
        monitor_printf(w->mon, "%016" PRIx64 "-%016" PRIx64 " %016" PRIx64
                       " %c%c%c\n", pt_canonical(w, w->start),
                       pt_canonical(w, va), va - w->start,
                       (w->prot & PTE_US) ? 'u' : '-', 'r',
                       (w->prot & PTE_RW) ? 'w' : '-');
    }
    w->start = va;
    w->prot = prot;
}

/* A leaf: a page of size bytes at va; prot the US/RW bits of the path */
static void pt_leaf(PTWalk *w, uint64_t va, uint64_t pte, uint64_t size,
                    uint64_t prot)
{
    uint64_t pa;

    if (!w->tlb) {
        pt_mem_change(w, va, prot | PTE_P);
        return;
    }
    if (w->wide) {
        pa = pte & PTE_ADDR & ~(size - 1);
    } else {
        pa = pte & 0xfffff000u & ~(size - 1);
    }
    monitor_printf(w->mon, "%016" PRIx64 ": %016" PRIx64
                   " %c%c%c%c%c%c%c%c%c\n", pt_canonical(w, va), pa,
                   (w->wide && (pte & PTE_NX)) ? 'X' : '-',
                   (pte & PTE_G) ? 'G' : '-',
                   size > 4096 ? 'P' : '-',
                   (pte & PTE_D) ? 'D' : '-',
                   (pte & PTE_A) ? 'A' : '-',
                   (pte & PTE_PCD) ? 'C' : '-',
                   (pte & PTE_PWT) ? 'T' : '-',
                   (pte & PTE_US) ? 'U' : '-',
                   (pte & PTE_RW) ? 'W' : '-');
}

/*
 * The table at physical address table, level levels above the pages (1:
 * a page table), mapping linear addresses from va; prot: the US/RW bits
 * of the entries above.  Large pages at level 2 (with PSE or 8-byte
 * entries) and at level 3 of 4-level tables.
 */
static void pt_table(PTWalk *w, uint64_t table, int level, uint64_t va,
                     uint64_t prot, bool four_level)
{
    unsigned bits = w->wide ? 9 : 10, n = 1u << bits;
    unsigned shift = 12 + bits * (level - 1);

    for (unsigned i = 0; i < n; i++) {
        uint64_t e, eva = va + ((uint64_t)i << shift), eprot;

        if (!pt_read(w, table + (uint64_t)i * (w->wide ? 8 : 4), &e)) {
            return;
        }
        if (!(e & PTE_P)) {
            if (!w->tlb) {
                pt_mem_change(w, eva, 0);
            }
            continue;
        }
        eprot = prot & (e & (PTE_US | PTE_RW));
        if (level == 1 ||
            ((e & PTE_PS) &&
             ((level == 2 && (w->wide || (w->env->cr[4] & CR4_PSE_MASK))) ||
              (level == 3 && four_level)))) {
            pt_leaf(w, eva, e, 1ull << shift, eprot);
        } else {
            pt_table(w, e & (w->wide ? PTE_ADDR : 0xfffff000u), level - 1,
                     eva, eprot, four_level);
        }
    }
}

static void pt_walk(PTWalk *w)
{
    CPUX86State *env = w->env;
    uint64_t all = PTE_US | PTE_RW;

    w->budget = PT_WALK_BUDGET;
    w->start = 0;
    w->prot = 0;
    if (env->efer & MSR_EFER_LMA) {
        w->wide = true;
        pt_table(w, env->cr[3] & PTE_ADDR, 4, 0, all, true);
        if (!w->tlb) {
            pt_mem_change(w, 1ull << 48, 0);
        }
    } else if (env->cr[4] & CR4_PAE_MASK) {
        uint64_t pdpt = env->cr[3] & 0xffffffe0u;

        w->wide = true;
        for (unsigned i = 0; i < 4; i++) {
            uint64_t e;

            if (!pt_read(w, pdpt + i * 8, &e)) {
                break;
            }
            if (!(e & PTE_P)) {
                if (!w->tlb) {
                    pt_mem_change(w, (uint64_t)i << 30, 0);
                }
                continue;
            }
            /* PAE PDPTEs carry no US/RW bits */
            pt_table(w, e & PTE_ADDR, 2, (uint64_t)i << 30, all, false);
        }
        if (!w->tlb) {
            pt_mem_change(w, 1ull << 32, 0);
        }
    } else {
        w->wide = false;
        pt_table(w, env->cr[3] & 0xfffff000u, 2, 0, all, false);
        if (!w->tlb) {
            pt_mem_change(w, 1ull << 32, 0);
        }
    }
    if (w->budget == 0) {
        monitor_printf(w->mon, "(stopped after %u page table entries)\n",
                       PT_WALK_BUDGET);
    }
}

static json_object *page_tables(Monitor *mon, bool tlb, Error **errp)
{
    CPUState *cs = monitor_cpu(mon, errp);
    PTWalk w = { .mon = mon, .tlb = tlb };

    if (!cs) {
        return NULL;
    }
    if (cs->cc != &x86_cpu_class) {
        error_setg(errp, "not an x86 CPU");
        return NULL;
    }
    cpu_synchronize(cs);
    w.env = &X86_CPU(cs)->env;
    if (!(w.env->cr[0] & CR0_PG_MASK)) {
        monitor_printf(mon, "PG disabled\n");
        return NULL;
    }
    pt_walk(&w);
    return NULL;
}

static json_object *cmd_info_tlb(Monitor *mon, json_object *args,
                                 Error **errp)
{
    return page_tables(mon, true, errp);
}

static json_object *cmd_info_mem(Monitor *mon, json_object *args,
                                 Error **errp)
{
    return page_tables(mon, false, errp);
}

static const MonitorCommand x86_cpu_commands[] = {
    {
        .hmp_name = "info registers",
        .args = "cpustate_all:-a,vcpu:i?",
        .params = "[-a] [vcpu]",
        .help = "show the cpu registers (-a: all CPUs)",
        .handler = cmd_info_registers,
    }, {
        .qmp_name = "query-cpus-fast",
        .hmp_name = "info cpus",
        .help = "show infos for each CPU",
        .handler = cmd_query_cpus_fast,
        .hmp_print = print_cpus,
    }, {
        .hmp_name = "x",
        .args = "fmt:s,addr:s?",
        .params = "/fmt addr",
        .help = "virtual memory dump starting at 'addr'",
        .handler = cmd_x,
    }, {
        .hmp_name = "xp",
        .args = "fmt:s,addr:s?",
        .params = "/fmt addr",
        .help = "physical memory dump starting at 'addr'",
        .handler = cmd_xp,
    }, {
        .hmp_name = "gpa2hva",
        .args = "addr:s",
        .params = "addr",
        .help = "print the host virtual address corresponding to a guest "
                "physical address",
        .handler = cmd_gpa2hva,
    }, {
        .hmp_name = "info tlb",
        .help = "show virtual to physical memory mappings",
        .handler = cmd_info_tlb,
    }, {
        .hmp_name = "info mem",
        .help = "show the active virtual memory mappings",
        .handler = cmd_info_mem,
    },
    { .handler = NULL },
};

MONITOR_REGISTER_COMMANDS(x86_cpu_commands)
