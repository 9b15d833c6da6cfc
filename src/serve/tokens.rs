//! API tokens of `ecom serve`: created with a scope, stored as a hash only, revoked by
//! name.
//!
//! A token is 32 random bytes from the operating system, printed once as `ecom_` and 64
//! hex digits. The warehouse keeps its BLAKE3 hash; checking a presented token hashes it
//! and compares it with every active hash in constant time (`blake3::Hash` equality),
//! so timing tells an attacker nothing about how close a guess was.

use std::fmt;
use std::str::FromStr;

use duckdb::Connection;
use serde::Serialize;

/// What a token may do. Each scope includes the ones before it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    utoipa::ToSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The read routes (`/api/v1/summary`, sales, customers, …).
    Read,
    /// Read, plus `POST /api/v1/query`.
    Query,
    /// Query, plus managing tokens and watching jobs through the API.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Query => "query",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(Self::Read),
            "query" => Ok(Self::Query),
            "admin" => Ok(Self::Admin),
            other => Err(TokenError::BadScope(other.to_string())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("scope `{0}` is not one of read, query, admin")]
    BadScope(String),
    #[error("a token named `{0}` already exists: revoke it first or pick another name")]
    Exists(String),
    #[error("no active token is named `{0}` (`ecom serve token ls` lists them)")]
    Unknown(String),
    #[error("a token name is 1 to 64 letters, digits, `-`, `_` or `.`; `{0}` is not")]
    BadName(String),
    #[error("the operating system gave no random bytes: {0}")]
    Random(String),
    #[error(transparent)]
    Db(#[from] duckdb::Error),
}

/// A token as listed: never the token itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub name: String,
    pub scope: Scope,
    /// When it was created (warehouse clock, no zone).
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// An active token's hash and scope, as kept in memory by the server.
#[derive(Debug, Clone)]
pub struct ActiveToken {
    pub name: String,
    pub scope: Scope,
    hash: blake3::Hash,
}

/// Creates a token named `name`; returns the token, which is shown this once.
pub fn create(conn: &Connection, name: &str, scope: Scope) -> Result<String, TokenError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(TokenError::BadName(name.to_string()));
    }
    let active: i64 = conn.query_row(
        "SELECT count(*) FROM meta.api_tokens WHERE name = ? AND revoked_at IS NULL",
        [name],
        |r| r.get(0),
    )?;
    if active > 0 {
        return Err(TokenError::Exists(name.to_string()));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
    let token = format!("ecom_{}", hex(&bytes));
    let tx = conn.unchecked_transaction()?;
    tx.execute("DELETE FROM meta.api_tokens WHERE name = ?", [name])?;
    tx.execute(
        "INSERT INTO meta.api_tokens VALUES (?, ?, ?, now()::TIMESTAMP, NULL)",
        duckdb::params![
            name,
            scope.as_str(),
            blake3::hash(token.as_bytes()).to_hex().as_str()
        ],
    )?;
    tx.commit()?;
    Ok(token)
}

/// Every token ever created (revoked ones too), oldest first.
pub fn list(conn: &Connection) -> Result<Vec<TokenInfo>, TokenError> {
    let mut stmt = conn.prepare(
        "SELECT name, scope, strftime(created_at, '%Y-%m-%d %H:%M:%S'), \
         strftime(revoked_at, '%Y-%m-%d %H:%M:%S') FROM meta.api_tokens ORDER BY created_at, name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (name, scope, created_at, revoked_at) = row?;
        out.push(TokenInfo {
            name,
            scope: scope.parse()?,
            created_at,
            revoked_at,
        });
    }
    Ok(out)
}

/// Revokes the active token named `name`.
pub fn revoke(conn: &Connection, name: &str) -> Result<(), TokenError> {
    let changed = conn.execute(
        "UPDATE meta.api_tokens SET revoked_at = now()::TIMESTAMP WHERE name = ? AND revoked_at IS NULL",
        [name],
    )?;
    if changed == 0 {
        return Err(TokenError::Unknown(name.to_string()));
    }
    Ok(())
}

/// The active tokens, for the server's in-memory check.
pub fn active(conn: &Connection) -> Result<Vec<ActiveToken>, TokenError> {
    let mut stmt = conn
        .prepare("SELECT name, scope, token_hash FROM meta.api_tokens WHERE revoked_at IS NULL")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (name, scope, hash) = row?;
        // A hash that does not parse can match nothing: skip it rather than fail.
        if let Ok(hash) = blake3::Hash::from_hex(&hash) {
            out.push(ActiveToken {
                name,
                scope: scope.parse()?,
                hash,
            });
        }
    }
    Ok(out)
}

/// The active token `presented` is, if any. Every active hash is compared (in constant
/// time each), so the time taken does not depend on which one matched.
pub fn check<'a>(active: &'a [ActiveToken], presented: &str) -> Option<&'a ActiveToken> {
    let hash = blake3::hash(presented.as_bytes());
    active.iter().fold(None, |found, token| {
        if token.hash == hash {
            Some(token)
        } else {
            found
        }
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_created_checked_listed_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let wh = crate::warehouse::Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
        let conn = wh.conn();
        let token = create(conn, "ci", Scope::Query).unwrap();
        assert!(token.starts_with("ecom_") && token.len() == 5 + 64);
        assert!(matches!(
            create(conn, "ci", Scope::Read),
            Err(TokenError::Exists(_))
        ));
        assert!(matches!(
            create(conn, "a b", Scope::Read),
            Err(TokenError::BadName(_))
        ));
        let stored: String = conn
            .query_row("SELECT token_hash FROM meta.api_tokens", [], |r| r.get(0))
            .unwrap();
        assert!(!stored.contains(&token[5..]), "only the hash is stored");
        let tokens = active(conn).unwrap();
        assert_eq!(check(&tokens, &token).map(|t| t.scope), Some(Scope::Query));
        assert!(check(&tokens, "ecom_00").is_none());
        revoke(conn, "ci").unwrap();
        assert!(check(&active(conn).unwrap(), &token).is_none());
        assert!(matches!(revoke(conn, "ci"), Err(TokenError::Unknown(_))));
        assert!(list(conn).unwrap()[0].revoked_at.is_some());
        // The name of a revoked token can be used again.
        create(conn, "ci", Scope::Admin).unwrap();
        assert_eq!(list(conn).unwrap().len(), 1);
    }
}
