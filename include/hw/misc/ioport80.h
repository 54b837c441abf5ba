/*
 * Port 0x80, the POST code port that firmware and Linux's outb_p() write
 * to as an I/O delay: a sink without state, so a plain region (as in
 * QEMU's pc board, which shows no device for it either).
 */
#ifndef HW_MISC_IOPORT80_H
#define HW_MISC_IOPORT80_H

#include "system/memory.h"

/* Map the sink at port 0x80 of io (the system I/O space).  Call once per machine. */
void ioport80_init(MemoryRegion *io);

#endif
