/* Machine type registry and the serial backends boards pick up. */
#include "hw/boards.h"

#define MAX_MACHINES 32

static const MachineInfo *machines[MAX_MACHINES];
static int nr_machines;
static Chardev *serial_hds[MAX_SERIAL_PORTS];

MachineState *current_machine;

void machine_register(const MachineInfo *info)
{
    assert(nr_machines < MAX_MACHINES);
    machines[nr_machines++] = info;
}

const MachineInfo *machine_find(const char *name)
{
    for (int i = 0; i < nr_machines; i++) {
        if (!strcmp(machines[i]->name, name) ||
            (machines[i]->alias && !strcmp(machines[i]->alias, name))) {
            return machines[i];
        }
    }
    return NULL;
}

const MachineInfo *machine_default(void)
{
    for (int i = 0; i < nr_machines; i++) {
        if (machines[i]->is_default) {
            return machines[i];
        }
    }
    return machine_find("none");
}

static int machine_cmp(const void *a, const void *b)
{
    const MachineInfo *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

void machine_print_help(FILE *f)
{
    const MachineInfo *sorted[MAX_MACHINES];
    memcpy(sorted, machines, nr_machines * sizeof(sorted[0]));
    qsort(sorted, nr_machines, sizeof(sorted[0]), machine_cmp);
    fprintf(f, "Supported machines are:\n");
    for (int i = 0; i < nr_machines; i++) {
        const MachineInfo *m = sorted[i];
        if (m->alias) {
            fprintf(f, "%-20s %s (alias of %s)\n", m->alias, m->desc, m->name);
        }
        fprintf(f, "%-20s %s%s\n", m->name, m->desc,
                m->is_default ? " (default)" : "");
    }
}

Chardev *serial_hd(int i)
{
    return (i >= 0 && i < MAX_SERIAL_PORTS) ? serial_hds[i] : NULL;
}

void serial_hd_set(int i, Chardev *chr)
{
    assert(i >= 0 && i < MAX_SERIAL_PORTS);
    serial_hds[i] = chr;
}
