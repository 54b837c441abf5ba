/*
 * SMP start-up through the in-kernel local APICs: the BSP reads the
 * number of CPUs from CMOS byte 0x5f (CPUs - 1, as QEMU's pc sets it),
 * sends INIT-SIPI-SIPI to all others; each AP starts in real mode at
 * the SIPI vector's page (0xf1000, in this image), counts itself in RAM
 * and halts.  Passes when every AP has checked in.
 */
#include "common.inc"
.set COUNTER, 0x600
.set ICR_LO, LAPIC + 0x300
.set ICR_HI, LAPIC + 0x310
    .code16
    .text
start:
    REAL_START
    PUTS16 hello, hello_len
    movl $0, %es:COUNTER
    mov $0x5f, %al
    out %al, $0x70
    in $0x71, %al
    movzbl %al, %ebx            /* APs to wait for */
    ENTER_PROTECTED_MODE
    test %ebx, %ebx
    jz fail                     /* run with -smp 2 or more */

    movl $0x1ff, LAPIC + 0xf0   /* software-enable the BSP's APIC */
    movl $0, ICR_HI
    movl $0x000c4500, ICR_LO    /* INIT, all excluding self */
    call icr_wait
    mov $2, %edi
1:  movl $0x000c46f1, ICR_LO    /* start-up, vector 0xf1 */
    call icr_wait
    dec %edi
    jnz 1b

    /* wait for the APs (the test runner's timeout catches a hang) */
2:  pause
    cmp COUNTER, %ebx
    jne 2b
    PUTS32 pass, pass_len
    EXIT 0
fail:
    PUTS32 failmsg, failmsg_len
    EXIT 1

icr_wait:
    testl $0x1000, ICR_LO       /* delivery status: send pending */
    jnz icr_wait
    ret

    FLAT_GDT

    MESSAGE hello, "smp: INIT-SIPI-SIPI to the application processors\n"
    MESSAGE pass, "PASS\n"
    MESSAGE failmsg, "FAIL\n"

    .code16
    /* the APs' entry: CS = 0xf100, IP = 0 */
    .org 0x1000
ap_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    lock incl COUNTER
3:  hlt
    jmp 3b

    RESET_VECTOR start
