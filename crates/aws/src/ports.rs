//! What a function acts through for one target: the account the target lives in,
//! beside the capabilities that stay in the stack's account whatever the target.

use std::ops::Deref;

use crate::Account;

/// A function's capabilities for one target. `here` is the account the target lives
/// in: the stack's own, until [`Ports::in_account`] names another (from the function's
/// `Accounts`). `stack` is what every target shares (the table, Sluice's own metrics,
/// the clock); each function declares its own, and reaches its fields through `Deref`
/// (`ports.store`), so the one rule of where a call lands is written once, here.
#[derive(Clone, Copy)]
pub struct Ports<'a, S> {
    pub here: &'a Account,
    pub stack: S,
}

impl<'a, S: Copy> Ports<'a, S> {
    /// These ports acting in `account` (None: the stack's own).
    pub fn in_account(&self, account: Option<&'a Account>) -> Self {
        Ports {
            here: account.unwrap_or(self.here),
            stack: self.stack,
        }
    }
}

impl<S> Deref for Ports<'_, S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.stack
    }
}
