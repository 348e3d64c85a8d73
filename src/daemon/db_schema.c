// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The schema, as migrations. Never edit an applied migration: add a new one
 * with the next version, so every existing database is brought forward.
 */
#include "db.h"

static const char schema_v1[] =
	/* Daemon-wide settings (key/value, e.g. the next id range). */
	"CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	/* Imported root file systems, content-addressed by fingerprint (sha256, hex). */
	"CREATE TABLE images ("
	"  id INTEGER PRIMARY KEY,"
	"  fingerprint TEXT NOT NULL UNIQUE CHECK (length(fingerprint) = 64),"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  ready INTEGER NOT NULL DEFAULT 0," /* 0 while unpacking: a crash leaves it to be rolled back */
	"  properties TEXT NOT NULL DEFAULT '{}',"
	"  created_at TEXT NOT NULL);"
	"CREATE TABLE image_aliases ("
	"  name TEXT PRIMARY KEY,"
	"  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  description TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE instances ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL CHECK (type IN ('container', 'vm')),"
	"  image_id INTEGER REFERENCES images(id) ON DELETE RESTRICT,"
	/* creating | stopped | running | frozen | error */
	"  state TEXT NOT NULL,"
	"  config TEXT NOT NULL DEFAULT '{}',"
	"  created_at TEXT NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '');"
	/* Host uid/gid ranges given to system containers' user namespaces: never two alike. */
	"CREATE TABLE id_allocations ("
	"  instance_id INTEGER PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,"
	"  host_base INTEGER NOT NULL UNIQUE,"
	"  size INTEGER NOT NULL CHECK (size > 0));"
	"CREATE TABLE operations ("
	"  id TEXT PRIMARY KEY,"
	"  class TEXT NOT NULL,"
	"  description TEXT NOT NULL,"
	"  status TEXT NOT NULL," /* Running | Success | Failure */
	"  resources TEXT NOT NULL DEFAULT '{}',"
	"  metadata TEXT NOT NULL DEFAULT '{}',"
	"  err TEXT NOT NULL DEFAULT '',"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);";

/*
 * v2: the managed network's address pool. A lease belongs to an instance and
 * goes with it (ON DELETE CASCADE), so deleting an instance frees its address
 * in the same transaction; UNIQUE keeps two instances off one address.
 */
static const char schema_v2[] =
	"CREATE TABLE network_leases ("
	"  instance_id INTEGER PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,"
	"  network TEXT NOT NULL,"
	"  address TEXT NOT NULL," /* "a.b.c.d/len" */
	"  UNIQUE (network, address));";

/* v3: an instance's devices beyond its root disk and eth0 (devices.h), a JSON object. */
static const char schema_v3[] = "ALTER TABLE instances ADD COLUMN devices TEXT NOT NULL DEFAULT '{}';";

const struct cellad_db_migration cellad_db_migrations[] = {
	{1, schema_v1},
	{2, schema_v2},
	{3, schema_v3},
};
const size_t cellad_db_n_migrations = sizeof(cellad_db_migrations) / sizeof(cellad_db_migrations[0]);
