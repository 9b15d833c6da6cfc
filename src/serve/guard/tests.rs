use super::*;

fn warehouse() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE SCHEMA raw; CREATE SCHEMA marts; CREATE SCHEMA meta;
         CREATE TABLE raw.t (x INT); INSERT INTO raw.t VALUES (1), (2);
         CREATE TABLE meta.api_tokens (name VARCHAR, hash VARCHAR);
         CREATE VIEW marts.v AS SELECT x AS y FROM raw.t;
         CREATE VIEW marts.leaky AS SELECT * FROM meta.api_tokens;
         CREATE SEQUENCE raw.s;",
    )
    .unwrap();
    conn
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Runs,
    Refused,
    Invalid,
}

fn judge(conn: &Connection, sql: &str) -> (Verdict, String) {
    match check(conn, sql) {
        Ok(sql) => (Verdict::Runs, sql),
        Err(CheckError::Refused(r)) => (Verdict::Refused, r.to_string()),
        Err(CheckError::Invalid(e)) => (Verdict::Invalid, e),
        Err(CheckError::Internal(e)) => panic!("{sql}: internal: {e}"),
    }
}

#[test]
fn reads_of_served_schemas_run() {
    let conn = warehouse();
    for sql in [
        "SELECT * FROM raw.t",
        "with c as (select x from raw.t) select * from c join marts.v on true",
        "SELECT * FROM range(3)",
        "SELECT unnest([1, 2])",
        "FROM raw.t",
        "SELECT x, sum(x) OVER (ORDER BY x) FROM raw.t QUALIFY row_number() OVER () = 1",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
        "DESCRIBE raw.t",
        "SUMMARIZE marts.v",
        "SHOW raw.t",
        "SHOW TABLES",
        "SELECT version()",
        "PIVOT raw.t ON x IN (1, 2) USING count(*)",
    ] {
        let (verdict, why) = judge(&conn, sql);
        assert_eq!(verdict, Verdict::Runs, "{sql}: {why}");
    }
}

#[test]
fn a_cte_named_like_a_file_cannot_read_it() {
    let conn = warehouse();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.csv");
    std::fs::write(&file, "secret,value\nhunter2,1\n").unwrap();
    let f = file.display();
    for sql in [
        format!("WITH \"{f}\" AS (SELECT * FROM '{f}') SELECT * FROM \"{f}\""),
        format!("SELECT * FROM '{f}'"),
        format!("WITH a AS (SELECT 1) SELECT * FROM a, '{f}'"),
        format!("SELECT * FROM raw.t WHERE x IN (SELECT 1 FROM '{f}')"),
        format!("DESCRIBE '{f}'"),
        format!("DESCRIBE SELECT * FROM '{f}'"),
        format!("SUMMARIZE '{f}'"),
        format!("SELECT * FROM '{}/*.csv'", dir.path().display()),
    ] {
        let (verdict, why) = judge(&conn, &sql);
        assert_eq!(verdict, Verdict::Refused, "{sql}: {why}");
        assert!(!why.contains("hunter2"), "{why}");
    }
}

#[test]
fn everything_else_is_refused_or_invalid() {
    let conn = warehouse();
    let cases = [
        ("DROP TABLE raw.t", Verdict::Refused, "only a SELECT"),
        (
            "INSERT INTO raw.t VALUES (1)",
            Verdict::Refused,
            "only a SELECT",
        ),
        (
            "SELECT 1; DROP TABLE raw.t",
            Verdict::Refused,
            "only a SELECT",
        ),
        ("SELECT 1; SELECT 2", Verdict::Refused, "holds 2"),
        (
            "COPY raw.t TO '/tmp/x.csv'",
            Verdict::Refused,
            "only a SELECT",
        ),
        ("ATTACH '/tmp/x.duckdb'", Verdict::Refused, "only a SELECT"),
        ("SET threads = 1", Verdict::Refused, "only a SELECT"),
        ("PRAGMA version", Verdict::Refused, "only a SELECT"),
        (
            "SELECT * FROM read_csv('/etc/passwd')",
            Verdict::Refused,
            "read_csv",
        ),
        ("SELECT * FROM glob('/*')", Verdict::Refused, "glob"),
        ("SELECT * FROM meta.api_tokens", Verdict::Refused, "meta"),
        ("SELECT * FROM marts.leaky", Verdict::Refused, "api_tokens"),
        (
            "WITH x AS (SELECT * FROM meta.api_tokens) SELECT * FROM x",
            Verdict::Refused,
            "meta",
        ),
        ("DESCRIBE meta.api_tokens", Verdict::Refused, "api_tokens"),
        ("SHOW meta.api_tokens", Verdict::Refused, "api_tokens"),
        ("SHOW threads", Verdict::Refused, "SHOW"),
        ("SHOW ALL TABLES", Verdict::Refused, "SHOW"),
        ("SHOW DATABASES", Verdict::Refused, "SHOW"),
        (
            "SELECT current_setting('threads')",
            Verdict::Refused,
            "current_setting",
        ),
        ("SELECT nextval('raw.s')", Verdict::Refused, "nextval"),
        ("SELECT setseed(0.5)", Verdict::Refused, "setseed"),
        (
            "SELECT * FROM duckdb_settings()",
            Verdict::Refused,
            "duckdb_settings",
        ),
        (
            "SELECT * FROM duckdb_tables",
            Verdict::Refused,
            "duckdb_tables",
        ),
        (
            "SELECT * FROM pg_catalog.pg_settings",
            Verdict::Refused,
            "pg_settings",
        ),
        (
            "SELECT * FROM system.main.duckdb_databases",
            Verdict::Refused,
            "duckdb_databases",
        ),
        (
            "WITH d AS (DELETE FROM raw.t RETURNING *) SELECT * FROM d",
            Verdict::Refused,
            "",
        ),
        ("SELECT * FROM", Verdict::Invalid, "does not parse"),
        ("SELECT nope FROM raw.t", Verdict::Invalid, "does not bind"),
        ("SELECT * FROM nowhere", Verdict::Invalid, "does not bind"),
        ("", Verdict::Invalid, "no statement"),
    ];
    for (sql, expected, says) in cases {
        let (verdict, why) = judge(&conn, sql);
        assert_eq!(verdict, expected, "{sql}: {why}");
        assert!(why.contains(says), "{sql}: {why}");
    }
}

#[test]
fn information_schema_lists_the_served_schemas_only() {
    let conn = warehouse();
    let (verdict, sql) = judge(
        &conn,
        "SELECT t.table_schema, t.table_name FROM information_schema.tables AS t ORDER BY ALL",
    );
    assert_eq!(verdict, Verdict::Runs, "{sql}");
    let mut stmt = conn.prepare(&sql).unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        [("marts", "leaky"), ("marts", "v"), ("raw", "t")]
            .map(|(s, t)| (s.to_string(), t.to_string()))
    );
    let (verdict, sql) = judge(&conn, "SELECT count(*) FROM information_schema.columns");
    assert_eq!(verdict, Verdict::Runs, "{sql}");
    let columns: i64 = conn.query_row(&sql, [], |r| r.get(0)).unwrap();
    assert_eq!(
        columns, 4,
        "raw.t.x, marts.v.y and marts.leaky's two columns"
    );
}

#[test]
fn no_catalog_view_of_duckdb_is_reachable_by_name() {
    let conn = warehouse();
    let mut stmt = conn
        .prepare("SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = 'system'")
        .unwrap();
    let views: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(views.len() > 20, "{views:?}");
    for (schema, view) in views {
        if schema == "information_schema" {
            let sql = format!("SELECT * FROM {schema}.{view}");
            let (verdict, why) = judge(&conn, &sql);
            assert_eq!(verdict, Verdict::Runs, "{sql}: {why}");
            continue;
        }
        for sql in [
            format!("SELECT * FROM {schema}.{view}"),
            format!("SELECT * FROM {view}"),
        ] {
            assert_ne!(judge(&conn, &sql).0, Verdict::Runs, "{sql} must not run");
        }
    }
}

#[test]
fn deep_but_legitimate_expressions_are_checked() {
    let conn = warehouse();
    for terms in [42, 300, 900] {
        let sum = vec!["x"; terms].join(" + ");
        let concat = vec!["'a'"; terms].join(" || ");
        for sql in [
            format!("SELECT {sum} FROM raw.t"),
            format!("SELECT {concat}"),
        ] {
            let (verdict, why) = judge(&conn, &sql);
            assert_eq!(verdict, Verdict::Runs, "{terms} terms: {why}");
        }
    }
    // Past DuckDB's own depth limit the query is the client's error, not ours.
    let too_deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    let (verdict, why) = judge(&conn, &too_deep);
    assert_eq!(verdict, Verdict::Invalid, "{why}");
}

#[test]
fn queries_with_parameters_are_checked_as_they_will_read() {
    let conn = warehouse();
    let sql = "SELECT x FROM raw.t WHERE ($v IS NULL OR x = $v) AND $d::DATE + INTERVAL 1 DAY > DATE '2000-01-01'";
    assert_eq!(check_with_parameters(&conn, sql).unwrap(), sql);
    assert_eq!(
        check_with_parameters(&conn, "SELECT 1").unwrap(),
        "SELECT 1",
        "without parameters it is the plain check"
    );
    for refused in [
        "SELECT * FROM meta.api_tokens WHERE name = $n",
        "SELECT * FROM read_csv('/etc/passwd') WHERE $x IS NULL",
        "SELECT * FROM information_schema.tables WHERE table_name = $t",
        "SELECT current_setting($name)",
    ] {
        assert!(
            matches!(
                check_with_parameters(&conn, refused),
                Err(CheckError::Refused(_))
            ),
            "{refused}"
        );
    }
}
