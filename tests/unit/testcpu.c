/* "testcpu": a tiny made-up CPU that drives the execution engine in tests. */
#include "emu/osdep.h"
#include "tcg/tcg-op.h"
#include "exec/translator.h"
#include "exec/cputlb.h"
#include "system/memory.h"
#include "testcpu.h"

CPU_CHECK_LAYOUT(TestCPU, neg, env);

#define TC_PAGE_MASK (~(uint64_t)4095)

static TCGv_i64 cpu_regs[TESTCPU_NREGS];
static TCGv_i64 cpu_pc;

/* ---- Helpers (called from generated code) ---- */

static void EMU_NORETURN helper_testcpu_raise(void *env, uint32_t excp)
{
    cpu_loop_exit_exception(env_cpu(env), (int)excp, GETPC());
}

static uint64_t helper_testcpu_div(void *env, uint64_t a, uint64_t b)
{
    if (b == 0) {
        cpu_loop_exit_exception(env_cpu(env), TESTCPU_EXCP_DIVZ, GETPC());
    }
    return a / b;
}

static void EMU_NORETURN helper_testcpu_hlt(void *env)
{
    CPUState *cs = env_cpu(env);

    cs->halted = true;
    cs->exception_index = EXCP_HLT;
    cpu_loop_exit(cs);
}

/* may raise: globals are synced before, and stay valid after */
static const TCGHelperInfo info_raise = {
    .func = (void *)helper_testcpu_raise, .name = "testcpu_raise",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I32 },
};
static const TCGHelperInfo info_div = {
    .func = (void *)helper_testcpu_div, .name = "testcpu_div",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_I64, .nargs = 3,
    .args = { TCG_CALL_PTR, TCG_CALL_I64, TCG_CALL_I64 },
};
static const TCGHelperInfo info_hlt = {
    .func = (void *)helper_testcpu_hlt, .name = "testcpu_hlt",
    .flags = TCG_CALL_NO_WG, .ret = TCG_CALL_VOID, .nargs = 1,
    .args = { TCG_CALL_PTR },
};

/* ---- Translation ---- */

static void testcpu_tcg_init(TCGContext *s)
{
    static const char names[TESTCPU_NREGS][3] = {
        "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
    };
    TCGv_ptr env = tcg_global_env(s, "env");

    for (int i = 0; i < TESTCPU_NREGS; i++) {
        cpu_regs[i] = tcg_global_mem_new_i64(env,
                                             offsetof(TestCPUEnv, regs[i]),
                                             names[i]);
    }
    cpu_pc = tcg_global_mem_new_i64(env, offsetof(TestCPUEnv, pc), "pc");
}

static void gen_goto_tb(DisasContextBase *db, unsigned n, uint64_t dest)
{
    if (translator_use_goto_tb(db, dest)) {
        tcg_gen_goto_tb(n);
        tcg_gen_movi_i64(cpu_pc, dest);
        tcg_gen_exit_tb(db->tb, n);
    } else {
        tcg_gen_movi_i64(cpu_pc, dest);
        tcg_gen_lookup_and_goto_ptr();
    }
}

static void gen_exception(DisasContextBase *db, int excp)
{
    tcg_gen_call2(&info_raise, NULL, tcg_ctx->env,
                  tcgv_i32_temp(tcg_constant_i32(excp)));
    db->is_jmp = DISAS_NORETURN;
}

static void tc_init_disas_context(DisasContextBase *db, CPUState *cs)
{
}

static void tc_tb_start(DisasContextBase *db, CPUState *cs)
{
}

static void tc_insn_start(DisasContextBase *db, CPUState *cs)
{
    tcg_gen_insn_start(db->pc_next, 0, 0);
}

static void tc_translate_insn(DisasContextBase *db, CPUState *cs)
{
    uint64_t pc = db->pc_next;
    uint32_t insn = translator_ldl(cs->env_ptr, db, pc);
    unsigned op = insn & 0xff;
    unsigned a = (insn >> 8) & 7, b = (insn >> 12) & 7, c = (insn >> 16) & 7;
    int64_t imm = (int16_t)(insn >> 16);
    TCGv_i64 addr;

    db->pc_next = pc + 4;
    switch (op) {
    case TC_OP_LI:
        tcg_gen_movi_i64(cpu_regs[a], imm);
        break;
    case TC_OP_ADDI:
        tcg_gen_addi_i64(cpu_regs[a], cpu_regs[b], imm);
        break;
    case TC_OP_ADD:
        tcg_gen_add_i64(cpu_regs[a], cpu_regs[b], cpu_regs[c]);
        break;
    case TC_OP_SUB:
        tcg_gen_sub_i64(cpu_regs[a], cpu_regs[b], cpu_regs[c]);
        break;
    case TC_OP_DIV:
        tcg_gen_call3(&info_div, tcgv_i64_temp(cpu_regs[a]), tcg_ctx->env,
                      tcgv_i64_temp(cpu_regs[b]), tcgv_i64_temp(cpu_regs[c]));
        break;
    case TC_OP_LD:
    case TC_OP_ST:
    case TC_OP_LDQ:
    case TC_OP_STQ: {
        MemOp mop = (op == TC_OP_LD || op == TC_OP_ST) ? MO_LEUL : MO_LEUQ;
        addr = tcg_temp_new_i64();
        tcg_gen_addi_i64(addr, cpu_regs[b], imm);
        if (op == TC_OP_LD || op == TC_OP_LDQ) {
            tcg_gen_qemu_ld_i64(cpu_regs[a], addr, 0, mop);
        } else {
            tcg_gen_qemu_st_i64(cpu_regs[a], addr, 0, mop);
        }
        tcg_temp_free_i64(addr);
        break;
    }
    case TC_OP_BNE: {
        TCGLabel *not_taken = gen_new_label();
        tcg_gen_brcond_i64(TCG_COND_EQ, cpu_regs[a], cpu_regs[b], not_taken);
        gen_goto_tb(db, 0, pc + 4 + imm * 4);
        gen_set_label(not_taken);
        gen_goto_tb(db, 1, pc + 4);
        db->is_jmp = DISAS_NORETURN;
        break;
    }
    case TC_OP_JMP:
        gen_goto_tb(db, 0, pc + 4 + imm * 4);
        db->is_jmp = DISAS_NORETURN;
        break;
    case TC_OP_JR:
        tcg_gen_mov_i64(cpu_pc, cpu_regs[a]);
        tcg_gen_lookup_and_goto_ptr();
        db->is_jmp = DISAS_NORETURN;
        break;
    case TC_OP_HLT:
        tcg_gen_movi_i64(cpu_pc, pc + 4);
        tcg_gen_call1(&info_hlt, NULL, tcg_ctx->env);
        db->is_jmp = DISAS_NORETURN;
        break;
    default:
        gen_exception(db, TESTCPU_EXCP_ILLEGAL);
        break;
    }
}

static void tc_tb_stop(DisasContextBase *db, CPUState *cs)
{
    if (db->is_jmp == DISAS_TOO_MANY) {
        gen_goto_tb(db, 0, db->pc_next);
    }
}

static const TranslatorOps testcpu_tr_ops = {
    .init_disas_context = tc_init_disas_context,
    .tb_start = tc_tb_start,
    .insn_start = tc_insn_start,
    .translate_insn = tc_translate_insn,
    .tb_stop = tc_tb_stop,
};

static void testcpu_translate(CPUState *cs, TranslationBlock *tb,
                              int max_insns)
{
    DisasContextBase db;

    translator_loop(cs, tb, max_insns, &testcpu_tr_ops, &db);
}

/* ---- CPU hooks ---- */

static TestCPUEnv *cs_env(CPUState *cs)
{
    return cs->env_ptr;
}

static void testcpu_reset(CPUState *cs)
{
    TestCPUEnv *env = cs_env(cs);

    memset(env, 0, sizeof(*env));
    env->excp = -1;
    env->forbidden_page = UINT64_MAX;
}

static bool testcpu_has_work(CPUState *cs)
{
    return (__atomic_load_n(&cs->interrupt_request, __ATOMIC_RELAXED) &
            CPU_INTERRUPT_HARD) != 0;
}

static void testcpu_get_tb_cpu_state(CPUState *cs, uint64_t *pc,
                                     uint64_t *cs_base, uint32_t *flags)
{
    *pc = cs_env(cs)->pc;
    *cs_base = 0;
    *flags = 0;
}

static void testcpu_restore_state_to_opc(CPUState *cs,
                                         const TranslationBlock *tb,
                                         const uint64_t *data)
{
    cs_env(cs)->pc = data[0];
}

static bool testcpu_tlb_fill(CPUState *cs, uint64_t addr, int size,
                             MMUAccessType access_type, int mmu_idx,
                             bool probe, uintptr_t retaddr)
{
    TestCPUEnv *env = cs_env(cs);
    uint64_t page = addr & TC_PAGE_MASK;

    if (page == env->forbidden_page) {
        if (probe) {
            return false;
        }
        env->fault_addr = addr;
        cpu_loop_exit_exception(cs, TESTCPU_EXCP_PAGE_FAULT, retaddr);
    }
    tlb_set_page(cs, page, page, PAGE_RWX, mmu_idx, 4096);
    return true;
}

static int testcpu_mmu_index(CPUState *cs, bool ifetch)
{
    return 0;
}

static bool testcpu_exec_interrupt(CPUState *cs, int request)
{
    TestCPUEnv *env = cs_env(cs);

    if (request & CPU_INTERRUPT_HARD) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_HARD);
        env->irq_count++;
        if (env->ivec) {
            env->pc = env->ivec;
        }
        return true;
    }
    return false;
}

static void testcpu_do_interrupt(CPUState *cs)
{
    TestCPUEnv *env = cs_env(cs);

    env->excp = cs->exception_index;
    env->excp_pc = env->pc;
    env->excp_count++;
    if (env->evec) {
        env->pc = env->evec;
    } else {
        cpu_interrupt(cs, CPU_INTERRUPT_HALT);
    }
}

static void testcpu_dump_state(CPUState *cs, FILE *f, int flags)
{
    TestCPUEnv *env = cs_env(cs);

    fprintf(f, "pc=%016" PRIx64 "\n", env->pc);
    for (int i = 0; i < TESTCPU_NREGS; i++) {
        fprintf(f, "r%d=%016" PRIx64 "%c", i, env->regs[i],
                (i & 3) == 3 ? '\n' : ' ');
    }
}

static void testcpu_disas_log(CPUState *cs, FILE *f, uint64_t pc,
                              const void *code, size_t size)
{
    static const char *const names[] = {
        [TC_OP_LI] = "li", [TC_OP_ADD] = "add", [TC_OP_SUB] = "sub",
        [TC_OP_LD] = "ld", [TC_OP_ST] = "st", [TC_OP_BNE] = "bne",
        [TC_OP_JMP] = "jmp", [TC_OP_JR] = "jr", [TC_OP_DIV] = "div",
        [TC_OP_HLT] = "hlt", [TC_OP_ADDI] = "addi", [TC_OP_LDQ] = "ldq",
        [TC_OP_STQ] = "stq",
    };
    const uint8_t *p = code;

    for (size_t i = 0; i + 4 <= size; i += 4) {
        uint32_t insn = p[i] | p[i + 1] << 8 | p[i + 2] << 16 |
                        (uint32_t)p[i + 3] << 24;
        unsigned op = insn & 0xff;
        const char *name = op < ARRAY_SIZE(names) && names[op] ? names[op]
                                                               : "illegal";
        fprintf(f, "0x%08" PRIx64 ":  %-5s r%u, r%u, 0x%04x\n", pc + i, name,
                (insn >> 8) & 7, (insn >> 12) & 7, insn >> 16);
    }
}

const CPUClass testcpu_class = {
    .name = "testcpu",
    .nb_mmu_modes = 1,
    .page_bits = 12,
    .reset = testcpu_reset,
    .has_work = testcpu_has_work,
    .dump_state = testcpu_dump_state,
    .tcg_init = testcpu_tcg_init,
    .get_tb_cpu_state = testcpu_get_tb_cpu_state,
    .translate = testcpu_translate,
    .restore_state_to_opc = testcpu_restore_state_to_opc,
    .tlb_fill = testcpu_tlb_fill,
    .mmu_index = testcpu_mmu_index,
    .exec_interrupt = testcpu_exec_interrupt,
    .do_interrupt = testcpu_do_interrupt,
    .disas_log = testcpu_disas_log,
};

TestCPU *testcpu_new(void)
{
    TestCPU *cpu = aligned_alloc(16, ROUND_UP(sizeof(TestCPU), 16));
    CPUState *cs = &cpu->parent;

    memset(cpu, 0, sizeof(*cpu));
    cs->cc = &testcpu_class;
    cs->env_ptr = &cpu->env;
    cs->neg = &cpu->neg;
    cpu->neg.cpu = cs;
    cs->as = &address_space_memory;
    cpu_list_add(cs);
    cpu_reset(cs);
    return cpu;
}

void testcpu_free(TestCPU *cpu)
{
    cpu_list_remove(&cpu->parent);
    free(cpu);
}
