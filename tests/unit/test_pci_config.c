// SPDX-License-Identifier: BSD-3-Clause
/*
 * The config space of emulated PCI functions: the header as set up, what
 * writes may change, BAR sizing (32-bit, 64-bit, I/O), the capability list
 * and the MSI / MSI-X capabilities' layouts and writable bits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/pci_config.h"

static void init_edu_like(struct pci_config *cfg)
{
	pci_config_init(cfg, 0x1234, 0x11e8, 0x00ff0010, 0x1af4, 0x1100, 1);
}

static void header_fields(void **state)
{
	struct pci_config cfg;

	(void)state;
	init_edu_like(&cfg);
	assert_int_equal(pci_config_read(&cfg, PCI_VENDOR_ID, 2), 0x1234);
	assert_int_equal(pci_config_read(&cfg, PCI_DEVICE_ID, 2), 0x11e8);
	assert_int_equal(pci_config_read(&cfg, 0, 4), 0x11e81234);
	assert_int_equal(pci_config_read(&cfg, PCI_CLASS_REVISION, 4),
			 0x00ff0010);
	assert_int_equal(pci_config_read(&cfg, PCI_CLASS_REVISION, 1), 0x10);
	assert_int_equal(pci_config_read(&cfg, PCI_SUBSYSTEM_VENDOR_ID, 4),
			 0x11001af4);
	assert_int_equal(pci_config_read(&cfg, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(pci_config_read(&cfg, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(pci_config_read(&cfg, PCI_STATUS, 2), 0);
	assert_int_equal(pci_config_read(&cfg, PCI_CAPABILITY_LIST, 1), 0);
	/* Unaligned and past-the-end reads. */
	assert_int_equal(pci_config_read(&cfg, 1, 2), 0xe812);
	assert_int_equal(pci_config_read(&cfg, 254, 4), 0);
	assert_int_equal(pci_config_read(&cfg, 4096, 4), 0);
}

static void writes_follow_the_masks(void **state)
{
	struct pci_config cfg;

	(void)state;
	init_edu_like(&cfg);
	/* IDs and class are read-only. */
	pci_config_write(&cfg, PCI_VENDOR_ID, 4, 0xffffffff);
	pci_config_write(&cfg, PCI_CLASS_REVISION, 4, 0);
	assert_int_equal(pci_config_read(&cfg, 0, 4), 0x11e81234);
	assert_int_equal(pci_config_read(&cfg, PCI_CLASS_REVISION, 4),
			 0x00ff0010);
	/* Command: only the defined bits stick. */
	pci_config_write(&cfg, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(pci_config_read(&cfg, PCI_COMMAND, 2), 0x547);
	pci_config_write(&cfg, PCI_COMMAND, 1, 0);
	assert_int_equal(pci_config_read(&cfg, PCI_COMMAND, 2), 0x500);
	/* Status: error bits are write-1-to-clear, the rest read-only. */
	cfg.data[PCI_STATUS + 1] = 0xf9;
	cfg.data[PCI_STATUS] = PCI_STATUS_INTERRUPT;
	pci_config_write(&cfg, PCI_STATUS, 2, 0x0108);
	assert_int_equal(pci_config_read(&cfg, PCI_STATUS, 2), 0xf808);
	pci_config_write(&cfg, PCI_STATUS, 2, 0xffff);
	assert_int_equal(pci_config_read(&cfg, PCI_STATUS, 2), 0x0008);
	/* Interrupt line is scratch; the pin is not. */
	pci_config_write(&cfg, PCI_INTERRUPT_LINE, 2, 0x040b);
	assert_int_equal(pci_config_read(&cfg, PCI_INTERRUPT_LINE, 2), 0x010b);
	/* Writes past the end are dropped. */
	pci_config_write(&cfg, 255, 4, 0xffffffff);
	assert_int_equal(pci_config_read(&cfg, 252, 4), 0);

	/* No INTx pin: INTX_DISABLE is not writable either. */
	pci_config_init(&cfg, 1, 2, 3, 4, 5, 0);
	pci_config_write(&cfg, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(pci_config_read(&cfg, PCI_COMMAND, 2), 0x147);
}

static void bar_sizing(void **state)
{
	struct pci_config cfg;
	unsigned int bar0 = PCI_BASE_ADDRESS_0;

	(void)state;
	init_edu_like(&cfg);
	assert_int_equal(pci_config_set_bar(&cfg, 0, 1 << 20, 0), 0);
	assert_int_equal(
		pci_config_set_bar(&cfg, 2, 1ULL << 33,
				   PCI_BASE_ADDRESS_MEM_TYPE_64 |
					   PCI_BASE_ADDRESS_MEM_PREFETCH),
		0);
	assert_int_equal(
		pci_config_set_bar(&cfg, 4, 256, PCI_BASE_ADDRESS_SPACE_IO), 0);

	/* 32-bit memory, 1 MiB: all ones reads back as the size mask. */
	pci_config_write(&cfg, bar0, 4, 0xffffffff);
	assert_int_equal(pci_config_read(&cfg, bar0, 4), 0xfff00000);
	pci_config_write(&cfg, bar0, 4, 0xfebc1234);
	assert_int_equal(pci_config_read(&cfg, bar0, 4), 0xfeb00000);
	assert_int_equal(pci_config_bar_address(&cfg, 0), 0xfeb00000);
	/* No BAR at 1: all zero whatever is written. */
	pci_config_write(&cfg, bar0 + 4, 4, 0xffffffff);
	assert_int_equal(pci_config_read(&cfg, bar0 + 4, 4), 0);
	/* 64-bit prefetchable, 8 GiB: both halves size, type bits stay. */
	pci_config_write(&cfg, bar0 + 8, 4, 0xffffffff);
	pci_config_write(&cfg, bar0 + 12, 4, 0xffffffff);
	assert_int_equal(pci_config_read(&cfg, bar0 + 8, 4), 0x0000000c);
	assert_int_equal(pci_config_read(&cfg, bar0 + 12, 4), 0xfffffffe);
	pci_config_write(&cfg, bar0 + 12, 4, 0x00000004);
	assert_int_equal(pci_config_bar_address(&cfg, 2), 0x400000000ULL);
	assert_int_equal(pci_config_bar_address(&cfg, 3), 0);
	/* I/O, 256 bytes. */
	pci_config_write(&cfg, bar0 + 16, 4, 0xffffffff);
	assert_int_equal(pci_config_read(&cfg, bar0 + 16, 4), 0xffffff01);
	pci_config_write(&cfg, bar0 + 16, 2, 0xc0ff);
	assert_int_equal(pci_config_bar_address(&cfg, 4), 0xffffc000);
	/* Byte writes size too (QEMU writes dwords; others may not). */
	pci_config_write(&cfg, bar0, 1, 0xff);
	assert_int_equal(pci_config_read(&cfg, bar0, 4), 0xfeb00000);
}

static void bar_refusals(void **state)
{
	struct pci_config cfg;

	(void)state;
	init_edu_like(&cfg);
	assert_int_equal(pci_config_set_bar(&cfg, 6, 4096, 0), -EINVAL);
	assert_int_equal(pci_config_set_bar(&cfg, 0, 3000, 0), -EINVAL);
	assert_int_equal(pci_config_set_bar(&cfg, 0, 8, 0), -EINVAL);
	assert_int_equal(pci_config_set_bar(&cfg, 0, 1ULL << 32, 0), -EINVAL);
	assert_int_equal(pci_config_set_bar(&cfg, 0, 2,
					    PCI_BASE_ADDRESS_SPACE_IO),
			 -EINVAL);
	assert_int_equal(
		pci_config_set_bar(&cfg, 0, 16,
				   PCI_BASE_ADDRESS_SPACE_IO |
					   PCI_BASE_ADDRESS_MEM_TYPE_64),
		-EINVAL);
	assert_int_equal(pci_config_set_bar(&cfg, 5, 4096,
					    PCI_BASE_ADDRESS_MEM_TYPE_64),
			 -EINVAL);
	assert_int_equal(pci_config_set_bar(&cfg, 0, 4096,
					    PCI_BASE_ADDRESS_MEM_TYPE_64),
			 0);
	assert_int_equal(pci_config_set_bar(&cfg, 1, 4096, 0), -EBUSY);
	assert_int_equal(pci_config_set_bar(&cfg, 0, 4096, 0), -EBUSY);
	assert_int_equal(pci_config_set_bar(&cfg, 2, 4096, 0), 0);
	assert_int_equal(pci_config_set_bar(&cfg, 1, 4096,
					    PCI_BASE_ADDRESS_MEM_TYPE_64),
			 -EBUSY);
}

static void capability_list(void **state)
{
	struct pci_config cfg;
	int msi, msix, off;
	unsigned int n = 0;

	(void)state;
	init_edu_like(&cfg);
	msi = pci_config_add_msi(&cfg, 0, true, false);
	assert_int_equal(msi, 0x40);
	msix = pci_config_add_msix(&cfg, 8, 1, 0, 1, 0x800);
	assert_int_equal(msix, 0x50);
	assert_true(pci_config_read(&cfg, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* The list as a driver walks it. */
	for (off = pci_config_read(&cfg, PCI_CAPABILITY_LIST, 1); off;
	     off = pci_config_read(&cfg, off + 1, 1))
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(pci_config_read(&cfg, PCI_CAPABILITY_LIST, 1), msi);
	assert_int_equal(pci_config_read(&cfg, msi, 2),
			 0x5000 | PCI_CAP_ID_MSI);
	assert_int_equal(pci_config_read(&cfg, msix, 2), PCI_CAP_ID_MSIX);
	/* The list pointers are read-only. */
	pci_config_write(&cfg, PCI_CAPABILITY_LIST, 1, 0x80);
	pci_config_write(&cfg, msi, 2, 0);
	assert_int_equal(pci_config_read(&cfg, PCI_CAPABILITY_LIST, 1), msi);
	assert_int_equal(pci_config_read(&cfg, msi + 1, 1), msix);

	/* Fill the rest: 4-byte aligned, then no room. */
	off = pci_config_add_cap(&cfg, 0x09, 3);
	assert_int_equal(off, 0x5c);
	assert_int_equal(pci_config_add_cap(&cfg, 0x09, 1), -EINVAL);
	assert_int_equal(pci_config_add_cap(&cfg, 0x09, 0xa0), 0x60);
	assert_int_equal(pci_config_add_cap(&cfg, 0x09, 2), -ENOSPC);
}

static void msi_layout(void **state)
{
	struct pci_config cfg;
	int off;

	(void)state;
	init_edu_like(&cfg);
	/* 64-bit, maskable, 4 vectors: mask at 0x10, pending at 0x14. */
	off = pci_config_add_msi(&cfg, 2, true, true);
	assert_int_equal(pci_config_read(&cfg, off + PCI_MSI_FLAGS, 2),
			 PCI_MSI_FLAGS_MASKBIT | PCI_MSI_FLAGS_64BIT |
				 (2 << 1));
	pci_config_write(&cfg, off + PCI_MSI_FLAGS, 2, 0xffff);
	assert_int_equal(pci_config_read(&cfg, off + PCI_MSI_FLAGS, 2), 0x1f5);
	pci_config_write(&cfg, off + 4, 4, 0xfee01003);
	pci_config_write(&cfg, off + 8, 4, 0x1);
	pci_config_write(&cfg, off + 0xc, 4, 0xffff4041);
	assert_int_equal(pci_config_read(&cfg, off + 4, 4), 0xfee01000);
	assert_int_equal(pci_config_read(&cfg, off + 8, 4), 1);
	assert_int_equal(pci_config_read(&cfg, off + 0xc, 4), 0x4041);
	pci_config_write(&cfg, off + 0x10, 4, 0xffffffff);
	assert_int_equal(pci_config_read(&cfg, off + 0x10, 4), 0xf);
	pci_config_write(&cfg, off + 0x14, 4, 0xffffffff);
	assert_int_equal(pci_config_read(&cfg, off + 0x14, 4), 0);
	/* 32-bit, no masking, one vector: 10 bytes. */
	init_edu_like(&cfg);
	off = pci_config_add_msi(&cfg, 0, false, false);
	assert_int_equal(pci_config_add_cap(&cfg, 0x09, 2), off + 12);
	pci_config_write(&cfg, off + 8, 2, 0x4041);
	assert_int_equal(pci_config_read(&cfg, off + 8, 2), 0x4041);
	assert_int_equal(pci_config_add_msi(&cfg, 6, false, false), -EINVAL);
}

static void msix_layout(void **state)
{
	struct pci_config cfg;
	int off;

	(void)state;
	init_edu_like(&cfg);
	assert_int_equal(pci_config_add_msix(&cfg, 0, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(pci_config_add_msix(&cfg, 2049, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(pci_config_add_msix(&cfg, 4, 6, 0, 0, 0), -EINVAL);
	assert_int_equal(pci_config_add_msix(&cfg, 4, 0, 4, 0, 0), -EINVAL);
	off = pci_config_add_msix(&cfg, 2048, 2, 0x2000, 3, 0x18);
	assert_true(off > 0);
	assert_int_equal(pci_config_read(&cfg, off + PCI_MSIX_FLAGS, 2), 0x7ff);
	assert_int_equal(pci_config_read(&cfg, off + PCI_MSIX_TABLE, 4),
			 0x2002);
	assert_int_equal(pci_config_read(&cfg, off + PCI_MSIX_PBA, 4), 0x1b);
	pci_config_write(&cfg, off + PCI_MSIX_FLAGS, 2, 0xffff);
	assert_int_equal(pci_config_read(&cfg, off + PCI_MSIX_FLAGS, 2),
			 0xc7ff);
	pci_config_write(&cfg, off + PCI_MSIX_TABLE, 4, 0);
	assert_int_equal(pci_config_read(&cfg, off + PCI_MSIX_TABLE, 4),
			 0x2002);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_fields),
		cmocka_unit_test(writes_follow_the_masks),
		cmocka_unit_test(bar_sizing),
		cmocka_unit_test(bar_refusals),
		cmocka_unit_test(capability_list),
		cmocka_unit_test(msi_layout),
		cmocka_unit_test(msix_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
