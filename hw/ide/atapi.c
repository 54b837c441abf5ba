/* ATAPI: the packet commands of the IDE CD/DVD drive (MMC subset used by SeaBIOS and Linux), media change and tray. */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/ide.h"

/* SCSI sense keys and additional sense codes */
#define SENSE_NONE              0x00
#define SENSE_NOT_READY         0x02
#define SENSE_ILLEGAL_REQUEST   0x05
#define SENSE_UNIT_ATTENTION    0x06

#define ASC_INV_OPCODE          0x20
#define ASC_LBA_OUT_OF_RANGE    0x21
#define ASC_INV_FIELD_IN_CDB    0x24
#define ASC_MEDIUM_CHANGED      0x28
#define ASC_RESET               0x29
#define ASC_SAVING_NOT_SUPP     0x39
#define ASC_MEDIUM_NOT_PRESENT  0x3a
#define ASC_REMOVAL_PREVENTED   0x53

/* a CD holds at most this many 2048-byte sectors: larger media are DVDs */
#define CD_MAX_SECTORS          (80 * 60 * 75)
#define MMC_PROFILE_DVD_ROM     0x0010
#define MMC_PROFILE_CD_ROM      0x0008

/* flags of the packet command table */
#define PKT_CHECK_READY 0x01    /* needs a medium */
#define PKT_ALLOW_UA    0x02    /* runs even with a unit attention pending */

typedef struct ATAPICommand {
    void (*handler)(IDEState *s, const uint8_t *cdb);
    uint8_t flags;
} ATAPICommand;

static uint16_t be16(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static void st_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void st_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static void put_le16(uint8_t *p, int word, uint16_t v)
{
    p[word * 2] = v;
    p[word * 2 + 1] = v >> 8;
}

static void put_ata_string(uint8_t *p, int word, const char *str, int len)
{
    size_t n = strlen(str);

    for (int i = 0; i < len; i++) {
        p[word * 2 + (i ^ 1)] = (size_t)i < n ? str[i] : ' ';
    }
}

/* SCSI strings: left-aligned, space-padded, no terminator */
static void put_scsi_string(uint8_t *p, const char *str, int len)
{
    size_t n = strlen(str);

    for (int i = 0; i < len; i++) {
        p[i] = (size_t)i < n ? str[i] : ' ';
    }
}

static bool atapi_medium_present(IDEState *s)
{
    return s->blk && blk_is_inserted(s->blk) && !s->tray_open;
}

/* Sectors of 2048 bytes on the medium */
static uint32_t atapi_nb_sectors(IDEState *s)
{
    int64_t len;

    if (!atapi_medium_present(s)) {
        return 0;
    }
    len = blk_getlength(s->blk);
    if (len <= 0) {
        return 0;
    }
    return MIN((uint64_t)len / ATAPI_SECTOR_SIZE, UINT32_MAX);
}

static void lba_to_msf(uint8_t *p, uint32_t lba)
{
    lba += 150;
    p[0] = (lba / 75) / 60;
    p[1] = (lba / 75) % 60;
    p[2] = lba % 75;
}

/* ---- Command end ---- */

static void atapi_cmd_ok(IDEState *s)
{
    s->error = 0;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    s->nsector = (s->nsector & ~7) | ATAPI_INT_REASON_IO |
                 ATAPI_INT_REASON_CD;
    s->sense.key = SENSE_NONE;
    s->sense.asc = 0;
    s->sense.ascq = 0;
    ide_set_irq(s);
}

static void atapi_cmd_error(IDEState *s, uint8_t key, uint8_t asc,
                            uint8_t ascq)
{
    ide_transfer_stop(s);
    s->error = key << 4;
    s->status = ATA_STAT_DRDY | ATA_STAT_ERR;
    s->nsector = (s->nsector & ~7) | ATAPI_INT_REASON_IO |
                 ATAPI_INT_REASON_CD;
    s->sense.key = key;
    s->sense.asc = asc;
    s->sense.ascq = ascq;
    if (s->dma_kind != IDE_DMA_NONE) {
        ide_dma_finish(s, false);
    }
    ide_set_irq(s);
}

static void atapi_not_ready(IDEState *s)
{
    atapi_cmd_error(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT,
                    s->tray_open ? 0x02 : 0x01);
}

static void atapi_invalid_field(IDEState *s)
{
    atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
}

/* ---- Data-in phase ---- */

static void atapi_pio_next(IDEState *s);

static void atapi_pio_block_done(IDEState *s)
{
    /* the block atapi_pio_next offered is all consumed now */
    uint32_t size = MIN(MIN(s->atapi_buf_left, (uint32_t)s->atapi_bcl),
                        s->atapi_total);

    s->atapi_buf_pos += size;
    s->atapi_buf_left -= size;
    s->atapi_total -= MIN(size, s->atapi_total);
    atapi_pio_next(s);
}

static void atapi_read_sectors_cb(void *opaque, int ret)
{
    IDEState *s = opaque;
    uint32_t n = s->chunk_sectors;

    if (!ide_aio_complete(s, ret)) {
        return;
    }
    s->cur_lba += n;
    s->sectors_left -= n;
    s->atapi_buf_pos = 0;
    s->atapi_buf_left = n * ATAPI_SECTOR_SIZE;
    if (s->dma_kind == IDE_DMA_ATAPI) {
        int64_t got;

        if (!s->bus->bmdma || !(s->bus->bmdma->cmd & BM_CMD_START)) {
            s->dma_kind = IDE_DMA_NONE;
            s->dma_running = false;
            s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
            return;
        }
        got = bmdma_transfer(s->bus->bmdma, s->io_buffer,
                             s->atapi_buf_left, true);
        if (got < 0) {
            ide_dma_finish(s, true);
            atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB,
                            0);
            return;
        }
        s->atapi_total -= MIN(s->atapi_total, (uint32_t)got);
        if (got < s->atapi_buf_left) {
            /* table too short: stop without an interrupt, as QEMU */
            s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
            ide_dma_finish(s, false);
            return;
        }
        s->atapi_buf_left = 0;
        ide_atapi_dma_step(s);
        return;
    }
    atapi_pio_next(s);
}

static void atapi_read_chunk(IDEState *s)
{
    uint32_t n = MIN(s->sectors_left, IDE_CHUNK_BYTES / ATAPI_SECTOR_SIZE);

    s->chunk_sectors = n;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_submit_aio(s, false, (uint64_t)s->cur_lba * ATAPI_SECTOR_SIZE,
                   n * ATAPI_SECTOR_SIZE, atapi_read_sectors_cb);
}

static void atapi_pio_next(IDEState *s)
{
    uint32_t size;

    if (s->atapi_total == 0) {
        atapi_cmd_ok(s);
        return;
    }
    if (s->atapi_buf_left == 0) {
        if (s->atapi_read_sectors && s->sectors_left) {
            atapi_read_chunk(s);
        } else {
            atapi_cmd_ok(s);
        }
        return;
    }
    size = MIN(s->atapi_buf_left, s->atapi_bcl);
    size = MIN(size, s->atapi_total);
    s->lcyl = size;
    s->hcyl = size >> 8;
    s->nsector = (s->nsector & ~7) | ATAPI_INT_REASON_IO;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_transfer_start(s, s->atapi_buf_pos, size, atapi_pio_block_done);
    ide_set_irq(s);
}

/* Start the data-in phase of len bytes (alloc: the CDB's limit) */
static void atapi_start_data_in(IDEState *s, uint32_t total)
{
    uint16_t bcl = s->atapi_bcl;

    /* the limit must be even; 0 means "as much as fits" */
    if (bcl == 0 || bcl == 0xffff) {
        bcl = 0xfffe;
    }
    s->atapi_bcl = bcl & ~1;
    s->atapi_total = total;
    if (total == 0) {
        atapi_cmd_ok(s);
        return;
    }
    if (s->atapi_dma) {
        ide_dma_start(s, IDE_DMA_ATAPI);
        return;
    }
    atapi_pio_next(s);
}

/* A reply built in io_buffer: send min(len, alloc) bytes */
static void atapi_reply(IDEState *s, uint32_t len, uint32_t alloc)
{
    s->atapi_read_sectors = false;
    s->atapi_buf_pos = 0;
    s->atapi_buf_left = MIN(len, alloc);
    atapi_start_data_in(s, s->atapi_buf_left);
}

void ide_atapi_dma_step(IDEState *s)
{
    BMDMAState *bm = s->bus->bmdma;
    int64_t got;

    if (s->atapi_total == 0 || (s->atapi_buf_left == 0 &&
                                !(s->atapi_read_sectors &&
                                  s->sectors_left))) {
        ide_dma_finish(s, false);
        atapi_cmd_ok(s);
        return;
    }
    if (s->atapi_buf_left == 0) {
        atapi_read_chunk(s);
        return;
    }
    /* a reply already in io_buffer */
    got = bmdma_transfer(bm, s->io_buffer + s->atapi_buf_pos,
                         s->atapi_buf_left, true);
    if (got < 0) {
        ide_dma_finish(s, true);
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CDB, 0);
        return;
    }
    if (got < s->atapi_buf_left) {
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        ide_dma_finish(s, false);
        return;
    }
    s->atapi_total = 0;
    s->atapi_buf_left = 0;
    ide_dma_finish(s, false);
    atapi_cmd_ok(s);
}

/* ---- Commands ---- */

static void cmd_test_unit_ready(IDEState *s, const uint8_t *cdb)
{
    atapi_cmd_ok(s);
}

static void cmd_request_sense(IDEState *s, const uint8_t *cdb)
{
    uint8_t *b = s->io_buffer;

    memset(b, 0, 18);
    b[0] = 0xf0;                            /* valid, current, fixed */
    b[2] = s->sense.key;
    b[7] = 10;
    b[12] = s->sense.asc;
    b[13] = s->sense.ascq;
    atapi_reply(s, 18, cdb[4]);
}

static void cmd_inquiry(IDEState *s, const uint8_t *cdb)
{
    uint8_t *b = s->io_buffer;

    if (cdb[1] & 1) {                       /* no VPD pages */
        atapi_invalid_field(s);
        return;
    }
    memset(b, 0, 36);
    b[0] = 0x05;                            /* CD/DVD device */
    b[1] = 0x80;                            /* removable */
    b[2] = 0x00;
    b[3] = 0x21;                            /* ATAPI, response format 1 */
    b[4] = 36 - 5;
    put_scsi_string(b + 8, "EMU", 8);
    put_scsi_string(b + 16, s->model, 16);
    put_scsi_string(b + 32, s->version, 4);
    atapi_reply(s, 36, be16(cdb + 3));
}

static void cmd_read_capacity(IDEState *s, const uint8_t *cdb)
{
    uint32_t n = atapi_nb_sectors(s);

    st_be32(s->io_buffer, n ? n - 1 : 0);
    st_be32(s->io_buffer + 4, ATAPI_SECTOR_SIZE);
    atapi_reply(s, 8, 8);
}

static void atapi_start_read(IDEState *s, uint32_t lba, uint32_t n)
{
    uint32_t total = atapi_nb_sectors(s);

    if (lba > total || n > total - lba) {
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    if (n == 0) {
        atapi_cmd_ok(s);
        return;
    }
    /* a transfer beyond 4 GiB cannot be counted: refuse it */
    if (n > UINT32_MAX / ATAPI_SECTOR_SIZE) {
        atapi_invalid_field(s);
        return;
    }
    s->atapi_read_sectors = true;
    s->cur_lba = lba;
    s->sectors_left = n;
    s->atapi_buf_pos = 0;
    s->atapi_buf_left = 0;
    atapi_start_data_in(s, n * ATAPI_SECTOR_SIZE);
}

static void cmd_read10(IDEState *s, const uint8_t *cdb)
{
    atapi_start_read(s, be32(cdb + 2), be16(cdb + 7));
}

static void cmd_read12(IDEState *s, const uint8_t *cdb)
{
    atapi_start_read(s, be32(cdb + 2), be32(cdb + 6));
}

static void cmd_read_cd(IDEState *s, const uint8_t *cdb)
{
    uint32_t n = (cdb[6] << 16) | (cdb[7] << 8) | cdb[8];
    uint8_t type = (cdb[1] >> 2) & 7;

    if (type != 0 && type != 2) {           /* any, or mode 1 */
        atapi_invalid_field(s);
        return;
    }
    switch (cdb[9] & 0xf8) {
    case 0x00:                              /* nothing selected */
        atapi_cmd_ok(s);
        return;
    case 0x10:                              /* user data only */
        atapi_start_read(s, be32(cdb + 2), n);
        return;
    default:
        emu_log_mask(LOG_UNIMP, "ide-cd: READ CD with fields 0x%02x\n",
                     cdb[9]);
        atapi_invalid_field(s);
        return;
    }
}

static void cmd_seek(IDEState *s, const uint8_t *cdb)
{
    if (be32(cdb + 2) >= atapi_nb_sectors(s)) {
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    atapi_cmd_ok(s);
}

static int atapi_mode_page(IDEState *s, uint8_t *p, int page)
{
    switch (page) {
    case 0x01:                              /* read/write error recovery */
        memset(p, 0, 8);
        p[0] = 0x01;
        p[1] = 0x06;
        p[3] = 5;                           /* read retry count */
        return 8;
    case 0x2a:                              /* capabilities, as QEMU's */
        memset(p, 0, 22);
        p[0] = 0x2a;
        p[1] = 20;
        p[2] = 0x3b;                        /* reads CD-R/RW, DVD-ROM/R/RAM */
        p[3] = 0x00;                        /* writes nothing */
        p[4] = 0x71;                        /* audio, composite, multi */
        p[5] = 0x60;                        /* ISRC, UPC */
        p[6] = 0x29 | (s->tray_locked ? 0x02 : 0); /* tray, eject, lock */
        st_be16(p + 8, 704);                /* max speed: 4x, kB/s */
        st_be16(p + 10, 2);                 /* volume levels */
        st_be16(p + 12, 512);               /* buffer, KiB */
        st_be16(p + 14, 704);               /* current speed */
        return 22;
    default:
        return 0;
    }
}

static void cmd_mode_sense(IDEState *s, const uint8_t *cdb)
{
    uint8_t *b = s->io_buffer;
    int pc = cdb[2] >> 6, page = cdb[2] & 0x3f;
    int len = 8;

    if (pc == 3) {
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPP, 0);
        return;
    }
    memset(b, 0, 8);
    b[2] = 0x70;                            /* medium type, as QEMU */
    if (page == 0x3f) {
        len += atapi_mode_page(s, b + len, 0x01);
        len += atapi_mode_page(s, b + len, 0x2a);
    } else {
        int n = atapi_mode_page(s, b + len, page);
        if (!n) {
            atapi_invalid_field(s);
            return;
        }
        len += n;
    }
    if (pc == 1) {
        /* changeable values: nothing is */
        memset(b + 8, 0, len - 8);
    }
    st_be16(b, len - 2);
    atapi_reply(s, len, be16(cdb + 7));
}

static uint16_t atapi_current_profile(IDEState *s)
{
    uint32_t n = atapi_nb_sectors(s);

    if (!n) {
        return 0;
    }
    return n > CD_MAX_SECTORS ? MMC_PROFILE_DVD_ROM : MMC_PROFILE_CD_ROM;
}

static void cmd_get_configuration(IDEState *s, const uint8_t *cdb)
{
    uint8_t *b = s->io_buffer;
    uint8_t rt = cdb[1] & 3;
    uint16_t start = be16(cdb + 2);
    uint16_t cur = atapi_current_profile(s);
    int len = 8;

    if (rt == 3) {
        atapi_invalid_field(s);
        return;
    }
    memset(b, 0, 64);
    st_be16(b + 6, cur);
    /* feature 0: profile list */
    if (start == 0) {
        uint8_t *f = b + len;
        f[2] = 0x03;                        /* persistent, current */
        f[3] = 8;
        st_be16(f + 4, MMC_PROFILE_DVD_ROM);
        f[6] = cur == MMC_PROFILE_DVD_ROM;
        st_be16(f + 8, MMC_PROFILE_CD_ROM);
        f[10] = cur == MMC_PROFILE_CD_ROM;
        len += 12;
    }
    /* feature 1: core, ATAPI */
    if ((rt != 2 && start <= 1) || (rt == 2 && start == 1)) {
        uint8_t *f = b + len;
        st_be16(f, 0x0001);
        f[2] = 0x0b;                        /* v2, persistent, current */
        f[3] = 8;
        st_be32(f + 4, 2);                  /* ATAPI */
        len += 12;
    }
    /* feature 3: removable medium, tray with eject and lock */
    if ((rt != 2 && start <= 3) || (rt == 2 && start == 3)) {
        uint8_t *f = b + len;
        st_be16(f, 0x0003);
        f[2] = 0x03;
        f[3] = 4;
        f[4] = 0x29 | (s->tray_locked ? 0x02 : 0);
        len += 8;
    }
    st_be32(b, len - 4);
    atapi_reply(s, len, be16(cdb + 7));
}

static void cmd_get_event_status(IDEState *s, const uint8_t *cdb)
{
    uint8_t *b = s->io_buffer;
    uint8_t classes = cdb[4];
    int len;

    if (!(cdb[1] & 1)) {                    /* only polled mode */
        atapi_invalid_field(s);
        return;
    }
    memset(b, 0, 8);
    b[3] = 0x10;                            /* supports media events */
    if (classes & 0x10) {
        b[2] = 0x04;                        /* media class */
        b[4] = s->event_media;
        b[5] = (s->tray_open ? 0x01 : 0) |
               (s->blk && blk_is_inserted(s->blk) ? 0x02 : 0);
        s->event_media = 0;
        len = 8;
    } else {
        b[2] = 0x80;                        /* no event available */
        len = 4;
    }
    /* the descriptor length, without the 4-byte header (as QEMU) */
    st_be16(b, len - 4);
    atapi_reply(s, len, be16(cdb + 7));
}

static void cmd_read_toc(IDEState *s, const uint8_t *cdb)
{
    uint8_t *b = s->io_buffer;
    bool msf = cdb[1] & 2;
    int format = cdb[2] & 0x0f;
    uint8_t start_track = cdb[6];
    uint32_t total = atapi_nb_sectors(s);
    int len = 4;

    if (format == 0 && cdb[9] >> 6) {
        format = cdb[9] >> 6;               /* the old SFF-8020 place */
    }
    memset(b, 0, 64);
    switch (format) {
    case 0:
        if (start_track > 1 && start_track != 0xaa) {
            atapi_invalid_field(s);
            return;
        }
        b[2] = 1;
        b[3] = 1;
        if (start_track <= 1) {
            b[len + 1] = 0x14;              /* data track */
            b[len + 2] = 1;
            if (msf) {
                lba_to_msf(b + len + 5, 0);
            }
            len += 8;
        }
        b[len + 1] = 0x16;
        b[len + 2] = 0xaa;                  /* lead-out */
        if (msf) {
            lba_to_msf(b + len + 5, total);
        } else {
            st_be32(b + len + 4, total);
        }
        len += 8;
        break;
    case 1:                                 /* multi-session info */
        b[2] = 1;
        b[3] = 1;
        b[len + 1] = 0x14;
        b[len + 2] = 1;
        len += 8;
        break;
    case 2: {                               /* raw TOC */
        static const uint8_t points[4] = { 0xa0, 0xa1, 0xa2, 0x01 };
        b[2] = 1;
        b[3] = 1;
        for (int i = 0; i < 4; i++) {
            uint8_t *d = b + len;
            d[0] = 1;                       /* session */
            d[1] = 0x14;
            d[3] = points[i];
            switch (points[i]) {
            case 0xa0:
                d[8] = 1;                   /* first track, CD-ROM disc */
                break;
            case 0xa1:
                d[8] = 1;                   /* last track */
                break;
            case 0xa2:
                if (msf) {
                    lba_to_msf(d + 8, total);
                } else {
                    st_be32(d + 7, total);
                }
                break;
            default:
                if (msf) {
                    lba_to_msf(d + 8, 0);
                }
                break;
            }
            len += 11;
        }
        break;
    }
    default:
        atapi_invalid_field(s);
        return;
    }
    st_be16(b, len - 2);
    atapi_reply(s, len, be16(cdb + 7));
}

static void cmd_read_disc_information(IDEState *s, const uint8_t *cdb)
{
    uint8_t *b = s->io_buffer;

    if (cdb[1] & 7) {                       /* only standard information */
        atapi_invalid_field(s);
        return;
    }
    memset(b, 0, 34);
    st_be16(b, 32);
    b[2] = 0x0e;                            /* complete, last session closed */
    b[3] = 1;                               /* first track */
    b[4] = 1;                               /* sessions */
    b[5] = 1;                               /* first track of last session */
    b[6] = 1;                               /* last track of last session */
    b[7] = 0x20;                            /* unrestricted use */
    atapi_reply(s, 34, be16(cdb + 7));
}

static void cmd_start_stop_unit(IDEState *s, const uint8_t *cdb)
{
    bool start = cdb[4] & 1, loej = cdb[4] & 2;

    if (!loej) {
        atapi_cmd_ok(s);
        return;
    }
    if (!start) {
        if (s->tray_locked && !s->tray_open) {
            bool medium = s->blk && blk_is_inserted(s->blk);
            atapi_cmd_error(s, medium ? SENSE_NOT_READY
                                      : SENSE_ILLEGAL_REQUEST,
                            ASC_REMOVAL_PREVENTED, 0x02);
            return;
        }
        if (!s->tray_open) {
            s->tray_open = true;
            s->event_media = 3;             /* media removal */
        }
    } else if (s->tray_open) {
        s->tray_open = false;
        if (s->blk && blk_is_inserted(s->blk)) {
            s->event_media = 2;             /* new media */
            s->media_changed = true;
        }
    }
    atapi_cmd_ok(s);
}

static void cmd_prevent_allow(IDEState *s, const uint8_t *cdb)
{
    s->tray_locked = cdb[4] & 1;
    atapi_cmd_ok(s);
}

static void cmd_mechanism_status(IDEState *s, const uint8_t *cdb)
{
    uint8_t *b = s->io_buffer;

    memset(b, 0, 8);
    b[1] = s->tray_open ? 0x10 : 0;
    b[5] = 1;                               /* one slot */
    atapi_reply(s, 8, be16(cdb + 8));
}

static void cmd_set_speed(IDEState *s, const uint8_t *cdb)
{
    atapi_cmd_ok(s);
}

static const ATAPICommand atapi_commands[256] = {
    [0x00] = { cmd_test_unit_ready, PKT_CHECK_READY },
    [0x03] = { cmd_request_sense, PKT_ALLOW_UA },
    [0x12] = { cmd_inquiry, PKT_ALLOW_UA },
    [0x1b] = { cmd_start_stop_unit, 0 },
    [0x1e] = { cmd_prevent_allow, 0 },
    [0x25] = { cmd_read_capacity, PKT_CHECK_READY },
    [0x28] = { cmd_read10, PKT_CHECK_READY },
    [0x2b] = { cmd_seek, PKT_CHECK_READY },
    [0x43] = { cmd_read_toc, PKT_CHECK_READY },
    [0x46] = { cmd_get_configuration, PKT_ALLOW_UA },
    [0x4a] = { cmd_get_event_status, PKT_ALLOW_UA },
    [0x51] = { cmd_read_disc_information, PKT_CHECK_READY },
    [0x5a] = { cmd_mode_sense, 0 },
    [0xa8] = { cmd_read12, PKT_CHECK_READY },
    [0xbb] = { cmd_set_speed, 0 },
    [0xbd] = { cmd_mechanism_status, 0 },
    [0xbe] = { cmd_read_cd, PKT_CHECK_READY },
};

/* The 12-byte packet arrived through the data port */
void ide_atapi_cmd(IDEState *s)
{
    const ATAPICommand *c;
    uint8_t cdb[12];

    memcpy(s->packet, s->io_buffer, sizeof(s->packet));
    memcpy(cdb, s->packet, sizeof(cdb));
    c = &atapi_commands[cdb[0]];
    s->atapi_read_sectors = false;
    s->atapi_buf_left = 0;
    s->atapi_total = 0;
    s->status = ATA_STAT_DRDY | ATA_STAT_BSY;
    if (!(c->flags & PKT_ALLOW_UA)) {
        if (s->reset_ua) {
            s->reset_ua = false;
            atapi_cmd_error(s, SENSE_UNIT_ATTENTION, ASC_RESET, 0);
            return;
        }
        if (s->media_changed) {
            s->media_changed = false;
            atapi_cmd_error(s, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
            return;
        }
    }
    if (cdb[0] != 0x03) {
        /* REQUEST SENSE reports the last one; anything else replaces it */
        s->sense.key = SENSE_NONE;
        s->sense.asc = 0;
        s->sense.ascq = 0;
    }
    if ((c->flags & PKT_CHECK_READY) && !atapi_medium_present(s)) {
        atapi_not_ready(s);
        return;
    }
    if (!c->handler) {
        emu_log_mask(LOG_UNIMP, "ide-cd: packet command 0x%02x\n", cdb[0]);
        atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_OPCODE, 0);
        return;
    }
    c->handler(s, cdb);
}

void ide_atapi_identify(IDEState *s)
{
    uint8_t *p = s->identify_data;
    uint8_t mode = s->xfer_mode;

    memset(p, 0, 512);
    /* ATAPI, CD-ROM, removable, accelerated DRQ, 12-byte packets */
    put_le16(p, 0, (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5));
    put_ata_string(p, 10, s->serial, 20);
    put_le16(p, 20, 3);
    put_le16(p, 21, 512);
    put_le16(p, 22, 4);
    put_ata_string(p, 23, s->version, 8);
    put_ata_string(p, 27, s->model, 40);
    put_le16(p, 48, 1);
    put_le16(p, 49, (1 << 9) | (1 << 8));  /* LBA, DMA */
    put_le16(p, 53, 7);
    put_le16(p, 62, 7);
    put_le16(p, 63, 0x07 | ((mode >> 3) == 4 ? 0x100 << (mode & 7) : 0));
    put_le16(p, 64, 3);
    put_le16(p, 65, 0xb4);
    put_le16(p, 66, 0xb4);
    put_le16(p, 67, 0x12c);
    put_le16(p, 68, 0xb4);
    put_le16(p, 71, 30);
    put_le16(p, 72, 30);
    put_le16(p, 80, 0x1e);                  /* ATA/ATAPI-1 to -4 */
    put_le16(p, 82, 1 << 4);                /* PACKET feature set */
    put_le16(p, 83, 1 << 14);
    put_le16(p, 84, 1 << 14);
    put_le16(p, 85, 1 << 4);
    put_le16(p, 87, 1 << 14);
    put_le16(p, 88, 0x3f | ((mode >> 3) == 8 ? 0x100 << (mode & 7) : 0));
    put_le16(p, 93, 1 | (1 << 14) | 0x2000);
}

/* Power-on (UA 6/29 for the next command) or DEVICE RESET */
void ide_cd_reset(IDEState *s, bool power_on)
{
    s->sense.key = SENSE_NONE;
    s->sense.asc = 0;
    s->sense.ascq = 0;
    s->atapi_total = 0;
    s->atapi_buf_left = 0;
    s->atapi_read_sectors = false;
    s->reset_ua = true;
    if (power_on) {
        s->tray_locked = false;
        s->tray_open = false;
        s->media_changed = false;
        s->event_media = 0;
    }
}

/* ---- Media change from the monitor (eject / change) ---- */

static void ide_cd_change_media_cb(void *opaque, bool load)
{
    IDEState *s = opaque;

    if (load) {
        s->tray_open = false;
        s->media_changed = true;
        s->event_media = 2;                 /* new media */
    } else {
        s->tray_open = true;
        s->event_media = 3;                 /* media removal */
    }
    s->nb_sectors = 0;
    if (load && s->blk) {
        int64_t len = blk_getlength(s->blk);
        s->nb_sectors = len > 0 ? (uint64_t)len / IDE_SECTOR_SIZE : 0;
    }
}

static bool ide_cd_is_tray_locked(void *opaque)
{
    IDEState *s = opaque;

    return s->tray_locked;
}

static bool ide_cd_is_tray_open(void *opaque)
{
    IDEState *s = opaque;

    return s->tray_open;
}

const BlockDevOps ide_cd_block_ops = {
    .change_media_cb = ide_cd_change_media_cb,
    .is_tray_locked = ide_cd_is_tray_locked,
    .is_tray_open = ide_cd_is_tray_open,
};
