/* PIIX3 IDE: the PCI IDE function of the PIIX3 south bridge (legacy ports, ISA IRQ 14/15, bus-master DMA in BAR4). */
#include "emu/osdep.h"
#include "emu/log.h"
#include "hw/ide.h"
#include "hw/isa/isa.h"
#include "migration/vmstate.h"

#define PIIX_IDE_BM_SIZE    16
/* A PRD table may not cross a 64 KiB boundary: at most 8192 entries */
#define PRD_MAX_ENTRIES     (64 * KiB / 8)

static const uint16_t piix_cmd_ports[MAX_IDE_BUS] = { 0x1f0, 0x170 };
static const uint16_t piix_ctl_ports[MAX_IDE_BUS] = { 0x3f6, 0x376 };
static const int piix_isa_irqs[MAX_IDE_BUS] = { 14, 15 };

typedef struct PIIXIDEState {
    PCIDevice parent_obj;
    IDEBus *bus[MAX_IDE_BUS];
    BMDMAState bmdma[MAX_IDE_BUS];
    IRQLine irq[MAX_IDE_BUS];
    MemoryRegion bm_io;
    bool ports_mapped;
    /* migration copies of the buses' selected unit and device control */
    uint8_t vm_unit[MAX_IDE_BUS];
    uint8_t vm_ctrl[MAX_IDE_BUS];
    uint8_t vm_irq[MAX_IDE_BUS];
} PIIXIDEState;

/* ---- Bus master ---- */

/*
 * Make the current descriptor non-empty: load the next one from the table
 * when the current one is used up.  1: a segment is ready; 0: the table
 * ended; -1: the table itself could not be read.
 */
static int bmdma_load_segment(BMDMAState *bm)
{
    uint8_t d[8];
    uint32_t count;

    if (bm->cur_left) {
        return 1;
    }
    if (bm->table_end) {
        return 0;
    }
    if (bm->prd_next - bm->prd_table >= PRD_MAX_ENTRIES * 8) {
        /* no end-of-table mark within the allowed size */
        bm->table_end = true;
        return 0;
    }
    if (pci_dma_read(bm->pci_dev, bm->prd_next, d, 8) != MEMTX_OK) {
        return -1;
    }
    bm->prd_next += 8;
    bm->cur_addr = (d[0] | (d[1] << 8) | (d[2] << 16) |
                    ((uint32_t)d[3] << 24)) & ~1u;
    count = (d[4] | (d[5] << 8)) & 0xfffe;
    bm->cur_left = count ? count : 0x10000;
    bm->cur_eot = d[7] & 0x80;
    if (bm->cur_eot) {
        bm->table_end = true;
    }
    return 1;
}

int64_t bmdma_transfer(BMDMAState *bm, uint8_t *buf, uint32_t len,
                       bool to_memory)
{
    uint32_t done = 0;

    while (done < len) {
        uint32_t chunk;
        MemTxResult r;
        int seg = bmdma_load_segment(bm);

        if (seg < 0) {
            return -1;
        }
        if (seg == 0) {
            break;
        }
        chunk = MIN(bm->cur_left, len - done);
        if (to_memory) {
            r = pci_dma_write(bm->pci_dev, bm->cur_addr, buf + done, chunk);
        } else {
            r = pci_dma_read(bm->pci_dev, bm->cur_addr, buf + done, chunk);
        }
        if (r != MEMTX_OK) {
            emu_log_mask(LOG_GUEST_ERROR, "piix-ide: bus-master DMA to "
                         "0x%08x+0x%x failed\n", bm->cur_addr, chunk);
            return -1;
        }
        bm->cur_addr += chunk;
        bm->cur_left -= chunk;
        done += chunk;
    }
    return done;
}

void bmdma_unmap(struct iovec *iov, int niov, bool to_memory)
{
    for (int i = 0; i < niov; i++) {
        address_space_unmap(&address_space_memory, iov[i].iov_base,
                            iov[i].iov_len, to_memory, iov[i].iov_len);
    }
}

void bmdma_walk_save(const BMDMAState *bm, BMDMAWalk *w)
{
    *w = (BMDMAWalk){
        .prd_next = bm->prd_next, .cur_addr = bm->cur_addr,
        .cur_left = bm->cur_left, .cur_eot = bm->cur_eot,
        .table_end = bm->table_end,
    };
}

void bmdma_walk_restore(BMDMAState *bm, const BMDMAWalk *w)
{
    bm->prd_next = w->prd_next;
    bm->cur_addr = w->cur_addr;
    bm->cur_left = w->cur_left;
    bm->cur_eot = w->cur_eot;
    bm->table_end = w->table_end;
}

int bmdma_map(BMDMAState *bm, uint32_t len, bool to_memory,
              struct iovec *iov, int max_iov)
{
    /* the walk state to go back to when the range cannot be mapped */
    BMDMAWalk walk;
    uint32_t done = 0, prev_end = 0;
    int niov = 0;

    if (!(pci_get_word(bm->pci_dev->config + PCI_COMMAND) &
          PCI_COMMAND_MASTER)) {
        return 0;       /* the copying path logs and fails it */
    }
    bmdma_walk_save(bm, &walk);
    while (done < len) {
        hwaddr chunk;
        uint8_t *host;

        if (bmdma_load_segment(bm) <= 0) {
            goto fail;
        }
        chunk = MIN(bm->cur_left, len - done);
        host = address_space_map(&address_space_memory, bm->cur_addr,
                                 &chunk, to_memory);
        if (!host || chunk == 0) {
            /* MMIO, ROM or unassigned: only the copying path does that */
            goto fail;
        }
        if (niov && bm->cur_addr == prev_end &&
            (uint8_t *)iov[niov - 1].iov_base + iov[niov - 1].iov_len ==
            host) {
            /*
             * contiguous in guest and host memory (the same RAM block, so
             * the unmap marks the right pages dirty): one host range
             */
            iov[niov - 1].iov_len += chunk;
        } else if (niov == max_iov) {
            address_space_unmap(&address_space_memory, host, chunk,
                                to_memory, 0);
            goto fail;
        } else {
            iov[niov].iov_base = host;
            iov[niov].iov_len = chunk;
            niov++;
        }
        bm->cur_addr += chunk;
        bm->cur_left -= chunk;
        done += chunk;
        prev_end = bm->cur_addr;
    }
    return niov;

fail:
    /* nothing was transferred: release without marking anything dirty */
    for (int i = 0; i < niov; i++) {
        address_space_unmap(&address_space_memory, iov[i].iov_base,
                            iov[i].iov_len, to_memory, 0);
    }
    bmdma_walk_restore(bm, &walk);
    return 0;
}

void bmdma_set_inactive(BMDMAState *bm, bool error)
{
    bm->status &= ~BM_STATUS_ACTIVE;
    if (error) {
        bm->status |= BM_STATUS_ERROR;
    }
}

static void bmdma_write_cmd(BMDMAState *bm, uint8_t val)
{
    uint8_t old = bm->cmd;

    bm->cmd = val & (BM_CMD_START | BM_CMD_WRITE);
    if (!(old & BM_CMD_START) && (val & BM_CMD_START)) {
        bm->status |= BM_STATUS_ACTIVE;
        bm->prd_next = bm->prd_table;
        bm->cur_left = 0;
        bm->cur_eot = false;
        bm->table_end = false;
        ide_bus_dma_kick(bm->bus);
    } else if ((old & BM_CMD_START) && !(val & BM_CMD_START)) {
        bm->status &= ~BM_STATUS_ACTIVE;
        ide_bus_dma_cancel(bm->bus);
    }
}

static uint64_t bmdma_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIXIDEState *d = opaque;
    BMDMAState *bm = &d->bmdma[(addr >> 3) & 1];

    switch (addr & 7) {
    case 0:
        return bm->cmd;
    case 2:
        return bm->status;
    case 4: case 5: case 6: case 7:
        return (bm->prd_table >> (8 * (addr & 3))) & 0xff;
    default:
        return 0;
    }
}

static void bmdma_write(void *opaque, hwaddr addr, uint64_t val,
                        unsigned size)
{
    PIIXIDEState *d = opaque;
    BMDMAState *bm = &d->bmdma[(addr >> 3) & 1];
    unsigned shift = 8 * (addr & 3);

    switch (addr & 7) {
    case 0:
        bmdma_write_cmd(bm, val);
        break;
    case 2:
        /* error and interrupt are write-1-to-clear; drive bits are RW */
        bm->status = (bm->status & (BM_STATUS_ACTIVE | BM_STATUS_SIMPLEX)) |
                     (bm->status & ~val & (BM_STATUS_ERROR | BM_STATUS_INT)) |
                     (val & (BM_STATUS_DRV0_DMA | BM_STATUS_DRV1_DMA));
        break;
    case 4: case 5: case 6: case 7:
        bm->prd_table = (bm->prd_table & ~(0xffu << shift)) |
                        ((uint32_t)(val & 0xff) << shift);
        bm->prd_table &= ~3u;
        break;
    default:
        break;
    }
}

static const MemoryRegionOps bmdma_ops = {
    .read = bmdma_read,
    .write = bmdma_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* ---- The PCI function ---- */

static void piix_ide_map_ports(PIIXIDEState *d)
{
    PCIDevice *dev = &d->parent_obj;
    MemoryRegion *io = dev->bus->address_space_io;

    if (d->ports_mapped) {
        return;
    }
    /* legacy mode: the ports are decoded whatever the BARs say */
    for (int i = 0; i < MAX_IDE_BUS; i++) {
        memory_region_add_subregion(io, piix_cmd_ports[i], &d->bus[i]->cmd_io);
        memory_region_add_subregion(io, piix_ctl_ports[i], &d->bus[i]->ctl_io);
    }
    d->ports_mapped = true;
}

static ISABus *piix_ide_isa_bus(PCIDevice *dev)
{
    PCIDevice *f0 = dev->bus->devices[PCI_DEVFN(PCI_SLOT(dev->devfn), 0)];
    BusState *b;

    if (f0 && f0 != dev) {
        TAILQ_FOREACH(b, &f0->qdev.child_buses, sibling) {
            if (!strcmp(b->info->type, BUS_TYPE_ISA)) {
                return (ISABus *)b;
            }
        }
    }
    return (ISABus *)bus_find_by_type(BUS_TYPE_ISA);
}

static void piix_ide_reset(PCIDevice *dev)
{
    PIIXIDEState *d = (PIIXIDEState *)dev;

    for (int i = 0; i < MAX_IDE_BUS; i++) {
        BMDMAState *bm = &d->bmdma[i];
        if (bm->cmd & BM_CMD_START) {
            bm->cmd = 0;
            ide_bus_dma_cancel(d->bus[i]);
        }
        bm->cmd = 0;
        bm->status = 0;
        bm->prd_table = 0;
        bm->cur_left = 0;
        bm->table_end = false;
        ide_bus_reset(d->bus[i]);
    }
    /* IDE timing registers as after power-on */
    memset(dev->config + 0x40, 0, 0x0c);
}

static void piix_ide_realize(PCIDevice *dev, Error **errp)
{
    PIIXIDEState *d = (PIIXIDEState *)dev;
    ISABus *isa = piix_ide_isa_bus(dev);
    static const char *const names[MAX_IDE_BUS] = { "ide.0", "ide.1" };

    if (!isa) {
        error_setg(errp, "piix3-ide: no ISA bus for IRQ 14 and 15");
        return;
    }
    /* IDETIM/SIDETIM/UDMA timing registers: the firmware programs them */
    memset(dev->wmask + 0x40, 0xff, 0x0c);
    qdev_init_gpio_out(&dev->qdev, d->irq, MAX_IDE_BUS);
    for (int i = 0; i < MAX_IDE_BUS; i++) {
        IDEBus *bus = (IDEBus *)bus_new(BUS_TYPE_IDE, &dev->qdev, names[i]);

        d->bus[i] = bus;
        d->bmdma[i].bus = bus;
        d->bmdma[i].pci_dev = dev;
        ide_bus_init(bus, i, &d->irq[i], &d->bmdma[i]);
        memory_region_init_io(&bus->cmd_io, &dev->qdev, &ide_cmd_ops, bus,
                              "ide", 8);
        memory_region_init_io(&bus->ctl_io, &dev->qdev, &ide_ctl_ops, bus,
                              "ide", 1);
        qdev_connect_gpio_out(&dev->qdev, i, isa->irqs[piix_isa_irqs[i]]);
    }
    memory_region_init_io(&d->bm_io, &dev->qdev, &bmdma_ops, d, "piix-bmdma",
                          PIIX_IDE_BM_SIZE);
    pci_register_bar(dev, 4, PCI_BASE_ADDRESS_SPACE_IO, &d->bm_io);
    piix_ide_map_ports(d);
    piix_ide_reset(dev);
}

static void piix_ide_exit(PCIDevice *dev)
{
    PIIXIDEState *d = (PIIXIDEState *)dev;
    MemoryRegion *io = dev->bus->address_space_io;

    for (int i = 0; i < MAX_IDE_BUS; i++) {
        if (d->ports_mapped) {
            memory_region_del_subregion(io, &d->bus[i]->cmd_io);
            memory_region_del_subregion(io, &d->bus[i]->ctl_io);
        }
        ide_bus_cleanup(d->bus[i]);
    }
    d->ports_mapped = false;
}

IDEBus *piix3_ide_get_bus(DeviceState *dev, int n)
{
    if (!dev || strcmp(dev->info->name, TYPE_PIIX3_IDE) || n < 0 ||
        n >= MAX_IDE_BUS) {
        return NULL;
    }
    return ((PIIXIDEState *)dev)->bus[n];
}

/* ---- Migration: registers of the bus masters and the task files ---- */

static int piix_ide_pre_save(void *opaque)
{
    PIIXIDEState *d = opaque;

    for (int i = 0; i < MAX_IDE_BUS; i++) {
        d->vm_unit[i] = d->bus[i]->unit;
        d->vm_ctrl[i] = d->bus[i]->ctrl;
        d->vm_irq[i] = d->bus[i]->irq_pending;
    }
    return 0;
}

static int piix_ide_post_load(void *opaque, int version_id)
{
    PIIXIDEState *d = opaque;

    for (int i = 0; i < MAX_IDE_BUS; i++) {
        BMDMAState *bm = &d->bmdma[i];

        d->bus[i]->unit = d->vm_unit[i] & 1;
        /* a reset in progress cannot be resumed: end it */
        d->bus[i]->ctrl = d->vm_ctrl[i] & ~ATA_CTL_SRST;
        d->bus[i]->irq_pending = d->vm_irq[i] & 1;
        irq_set(d->bus[i]->irq, d->bus[i]->irq_pending &&
                !(d->bus[i]->ctrl & ATA_CTL_NIEN));
        bm->cmd &= BM_CMD_START | BM_CMD_WRITE;
        bm->prd_table &= ~3u;
        /* no transfer survives migration: the guest sees it stopped */
        bm->cmd &= ~BM_CMD_START;
        bm->status &= ~BM_STATUS_ACTIVE;
        bm->cur_left = 0;
        bm->table_end = true;
    }
    return 0;
}

static const VMStateField piix_ide_fields[] = {
    VMSTATE_STRUCT(parent_obj, PIIXIDEState, vmstate_pci_device),
    VMSTATE_UINT8(bmdma[0].cmd, PIIXIDEState),
    VMSTATE_UINT8(bmdma[0].status, PIIXIDEState),
    VMSTATE_UINT32(bmdma[0].prd_table, PIIXIDEState),
    VMSTATE_UINT8(bmdma[1].cmd, PIIXIDEState),
    VMSTATE_UINT8(bmdma[1].status, PIIXIDEState),
    VMSTATE_UINT32(bmdma[1].prd_table, PIIXIDEState),
    VMSTATE_UINT8_ARRAY(vm_unit, PIIXIDEState, MAX_IDE_BUS),
    VMSTATE_UINT8_ARRAY(vm_ctrl, PIIXIDEState, MAX_IDE_BUS),
    VMSTATE_UINT8_ARRAY(vm_irq, PIIXIDEState, MAX_IDE_BUS),
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription vmstate_piix_ide = {
    .name = "ide",
    .version_id = 3,
    .minimum_version_id = 3,
    .pre_save = piix_ide_pre_save,
    .post_load = piix_ide_post_load,
    .fields = piix_ide_fields,
};

static const PCIDeviceInfo piix3_ide_pci = {
    .vendor_id = 0x8086,
    .device_id = 0x7010,
    .class_id = 0x0101,             /* IDE controller */
    .prog_if = 0x80,                /* bus master, both channels legacy */
    .realize = piix_ide_realize,
    .exit = piix_ide_exit,
    .reset = piix_ide_reset,
};

static const DeviceInfo piix3_ide_info = {
    .name = TYPE_PIIX3_IDE,
    .desc = "PIIX3 IDE controller",
    .bus_type = BUS_TYPE_PCI,
    .category = "Storage devices",
    .instance_size = sizeof(PIIXIDEState),
    .parent_props = pci_device_props,
    .vmsd = &vmstate_piix_ide,
    .reset = pci_device_reset,
    .class_data = &piix3_ide_pci,
};
DEVICE_REGISTER(piix3_ide_info)
