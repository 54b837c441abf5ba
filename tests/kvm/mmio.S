/*
 * MMIO: the IOAPIC's version register through IOREGSEL/IOWIN, and a
 * write to the BIOS ROM that must be dropped (a read-only mapping).
 */
#include "common.inc"
.set IOAPIC, 0xfec00000
    .code16
    .text
start:
    BOOT_32 hello

    /* IOAPIC version: 0x11, 24 redirection entries (max index 23) */
    movl $1, IOAPIC
    mov IOAPIC + 0x10, %eax
    cmp $0x11, %al
    jne fail
    shr $16, %eax
    cmp $23, %al
    jne fail
    /* IOAPIC ID register round trip (bits 24-27) */
    movl $0, IOAPIC
    movl $0x05000000, IOAPIC + 0x10
    mov IOAPIC + 0x10, %eax
    and $0x0f000000, %eax
    cmp $0x05000000, %eax
    jne fail

    /* ROM at the top of 4 GiB: a write must not change it */
    mov $(0xffff0000 + rom_word), %ebx
    mov (%ebx), %eax
    mov %eax, %edx
    not %eax
    mov %eax, (%ebx)
    cmp (%ebx), %edx
    jne fail

    PUTS32 pass, pass_len
    EXIT 0
fail:
    PUTS32 failmsg, failmsg_len
    EXIT 1

rom_word: .long 0x600dc0de

    FLAT_GDT

    MESSAGE hello, "mmio: IOAPIC registers, read-only BIOS\n"
    MESSAGE pass, "PASS\n"
    MESSAGE failmsg, "FAIL\n"

    .code16
    RESET_VECTOR start
