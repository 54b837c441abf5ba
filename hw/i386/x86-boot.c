/*
 * -kernel/-initrd/-append for the pc machine: check a Linux bzImage
 * (Documentation/x86/boot.rst, protocol 2.02 or later), patch its setup
 * header and hand setup, kernel, initrd and command line to SeaBIOS's
 * linuxboot_dma.bin option ROM through fw_cfg, as QEMU does.
 */
#include "emu/osdep.h"
#include "emu/error.h"
#include "hw/i386/pc.h"
#include "hw/nvram/fw_cfg.h"
#include "system/system.h"
#include <sys/stat.h>

/* Setup header fields (offsets into the image) */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_VID_MODE        0x1fa
#define HDR_BOOT_FLAG       0x1fe
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_CMDLINE_SIZE    0x238
#define HDR_END             0x240

#define LOADED_HIGH         0x01
#define CAN_USE_HEAP        0x80

/* Where the pieces go (QEMU's layout for protocol >= 2.02) */
#define REAL_MODE_ADDR      0x10000
#define CMDLINE_ADDR        0x20000
#define PROT_MODE_ADDR      0x100000
/* Kept free below the RAM top for the firmware's ACPI tables */
#define ACPI_DATA_SIZE      (0x20000 + 0x8000)

static uint32_t ld_le(const uint8_t *p, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void st_le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = v >> (8 * i);
    }
}

static uint8_t *read_whole_file(const char *what, const char *path,
                                size_t *size, Error **errp)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *buf;

    if (!f) {
        error_setg(errp, "could not open %s '%s': %s", what, path,
                   strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        error_setg(errp, "%s '%s' is not a regular file", what, path);
        fclose(f);
        return NULL;
    }
    buf = emu_malloc(st.st_size ? st.st_size : 1);
    if (fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
        error_setg(errp, "could not read %s '%s'", what, path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = st.st_size;
    return buf;
}

/* "vga=" on the command line sets the boot video mode, as QEMU does */
static void set_vid_mode(uint8_t *setup, const char *cmdline)
{
    const char *p = strstr(cmdline, "vga=");
    uint64_t mode;

    if (!p || (p != cmdline && p[-1] != ' ')) {
        return;
    }
    p += 4;
    if (!strncmp(p, "normal", 6)) {
        mode = 0xffff;
    } else if (!strncmp(p, "ext", 3)) {
        mode = 0xfffe;
    } else if (!strncmp(p, "ask", 3)) {
        mode = 0xfffd;
    } else if (emu_strtou64(p, &p, 0, &mode) < 0 ||
               (*p && *p != ' ') || mode > 0xffff) {
        return;
    }
    st_le(setup + HDR_VID_MODE, mode, 2);
}

bool x86_load_linux_image(FWCfgState *fw, const char *name,
                          const uint8_t *kernel, size_t kernel_size,
                          const uint8_t *initrd, size_t initrd_size,
                          const char *kernel_cmdline, uint64_t below_4g_mem,
                          Error **errp)
{
    const char *cmdline = kernel_cmdline ? kernel_cmdline : "";
    size_t cmdline_len = strlen(cmdline) + 1;
    uint32_t protocol, setup_size, cmdline_max = 255;
    uint64_t initrd_max;
    uint8_t *setup;
    char *romfile;

    if (kernel_size < HDR_END ||
        ld_le(kernel + HDR_MAGIC, 4) != 0x53726448 /* "HdrS" */) {
        error_setg(errp, "'%s' is not a bzImage: no Linux boot protocol "
                   "header", name);
        return false;
    }
    protocol = ld_le(kernel + HDR_VERSION, 2);
    if (protocol < 0x202 || !(kernel[HDR_LOADFLAGS] & LOADED_HIGH)) {
        error_setg(errp, "'%s' is not a bzImage: Linux boot protocol %u.%02u "
                   "without a high load (2.02 or later needed)", name,
                   protocol >> 8, protocol & 0xff);
        return false;
    }
    setup_size = kernel[HDR_SETUP_SECTS] ? kernel[HDR_SETUP_SECTS] : 4;
    setup_size = (setup_size + 1) * 512;
    if (setup_size > kernel_size || setup_size < HDR_END) {
        error_setg(errp, "'%s' is not a bzImage: its setup code (%u bytes) "
                   "does not fit the file", name, setup_size);
        return false;
    }
    if (protocol >= 0x206) {
        cmdline_max = ld_le(kernel + HDR_CMDLINE_SIZE, 4);
    }
    if (cmdline_len - 1 > cmdline_max) {
        error_setg(errp, "kernel command line is %zu bytes, '%s' accepts at "
                   "most %u", cmdline_len - 1, name, cmdline_max);
        return false;
    }

    setup = emu_malloc(setup_size);
    memcpy(setup, kernel, setup_size);
    setup[HDR_TYPE_OF_LOADER] = 0xb0;
    setup[HDR_LOADFLAGS] |= CAN_USE_HEAP;
    st_le(setup + HDR_HEAP_END_PTR, CMDLINE_ADDR - REAL_MODE_ADDR - 0x200, 2);
    st_le(setup + HDR_CMD_LINE_PTR, CMDLINE_ADDR, 4);
    set_vid_mode(setup, cmdline);

    if (initrd) {
        uint64_t addr;

        initrd_max = protocol >= 0x203 ? ld_le(kernel + HDR_INITRD_ADDR_MAX, 4)
                                       : 0x37ffffff;
        if (below_4g_mem > ACPI_DATA_SIZE &&
            initrd_max >= below_4g_mem - ACPI_DATA_SIZE) {
            initrd_max = below_4g_mem - ACPI_DATA_SIZE - 1;
        }
        /* It must also stay above the kernel it follows */
        if (initrd_size >= initrd_max ||
            initrd_max - initrd_size < PROT_MODE_ADDR +
                                       (kernel_size - setup_size)) {
            error_setg(errp, "initrd is too large (%zu MiB) for %" PRIu64
                       " MiB of RAM below 4G: increase -m",
                       DIV_ROUND_UP(initrd_size, MiB), below_4g_mem / MiB);
            free(setup);
            return false;
        }
        addr = (initrd_max - initrd_size) & ~(uint64_t)4095;
        st_le(setup + HDR_RAMDISK_IMAGE, addr, 4);
        st_le(setup + HDR_RAMDISK_SIZE, initrd_size, 4);
        fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, addr);
        fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, initrd_size);
        void *copy = emu_malloc(initrd_size ? initrd_size : 1);
        memcpy(copy, initrd, initrd_size);
        fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, copy, initrd_size);
    }

    void *prot = emu_malloc(kernel_size - setup_size + 1);
    memcpy(prot, kernel + setup_size, kernel_size - setup_size);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, PROT_MODE_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, kernel_size - setup_size);
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, prot, kernel_size - setup_size);

    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, CMDLINE_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, cmdline_len);
    fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, emu_strdup(cmdline),
                     cmdline_len);

    fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, REAL_MODE_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, setup_size);
    fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, setup, setup_size);

    /* SeaBIOS runs every "genroms/" file as an option ROM */
    romfile = firmware_find("linuxboot_dma.bin");
    if (!romfile) {
        error_setg(errp, "could not find the option ROM linuxboot_dma.bin "
                   "(Debian package qemu-system-data; or add its "
                   "directory with -L)");
        return false;
    }
    size_t rom_size;
    uint8_t *rom = read_whole_file("option ROM", romfile, &rom_size, errp);
    free(romfile);
    if (!rom) {
        return false;
    }
    return fw_cfg_add_file(fw, "genroms/linuxboot_dma.bin", rom, rom_size,
                           errp);
}

bool x86_load_linux(FWCfgState *fw, const char *kernel_filename,
                    const char *initrd_filename, const char *kernel_cmdline,
                    uint64_t below_4g_mem, Error **errp)
{
    size_t kernel_size, initrd_size = 0;
    uint8_t *kernel, *initrd = NULL;
    bool ok;

    kernel = read_whole_file("kernel", kernel_filename, &kernel_size, errp);
    if (!kernel) {
        return false;
    }
    if (initrd_filename) {
        initrd = read_whole_file("initrd", initrd_filename, &initrd_size,
                                 errp);
        if (!initrd) {
            free(kernel);
            return false;
        }
    }
    ok = x86_load_linux_image(fw, kernel_filename, kernel, kernel_size,
                              initrd, initrd_size, kernel_cmdline,
                              below_4g_mem, errp);
    free(kernel);
    free(initrd);
    return ok;
}
