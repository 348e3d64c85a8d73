// SPDX-License-Identifier: GPL-2.0-or-later
/* Device option lists: parsing from CLI strings and JSON, typed getters with errors that name the field. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "vdev/vdev_opts.h"

static int add(struct vdev_opts *o, char *key, char *val, cella_err_t *err)
{
	if (!*key) {
		free(key);
		free(val);
		return cella_error_make(err, 0, "%s: empty option name", o->what);
	}
	for (unsigned i = 0; i < o->n; i++) {
		if (!strcmp(o->opt[i].key, key)) {
			int ret = cella_error_make(err, 0, "%s: %s: given twice", o->what, key);

			free(key);
			free(val);
			return ret;
		}
	}
	if (o->n == VDEV_OPTS_MAX) {
		free(key);
		free(val);
		return cella_error_make(err, 0, "%s: more than %d options", o->what, VDEV_OPTS_MAX);
	}
	o->opt[o->n++] = (struct vdev_opt){.key = key, .val = val};
	return 0;
}

static void init(struct vdev_opts *o, const char *what)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->what, sizeof(o->what), "%s", what ? what : "device");
}

int vdev_opts_parse(struct vdev_opts *o, const char *what, const char *str, cella_err_t *err)
{
	const char *p = str;

	init(o, what);
	while (*p) {
		_cleanup_free_ char *item = malloc(strlen(p) + 1);
		size_t n = 0;
		char *eq;

		if (!item)
			return cella_error_sys(err, "%s: out of memory", o->what);
		/* An item runs to the next single comma; ",," stands for a comma in the value. */
		for (; *p; p++) {
			if (*p == ',') {
				if (p[1] != ',')
					break;
				p++;
			}
			item[n++] = *p;
		}
		item[n] = '\0';
		if (*p == ',')
			p++;
		if (!n)
			continue;
		eq = strchr(item, '=');
		if (!eq) {
			int ret = cella_error_make(err, 0, "%s: %s: expected key=value", o->what, item);

			vdev_opts_release(o);
			return ret;
		}
		*eq = '\0';
		char *key = strdup(item), *val = strdup(eq + 1);

		if (!key || !val) {
			free(key);
			free(val);
			vdev_opts_release(o);
			return cella_error_make(err, ENOMEM, "%s: out of memory", o->what);
		}
		if (add(o, key, val, err) < 0) {
			vdev_opts_release(o);
			return -1;
		}
	}
	return 0;
}

int vdev_opts_from_json(struct vdev_opts *o, const char *what, const json_t *obj, cella_err_t *err)
{
	const char *key;
	json_t *v;

	init(o, what);
	if (!json_is_object(obj))
		return cella_error_make(err, 0, "%s: expected a JSON object", o->what);
	json_object_foreach ((json_t *)obj, key, v) {
		char *val = NULL, *k;

		if (json_is_string(v))
			val = strdup(json_string_value(v));
		else if (json_is_integer(v) && json_integer_value(v) >= 0)
			(void)!asprintf(&val, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else if (json_is_boolean(v))
			val = strdup(json_is_true(v) ? "on" : "off");
		else {
			vdev_opts_release(o);
			return cella_error_make(
				err, 0, "%s: %s: expected a string, a non-negative integer or a boolean",
				o->what, key);
		}
		k = strdup(key);
		if (!val || !k) {
			free(val);
			free(k);
			vdev_opts_release(o);
			return cella_error_make(err, ENOMEM, "%s: out of memory", o->what);
		}
		if (add(o, k, val, err) < 0) {
			vdev_opts_release(o);
			return -1;
		}
	}
	return 0;
}

void vdev_opts_release(struct vdev_opts *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		free(o->opt[i].key);
		free(o->opt[i].val);
	}
	o->n = 0;
}

static struct vdev_opt *find(const struct vdev_opts *o, const char *key)
{
	for (unsigned i = 0; i < o->n; i++) {
		if (!strcmp(o->opt[i].key, key)) {
			/* Getters take a const list: "used" is bookkeeping, not content. */
			struct vdev_opt *opt = (struct vdev_opt *)&o->opt[i];

			opt->used = true;
			return opt;
		}
	}
	return NULL;
}

const char *vdev_opts_get(const struct vdev_opts *o, const char *key)
{
	struct vdev_opt *opt = find(o, key);

	return opt ? opt->val : NULL;
}

bool vdev_opts_has(const struct vdev_opts *o, const char *key)
{
	for (unsigned i = 0; i < o->n; i++)
		if (!strcmp(o->opt[i].key, key))
			return true;
	return false;
}

int vdev_opts_bool(const struct vdev_opts *o, const char *key, bool def, bool *out, cella_err_t *err)
{
	const char *v = vdev_opts_get(o, key);

	if (!v) {
		*out = def;
		return 0;
	}
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		*out = false;
	else
		return cella_error_make(err, 0, "%s: %s: expected on or off, not '%s'", o->what, key, v);
	return 0;
}

int vdev_opts_u64(const struct vdev_opts *o, const char *key, uint64_t def, uint64_t min, uint64_t max,
		  uint64_t *out, cella_err_t *err)
{
	const char *v = vdev_opts_get(o, key);
	unsigned shift = 0;
	unsigned long long n;
	char *end;

	if (!v) {
		*out = def;
		return 0;
	}
	if (!isdigit((unsigned char)*v))
		return cella_error_make(err, 0, "%s: %s: expected a number, not '%s'", o->what, key, v);
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno)
		return cella_error_make(err, 0, "%s: %s: '%s' is out of range", o->what, key, v);
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	}
	if (*end)
		return cella_error_make(err, 0, "%s: %s: expected a number, not '%s'", o->what, key, v);
	if (shift && n > (UINT64_MAX >> shift))
		return cella_error_make(err, 0, "%s: %s: '%s' is out of range", o->what, key, v);
	n <<= shift;
	if (n < min || n > max)
		return cella_error_make(err, 0, "%s: %s: %s is outside [%" PRIu64 ", %" PRIu64 "]", o->what,
					key, v, min, max);
	*out = n;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int vdev_opts_mac(const struct vdev_opts *o, const char *key, uint8_t mac[6], bool *set, cella_err_t *err)
{
	const char *v = vdev_opts_get(o, key);
	uint8_t m[6];

	*set = false;
	if (!v)
		return 0;
	if (strlen(v) != 17)
		goto bad;
	for (unsigned i = 0; i < 6; i++) {
		int hi = hexval(v[3 * i]), lo = hexval(v[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && v[3 * i + 2] != ':'))
			goto bad;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	if (m[0] & 1)
		return cella_error_make(err, 0, "%s: %s: %s is a multicast address", o->what, key, v);
	memcpy(mac, m, 6);
	*set = true;
	return 0;
bad:
	return cella_error_make(err, 0, "%s: %s: expected xx:xx:xx:xx:xx:xx, not '%s'", o->what, key, v);
}

int vdev_opts_str(const struct vdev_opts *o, const char *key, const char *def, char *buf, size_t size,
		  cella_err_t *err)
{
	const char *v = vdev_opts_get(o, key);

	if (!v)
		v = def ? def : "";
	if (strlen(v) >= size)
		return cella_error_make(err, 0, "%s: %s: longer than %zu bytes", o->what, key, size - 1);
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

int vdev_opts_check_unused(const struct vdev_opts *o, cella_err_t *err)
{
	for (unsigned i = 0; i < o->n; i++)
		if (!o->opt[i].used)
			return cella_error_make(err, 0, "%s: unknown option '%s'", o->what, o->opt[i].key);
	return 0;
}

int vdev_opts_set(struct vdev_opts *o, const char *key, const char *val, cella_err_t *err)
{
	char *v = strdup(val), *k;

	if (!v)
		return cella_error_sys(err, "%s: out of memory", o->what);
	for (unsigned i = 0; i < o->n; i++) {
		if (!strcmp(o->opt[i].key, key)) {
			free(o->opt[i].val);
			o->opt[i].val = v;
			o->opt[i].used = false;
			return 0;
		}
	}
	k = strdup(key);
	if (!k) {
		free(v);
		return cella_error_sys(err, "%s: out of memory", o->what);
	}
	return add(o, k, v, err);
}
