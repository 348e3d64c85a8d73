/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i8042 keyboard controller on ports 0x60 (data) and 0x64 (status/command):
 * just enough for Linux's i8042 probe (self tests, command byte, AUX loopback)
 * and the CPU-reset command 0xFE, which ends the VM with status 0. No
 * keyboard or mouse is attached: device bytes get no reply, as from an
 * empty port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/state.h"
#include "core/vmm.h"
#include "platform/layout.h"

#define I8042_STR_OBF	  0x01 /* output buffer full */
#define I8042_STR_SYSFLAG 0x04
#define I8042_STR_CMDDAT  0x08 /* last write was a command */
#define I8042_STR_AUXDATA 0x20

#define I8042_CMD_READ_CTR    0x20
#define I8042_CMD_WRITE_CTR   0x60
#define I8042_CMD_AUX_DISABLE 0xA7
#define I8042_CMD_AUX_ENABLE  0xA8
#define I8042_CMD_AUX_TEST    0xA9
#define I8042_CMD_CTL_TEST    0xAA
#define I8042_CMD_KBD_TEST    0xAB
#define I8042_CMD_KBD_DISABLE 0xAD
#define I8042_CMD_KBD_ENABLE  0xAE
#define I8042_CMD_READ_OUTP   0xD0
#define I8042_CMD_WRITE_OUTP  0xD1
#define I8042_CMD_KBD_LOOP    0xD2
#define I8042_CMD_AUX_LOOP    0xD3
#define I8042_CMD_AUX_SEND    0xD4
#define I8042_CMD_RESET	      0xFE

struct i8042 {
	struct vmm *vm;
	pthread_mutex_t lock;
	uint8_t status;
	uint8_t ctr;	     /* controller command byte */
	uint8_t outp;	     /* output port: bit 0 = CPU not in reset */
	uint8_t out;	     /* output buffer */
	uint8_t pending_cmd; /* command waiting for its data byte, or 0 */
};

static void i8042__output(struct i8042 *k, uint8_t byte, bool aux)
{
	k->out = byte;
	k->status |= I8042_STR_OBF;
	if (aux)
		k->status |= I8042_STR_AUXDATA;
	else
		k->status &= (uint8_t)~I8042_STR_AUXDATA;
}

static void i8042__reset_guest(struct i8042 *k)
{
	fprintf(stderr, "cella-vmm: guest requested a reset through the i8042\n");
	vmm__request_stop(k->vm, VMM_STOP_RESET, VMM_EXIT_OK);
}

static void i8042__command(struct i8042 *k, uint8_t cmd)
{
	k->status |= I8042_STR_CMDDAT;
	switch (cmd) {
	case I8042_CMD_READ_CTR:
		i8042__output(k, k->ctr, false);
		break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTP:
	case I8042_CMD_KBD_LOOP:
	case I8042_CMD_AUX_LOOP:
	case I8042_CMD_AUX_SEND:
		k->pending_cmd = cmd;
		break;
	case I8042_CMD_AUX_DISABLE:
		k->ctr |= 0x20;
		break;
	case I8042_CMD_AUX_ENABLE:
		k->ctr &= (uint8_t)~0x20;
		break;
	case I8042_CMD_AUX_TEST:
	case I8042_CMD_KBD_TEST:
		i8042__output(k, 0x00, false); /* interface OK */
		break;
	case I8042_CMD_CTL_TEST:
		i8042__output(k, 0x55, false); /* self test passed */
		break;
	case I8042_CMD_KBD_DISABLE:
		k->ctr |= 0x10;
		break;
	case I8042_CMD_KBD_ENABLE:
		k->ctr &= (uint8_t)~0x10;
		break;
	case I8042_CMD_READ_OUTP:
		i8042__output(k, k->outp, false);
		break;
	default:
		/* 0xF0-0xFF pulse output lines; bit 0 low (0xFE, 0xFC...) is the CPU reset line. */
		if (cmd >= 0xF0 && !(cmd & 0x01))
			i8042__reset_guest(k);
		break;
	}
}

static void i8042__data(struct i8042 *k, uint8_t byte)
{
	uint8_t cmd = k->pending_cmd;

	k->status &= (uint8_t)~I8042_STR_CMDDAT;
	k->pending_cmd = 0;
	switch (cmd) {
	case I8042_CMD_WRITE_CTR:
		k->ctr = byte;
		break;
	case I8042_CMD_WRITE_OUTP:
		k->outp = byte;
		if (!(byte & 0x01))
			i8042__reset_guest(k);
		break;
	case I8042_CMD_KBD_LOOP:
		i8042__output(k, byte, false);
		break;
	case I8042_CMD_AUX_LOOP:
		i8042__output(k, byte, true);
		break;
	default:
		break; /* to a device that is not there: no answer, the guest times out */
	}
}

static void i8042__access(struct i8042 *k, bool is_cmd_port, uint8_t *data, uint32_t len, bool is_write)
{
	pthread_mutex_lock(&k->lock);
	if (is_write && is_cmd_port) {
		i8042__command(k, data[0]);
	} else if (is_write) {
		i8042__data(k, data[0]);
	} else {
		memset(data, 0, len);
		if (is_cmd_port) {
			data[0] = k->status;
		} else {
			data[0] = k->out;
			k->status &= (uint8_t) ~(I8042_STR_OBF | I8042_STR_AUXDATA);
		}
	}
	pthread_mutex_unlock(&k->lock);
}

static void i8042__data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	i8042__access(opaque, false, data, len, is_write);
}

static void i8042__cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	i8042__access(opaque, true, data, len, is_write);
}

static void i8042__exit(struct vmm *vm, void *state)
{
	struct i8042 *k = state;

	pthread_mutex_destroy(&k->lock);
	free(k);
}

static void *i8042__init(struct vmm *vm, cella_err_t *err)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k) {
		cella_error_make(err, ENOMEM, "i8042");
		return NULL;
	}
	k->vm = vm;
	pthread_mutex_init(&k->lock, NULL);
	k->status = I8042_STR_SYSFLAG;
	k->ctr = 0x30; /* both ports disabled, no interrupts until the OS enables them */
	k->outp = 0x01;
	/*
	 * Two ranges: 0x61 (system control port B) sits between 0x60 and 0x64
	 * and the in-kernel PIT owns its speaker bits.
	 */
	if (vmm_bus__register(&vm->pio, PLATFORM_I8042_DATA_PORT, 1, "i8042 data", i8042__data_io, k, err) <
		    0 ||
	    vmm_bus__register(&vm->pio, PLATFORM_I8042_CMD_PORT, 1, "i8042 command", i8042__cmd_io, k, err) <
		    0) {
		i8042__exit(vm, k);
		return NULL;
	}
	return k;
}

/* State version 1: status, command byte, output port, output buffer, pending command: 5 bytes. */
#define I8042_STATE_VERSION 1U

static int i8042__save(struct vmm *vm, void *state, struct vmm_state_buf *out, cella_err_t *err)
{
	struct i8042 *k = state;

	pthread_mutex_lock(&k->lock);
	vmm_state_buf__put_bytes(out, (const uint8_t[]){k->status, k->ctr, k->outp, k->out, k->pending_cmd},
				 5);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static int i8042__load(struct vmm *vm, void *state, uint32_t version, const void *data, size_t len,
		       cella_err_t *err)
{
	struct i8042 *k = state;
	struct vmm_state_reader r = {.data = data, .len = len};
	uint8_t v[5];

	if (version != I8042_STATE_VERSION)
		return cella_error_make(err, 0, "i8042 state version %u, this cella-vmm reads version %u",
					version, I8042_STATE_VERSION);
	vmm_state_reader__get_bytes(&r, v, sizeof(v));
	if (vmm_state_reader__finish(&r, "dev.i8042", err) < 0)
		return -1;
	pthread_mutex_lock(&k->lock);
	k->status = v[0];
	k->ctr = v[1];
	k->outp = v[2];
	k->out = v[3];
	k->pending_cmd = v[4];
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static struct vmm_device_desc i8042_device = {.name = "i8042",
					      .init = i8042__init,
					      .exit = i8042__exit,
					      .state_version = I8042_STATE_VERSION,
					      .save = i8042__save,
					      .load = i8042__load};
VMM_DEVICE_REGISTER(i8042_device)
