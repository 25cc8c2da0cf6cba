//! A stage run once per place (sluice_core::place): the targets of each account and
//! region together, with that account's clients, all places at once. A place whose
//! account cannot be reached (its role refused) fails its own targets, and only
//! those, with the error that names the role.

use std::collections::BTreeMap;

use sluice_aws::{Account, Accounts, AwsError, ErrorKind, reach};
use sluice_core::config::Target;
use sluice_core::place::Place;

/// `stage(account, items)` for the items of each place, `account` None for the
/// stack's own; the results back in the order of `items`.
pub async fn per_place<T, R>(
    items: &[T],
    target_of: impl Fn(&T) -> &Target,
    accounts: &dyn Accounts,
    stage: impl AsyncFn(Option<&Account>, &[T]) -> Vec<R>,
    unreachable: impl Fn(&T, &AwsError) -> R,
) -> Vec<R>
where
    T: Clone,
{
    let mut places: BTreeMap<Place, Vec<usize>> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        places
            .entry(target_of(item).place())
            .or_default()
            .push(index);
    }
    if places.keys().all(Place::is_home) {
        return stage(None, items).await;
    }
    let stage = &stage;
    let runs = places.iter().map(|(place, indices)| async move {
        let mine: Vec<T> = indices.iter().map(|&i| items[i].clone()).collect();
        let results = match reach(accounts, place).await {
            Ok(account) => Ok(stage(account.as_deref(), &mine).await),
            Err(error) => Err(error),
        };
        (indices, results)
    });
    let mut results: Vec<Option<R>> = items.iter().map(|_| None).collect();
    for (indices, answer) in futures::future::join_all(runs).await {
        match answer {
            Ok(values) => {
                for (&index, value) in indices.iter().zip(values) {
                    results[index] = Some(value);
                }
            }
            Err(error) => {
                tracing::error!(%error, targets = indices.len(), "account not reached");
                for &index in indices {
                    results[index] = Some(unreachable(&items[index], &error));
                }
            }
        }
    }
    let lost = AwsError::new(
        "(stage)",
        ErrorKind::BadResponse,
        "no result for the target",
    );
    results
        .into_iter()
        .zip(items)
        .map(|(result, item)| result.unwrap_or_else(|| unreachable(item, &lost)))
        .collect()
}
