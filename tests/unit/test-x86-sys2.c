/*
 * Self-checking snippets for the x86 translator's remaining system
 * instructions: syscall/sysret, swapgs, sysenter/sysexit, lar/lsl/verr/
 * verw, the TSS I/O permission bitmap and IOPL-sensitive instructions,
 * virtual-8086 mode, call gates and task switches, on both back ends.
 * The guest code is assembled by the host assembler from the listing
 * below (top-level asm in a data section: it is copied into guest RAM).
 */
#include "emu/osdep.h"
#include "system/memory.h"
#include "exec/tb-internal.h"
#include "exec/cputlb.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"
#include "support/x86-harness.h"
#include "monitor/monitor.h"

#include <setjmp.h>
#include <cmocka.h>

#define RAM_SIZE  0x100000ull
#define CODE_LIN  0x10000ull        /* the blob sits at linear 0x10000 */

/* A(label): the label's linear address, as an immediate in the listing */
#define ASM_ADDR(l) "(0x10000 + " #l " - s2_code)"

__asm__(
    ".pushsection .rodata.x86sys2,\"a\"\n"
    "s2_code:\n"

    /* ---- 64-bit: syscall / sysretq from ring 3 ---- */
    ".code64\n"
    "s2_user64:\n"
    "    mov $0x1234, %rax\n"
    "    syscall\n"
    "s2_user64_ret:\n"
    "    mov %cs, %esi\n"
    "    mov %ss, %edi\n"
    "    hlt\n"                          /* #GP at CPL 3 ends the test */
    "s2_lstar:\n"
    "    mov %rcx, %r13\n"
    "    mov %r11, %r14\n"
    "    mov %cs, %ebx\n"
    "    mov %ss, %edx\n"
    "    pushfq\n"
    "    pop %r15\n"
    "    inc %rax\n"
    "    sysretq\n"
    /* ring 0: sysretl to 32-bit compatibility code */
    "s2_k64_to32:\n"
    "    mov $" ASM_ADDR(s2_compat) ", %ecx\n"
    "    mov $0x202, %r11d\n"
    "    sysretl\n"
    /* ring 0: sysretq to a non-canonical rcx */
    "s2_k64_badrcx:\n"
    "    movabs $0x0000800000000000, %rcx\n"
    "    sysretq\n"
    "s2_swapgs:\n"
    "    swapgs\n"
    "    mov %gs:0x100, %eax\n"
    "    hlt\n"
    /* ring 0: rex.w sysexit to 64-bit ring 3 */
    "s2_k64_sysexit:\n"
    "    mov $" ASM_ADDR(s2_user64_b) ", %edx\n"
    "    mov $0x70000, %ecx\n"
    "    .byte 0x48, 0x0f, 0x35\n"       /* rex.w sysexit */
    "s2_user64_b:\n"
    "    mov %cs, %esi\n"
    "    mov %ss, %edi\n"
    "    mov %rsp, %rbp\n"
    "    hlt\n"

    ".code32\n"
    "s2_compat:\n"
    "    mov %cs, %esi\n"
    "    mov %ss, %edi\n"
    "    hlt\n"
    /* ---- 32-bit sysenter / sysexit from ring 3 ---- */
    "s2_user32:\n"
    "    mov $" ASM_ADDR(s2_user32_ret) ", %edx\n"
    "    mov %esp, %ecx\n"
    "    sysenter\n"
    "s2_user32_ret:\n"
    "    mov %cs, %esi\n"
    "    mov %ss, %eax\n"
    "    hlt\n"
    "s2_sysenter_eip:\n"
    "    mov %cs, %ebx\n"
    "    mov %ss, %edi\n"
    "    mov %esp, %ebp\n"
    "    sysexit\n"

    /* ---- lar / lsl / verr / verw: 24 bytes of results per selector ---- */
    ".macro ACC sel, slot\n"
    "    mov $\\sel, %eax\n"
    "    mov $0xdeadbeef, %ebx\n"
    "    lar %eax, %ebx\n"
    "    pushf\n"
    "    pop %ecx\n"
    "    mov %ebx, \\slot\n"
    "    mov %ecx, \\slot+4\n"
    "    mov $0xdeadbeef, %ebx\n"
    "    lsl %eax, %ebx\n"
    "    pushf\n"
    "    pop %ecx\n"
    "    mov %ebx, \\slot+8\n"
    "    mov %ecx, \\slot+12\n"
    "    verr %ax\n"
    "    pushf\n"
    "    pop %ecx\n"
    "    mov %ecx, \\slot+16\n"
    "    verw %ax\n"
    "    pushf\n"
    "    pop %ecx\n"
    "    mov %ecx, \\slot+20\n"
    ".endm\n"
    "s2_access:\n"
    "    ACC 0x08, 0x2000\n"
    "    ACC 0x18, 0x2020\n"
    "    ACC 0x20, 0x2040\n"
    "    ACC 0x2b, 0x2060\n"
    "    ACC 0x30, 0x2080\n"
    "    ACC 0x38, 0x20a0\n"
    "    ACC 0x40, 0x20c0\n"
    "    ACC 0x00, 0x20e0\n"
    "    ACC 0x1f8, 0x2100\n"
    "    ACC 0x13, 0x2120\n"
    "    mov $0x10, %eax\n"
    "    mov $0x1234, %ebx\n"
    "    lar %ax, %bx\n"                 /* 16-bit: low word only */
    "    mov %ebx, 0x2140\n"
    "    hlt\n"

    /* ---- I/O permission bitmap and IOPL (ring 3) ---- */
    "s2_io:\n"
    "    mov $0x80, %dx\n"
    "    in %dx, %al\n"
    "    mov %al, %bl\n"
    "    mov $0x84, %dx\n"
    "    in %dx, %ax\n"                  /* 0x84, 0x85: allowed */
    "    mov %ax, %cx\n"
    "    mov $0x86, %dx\n"
    "s2_io_deny:\n"
    "    in %dx, %ax\n"                  /* 0x87 denied */
    "    mov $0x99, %esi\n"
    "    hlt\n"
    "s2_popf:\n"
    "    pushf\n"
    "    pop %eax\n"
    "    or $0x3000, %eax\n"
    "    and $~0x200, %eax\n"
    "    push %eax\n"
    "    popf\n"
    "    pushf\n"
    "    pop %ebx\n"
    "s2_cli:\n"
    "    cli\n"
    "    mov $0x77, %ecx\n"
    "    hlt\n"

    /* ---- virtual-8086 mode ---- */
    "s2_to_vm86:\n"
    "    push $0\n"                      /* gs */
    "    push $0\n"                      /* fs */
    "    push $0x2000\n"                 /* ds */
    "    push $0\n"                      /* es */
    "    push $0x3000\n"                 /* ss */
    "    push $0xfff0\n"                 /* esp */
    "    push 0x500\n"                   /* eflags, from the test */
    "    push $0x1000\n"                 /* cs */
    "    push $(s2_vm86 - s2_code)\n"    /* ip */
    "    iret\n"
    "s2_int30:\n"
    "    mov %esp, %esi\n"
    "    mov %ds, %edi\n"
    "    mov 8(%esp), %ebp\n"
    "    iret\n"
    "s2_gp_halt:\n"
    "    pop %eax\n"
    "    mov (%esp), %ecx\n"
    "    hlt\n"
    ".code16\n"
    "s2_vm86:\n"
    "    mov %ds, %bx\n"
    "    mov $0x4000, %ax\n"
    "    mov %ax, %es\n"
    "    mov %es, %cx\n"
    "    movw $0x5a5a, %es:0x10\n"
    "s2_vm86_int:\n"
    "    int $0x30\n"
    "    mov $0x55, %dx\n"
    "    cli\n"
    "    sti\n"
    "s2_vm86_hlt:\n"
    "    hlt\n"

    ".code32\n"
    /* ---- call gate with parameters from ring 3 ---- */
    "s2_gate_user:\n"
    "    push $0x11\n"
    "    push $0x22\n"
    "    lcall $0x4b, $0\n"
    "    mov %esp, %ebp\n"
    "    mov %cs, %edx\n"
    "    hlt\n"
    "s2_gate_kernel:\n"
    "    mov %esp, %esi\n"
    "    mov %ss, %edi\n"
    "    mov 8(%esp), %ebx\n"
    "    mov 12(%esp), %ecx\n"
    "    lret $8\n"
    /* jmp through a call gate at the same level */
    "s2_gate_jmp:\n"
    "    ljmp $0x48, $0\n"
    /* ---- task switches ---- */
    "s2_task_a:\n"
    "    mov $0xaaaa, %esi\n"
    "    lcall $0x58, $0\n"              /* to task B (TSS) */
    "    mov $0xcccc, %edi\n"
    "    pushf\n"
    "    pop %ebp\n"
    "    hlt\n"
    /* B's results go to memory: A's registers come back on the iret */
    "s2_task_b:\n"
    "    movl $0xbbbb, 0x2000\n"
    "    pushf\n"
    "    popl 0x2004\n"
    "    str %ecx\n"
    "    mov %ecx, 0x2008\n"
    "    mov %esp, 0x200c\n"
    "    iret\n"                         /* NT: back to task A */
    "s2_task_jmp:\n"
    "    ljmp $0x68, $0\n"               /* through a task gate */
    /* ---- CR4 ---- */
    "s2_cr4:\n"
    "    mov %cr4, %eax\n"
    "    or $0x600, %eax\n"             /* OSFXSR, OSXMMEXCPT */
    "    mov %eax, %cr4\n"
    "    mov %cr4, %ebx\n"
    "    mov %dr4, %ecx\n"              /* DE clear: an alias of dr6 */
    "    or $0x8, %eax\n"               /* DE */
    "    mov %eax, %cr4\n"
    "s2_dr4:\n"
    "    mov %dr4, %ecx\n"              /* DE set: #UD */
    "s2_cr4_vme:\n"
    "    mov %cr4, %eax\n"
    "    or $1, %eax\n"
    "    mov %eax, %cr4\n"              /* VME is not implemented: #GP */
    "s2_rdtsc:\n"
    "    rdtsc\n"
    "    hlt\n"
    /* ---- machine-check MSRs: no banks ---- */
    "s2_mcg:\n"
    "    mov $0x179, %ecx\n"
    "    mov $-1, %eax\n"
    "    rdmsr\n"
    "    mov %eax, %ebx\n"
    "    mov $0x17a, %ecx\n"
    "    xor %eax, %eax\n"
    "    xor %edx, %edx\n"
    "    wrmsr\n"
    "    mov $0x179, %ecx\n"
    "s2_mcg_wr:\n"
    "    wrmsr\n"                       /* MCG_CAP is read-only: #GP */
    /* ---- a #DF through a task gate ---- */
    "s2_df:\n"
    "    mov $0x13, %eax\n"
    "    mov %eax, %ss\n"               /* #GP; the #GP gate is absent */
    "s2_df_task:\n"
    "    pop %eax\n"
    "    mov %eax, 0x2010\n"
    "    str %ecx\n"
    "    mov %ecx, 0x2014\n"
    "    pushf\n"
    "    popl 0x2018\n"
    "    hlt\n"
    ".code16\n"
    "s2_vm86_task:\n"
    "    mov %ss, %bx\n"
    "    mov $0x1234, %ax\n"
    "    hlt\n"
    /* ---- a 64-bit call gate from ring 3 ---- */
    ".code64\n"
    "s2_gate64_user:\n"
    "    lcall *0x2000\n"
    "s2_gate64_ret:\n"
    "    mov %rsp, %rbp\n"
    "    hlt\n"
    "s2_gate64_kernel:\n"
    "    mov %rsp, %rsi\n"
    "    mov %ss, %edi\n"
    "    mov (%rsp), %rbx\n"
    "    mov 8(%rsp), %rcx\n"
    "    lretq\n"
    "s2_rdpid:\n"
    "    rdpid %rax\n"
    "    hlt\n"
    "s2_code_end:\n"
    ".code64\n"                     /* back to the compiler's mode */
    ".popsection\n");

extern const uint8_t s2_code[], s2_code_end[];
extern const uint8_t s2_user64[], s2_user64_ret[], s2_lstar[];
extern const uint8_t s2_k64_to32[], s2_k64_badrcx[], s2_swapgs[];
extern const uint8_t s2_k64_sysexit[], s2_user64_b[];
extern const uint8_t s2_compat[], s2_user32[], s2_user32_ret[];
extern const uint8_t s2_sysenter_eip[], s2_access[];
extern const uint8_t s2_io[], s2_io_deny[], s2_popf[], s2_cli[];
extern const uint8_t s2_to_vm86[], s2_int30[], s2_gp_halt[], s2_vm86[];
extern const uint8_t s2_vm86_int[], s2_vm86_hlt[];
extern const uint8_t s2_gate_user[], s2_gate_kernel[], s2_gate_jmp[];
extern const uint8_t s2_task_a[], s2_task_b[], s2_task_jmp[];
extern const uint8_t s2_cr4[], s2_dr4[], s2_cr4_vme[], s2_rdtsc[];
extern const uint8_t s2_df[], s2_df_task[], s2_vm86_task[];
extern const uint8_t s2_gate64_user[], s2_gate64_ret[], s2_gate64_kernel[];
extern const uint8_t s2_rdpid[], s2_mcg[], s2_mcg_wr[];

/* linear address of a label of the blob */
#define LIN(l) (CODE_LIN + (uint64_t)((l) - s2_code))

/* ---- A test CPU class: the translator's paging, optional IDT delivery ---- */


/* IDT delivery while x86h_use_idt */
static const CPUClass x86_sys2_class =
    X86H_CPU_CLASS("x86-sys2-test", 2, x86h_reset, x86_tcg_tlb_fill,
                   x86_tcg_mmu_index, x86h_halt_on_interrupt);

#define R(n) (x86h_cpu->env.regs[n])

/*
 * GDT at 0x6000:
 *  08 code32 DPL0   10 data32 DPL0   18 code32 DPL3 (sysret32 / sysexit CS)
 *  20 data32 DPL3   28 code64 DPL3   30 data32 DPL3   38 code64 DPL0
 *  40 32-bit TSS A (0x8000)          48 call gate -> 08:s2_gate_kernel
 *  50 exec-only code DPL0            58 32-bit TSS B (0x8100)
 *  60 read-only data, byte limit 0x1234, DPL3        68 task gate -> 58
 *  70 interrupt gate (not valid for lar)
 */
static void write_gdt(CPUX86State *env)
{
    static const uint32_t d[] = {
        0, 0,
        0x0000ffff, 0x00cf9a00,
        0x0000ffff, 0x00cf9200,
        0x0000ffff, 0x00cffa00,
        0x0000ffff, 0x00cff200,
        0x0000ffff, 0x00affa00,
        0x0000ffff, 0x00cff200,
        0x0000ffff, 0x00af9a00,
        0x80000067, 0x00008900,
        0, 0,                   /* 48: call gate, filled in below */
        0x0000ffff, 0x00cf9800,
        0x81000067, 0x00008900,
        0x00001234, 0x0040f000,
        0x00580000, 0x0000e500,
        0x00080000, 0x0000ee00,
    };

    for (size_t i = 0; i < ARRAY_SIZE(d); i++) {
        x86h_wr32(0x6000 + 4 * i, d[i]);
    }
    env->gdt.base = 0x6000;
    env->gdt.limit = sizeof(d) - 1;
}

/* A call gate at 0x48: DPL dpl, 32-bit (type 12), to 08:off, pcount params */
static void write_call_gate(uint32_t off, unsigned dpl, unsigned pcount)
{
    x86h_wr32(0x6048, (8u << 16) | (off & 0xffff));
    x86h_wr32(0x604c, (off & 0xffff0000u) | DESC_P_MASK |
              (dpl << DESC_DPL_SHIFT) | (12u << DESC_TYPE_SHIFT) | pcount);
}

/* The current TSS: TSS A at 0x8000 (busy), ss0:esp0 = 10:60000 */
static void set_tss(CPUX86State *env)
{
    x86h_wr32(0x8004, 0x60000);
    x86h_wr32(0x8008, 0x10);
    x86h_wr32(0x6044, 0x00008b00);
    env->tr.selector = 0x40;
    env->tr.base = 0x8000;
    env->tr.limit = 0x67;
    env->tr.flags = DESC_P_MASK | (11u << DESC_TYPE_SHIFT);
}

/* Flat 32-bit protected mode at CPL cpl (CS 08/1b, others 10/23) */
static CPUX86State *setup_pm(const uint8_t *entry, unsigned cpl)
{
    CPUX86State *env = &x86h_cpu->env;

    x86h_clear_ram();
    x86h_reset(&x86h_cpu->parent);
    env->cr[0] = CR0_PE_MASK | CR0_ET_MASK;
    x86h_set_flat_segs(env, cpl);
    if (cpl == 3) {
        for (int i = 0; i < 6; i++) {
            env->segs[i].selector = i == R_CS ? 0x1b : 0x23;
        }
    }
    env->hflags = cpl;
    x86_cpu_set_eflags(env, 0x202);
    env->rip = LIN(entry);
    env->regs[R_ESP] = 0x70000;
    write_gdt(env);
    set_tss(env);
    return env;
}

/*
 * Long mode at CPL cpl in 64-bit code (CS 38 or 2b): 4-level tables at
 * 0x5000 with one user-accessible 2 MiB identity page
 */
static CPUX86State *setup_long(const uint8_t *entry, unsigned cpl)
{
    CPUX86State *env = setup_pm(entry, cpl);

    x86h_wr32(0x5000, 0x3007);
    x86h_wr32(0x3000, 0x4007);
    x86h_wr32(0x4000, 0x87);
    env->cr[4] = CR4_PAE_MASK;
    env->cr[3] = 0x5000;
    env->cr[0] |= CR0_PG_MASK;
    env->efer = MSR_EFER_LME | MSR_EFER_LMA | MSR_EFER_SCE;
    env->segs[R_CS].selector = cpl == 3 ? 0x2b : 0x38;
    env->segs[R_CS].flags = (env->segs[R_CS].flags & ~DESC_B_MASK) |
                            DESC_L_MASK;
    /* syscall: CS 08 / SS 10; sysret: CS 18+16 = 28 (64) or 18 (32), SS 20 */
    env->star = (0x18ull << 48) | (0x08ull << 32);
    env->lstar = LIN(s2_lstar);
    env->fmask = 0x200;
    tlb_flush(&x86h_cpu->parent);
    return env;
}

/* ---- syscall / sysret / swapgs ---- */

static void test_syscall64(void **state)
{
    CPUX86State *env = setup_long(s2_user64, 3);

    x86_cpu_set_eflags(env, 0x203);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);   /* the final ring-3 hlt */
    assert_int_equal(R(R_R13), LIN(s2_user64_ret)); /* rcx: return rip */
    assert_int_equal(R(R_R14) & 0x203, 0x203);      /* r11: rflags */
    assert_int_equal(R(R_EBX), 0x08);
    assert_int_equal(R(R_EDX), 0x10);
    assert_int_equal(R(R_R15) & 0x200, 0);          /* FMASK cleared IF */
    assert_int_equal(R(R_EAX), 0x1235);
    assert_int_equal(R(R_ESI), 0x2b);               /* sysretq: 18 + 16 | 3 */
    assert_int_equal(R(R_EDI), 0x23);
    assert_true(env->segs[R_CS].flags & DESC_L_MASK);
    assert_int_equal(env->hflags & HF_CPL_MASK, 3);
    assert_int_equal(x86_cpu_get_eflags(env) & 0x201, 0x201);
}

static void test_sysret32(void **state)
{
    CPUX86State *env = setup_long(s2_k64_to32, 0);

    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(R(R_ESI), 0x1b);
    assert_int_equal(R(R_EDI), 0x23);
    assert_false(env->segs[R_CS].flags & DESC_L_MASK);
    assert_true(env->segs[R_CS].flags & DESC_B_MASK);
    assert_int_equal(env->rip, LIN(s2_compat) + 4);
    assert_true(env->efer & MSR_EFER_LMA);
}

static void test_syscall_faults(void **state)
{
    CPUX86State *env = setup_long(s2_user64, 3);

    /* EFER.SCE clear: #UD */
    env->efer &= ~(uint64_t)MSR_EFER_SCE;
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP06_ILLOP);
    assert_int_equal(env->rip, LIN(s2_user64) + 7);

    /* sysretq to a non-canonical rcx: #GP(0) at CPL 0 */
    env = setup_long(s2_k64_badrcx, 0);
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0);
    assert_int_equal(env->hflags & HF_CPL_MASK, 0);
    assert_int_equal(env->rip, LIN(s2_k64_badrcx) + 10);

    /* sysret at CPL 3: #GP(0); swapgs at CPL 3: #GP(0) */
    env = setup_long(s2_k64_badrcx + 10, 3);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    env = setup_long(s2_swapgs, 3);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(env->rip, LIN(s2_swapgs));

    /* swapgs outside 64-bit mode: #UD */
    env = setup_pm(s2_swapgs, 0);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP06_ILLOP);
}

static void test_swapgs(void **state)
{
    CPUX86State *env = setup_long(s2_swapgs, 0);

    env->segs[R_GS].base = 0x1000;
    env->kernelgsbase = 0x2000;
    x86h_wr32(0x2100, 0xcafe);
    x86h_wr32(0x1100, 0xbad);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EAX), 0xcafe);
    assert_int_equal(env->segs[R_GS].base, 0x2000);
    assert_int_equal(env->kernelgsbase, 0x1000);
}

static void test_rdpid(void **state)
{
    CPUX86State *env = setup_long(s2_rdpid, 3);

    env->tsc_aux = 0x1234;
    R(R_EAX) = ~0ull;
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);        /* the ring-3 hlt */
    assert_int_equal(R(R_EAX), 0x1234);
}

/* ---- sysenter / sysexit ---- */

static void test_sysenter32(void **state)
{
    CPUX86State *env = setup_pm(s2_user32, 3);

    env->sysenter_cs = 0x08;
    env->sysenter_esp = 0x60000;
    env->sysenter_eip = LIN(s2_sysenter_eip);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(R(R_EBX), 0x08);
    assert_int_equal(R(R_EDI), 0x10);
    assert_int_equal(R(R_EBP), 0x60000);
    assert_int_equal(R(R_ESI), 0x1b);               /* 08 + 16, RPL 3 */
    assert_int_equal(R(R_EAX), 0x23);               /* 08 + 24, RPL 3 */
    assert_int_equal(R(R_ESP), 0x70000);
    assert_int_equal(env->rip, LIN(s2_user32_ret) + 4);

    /* SYSENTER_CS = 0: #GP(0) */
    env = setup_pm(s2_user32, 3);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(env->rip, LIN(s2_user32) + 7);
}

static void test_sysexit64(void **state)
{
    CPUX86State *env = setup_long(s2_k64_sysexit, 0);

    env->sysenter_cs = 0x08;
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(R(R_ESI), 0x2b);               /* 08 + 32, RPL 3 */
    assert_int_equal(R(R_EDI), 0x33);               /* 08 + 40, RPL 3 */
    assert_int_equal(R(R_EBP), 0x70000);
    assert_true(env->segs[R_CS].flags & DESC_L_MASK);
}

/* ---- lar / lsl / verr / verw ---- */

#define ZF 0x40u

typedef struct AccResult {
    uint32_t lar;       /* 0xdeadbeef: left alone */
    bool lar_z;
    uint32_t lsl;
    bool lsl_z, verr_z, verw_z;
} AccResult;

static AccResult acc(unsigned slot)
{
    uint32_t a = 0x2000 + slot * 0x20;

    return (AccResult) {
        .lar = x86h_rd(a, 4), .lar_z = x86h_rd(a + 4, 4) & ZF,
        .lsl = x86h_rd(a + 8, 4), .lsl_z = x86h_rd(a + 12, 4) & ZF,
        .verr_z = x86h_rd(a + 16, 4) & ZF, .verw_z = x86h_rd(a + 20, 4) & ZF,
    };
}

static void test_access_cpl0(void **state)
{
    AccResult r;

    setup_pm(s2_access, 0);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    r = acc(0);                                     /* 08: code DPL 0 */
    assert_true(r.lar_z && r.lsl_z && r.verr_z && !r.verw_z);
    assert_int_equal(r.lar, 0x00c09a00);           /* limit 19:16 masked */
    assert_int_equal(r.lsl, 0xffffffff);
    r = acc(1);                                     /* 18: code DPL 3 */
    assert_true(r.lar_z && r.verr_z && !r.verw_z);
    assert_int_equal(r.lar, 0x00c0fa00);
    r = acc(2);                                     /* 20: data DPL 3 */
    assert_true(r.lar_z && r.verr_z && r.verw_z);
    r = acc(3);                                     /* 2b: code64 DPL 3 */
    assert_true(r.lar_z && r.verr_z && !r.verw_z);
    assert_int_equal(r.lar, 0x00a0fa00);
    r = acc(4);                                     /* 30 */
    assert_true(r.lar_z && r.verw_z);
    r = acc(5);                                     /* 38 */
    assert_true(r.lar_z);
    r = acc(6);                                     /* 40: busy 32-bit TSS */
    assert_true(r.lar_z && r.lsl_z && !r.verr_z && !r.verw_z);
    assert_int_equal(r.lar, 0x00008b00);
    assert_int_equal(r.lsl, 0x67);
    r = acc(7);                                     /* null */
    assert_true(!r.lar_z && !r.lsl_z && !r.verr_z && !r.verw_z);
    assert_int_equal(r.lar, 0xdeadbeef);
    assert_int_equal(r.lsl, 0xdeadbeef);
    r = acc(8);                                     /* beyond the GDT */
    assert_true(!r.lar_z && !r.lsl_z && !r.verr_z && !r.verw_z);
    r = acc(9);                                     /* 13: DPL 0 data, RPL 3 */
    assert_true(!r.lar_z && !r.lsl_z && !r.verr_z && !r.verw_z);
    assert_int_equal(x86h_rd(0x2140, 4), 0x9200);   /* lar %ax,%bx */
}

static void test_access_cpl3(void **state)
{
    CPUX86State *env = setup_pm(s2_access, 3);
    AccResult r;

    /* the call gate (lar only), the exec-only code, the interrupt gate */
    write_call_gate(0x1234, 3, 0);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);        /* the final hlt */
    r = acc(0);                                     /* DPL 0 code: hidden */
    assert_true(!r.lar_z && !r.lsl_z && !r.verr_z && !r.verw_z);
    assert_int_equal(r.lar, 0xdeadbeef);
    r = acc(2);                                     /* DPL 3 data */
    assert_true(r.lar_z && r.lsl_z && r.verr_z && r.verw_z);
    r = acc(6);                                     /* TSS DPL 0 */
    assert_true(!r.lar_z && !r.lsl_z);
    (void)env;
}

static void test_access_types(void **state)
{
    CPUX86State *env = setup_pm(s2_access, 0);
    AccResult r;

    /* reuse slots: 18 -> exec-only code, 20 -> read-only data, 30 -> gate */
    x86h_wr32(0x601c, 0x00cf9800);
    x86h_wr32(0x6024, 0x0040f000);
    x86h_wr32(0x6020, 0x00001234);
    write_call_gate(0x1234, 3, 0);
    x86h_wr32(0x6030, x86h_rd(0x6048, 4));
    x86h_wr32(0x6034, x86h_rd(0x604c, 4));
    x86h_wr32(0x6038, 0x00080000);                  /* 38: interrupt gate */
    x86h_wr32(0x603c, 0x0000ee00);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    r = acc(1);                                     /* exec-only code */
    assert_true(r.lar_z && !r.verr_z && !r.verw_z);
    r = acc(2);                                     /* read-only data */
    assert_true(r.lar_z && r.verr_z && !r.verw_z);
    assert_int_equal(r.lsl, 0x1234);                /* byte granular */
    r = acc(4);                                     /* call gate: lar only */
    assert_true(r.lar_z && !r.lsl_z && !r.verr_z);
    assert_int_equal(r.lar, 0x0000ec00);
    r = acc(5);                                     /* interrupt gate: none */
    assert_true(!r.lar_z && !r.lsl_z);
    (void)env;
}

/* ---- I/O permission bitmap, IOPL ---- */

#define IO_BASE 0x80
static MemoryRegion io_mr;

/* each byte of a read is 0x40 + its port offset */
static uint64_t io_read(void *opaque, hwaddr addr, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (0x40 + addr + i) << (8 * i);
    }
    return v;
}

static void io_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
}

static const MemoryRegionOps io_ops = {
    .read = io_read,
    .write = io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

/* A 32-bit TSS with its bitmap at 0x68 allowing only ports 0x80-0x85 */
static void write_iomap(CPUX86State *env)
{
    x86h_wr32(0x8064, 0x00680000);
    for (uint32_t b = 0; b < 0x2000 / 8; b++) {
        x86h_wr(0x8068 + b, "\xff", 1);
    }
    x86h_wr(0x8068 + 0x80 / 8, "\xc0", 1);          /* 0x80-0x85 clear */
    env->tr.limit = 0x68 + 0x2000 / 8;
}

static void test_io_bitmap(void **state)
{
    CPUX86State *env = setup_pm(s2_io, 3);

    write_iomap(env);
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0);
    assert_int_equal(env->rip, LIN(s2_io_deny));
    assert_int_equal(R(R_EBX) & 0xff, 0x40);
    assert_int_equal(R(R_ECX) & 0xffff, 0x4544);
    assert_int_not_equal(R(R_ESI), 0x99);

    /* IOPL 3 at CPL 3: no bitmap check */
    env = setup_pm(s2_io, 3);
    write_iomap(env);
    x86_cpu_set_eflags(env, 0x3202);
    x86h_run_clean();
    assert_int_equal(R(R_ESI), 0x99);
    assert_int_equal(env->rip, LIN(s2_io_deny) + 7);

    /* a TSS limit that leaves out the bitmap: every port is denied */
    env = setup_pm(s2_io, 3);
    x86h_wr32(0x8064, 0x00680000);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(env->rip, LIN(s2_io) + 4);
}

static void test_iopl(void **state)
{
    CPUX86State *env = setup_pm(s2_popf, 3);

    /* popf at CPL 3, IOPL 0: IOPL and IF unchanged; cli: #GP(0) */
    x86h_run_clean();
    assert_int_equal(R(R_EBX) & 0x3200, 0x200);
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(env->rip, LIN(s2_cli));

    /* IOPL 3: popf may clear IF (not IOPL), cli works */
    env = setup_pm(s2_popf, 3);
    x86_cpu_set_eflags(env, 0x3202);
    x86h_run_clean();
    assert_int_equal(R(R_EBX) & 0x3200, 0x3000);
    assert_int_equal(R(R_ECX), 0x77);

    /* CPL 0: popf sets IOPL */
    env = setup_pm(s2_popf, 0);
    x86h_run_clean();
    assert_int_equal(R(R_EBX) & 0x3200, 0x3000);
    assert_int_equal(x86h_last_excp, -1);
}

/* ---- virtual-8086 mode ---- */

static CPUX86State *setup_vm86(uint32_t eflags)
{
    CPUX86State *env = setup_pm(s2_to_vm86, 0);

    env->idt.base = 0x9000;
    env->idt.limit = 0x7ff;
    x86h_set_gate32(0x9000, 0x30, LIN(s2_int30), 14, 3);
    x86h_set_gate32(0x9000, 13, LIN(s2_gp_halt), 14, 0);
    x86h_wr32(0x500, eflags);
    env->regs[R_ESP] = 0x68000;
    x86h_use_idt = true;
    return env;
}

static void test_vm86(void **state)
{
    CPUX86State *env = setup_vm86(0x23202);          /* VM, IOPL 3, IF */
    uint32_t vm86_ip = s2_vm86 - s2_code;

    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(R(R_EBX) & 0xffff, 0x2000);    /* ds as iret set it */
    assert_int_equal(R(R_ECX), s2_vm86_hlt - s2_code);  /* #GP at the hlt */
    assert_int_equal(x86h_rd(0x40010, 2), 0x5a5a);  /* es = 0x4000 real style */
    /* int $0x30: 9 dwords on the ring-0 stack, data segments cleared */
    assert_int_equal(R(R_ESI), 0x60000 - 36);
    assert_int_equal(R(R_EDI), 0);
    assert_int_equal(R(R_EBP) & 0x20000, 0x20000);  /* pushed EFLAGS.VM */
    /* the #GP frame of the final hlt, where int $0x30's frame was */
    assert_int_equal(x86h_rd(0x60000 - 36, 4), s2_vm86_hlt - s2_code);
    assert_int_equal(x86h_rd(0x60000 - 32, 4), 0x1000);
    assert_int_equal(x86h_rd(0x60000 - 20, 4), 0x3000);     /* ss */
    assert_int_equal(x86h_rd(0x60000 - 16, 4), 0x4000);     /* es */
    assert_int_equal(x86h_rd(0x60000 - 12, 4), 0x2000);     /* ds */
    /* back in VM86: dx set, cli/sti allowed at IOPL 3, hlt is #GP(0) */
    assert_int_equal(R(R_EDX) & 0xffff, 0x55);
    assert_int_equal(R(R_EAX), 0);
    assert_int_equal(x86h_rd(0x60000 - 36 - 4, 4), 0);    /* #GP error code */
    assert_int_equal(env->hflags & HF_CPL_MASK, 0);
    (void)vm86_ip;
}

static void test_vm86_iopl0(void **state)
{
    CPUX86State *env = setup_vm86(0x20202);          /* VM, IOPL 0 */

    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    /* int n at IOPL 0: #GP(0) with the int's ip as the return address */
    assert_int_equal(R(R_EAX), 0);
    assert_int_equal(R(R_ECX), s2_vm86_int - s2_code);
    assert_int_not_equal(R(R_EDX) & 0xffff, 0x55);
    (void)env;
}

/* ---- call gates ---- */

static void test_call_gate(void **state)
{
    CPUX86State *env = setup_pm(s2_gate_user, 3);

    write_call_gate(LIN(s2_gate_kernel), 3, 2);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);        /* the ring-3 hlt */
    assert_int_equal(R(R_ESI), 0x60000 - 24);
    assert_int_equal(R(R_EDI), 0x10);
    assert_int_equal(R(R_EBX), 0x22);               /* copied parameters */
    assert_int_equal(R(R_ECX), 0x11);
    assert_int_equal(x86h_rd(0x60000 - 4, 4), 0x23);        /* old ss */
    assert_int_equal(x86h_rd(0x60000 - 8, 4), 0x70000 - 8); /* old esp */
    assert_int_equal(x86h_rd(0x60000 - 20, 4), 0x1b);       /* old cs */
    assert_int_equal(R(R_EBP), 0x70000);            /* lret $8 popped both */
    assert_int_equal(R(R_EDX), 0x1b);
    assert_int_equal(env->hflags & HF_CPL_MASK, 3);

    /* a gate of DPL 0 from ring 3: #GP(0x48) */
    env = setup_pm(s2_gate_user, 3);
    write_call_gate(LIN(s2_gate_kernel), 0, 2);
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0x48);
    assert_int_equal(env->rip, LIN(s2_gate_user) + 4);

    /* jmp through a gate at CPL 0: no stack change */
    env = setup_pm(s2_gate_jmp, 0);
    write_call_gate(LIN(s2_gate_kernel), 0, 0);
    x86h_wr32(0x70008, 0x1234);
    x86h_run_clean();
    assert_int_equal(R(R_ESI), 0x70000);
    assert_int_equal(R(R_EBX), 0x1234);
    assert_int_equal(env->hflags & HF_CPL_MASK, 0);
}

/* ---- task switches ---- */

/* TSS B at 0x8100: runs s2_task_b at CPL 0 on its own stack, LDT null */
static void write_tss_b(void)
{
    x86h_wr32(0x8100 + 0x1c, 0);                    /* cr3 */
    x86h_wr32(0x8100 + 0x20, LIN(s2_task_b));       /* eip */
    x86h_wr32(0x8100 + 0x24, 0x2);                  /* eflags */
    x86h_wr32(0x8100 + 0x38, 0x50000);              /* esp */
    x86h_wr32(0x8100 + 0x48, 0x10);                 /* es */
    x86h_wr32(0x8100 + 0x4c, 0x08);                 /* cs */
    x86h_wr32(0x8100 + 0x50, 0x10);                 /* ss */
    x86h_wr32(0x8100 + 0x54, 0x10);                 /* ds */
    x86h_wr32(0x8100 + 0x58, 0x10);
    x86h_wr32(0x8100 + 0x5c, 0x10);
}

static void test_task_call_iret(void **state)
{
    CPUX86State *env = setup_pm(s2_task_a, 0);

    write_tss_b();
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(x86h_rd(0x2000, 4), 0xbbbb);   /* task B ran */
    assert_int_equal(x86h_rd(0x2004, 4) & 0x4000, 0x4000);     /* with NT */
    assert_int_equal(x86h_rd(0x2008, 4), 0x58);     /* TR = B */
    assert_int_equal(x86h_rd(0x200c, 4), 0x50000);  /* on B's stack */
    assert_int_equal(x86h_rd(0x8100, 2), 0x40);     /* back link */
    assert_int_equal(R(R_ESI), 0xaaaa);             /* A's registers kept */
    assert_int_equal(R(R_EDI), 0xcccc);
    assert_int_equal(R(R_EBP) & 0x4000, 0);         /* A has no NT */
    assert_int_equal(env->tr.selector, 0x40);
    assert_int_equal(x86h_rd(0x8100 + 0x38, 4), 0x50000);  /* B's esp saved */
    assert_int_equal(x86h_rd(0x6044, 4) & 0x200, 0x200);   /* A busy */
    assert_int_equal(x86h_rd(0x605c, 4) & 0x200, 0);       /* B free again */
    assert_int_equal(R(R_ESP), 0x70000);
    assert_true(env->cr[0] & CR0_TS_MASK);
}

static void test_task_gate_jmp(void **state)
{
    CPUX86State *env = setup_pm(s2_task_jmp, 0);

    write_tss_b();
    x86h_run_clean();
    /* jmp: no back link, no NT; B's iret without NT is a plain iret */
    assert_int_equal(x86h_rd(0x2000, 4), 0xbbbb);
    assert_int_equal(x86h_rd(0x2004, 4) & 0x4000, 0);
    assert_int_equal(x86h_rd(0x8100, 2), 0);
    assert_int_equal(env->tr.selector, 0x58);
    assert_int_equal(x86h_rd(0x6044, 4) & 0x200, 0);       /* A free */
    assert_int_equal(x86h_rd(0x605c, 4) & 0x200, 0x200);   /* B busy */
    /* A's state was saved in its TSS */
    assert_int_equal(x86h_rd(0x8000 + 0x20, 4), LIN(s2_task_jmp) + 7);
    assert_int_equal(x86h_rd(0x8000 + 0x38, 4), 0x70000);

    /* a busy TSS as the target: #GP(sel) */
    env = setup_pm(s2_task_a, 0);
    write_tss_b();
    x86h_wr32(0x605c, 0x00008b00);
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0x58);
}

/* An exception through a task gate in the IDT: #DF to TSS B */
static void test_task_gate_df(void **state)
{
    CPUX86State *env = setup_pm(s2_df, 0);

    write_tss_b();
    x86h_wr32(0x8100 + 0x20, LIN(s2_df_task));
    env->idt.base = 0x9000;
    env->idt.limit = 0x7ff;
    x86h_wr32(0x9000 + 8 * 8, 0x00580000);          /* task gate -> 58 */
    x86h_wr32(0x9000 + 8 * 8 + 4, 0x00008500);
    x86h_use_idt = true;
    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(x86h_rd(0x2010, 4), 0);        /* #DF's error code */
    assert_int_equal(x86h_rd(0x2014, 4), 0x58);
    assert_int_equal(x86h_rd(0x2018, 4) & 0x4000, 0x4000);     /* NT */
    assert_int_equal(x86h_rd(0x8100, 2), 0x40);     /* back link */
    assert_int_equal(env->tr.selector, 0x58);
    /* the old task's EIP: the faulting mov to SS */
    assert_int_equal(x86h_rd(0x8000 + 0x20, 4), LIN(s2_df) + 5);
    assert_int_equal(R(R_ESP), 0x50000);
}

/* A task whose EFLAGS.VM is set runs in virtual-8086 mode */
static void test_task_vm86(void **state)
{
    CPUX86State *env = setup_pm(s2_task_jmp, 0);

    write_tss_b();
    x86h_wr32(0x8100 + 0x20, s2_vm86_task - s2_code);
    x86h_wr32(0x8100 + 0x24, 0x20002);              /* VM */
    x86h_wr32(0x8100 + 0x4c, 0x1000);               /* cs */
    x86h_wr32(0x8100 + 0x50, 0x3000);               /* ss */
    x86h_wr32(0x8100 + 0x54, 0x2000);               /* ds */
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);        /* hlt in VM86 */
    assert_true(env->rflags & 0x20000);
    assert_int_equal(env->hflags & HF_CPL_MASK, 3);
    assert_int_equal(env->segs[R_CS].base, 0x10000);
    assert_int_equal(env->segs[R_DS].base, 0x20000);
    assert_int_equal(R(R_EBX) & 0xffff, 0x3000);
    assert_int_equal(R(R_EAX) & 0xffff, 0x1234);
    assert_int_equal(env->rip, (s2_vm86_task - s2_code) + 5);
}

/* 64-bit call gate (16 bytes) from ring 3 to a 64-bit ring-0 segment */
static void test_call_gate64(void **state)
{
    CPUX86State *env = setup_long(s2_gate64_user, 3);
    uint64_t off = LIN(s2_gate64_kernel);

    x86h_wr32(0x6048, (0x38u << 16) | (off & 0xffff));
    x86h_wr32(0x604c, (off & 0xffff0000u) | DESC_P_MASK |
              (3u << DESC_DPL_SHIFT) | (12u << DESC_TYPE_SHIFT));
    x86h_wr32(0x6050, off >> 32);
    x86h_wr32(0x6054, 0);
    x86h_wr32(0x8008, 0);                           /* rsp0 = 0x60000 */
    x86h_wr32(0x2000, 0);                           /* m16:32 operand */
    x86h_wr32(0x2004, 0x4b);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);        /* the ring-3 hlt */
    assert_int_equal(R(R_ESI), 0x60000 - 32);
    assert_int_equal(R(R_EDI), 0);                  /* a null SS, RPL 0 */
    assert_int_equal(R(R_EBX), LIN(s2_gate64_ret));
    assert_int_equal(R(R_ECX), 0x2b);
    assert_int_equal(x86h_rd(0x60000 - 8, 4), 0x23);        /* old ss */
    assert_int_equal(x86h_rd(0x60000 - 16, 4), 0x70000);    /* old rsp */
    assert_int_equal(R(R_EBP), 0x70000);
    assert_int_equal(env->hflags & HF_CPL_MASK, 3);
    assert_int_equal(env->segs[R_SS].selector, 0x23);
}

/* ---- CR4 ---- */

static void test_cr4(void **state)
{
    CPUX86State *env = setup_pm(s2_cr4, 0);

    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP06_ILLOP);      /* mov dr4 with DE */
    assert_int_equal(env->rip, LIN(s2_dr4));
    assert_int_equal(R(R_EBX) & 0x600, 0x600);
    assert_true(env->cr[4] & CR4_DE_MASK);

    env = setup_pm(s2_cr4_vme, 0);
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0);
    assert_int_equal(env->rip, LIN(s2_cr4_vme) + 6);

    /* CR4.TSD: rdtsc at CPL 3 is #GP(0); without it, allowed */
    env = setup_pm(s2_rdtsc, 3);
    env->cr[4] = CR4_TSD_MASK;
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(env->rip, LIN(s2_rdtsc));
    env = setup_pm(s2_rdtsc, 3);
    x86h_run_clean();
    assert_int_equal(env->rip, LIN(s2_rdtsc) + 2);
}

/*
 * CR4.SMEP: a ring-0 fetch from a user page is #PF(P | I/D); data
 * accesses to it and fetches from supervisor pages are not affected
 */
static void test_smep(void **state)
{
    CPUX86State *env = setup_long(s2_swapgs, 0);

    env->cr[4] |= 1u << 20;
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0E_PAGE, 0x11);
    assert_int_equal(env->cr[2], LIN(s2_swapgs));

    /* the same code on a supervisor page runs */
    env = setup_long(s2_swapgs, 0);
    env->cr[4] |= 1u << 20;
    x86h_wr32(0x4000, 0x83);
    env->segs[R_GS].base = 0x1000;
    env->kernelgsbase = 0x2000;
    x86h_wr32(0x2100, 0xcafe);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EAX), 0xcafe);
}

/* The machine-check MSRs CPUID's MCA promises (Linux reads them at boot) */
static void test_mcg_msrs(void **state)
{
    CPUX86State *env = setup_pm(s2_mcg, 0);

    R(R_EBX) = 0x55;
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(env->rip, LIN(s2_mcg_wr));
    assert_int_equal(R(R_EBX), 0);
}

/* ---- info tlb / info mem ---- */

/* Run an HMP command against the test CPU, as the pc machine's CPU class */
static char *hmp_on_test_cpu(const char *cmd)
{
    const CPUClass *cc = x86h_cpu->parent.cc;
    char *out, *w;

    x86h_cpu->parent.cc = &x86_cpu_class;
    out = hmp_execute(cmd, NULL);
    x86h_cpu->parent.cc = cc;
    assert_non_null(out);
    /* the monitor's line ends are \r\n */
    w = out;
    for (char *r = out; *r; r++) {
        if (*r != '\r') {
            *w++ = *r;
        }
    }
    *w = 0;
    return out;
}

static void assert_hmp(const char *cmd, const char *expect)
{
    char *out = hmp_on_test_cpu(cmd);

    if (strcmp(out, expect)) {
        fprintf(stderr, "%s:\n%s---- expected:\n%s", cmd, out, expect);
    }
    assert_string_equal(out, expect);
    free(out);
}

static void test_info_tlb_2level(void **state)
{
    CPUX86State *env = setup_pm(s2_access, 0);

    assert_hmp("info tlb", "PG disabled\n");
    x86h_wr32(0x20000, 0x21007);
    x86h_wr32(0x21000, 0x003);
    x86h_wr32(0x21004, 0x5065);
    x86h_wr32(0x20004, 0x00800187);         /* 4 MiB page, global */
    env->cr[3] = 0x20000;
    env->cr[4] = CR4_PSE_MASK;
    env->cr[0] |= CR0_PG_MASK;
    assert_hmp("info tlb",
               "0000000000000000: 0000000000000000 --------W\n"
               "0000000000001000: 0000000000005000 ---DA--U-\n"
               "0000000000400000: 0000000000800000 -GP----UW\n");
    assert_hmp("info mem",
               "0000000000000000-0000000000001000 0000000000001000 -rw\n"
               "0000000000001000-0000000000002000 0000000000001000 ur-\n"
               "0000000000400000-0000000000800000 0000000000400000 urw\n");
}

static void test_info_tlb_pae(void **state)
{
    CPUX86State *env = setup_pm(s2_access, 0);

    x86h_wr32(0xc000, 0x9001);              /* PDPTE 0 */
    x86h_wr32(0x9008, 0x200083);            /* 2 MiB page at 0x200000 */
    x86h_wr32(0xc018, 0xa001);              /* PDPTE 3 */
    x86h_wr32(0xaff8, 0xb007);
    x86h_wr32(0xbff8, 0x1234005);
    x86h_wr32(0xbffc, 0x80000000);          /* NX */
    env->cr[3] = 0xc000;
    env->cr[4] = CR4_PAE_MASK;
    env->cr[0] |= CR0_PG_MASK;
    assert_hmp("info tlb",
               "0000000000200000: 0000000000200000 --P-----W\n"
               "00000000fffff000: 0000000001234000 X------U-\n");
    assert_hmp("info mem",
               "0000000000200000-0000000000400000 0000000000200000 -rw\n"
               "00000000fffff000-0000000100000000 0000000000001000 ur-\n");
}

static void test_info_tlb_long(void **state)
{
    setup_long(s2_access, 0);
    x86h_wr32(0x5000 + 511 * 8, 0x7003);
    x86h_wr32(0x7000 + 510 * 8, 0x40000083);
    x86h_wr32(0x7000 + 510 * 8 + 4, 0x80000000);
    assert_hmp("info tlb",
               "0000000000000000: 0000000000000000 --P----UW\n"
               "ffffffff80000000: 0000000040000000 X-P-----W\n");
    assert_hmp("info mem",
               "0000000000000000-0000000000200000 0000000000200000 urw\n"
               "ffffffff80000000-ffffffffc0000000 0000000040000000 -rw\n");
    /* tables that point at themselves: the walk stops, it does not hang */
    for (unsigned i = 0; i < 512; i++) {
        x86h_wr32(0x5000 + i * 8, 0x5007);
    }
    {
        char *out = hmp_on_test_cpu("info mem");

        assert_non_null(strstr(out, "(stopped after"));
        free(out);
    }
}

/* ---- Engine ---- */

/* x86h_teardown also turns IDT delivery off again */
#define BOTH(fn) X86H_BOTH(fn)

int main(void)
{
    static X86HConfig cfg = {
        .cc = &x86_sys2_class,
        .ram_size = RAM_SIZE,
        .code_lin = CODE_LIN,
        .poll_ms = 5,
    };
    const struct CMUnitTest tests[] = {
        BOTH(test_syscall64),
        BOTH(test_sysret32),
        BOTH(test_syscall_faults),
        BOTH(test_swapgs),
        BOTH(test_rdpid),
        BOTH(test_sysenter32),
        BOTH(test_sysexit64),
        BOTH(test_access_cpl0),
        BOTH(test_access_cpl3),
        BOTH(test_access_types),
        BOTH(test_io_bitmap),
        BOTH(test_iopl),
        BOTH(test_vm86),
        BOTH(test_vm86_iopl0),
        BOTH(test_call_gate),
        BOTH(test_task_call_iret),
        BOTH(test_task_gate_jmp),
        BOTH(test_task_gate_df),
        BOTH(test_task_vm86),
        BOTH(test_call_gate64),
        BOTH(test_cr4),
        BOTH(test_mcg_msrs),
        BOTH(test_smep),
        cmocka_unit_test_setup_teardown(test_info_tlb_2level,
                                        x86h_setup_native, x86h_teardown),
        cmocka_unit_test_setup_teardown(test_info_tlb_pae,
                                        x86h_setup_native, x86h_teardown),
        cmocka_unit_test_setup_teardown(test_info_tlb_long,
                                        x86h_setup_native, x86h_teardown),
    };

    cfg.code = s2_code;
    cfg.code_size = s2_code_end - s2_code;
    if (!x86h_init(&cfg)) {
        return 1;
    }
    memory_region_init_io(&io_mr, NULL, &io_ops, NULL, "test-io", 8);
    memory_region_add_subregion(get_system_io(), IO_BASE, &io_mr);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
