/* Long mode entry: identity page tables (2 MiB pages), EFER.LME, 64-bit code. */
#include "common.inc"
.set PML4, 0x10000
.set PDPT, 0x11000
.set PD,   0x12000
    .code16
    .text
start:
    BOOT_32 hello

    /* page tables: the first GiB identity-mapped with 2 MiB pages */
    ZERO PML4, 3*4096
    movl $(PDPT | 3), PML4
    movl $(PD | 3), PDPT
    mov $PD, %edi
    mov $0x83, %eax             /* present, writable, 2 MiB */
    mov $512, %ecx
1:  mov %eax, (%edi)
    movl $0, 4(%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b

    mov $PML4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x20, %eax              /* PAE */
    mov %eax, %cr4
    mov $0xc0000080, %ecx       /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000000, %eax        /* PG */
    mov %eax, %cr0
    ljmp $0x18, $(LOW + lm64)

    .code64
lm64:
    /* EFER.LMA must be set now */
    mov $0xc0000080, %ecx
    rdmsr
    test $0x400, %eax
    jz fail64
    /* 64-bit arithmetic and the upper registers */
    movabs $0x123456789abcdef0, %rax
    mov %rax, %r15
    shr $32, %r15
    cmp $0x12345678, %r15d
    jne fail64
    /* a store and load through the page tables at 6 MiB */
    movabs $0xfeedfacecafebeef, %rbx
    mov $0x600000, %edi
    mov %rbx, (%rdi)
    cmp (%rdi), %rbx
    jne fail64

    mov $(LOW + pass), %esi
    mov $pass_len, %ecx
    mov $DEBUGCON, %dx
    cld
    rep outsb
    EXIT 0
fail64:
    mov $(LOW + failmsg), %esi
    mov $failmsg_len, %ecx
    mov $DEBUGCON, %dx
    rep outsb
    EXIT 1

    FLAT_GDT 0x00af9b000000ffff    /* 0x18: code, 64-bit */

    MESSAGE hello, "longmode: long mode entry\n"
    MESSAGE pass, "PASS\n"
    MESSAGE failmsg, "FAIL\n"

    .code16
    RESET_VECTOR start
