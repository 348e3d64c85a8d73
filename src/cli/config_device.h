/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_CLI_CONFIG_DEVICE_H
#define CELLA_CLI_CONFIG_DEVICE_H

#include "client.h"

/* `cella config device SUB INSTANCE ...`: argv starts at SUB. */
int cella_cli_config_device(const char *socket_path, int argc, char **argv, enum cella_cli_format format,
			    cella_err_t *err);

#endif
