/*
 * virtio-rng-pci through the modern (1.x) interface in BAR4, found by
 * its vendor capabilities, with an MSI-X interrupt: feature negotiation
 * (VERSION_1), queue 0 with separate ring areas, one 64-byte request;
 * then the driver moves BAR4 (decoding off, new address, decoding on)
 * and a second request must be kicked at the new notify address; then
 * the driver resets the device, sets it up again and a third request
 * must work.  Under emu with KVM every kick arrives through an ioeventfd
 * that follows the BAR and the device's resets.
 */
#include "common.inc"
#include "virtio.inc"
.set BAR4_A, 0xfe000000         /* BAR4 first here ... */
.set BAR4_B, 0xfd000000         /* ... then here */
.set DESC, 0x10000
.set AVAIL, 0x11000
.set USED, 0x12000
.set BUF, 0x20000               /* request 0; request 1 at BUF + 0x1000 */
/* variables in RAM */
.set NEXT, 0x600                /* where the interrupt handler continues */
.set COMMON, 0x604              /* offset of the common config in BAR4 */
.set NOTIFY, 0x608              /* offset of the notify area in BAR4 */
.set NMULT, 0x60c               /* notify_off_multiplier */
.set NOFF, 0x610                /* queue 0's queue_notify_off */

/* common configuration (virtio 1.2 spec 4.1.4.3) */
.set C_DFSELECT, 0
.set C_DF, 4
.set C_GFSELECT, 8
.set C_GF, 12
.set C_MSIX, 16
.set C_STATUS, 20
.set C_QSELECT, 22
.set C_QSIZE, 24
.set C_QMSIX, 26
.set C_QENABLE, 28
.set C_QNOFF, 30
.set C_QDESC, 32
.set C_QDRIVER, 40
.set C_QDEVICE, 48

/* the driver's feature bits 32 * \word .. + 31 <- \bits (common config at %esi) */
.macro DRIVER_FEATURES word, bits
    movl $\word, C_GFSELECT(%esi)
    movl $\bits, C_GF(%esi)
.endm

    .code16
    .text
start:
    VIRTIO_RNG_START msix_irq

    mov $0x14, %eax
    mov $MSIXBAR, %ecx
    call cfg_write
    mov $0x20, %eax                 /* BAR4, 64-bit */
    mov $BAR4_A, %ecx
    call cfg_write
    mov $0x24, %eax
    xor %ecx, %ecx
    call cfg_write
    mov $0x04, %eax
    mov $0x06, %ecx                 /* memory, bus master */
    call cfg_write

    /* capabilities: MSI-X, and the vendor ones for common and notify */
    movl $0, COMMON
    movl $0, NOTIFY
    xor %edi, %edi                  /* MSI-X capability offset */
    mov $0x34, %eax
    call cfg_read
    movzbl %al, %esi
capwalk:
    and $0xfc, %esi
    jz capdone
    mov %esi, %eax
    call cfg_read
    cmp $0x11, %al
    jne 1f
    mov %esi, %edi
    jmp capnext
1:
    cmp $0x09, %al
    jne capnext
    mov %eax, %edx
    shr $24, %edx                   /* cfg_type */
    lea 4(%esi), %eax
    call cfg_read
    cmp $4, %al                     /* bar */
    jne capnext
    lea 8(%esi), %eax
    call cfg_read                   /* offset */
    cmp $1, %edx
    jne 2f
    mov %eax, COMMON
    jmp capnext
2:
    cmp $2, %edx
    jne capnext
    mov %eax, NOTIFY
    lea 16(%esi), %eax
    call cfg_read
    mov %eax, NMULT
capnext:
    mov %esi, %eax
    call cfg_read
    movzbl %ah, %esi
    jmp capwalk
capdone:
    test %edi, %edi
    jz nocaps
    cmpl $0, NOTIFY
    je nocaps
    /* the common config at offset 0 is legal: accept it */

    mov %edi, %esi
    call msix_enable
    jc nocaps

    mov COMMON, %esi
    add $BAR4_A, %esi
    call device_setup

    /* rings and buffers */
    ZERO DESC, 0x3000               /* DESC, AVAIL, USED */
    ZERO BUF, 0x3000
    movl $BUF, DESC + 0
    movl $64, DESC + 8
    movw $2, DESC + 12
    movl $(BUF + 0x1000), DESC + 16 + 0
    movl $64, DESC + 16 + 8
    movw $2, DESC + 16 + 12
    movw $0, AVAIL + 4              /* ring[0] = 0 */
    movw $1, AVAIL + 6              /* ring[1] = 1 */
    call queue_setup

    /* request 0 at the first BAR address */
    movl $(LOW + first_done), NEXT
    movw $1, AVAIL + 2
    mov $BAR4_A, %eax
    jmp kick_and_wait

first_done:
    cmpw $1, USED + 2
    jne badused
    cmpl $0, USED + 4
    jne badused
    mov USED + 8, %ecx
    mov $BUF, %esi
    call check_buf

    /* move BAR4: decoding off, new address, decoding on */
    mov $0x04, %eax
    mov $0x04, %ecx
    call cfg_write
    mov $0x20, %eax
    mov $BAR4_B, %ecx
    call cfg_write
    mov $0x04, %eax
    mov $0x06, %ecx
    call cfg_write

    /* request 1 at the new one */
    movl $(LOW + second_done), NEXT
    movw $2, AVAIL + 2
    mov $BAR4_B, %eax
    jmp kick_and_wait

second_done:
    cmpw $2, USED + 2
    jne badused
    cmpl $1, USED + 12
    jne badused
    mov USED + 16, %ecx
    mov $(BUF + 0x1000), %esi
    call check_buf

    /* reset the device and start over with fresh rings: request 2 */
    mov COMMON, %esi
    add $BAR4_B, %esi
    call device_setup
    ZERO AVAIL, 0x2000              /* AVAIL and USED */
    movl $(BUF + 0x2000), DESC + 0
    movw $0, AVAIL + 4
    call queue_setup
    movl $(LOW + third_done), NEXT
    movw $1, AVAIL + 2
    mov $BAR4_B, %eax
    jmp kick_and_wait

third_done:
    cmpw $1, USED + 2
    jne badused
    cmpl $0, USED + 4
    jne badused
    mov USED + 8, %ecx
    mov $(BUF + 0x2000), %esi
    call check_buf
    PUTS32 pass, pass_len
    EXIT 0

/*
 * Reset the device at common config %esi and negotiate VERSION_1 only
 * (spec 3.1.1); the reset is complete when the status reads back 0.
 */
device_setup:
    movb $0, C_STATUS(%esi)
1:
    cmpb $0, C_STATUS(%esi)
    jne 1b
    movb $1, C_STATUS(%esi)
    movb $3, C_STATUS(%esi)
    movl $1, C_DFSELECT(%esi)
    testl $1, C_DF(%esi)            /* VERSION_1 offered */
    jz badfeat
    DRIVER_FEATURES 1, 1            /* VERSION_1 (bit 32) */
    DRIVER_FEATURES 0, 0
    movb $0xb, C_STATUS(%esi)
    testb $8, C_STATUS(%esi)        /* FEATURES_OK stuck */
    jz badfeat
    movw $0xffff, C_MSIX(%esi)
    ret

/* queue 0: vector 0, the rings at DESC/AVAIL/USED; then DRIVER_OK */
queue_setup:
    movw $0, C_QSELECT(%esi)
    movw $0, C_QMSIX(%esi)
    cmpw $0, C_QMSIX(%esi)
    jne novec
    movzwl C_QSIZE(%esi), %ebp
    cmp $2, %ebp
    jb badnum
    movzwl C_QNOFF(%esi), %eax
    mov %eax, NOFF
    movl $DESC, C_QDESC(%esi)
    movl $0, C_QDESC + 4(%esi)
    movl $AVAIL, C_QDRIVER(%esi)
    movl $0, C_QDRIVER + 4(%esi)
    movl $USED, C_QDEVICE(%esi)
    movl $0, C_QDEVICE + 4(%esi)
    movw $1, C_QENABLE(%esi)
    movb $0xf, C_STATUS(%esi)       /* DRIVER_OK */
    ret

/* kick queue 0 in the BAR at %eax, wait for the MSI (handler -> NEXT) */
kick_and_wait:
    add NOTIFY, %eax
    mov NOFF, %ecx
    imul NMULT, %ecx
    add %ecx, %eax
    sti
    movw $0, (%eax)
    WAIT_FOR_MSI

/* the interrupt: continue at NEXT */
msix_irq:
    MSI_HANDLER_ENTRY
    jmp *NEXT

nocaps:
    FAIL nocaps
badfeat:
    FAIL badfeat
novec:
    FAIL novec
badnum:
    FAIL badnum

    VIRTIO_PCI_ROUTINES
    FLAT_GDT

    MESSAGE hello, "virtio-rng-modern: 1.x virtio-pci, BAR4 moved, MSI-X\n"
    VIRTIO_MESSAGES
    MESSAGE nocaps_msg, "FAIL: MSI-X or virtio capabilities missing\n"
    MESSAGE badfeat_msg, "FAIL: VERSION_1 not negotiated\n"
    MESSAGE badnum_msg, "FAIL: queue size\n"

    .code16
    RESET_VECTOR start
