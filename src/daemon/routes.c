// SPDX-License-Identifier: GPL-2.0-or-later
/* The endpoint table: method, path pattern ('*' = one segment), handler. */
#include "http.h"
#include "image_transfer.h"
#include "instance_config.h"

const struct cellad_route cellad_routes[] = {
	{"GET", "/", cellad_api_root},
	{"GET", "/1.0", cellad_api_server},
	{"GET", "/1.0/images", cellad_api_images_list},
	{"POST", "/1.0/images", cellad_api_images_post},
	{"GET", "/1.0/images/aliases", cellad_api_aliases_list},
	{"POST", "/1.0/images/aliases", cellad_api_aliases_post},
	{"GET", "/1.0/images/aliases/*", cellad_api_alias_get},
	{"DELETE", "/1.0/images/aliases/*", cellad_api_alias_delete},
	{"GET", "/1.0/images/*", cellad_api_image_get},
	{"GET", "/1.0/images/*/export", cellad_api_image_export},
	{"DELETE", "/1.0/images/*", cellad_api_image_delete},
	{"GET", "/1.0/instances", cellad_api_instances_list},
	{"POST", "/1.0/instances", cellad_api_instances_post},
	{"GET", "/1.0/instances/*", cellad_api_instance_get},
	{"DELETE", "/1.0/instances/*", cellad_api_instance_delete},
	{"PUT", "/1.0/instances/*", cellad_api_instance_put_any},
	{"PATCH", "/1.0/instances/*", cellad_api_instance_patch},
	{"GET", "/1.0/instances/*/snapshots", cellad_api_snapshots_list},
	{"POST", "/1.0/instances/*/snapshots", cellad_api_snapshots_post},
	{"GET", "/1.0/instances/*/snapshots/*", cellad_api_snapshot_get},
	{"DELETE", "/1.0/instances/*/snapshots/*", cellad_api_snapshot_delete},
	{"GET", "/1.0/instances/*/state", cellad_api_instance_state_get},
	{"PUT", "/1.0/instances/*/state", cellad_api_instance_state_put},
	{"POST", "/1.0/instances/*/exec", cellad_api_instance_exec},
	{"GET", "/1.0/instances/*/console", cellad_api_instance_console},
	{"POST", "/1.0/instances/*/console", cellad_api_instance_console_attach},
	{"GET", "/1.0/instances/*/logs", cellad_api_instance_logs_list},
	{"GET", "/1.0/instances/*/logs/*", cellad_api_instance_log_get},
	{"GET", "/1.0/operations", cellad_api_operations_list},
	{"GET", "/1.0/operations/*", cellad_api_operation_get},
	{"GET", "/1.0/operations/*/wait", cellad_api_operation_wait},
	{"GET", "/1.0/operations/*/stream", cellad_api_operation_stream},
	{"POST", "/1.0/operations/*/control", cellad_api_operation_control},
	{"GET", "/1.0/events", cellad_api_events},
	{"GET", "/1.0/metrics", cellad_api_metrics},
	{"GET", "/1.0/networks", cellad_api_networks_list},
	{"GET", "/1.0/networks/*", cellad_api_network_get},
};
const size_t cellad_n_routes = sizeof(cellad_routes) / sizeof(cellad_routes[0]);
