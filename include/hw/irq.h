/*
 * An IRQ line: a small value {handler, opaque, n} passed around by value.
 * The source calls irq_set(line, level); the sink's handler receives n.
 */
#ifndef HW_IRQ_H
#define HW_IRQ_H

#include "emu/osdep.h"

typedef void IRQHandler(void *opaque, int n, int level);

typedef struct IRQLine {
    IRQHandler *handler;
    void *opaque;
    int n;
} IRQLine;

static inline IRQLine irq_line(IRQHandler *h, void *opaque, int n)
{
    IRQLine l = { h, opaque, n };
    return l;
}

static inline bool irq_is_connected(const IRQLine *l)
{
    return l->handler != NULL;
}

static inline void irq_set(const IRQLine *l, int level)
{
    if (l->handler) {
        l->handler(l->opaque, l->n, level);
    }
}
static inline void irq_raise(const IRQLine *l) { irq_set(l, 1); }
static inline void irq_lower(const IRQLine *l) { irq_set(l, 0); }
static inline void irq_pulse(const IRQLine *l)
{
    irq_set(l, 1);
    irq_set(l, 0);
}

#endif
