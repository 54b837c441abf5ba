/*
 * A chardev for unit tests ("capture") that records everything front ends
 * write to it; tests read it back and inject input with
 * chardev_be_deliver().  Linked into every unit test.
 */
#ifndef TESTS_UNIT_CAPTURE_CHR_H
#define TESTS_UNIT_CAPTURE_CHR_H

#include "chardev/char.h"

/* Create a capture chardev with this id (aborts on error) */
Chardev *capture_chr_new(const char *id);
/* What was written so far (never NULL; owned by the chardev) */
const char *capture_chr_output(Chardev *chr);
/* What was written since the last take; caller frees */
char *capture_chr_take(Chardev *chr);

#endif
