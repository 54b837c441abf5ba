/*
 * IDE: the ATA register file and command engine (hw/ide/core.c), ATAPI
 * packet commands for CD/DVD drives (hw/ide/atapi.c) and the PIIX3 IDE
 * PCI function with its bus-master DMA engine (hw/ide/piix.c).
 *
 * The PIIX3 IDE function ("piix3-ide", 00:01.1 on the pc machine) has two
 * IDE buses, "ide.0" (ports 0x1f0/0x3f6, ISA IRQ 14) and "ide.1"
 * (0x170/0x376, IRQ 15), each with two units.  A drive is an "ide-hd" or
 * "ide-cd" device on such a bus, with the properties drive= and unit=.
 * All disk I/O goes through the BlockBackend's asynchronous calls; the
 * device shows BSY until the completion arrives in the main loop, except
 * for DMA writes while the drive's write cache is on (core.c,
 * ide_wb_write): those end once the data is copied, and the drive's next
 * request waits for the write.  DMA reads and uncached writes move the
 * data straight between the image and guest RAM (bmdma_map).
 */
#ifndef HW_IDE_H
#define HW_IDE_H

#include "hw/qdev.h"
#include "hw/pci/pci.h"
#include "block/block.h"

#define TYPE_PIIX3_IDE  "piix3-ide"
#define TYPE_IDE_HD     "ide-hd"
#define TYPE_IDE_CD     "ide-cd"
#define BUS_TYPE_IDE    "IDE"

#define MAX_IDE_BUS     2
#define MAX_IDE_DEVS    2

/* ---- Status register ---- */
#define ATA_STAT_ERR    0x01
#define ATA_STAT_IDX    0x02
#define ATA_STAT_CORR   0x04
#define ATA_STAT_DRQ    0x08
#define ATA_STAT_DSC    0x10    /* "seek complete" */
#define ATA_STAT_DF     0x20
#define ATA_STAT_DRDY   0x40
#define ATA_STAT_BSY    0x80

/* ---- Error register ---- */
#define ATA_ERR_AMNF    0x01
#define ATA_ERR_TK0NF   0x02
#define ATA_ERR_ABRT    0x04
#define ATA_ERR_MCR     0x08
#define ATA_ERR_IDNF    0x10
#define ATA_ERR_MC      0x20
#define ATA_ERR_UNC     0x40
#define ATA_ERR_ICRC    0x80

/* ---- Device control register ---- */
#define ATA_CTL_NIEN    0x02
#define ATA_CTL_SRST    0x04
#define ATA_CTL_HOB     0x80

/* ---- Device (drive/head) register ---- */
#define ATA_DEV_DEV     0x10
#define ATA_DEV_LBA     0x40

/* ATAPI interrupt reason (sector count register) */
#define ATAPI_INT_REASON_CD 0x01
#define ATAPI_INT_REASON_IO 0x02

/* Bus-master IDE registers (per channel, 8 bytes in BAR4) */
#define BM_CMD_START        0x01
#define BM_CMD_WRITE        0x08    /* 1: the controller writes memory */
#define BM_STATUS_ACTIVE    0x01
#define BM_STATUS_ERROR     0x02
#define BM_STATUS_INT       0x04
#define BM_STATUS_DRV0_DMA  0x20
#define BM_STATUS_DRV1_DMA  0x40
#define BM_STATUS_SIMPLEX   0x80

#define IDE_SECTOR_SIZE     512
#define ATAPI_SECTOR_SIZE   2048
#define IDE_MAX_MULT_SECTORS 16
/*
 * Bytes per backend request: a DMA or PIO command is split in chunks.
 * 1 MiB covers the 1 MiB commands Linux sends in one request (128 KiB
 * made eight round trips through the worker threads per command).
 */
#define IDE_CHUNK_BYTES     (1024 * KiB)
#define IDE_IO_BUFFER_SIZE  (IDE_CHUNK_BYTES + 4)
/*
 * Host ranges of one mapped DMA chunk.  Linux sends at most 128 segments
 * (of up to 64 KiB) per command; a table with more pieces than this after
 * merging takes the copying path.
 */
#define IDE_SG_MAX          256

typedef enum IDEDriveKind {
    IDE_NONE = 0,
    IDE_HD,
    IDE_CD,
} IDEDriveKind;

typedef struct IDEBus IDEBus;
typedef struct IDEState IDEState;
typedef void IDEEndTransferFunc(IDEState *s);

/* What a DMA command does once the bus master runs */
typedef enum IDEDMAKind {
    IDE_DMA_NONE = 0,
    IDE_DMA_READ,           /* ATA disk to memory */
    IDE_DMA_WRITE,          /* memory to ATA disk */
    IDE_DMA_ATAPI,          /* ATAPI data-in (reply or CD sectors) */
} IDEDMAKind;

/* SCSI sense of an ATAPI device */
typedef struct ATAPISense {
    uint8_t key;
    uint8_t asc;
    uint8_t ascq;
} ATAPISense;

struct IDEState {
    IDEBus *bus;
    int unit;
    IDEDriveKind kind;
    BlockBackend *blk;
    char serial[21];
    char model[41];
    char version[9];

    /* geometry: default (IDENTIFY words 1/3/6) and current (54-56) */
    uint32_t cylinders, heads, sectors;
    uint32_t cur_cylinders, cur_heads, cur_sectors;
    uint64_t nb_sectors;        /* 512-byte sectors of the medium */
    uint8_t mult_sectors;       /* SET MULTIPLE MODE, 0: off */
    uint8_t xfer_mode;          /* SET FEATURES 03h value */
    bool identify_set;

    /* task file; hob_* are the previous values (LBA48 FIFO) */
    uint8_t feature, nsector, sector, lcyl, hcyl, select;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t status, error;
    bool lba48;                 /* the command in progress is an EXT one */

    /* PIO data transfer between the guest and io_buffer */
    uint8_t *io_buffer;
    uint32_t data_pos, data_end;
    IDEEndTransferFunc *end_transfer;
    uint8_t identify_data[512];

    /* sector-based command in progress */
    uint8_t cmd;
    uint64_t cur_lba;           /* next sector (512 or 2048 bytes) */
    uint32_t sectors_left;      /* sectors still to transfer */
    uint32_t chunk_sectors;     /* sectors in io_buffer / in flight */
    uint32_t pio_buf_index;     /* PIO read: sectors of it handed out */
    bool is_write;

    /* DMA */
    IDEDMAKind dma_kind;        /* pending or running DMA command */
    bool dma_running;

    /* asynchronous backend request */
    bool aio_pending;
    bool aio_cancelled;         /* reset while in flight: drop the result */
    struct iovec iov;
    /*
     * The request in flight (or held for a werror=stop retry) moves data
     * straight between the image and guest memory through these mapped
     * PRD segments instead of io_buffer; sg_niov 0: it uses io_buffer.
     */
    struct iovec *sg;           /* IDE_SG_MAX entries */
    int sg_niov;
    bool sg_to_memory;

    /*
     * Write cache (core.c, ide_wb_write): one DMA write chunk copied to
     * wb_buf that the backend is still writing; requests of the drive
     * wait for it (wb_waiting: the one described by retry_* does).
     */
    uint8_t *wb_buf;            /* IDE_CHUNK_BYTES, allocated on first use */
    struct iovec wb_iov;
    uint64_t wb_offset;
    uint32_t wb_bytes;
    bool wb_busy;               /* being written (or held: wb_retry) */
    bool wb_waiting;
    bool wb_step_waiting;       /* the next DMA write chunk waits for it */
    bool wb_retry;              /* failed with werror=stop: again on resume */
    int wb_error;               /* failed with "report": the next flush fails */

    /* werror=stop: the request to retry when the VM runs again */
    bool retry_pending;
    bool retry_write;
    bool retry_flush;
    uint64_t retry_offset;
    BlockCompletionFunc *retry_cb;

    /* ATAPI */
    uint8_t packet[12];
    ATAPISense sense;
    bool tray_open;
    bool tray_locked;
    bool media_changed;         /* unit attention 6/28 pending */
    bool reset_ua;              /* unit attention 6/29 pending */
    uint8_t event_media;        /* GESN media event code pending, 0: none */
    uint32_t atapi_total;       /* bytes left in the data-in phase */
    uint32_t atapi_buf_left;    /* of them, bytes ready in io_buffer */
    uint32_t atapi_buf_pos;
    uint16_t atapi_bcl;         /* byte count limit of the PACKET */
    bool atapi_dma;
    bool atapi_read_sectors;    /* data comes from the medium */
};

/* The bus master of one channel */
typedef struct BMDMAState {
    uint8_t cmd;
    uint8_t status;
    uint32_t prd_table;         /* descriptor table address (bits 31:2) */
    /* walk state: current descriptor and what is left of it */
    uint32_t prd_next;          /* address of the next descriptor */
    uint32_t cur_addr;
    uint32_t cur_left;
    bool cur_eot;               /* the current descriptor is the last */
    bool table_end;             /* no descriptor left */
    IDEBus *bus;
    PCIDevice *pci_dev;
    MemoryRegion io;
} BMDMAState;

struct IDEBus {
    BusState qbus;
    int bus_id;
    IDEState ifs[MAX_IDE_DEVS];
    int unit;                   /* selected device */
    uint8_t ctrl;               /* device control register */
    bool irq_pending;           /* INTRQ of the selected device */
    IRQLine *irq;               /* the channel's interrupt line */
    BMDMAState *bmdma;          /* NULL: no bus master */
    MemoryRegion cmd_io;        /* 8 ports */
    MemoryRegion ctl_io;        /* 1 port */
};

/*
 * What a drive keeps across migration, copied from/to its IDEState by
 * pre_save/post_load (a transfer in progress is not kept: the guest sees
 * the command aborted and retries).
 */
typedef struct IDEDriveVMState {
    uint8_t feature, nsector, sector, lcyl, hcyl, select;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t status, error, mult_sectors, xfer_mode;
    uint32_t cur_cylinders, cur_heads, cur_sectors;
    bool tray_open, tray_locked, media_changed, reset_ua;
    uint8_t event_media;
    uint8_t sense_key, sense_asc, sense_ascq;
} IDEDriveVMState;

/* An "ide-hd"/"ide-cd" device: a drive on an IDE bus */
typedef struct IDEDevice {
    DeviceState qdev;
    uint32_t unit;
    void *drive;                /* BlockBackend * */
    char *serial;
    char *model;
    char *version;
    IDEState *state;
    IDEDriveVMState vm;
} IDEDevice;

/* ---- core.c ---- */
/* Initialise a bus created by the controller (bus_new(BUS_TYPE_IDE)) */
void ide_bus_init(IDEBus *bus, int bus_id, IRQLine *irq, BMDMAState *bm);
/* Power-on / hardware reset of a bus and its drives */
void ide_bus_reset(IDEBus *bus);
/* Attach a backend to a unit for device dev; kind IDE_HD or IDE_CD */
bool ide_init_drive(IDEState *s, DeviceState *dev, BlockBackend *blk,
                    IDEDriveKind kind,
                    const char *serial, const char *model,
                    const char *version, Error **errp);
void ide_detach_drive(IDEState *s);
/* Undo ide_bus_init (controller exit) */
void ide_bus_cleanup(IDEBus *bus);
/* The legacy port regions of a bus (8 command ports, 1 control port) */
extern const MemoryRegionOps ide_cmd_ops;
extern const MemoryRegionOps ide_ctl_ops;
/*
 * The board's way to create the drive devices of -hda/-cdrom/-drive
 * if=ide: an ide-hd or ide-cd (blk_is_cdrom) at bus/unit.
 */
DeviceState *ide_create_drive(IDEBus *bus, int unit, BlockBackend *blk,
                              Error **errp);
/* The buses of a PIIX3 IDE function, NULL if n is out of range */
IDEBus *piix3_ide_get_bus(DeviceState *dev, int n);

/* Internal to hw/ide (core.c <-> atapi.c <-> piix.c) */
void ide_set_irq(IDEState *s);
/* PIO: the guest moves io_buffer[start, start + size) through the data
 * port; end runs when it has */
void ide_transfer_start(IDEState *s, uint32_t start, uint32_t size,
                        IDEEndTransferFunc *end);
void ide_transfer_stop(IDEState *s);
void ide_abort_command(IDEState *s);
void ide_set_signature(IDEState *s);
bool ide_is_ready(IDEState *s);
void ide_dma_start(IDEState *s, IDEDMAKind kind);
/* The DMA command ended (ok or error); error: the bus master failed */
void ide_dma_finish(IDEState *s, bool bm_error);
/* Submit a backend request for bytes at offset into/from io_buffer */
void ide_submit_aio(IDEState *s, bool write, uint64_t offset,
                    uint32_t bytes, BlockCompletionFunc *cb);
/*
 * First step of every completion callback: false when the caller must
 * stop (request cancelled by a reset, or an I/O error already handled
 * per rerror/werror).
 */
bool ide_aio_complete(IDEState *s, int ret);
/* Geometry the board writes to the CMOS; false when no disk is there */
bool ide_get_geometry(IDEBus *bus, int unit, uint32_t *cyls,
                      uint32_t *heads, uint32_t *secs);
/* The bus master started (or the command came after it did) */
void ide_bus_dma_kick(IDEBus *bus);
/* Stop bit written: abandon the transfer */
void ide_bus_dma_cancel(IDEBus *bus);
/*
 * Move len bytes between buf and the PRD segments of the bus master:
 * to_memory = the device reads (data goes to guest memory).  Returns the
 * bytes moved (less when the table ended) or -1 on a DMA error.
 */
int64_t bmdma_transfer(BMDMAState *bm, uint8_t *buf, uint32_t len,
                       bool to_memory);
/*
 * Map the next len bytes of the PRD segments straight into iov (at most
 * max_iov entries, physically contiguous segments merged) for a request
 * that moves the data without a copy.  Returns the entries used, or 0 when
 * the range cannot be mapped whole (table too short or unreadable, MMIO,
 * unassigned memory or ROM to write to, bus mastering off, too many
 * pieces): then
 * nothing is mapped, the walk is where it was, and the caller copies with
 * bmdma_transfer(), which gives those cases their documented behaviour.
 */
int bmdma_map(BMDMAState *bm, uint32_t len, bool to_memory,
              struct iovec *iov, int max_iov);
/* Release what bmdma_map() returned; to_memory marks it written */
void bmdma_unmap(struct iovec *iov, int niov, bool to_memory);
/* Where the descriptor walk is: saved before a bmdma_map whose segments
 * may have to be walked again (by another path), restored then */
typedef struct BMDMAWalk {
    uint32_t prd_next, cur_addr, cur_left;
    bool cur_eot, table_end;
} BMDMAWalk;
void bmdma_walk_save(const BMDMAState *bm, BMDMAWalk *w);
void bmdma_walk_restore(BMDMAState *bm, const BMDMAWalk *w);
void bmdma_set_inactive(BMDMAState *bm, bool error);
/* atapi.c */
void ide_atapi_cmd(IDEState *s);
void ide_atapi_identify(IDEState *s);
void ide_atapi_dma_step(IDEState *s);
void ide_cd_reset(IDEState *s, bool power_on);
extern const BlockDevOps ide_cd_block_ops;

#endif
