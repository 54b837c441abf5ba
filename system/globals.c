/* VM-wide settings from the command line: name, UUID, firmware path. */
#include "system/system.h"
#include <sys/stat.h>

const char *vm_name;
uint8_t vm_uuid[16];
bool vm_uuid_set;

#define MAX_FIRMWARE_DIRS 16
const char *firmware_path[MAX_FIRMWARE_DIRS + 1];
int firmware_path_count;

bool uuid_parse(const char *str, uint8_t uuid[16])
{
    /* 8-4-4-4-12 hex digits */
    static const int dash_at[] = { 8, 13, 18, 23 };
    if (strlen(str) != 36) {
        return false;
    }
    int b = 0;
    for (int i = 0; i < 36;) {
        bool dash = false;
        for (size_t d = 0; d < ARRAY_SIZE(dash_at); d++) {
            if (i == dash_at[d]) {
                dash = true;
            }
        }
        if (dash) {
            if (str[i] != '-') {
                return false;
            }
            i++;
            continue;
        }
        int hi = hex_digit_value(str[i]), lo = hex_digit_value(str[i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        uuid[b++] = hi << 4 | lo;
        i += 2;
    }
    return b == 16;
}

void uuid_unparse(const uint8_t u[16], char out[37])
{
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
             u[10], u[11], u[12], u[13], u[14], u[15]);
}

void firmware_path_add(const char *dir)
{
    if (firmware_path_count < MAX_FIRMWARE_DIRS) {
        firmware_path[firmware_path_count++] = dir;
        firmware_path[firmware_path_count] = NULL;
    }
}

char *firmware_find(const char *name)
{
    static const char *const defaults[] = {
        CONFIG_SRCDIR "/pc-bios",
        CONFIG_DATADIR,
        "/usr/share/seabios",
        "/usr/share/qemu",
        "/usr/lib/ipxe/qemu",
        NULL,
    };
    struct stat st;
    for (int i = 0; i < firmware_path_count; i++) {
        char *p = emu_asprintf("%s/%s", firmware_path[i], name);
        if (stat(p, &st) == 0) {
            return p;
        }
        free(p);
    }
    for (int i = 0; defaults[i]; i++) {
        char *p = emu_asprintf("%s/%s", defaults[i], name);
        if (stat(p, &st) == 0) {
            return p;
        }
        free(p);
    }
    return NULL;
}
