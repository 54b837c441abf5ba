/*
 * The front-end API of the translator: functions that append IR ops to the
 * TB being translated, with QEMU's names and argument orders.
 *
 * Rules of the road:
 * - Every op reads all of its inputs before writing its outputs, so any
 *   output may be the same temp as any input (add2 and mulu2 included).
 * - Immediate forms ("addi", "shli", ...) take the value as a C integer
 *   and intern it with tcg_constant_*(); trivial cases become moves at
 *   emission (addi 0, andi -1, shifts by 0, ...).
 * - A shift or rotate immediate must be in [0, width); extract/deposit
 *   positions must describe a field inside the width.  Violations are
 *   programming errors (assert), never guest-reachable.
 * - Division ops have no defined result for a zero divisor or for signed
 *   INT_MIN / -1: the front end must branch around them (or call a helper).
 * - Guest addresses are always I64 temps.
 */
#ifndef TCG_TCG_OP_H
#define TCG_TCG_OP_H

#include "tcg/tcg.h"

/* ---- Moves ---- */
void tcg_gen_mov_i32(TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_mov_i64(TCGv_i64 ret, TCGv_i64 arg);
void tcg_gen_movi_i32(TCGv_i32 ret, int32_t arg);
void tcg_gen_movi_i64(TCGv_i64 ret, int64_t arg);
void tcg_gen_discard_i32(TCGv_i32 arg);
void tcg_gen_discard_i64(TCGv_i64 arg);

/* ---- Arithmetic ---- */
void tcg_gen_add_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_add_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_addi_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2);
void tcg_gen_addi_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2);
void tcg_gen_sub_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_sub_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_subi_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2);
void tcg_gen_subi_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2);
/* ret = arg1 - arg2 with a constant minuend */
void tcg_gen_subfi_i32(TCGv_i32 ret, int32_t arg1, TCGv_i32 arg2);
void tcg_gen_subfi_i64(TCGv_i64 ret, int64_t arg1, TCGv_i64 arg2);
void tcg_gen_mul_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_mul_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_muli_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2);
void tcg_gen_muli_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2);
void tcg_gen_neg_i32(TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_neg_i64(TCGv_i64 ret, TCGv_i64 arg);
void tcg_gen_div_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_div_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_divu_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_divu_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_rem_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_rem_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_remu_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_remu_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
/* (rh:rl) = (ah:al) +/- (bh:bl) */
void tcg_gen_add2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al, TCGv_i32 ah,
                      TCGv_i32 bl, TCGv_i32 bh);
void tcg_gen_add2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al, TCGv_i64 ah,
                      TCGv_i64 bl, TCGv_i64 bh);
void tcg_gen_sub2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al, TCGv_i32 ah,
                      TCGv_i32 bl, TCGv_i32 bh);
void tcg_gen_sub2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al, TCGv_i64 ah,
                      TCGv_i64 bl, TCGv_i64 bh);
/* (rh:rl) = arg1 * arg2, double width */
void tcg_gen_mulu2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 arg1,
                       TCGv_i32 arg2);
void tcg_gen_mulu2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 arg1,
                       TCGv_i64 arg2);
void tcg_gen_muls2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 arg1,
                       TCGv_i32 arg2);
void tcg_gen_muls2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 arg1,
                       TCGv_i64 arg2);
/* high half of the double-width product */
void tcg_gen_muluh_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_muluh_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_mulsh_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_mulsh_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
/* min/max/abs through movcond */
void tcg_gen_smin_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_smin_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_smax_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_smax_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_umin_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_umin_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_umax_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_umax_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_abs_i32(TCGv_i32 ret, TCGv_i32 a);
void tcg_gen_abs_i64(TCGv_i64 ret, TCGv_i64 a);

/* ---- Logic ---- */
void tcg_gen_and_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_and_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_andi_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2);
void tcg_gen_andi_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2);
void tcg_gen_or_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_or_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_ori_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2);
void tcg_gen_ori_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2);
void tcg_gen_xor_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_xor_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_xori_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2);
void tcg_gen_xori_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2);
void tcg_gen_andc_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_andc_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_orc_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_orc_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_eqv_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_eqv_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_nand_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_nand_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_nor_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_nor_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_not_i32(TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_not_i64(TCGv_i64 ret, TCGv_i64 arg);

/* ---- Shifts and rotates (register counts are taken modulo the width) ---- */
void tcg_gen_shl_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_shl_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_shli_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2);
void tcg_gen_shli_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2);
void tcg_gen_shr_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_shr_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_shri_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2);
void tcg_gen_shri_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2);
void tcg_gen_sar_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_sar_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_sari_i32(TCGv_i32 ret, TCGv_i32 arg1, int32_t arg2);
void tcg_gen_sari_i64(TCGv_i64 ret, TCGv_i64 arg1, int64_t arg2);
void tcg_gen_rotl_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_rotl_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_rotli_i32(TCGv_i32 ret, TCGv_i32 arg1, unsigned arg2);
void tcg_gen_rotli_i64(TCGv_i64 ret, TCGv_i64 arg1, unsigned arg2);
void tcg_gen_rotr_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_rotr_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_rotri_i32(TCGv_i32 ret, TCGv_i32 arg1, unsigned arg2);
void tcg_gen_rotri_i64(TCGv_i64 ret, TCGv_i64 arg1, unsigned arg2);

/* ---- Bit fields ---- */
void tcg_gen_extract_i32(TCGv_i32 ret, TCGv_i32 arg, unsigned ofs,
                         unsigned len);
void tcg_gen_extract_i64(TCGv_i64 ret, TCGv_i64 arg, unsigned ofs,
                         unsigned len);
void tcg_gen_sextract_i32(TCGv_i32 ret, TCGv_i32 arg, unsigned ofs,
                          unsigned len);
void tcg_gen_sextract_i64(TCGv_i64 ret, TCGv_i64 arg, unsigned ofs,
                          unsigned len);
/* ret = arg1 with the low len bits of arg2 placed at ofs */
void tcg_gen_deposit_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2,
                         unsigned ofs, unsigned len);
void tcg_gen_deposit_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2,
                         unsigned ofs, unsigned len);
/* ret = (ah:al) >> ofs, 0 <= ofs <= width */
void tcg_gen_extract2_i32(TCGv_i32 ret, TCGv_i32 al, TCGv_i32 ah,
                          unsigned ofs);
void tcg_gen_extract2_i64(TCGv_i64 ret, TCGv_i64 al, TCGv_i64 ah,
                          unsigned ofs);

/* ---- Extensions and width changes ---- */
void tcg_gen_ext8s_i32(TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_ext8u_i32(TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_ext16s_i32(TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_ext16u_i32(TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_ext8s_i64(TCGv_i64 ret, TCGv_i64 arg);
void tcg_gen_ext8u_i64(TCGv_i64 ret, TCGv_i64 arg);
void tcg_gen_ext16s_i64(TCGv_i64 ret, TCGv_i64 arg);
void tcg_gen_ext16u_i64(TCGv_i64 ret, TCGv_i64 arg);
void tcg_gen_ext32s_i64(TCGv_i64 ret, TCGv_i64 arg);
void tcg_gen_ext32u_i64(TCGv_i64 ret, TCGv_i64 arg);
/* extend per the size and sign of a MemOp (MO_64 / MO_32 on I32: mov) */
void tcg_gen_ext_i32(TCGv_i32 ret, TCGv_i32 arg, MemOp opc);
void tcg_gen_ext_i64(TCGv_i64 ret, TCGv_i64 arg, MemOp opc);
void tcg_gen_ext_i32_i64(TCGv_i64 ret, TCGv_i32 arg);    /* sign */
void tcg_gen_extu_i32_i64(TCGv_i64 ret, TCGv_i32 arg);   /* zero */
void tcg_gen_extrl_i64_i32(TCGv_i32 ret, TCGv_i64 arg);  /* low half */
void tcg_gen_extrh_i64_i32(TCGv_i32 ret, TCGv_i64 arg);  /* high half */
/* ret = high:low */
void tcg_gen_concat_i32_i64(TCGv_i64 ret, TCGv_i32 low, TCGv_i32 high);
/* ret = high(low 32 bits):low(low 32 bits) */
void tcg_gen_concat32_i64(TCGv_i64 ret, TCGv_i64 low, TCGv_i64 high);
/* the two halves of arg: as i32, or zero-extended in i64 temps */
void tcg_gen_extr_i64_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i64 arg);
void tcg_gen_extr32_i64(TCGv_i64 lo, TCGv_i64 hi, TCGv_i64 arg);

/* ---- Comparisons ---- */
void tcg_gen_setcond_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 arg1,
                         TCGv_i32 arg2);
void tcg_gen_setcond_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 arg1,
                         TCGv_i64 arg2);
void tcg_gen_setcondi_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 arg1,
                          int32_t arg2);
void tcg_gen_setcondi_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 arg1,
                          int64_t arg2);
void tcg_gen_negsetcond_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 arg1,
                            TCGv_i32 arg2);
void tcg_gen_negsetcond_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 arg1,
                            TCGv_i64 arg2);
void tcg_gen_negsetcondi_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 arg1,
                             int32_t arg2);
void tcg_gen_negsetcondi_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 arg1,
                             int64_t arg2);
/* ret = (c1 cond c2) ? v1 : v2 */
void tcg_gen_movcond_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 c1,
                         TCGv_i32 c2, TCGv_i32 v1, TCGv_i32 v2);
void tcg_gen_movcond_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 c1,
                         TCGv_i64 c2, TCGv_i64 v1, TCGv_i64 v2);

/* ---- Byte swaps and bit counts ---- */
void tcg_gen_bswap16_i32(TCGv_i32 ret, TCGv_i32 arg, int flags);
void tcg_gen_bswap32_i32(TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_bswap16_i64(TCGv_i64 ret, TCGv_i64 arg, int flags);
void tcg_gen_bswap32_i64(TCGv_i64 ret, TCGv_i64 arg, int flags);
void tcg_gen_bswap64_i64(TCGv_i64 ret, TCGv_i64 arg);
/* count of leading/trailing zeros of arg1, or arg2 when arg1 == 0 */
void tcg_gen_clz_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_clz_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_clzi_i32(TCGv_i32 ret, TCGv_i32 arg1, uint32_t arg2);
void tcg_gen_clzi_i64(TCGv_i64 ret, TCGv_i64 arg1, uint64_t arg2);
void tcg_gen_ctz_i32(TCGv_i32 ret, TCGv_i32 arg1, TCGv_i32 arg2);
void tcg_gen_ctz_i64(TCGv_i64 ret, TCGv_i64 arg1, TCGv_i64 arg2);
void tcg_gen_ctzi_i32(TCGv_i32 ret, TCGv_i32 arg1, uint32_t arg2);
void tcg_gen_ctzi_i64(TCGv_i64 ret, TCGv_i64 arg1, uint64_t arg2);
void tcg_gen_ctpop_i32(TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_ctpop_i64(TCGv_i64 ret, TCGv_i64 arg);

/* ---- Host memory relative to a pointer (usually env) ---- */
void tcg_gen_ld8u_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld8s_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld16u_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld16s_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld8u_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld8s_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld16u_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld16s_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld32u_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld32s_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_st8_i32(TCGv_i32 arg, TCGv_ptr base, intptr_t offset);
void tcg_gen_st16_i32(TCGv_i32 arg, TCGv_ptr base, intptr_t offset);
void tcg_gen_st_i32(TCGv_i32 arg, TCGv_ptr base, intptr_t offset);
void tcg_gen_st8_i64(TCGv_i64 arg, TCGv_ptr base, intptr_t offset);
void tcg_gen_st16_i64(TCGv_i64 arg, TCGv_ptr base, intptr_t offset);
void tcg_gen_st32_i64(TCGv_i64 arg, TCGv_ptr base, intptr_t offset);
void tcg_gen_st_i64(TCGv_i64 arg, TCGv_ptr base, intptr_t offset);

/* ---- Host pointers (I64 on the 64-bit hosts we support) ---- */
void tcg_gen_mov_ptr(TCGv_ptr ret, TCGv_ptr arg);
void tcg_gen_movi_ptr(TCGv_ptr ret, intptr_t arg);
void tcg_gen_add_ptr(TCGv_ptr ret, TCGv_ptr arg1, TCGv_ptr arg2);
void tcg_gen_addi_ptr(TCGv_ptr ret, TCGv_ptr arg1, intptr_t arg2);
void tcg_gen_ld_ptr(TCGv_ptr ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_st_ptr(TCGv_ptr arg, TCGv_ptr base, intptr_t offset);
void tcg_gen_ext_i32_ptr(TCGv_ptr ret, TCGv_i32 arg);
void tcg_gen_extu_i32_ptr(TCGv_ptr ret, TCGv_i32 arg);
void tcg_gen_trunc_i64_ptr(TCGv_ptr ret, TCGv_i64 arg);
void tcg_gen_extu_ptr_i64(TCGv_i64 ret, TCGv_ptr arg);

/* ---- Guest memory (softmmu): addr is a guest virtual address ---- */
void tcg_gen_qemu_ld_i32(TCGv_i32 val, TCGv_i64 addr, unsigned mmu_idx,
                         MemOp memop);
void tcg_gen_qemu_ld_i64(TCGv_i64 val, TCGv_i64 addr, unsigned mmu_idx,
                         MemOp memop);
void tcg_gen_qemu_st_i32(TCGv_i32 val, TCGv_i64 addr, unsigned mmu_idx,
                         MemOp memop);
void tcg_gen_qemu_st_i64(TCGv_i64 val, TCGv_i64 addr, unsigned mmu_idx,
                         MemOp memop);

/* ---- Control flow ---- */
void tcg_gen_br(TCGLabel *l);
void gen_set_label(TCGLabel *l);
void tcg_gen_brcond_i32(TCGCond cond, TCGv_i32 arg1, TCGv_i32 arg2,
                        TCGLabel *l);
void tcg_gen_brcond_i64(TCGCond cond, TCGv_i64 arg1, TCGv_i64 arg2,
                        TCGLabel *l);
void tcg_gen_brcondi_i32(TCGCond cond, TCGv_i32 arg1, int32_t arg2,
                         TCGLabel *l);
void tcg_gen_brcondi_i64(TCGCond cond, TCGv_i64 arg1, int64_t arg2,
                         TCGLabel *l);
/* Marks the start of a guest instruction; the words restore its state */
void tcg_gen_insn_start(uint64_t w0, uint64_t w1, uint64_t w2);
/*
 * Leave the TB, returning (uintptr_t)tb + idx to the execution loop
 * (idx: TB_EXIT_IDX0/1 after goto_tb, TB_EXIT_REQUESTED); tb NULL
 * returns 0 ("no TB to chain from").
 */
void tcg_gen_exit_tb(TranslationBlock *tb, unsigned idx);
/* Patchable jump to the next TB; falls through to exit_tb until chained */
void tcg_gen_goto_tb(unsigned idx);
/* Jump to host code at ptr (rx), or to the epilogue to exit with 0 */
void tcg_gen_goto_ptr(TCGv_ptr ptr);
/* Find the TB for the current guest state and jump to it, else exit */
void tcg_gen_lookup_and_goto_ptr(void);
/* Engine (accel/tcg): code pointer of the TB for env's state, or epilogue */
const void *helper_lookup_tb_ptr(void *env);
/* Memory barrier: TCG_MO_* | TCG_BAR_* */
void tcg_gen_mb(unsigned mb_type);

/* ---- Helper calls: ret NULL for void helpers ---- */
void tcg_gen_call0(const TCGHelperInfo *info, TCGTemp *ret);
void tcg_gen_call1(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1);
void tcg_gen_call2(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2);
void tcg_gen_call3(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3);
void tcg_gen_call4(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3, TCGTemp *t4);
void tcg_gen_call5(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3, TCGTemp *t4, TCGTemp *t5);
void tcg_gen_call6(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3, TCGTemp *t4, TCGTemp *t5,
                   TCGTemp *t6);
void tcg_gen_call7(const TCGHelperInfo *info, TCGTemp *ret, TCGTemp *t1,
                   TCGTemp *t2, TCGTemp *t3, TCGTemp *t4, TCGTemp *t5,
                   TCGTemp *t6, TCGTemp *t7);

#endif
