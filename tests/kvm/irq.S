/*
 * Interrupts through the irqchip: PIT channel 0 (IRQ 0) via the master
 * i8259 (vector 0x20) to the BSP's local APIC LINT0 (ExtINT, programmed
 * as firmware does), taken through a protected-mode IDT; three ticks.
 */
#include "common.inc"
.set COUNTER, 0x500
.set IDT, 0x1000
    .code16
    .text
start:
    BOOT_32 hello
    movl $0, COUNTER
    IDT_ONE_GATE IDT, 0x20, irq0

    /* local APIC: LINT0 = ExtINT, LINT1 = NMI */
    LAPIC_ENABLE 0x700, 0x400

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

/* no IRET (see DROP_IRQ_FRAME): back to waiting by a jump */
irq0:
    DROP_IRQ_FRAME
    incl COUNTER
    mov $0x20, %al              /* non-specific EOI */
    out %al, $0x20
    cmpl $3, COUNTER
    jb wait
    PUTS32 pass, pass_len
    EXIT 0

    FLAT_GDT

    MESSAGE hello, "irq: PIT IRQ 0 through the PIC and LAPIC\n"
    MESSAGE pass, "PASS\n"

    .code16
    RESET_VECTOR start
