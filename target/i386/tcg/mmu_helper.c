/* x86 translator: the page walk behind the softmmu TLB (2-level/PSE, PAE, 4-level; A/D bits; NX; SMEP; #PF). */
#include "emu/osdep.h"
#include "emu/log.h"
#include "exec/cputlb.h"
#include "target/i386/tcg/translate.h"

#define PG_P    (1ull << 0)
#define PG_RW   (1ull << 1)
#define PG_US   (1ull << 2)
#define PG_A    (1ull << 5)
#define PG_D    (1ull << 6)
#define PG_PS   (1ull << 7)
#define PG_NX   (1ull << 63)
#define PG_ADDR 0x000ffffffffff000ull

/* #PF error code bits */
#define PF_P    1u
#define PF_W    2u
#define PF_U    4u
#define PF_RSVD 8u
#define PF_I    16u

/* CR4.SMEP: no instruction fetch at CPL < 3 from a user page */
#define X86_CR4_SMEP (1u << 20)

int x86_tcg_mmu_index(CPUState *cs, bool ifetch)
{
    CPUX86State *env = cs->env_ptr;

    return (env->hflags & HF_CPL_MASK) == 3 ? X86_MMU_IDX_USER
                                            : X86_MMU_IDX_KERNEL;
}

typedef struct Walk {
    AddressSpace *as;
    FlatView *fv;           /* held by the caller for the whole walk */
    bool wide;              /* 8-byte entries */
    bool user_ok, write_ok, nx;
} Walk;

static uint64_t pte_read(Walk *w, uint64_t a)
{
    uint64_t v;

    /* whatever an unassigned address reads as, as address_space_ldq_le */
    flatview_load(w->as, w->fv, a, w->wide ? 8 : 4, false, &v);
    return v;
}

/*
 * Set an entry's accessed bit (and the leaf's dirty bit for a write).
 * Not atomic against other vCPUs walking the same tables: a lost A/D
 * update only costs the guest's page-aging accuracy.  Both bits sit in
 * the low word of 8-byte entries too.
 */
static void pte_use(Walk *w, uint64_t a, uint64_t *e, bool leaf, bool write)
{
    uint64_t set = PG_A | (leaf && write ? PG_D : 0);

    if ((*e & set) != set) {
        *e |= set;
        flatview_store(w->as, w->fv, a, 4, false, (uint32_t)*e);
    }
}

/*
 * Translate addr.  Returns false with *err set for a #PF.  The A/D bits
 * are only written for an access that is allowed: faults leave the
 * tables as they were.
 */
static bool walk(CPUX86State *env, AddressSpace *as, FlatView *fv,
                 uint64_t addr, MMUAccessType type, bool user, uint64_t *pa,
                 int *prot, uint64_t *size, uint32_t *err)
{
    bool write = type == MMU_DATA_STORE, fetch = type == MMU_INST_FETCH;
    bool nxe = env->efer & MSR_EFER_NXE;
    bool smep = !user && (env->cr[4] & X86_CR4_SMEP);
    uint64_t rsvd_nx = nxe ? 0 : PG_NX;
    Walk w = { .as = as, .fv = fv, .user_ok = true, .write_ok = true };
    uint64_t ea[4], e[4], base;
    int levels, n = 0, shift;

    *err = (write ? PF_W : 0) | (user ? PF_U : 0) |
           (fetch && (nxe || (env->cr[4] & X86_CR4_SMEP)) ? PF_I : 0);
    if (env->efer & MSR_EFER_LMA) {
        levels = 4;
        w.wide = true;
        base = env->cr[3] & PG_ADDR;
    } else if (env->cr[4] & CR4_PAE_MASK) {
        uint64_t pdpte, a = (env->cr[3] & 0xffffffe0u) + ((addr >> 30) & 3) * 8;

        w.wide = true;
        pdpte = pte_read(&w, a);
        if (!(pdpte & PG_P)) {
            return false;
        }
        if (pdpte & 0x1e6) {
            *err |= PF_RSVD | PF_P;
            return false;
        }
        levels = 2;
        base = pdpte & PG_ADDR;
    } else {
        levels = 2;
        base = env->cr[3] & 0xfffff000u;
    }
    for (int l = levels; l >= 1; l--) {
        uint64_t idx;
        bool leaf;

        shift = 12 + (w.wide ? 9 : 10) * (l - 1);
        idx = (addr >> shift) & (w.wide ? 511 : 1023);
        ea[n] = base + idx * (w.wide ? 8 : 4);
        e[n] = pte_read(&w, ea[n]);
        if (!(e[n] & PG_P)) {
            return false;
        }
        if (w.wide && (e[n] & rsvd_nx)) {
            *err |= PF_RSVD | PF_P;
            return false;
        }
        leaf = l == 1 || ((e[n] & PG_PS) &&
                          (l == 2 ? (w.wide || (env->cr[4] & CR4_PSE_MASK))
                                  : l == 3 && levels == 4));
        w.user_ok &= !!(e[n] & PG_US);
        w.write_ok &= !!(e[n] & PG_RW);
        w.nx |= w.wide && (e[n] & PG_NX);
        n++;
        if (leaf) {
            uint64_t mask = (1ull << shift) - 1;

            if (w.wide) {
                base = e[n - 1] & PG_ADDR & ~mask;
            } else if (l == 2) {
                /* PSE-36: bits 13-16 give physical bits 32-35 */
                base = (e[n - 1] & 0xffc00000u) |
                       ((e[n - 1] & 0x1e000ull) << 19);
            } else {
                base = e[n - 1] & 0xfffff000u;
            }
            *size = 1ull << shift;
            *pa = base | (addr & mask & ~0xfffull);
            break;
        }
        base = e[n - 1] & (w.wide ? PG_ADDR : 0xfffff000u);
    }
    /* a present translation: now the rights */
    *err |= PF_P;
    if (user && !w.user_ok) {
        return false;
    }
    if (write && !w.write_ok && (user || (env->cr[0] & CR0_WP_MASK))) {
        return false;
    }
    if (fetch && ((nxe && w.nx) || (smep && w.user_ok))) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        pte_use(&w, ea[i], &e[i], i == n - 1, write);
    }
    *prot = PAGE_READ;
    if (!(nxe && w.nx) && !(smep && w.user_ok)) {
        *prot |= PAGE_EXEC;
    }
    /*
     * Writable in the TLB only once the dirty bit is set, so that the
     * first write after a read comes back here to set it.
     */
    if ((e[n - 1] & PG_D) &&
        (user ? w.write_ok : (w.write_ok || !(env->cr[0] & CR0_WP_MASK)))) {
        *prot |= PAGE_WRITE;
    }
    return true;
}

bool x86_tcg_tlb_fill(CPUState *cs, uint64_t addr, int size,
                      MMUAccessType access_type, int mmu_idx, bool probe,
                      uintptr_t retaddr)
{
    CPUX86State *env = cs->env_ptr;
    uint64_t pa = 0, psize = 4096;
    uint32_t err;
    int prot = 0;
    FlatView *fv;
    bool ok;

    if (!(env->cr[0] & CR0_PG_MASK)) {
        /* A20 masking is not modelled in the TLB */
        tlb_set_page(cs, addr & ~0xfffull, addr & ~0xfffull, PAGE_RWX,
                     mmu_idx, 4096);
        return true;
    }
    fv = address_space_get_flatview(cs->as);
    ok = walk(env, cs->as, fv, addr, access_type,
              mmu_idx == X86_MMU_IDX_USER, &pa, &prot, &psize, &err);
    flatview_unref(fv);
    if (!ok) {
        if (probe) {
            return false;
        }
        emu_log_mask(LOG_MMU, "x86: #PF at 0x%" PRIx64 " err 0x%x\n", addr,
                     err);
        env->cr[2] = addr;
        x86_raise_exception_err(env, EXCP0E_PAGE, err, retaddr);
    }
    tlb_set_page(cs, addr & ~0xfffull, pa, prot, mmu_idx, psize);
    return true;
}
