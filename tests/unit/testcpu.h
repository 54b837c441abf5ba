/*
 * "testcpu": a made-up tiny CPU for testing the execution engine (tests
 * only, not in the emulator).  8 64-bit registers, a pc, fixed 4-byte
 * little-endian instructions:
 *
 *   byte 0: opcode, byte 1: a (bits 0-3) | b (bits 4-7), bytes 2-3: imm16
 *   (three-register forms put the third register in imm16's low bits)
 *
 *   LI   a, imm        a = sext(imm)
 *   ADDI a, b, imm     a = b + sext(imm)
 *   ADD  a, b, c       a = b + c
 *   SUB  a, b, c       a = b - c
 *   DIV  a, b, c       a = b / c unsigned; c == 0 raises TESTCPU_EXCP_DIVZ
 *   LD   a, [b + imm]  a = zext(32-bit load)
 *   ST   a, [b + imm]  32-bit store of a
 *   LDQ/STQ            the same, 64-bit
 *   BNE  a, b, off     if a != b: pc = pc + 4 + 4 * sext(off)  (goto_tb)
 *   JMP  off           pc = pc + 4 + 4 * sext(off)             (goto_tb)
 *   JR   a             pc = a                    (lookup_and_goto_ptr)
 *   HLT                stop: cpu_exec returns EXCP_HLT, pc after HLT
 *   anything else      raises TESTCPU_EXCP_ILLEGAL
 *
 * Memory is identity-mapped (virtual = physical, MMU index 0) except one
 * "forbidden" page where every access raises TESTCPU_EXCP_PAGE_FAULT.
 * Exceptions go to env.evec if non-zero, else they halt the CPU (cpu_exec
 * returns EXCP_HLT) with env.excp/excp_pc telling what happened.
 */
#ifndef TESTS_UNIT_TESTCPU_H
#define TESTS_UNIT_TESTCPU_H

#include "emu/osdep.h"
#include "hw/core/cpu.h"

#define TESTCPU_NREGS 8

enum {
    TESTCPU_EXCP_DIVZ = 1,
    TESTCPU_EXCP_PAGE_FAULT = 2,
    TESTCPU_EXCP_ILLEGAL = 3,
};

enum {
    TC_OP_LI = 0x01,
    TC_OP_ADD = 0x02,
    TC_OP_SUB = 0x03,
    TC_OP_LD = 0x04,
    TC_OP_ST = 0x05,
    TC_OP_BNE = 0x06,
    TC_OP_JMP = 0x07,
    TC_OP_JR = 0x08,
    TC_OP_DIV = 0x09,
    TC_OP_HLT = 0x0a,
    TC_OP_ADDI = 0x0b,
    TC_OP_LDQ = 0x0c,
    TC_OP_STQ = 0x0d,
};

typedef struct TestCPUEnv {
    uint64_t regs[TESTCPU_NREGS];
    uint64_t pc;
    /* the last exception taken */
    int excp;                   /* -1: none yet */
    uint64_t excp_pc;
    uint64_t fault_addr;
    unsigned excp_count;
    uint64_t evec;              /* handler address; 0: halt */
    uint64_t forbidden_page;    /* page address; UINT64_MAX: none */
    /* CPU_INTERRUPT_HARD delivery */
    uint64_t ivec;              /* jump there (0: just count) */
    unsigned irq_count;
} TestCPUEnv;

typedef struct TestCPU {
    CPUState parent;
    CPUNegativeOffsetState neg;
    TestCPUEnv env;
} TestCPU;

extern const CPUClass testcpu_class;

/* Allocate, link into the CPU list, reset (pc 0); uses address_space_memory */
TestCPU *testcpu_new(void);
void testcpu_free(TestCPU *cpu);
static inline CPUState *testcpu_cs(TestCPU *cpu)
{
    return &cpu->parent;
}

/* ---- Encoders ---- */
static inline uint32_t tc_insn(unsigned op, unsigned a, unsigned b,
                               uint16_t imm)
{
    return op | (a & 15) << 8 | (b & 15) << 12 | (uint32_t)imm << 16;
}
static inline uint32_t tc_li(unsigned a, int16_t imm)
{
    return tc_insn(TC_OP_LI, a, 0, (uint16_t)imm);
}
static inline uint32_t tc_addi(unsigned a, unsigned b, int16_t imm)
{
    return tc_insn(TC_OP_ADDI, a, b, (uint16_t)imm);
}
static inline uint32_t tc_add(unsigned a, unsigned b, unsigned c)
{
    return tc_insn(TC_OP_ADD, a, b, c);
}
static inline uint32_t tc_sub(unsigned a, unsigned b, unsigned c)
{
    return tc_insn(TC_OP_SUB, a, b, c);
}
static inline uint32_t tc_div(unsigned a, unsigned b, unsigned c)
{
    return tc_insn(TC_OP_DIV, a, b, c);
}
static inline uint32_t tc_ld(unsigned a, unsigned b, int16_t off)
{
    return tc_insn(TC_OP_LD, a, b, (uint16_t)off);
}
static inline uint32_t tc_st(unsigned a, unsigned b, int16_t off)
{
    return tc_insn(TC_OP_ST, a, b, (uint16_t)off);
}
static inline uint32_t tc_ldq(unsigned a, unsigned b, int16_t off)
{
    return tc_insn(TC_OP_LDQ, a, b, (uint16_t)off);
}
static inline uint32_t tc_stq(unsigned a, unsigned b, int16_t off)
{
    return tc_insn(TC_OP_STQ, a, b, (uint16_t)off);
}
/* off counts instructions from the next one */
static inline uint32_t tc_bne(unsigned a, unsigned b, int16_t off)
{
    return tc_insn(TC_OP_BNE, a, b, (uint16_t)off);
}
static inline uint32_t tc_jmp(int16_t off)
{
    return tc_insn(TC_OP_JMP, 0, 0, (uint16_t)off);
}
static inline uint32_t tc_jr(unsigned a)
{
    return tc_insn(TC_OP_JR, a, 0, 0);
}
static inline uint32_t tc_hlt(void)
{
    return tc_insn(TC_OP_HLT, 0, 0, 0);
}

#endif
