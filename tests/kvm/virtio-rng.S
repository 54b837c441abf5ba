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
#include "virtio.inc"
.set IOBASE, 0xc000             /* legacy BAR0 */
.set RING, 0x10000              /* legacy queue: PFN 0x10 */
.set BUF, 0x20000

/* virtio legacy registers (virtio 1.2 spec 4.1.4.10), MSI-X enabled */
.set VP_GUEST_FEATURES, 4
.set VP_QUEUE_PFN, 8
.set VP_QUEUE_NUM, 12
.set VP_QUEUE_SEL, 14
.set VP_QUEUE_NOTIFY, 16
.set VP_STATUS, 18
.set VP_CONFIG_VECTOR, 20
.set VP_QUEUE_VECTOR, 22

/* legacy register \reg <- \value, \bits wide (8, 16 or 32); DX = its port */
.macro VP_WRITE bits, reg, value
    mov $(IOBASE + \reg), %dx
    mov $\value, %eax
    .if \bits == 8
    out %al, %dx
    .elseif \bits == 16
    out %ax, %dx
    .else
    out %eax, %dx
    .endif
.endm

    .code16
    .text
start:
    VIRTIO_RNG_START msix_irq

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
    FAIL nomsix

msix:
    call msix_enable
    jc nomsix

    /* reset, ACKNOWLEDGE, DRIVER; no features */
    VP_WRITE 8, VP_STATUS, 0
    VP_WRITE 8, VP_STATUS, 1
    VP_WRITE 8, VP_STATUS, 3
    VP_WRITE 32, VP_GUEST_FEATURES, 0
    /* config changes: no vector; queue 0: vector 0, read back */
    VP_WRITE 16, VP_CONFIG_VECTOR, 0xffff
    VP_WRITE 16, VP_QUEUE_SEL, 0
    VP_WRITE 16, VP_QUEUE_VECTOR, 0
    in %dx, %ax
    test %ax, %ax
    jz 1f
    FAIL novec
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
    FAIL badnum
1:
    /* clear the ring pages and the buffer */
    ZERO RING, 8192
    ZERO BUF, 64
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
    VP_WRITE 32, VP_QUEUE_PFN, RING >> 12
    VP_WRITE 8, VP_STATUS, 7        /* DRIVER_OK */

    /*
     * Only now publish the buffer (avail idx 1), so that the kick, not
     * DRIVER_OK, is what makes the device serve it; kick queue 0 and
     * wait for its interrupt.
     */
    movw $1, 2(%edi)
    sti
    VP_WRITE 16, VP_QUEUE_NOTIFY, 0
    WAIT_FOR_MSI

/* the interrupt: check the ring */
msix_irq:
    MSI_HANDLER_ENTRY
    /* used ring: idx 1, element {id 0, len 1..64} */
    cmpw $1, RING + 4096 + 2
    jne badused
    cmpl $0, RING + 4096 + 4
    jne badused
    mov RING + 4096 + 8, %ecx
    mov $BUF, %esi
    call check_buf
    PUTS32 pass, pass_len
    EXIT 0

    VIRTIO_PCI_ROUTINES
    FLAT_GDT

    MESSAGE hello, "virtio-rng: legacy virtio-pci, one request, MSI-X\n"
    VIRTIO_MESSAGES
    MESSAGE nomsix_msg, "FAIL: no MSI-X capability with its table in BAR1\n"
    MESSAGE badnum_msg, "FAIL: queue size not a power of two <= 128\n"

    .code16
    RESET_VECTOR start
