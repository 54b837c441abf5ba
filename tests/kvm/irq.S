/*
 * Interrupts through the irqchip: PIT channel 0 (IRQ 0) via the master
 * i8259 (vector 0x20) to the BSP's local APIC LINT0 (ExtINT, programmed
 * as firmware does), taken through a protected-mode IDT; three ticks.
 */
#include "common.inc"
.set COUNTER, 0x500
.set IDT, 0x1000
.set LAPIC, 0xfee00000
    .code16
    .text
start:
    REAL_START
    PUTS16 hello, hello_len
    ENTER_PROTECTED_MODE
    movl $0, COUNTER

    /* IDT: 0x21 gates, all but 0x20 not present */
    mov $IDT, %edi
    xor %eax, %eax
    mov $(0x21 * 2), %ecx
    rep stosl
    mov $(LOW + irq0), %eax
    mov %ax, IDT + 0x20 * 8
    movw $0x08, IDT + 0x20 * 8 + 2
    movw $0x8e00, IDT + 0x20 * 8 + 4     /* present, 32-bit interrupt gate */
    shr $16, %eax
    mov %ax, IDT + 0x20 * 8 + 6
    lidt idtr + LOW

    /* local APIC: software-enable, LINT0 = ExtINT, LINT1 = NMI */
    movl $0x1ff, LAPIC + 0xf0
    movl $0x700, LAPIC + 0x350
    movl $0x400, LAPIC + 0x360

    /* i8259 pair: edge, cascade, vectors 0x20 / 0x28, 8086 mode */
    mov $0x11, %al
    out %al, $0x20
    out %al, $0xa0
    mov $0x20, %al
    out %al, $0x21
    mov $0x28, %al
    out %al, $0xa1
    mov $0x04, %al
    out %al, $0x21
    mov $0x02, %al
    out %al, $0xa1
    mov $0x01, %al
    out %al, $0x21
    out %al, $0xa1
    mov $0xfe, %al              /* only IRQ 0 */
    out %al, $0x21
    mov $0xff, %al
    out %al, $0xa1

    /* i8254 channel 0, mode 2, about 1 kHz */
    mov $0x34, %al
    out %al, $0x43
    mov $(1193 & 0xff), %al
    out %al, $0x40
    mov $(1193 >> 8), %al
    out %al, $0x40

wait:
    sti
    hlt
    jmp wait

/*
 * The handler does not IRET: PVM-style nested KVM fails to emulate a
 * protected-mode IRET (QEMU stops with an emulation failure there too),
 * so it drops the interrupt frame and goes back to waiting itself.
 */
irq0:
    add $12, %esp               /* EIP, CS, EFLAGS */
    incl COUNTER
    mov $0x20, %al              /* non-specific EOI */
    out %al, $0x20
    cmpl $3, COUNTER
    jb wait
    PUTS32 pass, pass_len
    EXIT 0

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
    .word 0x21 * 8 - 1
    .long IDT

hello: .ascii "irq: PIT IRQ 0 through the PIC and LAPIC\n"
.set hello_len, . - hello
pass: .ascii "PASS\n"
.set pass_len, . - pass

    .code16
    RESET_VECTOR start
