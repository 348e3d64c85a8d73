// SPDX-License-Identifier: GPL-2.0-or-later
/* /1.0/networks: the managed network (only cellabr0, and only with --network default). */
#include <errno.h>
#include <stdio.h>

#include "http.h"
#include "networks.h"

enum MHD_Result cellad_api_networks_list(struct cellad_request *r)
{
	bool recursion = cellad_request_query(r, "recursion") != NULL;
	json_t *out = json_array();

	if (r->d->network) {
		if (recursion) {
			cella_err_t err = NULL;
			json_t *net = cellad_network_json(r->d, CELLAD_NETWORK_NAME, &err);

			if (net == NULL) {
				json_decref(out);
				return cellad_reply_err(r, 500, &err);
			}
			json_array_append_new(out, net);
		} else {
			json_array_append_new(out, json_string("/1.0/networks/" CELLAD_NETWORK_NAME));
		}
	}
	return cellad_reply_sync(r, MHD_HTTP_OK, out);
}

enum MHD_Result cellad_api_network_get(struct cellad_request *r)
{
	cella_err_t err = NULL;
	json_t *net = cellad_network_json(r->d, r->arg, &err);

	if (net)
		return cellad_reply_sync(r, MHD_HTTP_OK, net);
	return cellad_reply_err(r, err->errno_value == ENOENT ? 404 : 500, &err);
}
