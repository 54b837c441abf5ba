/* The "none" machine: no CPU, only RAM at address 0 when -m is given. */
#include "hw/boards.h"
#include "system/memory.h"

static bool none_machine_init(MachineState *ms, Error **errp)
{
    if (ms->ram_size) {
        MemoryRegion *ram = emu_malloc0(sizeof(*ram));
        if (!memory_region_init_ram(ram, NULL, "ram", ms->ram_size, errp)) {
            free(ram);
            return false;
        }
        memory_region_add_subregion(get_system_memory(), 0, ram);
        ms->ram = ram;
    }
    return true;
}

static const MachineInfo none_machine = {
    .name = "none",
    .desc = "empty machine",
    .default_ram_size = 0,
    .default_cpus = 0,
    .max_cpus = 0,
    .init = none_machine_init,
};
MACHINE_REGISTER(none_machine)
