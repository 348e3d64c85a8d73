/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CLI_CONTROL_H
#define CELLA_VMM_CLI_CONTROL_H

#include "api/api.h"

/* The control API's view of a struct vmm (the opaque pointer). */
extern const struct vmm_api_ops vmm_control_ops;

#endif
