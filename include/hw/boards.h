/*
 * Machine types: a table (name, default CPU count and RAM, limits) with an
 * init function that creates CPUs, RAM, buses and on-board devices.
 * Nothing outside hw/<arch>/ knows which machine runs.
 */
#ifndef HW_BOARDS_H
#define HW_BOARDS_H

#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/option.h"

typedef struct MemoryRegion MemoryRegion;
typedef struct Chardev Chardev;

typedef struct SMPConfig {
    unsigned cpus;
    unsigned max_cpus;
    unsigned sockets;
    unsigned dies;
    unsigned cores;
    unsigned threads;
} SMPConfig;

typedef struct MachineState {
    const struct MachineInfo *info;
    uint64_t ram_size;
    SMPConfig smp;
    MemoryRegion *ram;          /* main RAM, created by the machine */
    const char *kernel_filename;
    const char *initrd_filename;
    const char *kernel_cmdline;
    const char *firmware;       /* -bios */
    const char *boot_order;
    const char *cpu_model;      /* -cpu, NULL for the machine's default */
    EmuOpts *opts;              /* -machine options after the type */
    /*
     * -boot menu=, strict=, splash-time= and reboot-timeout= (ms);
     * boot_menu, boot_splash_time and boot_reboot_timeout are -1 when not
     * given (main.c sets them so before the machine's init)
     */
    int boot_menu;
    bool boot_strict;
    int boot_splash_time;
    int boot_reboot_timeout;
    bool enable_graphics;       /* false with -nographic */
} MachineState;

typedef struct MachineInfo {
    const char *name;           /* "-M NAME" */
    const char *alias;          /* e.g. "pc" for pc-i440fx-7.2, may be NULL */
    const char *desc;
    bool is_default;
    uint64_t default_ram_size;  /* 0: no RAM unless -m */
    uint64_t min_ram_size;
    unsigned default_cpus;
    unsigned max_cpus;          /* 0 means no CPU at all */
    const char *default_accel;
    /* machine-specific -machine keys (NULL-name terminated), may be NULL */
    const OptDesc *opts;
    bool (*init)(MachineState *ms, Error **errp);
} MachineInfo;

void machine_register(const MachineInfo *info);
#define MACHINE_REGISTER(info)                                             \
    static void __attribute__((constructor)) machine_register_##info(void) \
    {                                                                      \
        machine_register(&(info));                                         \
    }
const MachineInfo *machine_find(const char *name);
const MachineInfo *machine_default(void);
void machine_print_help(FILE *f);
/* The running machine (after start-up) */
extern MachineState *current_machine;

/* -serial/-parallel backends for boards to pick up (NULL if none) */
#define MAX_SERIAL_PORTS 4
Chardev *serial_hd(int i);
void serial_hd_set(int i, Chardev *chr);

#endif
