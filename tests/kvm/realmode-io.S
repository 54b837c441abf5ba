/* Real mode: port I/O (single and string, both directions) and RAM. */
#include "common.inc"
    .code16
    .text
start:
    REAL_START
    PUTS16 hello, hello_len

    /* a byte read: the debugcon answers with its readback value */
    mov $DEBUGCON, %dx
    in %dx, %al
    cmp $0xe9, %al
    jne fail

    /* string input: 16 reads into RAM at 0:0x600 */
    mov $0x600, %di
    mov $16, %cx
    mov $DEBUGCON, %dx
    cld
    rep insb
    mov $0x600, %si
    mov $16, %cx
1:  cmpb $0xe9, %es:(%si)
    jne fail
    inc %si
    loop 1b

    /* RAM: write a pattern with rep stosw, check it word by word */
    mov $0x1000, %di
    mov $0x5aa5, %ax
    mov $256, %cx
    rep stosw
    mov $0x1000, %si
    mov $256, %cx
2:  cmpw $0x5aa5, %es:(%si)
    jne fail
    add $2, %si
    loop 2b

    /* a call through the stack and back */
    call sub
    cmp $0x1234, %bx
    jne fail

    /* port 0x80 (POST codes): writes must be harmless */
    mov $0x55, %al
    out %al, $0x80

    PUTS16 pass, pass_len
    EXIT 0
fail:
    PUTS16 failmsg, failmsg_len
    EXIT 1

sub:
    mov $0x1234, %bx
    ret

    MESSAGE hello, "realmode-io: port I/O and RAM in real mode\n"
    MESSAGE pass, "PASS\n"
    MESSAGE failmsg, "FAIL\n"

    RESET_VECTOR start
