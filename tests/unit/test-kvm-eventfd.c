/* Unit tests for KVM's event-fd helpers used by virtio: MSI routes (GSI allocation, update, release), irqfds on them, any-length ioeventfds. */
#include "emu/osdep.h"
#include "system/kvm.h"

#include <sys/eventfd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/support/kvm-test.h"

static void skip_without_irqfd(void)
{
    if (!kvm_irqfd_msi_available()) {
        skip();
    }
}

static void test_msi_routes(void **state)
{
    int a, b, c;

    skip_without_irqfd();
    a = kvm_irqchip_add_msi_route(0xfee00000, 0x40);
    b = kvm_irqchip_add_msi_route(0xfee01000, 0x41);
    /* above the pc's 24 irqchip GSIs, and distinct */
    assert_true(a >= 24);
    assert_true(b >= 24);
    assert_int_not_equal(a, b);
    /* same message: nothing to do; a new one: committed */
    assert_int_equal(kvm_irqchip_update_msi_route(a, 0xfee00000, 0x40), 0);
    assert_int_equal(kvm_irqchip_update_msi_route(a, 0xfee00000, 0x42), 0);
    /* not an MSI route of ours */
    assert_int_equal(kvm_irqchip_update_msi_route(5, 0xfee00000, 0x42),
                     -ENOENT);
    assert_int_equal(kvm_irqchip_update_msi_route(4000, 0xfee00000, 1),
                     -ENOENT);
    /* a released GSI is handed out again */
    kvm_irqchip_release_msi_route(a);
    kvm_irqchip_release_msi_route(a);       /* twice: harmless */
    c = kvm_irqchip_add_msi_route(0xfee00000, 0x43);
    assert_int_equal(c, a);
    kvm_irqchip_release_msi_route(b);
    kvm_irqchip_release_msi_route(c);
}

static void test_irqfd_on_msi_route(void **state)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint64_t one = 1;
    int gsi;

    skip_without_irqfd();
    assert_true(fd >= 0);
    gsi = kvm_irqchip_add_msi_route(0xfee00000, 0x40);
    assert_true(gsi >= 24);
    assert_int_equal(kvm_irqchip_add_irqfd(fd, -1, gsi), 0);
    /* the same fd twice is refused by KVM */
    assert_true(kvm_irqchip_add_irqfd(fd, -1, gsi) < 0);
    /* a signal is consumed by KVM (delivered to the LAPIC), not left */
    assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
    assert_int_equal(kvm_irqchip_update_msi_route(gsi, 0xfee00000, 0x41),
                     0);
    assert_int_equal(kvm_irqchip_remove_irqfd(fd, gsi), 0);
    kvm_irqchip_release_msi_route(gsi);
    close(fd);
}

static void test_ioeventfd_any_length(void **state)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    assert_true(fd >= 0);
    if (!kvm_ioeventfd_any_length_available()) {
        close(fd);
        skip();
    }
    assert_int_equal(kvm_set_ioeventfd_mmio(fd, 0xfe003000, 0, true, 0,
                                            false), 0);
    assert_int_equal(kvm_set_ioeventfd_mmio(fd, 0xfe003000, 0, false, 0,
                                            false), 0);
    /* size 0 is for MMIO without datamatch only */
    assert_int_equal(kvm_set_ioeventfd_pio(fd, 0xc010, 0, true, 0, false),
                     -EINVAL);
    assert_int_equal(kvm_set_ioeventfd_mmio(fd, 0xfe003000, 1, true, 0,
                                            true), -EINVAL);
    /* the legacy notify register: 16 bits matching the queue index */
    assert_int_equal(kvm_set_ioeventfd_pio(fd, 0xc010, 3, true, 2, true), 0);
    assert_int_equal(kvm_set_ioeventfd_pio(fd, 0xc010, 3, false, 2, true),
                     0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msi_routes),
        cmocka_unit_test(test_irqfd_on_msi_route),
        cmocka_unit_test(test_ioeventfd_any_length),
    };

    return KVM_TEST_RUN_GROUP(tests);
}
