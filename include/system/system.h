/* Global VM settings from the command line (-name, -uuid, ...). */
#ifndef SYSTEM_SYSTEM_H
#define SYSTEM_SYSTEM_H

#include "emu/osdep.h"

extern const char *vm_name;          /* -name, NULL if unset */
extern uint8_t vm_uuid[16];          /* -uuid, zero if unset */
extern bool vm_uuid_set;
extern const char *firmware_path[];  /* -L dirs, NULL-terminated */
extern int firmware_path_count;

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
bool uuid_parse(const char *str, uint8_t uuid[16]);
void uuid_unparse(const uint8_t uuid[16], char out[37]);

/* -L DIR (searched before the built-in directories) */
void firmware_path_add(const char *dir);
/* Find a firmware file along -L dirs and the default data dirs; caller frees */
char *firmware_find(const char *name);

#endif
