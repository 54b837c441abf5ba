/* Shared by the KVM unit tests: the host check and the accelerator set-up. */
#include "emu/osdep.h"
#include "emu/main-loop.h"
#include "system/accel.h"
#include "system/memory.h"
#include "kvm-test.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <setjmp.h>
#include <cmocka.h>

/* KVM_GET_API_VERSION is _IO(0xAE, 0x00); anything but 12 is unusable */
#define KVM_TEST_GET_API_VERSION 0xAE00
#define KVM_TEST_API_VERSION 12

int kvm_test_host_check(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    int version;

    if (fd < 0) {
        printf("SKIP: /dev/kvm: %s\n", strerror(errno));
        return 77;
    }
    version = ioctl(fd, KVM_TEST_GET_API_VERSION, 0);
    close(fd);
    if (version != KVM_TEST_API_VERSION) {
        printf("SKIP: /dev/kvm does not answer as KVM (API version %d)\n",
               version);
        return 77;
    }
    return 0;
}

int kvm_test_setup(void **state)
{
    Error *err = NULL;
    EmuOpts *opts[1];

    main_loop_init();
    memory_system_init();
    opts[0] = opts_parse("kvm", "accel", false, &err);
    assert_non_null(opts[0]);
    if (!accel_configure(opts, 1, &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        error_free(err);
        return -1;
    }
    opts_free(opts[0]);
    return 0;
}
