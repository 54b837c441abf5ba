/* Unit tests for the KVM accelerator: vCPU creation, register put/get round trip, the in-kernel PIT's channel 2 helpers. */
#include "emu/osdep.h"
#include "system/accel.h"
#include "system/kvm.h"
#include "system/memory.h"
#include "accel/kvm/kvm-internal.h"
#include "target/i386/cpu.h"

#include <sys/eventfd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/support/kvm-test.h"

static CPUState *cpu0;

static void test_enabled(void **state)
{
    assert_true(kvm_enabled());
    assert_true(kvm_irqchip_in_kernel());
    assert_true(accel_is("kvm"));
}

static void test_cpu_reset_roundtrip(void **state)
{
    Error *err = NULL;
    X86CPU *cpu;
    CPUX86State *env;

    cpu0 = x86_cpu_new(NULL, 0, &err);
    assert_null(err);
    assert_non_null(cpu0);
    cpu = X86_CPU(cpu0);
    env = &cpu->env;

    /* reset, write to KVM, scribble over env, read back from KVM */
    cpu_reset(cpu0);
    kvm_cpu_synchronize_post_reset(cpu0);
    memset(env->regs, 0xaa, sizeof(env->regs));
    env->rip = 0x1234;
    env->cr[0] = 0;
    env->segs[R_CS].base = 0;
    env->efer = 0xdead;
    assert_int_equal(kvm_arch_get_registers(cpu0), 0);

    assert_int_equal(env->rip, 0xfff0);
    assert_int_equal(env->rflags, 0x2);
    assert_int_equal(env->segs[R_CS].selector, 0xf000);
    assert_int_equal(env->segs[R_CS].base, 0xffff0000);
    assert_int_equal(env->segs[R_CS].limit, 0xffff);
    assert_int_equal(env->regs[R_EDX], x86_cpu_signature(env->model));
    assert_int_equal(env->regs[R_EAX], 0);
    assert_int_equal(env->cr[0] & ~(uint64_t)CR0_ET_MASK,
                     CR0_CD_MASK | CR0_NW_MASK);
    assert_int_equal(env->efer, 0);
    assert_int_equal(env->apic_base & ~0xfffull, APIC_DEFAULT_ADDRESS);
    assert_true(env->apic_base & MSR_IA32_APICBASE_BSP);
    assert_int_equal(env->xsave.legacy.fcw, 0x37f);
    assert_int_equal(env->xsave.legacy.mxcsr, 0x1f80);
    assert_int_equal(env->pat, PAT_POWER_ON_VALUE);
}

static void test_cpuid_model(void **state)
{
    CPUX86State *env = &X86_CPU(cpu0)->env;
    bool leaf0 = false, leaf1 = false, kvm_sig = false;

    for (unsigned i = 0; i < env->nr_cpuid; i++) {
        X86CPUIDEntry *e = &env->cpuid[i];
        if (e->function == 0) {
            char vendor[13];
            memcpy(vendor, &e->ebx, 4);
            memcpy(vendor + 4, &e->edx, 4);
            memcpy(vendor + 8, &e->ecx, 4);
            vendor[12] = 0;
            assert_string_equal(vendor, "AuthenticAMD");
            assert_true(e->eax >= 1 && e->eax <= 0xd);
            leaf0 = true;
        } else if (e->function == 1) {
            assert_int_equal(e->eax, 0x00060fb1);   /* 15/107/1 */
            assert_int_equal(e->ebx >> 24, 0);      /* APIC ID */
            assert_true(e->edx & CPUID_APIC);
            assert_true(e->ecx & CPUID_EXT_HYPERVISOR);
            leaf1 = true;
        } else if (e->function == 0x40000000) {
            assert_memory_equal(&e->ebx, "KVMK", 4);
            kvm_sig = true;
        } else if (e->function == 7) {
            assert_int_equal(e->ebx, 0);            /* qemu64: none */
        }
    }
    assert_true(leaf0 && leaf1 && kvm_sig);
}

static void test_unknown_model(void **state)
{
    Error *err = NULL;

    assert_null(x86_cpu_new("no-such-cpu", 1, &err));
    assert_non_null(err);
    assert_non_null(strstr(error_get_pretty(err), "no-such-cpu"));
    error_free(err);
}

static void test_pit_channel2(void **state)
{
    struct kvm_pit_state2 st;

    assert_true(kvm_pit_in_kernel());
    /* channel 2, mode 0, 10 ms, gate low: OUT rises 10 ms after gating */
    assert_int_equal(kvm_vm_ioctl(KVM_GET_PIT2, &st), 0);
    st.channels[2].mode = 0;
    st.channels[2].count = 11932;
    st.channels[2].gate = 0;
    assert_int_equal(kvm_vm_ioctl(KVM_SET_PIT2, &st), 0);
    kvm_pit_set_channel2_gate(true);
    assert_false(kvm_pit_channel2_out());
    usleep(30 * 1000);
    assert_true(kvm_pit_channel2_out());
    assert_int_equal(kvm_vm_ioctl(KVM_GET_PIT2, &st), 0);
    assert_int_equal(st.channels[2].gate, 1);
    kvm_pit_set_channel2_gate(false);
    assert_int_equal(kvm_vm_ioctl(KVM_GET_PIT2, &st), 0);
    assert_int_equal(st.channels[2].gate, 0);
}

static void test_irq_and_eventfd_args(void **state)
{
    /* out-of-range GSIs are refused by KVM and only logged */
    kvm_set_irq(4, 1);
    kvm_set_irq(4, 0);
    kvm_set_irq(5000, 1);
    assert_int_equal(kvm_set_ioeventfd_pio(-1, 0x1000, 0, true, 3, false),
                     -EINVAL);
}

static void test_eventfds(void **state)
{
    int fd = eventfd(0, EFD_CLOEXEC);

    assert_true(fd >= 0);
    assert_int_equal(kvm_irqchip_add_irqfd(fd, -1, 10), 0);
    assert_int_equal(kvm_irqchip_remove_irqfd(fd, 10), 0);
    assert_int_equal(kvm_set_ioeventfd_pio(fd, 0xc050, 0, true, 2, false), 0);
    assert_int_equal(kvm_set_ioeventfd_pio(fd, 0xc050, 0, false, 2, false),
                     0);
    assert_int_equal(kvm_set_ioeventfd_mmio(fd, 0xfe000000, 7, true, 4,
                                            true), 0);
    assert_int_equal(kvm_set_ioeventfd_mmio(fd, 0xfe000000, 7, false, 4,
                                            true), 0);
    close(fd);
}

static MemoryRegion test_ram;

/* The monitor's page walk ("x"): 4-level paging and legacy 32-bit */
static void test_page_walk(void **state)
{
    CPUX86State *env = &X86_CPU(cpu0)->env;
    AddressSpace *as = &address_space_memory;
    Error *err = NULL;
    uint64_t pa;

    assert_true(memory_region_init_ram(&test_ram, NULL, "test.ram",
                                       16 * MiB, &err));
    memory_region_add_subregion(get_system_memory(), 0, &test_ram);

    /* long mode: PML4 0x10000 -> PDPT 0x11000 -> PD 0x12000 */
    address_space_stq_le(as, 0x10000 + 8 * 1, 0x11000 | 3, NULL);
    address_space_stq_le(as, 0x11000 + 8 * 2, 0x12000 | 3, NULL);
    /* PD[0]: a 2 MiB page at 6 MiB; PD[1]: a page table at 0x13000 */
    address_space_stq_le(as, 0x12000, 0x600000 | 0x83, NULL);
    address_space_stq_le(as, 0x12000 + 8, 0x13000 | 3, NULL);
    address_space_stq_le(as, 0x13000 + 8 * 5, 0x345000 | 3, NULL);
    env->cr[0] = CR0_PE_MASK | CR0_PG_MASK;
    env->cr[4] = CR4_PAE_MASK;
    env->efer = MSR_EFER_LME | MSR_EFER_LMA;
    env->cr[3] = 0x10000;

    uint64_t base = (1ull << 39) | (2ull << 30);
    assert_true(x86_cpu_get_phys_addr(cpu0, base + 0x1234, &pa));
    assert_int_equal(pa, 0x601234);
    assert_true(x86_cpu_get_phys_addr(cpu0, base + (1 << 21) + 5 * 4096 +
                                      0x42, &pa));
    assert_int_equal(pa, 0x345042);
    /* not present: PD[2], and another PML4 slot */
    assert_false(x86_cpu_get_phys_addr(cpu0, base + (2 << 21), &pa));
    assert_false(x86_cpu_get_phys_addr(cpu0, 0x1000, &pa));

    /* legacy paging: PD 0x20000, 4 MiB page (PSE) and a 4 KiB one */
    env->efer = 0;
    env->cr[4] = 1u << 4;       /* PSE */
    env->cr[3] = 0x20000;
    address_space_stl_le(as, 0x20000 + 4 * 3, 0x800000 | 0x83, NULL);
    address_space_stl_le(as, 0x20000 + 4 * 4, 0x21000 | 3, NULL);
    address_space_stl_le(as, 0x21000 + 4 * 7, 0x456000 | 3, NULL);
    assert_true(x86_cpu_get_phys_addr(cpu0, (3u << 22) + 0x12345, &pa));
    assert_int_equal(pa, 0x812345);
    assert_true(x86_cpu_get_phys_addr(cpu0, (4u << 22) + 7 * 4096 + 9,
                                      &pa));
    assert_int_equal(pa, 0x456009);
    assert_false(x86_cpu_get_phys_addr(cpu0, 5u << 22, &pa));

    /* paging off: physical = virtual */
    env->cr[0] = CR0_PE_MASK;
    assert_true(x86_cpu_get_phys_addr(cpu0, 0xabcdef, &pa));
    assert_int_equal(pa, 0xabcdef);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enabled),
        cmocka_unit_test(test_cpu_reset_roundtrip),
        cmocka_unit_test(test_cpuid_model),
        cmocka_unit_test(test_unknown_model),
        cmocka_unit_test(test_pit_channel2),
        cmocka_unit_test(test_irq_and_eventfd_args),
        cmocka_unit_test(test_eventfds),
        cmocka_unit_test(test_page_walk),
    };

    return KVM_TEST_RUN_GROUP(tests);
}
