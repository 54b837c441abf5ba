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
.set IDT, 0x1000
.set LAPIC, 0xfee00000
.set VECTOR, 0x40
.set MSIXBAR, 0xfebf0000        /* BAR1: MSI-X table and PBA */
.set BAR4_A, 0xfe000000         /* BAR4 first here ... */
.set BAR4_B, 0xfd000000         /* ... then here */
.set DESC, 0x10000
.set AVAIL, 0x11000
.set USED, 0x12000
.set BUF, 0x20000               /* request 0; request 1 at BUF + 0x1000 */
.set SPINS, 0x10000000
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
    movw $0x8e00, IDT + VECTOR * 8 + 4
    shr $16, %eax
    mov %ax, IDT + VECTOR * 8 + 6
    lidt idtr + LOW
    /* only the MSI may interrupt (see virtio-rng.S) */
    movl $0x1ff, LAPIC + 0xf0
    movl $0x10700, LAPIC + 0x350
    movl $0x10400, LAPIC + 0x360
    mov $0xff, %al
    out %al, $0x21
    out %al, $0xa1

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

    /* MSI-X entry 0 -> APIC 0, VECTOR; enable */
    lea 4(%edi), %eax
    call cfg_read
    mov %eax, %edx
    and $7, %edx
    cmp $1, %edx
    jne nocaps
    and $~7, %eax
    lea MSIXBAR(%eax), %esi
    movl $0xfee00000, 0(%esi)
    movl $0, 4(%esi)
    movl $VECTOR, 8(%esi)
    movl $0, 12(%esi)
    mov %edi, %eax
    call cfg_read
    or $0x80000000, %eax
    and $~0x40000000, %eax
    mov %eax, %ecx
    mov %edi, %eax
    call cfg_write

    mov COMMON, %esi
    add $BAR4_A, %esi
    call device_setup

    /* rings and buffers */
    mov $DESC, %edi
    xor %eax, %eax
    mov $(0x3000 / 4), %ecx
    rep stosl
    mov $BUF, %edi
    mov $(0x3000 / 4), %ecx
    rep stosl
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
    mov $AVAIL, %edi
    xor %eax, %eax
    mov $(0x2000 / 4), %ecx         /* avail and used */
    rep stosl
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
    movl $1, C_GFSELECT(%esi)
    movl $1, C_GF(%esi)
    movl $0, C_GFSELECT(%esi)
    movl $0, C_GF(%esi)
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
    mov $SPINS, %ecx
1:
    pause
    dec %ecx
    jnz 1b
    cli
    FAIL noirq, noirq_len

/* no IRET (see irq.S): drop the frame, EOI, continue at NEXT */
msix_irq:
    add $12, %esp
    movl $0, LAPIC + 0xb0
    jmp *NEXT

/* %ecx bytes (1..64) at %esi, not all zero */
check_buf:
    test %ecx, %ecx
    jz badused
    cmp $64, %ecx
    ja badused
    xor %eax, %eax
2:
    or (%esi), %al
    inc %esi
    dec %ecx
    jnz 2b
    test %al, %al
    jz zero
    ret

nocaps:
    FAIL nocaps_msg, nocaps_len
badfeat:
    FAIL badfeat_msg, badfeat_len
novec:
    FAIL novec_msg, novec_len
badnum:
    FAIL badnum_msg, badnum_len
badused:
    FAIL badused_msg, badused_len
zero:
    FAIL zero_msg, zero_len

cfg_read:
    push %edx
    or %ebx, %eax
    mov $0xcf8, %dx
    out %eax, %dx
    mov $0xcfc, %dx
    in %dx, %eax
    pop %edx
    ret

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

hello: .ascii "virtio-rng-modern: 1.x virtio-pci, BAR4 moved, MSI-X\n"
.set hello_len, . - hello
pass: .ascii "PASS\n"
.set pass_len, . - pass
nodev: .ascii "FAIL: no 1af4:1005 on bus 0\n"
.set nodev_len, . - nodev
nocaps_msg: .ascii "FAIL: MSI-X or virtio capabilities missing\n"
.set nocaps_len, . - nocaps_msg
badfeat_msg: .ascii "FAIL: VERSION_1 not negotiated\n"
.set badfeat_len, . - badfeat_msg
novec_msg: .ascii "FAIL: queue vector 0 not accepted\n"
.set novec_len, . - novec_msg
badnum_msg: .ascii "FAIL: queue size\n"
.set badnum_len, . - badnum_msg
noirq: .ascii "FAIL: no interrupt\n"
.set noirq_len, . - noirq
badused_msg: .ascii "FAIL: used ring\n"
.set badused_len, . - badused_msg
zero_msg: .ascii "FAIL: the buffer is all zero\n"
.set zero_len, . - zero_msg

    .code16
    RESET_VECTOR start
