/*
 * Helpers shared by the files of block/ only (not part of the driver or
 * backend contracts in include/block/).
 */
#ifndef BLOCK_BLOCK_INTERNAL_H
#define BLOCK_BLOCK_INTERNAL_H

#include "block/block_int.h"
#include "block/block.h"

/* The format whose probe() scores highest on buf (raw: the fallback) */
const BlockDriver *bdrv_probe_buffer(const uint8_t *buf, int len,
                                     const char *filename);

/* Every open node, newest first: NULL starts (main loop, BQL held) */
BlockDriverState *bdrv_next_node(BlockDriverState *bs);

/* drv->dump_info under the node's lock */
void bdrv_dump_info(BlockDriverState *bs, StrBuf *human, void *json_obj);

/* werror= / rerror= */
typedef enum BlockdevOnError {
    BLOCKDEV_ON_ERROR_REPORT,
    BLOCKDEV_ON_ERROR_IGNORE,
    BLOCKDEV_ON_ERROR_ENOSPC,
    BLOCKDEV_ON_ERROR_STOP,
} BlockdevOnError;

/* A backend without medium; open_flags are used for media opened later */
BlockBackend *blk_new_empty(int open_flags);
/* bdrv_open, plus the temporary overlay when flags has BDRV_O_SNAPSHOT */
BlockDriverState *blk_open_image(const char *filename, const char *fmt,
                                 EmuOpts *opts, int flags, Error **errp);
void blk_insert_bs(BlockBackend *blk, BlockDriverState *bs);
void blk_set_name(BlockBackend *blk, const char *name);
void blk_set_interface(BlockBackend *blk, BlockInterfaceType type,
                       bool cdrom);
void blk_set_on_error(BlockBackend *blk, BlockdevOnError on_read,
                      BlockdevOnError on_write);
int blk_get_open_flags(const BlockBackend *blk);
bool blk_get_discard_unmap(const BlockBackend *blk);
void *blk_get_attached_dev(BlockBackend *blk);
/* The attached device's id, else its path ("" when none) */
const char *blk_get_attached_dev_id(BlockBackend *blk);
int64_t blk_idle_time_ns(BlockBackend *blk);
bool blk_dev_has_removable_media(const BlockBackend *blk);
bool blk_dev_is_tray_open(const BlockBackend *blk);
bool blk_dev_is_tray_locked(const BlockBackend *blk);
/* tell the attached device that the image size changed */
void blk_dev_resize_cb(BlockBackend *blk);

/* drive.c: the -drive options of a backend, for info block */
const char *drive_get_serial(BlockBackend *blk);

#endif
