/*
 * virtio-rng-pci (-device virtio-rng-pci) driven through its legacy I/O
 * interface with an MSI-X interrupt: find the device by a scan of bus 0,
 * place its BARs, enable MSI-X (vector 0 -> LAPIC vector 0x40), set up
 * queue 0 with one 64-byte device-writable buffer, kick it and wait for
 * the interrupt; the used ring must return the buffer with random bytes.
 * Under emu with KVM the kick reaches the device through an ioeventfd
 * and the interrupt through an irqfd (ioeventfd=on, the default); with
 * ioeventfd=off both exit to userspace.
 */
#include "common.inc"
.set IDT, 0x1000
.set LAPIC, 0xfee00000
.set VECTOR, 0x40
.set IOBASE, 0xc000             /* legacy BAR0 */
.set MSIXBAR, 0xfebf0000        /* BAR1: MSI-X table and PBA */
.set RING, 0x10000              /* legacy queue: PFN 0x10 */
.set BUF, 0x20000
.set SPINS, 0x10000000          /* about a second: then "no interrupt" */

/* virtio legacy registers (virtio 1.2 spec 4.1.4.10), MSI-X enabled */
.set VP_GUEST_FEATURES, 4
.set VP_QUEUE_PFN, 8
.set VP_QUEUE_NUM, 12
.set VP_QUEUE_SEL, 14
.set VP_QUEUE_NOTIFY, 16
.set VP_STATUS, 18
.set VP_CONFIG_VECTOR, 20
.set VP_QUEUE_VECTOR, 22

.macro FAIL msg, len
    PUTS32 \msg, \len
    EXIT 1
.endm

    .code16
    .text
start:
    REAL_START
    PUTS16 hello, hello_len
    ENTER_PROTECTED_MODE

    /* IDT: 0x41 gates, only VECTOR present */
    mov $IDT, %edi
    xor %eax, %eax
    mov $((VECTOR + 1) * 2), %ecx
    rep stosl
    mov $(LOW + msix_irq), %eax
    mov %ax, IDT + VECTOR * 8
    movw $0x08, IDT + VECTOR * 8 + 2
    movw $0x8e00, IDT + VECTOR * 8 + 4  /* present, 32-bit interrupt gate */
    shr $16, %eax
    mov %ax, IDT + VECTOR * 8 + 6
    lidt idtr + LOW
    /*
     * Only the MSI may interrupt: the local APIC software-enabled with
     * LINT0 (ExtINT from the i8259, virtual wire after reset) and LINT1
     * masked, the i8259 pair masked too (the PIT ticks from reset on).
     */
    movl $0x1ff, LAPIC + 0xf0
    movl $0x10700, LAPIC + 0x350
    movl $0x10400, LAPIC + 0x360
    mov $0xff, %al
    out %al, $0x21
    out %al, $0xa1

    /* find 1af4:1005 (transitional virtio-rng) on bus 0 */
    mov $0x80000000, %ebx
find:
    xor %eax, %eax
    call cfg_read
    cmp $0x10051af4, %eax
    je found
    add $0x800, %ebx
    cmp $0x80010000, %ebx
    jb find
    FAIL nodev, nodev_len

found:
    /* BAR0 (I/O) and BAR1 (memory), then I/O, memory and bus master on */
    mov $0x10, %eax
    mov $IOBASE, %ecx
    call cfg_write
    mov $0x14, %eax
    mov $MSIXBAR, %ecx
    call cfg_write
    mov $0x04, %eax
    mov $0x07, %ecx
    call cfg_write

    /* the MSI-X capability: walk the list from 0x34 */
    mov $0x34, %eax
    call cfg_read
    movzbl %al, %esi
capwalk:
    and $0xfc, %esi
    jz nomsix
    mov %esi, %eax
    call cfg_read
    cmp $0x11, %al
    je msix
    movzbl %ah, %esi
    jmp capwalk
nomsix:
    FAIL nomsix_msg, nomsix_len

msix:
    /* the table must be in BAR1 (BIR 1): entry 0 -> APIC 0, VECTOR */
    lea 4(%esi), %eax
    call cfg_read
    mov %eax, %edx
    and $7, %edx
    cmp $1, %edx
    jne nomsix
    and $~7, %eax
    lea MSIXBAR(%eax), %edi
    movl $0xfee00000, 0(%edi)
    movl $0, 4(%edi)
    movl $VECTOR, 8(%edi)
    movl $0, 12(%edi)               /* unmasked */
    /* Message Control: enable (bit 15 of the word at cap + 2) */
    mov %esi, %eax
    call cfg_read
    or $0x80000000, %eax
    and $~0x40000000, %eax          /* function mask off */
    mov %eax, %ecx
    mov %esi, %eax
    call cfg_write

    /* reset, ACKNOWLEDGE, DRIVER; no features */
    mov $(IOBASE + VP_STATUS), %dx
    xor %al, %al
    out %al, %dx
    mov $1, %al
    out %al, %dx
    mov $3, %al
    out %al, %dx
    mov $(IOBASE + VP_GUEST_FEATURES), %dx
    xor %eax, %eax
    out %eax, %dx
    /* config changes: no vector; queue 0: vector 0 */
    mov $(IOBASE + VP_CONFIG_VECTOR), %dx
    mov $0xffff, %ax
    out %ax, %dx
    mov $(IOBASE + VP_QUEUE_SEL), %dx
    xor %ax, %ax
    out %ax, %dx
    mov $(IOBASE + VP_QUEUE_VECTOR), %dx
    xor %ax, %ax
    out %ax, %dx
    in %dx, %ax
    test %ax, %ax
    jz 1f
    FAIL novec, novec_len
1:
    /* queue size: a power of two the ring pages can hold */
    mov $(IOBASE + VP_QUEUE_NUM), %dx
    in %dx, %ax
    movzwl %ax, %ebp
    test %ebp, %ebp
    jz badnum
    cmp $128, %ebp
    ja badnum
    lea -1(%ebp), %eax
    test %ebp, %eax
    jz 1f
badnum:
    FAIL badnum_msg, badnum_len
1:
    /* clear the ring pages and the buffer */
    mov $RING, %edi
    xor %eax, %eax
    mov $(8192 / 4), %ecx
    rep stosl
    mov $BUF, %edi
    mov $(64 / 4), %ecx
    rep stosl
    /*
     * Legacy layout (spec 2.7.2 with 4096 alignment): descriptors at
     * RING, the avail ring after them, the used ring at RING + 4096
     * (the avail ring of at most 128 entries fits below it).
     */
    movl $BUF, RING + 0             /* desc[0].addr */
    movl $0, RING + 4
    movl $64, RING + 8              /* len */
    movw $2, RING + 12              /* VRING_DESC_F_WRITE */
    movw $0, RING + 14
    mov %ebp, %edi
    shl $4, %edi
    add $RING, %edi                 /* %edi = avail */
    movw $0, 4(%edi)                /* ring[0] = descriptor 0 */
    mov $(IOBASE + VP_QUEUE_PFN), %dx
    mov $(RING >> 12), %eax
    out %eax, %dx
    /* DRIVER_OK */
    mov $(IOBASE + VP_STATUS), %dx
    mov $7, %al
    out %al, %dx

    /*
     * Only now publish the buffer (avail idx 1), so that the kick, not
     * DRIVER_OK, is what makes the device serve it; kick queue 0 and
     * wait for its interrupt.
     */
    movw $1, 2(%edi)
    sti
    mov $(IOBASE + VP_QUEUE_NOTIFY), %dx
    xor %ax, %ax
    out %ax, %dx
    mov $SPINS, %ecx
wait:
    pause
    dec %ecx
    jnz wait
    cli
    FAIL noirq, noirq_len

/*
 * No IRET (PVM-style nested KVM cannot emulate it, see irq.S): drop the
 * frame, EOI the local APIC and check the ring.
 */
msix_irq:
    add $12, %esp
    movl $0, LAPIC + 0xb0
    /* used ring: idx 1, element {id 0, len 1..64} */
    cmpw $1, RING + 4096 + 2
    jne badused
    cmpl $0, RING + 4096 + 4
    jne badused
    mov RING + 4096 + 8, %ecx
    test %ecx, %ecx
    jz badused
    cmp $64, %ecx
    ja badused
    /* some byte of what the device wrote is not zero */
    mov $BUF, %esi
    xor %eax, %eax
1:
    or (%esi), %al
    inc %esi
    dec %ecx
    jnz 1b
    test %al, %al
    jz zero
    PUTS32 pass, pass_len
    EXIT 0
badused:
    FAIL badused_msg, badused_len
zero:
    FAIL zero_msg, zero_len

/* config dword at register %eax of the function %ebx -> %eax */
cfg_read:
    push %edx
    or %ebx, %eax
    mov $0xcf8, %dx
    out %eax, %dx
    mov $0xcfc, %dx
    in %dx, %eax
    pop %edx
    ret

/* config dword at register %eax of the function %ebx <- %ecx */
cfg_write:
    push %edx
    or %ebx, %eax
    mov $0xcf8, %dx
    out %eax, %dx
    mov $0xcfc, %dx
    mov %ecx, %eax
    out %eax, %dx
    pop %edx
    ret

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
    .word (VECTOR + 1) * 8 - 1
    .long IDT

hello: .ascii "virtio-rng: legacy virtio-pci, one request, MSI-X\n"
.set hello_len, . - hello
pass: .ascii "PASS\n"
.set pass_len, . - pass
nodev: .ascii "FAIL: no 1af4:1005 on bus 0\n"
.set nodev_len, . - nodev
nomsix_msg: .ascii "FAIL: no MSI-X capability with its table in BAR1\n"
.set nomsix_len, . - nomsix_msg
novec: .ascii "FAIL: queue vector 0 not accepted\n"
.set novec_len, . - novec
badnum_msg: .ascii "FAIL: queue size not a power of two <= 128\n"
.set badnum_len, . - badnum_msg
noirq: .ascii "FAIL: no interrupt\n"
.set noirq_len, . - noirq
badused_msg: .ascii "FAIL: used ring\n"
.set badused_len, . - badused_msg
zero_msg: .ascii "FAIL: the buffer is all zero\n"
.set zero_len, . - zero_msg

    .code16
    RESET_VECTOR start
