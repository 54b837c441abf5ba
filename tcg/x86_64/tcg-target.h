/*
 * The x86-64 back end's knobs for tests and tools: which optional host
 * instructions it uses.  Not a public interface of the translator.
 */
#ifndef TCG_X86_64_TCG_TARGET_H
#define TCG_X86_64_TCG_TARGET_H

#include "tcg/tcg.h"

/* Optional instruction sets, found with cpuid when the back end starts */
#define X86_FEAT_MOVBE  (1u << 0)
#define X86_FEAT_POPCNT (1u << 1)
#define X86_FEAT_LZCNT  (1u << 2)
#define X86_FEAT_BMI1   (1u << 3)   /* andn, tzcnt */
#define X86_FEAT_BMI2   (1u << 4)   /* shlx/shrx/sarx, rorx */
#define X86_FEAT_ALL    0x1fu

/* What the host CPU has (cpuid), whatever tests restricted */
unsigned tcg_x86_host_features(void);
/*
 * Restrict code generation to the features in mask (and the host's),
 * for every context, from the next TB on; returns the previous mask.
 * Tests use it to exercise the fallbacks.
 */
unsigned tcg_x86_set_features(unsigned mask);

#endif
