/* The generic translator loop and guest code fetch for front ends. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "tcg/tcg-op.h"
#include "exec/translator.h"
#include "exec/cputlb.h"
#include "internal.h"

#define PAGE_SIZE_ ((uint64_t)1 << TARGET_PAGE_BITS)
#define PAGE_MASK_ (~(PAGE_SIZE_ - 1))

void gen_tb_start(DisasContextBase *db)
{
    TCGv_i32 req = tcg_temp_ebb_new_i32();

    db->exit_label = gen_new_label();
    tcg_gen_ld_i32(req, temp_tcgv_ptr(tcg_ctx->env),
                   EXIT_REQUEST_OFFSET_FROM_ENV);
    tcg_gen_brcondi_i32(TCG_COND_NE, req, 0, db->exit_label);
    tcg_temp_free_i32(req);
}

void gen_tb_end(DisasContextBase *db)
{
    if (db->exit_label) {
        gen_set_label(db->exit_label);
        tcg_gen_exit_tb(db->tb, TB_EXIT_REQUESTED);
    }
}

bool translator_use_goto_tb(DisasContextBase *db, uint64_t dest)
{
    if (db->tb->cflags & CF_NOCHAIN) {
        return false;
    }
    return ((db->pc_first ^ dest) & PAGE_MASK_) == 0;
}

void translator_goto_ptr(DisasContextBase *db, TCGv_i64 pc)
{
    TranslationBlock *tb = db->tb;
    TCGv_ptr env = temp_tcgv_ptr(tcg_ctx->env);
    TCGLabel *miss;
    TCGv_i64 idx, t;
    TCGv_ptr p;

    /*
     * One-off TBs (a count, single-step, no chaining) and -d exec (the
     * helper logs each lookup) keep the helper; so does a key the cache
     * would not hold (cflags other than the loop's usual 0).
     */
    if (tb->cflags != 0 || emu_log_enabled(LOG_EXEC)) {
        tcg_gen_lookup_and_goto_ptr();
        return;
    }
    miss = gen_new_label();
    idx = tcg_temp_new_i64();
    t = tcg_temp_new_i64();
    p = tcg_temp_new_ptr();

    /* tb_jc_hash(pc) * sizeof(pointer) */
    tcg_gen_shri_i64(t, pc, TB_JC_SLOT_BITS);
    tcg_gen_xor_i64(idx, pc, t);
    tcg_gen_andi_i64(idx, idx, (1u << TB_JC_SLOT_BITS) - 1);
    {
        TCGv_i64 g = tcg_temp_new_i64();
        TCGv_i64 u = tcg_temp_new_i64();

        tcg_gen_shri_i64(g, pc, TARGET_PAGE_BITS);
        tcg_gen_shri_i64(u, g, TB_JC_GROUP_BITS);
        tcg_gen_xor_i64(t, g, u);
        tcg_gen_shri_i64(u, u, TB_JC_GROUP_BITS);
        tcg_gen_xor_i64(t, t, u);
        tcg_gen_andi_i64(t, t, (1u << TB_JC_GROUP_BITS) - 1);
        tcg_temp_free_i64(g);
        tcg_temp_free_i64(u);
    }
    tcg_gen_shli_i64(t, t, TB_JC_SLOT_BITS);
    tcg_gen_or_i64(idx, idx, t);
    tcg_gen_shli_i64(idx, idx, 3);

    /* tb = jmp_cache->tb[idx]; NULL: miss */
    tcg_gen_ld_ptr(p, env, JMP_CACHE_OFFSET_FROM_ENV);
    {
        TCGv_ptr o = tcg_temp_new_ptr();

        tcg_gen_trunc_i64_ptr(o, idx);
        tcg_gen_add_ptr(p, p, o);
        tcg_temp_free_ptr(o);
    }
    tcg_gen_ld_ptr(p, p, 0);
    tcg_gen_extu_ptr_i64(t, p);
    tcg_gen_brcondi_i64(TCG_COND_EQ, t, 0, miss);

    /* the key; an invalidated TB has CF_INVALID in cflags and misses */
    tcg_gen_ld_i64(t, p, offsetof(TranslationBlock, pc));
    tcg_gen_brcond_i64(TCG_COND_NE, t, pc, miss);
    tcg_gen_ld_i64(t, p, offsetof(TranslationBlock, cs_base));
    tcg_gen_brcondi_i64(TCG_COND_NE, t, (int64_t)tb->cs_base, miss);
    tcg_gen_ld32u_i64(t, p, offsetof(TranslationBlock, flags));
    tcg_gen_brcondi_i64(TCG_COND_NE, t, (int64_t)tb->flags, miss);
    tcg_gen_ld32u_i64(t, p, offsetof(TranslationBlock, cflags));
    tcg_gen_brcondi_i64(TCG_COND_NE, t, 0, miss);

    tcg_gen_ld_ptr(p, p, offsetof(TranslationBlock, tc.ptr));
    tcg_gen_goto_ptr(p);

    gen_set_label(miss);
    tcg_gen_lookup_and_goto_ptr();
    tcg_temp_free_i64(idx);
    tcg_temp_free_i64(t);
    tcg_temp_free_ptr(p);
}

/* ---- Code fetch ---- */

static void load_first_page(void *env, DisasContextBase *db)
{
    void *host = NULL;
    uint64_t page = db->pc_first & PAGE_MASK_;
    uint64_t phys = get_page_addr_code_hostp(env, db->pc_first, &host);

    db->page_vaddr[0] = page;
    db->page_loaded[0] = true;
    db->page_host[0] = NULL;
    if (phys != TB_PAGE_ADDR_INVALID && host) {
        db->page_host[0] = (const uint8_t *)host - (db->pc_first - page);
    }
    db->page_loaded[1] = false;
    db->page_host[1] = NULL;
}

/* Index (0/1) of the loaded page holding pc, loading the second if needed */
static int code_page(void *env, DisasContextBase *db, uint64_t pc)
{
    uint64_t page = pc & PAGE_MASK_;
    TranslationBlock *tb = db->tb;
    void *host = NULL;
    uint64_t phys;

    if (page == db->page_vaddr[0]) {
        return 0;
    }
    if (db->page_loaded[1] && page == db->page_vaddr[1]) {
        return 1;
    }
    if (db->num_insns > 1) {
        /*
         * This insn reaches into another page, which may fault: let it
         * start the next TB instead, so that a fault sees its state.
         */
        tb_gen_restart_with(db->num_insns - 1);
    }
    if (db->page_loaded[1] || page != db->page_vaddr[0] + PAGE_SIZE_) {
        /* one insn spanning three pages: no ISA we know has that */
        fprintf(stderr, "emu: translator: code read at 0x%" PRIx64
                " is not on the page of the insn at 0x%" PRIx64 "\n",
                pc, db->pc_first);
        abort();
    }
    phys = get_page_addr_code_hostp(env, page, &host);
    db->page_vaddr[1] = page;
    db->page_loaded[1] = true;
    if (phys == TB_PAGE_ADDR_INVALID || !host) {
        /* runs into I/O memory: a one-off TB, never cached */
        db->page_host[1] = NULL;
        tb->page_addr[0] = TB_PAGE_ADDR_INVALID;
        tb->page_addr[1] = TB_PAGE_ADDR_INVALID;
    } else {
        db->page_host[1] = host;
        if (tb->page_addr[0] != TB_PAGE_ADDR_INVALID) {
            tb->page_addr[1] = phys & PAGE_MASK_;
        }
    }
    return 1;
}

static void translator_read(void *env, DisasContextBase *db, uint64_t pc,
                            uint8_t *buf, unsigned len)
{
    int n = code_page(env, db, pc);
    uint64_t off = pc - db->page_vaddr[n];

    if (likely(db->page_host[n] && off + len <= PAGE_SIZE_)) {
        memcpy(buf, db->page_host[n] + off, len);
        return;
    }
    for (unsigned i = 0; i < len; i++) {
        uint64_t a = pc + i;
        n = code_page(env, db, a);
        if (db->page_host[n]) {
            buf[i] = db->page_host[n][a - db->page_vaddr[n]];
        } else {
            buf[i] = (uint8_t)cpu_ld_code(env, a, MO_UB);
        }
    }
}

static uint64_t assemble(const DisasContextBase *db, const uint8_t *b,
                         unsigned len)
{
    uint64_t v = 0;

    if (db->code_big_endian) {
        for (unsigned i = 0; i < len; i++) {
            v = (v << 8) | b[i];
        }
    } else {
        for (unsigned i = len; i-- > 0;) {
            v = (v << 8) | b[i];
        }
    }
    return v;
}

uint8_t translator_ldub(void *env, DisasContextBase *db, uint64_t pc)
{
    uint8_t b;

    translator_read(env, db, pc, &b, 1);
    return b;
}

uint16_t translator_lduw(void *env, DisasContextBase *db, uint64_t pc)
{
    uint8_t b[2];

    translator_read(env, db, pc, b, 2);
    return (uint16_t)assemble(db, b, 2);
}

uint32_t translator_ldl(void *env, DisasContextBase *db, uint64_t pc)
{
    uint8_t b[4];

    translator_read(env, db, pc, b, 4);
    return (uint32_t)assemble(db, b, 4);
}

uint64_t translator_ldq(void *env, DisasContextBase *db, uint64_t pc)
{
    uint8_t b[8];

    translator_read(env, db, pc, b, 8);
    return assemble(db, b, 8);
}

/* ---- -d in_asm ---- */

static void log_in_asm(CPUState *cs, DisasContextBase *db)
{
    TranslationBlock *tb = db->tb;
    FILE *f = log_file();
    uint8_t *code = emu_malloc(tb->size ? tb->size : 1);
    uint32_t got = 0;

    /* only from pages the translation read: no new faults here */
    for (; got < tb->size; got++) {
        uint64_t a = tb->pc + got;
        uint64_t page = a & PAGE_MASK_;
        int n = page == db->page_vaddr[0] ? 0
              : (db->page_loaded[1] && page == db->page_vaddr[1]) ? 1 : -1;
        if (n < 0 || !db->page_host[n]) {
            break;
        }
        code[got] = db->page_host[n][a - page];
    }
    fprintf(f, "----------------\nIN: \n");
    if (cs->cc->disas_log && got) {
        cs->cc->disas_log(cs, f, tb->pc, code, got);
    } else {
        for (uint32_t i = 0; i < got; i += 16) {
            fprintf(f, "0x%016" PRIx64 ": ", tb->pc + i);
            for (uint32_t j = i; j < got && j < i + 16; j++) {
                fprintf(f, " %02x", code[j]);
            }
            fprintf(f, "\n");
        }
    }
    fprintf(f, "\n");
    fflush(f);
    free(code);
}

/* ---- The loop ---- */

void translator_loop(CPUState *cs, TranslationBlock *tb, int max_insns,
                     const TranslatorOps *ops, DisasContextBase *db)
{
    void *env = cs->env_ptr;

    db->tb = tb;
    db->pc_first = tb->pc;
    db->pc_next = tb->pc;
    db->is_jmp = DISAS_NEXT;
    db->num_insns = 0;
    db->max_insns = max_insns;
    db->singlestep_enabled = (tb->cflags & CF_SINGLE_STEP) != 0;
    db->code_big_endian = false;
    db->exit_label = NULL;
    load_first_page(env, db);

    ops->init_disas_context(db, cs);
    assert(db->is_jmp == DISAS_NEXT);
    if (db->max_insns < 1) {
        db->max_insns = 1;
    }

    gen_tb_start(db);
    ops->tb_start(db, cs);

    for (;;) {
        db->num_insns++;
        ops->insn_start(db, cs);
        ops->translate_insn(db, cs);

        if (db->is_jmp != DISAS_NEXT) {
            break;
        }
        if (db->num_insns >= db->max_insns) {
            db->is_jmp = DISAS_TOO_MANY;
            break;
        }
        if ((db->pc_next ^ db->pc_first) & PAGE_MASK_) {
            /* the next insn starts on another page: see translator.h */
            db->is_jmp = DISAS_TOO_MANY;
            break;
        }
    }

    ops->tb_stop(db, cs);
    gen_tb_end(db);

    tb->size = (uint32_t)(db->pc_next - db->pc_first);
    tb->icount = (uint16_t)db->num_insns;

    if (unlikely(emu_log_enabled(LOG_TB_IN_ASM))) {
        log_in_asm(cs, db);
    }
}
