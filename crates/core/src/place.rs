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

/// The stack's own account and region, where a target without `role_arn` or
/// `region` lives; each None when not known (an offline `validate`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Home {
    pub account: Option<String>,
    pub region: Option<String>,
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

/// What is wrong with an account id, if anything: twelve digits.
pub fn account_id_problem(id: &str) -> Option<String> {
    let fine = id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit());
    (!fine).then(|| format!("{id:?} is not an AWS account id (12 digits)"))
}

/// The account a role ARN names (its fifth field).
pub fn account_of(role_arn: &str) -> Option<&str> {
    role_arn.split(':').nth(4)
}

/// The partitions AWS has, and the region prefix each one's regions start with
/// (<https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html>);
/// `aws` takes every region the others do not.
const PARTITIONS: &[(&str, &str)] = &[
    ("aws-cn", "cn-"),
    ("aws-us-gov", "us-gov-"),
    ("aws-iso", "us-iso-"),
    ("aws-iso-b", "us-isob-"),
    ("aws-iso-e", "eu-isoe-"),
    ("aws-iso-f", "us-isof-"),
    ("aws-eusc", "eusc-"),
    ("aws", ""),
];

/// The partition a region is in.
pub fn partition_of(region: &str) -> &'static str {
    PARTITIONS
        .iter()
        .find(|(_, prefix)| region.starts_with(prefix))
        .map_or("aws", |(partition, _)| partition)
}

/// What is wrong with an IAM role ARN, if anything:
/// `arn:<partition>:iam::<12-digit account>:role/<path/>name`, the name and path in
/// the characters IAM allows (`[\w+=,.@-]`, so no wildcard: a role is one role), the
/// partition one AWS has.
pub fn role_arn_problem(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let name_ok = |name: &str| {
        !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    };
    let shape_ok = parts.len() == 6
        && parts[0] == "arn"
        && PARTITIONS
            .iter()
            .any(|(partition, _)| *partition == parts[1])
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].strip_prefix("role/").is_some_and(|path| {
            path.split('/').next_back().is_some_and(name_ok)
                && path.split('/').all(|p| p.is_empty() || name_ok(p))
        });
    (!shape_ok).then(|| {
        format!(
            "{arn:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/sluice-member; \
             names of letters, digits and _+=,.@-, no wildcard)"
        )
    })
}

/// What is wrong with a role in one partition reaching a region of another: STS
/// there does not know the role.
pub fn partition_problem(role_arn: &str, region: &str) -> Option<String> {
    let partition = role_arn.split(':').nth(1)?;
    let wanted = partition_of(region);
    (partition != wanted).then(|| {
        format!(
            "region {region} is in the {wanted} partition, but role_arn {role_arn} is in \
             {partition}: a role reaches its own partition only"
        )
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
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam::123456789012:role/team/*",
            "arn:aws:iam::123456789012:role/sluice?",
            "arn:awsx:iam::123456789012:role/x",
            "arn:aws:iam::123456789012:role/team/",
        ] {
            assert!(role_arn_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert_eq!(account_id_problem("123456789012"), None);
        for bad in ["", "12345678901", "1234567890123", "12345678901x", "*"] {
            assert!(account_id_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn a_role_reaches_only_its_own_partition() {
        let commercial = "arn:aws:iam::123456789012:role/sluice";
        let china = "arn:aws-cn:iam::123456789012:role/sluice";
        assert_eq!(partition_problem(commercial, "eu-west-1"), None);
        assert_eq!(partition_problem(china, "cn-north-1"), None);
        assert_eq!(
            partition_problem("arn:aws-us-gov:iam::123456789012:role/s", "us-gov-west-1"),
            None
        );
        let problem = partition_problem(commercial, "cn-north-1").expect("mismatch");
        assert!(problem.contains("aws-cn partition"), "{problem}");
        assert!(partition_problem(china, "us-east-1").is_some());
        assert!(partition_problem(commercial, "us-gov-east-1").is_some());
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
