/* Unit tests for fw_cfg: selector/data port reads, the file directory, DMA reads and errors; -kernel items. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/i386/pc.h"
#include "system/system.h"
#include "system/memory.h"

#include <setjmp.h>
#include <cmocka.h>

#define DESC_ADDR 0x1000
#define BUF_ADDR  0x2000
#define RAM_SIZE  (1 * MiB)

static FWCfgState *fw;
static MemoryRegion ram;

static void select_key(uint16_t key)
{
    address_space_stw_le(&address_space_io, 0x510, key, NULL);
}

static uint8_t data_byte(void)
{
    return address_space_ldub(&address_space_io, 0x511, NULL);
}

/* Run one DMA access the way a guest does (two big-endian 32-bit outs) */
static uint32_t dma(uint32_t control, uint32_t length, uint64_t address,
                    uint64_t desc)
{
    uint8_t raw[16];
    uint32_t c = htobe32(control), l = htobe32(length);
    uint64_t a = htobe64(address);

    memcpy(raw, &c, 4);
    memcpy(raw + 4, &l, 4);
    memcpy(raw + 8, &a, 8);
    address_space_write(&address_space_memory, desc, raw, 16);
    address_space_stl_le(&address_space_io, 0x514,
                         __builtin_bswap32(desc >> 32), NULL);
    address_space_stl_le(&address_space_io, 0x518,
                         __builtin_bswap32((uint32_t)desc), NULL);
    address_space_read(&address_space_memory, desc, &c, 4);
    return be32toh(c);
}

static uint16_t file_key(const char *name, uint32_t *size)
{
    uint8_t buf[4 + 64 * FW_CFG_FILE_SLOTS];
    uint32_t count;

    select_key(FW_CFG_FILE_DIR);
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = data_byte();
    }
    memcpy(&count, buf, 4);
    count = be32toh(count);
    for (uint32_t i = 0; i < count; i++) {
        FWCfgFile f;
        memcpy(&f, buf + 4 + i * sizeof(f), sizeof(f));
        if (!strcmp(f.name, name)) {
            if (size) {
                *size = be32toh(f.size);
            }
            return be16toh(f.select);
        }
    }
    return FW_CFG_INVALID;
}

static void test_signature_and_id(void **state)
{
    char sig[5] = { 0 };
    uint8_t id[4];
    uint8_t dmasig[8];

    select_key(FW_CFG_SIGNATURE);
    for (int i = 0; i < 4; i++) {
        sig[i] = data_byte();
    }
    assert_string_equal(sig, "QEMU");
    /* past the end: zeros */
    assert_int_equal(data_byte(), 0);

    select_key(FW_CFG_ID);
    for (int i = 0; i < 4; i++) {
        id[i] = data_byte();
    }
    assert_int_equal(id[0], FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    assert_int_equal(id[1] | id[2] | id[3], 0);

    /* The DMA register reads "QEMU CFG" in memory order */
    address_space_read(&address_space_io, 0x514, dmasig, 8);
    assert_memory_equal(dmasig, "QEMU CFG", 8);
}

static void test_numbers_little_endian(void **state)
{
    select_key(FW_CFG_RAM_SIZE);
    assert_int_equal(data_byte(), 0x88);
    assert_int_equal(data_byte(), 0x77);
    select_key(FW_CFG_NB_CPUS);
    assert_int_equal(data_byte(), 3);
    assert_int_equal(data_byte(), 0);
    assert_int_equal(data_byte(), 0);
}

static void test_invalid_key(void **state)
{
    select_key(0x3fff);
    assert_int_equal(data_byte(), 0);
    select_key(FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
    assert_int_equal(data_byte(), 0);
    /* an unused key in range */
    select_key(FW_CFG_NUMA);
    assert_int_equal(data_byte(), 0);
    /* a data port write is ignored */
    select_key(FW_CFG_SIGNATURE);
    address_space_stb(&address_space_io, 0x511, 0x55, NULL);
    assert_int_equal(data_byte(), 'Q');
}

static void test_directory_sorted(void **state)
{
    uint8_t buf[4 + 64 * 8];
    uint32_t count;
    char prev[FW_CFG_MAX_FILE_PATH] = "";

    select_key(FW_CFG_FILE_DIR);
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = data_byte();
    }
    memcpy(&count, buf, 4);
    assert_int_equal(be32toh(count), 4);
    for (uint32_t i = 0; i < 4; i++) {
        FWCfgFile f;
        memcpy(&f, buf + 4 + i * sizeof(f), sizeof(f));
        assert_true(strcmp(prev, f.name) < 0);
        assert_int_equal(be16toh(f.select), FW_CFG_FILE_FIRST + i);
        strcpy(prev, f.name);
    }
    assert_int_equal(file_key("etc/a", NULL), FW_CFG_FILE_FIRST + 0);
    assert_int_equal(file_key("zz/last", NULL), FW_CFG_FILE_FIRST + 3);
}

static void test_file_via_port(void **state)
{
    uint32_t size;
    uint16_t key = file_key("etc/b", &size);
    char got[16] = { 0 };

    assert_int_equal(size, 6);
    select_key(key);
    for (int i = 0; i < 6; i++) {
        got[i] = data_byte();
    }
    assert_string_equal(got, "bravo");
}

static void test_dma_read(void **state)
{
    uint16_t key = file_key("etc/c", NULL);
    uint8_t got[8];

    dma_memory_set(&address_space_memory, BUF_ADDR, 0xaa, 16);
    assert_int_equal(dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
                         FW_CFG_DMA_CTL_READ, 3, BUF_ADDR, DESC_ADDR), 0);
    address_space_read(&address_space_memory, BUF_ADDR, got, 8);
    assert_memory_equal(got, "cha\xaa", 4);
    /* continue where it stopped, then zeros past the end */
    assert_int_equal(dma(FW_CFG_DMA_CTL_READ, 6, BUF_ADDR, DESC_ADDR), 0);
    address_space_read(&address_space_memory, BUF_ADDR, got, 8);
    assert_memory_equal(got, "rlie\0\0\xaa", 7);
}

static void test_dma_skip_and_64bit_trigger(void **state)
{
    uint16_t key = file_key("etc/c", NULL);
    uint8_t raw[16], got[4];
    uint32_t c = htobe32(FW_CFG_DMA_CTL_READ), l = htobe32(2);
    uint64_t a = htobe64(BUF_ADDR);

    assert_int_equal(dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
                         FW_CFG_DMA_CTL_SKIP, 4, 0, DESC_ADDR), 0);
    memcpy(raw, &c, 4);
    memcpy(raw + 4, &l, 4);
    memcpy(raw + 8, &a, 8);
    address_space_write(&address_space_memory, DESC_ADDR, raw, 16);
    address_space_store(&address_space_io, 0x514, 8, false,
                        __builtin_bswap64(DESC_ADDR));
    address_space_read(&address_space_memory, DESC_ADDR, &c, 4);
    assert_int_equal(be32toh(c), 0);
    address_space_read(&address_space_memory, BUF_ADDR, got, 2);
    assert_memory_equal(got, "li", 2);
}

static void test_dma_errors(void **state)
{
    uint16_t key = file_key("etc/c", NULL);
    uint32_t ctl;

    /* destination outside RAM */
    ctl = dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
              FW_CFG_DMA_CTL_READ, 4, 0x40000000, DESC_ADDR);
    assert_true(ctl & FW_CFG_DMA_CTL_ERROR);
    /* zero-fill past the end into a range that runs off RAM */
    ctl = dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
              FW_CFG_DMA_CTL_READ, 0xffffffff, RAM_SIZE - 16, DESC_ADDR);
    assert_true(ctl & FW_CFG_DMA_CTL_ERROR);
    /* writes are refused */
    ctl = dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
              FW_CFG_DMA_CTL_WRITE, 4, BUF_ADDR, DESC_ADDR);
    assert_true(ctl & FW_CFG_DMA_CTL_ERROR);
    /* address overflow */
    ctl = dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
              FW_CFG_DMA_CTL_READ, 64, UINT64_MAX - 8, DESC_ADDR);
    assert_true(ctl & FW_CFG_DMA_CTL_ERROR);
    /* no operation: nothing happens, no error */
    assert_int_equal(dma(0, 100, BUF_ADDR, DESC_ADDR), 0);
    /* descriptor outside RAM: must not crash */
    address_space_stl_le(&address_space_io, 0x514, 0, NULL);
    address_space_stl_le(&address_space_io, 0x518,
                         __builtin_bswap32(0x80000000), NULL);
    address_space_store(&address_space_io, 0x514, 8, false, UINT64_MAX);
    /* wrong access sizes on the DMA register are ignored */
    address_space_stb(&address_space_io, 0x517, 1, NULL);
    address_space_stw_le(&address_space_io, 0x514, 1, NULL);
    /* the device still works */
    assert_int_equal(dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
                         FW_CFG_DMA_CTL_READ, 1, BUF_ADDR, DESC_ADDR), 0);
}

static void test_host_api(void **state)
{
    Error *err = NULL;
    size_t len;
    char longname[80];

    assert_false(fw_cfg_add_file(fw, "etc/a", emu_strdup("x"), 2, &err));
    assert_non_null(err);
    error_free(err);
    err = NULL;
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    assert_false(fw_cfg_add_file(fw, longname, emu_strdup("x"), 2, &err));
    assert_non_null(err);
    error_free(err);
    err = NULL;
    assert_true(fw_cfg_modify_file(fw, "etc/b", emu_strdup("beta"), 5,
                                   &err));
    assert_string_equal(fw_cfg_get_file(fw, "etc/b", &len), "beta");
    assert_int_equal(len, 5);
    assert_ptr_equal(fw_cfg_find(), fw);

    /* reset selects the signature again */
    select_key(FW_CFG_ID);
    device_reset(fw_cfg_device(fw));
    assert_int_equal(data_byte(), 'Q');
}

static uint32_t item32(uint16_t key)
{
    size_t len;
    const uint8_t *p = fw_cfg_get_item(fw, key, &len);

    assert_non_null(p);
    assert_int_equal(len, 4);
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A minimal bzImage: one setup sector after the boot sector, 4 KiB body */
static uint8_t *fake_bzimage(uint16_t protocol, size_t *size)
{
    uint8_t *k = emu_malloc0(1024 + 4096);

    k[0x1f1] = 1;
    k[0x1fe] = 0x55;
    k[0x1ff] = 0xaa;
    memcpy(k + 0x202, "HdrS", 4);
    k[0x206] = protocol;
    k[0x207] = protocol >> 8;
    k[0x211] = 0x01;                        /* LOADED_HIGH */
    k[0x22c] = 0xff;                        /* initrd_addr_max 0x37ffffff */
    k[0x22d] = 0xff;
    k[0x22e] = 0xff;
    k[0x22f] = 0x37;
    k[0x238] = 0xff;                        /* cmdline_size 2047 */
    k[0x239] = 0x07;
    memset(k + 1024, 0x90, 4096);
    *size = 1024 + 4096;
    return k;
}

static void test_linux_loader_errors(void **state)
{
    Error *err = NULL;
    size_t size;
    uint8_t *k = fake_bzimage(0x0201, &size);
    uint8_t initrd[4096] = { 0 };

    assert_false(x86_load_linux_image(fw, "old", k, size, NULL, 0, "",
                                      128 * MiB, &err));
    assert_non_null(strstr(error_get_pretty(err), "is not a bzImage"));
    error_free(err);
    err = NULL;
    free(k);

    k = fake_bzimage(0x020f, &size);
    memcpy(k + 0x202, "XXXX", 4);
    assert_false(x86_load_linux_image(fw, "junk", k, size, NULL, 0, "",
                                      128 * MiB, &err));
    assert_non_null(strstr(error_get_pretty(err), "is not a bzImage"));
    error_free(err);
    err = NULL;
    /* truncated file */
    assert_false(x86_load_linux_image(fw, "short", k, 0x100, NULL, 0, "",
                                      128 * MiB, &err));
    error_free(err);
    err = NULL;
    free(k);

    /* an initrd that cannot fit above the kernel and below the RAM top */
    k = fake_bzimage(0x020f, &size);
    assert_false(x86_load_linux_image(fw, "k", k, size, initrd,
                                      sizeof(initrd), "", 1 * MiB + 64 * KiB,
                                      &err));
    assert_non_null(strstr(error_get_pretty(err), "initrd is too large"));
    error_free(err);
    assert_null(fw_cfg_get_item(fw, FW_CFG_KERNEL_SIZE, NULL));
    free(k);
}

static void test_linux_loader(void **state)
{
    Error *err = NULL;
    size_t size, len;
    uint8_t *k;
    static uint8_t initrd[8192];
    const uint8_t *setup;
    char *rom = firmware_find("linuxboot_dma.bin");
    uint32_t addr;

    if (!rom) {
        print_message("linuxboot_dma.bin not installed (qemu-system-data)"
                      ": skipped\n");
        skip();
    }
    free(rom);
    k = fake_bzimage(0x020f, &size);
    assert_true(x86_load_linux_image(fw, "k", k, size, initrd,
                                     sizeof(initrd), "console=ttyS0 vga=ext",
                                     128 * MiB, &err));
    assert_null(err);
    free(k);
    assert_int_equal(item32(FW_CFG_SETUP_ADDR), 0x10000);
    assert_int_equal(item32(FW_CFG_SETUP_SIZE), 1024);
    assert_int_equal(item32(FW_CFG_KERNEL_ADDR), 0x100000);
    assert_int_equal(item32(FW_CFG_KERNEL_SIZE), 4096);
    assert_int_equal(item32(FW_CFG_CMDLINE_ADDR), 0x20000);
    assert_int_equal(item32(FW_CFG_CMDLINE_SIZE), 22);
    assert_string_equal(fw_cfg_get_item(fw, FW_CFG_CMDLINE_DATA, NULL),
                        "console=ttyS0 vga=ext");
    addr = item32(FW_CFG_INITRD_ADDR);
    assert_int_equal(addr % 4096, 0);
    assert_true(addr + sizeof(initrd) <= 128 * MiB - 0x28000);
    assert_true(addr + sizeof(initrd) > 128 * MiB - 0x28000 - 8192);
    assert_int_equal(item32(FW_CFG_INITRD_SIZE), sizeof(initrd));

    setup = fw_cfg_get_item(fw, FW_CFG_SETUP_DATA, &len);
    assert_int_equal(len, 1024);
    assert_int_equal(setup[0x210], 0xb0);              /* type_of_loader */
    assert_true(setup[0x211] & 0x80);                  /* CAN_USE_HEAP */
    assert_int_equal(setup[0x228] | setup[0x229] << 8 | setup[0x22a] << 16,
                     0x20000);
    assert_int_equal(setup[0x1fa] | setup[0x1fb] << 8, 0xfffe);
    assert_int_equal(setup[0x218] | setup[0x219] << 8 | setup[0x21a] << 16 |
                     (uint32_t)setup[0x21b] << 24, addr);
    assert_non_null(fw_cfg_get_file(fw, "genroms/linuxboot_dma.bin", &len));
    assert_true(len >= 512);
}

int main(void)
{
    Error *err = NULL;

    main_loop_init();
    memory_system_init();
    assert(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    fw = fw_cfg_init_io_dma(0x510, 0x514, &address_space_memory, &err);
    assert(fw && !err);
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, 0x1122334455667788ULL);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, 3);
    assert(fw_cfg_add_file(fw, "etc/c", emu_strdup("charlie"), 7, &err));
    assert(fw_cfg_add_file(fw, "zz/last", emu_strdup("z"), 2, &err));
    assert(fw_cfg_add_file(fw, "etc/a", emu_strdup("alpha"), 6, &err));
    assert(fw_cfg_add_file(fw, "etc/b", emu_strdup("bravo"), 6, &err));

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_and_id),
        cmocka_unit_test(test_numbers_little_endian),
        cmocka_unit_test(test_invalid_key),
        cmocka_unit_test(test_directory_sorted),
        cmocka_unit_test(test_file_via_port),
        cmocka_unit_test(test_dma_read),
        cmocka_unit_test(test_dma_skip_and_64bit_trigger),
        cmocka_unit_test(test_dma_errors),
        cmocka_unit_test(test_host_api),
        cmocka_unit_test(test_linux_loader_errors),
        cmocka_unit_test(test_linux_loader),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
