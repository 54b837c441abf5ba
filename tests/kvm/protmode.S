/* Protected mode entry with a flat GDT; 32-bit code, RAM above 1 MiB. */
#include "common.inc"
    .code16
    .text
start:
    BOOT_32 hello

    /* CR0.PE set, CS is the 32-bit code segment */
    mov %cr0, %eax
    test $1, %eax
    jz fail
    mov %cs, %ax
    cmp $0x08, %ax
    jne fail

    /* 1 MiB of RAM at 2 MiB: fill with the address, check */
    mov $0x200000, %edi
    mov $(0x100000 / 4), %ecx
1:  mov %edi, (%edi)
    add $4, %edi
    loop 1b
    mov $0x200000, %esi
    mov $(0x100000 / 4), %ecx
2:  cmp %esi, (%esi)
    jne fail
    add $4, %esi
    loop 2b

    PUTS32 pass, pass_len
    EXIT 0
fail:
    PUTS32 failmsg, failmsg_len
    EXIT 1

    FLAT_GDT

    MESSAGE hello, "protmode: protected mode entry\n"
    MESSAGE pass, "PASS\n"
    MESSAGE failmsg, "FAIL\n"

    .code16
    RESET_VECTOR start
