/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources.blockIO on v1 (blkio.*) and v2 (io.weight / io.bfq.weight, io.max). */
#include <errno.h>
#include <inttypes.h>

#include "cgroup/cgroup_internal.h"

#define F "config.json: linux.resources.blockIO"

static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int64_t get(json_t *o, const char *key)
{
	return json_integer_value(member(o, key));
}

/* v1 weights live in blkio.weight (CFQ) or blkio.bfq.weight (BFQ); neither without a
 * proportional scheduler. */
static const char *v1_weight_file(const char *dir, bool device, const char *field, cella_err_t *err)
{
	const char *cfq = device ? "blkio.weight_device" : "blkio.weight";
	const char *bfq = device ? "blkio.bfq.weight_device" : "blkio.bfq.weight";

	if (cgroup_file_exists(dir, cfq))
		return cfq;
	if (cgroup_file_exists(dir, bfq))
		return bfq;
	cella_error_make(err, ENOTSUP, F ".%s: neither %s/%s nor %s exists (no proportional I/O scheduler)",
			 field, dir, cfq, bfq);
	return NULL;
}

static int apply_v1(const char *dir, json_t *b, cella_err_t *err)
{
	static const struct {
		const char *key, *file;
	} throttles[] = {
		{"throttleReadBpsDevice", "blkio.throttle.read_bps_device"},
		{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device"},
		{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device"},
		{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"},
	};
	const char *file;
	json_t *e;
	size_t i;

	if (get(b, "weight")) {
		if (!(file = v1_weight_file(dir, false, "weight", err)) ||
		    cgroup_writef(dir, file, err, "%" PRId64, get(b, "weight")) < 0)
			return -1;
	}
	if (get(b, "leafWeight") &&
	    cgroup_writef(dir, "blkio.leaf_weight", err, "%" PRId64, get(b, "leafWeight")) < 0)
		return -1;
	json_array_foreach (member(b, "weightDevice"), i, e) {
		if (get(e, "weight")) {
			if (!(file = v1_weight_file(dir, true, "weightDevice", err)) ||
			    cgroup_writef(dir, file, err, "%" PRId64 ":%" PRId64 " %" PRId64, get(e, "major"),
					  get(e, "minor"), get(e, "weight")) < 0)
				return -1;
		}
		if (get(e, "leafWeight") &&
		    cgroup_writef(dir, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %" PRId64,
				  get(e, "major"), get(e, "minor"), get(e, "leafWeight")) < 0)
			return -1;
	}
	for (size_t t = 0; t < sizeof(throttles) / sizeof(throttles[0]); t++)
		json_array_foreach (member(b, throttles[t].key), i, e)
			if (cgroup_writef(dir, throttles[t].file, err, "%" PRId64 ":%" PRId64 " %" PRId64,
					  get(e, "major"), get(e, "minor"), get(e, "rate")) < 0)
				return -1;
	return 0;
}

/* v2 weight: io.bfq.weight takes the v1 range unchanged; io.weight needs conversion. */
static int write_weight_v2(const char *dir, const char *device, int64_t weight, cella_err_t *err)
{
	bool bfq = cgroup_file_exists(dir, "io.bfq.weight");
	uint64_t w = bfq ? (uint64_t)weight : cgroup_convert_blkio_weight((uint64_t)weight);

	return cgroup_writef(dir, bfq ? "io.bfq.weight" : "io.weight", err, "%s %" PRIu64, device, w);
}

static int apply_v2(const char *dir, json_t *b, cella_err_t *err)
{
	static const struct {
		const char *key, *name;
	} throttles[] = {
		{"throttleReadBpsDevice", "rbps"},
		{"throttleWriteBpsDevice", "wbps"},
		{"throttleReadIOPSDevice", "riops"},
		{"throttleWriteIOPSDevice", "wiops"},
	};
	json_t *e;
	size_t i;
	char dev[48];

	if (get(b, "weight") && write_weight_v2(dir, "default", get(b, "weight"), err) < 0)
		return -1;
	if (get(b, "leafWeight"))
		cgroup_debug("blockIO.leafWeight has no cgroup v2 equivalent; ignored");
	json_array_foreach (member(b, "weightDevice"), i, e) {
		snprintf(dev, sizeof(dev), "%" PRId64 ":%" PRId64, get(e, "major"), get(e, "minor"));
		if (get(e, "weight") && write_weight_v2(dir, dev, get(e, "weight"), err) < 0)
			return -1;
	}
	for (size_t t = 0; t < sizeof(throttles) / sizeof(throttles[0]); t++) {
		json_array_foreach (member(b, throttles[t].key), i, e) {
			int64_t rate = get(e, "rate");
			int r;

			if (rate == 0)
				r = cgroup_writef(dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=max",
						  get(e, "major"), get(e, "minor"), throttles[t].name);
			else
				r = cgroup_writef(dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRId64,
						  get(e, "major"), get(e, "minor"), throttles[t].name, rate);
			if (r < 0)
				return -1;
		}
	}
	return 0;
}

int cgroup_apply_blkio(struct cella_cgroup *cg, json_t *b, cella_err_t *err)
{
	bool any = get(b, "weight") || get(b, "leafWeight") || json_array_size(member(b, "weightDevice")) ||
		   json_array_size(member(b, "throttleReadBpsDevice")) ||
		   json_array_size(member(b, "throttleWriteBpsDevice")) ||
		   json_array_size(member(b, "throttleReadIOPSDevice")) ||
		   json_array_size(member(b, "throttleWriteIOPSDevice"));
	const char *dir;
	bool v2;

	if (!any)
		return 0;
	dir = cgroup_ctrl_dir(cg, CG_BLKIO, &v2);
	if (!dir)
		return cella_error_make(err, ENOTSUP,
					F ": the blkio/io controller is not available on this host");
	return v2 ? apply_v2(dir, b, err) : apply_v1(dir, b, err);
}
