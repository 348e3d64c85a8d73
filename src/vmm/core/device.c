/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/vmm.h"

/*
 * The list VMM_DEVICE_REGISTER() constructors build before main() runs. It is
 * appended to in link order, so the devices come up in a stable order.
 */
static struct vmm_device_desc *device_list;

void vmm_device__add(struct vmm_device_desc *desc)
{
	struct vmm_device_desc **tail = &device_list;

	while (*tail)
		tail = &(*tail)->next;
	desc->next = NULL;
	*tail = desc;
}

const struct vmm_device_desc *vmm_device__first(void)
{
	return device_list;
}
