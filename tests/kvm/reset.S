/*
 * System reset: the first boot marks RAM, enters protected mode and
 * resets the machine through port 0xcf9; the CPU starts again at the
 * reset vector, finds the mark (RAM survives a reset) and checks it came
 * back in its reset state (real mode, caches off, signature in EDX).
 */
#include "common.inc"
.set MARK, 0x500
    .code16
    .text
start:
    /* EDX holds the CPU signature after reset; keep it before REAL_START */
    mov %edx, %ebp
    REAL_START
    cmpl $0x7e5e7e5e, %es:MARK
    je second

    movl $0x7e5e7e5e, %es:MARK
    PUTS16 hello, hello_len
    /* dirty some state a reset must undo: PE set, segments loaded */
    ENTER_PROTECTED_MODE
    /* PIIX3 reset control register: hard reset (SRST | RST_CPU) */
    mov $0xcf9, %dx
    mov $0x02, %al
    out %al, %dx
    mov $0x06, %al
    out %al, %dx
1:  hlt                             /* the reset must come before long */
    jmp 1b
    .code16

second:
    movl $0, %es:MARK
    PUTS16 again, again_len
    /* back in real mode with caches off, as after power-on */
    mov %cr0, %eax
    and $0x7fffffff, %eax
    cmp $0x60000010, %eax
    jne fail
    /* the signature in EDX is not zero (family is at least 6) */
    test %ebp, %ebp
    jz fail
    PUTS16 pass, pass_len
    EXIT 0
fail:
    PUTS16 failmsg, failmsg_len
    EXIT 1

    FLAT_GDT

    MESSAGE hello, "reset: port 0xcf9 reset from protected mode\n"
    MESSAGE again, "reset: back at the reset vector\n"
    MESSAGE pass, "PASS\n"
    MESSAGE failmsg, "FAIL\n"

    RESET_VECTOR start
