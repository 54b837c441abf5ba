/* The list of vCPUs and the thread-safe requests other threads make of them. */
#include "emu/osdep.h"
#include "hw/core/cpu.h"

CPUState *first_cpu;
__thread CPUState *current_cpu;

static void (*cpu_kick_handler)(CPUState *cs);

void cpu_list_add(CPUState *cs)
{
    CPUState **pp = &first_cpu;
    int index = 0;

    while (*pp) {
        /* indices stay those given at creation even after a removal */
        if ((*pp)->cpu_index >= index) {
            index = (*pp)->cpu_index + 1;
        }
        pp = &(*pp)->next;
    }
    cs->cpu_index = index;
    cs->next = NULL;
    *pp = cs;
}

void cpu_list_remove(CPUState *cs)
{
    for (CPUState **pp = &first_cpu; *pp; pp = &(*pp)->next) {
        if (*pp == cs) {
            *pp = cs->next;
            cs->next = NULL;
            return;
        }
    }
}

CPUState *cpu_by_index(int index)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        if (cs->cpu_index == index) {
            return cs;
        }
    }
    return NULL;
}

void cpu_set_kick_handler(void (*kick)(CPUState *cs))
{
    cpu_kick_handler = kick;
}

/*
 * Order matters: the vCPU clears neg->exit_request before it reads
 * exit_request and interrupt_request, so setting those first and the TB
 * entry flag last (release) means the vCPU cannot miss a request.
 */
static void cpu_request_tb_exit(CPUState *cs)
{
    if (cs->neg) {
        __atomic_store_n(&cs->neg->exit_request, 1, __ATOMIC_SEQ_CST);
    }
}

void cpu_exit(CPUState *cs)
{
    __atomic_store_n(&cs->exit_request, 1, __ATOMIC_SEQ_CST);
    cpu_request_tb_exit(cs);
    if (cpu_kick_handler) {
        cpu_kick_handler(cs);
    }
}

void cpu_interrupt(CPUState *cs, int mask)
{
    __atomic_fetch_or(&cs->interrupt_request, mask, __ATOMIC_SEQ_CST);
    cpu_request_tb_exit(cs);
    if (cpu_kick_handler) {
        cpu_kick_handler(cs);
    }
}

void cpu_reset_interrupt(CPUState *cs, int mask)
{
    __atomic_fetch_and(&cs->interrupt_request, ~mask, __ATOMIC_SEQ_CST);
}

bool cpu_has_work(CPUState *cs)
{
    if (cs->cc && cs->cc->has_work) {
        return cs->cc->has_work(cs);
    }
    return (__atomic_load_n(&cs->interrupt_request, __ATOMIC_RELAXED) &
            CPU_INTERRUPT_HARD) != 0;
}

void cpu_reset(CPUState *cs)
{
    cs->exception_index = -1;
    cs->halted = false;
    cs->cflags_next_tb = (uint32_t)-1;
    __atomic_store_n(&cs->interrupt_request, 0, __ATOMIC_SEQ_CST);
    if (cs->cc && cs->cc->reset) {
        cs->cc->reset(cs);
    }
}
