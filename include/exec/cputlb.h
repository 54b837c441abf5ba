/*
 * The softmmu: a per-vCPU software TLB and the slow paths of guest memory
 * accesses (accel/tcg/cputlb.c).
 *
 * Layout.  Per vCPU and MMU mode, a direct-mapped table of CPUTLBEntry
 * (include/tcg/tcg.h) that generated code reads through
 * cs->neg->tlb.f[mmu_idx] (mask = (n_entries - 1) << CPU_TLB_ENTRY_BITS,
 * index = (addr >> page_bits) & (n_entries - 1)), an 8-entry victim cache,
 * and a parallel private array with what the slow path needs (physical
 * and RAM address of the page).  Tables start at 256 entries and are
 * resized (256 .. 16384) when a mode is flushed, by how many entries the
 * mode used since the previous flushes.
 *
 * Entries.  addr_read/addr_write/addr_code hold the guest page address,
 * or -1 when that access is not allowed, plus TLB_* flags in the low bits:
 *   TLB_MMIO      not directly accessible RAM (I/O, unassigned, sub-page
 *                 regions, ROM and read-only RAM for writes, ROM devices
 *                 not in ROMD mode): the access goes through
 *                 address_space_load/store.
 *   TLB_NOTDIRTY  (addr_write only) the page may hold translated code, or
 *                 a dirty-tracking client (VGA, migration) has its bit
 *                 clear: the slow path invalidates the code and sets the
 *                 dirty bits, then clears the flag once nothing needs
 *                 watching any more.
 *
 * ADDRESS DOMAIN OF TRANSLATED CODE (decision, for accel/tcg's engine):
 * code pages are keyed by RAM ADDRESS (ram_addr_t, the offset in the
 * global RAM space of system/physmem.c), not by guest physical address.
 * get_page_addr_code() returns the ram_addr of the code byte, and every
 * tb_page_addr_t given to exec/tb-internal.h (tb_invalidate_phys_range,
 * tb_invalidate_phys_range_by_store, tb_page_has_code) is a ram_addr.
 * Why: the dirty bitmaps and the writes of devices, DMA and loaders are
 * in ram_addr terms already (no reverse mapping, aliases come for free),
 * and remapping guest memory (PAM shadowing of the BIOS, SMRAM, moving a
 * BAR over RAM) changes which bytes a physical address shows: keys in
 * ram_addr terms cannot then find stale code.
 *
 * Write protection of code pages uses the DIRTY_MEMORY_CODE bitmap: a
 * clear bit means "may hold code".  get_page_addr_code_hostp() and
 * tlb_protect_code() clear it (and set TLB_NOTDIRTY in every TLB entry
 * writing that page) when a page is used for code; the bit is set again
 * only when a write leaves the page without TBs, so a page with TBs is
 * always protected.  Writes by other agents reach the hook registered with
 * ram_set_write_hooks(), which calls tb_invalidate_phys_range() (BQL held;
 * the range can be gigabytes when a RAM block is created).
 *
 * Threads.  A vCPU's TLB is changed only by its own thread.  Flushes asked
 * for another vCPU are run directly when that vCPU cannot be running on
 * another thread (it is current_cpu, not created yet, or its cs->thread
 * is the calling thread, as with round-robin TCG when every vCPU's
 * cs->thread names the one TCG thread); otherwise they are queued and the
 * vCPU is kicked (cpu_exit): the engine calls tlb_run_pending_flushes()
 * at each iteration of its loop, before entering a TB.  The memory API (flat views, dirty bitmaps, MMIO) is
 * used with the BQL, taken by the slow paths when the thread lacks it.
 */
#ifndef EXEC_CPUTLB_H
#define EXEC_CPUTLB_H

#include "emu/osdep.h"
#include "tcg/tcg.h"
#include "hw/core/cpu.h"
#include "system/memory.h"

/* prot bits of tlb_set_page */
#define PAGE_READ  0x1
#define PAGE_WRITE 0x2
#define PAGE_EXEC  0x4
#define PAGE_RWX   (PAGE_READ | PAGE_WRITE | PAGE_EXEC)

#define CPU_VTLB_SIZE 8
#define CPU_TLB_DYN_MIN_BITS 8
#define CPU_TLB_DYN_DEFAULT_BITS 8
#define CPU_TLB_DYN_MAX_BITS 14

/* ---- Life cycle (the vCPU's creator; cs->cc, cs->neg set; cs->as or
 * address_space_memory) ---- */
void tlb_init(CPUState *cs);
void tlb_destroy(CPUState *cs);

/*
 * From the target's tlb_fill: map the page holding vaddr to the guest
 * physical page holding paddr with PAGE_* rights, in mmu_idx.  size is
 * the size of the guest's mapping (>= the target page; a power of two):
 * flushing any page of a large mapping flushes the whole mode.
 */
void tlb_set_page(CPUState *cs, uint64_t vaddr, uint64_t paddr, int prot,
                  int mmu_idx, uint64_t size);

/* ---- Flushes ---- */
/* All modes / the modes in idxmap (bit n = mode n) */
void tlb_flush(CPUState *cs);
void tlb_flush_by_mmuidx(CPUState *cs, uint16_t idxmap);
/* The target page holding addr, in all modes / the modes in idxmap */
void tlb_flush_page(CPUState *cs, uint64_t addr);
void tlb_flush_page_by_mmuidx(CPUState *cs, uint64_t addr, uint16_t idxmap);
/*
 * Every vCPU.  "synced": the caller's vCPU and every vCPU on this thread
 * are flushed on return; vCPUs of other threads before their next TB.
 */
void tlb_flush_all_cpus_synced(CPUState *src);
void tlb_flush_by_mmuidx_all_cpus_synced(CPUState *src, uint16_t idxmap);
void tlb_flush_page_all_cpus_synced(CPUState *src, uint64_t addr);
void tlb_flush_page_by_mmuidx_all_cpus_synced(CPUState *src, uint64_t addr,
                                              uint16_t idxmap);
/* Engine: run flushes other threads queued for cs (cs's own thread) */
void tlb_run_pending_flushes(CPUState *cs);
/*
 * Obsolete: the softmmu calls tb_jmp_cache_clear() and
 * tb_jmp_cache_clear_page() (exec/tb-internal.h) itself and never calls
 * this.  Kept only while the engine still assigns it; to be removed.
 */
extern void (*tlb_flush_jmp_cache_hook)(CPUState *cs, uint64_t page);

/*
 * Write-protect the target page holding code page key addr (a ram_addr,
 * see above) for translated code: clears its DIRTY_MEMORY_CODE bit and
 * routes every CPU's writes to it through the slow path.
 * get_page_addr_code_hostp() already does this; cheap when already
 * protected (takes the BQL when the thread lacks it).
 */
void tlb_protect_code(CPUState *cs, uint64_t addr);

/* ---- Code fetch (engine) ---- */
/*
 * The code page key of addr (its ram_addr, see above) for instruction
 * fetch in the CPU's current mode (cc->mmu_index(cs, true)), filling the
 * TLB; a fault is raised to the guest (retaddr 0: the state must be at
 * the TB start).  Returns -1 if the page is not RAM/ROM (the engine then
 * executes one insn at a time without caching, reading through
 * cpu_ld*_code).
 * get_page_addr_code() is for lookups: a page that still has TBs is
 * always write-protected, so it does not touch the protection (it is
 * called on every TB hash lookup).  get_page_addr_code_hostp() is for
 * translating: it also write-protects the page (taking the BQL when the
 * thread lacks it) and sets *hostp to the host pointer of addr, NULL
 * when -1.
 */
uint64_t get_page_addr_code(void *env, uint64_t addr);
uint64_t get_page_addr_code_hostp(void *env, uint64_t addr, void **hostp);

/* ---- Probes (helpers) ---- */
/*
 * Make [addr, addr+size) (within one page) accessible for access_type,
 * raising a guest fault if not.  Returns the host pointer, or NULL if the
 * page is not plain RAM (I/O: use cpu_ld/st).  For stores, translated
 * code on the range is invalidated and the page marked dirty first.
 */
void *probe_access(void *env, uint64_t addr, int size,
                   MMUAccessType access_type, int mmu_idx,
                   uintptr_t retaddr);
/*
 * Same without faulting when nonfault: returns the entry's TLB_* flags
 * (TLB_INVALID_MASK when the page is not accessible), *phost as above.
 */
int probe_access_flags(void *env, uint64_t addr, int size,
                       MMUAccessType access_type, int mmu_idx, bool nonfault,
                       void **phost, uintptr_t retaddr);
/* Host pointer if addr is plain RAM accessible without fault, else NULL */
void *tlb_vaddr_to_host(void *env, uint64_t addr, MMUAccessType access_type,
                        int mmu_idx);

/* ---- Loads and stores from C helpers ---- */
/*
 * Same path as generated code's slow path.  retaddr: GETPC() of the
 * helper (0 when not called from a TB).  Loads return the value extended
 * per the MemOp.
 */
static inline uint64_t cpu_ld_mmu(void *env, uint64_t addr, MemOpIdx oi,
                                  uintptr_t ra)
{
    return helper_ld_mmu(env, addr, oi, ra);
}
static inline void cpu_st_mmu(void *env, uint64_t addr, uint64_t val,
                              MemOpIdx oi, uintptr_t ra)
{
    helper_st_mmu(env, addr, val, oi, ra);
}
/* Instruction fetch (MMU_INST_FETCH rights, code mmu index) */
uint64_t cpu_ld_code(void *env, uint64_t addr, MemOp op);

static inline int cpu_env_mmu_index(void *env, bool ifetch)
{
    CPUState *cs = env_cpu(env);
    return cs->cc->mmu_index ? cs->cc->mmu_index(cs, ifetch) : 0;
}

#define CPU_LDST_MMUIDX(name, rtype, op)                                    \
static inline rtype cpu_ld##name##_mmuidx_ra(void *env, uint64_t addr,     \
                                             int mmu_idx, uintptr_t ra)     \
{                                                                           \
    return (rtype)helper_ld_mmu(env, addr, make_memop_idx(op, mmu_idx), ra);\
}                                                                           \
static inline rtype cpu_ld##name##_data_ra(void *env, uint64_t addr,       \
                                           uintptr_t ra)                    \
{                                                                           \
    int mmu_idx = cpu_env_mmu_index(env, false);                            \
    return cpu_ld##name##_mmuidx_ra(env, addr, mmu_idx, ra);                \
}                                                                           \
static inline rtype cpu_ld##name##_data(void *env, uint64_t addr)          \
{                                                                           \
    return cpu_ld##name##_data_ra(env, addr, 0);                            \
}

CPU_LDST_MMUIDX(ub, uint32_t, MO_UB)
CPU_LDST_MMUIDX(sb, int32_t, MO_SB)
CPU_LDST_MMUIDX(uw_le, uint32_t, MO_LEUW)
CPU_LDST_MMUIDX(sw_le, int32_t, MO_LESW)
CPU_LDST_MMUIDX(l_le, uint32_t, MO_LEUL)
CPU_LDST_MMUIDX(q_le, uint64_t, MO_LEUQ)
CPU_LDST_MMUIDX(uw_be, uint32_t, MO_BEUW)
CPU_LDST_MMUIDX(sw_be, int32_t, MO_BESW)
CPU_LDST_MMUIDX(l_be, uint32_t, MO_BEUL)
CPU_LDST_MMUIDX(q_be, uint64_t, MO_BEUQ)
#undef CPU_LDST_MMUIDX

#define CPU_ST_MMUIDX(name, vtype, op)                                      \
static inline void cpu_st##name##_mmuidx_ra(void *env, uint64_t addr,      \
                                            vtype val, int mmu_idx,         \
                                            uintptr_t ra)                   \
{                                                                           \
    helper_st_mmu(env, addr, val, make_memop_idx(op, mmu_idx), ra);         \
}                                                                           \
static inline void cpu_st##name##_data_ra(void *env, uint64_t addr,        \
                                          vtype val, uintptr_t ra)          \
{                                                                           \
    int mmu_idx = cpu_env_mmu_index(env, false);                            \
    cpu_st##name##_mmuidx_ra(env, addr, val, mmu_idx, ra);                  \
}                                                                           \
static inline void cpu_st##name##_data(void *env, uint64_t addr, vtype val)\
{                                                                           \
    cpu_st##name##_data_ra(env, addr, val, 0);                              \
}

CPU_ST_MMUIDX(b, uint32_t, MO_UB)
CPU_ST_MMUIDX(w_le, uint32_t, MO_LEUW)
CPU_ST_MMUIDX(l_le, uint32_t, MO_LEUL)
CPU_ST_MMUIDX(q_le, uint64_t, MO_LEUQ)
CPU_ST_MMUIDX(w_be, uint32_t, MO_BEUW)
CPU_ST_MMUIDX(l_be, uint32_t, MO_BEUL)
CPU_ST_MMUIDX(q_be, uint64_t, MO_BEUQ)
#undef CPU_ST_MMUIDX

static inline uint32_t cpu_ldub_code(void *env, uint64_t addr)
{
    return (uint32_t)cpu_ld_code(env, addr, MO_UB);
}

/* ---- Statistics (info jit) ---- */
typedef struct TLBStats {
    uint64_t full_flushes;      /* modes flushed whole */
    uint64_t page_flushes;      /* page flush requests */
    uint64_t fills;             /* misses that called tlb_fill */
    uint64_t victim_hits;
    uint64_t resizes;
} TLBStats;
/* Sum over all vCPUs (racy reads: for display) */
void tlb_get_stats(TLBStats *st);

#endif
