/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes validated linux.resources into the cgroup: the dispatcher plus the
 * small controllers (pids, hugetlb, network, rdma, unified). */
#include <errno.h>
#include <stdlib.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

/* The directory for a controller the config needs; a clear error when the host has none. */
static const char *need_ctrl(struct cella_cgroup *cg, enum cg_ctrl c, const char *field, bool *v2,
			     cella_err_t *err)
{
	const char *dir = cgroup_ctrl_dir(cg, c, v2);

	if (!dir)
		cella_error_make(
			err, ENOTSUP,
			"config.json: linux.resources.%s: the %s controller is not available on this host "
			"(no v1 hierarchy mounted and not enabled in cgroup v2)",
			field, cgroup_ctrl_v1_name(c));
	return dir;
}

static int apply_pids(struct cella_cgroup *cg, json_t *pids, cella_err_t *err)
{
	json_int_t limit = json_integer_value(member(pids, "limit"));
	const char *dir;
	bool v2;

	if (limit == 0)
		return 0; /* unset */
	dir = need_ctrl(cg, CG_PIDS, "pids", &v2, err);
	if (!dir)
		return -1;
	if (limit < 0)
		return cgroup_write(dir, "pids.max", "max", err);
	return cgroup_writef(dir, "pids.max", err, "%lld", (long long)limit);
}

static int apply_hugetlb(struct cella_cgroup *cg, json_t *list, cella_err_t *err)
{
	const char *dir;
	json_t *e;
	size_t i;
	bool v2;

	if (json_array_size(list) == 0)
		return 0;
	dir = need_ctrl(cg, CG_HUGETLB, "hugepageLimits", &v2, err);
	if (!dir)
		return -1;
	json_array_foreach (list, i, e) {
		const char *size = json_string_value(member(e, "pageSize"));
		long long limit = json_integer_value(member(e, "limit"));
		_cleanup_free_ char *file = NULL, *rsvd = NULL;

		if (asprintf(&file, v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", size) < 0 ||
		    asprintf(&rsvd, v2 ? "hugetlb.%s.rsvd.max" : "hugetlb.%s.rsvd.limit_in_bytes", size) < 0)
			return cella_error_make(err, ENOMEM, "cgroup: out of memory");
		if (!cgroup_file_exists(dir, file))
			return cella_error_make(
				err, ENOTSUP,
				"config.json: linux.resources.hugepageLimits[%zu].pageSize: %s: the "
				"host has no %s/%s",
				i, size, dir, file);
		if (cgroup_writef(dir, file, err, "%lld", limit) < 0)
			return -1;
		/* Reservations count too where the kernel has them, as runc sets both. */
		if (cgroup_file_exists(dir, rsvd) && cgroup_writef(dir, rsvd, err, "%lld", limit) < 0)
			return -1;
	}
	return 0;
}

static int apply_network(struct cella_cgroup *cg, json_t *net, cella_err_t *err)
{
	json_int_t classid = json_integer_value(member(net, "classID"));
	json_t *prio = member(net, "priorities"), *e;
	size_t i;

	if (classid != 0) {
		if (!cg->v1_dir[CG_NET_CLS])
			return cella_error_make(
				err, ENOTSUP,
				"config.json: linux.resources.network.classID: no net_cls hierarchy "
				"is mounted (cgroup v2 has no net_cls)");
		if (cgroup_writef(cg->v1_dir[CG_NET_CLS], "net_cls.classid", err, "%lld",
				  (long long)classid) < 0)
			return -1;
	}
	if (json_array_size(prio) == 0)
		return 0;
	if (!cg->v1_dir[CG_NET_PRIO])
		return cella_error_make(
			err, ENOTSUP,
			"config.json: linux.resources.network.priorities: no net_prio hierarchy is "
			"mounted (cgroup v2 has no net_prio)");
	json_array_foreach (prio, i, e) {
		if (cgroup_writef(cg->v1_dir[CG_NET_PRIO], "net_prio.ifpriomap", err, "%s %lld",
				  json_string_value(member(e, "name")),
				  (long long)json_integer_value(member(e, "priority"))) < 0)
			return -1;
	}
	return 0;
}

static int apply_rdma(struct cella_cgroup *cg, json_t *rdma, cella_err_t *err)
{
	const char *name, *dir;
	json_t *e;
	bool v2;

	if (json_object_size(rdma) == 0)
		return 0;
	dir = need_ctrl(cg, CG_RDMA, "rdma", &v2, err);
	if (!dir)
		return -1;
	json_object_foreach (rdma, name, e) {
		json_t *h = member(e, "hcaHandles"), *o = member(e, "hcaObjects");
		char handles[32] = "", objects[32] = "";

		if (!h && !o)
			continue;
		if (h)
			snprintf(handles, sizeof(handles), " hca_handle=%lld",
				 (long long)json_integer_value(h));
		if (o)
			snprintf(objects, sizeof(objects), " hca_object=%lld",
				 (long long)json_integer_value(o));
		if (cgroup_writef(dir, "rdma.max", err, "%s%s%s", name, handles, objects) < 0)
			return -1;
	}
	return 0;
}

static int apply_unified(struct cella_cgroup *cg, json_t *unified, cella_err_t *err)
{
	const char *key;
	json_t *v;

	if (json_object_size(unified) == 0)
		return 0;
	if (!cg->unified_dir)
		return cella_error_make(err, ENOTSUP,
					"config.json: linux.resources.unified: this host has only cgroup v1 "
					"hierarchies; unified (cgroup v2) settings cannot be applied");
	json_object_foreach (unified, key, v) {
		if (!cgroup_file_exists(cg->unified_dir, key))
			return cella_error_make(
				err, ENOENT,
				"config.json: linux.resources.unified.%s: %s/%s does not exist (controller "
				"not enabled in cgroup v2?)",
				key, cg->unified_dir, key);
		if (cgroup_write(cg->unified_dir, key, json_string_value(v), err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_apply_resources(struct cella_cgroup *cg, json_t *resources, bool update, cella_err_t *err)
{
	json_t *v;

	if (!json_is_object(resources))
		return 0;
	if ((v = member(resources, "memory")) && cgroup_apply_memory(cg, v, update, err) < 0)
		return -1;
	if ((v = member(resources, "cpu")) && cgroup_apply_cpu(cg, v, err) < 0)
		return -1;
	if ((v = member(resources, "pids")) && apply_pids(cg, v, err) < 0)
		return -1;
	if ((v = member(resources, "blockIO")) && cgroup_apply_blkio(cg, v, err) < 0)
		return -1;
	if ((v = member(resources, "hugepageLimits")) && apply_hugetlb(cg, v, err) < 0)
		return -1;
	if ((v = member(resources, "network")) && apply_network(cg, v, err) < 0)
		return -1;
	if ((v = member(resources, "rdma")) && apply_rdma(cg, v, err) < 0)
		return -1;
	if ((v = member(resources, "devices")) && cgroup_apply_devices(cg, v, err) < 0)
		return -1;
	/* Last, so explicit v2 files win over the converted v1-style values, as in runc. */
	if ((v = member(resources, "unified")) && apply_unified(cg, v, err) < 0)
		return -1;
	return 0;
}
