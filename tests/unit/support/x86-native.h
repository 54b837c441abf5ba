/*
 * The parts that the differential x86 tests' native-run trampolines
 * share, as pieces of a top-level __asm__ (x86-64 hosts only).
 *
 * A trampoline of prefix P is "void P_run_native(state, code)": it loads
 * the state block into the CPU (RSP: the test's stack) and jumps to the
 * code, which ends with a jump to P_native_exit; that saves the CPU back
 * into the block from a private stack (the test stack stays as the code
 * left it) and returns to P_run_native's caller.  The block starts with
 * the 16 GPRs in encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
 * R8..R15) at 0 and RFLAGS at 128; a test adds its own registers between
 * the pieces (%rdi = the block while loading, %rax while saving).
 */
#ifndef TESTS_UNIT_SUPPORT_X86_NATIVE_H
#define TESTS_UNIT_SUPPORT_X86_NATIVE_H

#define X86N_STR(p) #p

/* the globals the pieces use (outside the __asm__) */
#define X86N_DEFINE_VARS(p, state_type) \
    void p##_run_native(state_type *st, void *code); \
    void p##_native_exit(void); \
    uint64_t p##_saved_rsp, p##_test_rsp, p##_st, p##_target; \
    uint8_t p##_stack[4096] __attribute__((aligned(16)))

/* P_run_native: the caller's registers kept, then the block's own loads */
#define X86N_ENTRY(p) \
    ".globl " X86N_STR(p) "_run_native\n" \
    X86N_STR(p) "_run_native:\n" \
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n" \
    "  push %r15\n" \
    "  mov %rsp, " X86N_STR(p) "_saved_rsp(%rip)\n" \
    "  mov %rdi, " X86N_STR(p) "_st(%rip)\n" \
    "  mov %rsi, " X86N_STR(p) "_target(%rip)\n"

/* RFLAGS and the GPRs from the block, then into the code */
#define X86N_LOAD_GPRS_AND_JUMP(p) \
    "  pushq 128(%rdi)\n" \
    "  popfq\n" \
    "  mov 32(%rdi), %rsp\n" \
    "  mov 0(%rdi), %rax\n mov 8(%rdi), %rcx\n mov 16(%rdi), %rdx\n" \
    "  mov 24(%rdi), %rbx\n mov 40(%rdi), %rbp\n mov 48(%rdi), %rsi\n" \
    "  mov 64(%rdi), %r8\n mov 72(%rdi), %r9\n mov 80(%rdi), %r10\n" \
    "  mov 88(%rdi), %r11\n mov 96(%rdi), %r12\n mov 104(%rdi), %r13\n" \
    "  mov 112(%rdi), %r14\n mov 120(%rdi), %r15\n" \
    "  mov 56(%rdi), %rdi\n" \
    "  jmp *" X86N_STR(p) "_target(%rip)\n"

/* P_native_exit: onto the private stack, RFLAGS and the GPRs saved */
#define X86N_EXIT_SAVE_GPRS(p) \
    ".globl " X86N_STR(p) "_native_exit\n" \
    X86N_STR(p) "_native_exit:\n" \
    "  mov %rsp, " X86N_STR(p) "_test_rsp(%rip)\n" \
    "  lea " X86N_STR(p) "_stack+4096(%rip), %rsp\n" \
    "  pushfq\n" \
    "  push %rax\n" \
    "  mov " X86N_STR(p) "_st(%rip), %rax\n" \
    "  mov %rcx, 8(%rax)\n mov %rdx, 16(%rax)\n mov %rbx, 24(%rax)\n" \
    "  mov %rbp, 40(%rax)\n mov %rsi, 48(%rax)\n mov %rdi, 56(%rax)\n" \
    "  mov %r8, 64(%rax)\n mov %r9, 72(%rax)\n mov %r10, 80(%rax)\n" \
    "  mov %r11, 88(%rax)\n mov %r12, 96(%rax)\n mov %r13, 104(%rax)\n" \
    "  mov %r14, 112(%rax)\n mov %r15, 120(%rax)\n" \
    "  pop %rcx\n mov %rcx, 0(%rax)\n" \
    "  pop %rcx\n mov %rcx, 128(%rax)\n" \
    "  mov " X86N_STR(p) "_test_rsp(%rip), %rcx\n mov %rcx, 32(%rax)\n"

/* back to P_run_native's caller, with its registers and DF clear */
#define X86N_RETURN(p) \
    "  cld\n" \
    "  mov " X86N_STR(p) "_saved_rsp(%rip), %rsp\n" \
    "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n" \
    "  ret\n"

#endif
