/* x86 translator: rep movs / rep stos in bulk, a page at a time, where the pages are plain RAM. */
#include "emu/osdep.h"
#include "exec/cputlb.h"
#include "target/i386/tcg/translate.h"

/* Pages one call moves at most: the TB loop checks for interrupts between */
#define REP_FAST_MAX_PAGES 16

/* Bytes from addr to the end of its 4 KiB page */
static uint64_t page_room(uint64_t addr)
{
    return 4096 - (addr & 4095);
}

/*
 * Probe len bytes at guest addr (one page) without faulting: the TLB_*
 * flags (0: plain RAM, *host valid; TLB_INVALID_MASK: the access would
 * fault, left to the element code, which raises it architecturally).
 */
static int probe(CPUX86State *env, uint64_t addr, uint64_t len,
                 MMUAccessType type, int mmu_idx, void **host)
{
    return probe_access_flags(env, addr, (int)len, type, mmu_idx, true, host,
                              0);
}

/*
 * rep stos: n elements of size sz at host dst, each the low sz bytes of v.
 * Wider elements go by memset when their bytes are all alike (zeroing,
 * the common case), else by one 64-byte run of the pattern doubled with
 * memcpy: an element at a time ran at a fifth of memset's speed.
 */
static void fill(uint8_t *dst, uint64_t n, unsigned sz, uint64_t v)
{
    uint64_t len = n * sz, done;
    uint8_t le[8];
    bool alike = true;

    /* guest memory is little-endian whatever the host */
    for (unsigned i = 0; i < sz; i++) {
        le[i] = (uint8_t)(v >> (8 * i));
        alike &= le[i] == le[0];
    }
    if (alike) {
        memset(dst, le[0], len);
        return;
    }
    /* 64 and len are multiples of sz: every copy keeps the phase */
    done = MIN(len, 64);
    for (uint64_t i = 0; i < done; i += sz) {
        memcpy(dst + i, le, sz);
    }
    while (done < len) {
        uint64_t chunk = MIN(done, len - done);

        memcpy(dst + done, dst, chunk);
        done += chunk;
    }
}

/*
 * Forward element-by-element copy semantics: where the destination starts
 * inside the source (dst > src, overlapping), each element reads what an
 * earlier one wrote, which memmove would not reproduce.
 */
static void copy_forward(uint8_t *dst, const uint8_t *src, uint64_t len,
                         unsigned sz)
{
    if (dst <= src || dst >= src + len) {
        memmove(dst, src, len);
        return;
    }
    for (uint64_t i = 0; i < len; i += sz) {
        memmove(dst + i, src + i, sz);
    }
}

/*
 * arg: bits 0-1 the element size (MemOp), bit 2 movs (else stos), bits
 * 3-5 the source segment of movs, bits 8-15 the MMU index.  64-bit mode
 * with 64-bit addresses only (the translator checks): segment bases are
 * zero but for an FS/GS override of the source.  Moves whole elements
 * while DF is clear, both sides stay within pages of plain RAM and the
 * count lasts; leaves rcx/rsi/rdi at the first element not done, for the
 * per-element code that follows (faults, MMIO, code pages, page-crossing
 * elements, DF set).
 */
static void helper_rep_fast(void *envp, uint32_t arg)
{
    uintptr_t ra = GETPC();
    CPUX86State *env = envp;
    unsigned ot = arg & 3, sz = 1u << ot;
    bool movs = arg & 4;
    int seg = (arg >> 3) & 7, mmu_idx = (arg >> 8) & 0xff;
    MemOpIdx oi = make_memop_idx(MO_LE | ot, mmu_idx);
    uint64_t src_base = 0;

    if (env->rflags & (1u << 10)) {
        return;                         /* DF: backwards, element path */
    }
    if (movs && (seg == R_FS || seg == R_GS)) {
        src_base = env->segs[seg].base;
    }
    for (int pages = 0; env->regs[R_ECX] && pages < REP_FAST_MAX_PAGES;
         pages++) {
        uint64_t dst = env->regs[R_EDI];
        uint64_t src = src_base + env->regs[R_ESI];
        uint64_t len = MIN(page_room(dst), env->regs[R_ECX] << ot);
        void *hd = NULL, *hs = NULL;
        int fs = 0, fd;

        if (movs) {
            len = MIN(len, page_room(src));
        }
        len &= ~(uint64_t)(sz - 1);
        if (!len) {
            return;                     /* an element crosses a page */
        }
        if (movs) {
            fs = probe(env, src, len, MMU_DATA_LOAD, mmu_idx, &hs);
        }
        fd = probe(env, dst, len, MMU_DATA_STORE, mmu_idx, &hd);
        if ((fs | fd) & TLB_INVALID_MASK) {
            return;
        }
        if (fs | fd) {
            /*
             * Accessible but not plain RAM (MMIO, a framebuffer being
             * tracked, a page holding code): this page's elements through
             * the softmmu, as the element code would, so that a blit into
             * video memory does not pay a failed probe per element.
             */
            for (uint64_t i = 0; i < len; i += sz) {
                uint64_t v = movs ? cpu_ld_mmu(env, src + i, oi, ra)
                                  : env->regs[R_EAX];
                cpu_st_mmu(env, dst + i, v, oi, ra);
                env->regs[R_EDI] += sz;
                if (movs) {
                    env->regs[R_ESI] += sz;
                }
                env->regs[R_ECX]--;
            }
            continue;
        }
        if (movs) {
            copy_forward(hd, hs, len, sz);
            env->regs[R_ESI] += len;
        } else {
            fill(hd, len >> ot, sz, env->regs[R_EAX]);
        }
        env->regs[R_EDI] += len;
        env->regs[R_ECX] -= len >> ot;
    }
}

const TCGHelperInfo x86_helper_rep_fast = {
    .func = (void *)helper_rep_fast, .name = "rep_fast",
    /*
     * reads and writes rcx/rsi/rdi in env: globals synced and reloaded;
     * rip written before the call (a store to MMIO may fault after all)
     */
    .flags = 0, .ret = TCG_CALL_VOID, .nargs = 2,
    .args = { TCG_CALL_PTR, TCG_CALL_I32 },
};
