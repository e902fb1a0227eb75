//! Versioned SQLite schemas. Every database Simak keeps (accounts, review queue, alert outbox)
//! records its schema version in SQLite's `PRAGMA user_version` and is brought forward, at
//! open, by the list of steps its store declares: step *i* takes version *i* to *i + 1*, all
//! pending steps run in one transaction, and a database from a newer Simak is refused rather
//! than written with an older idea of its tables.
//!
//! A database written before versions were recorded has version 0 and its tables already
//! there. Step 1 of every store is therefore its first released schema in `CREATE … IF NOT
//! EXISTS` form, and later steps that add a column use [`Step::AddColumn`], which skips a
//! column that is already present (a database from a release that had the column but no
//! version).

use rusqlite::{Connection, Transaction};

/// One forward migration step.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Statements run as they are.
    Sql(&'static str),
    /// `ALTER TABLE table ADD COLUMN column decl`, unless the column is there already.
    AddColumn {
        /// The table.
        table: &'static str,
        /// The new column.
        column: &'static str,
        /// Its type and constraints (`TEXT`, `INTEGER NOT NULL DEFAULT 0`).
        decl: &'static str,
    },
}

/// What [`migrate`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// The version the file had (0: new, or written before versions were recorded).
    pub from: u32,
    /// The version it has now (the number of steps).
    pub to: u32,
}

/// Why a database could not be brought to this build's schema.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The file was written by a newer Simak.
    #[error(
        "{name} database has schema version {found}, newer than this build's {known}: \
         it was written by a newer Simak; run that version, or restore a backup made for this one"
    )]
    Newer {
        /// The database's name (`accounts`, `review`, `alerts`).
        name: &'static str,
        /// The version in the file.
        found: u32,
        /// The newest version this build knows.
        known: u32,
    },
    /// SQLite failed.
    #[error("{name} database, migrating to schema version {to}: {source}")]
    Sql {
        /// The database's name.
        name: &'static str,
        /// The version the failing step leads to.
        to: u32,
        /// The error.
        #[source]
        source: rusqlite::Error,
    },
}

/// The schema version recorded in `conn`.
pub fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
        .map(|v| v.max(0) as u32)
}

fn has_column(tx: &Transaction<'_>, table: &str, column: &str) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2 COLLATE NOCASE)",
        [table, column],
        |r| r.get(0),
    )
}

fn run(tx: &Transaction<'_>, step: &Step) -> rusqlite::Result<()> {
    match *step {
        Step::Sql(sql) => tx.execute_batch(sql),
        Step::AddColumn {
            table,
            column,
            decl,
        } => {
            if !has_column(tx, table, column)? {
                tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
            }
            Ok(())
        }
    }
}

/// Brings the database `name` forward to `steps.len()`, in one transaction.
pub fn migrate(
    conn: &mut Connection,
    name: &'static str,
    steps: &[Step],
) -> Result<Migrated, SchemaError> {
    let known = steps.len() as u32;
    let sql = |to| move |source| SchemaError::Sql { name, to, source };
    let from = version(conn).map_err(sql(0))?;
    if from > known {
        return Err(SchemaError::Newer {
            name,
            found: from,
            known,
        });
    }
    if from == known {
        return Ok(Migrated { from, to: from });
    }
    let tx = conn.transaction().map_err(sql(from + 1))?;
    for (i, step) in steps.iter().enumerate().skip(from as usize) {
        let to = i as u32 + 1;
        run(&tx, step).map_err(sql(to))?;
    }
    tx.pragma_update(None, "user_version", known as i64)
        .map_err(sql(known))?;
    tx.commit().map_err(sql(known))?;
    tracing::info!(
        database = name,
        from,
        to = known,
        "database schema migrated"
    );
    Ok(Migrated { from, to: known })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[Step] = &[
        Step::Sql("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, a TEXT NOT NULL);"),
        Step::AddColumn {
            table: "t",
            column: "b",
            decl: "TEXT",
        },
        Step::Sql("CREATE INDEX IF NOT EXISTS t_b ON t(b);"),
    ];

    #[test]
    fn new_database_gets_every_step() {
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(
            migrate(&mut c, "test", STEPS).unwrap(),
            Migrated { from: 0, to: 3 }
        );
        assert_eq!(version(&c).unwrap(), 3);
        c.execute("INSERT INTO t (a, b) VALUES ('x', 'y')", [])
            .unwrap();
        // Opening again does nothing.
        assert_eq!(
            migrate(&mut c, "test", STEPS).unwrap(),
            Migrated { from: 3, to: 3 }
        );
    }

    #[test]
    fn unversioned_database_keeps_rows_and_gains_the_column() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL); INSERT INTO t (a) VALUES ('old');")
            .unwrap();
        migrate(&mut c, "test", STEPS).unwrap();
        let (a, b): (String, Option<String>) = c
            .query_row("SELECT a, b FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((a.as_str(), b), ("old", None));
    }

    #[test]
    fn unversioned_database_that_already_has_the_column() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b TEXT); INSERT INTO t (a, b) VALUES ('old', 'kept');")
            .unwrap();
        migrate(&mut c, "test", STEPS).unwrap();
        let b: String = c.query_row("SELECT b FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(b, "kept");
        assert_eq!(version(&c).unwrap(), 3);
    }

    #[test]
    fn newer_database_is_refused_untouched() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", 9).unwrap();
        let e = migrate(&mut c, "review", STEPS).unwrap_err();
        assert!(matches!(
            e,
            SchemaError::Newer {
                found: 9,
                known: 3,
                ..
            }
        ));
        assert!(e.to_string().contains("newer Simak"), "{e}");
        assert_eq!(version(&c).unwrap(), 9);
    }

    #[test]
    fn a_failing_step_leaves_the_file_as_it_was() {
        let mut c = Connection::open_in_memory().unwrap();
        let bad: &[Step] = &[STEPS[0], Step::Sql("CREATE TABLE broken (")];
        let e = migrate(&mut c, "test", bad).unwrap_err();
        assert!(matches!(e, SchemaError::Sql { to: 2, .. }), "{e}");
        assert_eq!(version(&c).unwrap(), 0);
        let tables: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 't'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0, "step 1 was rolled back with step 2");
    }
}
