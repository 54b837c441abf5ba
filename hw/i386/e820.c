/* The e820 memory map handed to the firmware as fw_cfg "etc/e820". */
#include "emu/osdep.h"
#include "hw/i386/pc.h"

typedef struct E820Entry {
    uint64_t address;
    uint64_t length;
    uint32_t type;
} E820Entry;

static E820Entry e820_table[E820_MAX_ENTRIES];
static int e820_entries;

int e820_add_entry(uint64_t address, uint64_t length, uint32_t type)
{
    if (e820_entries >= E820_MAX_ENTRIES) {
        return -1;
    }
    e820_table[e820_entries].address = address;
    e820_table[e820_entries].length = length;
    e820_table[e820_entries].type = type;
    return ++e820_entries;
}

int e820_get_num_entries(void)
{
    return e820_entries;
}

bool e820_get_entry(int idx, uint32_t type, uint64_t *address,
                    uint64_t *length)
{
    if (idx < 0 || idx >= e820_entries || e820_table[idx].type != type) {
        return false;
    }
    *address = e820_table[idx].address;
    *length = e820_table[idx].length;
    return true;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = v >> (8 * i);
    }
}

void *e820_table_blob(size_t *len)
{
    /* Packed entries of 20 bytes, as SeaBIOS's struct e820_reservation */
    uint8_t *blob = emu_malloc0(e820_entries ? e820_entries * 20 : 1);

    for (int i = 0; i < e820_entries; i++) {
        put_le(blob + i * 20, e820_table[i].address, 8);
        put_le(blob + i * 20 + 8, e820_table[i].length, 8);
        put_le(blob + i * 20 + 16, e820_table[i].type, 4);
    }
    *len = e820_entries * 20;
    return blob;
}

void e820_reset_table(void)
{
    e820_entries = 0;
}
