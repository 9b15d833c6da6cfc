// Describes DuckDB's ICU extension, compiled into ecom by build.rs, to
// duckdb_register_static_extension: the same layout DuckDB's own build generates for
// the extensions libduckdb-sys links (core_functions, parquet, json).

#include "duckdb/main/extension/extension_loader.hpp"
#include "duckdb_static_extension.h"

extern "C" void icu_duckdb_cpp_init(duckdb::ExtensionLoader &loader);

extern "C" int32_t ecom_duckdb_icu_describe(duckdb_extension_descriptor *descriptor) {
	if (descriptor->version < 1) {
		descriptor->set_error(descriptor, "ecom's icu extension needs descriptor layout 1");
		return 1;
	}
	descriptor->version = 1;
	descriptor->name = "icu";
	descriptor->extension_version = "v2.0.0";
	descriptor->api_version = "v2.0.0";
	descriptor->entry_cpp = (void (*)(void))icu_duckdb_cpp_init;
	return 0;
}
