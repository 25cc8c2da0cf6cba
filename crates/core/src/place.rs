//! Where a target lives: the stack's own account and region, or another account or
//! region, reached through an IAM role the target names (`role_arn`, with an optional
//! `external_id`) the way KEDA lets each trigger assume its own role.
//!
//! A place is the key of one set of clients: every target of one place shares them,
//! and each place has its own bound on requests in flight, so one team's throttled
//! account does not slow the others.

use std::fmt;

use serde::Serialize;

/// One account and region Sluice reaches, as a target names it. The default (no role,
/// no region) is the stack's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Place {
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub region: Option<String>,
}

impl Place {
    /// The stack's own account and region.
    pub fn is_home(&self) -> bool {
        self.role_arn.is_none() && self.region.is_none()
    }

    /// The account of the role, from its ARN; None for the stack's own account.
    pub fn account(&self) -> Option<&str> {
        self.role_arn
            .as_deref()
            .and_then(|arn| arn.split(':').nth(4))
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.role_arn, &self.region) {
            (None, None) => write!(f, "the stack's account"),
            (Some(role), None) => write!(f, "role {role}"),
            (None, Some(region)) => write!(f, "the stack's account in {region}"),
            (Some(role), Some(region)) => write!(f, "role {role} in {region}"),
        }
    }
}

/// The account a role ARN names (its fifth field).
pub fn account_of(role_arn: &str) -> Option<&str> {
    role_arn.split(':').nth(4)
}

/// What is wrong with an IAM role ARN, if anything:
/// `arn:<partition>:iam::<12-digit account>:role/<path/>name`.
pub fn role_arn_problem(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let shape_ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > "role/".len();
    (!shape_ok).then(|| {
        format!("{arn:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/sluice-member)")
    })
}

/// What is wrong with a region name, if anything: `eu-west-1`, `us-gov-west-1`.
pub fn region_problem(region: &str) -> Option<String> {
    let parts: Vec<&str> = region.split('-').collect();
    let shape_ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    (!shape_ok).then(|| format!("{region:?} is not a region name (eu-west-1)"))
}

/// What is wrong with an external id, if anything: 2 to 1224 characters of
/// `[\w+=,.@:/-]`, as STS AssumeRole accepts
/// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
pub fn external_id_problem(id: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c);
    if !(2..=1224).contains(&id.len()) {
        return Some(format!("must be 2 to 1224 characters, got {}", id.len()));
    }
    id.chars()
        .find(|c| !allowed(*c))
        .map(|c| format!("{c:?} is not allowed: use letters, digits and _+=,.@:/-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_checked_for_shape() {
        assert_eq!(
            role_arn_problem("arn:aws:iam::123456789012:role/sluice-member"),
            None
        );
        assert_eq!(
            role_arn_problem("arn:aws-cn:iam::123456789012:role/team/a"),
            None
        );
        for bad in [
            "sluice-member",
            "arn:aws:iam::1234:role/x",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:sts::123456789012:role/x",
        ] {
            assert!(role_arn_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn regions_and_external_ids_are_checked() {
        assert_eq!(region_problem("eu-west-1"), None);
        assert_eq!(region_problem("us-gov-west-1"), None);
        for bad in ["eu-west", "EU-WEST-1", "euwest1", "eu--1"] {
            assert!(region_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(external_id_problem("team-a/prod"), None);
        assert!(external_id_problem("x").is_some());
        assert!(external_id_problem("has space").is_some());
    }

    #[test]
    fn a_place_names_its_account_and_says_where_it_is() {
        let place = Place {
            role_arn: Some("arn:aws:iam::111122223333:role/sluice".into()),
            external_id: None,
            region: Some("eu-west-1".into()),
        };
        assert_eq!(place.account(), Some("111122223333"));
        assert!(!place.is_home());
        assert!(Place::default().is_home());
        assert_eq!(
            place.to_string(),
            "role arn:aws:iam::111122223333:role/sluice in eu-west-1"
        );
    }
}
