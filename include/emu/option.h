/*
 * QEMU-style option strings: "value,key=val,key2=val2".
 *
 *  - The first element may omit its key; it then takes implied_key
 *    ("-device e1000,netdev=n0": driver=e1000).
 *  - ",," stands for a literal comma inside a value.
 *  - A bare "flag" means flag=on; with allow_no_prefix, "noflag" means
 *    flag=off (QEMU's legacy "nowait").
 *  - Booleans accept on/off, yes/no, true/false, y/n.
 *  - Sizes accept suffixes K M G T P E (powers of 1024) and B.
 */
#ifndef EMU_OPTION_H
#define EMU_OPTION_H

#include "emu/osdep.h"
#include "emu/error.h"

typedef enum OptType {
    OPT_STRING = 0,
    OPT_BOOL,
    OPT_NUMBER,
    OPT_SIZE,
} OptType;

typedef struct OptDesc {
    const char *name;
    OptType type;
    const char *help;
} OptDesc;

typedef struct EmuOpt {
    char *name;
    char *value;
    bool used;
    struct EmuOpt *next;
} EmuOpt;

typedef struct EmuOpts {
    EmuOpt *head;
    EmuOpt **tail;
} EmuOpts;

EmuOpts *opts_new(void);
void opts_free(EmuOpts *opts);
/*
 * Parse; implied_key may be NULL (then every element needs key=).
 * Errors name the offending text.
 */
EmuOpts *opts_parse(const char *str, const char *implied_key,
                    bool allow_no_prefix, Error **errp);
void opts_set(EmuOpts *opts, const char *name, const char *value);
/* Last value of name, or NULL; marks it used */
const char *opts_get(EmuOpts *opts, const char *name);
bool opts_has(EmuOpts *opts, const char *name);
/* Remove every occurrence of name */
void opts_del(EmuOpts *opts, const char *name);
/* Getters parse the value; on malformed value set errp and return def. */
bool opts_get_bool(EmuOpts *opts, const char *name, bool def, Error **errp);
uint64_t opts_get_number(EmuOpts *opts, const char *name, uint64_t def,
                         Error **errp);
uint64_t opts_get_size(EmuOpts *opts, const char *name, uint64_t def,
                       Error **errp);
/*
 * Check every key is in desc (NULL-name terminated) and values parse for
 * their type.  what is used in messages ("chardev", "machine"...).
 */
bool opts_validate(EmuOpts *opts, const OptDesc *desc, const char *what,
                   Error **errp);
/* First key that was never read with opts_get*, or NULL */
const char *opts_first_unused(EmuOpts *opts);
/* Print as "k=v,k2=v2" with commas escaped (caller frees) */
char *opts_to_string(EmuOpts *opts);

/* Value parsers (whole string must parse) */
bool parse_bool(const char *str, bool *val);
bool parse_uint(const char *str, uint64_t *val);          /* decimal/0x */
bool parse_size(const char *str, uint64_t *val, uint64_t default_suffix_mult);
/* "help" or "?" */
bool is_help_option(const char *str);

#endif
