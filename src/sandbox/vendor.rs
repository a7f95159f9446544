//! What every simulated vendor keeps (its accounts, the tokens it issued,
//! how its lists behave) and the control operations on it, written once:
//! a vendor supplies its [`Accounts`] store and gets [`Control`] from
//! [`VendorState`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use super::behaviour::Behaviours;
use super::listing::ListingSettings;
use super::lock;
use super::table::{stored_view, Row, Table, Tokens};

/// A vendor's account store: its table, and what the vendor assigns to an
/// account it is given out of band (ids, timestamps).
pub(crate) trait Accounts: Default + Send + 'static {
    type Row: Row;
    /// What one account is called in seed errors ("agent", "user").
    const NOUN: &'static str;
    fn table(&self) -> &Table<Self::Row>;
    fn table_mut(&mut self) -> &mut Table<Self::Row>;
    /// Stores an account from a seed or the control API, filling in what the
    /// vendor would assign; gives the account as stored, without password.
    fn insert_raw(&mut self, row: Self::Row) -> Result<Value, String>;
    /// Called after an out-of-band edit of the row at `index`.
    fn edited(&mut self, index: usize) {
        let _ = index;
    }
    /// Puts the seed's accounts (with their 0-based seed positions) in the
    /// order they are stored in; by default the seed's order.
    fn seed_order(rows: &mut [(usize, Self::Row)]) {
        let _ = rows;
    }
}

/// The state of one simulated vendor.
#[derive(Default)]
pub(crate) struct VendorState<A> {
    accounts: Mutex<A>,
    /// Tokens issued by the vendor's auth endpoint (none for a vendor that
    /// authenticates every call, as Thulium does with HTTP Basic).
    tokens: Mutex<Tokens>,
    listing: Mutex<ListingSettings>,
    /// The switchable behaviours (the vendor reads its own).
    behaviours: Mutex<Behaviours>,
    /// List requests answered so far (for an order that changes per read).
    list_requests: AtomicU64,
}

impl<A: Accounts> VendorState<A> {
    pub(crate) fn accounts(&self) -> MutexGuard<'_, A> {
        lock(&self.accounts)
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        lock(&self.tokens)
    }

    /// The current behaviours.
    pub(crate) fn behaviours(&self) -> Behaviours {
        lock(&self.behaviours).clone()
    }

    /// Counts one list request; gives how many came before it.
    pub(crate) fn next_list_request(&self) -> u64 {
        self.list_requests.fetch_add(1, Ordering::Relaxed)
    }
}

/// The control operations on one vendor (see the `sandbox` module docs).
pub(crate) trait Control: Send + Sync {
    /// Replaces every account with `accounts` (seed format) and forgets tokens.
    fn load(&self, accounts: &[Value]) -> Result<(), String>;
    fn count(&self) -> usize;
    /// Every account as stored, without passwords.
    fn snapshot(&self) -> Vec<Value>;
    /// One account by natural key, as stored, without password.
    fn get(&self, key: &str) -> Option<Value>;
    /// Creates an account bypassing the vendor's validation.
    fn create_raw(&self, account: &Value) -> Result<Value, String>;
    /// Merges `patch` into an account bypassing the vendor's validation.
    fn edit_raw(&self, key: &str, patch: &Value) -> Result<Value, String>;
    fn password_matches(&self, key: &str, candidate: &str) -> Option<bool>;
    /// Expires every token now; gives how many were still valid.
    fn expire_tokens(&self) -> usize;
    fn listing(&self) -> ListingSettings;
    /// Sets how its list answers behave (checked by the caller).
    fn set_listing(&self, settings: ListingSettings);
    /// Sets the switchable behaviours (and restarts the list-request count).
    fn set_behaviours(&self, behaviours: &Behaviours);
}

impl<A: Accounts> Control for VendorState<A> {
    fn load(&self, accounts: &[Value]) -> Result<(), String> {
        let noun = A::NOUN;
        let mut rows = Vec::with_capacity(accounts.len());
        for (i, account) in accounts.iter().enumerate() {
            let row: A::Row = serde_json::from_value(account.clone())
                .map_err(|e| format!("{noun} #{}: {e}", i + 1))?;
            rows.push((i, row));
        }
        A::seed_order(&mut rows);
        let mut store = A::default();
        for (i, row) in rows {
            store
                .insert_raw(row)
                .map_err(|e| format!("{noun} #{}: {e}", i + 1))?;
        }
        *self.accounts() = store;
        self.tokens().clear();
        Ok(())
    }

    fn count(&self) -> usize {
        self.accounts().table().len()
    }

    fn snapshot(&self) -> Vec<Value> {
        self.accounts().table().snapshot()
    }

    fn get(&self, key: &str) -> Option<Value> {
        let store = self.accounts();
        let table = store.table();
        table.get(table.index_of_key(key)?).map(stored_view)
    }

    fn create_raw(&self, account: &Value) -> Result<Value, String> {
        let row: A::Row = serde_json::from_value(account.clone()).map_err(|e| e.to_string())?;
        self.accounts().insert_raw(row)
    }

    fn edit_raw(&self, key: &str, patch: &Value) -> Result<Value, String> {
        let mut store = self.accounts();
        // Rows never move: the index stays the edited row's if its key changes.
        let index = store.table().index_of_key(key);
        let view = store.table_mut().raw_edit(key, patch)?;
        if let Some(index) = index {
            store.edited(index);
        }
        Ok(view)
    }

    fn password_matches(&self, key: &str, candidate: &str) -> Option<bool> {
        let store = self.accounts();
        let table = store.table();
        let row = table.get(table.index_of_key(key)?)?;
        Some(row.password().0 == candidate)
    }

    fn expire_tokens(&self) -> usize {
        self.tokens().expire_all()
    }

    fn listing(&self) -> ListingSettings {
        *lock(&self.listing)
    }

    fn set_listing(&self, settings: ListingSettings) {
        *lock(&self.listing) = settings;
    }

    fn set_behaviours(&self, behaviours: &Behaviours) {
        *lock(&self.behaviours) = behaviours.clone();
        self.list_requests.store(0, Ordering::Relaxed);
    }
}
