/*
 * A translation block: the unit of translated guest code.  The first part
 * is what the back ends fill or read during code generation and chaining;
 * the rest belongs to the execution engine (accel/tcg).
 */
#ifndef EXEC_TRANSLATION_BLOCK_H
#define EXEC_TRANSLATION_BLOCK_H

#include "emu/osdep.h"
#include "tcg/tcg.h"

/* cflags */
#define CF_COUNT_MASK    0x000001ff  /* max guest insns (0 = TCG_MAX_INSNS) */
#define CF_NOCHAIN       0x00000200  /* never chain (-d nochain) */
#define CF_LAST_IO       0x00000400  /* last insn may do I/O */
#define CF_SINGLE_STEP   0x00000800  /* gdbstub single-step */
#define CF_INVALID       0x00010000  /* invalidated: never enter */

#define TB_JMP_OFFSET_INVALID 0xffff

struct TranslationBlock {
    /* ---- key ---- */
    uint64_t pc;            /* guest virtual address of the first insn */
    uint64_t cs_base;       /* target-specific (x86: CS base) */
    uint32_t flags;         /* target-specific CPU mode bits */
    uint32_t cflags;
    uint64_t phys_pc;       /* guest physical address of the first insn */

    /* ---- filled by the front end ---- */
    uint32_t size;          /* guest bytes covered */
    uint16_t icount;        /* guest insns */

    /* ---- filled by the back end ---- */
    struct {
        const void *ptr;    /* rx address of the code */
        uint32_t size;      /* bytes of code */
    } tc;
    /*
     * goto_tb slot n: offset (from tc.ptr) of the patchable jump, and of
     * the code right after it (the unchained exit path).
     */
    uint16_t jmp_insn_offset[2];
    uint16_t jmp_reset_offset[2];
    /* interpreter: where the bytecode's slot n target pointer lives (rw) */
    uintptr_t *jmp_target_slot[2];

    /*
     * Per guest insn, for restoring state from a host pc: the code offset
     * where the insn's code ends, and the insn_start words.  Allocated by
     * the engine with icount entries.
     */
    uint32_t *insn_end_off;
    uint64_t (*insn_data)[TCG_INSN_START_WORDS];

    /* ---- engine private (accel/tcg) ---- */
    uint64_t page_addr[2];  /* guest physical pages (second = -1 if none) */
    struct TranslationBlock *page_next[2];   /* TBs on the same page */
    struct TranslationBlock *hash_next;      /* hash chain */
    /* chaining: outgoing destinations and incoming list */
    struct TranslationBlock *jmp_dest[2];
    struct TranslationBlock *jmp_list_head;  /* TBs jumping to us */
    struct TranslationBlock *jmp_list_next[2];
    int jmp_list_slot_of_head;
};

#endif
