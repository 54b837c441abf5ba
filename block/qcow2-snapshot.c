/* qcow2 internal snapshots: the snapshot table, create, apply, delete, list. */
#include "emu/osdep.h"
#include "block/qcow2.h"
#include <sys/time.h>

#define SN_HEADER_SIZE 40
/* what we write: vm_state_size_large, disk_size, icount */
#define SN_EXTRA_SIZE 24

void qcow2_free_snapshots(BDRVQcow2State *s)
{
    for (int i = 0; i < s->nb_snapshots && s->snapshots; i++) {
        free(s->snapshots[i].id_str);
        free(s->snapshots[i].name);
        free(s->snapshots[i].unknown_extra);
    }
    free(s->snapshots);
    s->snapshots = NULL;
}

int qcow2_read_snapshots(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = s->snapshots_offset;
    int n = s->nb_snapshots;
    int ret;

    s->snapshots = emu_new0(Qcow2Snapshot, MAX(n, 1));
    s->nb_snapshots = 0;    /* counts what is filled in, for cleanup */
    for (int i = 0; i < n; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint8_t h[SN_HEADER_SIZE], extra[QCOW_MAX_SNAPSHOT_EXTRA_DATA];

        if (off - s->snapshots_offset > QCOW_MAX_SNAPSHOTS_SIZE) {
            error_setg(errp, "Snapshot table is too big");
            return -EFBIG;
        }
        ret = bdrv_pread(bs->file, off, h, sizeof(h));
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to read snapshot table");
            return ret;
        }
        s->nb_snapshots = i + 1;
        off += sizeof(h);
        sn->l1_table_offset = be64_read(h);
        sn->l1_size = be32_read(h + 8);
        uint16_t id_len = be16_read(h + 12), name_len = be16_read(h + 14);
        sn->date_sec = be32_read(h + 16);
        sn->date_nsec = be32_read(h + 20);
        sn->vm_clock_nsec = be64_read(h + 24);
        sn->vm_state_size = be32_read(h + 32);
        sn->extra_data_size = be32_read(h + 36);
        sn->disk_size = s->size;
        sn->icount = UINT64_MAX;
        if (sn->extra_data_size > QCOW_MAX_SNAPSHOT_EXTRA_DATA) {
            error_setg(errp, "Too much extra metadata in snapshot table "
                       "entry %d", i);
            return -EFBIG;
        }
        ret = bdrv_pread(bs->file, off, extra, sn->extra_data_size);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to read snapshot table");
            return ret;
        }
        off += sn->extra_data_size;
        if (sn->extra_data_size >= 8) {
            sn->vm_state_size = be64_read(extra);
        }
        if (sn->extra_data_size >= 16) {
            sn->disk_size = be64_read(extra + 8);
        }
        if (sn->extra_data_size >= 24) {
            sn->icount = be64_read(extra + 16);
        }
        if (sn->extra_data_size > SN_EXTRA_SIZE) {
            sn->unknown_extra_size = sn->extra_data_size - SN_EXTRA_SIZE;
            sn->unknown_extra = emu_malloc(sn->unknown_extra_size);
            memcpy(sn->unknown_extra, extra + SN_EXTRA_SIZE,
                   sn->unknown_extra_size);
        }
        sn->id_str = emu_malloc0(id_len + 1);
        sn->name = emu_malloc0(name_len + 1);
        ret = bdrv_pread(bs->file, off, sn->id_str, id_len);
        if (ret == 0) {
            ret = bdrv_pread(bs->file, off + id_len, sn->name, name_len);
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to read snapshot table");
            return ret;
        }
        off += id_len + name_len;
        off = ROUND_UP(off, 8);
        if ((uint64_t)sn->l1_size > QCOW_MAX_L1_SIZE / 8) {
            error_setg(errp, "Snapshot L1 table too large");
            return -EFBIG;
        }
        if (offset_into_cluster(s, sn->l1_table_offset) ||
            sn->l1_table_offset >= (1ULL << 56)) {
            error_setg(errp, "Snapshot L1 table offset invalid");
            return -EINVAL;
        }
    }
    if (off - s->snapshots_offset > QCOW_MAX_SNAPSHOTS_SIZE) {
        error_setg(errp, "Snapshot table is too big");
        return -EFBIG;
    }
    s->snapshots_size = off - s->snapshots_offset;
    return 0;
}

/* Write the in-memory table to a new place and switch the header to it */
static int write_snapshots(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t size = 0, pos = 0;
    uint64_t old_offset = s->snapshots_offset, old_size = s->snapshots_size;
    int64_t new_offset = 0;
    uint8_t *buf;
    uint8_t hdr[12];
    int ret;

    for (int i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        size += ROUND_UP(SN_HEADER_SIZE + SN_EXTRA_SIZE +
                         sn->unknown_extra_size + strlen(sn->id_str) +
                         strlen(sn->name), 8);
    }
    if (size > QCOW_MAX_SNAPSHOTS_SIZE) {
        return -EFBIG;
    }
    buf = emu_malloc0(MAX(size, 1));
    for (int i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint8_t *h = buf + pos;
        size_t id_len = strlen(sn->id_str), name_len = strlen(sn->name);
        be64_write(h, sn->l1_table_offset);
        be32_write(h + 8, sn->l1_size);
        be16_write(h + 12, id_len);
        be16_write(h + 14, name_len);
        be32_write(h + 16, sn->date_sec);
        be32_write(h + 20, sn->date_nsec);
        be64_write(h + 24, sn->vm_clock_nsec);
        be32_write(h + 32, MIN(sn->vm_state_size, UINT32_MAX));
        be32_write(h + 36, SN_EXTRA_SIZE + sn->unknown_extra_size);
        be64_write(h + 40, sn->vm_state_size);
        be64_write(h + 48, sn->disk_size);
        be64_write(h + 56, sn->icount);
        pos += SN_HEADER_SIZE + SN_EXTRA_SIZE;
        if (sn->unknown_extra_size) {
            memcpy(buf + pos, sn->unknown_extra, sn->unknown_extra_size);
            pos += sn->unknown_extra_size;
        }
        memcpy(buf + pos, sn->id_str, id_len);
        memcpy(buf + pos + id_len, sn->name, name_len);
        pos = ROUND_UP(pos + id_len + name_len, 8);
    }
    if (size) {
        new_offset = qcow2_alloc_clusters(bs, size);
        if (new_offset < 0) {
            free(buf);
            return new_offset;
        }
    }
    /* counts first, then the table, then the header */
    ret = qcow2_cache_write(bs, s->l2_cache);
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->refblock_cache);
    }
    if (ret == 0 && size) {
        ret = qcow2_check_overlap(bs, 0, new_offset, size);
        if (ret == 0) {
            ret = bdrv_pwrite_sync(bs->file, new_offset, buf, size);
        }
    }
    free(buf);
    if (ret < 0) {
        return ret;
    }
    be32_write(hdr, s->nb_snapshots);
    be64_write(hdr + 4, new_offset);
    ret = bdrv_pwrite_sync(bs->file, QCOW2_HDR_SNAPSHOTS_OFF, hdr, 12);
    if (ret < 0) {
        return ret;
    }
    s->snapshots_offset = new_offset;
    s->snapshots_size = size;
    if (old_size) {
        ret = qcow2_free_clusters(bs, old_offset, old_size);
    }
    return ret;
}

static int find_snapshot(BDRVQcow2State *s, const char *name)
{
    for (int i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].id_str, name)) {
            return i;
        }
    }
    for (int i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].name, name)) {
            return i;
        }
    }
    return -1;
}

static int flush_all(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_cache_write(bs, s->l2_cache);

    if (ret == 0) {
        ret = qcow2_cache_write(bs, s->refblock_cache);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    return ret;
}

int qcow2_snapshot_create(BlockDriverState *bs, const char *name,
                          Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Snapshot sn = { 0 };
    uint64_t max_id = 0;
    struct timeval tv;
    int64_t l1_off;
    int ret;

    if (s->corrupt_disabled) {
        error_setg(errp, "Image is corrupt");
        return -EIO;
    }
    if (s->nb_snapshots >= QCOW_MAX_SNAPSHOTS) {
        error_setg(errp, "Too many snapshots");
        return -EFBIG;
    }
    if (strlen(name) > 65535) {
        error_setg(errp, "Snapshot name too long");
        return -EINVAL;
    }
    for (int i = 0; i < s->nb_snapshots; i++) {
        uint64_t id;
        if (parse_uint(s->snapshots[i].id_str, &id) && id > max_id) {
            max_id = id;
        }
    }
    /* every cluster the active L1 reaches gains the snapshot's reference */
    ret = qcow2_update_snapshot_refcount(bs, s->l1_table_offset, s->l1_size,
                                         1);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not update refcounts");
        return ret;
    }
    l1_off = qcow2_alloc_clusters(bs, MAX(s->l1_size, 1) * 8ULL);
    if (l1_off < 0) {
        error_setg_errno(errp, (int)-l1_off, "Could not allocate L1 copy");
        return l1_off;
    }
    uint8_t *buf = emu_malloc0(MAX(s->l1_size, 1) * 8ULL);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        be64_write(buf + 8 * i, s->l1_table[i]);
    }
    ret = qcow2_check_overlap(bs, 0, l1_off, s->l1_size * 8ULL);
    if (ret == 0) {
        ret = bdrv_pwrite(bs->file, l1_off, buf, s->l1_size * 8ULL);
    }
    free(buf);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write L1 copy");
        return ret;
    }
    gettimeofday(&tv, NULL);
    sn.l1_table_offset = l1_off;
    sn.l1_size = s->l1_size;
    sn.id_str = emu_asprintf("%" PRIu64, max_id + 1);
    sn.name = emu_strdup(name);
    sn.disk_size = s->size;
    sn.date_sec = tv.tv_sec;
    sn.date_nsec = tv.tv_usec * 1000;
    sn.icount = UINT64_MAX;
    s->snapshots = emu_realloc(s->snapshots,
                               (s->nb_snapshots + 1) * sizeof(sn));
    s->snapshots[s->nb_snapshots++] = sn;
    ret = write_snapshots(bs);
    if (ret < 0) {
        s->nb_snapshots--;
        free(sn.id_str);
        free(sn.name);
        error_setg_errno(errp, -ret, "Could not write snapshot table");
        return ret;
    }
    return flush_all(bs);
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *name, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int i = find_snapshot(s, name);
    Qcow2Snapshot *sn;
    uint8_t *buf;
    int ret;

    if (i < 0) {
        error_setg(errp, "Can't find snapshot");
        return -ENOENT;
    }
    if (s->corrupt_disabled) {
        error_setg(errp, "Image is corrupt");
        return -EIO;
    }
    sn = &s->snapshots[i];
    if (sn->disk_size != s->size) {
        /* the disk takes the size it had (QEMU does the same) */
        ret = qcow2_resize(bs, sn->disk_size, errp);
        if (ret < 0) {
            return ret;
        }
        sn = &s->snapshots[i];
    }
    ret = qcow2_grow_l1_table(bs, sn->l1_size);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not grow the L1 table");
        return ret;
    }
    ret = qcow2_update_snapshot_refcount(bs, sn->l1_table_offset, sn->l1_size,
                                         1);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not update refcounts");
        return ret;
    }
    ret = flush_all(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not flush");
        return ret;
    }
    uint64_t bytes = s->l1_size * 8ULL;
    buf = emu_malloc0(MAX(bytes, 1));
    ret = bdrv_pread(bs->file, sn->l1_table_offset, buf, sn->l1_size * 8ULL);
    if (ret == 0) {
        ret = bdrv_pwrite_sync(bs->file, s->l1_table_offset, buf, bytes);
    }
    if (ret < 0) {
        free(buf);
        error_setg_errno(errp, -ret, "Could not write the L1 table");
        return ret;
    }
    /* drop the references of what was active (the in-memory table) */
    ret = qcow2_update_snapshot_refcount(bs, s->l1_table_offset, s->l1_size,
                                         -1);
    for (uint32_t j = 0; j < s->l1_size; j++) {
        s->l1_table[j] = be64_read(buf + 8 * j);
    }
    free(buf);
    if (ret == 0) {
        ret = qcow2_update_snapshot_refcount(bs, s->l1_table_offset,
                                             s->l1_size, 0);
    }
    if (ret == 0) {
        ret = flush_all(bs);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not apply snapshot");
    }
    return ret;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *name,
                          Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int i = find_snapshot(s, name);
    Qcow2Snapshot sn;
    int ret;

    if (i < 0) {
        error_setg(errp, "Can't find the snapshot");
        return -ENOENT;
    }
    if (s->corrupt_disabled) {
        error_setg(errp, "Image is corrupt");
        return -EIO;
    }
    sn = s->snapshots[i];
    memmove(&s->snapshots[i], &s->snapshots[i + 1],
            (s->nb_snapshots - i - 1) * sizeof(sn));
    s->nb_snapshots--;
    ret = write_snapshots(bs);
    if (ret < 0) {
        s->snapshots = emu_realloc(s->snapshots,
                                   (s->nb_snapshots + 1) * sizeof(sn));
        memmove(&s->snapshots[i + 1], &s->snapshots[i],
                (s->nb_snapshots - i) * sizeof(sn));
        s->snapshots[i] = sn;
        s->nb_snapshots++;
        error_setg_errno(errp, -ret, "Failed to remove snapshot from "
                         "snapshot list");
        return ret;
    }
    free(sn.id_str);
    free(sn.name);
    free(sn.unknown_extra);
    ret = qcow2_update_snapshot_refcount(bs, sn.l1_table_offset, sn.l1_size,
                                         -1);
    if (ret == 0) {
        ret = qcow2_free_clusters(bs, sn.l1_table_offset, sn.l1_size * 8ULL);
    }
    if (ret == 0) {
        ret = qcow2_update_snapshot_refcount(bs, s->l1_table_offset,
                                             s->l1_size, 0);
    }
    if (ret == 0) {
        ret = flush_all(bs);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to free the snapshot's "
                         "clusters");
    }
    return ret;
}

int qcow2_snapshot_list(BlockDriverState *bs, BdrvSnapshotInfo **list)
{
    BDRVQcow2State *s = bs->opaque;
    BdrvSnapshotInfo *l = emu_new0(BdrvSnapshotInfo, MAX(s->nb_snapshots, 1));

    for (int i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        snprintf(l[i].id_str, sizeof(l[i].id_str), "%s", sn->id_str);
        snprintf(l[i].name, sizeof(l[i].name), "%s", sn->name);
        l[i].vm_state_size = sn->vm_state_size;
        l[i].date_sec = sn->date_sec;
        l[i].date_nsec = sn->date_nsec;
        l[i].vm_clock_nsec = sn->vm_clock_nsec;
        l[i].icount = sn->icount == UINT64_MAX ? UINT32_MAX : sn->icount;
    }
    *list = l;
    return s->nb_snapshots;
}
