/* Unit tests for virtio-serial: the control protocol and data flow, driven through the virtqueue API. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "chardev/char.h"
#include "hw/qdev.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-serial.h"
#include "system/memory.h"

#include <setjmp.h>
#include <cmocka.h>

/*
 * The test plays the driver: it lays split rings out in "guest memory"
 * (a host buffer mapped as RAM at 0), posts buffers and kicks queues with
 * virtio_queue_notify(), as a transport would on a notify write.
 */
#define GUEST_RAM_SIZE  (1024 * 1024)
#define QSIZE           16
#define RING_BASE(q)    (0x4000u * ((q) + 1))
#define BUF_BASE        0x80000u
#define MAX_PORTS       4
#define NQUEUES         (2 + 2 * MAX_PORTS)
#define Q_CTRL_IN       2
#define Q_CTRL_OUT      3
#define Q_RX(port)      ((port) ? 2 + 2 * (port) : 0)
#define Q_TX(port)      ((port) ? 3 + 2 * (port) : 1)

static uint8_t *guest_ram;
static MemoryRegion ram_mr;

/* ---- a chardev whose write side can be made to take only some bytes ---- */

typedef struct TestChardev {
    Chardev parent;
    char out[8192];
    size_t out_len;
    int room;                   /* bytes write() takes; -1: all */
} TestChardev;

static bool test_chr_open(Chardev *chr, EmuOpts *opts, Error **errp)
{
    TestChardev *t = (TestChardev *)chr;

    t->room = -1;
    chardev_be_event(chr, CHR_EVENT_OPENED);
    return true;
}

static int test_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    TestChardev *t = (TestChardev *)chr;
    int n = t->room < 0 ? len : MIN(len, t->room);

    n = MIN(n, (int)(sizeof(t->out) - 1 - t->out_len));
    memcpy(t->out + t->out_len, buf, n);
    t->out_len += n;
    t->out[t->out_len] = 0;
    if (t->room > 0) {
        t->room -= n;
    }
    return n;
}

static const ChardevDriver test_chr_driver = {
    .name = "vsertest",
    .instance_size = sizeof(TestChardev),
    .open = test_chr_open,
    .write = test_chr_write,
};

/* ---- the device under test, on a plain parent device ---- */

typedef struct TestHost {
    DeviceState qdev;
    VirtIOSerial vser;
} TestHost;

static const DeviceInfo test_host_info = {
    .name = "test-vser-host",
    .instance_size = sizeof(TestHost),
};
DEVICE_REGISTER(test_host_info);

static unsigned notify_count;

static void test_transport_notify(void *opaque, uint16_t vector)
{
    notify_count++;
}

static const VirtioTransportOps test_transport = {
    .notify = test_transport_notify,
};

typedef struct Fixture {
    DeviceState *host;
    VirtIOSerial *vser;
    VirtIODevice *vdev;
    TestChardev *chr;           /* the virtserialport's */
    TestChardev *con_chr;       /* the virtconsole's */
    VirtIOSerialPort *port;     /* virtserialport, nr 1 */
    VirtIOSerialPort *console;  /* virtconsole, nr 0 */
    uint16_t avail_idx[NQUEUES];
    uint16_t used_seen[NQUEUES];
    uint32_t next_buf;
} Fixture;

static uint16_t rd16(uint32_t a)
{
    return guest_ram[a] | (guest_ram[a + 1] << 8);
}

static uint32_t rd32(uint32_t a)
{
    return rd16(a) | ((uint32_t)rd16(a + 2) << 16);
}

static void wr16(uint32_t a, uint16_t v)
{
    guest_ram[a] = v;
    guest_ram[a + 1] = v >> 8;
}

static void wr32(uint32_t a, uint32_t v)
{
    wr16(a, v);
    wr16(a + 2, v >> 16);
}

static void wr64(uint32_t a, uint64_t v)
{
    wr32(a, v);
    wr32(a + 4, v >> 32);
}

static uint32_t desc_addr(int q)
{
    return RING_BASE(q);
}

static uint32_t avail_addr(int q)
{
    return RING_BASE(q) + 0x1000;
}

static uint32_t used_addr(int q)
{
    return RING_BASE(q) + 0x2000;
}

static uint32_t alloc_buf(Fixture *f, uint32_t len)
{
    uint32_t a = f->next_buf;

    f->next_buf += (len + 63) & ~63u;
    if (f->next_buf >= GUEST_RAM_SIZE) {
        f->next_buf = BUF_BASE;
        a = f->next_buf;
        f->next_buf += (len + 63) & ~63u;
    }
    return a;
}

/* Post one single-descriptor buffer (device-writable if write) */
static void post_buf(Fixture *f, int q, uint32_t addr, uint32_t len,
                     bool write)
{
    uint16_t head = f->avail_idx[q] % QSIZE;
    uint32_t d = desc_addr(q) + head * 16;

    wr64(d, addr);
    wr32(d + 8, len);
    wr16(d + 12, write ? VRING_DESC_F_WRITE : 0);
    wr16(d + 14, 0);
    wr16(avail_addr(q) + 4 + 2 * head, head);
    f->avail_idx[q]++;
    wr16(avail_addr(q) + 2, f->avail_idx[q]);
}

static void kick(Fixture *f, int q)
{
    virtio_queue_notify(f->vdev, q);
}

static uint16_t used_idx(int q)
{
    return rd16(used_addr(q) + 2);
}

/* Next used element of q not seen yet: returns false if none */
static bool next_used(Fixture *f, int q, uint32_t *id, uint32_t *len)
{
    uint32_t e;

    if (f->used_seen[q] == used_idx(q)) {
        return false;
    }
    e = used_addr(q) + 4 + 8 * (f->used_seen[q] % QSIZE);
    *id = rd32(e);
    *len = rd32(e + 4);
    f->used_seen[q]++;
    return true;
}

/* Driver -> device control message */
static void send_ctrl(Fixture *f, uint32_t id, uint16_t event, uint16_t value)
{
    uint32_t a = alloc_buf(f, 8);

    wr32(a, id);
    wr16(a + 4, event);
    wr16(a + 6, value);
    post_buf(f, Q_CTRL_OUT, a, 8, false);
    kick(f, Q_CTRL_OUT);
}

/* Give the device control receive buffers (64 bytes each) */
static void post_ctrl_bufs(Fixture *f, int n)
{
    for (int i = 0; i < n; i++) {
        post_buf(f, Q_CTRL_IN, alloc_buf(f, 64), 64, true);
    }
    kick(f, Q_CTRL_IN);
}

typedef struct CtrlMsg {
    uint32_t id;
    uint16_t event;
    uint16_t value;
    char extra[64];
} CtrlMsg;

/* Device -> driver control message; false if none is pending */
static bool recv_ctrl(Fixture *f, CtrlMsg *m)
{
    uint32_t head, len, a;

    if (!next_used(f, Q_CTRL_IN, &head, &len)) {
        return false;
    }
    assert_true(head < QSIZE);
    assert_true(len >= 8 && len <= 64);
    a = (uint32_t)rd32(desc_addr(Q_CTRL_IN) + head * 16);
    m->id = rd32(a);
    m->event = rd16(a + 4);
    m->value = rd16(a + 6);
    memset(m->extra, 0, sizeof(m->extra));
    memcpy(m->extra, guest_ram + a + 8, len - 8);
    return true;
}

static void expect_ctrl(Fixture *f, uint32_t id, uint16_t event,
                        uint16_t value, const char *extra)
{
    CtrlMsg m;

    assert_true(recv_ctrl(f, &m));
    assert_int_equal(m.id, id);
    assert_int_equal(m.event, event);
    assert_int_equal(m.value, value);
    if (extra) {
        assert_string_equal(m.extra, extra);
    }
}

static void expect_no_ctrl(Fixture *f)
{
    CtrlMsg m;

    assert_false(recv_ctrl(f, &m));
}

static DeviceState *add_port(Fixture *f, const char *type, const char *chr,
                             const char *name)
{
    DeviceState *dev = device_new(type, &error_abort);

    if (chr) {
        assert_true(device_set_prop(dev, "chardev", chr, &error_abort));
    }
    if (name) {
        assert_true(device_set_prop(dev, "name", name, &error_abort));
    }
    assert_true(device_realize(dev, &f->vser->bus->qbus, &error_abort));
    return dev;
}

/* A device with max_ports 4, the driver at DRIVER_OK with MULTIPORT */
static void fixture_start(Fixture *f, uint64_t features)
{
    Error *err = NULL;

    memset(guest_ram, 0, GUEST_RAM_SIZE);
    memset(f, 0, sizeof(*f));
    f->next_buf = BUF_BASE;
    f->host = device_new("test-vser-host", &error_abort);
    assert_true(device_set_id(f->host, "vs", &error_abort));
    assert_true(device_realize(f->host, NULL, &error_abort));
    f->vser = &((TestHost *)f->host)->vser;
    f->vdev = &f->vser->parent_obj;
    f->vdev->info = &virtio_serial_vdev_info;
    f->vdev->transport = &test_transport;
    f->vdev->transport_dev = f->host;
    f->vser->max_nr_ports = MAX_PORTS;
    f->vser->emergency_write = true;
    virtio_serial_vdev_info.realize(f->vdev, &err);
    assert_null(err);
    assert_string_equal(f->vser->bus->qbus.name, "vs.0");
    f->vdev->host_features = virtio_serial_vdev_info.get_features(
        f->vdev, 1ULL << VIRTIO_F_VERSION_1);
    assert_true(f->vdev->host_features & (1ULL << VIRTIO_CONSOLE_F_MULTIPORT));

    f->chr = (TestChardev *)chardev_new_from_cmdline("vsertest,id=vs-t1",
                                                     &error_abort);
    f->con_chr = (TestChardev *)chardev_new_from_cmdline("vsertest,id=vs-t0",
                                                         &error_abort);
    f->console = (VirtIOSerialPort *)add_port(f, "virtconsole", "vs-t0", NULL);
    f->port = (VirtIOSerialPort *)add_port(f, "virtserialport", "vs-t1",
                                           "org.qemu.guest_agent.0");
    assert_int_equal(f->console->id, 0);
    assert_int_equal(f->port->id, 1);

    virtio_set_status(f->vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                      VIRTIO_CONFIG_S_DRIVER);
    assert_int_equal(virtio_set_features(f->vdev, features), 0);
    virtio_set_status(f->vdev, f->vdev->status | VIRTIO_CONFIG_S_FEATURES_OK);
    for (int q = 0; q < virtio_get_num_queues(f->vdev); q++) {
        virtio_queue_set_num(f->vdev, q, QSIZE);
        virtio_queue_set_rings(f->vdev, q, desc_addr(q), avail_addr(q),
                               used_addr(q));
        virtio_queue_set_enabled(f->vdev, q, true);
    }
    virtio_set_status(f->vdev, f->vdev->status | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void fixture_stop(Fixture *f)
{
    /* As the transport does: ports (children) first, then the device */
    device_unrealize(f->host);
    virtio_serial_vdev_info.unrealize(f->vdev);
    device_destroy(f->host);
    chardev_delete(&f->chr->parent);
    chardev_delete(&f->con_chr->parent);
}

static const uint64_t multiport_features =
    (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_CONSOLE_F_MULTIPORT);

/* DEVICE_READY -> DEVICE_ADD per port; PORT_READY -> console/name/open */
static void handshake(Fixture *f)
{
    /* Exactly the six messages below: later tests post their own */
    post_ctrl_bufs(f, 6);
    send_ctrl(f, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    expect_ctrl(f, 0, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL);
    expect_ctrl(f, 1, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL);
    expect_no_ctrl(f);

    send_ctrl(f, 0, VIRTIO_CONSOLE_PORT_READY, 1);
    expect_ctrl(f, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL);
    expect_ctrl(f, 0, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
    expect_no_ctrl(f);

    send_ctrl(f, 1, VIRTIO_CONSOLE_PORT_READY, 1);
    expect_ctrl(f, 1, VIRTIO_CONSOLE_PORT_NAME, 1, "org.qemu.guest_agent.0");
    expect_ctrl(f, 1, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
    expect_no_ctrl(f);
    assert_false(f->port->guest_connected);

    send_ctrl(f, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    assert_true(f->port->guest_connected);
    /* Every control message the driver sent came back used */
    assert_int_equal(used_idx(Q_CTRL_OUT), 4);
}

static void test_control_handshake(void **state)
{
    Fixture f;

    fixture_start(&f, multiport_features);
    handshake(&f);
    /* Guest closes the port */
    send_ctrl(&f, 1, VIRTIO_CONSOLE_PORT_OPEN, 0);
    assert_false(f.port->guest_connected);
    fixture_stop(&f);
}

static void test_data_both_ways(void **state)
{
    Fixture f;
    uint32_t a, head, len;
    Chardev *chr;

    fixture_start(&f, multiport_features);
    chr = &f.chr->parent;
    /* Host -> guest before the guest opened the port: held back */
    assert_int_equal(chardev_be_can_read(chr), 0);
    handshake(&f);
    /* Open, but no receive buffers yet: still nothing */
    assert_int_equal(chardev_be_can_read(chr), 0);

    a = alloc_buf(&f, 32);
    post_buf(&f, Q_RX(1), a, 32, true);
    kick(&f, Q_RX(1));
    assert_int_equal(chardev_be_can_read(chr), 32);
    chardev_be_deliver(chr, (const uint8_t *)"abc", 3);
    assert_true(next_used(&f, Q_RX(1), &head, &len));
    assert_int_equal(len, 3);
    assert_memory_equal(guest_ram + a, "abc", 3);
    assert_int_equal(chardev_be_can_read(chr), 0);

    /* Guest -> host */
    a = alloc_buf(&f, 16);
    memcpy(guest_ram + a, "hello", 5);
    post_buf(&f, Q_TX(1), a, 5, false);
    kick(&f, Q_TX(1));
    assert_string_equal(f.chr->out, "hello");
    assert_true(next_used(&f, Q_TX(1), &head, &len));
    assert_int_equal(len, 0);

    /* The console (port 0) carries bytes too */
    a = alloc_buf(&f, 16);
    memcpy(guest_ram + a, "con", 3);
    post_buf(&f, Q_TX(0), a, 3, false);
    kick(&f, Q_TX(0));
    assert_string_equal(f.con_chr->out, "con");
    assert_string_equal(f.chr->out, "hello");
    fixture_stop(&f);
}

static void test_host_throttle(void **state)
{
    Fixture f;
    uint32_t a, head, len;

    fixture_start(&f, multiport_features);
    handshake(&f);
    f.chr->room = 3;
    a = alloc_buf(&f, 16);
    memcpy(guest_ram + a, "hello", 5);
    post_buf(&f, Q_TX(1), a, 5, false);
    a = alloc_buf(&f, 16);
    memcpy(guest_ram + a, "world", 5);
    post_buf(&f, Q_TX(1), a, 5, false);
    kick(&f, Q_TX(1));
    /* The host took 3 bytes: the buffer stays with the device */
    assert_string_equal(f.chr->out, "hel");
    assert_false(next_used(&f, Q_TX(1), &head, &len));
    assert_true(f.port->throttled);
    /* A kick while throttled sends nothing more */
    kick(&f, Q_TX(1));
    assert_string_equal(f.chr->out, "hel");

    f.chr->room = -1;
    virtio_serial_host_ready(f.port);
    assert_string_equal(f.chr->out, "helloworld");
    assert_true(next_used(&f, Q_TX(1), &head, &len));
    assert_true(next_used(&f, Q_TX(1), &head, &len));
    assert_false(f.port->throttled);
    fixture_stop(&f);
}

static void test_host_close_open(void **state)
{
    Fixture f;
    uint32_t a, head, len;
    Chardev *chr;

    fixture_start(&f, multiport_features);
    chr = &f.chr->parent;
    handshake(&f);
    post_ctrl_bufs(&f, 4);
    chardev_be_event(chr, CHR_EVENT_CLOSED);
    expect_ctrl(&f, 1, VIRTIO_CONSOLE_PORT_OPEN, 0, NULL);
    assert_false(f.port->host_connected);
    /* Guest data with nobody listening is consumed and dropped */
    a = alloc_buf(&f, 16);
    memcpy(guest_ram + a, "lost", 4);
    post_buf(&f, Q_TX(1), a, 4, false);
    kick(&f, Q_TX(1));
    assert_true(next_used(&f, Q_TX(1), &head, &len));
    assert_string_equal(f.chr->out, "");

    chardev_be_event(chr, CHR_EVENT_OPENED);
    expect_ctrl(&f, 1, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
    expect_no_ctrl(&f);
    fixture_stop(&f);
}

/* Control messages wait for buffers instead of being lost */
static void test_control_waits_for_buffers(void **state)
{
    Fixture f;

    fixture_start(&f, multiport_features);
    send_ctrl(&f, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    expect_no_ctrl(&f);
    post_ctrl_bufs(&f, 1);
    expect_ctrl(&f, 0, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL);
    expect_no_ctrl(&f);
    post_ctrl_bufs(&f, 1);
    expect_ctrl(&f, 1, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL);
    fixture_stop(&f);
}

static void test_hostile_driver(void **state)
{
    Fixture f;
    uint32_t a, head, len;

    fixture_start(&f, multiport_features);
    handshake(&f);
    /* Short control message, unknown port, unknown event: ignored */
    a = alloc_buf(&f, 8);
    post_buf(&f, Q_CTRL_OUT, a, 4, false);
    kick(&f, Q_CTRL_OUT);
    send_ctrl(&f, 99, VIRTIO_CONSOLE_PORT_READY, 1);
    send_ctrl(&f, 0xffffffffu, VIRTIO_CONSOLE_PORT_OPEN, 1);
    send_ctrl(&f, 1, 0x7777, 1);
    expect_no_ctrl(&f);
    assert_int_equal(used_idx(Q_CTRL_OUT), 8);

    /* A receive buffer the device cannot write to is returned unused */
    a = alloc_buf(&f, 16);
    post_buf(&f, Q_RX(1), a, 16, false);
    kick(&f, Q_RX(1));
    assert_int_equal(chardev_be_can_read(&f.chr->parent), 0);
    assert_true(next_used(&f, Q_RX(1), &head, &len));
    assert_int_equal(len, 0);

    /* A control buffer too small for PORT_NAME: truncated, no overflow */
    a = alloc_buf(&f, 64);
    memset(guest_ram + a, 0xee, 64);
    post_buf(&f, Q_CTRL_IN, a, 10, true);
    kick(&f, Q_CTRL_IN);
    send_ctrl(&f, 1, VIRTIO_CONSOLE_PORT_READY, 1);
    assert_true(next_used(&f, Q_CTRL_IN, &head, &len));
    assert_int_equal(len, 10);
    assert_int_equal(guest_ram[a + 10], 0xee);

    /* DEVICE_READY again and again without buffers: bounded backlog */
    for (int i = 0; i < 3000; i++) {
        send_ctrl(&f, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    }
    assert_true(f.vser->ctrl_count <= 4096);
    assert_true(f.vser->ctrl_count >= 4000);
    fixture_stop(&f);
}

static void test_reset(void **state)
{
    Fixture f;

    fixture_start(&f, multiport_features);
    handshake(&f);
    virtio_reset(f.vdev);
    assert_false(f.port->guest_connected);
    assert_false(f.port->guest_known);
    assert_true(f.port->host_connected);
    assert_int_equal(chardev_be_can_read(&f.chr->parent), 0);
    assert_int_equal(f.vser->ctrl_count, 0);
    fixture_stop(&f);
}

/* Without MULTIPORT only port 0 exists and it is open at DRIVER_OK */
static void test_single_port(void **state)
{
    Fixture f;
    uint32_t a;

    fixture_start(&f, 1ULL << VIRTIO_F_VERSION_1);
    assert_true(f.console->guest_connected);
    assert_false(f.port->guest_connected);
    a = alloc_buf(&f, 16);
    post_buf(&f, Q_RX(0), a, 16, true);
    kick(&f, Q_RX(0));
    assert_int_equal(chardev_be_can_read(&f.con_chr->parent), 16);
    chardev_be_deliver(&f.con_chr->parent, (const uint8_t *)"hi", 2);
    assert_memory_equal(guest_ram + a, "hi", 2);
    fixture_stop(&f);
}

/* Emergency write: a byte in config emerg_wr goes to port 0 */
static void test_emergency_write(void **state)
{
    Fixture f;

    fixture_start(&f, multiport_features |
                  (1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE));
    assert_int_equal(virtio_config_read(f.vdev, 4, 4), MAX_PORTS);
    virtio_config_write(f.vdev, 8, 'Z', 4);
    assert_string_equal(f.con_chr->out, "Z");
    fixture_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_handshake),
        cmocka_unit_test(test_data_both_ways),
        cmocka_unit_test(test_host_throttle),
        cmocka_unit_test(test_host_close_open),
        cmocka_unit_test(test_control_waits_for_buffers),
        cmocka_unit_test(test_hostile_driver),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_single_port),
        cmocka_unit_test(test_emergency_write),
    };

    main_loop_init();
    memory_system_init();
    chardev_register_driver(&test_chr_driver);
    guest_ram = aligned_alloc(4096, GUEST_RAM_SIZE);
    memory_region_init_ram_ptr(&ram_mr, NULL, "ram", GUEST_RAM_SIZE,
                               guest_ram);
    memory_region_add_subregion(get_system_memory(), 0, &ram_mr);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
