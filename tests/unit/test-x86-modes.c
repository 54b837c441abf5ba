/*
 * Self-checking snippets for the x86 translator's 16- and 32-bit modes:
 * real mode (16-bit addressing, segment bases, prefixes, far transfers,
 * IVT interrupts, BCD, string ops) and flat 32-bit protected mode, on
 * both back ends.  The guest code below is the listing in the comment,
 * assembled; the expected values come from the SDM's instruction
 * definitions.
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

#define RAM_SIZE  0x100000ull       /* real mode: the first MiB at 0 */
#define CODE_SEG  0x1000            /* the blob sits at linear 0x10000 */
#define CODE_LIN  0x10000ull

/*
 * The guest code (GNU as, .code16 then .code32, linked at 0):
 *
 * addr16:  mov $0x10,%bx; mov $4,%si; mov $0x20,%bp; mov $6,%di
 *          movw $0x1111,(%bx,%si); movw $0x2222,2(%bp,%di)
 *          movw $0x3333,0(%bp); mov 0x14,%ax; movw $0x4444,%es:(%di)
 *          lea -0x20(%bx,%si),%cx; movw $0x5555,%ss:(%bx)
 *          mov (%bp,%si),%dx; hlt
 * prefix:  mov $0x12345678,%eax; push %eax; pop %cx; pop %dx
 *          mov $0x100,%ebx; mov $8,%esi; movb $0x55,(%ebx,%esi,2)
 *          push %ax; pushl $-2; pop %edi; add $2,%sp; hlt
 * calls:   call 1f; mov $7,%dx; pusha; mov $0,%ax; mov $0,%bp; popa; hlt
 *          1: mov $1,%ax; ret
 * farjmp:  ljmp $0x0ff0,$(far2+0x100)
 * far2:    mov %cs,%ax; lcall $0x1000,$far3; hlt
 * far3:    mov $0x77,%bx; lret
 * intt:    sti; int $0x10; mov $0x1234,%cx; pushf; pop %si; hlt
 * handler: mov $0xbeef,%bx; pushf; pop %dx; iret
 * bcd:     mov $0x79,%al; add $0x35,%al; daa; mov %ax,%bx; pushf; pop %cx
 *          mov $0x35,%al; sub $0x47,%al; das; mov %ax,%dx; pushf; pop %si
 *          mov $9,%ax; add $8,%al; aaa; mov %ax,%di; pushf; pop %bp
 *          mov $73,%al; aam; push %ax; aad; push %ax; hlt
 * aam0:    aam $0; hlt
 * str:     cld; mov $0x10,%si; mov $0x20,%di; mov $5,%cx; rep movsb
 *          mov $0xfffe,%ax; mov %ax,%si; mov $2,%cx; mov $0x100,%di
 *          rep movsw; mov $0x30,%di; mov $0x20,%cx; mov $0x42,%al
 *          repne scasb; hlt
 * lp:      mov $5,%cx; xor %ax,%ax; 1: inc %ax; loop 1b; mov %ax,%bx
 *          jcxz 2f; mov $1,%dx; 2: mov $0xffff,%si; inc %si; pushf
 *          pop %bp; dec %di; hlt
 * segs:    mov $0x2345,%ax; mov %ax,%ds; push %cs; pop %es; mov %ds,%bx
 *          mov %es,%cx; movw $0x99,(0); push %ds; pop %fs; mov %fs,%dx
 *          hlt
 * .code32
 * flat:    mov $0x80000,%esp; mov $0x11223344,%eax; push %eax
 *          pushw $0x5566; pop %bx; pop %ecx; mov $0x2000,%esi
 *          mov $0x10002000,%ebx; movl $0xcafebabe,(%esi)
 *          addr16 mov (%bx),%edx; call 1f; cli; pushf; pop %edi; sti
 *          mov $3,%ecx; xor %eax,%eax; 2: add %ecx,%eax; loop 2b; hlt
 *          1: movw $0x77,%bp; ret
 * flat_int: int $0x10; hlt
 * flat_movseg: mov %ax,%ds; hlt
 * .code16
 * io:      mov $0x12,%al; out %al,$0x80; mov $0x84,%dx; mov $0x3456,%ax
 *          out %ax,(%dx); mov $0x89abcdef,%eax; add $4,%dx
 *          out %eax,(%dx); in $0x81,%al; mov %al,%bl; sub $4,%dx
 *          in (%dx),%ax; mov %ax,%cx; in (%dx),%eax; mov %eax,%esi; hlt
 * lfp:     lss %ds:0x48,%sp; lfs 0x50,%bx; lgs 0x58,%cx; les 0x60,%di
 *          lds 0x40,%esi; hlt
 */
#define OFF_ADDR16 0x0000
#define OFF_PREFIX 0x002d
#define OFF_CALLS 0x0052
#define OFF_FARJMP 0x0065
#define OFF_FAR2 0x006a
#define OFF_FAR3 0x0072
#define OFF_INTT 0x0076
#define OFF_HANDLER 0x007f
#define OFF_BCD 0x0085
#define OFF_AAM0 0x00aa
#define OFF_STR 0x00ad
#define OFF_LP 0x00d1
#define OFF_SEGS 0x00e8
#define OFF_FLAT 0x00ff
#define OFF_FLAT_INT 0x013e
#define OFF_FLAT_MOVSEG 0x0141
#define OFF_IO 0x0144
#define OFF_LFP 0x016a

static const uint8_t guest_code[] = {
  0xbb, 0x10, 0x00, 0xbe, 0x04, 0x00, 0xbd, 0x20, 0x00, 0xbf, 0x06, 0x00,
  0xc7, 0x00, 0x11, 0x11, 0xc7, 0x43, 0x02, 0x22, 0x22, 0xc7, 0x46, 0x00,
  0x33, 0x33, 0xa1, 0x14, 0x00, 0x26, 0xc7, 0x05, 0x44, 0x44, 0x8d, 0x48,
  0xe0, 0x36, 0xc7, 0x07, 0x55, 0x55, 0x8b, 0x12, 0xf4, 0x66, 0xb8, 0x78,
  0x56, 0x34, 0x12, 0x66, 0x50, 0x59, 0x5a, 0x66, 0xbb, 0x00, 0x01, 0x00,
  0x00, 0x66, 0xbe, 0x08, 0x00, 0x00, 0x00, 0x67, 0xc6, 0x04, 0x73, 0x55,
  0x50, 0x66, 0x6a, 0xfe, 0x66, 0x5f, 0x83, 0xc4, 0x02, 0xf4, 0xe8, 0x0c,
  0x00, 0xba, 0x07, 0x00, 0x60, 0xb8, 0x00, 0x00, 0xbd, 0x00, 0x00, 0x61,
  0xf4, 0xb8, 0x01, 0x00, 0xc3, 0xea, 0x6a, 0x01, 0xf0, 0x0f, 0x8c, 0xc8,
  0x9a, 0x72, 0x00, 0x00, 0x10, 0xf4, 0xbb, 0x77, 0x00, 0xcb, 0xfb, 0xcd,
  0x10, 0xb9, 0x34, 0x12, 0x9c, 0x5e, 0xf4, 0xbb, 0xef, 0xbe, 0x9c, 0x5a,
  0xcf, 0xb0, 0x79, 0x04, 0x35, 0x27, 0x89, 0xc3, 0x9c, 0x59, 0xb0, 0x35,
  0x2c, 0x47, 0x2f, 0x89, 0xc2, 0x9c, 0x5e, 0xb8, 0x09, 0x00, 0x04, 0x08,
  0x37, 0x89, 0xc7, 0x9c, 0x5d, 0xb0, 0x49, 0xd4, 0x0a, 0x50, 0xd5, 0x0a,
  0x50, 0xf4, 0xd4, 0x00, 0xf4, 0xfc, 0xbe, 0x10, 0x00, 0xbf, 0x20, 0x00,
  0xb9, 0x05, 0x00, 0xf3, 0xa4, 0xb8, 0xfe, 0xff, 0x89, 0xc6, 0xb9, 0x02,
  0x00, 0xbf, 0x00, 0x01, 0xf3, 0xa5, 0xbf, 0x30, 0x00, 0xb9, 0x20, 0x00,
  0xb0, 0x42, 0xf2, 0xae, 0xf4, 0xb9, 0x05, 0x00, 0x31, 0xc0, 0x40, 0xe2,
  0xfd, 0x89, 0xc3, 0xe3, 0x03, 0xba, 0x01, 0x00, 0xbe, 0xff, 0xff, 0x46,
  0x9c, 0x5d, 0x4f, 0xf4, 0xb8, 0x45, 0x23, 0x8e, 0xd8, 0x0e, 0x07, 0x8c,
  0xdb, 0x8c, 0xc1, 0xc7, 0x06, 0x00, 0x00, 0x99, 0x00, 0x1e, 0x0f, 0xa1,
  0x8c, 0xe2, 0xf4, 0xbc, 0x00, 0x00, 0x08, 0x00, 0xb8, 0x44, 0x33, 0x22,
  0x11, 0x50, 0x66, 0x68, 0x66, 0x55, 0x66, 0x5b, 0x59, 0xbe, 0x00, 0x20,
  0x00, 0x00, 0xbb, 0x00, 0x20, 0x00, 0x10, 0xc7, 0x06, 0xbe, 0xba, 0xfe,
  0xca, 0x67, 0x8b, 0x17, 0xe8, 0x10, 0x00, 0x00, 0x00, 0xfa, 0x9c, 0x5f,
  0xfb, 0xb9, 0x03, 0x00, 0x00, 0x00, 0x31, 0xc0, 0x01, 0xc8, 0xe2, 0xfc,
  0xf4, 0x66, 0xbd, 0x77, 0x00, 0xc3, 0xcd, 0x10, 0xf4, 0x8e, 0xd8, 0xf4,
  0xb0, 0x12, 0xe6, 0x80, 0xba, 0x84, 0x00, 0xb8, 0x56, 0x34, 0xef, 0x66,
  0xb8, 0xef, 0xcd, 0xab, 0x89, 0x83, 0xc2, 0x04, 0x66, 0xef, 0xe4, 0x81,
  0x88, 0xc3, 0x83, 0xea, 0x04, 0xed, 0x89, 0xc1, 0x66, 0xed, 0x66, 0x89,
  0xc6, 0xf4, 0x0f, 0xb2, 0x26, 0x48, 0x00, 0x0f, 0xb4, 0x1e, 0x50, 0x00,
  0x0f, 0xb5, 0x0e, 0x58, 0x00, 0xc4, 0x3e, 0x60, 0x00, 0x66, 0xc5, 0x36,
  0x40, 0x00, 0xf4
};

/* ---- A test CPU class: identity mapping of RAM at 0 ---- */

/* the window (cfg.window_*): RAM_SIZE from 0 */
static const CPUClass x86_modes_class =
    X86H_CPU_CLASS("x86-modes-test", 1, x86h_reset, x86h_window_tlb_fill,
                   x86h_mmu_index0, x86h_halt_on_interrupt);

/* Flat 32-bit protected mode at CPL 0, EIP = 0x10000 + off */
static CPUX86State *setup_flat(uint16_t off)
{
    CPUX86State *env = &x86h_cpu->env;

    x86h_clear_ram();
    x86h_reset(&x86h_cpu->parent);
    env->cr[0] = CR0_PE_MASK;
    x86h_set_flat_segs(env, 0);
    x86_cpu_set_eflags(env, 0x202);
    env->rip = CODE_LIN + off;
    return env;
}

#define R(n) (x86h_cpu->env.regs[n])
#define FLAGS() (x86_cpu_get_eflags(&x86h_cpu->env))

/* ---- Real mode ---- */

static void test_addr16(void **state)
{
    x86h_setup_real(OFF_ADDR16);
    x86h_wr16(0x30024, 0xabcd);      /* SS:bp+si */
    x86h_wr16(0x20024, 0x1234);      /* DS:bp+si: must not be read */
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(x86h_rd(0x20014, 2), 0x1111);  /* [bx+si] in DS */
    assert_int_equal(x86h_rd(0x30028, 2), 0x2222);  /* [bp+di+2] in SS */
    assert_int_equal(x86h_rd(0x30020, 2), 0x3333);  /* [bp+0] in SS */
    assert_int_equal(R(R_EAX), 0x1111);        /* moffs16 */
    assert_int_equal(x86h_rd(0x40006, 2), 0x4444);  /* es: override */
    assert_int_equal(R(R_ECX), 0xfff4);        /* lea wraps at 64K */
    assert_int_equal(x86h_rd(0x30010, 2), 0x5555);  /* ss: override */
    assert_int_equal(R(R_EDX), 0xabcd);
    assert_int_equal(x86h_cpu->env.rip, OFF_PREFIX);
}

static void test_prefixes(void **state)
{
    x86h_setup_real(OFF_PREFIX);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EAX), 0x12345678);
    assert_int_equal(R(R_ECX), 0x5678);
    assert_int_equal(R(R_EDX), 0x1234);
    assert_int_equal(x86h_rd(0x20110, 1), 0x55);    /* 67: [ebx+esi*2] */
    assert_int_equal(R(R_EDI), 0xfffffffe);    /* 66 push imm8 / pop */
    assert_int_equal(x86h_rd(0x3ffee, 2), 0x5678);  /* 16-bit push */
    assert_int_equal(R(R_ESP), 0xfff0);
}

static void test_call_pusha(void **state)
{
    x86h_setup_real(OFF_CALLS);
    x86h_cpu->env.regs[R_EBP] = 0x4321;
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EAX), 1);
    assert_int_equal(R(R_EDX), 7);
    assert_int_equal(R(R_EBP), 0x4321);
    assert_int_equal(R(R_ESP), 0xfff0);
    assert_int_equal(x86h_rd(0x3ffea, 2), 7);       /* pusha: dx */
    assert_int_equal(x86h_rd(0x3ffe6, 2), 0xfff0);  /* the original sp */
    assert_int_equal(x86h_rd(0x3ffe4, 2), 0x4321);
}

static void test_far(void **state)
{
    x86h_setup_real(OFF_FARJMP);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EAX), 0x0ff0);
    assert_int_equal(R(R_EBX), 0x77);
    assert_int_equal(x86h_cpu->env.segs[R_CS].selector, 0x0ff0);
    assert_int_equal(x86h_cpu->env.segs[R_CS].base, 0xff00);
    assert_int_equal(x86h_cpu->env.rip, OFF_FAR3 + 0x100);  /* after the hlt */
    assert_int_equal(R(R_ESP), 0xfff0);
    assert_int_equal(x86h_rd(0x3ffee, 2), 0x0ff0);  /* lcall pushed cs, ip */
    assert_int_equal(x86h_rd(0x3ffec, 2), OFF_FAR3 - 1 + 0x100);
}

static void test_int_iret(void **state)
{
    x86h_setup_real(OFF_INTT);
    x86h_wr16(0x10 * 4, OFF_HANDLER);
    x86h_wr16(0x10 * 4 + 2, CODE_SEG);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EBX), 0xbeef);
    assert_int_equal(R(R_EDX) & 0x200, 0);     /* IF cleared by int */
    assert_int_equal(R(R_ECX), 0x1234);
    assert_int_equal(R(R_ESI) & 0x200, 0x200); /* iret restored it */
    assert_int_equal(x86h_rd(0x3ffee, 2) & 0x200, 0x200);   /* pushed FLAGS */
    assert_int_equal(x86h_rd(0x3ffec, 2), CODE_SEG);
    assert_int_equal(x86h_rd(0x3ffea, 2), OFF_INTT + 3);
    assert_int_equal(R(R_ESP), 0xfff0);
}

/* BCD per the SDM pseudo-code (OF and the flags it leaves undefined masked) */
static void test_bcd(void **state)
{
    x86h_setup_real(OFF_BCD);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EBX), 0x14);          /* 0x79 + 0x35 = 114 */
    assert_int_equal(R(R_ECX) & 0xd5, CC_C | CC_P | CC_A);
    assert_int_equal(R(R_EDX), 0x88);          /* 0x35 - 0x47 = -12 */
    assert_int_equal(R(R_ESI) & 0xd5, CC_S | CC_P | CC_A | CC_C);
    assert_int_equal(R(R_EDI), 0x0107);        /* aaa: 9 + 8 */
    assert_int_equal(R(R_EBP) & (CC_A | CC_C), CC_A | CC_C);
    assert_int_equal(x86h_rd(0x3ffee, 2), 0x0703);  /* aam: 73 */
    assert_int_equal(x86h_rd(0x3ffec, 2), 0x0049);  /* aad */
    assert_int_equal(FLAGS() & (CC_S | CC_Z | CC_P), 0);

    x86h_setup_real(OFF_AAM0);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP00_DIVZ);
    assert_int_equal(x86h_cpu->env.rip, OFF_AAM0);
}

static void test_string16(void **state)
{
    x86h_setup_real(OFF_STR);
    x86h_wr(0x20010, "ABCDE", 5);
    x86h_wr16(0x2fffe, 0x1357);
    x86h_wr16(0x20000, 0x2468);
    x86h_wr(0x40035, "\x42", 1);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(x86h_rd(0x40020, 4), 0x44434241);
    assert_int_equal(x86h_rd(0x40024, 1), 'E');
    assert_int_equal(x86h_rd(0x40100, 2), 0x1357);  /* si wrapped 0xfffe -> 0 */
    assert_int_equal(x86h_rd(0x40102, 2), 0x2468);
    assert_int_equal(R(R_ESI), 2);
    assert_int_equal(R(R_EDI), 0x36);          /* found at es:0x35 */
    assert_int_equal(R(R_ECX), 0x1a);
    assert_int_equal(FLAGS() & CC_Z, CC_Z);
}

static void test_loop_incdec(void **state)
{
    x86h_setup_real(OFF_LP);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EBX), 5);
    assert_int_equal(R(R_ECX), 0);
    assert_int_equal(R(R_EDX), 0);             /* jcxz taken */
    assert_int_equal(R(R_ESI), 0);
    assert_int_equal(R(R_EBP) & CC_Z, CC_Z);
    assert_int_equal(R(R_EDI), 0xffff);        /* 16-bit dec */
}

static void test_segs(void **state)
{
    CPUX86State *env = x86h_setup_real(OFF_SEGS);

    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(env->segs[R_DS].base, 0x23450);
    assert_int_equal(env->segs[R_ES].selector, CODE_SEG);
    assert_int_equal(env->segs[R_ES].base, CODE_LIN);
    assert_int_equal(env->segs[R_FS].base, 0x23450);
    assert_int_equal(R(R_EBX), 0x2345);
    assert_int_equal(R(R_ECX), CODE_SEG);
    assert_int_equal(R(R_EDX), 0x2345);
    assert_int_equal(x86h_rd(0x23450, 2), 0x99);
}

/* lss/lfs/lgs/les/lds: offset then selector, from DS (0x20000) */
static void test_load_far_ptr(void **state)
{
    CPUX86State *env = x86h_setup_real(OFF_LFP);
    static const struct {
        uint16_t off;
        uint32_t ptr;
        uint16_t sel;
        bool wide;
    } m[] = {
        { 0x40, 0x12345678, 0x1111, true },
        { 0x48, 0xfff0, 0x3500, false },
        { 0x50, 0xbeef, 0x5000, false },
        { 0x58, 0xcafe, 0x6000, false },
        { 0x60, 0x0102, 0x7000, false },
    };

    for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
        if (m[i].wide) {
            x86h_wr32(0x20000 + m[i].off, m[i].ptr);
            x86h_wr16(0x20000 + m[i].off + 4, m[i].sel);
        } else {
            x86h_wr16(0x20000 + m[i].off, m[i].ptr);
            x86h_wr16(0x20000 + m[i].off + 2, m[i].sel);
        }
    }
    R(R_ESI) = 0xaaaa0000;
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_ESP) & 0xffff, 0xfff0);
    assert_int_equal(env->segs[R_SS].selector, 0x3500);
    assert_int_equal(env->segs[R_SS].base, 0x35000);
    assert_int_equal(R(R_EBX), 0xbeef);
    assert_int_equal(env->segs[R_FS].base, 0x50000);
    assert_int_equal(R(R_ECX), 0xcafe);
    assert_int_equal(env->segs[R_GS].base, 0x60000);
    assert_int_equal(R(R_EDI), 0x0102);
    assert_int_equal(env->segs[R_ES].base, 0x70000);
    assert_int_equal(R(R_ESI), 0x12345678);
    assert_int_equal(env->segs[R_DS].selector, 0x1111);
    assert_int_equal(env->segs[R_DS].base, 0x11110);
}

/* A test device: 16 ports at 0x80; reads return 0x44332211 + port */
#define IO_BASE 0x80
static MemoryRegion io_mr;
static uint64_t io_val[16];
static unsigned io_size[16];

static uint64_t io_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0x44332211u + addr;
}

static void io_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    io_val[addr & 15] = v;
    io_size[addr & 15] = size;
}

static const MemoryRegionOps io_ops = {
    .read = io_read,
    .write = io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void test_inout(void **state)
{
    x86h_setup_real(OFF_IO);
    memset(io_val, 0, sizeof(io_val));
    memset(io_size, 0, sizeof(io_size));
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(io_val[0], 0x12);
    assert_int_equal(io_size[0], 1);
    assert_int_equal(io_val[4], 0x3456);
    assert_int_equal(io_size[4], 2);
    assert_int_equal(io_val[8], 0x89abcdef);
    assert_int_equal(io_size[8], 4);
    assert_int_equal(R(R_EBX), 0x12);
    assert_int_equal(R(R_ECX), 0x2215);
    assert_int_equal(R(R_ESI), 0x44332215);
}

/* ---- Flat 32-bit protected mode ---- */

static void test_flat32(void **state)
{
    setup_flat(OFF_FLAT);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(R(R_EBX), 0x10002000);   /* the pop bx, then mov */
    assert_int_equal(R(R_ECX), 0);
    assert_int_equal(R(R_EDX), 0xcafebabe);    /* 67: [bx] */
    assert_int_equal(R(R_EBP), 0x77);
    assert_int_equal(R(R_EDI) & 0x200, 0);     /* after cli */
    assert_int_equal(FLAGS() & 0x200, 0x200);  /* sti */
    assert_int_equal(R(R_EAX), 6);
    assert_int_equal(R(R_ESP), 0x80000);
    assert_int_equal(x86h_rd(0x7fffc, 4), R(R_EDI)); /* pushfd, the last push */
    assert_int_equal(x86h_rd(0x7fffa, 2), 0x5566);
}

/*
 * int in protected mode goes through the IDT: with an empty one (limit 0)
 * that is #GP at the insn (test-x86-sys covers real gates)
 */
static void test_flat32_unimp(void **state)
{
    setup_flat(OFF_FLAT_INT);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, EXCP0D_GPF);
    assert_int_equal(x86h_cpu->env.error_code, 0x10 * 8 + 2);
    assert_int_equal(x86h_cpu->env.rip, CODE_LIN + OFF_FLAT_INT);

    /* a null selector (ax = 0) loads into DS without a descriptor */
    setup_flat(OFF_FLAT_MOVSEG);
    x86h_run_clean();
    assert_int_equal(x86h_last_excp, -1);
    assert_int_equal(x86h_cpu->env.segs[R_DS].selector, 0);
    assert_int_equal(x86h_cpu->env.segs[R_DS].flags, 0);
    assert_int_equal(x86h_cpu->env.rip, CODE_LIN + OFF_FLAT_MOVSEG + 3);
}

/* every snippet on a fresh engine of each back end */
#define BOTH(fn) X86H_BOTH(fn)

int main(void)
{
    static const X86HConfig cfg = {
        .cc = &x86_modes_class,
        .ram_size = RAM_SIZE,
        .code = guest_code,
        .code_size = sizeof(guest_code),
        .code_lin = CODE_LIN,
        .poll_ms = 5,
        .window_size = RAM_SIZE,
    };
    const struct CMUnitTest tests[] = {
        BOTH(test_addr16),
        BOTH(test_prefixes),
        BOTH(test_call_pusha),
        BOTH(test_far),
        BOTH(test_int_iret),
        BOTH(test_bcd),
        BOTH(test_string16),
        BOTH(test_loop_incdec),
        BOTH(test_segs),
        BOTH(test_load_far_ptr),
        BOTH(test_inout),
        BOTH(test_flat32),
        BOTH(test_flat32_unimp),
    };

    if (!x86h_init(&cfg)) {
        return 1;
    }
    memory_region_init_io(&io_mr, NULL, &io_ops, NULL, "test-io", 16);
    memory_region_add_subregion(get_system_io(), IO_BASE, &io_mr);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
