/*
 * Self-checking snippets for the x86 translator's system instructions:
 * cpuid, rdtsc, rdmsr/wrmsr, descriptor-table and control-register
 * moves, lldt/ltr, privilege checks and string I/O, on both back ends.
 * The guest code below is the listing in the comment, assembled.
 */
#include "emu/osdep.h"
#include "system/memory.h"
#include "exec/tb-internal.h"
#include "exec/cputlb.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg/translate.h"
#include "support/x86-harness.h"

#include <setjmp.h>
#include <cmocka.h>
#include <time.h>

#define RAM_SIZE  0x100000ull
#define CODE_SEG  0x1000            /* the blob sits at linear 0x10000 */
#define CODE_LIN  0x10000ull

/*
 * The guest code (GNU as, linked at 0):
 *
 * .code32
 * info:   xor %eax,%eax; cpuid; mov %ebx,0x2000; mov %edx,0x2004; mov %ecx,0x2008
 *         mov %eax,0x200c
 *         mov $1,%eax; cpuid; mov %eax,0x2010; mov %ecx,0x2014; mov %edx,0x2018
 *         mov $0x80000001,%eax; cpuid; mov %edx,0x201c
 *         rdtsc; mov %eax,0x2020; mov %edx,0x2024
 *         mov $0xc0000081,%ecx; mov $0x11223344,%eax; mov $0x55667788,%edx; wrmsr
 *         xor %eax,%eax; xor %edx,%edx; rdmsr; mov %eax,0x2028; mov %edx,0x202c
 *         mov $0x10,%ecx; mov $0,%edx; mov $0x40000000,%eax; wrmsr
 *         rdtsc; mov %eax,0x2030; mov %edx,0x2034
 *         mov $0xfe,%ecx; rdmsr; mov %eax,0x2038
 *         hlt
 * badmsr: mov $0x12345,%ecx; rdmsr; hlt
 * desc:   lgdtl 0x3000; lidtl 0x3010; sgdtl 0x3020; sidtl 0x3030
 *         mov %cr0,%eax; mov %eax,0x3040; mov $0x5000,%eax; mov %eax,%cr3
 *         mov %cr3,%ebx; mov %ebx,0x3044; mov $0x1234,%eax; mov %eax,%cr2
 *         mov %cr2,%eax; mov %eax,0x3048; mov $0x10,%eax; mov %eax,%cr4
 *         mov %cr4,%eax; mov %eax,0x304c; mov $0xaa55,%eax; mov %eax,%db1
 *         mov %db1,%edx; mov %edx,0x3050; mov %cr0,%eax; or $8,%eax; mov %eax,%cr0
 *         clts; mov %cr0,%eax; mov %eax,0x3054; wbinvd; invd; smsw %si
 *         invlpg 0x4000
 *         mov $0x18,%ax; lldt %ax; mov $0x20,%ax; ltr %ax; sldt %bx; str %cx
 *         hlt
 * badtr:  mov $0x18,%ax; ltr %ax; hlt
 * user:   wrmsr; hlt
 * crbad:  mov $0x80000000,%eax; mov %eax,%cr0; hlt
 * .code16
 * io:     cld; mov $0x100,%di; mov $0x80,%dx; mov $5,%cx; rep insb
 *         mov $0x200,%si; mov $4,%cx; mov $0x81,%dx; rep outsb
 *         mov $0x300,%di; mov $2,%cx; mov $0x80,%dx; rep insw; hlt
 * halt:   hlt; mov $1,%ax; hlt
 * .code16
 * pm16:   lgdtl (0); mov %cr0,%eax; or $1,%eax; mov %eax,%cr0
 *         ljmpl $0x08,$(0x10000+pm32)
 * .code32
 * pm32:   mov $0x10,%eax; mov %eax,%ds; mov %eax,%es; mov %eax,%ss
 *         mov $0x80000,%esp; lcall $0x08,$(0x10000+far32); mov %cs,%ebx
 *         mov %ss,%edx; mov $0x7777,%eax; hlt
 * far32:  mov $0x55,%ecx; lret
 * np:     mov $0x20,%eax; mov %eax,%fs; hlt
 * gpsel:  mov $0x18,%eax; mov %eax,%ss; hlt
 * ring3:  push $0x33; push $0x70000; push $0x202; push $0x2b
 *         push $(0x10000+user3); iret
 * user3:  mov %cs,%ebx; mov %ss,%edx; mov %esp,%esi; mov $0x30,%eax
 *         mov %eax,%ds; mov $1,%ecx; hlt
 * lmode:  mov %cr4,%eax; or $0x20,%eax; mov %eax,%cr4; mov $0x5000,%eax
 *         mov %eax,%cr3; mov $0xc0000080,%ecx; rdmsr; or $0x100,%eax; wrmsr
 *         mov %cr0,%eax; or $0x80000000,%eax; mov %eax,%cr0
 *         ljmp $0x38,$(0x10000+lm64)
 * .code64
 * lm64:   movabs $0x123456789a,%rax; mov %rax,%rbx; shl $4,%rbx; hlt
 * .code32
 * gpt:    mov $0x18,%eax; mov %eax,%ss; mov $0x99,%edx; hlt
 * gph:    pop %ebx; mov (%esp),%ecx; pushf; pop %esi; addl $2,(%esp); iret
 * r3int:  push $0x33; push $0x70000; push $0x202; push $0x2b
 *         push $(0x10000+r3code); iret
 * r3code: int $0x80; mov %eax,%edi; hlt
 * int80h: mov %esp,%ebp; mov %ss,%edx; mov $0x4242,%eax; iret
 * gphalt: pop %ebx; mov %esp,%esi; hlt
 * .code16
 * realde: xor %cx,%cx; mov $1,%ax; div %cl; hlt
 * realdeh: mov $0xdead,%bx; hlt
 * .code32
 * pf2:    mov $0x20000,%eax; mov %eax,%cr3; mov %cr0,%eax
 *         or $0x80010000,%eax; mov %eax,%cr0; movl $0x1234,0x50010
 *         mov 0x50010,%edx; mov 0x21140,%edi; hlt
 * pfh:    pop %ebx; mov %cr2,%ecx; movl $0x50003,0x21140; invlpg (%ecx); iret
 * pse:    mov %cr4,%eax; or $0x10,%eax; mov %eax,%cr4; mov $0x20000,%eax
 *         mov %eax,%cr3; mov %cr0,%eax; or $0x80000000,%eax; mov %eax,%cr0
 *         mov 0x400010,%edx; hlt
 * usrrd:  mov $0x30,%eax; mov %eax,%ds; mov 0x6f000,%eax; hlt
 * lm2:    mov %cr4,%eax; or $0x20,%eax; mov %eax,%cr4; mov $0x5000,%eax
 *         mov %eax,%cr3; mov $0xc0000080,%ecx; rdmsr; or $0x100,%eax; wrmsr
 *         mov %cr0,%eax; or $0x80000000,%eax; mov %eax,%cr0
 *         ljmp $0x38,$(0x10000+lm2b)
 * .code64
 * lm2b:   mov $0x70000,%esp; mov $0x18,%eax; mov %eax,%ss; mov $0x99,%edx; hlt
 * gp64:   pop %rbx; mov %rsp,%rsi; addq $2,(%rsp); iretq
 */
#define OFF_INFO 0x0000
#define OFF_BADMSR 0x009a
#define OFF_DESC 0x00a2
#define OFF_BADTR 0x0141
#define OFF_USER 0x0149
#define OFF_CRBAD 0x014c
#define OFF_IO 0x0155
#define OFF_HALT 0x0178
#define OFF_PM16 0x017d
#define OFF_PM32 0x0195
#define OFF_FAR32 0x01b6
#define OFF_NP 0x01bc
#define OFF_GPSEL 0x01c4
#define OFF_RING3 0x01cc
#define OFF_USER3 0x01e0
#define OFF_LMODE 0x01f3
#define OFF_LM64 0x0224
#define OFF_GPT 0x0236
#define OFF_GPH 0x0243
#define OFF_R3INT 0x024e
#define OFF_R3CODE 0x0262
#define OFF_INT80H 0x0267
#define OFF_GPHALT 0x0271
#define OFF_REALDE 0x0275
#define OFF_REALDEH 0x027d
#define OFF_PF2 0x0281
#define OFF_PFH 0x02ab
#define OFF_PSE 0x02bd
#define OFF_USRRD 0x02e0
#define OFF_LM2 0x02ed
#define OFF_LM2B 0x031e
#define OFF_GP64 0x0330

static const uint8_t guest_code[] = {
  0x31, 0xc0, 0x0f, 0xa2, 0x89, 0x1d, 0x00, 0x20, 0x00, 0x00, 0x89, 0x15,
  0x04, 0x20, 0x00, 0x00, 0x89, 0x0d, 0x08, 0x20, 0x00, 0x00, 0xa3, 0x0c,
  0x20, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2, 0xa3, 0x10,
  0x20, 0x00, 0x00, 0x89, 0x0d, 0x14, 0x20, 0x00, 0x00, 0x89, 0x15, 0x18,
  0x20, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x80, 0x0f, 0xa2, 0x89, 0x15,
  0x1c, 0x20, 0x00, 0x00, 0x0f, 0x31, 0xa3, 0x20, 0x20, 0x00, 0x00, 0x89,
  0x15, 0x24, 0x20, 0x00, 0x00, 0xb9, 0x81, 0x00, 0x00, 0xc0, 0xb8, 0x44,
  0x33, 0x22, 0x11, 0xba, 0x88, 0x77, 0x66, 0x55, 0x0f, 0x30, 0x31, 0xc0,
  0x31, 0xd2, 0x0f, 0x32, 0xa3, 0x28, 0x20, 0x00, 0x00, 0x89, 0x15, 0x2c,
  0x20, 0x00, 0x00, 0xb9, 0x10, 0x00, 0x00, 0x00, 0xba, 0x00, 0x00, 0x00,
  0x00, 0xb8, 0x00, 0x00, 0x00, 0x40, 0x0f, 0x30, 0x0f, 0x31, 0xa3, 0x30,
  0x20, 0x00, 0x00, 0x89, 0x15, 0x34, 0x20, 0x00, 0x00, 0xb9, 0xfe, 0x00,
  0x00, 0x00, 0x0f, 0x32, 0xa3, 0x38, 0x20, 0x00, 0x00, 0xf4, 0xb9, 0x45,
  0x23, 0x01, 0x00, 0x0f, 0x32, 0xf4, 0x0f, 0x01, 0x15, 0x00, 0x30, 0x00,
  0x00, 0x0f, 0x01, 0x1d, 0x10, 0x30, 0x00, 0x00, 0x0f, 0x01, 0x05, 0x20,
  0x30, 0x00, 0x00, 0x0f, 0x01, 0x0d, 0x30, 0x30, 0x00, 0x00, 0x0f, 0x20,
  0xc0, 0xa3, 0x40, 0x30, 0x00, 0x00, 0xb8, 0x00, 0x50, 0x00, 0x00, 0x0f,
  0x22, 0xd8, 0x0f, 0x20, 0xdb, 0x89, 0x1d, 0x44, 0x30, 0x00, 0x00, 0xb8,
  0x34, 0x12, 0x00, 0x00, 0x0f, 0x22, 0xd0, 0x0f, 0x20, 0xd0, 0xa3, 0x48,
  0x30, 0x00, 0x00, 0xb8, 0x10, 0x00, 0x00, 0x00, 0x0f, 0x22, 0xe0, 0x0f,
  0x20, 0xe0, 0xa3, 0x4c, 0x30, 0x00, 0x00, 0xb8, 0x55, 0xaa, 0x00, 0x00,
  0x0f, 0x23, 0xc8, 0x0f, 0x21, 0xca, 0x89, 0x15, 0x50, 0x30, 0x00, 0x00,
  0x0f, 0x20, 0xc0, 0x83, 0xc8, 0x08, 0x0f, 0x22, 0xc0, 0x0f, 0x06, 0x0f,
  0x20, 0xc0, 0xa3, 0x54, 0x30, 0x00, 0x00, 0x0f, 0x09, 0x0f, 0x08, 0x66,
  0x0f, 0x01, 0xe6, 0x0f, 0x01, 0x3d, 0x00, 0x40, 0x00, 0x00, 0x66, 0xb8,
  0x18, 0x00, 0x0f, 0x00, 0xd0, 0x66, 0xb8, 0x20, 0x00, 0x0f, 0x00, 0xd8,
  0x66, 0x0f, 0x00, 0xc3, 0x66, 0x0f, 0x00, 0xc9, 0xf4, 0x66, 0xb8, 0x18,
  0x00, 0x0f, 0x00, 0xd8, 0xf4, 0x0f, 0x30, 0xf4, 0xb8, 0x00, 0x00, 0x00,
  0x80, 0x0f, 0x22, 0xc0, 0xf4, 0xfc, 0xbf, 0x00, 0x01, 0xba, 0x80, 0x00,
  0xb9, 0x05, 0x00, 0xf3, 0x6c, 0xbe, 0x00, 0x02, 0xb9, 0x04, 0x00, 0xba,
  0x81, 0x00, 0xf3, 0x6e, 0xbf, 0x00, 0x03, 0xb9, 0x02, 0x00, 0xba, 0x80,
  0x00, 0xf3, 0x6d, 0xf4, 0xf4, 0xb8, 0x01, 0x00, 0xf4, 0x66, 0x0f, 0x01,
  0x16, 0x00, 0x00, 0x0f, 0x20, 0xc0, 0x66, 0x83, 0xc8, 0x01, 0x0f, 0x22,
  0xc0, 0x66, 0xea, 0x95, 0x01, 0x01, 0x00, 0x08, 0x00, 0xb8, 0x10, 0x00,
  0x00, 0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x00, 0x08,
  0x00, 0x9a, 0xb6, 0x01, 0x01, 0x00, 0x08, 0x00, 0x8c, 0xcb, 0x8c, 0xd2,
  0xb8, 0x77, 0x77, 0x00, 0x00, 0xf4, 0xb9, 0x55, 0x00, 0x00, 0x00, 0xcb,
  0xb8, 0x20, 0x00, 0x00, 0x00, 0x8e, 0xe0, 0xf4, 0xb8, 0x18, 0x00, 0x00,
  0x00, 0x8e, 0xd0, 0xf4, 0x6a, 0x33, 0x68, 0x00, 0x00, 0x07, 0x00, 0x68,
  0x02, 0x02, 0x00, 0x00, 0x6a, 0x2b, 0x68, 0xe0, 0x01, 0x01, 0x00, 0xcf,
  0x8c, 0xcb, 0x8c, 0xd2, 0x89, 0xe6, 0xb8, 0x30, 0x00, 0x00, 0x00, 0x8e,
  0xd8, 0xb9, 0x01, 0x00, 0x00, 0x00, 0xf4, 0x0f, 0x20, 0xe0, 0x83, 0xc8,
  0x20, 0x0f, 0x22, 0xe0, 0xb8, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x22, 0xd8,
  0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01, 0x00, 0x00,
  0x0f, 0x30, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22,
  0xc0, 0xea, 0x24, 0x02, 0x01, 0x00, 0x38, 0x00, 0x48, 0xb8, 0x9a, 0x78,
  0x56, 0x34, 0x12, 0x00, 0x00, 0x00, 0x48, 0x89, 0xc3, 0x48, 0xc1, 0xe3,
  0x04, 0xf4, 0xb8, 0x18, 0x00, 0x00, 0x00, 0x8e, 0xd0, 0xba, 0x99, 0x00,
  0x00, 0x00, 0xf4, 0x5b, 0x8b, 0x0c, 0x24, 0x9c, 0x5e, 0x83, 0x04, 0x24,
  0x02, 0xcf, 0x6a, 0x33, 0x68, 0x00, 0x00, 0x07, 0x00, 0x68, 0x02, 0x02,
  0x00, 0x00, 0x6a, 0x2b, 0x68, 0x62, 0x02, 0x01, 0x00, 0xcf, 0xcd, 0x80,
  0x89, 0xc7, 0xf4, 0x89, 0xe5, 0x8c, 0xd2, 0xb8, 0x42, 0x42, 0x00, 0x00,
  0xcf, 0x5b, 0x89, 0xe6, 0xf4, 0x31, 0xc9, 0xb8, 0x01, 0x00, 0xf6, 0xf1,
  0xf4, 0xbb, 0xad, 0xde, 0xf4, 0xb8, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x22,
  0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x01, 0x80, 0x0f, 0x22, 0xc0,
  0xc7, 0x05, 0x10, 0x00, 0x05, 0x00, 0x34, 0x12, 0x00, 0x00, 0x8b, 0x15,
  0x10, 0x00, 0x05, 0x00, 0x8b, 0x3d, 0x40, 0x11, 0x02, 0x00, 0xf4, 0x5b,
  0x0f, 0x20, 0xd1, 0xc7, 0x05, 0x40, 0x11, 0x02, 0x00, 0x03, 0x00, 0x05,
  0x00, 0x0f, 0x01, 0x39, 0xcf, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x10, 0x0f,
  0x22, 0xe0, 0xb8, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20,
  0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0x8b, 0x15, 0x10,
  0x00, 0x40, 0x00, 0xf4, 0xb8, 0x30, 0x00, 0x00, 0x00, 0x8e, 0xd8, 0xa1,
  0x00, 0xf0, 0x06, 0x00, 0xf4, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f,
  0x22, 0xe0, 0xb8, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x22, 0xd8, 0xb9, 0x80,
  0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30,
  0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0xea,
  0x1e, 0x03, 0x01, 0x00, 0x38, 0x00, 0xbc, 0x00, 0x00, 0x07, 0x00, 0xb8,
  0x18, 0x00, 0x00, 0x00, 0x8e, 0xd0, 0xba, 0x99, 0x00, 0x00, 0x00, 0xf4,
  0x5b, 0x48, 0x89, 0xe6, 0x48, 0x83, 0x04, 0x24, 0x02, 0x48, 0xcf,
};

/* ---- A test CPU class: the translator's own paging and (optionally) IDT delivery ---- */


/* IDT delivery while x86h_use_idt */
static const CPUClass x86_sys_class =
    X86H_CPU_CLASS("x86-sys-test", 2, x86h_reset, x86_tcg_tlb_fill,
                   x86_tcg_mmu_index, x86h_halt_on_interrupt);

/* Flat 32-bit protected mode at CPL cpl, EIP = 0x10000 + off */
static CPUX86State *setup_flat(uint16_t off, unsigned cpl)
{
    CPUX86State *env = &x86h_cpu->env;

    x86h_clear_ram();
    x86h_reset(&x86h_cpu->parent);
    env->cr[0] = CR0_PE_MASK | CR0_ET_MASK;
    x86h_set_flat_segs(env, cpl);
    env->hflags = cpl;
    x86_cpu_set_eflags(env, 0x202);
    env->rip = CODE_LIN + off;
    return env;
}

#define R(n) (x86h_cpu->env.regs[n])
#define PF_ERR_P 1
#define PF_ERR_U 4

/* ---- Tests ---- */

static void test_cpuid_tsc_msr(void **state)
{
    CPUX86State *env = setup_flat(OFF_INFO, 0);
    uint64_t t0, t1;

    env->model = x86_cpu_model_find("qemu64");
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(x86h_rd(0x2000, 4), 0x68747541);   /* "Auth" */
    assert_int_equal(x86h_rd(0x2004, 4), 0x69746e65);   /* "enti" */
    assert_int_equal(x86h_rd(0x2008, 4), 0x444d4163);   /* "cAMD" */
    assert_true(x86h_rd(0x200c, 4) >= 1);
    assert_int_equal(x86h_rd(0x2010, 4), x86_cpu_signature(env->model));
    /* implemented features: TSC, MSR, CX8, CMOV, x87, MMX, SSE-SSE3 */
    assert_int_equal(x86h_rd(0x2018, 4) & (CPUID_TSC | CPUID_MSR | CPUID_CX8 |
                                      CPUID_CMOV), CPUID_TSC | CPUID_MSR |
                     CPUID_CX8 | CPUID_CMOV);
    assert_int_equal(x86h_rd(0x2018, 4) & (CPUID_FP87 | CPUID_SSE | CPUID_SSE2 |
                                      CPUID_MMX | CPUID_FXSR),
                     CPUID_FP87 | CPUID_SSE | CPUID_SSE2 | CPUID_MMX |
                     CPUID_FXSR);
    assert_int_equal(x86h_rd(0x2014, 4) & CPUID_EXT_SSE3, CPUID_EXT_SSE3);
    assert_int_equal(x86h_rd(0x2014, 4) & CPUID_EXT_CX16, CPUID_EXT_CX16);
    /* the fast system calls are implemented (test-x86-sys2) */
    assert_int_equal(x86h_rd(0x201c, 4) & CPUID_EXT2_SYSCALL,
                     CPUID_EXT2_SYSCALL);
    assert_int_equal(x86h_rd(0x2018, 4) & CPUID_SEP, CPUID_SEP);
    /* wrmsr/rdmsr STAR round trip */
    assert_int_equal(x86h_rd(0x2028, 4), 0x11223344);
    assert_int_equal(x86h_rd(0x202c, 4), 0x55667788);
    assert_int_equal(env->star, 0x5566778811223344ull);
    /* wrmsr TSC = 2^30: the next rdtsc is at least that, and not far off */
    t0 = x86h_rd(0x2020, 4) | (uint64_t)x86h_rd(0x2024, 4) << 32;
    t1 = x86h_rd(0x2030, 4) | (uint64_t)x86h_rd(0x2034, 4) << 32;
    assert_true(t1 >= 0x40000000ull);
    assert_true(t1 - 0x40000000ull < 10ull * X86_TCG_TSC_HZ);
    (void)t0;
    /* MTRRcap: 8 variable ranges, fixed, WC */
    assert_int_equal(x86h_rd(0x2038, 4), 0x508);
}

static void test_badmsr(void **state)
{
    setup_flat(OFF_BADMSR, 0);
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0);
    assert_int_equal(x86h_cpu->env.rip, CODE_LIN + OFF_BADMSR + 5);
}

/* GDT at 0x6000: null, code, data, LDT (0x18) at 0x7000, TSS (0x20) at 0x8000 */
static void write_gdt(void)
{
    x86h_wr32(0x6000 + 0x18, 0x7000001f);
    x86h_wr32(0x6000 + 0x1c, 0x00008200);
    x86h_wr32(0x6000 + 0x20, 0x80000067);
    x86h_wr32(0x6000 + 0x24, 0x00008900);
    x86h_wr32(0x3000, 0x60000027);       /* limit 0x27, base 0x6000 */
    x86h_wr32(0x3004, 0);
    x86h_wr32(0x3010, 0x900007ff);       /* limit 0x7ff, base 0x9000 */
    x86h_wr32(0x3014, 0);
}

static void test_desc_cr(void **state)
{
    CPUX86State *env = setup_flat(OFF_DESC, 0);

    write_gdt();
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(env->gdt.base, 0x6000);
    assert_int_equal(env->gdt.limit, 0x27);
    assert_int_equal(env->idt.base, 0x9000);
    assert_int_equal(env->idt.limit, 0x7ff);
    assert_int_equal(x86h_rd(0x3020, 2), 0x27);          /* sgdt */
    assert_int_equal(x86h_rd(0x3022, 4), 0x6000);
    assert_int_equal(x86h_rd(0x3030, 2), 0x7ff);         /* sidt */
    assert_int_equal(x86h_rd(0x3032, 4), 0x9000);
    assert_int_equal(x86h_rd(0x3040, 4), CR0_PE_MASK | CR0_ET_MASK);
    assert_int_equal(x86h_rd(0x3044, 4), 0x5000);        /* cr3 */
    assert_int_equal(x86h_rd(0x3048, 4), 0x1234);        /* cr2 */
    assert_int_equal(x86h_rd(0x304c, 4), CR4_PSE_MASK);  /* cr4 */
    assert_int_equal(x86h_rd(0x3050, 4), 0xaa55);        /* dr1 */
    assert_int_equal(env->dr[1], 0xaa55);
    assert_int_equal(x86h_rd(0x3054, 4) & CR0_TS_MASK, 0);  /* clts */
    assert_int_equal(R(R_ESI) & 0xffff, CR0_PE_MASK | CR0_ET_MASK);
    /* lldt / ltr / sldt / str */
    assert_int_equal(env->ldt.selector, 0x18);
    assert_int_equal(env->ldt.base, 0x7000);
    assert_int_equal(env->ldt.limit, 0x1f);
    assert_int_equal(env->tr.selector, 0x20);
    assert_int_equal(env->tr.base, 0x8000);
    assert_int_equal(env->tr.limit, 0x67);
    assert_int_equal((env->tr.flags >> DESC_TYPE_SHIFT) & 15, 11);
    assert_int_equal(x86h_rd(0x6024, 4), 0x00008b00);    /* busy in the GDT */
    assert_int_equal(R(R_EBX) & 0xffff, 0x18);
    assert_int_equal(R(R_ECX) & 0xffff, 0x20);
}

static void test_bad_tr(void **state)
{
    CPUX86State *env = setup_flat(OFF_BADTR, 0);

    write_gdt();
    env->gdt.base = 0x6000;
    env->gdt.limit = 0x27;
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0x18);
    assert_int_equal(env->rip, CODE_LIN + OFF_BADTR + 4);

    /* the type is checked before presence: still #GP */
    env = setup_flat(OFF_BADTR, 0);
    write_gdt();
    x86h_wr32(0x6000 + 0x1c, 0x00000200);
    env->gdt.base = 0x6000;
    env->gdt.limit = 0x27;
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);

    /* a TSS that is not present: #NP(sel) */
    env = setup_flat(OFF_BADTR, 0);
    write_gdt();
    x86h_wr32(0x6000 + 0x18, 0x80000067);
    x86h_wr32(0x6000 + 0x1c, 0x00000900);
    env->gdt.base = 0x6000;
    env->gdt.limit = 0x27;
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0B_NOSEG, 0x18);
}

static void test_privilege(void **state)
{
    CPUX86State *env = setup_flat(OFF_USER, 3);

    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0);
    assert_int_equal(env->rip, CODE_LIN + OFF_USER);

    /* mov cr0 with PG but not PE: #GP(0) at the mov */
    env = setup_flat(OFF_CRBAD, 0);
    env->cr[0] = CR0_ET_MASK;       /* real mode, 32-bit code: PG w/o PE */
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(env->rip, CODE_LIN + OFF_CRBAD + 5);
}

/*
 * A test device at 0x80: reading port 0x80 returns 0x10, 0x11, ... (one
 * per access, of the access size); writes to 0x81 are logged.
 */
#define IO_BASE 0x80
static MemoryRegion io_mr;
static unsigned io_next;
static uint8_t io_log[16];
static unsigned io_nlog;

static uint64_t io_read(void *opaque, hwaddr addr, unsigned size)
{
    return addr == 0 ? 0x10 + io_next++ : 0xff;
}

static void io_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    if (addr == 1 && io_nlog < sizeof(io_log)) {
        io_log[io_nlog++] = v;
    }
}

static const MemoryRegionOps io_ops = {
    .read = io_read,
    .write = io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void test_string_io(void **state)
{
    x86h_setup_real(OFF_IO);
    io_next = 0;
    io_nlog = 0;
    x86h_wr(0x20200, "wxyz", 4);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(x86h_rd(0x40100, 4), 0x13121110);
    assert_int_equal(x86h_rd(0x40104, 1), 0x14);
    assert_int_equal(io_nlog, 4);
    assert_memory_equal(io_log, "wxyz", 4);
    assert_int_equal(x86h_rd(0x40300, 2), 0x15);
    assert_int_equal(x86h_rd(0x40302, 2), 0x16);
    assert_int_equal(R(R_EDI), 0x304);
    assert_int_equal(R(R_ESI), 0x204);
    assert_int_equal(R(R_ECX), 0);
}

static void test_hlt(void **state)
{
    x86h_setup_real(OFF_HALT);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(x86h_cpu->env.rip, OFF_HALT + 1);
    assert_int_equal(R(R_EAX), 0);
}

/* ---- Protected mode: segments and far transfers ---- */

/*
 * GDT at 0x6000: 08 code32, 10 data32, 18 code32 (all DPL 0, flat),
 * 20 data not present, 28 code32 DPL 3, 30 data32 DPL 3, 38 code64
 */
static void write_pm_gdt(CPUX86State *env)
{
    static const uint32_t d[] = {
        0, 0,
        0x0000ffff, 0x00cf9a00,
        0x0000ffff, 0x00cf9200,
        0x0000ffff, 0x00cf9a00,
        0x0000ffff, 0x00cf1200,
        0x0000ffff, 0x00cffa00,
        0x0000ffff, 0x00cff200,
        0x0000ffff, 0x00af9a00,
    };

    for (size_t i = 0; i < ARRAY_SIZE(d); i++) {
        x86h_wr32(0x6000 + 4 * i, d[i]);
    }
    if (env) {
        env->gdt.base = 0x6000;
        env->gdt.limit = sizeof(d) - 1;
    }
}

static void test_pm_entry(void **state)
{
    CPUX86State *env = x86h_setup_real(OFF_PM16);

    write_pm_gdt(NULL);
    x86h_wr32(0x20000, 0x6000003f);      /* the lgdt operand at DS:0 */
    x86h_wr32(0x20004, 0);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(env->cr[0] & CR0_PE_MASK, CR0_PE_MASK);
    assert_int_equal(env->segs[R_CS].selector, 8);
    assert_true(env->segs[R_CS].flags & DESC_B_MASK);
    assert_int_equal(env->segs[R_CS].base, 0);
    assert_int_equal(env->segs[R_SS].limit, 0xffffffff);
    assert_int_equal(R(R_EBX), 8);
    assert_int_equal(R(R_EDX), 0x10);
    assert_int_equal(R(R_ECX), 0x55);          /* far32 ran and returned */
    assert_int_equal(R(R_EAX), 0x7777);
    assert_int_equal(R(R_ESP), 0x80000);
    assert_int_equal(x86h_rd(0x7fffc, 4), 8);       /* lcall pushed CS */
    assert_int_equal(x86h_rd(0x7fff8, 4), CODE_LIN + OFF_PM32 + 0x17);
    /* the accessed bit was set in the descriptor */
    assert_int_equal(x86h_rd(0x6014, 4), 0x00cf9300);
    assert_int_equal(env->rip, CODE_LIN + OFF_FAR32);
}

static void test_seg_faults(void **state)
{
    CPUX86State *env = setup_flat(OFF_NP, 0);

    write_pm_gdt(env);
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0B_NOSEG, 0x20);
    assert_int_equal(env->rip, CODE_LIN + OFF_NP + 5);

    env = setup_flat(OFF_GPSEL, 0);
    write_pm_gdt(env);
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0x18);
    assert_int_equal(env->rip, CODE_LIN + OFF_GPSEL + 5);

    /* beyond the GDT limit */
    env = setup_flat(OFF_NP, 0);
    write_pm_gdt(env);
    env->gdt.limit = 0x1f;
    x86h_run_clean();
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0x20);
}

static void test_iret_ring3(void **state)
{
    CPUX86State *env = setup_flat(OFF_RING3, 0);

    write_pm_gdt(env);
    env->regs[R_ESP] = 0x80000;
    x86h_run_clean();
    /* ring 3 may load the DPL 3 data segment; the hlt then #GPs */
    X86H_ASSERT_EXCP(EXCP0D_GPF, 0);
    assert_int_equal(env->hflags & HF_CPL_MASK, 3);
    assert_int_equal(R(R_EBX), 0x2b);
    assert_int_equal(R(R_EDX), 0x33);
    assert_int_equal(R(R_ESI), 0x70000);
    assert_int_equal(R(R_ECX), 1);
    assert_int_equal(env->segs[R_DS].selector, 0x30);
    assert_int_equal(env->rip, CODE_LIN + OFF_USER3 + 18);
    assert_int_equal(x86_cpu_get_eflags(env) & 0x200, 0x200);
}

/*
 * Long mode entry: PAE, EFER.LME, CR0.PG, then a far jump to a 64-bit
 * code segment, running on 4-level tables at 0x5000: PML4 -> PDPT at
 * 0x3000 -> PD at 0x4000 with a 2 MiB identity page.
 */
static void test_long_mode(void **state)
{
    CPUX86State *env = setup_flat(OFF_LMODE, 0);

    write_pm_gdt(env);
    x86h_wr32(0x5000, 0x3003);
    x86h_wr32(0x3000, 0x4003);
    x86h_wr32(0x4000, 0x83);
    x86h_run_clean();
    assert_int_equal(x86h_rd(0x5000, 4), 0x3023);    /* accessed bits */
    assert_int_equal(x86h_rd(0x3000, 4), 0x4023);
    assert_int_equal(x86h_rd(0x4000, 4) & 0x20, 0x20);
    assert_int_equal(x86h_last_excp, -1);
    assert_true(env->efer & MSR_EFER_LMA);
    assert_true(env->efer & MSR_EFER_LME);
    assert_true(env->segs[R_CS].flags & DESC_L_MASK);
    assert_int_equal(R(R_EAX), 0x123456789aull);
    assert_int_equal(R(R_EBX), 0x123456789a0ull);
}

/* ---- Exceptions and interrupts through the IDT ---- */

static CPUX86State *setup_idt(uint16_t off)
{
    CPUX86State *env = setup_flat(off, 0);

    write_pm_gdt(env);
    env->idt.base = 0x9000;
    env->idt.limit = 0x7ff;
    /* a 32-bit TSS at 0x8000: ss0:esp0 = 10:60000 */
    x86h_wr32(0x8004, 0x60000);
    x86h_wr32(0x8008, 0x10);
    env->tr.selector = 0x40;
    env->tr.base = 0x8000;
    env->tr.limit = 0x67;
    env->tr.flags = DESC_P_MASK | (11u << DESC_TYPE_SHIFT);
    env->regs[R_ESP] = 0x80000;
    x86h_use_idt = true;
    return env;
}

/* mov to SS of a code segment: #GP(0x18) to the handler, which skips it */
static void test_idt_gp(void **state)
{
    CPUX86State *env = setup_idt(OFF_GPT);

    x86h_set_gate32(0x9000, 13, CODE_LIN + OFF_GPH, 14, 0);
    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(R(R_EBX), 0x18);                  /* error code */
    assert_int_equal(R(R_ECX), CODE_LIN + OFF_GPT + 5); /* faulting eip */
    assert_int_equal(R(R_ESI) & 0x200, 0);             /* IF cleared */
    assert_int_equal(R(R_EDX), 0x99);                  /* iret came back */
    assert_int_equal(R(R_ESP), 0x80000);
    assert_int_equal(x86_cpu_get_eflags(env) & 0x200, 0x200);
    assert_int_equal(env->segs[R_SS].selector, 0x10);
    assert_int_equal(env->rip, CODE_LIN + OFF_GPT + 13);
}

/*
 * iret to ring 3; int $0x80 through a DPL 3 gate switches to the TSS
 * ring-0 stack; iret back; hlt at ring 3 is #GP(0) into ring 0 again.
 */
static void test_idt_ring3(void **state)
{
    CPUX86State *env = setup_idt(OFF_R3INT);

    x86h_set_gate32(0x9000, 0x80, CODE_LIN + OFF_INT80H, 14, 3);
    x86h_set_gate32(0x9000, 13, CODE_LIN + OFF_GPHALT, 15, 0);
    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(R(R_EBP), 0x60000 - 20);      /* ring-0 stack, 5 pushes */
    assert_int_equal(R(R_EDX), 0x10);              /* SS from the TSS */
    assert_int_equal(R(R_EDI), 0x4242);            /* back in ring 3 */
    assert_int_equal(R(R_EBX), 0);                 /* #GP(0) from hlt */
    assert_int_equal(R(R_ESI), 0x60000 - 20);      /* after popping err */
    assert_int_equal(x86h_rd(0x60000 - 4, 4), 0x33);    /* pushed user SS */
    assert_int_equal(x86h_rd(0x60000 - 8, 4), 0x70000); /* and ESP */
    assert_int_equal(x86h_rd(0x60000 - 16, 4), 0x2b);   /* CS */
    assert_int_equal(x86h_rd(0x60000 - 20, 4), CODE_LIN + OFF_R3CODE + 4);
    assert_int_equal(env->hflags & HF_CPL_MASK, 0);
    assert_int_equal(env->segs[R_CS].selector, 8);
}

/* An int through a DPL 0 gate from ring 3: #GP(vector * 8 + 2) */
static void test_idt_gate_dpl(void **state)
{
    CPUX86State *env = setup_idt(OFF_R3INT);

    x86h_set_gate32(0x9000, 0x80, CODE_LIN + OFF_INT80H, 14, 0);
    x86h_set_gate32(0x9000, 13, CODE_LIN + OFF_GPHALT, 15, 0);
    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(R(R_EBX), 0x80 * 8 + 2);
    assert_int_equal(x86h_rd(0x60000 - 20, 4), CODE_LIN + OFF_R3CODE);
    (void)env;
}

/* Real mode: #DE through the IVT (IDTR base 0) */
static void test_real_de(void **state)
{
    CPUX86State *env = x86h_setup_real(OFF_REALDE);

    env->idt.limit = 0x3ff;
    x86h_wr32(0, (CODE_SEG << 16) | OFF_REALDEH);
    x86h_use_idt = true;
    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(R(R_EBX), 0xdead);
    assert_int_equal(x86h_rd(0x3ffea, 2), OFF_REALDE + 5);  /* the div */
    assert_int_equal(x86h_rd(0x3ffec, 2), CODE_SEG);
    assert_int_equal(R(R_ESP), 0xffea);
}

/*
 * Long mode: #GP(0x18) from a mov to SS in 64-bit code through a 64-bit
 * interrupt gate (16-byte IDT entries, 8-byte pushes), iretq back
 */
static void test_idt_long(void **state)
{
    CPUX86State *env = setup_idt(OFF_LM2);
    uint64_t h = CODE_LIN + OFF_GP64;

    x86h_wr32(0x5000, 0x3003);
    x86h_wr32(0x3000, 0x4003);
    x86h_wr32(0x4000, 0x83);
    x86h_wr32(0x9000 + 13 * 16, (0x38u << 16) | (h & 0xffff));
    x86h_wr32(0x9000 + 13 * 16 + 4, (h & 0xffff0000u) | DESC_P_MASK |
         (14u << DESC_TYPE_SHIFT));
    x86h_wr32(0x9000 + 13 * 16 + 8, 0);
    x86h_wr32(0x9000 + 13 * 16 + 12, 0);
    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    assert_true(env->efer & MSR_EFER_LMA);
    assert_int_equal(R(R_EBX), 0x18);
    assert_int_equal(R(R_ESI), 0x70000 - 40);
    assert_int_equal(x86h_rd(0x70000 - 32, 4), 0x38);            /* CS */
    /* the faulting rip, as the handler advanced it */
    assert_int_equal(x86h_rd(0x70000 - 40, 4), CODE_LIN + OFF_LM2B + 10 + 2);
    assert_int_equal(R(R_EDX), 0x99);
    assert_int_equal(R(R_ESP), 0x70000);
    assert_int_equal(env->rip, CODE_LIN + OFF_GP64);        /* after hlt */
}

/* ---- Paging ---- */

/* Page directory at 0x20000, one table at 0x21000 mapping 1 MiB 1:1 */
static void write_pt2(void)
{
    x86h_wr32(0x20000, 0x21007);
    for (uint32_t p = 0; p < 0x100; p++) {
        x86h_wr32(0x21000 + p * 4, p * 0x1000 + 3);
    }
}

/*
 * 2-level paging with page 0x50 not present: the store #PFs (error code
 * 2, CR2), the handler maps the page and irets, the store is retried;
 * the accessed and dirty bits land in the tables.
 */
static void test_pf_2level(void **state)
{
    CPUX86State *env = setup_idt(OFF_PF2);

    write_pt2();
    x86h_wr32(0x21000 + 0x50 * 4, 0);
    x86h_set_gate32(0x9000, 14, CODE_LIN + OFF_PFH, 14, 0);
    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(R(R_EBX), 2);
    assert_int_equal(R(R_ECX), 0x50010);
    assert_int_equal(env->cr[2], 0x50010);
    assert_int_equal(R(R_EDX), 0x1234);
    assert_int_equal(R(R_EDI), 0x50063);
    assert_int_equal(x86h_rd(0x20000, 4), 0x21027);
    assert_int_equal(x86h_rd(0x50010, 4), 0x1234);
}

/*
 * Ring 3 under paging: loading DS reads the GDT on a supervisor-only
 * page (an implicit supervisor access, allowed); the read of the
 * supervisor page 0x6f000 is #PF with P|U and CR2.
 */
static void test_pf_user(void **state)
{
    CPUX86State *env = setup_idt(OFF_USRRD);

    for (uint32_t p = 0; p < 0x100; p++) {
        x86h_wr32(0x21000 + p * 4, p * 0x1000 + 7);
    }
    x86h_wr32(0x20000, 0x21007);
    x86h_wr32(0x21000 + 0x06 * 4, 0x6000 + 3);      /* the GDT: supervisor */
    x86h_wr32(0x21000 + 0x6f * 4, 0x6f000 + 3);
    env->cr[3] = 0x20000;
    env->cr[0] |= CR0_PG_MASK;
    for (int i = 0; i < 6; i++) {
        env->segs[i].flags |= 3u << DESC_DPL_SHIFT;
    }
    env->segs[R_CS].selector = 0x2b;
    env->segs[R_SS].selector = 0x33;
    env->segs[R_DS].selector = 0x33;
    env->segs[R_ES].selector = 0x33;
    env->hflags = 3;
    env->regs[R_ESP] = 0x70000;
    x86h_set_gate32(0x9000, 14, CODE_LIN + OFF_GPHALT, 14, 0);
    x86h_run_clean();
    assert_true(x86h_cpu->parent.halted);
    assert_int_equal(R(R_EBX), PF_ERR_P | PF_ERR_U);
    assert_int_equal(env->cr[2], 0x6f000);
    assert_int_equal(env->segs[R_DS].selector, 0x30);
    assert_int_equal(env->hflags & HF_CPL_MASK, 0);
    assert_int_equal(x86h_rd(0x21000 + 0x6f * 4, 4), 0x6f003);   /* no A bit */
    assert_int_equal(x86h_rd(0x60000 - 20, 4), CODE_LIN + OFF_USRRD + 7);
}

/* PSE: 4 MiB pages, the second maps physical 0 */
static void test_pse(void **state)
{
    setup_flat(OFF_PSE, 0);
    x86h_wr32(0x20000, 0x83);
    x86h_wr32(0x20004, 0x83);
    x86h_wr32(0x10, 0xfeedf00d);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EDX), 0xfeedf00d);
    assert_int_equal(x86h_rd(0x20004, 4), 0xa3);     /* accessed */
}

/* ---- Engine ---- */

/* x86h_teardown also turns IDT delivery off again */
#define BOTH(fn) X86H_BOTH(fn)

int main(void)
{
    static const X86HConfig cfg = {
        .cc = &x86_sys_class,
        .ram_size = RAM_SIZE,
        .code = guest_code,
        .code_size = sizeof(guest_code),
        .code_lin = CODE_LIN,
        .poll_ms = 5,
    };
    const struct CMUnitTest tests[] = {
        BOTH(test_cpuid_tsc_msr),
        BOTH(test_badmsr),
        BOTH(test_desc_cr),
        BOTH(test_bad_tr),
        BOTH(test_privilege),
        BOTH(test_string_io),
        BOTH(test_hlt),
        BOTH(test_pm_entry),
        BOTH(test_seg_faults),
        BOTH(test_iret_ring3),
        BOTH(test_long_mode),
        BOTH(test_idt_gp),
        BOTH(test_idt_ring3),
        BOTH(test_idt_gate_dpl),
        BOTH(test_real_de),
        BOTH(test_pf_2level),
        BOTH(test_pse),
        BOTH(test_pf_user),
        BOTH(test_idt_long),
    };

    if (!x86h_init(&cfg)) {
        return 1;
    }
    memory_region_init_io(&io_mr, NULL, &io_ops, NULL, "test-io", 16);
    memory_region_add_subregion(get_system_io(), IO_BASE, &io_mr);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
