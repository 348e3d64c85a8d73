/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_IDS_H
#define CELLA_RUNTIME_CORE_IDS_H

/* Container ids and signal names: the two user-given words every verb parses. */
#include <cella/error.h>

/* runc's rule: ^[\w+-\.]+$ (letters, digits, '_', '+', '-', '.'), not "." or "..", at most 1024 bytes. */
int cella_container_id_validate(const char *id, cella_err_t *err);
/* "KILL", "SIGKILL", "kill", "9", "SIGRTMIN+3": returns the signal number or a negative error. */
int cella_signal_parse(const char *text, cella_err_t *err);

#endif
