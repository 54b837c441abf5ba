/* 16550A UART on the ISA bus ("isa-serial"), as in the PC's COM ports. */
#include "emu/osdep.h"
#include "emu/error.h"
#include "emu/log.h"
#include "emu/timer.h"
#include "chardev/char.h"
#include "hw/boards.h"
#include "hw/char/serial.h"
#include "hw/irq.h"
#include "hw/qdev.h"
#include "migration/vmstate.h"
#include "system/memory.h"

/*
 * Register offsets (National Semiconductor PC16550D datasheet).  With
 * LCR.DLAB set, offsets 0 and 1 are the divisor latch instead.
 */
enum {
    UART_RBR_THR = 0,   /* DLAB: DLL */
    UART_IER = 1,       /* DLAB: DLM */
    UART_IIR_FCR = 2,
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

#define UART_IER_RDI    0x01    /* received data available */
#define UART_IER_THRI   0x02    /* transmitter holding register empty */
#define UART_IER_RLSI   0x04    /* receiver line status */
#define UART_IER_MSI    0x08    /* modem status */
#define UART_IER_MASK   0x0f    /* the 16550A has no other bits */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI    0x00
#define UART_IIR_THRI   0x02
#define UART_IIR_RDI    0x04
#define UART_IIR_RLSI   0x06
#define UART_IIR_CTI    0x0c    /* character timeout */
#define UART_IIR_FIFO   0xc0    /* both FIFOs enabled (16550A) */

#define UART_FCR_FE     0x01    /* FIFO enable */
#define UART_FCR_RFR    0x02    /* receive FIFO reset */
#define UART_FCR_XFR    0x04    /* transmit FIFO reset */
#define UART_FCR_DMS    0x08    /* DMA mode select (no effect here) */
#define UART_FCR_ITL    0xc0    /* receive trigger level */

#define UART_LCR_WLS    0x03    /* word length - 5 */
#define UART_LCR_STB    0x04    /* 2 stop bits */
#define UART_LCR_PEN    0x08    /* parity enable */
#define UART_LCR_SBC    0x40    /* set break */
#define UART_LCR_DLAB   0x80

#define UART_MCR_DTR    0x01
#define UART_MCR_RTS    0x02
#define UART_MCR_OUT1   0x04
#define UART_MCR_OUT2   0x08
#define UART_MCR_LOOP   0x10
#define UART_MCR_MASK   0x1f

#define UART_LSR_DR     0x01
#define UART_LSR_OE     0x02
#define UART_LSR_PE     0x04
#define UART_LSR_FE     0x08
#define UART_LSR_BI     0x10
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40
#define UART_LSR_FIFOE  0x80    /* error in the receive FIFO */
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS   0x01
#define UART_MSR_DDSR   0x02
#define UART_MSR_TERI   0x04
#define UART_MSR_DDCD   0x08
#define UART_MSR_CTS    0x10
#define UART_MSR_DSR    0x20
#define UART_MSR_RI     0x40
#define UART_MSR_DCD    0x80
#define UART_MSR_DELTAS 0x0f

#define UART_FIFO_SIZE  16
#define UART_CLOCK_HZ   115200  /* 1.8432 MHz / 16 */
#define UART_REGS_SIZE  8

/* Retry period for a backend that took only part of the output */
#define SERIAL_TX_RETRY_MS 1

static const uint16_t isa_serial_iobase[MAX_ISA_SERIAL_PORTS] = {
    0x3f8, 0x2f8, 0x3e8, 0x2e8
};
static const uint8_t isa_serial_irq[MAX_ISA_SERIAL_PORTS] = { 4, 3, 4, 3 };

#define SERIAL_PROP_UNSET 0xffffffffu

typedef struct SerialState {
    ISADevice parent;
    MemoryRegion io;
    IRQLine irq;
    CharBackend chr;
    EmuTimer *timeout_timer;    /* character timeout, guest time */
    EmuTimer *tx_retry_timer;   /* slow backend, host time */

    /* properties */
    uint32_t index;
    uint32_t iobase;
    uint32_t isairq;

    /* guest-visible state */
    uint16_t divider;
    uint8_t ier;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr;
    uint8_t msr;
    uint8_t scr;
    uint8_t fcr;
    uint8_t rbr;                /* last byte read, returned on empty reads */
    /*
     * Receive and transmit FIFOs.  Without FCR.FE they hold one byte each
     * (RBR and THR of the 16450 mode).
     */
    uint8_t rx_fifo[UART_FIFO_SIZE];
    uint8_t rx_head;
    uint8_t rx_count;
    uint8_t tx_fifo[UART_FIFO_SIZE];
    uint8_t tx_head;
    uint8_t tx_count;
    bool thr_ipending;
    bool timeout_ipending;
} SerialState;

static unsigned serial_fifo_capacity(SerialState *s)
{
    return (s->fcr & UART_FCR_FE) ? UART_FIFO_SIZE : 1;
}

static unsigned serial_rx_trigger(SerialState *s)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    return levels[(s->fcr & UART_FCR_ITL) >> 6];
}

/* The interrupt the IIR reports now, in the 16550's priority order */
static uint8_t serial_iir(SerialState *s)
{
    uint8_t iir;

    if ((s->ier & UART_IER_RLSI) && (s->lsr & UART_LSR_ERRORS)) {
        iir = UART_IIR_RLSI;
    } else if ((s->ier & UART_IER_RDI) && s->timeout_ipending) {
        iir = UART_IIR_CTI;
    } else if ((s->ier & UART_IER_RDI) && s->rx_count &&
               s->rx_count >= ((s->fcr & UART_FCR_FE) ?
                               serial_rx_trigger(s) : 1)) {
        iir = UART_IIR_RDI;
    } else if ((s->ier & UART_IER_THRI) && s->thr_ipending) {
        iir = UART_IIR_THRI;
    } else if ((s->ier & UART_IER_MSI) && (s->msr & UART_MSR_DELTAS)) {
        iir = UART_IIR_MSI;
    } else {
        iir = UART_IIR_NO_INT;
    }
    if (s->fcr & UART_FCR_FE) {
        iir |= UART_IIR_FIFO;
    }
    return iir;
}

/*
 * The ISA IRQ follows the interrupt identification.  Like QEMU (and
 * unlike a real PC's buffer gated by MCR.OUT2) the line is not gated by
 * OUT2: guests set OUT2 anyway, and QEMU-tested guests rely on this.
 */
static void serial_update_irq(SerialState *s)
{
    irq_set(&s->irq, !(serial_iir(s) & UART_IIR_NO_INT));
}

/* Bit times of one character with the current line settings */
static int64_t serial_char_time_ns(SerialState *s)
{
    unsigned bits = 1 + 5 + (s->lcr & UART_LCR_WLS) +
                    ((s->lcr & UART_LCR_PEN) ? 1 : 0) +
                    ((s->lcr & UART_LCR_STB) ? 2 : 1);
    /* a divisor of 0 is undefined on real parts; treat it as 1 */
    unsigned div = s->divider ? s->divider : 1;
    return (int64_t)bits * div * NANOSECONDS_PER_SECOND / UART_CLOCK_HZ;
}

/* Restart the "4 character times without FIFO activity" timeout */
static void serial_rearm_timeout(SerialState *s)
{
    if ((s->fcr & UART_FCR_FE) && s->rx_count) {
        timer_mod(s->timeout_timer, clock_get_ns(EMU_CLOCK_VIRTUAL) +
                  4 * serial_char_time_ns(s));
    } else {
        timer_del(s->timeout_timer);
    }
}

static void serial_timeout_cb(void *opaque)
{
    SerialState *s = opaque;

    if ((s->fcr & UART_FCR_FE) && s->rx_count) {
        s->timeout_ipending = true;
        serial_update_irq(s);
    }
}

static void serial_clear_rx(SerialState *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    s->timeout_ipending = false;
    s->lsr &= ~(UART_LSR_DR | UART_LSR_FIFOE);
    timer_del(s->timeout_timer);
}

static void serial_clear_tx(SerialState *s)
{
    s->tx_head = 0;
    s->tx_count = 0;
    s->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
    timer_del(s->tx_retry_timer);
}

/* A character arrived at the receiver (from the backend or loopback) */
static void serial_receive_byte(SerialState *s, uint8_t byte)
{
    if (s->fcr & UART_FCR_FE) {
        if (s->rx_count >= UART_FIFO_SIZE) {
            /* the character in the shift register is lost */
            s->lsr |= UART_LSR_OE;
        } else {
            s->rx_fifo[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
            s->rx_count++;
        }
    } else {
        /* 16450 mode: a new character overwrites an unread one */
        if (s->rx_count) {
            s->lsr |= UART_LSR_OE;
        }
        s->rx_fifo[0] = byte;
        s->rx_head = 0;
        s->rx_count = 1;
    }
    s->lsr |= UART_LSR_DR;
    serial_rearm_timeout(s);
}

/*
 * Hand the transmit FIFO to the backend.  Baud rate does not throttle
 * output (as in QEMU).  A backend that takes part of the bytes keeps the
 * rest queued, THRE stays clear and a timer retries: nothing is lost for
 * a backend that accepts the data eventually, and the guest sees a busy
 * transmitter meanwhile, as with hardware flow control.  Bytes are only
 * dropped when there is no backend or it reports an error (a write of -1
 * means the backend is broken, e.g. a closed file).
 */
static void serial_tx_flush(SerialState *s)
{
    while (s->tx_count) {
        unsigned chunk = MIN((unsigned)s->tx_count,
                             UART_FIFO_SIZE - (unsigned)s->tx_head);
        int n;

        if (!chr_fe_backend_connected(&s->chr)) {
            n = (int)chunk;
        } else {
            n = chr_fe_write(&s->chr, &s->tx_fifo[s->tx_head], (int)chunk);
            if (n < 0) {
                n = (int)chunk;
            }
        }
        if (n == 0) {
            timer_mod(s->tx_retry_timer,
                      clock_get_ms(EMU_CLOCK_REALTIME) + SERIAL_TX_RETRY_MS);
            return;
        }
        n = MIN(n, (int)chunk);
        s->tx_head = (s->tx_head + n) % UART_FIFO_SIZE;
        s->tx_count -= n;
    }
    s->tx_head = 0;
    if (!(s->lsr & UART_LSR_THRE)) {
        s->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
        s->thr_ipending = true;
    }
    timer_del(s->tx_retry_timer);
}

static void serial_tx_retry_cb(void *opaque)
{
    SerialState *s = opaque;

    serial_tx_flush(s);
    serial_update_irq(s);
}

/* Modem inputs when not in loopback: asserted while a backend is attached */
static uint8_t serial_external_msr(SerialState *s)
{
    return chr_fe_backend_connected(&s->chr) ?
           (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS) : 0;
}

/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
static uint8_t serial_loopback_msr(uint8_t mcr)
{
    uint8_t msr = 0;

    if (mcr & UART_MCR_DTR) {
        msr |= UART_MSR_DSR;
    }
    if (mcr & UART_MCR_RTS) {
        msr |= UART_MSR_CTS;
    }
    if (mcr & UART_MCR_OUT1) {
        msr |= UART_MSR_RI;
    }
    if (mcr & UART_MCR_OUT2) {
        msr |= UART_MSR_DCD;
    }
    return msr;
}

/* Set the modem status inputs, recording the delta bits */
static void serial_set_msr_lines(SerialState *s, uint8_t lines)
{
    uint8_t old = s->msr & 0xf0;
    uint8_t changed = old ^ lines;

    if (changed & UART_MSR_CTS) {
        s->msr |= UART_MSR_DCTS;
    }
    if (changed & UART_MSR_DSR) {
        s->msr |= UART_MSR_DDSR;
    }
    if (changed & UART_MSR_DCD) {
        s->msr |= UART_MSR_DDCD;
    }
    /* TERI: trailing edge of RI only */
    if ((old & UART_MSR_RI) && !(lines & UART_MSR_RI)) {
        s->msr |= UART_MSR_TERI;
    }
    s->msr = (s->msr & UART_MSR_DELTAS) | lines;
}

static void serial_write(void *opaque, hwaddr addr, uint64_t val,
                         unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = val;

    switch (addr) {
    case UART_RBR_THR:
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (s->divider & 0xff00) | v;
            break;
        }
        s->thr_ipending = false;
        if (s->mcr & UART_MCR_LOOP) {
            /* sent straight back to our own receiver */
            serial_receive_byte(s, v);
            s->thr_ipending = true;
            break;
        }
        if (s->tx_count >= serial_fifo_capacity(s)) {
            emu_log_mask(LOG_GUEST_ERROR, "serial: transmit FIFO overrun, "
                         "byte 0x%02x lost\n", v);
            break;
        }
        s->tx_fifo[(s->tx_head + s->tx_count) % UART_FIFO_SIZE] = v;
        s->tx_count++;
        s->lsr &= ~(UART_LSR_THRE | UART_LSR_TEMT);
        serial_tx_flush(s);
        break;
    case UART_IER: {
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (s->divider & 0x00ff) | (v << 8);
            break;
        }
        uint8_t changed = (s->ier ^ v) & UART_IER_MASK;
        s->ier = v & UART_IER_MASK;
        /*
         * Enabling THRI with THR empty interrupts at once; Linux's 8250
         * driver tests exactly this at start-up (UART_BUG_THRE), and
         * Windows relies on it even after IIR read cleared the source.
         */
        if (changed & UART_IER_THRI) {
            s->thr_ipending = (s->ier & UART_IER_THRI) &&
                              (s->lsr & UART_LSR_THRE);
        }
        break;
    }
    case UART_IIR_FCR:
        if ((v ^ s->fcr) & UART_FCR_FE) {
            /* toggling FIFO mode clears both FIFOs */
            serial_clear_rx(s);
            serial_clear_tx(s);
            s->thr_ipending = !!(s->ier & UART_IER_THRI);
        }
        if (!(v & UART_FCR_FE)) {
            /* other FCR bits are only programmed together with FE */
            s->fcr = 0;
            break;
        }
        if (v & UART_FCR_RFR) {
            serial_clear_rx(s);
        }
        if (v & UART_FCR_XFR) {
            serial_clear_tx(s);
            s->thr_ipending = !!(s->ier & UART_IER_THRI);
        }
        s->fcr = v & (UART_FCR_FE | UART_FCR_DMS | UART_FCR_ITL);
        chr_fe_accept_input(&s->chr);
        break;
    case UART_LCR:
        if ((v & UART_LCR_SBC) && !(s->lcr & UART_LCR_SBC)) {
            emu_log_mask(LOG_UNIMP, "serial: sending a break is not "
                         "implemented\n");
        }
        s->lcr = v;
        break;
    case UART_MCR: {
        bool was_loop = s->mcr & UART_MCR_LOOP;
        s->mcr = v & UART_MCR_MASK;
        if (s->mcr & UART_MCR_LOOP) {
            serial_set_msr_lines(s, serial_loopback_msr(s->mcr));
        } else if (was_loop) {
            serial_set_msr_lines(s, serial_external_msr(s));
            /* the receiver listens to the backend again */
            chr_fe_accept_input(&s->chr);
        }
        break;
    }
    case UART_LSR:
    case UART_MSR:
        /* read-only (writable only in the factory test mode) */
        emu_log_mask(LOG_GUEST_ERROR, "serial: write 0x%02x to read-only "
                     "register %u\n", v, (unsigned)addr);
        break;
    case UART_SCR:
        s->scr = v;
        break;
    default:
        break;
    }
    serial_update_irq(s);
}

static uint64_t serial_read(void *opaque, hwaddr addr, unsigned size)
{
    SerialState *s = opaque;
    uint8_t ret = 0xff;

    switch (addr) {
    case UART_RBR_THR:
        if (s->lcr & UART_LCR_DLAB) {
            ret = s->divider & 0xff;
            break;
        }
        if (s->rx_count) {
            s->rbr = s->rx_fifo[s->rx_head];
            s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
            s->rx_count--;
        }
        ret = s->rbr;
        s->timeout_ipending = false;
        if (!s->rx_count) {
            s->lsr &= ~(UART_LSR_DR | UART_LSR_FIFOE);
        }
        serial_rearm_timeout(s);
        serial_update_irq(s);
        chr_fe_accept_input(&s->chr);
        break;
    case UART_IER:
        ret = (s->lcr & UART_LCR_DLAB) ? (s->divider >> 8) : s->ier;
        break;
    case UART_IIR_FCR:
        ret = serial_iir(s);
        /* reading IIR acknowledges a THRE interrupt it reports */
        if ((ret & 0x0f) == UART_IIR_THRI) {
            s->thr_ipending = false;
            serial_update_irq(s);
        }
        break;
    case UART_LCR:
        ret = s->lcr;
        break;
    case UART_MCR:
        ret = s->mcr;
        break;
    case UART_LSR:
        ret = s->lsr;
        s->lsr &= ~(UART_LSR_ERRORS | UART_LSR_FIFOE);
        serial_update_irq(s);
        break;
    case UART_MSR:
        ret = s->msr;
        s->msr &= ~UART_MSR_DELTAS;
        serial_update_irq(s);
        break;
    case UART_SCR:
        ret = s->scr;
        break;
    default:
        break;
    }
    return ret;
}

static const MemoryRegionOps serial_io_ops = {
    .read = serial_read,
    .write = serial_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* ---- Backend side ---- */

/* Flow control: take input only while the receiver has room */
static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;

    if (s->mcr & UART_MCR_LOOP) {
        /* the receiver is disconnected from the line */
        return 0;
    }
    return (int)(serial_fifo_capacity(s) - MIN(s->rx_count,
                                               serial_fifo_capacity(s)));
}

static void serial_receive(void *opaque, const uint8_t *buf, int size)
{
    SerialState *s = opaque;

    for (int i = 0; i < size; i++) {
        serial_receive_byte(s, buf[i]);
    }
    serial_update_irq(s);
}

static void serial_event(void *opaque, ChrEvent event)
{
    SerialState *s = opaque;

    if (event != CHR_EVENT_BREAK || (s->mcr & UART_MCR_LOOP)) {
        return;
    }
    /* a break is received as a NUL character with LSR.BI */
    serial_receive_byte(s, 0);
    s->lsr |= UART_LSR_BI;
    if (s->fcr & UART_FCR_FE) {
        s->lsr |= UART_LSR_FIFOE;
    }
    serial_update_irq(s);
}

/* ---- Device ---- */

static void serial_reset(DeviceState *dev)
{
    SerialState *s = (SerialState *)dev;

    s->divider = 0x0c;          /* 9600 baud, as QEMU */
    s->ier = 0;
    s->lcr = 0;
    s->mcr = UART_MCR_OUT2;     /* as QEMU */
    s->lsr = UART_LSR_THRE | UART_LSR_TEMT;
    s->msr = serial_external_msr(s);
    s->scr = 0;
    s->fcr = 0;
    s->rbr = 0;
    s->thr_ipending = false;
    serial_clear_rx(s);
    serial_clear_tx(s);
    irq_lower(&s->irq);
    chr_fe_accept_input(&s->chr);
}

static void serial_realize(DeviceState *dev, Error **errp)
{
    SerialState *s = (SerialState *)dev;
    ISADevice *isa = ISA_DEVICE(dev);

    if (s->index == SERIAL_PROP_UNSET) {
        s->index = dev->instance_id;
    }
    if (s->iobase == SERIAL_PROP_UNSET || s->isairq == SERIAL_PROP_UNSET) {
        if (s->index >= MAX_ISA_SERIAL_PORTS) {
            error_setg(errp, "Max. supported number of ISA serial ports "
                       "is %d.", MAX_ISA_SERIAL_PORTS);
            return;
        }
        if (s->iobase == SERIAL_PROP_UNSET) {
            s->iobase = isa_serial_iobase[s->index];
        }
        if (s->isairq == SERIAL_PROP_UNSET) {
            s->isairq = isa_serial_irq[s->index];
        }
    }
    if (s->isairq >= ISA_NUM_IRQS) {
        error_setg(errp, "isa-serial: irq %u out of range (0-%d)",
                   s->isairq, ISA_NUM_IRQS - 1);
        return;
    }
    if (s->iobase > 0x10000 - UART_REGS_SIZE) {
        error_setg(errp, "isa-serial: iobase 0x%x out of range", s->iobase);
        return;
    }
    s->irq = isa_get_irq(isa, s->isairq);
    s->timeout_timer = timer_new_ns(EMU_CLOCK_VIRTUAL, serial_timeout_cb, s);
    s->tx_retry_timer = timer_new_ms(EMU_CLOCK_REALTIME, serial_tx_retry_cb,
                                     s);
    chr_fe_set_handlers(&s->chr, serial_can_receive, serial_receive,
                        serial_event, s);
    memory_region_init_io(&s->io, dev, &serial_io_ops, s, "serial",
                          UART_REGS_SIZE);
    isa_register_ioport(isa, &s->io, s->iobase);
    serial_reset(dev);
}

static void serial_unrealize(DeviceState *dev)
{
    SerialState *s = (SerialState *)dev;

    chr_fe_set_handlers(&s->chr, NULL, NULL, NULL, NULL);
    memory_region_finalize(&s->io);
    timer_free(s->timeout_timer);
    timer_free(s->tx_retry_timer);
    s->timeout_timer = NULL;
    s->tx_retry_timer = NULL;
}

static int serial_post_load(void *opaque, int version_id)
{
    SerialState *s = opaque;

    if (s->rx_head >= UART_FIFO_SIZE || s->tx_head >= UART_FIFO_SIZE ||
        s->rx_count > serial_fifo_capacity(s) ||
        s->tx_count > serial_fifo_capacity(s)) {
        return -EINVAL;
    }
    s->ier &= UART_IER_MASK;
    s->mcr &= UART_MCR_MASK;
    s->fcr &= UART_FCR_FE | UART_FCR_DMS | UART_FCR_ITL;
    serial_rearm_timeout(s);
    if (s->tx_count) {
        timer_mod(s->tx_retry_timer, clock_get_ms(EMU_CLOCK_REALTIME));
    } else {
        timer_del(s->tx_retry_timer);
    }
    serial_update_irq(s);
    return 0;
}

static const VMStateField serial_vmstate_fields[] = {
    VMSTATE_UINT16(divider, SerialState),
    VMSTATE_UINT8(ier, SerialState),
    VMSTATE_UINT8(lcr, SerialState),
    VMSTATE_UINT8(mcr, SerialState),
    VMSTATE_UINT8(lsr, SerialState),
    VMSTATE_UINT8(msr, SerialState),
    VMSTATE_UINT8(scr, SerialState),
    VMSTATE_UINT8(fcr, SerialState),
    VMSTATE_UINT8(rbr, SerialState),
    VMSTATE_BUFFER(rx_fifo, SerialState),
    VMSTATE_UINT8(rx_head, SerialState),
    VMSTATE_UINT8(rx_count, SerialState),
    VMSTATE_BUFFER(tx_fifo, SerialState),
    VMSTATE_UINT8(tx_head, SerialState),
    VMSTATE_UINT8(tx_count, SerialState),
    VMSTATE_BOOL(thr_ipending, SerialState),
    VMSTATE_BOOL(timeout_ipending, SerialState),
    VMSTATE_END_OF_LIST(),
};

static const VMStateDescription serial_vmstate = {
    .name = "serial",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = serial_post_load,
    .fields = serial_vmstate_fields,
};

static const Property serial_props[] = {
    DEFINE_PROP_UINT32("index", SerialState, index, SERIAL_PROP_UNSET),
    DEFINE_PROP_UINT32("iobase", SerialState, iobase, SERIAL_PROP_UNSET),
    DEFINE_PROP_UINT32("irq", SerialState, isairq, SERIAL_PROP_UNSET),
    DEFINE_PROP_CHR("chardev", SerialState, chr),
    DEFINE_PROP_END_OF_LIST(),
};

static const DeviceInfo isa_serial_info = {
    .name = TYPE_ISA_SERIAL,
    .bus_type = BUS_TYPE_ISA,
    .category = "Input devices",
    .instance_size = sizeof(SerialState),
    .props = serial_props,
    .vmsd = &serial_vmstate,
    .user_creatable = true,
    .realize = serial_realize,
    .unrealize = serial_unrealize,
    .reset = serial_reset,
};
DEVICE_REGISTER(isa_serial_info)

bool serial_hds_isa_init(ISABus *bus, int from, int to, Error **errp)
{
    for (int i = from; i < to && i < MAX_ISA_SERIAL_PORTS; i++) {
        Chardev *chr = serial_hd(i);
        DeviceState *dev;

        if (!chr) {
            continue;
        }
        dev = device_new(TYPE_ISA_SERIAL, errp);
        if (!dev) {
            return false;
        }
        if (!device_prop_set_uint(dev, "index", i, errp) ||
            !device_set_prop(dev, "chardev", chr->label, errp) ||
            !device_realize(dev, bus ? &bus->bus : NULL, errp)) {
            device_destroy(dev);
            return false;
        }
    }
    return true;
}
