/*
 * The local APIC and IOAPIC from a guest (self-checking, in the style of
 * tests/kvm): a self IPI (ISR set in the handler), the APIC timer in
 * one-shot and periodic mode (the current count runs down), the PIT
 * through IOAPIC pin 2 with the 8259s masked, and the TSC-deadline
 * timer when CPUID offers it.  Prints PASS and exits 0, or FAIL and the
 * failing step's letter.
 *
 * Handlers do not iret (as irq.S, for PVM-style nested KVM): they drop
 * the frame, count, EOI and jump to the waiting loop in RESUME.
 */
#include "common.inc"
.set IDT, 0x1000
.set RESUME, 0x600
.set CNT_TIMER, 0x604
.set CNT_PIT, 0x608
.set CNT_IPI, 0x60c
.set ISR_SEEN, 0x610
.set LAPIC, 0xfee00000
.set IOAPIC, 0xfec00000

.macro GATE vec, handler
    mov $(LOW + \handler), %eax
    mov %ax, IDT + \vec * 8
    movw $0x08, IDT + \vec * 8 + 2
    movw $0x8e00, IDT + \vec * 8 + 4     /* present, 32-bit interrupt gate */
    shr $16, %eax
    mov %ax, IDT + \vec * 8 + 6
.endm

/* wait with interrupts on until the counter reaches n */
.macro WAIT_FOR counter, n
    movl $(LOW + 1f), RESUME
1:  cmpl $\n, \counter
    jae 2f
    sti
    hlt
    jmp 1b
2:  cli
.endm

.macro FAIL_IF cond, letter
    mov $\letter, %bl
    j\cond fail
.endm

    .code16
    .text
start:
    REAL_START
    PUTS16 hello, hello_len
    ENTER_PROTECTED_MODE
    xor %eax, %eax
    mov $RESUME, %edi
    mov $5, %ecx
    rep stosl
    mov $IDT, %edi
    mov $(256 * 2), %ecx
    rep stosl
    GATE 0x40, timer_handler
    GATE 0x41, pit_handler
    GATE 0x42, ipi_handler
    GATE 0xff, spurious_handler
    lidt idtr + LOW

    /* the 8259s fully masked: only the IOAPIC delivers */
    mov $0xff, %al
    out %al, $0x21
    out %al, $0xa1

    /* software-enable the APIC, spurious vector 0xff */
    movl $0x1ff, LAPIC + 0xf0
    mov LAPIC + 0x30, %eax              /* version: 0x1x, 4+ LVT entries */
    and $0xf0, %al
    cmp $0x10, %al
    FAIL_IF ne, 'V'

    /* A: self IPI, fixed vector 0x42 */
    movl $0x00040042, LAPIC + 0x300
    WAIT_FOR CNT_IPI, 1
    cmpl $1, ISR_SEEN
    FAIL_IF ne, 'A'

    /* B: one-shot timer, divide by 1; the count runs down (0.3 s: long
     * enough that a loaded host cannot let it expire between the reads) */
    movl $0xb, LAPIC + 0x3e0
    movl $0x40, LAPIC + 0x320
    movl $300000000, LAPIC + 0x380
    mov LAPIC + 0x390, %eax
    mov $2000, %ecx
3:  loop 3b
    mov LAPIC + 0x390, %edx
    cmp %eax, %edx
    FAIL_IF ae, 'B'
    WAIT_FOR CNT_TIMER, 1
    mov LAPIC + 0x390, %eax
    test %eax, %eax
    FAIL_IF nz, 'b'

    /* C: periodic timer, three more ticks */
    movl $0x20040, LAPIC + 0x320
    movl $200000, LAPIC + 0x380
    WAIT_FOR CNT_TIMER, 4
    movl $0x10040, LAPIC + 0x320        /* masked */
    movl $0, LAPIC + 0x380

    /* D: PIT (IRQ 0) through IOAPIC pin 2: vector 0x41, edge, APIC 0 */
    movl $0x10 + 2 * 2 + 1, IOAPIC
    movl $0, IOAPIC + 0x10
    movl $0x10 + 2 * 2, IOAPIC
    movl $0x41, IOAPIC + 0x10
    mov $0x34, %al                      /* channel 0, mode 2, ~1 kHz */
    out %al, $0x43
    mov $(1193 & 0xff), %al
    out %al, $0x40
    mov $(1193 >> 8), %al
    out %al, $0x40
    WAIT_FOR CNT_PIT, 3
    movl $0x10 + 2 * 2, IOAPIC
    movl $0x10041, IOAPIC + 0x10        /* masked again */

    /* E: TSC-deadline mode, if CPUID.1:ECX[24] */
    mov $1, %eax
    cpuid
    bt $24, %ecx
    jnc 4f
    movl $0x40040, LAPIC + 0x320
    rdtsc
    add $1000000, %eax
    adc $0, %edx
    mov $0x6e0, %ecx
    wrmsr
    WAIT_FOR CNT_TIMER, 5
    mov $0x6e0, %ecx
    rdmsr                               /* disarmed once it fired */
    or %edx, %eax
    FAIL_IF nz, 'E'
4:
    PUTS32 pass, pass_len
    EXIT 0
fail:
    PUTS32 failmsg, failmsg_len
    mov $DEBUGCON, %dx
    mov %bl, %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
    EXIT 1

timer_handler:
    add $12, %esp
    incl CNT_TIMER
    movl $0, LAPIC + 0xb0
    jmp *RESUME

pit_handler:
    add $12, %esp
    incl CNT_PIT
    movl $0, LAPIC + 0xb0
    jmp *RESUME

ipi_handler:
    add $12, %esp
    incl CNT_IPI
    mov LAPIC + 0x120, %eax             /* ISR bits 64-95: 0x42 is bit 2 */
    shr $2, %eax
    and $1, %eax
    mov %eax, ISR_SEEN
    movl $0, LAPIC + 0xb0
    jmp *RESUME

spurious_handler:
    add $12, %esp
    jmp *RESUME

    .p2align 3
gdt:
    /* accessed bits preset: the CPU cannot set them in ROM */
    .quad 0
    .quad 0x00cf9b000000ffff
    .quad 0x00cf93000000ffff
gdt_end:
gdtr:
    .word gdt_end - gdt - 1
    .long LOW + gdt
idtr:
    .word 256 * 8 - 1
    .long IDT

hello: .ascii "apic: self IPI, APIC timer, IOAPIC, TSC deadline\n"
.set hello_len, . - hello
pass: .ascii "PASS\n"
.set pass_len, . - pass
failmsg: .ascii "FAIL "
.set failmsg_len, . - failmsg

    .code16
    RESET_VECTOR start
