/* IDE core: the ATA task file, the command engine of ATA disks, PIO and DMA data transfer, and the ide-hd/ide-cd devices. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/ide.h"
#include "system/runstate.h"
#include "migration/vmstate.h"
#include "config.h"

/* What a command needs and how it ends */
#define CMD_HD      0x01    /* valid for ATA disks */
#define CMD_CD      0x02    /* valid for ATAPI devices */
#define CMD_OK_BSY  0x04    /* accepted while BSY/DRQ (DEVICE RESET) */

typedef struct IDECommand {
    /* returns true when the command is complete: status READY|DSC + IRQ */
    bool (*handler)(IDEState *s, uint8_t cmd);
    uint8_t flags;
} IDECommand;

static void put_le16(uint8_t *p, int word, uint16_t v)
{
    p[word * 2] = v;
    p[word * 2 + 1] = v >> 8;
}

/* ATA strings: two characters per word, the first in the high byte */
static void put_ata_string(uint8_t *p, int word, const char *str, int len)
{
    size_t n = strlen(str);

    for (int i = 0; i < len; i++) {
        p[word * 2 + (i ^ 1)] = (size_t)i < n ? str[i] : ' ';
    }
}

/* ---- Interrupts ---- */

static void ide_bus_update_irq(IDEBus *bus)
{
    if (bus->irq) {
        irq_set(bus->irq, bus->irq_pending && !(bus->ctrl & ATA_CTL_NIEN));
    }
}

void ide_set_irq(IDEState *s)
{
    IDEBus *bus = s->bus;

    bus->irq_pending = true;
    if (bus->bmdma) {
        bus->bmdma->status |= BM_STATUS_INT;
    }
    ide_bus_update_irq(bus);
}

static void ide_clear_irq(IDEBus *bus)
{
    if (bus->irq_pending) {
        bus->irq_pending = false;
        ide_bus_update_irq(bus);
    }
}

/* ---- PIO data ---- */

void ide_transfer_start(IDEState *s, uint32_t start, uint32_t size,
                        IDEEndTransferFunc *end)
{
    /* callers pass sizes within io_buffer; keep it so whatever happens */
    if (start > IDE_IO_BUFFER_SIZE || size > IDE_IO_BUFFER_SIZE - start) {
        start = 0;
        size = 0;
    }
    s->data_pos = start;
    s->data_end = start + size;
    s->end_transfer = end;
    s->status |= ATA_STAT_DRQ;
}

void ide_transfer_stop(IDEState *s)
{
    s->data_pos = s->data_end = 0;
    s->end_transfer = NULL;
    s->status &= ~ATA_STAT_DRQ;
}

static void ide_transfer_done(IDEState *s)
{
    IDEEndTransferFunc *end = s->end_transfer;

    ide_transfer_stop(s);
    if (end) {
        end(s);
    }
}

static uint32_t ide_data_read(IDEState *s, unsigned size)
{
    uint32_t v = 0;

    if (!(s->status & ATA_STAT_DRQ) || s->data_pos >= s->data_end) {
        return 0;
    }
    for (unsigned i = 0; i < size && s->data_pos < s->data_end; i++) {
        v |= (uint32_t)s->io_buffer[s->data_pos++] << (8 * i);
    }
    if (s->data_pos >= s->data_end) {
        ide_transfer_done(s);
    }
    return v;
}

static void ide_data_write(IDEState *s, uint32_t v, unsigned size)
{
    if (!(s->status & ATA_STAT_DRQ) || s->data_pos >= s->data_end) {
        return;
    }
    for (unsigned i = 0; i < size && s->data_pos < s->data_end; i++) {
        s->io_buffer[s->data_pos++] = v >> (8 * i);
    }
    if (s->data_pos >= s->data_end) {
        ide_transfer_done(s);
    }
}

/* ---- Command results ---- */

static void ide_cmd_done(IDEState *s)
{
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_set_irq(s);
}

void ide_abort_command(IDEState *s)
{
    ide_transfer_stop(s);
    s->status = ATA_STAT_DRDY | ATA_STAT_ERR;
    s->error = ATA_ERR_ABRT;
}

static void ide_error(IDEState *s, uint8_t error)
{
    ide_transfer_stop(s);
    s->status = ATA_STAT_DRDY | ATA_STAT_ERR;
    s->error = error;
    ide_set_irq(s);
}

void ide_set_signature(IDEState *s)
{
    s->select &= 0xf0;      /* head 0 */
    s->nsector = 1;
    s->sector = 1;
    if (s->kind == IDE_CD) {
        s->lcyl = 0x14;
        s->hcyl = 0xeb;
    } else if (s->kind == IDE_HD) {
        s->lcyl = 0;
        s->hcyl = 0;
    } else {
        s->lcyl = 0xff;
        s->hcyl = 0xff;
    }
}

bool ide_is_ready(IDEState *s)
{
    return s->blk && blk_is_inserted(s->blk);
}

/* ---- Addressing ---- */

/* The sector the task file names, or UINT64_MAX for a bad CHS address */
static uint64_t ide_get_sector(IDEState *s)
{
    if (s->lba48) {
        return ((uint64_t)s->hob_hcyl << 40) | ((uint64_t)s->hob_lcyl << 32) |
               ((uint64_t)s->hob_sector << 24) | ((uint64_t)s->hcyl << 16) |
               ((uint64_t)s->lcyl << 8) | s->sector;
    }
    if (s->select & ATA_DEV_LBA) {
        return ((uint64_t)(s->select & 0x0f) << 24) |
               ((uint64_t)s->hcyl << 16) | ((uint64_t)s->lcyl << 8) |
               s->sector;
    }
    {
        uint32_t cyl = (s->hcyl << 8) | s->lcyl;
        uint32_t head = s->select & 0x0f;

        if (s->sector == 0 || s->sector > s->cur_sectors ||
            head >= s->cur_heads || cyl >= s->cur_cylinders) {
            return UINT64_MAX;
        }
        return ((uint64_t)cyl * s->cur_heads + head) * s->cur_sectors +
               s->sector - 1;
    }
}

/* Report sector in the task file (after a command or at an error) */
static void ide_set_sector(IDEState *s, uint64_t sector)
{
    if (s->lba48) {
        s->sector = sector;
        s->lcyl = sector >> 8;
        s->hcyl = sector >> 16;
        s->hob_sector = sector >> 24;
        s->hob_lcyl = sector >> 32;
        s->hob_hcyl = sector >> 40;
    } else if (s->select & ATA_DEV_LBA) {
        s->select = (s->select & 0xf0) | ((sector >> 24) & 0x0f);
        s->hcyl = sector >> 16;
        s->lcyl = sector >> 8;
        s->sector = sector;
    } else if (s->cur_heads && s->cur_sectors) {
        uint64_t per_cyl = (uint64_t)s->cur_heads * s->cur_sectors;
        uint64_t cyl = sector / per_cyl;
        uint32_t r = sector % per_cyl;

        s->hcyl = cyl >> 8;
        s->lcyl = cyl;
        s->select = (s->select & 0xf0) | ((r / s->cur_sectors) & 0x0f);
        s->sector = r % s->cur_sectors + 1;
    }
}

/* The count registers show the sectors still to transfer, as QEMU */
static void ide_update_nsector(IDEState *s)
{
    s->nsector = s->sectors_left;
    if (s->lba48) {
        s->hob_nsector = s->sectors_left >> 8;
    }
}

static uint32_t ide_get_nsector(IDEState *s)
{
    if (s->lba48) {
        uint32_t n = (s->hob_nsector << 8) | s->nsector;
        return n ? n : 65536;
    }
    return s->nsector ? s->nsector : 256;
}

/* ---- Asynchronous requests ---- */

static void ide_wb_done(void *opaque, int ret);
static bool ide_dma_still_running(IDEState *s);
static void ide_dma_step(IDEState *s);

/*
 * Send the request the retry_* fields describe (a flush, or a transfer
 * over s->sg when sg_niov is set, else over io_buffer).  While the write
 * cache still writes a command's data, the request waits for it (so that
 * a read or a flush sees that data): ide_wb_done() sends it.
 */
static void ide_send_request(IDEState *s)
{
    struct iovec *iov = s->sg_niov ? s->sg : &s->iov;
    int niov = s->sg_niov ? s->sg_niov : 1;

    s->aio_pending = true;
    if (s->wb_busy) {
        s->wb_waiting = true;
        return;
    }
    if (s->retry_flush) {
        blk_aio_flush(s->blk, s->retry_cb, s);
    } else if (s->retry_write) {
        blk_aio_pwritev(s->blk, s->retry_offset, iov, niov, 0, s->retry_cb,
                        s);
    } else {
        blk_aio_preadv(s->blk, s->retry_offset, iov, niov, s->retry_cb, s);
    }
}

void ide_submit_aio(IDEState *s, bool write, uint64_t offset,
                    uint32_t bytes, BlockCompletionFunc *cb)
{
    if (bytes > IDE_IO_BUFFER_SIZE) {
        bytes = IDE_IO_BUFFER_SIZE;
    }
    s->iov.iov_base = s->io_buffer;
    s->iov.iov_len = bytes;
    s->sg_niov = 0;
    s->retry_write = write;
    s->retry_flush = false;
    s->retry_offset = offset;
    s->retry_cb = cb;
    s->status |= ATA_STAT_BSY;
    ide_send_request(s);
}

/*
 * Submit a request over the niov PRD segments bmdma_map() put in s->sg:
 * the data moves between the image and guest memory without a copy.
 */
static void ide_submit_sg(IDEState *s, bool write, uint64_t offset,
                          int niov, BlockCompletionFunc *cb)
{
    s->sg_niov = niov;
    s->sg_to_memory = !write;
    s->retry_write = write;
    s->retry_flush = false;
    s->retry_offset = offset;
    s->retry_cb = cb;
    s->status |= ATA_STAT_BSY;
    ide_send_request(s);
}

/*
 * The drive's volatile write cache (on while the backend caches writes,
 * the drive's "write cache enabled"; SET FEATURES 82h turns it off): a
 * DMA write chunk is copied into wb_buf and the command goes on at once,
 * while the backend writes the copy.  So the guest prepares its next
 * command while the host writes the last one, instead of the two taking
 * turns.  One chunk is cached at a time; the next DMA write chunk waits
 * to take its place, every other request of the drive waits for it
 * (ide_send_request), so reads and flushes see the data.  A failed cached write follows werror: "stop" pauses the VM and
 * writes it again on resume; "report" fails the next FLUSH CACHE, as a
 * disk reports a write-back error.
 */
static void ide_wb_write(IDEState *s)
{
    s->wb_busy = true;
    s->wb_iov.iov_base = s->wb_buf;
    s->wb_iov.iov_len = s->wb_bytes;
    blk_aio_pwritev(s->blk, s->wb_offset, &s->wb_iov, 1, 0, ide_wb_done, s);
}

static void ide_wb_done(void *opaque, int ret)
{
    IDEState *s = opaque;

    if (ret < 0 && s->blk &&
        blk_cached_write_failed(s->blk, ret, &s->wb_error)) {
        /* keep the data (and whatever waits for it) until resume */
        s->wb_retry = true;
        return;
    }
    s->wb_busy = false;
    if (s->wb_step_waiting) {
        /* the next DMA write chunk goes into the cache now */
        s->wb_step_waiting = false;
        s->aio_pending = false;
        if (ide_dma_still_running(s)) {
            ide_dma_step(s);
        }
    } else if (s->wb_waiting) {
        s->wb_waiting = false;
        ide_send_request(s);
    }
}

/* Do DMA write chunks go through the write cache? */
static bool ide_wb_enabled(IDEState *s)
{
    if (s->kind != IDE_HD || !s->blk || !blk_enable_write_cache(s->blk)) {
        return false;
    }
    /* page-aligned, so that an O_DIRECT image (cache=none) needs no bounce */
    if (!s->wb_buf &&
        posix_memalign((void **)&s->wb_buf, 4096, IDE_CHUNK_BYTES) != 0) {
        s->wb_buf = NULL;
        return false;
    }
    return true;
}

/* The request is over (or dropped): give the mapped segments back */
static void ide_sg_release(IDEState *s)
{
    if (s->sg_niov) {
        bmdma_unmap(s->sg, s->sg_niov, s->sg_to_memory);
        s->sg_niov = 0;
    }
}

/*
 * A reset or DEVICE RESET drops the request in flight: its completion only
 * restores the status.  A read into mapped guest memory is waited for, so
 * that no data lands in memory the guest may already use for something
 * else once the reset is over (QEMU waits for it too).
 */
static void ide_cancel_request(IDEState *s)
{
    if (s->aio_pending && (s->wb_waiting || s->wb_step_waiting)) {
        /* never sent: nothing to wait for */
        s->wb_waiting = s->wb_step_waiting = false;
        s->aio_pending = false;
        ide_sg_release(s);
    } else if (s->aio_pending) {
        s->aio_cancelled = true;
        if (s->sg_niov && s->sg_to_memory && s->blk) {
            blk_drain(s->blk);
        }
    } else if (s->retry_pending) {
        s->retry_pending = false;
        ide_sg_release(s);
    }
}

/* Status once a reset finished (also after a cancelled request) */
static uint8_t ide_reset_status(IDEState *s)
{
    return s->kind == IDE_HD ? ATA_STAT_DRDY | ATA_STAT_DSC : 0;
}

bool ide_aio_complete(IDEState *s, int ret)
{
    BlockErrorAction action;

    s->aio_pending = false;
    if (s->aio_cancelled) {
        s->aio_cancelled = false;
        ide_sg_release(s);
        s->status = ide_reset_status(s);
        return false;
    }
    action = ret >= 0 ? BLOCK_ERROR_ACTION_IGNORE
                      : blk_get_error_action(s->blk, !s->retry_write, -ret);
    if (action != BLOCK_ERROR_ACTION_STOP) {
        ide_sg_release(s);
    }
    switch (action) {
    case BLOCK_ERROR_ACTION_IGNORE:
        return true;
    case BLOCK_ERROR_ACTION_STOP:
        /* keep BSY (and the mapping); the request runs again when the VM
         * continues */
        s->retry_pending = true;
        s->status |= ATA_STAT_BSY;
        vm_stop(RUN_STATE_IO_ERROR);
        return false;
    case BLOCK_ERROR_ACTION_REPORT:
    default:
        break;
    }
    if (s->kind == IDE_CD) {
        /* MEDIUM ERROR / unrecovered read error */
        s->sense.key = 3;
        s->sense.asc = 0x11;
        s->sense.ascq = 0;
        s->error = 3 << 4;
        s->status = ATA_STAT_DRDY | ATA_STAT_ERR;
        s->nsector = (s->nsector & ~7) | ATAPI_INT_REASON_IO |
                     ATAPI_INT_REASON_CD;
        ide_transfer_stop(s);
        ide_set_irq(s);
    } else {
        ide_set_sector(s, s->cur_lba);
        ide_error(s, s->retry_write ? ATA_ERR_ABRT
                                    : ATA_ERR_UNC | ATA_ERR_ABRT);
    }
    if (s->dma_kind != IDE_DMA_NONE) {
        s->dma_kind = IDE_DMA_NONE;
        s->dma_running = false;
        if (s->bus->bmdma) {
            bmdma_set_inactive(s->bus->bmdma, false);
        }
    }
    return false;
}

static void ide_vm_state_change(void *opaque, bool running, RunState state)
{
    IDEBus *bus = opaque;

    if (!running) {
        return;
    }
    for (int i = 0; i < MAX_IDE_DEVS; i++) {
        IDEState *s = &bus->ifs[i];
        if (s->wb_retry && s->blk) {
            s->wb_retry = false;
            ide_wb_write(s);
        }
        if (s->retry_pending && s->blk) {
            s->retry_pending = false;
            ide_send_request(s);
        }
    }
}

/* ---- IDENTIFY DEVICE ---- */

static void ide_identify(IDEState *s)
{
    uint8_t *p = s->identify_data;
    uint64_t lba28 = MIN(s->nb_sectors, 0x0fffffffULL);
    uint64_t chs = (uint64_t)s->cur_cylinders * s->cur_heads * s->cur_sectors;
    uint8_t mode = s->xfer_mode;

    memset(p, 0, 512);
    put_le16(p, 0, 0x0040);                 /* fixed, non-removable */
    put_le16(p, 1, s->cylinders);
    put_le16(p, 3, s->heads);
    put_le16(p, 4, 512 * s->sectors);       /* obsolete, as QEMU */
    put_le16(p, 5, 512);
    put_le16(p, 6, s->sectors);
    put_ata_string(p, 10, s->serial, 20);
    put_le16(p, 20, 3);                     /* buffer type */
    put_le16(p, 21, 512);                   /* cache size in sectors */
    put_le16(p, 22, 4);                     /* ECC bytes */
    put_ata_string(p, 23, s->version, 8);
    put_ata_string(p, 27, s->model, 40);
    put_le16(p, 47, 0x8000 | IDE_MAX_MULT_SECTORS);
    put_le16(p, 48, 1);                     /* 32-bit PIO */
    put_le16(p, 49, (1 << 11) | (1 << 9) | (1 << 8)); /* IORDY, LBA, DMA */
    put_le16(p, 51, 0x200);
    put_le16(p, 52, 0x200);
    put_le16(p, 53, 1 | (1 << 1) | (1 << 2)); /* words 54-58, 64-70, 88 */
    put_le16(p, 54, s->cur_cylinders);
    put_le16(p, 55, s->cur_heads);
    put_le16(p, 56, s->cur_sectors);
    put_le16(p, 57, chs);
    put_le16(p, 58, chs >> 16);
    if (s->mult_sectors) {
        put_le16(p, 59, 0x100 | s->mult_sectors);
    }
    put_le16(p, 60, lba28);
    put_le16(p, 61, lba28 >> 16);
    put_le16(p, 62, 0x07);                  /* single-word DMA 0-2 */
    put_le16(p, 63, 0x07 | ((mode >> 3) == 4 ? 0x100 << (mode & 7) : 0));
    put_le16(p, 64, 0x03);                  /* PIO 3 and 4 */
    put_le16(p, 65, 120);
    put_le16(p, 66, 120);
    put_le16(p, 67, 120);
    put_le16(p, 68, 120);
    put_le16(p, 80, 0xf0);                  /* ATA/ATAPI-4 to -7 */
    put_le16(p, 81, 0x16);
    /* write cache; LBA48, FLUSH CACHE (EXT) */
    put_le16(p, 82, (1 << 14) | (1 << 5));
    put_le16(p, 83, (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10));
    put_le16(p, 84, 1 << 14);
    put_le16(p, 85, (1 << 14) |
             (s->blk && blk_enable_write_cache(s->blk) ? 1 << 5 : 0));
    put_le16(p, 86, (1 << 13) | (1 << 12) | (1 << 10));
    put_le16(p, 87, 1 << 14);
    put_le16(p, 88, 0x3f | ((mode >> 3) == 8 ? 0x100 << (mode & 7) : 0));
    put_le16(p, 93, 1 | (1 << 14) | 0x2000); /* 80-wire cable */
    put_le16(p, 100, s->nb_sectors);
    put_le16(p, 101, s->nb_sectors >> 16);
    put_le16(p, 102, s->nb_sectors >> 32);
    put_le16(p, 103, s->nb_sectors >> 48);
    put_le16(p, 106, 0x6000);               /* 1 logical per physical */
}

/* ---- ATA commands ---- */

static bool cmd_nop(IDEState *s, uint8_t cmd)
{
    ide_abort_command(s);
    return true;
}

static bool cmd_ok(IDEState *s, uint8_t cmd)
{
    return true;
}

static bool cmd_identify(IDEState *s, uint8_t cmd)
{
    if (s->kind == IDE_CD) {
        /* packet devices abort and show their signature (ATA-4 on) */
        ide_set_signature(s);
        ide_abort_command(s);
        return true;
    }
    ide_identify(s);
    memcpy(s->io_buffer, s->identify_data, 512);
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_transfer_start(s, 0, 512, ide_transfer_stop);
    ide_set_irq(s);
    return false;
}

static bool cmd_identify_packet(IDEState *s, uint8_t cmd)
{
    ide_atapi_identify(s);
    memcpy(s->io_buffer, s->identify_data, 512);
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_transfer_start(s, 0, 512, ide_transfer_stop);
    ide_set_irq(s);
    return false;
}

static bool cmd_device_reset(IDEState *s, uint8_t cmd)
{
    ide_cancel_request(s);
    ide_transfer_stop(s);
    s->dma_kind = IDE_DMA_NONE;
    ide_cd_reset(s, false);
    ide_set_signature(s);
    s->error = 0x01;
    s->status = s->aio_pending ? ATA_STAT_BSY : 0;
    return false;
}

static bool cmd_exec_diagnostic(IDEState *s, uint8_t cmd)
{
    IDEBus *bus = s->bus;

    for (int i = 0; i < MAX_IDE_DEVS; i++) {
        IDEState *d = &bus->ifs[i];
        if (d->kind == IDE_NONE || d->aio_pending) {
            continue;
        }
        ide_transfer_stop(d);
        ide_set_signature(d);
        d->error = 0x01;                    /* passed */
        d->status = ide_reset_status(d);
    }
    ide_set_irq(s);
    return false;
}

static bool cmd_check_power(IDEState *s, uint8_t cmd)
{
    s->nsector = 0xff;                      /* active or idle */
    return true;
}

static bool cmd_set_multiple(IDEState *s, uint8_t cmd)
{
    uint8_t n = s->nsector;

    if (n > IDE_MAX_MULT_SECTORS || (n & (n - 1))) {
        ide_abort_command(s);
        return true;
    }
    s->mult_sectors = n;
    return true;
}

static bool cmd_init_dev_params(IDEState *s, uint8_t cmd)
{
    uint32_t heads = (s->select & 0x0f) + 1;
    uint32_t secs = s->nsector;
    uint64_t cyls;

    if (secs == 0) {
        ide_abort_command(s);
        return true;
    }
    cyls = s->nb_sectors / (heads * secs);
    s->cur_heads = heads;
    s->cur_sectors = secs;
    s->cur_cylinders = MIN(cyls, 65535);
    return true;
}

static bool cmd_set_features(IDEState *s, uint8_t cmd)
{
    uint8_t mode = s->nsector;

    switch (s->feature) {
    case 0x02:                              /* write cache on */
    case 0x82:                              /* off */
        if (s->kind != IDE_HD) {
            break;
        }
        blk_set_enable_write_cache(s->blk, s->feature == 0x02);
        return true;
    case 0x03:                              /* transfer mode */
        switch (mode >> 3) {
        case 0:                             /* PIO default */
        case 1:                             /* PIO flow control */
            if ((mode >> 3) == 1 && (mode & 7) > 4) {
                break;
            }
            s->xfer_mode = mode;
            return true;
        case 4:                             /* multiword DMA */
            if ((mode & 7) > 2) {
                break;
            }
            s->xfer_mode = mode;
            return true;
        case 8:                             /* Ultra DMA */
            if ((mode & 7) > 5) {
                break;
            }
            s->xfer_mode = mode;
            return true;
        default:
            break;
        }
        break;
    case 0x31: case 0x42: case 0x55: case 0x66: case 0x95: case 0x96:
    case 0xaa: case 0xc2: case 0xcc: case 0xdd: case 0x5d: case 0xde:
        /* read look-ahead, defaults on reset, interrupts...: accepted */
        return true;
    default:
        break;
    }
    emu_log_mask(LOG_UNIMP, "ide: SET FEATURES subcommand 0x%02x\n",
                 s->feature);
    ide_abort_command(s);
    return true;
}

/* Check the range of a sector command; false: error already reported */
static bool ide_sector_range_ok(IDEState *s, uint64_t lba, uint32_t n)
{
    if (lba == UINT64_MAX || lba > s->nb_sectors ||
        n > s->nb_sectors - lba) {
        ide_error(s, ATA_ERR_IDNF);
        return false;
    }
    return true;
}

static bool cmd_read_verify(IDEState *s, uint8_t cmd)
{
    uint64_t lba;
    uint32_t n;

    s->lba48 = cmd == 0x42;
    lba = ide_get_sector(s);
    n = ide_get_nsector(s);
    if (!ide_sector_range_ok(s, lba, n)) {
        return false;
    }
    ide_set_sector(s, lba + n - 1);
    return true;
}

/* PIO: sectors per DRQ block of the command in progress */
static uint32_t ide_block_sectors(IDEState *s)
{
    switch (s->cmd) {
    case 0xc4: case 0xc5: case 0x29: case 0x39:
        return s->mult_sectors ? s->mult_sectors : 1;
    default:
        return 1;
    }
}

static void ide_pio_read_next(IDEState *s);

static void ide_pio_read_block_done(IDEState *s)
{
    if (s->sectors_left) {
        ide_pio_read_next(s);
    } else {
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    }
}

static void ide_pio_read_cb(void *opaque, int ret)
{
    IDEState *s = opaque;

    if (!ide_aio_complete(s, ret)) {
        return;
    }
    s->pio_buf_index = 0;
    ide_pio_read_next(s);
}

/*
 * Offer the next DRQ block from io_buffer, reading the next chunk of the
 * command first when the buffer is used up: one backend request serves
 * many blocks.
 */
static void ide_pio_read_next(IDEState *s)
{
    uint32_t n;

    if (s->pio_buf_index >= s->chunk_sectors) {
        s->chunk_sectors = MIN(s->sectors_left,
                               IDE_CHUNK_BYTES / IDE_SECTOR_SIZE);
        s->pio_buf_index = 0;
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        ide_submit_aio(s, false, s->cur_lba * IDE_SECTOR_SIZE,
                       s->chunk_sectors * IDE_SECTOR_SIZE, ide_pio_read_cb);
        return;
    }
    n = MIN(s->chunk_sectors - s->pio_buf_index, ide_block_sectors(s));
    ide_set_sector(s, s->cur_lba + n - 1);
    s->cur_lba += n;
    s->sectors_left -= n;
    ide_update_nsector(s);
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_transfer_start(s, s->pio_buf_index * IDE_SECTOR_SIZE,
                       n * IDE_SECTOR_SIZE, ide_pio_read_block_done);
    s->pio_buf_index += n;
    ide_set_irq(s);
}

static void ide_pio_write_block_done(IDEState *s);

static void ide_pio_write_cb(void *opaque, int ret)
{
    IDEState *s = opaque;
    uint32_t n = s->chunk_sectors;

    if (!ide_aio_complete(s, ret)) {
        return;
    }
    ide_set_sector(s, s->cur_lba + n - 1);
    s->cur_lba += n;
    s->sectors_left -= n;
    ide_update_nsector(s);
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    if (s->sectors_left) {
        n = MIN(s->sectors_left, ide_block_sectors(s));
        s->chunk_sectors = n;
        ide_transfer_start(s, 0, n * IDE_SECTOR_SIZE,
                           ide_pio_write_block_done);
    }
    ide_set_irq(s);
}

static void ide_pio_write_block_done(IDEState *s)
{
    ide_submit_aio(s, true, s->cur_lba * IDE_SECTOR_SIZE,
                   s->chunk_sectors * IDE_SECTOR_SIZE, ide_pio_write_cb);
}

/* READ/WRITE SECTORS, MULTIPLE and DMA, LBA28 and EXT */
static bool cmd_rw(IDEState *s, uint8_t cmd)
{
    bool dma = false, write = false;
    uint64_t lba;
    uint32_t n;

    switch (cmd) {
    case 0x24: case 0x29: case 0x34: case 0x39: case 0x25: case 0x35:
        s->lba48 = true;
        break;
    default:
        s->lba48 = false;
        break;
    }
    switch (cmd) {
    case 0x30: case 0x31: case 0x34: case 0xc5: case 0x39:
        write = true;
        break;
    case 0xca: case 0xcb: case 0x35:
        write = true;
        dma = true;
        break;
    case 0xc8: case 0xc9: case 0x25:
        dma = true;
        break;
    default:
        break;
    }
    if ((cmd == 0xc4 || cmd == 0xc5 || cmd == 0x29 || cmd == 0x39) &&
        !s->mult_sectors) {
        ide_abort_command(s);
        return true;
    }
    if (write && blk_is_read_only(s->blk)) {
        ide_abort_command(s);
        return true;
    }
    lba = ide_get_sector(s);
    n = ide_get_nsector(s);
    if (!ide_sector_range_ok(s, lba, n)) {
        return false;
    }
    s->cmd = cmd;
    s->is_write = write;
    s->cur_lba = lba;
    s->sectors_left = n;
    if (dma) {
        ide_dma_start(s, write ? IDE_DMA_WRITE : IDE_DMA_READ);
    } else if (write) {
        s->chunk_sectors = MIN(n, ide_block_sectors(s));
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        ide_transfer_start(s, 0, s->chunk_sectors * IDE_SECTOR_SIZE,
                           ide_pio_write_block_done);
    } else {
        s->chunk_sectors = 0;
        s->pio_buf_index = 0;
        ide_pio_read_next(s);
    }
    return false;
}

static void ide_flush_cb(void *opaque, int ret)
{
    IDEState *s = opaque;

    if (ret >= 0 && s->wb_error) {
        /* a cached write failed since the last flush: report it now */
        ret = s->wb_error;
        s->wb_error = 0;
    }
    if (!ide_aio_complete(s, ret)) {
        return;
    }
    ide_cmd_done(s);
}

static bool cmd_flush(IDEState *s, uint8_t cmd)
{
    s->sg_niov = 0;
    s->retry_write = true;
    s->retry_flush = true;
    s->retry_cb = ide_flush_cb;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_BSY;
    ide_send_request(s);
    return false;
}

static bool cmd_packet(IDEState *s, uint8_t cmd)
{
    s->atapi_dma = s->feature & 1;
    s->atapi_bcl = s->lcyl | (s->hcyl << 8);
    s->nsector = ATAPI_INT_REASON_CD;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_transfer_start(s, 0, 12, ide_atapi_cmd);
    return false;
}

static const IDECommand ide_commands[256] = {
    [0x00] = { cmd_nop, CMD_HD | CMD_CD },
    [0x08] = { cmd_device_reset, CMD_CD | CMD_OK_BSY },
    [0x10] = { cmd_ok, CMD_HD },            /* RECALIBRATE */
    [0x20] = { cmd_rw, CMD_HD },            /* READ SECTORS */
    [0x21] = { cmd_rw, CMD_HD },
    [0x24] = { cmd_rw, CMD_HD },            /* READ SECTORS EXT */
    [0x25] = { cmd_rw, CMD_HD },            /* READ DMA EXT */
    [0x29] = { cmd_rw, CMD_HD },            /* READ MULTIPLE EXT */
    [0x30] = { cmd_rw, CMD_HD },            /* WRITE SECTORS */
    [0x31] = { cmd_rw, CMD_HD },
    [0x34] = { cmd_rw, CMD_HD },            /* WRITE SECTORS EXT */
    [0x35] = { cmd_rw, CMD_HD },            /* WRITE DMA EXT */
    [0x39] = { cmd_rw, CMD_HD },            /* WRITE MULTIPLE EXT */
    [0x40] = { cmd_read_verify, CMD_HD },
    [0x41] = { cmd_read_verify, CMD_HD },
    [0x42] = { cmd_read_verify, CMD_HD },   /* READ VERIFY EXT */
    [0x70] = { cmd_ok, CMD_HD },            /* SEEK */
    [0x90] = { cmd_exec_diagnostic, CMD_HD | CMD_CD },
    [0x91] = { cmd_init_dev_params, CMD_HD },
    [0xa0] = { cmd_packet, CMD_CD },
    [0xa1] = { cmd_identify_packet, CMD_CD },
    [0xc4] = { cmd_rw, CMD_HD },            /* READ MULTIPLE */
    [0xc5] = { cmd_rw, CMD_HD },            /* WRITE MULTIPLE */
    [0xc6] = { cmd_set_multiple, CMD_HD },
    [0xc8] = { cmd_rw, CMD_HD },            /* READ DMA */
    [0xc9] = { cmd_rw, CMD_HD },
    [0xca] = { cmd_rw, CMD_HD },            /* WRITE DMA */
    [0xcb] = { cmd_rw, CMD_HD },
    [0xe0] = { cmd_ok, CMD_HD | CMD_CD },   /* STANDBY IMMEDIATE */
    [0xe1] = { cmd_ok, CMD_HD | CMD_CD },   /* IDLE IMMEDIATE */
    [0xe2] = { cmd_ok, CMD_HD },            /* STANDBY */
    [0xe3] = { cmd_ok, CMD_HD },            /* IDLE */
    [0xe5] = { cmd_check_power, CMD_HD | CMD_CD },
    [0xe6] = { cmd_ok, CMD_HD | CMD_CD },   /* SLEEP */
    [0xe7] = { cmd_flush, CMD_HD },         /* FLUSH CACHE */
    [0xea] = { cmd_flush, CMD_HD },         /* FLUSH CACHE EXT */
    [0xec] = { cmd_identify, CMD_HD | CMD_CD },
    [0xef] = { cmd_set_features, CMD_HD | CMD_CD },
};

static void ide_exec_cmd(IDEBus *bus, uint8_t cmd)
{
    IDEState *s = &bus->ifs[bus->unit];
    const IDECommand *c = &ide_commands[cmd];
    uint8_t need = s->kind == IDE_CD ? CMD_CD : CMD_HD;

    if (s->kind == IDE_NONE) {
        return;
    }
    if ((s->status & (ATA_STAT_BSY | ATA_STAT_DRQ)) &&
        !(c->flags & CMD_OK_BSY)) {
        return;
    }
    if (s->aio_pending && !(c->flags & CMD_OK_BSY)) {
        return;
    }
    /* a new command clears the pending interrupt */
    ide_clear_irq(bus);
    if (!c->handler || !(c->flags & need)) {
        emu_log_mask(LOG_UNIMP, "ide: unsupported command 0x%02x\n", cmd);
        ide_abort_command(s);
        ide_set_irq(s);
        return;
    }
    s->error = 0;
    s->status = ATA_STAT_DRDY | ATA_STAT_BSY;
    s->dma_kind = IDE_DMA_NONE;
    if (c->handler(s, cmd)) {
        if (!(s->status & ATA_STAT_ERR)) {
            s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        }
        ide_set_irq(s);
    }
}

/* ---- DMA ---- */

void ide_dma_start(IDEState *s, IDEDMAKind kind)
{
    s->dma_kind = kind;
    s->dma_running = false;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
    ide_bus_dma_kick(s->bus);
}

void ide_dma_finish(IDEState *s, bool bm_error)
{
    s->dma_kind = IDE_DMA_NONE;
    s->dma_running = false;
    if (s->bus->bmdma) {
        bmdma_set_inactive(s->bus->bmdma, bm_error);
    }
}

/* The bus master ran out of descriptors before the command's data */
static void ide_dma_short(IDEState *s)
{
    /* as QEMU: the command ends without an interrupt */
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_dma_finish(s, false);
}

/* A bus-master transfer error: the device aborts the command */
static void ide_dma_error(IDEState *s)
{
    ide_set_sector(s, s->cur_lba);
    ide_dma_finish(s, true);
    ide_error(s, ATA_ERR_ABRT);
}

static bool ide_dma_still_running(IDEState *s)
{
    BMDMAState *bm = s->bus->bmdma;

    if (!bm || !(bm->cmd & BM_CMD_START)) {
        /* stopped by the guest mid-transfer: drop the command */
        s->dma_kind = IDE_DMA_NONE;
        s->dma_running = false;
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        return false;
    }
    return true;
}

static void ide_dma_read_cb(void *opaque, int ret)
{
    IDEState *s = opaque;
    uint32_t n = s->chunk_sectors;
    int64_t got;

    if (!ide_aio_complete(s, ret) || !ide_dma_still_running(s)) {
        return;
    }
    got = bmdma_transfer(s->bus->bmdma, s->io_buffer, n * IDE_SECTOR_SIZE,
                         true);
    if (got < 0) {
        ide_dma_error(s);
        return;
    }
    s->cur_lba += n;
    s->sectors_left -= n;
    ide_update_nsector(s);
    if (got < n * IDE_SECTOR_SIZE) {
        ide_set_sector(s, s->cur_lba - 1);
        ide_dma_short(s);
        return;
    }
    ide_dma_step(s);
}

/*
 * A chunk that went straight between the mapped segments and the drive
 * (a read, or an uncached write) completed: on to the next one.
 */
static void ide_dma_chunk_cb(void *opaque, int ret)
{
    IDEState *s = opaque;

    if (!ide_aio_complete(s, ret) || !ide_dma_still_running(s)) {
        return;
    }
    s->cur_lba += s->chunk_sectors;
    s->sectors_left -= s->chunk_sectors;
    ide_update_nsector(s);
    ide_dma_step(s);
}

/* A DMA write chunk of n sectors into the write cache (ide_wb_write) */
static void ide_dma_write_cached(IDEState *s, uint32_t n)
{
    int64_t got;

    got = bmdma_transfer(s->bus->bmdma, s->wb_buf, n * IDE_SECTOR_SIZE,
                         false);
    if (got < 0) {
        ide_dma_error(s);
        return;
    }
    if (got < IDE_SECTOR_SIZE) {
        ide_set_sector(s, s->cur_lba ? s->cur_lba - 1 : 0);
        ide_dma_short(s);
        return;
    }
    /* a partial last sector of a short table is not written */
    n = got / IDE_SECTOR_SIZE;
    s->wb_offset = s->cur_lba * IDE_SECTOR_SIZE;
    s->wb_bytes = n * IDE_SECTOR_SIZE;
    ide_wb_write(s);
    s->cur_lba += n;
    s->sectors_left -= n;
    ide_update_nsector(s);
    /* the rest of the command (or its end): waits for the cache if needed */
    ide_dma_step(s);
}

/*
 * A DMA read chunk done at once from the host's page cache into the
 * mapped segments (blk_try_rw_inline), on the thread that started it: no
 * worker, no completion through the main loop.  Not while the write cache
 * holds a chunk, which must reach the image first (it may overlap).
 * Writes stay with the write cache: copying a chunk and letting a worker
 * write it while the guest prepares the next command was faster (1 GiB
 * to tmpfs: 0.16 s) than writing it here (0.22-0.32 s).  False: nothing
 * moved as far as the guest can tell, the walk is where it was.
 */
static bool ide_dma_read_inline(IDEState *s, uint32_t n)
{
    BMDMAState *bm = s->bus->bmdma;
    BMDMAWalk walk;
    int niov;

    if (s->dma_kind != IDE_DMA_READ || s->wb_busy) {
        return false;
    }
    bmdma_walk_save(bm, &walk);
    niov = bmdma_map(bm, n * IDE_SECTOR_SIZE, true, s->sg, IDE_SG_MAX);
    if (niov <= 0) {
        return false;
    }
    if (blk_try_rw_inline(s->blk, false, s->cur_lba * IDE_SECTOR_SIZE,
                          s->sg, niov) == 0) {
        bmdma_unmap(s->sg, niov, true);
        return true;
    }
    /* a failed read may have filled some of it: marked written all the same */
    bmdma_unmap(s->sg, niov, true);
    bmdma_walk_restore(bm, &walk);
    return false;
}

static void ide_dma_step(IDEState *s)
{
    uint32_t n;
    int64_t got;
    int niov;

    if (s->dma_kind == IDE_DMA_ATAPI) {
        ide_atapi_dma_step(s);
        return;
    }
    for (;;) {
        n = MIN(s->sectors_left, IDE_CHUNK_BYTES / IDE_SECTOR_SIZE);
        if (n == 0) {
            ide_set_sector(s, s->cur_lba - 1);
            ide_dma_finish(s, false);
            ide_cmd_done(s);
            return;
        }
        s->chunk_sectors = n;
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
        if (!ide_dma_read_inline(s, n)) {
            break;
        }
        s->cur_lba += n;
        s->sectors_left -= n;
        ide_update_nsector(s);
    }
    if (s->dma_kind == IDE_DMA_WRITE && ide_wb_enabled(s)) {
        if (s->wb_busy) {
            /*
             * The cache still holds the previous chunk: this one goes in
             * once that is written (ide_wb_done), so the command ends
             * then rather than after its own write as well.
             */
            s->wb_step_waiting = true;
            s->aio_pending = true;
            s->status |= ATA_STAT_BSY;
            return;
        }
        ide_dma_write_cached(s, n);
        return;
    }
    /*
     * The common case: the PRD segments cover the chunk and are all RAM.
     * Mapped, the data moves in one vectored request with no copy; the
     * rest (short tables, MMIO, errors) takes the io_buffer path below.
     */
    niov = bmdma_map(s->bus->bmdma, n * IDE_SECTOR_SIZE,
                     s->dma_kind == IDE_DMA_READ, s->sg, IDE_SG_MAX);
    if (niov > 0) {
        ide_submit_sg(s, s->dma_kind == IDE_DMA_WRITE,
                      s->cur_lba * IDE_SECTOR_SIZE, niov,
                      ide_dma_chunk_cb);
        return;
    }
    if (s->dma_kind == IDE_DMA_READ) {
        ide_submit_aio(s, false, s->cur_lba * IDE_SECTOR_SIZE,
                       n * IDE_SECTOR_SIZE, ide_dma_read_cb);
        return;
    }
    got = bmdma_transfer(s->bus->bmdma, s->io_buffer, n * IDE_SECTOR_SIZE,
                         false);
    if (got < 0) {
        ide_dma_error(s);
        return;
    }
    if (got < IDE_SECTOR_SIZE) {
        ide_set_sector(s, s->cur_lba ? s->cur_lba - 1 : 0);
        ide_dma_short(s);
        return;
    }
    /* a partial last sector of a short table is not written */
    s->chunk_sectors = got / IDE_SECTOR_SIZE;
    ide_submit_aio(s, true, s->cur_lba * IDE_SECTOR_SIZE,
                   s->chunk_sectors * IDE_SECTOR_SIZE, ide_dma_chunk_cb);
}

void ide_bus_dma_kick(IDEBus *bus)
{
    BMDMAState *bm = bus->bmdma;

    if (!bm || !(bm->cmd & BM_CMD_START)) {
        return;
    }
    for (int i = 0; i < MAX_IDE_DEVS; i++) {
        IDEState *s = &bus->ifs[i];
        if (s->dma_kind != IDE_DMA_NONE && !s->dma_running &&
            !s->aio_pending) {
            s->dma_running = true;
            ide_dma_step(s);
            return;
        }
    }
}

void ide_bus_dma_cancel(IDEBus *bus)
{
    for (int i = 0; i < MAX_IDE_DEVS; i++) {
        IDEState *s = &bus->ifs[i];
        /*
         * A stopped bus master writes no more memory: wait for a read
         * into mapped memory (its completion sees START clear and drops
         * the command, as the copying path would have).
         */
        if (s->aio_pending && s->sg_niov && s->sg_to_memory && s->blk) {
            blk_drain(s->blk);
        }
        /* a request in flight notices at its completion */
        if (s->dma_running && !s->aio_pending) {
            s->dma_running = false;
        }
    }
}

/* ---- Port I/O ---- */

static uint64_t ide_cmd_read(void *opaque, hwaddr addr, unsigned size)
{
    IDEBus *bus = opaque;
    IDEState *s = &bus->ifs[bus->unit];
    bool hob = bus->ctrl & ATA_CTL_HOB;
    bool none = bus->ifs[0].kind == IDE_NONE && bus->ifs[1].kind == IDE_NONE;
    bool absent = none || s->kind == IDE_NONE;

    switch (addr) {
    case 0:
        return absent ? 0 : ide_data_read(s, size);
    case 1:
        return absent ? 0 : hob ? s->hob_feature : s->error;
    case 2:
        return absent ? 0 : hob ? s->hob_nsector : s->nsector;
    case 3:
        return absent ? 0 : hob ? s->hob_sector : s->sector;
    case 4:
        return absent ? 0 : hob ? s->hob_lcyl : s->lcyl;
    case 5:
        return absent ? 0 : hob ? s->hob_hcyl : s->hcyl;
    case 6:
        return none ? 0 : s->select;
    case 7:
    default:
        if (absent) {
            return 0;
        }
        ide_clear_irq(bus);
        return s->status;
    }
}

static void ide_cmd_write(void *opaque, hwaddr addr, uint64_t val,
                          unsigned size)
{
    IDEBus *bus = opaque;

    if (addr == 0) {
        ide_data_write(&bus->ifs[bus->unit], val, size);
        return;
    }
    if (addr != 7) {
        /* writing the task file ends a HOB read-back */
        bus->ctrl &= ~ATA_CTL_HOB;
    }
    /* both devices latch the task file */
    for (int i = 0; i < MAX_IDE_DEVS; i++) {
        IDEState *s = &bus->ifs[i];
        uint8_t v = val;

        switch (addr) {
        case 1:
            s->hob_feature = s->feature;
            s->feature = v;
            break;
        case 2:
            s->hob_nsector = s->nsector;
            s->nsector = v;
            break;
        case 3:
            s->hob_sector = s->sector;
            s->sector = v;
            break;
        case 4:
            s->hob_lcyl = s->lcyl;
            s->lcyl = v;
            break;
        case 5:
            s->hob_hcyl = s->hcyl;
            s->hcyl = v;
            break;
        case 6:
            s->select = (v & ~ATA_DEV_DEV) | 0xa0 | (i ? ATA_DEV_DEV : 0);
            break;
        default:
            break;
        }
    }
    if (addr == 6) {
        bus->unit = (val >> 4) & 1;
    } else if (addr == 7) {
        ide_exec_cmd(bus, val);
    }
}

/* Software reset of both devices (SRST falling edge) */
static void ide_srst_done(IDEBus *bus)
{
    for (int i = 0; i < MAX_IDE_DEVS; i++) {
        IDEState *s = &bus->ifs[i];

        ide_transfer_stop(s);
        ide_cancel_request(s);
        s->dma_kind = IDE_DMA_NONE;
        s->dma_running = false;
        s->lba48 = false;
        ide_set_signature(s);
        s->error = 0x01;
        if (s->aio_pending) {
            s->status = ATA_STAT_BSY;
        } else {
            s->status = ide_reset_status(s);
        }
    }
    bus->unit = 0;
}

static uint64_t ide_ctl_read(void *opaque, hwaddr addr, unsigned size)
{
    IDEBus *bus = opaque;
    IDEState *s = &bus->ifs[bus->unit];

    if ((bus->ifs[0].kind == IDE_NONE && bus->ifs[1].kind == IDE_NONE) ||
        s->kind == IDE_NONE) {
        return 0;
    }
    return s->status;
}

static void ide_ctl_write(void *opaque, hwaddr addr, uint64_t val,
                          unsigned size)
{
    IDEBus *bus = opaque;
    uint8_t old = bus->ctrl;

    bus->ctrl = val;
    if (!(old & ATA_CTL_SRST) && (val & ATA_CTL_SRST)) {
        for (int i = 0; i < MAX_IDE_DEVS; i++) {
            bus->ifs[i].status = ATA_STAT_BSY | ATA_STAT_DSC;
        }
    } else if ((old & ATA_CTL_SRST) && !(val & ATA_CTL_SRST)) {
        ide_srst_done(bus);
    }
    ide_bus_update_irq(bus);
}

const MemoryRegionOps ide_cmd_ops = {
    .read = ide_cmd_read,
    .write = ide_cmd_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

const MemoryRegionOps ide_ctl_ops = {
    .read = ide_ctl_read,
    .write = ide_ctl_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* ---- Buses and drives ---- */

void ide_bus_init(IDEBus *bus, int bus_id, IRQLine *irq, BMDMAState *bm)
{
    bus->bus_id = bus_id;
    bus->irq = irq;
    bus->bmdma = bm;
    for (int i = 0; i < MAX_IDE_DEVS; i++) {
        IDEState *s = &bus->ifs[i];
        s->bus = bus;
        s->unit = i;
        s->kind = IDE_NONE;
        s->io_buffer = emu_malloc0(IDE_IO_BUFFER_SIZE);
        s->sg = emu_new0(struct iovec, IDE_SG_MAX);
    }
    vm_state_add_change_handler(ide_vm_state_change, bus);
}

void ide_bus_cleanup(IDEBus *bus)
{
    vm_state_remove_change_handler(ide_vm_state_change, bus);
    for (int i = 0; i < MAX_IDE_DEVS; i++) {
        free(bus->ifs[i].io_buffer);
        bus->ifs[i].io_buffer = NULL;
        free(bus->ifs[i].sg);
        bus->ifs[i].sg = NULL;
        free(bus->ifs[i].wb_buf);
        bus->ifs[i].wb_buf = NULL;
    }
}

static void ide_drive_reset(IDEState *s)
{
    ide_cancel_request(s);
    ide_transfer_stop(s);
    s->mult_sectors = IDE_MAX_MULT_SECTORS;
    /* QEMU's drives come up with UDMA mode 5 selected */
    s->xfer_mode = 0x45;
    s->feature = s->error = 0;
    s->hob_feature = s->hob_nsector = s->hob_sector = 0;
    s->hob_lcyl = s->hob_hcyl = 0;
    s->select = 0xa0 | (s->unit ? ATA_DEV_DEV : 0);
    s->lba48 = false;
    s->dma_kind = IDE_DMA_NONE;
    s->dma_running = false;
    s->retry_pending = false;
    s->cur_cylinders = s->cylinders;
    s->cur_heads = s->heads;
    s->cur_sectors = s->sectors;
    ide_set_signature(s);
    s->error = 0x01;
    s->status = s->aio_pending ? ATA_STAT_BSY : ide_reset_status(s);
    if (s->kind == IDE_CD) {
        ide_cd_reset(s, true);
    }
}

void ide_bus_reset(IDEBus *bus)
{
    bus->unit = 0;
    bus->ctrl = 0;
    bus->irq_pending = false;
    for (int i = 0; i < MAX_IDE_DEVS; i++) {
        ide_drive_reset(&bus->ifs[i]);
    }
    ide_bus_update_irq(bus);
}

static void ide_hd_geometry(IDEState *s)
{
    uint64_t cyls = s->nb_sectors / (16 * 63);

    /* QEMU's guess without a partition table: 16 heads, 63 sectors */
    s->heads = 16;
    s->sectors = 63;
    s->cylinders = MAX(MIN(cyls, 16383), 2);
}

bool ide_init_drive(IDEState *s, DeviceState *dev, BlockBackend *blk,
                    IDEDriveKind kind, const char *serial,
                    const char *model, const char *version, Error **errp)
{
    int64_t len;

    if (kind == IDE_HD) {
        if (!blk || !blk_is_inserted(blk)) {
            error_setg(errp, "Device needs media, but drive is empty");
            return false;
        }
        if (blk_is_read_only(blk)) {
            error_setg(errp, "Can't use a read-only drive");
            return false;
        }
    }
    if (blk && !blk_attach_dev(blk, dev, errp)) {
        return false;
    }
    s->blk = blk;
    s->kind = kind;
    len = blk ? blk_getlength(blk) : 0;
    s->nb_sectors = len > 0 ? (uint64_t)len / IDE_SECTOR_SIZE : 0;
    if (serial && *serial) {
        snprintf(s->serial, sizeof(s->serial), "%s", serial);
    } else {
        snprintf(s->serial, sizeof(s->serial), "EM%05d",
                 s->bus->bus_id * MAX_IDE_DEVS + s->unit + 1);
    }
    if (model && *model) {
        snprintf(s->model, sizeof(s->model), "%s", model);
    } else {
        snprintf(s->model, sizeof(s->model), "%s",
                 kind == IDE_CD ? "EMU DVD-ROM" : "EMU HARDDISK");
    }
    snprintf(s->version, sizeof(s->version), "%s",
             version && *version ? version : EMU_VERSION);
    if (kind == IDE_HD) {
        ide_hd_geometry(s);
    } else {
        s->cylinders = s->heads = s->sectors = 0;
        if (blk) {
            blk_set_dev_ops(blk, &ide_cd_block_ops, s);
        }
    }
    ide_drive_reset(s);
    return true;
}

void ide_detach_drive(IDEState *s)
{
    if (s->blk) {
        blk_drain(s->blk);
        s->retry_pending = false;
        if (s->wb_waiting || s->wb_step_waiting) {
            s->wb_waiting = s->wb_step_waiting = false;
            s->aio_pending = false;
        }
        s->wb_busy = s->wb_retry = false;
        s->wb_error = 0;
        ide_sg_release(s);
        blk_set_dev_ops(s->blk, NULL, NULL);
        blk_detach_dev(s->blk);
    }
    s->blk = NULL;
    s->kind = IDE_NONE;
}

bool ide_get_geometry(IDEBus *bus, int unit, uint32_t *cyls,
                      uint32_t *heads, uint32_t *secs)
{
    IDEState *s;

    if (!bus || unit < 0 || unit >= MAX_IDE_DEVS) {
        return false;
    }
    s = &bus->ifs[unit];
    if (s->kind != IDE_HD) {
        return false;
    }
    *cyls = s->cylinders;
    *heads = s->heads;
    *secs = s->sectors;
    return true;
}

/* ---- The IDE bus and the ide-hd / ide-cd devices ---- */

static bool ide_bus_check_child(BusState *qbus, DeviceState *dev,
                                Error **errp)
{
    IDEBus *bus = (IDEBus *)qbus;
    IDEDevice *d = (IDEDevice *)dev;

    if (d->unit == UINT32_MAX) {
        for (uint32_t u = 0; u < MAX_IDE_DEVS; u++) {
            if (bus->ifs[u].kind == IDE_NONE) {
                d->unit = u;
                break;
            }
        }
        if (d->unit == UINT32_MAX) {
            error_setg(errp, "IDE bus '%s' is full", qbus->name);
            return false;
        }
    }
    if (d->unit >= MAX_IDE_DEVS) {
        error_setg(errp, "Can't create IDE unit %u, bus supports only %d "
                   "units", d->unit, MAX_IDE_DEVS);
        return false;
    }
    if (bus->ifs[d->unit].kind != IDE_NONE) {
        error_setg(errp, "IDE unit %u is in use", d->unit);
        return false;
    }
    return true;
}

static const BusInfo ide_bus_info = {
    .type = BUS_TYPE_IDE,
    .instance_size = sizeof(IDEBus),
    .check_child = ide_bus_check_child,
};

static void __attribute__((constructor)) ide_bus_register(void)
{
    bus_register_type(&ide_bus_info);
}

static void ide_dev_realize(DeviceState *dev, Error **errp)
{
    IDEDevice *d = (IDEDevice *)dev;
    IDEBus *bus = (IDEBus *)dev->parent_bus;
    bool cd = !strcmp(dev->info->name, TYPE_IDE_CD);
    IDEState *s;

    if (!bus || d->unit >= MAX_IDE_DEVS) {
        error_setg(errp, "%s needs an IDE bus", dev->info->name);
        return;
    }
    if (!cd && !d->drive) {
        error_setg(errp, "drive property not set");
        return;
    }
    s = &bus->ifs[d->unit];
    if (!ide_init_drive(s, dev, d->drive, cd ? IDE_CD : IDE_HD, d->serial,
                        d->model, d->version, errp)) {
        return;
    }
    d->state = s;
}

static void ide_dev_unrealize(DeviceState *dev)
{
    IDEDevice *d = (IDEDevice *)dev;

    if (d->state) {
        ide_detach_drive(d->state);
        d->state = NULL;
    }
}

/* ---- Migration of a drive ---- */

static int ide_dev_pre_save(void *opaque)
{
    IDEDevice *d = opaque;
    IDEState *s = d->state;
    IDEDriveVMState *v = &d->vm;

    if (!s) {
        return 0;
    }
    v->feature = s->feature;
    v->nsector = s->nsector;
    v->sector = s->sector;
    v->lcyl = s->lcyl;
    v->hcyl = s->hcyl;
    v->select = s->select;
    v->hob_feature = s->hob_feature;
    v->hob_nsector = s->hob_nsector;
    v->hob_sector = s->hob_sector;
    v->hob_lcyl = s->hob_lcyl;
    v->hob_hcyl = s->hob_hcyl;
    v->status = s->status;
    v->error = s->error;
    v->mult_sectors = s->mult_sectors;
    v->xfer_mode = s->xfer_mode;
    v->cur_cylinders = s->cur_cylinders;
    v->cur_heads = s->cur_heads;
    v->cur_sectors = s->cur_sectors;
    v->tray_open = s->tray_open;
    v->tray_locked = s->tray_locked;
    v->media_changed = s->media_changed;
    v->reset_ua = s->reset_ua;
    v->event_media = s->event_media;
    v->sense_key = s->sense.key;
    v->sense_asc = s->sense.asc;
    v->sense_ascq = s->sense.ascq;
    return 0;
}

static int ide_dev_post_load(void *opaque, int version_id)
{
    IDEDevice *d = opaque;
    IDEState *s = d->state;
    IDEDriveVMState *v = &d->vm;

    if (!s) {
        return 0;
    }
    ide_transfer_stop(s);
    s->dma_kind = IDE_DMA_NONE;
    s->dma_running = false;
    s->feature = v->feature;
    s->nsector = v->nsector;
    s->sector = v->sector;
    s->lcyl = v->lcyl;
    s->hcyl = v->hcyl;
    s->select = (v->select & ~ATA_DEV_DEV) | 0xa0 |
                (s->unit ? ATA_DEV_DEV : 0);
    s->hob_feature = v->hob_feature;
    s->hob_nsector = v->hob_nsector;
    s->hob_sector = v->hob_sector;
    s->hob_lcyl = v->hob_lcyl;
    s->hob_hcyl = v->hob_hcyl;
    s->status = v->status;
    s->error = v->error;
    if (s->status & (ATA_STAT_BSY | ATA_STAT_DRQ)) {
        /* the command in progress did not come along: it failed */
        s->status = ATA_STAT_DRDY | ATA_STAT_ERR;
        s->error = ATA_ERR_ABRT;
    }
    s->mult_sectors = v->mult_sectors <= IDE_MAX_MULT_SECTORS &&
                      !(v->mult_sectors & (v->mult_sectors - 1))
                      ? v->mult_sectors : 0;
    s->xfer_mode = v->xfer_mode;
    if (s->kind == IDE_HD && v->cur_heads >= 1 && v->cur_heads <= 16 &&
        v->cur_sectors >= 1 && v->cur_sectors <= 255 &&
        v->cur_cylinders <= 65535) {
        s->cur_cylinders = v->cur_cylinders;
        s->cur_heads = v->cur_heads;
        s->cur_sectors = v->cur_sectors;
    }
    s->tray_open = v->tray_open;
    s->tray_locked = v->tray_locked;
    s->media_changed = v->media_changed;
    s->reset_ua = v->reset_ua;
    s->event_media = v->event_media <= 4 ? v->event_media : 0;
    s->sense.key = v->sense_key & 0x0f;
    s->sense.asc = v->sense_asc;
    s->sense.ascq = v->sense_ascq;
    return 0;
}

static const VMStateField ide_dev_fields[] = {
    VMSTATE_UINT8(vm.feature, IDEDevice),
    VMSTATE_UINT8(vm.nsector, IDEDevice),
    VMSTATE_UINT8(vm.sector, IDEDevice),
    VMSTATE_UINT8(vm.lcyl, IDEDevice),
    VMSTATE_UINT8(vm.hcyl, IDEDevice),
    VMSTATE_UINT8(vm.select, IDEDevice),
    VMSTATE_UINT8(vm.hob_feature, IDEDevice),
    VMSTATE_UINT8(vm.hob_nsector, IDEDevice),
    VMSTATE_UINT8(vm.hob_sector, IDEDevice),
    VMSTATE_UINT8(vm.hob_lcyl, IDEDevice),
    VMSTATE_UINT8(vm.hob_hcyl, IDEDevice),
    VMSTATE_UINT8(vm.status, IDEDevice),
    VMSTATE_UINT8(vm.error, IDEDevice),
    VMSTATE_UINT8(vm.mult_sectors, IDEDevice),
    VMSTATE_UINT8(vm.xfer_mode, IDEDevice),
    VMSTATE_UINT32(vm.cur_cylinders, IDEDevice),
    VMSTATE_UINT32(vm.cur_heads, IDEDevice),
    VMSTATE_UINT32(vm.cur_sectors, IDEDevice),
    VMSTATE_BOOL(vm.tray_open, IDEDevice),
    VMSTATE_BOOL(vm.tray_locked, IDEDevice),
    VMSTATE_BOOL(vm.media_changed, IDEDevice),
    VMSTATE_BOOL(vm.reset_ua, IDEDevice),
    VMSTATE_UINT8(vm.event_media, IDEDevice),
    VMSTATE_UINT8(vm.sense_key, IDEDevice),
    VMSTATE_UINT8(vm.sense_asc, IDEDevice),
    VMSTATE_UINT8(vm.sense_ascq, IDEDevice),
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription vmstate_ide_drive = {
    .name = "ide_drive",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = ide_dev_pre_save,
    .post_load = ide_dev_post_load,
    .fields = ide_dev_fields,
};

static const Property ide_dev_props[] = {
    DEFINE_PROP_DRIVE("drive", IDEDevice, drive),
    DEFINE_PROP_UINT32("unit", IDEDevice, unit, UINT32_MAX),
    DEFINE_PROP_STRING("serial", IDEDevice, serial),
    DEFINE_PROP_STRING("model", IDEDevice, model),
    DEFINE_PROP_STRING("ver", IDEDevice, version),
    DEFINE_PROP_END_OF_LIST(),
};

static const DeviceInfo ide_hd_info = {
    .name = TYPE_IDE_HD,
    .desc = "virtual IDE disk",
    .bus_type = BUS_TYPE_IDE,
    .category = "Storage devices",
    .instance_size = sizeof(IDEDevice),
    .props = ide_dev_props,
    .vmsd = &vmstate_ide_drive,
    .user_creatable = true,
    .realize = ide_dev_realize,
    .unrealize = ide_dev_unrealize,
};
DEVICE_REGISTER(ide_hd_info)

static const DeviceInfo ide_cd_info = {
    .name = TYPE_IDE_CD,
    .desc = "virtual IDE CD-ROM",
    .bus_type = BUS_TYPE_IDE,
    .category = "Storage devices",
    .instance_size = sizeof(IDEDevice),
    .props = ide_dev_props,
    .vmsd = &vmstate_ide_drive,
    .user_creatable = true,
    .realize = ide_dev_realize,
    .unrealize = ide_dev_unrealize,
};
DEVICE_REGISTER(ide_cd_info)

DeviceState *ide_create_drive(IDEBus *bus, int unit, BlockBackend *blk,
                              Error **errp)
{
    DeviceState *dev;

    dev = device_new(blk_is_cdrom(blk) ? TYPE_IDE_CD : TYPE_IDE_HD, errp);
    if (!dev) {
        return NULL;
    }
    ((IDEDevice *)dev)->unit = unit;
    ((IDEDevice *)dev)->drive = blk;
    if (!device_realize(dev, &bus->qbus, errp)) {
        ((IDEDevice *)dev)->drive = NULL;
        device_destroy(dev);
        return NULL;
    }
    return dev;
}
