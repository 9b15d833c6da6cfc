//! The text `ecom config edit` writes into a new config file.

/// The text `ecom config edit` writes into a new config file: every key, commented.
pub const TEMPLATE: &str = r#"# ecom configuration. Layers: defaults < this file < ECOM_* environment < flags.

[warehouse]
# path = "/path/to/warehouse.duckdb"   # or --db / ECOM_DB

[ingest]
# max_bad_rows = "1%"                  # the default; or --max-bad-rows / ECOM_MAX_BAD_ROWS; exit 3 above it
batch_rows = 300000                     # rows per transaction
# timezone = "Europe/London"             # the shop's zone: times with an offset are stored as its clock
# [ingest.mapping]                       # a column mapping for every file (docs/INGEST.md); or --mapping FILE

[log]
level = "info"                          # or -v / -q / ECOM_LOG
keep_files = 7                          # daily JSON log files kept in the state dir

[tui]
page_rows = 500                         # rows per page in the results grid
theme = "dark"                          # dark | light (T switches while running)
# [keys]                                # (or [tui.keys]) action = [keys]; names are shown in the help (?)
# quit = ["q", "ctrl+q"]
# run_query = ["f5", "ctrl+j", "ctrl+r"]
[tui.stream]                            # the tail the Stream screen (5) starts with t
brokers = "127.0.0.1:9092"              # ECOM_BROKERS overrides it
topic = "uk-retail-raw"
group = "ecom-workbench"
windows = ["1m"]

[remote]                                # read a running `ecom serve` instead of a warehouse file
# url = "http://127.0.0.1:8080"          # or --remote / ECOM_REMOTE
# token = "…"                            # or --token / ECOM_TOKEN (an admin token can start builds)

[pipeline]
# ingest_paths = ["/data/online-retail/by-day"]   # the ingest job's inputs
# project = "/path/to/dbt/project"                # default: the bundled project
# Without [[pipeline.jobs]] the DAG is: ingest (when ingest_paths is set) -> models.
# [[pipeline.jobs]]
# name = "models"
# kind = "models"          # ingest | models | sql | export (with to = "s3://…") | ml (with model = "segment")
# depends_on = ["ingest"]
# retries = 2
# backoff = "2s"
# timeout = "30m"
"#;
