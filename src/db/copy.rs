//! Bulk loads at the engine's speed on PostgreSQL. Rows go with COPY, over sqlx's native driver
//! (the `Any` driver has no COPY), into an unlogged staging table. The caller's own write
//! transaction then moves them into place with one `INSERT … SELECT`, so a load stays a single
//! all-or-nothing write beside its counters and its audit entries.

use std::io::Write;

use sqlx::postgres::PgPool;

use super::Db;
use crate::error::{AppError, AppResult};

/// Bytes of COPY text sent at a time.
const CHUNK: usize = 4 << 20;

/// An unlogged staging table being filled with COPY. Always [`Stage::drop`] it.
pub struct Stage {
    pool: PgPool,
    /// The table's name (`yh_stage_…`), for the caller's `INSERT … SELECT`.
    pub name: String,
    copy: String,
    buf: Vec<u8>,
    row_open: bool,
}

impl Stage {
    /// An empty staging table with a `row_no` column (the file's row number) followed by
    /// `columns` of table `like`, of the same types.
    pub async fn create(db: &Db, like: &str, columns: &[&str]) -> AppResult<Stage> {
        let pool = db.native.clone().ok_or_else(|| AppError::Internal(anyhow::anyhow!("COPY needs PostgreSQL")))?;
        let name = format!("yh_stage_{:016x}", rand::random::<u64>());
        let cols = columns.join(", ");
        sqlx::query(&format!("CREATE UNLOGGED TABLE {name} AS SELECT CAST(0 AS BIGINT) AS row_no, {cols} FROM {like} WITH NO DATA"))
            .execute(&pool)
            .await?;
        Ok(Stage { pool, copy: format!("COPY {name} (row_no, {cols}) FROM STDIN"), name, buf: Vec::with_capacity(CHUNK + 4096), row_open: false })
    }

    fn sep(&mut self) {
        if self.row_open {
            self.buf.push(b'\t');
        }
        self.row_open = true;
    }

    pub fn int(&mut self, v: i64) -> &mut Self {
        self.sep();
        let _ = write!(self.buf, "{v}");
        self
    }

    pub fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.text(None),
        }
    }

    /// A text field in COPY's text format (`\N` for NULL; backslash, tab and line breaks escaped).
    pub fn text(&mut self, v: Option<&str>) -> &mut Self {
        self.sep();
        match v {
            None => self.buf.extend_from_slice(b"\\N"),
            Some(s) => {
                for &b in s.as_bytes() {
                    match b {
                        b'\\' => self.buf.extend_from_slice(b"\\\\"),
                        b'\t' => self.buf.extend_from_slice(b"\\t"),
                        b'\n' => self.buf.extend_from_slice(b"\\n"),
                        b'\r' => self.buf.extend_from_slice(b"\\r"),
                        _ => self.buf.push(b),
                    }
                }
            }
        }
        self
    }

    /// Ends the row; sends the buffer when it is full.
    pub async fn end_row(&mut self) -> AppResult<()> {
        self.buf.push(b'\n');
        self.row_open = false;
        if self.buf.len() >= CHUNK {
            self.send().await?;
        }
        Ok(())
    }

    async fn send(&mut self) -> AppResult<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        let mut copy = conn.copy_in_raw(&self.copy).await?;
        copy.send(self.buf.as_slice()).await?;
        copy.finish().await?;
        self.buf.clear();
        Ok(())
    }

    /// Sends what is left and gathers the table's statistics for the `INSERT … SELECT`.
    pub async fn finish(&mut self) -> AppResult<()> {
        self.send().await?;
        sqlx::query(&format!("ANALYZE {}", self.name)).execute(&self.pool).await?;
        Ok(())
    }

    /// Drops the table (also after a failed load; a leftover is harmless and named `yh_stage_…`).
    pub async fn drop(self) {
        if let Err(e) = sqlx::query(&format!("DROP TABLE IF EXISTS {}", self.name)).execute(&self.pool).await {
            tracing::warn!(table = %self.name, error = %e, "could not drop a staging table");
        }
    }
}
