/*
 * Shared by the KVM unit tests (test-kvm*.c): whether this host's
 * /dev/kvm can run them, and the accelerator brought up as a cmocka
 * group setup.  Linked into every unit test.
 */
#ifndef TESTS_UNIT_SUPPORT_KVM_TEST_H
#define TESTS_UNIT_SUPPORT_KVM_TEST_H

/*
 * 0 when /dev/kvm opens and answers as KVM; otherwise prints why on
 * stdout ("SKIP: ...") and returns 77, the status main() exits with.
 */
int kvm_test_host_check(void);

/* cmocka group setup: main loop, memory system and "-accel kvm" */
int kvm_test_setup(void **state);

/*
 * main()'s status for a cmocka array of tests run as one group under
 * KVM, or the skip status when the host has no usable KVM (needs
 * <cmocka.h>).
 */
#define KVM_TEST_RUN_GROUP(tests) \
    (kvm_test_host_check() ?: \
     cmocka_run_group_tests(tests, kvm_test_setup, NULL))

#endif
