/*
 * PCI configuration space registers (PCI Local Bus Specification 3.0,
 * chapter 6), capability layouts for MSI and MSI-X, and class codes.
 */
#ifndef HW_PCI_PCI_REGS_H
#define HW_PCI_PCI_REGS_H

/* Type 0 header */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define  PCI_COMMAND_IO         0x0001
#define  PCI_COMMAND_MEMORY     0x0002
#define  PCI_COMMAND_MASTER     0x0004
#define  PCI_COMMAND_SPECIAL    0x0008
#define  PCI_COMMAND_INVALIDATE 0x0010
#define  PCI_COMMAND_VGA_PALETTE 0x0020
#define  PCI_COMMAND_PARITY     0x0040
#define  PCI_COMMAND_WAIT       0x0080
#define  PCI_COMMAND_SERR       0x0100
#define  PCI_COMMAND_FAST_BACK  0x0200
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS              0x06
#define  PCI_STATUS_INTERRUPT   0x0008
#define  PCI_STATUS_CAP_LIST    0x0010
#define  PCI_STATUS_66MHZ       0x0020
#define  PCI_STATUS_FAST_BACK   0x0080
#define  PCI_STATUS_PARITY      0x0100
#define  PCI_STATUS_DEVSEL_MEDIUM 0x0200
#define  PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define  PCI_STATUS_REC_TARGET_ABORT 0x1000
#define  PCI_STATUS_REC_MASTER_ABORT 0x2000
#define  PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define  PCI_STATUS_DETECTED_PARITY  0x8000
#define PCI_CLASS_REVISION      0x08
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0a
#define PCI_CACHE_LINE_SIZE     0x0c
#define PCI_LATENCY_TIMER       0x0d
#define PCI_HEADER_TYPE         0x0e
#define  PCI_HEADER_TYPE_NORMAL 0x00
#define  PCI_HEADER_TYPE_BRIDGE 0x01
#define  PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BIST                0x0f
#define PCI_BASE_ADDRESS_0      0x10
#define PCI_BASE_ADDRESS_5      0x24
#define  PCI_BASE_ADDRESS_SPACE_IO     0x01
#define  PCI_BASE_ADDRESS_SPACE_MEMORY 0x00
#define  PCI_BASE_ADDRESS_MEM_TYPE_32  0x00
#define  PCI_BASE_ADDRESS_MEM_TYPE_64  0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define  PCI_BASE_ADDRESS_MEM_MASK     (~(uint64_t)0x0f)
#define  PCI_BASE_ADDRESS_IO_MASK      (~(uint64_t)0x03)
#define PCI_CARDBUS_CIS         0x28
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID        0x2e
#define PCI_ROM_ADDRESS         0x30
#define  PCI_ROM_ADDRESS_ENABLE 0x01
#define  PCI_ROM_ADDRESS_MASK   (~(uint64_t)0x7ff)
#define PCI_CAPABILITY_LIST     0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d
#define PCI_MIN_GNT             0x3e
#define PCI_MAX_LAT             0x3f
#define PCI_CONFIG_HEADER_SIZE  0x40

/* Capability IDs */
#define PCI_CAP_ID_PM           0x01
#define PCI_CAP_ID_MSI          0x05
#define PCI_CAP_ID_VNDR         0x09
#define PCI_CAP_ID_EXP          0x10
#define PCI_CAP_ID_MSIX         0x11
#define PCI_CAP_LIST_ID         0
#define PCI_CAP_LIST_NEXT       1

/* MSI capability */
#define PCI_MSI_FLAGS           2
#define  PCI_MSI_FLAGS_ENABLE   0x0001
#define  PCI_MSI_FLAGS_QMASK    0x000e  /* multiple message capable */
#define  PCI_MSI_FLAGS_QSIZE    0x0070  /* multiple message enable */
#define  PCI_MSI_FLAGS_64BIT    0x0080
#define  PCI_MSI_FLAGS_MASKBIT  0x0100
#define PCI_MSI_ADDRESS_LO      4
#define PCI_MSI_ADDRESS_HI      8       /* 64-bit only */
#define PCI_MSI_DATA_32         8
#define PCI_MSI_DATA_64         12
#define PCI_MSI_MASK_32         12
#define PCI_MSI_MASK_64         16
#define PCI_MSI_PENDING_32      16
#define PCI_MSI_PENDING_64      20

/* MSI-X capability */
#define PCI_MSIX_FLAGS          2
#define  PCI_MSIX_FLAGS_QSIZE   0x07ff
#define  PCI_MSIX_FLAGS_MASKALL 0x4000
#define  PCI_MSIX_FLAGS_ENABLE  0x8000
#define PCI_MSIX_TABLE          4
#define PCI_MSIX_PBA            8
#define  PCI_MSIX_BIR_MASK      0x7
#define PCI_CAP_MSIX_SIZEOF     12
#define PCI_MSIX_ENTRY_SIZE     16
#define PCI_MSIX_ENTRY_LOWER_ADDR   0
#define PCI_MSIX_ENTRY_UPPER_ADDR   4
#define PCI_MSIX_ENTRY_DATA         8
#define PCI_MSIX_ENTRY_VECTOR_CTRL  12
#define  PCI_MSIX_ENTRY_CTRL_MASKBIT 1

/* Class codes (base << 8 | sub) */
#define PCI_CLASS_STORAGE_IDE       0x0101
#define PCI_CLASS_STORAGE_OTHER     0x0180
#define PCI_CLASS_NETWORK_ETHERNET  0x0200
#define PCI_CLASS_NETWORK_OTHER     0x0280
#define PCI_CLASS_DISPLAY_VGA       0x0300
#define PCI_CLASS_DISPLAY_OTHER     0x0380
#define PCI_CLASS_MEMORY_RAM        0x0500
#define PCI_CLASS_BRIDGE_HOST       0x0600
#define PCI_CLASS_BRIDGE_ISA        0x0601
#define PCI_CLASS_BRIDGE_PCI        0x0604
#define PCI_CLASS_BRIDGE_OTHER      0x0680
#define PCI_CLASS_OTHERS            0xff00

/* Vendors and devices of the PC chipset */
#define PCI_VENDOR_ID_INTEL                 0x8086
#define PCI_DEVICE_ID_INTEL_82441           0x1237
#define PCI_DEVICE_ID_INTEL_82371SB_0       0x7000
#define PCI_DEVICE_ID_INTEL_82371SB_1       0x7010
#define PCI_DEVICE_ID_INTEL_82371AB_3       0x7113

#endif
