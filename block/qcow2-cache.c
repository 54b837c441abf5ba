/* qcow2 metadata cache: write-back LRU cache of L2 tables and refcount blocks. */
#include "emu/osdep.h"
#include "block/qcow2.h"

Qcow2Cache *qcow2_cache_create(const char *name, int nb_entries,
                               size_t table_size)
{
    Qcow2Cache *c = emu_malloc0(sizeof(*c));

    c->name = name;
    c->nb_entries = nb_entries;
    c->table_size = table_size;
    c->offsets = emu_new0(uint64_t, nb_entries);
    c->tables = emu_new0(uint8_t *, nb_entries);
    c->dirty = emu_new0(bool, nb_entries);
    c->pins = emu_new0(int, nb_entries);
    c->lru = emu_new0(uint64_t, nb_entries);
    return c;
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    if (!c) {
        return;
    }
    for (int i = 0; i < c->nb_entries; i++) {
        free(c->tables[i]);
    }
    free(c->offsets);
    free(c->tables);
    free(c->dirty);
    free(c->pins);
    free(c->lru);
    free(c);
}

static int cache_index_of(Qcow2Cache *c, const void *table)
{
    for (int i = 0; i < c->nb_entries; i++) {
        if (c->tables[i] == table) {
            return i;
        }
    }
    abort();    /* a table pointer that did not come from this cache */
}

static int cache_write_entry(BlockDriverState *bs, Qcow2Cache *c, int i)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!c->dirty[i]) {
        return 0;
    }
    if (c->depends) {
        ret = qcow2_cache_flush(bs, c->depends);
        if (ret < 0) {
            return ret;
        }
        c->depends = NULL;
    }
    ret = qcow2_check_overlap(bs, c == s->l2_cache ? QCOW2_OL_ACTIVE_L2
                                                   : QCOW2_OL_REFBLOCK,
                              c->offsets[i], c->table_size);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_pwrite(bs->file, c->offsets[i], c->tables[i], c->table_size);
    if (ret < 0) {
        return ret;
    }
    c->dirty[i] = false;
    return 0;
}

int qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c)
{
    int result = 0;

    for (int i = 0; i < c->nb_entries; i++) {
        int ret = cache_write_entry(bs, c, i);
        if (ret < 0 && result == 0) {
            result = ret;
        }
    }
    return result;
}

int qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c)
{
    int ret = qcow2_cache_write(bs, c);

    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    return ret;
}

/*
 * Entries of c may only reach the disk after those of dependency.  A
 * cycle (both depending on each other) is broken by flushing now, so
 * that at most one direction is pending.
 */
void qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c,
                                Qcow2Cache *dependency)
{
    if (dependency->depends) {
        /* errors resurface on the next write of these tables */
        qcow2_cache_flush(bs, dependency->depends);
        dependency->depends = NULL;
    }
    if (c->depends && c->depends != dependency) {
        qcow2_cache_flush(bs, c->depends);
    }
    c->depends = dependency;
}

static int cache_find_victim(Qcow2Cache *c)
{
    int best = -1;

    for (int i = 0; i < c->nb_entries; i++) {
        if (c->pins[i]) {
            continue;
        }
        if (c->offsets[i] == 0) {
            return i;
        }
        if (best < 0 || c->lru[i] < c->lru[best]) {
            best = i;
        }
    }
    return best;
}

static int cache_do_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                        void **table, bool read_from_disk)
{
    int i, ret;

    if (offset == 0 || (offset & (c->table_size - 1))) {
        return -EIO;
    }
    for (i = 0; i < c->nb_entries; i++) {
        if (c->offsets[i] == offset) {
            goto found;
        }
    }
    i = cache_find_victim(c);
    if (i < 0) {
        return -ENOSPC;     /* every slot pinned: a bug, not the image's */
    }
    ret = cache_write_entry(bs, c, i);
    if (ret < 0) {
        return ret;
    }
    c->offsets[i] = 0;
    if (!c->tables[i]) {
        c->tables[i] = emu_malloc(c->table_size);
    }
    if (read_from_disk) {
        ret = bdrv_pread(bs->file, offset, c->tables[i], c->table_size);
        if (ret < 0) {
            return ret;
        }
    }
    c->offsets[i] = offset;
found:
    c->pins[i]++;
    c->lru[i] = ++c->lru_counter;
    *table = c->tables[i];
    return 0;
}

int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    void **table)
{
    return cache_do_get(bs, c, offset, table, true);
}

int qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                          uint64_t offset, void **table)
{
    return cache_do_get(bs, c, offset, table, false);
}

void qcow2_cache_put(Qcow2Cache *c, void **table)
{
    int i = cache_index_of(c, *table);

    assert(c->pins[i] > 0);
    c->pins[i]--;
    *table = NULL;
}

void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table)
{
    c->dirty[cache_index_of(c, table)] = true;
}

/* The cluster at offset was freed: forget its table without writing it */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < c->nb_entries; i++) {
        if (c->offsets[i] == offset && !c->pins[i]) {
            c->offsets[i] = 0;
            c->dirty[i] = false;
        }
    }
}
