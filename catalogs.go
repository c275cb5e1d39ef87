package tenantplugin

import (
	"strings"

	"github.com/tenantrouter/tenantplugin/internal/sqltables"
)

// isCatalog reports whether r is a relation of the system catalogs,
// which every database has, that describes the schema. Those that hold
// the data itself (column statistics with their most common values, a
// file's raw pages, large objects) are not: they are asked about like
// any relation, and so go to the tenant unless a strategy says
// otherwise. On PostgreSQL, an unqualified name is a catalog only when
// PostgreSQL has a catalog relation of that name, which it finds before
// the search path's tables: an application's own table may be called
// pg_payments. SQLite keeps every name that starts with sqlite_ for
// itself, and its pragma functions read the schema.
func isCatalog(r sqltables.Ref, d sqltables.Dialect) bool {
	switch {
	case r.Func:
		return d == sqltables.SQLite && strings.HasPrefix(r.Name, "pragma_")
	case r.Schema == "" && !strings.HasPrefix(r.Name, "pg_") && !strings.HasPrefix(r.Name, "sqlite_"):
		// An application's table, the common case: every name below,
		// unqualified, starts with one of these.
		return false
	case holdsData(r.Name):
		return false
	case d == sqltables.SQLite:
		return strings.HasPrefix(r.Name, "sqlite_")
	case r.Schema == "information_schema" || r.Schema == "pg_catalog":
		return true
	case r.Schema == "":
		_, ok := pgCatalogs[r.Name]
		return ok
	}
	return false
}

// holdsData reports whether a system relation holds the data of tables:
// PostgreSQL's statistics (pg_statistic, pg_stats and their extended
// forms) and large objects; SQLite's sampled statistics and its file's
// pages.
func holdsData(name string) bool {
	for _, prefix := range []string{"pg_stat", "pg_largeobject", "sqlite_stat", "sqlite_dbpage"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// pgCatalogs are the tables and views of PostgreSQL's pg_catalog schema
// (PostgreSQL 15, and pg_wait_events of 17) that describe the schema,
// the server or the session, not the data of tables. A catalog missing
// here is asked about like any relation: a statement naming it goes to
// the tenant, or is refused when it names a reserved table too.
var pgCatalogs = map[string]struct{}{
	"pg_aggregate": {}, "pg_am": {}, "pg_amop": {}, "pg_amproc": {},
	"pg_attrdef": {}, "pg_attribute": {}, "pg_auth_members": {},
	"pg_authid": {}, "pg_available_extension_versions": {},
	"pg_available_extensions": {}, "pg_backend_memory_contexts": {},
	"pg_cast": {}, "pg_class": {}, "pg_collation": {}, "pg_config": {},
	"pg_constraint": {}, "pg_conversion": {}, "pg_cursors": {},
	"pg_database": {}, "pg_db_role_setting": {}, "pg_default_acl": {},
	"pg_depend": {}, "pg_description": {}, "pg_enum": {},
	"pg_event_trigger": {}, "pg_extension": {}, "pg_file_settings": {},
	"pg_foreign_data_wrapper": {}, "pg_foreign_server": {},
	"pg_foreign_table": {}, "pg_group": {}, "pg_hba_file_rules": {},
	"pg_ident_file_mappings": {}, "pg_index": {}, "pg_indexes": {},
	"pg_inherits": {}, "pg_init_privs": {}, "pg_language": {}, "pg_locks": {},
	"pg_matviews": {}, "pg_namespace": {}, "pg_opclass": {}, "pg_operator": {},
	"pg_opfamily": {}, "pg_parameter_acl": {}, "pg_partitioned_table": {},
	"pg_policies": {}, "pg_policy": {}, "pg_prepared_statements": {},
	"pg_prepared_xacts": {}, "pg_proc": {}, "pg_publication": {},
	"pg_publication_namespace": {}, "pg_publication_rel": {},
	"pg_publication_tables": {}, "pg_range": {}, "pg_replication_origin": {},
	"pg_replication_origin_status": {}, "pg_replication_slots": {},
	"pg_rewrite": {}, "pg_roles": {}, "pg_rules": {}, "pg_seclabel": {},
	"pg_seclabels": {}, "pg_sequence": {}, "pg_sequences": {},
	"pg_settings": {}, "pg_shadow": {}, "pg_shdepend": {},
	"pg_shdescription": {}, "pg_shmem_allocations": {}, "pg_shseclabel": {},
	"pg_subscription": {}, "pg_subscription_rel": {}, "pg_tables": {},
	"pg_tablespace": {}, "pg_timezone_abbrevs": {}, "pg_timezone_names": {},
	"pg_transform": {}, "pg_trigger": {}, "pg_ts_config": {},
	"pg_ts_config_map": {}, "pg_ts_dict": {}, "pg_ts_parser": {},
	"pg_ts_template": {}, "pg_type": {}, "pg_user": {}, "pg_user_mapping": {},
	"pg_user_mappings": {}, "pg_views": {}, "pg_wait_events": {},
}
